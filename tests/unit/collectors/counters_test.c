/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/counters.c on procfs files copied from a real 6.18
 * kernel (tests/fixtures/proc/record.sh) and cases derived from them.  The
 * expected numbers were read off the fixture files by hand.
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/counters.h"
#include "collectors/snapshot.h"

static const char *
root(const char *name)
{
	return fixture_path("proc", name);
}

START_TEST(test_counters_read_real_kernel)
{
	struct td_counters c;
	struct td_err err = { 0 };
	int i;

	ck_assert_int_eq(counters_read(root("linux-6.18"), &c, &err), 0);
	/* 6.18 has every counter of the table. */
	for (i = 0; i < TD_CTR_MAX; i++)
		ck_assert_msg(c.present[i], "%s absent", td_counter_fields[i].json);
	ck_assert_uint_eq(c.v[TD_CTR_TW], 10);
	ck_assert_uint_eq(c.v[TD_CTR_ACTIVE_OPENS], 12);
	ck_assert_uint_eq(c.v[TD_CTR_OUT_SEGS], 303);
	ck_assert_uint_eq(c.v[TD_CTR_TW_OVERFLOW], 0);
	/* sockstat "TCP: inuse 1 orphan 5 tw 0 alloc 48 mem 3258" */
	ck_assert_uint_eq(c.v[TD_CTR_SOCK_INUSE], 1);
	ck_assert_uint_eq(c.v[TD_CTR_SOCK_ORPHAN], 5);
	ck_assert_uint_eq(c.v[TD_CTR_SOCK_TW], 0);
	ck_assert_uint_eq(c.v[TD_CTR_SOCK_ALLOC], 48);
	ck_assert_uint_eq(c.v[TD_CTR_SOCK_MEM], 3258);
	/* softnet_stat: 0xb + 0xad7 over two CPUs. */
	ck_assert_uint_eq(c.v[TD_CTR_SOFTNET_PROCESSED], 2786);
	ck_assert_uint_eq(c.v[TD_CTR_SOFTNET_DROPPED], 0);
	ck_assert_uint_eq(c.v[TD_CTR_SOFTNET_SQUEEZED], 0);
}
END_TEST

START_TEST(test_counters_read_absent_is_not_zero)
{
	static const int gone[] = {
		TD_CTR_TW_OVERFLOW, TD_CTR_REQQ_FULL_DO_COOKIES, TD_CTR_REQQ_FULL_DROP,
		TD_CTR_ZERO_WINDOW_DROP, TD_CTR_RCVQ_DROP, TD_CTR_IN_CSUM_ERRORS,
		TD_CTR_SOCK_INUSE, TD_CTR_SOCK_ORPHAN, TD_CTR_SOCK_TW, TD_CTR_SOCK_ALLOC,
		TD_CTR_SOCK_MEM, TD_CTR_SOFTNET_PROCESSED, TD_CTR_SOFTNET_DROPPED,
		TD_CTR_SOFTNET_SQUEEZED,
	};
	struct td_counters c;
	struct td_err err = { 0 };
	bool absent[TD_CTR_MAX] = { false };
	size_t i;

	ck_assert_int_eq(counters_read(root("old-kernel"), &c, &err), 0);
	for (i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		absent[gone[i]] = true;
	for (i = 0; i < TD_CTR_MAX; i++)
		ck_assert_msg(c.present[i] == !absent[i], "%s: present=%d",
		    td_counter_fields[i].json, c.present[i]);
	/* The columns after the removed ones still line up. */
	ck_assert_uint_eq(c.v[TD_CTR_TW], 10);
	ck_assert_uint_eq(c.v[TD_CTR_OUT_SEGS], 303);
}
END_TEST

START_TEST(test_counters_read_child_netns)
{
	struct td_counters c;
	struct td_err err = { 0 };

	ck_assert_int_eq(counters_read(root("child-netns"), &c, &err), 0);
	ck_assert(c.present[TD_CTR_ACTIVE_OPENS]);
	ck_assert_uint_eq(c.v[TD_CTR_ACTIVE_OPENS], 0);
	ck_assert_uint_eq(c.v[TD_CTR_TW], 0);
}
END_TEST

START_TEST(test_counters_read_malformed_netstat)
{
	struct td_counters c;
	struct td_err err = { 0 };

	ck_assert_int_eq(counters_read(root("malformed"), &c, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "malformed/net/netstat' line 2:"));
	ck_assert_ptr_nonnull(strstr(err.msg, "values for"));
}
END_TEST

START_TEST(test_counters_read_bad_softnet)
{
	struct td_counters c;
	struct td_err err = { 0 };

	ck_assert_int_eq(counters_read(root("bad-softnet"), &c, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "'0000zz12' is not hexadecimal"));
}
END_TEST

START_TEST(test_counters_read_missing_root)
{
	struct td_counters c;
	struct td_err err = { 0 };

	ck_assert_int_eq(counters_read(root("no-such-case"), &c, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot read"));
}
END_TEST

START_TEST(test_counters_find)
{
	ck_assert_int_eq(counters_find("listen_overflows"), TD_CTR_LISTEN_OVERFLOWS);
	ck_assert_int_eq(counters_find("softnet_time_squeeze"), TD_CTR_SOFTNET_SQUEEZED);
	ck_assert_int_eq(counters_find("ListenOverflows"), -1);
	ck_assert_str_eq(td_counter_fields[TD_CTR_TW_OVERFLOW].key, "TCPTimeWaitOverflow");
	ck_assert_int_eq(td_counter_fields[TD_CTR_CURR_ESTAB].kind, TD_GAUGE);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/counters");
	TCase *tc;

	tc = tcase_create("counters_read");
	tcase_add_test(tc, test_counters_read_real_kernel);
	tcase_add_test(tc, test_counters_read_absent_is_not_zero);
	tcase_add_test(tc, test_counters_read_child_netns);
	tcase_add_test(tc, test_counters_read_malformed_netstat);
	tcase_add_test(tc, test_counters_read_bad_softnet);
	tcase_add_test(tc, test_counters_read_missing_root);
	suite_add_tcase(s, tc);
	tc = tcase_create("counters_find");
	tcase_add_test(tc, test_counters_find);
	suite_add_tcase(s, tc);
	return s;
}
