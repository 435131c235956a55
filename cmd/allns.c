/* SPDX-License-Identifier: MIT */
/*
 * -A / --all-netns: every network namespace on the host, one after another,
 * in this process.  The namespaces are found without a daemon
 * (collectors/netns.c: the caller's, /run/netns, nsfs bind mounts, and
 * /proc/PID/ns/net, deduplicated by inode); each is entered with setns, the
 * command runs there exactly as under -N (the same collectors and analyzers,
 * one pass, with the namespace's own counters and sysctls), and the process
 * returns to its own namespace before the next.  No process is spawned.
 *
 * The outputs are joined by format:
 *   table   each run under a line "# netns LABEL (inode N)", then one line
 *           "# netns: N found, N seen, N vanished, N not entered";
 *   json    one document {"schema", "command", "all_netns": true,
 *           "namespaces": [the runs' documents], "netns_found", "netns_seen",
 *           "netns_unseen": [{netns, netns_ino, reason}]};
 *   ndjson  the runs' lines, each carrying its netns.
 * A namespace that vanished between discovery and setns (its name removed,
 * its last process gone) is reported on stderr and counted; one that
 * exists but cannot be entered (setns refused) is also reported, and makes
 * check UNKNOWN: its sockets were not seen.
 */
#include <sys/utsname.h>

#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "collectors/netns.h"

/*
 * Does the namespace match --netns-filter: comma-separated globs, each
 * tried on the label (NAME, mount path, "pid:N"), the inode number and
 * "pid:N" of the lowest pid in it.
 */
static bool
ns_selected(const struct td_ctx *ctx, const struct netns_info *ns)
{
	char ino[24], pid[24], pat[4096];
	const char *p, *q;
	size_t len;

	if (ctx->netns_filter == NULL)
		return true;
	snprintf(ino, sizeof(ino), "%" PRIu64, ns->ino);
	snprintf(pid, sizeof(pid), "pid:%d", ns->pid);
	for (p = ctx->netns_filter; *p != '\0'; p = *q != '\0' ? q + 1 : q) {
		q = strchrnul(p, ',');
		len = (size_t)(q - p);
		memcpy(pat, p, len);
		pat[len] = '\0';
		if (fnmatch(pat, ns->label, 0) == 0 || fnmatch(pat, ino, 0) == 0 ||
		    (ns->pid > 0 && fnmatch(pat, pid, 0) == 0))
			return true;
	}
	return false;
}

/* check's statuses in Nagios order (UNKNOWN above CRITICAL); others: the first failure. */
static int
worse(const struct cmd *c, int a, int b)
{
	if (c->flags & CMD_NAGIOS) {
		if (a < 0 || a > TD_EXIT_UNKNOWN)
			a = TD_EXIT_UNKNOWN;
		if (b < 0 || b > TD_EXIT_UNKNOWN)
			b = TD_EXIT_UNKNOWN;
		return b > a ? b : a;
	}
	return a != TD_EXIT_OK ? a : b;
}

/* The joined document's head: the members every document has, netns "*". */
static void
json_head(FILE *fp, const char *command)
{
	char when[40], host[256] = "";
	struct utsname u;
	struct tm tm;
	time_t t = time(NULL);
	json_t *o;
	char *text;

	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	if (uname(&u) < 0)
		u.release[0] = '\0';
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "schema", TD_SCHEMA, "command", command,
	    "time", when, "host", host, "netns", "*", "kernel", u.release);
	text = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	/* The object stays open: "all_netns" and the runs' documents follow. */
	if (text != NULL && strlen(text) > 1) {
		text[strlen(text) - 1] = '\0';
		fprintf(fp, "%s,\"all_netns\":true,\"namespaces\":[\n", text);
	} else {
		fprintf(fp, "{\"schema\":\"%s\",\"all_netns\":true,\"namespaces\":[\n", TD_SCHEMA);
	}
	free(text);
	json_decref(o);
}

int
cmd_all_netns(struct td_ctx *ctx, const struct cmd *c, int argc, char **argv)
{
	struct netns_list l;
	struct td_err err = { 0 };
	json_t *unseen;
	size_t i, seen = 0, vanished = 0, refused = 0, selected = 0;
	int self, status = TD_EXIT_OK, st, fail = c->flags & CMD_NAGIOS ? TD_EXIT_UNKNOWN : -1;
	bool first = true;
	FILE *out;

	if (netns_discover(ctx->proc_root, &l, &err) < 0 || (self = netns_self_fd(&err)) < 0) {
		netns_list_free(&l);
		return fail < 0 ? cmd_fail_err(ctx, &err) : cmd_fail(ctx, fail, "%s", err.msg);
	}
	unseen = json_array();
	if (ctx->format == TD_FMT_JSON)
		json_head(ctx->out, c->name);
	for (i = 0; i < l.n; i++) {
		const struct netns_info *ns = &l.v[i];

		if (!ns_selected(ctx, ns))
			continue;
		selected++;
		memset(&err, 0, sizeof(err));
		if (netns_enter_info(ns, &err) < 0) {
			bool gone = err.code == ENOENT || err.code == ESTALE;

			if (gone)
				vanished++;
			else
				refused++;
			cmd_warn(ctx, "%s", err.msg);
			json_array_append_new(unseen, json_pack("{s:s, s:I, s:s, s:s}", "netns", ns->label,
			    "netns_ino", (json_int_t)(ns->ino & INT64_MAX), "reason",
			    gone ? "vanished" : "not entered", "error", err.msg));
			if (!gone && (c->flags & CMD_NAGIOS))
				status = worse(c, status, TD_EXIT_UNKNOWN);
			continue;
		}
		seen++;
		snprintf(ctx->netns_label, sizeof(ctx->netns_label), "%s", ns->label);
		if (ctx->format == TD_FMT_TABLE)
			fprintf(ctx->out, "%s# netns %s (inode %" PRIu64 ")\n", first ? "" : "\n",
			    ns->label[0] != '\0' ? ns->label : "(current)", ns->ino);
		else if (ctx->format == TD_FMT_JSON && !first)
			fputs(",\n", ctx->out);
		first = false;
		optind = 0;
		st = c->run(ctx, argc, argv);
		fflush(ctx->out);
		memset(&err, 0, sizeof(err));
		if (netns_return(self, &err) < 0) {
			/* Nothing after this would read the namespace it claims to. */
			close(self);
			json_decref(unseen);
			netns_list_free(&l);
			return fail < 0 ? cmd_fail_err(ctx, &err) : cmd_fail(ctx, fail, "%s", err.msg);
		}
		status = worse(c, status, st);
		if (ctx->stop_all || st == TD_EXIT_USAGE || ctx->out_failed)
			break;
	}
	close(self);
	out = ctx->out;
	if (!ctx->stop_all && !ctx->out_failed) {
		if (ctx->format == TD_FMT_TABLE) {
			fprintf(out, "%s# netns: %zu found, %zu seen, %zu vanished, %zu not entered\n",
			    first ? "" : "\n", selected, seen, vanished, refused);
		} else if (ctx->format == TD_FMT_JSON) {
			char *u = json_dumps(unseen, JSON_COMPACT);

			fprintf(out, "],\"netns_found\":%zu,\"netns_seen\":%zu,\"netns_unseen\":%s}\n",
			    selected, seen, u != NULL ? u : "[]");
			free(u);
		}
		if (selected == 0)
			cmd_warn(ctx, "--netns-filter '%s' matches no namespace",
			    ctx->netns_filter != NULL ? ctx->netns_filter : "");
	}
	json_decref(unseen);
	netns_list_free(&l);
	return status;
}
