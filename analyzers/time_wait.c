/* SPDX-License-Identifier: MIT */
/*
 * time_wait: ephemeral-port exhaustion per destination, and TIME_WAIT
 * configuration that hurts.
 *
 * connect() only needs a unique (source address, source port, destination
 * address, destination port), so the limit is the usable ephemeral range
 * (ip_local_port_range minus ip_local_reserved_ports) per (source,
 * destination, destination port), and TIME_WAIT holds each entry for a
 * fixed 60 s (TCP_TIMEWAIT_LEN): about usable/60 new connections per second
 * per destination (KERNEL-FACTS F2, F12, F16, S5).  No counter reports the
 * resulting EADDRNOTAVAIL, so the sockets are grouped here.  tcp_tw_reuse
 * (1, or 2 for loopback, the default) lets connect() take over a TIME_WAIT
 * entry, so then only the other states block ports (F3).  Lowering
 * tcp_max_tw_buckets just skips TIME_WAIT (TCPTimeWaitOverflow, F4), and
 * tcp_tw_recycle was removed in Linux 4.12 (F1): neither is ever suggested.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/tally.h"
#include "collectors/sysctl.h"

#define TW_REPORT	5
#define TW_DEFAULT_PORTS	28232	/* 32768-60999 */

struct tw_state {
	struct td_tally	dests;		/* key: src, dst, dport; n[0] TIME_WAIT, n[1] ESTABLISHED */
	bool		have_range;
	int64_t		lo, hi;
	uint64_t	time_wait, established;
};

static void
tw_begin(void *stp, const struct analyzer_ctx *ax)
{
	struct tw_state *st = stp;
	const struct td_sysval *r = &ax->snap->sys.s[TD_SYS_PORT_RANGE];

	st->have_range = r->readable;
	st->lo = r->v[0];
	st->hi = r->v[1];
}

struct tw_key {
	struct in6_addr	src, dst;
	uint16_t	dport;
};

static void
tw_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct tw_state *st = stp;
	struct tw_key key;
	bool is_new;
	int s;

	(void)ax;
	if (sk->state == TD_ST_TIME_WAIT)
		st->time_wait++;
	else if (sk->state == TD_ST_ESTABLISHED)
		st->established++;
	switch (sk->state) {
	case TD_ST_LISTEN:
	case TD_ST_CLOSE:
	case TD_ST_SYN_RECV:
		return;
	default:
		break;
	}
	/* Only autobound (client) ports hold the ephemeral range. */
	if (st->have_range && (sk->sport < st->lo || sk->sport > st->hi))
		return;
	memset(&key, 0, sizeof(key));
	key.src = sk->src;
	key.dst = sk->dst;
	key.dport = sk->dport;
	s = tally_slot(&st->dests, &key, sizeof(key), &is_new);
	st->dests.ent[s].count++;
	if (sk->state == TD_ST_TIME_WAIT)
		st->dests.ent[s].n[0]++;
	else if (sk->state == TD_ST_ESTABLISHED)
		st->dests.ent[s].n[1]++;
}

static int
tw_dest(const struct analyzer_ctx *ax, const struct tw_state *st, const struct td_tally_ent *e,
    int64_t usable, struct td_findings *out, struct td_err *err)
{
	const struct td_snapshot *snap = ax->snap;
	const struct tw_key *k = (const void *)e->key;
	int64_t reuse = sysctl_int(&snap->sys, TD_SYS_TW_REUSE, 2);
	int64_t ts = sysctl_int(&snap->sys, TD_SYS_TIMESTAMPS, 1);
	uint64_t tw = e->n[0], est = e->n[1], other = e->count - tw - est, blocking, twn = 0;
	bool reuse_on, since_boot = true;
	double ratio, rate = 0;
	enum td_severity sev;
	struct td_finding *f;
	char src[64], dst[64], cur[32];

	reuse_on = ts != 0 && (reuse == 1 || (reuse == 2 && td_addr_is_loopback(&k->dst)));
	blocking = reuse_on ? e->count - tw : e->count;
	ratio = (double)blocking / (double)usable;
	if (ratio >= config_get(ax->cfg, TD_TH_TW_CRITICAL))
		sev = TD_SEV_CRITICAL;
	else if (ratio >= config_get(ax->cfg, TD_TH_TW_WARNING))
		sev = TD_SEV_WARNING;
	else
		return 0;
	td_ep_str(&k->src, 0, src, sizeof(src));
	td_ep_str(&k->dst, k->dport, dst, sizeof(dst));
	f = td_finding_add(out, err, "time_wait.port_exhaustion", dst, sev,
	    "%s -> %s uses %llu of %lld usable ephemeral ports (%llu TIME_WAIT, %llu ESTABLISHED): %s; sustainable rate without reuse %.3g new connections/s",
	    src, dst, (unsigned long long)e->count, (long long)usable,
	    (unsigned long long)tw, (unsigned long long)est,
	    ratio >= 1.0 ? "exhausted, connect() to it fails with EADDRNOTAVAIL" : "close to exhaustion",
	    (double)usable / 60.0);
	if (f == NULL)
		return -1;
	td_ev_str(f, "source", "%s", src);
	td_ev_str(f, "destination", "%s", dst);
	td_ev_int(f, "port", k->dport);
	td_ev_int(f, "sockets", (int64_t)e->count);
	td_ev_int(f, "time_wait", (int64_t)tw);
	td_ev_int(f, "established", (int64_t)est);
	td_ev_int(f, "other", (int64_t)other);
	td_ev_int(f, "blocking", (int64_t)blocking);
	td_ev_int(f, "usable_ports", usable);
	if (st->have_range)
		td_ev_str(f, "port_range", "%lld-%lld", (long long)st->lo, (long long)st->hi);
	td_ev_float(f, "fill_ratio", ratio);
	td_ev_float(f, "sustainable_rate_per_s", (double)usable / 60.0);
	td_ev_int(f, "tcp_tw_reuse", reuse);
	td_ev_bool(f, "reuse_applies", reuse_on);
	if (st->dests.pruned)
		td_ev_bool(f, "approximate", true);
	if (ax_counter(ax, TD_CTR_TW, &twn, &since_boot) && !since_boot && ax->delta.interval_s > 0) {
		rate = (double)twn / ax->delta.interval_s;
		td_ev_float(f, "tw_rate_per_s", rate);
		if (rate > 0 && (int64_t)blocking < usable)
			td_ev_float(f, "seconds_to_exhaustion", (double)(usable - (int64_t)blocking) / rate);
	}

	td_reco_add(f, TD_RECO_APP, "connection reuse", NULL, NULL,
	    "keep connections to %s open and reuse them (HTTP keep-alive, connection pools): every short connection holds a port for 60 s in TIME_WAIT, whatever any sysctl says.",
	    dst);
	td_reco_add(f, TD_RECO_APP, "IP_BIND_ADDRESS_NO_PORT", NULL, NULL,
	    "if the client bind()s a source address before connect(), set IP_BIND_ADDRESS_NO_PORT (Linux 4.2) so the port is chosen per destination; spread connections over more source addresses or destination ports.");
	if (!reuse_on && ts != 0 && reuse != 1)
		td_reco_sysctl(f, snap, TD_SYS_TW_REUSE, "1",
		    "lets connect() reuse a TIME_WAIT entry older than 1 s when timestamps prove it safe; affects outgoing connections only (never the TIME_WAIT of accepted ones). Not tcp_tw_recycle: it broke clients behind NAT and was removed in Linux 4.12.");
	if (usable < TW_DEFAULT_PORTS) {
		td_reco_sysctl(f, snap, TD_SYS_PORT_RANGE, "32768 60999",
		    "the range is narrower than the default (28232 ports).");
	} else {
		snprintf(cur, sizeof(cur), "%d %d", 15000, 64999);
		td_reco_sysctl(f, snap, TD_SYS_PORT_RANGE, cur,
		    "a wider range raises the limit per destination; keep the ends of different parity, and list ports of local services in ip_local_reserved_ports first.");
	}
	return 0;
}

static int
tw_config(const struct analyzer_ctx *ax, const struct tw_state *st, struct td_findings *out,
    struct td_err *err)
{
	const struct td_snapshot *snap = ax->snap;
	int64_t buckets = sysctl_int(&snap->sys, TD_SYS_MAX_TW_BUCKETS, -1);
	int64_t ehash = sysctl_int(&snap->sys, TD_SYS_EHASH_ENTRIES, 0);
	uint64_t ovf = 0;
	bool since_boot = true, low, full;
	struct td_finding *f;
	char sug[32];

	if (sysctl_int(&snap->sys, TD_SYS_TW_RECYCLE, 0) != 0) {
		f = td_finding_add(out, err, "time_wait.tw_recycle", "", TD_SEV_CRITICAL,
		    "tcp_tw_recycle is on: it silently drops SYNs from clients behind NAT (and from all clients since 4.10's timestamp offsets); it was removed in Linux 4.12");
		if (f == NULL)
			return -1;
		td_ev_int(f, "tcp_tw_recycle", sysctl_int(&snap->sys, TD_SYS_TW_RECYCLE, 0));
		td_reco_sysctl(f, snap, TD_SYS_TW_RECYCLE, "0",
		    "turn it off and remove it from sysctl.conf (a modern kernel rejects the line); use connection reuse or tcp_tw_reuse=1 on clients instead.");
	}
	if (!ax_counter(ax, TD_CTR_TW_OVERFLOW, &ovf, &since_boot) || ovf == 0)
		return 0;
	/* The default is ehash/2; a negative ehash means the netns shares the host's. */
	if (ehash < 0)
		ehash = -ehash;
	low = buckets >= 0 && ehash > 0 && buckets < ehash / 2;
	full = buckets > 0 && st->time_wait * 10 >= (uint64_t)buckets * 9;
	f = td_finding_add(out, err, "time_wait.bucket_overflow", "",
	    low || full || !since_boot ? TD_SEV_WARNING : TD_SEV_INFO,
	    "%llu connections skipped TIME_WAIT because tcp_max_tw_buckets (%lld) was reached (%s)%s",
	    (unsigned long long)ovf, (long long)buckets, since_boot ? "since boot" : "since the last run",
	    low ? ": the limit is below the default and TIME_WAIT's protection is lost" :
	    full ? ": TIME_WAIT is at the limit now" : "");
	if (f == NULL)
		return -1;
	td_ev_int(f, "time_wait", (int64_t)st->time_wait);
	if (buckets >= 0)
		td_ev_int(f, "tcp_max_tw_buckets", buckets);
	if (ehash > 0)
		td_ev_int(f, "default_max_tw_buckets", ehash / 2);
	ax_ev_counter(ax, f, TD_CTR_TW_OVERFLOW);
	ax_ev_counter(ax, f, TD_CTR_TW);
	ax_ev_window(ax, f);
	if (low) {
		snprintf(sug, sizeof(sug), "%lld", (long long)(ehash / 2));
		td_reco_sysctl(f, snap, TD_SYS_MAX_TW_BUCKETS, sug,
		    "restore the default (tcp_ehash_entries / 2): \"you must not lower the limit artificially\" (ip-sysctl.rst); a TIME_WAIT socket costs a few hundred bytes.");
	} else if (full) {
		snprintf(sug, sizeof(sug), "%lld", (long long)buckets * 2);
		td_reco_sysctl(f, snap, TD_SYS_MAX_TW_BUCKETS, sug,
		    "TIME_WAIT is at the limit: allow more (a TIME_WAIT socket costs a few hundred bytes), and reuse connections so fewer are created.");
	}
	return 0;
}

static int
tw_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct tw_state *st = stp;
	int64_t usable = sysctl_usable_ports(&ax->snap->sys);
	int idx[TW_REPORT];
	size_t i, n;

	if (usable <= 0)
		usable = TW_DEFAULT_PORTS;
	n = tally_top(&st->dests, idx, TW_REPORT);
	for (i = 0; i < n; i++)
		if (tw_dest(ax, st, &st->dests.ent[idx[i]], usable, out, err) < 0)
			return -1;
	return tw_config(ax, st, out, err);
}

const struct analyzer analyzer_time_wait = {
	.id = "time_wait",
	.title = "ephemeral ports exhausted per destination, TIME_WAIT limits",
	.state_size = sizeof(struct tw_state),
	/* Usable ports per destination, reuse, and the bucket limit. */
	.verdict_sysctls = TD_SYS_BIT(TD_SYS_PORT_RANGE) | TD_SYS_BIT(TD_SYS_RESERVED_PORTS) |
	    TD_SYS_BIT(TD_SYS_TW_REUSE) | TD_SYS_BIT(TD_SYS_TIMESTAMPS) |
	    TD_SYS_BIT(TD_SYS_MAX_TW_BUCKETS) | TD_SYS_BIT(TD_SYS_EHASH_ENTRIES) |
	    TD_SYS_BIT(TD_SYS_TW_RECYCLE),
	.begin = tw_begin,
	.visit = tw_visit,
	.finish = tw_finish,
};
