/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor explain [TOPIC]
 *
 * Answers a topic from the model (tcp/tm.h) and this host's sysctls (or a
 * snapshot's, with --from): a TCP state (what it means, what it waits for,
 * its timers and their lengths here, the longest it can last, how a socket
 * leaves it, what a pile of them means), a knob (the advice table of
 * analyzers/advice.h plus what the model computes from its value here), or
 * "knobs" and "scenarios", or a finding id of check (analyzers/finding_docs.c).
 * Without a topic it lists the topics.
 *
 * Adding a kind of topic: one row in providers[] below with a match
 * function (does this provider know TOPIC?), a show function, and a list
 * function for the index.  A show function describes its answer once, as a
 * record (core/record.h: a JSON member and/or a table line per field, in
 * the order both show them), fills a view of it and hands it to
 * ex_record(), the one place that asks which format.  Counters and finding
 * ids join the same way.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "analyzers/advice.h"
#include "analyzers/finding_docs.h"
#include "cmd/cmd.h"
#include "cmd/unseen.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "collectors/counters.h"
#include "collectors/slabinfo.h"
#include "collectors/snapshot.h"
#include "collectors/source.h"
#include "core/record.h"
#include "sim/sim.h"
#include "tcp/tm.h"

#include "core/util.h"

struct explain {
	struct td_ctx		*ctx;
	struct tm_profile	 p;		/* linux profile from this host's sysctls */
	struct td_snapshot	*snap;
	bool			 json;
	json_t			*doc;		/* JSON: the provider fills it */
};

struct provider {
	const char	*kind;
	bool		(*match)(const char *topic);
	void		(*show)(struct explain *ex, const char *topic);
	void		(*list)(struct explain *ex, json_t *index);
};

/*
 * A described record (core/record.h) as one part of the answer: in a
 * table a title line and the record's labelled lines, in JSON the member
 * key holding the record's object (key NULL: its members, in the
 * document itself).  The only place that asks which.
 */
static void
ex_record(struct explain *ex, const char *key, const struct record_desc *d, const void *rec,
    const char *title_fmt, ...) __attribute__((format(printf, 5, 6)));

static void
ex_record(struct explain *ex, const char *key, const struct record_desc *d, const void *rec,
    const char *title_fmt, ...)
{
	va_list ap;

	if (ex->json) {
		if (key != NULL)
			json_object_set_new(ex->doc, key, record_json(d, rec));
		else
			record_json_members(ex->doc, d, rec, 0);
		return;
	}
	va_start(ap, title_fmt);
	vfprintf(ex->ctx->out, title_fmt, ap);
	va_end(ap);
	fputc('\n', ex->ctx->out);
	output_rec_lines(ex->ctx->out, d, rec);
}

/*
 * The topic index (`explain` without a topic): each provider's list, a
 * heading and names.  In a table "HEADING\n " and the names on one line;
 * in JSON an array under the provider's key.  These three are the only
 * place the lists ask which.
 */
struct names {
	struct explain	*ex;
	json_t		*arr;
};

static void
names_begin(struct names *l, struct explain *ex, const char *heading)
{
	l->ex = ex;
	l->arr = json_array();
	if (!ex->json)
		fprintf(ex->ctx->out, "%s\n ", heading);
}

static void
names_add(struct names *l, const char *name)
{
	if (!l->ex->json)
		fprintf(l->ex->ctx->out, " %s", name);
	json_array_append_new(l->arr, json_string(name));
}

static void
names_end(struct names *l, json_t *index, const char *key)
{
	if (!l->ex->json)
		fputc('\n', l->ex->ctx->out);
	json_object_set_new(index, key, l->arr);
}

/* Print a duration like the kernel's timers are read: 60 s, 924.6 s, 40 ms, unbounded. */
static void
dur(tm_time t, char *buf, size_t len)
{
	if (t == TM_TIME_INF)
		snprintf(buf, len, "unbounded");
	else if (t < TM_SEC(1))
		snprintf(buf, len, "%.0f ms", (double)t / 1e6);
	else if (t % TM_SEC(1) == 0)
		snprintf(buf, len, "%llu s", (unsigned long long)(t / TM_SEC(1)));
	else
		snprintf(buf, len, "%.1f s", (double)t / 1e9);
}

/* A duration for JSON: seconds, null when unbounded. */
static bool
dur_val(struct record_val *v, tm_time t)
{
	return t == TM_TIME_INF ? record_null(v) : record_real(v, (double)t / 1e9);
}

/* ---- States ---- */

/* Knobs and scenarios that belong to a state (a reading aid, not the model). */
static const struct {
	enum tm_state	 st;
	const char	*knobs, *scenarios;
	const char	*man;		/* the section of tcpdoctor-tcp(7) */
} state_refs[] = {
	{ TM_ESTABLISHED, "tcp_keepalive_time tcp_keepalive_intvl tcp_keepalive_probes tcp_retries2",
	  "handshake keepalive-dead-peer", "KEEPALIVE AND DEAD PEERS" },
	{ TM_SYN_SENT, "tcp_syn_retries tcp_syn_linear_timeouts", "lost-syn simultaneous-open",
	  "SYN AND SYN-ACK RETRANSMISSION" },
	{ TM_SYN_RECV, "tcp_synack_retries tcp_syncookies tcp_max_syn_backlog somaxconn",
	  "lost-synack lost-third-ack syn-flood", "SYN QUEUE AND ACCEPT QUEUE" },
	{ TM_NEW_SYN_RECV, "tcp_synack_retries tcp_syncookies", "lost-synack syn-flood", "STATES AND OBJECTS" },
	{ TM_FIN_WAIT1, "tcp_orphan_retries tcp_retries2", "active-close simultaneous-close", "CLOSING" },
	{ TM_FIN_WAIT2, "tcp_fin_timeout", "fin-wait-2-orphan close-wait-leak", "FIN_WAIT2 AND ORPHANS" },
	{ TM_TIME_WAIT, "tcp_max_tw_buckets tcp_tw_reuse tcp_rfc1337",
	  "active-close lost-last-ack rst-in-time-wait syn-in-time-wait old-duplicate", "TIME_WAIT" },
	{ TM_CLOSE, "", "close-with-unread-data", "STATES AND OBJECTS" },
	{ TM_CLOSE_WAIT, "", "close-wait-leak passive-close", "CLOSING" },
	{ TM_LAST_ACK, "tcp_orphan_retries", "passive-close lost-last-ack", "CLOSING" },
	{ TM_LISTEN, "somaxconn tcp_abort_on_overflow tcp_syncookies", "accept-queue-full syn-flood",
	  "SYN QUEUE AND ACCEPT QUEUE" },
	{ TM_CLOSING, "tcp_orphan_retries", "simultaneous-close", "CLOSING" },
};

static bool
state_match(const char *topic)
{
	return tm_state_parse(topic) > 0;
}

static void
events_text(uint32_t mask, char *buf, size_t len)
{
	size_t n = 0;
	unsigned int e;

	buf[0] = '\0';
	for (e = 0; e < TM_E_MAX && n < len; e++)
		if (mask & (1u << e))
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
			    tm_event_name((enum tm_event_id)e));
}

/* A timer of a state: its JSON members, and its line under the table's heading. */
struct timer_view {
	const struct tm_state_timer *t;
	const char	*name, *what;
	char		*line;
};

static bool
timer_get_first(const void *rec, struct record_val *v)
{
	return dur_val(v, ((const struct timer_view *)rec)->t->first);
}

static bool
timer_get_total(const void *rec, struct record_val *v)
{
	return dur_val(v, ((const struct timer_view *)rec)->t->total);
}

static const struct record_field timer_fields[] = {
	RECORD_TEXT("timer", NULL, struct timer_view, name),
	RECORD_FN("first", timer_get_first),
	RECORD_FN("total", timer_get_total),
	RECORD_TEXT("what", NULL, struct timer_view, what),
	{ .how = RECORD_AT_STRP, .off = offsetof(struct timer_view, line),
	  .size = sizeof(char *), .flags = RECORD_F_TABLE_ITEM },
};
static const struct record_desc timer_desc = RECORD_DESC("state timer", timer_fields);

/* An edge of the transition table out of a state. */
struct edge_view {
	const char	*object, *from, *to, *event, *source;
	bool		 kernel_only;
	char		*line;
};

static const struct record_field edge_fields[] = {
	RECORD_TEXT("object", NULL, struct edge_view, object),
	RECORD_TEXT("from", NULL, struct edge_view, from),
	RECORD_TEXT("to", NULL, struct edge_view, to),
	RECORD_TEXT("event", NULL, struct edge_view, event),
	RECORD_BOOL("kernel_only", struct edge_view, kernel_only),
	RECORD_TEXT("source", NULL, struct edge_view, source),
	{ .how = RECORD_AT_STRP, .off = offsetof(struct edge_view, line),
	  .size = sizeof(char *), .flags = RECORD_F_TABLE_ITEM },
};
static const struct record_desc edge_desc = RECORD_DESC("state edge", edge_fields);

/* A state as explain answers it. */
struct state_view {
	const char	*kind, *name, *means, *waits_for, *leaves_by, *pile_means;
	char		*man;			/* JSON: "tcpdoctor-tcp(7) SECTION" */
	const char	*knobs, *scenarios;	/* JSON: with man, when the state has refs */
	const char	*events;		/* JSON: "" for none */
	const char	*events_line;		/* the table's: "none" for none */
	struct timer_view timers[8];
	size_t		 ntimers;
	tm_time		 life, life_orphan, life_ka;
	char		*longest;		/* the table's "longest stay" */
	struct edge_view *edges;
	size_t		 nedges;
	char		*knobs_line, *see_it, *read;	/* the table's refs (NULL: none) */
};

#define STV(rec)	((const struct state_view *)(rec))

static bool
state_get_timers(const void *rec, struct record_val *v)
{
	return record_arr(v, &timer_desc, STV(rec)->timers, STV(rec)->ntimers,
	    sizeof(struct timer_view), NULL);
}

static bool
state_get_edges(const void *rec, struct record_val *v)
{
	return record_arr(v, &edge_desc, STV(rec)->edges, STV(rec)->nedges,
	    sizeof(struct edge_view), NULL);
}

static bool
state_get_life(const void *rec, struct record_val *v)
{
	return dur_val(v, STV(rec)->life);
}

static bool
state_get_life_orphan(const void *rec, struct record_val *v)
{
	return dur_val(v, STV(rec)->life_orphan);
}

static bool
state_get_life_ka(const void *rec, struct record_val *v)
{
	return dur_val(v, STV(rec)->life_ka);
}

/*
 * JSON has the references first and the table last; each member and each
 * line is one field below, in the order both formats show them.
 */
static const struct record_field state_fields[] = {
	RECORD_TEXT("man", NULL, struct state_view, man),
	RECORD_TEXT("knobs", NULL, struct state_view, knobs),
	RECORD_TEXT("scenarios", NULL, struct state_view, scenarios),
	RECORD_TEXT("kind", NULL, struct state_view, kind),
	RECORD_TEXT("state", NULL, struct state_view, name),
	RECORD_TEXT("means", "means:", struct state_view, means),
	RECORD_TEXT("waits_for", "waits for:", struct state_view, waits_for),
	RECORD_TEXT("events", NULL, struct state_view, events),
	RECORD_TEXT(NULL, "events:", struct state_view, events_line),
	{ .key = "timers", .how = RECORD_GET, .get = state_get_timers,
	  .label = "timers on this host (model, linux profile, this host's sysctls):",
	  .flags = RECORD_F_TABLE_NONE },
	RECORD_FN("max_lifetime", state_get_life),
	RECORD_FN("max_lifetime_orphan", state_get_life_orphan),
	RECORD_FN("max_lifetime_keepalive", state_get_life_ka),
	RECORD_TEXT(NULL, "longest stay:", struct state_view, longest),
	RECORD_TEXT("leaves_by", "leaves by:", struct state_view, leaves_by),
	{ .key = "edges", .how = RECORD_GET, .get = state_get_edges,
	  .label = "edges (model's transition table; * = kernel-only, not in RFC 9293):" },
	RECORD_TEXT(NULL, "knobs:", struct state_view, knobs_line),
	RECORD_TEXT(NULL, "see it:", struct state_view, see_it),
	RECORD_TEXT(NULL, "read:", struct state_view, read),
	RECORD_TEXT("pile_means", "a pile of them:", struct state_view, pile_means),
};
static const struct record_desc state_desc = RECORD_DESC("state", state_fields);

/* The table's "60 s; after close() (orphan): 120 s; with SO_KEEPALIVE: ..." */
static char *
longest_stay(tm_time life, tm_time life_orphan, tm_time life_ka)
{
	char a[32], b[32], c[32];
	char *s;

	dur(life, a, sizeof(a));
	dur(life_orphan, b, sizeof(b));
	dur(life_ka, c, sizeof(c));
	if (asprintf(&s, "%s%s%s%s%s", a, life_orphan != life ? "; after close() (orphan): " : "",
	    life_orphan != life ? b : "", life_ka != life ? "; with SO_KEEPALIVE: " : "",
	    life_ka != life ? c : "") < 0)
		return NULL;
	return s;
}

static void
state_show(struct explain *ex, const char *topic)
{
	enum tm_state st = (enum tm_state)tm_state_parse(topic);
	const struct tm_state_info *info = tm_state_info(st);
	struct tm_state_timer tm[8];
	struct tm_sockctx orphan = { .orphan = true }, ka = { .keepalive = true };
	const struct tm_transition *tr;
	struct state_view v = { .kind = "state", .name = tm_state_name(st), .means = info->meaning,
		.waits_for = info->waits_for, .leaves_by = info->leaves_by,
		.pile_means = info->pile_means };
	char ev[256], a[32], b[32];
	size_t n, i;

	events_text(tm_state_waits(&ex->p, st), ev, sizeof(ev));
	v.events = ev;
	v.events_line = ev[0] ? ev : "none";
	v.ntimers = tm_state_timers(&ex->p, st, NULL, tm, ARRAY_SIZE(tm));
	for (i = 0; i < v.ntimers; i++) {
		dur(tm[i].first, a, sizeof(a));
		dur(tm[i].total, b, sizeof(b));
		v.timers[i].t = &tm[i];
		v.timers[i].name = tm_timer_name(tm[i].timer);
		v.timers[i].what = tm[i].what;
		if (asprintf(&v.timers[i].line, "%-10s first after %s, gives up after %s: %s",
		    tm_timer_name(tm[i].timer), a, b, tm[i].what) < 0)
			v.timers[i].line = NULL;
	}
	v.life = tm_state_max_lifetime(&ex->p, st, NULL);
	v.life_orphan = tm_state_max_lifetime(&ex->p, st, &orphan);
	v.life_ka = tm_state_max_lifetime(&ex->p, st, &ka);
	v.longest = longest_stay(v.life, v.life_orphan, v.life_ka);
	tr = tm_transitions(&n);
	v.edges = calloc(n ? n : 1, sizeof(*v.edges));
	for (i = 0; i < n && v.edges != NULL; i++) {
		struct edge_view *e = &v.edges[v.nedges];

		if (tr[i].from != st || !(tr[i].flags & (ex->p.minisocks ? TM_TR_LINUX : TM_TR_RFC)))
			continue;
		*e = (struct edge_view){ tm_obj_name(tr[i].obj), tm_state_name(tr[i].from),
		    tm_state_name(tr[i].to), tm_event_name(tr[i].event), tr[i].why,
		    (tr[i].flags & TM_TR_KERNEL) != 0, NULL };
		if (asprintf(&e->line, "%s%s -> %s on %s%s: %s", tr[i].obj == TM_OBJ_FULL ? "" :
		    tr[i].obj == TM_OBJ_REQ ? "(request) " : "(timewait) ", tm_state_name(tr[i].from),
		    tm_state_name(tr[i].to), tm_event_name(tr[i].event),
		    (tr[i].flags & TM_TR_KERNEL) ? " *" : "", tr[i].why) < 0)
			e->line = NULL;
		v.nedges++;
	}
	for (i = 0; i < ARRAY_SIZE(state_refs); i++) {
		if (state_refs[i].st != st)
			continue;
		v.knobs = state_refs[i].knobs;
		v.scenarios = state_refs[i].scenarios;
		if (asprintf(&v.man, "tcpdoctor-tcp(7) %s", state_refs[i].man) < 0)
			v.man = NULL;
		if (v.knobs[0] != '\0' &&
		    asprintf(&v.knobs_line, "%s (tcpdoctor explain KNOB)", v.knobs) < 0)
			v.knobs_line = NULL;
		if (asprintf(&v.see_it, "tcpdoctor sim %s", v.scenarios) < 0)
			v.see_it = NULL;
		v.read = v.man;
	}
	ex_record(ex, NULL, &state_desc, &v, "%s%s", v.name, st == TM_NEW_SYN_RECV ?
	    " (kernel-internal; ss shows it as SYN-RECV)" : "");
	for (i = 0; i < v.ntimers; i++)
		free(v.timers[i].line);
	for (i = 0; i < v.nedges; i++)
		free(v.edges[i].line);
	free(v.edges);
	free(v.longest);
	free(v.man);
	free(v.knobs_line);
	free(v.see_it);
}

static void
state_list(struct explain *ex, json_t *index)
{
	struct names l;
	unsigned int st;

	names_begin(&l, ex, "states:");
	for (st = 1; st < TM_STATE_MAX; st++)
		names_add(&l, tm_state_name(st));
	names_end(&l, index, "states");
}

/* ---- Knobs: the advice table plus the model ---- */

static bool
knob_match(const char *topic)
{
	return advice_find(topic) != NULL || tm_knob_find(topic) != NULL;
}

/* What the model computes from a knob's value on this host. */
static void
knob_model(struct explain *ex, const struct tm_knob *k, char *buf, size_t len)
{
	const struct tm_profile *p = &ex->p;
	struct tm_sockctx orphan = { .orphan = true };
	char a[32];

	buf[0] = '\0';
	if (strcmp(k->name, "tcp_syn_retries") == 0 || strcmp(k->name, "tcp_syn_linear_timeouts") == 0) {
		dur(tm_syn_giveup(p), a, sizeof(a));
		snprintf(buf, len, "connect() to a silent peer fails with ETIMEDOUT after %s", a);
	} else if (strcmp(k->name, "tcp_synack_retries") == 0) {
		dur(tm_synack_giveup(p), a, sizeof(a));
		snprintf(buf, len, "an unanswered request socket is dropped silently after %s", a);
	} else if (strcmp(k->name, "tcp_fin_timeout") == 0) {
		dur(tm_state_max_lifetime(p, TM_FIN_WAIT2, &orphan), a, sizeof(a));
		snprintf(buf, len, "an orphaned FIN_WAIT2 socket lasts %s; TIME_WAIT stays %llu s",
		    a, (unsigned long long)(p->timewait_len / TM_SEC(1)));
	} else if (strncmp(k->name, "tcp_keepalive", 13) == 0) {
		struct tm_sockctx ka = { .keepalive = true };

		dur(tm_state_max_lifetime(p, TM_ESTABLISHED, &ka), a, sizeof(a));
		snprintf(buf, len, "with SO_KEEPALIVE a dead peer is noticed after %s%s", a,
		    p->keepalive_rst ? ", then RST and ETIMEDOUT" : "");
	} else if (strcmp(k->name, "tcp_retries2") == 0) {
		dur(tm_retries_timeout(p, p->retries2, p->retries_base), a, sizeof(a));
		snprintf(buf, len, "unacknowledged data times out after about %s", a);
	} else if (strcmp(k->name, "tcp_orphan_retries") == 0) {
		dur(tm_state_max_lifetime(p, TM_FIN_WAIT1, &orphan), a, sizeof(a));
		snprintf(buf, len, "an orphan's FIN is retransmitted for about %s", a);
	}
}

/* What analyzers/advice.c knows about a knob. */
static const struct record_field advice_fields[] = {
	RECORD_TEXT("meaning", "means:", struct td_advice, meaning),
	RECORD_TEXT("default", "default:", struct td_advice, dflt),
	RECORD_TEXT("safe", "safe:", struct td_advice, safe),
	RECORD_TEXT("fixes", "fixes:", struct td_advice, fixes),
	RECORD_TEXT("not_fixes", "does not:", struct td_advice, not_fixes),
	RECORD_TEXT("facts", "facts:", struct td_advice, facts),
	RECORD_TEXT("risk", "risk:", struct td_advice, risk),
};
static const struct record_desc advice_desc = RECORD_DESC("advice", advice_fields);

/* A knob as explain answers it: the advice, this host's value, the model's. */
struct knob_view {
	const char		*kind, *name;
	const struct td_advice	*adv;
	bool			 has_value, has_model;
	int64_t			 value, model_value;
	char			 this_host[24];		/* the table's: the value */
	const char		*means;			/* a model knob's meaning (no advice) */
	char			 model[200];		/* "" for nothing to say */
	char			*model_line;		/* the table's: "NAME=V; model" */
};

#define KNV(rec)	((const struct knob_view *)(rec))

static bool
knob_get_advice(const void *rec, struct record_val *v)
{
	return KNV(rec)->adv != NULL && record_obj(v, &advice_desc, KNV(rec)->adv);
}

static bool
knob_get_value(const void *rec, struct record_val *v)
{
	return KNV(rec)->has_value && record_int(v, KNV(rec)->value);
}

static bool
knob_get_this_host(const void *rec, struct record_val *v)
{
	return KNV(rec)->has_value && record_str(v, KNV(rec)->this_host);
}

static bool
knob_get_model_value(const void *rec, struct record_val *v)
{
	return KNV(rec)->has_model && record_int(v, KNV(rec)->model_value);
}

static bool
knob_get_model(const void *rec, struct record_val *v)
{
	return KNV(rec)->has_model && KNV(rec)->model[0] && record_str(v, KNV(rec)->model);
}

static const struct record_field knob_fields[] = {
	RECORD_TEXT("kind", NULL, struct knob_view, kind),
	RECORD_TEXT("name", NULL, struct knob_view, name),
	RECORD_FN("advice", knob_get_advice),
	RECORD_FN("value", knob_get_value),
	{ .how = RECORD_GET, .get = knob_get_this_host, .label = "this host:" },
	RECORD_TEXT(NULL, "means:", struct knob_view, means),
	RECORD_FN("model_value", knob_get_model_value),
	RECORD_FN("model", knob_get_model),
	RECORD_TEXT(NULL, "model:", struct knob_view, model_line),
};
static const struct record_desc knob_desc = RECORD_DESC("knob", knob_fields);

static void
knob_show(struct explain *ex, const char *topic)
{
	const struct td_advice *adv = advice_find(topic);
	const struct tm_knob *k = tm_knob_find(topic);
	struct knob_view v = { .kind = "knob", .adv = adv };
	int id;

	if (k == NULL && adv != NULL) {
		const char *dot = strrchr(adv->name, '.');

		k = tm_knob_find(dot ? dot + 1 : adv->name);
	}
	if (adv != NULL) {
		v.name = adv->name;
		id = adv->sysctl_id;
		if (id >= 0 && id < TD_SYS_MAX && ex->snap->sys.s[id].readable) {
			v.has_value = true;
			v.value = ex->snap->sys.s[id].v[0];
			snprintf(v.this_host, sizeof(v.this_host), "%" PRId64, v.value);
		}
	} else {
		v.name = k->name;
		v.means = k->what;
		/* A model knob without advice still has this host's value when it is a sysctl. */
		if (k->sysctl != NULL && sysctl_value(&ex->snap->sys, k->sysctl, &v.value) > 0) {
			v.has_value = true;
			snprintf(v.this_host, sizeof(v.this_host), "%" PRId64, v.value);
		}
	}
	if (k != NULL) {
		v.has_model = true;
		v.model_value = tm_knob_get(&ex->p, k);
		knob_model(ex, k, v.model, sizeof(v.model));
		if (asprintf(&v.model_line, "%s=%" PRId64 "%s%s", k->name, v.model_value,
		    v.model[0] ? "; " : "", v.model) < 0)
			v.model_line = NULL;
	}
	if (adv != NULL)
		ex_record(ex, NULL, &knob_desc, &v, "%s", adv->name);
	else if (k->sysctl != NULL)
		ex_record(ex, NULL, &knob_desc, &v, "%s (sysctl %s; no advice on it)", k->name,
		    k->sysctl);
	else
		ex_record(ex, NULL, &knob_desc, &v, "%s (a model knob, not a sysctl)", k->name);
	free(v.model_line);
}

static void
knob_list(struct explain *ex, json_t *index)
{
	const struct tm_knob *k;
	struct names l;
	size_t n, i;

	k = tm_knobs(&n);
	names_begin(&l, ex, "knobs (sysctls; `explain knobs` shows the model's values here):");
	for (i = 0; i < n; i++)
		if (k[i].sysctl != NULL)
			names_add(&l, k[i].name);
	names_end(&l, index, "knobs");
}

/* ---- "knobs" and "scenarios" ---- */

static bool
all_knobs_match(const char *topic)
{
	return strcmp(topic, "knobs") == 0;
}

/* Every model knob: a member "NAME": value in JSON, a row of the table. */
struct knob_row {
	const char	*name;
	int64_t		 value;
	char		*line;
};

static const struct record_field knob_row_fields[] = {
	{ .key = "name", .how = RECORD_AT_STRP, .off = offsetof(struct knob_row, name),
	  .size = sizeof(const char *) },
	RECORD_INT("value", struct knob_row, value),
	{ .how = RECORD_AT_STRP, .off = offsetof(struct knob_row, line), .size = sizeof(char *),
	  .flags = RECORD_F_TABLE_ITEM },
};
static const struct record_desc knob_row_desc = RECORD_DESC("knob row", knob_row_fields);

struct knobs_view {
	const char	*kind;
	struct knob_row	*rows;
	size_t		 n;
};

static bool
knobs_get_rows(const void *rec, struct record_val *v)
{
	const struct knobs_view *kv = rec;

	return record_map(v, &knob_row_desc, kv->rows, kv->n, sizeof(*kv->rows));
}

static const struct record_field knobs_fields[] = {
	RECORD_TEXT("kind", NULL, struct knobs_view, kind),
	{ .key = "knobs", .how = RECORD_GET, .get = knobs_get_rows, .flags = RECORD_F_TABLE_ROWS },
};
static const struct record_desc knobs_desc = RECORD_DESC("knobs", knobs_fields);

static void
all_knobs_show(struct explain *ex, const char *topic)
{
	const struct tm_knob *k;
	struct knobs_view v = { .kind = "knobs" };
	size_t i;

	(void)topic;
	k = tm_knobs(&v.n);
	if ((v.rows = calloc(v.n ? v.n : 1, sizeof(*v.rows))) == NULL)
		v.n = 0;
	for (i = 0; i < v.n; i++) {
		v.rows[i].name = k[i].name;
		v.rows[i].value = tm_knob_get(&ex->p, &k[i]);
		if (asprintf(&v.rows[i].line, "%-26s %6" PRId64 "   %-4s  %s%s", k[i].name,
		    v.rows[i].value, k[i].unit == TM_KU_SEC ? "s" : k[i].unit == TM_KU_MS ? "ms" :
		    k[i].unit == TM_KU_US ? "us" : "", k[i].what,
		    k[i].sysctl == NULL ? " (model only)" : "") < 0)
			v.rows[i].line = NULL;
	}
	ex_record(ex, NULL, &knobs_desc, &v, "knob                        here   unit  what");
	for (i = 0; i < v.n; i++)
		free(v.rows[i].line);
	free(v.rows);
}

static bool
scenarios_match(const char *topic)
{
	return strcmp(topic, "scenarios") == 0 || tm_scenario_find(topic) != NULL;
}

/* A named scenario as explain shows it; the two composed lines are the table's. */
struct scenario_view {
	const char	*name, *question, *answer, *verified;
	char		*question_line;		/* "question (question_en)" */
	char		*run_it;		/* "tcpdoctor sim NAME" */
};

static const struct record_field scenario_fields[] = {
	RECORD_TEXT("name", NULL, struct scenario_view, name),
	RECORD_TEXT("question", NULL, struct scenario_view, question),
	RECORD_TEXT(NULL, "question:", struct scenario_view, question_line),
	RECORD_TEXT("answer", "linux:", struct scenario_view, answer),
	RECORD_TEXT("verified", "checked:", struct scenario_view, verified),
	RECORD_TEXT(NULL, "run it:", struct scenario_view, run_it),
};
static const struct record_desc scenario_desc = RECORD_DESC("scenario", scenario_fields);

static void
scenarios_show(struct explain *ex, const char *topic)
{
	const struct tm_scenario *sc = tm_scenarios(&(size_t){ 0 }), *one = tm_scenario_find(topic);
	struct scenario_view v;
	size_t n, i;

	tm_scenarios(&n);
	json_object_set_new(ex->doc, "kind", json_string("scenario"));
	for (i = 0; i < n; i++) {
		/* One scenario, or (table only) every one. */
		if (one != NULL ? &sc[i] != one : ex->json)
			continue;
		v = (struct scenario_view){ sc[i].name, sc[i].question, sc[i].answer, sc[i].verified,
		    NULL, NULL };
		if (asprintf(&v.question_line, "%s (%s)", sc[i].question, sc[i].question_en) < 0)
			v.question_line = NULL;
		if (asprintf(&v.run_it, "tcpdoctor sim %s", sc[i].name) < 0)
			v.run_it = NULL;
		ex_record(ex, NULL, &scenario_desc, &v, "%s", sc[i].name);
		free(v.question_line);
		free(v.run_it);
	}
}

static void
scenarios_list(struct explain *ex, json_t *index)
{
	const struct tm_scenario *sc;
	struct names l;
	size_t n, i;

	sc = tm_scenarios(&n);
	names_begin(&l, ex, "scenarios (what Linux really does, with a simulation):");
	for (i = 0; i < n; i++)
		names_add(&l, sc[i].name);
	names_end(&l, index, "scenarios");
}

/* ---- Finding ids: analyzers/finding_docs.c ---- */

static bool
finding_match(const char *topic)
{
	return finding_doc_find(topic) != NULL;
}

/* A finding id as tcpdoctor-json(7) and check explain it. */
static const struct record_field finding_fields[] = {
	RECORD_TEXT("id", NULL, struct td_finding_doc, id),
	RECORD_TEXT("means", "means:", struct td_finding_doc, means),
	RECORD_TEXT("evidence", "evidence:", struct td_finding_doc, evidence),
	RECORD_TEXT("fix", "fix:", struct td_finding_doc, fix),
	{ .key = "not_fix", .how = RECORD_AT_STRP, .off = offsetof(struct td_finding_doc, not_fix),
	  .size = sizeof(const char *), .label = "not:", .flags = RECORD_F_TABLE_NONEMPTY },
};
static const struct record_desc finding_desc = RECORD_DESC("finding", finding_fields);

static void
finding_show(struct explain *ex, const char *topic)
{
	const struct td_finding_doc *d = finding_doc_find(topic);

	json_object_set_new(ex->doc, "kind", json_string("finding"));
	ex_record(ex, "finding", &finding_desc, d, "%s (a finding of tcpdoctor check)", d->id);
}

static void
finding_list(struct explain *ex, json_t *index)
{
	struct names l;
	size_t i;

	names_begin(&l, ex, "findings (ids of tcpdoctor check):");
	for (i = 0; i < td_finding_doc_count; i++)
		names_add(&l, td_finding_docs[i].id);
	names_end(&l, index, "findings");
}

/* ---- Questions: ISN, MSL, syncookies, what TIME_WAIT costs ---- */

/*
 * What a question's answer shows of this host: table lines and JSON
 * members, each question's own description over this one record.
 */
struct live_ctr {
	const char	*name;
	bool		 present;
	int64_t		 value;
};

struct live_cache {
	const char		*name;
	const struct td_slab	*slab;
};

struct live {
	const char	*line[2];		/* the table's lines */
	char		 buf[2][768];
	double		 tick_ns, wrap_s;	/* isn */
	tm_time		 t[2];			/* msl: TIME_WAIT; handshake: SYN-ACK, SYN give-up */
	bool		 readable;		/* msl, syncookies: the sysctl */
	int64_t		 sysctl;
	struct live_ctr	 ctr[6];		/* syncookies */
	size_t		 nctr;
	struct td_slab	 slab[4];		/* time-wait-cost */
	struct live_cache cache[4];
	const char	*slab_err;		/* NULL when /proc/slabinfo was read */
	const char	*slab_line[4];
	char		 slab_buf[4][256];
	char		 err_msg[sizeof(((struct td_err *)0)->msg)];
};

#define LV(rec)	((const struct live *)(rec))

static bool
live_get_t0(const void *rec, struct record_val *v)
{
	return dur_val(v, LV(rec)->t[0]);
}

static bool
live_get_t1(const void *rec, struct record_val *v)
{
	return dur_val(v, LV(rec)->t[1]);
}

static bool
live_get_sysctl(const void *rec, struct record_val *v)
{
	return LV(rec)->readable ? record_int(v, LV(rec)->sysctl) : record_null(v);
}

static const struct record_field isn_live_fields[] = {
	RECORD_TEXT(NULL, "model:", struct live, line[0]),
	RECORD_REAL("isn_tick_ns", struct live, tick_ns),
	RECORD_REAL("isn_wrap_s", struct live, wrap_s),
};
static const struct record_desc isn_live_desc = RECORD_DESC("isn here", isn_live_fields);

static const struct record_field msl_live_fields[] = {
	RECORD_TEXT(NULL, "this host:", struct live, line[0]),
	RECORD_FN("time_wait_s", live_get_t0),
	RECORD_FN("tcp_fin_timeout", live_get_sysctl),
};
static const struct record_desc msl_live_desc = RECORD_DESC("msl here", msl_live_fields);

static bool
ctr_get_value(const void *rec, struct record_val *v)
{
	const struct live_ctr *c = rec;

	return c->present ? record_int(v, c->value) : record_null(v);
}

static const struct record_field live_ctr_fields[] = {
	RECORD_TEXT("name", NULL, struct live_ctr, name),
	RECORD_FN("value", ctr_get_value),
};
static const struct record_desc live_ctr_desc = RECORD_DESC("counter here", live_ctr_fields);

static bool
live_get_ctrs(const void *rec, struct record_val *v)
{
	return record_map(v, &live_ctr_desc, LV(rec)->ctr, LV(rec)->nctr, sizeof(struct live_ctr));
}

static const struct record_field syncookies_live_fields[] = {
	RECORD_TEXT(NULL, "this host:", struct live, line[0]),
	RECORD_FN("tcp_syncookies", live_get_sysctl),
	RECORD_TEXT(NULL, "counters:", struct live, line[1]),
	RECORD_FN("counters", live_get_ctrs),
};
static const struct record_desc syncookies_live_desc = RECORD_DESC("syncookies here",
    syncookies_live_fields);

static const struct record_field handshake_live_fields[] = {
	RECORD_TEXT(NULL, "this host:", struct live, line[0]),
	RECORD_FN("synack_giveup_s", live_get_t0),
	RECORD_FN("syn_giveup_s", live_get_t1),
};
static const struct record_desc handshake_live_desc = RECORD_DESC("handshake here",
    handshake_live_fields);

static const struct record_field slab_fields[] = {
	RECORD_INT("objsize", struct td_slab, objsize),
	RECORD_INT("active_objs", struct td_slab, active_objs),
	RECORD_INT("num_objs", struct td_slab, num_objs),
};
static const struct record_desc slab_desc = RECORD_DESC("slab cache", slab_fields);

static bool
cache_get_value(const void *rec, struct record_val *v)
{
	const struct live_cache *c = rec;

	return c->slab->found ? record_obj(v, &slab_desc, c->slab) : record_null(v);
}

static const struct record_field live_cache_fields[] = {
	RECORD_TEXT("name", NULL, struct live_cache, name),
	RECORD_FN("value", cache_get_value),
};
static const struct record_desc live_cache_desc = RECORD_DESC("cache here", live_cache_fields);

static bool
slabinfo_get_readable(const void *rec, struct record_val *v)
{
	return record_bool(v, LV(rec)->slab_err == NULL);
}

static bool
slabinfo_get_caches(const void *rec, struct record_val *v)
{
	return LV(rec)->slab_err == NULL &&
	    record_map(v, &live_cache_desc, LV(rec)->cache, 4, sizeof(struct live_cache));
}

static const struct record_field slabinfo_fields[] = {
	RECORD_FN("readable", slabinfo_get_readable),
	RECORD_TEXT("error", NULL, struct live, slab_err),
	RECORD_FN("caches", slabinfo_get_caches),
};
static const struct record_desc slabinfo_desc = RECORD_DESC("slabinfo", slabinfo_fields);

static bool
live_get_slabinfo(const void *rec, struct record_val *v)
{
	return record_obj(v, &slabinfo_desc, rec);
}

static bool
live_get_tw_bytes(const void *rec, struct record_val *v)
{
	return LV(rec)->slab_err == NULL && LV(rec)->slab[0].found &&
	    record_int(v, (int64_t)LV(rec)->slab[0].objsize);
}

static const struct record_field tw_cost_live_fields[] = {
	RECORD_FN("slabinfo", live_get_slabinfo),
	RECORD_TEXT(NULL, "slab:", struct live, slab_line[0]),
	RECORD_TEXT(NULL, "slab:", struct live, slab_line[1]),
	RECORD_TEXT(NULL, "slab:", struct live, slab_line[2]),
	RECORD_TEXT(NULL, "slab:", struct live, slab_line[3]),
	RECORD_TEXT(NULL, "this host:", struct live, line[0]),
	RECORD_FN("time_wait_bytes", live_get_tw_bytes),
};
static const struct record_desc tw_cost_live_desc = RECORD_DESC("time-wait cost here",
    tw_cost_live_fields);

/* One of the live lines, printf-style. */
static void
live_line(struct live *lv, int i, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
live_line(struct live *lv, int i, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(lv->buf[i], sizeof(lv->buf[i]), fmt, ap);
	va_end(ap);
	lv->line[i] = lv->buf[i];
}

static int64_t
host_sysctl(struct explain *ex, enum td_sysctl_id id, bool *readable)
{
	*readable = ex->snap->sys.s[id].readable;
	return ex->snap->sys.s[id].v[0];
}

static const struct record_desc *
isn_live(struct explain *ex, struct live *lv)
{
	/* seq_scale(): the clock is ktime_get_real_ns() >> isn_shift. */
	lv->tick_ns = ex->p.isn_tick_ns ? (double)ex->p.isn_tick_ns : (double)(1ull << ex->p.isn_shift);
	lv->wrap_s = 4294967296.0 * lv->tick_ns / 1e9;
	live_line(lv, 0, "the clock part ticks every %.0f ns (%.3f per microsecond, %.0f per second); "
	    "the 32-bit space wraps every %.1f s", lv->tick_ns, 1e3 / lv->tick_ns, 1e9 / lv->tick_ns,
	    lv->wrap_s);
	return &isn_live_desc;
}

static const struct record_desc *
msl_live(struct explain *ex, struct live *lv)
{
	struct tm_sockctx orphan = { .orphan = true };
	char a[32], b[32];

	lv->sysctl = host_sysctl(ex, TD_SYS_FIN_TIMEOUT, &lv->readable);
	lv->t[0] = ex->p.timewait_len;
	dur(ex->p.timewait_len, a, sizeof(a));
	dur(tm_state_max_lifetime(&ex->p, TM_FIN_WAIT2, &orphan), b, sizeof(b));
	if (lv->readable)
		live_line(lv, 0, "TIME_WAIT lasts %s whatever tcp_fin_timeout says; tcp_fin_timeout=%" PRId64
		    " bounds only an orphaned FIN_WAIT2 (model: %s)", a, lv->sysctl, b);
	else
		live_line(lv, 0, "TIME_WAIT lasts %s; tcp_fin_timeout is unreadable here "
		    "(it bounds only an orphaned FIN_WAIT2)", a);
	return &msl_live_desc;
}

static const struct record_desc *
syncookies_live(struct explain *ex, struct live *lv)
{
	static const enum td_counter_id ids[] = {
		TD_CTR_SYNCOOKIES_SENT, TD_CTR_SYNCOOKIES_RECV, TD_CTR_SYNCOOKIES_FAILED,
		TD_CTR_REQQ_FULL_DO_COOKIES, TD_CTR_REQQ_FULL_DROP, TD_CTR_LISTEN_DROPS,
	};
	char buf[512];
	size_t i, n = 0;
	int64_t v = host_sysctl(ex, TD_SYS_SYNCOOKIES, &lv->readable);

	lv->sysctl = v;
	if (lv->readable)
		live_line(lv, 0, "tcp_syncookies=%" PRId64 " (%s)", v,
		    v == 0 ? "never: a full SYN queue drops SYNs" :
		    v == 1 ? "cookies only while a listener's SYN queue overflows" :
		    "cookies for every SYN: a test mode, the SYN queue stays empty and only counters show a flood");
	else
		live_line(lv, 0, "tcp_syncookies is unreadable here");
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		const struct td_field *f = &td_counter_fields[ids[i]];
		struct live_ctr *c = &lv->ctr[lv->nctr++];

		c->name = f->key;
		c->present = ex->snap->ctr.present[ids[i]];
		c->value = (int64_t)ex->snap->ctr.v[ids[i]];
		if (!c->present)
			td_appendf(buf, sizeof(buf), &n, "%s%s absent", i ? ", " : "", f->key);
		else
			td_appendf(buf, sizeof(buf), &n, "%s%s %llu", i ? ", " : "", f->key,
			    (unsigned long long)ex->snap->ctr.v[ids[i]]);
	}
	live_line(lv, 1, "%s (since boot or since the namespace was made)", buf);
	return &syncookies_live_desc;
}

static const struct record_desc *
handshake_live(struct explain *ex, struct live *lv)
{
	char a[32], b[32];

	lv->t[0] = tm_synack_giveup(&ex->p);
	lv->t[1] = tm_syn_giveup(&ex->p);
	dur(lv->t[0], a, sizeof(a));
	dur(lv->t[1], b, sizeof(b));
	live_line(lv, 0, "an unanswered request socket expires after %s (tcp_synack_retries=%d); "
	    "connect() to a silent peer fails after %s (tcp_syn_retries=%d)", a,
	    ex->p.synack_retries, b, ex->p.syn_retries);
	return &handshake_live_desc;
}

/* The caches a TIME_WAIT, a request and a full TCP socket come from. */
static const char *const tw_caches[] = { "tw_sock_TCP", "tw_sock_TCPv6", "request_sock_TCP", "TCP" };

static const struct record_desc *
tw_cost_live(struct explain *ex, struct live *lv)
{
	struct td_err err = { 0 };
	const char *where = ex->ctx->from != NULL ?
	    " (this machine's slab caches, not the snapshot's host)" : "";
	uint64_t tw;
	size_t i;

	_Static_assert(ARRAY_SIZE(tw_caches) == ARRAY_SIZE(lv->slab), "one slab a cache");
	if (slabinfo_read(ex->ctx->proc_root, tw_caches, lv->slab, ARRAY_SIZE(tw_caches), &err) < 0) {
		snprintf(lv->err_msg, sizeof(lv->err_msg), "%s", err.msg);
		lv->slab_err = lv->err_msg;
		live_line(lv, 0, "could not read the object sizes: %s%s", err.msg,
		    err.code == EACCES ? " (/proc/slabinfo is readable by root only; run as root to see "
		    "what a TIME_WAIT socket costs here)" : "");
		return &tw_cost_live_desc;
	}
	for (i = 0; i < ARRAY_SIZE(tw_caches); i++) {
		lv->cache[i] = (struct live_cache){ tw_caches[i], &lv->slab[i] };
		if (!lv->slab[i].found)
			snprintf(lv->slab_buf[i], sizeof(lv->slab_buf[i]), "%s is not listed in "
			    "/proc/slabinfo (merged into another cache of the same size; boot with "
			    "slab_nomerge to see it apart)", tw_caches[i]);
		else
			snprintf(lv->slab_buf[i], sizeof(lv->slab_buf[i]),
			    "%-16s %5llu bytes per object, %llu in use (%s)", tw_caches[i],
			    (unsigned long long)lv->slab[i].objsize,
			    (unsigned long long)lv->slab[i].active_objs,
			    i < 2 ? "struct tcp_timewait_sock: a TIME_WAIT or orphaned FIN_WAIT2 connection" :
			    i == 2 ? "struct tcp_request_sock: a SYN_RECV request" :
			    "struct tcp_sock: a full socket");
		lv->slab_line[i] = lv->slab_buf[i];
	}
	if (lv->slab[0].found) {
		tw = ex->snap->ctr.present[TD_CTR_SOCK_TW] ? ex->snap->ctr.v[TD_CTR_SOCK_TW] : 0;
		live_line(lv, 0, "a TIME_WAIT connection costs %llu bytes of slab%s, not 4 KiB; "
		    "100000 of them take %.1f MiB; the %llu timewait sockets of %s (sockstat tw) "
		    "take %.1f KiB", (unsigned long long)lv->slab[0].objsize, where,
		    100000.0 * (double)lv->slab[0].objsize / 1048576.0, (unsigned long long)tw,
		    ex->ctx->from != NULL ? "the snapshot" : "this namespace",
		    (double)tw * (double)lv->slab[0].objsize / 1024.0);
	}
	return &tw_cost_live_desc;
}

/*
 * Each answers a question the folklore gets wrong (the seed article's
 * questions, tests/data/seed-questions.txt) with what Linux does, where in
 * the kernel it is decided, the section of tcpdoctor-tcp(7) that explains
 * it, and what this host shows (the live function).
 */
struct question {
	const char	*name;
	const char	*aliases;	/* blank-separated */
	const char	*title;
	const char	*folklore;	/* what is commonly said */
	const char	*linux;		/* what Linux does */
	const char	*decided;	/* kernel files and functions */
	const char	*knobs;		/* sysctls that matter ("" if none) */
	const char	*see;		/* tcpdoctor-tcp(7) section and commands */
	/* What this host shows: fills *lv, returns the description of what it filled. */
	const struct record_desc *(*live)(struct explain *ex, struct live *lv);
};

static const struct question questions[] = {
	{ "three-way-handshake", "3-way-handshake four-way-handshake 4-way-handshake handshake-segments",
	  "why three segments open a connection, not two and not four",
	  "the three segments let each side confirm that both can send and receive (the seed "
	  "article)",
	  "each side must have its own ISN acknowledged, and the server must learn that the "
	  "client really asked now.  SYN carries the client's ISN; the server's ACK of it and "
	  "its own SYN travel in one segment, the SYN-ACK, which is why there is no fourth; the "
	  "client's ACK proves the SYN was not a stale duplicate (RFC 9293 3.5).  With two "
	  "segments a delayed old SYN would open a connection: Linux keeps only a request socket "
	  "(NEW_SYN_RECV, a few hundred bytes) until the third segment arrives, and a client "
	  "that never asked answers the SYN-ACK with an RST.  Until the third segment the "
	  "request socket retransmits its SYN-ACK and then expires silently, without an RST; "
	  "any later ACK-bearing segment from the client, usually the first data, completes the "
	  "handshake if the bare ACK was lost",
	  "tcp_conn_request() in net/ipv4/tcp_input.c; tcp_check_req() in "
	  "net/ipv4/tcp_minisocks.c; reqsk_timer_handler() in net/ipv4/inet_connection_sock.c; "
	  "tcp_rcv_synsent_state_process() for the client",
	  "tcp_syn_retries tcp_synack_retries",
	  "tcpdoctor-tcp(7) HANDSHAKE; tcpdoctor sim handshake, two-way-handshake, "
	  "lost-third-ack, simultaneous-open", handshake_live },
	{ "isn", "initial-sequence-number sequence-number iss",
	  "the initial sequence number (ISN): fixed, a counter, or random?",
	  "a 32-bit counter that goes up by 1 every 4 ms (the seed article; RFC 793 said every 4 "
	  "microseconds), or a plain random number",
	  "neither fixed nor a global counter: ISN = siphash(saddr, daddr, sport, dport; a secret "
	  "chosen at boot) + ktime_get_real_ns() >> 6.  The clock part ticks every 64 ns (15.625 "
	  "per microsecond, so the 32-bit space wraps about every 275 s), the hash part differs per "
	  "4-tuple, so one connection's ISN tells an attacker nothing about another's (RFC 6528).  "
	  "The timestamp option gets a second per-tuple offset.  A SYN that reopens a TIME_WAIT "
	  "tuple gets ISN = the old connection's SND.NXT + 65535 + 2 instead",
	  "net/core/secure_seq.c secure_tcp_seq() (secure_tcp_seq_and_ts_off() in newer kernels) "
	  "and seq_scale(); tcp_v4_init_seq() in net/ipv4/tcp_ipv4.c; tcp_conn_request() "
	  "(tcp_tw_isn) in net/ipv4/tcp_input.c",
	  "", "tcpdoctor-tcp(7) INITIAL SEQUENCE NUMBER; tcpdoctor sim syn-in-time-wait", isn_live },
	{ "msl", "2msl time-wait-length timewait-length",
	  "MSL and 2MSL: how long TIME_WAIT lasts on Linux",
	  "TIME_WAIT lasts 2 x MSL and each implementation sets its MSL (the seed article); "
	  "shorten it with tcp_fin_timeout (blogs)",
	  "Linux has no MSL setting.  TIME_WAIT lasts TCP_TIMEWAIT_LEN = 60 s, a compile-time "
	  "constant (RFC 9293's 2 x MSL with MSL = 2 min would be 4 min); a retransmitted FIN is "
	  "ACKed again and re-arms the full 60 s; the timer fires up to about 2 s late (timer "
	  "wheel).  tcp_fin_timeout is not the TIME_WAIT length: it bounds only an orphaned "
	  "FIN_WAIT2, as max(tcp_fin_timeout, 3.5 x RTO).  What ends TIME_WAIT early: a SYN "
	  "above RCV.NXT (or with a newer timestamp) reopens the tuple, tcp_tw_reuse lets a "
	  "client's connect() take it over after tcp_tw_reuse_delay, an RST at RCV.NXT kills it "
	  "while tcp_rfc1337=0, and past tcp_max_tw_buckets it is not kept at all "
	  "(TCPTimeWaitOverflow)",
	  "TCP_TIMEWAIT_LEN and tcp_fin_time() in include/net/tcp.h; tcp_time_wait() and "
	  "tcp_timewait_state_process() in net/ipv4/tcp_minisocks.c; inet_twsk_schedule() and "
	  "inet_twsk_reschedule() in net/ipv4/inet_timewait_sock.c",
	  "tcp_fin_timeout (FIN_WAIT2 only) tcp_tw_reuse tcp_rfc1337 tcp_max_tw_buckets",
	  "tcpdoctor-tcp(7) TIME_WAIT; tcpdoctor explain TIME_WAIT; tcpdoctor sim active-close "
	  "lost-last-ack", msl_live },
	{ "syncookies", "syn-cookies syncookie syn-cookie",
	  "SYN cookies: how they work, when they are sent, what they cost",
	  "turn them on to survive SYN floods or heavy load; default 0, off (the seed article's "
	  "sysctl.conf)",
	  "a listener's SYN queue is full when it holds more request sockets than the listen() "
	  "backlog (capped by net.core.somaxconn; tcp_max_syn_backlog is not the limit).  With "
	  "tcp_syncookies=1 (the default) a SYN that finds the queue full is answered with a "
	  "SYN-ACK whose ISN is a cookie: a keyed hash of the 4-tuple, a minute counter and the "
	  "index of the MSS (one of 536, 1300, 1440, 1460); no request socket is kept and the "
	  "SYN-ACK is never retransmitted.  The client's third ACK (ack - 1 is the cookie) is "
	  "checked only while an overflow happened in the last two minutes, and a valid one "
	  "creates the connection directly.  What is lost: the MSS is rounded down to a table "
	  "value, and window scaling, SACK and ECN survive only when the SYN carried timestamps "
	  "(they are coded into the low 6 bits of the SYN-ACK's TSval); without timestamps the "
	  "connection has neither.  tcp_syncookies=2 sends cookies for every SYN (a test mode: "
	  "the SYN queue stays empty, only counters show a flood); =0 drops SYNs while the queue "
	  "is full.  ip-sysctl.rst: cookies \"MUST NOT be used to help highly loaded servers\"; "
	  "raise the listen backlog for load",
	  "tcp_conn_request() and tcp_syn_flood_action() in net/ipv4/tcp_input.c; "
	  "cookie_v4_init_sequence(), cookie_v4_check() and cookie_init_timestamp() in "
	  "net/ipv4/syncookies.c (msstab)",
	  "tcp_syncookies somaxconn tcp_max_syn_backlog tcp_timestamps",
	  "tcpdoctor-tcp(7) SYN COOKIES; tcpdoctor sim syn-flood (--set tcp_syncookies=0 to "
	  "compare); the counters SyncookiesSent, SyncookiesRecv, SyncookiesFailed, "
	  "TCPReqQFullDoCookies, TCPReqQFullDrop; the kernel log line \"Possible SYN flooding on "
	  "port ... Sending cookies.\"", syncookies_live },
	{ "time-wait-cost", "tw-cost timewait-cost time-wait-memory timewait-memory",
	  "what a TIME_WAIT connection costs",
	  "each TIME_WAIT socket takes 4 KiB of memory (the seed article)",
	  "a TIME_WAIT connection is not a socket any more: tcp_time_wait() replaces the full "
	  "socket (struct tcp_sock with its buffers and file) by a struct tcp_timewait_sock from "
	  "the tw_sock_TCP slab cache, a few hundred bytes, plus its slot in the established "
	  "hash; no buffers, no file descriptor, no process.  What TIME_WAIT really holds is the "
	  "4-tuple: for 60 s connect() cannot reuse that local port toward that destination, so "
	  "with the default 28232 ephemeral ports one destination takes about 470 new "
	  "connections per second before connect() fails with EADDRNOTAVAIL (unless tcp_tw_reuse "
	  "applies); a server's TIME_WAIT costs it no port at all",
	  "tcp_time_wait() in net/ipv4/tcp_minisocks.c; inet_twsk_alloc() in "
	  "net/ipv4/inet_timewait_sock.c (the tw_sock_TCP cache); struct tcp_timewait_sock in "
	  "include/linux/tcp.h",
	  "tcp_max_tw_buckets ip_local_port_range tcp_tw_reuse",
	  "tcpdoctor-tcp(7) TIME_WAIT; tcpdoctor check (the time_wait findings)", tw_cost_live },
};

static const struct question *
question_find(const char *topic)
{
	size_t i, n = strlen(topic);
	const char *a;

	for (i = 0; i < ARRAY_SIZE(questions); i++) {
		if (strcasecmp(topic, questions[i].name) == 0)
			return &questions[i];
		for (a = questions[i].aliases; *a != '\0'; a += strspn(a, " ")) {
			size_t len = strcspn(a, " ");

			if (len == n && strncasecmp(a, topic, n) == 0)
				return &questions[i];
			a += len;
		}
	}
	return NULL;
}

static bool
question_match(const char *topic)
{
	return question_find(topic) != NULL;
}

/* A question as explain answers it: the words, then what this host shows. */
struct question_view {
	const char		*kind, *name, *title, *decided, *see;
	const struct question	*q;
	char			*folklore, *linux_, *knobs;
	const struct record_desc *live_desc;
	struct live		 live;
};

#define QV(rec)	((const struct question_view *)(rec))

static bool
question_get_live(const void *rec, struct record_val *v)
{
	return record_obj(v, QV(rec)->live_desc, &QV(rec)->live);
}

static const struct record_field question_fields[] = {
	RECORD_TEXT("kind", NULL, struct question_view, kind),
	RECORD_TEXT("name", NULL, struct question_view, name),
	RECORD_TEXT("title", NULL, struct question_view, title),
	RECORD_TEXT("folklore", "folklore:", struct question_view, folklore),
	RECORD_TEXT("linux", "linux:", struct question_view, linux_),
	RECORD_TEXT("decided_in", "decided in:", struct question_view, decided),
	RECORD_TEXT("knobs", "knobs:", struct question_view, knobs),
	{ .key = "live", .how = RECORD_GET, .get = question_get_live, .flags = RECORD_F_INLINE },
	RECORD_TEXT("see", "see:", struct question_view, see),
};
static const struct record_desc question_desc = RECORD_DESC("question", question_fields);

static void
question_show(struct explain *ex, const char *topic)
{
	struct question_view *v = calloc(1, sizeof(*v));

	if (v == NULL)
		return;
	v->kind = "question";
	v->q = question_find(topic);
	v->name = v->q->name;
	v->title = v->q->title;
	v->decided = v->q->decided;
	v->see = v->q->see;
	if (asprintf(&v->folklore, "%s.", v->q->folklore) < 0)
		v->folklore = NULL;
	if (asprintf(&v->linux_, "%s.", v->q->linux) < 0)
		v->linux_ = NULL;
	if (v->q->knobs[0] != '\0' && asprintf(&v->knobs, "%s (tcpdoctor explain KNOB)", v->q->knobs) < 0)
		v->knobs = NULL;
	v->live_desc = v->q->live(ex, &v->live);
	ex_record(ex, NULL, &question_desc, v, "%s: %s", v->q->name, v->q->title);
	free(v->folklore);
	free(v->linux_);
	free(v->knobs);
	free(v);
}

static void
question_list(struct explain *ex, json_t *index)
{
	struct names l;
	size_t i;

	names_begin(&l, ex, "questions (what Linux really does, where it is decided, what this host shows):");
	for (i = 0; i < ARRAY_SIZE(questions); i++)
		names_add(&l, questions[i].name);
	names_end(&l, index, "questions");
}

/* Order matters: the first provider that knows a topic answers it. */
/* ---- Counters: the collector's list, and the model's runs that move them ---- */

static int
counter_index(const char *topic)
{
	char full[96];
	unsigned int i;

	for (i = 0; i < TD_CTR_MAX; i++) {
		const struct td_field *f = &td_counter_fields[i];

		snprintf(full, sizeof(full), "%s%s", f->section, f->key);
		if (strcmp(topic, f->json) == 0 || strcmp(topic, f->key) == 0 ||
		    strcmp(topic, full) == 0)
			return (int)i;
	}
	return -1;
}

static bool
counter_match(const char *topic)
{
	return counter_index(topic) >= 0;
}

/* The model's counter of the same nstat name, or -1. */
static int
model_counter(const struct td_field *f)
{
	char full[96];
	unsigned int c;

	snprintf(full, sizeof(full), "%s%s", f->section, f->key);
	for (c = 0; c < TM_C_MAX; c++)
		if (strcmp(tm_counter_name((enum tm_counter)c), full) == 0)
			return (int)c;
	return -1;
}

/* A scenario that moves a counter, and by how much. */
struct moved {
	const char	*scenario;
	int64_t		 delta;
};

static const struct record_field moved_fields[] = {
	RECORD_TEXT("scenario", NULL, struct moved, scenario),
	RECORD_INT("delta", struct moved, delta),
};
static const struct record_desc moved_desc = RECORD_DESC("moved", moved_fields);

/* A counter as explain answers it. */
struct counter_view {
	const char	*kind, *name, *section, *json_key, *means;
	bool		 present, modelled;
	uint64_t	 value;
	char		*this_host, *model_line;	/* the table's */
	const char	*see_it;			/* the table's, when modelled */
	struct moved	*moved;
	size_t		 nmoved;
};

#define CTV(rec)	((const struct counter_view *)(rec))

static bool
counter_get_value(const void *rec, struct record_val *v)
{
	/* As jansson's json_int_t held it. */
	return CTV(rec)->present && record_int(v, (int64_t)CTV(rec)->value);
}

static bool
counter_get_moved(const void *rec, struct record_val *v)
{
	return CTV(rec)->modelled &&
	    record_arr(v, &moved_desc, CTV(rec)->moved, CTV(rec)->nmoved, sizeof(struct moved), NULL);
}

static const struct record_field counter_fields[] = {
	RECORD_TEXT("kind", NULL, struct counter_view, kind),
	RECORD_TEXT("name", NULL, struct counter_view, name),
	RECORD_TEXT("section", NULL, struct counter_view, section),
	RECORD_TEXT("json_key", NULL, struct counter_view, json_key),
	RECORD_TEXT("means", "means:", struct counter_view, means),
	RECORD_FN("value", counter_get_value),
	RECORD_TEXT(NULL, "this host:", struct counter_view, this_host),
	RECORD_TEXT(NULL, "model:", struct counter_view, model_line),
	RECORD_FN("scenarios_moving_it", counter_get_moved),
	RECORD_TEXT(NULL, "see it:", struct counter_view, see_it),
};
static const struct record_desc counter_desc = RECORD_DESC("counter", counter_fields);

/* The named scenarios that move model counter mc, run with this host's knobs. */
static size_t
counter_moved(struct explain *ex, int mc, struct moved *out)
{
	const struct tm_scenario *sc;
	struct td_err err = { 0 };
	struct tm_world w;
	size_t n, i, k = 0;
	uint64_t sum;
	unsigned int h;

	sc = tm_scenarios(&n);
	for (i = 0; i < n; i++) {
		if (tm_world_init(&w, 1, false, &err) < 0)
			break;
		if (tm_script_load(&w, sc[i].script, sc[i].name, &ex->p, &err) == 0 &&
		    tm_world_run(&w, TM_SEC(14400), &err) == 0) {
			for (sum = 0, h = 0; h < w.nhosts; h++)
				sum += w.hosts[h].counters[mc];
			if (sum > 0)
				out[k++] = (struct moved){ sc[i].name, (int64_t)sum };
		}
		tm_world_free(&w);
	}
	return k;
}

static void
counter_show(struct explain *ex, const char *topic)
{
	int id = counter_index(topic), mc;
	const struct td_field *f = &td_counter_fields[id];
	struct counter_view v = { .kind = "counter", .name = f->key, .section = f->section,
		.json_key = f->json, .means = f->help, .present = ex->snap->ctr.present[id],
		.value = ex->snap->ctr.v[id] };
	size_t nsc, i, n = 0, cap;

	if (v.present) {
		if (asprintf(&v.this_host, "%llu%s", (unsigned long long)v.value,
		    f->kind == TD_COUNTER ? " since boot (or since the namespace was made)" : " now") < 0)
			v.this_host = NULL;
	} else if ((v.this_host = strdup("absent on this kernel")) == NULL) {
		v.this_host = NULL;
	}
	if ((mc = model_counter(f)) < 0) {
		v.model_line = strdup("the bundled TCP does not keep this counter");
	} else {
		/* Answered by the model: which named scenarios move it, with this host's knobs. */
		tm_scenarios(&nsc);
		v.modelled = true;
		v.see_it = "tcpdoctor sim SCENARIO -j (its counter records)";
		if ((v.moved = calloc(nsc ? nsc : 1, sizeof(*v.moved))) != NULL)
			v.nmoved = counter_moved(ex, mc, v.moved);
		for (i = 0, cap = 64; i < v.nmoved; i++)
			cap += strlen(v.moved[i].scenario) + 32;
		if ((v.model_line = malloc(cap)) != NULL) {
			td_appendf(v.model_line, cap, &n, "moves in%s",
			    v.nmoved == 0 ? " none of the named scenarios" : "");
			for (i = 0; i < v.nmoved; i++)
				td_appendf(v.model_line, cap, &n, "%s %s (+%lld)", i ? "," : "",
				    v.moved[i].scenario, (long long)v.moved[i].delta);
		}
	}
	ex_record(ex, NULL, &counter_desc, &v, "%s%s (%s)", f->section, f->key, f->json);
	free(v.this_host);
	free(v.model_line);
	free(v.moved);
}

static void
counter_list(struct explain *ex, json_t *index)
{
	struct names l;
	unsigned int i;

	names_begin(&l, ex, "counters (nstat names, or ss-like short names):");
	for (i = 0; i < TD_CTR_MAX; i++)
		names_add(&l, td_counter_fields[i].key);
	names_end(&l, index, "counters");
}

static const struct provider providers[] = {
	{ "state", state_match, state_show, state_list },
	{ "question", question_match, question_show, question_list },
	{ "knobs", all_knobs_match, all_knobs_show, NULL },
	{ "knob", knob_match, knob_show, knob_list },
	{ "scenario", scenarios_match, scenarios_show, scenarios_list },
	{ "finding", finding_match, finding_show, finding_list },
	{ "counter", counter_match, counter_show, counter_list },
};

/* ---- "Did you mean": the known topics nearest a misspelt one ---- */

/* Lowercase, '-' as '_', so TIME-WAIT, time_wait and Time-Wait compare equal. */
static void
fold(const char *in, char *out, size_t len)
{
	size_t i;

	for (i = 0; in[i] != '\0' && i + 1 < len; i++)
		out[i] = in[i] == '-' ? '_' : (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

/* Edit distance with adjacent transpositions (optimal string alignment). */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[64][64];

	if (la >= 64 || lb >= 64)
		return SIZE_MAX;
	for (i = 0; i <= la; i++)
		d[i][0] = i;
	for (j = 0; j <= lb; j++)
		d[0][j] = j;
	for (i = 1; i <= la; i++)
		for (j = 1; j <= lb; j++) {
			size_t cost = a[i - 1] != b[j - 1], v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < v)
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

struct suggest {
	char	 topic[64];		/* folded */
	size_t	 best;
	json_t	*names;			/* the nearest, at most 3 */
};

static void
suggest_one(struct suggest *sg, const char *name)
{
	char f[64];
	size_t d, i, tl = strlen(sg->topic), limit = 1 + tl / 5;

	fold(name, f, sizeof(f));
	d = edit_distance(sg->topic, f);
	/* A part of a longer name (fin_timeout, syncookie) is as good as one typo. */
	if (d > limit && tl >= 4 && strstr(f, sg->topic) != NULL)
		d = limit;
	if (d > limit || d > 3 || d > sg->best)
		return;
	if (d < sg->best) {
		json_array_clear(sg->names);
		sg->best = d;
	}
	for (i = 0; i < json_array_size(sg->names); i++)
		if (strcmp(json_string_value(json_array_get(sg->names, i)), name) == 0)
			return;
	if (json_array_size(sg->names) < 3)
		json_array_append_new(sg->names, json_string(name));
}

/* The names nearest TOPIC among every topic explain knows (a new JSON array). */
static json_t *
suggest(struct explain *ex, const char *topic)
{
	struct explain quiet = *ex;
	struct suggest sg = { .best = SIZE_MAX, .names = json_array() };
	json_t *index = json_object(), *arr;
	const char *key, *a;
	size_t i, j;

	fold(topic, sg.topic, sizeof(sg.topic));
	quiet.json = true;			/* the list functions then only fill JSON */
	for (i = 0; i < ARRAY_SIZE(providers); i++)
		if (providers[i].list != NULL)
			providers[i].list(&quiet, index);
	json_object_foreach(index, key, arr)
		for (j = 0; j < json_array_size(arr); j++)
			suggest_one(&sg, json_string_value(json_array_get(arr, j)));
	json_decref(index);
	for (i = 0; i < td_advice_count; i++) {
		const char *dot = strrchr(td_advice_table[i].name, '.');

		/* net.ipv4.tcp_fin_timeout only where tcp_fin_timeout was not offered. */
		for (j = 0; j < json_array_size(sg.names); j++)
			if (dot != NULL && strcmp(json_string_value(json_array_get(sg.names, j)), dot + 1) == 0)
				break;
		if (j == json_array_size(sg.names))
			suggest_one(&sg, td_advice_table[i].name);
	}
	for (i = 0; i < ARRAY_SIZE(questions); i++)
		for (a = questions[i].aliases; *a != '\0'; a += strspn(a, " ")) {
			char one[64];
			size_t len = strcspn(a, " ");

			snprintf(one, sizeof(one), "%.*s", (int)len, a);
			suggest_one(&sg, one);
			a += len;
		}
	suggest_one(&sg, "knobs");
	suggest_one(&sg, "scenarios");
	return sg.names;
}

/*
 * An unknown topic: a usage error naming the nearest topics, and with -j
 * the same as a document ("kind": "unknown", "did_you_mean": [...]) so a
 * script reading stdout sees it too.
 */
static int
unknown_topic(struct explain *ex, const char *topic)
{
	json_t *near = suggest(ex, topic);
	char list[256] = "";
	size_t i, n = 0;
	int status;

	for (i = 0; i < json_array_size(near); i++)
		n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s'%s'",
		    i == 0 ? "" : i + 1 == json_array_size(near) ? " or " : ", ",
		    json_string_value(json_array_get(near, i)));
	if (json_array_size(near) > 0)
		status = cmd_fail(ex->ctx, TD_EXIT_USAGE, "nothing to explain about '%s'; did you mean %s? "
		    "(run `tcpdoctor explain` for the topics)", topic, list);
	else
		status = cmd_fail(ex->ctx, TD_EXIT_USAGE,
		    "nothing to explain about '%s' (run `tcpdoctor explain` for the topics)", topic);
	if (ex->json) {
		json_object_set_new(ex->doc, "topic", json_string(topic));
		json_object_set_new(ex->doc, "kind", json_string("unknown"));
		json_object_set_new(ex->doc, "did_you_mean", near);
		if (output_json_doc(ex->ctx->out, ex->snap, "explain", ex->doc) < 0)
			status = cmd_fail(ex->ctx, TD_EXIT_OSERR, "writing JSON failed");
	} else {
		json_decref(near);
		json_decref(ex->doc);
	}
	return status;
}

int
cmd_explain(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = { CMD_COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	struct explain ex = { .ctx = ctx };
	struct td_source src;
	struct td_err err = { 0 };
	const char *topic = NULL;
	size_t i;
	int ch, status = TD_EXIT_OK;

	for (;;) {
		ch = cmd_getopt(ctx, argc, argv, "", opts, &status);
		if (ch == CMD_OPT_EXIT)
			return status;
		if (ch != -1)
			return cmd_bad_option(ctx, '?', argc, argv);
		if (optind >= argc)
			break;
		/* Options may follow the topic. */
		if (topic != NULL)
			return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
		topic = argv[optind++];
	}
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "explain prints text or json only");
	ex.json = ctx->format == TD_FMT_JSON;
	if ((ex.snap = calloc(1, sizeof(*ex.snap))) == NULL)
		return cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
	/* This host's (or the snapshot's) sysctls make the model answer for it. */
	cmd_source_init(ctx, &src);
	if (source_header(&src, ex.snap, &err) < 0) {
		status = cmd_fail_err(ctx, &err);
		source_close(&src);
		free(ex.snap);
		return status;
	}
	source_close(&src);
	{
		struct td_unseen u;	/* the model takes its knobs from these sysctls */

		unseen_init(&u, ex.snap, true, false);
		unseen_warn(ctx, &u);
	}
	ex.p = tm_profile_from_values(sysctl_value, &ex.snap->sys);
	ex.doc = json_object();
	if (topic != NULL) {
		for (i = 0; i < ARRAY_SIZE(providers); i++)
			if (providers[i].match(topic))
				break;
		if (i == ARRAY_SIZE(providers)) {
			status = unknown_topic(&ex, topic);
			free(ex.snap);
			return status;
		}
	}
	if (topic == NULL) {
		json_t *index = json_object();

		if (!ex.json)
			fputs("tcpdoctor explain TOPIC, where TOPIC is one of:\n", ctx->out);
		for (i = 0; i < ARRAY_SIZE(providers); i++)
			if (providers[i].list != NULL)
				providers[i].list(&ex, index);
		if (!ex.json)
			fputs("also:\n  knobs (every model knob with its value on this host)\n"
			    "how Linux TCP behaves, with the kernel sources: man tcpdoctor-tcp\n", ctx->out);
		json_object_set_new(ex.doc, "topics", index);
	} else {
		json_object_set_new(ex.doc, "topic", json_string(topic));
		providers[i].show(&ex, topic);
	}
	if (ex.json) {
		if (output_json_doc(ctx->out, ex.snap, "explain", ex.doc) < 0)
			status = cmd_fail(ctx, TD_EXIT_OSERR, "writing JSON failed");
	} else {
		json_decref(ex.doc);
	}
	free(ex.snap);
	return status;
}
