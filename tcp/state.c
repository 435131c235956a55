/* SPDX-License-Identifier: MIT */
/*
 * Names, the transition table, and the model's answers about states: which
 * edges are legal (RFC 9293 figure 5 plus the kernel-only edges of
 * KERNEL-FACTS F21 and Part B #22), what each state waits for, which timers
 * run in it and the longest it can last under a profile.
 *
 * The table is data: tm_step() calls tm_transition_legal() for every state
 * change it makes and reports a change that is not a row as TM_FX_ERROR.
 */
#include "tcp/step_int.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "core/util.h"

/* State 0 is the model's "no object" (NONE); the rest are core/tcpstate.h's. */
const char *
tm_state_name(enum tm_state st)
{
	return st == TM_ST_NONE ? "NONE" : td_state_name(st);
}

int
tm_state_parse(const char *name)
{
	return td_state_parse(name);
}

const char *
tm_obj_name(enum tm_obj obj)
{
	switch (obj) {
	case TM_OBJ_FULL:	return "full";
	case TM_OBJ_REQ:	return "req";
	case TM_OBJ_TW:		return "tw";
	}
	return "?";
}

static const char *const event_names[TM_E_MAX] = {
	[TM_E_CONNECT] = "connect", [TM_E_LISTEN] = "listen", [TM_E_ACCEPT] = "accept",
	[TM_E_SEND] = "send", [TM_E_RECV] = "recv", [TM_E_SHUTDOWN] = "shutdown",
	[TM_E_CLOSE] = "close", [TM_E_SETSOCKOPT] = "setsockopt",
	[TM_E_SYN] = "syn", [TM_E_SYNACK] = "synack", [TM_E_ACK] = "ack", [TM_E_FIN] = "fin",
	[TM_E_RST] = "rst", [TM_E_DATA] = "data", [TM_E_COOKIE_ACK] = "cookie_ack",
	[TM_E_TMR_RTX] = "retransmit_timeout", [TM_E_TMR_SYNACK] = "synack_timeout",
	[TM_E_TMR_KEEPALIVE] = "keepalive_timeout", [TM_E_TMR_FIN_WAIT2] = "fin_wait2_timeout",
	[TM_E_TMR_TIME_WAIT] = "time_wait_timeout", [TM_E_TW_TAKEOVER] = "timewait_takeover",
	[TM_E_TW_SYN] = "syn_in_time_wait", [TM_E_LISTEN_STOP] = "listener_closed",
};

const char *
tm_event_name(enum tm_event_id ev)
{
	if ((unsigned int)ev >= TM_E_MAX || event_names[ev] == NULL)
		return "?";
	return event_names[ev];
}

static const char *const timer_names[TM_T_MAX] = {
	[TM_T_RTX] = "retransmit", [TM_T_DELACK] = "delack", [TM_T_KEEPALIVE] = "keepalive",
	[TM_T_SYNACK] = "synack", [TM_T_TW] = "timewait",
};

const char *
tm_timer_name(enum tm_timer t)
{
	return (unsigned int)t < TM_T_MAX ? timer_names[t] : "?";
}

static const char *const counter_names[TM_C_MAX] = {
#define X(id, name)	[TM_C_##id] = name,
	TM_COUNTERS(X)
#undef X
};

const char *
tm_counter_name(enum tm_counter c)
{
	return (unsigned int)c < TM_C_MAX ? counter_names[c] : "?";
}

static const char *const call_names[TM_CALL_MAX] = {
	[TM_CALL_CONNECT] = "connect", [TM_CALL_LISTEN] = "listen", [TM_CALL_ACCEPT] = "accept",
	[TM_CALL_SEND] = "send", [TM_CALL_RECV] = "recv", [TM_CALL_SHUTDOWN] = "shutdown",
	[TM_CALL_CLOSE] = "close", [TM_CALL_SETSOCKOPT] = "setsockopt",
	[TM_CALL_GETSOCKOPT] = "getsockopt", [TM_CALL_IOCTL] = "ioctl",
	[TM_CALL_SO_ERROR] = "so_error",
};

const char *
tm_call_name(enum tm_call c)
{
	return (unsigned int)c < TM_CALL_MAX ? call_names[c] : "?";
}

static const char *const sockopt_names[TM_SO_MAX] = {
	[TM_SO_KEEPALIVE] = "keepalive", [TM_SO_KEEPIDLE] = "keepidle",
	[TM_SO_KEEPINTVL] = "keepintvl", [TM_SO_KEEPCNT] = "keepcnt",
	[TM_SO_LINGER2] = "linger2", [TM_SO_USER_TIMEOUT] = "user_timeout",
	[TM_SO_LINGER0] = "linger0", [TM_SO_SYNCNT] = "syncnt",
	[TM_SO_DEFER_ACCEPT] = "defer_accept", [TM_SO_RCVBUF] = "rcvbuf",
	[TM_SO_SNDBUF] = "sndbuf", [TM_SO_ERROR] = "so_error", [TM_SO_TCPI_STATE] = "tcpi_state",
	[TM_SO_TCPI_RETRANSMITS] = "tcpi_retransmits", [TM_SO_TCPI_BACKOFF] = "tcpi_backoff",
	[TM_SO_TCPI_PROBES] = "tcpi_probes", [TM_SO_SIOCINQ] = "siocinq",
	[TM_SO_SIOCOUTQ] = "siocoutq",
};

const char *
tm_sockopt_name(enum tm_sockopt o)
{
	return (unsigned int)o < TM_SO_MAX ? sockopt_names[o] : "?";
}

int
tm_sockopt_parse(const char *name)
{
	unsigned int i;

	for (i = 0; i < TM_SO_MAX; i++)
		if (strcasecmp(name, sockopt_names[i]) == 0)
			return (int)i;
	return -1;
}

static const char *const fx_names[TM_FX_MAX] = {
	[TM_FX_SEG_OUT] = "seg_out", [TM_FX_SEG_IN] = "seg_in", [TM_FX_SEG_DROP] = "seg_drop",
	[TM_FX_STATE] = "state", [TM_FX_TIMER_SET] = "timer_set", [TM_FX_TIMER_CLR] = "timer_clear",
	[TM_FX_COUNTER] = "counter", [TM_FX_APP] = "app", [TM_FX_ERROR] = "error",
};

const char *
tm_fx_kind_name(enum tm_fx_kind k)
{
	return (unsigned int)k < TM_FX_MAX ? fx_names[k] : "?";
}

bool
tm_fx_traced(const struct tm_profile *p, const struct tm_effect *fx)
{
	(void)p;
	/*
	 * Only full sockets are traced (KERNEL-FACTS Part B #2, #4): request
	 * and timewait sockets never appear.  The model's full-socket records
	 * already are the kernel's edges, self-edges included.
	 */
	return fx->kind == TM_FX_STATE && fx->obj == TM_OBJ_FULL;
}

/* ---- The transition table ---- */

#define R	TM_TR_RFC
#define L	TM_TR_LINUX
#define K	TM_TR_KERNEL
#define FULL	TM_OBJ_FULL
#define REQ	TM_OBJ_REQ
#define TW	TM_OBJ_TW

/*
 * Sorted by (obj, from, to, event), one row per key: tm_transition_legal()
 * searches it by bisection (state_test checks the order).  Objects: full
 * sockets, then request sockets, then timewait sockets (their substates).
 */
static const struct tm_transition table[] = {
	{ FULL, TM_ESTABLISHED, TM_FIN_WAIT1, TM_E_SHUTDOWN, R | L, "tcp_shutdown(SHUT_WR)" },
	{ FULL, TM_ESTABLISHED, TM_FIN_WAIT1, TM_E_CLOSE, R | L, "new_state[ESTABLISHED] = FIN_WAIT1 | FIN" },
	{ FULL, TM_ESTABLISHED, TM_CLOSE, TM_E_CLOSE, R | L, "__tcp_close(): unread data or SO_LINGER 0 -> RST" },
	{ FULL, TM_ESTABLISHED, TM_CLOSE, TM_E_RST, R | L, "tcp_reset(): ECONNRESET" },
	{ FULL, TM_ESTABLISHED, TM_CLOSE, TM_E_TMR_RTX, R | L, "tcp_write_timeout(): retries2 / user timeout" },
	{ FULL, TM_ESTABLISHED, TM_CLOSE, TM_E_TMR_KEEPALIVE, R | L | K, "tcp_keepalive_timer(): RST, ETIMEDOUT" },
	{ FULL, TM_ESTABLISHED, TM_CLOSE, TM_E_LISTEN_STOP, L | K, "inet_csk_listen_stop(): unaccepted child reset" },
	{ FULL, TM_ESTABLISHED, TM_CLOSE_WAIT, TM_E_FIN, R | L, "tcp_fin()" },
	{ FULL, TM_SYN_SENT, TM_ESTABLISHED, TM_E_SYNACK, R | L, "tcp_rcv_synsent_state_process()" },
	{ FULL, TM_SYN_SENT, TM_SYN_RECV, TM_E_SYN, R | L, "simultaneous open (MUST-10), crossed SYNs" },
	{ FULL, TM_SYN_SENT, TM_CLOSE, TM_E_SHUTDOWN, R | L | K, "inet_shutdown(): disconnect in SYN_SENT" },
	{ FULL, TM_SYN_SENT, TM_CLOSE, TM_E_CLOSE, R | L, "new_state[SYN_SENT] = CLOSE, no RST (tcpdoctor-tcp(7) STATES AND OBJECTS)" },
	{ FULL, TM_SYN_SENT, TM_CLOSE, TM_E_RST, R | L, "tcp_reset(): ECONNREFUSED" },
	{ FULL, TM_SYN_SENT, TM_CLOSE, TM_E_TMR_RTX, R | L, "tcp_write_timeout(): SYN retries exhausted, ETIMEDOUT" },
	{ FULL, TM_SYN_RECV, TM_ESTABLISHED, TM_E_SYNACK, R | L, "simultaneous open: the peer's SYN-ACK" },
	{ FULL, TM_SYN_RECV, TM_ESTABLISHED, TM_E_ACK, R | L, "tcp_rcv_state_process() TCP_SYN_RECV" },
	{ FULL, TM_SYN_RECV, TM_ESTABLISHED, TM_E_COOKIE_ACK, L | K, "tcp_child_process() after a syncookie" },
	{ FULL, TM_SYN_RECV, TM_FIN_WAIT1, TM_E_SHUTDOWN, R | L, "tcp_shutdown()" },
	{ FULL, TM_SYN_RECV, TM_FIN_WAIT1, TM_E_CLOSE, R | L, "new_state[SYN_RECV] = FIN_WAIT1" },
	{ FULL, TM_SYN_RECV, TM_CLOSE, TM_E_CLOSE, R | L, "abortive close (unread data, SO_LINGER 0): RST" },
	{ FULL, TM_SYN_RECV, TM_CLOSE, TM_E_SYN, R, "RFC 9293: in-window SYN in SYN-RECEIVED -> RST" },
	{ FULL, TM_SYN_RECV, TM_CLOSE, TM_E_RST, R | L, "tcp_reset()" },
	{ FULL, TM_SYN_RECV, TM_CLOSE, TM_E_TMR_RTX, R | L, "tcp_write_timeout()" },
	{ FULL, TM_SYN_RECV, TM_CLOSE, TM_E_TMR_SYNACK, R, "SYN-ACK retries exhausted" },
	{ FULL, TM_SYN_RECV, TM_CLOSE, TM_E_LISTEN_STOP, R | L, "inet_csk_listen_stop()" },
	{ FULL, TM_FIN_WAIT1, TM_FIN_WAIT1, TM_E_CLOSE, L | K, "new_state[FIN_WAIT1] = FIN_WAIT1 (traced self-edge)" },
	{ FULL, TM_FIN_WAIT1, TM_FIN_WAIT2, TM_E_ACK, R | L, "tcp_rcv_state_process() TCP_FIN_WAIT1" },
	{ FULL, TM_FIN_WAIT1, TM_TIME_WAIT, TM_E_FIN, R, "RFC 9293: FIN that also ACKs our FIN" },
	{ FULL, TM_FIN_WAIT1, TM_CLOSE, TM_E_CLOSE, R | L | K, "SO_LINGER 0 / TCP_LINGER2 < 0" },
	{ FULL, TM_FIN_WAIT1, TM_CLOSE, TM_E_RST, R | L, "tcp_reset()" },
	{ FULL, TM_FIN_WAIT1, TM_CLOSE, TM_E_DATA, R | L | K, "new data after close(): RST (TCPAbortOnData)" },
	{ FULL, TM_FIN_WAIT1, TM_CLOSE, TM_E_TMR_RTX, R | L, "tcp_write_timeout(): orphan retries" },
	{ FULL, TM_FIN_WAIT1, TM_CLOSING, TM_E_FIN, R | L, "tcp_fin(): crossed FINs (tcpdoctor-tcp(7) CLOSING)" },
	{ FULL, TM_FIN_WAIT2, TM_FIN_WAIT2, TM_E_CLOSE, L | K, "new_state[FIN_WAIT2] = FIN_WAIT2 (tcpdoctor-tcp(7) WHAT SS AND THE TRACEPOINT SHOW)" },
	{ FULL, TM_FIN_WAIT2, TM_TIME_WAIT, TM_E_FIN, R, "RFC 9293: FIN in FIN-WAIT-2" },
	{ FULL, TM_FIN_WAIT2, TM_CLOSE, TM_E_CLOSE, R | L | K, "TCP_LINGER2 < 0: RST (TCPAbortOnLinger)" },
	{ FULL, TM_FIN_WAIT2, TM_CLOSE, TM_E_RST, R | L, "tcp_reset()" },
	{ FULL, TM_FIN_WAIT2, TM_CLOSE, TM_E_DATA, R | L | K, "new data after close(): RST (TCPAbortOnData)" },
	{ FULL, TM_FIN_WAIT2, TM_CLOSE, TM_E_TMR_KEEPALIVE, R | L | K, "tcp_keepalive_timer(): orphan FIN_WAIT2" },
	{ FULL, TM_FIN_WAIT2, TM_CLOSE, TM_E_TW_TAKEOVER, L | K, "tcp_time_wait() then tcp_done(): the tw socket takes over" },
	{ FULL, TM_TIME_WAIT, TM_CLOSE, TM_E_SYN, R, "RFC 9293 3.10.7.4: SYN in the window of TIME-WAIT -> RST (RFC 5961 checks off)" },
	{ FULL, TM_TIME_WAIT, TM_CLOSE, TM_E_RST, R, "RFC 9293 3.10.7.4: RST in TIME-WAIT" },
	{ FULL, TM_TIME_WAIT, TM_CLOSE, TM_E_TMR_TIME_WAIT, R, "2 MSL expired" },
	{ FULL, TM_CLOSE, TM_SYN_SENT, TM_E_CONNECT, R | L, "tcp_v4_connect(); traced with sport 0 (tcpdoctor-tcp(7) WHAT SS AND THE TRACEPOINT SHOW)" },
	{ FULL, TM_CLOSE, TM_LISTEN, TM_E_LISTEN, R | L, "inet_csk_listen_start()" },
	{ FULL, TM_CLOSE_WAIT, TM_CLOSE, TM_E_CLOSE, R | L, "__tcp_close(): unread data -> RST" },
	{ FULL, TM_CLOSE_WAIT, TM_CLOSE, TM_E_RST, R | L, "tcp_reset(): EPIPE" },
	{ FULL, TM_CLOSE_WAIT, TM_CLOSE, TM_E_TMR_RTX, R | L, "tcp_write_timeout()" },
	{ FULL, TM_CLOSE_WAIT, TM_CLOSE, TM_E_TMR_KEEPALIVE, R | L | K, "tcp_keepalive_timer()" },
	{ FULL, TM_CLOSE_WAIT, TM_CLOSE, TM_E_LISTEN_STOP, L | K, "inet_csk_listen_stop()" },
	{ FULL, TM_CLOSE_WAIT, TM_LAST_ACK, TM_E_SHUTDOWN, R | L, "tcp_shutdown(SHUT_WR)" },
	{ FULL, TM_CLOSE_WAIT, TM_LAST_ACK, TM_E_CLOSE, R | L, "new_state[CLOSE_WAIT] = LAST_ACK | FIN" },
	{ FULL, TM_LAST_ACK, TM_CLOSE, TM_E_CLOSE, R | L | K, "abortive close (unread data, SO_LINGER 0): RST" },
	{ FULL, TM_LAST_ACK, TM_CLOSE, TM_E_ACK, R | L, "tcp_rcv_state_process() TCP_LAST_ACK: tcp_done()" },
	{ FULL, TM_LAST_ACK, TM_CLOSE, TM_E_RST, R | L, "tcp_reset()" },
	{ FULL, TM_LAST_ACK, TM_CLOSE, TM_E_TMR_RTX, R | L, "tcp_write_timeout()" },
	{ FULL, TM_LAST_ACK, TM_LAST_ACK, TM_E_CLOSE, L | K, "new_state[LAST_ACK] = LAST_ACK" },
	{ FULL, TM_LISTEN, TM_SYN_RECV, TM_E_SYN, R, "RFC 9293 3.10.7.2: SYN in LISTEN" },
	{ FULL, TM_LISTEN, TM_SYN_RECV, TM_E_ACK, L | K, "inet_csk_clone_lock(): the child is born in SYN_RECV at the 3rd ACK" },
	{ FULL, TM_LISTEN, TM_SYN_RECV, TM_E_COOKIE_ACK, L | K, "cookie_v4_check(): child from a valid syncookie" },
	{ FULL, TM_LISTEN, TM_CLOSE, TM_E_SHUTDOWN, R | L | K, "inet_shutdown(): SHUT_RD on a listener, tcp_disconnect(): inet_csk_listen_stop()" },
	{ FULL, TM_LISTEN, TM_CLOSE, TM_E_CLOSE, R | L, "__tcp_close(): inet_csk_listen_stop()" },
	{ FULL, TM_CLOSING, TM_TIME_WAIT, TM_E_ACK, R, "RFC 9293: ACK of our FIN in CLOSING" },
	{ FULL, TM_CLOSING, TM_CLOSE, TM_E_CLOSE, R | L | K, "abortive close (unread data, SO_LINGER 0): RST" },
	{ FULL, TM_CLOSING, TM_CLOSE, TM_E_RST, R | L, "tcp_reset()" },
	{ FULL, TM_CLOSING, TM_CLOSE, TM_E_TMR_RTX, R | L, "tcp_write_timeout()" },
	{ FULL, TM_CLOSING, TM_CLOSE, TM_E_TW_TAKEOVER, L | K, "tcp_time_wait() from CLOSING" },
	{ FULL, TM_CLOSING, TM_CLOSING, TM_E_CLOSE, L | K, "new_state[CLOSING] = CLOSING" },
	{ REQ, TM_ST_NONE, TM_NEW_SYN_RECV, TM_E_SYN, L | K, "tcp_conn_request(): inet_reqsk_alloc()" },
	{ REQ, TM_NEW_SYN_RECV, TM_CLOSE, TM_E_SYN, L | K, "tcp_check_req(): in-window SYN, embryonic reset" },
	{ REQ, TM_NEW_SYN_RECV, TM_CLOSE, TM_E_ACK, L | K, "tcp_check_req(): the child replaces the request" },
	{ REQ, TM_NEW_SYN_RECV, TM_CLOSE, TM_E_RST, L | K, "tcp_check_req(): embryonic reset" },
	{ REQ, TM_NEW_SYN_RECV, TM_CLOSE, TM_E_TMR_SYNACK, L | K, "reqsk_timer_handler(): dropped silently (tcpdoctor-tcp(7) SYN AND SYN-ACK RETRANSMISSION)" },
	{ REQ, TM_NEW_SYN_RECV, TM_CLOSE, TM_E_LISTEN_STOP, L | K, "inet_csk_listen_stop(): requests dropped silently" },
	{ TW, TM_ST_NONE, TM_FIN_WAIT2, TM_E_TW_TAKEOVER, L | K, "tcp_time_wait(TCP_FIN_WAIT2, tcp_fin_time())" },
	{ TW, TM_ST_NONE, TM_TIME_WAIT, TM_E_TW_TAKEOVER, L | K, "tcp_time_wait(TCP_TIME_WAIT, 60 s)" },
	{ TW, TM_FIN_WAIT2, TM_TIME_WAIT, TM_E_FIN, L | K, "tcp_timewait_state_process(): FIN in the substate" },
	{ TW, TM_FIN_WAIT2, TM_CLOSE, TM_E_SYN, L | K, "TCP_TW_RST: SYN in the FIN_WAIT2 substate" },
	{ TW, TM_FIN_WAIT2, TM_CLOSE, TM_E_RST, L | K, "tcp_timewait_state_process(): kill" },
	{ TW, TM_FIN_WAIT2, TM_CLOSE, TM_E_DATA, L | K, "TCP_TW_RST: new data after close()" },
	{ TW, TM_FIN_WAIT2, TM_CLOSE, TM_E_TMR_FIN_WAIT2, L | K, "timewait timer: silent" },
	{ TW, TM_TIME_WAIT, TM_CLOSE, TM_E_CONNECT, L | K, "tcp_twsk_unique(): tcp_tw_reuse (tcpdoctor-tcp(7) TIME_WAIT)" },
	{ TW, TM_TIME_WAIT, TM_CLOSE, TM_E_RST, L | K, "TIME_WAIT assassination, tcp_rfc1337=0 (tcpdoctor-tcp(7) TIME_WAIT)" },
	{ TW, TM_TIME_WAIT, TM_CLOSE, TM_E_TMR_TIME_WAIT, L | K, "timewait timer: 60 s after the last (re)arm" },
	{ TW, TM_TIME_WAIT, TM_CLOSE, TM_E_TW_SYN, L | K, "TCP_TW_SYN: a newer SYN reopens (tcpdoctor-tcp(7) TIME_WAIT)" },
};

#undef R
#undef L
#undef K
#undef FULL
#undef REQ
#undef TW

const struct tm_transition *
tm_transitions(size_t *n)
{
	*n = ARRAY_SIZE(table);
	return table;
}

static unsigned int
profile_flag(const struct tm_profile *p)
{
	return p->minisocks ? TM_TR_LINUX : TM_TR_RFC;
}

/*
 * The table's flags by (obj, from, to, event), built once from table[]: the
 * model asks for every state change it makes (about 15 a connection's
 * lifetime), and a bisection of table[] was 6% of the simulator's time.
 */
uint8_t tmi_legal_flags[TM_OBJ_TW + 1][TM_STATE_MAX][TM_STATE_MAX][TM_E_MAX];
bool tmi_legal_built;		/* set (release) when tmi_legal_flags is complete */
static pthread_once_t legal_once = PTHREAD_ONCE_INIT;

static void
legal_build(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].obj <= TM_OBJ_TW && table[i].from < TM_STATE_MAX &&
		    table[i].to < TM_STATE_MAX && table[i].event < TM_E_MAX)
			tmi_legal_flags[table[i].obj][table[i].from][table[i].to][table[i].event] =
			    (uint8_t)table[i].flags;
	__atomic_store_n(&tmi_legal_built, true, __ATOMIC_RELEASE);
}

void
tmi_legal_build(void)
{
	(void)pthread_once(&legal_once, legal_build);
}

bool
tm_transition_legal(const struct tm_profile *p, enum tm_obj obj, enum tm_state from,
    enum tm_event_id ev, enum tm_state to)
{
	return tmi_legal(p, obj, from, ev, to);
}

bool
tm_trace_edge_legal(const struct tm_profile *p, enum tm_state from, enum tm_state to)
{
	unsigned int want = profile_flag(p);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].obj == TM_OBJ_FULL && table[i].from == from && table[i].to == to &&
		    (table[i].flags & want))
			return true;
	return false;
}

/*
 * What an edge of sock:inet_sock_set_state means where Linux's own objects
 * make it read differently from RFC 9293's diagram (KERNEL-FACTS F21; Part
 * B #2, #4, #22): the facts `trace` prints beside a transition.  A row
 * holds for every state in its from mask; the first match wins.
 */
#define F(st)	(1u << (st))
#define ANY	(~0u)
static const struct {
	unsigned int	 from;		/* mask of enum tm_state */
	uint8_t		 to;		/* enum tm_state */
	const char	*note;
} edge_notes[] = {
	/* tcp_v4_connect(): tcp_set_state(SYN_SENT) before inet_hash_connect() picks the port. */
	{ F(TM_CLOSE), TM_SYN_SENT,
	  "connect(): SYN sent; the source port is not chosen yet, so sport is 0" },
	/* inet_csk_clone_lock() at the third ACK; TCP_NEW_SYN_RECV request socks are not traced. */
	{ F(TM_LISTEN), TM_SYN_RECV,
	  "third ACK: child cloned from the listener (its request socket is never traced)" },
	/* tcp_rcv_state_process() TCP_SYN_RECV, then inet_csk_reqsk_queue_add(). */
	{ F(TM_SYN_RECV), TM_ESTABLISHED,
	  "handshake complete; waits in the accept queue until accept()" },
	/* __tcp_close(): new_state[FIN_WAIT2] = FIN_WAIT2; the orphan lives tcp_fin_time(). */
	{ F(TM_FIN_WAIT2), TM_FIN_WAIT2,
	  "close() after shutdown: now an orphan, bounded by tcp_fin_timeout" },
	/* tcp_time_wait() then tcp_done(): an inet_timewait_sock is not a full socket. */
	{ F(TM_FIN_WAIT2) | F(TM_CLOSING), TM_CLOSE,
	  "a timewait socket takes over (TIME_WAIT, or FIN_WAIT2 for an orphan); it is not traced" },
	/* tcp_reset(), tcp_write_timeout(), tcp_keepalive_timer(): tcp_done(). */
	{ F(TM_ESTABLISHED) | F(TM_CLOSE_WAIT) | F(TM_FIN_WAIT1) | F(TM_SYN_SENT) | F(TM_SYN_RECV),
	  TM_CLOSE, "reset or timeout: RST sent or received, retransmissions or keepalive gave up" },
	/* tcp_rcv_state_process() TCP_LAST_ACK: tcp_done(). */
	{ F(TM_LAST_ACK), TM_CLOSE,
	  "the last ACK arrived: passive close complete" },
	/* inet_csk_listen_stop(): children reset, request socks dropped. */
	{ F(TM_LISTEN), TM_CLOSE,
	  "listener closed: unaccepted children are reset, request sockets dropped" },
	/* tcp_fin(): CLOSE_WAIT has no timer of its own. */
	{ ANY, TM_CLOSE_WAIT,
	  "peer sent FIN: waits for this application to close(), with no timeout" },
};
#undef F
#undef ANY

const char *
tm_trace_edge_note(enum tm_state from, enum tm_state to)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(edge_notes); i++)
		if (edge_notes[i].to == to &&
		    (edge_notes[i].from == ~0u || (from < 32 && ((edge_notes[i].from >> from) & 1))))
			return edge_notes[i].note;
	return NULL;
}

uint32_t
tm_state_waits(const struct tm_profile *p, enum tm_state st)
{
	unsigned int want = profile_flag(p);
	uint32_t mask = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(table); i++)
		if (table[i].from == st && table[i].from != table[i].to && (table[i].flags & want))
			mask |= 1u << table[i].event;
	return mask;
}

/* ---- Schedules ---- */

static tm_time
min_t(tm_time a, tm_time b)
{
	return a < b ? a : b;
}

bool
tm_syn_expired(const struct tm_profile *p, int syncnt, bool syn_sent, unsigned int retransmits,
    tm_time elapsed, tm_time user_timeout)
{
	unsigned int retry = (unsigned int)(syncnt > 0 ? syncnt : p->syn_retries);
	unsigned int max = retry + (syn_sent ? (unsigned int)p->syn_linear_timeouts : 0);
	tm_time bound;

	/* tcp_write_timeout(): max_retransmits = retry_until (+ linear in SYN_SENT). */
	if (retransmits >= max)
		return true;
	/* retransmits_timed_out(): false until one retransmission was made. */
	if (retransmits == 0)
		return false;
	/* rto_base tcp_timeout_init() for SYN_SENT/SYN_RECV; timeout from retrans_stamp. */
	bound = user_timeout ? user_timeout : tm_retries_timeout(p, (int)retry, p->rto_init);
	return elapsed >= bound;
}

tm_time
tm_syn_next_rto(const struct tm_profile *p, bool syn_sent, unsigned int total_rto, tm_time rto)
{
	/*
	 * tcp_retransmit_timer(): "Use normal (exponential) backoff unless
	 * linear timeouts are activated": no backoff in SYN_SENT while
	 * tp->total_rto <= sysctl_tcp_syn_linear_timeouts.
	 */
	if (syn_sent && total_rto <= (unsigned int)p->syn_linear_timeouts)
		return rto;
	return min_t(rto << 1, p->rto_max);
}

/*
 * Run the schedule with every SYN lost: each expiry of the timer is the
 * time of the next retransmission unless tcp_write_timeout() gives up.
 * Returns the give-up time; *at[k-1] (k <= nat) gets the k-th retransmission.
 */
static tm_time
syn_schedule(const struct tm_profile *p, tm_time *at, unsigned int nat, unsigned int *count)
{
	tm_time t = 0, rto = p->rto_init;
	unsigned int n = 0;

	for (;;) {
		t += rto;
		if (tm_syn_expired(p, 0, true, n, t, 0))
			break;
		if (n < nat)
			at[n] = t;
		n++;
		rto = tm_syn_next_rto(p, true, n, rto);
	}
	if (count != NULL)
		*count = n;
	return t;
}

tm_time
tm_syn_rtx_at(const struct tm_profile *p, unsigned int k)
{
	tm_time at[256] = { 0 };
	unsigned int n;
	struct tm_profile q = *p;

	/* Past the give-up (or beyond the table), keep the schedule going as if allowed. */
	if (k == 0)
		return 0;
	q.syn_retries = 255;
	q.syn_linear_timeouts = p->syn_linear_timeouts > 127 ? 127 : p->syn_linear_timeouts;
	if (k > 255)
		k = 255;
	syn_schedule(&q, at, k, &n);
	return at[k - 1];
}

unsigned int
tm_syn_rtx_count(const struct tm_profile *p)
{
	unsigned int n;

	syn_schedule(p, NULL, 0, &n);
	return n;
}

tm_time
tm_syn_giveup(const struct tm_profile *p)
{
	return syn_schedule(p, NULL, 0, NULL);
}

tm_time
tm_synack_rtx_at(const struct tm_profile *p, unsigned int k)
{
	tm_time t = 0;
	unsigned int i;

	/* reqsk_timeout(): req->timeout << num_timeout, capped at TCP_RTO_MAX. */
	for (i = 0; i < k; i++)
		t += i > 30 ? p->rto_max : min_t(p->rto_init << i, p->rto_max);
	return t;
}

tm_time
tm_synack_giveup(const struct tm_profile *p)
{
	return tm_synack_rtx_at(p, (unsigned int)p->synack_retries + 1);
}

tm_time
tm_fin_time(const struct tm_profile *p, int64_t linger2_s, tm_time rto)
{
	tm_time t = linger2_s > 0 ? TM_SEC(linger2_s) : p->fin_timeout;
	tm_time floor = (rto << 2) - (rto >> 1);

	/* tcp_fin_time(), include/net/tcp.h: at least 3.5 RTO. */
	return t < floor ? floor : t;
}

tm_time
tm_retries_timeout(const struct tm_profile *p, int retries, tm_time rto_base)
{
	unsigned int thresh = 0;
	tm_time r = p->rto_max / (rto_base ? rto_base : 1);

	/* retransmits_timed_out() / tcp_model_timeout(), tcp_timer.c. */
	while (r > 1) {
		r >>= 1;
		thresh++;
	}
	if ((unsigned int)retries <= thresh)
		return (((tm_time)2 << retries) - 1) * rto_base;
	return (((tm_time)2 << thresh) - 1) * rto_base +
	    (tm_time)(retries - (int)thresh) * p->rto_max;
}

static int
orphan_retries(const struct tm_profile *p)
{
	/* tcp_orphan_retries(): 0 means 8 while the peer is alive. */
	return p->orphan_retries == 0 ? 8 : p->orphan_retries;
}

static tm_time
keepalive_total(const struct tm_profile *p, const struct tm_sockctx *ctx)
{
	tm_time idle = ctx->opt.keepidle ? ctx->opt.keepidle : p->keepalive_time;
	tm_time intvl = ctx->opt.keepintvl ? ctx->opt.keepintvl : p->keepalive_intvl;
	int cnt = ctx->opt.keepcnt ? ctx->opt.keepcnt : p->keepalive_probes;

	if (ctx->opt.user_timeout)
		return idle + ctx->opt.user_timeout;
	return idle + (tm_time)cnt * intvl;
}

tm_time
tm_state_max_lifetime(const struct tm_profile *p, enum tm_state st, const struct tm_sockctx *ctx)
{
	static const struct tm_sockctx none;
	tm_time rto, a, b;

	if (ctx == NULL)
		ctx = &none;
	rto = ctx->rto ? ctx->rto : p->rto_init;
	switch (st) {
	case TM_SYN_SENT:
		if (ctx->opt.syncnt > 0) {
			struct tm_profile q = *p;

			q.syn_retries = ctx->opt.syncnt;
			return tm_syn_giveup(&q);
		}
		return tm_syn_giveup(p);
	case TM_NEW_SYN_RECV:
		return tm_synack_giveup(p);
	case TM_SYN_RECV:
		/* A request (63 s) or a simultaneous-open full socket (SYN retries, doubling). */
		a = tm_synack_giveup(p);
		b = tm_synack_rtx_at(p, (unsigned int)p->syn_retries + 1);
		return a > b ? a : b;
	case TM_ESTABLISHED:
	case TM_CLOSE_WAIT:
		return ctx->keepalive ? keepalive_total(p, ctx) : TM_TIME_INF;
	case TM_FIN_WAIT1:
	case TM_CLOSING:
	case TM_LAST_ACK:
		/* Our FIN is retransmitted until the retry budget runs out. */
		return tm_retries_timeout(p, ctx->orphan ? orphan_retries(p) : p->retries2, p->retries_base);
	case TM_FIN_WAIT2:
		if (!ctx->orphan || !p->orphan_fin_wait2)
			return TM_TIME_INF;
		if (ctx->opt.linger2_s < 0)
			return 0;
		return tm_fin_time(p, ctx->opt.linger2_s, rto);
	case TM_TIME_WAIT:
		return p->timewait_len;
	case TM_LISTEN:
	case TM_CLOSE:
	case TM_ST_NONE:
	case TM_STATE_MAX:
		break;
	}
	return TM_TIME_INF;
}

size_t
tm_state_timers(const struct tm_profile *p, enum tm_state st, const struct tm_sockctx *ctx,
    struct tm_state_timer *out, size_t max)
{
	static const struct tm_sockctx none;
	size_t n = 0;

#define ADD(t, f, tot, w) do {							\
	if (n < max) {								\
		out[n].timer = (t); out[n].first = (f); out[n].total = (tot);	\
		out[n].what = (w);						\
	}									\
	n++;									\
} while (0)

	if (ctx == NULL)
		ctx = &none;
	switch (st) {
	case TM_SYN_SENT:
		ADD(TM_T_RTX, tm_syn_rtx_at(p, 1), tm_state_max_lifetime(p, st, ctx),
		    p->syn_linear_timeouts ? "SYN retransmitted at a fixed RTO, then doubling; "
		    "connect() fails with ETIMEDOUT, no RST" :
		    "SYN retransmitted, doubling; connect() fails with ETIMEDOUT");
		break;
	case TM_NEW_SYN_RECV:
	case TM_SYN_RECV:
		ADD(TM_T_SYNACK, tm_synack_rtx_at(p, 1), tm_synack_giveup(p),
		    p->minisocks ? "SYN-ACK retransmitted 1, 2, 4, ... s apart; then the request "
		    "is dropped silently (no RST)" : "SYN-ACK retransmitted, doubling; then the "
		    "connection is deleted");
		break;
	case TM_ESTABLISHED:
	case TM_CLOSE_WAIT:
		ADD(TM_T_RTX, p->rto_min, tm_retries_timeout(p, p->retries2, p->retries_base),
		    "only while data is unacknowledged: retransmission, ETIMEDOUT after tcp_retries2");
		ADD(TM_T_DELACK, p->delack_min, p->delack_min, "delayed ACK");
		ADD(TM_T_KEEPALIVE, ctx->opt.keepidle ? ctx->opt.keepidle : p->keepalive_time,
		    keepalive_total(p, ctx), p->keepalive_rst ? "only with SO_KEEPALIVE: probes "
		    "(seq SND.UNA-1), then RST and ETIMEDOUT" : "only with SO_KEEPALIVE: probes, "
		    "then the connection is dropped");
		break;
	case TM_FIN_WAIT1:
	case TM_CLOSING:
	case TM_LAST_ACK:
		ADD(TM_T_RTX, p->rto_min, tm_state_max_lifetime(p, st, ctx),
		    "our FIN is retransmitted; tcp_orphan_retries (orphan) or tcp_retries2 bound it");
		break;
	case TM_FIN_WAIT2:
		if (p->orphan_fin_wait2)
			ADD(TM_T_TW, tm_fin_time(p, ctx->opt.linger2_s, ctx->rto ? ctx->rto : p->rto_init),
			    tm_fin_time(p, ctx->opt.linger2_s, ctx->rto ? ctx->rto : p->rto_init),
			    "only for orphans (after close()): a timewait socket in the FIN_WAIT2 "
			    "substate; expiry is silent; no timer after shutdown() alone");
		break;
	case TM_TIME_WAIT:
		ADD(TM_T_TW, p->timewait_len, p->timewait_len,
		    p->minisocks ? "fixed TCP_TIMEWAIT_LEN, re-armed by a retransmitted FIN; "
		    "tcp_fin_timeout does not change it" : "2 MSL, restarted by a retransmitted FIN");
		break;
	default:
		break;
	}
#undef ADD
	return n < max ? n : max;
}

/* ---- Canned text (what the model cannot compute) ---- */

static const struct tm_state_info infos[TM_STATE_MAX] = {
	[TM_ESTABLISHED] = { "the connection is open: data flows both ways",
	    "data, the peer's FIN, an RST, or the application's close()/shutdown()",
	    "close()/shutdown() -> FIN_WAIT1; the peer's FIN -> CLOSE_WAIT; RST, retransmission "
	    "or keepalive failure -> CLOSE",
	    "normal; watch for many idle ones (missing keepalive) or growing queues" },
	[TM_SYN_SENT] = { "connect() sent a SYN and waits for the SYN-ACK",
	    "the peer's SYN-ACK (or a crossed SYN)",
	    "SYN-ACK -> ESTABLISHED; RST -> CLOSE (ECONNREFUSED); retries exhausted -> CLOSE (ETIMEDOUT)",
	    "the peer is down, filtered, or its accept queue is full (it drops SYNs)" },
	[TM_SYN_RECV] = { "a SYN was answered with a SYN-ACK; the 3rd ACK has not come "
	    "(on Linux usually a request socket, shown by ss as SYN-RECV)",
	    "the client's ACK of our SYN-ACK",
	    "ACK -> ESTABLISHED (child in the accept queue); SYN-ACK retries exhausted -> "
	    "dropped silently; RST -> dropped",
	    "a SYN flood (many random peers, few ACKs) or clients that cannot reach us back" },
	[TM_FIN_WAIT1] = { "we sent our FIN (close() or shutdown()) and wait for its ACK",
	    "the ACK of our FIN, or the peer's FIN",
	    "ACK -> FIN_WAIT2; FIN -> CLOSING; retries exhausted -> CLOSE",
	    "peers that stopped acknowledging (dead, or a zero window)" },
	[TM_FIN_WAIT2] = { "our FIN was acknowledged; we wait for the peer's FIN",
	    "the peer's FIN (the peer application calling close())",
	    "FIN -> TIME_WAIT; for an orphan the FIN_WAIT2 timeout (tcp_fin_timeout) ends it silently",
	    "peers that do not close their side (a CLOSE_WAIT leak on the other host)" },
	[TM_TIME_WAIT] = { "both FINs were exchanged and we closed first: the tuple is held so "
	    "a lost last ACK can be repeated and old duplicates die out",
	    "nothing but the clock; a retransmitted FIN is ACKed again and re-arms the timer",
	    "the timer expires (Linux: 60 s); a newer SYN may reopen it; RST kills it unless tcp_rfc1337=1",
	    "many short connections closed by this side; harmful only when ports run out "
	    "(use connection reuse, tcp_tw_reuse for clients)" },
	[TM_CLOSE] = { "no connection (a fresh or a finished socket)", "connect() or listen()",
	    "connect() -> SYN_SENT; listen() -> LISTEN", "sockets the application never closed" },
	[TM_CLOSE_WAIT] = { "the peer sent its FIN; our application has not called close()",
	    "the application's close() (TCP itself has nothing to wait for)",
	    "close() -> LAST_ACK; RST -> CLOSE",
	    "an application bug: it does not close sockets after EOF (no sysctl fixes this)" },
	[TM_LAST_ACK] = { "the peer closed first, then we sent our FIN; we wait for its ACK",
	    "the ACK of our FIN", "ACK -> CLOSE; retries exhausted -> CLOSE",
	    "peers that vanished after closing (their last ACK lost)" },
	[TM_LISTEN] = { "a listening socket: SYNs create request sockets, completed handshakes "
	    "wait in the accept queue", "SYNs, and the application's accept()",
	    "close() or shutdown(SHUT_RD) -> CLOSE (unaccepted children are reset)",
	    "normal; check Recv-Q against Send-Q (the backlog) for a full accept queue" },
	[TM_CLOSING] = { "both sides sent FINs at the same time; we wait for the ACK of ours",
	    "the ACK of our FIN", "ACK -> TIME_WAIT; retries exhausted -> CLOSE",
	    "rare; simultaneous closes with lost ACKs" },
	[TM_NEW_SYN_RECV] = { "a request socket (Linux mini-socket); ss shows it as SYN-RECV",
	    "the 3rd ACK", "ACK -> a full socket in the accept queue; expiry -> dropped silently",
	    "see SYN_RECV" },
};

const struct tm_state_info *
tm_state_info(enum tm_state st)
{
	static const struct tm_state_info none = { "no object", "", "", "" };

	if ((unsigned int)st >= TM_STATE_MAX || st == TM_ST_NONE)
		return &none;
	return &infos[st];
}
