/* SPDX-License-Identifier: MIT */
/* The one TCP state table; see tcpstate.h. */
#include "core/tcpstate.h"
#include "core/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

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

/* Spellings other than the kernel's: ss's ESTAB, RFC 9293's CLOSED and SYN-RECEIVED. */
static const struct {
	const char	*name;
	enum td_state	 st;
} aliases[] = {
	{ "ESTAB", TD_ST_ESTABLISHED },
	{ "SYN_RECEIVED", TD_ST_SYN_RECV },
	{ "SYN_RCVD", TD_ST_SYN_RECV },
	{ "CLOSED", TD_ST_CLOSE },
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

/*
 * Do the n bytes at name spell want, ignoring case and every '-' and '_'?
 * "FIN-WAIT-1" = "fin_wait1".
 */
static bool
state_eq(const char *name, size_t n, const char *want)
{
	const char *end = name + n;

	for (;;) {
		while (name < end && (*name == '-' || *name == '_'))
			name++;
		while (*want == '-' || *want == '_')
			want++;
		if (name == end || *want == '\0')
			return name == end && *want == '\0';
		if (tolower((unsigned char)*name) != tolower((unsigned char)*want))
			return false;
		name++;
		want++;
	}
}

int
td_state_parse_n(const char *name, size_t n)
{
	unsigned int st;
	size_t i;

	for (st = 1; st < TD_ST_MAX; st++)
		if (state_eq(name, n, state_names[st]))
			return (int)st;
	for (i = 0; i < ARRAY_SIZE(aliases); i++)
		if (state_eq(name, n, aliases[i].name))
			return (int)aliases[i].st;
	return -1;
}

int
td_state_parse(const char *name)
{
	return td_state_parse_n(name, strlen(name));
}

int
td_state_parse_kernel(const char *name, size_t n)
{
	/* include/trace/events/sock.h: show_tcp_state_name() prints "TCP_" + name. */
	if (n <= 4 || strncmp(name, "TCP_", 4) != 0)
		return -1;
	return td_state_parse_n(name + 4, n - 4);
}
