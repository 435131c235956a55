/* SPDX-License-Identifier: MIT */
/*
 * sock_diag collector.  One NETLINK_SOCK_DIAG request per family
 * (SOCK_DIAG_BY_FAMILY, IPPROTO_TCP, NLM_F_DUMP) with the state mask applied
 * in the kernel, or one TCPDIAG_GETSOCK request for both families (see
 * sockdiag_dump); the reply is a stream of inet_diag_msg messages ending in
 * NLMSG_DONE.  Each message is decoded into a struct td_sock on the stack
 * and handed to the caller's callback: nothing is kept.
 *
 * The kernel answers with three kinds of objects (net/ipv4/inet_diag.c):
 * full sockets (inet_sk_diag_fill, always with INET_DIAG_SHUTDOWN), request
 * sockets (inet_req_diag_fill: state SYN_RECV, inode 0, timer 1, no
 * SHUTDOWN) and timewait mini-sockets (inet_twsk_diag_fill: timer 3, state
 * TIME_WAIT or the FIN_WAIT2 substate).
 */
#include "collectors/sockdiag.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "core/util.h"

/* libmnl 1.0.4 (Debian 12) lacks it; later versions define 32768 too. */
#ifndef MNL_SOCKET_DUMP_SIZE
#define MNL_SOCKET_DUMP_SIZE	32768
#endif

/* Ask for a big socket buffer so a fast dump does not overrun us (ENOBUFS). */
#define SOCKDIAG_RCVBUF		(1 << 20)

/*
 * The kernel's struct tcp_info (include/uapi/linux/tcp.h) as of 6.7, with
 * the two bit-field bytes kept as plain bytes.  The kernel may send fewer
 * bytes (older kernels) or more (newer fields we do not use); we copy what
 * fits into a zeroed copy, as ss does ("workaround for older kernels").
 */
struct ktcp_info {
	uint8_t		state, ca_state, retransmits, probes, backoff, options;
	uint8_t		wscale;			/* snd_wscale:4, rcv_wscale:4 */
	uint8_t		app_limited;		/* delivery_rate_app_limited:1, ... */
	uint32_t	rto, ato, snd_mss, rcv_mss;
	uint32_t	unacked, sacked, lost, retrans, fackets;
	uint32_t	last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
	uint32_t	pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd;
	uint32_t	advmss, reordering;
	uint32_t	rcv_rtt, rcv_space;
	uint32_t	total_retrans;
	uint64_t	pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t	segs_out, segs_in;
	uint32_t	notsent_bytes, min_rtt, data_segs_in, data_segs_out;
	uint64_t	delivery_rate;
	uint64_t	busy_time, rwnd_limited, sndbuf_limited;
	uint32_t	delivered, delivered_ce;
	uint64_t	bytes_sent, bytes_retrans;
	uint32_t	dsack_dups, reord_seen;
	uint32_t	rcv_ooopack;
	uint32_t	snd_wnd;
	uint32_t	rcv_wnd;		/* 6.7 */
	uint32_t	rehash;			/* 6.7 */
	uint16_t	total_rto, total_rto_recoveries;	/* 6.7 */
	uint32_t	total_rto_time;		/* 6.7 */
};

/* Our layout must agree with the installed kernel header where both exist. */
_Static_assert(offsetof(struct ktcp_info, rto) == offsetof(struct tcp_info, tcpi_rto),
    "tcp_info layout");
_Static_assert(offsetof(struct ktcp_info, pacing_rate) ==
    offsetof(struct tcp_info, tcpi_pacing_rate), "tcp_info layout");
_Static_assert(offsetof(struct ktcp_info, delivery_rate) ==
    offsetof(struct tcp_info, tcpi_delivery_rate), "tcp_info layout");
_Static_assert(offsetof(struct ktcp_info, bytes_sent) ==
    offsetof(struct tcp_info, tcpi_bytes_sent), "tcp_info layout");
_Static_assert(offsetof(struct ktcp_info, snd_wnd) ==
    offsetof(struct tcp_info, tcpi_snd_wnd), "tcp_info layout");

unsigned int
sockdiag_kernel_states(unsigned int states)
{
	if (states == 0)
		return TD_STATES_ALL;
	/*
	 * Request sockets are TCP_NEW_SYN_RECV in the hash but reported as
	 * SYN_RECV; either bit selects them (KERNEL-FACTS F14).
	 */
	if (states & (TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_NEW_SYN_RECV)))
		states |= TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_NEW_SYN_RECV);
	return states & TD_STATES_ALL;
}

static void
copy_tcp_info(struct td_sock *sk, const void *data, size_t len)
{
	struct ktcp_info k;
	struct td_tcpi *t = &sk->tcpi;

	memset(&k, 0, sizeof(k));
	memcpy(&k, data, len < sizeof(k) ? len : sizeof(k));
	t->len = (uint32_t)len;
	t->state = k.state;
	t->ca_state = k.ca_state;
	t->retransmits = k.retransmits;
	t->probes = k.probes;
	t->backoff = k.backoff;
	t->options = k.options;
	/* Bit-fields are allocated from the low bit on little-endian ABIs. */
#if __BYTE_ORDER == __LITTLE_ENDIAN
	t->snd_wscale = k.wscale & 0x0f;
	t->rcv_wscale = k.wscale >> 4;
	t->delivery_rate_app_limited = k.app_limited & 0x01;
#else
	t->snd_wscale = k.wscale >> 4;
	t->rcv_wscale = k.wscale & 0x0f;
	t->delivery_rate_app_limited = k.app_limited >> 7;
#endif
	t->rto = k.rto;
	t->ato = k.ato;
	t->snd_mss = k.snd_mss;
	t->rcv_mss = k.rcv_mss;
	t->unacked = k.unacked;
	t->sacked = k.sacked;
	t->lost = k.lost;
	t->retrans = k.retrans;
	t->fackets = k.fackets;
	t->last_data_sent = k.last_data_sent;
	t->last_ack_sent = k.last_ack_sent;
	t->last_data_recv = k.last_data_recv;
	t->last_ack_recv = k.last_ack_recv;
	t->pmtu = k.pmtu;
	t->rcv_ssthresh = k.rcv_ssthresh;
	t->rtt = k.rtt;
	t->rttvar = k.rttvar;
	t->snd_ssthresh = k.snd_ssthresh;
	t->snd_cwnd = k.snd_cwnd;
	t->advmss = k.advmss;
	t->reordering = k.reordering;
	t->rcv_rtt = k.rcv_rtt;
	t->rcv_space = k.rcv_space;
	t->total_retrans = k.total_retrans;
	t->pacing_rate = k.pacing_rate;
	t->max_pacing_rate = k.max_pacing_rate;
	t->bytes_acked = k.bytes_acked;
	t->bytes_received = k.bytes_received;
	t->segs_out = k.segs_out;
	t->segs_in = k.segs_in;
	t->notsent_bytes = k.notsent_bytes;
	t->min_rtt = k.min_rtt;
	t->data_segs_in = k.data_segs_in;
	t->data_segs_out = k.data_segs_out;
	t->delivery_rate = k.delivery_rate;
	t->busy_time = k.busy_time;
	t->rwnd_limited = k.rwnd_limited;
	t->sndbuf_limited = k.sndbuf_limited;
	t->delivered = k.delivered;
	t->delivered_ce = k.delivered_ce;
	t->bytes_sent = k.bytes_sent;
	t->bytes_retrans = k.bytes_retrans;
	t->dsack_dups = k.dsack_dups;
	t->reord_seen = k.reord_seen;
	t->rcv_ooopack = k.rcv_ooopack;
	t->snd_wnd = k.snd_wnd;
	t->rcv_wnd = k.rcv_wnd;
	t->rehash = k.rehash;
	t->total_rto = k.total_rto;
	t->total_rto_recoveries = k.total_rto_recoveries;
	t->total_rto_time = k.total_rto_time;
	sk->has_tcpi = true;
}

static void
copy_skmem(struct td_sock *sk, const uint32_t *m, size_t len)
{
	uint32_t v[SK_MEMINFO_VARS] = { 0 };
	size_t n = len / sizeof(uint32_t);

	/* Older kernels send fewer entries; missing ones stay 0. */
	memcpy(v, m, (n < SK_MEMINFO_VARS ? n : SK_MEMINFO_VARS) * sizeof(uint32_t));
	sk->skmem.rmem_alloc = v[SK_MEMINFO_RMEM_ALLOC];
	sk->skmem.rcvbuf = v[SK_MEMINFO_RCVBUF];
	sk->skmem.wmem_alloc = v[SK_MEMINFO_WMEM_ALLOC];
	sk->skmem.sndbuf = v[SK_MEMINFO_SNDBUF];
	sk->skmem.fwd_alloc = v[SK_MEMINFO_FWD_ALLOC];
	sk->skmem.wmem_queued = v[SK_MEMINFO_WMEM_QUEUED];
	sk->skmem.optmem = v[SK_MEMINFO_OPTMEM];
	sk->skmem.backlog = v[SK_MEMINFO_BACKLOG];
	sk->skmem.drops = v[SK_MEMINFO_DROPS];
	sk->has_skmem = true;
}

static void
set_addr(struct in6_addr *dst, int family, const uint32_t *src)
{
	memset(dst, 0, sizeof(*dst));
	if (family == AF_INET) {
		dst->s6_addr[10] = 0xff;
		dst->s6_addr[11] = 0xff;
		memcpy(&dst->s6_addr[12], src, 4);
	} else {
		memcpy(dst, src, 16);
	}
}

int
sockdiag_decode(const struct nlmsghdr *nlh, struct td_sock *sk, struct td_err *err)
{
	const struct inet_diag_msg *r;
	const struct nlattr *attr;
	const char *tail;
	bool has_shutdown = false;
	size_t alen;

	memset(sk, 0, sizeof(*sk));
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*r)))
		return td_errf(err, EPROTO, "sock_diag: message of %u bytes is shorter "
		    "than inet_diag_msg", nlh->nlmsg_len);
	r = mnl_nlmsg_get_payload(nlh);
	if (r->idiag_family != AF_INET && r->idiag_family != AF_INET6)
		return td_errf(err, EPROTO, "sock_diag: unexpected address family %u",
		    r->idiag_family);
	sk->family = r->idiag_family;
	sk->state = r->idiag_state;
	sk->timer = r->idiag_timer <= TD_TIMER_UNKNOWN ? r->idiag_timer : TD_TIMER_UNKNOWN;
	sk->retrans = r->idiag_retrans;
	sk->sport = ntohs(r->id.idiag_sport);
	sk->dport = ntohs(r->id.idiag_dport);
	set_addr(&sk->src, r->idiag_family, r->id.idiag_src);
	set_addr(&sk->dst, r->idiag_family, r->id.idiag_dst);
	sk->ifindex = r->id.idiag_if;
	/* ss prints the cookie as cookie[1] << 32 | cookie[0] (misc/ss.c). */
	sk->cookie = (uint64_t)r->id.idiag_cookie[1] << 32 | r->id.idiag_cookie[0];
	sk->timer_ms = r->idiag_expires;
	sk->rqueue = r->idiag_rqueue;
	sk->wqueue = r->idiag_wqueue;
	sk->uid = r->idiag_uid;
	sk->inode = r->idiag_inode;

	tail = (const char *)mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_for_each(attr, nlh, sizeof(*r)) {
		alen = mnl_attr_get_payload_len(attr);
		switch (mnl_attr_get_type(attr)) {
		case INET_DIAG_INFO:
			copy_tcp_info(sk, mnl_attr_get_payload(attr), alen);
			break;
		case INET_DIAG_SKMEMINFO:
			copy_skmem(sk, mnl_attr_get_payload(attr), alen);
			break;
		case INET_DIAG_CONG:
			if (alen > 0) {
				size_t n = alen < sizeof(sk->cong) ? alen : sizeof(sk->cong) - 1;

				memcpy(sk->cong, mnl_attr_get_payload(attr), n);
				sk->cong[n] = '\0';
			}
			break;
		case INET_DIAG_SHUTDOWN:
			if (alen >= 1)
				sk->shutdown = mnl_attr_get_u8(attr);
			has_shutdown = true;
			break;
		case INET_DIAG_TOS:
			if (alen >= 1)
				sk->tos = mnl_attr_get_u8(attr);
			break;
		case INET_DIAG_TCLASS:
			if (alen >= 1)
				sk->tclass = mnl_attr_get_u8(attr);
			break;
		case INET_DIAG_SKV6ONLY:
			if (alen >= 1)
				sk->v6only = mnl_attr_get_u8(attr) != 0;
			break;
		case INET_DIAG_MARK:
			if (alen >= 4)
				sk->mark = mnl_attr_get_u32(attr);
			break;
		case INET_DIAG_CGROUP_ID:
			/*
			 * Full sockets only: inet_diag_msg_attrs_fill() puts
			 * cgroup_id(sock_cgroup_ptr(&sk->sk_cgrp_data)) there
			 * unasked under CONFIG_SOCK_CGROUP_DATA (Linux 5.9).
			 */
			if (alen >= 8)
				memcpy(&sk->cgroup_id, mnl_attr_get_payload(attr), 8);
			break;
		default:
			break;
		}
	}
	if ((const char *)attr < tail)
		return td_errf(err, EPROTO, "sock_diag: malformed attribute at offset %zu "
		    "of a %u-byte message", (size_t)((const char *)attr - (const char *)nlh),
		    nlh->nlmsg_len);

	/* Which kernel object this is: see the comment at the top. */
	if (r->idiag_timer == TD_TIMER_TIMEWAIT || r->idiag_state == TD_ST_TIME_WAIT)
		sk->kind = TD_SK_TW;
	else if (r->idiag_state == TD_ST_SYN_RECV && !has_shutdown && r->idiag_inode == 0)
		sk->kind = TD_SK_REQ;
	else
		sk->kind = TD_SK_FULL;
	return 0;
}

/* A kernel's negative errno as a positive one; nonsense becomes EPROTO. */
static int
neg_errno(int32_t e)
{
	return e < 0 && e > -4096 ? -e : EPROTO;
}

/* The error of an NLMSG_ERROR or a DONE-with-error, as a message. */
static int
kernel_error(int code, const char *what, struct td_err *err)
{
	if (code == EPERM || code == EACCES)
		return td_errf(err, code, "sock_diag: %s: %s (needs CAP_NET_ADMIN or root?)",
		    what, strerror(code));
	/* __sock_diag_cmd: no handler registered for the family or protocol. */
	if (code == ENOENT)
		return td_errf(err, code, "sock_diag: %s: %s (kernel without inet_diag and "
		    "tcp_diag?)", what, strerror(code));
	return td_errf(err, code, "sock_diag: %s: %s", what, strerror(code));
}

bool
sockdiag_state_match(unsigned int states, unsigned int st)
{
	if (states == 0)
		return true;
	if (states & TD_STATE_BIT(TD_ST_NEW_SYN_RECV))
		states |= TD_STATE_BIT(TD_ST_SYN_RECV);
	return st < 32 && (states & TD_STATE_BIT(st));
}

int
sockdiag_parse(struct sockdiag_parser *p, const void *buf, size_t len,
    td_sock_fn fn, void *arg, struct td_err *err)
{
	const struct nlmsghdr *nlh = buf;
	int left = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;
	const struct nlmsgerr *e;
	struct td_sock sk;
	int32_t code;

	if (p->done)
		return 0;
	while (left > 0) {
		/*
		 * Not mnl_nlmsg_ok() alone: libmnl 1.0.4 compares
		 * (int)nlmsg_len, so a length above 2 GiB passes as negative
		 * (found by tests/fuzz/fuzz_sockdiag.c).
		 */
		if (!mnl_nlmsg_ok(nlh, left) || nlh->nlmsg_len > (uint32_t)left)
			return td_errf(err, EPROTO, "sock_diag: truncated netlink message "
			    "(%d bytes left, header says %u)", left,
			    left >= (int)sizeof(uint32_t) ? nlh->nlmsg_len : 0);
		if (!mnl_nlmsg_seq_ok(nlh, p->seq))
			return td_errf(err, EPROTO, "sock_diag: reply has sequence %u, "
			    "expected %u", nlh->nlmsg_seq, p->seq);
		if (!mnl_nlmsg_portid_ok(nlh, p->portid))
			return td_errf(err, EPROTO, "sock_diag: reply for port %u, expected %u",
			    nlh->nlmsg_pid, p->portid);
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
			p->intr = true;
			return 1;
		}
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			break;
		case NLMSG_ERROR:
			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e)))
				return td_errf(err, EPROTO, "sock_diag: truncated NLMSG_ERROR");
			e = mnl_nlmsg_get_payload(nlh);
			if (e->error == 0)	/* an ACK; dumps do not send them */
				break;
			return kernel_error(neg_errno(e->error), "request failed", err);
		case NLMSG_DONE:
			/*
			 * A dump that failed part-way ends with DONE carrying
			 * the negative errno (netlink_dump_done); libmnl 1.0.4
			 * ignores it, iproute2's mnlu_cb_stop reads it.
			 */
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(code)) {
				memcpy(&code, mnl_nlmsg_get_payload(nlh), sizeof(code));
				if (code < 0)
					return kernel_error(neg_errno(code), "dump failed", err);
			}
			p->done = true;
			return 0;
		case SOCK_DIAG_BY_FAMILY:
		case TCPDIAG_GETSOCK:
			/* The reply has the request's type (inet_sk_diag_fill). */
			if (nlh->nlmsg_type != (p->type != 0 ? p->type : SOCK_DIAG_BY_FAMILY))
				return td_errf(err, EPROTO, "sock_diag: unexpected message type %u",
				    nlh->nlmsg_type);
			if (sockdiag_decode(nlh, &sk, err) < 0)
				return -1;
			if (!sockdiag_state_match(p->states, sk.state))
				break;
			if (fn(&sk, arg, err) < 0) {
				if (err != NULL && err->msg[0] == '\0')
					td_errf(err, 0, "sock_diag: walk stopped by the consumer");
				return -1;
			}
			p->nsocks++;
			break;
		default:
			return td_errf(err, EPROTO, "sock_diag: unexpected message type %u",
			    nlh->nlmsg_type);
		}
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return 1;
}

/* Open the netlink socket with a large receive buffer. */
static struct mnl_socket *
open_diag(struct td_err *err)
{
	struct mnl_socket *nl;
	int fd, sz = SOCKDIAG_RCVBUF, saved;

	nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	if (nl == NULL) {
		saved = errno;
		td_errf(err, saved, "sock_diag: cannot open netlink socket: %s%s",
		    strerror(saved), saved == EPROTONOSUPPORT ?
		    " (kernel without CONFIG_INET_DIAG?)" : "");
		return NULL;
	}
	fd = mnl_socket_get_fd(nl);
	/* FORCE goes past rmem_max when we may; the plain call is the fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		saved = errno;
		mnl_socket_close(nl);
		td_errf(err, saved, "sock_diag: cannot bind netlink socket: %s",
		    strerror(saved));
		return NULL;
	}
	return nl;
}

struct nlmsghdr *
sockdiag_request(void *buf, const struct sockdiag_req *req, uint32_t seq)
{
	struct inet_diag_req_v2 *r;
	struct inet_diag_req *old;
	struct nlmsghdr *nlh;
	uint8_t ext;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	/* Only what the caller uses: each attribute costs the kernel a fill. */
	ext = 0;
	if (req->want_info)
		ext = req->ext != 0 ? req->ext : SOCKDIAG_EXT(INET_DIAG_INFO) |
		    SOCKDIAG_EXT(INET_DIAG_CONG) | SOCKDIAG_EXT(INET_DIAG_SKMEMINFO) |
		    SOCKDIAG_EXT(INET_DIAG_TOS) | SOCKDIAG_EXT(INET_DIAG_TCLASS);
	if (req->family == AF_UNSPEC) {
		/*
		 * The older request: the kernel sets sdiag_family to
		 * AF_UNSPEC and takes ext and states from it
		 * (inet_diag_dump_compat); idiag_family is not read.
		 */
		nlh->nlmsg_type = TCPDIAG_GETSOCK;
		old = mnl_nlmsg_put_extra_header(nlh, sizeof(*old));
		old->idiag_family = AF_INET;
		old->idiag_ext = ext;
		old->idiag_states = sockdiag_kernel_states(req->states);
	} else {
		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		r = mnl_nlmsg_put_extra_header(nlh, sizeof(*r));
		r->sdiag_family = (uint8_t)req->family;
		r->sdiag_protocol = IPPROTO_TCP;
		r->idiag_states = sockdiag_kernel_states(req->states);
		r->idiag_ext = ext;
	}
	return nlh;
}

/* One reply into buf: its length, or -1 with *code set (EINTR retried). */
static ssize_t
recv_reply(struct mnl_socket *nl, void *buf, size_t len, int *code)
{
	ssize_t n;

	do
		n = mnl_socket_recvfrom(nl, buf, len);
	while (n < 0 && errno == EINTR);
	*code = n < 0 ? errno : 0;
	return n;
}

/*
 * Whether the reply of n bytes ends the dump (NLMSG_DONE or NLMSG_ERROR
 * in it, nothing, or a failed receive): the receiving thread then stops.
 * A malformed reply ends it too; sockdiag_parse says what is wrong.
 */
static bool
reply_ends(const void *buf, ssize_t n)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)n;

	if (n <= 0)
		return true;
	while (left > 0) {
		if (!mnl_nlmsg_ok(nlh, left) || nlh->nlmsg_len > (uint32_t)left)
			return true;
		if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR)
			return true;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return false;
}

/*
 * What to do with one reply: 1 to read the next, 0 when the dump is
 * done, 2 when the kernel flagged it interrupted before any socket was
 * delivered (start again), -1 with *err set.
 */
static int
take_reply(const struct sockdiag_req *req, struct sockdiag_parser *p, const void *buf,
    ssize_t n, int code, td_sock_fn fn, void *arg, struct td_err *err)
{
	int rc;

	if (n < 0) {
		if (code == ENOBUFS)
			return td_errf(err, ENOBUFS, "sock_diag: the kernel dropped replies "
			    "(ENOBUFS: receive buffer overrun); try again");
		return kernel_error(code, "receive failed", err);
	}
	if (n == 0)
		return td_errf(err, EPROTO, "sock_diag: the dump ended without NLMSG_DONE");
	if (req->record != NULL && fwrite(buf, 1, (size_t)n, req->record) != (size_t)n)
		return td_errf(err, EIO, "sock_diag: cannot write the recording");
	rc = sockdiag_parse(p, buf, (size_t)n, fn, arg, err);
	if (rc == 1 && p->intr) {
		if (p->nsocks == 0)
			return 2;
		return td_errf(err, EINTR, "sock_diag: the socket table changed during "
		    "the dump (NLM_F_DUMP_INTR after %zu sockets); run again", p->nsocks);
	}
	return rc;
}

/*
 * The replies read by a thread of their own.  The kernel fills a dump's
 * reply inside recvmsg (netlink_recvmsg() runs netlink_dump() for the
 * next one), so while that thread waits in it the caller's thread
 * decodes the replies before: on two CPUs the kernel's walk and the
 * decoding, with whatever the callback does, overlap instead of taking
 * turns.  A ring of RX_RING replies between them; the receiver stops at
 * the reply that ends the dump, or when told to (stop).
 */
#define RX_RING	4

struct rx_slot {
	char		buf[MNL_SOCKET_DUMP_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	ssize_t		n;
	int		code;
};

struct rx {
	struct mnl_socket	*nl;
	pthread_t		 th;
	pthread_mutex_t		 mu;
	pthread_cond_t		 filled, freed;
	unsigned int		 head, tail;	/* replies [tail, head) wait to be taken */
	bool			 stop;
	struct rx_slot		 slot[RX_RING];
};

static void *
rx_thread(void *arg)
{
	struct rx *rx = arg;
	struct rx_slot *s;
	bool end;

	for (;;) {
		pthread_mutex_lock(&rx->mu);
		while (!rx->stop && rx->head - rx->tail == RX_RING)
			pthread_cond_wait(&rx->freed, &rx->mu);
		if (rx->stop) {
			pthread_mutex_unlock(&rx->mu);
			break;
		}
		s = &rx->slot[rx->head % RX_RING];
		pthread_mutex_unlock(&rx->mu);
		s->n = recv_reply(rx->nl, s->buf, sizeof(s->buf), &s->code);
		end = reply_ends(s->buf, s->n);
		pthread_mutex_lock(&rx->mu);
		rx->head++;
		pthread_cond_signal(&rx->filled);
		pthread_mutex_unlock(&rx->mu);
		if (end)
			break;
	}
	return NULL;
}

/*
 * Whether replies may be read by a thread of their own: this process may
 * run on more than one CPU, and TD_DUMP_ONE_THREAD=1 is not set (the
 * tests compare both ways).
 */
static bool
rx_wanted(void)
{
	static atomic_int known;	/* 0: not yet, 1: no, 2: yes */
	int v = atomic_load(&known);

	if (v == 0) {
		v = td_threads_wanted("TD_DUMP_ONE_THREAD") ? 2 : 1;
		atomic_store(&known, v);
	}
	return v == 2;
}

/*
 * The rest of the dump through a receiving thread (struct rx), when one
 * can be started: *rc as take_reply gives it for the last reply taken;
 * false (nothing read) when no thread could be started.
 */
static bool
take_threaded(const struct sockdiag_req *req, struct mnl_socket *nl, struct sockdiag_parser *p,
    td_sock_fn fn, void *arg, int *rc, struct td_err *err)
{
	struct rx *rx;
	struct rx_slot *s;
	sigset_t all, old;
	bool started;

	rx = malloc(sizeof(*rx));
	if (rx == NULL)
		return false;
	rx->nl = nl;
	rx->head = rx->tail = 0;
	rx->stop = false;
	pthread_mutex_init(&rx->mu, NULL);
	pthread_cond_init(&rx->filled, NULL);
	pthread_cond_init(&rx->freed, NULL);
	/* Signals stay with the caller's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	started = pthread_create(&rx->th, NULL, rx_thread, rx) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started) {
		while (*rc == 1) {
			pthread_mutex_lock(&rx->mu);
			while (rx->head == rx->tail)
				pthread_cond_wait(&rx->filled, &rx->mu);
			s = &rx->slot[rx->tail % RX_RING];
			pthread_mutex_unlock(&rx->mu);
			*rc = take_reply(req, p, s->buf, s->n, s->code, fn, arg, err);
			pthread_mutex_lock(&rx->mu);
			rx->tail++;
			pthread_cond_signal(&rx->freed);
			pthread_mutex_unlock(&rx->mu);
		}
		/*
		 * Done, or stopped early (an error, a callback that stopped,
		 * an interrupted dump): a receiver still reading gets out of
		 * recvmsg with the next reply (a dump under way always has
		 * one) and sees stop.
		 */
		pthread_mutex_lock(&rx->mu);
		rx->stop = true;
		pthread_cond_signal(&rx->freed);
		pthread_mutex_unlock(&rx->mu);
		pthread_join(rx->th, NULL);
	}
	pthread_cond_destroy(&rx->freed);
	pthread_cond_destroy(&rx->filled);
	pthread_mutex_destroy(&rx->mu);
	free(rx);
	return started;
}

/*
 * One attempt at a dump.  Returns 0 when done, 1 when the kernel flagged
 * the dump as interrupted before any socket was delivered (restart), -1
 * on error.  The first reply is read here; a dump that goes on past it
 * is read by a thread of its own where rx_wanted() (take_threaded), from
 * the first reply after req->rx_hold is clear.
 */
static int
dump_once(const struct sockdiag_req *req, uint32_t seq, td_sock_fn fn, void *arg,
    size_t *nsocks, struct td_err *err)
{
	char buf[MNL_SOCKET_DUMP_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct sockdiag_parser p;
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	ssize_t n;
	int rc, saved;
	bool tried = false;

	nl = open_diag(err);
	if (nl == NULL)
		return -1;
	nlh = sockdiag_request(buf, req, seq);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		saved = errno;
		mnl_socket_close(nl);
		return kernel_error(saved, "cannot send the dump request", err);
	}
	memset(&p, 0, sizeof(p));
	p.seq = seq;
	p.portid = mnl_socket_get_portid(nl);
	p.type = nlh->nlmsg_type;
	p.states = req->states;
	n = recv_reply(nl, buf, sizeof(buf), &saved);
	rc = take_reply(req, &p, buf, n, saved, fn, arg, err);
	while (rc == 1) {
		/* Past the first reply: the rest by a reader thread, once allowed. */
		if (!tried && rx_wanted() && (req->rx_hold == NULL ||
		    !atomic_load_explicit(req->rx_hold, memory_order_acquire))) {
			tried = true;
			if (take_threaded(req, nl, &p, fn, arg, &rc, err))
				break;	/* it read to the end */
		}
		n = recv_reply(nl, buf, sizeof(buf), &saved);
		rc = take_reply(req, &p, buf, n, saved, fn, arg, err);
	}
	mnl_socket_close(nl);
	*nsocks = p.nsocks;
	return rc == 2 ? 1 : rc;
}

/* One dump, restarted while interrupted before any socket was delivered. */
static int
dump_retry(const struct sockdiag_req *req, td_sock_fn fn, void *arg, size_t *nsocks,
    struct td_err *err)
{
	uint32_t seq = (uint32_t)time(NULL);
	int attempt, rc;

	for (attempt = 0; attempt <= SOCKDIAG_RETRIES; attempt++) {
		*nsocks = 0;
		rc = dump_once(req, seq + (uint32_t)attempt, fn, arg, nsocks, err);
		if (rc <= 0)
			return rc;
	}
	return td_errf(err, EINTR, "sock_diag: the dump was interrupted %d times in a row "
	    "(NLM_F_DUMP_INTR); the socket table is changing too fast", SOCKDIAG_RETRIES + 1);
}

bool
sockdiag_onepass_refused(int code)
{
	/*
	 * sock_diag_rcv_msg: EOPNOTSUPP without the compat handler;
	 * inet_diag_rcv_msg_compat: EINVAL for a type or length it does not
	 * take; inet_diag_lock_handler: ENOENT without tcp_diag.
	 */
	return code == EOPNOTSUPP || code == EINVAL || code == ENOENT;
}

int
sockdiag_dump(const struct sockdiag_req *req, td_sock_fn fn, void *arg, struct td_err *err)
{
	struct sockdiag_req fam;
	size_t n = 0;
	int rc;

	if (req->family != AF_INET && req->family != AF_INET6 && req->family != AF_UNSPEC)
		return td_errf(err, EAFNOSUPPORT, "sock_diag: address family %d is not "
		    "AF_INET or AF_INET6", req->family);
	if (req->family != AF_UNSPEC)
		return dump_retry(req, fn, arg, &n, err);
	rc = dump_retry(req, fn, arg, &n, err);
	if (rc == 0 || n > 0 || err == NULL || !sockdiag_onepass_refused(err->code))
		return rc;
	/* Refused before anything was delivered: one dump per family. */
	memset(err, 0, sizeof(*err));
	fam = *req;
	fam.family = AF_INET;
	if (dump_retry(&fam, fn, arg, &n, err) < 0)
		return -1;
	fam.family = AF_INET6;
	return dump_retry(&fam, fn, arg, &n, err);
}
