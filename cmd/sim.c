/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor sim SCENARIO | -f FILE [--profile P] [--seed N] [--set K=V]... [-j]
 *
 * Runs a named scenario or a script through the simulator (sim/sim.h) and
 * prints a ladder diagram (times, flags, relative seq/ack, each side's state
 * changes and application calls; which rows to draw is decided here, the
 * drawing is core/ladder.h's) or the event log as JSON (records described
 * once, written by core/jsonw.h).  Without an argument it lists the named
 * scenarios.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "collectors/source.h"
#include "collectors/snapshot.h"
#include "core/jsonw.h"
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

/* ---- JSON: the event log, each kind of record described once (core/record.h) ---- */

/* A segment as the log writes it: addresses, flags, options, relative seq/ack. */
struct seg_view {
	const struct tm_seg *s;
	char		 src[64], dst[64], flags[12];
	const char	*opts[5];
	size_t		 nopts;
	int64_t		 rseq, rack;
	bool		 has_rseq, has_rack;
};

/* An event, with the world (host names, profiles) and its segment's view. */
struct fx_view {
	const struct tm_world	*w;
	const struct tm_effect	*fx;
	struct seg_view		 seg;
};

/* A state change as the sock:inet_sock_set_state tracepoint would print it. */
struct trace_view {
	const struct tm_world	*w;
	const struct tm_effect	*fx;
	int			 sport, dport;
	bool			 has_ports;
};

/* What the document says of the run beside the world. */
struct sim_doc {
	const struct tm_scenario *sc;	/* NULL for a script */
	const char	*name, *profile;
	uint64_t	 seed;
	const char	*answer;	/* with sc */
};

/* An expectation's verdict. */
struct exp_view {
	int64_t		 line;
	bool		 met;
	const char	*message;	/* NULL when met */
};

static void
seg_view(struct rel *r, const struct tm_seg *s, struct seg_view *sv)
{
	sv->s = s;
	sv->nopts = 0;
	td_ladder_flags(TD_LADDER_MODEL, s->flags, sv->flags, sizeof(sv->flags));
	addr_str(&s->src, sv->src, sizeof(sv->src));
	addr_str(&s->dst, sv->dst, sizeof(sv->dst));
	rel_of(r, s, &sv->rseq, &sv->rack, &sv->has_rseq, &sv->has_rack);
	if (s->has_mss)
		sv->opts[sv->nopts++] = "mss";
	if (s->sack_ok)
		sv->opts[sv->nopts++] = "sack_ok";
	if (s->has_ts)
		sv->opts[sv->nopts++] = "ts";
	if (s->has_wscale)
		sv->opts[sv->nopts++] = "wscale";
	if (s->nsack)
		sv->opts[sv->nopts++] = "sack";
}

static bool
seg_get_sport(const void *rec, struct record_val *v)
{
	return record_int(v, ((const struct seg_view *)rec)->s->sport);
}

static bool
seg_get_dport(const void *rec, struct record_val *v)
{
	return record_int(v, ((const struct seg_view *)rec)->s->dport);
}

static bool
seg_get_seq(const void *rec, struct record_val *v)
{
	return record_int(v, ((const struct seg_view *)rec)->s->seq);
}

static bool
seg_get_ack(const void *rec, struct record_val *v)
{
	return record_int(v, ((const struct seg_view *)rec)->s->ack);
}

static bool
seg_get_len(const void *rec, struct record_val *v)
{
	return record_int(v, ((const struct seg_view *)rec)->s->len);
}

static bool
seg_get_win(const void *rec, struct record_val *v)
{
	return record_int(v, ((const struct seg_view *)rec)->s->wnd);
}

static bool
seg_get_options(const void *rec, struct record_val *v)
{
	const struct seg_view *sv = rec;

	return record_strs(v, sv->opts, sv->nopts);
}

static bool
seg_get_rel_seq(const void *rec, struct record_val *v)
{
	const struct seg_view *sv = rec;

	return sv->has_rseq && record_int(v, sv->rseq);
}

static bool
seg_get_rel_ack(const void *rec, struct record_val *v)
{
	const struct seg_view *sv = rec;

	return sv->has_rack && record_int(v, sv->rack);
}

static const struct record_field seg_fields[] = {
	RECORD_CHARS("src", struct seg_view, src),
	RECORD_FN("sport", seg_get_sport),
	RECORD_CHARS("dst", struct seg_view, dst),
	RECORD_FN("dport", seg_get_dport),
	RECORD_CHARS("flags", struct seg_view, flags),
	RECORD_FN("seq", seg_get_seq),
	RECORD_FN("ack", seg_get_ack),
	RECORD_FN("len", seg_get_len),
	RECORD_FN("win", seg_get_win),
	RECORD_FN("options", seg_get_options),
	RECORD_FN("rel_seq", seg_get_rel_seq),
	RECORD_FN("rel_ack", seg_get_rel_ack),
};
static const struct record_desc seg_desc = RECORD_DESC("sim segment", seg_fields);

static const char *
host_name(const struct tm_world *w, unsigned int h)
{
	return h < w->nhosts ? w->host_name[h] : "outside";
}

#define FXV(rec)	((const struct fx_view *)(rec))
#define FXK(rec)	(FXV(rec)->fx->kind)
#define FXIS_SEG(k)	((k) == TM_FX_SEG_OUT || (k) == TM_FX_SEG_IN || (k) == TM_FX_SEG_DROP)

static bool
fx_get_t(const void *rec, struct record_val *v)
{
	return record_real(v, (double)FXV(rec)->fx->at / 1e9);
}

static bool
fx_get_t_ns(const void *rec, struct record_val *v)
{
	return record_int(v, FXV(rec)->fx->at);
}

static bool
fx_get_host(const void *rec, struct record_val *v)
{
	return record_str(v, host_name(FXV(rec)->w, FXV(rec)->fx->host));
}

static bool
fx_get_kind(const void *rec, struct record_val *v)
{
	return record_str(v, tm_fx_kind_name(FXK(rec)));
}

static bool
fx_get_seg(const void *rec, struct record_val *v)
{
	return FXIS_SEG(FXK(rec)) && record_obj(v, &seg_desc, &FXV(rec)->seg);
}

static bool
fx_get_rtx(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_SEG_OUT && record_bool(v, FXV(rec)->fx->u.seg.rtx);
}

static bool
fx_is_state(const void *rec)
{
	return FXK(rec) == TM_FX_STATE || FXK(rec) == TM_FX_ERROR;
}

static bool
fx_get_from(const void *rec, struct record_val *v)
{
	return fx_is_state(rec) && record_str(v, tm_state_name(FXV(rec)->fx->u.st.from));
}

static bool
fx_get_to(const void *rec, struct record_val *v)
{
	return fx_is_state(rec) && record_str(v, tm_state_name(FXV(rec)->fx->u.st.to));
}

static bool
fx_get_event(const void *rec, struct record_val *v)
{
	return fx_is_state(rec) && record_str(v, tm_event_name(FXV(rec)->fx->u.st.event));
}

static bool
fx_get_timer(const void *rec, struct record_val *v)
{
	return (FXK(rec) == TM_FX_TIMER_SET || FXK(rec) == TM_FX_TIMER_CLR) &&
	    record_str(v, tm_timer_name(FXV(rec)->fx->u.tmr.timer));
}

static bool
fx_get_expires(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_TIMER_SET &&
	    record_real(v, (double)FXV(rec)->fx->u.tmr.expires / 1e9);
}

static bool
fx_get_counter(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_COUNTER && record_str(v, tm_counter_name(FXV(rec)->fx->u.ctr.id));
}

static bool
fx_get_delta(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_COUNTER && record_int(v, FXV(rec)->fx->u.ctr.delta);
}

static bool
fx_get_call(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_APP && record_str(v, tm_call_name(FXV(rec)->fx->u.app.call));
}

static bool
fx_get_errno(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_APP && record_str(v, tm_errno_name(FXV(rec)->fx->u.app.err));
}

static bool
fx_get_ret(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_APP && record_int(v, FXV(rec)->fx->u.app.ret);
}

/* Segments in and dropped, and counters, belong to no socket object. */
static bool
fx_has_obj(const void *rec)
{
	return FXK(rec) != TM_FX_SEG_IN && FXK(rec) != TM_FX_SEG_DROP && FXK(rec) != TM_FX_COUNTER;
}

static bool
fx_get_obj(const void *rec, struct record_val *v)
{
	return fx_has_obj(rec) && record_str(v, tm_obj_name(FXV(rec)->fx->obj));
}

static bool
fx_get_sock(const void *rec, struct record_val *v)
{
	return fx_has_obj(rec) && record_int(v, FXV(rec)->fx->sock);
}

static bool
fx_get_traced(const void *rec, struct record_val *v)
{
	return FXK(rec) == TM_FX_STATE &&
	    record_bool(v, tm_fx_traced(&FXV(rec)->w->prof[0], FXV(rec)->fx));
}

static bool
fx_get_reason(const void *rec, struct record_val *v)
{
	return FXV(rec)->fx->reason != NULL && record_str(v, FXV(rec)->fx->reason);
}

static const struct record_field fx_fields[] = {
	RECORD_FN("t", fx_get_t),
	RECORD_FN("t_ns", fx_get_t_ns),
	RECORD_FN("host", fx_get_host),
	RECORD_FN("kind", fx_get_kind),
	RECORD_FN("seg", fx_get_seg),
	RECORD_FN("rtx", fx_get_rtx),
	RECORD_FN("from", fx_get_from),
	RECORD_FN("to", fx_get_to),
	RECORD_FN("event", fx_get_event),
	RECORD_FN("timer", fx_get_timer),
	RECORD_FN("expires", fx_get_expires),
	RECORD_FN("counter", fx_get_counter),
	RECORD_FN("delta", fx_get_delta),
	RECORD_FN("call", fx_get_call),
	RECORD_FN("errno", fx_get_errno),
	RECORD_FN("ret", fx_get_ret),
	RECORD_FN("obj", fx_get_obj),
	RECORD_FN("sock", fx_get_sock),
	RECORD_FN("traced", fx_get_traced),
	RECORD_FN("reason", fx_get_reason),
};
static const struct record_desc fx_desc = RECORD_DESC("sim event", fx_fields);

#define TRV(rec)	((const struct trace_view *)(rec))

static bool
tr_get_t(const void *rec, struct record_val *v)
{
	return record_real(v, (double)TRV(rec)->fx->at / 1e9);
}

static bool
tr_get_host(const void *rec, struct record_val *v)
{
	return record_str(v, TRV(rec)->w->host_name[TRV(rec)->fx->host]);
}

static bool
tr_get_sock(const void *rec, struct record_val *v)
{
	return record_int(v, TRV(rec)->fx->sock);
}

static bool
tr_get_oldstate(const void *rec, struct record_val *v)
{
	return record_str(v, tm_state_name(TRV(rec)->fx->u.st.from));
}

static bool
tr_get_newstate(const void *rec, struct record_val *v)
{
	return record_str(v, tm_state_name(TRV(rec)->fx->u.st.to));
}

static bool
tr_get_sport(const void *rec, struct record_val *v)
{
	return TRV(rec)->has_ports && record_int(v, TRV(rec)->sport);
}

static bool
tr_get_dport(const void *rec, struct record_val *v)
{
	return TRV(rec)->has_ports && record_int(v, TRV(rec)->dport);
}

static const struct record_field trace_fields[] = {
	RECORD_FN("t", tr_get_t),
	RECORD_FN("host", tr_get_host),
	RECORD_FN("sock", tr_get_sock),
	RECORD_FN("oldstate", tr_get_oldstate),
	RECORD_FN("newstate", tr_get_newstate),
	RECORD_FN("sport", tr_get_sport),
	RECORD_FN("dport", tr_get_dport),
};
static const struct record_desc trace_desc = RECORD_DESC("sim trace line", trace_fields);

static const struct record_field exp_fields[] = {
	RECORD_INT("line", struct exp_view, line),
	RECORD_BOOL("met", struct exp_view, met),
	RECORD_TEXT("message", NULL, struct exp_view, message),
};
static const struct record_desc exp_desc = RECORD_DESC("sim expectation", exp_fields);

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

/* Each host's counters that moved, by name. */
static void
counters_jw(struct jw *jw, const struct tm_world *w)
{
	unsigned int h, c;

	jw_obj(jw, "counters");
	for (h = 0; h < w->nhosts; h++) {
		jw_obj(jw, w->host_name[h]);
		for (c = 0; c < TM_C_MAX; c++)
			if (w->hosts[h].counters[c])
				jw_int(jw, tm_counter_name(c), (int64_t)w->hosts[h].counters[c]);
		jw_end(jw);
	}
	jw_end(jw);
}

/* The hosts: name, address, profile and the value of every knob with a sysctl. */
static void
hosts_jw(struct jw *jw, const struct tm_world *w)
{
	const struct tm_knob *k;
	size_t nk, i;
	unsigned int h;
	char buf[64];

	k = tm_knobs(&nk);
	jw_arr(jw, "hosts");
	for (h = 0; h < w->nhosts; h++) {
		addr_str(&w->hosts[h].addr, buf, sizeof(buf));
		jw_obj(jw, NULL);
		jw_str(jw, "name", w->host_name[h]);
		jw_str(jw, "address", buf);
		jw_str(jw, "profile", w->prof[h].name);
		jw_obj(jw, "knobs");
		for (i = 0; i < nk; i++)
			if (k[i].sysctl != NULL)
				jw_int(jw, k[i].name, tm_knob_get(&w->prof[h], &k[i]));
		jw_end(jw);
		jw_end(jw);
	}
	jw_end(jw);
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
exp_jw(const struct tm_expect *e, bool met, const char *msg, void *arg)
{
	struct exp_view ev = { (int64_t)e->line, met, met ? NULL : msg };

	jw_rec(arg, NULL, &exp_desc, &ev);
}

/*
 * The event log as one JSON document, streamed: the document head (where
 * the simulation ran, from the same live header every command uses), the
 * run, every event, the trace the kernel would print, the counters, the
 * answer and the expectations' verdicts (*failed: how many failed).
 */
static int
sim_json(struct td_ctx *ctx, const struct tm_world *w, const struct sim_doc *d,
    unsigned int *failed)
{
	struct td_snapshot *snap = calloc(1, sizeof(*snap));
	struct rel *r = calloc(1, sizeof(*r));
	struct jw *jw = malloc(sizeof(*jw));
	struct fx_view fv = { .w = w };
	struct td_source src;
	struct td_err err = { 0 };
	size_t k;
	int rc = -1;

	if (snap == NULL || r == NULL || jw == NULL)
		goto out;
	cmd_source_init(ctx, &src);
	src.from = NULL;
	if (source_header(&src, snap, &err) < 0)
		memset(snap, 0, sizeof(*snap));
	source_close(&src);
	jw_init(jw, ctx->out, JW_INDENT2);
	output_json_head(jw, snap, "sim");
	jw_str(jw, "scenario", d->name);
	jw_str(jw, "profile", d->profile);
	jw_int(jw, "seed", (int64_t)d->seed);	/* as jansson's json_int_t wrote it */
	hosts_jw(jw, w);
	jw_bool(jw, "quiescent", w->quiescent);
	jw_real(jw, "end", (double)w->last_at / 1e9);
	jw_int(jw, "model_errors", (int)w->errors);
	jw_arr(jw, "events");
	for (k = 0; k < w->nlog; k++) {
		fv.fx = &w->log[k];
		if (FXIS_SEG(fv.fx->kind)) {
			rel_learn(r, &fv.fx->u.seg.seg);
			seg_view(r, &fv.fx->u.seg.seg, &fv.seg);
		}
		jw_rec(jw, NULL, &fx_desc, &fv);
	}
	jw_end(jw);
	jw_arr(jw, "trace");
	for (k = 0; k < w->nlog; k++) {
		const struct tm_effect *fx = &w->log[k];
		struct trace_view tv = { .w = w, .fx = fx };

		if (fx->kind != TM_FX_STATE || fx->host >= w->nhosts ||
		    !tm_fx_traced(&w->prof[fx->host], fx))
			continue;
		/* connect() is traced before the port is chosen (F21). */
		tv.has_ports = sock_ports(w, fx->host, fx->sock, &tv.sport, &tv.dport);
		if (tv.has_ports && fx->u.st.from == TM_CLOSE && fx->u.st.to == TM_SYN_SENT)
			tv.sport = 0;
		jw_rec(jw, NULL, &trace_desc, &tv);
	}
	jw_end(jw);
	counters_jw(jw, w);
	if (d->sc != NULL) {
		jw_str(jw, "question", d->sc->question);
		jw_str(jw, "question_en", d->sc->question_en);
		jw_str(jw, "answer", d->answer);
		jw_str(jw, "verified", d->sc->verified);
	}
	if (w->nexps > 0) {
		jw_arr(jw, "expectations");
		*failed = tm_expect_check(w, exp_jw, jw);
		jw_end(jw);
	}
	jw_end(jw);
	jw_raw(jw, "\n", 1);
	rc = jw_flush(jw);
out:
	free(jw);
	free(r);
	free(snap);
	return rc;
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
		struct sim_doc d = { sc, name, base.name, seed, answer };

		if (sim_json(ctx, &w, &d, &failed) < 0) {
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
