/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/slabinfo.c on /proc/slabinfo copied from a real 6.18
 * kernel (tests/fixtures/proc/linux-6.18/slabinfo) and cases derived from it.
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "collectors/slabinfo.h"
#include "collectors/snapshot.h"

static const char *const names[] = { "tw_sock_TCP", "request_sock_TCP", "TCP", "no_such_cache" };

START_TEST(test_slabinfo_read_real_kernel)
{
	struct td_slab s[4];
	struct td_err err = { 0 };

	ck_assert_int_eq(slabinfo_read(fixture_path("proc", "linux-6.18"), names, s, 4, &err), 0);
	/* struct tcp_timewait_sock rounds to 256 bytes on x86-64 6.18, not 4 KiB. */
	ck_assert(s[0].found);
	ck_assert_uint_eq(s[0].objsize, 256);
	ck_assert_uint_eq(s[0].objperslab, 16);
	ck_assert(s[1].found);
	ck_assert_uint_eq(s[1].objsize, 320);
	ck_assert(s[2].found);
	ck_assert_uint_eq(s[2].objsize, 2368);
	ck_assert_uint_le(s[2].active_objs, s[2].num_objs);
	ck_assert(!s[3].found);
}
END_TEST

/* SLUB merged tw_sock_TCP into another cache: the line is absent, no error. */
START_TEST(test_slabinfo_read_merged)
{
	struct td_slab s[4];
	struct td_err err = { 0 };

	ck_assert_int_eq(slabinfo_read(fixture_path("proc", "slab-merged"), names, s, 4, &err), 0);
	ck_assert(!s[0].found);
	ck_assert(s[2].found);
}
END_TEST

START_TEST(test_slabinfo_read_missing)
{
	struct td_slab s[4];
	struct td_err err = { 0 };

	ck_assert_int_eq(slabinfo_read(fixture_path("proc", "procs"), names, s, 4, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "slabinfo"));
}
END_TEST

/* A file that is not slabinfo 2.x is refused rather than misread. */
START_TEST(test_slabinfo_read_bad_version)
{
	struct td_slab s[4];
	struct td_err err = { 0 };

	ck_assert_int_eq(slabinfo_read(fixture_path("proc", "malformed"), names, s, 4, &err), -1);
	ck_assert_int_eq(err.code, EPROTO);
	ck_assert_ptr_nonnull(strstr(err.msg, "version 2"));
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/slabinfo");
	TCase *tc = tcase_create("slabinfo_read");

	tcase_add_test(tc, test_slabinfo_read_real_kernel);
	tcase_add_test(tc, test_slabinfo_read_merged);
	tcase_add_test(tc, test_slabinfo_read_missing);
	tcase_add_test(tc, test_slabinfo_read_bad_version);
	suite_add_tcase(s, tc);
	return s;
}
