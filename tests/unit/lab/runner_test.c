/* SPDX-License-Identifier: MIT */
/*
 * Tests for lab/runner.c and lab/model.c without root: every conformance
 * scenario played by the model alone must meet the scenario's expectations
 * (taken from KERNEL-FACTS Part C), except the known model gaps; the
 * deliberately wrong models must fail the scenarios that catch them; and
 * lab_run_compare() judges times, texts and checkpoints as documented.
 * The kernel leg runs in tests/conformance/ (root, TUN, tracefs).
 */
#include "tests/unit/check_main.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "collectors/snapshot.h"
#include "lab/runner.h"
#include "sim/sim.h"
#include "tcp/tm.h"

/* The linux profile with the scenario's sysctls, as the namespace would have them. */
static struct tm_profile
scen_profile(const struct lab_scen *sc)
{
	struct tm_profile p = tm_profile_linux();
	const struct lab_step *st;
	char as[128], msg[128];

	for (st = sc->steps; st->op != KS_END; st++) {
		if (st->op != KS_SYSCTL)
			continue;
		snprintf(as, sizeof(as), "%s=%s", st->s1, st->s2);
		ck_assert_msg(tm_knob_set(&p, as, msg, sizeof(msg)) == 0, "%s: %s", as, msg);
	}
	return p;
}

static int
nscen(void)
{
	int n = 0;

	while (lab_scens[n].name != NULL)
		n++;
	return n;
}

static void
model_run(const struct lab_scen *sc, int family, enum lab_mut mut, struct lab_run *run)
{
	struct td_err err = { 0 };
	struct tm_profile p = scen_profile(sc);
	struct sim_xscript *xs = NULL;
	char why[400];

	memset(run, 0, sizeof(*run));
	run->family = family;
	run->base_port = 20000;
	if (sc->script != NULL) {
		/* A scenario written as a script: the command's compiler makes its steps. */
		xs = sim_xscript_of(sc, why, sizeof(why));
		ck_assert_msg(xs != NULL, "%s: %s", sc->name, why);
		sc = sim_xscript_scen(xs);
	}
	ck_assert_msg(lab_run_model(&p, sc, run, mut, &err) == 0, "%s: %s", sc->name, err.msg);
	/* Every expectation of a script was judged (a run that judged none cannot fail). */
	if (xs != NULL) {
		ck_assert_ptr_nonnull(run->x);
		run->scen = NULL;	/* freed with its compiler's steps */
	}
	sim_xscript_free(xs);
}

START_TEST(test_model_meets_scenario)
{
	const struct lab_scen *sc = &lab_scens[_i / 2];
	struct lab_run run;

	model_run(sc, _i % 2 ? AF_INET6 : AF_INET, LAB_MUT_NONE, &run);
	if (sc->model_todo == NULL && run.failed) {
		lab_run_print(&run, stderr);
		ck_abort_msg("%s: %s", sc->name, run.why);
	}
	/* A scenario marked as a known gap that now passes should lose its mark. */
	if (sc->model_todo != NULL && !run.failed)
		fprintf(stderr, "# %s: the model now meets the scenario; drop model_todo\n", sc->name);
	lab_run_free(&run);
}
END_TEST

static const struct {
	enum lab_mut	 mut;
	const char	*scen;
} caught[] = {
	{ LAB_MUT_NO_TW_REARM, "server-close" },
	{ LAB_MUT_NO_TW_REARM, "crossed-fins" },
	{ LAB_MUT_SYNACK_EXPIRY_RST, "synack-expiry" },
};

START_TEST(test_wrong_model_is_caught)
{
	const struct lab_scen *sc = lab_scen_find(caught[_i].scen);
	struct lab_run good, bad;

	ck_assert_ptr_nonnull(sc);
	model_run(sc, AF_INET, LAB_MUT_NONE, &good);
	model_run(sc, AF_INET, caught[_i].mut, &bad);
	ck_assert_msg(!good.failed, "%s: %s", sc->name, good.why);
	ck_assert_msg(bad.failed, "%s: the mutated model passed", sc->name);
	/* And the comparison of the two runs finds the difference. */
	ck_assert_int_gt(lab_run_compare(&good, &bad, NULL), 0);
	ck_assert_int_eq(lab_run_compare(&good, &good, NULL), 0);
	lab_run_free(&good);
	lab_run_free(&bad);
}
END_TEST

START_TEST(test_isn_clock_catches_a_4us_tick)
{
	const struct lab_scen *sc = lab_scen_find("isn-clock");
	struct tm_profile p = tm_profile_linux();
	struct td_err err = { 0 };
	struct lab_run run = { 0 };

	ck_assert_ptr_nonnull(sc);
	p.isn_tick_ns = 4000;		/* RFC 6528's 4 us clock instead of Linux's 64 ns */
	run.family = AF_INET;
	run.base_port = 20000;
	ck_assert_int_eq(lab_run_model(&p, sc, &run, LAB_MUT_NONE, &err), 0);
	ck_assert(run.failed);
	ck_assert_msg(strstr(run.why, "ISNs advance 0.25") != NULL, "%s", run.why);
	lab_run_free(&run);
}
END_TEST

/* ---- lab_run_compare on synthetic records ---- */

static void
add(struct lab_run *run, struct lab_rec *v, size_t *n, int step, enum lab_rec_kind kind,
    uint64_t t_ms, uint64_t dt_ms, uint64_t timer_ms, const char *text)
{
	struct lab_rec *e = &v[(*n)++];

	memset(e, 0, sizeof(*e));
	e->t_ns = t_ms * 1000000ull;
	e->dt_ns = dt_ms * 1000000ull;
	e->timer_ns = timer_ms * 1000000ull;
	e->kind = kind;
	e->step = step;
	e->c = kind == KR_TRACE ? -1 : 0;
	snprintf(e->text, sizeof(e->text), "%s", text);
	run->rec = v;
	run->nrec = *n;
}

static const struct {
	uint64_t	 kdt, mdt, mtimer;	/* ms */
	const char	*ktext, *mtext;
	int		 diffs;
	const char	*what;
} cmp_cases[] = {
	{ 1000, 1000, 0, "S. 0 1 0 -", "S. 0 1 0 -", 0, "identical" },
	{ 1035, 1000, 1000, "S. 0 1 0 -", "S. 0 1 0 -", 0, "late within 5 % + wheel slack" },
	{ 1200, 1000, 1000, "S. 0 1 0 -", "S. 0 1 0 -", 1, "200 ms late on a 1 s timer" },
	{ 940, 1000, 1000, "S. 0 1 0 -", "S. 0 1 0 -", 1, "60 ms early on a 1 s timer" },
	{ 15, 0, 0, "S. 0 1 0 -", "S. 0 1 0 -", 0, "an immediate reply 15 ms later" },
	{ 30, 0, 0, "S. 0 1 0 -", "S. 0 1 0 -", 1, "an immediate reply 30 ms later" },
	{ 228, 200, 1000, ". 1 1 0 -", ". 1 1 0 -", 0, "gap 200 ms, behind it a 1 s timer" },
	{ 0, 0, 0, "S. 0 1 0 mss", "S. 0 1 0 -", 1, "option presence differs" },
	{ 0, 0, 0, "R 1 - 0 -", "R. 1 1 0 -", 1, "flags differ" },
};

START_TEST(test_compare_times_and_texts)
{
	struct lab_rec kv[4], mv[4];
	struct lab_run k = { 0 }, m = { 0 };
	size_t nk = 0, nm = 0;

	add(&k, kv, &nk, 0, KR_OUT, 5000, cmp_cases[_i].kdt, 0, cmp_cases[_i].ktext);
	add(&m, mv, &nm, 0, KR_OUT, 5000, cmp_cases[_i].mdt, cmp_cases[_i].mtimer,
	    cmp_cases[_i].mtext);
	ck_assert_msg(lab_run_compare(&k, &m, NULL) == cmp_cases[_i].diffs, "%s",
	    cmp_cases[_i].what);
}
END_TEST

START_TEST(test_compare_checkpoints_and_missing)
{
	struct lab_rec kv[8], mv[8];
	struct lab_run k = { 0 }, m = { 0 };
	size_t nk = 0, nm = 0;

	add(&k, kv, &nk, 1, KR_CHECK, 0, 0, 0, "ss TIME_WAIT timer 59996 ms");
	add(&m, mv, &nm, 1, KR_CHECK, 0, 0, 0, "ss TIME_WAIT timer 60000 ms");
	ck_assert_int_eq(lab_run_compare(&k, &m, NULL), 0);
	/* 1.5 s off: a TIME_WAIT that was not re-armed. */
	snprintf(mv[0].text, sizeof(mv[0].text), "ss TIME_WAIT timer 58500 ms");
	ck_assert_int_eq(lab_run_compare(&k, &m, NULL), 1);
	snprintf(mv[0].text, sizeof(mv[0].text), "ss none");
	ck_assert_int_eq(lab_run_compare(&k, &m, NULL), 1);
	/* A segment only one side sent. */
	snprintf(mv[0].text, sizeof(mv[0].text), "ss TIME_WAIT timer 60000 ms");
	add(&k, kv, &nk, 2, KR_OUT, 10, 10, 0, "R 2 - 0 -");
	ck_assert_int_eq(lab_run_compare(&k, &m, NULL), 1);
	/* Trace events compare in order; reset events are the kernel's alone. */
	add(&k, kv, &nk, -1, KR_TRACE, 0, 0, 0, "L send_reset(TCP_FLAGS)");
	ck_assert_int_eq(lab_run_compare(&k, &m, NULL), 1);
	add(&k, kv, &nk, -1, KR_TRACE, 0, 0, 0, "c0 FIN_WAIT1>CLOSING");
	add(&m, mv, &nm, -1, KR_TRACE, 0, 0, 0, "c0 FIN_WAIT1>FIN_WAIT2");
	ck_assert_int_eq(lab_run_compare(&k, &m, NULL), 2);
}
END_TEST

START_TEST(test_kscen_find)
{
	ck_assert_ptr_nonnull(lab_scen_find("synack-expiry"));
	ck_assert_ptr_null(lab_scen_find("nosuch"));
	ck_assert_ptr_null(lab_scen_find(""));
}
END_TEST

/*
 * One namespace for `sim NAME` and `sim --against-kernel NAME`: the model's
 * scenarios (sim/scenarios.c) and the conformance scenarios are different
 * experiments, so no name may stand for both.
 */
START_TEST(test_scenario_names_disjoint)
{
	const struct tm_scenario *sc;
	const struct lab_scen *k;
	size_t n, i;

	sc = tm_scenarios(&n);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++)
		ck_assert_msg(lab_scen_find(sc[i].name) == NULL,
		    "'%s' names both a sim scenario and a conformance scenario", sc[i].name);
	for (k = lab_scens; k->name != NULL; k++)
		ck_assert_ptr_null(tm_scenario_find(k->name));
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("lab/runner");
	TCase *tc;

	tc = tcase_create("model");
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_model_meets_scenario, 0, 2 * nscen());
	tcase_add_loop_test(tc, test_wrong_model_is_caught, 0,
	    (int)(sizeof(caught) / sizeof(caught[0])));
	tcase_add_test(tc, test_isn_clock_catches_a_4us_tick);
	suite_add_tcase(s, tc);

	tc = tcase_create("compare");
	tcase_add_loop_test(tc, test_compare_times_and_texts, 0,
	    (int)(sizeof(cmp_cases) / sizeof(cmp_cases[0])));
	tcase_add_test(tc, test_compare_checkpoints_and_missing);
	tcase_add_test(tc, test_kscen_find);
	tcase_add_test(tc, test_scenario_names_disjoint);
	suite_add_tcase(s, tc);
	return s;
}
