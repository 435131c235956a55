/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/history.c: the state file of check --state-file. */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/history.h"
#include "tests/unit/analyzers/synth.h"

static char dir[64], path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/td-hist-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/state", dir);
}

static void
teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

START_TEST(test_history_roundtrip)
{
	struct td_snapshot snap, later;
	struct td_history h, back;
	struct td_err err = { 0 };
	int64_t v;

	synth_snap(&snap);
	snap.ctr.v[TD_CTR_OUT_RSTS] = 1234;
	snap.ctr.present[TD_CTR_TW_OVERFLOW] = false;
	history_init(&h, &snap);
	history_add_cookie(&h, 0xdeadbeefcafeULL, 42);
	history_add_cookie(&h, 7, 43);
	history_set_gauge(&h, "close_wait:1:srv:80", 9);
	history_set_gauge(&h, "close_wait:2:Web Content:0:", 4);	/* a comm with a blank */
	ck_assert_int_eq(history_save(&h, path, &err), 0);
	ck_assert_int_eq(history_load(&back, path, &err), 0);
	ck_assert(back.valid);
	ck_assert_str_eq(back.boot_id, "b00t");
	ck_assert_uint_eq(back.ctr.v[TD_CTR_OUT_RSTS], 1234);
	ck_assert(back.ctr.present[TD_CTR_OUT_RSTS]);
	ck_assert(!back.ctr.present[TD_CTR_TW_OVERFLOW]);
	ck_assert_int_eq(history_first_seen(&back, 0xdeadbeefcafeULL), 42);
	ck_assert_int_eq(history_first_seen(&back, 7), 43);
	ck_assert_int_eq(history_first_seen(&back, 8), -1);
	ck_assert(history_gauge(&back, "close_wait:1:srv:80", &v));
	ck_assert_int_eq(v, 9);
	ck_assert(history_gauge(&back, "close_wait:2:Web Content:0:", &v));
	ck_assert_int_eq(v, 4);

	/* Same boot and netns, later: usable.  Another boot or netns: not. */
	later = snap;
	later.meta.mono_ns += 60LL * 1000000000;
	ck_assert(history_matches(&back, &later));
	snprintf(later.meta.boot_id, sizeof(later.meta.boot_id), "other");
	ck_assert(!history_matches(&back, &later));
	later = snap;
	later.meta.mono_ns += 1;
	later.meta.netns_ino++;
	ck_assert(!history_matches(&back, &later));
	history_free(&h);
	history_free(&back);
}
END_TEST

START_TEST(test_history_missing_and_malformed)
{
	struct td_history h;
	struct td_err err = { 0 };
	FILE *fp;

	ck_assert_int_eq(history_load(&h, path, &err), 0);
	ck_assert(!h.valid);
	fp = fopen(path, "w");
	fputs("tcpdoctor-state 1\nboot_id x\ncounter out_rsts many\n", fp);
	fclose(fp);
	ck_assert_int_eq(history_load(&h, path, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 3: cannot parse 'counter out_rsts many'"));
	memset(&err, 0, sizeof(err));
	fp = fopen(path, "w");
	fputs("{\"json\": true}\n", fp);
	fclose(fp);
	ck_assert_int_eq(history_load(&h, path, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a tcpdoctor state file"));
}
END_TEST

START_TEST(test_history_lock_exclusive)
{
	struct td_err err = { 0 };
	int a, b;

	a = history_lock(path, 0, &err);
	ck_assert_int_ge(a, 0);
	b = history_lock(path, 0, &err);	/* flock is per open file description */
	ck_assert_int_eq(b, -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "held by another run"));
	history_unlock(a);
	memset(&err, 0, sizeof(err));
	b = history_lock(path, 0, &err);
	ck_assert_int_ge(b, 0);
	history_unlock(b);
}
END_TEST

START_TEST(test_history_cookies_bounded)
{
	struct td_snapshot snap;
	struct td_history h;
	uint64_t i;

	synth_snap(&snap);
	history_init(&h, &snap);
	for (i = 0; i < TD_HISTORY_COOKIES + 10; i++)
		history_add_cookie(&h, i, 1);
	ck_assert_uint_eq(h.ncookies, TD_HISTORY_COOKIES);
	ck_assert(h.cookies_full);
	history_free(&h);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/history");
	TCase *tc = tcase_create("history");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_history_roundtrip);
	tcase_add_test(tc, test_history_missing_and_malformed);
	tcase_add_test(tc, test_history_lock_exclusive);
	tcase_add_test(tc, test_history_cookies_bounded);
	suite_add_tcase(s, tc);
	return s;
}
