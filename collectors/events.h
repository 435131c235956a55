/* SPDX-License-Identifier: MIT */
/*
 * Connection lifetimes without BPF: sock_diag's destroy notifications.
 *
 * With a listener on the multicast groups SKNLGRP_INET_TCP_DESTROY and
 * SKNLGRP_INET6_TCP_DESTROY, the kernel sends one SOCK_DIAG_BY_FAMILY
 * message for every full TCP socket of this network namespace as it is
 * freed: __sk_free() calls sock_diag_broadcast_destroy() when
 * sock_diag_has_destroy_listeners() (net/core/sock.c), and
 * inet_diag_handler_get_info() (net/ipv4/inet_diag.c) fills the
 * inet_diag_msg (addresses, ports, uid, cookie) plus INET_DIAG_INFO: the
 * final tcp_info (bytes each way, retransmissions, RTT).  The group is
 * per namespace (sock_net(sk)->diag_nlsk) and joining it needs no
 * privilege: diag_net_init() (net/core/sock_diag.c) creates the kernel
 * socket with NL_CFG_F_NONROOT_RECV, so netlink_allowed()
 * (net/netlink/af_netlink.c) lets any user bind to or add its groups, and
 * sock_diag_bind() only loads the inet_diag module; any user of the
 * namespace sees every TCP socket of it go away (tested on 6.18 as uid
 * 65534 without capabilities: test 170).  Only SO_RCVBUFFORCE past
 * net.core.rmem_max needs CAP_NET_ADMIN (sk_setsockopt(), net/core/sock.c).
 *
 * What it does not carry (so what the classification below works from):
 *  - the state the socket left: tcp_done() and tcp_close() set CLOSE before
 *    the last reference goes, so the message says CLOSE;
 *  - the error that ended it (sk_err) and when it was born.
 * Request sockets and timewait sockets are not full sockets and send
 * nothing (a connection that reaches TIME_WAIT is reported once, when its
 * full socket hands over).  Sockets of the kernel itself (sk_net_refcnt
 * 0) send nothing.
 *
 * A full receive buffer drops notifications: netlink_overrun()
 * (net/netlink/af_netlink.c) counts each in the socket's sk_drops, which
 * SO_MEMINFO reads (SK_MEMINFO_DROPS), and fails the next recv with
 * ENOBUFS.  events_lost() gives the exact count; the ENOBUFS episodes are
 * counted too (events_overruns).
 */
#ifndef TD_COLLECTORS_EVENTS_H
#define TD_COLLECTORS_EVENTS_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/snapshot.h"

/* How a connection ended. */
enum ev_outcome {
	EV_UNCONNECTED = 0,	/* never had a peer: a listener, or bound and unused */
	EV_CLOSED,		/* established, ended by FIN (FIN_WAIT2/CLOSING/LAST_ACK -> CLOSE) */
	EV_RESET,		/* established, ended by a reset or an abort (ESTABLISHED,
				   CLOSE_WAIT, FIN_WAIT1 or SYN_RECV -> CLOSE) */
	EV_ENDED,		/* established; how it ended is not known (no tracepoint) */
	EV_REFUSED,		/* connect() answered at once with a refusal (RST) */
	EV_TIMED_OUT,		/* connect(): every SYN unanswered until the kernel gave up */
	EV_UNREACHABLE,		/* connect(): ended by an error (ICMP, no neighbour) before
				   the kernel gave up */
	EV_ABANDONED,		/* connect() closed by its application before an answer */
	EV_CONNECT_FAILED,	/* connect() never completed; why is not known (no tracepoint) */
	EV_NO_PORT,		/* connect() found no free local port (EADDRNOTAVAIL): no SYN */
	EV_OUTCOME_MAX
};

/* "closed", "refused", ...: the JSON and table spelling. */
const char	*ev_outcome_name(unsigned int o);
/* True for the outcomes of a connect() that never reached ESTABLISHED. */
bool		 ev_outcome_failed_connect(unsigned int o);

/* Which side opened it. */
enum ev_role {
	EV_ROLE_UNKNOWN = 0,
	EV_ROLE_ACTIVE,		/* connect() */
	EV_ROLE_PASSIVE,	/* accepted from a listener */
	EV_ROLE_LISTENER,	/* a listener, or a socket that never had a peer */
};
const char	*ev_role_name(unsigned int r);

/* One socket that went away. */
struct td_conn_ev {
	int64_t		time_ns;	/* CLOCK_REALTIME when the notification was read */
	struct td_sock	sk;		/* the final record (state CLOSE) with tcp_info; the
					   addresses and ports restored from the tracepoint
					   when tcp_disconnect() had cleared them */
	uint8_t		outcome;	/* enum ev_outcome */
	uint8_t		role;		/* enum ev_role */
	bool		traced;		/* its transitions were seen (outcome and times exact) */
	uint32_t	syns;		/* connect(): SYNs sent (1 + retransmitted), 0 if n/a */
	int64_t		born_ns;	/* CLOSE->SYN_SENT or ->SYN_RECV, 0 if not seen */
	int64_t		est_ns;		/* ->ESTABLISHED, 0 if not seen */
	int64_t		closed_ns;	/* ->CLOSE, 0 if not seen */
	int32_t		pid;		/* process in connect() (active) or running at the
					   third ACK (passive, usually not the owner); -1 unknown */
	int32_t		tid;		/* traced: that task's own id (a thread's), -1 unknown */
	char		comm[16];
	uint8_t		owner_from;	/* enum ev_owner_from: whose pid/comm these are */
	uint8_t		reset_by;	/* enum ev_reset_by: who sent the RST that ended it */
	char		reset_reason[48];	/* EV_RESET_LOCAL: the kernel's reason
						   (tcp:tcp_send_reset), "" if none */
};

/* Where a connection's pid and comm come from. */
enum ev_owner_from {
	EV_OWNER_NONE = 0,	/* not known */
	EV_OWNER_CONNECT,	/* the task in connect() (the CLOSE->SYN_SENT transition) */
	EV_OWNER_SOCKET,	/* a process holding the socket itself (/proc scan, evowners.h) */
	EV_OWNER_LISTENER,	/* a process holding the listener that accepted it */
};
const char	*ev_owner_from_name(unsigned int f);	/* "connect", ..., NULL for none */

/* Who reset a connection, from tcp:tcp_send_reset and tcp:tcp_receive_reset. */
enum ev_reset_by {
	EV_RESET_UNKNOWN = 0,	/* no reset seen (or those events not traced) */
	EV_RESET_LOCAL,		/* this host sent it */
	EV_RESET_PEER,		/* the peer sent it */
};
const char	*ev_reset_by_name(unsigned int r);	/* "local", "peer", NULL */
/*
 * Why, in words, for a reset of this host with the kernel's reason
 * (include/net/rstreason.h), or for a peer's reset in the state it came
 * (refused when it answered a SYN); NULL when nothing is known.
 */
const char	*ev_reset_cause(const struct td_conn_ev *ev);

struct td_trace_ev;
struct events_tracker;

/*
 * Join the two streams: the inet_sock_set_state transitions (births,
 * establishment, how it closed, who connected) and the destroy
 * notifications (the final tcp_info).  Connections are keyed by family,
 * peer address and both ports; a connect() whose tuple is not known yet
 * (CLOSE->SYN_SENT carries sport 0, KERNEL-FACTS F21) waits in a queue per
 * destination until its next transition names the port.  At most cap
 * connections are followed at once; more are counted (events_tracker_full).
 * syn_giveup_ns is the model's time at which connect() gives up
 * (tm_syn_giveup) and syn_rtx_count its number of SYN retransmissions
 * (tm_syn_rtx_count): a failed connect that lasted that long, or
 * retransmitted that often, timed out.  The second holds when its birth
 * was not seen (the transitions of a busy host overflowed the queue).
 * NULL with *err set when out of memory.
 */
struct events_tracker *events_tracker_new(size_t cap, int64_t syn_giveup_ns,
	    unsigned int syn_rtx_count, struct td_err *err);
void	events_tracker_free(struct events_tracker *t);

/*
 * Feed one event: a transition, or a reset sent or received (once
 * events_tracker_resets() says those are traced, a failed connect() that
 * received no RST is unreachable rather than refused).
 */
void	events_track_trace(struct events_tracker *t, const struct td_trace_ev *ev);
void	events_tracker_resets(struct events_tracker *t, bool traced);

/*
 * Feed one destroy notification and fill *out: the socket, with what the
 * transitions told about it (traced true), or classified from its final
 * tcp_info alone (see events.c, classify_untraced).
 */
void	events_track_destroy(struct events_tracker *t, const struct td_sock *sk, int64_t time_ns,
	    struct td_conn_ev *out);

/* ---- Aggregates ---- */

/* Per destination (connect()) and per listener (accept()). */
struct ev_dest {
	uint8_t		family;
	uint16_t	port;
	struct in6_addr	addr;		/* destination, or the listener's local address */
	uint64_t	n[EV_OUTCOME_MAX];	/* connections by outcome */
	uint64_t	opened;		/* connections seen */
	uint64_t	succeeded;	/* reached ESTABLISHED */
	uint64_t	bytes_sent, bytes_received;
	uint64_t	life_sum_ms, life_max_ms, life_n;	/* over those with a known birth */
	uint64_t	died_young;	/* established, then reset within EV_YOUNG_MS of birth */
	uint64_t	dropped;	/* listener: growth of its sk_drops, which
					   tcp_listendrop() counts for accept-queue
					   overflows and other SYN drops (cmd fills it) */
	char		comm[16];	/* the first owner seen, "" if none */
	int32_t		pid;
	uint8_t		owner_from;	/* enum ev_owner_from of that owner */
};

#define EV_AGG_CAP	1024	/* destinations and listeners kept, each */
#define EV_YOUNG_MS	1000	/* a reset connection younger than this died young */

struct events_agg {
	struct ev_dest	dest[EV_AGG_CAP];
	size_t		ndest;
	struct ev_dest	lsn[EV_AGG_CAP];
	size_t		nlsn;
	uint64_t	other;		/* connections whose row found no room */
	uint64_t	total;
};

/* The lifetime in ms, from birth to CLOSE (or to the notification); -1 if unknown. */
int64_t	events_lifetime_ms(const struct td_conn_ev *ev);

/*
 * Count one connection: active ones per destination, passive ones per
 * listener (the row of a listener on the same port whose address is the
 * same or the wildcard, made beforehand with events_agg_listener, else a
 * row for the local address).
 */
void	events_agg_add(struct events_agg *a, const struct td_conn_ev *ev);
/* The listener row for a local address and port, made if there is room; NULL if not. */
struct ev_dest *events_agg_listener(struct events_agg *a, int family, const struct in6_addr *addr,
	    uint16_t port);

/* Transitions that found no room (cap reached): their connections are untraced. */
uint64_t events_tracker_full(const struct events_tracker *t);

/* ---- The subscription ---- */

struct events_sub;

/*
 * Join the destroy groups of the current network namespace (family 0:
 * both, or AF_INET / AF_INET6) with a receive buffer of rcvbuf bytes
 * (SO_RCVBUFFORCE when allowed, else SO_RCVBUF up to rmem_max).  Returns
 * NULL with *err set: the error of the failing call (EPERM/EACCES only
 * where a security module refuses the join; the kernel itself does not).
 */
struct events_sub *events_open(int family, int rcvbuf, struct td_err *err);

/*
 * Wait up to timeout_ms for notifications and call fn once per destroyed
 * socket (sk decoded as sockdiag_decode does, time_ns when read).
 * ENOBUFS is counted and the read goes on.  Returns the number delivered
 * (0 on timeout), or -1 with *err set (also when fn returns -1).
 */
typedef int (*events_fn)(const struct td_sock *sk, int64_t time_ns, void *arg,
	    struct td_err *err);
int	events_poll(struct events_sub *s, int timeout_ms, events_fn fn, void *arg,
	    struct td_err *err);

/*
 * Notifications the kernel dropped for want of room (SK_MEMINFO_DROPS), or,
 * where SO_MEMINFO fails, the ENOBUFS episodes (each lost at least one).
 */
uint64_t events_lost(const struct events_sub *s);
/* Times recv failed with ENOBUFS. */
uint64_t events_overruns(const struct events_sub *s);

/* The receive buffer the kernel granted (bytes, as getsockopt reports it). */
int	events_rcvbuf(const struct events_sub *s);

/* Leave the groups and free; safe with NULL. */
void	events_close(struct events_sub *s);

/*
 * Decode len bytes of notifications (exposed for tests and the fuzzer):
 * every SOCK_DIAG_BY_FAMILY message goes to fn.  Returns the number
 * delivered, or -1 with *err set for a malformed message.
 */
int	events_parse(const void *buf, size_t len, int64_t time_ns, events_fn fn, void *arg,
	    struct td_err *err);

#endif /* TD_COLLECTORS_EVENTS_H */
