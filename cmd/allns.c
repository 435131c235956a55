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
 *   ndjson  the runs' lines, each carrying its netns;
 *   prometheus  one exposition: each family once, every sample of every run
 *           with a netns label, and tcpdoctor_netns_unseen for those not seen;
 *   nagios  (check) one status line for the host, the worst of the runs, with
 *           the counts; then, as the plugin's long output, each run's own
 *           line under its namespace (without its perfdata).
 * A namespace that vanished between discovery and setns (its name removed,
 * its last process gone) is reported on stderr and counted; one that
 * exists but cannot be entered (setns refused) is also reported, and makes
 * check UNKNOWN: its sockets were not seen.
 *
 * `-A snapshot` is the json case (a snapshot is always JSON): a whole-host
 * snapshot, which `-A --from FILE` replays through the same joiner, each
 * saved namespace as a snapshot of its own (walk_file()).
 */
#include <sys/mman.h>
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
#include "collectors/snapfile.h"
#include "core/jsonw.h"
#include "core/safefile.h"

/*
 * Does the namespace match --netns-filter: comma-separated globs, each
 * tried on the label (NAME, mount path, "pid:N"), the inode number and
 * "pid:N" of the lowest pid in it.
 */
bool
cmd_netns_selected(const struct td_ctx *ctx, const struct netns_info *ns)
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
	struct td_meta *m = calloc(1, sizeof(*m));
	struct snapfile_head h = { m, command, SNAPFILE_HEAD_NETNS | SNAPFILE_HEAD_KERNEL };
	struct jw *w = malloc(sizeof(*w));
	const char *tail = ",\"all_netns\":true,\"namespaces\":[\n";
	struct utsname u;

	if (m == NULL || w == NULL) {
		fprintf(fp, "{\"schema\":\"%s\",\"all_netns\":true,\"namespaces\":[\n", TD_SCHEMA);
		goto out;
	}
	m->time_ns = (int64_t)time(NULL) * 1000000000;
	if (gethostname(m->host, sizeof(m->host) - 1) < 0)
		m->host[0] = '\0';
	snprintf(m->netns, sizeof(m->netns), "*");
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	jw_init(w, fp, JW_COMPACT);
	jw_obj(w, NULL);
	jw_rec_members(w, &snapfile_head_desc, &h, 0);
	/* The object stays open: "all_netns" and the runs' documents follow. */
	jw_raw(w, tail, strlen(tail));
	jw_flush(w);
out:
	free(w);
	free(m);
}

/* ---- Prometheus: the runs' expositions joined, each series labelled netns ---- */

struct prom_fam {
	char	*name;
	char	*help, *type;		/* the first run's lines */
	char	*series;		/* every run's samples, netns added */
	size_t	 slen;
	FILE	*sfp;
};

struct prom_merge {
	struct prom_fam	**v;		/* each its own allocation: memstreams point into it */
	size_t		 n, cap;
	bool		 failed;	/* out of memory: said, never a partial exposition */
};

static struct prom_fam *
prom_fam(struct prom_merge *pm, const char *name, size_t len)
{
	struct prom_fam *f, **nv;
	size_t i, cap;

	for (i = 0; i < pm->n; i++)
		if (strlen(pm->v[i]->name) == len && strncmp(pm->v[i]->name, name, len) == 0)
			return pm->v[i];
	if (pm->n == pm->cap) {
		cap = pm->cap != 0 ? pm->cap * 2 : 64;
		nv = realloc(pm->v, cap * sizeof(*nv));
		if (nv == NULL)
			return NULL;
		pm->v = nv;
		pm->cap = cap;
	}
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return NULL;
	f->name = strndup(name, len);
	f->sfp = open_memstream(&f->series, &f->slen);
	if (f->name == NULL || f->sfp == NULL) {
		free(f->name);
		if (f->sfp != NULL)
			fclose(f->sfp);
		free(f->series);
		free(f);
		return NULL;
	}
	pm->v[pm->n++] = f;
	return f;
}

/* A label value as the exposition format escapes it: \\, \" and \n. */
static void
prom_escape(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', fp);
		if (*s == '\n') {
			fputs("\\n", fp);
			continue;
		}
		fputc(*s, fp);
	}
}

/* Take one run's exposition (text, len bytes) into the merge. */
static void
prom_take(struct prom_merge *pm, const char *text, size_t len, const char *netns)
{
	const char *p = text, *end = text + len, *nl, *q;
	struct prom_fam *f;
	char **slot;

	for (; p < end && !pm->failed; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl == p)
			continue;
		if ((size_t)(nl - p) > 7 && (strncmp(p, "# HELP ", 7) == 0 || strncmp(p, "# TYPE ", 7) == 0)) {
			q = p + 7;
			f = prom_fam(pm, q, strcspn(q, " \n"));
			if (f == NULL) {
				pm->failed = true;
				break;
			}
			slot = p[2] == 'H' ? &f->help : &f->type;
			if (*slot == NULL && (*slot = strndup(p, (size_t)(nl - p))) == NULL)
				pm->failed = true;
			continue;
		}
		if (*p == '#')
			continue;
		q = p + strcspn(p, "{ \n");
		f = prom_fam(pm, p, (size_t)(q - p));
		if (f == NULL) {
			pm->failed = true;
			break;
		}
		fwrite(p, 1, (size_t)(q - p), f->sfp);
		fputs("{netns=\"", f->sfp);
		prom_escape(f->sfp, netns);
		fputc('"', f->sfp);
		if (q[0] == '{' && q[1] == '}') {
			fputc('}', f->sfp);
			q += 2;
		} else if (q[0] == '{') {
			fputc(',', f->sfp);	/* the run's own labels follow, then its '}' */
			q++;
		} else {
			fputc('}', f->sfp);
		}
		fwrite(q, 1, (size_t)(nl - q), f->sfp);
		fputc('\n', f->sfp);
	}
}

/* Write the merge to fp and free it; -1 when memory ran out or writing failed. */
static int
prom_flush(struct prom_merge *pm, FILE *fp, const json_t *unseen)
{
	size_t i, k;
	int rc = pm->failed ? -1 : 0;

	for (i = 0; i < pm->n; i++) {
		struct prom_fam *f = pm->v[i];

		if (fclose(f->sfp) != 0)
			rc = -1;
		if (rc == 0) {
			if (f->help != NULL)
				fprintf(fp, "%s\n", f->help);
			if (f->type != NULL)
				fprintf(fp, "%s\n", f->type);
			fwrite(f->series, 1, f->slen, fp);
		}
		free(f->name);
		free(f->help);
		free(f->type);
		free(f->series);
		free(f);
	}
	free(pm->v);
	memset(pm, 0, sizeof(*pm));
	if (rc == 0) {
		fputs("# HELP tcpdoctor_netns_unseen Network namespaces found but not seen (vanished, or not entered)\n"
		    "# TYPE tcpdoctor_netns_unseen gauge\n", fp);
		for (k = 0; k < json_array_size(unseen); k++) {
			const json_t *u = json_array_get(unseen, k);

			fputs("tcpdoctor_netns_unseen{netns=\"", fp);
			prom_escape(fp, json_string_value(json_object_get(u, "netns")));
			fprintf(fp, "\",reason=\"%s\"} 1\n",
			    json_string_value(json_object_get(u, "reason")));
		}
	}
	return ferror(fp) ? -1 : rc;
}

/* For watch -A -o FILE: the same merge, one exposition per namespace. */
struct prom_merge *
cmd_prom_merge_new(void)
{
	return calloc(1, sizeof(struct prom_merge));
}

void
cmd_prom_merge_take(struct prom_merge *pm, const char *text, size_t len, const char *netns)
{
	prom_take(pm, text, len, netns);
}

int
cmd_prom_merge_flush(struct prom_merge *pm, FILE *fp, const json_t *unseen)
{
	int rc = prom_flush(pm, fp, unseen);

	free(pm);
	return rc;
}

/* ---- Joining the runs ---- */

struct joiner {
	struct td_ctx		*ctx;
	const struct cmd	*c;
	int			 argc;
	char			**argv;
	bool			 json;		/* the JSON wrapper: -j, or a snapshot */
	bool			 first;
	struct prom_merge	 pm;
	char			*nag;		/* nagios: the runs' lines */
	size_t			 nlen;
	FILE			*nfp;
	size_t			 nstatus[4];	/* nagios: runs by exit status 0-3 */
	json_t			*unseen;
	size_t			 selected, seen, vanished, refused;
	int			 status;
	int			 fail;		/* status of a failure: -1 for sysexits */
};

static void
join_unseen(struct joiner *j, const char *label, uint64_t ino, bool gone, const char *msg)
{
	if (gone)
		j->vanished++;
	else
		j->refused++;
	json_array_append_new(j->unseen, json_pack("{s:s, s:I, s:s, s:s}", "netns", label,
	    "netns_ino", (json_int_t)(ino & INT64_MAX), "reason", gone ? "vanished" : "not entered",
	    "error", msg));
	if (!gone && (j->c->flags & CMD_NAGIOS))
		j->status = worse(j->c, j->status, TD_EXIT_UNKNOWN);
}

/* Run the command once (the namespace already entered, or ctx->from set). */
static int
join_run(struct joiner *j, const char *label, uint64_t ino)
{
	struct td_ctx *ctx = j->ctx;
	char *pbuf = NULL;
	size_t plen = 0, n;
	FILE *real;
	int st;

	j->seen++;
	snprintf(ctx->netns_label, sizeof(ctx->netns_label), "%s", label);
	if (j->json) {
		if (j->first)
			json_head(ctx->out, j->c->name);
		else
			fputs(",\n", ctx->out);
	} else if (ctx->format == TD_FMT_TABLE) {
		fprintf(ctx->out, "%s# netns %s (inode %" PRIu64 ")\n", j->first ? "" : "\n",
		    label[0] != '\0' ? label : "(current)", ino);
	}
	j->first = false;
	optind = 0;
	if (ctx->format == TD_FMT_NAGIOS) {
		/* The run's line kept for the long output; the host's line comes first. */
		real = ctx->out;
		if (j->nfp == NULL)
			j->nfp = open_memstream(&j->nag, &j->nlen);
		ctx->out = j->nfp != NULL ? open_memstream(&pbuf, &plen) : NULL;
		if (ctx->out == NULL) {
			ctx->out = real;
			ctx->stop_all = true;
			st = TD_EXIT_UNKNOWN;
		} else {
			st = j->c->run(ctx, j->argc, j->argv);
			fclose(ctx->out);
			ctx->out = real;
			n = pbuf != NULL ? strcspn(pbuf, "|\n") : 0;
			while (n > 0 && pbuf[n - 1] == ' ')
				n--;
			fprintf(j->nfp, "netns %s: %.*s\n", label[0] != '\0' ? label : "(current)",
			    (int)n, pbuf != NULL ? pbuf : "");
			free(pbuf);
		}
		j->nstatus[st >= 0 && st <= 3 ? st : 3]++;
	} else if (ctx->format == TD_FMT_PROMETHEUS) {
		/* One run's exposition at a time, merged into families. */
		real = ctx->out;
		ctx->out = open_memstream(&pbuf, &plen);
		if (ctx->out == NULL) {
			ctx->out = real;
			j->pm.failed = true;
			ctx->stop_all = true;
			st = TD_EXIT_UNKNOWN;
		} else {
			st = j->c->run(ctx, j->argc, j->argv);
			if (fclose(ctx->out) != 0)
				j->pm.failed = true;
			ctx->out = real;
			prom_take(&j->pm, pbuf, plen, label);
			free(pbuf);
		}
	} else {
		st = j->c->run(ctx, j->argc, j->argv);
	}
	fflush(ctx->out);
	j->status = worse(j->c, j->status, st);
	return st;
}

static bool
join_stop(const struct joiner *j, int st)
{
	return j->ctx->stop_all || st == TD_EXIT_USAGE || j->ctx->out_failed;
}

static int
join_end(struct joiner *j)
{
	struct td_ctx *ctx = j->ctx;
	FILE *out = ctx->out;

	if (!ctx->stop_all && !ctx->out_failed) {
		if (j->json) {
			char *u = json_dumps(j->unseen, JSON_COMPACT);

			if (j->first)
				json_head(out, j->c->name);
			fprintf(out, "],\"netns_found\":%zu,\"netns_seen\":%zu,\"netns_unseen\":%s}\n",
			    j->selected, j->seen, u != NULL ? u : "[]");
			free(u);
		} else if (ctx->format == TD_FMT_TABLE) {
			fprintf(out, "%s# netns: %zu found, %zu seen, %zu vanished, %zu not entered\n",
			    j->first ? "" : "\n", j->selected, j->seen, j->vanished, j->refused);
		} else if (ctx->format == TD_FMT_NAGIOS) {
			static const char *const word[] = { "OK", "WARNING", "CRITICAL", "UNKNOWN" };
			int w = j->status >= 0 && j->status <= 3 ? j->status : 3;

			fprintf(out, "TCPDOCTOR %s - %zu network namespaces: %zu critical, %zu warning, %zu unknown, %zu ok",
			    word[w], j->selected, j->nstatus[2], j->nstatus[1], j->nstatus[3],
			    j->nstatus[0]);
			if (j->vanished + j->refused > 0)
				fprintf(out, "; %zu vanished, %zu not entered", j->vanished, j->refused);
			fputc('\n', out);
			if (j->nfp != NULL && fflush(j->nfp) == 0)
				fwrite(j->nag, 1, j->nlen, out);
		} else if (ctx->format == TD_FMT_PROMETHEUS) {
			if (prom_flush(&j->pm, out, j->unseen) < 0)
				j->status = worse(j->c, j->status, cmd_fail(ctx,
				    j->fail < 0 ? TD_EXIT_OSERR : j->fail,
				    "--all-netns: cannot write the joined exposition"));
		}
		if (j->selected == 0)
			cmd_warn(ctx, "--netns-filter '%s' matches no namespace",
			    ctx->netns_filter != NULL ? ctx->netns_filter : "");
	}
	if (j->pm.v != NULL) {		/* stopped early: nothing half-merged is printed */
		FILE *nul = fopen("/dev/null", "we");

		if (nul != NULL) {
			prom_flush(&j->pm, nul, j->unseen);
			fclose(nul);
		}
	}
	if (j->nfp != NULL)
		fclose(j->nfp);
	free(j->nag);
	json_decref(j->unseen);
	return j->status;
}

/* ---- Every namespace of this host ---- */

static int
walk_live(struct joiner *j)
{
	struct td_ctx *ctx = j->ctx;
	struct netns_list l;
	struct td_err err = { 0 };
	size_t i;
	int self, st;

	if (netns_discover(ctx->proc_root, &l, &err) < 0 || (self = netns_self_fd(&err)) < 0) {
		netns_list_free(&l);
		return -1 - (j->status = j->fail < 0 ? cmd_fail_err(ctx, &err) :
		    cmd_fail(ctx, j->fail, "%s", err.msg));
	}
	for (i = 0; i < l.n; i++) {
		const struct netns_info *ns = &l.v[i];

		if (!cmd_netns_selected(ctx, ns))
			continue;
		j->selected++;
		memset(&err, 0, sizeof(err));
		if (netns_enter_info(ns, &err) < 0) {
			cmd_warn(ctx, "%s", err.msg);
			join_unseen(j, ns->label, ns->ino, err.code == ENOENT || err.code == ESTALE,
			    err.msg);
			continue;
		}
		st = join_run(j, ns->label, ns->ino);
		memset(&err, 0, sizeof(err));
		if (netns_return(self, &err) < 0) {
			/* Nothing after this would read the namespace it claims to. */
			close(self);
			netns_list_free(&l);
			return -1 - (j->status = j->fail < 0 ? cmd_fail_err(ctx, &err) :
			    cmd_fail(ctx, j->fail, "%s", err.msg));
		}
		if (join_stop(j, st))
			break;
	}
	close(self);
	netns_list_free(&l);
	return 0;
}

/* ---- A whole-host snapshot (snapshot under -A), replayed with --from ---- */

/*
 * Each saved namespace is handed to the command as a snapshot of its own:
 * an anonymous memory file (memfd_create(2), nothing written to disk) that
 * --from reads through /proc/self/fd.  The file is read whole, so its
 * memory grows with the snapshot, unlike the streaming single-namespace
 * replay.
 */
static int
walk_file(struct joiner *j)
{
	struct td_ctx *ctx = j->ctx;
	const char *from = ctx->from;
	struct td_err err = { 0 };
	struct netns_info ns;
	json_error_t je;
	json_t *doc, *arr, *d, *u;
	char path[64];
	size_t i;
	FILE *fp;
	int fd, st;

	fp = safefile_fopen_input("--from", from, 0, &err);
	if (fp == NULL)
		return -1 - (j->status = j->fail < 0 ? cmd_fail_err(ctx, &err) :
		    cmd_fail(ctx, j->fail, "%s", err.msg));
	doc = json_loadf(fp, JSON_REJECT_DUPLICATES, &je);
	fclose(fp);
	if (doc == NULL)
		return -1 - (j->status = cmd_fail(ctx, j->fail < 0 ? TD_EXIT_DATAERR : j->fail,
		    "--from '%s': line %d, column %d: %s", from, je.line, je.column, je.text));
	arr = json_object_get(doc, "namespaces");
	if (!json_is_true(json_object_get(doc, "all_netns")) || !json_is_array(arr) ||
	    !json_is_string(json_object_get(doc, "command")) ||
	    strcmp(json_string_value(json_object_get(doc, "command")), "snapshot") != 0) {
		json_decref(doc);
		return -1 - (j->status = cmd_fail(ctx, j->fail < 0 ? TD_EXIT_DATAERR : j->fail,
		    "--from '%s': not a whole-host snapshot (tcpdoctor -A snapshot): replay it without -A",
		    from));
	}
	/* What was not seen when it was taken is not seen now either. */
	json_array_foreach(json_object_get(doc, "netns_unseen"), i, u) {
		const char *reason = json_string_value(json_object_get(u, "reason"));

		j->selected++;
		join_unseen(j, json_string_value(json_object_get(u, "netns")) != NULL ?
		    json_string_value(json_object_get(u, "netns")) : "",
		    (uint64_t)json_integer_value(json_object_get(u, "netns_ino")),
		    reason == NULL || strcmp(reason, "vanished") == 0,
		    json_string_value(json_object_get(u, "error")) != NULL ?
		    json_string_value(json_object_get(u, "error")) : "");
	}
	json_array_foreach(arr, i, d) {
		memset(&ns, 0, sizeof(ns));
		if (!json_is_object(d) || !json_is_string(json_object_get(d, "netns"))) {
			json_decref(doc);
			return -1 - (j->status = cmd_fail(ctx, j->fail < 0 ? TD_EXIT_DATAERR : j->fail,
			    "--from '%s': namespaces[%zu] is not a snapshot", from, i));
		}
		snprintf(ns.label, sizeof(ns.label), "%s", json_string_value(json_object_get(d, "netns")));
		ns.ino = (uint64_t)json_integer_value(json_object_get(json_object_get(d, "meta"),
		    "netns_ino"));
		if (!cmd_netns_selected(ctx, &ns))
			continue;
		j->selected++;
		fd = memfd_create("tcpdoctor-netns", MFD_CLOEXEC);
		if (fd < 0 || json_dumpfd(d, fd, JSON_COMPACT) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
			if (fd >= 0)
				close(fd);
			json_decref(doc);
			return -1 - (j->status = cmd_fail(ctx, j->fail < 0 ? TD_EXIT_OSERR : j->fail,
			    "--from '%s': namespaces[%zu]: %s", from, i, strerror(errno)));
		}
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		ctx->from = path;
		st = join_run(j, ns.label, ns.ino);
		ctx->from = from;
		close(fd);
		if (join_stop(j, st))
			break;
	}
	json_decref(doc);
	return 0;
}

int
cmd_all_netns(struct td_ctx *ctx, const struct cmd *c, int argc, char **argv)
{
	struct joiner j = {
		.ctx = ctx, .c = c, .argc = argc, .argv = argv, .first = true,
		.status = TD_EXIT_OK, .fail = c->flags & CMD_NAGIOS ? TD_EXIT_UNKNOWN : -1,
	};

	/* A snapshot is JSON always: its runs join into one document too. */
	j.json = ctx->format == TD_FMT_JSON || strcmp(c->name, "snapshot") == 0;
	j.unseen = json_array();
	if ((ctx->from != NULL ? walk_file(&j) : walk_live(&j)) < 0) {
		json_decref(j.unseen);
		return j.status;
	}
	return join_end(&j);
}
