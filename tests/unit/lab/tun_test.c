/* SPDX-License-Identifier: MIT */
/*
 * Tests for lab/tun.c.  As root each test moves its (forked) process into a
 * new network namespace and drives a real TUN device there: addresses,
 * routes, link state over rtnetlink, reads with timeouts, and a SYN written
 * to the kernel answered with a RST.  Without root they check the errors.
 */
#include "tests/unit/check_main.h"

#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "tcp/segment.h"
#include "lab/tun.h"

static void
write_proc(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd >= 0) {
		ck_assert_int_eq(write(fd, val, strlen(val)), (ssize_t)strlen(val));
		close(fd);
	}
}

/* A namespace with lo up and an IPv4-only TUN device 198.18.0.1/24; false without root. */
static bool
lab(struct lab_tun *t)
{
	struct td_err err = { 0 };
	struct tm_addr a;

	if (geteuid() != 0)
		return false;
	ck_assert_int_eq(unshare(CLONE_NEWNET), 0);
	write_proc("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	ck_assert_msg(lab_link_up("lo", &err) == 0, "%s", err.msg);
	ck_assert_msg(lab_tun_open(t, "tdt0", &err) == 0, "%s", err.msg);
	ck_assert_str_eq(t->name, "tdt0");
	ck_assert_int_gt(t->ifindex, 0);
	ck_assert_msg(lab_tun_up(t, &err) == 0, "%s", err.msg);
	tm_addr_parse("198.18.0.1", &a);
	ck_assert_msg(lab_tun_addr(t, &a, 24, &err) == 0, "%s", err.msg);
	return true;
}

START_TEST(test_read_times_out)
{
	struct td_err err = { 0 };
	struct lab_tun t;
	uint8_t buf[2048];
	uint64_t ts = 0, t0;

	if (!lab(&t))
		return;
	t0 = lab_now_ns();
	ck_assert_int_eq(lab_tun_read(&t, buf, sizeof(buf), 60, &ts, &err), 0);
	ck_assert_uint_ge(lab_now_ns() - t0, 55000000ull);
	ck_assert_int_eq(lab_tun_read(&t, buf, sizeof(buf), 0, &ts, &err), 0);
	lab_tun_close(&t);
	lab_tun_close(&t);
}
END_TEST

START_TEST(test_syn_gets_rst_through_route)
{
	struct td_err err = { 0 };
	struct lab_tun t;
	struct tm_addr net;
	struct tm_seg s, r;
	uint8_t buf[2048];
	uint64_t ts = 0, before;
	int n;

	if (!lab(&t))
		return;
	/* The peer lives in a prefix reached only through the route. */
	tm_addr_parse("198.19.0.0", &net);
	ck_assert_msg(lab_tun_route(&t, &net, 16, &err) == 0, "%s", err.msg);
	memset(&s, 0, sizeof(s));
	tm_addr_parse("198.19.0.2", &s.src);
	tm_addr_parse("198.18.0.1", &s.dst);
	s.sport = 40000;
	s.dport = 9;			/* nobody listens: RST */
	s.seq = 12345;
	s.flags = TM_SYN;
	s.wnd = 1000;
	n = tm_seg_encode(&s, buf, sizeof(buf), &err);
	ck_assert_int_gt(n, 0);
	before = lab_now_ns();
	ck_assert_msg(lab_tun_write(&t, buf, (size_t)n, &err) == 0, "%s", err.msg);
	n = lab_tun_read(&t, buf, sizeof(buf), 1000, &ts, &err);
	ck_assert_msg(n > 0, "no reply: %s", err.msg);
	ck_assert_uint_ge(ts, before);
	ck_assert_int_eq(tm_seg_decode(buf, (size_t)n, &r, &err), TM_DEC_OK);
	ck_assert_uint_eq(r.flags, TM_RST | TM_ACK);
	ck_assert_uint_eq(r.ack, 12346);
	ck_assert_uint_eq(r.sport, 9);
	ck_assert_uint_eq(r.dport, 40000);
	lab_tun_close(&t);
}
END_TEST

START_TEST(test_rtnetlink_errors)
{
	struct td_err err = { 0 };
	struct lab_tun t;
	struct tm_addr a;

	if (!lab(&t)) {
		ck_assert_int_eq(lab_tun_open(&t, "tdt0", &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "/dev/net/tun"));
		return;
	}
	tm_addr_parse("198.18.0.1", &a);
	ck_assert_int_eq(lab_tun_addr(&t, &a, 24, &err), -1);
	ck_assert_str_eq(err.msg, "adding 198.18.0.1/24 to tdt0: File exists");
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(lab_link_up("tdt-nosuch", &err), -1);
	ck_assert_str_eq(err.msg, "link 'tdt-nosuch': No such device");
	lab_tun_close(&t);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(lab_tun_write(&t, (const uint8_t *)"x", 1, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "Bad file descriptor"));
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("lab/tun");
	TCase *tc;

	tc = tcase_create("device");
	tcase_add_test(tc, test_read_times_out);
	tcase_add_test(tc, test_syn_gets_rst_through_route);
	tcase_add_test(tc, test_rtnetlink_errors);
	suite_add_tcase(s, tc);
	return s;
}
