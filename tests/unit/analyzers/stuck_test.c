/* SPDX-License-Identifier: MIT */
/*
 * Tests for analyzers/stuck.c on synthetic streams: sockets seen in an
 * earlier run (their cookies in the previous state) against the bound the
 * model computes for the snapshot's sysctls.
 */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

#define SEC	1000000000LL

/*
 * tcp_syn_retries 6 with 4 linear timeouts: the SYN schedule gives up about
 * 67 s after the first SYN (the model, tm_syn_giveup()); one SYN_SENT socket
 * seen 300 s ago is stuck, one seen 30 s ago is not; a SYN_SENT socket
 * seen for the first time has no age and is only remembered.
 */
START_TEST(test_stuck_syn_sent)
{
	struct synth_run r;
	struct td_history prev, next;
	const struct td_finding *f;
	struct td_sock a, b, c;
	int64_t now;

	synth_begin(&r, "stuck");
	now = r.snap.meta.mono_ns;
	synth_prev(&r, &prev, 60);
	history_init(&next, &r.snap);
	r.run.ax.next = &next;
	a = synth_sock(TD_ST_SYN_SENT, "198.18.0.1", 40001, "198.18.0.9", 443);
	b = synth_sock(TD_ST_SYN_SENT, "198.18.0.1", 40002, "198.18.0.9", 443);
	c = synth_sock(TD_ST_SYN_SENT, "198.18.0.1", 40003, "198.18.0.9", 443);
	history_add_cookie(&prev, a.cookie, now - 300 * SEC);
	history_add_cookie(&prev, b.cookie, now - 30 * SEC);
	history_sort(&prev);
	synth_feed(&r, &a);
	synth_feed(&r, &b);
	synth_feed(&r, &c);
	synth_finish(&r);
	f = synth_find(&r, "stuck.syn_sent");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "stuck"), 1);
	ck_assert_str_eq(td_ev_find(f, "state")->s, "SYN_SENT");
	ck_assert_str_eq(f->subject, "198.18.0.9:443");
	ck_assert_int_eq(synth_ev(f, "seen_for_s"), 300);
	ck_assert_int_eq(synth_ev(f, "tcp_syn_retries"), 6);
	/* The model's giveup plus the slack: well under 300 s, above 30 s. */
	ck_assert(td_ev_find(f, "model_max_s")->f > 30 && td_ev_find(f, "model_max_s")->f < 300);
	ck_assert_str_eq(td_ev_find(f, "bound_from")->s, "tcp_syn_retries, tcp_syn_linear_timeouts");
	ck_assert_uint_eq(next.ncookies, 3);
	ck_assert_uint_eq(r.out.n, 1);
	synth_end(&r);
	history_free(&prev);
	history_free(&next);
}
END_TEST

/* A lower tcp_syn_retries lowers the bound: 30 s is stuck with tcp_syn_retries 1. */
START_TEST(test_stuck_follows_sysctls)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;
	struct td_sock a;

	synth_begin(&r, "stuck");
	synth_sys(&r.snap, TD_SYS_SYN_RETRIES, 1);
	synth_start(&r);
	synth_prev(&r, &prev, 60);
	a = synth_sock(TD_ST_SYN_SENT, "198.18.0.1", 40001, "198.18.0.9", 443);
	history_add_cookie(&prev, a.cookie, r.snap.meta.mono_ns - 30 * SEC);
	history_sort(&prev);
	synth_feed(&r, &a);
	synth_finish(&r);
	f = synth_find(&r, "stuck.syn_sent");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(synth_ev(f, "tcp_syn_retries"), 1);
	ck_assert(td_ev_find(f, "model_max_s")->f < 30);
	synth_end(&r);
	history_free(&prev);
}
END_TEST

/*
 * Request sockets against tcp_synack_retries (5: about 63 s), and a
 * LAST_ACK the application holds (shutdown() in CLOSE_WAIT) against
 * tcp_retries2 (5 here: 12.6 s from a 200 ms RTO, plus that RTO and the
 * slack).  Orphans are orphans', ESTABLISHED has no bound: neither is stuck.
 */
START_TEST(test_stuck_other_states)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;
	struct td_sock req, la, la_young, orphan, est;
	int64_t now;

	synth_begin(&r, "stuck");
	synth_sys(&r.snap, TD_SYS_RETRIES2, 5);
	synth_start(&r);
	now = r.snap.meta.mono_ns;
	synth_prev(&r, &prev, 60);
	req = synth_sock(TD_ST_SYN_RECV, "198.18.0.1", 80, "198.18.0.7", 50000);
	req.kind = TD_SK_REQ;
	req.inode = 0;
	la = synth_sock(TD_ST_LAST_ACK, "198.18.0.1", 80, "198.18.0.8", 50001);
	la.has_tcpi = true;
	la.tcpi.rto = 200000;
	la_young = synth_sock(TD_ST_LAST_ACK, "198.18.0.1", 80, "198.18.0.8", 50002);
	orphan = synth_sock(TD_ST_LAST_ACK, "198.18.0.1", 80, "198.18.0.8", 50003);
	orphan.inode = 0;
	est = synth_sock(TD_ST_ESTABLISHED, "198.18.0.1", 80, "198.18.0.8", 50004);
	history_add_cookie(&prev, req.cookie, now - 120 * SEC);
	history_add_cookie(&prev, la.cookie, now - 100 * SEC);
	history_add_cookie(&prev, la_young.cookie, now - 10 * SEC);
	history_add_cookie(&prev, orphan.cookie, now - 500 * SEC);
	history_add_cookie(&prev, est.cookie, now - 900 * SEC);
	history_sort(&prev);
	synth_feed(&r, &req);
	synth_feed(&r, &la);
	synth_feed(&r, &la_young);
	synth_feed(&r, &orphan);
	synth_feed(&r, &est);
	synth_finish(&r);
	f = synth_find(&r, "stuck.syn_recv");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(synth_ev(f, "stuck"), 1);
	ck_assert_int_eq(synth_ev(f, "tcp_synack_retries"), 5);
	ck_assert(td_ev_find(f, "model_max_s")->f > 60 && td_ev_find(f, "model_max_s")->f < 120);
	f = synth_find(&r, "stuck.last_ack");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(synth_ev(f, "stuck"), 1);
	ck_assert_int_eq(synth_ev(f, "seen_for_s"), 100);
	ck_assert_int_eq(synth_ev(f, "tcp_retries2"), 5);
	ck_assert_double_eq_tol(td_ev_find(f, "model_max_s")->f, 12.6 + 0.2 + 5, 0.01);
	ck_assert_uint_eq(r.out.n, 2);
	synth_end(&r);
	history_free(&prev);
}
END_TEST

/* Without a previous run nothing has an age: silent. */
START_TEST(test_stuck_no_history_silent)
{
	struct synth_run r;
	struct td_sock a;

	synth_begin(&r, "stuck");
	a = synth_sock(TD_ST_SYN_SENT, "198.18.0.1", 40001, "198.18.0.9", 443);
	synth_feed(&r, &a);
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/stuck");
	TCase *tc = tcase_create("stuck");

	tcase_add_test(tc, test_stuck_syn_sent);
	tcase_add_test(tc, test_stuck_follows_sysctls);
	tcase_add_test(tc, test_stuck_other_states);
	tcase_add_test(tc, test_stuck_no_history_silent);
	suite_add_tcase(s, tc);
	return s;
}
