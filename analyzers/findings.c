/* SPDX-License-Identifier: MIT */
/*
 * Findings as data: builders used by the analyzers, and the counter helpers
 * that turn "since boot" values into per-run deltas when a previous run is
 * known (see history.h).
 */
#include "analyzers/analyzer.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/history.h"
#include "collectors/sysctl.h"

const char *
td_severity_name(enum td_severity sev)
{
	static const char *const names[] = {
		[TD_SEV_OK] = "ok", [TD_SEV_INFO] = "info",
		[TD_SEV_WARNING] = "warning", [TD_SEV_CRITICAL] = "critical",
	};

	return (unsigned int)sev <= TD_SEV_CRITICAL ? names[sev] : "unknown";
}

const char *
td_reco_kind_name(enum td_reco_kind kind)
{
	static const char *const names[] = {
		[TD_RECO_SYSCTL] = "sysctl", [TD_RECO_APP] = "app", [TD_RECO_KERNEL] = "kernel",
	};

	return (unsigned int)kind <= TD_RECO_KERNEL ? names[kind] : "unknown";
}

/* Mark f incomplete (the first reason wins). */
static void
incomplete(struct td_finding *f, const char *why)
{
	if (f->incomplete == NULL)
		f->incomplete = why;
}

/* Copy s into a fixed field; false (nothing cut, field left "") if it does not fit. */
static bool
fit(char *dst, size_t len, const char *s)
{
	size_t n = strlen(s);

	if (n >= len) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, s, n + 1);
	return true;
}

struct td_finding *
td_finding_add(struct td_findings *out, struct td_err *err, const char *id,
    const char *subject, enum td_severity sev, const char *fmt, ...)
{
	struct td_finding *f, *nv;
	size_t cap;
	va_list ap;
	int n;

	if (out->n == out->cap) {
		cap = out->cap != 0 ? out->cap * 2 : 16;
		nv = realloc(out->v, cap * sizeof(*nv));
		if (nv == NULL) {
			td_errf(err, ENOMEM, "out of memory for findings");
			return NULL;
		}
		out->v = nv;
		out->cap = cap;
	}
	f = &out->v[out->n];
	memset(f, 0, sizeof(*f));
	if (!fit(f->id, sizeof(f->id), id)) {
		td_errf(err, EINVAL, "finding id '%s' is too long", id);
		return NULL;
	}
	if (!fit(f->subject, sizeof(f->subject), subject != NULL ? subject : "")) {
		td_errf(err, EINVAL, "%s: subject '%s' is too long", id, subject);
		return NULL;
	}
	f->severity = sev;
	va_start(ap, fmt);
	n = vasprintf(&f->summary, fmt, ap);
	va_end(ap);
	if (n < 0) {
		f->summary = NULL;
		td_errf(err, ENOMEM, "out of memory for findings");
		return NULL;
	}
	out->n++;
	return f;
}

static struct td_evidence *
ev_new(struct td_finding *f, const char *key, enum td_ev_type type)
{
	struct td_evidence *e;

	if (f->nev >= TD_FINDING_EV_MAX) {
		incomplete(f, "too many evidence items");
		return NULL;
	}
	e = &f->ev[f->nev];
	memset(e, 0, sizeof(*e));
	if (!fit(e->key, sizeof(e->key), key)) {
		incomplete(f, "an evidence key is too long");
		return NULL;
	}
	e->type = type;
	f->nev++;
	return e;
}

void
td_ev_int(struct td_finding *f, const char *key, int64_t v)
{
	struct td_evidence *e = ev_new(f, key, TD_EV_INT);

	if (e != NULL)
		e->i = v;
}

void
td_ev_float(struct td_finding *f, const char *key, double v)
{
	struct td_evidence *e = ev_new(f, key, TD_EV_FLOAT);

	if (e != NULL)
		e->f = v;
}

void
td_ev_bool(struct td_finding *f, const char *key, bool v)
{
	struct td_evidence *e = ev_new(f, key, TD_EV_BOOL);

	if (e != NULL)
		e->i = v;
}

void
td_ev_str(struct td_finding *f, const char *key, const char *fmt, ...)
{
	struct td_evidence *e = ev_new(f, key, TD_EV_STR);
	va_list ap;
	int n;

	if (e == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&e->s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		/* Not shown: a STR item always has its text. */
		f->nev--;
		incomplete(f, "out of memory");
	}
}

const struct td_evidence *
td_ev_find(const struct td_finding *f, const char *key)
{
	unsigned int i;

	for (i = 0; i < f->nev; i++)
		if (strcmp(f->ev[i].key, key) == 0)
			return &f->ev[i];
	return NULL;
}

static struct td_reco *
reco_vadd(struct td_finding *f, enum td_reco_kind kind, const char *key,
    const char *current, const char *suggested, const char *fmt, va_list ap)
{
	struct td_reco *r;

	if (f->nreco >= TD_FINDING_RECO_MAX) {
		incomplete(f, "too many recommendations");
		return NULL;
	}
	r = &f->reco[f->nreco];
	memset(r, 0, sizeof(*r));
	r->kind = kind;
	if (!fit(r->key, sizeof(r->key), key) ||
	    !fit(r->current, sizeof(r->current), current != NULL ? current : "") ||
	    !fit(r->suggested, sizeof(r->suggested), suggested != NULL ? suggested : "")) {
		incomplete(f, "a recommendation's key or value is too long");
		return NULL;
	}
	if (vasprintf(&r->reason, fmt, ap) < 0) {
		r->reason = NULL;
		incomplete(f, "out of memory");
		return NULL;
	}
	f->nreco++;
	return r;
}

struct td_reco *
td_reco_add(struct td_finding *f, enum td_reco_kind kind, const char *key,
    const char *current, const char *suggested, const char *fmt, ...)
{
	struct td_reco *r;
	va_list ap;

	va_start(ap, fmt);
	r = reco_vadd(f, kind, key, current, suggested, fmt, ap);
	va_end(ap);
	return r;
}

struct td_reco *
td_reco_sysctl(struct td_finding *f, const struct td_snapshot *snap, int id,
    const char *suggested, const char *fmt, ...)
{
	const struct td_sysval *sv = &snap->sys.s[id];
	char cur[48] = "unknown";
	struct td_reco *r;
	va_list ap;

	if (sv->readable) {
		if (td_sysctl_fields[id].kind == TD_SYS_PAIR)
			snprintf(cur, sizeof(cur), "%lld %lld", (long long)sv->v[0],
			    (long long)sv->v[1]);
		else
			snprintf(cur, sizeof(cur), "%lld", (long long)sv->v[0]);
	}
	va_start(ap, fmt);
	r = reco_vadd(f, TD_RECO_SYSCTL, td_sysctl_fields[id].name, cur, suggested, fmt, ap);
	va_end(ap);
	return r;
}

static struct td_reco *
reco_vadd_plain(struct td_finding *f, const char *filter)
{
	return td_reco_add(f, TD_RECO_KERNEL, "kill", NULL, NULL,
	    "in that namespace, tcpdoctor kill --yes %s destroys them (the command with the namespace's path is too long to show here).",
	    filter);
}

struct td_reco *
td_reco_kill(struct td_finding *f, const struct td_snapshot *snap, const char *filter,
    const char *fmt, ...)
{
	const char *ns = snap->meta.netns;
	char cmd[512];
	struct td_reco *r;
	va_list ap;
	int n;

	if (strncmp(ns, "pid:", 4) == 0)
		n = snprintf(cmd, sizeof(cmd), "tcpdoctor --netns-pid %s kill --yes %s", ns + 4, filter);
	else if (ns[0] == '/')
		n = snprintf(cmd, sizeof(cmd), "tcpdoctor -A --netns-filter '%s' kill --yes %s", ns, filter);
	else if (ns[0] != '\0')
		n = snprintf(cmd, sizeof(cmd), "tcpdoctor -N %s kill --yes %s", ns, filter);
	else
		n = snprintf(cmd, sizeof(cmd), "tcpdoctor kill --yes %s", filter);
	if (n < 0 || (size_t)n >= sizeof(f->reco[0].suggested))
		/* A namespace path too long for the field: the words, not a cut command. */
		return reco_vadd_plain(f, filter);
	va_start(ap, fmt);
	r = reco_vadd(f, TD_RECO_KERNEL, "kill", NULL, cmd, fmt, ap);
	va_end(ap);
	return r;
}

enum td_severity
td_findings_worst(const struct td_findings *fs)
{
	enum td_severity worst = TD_SEV_OK;
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (fs->v[i].severity > worst)
			worst = fs->v[i].severity;
	return worst;
}

void
td_findings_sort(struct td_findings *fs)
{
	struct td_finding tmp;
	size_t i, j;

	/* Insertion sort: stable, and the lists are short. */
	for (i = 1; i < fs->n; i++) {
		tmp = fs->v[i];
		for (j = i; j > 0 && fs->v[j - 1].severity < tmp.severity; j--)
			fs->v[j] = fs->v[j - 1];
		fs->v[j] = tmp;
	}
}

int
td_findings_check(const struct td_findings *fs, struct td_err *err)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (fs->v[i].incomplete != NULL)
			return td_errf(err, ENOMEM, "finding %s is incomplete: %s", fs->v[i].id,
			    fs->v[i].incomplete);
	return 0;
}

void
td_findings_free(struct td_findings *fs)
{
	struct td_finding *f;
	size_t i;
	unsigned int j;

	for (i = 0; i < fs->n; i++) {
		f = &fs->v[i];
		free(f->summary);
		for (j = 0; j < f->nev; j++)
			if (f->ev[j].type == TD_EV_STR)
				free(f->ev[j].s);
		for (j = 0; j < f->nreco; j++)
			free(f->reco[j].reason);
	}
	free(fs->v);
	memset(fs, 0, sizeof(*fs));
}

bool
ax_counter(const struct analyzer_ctx *ax, int id, uint64_t *v, bool *since_boot)
{
	const struct td_counters *c = &ax->snap->ctr;

	if (id < 0 || id >= TD_CTR_MAX || !c->present[id])
		return false;
	if (ax->delta.known && ax->prev->ctr.present[id] &&
	    c->v[id] >= ax->prev->ctr.v[id]) {
		*v = c->v[id] - ax->prev->ctr.v[id];
		*since_boot = false;
	} else {
		*v = c->v[id];
		*since_boot = true;
	}
	return true;
}

void
ax_ev_counter(const struct analyzer_ctx *ax, struct td_finding *f, int id)
{
	uint64_t v;
	bool since_boot;

	if (!ax_counter(ax, id, &v, &since_boot))
		return;
	td_ev_int(f, td_counter_fields[id].json, (int64_t)(v > INT64_MAX ? INT64_MAX : v));
}

void
ax_ev_window(const struct analyzer_ctx *ax, struct td_finding *f)
{
	if (ax->delta.known)
		td_ev_float(f, "counters_interval_s", ax->delta.interval_s);
	else
		td_ev_bool(f, "counters_since_boot", true);
}

int
td_finding_untracked(struct td_findings *out, struct td_err *err, const char *id,
    const char *what, uint64_t untracked, uint64_t tracked, int max)
{
	struct td_finding *f;

	if (untracked == 0)
		return 0;
	f = td_finding_add(out, err, id, "", TD_SEV_INFO,
	    "%llu %s were not recorded in the state file (at most %d are, and the file keeps at most %d sockets): whether they are stuck is known for the %llu recorded only",
	    (unsigned long long)untracked, what, max, TD_HISTORY_COOKIES,
	    (unsigned long long)tracked);
	if (f == NULL)
		return -1;
	td_ev_int(f, "untracked", (int64_t)untracked);
	td_ev_int(f, "tracked", (int64_t)tracked);
	td_ev_int(f, "tracked_max", max);
	return 0;
}
