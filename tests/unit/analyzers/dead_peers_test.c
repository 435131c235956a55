/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/dead_peers.c on synthetic streams (KERNEL-FACTS S8, F9, F19). */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

START_TEST(test_dead_peers_retransmitting)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock sk;
	int i;

	synth_begin(&r, "dead_peers");
	for (i = 0; i < 12; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 40000 + i, "10.0.0.66", 5432);
		sk.timer = TD_TIMER_ON;
		sk.retrans = 5;
		sk.wqueue = 1000;
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	f = synth_find(&r, "dead_peers.retransmitting");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "retransmitting"), 12);
	ck_assert_int_eq(synth_ev(f, "unacked_bytes"), 12000);
	ck_assert_str_eq(td_ev_find(f, "top_peer")->s, "10.0.0.66");
	/* tcp_retries2=15 at a 200 ms RTO: 924.6 s (ip-sysctl.rst). */
	ck_assert_double_eq_tol(td_ev_find(f, "give_up_s")->f, 924.6, 0.01);
	ck_assert(synth_reco(&r, "TCP_USER_TIMEOUT"));
	synth_end(&r);
}
END_TEST

START_TEST(test_dead_peers_idle_no_keepalive)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 6379, "0.0.0.0", 0), sk;
	int i;

	synth_begin(&r, "dead_peers");
	synth_feed(&r, &l);
	for (i = 0; i < 150; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 6379, "10.0.1.1", 30000 + i);
		sk.has_tcpi = true;
		sk.tcpi.last_data_recv = sk.tcpi.last_data_sent = 4000 * 1000;
		sk.has_owner = true;
		sk.pid = 99;
		snprintf(sk.comm, sizeof(sk.comm), "redis");
		synth_feed(&r, &sk);
	}
	/* 200 children still in the accept queue (inode 0): not idle connections. */
	for (i = 0; i < 200; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 6379, "10.0.2.1", 30000 + i);
		sk.inode = 0;
		sk.has_tcpi = true;
		sk.tcpi.last_data_recv = sk.tcpi.last_data_sent = 4000 * 1000;
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	f = synth_find(&r, "dead_peers.no_keepalive");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_INFO);
	ck_assert_str_eq(f->subject, "redis[99] port 6379");
	ck_assert_int_eq(synth_ev(f, "idle_without_keepalive"), 150);
	ck_assert_int_eq(synth_ev(f, "not_yet_accepted"), 200);
	ck_assert_int_eq(synth_ev(f, "local_port"), 6379);
	ck_assert_int_eq(synth_ev(f, "pid"), 99);
	ck_assert_int_eq(synth_ev(f, "keepalive_detection_s"), 7875);
	synth_end(&r);
}
END_TEST

/*
 * The listener last (a walk that holds listeners back for their owners,
 * collectors/source.c): the same finding, named after the listener's
 * owner; an idle outbound connection (its port never listens) is not one.
 */
START_TEST(test_dead_peers_listener_last)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 6379, "0.0.0.0", 0), sk;
	int i;

	synth_begin(&r, "dead_peers");
	for (i = 0; i < 150; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 6379, "10.0.1.1", 30000 + i);
		sk.has_tcpi = true;
		sk.tcpi.last_data_recv = sk.tcpi.last_data_sent = 4000 * 1000;
		synth_feed(&r, &sk);
	}
	for (i = 0; i < 200; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 6379, "10.0.2.1", 30000 + i);
		sk.inode = 0;
		sk.has_tcpi = true;
		sk.tcpi.last_data_recv = sk.tcpi.last_data_sent = 4000 * 1000;
		synth_feed(&r, &sk);
	}
	for (i = 0; i < 300; i++) {	/* outbound: port 40000+i never listens */
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 40000 + i, "10.0.3.1", 5432);
		sk.has_tcpi = true;
		sk.tcpi.last_data_recv = sk.tcpi.last_data_sent = 4000 * 1000;
		synth_feed(&r, &sk);
	}
	l.has_owner = true;
	l.pid = 99;
	snprintf(l.comm, sizeof(l.comm), "redis");
	synth_feed(&r, &l);
	synth_finish(&r);
	f = synth_find(&r, "dead_peers.no_keepalive");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->subject, "redis[99] port 6379");
	ck_assert_int_eq(synth_ev(f, "idle_without_keepalive"), 150);
	ck_assert_int_eq(synth_ev(f, "not_yet_accepted"), 200);
	ck_assert_int_eq(synth_ev(f, "pid"), 99);
	synth_end(&r);
}
END_TEST

START_TEST(test_dead_peers_healthy_silent)
{
	struct synth_run r;
	struct td_sock sk;
	int i;

	synth_begin(&r, "dead_peers");
	for (i = 0; i < 100; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 40000 + i, "10.0.0.2", 443);
		sk.timer = i % 2 ? TD_TIMER_ON : TD_TIMER_KEEPALIVE;
		sk.retrans = i % 3 == 0;	/* an occasional retransmission is normal */
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/dead_peers");
	TCase *tc = tcase_create("dead_peers");

	tcase_add_test(tc, test_dead_peers_retransmitting);
	tcase_add_test(tc, test_dead_peers_idle_no_keepalive);
	tcase_add_test(tc, test_dead_peers_listener_last);
	tcase_add_test(tc, test_dead_peers_healthy_silent);
	suite_add_tcase(s, tc);
	return s;
}
