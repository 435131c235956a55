/* SPDX-License-Identifier: MIT */
/*
 * The kernel's accepted ranges for the knobs of the advice table; see
 * knob_range.h.  Sources: the ctl_table entries of net/ipv4/sysctl_net_ipv4.c
 * (ipv4_net_table: per namespace; ipv4_table: global) and
 * net/core/sysctl_net_core.c, and a write of each edge value in a throwaway
 * namespace on Linux 6.18 (tests/unit/analyzers/knob_range_test.c checks
 * the table against itself; tests/integration/121-tune-audit.sh writes the
 * edges to the running kernel).
 */
#include "analyzers/knob_range.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/num.h"
#include "core/util.h"

/* proc_dou8vec_minmax() without extra1/extra2: a u8, 0 to 255. */
#define U8		1, 0, 255, "proc_dou8vec_minmax"
/* proc_dointvec(): any int. */
#define INT		1, INT32_MIN, INT32_MAX, "proc_dointvec"
/*
 * proc_dointvec_jiffies(): seconds times HZ must fit in an int, so at most
 * INT_MAX / HZ; negative values are taken as they are (measured: -5 is
 * accepted).  21474836 is the bound at HZ=100; kernels with a larger HZ
 * refuse less (8589934 at HZ=250, 2147483 at HZ=1000).
 */
#define JIFFIES		1, -21474836, 21474836, "proc_dointvec_jiffies, at most INT_MAX / HZ seconds"

const struct knob_range knob_ranges[] = {
	{ "net.core.netdev_max_backlog",	INT, true },
	{ "net.core.somaxconn",			1, 0, INT32_MAX, "proc_dointvec_minmax, extra1 SYSCTL_ZERO" },
	{ "net.ipv4.ip_local_port_range",	2, 1, 65535, "ipv4_local_port_range()" },
	{ "net.ipv4.ip_local_reserved_ports",	0, 0, 0, "proc_do_large_bitmap" },
	{ "net.ipv4.tcp_abort_on_overflow",	U8 },
	{ "net.ipv4.tcp_challenge_ack_limit",	INT },
	{ "net.ipv4.tcp_congestion_control",	0, 0, 0, "proc_tcp_congestion_control" },
	{ "net.ipv4.tcp_ehash_entries",		0, 0, 0, "read-only (mode 0444)" },
	{ "net.ipv4.tcp_fack",			U8 },
	{ "net.ipv4.tcp_fastopen",		INT },
	{ "net.ipv4.tcp_fin_timeout",		JIFFIES },
	{ "net.ipv4.tcp_invalid_ratelimit",	1, 0, INT32_MAX, "proc_dointvec_ms_jiffies" },
	{ "net.ipv4.tcp_keepalive_intvl",	JIFFIES },
	{ "net.ipv4.tcp_keepalive_probes",	U8 },
	{ "net.ipv4.tcp_keepalive_time",	JIFFIES },
	{ "net.ipv4.tcp_low_latency",		INT, true },
	{ "net.ipv4.tcp_max_orphans",		INT, true },
	{ "net.ipv4.tcp_max_syn_backlog",	INT },
	{ "net.ipv4.tcp_max_tw_buckets",	INT },
	{ "net.ipv4.tcp_mem",			3, 0, INT64_MAX, "proc_doulongvec_minmax", true },
	{ "net.ipv4.tcp_mtu_probing",		U8 },
	{ "net.ipv4.tcp_no_metrics_save",	U8 },
	{ "net.ipv4.tcp_orphan_retries",	U8 },
	{ "net.ipv4.tcp_retries1",		1, 0, 255, "proc_dou8vec_minmax, extra2 tcp_retr1_max" },
	{ "net.ipv4.tcp_retries2",		U8 },
	{ "net.ipv4.tcp_rfc1337",		U8 },
	/* Measured on 6.18: 0 and 2147483648 refused; 999 and 120001 refused. */
	{ "net.ipv4.tcp_rto_max_ms",		1, 1000, 120000, "proc_dointvec_minmax, SYSCTL_ONE_THOUSAND to TCP_RTO_MAX_MSEC" },
	{ "net.ipv4.tcp_rto_min_us",		1, 1, INT32_MAX, "proc_dointvec_minmax, extra1 SYSCTL_ONE" },
	/* 6.18 refuses any of the three under 4096 (measured); tcp_wmem takes 1. */
	{ "net.ipv4.tcp_rmem",			3, 4096, INT32_MAX, "proc_dointvec_minmax" },
	{ "net.ipv4.tcp_sack",			U8 },
	{ "net.ipv4.tcp_slow_start_after_idle",	U8 },
	{ "net.ipv4.tcp_syn_linear_timeouts",	1, 0, 127, "proc_dou8vec_minmax, extra2 MAX_TCP_SYNCNT" },
	{ "net.ipv4.tcp_syn_retries",		1, 1, 127, "proc_dou8vec_minmax, tcp_syn_retries_min to MAX_TCP_SYNCNT" },
	{ "net.ipv4.tcp_synack_retries",	U8 },
	{ "net.ipv4.tcp_syncookies",		U8 },
	{ "net.ipv4.tcp_timestamps",		U8 },
	{ "net.ipv4.tcp_tw_recycle",		0, 0, 0, "removed in 4.12" },
	{ "net.ipv4.tcp_tw_reuse",		1, 0, 2, "proc_dou8vec_minmax, SYSCTL_ZERO to SYSCTL_TWO" },
	{ "net.ipv4.tcp_tw_reuse_delay",	1, 1, 60000, "proc_dointvec_minmax, 1 to TCP_PAWS_MSL * MSEC_PER_SEC" },
	{ "net.ipv4.tcp_window_scaling",	U8 },
	{ "net.ipv4.tcp_wmem",			3, 1, INT32_MAX, "proc_dointvec_minmax, extra1 SYSCTL_ONE" },
};
const size_t knob_range_count = ARRAY_SIZE(knob_ranges);

const struct knob_range *
knob_range_find(const char *name)
{
	size_t i;

	for (i = 0; i < knob_range_count; i++)
		if (strcmp(knob_ranges[i].name, name) == 0)
			return &knob_ranges[i];
	return NULL;
}

/* One number as proc_get_long() reads it; 0, or -1 (ERANGE sets *range). */
static int
parse_one(const char **sp, int64_t *out, int *range)
{
	const char *s = *sp, *why;
	size_t n = strcspn(s, " \t\n\v\f\r");	/* up to the next isspace() */

	/* An optional '-', then digits in C's bases (kstrtoul's rule); no '+'. */
	if (!isdigit((unsigned char)s[*s == '-']))
		return -1;
	if (td_num_i64n(s, n, 0, INT64_MIN, INT64_MAX, out, &why) < 0) {
		*range = why == td_num_small || why == td_num_large;
		return -1;
	}
	*sp = s + n;
	return 0;
}

static int
parse_ints(const char *s, int64_t *v, int max, int *range)
{
	int n = 0;

	*range = 0;
	while (isspace((unsigned char)*s))
		s++;
	while (*s != '\0') {
		int64_t x;

		if (parse_one(&s, &x, range) < 0)
			return -1;
		if (n < max)
			v[n] = x;
		n++;
		while (isspace((unsigned char)*s))
			s++;
	}
	return n;
}

int
knob_parse_ints(const char *value, int64_t *v, int max)
{
	int range, n = parse_ints(value, v, max, &range);

	return n > max ? -1 : n;
}

int
knob_range_check(const struct knob_range *r, const char *value, int64_t v[3], char *why, size_t len)
{
	int64_t tmp[3];
	int range, n, i;

	if (r->n == 0)
		return 0;
	n = parse_ints(value, tmp, 3, &range);
	if (n < 0 && range) {
		snprintf(why, len, "'%s' does not fit in 64 bits (ERANGE): the kernel takes %lld to %lld (%s); sysctl fails on the line",
		    value, (long long)r->min, (long long)r->max, r->handler);
		return -1;
	}
	if (n != r->n) {
		snprintf(why, len, "'%s' is not %s: sysctl fails on the line", value,
		    r->n == 1 ? "an integer" : r->n == 2 ? "two integers" : "three integers");
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (tmp[i] < r->min || tmp[i] > r->max) {
			if (n == 1)
				snprintf(why, len, "%lld is out of range: the kernel takes %lld to %lld (%s) and sysctl fails with \"Invalid argument\"",
				    (long long)tmp[i], (long long)r->min, (long long)r->max, r->handler);
			else
				snprintf(why, len, "value %d (%lld) is out of range: the kernel takes %lld to %lld for each (%s) and sysctl fails with \"Invalid argument\"",
				    i + 1, (long long)tmp[i], (long long)r->min, (long long)r->max, r->handler);
			return -1;
		}
		v[i] = tmp[i];
	}
	return 0;
}
