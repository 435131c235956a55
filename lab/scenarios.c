/* SPDX-License-Identifier: MIT */
/*
 * The conformance scenarios: the observed sequences of KERNEL-FACTS.md
 * Part C (T1-T7, E2, E4) as step lists, with long timers shortened through
 * per-namespace sysctls and socket options.  Expectations come from the
 * facts and the kernel sources they cite, never from a previous run.
 * Syntax: lab/runner.h.  Peer SYNs carry mss, sackOK and wscale and no
 * timestamps, as in the lab runs, so the kernel sends no timestamps after
 * the handshake.
 */
#include "lab/runner.h"

#include "core/tcpstate.h"

#include <errno.h>
#include <string.h>

#define SYSCTL(n, v)		{ .op = KS_SYSCTL, .s1 = (n), .s2 = (v) }
#define LISTEN(b)		{ .op = KS_LISTEN, .n = (b) }
#define CONNECT(c_)		{ .op = KS_CONNECT, .c = (c_) }
#define ACCEPT(c_)		{ .op = KS_ACCEPT, .c = (c_) }
#define SEND(c_, n_)		{ .op = KS_SEND, .c = (c_), .n = (n_) }
#define SHUTDOWN(c_)		{ .op = KS_SHUTDOWN, .c = (c_), .n = 1 }
#define SHUTDOWN_HOW(c_, h)	{ .op = KS_SHUTDOWN, .c = (c_), .n = (h) }
#define RECV(c_, r)		{ .op = KS_RECV, .c = (c_), .n = (r) }
#define CLOSE(c_)		{ .op = KS_CLOSE, .c = (c_) }
#define SOCKOPT(c_, o, v)	{ .op = KS_SOCKOPT, .c = (c_), .s1 = (o), .n = (v) }
#define SOERROR(c_, e)		{ .op = KS_SOERROR, .c = (c_), .n = (e) }
#define IN(c_, s)		{ .op = KS_IN, .c = (c_), .seg = (s) }
#define OUT(ms_, c_, s)		{ .op = KS_OUT, .c = (c_), .ms = (ms_), .seg = (s) }
#define QUIET(ms_)		{ .op = KS_QUIET, .ms = (ms_) }
#define SS(c_, st, t)		{ .op = KS_SS, .c = (c_), .s1 = (st), .n = (t) }
#define NSTAT(name, v)		{ .op = KS_NSTAT, .s1 = (name), .n = (v) }
#define ISN_CLOCK(c_)		{ .op = KS_ISN_CLOCK, .c = (c_) }
#define GETOPT(c_, o, v)	{ .op = KS_GETOPT, .c = (c_), .s1 = (o), .n = (v) }
#define BLOCK(c_, call)		{ .op = KS_BLOCK, .c = (c_), .s1 = (call) }
#define BLOCKED(c_)		{ .op = KS_BLOCKED, .c = (c_) }
#define RETURNED(c_, v)		{ .op = KS_RETURNED, .c = (c_), .n = (v) }
#define CONNECT_NB(c_)		{ .op = KS_CONNECT, .c = (c_), .n = -EINPROGRESS }
#define SEND_ERR(c_, n_, e)	{ .op = KS_SEND, .c = (c_), .n = (n_), .s1 = (e) }
#define ACCEPT_ERR(c_, e)	{ .op = KS_ACCEPT, .c = (c_), .n = -(e) }
#define END			{ .op = KS_END }

#define PEER_SYN	"S 0 0 0 mss,sackok,ws"
#define KERNEL_SA	"S. 0 1 0 mss,sackok,ws"

/* Passive open of connection c, accepted. */
#define HANDSHAKE(c_)							\
	IN(c_, PEER_SYN), OUT(0, c_, KERNEL_SA), IN(c_, ". 1 1 0"), ACCEPT(c_)

/* Passive open of connection c, not accepted. */
#define OPEN(c_)							\
	IN(c_, PEER_SYN), OUT(0, c_, KERNEL_SA), IN(c_, ". 1 1 0")

/* ---- Opening ---- */

/* Part B #4: the trace shows LISTEN>SYN_RECV>ESTABLISHED at the third ACK. */
static const struct lab_step handshake[] = {
	LISTEN(8),
	HANDSHAKE(0),
	SS(0, "ESTABLISHED", 0),
	END
};

/* Part B #16: the third ACK is lost; the SYN-ACK is retransmitted and the ACK to it completes. */
static const struct lab_step lost_third_ack[] = {
	LISTEN(8),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	SS(0, "SYN_RECV", 0),
	OUT(1000, 0, KERNEL_SA),
	IN(0, ". 1 1 0"),
	ACCEPT(0),
	SS(0, "ESTABLISHED", 0),
	END
};

/* Part B #16: the third ACK is lost and the first data segment completes the handshake. */
static const struct lab_step data_on_third_ack[] = {
	LISTEN(8),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	IN(0, "P. 1 1 15"),
	OUT(0, 0, ". 1 16 0"),
	ACCEPT(0),
	SS(0, "ESTABLISHED", 0),
	END
};

/* T1 / Part B #5, #6: SYN-ACK at 0, 1, 3 s (tcp_synack_retries=2), dropped at 7 s without a RST. */
static const struct lab_step synack_expiry[] = {
	SYSCTL("net.ipv4.tcp_synack_retries", "2"),
	LISTEN(8),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	OUT(1000, 0, KERNEL_SA),
	OUT(2000, 0, KERNEL_SA),
	SS(0, "SYN_RECV", 0),
	QUIET(4500),
	SS(0, "none", 0),
	IN(0, ". 1 1 0"),
	OUT(0, 0, "R 1 - 0"),
	END
};

/*
 * T2 / Part B #8: listen(1) holds two children.  The third ACK of c2 is
 * dropped while the queue is full, a new SYN (c3) gets nothing, c2's
 * SYN-ACK keeps being retransmitted and the ACK to it completes once
 * accept() made room.
 */
static const struct lab_step accept_queue_full[] = {
	SYSCTL("net.ipv4.tcp_syncookies", "0"),
	LISTEN(1),
	OPEN(0),
	IN(1, PEER_SYN), OUT(0, 1, KERNEL_SA),
	IN(2, PEER_SYN), OUT(0, 2, KERNEL_SA),
	IN(1, "P. 1 1 15"), OUT(0, 1, ". 1 16 0"),
	IN(2, ". 1 1 0"),
	IN(3, PEER_SYN),
	SS(2, "SYN_RECV", 0),
	OUT(1000, 2, KERNEL_SA),
	IN(2, ". 1 1 0"),
	ACCEPT(0),
	OUT(2000, 2, KERNEL_SA),
	IN(2, ". 1 1 0"),
	SS(2, "ESTABLISHED", 0),
	SS(3, "none", 0),
	NSTAT("TcpExtListenOverflows", 3),
	NSTAT("TcpExtListenDrops", 3),
	END
};

/* T2 with tcp_abort_on_overflow=1: the third ACK that finds the queue full gets a RST. */
static const struct lab_step accept_queue_abort[] = {
	SYSCTL("net.ipv4.tcp_syncookies", "0"),
	SYSCTL("net.ipv4.tcp_abort_on_overflow", "1"),
	LISTEN(1),
	OPEN(0),
	IN(1, PEER_SYN), OUT(0, 1, KERNEL_SA),
	IN(2, PEER_SYN), OUT(0, 2, KERNEL_SA),
	IN(1, ". 1 1 0"),
	IN(2, ". 1 1 0"),
	OUT(0, 2, "R 1 - 0"),
	SS(2, "none", 0),
	END
};

/*
 * T6 / Part B #9: listen(1); the third SYN finds the SYN queue full.
 * Spaced 200 ms apart so that the retransmissions come in a fixed order.
 */
#define SYN_QUEUE_FILL							\
	LISTEN(1),							\
	IN(0, PEER_SYN), OUT(0, 0, KERNEL_SA), QUIET(200),		\
	IN(1, PEER_SYN), OUT(0, 1, KERNEL_SA), QUIET(200)

static const struct lab_step syncookies0[] = {
	SYSCTL("net.ipv4.tcp_syncookies", "0"),
	SYN_QUEUE_FILL,
	IN(2, PEER_SYN),
	OUT(600, 0, KERNEL_SA),
	OUT(200, 1, KERNEL_SA),
	SS(2, "none", 0),
	NSTAT("TcpExtTCPReqQFullDrop", 1),
	NSTAT("TcpExtListenDrops", 1),
	NSTAT("TcpExtSyncookiesSent", 0),
	END
};

/* Cookie SYN-ACK: MSS only (no timestamps in the SYN), never retransmitted. */
static const struct lab_step syncookies1[] = {
	SYSCTL("net.ipv4.tcp_syncookies", "1"),
	SYN_QUEUE_FILL,
	IN(2, PEER_SYN),
	OUT(0, 2, "S. 0 1 0 mss"),
	IN(2, ". 1 1 0"),
	SS(2, "ESTABLISHED", 0),
	OUT(600, 0, KERNEL_SA),
	OUT(200, 1, KERNEL_SA),
	OUT(1800, 0, KERNEL_SA),
	OUT(200, 1, KERNEL_SA),
	NSTAT("TcpExtSyncookiesSent", 1),
	NSTAT("TcpExtSyncookiesRecv", 1),
	NSTAT("TcpExtTCPReqQFullDoCookies", 1),
	END
};

static const struct lab_step syncookies2[] = {
	SYSCTL("net.ipv4.tcp_syncookies", "2"),
	LISTEN(1),
	IN(0, PEER_SYN), OUT(0, 0, "S. 0 1 0 mss"),
	IN(1, PEER_SYN), OUT(0, 1, "S. 0 1 0 mss"),
	IN(2, PEER_SYN), OUT(0, 2, "S. 0 1 0 mss"),
	QUIET(1500),
	IN(1, ". 1 1 0"),
	SS(1, "ESTABLISHED", 0),
	SS(0, "none", 0),
	NSTAT("TcpExtSyncookiesSent", 3),
	NSTAT("TcpExtSyncookiesRecv", 1),
	END
};

/*
 * T7 / Part B #7: with TCP_SYNCNT=2 the SYN is retransmitted at 1, 2, 3, 4,
 * 5 s (linear timeouts) and the connection fails at 7 s: besides the count
 * (syncnt + tcp_syn_linear_timeouts), tcp_write_timeout() also bounds SYN_SENT
 * by time, retransmits_timed_out(sk, syncnt) = ((2 << syncnt) - 1) * 1 s.
 */
static const struct lab_step syn_timeout[] = {
	SOCKOPT(0, "syncnt", 2),
	CONNECT(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	OUT(1000, 0, "S 0 - 0 mss,sackok,ts,ws"),
	OUT(1000, 0, "S 0 - 0 mss,sackok,ts,ws"),
	OUT(1000, 0, "S 0 - 0 mss,sackok,ts,ws"),
	OUT(1000, 0, "S 0 - 0 mss,sackok,ts,ws"),
	OUT(1000, 0, "S 0 - 0 mss,sackok,ts,ws"),
	SS(0, "SYN_SENT", 2000),
	QUIET(2300),
	SOERROR(0, 110),
	SS(0, "none", 0),
	END
};

/*
 * T7 / Part B #20: an old duplicate SYN-ACK gets a RST (seq = its ACK) and
 * SYN_SENT stays; tcp_rcv_synsent_state_process() also re-arms the
 * retransmission timer to TCP_TIMEOUT_MIN (2 jiffies) when nothing was
 * retransmitted yet ("Previous FIN/ACK or RST/ACK might be ignored"), so
 * the SYN goes out again ~8 ms later.  The right SYN-ACK then completes.
 */
static const struct lab_step old_synack[] = {
	CONNECT(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	IN(0, "S. 0 1000 0 mss,sackok,ws"),
	OUT(0, 0, "R 1000 - 0"),
	OUT(8, 0, "S 0 - 0 mss,sackok,ts,ws"),
	SS(0, "SYN_SENT", 0),
	IN(0, "S. 0 1 0 mss,sackok,ws"),
	OUT(0, 0, ". 1 1 0"),
	SS(0, "ESTABLISHED", 0),
	END
};

/*
 * T7 / Part B #15: crossed SYNs; SYN-ACK with the same ISN (and, unlike a
 * listener's, with a timestamp although the peer's SYN had none), then a
 * D-SACK ACK.
 */
static const struct lab_step simultaneous_open[] = {
	CONNECT(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	IN(0, PEER_SYN),
	OUT(0, 0, "S. 0 1 0 mss,sackok,ts,ws"),
	SS(0, "SYN_RECV", 0),
	IN(0, "S. 0 1 0 mss,sackok,ws"),
	OUT(0, 0, ". 1 1 0 sack"),
	SS(0, "ESTABLISHED", 0),
	END
};

/* Part B #19: close() in SYN_SENT: no RST, no more SYNs. */
static const struct lab_step close_syn_sent[] = {
	CONNECT(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	CLOSE(0),
	SS(0, "none", 0),
	QUIET(1500),
	END
};

/* ---- Established ---- */

/*
 * T4 / Part B #12, #17, #21: old duplicate data gets a D-SACK; an in-window
 * RST and a SYN get challenge ACKs (0.6 s apart: the 500 ms per-socket
 * limit); keepalive probes SND.UNA-1 at 1 s intervals, then RST and
 * ETIMEDOUT.
 */
static const struct lab_step rfc5961_keepalive[] = {
	LISTEN(8),
	HANDSHAKE(0),
	IN(0, "P. 1 1 10"), OUT(0, 0, ". 1 11 0"),
	QUIET(600),
	IN(0, "P. 1 1 10"), OUT(0, 0, ". 1 11 0 sack"),
	QUIET(600),
	IN(0, "R 511 - 0"), OUT(0, 0, ". 1 11 0"),
	SS(0, "ESTABLISHED", 0),
	QUIET(600),
	IN(0, "S 31 - 0"), OUT(0, 0, ". 1 11 0"),
	QUIET(600),
	SOCKOPT(0, "keepidle", 1),
	SOCKOPT(0, "keepintvl", 1),
	SOCKOPT(0, "keepcnt", 3),
	SOCKOPT(0, "keepalive", 1),
	OUT(1000, 0, ". 0 11 0"),
	OUT(1000, 0, ". 0 11 0"),
	OUT(1000, 0, ". 0 11 0"),
	OUT(1000, 0, "R. 1 11 0"),
	SOERROR(0, 110),
	SS(0, "none", 0),
	NSTAT("TcpExtTCPChallengeACK", 2),
	NSTAT("TcpExtTCPSYNChallenge", 1),
	NSTAT("TcpExtTCPKeepAlive", 3),
	NSTAT("TcpExtTCPAbortOnTimeout", 1),
	END
};

/*
 * TCP_USER_TIMEOUT=1500 ms with unacknowledged data: a tail loss probe
 * (tcp_schedule_loss_probe(): 2 * srtt + TCP_RTO_MIN with one segment out)
 * at ~200 ms, RTO retransmissions at +200, +400, +800 ms, and the connection
 * dies 1.5 s after the first RTO retransmission (retrans_stamp), without a
 * RST (tcp_write_err()).
 */
static const struct lab_step user_timeout[] = {
	LISTEN(8),
	HANDSHAKE(0),
	SOCKOPT(0, "user_timeout", 1500),
	SEND(0, 100),
	OUT(0, 0, "P. 1 1 100"),
	OUT(200, 0, "P. 1 1 100"),
	OUT(200, 0, "P. 1 1 100"),
	OUT(400, 0, "P. 1 1 100"),
	OUT(800, 0, "P. 1 1 100"),
	QUIET(400),
	SOERROR(0, 110),
	SS(0, "none", 0),
	END
};

/* ---- Closing ---- */

/*
 * E1 / Part B #1, #2: close(), the peer ACKs and sends its FIN: TIME_WAIT
 * for 60 s (sock_diag expiry), re-armed by a retransmitted FIN.
 */
static const struct lab_step active_close[] = {
	LISTEN(8),
	HANDSHAKE(0),
	CLOSE(0),
	OUT(0, 0, "F. 1 1 0"),
	IN(0, ". 1 2 0"),
	SS(0, "FIN_WAIT2", 60000),
	IN(0, "F. 1 2 0"),
	OUT(0, 0, ". 2 2 0"),
	SS(0, "TIME_WAIT", 60000),
	QUIET(1500),
	IN(0, "F. 1 2 0"),
	OUT(0, 0, ". 2 2 0"),
	SS(0, "TIME_WAIT", 60000),
	END
};

/* E1: the peer closes first: CLOSE_WAIT until close(), then LAST_ACK. */
static const struct lab_step passive_close[] = {
	LISTEN(8),
	HANDSHAKE(0),
	IN(0, "F. 1 1 0"),
	OUT(0, 0, ". 1 2 0"),
	SS(0, "CLOSE_WAIT", -1),
	CLOSE(0),
	OUT(0, 0, "F. 1 2 0"),
	SS(0, "LAST_ACK", 0),
	IN(0, ". 2 2 0"),
	SS(0, "none", 0),
	END
};

/* T3 / Part B #14: FINs cross: CLOSING, then TIME_WAIT; the trace shows CLOSING>CLOSE. */
#define SIMULTANEOUS_CLOSE						\
	LISTEN(8),							\
	HANDSHAKE(0),							\
	SHUTDOWN(0),							\
	OUT(0, 0, "F. 1 1 0"),						\
	IN(0, "F. 1 1 0"),						\
	OUT(0, 0, ". 2 2 0"),						\
	SS(0, "CLOSING", 0),						\
	IN(0, ". 2 2 0"),						\
	SS(0, "TIME_WAIT", 60000)

/* T3: our last ACK "lost": the retransmitted FIN is ACKed again and re-arms 60 s. */
static const struct lab_step simultaneous_close[] = {
	SIMULTANEOUS_CLOSE,
	QUIET(1500),
	IN(0, "F. 1 2 0"),
	OUT(0, 0, ". 2 2 0"),
	SS(0, "TIME_WAIT", 60000),
	END
};

/* T3 / Part B #10: rfc1337=0: an RST with seq == RCV.NXT kills TIME_WAIT. */
static const struct lab_step tw_rst[] = {
	SYSCTL("net.ipv4.tcp_rfc1337", "0"),
	SIMULTANEOUS_CLOSE,
	IN(0, "R 2 - 0"),
	SS(0, "none", 0),
	IN(0, ". 2 2 0"),
	OUT(0, 0, "R 2 - 0"),
	END
};

/* T3: rfc1337=1: the RST is ignored, TIME_WAIT stays and a bare ACK gets no reply. */
static const struct lab_step tw_rst_rfc1337[] = {
	SYSCTL("net.ipv4.tcp_rfc1337", "1"),
	SIMULTANEOUS_CLOSE,
	IN(0, "R 2 - 0"),
	SS(0, "TIME_WAIT", 60000),
	IN(0, ". 2 2 0"),
	QUIET(300),
	END
};

/* T3 / Part B #11: a new SYN above RCV.NXT reopens; ISN = old snd_nxt + 65535 + 2. */
static const struct lab_step tw_syn[] = {
	SIMULTANEOUS_CLOSE,
	IN(0, "S 100002 - 0 mss,sackok,ws"),
	OUT(0, 0, "S. 65539 100003 0 mss,sackok,ws"),
	SS(0, "SYN_RECV", 0),
	END
};

/*
 * E2 / Part B #3: shutdown(SHUT_WR) leaves FIN_WAIT2 without a timer;
 * close() makes it a timewait socket in FIN_WAIT2 for tcp_fin_timeout (3 s),
 * which expires silently; later segments find only the listener.
 */
static const struct lab_step fin_wait2_orphan[] = {
	SYSCTL("net.ipv4.tcp_fin_timeout", "3"),
	LISTEN(8),
	HANDSHAKE(0),
	SHUTDOWN(0),
	OUT(0, 0, "F. 1 1 0"),
	IN(0, ". 1 2 0"),
	SS(0, "FIN_WAIT2", -1),
	QUIET(1000),
	CLOSE(0),
	SS(0, "FIN_WAIT2", 3000),
	QUIET(3600),
	SS(0, "none", 0),
	IN(0, "P. 1 2 5"),
	OUT(0, 0, "R 2 - 0"),
	END
};

/* E2 with TCP_LINGER2=2 on the socket instead of the sysctl. */
static const struct lab_step fin_wait2_linger2[] = {
	LISTEN(8),
	HANDSHAKE(0),
	SOCKOPT(0, "linger2", 2),
	CLOSE(0),
	OUT(0, 0, "F. 1 1 0"),
	IN(0, ". 1 2 0"),
	SS(0, "FIN_WAIT2", 2000),
	QUIET(2600),
	SS(0, "none", 0),
	END
};

/*
 * The peer closes first and never ACKs our FIN: LAST_ACK retransmits it
 * (a tail loss probe, then the RTO), until the ACK ends it.
 */
static const struct lab_step last_ack_rtx[] = {
	LISTEN(8),
	HANDSHAKE(0),
	IN(0, "F. 1 1 0"),
	OUT(0, 0, ". 1 2 0"),
	CLOSE(0),
	OUT(0, 0, "F. 1 2 0"),
	OUT(200, 0, "F. 1 2 0"),
	OUT(200, 0, "F. 1 2 0"),
	IN(0, ". 2 2 0"),
	SS(0, "none", 0),
	END
};

/* E1 with the kernel as the client: active open, then active close to TIME_WAIT. */
static const struct lab_step client_close[] = {
	CONNECT(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	IN(0, "S. 0 1 0 mss,sackok,ws"),
	OUT(0, 0, ". 1 1 0"),
	SS(0, "ESTABLISHED", 0),
	CLOSE(0),
	OUT(0, 0, "F. 1 1 0"),
	IN(0, ". 1 2 0"),
	IN(0, "F. 1 2 0"),
	OUT(0, 0, ". 2 2 0"),
	SS(0, "TIME_WAIT", 60000),
	END
};

/* Part B #12: an in-window RST that is not exact, to a request socket: a challenge ACK. */
static const struct lab_step rst_syn_recv[] = {
	LISTEN(8),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	IN(0, "R 5 - 0"),
	OUT(0, 0, ". 1 1 0"),
	SS(0, "SYN_RECV", 0),
	IN(0, "R 1 - 0"),
	SS(0, "none", 0),
	END
};

/*
 * T5 / Part B #13: the kernel connects twice from the same port, 0.5 s
 * apart (refused with a RST in between); the ISNs differ by the elapsed time
 * in 64 ns ticks.
 */
static const struct lab_step isn_clock[] = {
	CONNECT(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	IN(0, "R. 0 1 0"),
	SOERROR(0, 111),
	CLOSE(0),
	QUIET(500),
	CONNECT(0),
	OUT(0, 0, "S - - 0 mss,sackok,ts,ws"),
	ISN_CLOCK(0),
	IN(0, "R. 0 1 0"),
	END
};

/* ---- Linux behaviours the model once got wrong (issue 16) ---- */

/*
 * tcp_fin() enters pingpong mode (inet_csk_enter_pingpong_mode()) and only
 * schedules the ACK, so once data has been received (tcp_event_data_recv()
 * set icsk_ack.ato to TCP_ATO_MIN) the ACK of the FIN waits for the
 * delayed-ACK timer (tcp_send_delayed_ack(), 40 ms): c0 closes within that
 * time and its FIN carries the ACK, one F.; c1 does not close, and the bare
 * ACK comes at 40 ms.
 */
static const struct lab_step fin_delack[] = {
	LISTEN(8),
	HANDSHAKE(0),
	HANDSHAKE(1),
	IN(0, "P. 1 1 10"), OUT(0, 0, ". 1 11 0"),
	RECV(0, 10),
	IN(0, "F. 11 1 0"),
	CLOSE(0),
	OUT(0, 0, "F. 1 12 0"),
	IN(0, ". 12 2 0"),
	SS(0, "none", 0),
	IN(1, "P. 1 1 10"), OUT(0, 1, ". 1 11 0"),
	IN(1, "F. 11 1 0"),
	OUT(40, 1, ". 1 12 0"),
	SS(1, "CLOSE_WAIT", 0),
	END
};

/*
 * tcp_recvmsg_locked(): with nothing queued, RCV_SHUTDOWN (set by
 * inet_shutdown() for SHUT_RD and SHUT_RDWR) ends the read with 0, end of
 * file, before a non-blocking socket's EAGAIN; data queued before the
 * shutdown is still read first.  SHUT_RD alone sends nothing (tcp_shutdown()
 * acts on SEND_SHUTDOWN only); SHUT_RDWR sends the FIN.
 */
static const struct lab_step recv_shut_rd[] = {
	LISTEN(8),
	HANDSHAKE(0),
	HANDSHAKE(1),
	RECV(0, -11),
	IN(0, "P. 1 1 10"), OUT(0, 0, ". 1 11 0"),
	SHUTDOWN_HOW(0, 0),
	QUIET(100),
	RECV(0, 10),
	RECV(0, 0),
	SS(0, "ESTABLISHED", 0),
	SHUTDOWN_HOW(1, 2),
	OUT(0, 1, "F. 1 1 0"),
	IN(1, ". 1 2 0"),
	RECV(1, 0),
	SS(1, "FIN_WAIT2", 0),
	END
};

/*
 * inet_shutdown() with SHUT_RD (or SHUT_RDWR) on a listener calls
 * tcp_disconnect(), which stops it as close() does: LISTEN>CLOSE, then
 * inet_csk_listen_stop() gives every child in the accept queue to
 * tcp_disconnect() (tcp_need_reset(): RST|ACK) and the pending requests are
 * dropped silently; with no listener left, the request's ACK and a new SYN
 * find no socket and get a RST (tcp_v4_send_reset()).
 */
static const struct lab_step listen_shut_rd[] = {
	LISTEN(8),
	OPEN(0),
	IN(1, PEER_SYN), OUT(0, 1, KERNEL_SA),
	SHUTDOWN_HOW(-1, 0),
	OUT(0, 0, "R. 1 1 0"),
	SS(0, "none", 0),
	IN(1, ". 1 1 0"),
	OUT(0, 1, "R 1 - 0"),
	IN(2, PEER_SYN),
	OUT(0, 2, "R. 0 1 0"),
	END
};

/*
 * tcp_v4_timewait_ack() advertises tw_rcv_wnd >> tw_rcv_wscale, the scale
 * the connection agreed (tcp_time_wait() copies rx_opt.rcv_wscale): when
 * the peer's SYN had no window scale, the plain window as on every segment
 * before (RFC 7323 2.2), not one shifted by our wscale of 7 (8192 or more
 * tells a plain window of about 64 KiB from a shifted one).
 */
static const struct lab_step tw_window_noscale[] = {
	LISTEN(8),
	IN(0, "S 0 0 0 mss,sackok"),
	OUT(0, 0, "S. 0 1 0 mss,sackok w>=8192"),
	IN(0, ". 1 1 0"),
	ACCEPT(0),
	CLOSE(0),
	OUT(0, 0, "F. 1 1 0 - w>=8192"),
	IN(0, "F. 1 2 0"),
	OUT(0, 0, ". 2 2 0 - w>=8192"),
	SS(0, "TIME_WAIT", 60000),
	QUIET(500),
	IN(0, "F. 1 2 0"),
	OUT(0, 0, ". 2 2 0 - w>=8192"),
	SS(0, "TIME_WAIT", 60000),
	END
};

/* ---- Cases from the public gVisor packetimpact suite (facts only) ---- */

/*
 * tcp_outside_the_window: a segment beyond the receive window gets a
 * duplicate ACK (tcp_validate_incoming(): tcp_send_dupack()).  The 500 ms
 * limit (tcp_invalid_ratelimit) spares segments with data and no SYN
 * (tcp_oow_rate_limited(): "not likely part of an ACK loop"), which also
 * leave its stamp alone: two data segments get two ACKs, then a bare ACK
 * one, and a second bare ACK at once none.
 */
static const struct lab_step outside_window[] = {
	LISTEN(8),
	HANDSHAKE(0),
	IN(0, "P. 100001 1 10"), OUT(0, 0, ". 1 1 0"),
	IN(0, "P. 100001 1 10"), OUT(0, 0, ". 1 1 0"),
	IN(0, ". 100001 1 0"), OUT(0, 0, ". 1 1 0"),
	IN(0, ". 100001 1 0"),
	QUIET(300),
	SS(0, "ESTABLISHED", 0),
	END
};

/*
 * tcp_close_wait_ack: in CLOSE_WAIT a segment beyond the window gets a
 * duplicate ACK, and one that acknowledges data never sent a challenge ACK
 * (tcp_rcv_state_process(): tcp_ack() < 0 -> tcp_send_challenge_ack());
 * after close() and the ACK of our FIN the socket is gone and data gets a
 * RST.
 */
static const struct lab_step close_wait_ack[] = {
	LISTEN(8),
	HANDSHAKE(0),
	IN(0, "F. 1 1 0"), OUT(0, 0, ". 1 2 0"),
	IN(0, "P. 100002 1 11"), OUT(0, 0, ". 1 2 0"),
	IN(0, "P. 2 5 11"), OUT(0, 0, ". 1 2 0"),
	SS(0, "CLOSE_WAIT", 0),
	CLOSE(0),
	OUT(0, 0, "F. 1 2 0"),
	IN(0, ". 2 2 0"),
	SS(0, "none", 0),
	IN(0, "P. 2 2 11"),
	OUT(0, 0, "R 2 - 0"),
	END
};

/*
 * tcp_noaccept_close_rst: close() on a listener resets the child nobody
 * accepted (inet_csk_listen_stop() -> tcp_disconnect(): RST|ACK) and drops
 * the pending request, whose ACK then finds no socket.
 */
static const struct lab_step listen_close[] = {
	LISTEN(8),
	OPEN(0),
	IN(1, PEER_SYN), OUT(0, 1, KERNEL_SA),
	CLOSE(-1),
	OUT(0, 0, "R. 1 1 0"),
	SS(0, "none", 0),
	IN(1, ". 1 1 0"),
	OUT(0, 1, "R 1 - 0"),
	END
};

/*
 * tcp_acceptable_ack_syn_rcvd: an ACK in SYN_RECV must acknowledge exactly
 * the SYN-ACK (ISN + 1); any other gets a RST with seq = SEG.ACK
 * (tcp_check_req() hands it to the listener, which resets it) and the
 * request stays; the right ACK then completes the handshake.
 */
static const struct lab_step syn_recv_bad_ack[] = {
	LISTEN(8),
	IN(0, PEER_SYN), OUT(0, 0, KERNEL_SA),
	IN(0, ". 1 0 0"), OUT(0, 0, "R 0 - 0"),
	IN(0, ". 1 2 0"), OUT(0, 0, "R 2 - 0"),
	SS(0, "SYN_RECV", 0),
	IN(0, ". 1 1 0"),
	ACCEPT(0),
	SS(0, "ESTABLISHED", 0),
	END
};

/*
 * tcp_synsent_reset (SYN-SENT -> SYN-RCVD -> CLOSED): crossed SYNs put the
 * connecting socket in SYN_RECV; an RST at RCV.NXT then resets it
 * (tcp_reset(): ECONNRESET outside SYN_SENT and CLOSE_WAIT).
 */
static const struct lab_step syn_recv_rst[] = {
	CONNECT(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	IN(0, PEER_SYN),
	OUT(0, 0, "S. 0 1 0 mss,sackok,ts,ws"),
	IN(0, "R 1 - 0"),
	SS(0, "none", 0),
	SOERROR(0, 104),
	END
};

/*
 * Scenarios written in the script language of `sim -f` (sim/sim.h),
 * compiled by the caller (cmd/sim_kernel.c sim_xscript_of()) into the
 * runner's steps and judged line by line; steps holds no step then.
 */
static const struct lab_step script_only[] = { END };

/* Part B #18: close() with unread data sends RST. */
static const char close_unread_sim[] =
	"# close() with unread data sends RST, not FIN (tcp_close() in\n"
	"# net/ipv4/tcp.c: data_was_unread -> tcp_send_active_reset(); RFC 2525\n"
	"# 2.17).  The conformance scenario close-unread, as a script: the kernel\n"
	"# and the model are judged on the same lines.\n"
	"host server 198.18.0.2\n"
	"at 0 server listen 20000 as L\n"
	"at 0 inject 198.18.0.9:20001>server:20000 S seq 1000 mss 1460 sackOK wscale 7\n"
	"at 0.1 inject 198.18.0.9:20001>server:20000 . seq 1 ack 1\n"
	"at 0.15 server accept L as s\n"
	"at 0.2 inject 198.18.0.9:20001>server:20000 P. seq 1 ack 1 len 10\n"
	"at 0.3 server close s\n"
	"expect 0.01 server sends S. seq 0 ack 1 len 0 opts mss,sackOK,wscale\n"
	"expect 0.15 server accept s = 0\n"
	"expect 0.11 server state s ESTABLISHED\n"
	"expect 0.21 server sends . seq 1 ack 11 len 0\n"
	"expect 0.3 server sends R. seq 1 ack 11 len 0\n"
	"expect 0.3 server state s CLOSE\n"
	"expect nothing until 1\n";

/* Part B #18: SO_LINGER {1, 0}: close() aborts with a RST at once. */
static const char close_linger0_sim[] =
	"# SO_LINGER {1, 0}: close() aborts at once with a RST (tcp_close():\n"
	"# sock_flag(sk, SOCK_LINGER) && !sk->sk_lingertime ->\n"
	"# tcp_send_active_reset()).  The conformance scenario close-linger0, as a\n"
	"# script.\n"
	"host server 198.18.0.2\n"
	"at 0 server listen 20000 as L\n"
	"at 0 inject 198.18.0.9:20001>server:20000 S seq 1000 mss 1460 sackOK wscale 7\n"
	"at 0.1 inject 198.18.0.9:20001>server:20000 . seq 1 ack 1\n"
	"at 0.15 server accept L as s\n"
	"at 0.2 server setsockopt s linger0 1\n"
	"at 0.2 server close s\n"
	"expect 0.01 server sends S. seq 0 ack 1 len 0 opts mss,sackOK,wscale\n"
	"expect 0.2 server sends R. seq 1 ack 1 len 0\n"
	"expect 0.2 server state s CLOSE\n"
	"expect nothing until 1\n";

/* T4: an exact RST resets ESTABLISHED; SO_ERROR is ECONNRESET. */
static const char rst_established_sim[] =
	"# An RST at exactly RCV.NXT resets ESTABLISHED (RFC 5961 3.2; RFC 9293\n"
	"# 3.10.7.4): the socket closes and the application reads ECONNRESET\n"
	"# (tcp_reset()).  The conformance scenario rst-established, as a script.\n"
	"host server 198.18.0.2\n"
	"at 0 server listen 20000 as L\n"
	"at 0 inject 198.18.0.9:20001>server:20000 S seq 1000 mss 1460 sackOK wscale 7\n"
	"at 0.1 inject 198.18.0.9:20001>server:20000 . seq 1 ack 1\n"
	"at 0.15 server accept L as s\n"
	"at 0.2 inject 198.18.0.9:20001>server:20000 R seq 1\n"
	"expect 0.01 server sends S. seq 0 ack 1 len 0 opts mss,sackOK,wscale\n"
	"expect 0.21 server state s CLOSE\n"
	"expect 0.3 server so_error s = ECONNRESET\n"
	"expect nothing until 1\n";

/* ---- Socket calls, from the public packetdrill and gVisor suites (facts only) ---- */

/*
 * packetdrill gtests/net/tcp/blocking/blocking-connect.pkt: a blocking
 * connect() sleeps in inet_wait_for_connect() until the SYN-ACK moves the
 * socket to ESTABLISHED, then returns 0.
 */
static const struct lab_step blocking_connect[] = {
	BLOCK(0, "connect"),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	QUIET(100),
	BLOCKED(0),
	IN(0, "S. 0 1 0 mss,sackok,ws"),
	OUT(0, 0, ". 1 1 0"),
	RETURNED(0, 0),
	GETOPT(0, "tcpi_state", TD_ST_ESTABLISHED),
	GETOPT(0, "so_error", 0),
	END
};

/*
 * packetdrill gtests/net/tcp/blocking/blocking-accept.pkt: a blocking
 * accept() sleeps in inet_csk_wait_for_connect() through the SYN and the
 * SYN-ACK, returns the child at the third ACK, and the child sends.
 */
static const struct lab_step blocking_accept[] = {
	LISTEN(1),
	BLOCK(0, "accept"),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	BLOCKED(0),
	IN(0, ". 1 1 0"),
	RETURNED(0, 0),
	SEND(0, 100),
	OUT(0, 0, "P. 1 1 100"),
	IN(0, ". 1 101 0"),
	GETOPT(0, "siocoutq", 0),
	END
};

/*
 * packetdrill gtests/net/tcp/blocking/blocking-read.pkt: a blocking read()
 * sleeps in sk_wait_data() until data comes, returns it, and a second one
 * returns 0 at the peer's FIN (whose ACK, after data, the delayed-ACK timer
 * sends, as T8).
 */
static const struct lab_step blocking_read[] = {
	LISTEN(8),
	HANDSHAKE(0),
	BLOCK(0, "recv"),
	QUIET(100),
	BLOCKED(0),
	IN(0, "P. 1 1 100"),
	OUT(0, 0, ". 1 101 0"),
	RETURNED(0, 100),
	BLOCK(0, "recv"),
	IN(0, "F. 101 1 0"),
	RETURNED(0, 0),
	OUT(40, 0, ". 1 102 0"),
	SS(0, "CLOSE_WAIT", 0),
	END
};

/*
 * packetdrill gtests/net/tcp/ioctl/ioctl-siocinq-fin.pkt: SIOCINQ
 * (tcp_ioctl() -> tcp_inq()) counts the bytes not yet read, and not the
 * peer's FIN ("Subtract 1, if FIN was received").  Unlike the script's
 * kernel, 6.18 does not ACK the data-carrying FIN at once (tcp_fin() enters
 * pingpong mode, as T8); the read() of its 1000 bytes sends the ACK
 * (tcp_cleanup_rbuf(): rcv_nxt - rcv_wup, 1001, exceeds the 1000-byte
 * rcv_mss that tcp_measure_rcv_mss() learnt).
 */
static const struct lab_step siocinq_fin[] = {
	LISTEN(8),
	HANDSHAKE(0),
	GETOPT(0, "siocinq", 0),
	IN(0, "P. 1 1 1000"),
	OUT(0, 0, ". 1 1001 0"),
	GETOPT(0, "siocinq", 1000),
	RECV(0, 1000),
	GETOPT(0, "siocinq", 0),
	IN(0, "FP. 1001 1 1000"),
	QUIET(5),
	GETOPT(0, "siocinq", 1000),
	RECV(0, 1000),
	OUT(0, 0, ". 1 2002 0"),
	GETOPT(0, "siocinq", 0),
	RECV(0, 0),
	GETOPT(-1, "siocinq", -EINVAL),
	END
};

/*
 * gVisor packetimpact tcp_queue_send_recv_in_syn_sent_test.go, with a
 * non-blocking socket: connect() gives EINPROGRESS, send() in SYN_SENT
 * gives EAGAIN (tcp_sendmsg_locked() -> sk_stream_wait_connect() with no
 * timeout), SIOCOUTQ is 0 before the handshake and then write_seq -
 * snd_una: the data until it is ACKed, and our FIN counts one.
 */
static const struct lab_step siocoutq[] = {
	CONNECT_NB(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	SEND_ERR(0, 100, "EAGAIN"),
	GETOPT(0, "siocoutq", 0),
	GETOPT(0, "so_error", 0),
	GETOPT(0, "tcpi_state", TD_ST_SYN_SENT),
	IN(0, "S. 0 1 0 mss,sackok,ws"),
	OUT(0, 0, ". 1 1 0"),
	SEND(0, 100),
	OUT(0, 0, "P. 1 1 100"),
	GETOPT(0, "siocoutq", 100),
	IN(0, ". 1 101 0"),
	GETOPT(0, "siocoutq", 0),
	SHUTDOWN(0),
	OUT(0, 0, "F. 101 1 0"),
	GETOPT(0, "siocoutq", 1),
	GETOPT(0, "tcpi_state", TD_ST_FIN_WAIT1),
	IN(0, ". 1 102 0"),
	GETOPT(0, "siocoutq", 0),
	GETOPT(0, "tcpi_state", TD_ST_FIN_WAIT2),
	END
};

/*
 * gVisor packetimpact tcp_synsent_reset_test.go: an RST|ACK acknowledging
 * the SYN refuses the connection: TCP_INFO shows CLOSE, SO_ERROR gives
 * ECONNREFUSED once (sock_error() clears it); the socket is no longer
 * hashed, so a later ACK to its port gets a RST.  Before that, an RST whose
 * ACK is not ours is dropped (tcp_rcv_synsent_state_process():
 * reset_and_undo, no reply to a RST) and the SYN timer re-armed to
 * TCP_TIMEOUT_MIN (2 jiffies) as nothing was retransmitted yet.
 */
static const struct lab_step refused_connect[] = {
	CONNECT_NB(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	IN(0, "R. 0 5 0"),
	OUT(8, 0, "S 0 - 0 mss,sackok,ts,ws"),
	GETOPT(0, "tcpi_state", TD_ST_SYN_SENT),
	GETOPT(0, "tcpi_retransmits", 1),
	IN(0, "R. 0 1 0"),
	GETOPT(0, "tcpi_state", TD_ST_CLOSE),
	GETOPT(0, "so_error", ECONNREFUSED),
	GETOPT(0, "so_error", 0),
	IN(0, ". 0 1 0"),
	OUT(0, 0, "R 1 - 0"),
	END
};

/*
 * gVisor packetimpact tcp_info_test.go and tcp_retransmits_test.go:
 * unacknowledged data is probed (TLP, which counts as no retransmission) and
 * then retransmitted by the RTO; TCP_INFO's tcpi_retransmits
 * (icsk_retransmits) and tcpi_backoff (icsk_backoff) count the RTOs
 * (tcp_retransmit_timer()).  The ACK clears tcpi_retransmits but not the
 * backoff: tcp_ack_update_rtt() resets it only with an RTT sample ("RFC6298:
 * only reset backoff on valid RTT measurement"), and an ACK of retransmitted
 * data without timestamps gives none (Karn).
 */
static const struct lab_step info_retransmits[] = {
	LISTEN(8),
	HANDSHAKE(0),
	GETOPT(-1, "tcpi_state", TD_ST_LISTEN),
	SEND(0, 100),
	OUT(0, 0, "P. 1 1 100"),
	GETOPT(0, "tcpi_retransmits", 0),
	OUT(200, 0, "P. 1 1 100"),
	GETOPT(0, "tcpi_retransmits", 0),
	GETOPT(0, "tcpi_backoff", 0),
	OUT(200, 0, "P. 1 1 100"),
	GETOPT(0, "tcpi_retransmits", 1),
	GETOPT(0, "tcpi_backoff", 1),
	OUT(400, 0, "P. 1 1 100"),
	GETOPT(0, "tcpi_retransmits", 2),
	GETOPT(0, "tcpi_backoff", 2),
	IN(0, ". 1 101 0"),
	GETOPT(0, "tcpi_retransmits", 0),
	GETOPT(0, "tcpi_backoff", 2),
	GETOPT(0, "siocoutq", 0),
	END
};

/*
 * packetdrill gtests/net/tcp/shutdown/shutdown-wr-close.pkt: after
 * shutdown(SHUT_WR) and the ACK of our FIN, send() gives EPIPE, data from
 * the peer on the half-closed connection is ACKed and read, and after
 * close() the peer's FIN is ACKed into TIME_WAIT.
 */
static const struct lab_step shutdown_wr_data[] = {
	LISTEN(8),
	HANDSHAKE(0),
	SHUTDOWN(0),
	OUT(0, 0, "F. 1 1 0"),
	IN(0, ". 1 2 0"),
	SEND_ERR(0, 100, "EPIPE"),
	IN(0, "P. 1 2 100"),
	OUT(0, 0, ". 2 101 0"),
	GETOPT(0, "siocinq", 100),
	RECV(0, 100),
	GETOPT(0, "tcpi_state", TD_ST_FIN_WAIT2),
	CLOSE(0),
	IN(0, "F. 101 2 0"),
	OUT(0, 0, ". 2 102 0"),
	SS(0, "TIME_WAIT", 60000),
	END
};

/*
 * packetdrill gtests/net/tcp/close/close-on-syn-sent.pkt: close() in
 * SYN_SENT removes the socket, and the SYN-ACK that comes later finds no
 * socket: RST with seq = its ACK.
 */
static const struct lab_step close_syn_sent_synack[] = {
	CONNECT_NB(0),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	CLOSE(0),
	QUIET(100),
	IN(0, "S. 0 1 0 mss,sackok,ws"),
	OUT(0, 0, "R 1 - 0"),
	END
};

/*
 * packetdrill gtests/net/tcp/blocking/blocking-connect.pkt with gVisor
 * packetimpact tcp_synsent_reset_test.go's refusal: the RST|ACK wakes the
 * blocking connect(), which returns ECONNREFUSED (inet_wait_for_connect(),
 * then sock_error(), which clears sk_err: SO_ERROR is 0 after it).
 */
static const struct lab_step blocking_connect_refused[] = {
	BLOCK(0, "connect"),
	OUT(0, 0, "S 0 - 0 mss,sackok,ts,ws"),
	IN(0, "R. 0 1 0"),
	RETURNED(0, -ECONNREFUSED),
	GETOPT(0, "so_error", 0),
	GETOPT(0, "tcpi_state", TD_ST_CLOSE),
	END
};

/*
 * packetdrill gtests/net/tcp/blocking/blocking-read.pkt with an RST instead
 * of data: tcp_reset() sets sk_err and wakes the reader, whose read()
 * returns ECONNRESET; a blocking accept() is woken by shutdown(SHUT_RD) of
 * its listener (tcp_disconnect(), T9) and returns EINVAL
 * (inet_csk_wait_for_connect(): the socket left LISTEN).
 */
static const struct lab_step blocking_wakeups[] = {
	LISTEN(8),
	HANDSHAKE(0),
	BLOCK(0, "recv"),
	IN(0, "R 1 - 0"),
	RETURNED(0, -ECONNRESET),
	SS(0, "none", 0),
	BLOCK(1, "accept"),
	QUIET(100),
	BLOCKED(1),
	SHUTDOWN_HOW(-1, 0),
	RETURNED(1, -EINVAL),
	END
};

/*
 * gVisor packetimpact tcp_rcv_buf_space_test.go and
 * tcp_handshake_window_size_test.go: SO_RCVBUF 1000 on the listener is kept
 * as 2304 (twice, at least SOCK_MIN_RCVBUF) and bounds the SYN-ACK's window
 * (tcp_openreq_init_rwin(), tcp_select_initial_window()): half the buffer,
 * 1152, below the MSS so not rounded to it, with window scale 0; the child
 * inherits the buffer.
 */
static const struct lab_step rcvbuf_window[] = {
	LISTEN(8),
	SOCKOPT(-1, "rcvbuf", 1000),
	GETOPT(-1, "rcvbuf", 2304),
	IN(0, PEER_SYN),
	OUT(0, 0, "S. 0 1 0 mss,sackok,ws w=1152"),
	IN(0, ". 1 1 0"),
	ACCEPT(0),
	GETOPT(0, "rcvbuf", 2304),
	IN(1, PEER_SYN),
	OUT(0, 1, "S. 0 1 0 mss,sackok,ws w=1152"),
	END
};


/*
 * gVisor packetimpact tcp_unacc_seq_ack_test.go: in ESTABLISHED a segment
 * acknowledging data never sent is dropped, data and all, and gets a
 * challenge ACK (tcp_ack(): after(ack, snd_nxt) -> tcp_send_challenge_ack());
 * a second one within 500 ms gets none (the per-socket limit,
 * __tcp_oow_rate_limited(), which spares no data here); then the same data
 * with the right ACK is taken.
 */
static const struct lab_step unacc_ack[] = {
	LISTEN(8),
	HANDSHAKE(0),
	SEND(0, 10),
	OUT(0, 0, "P. 1 1 10"),
	IN(0, ". 1 11 0"),
	IN(0, "P. 1 20 10"),
	OUT(0, 0, ". 11 1 0"),
	IN(0, "P. 1 20 10"),
	QUIET(200),
	GETOPT(0, "siocinq", 0),
	IN(0, "P. 1 11 10"),
	OUT(0, 0, ". 11 11 0"),
	GETOPT(0, "siocinq", 10),
	NSTAT("TcpExtTCPChallengeACK", 1),
	END
};

/* ---- TCP_DEFER_ACCEPT (net/ipv4/tcp_minisocks.c, inet_connection_sock.c) ---- */

/*
 * tcp_check_req(): while req->num_timeout < rskq_defer_accept (1 s is one
 * retransmission, secs_to_retrans()), a bare third ACK is dropped and the
 * request marked acked: accept() finds nothing and ss shows SYN_RECV.  The
 * first data creates the child, which ACKs it.
 */
static const struct lab_step defer_accept_data[] = {
	LISTEN(8),
	SOCKOPT(-1, "defer_accept", 1),
	GETOPT(-1, "defer_accept", 1),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	IN(0, ". 1 1 0"),
	QUIET(100),
	ACCEPT_ERR(0, EAGAIN),
	SS(0, "SYN_RECV", 0),
	IN(0, "P. 1 1 10"),
	OUT(0, 0, ". 1 11 0"),
	ACCEPT(0),
	GETOPT(0, "siocinq", 10),
	SS(0, "ESTABLISHED", 0),
	END
};

/*
 * reqsk_timer_handler() -> syn_ack_recalc(): with TCP_DEFER_ACCEPT = 3 s (2
 * retransmissions) and tcp_synack_retries = 2, an acked request gets no
 * SYN-ACK at 1 s ("Do not resend while waiting for data after ACK"), one at
 * 3 s (the last of the period, "to give last chance for data or ACK"), and
 * is dropped silently at 7 s; the ACK then finds only the listener.  c1: a
 * bare ACK after the period's last SYN-ACK creates the child.
 */
static const struct lab_step defer_accept_expiry[] = {
	SYSCTL("net.ipv4.tcp_synack_retries", "2"),
	LISTEN(8),
	SOCKOPT(-1, "defer_accept", 3),
	GETOPT(-1, "defer_accept", 3),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	IN(0, ". 1 1 0"),
	QUIET(200),
	IN(1, PEER_SYN),
	OUT(0, 1, KERNEL_SA),
	IN(1, ". 1 1 0"),
	OUT(2800, 0, KERNEL_SA),
	OUT(200, 1, KERNEL_SA),
	IN(1, ". 1 1 0"),
	ACCEPT(1),
	SS(1, "ESTABLISHED", 0),
	SS(0, "SYN_RECV", 0),
	QUIET(4300),
	SS(0, "none", 0),
	IN(0, ". 1 1 0"),
	OUT(0, 0, "R 1 - 0"),
	END
};

#define HS(c)	#c " LISTEN>SYN_RECV, " #c " SYN_RECV>ESTABLISHED"

const struct lab_scen lab_scens[] = {
	{ "handshake-options", "passive open with options", "E1", false, handshake,
	  "L CLOSE>LISTEN, " HS(c0) },
	{ "synack-completes", "third ACK lost: the SYN-ACK retransmission completes it", "B16",
	  false, lost_third_ack,
	  "L CLOSE>LISTEN, c0 retransmit_synack, " HS(c0) },
	{ "data-completes", "third ACK lost: the first data completes it", "B16", false,
	  data_on_third_ack, "L CLOSE>LISTEN, " HS(c0) },
	{ "synack-expiry", "SYN-ACK retransmissions, silent expiry, RST to the late ACK", "T1",
	  false, synack_expiry,
	  "L CLOSE>LISTEN, c0 retransmit_synack, c0 retransmit_synack, L send_reset(TCP_FLAGS)" },
	{ "accept-queue-drop", "third ACK dropped while the accept queue is full", "T2", false,
	  accept_queue_full,
	  "L CLOSE>LISTEN, " HS(c0) ", " HS(c1) ", c2 retransmit_synack, "
	  "c2 retransmit_synack, " HS(c2) },
	{ "accept-queue-abort", "tcp_abort_on_overflow=1: RST to the third ACK", "T2", false,
	  accept_queue_abort,
	  "L CLOSE>LISTEN, " HS(c0) ", " HS(c1) ", L send_reset(INVALID_SYN)" },
	{ "syncookies-0", "SYN queue full, no cookies: the SYN is dropped", "T6", false,
	  syncookies0, "L CLOSE>LISTEN, c0 retransmit_synack, c1 retransmit_synack" },
	{ "syncookies-1", "SYN queue full: a cookie SYN-ACK, MSS only, never retransmitted",
	  "T6", false, syncookies1,
	  "L CLOSE>LISTEN, " HS(c2) ", c0 retransmit_synack, c1 retransmit_synack, "
	  "c0 retransmit_synack, c1 retransmit_synack" },
	{ "syncookies-2", "tcp_syncookies=2: cookies for every SYN, no request kept", "T6",
	  false, syncookies2, "L CLOSE>LISTEN, " HS(c1)  },
	{ "syn-timeout", "SYN schedule 1,1,1,1,1 s (linear timeouts), ETIMEDOUT at 7 s",
	  "T7", true, syn_timeout, "c0 CLOSE>SYN_SENT, c0 SYN_SENT>CLOSE" },
	{ "old-synack", "an old duplicate SYN-ACK gets a RST, SYN_SENT stays", "T7", true,
	  old_synack,
	  "c0 CLOSE>SYN_SENT, c0 send_reset(TCP_INVALID_ACK_SEQUENCE), c0 SYN_SENT>ESTABLISHED" },
	{ "crossed-syns", "crossed SYNs: SYN_SENT>SYN_RECV>ESTABLISHED", "T7", true,
	  simultaneous_open,
	  "c0 CLOSE>SYN_SENT, c0 SYN_SENT>SYN_RECV, c0 SYN_RECV>ESTABLISHED" },
	{ "close-syn-sent", "close() in SYN_SENT: CLOSE without a RST", "B19", true,
	  close_syn_sent, "c0 CLOSE>SYN_SENT, c0 SYN_SENT>CLOSE" },
	{ "rfc5961-keepalive", "D-SACK, challenge ACKs for RST and SYN, keepalive then RST",
	  "T4", false, rfc5961_keepalive,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 send_reset(TCP_KEEPALIVE_TIMEOUT), "
	  "c0 ESTABLISHED>CLOSE" },
	{ .name = "rst-established", .summary = "an exact RST resets ESTABLISHED: ECONNRESET",
	  .source = "T4", .steps = script_only, .script = rst_established_sim },
	{ "user-timeout", "TCP_USER_TIMEOUT ends retransmission at 1.5 s", "B17", false,
	  user_timeout, "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>CLOSE" },
	{ "server-close", "FIN_WAIT2 then TIME_WAIT 60 s, re-armed by a retransmitted FIN",
	  "E1", false, active_close,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>FIN_WAIT2, "
	  "c0 FIN_WAIT2>CLOSE" },
	{ "peer-close", "CLOSE_WAIT until close(), LAST_ACK, CLOSE", "E1", false,
	  passive_close,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>CLOSE_WAIT, c0 CLOSE_WAIT>LAST_ACK, "
	  "c0 LAST_ACK>CLOSE" },
	{ "crossed-fins", "crossed FINs: CLOSING, TIME_WAIT re-armed by a FIN", "T3",
	  false, simultaneous_close,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>CLOSING, "
	  "c0 CLOSING>CLOSE" },
	{ "tw-rst", "rfc1337=0: RST kills TIME_WAIT, the listener resets the next ACK", "T3",
	  false, tw_rst,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>CLOSING, "
	  "c0 CLOSING>CLOSE, L send_reset(TCP_FLAGS)" },
	{ "tw-rst-rfc1337", "rfc1337=1: RST ignored in TIME_WAIT", "T3", false, tw_rst_rfc1337,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>CLOSING, "
	  "c0 CLOSING>CLOSE" },
	{ "tw-syn", "SYN in TIME_WAIT reopens with ISN snd_nxt+65537", "T3", false, tw_syn,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>CLOSING, "
	  "c0 CLOSING>CLOSE" },
	{ "fin-wait-2-timeout", "FIN_WAIT2 waits forever until close(), then tcp_fin_timeout",
	  "E2", false, fin_wait2_orphan,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>FIN_WAIT2, "
	  "c0 FIN_WAIT2>FIN_WAIT2, c0 FIN_WAIT2>CLOSE, L send_reset(TCP_FLAGS)" },
	{ "fin-wait-2-linger2", "TCP_LINGER2 bounds the orphan FIN_WAIT2", "E2", false,
	  fin_wait2_linger2,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>FIN_WAIT2, "
	  "c0 FIN_WAIT2>CLOSE" },
	{ .name = "close-unread", .summary = "close() with unread data sends RST", .source = "B18",
	  .steps = script_only, .script = close_unread_sim },
	{ .name = "close-linger0", .summary = "SO_LINGER {1, 0}: close() sends RST", .source = "B18",
	  .steps = script_only, .script = close_linger0_sim },
	{ "last-ack-rtx", "LAST_ACK retransmits the unacknowledged FIN", "E1", false,
	  last_ack_rtx,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>CLOSE_WAIT, c0 CLOSE_WAIT>LAST_ACK, "
	  "c0 LAST_ACK>CLOSE" },
	{ "client-close", "the kernel as client: active open, active close, TIME_WAIT", "E1",
	  true, client_close,
	  "c0 CLOSE>SYN_SENT, c0 SYN_SENT>ESTABLISHED, c0 ESTABLISHED>FIN_WAIT1, "
	  "c0 FIN_WAIT1>FIN_WAIT2, c0 FIN_WAIT2>CLOSE" },
	{ "rst-syn-recv", "RFC 5961: a non-exact RST to a request socket gets a challenge ACK",
	  "B12", false, rst_syn_recv, "L CLOSE>LISTEN" },
	{ "isn-clock", "the ISN advances 15.625 per microsecond (64 ns tick)", "T5", true,
	  isn_clock,
	  "c0 CLOSE>SYN_SENT, c0 receive_reset, c0 SYN_SENT>CLOSE, c0 CLOSE>SYN_SENT, "
	  "c0 receive_reset, c0 SYN_SENT>CLOSE" },
	{ "fin-delack", "after data, the FIN's ACK is delayed 40 ms; a close() within it sends one F.",
	  "T8", false, fin_delack,
	  "L CLOSE>LISTEN, " HS(c0) ", " HS(c1) ", c0 ESTABLISHED>CLOSE_WAIT, "
	  "c0 CLOSE_WAIT>LAST_ACK, c0 LAST_ACK>CLOSE, c1 ESTABLISHED>CLOSE_WAIT" },
	{ "recv-shut-rd", "recv() after shutdown(SHUT_RD) or SHUT_RDWR returns 0, not EAGAIN",
	  "T9", false, recv_shut_rd,
	  "L CLOSE>LISTEN, " HS(c0) ", " HS(c1) ", c1 ESTABLISHED>FIN_WAIT1, "
	  "c1 FIN_WAIT1>FIN_WAIT2" },
	{ "listen-shut-rd", "shutdown(SHUT_RD) stops a listener: children reset, requests dropped",
	  "T9", false, listen_shut_rd, NULL },
	{ "tw-window-noscale", "TIME_WAIT's ACK has the plain window when wscale was not agreed",
	  "T10", false, tw_window_noscale,
	  "L CLOSE>LISTEN, " HS(c0) ", c0 ESTABLISHED>FIN_WAIT1, c0 FIN_WAIT1>FIN_WAIT2, "
	  "c0 FIN_WAIT2>CLOSE" },
	{ "outside-window", "beyond the window: a dup ACK, data never rate-limited, bare ACKs are",
	  "T11", false, outside_window, "L CLOSE>LISTEN, " HS(c0) },
	{ "close-wait-ack", "CLOSE_WAIT: dup ACK beyond the window, challenge ACK for unsent data",
	  "T11", false, close_wait_ack, NULL },
	{ "listen-close", "close() on a listener resets the unaccepted child", "E4", false,
	  listen_close, NULL },
	{ "syn-recv-bad-ack", "SYN_RECV: an ACK of anything but the SYN-ACK gets a RST", "T12",
	  false, syn_recv_bad_ack,
	  "L CLOSE>LISTEN, L send_reset(TCP_FLAGS), L send_reset(TCP_FLAGS), " HS(c0) },
	{ "syn-recv-rst", "crossed SYNs, then an RST at RCV.NXT: ECONNRESET", "T12", true,
	  syn_recv_rst,
	  "c0 CLOSE>SYN_SENT, c0 SYN_SENT>SYN_RECV, c0 receive_reset, c0 SYN_RECV>CLOSE" },
	{ "blocking-connect", "a blocking connect() returns 0 at the SYN-ACK", "T13", true,
	  blocking_connect, NULL },
	{ "blocking-accept", "a blocking accept() returns the child at the third ACK", "T13",
	  false, blocking_accept, NULL },
	{ "blocking-read", "a blocking read() returns the data, then 0 at the FIN", "T13", false,
	  blocking_read, NULL },
	{ "siocinq-fin", "SIOCINQ counts unread bytes, not the FIN", "T13", false, siocinq_fin,
	  NULL },
	{ "siocoutq", "EINPROGRESS, EAGAIN in SYN_SENT, SIOCOUTQ counts unACKed data and the FIN",
	  "T13", true, siocoutq, NULL },
	{ "refused-connect", "RST with a bad ACK ignored, then ECONNREFUSED, TCP_INFO CLOSE", "T13",
	  true, refused_connect, NULL },
	{ "info-retransmits", "tcpi_retransmits and tcpi_backoff count RTOs; the ACK keeps the backoff",
	  "T13",
	  false, info_retransmits, NULL },
	{ "shutdown-wr-data", "half-closed: EPIPE, the peer's data ACKed and read, then TIME_WAIT",
	  "T13", false, shutdown_wr_data, NULL },
	{ "close-syn-sent-synack", "close() in SYN_SENT, the late SYN-ACK gets a RST", "T13", true,
	  close_syn_sent_synack, NULL },
	{ "blocking-connect-refused", "a blocking connect() woken by RST|ACK returns ECONNREFUSED",
	  "T13", true, blocking_connect_refused, NULL },
	{ "blocking-wakeups", "RST wakes a blocking read() (ECONNRESET), SHUT_RD a blocking accept()",
	  "T13", false, blocking_wakeups, NULL },
	{ "rcvbuf-window", "SO_RCVBUF 1000: buffer 2304, SYN-ACK window 1152, window scale 0",
	  "T13", false, rcvbuf_window, NULL },
	{ "unacc-ack", "ESTABLISHED: an ACK of unsent data gets a challenge ACK, data dropped",
	  "T11", false, unacc_ack, NULL },
	{ "defer-accept-data", "TCP_DEFER_ACCEPT: the bare ACK is dropped, data creates the child",
	  "T14", false, defer_accept_data, NULL },
	{ "defer-accept-expiry", "TCP_DEFER_ACCEPT: no SYN-ACK until the period's end, then dropped",
	  "T14", false, defer_accept_expiry, NULL },
	{ NULL, NULL, NULL, false, NULL, NULL },
};

const struct lab_scen *
lab_scen_find(const char *name)
{
	const struct lab_scen *s;

	for (s = lab_scens; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}
