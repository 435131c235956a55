/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/resets.c (KERNEL-FACTS S9): rates need a previous run. */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

START_TEST(test_resets_storm)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;

	synth_begin(&r, "resets");
	r.snap.ctr.v[TD_CTR_OUT_RSTS] = 70000;
	r.snap.ctr.v[TD_CTR_ATTEMPT_FAILS] = 100;
	synth_prev(&r, &prev, 60);
	prev.ctr.v[TD_CTR_OUT_RSTS] = 10000;	/* 1000/s */
	prev.ctr.v[TD_CTR_ATTEMPT_FAILS] = 100;
	synth_finish(&r);
	f = synth_find(&r, "resets.storm");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_CRITICAL);
	ck_assert_int_eq(synth_ev(f, "out_rsts_per_s"), 1000);
	ck_assert_int_eq(synth_ev(f, "out_rsts"), 60000);
	ck_assert_ptr_nonnull(strstr(f->summary, "refusing connections"));
	synth_end(&r);
	history_free(&prev);
}
END_TEST

START_TEST(test_resets_silent_without_history)
{
	struct synth_run r;

	synth_begin(&r, "resets");
	r.snap.ctr.v[TD_CTR_OUT_RSTS] = 1000000000;	/* since boot: says nothing about now */
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

START_TEST(test_resets_quiet_rate)
{
	struct synth_run r;
	struct td_history prev;

	synth_begin(&r, "resets");
	r.snap.ctr.v[TD_CTR_OUT_RSTS] = 10600;
	synth_prev(&r, &prev, 60);
	prev.ctr.v[TD_CTR_OUT_RSTS] = 10000;	/* 10/s */
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
	history_free(&prev);
}
END_TEST

/*
 * A counter that went backwards (a namespace recreated under the same
 * state) is never rated: its total since boot over the window was the
 * issue's CRITICAL "526281 RSTs/s" from an idle namespace.
 */
START_TEST(test_resets_backwards_not_rated)
{
	struct synth_run r;
	struct td_history prev;

	synth_begin(&r, "resets");
	r.snap.ctr.v[TD_CTR_OUT_RSTS] = 526281;
	r.snap.ctr.v[TD_CTR_ATTEMPT_FAILS] = 90000;
	synth_prev(&r, &prev, 1);
	prev.ctr.v[TD_CTR_OUT_RSTS] = 600000;
	prev.ctr.v[TD_CTR_ATTEMPT_FAILS] = 100000;
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
	history_free(&prev);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/resets");
	TCase *tc = tcase_create("resets");

	tcase_add_test(tc, test_resets_storm);
	tcase_add_test(tc, test_resets_silent_without_history);
	tcase_add_test(tc, test_resets_quiet_rate);
	tcase_add_test(tc, test_resets_backwards_not_rated);
	suite_add_tcase(s, tc);
	return s;
}
