/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor check: run every analyzer over one streaming pass of the
 * sockets and report the findings (table, JSON, Nagios, Prometheus).
 * Exit status follows the Nagios plugin guidelines: 0 OK (nothing above
 * info), 1 WARNING, 2 CRITICAL, 3 UNKNOWN for any failure: bad flag, bad
 * configuration, failure to collect or to write.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/history.h"
#include "cmd/check_common.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/findings.h"
#include "collectors/source.h"

/* Write the report with the chosen renderer to fp. */
static int
render(FILE *fp, enum td_format fmt, const struct check_report *r)
{
	switch (fmt) {
	case TD_FMT_JSON:
		return findings_json(fp, r);
	case TD_FMT_NAGIOS:
		return findings_nagios(fp, r);
	case TD_FMT_PROMETHEUS:
		return findings_prometheus(fp, r);
	default:
		return findings_table(fp, r);
	}
}

/* Write to path through a temporary file in the same directory and rename(). */
static int
render_file(struct td_ctx *ctx, const char *path, enum td_format fmt, const struct check_report *r)
{
	char tmp[4096];
	FILE *fp;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
		return check_failf(ctx, TD_EXIT_UNKNOWN, "output '%s': name too long", path);
	fd = mkstemp(tmp);
	if (fd < 0)
		return check_failf(ctx, TD_EXIT_UNKNOWN, "output '%s': %s", path, strerror(errno));
	fchmod(fd, 0644);
	fp = fdopen(fd, "w");
	if (fp == NULL) {
		close(fd);
		unlink(tmp);
		return check_failf(ctx, TD_EXIT_UNKNOWN, "output '%s': %s", path, strerror(errno));
	}
	if (render(fp, fmt, r) < 0 || fflush(fp) != 0 || fsync(fd) != 0) {
		fclose(fp);
		unlink(tmp);
		return check_failf(ctx, TD_EXIT_UNKNOWN, "output '%s': write failed: %s", path, strerror(errno));
	}
	if (fclose(fp) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return check_failf(ctx, TD_EXIT_UNKNOWN, "output '%s': %s", path, strerror(errno));
	}
	return 0;
}

enum { OPT_STATE = 256 };

static int	check_run(struct td_ctx *ctx, int argc, char **argv);

/*
 * A Nagios plugin must say UNKNOWN on stdout too: the monitoring system
 * shows that line, often without stderr.
 */
int
cmd_check(struct td_ctx *ctx, int argc, char **argv)
{
	int status = check_run(ctx, argc, argv);

	if (status == TD_EXIT_UNKNOWN && ctx->format == TD_FMT_NAGIOS)
		fprintf(ctx->out, "TCPDOCTOR UNKNOWN - %s\n", check_last_error());
	return status;
}

static int
check_run(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		CHECK_LONGOPTS,
		{ "state-file",	required_argument,	NULL, OPT_STATE },
		{ "output",	required_argument,	NULL, 'o' },
		CMD_FORMAT_LONGOPTS,
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct check_opts co;
	struct check_state cs;
	struct check_report rep;
	int ch, status;

	check_opts_init(&co, ctx);
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:o:jh", opts, NULL)) != -1) {
		switch (cmd_format_opt(ctx, ch, optarg)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_UNKNOWN;	/* cmd_format_opt() said why */
		}
		switch (check_opt(ctx, &co, ch, optarg, TD_EXIT_UNKNOWN)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_UNKNOWN;
		}
		switch (ch) {
		case OPT_STATE:
			co.state_file = optarg;
			break;
		case 'o':
			co.output = optarg;
			break;
		case 'h':
			cmd_usage(ctx->out, ctx);
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
	co.format = ctx->format;
	if (co.format == TD_FMT_NDJSON)
		return check_failf(ctx, TD_EXIT_UNKNOWN, "--format ndjson is not supported here (table, json, nagios, prometheus)");

	status = check_collect(ctx, &co, &cs, TD_EXIT_UNKNOWN);
	if (status != 0) {
		check_state_free(&cs);
		return status;
	}
	memset(&rep, 0, sizeof(rep));
	rep.snap = &cs.snap;
	rep.findings = &cs.findings;
	rep.worst = td_findings_worst(&cs.findings);
	rep.status = rep.worst == TD_SEV_CRITICAL ? TD_EXIT_CRITICAL :
	    rep.worst == TD_SEV_WARNING ? TD_EXIT_WARNING : TD_EXIT_OK;
	rep.sockets = cs.sockets;
	memcpy(rep.by_state, cs.by_state, sizeof(rep.by_state));
	rep.analyzers = cs.nanalyzers;
	rep.interval_s = cs.run.ax.delta.known ? cs.run.ax.delta.interval_s : 0;

	if (co.output != NULL)
		status = render_file(ctx, co.output, co.format, &rep);
	else if (render(ctx->out, co.format, &rep) < 0)
		status = check_failf(ctx, TD_EXIT_UNKNOWN, "writing output: %s", strerror(errno));
	if (status == 0)
		status = check_save_state(ctx, &co, &cs, TD_EXIT_UNKNOWN);
	check_state_free(&cs);
	return status != 0 ? status : rep.status;
}
