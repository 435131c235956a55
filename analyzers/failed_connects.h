/* SPDX-License-Identifier: MIT */
/*
 * failed_connects: destinations whose connect() attempts fail, judged from
 * the connection events (collectors/events.h) rather than from a snapshot:
 * a snapshot sees a SYN_SENT socket only while it waits (analyzers/
 * connects.c), never the attempt that was refused in a millisecond.
 *
 * For each destination of the aggregates with at least FC_MIN failed
 * attempts that are at least FC_RATIO percent of its attempts, one finding
 * named after the commonest failure, with the fix that fits it:
 *  - refused: a RST answered the SYN (tcp_reset() in SYN_SENT,
 *    ECONNREFUSED): nothing listens there, or a firewall rejects with a
 *    reset;
 *  - timed_out: no answer until tcp_syn_retries ran out (tcp_write_timeout(),
 *    ETIMEDOUT): the host is down, a firewall drops silently, or the far
 *    side's SYN queue is full without syncookies (tcp_conn_request() drops);
 *  - unreachable: an ICMP error or a failed neighbour lookup ended it
 *    (tcp_v4_err(), EHOSTUNREACH/ENETUNREACH): routing or the link;
 *  - no_local_port: connect() found no free local port for the 4-tuple
 *    (__inet_hash_connect() returns -EADDRNOTAVAIL; tcp_v4_connect() then
 *    leaves SYN_SENT for CLOSE without sending anything).
 * `events` calls failed_connects_findings() with its aggregates; in the
 * registry, as analyzer_failed_connects, it judges the events check is
 * given (check --events RECORDING: analyzer_ctx.events) and nothing
 * without them.
 */
#ifndef TD_ANALYZERS_FAILED_CONNECTS_H
#define TD_ANALYZERS_FAILED_CONNECTS_H

#include "analyzers/analyzer.h"
#include "collectors/events.h"

#define FC_MIN		3	/* failed attempts to one destination that are reported */
#define FC_RATIO	50	/* ... when at least this percentage of its attempts */
#define FC_CRITICAL	10	/* every attempt failed, at least this many: critical */

/*
 * Append the findings for agg's destinations.  snap gives the sysctls the
 * advice quotes (may have none readable); giveup_s is the model's connect()
 * timeout under them.  Returns 0, or -1 with *err set.
 */
int	failed_connects_findings(const struct events_agg *agg, const struct td_snapshot *snap,
	    double giveup_s, struct td_findings *out, struct td_err *err);

#endif /* TD_ANALYZERS_FAILED_CONNECTS_H */
