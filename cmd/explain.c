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
 * function (does this provider know TOPIC?), a show function (text and
 * JSON), and a list function for the index.  Counters and finding ids join
 * the same way.
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

static json_t *
dur_json(tm_time t)
{
	return t == TM_TIME_INF ? json_null() : json_real((double)t / 1e9);
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

static void
state_show(struct explain *ex, const char *topic)
{
	enum tm_state st = (enum tm_state)tm_state_parse(topic);
	const struct tm_state_info *info = tm_state_info(st);
	struct tm_state_timer tm[8];
	struct tm_sockctx orphan = { .orphan = true }, ka = { .keepalive = true };
	const struct tm_transition *tr;
	char ev[256], a[32], b[32];
	size_t n, i, nt;
	FILE *out = ex->ctx->out;
	tm_time life = tm_state_max_lifetime(&ex->p, st, NULL);
	tm_time life_orphan = tm_state_max_lifetime(&ex->p, st, &orphan);
	tm_time life_ka = tm_state_max_lifetime(&ex->p, st, &ka);
	json_t *timers = json_array(), *edges = json_array();

	events_text(tm_state_waits(&ex->p, st), ev, sizeof(ev));
	nt = tm_state_timers(&ex->p, st, NULL, tm, ARRAY_SIZE(tm));
	tr = tm_transitions(&n);
	if (!ex->json) {
		fprintf(out, "%s%s\n", tm_state_name(st), st == TM_NEW_SYN_RECV ?
		    " (kernel-internal; ss shows it as SYN-RECV)" : "");
		fprintf(out, "  means:      %s\n", info->meaning);
		fprintf(out, "  waits for:  %s\n", info->waits_for);
		fprintf(out, "  events:     %s\n", ev[0] ? ev : "none");
		fprintf(out, "  timers on this host (model, linux profile, this host's sysctls):\n");
		if (nt == 0)
			fprintf(out, "    none\n");
	}
	for (i = 0; i < nt; i++) {
		dur(tm[i].first, a, sizeof(a));
		dur(tm[i].total, b, sizeof(b));
		if (!ex->json)
			fprintf(out, "    %-10s first after %s, gives up after %s: %s\n",
			    tm_timer_name(tm[i].timer), a, b, tm[i].what);
		json_array_append_new(timers, json_pack("{s:s, s:o, s:o, s:s}", "timer",
		    tm_timer_name(tm[i].timer), "first", dur_json(tm[i].first), "total",
		    dur_json(tm[i].total), "what", tm[i].what));
	}
	if (!ex->json) {
		dur(life, a, sizeof(a));
		fprintf(out, "  longest stay: %s", a);
		if (life_orphan != life) {
			dur(life_orphan, b, sizeof(b));
			fprintf(out, "; after close() (orphan): %s", b);
		}
		if (life_ka != life) {
			dur(life_ka, b, sizeof(b));
			fprintf(out, "; with SO_KEEPALIVE: %s", b);
		}
		fputc('\n', out);
		fprintf(out, "  leaves by:  %s\n", info->leaves_by);
		fprintf(out, "  edges (model's transition table; * = kernel-only, not in RFC 9293):\n");
	}
	for (i = 0; i < n; i++) {
		if (tr[i].from != st || !(tr[i].flags & (ex->p.minisocks ? TM_TR_LINUX : TM_TR_RFC)))
			continue;
		if (!ex->json)
			fprintf(out, "    %s%s -> %s on %s%s: %s\n", tr[i].obj == TM_OBJ_FULL ? "" :
			    tr[i].obj == TM_OBJ_REQ ? "(request) " : "(timewait) ", tm_state_name(tr[i].from),
			    tm_state_name(tr[i].to), tm_event_name(tr[i].event),
			    (tr[i].flags & TM_TR_KERNEL) ? " *" : "", tr[i].why);
		json_array_append_new(edges, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "object",
		    tm_obj_name(tr[i].obj), "from", tm_state_name(tr[i].from), "to",
		    tm_state_name(tr[i].to), "event", tm_event_name(tr[i].event), "kernel_only",
		    (tr[i].flags & TM_TR_KERNEL) != 0, "source", tr[i].why));
	}
	for (i = 0; i < ARRAY_SIZE(state_refs); i++) {
		if (state_refs[i].st != st)
			continue;
		if (!ex->json) {
			if (state_refs[i].knobs[0])
				fprintf(out, "  knobs:      %s (tcpdoctor explain KNOB)\n", state_refs[i].knobs);
			fprintf(out, "  see it:     tcpdoctor sim %s\n", state_refs[i].scenarios);
			fprintf(out, "  read:       tcpdoctor-tcp(7) %s\n", state_refs[i].man);
		}
		json_object_set_new(ex->doc, "man", json_pack("s+", "tcpdoctor-tcp(7) ", state_refs[i].man));
		json_object_set_new(ex->doc, "knobs", json_string(state_refs[i].knobs));
		json_object_set_new(ex->doc, "scenarios", json_string(state_refs[i].scenarios));
	}
	if (!ex->json)
		fprintf(out, "  a pile of them: %s\n", info->pile_means);
	json_object_set_new(ex->doc, "kind", json_string("state"));
	json_object_set_new(ex->doc, "state", json_string(tm_state_name(st)));
	json_object_set_new(ex->doc, "means", json_string(info->meaning));
	json_object_set_new(ex->doc, "waits_for", json_string(info->waits_for));
	json_object_set_new(ex->doc, "events", json_string(ev));
	json_object_set_new(ex->doc, "timers", timers);
	json_object_set_new(ex->doc, "max_lifetime", dur_json(life));
	json_object_set_new(ex->doc, "max_lifetime_orphan", dur_json(life_orphan));
	json_object_set_new(ex->doc, "max_lifetime_keepalive", dur_json(life_ka));
	json_object_set_new(ex->doc, "leaves_by", json_string(info->leaves_by));
	json_object_set_new(ex->doc, "edges", edges);
	json_object_set_new(ex->doc, "pile_means", json_string(info->pile_means));
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
		dur(tm_retries_timeout(p, p->retries2, p->rto_min), a, sizeof(a));
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

static void
knob_show(struct explain *ex, const char *topic)
{
	const struct td_advice *adv = advice_find(topic);
	const struct tm_knob *k = tm_knob_find(topic);
	FILE *out = ex->ctx->out;
	char model[200] = "";
	int id;

	if (k == NULL && adv != NULL) {
		const char *dot = strrchr(adv->name, '.');

		k = tm_knob_find(dot ? dot + 1 : adv->name);
	}
	if (k != NULL)
		knob_model(ex, k, model, sizeof(model));
	json_object_set_new(ex->doc, "kind", json_string("knob"));
	if (adv != NULL) {
		json_object_set_new(ex->doc, "name", json_string(adv->name));
		ex_record(ex, "advice", &advice_desc, adv, "%s", adv->name);
		id = adv->sysctl_id;
		if (id >= 0 && id < TD_SYS_MAX && ex->snap->sys.s[id].readable) {
			if (!ex->json)
				fprintf(out, "  this host:  %" PRId64 "\n", ex->snap->sys.s[id].v[0]);
			json_object_set_new(ex->doc, "value", json_integer(ex->snap->sys.s[id].v[0]));
		}
	} else if (k != NULL) {
		json_object_set_new(ex->doc, "name", json_string(k->name));
		if (!ex->json && k->sysctl != NULL)
			fprintf(out, "%s (sysctl %s; no advice on it)\n  means:      %s\n", k->name,
			    k->sysctl, k->what);
		else if (!ex->json)
			fprintf(out, "%s (a model knob, not a sysctl)\n  means:      %s\n", k->name, k->what);
	}
	if (k != NULL) {
		json_object_set_new(ex->doc, "model_value", json_integer(tm_knob_get(&ex->p, k)));
		if (!ex->json)
			fprintf(out, "  model:      %s=%" PRId64 "%s%s\n", k->name, tm_knob_get(&ex->p, k),
			    model[0] ? "; " : "", model);
		if (model[0])
			json_object_set_new(ex->doc, "model", json_string(model));
	}
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

static void
all_knobs_show(struct explain *ex, const char *topic)
{
	const struct tm_knob *k;
	json_t *o = json_object();
	size_t n, i;

	(void)topic;
	k = tm_knobs(&n);
	if (!ex->json)
		fputs("knob                        here   unit  what\n", ex->ctx->out);
	for (i = 0; i < n; i++) {
		if (!ex->json)
			fprintf(ex->ctx->out, "%-26s %6" PRId64 "   %-4s  %s%s\n", k[i].name,
			    tm_knob_get(&ex->p, &k[i]), k[i].unit == TM_KU_SEC ? "s" :
			    k[i].unit == TM_KU_MS ? "ms" : k[i].unit == TM_KU_US ? "us" : "", k[i].what,
			    k[i].sysctl == NULL ? " (model only)" : "");
		json_object_set_new(o, k[i].name, json_integer(tm_knob_get(&ex->p, &k[i])));
	}
	json_object_set_new(ex->doc, "kind", json_string("knobs"));
	json_object_set_new(ex->doc, "knobs", o);
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
	void		(*live)(struct explain *ex);
};

/* One "  label: text" line in text, one string member in JSON. */
static void
say(struct explain *ex, const char *label, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
say(struct explain *ex, const char *label, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *text = NULL;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (text == NULL)
		return;
	if (!ex->json)
		fprintf(ex->ctx->out, "  %-11s %s\n", label, text);
	if (key != NULL)
		json_object_set_new(ex->doc, key, json_string(text));
	free(text);
}

static int64_t
host_sysctl(struct explain *ex, enum td_sysctl_id id, bool *readable)
{
	*readable = ex->snap->sys.s[id].readable;
	return ex->snap->sys.s[id].v[0];
}

static void
isn_live(struct explain *ex)
{
	/* seq_scale(): the clock is ktime_get_real_ns() >> isn_shift. */
	double tick_ns = ex->p.isn_tick_ns ? (double)ex->p.isn_tick_ns : (double)(1ull << ex->p.isn_shift);
	double wrap_s = 4294967296.0 * tick_ns / 1e9;

	say(ex, "model:", NULL, "the clock part ticks every %.0f ns (%.3f per microsecond, %.0f per second); "
	    "the 32-bit space wraps every %.1f s", tick_ns, 1e3 / tick_ns, 1e9 / tick_ns, wrap_s);
	json_object_set_new(ex->doc, "isn_tick_ns", json_real(tick_ns));
	json_object_set_new(ex->doc, "isn_wrap_s", json_real(wrap_s));
}

static void
msl_live(struct explain *ex)
{
	struct tm_sockctx orphan = { .orphan = true };
	char a[32], b[32];
	bool r;
	int64_t fin = host_sysctl(ex, TD_SYS_FIN_TIMEOUT, &r);

	dur(ex->p.timewait_len, a, sizeof(a));
	dur(tm_state_max_lifetime(&ex->p, TM_FIN_WAIT2, &orphan), b, sizeof(b));
	if (r)
		say(ex, "this host:", NULL, "TIME_WAIT lasts %s whatever tcp_fin_timeout says; tcp_fin_timeout=%" PRId64
		    " bounds only an orphaned FIN_WAIT2 (model: %s)", a, fin, b);
	else
		say(ex, "this host:", NULL, "TIME_WAIT lasts %s; tcp_fin_timeout is unreadable here "
		    "(it bounds only an orphaned FIN_WAIT2)", a);
	json_object_set_new(ex->doc, "time_wait_s", dur_json(ex->p.timewait_len));
	json_object_set_new(ex->doc, "tcp_fin_timeout", r ? json_integer(fin) : json_null());
}

static void
syncookies_live(struct explain *ex)
{
	static const enum td_counter_id ids[] = {
		TD_CTR_SYNCOOKIES_SENT, TD_CTR_SYNCOOKIES_RECV, TD_CTR_SYNCOOKIES_FAILED,
		TD_CTR_REQQ_FULL_DO_COOKIES, TD_CTR_REQQ_FULL_DROP, TD_CTR_LISTEN_DROPS,
	};
	json_t *c = json_object();
	char buf[512];
	size_t i, n = 0;
	bool r;
	int64_t v = host_sysctl(ex, TD_SYS_SYNCOOKIES, &r);

	if (r)
		say(ex, "this host:", NULL, "tcp_syncookies=%" PRId64 " (%s)", v,
		    v == 0 ? "never: a full SYN queue drops SYNs" :
		    v == 1 ? "cookies only while a listener's SYN queue overflows" :
		    "cookies for every SYN: a test mode, the SYN queue stays empty and only counters show a flood");
	else
		say(ex, "this host:", NULL, "tcp_syncookies is unreadable here");
	json_object_set_new(ex->doc, "tcp_syncookies", r ? json_integer(v) : json_null());
	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		const struct td_field *f = &td_counter_fields[ids[i]];

		if (!ex->snap->ctr.present[ids[i]]) {
			json_object_set_new(c, f->key, json_null());
			n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s absent",
			    i ? ", " : "", f->key);
			continue;
		}
		json_object_set_new(c, f->key, json_integer((json_int_t)ex->snap->ctr.v[ids[i]]));
		n += (size_t)snprintf(buf + n, n < sizeof(buf) ? sizeof(buf) - n : 0, "%s%s %llu",
		    i ? ", " : "", f->key, (unsigned long long)ex->snap->ctr.v[ids[i]]);
	}
	say(ex, "counters:", NULL, "%s (since boot or since the namespace was made)", buf);
	json_object_set_new(ex->doc, "counters", c);
}

static void
handshake_live(struct explain *ex)
{
	char a[32], b[32];

	dur(tm_synack_giveup(&ex->p), a, sizeof(a));
	dur(tm_syn_giveup(&ex->p), b, sizeof(b));
	say(ex, "this host:", NULL, "an unanswered request socket expires after %s (tcp_synack_retries=%d); "
	    "connect() to a silent peer fails after %s (tcp_syn_retries=%d)", a,
	    ex->p.synack_retries, b, ex->p.syn_retries);
	json_object_set_new(ex->doc, "synack_giveup_s", dur_json(tm_synack_giveup(&ex->p)));
	json_object_set_new(ex->doc, "syn_giveup_s", dur_json(tm_syn_giveup(&ex->p)));
}

/* The caches a TIME_WAIT, a request and a full TCP socket come from. */
static const char *const tw_caches[] = { "tw_sock_TCP", "tw_sock_TCPv6", "request_sock_TCP", "TCP" };

static void
tw_cost_live(struct explain *ex)
{
	struct td_slab slab[ARRAY_SIZE(tw_caches)];
	struct td_err err = { 0 };
	json_t *j = json_object(), *caches = json_object();
	const char *where = ex->ctx->from != NULL ?
	    " (this machine's slab caches, not the snapshot's host)" : "";
	size_t i;

	json_object_set_new(ex->doc, "slabinfo", j);
	if (slabinfo_read(ex->ctx->proc_root, tw_caches, slab, ARRAY_SIZE(tw_caches), &err) < 0) {
		say(ex, "this host:", NULL, "could not read the object sizes: %s%s", err.msg,
		    err.code == EACCES ? " (/proc/slabinfo is readable by root only; run as root to see "
		    "what a TIME_WAIT socket costs here)" : "");
		json_object_set_new(j, "readable", json_false());
		json_object_set_new(j, "error", json_string(err.msg));
		json_decref(caches);
		return;
	}
	json_object_set_new(j, "readable", json_true());
	json_object_set_new(j, "caches", caches);
	for (i = 0; i < ARRAY_SIZE(tw_caches); i++) {
		if (!slab[i].found) {
			say(ex, "slab:", NULL, "%s is not listed in /proc/slabinfo (merged into another cache "
			    "of the same size; boot with slab_nomerge to see it apart)", tw_caches[i]);
			json_object_set_new(caches, tw_caches[i], json_null());
			continue;
		}
		json_object_set_new(caches, tw_caches[i], json_pack("{s:I, s:I, s:I}", "objsize",
		    (json_int_t)slab[i].objsize, "active_objs", (json_int_t)slab[i].active_objs,
		    "num_objs", (json_int_t)slab[i].num_objs));
		say(ex, "slab:", NULL, "%-16s %5llu bytes per object, %llu in use (%s)", tw_caches[i],
		    (unsigned long long)slab[i].objsize, (unsigned long long)slab[i].active_objs,
		    i < 2 ? "struct tcp_timewait_sock: a TIME_WAIT or orphaned FIN_WAIT2 connection" :
		    i == 2 ? "struct tcp_request_sock: a SYN_RECV request" : "struct tcp_sock: a full socket");
	}
	if (slab[0].found) {
		uint64_t tw = ex->snap->ctr.present[TD_CTR_SOCK_TW] ? ex->snap->ctr.v[TD_CTR_SOCK_TW] : 0;

		say(ex, "this host:", NULL, "a TIME_WAIT connection costs %llu bytes of slab%s, not 4 KiB; "
		    "100000 of them take %.1f MiB; the %llu timewait sockets of %s (sockstat tw) "
		    "take %.1f KiB", (unsigned long long)slab[0].objsize, where,
		    100000.0 * (double)slab[0].objsize / 1048576.0, (unsigned long long)tw,
		    ex->ctx->from != NULL ? "the snapshot" : "this namespace",
		    (double)tw * (double)slab[0].objsize / 1024.0);
		json_object_set_new(ex->doc, "time_wait_bytes", json_integer((json_int_t)slab[0].objsize));
	}
}

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

static void
question_show(struct explain *ex, const char *topic)
{
	const struct question *q = question_find(topic);

	json_object_set_new(ex->doc, "kind", json_string("question"));
	json_object_set_new(ex->doc, "name", json_string(q->name));
	if (!ex->json)
		fprintf(ex->ctx->out, "%s: %s\n", q->name, q->title);
	json_object_set_new(ex->doc, "title", json_string(q->title));
	say(ex, "folklore:", "folklore", "%s.", q->folklore);
	say(ex, "linux:", "linux", "%s.", q->linux);
	say(ex, "decided in:", "decided_in", "%s", q->decided);
	if (q->knobs[0] != '\0')
		say(ex, "knobs:", "knobs", "%s (tcpdoctor explain KNOB)", q->knobs);
	q->live(ex);
	say(ex, "see:", "see", "%s", q->see);
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

static void
counter_show(struct explain *ex, const char *topic)
{
	int id = counter_index(topic), mc;
	const struct td_field *f = &td_counter_fields[id];
	const struct tm_scenario *sc;
	json_t *moved = json_array();
	struct td_err err = { 0 };
	struct tm_world w;
	FILE *out = ex->ctx->out;
	size_t n, i;
	uint64_t sum;
	unsigned int h;

	json_object_set_new(ex->doc, "kind", json_string("counter"));
	json_object_set_new(ex->doc, "name", json_string(f->key));
	json_object_set_new(ex->doc, "section", json_string(f->section));
	json_object_set_new(ex->doc, "json_key", json_string(f->json));
	json_object_set_new(ex->doc, "means", json_string(f->help));
	if (!ex->json)
		fprintf(out, "%s%s (%s)\n  means:      %s\n", f->section, f->key, f->json, f->help);
	if (ex->snap->ctr.present[id]) {
		json_object_set_new(ex->doc, "value", json_integer((json_int_t)ex->snap->ctr.v[id]));
		if (!ex->json)
			fprintf(out, "  this host:  %llu%s\n", (unsigned long long)ex->snap->ctr.v[id],
			    f->kind == TD_COUNTER ? " since boot (or since the namespace was made)" : " now");
	} else if (!ex->json) {
		fprintf(out, "  this host:  absent on this kernel\n");
	}
	if ((mc = model_counter(f)) < 0) {
		if (!ex->json)
			fprintf(out, "  model:      the bundled TCP does not keep this counter\n");
		json_decref(moved);
		return;
	}
	/* Answered by the model: which named scenarios move it, with this host's knobs. */
	sc = tm_scenarios(&n);
	for (i = 0; i < n; i++) {
		if (tm_world_init(&w, 1, false, &err) < 0)
			break;
		if (tm_script_load(&w, sc[i].script, sc[i].name, &ex->p, &err) == 0 &&
		    tm_world_run(&w, TM_SEC(14400), &err) == 0) {
			for (sum = 0, h = 0; h < w.nhosts; h++)
				sum += w.hosts[h].counters[mc];
			if (sum > 0)
				json_array_append_new(moved, json_pack("{s:s, s:I}", "scenario", sc[i].name,
				    "delta", (json_int_t)sum));
		}
		tm_world_free(&w);
	}
	if (!ex->json) {
		fprintf(out, "  model:      moves in");
		if (json_array_size(moved) == 0)
			fprintf(out, " none of the named scenarios");
		for (i = 0; i < json_array_size(moved); i++) {
			json_t *m = json_array_get(moved, i);

			fprintf(out, "%s %s (+%lld)", i ? "," : "", json_string_value(json_object_get(m, "scenario")),
			    (long long)json_integer_value(json_object_get(m, "delta")));
		}
		fprintf(out, "\n  see it:     tcpdoctor sim SCENARIO -j (its counter records)\n");
	}
	json_object_set_new(ex->doc, "scenarios_moving_it", moved);
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
