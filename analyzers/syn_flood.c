/* SPDX-License-Identifier: MIT */
/*
 * syn_flood: listeners whose SYN queue is saturated with request sockets,
 * and the SYN-cookie counters.
 *
 * Request sockets (TCP_NEW_SYN_RECV) are dumped as SYN_RECV with inode 0
 * (KERNEL-FACTS F14); the kernel exposes no queue length, so they are
 * counted per listener here.  The SYN queue is full when it holds more than
 * the listener's backlog (tcp_conn_request(), inet_csk_reqsk_queue_is_full()),
 * so at most backlog + 1 request sockets exist; after that tcp_syncookies
 * decides: 1 answers with cookies (TCPReqQFullDoCookies), 0 drops the SYN
 * (TCPReqQFullDrop), 2 sends cookies for every SYN so no request socket is
 * ever kept and the queue is invisible (F6, F7, S2, S3).  A spoofed flood
 * comes from many unrelated sources that never answer the SYN-ACK, so its
 * requests are retransmitted and spread over many /24 (/48) prefixes.
 */
#include <stdio.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/tally.h"
#include "collectors/sysctl.h"

#define SF_REPORT	5

/* A listener as the result of matching request groups to it. */
struct sf_agg {
	struct td_ep_key	ep;
	bool			known;		/* a LISTEN socket was seen */
	uint64_t		backlog, reqs, retransmitted, max_retrans;
	struct td_distinct	src, pfx;
};

struct sf_state {
	struct sf_agg		agg[SF_REPORT * 4];
	struct td_tally		listeners;	/* n[0] backlog */
	struct td_tally		reqs;		/* by local endpoint: count, n[0] retransmitted, n[1] max retrans */
	struct td_distinct	src[TD_TALLY_CAP];
	struct td_distinct	pfx[TD_TALLY_CAP];
	uint64_t		total_reqs;
};

static void
sf_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct sf_state *st = stp;
	struct td_ep_key key;
	struct in6_addr pfx;
	bool is_new;
	int s;

	(void)ax;
	memset(&key, 0, sizeof(key));
	key.addr = sk->src;
	key.port = sk->sport;
	if (sk->state == TD_ST_LISTEN) {
		s = tally_slot(&st->listeners, &key, sizeof(key), &is_new);
		st->listeners.ent[s].count = 1;
		st->listeners.ent[s].n[0] = sk->wqueue;
		return;
	}
	if (sk->state != TD_ST_SYN_RECV || sk->kind != TD_SK_REQ)
		return;
	st->total_reqs++;
	s = tally_slot(&st->reqs, &key, sizeof(key), &is_new);
	if (is_new) {
		memset(&st->src[s], 0, sizeof(st->src[s]));
		memset(&st->pfx[s], 0, sizeof(st->pfx[s]));
	}
	st->reqs.ent[s].count++;
	if (sk->retrans > 0)
		st->reqs.ent[s].n[0]++;
	if (sk->retrans > st->reqs.ent[s].n[1])
		st->reqs.ent[s].n[1] = sk->retrans;
	distinct_add(&st->src[s], &sk->dst, sizeof(sk->dst));
	td_addr_prefix(&sk->dst, &pfx);
	distinct_add(&st->pfx[s], &pfx, sizeof(pfx));
}

static void
sf_or(struct td_distinct *d, const struct td_distinct *s)
{
	size_t i;

	for (i = 0; i < TD_DISTINCT_BITS / 64; i++)
		d->bits[i] |= s->bits[i];
}

static int
sf_report(const struct analyzer_ctx *ax, const struct sf_agg *a, int64_t cookies,
    struct td_findings *out, struct td_err *err)
{
	const struct td_snapshot *snap = ax->snap;
	uint64_t limit = a->backlog + 1, nsrc, npfx;
	double ratio = a->known ? (double)a->reqs / (double)limit : 0;
	bool spoofed, saturated = a->known && a->reqs >= limit;
	enum td_severity sev;
	struct td_finding *f;
	char ep[64], sq[32];

	if (a->reqs < config_get(ax->cfg, TD_TH_SF_MIN_REQ))
		return 0;
	if (saturated)
		sev = TD_SEV_CRITICAL;
	else if (!a->known || ratio >= config_get(ax->cfg, TD_TH_SF_WARNING))
		sev = TD_SEV_WARNING;
	else
		return 0;
	nsrc = distinct_estimate(&a->src);
	npfx = distinct_estimate(&a->pfx);
	if (nsrc > a->reqs)
		nsrc = a->reqs;
	if (npfx > nsrc)
		npfx = nsrc;
	spoofed = (double)npfx >= config_get(ax->cfg, TD_TH_SF_SPOOFED) * (double)a->reqs;
	td_ep_str(&a->ep.addr, a->ep.port, ep, sizeof(ep));
	if (a->known)
		snprintf(sq, sizeof(sq), "%llu", (unsigned long long)limit);
	else
		snprintf(sq, sizeof(sq), "?");
	f = td_finding_add(out, err, "syn_flood.listener", ep, sev,
	    "%s on %s: %llu half-open connections (SYN queue limit %s = backlog + 1%s) from %llu sources in %llu prefixes, %llu with SYN-ACKs retransmitted: %s",
	    spoofed ? "SYN flood" : "half-open connections piling up", ep,
	    (unsigned long long)a->reqs, sq, saturated ? ", full" : "",
	    (unsigned long long)nsrc, (unsigned long long)npfx,
	    (unsigned long long)a->retransmitted,
	    spoofed ? "the sources look spoofed (many unrelated prefixes that never answer the SYN-ACK)"
		    : "few sources: clients that do not complete the handshake, or SYN-ACKs lost on the way back");
	if (f == NULL)
		return -1;
	td_ev_str(f, "listener", "%s", ep);
	td_ev_int(f, "port", a->ep.port);
	td_ev_int(f, "syn_recv", (int64_t)a->reqs);
	if (a->known) {
		td_ev_int(f, "backlog", (int64_t)a->backlog);
		td_ev_int(f, "syn_queue_limit", (int64_t)limit);
		td_ev_float(f, "fill_ratio", ratio);
	}
	td_ev_bool(f, "saturated", saturated);
	td_ev_int(f, "retransmitted", (int64_t)a->retransmitted);
	td_ev_int(f, "max_retrans", (int64_t)a->max_retrans);
	td_ev_int(f, "distinct_sources", (int64_t)nsrc);
	td_ev_int(f, "distinct_prefixes", (int64_t)npfx);
	td_ev_bool(f, "spoofed", spoofed);
	if (cookies >= 0)
		td_ev_int(f, "tcp_syncookies", cookies);
	ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_SENT);
	ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_RECV);
	ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_FAILED);
	ax_ev_counter(ax, f, TD_CTR_REQQ_FULL_DO_COOKIES);
	ax_ev_counter(ax, f, TD_CTR_REQQ_FULL_DROP);
	ax_ev_counter(ax, f, TD_CTR_LISTEN_DROPS);
	ax_ev_window(ax, f);

	if (cookies == 0)
		td_reco_sysctl(f, snap, TD_SYS_SYNCOOKIES, "1",
		    "with cookies off a full SYN queue drops every new SYN (TCPReqQFullDrop), legitimate clients included; tcp_syncookies=1 answers them statelessly only while the queue is full.");
	else if (cookies == 1)
		td_reco_sysctl(f, snap, TD_SYS_SYNCOOKIES, "1",
		    "keep tcp_syncookies=1: it already answers the SYNs the full queue cannot hold; tcp_max_syn_backlog does not size this queue (the listen() backlog does).");
	if (spoofed)
		td_reco_add(f, TD_RECO_KERNEL, "upstream filtering", NULL, NULL,
		    "rate-limit or filter SYNs before they reach this host (provider, load balancer, SYNPROXY); blocking source addresses does not help against spoofed sources.");
	else
		td_reco_add(f, TD_RECO_APP, "listen() backlog", NULL, NULL,
		    "if these are real clients, the SYN queue is capped by the listener's backlog: raise the application's listen() backlog (and net.core.somaxconn if it caps it); check the return path if SYN-ACKs are retransmitted.");
	return 0;
}

/*
 * Findings from the counters alone.  listener_found: a listener finding
 * already carries the cookie counters, so they are not repeated.
 */
static int
sf_counters_only(const struct analyzer_ctx *ax, int64_t cookies, bool listener_found,
    struct td_findings *out, struct td_err *err)
{
	uint64_t docookies = 0, drop = 0, sent = 0;
	bool sb1 = true, sb2 = true, sb3 = true;
	enum td_severity sev;
	struct td_finding *f;

	ax_counter(ax, TD_CTR_REQQ_FULL_DO_COOKIES, &docookies, &sb1);
	ax_counter(ax, TD_CTR_REQQ_FULL_DROP, &drop, &sb2);
	ax_counter(ax, TD_CTR_SYNCOOKIES_SENT, &sent, &sb3);
	if (cookies == 2) {
		/* Cookies for every SYN: never a request socket (F7, S3). */
		f = td_finding_add(out, err, "syn_flood.cookies_always", "", TD_SEV_WARNING,
		    "tcp_syncookies=2 answers every SYN with a cookie (a test mode): SYN floods cannot be seen in the socket table, only in SyncookiesSent (%llu %s)",
		    (unsigned long long)sent, sb3 ? "since boot" : "since the last run");
		if (f == NULL)
			return -1;
		td_ev_int(f, "tcp_syncookies", cookies);
		ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_SENT);
		ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_RECV);
		ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_FAILED);
		ax_ev_window(ax, f);
		td_reco_sysctl(f, ax->snap, TD_SYS_SYNCOOKIES, "1",
		    "cookies are a fallback and \"MUST NOT be used to help highly loaded servers\" (ip-sysctl.rst): cookie SYN-ACKs are never retransmitted and drop TCP options without timestamps; with 1 they are only sent while a SYN queue is full.");
	}
	if (drop > 0) {
		sev = cookies == 0 || !sb2 ? TD_SEV_WARNING : TD_SEV_INFO;
		f = td_finding_add(out, err, "syn_flood.dropped", "", sev,
		    "%llu SYNs dropped because a SYN queue was full and cookies were off (%s)",
		    (unsigned long long)drop, sb2 ? "since boot" : "since the last run");
		if (f == NULL)
			return -1;
		ax_ev_counter(ax, f, TD_CTR_REQQ_FULL_DROP);
		ax_ev_counter(ax, f, TD_CTR_LISTEN_DROPS);
		ax_ev_window(ax, f);
		if (cookies == 0)
			td_reco_sysctl(f, ax->snap, TD_SYS_SYNCOOKIES, "1",
			    "with tcp_syncookies=1 a full SYN queue answers with cookies instead of dropping legitimate clients.");
	}
	if (cookies != 2 && docookies > 0 && !listener_found) {
		sev = !sb1 && docookies >= config_get(ax->cfg, TD_TH_SF_COOKIES) ? TD_SEV_WARNING : TD_SEV_INFO;
		f = td_finding_add(out, err, "syn_flood.cookies", "", sev,
		    "a SYN queue overflowed and %llu SYNs were answered with cookies (%s)",
		    (unsigned long long)docookies, sb1 ? "since boot" : "since the last run");
		if (f == NULL)
			return -1;
		ax_ev_counter(ax, f, TD_CTR_REQQ_FULL_DO_COOKIES);
		ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_SENT);
		ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_RECV);
		ax_ev_counter(ax, f, TD_CTR_SYNCOOKIES_FAILED);
		ax_ev_window(ax, f);
		td_reco_add(f, TD_RECO_APP, "listen() backlog", NULL, NULL,
		    "if SyncookiesRecv grows with it these were real clients: raise that listener's listen() backlog (the SYN queue limit); if not, it was a flood and cookies handled it.");
	}
	return 0;
}

static int
sf_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct sf_state *st = stp;
	struct sf_agg *agg = st->agg;
	int64_t cookies = sysctl_int(&ax->snap->sys, TD_SYS_SYNCOOKIES, -1);
	size_t na = 0, i, j, n, before = out->n;
	int idx[SF_REPORT * 4], ls;
	struct td_ep_key lk;
	struct sf_agg *a;

	n = tally_top(&st->reqs, idx, SF_REPORT * 4);
	for (i = 0; i < n; i++) {
		const struct td_tally_ent *e = &st->reqs.ent[idx[i]];

		ls = td_listener_of((const struct td_ep_key *)(const void *)e->key,
		    td_tally_lookup_ep, &st->listeners, &lk);
		for (j = 0; j < na && memcmp(&agg[j].ep, &lk, sizeof(lk)) != 0; j++)
			;
		a = &agg[j];
		if (j == na) {
			memset(a, 0, sizeof(*a));
			a->ep = lk;
			a->known = ls >= 0;
			a->backlog = ls >= 0 ? st->listeners.ent[ls].n[0] : 0;
			na++;
		}
		a->reqs += e->count;
		a->retransmitted += e->n[0];
		if (e->n[1] > a->max_retrans)
			a->max_retrans = e->n[1];
		sf_or(&a->src, &st->src[idx[i]]);
		sf_or(&a->pfx, &st->pfx[idx[i]]);
	}
	for (i = 0; i < na && out->n - before < SF_REPORT; i++)
		if (sf_report(ax, &agg[i], cookies, out, err) < 0)
			return -1;
	return sf_counters_only(ax, cookies, out->n > before, out, err);
}

const struct analyzer analyzer_syn_flood = {
	.id = "syn_flood",
	.title = "SYN queues saturated with half-open connections, and SYN cookies",
	.state_size = sizeof(struct sf_state),
	.verdict_sysctls = TD_SYS_BIT(TD_SYS_SYNCOOKIES),
	.visit = sf_visit,
	.finish = sf_finish,
};
