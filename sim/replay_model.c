/* SPDX-License-Identifier: MIT */
/*
 * Replay's observer (sim/replay_model.h): each endpoint of a captured
 * connection is a tm_host driven through tm_step() by what the capture
 * shows.  Model times are the capture's (ns since its first packet) plus
 * MODEL_T0, so that no model time is 0 (the model reads 0 as "unset" in a
 * few stamps).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/replay_model.h"

#define MODEL_T0	TM_SEC(1)
#define FX_MAX		48		/* effects of one step (the rest are counted, not kept) */
#define EXP_MAX		6		/* expectations kept per endpoint */
#define TIMERS_MAX	64		/* timer expiries run before one segment */

/* What the model sent (or will send) that the capture has yet to show. */
enum { X_SYN = 1, X_SYNACK, X_ACK, X_RST };

struct rpm_exp {
	uint64_t	t;		/* model time it was sent */
	uint64_t	prev;		/* model time of the transmission before it (retransmissions) */
	tm_seq		ack;		/* X_ACK: acknowledges up to here */
	uint8_t		kind;
	bool		rtx;
	bool		reported;	/* overdue, already a departure */
};

struct rpm_end {
	struct tm_host	h;
	struct tm_conn	conns[2];	/* a listener and its child, or one connect()ed socket */
	struct tm_reqsk	reqs[1];
	struct tm_twsk	tws[1];
	bool		started;	/* connect() or listen() made */
	bool		had_conn;	/* a connection object existed (the listener no longer counts) */
	uint32_t	sock;		/* its connection's full socket (0: none yet) */
	uint32_t	lsock;		/* the listener */
	struct rpm_exp	x[EXP_MAX];
	uint8_t		nx;
	bool		want_ack;	/* a SYN-ACK or FIN was delivered: an ACK is owed */
	tm_seq		want;
	uint64_t	last_ctl;	/* model time of its last SYN / SYN-ACK, seen or the model's */
	bool		data_after_fin;	/* data came from the peer after this side's FIN */
	bool		fin_sent;
	tm_time		dl;		/* no timer fires before (from the TIMER_SET records) */
	const char	*why;		/* reason of the last state change */
};

struct rp_model {
	const struct tm_profile *p;
	struct rpm_end	 e[2];
	struct tm_seg	 syn;		/* the last SYN before the responder answered */
	uint64_t	 syn_t;
	bool		 have_syn;
	uint64_t	 rtt;		/* handshake round trip at the capture point, ns */
	uint32_t	 errors;
	bool		 delivering;	/* in deliver(): the answer is the packet's row's expectation */
	struct rp_mresp	*resp;		/* where it goes (rpm_segment's caller), or NULL */
	struct rp_mresp	*syn_resp;	/* where the responder's answer to the SYN goes, or NULL */
};

static const char *const side_name[2] = { "originator", "responder" };

static void
dep(struct rpm_deps *out, enum rp_dep id, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void
dep(struct rpm_deps *out, enum rp_dep id, const char *fmt, ...)
{
	va_list ap;

	if (out == NULL || out->n >= RPM_DEPS_MAX)
		return;
	out->v[out->n].id = (uint8_t)id;
	va_start(ap, fmt);
	vsnprintf(out->v[out->n].text, sizeof(out->v[out->n].text), fmt, ap);
	va_end(ap);
	out->n++;
}

static double
sec(uint64_t ns)
{
	return (double)ns / 1e9;
}

/*
 * How far a retransmission may be from the model's deadline and still be
 * the model's: Linux's timer wheel fires a timeout up to 1/8 late
 * (kernel/time/timer.c, the granularity of the wheel's levels), plus 50 ms
 * for the capture point's scheduling and the time stamps.  Intervals between
 * two segments of the same sender do not depend on where the capture point
 * was, so no round trip is added.
 */
static uint64_t
rtx_tol(uint64_t interval)
{
	return TM_MS(50) + interval / 8;
}

/*
 * How long after the model would have acknowledged a SYN-ACK or FIN the ACK
 * may reach the capture point: TCP_DELACK_MAX (200 ms) for a delayed one,
 * plus a round trip (the capture point may be next to the sender, which sees
 * the ACK a round trip after its segment), plus 50 ms.
 */
static uint64_t
ack_tol(const struct rp_model *m)
{
	return TM_MS(250) + 2 * m->rtt;
}

/* ---- The endpoint's state, from its objects ---- */

static struct tm_conn *
conn_of(struct rpm_end *e)
{
	unsigned int j;

	/* The pools are the endpoint's own two slots: no lookup through the host. */
	for (j = 0; j < 2; j++)
		if (e->conns[j].id != 0 && (e->sock != 0 ? e->conns[j].id == e->sock :
		    e->conns[j].id != e->lsock))
			return &e->conns[j];
	return NULL;
}

static void
cur_state(struct rpm_end *e, uint8_t *st, uint8_t *obj)
{
	struct tm_conn *k = conn_of(e);

	*obj = TM_OBJ_FULL;
	if (k != NULL && k->state != TM_CLOSE) {
		*st = (uint8_t)k->state;
		return;
	}
	if (e->tws[0].id != 0) {
		*st = (uint8_t)e->tws[0].substate;
		*obj = TM_OBJ_TW;
		return;
	}
	if (e->reqs[0].id != 0) {
		*st = TM_NEW_SYN_RECV;
		*obj = TM_OBJ_REQ;
		return;
	}
	if (!e->had_conn && e->lsock != 0 && tm_host_conn(&e->h, e->lsock) != NULL) {
		*st = TM_LISTEN;
		return;
	}
	*st = e->started ? TM_CLOSE : TM_ST_NONE;
}

static void
tl_add(struct rp_mside *ms, uint64_t t, uint64_t pkt, uint8_t st, uint8_t obj, const char *why)
{
	if (ms->ntl > 0 && ms->tl[ms->ntl - 1].st == st)
		return;
	if (ms->ntl < RP_MTL_MAX) {
		ms->tl[ms->ntl].t = t >= MODEL_T0 ? t - MODEL_T0 : 0;
		ms->tl[ms->ntl].pkt = pkt;
		ms->tl[ms->ntl].st = st;
		ms->tl[ms->ntl].obj = obj;
		ms->tl[ms->ntl].why = why;
		ms->ntl++;
	} else {
		ms->tl_more++;
	}
}

/*
 * The step's state changes go into the timeline in order, so that a FIN
 * with an ACK shows FIN_WAIT2 on the way to TIME_WAIT; an object's CLOSE
 * that another takes over from in the same step (the request socket to its
 * child, the full socket to its timewait socket) is left out, as are the
 * listener's own changes after its LISTEN.
 */
static void
note_state(struct rpm_end *e, struct rp_mside *ms, uint64_t t, uint64_t pkt, const uint8_t *sts,
    const uint8_t *objs, const char *const *whys, unsigned int n)
{
	unsigned int j;

	for (j = 0; j < n; j++) {
		if (sts[j] == TM_CLOSE && j + 1 < n)
			continue;
		tl_add(ms, t, pkt, sts[j], objs[j], whys[j]);
	}
	if (e->reqs[0].id != 0 || e->tws[0].id != 0 || conn_of(e) != NULL)
		e->had_conn = true;
	cur_state(e, &ms->st, &ms->obj);
	if (n == 0 && (ms->ntl == 0 || ms->tl[ms->ntl - 1].st != ms->st))
		tl_add(ms, t, pkt, ms->st, ms->obj, e->why);
}

/* ---- Expectations ---- */

static void
expect(struct rpm_end *e, uint8_t kind, uint64_t t, bool rtx, tm_seq ack)
{
	struct rpm_exp *x;

	if (e->nx >= EXP_MAX) {		/* the oldest goes */
		memmove(&e->x[0], &e->x[1], sizeof(e->x[0]) * (EXP_MAX - 1));
		e->nx--;
	}
	x = &e->x[e->nx++];
	memset(x, 0, sizeof(*x));
	x->t = t;
	x->kind = kind;
	x->rtx = rtx;
	x->ack = ack;
	x->prev = e->last_ctl;
	if (kind == X_SYN || kind == X_SYNACK)
		e->last_ctl = t;	/* the next one's interval runs from it */
}

static void
unexpect(struct rpm_end *e, unsigned int i)
{
	memmove(&e->x[i], &e->x[i + 1], sizeof(e->x[0]) * (e->nx - i - 1));
	e->nx--;
}

static void
drop_kind(struct rpm_end *e, uint8_t kind)
{
	unsigned int i = 0;

	while (i < e->nx) {
		if (e->x[i].kind == kind)
			unexpect(e, i);
		else
			i++;
	}
}

/* ---- Stepping ---- */

enum { COLLECT_NONE = 0, COLLECT_ALL = 1 };

/*
 * One tm_step() for side i; what it sent becomes an expectation when
 * collect (a timer or a delivered segment made it: what an application
 * call the observer made sends is the observed segment itself).  Returns
 * the error of an application call (0 if none or it succeeded).
 */
static int
step(struct rp_model *m, struct rp_conn *c, int i, const struct tm_event *ev, int collect,
    uint64_t pkt)
{
	struct rpm_end *e = &m->e[i];
	struct tm_effect fx[FX_MAX];
	struct tm_fxbuf buf = { fx, 0, FX_MAX, 0 };
	size_t k;
	int err = 0;
	uint8_t sts[16], objs[16];
	const char *whys[16];
	unsigned int nst = 0;

	tm_step(m->p, &e->h, ev, &buf);
	if (buf.lost > 0)
		e->dl = 0;	/* a TIMER_SET may be among the lost: look again */
	for (k = 0; k < buf.n; k++) {
		const struct tm_effect *f = &fx[k];

		switch (f->kind) {
		case TM_FX_SEG_OUT: {
			const struct tm_seg *s = &f->u.seg.seg;

			/* The first segment the receiver's model answers with: the ladder shows it. */
			if (m->delivering && m->resp != NULL && !m->resp->has) {
				struct tm_conn *kc = conn_of(e);
				tm_seq iss = e->reqs[0].id != 0 ? e->reqs[0].iss : kc != NULL ? kc->iss :
				    s->seq;

				m->resp->has = true;
				m->resp->dir = i;
				m->resp->seg = *s;
				m->resp->rtx = f->u.seg.rtx;
				m->resp->rseq = s->seq - iss;
				m->resp->rack = s->ack - c->s[1 - i].isn;
				m->resp->has_rack = c->s[1 - i].has_isn;
			}

			if (e->want_ack && (s->flags & TM_ACK) && !(s->flags & TM_RST) &&
			    TM_SEQ_GEQ(s->ack, e->want)) {
				expect(e, X_ACK, f->at, false, e->want);
				e->want_ack = false;
			}
			if (!collect)
				break;
			/*
			 * A SYN-ACK answering a retransmitted SYN (tcp_check_req(),
			 * inet_rtx_syn_ack) is not the retransmission timer's: no
			 * interval to judge (the ladder shows it as the SYN's answer).
			 */
			if (m->delivering && (s->flags & (TM_SYN | TM_ACK)) == (TM_SYN | TM_ACK) &&
			    f->u.seg.rtx)
				break;
			if (s->flags & TM_RST)
				expect(e, X_RST, f->at, false, 0);
			else if ((s->flags & (TM_SYN | TM_ACK)) == TM_SYN)
				expect(e, X_SYN, f->at, f->u.seg.rtx, 0);
			else if (s->flags & TM_SYN)
				expect(e, X_SYNACK, f->at, f->u.seg.rtx, 0);
			break;
		}
		case TM_FX_STATE:
			e->why = f->reason;
			/* The listener's own changes are not the connection's (but its LISTEN is). */
			if (f->obj == TM_OBJ_FULL && f->sock == e->lsock && e->lsock != 0 &&
			    f->u.st.to != TM_LISTEN)
				break;
			if (nst < 16) {
				sts[nst] = f->u.st.to;
				objs[nst] = f->obj;
				whys[nst++] = f->reason;
			}
			break;
		case TM_FX_APP:
			if (f->u.app.err != 0 && f->u.app.err != 115 /* EINPROGRESS */)
				err = f->u.app.err;
			if (f->u.app.call == TM_CALL_CONNECT || f->u.app.call == TM_CALL_ACCEPT) {
				if (f->u.app.ret > 0)
					e->sock = (uint32_t)f->u.app.ret;
			}
			if (f->u.app.call == TM_CALL_LISTEN && f->u.app.ret > 0)
				e->lsock = (uint32_t)f->u.app.ret;
			break;
		case TM_FX_ERROR:
			m->errors++;
			break;
		case TM_FX_TIMER_SET:
			if (f->u.tmr.expires < e->dl)
				e->dl = f->u.tmr.expires;
			break;
		default:
			break;
		}
	}
	/* The LISTEN of listen() is known only once the call returns its id. */
	if (ev->kind == TM_EV_APP && ev->u.app.call == TM_CALL_LISTEN) {
		nst = 0;
		sts[nst] = TM_LISTEN;
		objs[nst] = TM_OBJ_FULL;
		whys[nst++] = e->why;
	}
	note_state(e, &c->s[i].m, ev->at, pkt, sts, objs, whys, nst);
	return err;
}

static int
app(struct rp_model *m, struct rp_conn *c, int i, uint64_t t, uint64_t pkt, enum tm_call call,
    uint32_t sock, uint32_t len, int how)
{
	struct tm_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.at = t;
	ev.kind = TM_EV_APP;
	ev.u.app.call = call;
	ev.u.app.sock = sock;
	ev.u.app.len = len;
	ev.u.app.how = how;
	ev.u.app.raddr = c->s[1 - i].addr;
	ev.u.app.rport = c->s[1 - i].port;
	ev.u.app.lport = c->s[i].port;
	ev.u.app.backlog = 4096;
	return step(m, c, i, &ev, COLLECT_NONE, pkt);
}

/* The earliest armed timer of side i: its deadline, and the event that fires it. */
static tm_time
next_timer(const struct rpm_end *e, struct tm_event *ev)
{
	tm_time best = TM_TIME_INF;
	unsigned int i, t;

	memset(ev, 0, sizeof(*ev));
	ev->kind = TM_EV_TIMER;
	ev->u.tmr.obj = TM_OBJ_FULL;	/* tmi_timer_fires() finds requests and timewait by timer */
	for (i = 0; i < 2; i++) {
		const struct tm_conn *k = &e->conns[i];

		if (k->id == 0)
			continue;
		for (t = 0; t < TM_T_MAX; t++) {
			if (k->deadline[t] != 0 && k->deadline[t] < best) {
				best = k->deadline[t];
				ev->u.tmr.sock = k->id;
				ev->u.tmr.timer = (enum tm_timer)t;
			}
		}
	}
	if (e->reqs[0].id != 0 && e->reqs[0].deadline != 0 && e->reqs[0].deadline < best) {
		best = e->reqs[0].deadline;
		ev->u.tmr.sock = e->reqs[0].id;
		ev->u.tmr.timer = TM_T_SYNACK;
	}
	if (e->tws[0].id != 0 && e->tws[0].deadline != 0 && e->tws[0].deadline < best) {
		best = e->tws[0].deadline;
		ev->u.tmr.sock = e->tws[0].id;
		ev->u.tmr.timer = TM_T_TW;
	}
	ev->at = best;
	return best;
}

/* Run side i's timers that are due by model time t. */
static void
advance(struct rp_model *m, struct rp_conn *c, int i, uint64_t t, uint64_t pkt)
{
	struct tm_event ev;
	unsigned int n;

	struct rpm_end *e = &m->e[i];

	for (n = 0; n < TIMERS_MAX; n++) {
		/* The pools are looked at only when a timer may be due. */
		if (e->dl > t)
			return;
		e->dl = next_timer(e, &ev);
		if (e->dl > t)
			return;
		step(m, c, i, &ev, COLLECT_ALL, pkt);
	}
}

static void
deliver(struct rp_model *m, struct rp_conn *c, int i, const struct tm_seg *g, uint64_t t,
    uint64_t pkt)
{
	struct rpm_end *e = &m->e[i];
	struct tm_event ev;
	struct tm_conn *k;

	memset(&ev, 0, sizeof(ev));
	ev.at = t;
	ev.kind = TM_EV_SEG;
	ev.u.seg = *g;
	ev.u.seg.payload = NULL;
	if ((g->flags & (TM_SYN | TM_ACK)) == (TM_SYN | TM_ACK) || (g->flags & TM_FIN)) {
		e->want_ack = true;
		e->want = g->seq + tm_seg_seqlen(g);
	}
	m->delivering = true;
	step(m, c, i, &ev, COLLECT_ALL, pkt);
	m->delivering = false;
	/* A child was made by the third ACK: the application accepts it. */
	if (e->lsock != 0 && e->sock == 0 && e->reqs[0].id == 0) {
		unsigned int j;

		for (j = 0; j < 2; j++)
			if (e->conns[j].id != 0 && e->conns[j].id != e->lsock)
				app(m, c, i, t, pkt, TM_CALL_ACCEPT, e->lsock, 0, 0);
		if (e->sock == 0) {
			for (j = 0; j < 2; j++)
				if (e->conns[j].id != 0 && e->conns[j].id != e->lsock)
					e->sock = e->conns[j].id;
		}
	}
	/*
	 * The application reads what came (a capture does not show reads; a
	 * socket closed with unread data sends RST, which the capture would).
	 * The data path is the capture's: the receive window is the largest,
	 * so that what the peer's window let through is what the model takes.
	 */
	if ((k = conn_of(e)) != NULL) {
		k->rcv_wnd = 0x3fffc000u;
		k->rcvq = 0;	/* what recv() of all that is queued does (tcp/app.c A_RECV) */
	}
}

/* ---- Construction ---- */

struct rp_model *
rpm_new(const struct tm_profile *p, struct rp_conn *c)
{
	void *mem = malloc(sizeof(struct rp_model));

	return mem != NULL ? rpm_new_in(mem, p, c) : NULL;
}

size_t
rpm_size(void)
{
	return sizeof(struct rp_model);
}

void *
rpm_release(struct rp_model *m)
{
	return m;
}

struct rp_model *
rpm_new_in(void *mem, const struct tm_profile *p, struct rp_conn *c)
{
	struct rp_model *m = mem;
	int i;

	memset(m, 0, sizeof(*m));
	m->p = p;
	for (i = 0; i < 2; i++) {
		struct rpm_end *e = &m->e[i];

		e->dl = TM_TIME_INF;
		tm_host_init(&e->h, (uint16_t)i, &c->s[i].addr, 0x7470646f63746f72ull ^ c->hash,
		    0x7265706c6179ull + (uint64_t)i, e->conns, 2, e->reqs, 1, e->tws, 1);
		c->s[i].m.st = TM_ST_NONE;
	}
	return m;
}

void
rpm_free(struct rp_model *m)
{
	free(m);
}

static void	overdue(struct rp_model *m, struct rp_conn *c, int i, uint64_t t, struct rpm_deps *out);

/* ---- Retransmitted SYN and SYN-ACK against the model's timer ---- */

static tm_time *
ctl_deadline(struct rpm_end *e, bool synack)
{
	struct tm_conn *k;

	if (synack && e->reqs[0].id != 0)
		return &e->reqs[0].deadline;
	k = conn_of(e);
	if (k != NULL && (k->state == TM_SYN_SENT || k->state == TM_SYN_RECV))
		return &k->deadline[TM_T_RTX];
	return NULL;
}

static void
ctl_rtx(struct rp_model *m, struct rp_conn *c, const struct rpm_seen *sn, struct rpm_deps *out)
{
	int d = sn->dir;
	struct rpm_end *e = &m->e[d];
	bool synack = (sn->seg->flags & TM_ACK) != 0;
	uint8_t kind = synack ? X_SYNACK : X_SYN;
	const char *what = synack ? "SYN-ACK" : "SYN";
	enum rp_dep id = synack ? RP_DEP_SYNACK_RTO : RP_DEP_SYN_RTO;
	uint64_t t = sn->t + MODEL_T0, best_d = UINT64_MAX, dt;
	unsigned int i, best = EXP_MAX;
	tm_time *dl;
	struct tm_event ev;

	/* Older retransmissions the capture did not show are departures first. */
	overdue(m, c, d, t, out);
	for (i = 0; i < e->nx; i++) {
		if (e->x[i].kind != kind)
			continue;
		dt = t > e->x[i].t ? t - e->x[i].t : e->x[i].t - t;
		if (dt < best_d) {
			best_d = dt;
			best = i;
		}
	}
	if (best < EXP_MAX) {
		struct rpm_exp x = e->x[best];
		uint64_t iv = x.t - x.prev, tol = rtx_tol(iv);

		/* It and every older one of its kind are accounted for. */
		for (i = best + 1; i-- > 0;)
			if (e->x[i].kind == kind)
				unexpect(e, i);
		if (x.rtx && t > x.t + tol) {
			if (!x.reported)
				dep(out, id, "%s retransmitted %.2f s after the previous one; the model (%s) "
				    "retransmits it after %.2f s (tolerance %.2f s)", what, sec(t - x.prev),
				    m->p->name, sec(iv), sec(tol));
			/* The model's next timer runs from the retransmission seen. */
			if ((dl = ctl_deadline(e, synack)) != NULL && *dl != 0)
				*dl += t - x.t;
			e->dl = 0;
		}
		e->last_ctl = t;
		return;
	}
	dl = ctl_deadline(e, synack);
	if (dl == NULL || *dl == 0) {
		/* After the third ACK the engine reports synack_after_ack (a full accept queue). */
		if (!(synack && c->established))
			dep(out, RP_DEP_UNEXPECTED, "%s %s retransmitted in %s, where the model (%s) has no "
			    "timer that sends it", side_name[d], what, tm_state_name(c->s[d].m.st),
			    m->p->name);
		e->last_ctl = t;
		return;
	}
	if (*dl > t + rtx_tol(*dl - e->last_ctl))
		dep(out, id, "%s retransmitted %.2f s after the previous one; the model (%s) retransmits it "
		    "after %.2f s (tolerance %.2f s)", what, sec(t - e->last_ctl), m->p->name,
		    sec(*dl - e->last_ctl), sec(rtx_tol(*dl - e->last_ctl)));
	/* The model's timer fires now, as the endpoint's did. */
	*dl = t;
	e->dl = 0;
	memset(&ev, 0, sizeof(ev));
	if (next_timer(e, &ev) == t)
		step(m, c, d, &ev, COLLECT_NONE, sn->pkt);
	e->last_ctl = t;
}

/* ---- Overdue expectations ---- */

static void
overdue(struct rp_model *m, struct rp_conn *c, int i, uint64_t t, struct rpm_deps *out)
{
	struct rpm_end *e = &m->e[i];
	unsigned int k = 0;

	while (k < e->nx) {
		struct rpm_exp *x = &e->x[k];

		if (x->reported || x->kind == X_RST) {
			k++;
			continue;
		}
		if ((x->kind == X_SYN || x->kind == X_SYNACK) && x->rtx) {
			uint64_t iv = x->t - x->prev, tol = rtx_tol(iv);

			if (t > x->t + tol) {
				dep(out, x->kind == X_SYN ? RP_DEP_SYN_RTO : RP_DEP_SYNACK_RTO,
				    "the model (%s) retransmits the %s %.2f s after the previous one; none "
				    "was seen by %.2f s", m->p->name, x->kind == X_SYN ? "SYN" : "SYN-ACK",
				    sec(iv), sec(iv + tol));
				x->reported = true;
			}
		} else if (x->kind == X_ACK && t > x->t + ack_tol(m)) {
			dep(out, RP_DEP_ACK_MISSING, "the model (%s) has the %s ACK the %s at %.3f s; none by "
			    "%.3f s, and the %s not retransmitted (lost past the capture point?)",
			    m->p->name, side_name[i],
			    c->s[1 - i].fin_sent ? "FIN" : "SYN-ACK", sec(x->t - MODEL_T0),
			    sec(x->t - MODEL_T0 + ack_tol(m)), c->s[1 - i].fin_sent ? "FIN" : "SYN-ACK");
			x->reported = true;
		}
		k++;
	}
}

/* ---- The segment ---- */

static void
responder_start(struct rp_model *m, struct rp_conn *c, bool listening, uint64_t pkt)
{
	struct rpm_end *e = &m->e[1];
	struct rp_mresp *keep = m->resp;

	if (e->started || !m->have_syn)
		return;
	e->started = true;
	if (listening)
		app(m, c, 1, m->syn_t, pkt, TM_CALL_LISTEN, 0, 0, 0);
	/* Its answer is the SYN's (the ladder shows it beside the SYN), not this packet's. */
	m->resp = m->syn_resp;
	deliver(m, c, 1, &m->syn, m->syn_t, pkt);
	m->resp = keep;
}

/* The RST the side sent: explained by the model, or a departure. */
static void
explain_rst(struct rp_model *m, struct rp_conn *c, int d, struct rpm_deps *out)
{
	struct rpm_end *e = &m->e[d];
	unsigned int i;
	uint8_t st = c->s[d].m.st;

	for (i = 0; i < e->nx; i++) {
		if (e->x[i].kind == X_RST) {
			unexpect(e, i);
			return;
		}
	}
	/* close() after the FIN, and data came: tcp_rcv_state_process() resets (TCPAbortOnData). */
	if ((st == TM_FIN_WAIT1 || st == TM_FIN_WAIT2) && e->data_after_fin)
		return;
	/* The engine reports rst_not_fin for these (close() with unread data, SO_LINGER 0). */
	if ((st == TM_ESTABLISHED || st == TM_CLOSE_WAIT) && !c->s[d].fin_sent)
		return;
	/* An application abort is possible wherever the socket is still the application's. */
	if (st == TM_SYN_RECV || st == TM_NEW_SYN_RECV || st == TM_ESTABLISHED ||
	    st == TM_CLOSE_WAIT || (st == TM_FIN_WAIT1 || st == TM_FIN_WAIT2))
		return;
	dep(out, RP_DEP_RST_UNEXPECTED, "%s sent RST in %s (the model's state), where the model (%s) "
	    "sends none: no application call resets a socket there", side_name[d], tm_state_name(st),
	    m->p->name);
}

/*
 * What side d's model sends if its application calls close() at t, found on
 * a copy of the endpoint (the endpoint itself goes on as the capture shows):
 * with nothing unread, Linux's tcp_close() sends a FIN (tcp_send_fin); the
 * model has read everything that came (deliver()).
 */
static void
probe_close(const struct rp_model *m, const struct rp_conn *c, int d, uint64_t t,
    struct rp_mresp *out)
{
	struct rpm_end *tmp = malloc(sizeof(*tmp));
	struct tm_effect fx[FX_MAX];
	struct tm_fxbuf buf = { fx, 0, FX_MAX, 0 };
	struct tm_event ev;
	struct tm_conn *k;
	size_t i;

	if (tmp == NULL)
		return;
	*tmp = m->e[d];
	tmp->h.conns = tmp->conns;
	tmp->h.reqs = tmp->reqs;
	tmp->h.tws = tmp->tws;
	if ((k = conn_of(tmp)) == NULL) {
		free(tmp);
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.at = t;
	ev.kind = TM_EV_APP;
	ev.u.app.call = TM_CALL_CLOSE;
	ev.u.app.sock = k->id;
	tm_step(m->p, &tmp->h, &ev, &buf);
	for (i = 0; i < buf.n; i++) {
		const struct tm_seg *s = &fx[i].u.seg.seg;

		if (fx[i].kind != TM_FX_SEG_OUT)
			continue;
		out->has = true;
		out->dir = d;
		out->seg = *s;
		out->rtx = false;
		out->rseq = s->seq - k->iss;
		out->rack = s->ack - c->s[1 - d].isn;
		out->has_rack = c->s[1 - d].has_isn;
		break;
	}
	free(tmp);
}

void
rpm_segment(struct rp_model *m, struct rp_conn *c, const struct rpm_seen *sn, struct rpm_deps *out,
    struct rp_pkt *pk)
{
	const struct tm_seg *g = sn->seg;
	int d = sn->dir, o = 1 - d;
	struct rpm_end *e = &m->e[d], *pe = &m->e[o];
	uint64_t t = sn->t + MODEL_T0;
	struct tm_conn *k;
	unsigned int i;
	int err;

	if (pk != NULL)
		pk->mresp.has = pk->msyn.has = pk->minstead.has = false;	/* each is filled whole */
	m->resp = pk != NULL ? &pk->mresp : NULL;
	m->syn_resp = pk != NULL ? &pk->msyn : NULL;
	if (c->model != RP_MODEL_FOLLOWED)
		return;
	/* Timers due before this segment, on both sides. */
	advance(m, c, 0, t, sn->pkt);
	advance(m, c, 1, t, sn->pkt);
	if (c->ack_t != 0 && c->syn_t != 0 && m->rtt == 0)
		m->rtt = c->ack_t - c->syn_t;

	/* ---- Explain what side d sent ---- */
	if ((g->flags & (TM_SYN | TM_ACK)) == TM_SYN && d == 0) {
		if (!e->started) {
			e->started = true;
			app(m, c, 0, t, sn->pkt, TM_CALL_CONNECT, 0, 0, 0);
			/* Its sequence numbers are the capture's (the model's ISN is a keyed hash). */
			if ((k = conn_of(e)) != NULL) {
				k->iss = g->seq;
				k->snd_una = g->seq;
				k->snd_nxt = k->write_seq = k->rtt_seq = g->seq + 1;
			}
			e->last_ctl = t;
		} else if (sn->ctl_rtx) {
			ctl_rtx(m, c, sn, out);
		}
		if (!pe->started) {
			m->syn = *g;
			m->syn.payload = NULL;
			m->syn_t = t;
			m->have_syn = true;
		}
	} else if ((g->flags & (TM_SYN | TM_ACK)) == (TM_SYN | TM_ACK) && d == 1) {
		if (!e->started) {
			responder_start(m, c, true, sn->pkt);
			if (e->reqs[0].id != 0) {
				/* Its ISN is the capture's; its timer runs from the SYN-ACK seen. */
				e->reqs[0].iss = g->seq;
				if (e->reqs[0].deadline != 0)
					e->reqs[0].deadline += t - m->syn_t;
				e->dl = 0;
			} else if ((k = conn_of(e)) != NULL) {
				k->iss = g->seq;
				k->snd_una = g->seq;
				k->snd_nxt = k->write_seq = g->seq + 1;
			}
			drop_kind(e, X_SYNACK);
			e->last_ctl = t;
		} else if (sn->ctl_rtx) {
			ctl_rtx(m, c, sn, out);
		} else {
			drop_kind(e, X_SYNACK);
		}
		/* The originator did not get it, or did not answer it: a new one owes the ACK. */
		drop_kind(pe, X_ACK);
	} else if (g->flags & TM_RST) {
		if (d == 1 && !e->started)
			responder_start(m, c, false, sn->pkt);	/* nothing listened */
		explain_rst(m, c, d, out);
		/* The engine reports rst_not_fin: the model's close() is the segment in its place. */
		if (pk != NULL && (c->s[d].m.st == TM_ESTABLISHED || c->s[d].m.st == TM_CLOSE_WAIT) &&
		    !c->s[d].fin_sent)
			probe_close(m, c, d, t, &pk->minstead);
	} else if (g->flags & TM_SYN) {
		/* A SYN from the responder, a SYN-ACK from the originator: simultaneous open. */
		c->model = RP_MODEL_LOST;
		snprintf(c->model_note, sizeof(c->model_note),
		    "not followed from packet %" PRIu64 ": a simultaneous open", sn->pkt);
		return;
	}
	if (!e->started) {
		/* The responder spoke first without a SYN-ACK (nothing to follow). */
		return;
	}
	if (sn->peer_rtx)
		drop_kind(pe, X_ACK);	/* the peer did not get (or see) the ACK either */
	if (g->flags & TM_ACK) {
		for (i = 0; i < e->nx;) {
			if (e->x[i].kind == X_ACK && TM_SEQ_GEQ(g->ack, e->x[i].ack))
				unexpect(e, i);
			else
				i++;
		}
		if (e->want_ack && TM_SEQ_GEQ(g->ack, e->want))
			e->want_ack = false;
	}
	if (!(g->flags & TM_RST) && (sn->new_data || sn->new_fin)) {
		k = conn_of(e);
		if (sn->new_data && k != NULL) {
			err = app(m, c, d, t, sn->pkt, TM_CALL_SEND, k->id, sn->new_len, 0);
			/*
			 * The engine reports data after this side's FIN (data_after_fin).
			 * A socket the model closed on a timer (retries exhausted) while
			 * the endpoint went on: the capture lacks the segments that
			 * kept it alive, so the model stops following it.
			 */
			if (err != 0 && c->s[d].m.st == TM_CLOSE) {
				c->model = RP_MODEL_LOST;
				snprintf(c->model_note, sizeof(c->model_note), "not followed from packet %"
				    PRIu64 ": the model's socket closed on a timer and the %s kept sending "
				    "(segments missing from the capture)", sn->pkt, side_name[d]);
				return;
			}
			if (err != 0 && !e->fin_sent)
				dep(out, RP_DEP_UNEXPECTED, "%s sent %u bytes in %s, where the model's send() "
				    "fails (%s)", side_name[d], sn->new_len, tm_state_name(c->s[d].m.st),
				    err == 32 ? "EPIPE" : "an error");
			/* The data path is the capture's: what the model held back went out. */
			if ((k = conn_of(e)) != NULL && k->sndq > 0) {
				uint32_t more = k->sndq < sn->new_len ? k->sndq : sn->new_len;

				k->snd_nxt += more;
				k->sndq -= more;
			}
		}
		if (sn->new_fin && (k = conn_of(e)) != NULL) {
			/*
			 * close() and shutdown(SHUT_WR) send the same FIN: shutdown is
			 * assumed (the socket keeps taking data, as a capture of
			 * either shows), close() when the peer's FIN came first.
			 */
			if (k->state == TM_CLOSE_WAIT)
				app(m, c, d, t, sn->pkt, TM_CALL_CLOSE, k->id, 0, 0);
			else
				app(m, c, d, t, sn->pkt, TM_CALL_SHUTDOWN, k->id, 0, 1);
			e->fin_sent = true;
		}
	}
	if (sn->new_data && e->fin_sent == false && pe->fin_sent)
		pe->data_after_fin = true;

	overdue(m, c, 0, t, out);
	overdue(m, c, 1, t, out);

	/* ---- Deliver it to the peer ---- */
	if (o == 1 && !pe->started)
		return;		/* the SYN waits for the responder's answer (listening or not) */
	if (!(g->flags & TM_RST) && !(g->flags & TM_SYN) && d == 0 && !pe->started)
		return;
	deliver(m, c, o, g, t, sn->pkt);
	if (m->errors > 0 && c->model == RP_MODEL_FOLLOWED) {
		c->model = RP_MODEL_LOST;
		snprintf(c->model_note, sizeof(c->model_note),
		    "not followed from packet %" PRIu64 ": the model reported an illegal transition", sn->pkt);
	}
}

/* ---- A connection picked up in the middle ---- */

/* A segment of the handshake the capture did not show, from side i. */
static void
synth_seg(const struct rp_conn *c, int i, struct tm_seg *s, uint8_t flags, tm_seq seq, tm_seq ack,
    bool ts, uint32_t tsval, uint32_t tsecr)
{
	memset(s, 0, sizeof(*s));
	s->src = c->s[i].addr;
	s->dst = c->s[1 - i].addr;
	s->sport = c->s[i].port;
	s->dport = c->s[1 - i].port;
	s->seq = seq;
	s->ack = ack;
	s->flags = flags;
	s->wnd = 65535;
	if (flags & TM_SYN) {
		/*
		 * The options the SYNs negotiated are not in the capture: SACK
		 * permitted, timestamps if the segments carry them, and the
		 * largest window scale (RFC 7323 2.3: 14), so that no window of
		 * the model holds back what the capture shows was sent.
		 */
		s->has_mss = true;
		s->mss = 1460;
		s->sack_ok = true;
		s->has_wscale = true;
		s->wscale = 14;
	}
	s->has_ts = ts;
	s->tsval = tsval;
	s->tsecr = tsecr;
}

int
rpm_pickup(struct rp_model *m, struct rp_conn *c, int d, const struct tm_seg *g, uint64_t t,
    uint64_t pkt)
{
	uint64_t mt = t + MODEL_T0;
	tm_seq iss[2];
	uint32_t tsv[2];
	struct tm_seg s;
	struct tm_conn *k;
	int i;

	if (!(g->flags & TM_ACK) || (g->flags & (TM_SYN | TM_RST))) {
		snprintf(c->model_note, sizeof(c->model_note), "not followed: picked up in the middle at "
		    "a segment without ACK or with RST (no sequence number for both sides)");
		return -1;
	}
	iss[d] = g->seq - 1;
	iss[1 - d] = g->ack - 1;
	/* Timestamps no newer than the segments to come (PAWS, RFC 7323 5). */
	tsv[d] = g->tsval;
	tsv[1 - d] = g->tsecr;

	/* The originator connects: its SYN, numbered as the capture's. */
	m->e[0].started = true;
	app(m, c, 0, mt, pkt, TM_CALL_CONNECT, 0, 0, 0);
	if ((k = conn_of(&m->e[0])) == NULL)
		goto fail;
	k->iss = iss[0];
	k->snd_una = iss[0];
	k->snd_nxt = k->write_seq = k->rtt_seq = iss[0] + 1;
	/* The responder listens and takes the SYN; its request socket has the capture's ISN. */
	m->e[1].started = true;
	app(m, c, 1, mt, pkt, TM_CALL_LISTEN, 0, 0, 0);
	synth_seg(c, 0, &s, TM_SYN, iss[0], 0, g->has_ts, tsv[0], 0);
	deliver(m, c, 1, &s, mt, pkt);
	if (m->e[1].reqs[0].id == 0)
		goto fail;
	m->e[1].reqs[0].iss = iss[1];
	synth_seg(c, 1, &s, TM_SYN | TM_ACK, iss[1], iss[0] + 1, g->has_ts, tsv[1], tsv[0]);
	deliver(m, c, 0, &s, mt, pkt);
	synth_seg(c, 0, &s, TM_ACK, iss[0] + 1, iss[1] + 1, g->has_ts, tsv[0], tsv[1]);
	deliver(m, c, 1, &s, mt, pkt);
	for (i = 0; i < 2; i++) {
		struct rpm_end *e = &m->e[i];
		struct rp_mside *ms = &c->s[i].m;

		k = conn_of(e);
		if (k == NULL || k->state != TM_ESTABLISHED)
			goto fail;
		/* Nothing of the handshake is owed to the capture. */
		e->nx = 0;
		e->want_ack = false;
		e->last_ctl = 0;
		e->dl = 0;
		k->ack_pending = false;
		k->deadline[TM_T_DELACK] = 0;
		/* The model's timeline starts where the capture does. */
		ms->ntl = 0;
		ms->tl_more = 0;
		tl_add(ms, mt, pkt, TM_ESTABLISHED, TM_OBJ_FULL, "picked up in the middle: the "
		    "handshake was before the capture");
		ms->st = TM_ESTABLISHED;
		ms->obj = TM_OBJ_FULL;
	}
	m->errors = 0;
	return 0;
fail:
	snprintf(c->model_note, sizeof(c->model_note), "not followed: the model did not take the "
	    "handshake made up for a connection picked up in the middle");
	return -1;
}

/* ---- Summary: state and next event ---- */

static void
next_fill(struct rp_model *m, struct rp_conn *c, int i)
{
	struct rpm_end *e = &m->e[i];
	struct rp_mside *ms = &c->s[i].m;
	struct tm_event ev;
	tm_time d = next_timer(e, &ev);
	struct tm_conn *k = conn_of(e);

	ms->has_next = d != TM_TIME_INF;
	ms->next_t = ms->has_next ? d - MODEL_T0 : 0;
	ms->next_timer = ms->has_next ? (uint8_t)ev.u.tmr.timer : 0;
	ms->started = e->started;
	ms->syn_waiting = i == 1 && m->have_syn && !e->started;
	ms->rto = k != NULL ? k->rto : m->p->rto_init;
}

void
rp_model_next(const struct rp_conn *c, int i, const struct tm_profile *p, char *buf, size_t len)
{
	const struct rp_mside *ms = &c->s[i].m;
	double at = sec(ms->next_t);

	if (!ms->started) {
		snprintf(buf, len, "%s", ms->syn_waiting ? "a SYN-ACK (or a RST if nothing listens) to the SYN" :
		    "nothing: the model has not seen this endpoint start");
		return;
	}
	switch (ms->st) {
	case TM_SYN_SENT:
		snprintf(buf, len, "the SYN's retransmission timer at %.3f s: a SYN again or connect() "
		    "fails with ETIMEDOUT (tcp_syn_retries %d)", at, p->syn_retries);
		return;
	case TM_NEW_SYN_RECV:
	case TM_SYN_RECV:
		if (ms->has_next)
			snprintf(buf, len, "the third ACK; else at %.3f s a SYN-ACK again, or the request "
			    "dropped silently after tcp_synack_retries %d", at, p->synack_retries);
		else
			snprintf(buf, len, "the third ACK");
		return;
	case TM_ESTABLISHED:
		if (ms->has_next && ms->next_timer == TM_T_RTX)
			snprintf(buf, len, "the ACK of its data; else a retransmission at %.3f s", at);
		else
			snprintf(buf, len, "data or a FIN from the application; no timer (a keep-alive "
			    "probe after %.0f s idle with SO_KEEPALIVE)", sec(p->keepalive_time));
		return;
	case TM_CLOSE_WAIT:
		snprintf(buf, len, "close() by the application: no timer ends CLOSE_WAIT");
		return;
	case TM_FIN_WAIT1:
	case TM_CLOSING:
	case TM_LAST_ACK:
		snprintf(buf, len, "the ACK of its FIN; else the FIN again at %.3f s (RTO backoff, "
		    "tcp_retries2 %d, tcp_orphan_retries %d)", at, p->retries2, p->orphan_retries);
		return;
	case TM_FIN_WAIT2:
		if (ms->obj == TM_OBJ_TW)
			snprintf(buf, len, "the peer's FIN; else FIN_WAIT2 ends silently at %.3f s "
			    "(tcp_fin_timeout %.0f s)", at, sec(p->fin_timeout));
		else
			snprintf(buf, len, "the peer's FIN; no timer after shutdown(); after close() it ends "
			    "%.0f s after entering FIN_WAIT2 (tcp_fin_timeout)",
			    sec(tm_fin_time(p, 0, ms->rto)));
		return;
	case TM_TIME_WAIT:
		snprintf(buf, len, "TIME_WAIT ends at %.3f s (%.0f s after it began, TCP_TIMEWAIT_LEN)", at,
		    sec(p->timewait_len));
		return;
	case TM_LISTEN:
		snprintf(buf, len, "a SYN");
		return;
	default:
		snprintf(buf, len, "nothing: closed");
		return;
	}
}

void
rpm_summary(struct rp_model *m, struct rp_conn *c, uint64_t t)
{
	int i;

	(void)t;
	for (i = 0; i < 2; i++)
		next_fill(m, c, i);
}

void
rpm_end(struct rp_model *m, struct rp_conn *c, uint64_t t, struct rpm_deps *out)
{
	uint64_t mt = t + MODEL_T0;

	if (c->model == RP_MODEL_FOLLOWED) {
		advance(m, c, 0, mt, c->last_pkt);
		advance(m, c, 1, mt, c->last_pkt);
		overdue(m, c, 0, mt, out);
		overdue(m, c, 1, mt, out);
	}
	rpm_summary(m, c, t);
}
