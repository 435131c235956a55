/* SPDX-License-Identifier: MIT */
/*
 * connects: this host's connect() attempts that hang in SYN_SENT, per
 * destination, and the attempts that timed out.
 *
 * A SYN_SENT socket retransmits its SYN (idiag_retrans counts them,
 * idiag_timer 1) until tcp_syn_retries, with tcp_syn_linear_timeouts
 * linear ones first (6.5+), then connect() fails with ETIMEDOUT; the whole
 * attempt is also bounded in time (tcp_write_timeout(),
 * retransmits_timed_out(); KERNEL-FACTS Part B rows 7 and 24).  The model
 * (tm_syn_giveup(), tm_syn_rtx_at()) gives both with this host's sysctls.
 * A closed port answers with a RST (ECONNREFUSED) and a host whose ARP
 * fails ends in EHOSTUNREACH (F19), so a pile of SYN_SENT sockets that
 * keep retransmitting means the SYNs vanish: the destination is down or a
 * filter drops them silently.
 *
 * When such an attempt gives up, tcp_write_err() counts TCPAbortOnTimeout
 * and tcp_done() counts AttemptFails (SYN_SENT to CLOSE), but not
 * EstabResets, which tcp_set_state() counts only for ESTABLISHED and
 * CLOSE_WAIT (net/ipv4/tcp_timer.c, net/ipv4/tcp.c).  So up to
 * min(TCPAbortOnTimeout, AttemptFails) of a run's timeouts were connect()
 * attempts that never connected; dead_peers reports the established ones.
 * With --state-file the destinations of the previous run's piles are
 * remembered (gauges "syn_sent:DEST") and named when their attempts time
 * out.
 */
#include <stdio.h>
#include <string.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/history.h"
#include "analyzers/tally.h"
#include "collectors/sysctl.h"
#include "tcp/tm.h"

#define CN_REPORT	10	/* destinations reported, at most */
#define CN_GAUGE	"syn_sent:"

struct cn_owner {
	int32_t		pid;
	char		comm[16];
	char		container[128];	/* td_sock.container: who runs there, "" if unknown */
};

struct cn_state {
	/* count: retransmitting; n[0] all SYN_SENT; n[1] max retransmits; n[2] owners seen */
	struct td_tally	dests;
	struct cn_owner	owner[TD_TALLY_CAP];
	uint64_t	syn_sent;
};

static void
cn_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct cn_state *st = stp;
	struct td_ep_key key;
	bool is_new;
	int s;

	if (sk->state != TD_ST_SYN_SENT)
		return;
	st->syn_sent++;
	memset(&key, 0, sizeof(key));
	key.addr = sk->dst;
	key.port = sk->dport;
	s = tally_slot(&st->dests, &key, sizeof(key), &is_new);
	if (is_new)
		memset(&st->owner[s], 0, sizeof(st->owner[s]));
	st->dests.ent[s].n[0]++;
	if (sk->retrans > st->dests.ent[s].n[1])
		st->dests.ent[s].n[1] = sk->retrans;
	if (sk->retrans >= config_get(ax->cfg, TD_TH_CN_RETRANS))
		st->dests.ent[s].count++;
	if (sk->has_owner && st->owner[s].pid == 0) {
		st->owner[s].pid = sk->pid;
		memcpy(st->owner[s].comm, sk->comm, sizeof(st->owner[s].comm) - 1);
	}
	if (sk->container[0] != '\0' && st->owner[s].container[0] == '\0') {
		memcpy(st->owner[s].container, sk->container, sizeof(st->owner[s].container) - 1);
		st->owner[s].container[sizeof(st->owner[s].container) - 1] = '\0';
	}
}

static int
cn_dest(const struct analyzer_ctx *ax, const struct tm_profile *p, const struct td_tally_ent *e,
    const struct cn_owner *own, struct td_findings *out, struct td_err *err)
{
	const struct td_ep_key *k = (const void *)e->key;
	int64_t syn_retries = sysctl_int(&ax->snap->sys, TD_SYS_SYN_RETRIES, 6);
	double giveup = (double)tm_syn_giveup(p) / 1e9;
	double waited = e->n[1] > 0 ? (double)tm_syn_rtx_at(p, (unsigned int)e->n[1]) / 1e9 : 0;
	struct td_finding *f;
	char dest[64], who[200] = "", gkey[TD_HISTORY_GAUGE_KEY];

	td_ep_str(&k->addr, k->port, dest, sizeof(dest));
	if (ax->next != NULL && e->count > 0) {
		/* An endpoint is at most 47 characters ("[v6]:port"): it fits. */
		snprintf(gkey, sizeof(gkey), CN_GAUGE "%.54s", dest);
		history_set_gauge(ax->next, gkey, (int64_t)e->count);
	}
	if (e->count < config_get(ax->cfg, TD_TH_CN_MIN))
		return 0;
	/* The container or unit first, the process second. */
	if (own->container[0] != '\0' && own->pid != 0)
		snprintf(who, sizeof(who), " by %s (%s[%d])", own->container, own->comm, own->pid);
	else if (own->container[0] != '\0')
		snprintf(who, sizeof(who), " by %s", own->container);
	else if (own->pid != 0)
		snprintf(who, sizeof(who), " by %s[%d]", own->comm, own->pid);
	f = td_finding_add(out, err, "connects.syn_sent", dest,
	    e->count >= config_get(ax->cfg, TD_TH_CN_WARNING) ? TD_SEV_WARNING : TD_SEV_INFO,
	    "%llu connect() attempts%s to %s hang in SYN_SENT, their SYN retransmitted up to %llu times (the oldest has waited at least %.0f s): the destination does not answer; each fails with ETIMEDOUT about %.0f s after its first SYN (tcp_syn_retries=%lld)",
	    (unsigned long long)e->count, who, dest, (unsigned long long)e->n[1], waited, giveup,
	    (long long)syn_retries);
	if (f == NULL)
		return -1;
	td_ev_str(f, "destination", "%s", dest);
	td_ev_int(f, "syn_sent_retransmitting", (int64_t)e->count);
	td_ev_int(f, "syn_sent", (int64_t)e->n[0]);
	td_ev_int(f, "max_retrans", (int64_t)e->n[1]);
	td_ev_float(f, "waited_at_least_s", waited);
	td_ev_int(f, "tcp_syn_retries", syn_retries);
	td_ev_float(f, "connect_timeout_s", giveup);
	if (own->pid != 0) {
		td_ev_int(f, "pid", own->pid);
		td_ev_str(f, "command", "%s", own->comm);
	}
	if (own->container[0] != '\0')
		td_ev_str(f, "container", "%s", own->container);
	td_reco_add(f, TD_RECO_KERNEL, "path", NULL, NULL,
	    "check that %s runs and is reachable: a closed port would answer with a RST and an unreachable neighbour would fail with EHOSTUNREACH, so unanswered SYNs mean the host is down or a firewall, security group or route drops them silently.",
	    dest);
	td_reco_add(f, TD_RECO_APP, "connect() timeout", NULL, NULL,
	    "give connect() a deadline shorter than the kernel's %.0f s (a non-blocking connect() polled with a timeout, or TCP_SYNCNT per socket) and back off from a destination that does not answer, instead of piling up new attempts; lowering tcp_syn_retries host-wide shortens every connect, also to healthy destinations.",
	    giveup);
	{
		char filter[160];

		snprintf(filter, sizeof(filter), "state syn-sent dst %s", dest);
		td_reco_kill(f, ax->snap, filter,
		    "to fail these connects now (ECONNABORTED) instead of after the kernel's %.0f s: the destination does not answer, so nothing is lost, but the application retries unless it backs off (run it without --yes first to see the list).",
		    giveup);
	}
	return 0;
}

/* Destinations of the previous run's piles that have none now, "a, b" (at most 3). */
static size_t
cn_gone(const struct analyzer_ctx *ax, const struct cn_state *st, char *buf, size_t len)
{
	const struct td_history *prev = ax->prev;
	size_t i, n = 0, off = 0, pl = strlen(CN_GAUGE);
	const char *dest;
	bool now;
	int s;

	buf[0] = '\0';
	if (prev == NULL)
		return 0;
	for (i = 0; i < prev->ngauges; i++) {
		if (strncmp(prev->gauges[i].key, CN_GAUGE, pl) != 0 || prev->gauges[i].value <= 0)
			continue;
		dest = prev->gauges[i].key + pl;
		now = false;
		for (s = 0; s < TD_TALLY_CAP && !now; s++) {
			char d[64];

			if (!st->dests.ent[s].used || st->dests.ent[s].count == 0)
				continue;
			td_ep_str(&((const struct td_ep_key *)(const void *)st->dests.ent[s].key)->addr,
			    ((const struct td_ep_key *)(const void *)st->dests.ent[s].key)->port,
			    d, sizeof(d));
			now = strcmp(d, dest) == 0;
		}
		if (now)
			continue;
		if (n < 3 && off + strlen(dest) + 3 < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", n > 0 ? ", " : "", dest);
		n++;
	}
	return n;
}

static int
cn_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct cn_state *st = stp;
	struct tm_profile p = tm_profile_from_values(sysctl_value, &ax->snap->sys);
	uint64_t aborts = 0, fails = 0, resets = 0, conn;
	bool sb1 = true, sb2 = true, sb3 = true;
	int idx[CN_REPORT];
	size_t i, n, gone;
	struct td_finding *f;
	char dests[256];

	n = tally_top(&st->dests, idx, CN_REPORT);
	for (i = 0; i < n; i++)
		if (cn_dest(ax, &p, &st->dests.ent[idx[i]], &st->owner[idx[i]], out, err) < 0)
			return -1;

	/* Counter deltas only: totals since boot say nothing about now. */
	if (!ax_counter(ax, TD_CTR_ABORT_ON_TIMEOUT, &aborts, &sb1) ||
	    !ax_counter(ax, TD_CTR_ATTEMPT_FAILS, &fails, &sb2) || sb1 || sb2)
		return 0;
	ax_counter(ax, TD_CTR_ESTAB_RESETS, &resets, &sb3);
	conn = aborts < fails ? aborts : fails;
	if (conn == 0)
		return 0;
	gone = cn_gone(ax, st, dests, sizeof(dests));
	f = td_finding_add(out, err, "connects.timeouts", gone == 1 ? dests : "",
	    conn >= config_get(ax->cfg, TD_TH_CN_WARNING) ? TD_SEV_WARNING : TD_SEV_INFO,
	    "up to %llu connect() attempts timed out since the last run without ever connecting (%llu retransmission timeouts, %llu failed attempts, %llu established resets)%s%s",
	    (unsigned long long)conn, (unsigned long long)aborts, (unsigned long long)fails,
	    (unsigned long long)resets, gone > 0 ? "; the last run saw SYN_SENT piles toward " : "",
	    dests);
	if (f == NULL)
		return -1;
	td_ev_int(f, "connect_timeouts_max", (int64_t)conn);
	if (gone > 0) {
		td_ev_str(f, "destinations", "%s", dests);
		td_ev_int(f, "destinations_gone", (int64_t)gone);
	}
	ax_ev_counter(ax, f, TD_CTR_ABORT_ON_TIMEOUT);
	ax_ev_counter(ax, f, TD_CTR_ATTEMPT_FAILS);
	ax_ev_counter(ax, f, TD_CTR_ESTAB_RESETS);
	ax_ev_window(ax, f);
	td_reco_add(f, TD_RECO_APP, "destinations", NULL, NULL,
	    "these connections never existed: find which destinations stopped answering SYNs (tcpdoctor ls state syn-sent while it happens, or check with --state-file from cron) and check that they run and are reachable.");
	return 0;
}

const struct analyzer analyzer_connects = {
	.id = "connects",
	.title = "connect() attempts hanging in SYN_SENT per destination, and connect timeouts",
	.state_size = sizeof(struct cn_state),
	/* Names who connects; the destination is the subject. */
	.named_owner_states = TD_STATE_BIT(TD_ST_SYN_SENT),
	.visit = cn_visit,
	.finish = cn_finish,
};
