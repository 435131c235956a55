/* SPDX-License-Identifier: MIT */
/*
 * TCP states, defined once for every layer: the numbers (the kernel's,
 * include/net/tcp_states.h), the names (the kernel's spelling, "SYN_RECV",
 * as include/trace/events/sock.h prints them without "TCP_"), ss's names
 * (iproute2 misc/ss.c sstate_name[]) and one parser for every spelling a
 * user or the kernel writes.  The model (tcp/tm.h) numbers its states from
 * these; the collectors, the filter language, scripts and the trace readers
 * parse through td_state_parse().
 *
 * TD_ST_* rather than TCP_*: glibc's <netinet/tcp.h> defines TCP_ESTABLISHED...
 */
#ifndef TD_CORE_TCPSTATE_H
#define TD_CORE_TCPSTATE_H

#include <stddef.h>

enum td_state {
	TD_ST_UNKNOWN = 0,
	TD_ST_ESTABLISHED = 1,
	TD_ST_SYN_SENT,
	TD_ST_SYN_RECV,
	TD_ST_FIN_WAIT1,
	TD_ST_FIN_WAIT2,
	TD_ST_TIME_WAIT,
	TD_ST_CLOSE,
	TD_ST_CLOSE_WAIT,
	TD_ST_LAST_ACK,
	TD_ST_LISTEN,
	TD_ST_CLOSING,
	TD_ST_NEW_SYN_RECV,	/* kernel-internal; sock_diag reports SYN_RECV */
	TD_ST_MAX
};

/* Bit for a state in a state mask (the kernel's idiag_states layout). */
#define TD_STATE_BIT(st)	(1u << (st))
#define TD_STATES_ALL		0x1ffeu		/* states 1..12 */

/* Kernel name ("SYN_RECV") of a state; "UNKNOWN" for 0 and out of range. */
const char	*td_state_name(unsigned int st);
/* ss's spelling ("SYN-RECV", "ESTAB"); "UNKNOWN" for 0 and out of range. */
const char	*td_state_ss_name(unsigned int st);
/*
 * Parse a state name (states 1..12): case-insensitive, '-' and '_' ignored
 * ("FIN-WAIT-1" = "fin_wait1" = "FINWAIT1"), and the aliases ESTAB (ss),
 * CLOSED, SYN_RECEIVED and SYN_RCVD (RFC 9293).  -1 if unknown.
 */
int		 td_state_parse(const char *name);
/* The same for the n bytes at name (no NUL needed). */
int		 td_state_parse_n(const char *name, size_t n);
/* A kernel trace's spelling, "TCP_SYN_RECV" (n bytes); -1 if unknown. */
int		 td_state_parse_kernel(const char *name, size_t n);

#endif /* TD_CORE_TCPSTATE_H */
