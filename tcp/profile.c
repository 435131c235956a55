/* SPDX-License-Identifier: MIT */
/*
 * The two profiles and the knob table.  Every knob is a field of struct
 * tm_profile; the knob table names it (after the sysctl when it is one), its
 * unit and its accepted range, so `--set KNOB=VALUE`, scenario scripts and
 * tm_profile_from_values() all go through the same rows.
 *
 * Linux values: Linux 6.18 defaults (include/net/tcp.h constants,
 * Documentation/networking/ip-sysctl.rst), KERNEL-FACTS Part E 5.3.
 */
#include "tcp/tm.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "core/num.h"
#include "core/util.h"

struct tm_profile
tm_profile_linux(void)
{
	struct tm_profile p;

	memset(&p, 0, sizeof(p));
	snprintf(p.name, sizeof(p.name), "linux");
	p.minisocks = true;
	p.trace_linux = true;
	p.syncookies = 1;
	p.abort_on_overflow = 0;
	p.max_syn_backlog = 4096;	/* scales with memory; 4096 on the lab host */
	p.somaxconn = 4096;		/* net.core.somaxconn since 5.4 */
	p.queue_limits = true;
	p.syn_retries = 6;		/* TCP_SYN_RETRIES */
	p.syn_linear_timeouts = 4;	/* since 6.5 */
	p.synack_retries = 5;		/* TCP_SYNACK_RETRIES */
	p.retries1 = 3;
	p.retries2 = 15;
	p.orphan_retries = 0;
	p.rto_init = TM_SEC(1);		/* TCP_TIMEOUT_INIT */
	p.rto_min = TM_MS(200);		/* TCP_RTO_MIN */
	p.retries_base = TM_MS(200);	/* TCP_RTO_MIN in retransmits_timed_out() */
	p.rto_max = TM_SEC(120);	/* TCP_RTO_MAX */
	p.delack_min = TM_MS(40);	/* TCP_DELACK_MIN = HZ/25 */
	p.quickacks = 16;		/* TCP_MAX_QUICKACKS */
	p.fin_pingpong = true;		/* tcp_fin(): inet_csk_enter_pingpong_mode() */
	p.tlp = true;			/* tcp_early_retrans=3 (RACK-TLP) */
	p.fin_timeout = TM_SEC(60);	/* TCP_FIN_TIMEOUT */
	p.orphan_fin_wait2 = true;
	p.timewait_len = TM_SEC(60);	/* TCP_TIMEWAIT_LEN */
	p.rfc1337 = 0;
	p.tw_syn_reopen = true;
	p.tw_reuse = 2;
	p.tw_reuse_delay = TM_MS(1000);
	p.max_tw_buckets = 262144;
	p.keepalive_time = TM_SEC(7200);	/* TCP_KEEPALIVE_TIME */
	p.keepalive_intvl = TM_SEC(75);
	p.keepalive_probes = 9;
	p.keepalive_rst = true;
	p.rfc5961 = true;
	p.invalid_ratelimit = TM_MS(500);
	p.challenge_ack_limit = INT_MAX;
	p.timestamps = 1;
	p.sack = 1;
	p.window_scaling = 1;
	p.isn_shift = 6;		/* seq_scale(): ktime_get_real_ns() >> 6 */
	p.isn_tick_ns = 0;
	p.mss = 1460;
	p.wscale = 7;
	p.rcv_wnd = 65483;		/* first window Linux advertises on loopback-ish MTUs */
	return p;
}

struct tm_profile
tm_profile_rfc9293(void)
{
	struct tm_profile p = tm_profile_linux();

	snprintf(p.name, sizeof(p.name), "rfc9293");
	p.minisocks = false;
	p.trace_linux = false;
	p.syncookies = 0;
	p.queue_limits = false;		/* RFC 9293 does not specify queues */
	p.syn_linear_timeouts = 0;	/* RFC 6298 5.5: doubling */
	p.syn_retries = 7;		/* >= 3 min total (RFC 1122 4.2.3.5 R2) */
	p.synack_retries = 7;
	p.rto_min = TM_SEC(1);		/* RFC 6298 2.4 */
	p.retries_base = p.rto_min;
	p.rto_max = TM_SEC(60);
	p.tlp = false;			/* RFC 8985 is not part of RFC 9293 */
	p.fin_pingpong = false;		/* RFC 9293 3.10.7.4: "send an acknowledgment for the FIN" */
	p.orphan_fin_wait2 = false;	/* RFC: FIN-WAIT-2 has no timeout */
	p.timewait_len = TM_SEC(240);	/* 2 x MSL, MSL = 2 min */
	p.rfc1337 = 0;			/* RFC 9293 3.10.7.4: RST -> CLOSED */
	p.tw_syn_reopen = false;
	p.tw_reuse = 0;
	p.keepalive_rst = false;
	p.challenge_ack_limit = 1000;
	p.isn_shift = 0;
	p.isn_tick_ns = 4000;		/* RFC 9293 3.4.1: a 4 us clock */
	return p;
}

int
tm_profile_by_name(const char *name, struct tm_profile *out)
{
	if (strcmp(name, "linux") == 0)
		*out = tm_profile_linux();
	else if (strcmp(name, "rfc9293") == 0 || strcmp(name, "rfc") == 0)
		*out = tm_profile_rfc9293();
	else
		return -1;
	return 0;
}

#define F(field)	offsetof(struct tm_profile, field)
#define NOSYS		NULL

/* Fields that are bool or tm_time are told apart by unit and by size. */
static const struct tm_knob knobs[] = {
	{ "tcp_abort_on_overflow", F(abort_on_overflow), TM_KU_INT, "net.ipv4.tcp_abort_on_overflow", 0, 1,
	  "RST the 3rd ACK when the accept queue is full (else drop it)" },
	{ "tcp_challenge_ack_limit", F(challenge_ack_limit), TM_KU_INT, "net.ipv4.tcp_challenge_ack_limit", 0, INT_MAX,
	  "challenge ACKs per second, per netns (RFC 5961)" },
	{ "tcp_fin_timeout", F(fin_timeout), TM_KU_SEC, "net.ipv4.tcp_fin_timeout", 1, 86400,
	  "how long an orphaned FIN_WAIT2 socket waits for the peer's FIN" },
	{ "tcp_invalid_ratelimit", F(invalid_ratelimit), TM_KU_MS, "net.ipv4.tcp_invalid_ratelimit", 0, 3600000,
	  "minimum gap between challenge / out-of-window ACKs of one socket" },
	{ "tcp_keepalive_intvl", F(keepalive_intvl), TM_KU_SEC, "net.ipv4.tcp_keepalive_intvl", 1, 32767,
	  "gap between keepalive probes" },
	{ "tcp_keepalive_probes", F(keepalive_probes), TM_KU_INT, "net.ipv4.tcp_keepalive_probes", 1, 127,
	  "unanswered probes before the connection is reset" },
	{ "tcp_keepalive_time", F(keepalive_time), TM_KU_SEC, "net.ipv4.tcp_keepalive_time", 1, 32767,
	  "idle time before the first keepalive probe" },
	{ "tcp_max_syn_backlog", F(max_syn_backlog), TM_KU_INT, "net.ipv4.tcp_max_syn_backlog", 1, INT_MAX,
	  "with syncookies off, requests beyond 3/4 of this are dropped" },
	{ "tcp_max_tw_buckets", F(max_tw_buckets), TM_KU_INT, "net.ipv4.tcp_max_tw_buckets", 0, INT_MAX,
	  "timewait sockets allowed; beyond it TIME_WAIT is skipped" },
	{ "tcp_orphan_retries", F(orphan_retries), TM_KU_INT, "net.ipv4.tcp_orphan_retries", 0, 255,
	  "retransmissions of an orphaned socket (0 means 8)" },
	{ "tcp_retries1", F(retries1), TM_KU_INT, "net.ipv4.tcp_retries1", 0, 255,
	  "retransmissions before routes are re-checked" },
	{ "tcp_retries2", F(retries2), TM_KU_INT, "net.ipv4.tcp_retries2", 0, 255,
	  "retransmission budget before ETIMEDOUT (RTO-based, about 924 s for 15)" },
	{ "tcp_rfc1337", F(rfc1337), TM_KU_INT, "net.ipv4.tcp_rfc1337", 0, 1,
	  "1: ignore RST in TIME_WAIT (RFC 1337); 0: the RST kills the timewait socket" },
	/* net/ipv4/sysctl_net_ipv4.c: 1000..120000 ms and 1..INT_MAX us (checked on 6.18). */
	{ "tcp_rto_max_ms", F(rto_max), TM_KU_MS, "net.ipv4.tcp_rto_max_ms", 1000, 120000,
	  "largest RTO (TCP_RTO_MAX, Linux 6.15+)" },
	{ "tcp_rto_min_us", F(rto_min), TM_KU_US, "net.ipv4.tcp_rto_min_us", 1, INT_MAX,
	  "smallest RTO in microseconds (TCP_RTO_MIN, Linux 6.11+)" },
	{ "tcp_syn_linear_timeouts", F(syn_linear_timeouts), TM_KU_INT, "net.ipv4.tcp_syn_linear_timeouts", 0, 255,
	  "SYN retransmissions at a fixed RTO before exponential backoff" },
	{ "tcp_syn_retries", F(syn_retries), TM_KU_INT, "net.ipv4.tcp_syn_retries", 1, 127,
	  "SYN retransmissions (plus the linear ones) before connect() fails" },
	{ "tcp_synack_retries", F(synack_retries), TM_KU_INT, "net.ipv4.tcp_synack_retries", 0, 255,
	  "SYN-ACK retransmissions before the request is dropped silently" },
	{ "tcp_syncookies", F(syncookies), TM_KU_INT, "net.ipv4.tcp_syncookies", 0, 2,
	  "0 off, 1 cookies when the SYN queue overflows, 2 always" },
	{ "tcp_timestamps", F(timestamps), TM_KU_INT, "net.ipv4.tcp_timestamps", 0, 2,
	  "RFC 7323 timestamps (PAWS)" },
	{ "tcp_tw_reuse", F(tw_reuse), TM_KU_INT, "net.ipv4.tcp_tw_reuse", 0, 2,
	  "connect() may reuse a TIME_WAIT tuple (2: loopback only)" },
	{ "tcp_tw_reuse_delay", F(tw_reuse_delay), TM_KU_MS, "net.ipv4.tcp_tw_reuse_delay", 1, 2000000,
	  "how old a timewait socket must be before reuse" },
	{ "somaxconn", F(somaxconn), TM_KU_INT, "net.core.somaxconn", 1, INT_MAX,
	  "cap on the listen() backlog (net.core.somaxconn)" },
	/* Model knobs that are not sysctls. */
	{ "delack_min", F(delack_min), TM_KU_MS, NOSYS, 1, 1000, "delayed-ACK timeout" },
	{ "isn_shift", F(isn_shift), TM_KU_INT, NOSYS, 0, 31, "ISN clock: ns >> this (6 = 64 ns)" },
	{ "keepalive_rst", F(keepalive_rst), TM_KU_BOOL, NOSYS, 0, 1, "RST after the last keepalive probe" },
	{ "minisocks", F(minisocks), TM_KU_BOOL, NOSYS, 0, 1, "request and timewait mini-sockets" },
	{ "mss", F(mss), TM_KU_INT, NOSYS, 64, 65495, "our MSS" },
	{ "orphan_fin_wait2", F(orphan_fin_wait2), TM_KU_BOOL, NOSYS, 0, 1, "orphaned FIN_WAIT2 times out" },
	{ "queue_limits", F(queue_limits), TM_KU_BOOL, NOSYS, 0, 1, "SYN and accept queue limits" },
	{ "rfc5961", F(rfc5961), TM_KU_BOOL, NOSYS, 0, 1, "RFC 5961 challenge ACKs" },
	{ "rto_init", F(rto_init), TM_KU_MS, NOSYS, 1, 600000, "initial RTO" },
	{ "rto_max", F(rto_max), TM_KU_MS, NOSYS, 1, 600000, "largest RTO" },
	{ "rto_min", F(rto_min), TM_KU_MS, NOSYS, 1, 600000, "smallest RTO" },
	{ "tlp", F(tlp), TM_KU_BOOL, NOSYS, 0, 1, "tail loss probe before the first RTO" },
	{ "timewait_len", F(timewait_len), TM_KU_SEC, NOSYS, 0, 3600, "TIME_WAIT length (Linux: fixed 60 s)" },
	{ "tw_syn_reopen", F(tw_syn_reopen), TM_KU_BOOL, NOSYS, 0, 1, "a newer SYN reopens from TIME_WAIT" },
};

const struct tm_knob *
tm_knobs(size_t *n)
{
	*n = ARRAY_SIZE(knobs);
	return knobs;
}

const struct tm_knob *
tm_knob_find(const char *name)
{
	size_t i;

	if (strncmp(name, "net.ipv4.", 9) == 0)
		name += 9;
	else if (strncmp(name, "net.core.", 9) == 0)
		name += 9;
	for (i = 0; i < ARRAY_SIZE(knobs); i++)
		if (strcmp(knobs[i].name, name) == 0)
			return &knobs[i];
	return NULL;
}

static bool
knob_is_time(const struct tm_knob *k)
{
	return k->unit == TM_KU_SEC || k->unit == TM_KU_MS || k->unit == TM_KU_US;
}

static tm_time
knob_unit_ns(const struct tm_knob *k)
{
	return k->unit == TM_KU_SEC ? TM_SEC(1) : k->unit == TM_KU_MS ? TM_MS(1) : 1000;
}

int64_t
tm_knob_get(const struct tm_profile *p, const struct tm_knob *k)
{
	const char *base = (const char *)p + k->off;
	tm_time t;
	int v;

	if (knob_is_time(k)) {
		memcpy(&t, base, sizeof(t));
		return (int64_t)(t / knob_unit_ns(k));
	}
	if (k->unit == TM_KU_BOOL)
		return *(const bool *)base ? 1 : 0;
	if (strcmp(k->name, "mss") == 0)
		return *(const uint16_t *)base;
	if (strcmp(k->name, "isn_shift") == 0)
		return *(const unsigned int *)base;
	memcpy(&v, base, sizeof(v));
	return v;
}

static void
knob_put(struct tm_profile *p, const struct tm_knob *k, int64_t v)
{
	char *base = (char *)p + k->off;
	tm_time t;
	int iv;

	if (knob_is_time(k)) {
		t = (tm_time)v * knob_unit_ns(k);
		memcpy(base, &t, sizeof(t));
	} else if (k->unit == TM_KU_BOOL) {
		*(bool *)base = v != 0;
	} else if (strcmp(k->name, "mss") == 0) {
		*(uint16_t *)base = (uint16_t)v;
	} else if (strcmp(k->name, "isn_shift") == 0) {
		*(unsigned int *)base = (unsigned int)v;
	} else {
		iv = (int)v;
		memcpy(base, &iv, sizeof(iv));
	}
}

int
tm_knob_set(struct tm_profile *p, const char *assignment, char *msg, size_t len)
{
	const struct tm_knob *k;
	const char *eq = strchr(assignment, '=');
	char name[64];
	int64_t v;

	if (eq == NULL || eq == assignment || (size_t)(eq - assignment) >= sizeof(name)) {
		snprintf(msg, len, "expected KNOB=VALUE, got '%s'", assignment);
		return -1;
	}
	memcpy(name, assignment, (size_t)(eq - assignment));
	name[eq - assignment] = '\0';
	if ((k = tm_knob_find(name)) == NULL) {
		snprintf(msg, len, "unknown knob '%s' (see `tcpdoctor explain knobs`)", name);
		return -1;
	}
	if (td_num_i64(eq + 1, k->min, k->max, &v, NULL) < 0) {
		snprintf(msg, len, "bad value '%s' for %s (%lld..%lld)", eq + 1, k->name,
		    (long long)k->min, (long long)k->max);
		return -1;
	}
	knob_put(p, k, v);
	return 0;
}

struct tm_profile
tm_profile_from_values(int (*get)(const void *ctx, const char *sysctl, int64_t *v), const void *ctx)
{
	struct tm_profile p = tm_profile_linux();
	size_t i;
	int64_t v;

	if (get == NULL)
		return p;
	for (i = 0; i < ARRAY_SIZE(knobs); i++) {
		const struct tm_knob *k = &knobs[i];

		if (k->sysctl == NULL || get(ctx, k->sysctl, &v) <= 0)
			continue;
		if (v < k->min)
			v = k->min;
		if (v > k->max)
			v = k->max;
		knob_put(&p, k, v);
	}
	return p;
}
