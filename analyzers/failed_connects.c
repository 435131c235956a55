/* SPDX-License-Identifier: MIT */
/*
 * failed_connects: see failed_connects.h.
 */
#include "analyzers/failed_connects.h"

#include <stdio.h>
#include <string.h>

#include "analyzers/tally.h"
#include "collectors/sysctl.h"

struct fc_kind {
	unsigned int	 outcome;
	const char	*id;
	const char	*what;		/* "were refused (RST)" */
};

static const struct fc_kind kinds[] = {
	{ EV_REFUSED,	  "failed_connects.refused",	   "were refused with a RST" },
	{ EV_TIMED_OUT,	  "failed_connects.timed_out",	   "timed out, their SYNs never answered" },
	{ EV_UNREACHABLE, "failed_connects.unreachable",   "failed with an ICMP error or no neighbour" },
	{ EV_NO_PORT,	  "failed_connects.no_local_port", "found no free local port (EADDRNOTAVAIL)" },
};

static void
fc_advice(struct td_finding *f, unsigned int outcome, const struct td_snapshot *snap,
    const char *dest, uint16_t port, double giveup_s)
{
	switch (outcome) {
	case EV_REFUSED:
		td_reco_add(f, TD_RECO_KERNEL, "service", NULL, NULL,
		    "nothing accepts connections at %s: start the service, make it listen on port %u of that address (not only on 127.0.0.1), or point the client at the right port; a firewall rule that rejects with a TCP reset looks the same.",
		    dest, port);
		td_reco_add(f, TD_RECO_APP, "retries", NULL, NULL,
		    "a refused connect() fails at once, so a client that retries without a pause turns one outage into a storm of attempts: back off between retries.");
		break;
	case EV_TIMED_OUT:
		td_reco_add(f, TD_RECO_KERNEL, "path", NULL, NULL,
		    "the SYNs to %s get no answer: the host is down, a firewall or security group drops them silently, or its SYN queue is full with syncookies off (there, tcpdoctor check reports syn_flood or accept_queue and nstat shows TcpExtListenDrops).",
		    dest);
		td_reco_add(f, TD_RECO_APP, "connect() timeout", NULL, NULL,
		    "each attempt held its caller for %.0f s, the kernel's connect() timeout under tcp_syn_retries: give connect() a shorter deadline (TCP_SYNCNT per socket, or a polled non-blocking connect()) and back off from a destination that does not answer.",
		    giveup_s);
		break;
	case EV_UNREACHABLE:
		td_reco_add(f, TD_RECO_KERNEL, "route", NULL, NULL,
		    "%s is not reachable from here: check the route and the neighbour (ip route get, ip neigh) and any ICMP unreachable or prohibited a router or firewall sends back.",
		    dest);
		break;
	case EV_NO_PORT:
		td_reco_sysctl(f, snap, TD_SYS_PORT_RANGE, "1024 65535",
		    "every local port in the range is in use toward %s (each 4-tuple needs its own port, TIME_WAIT included): a wider range gives more.",
		    dest);
		td_reco_sysctl(f, snap, TD_SYS_TW_REUSE, "1",
		    "lets connect() reuse a port held by TIME_WAIT toward the same destination when timestamps make it safe (RFC 7323).");
		td_reco_add(f, TD_RECO_APP, "connection reuse", NULL, NULL,
		    "reuse connections (keep-alive, a pool) instead of one connection per request, and do not bind() a fixed local port before connect().");
		break;
	}
}

/* The registry's view: the events check --events gave, if any. */
static int
fc_finish(void *st, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	(void)st;
	if (ax->events == NULL)
		return 0;
	return failed_connects_findings(ax->events, ax->snap, ax->connect_timeout_s, out, err);
}

int
failed_connects_findings(const struct events_agg *agg, const struct td_snapshot *snap,
    double giveup_s, struct td_findings *out, struct td_err *err)
{
	const struct ev_dest *d;
	const struct fc_kind *k;
	struct td_finding *f;
	uint64_t failed;
	size_t i, j, best;
	char dest[64];

	for (i = 0; i < agg->ndest; i++) {
		d = &agg->dest[i];
		failed = 0;
		best = 0;
		for (j = 0; j < sizeof(kinds) / sizeof(kinds[0]); j++) {
			failed += d->n[kinds[j].outcome];
			if (d->n[kinds[j].outcome] > d->n[kinds[best].outcome])
				best = j;
		}
		if (failed < FC_MIN || d->opened == 0 || failed * 100 < FC_RATIO * d->opened)
			continue;
		k = &kinds[best];
		td_ep_str(&d->addr, d->port, dest, sizeof(dest));
		f = td_finding_add(out, err, k->id, dest,
		    failed == d->opened && failed >= FC_CRITICAL ? TD_SEV_CRITICAL : TD_SEV_WARNING,
		    "%llu of %llu connect() attempts to %s failed; %llu %s%s%s",
		    (unsigned long long)failed, (unsigned long long)d->opened, dest,
		    (unsigned long long)d->n[k->outcome], k->what,
		    d->comm[0] != '\0' ? "; the first by " : "", d->comm);
		if (f == NULL)
			return -1;
		td_ev_str(f, "destination", "%s", dest);
		td_ev_int(f, "attempts", (int64_t)d->opened);
		td_ev_int(f, "succeeded", (int64_t)d->succeeded);
		td_ev_int(f, "refused", (int64_t)d->n[EV_REFUSED]);
		td_ev_int(f, "timed_out", (int64_t)d->n[EV_TIMED_OUT]);
		td_ev_int(f, "unreachable", (int64_t)d->n[EV_UNREACHABLE]);
		td_ev_int(f, "no_local_port", (int64_t)d->n[EV_NO_PORT]);
		td_ev_float(f, "failed_ratio", (double)failed / (double)d->opened);
		if (d->comm[0] != '\0')
			td_ev_str(f, "command", "%s", d->comm);
		if (k->outcome == EV_TIMED_OUT)
			td_ev_float(f, "connect_timeout_s", giveup_s);
		fc_advice(f, k->outcome, snap, dest, d->port, giveup_s);
	}
	return 0;
}

const struct analyzer analyzer_failed_connects = {
	.id = "failed_connects",
	.title = "destinations whose connect()s fail: refused, timed out, unreachable, no local port (from recorded connection events: check --events)",
	.judges_events = true,
	.finish = fc_finish,
};
