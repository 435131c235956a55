/* SPDX-License-Identifier: MIT */
/*
 * sock_diag destroy notifications (see events.h): one netlink socket
 * joined to the TCP destroy groups, decoded by sockdiag_decode() so a
 * destroyed socket reads like a dumped one.
 */
#include "collectors/events.h"

#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libmnl/libmnl.h>

#include "collectors/sockdiag.h"
#include "collectors/tracefs.h"
#include "core/util.h"

#ifndef MNL_SOCKET_DUMP_SIZE
#define MNL_SOCKET_DUMP_SIZE	32768
#endif

struct events_sub {
	struct mnl_socket	*nl;
	uint64_t		 lost;		/* ENOBUFS seen */
	int			 rcvbuf;
};

static const char *const outcome_names[EV_OUTCOME_MAX] = {
	[EV_UNCONNECTED]	= "unconnected",
	[EV_CLOSED]		= "closed",
	[EV_RESET]		= "reset",
	[EV_REFUSED]		= "refused",
	[EV_ENDED]		= "ended",
	[EV_TIMED_OUT]		= "timed_out",
	[EV_UNREACHABLE]	= "unreachable",
	[EV_ABANDONED]		= "abandoned",
	[EV_CONNECT_FAILED]	= "connect_failed",
	[EV_NO_PORT]		= "no_local_port",
};

const char *
ev_outcome_name(unsigned int o)
{
	return o < EV_OUTCOME_MAX ? outcome_names[o] : "unknown";
}

bool
ev_outcome_failed_connect(unsigned int o)
{
	return o == EV_REFUSED || o == EV_TIMED_OUT || o == EV_UNREACHABLE || o == EV_ABANDONED ||
	    o == EV_CONNECT_FAILED || o == EV_NO_PORT;
}

const char *
ev_role_name(unsigned int r)
{
	switch (r) {
	case EV_ROLE_ACTIVE:	return "connect";
	case EV_ROLE_PASSIVE:	return "accept";
	case EV_ROLE_LISTENER:	return "listen";
	default:		return "unknown";
	}
}


struct events_sub *
events_open(int family, int rcvbuf, struct td_err *err)
{
	struct events_sub *s;
	int fd, grp, saved;
	socklen_t sl;

	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		td_errf(err, ENOMEM, "events: out of memory");
		return NULL;
	}
	s->nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (s->nl == NULL) {
		saved = errno;
		td_errf(err, saved, "events: cannot open sock_diag netlink socket: %s",
		    strerror(saved));
		free(s);
		return NULL;
	}
	fd = mnl_socket_get_fd(s->nl);
	/* FORCE goes past rmem_max when we may (CAP_NET_ADMIN); else the plain call. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sl = sizeof(s->rcvbuf);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &s->rcvbuf, &sl) < 0)
		s->rcvbuf = 0;
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		saved = errno;
		td_errf(err, saved, "events: cannot bind sock_diag netlink socket: %s",
		    strerror(saved));
		goto fail;
	}
	/*
	 * The kernel lets any user join (NL_CFG_F_NONROOT_RECV, see events.h);
	 * EPERM/EACCES here comes from a security module (SELinux, AppArmor).
	 */
	for (grp = SKNLGRP_INET_TCP_DESTROY; grp <= SKNLGRP_INET6_TCP_DESTROY; grp++) {
		if (grp != SKNLGRP_INET_TCP_DESTROY && grp != SKNLGRP_INET6_TCP_DESTROY)
			continue;
		if (family == AF_INET && grp != SKNLGRP_INET_TCP_DESTROY)
			continue;
		if (family == AF_INET6 && grp != SKNLGRP_INET6_TCP_DESTROY)
			continue;
		if (mnl_socket_setsockopt(s->nl, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
			saved = errno;
			td_errf(err, saved, "events: cannot join the sock_diag destroy group: %s%s",
			    strerror(saved), saved == EPERM || saved == EACCES ?
			    " (refused by a security module or by this kernel)" : "");
			goto fail;
		}
	}
	return s;
fail:
	mnl_socket_close(s->nl);
	free(s);
	return NULL;
}

int
events_parse(const void *buf, size_t len, int64_t time_ns, events_fn fn, void *arg,
    struct td_err *err)
{
	const struct nlmsghdr *nlh = buf;
	struct td_sock sk;
	int left = (int)len, n = 0;

	if (len > (size_t)INT32_MAX)
		return td_errf(err, EPROTO, "events: notification buffer too large");
	/*
	 * Not mnl_nlmsg_ok() alone: libmnl 1.0.4 compares (int)nlmsg_len, so
	 * a length above 2 GiB passes as negative and the next message would
	 * be read 2 GiB away (found by fuzz_events).
	 */
	while (mnl_nlmsg_ok(nlh, left) && nlh->nlmsg_len <= (uint32_t)left) {
		if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			if (sockdiag_decode(nlh, &sk, err) < 0)
				return -1;
			if (fn(&sk, time_ns, arg, err) < 0)
				return -1;
			n++;
		} else if (nlh->nlmsg_type == NLMSG_ERROR) {
			return td_errf(err, EPROTO, "events: unexpected netlink error message");
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	if (left != 0)
		return td_errf(err, EPROTO, "events: truncated netlink message (%d bytes left)",
		    left);
	return n;
}

int
events_poll(struct events_sub *s, int timeout_ms, events_fn fn, void *arg, struct td_err *err)
{
	static char buf[MNL_SOCKET_DUMP_SIZE];
	struct pollfd pfd = { .fd = mnl_socket_get_fd(s->nl), .events = POLLIN };
	ssize_t len;
	int total = 0, rc;

	rc = poll(&pfd, 1, timeout_ms);
	if (rc < 0) {
		if (errno == EINTR)
			return 0;
		return td_errf(err, errno, "events: poll: %s", strerror(errno));
	}
	if (rc == 0)
		return 0;
	/* Drain what is queued now; a busy host must not starve the caller. */
	for (;;) {
		len = recv(pfd.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (len < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
				break;
			if (errno == ENOBUFS) {
				/* netlink_overrun(): notifications were dropped. */
				s->lost++;
				continue;
			}
			return td_errf(err, errno, "events: recv: %s", strerror(errno));
		}
		if (len == 0)
			break;
		rc = events_parse(buf, (size_t)len, td_real_ns(), fn, arg, err);
		if (rc < 0)
			return -1;
		total += rc;
		if (total > 100000)
			break;
	}
	return total;
}

uint64_t
events_lost(const struct events_sub *s)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);

	memset(mem, 0, sizeof(mem));
	if (getsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_MEMINFO, mem, &len) == 0 &&
	    len > SK_MEMINFO_DROPS * sizeof(uint32_t))
		return mem[SK_MEMINFO_DROPS] > s->lost ? mem[SK_MEMINFO_DROPS] : s->lost;
	return s->lost;
}

uint64_t
events_overruns(const struct events_sub *s)
{
	return s->lost;
}

int
events_rcvbuf(const struct events_sub *s)
{
	return s->rcvbuf;
}

void
events_close(struct events_sub *s)
{
	if (s == NULL)
		return;
	mnl_socket_close(s->nl);
	free(s);
}

/* ---- The tracker: transitions joined with destroy notifications ---- */

struct ev_conn {
	bool		used;
	uint8_t		family, role, close_from;	/* close_from: state before CLOSE */
	uint16_t	sport, dport;
	struct in6_addr	src, dst;
	int64_t		born_ns, est_ns, closed_ns, last_ns;
	int32_t		pid, tid;
	char		comm[16];
	uint8_t		reset_by;	/* enum ev_reset_by */
	uint8_t		reset_state;	/* the state the RST was sent or received in */
	char		reset_reason[48];
	int32_t		next;		/* bucket chain, or the free list */
};

struct ev_pending {			/* a connect() whose source port is not known yet */
	uint8_t		family;
	uint16_t	dport;
	struct in6_addr	dst;
	int64_t		t;		/* 0: taken */
	int32_t		pid, tid;
	char		comm[16];
};

#define EV_PENDING	16384

struct events_tracker {
	struct ev_conn		*c;
	size_t			 cap;
	int32_t			*bucket;
	size_t			 nbucket;	/* a power of two */
	int32_t			 free_head;	/* entries given back, -1: none */
	size_t			 fresh;		/* c[fresh..cap) never used yet */
	struct ev_pending	 pend[EV_PENDING];
	size_t			 phead, plen;
	uint64_t		 full;
	int64_t			 giveup_ns;
	unsigned int		 rtx_count;
	bool			 resets;	/* tcp_send_reset/tcp_receive_reset traced */
};

struct events_tracker *
events_tracker_new(size_t cap, int64_t syn_giveup_ns, unsigned int syn_rtx_count,
    struct td_err *err)
{
	struct events_tracker *t;
	size_t i;

	t = calloc(1, sizeof(*t));
	if (t == NULL || cap == 0 || cap > (1u << 24))
		goto nomem;
	t->cap = cap;
	for (t->nbucket = 64; t->nbucket < cap; t->nbucket <<= 1)
		;
	t->c = calloc(cap, sizeof(*t->c));
	t->bucket = malloc(t->nbucket * sizeof(*t->bucket));
	if (t->c == NULL || t->bucket == NULL)
		goto nomem;
	for (i = 0; i < t->nbucket; i++)
		t->bucket[i] = -1;
	/*
	 * No free list through the whole table: entries are taken from
	 * c[fresh] on until it is used up, so the calloc'd table (150 bytes
	 * an entry, 10 MiB for watch's 65,536) stays untouched, out of the
	 * resident set, until that many connections are followed at once.
	 */
	t->free_head = -1;
	t->fresh = 0;
	t->giveup_ns = syn_giveup_ns;
	t->rtx_count = syn_rtx_count;
	return t;
nomem:
	events_tracker_free(t);
	td_errf(err, ENOMEM, "events: out of memory for %zu connections", cap);
	return NULL;
}

void
events_tracker_free(struct events_tracker *t)
{
	if (t == NULL)
		return;
	free(t->c);
	free(t->bucket);
	free(t);
}

void
events_tracker_resets(struct events_tracker *t, bool traced)
{
	t->resets = traced;
}

const char *
ev_owner_from_name(unsigned int f)
{
	switch (f) {
	case EV_OWNER_CONNECT:	return "connect";
	case EV_OWNER_SOCKET:	return "socket";
	case EV_OWNER_LISTENER:	return "listener";
	default:		return NULL;
	}
}

const char *
ev_reset_by_name(unsigned int r)
{
	return r == EV_RESET_LOCAL ? "local" : r == EV_RESET_PEER ? "peer" : NULL;
}

/* The kernel's reset reasons (include/net/rstreason.h, 6.10+), in words. */
static const struct {
	const char	*reason;
	const char	*cause;
} reset_causes[] = {
	{ "TCP_ABORT_ON_CLOSE",	"the application closed it with data unread (tcp_close())" },
	{ "TCP_ABORT_ON_DATA",	"data arrived after the application had closed it" },
	{ "TCP_ABORT_ON_LINGER", "FIN_WAIT2 cut short by a negative TCP_LINGER2" },
	{ "TCP_ABORT_ON_MEMORY", "too many orphaned sockets or no socket memory (tcp_max_orphans, tcp_mem)" },
	{ "TCP_STATE",		"aborted: close() with SO_LINGER 0, or a disconnect with data pending" },
	{ "TCP_DISCONNECT_WITH_DATA", "disconnected (connect(AF_UNSPEC) or SO_LINGER 0) with data pending" },
	{ "TCP_KEEPALIVE_TIMEOUT", "keepalive probes went unanswered" },
	{ "NO_SOCKET",		"a segment for a connection this host does not have" },
	{ "TCP_TIMEWAIT_SOCKET", "a segment a TIME_WAIT socket could not accept" },
	{ "TCP_INVALID_ACK_SEQUENCE", "an ACK for data never sent" },
	{ "TCP_TOO_OLD_ACK",	"an ACK older than anything in flight" },
	{ "TCP_ACK_UNSENT_DATA", "an ACK for data never sent" },
	{ "TCP_OLD_ACK",	"an old ACK" },
	{ "TCP_FLAGS",		"a segment with flags the state does not allow" },
	{ "TCP_RFC7323_PAWS",	"a segment with an old timestamp (PAWS, RFC 7323)" },
	{ "INVALID_SYN",	"an unexpected SYN" },
};

const char *
ev_reset_cause(const struct td_conn_ev *ev)
{
	size_t i;

	if (ev->reset_by == EV_RESET_PEER)
		return ev->outcome == EV_REFUSED ?
		    "the peer answered the SYN with a RST: nothing listens on that port" :
		    "the peer sent a RST (it closed with unread data, aborted, or no longer knows the connection)";
	if (ev->reset_by != EV_RESET_LOCAL)
		return NULL;
	for (i = 0; i < sizeof(reset_causes) / sizeof(reset_causes[0]); i++)
		if (strcmp(ev->reset_reason, reset_causes[i].reason) == 0)
			return reset_causes[i].cause;
	return "this host reset it (the kernel gave no reason)";
}

uint64_t
events_tracker_full(const struct events_tracker *t)
{
	return t->full;
}

/* The bucket of (family, peer, local port): the dport is left out so that a
 * socket whose dport tcp_disconnect() cleared is still found. */
static size_t
ev_hash(const struct events_tracker *t, uint8_t family, const struct in6_addr *dst, uint16_t sport)
{
	uint32_t h = 2166136261u;
	const uint8_t *p = dst->s6_addr;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ p[i]) * 16777619u;
	h = (h ^ family) * 16777619u;
	h = (h ^ (sport & 0xff)) * 16777619u;
	h = (h ^ (sport >> 8)) * 16777619u;
	return h & (t->nbucket - 1);
}

/*
 * Find a connection; dport 0 matches any dport.  Entries are pushed at the
 * head of their chain, so the first match is the newest: the one that a
 * transition continues.  oldest asks for the last match instead: the
 * destroy notifications of connections that ended with the same tuple
 * (a source port reused, or none chosen) come in the order they ended.
 */
static int32_t
ev_find(const struct events_tracker *t, uint8_t family, const struct in6_addr *dst,
    uint16_t sport, uint16_t dport, bool oldest)
{
	int32_t i, found = -1;

	for (i = t->bucket[ev_hash(t, family, dst, sport)]; i >= 0; i = t->c[i].next) {
		const struct ev_conn *c = &t->c[i];

		if (c->family == family && c->sport == sport &&
		    (dport == 0 || c->dport == dport) &&
		    memcmp(&c->dst, dst, sizeof(*dst)) == 0) {
			found = i;
			if (!oldest)
				break;
		}
	}
	return found;
}

static void
ev_unlink(struct events_tracker *t, int32_t idx)
{
	struct ev_conn *c = &t->c[idx];
	int32_t *pp = &t->bucket[ev_hash(t, c->family, &c->dst, c->sport)];

	while (*pp >= 0 && *pp != idx)
		pp = &t->c[*pp].next;
	if (*pp == idx)
		*pp = c->next;
	memset(c, 0, sizeof(*c));
	c->next = t->free_head;
	t->free_head = idx;
}

/*
 * A new entry.  The tracepoint reports every namespace, the destroy
 * groups only ours, so entries of other namespaces are never claimed:
 * when the table is full the least recently active entry makes room
 * (counted in full).
 */
static struct ev_conn *
ev_new(struct events_tracker *t, uint8_t family, const struct in6_addr *src,
    const struct in6_addr *dst, uint16_t sport, uint16_t dport)
{
	struct ev_conn *c;
	size_t b, i, old = 0;
	int32_t idx;

	if (t->free_head < 0 && t->fresh < t->cap) {
		c = &t->c[t->fresh];
		c->next = -1;
		t->free_head = (int32_t)t->fresh++;
	} else if (t->free_head < 0) {
		for (i = 1; i < t->cap; i++)
			if (t->c[i].last_ns < t->c[old].last_ns)
				old = i;
		ev_unlink(t, (int32_t)old);
		t->full++;
	}
	idx = t->free_head;
	c = &t->c[idx];
	t->free_head = c->next;
	memset(c, 0, sizeof(*c));
	c->used = true;
	c->family = family;
	c->src = *src;
	c->dst = *dst;
	c->sport = sport;
	c->dport = dport;
	c->pid = -1;
	c->tid = -1;
	b = ev_hash(t, family, dst, sport);
	c->next = t->bucket[b];
	t->bucket[b] = idx;
	return c;
}

/* Take the oldest pending connect() to dst:dport, or return false. */
static bool
ev_take_pending(struct events_tracker *t, const struct td_trace_ev *ev, struct ev_pending *out)
{
	size_t i, k;

	for (i = 0; i < t->plen; i++) {
		struct ev_pending *p = &t->pend[(t->phead + i) % EV_PENDING];

		if (p->t != 0 && p->family == ev->family && p->dport == ev->dport &&
		    memcmp(&p->dst, &ev->dst, sizeof(p->dst)) == 0) {
			*out = *p;
			p->t = 0;
			/* Drop the taken ones at the head. */
			for (k = 0; k < t->plen && t->pend[t->phead].t == 0; k++) {
				t->phead = (t->phead + 1) % EV_PENDING;
				t->plen--;
			}
			return true;
		}
	}
	return false;
}

void
events_track_trace(struct events_tracker *t, const struct td_trace_ev *ev)
{
	struct ev_pending p;
	struct ev_conn *c;
	int32_t idx;

	if (ev->oldstate == TD_ST_CLOSE && ev->newstate == TD_ST_SYN_SENT) {
		/* tcp_v4_connect() sets SYN_SENT before inet_hash_connect() picks the port. */
		struct ev_pending *q;

		if (t->plen == EV_PENDING) {
			t->phead = (t->phead + 1) % EV_PENDING;
			t->plen--;
			t->full++;
		}
		q = &t->pend[(t->phead + t->plen) % EV_PENDING];
		t->plen++;
		q->family = ev->family;
		q->dport = ev->dport;
		q->dst = ev->dst;
		q->t = ev->time_ns != 0 ? ev->time_ns : 1;
		q->pid = ev->pid;
		q->tid = ev->tid;
		memcpy(q->comm, ev->comm, sizeof(q->comm));
		return;
	}
	if (ev->kind == TD_TRACE_SEND_RESET || ev->kind == TD_TRACE_RECEIVE_RESET) {
		/*
		 * tcp_reset() traces the RST it received before tcp_done()
		 * closes the socket, so the entry may not exist yet; a RST
		 * sent for no socket (a closed port) has none.
		 */
		if (ev->kind == TD_TRACE_SEND_RESET && ev->reason[0] != '\0' &&
		    strcmp(ev->reason, "NO_SOCKET") == 0)
			return;
		idx = ev_find(t, ev->family, &ev->dst, ev->sport, ev->dport, false);
		if (idx >= 0 && t->c[idx].closed_ns != 0 && ev->kind == TD_TRACE_RECEIVE_RESET &&
		    t->c[idx].reset_by != EV_RESET_UNKNOWN)
			idx = -1;
		c = idx >= 0 ? &t->c[idx] :
		    ev_new(t, ev->family, &ev->src, &ev->dst, ev->sport, ev->dport);
		c->last_ns = ev->time_ns;
		if (c->reset_by == EV_RESET_UNKNOWN) {
			c->reset_by = ev->kind == TD_TRACE_SEND_RESET ? EV_RESET_LOCAL : EV_RESET_PEER;
			memcpy(c->reset_reason, ev->reason, sizeof(c->reset_reason));
		}
		return;
	}
	if (ev->newstate == TD_ST_LISTEN || ev->oldstate == TD_ST_LISTEN) {
		if (ev->newstate != TD_ST_SYN_RECV)
			return;		/* listen() and closing a listener */
	}
	idx = ev_find(t, ev->family, &ev->dst, ev->sport, ev->dport, false);
	if (idx >= 0 && ev->newstate == TD_ST_SYN_RECV) {
		/* A stale entry with the same tuple: a new connection replaces it. */
		ev_unlink(t, idx);
		idx = -1;
	}
	/*
	 * A connect() leaving SYN_SENT is a new connection even when an entry
	 * with its tuple has already closed and waits for its notification
	 * (sport 0 for every connect() that found no port).
	 */
	if (idx >= 0 && ev->oldstate == TD_ST_SYN_SENT && t->c[idx].closed_ns != 0)
		idx = -1;
	c = idx < 0 ? ev_new(t, ev->family, &ev->src, &ev->dst, ev->sport, ev->dport) : &t->c[idx];
	/* A new entry, or one a RST received in SYN_SENT made first. */
	if (c->role == EV_ROLE_UNKNOWN && c->born_ns == 0) {
		if (ev->oldstate == TD_ST_SYN_SENT) {
			c->role = EV_ROLE_ACTIVE;
			if (ev_take_pending(t, ev, &p)) {
				c->born_ns = p.t;
				c->pid = p.pid;
				c->tid = p.tid;
				memcpy(c->comm, p.comm, sizeof(c->comm));
			}
		} else if (ev->newstate == TD_ST_SYN_RECV) {
			/* tcp_create_openreq_child(): the child of a completed handshake. */
			c->role = EV_ROLE_PASSIVE;
			c->born_ns = ev->time_ns;
		}
	}
	c->last_ns = ev->time_ns;
	if (ev->newstate == TD_ST_ESTABLISHED && c->est_ns == 0)
		c->est_ns = ev->time_ns;
	if (ev->newstate == TD_ST_CLOSE) {
		c->closed_ns = ev->time_ns;
		c->close_from = ev->oldstate;
	}
}

/*
 * A socket whose transitions were not seen (no tracepoint, or it was born
 * before we started), judged from its final record alone.
 *  - No peer at all: a listener or a socket that never connected.
 *  - A peer address, sport and dport 0: connect() found no local port.
 *  - A peer address but dport 0: connect() returned an error and
 *    __inet_stream_connect() called tcp_disconnect() (net/ipv4/af_inet.c),
 *    which clears dport, the source address and the counters but keeps
 *    icsk_retransmits (net/ipv4/tcp.c): no retransmission means the first
 *    SYN was answered, with a RST (or an ICMP error).
 *  - Nothing ever came in (tcpi_segs_in counts every segment, tcp_segs_in()
 *    in tcp_v4_rcv()) and no RTT sample: it never connected.
 */
static void
classify_untraced(struct td_conn_ev *o)
{
	const struct td_sock *sk = &o->sk;
	static const struct in6_addr any;
	static const uint8_t mapped_any[16] = { [10] = 0xff, [11] = 0xff };
	bool no_peer = memcmp(&sk->dst, &any, sizeof(any)) == 0 ||
	    memcmp(&sk->dst, mapped_any, sizeof(mapped_any)) == 0;

	if (sk->dport == 0 && no_peer) {
		o->role = EV_ROLE_LISTENER;
		o->outcome = EV_UNCONNECTED;
	} else if (sk->dport == 0 && sk->sport == 0) {
		/* No port was ever chosen: connect() failed in inet_hash_connect(). */
		o->role = EV_ROLE_ACTIVE;
		o->outcome = EV_NO_PORT;
	} else if (sk->dport == 0) {
		o->role = EV_ROLE_ACTIVE;
		o->syns = sk->tcpi.retransmits + 1u;
		o->outcome = sk->tcpi.retransmits == 0 ? EV_REFUSED : EV_CONNECT_FAILED;
	} else if (sk->has_tcpi && sk->tcpi.segs_in == 0 && sk->tcpi.rtt == 0 &&
	    sk->tcpi.bytes_received == 0) {
		o->role = EV_ROLE_ACTIVE;
		o->syns = sk->tcpi.retransmits + 1u;
		o->outcome = EV_CONNECT_FAILED;
	} else {
		o->outcome = EV_ENDED;
	}
}

void
events_track_destroy(struct events_tracker *t, const struct td_sock *sk, int64_t time_ns,
    struct td_conn_ev *out)
{
	const struct ev_conn *c;
	int64_t spent;
	int32_t idx;

	memset(out, 0, sizeof(*out));
	out->time_ns = time_ns;
	out->sk = *sk;
	out->pid = -1;
	out->tid = -1;
	idx = t != NULL ? ev_find(t, sk->family, &sk->dst, sk->sport, sk->dport, true) : -1;
	if (idx < 0) {
		classify_untraced(out);
		return;
	}
	c = &t->c[idx];
	out->traced = true;
	out->role = c->role;
	out->born_ns = c->born_ns;
	out->est_ns = c->est_ns;
	out->closed_ns = c->closed_ns;
	out->pid = c->pid;
	out->tid = c->tid;
	memcpy(out->comm, c->comm, sizeof(out->comm));
	if (c->pid > 0 || (c->tid > 0 && c->comm[0] != '\0'))
		out->owner_from = EV_OWNER_CONNECT;
	out->reset_by = c->reset_by;
	memcpy(out->reset_reason, c->reset_reason, sizeof(out->reset_reason));
	/* tcp_disconnect() cleared these; the transitions knew them. */
	if (out->sk.dport == 0) {
		out->sk.dport = c->dport;
		out->sk.src = c->src;
	}
	if (c->est_ns == 0 && c->role == EV_ROLE_ACTIVE) {
		out->syns = sk->tcpi.retransmits + 1u;
		spent = c->born_ns != 0 && c->closed_ns != 0 ? c->closed_ns - c->born_ns : -1;
		if (c->closed_ns == 0) {
			out->outcome = EV_CONNECT_FAILED;
		} else if (c->sport == 0) {
			/*
			 * SYN_SENT -> CLOSE before a port was chosen:
			 * inet_hash_connect() failed (-EADDRNOTAVAIL) and
			 * tcp_v4_connect() undid the state; nothing was sent.
			 */
			out->outcome = EV_NO_PORT;
			out->syns = 0;
		}
		else if (sk->dport != 0 && sk->tcpi.segs_in == 0 && sk->tcpi.retransmits == 0)
			/* No error path ran (the tuple is intact), nothing came in. */
			out->outcome = EV_ABANDONED;
		else if (c->reset_by == EV_RESET_PEER)
			/* tcp_reset() in SYN_SENT: ECONNREFUSED. */
			out->outcome = EV_REFUSED;
		else if ((spent >= 0 && t->giveup_ns > 0 && spent >= t->giveup_ns - 250000000) ||
		    (t->rtx_count > 0 && sk->tcpi.retransmits >= t->rtx_count))
			/* tcp_write_timeout() gave up: as long, or as many SYNs, as the model says. */
			out->outcome = EV_TIMED_OUT;
		else if (t->resets)
			/* No RST came: an ICMP error or the neighbour (tcp_v4_err()). */
			out->outcome = EV_UNREACHABLE;
		else if (sk->tcpi.retransmits == 0)
			/* Answered before the first retransmission (TCP_TIMEOUT_INIT). */
			out->outcome = EV_REFUSED;
		else
			out->outcome = EV_UNREACHABLE;
	} else if (c->closed_ns == 0) {
		out->outcome = EV_ENDED;
	} else {
		switch (c->close_from) {
		case TD_ST_FIN_WAIT2:
		case TD_ST_CLOSING:
		case TD_ST_LAST_ACK:
			out->outcome = EV_CLOSED;
			break;
		default:
			/*
			 * tcp_reset() (a RST received), tcp_close() with unread
			 * data or SO_LINGER 0, tcp_write_err() (timeouts) and
			 * tcp_abort() all go straight to CLOSE (tcp_done()).
			 */
			out->outcome = EV_RESET;
			break;
		}
	}
	ev_unlink(t, idx);
}

/* ---- Aggregates ---- */

static struct ev_dest *
agg_row(struct ev_dest *rows, size_t *n, int family, const struct in6_addr *addr, uint16_t port)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (rows[i].family == family && rows[i].port == port &&
		    memcmp(&rows[i].addr, addr, sizeof(*addr)) == 0)
			return &rows[i];
	if (*n == EV_AGG_CAP)
		return NULL;
	memset(&rows[*n], 0, sizeof(rows[*n]));
	rows[*n].family = (uint8_t)family;
	rows[*n].addr = *addr;
	rows[*n].port = port;
	rows[*n].pid = -1;
	return &rows[(*n)++];
}

struct ev_dest *
events_agg_listener(struct events_agg *a, int family, const struct in6_addr *addr, uint16_t port)
{
	return agg_row(a->lsn, &a->nlsn, family, addr, port);
}

int64_t
events_lifetime_ms(const struct td_conn_ev *ev)
{
	int64_t end = ev->closed_ns != 0 ? ev->closed_ns : ev->time_ns;

	if (ev->born_ns == 0 || end < ev->born_ns)
		return -1;
	return (end - ev->born_ns) / 1000000;
}

/* The listener row that accepted a connection: same port, same or wildcard address. */
static struct ev_dest *
agg_listener_of(struct events_agg *a, const struct td_sock *sk)
{
	static const struct in6_addr any;
	static const uint8_t mapped_any[16] = { [10] = 0xff, [11] = 0xff };
	size_t i;

	for (i = 0; i < a->nlsn; i++) {
		const struct ev_dest *l = &a->lsn[i];

		if (l->port != sk->sport)
			continue;
		if (memcmp(&l->addr, &sk->src, sizeof(sk->src)) == 0 ||
		    memcmp(&l->addr, mapped_any, sizeof(mapped_any)) == 0 ||
		    (l->family == AF_INET6 && memcmp(&l->addr, &any, sizeof(any)) == 0))
			return &a->lsn[i];
	}
	return agg_row(a->lsn, &a->nlsn, sk->family, &sk->src, sk->sport);
}

void
events_agg_add(struct events_agg *a, const struct td_conn_ev *ev)
{
	struct ev_dest *r;
	int64_t life;

	a->total++;
	if (ev->role == EV_ROLE_ACTIVE)
		r = agg_row(a->dest, &a->ndest, ev->sk.family, &ev->sk.dst, ev->sk.dport);
	else if (ev->role == EV_ROLE_PASSIVE)
		r = agg_listener_of(a, &ev->sk);
	else
		return;
	if (r == NULL) {
		a->other++;
		return;
	}
	r->opened++;
	if (ev->outcome < EV_OUTCOME_MAX)
		r->n[ev->outcome]++;
	if (!ev_outcome_failed_connect(ev->outcome))
		r->succeeded++;
	r->bytes_sent += ev->sk.tcpi.bytes_sent;
	r->bytes_received += ev->sk.tcpi.bytes_received;
	if ((life = events_lifetime_ms(ev)) >= 0) {
		r->life_sum_ms += (uint64_t)life;
		r->life_n++;
		if ((uint64_t)life > r->life_max_ms)
			r->life_max_ms = (uint64_t)life;
		if (ev->outcome == EV_RESET && life < EV_YOUNG_MS)
			r->died_young++;
	}
	if (r->comm[0] == '\0' && ev->comm[0] != '\0') {
		memcpy(r->comm, ev->comm, sizeof(r->comm));
		r->pid = ev->pid;
		r->owner_from = ev->owner_from;
	}
}
