/* SPDX-License-Identifier: MIT */
/*
 * Tests for lab/lab.c and lab/tun.c that need no privileges: the trace
 * parser on lines in the kernel's formats (include/trace/events/sock.h and
 * tcp.h, as printed by this kernel), filtered by port range and by the
 * lab's addresses; and the TUN device's permission error.
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

static const char trace_text[] =
"# tracer: nop\n"
"#\n"
"# entries-in-buffer/entries-written: 7/7   #P:2\n"
"         python3-12512   [001] .....  1078.969587: inet_sock_set_state: family=AF_INET "
"protocol=IPPROTO_TCP sport=20000 dport=0 saddr=198.18.1.7 daddr=0.0.0.0 "
"saddrv6=::ffff:198.18.1.7 daddrv6=::ffff:0.0.0.0 oldstate=TCP_CLOSE newstate=TCP_LISTEN\n"
"          <idle>-0       [000] ..s1.  1079.000001: inet_sock_set_state: family=AF_INET "
"protocol=IPPROTO_TCP sport=20000 dport=20001 saddr=198.18.1.7 daddr=198.19.1.7 "
"saddrv6=::ffff:198.18.1.7 daddrv6=::ffff:198.19.1.7 oldstate=TCP_LISTEN newstate=TCP_SYN_RECV\n"
/* Another namespace's socket on the same ports: another address, dropped. */
"          <idle>-0       [000] ..s1.  1079.000002: inet_sock_set_state: family=AF_INET "
"protocol=IPPROTO_TCP sport=20000 dport=20001 saddr=198.18.1.70 daddr=198.19.1.70 "
"saddrv6=::ffff:198.18.1.70 daddrv6=::ffff:198.19.1.70 oldstate=TCP_LISTEN newstate=TCP_SYN_RECV\n"
/* Ports outside the range: dropped. */
"          <idle>-0       [000] ..s1.  1079.000003: inet_sock_set_state: family=AF_INET "
"protocol=IPPROTO_TCP sport=8081 dport=49592 saddr=198.18.1.7 daddr=198.19.1.7 "
"saddrv6=::ffff:198.18.1.7 daddrv6=::ffff:198.19.1.7 oldstate=TCP_SYN_SENT newstate=TCP_ESTABLISHED\n"
"          <idle>-0       [001] ..s1.  1080.250000: tcp_retransmit_synack: family=AF_INET6 "
"sport=20000 dport=20002 saddr=0.0.0.0 daddr=0.0.0.0 saddrv6=2001:db8:7464::1:7:1 "
"daddrv6=2001:db8:7464::1:7:2\n"
"          <idle>-0       [001] ..s1.  1081.500000: tcp_send_reset: skbaddr=0000 skaddr=0000 "
"src=[2001:db8:7464::1:7:1]:20000 dest=[2001:db8:7464::1:7:2]:20003 state=TCP_ESTABLISHED "
"reason=TCP_KEEPALIVE_TIMEOUT\n"
"          <idle>-0       [001] ..s1.  1082.000000: tcp_receive_reset: family=AF_INET "
"sport=20000 dport=20004 saddr=198.18.1.7 daddr=198.19.1.7 saddrv6=::ffff:198.18.1.7 "
"daddrv6=::ffff:198.19.1.7 sock_cookie=1a\n"
"garbage without an event\n";

START_TEST(test_trace_read_parses_and_filters)
{
	char dir[] = "/tmp/td-klab-XXXXXX", path[64];
	struct td_err err = { 0 };
	struct lab lab;
	struct lab_ev ev[16];
	FILE *fp;
	int n;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/trace", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs(trace_text, fp);
	fclose(fp);

	memset(&lab, 0, sizeof(lab));
	lab.tun.fd = -1;
	snprintf(lab.local4_s, sizeof(lab.local4_s), "198.18.1.7");
	snprintf(lab.local6_s, sizeof(lab.local6_s), "2001:db8:7464::1:7:1");
	lab.port_lo = 20000;
	lab.port_hi = 20008;
	n = lab_trace_read_file(&lab, path, ev, 16, &err);
	ck_assert_msg(n == 5, "%d events: %s", n, err.msg);

	ck_assert_int_eq(ev[0].kind, LAB_EV_STATE);
	ck_assert_uint_eq(ev[0].sport, 20000);
	ck_assert_uint_eq(ev[0].dport, 0);
	ck_assert_int_eq(ev[0].oldstate, 7);		/* CLOSE */
	ck_assert_int_eq(ev[0].newstate, 10);		/* LISTEN */
	ck_assert_uint_eq(ev[0].ts_ns, 1078969587000ull);
	ck_assert_str_eq(lab_state_name(ev[1].newstate), "SYN_RECV");
	ck_assert_int_eq(ev[2].kind, LAB_EV_RETRANSMIT_SYNACK);
	ck_assert_uint_eq(ev[2].dport, 20002);
	ck_assert_int_eq(ev[3].kind, LAB_EV_SEND_RESET);
	ck_assert_uint_eq(ev[3].sport, 20000);
	ck_assert_uint_eq(ev[3].dport, 20003);
	ck_assert_str_eq(ev[3].reason, "TCP_KEEPALIVE_TIMEOUT");
	ck_assert_int_eq(ev[4].kind, LAB_EV_RECEIVE_RESET);

	/* cap bounds the result. */
	ck_assert_int_eq(lab_trace_read_file(&lab, path, ev, 2, &err), 2);
	unlink(path);
	/* A missing buffer is an error with the path in it. */
	ck_assert_int_eq(lab_trace_read_file(&lab, path, ev, 16, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "/trace: No such file or directory"));
	rmdir(dir);
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
