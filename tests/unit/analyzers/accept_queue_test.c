/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/accept_queue.c on synthetic streams (KERNEL-FACTS S1, S10). */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

/* S1: listen(fd, 4), never accept(), 20 connects: rq 5, wq 4, d45. */
static void
feed_s1(struct synth_run *r)
{
	struct td_sock l = synth_sock(TD_ST_LISTEN, "198.18.0.1", 8080, "0.0.0.0", 0);
	struct td_sock c;
	int i;

	r->snap.ctr.v[TD_CTR_LISTEN_OVERFLOWS] = 45;
	r->snap.ctr.v[TD_CTR_LISTEN_DROPS] = 45;
	l.rqueue = 5;
	l.wqueue = 4;
	l.has_skmem = true;
	l.skmem.drops = 45;
	l.has_owner = true;
	l.pid = 4242;
	snprintf(l.comm, sizeof(l.comm), "slowsrv");
	synth_feed(r, &l);
	for (i = 0; i < 5; i++) {
		c = synth_sock(TD_ST_ESTABLISHED, "198.18.0.1", 8080, "198.18.0.2", 40000 + i);
		c.inode = 0;
		synth_feed(r, &c);
	}
}

START_TEST(test_accept_queue_s1_critical)
{
	struct synth_run r;
	const struct td_finding *f;

	synth_begin(&r, "accept_queue");
	feed_s1(&r);
	synth_finish(&r);
	f = synth_find(&r, "accept_queue.overflow");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_CRITICAL);
	ck_assert_str_eq(f->subject, "198.18.0.1:8080");
	ck_assert_int_eq(synth_ev(f, "accept_queue"), 5);
	ck_assert_int_eq(synth_ev(f, "backlog"), 4);
	ck_assert_int_eq(synth_ev(f, "listener_drops"), 45);
	ck_assert_int_eq(synth_ev(f, "listen_overflows"), 45);
	ck_assert_int_eq(synth_ev(f, "pid"), 4242);
	ck_assert_ptr_nonnull(strstr(f->summary, "slowsrv[4242]"));
	ck_assert(synth_reco(&r, "listen() backlog"));
	ck_assert(synth_reco(&r, "accept()"));
	/* somaxconn (4096) does not cap this backlog: no sysctl advice. */
	ck_assert(!synth_reco(&r, "somaxconn"));
	ck_assert(!synth_reco(&r, "tcp_max_syn_backlog"));
	/* Overflows explain every drop: no "other reasons" finding. */
	ck_assert_ptr_null(synth_find(&r, "accept_queue.other_drops"));
	synth_end(&r);
}
END_TEST

START_TEST(test_accept_queue_somaxconn_caps)
{
	struct synth_run r;
	const struct td_finding *f;
	unsigned int j;

	synth_begin(&r, "accept_queue");
	synth_sys(&r.snap, TD_SYS_SOMAXCONN, 4);	/* old default-style cap */
	feed_s1(&r);
	synth_finish(&r);
	ck_assert(synth_reco(&r, "net.core.somaxconn"));
	ck_assert(!synth_reco(&r, "tcp_max_syn_backlog"));
	f = synth_find(&r, "accept_queue.overflow");
	ck_assert_ptr_nonnull(f);
	for (j = 0; j < f->nreco; j++) {
		/* Queue 5 + 45 drops: twice the burst is 100, so 128. */
		if (strcmp(f->reco[j].key, "listen() backlog") == 0)
			ck_assert_str_eq(f->reco[j].suggested, "128");
		/* Never below the kernel default (4096 since 5.4). */
		if (strcmp(f->reco[j].key, "net.core.somaxconn") == 0)
			ck_assert_str_eq(f->reco[j].suggested, "4096");
	}
	synth_end(&r);
}
END_TEST

/* somaxconn above the backlog but below the backlog wanted: raise it too. */
START_TEST(test_accept_queue_somaxconn_below_wanted)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
	unsigned int j;
	bool sys = false;

	synth_begin(&r, "accept_queue");
	synth_sys(&r.snap, TD_SYS_SOMAXCONN, 1024);
	l.rqueue = 129;
	l.wqueue = 128;
	l.has_skmem = true;
	l.skmem.drops = 2000;
	synth_feed(&r, &l);
	synth_finish(&r);
	f = synth_find(&r, "accept_queue.overflow");
	ck_assert_ptr_nonnull(f);
	for (j = 0; j < f->nreco; j++) {
		/* 2 x (129 + 2000) = 4258: 8192. */
		if (strcmp(f->reco[j].key, "listen() backlog") == 0)
			ck_assert_str_eq(f->reco[j].suggested, "8192");
		if (strcmp(f->reco[j].key, "net.core.somaxconn") == 0) {
			sys = true;
			ck_assert_str_eq(f->reco[j].current, "1024");
			ck_assert_str_eq(f->reco[j].suggested, "8192");
		}
	}
	ck_assert(sys);
	synth_end(&r);
}
END_TEST

/* A large burst: the suggestion follows the numbers, above the default. */
START_TEST(test_accept_queue_big_burst)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
	unsigned int j;

	synth_begin(&r, "accept_queue");
	synth_sys(&r.snap, TD_SYS_SOMAXCONN, 4096);
	r.snap.ctr.v[TD_CTR_LISTEN_OVERFLOWS] = 5000;
	l.rqueue = 4097;
	l.wqueue = 4096;
	l.has_skmem = true;
	l.skmem.drops = 5000;
	synth_feed(&r, &l);
	synth_finish(&r);
	f = synth_find(&r, "accept_queue.overflow");
	ck_assert_ptr_nonnull(f);
	for (j = 0; j < f->nreco; j++) {
		/* 2 x (4097 + 5000) = 18194: 32768. */
		if (strcmp(f->reco[j].key, "listen() backlog") == 0)
			ck_assert_str_eq(f->reco[j].suggested, "32768");
		if (strcmp(f->reco[j].key, "net.core.somaxconn") == 0)
			ck_assert_str_eq(f->reco[j].suggested, "32768");
	}
	ck_assert(synth_reco(&r, "net.core.somaxconn"));
	synth_end(&r);
}
END_TEST

START_TEST(test_accept_queue_healthy_silent)
{
	struct synth_run r;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
	struct td_sock e;
	int i;

	synth_begin(&r, "accept_queue");
	l.rqueue = 1;
	l.wqueue = 511;
	l.has_skmem = true;
	synth_feed(&r, &l);
	for (i = 0; i < 100; i++) {
		e = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 80, "10.0.0.2", 40000 + i);
		synth_feed(&r, &e);
	}
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

START_TEST(test_accept_queue_filling_warning)
{
	struct synth_run r;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0);
	const struct td_finding *f;

	synth_begin(&r, "accept_queue");
	l.rqueue = 110;		/* 0.86 of 128 */
	l.wqueue = 128;
	synth_feed(&r, &l);
	synth_finish(&r);
	f = synth_find(&r, "accept_queue.overflow");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	synth_end(&r);
}
END_TEST

/* S10: ListenDrops 200, ListenOverflows 0: drops for other reasons. */
START_TEST(test_accept_queue_other_drops)
{
	struct synth_run r;
	struct td_history prev;
	const struct td_finding *f;

	synth_begin(&r, "accept_queue");
	r.snap.ctr.v[TD_CTR_LISTEN_DROPS] = 200;
	synth_finish(&r);
	f = synth_find(&r, "accept_queue.other_drops");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_INFO);	/* since boot only */
	ck_assert_int_eq(synth_ev(f, "other_drops"), 200);
	ck_assert(!synth_reco(&r, "backlog"));
	synth_end(&r);

	/* The same drops since the last run: a warning. */
	synth_begin(&r, "accept_queue");
	r.snap.ctr.v[TD_CTR_LISTEN_DROPS] = 260;
	synth_prev(&r, &prev, 60);
	prev.ctr.v[TD_CTR_LISTEN_DROPS] = 60;
	synth_finish(&r);
	f = synth_find(&r, "accept_queue.other_drops");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "other_drops"), 200);
	ck_assert_int_eq(synth_ev(f, "listen_drops"), 200);
	synth_end(&r);
	history_free(&prev);
}
END_TEST

/* S10: the listener's own drops without ListenOverflows are not an accept-queue problem. */
START_TEST(test_accept_queue_listener_drops_not_overflow)
{
	struct synth_run r;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0);

	synth_begin(&r, "accept_queue");
	r.snap.ctr.v[TD_CTR_LISTEN_DROPS] = 200;
	l.wqueue = 16;
	l.has_skmem = true;
	l.skmem.drops = 200;
	synth_feed(&r, &l);
	synth_finish(&r);
	ck_assert_ptr_null(synth_find(&r, "accept_queue.overflow"));
	ck_assert_ptr_nonnull(synth_find(&r, "accept_queue.other_drops"));
	synth_end(&r);
}
END_TEST

/* With cookies off, SYN-queue drops are ListenDrops too (S3): not "other". */
START_TEST(test_accept_queue_reqq_drops_not_other)
{
	struct synth_run r;

	synth_begin(&r, "accept_queue");
	r.snap.ctr.v[TD_CTR_LISTEN_DROPS] = 183;
	r.snap.ctr.v[TD_CTR_REQQ_FULL_DROP] = 183;
	synth_finish(&r);
	ck_assert_ptr_null(synth_find(&r, "accept_queue.other_drops"));
	synth_end(&r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/accept_queue");
	TCase *tc = tcase_create("accept_queue");

	tcase_add_test(tc, test_accept_queue_s1_critical);
	tcase_add_test(tc, test_accept_queue_somaxconn_caps);
	tcase_add_test(tc, test_accept_queue_big_burst);
	tcase_add_test(tc, test_accept_queue_somaxconn_below_wanted);
	tcase_add_test(tc, test_accept_queue_healthy_silent);
	tcase_add_test(tc, test_accept_queue_filling_warning);
	tcase_add_test(tc, test_accept_queue_other_drops);
	tcase_add_test(tc, test_accept_queue_reqq_drops_not_other);
	tcase_add_test(tc, test_accept_queue_listener_drops_not_overflow);
	suite_add_tcase(s, tc);
	return s;
}
