/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by every part that handles the snapshot data: errors,
 * state and timer names, address formatting.
 */
#include "collectors/snapshot.h"

#include <arpa/inet.h>

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const state_names[TD_ST_MAX] = {
	[TD_ST_UNKNOWN] = "UNKNOWN",
	[TD_ST_ESTABLISHED] = "ESTABLISHED",
	[TD_ST_SYN_SENT] = "SYN_SENT",
	[TD_ST_SYN_RECV] = "SYN_RECV",
	[TD_ST_FIN_WAIT1] = "FIN_WAIT1",
	[TD_ST_FIN_WAIT2] = "FIN_WAIT2",
	[TD_ST_TIME_WAIT] = "TIME_WAIT",
	[TD_ST_CLOSE] = "CLOSE",
	[TD_ST_CLOSE_WAIT] = "CLOSE_WAIT",
	[TD_ST_LAST_ACK] = "LAST_ACK",
	[TD_ST_LISTEN] = "LISTEN",
	[TD_ST_CLOSING] = "CLOSING",
	[TD_ST_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

/* iproute2 misc/ss.c sstate_name[]. */
static const char *const state_ss_names[TD_ST_MAX] = {
	[TD_ST_UNKNOWN] = "UNKNOWN",
	[TD_ST_ESTABLISHED] = "ESTAB",
	[TD_ST_SYN_SENT] = "SYN-SENT",
	[TD_ST_SYN_RECV] = "SYN-RECV",
	[TD_ST_FIN_WAIT1] = "FIN-WAIT-1",
	[TD_ST_FIN_WAIT2] = "FIN-WAIT-2",
	[TD_ST_TIME_WAIT] = "TIME-WAIT",
	[TD_ST_CLOSE] = "UNCONN",
	[TD_ST_CLOSE_WAIT] = "CLOSE-WAIT",
	[TD_ST_LAST_ACK] = "LAST-ACK",
	[TD_ST_LISTEN] = "LISTEN",
	[TD_ST_CLOSING] = "CLOSING",
	[TD_ST_NEW_SYN_RECV] = "NEW-SYN-RECV",
};

const char *
td_state_name(unsigned int st)
{
	return st < TD_ST_MAX ? state_names[st] : "UNKNOWN";
}

const char *
td_state_ss_name(unsigned int st)
{
	return st < TD_ST_MAX ? state_ss_names[st] : "UNKNOWN";
}

/* Compare ignoring case and treating '-' and '_' alike; "FIN-WAIT-1" = "fin_wait1". */
static bool
state_eq(const char *name, const char *want)
{
	for (;;) {
		while (*name == '-' || *name == '_')
			name++;
		while (*want == '-' || *want == '_')
			want++;
		if (*name == '\0' || *want == '\0')
			return *name == *want;
		if (tolower((unsigned char)*name) != tolower((unsigned char)*want))
			return false;
		name++;
		want++;
	}
}

int
td_state_parse(const char *name)
{
	unsigned int st;

	for (st = 1; st < TD_ST_MAX; st++)
		if (state_eq(name, state_names[st]))
			return (int)st;
	/* ss spellings that differ from the kernel's: ESTAB, SYN-RECV, CLOSED. */
	if (state_eq(name, "ESTAB"))
		return TD_ST_ESTABLISHED;
	if (state_eq(name, "SYN_RECEIVED") || state_eq(name, "SYN_RCVD"))
		return TD_ST_SYN_RECV;
	if (state_eq(name, "CLOSED"))
		return TD_ST_CLOSE;
	return -1;
}

static const char *const timer_names[] = {
	[TD_TIMER_OFF] = "off",
	[TD_TIMER_ON] = "on",
	[TD_TIMER_KEEPALIVE] = "keepalive",
	[TD_TIMER_TIMEWAIT] = "timewait",
	[TD_TIMER_PERSIST] = "persist",
	[TD_TIMER_UNKNOWN] = "unknown",
};

const char *
td_timer_name(unsigned int t)
{
	return t <= TD_TIMER_UNKNOWN ? timer_names[t] : "unknown";
}

bool
td_addr_is_v4(const struct in6_addr *a)
{
	return IN6_IS_ADDR_V4MAPPED(a);
}

char *
td_addr_str(const struct td_sock *sk, const struct in6_addr *a, char *buf, size_t len)
{
	if (sk->family == AF_INET || td_addr_is_v4(a)) {
		/* By hand: glibc's inet_ntop formats IPv4 with sprintf, which
		 * showed up in the profile of `ls` on many sockets. */
		char tmp[16], *p = tmp;
		int i;

		for (i = 12; i < 16; i++) {
			unsigned int v = a->s6_addr[i];

			if (v >= 100)
				*p++ = (char)('0' + v / 100);
			if (v >= 10)
				*p++ = (char)('0' + v / 10 % 10);
			*p++ = (char)('0' + v % 10);
			*p++ = i < 15 ? '.' : '\0';
		}
		if ((size_t)(p - tmp) <= len)
			memcpy(buf, tmp, (size_t)(p - tmp));
		else if (len > 0)
			buf[0] = '\0';
	} else
		inet_ntop(AF_INET6, a, buf, (socklen_t)len);
	return buf;
}
