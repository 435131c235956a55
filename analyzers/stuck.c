/* SPDX-License-Identifier: MIT */
/*
 * stuck: sockets that have stayed in a state longer than TCP allows on this
 * host, judged by the bundled model with this host's (or namespace's)
 * sysctls.
 *
 * A state that TCP's own timers end has a longest life the model computes
 * (tm_state_max_lifetime(), tcp/state.c):
 *   SYN_SENT   the SYN schedule: tcp_syn_retries retransmissions, the first
 *              tcp_syn_linear_timeouts of them 1 s apart, then doubling,
 *              and tcp_write_timeout() gives up (net/ipv4/tcp_timer.c);
 *   SYN_RECV   a request socket: the SYN-ACK schedule, tcp_synack_retries
 *              (inet_csk_reqsk_queue_drop_and_put() in reqsk_timer_handler(),
 *              net/ipv4/inet_connection_sock.c);
 *   FIN_WAIT1, CLOSING, LAST_ACK held by the application: the FIN is
 *              retransmitted until tcp_retries2 (tcp_write_timeout()).
 * Orphaned sockets (inode 0, the application closed them) are orphans'
 * (orphans.stuck, with tcp_orphan_retries); ESTABLISHED, CLOSE_WAIT and a
 * FIN_WAIT2 the application holds have no bound in TCP (dead_peers,
 * close_wait).
 *
 * The age of a socket is known only across runs: with --state-file (and in
 * `watch`, which keeps one) each socket of these states is remembered by its
 * sock_diag cookie, and one seen in an earlier run has been in its state at
 * least since then.  The kernel checks the time bound when the
 * retransmission timer fires (retransmits_timed_out() counts from
 * retrans_stamp), so a socket may outlive the bound by up to one RTO, plus
 * the timer wheel's slack.  A socket past that is stuck: something this
 * snapshot cannot see lengthens it (TCP_SYNCNT, TCP_USER_TIMEOUT set on the
 * socket), or the kernel does not behave as documented.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/history.h"
#include "analyzers/tally.h"
#include "collectors/sysctl.h"
#include "tcp/tm.h"

#define ST_TRACK_MAX	4096			/* sockets remembered across runs, at most */
#define ST_SLACK_NS	(5LL * 1000000000)	/* timer wheel and scheduling slack */

/* The states judged here, in report order. */
enum st_group { ST_SYN_SENT = 0, ST_SYN_RECV, ST_FIN_WAIT1, ST_CLOSING, ST_LAST_ACK, ST_NGROUPS };

static const struct {
	enum td_state	 state;
	const char	*bound_from;	/* the knobs that make the bound */
	const char	*fix;		/* what to look at */
} groups[ST_NGROUPS] = {
	[ST_SYN_SENT] = { TD_ST_SYN_SENT, "tcp_syn_retries, tcp_syn_linear_timeouts",
	    "connect() attempts that outlive the SYN schedule were given more time by the application: TCP_SYNCNT or TCP_USER_TIMEOUT on the socket (ss -ti shows neither); a connect() toward a service that does not answer should fail sooner, not later." },
	[ST_SYN_RECV] = { TD_ST_SYN_RECV, "tcp_synack_retries",
	    "request sockets that outlive the SYN-ACK schedule: the listener's TCP_SYNCNT or TCP_DEFER_ACCEPT (which keeps a request past its retries), or a kernel that does not expire them; tcpdoctor explain SYN_RECV shows the schedule here." },
	[ST_FIN_WAIT1] = { TD_ST_FIN_WAIT1, "tcp_retries2",
	    "the application shut its side down and the peer never acknowledged the FIN, for longer than tcp_retries2 allows: TCP_USER_TIMEOUT on the socket, or a peer that keeps a zero window (persist probes do not time out while it answers them)." },
	[ST_CLOSING] = { TD_ST_CLOSING, "tcp_retries2",
	    "both sides sent a FIN and ours is not acknowledged: TCP_USER_TIMEOUT on the socket, or a path that drops this host's packets toward the peer." },
	[ST_LAST_ACK] = { TD_ST_LAST_ACK, "tcp_retries2",
	    "the peer closed, the application closed too, and the last FIN is not acknowledged: the peer went away mid-close; TCP_USER_TIMEOUT on the socket lengthens this, tcp_retries2 bounds it otherwise." },
};

struct st_group_state {
	uint64_t	stuck;
	int64_t		age_ns, max_ns;		/* of the oldest stuck socket */
	struct td_sock	sk;
};

struct st_state {
	struct tm_profile	p;		/* the linux profile with this host's sysctls */
	struct st_group_state	g[ST_NGROUPS];
	uint64_t		tracked, untracked;
};

static void
st_begin(void *stp, const struct analyzer_ctx *ax)
{
	struct st_state *st = stp;

	st->p = tm_profile_from_values(sysctl_value, &ax->snap->sys);
}

/* The group of a socket, or -1 when its state has no bound here. */
static int
st_group(const struct td_sock *sk)
{
	switch (sk->state) {
	case TD_ST_SYN_SENT:
		return sk->kind == TD_SK_FULL ? ST_SYN_SENT : -1;
	case TD_ST_SYN_RECV:
	case TD_ST_NEW_SYN_RECV:
		return sk->kind == TD_SK_REQ ? ST_SYN_RECV : -1;
	case TD_ST_FIN_WAIT1:
		return sk->kind == TD_SK_FULL && sk->inode != 0 ? ST_FIN_WAIT1 : -1;
	case TD_ST_CLOSING:
		return sk->kind == TD_SK_FULL && sk->inode != 0 ? ST_CLOSING : -1;
	case TD_ST_LAST_ACK:
		return sk->kind == TD_SK_FULL && sk->inode != 0 ? ST_LAST_ACK : -1;
	}
	return -1;
}

/*
 * The longest this socket may stay in its state here, in ns (INT64_MAX: no
 * bound).  The model gives the SYN and SYN-ACK schedules expiry by expiry;
 * tcp_retries2 is a time bound checked when the retransmission timer fires,
 * up to one RTO (the socket's own, as tcp_info reports it) after it.
 */
static int64_t
stuck_bound_ns(const struct tm_profile *p, const struct td_sock *sk)
{
	enum tm_state ms = sk->kind == TD_SK_REQ ? TM_NEW_SYN_RECV : (enum tm_state)sk->state;
	tm_time max = tm_state_max_lifetime(p, ms, NULL);
	int64_t rto = 0;

	if (max == TM_TIME_INF || max > (tm_time)(INT64_MAX / 2))
		return INT64_MAX;
	if (ms != TM_SYN_SENT && ms != TM_NEW_SYN_RECV)
		rto = sk->has_tcpi && sk->tcpi.rto > 0 ? (int64_t)sk->tcpi.rto * 1000 : (int64_t)p->rto_max;
	return (int64_t)max + rto + ST_SLACK_NS;
}

static void
st_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct st_state *st = stp;
	int64_t first, age, bound, now = ax->snap->meta.mono_ns;
	struct st_group_state *g;
	int gi = st_group(sk);

	if (gi < 0 || sk->cookie == 0)
		return;
	first = history_track(ax->prev, ax->next, sk->cookie, now, ST_TRACK_MAX, &st->tracked,
	    &st->untracked);
	if (first < 0 || now <= first)
		return;
	age = now - first;
	bound = stuck_bound_ns(&st->p, sk);
	if (age <= bound)
		return;
	g = &st->g[gi];
	g->stuck++;
	if (age > g->age_ns) {
		g->age_ns = age;
		g->max_ns = bound;
		g->sk = *sk;
	}
}

/* The finding of group gi, its id a literal (finding_docs_test reads them). */
static struct td_finding *
st_add(struct td_findings *out, struct td_err *err, int gi, const char *peer, const char *text)
{
	switch (gi) {
	case ST_SYN_SENT:
		return td_finding_add(out, err, "stuck.syn_sent", peer, TD_SEV_WARNING, "%s", text);
	case ST_SYN_RECV:
		return td_finding_add(out, err, "stuck.syn_recv", peer, TD_SEV_WARNING, "%s", text);
	case ST_FIN_WAIT1:
		return td_finding_add(out, err, "stuck.fin_wait1", peer, TD_SEV_WARNING, "%s", text);
	case ST_CLOSING:
		return td_finding_add(out, err, "stuck.closing", peer, TD_SEV_WARNING, "%s", text);
	default:
		return td_finding_add(out, err, "stuck.last_ack", peer, TD_SEV_WARNING, "%s", text);
	}
}

static int
st_report(const struct analyzer_ctx *ax, const struct st_state *st, int gi,
    struct td_findings *out, struct td_err *err)
{
	const struct st_group_state *g = &st->g[gi];
	const char *name = td_state_name(groups[gi].state);
	struct td_finding *f;
	char local[64], peer[64], text[512];
	int n;

	td_ep_str(&g->sk.src, g->sk.sport, local, sizeof(local));
	td_ep_str(&g->sk.dst, g->sk.dport, peer, sizeof(peer));
	/* At most about 330 bytes: two endpoints, three numbers, fixed words. */
	n = snprintf(text, sizeof(text), "%llu %s sockets outlived what TCP allows here: %s -> %s was first seen %.0f s ago, and %s may last at most %.0f s with this host's %s (the model; one RTO and timer slack included)",
	    (unsigned long long)g->stuck, name, local, peer, (double)g->age_ns / 1e9, name,
	    (double)g->max_ns / 1e9, groups[gi].bound_from);
	if (n < 0 || (size_t)n >= sizeof(text))
		return td_errf(err, EOVERFLOW, "stuck: the summary of %s does not fit", name);
	if ((f = st_add(out, err, gi, peer, text)) == NULL)
		return -1;
	td_ev_int(f, "stuck", (int64_t)g->stuck);
	td_ev_str(f, "state", "%s", name);
	td_ev_str(f, "local", "%s", local);
	td_ev_str(f, "peer", "%s", peer);
	td_ev_float(f, "seen_for_s", (double)g->age_ns / 1e9);
	td_ev_float(f, "model_max_s", (double)g->max_ns / 1e9);
	td_ev_str(f, "bound_from", "%s", groups[gi].bound_from);
	if (groups[gi].state == TD_ST_SYN_SENT) {
		td_ev_int(f, "tcp_syn_retries", sysctl_int(&ax->snap->sys, TD_SYS_SYN_RETRIES, -1));
	} else if (groups[gi].state == TD_ST_SYN_RECV) {
		td_ev_int(f, "tcp_synack_retries", sysctl_int(&ax->snap->sys, TD_SYS_SYNACK_RETRIES, -1));
	} else {
		td_ev_int(f, "tcp_retries2", sysctl_int(&ax->snap->sys, TD_SYS_RETRIES2, -1));
	}
	td_reco_add(f, TD_RECO_APP, "socket options", NULL, NULL, "%s", groups[gi].fix);
	return 0;
}

static int
st_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct st_state *st = stp;
	int gi;

	for (gi = 0; gi < ST_NGROUPS; gi++)
		if (st->g[gi].stuck > 0 && st_report(ax, st, gi, out, err) < 0)
			return -1;
	/* Sockets not remembered across runs: said, never dropped silently. */
	return td_finding_untracked(out, err, "stuck.untracked", "connecting or closing sockets",
	    st->untracked, st->tracked, ST_TRACK_MAX);
}

const struct analyzer analyzer_stuck = {
	.id = "stuck",
	.title = "connecting and closing sockets older than the model's bound for this host",
	.state_size = sizeof(struct st_state),
	.verdict_sysctls = TD_SYS_BIT(TD_SYS_SYN_RETRIES) | TD_SYS_BIT(TD_SYS_SYN_LINEAR_TIMEOUTS) |
	    TD_SYS_BIT(TD_SYS_SYNACK_RETRIES) | TD_SYS_BIT(TD_SYS_RETRIES2),
	.begin = st_begin,
	.visit = st_visit,
	.finish = st_finish,
};
