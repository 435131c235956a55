/* SPDX-License-Identifier: MIT */
/*
 * The FILTER of `tcpdoctor ls`, as ss(8) spells it and tokenizes it
 * (each argument cut at blanks, so 'dport = :443 or sport = :443' quoted as
 * one argument means the unquoted form; a backslash escapes the next
 * character; parentheses are words of their own even when glued):
 *
 *	state NAME...  exclude NAME...    (every ss state word: established,
 *	                                   syn-sent, syn-recv, fin-wait-1,
 *	                                   fin-wait-2, time-wait, closed,
 *	                                   close-wait, last-ack, listening,
 *	                                   closing; kernel names in any case;
 *	                                   the groups all, connected,
 *	                                   synchronized, bucket, big; excl)
 *	sport OP PORT  dport OP PORT      OP: = == != < <= > >= eq ne neq lt le
 *	                                  leq gt ge geq
 *	src PREFIX     dst PREFIX         ADDR, ADDR/LEN, ADDR:PORT, [V6]:PORT, *:PORT
 *	cgroup PREFIX  unit NAME          the socket's cgroup (path components),
 *	container ID   pod NAME           systemd unit, container id (prefix, or
 *	                                  KIND:ID), pod (NS/NAME, NAME or uid):
 *	                                  collectors/cgroup.h
 *	and && &  or || |  not !  ( )     juxtaposition means and
 *
 * The state part becomes a kernel-side state mask; the rest is an
 * expression evaluated per socket.
 */
#ifndef TD_CMD_FILTER_H
#define TD_CMD_FILTER_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>

struct td_err;
struct td_sock;

#define TD_FILTER_NODES	64

struct td_fnode {
	uint8_t		kind;		/* enum in filter.c */
	uint8_t		op;
	uint8_t		plen;		/* prefix length, in bits of the v6 form */
	bool		any_addr;	/* "*" */
	uint16_t	port;
	bool		has_port;	/* src/dst with :PORT */
	struct in6_addr	addr;		/* v4 stored v4-mapped */
	int16_t		a, b;		/* children */
	char		word[256];	/* cgroup, unit, container, pod: the operand */
};

struct td_filter {
	unsigned int	states;		/* TD_STATE_BIT mask, for the kernel */
	struct td_fnode	n[TD_FILTER_NODES];
	int		nn;
	int		root;		/* -1: no expression, everything matches */
	bool		needs_cgroup;	/* a cgroup word: the source must resolve cgroups */
};

/*
 * Parse argv[0..argc-1].  Returns 0, or -1 with *err set (code EINVAL) and
 * a message that names the bad word: unknown state, bad port, bad prefix,
 * unbalanced parenthesis, dangling operator.
 */
int	filter_parse(struct td_filter *f, int argc, char **argv, struct td_err *err);

/* True when the socket passes both the state mask and the expression. */
bool	filter_match(const struct td_filter *f, const struct td_sock *sk);

#endif /* TD_CMD_FILTER_H */
