/* SPDX-License-Identifier: MIT */
/*
 * The conformance scenarios: the observed sequences of KERNEL-FACTS.md
 * Part C (T1-T7, E2, E4) as step lists, with long timers shortened through
 * per-namespace sysctls and socket options.  Expectations come from the
 * facts and the kernel sources they cite, never from a previous run.
 * Syntax: tcp/kscript.h.  Peer SYNs carry mss, sackOK and wscale and no
 * timestamps, as in the lab runs, so the kernel sends no timestamps after
 * the handshake.
 */
#include "tcp/kscript.h"

#include <string.h>

#define SYSCTL(n, v)		{ .op = KS_SYSCTL, .s1 = (n), .s2 = (v) }
#define LISTEN(b)		{ .op = KS_LISTEN, .n = (b) }
#define CONNECT(c_)		{ .op = KS_CONNECT, .c = (c_) }
#define ACCEPT(c_)		{ .op = KS_ACCEPT, .c = (c_) }
#define SEND(c_, n_)		{ .op = KS_SEND, .c = (c_), .n = (n_) }
#define SHUTDOWN(c_)		{ .op = KS_SHUTDOWN, .c = (c_) }
#define CLOSE(c_)		{ .op = KS_CLOSE, .c = (c_) }
#define SOCKOPT(c_, o, v)	{ .op = KS_SOCKOPT, .c = (c_), .s1 = (o), .n = (v) }
#define SOERROR(c_, e)		{ .op = KS_SOERROR, .c = (c_), .n = (e) }
#define IN(c_, s)		{ .op = KS_IN, .c = (c_), .seg = (s) }
#define OUT(ms_, c_, s)		{ .op = KS_OUT, .c = (c_), .ms = (ms_), .seg = (s) }
#define QUIET(ms_)		{ .op = KS_QUIET, .ms = (ms_) }
#define SS(c_, st, t)		{ .op = KS_SS, .c = (c_), .s1 = (st), .n = (t) }
#define END			{ .op = KS_END }

#define PEER_SYN	"S 0 0 0 mss,sackok,ws"
#define KERNEL_SA	"S. 0 1 0 mss,sackok,ws"

/* Passive open of connection c, accepted. */
#define HANDSHAKE(c_)							\
	IN(c_, PEER_SYN), OUT(0, c_, KERNEL_SA), IN(c_, ". 1 1 0"), ACCEPT(c_)

static const struct tm_kstep handshake[] = {
	LISTEN(8),
	HANDSHAKE(0),
	END
};

/* T1: SYN-ACK at 0, 1, 3 s (tcp_synack_retries=2), request dropped at 7 s without a RST. */
static const struct tm_kstep synack_expiry[] = {
	SYSCTL("net.ipv4.tcp_synack_retries", "2"),
	LISTEN(8),
	IN(0, PEER_SYN),
	OUT(0, 0, KERNEL_SA),
	OUT(1000, 0, KERNEL_SA),
	OUT(2000, 0, KERNEL_SA),
	QUIET(4500),
	IN(0, ". 1 1 0"),
	OUT(0, 0, "R 1 - 0"),
	END
};

const struct tm_kscen tm_kscens[] = {
	{ "handshake", "passive open with options", "E1", false, handshake,
	  "L CLOSE>LISTEN, c0 LISTEN>SYN_RECV, c0 SYN_RECV>ESTABLISHED" },
	{ "synack-expiry", "SYN-ACK retransmissions, silent expiry, RST to the late ACK", "T1",
	  false, synack_expiry,
	  "L CLOSE>LISTEN, c0 retransmit_synack, c0 retransmit_synack, L send_reset(TCP_FLAGS)" },
	{ NULL, NULL, NULL, false, NULL, NULL },
};

const struct tm_kscen *
tm_kscen_find(const char *name)
{
	const struct tm_kscen *s;

	for (s = tm_kscens; s->name != NULL; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}
