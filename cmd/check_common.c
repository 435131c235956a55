/* SPDX-License-Identifier: MIT */
/* The analysis pipeline shared by check and tune; see check_common.h. */
#include "cmd/check_common.h"

#include <linux/inet_diag.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/exit.h"
#include "collectors/sockdiag.h"
#include "collectors/sysctl.h"
#include "tcp/tm.h"

void
check_opts_init(struct check_opts *co, const struct td_ctx *ctx)
{
	memset(co, 0, sizeof(*co));
	co->config = TD_CONFIG_DEFAULT;
	co->min_window_ns = TD_HISTORY_MIN_WINDOW_NS;
	co->format = ctx->format;
}

static char last_error[320];

int
check_failf(struct td_ctx *ctx, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return cmd_fail(ctx, status, "%s", last_error);
}

const char *
check_last_error(void)
{
	return last_error[0] != '\0' ? last_error : "unknown error";
}

/* status < 0: the exit status follows the error's errno (sysexits). */
static int
check_fail(struct td_ctx *ctx, int status, const struct td_err *err)
{
	if (status < 0)
		status = cmd_status_for(err->code);
	return check_failf(ctx, status, "%s", err->msg[0] != '\0' ? err->msg : "internal error");
}

static int
check_config(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
    int fail_status, uint64_t *mask)
{
	struct td_err err = { 0 };
	uint64_t all = (UINT64_C(1) << analyzer_count()) - 1, m;
	unsigned int i;

	config_defaults(&cs->cfg);
	if (config_load(&cs->cfg, co->config, co->config_explicit, &err) < 0)
		return check_fail(ctx, fail_status, &err);
	for (i = 0; i < co->nset; i++)
		if (config_set(&cs->cfg, co->set[i], &err) < 0)
			return check_fail(ctx, fail_status, &err);
	*mask = all & ~cs->cfg.disabled;
	if (co->only != NULL) {
		if (analyzer_parse_list(co->only, &m, &err) < 0)
			return check_failf(ctx, fail_status < 0 ? TD_EXIT_USAGE : fail_status, "--only: %s", err.msg);
		*mask = m;
	}
	if (co->skip != NULL) {
		if (analyzer_parse_list(co->skip, &m, &err) < 0)
			return check_failf(ctx, fail_status < 0 ? TD_EXIT_USAGE : fail_status, "--skip: %s", err.msg);
		*mask &= ~m;
	}
	return 0;
}

static int
check_walk_sock(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct check_state *cs = arg;

	(void)err;
	cs->sockets++;
	if (sk->state < TD_ST_MAX)
		cs->by_state[sk->state]++;
	listener_stats_visit(&cs->listeners, sk);
	/*
	 * --events: a row for each listener before the events are counted, so
	 * that connections accepted on a wildcard address count for it, as in
	 * watch (events_agg_add()); a full table leaves them their own rows.
	 */
	if (cs->events.agg != NULL && sk->state == TD_ST_LISTEN)
		(void)events_agg_listener(cs->events.agg, sk->family, &sk->src, sk->sport);
	if (cs->co != NULL && cs->co->visit != NULL)
		cs->co->visit(cs->co->visit_arg, &cs->snap, sk);
	unseen_sock(&cs->unseen, sk);
	analyzer_run_visit(&cs->run, sk);
	return 0;
}

int
check_opt(struct td_ctx *ctx, struct check_opts *co, int ch, const char *arg, int fail_status)
{
	switch (ch) {
	case 'c':
		co->config = arg;
		co->config_explicit = true;
		return 1;
	case CHECK_OPT_SET:
		if (co->nset >= CHECK_MAX_SET) {
			check_failf(ctx, fail_status, "too many --set options (at most %d)", CHECK_MAX_SET);
			return -1;
		}
		co->set[co->nset++] = arg;
		return 1;
	case CHECK_OPT_ONLY:
		co->only = arg;
		return 1;
	case CHECK_OPT_SKIP:
		co->skip = arg;
		return 1;
	}
	return 0;
}

/* What the loaded state is to this run: rates, ages, or neither; saved or kept. */
static void
check_compare_state(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs)
{
	enum td_hist_verdict v;
	char why[320];

	history_init(&cs->next, &cs->snap);
	cs->run.ax.next = &cs->next;
	v = history_compare(&cs->prev, &cs->snap, co->min_window_ns, why, sizeof(why));
	if (why[0] != '\0')
		cmd_warn(ctx, "state file '%s': %s", co->state_file, why);
	if (history_usable(v))
		cs->run.ax.prev = &cs->prev;
	if (v == TD_HIST_SAME) {
		cs->run.ax.delta.known = true;
		cs->run.ax.delta.interval_s = (double)(cs->snap.meta.mono_ns - cs->prev.mono_ns) / 1e9;
	}
	cs->keep_state = !history_replaces(v);
}

/*
 * --events: the connections recorded since the previous run (a usable
 * state) or up to the snapshot, for the analyzers that judge them
 * (failed_connects, lifetimes), counted into the rows the walk made for
 * the listeners; the connect() timeout failed_connects' advice quotes is
 * the recorded one, else the model's for the snapshot's sysctls
 * (tcp_syn_retries).
 */
static int
check_load_events(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
    struct td_err *err)
{
	struct tm_profile prof;
	struct events_agg *agg = cs->events.agg;
	int64_t since = cs->run.ax.prev != NULL ? cs->prev.time_ns : 0;
	int rc;

	rc = check_events_load_into(co->events, since, cs->snap.meta.time_ns, agg, &cs->events, err);
	cs->events.agg = agg;
	if (rc < 0)
		return -1;
	if (cs->events.cut.file[0] != '\0')
		cmd_warn(ctx, "--events '%s': its last frame, from byte %llu of '%s', is cut short "
		    "(a writer at work): read up to there", co->events,
		    (unsigned long long)cs->events.cut.offset, cs->events.cut.file);
	cs->run.ax.events = cs->events.agg;
	cs->run.ax.connect_timeout_s = cs->events.giveup_s;
	if (cs->run.ax.connect_timeout_s <= 0) {
		prof = tm_profile_from_values(sysctl_value, &cs->snap.sys);
		cs->run.ax.connect_timeout_s = (double)tm_syn_giveup(&prof) / 1e9;
	}
	return 0;
}

int
check_collect(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
    int fail_status)
{
	struct td_err err = { 0 };
	uint64_t mask = 0;
	size_t i;
	int rc;

	memset(cs, 0, sizeof(*cs));
	cs->lockfd = -1;
	cs->co = co;
	if (ctx->setup_err.msg[0] != '\0')	/* main() could not enter the namespace */
		return check_fail(ctx, fail_status, &ctx->setup_err);
	if ((rc = check_config(ctx, co, cs, fail_status, &mask)) != 0)
		return rc;
	/*
	 * failed_connects and lifetimes judge events: without --events they do
	 * not run (nor count); asked for by name, it is an error, not a silent OK.
	 */
	for (i = 0; co->events == NULL && td_analyzers[i] != NULL; i++) {
		if (!td_analyzers[i]->judges_events || !((mask >> i) & 1))
			continue;
		if (co->only != NULL)
			return check_failf(ctx, fail_status, "--only: %s judges recorded "
			    "connection events: give --events RECORDING", td_analyzers[i]->id);
		mask &= ~(UINT64_C(1) << i);
	}
	if (co->events != NULL && (cs->events.agg = calloc(1, sizeof(*cs->events.agg))) == NULL) {
		td_errf(&err, ENOMEM, "out of memory");
		return check_fail(ctx, fail_status, &err);
	}
	cmd_source_init(ctx, &cs->src);
	/* The owners the enabled analyzers ask for: their descriptors say. */
	for (i = 0; td_analyzers[i] != NULL; i++)
		if ((mask >> i) & 1)
			cs->src.owner_states |= td_analyzers[i]->verdict_owner_states |
			    td_analyzers[i]->named_owner_states;
	cs->src.want_owner = cs->src.owner_states != 0;
	cs->src.owner_map = co->owner_map;
	cs->src.owner_hint = co->owner_hint;
	cs->src.owner_map_arg = co->visit_arg;
	/* Findings name the container or unit first (collectors/cgroup.h). */
	cs->src.want_cgroup = true;
	cs->src.any_order = true;	/* aggregates: both families in one kernel walk */
	/* tcp_info (dead_peers, orphans) and skmeminfo (accept_queue, listeners' drops). */
	cs->src.want_ext = SOCKDIAG_EXT(INET_DIAG_INFO) | SOCKDIAG_EXT(INET_DIAG_SKMEMINFO);
	/*
	 * Lock, then sample, then compare and save: a sample taken before the
	 * lock could be older than the state a concurrent run saves while we
	 * wait, and would replace it (a lost update).
	 */
	if (co->state_file != NULL) {
		cs->lockfd = history_lock(co->state_file, 10, &err);
		if (cs->lockfd < 0 || (rc = history_load(&cs->prev, co->state_file, &err)) < 0)
			return check_fail(ctx, fail_status, &err);
		if (rc > 0) {	/* empty, cut short, damaged: say so once, start over */
			cmd_warn(ctx, "%s: no previous state, starting over", err.msg);
			memset(&err, 0, sizeof(err));
		}
	}
	if (source_header(&cs->src, &cs->snap, &err) < 0)
		return check_fail(ctx, fail_status, &err);
	cmd_rec_note(ctx, &cs->src);
	unseen_init(&cs->unseen, &cs->snap, true, cs->src.want_owner);
	if (co->state_file != NULL)
		check_compare_state(ctx, co, cs);
	cs->run.ax.snap = &cs->snap;
	cs->run.ax.cfg = &cs->cfg;
	cs->run.enabled = mask;
	for (i = 0; i < analyzer_count(); i++)
		cs->nanalyzers += (mask >> i) & 1;
	/* The events after the walk: it makes the listeners' rows (check_walk_sock()). */
	if (analyzer_run_init(&cs->run, &err) < 0 ||
	    source_walk(&cs->src, check_walk_sock, cs, &err) < 0 ||
	    (co->events != NULL && check_load_events(ctx, co, cs, &err) < 0) ||
	    analyzer_run_finish(&cs->run, &cs->findings, &err) < 0)
		return check_fail(ctx, fail_status, &err);
	unseen_source(&cs->unseen, &cs->src);
	return 0;
}

bool
check_blind_verdict(const struct check_state *cs, char *why, size_t len)
{
	const struct td_unseen *u = &cs->unseen;
	const struct analyzer *a;
	unsigned int owners;
	uint64_t sys;
	size_t i;
	int k;

	for (i = 0; (a = td_analyzers[i]) != NULL; i++) {
		if (!((cs->run.enabled >> i) & 1))
			continue;
		owners = a->verdict_owner_states &
		    (unsigned int)(u->owner_unreadable_states | u->owner_skipped_states);
		sys = a->verdict_sysctls & u->sysctls_mask;
		if (owners != 0) {
			for (k = 0; k < TD_ST_MAX && !((owners >> k) & 1); k++)
				;
			snprintf(why, len, "the verdict of %s depends on the owners of %s sockets, which could not be %s",
			    a->id, td_state_name((unsigned int)k),
			    u->owner_unreadable_states & a->verdict_owner_states ?
			    "read (run as root)" : "looked up (too many sockets)");
			return true;
		}
		if (sys != 0) {
			for (k = 0; k < TD_SYS_MAX && !((sys >> k) & 1); k++)
				;
			snprintf(why, len, "the verdict of %s depends on sysctl %s, which could not be read",
			    a->id, td_sysctl_fields[k].name);
			return true;
		}
	}
	return false;
}

int
check_save_state(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
    int fail_status)
{
	struct td_err err = { 0 };

	if (co->state_file == NULL || cs->keep_state)
		return 0;
	if (history_save(&cs->next, co->state_file, &err) < 0)
		return check_fail(ctx, fail_status, &err);
	return 0;
}

void
check_state_free(struct check_state *cs)
{
	analyzer_run_free(&cs->run);
	td_findings_free(&cs->findings);
	history_free(&cs->prev);
	history_free(&cs->next);
	history_unlock(cs->lockfd);
	cs->lockfd = -1;
	source_close(&cs->src);
	check_events_free(&cs->events);
}
