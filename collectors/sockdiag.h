/* SPDX-License-Identifier: MIT */
/*
 * TCP sockets from the kernel through NETLINK_SOCK_DIAG (sock_diag(7)):
 * one SOCK_DIAG_BY_FAMILY dump per address family, decoded one message at
 * a time into struct td_sock and handed to a callback, so memory does not
 * grow with the number of sockets.
 *
 * The work is split in two so that tests can replay recorded kernel
 * replies through the real decoder: sockdiag_dump() talks to the kernel,
 * sockdiag_parse() turns a buffer of netlink messages into sockets.
 */
#ifndef TD_COLLECTORS_SOCKDIAG_H
#define TD_COLLECTORS_SOCKDIAG_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collectors/snapshot.h"

struct nlmsghdr;

/* What to ask the kernel for. */
struct sockdiag_req {
	int		 family;	/* AF_INET, AF_INET6, or AF_UNSPEC: both, in
					 * one pass where the kernel offers it */
	unsigned int	 states;	/* TD_STATE_BIT mask; 0 means every state */
	bool		 want_info;	/* tcp_info, skmeminfo, congestion, tos/tclass */
	uint8_t		 ext;		/* with want_info: only these SOCKDIAG_EXT()
					 * bits; 0 asks for all five */
	FILE		*record;	/* if set, every raw reply buffer is written here */
	/*
	 * If set: while it is true, the replies are read by the caller's
	 * thread, not by a thread of their own (another thread of the
	 * caller's is busy: the owner scan beside the dump, so that the two
	 * CPUs are not shared three ways); the reader starts once it is false.
	 */
	const atomic_bool *rx_hold;
};

/* The idiag_ext bit of an INET_DIAG_* attribute (include/uapi/linux/inet_diag.h). */
#define SOCKDIAG_EXT(attr)	((uint8_t)(1u << ((attr) - 1)))

/*
 * State of one dump being parsed.  Zero it before the first buffer; set
 * seq and portid to check them (0 accepts any, as libmnl does).
 */
struct sockdiag_parser {
	uint32_t	 seq, portid;
	uint16_t	 type;		/* reply type; 0 = SOCK_DIAG_BY_FAMILY */
	unsigned int	 states;	/* reported states to deliver; 0 = all */
	size_t		 nsocks;	/* sockets delivered so far */
	bool		 done;		/* NLMSG_DONE seen */
	bool		 intr;		/* NLM_F_DUMP_INTR seen: the dump is inconsistent */
};

/*
 * Run one dump for req->family and call fn once per socket.  AF_UNSPEC
 * asks for both families with the older inet_diag request
 * (TCPDIAG_GETSOCK), which the kernel answers with one walk of its socket
 * tables for both (inet_diag_dump_compat, net/ipv4/inet_diag.c) instead
 * of one walk per family: sockets then come in the kernel's hash order,
 * the families mixed.  Where the kernel refuses that request before
 * delivering anything, the dump falls back to AF_INET then AF_INET6.  If the
 * kernel flags the dump as interrupted (NLM_F_DUMP_INTR) before any socket
 * was delivered, the dump is restarted, at most SOCKDIAG_RETRIES times;
 * once sockets have gone to fn a restart would deliver them twice, so the
 * walk fails with EINTR instead.  Returns 0, or -1 with *err set (also
 * when fn returns -1).  Codes: EPERM/EACCES (not allowed), ENOBUFS (the
 * kernel dropped replies), EINTR (table changed during the dump), EPROTO
 * (a malformed reply), or the kernel's own error.
 */
#define SOCKDIAG_RETRIES	3
int	sockdiag_dump(const struct sockdiag_req *req, td_sock_fn fn, void *arg,
	    struct td_err *err);

/*
 * The dump request for req into buf (at least 128 bytes, NLMSG_ALIGNTO
 * aligned): SOCK_DIAG_BY_FAMILY with inet_diag_req_v2, or for AF_UNSPEC
 * TCPDIAG_GETSOCK with the older inet_diag_req; idiag_ext asks for the
 * attributes of want_info (req->ext, or all five).  Returns the message.
 */
struct nlmsghdr	*sockdiag_request(void *buf, const struct sockdiag_req *req, uint32_t seq);

/* Whether a kernel error (errno value) means the one-pass request is not offered. */
bool	sockdiag_onepass_refused(int code);

/*
 * Parse len bytes holding whole netlink messages (one or more recv
 * buffers back to back, as sockdiag_dump receives or records them).
 * Each SOCK_DIAG_BY_FAMILY message is decoded and given to fn.  Returns 1
 * when the buffer ended without NLMSG_DONE (more is to come), 0 when DONE
 * was seen, -1 with *err set on NLMSG_ERROR, a DONE carrying an error, a
 * truncated or malformed message, or fn failing.  When a message carries
 * NLM_F_DUMP_INTR, p->intr is set and parsing stops with 1 before that
 * message is delivered; the caller decides whether to restart.
 */
int	sockdiag_parse(struct sockdiag_parser *p, const void *buf, size_t len,
	    td_sock_fn fn, void *arg, struct td_err *err);

/*
 * Decode one SOCK_DIAG_BY_FAMILY message into *sk (zeroed first).  The
 * caller has checked that nlmsg_len bytes are there (sockdiag_parse does).
 * Returns 0, or -1 with *err set when the message is too short or an
 * attribute is malformed.
 */
int	sockdiag_decode(const struct nlmsghdr *nlh, struct td_sock *sk,
	    struct td_err *err);

/*
 * The kernel-side state mask for a user mask: request sockets are
 * reported as SYN_RECV but filtered as NEW_SYN_RECV (KERNEL-FACTS F14),
 * so either bit asks for both.  0 becomes every state.
 */
unsigned int	sockdiag_kernel_states(unsigned int states);

/*
 * Whether a socket reported in state st passes the user mask states
 * (0 = all; NEW_SYN_RECV also selects the SYN_RECV that request sockets
 * are reported as).  The file source filters with it too.
 */
bool		sockdiag_state_match(unsigned int states, unsigned int st);

#endif /* TD_COLLECTORS_SOCKDIAG_H */
