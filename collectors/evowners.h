/* SPDX-License-Identifier: MIT */
/*
 * Owners of the sockets that go away (tcpdoctor events), known before they
 * die.  A destroy notification carries the socket's cookie but no owner,
 * and its inode is 0 by then (sock_orphan() has cut the socket from its
 * file before __sk_free(), net/core/sock.c), so the owner has to be
 * looked up while the socket is still held.  One refresh is the project's
 * /proc owner scan (procs.c, through source_walk with want_owner) joined
 * with one light sock_diag dump (no tcp_info): it keeps
 *  - cookie -> pid/comm of every socket some process holds, and
 *  - local address:port -> pid/comm of every listener, so that an accepted
 *    connection whose own socket was never seen held gets the owner of the
 *    listener that accepted it (said so: EV_OWNER_LISTENER).
 * Entries not seen by a later refresh are kept EVO_KEEP_NS (a socket closed
 * by its process lives on orphaned in FIN_WAIT or LAST_ACK before it is
 * freed), and a cookie found is dropped (a socket is destroyed once).
 *
 * The scan runs in a thread of its own, so that the event loop goes on
 * draining the notifications and the trace buffer while /proc is read
 * (on a loaded host one scan took seconds of wall time: a blocking one
 * overflowed the trace buffer).
 *
 * Cost is bounded by rate, not by host size: a refresh runs only when a
 * notification found no owner (or a new listener appeared), at most once
 * per EVO_MIN_GAP_NS, and never sooner after the last one than
 * EVO_COST_FACTOR times the CPU time that one took, so the scan uses at
 * most 1/EVO_COST_FACTOR of a CPU on any host (a host with 100k sockets
 * whose refresh takes 200 ms is rescanned every 4 s, not every second).  A
 * socket that lives less than the gap and is not an accepted one stays
 * without owner; the count of those is in the stats.
 *
 * Measured with bench/evowners_bench in a bench/populate namespace (-P 1000,
 * 90,000 sockets: 9,021 held, 80,602 TIME_WAIT), 2 shared CPUs under load:
 * with 1,576 processes and 28,000 descriptors on the host a scan took
 * 360-660 ms of CPU (720-960 ms wall), so scans come 7-13 s apart; with
 * 320,000 descriptors 1.1-1.8 s of CPU (about 24 s apart).  The cost is the
 * readlink of every descriptor on the host (KERNEL-FACTS F22) and the dump.
 */
#ifndef TD_COLLECTORS_EVOWNERS_H
#define TD_COLLECTORS_EVOWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_err;
struct td_conn_ev;
struct in6_addr;

#define EVO_MIN_GAP_NS		1000000000LL	/* at most one refresh a second */
#define EVO_COST_FACTOR		20		/* at most 5% of one CPU */
#define EVO_KEEP_NS		120000000000LL	/* unseen entries kept 2 min (tcp_fin_timeout
						   60 s, LAST_ACK retransmissions) */
#define EVO_MAX_SOCKETS		180000	/* cookies kept (= PROCS_COLLECT_INODES): 12 B each
					   (16 once no refresh sees them), the owners'
					   names once per process */
#define EVO_MAX_LISTENERS	4096

struct ev_owners;

struct ev_owners_stats {
	uint64_t	refreshes;	/* scans run */
	uint64_t	feeds;		/* walks fed (ev_owners_feed_end) */
	uint64_t	failed;		/* of those, failed (the table was kept as it was) */
	int64_t		last_ns;	/* wall time the last one took */
	int64_t		last_cpu_ns;	/* CPU time (this thread) the last one took */
	int64_t		max_ns;		/* the longest one, wall */
	int64_t		total_cpu_ns;
	size_t		sockets;	/* cookies kept now */
	size_t		listeners;	/* listeners kept now */
	size_t		processes;	/* processes the last scan listed */
	size_t		unreadable;	/* of those, whose fds could not be read */
	uint64_t	full;		/* sockets or listeners past the caps: not kept */
	uint64_t	found_socket, found_listener, unknown;	/* lookups by result */
};

/*
 * A cache for the sockets of the current network namespace (family 0 for
 * both), reading proc_root ("/proc").  NULL with *err set when out of
 * memory.
 */
struct ev_owners *ev_owners_new(const char *proc_root, int family, struct td_err *err);
void	ev_owners_free(struct ev_owners *o);

/*
 * Scan: in the scanner thread (the caller goes on; a scan already running
 * is not doubled), or with wait, in the caller before returning.  Returns
 * 0, or with wait -1 with *err set (the previous table stays usable).
 */
int	ev_owners_refresh(struct ev_owners *o, bool wait, struct td_err *err);

/* Whether a scan failed, with its error. */
bool	ev_owners_failed(struct ev_owners *o, struct td_err *err);

/* Ask for a refresh (a new listener appeared). */
void	ev_owners_want(struct ev_owners *o);

/* Whether a refresh is wanted and allowed now (CLOCK_MONOTONIC, ns). */
bool	ev_owners_due(struct ev_owners *o, int64_t mono_ns);

/*
 * Give ev an owner where it has none: its socket's own (by cookie), else,
 * for a connection whose local address and port are a listener's, the
 * listener's (and role accept if it was unknown: a connect() cannot bind a
 * port a listener holds, inet_csk_bind_conflict()).  A connection left
 * without owner asks for a refresh.  Returns the enum ev_owner_from set.
 */
unsigned int	ev_owners_fill(struct ev_owners *o, struct td_conn_ev *ev);

/* The owner of a listener, or false. */
bool	ev_owners_listener(struct ev_owners *o, int family, const struct in6_addr *addr,
	    uint16_t port, int32_t *pid, char comm[16]);

/*
 * Feeding the table from a walk the caller makes anyway with owners
 * (watch's samples: source_walk with want_owner), so that it costs no
 * /proc scan or dump of its own: begin, then every socket of the walk,
 * then the walk's owner map (td_source.owner_map), then end, which merges
 * them as a refresh would.  A walk whose map held every socket held
 * (all) also puts the next scan of its own off (EVO_COST_FACTOR times
 * that map's scan); one whose map came without them (past
 * PROCS_COLLECT_INODES) gives the owners it has; one with no map (no
 * owners asked for) gives nothing.  From one thread; a scan of the
 * scanner thread may run meanwhile.
 */
void	ev_owners_feed_begin(struct ev_owners *o);
struct td_sock;
struct procs_map;
struct procs_stats;
void	ev_owners_feed_sock(struct ev_owners *o, const struct td_sock *sk);
void	ev_owners_feed_map(struct ev_owners *o, const struct procs_map *m, bool all,
	    const struct procs_stats *st);
void	ev_owners_feed_end(struct ev_owners *o);

struct ev_owners_stats	ev_owners_stats(struct ev_owners *o);

#endif /* TD_COLLECTORS_EVOWNERS_H */
