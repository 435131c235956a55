/* SPDX-License-Identifier: MIT */
/*
 * Tests for lab/lab.c and lab/tun.c that need no privileges: the trace
 * read from a recorded binary buffer (tests/fixtures/tracefs), filtered by
 * port range and by the lab's addresses; and the TUN device's permission
 * error.
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "lab/lab.h"
#include "lab/tun.h"

START_TEST(test_trace_read_parses_and_filters)
{
	const char *srcdir = getenv("TD_SRCDIR") != NULL ? getenv("TD_SRCDIR") : TD_SRCDIR;
	char dir[4096];
	struct td_err err = { 0 };
	struct lab lab;
	struct lab_ev ev[64];
	int n, i, resets = 0, synacks = 0;

	/*
	 * The binary buffer recorded by tests/fixtures/tracefs/capture.sh on
	 * loopback: the lab's addresses stand for 127.0.0.1 and ::1.
	 */
	snprintf(dir, sizeof(dir), "%s/tests/fixtures/tracefs", srcdir);
	memset(&lab, 0, sizeof(lab));
	lab.tun.fd = -1;
	snprintf(lab.local4_s, sizeof(lab.local4_s), "127.0.0.1");
	snprintf(lab.local6_s, sizeof(lab.local6_s), "::1");
	lab.port_lo = 40001;
	lab.port_hi = 40004;
	n = lab_trace_read_dir(&lab, dir, ev, 64, &err);
	ck_assert_msg(n == 39, "%d events: %s", n, err.msg);

	ck_assert_int_eq(ev[0].kind, LAB_EV_STATE);
	ck_assert_uint_eq(ev[0].sport, 40001);
	ck_assert_uint_eq(ev[0].dport, 0);
	ck_assert_int_eq(ev[0].oldstate, 7);		/* CLOSE */
	ck_assert_int_eq(ev[0].newstate, 10);		/* LISTEN */
	ck_assert_uint_eq(ev[0].ts_ns, 23022949321392ull);
	for (i = 0; i < n; i++) {
		/* 40005 is outside the range. */
		ck_assert(ev[i].sport != 40005 && ev[i].dport != 40005);
		if (i > 0)
			ck_assert(ev[i].ts_ns >= ev[i - 1].ts_ns);
		if (ev[i].kind == LAB_EV_SEND_RESET && ev[i].sport == 40001) {
			ck_assert_str_eq(ev[i].reason, "TCP_ABORT_ON_CLOSE");
			resets++;
		}
		if (ev[i].kind == LAB_EV_RETRANSMIT_SYNACK) {
			ck_assert_uint_eq(ev[i].sport, 40004);
			synacks++;
		}
	}
	ck_assert_int_eq(resets, 1);
	ck_assert_int_eq(synacks, 1);

	/* Another local address: only the IPv6 connection is the lab's. */
	snprintf(lab.local4_s, sizeof(lab.local4_s), "127.0.0.2");
	n = lab_trace_read_dir(&lab, dir, ev, 64, &err);
	ck_assert_int_eq(n, 12);
	for (i = 0; i < n; i++)
		ck_assert(ev[i].sport == 40003 || ev[i].dport == 40003);

	/* cap bounds the result. */
	ck_assert_int_eq(lab_trace_read_dir(&lab, dir, ev, 2, &err), 2);
	/* A missing buffer is an error with the path in it. */
	ck_assert_int_eq(lab_trace_read_dir(&lab, "/nonexistent", ev, 16, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/events"));
	/* Without an instance: an error, and nothing to remove. */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(lab_trace_read(&lab, ev, 16, &err), -1);
	ck_assert_str_eq(err.msg, "trace: no tracefs instance");
	lab_leave(&lab);
}
END_TEST

START_TEST(test_kstate_names)
{
	ck_assert_str_eq(lab_state_name(1), "ESTABLISHED");
	ck_assert_str_eq(lab_state_name(12), "NEW_SYN_RECV");
	ck_assert_str_eq(lab_state_name(0), "?");
	ck_assert_str_eq(lab_state_name(13), "?");
}
END_TEST

START_TEST(test_sysctl_name_checked)
{
	struct td_err err = { 0 };

	ck_assert_int_eq(lab_sysctl(NULL, "net/../../etc/x", "1", &err), -1);
	ck_assert_str_eq(err.msg, "sysctl 'net/../../etc/x': bad name");
}
END_TEST

/* Without privileges the TUN device refuses with a message saying why. */
START_TEST(test_tun_open_without_privileges)
{
	struct td_err err = { 0 };
	struct lab_tun t;

	/* Check forks each test, so dropping root here stays here. */
	if (geteuid() == 0)
		ck_assert_int_eq(setresuid(65534, 65534, 65534), 0);
	ck_assert_int_eq(lab_tun_open(&t, "tdk-test", &err), -1);
	ck_assert_msg(err.code == EACCES || err.code == EPERM || err.code == ENOENT, "%s",
	    err.msg);
	if (err.code != ENOENT)
		ck_assert_ptr_nonnull(strstr(err.msg, "needs root or CAP_NET_ADMIN"));
	ck_assert_int_eq(t.fd, -1);
	lab_tun_close(&t);			/* safe on a device never opened */
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("lab/lab");
	TCase *tc;

	tc = tcase_create("trace");
	tcase_add_test(tc, test_trace_read_parses_and_filters);
	tcase_add_test(tc, test_kstate_names);
	tcase_add_test(tc, test_sysctl_name_checked);
	suite_add_tcase(s, tc);

	tc = tcase_create("tun");
	tcase_add_test(tc, test_tun_open_without_privileges);
	suite_add_tcase(s, tc);
	return s;
}
