/* SPDX-License-Identifier: MIT */
/*
 * Reading the samples of a watch recording back: see recsample.h.
 *
 * The reader keeps the sockets of the last complete sample in a table
 * indexed by cookie.  The "sockets" and "gone" lines of a sample wait in
 * a pending list until the "sample" line that closes it: a keyframe
 * replaces the table, a delta puts and removes by cookie.  Extras (in one
 * sample only) follow the table's sockets in the view of that sample.
 */
#include "collectors/recsample.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapfile.h"
#include "core/err.h"

#ifndef TD_SCHEMA
#define TD_SCHEMA	"tcpdoctor/1"
#endif

int
rec_at_parse(const char *s, struct rec_at *at)
{
	double v = 0, unit = 1, frac = 0.1;
	const char *p;
	int digits = 0;
	bool dot = false;

	memset(at, 0, sizeof(*at));
	if (s[0] != '+') {
		if (rec_parse_time(s, &at->ns) < 0)
			return -1;
		at->given = true;
		return 0;
	}
	/* +90, +90s, +1.5m, +2h: from the recording's start. */
	for (p = s + 1; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9') {
			if (dot) {
				v += (*p - '0') * frac;
				frac /= 10;
			} else {
				v = v * 10 + (*p - '0');
			}
			digits++;
		} else if (*p == '.' && !dot) {
			dot = true;
		} else {
			break;
		}
	}
	if (digits == 0 || digits > 12)
		return -1;
	if (*p == 's')
		p++;
	else if (*p == 'm')
		unit = 60, p++;
	else if (*p == 'h')
		unit = 3600, p++;
	if (*p != '\0' || v * unit > 366.0 * 86400)
		return -1;
	at->given = true;
	at->relative = true;
	at->ns = (int64_t)(v * unit * 1e9 + 0.5);
	return 0;
}

enum { OP_SET = 0, OP_PUT, OP_EXTRA };

struct rd {
	const char	*path;
	uint64_t	 lineno;
	/* The last complete sample: n_live table sockets, then n_extra extras. */
	struct td_sock	*v;
	size_t		 n_live, n_extra, cap;
	uint32_t	*idx;		/* cookie -> v index + 1, open addressing */
	size_t		 icap;
	bool		 have_base;	/* a keyframe came: the table is whole */
	bool		 dead_any;
	unsigned char	*dead;		/* per table socket, during a delta */
	size_t		 dcap;
	/* The sample being read. */
	struct td_sock	*pv;
	unsigned char	*pop;
	size_t		 pn, pcap;
	uint64_t	*gone;
	size_t		 gn, gcap;
	uint64_t	 pseq;
	bool		 pending;
	/* What is known so far. */
	char		 command[32];	/* the first record's command */
	int64_t		 start_ns;
	double		 interval_s;	/* from the last "start" */
	uint64_t	 nsamples;
	/* Stop at the first sample after this (INT64_MAX: read everything). */
	int64_t		 stop_ns;
	bool		 stopped;
	/* The sample just closed. */
	struct td_snapshot snap;
	uint64_t	 seq;
	json_t		*watch;		/* owned */
	json_t		*pev;		/* the pending sample's "event" records (owned) */
	uint64_t	 pevseq;
	rec_sample_fn	 fn;
	void		*arg;
};

static int
grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap != 0 ? *cap : 64;
	void *np;

	if (need <= *cap)
		return 0;
	while (c < need)
		c *= 2;
	np = realloc(*p, c * size);
	if (np == NULL)
		return -1;
	*p = np;
	*cap = c;
	return 0;
}

/* Index of the table socket with this cookie, or -1. */
static long
lookup(const struct rd *r, uint64_t cookie)
{
	size_t i;

	if (r->icap == 0)
		return -1;
	for (i = rec_cookie_slot(cookie, r->icap); r->idx[i] != 0; i = (i + 1) & (r->icap - 1))
		if (r->v[r->idx[i] - 1].cookie == cookie)
			return (long)r->idx[i] - 1;
	return -1;
}

static void
index_put(struct rd *r, size_t k)
{
	size_t i = rec_cookie_slot(r->v[k].cookie, r->icap);

	while (r->idx[i] != 0)
		i = (i + 1) & (r->icap - 1);
	r->idx[i] = (uint32_t)(k + 1);
}

/* Rebuild the index for n table sockets (and room to add as many again). */
static int
index_rebuild(struct rd *r, size_t n)
{
	size_t cap = 64, k;

	while (cap < 4 * (n + 1))
		cap *= 2;
	if (cap != r->icap) {
		uint32_t *ni = realloc(r->idx, cap * sizeof(*ni));

		if (ni == NULL)
			return -1;
		r->idx = ni;
		r->icap = cap;
	}
	memset(r->idx, 0, r->icap * sizeof(*r->idx));
	for (k = 0; k < n; k++)
		index_put(r, k);
	return 0;
}

static int
bad(struct rd *r, struct td_err *err, const char *what)
{
	return td_errf(err, EBADMSG, "recording '%s': line %llu: %s", r->path,
	    (unsigned long long)r->lineno, what);
}

/* Close the pending sample: the table becomes what it was at that sample. */
static int
apply(struct rd *r, bool keyframe, uint64_t count, struct td_err *err)
{
	size_t i, j, nlive;
	long k;

	r->n_extra = 0;
	if (keyframe) {
		r->n_live = 0;
		r->have_base = true;
		if (index_rebuild(r, 0) < 0)
			return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
	}
	if (grow((void **)&r->dead, &r->dcap, r->n_live + r->pn + 1, 1) < 0)
		return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
	memset(r->dead, 0, r->n_live + r->pn + 1);
	for (i = 0; i < r->gn; i++)
		if ((k = lookup(r, r->gone[i])) >= 0)
			r->dead[k] = 1;
	for (i = 0; i < r->pn; i++) {
		if (r->pop[i] == OP_EXTRA)
			continue;
		if (r->pop[i] == OP_SET && !keyframe)
			return bad(r, err, "a keyframe's sockets in a sample that is not a keyframe");
		if (grow((void **)&r->v, &r->cap, r->n_live + 1, sizeof(*r->v)) < 0)
			return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
		if ((k = lookup(r, r->pv[i].cookie)) >= 0 && !r->dead[k]) {
			r->v[k] = r->pv[i];
			continue;
		}
		r->v[r->n_live] = r->pv[i];
		r->dead[r->n_live] = 0;
		if (4 * (r->n_live + 2) > r->icap) {
			if (index_rebuild(r, r->n_live + 1) < 0)
				return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
		} else {
			index_put(r, r->n_live);
		}
		r->n_live++;
	}
	/* Drop the gone ones, keeping the order of the rest. */
	for (i = j = 0; i < r->n_live; i++)
		if (!r->dead[i])
			r->v[j++] = r->v[i];
	nlive = j;
	if (nlive != r->n_live || keyframe) {
		r->n_live = nlive;
		if (index_rebuild(r, nlive) < 0)
			return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
	}
	for (i = 0; i < r->pn; i++) {
		if (r->pop[i] != OP_EXTRA)
			continue;
		if (grow((void **)&r->v, &r->cap, r->n_live + r->n_extra + 1, sizeof(*r->v)) < 0)
			return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
		r->v[r->n_live + r->n_extra++] = r->pv[i];
	}
	if (r->have_base && r->n_live + r->n_extra != count) {
		char m[160];

		snprintf(m, sizeof(m), "sample %llu has %llu sockets, its records give %zu "
		    "(a record is missing or damaged)", (unsigned long long)r->pseq,
		    (unsigned long long)count, r->n_live + r->n_extra);
		return bad(r, err, m);
	}
	r->pn = r->gn = 0;
	r->pending = false;
	return 0;
}

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool
juint(const json_t *o, const char *key, uint64_t *v)
{
	const json_t *j = json_object_get(o, key);

	if (!json_is_integer(j) || json_integer_value(j) < 0)
		return false;
	*v = (uint64_t)json_integer_value(j);
	return true;
}

/* A "sockets" line into the pending sample. */
static int
take_sockets(struct rd *r, const json_t *o, uint64_t seq, struct td_err *err)
{
	const char *op = jstr(o, "op");
	const json_t *a = json_object_get(o, "sockets"), *e;
	struct td_err e2 = { 0 };
	unsigned char code;
	size_t i;
	char m[320];

	if (op == NULL || !json_is_array(a))
		return bad(r, err, "a \"sockets\" record needs \"op\" and a \"sockets\" array");
	if (strcmp(op, "set") == 0)
		code = OP_SET;
	else if (strcmp(op, "put") == 0)
		code = OP_PUT;
	else if (strcmp(op, "extra") == 0)
		code = OP_EXTRA;
	else
		return bad(r, err, "unknown \"op\" (set, put, extra)");
	if (r->pending && r->pseq != seq)
		r->pn = r->gn = 0;	/* a sample that never closed: dropped */
	r->pending = true;
	r->pseq = seq;
	if (grow((void **)&r->pv, &r->pcap, r->pn + json_array_size(a) + 1, sizeof(*r->pv)) < 0)
		return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
	{
		size_t pc = r->pcap;
		void *np = realloc(r->pop, pc);

		if (np == NULL)
			return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
		r->pop = np;
	}
	json_array_foreach(a, i, e) {
		if (snapfile_sock_from_json(e, &r->pv[r->pn], &e2) < 0) {
			snprintf(m, sizeof(m), "socket %zu: %s", i, e2.msg);
			return bad(r, err, m);
		}
		r->pop[r->pn++] = code;
	}
	return 0;
}

static int
take_gone(struct rd *r, const json_t *o, uint64_t seq, struct td_err *err)
{
	const json_t *a = json_object_get(o, "cookies"), *e;
	size_t i;

	if (!json_is_array(a))
		return bad(r, err, "a \"gone\" record needs a \"cookies\" array");
	if (r->pending && r->pseq != seq)
		r->pn = r->gn = 0;
	r->pending = true;
	r->pseq = seq;
	if (grow((void **)&r->gone, &r->gcap, r->gn + json_array_size(a) + 1, sizeof(*r->gone)) < 0)
		return td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
	json_array_foreach(a, i, e) {
		if (!json_is_integer(e) || json_integer_value(e) < 0)
			return bad(r, err, "\"cookies\" holds something that is not a cookie");
		r->gone[r->gn++] = (uint64_t)json_integer_value(e);
	}
	return 0;
}

static int
take_sample(struct rd *r, const json_t *o, uint64_t seq, int64_t t, struct td_err *err)
{
	struct td_err e2 = { 0 };
	struct rec_sample s;
	uint64_t count;
	bool keyframe = json_is_true(json_object_get(o, "keyframe"));
	char m[320];
	int rc;

	if (!juint(o, "sockets", &count) || !json_is_boolean(json_object_get(o, "keyframe")))
		return bad(r, err, "a \"sample\" record needs \"keyframe\" and \"sockets\"");
	if (t > r->stop_ns) {
		r->stopped = true;
		return 0;
	}
	if (!r->pending || r->pseq != seq)
		r->pn = r->gn = 0;	/* a sample with no socket at all, or none changed */
	if (snapfile_header_from_json(o, &r->snap, &e2) < 0) {
		snprintf(m, sizeof(m), "sample %llu: %s", (unsigned long long)seq, e2.msg);
		return bad(r, err, m);
	}
	snprintf(r->snap.meta.source, sizeof(r->snap.meta.source), "recording");
	r->pseq = seq;
	if (apply(r, keyframe, count, err) < 0)
		return -1;
	r->nsamples++;
	r->seq = seq;
	json_decref(r->watch);
	r->watch = json_incref(json_object_get(o, "watch"));
	if (!r->have_base || r->fn == NULL) {
		if (r->pev != NULL)
			json_array_clear(r->pev);
		return 0;
	}
	memset(&s, 0, sizeof(s));
	s.snap = r->snap;
	s.socks = r->v;
	s.n = r->n_live + r->n_extra;
	s.watch = r->watch;
	s.events = r->pev != NULL && r->pevseq == seq ? r->pev : NULL;
	s.seq = seq;
	s.index = r->nsamples;
	s.start_ns = r->start_ns;
	s.interval_s = r->interval_s;
	rc = r->fn(&s, r->arg, err);
	if (r->pev != NULL)
		json_array_clear(r->pev);
	if (rc > 0)
		r->stopped = true;
	return rc < 0 ? -1 : 0;
}

static int
line_fn(char *line, size_t len, void *arg, struct td_err *err)
{
	struct rd *r = arg;
	const char *type, *s;
	json_error_t je;
	json_t *o;
	uint64_t seq = 0, version;
	int64_t t;
	int rc = 0;
	char m[320];

	r->lineno++;
	if (r->stopped)
		return 0;
	o = json_loadb(line, len, 0, &je);
	if (o == NULL) {
		snprintf(m, sizeof(m), "not JSON (%s)", je.text);
		return bad(r, err, m);
	}
	type = jstr(o, "type");
	if (!json_is_object(o) || (s = jstr(o, "schema")) == NULL || strcmp(s, TD_SCHEMA) != 0 ||
	    jstr(o, "command") == NULL || type == NULL || (s = jstr(o, "time")) == NULL ||
	    rec_parse_time(s, &t) < 0) {
		json_decref(o);
		return bad(r, err, "not a tcpdoctor record (schema, command, type and time)");
	}
	if (r->command[0] == '\0') {
		snprintf(r->command, sizeof(r->command), "%s", jstr(o, "command"));
		r->start_ns = t;
	}
	if (strcmp(jstr(o, "command"), "watch") != 0)
		goto out;	/* an events recording: not samples */
	if (!juint(o, "version", &version) || version > REC_WATCH_VERSION) {
		snprintf(m, sizeof(m), "record version %s: this tcpdoctor reads version %d",
		    json_is_integer(json_object_get(o, "version")) ? "newer" : "missing",
		    REC_WATCH_VERSION);
		rc = bad(r, err, m);
		goto out;
	}
	if (strcmp(type, "start") == 0 &&
	    json_is_number(json_object_get(o, "interval_s")))
		r->interval_s = json_number_value(json_object_get(o, "interval_s"));
	if (strcmp(type, "sockets") == 0 || strcmp(type, "gone") == 0 ||
	    strcmp(type, "sample") == 0) {
		if (!juint(o, "seq", &seq)) {
			rc = bad(r, err, "a sample's record needs \"seq\"");
			goto out;
		}
		if (type[0] == 's' && type[1] == 'o')
			rc = take_sockets(r, o, seq, err);
		else if (type[0] == 'g')
			rc = take_gone(r, o, seq, err);
		else
			rc = take_sample(r, o, seq, t, err);
	}
	/* The events of a sample's interval come before it: kept for it. */
	if (strcmp(type, "event") == 0 && juint(o, "seq", &seq) &&
	    json_is_object(json_object_get(o, "event"))) {
		if (r->pev == NULL && (r->pev = json_array()) == NULL) {
			rc = td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
			goto out;
		}
		if (r->pevseq != seq)
			json_array_clear(r->pev);	/* a sample that never closed */
		r->pevseq = seq;
		if (json_array_append(r->pev, json_object_get(o, "event")) < 0)
			rc = td_errf(err, ENOMEM, "recording '%s': out of memory", r->path);
	}
	/* start, finding and kinds of later versions: not samples. */
out:
	json_decref(o);
	return rc;
}

static void
rd_free(struct rd *r)
{
	free(r->v);
	free(r->idx);
	free(r->dead);
	free(r->pv);
	free(r->pop);
	free(r->gone);
	json_decref(r->watch);
	r->watch = NULL;
	json_decref(r->pev);
	r->pev = NULL;
}

static int
rd_run(struct rd *r, const char *path, struct rec_cut *cut, struct td_err *err)
{
	bool truncated = false;

	r->path = path;
	memset(cut, 0, sizeof(*cut));
	if (rec_read_at(path, line_fn, r, &truncated, cut, err) < 0)
		return -1;
	if (!truncated)
		cut->file[0] = '\0';
	if (r->command[0] != '\0' && strcmp(r->command, "watch") != 0 && r->nsamples == 0)
		return td_errf(err, EBADMSG, "recording '%s' was made by '%s --record': it holds "
		    "no samples (watch --record FILE records them)", path, r->command);
	return 0;
}

int
rec_samples(const char *path, rec_sample_fn fn, void *arg, struct rec_cut *cut,
    struct td_err *err)
{
	struct rd r;
	int rc;

	memset(&r, 0, sizeof(r));
	r.stop_ns = INT64_MAX;
	r.fn = fn;
	r.arg = arg;
	rc = rd_run(&r, path, cut, err);
	rd_free(&r);
	return rc;
}

/* First pass of rec_pick: the recording's start and its samples' times. */
struct span {
	int64_t		start_ns, first_ns, last_ns;
	uint64_t	n;
};

static int
span_fn(const struct rec_sample *s, void *arg, struct td_err *err)
{
	struct span *sp = arg;

	(void)err;
	if (sp->n++ == 0)
		sp->first_ns = s->snap.meta.time_ns;
	sp->last_ns = s->snap.meta.time_ns;
	sp->start_ns = s->start_ns;
	return 0;
}

int
rec_pick(const char *path, const struct rec_at *at, struct rec_pick *p, struct td_err *err)
{
	struct span sp = { 0 };
	struct rd r;
	struct rec_cut cut;
	char a[40], b[40];

	memset(p, 0, sizeof(*p));
	/*
	 * Two passes: the first learns where the recording starts (for
	 * +SECONDS) and which samples it holds; the second stops at the first
	 * sample after the time asked, the table then being the answer.
	 */
	if (rec_samples(path, span_fn, &sp, &cut, err) < 0)
		return -1;
	if (sp.n == 0)
		return td_errf(err, EBADMSG, "recording '%s' holds no complete sample%s", path,
		    cut.file[0] != '\0' ? " (its only one is cut short)" : "");
	p->nsamples = sp.n;
	p->start_ns = sp.start_ns;
	p->first_ns = sp.first_ns;
	p->last_ns = sp.last_ns;
	p->want_ns = !at->given ? 0 : at->relative ? sp.start_ns + at->ns : at->ns;
	if (at->given && p->want_ns < sp.first_ns) {
		rec_time_str(p->want_ns, a, sizeof(a));
		rec_time_str(sp.first_ns, b, sizeof(b));
		return td_errf(err, EINVAL, "recording '%s': %s is before its first sample (%s)",
		    path, a, b);
	}
	memset(&r, 0, sizeof(r));
	r.stop_ns = at->given ? p->want_ns : INT64_MAX;
	if (rd_run(&r, path, &p->cut, err) < 0) {
		rd_free(&r);
		return -1;
	}
	if (!r.have_base || r.nsamples == 0) {
		rd_free(&r);
		return td_errf(err, EBADMSG, "recording '%s': no keyframe at or before the time asked "
		    "(its oldest file was rotated away)", path);
	}
	p->snap = r.snap;
	p->n = r.n_live + r.n_extra;
	p->socks = r.v;
	r.v = NULL;
	p->seq = r.seq;
	p->index = r.nsamples;
	rd_free(&r);
	return 0;
}

void
rec_pick_free(struct rec_pick *p)
{
	free(p->socks);
	p->socks = NULL;
	p->n = 0;
}
