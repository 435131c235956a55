/* SPDX-License-Identifier: MIT */
/*
 * The named scenarios of `tcpdoctor sim`.  Each is a script (format in
 * sim/sim.h) that answers one question of the seed article
 * (shared/seed/, a popular Chinese write-up on the handshake and the close)
 * with what Linux really does; `verified` names the tcpdoctor-tcp(7)
 * sections and observed sequences the run was checked against (tests/golden/sim/ holds the
 * reviewed event logs, tests/unit/sim/sim_test.c the observed timings).
 *
 * Variants are runs with --set: syn-flood with tcp_syncookies=0,
 * lost-last-ack with tcp_max_tw_buckets=0 (TIME_WAIT skipped),
 * rst-in-time-wait with tcp_rfc1337=1, accept-queue-full with
 * tcp_abort_on_overflow=1, old-duplicate with tcp_tw_reuse=1.
 */
#include "sim/sim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define HOSTS								\
	"host client 198.18.0.1\n"					\
	"host server 198.18.0.2\n"					\
	"link client server delay 10ms\n"

#define OPEN								\
	"at 0 server listen 80 backlog 128 as L\n"			\
	"at 0.1 client connect server:80 from 40000 as c\n"		\
	"at 0.2 server accept L as s\n"

/* ---- Answers computed from the run ---- */

/* A growing string: nothing is ever cut; oom records a failed allocation. */
struct sbuf {
	char	*s;
	size_t	 n, cap;
	bool	 oom;
};

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int need;
	char *ns;

	if (b->oom)
		return;
	va_start(ap, fmt);
	need = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (need < 0) {
		b->oom = true;
		return;
	}
	if (b->n + (size_t)need + 1 > b->cap) {
		size_t cap = (b->n + (size_t)need + 1) * 2;

		if ((ns = realloc(b->s, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	va_start(ap, fmt);
	vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
	va_end(ap);
	b->n += (size_t)need;
}

static char *
sb_done(struct sbuf *b)
{
	if (b->oom || b->s == NULL) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

static double
secs(tm_time t)
{
	return (double)t / 1e9;
}

/*
 * lost-syn: the SYNs the run sent and when connect() failed, with the rule
 * of tcp_write_timeout() that ended it under this run's profile.
 */
static char *
prose_lost_syn(const struct tm_world *w)
{
	struct sbuf b = { 0 }, times = { 0 };
	const struct tm_profile *p;
	tm_time giveup = 0, bound;
	unsigned int nsyn = 0, host = 0, rtx;
	bool gave_up = false;
	size_t i;

	for (i = 0; i < w->nlog; i++) {
		const struct tm_effect *fx = &w->log[i];

		if (fx->kind == TM_FX_SEG_OUT && (fx->u.seg.seg.flags & (TM_SYN | TM_ACK)) == TM_SYN) {
			if (nsyn == 0)
				host = fx->host;
			if (fx->host == host)
				sb_printf(&times, "%s%.6g", nsyn++ ? ", " : "", secs(fx->at));
		} else if (fx->kind == TM_FX_APP && fx->u.app.call == TM_CALL_CONNECT &&
		    fx->u.app.err == ETIMEDOUT && !gave_up) {
			giveup = fx->at;
			gave_up = true;
		}
	}
	if (times.oom) {
		free(times.s);
		return NULL;
	}
	p = &w->prof[host];
	rtx = nsyn > 0 ? nsyn - 1 : 0;
	bound = tm_retries_timeout(p, p->syn_retries, p->rto_init);
	if (p->syn_linear_timeouts > 0)
		sb_printf(&b, "The first %d retransmissions come %.6g s apart (tcp_syn_linear_timeouts=%d, "
		    "Linux 6.5+), then the RTO doubles: ", p->syn_linear_timeouts, secs(p->rto_init),
		    p->syn_linear_timeouts);
	else
		sb_printf(&b, "The RTO starts at %.6g s and doubles after every SYN (no linear phase): ",
		    secs(p->rto_init));
	sb_printf(&b, "SYNs at %s s", times.s != NULL ? times.s : "(none)");
	if (gave_up)
		sb_printf(&b, " and connect() fails with ETIMEDOUT at %.6g s, after %u retransmission%s",
		    secs(giveup), rtx, rtx == 1 ? "" : "s");
	else
		sb_printf(&b, "; connect() had not failed when the run stopped");
	sb_printf(&b, ".  tcp_write_timeout() gives up at whichever comes first: tcp_syn_retries=%d",
	    p->syn_retries);
	if (p->syn_linear_timeouts > 0)
		sb_printf(&b, " plus the %d linear", p->syn_linear_timeouts);
	if (p->syn_retries < 30 && bound == (((tm_time)2 << p->syn_retries) - 1) * p->rto_init)
		sb_printf(&b, " retransmissions, or %.6g s after the first SYN (retransmits_timed_out(), "
		    "((2 << %d) - 1) x %.6g s).  No RST is sent.", secs(bound), p->syn_retries,
		    secs(p->rto_init));
	else
		sb_printf(&b, " retransmissions, or %.6g s after the first SYN (retransmits_timed_out(): "
		    "the doubling schedule with the RTO capped at %.6g s).  No RST is sent.", secs(bound),
		    secs(p->rto_max));
	if (p->syn_retries == 6 && p->syn_linear_timeouts == 4 && p->rto_init == TM_SEC(1))
		sb_printf(&b, "  Not 180 s, and not 127 s as before Linux 6.5.");
	free(times.s);
	return sb_done(&b);
}

/*
 * lost-synack: the SYN-ACK retransmissions of the run, counted from the
 * first SYN-ACK as reqsk_timer_handler() counts them, and when the request
 * was dropped.
 */
static char *
prose_lost_synack(const struct tm_world *w)
{
	struct sbuf b = { 0 }, times = { 0 };
	const struct tm_profile *p;
	tm_time first = 0, drop = 0, at[64];
	unsigned int n = 0, host = 0, rtx = 0, k;
	bool dropped = false;
	size_t i;

	for (i = 0; i < w->nlog; i++) {
		const struct tm_effect *fx = &w->log[i];

		if (fx->kind == TM_FX_SEG_OUT && (fx->u.seg.seg.flags & (TM_SYN | TM_ACK)) == (TM_SYN | TM_ACK)) {
			if (n == 0) {
				host = fx->host;
				first = fx->at;
			} else if (fx->host == host && rtx < 64) {
				at[rtx++] = fx->at - first;
			}
			n++;
		} else if (fx->kind == TM_FX_STATE && fx->u.st.to == TM_CLOSE &&
		    fx->u.st.event == TM_E_TMR_SYNACK && !dropped) {
			drop = fx->at;
			dropped = true;
		}
	}
	for (k = 0; k < rtx; k++)
		sb_printf(&times, "%s%.6g", k == 0 ? "" : k + 1 == rtx ? " and " : ", ", secs(at[k]));
	if (times.oom) {
		free(times.s);
		return NULL;
	}
	p = &w->prof[host];
	if (rtx > 0)
		sb_printf(&b, "The request socket retransmits its SYN-ACK at %s s after the first "
		    "(tcp_synack_retries=%d, doubling from %.6g s, reqsk_timer_handler())", times.s,
		    p->synack_retries, secs(p->rto_init));
	else
		sb_printf(&b, "The request socket never retransmits its SYN-ACK (tcp_synack_retries=%d)",
		    p->synack_retries);
	if (dropped)
		sb_printf(&b, " and is dropped silently at %.6g s: no RST.  A late ACK from the "
		    "client then finds no socket and gets an RST.", secs(drop - first));
	else
		sb_printf(&b, "; the request was still there when the run stopped.");
	free(times.s);
	return sb_done(&b);
}

char *
tm_scenario_answer(const struct tm_scenario *sc, const struct tm_world *w)
{
	if (sc->prose != NULL && w != NULL)
		return sc->prose(w);
	return strdup(sc->answer);
}

static const struct tm_scenario scenarios[] = {
	{ "accept-queue-full",
	  "如果队列满了就有可能会出现丢包现象 (全连接队列满了会怎样?)",
	  "What happens when the accept queue is full?",
	  "Linux lets backlog+1 children wait in the accept queue.  When it is full, new SYNs are "
	  "dropped silently (ListenOverflows, ListenDrops) and the client keeps retransmitting its "
	  "SYN; a 3rd ACK arriving while full is dropped too, the request is marked acked and its "
	  "SYN-ACK retransmitted, so the client's answer completes it once accept() made room.  "
	  "No RST, unless tcp_abort_on_overflow=1 (then the 3rd ACK gets one).",
	  "tcpdoctor-tcp(7) SYN QUEUE AND ACCEPT QUEUE; observed E4 (listen(1), SYN retransmitted 1 s apart) and T2 (3rd ACK dropped, "
	  "completed by the ACK to a SYN-ACK retransmission; abort_on_overflow=1 -> R seq=SEG.ACK)",
	  HOSTS
	  "at 0 server listen 80 backlog 1 as L\n"
	  "at 0.1 client connect server:80 from 41000 as c1\n"
	  "at 0.2 client connect server:80 from 41001 as c2\n"
	  "at 0.2 client connect server:80 from 41002 as c3\n"
	  "at 0.3 client connect server:80 from 41003 as c4\n"
	  "at 3.5 server accept L as s1\n"
	  "at 3.5 server accept L as s2\n"
	  "at 20 server accept L as s3\n"
	  "at 20 server accept L as s4\n"
	  "run 30\n" },
	{ "active-close",
	  "四次挥手的过程 / 为什么客户端最后还要等待2MSL?",
	  "The four-way close, and why the closer waits 2MSL",
	  "close() sends a FIN (ESTABLISHED -> FIN_WAIT1); its ACK moves the socket to FIN_WAIT2, "
	  "and because the socket is an orphan the kernel replaces it at once with a timewait "
	  "socket in the FIN_WAIT2 substate: the tracepoint shows FIN_WAIT2 -> CLOSE.  The peer's "
	  "FIN turns it into real TIME_WAIT, which lasts a fixed 60 s on Linux (TCP_TIMEWAIT_LEN, "
	  "not 2 x MSL = 4 min, and not tcp_fin_timeout).  TIME_WAIT never appears in the trace.",
	  "tcpdoctor-tcp(7) TIME_WAIT, FIN_WAIT2 AND ORPHANS; observed E1 (trace order, ss timer 59 s), E5 (gone after 60 s + slack)",
	  HOSTS OPEN
	  "at 0.5 client send c 100\n"
	  "at 0.6 server recv s\n"
	  "at 1 client close c\n"
	  "at 1.5 server recv s\n"
	  "at 1.5 server close s\n" },
	{ "close-wait-leak",
	  "CLOSE_WAIT 出现的原因和解决方案",
	  "Where do piles of CLOSE_WAIT come from?",
	  "The peer closed (its FIN was ACKed by the kernel at once) and the application never "
	  "called close(): nothing in TCP ends CLOSE_WAIT, so the socket stays until the process "
	  "closes it or exits.  The peer's orphaned FIN_WAIT2 gives up silently after "
	  "tcp_fin_timeout (60 s); a later send() from the leaking side then meets no socket and "
	  "gets an RST (CLOSE_WAIT -> CLOSE, EPIPE on the next send).  No sysctl fixes the leak.",
	  "tcpdoctor-tcp(7) FIN_WAIT2 AND ORPHANS; observed E2 (server send after the peer's FIN_WAIT2 expired -> RST, then EPIPE)",
	  HOSTS OPEN
	  "at 1 client close c\n"
	  "at 100 server send s 10\n"
	  "at 101 server send s 10\n" },
	{ "close-with-unread-data",
	  "四次挥手: 被动方收到 FIN 后总能正常关闭吗?",
	  "Does close() always send a FIN?",
	  "No: if received data was never read, close() discards it and sends RST|ACK instead of "
	  "a FIN (RFC 2525 2.17, TCPAbortOnClose); the socket goes straight to CLOSE and the peer "
	  "gets ECONNRESET.  Closing a listener likewise resets its unaccepted children.",
	  "tcpdoctor-tcp(7) RESETS; observed E4 (listener close: tcp_send_reset reason=TCP_STATE)",
	  HOSTS OPEN
	  "at 0.5 client send c 100\n"
	  "at 1 server close s\n"
	  "at 1.5 client recv c\n" },
	{ "data-on-third-ack",
	  "三次握手过程中可以携带数据吗?",
	  "Can the handshake carry data?",
	  "The third segment can: when the application wrote before the handshake finished, "
	  "Linux sends the data on the segment that acknowledges the SYN-ACK, and the server "
	  "queues it together with completing the handshake (the child is ESTABLISHED with 100 "
	  "bytes in its receive queue).  The SYN itself carries data only with TCP Fast Open.",
	  "tcpdoctor-tcp(7) HANDSHAKE; observed T2 (SYN/ACK + 15 data bytes, ACKed ack=1016, Recv-Q 15)",
	  HOSTS
	  "at 0 server listen 80 as L\n"
	  "at 0.1 client connect server:80 from 40000 as c\n"
	  "at 0.1 client send c 100\n"
	  "at 0.2 server accept L as s\n"
	  "at 0.3 server recv s\n" },
	{ "fin-wait-2-orphan",
	  "tcp_fin_timeout: 保持在FIN-WAIT-2状态的时间",
	  "Does tcp_fin_timeout bound FIN_WAIT2?",
	  "Only for orphans.  After shutdown(SHUT_WR) a socket waits in FIN_WAIT2 forever.  After "
	  "close() (trace FIN_WAIT2 -> FIN_WAIT2, FIN_WAIT2 -> CLOSE) a timewait socket in the "
	  "FIN_WAIT2 substate waits max(tcp_fin_timeout, 3.5 RTO) and then disappears silently; "
	  "the peer's next segment gets an RST.  tcp_fin_timeout does not change TIME_WAIT.",
	  "tcpdoctor-tcp(7) FIN_WAIT2 AND ORPHANS, WHAT SS AND THE TRACEPOINT SHOW; observed E2 (tcp_fin_timeout=3: non-orphan stays, orphan gone ~3 s after "
	  "close(), server send -> RST, then EPIPE)",
	  HOSTS
	  "set tcp_fin_timeout=3\n"
	  OPEN
	  "at 0.5 client shutdown c wr\n"
	  "at 4.5 client close c\n"
	  "at 9 server send s 10\n"
	  "at 10 server send s 10\n" },
	{ "handshake",
	  "三次握手过程 / 什么是半连接队列?",
	  "The three-way handshake and the SYN queue",
	  "A SYN to a listener creates a request socket (NEW_SYN_RECV, which ss shows as "
	  "SYN-RECV; the tracepoint never sees it) and a SYN-ACK; the 3rd ACK turns the request "
	  "into a full socket that is born in SYN_RECV and becomes ESTABLISHED at once (trace "
	  "LISTEN -> SYN_RECV -> ESTABLISHED) and waits in the accept queue until accept().",
	  "tcpdoctor-tcp(7) HANDSHAKE, WHAT SS AND THE TRACEPOINT SHOW; observed E1 (trace), T7 (client side)",
	  HOSTS OPEN },
	{ "keepalive-dead-peer",
	  "如果已经建立了连接，但是客户端突然出现故障了怎么办?",
	  "What if the peer dies silently?",
	  "Nothing happens unless SO_KEEPALIVE is set.  With it, Linux probes after 7200 s idle "
	  "(tcp_keepalive_time), every 75 s (tcp_keepalive_intvl), 9 times (tcp_keepalive_probes, "
	  "not 10); a probe is an ACK with seq SND.UNA-1 and no data.  After the last unanswered "
	  "probe Linux sends an RST and the application gets ETIMEDOUT: dead after 7875 s.",
	  "tcpdoctor-tcp(7) KEEPALIVE AND DEAD PEERS; observed T4 (probes 1 s apart with KEEPIDLE/INTVL 1, KEEPCNT 3; RST at the "
	  "4th interval; SO_ERROR 110)",
	  HOSTS OPEN
	  "at 1 client setsockopt c keepalive 1\n"
	  "fault drop server>* after 2\n"
	  "fault drop *>server after 2\n"
	  "run 3h\n" },
	{ "lost-last-ack",
	  "TIME_WAIT能马上进入CLOSED吗?",
	  "Why not go straight to CLOSED after the last ACK?",
	  "Because the last ACK can be lost: the LAST_ACK side retransmits its FIN, and the "
	  "TIME_WAIT socket ACKs it again and re-arms its 60 s timer.  Without TIME_WAIT (here "
	  "with --set tcp_max_tw_buckets=0, TCPTimeWaitOverflow) the retransmitted FIN finds no "
	  "socket and is answered with an RST: the peer's close ends in an error.",
	  "tcpdoctor-tcp(7) TIME_WAIT; observed T3 (retransmitted FIN re-ACKed, timer 57 s -> 59 s)",
	  HOSTS OPEN
	  "fault drop client>server flags A bare nth 2\n"
	  "at 1 client close c\n"
	  "at 1.5 server close s\n" },
	{ "lost-syn",
	  "tcp_syn_retries: 内核要发送多少个 SYN 连接请求才决定放弃?",
	  "How long does connect() try when every SYN is lost?",
	  "Since Linux 6.5 the first tcp_syn_linear_timeouts=4 retransmissions are 1 s apart, "
	  "then the RTO doubles: SYNs at 0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67 s and ETIMEDOUT at "
	  "131 s (tcp_syn_retries=6 plus the 4 linear ones), not 180 s and not 127 s.  No RST "
	  "is sent.",
	  "tcpdoctor-tcp(7) SYN AND SYN-ACK RETRANSMISSION; observed T7 (retransmits at 1.02, 2.05, 3.07, 4.10, 5.12, 7.14, 11.36 s)",
	  HOSTS
	  "fault drop client>server flags S\n"
	  "at 0 server listen 80 as L\n"
	  "at 0 client connect server:80 from 40000 as c\n",
	  prose_lost_syn },
	{ "lost-synack",
	  "SYN-ACK 重传次数: 重传次数超过系统规定的最大重传次数, 系统则将该连接信息从半连接队列中删除",
	  "What happens when the SYN-ACKs never arrive?",
	  "The request socket retransmits its SYN-ACK at 1, 3, 7, 15 and 31 s "
	  "(tcp_synack_retries=5, doubling from 1 s) and is dropped silently at 63 s: no RST.  A "
	  "late ACK from the client then finds no socket and gets an RST.",
	  "tcpdoctor-tcp(7) SYN AND SYN-ACK RETRANSMISSION; observed T1 (SYN-ACK at 0, 1.02, 3.04, 7.07, 15.27, 31.39; gone at 66 s, no RST)",
	  HOSTS
	  "at 0 server listen 80 as L\n"
	  "at 0 inject 198.18.0.9:20001>server:80 S seq 1000\n",
	  prose_lost_synack },
	{ "lost-third-ack",
	  "如果客户端发送的第三个ACK包丢了, 那么客户端和服务器端分别进行什么处理?",
	  "What if the third ACK is lost?",
	  "The client is ESTABLISHED already; the server's request socket retransmits the SYN-ACK "
	  "after 1 s, the client answers it with an ACK (a challenge ACK for the old SYN), and "
	  "that ACK completes the handshake; any ACK-bearing segment, usually the first data, "
	  "would too.  If every ACK were lost, the request would be dropped silently after 63 s, "
	  "not reset: the article's 'RST on timeout' is wrong.",
	  "tcpdoctor-tcp(7) HANDSHAKE, SYN AND SYN-ACK RETRANSMISSION; observed T1, T2",
	  HOSTS
	  "fault drop client>server flags A bare nth 1\n"
	  "at 0 server listen 80 as L\n"
	  "at 0.1 client connect server:80 from 40000 as c\n"
	  "at 2 server accept L as s\n" },
	{ "old-duplicate",
	  "为什么TIME_WAIT状态需要经过2MSL? (已经失效的报文段出现在新连接中)",
	  "Why 2MSL: old duplicates and a new incarnation",
	  "While the closer holds TIME_WAIT the tuple cannot be reused (connect() from the same "
	  "port fails with EADDRNOTAVAIL), so a delayed duplicate of the old connection cannot "
	  "land in a new one; it finds no connection and is reset.  Linux shortens the wait to 60 s "
	  "and, with tcp_tw_reuse=1 (timestamps on), lets a client reuse the tuple after 1 s: the "
	  "new ISN starts above the old sequence space (tw_snd_nxt + 65537) and PAWS rejects the "
	  "old segment's timestamp, so the duplicate only draws a duplicate ACK.",
	  "tcpdoctor-tcp(7) TIME_WAIT; observed T3 (ISN +65539 relative)",
	  HOSTS OPEN
	  "fault dup 20s client>server data nth 1\n"
	  "at 0.5 client send c 100\n"
	  "at 0.6 server recv s\n"
	  "at 1 client close c\n"
	  "at 1.5 server close s\n"
	  "at 5 client connect server:80 from 40000 as c2\n"
	  "at 5.5 server accept L as s2\n" },
	{ "passive-close",
	  "CLOSE_WAIT(被动关闭方) 状态 / 为什么需要四次挥手?",
	  "The passive close: CLOSE_WAIT and LAST_ACK",
	  "The peer's FIN is ACKed by the kernel at once and the socket waits in CLOSE_WAIT for "
	  "the application, which may still send; its close() sends the FIN (LAST_ACK) and the "
	  "ACK of that FIN ends it (trace ESTABLISHED -> CLOSE_WAIT -> LAST_ACK -> CLOSE).  The "
	  "active side used shutdown(SHUT_WR): not an orphan, so its FIN_WAIT2 has no timeout.",
	  "tcpdoctor-tcp(7) FIN_WAIT2 AND ORPHANS; observed E1 (server trace), E2 (non-orphan FIN_WAIT2 without timer)",
	  HOSTS OPEN
	  "at 0.5 client shutdown c wr\n"
	  "at 2 server send s 200\n"
	  "at 3 client recv c\n"
	  "at 5 server close s\n"
	  "at 6 client close c\n" },
	{ "rst-in-time-wait",
	  "为什么客户端最后还要等待2MSL? (TIME_WAIT 被 RST 提前结束)",
	  "Can an RST end TIME_WAIT early?",
	  "Yes, by default: with tcp_rfc1337=0 an RST whose sequence number is RCV.NXT kills the "
	  "timewait socket (TIME_WAIT assassination); here the RST is the listener's answer to a "
	  "duplicated ACK.  tcp_rfc1337=1 ignores it and TIME_WAIT runs its 60 s.  The ip-sysctl "
	  "text reads as if the default protected; it does not.",
	  "tcpdoctor-tcp(7) TIME_WAIT; observed T3 (rfc1337=0: RST at RCV.NXT -> no socket; =1: ignored)",
	  HOSTS OPEN
	  "fault drop client>server flags A bare nth 2\n"
	  "fault dup 50ms client>server flags A bare nth 3\n"
	  "at 1 client close c\n"
	  "at 1.5 server close s\n" },
	{ "simultaneous-close",
	  "四次挥手: 双方同时关闭会怎样?",
	  "What if both sides close at once?",
	  "Both go FIN_WAIT1 -> CLOSING (each FIN crosses the other) and, when the ACKs arrive, "
	  "TIME_WAIT; so both ends hold a 60 s timewait socket.  The trace shows "
	  "FIN_WAIT1 -> CLOSING -> CLOSE.",
	  "tcpdoctor-tcp(7) CLOSING; observed T3 (crossed FINs, ss CLOSING, then TIME-WAIT 59 s)",
	  HOSTS OPEN
	  "at 1 client close c\n"
	  "at 1 server close s\n" },
	{ "simultaneous-open",
	  "为什么不四次握手? (同时打开)",
	  "Crossed SYNs: simultaneous open",
	  "Each side's SYN crosses the other's: SYN_SENT + SYN -> SYN_RECV, each answers with a "
	  "SYN-ACK carrying its original ISN, and each SYN-ACK completes the other side: four "
	  "segments, one connection, no listener (RFC 9293 MUST-10; Linux does it, lwIP does not).",
	  "tcpdoctor-tcp(7) HANDSHAKE; observed T7 (crossed SYNs -> SA seq=k, ss SYN-RECV, then ESTAB)",
	  HOSTS
	  "at 0 client connect server:5000 from 4000 as a\n"
	  "at 0 server connect client:4000 from 5000 as b\n" },
	{ "syn-flood",
	  "SYN攻击是什么?",
	  "A SYN flood against a listener",
	  "The SYN queue is full when it holds more than the listen backlog; with "
	  "tcp_syncookies=1 Linux then answers with cookie SYN-ACKs (no state, never "
	  "retransmitted, options cut to MSS without timestamps), so a real client still "
	  "connects.  With tcp_syncookies=0 new SYNs are dropped (TCPReqQFullDrop) until requests "
	  "expire; a half-full queue of old requests also gets fewer SYN-ACK retries.  "
	  "tcp_max_syn_backlog is not the SYN queue size.",
	  "tcpdoctor-tcp(7) SYN COOKIES, SYN AND SYN-ACK RETRANSMISSION; observed T6 (cookie SA <mss> only, SyncookiesSent/Recv)",
	  HOSTS
	  "at 0 server listen 80 backlog 16 as L\n"
	  "at 0.1 flood server:80 64\n"
	  "at 0.5 client connect server:80 from 40000 as c\n"
	  "at 1 server accept L as s\n"
	  "run 200\n" },
	{ "syn-in-time-wait",
	  "2MSL等待期间, 这个连接的插口不能再被使用?",
	  "Can a new connection reuse a tuple in TIME_WAIT?",
	  "On the server side, yes: a SYN whose sequence number is above the timewait socket's "
	  "RCV.NXT (or with a newer timestamp) reopens it (TCP_TW_SYN, no SYN-queue limits) and "
	  "the new SYN-ACK uses ISN = old SND.NXT + 65535 + 2.  An older SYN is only ACKed.",
	  "tcpdoctor-tcp(7) TIME_WAIT; observed T3 (new ISN - k = 65539)",
	  HOSTS OPEN
	  "at 1 server close s\n"
	  "at 1.5 client close c\n"
	  "at 3 client connect server:80 from 40000 as c2\n"
	  "at 3.5 server accept L as s2\n" },
	{ "two-way-handshake",
	  "为什么不两次握手?",
	  "Why is a two-way handshake not enough?",
	  "Because a stale SYN would open a connection.  With three segments the server only "
	  "creates a request socket and sends a SYN-ACK; the client, which has no such connection, "
	  "answers with an RST (seq = the SYN-ACK's ACK) and the request is removed (embryonic "
	  "reset).  Nothing reached the accept queue.",
	  "tcpdoctor-tcp(7) RESETS (RST seq=SEG.ACK), HANDSHAKE",
	  HOSTS
	  "at 0 server listen 80 as L\n"
	  "at 0.5 inject client:40001>server:80 S seq 1000\n"
	  "at 2 server accept L as s\n" },
};

const struct tm_scenario *
tm_scenarios(size_t *n)
{
	*n = ARRAY_SIZE(scenarios);
	return scenarios;
}

const struct tm_scenario *
tm_scenario_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(scenarios); i++)
		if (strcmp(scenarios[i].name, name) == 0)
			return &scenarios[i];
	return NULL;
}
