/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by every part that handles the snapshot data: timer names,
 * address formatting.
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
