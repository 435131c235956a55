/* SPDX-License-Identifier: MIT */
/*
 * lifetimes: see lifetimes.h.
 */
#include "analyzers/lifetimes.h"

#include <stdio.h>

#include "analyzers/tally.h"

/*
 * The id in a variable, as failed_connects.c keeps its ids in a table
 * (finding_docs_test.c finds it as a literal of this registry analyzer).
 */
static const char die_young_id[] = "lifetimes.die_young";

static int
judge(const struct ev_dest *d, bool listener, struct td_findings *out, struct td_err *err)
{
	struct td_finding *f;
	uint64_t est = d->succeeded;
	char ep[64];

	if (est < LT_MIN || d->died_young * 100 < LT_RATIO * est)
		return 0;
	td_ep_str(&d->addr, d->port, ep, sizeof(ep));
	f = td_finding_add(out, err, die_young_id, ep, TD_SEV_WARNING,
	    "%llu of %llu connections %s %s were reset within %d ms of their start%s%s",
	    (unsigned long long)d->died_young, (unsigned long long)est,
	    listener ? "accepted by" : "to", ep, EV_YOUNG_MS,
	    d->comm[0] != '\0' ? "; the first by " : "", d->comm);
	if (f == NULL)
		return -1;
	td_ev_str(f, listener ? "listener" : "destination", "%s", ep);
	td_ev_int(f, "established", (int64_t)est);
	td_ev_int(f, "died_young", (int64_t)d->died_young);
	td_ev_int(f, "reset", (int64_t)d->n[EV_RESET]);
	td_ev_int(f, "young_ms", EV_YOUNG_MS);
	if (d->life_n > 0)
		td_ev_int(f, "lifetime_avg_ms", (int64_t)(d->life_sum_ms / d->life_n));
	if (d->comm[0] != '\0')
		td_ev_str(f, "command", "%s", d->comm);
	if (listener) {
		td_reco_add(f, TD_RECO_APP, "service", NULL, NULL,
		    "the service at %s resets the connections it accepted right away: it closes them with unread data (tcp_close() sends a RST then), aborts them (SO_LINGER 0), or crashes; its log says why, and a client that sent a request before the close sees ECONNRESET.",
		    ep);
	} else {
		td_reco_add(f, TD_RECO_APP, "service", NULL, NULL,
		    "connections to %s are reset right after they start: the far side (or a proxy or firewall in between) aborts them, or this host's client closes them with unread data; a capture (tcpdump port %u) shows which side sends the RST.",
		    ep, d->port);
	}
	return 0;
}

int
lifetimes_findings(const struct events_agg *agg, struct td_findings *out, struct td_err *err)
{
	size_t i;

	for (i = 0; i < agg->ndest; i++)
		if (judge(&agg->dest[i], false, out, err) < 0)
			return -1;
	for (i = 0; i < agg->nlsn; i++)
		if (judge(&agg->lsn[i], true, out, err) < 0)
			return -1;
	return 0;
}

/*
 * The registry's view: the events `check --events` gave (analyzer_ctx.events),
 * judged by the same lifetimes_findings() watch calls for each interval, so
 * that check from cron and watch say the same of the same connections.
 */
static int
lt_finish(void *st, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	(void)st;
	if (ax->events == NULL)
		return 0;
	return lifetimes_findings(ax->events, out, err);
}

const struct analyzer analyzer_lifetimes = {
	.id = "lifetimes",
	.title = "destinations and listeners whose connections are reset within 1 s of their start (from recorded connection events: check --events)",
	.judges_events = true,
	.finish = lt_finish,
};
