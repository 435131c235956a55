/* SPDX-License-Identifier: MIT */
/*
 * close_wait: sockets the peer closed and the application never did.
 *
 * CLOSE_WAIT means the peer's FIN arrived and the local application has
 * not called close(); the kernel never times this state out, so the socket
 * leaks until the process exits.  It keeps its inode, so the owner can be
 * named; Recv-Q counts the unread bytes plus 1 for the FIN (KERNEL-FACTS
 * F18, S4), and unread_bytes reports the data only (cw_unread()).  With
 * --state-file the sockets are remembered by cookie, which gives their age
 * and the growth per process across runs.  No sysctl fixes it, and the
 * finding says so.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/history.h"
#include "analyzers/tally.h"

#define CW_REPORT	10

/*
 * Groups: per process and local port for accepted connections (the local
 * port listens), per process for outgoing ones (ephemeral local ports:
 * each leaked client connection has its own), and per destination when the
 * owner is unknown.
 */
struct cw_key {
	int32_t		pid;		/* 0 when no process holds it, CW_UNREADABLE
					 * when the owner could not be read */
	uint16_t	port;		/* local port if it listens, else 0 (outgoing) */
	uint16_t	dport;		/* outgoing without owner: the destination */
	union {
		char		comm[16];	/* with a pid */
		uint32_t	uid;		/* CW_UNREADABLE: the socket's uid */
	} u;
	struct in6_addr	dst;
};

/*
 * Run without root, the owners of other users' sockets cannot be read.
 * Such a group is named by its sockets' uid and says so, instead of
 * passing for "no owner": the subject must not silently change with the
 * user that runs the check (and check exits 3, as the verdict of this
 * analyzer depends on the owners, see verdict_owner_states).
 */
#define CW_UNREADABLE	(-1)

struct cw_sample {
	struct in6_addr	dst;		/* a peer of the group */
	uint16_t	dport;
	char		container[128];	/* who runs there (td_sock.container), "" if unknown */
};

struct cw_state {
	uint64_t	listen_ports[65536 / 64];
	struct td_tally	groups;		/* count, n[0] unread bytes, n[1] oldest age s, n[2] aged */
	struct cw_sample sample[TD_TALLY_CAP];
	uint64_t	total, unread;
	int64_t		oldest_s;
	uint64_t	untracked;	/* not remembered: the state file's bound */
};

/*
 * Unread data bytes of a CLOSE_WAIT socket.  sock_diag's Recv-Q is
 * rcv_nxt - copied_seq (net/ipv4/tcp_diag.c, tcp_diag_get_info()).  The
 * peer's FIN takes one sequence number (end_seq = seq + SYN + FIN + len,
 * tcp_v4_fill_cb()), so rcv_nxt moved past it when the FIN arrived, and a
 * CLOSE_WAIT socket has always received it; copied_seq passes the FIN only
 * when read() returns 0 (tcp_recvmsg_locked(), found_fin_ok: *seq + 1),
 * after every data byte, since the FIN is the last sequence number.  So a
 * non-zero Recv-Q is the data plus 1 for the unread FIN, and 0 means the
 * application read everything, FIN included.
 */
static uint32_t
cw_unread(const struct td_sock *sk)
{
	return sk->rqueue > 0 ? sk->rqueue - 1 : 0;
}

static void
cw_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct cw_state *st = stp;
	struct cw_key key;
	int64_t first = -1, age;
	bool is_new;
	int s;

	/*
	 * Inode 0 in CLOSE_WAIT: a child still in the accept queue, which the
	 * application never accepted and so cannot close (accept_queue's case).
	 */
	if (sk->state == TD_ST_LISTEN) {
		/* sock_diag dumps a family's listeners before its other sockets. */
		st->listen_ports[sk->sport / 64] |= UINT64_C(1) << (sk->sport % 64);
		return;
	}
	if (sk->state != TD_ST_CLOSE_WAIT || sk->inode == 0)
		return;
	st->total++;
	st->unread += cw_unread(sk);
	memset(&key, 0, sizeof(key));
	if ((st->listen_ports[sk->sport / 64] >> (sk->sport % 64)) & 1)
		key.port = sk->sport;
	if (sk->has_owner) {
		key.pid = sk->pid;
		memcpy(key.u.comm, sk->comm, sizeof(key.u.comm) - 1);
	} else if (sk->owner_status == TD_OWNER_UNREADABLE || sk->owner_status == TD_OWNER_SKIPPED) {
		key.pid = CW_UNREADABLE;
		key.u.uid = sk->uid;
	}
	if (!sk->has_owner && key.port == 0) {
		key.dst = sk->dst;
		key.dport = sk->dport;
	}
	s = tally_slot(&st->groups, &key, sizeof(key), &is_new);
	if (is_new) {
		st->sample[s].dst = sk->dst;
		st->sample[s].dport = sk->dport;
		memcpy(st->sample[s].container, sk->container, sizeof(st->sample[s].container));
		st->sample[s].container[sizeof(st->sample[s].container) - 1] = '\0';
	}
	st->groups.ent[s].count++;
	st->groups.ent[s].n[0] += cw_unread(sk);
	if (sk->cookie == 0)
		return;
	if (ax->prev != NULL)
		first = history_first_seen(ax->prev, sk->cookie);
	if (first >= 0 && ax->snap->meta.mono_ns >= first) {
		age = (ax->snap->meta.mono_ns - first) / 1000000000;
		if ((uint64_t)age > st->groups.ent[s].n[1])
			st->groups.ent[s].n[1] = (uint64_t)age;
		st->groups.ent[s].n[2]++;
		if (age > st->oldest_s)
			st->oldest_s = age;
	}
	if (ax->next != NULL &&
	    !history_add_cookie(ax->next, sk->cookie, first >= 0 ? first : ax->snap->meta.mono_ns))
		st->untracked++;
}

static int
cw_group(const struct analyzer_ctx *ax, const struct td_tally_ent *e, const struct cw_sample *smp,
    struct td_findings *out, struct td_err *err)
{
	const struct cw_key *k = (const void *)e->key;
	uint64_t age = e->n[1];
	int64_t prev = 0;
	bool have_prev = false;
	enum td_severity sev;
	struct td_finding *f;
	char who[128], where[128], peer[64], gkey[TD_HISTORY_GAUGE_KEY];

	td_ep_str(&smp->dst, smp->dport, peer, sizeof(peer));
	if (k->pid == CW_UNREADABLE && k->port != 0)
		snprintf(who, sizeof(who), "port %u, uid %u (owner unreadable)", k->port, k->u.uid);
	else if (k->pid == CW_UNREADABLE)
		snprintf(who, sizeof(who), "uid %u (owner unreadable) to %s", k->u.uid, peer);
	else if (k->pid != 0)
		snprintf(who, sizeof(who), "%s[%d]", k->u.comm, k->pid);
	else if (k->port != 0)
		snprintf(who, sizeof(who), "port %u", k->port);
	else
		snprintf(who, sizeof(who), "connections to %s", peer);
	if (k->port != 0)
		snprintf(where, sizeof(where), "on local port %u (accepted connections)", k->port);
	else
		snprintf(where, sizeof(where), "on outgoing connections (peers such as %s)", peer);
	snprintf(gkey, sizeof(gkey), "close_wait:%d:%.15s:%u:%.28s", k->pid,
	    k->pid > 0 ? k->u.comm : "", k->port, k->pid <= 0 && k->port == 0 ? peer : "");
	if (ax->prev != NULL)
		have_prev = history_gauge(ax->prev, gkey, &prev);
	if (ax->next != NULL)
		history_set_gauge(ax->next, gkey, (int64_t)e->count);
	if (e->count >= config_get(ax->cfg, TD_TH_CW_CRITICAL))
		sev = TD_SEV_CRITICAL;
	else if (e->count >= config_get(ax->cfg, TD_TH_CW_WARNING) ||
	    (e->n[2] > 0 && age >= config_get(ax->cfg, TD_TH_CW_AGE)))
		sev = TD_SEV_WARNING;
	else
		return 0;
	if (smp->container[0] != '\0')
		f = td_finding_add(out, err, "close_wait.leak", who, sev,
		    "%s: %llu connections in CLOSE_WAIT %s, held by %s: the peers closed and the application never called close() (an application bug; no sysctl fixes it)",
		    smp->container, (unsigned long long)e->count, where, who);
	else
		f = td_finding_add(out, err, "close_wait.leak", who, sev,
		    "%s: %llu connections in CLOSE_WAIT %s: the peers closed and the application never called close() (an application bug; no sysctl fixes it)",
		    who, (unsigned long long)e->count, where);
	if (f == NULL)
		return -1;
	if (smp->container[0] != '\0')
		td_ev_str(f, "container", "%s", smp->container);
	if (k->pid > 0) {
		td_ev_int(f, "pid", k->pid);
		td_ev_str(f, "command", "%s", k->u.comm);
	} else if (k->pid == CW_UNREADABLE) {
		td_ev_bool(f, "owner_unreadable", true);
		td_ev_int(f, "uid", k->u.uid);
	}
	if (k->port != 0)
		td_ev_int(f, "local_port", k->port);
	td_ev_bool(f, "outgoing", k->port == 0);
	td_ev_str(f, "peer", "%s", peer);
	td_ev_int(f, "close_wait", (int64_t)e->count);
	td_ev_int(f, "unread_bytes", (int64_t)e->n[0]);
	if (e->n[2] > 0)
		td_ev_int(f, "oldest_age_s", (int64_t)age);
	if (have_prev)
		td_ev_int(f, "growth", (int64_t)e->count - prev);
	td_reco_add(f, TD_RECO_APP, "close()", NULL, NULL,
	    "%s must close() each socket once read() returns 0 (the peer's FIN) or an error, also on error paths%s; watch its open descriptors (/proc/PID/fd). The kernel never times CLOSE_WAIT out: tcp_fin_timeout, keepalive and the TIME_WAIT knobs do not apply; restarting the process only hides the leak, and so does tcpdoctor kill: the descriptor stays open in the application, leaked as before.",
	    k->pid > 0 ? who : "the application", k->port == 0 ? " (for clients: return connections to the pool, close responses)" : "");
	return 0;
}

/* Sockets the state file could not hold: said, never dropped silently. */
static int
cw_untracked(const struct cw_state *st, struct td_findings *out, struct td_err *err)
{
	struct td_finding *f;

	if (st->untracked == 0)
		return 0;
	f = td_finding_add(out, err, "close_wait.untracked", "", TD_SEV_INFO,
	    "%llu of %llu CLOSE_WAIT sockets were not recorded in the state file, which keeps at most %d sockets: their age is not known, and the next run sees them as new",
	    (unsigned long long)st->untracked, (unsigned long long)st->total, TD_HISTORY_COOKIES);
	if (f == NULL)
		return -1;
	td_ev_int(f, "untracked", (int64_t)st->untracked);
	td_ev_int(f, "close_wait", (int64_t)st->total);
	td_ev_int(f, "tracked_max", TD_HISTORY_COOKIES);
	return 0;
}

static int
cw_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct cw_state *st = stp;
	int idx[CW_REPORT];
	size_t i, n;

	n = tally_top(&st->groups, idx, CW_REPORT);
	for (i = 0; i < n; i++)
		if (cw_group(ax, &st->groups.ent[idx[i]], &st->sample[idx[i]], out, err) < 0)
			return -1;
	return cw_untracked(st, out, err);
}

const struct analyzer analyzer_close_wait = {
	.id = "close_wait",
	.title = "connections the peer closed and the application never did",
	.state_size = sizeof(struct cw_state),
	/* Groups by owner: an unknown owner changes the groups and their counts. */
	.verdict_owner_states = TD_STATE_BIT(TD_ST_CLOSE_WAIT),
	.visit = cw_visit,
	.finish = cw_finish,
};
