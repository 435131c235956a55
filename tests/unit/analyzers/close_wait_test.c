/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/close_wait.c on synthetic streams (KERNEL-FACTS S4, F18). */
#include "tests/unit/check_main.h"

#include "tests/unit/analyzers/synth.h"

/* n CLOSE_WAIT sockets accepted on a listening port (the listener is dumped first). */
static void
feed_cw(struct synth_run *r, int n, int pid, const char *comm, int port)
{
	struct td_sock sk, l = synth_sock(TD_ST_LISTEN, "0.0.0.0", port, "0.0.0.0", 0);
	int i;

	synth_feed(r, &l);

	for (i = 0; i < n; i++) {
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", port, "10.0.0.9", 50000 + i);
		sk.rqueue = 1 + (i % 3 == 0 ? 5 : 0);	/* the unread FIN, some with 5 bytes */
		if (pid != 0) {
			sk.has_owner = true;
			sk.pid = pid;
			snprintf(sk.comm, sizeof(sk.comm), "%s", comm);
		}
		synth_feed(r, &sk);
	}
}

START_TEST(test_close_wait_s4_named)
{
	struct synth_run r;
	const struct td_finding *f;
	unsigned int j;

	synth_begin(&r, "close_wait");
	feed_cw(&r, 12, 777, "leaky", 9000);
	synth_finish(&r);
	f = synth_find(&r, "close_wait.leak");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_str_eq(f->subject, "leaky[777]");
	ck_assert_int_eq(synth_ev(f, "close_wait"), 12);
	ck_assert_int_eq(synth_ev(f, "pid"), 777);
	ck_assert_int_eq(synth_ev(f, "local_port"), 9000);
	/* Data only: 4 sockets with 5 bytes; the 12 FINs are not bytes. */
	ck_assert_int_eq(synth_ev(f, "unread_bytes"), 20);
	ck_assert_ptr_nonnull(strstr(f->summary, "no sysctl fixes it"));
	for (j = 0; j < f->nreco; j++)
		ck_assert_int_ne(f->reco[j].kind, TD_RECO_SYSCTL);
	synth_end(&r);
}
END_TEST

/*
 * Run without root, the owner cannot be read: the group is the port and
 * the sockets' uid, and says so, instead of passing for "no owner".
 */
START_TEST(test_close_wait_owner_unreadable)
{
	struct td_sock sk, l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 19090, "0.0.0.0", 0);
	struct synth_run r;
	const struct td_finding *f;
	int i;

	synth_begin(&r, "close_wait");
	synth_feed(&r, &l);
	for (i = 0; i < 12; i++) {
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 19090, "10.0.0.9", 50000 + i);
		sk.inode = 1000 + (uint64_t)i;
		sk.uid = 33;
		sk.owner_status = TD_OWNER_UNREADABLE;
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	f = synth_find(&r, "close_wait.leak");
	ck_assert_ptr_nonnull(f);
	ck_assert_str_eq(f->subject, "port 19090, uid 33 (owner unreadable)");
	ck_assert_int_eq(synth_ev(f, "uid"), 33);
	ck_assert_ptr_nonnull(td_ev_find(f, "owner_unreadable"));
	ck_assert_ptr_null(td_ev_find(f, "pid"));
	ck_assert_int_eq(synth_ev(f, "close_wait"), 12);
	synth_end(&r);
}
END_TEST

START_TEST(test_close_wait_healthy_silent)
{
	struct synth_run r;
	struct td_sock sk;

	synth_begin(&r, "close_wait");
	feed_cw(&r, 2, 777, "ok", 9000);
	/* Unaccepted children (inode 0) belong to accept_queue. */
	sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 8080, "10.0.0.9", 1);
	sk.inode = 0;
	for (int i = 0; i < 10; i++)
		synth_feed(&r, &sk);
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 0);
	synth_end(&r);
}
END_TEST

START_TEST(test_close_wait_critical_count)
{
	struct synth_run r;

	synth_begin(&r, "close_wait");
	feed_cw(&r, 250, 0, "", 9000);
	synth_finish(&r);
	ck_assert_int_eq(r.out.v[0].severity, TD_SEV_CRITICAL);
	ck_assert_str_eq(r.out.v[0].subject, "port 9000");
	synth_end(&r);
}
END_TEST

/*
 * A client that leaks: every connection has its own ephemeral local port,
 * so the process, not the port, is the group; without an owner, the
 * destination is.
 */
START_TEST(test_close_wait_outgoing)
{
	struct synth_run r;
	const struct td_finding *f;
	struct td_sock sk;
	int i;

	synth_begin(&r, "close_wait");
	for (i = 0; i < 7; i++) {
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 41000 + i, "10.0.0.5", 8080);
		sk.has_owner = true;
		sk.pid = 99;
		snprintf(sk.comm, sizeof(sk.comm), "java");
		synth_feed(&r, &sk);
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 42000 + i, "10.0.0.6", 5432);
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	ck_assert_uint_eq(r.out.n, 2);
	f = synth_find(&r, "close_wait.leak");
	ck_assert_str_eq(r.out.v[0].subject, "java[99]");
	ck_assert_str_eq(r.out.v[1].subject, "connections to 10.0.0.6:5432");
	ck_assert_int_eq(synth_ev(f, "close_wait"), 7);
	ck_assert_int_eq(synth_ev(f, "outgoing"), 1);
	ck_assert_ptr_null(td_ev_find(f, "local_port"));
	ck_assert_str_eq(td_ev_find(f, "peer")->s, "10.0.0.5:8080");
	synth_end(&r);
}
END_TEST

/* One socket seen 400 s ago in the previous run: old enough to warn; growth tracked. */
START_TEST(test_close_wait_age_and_growth)
{
	struct synth_run r;
	struct td_history prev, next;
	const struct td_finding *f;
	struct td_sock sk;

	synth_begin(&r, "close_wait");
	synth_prev(&r, &prev, 400);
	sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 9000, "10.0.0.9", 50000);
	sk.has_owner = true;
	sk.pid = 5;
	snprintf(sk.comm, sizeof(sk.comm), "old");
	history_add_cookie(&prev, sk.cookie, r.snap.meta.mono_ns - 400LL * 1000000000);
	history_set_gauge(&prev, "close_wait:5:old:0:", 0);	/* outgoing: no listener on 9000 */
	history_init(&next, &r.snap);
	r.run.ax.next = &next;
	synth_feed(&r, &sk);
	synth_finish(&r);
	f = synth_find(&r, "close_wait.leak");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_WARNING);
	ck_assert_int_eq(synth_ev(f, "oldest_age_s"), 400);
	ck_assert_int_eq(synth_ev(f, "growth"), 1);
	/* The next state keeps the first-seen time, not now. */
	ck_assert_uint_eq(next.ncookies, 1);
	ck_assert_int_eq(next.cookies[0].first_ns, r.snap.meta.mono_ns - 400LL * 1000000000);
	synth_end(&r);
	history_free(&prev);
	history_free(&next);
}
END_TEST

/* Past the state file's bound the sockets are counted and said, not dropped silently. */
START_TEST(test_close_wait_untracked_counted)
{
	struct synth_run r;
	struct td_history next;
	const struct td_finding *f;
	struct td_sock sk;
	uint64_t i, n = TD_HISTORY_COOKIES + 100;

	synth_begin(&r, "close_wait");
	history_init(&next, &r.snap);
	r.run.ax.next = &next;
	for (i = 0; i < n; i++) {
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 80, "10.0.0.9", 50000);
		sk.cookie = 1 + i;
		sk.inode = 1000 + i;
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	f = synth_find(&r, "close_wait.untracked");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(f->severity, TD_SEV_INFO);
	ck_assert_int_eq(synth_ev(f, "untracked"), 100);
	ck_assert_int_eq(synth_ev(f, "close_wait"), (int64_t)n);
	ck_assert_int_eq(synth_ev(f, "tracked_max"), TD_HISTORY_COOKIES);
	ck_assert_ptr_nonnull(strstr(f->summary, "100 of 65636 CLOSE_WAIT sockets were not recorded"));
	ck_assert_uint_eq(next.ncookies, TD_HISTORY_COOKIES);
	ck_assert_uint_eq(next.untracked, 100);
	synth_end(&r);
	history_free(&next);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/close_wait");
	TCase *tc = tcase_create("close_wait");

	tcase_add_test(tc, test_close_wait_s4_named);
	tcase_add_test(tc, test_close_wait_owner_unreadable);
	tcase_add_test(tc, test_close_wait_healthy_silent);
	tcase_add_test(tc, test_close_wait_critical_count);
	tcase_add_test(tc, test_close_wait_untracked_counted);
	tcase_add_test(tc, test_close_wait_outgoing);
	tcase_add_test(tc, test_close_wait_age_and_growth);
	suite_add_tcase(s, tc);
	return s;
}
