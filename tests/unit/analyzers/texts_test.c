/* SPDX-License-Identifier: MIT */
/*
 * The words of every finding, whole: synthetic snapshots that trigger each
 * finding id an analyzer can produce (every td_finding_add(..., "ID", ...)
 * in analyzers/NAME.c, as finding_docs_test reads them), run through every
 * analyzer at once, and each finding checked: complete (nothing cut or
 * dropped, analyzer.h), a summary, and every recommendation's reason a
 * whole sentence ending with '.'.  A new finding id without a scenario
 * here fails the coverage test.
 */
#include "tests/unit/check_main.h"

#include <dirent.h>

#include "tests/unit/analyzers/synth.h"

#define MAX_IDS	64

/* ---- Which ids the analyzers can produce ---- */

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	size_t n;

	ck_assert_msg(fp != NULL, "cannot read %s", path);
	buf = calloc(1, 1 << 20);
	ck_assert_ptr_nonnull(buf);
	n = fread(buf, 1, (1 << 20) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

static size_t
produced_ids(char ids[][48], size_t max)
{
	DIR *d = opendir(TD_SRCDIR "/analyzers");
	struct dirent *e;
	char path[512], *src, *p, *q;
	size_t n = 0, i;
	bool dup;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) < 3 || strcmp(e->d_name + strlen(e->d_name) - 2, ".c") != 0)
			continue;
		snprintf(path, sizeof(path), TD_SRCDIR "/analyzers/%s", e->d_name);
		src = slurp(path);
		for (p = src; (p = strstr(p, "td_finding_add(")) != NULL; p++) {
			p = strchr(p, '"');
			if (p == NULL || (q = strchr(p + 1, '"')) == NULL || q - p - 1 >= 48)
				break;
			if (memchr(p + 1, '.', (size_t)(q - p - 1)) == NULL || n >= max)
				continue;
			memcpy(ids[n], p + 1, (size_t)(q - p - 1));
			ids[n][q - p - 1] = '\0';
			for (dup = false, i = 0; i < n; i++)
				dup = dup || strcmp(ids[i], ids[n]) == 0;
			if (!dup)
				n++;
		}
		free(src);
	}
	closedir(d);
	return n;
}

/* ---- Checking the words ---- */

static char	seen[MAX_IDS][48];
static size_t	nseen;

static void
check_text(const char *id, const char *what, const char *s, bool sentence)
{
	size_t n;

	ck_assert_msg(s != NULL, "%s: %s missing", id, what);
	n = strlen(s);
	ck_assert_msg(n > 0, "%s: empty %s", id, what);
	ck_assert_msg(strstr(s, "(null)") == NULL, "%s: %s prints a NULL: %s", id, what, s);
	ck_assert_msg(s[n - 1] != ' ' && s[n - 1] != ',' && s[n - 1] != ';' && s[n - 1] != ':',
	    "%s: %s stops mid-sentence: %s", id, what, s);
	if (sentence)
		ck_assert_msg(s[n - 1] == '.', "%s: %s does not end a sentence: %s", id, what, s);
}

/* Check every finding of the run and note its id. */
static void
check_run(struct synth_run *r)
{
	size_t i, k;
	unsigned int j;
	bool dup;

	synth_finish(r);
	for (i = 0; i < r->out.n; i++) {
		const struct td_finding *f = &r->out.v[i];

		ck_assert_msg(f->incomplete == NULL, "%s incomplete: %s", f->id, f->incomplete);
		check_text(f->id, "summary", f->summary, false);
		for (j = 0; j < f->nreco; j++) {
			check_text(f->id, "reason", f->reco[j].reason, true);
			ck_assert_msg(f->reco[j].key[0] != '\0', "%s: recommendation without key", f->id);
		}
		for (j = 0; j < f->nev; j++)
			if (f->ev[j].type == TD_EV_STR)
				ck_assert_ptr_nonnull(f->ev[j].s);
		for (dup = false, k = 0; k < nseen; k++)
			dup = dup || strcmp(seen[k], f->id) == 0;
		if (!dup && nseen < MAX_IDS)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", f->id);
	}
	synth_end(r);
}

/* A run with every analyzer enabled. */
static void
begin_all(struct synth_run *r)
{
	synth_begin(r, "accept_queue");
	r->run.enabled = (UINT64_C(1) << analyzer_count()) - 1;
}

static void
ownr(struct td_sock *sk, int pid, const char *comm)
{
	sk->has_owner = true;
	sk->pid = pid;
	snprintf(sk->comm, sizeof(sk->comm), "%s", comm);
}

/* ---- Scenarios ---- */

/* S1 with somaxconn capping the backlog, and drops the queue does not explain. */
static void
sc_accept_queue(void)
{
	struct synth_run r;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "198.18.0.1", 8080, "0.0.0.0", 0), c;
	int i;

	begin_all(&r);
	synth_sys(&r.snap, TD_SYS_SOMAXCONN, 4);
	r.snap.ctr.v[TD_CTR_LISTEN_OVERFLOWS] = 45;
	r.snap.ctr.v[TD_CTR_LISTEN_DROPS] = 245;
	l.rqueue = 5;
	l.wqueue = 4;
	l.has_skmem = true;
	l.skmem.drops = 45;
	ownr(&l, 4242, "averylongname15");
	synth_feed(&r, &l);
	for (i = 0; i < 5; i++) {
		c = synth_sock(TD_ST_ESTABLISHED, "198.18.0.1", 8080, "198.18.0.2", 40000 + i);
		c.inode = 0;
		synth_feed(&r, &c);
	}
	check_run(&r);
}

static void
sc_syn_flood(int cookies, bool reqs)
{
	struct synth_run r;
	struct td_history prev;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 8080, "0.0.0.0", 0), q;
	char src[32];
	int i;

	begin_all(&r);
	synth_sys(&r.snap, TD_SYS_SYNCOOKIES, cookies);
	synth_prev(&r, &prev, 60);
	r.snap.ctr.v[TD_CTR_REQQ_FULL_DO_COOKIES] = 5000;
	r.snap.ctr.v[TD_CTR_SYNCOOKIES_SENT] = 5000;
	r.snap.ctr.v[TD_CTR_REQQ_FULL_DROP] = cookies == 0 ? 183 : 0;
	r.snap.ctr.v[TD_CTR_LISTEN_DROPS] = cookies == 0 ? 183 : 0;
	prev.ctr.v[TD_CTR_REQQ_FULL_DO_COOKIES] = 1000;
	prev.ctr.v[TD_CTR_SYNCOOKIES_SENT] = 1000;
	l.wqueue = 16;
	synth_feed(&r, &l);
	for (i = 0; reqs && i < 17; i++) {
		snprintf(src, sizeof(src), "198.%d.%d.%d", 18 + (i & 1), (i * 37) % 256, 1 + i % 250);
		q = synth_sock(TD_ST_SYN_RECV, "198.18.0.1", 8080, src, 40000 + i);
		q.kind = TD_SK_REQ;
		q.inode = 0;
		q.timer = TD_TIMER_ON;
		q.retrans = 1 + (unsigned)i % 3;
		synth_feed(&r, &q);
	}
	check_run(&r);
	history_free(&prev);
}

/* S5 and S6 at once, on a kernel that still has tcp_tw_recycle. */
static void
sc_time_wait(void)
{
	struct synth_run r;
	struct td_sock sk;
	int i;

	begin_all(&r);
	synth_sys(&r.snap, TD_SYS_PORT_RANGE, 40000);
	r.snap.sys.s[TD_SYS_PORT_RANGE].v[1] = 40009;
	synth_sys(&r.snap, TD_SYS_TW_REUSE, 0);
	synth_sys(&r.snap, TD_SYS_TW_RECYCLE, 1);
	synth_sys(&r.snap, TD_SYS_MAX_TW_BUCKETS, 10);
	r.snap.ctr.v[TD_CTR_TW_OVERFLOW] = 16;
	for (i = 0; i < 10; i++) {
		sk = synth_sock6(TD_ST_TIME_WAIT, "2001:db8:ffff:ffff:ffff:ffff:ffff:1", 40000 + i,
		    "2001:db8:ffff:ffff:ffff:ffff:ffff:2", 7000);
		synth_feed(&r, &sk);
	}
	check_run(&r);
}

/* CLOSE_WAIT leaks: accepted (named), outgoing with an owner, and without one (IPv6). */
static void
sc_close_wait(void)
{
	struct synth_run r;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 9000, "0.0.0.0", 0), sk;
	int i;

	begin_all(&r);
	synth_feed(&r, &l);
	for (i = 0; i < 12; i++) {
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 9000, "10.0.0.9", 50000 + i);
		sk.rqueue = 6;
		ownr(&sk, 2147483647, "averylongname15");
		synth_feed(&r, &sk);
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 41000 + i, "10.0.0.9", 443);
		sk.rqueue = 1;
		ownr(&sk, 778, "client");
		synth_feed(&r, &sk);
		sk = synth_sock6(TD_ST_CLOSE_WAIT, "2001:db8:ffff:ffff:ffff:ffff:ffff:1", 42000 + i,
		    "2001:db8:ffff:ffff:ffff:ffff:ffff:2", 65535);
		synth_feed(&r, &sk);
	}
	check_run(&r);
}

/* Orphans: FIN_WAIT2 pile, the limit, stuck ones, and a retransmitting pile. */
static void
sc_orphans(void)
{
	struct synth_run r;
	struct td_history prev, next;
	struct td_sock sk;
	int64_t now;
	int i;

	begin_all(&r);
	r.cfg.v[TD_TH_OR_FIN_WAIT2] = 20;
	synth_sys(&r.snap, TD_SYS_MAX_ORPHANS, 100);
	r.snap.ctr.v[TD_CTR_SOCK_ORPHAN] = 95;
	r.snap.ctr.v[TD_CTR_ABORT_ON_MEMORY] = 12;
	now = r.snap.meta.mono_ns;
	synth_prev(&r, &prev, 60);
	history_init(&next, &r.snap);
	r.run.ax.next = &next;
	for (i = 0; i < 40; i++) {
		sk = synth_sock(TD_ST_FIN_WAIT2, "10.0.0.1", 40000 + i, "10.0.0.7", 80);
		sk.kind = TD_SK_TW;
		sk.inode = 0;
		sk.timer = TD_TIMER_TIMEWAIT;
		sk.timer_ms = 30000;
		synth_feed(&r, &sk);
	}
	for (i = 0; i < 30; i++) {
		sk = synth_sock6(TD_ST_FIN_WAIT1 + (i % 3 == 1 ? TD_ST_CLOSING - TD_ST_FIN_WAIT1 : 0) +
		    (i % 3 == 2 ? TD_ST_LAST_ACK - TD_ST_FIN_WAIT1 : 0),
		    "2001:db8:ffff:ffff:ffff:ffff:ffff:1", 41000 + i,
		    "2001:db8:ffff:ffff:ffff:ffff:ffff:2", 443);
		sk.inode = 0;
		sk.timer = TD_TIMER_ON;
		sk.retrans = 5;
		sk.wqueue = 4096;
		if (i == 0) {
			history_add_cookie(&prev, sk.cookie, now - 1000LL * 1000000000);
			history_sort(&prev);
		}
		synth_feed(&r, &sk);
	}
	check_run(&r);
	history_free(&prev);
	history_free(&next);
}

/* Dead peers: retransmitting established, idle without keepalive, and timeouts. */
static void
sc_dead_peers(bool backing_off)
{
	struct synth_run r;
	struct td_history prev;
	struct td_sock l = synth_sock(TD_ST_LISTEN, "0.0.0.0", 6379, "0.0.0.0", 0), sk;
	int i;

	begin_all(&r);
	synth_prev(&r, &prev, 60);
	r.snap.ctr.v[TD_CTR_ABORT_ON_TIMEOUT] = 50;
	r.snap.ctr.v[TD_CTR_ESTAB_RESETS] = 20;
	synth_feed(&r, &l);
	for (i = 0; backing_off && i < 12; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 40000 + i, "10.0.0.66", 5432);
		sk.timer = TD_TIMER_ON;
		sk.retrans = 5;
		synth_feed(&r, &sk);
	}
	for (i = 0; i < 150; i++) {
		sk = synth_sock(TD_ST_ESTABLISHED, "10.0.0.1", 6379, "10.0.1.1", 30000 + i);
		sk.has_tcpi = true;
		sk.tcpi.last_data_recv = sk.tcpi.last_data_sent = 4000 * 1000;
		ownr(&sk, 2147483647, "averylongname15");
		synth_feed(&r, &sk);
	}
	check_run(&r);
	history_free(&prev);
}

/* SYN_SENT piles toward a destination, and timeouts of the previous run's pile. */
static void
sc_connects(void)
{
	struct synth_run r;
	struct td_history prev;
	struct td_sock sk;
	int i;

	begin_all(&r);
	synth_prev(&r, &prev, 60);
	history_set_gauge(&prev, "syn_sent:[2001:db8:ffff:ffff:ffff:ffff:ffff:9]:65535", 30);
	r.snap.ctr.v[TD_CTR_ABORT_ON_TIMEOUT] = 30;
	r.snap.ctr.v[TD_CTR_ATTEMPT_FAILS] = 30;
	for (i = 0; i < 20; i++) {
		sk = synth_sock6(TD_ST_SYN_SENT, "2001:db8:ffff:ffff:ffff:ffff:ffff:1", 40000 + i,
		    "2001:db8:ffff:ffff:ffff:ffff:ffff:8", 65535);
		sk.timer = TD_TIMER_ON;
		sk.retrans = 4;
		ownr(&sk, 2147483647, "averylongname15");
		synth_feed(&r, &sk);
	}
	check_run(&r);
	history_free(&prev);
}

/* More CLOSE_WAIT sockets and orphans than the state file remembers. */
static void
sc_untracked(void)
{
	struct synth_run r;
	struct td_history next;
	struct td_sock sk;
	uint64_t i;

	begin_all(&r);
	history_init(&next, &r.snap);
	r.run.ax.next = &next;
	for (i = 0; i < TD_HISTORY_COOKIES + 1; i++) {
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 9000, "10.0.0.9", 50000);
		sk.cookie = 1 + i;
		synth_feed(&r, &sk);
	}
	for (i = 0; i < 4097; i++) {
		sk = synth_sock(TD_ST_FIN_WAIT2, "10.0.0.1", 40000, "10.0.0.7", 80);
		sk.kind = TD_SK_TW;
		sk.inode = 0;
		sk.cookie = UINT64_C(1) << 40 | i;
		synth_feed(&r, &sk);
	}
	check_run(&r);
	history_free(&next);
}

/*
 * Stuck sockets of every judged state (the longest addresses and ports),
 * seen 990 s ago (tcp_retries2 15 gives about 930 s with a 200 ms RTO), and
 * more of them than the state file remembers.
 */
static void
sc_stuck(void)
{
	static const int states[] = { TD_ST_SYN_SENT, TD_ST_SYN_RECV, TD_ST_FIN_WAIT1, TD_ST_CLOSING,
	    TD_ST_LAST_ACK };
	struct synth_run r;
	struct td_history prev, next;
	struct td_sock sk, sks[5];
	int64_t now;
	size_t i;

	begin_all(&r);
	now = r.snap.meta.mono_ns;
	synth_prev(&r, &prev, 60);
	history_init(&next, &r.snap);
	r.run.ax.next = &next;
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		sks[i] = synth_sock6(states[i], "2001:db8:ffff:ffff:ffff:ffff:ffff:1", 65535 - (int)i,
		    "2001:db8:ffff:ffff:ffff:ffff:ffff:2", 65535);
		if (states[i] == TD_ST_SYN_RECV) {
			sks[i].kind = TD_SK_REQ;
			sks[i].inode = 0;
		}
		sks[i].has_tcpi = sks[i].kind == TD_SK_FULL;
		sks[i].tcpi.rto = 200000;
		history_add_cookie(&prev, sks[i].cookie, now - 990LL * 1000000000);
	}
	history_sort(&prev);
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		synth_feed(&r, &sks[i]);
	for (i = 0; i < 4097; i++) {
		sk = synth_sock(TD_ST_SYN_SENT, "10.0.0.1", 40000, "10.0.0.7", 80);
		sk.cookie = UINT64_C(1) << 41 | i;
		synth_feed(&r, &sk);
	}
	check_run(&r);
	history_free(&prev);
	history_free(&next);
}

static void
sc_resets(void)
{
	struct synth_run r;
	struct td_history prev;

	begin_all(&r);
	synth_prev(&r, &prev, 10);
	r.snap.ctr.v[TD_CTR_OUT_RSTS] = 100000;
	check_run(&r);
	history_free(&prev);
}

START_TEST(test_texts_whole)
{
	char ids[MAX_IDS][48];
	size_t n, i, k;
	bool found;

	nseen = 0;
	sc_accept_queue();
	sc_syn_flood(1, true);
	sc_syn_flood(0, true);
	sc_syn_flood(2, false);
	sc_syn_flood(1, false);
	sc_time_wait();
	sc_close_wait();
	sc_orphans();
	sc_dead_peers(true);
	sc_dead_peers(false);
	sc_connects();
	sc_untracked();
	sc_stuck();
	sc_resets();
	n = produced_ids(ids, MAX_IDS);
	ck_assert_uint_ge(n, 20);
	for (i = 0; i < n; i++) {
		for (found = false, k = 0; k < nseen; k++)
			found = found || strcmp(seen[k], ids[i]) == 0;
		ck_assert_msg(found, "no scenario here produces %s: add one", ids[i]);
	}
}
END_TEST

/* The text that was cut at 320 bytes before: now whole. */
START_TEST(test_texts_close_wait_not_cut)
{
	struct synth_run r;
	struct td_sock sk;
	const struct td_finding *f;
	int i;

	/* Outgoing connections of a process with a 15-character name. */
	synth_begin(&r, "close_wait");
	for (i = 0; i < 6; i++) {
		sk = synth_sock(TD_ST_CLOSE_WAIT, "10.0.0.1", 40000 + i, "10.0.0.9", 9000);
		ownr(&sk, 1234567, "averylongname15");
		synth_feed(&r, &sk);
	}
	synth_finish(&r);
	f = synth_find(&r, "close_wait.leak");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_ge(f->nreco, 1);
	ck_assert_uint_gt(strlen(f->reco[0].reason), 320);
	ck_assert_msg(strstr(f->reco[0].reason, "the descriptor stays open in the application, leaked as before.") != NULL,
	    "cut: %s", f->reco[0].reason);
	synth_end(&r);
}
END_TEST

/* A finding whose tables overflow is reported incomplete, not cut silently. */
START_TEST(test_texts_incomplete_is_an_error)
{
	struct td_findings fs = { 0 };
	struct td_err err = { 0 };
	struct td_finding *f;
	int i;

	f = td_finding_add(&fs, &err, "x.y", "", TD_SEV_INFO, "summary");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(td_findings_check(&fs, &err), 0);
	for (i = 0; i < TD_FINDING_EV_MAX + 1; i++)
		td_ev_int(f, "k", i);
	ck_assert_int_eq(td_findings_check(&fs, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "x.y"));
	td_findings_free(&fs);
	/* A subject too long for its field is an error, not a shorter subject. */
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(td_finding_add(&fs, &err, "x.y",
	    "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
	    TD_SEV_INFO, "s"));
	ck_assert_int_ne(err.msg[0], '\0');
	td_findings_free(&fs);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/texts");
	TCase *tc = tcase_create("texts");

	tcase_add_test(tc, test_texts_whole);
	tcase_add_test(tc, test_texts_close_wait_not_cut);
	tcase_add_test(tc, test_texts_incomplete_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
