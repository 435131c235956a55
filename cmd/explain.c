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
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyzers/advice.h"
#include "analyzers/finding_docs.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "collectors/counters.h"
#include "collectors/snapshot.h"
#include "collectors/source.h"
#include "tcp/sim.h"
#include "tcp/tm.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

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
} state_refs[] = {
	{ TM_ESTABLISHED, "tcp_keepalive_time tcp_keepalive_intvl tcp_keepalive_probes tcp_retries2",
	  "handshake keepalive-dead-peer" },
	{ TM_SYN_SENT, "tcp_syn_retries tcp_syn_linear_timeouts", "lost-syn simultaneous-open" },
	{ TM_SYN_RECV, "tcp_synack_retries tcp_syncookies tcp_max_syn_backlog somaxconn",
	  "lost-synack lost-third-ack syn-flood" },
	{ TM_NEW_SYN_RECV, "tcp_synack_retries tcp_syncookies", "lost-synack syn-flood" },
	{ TM_FIN_WAIT1, "tcp_orphan_retries tcp_retries2", "active-close simultaneous-close" },
	{ TM_FIN_WAIT2, "tcp_fin_timeout", "fin-wait-2-orphan close-wait-leak" },
	{ TM_TIME_WAIT, "tcp_max_tw_buckets tcp_tw_reuse tcp_rfc1337",
	  "active-close lost-last-ack rst-in-time-wait syn-in-time-wait old-duplicate" },
	{ TM_CLOSE, "", "close-with-unread-data" },
	{ TM_CLOSE_WAIT, "", "close-wait-leak passive-close" },
	{ TM_LAST_ACK, "tcp_orphan_retries", "passive-close lost-last-ack" },
	{ TM_LISTEN, "somaxconn tcp_abort_on_overflow tcp_syncookies", "accept-queue-full syn-flood" },
	{ TM_CLOSING, "tcp_orphan_retries", "simultaneous-close" },
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
		}
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
	json_t *a = json_array();
	unsigned int st;

	if (!ex->json)
		fputs("states:\n ", ex->ctx->out);
	for (st = 1; st < TM_STATE_MAX; st++) {
		if (!ex->json)
			fprintf(ex->ctx->out, " %s", tm_state_name(st));
		json_array_append_new(a, json_string(tm_state_name(st)));
	}
	if (!ex->json)
		fputc('\n', ex->ctx->out);
	json_object_set_new(index, "states", a);
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
		if (!ex->json)
			fprintf(out, "%s\n  means:      %s\n  default:    %s\n  safe:       %s\n"
			    "  fixes:      %s\n  does not:   %s\n  facts:      %s\n  risk:       %s\n",
			    adv->name, adv->meaning, adv->dflt, adv->safe, adv->fixes, adv->not_fixes,
			    adv->facts, adv->risk);
		json_object_set_new(ex->doc, "advice", json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
		    "meaning", adv->meaning, "default", adv->dflt, "safe", adv->safe, "fixes", adv->fixes,
		    "not_fixes", adv->not_fixes, "facts", adv->facts, "risk", adv->risk));
		id = adv->sysctl_id;
		if (id >= 0 && id < TD_SYS_MAX && ex->snap->sys.s[id].readable) {
			if (!ex->json)
				fprintf(out, "  this host:  %" PRId64 "\n", ex->snap->sys.s[id].v[0]);
			json_object_set_new(ex->doc, "value", json_integer(ex->snap->sys.s[id].v[0]));
		}
	} else if (k != NULL) {
		json_object_set_new(ex->doc, "name", json_string(k->name));
		if (!ex->json)
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
	json_t *a = json_array();
	size_t n, i;

	k = tm_knobs(&n);
	if (!ex->json)
		fputs("knobs (sysctls; `explain knobs` shows the model's values here):\n ", ex->ctx->out);
	for (i = 0; i < n; i++) {
		if (k[i].sysctl < 0)
			continue;
		if (!ex->json)
			fprintf(ex->ctx->out, " %s", k[i].name);
		json_array_append_new(a, json_string(k[i].name));
	}
	if (!ex->json)
		fputc('\n', ex->ctx->out);
	json_object_set_new(index, "knobs", a);
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
			    k[i].unit == TM_KU_MS ? "ms" : "", k[i].what,
			    k[i].sysctl < 0 ? " (model only)" : "");
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

static void
scenarios_show(struct explain *ex, const char *topic)
{
	const struct tm_scenario *sc = tm_scenarios(&(size_t){ 0 }), *one = tm_scenario_find(topic);
	size_t n, i;

	tm_scenarios(&n);
	json_object_set_new(ex->doc, "kind", json_string("scenario"));
	for (i = 0; i < n; i++) {
		if (one != NULL && &sc[i] != one)
			continue;
		if (!ex->json)
			fprintf(ex->ctx->out, "%s\n  question:   %s (%s)\n  linux:      %s\n  checked:    %s\n"
			    "  run it:     tcpdoctor sim %s\n", sc[i].name, sc[i].question, sc[i].question_en,
			    sc[i].answer, sc[i].verified, sc[i].name);
		if (one != NULL) {
			json_object_set_new(ex->doc, "name", json_string(one->name));
			json_object_set_new(ex->doc, "question", json_string(one->question));
			json_object_set_new(ex->doc, "answer", json_string(one->answer));
			json_object_set_new(ex->doc, "verified", json_string(one->verified));
		}
	}
}

static void
scenarios_list(struct explain *ex, json_t *index)
{
	const struct tm_scenario *sc;
	json_t *a = json_array();
	size_t n, i;

	sc = tm_scenarios(&n);
	if (!ex->json)
		fputs("scenarios (what Linux really does, with a simulation):\n ", ex->ctx->out);
	for (i = 0; i < n; i++) {
		if (!ex->json)
			fprintf(ex->ctx->out, " %s", sc[i].name);
		json_array_append_new(a, json_string(sc[i].name));
	}
	if (!ex->json)
		fputc('\n', ex->ctx->out);
	json_object_set_new(index, "scenarios", a);
}

/* ---- Finding ids: analyzers/finding_docs.c ---- */

static bool
finding_match(const char *topic)
{
	return finding_doc_find(topic) != NULL;
}

static void
finding_show(struct explain *ex, const char *topic)
{
	const struct td_finding_doc *d = finding_doc_find(topic);

	json_object_set_new(ex->doc, "kind", json_string("finding"));
	json_object_set_new(ex->doc, "finding", json_pack("{s:s, s:s, s:s, s:s, s:s}",
	    "id", d->id, "means", d->means, "evidence", d->evidence, "fix", d->fix,
	    "not_fix", d->not_fix));
	if (!ex->json)
		fprintf(ex->ctx->out, "%s (a finding of tcpdoctor check)\n  means:      %s\n"
		    "  evidence:   %s\n  fix:        %s\n%s%s%s", d->id, d->means, d->evidence, d->fix,
		    d->not_fix[0] != '\0' ? "  not:        " : "", d->not_fix,
		    d->not_fix[0] != '\0' ? "\n" : "");
}

static void
finding_list(struct explain *ex, json_t *index)
{
	json_t *a = json_array();
	size_t i;

	if (!ex->json)
		fputs("findings (ids of tcpdoctor check):\n ", ex->ctx->out);
	for (i = 0; i < td_finding_doc_count; i++) {
		if (!ex->json)
			fprintf(ex->ctx->out, " %s", td_finding_docs[i].id);
		json_array_append_new(a, json_string(td_finding_docs[i].id));
	}
	if (!ex->json)
		fputc('\n', ex->ctx->out);
	json_object_set_new(index, "findings", a);
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
	json_t *a = json_array();
	unsigned int i;

	if (!ex->json)
		fputs("counters (nstat names, or ss-like short names):\n ", ex->ctx->out);
	for (i = 0; i < TD_CTR_MAX; i++) {
		if (!ex->json)
			fprintf(ex->ctx->out, " %s", td_counter_fields[i].key);
		json_array_append_new(a, json_string(td_counter_fields[i].key));
	}
	if (!ex->json)
		fputc('\n', ex->ctx->out);
	json_object_set_new(index, "counters", a);
}

static const struct provider providers[] = {
	{ "state", state_match, state_show, state_list },
	{ "knobs", all_knobs_match, all_knobs_show, NULL },
	{ "knob", knob_match, knob_show, knob_list },
	{ "scenario", scenarios_match, scenarios_show, scenarios_list },
	{ "finding", finding_match, finding_show, finding_list },
	{ "counter", counter_match, counter_show, counter_list },
};

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
	if (topic != NULL) {
		for (i = 0; i < ARRAY_SIZE(providers); i++)
			if (providers[i].match(topic))
				break;
		if (i == ARRAY_SIZE(providers))
			return cmd_fail(ctx, TD_EXIT_USAGE,
			    "nothing to explain about '%s' (run `tcpdoctor explain` for the topics)", topic);
	}
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
	ex.p = tm_profile_from_sysctls(&ex.snap->sys);
	ex.doc = json_object();
	if (topic == NULL) {
		json_t *index = json_object();

		if (!ex.json)
			fputs("tcpdoctor explain TOPIC, where TOPIC is one of:\n", ctx->out);
		for (i = 0; i < ARRAY_SIZE(providers); i++)
			if (providers[i].list != NULL)
				providers[i].list(&ex, index);
		if (!ex.json)
			fputs("also:\n  knobs (every model knob with its value on this host)\n", ctx->out);
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
