/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/syn_flood.c on synthetic streams (KERNEL-FACTS S2, S3). */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

/* A listener with backlog 16 on 198.18.0.1:8080 (or the wildcard). */
static void
feed_listener(struct synth_run *r, const char *addr)
{
	struct td_sock l = synth_sock(TD_ST_LISTEN, addr, 8080, "0.0.0.0", 0);

	l.wqueue = 16;
	synth_feed(r, &l);
}

/* n request sockets; spread: sources in different /24s, else one source. */
static void
feed_reqs(struct synth_run *r, int n, bool spread)
{
	struct td_sock q;
	char src[32];
	int i;

	for (i = 0; i < n; i++) {
		if (spread)
			snprintf(src, sizeof(src), "198.%d.%d.%d", 18 + (i & 1), (i * 37) % 256, 1 + i % 250);
		else
			snprintf(src, sizeof(src), "203.0.113.7");
		q = synth_sock(TD_ST_SYN_RECV, "198.18.0.1", 8080, src, 40000 + i);
		q.kind = TD_SK_REQ;
		q.inode = 0;
		q.timer = TD_TIMER_ON;
		q.retrans = 1 + (unsigned)i % 3;
		synth_feed(r, &q);
	}
}

/* S2: 200 spoofed SYNs at backlog 16, cookies on: 17 requests, 183 cookies. */
START_TEST(test_syn_flood_s2_spoofed)
{
	struct synth_run r;
	const struct td_finding *f;

	synth_begin(&r, "syn_flood");
	r.snap.ctr.v[TD_CTR_REQQ_FULL_DO_COOKIES] = 183;
	r.snap.ctr.v[TD_CTR_SYNCOOKIES_SENT] = 183;
	feed_listener(&r, "0.0.0.0");		/* wildcard listener matches */
	feed_reqs(&r, 17, true);
	synth_finish(&r);
	f = synth_find(&r, "syn_flood.listener");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_CRITICAL);
	ck_assert_int_eq(synth_ev(f, "syn_recv"), 17);
	ck_assert_int_eq(synth_ev(f, "backlog"), 16);
	ck_assert_int_eq(synth_ev(f, "syn_queue_limit"), 17);
	ck_assert_int_eq(synth_ev(f, "saturated"), 1);
	ck_assert_int_eq(synth_ev(f, "spoofed"), 1);
	ck_assert_int_ge(synth_ev(f, "distinct_sources"), 15);
	ck_assert_int_ge(synth_ev(f, "distinct_prefixes"), 14);
	ck_assert_int_eq(synth_ev(f, "retransmitted"), 17);
	ck_assert_int_eq(synth_ev(f, "reqq_full_do_cookies"), 183);
	ck_assert_int_eq(synth_ev(f, "syncookies_sent"), 183);
	ck_assert(synth_reco(&r, "upstream"));
	ck_assert(!synth_reco(&r, "tcp_max_syn_backlog"));
	synth_end(&r);
}
END_TEST

START_TEST(test_syn_flood_one_source_not_spoofed)
{
	struct synth_run r;
	const struct td_finding *f;

	synth_begin(&r, "syn_flood");
	feed_listener(&r, "198.18.0.1");
	feed_reqs(&r, 17, false);
	synth_finish(&r);
	f = synth_find(&r, "syn_flood.listener");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(synth_ev(f, "spoofed"), 0);
	ck_assert_int_eq(synth_ev(f, "distinct_sources"), 1);
	ck_assert(synth_reco(&r, "listen() backlog"));
	synth_end(&r);
}
END_TEST

START_TEST(test_syn_flood_healthy_silent)
{
	struct synth_run r;

	synth_begin(&r, "syn_flood");
	feed_listener(&r, "198.18.0.1");
	feed_reqs(&r, 3, true);
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

/* S3 with tcp_syncookies=0: drops, and the advice to turn cookies on. */
START_TEST(test_syn_flood_cookies_off)
{
	struct synth_run r;
	const struct td_finding *f;
	unsigned int j;
	bool found = false;

	synth_begin(&r, "syn_flood");
	synth_sys(&r.snap, TD_SYS_SYNCOOKIES, 0);
	r.snap.ctr.v[TD_CTR_REQQ_FULL_DROP] = 183;
	r.snap.ctr.v[TD_CTR_LISTEN_DROPS] = 183;
	feed_listener(&r, "198.18.0.1");
	feed_reqs(&r, 17, true);
	synth_finish(&r);
	f = synth_find(&r, "syn_flood.dropped");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "reqq_full_drop"), 183);
	for (j = 0; j < f->nreco; j++)
		if (strcmp(f->reco[j].key, "net.ipv4.tcp_syncookies") == 0) {
			ck_assert_str_eq(f->reco[j].current, "0");
			ck_assert_str_eq(f->reco[j].suggested, "1");
			found = true;
		}
	ck_assert(found);
	ck_assert(!synth_reco(&r, "tcp_max_syn_backlog"));
	synth_end(&r);
}
END_TEST

/* S3 with tcp_syncookies=2: no request sockets at all, only the counter. */
START_TEST(test_syn_flood_cookies_always)
{
	struct synth_run r;
	const struct td_finding *f;

	synth_begin(&r, "syn_flood");
	synth_sys(&r.snap, TD_SYS_SYNCOOKIES, 2);
	r.snap.ctr.v[TD_CTR_SYNCOOKIES_SENT] = 200;
	feed_listener(&r, "198.18.0.1");
	synth_finish(&r);
	f = synth_find(&r, "syn_flood.cookies_always");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "syncookies_sent"), 200);
	ck_assert_ptr_nonnull(strstr(f->summary, "cannot be seen"));
	synth_end(&r);
}
END_TEST

/* Cookies since the last run above the threshold: a warning. */
START_TEST(test_syn_flood_cookies_delta)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;

	synth_begin(&r, "syn_flood");
	r.snap.ctr.v[TD_CTR_REQQ_FULL_DO_COOKIES] = 5000;
	synth_prev(&r, &prev, 60);
	prev.ctr.v[TD_CTR_REQQ_FULL_DO_COOKIES] = 1000;
	synth_finish(&r);
	f = synth_find(&r, "syn_flood.cookies");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "reqq_full_do_cookies"), 4000);
	synth_end(&r);
	history_free(&prev);
}
END_TEST

/* IPv6: sources in one /48 are one prefix, whatever their host bits. */
START_TEST(test_syn_flood_ipv6_prefixes)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock l = synth_sock6(TD_ST_LISTEN, "::", 443, "::", 0), q;
	char src[64];
	int i;

	synth_begin(&r, "syn_flood");
	l.wqueue = 16;
	synth_feed(&r, &l);
	for (i = 0; i < 17; i++) {
		snprintf(src, sizeof(src), "2001:db8:%x::%x", i < 9 ? 1 : 2, i + 1);
		q = synth_sock6(TD_ST_SYN_RECV, "2001:db8:ffff::1", 443, src, 40000 + i);
		q.kind = TD_SK_REQ;
		q.inode = 0;
		synth_feed(&r, &q);
	}
	synth_finish(&r);
	f = synth_find(&r, "syn_flood.listener");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->subject, "[::]:443");	/* the listener it belongs to */
	ck_assert_int_eq(synth_ev(f, "backlog"), 16);		/* matched the :: listener */
	ck_assert_int_ge(synth_ev(f, "distinct_sources"), 16);
	ck_assert_int_eq(synth_ev(f, "distinct_prefixes"), 2);
	ck_assert_int_eq(synth_ev(f, "spoofed"), 0);
	synth_end(&r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/syn_flood");
	TCase *tc = tcase_create("syn_flood");

	tcase_add_test(tc, test_syn_flood_s2_spoofed);
	tcase_add_test(tc, test_syn_flood_one_source_not_spoofed);
	tcase_add_test(tc, test_syn_flood_healthy_silent);
	tcase_add_test(tc, test_syn_flood_cookies_off);
	tcase_add_test(tc, test_syn_flood_cookies_always);
	tcase_add_test(tc, test_syn_flood_cookies_delta);
	tcase_add_test(tc, test_syn_flood_ipv6_prefixes);
	suite_add_tcase(s, tc);
	return s;
}
