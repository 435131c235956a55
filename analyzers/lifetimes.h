/* SPDX-License-Identifier: MIT */
/*
 * lifetimes: services whose connections die young, judged from the
 * connection events (collectors/events.h), which see a connection that
 * lived 50 ms between two snapshots.  A destination (connect()) or a
 * listener (accept()) with at least LT_MIN connections that reached
 * ESTABLISHED, of which at least LT_RATIO percent were reset (a RST sent
 * or received, or an abort: they went from ESTABLISHED, CLOSE_WAIT,
 * FIN_WAIT1 or SYN_RECV straight to CLOSE, tcp_done()) within EV_YOUNG_MS
 * of their birth, gets the finding lifetimes.die_young.  A short
 * connection that ends with FIN on both sides is healthy and never counts.
 * `watch` calls lifetimes_findings() with the aggregates of each interval;
 * in the registry, as analyzer_lifetimes, it judges the events check is
 * given (check --events RECORDING: analyzer_ctx.events, the connections
 * recorded since the previous --state-file run) and nothing without them.
 */
#ifndef TD_ANALYZERS_LIFETIMES_H
#define TD_ANALYZERS_LIFETIMES_H

#include "analyzers/analyzer.h"
#include "collectors/events.h"

#define LT_MIN		5	/* established connections of one service that are judged */
#define LT_RATIO	50	/* ... when at least this percentage died young */

/* Append the findings for agg's destinations and listeners.  Returns 0, or -1 with *err set. */
int	lifetimes_findings(const struct events_agg *agg, struct td_findings *out, struct td_err *err);

#endif /* TD_ANALYZERS_LIFETIMES_H */
