/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor replay CAPTURE|-`: a packet capture run through the replay
 * engine (sim/replay.c): every connection with both endpoints' states,
 * Zeek's conn_state and history, Wireshark's tcp.analysis flags, the
 * departures from the profile, and capture-level findings in check's shape.
 * Privileges are dropped as soon as the capture is open.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sim/replay_findings.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/filter.h"
#include "cmd/findings.h"
#include "cmd/output.h"
#include "sim/capture.h"
#include "collectors/snapfile.h"
#include "collectors/source.h"
#include "core/err.h"
#include "core/ladder.h"
#include "core/util.h"
#include "sim/replay.h"

#define SKIP_MSGS	10		/* skipped packets named one by one, then counted */
#define LADDER_ROWS	5000		/* --conn: packets drawn, the rest counted */
#define COLW		13
#define MIDW		50

/* A segment the model sends in answer, numbered as the capture's. */
struct lexp {
	bool		has;
	int		dir;		/* 0: the originator sends it */
	struct td_lseg	seg;
};

struct lrow {
	uint64_t	no, t;
	int		dir;
	uint8_t		st[2];
	struct td_lseg	seg;
	uint32_t	an;		/* tcp.analysis words (enum rp_an bits) */
	bool		followed;	/* the model follows the connection */
	uint8_t		mst[2];		/* the model's states after the packet */
	uint32_t	dep;		/* departures this packet raised (enum rp_dep bits) */
	struct rp_departure *deps;	/* with their words (malloc'd, NULL if none) */
	unsigned int	ndeps;
	struct lexp	ans;		/* the receiver's model's answer to it */
	struct lexp	syn_ans;	/* the responder's model's answer to the SYN, known here */
	struct lexp	instead;	/* the model's segment in this one's place (FIN for RST) */
	/* Filled when drawing: the expectation shown beside this row. */
	const struct lexp *show;	/* the model's segment in this row's place, or NULL */
	bool		none_came;	/* show is this row's answer and none came in time */
};

struct rp_run {
	struct td_ctx	*ctx;
	struct td_filter filt;
	bool		 has_filter, list;
	uint64_t	 want_conn;	/* --conn, 0 if none */
	bool		 conn_found;
	struct rp_conn	 conn_copy;	/* the --conn connection at its end */
	struct lrow	*rows;
	size_t		 nrows;
	uint64_t	 rows_more;
	uint64_t	 shown;		/* connections that passed the filter */
	bool		 write_failed;
	int		 write_errno;
	const struct tm_profile *prof;
};

/* ---- Connection words ---- */

static void
endpoint(const struct rp_side *s, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	tm_addr_str(&s->addr, a, sizeof(a));
	snprintf(buf, len, strchr(a, ':') != NULL ? "[%s]:%u" : "%s:%u", a, s->port);
}

static bool
conn_selected(struct rp_run *run, const struct rp_conn *c)
{
	struct td_sock sk;
	int i;

	if (!run->has_filter)
		return true;
	memset(&sk, 0, sizeof(sk));
	sk.family = c->s[0].addr.family;
	sk.src = c->s[0].addr.a;
	sk.dst = c->s[1].addr.a;
	sk.sport = c->s[0].port;
	sk.dport = c->s[1].port;
	/* A state word matches either endpoint's last state. */
	for (i = 0; i < 2; i++) {
		uint8_t st = c->s[i].st;

		sk.state = st == TM_NEW_SYN_RECV ? TD_ST_SYN_RECV : st == TM_ST_NONE ? TD_ST_CLOSE : st;
		if (filter_match(&run->filt, &sk))
			return true;
	}
	return false;
}

static json_t *
intervals_json(const uint64_t *v, unsigned int n)
{
	json_t *a = json_array();
	unsigned int i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_real((double)v[i] / 1e9));
	return a;
}

/* The model's view of side i: its states (named and timed by the model) and next event. */
static json_t *
model_side_json(const struct rp_conn *c, int i, const struct tm_profile *p)
{
	const struct rp_mside *m = &c->s[i].m;
	json_t *o, *tl, *nx;
	char buf[200];
	unsigned int k;

	if (c->model == RP_MODEL_OFF)
		return json_null();
	o = json_object();
	tl = json_array();
	for (k = 0; k < m->ntl; k++) {
		json_t *e = json_object();

		json_object_set_new(e, "t", json_real((double)m->tl[k].t / 1e9));
		json_object_set_new(e, "state", json_string(tm_state_name(m->tl[k].st)));
		json_object_set_new(e, "object", json_string(tm_obj_name(m->tl[k].obj)));
		json_object_set_new(e, "packet", json_integer((json_int_t)m->tl[k].pkt));
		json_object_set_new(e, "why", m->tl[k].why != NULL ? json_string(m->tl[k].why) : json_null());
		json_array_append_new(tl, e);
	}
	json_object_set_new(o, "state", json_string(tm_state_name(m->st)));
	json_object_set_new(o, "object", json_string(tm_obj_name(m->obj)));
	json_object_set_new(o, "timeline", tl);
	json_object_set_new(o, "timeline_more", json_integer(m->tl_more));
	nx = json_object();
	rp_model_next(c, i, p, buf, sizeof(buf));
	json_object_set_new(nx, "event", json_string(buf));
	json_object_set_new(nx, "at", m->has_next ? json_real((double)m->next_t / 1e9) : json_null());
	json_object_set_new(nx, "timer", m->has_next ? json_string(tm_timer_name(m->next_timer)) : json_null());
	json_object_set_new(o, "next", nx);
	return o;
}

static json_t *
side_json(const struct rp_conn *c, int i, const struct tm_profile *p)
{
	const struct rp_side *s = &c->s[i];
	json_t *o = json_object(), *tl = json_array();
	char buf[200];
	unsigned int k;

	endpoint(s, buf, sizeof(buf));
	json_object_set_new(o, "endpoint", json_string(buf));
	for (k = 0; k < s->ntl; k++) {
		json_t *e = json_object();

		json_object_set_new(e, "t", json_real((double)s->tl[k].t / 1e9));
		json_object_set_new(e, "state", json_string(tm_state_name(s->tl[k].st)));
		json_object_set_new(e, "packet", json_integer((json_int_t)s->tl[k].pkt));
		json_array_append_new(tl, e);
	}
	json_object_set_new(o, "timeline", tl);
	json_object_set_new(o, "timeline_more", json_integer(s->tl_more));
	json_object_set_new(o, "state", json_string(tm_state_name(s->st)));
	json_object_set_new(o, "packets", json_integer((json_int_t)s->packets));
	json_object_set_new(o, "bytes", json_integer((json_int_t)s->bytes));
	json_object_set_new(o, i == 0 ? "syn_retransmits" : "synack_retransmits",
	    intervals_json(s->syn_rtx, s->nsyn_rtx));
	json_object_set_new(o, "fin_retransmits", intervals_json(s->fin_rtx, s->nfin_rtx));
	if (c->model == RP_MODEL_FOLLOWED) {
		rp_model_next(c, i, p, buf, sizeof(buf));
		json_object_set_new(o, "expected", json_string(buf));
	} else {
		rp_expected(c, i, p, buf, sizeof(buf));
		json_object_set_new(o, "expected", json_string(buf));
	}
	json_object_set_new(o, "model", model_side_json(c, i, p));
	return o;
}

static json_t *
conn_json(const struct rp_conn *c, const struct tm_profile *p)
{
	json_t *o = json_object(), *an = json_object(), *deps = json_array(), *hs, *end;
	unsigned int k;

	json_object_set_new(o, "id", json_integer((json_int_t)c->id));
	json_object_set_new(o, "conn_state", json_string(rp_conn_state(c)));
	json_object_set_new(o, "history", json_string(c->history));
	json_object_set_new(o, "first", json_real((double)c->first_t / 1e9));
	json_object_set_new(o, "last", json_real((double)c->last_t / 1e9));
	json_object_set_new(o, "duration", json_real((double)(c->last_t - c->first_t) / 1e9));
	json_object_set_new(o, "first_packet", json_integer((json_int_t)c->first_pkt));
	json_object_set_new(o, "last_packet", json_integer((json_int_t)c->last_pkt));
	json_object_set_new(o, "partial", json_boolean(c->partial));
	json_object_set_new(o, "reused", json_boolean(c->reused));
	json_object_set_new(o, "capture_near", json_string(rp_capture_near(c)));
	json_object_set_new(o, "model", json_string(c->model == RP_MODEL_FOLLOWED ? "followed" :
	    c->model == RP_MODEL_LOST ? "lost" : "not_followed"));
	if (c->model != RP_MODEL_FOLLOWED)
		json_object_set_new(o, "model_note", json_string(c->model_note));
	hs = json_object();
	if (c->syn_t != 0 && c->synack_t != 0)
		json_object_set_new(hs, "syn_to_synack", json_real((double)(c->synack_t - c->syn_t) / 1e9));
	if (c->synack_t != 0 && c->ack_t != 0)
		json_object_set_new(hs, "synack_to_ack", json_real((double)(c->ack_t - c->synack_t) / 1e9));
	if (c->syn_t != 0 && c->ack_t != 0)
		json_object_set_new(hs, "total", json_real((double)(c->ack_t - c->syn_t) / 1e9));
	json_object_set_new(hs, "completed", json_boolean(c->established && !c->partial));
	json_object_set_new(o, "handshake", hs);
	end = json_object();
	json_object_set_new(end, "how", json_string(rp_end_name(c->end)));
	if (c->end == RP_END_RST) {
		json_object_set_new(end, "by", json_string(c->end_by == 0 ? "originator" : "responder"));
		json_object_set_new(end, "state", json_string(tm_state_name(c->end_state)));
	}
	json_object_set_new(o, "ending", end);
	json_object_set_new(o, "closed_first", c->closer < 0 ? json_null() :
	    json_string(c->closer == 0 ? "originator" : "responder"));
	json_object_set_new(o, "originator", side_json(c, 0, p));
	json_object_set_new(o, "responder", side_json(c, 1, p));
	for (k = 0; k < RP_AN_MAX; k++)
		if (c->an[k] > 0)
			json_object_set_new(an, rp_an_name(k), json_integer((json_int_t)c->an[k]));
	json_object_set_new(o, "analysis", an);
	for (k = 0; k < c->ndep; k++) {
		json_t *e = json_object();

		json_object_set_new(e, "id", json_string(rp_dep_name(c->dep[k].id)));
		json_object_set_new(e, "packet", json_integer((json_int_t)c->dep[k].pkt));
		json_object_set_new(e, "detail", json_string(c->dep[k].text));
		json_array_append_new(deps, e);
	}
	json_object_set_new(o, "departures", deps);
	json_object_set_new(o, "departures_more", json_integer(c->dep_more));
	return o;
}

static void
conn_row(FILE *fp, const struct rp_conn *c)
{
	char a[64], b[64], ending[48];

	endpoint(&c->s[0], a, sizeof(a));
	endpoint(&c->s[1], b, sizeof(b));
	if (c->end == RP_END_RST)
		snprintf(ending, sizeof(ending), "rst by %s in %s", c->end_by == 0 ? "orig" : "resp",
		    tm_state_name(c->end_state));
	else
		snprintf(ending, sizeof(ending), "%s", rp_end_name(c->end));
	fprintf(fp, "%6" PRIu64 "  %-6s %-12s %-24s %-24s %9.3f %9" PRIu64 " %9" PRIu64 "  %-11s %-11s %s%s\n",
	    c->id, rp_conn_state(c), c->history[0] ? c->history : "-", a, b,
	    (double)(c->last_t - c->first_t) / 1e9, c->s[0].bytes, c->s[1].bytes,
	    tm_state_name(c->s[0].st), tm_state_name(c->s[1].st), ending,
	    c->ndep > 0 ? "  !" : "");
}

static void
note_write(struct rp_run *run)
{
	if (!run->write_failed && ferror(run->ctx->out)) {
		run->write_failed = true;
		run->write_errno = errno != 0 ? errno : EIO;
	}
}

static void
on_end(const struct rp_conn *c, void *arg)
{
	struct rp_run *run = arg;
	FILE *fp = run->ctx->out;

	if (run->want_conn != 0 && c->id == run->want_conn) {
		run->conn_found = true;
		run->conn_copy = *c;
	}
	if (run->write_failed || !conn_selected(run, c))
		return;
	if (run->want_conn != 0)
		return;
	if (run->ctx->format == TD_FMT_NDJSON) {
		json_t *v = conn_json(c, run->prof);

		json_object_set_new(v, "type", json_string("connection"));
		if (output_json_line(fp, v) < 0)
			note_write(run);
		fflush(fp);
	} else if (run->ctx->format == TD_FMT_JSON) {
		json_t *v = conn_json(c, run->prof);

		fputs(run->shown > 0 ? ",\n" : "\n", fp);
		json_dumpf(v, fp, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(v);
	} else if (run->list) {
		conn_row(fp, c);
	}
	run->shown++;
	note_write(run);
}

static void
lexp_fill(struct lexp *x, const struct rp_mresp *m)
{
	memset(x, 0, sizeof(*x));
	x->has = m->has;
	if (!m->has)
		return;
	tm_seg_ladder(&m->seg, &x->seg);
	x->seg.has_rseq = true;
	x->seg.rseq = m->rseq;
	x->seg.has_rack = m->has_rack;
	x->seg.rack = m->rack;
	if (m->rtx)
		snprintf(x->seg.tags, sizeof(x->seg.tags), "(rtx)");
	x->dir = m->dir;
}

/* The packet for the ladder: seq and ack relative to each side's ISN, its tcp.analysis words. */
static void
seg_lseg(const struct rp_conn *c, const struct rp_pkt *p, struct td_lseg *out)
{
	const struct tm_seg *g = p->seg;
	const struct rp_side *s = &c->s[p->dir], *o = &c->s[1 - p->dir];
	size_t n = 0;
	unsigned int k;

	tm_seg_ladder(g, out);
	out->has_rseq = s->has_isn;
	out->rseq = (uint32_t)(g->seq - s->isn);
	out->has_rack = o->has_isn;
	out->rack = (uint32_t)(g->ack - o->isn);
	for (k = 0; k < RP_AN_MAX && n < sizeof(out->tags); k++)
		if (p->an & (1u << k))
			n += (size_t)snprintf(out->tags + n, sizeof(out->tags) - n, "%s[%s]",
			    n ? " " : "", rp_an_name(k));
}

static void
on_pkt(const struct rp_conn *c, const struct rp_pkt *p, void *arg)
{
	struct rp_run *run = arg;
	struct lrow *r;

	if (c->id != run->want_conn)
		return;
	if (run->nrows >= LADDER_ROWS) {
		run->rows_more++;
		return;
	}
	r = &run->rows[run->nrows++];
	r->no = p->no;
	r->t = p->t;
	r->dir = p->dir;
	r->st[0] = p->st_after[0];
	r->st[1] = p->st_after[1];
	seg_lseg(c, p, &r->seg);
	r->an = p->an;
	r->followed = p->followed;
	r->mst[0] = p->mst_after[0];
	r->mst[1] = p->mst_after[1];
	r->dep = p->dep;
	if (p->ndeps > 0 && (r->deps = malloc(p->ndeps * sizeof(*r->deps))) != NULL) {
		memcpy(r->deps, p->deps, p->ndeps * sizeof(*r->deps));
		r->ndeps = p->ndeps;
	}
	lexp_fill(&r->ans, &p->mresp);
	lexp_fill(&r->syn_ans, &p->msyn);
	lexp_fill(&r->instead, &p->minstead);
	if (r->instead.has)
		snprintf(r->instead.seg.tags, sizeof(r->instead.seg.tags), "(close())");
}

/* ---- The ladder (--conn) ---- */

#define ANSWER_LOOK	3	/* the answering side's segments looked at for the model's answer */
/*
 * How long after the segment the model answers at once its answer may come
 * and still be it: TCP_DELACK_MAX (200 ms, include/net/tcp.h) for a delayed
 * ACK, 100 ms for the capture point, plus the handshake's round trip.
 */
#define ANSWER_WAIT	TM_MS(300)

/*
 * Whether got, a segment the answering side sent, is what the model's answer
 * x stands for: the same kind (RST, SYN-ACK, FIN) and, for an ACK, at least
 * as far (a delayed ACK, or one carried on data, that covers it is the
 * same answer).
 */
static bool
answer_met(const struct td_lseg *x, const struct td_lseg *got)
{
	if (x->flags & TD_LF_RST)
		return (got->flags & TD_LF_RST) != 0;
	if (got->flags & TD_LF_RST)
		return false;
	if (x->flags & TD_LF_SYN)
		return (got->flags & (TD_LF_SYN | TD_LF_ACK)) == (x->flags & (TD_LF_SYN | TD_LF_ACK));
	if ((x->flags & TD_LF_FIN) && !(got->flags & TD_LF_FIN))
		return false;
	if (x->flags & TD_LF_ACK) {
		if (!(got->flags & TD_LF_ACK))
			return false;
		/* Sequence-space order (RFC 9293 3.4), relative numbers taken mod 2^32. */
		if (x->has_rack && got->has_rack && (int32_t)((uint32_t)got->rack - (uint32_t)x->rack) < 0)
			return false;
	}
	return true;
}

/*
 * The model's answer x to row a: met if one of the answering side's next
 * ANSWER_LOOK segments is it; otherwise shown beside the first of them (the
 * model's segment in its place), or beside row a when the capture has none.
 */
static void
place_answer(struct rp_run *run, size_t a, const struct lexp *x, uint64_t wait)
{
	size_t j, first = SIZE_MAX;
	unsigned int n = 0;

	for (j = a + 1; j < run->nrows && n < ANSWER_LOOK; j++) {
		if (run->rows[j].dir != x->dir)
			continue;
		if (run->rows[j].t > run->rows[a].t + wait)
			break;
		if (n++ == 0)
			first = j;
		if (answer_met(&x->seg, &run->rows[j].seg))
			return;
	}
	if (first != SIZE_MAX) {
		if (run->rows[first].show == NULL)
			run->rows[first].show = x;
	} else if ((j < run->nrows || run->rows_more == 0) && run->rows[a].show == NULL) {
		run->rows[a].show = x;
		run->rows[a].none_came = true;
	}
}

/*
 * The handshake's round trip at the capture point: SYN to ACK, or, when a
 * SYN or SYN-ACK was retransmitted, the last SYN-ACK to the ACK (the
 * retransmission's wait is not a round trip).
 */
static uint64_t
answer_wait(const struct rp_conn *c)
{
	uint64_t rtt = 0;

	if (c->syn_t != 0 && c->ack_t > c->syn_t && c->s[0].nsyn <= 1 && c->s[1].nsyn <= 1)
		rtt = c->ack_t - c->syn_t;
	else if (c->synack_t != 0 && c->ack_t > c->synack_t)
		rtt = c->ack_t - c->synack_t;
	return ANSWER_WAIT + rtt;
}

static void
place_answers(struct rp_run *run)
{
	const struct rp_conn *c = &run->conn_copy;
	uint64_t wait = answer_wait(c);
	size_t i, k;

	for (i = 0; i < run->nrows; i++) {
		struct lrow *r = &run->rows[i];
		struct lexp *xs[3] = { &r->ans, &r->syn_ans, &r->instead };

		/* A peer whose ISN the capture showed only later (picked up in the middle). */
		if (!r->seg.has_rack && c->s[1 - r->dir].has_isn) {
			r->seg.has_rack = true;
			r->seg.rack = (uint32_t)(r->seg.ack - c->s[1 - r->dir].isn);
		}
		/* The model acknowledges the capture's numbers: relative to the peer's ISN as seen. */
		for (k = 0; k < 3; k++) {
			if (xs[k]->has && c->s[1 - xs[k]->dir].has_isn) {
				xs[k]->seg.has_rack = true;
				xs[k]->seg.rack = (uint32_t)(xs[k]->seg.ack - c->s[1 - xs[k]->dir].isn);
			}
		}

		if (r->instead.has && r->show == NULL)
			r->show = &r->instead;
		if (r->ans.has)
			place_answer(run, i, &r->ans, wait);
		if (!r->syn_ans.has)
			continue;
		/* The responder's answer belongs to the last SYN before this row. */
		for (k = i + 1; k-- > 0;) {
			const struct td_lseg *g = &run->rows[k].seg;

			if (run->rows[k].dir == 0 && (g->flags & (TD_LF_SYN | TD_LF_ACK)) == TD_LF_SYN) {
				place_answer(run, k, &r->syn_ans, wait);
				break;
			}
		}
	}
}

/*
 * The departures row r raised, with their details where the connection kept
 * them (RP_DEPS_KEPT): those the model found at the connection's end are
 * kept with its last packet.
 */
static void
row_departures(const struct rp_conn *c, const struct lrow *r, char *buf, size_t len, size_t *n)
{
	unsigned int d, k;
	uint32_t named = 0;

	for (k = 0; k < r->ndeps; k++) {
		td_appendf(buf, len, n, "%s! %s: %s", *n ? "; " : "", rp_dep_name(r->deps[k].id),
		    r->deps[k].text);
		named |= 1u << r->deps[k].id;
	}
	for (k = 0; k < c->ndep; k++) {
		if (c->dep[k].pkt != r->no || (named & (1u << c->dep[k].id)))
			continue;
		td_appendf(buf, len, n, "%s! %s: %s", *n ? "; " : "", rp_dep_name(c->dep[k].id),
		    c->dep[k].text);
		named |= 1u << c->dep[k].id;
	}
	for (d = 0; d < RP_DEP_MAX; d++)
		if ((r->dep & (1u << d)) && !(named & (1u << d)))
			td_appendf(buf, len, n, "%s! %s", *n ? "; " : "", rp_dep_name(d));
}

static void
print_ladder(struct rp_run *run)
{
	struct rp_conn *c = &run->conn_copy;
	FILE *fp = run->ctx->out;
	const struct td_ladder view = { .out = fp, .layout = TD_LADDER_ARROWS,
	    .style = TD_LADDER_WIRE, .twidth = 10, .tprec = 6, .colw = COLW, .midw = MIDW };
	char a[64], b[64], buf[200];
	uint8_t prev[2] = { 0, 0 };
	size_t i;
	int k;

	endpoint(&c->s[0], a, sizeof(a));
	endpoint(&c->s[1], b, sizeof(b));
	fprintf(fp, "connection %" PRIu64 ": %s > %s  conn_state %s  history %s  ended %s\n",
	    c->id, a, b, rp_conn_state(c), c->history[0] ? c->history : "-", rp_end_name(c->end));
	td_ladder_head(&view, "time", "originator", "responder");
	place_answers(run);
	for (i = 0; i < run->nrows; i++) {
		const struct lrow *r = &run->rows[i];
		/* Each side's state where this packet changed it. */
		struct td_lrow lr = {
			.left = r->st[0] != prev[0] ? tm_state_name(r->st[0]) : NULL,
			.right = r->st[1] != prev[1] ? tm_state_name(r->st[1]) : NULL,
		};

		char note[80], label[256], words[256 + RP_DEPS_KEPT * 200];
		size_t n = 0;

		lr.seen.present = true;
		lr.seen.t = r->t;
		lr.seen.dir = r->dir == 0 ? TD_LDIR_RIGHT : TD_LDIR_LEFT;
		lr.seen.seg = r->seg;
		/* The model's states where they are not the capture's (its objects: NEW_SYN_RECV, ...). */
		if (r->followed && (r->mst[0] != r->st[0] || r->mst[1] != r->st[1])) {
			snprintf(note, sizeof(note), "model: %s | %s", tm_state_name(r->mst[0]),
			    tm_state_name(r->mst[1]));
			lr.note = note;
		}
		/*
		 * Beside it: the model's segment where the capture has another one
		 * (or none), and the departures the packet raised.
		 */
		words[0] = '\0';
		if (r->show != NULL) {
			td_ladder_label(&view, &r->show->seg, label, sizeof(label));
			td_appendf(words, sizeof(words), &n, "%s %s", r->show->dir == 0 ? "->" : "<-", label);
			if (r->none_came)
				td_appendf(words, sizeof(words), &n, ", none came within %.2f s",
				    (double)answer_wait(c) / 1e9);
		}
		row_departures(c, r, words, sizeof(words), &n);
		if (n > 0) {
			lr.expected.present = true;
			lr.expected.t = r->t;
			lr.expected.text = words;
			lr.differs = true;
		}
		td_ladder_row(&view, &lr);
		prev[0] = r->st[0];
		prev[1] = r->st[1];
	}
	if (run->rows_more > 0)
		fprintf(fp, "(%" PRIu64 " more packets not drawn)\n", run->rows_more);
	for (k = 0; k < 2; k++) {
		uint8_t st = c->s[k].st;

		/* A followed connection: the model's own state and next event. */
		if (c->model == RP_MODEL_FOLLOWED) {
			rp_model_next(c, k, run->prof, buf, sizeof(buf));
			st = c->s[k].m.st;
		} else {
			rp_expected(c, k, run->prof, buf, sizeof(buf));
		}
		fprintf(fp, "model (%s) expects from the %s (%s): %s\n", run->prof->name,
		    k == 0 ? "originator" : "responder", tm_state_name(st), buf);
	}
	if (c->model != RP_MODEL_FOLLOWED)
		fprintf(fp, "model: %s\n", c->model_note);
	for (i = 0; i < c->ndep; i++)
		fprintf(fp, "departure %s (packet %" PRIu64 "): %s\n", rp_dep_name(c->dep[i].id),
		    c->dep[i].pkt, c->dep[i].text);
	if (c->dep_more > 0)
		fprintf(fp, "(%u more departures)\n", c->dep_more);
}

/* ---- The ladder as JSON (-j --conn) ---- */

static json_t *
lseg_json(const struct td_lseg *g, int dir)
{
	json_t *o = json_object();
	char fl[16];

	json_object_set_new(o, "from", json_string(dir == 0 ? "originator" : "responder"));
	json_object_set_new(o, "flags", json_string(td_ladder_flags(TD_LADDER_WIRE, g->flags, fl,
	    sizeof(fl))));
	json_object_set_new(o, "seq", json_integer(g->has_rseq ? g->rseq : (json_int_t)g->seq));
	json_object_set_new(o, "ack", !(g->flags & TD_LF_ACK) ? json_null() :
	    json_integer(g->has_rack ? g->rack : (json_int_t)g->ack));
	json_object_set_new(o, "relative", json_boolean(g->has_rseq && (g->has_rack ||
	    !(g->flags & TD_LF_ACK))));
	json_object_set_new(o, "len", json_integer(g->len));
	json_object_set_new(o, "win", json_integer(g->win));
	return o;
}

/* Row r's departures: its own, then those the connection kept for its packet. */
static json_t *
row_departures_json(const struct rp_conn *c, const struct lrow *r)
{
	json_t *a = json_array();
	uint32_t named = 0;
	unsigned int d, k;

	for (k = 0; k < r->ndeps + c->ndep; k++) {
		const struct rp_departure *x = k < r->ndeps ? &r->deps[k] : &c->dep[k - r->ndeps];
		json_t *e;

		if ((k >= r->ndeps && (x->pkt != r->no || (named & (1u << x->id)))))
			continue;
		e = json_object();
		json_object_set_new(e, "id", json_string(rp_dep_name(x->id)));
		json_object_set_new(e, "detail", json_string(x->text));
		json_array_append_new(a, e);
		named |= 1u << x->id;
	}
	for (d = 0; d < RP_DEP_MAX; d++) {
		json_t *e;

		if (!(r->dep & (1u << d)) || (named & (1u << d)))
			continue;
		e = json_object();
		json_object_set_new(e, "id", json_string(rp_dep_name(d)));
		json_object_set_new(e, "detail", json_null());
		json_array_append_new(a, e);
	}
	return a;
}

static json_t *
rows_json(const struct rp_run *run)
{
	const struct rp_conn *c = &run->conn_copy;
	json_t *a = json_array();
	size_t i;
	unsigned int k;

	for (i = 0; i < run->nrows; i++) {
		const struct lrow *r = &run->rows[i];
		json_t *o = lseg_json(&r->seg, r->dir), *an = json_array(), *st, *x;

		json_object_set_new(o, "packet", json_integer((json_int_t)r->no));
		json_object_set_new(o, "t", json_real((double)r->t / 1e9));
		for (k = 0; k < RP_AN_MAX; k++)
			if (r->an & (1u << k))
				json_array_append_new(an, json_string(rp_an_name(k)));
		json_object_set_new(o, "analysis", an);
		st = json_object();
		json_object_set_new(st, "originator", json_string(tm_state_name(r->st[0])));
		json_object_set_new(st, "responder", json_string(tm_state_name(r->st[1])));
		json_object_set_new(o, "states", st);
		if (r->followed) {
			st = json_object();
			json_object_set_new(st, "originator", json_string(tm_state_name(r->mst[0])));
			json_object_set_new(st, "responder", json_string(tm_state_name(r->mst[1])));
		} else {
			st = json_null();
		}
		json_object_set_new(o, "model_states", st);
		if (r->show != NULL) {
			x = lseg_json(&r->show->seg, r->show->dir);
			json_object_set_new(x, "why", json_string(r->show == &r->instead ? "instead" :
			    r->none_came ? "none_came" : "differs"));
		} else {
			x = json_null();
		}
		json_object_set_new(o, "expected", x);
		json_object_set_new(o, "departures", row_departures_json(c, r));
		json_array_append_new(a, o);
	}
	return a;
}

/* The document head (schema, command, time, host, ...) left open for the array. */
static int
json_head_open(FILE *fp, const struct td_snapshot *snap)
{
	struct jw *w = malloc(sizeof(*w));
	int rc;

	if (w == NULL)
		return -1;
	jw_init(w, fp, JW_COMPACT);
	output_json_head(w, snap, "replay");
	rc = jw_flush(w);	/* the object stays open */
	free(w);
	return rc;
}

/* ---- Summary ---- */

static json_t *
capture_json(const char *name, struct td_capture *cap, const struct td_cap_stats *cs,
    unsigned int uid)
{
	json_t *o = json_object(), *sk = json_object();

	json_object_set_new(o, "file", json_string(name));
	json_object_set_new(o, "link_type", json_string(td_capture_linktype(cap)));
	json_object_set_new(o, "snaplen", json_integer(td_capture_snaplen(cap)));
	json_object_set_new(o, "packets", json_integer((json_int_t)cs->packets));
	json_object_set_new(o, "tcp_segments", json_integer((json_int_t)cs->tcp));
	json_object_set_new(sk, "not_ip", json_integer((json_int_t)cs->not_ip));
	json_object_set_new(sk, "not_tcp", json_integer((json_int_t)cs->not_tcp));
	json_object_set_new(sk, "fragments", json_integer((json_int_t)cs->fragments));
	json_object_set_new(sk, "malformed", json_integer((json_int_t)cs->malformed));
	json_object_set_new(sk, "headers_cut", json_integer((json_int_t)cs->snap_cut));
	json_object_set_new(o, "skipped", sk);
	json_object_set_new(o, "payload_cut", json_integer((json_int_t)cs->snap_payload));
	json_object_set_new(o, "bad_checksum", json_integer((json_int_t)cs->bad_checksum));
	json_object_set_new(o, "truncated", json_boolean(cs->truncated > 0));
	json_object_set_new(o, "uid", json_integer(uid));
	return o;
}

static json_t *
stats_json(const struct rp_stats *st, const struct tm_profile *p)
{
	json_t *o = json_object(), *bs = json_object(), *be = json_object(), *an = json_object(),
	    *dp = json_object(), *near = json_object(), *mo;
	unsigned int k;

	json_object_set_new(o, "profile", json_string(p->name));
	json_object_set_new(o, "connections", json_integer((json_int_t)st->conns));
	json_object_set_new(o, "open_peak", json_integer((json_int_t)st->open_peak));
	json_object_set_new(o, "expired", json_integer((json_int_t)st->expired));
	json_object_set_new(o, "dropped", json_integer((json_int_t)st->dropped));
	json_object_set_new(o, "segments_after_end", json_integer((json_int_t)st->tombstone_segments));
	json_object_set_new(o, "time_wait_forgotten", json_integer((json_int_t)st->tw_forgotten));
	json_object_set_new(o, "duration", json_real(st->last_ts > st->first_ts ?
	    (double)(st->last_ts - st->first_ts) / 1e9 : 0.0));
	for (k = 0; k < rp_nstates; k++)
		if (st->by_state[k] > 0)
			json_object_set_new(bs, rp_state_names[k], json_integer((json_int_t)st->by_state[k]));
	json_object_set_new(o, "conn_state", bs);
	for (k = 0; k <= RP_END_EVICTED; k++)
		if (st->by_end[k] > 0)
			json_object_set_new(be, rp_end_name(k), json_integer((json_int_t)st->by_end[k]));
	json_object_set_new(o, "ending", be);
	for (k = 0; k < RP_AN_MAX; k++)
		if (st->an[k] > 0)
			json_object_set_new(an, rp_an_name(k), json_integer((json_int_t)st->an[k]));
	json_object_set_new(o, "analysis", an);
	for (k = 0; k < RP_DEP_MAX; k++)
		if (st->dep[k] > 0)
			json_object_set_new(dp, rp_dep_name(k), json_integer((json_int_t)st->dep[k]));
	json_object_set_new(o, "departures", dp);
	json_object_set_new(near, "originator", json_integer((json_int_t)st->near[0]));
	json_object_set_new(near, "responder", json_integer((json_int_t)st->near[1]));
	json_object_set_new(near, "unknown", json_integer((json_int_t)st->near[2]));
	json_object_set_new(o, "capture_near", near);
	mo = json_object();
	json_object_set_new(mo, "followed", json_integer((json_int_t)st->model_followed));
	json_object_set_new(mo, "not_followed", json_integer((json_int_t)st->model_off));
	json_object_set_new(mo, "lost", json_integer((json_int_t)st->model_lost));
	json_object_set_new(mo, "picked_up", json_integer((json_int_t)st->model_picked_up));
	json_object_set_new(o, "model", mo);
	json_object_set_new(o, "rst_total", json_integer((json_int_t)st->rst_total));
	json_object_set_new(o, "rst_max_per_second", json_integer((json_int_t)st->rst_max_per_s));
	return o;
}

static void
summary_table(FILE *fp, const char *name, struct td_capture *cap, const struct td_cap_stats *cs,
    const struct rp_stats *st, const struct tm_profile *p, const struct td_findings *fs)
{
	unsigned int k;
	size_t i;
	uint64_t skipped = cs->not_ip + cs->not_tcp + cs->fragments + cs->malformed + cs->snap_cut;

	fprintf(fp, "capture %s: %s, %" PRIu64 " packets, %" PRIu64 " TCP segments, %.3f s\n", name,
	    td_capture_linktype(cap), cs->packets, cs->tcp,
	    st->last_ts > st->first_ts ? (double)(st->last_ts - st->first_ts) / 1e9 : 0.0);
	fprintf(fp, "skipped %" PRIu64 " (not IP %" PRIu64 ", not TCP %" PRIu64 ", fragments %" PRIu64
	    ", malformed %" PRIu64 ", headers cut %" PRIu64 "); payload cut %" PRIu64
	    ", bad checksums %" PRIu64 " (counted, used)%s\n", skipped, cs->not_ip, cs->not_tcp,
	    cs->fragments, cs->malformed, cs->snap_cut, cs->snap_payload, cs->bad_checksum,
	    cs->truncated ? "; file truncated" : "");
	fprintf(fp, "connections %" PRIu64 " (open at most %" PRIu64 " at once, expired idle %" PRIu64
	    ", dropped over the cap %" PRIu64 "); profile %s\n",
	    st->conns, st->open_peak, st->expired, st->dropped, p->name);
	if (st->tw_forgotten > 0)
		fprintf(fp, "ended connections forgotten while maybe still in TIME_WAIT %" PRIu64
		    " (remembered: 4 per connection open at once, at least 4096)\n", st->tw_forgotten);
	fputs("\nCONN_STATE  COUNT\n", fp);
	for (k = 0; k < rp_nstates; k++)
		if (st->by_state[k] > 0)
			fprintf(fp, "%-10s  %5" PRIu64 "\n", rp_state_names[k], st->by_state[k]);
	fputs("\nENDING       COUNT\n", fp);
	for (k = 0; k <= RP_END_EVICTED; k++)
		if (st->by_end[k] > 0)
			fprintf(fp, "%-11s  %5" PRIu64 "\n", rp_end_name(k), st->by_end[k]);
	fputs("\nANALYSIS (tcp.analysis)      COUNT\n", fp);
	for (k = 0; k < RP_AN_MAX; k++)
		if (st->an[k] > 0)
			fprintf(fp, "%-28s %6" PRIu64 "\n", rp_an_name(k), st->an[k]);
	fputs("\nDEPARTURES FROM THE PROFILE  COUNT\n", fp);
	for (k = 0; k < RP_DEP_MAX; k++)
		if (st->dep[k] > 0)
			fprintf(fp, "%-28s %6" PRIu64 "\n", rp_dep_name(k), st->dep[k]);
	fprintf(fp, "\nMODEL (%s): followed %" PRIu64 " connections from their SYN or picked up in the "
	    "middle (%" PRIu64 " picked up); not followed %" PRIu64 " (SYN not captured, or picked up at "
	    "a segment without ACK); lost %" PRIu64 "\n", p->name, st->model_followed,
	    st->model_picked_up, st->model_off, st->model_lost);
	fputs("\nFINDINGS\n", fp);
	if (fs->n == 0)
		fputs("none: no anomaly in this capture\n", fp);
	for (i = 0; i < fs->n; i++) {
		const struct td_finding *f = &fs->v[i];
		unsigned int e;

		fprintf(fp, "%-8s %s: %s\n", td_severity_name(f->severity), f->id, f->summary);
		for (e = 0; e < f->nreco; e++)
			fprintf(fp, "         fix (%s %s%s%s): %s\n", td_reco_kind_name(f->reco[e].kind),
			    f->reco[e].key, f->reco[e].suggested[0] != '\0' ? "=" : "",
			    f->reco[e].suggested, f->reco[e].reason != NULL ? f->reco[e].reason : "");
	}
}

static int
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s[0] < '0' || s[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

int
cmd_replay(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "conn",	required_argument,	NULL, 'c' },
		{ "list",	no_argument,		NULL, 'l' },
		{ "profile",	required_argument,	NULL, 'P' },
		{ "max-conns",	required_argument,	NULL, 'm' },
		{ "idle",	required_argument,	NULL, 'i' },
		{ "user",	required_argument,	NULL, 'u' },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct rp_run run;
	struct rp_opts ro;
	struct td_err err = { 0 }, perr = { 0 };
	struct td_source src;
	struct td_snapshot *snap = NULL;
	struct td_capture *cap = NULL;
	struct replay *rp = NULL;
	struct td_findings fs = { 0 };
	const char *name, *user = NULL, *profile = "linux";
	uint64_t v, skipped_msgs = 0;
	unsigned int uid = 0;
	int ch, status = TD_EXIT_OK;
	bool read_error = false;

	memset(&run, 0, sizeof(run));
	memset(&ro, 0, sizeof(ro));
	run.ctx = ctx;
	optind = 1;
	while ((ch = cmd_getopt(ctx, argc, argv, "c:lP:m:i:u:", opts, &status)) != -1) {
		switch (ch) {
		case CMD_OPT_EXIT:
			return status;
		case 'c':
			if (parse_u64(optarg, UINT64_MAX, &v) < 0 || v == 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--conn '%s': expected a connection number (1, 2, ...)", optarg);
			run.want_conn = v;
			break;
		case 'l':
			run.list = true;
			break;
		case 'P':
			profile = optarg;
			break;
		case 'm':
			if (parse_u64(optarg, 10000000, &v) < 0 || v == 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--max-conns '%s': expected 1 to 10000000", optarg);
			ro.max_conns = (uint32_t)v;
			break;
		case 'i':
			if (parse_u64(optarg, 86400, &v) < 0 || v == 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--idle '%s': expected 1 to 86400 seconds", optarg);
			ro.idle_ns = TM_SEC(v);
			break;
		case 'u':
			user = optarg;
			break;
		default:
			return cmd_bad_option(ctx, ch, argc, argv);
		}
	}
	if (optind >= argc)
		return cmd_fail(ctx, TD_EXIT_USAGE, "replay needs a capture file (or - for standard input)");
	name = argv[optind++];
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON && ctx->format != TD_FMT_NDJSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "replay prints a table, json or ndjson");
	if (run.want_conn != 0 && ctx->format == TD_FMT_NDJSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "--conn draws one connection's ladder: a table or -j");
	if (optind < argc) {
		if (filter_parse(&run.filt, argc - optind, argv + optind, &err) < 0)
			return cmd_fail(ctx, TD_EXIT_USAGE, "%s", err.msg);
		run.has_filter = true;
	}

	/* The document head and the sysctls: this host's, or --from's snapshot's. */
	snap = calloc(1, sizeof(*snap));
	if (snap == NULL)
		return cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
	cmd_source_init(ctx, &src);
	if (source_header(&src, snap, &err) < 0) {
		source_close(&src);
		if (ctx->from != NULL) {
			free(snap);
			return cmd_fail_err(ctx, &err);
		}
		memset(snap, 0, sizeof(*snap));
		memset(&err, 0, sizeof(err));
	} else {
		source_close(&src);
	}
	if (strcmp(profile, "linux") == 0) {
		ro.prof = tm_profile_from_values(sysctl_value, &snap->sys);
	} else if (tm_profile_by_name(profile, &ro.prof) < 0) {
		free(snap);
		return cmd_fail(ctx, TD_EXIT_USAGE, "--profile '%s': expected linux or rfc9293", profile);
	}

	cap = td_capture_open(name, &err);
	if (cap == NULL) {
		free(snap);
		return cmd_fail_err(ctx, &err);
	}
	/* Nothing after this point needs privileges: parse the untrusted packets without them. */
	if (td_drop_privileges(user, &uid, &perr) < 0) {
		td_capture_close(cap);
		free(snap);
		return cmd_fail(ctx, TD_EXIT_NOPERM, "%s", perr.msg);
	}

	if (run.want_conn != 0) {
		run.rows = calloc(LADDER_ROWS, sizeof(*run.rows));
		if (run.rows == NULL) {
			td_capture_close(cap);
			free(snap);
			return cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
		}
		ro.on_pkt = on_pkt;
	}
	ro.on_end = on_end;
	ro.arg = &run;
	rp = rp_new(&ro, &err);
	if (rp == NULL) {
		status = cmd_fail_err(ctx, &err);
		goto out;
	}
	run.prof = rp_profile(rp);

	/* --conn's document is written once the connection is found. */
	if (ctx->format == TD_FMT_JSON && run.want_conn == 0) {
		if (json_head_open(ctx->out, snap) < 0) {
			status = cmd_fail(ctx, TD_EXIT_SOFTWARE, "JSON head");
			goto out;
		}
		fputs(",\"connections\":[", ctx->out);
	} else if (ctx->format == TD_FMT_TABLE && run.list && run.want_conn == 0) {
		fprintf(ctx->out, "%6s  %-6s %-12s %-24s %-24s %9s %9s %9s  %-11s %-11s %s\n", "ID", "STATE",
		    "HISTORY", "ORIGINATOR", "RESPONDER", "DURATION", "BYTES_O", "BYTES_R", "ORIG_END",
		    "RESP_END", "ENDING");
	}

	for (;;) {
		struct td_cap_pkt pkt;
		struct td_err pe = { 0 };
		enum td_cap_next r = td_capture_next(cap, &pkt, &pe);

		if (r == TD_CAP_END)
			break;
		if (r == TD_CAP_ERROR) {
			cmd_warn(ctx, "%s: %s; the connections up to there are reported", name, pe.msg);
			read_error = true;
			break;
		}
		if (r == TD_CAP_SKIP) {
			if (pe.msg[0] != '\0' && skipped_msgs++ < SKIP_MSGS)
				cmd_warn(ctx, "%s: %s: skipped", name, pe.msg);
			continue;
		}
		rp_segment(rp, pkt.ts_ns, pkt.no, &pkt.seg, pkt.bad_checksum);
		if (run.write_failed)
			break;
	}
	if (skipped_msgs > SKIP_MSGS)
		cmd_warn(ctx, "%s: %" PRIu64 " more packets skipped (counted in the summary)", name,
		    skipped_msgs - SKIP_MSGS);
	if (!run.write_failed)
		rp_finish(rp);
	if (run.write_failed) {
		status = cmd_fail_write(ctx, TD_EXIT_OSERR, run.write_errno);
		goto out;
	}
	if (capture_findings(rp_stats(rp), &fs, &err) < 0) {
		status = cmd_fail_err(ctx, &err);
		goto out;
	}
	td_findings_sort(&fs);

	if (run.want_conn != 0) {
		if (!run.conn_found) {
			status = cmd_fail(ctx, TD_EXIT_USAGE, "--conn %" PRIu64 ": the capture has %" PRIu64
			    " connections", run.want_conn, rp_stats(rp)->conns);
			goto out;
		}
		if (ctx->format == TD_FMT_JSON) {
			json_t *cv = conn_json(&run.conn_copy, run.prof);

			place_answers(&run);
			json_object_set_new(cv, "packets", rows_json(&run));
			json_object_set_new(cv, "packets_more", json_integer((json_int_t)run.rows_more));
			if (json_head_open(ctx->out, snap) < 0) {
				json_decref(cv);
				status = cmd_fail(ctx, TD_EXIT_SOFTWARE, "JSON head");
				goto out;
			}
			fputs(",\"connections\":[\n", ctx->out);
			json_dumpf(cv, ctx->out, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_decref(cv);
			run.shown = 1;
		} else {
			print_ladder(&run);
		}
	}
	if (run.want_conn != 0 && ctx->format == TD_FMT_TABLE) {
		/* drawn above */
	} else if (ctx->format == TD_FMT_TABLE) {
		if (run.list)
			fputc('\n', ctx->out);
		summary_table(ctx->out, name, cap, td_capture_stats(cap), rp_stats(rp), run.prof, &fs);
	} else {
		json_t *tail = json_object(), *fa = json_array();
		size_t i;
		char *s;

		for (i = 0; i < fs.n; i++)
			json_array_append_new(fa, findings_json_finding(&fs.v[i]));
		json_object_set_new(tail, "count", json_integer((json_int_t)run.shown));
		json_object_set_new(tail, "capture", capture_json(name, cap, td_capture_stats(cap), uid));
		json_object_set_new(tail, "summary", stats_json(rp_stats(rp), run.prof));
		json_object_set_new(tail, "findings", fa);
		if (ctx->format == TD_FMT_NDJSON)
			json_object_set_new(tail, "type", json_string("summary"));
		s = json_dumps(tail, JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(tail);
		if (s == NULL) {
			status = cmd_fail(ctx, TD_EXIT_SOFTWARE, "JSON output");
			goto out;
		}
		if (ctx->format == TD_FMT_JSON)
			fprintf(ctx->out, "%s],%s\n", run.shown > 0 ? "\n" : "", s + 1);
		else
			fprintf(ctx->out, "%s\n", s);
		free(s);
	}
	if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
		status = cmd_fail_write(ctx, TD_EXIT_OSERR, errno);
		goto out;
	}
	if (read_error)
		status = cmd_fail(ctx, TD_EXIT_DATAERR, "%s: the capture is damaged (see above)", name);
out:
	td_findings_free(&fs);
	rp_free(rp);
	td_capture_close(cap);
	for (size_t i = 0; run.rows != NULL && i < run.nrows; i++)
		free(run.rows[i].deps);
	free(run.rows);
	free(snap);
	return status;
}
