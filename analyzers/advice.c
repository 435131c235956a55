/* SPDX-License-Identifier: MIT */
/*
 * The sysctl knowledge table; see advice.h.  Facts come from
 * Documentation/networking/ip-sysctl.rst and the kernel sources named, and
 * from KERNEL-FACTS.md (F1-F22); timings come from the model in tcp/ (its
 * profile from the snapshot's sysctls), not from a second copy here.
 */
#include "analyzers/advice.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/knob_range.h"
#include "collectors/snapshot.h"
#include "collectors/sysctl.h"
#include "core/num.h"
#include "core/util.h"
#include "tcp/tm.h"

const char *
td_verdict_name(enum td_verdict v)
{
	static const char *const names[] = {
		[TD_VERDICT_FINE] = "fine", [TD_VERDICT_CAUTION] = "caution",
		[TD_VERDICT_POINTLESS] = "pointless", [TD_VERDICT_HARMFUL] = "harmful",
		[TD_VERDICT_OBSOLETE] = "obsolete", [TD_VERDICT_INVALID] = "invalid",
		[TD_VERDICT_UNKNOWN] = "unknown",
	};

	return (unsigned int)v <= TD_VERDICT_UNKNOWN ? names[v] : "unknown";
}

bool
advice_kernel_version(const char *release, int *major, int *minor)
{
	/* "6.18.0-13-amd64": the first two numbers; what follows the minor is free. */
	size_t n1, n2;
	int64_t a, b;

	if (release == NULL)
		return false;
	n1 = strspn(release, "0123456789");
	if (release[n1] != '.')
		return false;
	n2 = strspn(release + n1 + 1, "0123456789");
	if (td_num_i64n(release, n1, 10, 0, INT_MAX, &a, NULL) < 0 ||
	    td_num_i64n(release + n1 + 1, n2, 10, 0, INT_MAX, &b, NULL) < 0)
		return false;
	*major = (int)a;
	*minor = (int)b;
	return true;
}

static bool
kernel_at_least(const struct td_audit_in *in, int major, int minor)
{
	if (in->kmajor == 0)
		return true;	/* unknown: assume a current kernel */
	return in->kmajor > major || (in->kmajor == major && in->kminor >= minor);
}

/*
 * Value of a knob: the same file first, then this host; dflt if neither.
 * A value the kernel would refuse (knob_range.h) counts as not set, so
 * every value used here is within the kernel's range and sums of them
 * cannot overflow.
 */
static int64_t
setting(const struct td_audit_in *in, const char *name, int sysctl_id, int64_t dflt)
{
	const char *s = in->other != NULL ? in->other(in->file, name) : NULL;
	const struct knob_range *r = knob_range_find(name);
	char why[256];
	int64_t v[3];

	if (s != NULL && r != NULL && r->n == 1 && knob_range_check(r, s, v, why, sizeof(why)) == 0)
		return v[0];
	if (in->snap != NULL && sysctl_id >= 0) {
		v[0] = sysctl_int(&in->snap->sys, sysctl_id, dflt);
		if (r == NULL || r->n != 1 || (v[0] >= r->min && v[0] <= r->max))
			return v[0];
	}
	return dflt;
}

/* The model's profile for this host, so timings follow its sysctls. */
static struct tm_profile
profile(const struct td_audit_in *in)
{
	return in->snap != NULL ? tm_profile_from_values(sysctl_value, &in->snap->sys) : tm_profile_linux();
}

static double
secs(tm_time t)
{
	return (double)t / 1e9;
}

#define WHY(...)	snprintf(why, len, __VA_ARGS__)

static enum td_verdict
need_ints(const struct td_audit_in *in, int n, char *why, size_t len)
{
	if (in->nv != n) {
		WHY("'%s' is not %s", in->value, n == 1 ? "an integer" : n == 2 ? "two integers" : "three integers");
		return TD_VERDICT_INVALID;
	}
	return TD_VERDICT_FINE;
}

/* ---- Judges ---- */

static enum td_verdict
j_syncookies(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	switch (in->v[0]) {
	case 1:
		WHY("the default: cookies only while a listener's SYN queue is full");
		return TD_VERDICT_FINE;
	case 0:
		WHY("a full SYN queue then drops every new SYN (TCPReqQFullDrop), so a small SYN flood locks out real clients");
		return TD_VERDICT_HARMFUL;
	case 2:
		WHY("cookies for every SYN is a test mode: cookie SYN-ACKs are never retransmitted and lose TCP options, and floods become invisible in the socket table");
		return TD_VERDICT_HARMFUL;
	}
	WHY("%lld is accepted by the kernel but not documented: it acts as 1 (tcp_syn_flood_action() only tests for non-zero and for 2); write 1",
	    (long long)in->v[0]);
	return TD_VERDICT_CAUTION;
}

static enum td_verdict
j_max_syn_backlog(const struct td_audit_in *in, char *why, size_t len)
{
	int64_t cookies = setting(in, "net.ipv4.tcp_syncookies", TD_SYS_SYNCOOKIES, 1);

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (cookies != 0) {
		WHY("not the SYN queue size: the listen() backlog (capped by somaxconn) limits each SYN queue to backlog + 1; this knob only matters with tcp_syncookies=0 (here %lld)",
		    (long long)cookies);
		return TD_VERDICT_POINTLESS;
	}
	WHY("with tcp_syncookies=0 it decides when unproven peers are dropped (the last quarter of the queue); the queue itself is still capped by the listen() backlog");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_somaxconn(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (kernel_at_least(in, 5, 4) && in->v[0] < 4096) {
		WHY("lowers the cap on every listen() backlog below this kernel's default 4096 (since 5.4)");
		return TD_VERDICT_HARMFUL;
	}
	if (in->v[0] > 65535) {
		WHY("larger than any backlog applications ask for; harmless");
		return TD_VERDICT_FINE;
	}
	WHY("caps listen() backlogs; applications still need to ask for a large backlog themselves");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_syn_retries(const struct td_audit_in *in, char *why, size_t len)
{
	struct tm_profile p = profile(in), d = tm_profile_linux();

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	p.syn_retries = (int)in->v[0];
	if (in->v[0] < 3) {
		WHY("connect() then gives up after about %.0f s instead of %.0f s (default 6): it fails on a lossy path; fine only where fast failover is the aim",
		    secs(tm_syn_giveup(&p)), secs(tm_syn_giveup(&d)));
		return TD_VERDICT_CAUTION;
	}
	WHY("connect() gives up after about %.0f s", secs(tm_syn_giveup(&p)));
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_synack_retries(const struct td_audit_in *in, char *why, size_t len)
{
	struct tm_profile p = profile(in);

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	p.synack_retries = (int)in->v[0];
	if (in->v[0] == 0) {
		WHY("valid (0 to 255): no SYN-ACK is ever retransmitted and a half-open request is dropped after %.0f s (reqsk_timer_handler(): num_timeout >= 0), so one lost SYN-ACK or third ACK fails the connection until the client resends its SYN",
		    secs(tm_synack_giveup(&p)));
		return TD_VERDICT_CAUTION;
	}
	if (in->v[0] < 3) {
		WHY("half-open requests are dropped after %.0f s instead of 63 s: clients whose third ACK is lost get no second chance; against floods SYN cookies (never retransmitted) already do better",
		    secs(tm_synack_giveup(&p)));
		return TD_VERDICT_CAUTION;
	}
	WHY("requests are dropped after %.0f s without an answer", secs(tm_synack_giveup(&p)));
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_fin_timeout(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->aim_time_wait) {
		WHY("does not shorten TIME_WAIT (fixed at 60 s, TCP_TIMEWAIT_LEN): it only bounds orphaned FIN_WAIT2 sockets, so it does nothing for this file's TIME_WAIT aim");
		return TD_VERDICT_POINTLESS;
	}
	if (in->v[0] < 5) {
		WHY("orphaned FIN_WAIT2 sockets end after %lld s: a slow peer's FIN then meets a RST", (long long)in->v[0]);
		return TD_VERDICT_CAUTION;
	}
	WHY("bounds orphaned FIN_WAIT2 sockets at %lld s; it does not shorten TIME_WAIT (fixed at 60 s)",
	    (long long)in->v[0]);
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_keepalive_time(const struct td_audit_in *in, char *why, size_t len)
{
	int64_t intvl = setting(in, "net.ipv4.tcp_keepalive_intvl", TD_SYS_KEEPALIVE_INTVL, 75);
	int64_t probes = setting(in, "net.ipv4.tcp_keepalive_probes", TD_SYS_KEEPALIVE_PROBES, 9);

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] < 1) {
		WHY("%lld s is accepted by the kernel, but then keepalive probes start as soon as a connection with SO_KEEPALIVE is idle", (long long)in->v[0]);
		return TD_VERDICT_HARMFUL;
	}
	WHY("a dead idle peer is found after %lld + %lld x %lld = %lld s, only on sockets with SO_KEEPALIVE",
	    (long long)in->v[0], (long long)probes, (long long)intvl,
	    (long long)(in->v[0] + probes * intvl));
	return in->v[0] < 30 ? TD_VERDICT_CAUTION : TD_VERDICT_FINE;
}

/* Only sockets with SO_KEEPALIVE probe; detection takes keepalive_time + probes x intvl. */
static enum td_verdict
j_keepalive_probes(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] == 0) {
		WHY("valid (0 to 255), but with 0 probes tcp_keepalive_timer() resets every idle SO_KEEPALIVE connection after tcp_keepalive_time without asking the peer: live peers are cut off too");
		return TD_VERDICT_HARMFUL;
	}
	WHY("only sockets with SO_KEEPALIVE probe; detection takes keepalive_time + probes x intvl");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_keepalive_intvl(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] < 1) {
		WHY("%lld s is accepted by the kernel, but then the probes follow each other without a pause",
		    (long long)in->v[0]);
		return TD_VERDICT_HARMFUL;
	}
	WHY("only sockets with SO_KEEPALIVE probe; detection takes keepalive_time + probes x intvl");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_orphan_retries(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] == 0) {
		WHY("0 does not mean \"no retries\": the kernel treats it as 8 (tcp_orphan_retries() in net/ipv4/tcp_timer.c)");
		return TD_VERDICT_FINE;
	}
	if (in->v[0] > 8) {
		WHY("orphans retransmit longer than the default 8 and hold memory longer");
		return TD_VERDICT_CAUTION;
	}
	WHY("orphaned sockets give up after %lld retransmissions instead of 8: frees memory sooner on busy servers, drops the data of slow peers",
	    (long long)in->v[0]);
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_tw_reuse(const struct td_audit_in *in, char *why, size_t len)
{
	int64_t ts = setting(in, "net.ipv4.tcp_timestamps", TD_SYS_TIMESTAMPS, 1);

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] < 0 || in->v[0] > 2) {
		WHY("values are 0, 1 or 2");
		return TD_VERDICT_INVALID;
	}
	if (in->v[0] != 0 && ts == 0) {
		WHY("needs tcp_timestamps, which is off: it does nothing");
		return TD_VERDICT_POINTLESS;
	}
	if (in->v[0] == 1) {
		WHY("lets connect() reuse TIME_WAIT entries older than 1 s (timestamps protect them): helps clients making many outgoing connections; it never shortens server-side TIME_WAIT");
		return TD_VERDICT_FINE;
	}
	if (in->v[0] == 2) {
		WHY("the default: reuse for loopback connections only");
		return TD_VERDICT_FINE;
	}
	WHY("no reuse, even on loopback (the default is 2)");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_tw_recycle(const struct td_audit_in *in, char *why, size_t len)
{
	if (kernel_at_least(in, 4, 12)) {
		WHY("removed in Linux 4.12 (commit 4396e46187ca): this kernel (%d.%d) has no such knob and `sysctl -p` fails on the line; where it existed it dropped SYNs from clients behind NAT. Delete the line",
		    in->kmajor, in->kminor);
		return TD_VERDICT_OBSOLETE;
	}
	if (in->nv == 1 && in->v[0] == 0) {
		WHY("off, as it must be; the knob is gone since Linux 4.12");
		return TD_VERDICT_FINE;
	}
	WHY("drops SYNs from clients behind NAT (per-host timestamps), broken for every client since 4.10; removed in 4.12");
	return TD_VERDICT_HARMFUL;
}

static enum td_verdict
j_max_tw_buckets(const struct td_audit_in *in, char *why, size_t len)
{
	int64_t ehash = in->snap != NULL ? sysctl_int(&in->snap->sys, TD_SYS_EHASH_ENTRIES, 0) : 0;
	int64_t dflt;

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	dflt = (ehash < 0 ? -ehash : ehash) / 2;
	if (in->v[0] < 0) {
		WHY("the kernel takes %lld, but then no connection ever enters TIME_WAIT (inet_twsk_alloc() counts every one as an overflow)",
		    (long long)in->v[0]);
		return TD_VERDICT_HARMFUL;
	}
	if (dflt > 0 && in->v[0] < dflt) {
		WHY("below this host's default %lld (tcp_ehash_entries / 2): over the limit connections skip TIME_WAIT (TCPTimeWaitOverflow) and lose its protection; \"you must not lower the limit artificially\" (ip-sysctl.rst)",
		    (long long)dflt);
		return TD_VERDICT_HARMFUL;
	}
	WHY("at or above the default; a TIME_WAIT socket costs a few hundred bytes");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_netdev_max_backlog(const struct td_audit_in *in, char *why, size_t len)
{
	const struct td_counters *c = in->snap != NULL ? &in->snap->ctr : NULL;

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (c == NULL || !c->present[TD_CTR_SOFTNET_DROPPED]) {
		WHY("the per-CPU input queue for received packets; whether it helps shows in /proc/net/softnet_stat (column 2, dropped), unreadable here; it is not a TCP queue");
		return TD_VERDICT_FINE;
	}
	if (c->v[TD_CTR_SOFTNET_DROPPED] == 0) {
		WHY("no packet was dropped for a full backlog on this host (/proc/net/softnet_stat dropped = 0): raising it changes nothing here; it is not a TCP accept or SYN queue");
		return TD_VERDICT_POINTLESS;
	}
	WHY("this host dropped %llu packets for a full input backlog (/proc/net/softnet_stat): a larger queue helps if CPUs keep up on average",
	    (unsigned long long)c->v[TD_CTR_SOFTNET_DROPPED]);
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_rto_min(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] < 40000) {
		WHY("an RTO floor below 40 ms, the time a Linux peer may hold back an ACK (TCP_DELACK_MIN), retransmits spuriously unless every peer answers faster; per route, ip route's rto_min lock overrides it");
		return TD_VERDICT_CAUTION;
	}
	if (in->v[0] > 200000) {
		WHY("a floor above the 200 ms default makes every timeout recovery slower and does not make dead connections end sooner or later (tcp_retries2's timeout is modelled on the constant TCP_RTO_MIN)");
		return TD_VERDICT_CAUTION;
	}
	WHY("the smallest RTO; tcp_retries2's timeout does not depend on it (retransmits_timed_out() models it on the constant TCP_RTO_MIN)");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_rto_max(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] < 120000) {
		WHY("a cap on the backed-off RTO below 120 s: a connection that lost many segments retries sooner, and tcp_retries2 connections to a dead peer also give up sooner (tcp_model_timeout() uses it)");
		return TD_VERDICT_CAUTION;
	}
	WHY("the largest RTO, the kernel's default");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_port_range(const struct td_audit_in *in, char *why, size_t len)
{
	int64_t n;

	if (need_ints(in, 2, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] < 1 || in->v[1] > 65535 || in->v[0] > in->v[1]) {
		WHY("want LOW HIGH with 1 <= LOW <= HIGH <= 65535: ipv4_local_port_range() refuses anything else (EINVAL)");
		return TD_VERDICT_INVALID;
	}
	if (in->v[0] < 1024) {
		WHY("LOW %lld is under ip_unprivileged_port_start (1024 by default): ipv4_local_port_range() refuses it (EINVAL) unless that knob was lowered first",
		    (long long)in->v[0]);
		return TD_VERDICT_INVALID;
	}
	n = in->v[1] - in->v[0] + 1;
	if (n < 28232) {
		WHY("%lld ports, fewer than the default 28232: fewer connections per destination (about %lld new ones per second with TIME_WAIT's 60 s)",
		    (long long)n, (long long)(n / 60));
		return TD_VERDICT_CAUTION;
	}
	if ((in->v[0] & 1) == (in->v[1] & 1)) {
		WHY("%lld ports; the ends should differ in parity (ip-sysctl.rst): connect() and bind() split the range by parity", (long long)n);
		return TD_VERDICT_CAUTION;
	}
	WHY("%lld ports per destination; list ports of local services in ip_local_reserved_ports", (long long)n);
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_abort_on_overflow(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] != 0) {
		WHY("clients get a RST instead of retrying when the accept queue is full: it only makes failures fast and visible, it fixes nothing");
		return TD_VERDICT_CAUTION;
	}
	WHY("the default: a full accept queue drops the third ACK and the client retries");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_retries2(const struct td_audit_in *in, char *why, size_t len)
{
	struct tm_profile p = profile(in);
	double t;

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	t = secs(tm_retries_timeout(&p, (int)in->v[0], p.retries_base));
	if (in->v[0] < 8) {
		WHY("established connections die after about %.0f s of loss, under the 100 s RFC 1122 asks for (8 gives about 100 s); prefer TCP_USER_TIMEOUT per socket",
		    t);
		return TD_VERDICT_HARMFUL;
	}
	WHY("established connections give up after about %.0f s without an ACK (at the minimum RTO)", t);
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_timestamps(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] == 0) {
		WHY("turns off PAWS, better RTT estimates and tcp_tw_reuse; TIME_WAIT reuse then never happens");
		return TD_VERDICT_HARMFUL;
	}
	WHY("on, as by default");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_max_orphans(const struct td_audit_in *in, char *why, size_t len)
{
	int64_t cur = in->snap != NULL ? sysctl_int(&in->snap->sys, TD_SYS_MAX_ORPHANS, -1) : -1;

	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (cur > 0 && in->v[0] < cur) {
		WHY("lower than this host's %lld: orphans over it are reset at once (TCPAbortOnMemory)", (long long)cur);
		return TD_VERDICT_CAUTION;
	}
	WHY("each orphan can hold about 64 KiB of unswappable memory; raise only with memory to spare");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_rfc1337(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	WHY(in->v[0] != 0 ? "TIME_WAIT ignores RSTs (RFC 1337): protects against TIME_WAIT assassination"
	    : "the default: an in-window RST ends TIME_WAIT early (the ip-sysctl text reads the other way round)");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_challenge_ack_limit(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] < 1000) {
		WHY("a low global limit was the side channel of CVE-2016-5696; current kernels default to INT_MAX and rate-limit per socket");
		return TD_VERDICT_HARMFUL;
	}
	WHY("challenge ACKs (RFC 5961) per second, per namespace");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_legacy(const struct td_audit_in *in, char *why, size_t len)
{
	(void)in;
	WHY("a legacy option with no effect on current kernels (ip-sysctl.rst): delete the line");
	return TD_VERDICT_OBSOLETE;
}

static enum td_verdict
j_read_only(const struct td_audit_in *in, char *why, size_t len)
{
	(void)in;
	WHY("read-only: set the size with the thash_entries= boot parameter, or tcp_child_ehash_entries for new namespaces");
	return TD_VERDICT_INVALID;
}

static enum td_verdict
j_int(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	WHY("no known problem with this value");
	return TD_VERDICT_FINE;
}

/* A feature that is on by default and hurts every connection when off. */
static enum td_verdict
on_by_default(const struct td_audit_in *in, const char *off, char *why, size_t len)
{
	if (need_ints(in, 1, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] == 0) {
		WHY("%s", off);
		return TD_VERDICT_HARMFUL;
	}
	WHY("on, as by default");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_sack(const struct td_audit_in *in, char *why, size_t len)
{
	return on_by_default(in, "without SACK every loss costs more retransmissions and time", why, len);
}

static enum td_verdict
j_window_scaling(const struct td_audit_in *in, char *why, size_t len)
{
	return on_by_default(in, "caps every receive window at 64 KiB: throughput on any path with a real RTT collapses",
	    why, len);
}

static enum td_verdict
j_buffers(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 3, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] > in->v[1] || in->v[1] > in->v[2]) {
		WHY("the kernel takes it, but MIN DEFAULT MAX are out of order: autotuning then works against a default above its own limits");
		return TD_VERDICT_HARMFUL;
	}
	if (in->v[2] < 4 * 1024 * 1024) {
		WHY("a maximum under 4 MiB limits autotuning: long fat paths cannot fill their bandwidth-delay product");
		return TD_VERDICT_CAUTION;
	}
	WHY("per-socket buffer bounds for autotuning; memory per connection grows only when the path needs it");
	return TD_VERDICT_FINE;
}

static enum td_verdict
j_tcp_mem(const struct td_audit_in *in, char *why, size_t len)
{
	if (need_ints(in, 3, why, len) != TD_VERDICT_FINE)
		return TD_VERDICT_INVALID;
	if (in->v[0] > in->v[1] || in->v[1] > in->v[2]) {
		WHY("the kernel takes it, but LOW PRESSURE HIGH (pages) are out of order: memory pressure starts before or after the hard limit");
		return TD_VERDICT_HARMFUL;
	}
	WHY("host-wide TCP memory in pages; the default is sized from RAM at boot: a fixed value copied from another machine can be far off (TCPMemoryPressures shows pressure)");
	return TD_VERDICT_CAUTION;
}

static enum td_verdict
j_any(const struct td_audit_in *in, char *why, size_t len)
{
	(void)in;
	WHY("no known problem with this setting");
	return TD_VERDICT_FINE;
}

/* ---- The table ---- */

const struct td_advice td_advice_table[] = {
	{ "net.core.netdev_max_backlog", TD_SYS_NETDEV_MAX_BACKLOG,
	  "packets a CPU queues between the driver and the protocol stack (the softnet backlog) before dropping them",
	  "1000", "1000-10000, if softnet drops show",
	  "drops counted in /proc/net/softnet_stat's second column (TD counter softnet_dropped) on hosts whose CPUs fall behind in bursts",
	  "anything in TCP's own queues: not the accept queue, not the SYN queue, not TIME_WAIT",
	  "per CPU; time_squeeze (third column) means the budget ran out, which netdev_budget, not this, addresses",
	  "memory per CPU and added latency when queues run long",
	  j_netdev_max_backlog },
	{ "net.core.somaxconn", TD_SYS_SOMAXCONN,
	  "the upper bound on any listen() backlog; the effective backlog is min(listen() argument, somaxconn)",
	  "4096 since Linux 5.4 (128 before)", "4096-65535",
	  "accept-queue overflows (ListenOverflows) when the application asks for a larger backlog than this",
	  "applications that call listen() with a small backlog (they keep it whatever somaxconn says); slow accept()",
	  "commit 19f92a030ca6 \"net: increase SOMAXCONN to 4096\" (5.4); per network namespace",
	  "none to speak of when raised; lowering it caps every server",
	  j_somaxconn },
	{ "net.ipv4.ip_local_port_range", TD_SYS_PORT_RANGE,
	  "the ephemeral ports connect() and bind(0) choose from",
	  "32768 60999 (28232 ports)", "wider, e.g. 15000 64999, ends of different parity",
	  "ephemeral port exhaustion per (source, destination, port): more ports, more connections per destination",
	  "TIME_WAIT on the server side; exhaustion caused by bind() before connect() (use IP_BIND_ADDRESS_NO_PORT)",
	  "connect() starts with ports of the low end's parity, bind(0) with the other; IP_LOCAL_PORT_RANGE per socket since 6.3",
	  "a range that overlaps ports local services listen on makes them fail to bind: reserve those first",
	  j_port_range },
	{ "net.ipv4.ip_local_reserved_ports", TD_SYS_RESERVED_PORTS,
	  "ports inside ip_local_port_range that automatic port selection skips",
	  "empty", "the listening ports of local services inside the range",
	  "services failing to bind because a client took their port",
	  "exhaustion (it shrinks the usable range)",
	  "", "fewer usable ephemeral ports", NULL },
	{ "net.ipv4.tcp_abort_on_overflow", TD_SYS_ABORT_ON_OVERFLOW,
	  "when the accept queue is full, answer the third ACK with a RST instead of dropping it",
	  "0", "0",
	  "nothing: it makes failures fast and visible for clients that prefer an error to a retry",
	  "a slow accept() loop or a small backlog", "", "clients see connection resets during bursts", j_abort_on_overflow },
	{ "net.ipv4.tcp_challenge_ack_limit", TD_SYS_CHALLENGE_ACK_LIMIT,
	  "RFC 5961 challenge ACKs per second in a namespace",
	  "INT_MAX on current kernels (100, then 1000 with randomisation after CVE-2016-5696)", "the default",
	  "nothing normally", "", "the per-socket limit is tcp_invalid_ratelimit",
	  "a low global limit is an off-path side channel", j_challenge_ack_limit },
	{ "net.ipv4.tcp_ehash_entries", TD_SYS_EHASH_ENTRIES,
	  "size of the established hash (read-only); negative in a namespace that shares the host's",
	  "depends on memory", "read-only", "", "", "sizes the defaults of tcp_max_tw_buckets and tcp_max_syn_backlog",
	  "", j_read_only },
	{ "net.ipv4.tcp_fack", -1, "legacy forward acknowledgement switch", "no effect", "",
	  "", "everything", "legacy, no effect (ip-sysctl.rst)", "", j_legacy },
	{ "net.ipv4.tcp_congestion_control", -1,
	  "the default congestion control algorithm for new connections", "cubic", "an available algorithm",
	  "throughput on lossy or long paths (bbr)", "queues, TIME_WAIT, anything about connection states",
	  "the module must be loaded (net.ipv4.tcp_available_congestion_control)", "unfair sharing with other flows", j_any },
	{ "net.ipv4.tcp_fastopen", -1,
	  "TCP Fast Open: bit 1 client, bit 2 server", "1", "1 or 3",
	  "one round trip on repeat connections", "", "servers also need the TCP_FASTOPEN socket option",
	  "middleboxes that drop SYNs with data", j_any },
	{ "net.ipv4.tcp_fin_timeout", TD_SYS_FIN_TIMEOUT,
	  "how long an orphaned connection (closed by its application) stays in FIN_WAIT2 waiting for the peer's FIN",
	  "60", "10-60",
	  "many orphaned FIN_WAIT2 sockets when peers do not close",
	  "TIME_WAIT, which is fixed at 60 s (TCP_TIMEWAIT_LEN); FIN_WAIT2 sockets whose application still holds them",
	  "the socket becomes a timewait mini-socket with substate FIN_WAIT2 (tcp_fin_time(); tcpdoctor-tcp(7) FIN_WAIT2 AND ORPHANS)",
	  "too low: a slow peer's FIN meets a RST", j_fin_timeout },
	{ "net.ipv4.tcp_invalid_ratelimit", TD_SYS_INVALID_RATELIMIT,
	  "minimum ms between duplicate ACKs sent for invalid segments, per socket", "500", "the default",
	  "", "", "", "", j_int },
	{ "net.ipv4.tcp_keepalive_intvl", TD_SYS_KEEPALIVE_INTVL,
	  "seconds between keepalive probes", "75", "10-75",
	  "faster detection of dead idle peers (with SO_KEEPALIVE)", "sockets without SO_KEEPALIVE", "", "", j_keepalive_intvl },
	{ "net.ipv4.tcp_keepalive_probes", TD_SYS_KEEPALIVE_PROBES,
	  "unanswered keepalive probes before the connection is reset", "9", "3-9",
	  "faster detection of dead idle peers (with SO_KEEPALIVE)", "sockets without SO_KEEPALIVE", "", "", j_keepalive_probes },
	{ "net.ipv4.tcp_keepalive_time", TD_SYS_KEEPALIVE_TIME,
	  "idle seconds before the first keepalive probe, on sockets with SO_KEEPALIVE",
	  "7200 (dead peer found after 7200 + 9 x 75 = 7875 s)", "300-7200",
	  "idle connections to vanished peers that are never noticed, NAT and firewall idle timeouts",
	  "applications that do not set SO_KEEPALIVE (most do not); connections with unacknowledged data (tcp_retries2 applies)",
	  "TCP_KEEPIDLE/TCP_KEEPINTVL/TCP_KEEPCNT and TCP_USER_TIMEOUT set it per socket",
	  "very low values add traffic on hosts with many idle connections", j_keepalive_time },
	{ "net.ipv4.tcp_low_latency", -1, "legacy switch for the prequeue", "no effect since 4.14", "",
	  "", "everything", "legacy, no effect (ip-sysctl.rst)", "", j_legacy },
	{ "net.ipv4.tcp_mem", -1,
	  "host-wide TCP memory limits in pages: low, pressure, high", "sized from RAM at boot",
	  "the default", "TCPMemoryPressures and TCPAbortOnMemory on hosts with very many connections",
	  "per-socket buffer sizes (tcp_rmem, tcp_wmem)", "", "too low: memory pressure and aborted connections", j_tcp_mem },
	{ "net.ipv4.tcp_max_orphans", TD_SYS_MAX_ORPHANS,
	  "host-wide limit of orphaned sockets (closed by the application, not yet finished); over it they are reset",
	  "depends on memory", "the default, or higher with memory to spare",
	  "\"too many orphaned sockets\" resets (TCPAbortOnMemory)",
	  "what creates the orphans (peers that do not finish, closes with unsent data)",
	  "global: absent inside child namespaces (tcpdoctor-tcp(7) FIN_WAIT2 AND ORPHANS); each orphan may hold about 64 KiB",
	  "unswappable memory", j_max_orphans },
	{ "net.ipv4.tcp_max_syn_backlog", TD_SYS_MAX_SYN_BACKLOG,
	  "with tcp_syncookies=0: when the SYN queue is three quarters full, SYNs from peers not proven alive are dropped",
	  "max(128, tcp_ehash_entries / 128)", "the default",
	  "little: only with cookies off",
	  "the SYN queue size (the listen() backlog caps it at backlog + 1) and accept-queue overflows: raising it alone does nothing (tcpdoctor-tcp(7) SYN QUEUE AND ACCEPT QUEUE)",
	  "tcp_conn_request(): \"Without syncookies last quarter of backlog is filled with destinations, proven to be alive\"",
	  "none", j_max_syn_backlog },
	{ "net.ipv4.tcp_max_tw_buckets", TD_SYS_MAX_TW_BUCKETS,
	  "the most TIME_WAIT sockets a namespace keeps; over it, connections skip TIME_WAIT",
	  "tcp_ehash_entries / 2", "the default or more",
	  "TCPTimeWaitOverflow when the limit was lowered",
	  "port exhaustion: lowering it does not free ports safely, it only skips TIME_WAIT's protection",
	  "per namespace; \"you _must_ not lower the limit artificially\" (ip-sysctl.rst; tcpdoctor-tcp(7) TIME_WAIT)",
	  "lowered: old duplicates can reach new connections", j_max_tw_buckets },
	{ "net.ipv4.tcp_mtu_probing", -1,
	  "packetization-layer path MTU discovery: 0 off, 1 after a black hole is detected, 2 always",
	  "0", "0 or 1", "connections that stall behind ICMP-filtering paths (MTU black holes)", "", "", "", j_any },
	{ "net.ipv4.tcp_no_metrics_save", -1,
	  "do not cache per-destination metrics (ssthresh, RTT) when a connection closes", "0", "0 or 1",
	  "stale cached metrics after a path change", "", "", "", j_any },
	{ "net.ipv4.tcp_orphan_retries", TD_SYS_ORPHAN_RETRIES,
	  "retransmissions before an orphaned connection is killed",
	  "0, which the kernel treats as 8 (more than 100 s at a 200 ms RTO)", "3-8",
	  "memory held by orphans on busy web servers", "peers that never close (tcp_fin_timeout)",
	  "tcp_orphan_retries() in net/ipv4/tcp_timer.c: 0 means 8 while the peer is alive (tcpdoctor-tcp(7) TIMERS)",
	  "slow peers lose the tail of the data", j_orphan_retries },
	{ "net.ipv4.tcp_retries1", TD_SYS_RETRIES1,
	  "retransmissions after which TCP asks the network layer to re-check the route", "3", "3", "", "", "", "", j_int },
	{ "net.ipv4.tcp_retries2", TD_SYS_RETRIES2,
	  "retransmissions of unacknowledged data before an established connection is killed",
	  "15 (about 924.6 s at a 200 ms RTO)", "8-15 (8 is about 100 s, RFC 1122's minimum)",
	  "connections to dead peers hanging for 15 minutes",
	  "idle connections (keepalive) and per-application needs (TCP_USER_TIMEOUT is per socket)",
	  "tcp_model_timeout() in net/ipv4/tcp_timer.c", "short outages kill connections", j_retries2 },
	{ "net.ipv4.tcp_rfc1337", TD_SYS_RFC1337,
	  "1: TIME_WAIT ignores RSTs (RFC 1337); 0: an in-window RST ends it", "0", "0 or 1",
	  "TIME_WAIT assassination", "",
	  "the ip-sysctl wording reads backwards (tcpdoctor-tcp(7) TIME_WAIT)", "", j_rfc1337 },
	{ "net.ipv4.tcp_rto_max_ms", TD_SYS_RTO_MAX_MS,
	  "the largest retransmission timeout in milliseconds (TCP_RTO_MAX), per network namespace",
	  "120000 (since 6.15; before, the constant 120 s)", "the default; 1000-120000 are accepted",
	  "long silences after repeated losses: a timer backed off to 120 s leaves a recovered path idle that long",
	  "dead peers as such: tcp_retries2 decides when to give up (though this cap shortens that time too)",
	  "tcp_model_timeout() in net/ipv4/tcp_timer.c computes tcp_retries2's timeout with it; the TCP_RTO_MAX_MS socket option overrides it per socket",
	  "more retransmissions into a path that is down; connections to unreachable peers give up sooner", j_rto_max },
	{ "net.ipv4.tcp_rto_min_us", TD_SYS_RTO_MIN_US,
	  "the smallest retransmission timeout in microseconds (TCP_RTO_MIN), per network namespace",
	  "200000 (since 6.11; before, the constant 200 ms)", "the default; lower only where every peer's RTT and ACK delay are far below it",
	  "slow recovery from tail loss on low-latency networks, where every RTO waits at least 200 ms",
	  "how long a connection to a dead peer lingers: tcp_retries2's timeout is modelled on the constant TCP_RTO_MIN, not this",
	  "read when a socket is created (icsk_rto_min); a route's locked rto_min metric (ip route ... rto_min lock) overrides it (tcp_rto_min(), include/net/tcp.h)",
	  "below a peer's delayed-ACK time (40 ms on Linux), spurious retransmissions", j_rto_min },
	{ "net.ipv4.tcp_rmem", -1,
	  "receive buffer per socket: min, default, max bytes (autotuning stays within them)",
	  "4096 131072 6291456", "max of at least the bandwidth-delay product",
	  "throughput on long fat paths", "queue overflows of any kind", "", "large maxima cost memory only when used", j_buffers },
	{ "net.ipv4.tcp_sack", -1, "selective acknowledgements (RFC 2018)", "1", "1",
	  "", "", "", "0 makes loss recovery slow", j_sack },
	{ "net.ipv4.tcp_slow_start_after_idle", -1,
	  "restart the congestion window after an idle period", "1", "0 or 1",
	  "long-lived connections that send in bursts (keep-alive HTTP, RPC) restarting slowly", "", "", "bursts into a path whose state changed", j_any },
	{ "net.ipv4.tcp_syn_linear_timeouts", TD_SYS_SYN_LINEAR_TIMEOUTS,
	  "SYN retransmissions at a fixed 1 s before exponential backoff", "4 (since 6.5)", "the default",
	  "", "", "so connect() times out after about 131 s with the default 6 retries", "", j_int },
	{ "net.ipv4.tcp_syn_retries", TD_SYS_SYN_RETRIES,
	  "SYN retransmissions before connect() fails with ETIMEDOUT",
	  "6 (about 131 s with tcp_syn_linear_timeouts=4 since 6.5; 127 s before)", "3-6",
	  "clients waiting minutes for an unreachable server", "anything on the server side",
	  "plus tcp_syn_linear_timeouts fixed 1 s retries on 6.5+", "connects over lossy paths fail", j_syn_retries },
	{ "net.ipv4.tcp_synack_retries", TD_SYS_SYNACK_RETRIES,
	  "SYN-ACK retransmissions before a half-open request is dropped",
	  "5 (dropped at 63 s)", "3-5",
	  "how long half-open requests occupy the SYN queue",
	  "SYN floods with cookies on (cookie SYN-ACKs are never retransmitted)",
	  "reqsk_timer_handler(): fewer retries when the queue is more than half full", "lost handshakes are not recovered", j_synack_retries },
	{ "net.ipv4.tcp_syncookies", TD_SYS_SYNCOOKIES,
	  "answer SYNs statelessly when a listener's SYN queue is full (1), never (0), or always (2)",
	  "1", "1",
	  "SYN floods: legitimate clients still connect while the queue is full",
	  "a slow application (that is the accept queue)",
	  "cookies \"MUST NOT be used to help highly loaded servers\" (ip-sysctl.rst); 2 is a test mode that hides the queue (tcpdoctor-tcp(7) SYN COOKIES)",
	  "0: floods lock clients out; 2: options lost, no SYN-ACK retransmission", j_syncookies },
	{ "net.ipv4.tcp_timestamps", TD_SYS_TIMESTAMPS,
	  "RFC 7323 timestamps: RTT measurement and PAWS", "1", "1",
	  "", "", "tcp_tw_reuse depends on them", "0 disables PAWS and TIME_WAIT reuse", j_timestamps },
	{ "net.ipv4.tcp_window_scaling", -1, "window scaling (RFC 7323)", "1", "1",
	  "", "", "", "0 caps every window at 64 KiB", j_window_scaling },
	{ "net.ipv4.tcp_wmem", -1,
	  "send buffer per socket: min, default, max bytes (autotuning stays within them)",
	  "4096 16384 4194304", "max of at least the bandwidth-delay product",
	  "throughput on long fat paths", "queue overflows of any kind", "", "large maxima cost memory only when used", j_buffers },
	{ "net.ipv4.tcp_tw_recycle", TD_SYS_TW_RECYCLE,
	  "(removed) fast TIME_WAIT recycling with per-host timestamps",
	  "gone since Linux 4.12", "absent",
	  "nothing", "everything: it dropped SYNs from clients behind NAT",
	  "removed in 4.12 (commit 4396e46187ca); broken for all clients since 4.10's timestamp offsets (tcpdoctor-tcp(7) TIME_WAIT)",
	  "clients behind NAT cannot connect", j_tw_recycle },
	{ "net.ipv4.tcp_tw_reuse", TD_SYS_TW_REUSE,
	  "let connect() reuse a TIME_WAIT 4-tuple when timestamps prove it safe: 0 off, 1 on, 2 loopback only",
	  "2 on current kernels", "1 on clients, 2 elsewhere",
	  "ephemeral port exhaustion on hosts making many outgoing connections to one destination",
	  "TIME_WAIT of accepted (server-side) connections, which it never touches",
	  "needs tcp_timestamps; waits tcp_tw_reuse_delay (1000 ms) since the last segment (tcpdoctor-tcp(7) TIME_WAIT)",
	  "none known for outgoing connections", j_tw_reuse },
	{ "net.ipv4.tcp_tw_reuse_delay", TD_SYS_TW_REUSE_DELAY,
	  "milliseconds a TIME_WAIT entry must age before tcp_tw_reuse may take it", "1000", "the default",
	  "", "", "present on 6.18 (tcpdoctor-tcp(7) TIME_WAIT)", "", j_int },
};
const size_t td_advice_count = ARRAY_SIZE(td_advice_table);

const struct td_advice *
advice_find(const char *name)
{
	char buf[128], *p;
	const char *last;
	size_t i;

	snprintf(buf, sizeof(buf), "%s", name);
	for (p = buf; *p != '\0'; p++)
		if (*p == '/')
			*p = '.';
	for (i = 0; i < td_advice_count; i++) {
		if (strcmp(td_advice_table[i].name, buf) == 0)
			return &td_advice_table[i];
		last = strrchr(td_advice_table[i].name, '.');
		if (strchr(buf, '.') == NULL && strcmp(last + 1, buf) == 0)
			return &td_advice_table[i];
	}
	return NULL;
}
