/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor sim SCENARIO | -f FILE [--profile P] [--seed N] [--set K=V]... [-j]
 *
 * Runs a named scenario or a script through the simulator (sim/sim.h) and
 * prints a ladder diagram (times, flags, relative seq/ack, each side's state
 * changes and application calls) or the event log as JSON.  Without an
 * argument it lists the named scenarios.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "collectors/source.h"
#include "collectors/snapshot.h"
#include "core/ladder.h"
#include "core/num.h"
#include "lab/runner.h"
#include "sim/sim.h"
#include "core/safefile.h"

#define SCRIPT_MAX	(1 << 20)
#define MAX_ISN		4096
#define EXT_SHOWN	2	/* outside addresses shown in full in the ladder */

/* ---- Relative sequence numbers: the ISN of each direction of each tuple ---- */

struct isn_ent {
	struct in6_addr	src;
	uint16_t	sport, dport;
	tm_seq		isn, prev;	/* prev: the ISN of the tuple's previous incarnation */
	bool		has_prev;
};

struct rel {
	struct isn_ent	e[MAX_ISN];
	unsigned int	n;
};

static struct isn_ent *
rel_find(struct rel *r, const struct in6_addr *src, uint16_t sport, uint16_t dport)
{
	unsigned int i;

	for (i = 0; i < r->n; i++)
		if (r->e[i].sport == sport && r->e[i].dport == dport &&
		    memcmp(&r->e[i].src, src, sizeof(*src)) == 0)
			return &r->e[i];
	return NULL;
}

static void
rel_learn(struct rel *r, const struct tm_seg *s)
{
	struct isn_ent *e;

	if (!(s->flags & TM_SYN))
		return;
	if ((e = rel_find(r, &s->src.a, s->sport, s->dport)) == NULL) {
		if (r->n == MAX_ISN)
			return;
		e = &r->e[r->n++];
		e->src = s->src.a;
		e->sport = s->sport;
		e->dport = s->dport;
	} else if (e->isn != s->seq) {
		e->prev = e->isn;
		e->has_prev = true;
	}
	e->isn = s->seq;
}

/*
 * Relative seq and ack (signed: a segment of an older incarnation is
 * negative); false in *has_seq / *has_ack when the ISN is unknown.
 */
static void
rel_of(struct rel *r, const struct tm_seg *s, int64_t *seq, int64_t *ack, bool *has_seq, bool *has_ack)
{
	struct isn_ent *e = rel_find(r, &s->src.a, s->sport, s->dport);
	struct isn_ent *b = rel_find(r, &s->dst.a, s->dport, s->sport);

	*has_seq = e != NULL;
	*has_ack = b != NULL && (s->flags & TM_ACK);
	*seq = e ? (int64_t)(int32_t)(s->seq - e->isn) : 0;
	*ack = *has_ack ? (int64_t)(int32_t)(s->ack - b->isn) : 0;
}

static void
addr_str(const struct tm_addr *a, char *buf, size_t len)
{
	static const uint8_t v4pre[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(a->a.s6_addr, v4pre, 12) == 0)
		inet_ntop(AF_INET, &a->a.s6_addr[12], buf, (socklen_t)len);
	else
		inet_ntop(AF_INET6, &a->a, buf, (socklen_t)len);
}

/* A segment for the ladder renderer: relative seq/ack where the ISN is known. */
static void
seg_lseg(struct rel *r, const struct tm_seg *s, bool rtx, struct td_lseg *out)
{
	struct isn_ent *e;
	size_t n = 0;

	tm_seg_ladder(s, out);
	rel_of(r, s, &out->rseq, &out->rack, &out->has_rseq, &out->has_rack);
	if ((s->flags & TM_SYN) && (e = rel_find(r, &s->src.a, s->sport, s->dport)) != NULL &&
	    e->has_prev && e->isn == s->seq)
		n += (size_t)snprintf(out->tags, sizeof(out->tags), "ISN=old+%" PRIu32,
		    (uint32_t)(e->isn - e->prev));
	if (rtx && n < sizeof(out->tags))
		snprintf(out->tags + n, sizeof(out->tags) - n, "%s(rtx)", n ? " " : "");
}

/* ---- The ladder ---- */

struct ladder {
	struct td_ladder view;
	const struct tm_world *w;
	struct rel	 rel;
	struct in6_addr	 ext[EXT_SHOWN];
	unsigned int	 next;
	unsigned long	 hidden;
	struct in6_addr	 last_in_src[TM_MAX_HOSTS];	/* source of the last segment in */
	bool		 last_in_hidden[TM_MAX_HOSTS];
	tm_time		 last_in_at[TM_MAX_HOSTS];
	uint32_t	 hidden_sock[TM_MAX_HOSTS][64];
	unsigned int	 nhidden_sock[TM_MAX_HOSTS];
	struct tm_effect pending;	/* a SEG_OUT waiting: is it lost? */
	bool		 has_pending;
};

static bool
is_host_addr(const struct tm_world *w, const struct tm_addr *a)
{
	unsigned int i;

	for (i = 0; i < w->nhosts; i++)
		if (memcmp(&w->hosts[i].addr.a, &a->a, sizeof(a->a)) == 0)
			return true;
	return false;
}

/* An outside address beyond the first EXT_SHOWN is summarised, not drawn. */
static bool
ext_hidden(struct ladder *l, const struct tm_addr *a)
{
	unsigned int i;

	if (is_host_addr(l->w, a))
		return false;
	for (i = 0; i < l->next; i++)
		if (memcmp(&l->ext[i], &a->a, sizeof(a->a)) == 0)
			return false;
	if (l->next < EXT_SHOWN) {
		l->ext[l->next++] = a->a;
		return false;
	}
	return true;
}

static bool
sock_hidden(struct ladder *l, unsigned int host, uint32_t sock)
{
	unsigned int i;

	if (host >= TM_MAX_HOSTS || sock == 0)
		return false;
	for (i = 0; i < l->nhidden_sock[host]; i++)
		if (l->hidden_sock[host][i] == sock)
			return true;
	return false;
}

static void
hide_sock(struct ladder *l, unsigned int host, uint32_t sock)
{
	if (host < TM_MAX_HOSTS && sock && !sock_hidden(l, host, sock) && l->nhidden_sock[host] < 64)
		l->hidden_sock[host][l->nhidden_sock[host]++] = sock;
}

#define COLW	26
#define MIDW	62

/* A row of words in the hosts' columns (right: host 1). */
static void
row(struct ladder *l, tm_time at, bool right, const char *text)
{
	struct td_lrow r = { .left = right ? NULL : text, .right = right ? text : NULL };

	r.seen.present = true;
	r.seen.t = (uint64_t)at;
	td_ladder_row(&l->view, &r);
}

/* A segment's row: an arrow toward the right (host 1) or left, a note after it. */
static void
seg_row(struct ladder *l, tm_time at, const struct tm_seg *s, bool rtx, bool to_right, bool lost,
    const char *left, const char *right, const char *note)
{
	struct td_lrow r = { .left = left, .right = right, .note = note };

	r.seen.present = true;
	r.seen.t = (uint64_t)at;
	r.seen.dir = to_right ? TD_LDIR_RIGHT : TD_LDIR_LEFT;
	r.seen.lost = lost;
	seg_lseg(&l->rel, s, rtx, &r.seen.seg);
	td_ladder_row(&l->view, &r);
}

static void
ladder_row(struct ladder *l, const struct tm_effect *fx, bool rtx)
{
	const struct tm_world *w = l->w;
	char text[160], a[64];
	unsigned int h = fx->host;
	bool right = h == 1, lost;

	switch (fx->kind) {
	case TM_FX_SEG_IN:
		if (h < TM_MAX_HOSTS) {
			l->last_in_src[h] = fx->u.seg.seg.src.a;
			l->last_in_at[h] = fx->at;
			l->last_in_hidden[h] = !is_host_addr(w, &fx->u.seg.seg.src) &&
			    ext_hidden(l, &fx->u.seg.seg.src);
		}
		if (fx->reason == NULL || (h < TM_MAX_HOSTS && l->last_in_hidden[h]))
			return;
		/* A duplicated or delayed copy: drawn when it arrives. */
		snprintf(text, sizeof(text), "(arrives: %s)", fx->reason);
		seg_row(l, fx->at, &fx->u.seg.seg, false, h == 1, false, NULL, NULL, text);
		return;
	case TM_FX_SEG_OUT:
	case TM_FX_SEG_DROP:
		if ((!is_host_addr(w, &fx->u.seg.seg.dst) && ext_hidden(l, &fx->u.seg.seg.dst)) ||
		    (!is_host_addr(w, &fx->u.seg.seg.src) && ext_hidden(l, &fx->u.seg.seg.src))) {
			hide_sock(l, h, fx->sock);
			l->hidden++;
			return;
		}
		rel_learn(&l->rel, &fx->u.seg.seg);
		if (h == 0xffff) {
			/* Injected: drawn toward its destination host. */
			right = fx->u.seg.to_host != 1;
			addr_str(&fx->u.seg.seg.src, a, sizeof(a));
			snprintf(text, sizeof(text), "%s:%u (injected)", a, fx->u.seg.seg.sport);
			seg_row(l, fx->at, &fx->u.seg.seg, false, !right, fx->kind == TM_FX_SEG_DROP,
			    right ? NULL : text, right ? text : NULL, NULL);
			return;
		}
		lost = fx->kind == TM_FX_SEG_DROP;
		if (lost)
			snprintf(text, sizeof(text), "(lost: %s)", fx->reason ? fx->reason : "?");
		seg_row(l, fx->at, &fx->u.seg.seg, rtx, !right, lost, NULL, NULL, lost ? text : NULL);
		return;
	case TM_FX_STATE:
		if (h < TM_MAX_HOSTS && (sock_hidden(l, h, fx->sock) || (l->last_in_hidden[h] &&
		    l->last_in_at[h] == fx->at && fx->obj == TM_OBJ_REQ))) {
			hide_sock(l, h, fx->sock);
			l->hidden++;
			return;
		}
		if (fx->obj == TM_OBJ_FULL)
			snprintf(text, sizeof(text), "#%u %s>%s", fx->sock,
			    fx->u.st.from == TM_CLOSE && fx->u.st.to == TM_SYN_SENT ? "CLOSE" :
			    tm_state_name(fx->u.st.from), tm_state_name(fx->u.st.to));
		else
			snprintf(text, sizeof(text), "#%u %s %s>%s", fx->sock, tm_obj_name(fx->obj),
			    tm_state_name(fx->u.st.from), tm_state_name(fx->u.st.to));
		row(l, fx->at, right, text);
		return;
	case TM_FX_APP:
		if (fx->u.app.call == TM_CALL_SO_ERROR)
			snprintf(text, sizeof(text), "#%u error %s", fx->sock, tm_errno_name(fx->u.app.err));
		else if (fx->u.app.err)
			snprintf(text, sizeof(text), "%s(#%u) = %s", tm_call_name(fx->u.app.call),
			    fx->sock, tm_errno_name(fx->u.app.err));
		else
			snprintf(text, sizeof(text), "%s(#%u) = %" PRId64, tm_call_name(fx->u.app.call),
			    fx->sock, fx->u.app.ret);
		row(l, fx->at, right, text);
		return;
	case TM_FX_ERROR:
		snprintf(text, sizeof(text), "MODEL ERROR: %s", fx->reason ? fx->reason : "?");
		row(l, fx->at, right, text);
		return;
	default:
		return;
	}
}

static bool
same_seg(const struct tm_seg *a, const struct tm_seg *b)
{
	return a->seq == b->seq && a->ack == b->ack && a->flags == b->flags && a->len == b->len &&
	    a->sport == b->sport && a->dport == b->dport;
}

static void
ladder_flush(struct ladder *l)
{
	if (l->has_pending) {
		l->has_pending = false;
		ladder_row(l, &l->pending, l->pending.u.seg.rtx);
	}
}

/* A sent segment is drawn once: as sent, or as lost when its drop record follows. */
static void
ladder_fx(const struct tm_effect *fx, void *arg)
{
	struct ladder *l = arg;

	if (l->has_pending && fx->kind == TM_FX_SEG_DROP &&
	    same_seg(&fx->u.seg.seg, &l->pending.u.seg.seg)) {
		l->has_pending = false;
		ladder_row(l, fx, l->pending.u.seg.rtx);
		return;
	}
	ladder_flush(l);
	if (fx->kind == TM_FX_SEG_OUT) {
		l->pending = *fx;
		l->has_pending = true;
		return;
	}
	ladder_row(l, fx, false);
}

/* ---- JSON ---- */

static json_t *
seg_json(struct rel *r, const struct tm_seg *s)
{
	char fl[12], a[64], b[64];
	int64_t seq, ack;
	bool hs, ha;
	json_t *o, *opts;

	td_ladder_flags(TD_LADDER_MODEL, s->flags, fl, sizeof(fl));
	addr_str(&s->src, a, sizeof(a));
	addr_str(&s->dst, b, sizeof(b));
	rel_of(r, s, &seq, &ack, &hs, &ha);
	opts = json_array();
	if (s->has_mss)
		json_array_append_new(opts, json_string("mss"));
	if (s->sack_ok)
		json_array_append_new(opts, json_string("sack_ok"));
	if (s->has_ts)
		json_array_append_new(opts, json_string("ts"));
	if (s->has_wscale)
		json_array_append_new(opts, json_string("wscale"));
	if (s->nsack)
		json_array_append_new(opts, json_string("sack"));
	o = json_pack("{s:s, s:i, s:s, s:i, s:s, s:I, s:I, s:I, s:i, s:o}",
	    "src", a, "sport", s->sport, "dst", b, "dport", s->dport, "flags", fl,
	    "seq", (json_int_t)s->seq, "ack", (json_int_t)s->ack, "len", (json_int_t)s->len,
	    "win", s->wnd, "options", opts);
	if (hs)
		json_object_set_new(o, "rel_seq", json_integer(seq));
	if (ha)
		json_object_set_new(o, "rel_ack", json_integer(ack));
	return o;
}

static const char *
host_name(const struct tm_world *w, unsigned int h)
{
	return h < w->nhosts ? w->host_name[h] : "outside";
}

static json_t *
fx_json(const struct tm_world *w, struct rel *r, const struct tm_effect *fx)
{
	json_t *o = json_pack("{s:f, s:I, s:s, s:s}", "t", (double)fx->at / 1e9,
	    "t_ns", (json_int_t)fx->at, "host", host_name(w, fx->host),
	    "kind", tm_fx_kind_name(fx->kind));

	switch (fx->kind) {
	case TM_FX_SEG_OUT:
	case TM_FX_SEG_IN:
	case TM_FX_SEG_DROP:
		rel_learn(r, &fx->u.seg.seg);
		json_object_set_new(o, "seg", seg_json(r, &fx->u.seg.seg));
		if (fx->kind == TM_FX_SEG_OUT)
			json_object_set_new(o, "rtx", json_boolean(fx->u.seg.rtx));
		break;
	case TM_FX_STATE:
	case TM_FX_ERROR:
		json_object_set_new(o, "from", json_string(tm_state_name(fx->u.st.from)));
		json_object_set_new(o, "to", json_string(tm_state_name(fx->u.st.to)));
		json_object_set_new(o, "event", json_string(tm_event_name(fx->u.st.event)));
		break;
	case TM_FX_TIMER_SET:
	case TM_FX_TIMER_CLR:
		json_object_set_new(o, "timer", json_string(tm_timer_name(fx->u.tmr.timer)));
		if (fx->kind == TM_FX_TIMER_SET)
			json_object_set_new(o, "expires", json_real((double)fx->u.tmr.expires / 1e9));
		break;
	case TM_FX_COUNTER:
		json_object_set_new(o, "counter", json_string(tm_counter_name(fx->u.ctr.id)));
		json_object_set_new(o, "delta", json_integer(fx->u.ctr.delta));
		break;
	case TM_FX_APP:
		json_object_set_new(o, "call", json_string(tm_call_name(fx->u.app.call)));
		json_object_set_new(o, "errno", json_string(tm_errno_name(fx->u.app.err)));
		json_object_set_new(o, "ret", json_integer(fx->u.app.ret));
		break;
	default:
		break;
	}
	if (fx->kind != TM_FX_SEG_IN && fx->kind != TM_FX_SEG_DROP && fx->kind != TM_FX_COUNTER) {
		json_object_set_new(o, "obj", json_string(tm_obj_name(fx->obj)));
		json_object_set_new(o, "sock", json_integer(fx->sock));
	}
	if (fx->kind == TM_FX_STATE)
		json_object_set_new(o, "traced", json_boolean(tm_fx_traced(&w->prof[0], fx)));
	if (fx->reason != NULL)
		json_object_set_new(o, "reason", json_string(fx->reason));
	return o;
}

/*
 * The document head (time, host, netns, kernel) describes where the
 * simulation ran, from the same live header every command uses.
 */
static int
sim_json_out(struct td_ctx *ctx, json_t *body)
{
	struct td_snapshot *snap = calloc(1, sizeof(*snap));
	struct td_source src;
	struct td_err err = { 0 };
	int r;

	if (snap == NULL) {
		json_decref(body);
		return -1;
	}
	cmd_source_init(ctx, &src);
	src.from = NULL;
	if (source_header(&src, snap, &err) < 0)
		memset(snap, 0, sizeof(*snap));
	source_close(&src);
	r = output_json_doc(ctx->out, snap, "sim", body);
	free(snap);
	return r;
}

/*
 * The ports of a socket, from the first segment it sent (a child shares its
 * request's id).  Listeners and sockets that never sent have none.
 */
static bool
sock_ports(const struct tm_world *w, unsigned int host, uint32_t sock, int *sp, int *dp)
{
	size_t i;

	for (i = 0; i < w->nlog; i++) {
		const struct tm_effect *fx = &w->log[i];

		if (fx->kind == TM_FX_STATE && fx->host == host && fx->sock == sock &&
		    (fx->u.st.to == TM_LISTEN || fx->u.st.from == TM_LISTEN) && fx->obj == TM_OBJ_FULL &&
		    !(fx->u.st.from == TM_LISTEN && fx->u.st.to == TM_SYN_RECV))
			return false;
		if (fx->kind == TM_FX_SEG_OUT && fx->host == host && fx->sock == sock &&
		    fx->obj != TM_OBJ_TW) {
			*sp = fx->u.seg.seg.sport;
			*dp = fx->u.seg.seg.dport;
			return true;
		}
	}
	return false;
}

/* ---- The command ---- */

static void
list_scenarios(FILE *out)
{
	const struct tm_scenario *sc;
	size_t n, i;

	sc = tm_scenarios(&n);
	fputs("scenarios (tcpdoctor sim NAME; -j for the event log):\n", out);
	for (i = 0; i < n; i++)
		fprintf(out, "  %-24s %s\n", sc[i].name, sc[i].question_en);
}

static int
read_file(struct td_ctx *ctx, const char *path, char **text)
{
	FILE *fp;
	size_t n;
	char *buf;

	struct td_err err = { 0 };

	/* A regular file, '-' or the caller's descriptor; never a FIFO by name. */
	if ((fp = safefile_fopen_input("-f", path, 0, &err)) == NULL)
		return cmd_fail(ctx, TD_EXIT_NOINPUT, "%s", err.msg);
	if ((buf = malloc(SCRIPT_MAX + 1)) == NULL) {
		fclose(fp);
		return cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
	}
	n = fread(buf, 1, SCRIPT_MAX + 1, fp);
	if (ferror(fp) || n > SCRIPT_MAX) {
		fclose(fp);
		free(buf);
		return cmd_fail(ctx, TD_EXIT_DATAERR, "'%s': unreadable or larger than 1 MiB", path);
	}
	fclose(fp);
	buf[n] = '\0';
	if (memchr(buf, '\0', n) != NULL) {
		free(buf);
		return cmd_fail(ctx, TD_EXIT_DATAERR, "'%s': not a text file", path);
	}
	*text = buf;
	return 0;
}

static void
print_counters(FILE *out, const struct tm_world *w)
{
	unsigned int h, c;
	bool any;

	for (h = 0; h < w->nhosts; h++) {
		any = false;
		for (c = 0; c < TM_C_MAX; c++) {
			if (!w->hosts[h].counters[c])
				continue;
			if (!any)
				fprintf(out, "  %s:", w->host_name[h]);
			fprintf(out, " %s=%" PRIu64, tm_counter_name(c), w->hosts[h].counters[c]);
			any = true;
		}
		if (any)
			fputc('\n', out);
	}
}

static json_t *
counters_json(const struct tm_world *w)
{
	json_t *o = json_object(), *hc;
	unsigned int h, c;

	for (h = 0; h < w->nhosts; h++) {
		hc = json_object();
		for (c = 0; c < TM_C_MAX; c++)
			if (w->hosts[h].counters[c])
				json_object_set_new(hc, tm_counter_name(c),
				    json_integer((json_int_t)w->hosts[h].counters[c]));
		json_object_set_new(o, w->host_name[h], hc);
	}
	return o;
}

static json_t *
hosts_json(const struct tm_world *w)
{
	json_t *a = json_array(), *knobs;
	const struct tm_knob *k;
	size_t nk, i;
	unsigned int h;
	char buf[64];

	k = tm_knobs(&nk);
	for (h = 0; h < w->nhosts; h++) {
		addr_str(&w->hosts[h].addr, buf, sizeof(buf));
		knobs = json_object();
		for (i = 0; i < nk; i++)
			if (k[i].sysctl != NULL)
				json_object_set_new(knobs, k[i].name,
				    json_integer(tm_knob_get(&w->prof[h], &k[i])));
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}", "name", w->host_name[h],
		    "address", buf, "profile", w->prof[h].name, "knobs", knobs));
	}
	return a;
}

/*
 * The scenario's answer under these options.  A scenario whose answer is
 * computed from a run (sc->prose) gets a quiet run of the same world first:
 * the model is deterministic (same script, seed, profile and --set), and
 * the words are printed above the ladder.  Returns a malloc'd string, or
 * NULL after printing the error (*status set).
 */
static char *
sim_answer(struct td_ctx *ctx, const struct tm_scenario *sc, uint64_t seed,
    const struct tm_profile *base, const char *const *sets, unsigned int nsets, int *status)
{
	struct tm_world pw;
	struct td_err err = { 0 };
	char *s = NULL;
	unsigned int i;

	if (sc->prose == NULL) {
		if ((s = tm_scenario_answer(sc, NULL)) == NULL)
			*status = cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
		return s;
	}
	if (tm_world_init(&pw, seed, true, &err) < 0) {
		*status = cmd_fail_err(ctx, &err);
		return NULL;
	}
	if (tm_script_load(&pw, sc->script, sc->name, base, &err) < 0) {
		*status = cmd_fail(ctx, TD_EXIT_DATAERR, "%s", err.msg);
		goto out;
	}
	for (i = 0; i < nsets; i++)
		if (tm_world_set_all(&pw, sets[i], &err) < 0) {
			*status = cmd_fail(ctx, TD_EXIT_USAGE, "--set: %s", err.msg);
			goto out;
		}
	if (tm_world_run(&pw, TM_SEC(14400), &err) < 0)
		*status = cmd_fail(ctx, TD_EXIT_DATAERR, "%s", err.msg);
	else if ((s = tm_scenario_answer(sc, &pw)) == NULL)
		*status = cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
out:
	tm_world_free(&pw);
	return s;
}

/* An expectation's verdict under the ladder: the failures, FILE:LINE first. */
static void
exp_print(const struct tm_expect *e, bool met, const char *msg, void *arg)
{
	(void)e;
	if (!met)
		fprintf(arg, "FAILED %s\n", msg);
}

static void
exp_json(const struct tm_expect *e, bool met, const char *msg, void *arg)
{
	json_t *o = json_pack("{s:I, s:b}", "line", (json_int_t)e->line, "met", met);

	if (!met)
		json_object_set_new(o, "message", json_string(msg));
	json_array_append_new(arg, o);
}

int
cmd_sim(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "profile",	required_argument,	NULL, 'p' },
		{ "seed",	required_argument,	NULL, 's' },
		{ "set",	required_argument,	NULL, 'S' },
		{ "file",	required_argument,	NULL, 'f' },
		{ "against-kernel", no_argument,	NULL, 'K' },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	const struct tm_scenario *sc = NULL;
	struct tm_profile base = tm_profile_linux();
	const char *file = NULL, *sets[32], *operand = NULL;
	unsigned int nsets = 0, i;
	uint64_t seed = 1;
	bool json, against = false;
	struct tm_world w;
	struct td_err err = { 0 };
	struct ladder *lad = NULL;
	char *text = NULL, *answer = NULL;
	const char *name;
	unsigned int failed = 0;
	int ch, status = TD_EXIT_OK;

	for (;;) {
		ch = cmd_getopt(ctx, argc, argv, "f:", opts, &status);
		if (ch == CMD_OPT_EXIT)
			return status;
		if (ch == -1) {
			/* Options may follow the scenario name. */
			if (optind >= argc)
				break;
			if (operand != NULL)
				return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
			operand = argv[optind++];
			continue;
		}
		switch (ch) {
		case 'p':
			if (tm_profile_by_name(optarg, &base) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "unknown profile '%s' (linux, rfc9293)", optarg);
			break;
		case 's':
			if (td_num_u64(optarg, 0, UINT64_MAX, &seed, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--seed: '%s' is not a number", optarg);
			break;
		case 'S':
			if (nsets == 32)
				return cmd_fail(ctx, TD_EXIT_USAGE, "too many --set options (at most 32)");
			sets[nsets++] = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'K':
			against = true;
			break;
		default:
			return cmd_bad_option(ctx, '?', argc, argv);
		}
	}
	/* Issue 8: options that would be ignored are refused, with the reason. */
	if (ctx->from != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "--from '%s' does not apply: sim runs the TCP model on a scenario, not a saved snapshot",
		    ctx->from);
	if (ctx->netns != NULL || ctx->netns_pid != 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, against ?
		    "-N and --netns-pid do not apply: --against-kernel runs the kernel in a throwaway namespace of its own" :
		    "-N and --netns-pid do not apply: sim runs the TCP model, not a namespace's kernel");
	if (against) {
		if (file != NULL && operand != NULL)
			return cmd_fail(ctx, TD_EXIT_USAGE, "give a scenario name or -f FILE, not both");
		if (file == NULL)
			return sim_against_kernel(ctx, operand, sets, nsets);
		if ((status = read_file(ctx, file, &text)) != 0)
			return status;
		status = sim_script_against_kernel(ctx, file, text, sets, nsets);
		free(text);
		return status;
	}
	json = ctx->format == TD_FMT_JSON;
	if (ctx->format != TD_FMT_JSON && ctx->format != TD_FMT_TABLE)
		return cmd_fail(ctx, TD_EXIT_USAGE, "sim prints a ladder (table) or json only");
	if (file == NULL && operand == NULL) {
		list_scenarios(ctx->out);
		return TD_EXIT_OK;
	}
	if (file != NULL && operand != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "give a scenario name or -f FILE, not both");
	if (file == NULL) {
		if ((sc = tm_scenario_find(operand)) == NULL && lab_scen_find(operand) != NULL)
			return cmd_fail(ctx, TD_EXIT_USAGE,
			    "'%s' is a conformance scenario, played against the kernel: tcpdoctor sim --against-kernel %s",
			    operand, operand);
		if (sc == NULL)
			return cmd_fail(ctx, TD_EXIT_USAGE,
			    "unknown scenario '%s' (run `tcpdoctor sim` for the list)", operand);
		name = sc->name;
	} else {
		if ((status = read_file(ctx, file, &text)) != 0)
			return status;
		name = file;
	}
	if (tm_world_init(&w, seed, json, &err) < 0) {
		free(text);
		return cmd_fail_err(ctx, &err);
	}
	if (tm_script_load(&w, sc ? sc->script : text, name, &base, &err) < 0) {
		status = cmd_fail(ctx, TD_EXIT_DATAERR, "%s", err.msg);
		goto out;
	}
	/* Expectations are checked against the event log after the run. */
	if (w.nexps > 0)
		w.keep_log = true;
	for (i = 0; i < nsets; i++)
		if (tm_world_set_all(&w, sets[i], &err) < 0) {
			status = cmd_fail(ctx, TD_EXIT_USAGE, "--set: %s", err.msg);
			goto out;
		}
	if (!json && sc != NULL &&
	    (answer = sim_answer(ctx, sc, seed, &base, sets, nsets, &status)) == NULL)
		goto out;
	if (!json) {
		char a0[64], a1[64];

		if ((lad = calloc(1, sizeof(*lad))) == NULL) {
			status = cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
			goto out;
		}
		lad->view = (struct td_ladder){ .out = ctx->out, .layout = TD_LADDER_ARROWS,
		    .style = TD_LADDER_MODEL, .twidth = 10, .tprec = 4, .colw = COLW, .midw = MIDW };
		lad->w = &w;
		w.on_fx = ladder_fx;
		w.on_fx_arg = lad;
		fprintf(ctx->out, "scenario %s, profile %s, seed %" PRIu64 "\n", name, w.prof[0].name, seed);
		if (sc != NULL) {
			fprintf(ctx->out, "question: %s\n          (%s)\nlinux:    %s\nchecked:  %s\n",
			    sc->question, sc->question_en, answer, sc->verified);
			/* A fixed answer describes the defaults: say so when this run differs. */
			if (sc->prose == NULL && (nsets > 0 || strcmp(base.name, "linux") != 0)) {
				fprintf(ctx->out, "note:     the answer above is for the linux profile's defaults; this run uses profile %s",
				    base.name);
				for (i = 0; i < nsets; i++)
					fprintf(ctx->out, "%s%s", i == 0 ? " with " : ", ", sets[i]);
				fputs(": the ladder below shows what that changes\n", ctx->out);
			}
		}
		addr_str(&w.hosts[0].addr, a0, sizeof(a0));
		if (w.nhosts > 1)
			addr_str(&w.hosts[1].addr, a1, sizeof(a1));
		else
			snprintf(a1, sizeof(a1), "-");
		fputc('\n', ctx->out);
		td_ladder_head(&lad->view, "time (s)", w.host_name[0], w.nhosts > 1 ? w.host_name[1] : "");
		td_ladder_head(&lad->view, "", a0, a1);
	}
	if (tm_world_run(&w, TM_SEC(14400), &err) < 0) {
		status = cmd_fail_err(ctx, &err);	/* a bound (EOVERFLOW): 65 */
		goto out;
	}
	if (json && sc != NULL && (answer = tm_scenario_answer(sc, &w)) == NULL) {
		status = cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
		goto out;
	}
	if (json) {
		struct rel *r = calloc(1, sizeof(*r));
		json_t *doc, *ev = json_array(), *trace = json_array();
		size_t k;

		if (r == NULL) {
			status = cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
			goto out;
		}
		for (k = 0; k < w.nlog; k++) {
			const struct tm_effect *fx = &w.log[k];
			json_t *te;
			int sp, dp;

			json_array_append_new(ev, fx_json(&w, r, fx));
			if (fx->kind != TM_FX_STATE || fx->host >= w.nhosts ||
			    !tm_fx_traced(&w.prof[fx->host], fx))
				continue;
			te = json_pack("{s:f, s:s, s:I, s:s, s:s}", "t", (double)fx->at / 1e9,
			    "host", w.host_name[fx->host], "sock", (json_int_t)fx->sock,
			    "oldstate", tm_state_name(fx->u.st.from), "newstate", tm_state_name(fx->u.st.to));
			if (sock_ports(&w, fx->host, fx->sock, &sp, &dp)) {
				/* connect() is traced before the port is chosen (F21). */
				if (fx->u.st.from == TM_CLOSE && fx->u.st.to == TM_SYN_SENT)
					sp = 0;
				json_object_set_new(te, "sport", json_integer(sp));
				json_object_set_new(te, "dport", json_integer(dp));
			}
			json_array_append_new(trace, te);
		}
		free(r);
		doc = json_pack("{s:s, s:s, s:I, s:o, s:b, s:f, s:i, s:o, s:o, s:o}",
		    "scenario", name, "profile", base.name, "seed", (json_int_t)seed,
		    "hosts", hosts_json(&w), "quiescent", w.quiescent,
		    "end", (double)w.last_at / 1e9, "model_errors", (int)w.errors, "events", ev,
		    "trace", trace, "counters", counters_json(&w));
		if (sc != NULL) {
			json_object_set_new(doc, "question", json_string(sc->question));
			json_object_set_new(doc, "question_en", json_string(sc->question_en));
			json_object_set_new(doc, "answer", json_string(answer));
			json_object_set_new(doc, "verified", json_string(sc->verified));
		}
		if (w.nexps > 0) {
			json_t *ex = json_array();

			failed = tm_expect_check(&w, exp_json, ex);
			json_object_set_new(doc, "expectations", ex);
		}
		if (sim_json_out(ctx, doc) < 0) {
			status = cmd_fail(ctx, TD_EXIT_OSERR, "writing JSON failed");
			goto out;
		}
	} else {
		ladder_flush(lad);
		if (lad->hidden)
			fprintf(ctx->out, "\n(%lu rows about further outside addresses not drawn; -j has them all)\n",
			    lad->hidden);
		fprintf(ctx->out, "\nend at %.4f s, %s\ncounters:\n", (double)w.last_at / 1e9,
		    w.quiescent ? "quiescent (no timer left)" : "stopped by 'run' with timers pending");
		print_counters(ctx->out, &w);
		if (w.nexps > 0) {
			failed = tm_expect_check(&w, exp_print, ctx->out);
			fprintf(ctx->out, "expectations: %zu met, %u failed\n", w.nexps - failed, failed);
		}
	}
	if (w.errors) {
		cmd_warn(ctx, "the model reported %u error(s) (illegal transitions); see the log", w.errors);
		status = TD_EXIT_SOFTWARE;
	} else if (failed > 0) {
		cmd_warn(ctx, "%u of %zu expectations failed", failed, w.nexps);
		status = TD_EXIT_EXPECT_FAILED;
	}
out:
	free(lad);
	free(text);
	free(answer);
	tm_world_free(&w);
	return status;
}
