/* SPDX-License-Identifier: MIT */
/*
 * accept_queue: listeners whose accept queue is full or filling, and
 * listen drops that a full queue does not explain.
 *
 * On a LISTEN socket sock_diag reports idiag_rqueue = sk_ack_backlog (the
 * accept-queue length) and idiag_wqueue = sk_max_ack_backlog (the effective
 * backlog, min(listen() backlog, somaxconn)); SK_MEMINFO_DROPS is the
 * listener's own ListenDrops (net/ipv4/tcp_diag.c tcp_diag_get_info(),
 * tcp_listendrop()).  The queue is full when sk_ack_backlog > backlog, so
 * backlog + 1 children fit (sk_acceptq_is_full()).  KERNEL-FACTS F5, F13,
 * F15, scenario S1 and S10.
 *
 * The fix for an overflowing accept queue is in the application (accept
 * faster, a larger listen() backlog) and in somaxconn when that caps the
 * backlog; tcp_max_syn_backlog has nothing to do with it (F6).
 */
#include <stdio.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/tally.h"
#include "collectors/sysctl.h"

#define AQ_REPORT	10	/* listeners reported, at most */

struct aq_owner {
	int32_t		pid;
	char		comm[16];
	char		container[128];	/* td_sock.container: who runs there, "" if unknown */
	bool		unreadable;	/* the owner could not be read (not root) */
	uint32_t	uid;		/* then: the listener's uid */
};

struct aq_state {
	struct td_tally	listeners;	/* n[0] queue, n[1] backlog, n[2] drops */
	struct aq_owner	owner[TD_TALLY_CAP];
	uint64_t	nlisteners;
};

static void
aq_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct aq_state *st = stp;
	struct td_ep_key key;
	uint32_t drops;
	bool is_new;
	int s;

	if (sk->state != TD_ST_LISTEN)
		return;
	st->nlisteners++;
	drops = sk->has_skmem ? sk->skmem.drops : 0;
	if (sk->rqueue < config_get(ax->cfg, TD_TH_AQ_MIN_QUEUE) && drops == 0)
		return;
	memset(&key, 0, sizeof(key));
	key.addr = sk->src;
	key.port = sk->sport;
	s = tally_slot(&st->listeners, &key, sizeof(key), &is_new);
	st->listeners.ent[s].count = (uint64_t)sk->rqueue * 1000 / (sk->wqueue + 1) + drops;
	st->listeners.ent[s].n[0] = sk->rqueue;
	st->listeners.ent[s].n[1] = sk->wqueue;
	st->listeners.ent[s].n[2] = drops;
	memset(&st->owner[s], 0, sizeof(st->owner[s]));
	memcpy(st->owner[s].container, sk->container, sizeof(st->owner[s].container));
	st->owner[s].container[sizeof(st->owner[s].container) - 1] = '\0';
	if (sk->has_owner) {
		st->owner[s].pid = sk->pid;
		memcpy(st->owner[s].comm, sk->comm, sizeof(sk->comm));
		st->owner[s].comm[sizeof(st->owner[s].comm) - 1] = '\0';
	} else if (sk->owner_status == TD_OWNER_UNREADABLE || sk->owner_status == TD_OWNER_SKIPPED) {
		st->owner[s].unreadable = true;
		st->owner[s].uid = sk->uid;
	}
}

#define AQ_SOMAXCONN_DEFAULT	4096	/* SOMAXCONN since Linux 5.4 (commit 19f92a030ca6) */
#define AQ_BACKLOG_MAX		65535	/* what nginx and most servers accept as a backlog */

/*
 * The listen() backlog to suggest, from what was observed: the queue held
 * `queue` connections and the listener dropped `drops` more, so a backlog
 * of queue + drops would have held the burst seen; twice that leaves room
 * for a larger one, rounded up to a power of two, never below the current
 * backlog's double, at most AQ_BACKLOG_MAX.  No fixed floor: a listener
 * with backlog 8 that dropped 3 connections needs 32, not 511.
 */
static uint64_t
aq_suggest_backlog(uint64_t queue, uint64_t backlog, uint64_t drops)
{
	uint64_t need = 2 * (queue + drops), b = 1;

	if (need < 2 * backlog)
		need = 2 * backlog;
	while (b < need && b < AQ_BACKLOG_MAX)
		b *= 2;
	return b < AQ_BACKLOG_MAX ? b : AQ_BACKLOG_MAX;
}

/*
 * The somaxconn to suggest when it caps the backlog: at least the backlog
 * suggested, never below the kernel's default (4096 since 5.4) nor the
 * current value.
 */
static uint64_t
aq_suggest_somaxconn(uint64_t want, int64_t somaxconn)
{
	uint64_t v = want > AQ_SOMAXCONN_DEFAULT ? want : AQ_SOMAXCONN_DEFAULT;

	return somaxconn > 0 && (uint64_t)somaxconn > v ? (uint64_t)somaxconn : v;
}

static int
aq_listener(const struct analyzer_ctx *ax, const struct td_tally_ent *e,
    const struct aq_owner *own, struct td_findings *out, struct td_err *err)
{
	const struct td_snapshot *snap = ax->snap;
	const struct td_ep_key *key = (const void *)e->key;
	uint64_t queue = e->n[0], backlog = e->n[1], drops = e->n[2], ovf = 0;
	int64_t somaxconn = sysctl_int(&snap->sys, TD_SYS_SOMAXCONN, -1);
	double ratio = (double)queue / (double)(backlog > 0 ? backlog : 1);
	enum td_severity sev;
	struct td_finding *f;
	char ep[64], who[200] = "", sug[24], rate[64] = "";
	uint64_t want;
	const char *state;
	bool since_boot = true, full = queue > backlog;

	ax_counter(ax, TD_CTR_LISTEN_OVERFLOWS, &ovf, &since_boot);
	if (!since_boot && ax->delta.interval_s > 0)
		snprintf(rate, sizeof(rate), " (host-wide %.2f overflows/s since the last run)",
		    (double)ovf / ax->delta.interval_s);
	if (full) {
		sev = TD_SEV_CRITICAL;
		state = "full";
	} else if (ratio >= config_get(ax->cfg, TD_TH_AQ_WARNING) &&
	    queue >= config_get(ax->cfg, TD_TH_AQ_MIN_QUEUE)) {
		sev = TD_SEV_WARNING;
		state = "filling up";
	} else if (drops > 0 && ovf > 0) {
		/*
		 * sk_drops counts every tcp_listendrop() path, so its drops are
		 * overflows only if ListenOverflows moved; a warning only when
		 * it moved since the last run.
		 */
		sev = !since_boot ? TD_SEV_WARNING : TD_SEV_INFO;
		state = "not full now";
	} else {
		return 0;
	}
	td_ep_str(&key->addr, key->port, ep, sizeof(ep));
	if (own->container[0] != '\0' && own->comm[0] != '\0')
		snprintf(who, sizeof(who), " (%s, held by %s[%d])", own->container, own->comm, own->pid);
	else if (own->container[0] != '\0')
		snprintf(who, sizeof(who), " (%s)", own->container);
	else if (own->comm[0] != '\0')
		snprintf(who, sizeof(who), " (%s[%d])", own->comm, own->pid);
	else if (own->unreadable)
		snprintf(who, sizeof(who), " (owner unreadable, uid %u)", own->uid);
	f = td_finding_add(out, err, "accept_queue.overflow", ep, sev,
	    "listener %s%s: accept queue %llu of backlog %llu, %s; the listener dropped %llu SYNs or handshake ACKs: the application accepts too slowly",
	    ep, who, (unsigned long long)queue, (unsigned long long)backlog, state,
	    (unsigned long long)drops);
	if (f == NULL)
		return -1;
	td_ev_str(f, "listener", "%s", ep);
	td_ev_int(f, "port", key->port);
	td_ev_int(f, "accept_queue", (int64_t)queue);
	td_ev_int(f, "backlog", (int64_t)backlog);
	td_ev_float(f, "fill_ratio", ratio);
	td_ev_bool(f, "full", full);
	td_ev_int(f, "listener_drops", (int64_t)drops);
	if (own->container[0] != '\0')
		td_ev_str(f, "container", "%s", own->container);
	if (own->comm[0] != '\0') {
		td_ev_int(f, "pid", own->pid);
		td_ev_str(f, "command", "%s", own->comm);
	} else if (own->unreadable) {
		td_ev_bool(f, "owner_unreadable", true);
		td_ev_int(f, "uid", own->uid);
	}
	if (somaxconn >= 0)
		td_ev_int(f, "somaxconn", somaxconn);
	ax_ev_counter(ax, f, TD_CTR_LISTEN_OVERFLOWS);
	ax_ev_counter(ax, f, TD_CTR_LISTEN_DROPS);
	ax_ev_window(ax, f);

	td_reco_add(f, TD_RECO_APP, "accept()", NULL, NULL,
	    "accept connections faster: more accept workers or threads, a non-blocking accept loop that drains the queue; a full queue drops new SYNs and third ACKs, so clients wait for their SYN retransmissions (1 s and more each).");
	want = aq_suggest_backlog(queue, backlog, drops);
	snprintf(sug, sizeof(sug), "%llu", (unsigned long long)want);
	snprintf(who, sizeof(who), "%llu", (unsigned long long)backlog);
	td_reco_add(f, TD_RECO_APP, "listen() backlog", who, sug,
	    "the accept queue holds backlog + 1 connections, with backlog = min(listen() argument, net.core.somaxconn); it held %llu and the listener dropped %llu%s, so %llu (twice the burst seen, as a power of two) would have held it: raise the application's listen() backlog (nginx: listen ... backlog=N); tcp_max_syn_backlog does not size this queue.",
	    (unsigned long long)queue, (unsigned long long)drops, rate, (unsigned long long)want);
	if (somaxconn >= 0 && ((uint64_t)somaxconn <= backlog || (uint64_t)somaxconn < want)) {
		snprintf(sug, sizeof(sug), "%llu",
		    (unsigned long long)aq_suggest_somaxconn(want, somaxconn));
		if ((uint64_t)somaxconn <= backlog)
			td_reco_sysctl(f, snap, TD_SYS_SOMAXCONN, sug,
			    "somaxconn caps every listen() backlog (the effective backlog %llu equals it): raise it to at least the backlog the application asks for (%llu here); never below 4096, the kernel's default since Linux 5.4; it costs nothing until used.",
			    (unsigned long long)backlog, (unsigned long long)want);
		else
			td_reco_sysctl(f, snap, TD_SYS_SOMAXCONN, sug,
			    "somaxconn (%lld) would cap the larger backlog: raise it with the application's listen() backlog (%llu here); never below 4096, the kernel's default since Linux 5.4; it costs nothing until used.",
			    (long long)somaxconn, (unsigned long long)want);
	}
	return 0;
}

static int
aq_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct aq_state *st = stp;
	uint64_t ovf = 0, drops = 0, qdrop = 0, other;
	bool sb1 = true, sb2 = true, sb3 = true, have_ovf, have_drops;
	int idx[AQ_REPORT];
	size_t i, n, before = out->n;
	enum td_severity sev;
	struct td_finding *f;

	n = tally_top(&st->listeners, idx, AQ_REPORT);
	for (i = 0; i < n; i++)
		if (aq_listener(ax, &st->listeners.ent[idx[i]], &st->owner[idx[i]], out, err) < 0)
			return -1;

	have_ovf = ax_counter(ax, TD_CTR_LISTEN_OVERFLOWS, &ovf, &sb1);
	have_drops = ax_counter(ax, TD_CTR_LISTEN_DROPS, &drops, &sb2);
	ax_counter(ax, TD_CTR_REQQ_FULL_DROP, &qdrop, &sb3);

	/* Overflows counted, but no listener shows them now (closed, or drained). */
	if (have_ovf && ovf > 0 && out->n == before) {
		f = td_finding_add(out, err, "accept_queue.overflow", "", sb1 ? TD_SEV_INFO : TD_SEV_WARNING,
		    "%llu connections dropped because an accept queue was full (%s); no listener is full now",
		    (unsigned long long)ovf, sb1 ? "since boot" : "since the last run");
		if (f == NULL)
			return -1;
		ax_ev_counter(ax, f, TD_CTR_LISTEN_OVERFLOWS);
		ax_ev_counter(ax, f, TD_CTR_LISTEN_DROPS);
		ax_ev_window(ax, f);
		td_reco_add(f, TD_RECO_APP, "accept()", NULL, NULL,
		    "a listener's accept queue overflowed: run with --state-file from cron to see when, then raise that application's listen() backlog or accept faster.");
	}

	/*
	 * ListenDrops counts every tcp_listendrop() path; ListenOverflows and a
	 * full SYN queue with cookies off (TCPReqQFullDrop) explain part of it.
	 * The rest is routing of the SYN-ACK, memory or policy (F15, S10).
	 */
	if (!have_drops)
		return 0;
	other = drops;
	other -= ovf < other ? ovf : other;
	other -= qdrop < other ? qdrop : other;
	if (other == 0)
		return 0;
	if (sb2)
		sev = TD_SEV_INFO;
	else
		sev = other >= config_get(ax->cfg, TD_TH_AQ_OTHER_DROPS) ? TD_SEV_WARNING : TD_SEV_INFO;
	f = td_finding_add(out, err, "accept_queue.other_drops", "", sev,
	    "%llu SYNs dropped by listeners for reasons other than a full accept or SYN queue (%s): routing of the SYN-ACK, memory or policy",
	    (unsigned long long)other, sb2 ? "since boot" : "since the last run");
	if (f == NULL)
		return -1;
	td_ev_int(f, "other_drops", (int64_t)other);
	ax_ev_counter(ax, f, TD_CTR_LISTEN_DROPS);
	ax_ev_counter(ax, f, TD_CTR_LISTEN_OVERFLOWS);
	ax_ev_counter(ax, f, TD_CTR_REQQ_FULL_DROP);
	ax_ev_window(ax, f);
	td_reco_add(f, TD_RECO_KERNEL, "routing", NULL, NULL,
	    "check that SYN-ACKs can be routed back to the clients (a listener on 127.0.0.1 cannot answer outside sources), socket memory (TCPMemoryPressures) and LSM or BPF policy; a larger backlog does not help these drops.");
	return 0;
}

const struct analyzer analyzer_accept_queue = {
	.id = "accept_queue",
	.title = "listeners whose accept queue is full, and drops it does not explain",
	.state_size = sizeof(struct aq_state),
	/* The listener is the subject; its owner is only named. */
	.named_owner_states = TD_STATE_BIT(TD_ST_LISTEN),
	.visit = aq_visit,
	.finish = aq_finish,
};
