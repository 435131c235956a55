/* SPDX-License-Identifier: MIT */
/*
 * Renderers for findings; see findings.h.  Prometheus names are
 * tcpdoctor_ + snake_case, counters end in _total, HELP and TYPE appear
 * once per family and label values escape \, " and newline.
 */
#include "cmd/findings.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "cmd/listeners.h"
#include "cmd/output.h"
#include "collectors/snapfile.h"
#include "collectors/counters.h"
#include "collectors/sysctl.h"
#include "core/safefile.h"
#include "core/util.h"

static const char *const sev_upper[] = { "OK", "INFO", "WARNING", "CRITICAL" };

/* The overall status: info findings do not change OK (exit 0). */
static const char *
status_word(enum td_severity worst)
{
	return worst <= TD_SEV_INFO ? "OK" : sev_upper[worst];
}

/*
 * The error of a failed check as one line of valid UTF-8 for every format:
 * control characters, invalid UTF-8 and Nagios' '|' (perfdata follows it)
 * become '?', so that a file name in the message cannot break the JSON
 * string, the Prometheus label or the Nagios line.
 */
static const char *
clean_error(const char *in, char *out, size_t len)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t o = 0, n, k;

	while (*p != '\0' && o + 5 < len) {
		if (*p < 0x80) {
			out[o++] = *p < 0x20 || *p == 0x7f || *p == '|' ? '?' : (char)*p;
			p++;
			continue;
		}
		n = *p >= 0xf0 && *p <= 0xf4 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc2 && *p < 0xe0 ? 2 : 0;
		for (k = 1; n != 0 && k < n; k++)
			if ((p[k] & 0xc0) != 0x80)
				n = 0;
		/* Overlong 3- and 4-byte forms and surrogates are not UTF-8 either. */
		if ((n == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))) ||
		    (n == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))))
			n = 0;
		if (n == 0) {
			out[o++] = '?';
			p++;
			continue;
		}
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return out;
}

/* ---- Table ---- */

/* Text from column first_col, wrapped at 100 columns, later lines indented by indent. */
static void
wrap(FILE *fp, const char *text, int first_col, int indent)
{
	static const char blanks[] = "            ";
	struct output_wrap ow = { 100, indent, blanks + sizeof(blanks) - 1 - indent, false };

	output_wrap(fp, text, first_col, &ow);
}

static void
ev_value(FILE *fp, const struct td_evidence *e)
{
	switch (e->type) {
	case TD_EV_INT:
		fprintf(fp, "%lld", (long long)e->i);
		break;
	case TD_EV_FLOAT:
		fprintf(fp, "%.3g", e->f);
		break;
	case TD_EV_BOOL:
		fputs(e->i ? "yes" : "no", fp);
		break;
	case TD_EV_STR:
		fputs(e->s, fp);
		break;
	}
}

/*
 * Build a line of any length in memory (never cut at a fixed buffer), then
 * wrap it.  Returns 0, or -1 when memory runs out (errno set).
 */
static int
wrap_built(FILE *fp, const struct td_finding *f, int j, int first_col, int indent)
{
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);
	unsigned int k;

	if (m == NULL)
		return -1;
	if (j < 0) {
		for (k = 0; k < f->nev; k++) {
			fprintf(m, "%s%s=", k > 0 ? " " : "", f->ev[k].key);
			ev_value(m, &f->ev[k]);
		}
	} else {
		const struct td_reco *rc = &f->reco[j];

		if (rc->suggested[0] != '\0' && rc->current[0] == '\0' && rc->kind != TD_RECO_SYSCTL)
			fprintf(m, "fix (%s) %s: %s: %s", td_reco_kind_name(rc->kind), rc->key,
			    rc->suggested, rc->reason);	/* a command to run: td_reco_kill() */
		else if (rc->suggested[0] != '\0' && strcmp(rc->current, rc->suggested) != 0)
			fprintf(m, "fix (%s) %s: %s -> %s: %s", td_reco_kind_name(rc->kind), rc->key,
			    rc->current[0] != '\0' ? rc->current : "?", rc->suggested, rc->reason);
		else
			fprintf(m, "fix (%s) %s: %s", td_reco_kind_name(rc->kind), rc->key, rc->reason);
	}
	if (fclose(m) != 0) {
		free(line);
		return -1;
	}
	wrap(fp, line, first_col, indent);
	free(line);
	return 0;
}

int
findings_table(FILE *fp, const struct check_report *r)
{
	const struct td_meta *m = &r->snap->meta;
	char line[1024];	/* the error message only; finding text is never cut */
	size_t i, j;

	if (r->error != NULL && r->findings == NULL) {
		fprintf(fp, "UNKNOWN: %s, netns %s, kernel %s: %s\n", m->host,
		    m->netns[0] != '\0' ? m->netns : "(current)", m->kernel,
		    clean_error(r->error, line, sizeof(line)));
		return ferror(fp) ? -1 : 0;
	}
	/* After the analysis, UNKNOWN still heads what was seen, with why. */
	fprintf(fp, "%s: %s, netns %s, kernel %s: %llu sockets checked by %u analyzers\n",
	    r->error != NULL ? "UNKNOWN" : status_word(r->worst), m->host,
	    m->netns[0] != '\0' ? m->netns : "(current)", m->kernel,
	    (unsigned long long)r->sockets, r->analyzers);
	if (r->error != NULL)
		fprintf(fp, "unknown: %s\n", clean_error(r->error, line, sizeof(line)));
	if (r->findings->n == 0)
		fputs("nothing to report\n", fp);
	for (i = 0; i < r->findings->n; i++) {
		const struct td_finding *f = &r->findings->v[i];

		fprintf(fp, "\n%-8s %s%s%s\n", sev_upper[f->severity], f->id,
		    f->subject[0] != '\0' ? "  " : "", f->subject);
		fputs("  ", fp);
		wrap(fp, f->summary, 2, 4);
		if (f->nev > 0) {
			fputs("  evidence: ", fp);
			if (wrap_built(fp, f, -1, 12, 4) < 0)
				return -1;
		}
		for (j = 0; j < f->nreco; j++) {
			fputs("  ", fp);
			if (wrap_built(fp, f, (int)j, 2, 6) < 0)
				return -1;
		}
	}
	return ferror(fp) ? -1 : 0;
}

/* ---- JSON ---- */

static json_t *
json_i64(int64_t v)
{
	return json_integer((json_int_t)v);
}

json_t *
findings_json_meta(const struct td_snapshot *snap, const char *command)
{
	struct snapfile_head h = { &snap->meta, command, SNAPFILE_HEAD_NETNS | SNAPFILE_HEAD_KERNEL };

	return snapfile_line_head(&h);
}

json_t *
findings_json_finding(const struct td_finding *f)
{
	json_t *o = json_object(), *ev = json_object(), *recos = json_array(), *r;
	unsigned int j;

	if (o == NULL || ev == NULL || recos == NULL) {
		json_decref(o);
		json_decref(ev);
		json_decref(recos);
		return NULL;
	}
	json_object_set_new(o, "id", json_string(f->id));
	json_object_set_new(o, "severity", json_string(td_severity_name(f->severity)));
	json_object_set_new(o, "subject", json_string(f->subject));
	json_object_set_new(o, "summary", json_string(f->summary));
	for (j = 0; j < f->nev; j++) {
		const struct td_evidence *e = &f->ev[j];

		switch (e->type) {
		case TD_EV_INT:
			json_object_set_new(ev, e->key, json_i64(e->i));
			break;
		case TD_EV_FLOAT:
			json_object_set_new(ev, e->key, isfinite(e->f) ? json_real(e->f) : json_null());
			break;
		case TD_EV_BOOL:
			json_object_set_new(ev, e->key, json_boolean(e->i));
			break;
		case TD_EV_STR:
			json_object_set_new(ev, e->key, json_string(e->s));
			break;
		}
	}
	json_object_set_new(o, "evidence", ev);
	for (j = 0; j < f->nreco; j++) {
		const struct td_reco *rc = &f->reco[j];

		r = json_object();
		json_object_set_new(r, "kind", json_string(td_reco_kind_name(rc->kind)));
		json_object_set_new(r, "key", json_string(rc->key));
		json_object_set_new(r, "current", rc->current[0] != '\0' ? json_string(rc->current) : json_null());
		json_object_set_new(r, "suggested", rc->suggested[0] != '\0' ? json_string(rc->suggested) : json_null());
		json_object_set_new(r, "reason", json_string(rc->reason));
		json_array_append_new(recos, r);
	}
	json_object_set_new(o, "recommendations", recos);
	return o;
}

int
findings_json(FILE *fp, const struct check_report *r)
{
	json_t *doc, *arr, *st, *f;
	char msg[1024];
	size_t i;
	int rc;

	doc = findings_json_meta(r->snap, "check");
	if (doc == NULL)
		return -1;
	json_object_set_new(doc, "status", json_string(r->error != NULL ? "unknown" :
	    td_severity_name(r->worst)));
	json_object_set_new(doc, "exit_status", json_integer(r->status));
	if (r->error != NULL)
		json_object_set_new(doc, "error", json_string(clean_error(r->error, msg, sizeof(msg))));
	if (r->findings == NULL) {
		/* Nothing was seen: no counts, which would read as "none". */
		json_object_set_new(doc, "sockets", json_null());
		json_object_set_new(doc, "states", json_null());
		json_object_set_new(doc, "interval_s", json_null());
		json_object_set_new(doc, "findings", json_null());
		goto dump;
	}
	json_object_set_new(doc, "sockets", json_i64((int64_t)r->sockets));
	st = json_object();
	for (i = 1; i < TD_ST_MAX; i++)
		if (i != TD_ST_NEW_SYN_RECV)
			json_object_set_new(st, td_state_name((unsigned int)i), json_i64((int64_t)r->by_state[i]));
	json_object_set_new(doc, "states", st);
	if (r->unseen != NULL)
		json_object_set_new(doc, "unseen", unseen_json(r->unseen));
	if (r->interval_s > 0)
		json_object_set_new(doc, "interval_s", json_real(r->interval_s));
	else
		json_object_set_new(doc, "interval_s", json_null());
	arr = json_array();
	for (i = 0; i < r->findings->n; i++) {
		f = findings_json_finding(&r->findings->v[i]);
		if (f == NULL) {
			json_decref(arr);
			json_decref(doc);
			errno = ENOMEM;
			return -1;
		}
		json_array_append_new(arr, f);
	}
	json_object_set_new(doc, "findings", arr);
dump:
	rc = json_dumpf(doc, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (rc != 0)
		return -1;
	fputc('\n', fp);
	return ferror(fp) ? -1 : 0;
}

/* ---- Nagios ---- */

/* Perfdata labels are quoted; a quote inside one is doubled (Nagios plugin guidelines). */
static void
perf(FILE *fp, const char *label, uint64_t v, const char *uom)
{
	const char *p;

	fputs(" '", fp);
	for (p = label; *p != '\0'; p++) {
		if (*p == '\'')
			fputc('\'', fp);
		fputc(*p, fp);
	}
	fprintf(fp, "'=%llu%s;;;0", (unsigned long long)v, uom);
}

int
findings_nagios(FILE *fp, const struct check_report *r)
{
	static const int states[] = {
		TD_ST_ESTABLISHED, TD_ST_SYN_RECV, TD_ST_TIME_WAIT, TD_ST_CLOSE_WAIT,
		TD_ST_FIN_WAIT2, TD_ST_LISTEN,
	};
	static const int ctrs[] = {
		TD_CTR_LISTEN_OVERFLOWS, TD_CTR_LISTEN_DROPS, TD_CTR_SYNCOOKIES_SENT,
		TD_CTR_TW_OVERFLOW, TD_CTR_OUT_RSTS, TD_CTR_ABORT_ON_TIMEOUT,
	};
	const struct td_findings *fs = r->findings;
	size_t i, shown = 0;
	char msg[1024];

	if (r->error != NULL) {
		/* One line, the true status: the error, and the perfdata if any. */
		fprintf(fp, "TCPDOCTOR UNKNOWN - %s", clean_error(r->error, msg, sizeof(msg)));
		if (fs == NULL) {
			fputc('\n', fp);
			return ferror(fp) ? -1 : 0;
		}
	} else if (fs->n == 0) {
		fprintf(fp, "TCPDOCTOR %s - ", status_word(r->worst));
		fprintf(fp, "nothing to report, %llu sockets", (unsigned long long)r->sockets);
	} else {
		fprintf(fp, "TCPDOCTOR %s - ", status_word(r->worst));
		for (i = 0; i < fs->n && shown < 3; i++) {
			if (fs->v[i].severity < TD_SEV_WARNING && shown > 0)
				break;
			/* The plugin output is one line and '|' starts perfdata. */
			fprintf(fp, "%s%s: ", shown > 0 ? "; " : "", fs->v[i].id);
			for (const char *p = fs->v[i].summary; *p != '\0'; p++)
				fputc(*p == '|' || *p == '\n' ? '/' : *p, fp);
			shown++;
		}
		if (fs->n > shown)
			fprintf(fp, " (+%zu more)", fs->n - shown);
	}
	fputs(" |", fp);
	perf(fp, "sockets", r->sockets, "");
	for (i = 0; i < ARRAY_SIZE(states); i++)
		perf(fp, td_state_name((unsigned int)states[i]), r->by_state[states[i]], "");
	for (i = 0; i < ARRAY_SIZE(ctrs); i++)
		if (r->snap->ctr.present[ctrs[i]])
			perf(fp, td_counter_fields[ctrs[i]].json, r->snap->ctr.v[ctrs[i]], "c");
	fputc('\n', fp);
	return ferror(fp) ? -1 : 0;
}

/* ---- Prometheus ---- */

static void
prom_label(FILE *fp, const char *v)
{
	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(fp, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", fp);
		else
			fputc(*v, fp);
	}
}

static void
prom_family(FILE *fp, const char *name, const char *type, const char *help)
{
	const char *p;

	fprintf(fp, "# HELP %s ", name);
	for (p = help; *p != '\0'; p++) {	/* HELP escapes \ and newline */
		if (*p == '\\')
			fputs("\\\\", fp);
		else if (*p == '\n')
			fputs("\\n", fp);
		else
			fputc(*p, fp);
	}
	fprintf(fp, "\n# TYPE %s %s\n", name, type);
}

int
findings_prometheus(FILE *fp, const struct check_report *r)
{
	const struct td_snapshot *snap = r->snap;
	const struct td_evidence *ev;
	uint64_t nsev[4] = { 0 };
	size_t i;

	char msg[1024];

	prom_family(fp, "tcpdoctor_check_status", "gauge",
	    "Result of tcpdoctor check: 0 ok, 1 warning, 2 critical, 3 unknown (Nagios exit status)");
	fprintf(fp, "tcpdoctor_check_status %d\n", r->status);
	prom_family(fp, "tcpdoctor_up", "gauge",
	    "1 when tcpdoctor check completed, 0 when it failed (status 3; the error is in tcpdoctor_check_error)");
	fprintf(fp, "tcpdoctor_up %d\n", r->error == NULL ? 1 : 0);
	if (r->error != NULL) {
		prom_family(fp, "tcpdoctor_check_error", "gauge",
		    "Why tcpdoctor check failed (label message); present only while it fails");
		fputs("tcpdoctor_check_error{message=\"", fp);
		prom_label(fp, clean_error(r->error, msg, sizeof(msg)));
		fputs("\"} 1\n", fp);
	}
	prom_family(fp, "tcpdoctor_check_timestamp_seconds", "gauge",
	    "When the snapshot was taken (when the check failed, if it failed before), seconds since the epoch");
	fprintf(fp, "tcpdoctor_check_timestamp_seconds %.3f\n", (double)snap->meta.time_ns / 1e9);
	if (r->findings == NULL)
		return ferror(fp) ? -1 : 0;

	for (i = 0; i < r->findings->n; i++)
		nsev[r->findings->v[i].severity]++;
	prom_family(fp, "tcpdoctor_findings", "gauge", "Number of findings by severity");
	for (i = TD_SEV_INFO; i <= TD_SEV_CRITICAL; i++)
		fprintf(fp, "tcpdoctor_findings{severity=\"%s\"} %llu\n",
		    td_severity_name((enum td_severity)i), (unsigned long long)nsev[i]);
	if (r->findings->n > 0) {
		prom_family(fp, "tcpdoctor_finding_severity", "gauge",
		    "Each current finding: 1 info, 2 warning, 3 critical");
		for (i = 0; i < r->findings->n; i++) {
			const struct td_finding *f = &r->findings->v[i];

			fputs("tcpdoctor_finding_severity{id=\"", fp);
			prom_label(fp, f->id);
			fputs("\",subject=\"", fp);
			prom_label(fp, f->subject);
			/*
			 * Who runs there, when the cgroup says: at most one per
			 * finding, and findings are bounded by the analyzers' top-N.
			 */
			ev = td_ev_find(f, "container");
			if (ev != NULL && ev->type == TD_EV_STR && ev->s != NULL) {
				fputs("\",container=\"", fp);
				prom_label(fp, ev->s);
			}
			/* No severity label: a series must not change identity when it worsens. */
			fprintf(fp, "\"} %d\n", (int)f->severity);
		}
	}

	if (r->unseen != NULL)
		unseen_prometheus(fp, r->unseen);
	prom_family(fp, "tcpdoctor_sockets", "gauge", "TCP sockets by state, as sock_diag reports them");
	for (i = 1; i < TD_ST_MAX; i++)
		if (i != TD_ST_NEW_SYN_RECV)
			fprintf(fp, "tcpdoctor_sockets{state=\"%s\"} %llu\n",
			    td_state_name((unsigned int)i), (unsigned long long)r->by_state[i]);

	for (i = 0; i < TD_CTR_MAX; i++) {
		const struct td_field *fd = &td_counter_fields[i];
		char name[96];

		if (!snap->ctr.present[i])
			continue;
		snprintf(name, sizeof(name), "tcpdoctor_%s%s", fd->json,
		    fd->kind == TD_COUNTER ? "_total" : "");
		prom_family(fp, name, fd->kind == TD_COUNTER ? "counter" : "gauge", fd->help);
		fprintf(fp, "%s %llu\n", name, (unsigned long long)snap->ctr.v[i]);
	}

	prom_family(fp, "tcpdoctor_sysctl", "gauge", "TCP sysctl values (integer knobs; port range as its two ends)");
	for (i = 0; i < TD_SYS_MAX; i++) {
		const struct td_sysval *sv = &snap->sys.s[i];

		if (!sv->readable || td_sysctl_fields[i].kind == TD_SYS_TEXT)
			continue;
		if (td_sysctl_fields[i].kind == TD_SYS_PAIR) {
			fprintf(fp, "tcpdoctor_sysctl{name=\"%s\",part=\"low\"} %lld\n",
			    td_sysctl_fields[i].name, (long long)sv->v[0]);
			fprintf(fp, "tcpdoctor_sysctl{name=\"%s\",part=\"high\"} %lld\n",
			    td_sysctl_fields[i].name, (long long)sv->v[1]);
		} else {
			fprintf(fp, "tcpdoctor_sysctl{name=\"%s\"} %lld\n",
			    td_sysctl_fields[i].name, (long long)sv->v[0]);
		}
	}
	if (r->listeners != NULL && listener_stats_prometheus(fp, r->listeners) < 0)
		return -1;
	return ferror(fp) ? -1 : 0;
}

int
findings_write_file(const char *path, int (*render)(FILE *, const struct check_report *),
    const struct check_report *r, struct td_err *err)
{
	struct safefile sf;

	if (safefile_create(&sf, "output", path, 0, 0644, err) < 0)
		return -1;
	/* A failed write is reported by safefile_commit(), naming the file. */
	if (render(sf.fp, r) < 0 && sf.werr == 0) {
		safefile_abort(&sf);
		return td_errf(err, 0, "output '%s': cannot render the report", path);
	}
	return safefile_commit(&sf, err);
}
