/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/sysctl.c on /proc/sys files copied from a real 6.18
 * kernel (tests/fixtures/proc/record.sh) and cases derived from them.
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "collectors/sysctl.h"

static const char *
root(const char *name)
{
	return fixture_path("proc", name);
}

START_TEST(test_sysctl_read_real_kernel)
{
	struct td_sysctls s;
	struct td_err err = { 0 };

	ck_assert_int_eq(sysctl_read(root("linux-6.18"), &s, &err), 0);
	/* tcp_tw_recycle was removed in 4.12 (F1): unreadable, not 0. */
	ck_assert(!s.s[TD_SYS_TW_RECYCLE].readable);
	ck_assert_int_eq(sysctl_int(&s, TD_SYS_TW_RECYCLE, -7), -7);
	ck_assert_int_eq(sysctl_int(&s, TD_SYS_SYNCOOKIES, -1), 1);
	ck_assert_int_eq(sysctl_int(&s, TD_SYS_SOMAXCONN, -1), 4096);
	ck_assert_int_eq(sysctl_int(&s, TD_SYS_TW_REUSE, -1), 2);
	ck_assert_int_eq(sysctl_int(&s, TD_SYS_MAX_ORPHANS, -1), 131072);
	ck_assert_int_eq(sysctl_int(&s, TD_SYS_CHALLENGE_ACK_LIMIT, -1), 2147483647);
	ck_assert(s.s[TD_SYS_PORT_RANGE].readable);
	ck_assert_int_eq(s.s[TD_SYS_PORT_RANGE].v[0], 32768);
	ck_assert_int_eq(s.s[TD_SYS_PORT_RANGE].v[1], 60999);
	ck_assert(s.s[TD_SYS_RESERVED_PORTS].readable);
	ck_assert_str_eq(s.reserved_ports, "");
	ck_assert_int_eq(s.s[TD_SYS_RESERVED_PORTS].v[0], 0);
	/* F12: 32768-60999 is 28232 ports. */
	ck_assert_int_eq(sysctl_usable_ports(&s), 28232);
}
END_TEST

/* F11: tcp_max_orphans is global and absent inside a child netns. */
START_TEST(test_sysctl_read_child_netns)
{
	struct td_sysctls s;
	struct td_err err = { 0 };

	ck_assert_int_eq(sysctl_read(root("child-netns"), &s, &err), 0);
	ck_assert(!s.s[TD_SYS_MAX_ORPHANS].readable);
	ck_assert(s.s[TD_SYS_SYNCOOKIES].readable);
	/* Absent from a directory that exists: not a blind spot. */
	ck_assert_int_eq(s.error[TD_SYS_MAX_ORPHANS], 0);
	ck_assert_uint_eq(sysctl_unreadable(&s, NULL, NULL), 0);
}
END_TEST

/* No /proc/sys at all (masked, not mounted): every knob is a blind spot. */
START_TEST(test_sysctl_read_masked)
{
	struct td_sysctls s;
	struct td_err err = { 0 };
	uint64_t mask;
	int code;

	ck_assert_int_eq(sysctl_read(root("procs"), &s, &err), 0);
	ck_assert_uint_eq(sysctl_unreadable(&s, &mask, &code), TD_SYS_MAX);
	ck_assert_int_eq(code, ENOENT);
	ck_assert_uint_eq(mask, (UINT64_C(1) << TD_SYS_MAX) - 1);
	ck_assert(!s.s[TD_SYS_SYNCOOKIES].readable);
}
END_TEST

START_TEST(test_sysctl_read_old_kernel)
{
	struct td_sysctls s;
	struct td_err err = { 0 };

	ck_assert_int_eq(sysctl_read(root("old-kernel"), &s, &err), 0);
	ck_assert(s.s[TD_SYS_TW_RECYCLE].readable);
	ck_assert_int_eq(s.s[TD_SYS_TW_RECYCLE].v[0], 0);
	ck_assert(!s.s[TD_SYS_TW_REUSE_DELAY].readable);
	ck_assert(!s.s[TD_SYS_EHASH_ENTRIES].readable);
	ck_assert_int_eq(s.error[TD_SYS_TW_REUSE_DELAY], 0);	/* too old to have it */
}
END_TEST

START_TEST(test_sysctl_read_malformed)
{
	struct td_sysctls s;
	struct td_err err = { 0 };

	ck_assert_int_eq(sysctl_read(root("bad-sysctl"), &s, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "net.ipv4.ip_local_port_range"));
	ck_assert_ptr_nonnull(strstr(err.msg, "'32768\tabc'"));
}
END_TEST

START_TEST(test_sysctl_usable_ports_reserved)
{
	struct td_sysctls s;
	struct td_err err = { 0 };

	ck_assert_int_eq(sysctl_read(root("reserved"), &s, &err), 0);
	ck_assert_str_eq(s.reserved_ports, "8080,9000-9010,9100,9200-9300");
	ck_assert_int_eq(s.s[TD_SYS_RESERVED_PORTS].v[0], 1 + 11 + 1 + 101);
	/* 9000-9100 is 101 ports; 9000-9010 and 9100 are inside it. */
	ck_assert_int_eq(sysctl_usable_ports(&s), 101 - 12);
}
END_TEST

static const struct {
	const char	*list;
	int64_t		 n;
} lists[] = {
	{ "", 0 }, { "\n", 0 }, { "80", 1 }, { "1-3,7", 4 }, { "1024-65535", 64512 },
	{ "5-3", -1 }, { "1,,2", -1 }, { "a", -1 }, { "70000", -1 }, { "1-", -1 },
	{ "-1", -1 }, { "1 2", -1 },
};

START_TEST(test_sysctl_count_ports_table)
{
	ck_assert_int_eq(sysctl_count_ports(lists[_i].list), lists[_i].n);
}
END_TEST

START_TEST(test_sysctl_usable_ports_unreadable)
{
	struct td_sysctls s;

	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(sysctl_usable_ports(&s), -1);
	s.s[TD_SYS_PORT_RANGE].readable = true;
	s.s[TD_SYS_PORT_RANGE].v[0] = 40000;
	s.s[TD_SYS_PORT_RANGE].v[1] = 40009;
	ck_assert_int_eq(sysctl_usable_ports(&s), 10);
}
END_TEST

/*
 * Values from a snapshot can be any int64: a range the kernel would refuse
 * (sysctl_net_ipv4.c: 1 <= low <= high <= 65535) is unknown (-1), and
 * counting it must not overflow (the sanitizer build would stop here).
 */
static const struct {
	int64_t	lo, hi, want;
} ranges[] = {
	{ INT64_MIN, INT64_MAX, -1 }, { INT64_MIN, 10, -1 }, { 0, INT64_MAX, -1 },
	{ 0, 10, -1 }, { 10, 9, -1 }, { 1, 65536, -1 }, { -5, -1, -1 },
	{ 1, 65535, 65535 }, { 32768, 60999, 28232 }, { 7, 7, 1 },
};

START_TEST(test_sysctl_usable_ports_extremes)
{
	struct td_sysctls s;

	memset(&s, 0, sizeof(s));
	s.s[TD_SYS_PORT_RANGE].readable = true;
	s.s[TD_SYS_PORT_RANGE].v[0] = ranges[_i].lo;
	s.s[TD_SYS_PORT_RANGE].v[1] = ranges[_i].hi;
	ck_assert_int_eq(sysctl_usable_ports(&s), ranges[_i].want);
	ck_assert(sysctl_port_range_ok(ranges[_i].lo, ranges[_i].hi) == (ranges[_i].want > 0));
}
END_TEST

START_TEST(test_sysctl_find)
{
	ck_assert_int_eq(sysctl_find("net.ipv4.tcp_syncookies"), TD_SYS_SYNCOOKIES);
	ck_assert_int_eq(sysctl_find("tcp_syncookies"), TD_SYS_SYNCOOKIES);
	ck_assert_int_eq(sysctl_find("somaxconn"), TD_SYS_SOMAXCONN);
	ck_assert_int_eq(sysctl_find("net.ipv6.tcp_syncookies"), -1);
	ck_assert_int_eq(sysctl_find("tcp_nope"), -1);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/sysctl");
	TCase *tc;

	tc = tcase_create("sysctl_read");
	tcase_add_test(tc, test_sysctl_read_real_kernel);
	tcase_add_test(tc, test_sysctl_read_child_netns);
	tcase_add_test(tc, test_sysctl_read_masked);
	tcase_add_test(tc, test_sysctl_read_old_kernel);
	tcase_add_test(tc, test_sysctl_read_malformed);
	suite_add_tcase(s, tc);
	tc = tcase_create("sysctl_usable_ports");
	tcase_add_test(tc, test_sysctl_usable_ports_reserved);
	tcase_add_test(tc, test_sysctl_usable_ports_unreadable);
	tcase_add_loop_test(tc, test_sysctl_usable_ports_extremes, 0,
	    (int)(sizeof(ranges) / sizeof(ranges[0])));
	tcase_add_loop_test(tc, test_sysctl_count_ports_table, 0,
	    (int)(sizeof(lists) / sizeof(lists[0])));
	suite_add_tcase(s, tc);
	tc = tcase_create("sysctl_find");
	tcase_add_test(tc, test_sysctl_find);
	suite_add_tcase(s, tc);
	return s;
}
