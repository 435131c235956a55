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

/* Lowercase hex of a 16-bit group without leading zeros; returns the end. */
static char *
put_group(char *p, unsigned int w)
{
	static const char hex[] = "0123456789abcdef";
	int shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;

	for (; shift >= 0; shift -= 4)
		*p++ = hex[(w >> shift) & 15];
	return p;
}

/* Dotted quad of a[0..3]; returns the end. */
static char *
put_quad(char *p, const uint8_t *a)
{
	int i;

	for (i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		if (i < 3)
			*p++ = '.';
	}
	return p;
}

/*
 * IPv6 text exactly as glibc's inet_ntop writes it (resolv/inet_ntop.c,
 * inet_ntop6: the first longest run of two or more zero groups becomes
 * "::", groups in lowercase hex without leading zeros, and ::a.b.c.d /
 * ::ffff:a.b.c.d keep the IPv4 tail dotted), by hand: glibc formats each
 * group with sprintf, which led the profile of `ls` on IPv6 sockets.
 * tests/unit/collectors/snapshot_test.c holds it to inet_ntop.
 */
static char *
put_v6(char *p, const struct in6_addr *a)
{
	unsigned int w[8];
	int i, best = -1, blen = 0, cur = -1, clen = 0;

	for (i = 0; i < 8; i++) {
		w[i] = (unsigned int)a->s6_addr[2 * i] << 8 | a->s6_addr[2 * i + 1];
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, clen = 0;
			if (++clen > blen)
				best = cur, blen = clen;
		} else {
			cur = -1;
		}
	}
	if (blen < 2)
		best = -1;
	for (i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + blen) {
			if (i == best)
				*p++ = ':';
			continue;
		}
		if (i != 0)
			*p++ = ':';
		if (i == 6 && best == 0 && (blen == 6 || (blen == 5 && w[5] == 0xffff)))
			return put_quad(p, &a->s6_addr[12]);
		p = put_group(p, w[i]);
	}
	if (best >= 0 && best + blen == 8)
		*p++ = ':';
	return p;
}

char *
td_addr6_str(const struct in6_addr *a, char *buf)
{
	*put_v6(buf, a) = '\0';
	return buf;
}

char *
td_addr_str(const struct td_sock *sk, const struct in6_addr *a, char *buf, size_t len)
{
	char tmp[INET6_ADDRSTRLEN], *p;

	/* By hand: glibc's inet_ntop formats with sprintf, which showed up
	 * in the profile of `ls` on many sockets. */
	if (sk->family == AF_INET || td_addr_is_v4(a))
		p = put_quad(tmp, &a->s6_addr[12]);
	else
		p = put_v6(tmp, a);
	*p++ = '\0';
	if ((size_t)(p - tmp) <= len)
		memcpy(buf, tmp, (size_t)(p - tmp));
	else if (len > 0)
		buf[0] = '\0';
	return buf;
}
