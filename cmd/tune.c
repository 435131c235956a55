/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor tune: a sysctl.d snippet built from the current findings, each
 * line with its reason, current value and risk.  It prints; it never
 * applies anything.  tune --audit FILE... judges every TCP line of existing
 * sysctl.conf / sysctl.d files instead.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "analyzers/advice.h"
#include "analyzers/audit.h"
#include "analyzers/knob_range.h"
#include "cmd/check_common.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/findings.h"
#include "cmd/output.h"

/* One sysctl change: the first (worst) finding that asks for it. */
struct tune_line {
	const struct td_finding	*f;
	const struct td_reco	*r;
	unsigned int		 also;		/* other findings asking the same */
};

#define TUNE_MAX	64

static size_t
tune_collect(const struct td_findings *fs, struct tune_line *out, size_t max)
{
	size_t i, j, n = 0;
	unsigned int k;

	for (i = 0; i < fs->n; i++) {
		for (k = 0; k < fs->v[i].nreco; k++) {
			const struct td_reco *r = &fs->v[i].reco[k];

			if (r->kind != TD_RECO_SYSCTL || r->suggested[0] == '\0' ||
			    strcmp(r->current, r->suggested) == 0)
				continue;
			for (j = 0; j < n && strcmp(out[j].r->key, r->key) != 0; j++)
				;
			if (j < n) {
				out[j].also++;
				continue;
			}
			if (n < max) {
				out[n].f = &fs->v[i];
				out[n].r = r;
				out[n].also = 0;
				n++;
			}
		}
	}
	return n;
}

/* Print text as "# "-prefixed comment lines no wider than about 78 columns. */
static void
comment(FILE *fp, const char *label, const char *text)
{
	static const struct output_wrap ow = { 78, 12, "#   ", true };

	output_wrap(fp, text, fprintf(fp, "# %s", label), &ow);
}

/*
 * The command that sets key=value inside the namespace of -N NAME or
 * --netns-pid PID: a sysctl.d file and `sysctl --system` only reach the
 * namespace systemd-sysctl runs in, the host's.
 */
static void
netns_command(FILE *fp, const char *netns, const char *key, const char *value)
{
	if (strncmp(netns, "pid:", 4) == 0)
		fprintf(fp, "# apply: nsenter -t %s -n sysctl -w %s='%s'\n", netns + 4, key, value);
	else if (netns[0] == '/')	/* -A: a runtime's bind mount, not in /run/netns */
		fprintf(fp, "# apply: nsenter --net=%s sysctl -w %s='%s'\n", netns, key, value);
	else
		fprintf(fp, "# apply: ip netns exec %s sysctl -w %s='%s'\n", netns, key, value);
}

static int
tune_text(FILE *fp, const struct td_snapshot *snap, const struct td_findings *fs,
    const struct tune_line *lines, size_t n)
{
	const struct knob_range *kr;
	bool in_netns = snap->meta.netns[0] != '\0';
	const struct td_meta *m = &snap->meta;
	const struct td_advice *adv;
	char when[40], buf[512], *text;
	time_t t = (time_t)(m->time_ns / 1000000000);
	struct tm tm;
	size_t i;
	unsigned int k;
	bool any_app = false;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!in_netns)
		fprintf(fp, "# /etc/sysctl.d/90-tcpdoctor.conf\n"
		    "# Written by tcpdoctor tune for %s (kernel %s) at %s from %zu finding%s.\n"
		    "# Printed, not applied: review every line, then run `sysctl --system`.\n",
		    m->host, m->kernel, when, fs->n, fs->n == 1 ? "" : "s");
	else
		fprintf(fp, "# Settings for network namespace %s on %s (kernel %s), written by\n"
		    "# tcpdoctor tune at %s from %zu finding%s.  Printed, not applied.\n"
		    "# They apply inside that namespace only: a file in /etc/sysctl.d and\n"
		    "# `sysctl --system` set the host's namespace, not this one.  Run the\n"
		    "# `apply:` command above each setting (or `sysctl -p FILE` inside the\n"
		    "# namespace); knobs marked global exist only in the host's namespace.\n",
		    m->netns, m->host, m->kernel, when, fs->n, fs->n == 1 ? "" : "s");
	if (n == 0)
		fputs("#\n# No finding asks for a sysctl change on this host.\n", fp);
	for (i = 0; i < n; i++) {
		const struct tune_line *l = &lines[i];

		adv = advice_find(l->r->key);
		fputs("#\n", fp);
		snprintf(buf, sizeof(buf), "%s (%s)%s%s%s", l->f->id, td_severity_name(l->f->severity),
		    l->f->subject[0] != '\0' ? " " : "", l->f->subject,
		    l->also > 0 ? " and more" : "");
		comment(fp, "finding:", buf);
		comment(fp, "reason:", l->r->reason);
		snprintf(buf, sizeof(buf), "%s; risk: %s", l->r->current,
		    adv != NULL && adv->risk[0] != '\0' ? adv->risk : "see tcpdoctor explain");
		comment(fp, "current:", buf);
		kr = knob_range_find(adv != NULL ? adv->name : l->r->key);
		if (in_netns && kr != NULL && kr->global) {
			fputs("# global: not per namespace; set it in the host's namespace, where it\n"
			    "#   applies to every namespace:\n", fp);
			fprintf(fp, "# apply: sysctl -w %s='%s'\n", l->r->key, l->r->suggested);
		} else if (in_netns) {
			netns_command(fp, m->netns, l->r->key, l->r->suggested);
		}
		fprintf(fp, "%s = %s\n", l->r->key, l->r->suggested);
	}
	for (i = 0; i < fs->n; i++)
		for (k = 0; k < fs->v[i].nreco; k++) {
			const struct td_reco *r = &fs->v[i].reco[k];

			if (r->kind == TD_RECO_SYSCTL)
				continue;
			if (!any_app) {
				fputs("#\n# Not sysctls (no line above can do these):\n", fp);
				any_app = true;
			}
			/* Whole: a reason may be longer than any fixed buffer. */
			if (asprintf(&text, "%s (%s): %s", r->key, fs->v[i].id, r->reason) < 0)
				return -1;
			comment(fp, "-", text);
			free(text);
		}
	return ferror(fp) ? -1 : 0;
}

static int
tune_json(FILE *fp, const struct td_snapshot *snap, const struct tune_line *lines, size_t n)
{
	json_t *doc = findings_json_meta(snap, "tune"), *arr = json_array(), *o;
	const struct td_advice *adv;
	size_t i;
	int rc;

	if (doc == NULL || arr == NULL) {
		json_decref(doc);
		json_decref(arr);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < n; i++) {
		adv = advice_find(lines[i].r->key);
		o = json_object();
		json_object_set_new(o, "key", json_string(lines[i].r->key));
		json_object_set_new(o, "current", json_string(lines[i].r->current));
		json_object_set_new(o, "suggested", json_string(lines[i].r->suggested));
		json_object_set_new(o, "reason", json_string(lines[i].r->reason));
		json_object_set_new(o, "risk", adv != NULL ? json_string(adv->risk) : json_null());
		json_object_set_new(o, "finding", json_string(lines[i].f->id));
		json_object_set_new(o, "severity", json_string(td_severity_name(lines[i].f->severity)));
		json_array_append_new(arr, o);
	}
	json_object_set_new(doc, "sysctls", arr);
	rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	fputc('\n', fp);
	return rc != 0 || ferror(fp) ? -1 : 0;
}

static int
audit_print(FILE *fp, enum td_format fmt, const struct td_snapshot *snap, const struct td_audit *a)
{
	static const char *const upper[] = {
		[TD_VERDICT_FINE] = "FINE", [TD_VERDICT_CAUTION] = "CAUTION",
		[TD_VERDICT_POINTLESS] = "POINTLESS", [TD_VERDICT_HARMFUL] = "HARMFUL",
		[TD_VERDICT_OBSOLETE] = "OBSOLETE", [TD_VERDICT_INVALID] = "INVALID",
		[TD_VERDICT_UNKNOWN] = "UNKNOWN",
	};
	json_t *doc, *arr, *o;
	size_t i;
	int rc;

	if (fmt != TD_FMT_JSON) {
		fprintf(fp, "judged %zu TCP lines against kernel %s (%zu other lines skipped)\n",
		    a->n, snap->meta.kernel, a->other);
		for (i = 0; i < a->n; i++) {
			const struct td_audit_line *l = &a->v[i];

			fprintf(fp, "\n%s:%u: %s%s%s\n  %s: %s\n", l->file, l->line, l->key,
			    l->value[0] != '\0' ? " = " : "", l->value, upper[l->verdict], l->why);
		}
		return ferror(fp) ? -1 : 0;
	}
	doc = findings_json_meta(snap, "tune");
	arr = json_array();
	for (i = 0; i < a->n; i++) {
		const struct td_audit_line *l = &a->v[i];

		o = json_object();
		json_object_set_new(o, "file", json_string(l->file));
		json_object_set_new(o, "line", json_integer(l->line));
		json_object_set_new(o, "key", json_string(l->key));
		json_object_set_new(o, "value", json_string(l->value));
		json_object_set_new(o, "verdict", json_string(td_verdict_name(l->verdict)));
		json_object_set_new(o, "reason", json_string(l->why));
		json_array_append_new(arr, o);
	}
	json_object_set_new(doc, "audit", arr);
	rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	fputc('\n', fp);
	return rc != 0 || ferror(fp) ? -1 : 0;
}

/* 2 when a line is invalid, else 1 when one is harmful or obsolete, else 0. */
static int
audit_status(const struct td_audit *a)
{
	int status = TD_EXIT_OK;
	size_t i;

	for (i = 0; i < a->n; i++) {
		if (a->v[i].verdict == TD_VERDICT_INVALID)
			return TD_EXIT_AUDIT_INVALID;
		if (a->v[i].verdict == TD_VERDICT_HARMFUL || a->v[i].verdict == TD_VERDICT_OBSOLETE)
			status = TD_EXIT_AUDIT_HARMFUL;
	}
	return status;
}

static int
tune_audit(struct td_ctx *ctx, int nfiles, char **files)
{
	struct td_source src;
	struct td_snapshot snap;
	struct td_audit a = { 0 };
	struct td_err err = { 0 };
	int i, status = TD_EXIT_OK;

	cmd_source_init(ctx, &src);
	if (source_header(&src, &snap, &err) < 0) {
		source_close(&src);
		return cmd_fail_err(ctx, &err);
	}
	source_close(&src);
	{
		struct td_unseen u;	/* the files are judged against these sysctls */

		unseen_init(&u, &snap, true, false);
		unseen_warn(ctx, &u);
	}
	for (i = 0; i < nfiles; i++)
		if (audit_file(&a, files[i], &snap, &err) < 0) {
			status = cmd_fail_err(ctx, &err);
			goto out;
		}
	if (audit_print(ctx->out, ctx->format, &snap, &a) < 0) {
		status = cmd_fail(ctx, TD_EXIT_OSERR, "writing output: %s", strerror(errno));
		goto out;
	}
	status = audit_status(&a);
out:
	audit_free(&a);
	return status;
}

enum { OPT_AUDIT = 256 };

int
cmd_tune(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		CHECK_LONGOPTS,
		{ "audit",	no_argument,		NULL, OPT_AUDIT },
		{ "help",	no_argument,		NULL, 'h' },
		CMD_FORMAT_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tune_line lines[TUNE_MAX];
	struct check_opts co;
	struct check_state cs;
	bool audit = false;
	size_t n;
	int ch, status;

	check_opts_init(&co, ctx);
	/*
	 * No '+': options may follow the file names (tune --audit FILE -j).
	 * optind = 0 makes glibc start afresh, so main()'s '+' ordering does
	 * not stay in force.
	 */
	optind = 0;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:jh", opts, NULL)) != -1) {
		switch (cmd_format_opt(ctx, ch, optarg)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_USAGE;
		}
		switch (check_opt(ctx, &co, ch, optarg, TD_EXIT_USAGE)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_USAGE;
		}
		switch (ch) {
		case OPT_AUDIT:
			audit = true;
			break;
		case 'h':
			cmd_usage(ctx->out, ctx);
			return TD_EXIT_OK;
		default:
			return cmd_bad_option(ctx, ch, argc, argv);
		}
	}
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "this command prints text or json");
	if (audit) {
		if (optind >= argc)
			return cmd_fail(ctx, TD_EXIT_USAGE, "--audit needs at least one file");
		return tune_audit(ctx, argc - optind, argv + optind);
	}
	if (optind < argc)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s' (files go with --audit)",
		    argv[optind]);
	status = check_collect(ctx, &co, &cs, -1);
	if (status == 0) {
		unseen_warn(ctx, &cs.unseen);
		n = tune_collect(&cs.findings, lines, TUNE_MAX);
		if ((ctx->format == TD_FMT_JSON ? tune_json(ctx->out, &cs.snap, lines, n) :
		    tune_text(ctx->out, &cs.snap, &cs.findings, lines, n)) < 0)
			status = cmd_fail(ctx, TD_EXIT_OSERR, "writing output: %s", strerror(errno));
	}
	check_state_free(&cs);
	return status;
}
