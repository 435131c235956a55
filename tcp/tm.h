/* SPDX-License-Identifier: MIT */
/*
 * The bundled userspace TCP: a model of Linux's TCP state machine (the
 * reference profile) and of RFC 9293 (the second profile), as a pure step
 * function.
 *
 * Contract.  tm_step(profile, host, event, effects) is the only entry that
 * changes state: it takes one event (a segment arrives, a timer fires, the
 * application makes a call) for one host (a TCP stack with its sockets), and
 * appends what the stack did to the effect buffer: segments sent, state
 * changes with the object kind and a reason, timers set and cleared,
 * counters, results and errors returned to the application.  No I/O, no wall
 * clock (the event carries the time), no globals, no malloc (objects come
 * from pools sized when the host is made).  The simulator (sim/sim.h), the
 * TUN bridge and the conformance harness all drive the model through it.
 *
 * Linux objects (KERNEL-FACTS Part D 1.1): a listener (full socket in
 * LISTEN) owns request sockets (NEW_SYN_RECV, shown as SYN_RECV by ss) and an
 * accept queue; an active close ends in a timewait socket whose substate is
 * FIN_WAIT2 or TIME_WAIT.  Under the rfc9293 profile the same objects exist
 * but their state changes are reported as one TCB's (obj FULL, RFC states).
 *
 * The event log.  One struct tm_effect per effect, in order, is the common
 * record format: the simulator writes it, cmd/sim.c renders it as a ladder
 * (core/ladder.h) or as JSON ("schema":"tcpdoctor/1"), and a kernel run
 * observed over TUN is recorded into the same records so the two can be
 * compared:
 *   TM_FX_SEG_OUT   a segment the host sent (kernel: read from the TUN fd)
 *   TM_FX_SEG_IN    a segment delivered to the host (kernel: written to TUN);
 *                   reason names the fault rule when it is a duplicated or
 *                   delayed copy
 *   TM_FX_SEG_DROP  a segment lost on a link or discarded by a fault rule
 *   TM_FX_STATE     a state change of one object (kernel: the
 *                   sock:inet_sock_set_state tracepoint for FULL objects;
 *                   sock_diag checkpoints for REQ and TW objects)
 *   TM_FX_TIMER_SET/CLR   a timer armed or stopped (kernel: sock_diag timer)
 *   TM_FX_COUNTER   a MIB counter incremented (kernel: nstat deltas)
 *   TM_FX_APP       the result of an application call (errno or value)
 *   TM_FX_ERROR     the model itself found something wrong (illegal
 *                   transition): tests assert there are none
 * tm_fx_traced() says which records the tracepoint would print (the trace
 * projection): under the linux profile only FULL state changes, which
 * already include the kernel's own edges (FIN_WAIT2->CLOSE when the timewait
 * socket takes over, FIN_WAIT2->FIN_WAIT2 on close()).
 *
 * Times are nanoseconds of simulated time (tm_time); sequence numbers are
 * compared with TM_SEQ_LT() and friends from tcp/segment.h.
 */
#ifndef TD_TCP_TM_H
#define TD_TCP_TM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/tcpstate.h"
#include "tcp/segment.h"

struct tm_profile;

typedef uint64_t tm_time;		/* ns of simulated time */

#define TM_NS_PER_MS	1000000ull
#define TM_MS(x)	((tm_time)(x) * TM_NS_PER_MS)
#define TM_SEC(x)	((tm_time)(x) * 1000ull * TM_NS_PER_MS)
#define TM_TIME_INF	UINT64_MAX	/* "no bound": a state that can last forever */

/* ---- States ---- */

/* Kernel numbering, include/net/tcp_states.h: core/tcpstate.h's numbers. */
enum tm_state {
	TM_ST_NONE = TD_ST_UNKNOWN,	/* no object yet / gone */
	TM_ESTABLISHED = TD_ST_ESTABLISHED,
	TM_SYN_SENT = TD_ST_SYN_SENT,
	TM_SYN_RECV = TD_ST_SYN_RECV,
	TM_FIN_WAIT1 = TD_ST_FIN_WAIT1,
	TM_FIN_WAIT2 = TD_ST_FIN_WAIT2,
	TM_TIME_WAIT = TD_ST_TIME_WAIT,
	TM_CLOSE = TD_ST_CLOSE,
	TM_CLOSE_WAIT = TD_ST_CLOSE_WAIT,
	TM_LAST_ACK = TD_ST_LAST_ACK,
	TM_LISTEN = TD_ST_LISTEN,
	TM_CLOSING = TD_ST_CLOSING,
	TM_NEW_SYN_RECV = TD_ST_NEW_SYN_RECV,	/* request socket (Linux only) */
	TM_STATE_MAX = TD_ST_MAX
};

/* The kernel object a record is about (KERNEL-FACTS Part D 1.1). */
enum tm_obj {
	TM_OBJ_FULL = 0,		/* struct tcp_sock, listeners included */
	TM_OBJ_REQ,			/* request_sock in NEW_SYN_RECV */
	TM_OBJ_TW,			/* inet_timewait_sock, with a substate */
};

/* "ESTABLISHED", "SYN_RECV", ...; "NONE" for TM_ST_NONE. */
const char	*tm_state_name(enum tm_state st);
/* td_state_parse(): every spelling core/tcpstate.h accepts; -1 if unknown. */
int		 tm_state_parse(const char *name);
const char	*tm_obj_name(enum tm_obj obj);	/* "full", "req", "tw" */

/* ---- Events and the transition table ---- */

/*
 * What makes an object change state.  Segment events are classes of an
 * arriving segment after the RFC 9293 step checks; timer events are expiries;
 * app events are calls.  The transition table is a list of
 * {obj, from, event, to} rows; tm_step() consults it for every change it
 * makes, and a change not in it is reported as TM_FX_ERROR.
 */
enum tm_event_id {
	TM_E_CONNECT = 0, TM_E_LISTEN, TM_E_ACCEPT, TM_E_SEND, TM_E_RECV,
	TM_E_SHUTDOWN, TM_E_CLOSE, TM_E_SETSOCKOPT,
	TM_E_SYN,			/* SYN without ACK */
	TM_E_SYNACK,			/* SYN+ACK acknowledging our SYN */
	TM_E_ACK,			/* ACK that acknowledges our SYN or FIN */
	TM_E_FIN,			/* in-order FIN */
	TM_E_RST,			/* acceptable RST */
	TM_E_DATA,			/* data where it is not allowed (-> RST) */
	TM_E_COOKIE_ACK,		/* ACK carrying a valid syncookie */
	TM_E_TMR_RTX,			/* retransmission timer: retries exhausted */
	TM_E_TMR_SYNACK,		/* request socket expired (silent) */
	TM_E_TMR_KEEPALIVE,		/* keepalive probes unanswered / orphan FIN_WAIT2 */
	TM_E_TMR_FIN_WAIT2,		/* timewait socket's FIN_WAIT2 substate expired */
	TM_E_TMR_TIME_WAIT,		/* TIME_WAIT expired */
	TM_E_TW_TAKEOVER,		/* tcp_time_wait(): the tw socket replaces the full one */
	TM_E_TW_SYN,			/* SYN accepted in TIME_WAIT: tw socket dies */
	TM_E_LISTEN_STOP,		/* the listener closed: children reset */
	TM_E_MAX
};

const char	*tm_event_name(enum tm_event_id ev);

enum tm_tr_flag {
	TM_TR_RFC	= 1 << 0,	/* an RFC 9293 (figure 5) edge */
	TM_TR_LINUX	= 1 << 1,	/* Linux takes it */
	TM_TR_KERNEL	= 1 << 2,	/* kernel-only (not in RFC 9293), F21 / Part B #22 */
};

struct tm_transition {
	uint8_t		 obj;		/* enum tm_obj */
	uint8_t		 from, to;	/* enum tm_state; from == to: a traced self-edge */
	uint8_t		 event;		/* enum tm_event_id */
	uint8_t		 flags;		/* enum tm_tr_flag */
	const char	*why;		/* source: kernel function or RFC section */
};

/* The whole table (static, sorted by obj, from, to, event; one row per key). */
const struct tm_transition *tm_transitions(size_t *n);
/* Is obj: from --event--> to a legal edge under this profile? */
bool	tm_transition_legal(const struct tm_profile *p, enum tm_obj obj,
	    enum tm_state from, enum tm_event_id ev, enum tm_state to);
/*
 * May sock:inet_sock_set_state print "from -> to" under this profile?
 * (linux: the FULL edges, incl. CLOSE->SYN_SENT, LISTEN->SYN_RECV,
 * FIN_WAIT2->FIN_WAIT2, FIN_WAIT2->CLOSE; never anything ->TIME_WAIT.)
 */
bool	tm_trace_edge_legal(const struct tm_profile *p, enum tm_state from,
	    enum tm_state to);
/*
 * What the traced edge "from -> to" means where Linux's objects make it
 * differ from the RFC diagram (a timewait socket takes over, the child is
 * cloned at the third ACK, ...): one line, or NULL when it needs none.
 */
const char	*tm_trace_edge_note(enum tm_state from, enum tm_state to);

/* ---- Profiles: every knob a field ---- */

/*
 * Values are those of Linux 6.18 for tm_profile_linux() (KERNEL-FACTS Part E
 * 5.3).  Times are ns.  Knobs that are sysctls carry the sysctl's name in
 * the knob table (tm_knobs()), so `--set tcp_fin_timeout=3` and
 * tm_profile_from_values() map 1:1.
 */
struct tm_profile {
	char	name[16];		/* "linux", "rfc9293" */
	/* Objects and projection. */
	bool	minisocks;		/* request + timewait sockets (linux) */
	bool	trace_linux;		/* project the trace as the tracepoint does */
	/* Listener. */
	int	syncookies;		/* tcp_syncookies 0/1/2 */
	int	abort_on_overflow;	/* tcp_abort_on_overflow */
	int	max_syn_backlog;	/* tcp_max_syn_backlog */
	int	somaxconn;		/* net.core.somaxconn (caps listen backlog) */
	bool	queue_limits;		/* false: no SYN/accept queue limit (rfc) */
	/* Retransmission. */
	int	syn_retries;		/* tcp_syn_retries */
	int	syn_linear_timeouts;	/* tcp_syn_linear_timeouts (6.5+) */
	int	synack_retries;		/* tcp_synack_retries */
	int	retries1, retries2;	/* tcp_retries1/2 */
	int	orphan_retries;		/* tcp_orphan_retries (0 means 8) */
	tm_time	rto_init, rto_min, rto_max;
	tm_time	retries_base;		/* rto_base of the retries2/orphan timeout model:
					 * TCP_RTO_MIN, a constant (linux: tcp_rto_min_us
					 * does not move it, retransmits_timed_out()) */
	tm_time	delack_min;		/* TCP_DELACK_MIN, 40 ms */
	int	quickacks;		/* segments ACKed at once at the start */
	bool	fin_pingpong;		/* tcp_fin(): pingpong mode, the FIN's ACK is
					 * delayed once data came (linux) */
	bool	tlp;			/* tail loss probe (RFC 8985; tcp_early_retrans=3) */
	/* Closing. */
	tm_time	fin_timeout;		/* tcp_fin_timeout (orphan FIN_WAIT2) */
	bool	orphan_fin_wait2;	/* orphan FIN_WAIT2 times out (linux) */
	tm_time	timewait_len;		/* TCP_TIMEWAIT_LEN 60 s (not a sysctl) / 2MSL */
	int	rfc1337;		/* tcp_rfc1337: ignore RST in TIME_WAIT */
	bool	tw_syn_reopen;		/* SYN in TIME_WAIT reopens (ISN snd_nxt+65537) */
	int	tw_reuse;		/* tcp_tw_reuse 0/1/2 */
	tm_time	tw_reuse_delay;		/* tcp_tw_reuse_delay */
	int	max_tw_buckets;		/* tcp_max_tw_buckets */
	/* Keepalive. */
	tm_time	keepalive_time, keepalive_intvl;
	int	keepalive_probes;
	bool	keepalive_rst;		/* RST after the last probe (linux) */
	/* RFC 5961 and PAWS. */
	bool	rfc5961;
	tm_time	invalid_ratelimit;	/* tcp_invalid_ratelimit, per socket */
	int	challenge_ack_limit;	/* tcp_challenge_ack_limit per second */
	int	timestamps;		/* tcp_timestamps */
	int	sack, window_scaling;	/* tcp_sack, tcp_window_scaling */
	/* ISN: keyed hash + (t >> isn_shift) ns ticks. */
	unsigned int isn_shift;		/* 6: 64 ns (linux); rfc: 4 us tick */
	unsigned int isn_tick_ns;	/* when nonzero, tick = t / isn_tick_ns */
	/* Segment sizes. */
	uint16_t mss;			/* our MSS (1460) */
	uint8_t	wscale;			/* our window scale (7) */
	uint32_t rcv_wnd;		/* initial receive window (bytes) */
};

struct tm_profile	tm_profile_linux(void);
struct tm_profile	tm_profile_rfc9293(void);
/*
 * The linux profile with every knob that is a sysctl set from get(ctx,
 * "net.ipv4.tcp_fin_timeout", &v), so the model predicts this host's (or
 * this snapshot's) behaviour.  get returns 1 with *v set, or 0 when the
 * value is not known (the knob keeps its default).  The model does not
 * know where values come from: collectors/sysctl.h gives sysctl_value() for
 * a snapshot's sysctls, so tcp/ depends on core/ only.
 */
struct tm_profile	tm_profile_from_values(int (*get)(const void *ctx, const char *sysctl, int64_t *v),
		    const void *ctx);
/* "linux" or "rfc9293" (also "rfc"); -1 if unknown. */
int	tm_profile_by_name(const char *name, struct tm_profile *out);

enum tm_knob_unit { TM_KU_INT = 0, TM_KU_BOOL, TM_KU_SEC, TM_KU_MS, TM_KU_US };

struct tm_knob {
	const char	*name;		/* "tcp_fin_timeout" (sysctl tail) */
	size_t		 off;		/* offset in struct tm_profile */
	enum tm_knob_unit unit;		/* how VALUE is written: seconds, ms, int */
	const char	*sysctl;	/* "net.ipv4.tcp_fin_timeout", NULL if not a sysctl */
	int64_t		 min, max;	/* accepted range, in unit */
	const char	*what;		/* one line */
};

const struct tm_knob *tm_knobs(size_t *n);
/* Knob by name ("tcp_fin_timeout", "net.ipv4.tcp_fin_timeout"); NULL if none. */
const struct tm_knob *tm_knob_find(const char *name);
/* Parse "KNOB=VALUE" into *p.  Returns 0, or -1 with msg (size len) set. */
int	tm_knob_set(struct tm_profile *p, const char *assignment, char *msg, size_t len);
/* Read a knob's value in its unit. */
int64_t	tm_knob_get(const struct tm_profile *p, const struct tm_knob *k);

/* ---- Timers ---- */

enum tm_timer {
	TM_T_RTX = 0,			/* retransmission (SYN, data, FIN) */
	TM_T_DELACK,			/* delayed ACK */
	TM_T_KEEPALIVE,			/* keepalive, also orphan FIN_WAIT2 > 60 s */
	TM_T_SYNACK,			/* request socket: SYN-ACK retransmit / expiry */
	TM_T_TW,			/* timewait socket: FIN_WAIT2 substate or TIME_WAIT */
	TM_T_MAX
};

const char	*tm_timer_name(enum tm_timer t);	/* "retransmit", ... */

/* ---- MIB counters (nstat names) ---- */

#define TM_COUNTERS(X)							\
	X(ACTIVE_OPENS,		"TcpActiveOpens")			\
	X(PASSIVE_OPENS,	"TcpPassiveOpens")			\
	X(ATTEMPT_FAILS,	"TcpAttemptFails")			\
	X(ESTAB_RESETS,		"TcpEstabResets")			\
	X(RETRANS_SEGS,		"TcpRetransSegs")			\
	X(OUT_RSTS,		"TcpOutRsts")				\
	X(LISTEN_OVERFLOWS,	"TcpExtListenOverflows")		\
	X(LISTEN_DROPS,		"TcpExtListenDrops")			\
	X(SYNCOOKIES_SENT,	"TcpExtSyncookiesSent")			\
	X(SYNCOOKIES_RECV,	"TcpExtSyncookiesRecv")			\
	X(SYNCOOKIES_FAILED,	"TcpExtSyncookiesFailed")		\
	X(REQQ_FULL_DO_COOKIES,	"TcpExtTCPReqQFullDoCookies")		\
	X(REQQ_FULL_DROP,	"TcpExtTCPReqQFullDrop")		\
	X(TIMEOUTS,		"TcpExtTCPTimeouts")			\
	X(SYN_RETRANS,		"TcpExtTCPSynRetrans")			\
	X(ABORT_ON_DATA,	"TcpExtTCPAbortOnData")			\
	X(ABORT_ON_CLOSE,	"TcpExtTCPAbortOnClose")		\
	X(ABORT_ON_TIMEOUT,	"TcpExtTCPAbortOnTimeout")		\
	X(ABORT_ON_LINGER,	"TcpExtTCPAbortOnLinger")		\
	X(CHALLENGE_ACK,	"TcpExtTCPChallengeACK")		\
	X(SYN_CHALLENGE,	"TcpExtTCPSYNChallenge")		\
	X(TW,			"TcpExtTW")				\
	X(TW_KILLED,		"TcpExtTWKilled")			\
	X(TW_RECYCLED,		"TcpExtTWRecycled")			\
	X(TW_OVERFLOW,		"TcpExtTCPTimeWaitOverflow")		\
	X(ACK_SKIPPED_TW,	"TcpExtTCPACKSkippedTimeWait")		\
	X(PAWS_ESTAB,		"TcpExtPAWSEstab")			\
	X(DSACK_OLD_SENT,	"TcpExtTCPDSACKOldSent")		\
	X(DELAYED_ACKS,		"TcpExtDelayedACKs")			\
	X(KEEPALIVE,		"TcpExtTCPKeepAlive")				\
	X(LOSS_PROBES,		"TcpExtTCPLossProbes")			\
	X(DEFER_ACCEPT_DROP,	"TcpExtTCPDeferAcceptDrop")

enum tm_counter {
#define X(id, name)	TM_C_##id,
	TM_COUNTERS(X)
#undef X
	TM_C_MAX
};

const char	*tm_counter_name(enum tm_counter c);

/* ---- Application calls ---- */

enum tm_call {
	TM_CALL_CONNECT = 0,		/* raddr:rport from lport (0: ephemeral) */
	TM_CALL_LISTEN,			/* lport, backlog */
	TM_CALL_ACCEPT,			/* on listener sock; returns a child id */
	TM_CALL_SEND,			/* len bytes */
	TM_CALL_RECV,			/* up to len bytes (0: all queued) */
	TM_CALL_SHUTDOWN,		/* how: SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2 */
	TM_CALL_CLOSE,
	TM_CALL_SETSOCKOPT,		/* opt, val */
	TM_CALL_GETSOCKOPT,		/* opt: ret is its value (so_error clears sk_err) */
	TM_CALL_IOCTL,			/* opt siocinq or siocoutq: ret is the byte count */
	TM_CALL_SO_ERROR,		/* not a call: an error reported asynchronously
					 * (what SO_ERROR / the next call would return) */
	TM_CALL_MAX
};

enum tm_sockopt {
	TM_SO_KEEPALIVE = 0,		/* SO_KEEPALIVE 0/1 */
	TM_SO_KEEPIDLE,			/* TCP_KEEPIDLE, seconds */
	TM_SO_KEEPINTVL,		/* TCP_KEEPINTVL, seconds */
	TM_SO_KEEPCNT,			/* TCP_KEEPCNT */
	TM_SO_LINGER2,			/* TCP_LINGER2, seconds (<0: RST) */
	TM_SO_USER_TIMEOUT,		/* TCP_USER_TIMEOUT, ms */
	TM_SO_LINGER0,			/* SO_LINGER {1, 0}: abortive close */
	TM_SO_SYNCNT,			/* TCP_SYNCNT */
	TM_SO_DEFER_ACCEPT,		/* TCP_DEFER_ACCEPT, seconds (kept as SYN-ACK
					 * retransmissions, secs_to_retrans()) */
	TM_SO_RCVBUF,			/* SO_RCVBUF, bytes (kept doubled, sock_setsockopt()) */
	TM_SO_SNDBUF,			/* SO_SNDBUF, bytes (kept doubled) */
	/* Read only: getsockopt() and ioctl(); setsockopt() gives ENOPROTOOPT. */
	TM_SO_ERROR,			/* SO_ERROR: sk_err, cleared by the read */
	TM_SO_TCPI_STATE,		/* TCP_INFO tcpi_state (sk_state) */
	TM_SO_TCPI_RETRANSMITS,		/* tcpi_retransmits (icsk_retransmits) */
	TM_SO_TCPI_BACKOFF,		/* tcpi_backoff (icsk_backoff) */
	TM_SO_TCPI_PROBES,		/* tcpi_probes (icsk_probes_out) */
	TM_SO_SIOCINQ,			/* ioctl SIOCINQ: bytes to read (tcp_inq()) */
	TM_SO_SIOCOUTQ,			/* ioctl SIOCOUTQ: write_seq - snd_una */
	TM_SO_MAX
};

/* The first read-only option. */
#define TM_SO_READONLY	TM_SO_ERROR

const char	*tm_call_name(enum tm_call c);
const char	*tm_sockopt_name(enum tm_sockopt o);
int		 tm_sockopt_parse(const char *name);

struct tm_app {
	enum tm_call	call;
	uint32_t	sock;		/* target socket id (not for connect/listen) */
	struct tm_addr	raddr;		/* connect */
	uint16_t	lport, rport;
	int		backlog;	/* listen */
	uint32_t	len;		/* send/recv */
	bool		nonblock;	/* O_NONBLOCK: send() before the handshake
					 * completed gives EAGAIN (else it waits) */
	int		how;		/* shutdown */
	enum tm_sockopt	opt;
	int64_t		val;
};

/* ---- Events into tm_step() ---- */

enum tm_ev_kind { TM_EV_SEG = 0, TM_EV_TIMER, TM_EV_APP };

struct tm_event {
	tm_time		at;
	enum tm_ev_kind	kind;
	union {
		struct tm_seg	seg;	/* arriving segment (payload bytes unused) */
		struct {
			uint32_t	sock;
			enum tm_obj	obj;
			enum tm_timer	timer;
		} tmr;
		struct tm_app	app;
	} u;
};

/* ---- Effects: the event-log record ---- */

enum tm_fx_kind {
	TM_FX_SEG_OUT = 0, TM_FX_SEG_IN, TM_FX_SEG_DROP, TM_FX_STATE,
	TM_FX_TIMER_SET, TM_FX_TIMER_CLR, TM_FX_COUNTER, TM_FX_APP,
	TM_FX_ERROR, TM_FX_MAX
};

struct tm_effect {
	tm_time		at;
	uint16_t	host;		/* endpoint index in the world */
	uint8_t		kind;		/* enum tm_fx_kind */
	uint8_t		obj;		/* enum tm_obj of the object concerned */
	uint32_t	sock;		/* its id on that host (0: none) */
	const char	*reason;	/* static text: why (kernel function, RFC) */
	union {
		struct {
			struct tm_seg	seg;
			bool		rtx;	/* a retransmission */
			uint16_t	to_host;/* SEG_OUT/DROP: destination, 0xffff unknown */
		} seg;
		struct {
			uint8_t		from, to;	/* enum tm_state */
			uint8_t		event;		/* enum tm_event_id */
		} st;
		struct {
			uint8_t		timer;		/* enum tm_timer */
			tm_time		expires;	/* absolute */
		} tmr;
		struct {
			uint16_t	id;		/* enum tm_counter */
			uint32_t	delta;
		} ctr;
		struct {
			uint8_t		call;		/* enum tm_call */
			int		err;		/* errno, 0 = success */
			int64_t		ret;		/* bytes, new sock id, ... */
			uint32_t	sock;		/* child of accept / sock of connect */
		} app;
	} u;
};

const char	*tm_fx_kind_name(enum tm_fx_kind k);	/* "seg_out", "state", ... */
/* Would the sock:inet_sock_set_state tracepoint print this record? */
bool	tm_fx_traced(const struct tm_profile *p, const struct tm_effect *fx);

/*
 * Where tm_step() appends.  v[cap] is caller-owned; when full, further
 * effects are counted in lost and not stored (the step still completes).
 *
 * quiet: the caller reads only the records that act on the world (segments
 * sent, timers armed, call results, errors), so TM_FX_STATE, TM_FX_COUNTER
 * and TM_FX_TIMER_CLR records are not built; the host changes exactly as
 * without quiet (an illegal transition still gives its TM_FX_ERROR).  Each
 * left out still takes its place against cap (skipped), so the same records
 * are lost as when they are stored; noted says a state or counter record
 * was left out (its time is the step's).
 */
struct tm_fxbuf {
	struct tm_effect	*v;
	size_t			 n, cap, lost;
	bool			 quiet;
	bool			 noted;
	size_t			 skipped;
};

/* ---- Objects ---- */

struct tm_sockopts {
	bool		keepalive;
	tm_time		keepidle, keepintvl;	/* 0: profile value */
	int		keepcnt;		/* 0: profile value */
	int64_t		linger2_s;		/* 0: tcp_fin_timeout; <0: RST */
	tm_time		user_timeout;		/* 0: off */
	bool		linger0;
	int		syncnt;			/* 0: tcp_syn_retries */
	uint8_t		defer_accept;		/* TCP_DEFER_ACCEPT in retransmissions */
	int		rcvbuf, sndbuf;		/* sk_rcvbuf, sk_sndbuf set by the
						 * application (0: tcp_rmem[1], tcp_wmem[1]) */
};

#define TM_OFO_MAX	4

/* A full socket (struct tcp_sock), listeners included. */
struct tm_conn {
	uint32_t	id;		/* 0: free slot */
	enum tm_state	state;
	bool		orphan;		/* close() called (SOCK_DEAD) */
	bool		shut_wr, shut_rd;
	bool		fin_queued;	/* FIN to send after the queued data */
	bool		fin_rcvd;
	bool		fin_sent;	/* our FIN is in snd_nxt */
	bool		tlp_armed;	/* the RTX deadline is a tail loss probe */
	bool		ack_pending;	/* an ACK is owed (delayed or quick) */
	bool		from_listener;	/* a child (passive open) */
	bool		accepted;	/* given to the app by accept() */
	bool		has_ts, has_sack, has_ws;	/* negotiated options */
	uint32_t	parent;		/* listener id for children */
	uint32_t	acq_order;	/* accept-queue order (FIFO) */
	struct tm_addr	laddr, raddr;
	uint16_t	lport, rport;
	tm_seq		iss, irs, snd_una, snd_nxt, rcv_nxt, write_seq;
	uint32_t	snd_wnd, rcv_wnd, snd_mss;
	uint8_t		snd_wscale;	/* the peer's window scale */
	bool		own_rwin;	/* SO_RCVBUF chose rcv_wnd and rcv_wscale
					 * (tcp_select_initial_window()); else the profile's */
	uint8_t		rcv_wscale;
	uint32_t	rcvq;		/* bytes received, not yet read */
	uint32_t	sndq;		/* bytes queued, not yet sent */
	int		err;		/* sk_err: reported on the next call */
	/* Retransmission state. */
	tm_time		rto, srtt, rttvar;
	tm_time		rtt_start;	/* time the timed segment was sent, 0 none */
	tm_seq		rtt_seq;
	tm_time		retrans_stamp;	/* first (re)transmission of the head */
	tm_time		head_sent;	/* when the oldest unacked segment was first sent */
	unsigned int	retransmits, backoff, total_rto;
	unsigned int	probes_out;
	int		quick;		/* quick ACKs left */
	uint32_t	unacked_rcv;	/* bytes received since our last ACK */
	uint32_t	rcv_mss;	/* icsk_ack.rcv_mss: the peer's segment size seen (0: 536) */
	uint8_t		pushed;		/* small segments since our last ACK (ICSK_ACK_PUSHED, 2) */
	tm_seq		dsack[2];	/* pending D-SACK block */
	bool		dsack_pending;
	struct {
		tm_seq	start, end;	/* sequence range held out of order */
		bool	fin;		/* it ends with the peer's FIN */
	}		ofo[TM_OFO_MAX];	/* tcp_data_queue_ofo(), bounded */
	uint8_t		nofo;
	tm_time		last_rcv;	/* last segment received (keepalive idle) */
	tm_time		last_oow_ack;	/* RFC 5961 / out-of-window ACK limit */
	uint32_t	ts_recent;
	tm_time		ts_recent_stamp;
	uint32_t	ts_off;
	struct tm_sockopts opt;
	tm_time		deadline[TM_T_MAX];
	/* Listener. */
	int		backlog;	/* sk_max_ack_backlog */
	int		ack_backlog;	/* children in the accept queue */
	int		qlen, young;	/* request sockets, never-retransmitted ones */
	tm_time		last_overflow;	/* syncookies: recent overflow */
	bool		overflowed;
};

/* A request socket (NEW_SYN_RECV). */
struct tm_reqsk {
	uint32_t	id;
	uint32_t	listener;
	struct tm_addr	laddr, raddr;
	uint16_t	lport, rport;
	tm_seq		iss, irs;
	uint8_t		num_timeout;
	bool		acked;		/* 3rd ACK dropped because the accept queue was full */
	bool		has_ts, has_sack, has_ws;
	uint16_t	peer_mss;
	uint8_t		peer_wscale;
	uint32_t	ts_recent, ts_off;
	tm_time		deadline;
	tm_time		born;
	tm_time		last_oow_ack;
};

/* A timewait socket with its substate (FIN_WAIT2 or TIME_WAIT). */
struct tm_twsk {
	uint32_t	id;
	enum tm_state	substate;
	struct tm_addr	laddr, raddr;
	uint16_t	lport, rport;
	tm_seq		snd_nxt, rcv_nxt;
	uint32_t	rcv_wnd;
	uint8_t		rcv_wscale;	/* our window scale as agreed (0: none) */
	bool		has_ts;
	uint32_t	ts_recent, ts_off;
	tm_time		ts_recent_stamp;
	tm_time		deadline;
	tm_time		last_oow_ack;
	uint32_t	from_conn;	/* id of the full socket it replaced */
};

/*
 * One TCP stack with one address.  Pools are caller-provided (tm_host_init)
 * so tm_step() never allocates; when a pool is full the step behaves as the
 * kernel does on allocation failure (drops the SYN, skips TIME_WAIT with
 * TcpExtTCPTimeWaitOverflow).
 */
struct tm_host {
	uint16_t	 index;		/* endpoint number in the world */
	struct tm_addr	 addr;
	uint64_t	 key[2];	/* secret for ISN, cookies, timestamps */
	struct tm_conn	*conns;
	struct tm_reqsk	*reqs;
	struct tm_twsk	*tws;
	uint32_t	 nconns, nreqs, ntws;	/* pool sizes */
	/*
	 * Slots at or above these were never used, so lookups stop there.
	 * tm_step() raises them; code that places objects in the pools by
	 * hand (tests) must raise them too.
	 */
	uint32_t	 hw_conns, hw_reqs, hw_tws;
	uint32_t	 next_id;
	uint16_t	 next_port;	/* ephemeral port cursor */
	uint32_t	 ntw_live;
	uint32_t	 acq_counter;
	uint64_t	 counters[TM_C_MAX];
	tm_time		 chal_window;	/* global challenge ACK limit window */
	int		 chal_count;
};

/*
 * Initialise *h with the given pools (zeroed here), address and secret key.
 * The host keeps pointers to the pools; they must outlive it.
 */
void	tm_host_init(struct tm_host *h, uint16_t index, const struct tm_addr *addr,
	    uint64_t key0, uint64_t key1, struct tm_conn *conns, uint32_t nconns,
	    struct tm_reqsk *reqs, uint32_t nreqs, struct tm_twsk *tws, uint32_t ntws);

/*
 * Process one event.  Appends effects (with at = ev->at and host = h->index)
 * to *out.  Returns 0; -1 only when the event itself is malformed (unknown
 * kind), with an TM_FX_ERROR record appended.  Application errors are
 * TM_FX_APP records with err set, not failures of tm_step().
 */
int	tm_step(const struct tm_profile *p, struct tm_host *h, const struct tm_event *ev,
	    struct tm_fxbuf *out);

/* Look up objects by id (NULL if gone). */
struct tm_conn	*tm_host_conn(struct tm_host *h, uint32_t id);
struct tm_reqsk	*tm_host_req(struct tm_host *h, uint32_t id);
struct tm_twsk	*tm_host_tw(struct tm_host *h, uint32_t id);
/*
 * Whether a timer event (TM_EV_TIMER) finds its timer armed and due: false
 * means tm_step() would do nothing with it (the timer was stopped or moved
 * later, or its object is gone), so a caller may skip the step.
 */
bool	tm_timer_due(struct tm_host *h, const struct tm_event *ev);
/* Earliest armed deadline of any object on the host, TM_TIME_INF if none. */
tm_time	tm_host_next_deadline(const struct tm_host *h);
/* Live objects (full sockets not CLOSE, requests, timewait). */
unsigned int tm_host_live(const struct tm_host *h);

/* ---- ISN (RFC 6528 with Linux's clock) ---- */

/*
 * keyed_hash(saddr, daddr, sport, dport; key) + clock, where the clock is
 * t >> isn_shift (linux: 64 ns ticks, net/core/secure_seq.c seq_scale()) or
 * t / isn_tick_ns.  The hash is SipHash-2-4 over the 4-tuple.
 */
tm_seq	tm_isn(const struct tm_profile *p, const uint64_t key[2], const struct tm_addr *saddr,
	    const struct tm_addr *daddr, uint16_t sport, uint16_t dport, tm_time now);
/*
 * tm_isn(), and the tuple's timestamp offset in *ts_off (if not NULL): the
 * high 32 bits of the same hash (Linux derives both from per-tuple hashes,
 * secure_tcp_seq_and_ts_off()).
 */
tm_seq	tm_isn_ts(const struct tm_profile *p, const uint64_t key[2], const struct tm_addr *saddr,
	    const struct tm_addr *daddr, uint16_t sport, uint16_t dport, tm_time now,
	    uint32_t *ts_off);
/* The clock-free part: the keyed hash of the 4-tuple. */
uint64_t tm_tuple_hash(const uint64_t key[2], const struct tm_addr *saddr,
	    const struct tm_addr *daddr, uint16_t sport, uint16_t dport);
uint64_t tm_siphash(const uint64_t key[2], const void *data, size_t len);

/* ---- The model's answers for analyzers and explain ---- */

/* What a socket's context is when asking how long a state can last. */
struct tm_sockctx {
	bool		orphan;		/* close() was called */
	bool		keepalive;	/* SO_KEEPALIVE set */
	struct tm_sockopts opt;		/* per-socket overrides (0 = profile) */
	tm_time		rto;		/* current RTO (0: profile initial) */
};

/*
 * The longest a socket may stay in st under profile p (plus the model's
 * slack: none; the kernel's timer wheel adds up to ~2 s on long timers,
 * KERNEL-FACTS Part B #1).  TM_TIME_INF when nothing in TCP bounds it
 * (ESTABLISHED without keepalive, CLOSE_WAIT, a non-orphan FIN_WAIT2).
 * ctx may be NULL (defaults: not orphan, no keepalive).
 */
tm_time	tm_state_max_lifetime(const struct tm_profile *p, enum tm_state st,
	    const struct tm_sockctx *ctx);

struct tm_state_timer {
	enum tm_timer	 timer;
	tm_time		 first, total;	/* first expiry, total until it gives up */
	const char	*what;		/* what happens when it fires */
};

struct tm_state_info {
	const char	*meaning;	/* what the state is */
	const char	*waits_for;	/* the event that moves it on */
	const char	*leaves_by;	/* how a socket leaves it */
	const char	*pile_means;	/* what many of them mean */
};

/* Canned text for a state; never NULL for 1..TM_STATE_MAX-1. */
const struct tm_state_info *tm_state_info(enum tm_state st);
/* The events a state waits for (bitmask of 1 << enum tm_event_id), from the table. */
uint32_t tm_state_waits(const struct tm_profile *p, enum tm_state st);
/* The timers that run in st and their lengths under p; returns the count. */
size_t	tm_state_timers(const struct tm_profile *p, enum tm_state st,
	    const struct tm_sockctx *ctx, struct tm_state_timer *out, size_t max);

/*
 * The SYN schedule, one model for the timers of tm_step() (timer.c), sim,
 * explain and tune --audit.  Linux 6.5+ (net/ipv4/tcp_timer.c):
 * tcp_connect() stamps retrans_stamp with the first SYN; each expiry of the
 * retransmission timer first asks tcp_write_timeout() whether to give up
 * (tm_syn_expired()), else retransmits and tcp_retransmit_timer() sets the
 * next RTO (tm_syn_next_rto()): unchanged for the first
 * tcp_syn_linear_timeouts retransmissions, then doubling up to TCP_RTO_MAX.
 * With TCP_TIMEOUT_INIT = 1 s and 4 linear timeouts, tcp_syn_retries = 1, 2
 * and 6 give up at 3, 7 and 131 s; with 0 linear timeouts at 3, 7, 127 s.
 */
/*
 * tcp_write_timeout() for SYN_SENT (syn_sent) or a simultaneous-open
 * SYN_RECV socket: give up when the retransmissions reach syncnt (the
 * TCP_SYNCNT option, or tcp_syn_retries when 0) plus, in SYN_SENT,
 * tcp_syn_linear_timeouts; or, once one retransmission was made, when
 * elapsed (since the first SYN) reaches retransmits_timed_out()'s bound:
 * user_timeout if set, else tcp_model_timeout(syncnt, TCP_TIMEOUT_INIT).
 */
bool	tm_syn_expired(const struct tm_profile *p, int syncnt, bool syn_sent,
	    unsigned int retransmits, tm_time elapsed, tm_time user_timeout);
/* tcp_retransmit_timer(): the RTO after retransmission number total_rto. */
tm_time	tm_syn_next_rto(const struct tm_profile *p, bool syn_sent, unsigned int total_rto,
	    tm_time rto);
/* Time of the k-th SYN retransmission (k >= 1) after the first SYN. */
tm_time	tm_syn_rtx_at(const struct tm_profile *p, unsigned int k);
/* The number of SYN retransmissions before connect() fails. */
unsigned int tm_syn_rtx_count(const struct tm_profile *p);
/* When connect() fails with ETIMEDOUT after the first SYN (no answer at all). */
tm_time	tm_syn_giveup(const struct tm_profile *p);
/* Time of the k-th SYN-ACK retransmission, and when the request is dropped. */
tm_time	tm_synack_rtx_at(const struct tm_profile *p, unsigned int k);
tm_time	tm_synack_giveup(const struct tm_profile *p);
/* tcp_fin_time(): max(linger2 or fin_timeout, 3.5 * rto). */
tm_time	tm_fin_time(const struct tm_profile *p, int64_t linger2_s, tm_time rto);
/* Time from the first unacked (re)transmission to ETIMEDOUT (retries2). */
tm_time	tm_retries_timeout(const struct tm_profile *p, int retries, tm_time rto_base);

#endif /* TD_TCP_TM_H */
