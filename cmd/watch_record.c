/* SPDX-License-Identifier: MIT */
/*
 * `watch --record FILE` and `watch --from RECORDING`: see watch_record.h;
 * the format is in collectors/recsample.h.
 *
 * The writer keeps, for the previous sample, each socket's cookie and a
 * hash (FNV-1a, 64 bits) of its record as the snapshot file writes it: a
 * socket is put again only when its record changed, and the cookies of
 * the previous sample not seen again are "gone".  Every
 * WREC_KEYFRAME_EVERY samples, after a rotation and after a failed
 * sample, the whole list is written again (a keyframe), so that each file
 * of a rotated set, read alone, answers from its first sample on.
 */
#include "cmd/watch_record.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "analyzers/analyzer.h"
#include "cmd/check_common.h"
#include "cmd/check_events.h"
#include "cmd/console.h"
#include "cmd/cmd.h"
#include "cmd/events.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "cmd/watch.h"
#include "cmd/watch_events.h"
#include "collectors/recsample.h"
#include "collectors/snapfile.h"
#include "collectors/sysctl.h"
#include "core/err.h"
#include "core/safefile.h"
#include "core/util.h"
#include "tcp/tm.h"

#ifndef TD_VERSION
#define TD_VERSION	"unknown"
#endif

#define GONE_PER_LINE	1024

/* ---- The cookie maps ---- */

static struct wrec_ent *
map_find(struct wrec_ent *m, size_t cap, uint64_t cookie)
{
	size_t i;

	if (cap == 0)
		return NULL;
	for (i = rec_cookie_slot(cookie, cap); m[i].cookie != 0; i = (i + 1) & (cap - 1))
		if (m[i].cookie == cookie)
			return &m[i];
	return NULL;
}

static void
map_put(struct wrec_ent *m, size_t cap, uint64_t cookie, uint64_t hash)
{
	size_t i = rec_cookie_slot(cookie, cap);

	while (m[i].cookie != 0)
		i = (i + 1) & (cap - 1);
	m[i].cookie = cookie;
	m[i].hash = hash;
}

/* Room in the current map for one more (it stays at most half full). */
static int
cur_room(struct wrec *r)
{
	struct wrec_ent *nm;
	size_t cap, i;

	if (2 * (r->cur_n + 1) <= r->cur_cap)
		return 0;
	cap = r->cur_cap != 0 ? 2 * r->cur_cap : 1024;
	nm = calloc(cap, sizeof(*nm));
	if (nm == NULL)
		return -1;
	for (i = 0; i < r->cur_cap; i++)
		if (r->cur[i].cookie != 0)
			map_put(nm, cap, r->cur[i].cookie, r->cur[i].hash);
	free(r->cur);
	r->cur = nm;
	r->cur_cap = cap;
	return 0;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- Lines ---- */

/* The head every record starts with. */
static json_t *
rec_head(const char *type, int64_t time_ns)
{
	struct snapfile_head h = {
		.command = "watch", .type = type, .version = REC_WATCH_VERSION, .time_ns = time_ns,
		.members = SNAPFILE_HEAD_NSEC | SNAPFILE_HEAD_NO_HOST | SNAPFILE_HEAD_OWN_TIME,
	};

	return snapfile_line_head(&h);
}

/* Add o (stolen) as one line of the current batch. */
static int
add_line(struct wrec *r, json_t *o, struct td_err *err)
{
	char *s;
	int rc;

	if (o == NULL)
		return td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		return td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
	rc = rec_add(&r->w, s, strlen(s), err);
	free(s);
	return rc;
}

static int
flush_chunk(struct wrec *r, int which, int64_t time_ns, struct td_err *err)
{
	json_t *o;

	if (json_array_size(r->chunk[which]) == 0)
		return 0;
	o = rec_head("sockets", time_ns);
	if (o == NULL)
		return td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
	json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(o, "op", json_string(which == 1 ? "extra" : r->keyframe ? "set" : "put"));
	/* The line takes the chunk; a new one starts. */
	json_object_set_new(o, "sockets", r->chunk[which]);
	r->chunk[which] = json_array();
	if (r->chunk[which] == NULL) {
		json_decref(o);
		return td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
	}
	return add_line(r, o, err);
}

int
wrec_open(struct wrec *r, const char *path, uint64_t max, double interval_s, struct td_err *err)
{
	memset(r, 0, sizeof(*r));
	r->chunk[0] = json_array();
	r->chunk[1] = json_array();
	if (r->chunk[0] == NULL || r->chunk[1] == NULL) {
		json_decref(r->chunk[0]);
		json_decref(r->chunk[1]);
		return td_errf(err, ENOMEM, "record '%s': out of memory", path);
	}
	if (rec_open(&r->w, path, max, err) < 0) {
		json_decref(r->chunk[0]);
		json_decref(r->chunk[1]);
		return -1;
	}
	r->interval_s = interval_s;
	r->need_key = true;
	r->need_start = true;
	return 0;
}

void
wrec_begin(struct wrec *r)
{
	struct td_err err = { 0 };
	json_t *o;

	r->seq++;
	r->count = 0;
	r->cur_n = 0;
	if (r->cur != NULL)
		memset(r->cur, 0, r->cur_cap * sizeof(*r->cur));
	json_array_clear(r->chunk[0]);
	json_array_clear(r->chunk[1]);
	r->keyframe = r->need_key || r->since_key + 1 >= WREC_KEYFRAME_EVERY;
	r->need_key = false;
	if (r->need_start) {
		/* Each file of a rotated set says what it is. */
		o = rec_head("start", td_real_ns());
		if (o != NULL)
			json_object_update_new(o, json_pack("{s:f,s:i,s:s}", "interval_s", r->interval_s,
			    "keyframe_every", WREC_KEYFRAME_EVERY, "tcpdoctor", TD_VERSION));
		if (add_line(r, o, &err) < 0)
			r->err_code = err.code != 0 ? err.code : ENOMEM;
		r->need_start = false;
	}
}

void
wrec_sock(struct wrec *r, const struct td_sock *sk, int64_t time_ns)
{
	struct td_err err = { 0 };
	struct wrec_ent *e;
	json_t *j;
	char *s;
	uint64_t h;
	int which = 0;

	if (r->err_code != 0)
		return;
	r->count++;
	j = snapfile_sock_json(sk);
	s = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (s == NULL || cur_room(r) < 0) {
		free(s);
		json_decref(j);
		r->err_code = ENOMEM;
		return;
	}
	h = fnv1a(s);
	free(s);
	if (sk->cookie == 0 || map_find(r->cur, r->cur_cap, sk->cookie) != NULL) {
		which = 1;	/* cookie 0, or twice in one dump: this sample only */
	} else {
		map_put(r->cur, r->cur_cap, sk->cookie, h);
		r->cur_n++;
		if (!r->keyframe && (e = map_find(r->prev, r->prev_cap, sk->cookie)) != NULL &&
		    e->hash == h) {
			json_decref(j);
			return;	/* unchanged */
		}
	}
	if (json_array_append_new(r->chunk[which], j) < 0) {
		r->err_code = ENOMEM;
		return;
	}
	if (json_array_size(r->chunk[which]) >= REC_SOCKS_PER_LINE &&
	    flush_chunk(r, which, time_ns, &err) < 0)
		r->err_code = err.code != 0 ? err.code : EIO;
}

void
wrec_failed(struct wrec *r)
{
	r->need_key = true;
}

int
wrec_event(struct wrec *r, json_t *ev, int64_t time_ns, struct td_err *err)
{
	json_t *o = rec_head("event", time_ns);

	if (o == NULL)
		return td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
	json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	json_object_set(o, "event", ev);
	return add_line(r, o, err);
}

static int
write_gone(struct wrec *r, int64_t time_ns, struct td_err *err)
{
	json_t *a = NULL, *o;
	size_t i;

	for (i = 0; i < r->prev_cap; i++) {
		if (r->prev[i].cookie == 0 ||
		    map_find(r->cur, r->cur_cap, r->prev[i].cookie) != NULL)
			continue;
		if (a == NULL && (a = json_array()) == NULL)
			return td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
		json_array_append_new(a, json_integer((json_int_t)r->prev[i].cookie));
		if (json_array_size(a) < GONE_PER_LINE)
			continue;
		o = rec_head("gone", time_ns);
		json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
		json_object_set_new(o, "cookies", a);
		a = NULL;
		if (add_line(r, o, err) < 0)
			return -1;
	}
	if (a == NULL)
		return 0;
	o = rec_head("gone", time_ns);
	json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(o, "cookies", a);
	return add_line(r, o, err);
}

int
wrec_sample(struct wrec *r, const struct watch *w, const struct check_state *cs, json_t *obj,
    struct td_err *err)
{
	int64_t t = cs->snap.meta.time_ns;
	struct wrec_ent *tmp;
	json_t *o, *doc;
	size_t i, tcap;
	char tm[40];

	if (r->err_code != 0) {
		r->err_code = 0;
		r->need_key = true;
		return td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
	}
	if (flush_chunk(r, 0, t, err) < 0 || flush_chunk(r, 1, t, err) < 0 ||
	    (!r->keyframe && write_gone(r, t, err) < 0))
		goto fail;
	o = rec_head("sample", t);
	doc = snapfile_header_doc(&cs->snap, "watch");
	if (o == NULL || doc == NULL) {
		json_decref(o);
		json_decref(doc);
		td_errf(err, ENOMEM, "record '%s': out of memory", r->w.path);
		goto fail;
	}
	json_object_del(doc, "time");	/* the head's, to the nanosecond */
	json_object_update_new(o, doc);
	json_object_set_new(o, "seq", json_integer((json_int_t)r->seq));
	json_object_set_new(o, "keyframe", json_boolean(r->keyframe));
	json_object_set_new(o, "sockets", json_integer((json_int_t)r->count));
	json_object_set(o, "watch", obj);
	if (add_line(r, o, err) < 0)
		goto fail;
	/* The findings that started or cleared in this sample. */
	for (i = 0; i < w->nact; i++) {
		const struct watch_active *a = &w->act[i];

		if (!a->started && !a->cleared)
			continue;
		o = rec_head("finding", t);
		rec_time_str(a->since_ns, tm, sizeof(tm));
		json_object_update_new(o, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?}", "seq",
		    (json_int_t)r->seq, "event", a->cleared ? "clear" : "start", "key", a->key,
		    "severity", td_severity_name(a->sev), "since", tm, "summary", a->summary));
		if (add_line(r, o, err) < 0)
			goto fail;
	}
	if (rec_flush(&r->w, err) < 0)
		goto fail;
	/* This sample's map becomes the previous one. */
	tmp = r->prev;
	tcap = r->prev_cap;
	r->prev = r->cur;
	r->prev_cap = r->cur_cap;
	r->cur = tmp;
	r->cur_cap = tcap;
	r->since_key = r->keyframe ? 0 : r->since_key + 1;
	if (r->w.rotations != r->rotations) {
		r->rotations = r->w.rotations;
		r->need_key = true;
		r->need_start = true;
	}
	return 0;
fail:
	r->need_key = true;
	return -1;
}

int
wrec_close(struct wrec *r, struct td_err *err)
{
	int rc = rec_close(&r->w, err);

	free(r->prev);
	free(r->cur);
	r->prev = r->cur = NULL;
	r->prev_cap = r->cur_cap = 0;
	json_decref(r->chunk[0]);
	json_decref(r->chunk[1]);
	r->chunk[0] = r->chunk[1] = NULL;
	return rc;
}

const char *
cmd_at_misuse(const struct td_ctx *ctx)
{
	static char msg[PATH_MAX + 200];
	struct rec_at at;

	if (ctx->at == NULL)
		return NULL;
	if (rec_at_parse(ctx->at, &at) < 0) {
		snprintf(msg, sizeof(msg), "--at: '%s' is not a time (2026-01-31T23:59:59.5Z) nor "
		    "+SECONDS from the recording's start (+90s, +2m)", ctx->at);
		return msg;
	}
	if (ctx->from == NULL)
		return "--at picks a sample of a recording: it needs --from RECORDING";
	/* A missing file is the source's to report (66). */
	if (access(ctx->from, F_OK) == 0 && !rec_is_recording(ctx->from)) {
		snprintf(msg, sizeof(msg), "--at picks a sample of a recording: '%s' is not one "
		    "(a snapshot, or nothing readable)", ctx->from);
		return msg;
	}
	return NULL;
}

/* ---- Which sample answers (ls, summary, check --from RECORDING) ---- */

void
cmd_rec_note(struct td_ctx *ctx, const struct td_source *src)
{
	const struct rec_pick *p = src->rec;
	char a[40], b[40];

	if (p == NULL)
		return;
	rec_time_str(p->snap.meta.time_ns, a, sizeof(a));
	if (p->want_ns != 0) {
		rec_time_str(p->want_ns, b, sizeof(b));
		fprintf(stderr, "tcpdoctor: %s: '%s': sample %" PRIu64 " of %" PRIu64 ", taken at %s "
		    "(the last at or before %s)\n", ctx->cmd, ctx->from, p->index, p->nsamples, a, b);
	} else {
		fprintf(stderr, "tcpdoctor: %s: '%s': sample %" PRIu64 " of %" PRIu64 ", taken at %s "
		    "(the last; --at TIME picks another)\n", ctx->cmd, ctx->from, p->index,
		    p->nsamples, a);
	}
	if (p->cut.file[0] != '\0')
		fprintf(stderr, "tcpdoctor: %s: '%s': its last frame, from byte %" PRIu64 " of '%s', "
		    "is cut short (a writer at work, or a copy taken meanwhile): read up to there\n",
		    ctx->cmd, ctx->from, p->cut.offset, p->cut.file);
}

/* ---- Playback ---- */

#define PLAY_KEYS	256

struct play {
	struct td_ctx	*ctx;
	double		 speed;
	int64_t		 count, done, from_ns;
	bool		 connections;	/* the "event" records too */
	bool		 played;	/* something was printed */
	int64_t		 last_ns;	/* the previous sample or event played */
	struct rec_at	 at;
	bool		 have_start;
	int64_t		 start_ns;
	uint64_t	 lineno, rows;
	int		 werr;
	/* When each active finding started (for "active N s" of a cleared one). */
	char		 key[PLAY_KEYS][WATCH_KEY];
	int64_t		 since[PLAY_KEYS];
	size_t		 nkey;
	/* The samples played, as the live run tallied them for its summary. */
	struct watch	*sum;
};

static volatile sig_atomic_t play_stop;

static void
play_sig(int sig)
{
	play_stop = sig;
}

static void
play_sleep(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	if (s > 3600)
		s = 3600;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (!play_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* One sample as the table printed it (cmd/watch.c, table_row()), the events' columns included. */
static void
play_row(struct play *p, const json_t *o, int64_t t)
{
	FILE *fp = p->ctx->out;
	const json_t *states = json_object_get(o, "states"), *rt = json_object_get(o, "rates_per_s");
	const json_t *fa = json_object_get(o, "findings"), *v, *f;
	const json_t *ev = json_object_get(o, "events");	/* NULL: watch --no-events */
	char tt[16], key[WATCH_KEY];
	size_t i, j;

	if (p->rows++ % WATCH_HEADER_EVERY == 0)
		watch_table_head(fp, false, ev != NULL);
	td_time_utc(t, tt, sizeof(tt), 0);
	fprintf(fp, "%-8s", tt);
	for (i = 0; i < watch_ncols; i++)
		fprintf(fp, " %9" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(states,
		    td_state_name(watch_cols[i].st))));
	for (i = 0; i < watch_nrates; i++) {
		if (watch_rates[i].col[0] == '\0')
			continue;
		v = json_object_get(rt, td_counter_fields[watch_rates[i].id].json);
		if (!json_is_number(v))
			fprintf(fp, " %8s", "-");
		else
			fprintf(fp, " %8.1f", json_number_value(v));
	}
	if (ev != NULL)
		watch_events_table_cells_json(fp, ev);
	fprintf(fp, "  %zu\n", json_array_size(fa));
	json_array_foreach(fa, i, f) {
		snprintf(key, sizeof(key), "%s %s", json_string_value(json_object_get(f, "id")),
		    json_string_value(json_object_get(f, "subject")) != NULL ?
		    json_string_value(json_object_get(f, "subject")) : "");
		json_array_foreach(json_object_get(o, "new"), j, v)
			if (json_is_string(v) && strcmp(json_string_value(v), key) == 0)
				fprintf(fp, "  + %-8s %s: %s\n",
				    json_string_value(json_object_get(f, "severity")),
				    json_string_value(json_object_get(f, "id")),
				    json_string_value(json_object_get(f, "summary")));
	}
	json_array_foreach(json_object_get(o, "cleared"), i, v) {
		double age = -1;

		for (j = 0; j < p->nkey; j++)
			if (json_is_string(v) && strcmp(p->key[j], json_string_value(v)) == 0)
				age = (double)(t - p->since[j]) / 1e9;
		if (age >= 0)
			fprintf(fp, "  - cleared  %s (active %.0f s)\n", json_string_value(v), age);
		else
			fprintf(fp, "  - cleared  %s\n", json_string_value(v));
	}
}

static void
play_free(struct play *p)
{
	if (p->sum != NULL)
		watch_ev_free(p->sum);
	free(p->sum);
	p->sum = NULL;
}

/* Output that failed: said once, and the reading stops. */
static int
play_flush(struct play *p, int rc, struct td_err *err)
{
	if (rc < 0 || fflush(p->ctx->out) != 0 || ferror(p->ctx->out)) {
		p->werr = errno != 0 ? errno : EIO;
		return td_errf(err, p->werr, "writing output: %s", strerror(p->werr));
	}
	return 0;
}

/* Wait, at the pace asked, for what happened at t. */
static void
play_pace(struct play *p, int64_t t)
{
	if (p->speed > 0 && p->played)
		play_sleep((double)(t - p->last_ns) / 1e9 / p->speed);
	if (t > p->last_ns || !p->played)
		p->last_ns = t;
	p->played = true;
}

/*
 * A connection watch followed, as watch --connections printed it: the
 * record itself (-j), or the events table's row.
 */
static int
play_event(struct play *p, const json_t *o, int64_t t, struct td_err *err)
{
	const json_t *ev = json_object_get(o, "event");
	const char *type = json_string_value(json_object_get(ev, "type"));
	const char *s = json_string_value(json_object_get(ev, "time"));
	struct td_conn_ev ce;
	int64_t et;
	int rc = 0;

	if (type == NULL || strcmp(type, "connection") != 0 || s == NULL ||
	    rec_parse_time(s, &et) < 0)
		return 0;	/* kinds of later versions */
	play_pace(p, t);
	if (p->ctx->format == TD_FMT_JSON) {
		rc = output_json_line(p->ctx->out, json_incref((json_t *)ev));
	} else {
		if ((s = events_conn_from_json(ev, et, &ce)) != NULL)
			return td_errf(err, EBADMSG, "recording '%s': line %llu: a connection with a bad "
			    "or missing '%s'", p->ctx->from, (unsigned long long)p->lineno, s);
		fputs("  ~ ", p->ctx->out);
		events_conn_row(p->ctx->out, &ce);
	}
	return play_flush(p, rc, err);
}

/*
 * Tally one played sample as the live run tallied it (cmd/watch.c,
 * active_update()), from what it recorded: the sockets per state, the
 * findings it started ("new", with their severity in "active")
 * and cleared, and its connection counts ("events": "run" is the run's
 * totals so far), for the summary after the last one (watch_summary()).
 */
static int
play_tally(struct play *p, const json_t *o, int64_t t, struct td_err *err)
{
	struct watch *w = p->sum;
	const json_t *v, *a, *ev, *run;
	const char *key, *sv;
	enum td_severity sev;
	unsigned int st;
	size_t i, j;

	json_array_foreach(json_object_get(o, "new"), i, v) {
		if ((key = json_string_value(v)) == NULL)
			continue;
		if (w->nlog == WATCH_MAX_ACTIVE) {
			w->log_dropped++;
			continue;
		}
		sev = TD_SEV_WARNING;
		json_array_foreach(json_object_get(o, "active"), j, a) {
			if (json_string_value(json_object_get(a, "key")) == NULL ||
			    strcmp(json_string_value(json_object_get(a, "key")), key) != 0)
				continue;
			sv = json_string_value(json_object_get(a, "severity"));
			for (st = TD_SEV_OK; sv != NULL && st <= TD_SEV_CRITICAL; st++)
				if (strcmp(td_severity_name((enum td_severity)st), sv) == 0)
					sev = (enum td_severity)st;
			break;
		}
		snprintf(w->log[w->nlog].key, sizeof(w->log[0].key), "%s", key);
		w->log[w->nlog].sev = sev;
		/* The sample that started it (its "since" is written to the second). */
		w->log[w->nlog].start_ns = t;
		w->log[w->nlog++].clear_ns = 0;
	}
	json_array_foreach(json_object_get(o, "cleared"), i, v) {
		if ((key = json_string_value(v)) == NULL)
			continue;
		for (j = w->nlog; j-- > 0;)
			if (w->log[j].clear_ns == 0 && strcmp(w->log[j].key, key) == 0) {
				w->log[j].clear_ns = t;
				break;
			}
	}
	for (st = 1; st < TD_ST_MAX; st++) {
		v = json_object_get(json_object_get(o, "states"), td_state_name(st));
		w->last_state[st] = json_is_integer(v) && json_integer_value(v) > 0 ?
		    (uint64_t)json_integer_value(v) : 0;
	}
	if (w->samples++ == 0) {
		w->first_ns = t;
		memcpy(w->first_state, w->last_state, sizeof(w->first_state));
	}
	w->last_ns = t;
	ev = json_object_get(o, "events");
	if (!json_is_object(ev))
		return 0;
	w->events = true;
	if (w->ev == NULL && ((w->ev = calloc(1, sizeof(*w->ev))) == NULL ||
	    (w->ev->tot = calloc(1, sizeof(*w->ev->tot))) == NULL))
		return td_errf(err, ENOMEM, "out of memory");
	w->ev->available = json_is_true(json_object_get(ev, "available"));
	w->ev->traced = json_is_true(json_object_get(ev, "traced"));
	snprintf(w->ev->why, sizeof(w->ev->why), "%s",
	    json_string_value(json_object_get(ev, "reason")) != NULL ?
	    json_string_value(json_object_get(ev, "reason")) : "");
	run = json_object_get(ev, "run");
	v = json_object_get(run, "connections");
	w->ev->tot->total = json_is_integer(v) && json_integer_value(v) > 0 ?
	    (uint64_t)json_integer_value(v) : 0;
	v = json_object_get(run, "lost_notifications");
	w->ev->lost = json_is_integer(v) && json_integer_value(v) > 0 ?
	    (uint64_t)json_integer_value(v) : 0;
	v = json_object_get(run, "lost_transitions");
	w->ev->tlost = json_is_integer(v) && json_integer_value(v) > 0 ?
	    (uint64_t)json_integer_value(v) : 0;
	return 0;
}

static int
play_line(char *line, size_t len, void *arg, struct td_err *err)
{
	struct play *p = arg;
	const char *type, *s;
	json_error_t je;
	json_t *o, *w;
	int64_t t;
	int rc = 0;

	p->lineno++;
	if (play_stop || (p->count != 0 && p->done >= p->count))
		return 0;
	o = json_loadb(line, len, 0, &je);
	type = o != NULL ? json_string_value(json_object_get(o, "type")) : NULL;
	if (o == NULL || type == NULL || (s = json_string_value(json_object_get(o, "time"))) == NULL ||
	    rec_parse_time(s, &t) < 0) {
		json_decref(o);
		return td_errf(err, EBADMSG, "recording '%s': line %llu is not a tcpdoctor record",
		    p->ctx->from, (unsigned long long)p->lineno);
	}
	if (!p->have_start) {
		p->have_start = true;
		p->start_ns = t;
		if (p->at.given)
			p->from_ns = p->at.relative ? t + p->at.ns : p->at.ns;
	}
	s = json_string_value(json_object_get(o, "command"));
	if (s == NULL || strcmp(s, "watch") != 0)
		goto out;
	if (strcmp(type, "finding") == 0 && (s = json_string_value(json_object_get(o, "key"))) != NULL) {
		const char *since = json_string_value(json_object_get(o, "since"));
		int64_t sn = t;
		size_t j;

		if (since != NULL)
			(void)rec_parse_time(since, &sn);
		for (j = 0; j < p->nkey && strcmp(p->key[j], s) != 0; j++)
			;
		if (j == p->nkey && p->nkey < PLAY_KEYS)
			p->nkey++;
		if (j < p->nkey) {
			snprintf(p->key[j], sizeof(p->key[j]), "%s", s);
			p->since[j] = sn;
		}
		goto out;
	}
	if (strcmp(type, "event") == 0 && p->connections && t >= p->from_ns) {
		rc = play_event(p, o, t, err);
		goto out;
	}
	if (strcmp(type, "sample") != 0 || t < p->from_ns)
		goto out;
	w = json_object_get(o, "watch");
	if (!json_is_object(w)) {
		rc = td_errf(err, EBADMSG, "recording '%s': line %llu: a sample without its \"watch\" "
		    "record", p->ctx->from, (unsigned long long)p->lineno);
		goto out;
	}
	play_pace(p, t);
	if (p->ctx->format == TD_FMT_JSON)
		rc = output_json_line(p->ctx->out, json_incref(w));
	else
		play_row(p, w, t);
	rc = play_flush(p, rc, err);
	if (rc == 0)
		rc = play_tally(p, w, t, err);
	p->done++;
out:
	json_decref(o);
	return rc;
}

int
wrec_play(struct td_ctx *ctx, const struct wrec_play_opts *po)
{
	const char *at = po->at;
	struct play p;
	struct rec_cut cut;
	struct td_err err = { 0 };
	struct sigaction sa;
	bool truncated = false;

	memset(&p, 0, sizeof(p));
	p.ctx = ctx;
	p.speed = po->speed;
	p.count = po->count;
	p.connections = po->connections;
	if (at != NULL && rec_at_parse(at, &p.at) < 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, "--at: '%s' is not a time (2026-01-31T23:59:59.5Z) "
		    "nor +SECONDS from the recording's start (+90s, +2m)", at);
	if (!rec_is_recording(ctx->from))
		return cmd_fail(ctx, TD_EXIT_DATAERR, "--from '%s' is not a recording (watch plays "
		    "back what watch --record wrote)", ctx->from);
	if ((p.sum = calloc(1, sizeof(*p.sum))) == NULL)
		return cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = play_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (rec_read_at(ctx->from, play_line, &p, &truncated, &cut, &err) < 0) {
		play_free(&p);
		if (p.werr != 0)
			return cmd_fail_write(ctx, TD_EXIT_OSERR, p.werr);
		return cmd_fail_err(ctx, &err);
	}
	if (truncated)
		fprintf(stderr, "tcpdoctor: watch: '%s': its last frame, from byte %" PRIu64 " of '%s', "
		    "is cut short (a writer at work, or a copy taken meanwhile): played up to there\n",
		    ctx->from, cut.offset, cut.file);
	if (p.done == 0 && !play_stop) {
		play_free(&p);
		return cmd_fail(ctx, TD_EXIT_DATAERR, "'%s' holds no watch sample%s", ctx->from,
		    p.at.given ? " at or after the time asked" : "");
	}
	/*
	 * What changed over the samples played, as the live run ends: under
	 * the table, on stderr with -j (every stdout line stays a record).
	 */
	if (p.sum->samples > 0) {
		watch_summary(p.sum, ctx->format == TD_FMT_TABLE ? ctx->out : stderr);
		if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
			play_free(&p);
			return cmd_fail_write(ctx, TD_EXIT_OSERR, errno != 0 ? errno : EIO);
		}
	}
	play_free(&p);
	return TD_EXIT_OK;
}

/* ---- Playback on the console ---- */

struct cplay {
	struct td_ctx		*ctx;
	struct watch		*w;
	struct check_opts	*co;
	struct watch_play	 play;
	int64_t			*times;		/* each sample's time, in order */
	uint64_t		 n;		/* samples */
	uint64_t		 k;		/* the sample being run, from 1 */
	uint64_t		 target;	/* the sample to show */
	char			 state[PATH_MAX + 16];	/* the private state file */
	long			 done;		/* samples run (unseen_warn once) */
	bool			 restart, quit;
	int			 status;
};

static int
cplay_time(const struct rec_sample *s, void *arg, struct td_err *err)
{
	struct cplay *c = arg;
	int64_t *nt;

	if (c->n % 256 == 0) {
		nt = realloc(c->times, (c->n + 256) * sizeof(*nt));
		if (nt == NULL)
			return td_errf(err, ENOMEM, "out of memory");
		c->times = nt;
	}
	c->times[c->n++] = s->snap.meta.time_ns;
	return 0;
}

/* The model as before the first sample; the analyzers' memory too. */
static void
cplay_reset(struct cplay *c)
{
	struct watch *w = c->w;
	struct td_ctx *ctx = w->ctx;
	double interval_s = w->interval_s;
	size_t i;

	for (i = 0; i < w->nact; i++)
		free(w->act[i].summary);
	watch_ev_free(w);
	memset(w, 0, sizeof(*w));
	w->ctx = ctx;
	w->console = true;
	w->events = true;
	w->play = &c->play;
	w->interval_s = interval_s;
	(void)unlink(c->state);
	c->k = 0;
}

/* Each sample: run, and at the one to show, wait for its time to end or a key. */
static int
cplay_fn(const struct rec_sample *s, void *arg, struct td_err *err)
{
	struct cplay *c = arg;
	enum console_next cn;
	int64_t deadline;

	(void)err;
	c->k++;
	if (s->interval_s > 0) {
		c->co->min_window_ns = (int64_t)(s->interval_s * 1e9 / 2);
		c->w->interval_s = s->interval_s;
	}
	c->w->quiet = c->k != c->target;
	c->play.index = c->k;
	c->play.time_ns = s->snap.meta.time_ns;
	c->ctx->rec_sample = s;
	c->status = watch_sample(c->w, c->co, c->done++);
	c->ctx->rec_sample = NULL;
	if (c->status != 0)
		return 1;
	if (c->k < c->target)
		return 0;
	for (;;) {
		deadline = INT64_MAX;		/* the last: keys only */
		if (c->k < c->n && c->play.speed > 0) {
			deadline = td_mono_ns() +
			    (int64_t)((double)(c->times[c->k] - c->times[c->k - 1]) / c->play.speed);
		}
		cn = console_wait(c->w, deadline, &play_stop);
		if (cn == CONSOLE_QUIT) {
			c->quit = true;
			return 1;
		}
		if (cn == CONSOLE_SAMPLE) {
			c->target = c->k + 1;
			return 0;
		}
		if (cn != CONSOLE_SEEK)
			continue;
		c->target = console_seek();
		if (c->target > c->k)
			return 0;
		if (c->target < c->k) {
			c->restart = true;	/* the model only goes forward: from the start */
			return 1;
		}
		console_draw(c->w);		/* the same sample, another pace */
	}
}

int
wrec_console(struct td_ctx *ctx, const struct wrec_play_opts *po, struct watch *w,
    struct check_opts *co)
{
	struct cplay c;
	struct rec_cut cut;
	struct rec_at at;
	struct td_err err = { 0 };
	struct sigaction sa;
	char dir[PATH_MAX];
	int64_t from = 0;
	int rc;

	if (po->at != NULL && rec_at_parse(po->at, &at) < 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, "--at: '%s' is not a time (2026-01-31T23:59:59.5Z) "
		    "nor +SECONDS from the recording's start (+90s, +2m)", po->at);
	if (!rec_is_recording(ctx->from))
		return cmd_fail(ctx, TD_EXIT_DATAERR, "--from '%s' is not a recording (watch plays "
		    "back what watch --record wrote)", ctx->from);
	memset(&c, 0, sizeof(c));
	c.ctx = ctx;
	c.w = w;
	c.co = co;
	if (rec_samples(ctx->from, cplay_time, &c, &cut, &err) < 0) {
		free(c.times);
		return cmd_fail_err(ctx, &err);
	}
	if (po->at != NULL && at.given)
		from = at.relative ? c.times[0] + at.ns : at.ns;	/* from the first sample */
	for (c.target = 1; c.target <= c.n && c.times[c.target - 1] < from; c.target++)
		;
	if (c.target > c.n) {
		free(c.times);
		return cmd_fail(ctx, TD_EXIT_DATAERR, "'%s' holds no watch sample%s", ctx->from,
		    c.n > 0 ? " at or after the time asked" : "");
	}
	if (safefile_mkdtemp(dir, sizeof(dir), "/tmp", "tcpdoctor-watch", &err) < 0) {
		free(c.times);
		return cmd_fail(ctx, TD_EXIT_CANTCREAT, "cannot make a directory for the state file: %s",
		    err.msg);
	}
	snprintf(c.state, sizeof(c.state), "%s/state.json", dir);
	co->state_file = c.state;
	c.play.path = ctx->from;
	c.play.count = c.n;
	c.play.speed = po->speed > 0 ? po->speed : 1;
	w->play = &c.play;
	if (console_open(&err) < 0) {
		/* Not silently: say why, and play the table instead. */
		fprintf(stderr, "tcpdoctor: watch: %s\n", err.msg);
		safefile_rmdtemp(dir);
		free(c.times);
		w->play = NULL;
		return wrec_play(ctx, po);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = play_sig;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	do {
		c.restart = false;
		cplay_reset(&c);
		rc = rec_samples(ctx->from, cplay_fn, &c, &cut, &err);
	} while (rc == 0 && c.restart && c.status == 0 && !play_stop);
	console_close();
	/*
	 * The terminal first, then what changed over the samples played (up
	 * to the one shown when it closed), as the live console ends.
	 */
	if (rc >= 0 && c.status == 0 && w->samples > 0) {
		watch_summary(w, ctx->out);
		fflush(ctx->out);
	}
	safefile_rmdtemp(dir);
	cplay_reset(&c);
	w->play = NULL;
	free(c.times);
	if (c.status != 0)
		return c.status;
	if (rc < 0)
		return cmd_fail_err(ctx, &err);
	return TD_EXIT_OK;
}

/* ---- check --from RECORDING: the samples replayed through the analyzers ---- */

struct crc {
	struct td_ctx		*ctx;
	struct check_opts	 co;		/* the caller's, with the private state file */
	struct check_state	*cs;
	int			 fail, status;
	uint64_t		 target;	/* the index of the sample asked for */
	int64_t			 prev_ns;	/* the time of the sample before it */
	bool			 done;
};

/*
 * The connections recorded in the interval that ended at sample s (after
 * the previous sample, up to it), judged as watch judged them then
 * (cmd/watch_events.c, watch_events_sample()): the aggregates, with a row
 * made beforehand for each of the sample's listeners so that connections
 * accepted on a wildcard address count for it, through failed_connects
 * and lifetimes, the connect() timeout the model derives from the
 * recorded sysctls.  Only when watch followed the events ("events":
 * {"available": true} in its record).  Returns 0, or -1 with *err set.
 */
static int
crc_events(struct crc *c, const struct rec_sample *s, struct td_err *err)
{
	const json_t *ev = json_object_get(json_object_get(s->watch, "events"), "available");
	struct check_state *cs = c->cs;
	struct check_events ce;
	struct events_agg *agg;
	struct tm_profile prof;
	const json_t *r;
	json_int_t iv;
	uint64_t kept = 0;
	size_t i;
	int rc;

	if (!json_is_true(ev) || c->co.events != NULL)
		return 0;
	/* More than watch keeps one by one (WEV_KEEP): said, never silent. */
	iv = json_integer_value(json_object_get(json_object_get(json_object_get(s->watch, "events"),
	    "interval"), "connections"));
	json_array_foreach(s->events, i, r)
		kept += json_is_string(json_object_get(r, "type")) &&
		    strcmp(json_string_value(json_object_get(r, "type")), "connection") == 0;
	if (iv > 0 && kept < (uint64_t)iv)
		cmd_warn(c->ctx, "'%s': sample %llu: %llu of the %lld connections of its interval "
		    "were recorded one by one (watch keeps at most %d): the events' findings are "
		    "judged on those", c->ctx->from, (unsigned long long)s->seq,
		    (unsigned long long)kept, (long long)iv, WEV_KEEP);
	if ((agg = calloc(1, sizeof(*agg))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	for (i = 0; i < s->n; i++)
		if (s->socks[i].state == TD_ST_LISTEN)
			(void)events_agg_listener(agg, s->socks[i].family, &s->socks[i].src,
			    s->socks[i].sport);
	prof = tm_profile_from_values(sysctl_value, &s->snap.sys);
	rc = check_events_load_into(c->ctx->from, c->prev_ns, s->snap.meta.time_ns, agg, &ce, err);
	if (rc == 0)
		rc = analyzer_events_findings(agg, &s->snap, (double)tm_syn_giveup(&prof) / 1e9,
		    &cs->findings, err);
	if (rc == 0)
		rc = td_findings_check(&cs->findings, err);
	free(agg);
	if (rc == 0)
		td_findings_sort(&cs->findings);
	return rc;
}

static int
crc_fn(const struct rec_sample *s, void *arg, struct td_err *err)
{
	struct crc *c = arg;
	struct check_state tmp;
	int st;

	(void)err;
	if (s->interval_s > 0)
		c->co.min_window_ns = (int64_t)(s->interval_s * 1e9 / 2);
	c->ctx->rec_sample = s;
	if (s->index < c->target) {
		c->prev_ns = s->snap.meta.time_ns;
		st = check_collect(c->ctx, &c->co, &tmp, c->fail);
		if (st == 0)
			st = check_save_state(c->ctx, &c->co, &tmp, c->fail);
		check_state_free(&tmp);
		c->ctx->rec_sample = NULL;
		if (st != 0) {
			c->status = st;
			return 1;
		}
		return 0;
	}
	c->status = check_collect(c->ctx, &c->co, c->cs, c->fail);
	c->ctx->rec_sample = NULL;
	c->done = true;
	if (c->status == 0 && crc_events(c, s, err) < 0)
		c->status = check_failf(c->ctx, c->fail, "%s", err->msg);
	return 1;
}

int
check_rec_collect(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
    int fail_status)
{
	struct td_source src;
	struct td_snapshot snap;
	struct td_err err = { 0 };
	struct rec_cut cut;
	struct crc c;
	char dir[PATH_MAX], state[PATH_MAX + 16];
	int rc;

	memset(cs, 0, sizeof(*cs));
	cs->lockfd = -1;
	/* Which sample answers, said once. */
	cmd_source_init(ctx, &src);
	if (source_header(&src, &snap, &err) < 0) {
		source_close(&src);
		return check_failf(ctx, fail_status, "%s", err.msg);
	}
	cmd_rec_note(ctx, &src);
	memset(&c, 0, sizeof(c));
	c.target = src.rec->index;
	source_close(&src);
	if (safefile_mkdtemp(dir, sizeof(dir), "/tmp", "tcpdoctor-check", &err) < 0)
		return check_failf(ctx, fail_status, "cannot make a directory for the state file: %s",
		    err.msg);
	snprintf(state, sizeof(state), "%s/state.json", dir);
	c.ctx = ctx;
	c.co = *co;
	c.co.state_file = state;
	c.co.output = NULL;
	c.cs = cs;
	c.fail = fail_status;
	rc = rec_samples(ctx->from, crc_fn, &c, &cut, &err);
	safefile_rmdtemp(dir);
	cs->co = co;
	if (rc < 0 && c.status == 0)
		return check_failf(ctx, fail_status, "%s", err.msg);
	if (c.status == 0 && !c.done)
		return check_failf(ctx, fail_status, "'%s': sample %llu is gone (the recording "
		    "changed while it was read)", ctx->from, (unsigned long long)c.target);
	return c.status;
}
