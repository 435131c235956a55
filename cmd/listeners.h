/* SPDX-License-Identifier: MIT */
/*
 * Per-listener queue gauges for `check --format prometheus`: each
 * listener's accept queue, backlog, SYN_RECV request sockets and own drop
 * count, gathered from the one streaming pass, for the top listeners only
 * plus aggregates over all of them, so the number of series stays bounded
 * whatever the host runs.
 */
#ifndef TD_CMD_LISTENERS_H
#define TD_CMD_LISTENERS_H

#include <stdint.h>
#include <stdio.h>

#include "analyzers/tally.h"
#include "collectors/snapshot.h"

#define LISTENERS_TOP	10	/* listeners with their own series, at most */

struct listener_stats {
	/* by (address, port): n[0] accept queue, n[1] backlog, n[2] drops */
	struct td_tally	listeners;
	/* request sockets by (local address, port): count */
	struct td_tally	requests;
	uint64_t	nlisteners, accept_queue, syn_recv, full;
};

/* Count one socket (listeners and SYN_RECV request sockets; others are ignored). */
void	listener_stats_visit(struct listener_stats *ls, const struct td_sock *sk);
/*
 * Write the listener families in Prometheus text format.  Returns 0, or
 * -1 when writing fails (errno set).
 */
int	listener_stats_prometheus(FILE *fp, const struct listener_stats *ls);

#endif /* TD_CMD_LISTENERS_H */
