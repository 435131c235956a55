/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/connects.c on synthetic streams (KERNEL-FACTS F19, Part B rows 7, 24). */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

/* n SYN_SENT sockets of pid 321 to dst:dport, each retransmitted retrans times. */
static void
feed_syn_sent(struct synth_run *r, int n, const char *dst, int dport, unsigned int retrans)
{
	struct td_sock sk;
	int i;

	for (i = 0; i < n; i++) {
		sk = synth_sock(TD_ST_SYN_SENT, "198.18.0.1", 40000 + i, dst, dport);
		sk.timer = TD_TIMER_ON;
		sk.retrans = retrans;
		sk.has_owner = true;
		sk.pid = 321;
		snprintf(sk.comm, sizeof(sk.comm), "dialer");
		synth_feed(r, &sk);
	}
}

START_TEST(test_connects_pile_per_destination)
{
	struct synth_run r;
	const struct td_finding *f;
	size_t i, n = 0;

	synth_begin(&r, "connects");
	synth_sys(&r.snap, TD_SYS_SYN_LINEAR_TIMEOUTS, 4);
	feed_syn_sent(&r, 12, "198.18.1.1", 80, 3);
	feed_syn_sent(&r, 2, "198.18.1.2", 443, 2);
	feed_syn_sent(&r, 40, "198.18.1.3", 80, 0);	/* just sent: not hanging */
	synth_finish(&r);
	for (i = 0; i < r.out.n; i++)
		n += strcmp(r.out.v[i].id, "connects.syn_sent") == 0;
	ck_assert_uint_eq(n, 2);
	f = synth_find(&r, "connects.syn_sent");
	ck_assert_str_eq(f->subject, "198.18.1.1:80");
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "syn_sent_retransmitting"), 12);
	ck_assert_int_eq(synth_ev(f, "max_retrans"), 3);
	ck_assert_int_eq(synth_ev(f, "pid"), 321);
	ck_assert_str_eq(td_ev_find(f, "command")->s, "dialer");
	/* The third retransmission leaves at 3 s (1, 1, 1 s linear timeouts). */
	ck_assert_double_eq_tol(td_ev_find(f, "waited_at_least_s")->f, 3.0, 0.01);
	ck_assert(td_ev_find(f, "connect_timeout_s")->f > 60);
	ck_assert(synth_reco(&r, "connect() timeout"));
	ck_assert_int_eq(r.out.v[1].severity, TD_SEV_INFO);
	ck_assert_str_eq(r.out.v[1].subject, "198.18.1.2:443");
	synth_end(&r);
}
END_TEST

/* The container first, the process second; the kill command for the pile. */
START_TEST(test_connects_container_and_kill)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock sk;
	unsigned int i;
	int k;

	synth_begin(&r, "connects");
	snprintf(r.snap.meta.netns, sizeof(r.snap.meta.netns), "pid:4242");
	for (k = 0; k < 3; k++) {
		sk = synth_sock(TD_ST_SYN_SENT, "198.18.0.1", 40000 + k, "198.18.1.1", 80);
		sk.timer = TD_TIMER_ON;
		sk.retrans = 3;
		sk.has_owner = true;
		sk.pid = 321;
		snprintf(sk.comm, sizeof(sk.comm), "dialer");
		snprintf(sk.container, sizeof(sk.container), "pod shop/cart-7f9c");
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	f = synth_find(&r, "connects.syn_sent");
	ck_assert_ptr_nonnull(f);
	ck_assert_msg(strstr(f->summary, "3 connect() attempts by pod shop/cart-7f9c (dialer[321]) to 198.18.1.1:80") == f->summary,
	    "%s", f->summary);
	ck_assert_str_eq(td_ev_find(f, "container")->s, "pod shop/cart-7f9c");
	for (i = 0; i < f->nreco && strcmp(f->reco[i].key, "kill") != 0; i++)
		;
	ck_assert_uint_lt(i, f->nreco);
	ck_assert_str_eq(f->reco[i].suggested,
	    "tcpdoctor --netns-pid 4242 kill --yes state syn-sent dst 198.18.1.1:80");
	synth_end(&r);
}
END_TEST

/*
 * Timeouts since the last run with AttemptFails moving and EstabResets
 * not: connect() attempts, named from the previous run's pile; dead_peers
 * says nothing about established connections.
 */
START_TEST(test_connects_timeouts_not_established)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;

	synth_begin(&r, "connects");
	r.run.enabled |= UINT64_C(1) << analyzer_index("dead_peers");
	synth_prev(&r, &prev, 30);
	history_set_gauge(&prev, "syn_sent:198.18.1.1:80", 12);
	r.snap.ctr.v[TD_CTR_ABORT_ON_TIMEOUT] = prev.ctr.v[TD_CTR_ABORT_ON_TIMEOUT] + 12;
	r.snap.ctr.v[TD_CTR_ATTEMPT_FAILS] = prev.ctr.v[TD_CTR_ATTEMPT_FAILS] + 12;
	synth_finish(&r);
	f = synth_find(&r, "connects.timeouts");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->subject, "198.18.1.1:80");
	ck_assert_int_eq(synth_ev(f, "connect_timeouts_max"), 12);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_ptr_null(synth_find(&r, "dead_peers.timeouts"));
	synth_end(&r);
	history_free(&prev);
}
END_TEST

/* Established resets moved too: dead_peers reports at most that many. */
START_TEST(test_connects_timeouts_mixed)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;

	synth_begin(&r, "connects");
	r.run.enabled |= UINT64_C(1) << analyzer_index("dead_peers");
	synth_prev(&r, &prev, 30);
	r.snap.ctr.v[TD_CTR_ABORT_ON_TIMEOUT] = 10;
	r.snap.ctr.v[TD_CTR_ATTEMPT_FAILS] = 7;
	r.snap.ctr.v[TD_CTR_ESTAB_RESETS] = 3;
	synth_finish(&r);
	ck_assert_int_eq(synth_ev(synth_find(&r, "connects.timeouts"), "connect_timeouts_max"), 7);
	f = synth_find(&r, "dead_peers.timeouts");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(synth_ev(f, "established_timeouts_max"), 3);
	synth_end(&r);
	history_free(&prev);
}
END_TEST

START_TEST(test_connects_healthy_silent)
{
	struct synth_run r;

	synth_begin(&r, "connects");
	feed_syn_sent(&r, 50, "198.18.1.1", 80, 1);	/* one lost SYN each: not a pile */
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/connects");
	TCase *tc = tcase_create("connects");

	tcase_add_test(tc, test_connects_pile_per_destination);
	tcase_add_test(tc, test_connects_container_and_kill);
	tcase_add_test(tc, test_connects_timeouts_not_established);
	tcase_add_test(tc, test_connects_timeouts_mixed);
	tcase_add_test(tc, test_connects_healthy_silent);
	suite_add_tcase(s, tc);
	return s;
}
