/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/orphans.c on synthetic streams (KERNEL-FACTS S7, F11). */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

static void
feed_fw2(struct synth_run *r, int n)
{
	struct td_sock sk;
	int i;

	for (i = 0; i < n; i++) {
		sk = synth_sock(TD_ST_FIN_WAIT2, "10.0.0.1", 40000 + i, i % 4 ? "10.0.0.7" : "10.0.0.8", 80);
		sk.kind = TD_SK_TW;
		sk.inode = 0;
		sk.timer = TD_TIMER_TIMEWAIT;
		sk.timer_ms = 30000 + (uint32_t)i;
		synth_feed(r, &sk);
	}
}

START_TEST(test_orphans_fin_wait2)
{
	struct synth_run r;
	const struct td_finding *f;
	unsigned int j;
	bool fin = false;

	synth_begin(&r, "orphans");
	r.cfg.v[TD_TH_OR_FIN_WAIT2] = 20;
	feed_fw2(&r, 40);
	synth_finish(&r);
	f = synth_find(&r, "orphans.fin_wait2");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "orphaned_fin_wait2"), 40);
	ck_assert_int_eq(synth_ev(f, "tcp_fin_timeout"), 60);
	ck_assert_str_eq(td_ev_find(f, "top_peer")->s, "10.0.0.7");
	ck_assert_int_eq(synth_ev(f, "top_peer_sockets"), 30);
	for (j = 0; j < f->nreco; j++)
		if (strcmp(f->reco[j].key, "net.ipv4.tcp_fin_timeout") == 0) {
			fin = true;
			ck_assert_ptr_nonnull(strstr(f->reco[j].reason, "does not shorten TIME_WAIT"));
		}
	ck_assert(fin);
	synth_end(&r);
}
END_TEST

START_TEST(test_orphans_healthy_silent)
{
	struct synth_run r;
	struct td_sock sk;

	synth_begin(&r, "orphans");
	r.snap.ctr.v[TD_CTR_SOCK_ORPHAN] = 100;
	feed_fw2(&r, 50);
	/* A FIN_WAIT2 the application still holds (shutdown without close) is no orphan. */
	sk = synth_sock(TD_ST_FIN_WAIT2, "10.0.0.1", 41000, "10.0.0.9", 80);
	synth_feed(&r, &sk);
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

START_TEST(test_orphans_limit)
{
	struct synth_run r;
	const struct td_finding *f;

	synth_begin(&r, "orphans");
	synth_sys(&r.snap, TD_SYS_MAX_ORPHANS, 1000);
	r.snap.ctr.v[TD_CTR_SOCK_ORPHAN] = 950;
	r.snap.ctr.v[TD_CTR_ABORT_ON_MEMORY] = 12;
	synth_finish(&r);
	f = synth_find(&r, "orphans.limit");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_CRITICAL);
	ck_assert_int_eq(synth_ev(f, "orphans"), 950);
	ck_assert_int_eq(synth_ev(f, "abort_on_memory"), 12);
	ck_assert(synth_reco(&r, "net.ipv4.tcp_max_orphans"));
	synth_end(&r);
}
END_TEST

/*
 * Orphans seen in an earlier run: an orphaned FIN_WAIT1 first seen 1000 s
 * ago outlived the model's bound (8 retries from a 200 ms RTO: about
 * 102 s), one first seen 30 s ago did not; an orphaned FIN_WAIT2 seen
 * 90 s ago outlived tcp_fin_timeout (60 s).
 */
START_TEST(test_orphans_stuck)
{
	struct synth_run r;
	struct td_history prev, next;
	const struct td_finding *f;
	struct td_sock a, b, c;
	int64_t now;

	synth_begin(&r, "orphans");
	now = r.snap.meta.mono_ns;
	synth_prev(&r, &prev, 60);
	history_init(&next, &r.snap);
	r.run.ax.next = &next;
	a = synth_sock(TD_ST_FIN_WAIT1, "10.0.0.1", 40001, "10.0.0.5", 80);
	a.inode = 0;
	b = synth_sock(TD_ST_FIN_WAIT1, "10.0.0.1", 40002, "10.0.0.5", 80);
	b.inode = 0;
	c = synth_sock(TD_ST_FIN_WAIT2, "10.0.0.1", 40003, "10.0.0.6", 80);
	c.kind = TD_SK_TW;
	c.inode = 0;
	history_add_cookie(&prev, a.cookie, now - 1000LL * 1000000000);
	history_add_cookie(&prev, b.cookie, now - 30LL * 1000000000);
	history_add_cookie(&prev, c.cookie, now - 90LL * 1000000000);
	history_add_cookie(&prev, 0x1234, now);
	history_sort(&prev);
	synth_feed(&r, &a);
	synth_feed(&r, &b);
	synth_feed(&r, &c);
	synth_finish(&r);
	f = synth_find(&r, "orphans.stuck");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "stuck"), 2);
	ck_assert_str_eq(td_ev_find(f, "state")->s, "FIN_WAIT1");
	ck_assert_int_eq(synth_ev(f, "seen_for_s"), 1000);
	ck_assert_double_eq_tol(td_ev_find(f, "model_max_s")->f, 102.2, 0.1);
	ck_assert_str_eq(f->subject, "10.0.0.5:80");
	/* All three are remembered with their first-seen times. */
	ck_assert_uint_eq(next.ncookies, 3);
	synth_end(&r);
	history_free(&prev);
	history_free(&next);
}
END_TEST

/*
 * 30 orphans closed toward a peer that stopped answering: 25 FIN_WAIT1
 * retransmitting, 3 probing a zero window, 2 LAST_ACK; tcp_orphan_retries 0
 * means 8, about 102 s from a 200 ms RTO (the model).
 */
START_TEST(test_orphans_retransmitting)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock sk;
	unsigned int j;
	bool sys = false;
	int i;

	synth_begin(&r, "orphans");
	for (i = 0; i < 30; i++) {
		sk = synth_sock(i < 28 ? TD_ST_FIN_WAIT1 : TD_ST_LAST_ACK, "198.18.0.1", 40000 + i,
		    "198.18.0.2", 8080);
		sk.inode = 0;
		sk.timer = i >= 25 && i < 28 ? TD_TIMER_PERSIST : TD_TIMER_ON;
		sk.retrans = 2 + (unsigned)i % 4;
		sk.wqueue = 1000;
		sk.has_tcpi = true;
		sk.tcpi.backoff = (uint8_t)sk.retrans;
		synth_feed(&r, &sk);
	}
	/* One retransmission only, and one the application still holds: neither counts. */
	sk = synth_sock(TD_ST_FIN_WAIT1, "198.18.0.1", 41000, "198.18.0.2", 8080);
	sk.inode = 0;
	sk.timer = TD_TIMER_ON;
	sk.retrans = 1;
	synth_feed(&r, &sk);
	sk = synth_sock(TD_ST_FIN_WAIT1, "198.18.0.1", 41001, "198.18.0.2", 8080);
	sk.timer = TD_TIMER_ON;
	sk.retrans = 5;
	synth_feed(&r, &sk);
	synth_finish(&r);
	f = synth_find(&r, "orphans.retransmitting");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->subject, "198.18.0.2");
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "orphans_retransmitting"), 30);
	ck_assert_int_eq(synth_ev(f, "fin_wait1"), 28);
	ck_assert_int_eq(synth_ev(f, "last_ack"), 2);
	ck_assert_int_eq(synth_ev(f, "max_retrans"), 5);
	ck_assert_int_eq(synth_ev(f, "unacked_bytes"), 30000);
	ck_assert_int_eq(synth_ev(f, "orphan_retries_effective"), 8);
	ck_assert_int_eq(synth_ev(f, "retries_left"), 3);
	ck_assert_double_eq_tol(td_ev_find(f, "model_max_s")->f, 102.2, 1.0);
	for (j = 0; j < f->nreco; j++)
		if (strcmp(f->reco[j].key, "net.ipv4.tcp_orphan_retries") == 0) {
			sys = true;
			ck_assert_str_eq(f->reco[j].suggested, "3");
		}
	ck_assert(sys);
	synth_end(&r);
}
END_TEST

/* With tcp_orphan_retries=2 the bound is the model's for 2, and no lower value is suggested. */
START_TEST(test_orphans_retransmitting_low_retries)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock sk;

	synth_begin(&r, "orphans");
	synth_sys(&r.snap, TD_SYS_ORPHAN_RETRIES, 2);
	sk = synth_sock(TD_ST_CLOSING, "198.18.0.1", 40000, "198.18.0.2", 8080);
	sk.inode = 0;
	sk.timer = TD_TIMER_ON;
	sk.retrans = 2;
	synth_feed(&r, &sk);
	synth_finish(&r);
	f = synth_find(&r, "orphans.retransmitting");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_INFO);
	ck_assert_int_eq(synth_ev(f, "closing"), 1);
	ck_assert_int_eq(synth_ev(f, "orphan_retries_effective"), 2);
	ck_assert(td_ev_find(f, "model_max_s")->f < 5);
	ck_assert(!synth_reco(&r, "tcp_orphan_retries"));
	synth_end(&r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/orphans");
	TCase *tc = tcase_create("orphans");

	tcase_add_test(tc, test_orphans_fin_wait2);
	tcase_add_test(tc, test_orphans_healthy_silent);
	tcase_add_test(tc, test_orphans_limit);
	tcase_add_test(tc, test_orphans_stuck);
	tcase_add_test(tc, test_orphans_retransmitting);
	tcase_add_test(tc, test_orphans_retransmitting_low_retries);
	suite_add_tcase(s, tc);
	return s;
}
