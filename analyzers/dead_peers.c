/* SPDX-License-Identifier: MIT */
/*
 * dead_peers: established connections whose peer or path has gone away.
 *
 * A connection with unacknowledged data retransmits with exponential
 * backoff until tcp_retries2 (15: about 924.6 s, ip-sysctl.rst) and then
 * dies with ETIMEDOUT (TCPAbortOnTimeout, KERNEL-FACTS F19, S8).  An idle
 * connection notices nothing unless it has SO_KEEPALIVE, and then only after
 * tcp_keepalive_time + tcp_keepalive_probes x tcp_keepalive_intvl
 * (7200 + 9 x 75 = 7875 s by default, F9).  TCP_USER_TIMEOUT bounds both
 * per socket.  Children still in the accept queue (ESTABLISHED, inode 0,
 * F13) are not idle connections: no application holds them yet, so they
 * are accept_queue's business, not this analyzer's.
 *
 * TCPAbortOnTimeout counts every socket tcp_write_err() kills
 * (net/ipv4/tcp_timer.c): established ones, connect() attempts in SYN_SENT
 * and orphans retransmitting their FIN.  tcp_set_state() counts
 * EstabResets only for ESTABLISHED or CLOSE_WAIT going to CLOSE, tcp_done()
 * counts AttemptFails only from SYN_SENT or SYN_RECV (net/ipv4/tcp.c), so
 * at most min(TCPAbortOnTimeout, EstabResets) of the timeouts were
 * established connections: without EstabResets moving, none were.
 */
#include <stdio.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/tally.h"
#include "collectors/sysctl.h"
#include "tcp/tm.h"

#define DP_REPORT	5	/* idle groups reported, at most */

/* Idle inbound connections are grouped by owner and local port. */
struct dp_idle_key {
	int32_t		pid;		/* 0 when the owner is unknown */
	uint16_t	port;
	uint16_t	pad;
	char		comm[16];
};

/* A listener's owner, by local port. */
struct dp_owner {
	int32_t		pid;
	char		comm[16];
};

struct dp_state {
	uint64_t	listen_ports[65536 / 64];
	struct td_tally	listeners;	/* by port; the owner in owner[] */
	struct dp_owner	owner[TD_TALLY_CAP];
	struct td_tally	peers;		/* backing-off sockets by remote address */
	struct td_tally	idle_groups;	/* count; n[0] sockets whose owner is known */
	uint64_t	backing_off, unacked_bytes, idle, unaccepted;
	uint32_t	max_retrans;
	/*
	 * Idle connections without keepalive seen before any listener of
	 * their port (a walk may deliver the listeners last: collectors/
	 * source.c holds them back for their owners), by local port: judged
	 * at the end, when every listener is known.
	 */
	uint32_t	pend_idle[65536], pend_unaccepted[65536];
	bool		pending;
};

/* One idle inbound connection of port without keepalive into its group. */
static void
dp_idle_add(struct dp_state *st, uint16_t port, const struct td_sock *sk, uint32_t n)
{
	struct dp_idle_key ik;
	struct td_ep_key key;
	bool is_new;
	int s;

	st->idle += n;
	memset(&ik, 0, sizeof(ik));
	ik.port = port;
	if (sk != NULL && sk->has_owner) {
		ik.pid = sk->pid;
		memcpy(ik.comm, sk->comm, sizeof(ik.comm) - 1);
	} else {
		/*
		 * check resolves owners of listeners, not of every established
		 * socket (that would cost memory per socket): name the process
		 * that listens on the port.
		 */
		memset(&key, 0, sizeof(key));
		key.port = port;
		s = tally_lookup(&st->listeners, &key, sizeof(key));
		if (s >= 0) {
			ik.pid = st->owner[s].pid;
			memcpy(ik.comm, st->owner[s].comm, sizeof(ik.comm) - 1);
		}
	}
	s = tally_slot(&st->idle_groups, &ik, sizeof(ik), &is_new);
	if (s >= 0)
		st->idle_groups.ent[s].count += n;
}

static bool
dp_listening(const struct dp_state *st, uint16_t port)
{
	return (st->listen_ports[port / 64] >> (port % 64)) & 1;
}

static void
dp_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct dp_state *st = stp;
	struct td_ep_key key;
	bool is_new;
	int s;

	if (sk->state == TD_ST_LISTEN) {
		st->listen_ports[sk->sport / 64] |= UINT64_C(1) << (sk->sport % 64);
		if (sk->has_owner) {
			memset(&key, 0, sizeof(key));
			key.port = sk->sport;
			s = tally_slot(&st->listeners, &key, sizeof(key), &is_new);
			st->listeners.ent[s].count++;
			st->owner[s].pid = sk->pid;
			memcpy(st->owner[s].comm, sk->comm, sizeof(st->owner[s].comm) - 1);
		}
		return;
	}
	if (sk->state != TD_ST_ESTABLISHED || sk->kind != TD_SK_FULL)
		return;
	if (sk->timer == TD_TIMER_ON && sk->retrans >= config_get(ax->cfg, TD_TH_DP_RETRANS)) {
		st->backing_off++;
		st->unacked_bytes += sk->wqueue;
		if (sk->retrans > st->max_retrans)
			st->max_retrans = sk->retrans;
		memset(&key, 0, sizeof(key));
		key.addr = sk->dst;
		s = tally_slot(&st->peers, &key, sizeof(key), &is_new);
		st->peers.ent[s].count++;
		return;
	}
	/* Inbound (its local port listens), idle, no keepalive timer. */
	if (sk->timer == TD_TIMER_OFF && sk->has_tcpi &&
	    sk->tcpi.last_data_recv >= config_get(ax->cfg, TD_TH_DP_IDLE) * 1000 &&
	    sk->tcpi.last_data_sent >= config_get(ax->cfg, TD_TH_DP_IDLE) * 1000) {
		if (!dp_listening(st, sk->sport)) {
			/* Its listener may come later in the walk: judged at the end. */
			if (sk->inode == 0) {
				if (st->pend_unaccepted[sk->sport] < UINT32_MAX)
					st->pend_unaccepted[sk->sport]++;
			} else if (st->pend_idle[sk->sport] < UINT32_MAX) {
				st->pend_idle[sk->sport]++;
			}
			st->pending = true;
			return;
		}
		/* Not accepted yet (inode 0): the accept queue's, not an idle connection. */
		if (sk->inode == 0) {
			st->unaccepted++;
			return;
		}
		dp_idle_add(st, sk->sport, sk, 1);
	}
}

/* The pending ones whose port turned out to listen; the others are outbound. */
static void
dp_settle(struct dp_state *st)
{
	uint32_t port;

	for (port = 0; st->pending && port < 65536; port++) {
		if (!dp_listening(st, (uint16_t)port))
			continue;
		st->unaccepted += st->pend_unaccepted[port];
		if (st->pend_idle[port] > 0)
			dp_idle_add(st, (uint16_t)port, NULL, st->pend_idle[port]);
	}
	st->pending = false;
}

/*
 * Seconds until a connection gives up after `retries` retransmissions from
 * the minimum RTO: the model's tcp_model_timeout() (tcp/tm.h), with this
 * snapshot's sysctls.  15 gives 924.6 s.
 */
static double
dp_give_up_s(const struct td_sysctls *sys, int64_t retries)
{
	struct tm_profile p = tm_profile_from_values(sysctl_value, sys);

	return (double)tm_retries_timeout(&p, (int)retries, p.retries_base) / 1e9;
}

/* One group of idle inbound connections without keepalive: a process and its port. */
static int
dp_idle(const struct analyzer_ctx *ax, const struct td_tally_ent *e, uint64_t unaccepted,
    struct td_findings *out, struct td_err *err)
{
	const struct dp_idle_key *k = (const void *)e->key;
	const struct td_sysctls *sys = &ax->snap->sys;
	int64_t kt = sysctl_int(sys, TD_SYS_KEEPALIVE_TIME, 7200);
	int64_t ki = sysctl_int(sys, TD_SYS_KEEPALIVE_INTVL, 75);
	int64_t kp = sysctl_int(sys, TD_SYS_KEEPALIVE_PROBES, 9);
	struct td_finding *f;
	char who[64];

	if (e->count < config_get(ax->cfg, TD_TH_DP_IDLE_COUNT))
		return 0;
	if (k->pid != 0)
		snprintf(who, sizeof(who), "%s[%d] port %u", k->comm, k->pid, k->port);
	else
		snprintf(who, sizeof(who), "port %u", k->port);
	f = td_finding_add(out, err, "dead_peers.no_keepalive", who, TD_SEV_INFO,
	    "%s: %llu accepted connections idle for over %.0f s without keepalive: a peer that vanished is never noticed and the socket stays forever",
	    who, (unsigned long long)e->count, config_get(ax->cfg, TD_TH_DP_IDLE));
	if (f == NULL)
		return -1;
	td_ev_int(f, "idle_without_keepalive", (int64_t)e->count);
	td_ev_int(f, "local_port", k->port);
	if (k->pid != 0) {
		td_ev_int(f, "pid", k->pid);
		td_ev_str(f, "command", "%s", k->comm);
	}
	td_ev_int(f, "not_yet_accepted", (int64_t)unaccepted);
	td_ev_int(f, "tcp_keepalive_time", kt);
	td_ev_int(f, "tcp_keepalive_intvl", ki);
	td_ev_int(f, "tcp_keepalive_probes", kp);
	td_ev_int(f, "keepalive_detection_s", kt + kp * ki);
	td_reco_add(f, TD_RECO_APP, "SO_KEEPALIVE", NULL, NULL,
	    "enable SO_KEEPALIVE in %s (or an application ping); with the current sysctls a dead idle peer is found after %lld + %lld x %lld = %lld s; TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT set it per socket.",
	    k->pid != 0 ? k->comm : "the server", (long long)kt, (long long)kp, (long long)ki,
	    (long long)(kt + kp * ki));
	if (kt > 600)
		td_reco_sysctl(f, ax->snap, TD_SYS_KEEPALIVE_TIME, "600",
		    "shortens detection for sockets that have SO_KEEPALIVE (only those); the rest still need the application to enable it.");
	return 0;
}

static int
dp_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct dp_state *st = stp;
	const struct td_sysctls *sys = &ax->snap->sys;
	int64_t r2 = sysctl_int(sys, TD_SYS_RETRIES2, 15);
	uint64_t aborts = 0, resets = 0, estab;
	bool sb = true, sb2 = true;
	struct td_finding *f;
	char peer[64] = "";
	int top, idx[DP_REPORT];
	size_t i, n;

	dp_settle(st);

	ax_counter(ax, TD_CTR_ABORT_ON_TIMEOUT, &aborts, &sb);
	if (st->backing_off > 0) {
		if (tally_top(&st->peers, &top, 1) == 1)
			td_ep_str(&((const struct td_ep_key *)(const void *)st->peers.ent[top].key)->addr,
			    0, peer, sizeof(peer));
		f = td_finding_add(out, err, "dead_peers.retransmitting", "",
		    st->backing_off >= config_get(ax->cfg, TD_TH_DP_WARNING) ? TD_SEV_WARNING : TD_SEV_INFO,
		    "%llu established connections are retransmitting with backoff (up to %u times; most to %s): the peer or the path is gone; the kernel gives up after tcp_retries2=%lld, about %.0f s",
		    (unsigned long long)st->backing_off, st->max_retrans, peer, (long long)r2,
		    dp_give_up_s(sys, r2));
		if (f == NULL)
			return -1;
		td_ev_int(f, "retransmitting", (int64_t)st->backing_off);
		td_ev_int(f, "max_retrans", st->max_retrans);
		td_ev_int(f, "unacked_bytes", (int64_t)st->unacked_bytes);
		td_ev_str(f, "top_peer", "%s", peer);
		td_ev_int(f, "tcp_retries2", r2);
		td_ev_float(f, "give_up_s", dp_give_up_s(sys, r2));
		ax_ev_counter(ax, f, TD_CTR_ABORT_ON_TIMEOUT);
		ax_ev_window(ax, f);
		td_reco_add(f, TD_RECO_APP, "TCP_USER_TIMEOUT", NULL, NULL,
		    "set TCP_USER_TIMEOUT (ms) on these sockets to fail after a bounded time instead of %.0f s; check the path to %s.",
		    dp_give_up_s(sys, r2), peer);
	}
	n = tally_top(&st->idle_groups, idx, DP_REPORT);
	for (i = 0; i < n; i++)
		if (dp_idle(ax, &st->idle_groups.ent[idx[i]], st->unaccepted, out, err) < 0)
			return -1;
	/*
	 * Only timeouts of established connections belong here: EstabResets
	 * bounds them (see the top of this file).  connect() timeouts are
	 * connects.timeouts, orphans' are orphans.retransmitting.
	 */
	ax_counter(ax, TD_CTR_ESTAB_RESETS, &resets, &sb2);
	estab = aborts < resets ? aborts : resets;
	if (estab > 0 && st->backing_off == 0 && !sb && !sb2) {
		f = td_finding_add(out, err, "dead_peers.timeouts", "",
		    estab >= config_get(ax->cfg, TD_TH_DP_WARNING) ? TD_SEV_WARNING : TD_SEV_INFO,
		    "up to %llu established connections were killed by retransmission or keepalive timeouts since the last run (%llu timeouts in all, %llu established resets)",
		    (unsigned long long)estab, (unsigned long long)aborts,
		    (unsigned long long)resets);
		if (f == NULL)
			return -1;
		td_ev_int(f, "established_timeouts_max", (int64_t)estab);
		ax_ev_counter(ax, f, TD_CTR_ABORT_ON_TIMEOUT);
		ax_ev_counter(ax, f, TD_CTR_ESTAB_RESETS);
		ax_ev_counter(ax, f, TD_CTR_ATTEMPT_FAILS);
		ax_ev_window(ax, f);
		td_reco_add(f, TD_RECO_APP, "peers", NULL, NULL,
		    "peers or paths went away mid-connection; correlate with network events.");
	}
	return 0;
}

const struct analyzer analyzer_dead_peers = {
	.id = "dead_peers",
	.title = "established connections to peers that stopped answering",
	.state_size = sizeof(struct dp_state),
	/* Names the process listening on an idle connection's port. */
	.named_owner_states = TD_STATE_BIT(TD_ST_LISTEN),
	.visit = dp_visit,
	.finish = dp_finish,
};
