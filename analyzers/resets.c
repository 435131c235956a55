/* SPDX-License-Identifier: MIT */
/*
 * resets: storms of RSTs, from the counter deltas between runs.
 *
 * TcpOutRsts counts every RST sent (a connect to a closed port, data after
 * close, aborts); TcpAttemptFails counts this host's connection attempts
 * that failed (refused, reset in SYN_RECV); TcpEstabResets counts
 * established connections that were reset (KERNEL-FACTS F19, S9).  Rates
 * need a previous run (--state-file); totals since boot say nothing about
 * now, so without one this analyzer stays silent.
 */
#include <stdio.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "collectors/snapshot.h"

struct rs_state {
	uint64_t	listeners;
};

static void
rs_visit(void *stp, const struct analyzer_ctx *ax, const struct td_sock *sk)
{
	struct rs_state *st = stp;

	(void)ax;
	if (sk->state == TD_ST_LISTEN)
		st->listeners++;
}

/*
 * The change of counter id over the window.  A total since boot is not a
 * change over the window (the previous run lacked the counter, or it went
 * backwards): never rated, it counts as no change.
 */
static uint64_t
rs_delta(const struct analyzer_ctx *ax, int id)
{
	uint64_t v = 0;
	bool since_boot = true;

	if (!ax_counter(ax, id, &v, &since_boot) || since_boot)
		return 0;
	return v;
}

static int
rs_finish(void *stp, const struct analyzer_ctx *ax, struct td_findings *out, struct td_err *err)
{
	struct rs_state *st = stp;
	uint64_t rst, fails, estab;
	double t = ax->delta.interval_s, r_rst, r_fail, r_est, worst;
	enum td_severity sev;
	struct td_finding *f;
	const char *why;

	if (!ax->delta.known || t <= 0)
		return 0;
	rst = rs_delta(ax, TD_CTR_OUT_RSTS);
	fails = rs_delta(ax, TD_CTR_ATTEMPT_FAILS);
	estab = rs_delta(ax, TD_CTR_ESTAB_RESETS);
	r_rst = (double)rst / t;
	r_fail = (double)fails / t;
	r_est = (double)estab / t;
	worst = r_rst > r_fail ? r_rst : r_fail;
	worst = r_est > worst ? r_est : worst;
	if (worst >= config_get(ax->cfg, TD_TH_RS_CRITICAL))
		sev = TD_SEV_CRITICAL;
	else if (worst >= config_get(ax->cfg, TD_TH_RS_WARNING))
		sev = TD_SEV_WARNING;
	else
		return 0;
	if (worst == r_rst && r_fail < r_rst / 2)
		why = "this host is refusing connections: nothing listens on the port clients use (service down) or a port scan";
	else if (worst == r_fail)
		why = "this host's outgoing connections are refused or reset: a service it depends on is down or overloaded";
	else
		why = "established connections are being reset: peers crashing, closing with unread data, or middleboxes dropping idle flows";
	f = td_finding_add(out, err, "resets.storm", "", sev,
	    "RST storm: %.1f RSTs sent/s, %.1f failed connection attempts/s, %.1f established resets/s over %.0f s: %s",
	    r_rst, r_fail, r_est, t, why);
	if (f == NULL)
		return -1;
	td_ev_float(f, "out_rsts_per_s", r_rst);
	td_ev_float(f, "attempt_fails_per_s", r_fail);
	td_ev_float(f, "estab_resets_per_s", r_est);
	td_ev_int(f, "listeners", (int64_t)st->listeners);
	ax_ev_counter(ax, f, TD_CTR_OUT_RSTS);
	ax_ev_counter(ax, f, TD_CTR_ATTEMPT_FAILS);
	ax_ev_counter(ax, f, TD_CTR_ESTAB_RESETS);
	ax_ev_window(ax, f);
	td_reco_add(f, TD_RECO_APP, "listeners", NULL, NULL,
	    "compare with the listening sockets (tcpdoctor ls state listen): a service that should listen and does not, or clients pointed at the wrong port; no sysctl turns RSTs into successes.");
	return 0;
}

const struct analyzer analyzer_resets = {
	.id = "resets",
	.title = "RST storms: refused connections and reset established ones",
	.state_size = sizeof(struct rs_state),
	.visit = rs_visit,
	.finish = rs_finish,
};
