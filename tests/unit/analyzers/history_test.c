/* SPDX-License-Identifier: MIT */
/*
 * Tests for analyzers/history.c: the state file of check --state-file.
 * Parsing (good, empty, cut short at every byte, damaged, foreign, format
 * 1, u64 counters at their limits), the verdict on a loaded state (boot,
 * namespace inode and cookie, counters going backwards, a short window, a
 * newer sample) and the bounded cookie table.
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdint.h>
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

/* history_read() on a buffer of n bytes; *err gets the message. */
static int
read_buf(struct td_history *h, const char *buf, size_t n, struct td_err *err)
{
	FILE *fp;
	int rc;

	memset(err, 0, sizeof(*err));
	fp = n > 0 ? fmemopen((void *)buf, n, "r") : fopen("/dev/null", "r");
	ck_assert_ptr_nonnull(fp);
	rc = history_read(h, fp, "S", err);
	fclose(fp);
	return rc;
}

static int
read_str(struct td_history *h, const char *s, struct td_err *err)
{
	return read_buf(h, s, strlen(s), err);
}

/* The bytes history_save() writes for h. */
static char *
saved(struct td_history *h, size_t *n)
{
	struct td_err err = { 0 };
	char *buf;
	FILE *fp;
	long len;

	ck_assert_int_eq(history_save(h, path, &err), 0);
	fp = fopen(path, "r");
	ck_assert_ptr_nonnull(fp);
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	*n = (size_t)len;
	return buf;
}

static void
sample_state(struct td_snapshot *snap, struct td_history *h)
{
	synth_snap(snap);
	snap->meta.netns_cookie = 4097;
	snap->ctr.v[TD_CTR_OUT_RSTS] = 1234;
	snap->ctr.present[TD_CTR_TW_OVERFLOW] = false;
	history_init(h, snap);
	history_add_cookie(h, 0xdeadbeefcafeULL, 42);
	history_add_cookie(h, 7, 43);
	history_set_gauge(h, "close_wait:1:srv:80", 9);
	history_set_gauge(h, "close_wait:2:Web Content:0:", 4);	/* a comm with a blank */
}

START_TEST(test_history_roundtrip)
{
	struct td_snapshot snap;
	struct td_history h, back;
	struct td_err err = { 0 };
	int64_t v;

	sample_state(&snap, &h);
	ck_assert_int_eq(history_save(&h, path, &err), 0);
	ck_assert_int_eq(history_load(&back, path, &err), 0);
	ck_assert(back.valid);
	ck_assert_int_eq(back.version, 2);
	ck_assert_str_eq(back.boot_id, "b00t");
	ck_assert_uint_eq(back.netns_ino, snap.meta.netns_ino);
	ck_assert_uint_eq(back.netns_cookie, 4097);
	ck_assert_int_eq(back.mono_ns, snap.meta.mono_ns);
	ck_assert_int_eq(back.time_ns, snap.meta.time_ns);
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
	history_free(&h);
	history_free(&back);
}
END_TEST

/* Kernel counters are u64 and must come back exactly, up to 2^64-1. */
START_TEST(test_history_u64_counters)
{
	struct td_snapshot snap;
	struct td_history h, back;
	struct td_err err = { 0 };
	char buf[512];

	sample_state(&snap, &h);
	h.ctr.v[TD_CTR_OUT_RSTS] = UINT64_MAX;
	h.ctr.v[TD_CTR_IN_SEGS] = (uint64_t)INT64_MAX + 1;
	h.netns_ino = UINT64_MAX;
	h.netns_cookie = UINT64_MAX - 1;
	ck_assert_int_eq(history_save(&h, path, &err), 0);
	ck_assert_int_eq(history_load(&back, path, &err), 0);
	ck_assert(back.ctr.v[TD_CTR_OUT_RSTS] == UINT64_MAX);
	ck_assert(back.ctr.v[TD_CTR_IN_SEGS] == (uint64_t)INT64_MAX + 1);
	ck_assert(back.netns_ino == UINT64_MAX);
	ck_assert(back.netns_cookie == UINT64_MAX - 1);
	history_free(&back);

	/* 2^64 does not saturate to 2^64-1, and -1 does not wrap: damage. */
	static const char *const bad[] = { "18446744073709551616", "99999999999999999999999", "-1", "+5", "1e3", "0x10" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(buf, sizeof(buf), "tcpdoctor-state 2\nboot_id b\nnetns_ino 1\nnetns_cookie 1\nmono_ns 1\ntime_ns 1\n"
		    "counter out_rsts %s\nend\n", bad[i]);
		ck_assert_int_eq(read_str(&back, buf, &err), 1);
		ck_assert(!back.valid);
		ck_assert_msg(strstr(err.msg, "line 7: cannot parse") != NULL, "%s: %s", bad[i], err.msg);
	}
	history_free(&h);
}
END_TEST

/* Empty, blank, binary: no state, a warning (rc 1), and the file is replaced. */
START_TEST(test_history_empty_and_damaged)
{
	static const char zeros[600];
	struct td_history h;
	struct td_err err;
	FILE *fp;

	ck_assert_int_eq(history_load(&h, path, &err), 0);	/* missing: no state, no warning */
	ck_assert(!h.valid);
	ck_assert_str_eq(err.msg, "");

	fp = fopen(path, "w");	/* `: > FILE`, as configuration management does */
	fclose(fp);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(history_load(&h, path, &err), 1);
	ck_assert(!h.valid);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	ck_assert_ptr_nonnull(strstr(err.msg, path));

	ck_assert_int_eq(read_str(&h, "\n  \n\n", &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "empty"));
	ck_assert_int_eq(read_buf(&h, zeros, sizeof(zeros), &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "binary"));
	ck_assert_int_eq(read_buf(&h, "tcpdoctor-state 2\nboot_id \x01\x02\n", 28, &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 2: damaged (binary data)"));
	ck_assert_int_eq(read_buf(&h, "tcpdoctor-state 2\nboot\0_id x\n", 29, &err), 1);
	ck_assert_int_eq(read_str(&h, "tcpdoctor-state 2\nboot_id x\ncounter out_rsts many\nend\n", &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 3: cannot parse 'counter out_rsts many'"));
	ck_assert_int_eq(read_str(&h, "tcpdoctor-state 9\nwhatever\n", &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "format 9, from another version"));
	ck_assert_int_eq(read_str(&h, "tcpdoctor-state 2\nboot_id x\nend\n", &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "incomplete"));
	ck_assert_int_eq(read_str(&h, "tcpdoctor-state 2\nboot_id x\nnetns_ino 1\nnetns_cookie 1\n"
	    "mono_ns 1\ntime_ns 1\nend\ncounter out_rsts 5\n", &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 8: data after the end record"));
}
END_TEST

/* Text that was never a state file is refused (rc -1) and left alone. */
START_TEST(test_history_foreign)
{
	static const char *const foreign[] = {
		"garbage\n", "garbage", "# managed by puppet\n", "{\"json\": true}\n",
		"[resets]\nwarning = 10\n", "root:x:0:0:root:/root:/bin/bash\n",
	};
	struct td_history h;
	struct td_err err;
	size_t i;

	for (i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++) {
		ck_assert_int_eq(read_str(&h, foreign[i], &err), -1);
		ck_assert(!h.valid);
		ck_assert_msg(strstr(err.msg, "line 1: not a tcpdoctor state file (not replaced") != NULL,
		    "%s", err.msg);
	}
}
END_TEST

/*
 * A state cut short anywhere, at a line boundary or inside a line, is
 * never read as a state: the end record tells.  Counters cut inside their
 * digits would otherwise give enormous false deltas.
 */
START_TEST(test_history_truncated_everywhere)
{
	struct td_snapshot snap;
	struct td_history h, back;
	struct td_err err;
	char *buf;
	size_t n, len;

	sample_state(&snap, &h);
	buf = saved(&h, &len);
	ck_assert_int_eq(read_buf(&back, buf, len, &err), 0);
	ck_assert(back.valid);
	history_free(&back);
	for (n = 0; n < len; n++) {
		ck_assert_msg(read_buf(&back, buf, n, &err) == 1, "cut at %zu of %zu: %s", n, len, err.msg);
		ck_assert(!back.valid);
		ck_assert_ptr_null(back.cookies);
	}
	free(buf);
	history_free(&h);
}
END_TEST

/* Format 1 (before the namespace cookie and the end record) is read. */
START_TEST(test_history_format1)
{
	struct td_snapshot snap;
	struct td_history h;
	struct td_err err;
	char why[320];

	ck_assert_int_eq(read_str(&h, "tcpdoctor-state 1\nboot_id b00t\nnetns_ino 4026531840\n"
	    "mono_ns 940000000000\ntime_ns 1699999940000000000\ncounter out_rsts 18446744073709551615\n"
	    "counter some_future_counter 5\ncookie 2a 900000000000\ngauge close_wait:1:srv:80 3\n", &err), 0);
	ck_assert(h.valid);
	ck_assert_int_eq(h.version, 1);
	ck_assert_uint_eq(h.netns_cookie, 0);
	ck_assert(h.ctr.v[TD_CTR_OUT_RSTS] == UINT64_MAX);
	ck_assert_int_eq(history_first_seen(&h, 0x2a), 900000000000LL);

	/* Without a cookie it cannot prove its namespace where the kernel has one. */
	synth_snap(&snap);
	snap.ctr.v[TD_CTR_OUT_RSTS] = UINT64_MAX;
	snap.meta.netns_cookie = 1;
	ck_assert_int_eq(history_compare(&h, &snap, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)),
	    TD_HIST_UNVERIFIED);
	ck_assert_ptr_nonnull(strstr(why, "no namespace cookie in it"));
	/* On a kernel without cookies, inode and boot id are all there is. */
	snap.meta.netns_cookie = 0;
	ck_assert_int_eq(history_compare(&h, &snap, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_SAME);
	ck_assert_str_eq(why, "");
	history_free(&h);

	/* A format 1 file cut at a line boundary cannot be told; inside a line it can. */
	ck_assert_int_eq(read_str(&h, "tcpdoctor-state 1\nboot_id b00t\nnetns_ino 40265", &err), 1);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 3: cut short"));
}
END_TEST

/* The verdict: which state is this run's previous one. */
START_TEST(test_history_compare)
{
	struct td_snapshot snap, now;
	struct td_history prev;
	char why[320];

	synth_snap(&snap);
	snap.meta.netns_cookie = 77;
	snap.ctr.v[TD_CTR_OUT_RSTS] = 526281;
	snap.ctr.v[TD_CTR_CURR_ESTAB] = 50;
	history_init(&prev, &snap);

	now = snap;
	now.meta.mono_ns += 60LL * 1000000000;
	now.meta.time_ns += 60LL * 1000000000;
	now.ctr.v[TD_CTR_OUT_RSTS] += 10;
	now.ctr.v[TD_CTR_CURR_ESTAB] = 3;	/* a gauge may go down */
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_SAME);
	ck_assert_str_eq(why, "");
	ck_assert(history_usable(TD_HIST_SAME) && history_replaces(TD_HIST_SAME));

	/* Another boot: silently not a previous state, and replaced. */
	snprintf(now.meta.boot_id, sizeof(now.meta.boot_id), "other");
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)),
	    TD_HIST_OTHER_BOOT);
	ck_assert_str_eq(why, "");
	ck_assert(!history_usable(TD_HIST_OTHER_BOOT) && history_replaces(TD_HIST_OTHER_BOOT));

	/*
	 * The inode matches, the cookie does not: a namespace recreated on a
	 * reused nsfs inode.  Its counters restarted, but even if they had
	 * not, no delta across two namespaces.
	 */
	now = snap;
	now.meta.mono_ns += 60LL * 1000000000;
	now.meta.netns_cookie = 78;
	now.ctr.v[TD_CTR_OUT_RSTS] += 10;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_OTHER_NS);
	ck_assert_ptr_nonnull(strstr(why, "another network namespace"));
	ck_assert(!history_usable(TD_HIST_OTHER_NS) && history_replaces(TD_HIST_OTHER_NS));
	now.meta.netns_cookie = 77;
	now.meta.netns_ino++;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_OTHER_NS);

	/* Counters went backwards: the 526281 RSTs from an idle namespace. */
	now = snap;
	now.meta.mono_ns += 60LL * 1000000000;
	now.ctr.v[TD_CTR_OUT_RSTS] = 3;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_BACKWARDS);
	ck_assert_ptr_nonnull(strstr(why, "out_rsts 526281 then 3"));
	ck_assert(!history_usable(TD_HIST_BACKWARDS) && history_replaces(TD_HIST_BACKWARDS));
	/* A counter this kernel or the state lacks is not compared. */
	now.ctr.present[TD_CTR_OUT_RSTS] = false;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_SAME);

	/* 23 ms: ages and growth, no rates, and the state stays the baseline. */
	now = snap;
	now.meta.mono_ns += 23LL * 1000000;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_SHORT);
	ck_assert_ptr_nonnull(strstr(why, "0.023 s ago, less than the 1.000 s"));
	ck_assert(history_usable(TD_HIST_SHORT) && !history_replaces(TD_HIST_SHORT));
	now.meta.mono_ns = snap.meta.mono_ns + TD_HISTORY_MIN_WINDOW_NS;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_SAME);
	now.meta.mono_ns = snap.meta.mono_ns;	/* the same sample twice: no window at all */
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_SHORT);

	/* The state's sample is newer than this run's: never replaced by it. */
	now.meta.mono_ns = snap.meta.mono_ns - 1000000000;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_NEWER);
	ck_assert_ptr_nonnull(strstr(why, "newer sample"));
	ck_assert(!history_usable(TD_HIST_NEWER) && !history_replaces(TD_HIST_NEWER));
	/* Across boots only the wall clock orders a replayed snapshot. */
	snprintf(now.meta.boot_id, sizeof(now.meta.boot_id), "old");
	snprintf(now.meta.source, sizeof(now.meta.source), "file");
	now.meta.time_ns = snap.meta.time_ns - 1000000000;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_NEWER);
	snprintf(now.meta.source, sizeof(now.meta.source), "live");	/* the running boot is the newest */
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)),
	    TD_HIST_OTHER_BOOT);

	prev.valid = false;
	ck_assert_int_eq(history_compare(&prev, &now, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why)), TD_HIST_NONE);
	ck_assert(history_replaces(TD_HIST_NONE));
	history_free(&prev);
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

/* The table grows to its bound; past it sockets are counted, not dropped silently. */
START_TEST(test_history_cookies_bounded)
{
	struct td_snapshot snap;
	struct td_history h, back;
	struct td_err err = { 0 };
	uint64_t i;

	synth_snap(&snap);
	history_init(&h, &snap);
	for (i = 0; i < TD_HISTORY_COOKIES; i++)
		ck_assert(history_add_cookie(&h, i * 7919, (int64_t)i));
	for (i = 0; i < 10; i++)
		ck_assert(!history_add_cookie(&h, UINT64_MAX - i, 1));
	history_untracked(&h);
	ck_assert_uint_eq(h.ncookies, TD_HISTORY_COOKIES);
	ck_assert_uint_eq(h.untracked, 11);
	ck_assert_uint_le(h.cookies_cap, TD_HISTORY_COOKIES);
	ck_assert_int_eq(history_save(&h, path, &err), 0);
	ck_assert_int_eq(history_load(&back, path, &err), 0);
	ck_assert_uint_eq(back.ncookies, TD_HISTORY_COOKIES);
	ck_assert_uint_eq(back.untracked, 0);
	ck_assert_int_eq(history_first_seen(&back, (TD_HISTORY_COOKIES - 1) * 7919ULL), TD_HISTORY_COOKIES - 1);
	ck_assert_int_eq(history_first_seen(&back, UINT64_MAX), -1);
	history_free(&h);
	history_free(&back);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/history");
	TCase *tc = tcase_create("history");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_history_roundtrip);
	tcase_add_test(tc, test_history_u64_counters);
	tcase_add_test(tc, test_history_empty_and_damaged);
	tcase_add_test(tc, test_history_foreign);
	tcase_add_test(tc, test_history_truncated_everywhere);
	tcase_add_test(tc, test_history_format1);
	tcase_add_test(tc, test_history_compare);
	tcase_add_test(tc, test_history_lock_exclusive);
	tcase_add_test(tc, test_history_cookies_bounded);
	suite_add_tcase(s, tc);
	return s;
}
