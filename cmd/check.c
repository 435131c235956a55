/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor check: run every analyzer over one streaming pass of the
 * sockets and report the findings (table, JSON, Nagios, Prometheus).
 * Exit status follows the Nagios plugin guidelines: 0 OK (nothing above
 * info), 1 WARNING, 2 CRITICAL, 3 UNKNOWN for any failure: bad flag, bad
 * configuration, failure to collect or to write; the report then says
 * UNKNOWN in the format asked for (cmd_check()).
 */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/history.h"
#include "cmd/check_common.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/findings.h"
#include "cmd/watch_record.h"
#include "collectors/recording.h"
#include "collectors/source.h"
#include "core/safefile.h"

/* The renderer of a format, for findings_write_file(). */
static int
(*renderer(enum td_format fmt))(FILE *, const struct check_report *)
{
	switch (fmt) {
	case TD_FMT_JSON:
		return findings_json;
	case TD_FMT_NAGIOS:
		return findings_nagios;
	case TD_FMT_PROMETHEUS:
		return findings_prometheus;
	default:
		return findings_table;
	}
}

/* Write the report to path (findings_write_file(): atomic, or through a device or FIFO). */
static int
render_file(struct td_ctx *ctx, const char *path, enum td_format fmt, const struct check_report *r)
{
	struct td_err err = { 0 };

	if (findings_write_file(path, renderer(fmt), r, &err) < 0)
		return check_failf(ctx, TD_EXIT_UNKNOWN, "%s", err.msg);
	return 0;
}

enum { OPT_STATE = 256, OPT_EVENTS };

/* What check_run() leaves for cmd_check() to report, success or failure. */
struct check_outcome {
	struct check_opts	co;
	struct check_state	cs;
	bool			help;		/* --help was printed: nothing else to do */
	bool			analyzed;	/* collected and analyzed: cs is complete */
};

static int	check_run(struct td_ctx *ctx, int argc, char **argv, struct check_outcome *oc);

/*
 * A header for a report of a check that failed before it read one: the
 * time now, this host and kernel, and the namespace that was asked for.
 */
static void
fallback_header(const struct td_ctx *ctx, struct td_snapshot *snap)
{
	struct timespec ts;
	struct utsname u;

	memset(snap, 0, sizeof(*snap));
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		snap->meta.time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	if (gethostname(snap->meta.host, sizeof(snap->meta.host) - 1) < 0)
		snap->meta.host[0] = '\0';
	if (uname(&u) == 0)
		snprintf(snap->meta.kernel, sizeof(snap->meta.kernel), "%s", u.release);
	if (ctx->netns_label[0] != '\0')
		snprintf(snap->meta.netns, sizeof(snap->meta.netns), "%s", ctx->netns_label);
	else if (ctx->netns != NULL)
		snprintf(snap->meta.netns, sizeof(snap->meta.netns), "%s", ctx->netns);
	else if (ctx->netns_pid != 0)
		snprintf(snap->meta.netns, sizeof(snap->meta.netns), "pid:%d", ctx->netns_pid);
}

/*
 * Never say OK without knowing: whatever failed, the report goes where
 * the user asked for it, in the format asked for, and says UNKNOWN (exit
 * 3) with the error, so that a monitor reading a file or stdout sees the
 * failure instead of the last good report (man/tcpdoctor.8, check).  When
 * the failure came after the analysis (saving the state file, or a
 * verdict resting on what could not be seen), the report keeps the sockets
 * and findings, still under UNKNOWN.  A table on stdout says UNKNOWN too
 * (one line), beside the message on stderr: a cron job that mails stdout
 * must not get an empty mail for a check that did not run.
 */
int
cmd_check(struct td_ctx *ctx, int argc, char **argv)
{
	static struct check_outcome oc;	/* large: keep it off the stack */
	struct td_snapshot fallback;
	struct check_report rep;
	int status;

	memset(&oc, 0, sizeof(oc));
	oc.cs.lockfd = -1;
	check_opts_init(&oc.co, ctx);
	status = check_run(ctx, argc, argv, &oc);
	if (oc.help) {
		check_state_free(&oc.cs);
		return TD_EXIT_OK;
	}

	memset(&rep, 0, sizeof(rep));
	if (oc.analyzed) {
		rep.snap = &oc.cs.snap;
		rep.sockets = oc.cs.sockets;
		memcpy(rep.by_state, oc.cs.by_state, sizeof(rep.by_state));
		rep.listeners = &oc.cs.listeners;
		rep.analyzers = oc.cs.nanalyzers;
		rep.interval_s = oc.cs.run.ax.delta.known ? oc.cs.run.ax.delta.interval_s : 0;
		rep.findings = &oc.cs.findings;
		rep.worst = td_findings_worst(&oc.cs.findings);
	} else {
		fallback_header(ctx, &fallback);
		rep.snap = &fallback;
	}
	if (status == TD_EXIT_OK && oc.analyzed) {
		char why[320];

		rep.status = rep.worst == TD_SEV_CRITICAL ? TD_EXIT_CRITICAL :
		    rep.worst == TD_SEV_WARNING ? TD_EXIT_WARNING : TD_EXIT_OK;
		rep.unseen = &oc.cs.unseen;
		unseen_warn(ctx, &oc.cs.unseen);
		/* The state is saved first: a failure there is the one status line. */
		status = check_save_state(ctx, &oc.co, &oc.cs, TD_EXIT_UNKNOWN);
		/* A verdict that rests on what could not be seen is not known. */
		if (status == TD_EXIT_OK && check_blind_verdict(&oc.cs, why, sizeof(why)))
			status = check_failf(ctx, TD_EXIT_UNKNOWN, "%s", why);
	} else if (status == TD_EXIT_OK) {
		status = TD_EXIT_UNKNOWN;	/* not reached: check_run() fails or analyzes */
	}
	if (status != TD_EXIT_OK) {
		status = TD_EXIT_UNKNOWN;
		rep.status = TD_EXIT_UNKNOWN;
		rep.error = check_last_error();
	}
	if (oc.co.output != NULL) {
		if (render_file(ctx, oc.co.output, oc.co.format, &rep) != 0)
			status = TD_EXIT_UNKNOWN;
	} else {
		if (renderer(oc.co.format)(ctx->out, &rep) < 0)
			status = check_failf(ctx, TD_EXIT_UNKNOWN, "writing output: %s", strerror(errno));
	}
	check_state_free(&oc.cs);
	return status != TD_EXIT_OK ? status : rep.status;
}

static int
check_run(struct td_ctx *ctx, int argc, char **argv, struct check_outcome *oc)
{
	static const struct option opts[] = {
		CHECK_LONGOPTS,
		{ "state-file",	required_argument,	NULL, OPT_STATE },
		{ "events",	required_argument,	NULL, OPT_EVENTS },
		{ "output",	required_argument,	NULL, 'o' },
		{ "at",		required_argument,	NULL, CMD_OPT_AT },
		CMD_FORMAT_LONGOPTS,
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_opts *co = &oc->co;
	int ch, status;

	optind = 1;
	opterr = 0;
	ctx->stop_all = true;	/* an option's failure is the same in every namespace */
	while ((ch = getopt_long(argc, argv, "+:c:o:jh", opts, NULL)) != -1) {
		switch (cmd_format_opt(ctx, ch, optarg)) {
		case 1:
			co->format = ctx->format;
			continue;
		case -1:
			return TD_EXIT_UNKNOWN;	/* cmd_format_opt() said why */
		}
		switch (check_opt(ctx, co, ch, optarg, TD_EXIT_UNKNOWN)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_UNKNOWN;
		}
		switch (ch) {
		case OPT_STATE:
			co->state_file = optarg;
			break;
		case OPT_EVENTS:
			co->events = optarg;
			break;
		case 'o':
			co->output = optarg;
			break;
		case CMD_OPT_AT:
			ctx->at = optarg;
			break;
		case 'h':
			cmd_usage(ctx->out, ctx);
			oc->help = true;
			return TD_EXIT_OK;
		case ':':
			return check_failf(ctx, TD_EXIT_UNKNOWN, "option '%s' needs an argument", argv[optind - 1]);
		default:
			return check_failf(ctx, TD_EXIT_UNKNOWN, "unknown option '%s' (see tcpdoctor check --help)",
			    argv[optind - 1]);
		}
	}
	if (optind < argc)
		return check_failf(ctx, TD_EXIT_UNKNOWN, "unexpected argument '%s'", argv[optind]);
	if (cmd_at_misuse(ctx) != NULL)
		return check_failf(ctx, TD_EXIT_UNKNOWN, "%s", cmd_at_misuse(ctx));
	co->format = ctx->format;
	if (co->format == TD_FMT_NDJSON) {
		co->format = TD_FMT_TABLE;	/* the failure report itself cannot be ndjson */
		return check_failf(ctx, TD_EXIT_UNKNOWN, "--format ndjson is not supported here (table, json, nagios, prometheus)");
	}

	if (ctx->all_netns && (co->output != NULL || co->state_file != NULL))
		return check_failf(ctx, TD_EXIT_UNKNOWN, "%s cannot be used with --all-netns (one report per namespace)",
		    co->output != NULL ? "-o" : "--state-file");
	ctx->stop_all = false;	/* from here on, a failure is the namespace's */
	/* A watch recording: the samples up to --at, as watch ran them (cmd/watch_record.c). */
	if (ctx->from != NULL && co->state_file == NULL && rec_is_recording(ctx->from))
		status = check_rec_collect(ctx, co, &oc->cs, TD_EXIT_UNKNOWN);
	else
		status = check_collect(ctx, co, &oc->cs, TD_EXIT_UNKNOWN);
	if (status != 0)
		return status;
	oc->analyzed = true;
	return TD_EXIT_OK;
}
