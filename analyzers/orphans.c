/* SPDX-License-Identifier: MIT */
/*
 * orphans: sockets the application has closed that the kernel still
 * finishes on its behalf.
 *
 * An orphaned FIN_WAIT2 becomes a timewait mini-socket with substate
 * FIN_WAIT2 (inode 0) and lives at most tcp_fin_timeout (KERNEL-FACTS F2,
 * S7): lowering tcp_fin_timeout shortens these, never TIME_WAIT (60 s,
 * TCP_TIMEWAIT_LEN).  Orphaned full sockets (FIN_WAIT1, CLOSING, LAST_ACK
 * with inode 0) count against tcp_max_orphans, which is host-wide; over it
 * the kernel resets them (TCPAbortOnMemory, F11).  /proc/net/sockstat's
 * orphan count is host-wide too, while the sockets seen here are this
 * namespace's.
 *
 * An orphan in FIN_WAIT1, CLOSING or LAST_ACK whose timer keeps firing
 * (retransmit, or zero-window probes: idiag_retrans counts either,
 * tcp_info's backoff the doublings) is retransmitting toward a peer that
 * stopped answering.  tcp_write_timeout() and tcp_probe_timer()
 * (net/ipv4/tcp_timer.c) give up on a dead socket after
 * tcp_orphan_retries (0 means 8, tcp_orphan_retries()) and kill it with
 * TCPAbortOnTimeout; until then each holds memory and counts against
 * tcp_max_orphans.  orphans.retransmitting names the peer of each pile,
 * with the bound the model computes for this host's sysctls.
 */
#include <stdio.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/tally.h"
#include "analyzers/history.h"
#include "collectors/sysctl.h"
#include "tcp/tm.h"

#define OR_REPORT	10	/* peers of retransmitting orphans reported, at most */
#define OR_TRACK_MAX	4096	/* orphans remembered across runs, at most */
#define OR_SLACK_NS	(5LL * 1000000000)	/* timer wheel and scheduling slack */

struct or_state {
	struct td_tally	peers;		/* orphaned FIN_WAIT2 by remote address */
	/*
	 * Retransmitting orphans by remote address: count; n[0] max retransmits,
	 * n[1] max backoff, n[2] unacknowledged bytes, n[3] FIN_WAIT1, n[4]
	 * CLOSING, n[5] LAST_ACK.
	 */
	struct td_tally	rtx;
	uint64_t	fin_wait2;	/* orphaned FIN_WAIT2 (timewait substate) */
	uint64_t	full;		/* orphaned full sockets */
	uint32_t	max_timer_ms;
	/* Sockets seen in an earlier run that outlived the model's bound. */
	struct tm_profile p;		/* the linux profile with this host's sysctls */
	uint64_t	tracked, stuck;
	uint64_t	untracked;	/* not remembered: OR_TRACK_MAX or the file's bound */
	int64_t		stuck_age_ns, stuck_max_ns;
	struct td_sock	stuck_sk;	/* the oldest one */
};

static void
or_begin(void *stp, const struct analyzer_ctx *ax)
{
	struct or_state *st = stp;

	st->p = tm_profile_from_values(sysctl_value, &ax->snap->sys);
}

/*
 * An orphan seen in an earlier run (by cookie) has been in its state at
 * least since then.  Compare that lower bound on its age with the longest
 * the model lets the state last here (tm_state_max_lifetime()): FIN_WAIT1,
 * CLOSING and LAST_ACK retransmit the FIN at most tcp_orphan_retries times
 * (0 means 8), FIN_WAIT2 lasts tcp_fin_timeout.  The model counts from the
 * minimum RTO, so the bound is scaled by the socket's own RTO when it is
 * larger, plus timer slack; past that the socket is stuck.
 */
static void
or_age(struct or_state *st, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct tm_sockctx c = { .orphan = true };
	int64_t first, age, now = ax->snap->meta.mono_ns;
	tm_time max;
	double scale = 1;

	if (sk->cookie == 0)
		return;
	first = history_track(ax->prev, ax->next, sk->cookie, now, OR_TRACK_MAX, &st->tracked,
	    &st->untracked);
	if (first < 0 || now <= first)
		return;
	age = now - first;
	if (sk->has_tcpi && sk->tcpi.rto > 0) {
		c.rto = (tm_time)sk->tcpi.rto * 1000;
		if (sk->kind == TD_SK_FULL && c.rto > st->p.rto_min)
			scale = (double)c.rto / (double)st->p.rto_min;
	}
	max = tm_state_max_lifetime(&st->p, (enum tm_state)sk->state, &c);
	if (max == TM_TIME_INF)
		return;
	if ((double)age <= (double)max * scale + OR_SLACK_NS)
		return;
	st->stuck++;
	if (age > st->stuck_age_ns) {
		st->stuck_age_ns = age;
		st->stuck_max_ns = (int64_t)((double)max * scale);
		st->stuck_sk = *sk;
	}
}

/* An orphan whose FIN (or data, or window probe) goes unanswered. */
static void
or_rtx(struct or_state *st, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct td_tally_ent *e;
	struct td_ep_key key;
	uint32_t tries = sk->retrans, backoff = sk->has_tcpi ? sk->tcpi.backoff : 0;
	bool is_new;
	int s;

	if (sk->timer != TD_TIMER_ON && sk->timer != TD_TIMER_PERSIST)
		return;
	if (backoff > tries)
		tries = backoff;
	if (tries < config_get(ax->cfg, TD_TH_OR_RETRANS))
		return;
	memset(&key, 0, sizeof(key));
	key.addr = sk->dst;
	s = tally_slot(&st->rtx, &key, sizeof(key), &is_new);
	e = &st->rtx.ent[s];
	e->count++;
	if (sk->retrans > e->n[0])
		e->n[0] = sk->retrans;
	if (backoff > e->n[1])
		e->n[1] = backoff;
	e->n[2] += sk->wqueue;
	e->n[sk->state == TD_ST_FIN_WAIT1 ? 3 : sk->state == TD_ST_CLOSING ? 4 : 5]++;
}

static void
or_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct or_state *st = stp;
	struct td_ep_key key;
	bool is_new;
	int s;

	if (sk->state == TD_ST_FIN_WAIT2 && sk->kind == TD_SK_TW) {
		st->fin_wait2++;
		if (sk->timer_ms > st->max_timer_ms)
			st->max_timer_ms = sk->timer_ms;
		memset(&key, 0, sizeof(key));
		key.addr = sk->dst;
		s = tally_slot(&st->peers, &key, sizeof(key), &is_new);
		st->peers.ent[s].count++;
		or_age(st, ax, sk);
		return;
	}
	if (sk->kind == TD_SK_FULL && sk->inode == 0 &&
	    (sk->state == TD_ST_FIN_WAIT1 || sk->state == TD_ST_FIN_WAIT2 ||
	    sk->state == TD_ST_CLOSING || sk->state == TD_ST_LAST_ACK)) {
		st->full++;
		or_age(st, ax, sk);
		if (sk->state != TD_ST_FIN_WAIT2)
			or_rtx(st, ax, sk);
	}
}

static int
or_stuck(const struct or_state *st, struct td_findings *out, struct td_err *err)
{
	const struct td_sock *sk = &st->stuck_sk;
	const char *name = td_state_name(sk->state);
	struct td_finding *f;
	char local[64], peer[64];

	if (st->stuck == 0)
		return 0;
	td_ep_str(&sk->src, sk->sport, local, sizeof(local));
	td_ep_str(&sk->dst, sk->dport, peer, sizeof(peer));
	f = td_finding_add(out, err, "orphans.stuck", peer, TD_SEV_WARNING,
	    "%llu orphaned sockets outlived what this host's timers allow: %s %s -> %s was seen %.0f s ago, and %s may last at most %.0f s here (the model, with this host's sysctls)",
	    (unsigned long long)st->stuck, name, local, peer, (double)st->stuck_age_ns / 1e9,
	    name, (double)st->stuck_max_ns / 1e9);
	if (f == NULL)
		return -1;
	td_ev_int(f, "stuck", (int64_t)st->stuck);
	td_ev_str(f, "state", "%s", name);
	td_ev_str(f, "local", "%s", local);
	td_ev_str(f, "peer", "%s", peer);
	td_ev_float(f, "seen_for_s", (double)st->stuck_age_ns / 1e9);
	td_ev_float(f, "model_max_s", (double)st->stuck_max_ns / 1e9);
	td_reco_add(f, TD_RECO_KERNEL, "timers", NULL, NULL,
	    "the kernel should have finished these sockets: check TCP_LINGER2 and tcp_orphan_retries, peers that keep a zero window (persist probes), and the kernel version; tcpdoctor explain %s shows the timers this host's sysctls give.",
	    name);
	return 0;
}

static int
or_retransmitting(const struct analyzer_ctx *ax, const struct or_state *st,
    const struct td_tally_ent *e, struct td_findings *out, struct td_err *err)
{
	const struct td_ep_key *k = (const void *)e->key;
	int64_t retries = sysctl_int(&ax->snap->sys, TD_SYS_ORPHAN_RETRIES, 0);
	int64_t eff = retries > 0 ? retries : 8;
	struct tm_sockctx c = { .orphan = true };
	struct tm_profile p3 = st->p;
	double bound, bound3;
	struct td_finding *f;
	char peer[64], states[96];
	size_t off = 0;

	td_ep_str(&k->addr, 0, peer, sizeof(peer));
	bound = (double)tm_state_max_lifetime(&st->p, TM_FIN_WAIT1, &c) / 1e9;
	p3.orphan_retries = 3;
	bound3 = (double)tm_state_max_lifetime(&p3, TM_FIN_WAIT1, &c) / 1e9;
	states[0] = '\0';
	if (e->n[3] > 0)
		off += (size_t)snprintf(states + off, sizeof(states) - off, "%llu FIN_WAIT1",
		    (unsigned long long)e->n[3]);
	if (e->n[4] > 0)
		off += (size_t)snprintf(states + off, sizeof(states) - off, "%s%llu CLOSING",
		    off > 0 ? ", " : "", (unsigned long long)e->n[4]);
	if (e->n[5] > 0)
		snprintf(states + off, sizeof(states) - off, "%s%llu LAST_ACK",
		    off > 0 ? ", " : "", (unsigned long long)e->n[5]);
	f = td_finding_add(out, err, "orphans.retransmitting", peer,
	    e->count >= config_get(ax->cfg, TD_TH_OR_RTX_WARNING) ? TD_SEV_WARNING : TD_SEV_INFO,
	    "%llu orphaned sockets (%s) keep retransmitting to %s, which stopped answering (up to %llu retransmissions, backoff %llu): the application closed them and the kernel finishes them alone, for up to about %.0f s each with tcp_orphan_retries=%lld",
	    (unsigned long long)e->count, states, peer, (unsigned long long)e->n[0],
	    (unsigned long long)e->n[1], bound, (long long)retries);
	if (f == NULL)
		return -1;
	td_ev_str(f, "peer", "%s", peer);
	td_ev_int(f, "orphans_retransmitting", (int64_t)e->count);
	td_ev_int(f, "fin_wait1", (int64_t)e->n[3]);
	td_ev_int(f, "closing", (int64_t)e->n[4]);
	td_ev_int(f, "last_ack", (int64_t)e->n[5]);
	td_ev_int(f, "max_retrans", (int64_t)e->n[0]);
	td_ev_int(f, "max_backoff", (int64_t)e->n[1]);
	td_ev_int(f, "unacked_bytes", (int64_t)e->n[2]);
	td_ev_int(f, "tcp_orphan_retries", retries);
	td_ev_int(f, "orphan_retries_effective", eff);
	/* tcp_write_timeout() and tcp_probe_timer() stop after eff tries. */
	td_ev_int(f, "retries_left", eff > (int64_t)e->n[0] ? eff - (int64_t)e->n[0] : 0);
	td_ev_float(f, "model_max_s", bound);
	td_reco_add(f, TD_RECO_KERNEL, "path", NULL, NULL,
	    "%s stopped answering while these connections were closing (host down, path cut, or a filter dropping its packets): the sockets hold their unsent data and memory until the kernel gives up, so check the peer and the path to it.",
	    peer);
	if (eff > 3) {
		td_reco_sysctl(f, ax->snap, TD_SYS_ORPHAN_RETRIES, "3",
		    "bounds how long closed connections retransmit to a dead peer: about %.0f s with 3 instead of %.0f s here (the model with this host's RTO); ip-sysctl.rst suggests lowering it on loaded servers, since each orphan holds up to about 64 KiB and counts against tcp_max_orphans; it touches only connections the application already closed.",
		    bound3, bound);
	}
	td_reco_add(f, TD_RECO_APP, "close()", NULL, NULL,
	    "an application that knows the peer is gone can abort instead (SO_LINGER with l_linger 0 sends a RST and leaves no orphan), and TCP_USER_TIMEOUT on the socket bounds the orphan's retransmissions as well.");
	{
		char filter[160];

		snprintf(filter, sizeof(filter), "state fin-wait-1 state closing state last-ack dst %s",
		    peer);
		td_reco_kill(f, ax->snap, filter,
		    "to free them now: the application has closed them already, so destroying them loses nothing but the retransmissions to a peer that does not answer (run it without --yes first to see the list).");
	}
	return 0;
}

static int
or_fin_wait2(const struct analyzer_ctx *ax, const struct or_state *st, struct td_findings *out,
    struct td_err *err)
{
	int64_t fin = sysctl_int(&ax->snap->sys, TD_SYS_FIN_TIMEOUT, 60);
	struct td_finding *f;
	char peer[64] = "", sug[16];
	int top;

	if (st->fin_wait2 < config_get(ax->cfg, TD_TH_OR_FIN_WAIT2))
		return 0;
	if (tally_top(&st->peers, &top, 1) == 1)
		td_ep_str(&((const struct td_ep_key *)(const void *)st->peers.ent[top].key)->addr, 0,
		    peer, sizeof(peer));
	f = td_finding_add(out, err, "orphans.fin_wait2", "", TD_SEV_WARNING,
	    "%llu orphaned FIN_WAIT2 sockets: this host closed, the peers (most: %s, %llu) have not sent their FIN; each lasts up to tcp_fin_timeout (%lld s)",
	    (unsigned long long)st->fin_wait2, peer,
	    (unsigned long long)(peer[0] != '\0' ? st->peers.ent[top].count : 0), (long long)fin);
	if (f == NULL)
		return -1;
	td_ev_int(f, "orphaned_fin_wait2", (int64_t)st->fin_wait2);
	td_ev_int(f, "tcp_fin_timeout", fin);
	td_ev_float(f, "max_timer_s", st->max_timer_ms / 1000.0);
	if (peer[0] != '\0') {
		td_ev_str(f, "top_peer", "%s", peer);
		td_ev_int(f, "top_peer_sockets", (int64_t)st->peers.ent[top].count);
	}
	td_reco_add(f, TD_RECO_APP, "peer close()", NULL, NULL,
	    "usually the peer application never closes its side after reading our FIN: fix or time out the peer (%s).",
	    peer[0] != '\0' ? peer : "see top_peer");
	if (fin > 30) {
		snprintf(sug, sizeof(sug), "%d", 30);
		td_reco_sysctl(f, ax->snap, TD_SYS_FIN_TIMEOUT, sug,
		    "frees these orphaned FIN_WAIT2 sockets sooner; it does not shorten TIME_WAIT (fixed at 60 s) and does not touch FIN_WAIT2 sockets whose application still holds them.");
	}
	return 0;
}

static int
or_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct or_state *st = stp;
	const struct td_snapshot *snap = ax->snap;
	int64_t max = sysctl_int(&snap->sys, TD_SYS_MAX_ORPHANS, -1);
	uint64_t orphans = 0, aborts = 0;
	bool have_orphans = snap->ctr.present[TD_CTR_SOCK_ORPHAN], sb = true;
	double ratio = 0;
	enum td_severity sev = TD_SEV_OK;
	struct td_finding *f;
	char sug[32];

	int idx[OR_REPORT];
	size_t i, n;

	n = tally_top(&st->rtx, idx, OR_REPORT);
	for (i = 0; i < n; i++)
		if (or_retransmitting(ax, st, &st->rtx.ent[idx[i]], out, err) < 0)
			return -1;
	if (or_fin_wait2(ax, st, out, err) < 0 || or_stuck(st, out, err) < 0 ||
	    td_finding_untracked(out, err, "orphans.untracked", "orphaned sockets",
	    st->untracked, st->tracked, OR_TRACK_MAX) < 0)
		return -1;
	if (have_orphans)
		orphans = snap->ctr.v[TD_CTR_SOCK_ORPHAN];
	ax_counter(ax, TD_CTR_ABORT_ON_MEMORY, &aborts, &sb);
	if (have_orphans && max > 0) {
		ratio = (double)orphans / (double)max;
		if (ratio >= config_get(ax->cfg, TD_TH_OR_CRITICAL))
			sev = TD_SEV_CRITICAL;
		else if (ratio >= config_get(ax->cfg, TD_TH_OR_WARNING))
			sev = TD_SEV_WARNING;
	}
	if (aborts > 0 && sev < TD_SEV_WARNING)
		sev = sb ? TD_SEV_INFO : TD_SEV_WARNING;
	if (sev == TD_SEV_OK)
		return 0;
	f = td_finding_add(out, err, "orphans.limit", "", sev,
	    "%llu orphaned sockets host-wide against tcp_max_orphans %lld; %llu connections reset for too many orphans or memory (%s)",
	    (unsigned long long)orphans, (long long)max, (unsigned long long)aborts,
	    sb ? "since boot" : "since the last run");
	if (f == NULL)
		return -1;
	td_ev_int(f, "orphans", (int64_t)orphans);
	if (max > 0) {
		td_ev_int(f, "tcp_max_orphans", max);
		td_ev_float(f, "fill_ratio", ratio);
	}
	td_ev_int(f, "orphaned_here", (int64_t)(st->full + st->fin_wait2));
	ax_ev_counter(ax, f, TD_CTR_ABORT_ON_MEMORY);
	ax_ev_window(ax, f);
	td_reco_add(f, TD_RECO_APP, "close()", NULL, NULL,
	    "orphans are connections closed with data still unacknowledged or peers that never finish; find which peers (tcpdoctor ls state fin-wait-1 state last-ack).");
	if (max > 0 && ratio >= config_get(ax->cfg, TD_TH_OR_WARNING)) {
		snprintf(sug, sizeof(sug), "%lld", (long long)(max * 2));
		td_reco_sysctl(f, snap, TD_SYS_MAX_ORPHANS, sug,
		    "each orphan can hold up to about 64 KiB of unswappable memory (ip-sysctl.rst): raise it only with memory to spare; tcp_orphan_retries (0 means 8) bounds how long they retransmit.");
	}
	return 0;
}

const struct analyzer analyzer_orphans = {
	.id = "orphans",
	.title = "orphaned FIN_WAIT2 and other closed-but-unfinished sockets",
	.state_size = sizeof(struct or_state),
	/* The FIN_WAIT2 timeout, the orphan limit, the model's bound on orphan retries. */
	.verdict_sysctls = TD_SYS_BIT(TD_SYS_FIN_TIMEOUT) | TD_SYS_BIT(TD_SYS_MAX_ORPHANS) |
	    TD_SYS_BIT(TD_SYS_ORPHAN_RETRIES),
	.begin = or_begin,
	.visit = or_visit,
	.finish = or_finish,
};
