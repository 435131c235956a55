/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/time_wait.c on synthetic streams (KERNEL-FACTS S5, S6, F1). */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

/* n client sockets from 10.0.0.1 ports 40000.. to dst:dport in state st. */
static void
feed_clients(struct synth_run *r, int st, int n, const char *dst, int dport, int first)
{
	struct td_sock sk;
	int i;

	for (i = 0; i < n; i++) {
		sk = synth_sock(st, "10.0.0.1", first + i, dst, dport);
		synth_feed(r, &sk);
	}
}

/* S5: range 40000-40009, reuse 0, 10 TIME_WAIT to one destination. */
START_TEST(test_time_wait_s5_exhausted)
{
	struct synth_run r;
	const struct td_finding *f;
	unsigned int j;

	synth_begin(&r, "time_wait");
	synth_sys(&r.snap, TD_SYS_PORT_RANGE, 40000);
	r.snap.sys.s[TD_SYS_PORT_RANGE].v[1] = 40009;
	synth_sys(&r.snap, TD_SYS_TW_REUSE, 0);
	feed_clients(&r, TD_ST_TIME_WAIT, 10, "10.0.0.2", 7000, 40000);
	feed_clients(&r, TD_ST_TIME_WAIT, 2, "10.0.0.2", 7001, 40000);
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 1);		/* :7001 has 2 of 10: fine */
	f = synth_find(&r, "time_wait.port_exhaustion");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_CRITICAL);
	ck_assert_str_eq(f->subject, "10.0.0.2:7000");
	ck_assert_int_eq(synth_ev(f, "time_wait"), 10);
	ck_assert_int_eq(synth_ev(f, "usable_ports"), 10);
	ck_assert_int_eq(synth_ev(f, "blocking"), 10);
	ck_assert_ptr_nonnull(strstr(f->summary, "EADDRNOTAVAIL"));
	ck_assert(synth_reco(&r, "connection reuse"));
	ck_assert(synth_reco(&r, "IP_BIND_ADDRESS_NO_PORT"));
	ck_assert(synth_reco(&r, "net.ipv4.tcp_tw_reuse"));
	ck_assert(synth_reco(&r, "net.ipv4.ip_local_port_range"));
	ck_assert(!synth_reco(&r, "tcp_tw_recycle"));
	ck_assert(!synth_reco(&r, "tcp_fin_timeout"));
	ck_assert(!synth_reco(&r, "tcp_max_tw_buckets"));
	for (j = 0; j < f->nreco; j++)
		if (strcmp(f->reco[j].key, "net.ipv4.tcp_tw_reuse") == 0)
			ck_assert_str_eq(f->reco[j].suggested, "1");
	synth_end(&r);
}
END_TEST

/* With tcp_tw_reuse=1 TIME_WAIT entries do not block connect(). */
START_TEST(test_time_wait_reuse_unblocks)
{
	struct synth_run r;

	synth_begin(&r, "time_wait");
	synth_sys(&r.snap, TD_SYS_PORT_RANGE, 40000);
	r.snap.sys.s[TD_SYS_PORT_RANGE].v[1] = 40009;
	synth_sys(&r.snap, TD_SYS_TW_REUSE, 1);
	feed_clients(&r, TD_ST_TIME_WAIT, 10, "10.0.0.2", 7000, 40000);
	synth_finish(&r);
	ck_assert_ptr_null(synth_find(&r, "time_wait.port_exhaustion"));
	synth_end(&r);
}
END_TEST

START_TEST(test_time_wait_healthy_silent)
{
	struct synth_run r;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0), sk;
	int i;

	synth_begin(&r, "time_wait");
	synth_feed(&r, &l);
	feed_clients(&r, TD_ST_TIME_WAIT, 300, "10.0.0.2", 443, 40000);
	feed_clients(&r, TD_ST_ESTABLISHED, 50, "10.0.0.3", 443, 41000);
	/* Server side: many TIME_WAIT from many clients on port 80. */
	for (i = 0; i < 1000; i++) {
		sk = synth_sock(TD_ST_TIME_WAIT, "10.0.0.1", 80, "10.0.1.1", 50000 + i);
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

/* S6: tcp_max_tw_buckets 4, 16 overflows: restore ehash/2, never lower. */
START_TEST(test_time_wait_s6_bucket_overflow)
{
	struct synth_run r;
	const struct td_finding *f;
	unsigned int j;
	bool found = false;

	synth_begin(&r, "time_wait");
	synth_sys(&r.snap, TD_SYS_MAX_TW_BUCKETS, 4);
	synth_sys(&r.snap, TD_SYS_EHASH_ENTRIES, -262144);	/* a child netns shares the host's */
	r.snap.ctr.v[TD_CTR_TW_OVERFLOW] = 16;
	feed_clients(&r, TD_ST_TIME_WAIT, 4, "10.0.0.2", 7000, 40000);
	synth_finish(&r);
	f = synth_find(&r, "time_wait.bucket_overflow");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "tw_overflow"), 16);
	ck_assert_int_eq(synth_ev(f, "time_wait"), 4);
	for (j = 0; j < f->nreco; j++)
		if (strcmp(f->reco[j].key, "net.ipv4.tcp_max_tw_buckets") == 0) {
			ck_assert_str_eq(f->reco[j].current, "4");
			ck_assert_str_eq(f->reco[j].suggested, "131072");
			found = true;
		}
	ck_assert(found);
	synth_end(&r);
}
END_TEST

/* An old kernel with tcp_tw_recycle=1 (F1). */
START_TEST(test_time_wait_recycle_flagged)
{
	struct synth_run r;
	const struct td_finding *f;

	synth_begin(&r, "time_wait");
	synth_sys(&r.snap, TD_SYS_TW_RECYCLE, 1);
	synth_finish(&r);
	f = synth_find(&r, "time_wait.tw_recycle");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_CRITICAL);
	ck_assert_str_eq(f->reco[0].suggested, "0");
	synth_end(&r);
}
END_TEST

/* The rate from the TW counter delta gives a time to exhaustion. */
START_TEST(test_time_wait_rate)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;

	synth_begin(&r, "time_wait");
	synth_sys(&r.snap, TD_SYS_PORT_RANGE, 40000);
	r.snap.sys.s[TD_SYS_PORT_RANGE].v[1] = 40099;
	synth_sys(&r.snap, TD_SYS_TW_REUSE, 0);
	r.snap.ctr.v[TD_CTR_TW] = 1600;
	synth_prev(&r, &prev, 100);
	prev.ctr.v[TD_CTR_TW] = 1000;		/* 6 per second */
	feed_clients(&r, TD_ST_TIME_WAIT, 70, "10.0.0.2", 7000, 40000);
	synth_finish(&r);
	f = synth_find(&r, "time_wait.port_exhaustion");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "tw_rate_per_s"), 6);
	ck_assert_int_eq(synth_ev(f, "seconds_to_exhaustion"), 5);	/* 30 ports / 6 per s */
	synth_end(&r);
	history_free(&prev);
}
END_TEST

/* tcp_tw_reuse=2 (the default) reuses TIME_WAIT on loopback only, IPv6 included. */
START_TEST(test_time_wait_reuse_loopback_only)
{
	struct synth_run r;
	struct td_sock sk;
	const struct td_finding *f;
	int i;

	synth_begin(&r, "time_wait");
	synth_sys(&r.snap, TD_SYS_PORT_RANGE, 40000);
	r.snap.sys.s[TD_SYS_PORT_RANGE].v[1] = 40009;
	for (i = 0; i < 10; i++) {
		sk = synth_sock6(TD_ST_TIME_WAIT, "::1", 40000 + i, "::1", 7000);
		synth_feed(&r, &sk);
		sk = synth_sock6(TD_ST_TIME_WAIT, "2001:db8::1", 40000 + i, "2001:db8::2", 7000);
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 1);
	f = synth_find(&r, "time_wait.port_exhaustion");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->subject, "[2001:db8::2]:7000");
	ck_assert_int_eq(synth_ev(f, "reuse_applies"), 0);
	synth_end(&r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/time_wait");
	TCase *tc = tcase_create("time_wait");

	tcase_add_test(tc, test_time_wait_s5_exhausted);
	tcase_add_test(tc, test_time_wait_reuse_unblocks);
	tcase_add_test(tc, test_time_wait_healthy_silent);
	tcase_add_test(tc, test_time_wait_s6_bucket_overflow);
	tcase_add_test(tc, test_time_wait_recycle_flagged);
	tcase_add_test(tc, test_time_wait_rate);
	tcase_add_test(tc, test_time_wait_reuse_loopback_only);
	suite_add_tcase(s, tc);
	return s;
}
