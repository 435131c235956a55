/* SPDX-License-Identifier: MIT */
/*
 * The conformance runner's model backend (backend.h): the "kernel" side of a
 * scenario is one tm_host driven through tm_step() in simulated time, with
 * the same scripted peer, the same expectations and the same record as the
 * kernel run, so lab_run_compare() can put the two side by side.  The trace
 * is the model's projection (tm_fx_traced()) plus its SYN-ACK
 * retransmissions; checkpoints read the host's objects as sock_diag would
 * show them.
 *
 * Mutations (enum lab_mut) deliberately break the model's behaviour from
 * outside, to prove that the comparison catches a wrong model.
 */
#include "lab/runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "collectors/sysctl.h"
#include "lab/backend.h"
#include "tcp/tm.h"

#define NPOOL	32
#define NFX	512
#define NTQ	1024
#define NOUT	256
#define NEV	256
#define NIDS	256

struct mtimer {
	tm_time		at;
	tm_time		len;		/* expires - the time it was armed */
	uint64_t	order;
	uint32_t	sock;
	uint8_t		obj, timer;
};

struct model {
	struct tm_profile	 prof;
	struct tm_host		 host;
	struct tm_conn		 conns[NPOOL];
	struct tm_reqsk		 reqs[NPOOL];
	struct tm_twsk		 tws[NPOOL];
	tm_time			 now;
	enum lab_mut		 mut;
	struct tm_effect	 fx[NFX];
	size_t			 nfx;		/* effects of the last step */
	struct mtimer		 tq[NTQ];
	size_t			 ntq;
	uint64_t		 order;
	struct {
		tm_time		at;
		tm_time		timer;	/* length of the timer that sent it, 0 if none */
		struct tm_seg	seg;
	}			 out[NOUT];
	size_t			 nout, outhead;
	struct lab_ev		 ev[NEV];
	size_t			 nev;
	struct {			/* ports of every object id seen */
		uint32_t	id;
		uint16_t	lport, rport;
	}			 ids[NIDS];
	size_t			 nids;
	uint32_t		 listener;
	struct {			/* options set before the socket exists */
		char	name[16];
		long	val;
	}			 pend[LAB_CONN_MAX][8];
	int			 npend[LAB_CONN_MAX];
	/*
	 * A blocking call (KS_BLOCK): made non-blocking, and made again when
	 * a later step asks whether it returned, as the kernel's woken caller
	 * would (inet_wait_for_connect(), inet_csk_wait_for_connect(),
	 * sk_wait_data()): nothing happens between two steps but the events
	 * the model already stepped through.
	 */
	struct {
		char	call;		/* 'c', 'a', 'r'; 0: none */
		bool	done;
		long	res;
	}			 blk[LAB_CONN_MAX];
};

#define MB(r)	((struct model *)(r)->be)

/* ---- Object bookkeeping ---- */

static void
id_note(struct model *m, uint32_t id, uint16_t lport, uint16_t rport)
{
	size_t i;

	if (id == 0)
		return;
	for (i = 0; i < m->nids; i++)
		if (m->ids[i].id == id)
			return;
	if (m->nids < NIDS) {
		m->ids[m->nids].id = id;
		m->ids[m->nids].lport = lport;
		m->ids[m->nids].rport = rport;
		m->nids++;
	}
}

/* Remember the ports of every live object, so effects of freed ones map too. */
static void
ids_scan(struct model *m)
{
	uint32_t i;

	for (i = 0; i < NPOOL; i++) {
		if (m->conns[i].id)
			id_note(m, m->conns[i].id, m->conns[i].lport, m->conns[i].rport);
		if (m->reqs[i].id)
			id_note(m, m->reqs[i].id, m->reqs[i].lport, m->reqs[i].rport);
		if (m->tws[i].id)
			id_note(m, m->tws[i].id, m->tws[i].lport, m->tws[i].rport);
	}
}

static bool
id_ports(const struct model *m, uint32_t id, uint16_t *lport, uint16_t *rport)
{
	size_t i;

	for (i = 0; i < m->nids; i++)
		if (m->ids[i].id == id) {
			*lport = m->ids[i].lport;
			*rport = m->ids[i].rport;
			return true;
		}
	return false;
}

static struct tm_conn *
conn_by_ports(struct model *m, uint16_t lport, uint16_t rport)
{
	uint32_t i;

	for (i = 0; i < NPOOL; i++)
		if (m->conns[i].id && m->conns[i].lport == lport && m->conns[i].rport == rport &&
		    m->conns[i].state != TM_LISTEN)
			return &m->conns[i];
	return NULL;
}

/* ---- Stepping ---- */

static void
push_timer(struct model *m, const struct tm_effect *fx)
{
	if (m->ntq == NTQ)
		return;
	m->tq[m->ntq].at = fx->u.tmr.expires;
	m->tq[m->ntq].len = fx->u.tmr.expires > fx->at ? fx->u.tmr.expires - fx->at : 0;
	m->tq[m->ntq].order = m->order++;
	m->tq[m->ntq].sock = fx->sock;
	m->tq[m->ntq].obj = fx->obj;
	m->tq[m->ntq].timer = fx->u.tmr.timer;
	m->ntq++;
}

static void
push_out(struct model *m, tm_time at, tm_time timer, const struct tm_seg *s)
{
	if (m->nout == NOUT) {
		if (m->outhead == 0)
			return;
		memmove(m->out, m->out + m->outhead, (m->nout - m->outhead) * sizeof(m->out[0]));
		m->nout -= m->outhead;
		m->outhead = 0;
	}
	m->out[m->nout].at = at;
	m->out[m->nout].timer = timer;
	m->out[m->nout].seg = *s;
	m->out[m->nout].seg.payload = NULL;
	m->nout++;
}

static void
push_ev(struct model *m, const struct lab_ev *e)
{
	if (m->nev < NEV)
		m->ev[m->nev++] = *e;
}

/* What the tracepoints would print for one effect. */
static void
trace_fx(struct model *m, const struct tm_effect *fx)
{
	struct lab_ev e;

	memset(&e, 0, sizeof(e));
	e.ts_ns = fx->at;
	if (fx->kind == TM_FX_STATE && tm_fx_traced(&m->prof, fx)) {
		e.kind = LAB_EV_STATE;
		e.oldstate = fx->u.st.from;
		e.newstate = fx->u.st.to;
		if (!id_ports(m, fx->sock, &e.sport, &e.dport))
			return;
		push_ev(m, &e);
	} else if (fx->kind == TM_FX_SEG_OUT && fx->u.seg.rtx && fx->obj == TM_OBJ_REQ &&
	    (fx->u.seg.seg.flags & (TM_SYN | TM_ACK)) == (TM_SYN | TM_ACK)) {
		e.kind = LAB_EV_RETRANSMIT_SYNACK;
		e.sport = fx->u.seg.seg.sport;
		e.dport = fx->u.seg.seg.dport;
		push_ev(m, &e);
	}
}

/* A twsk in TIME_WAIT, for the no-tw-rearm mutation. */
struct twsave {
	uint32_t	id;
	tm_time		deadline;
};

static int
do_step(struct model *m, const struct tm_event *ev, tm_time timer)
{
	struct tm_fxbuf fb = { .v = m->fx, .n = 0, .cap = NFX, .lost = 0 };
	struct twsave tw[NPOOL];
	struct tm_reqsk req = { 0 };
	bool req_live = false;
	size_t i, ntw = 0;
	int rc;

	ids_scan(m);
	for (i = 0; i < NPOOL; i++)
		if (m->tws[i].id && m->tws[i].substate == TM_TIME_WAIT) {
			tw[ntw].id = m->tws[i].id;
			tw[ntw].deadline = m->tws[i].deadline;
			ntw++;
		}
	if (ev->kind == TM_EV_TIMER && ev->u.tmr.obj == TM_OBJ_REQ) {
		struct tm_reqsk *q = tm_host_req(&m->host, ev->u.tmr.sock);

		if (q != NULL) {
			req = *q;
			req_live = true;
		}
	}
	rc = tm_step(&m->prof, &m->host, ev, &fb);
	m->nfx = fb.n;
	ids_scan(m);
	for (i = 0; i < fb.n; i++) {
		const struct tm_effect *fx = &m->fx[i];

		if (fx->kind == TM_FX_SEG_OUT)
			push_out(m, fx->at, timer, &fx->u.seg.seg);
		else if (fx->kind == TM_FX_TIMER_SET)
			push_timer(m, fx);
		trace_fx(m, fx);
	}
	if (m->mut == LAB_MUT_NO_TW_REARM) {
		/* Undo any re-arm of a TIME_WAIT timer. */
		for (i = 0; i < ntw; i++) {
			struct tm_twsk *t = tm_host_tw(&m->host, tw[i].id);

			if (t != NULL && t->deadline > tw[i].deadline)
				t->deadline = tw[i].deadline;
		}
	}
	if (m->mut == LAB_MUT_SYNACK_EXPIRY_RST && req_live &&
	    tm_host_req(&m->host, req.id) == NULL) {
		/* A RST where Linux drops the request silently. */
		struct tm_seg s;
		bool sent = false;

		for (i = 0; i < fb.n; i++)
			sent |= m->fx[i].kind == TM_FX_SEG_OUT;
		if (!sent) {
			memset(&s, 0, sizeof(s));
			s.src = req.laddr;
			s.dst = req.raddr;
			s.sport = req.lport;
			s.dport = req.rport;
			s.seq = req.iss + 1;
			s.flags = TM_RST;
			push_out(m, ev->at, timer, &s);
		}
	}
	return rc;
}

/* Fire every timer due at or before t (earliest first, ties in arming order). */
static void
advance(struct model *m, tm_time t)
{
	struct tm_event ev;
	size_t i, best;
	tm_time len;

	for (;;) {
		best = m->ntq;
		for (i = 0; i < m->ntq; i++)
			if (m->tq[i].at <= t && (best == m->ntq || m->tq[i].at < m->tq[best].at ||
			    (m->tq[i].at == m->tq[best].at && m->tq[i].order < m->tq[best].order)))
				best = i;
		if (best == m->ntq)
			break;
		memset(&ev, 0, sizeof(ev));
		ev.kind = TM_EV_TIMER;
		ev.at = m->tq[best].at > m->now ? m->tq[best].at : m->now;
		ev.u.tmr.sock = m->tq[best].sock;
		ev.u.tmr.obj = (enum tm_obj)m->tq[best].obj;
		ev.u.tmr.timer = (enum tm_timer)m->tq[best].timer;
		len = m->tq[best].len;
		m->tq[best] = m->tq[--m->ntq];
		m->now = ev.at;
		do_step(m, &ev, len);
		if (m->nout > m->outhead)
			return;		/* let the reader see it first */
	}
	if (t > m->now)
		m->now = t;
}

/* ---- The backend ---- */

static uint64_t
m_now(struct krunner *r)
{
	return MB(r)->now;
}

static int
m_send(struct krunner *r, const struct tm_seg *s, struct td_err *err)
{
	struct model *m = MB(r);
	struct tm_event ev;

	(void)err;
	memset(&ev, 0, sizeof(ev));
	ev.kind = TM_EV_SEG;
	ev.at = m->now;
	ev.u.seg = *s;
	ev.u.seg.payload = NULL;
	do_step(m, &ev, 0);
	return 0;
}

static int
m_recv(struct krunner *r, uint64_t deadline, struct tm_seg *s, uint64_t *ts, struct td_err *err)
{
	struct model *m = MB(r);

	(void)err;
	for (;;) {
		if (m->nout > m->outhead) {
			*s = m->out[m->outhead].seg;
			*ts = m->out[m->outhead].at;
			r->seg_timer = m->out[m->outhead].timer;
			m->outhead++;
			return 1;
		}
		if (m->now >= deadline)
			return 0;
		advance(m, deadline);
	}
}

/* The result of the last step's application call. */
static const struct tm_effect *
app_fx(const struct model *m, enum tm_call call)
{
	size_t i;

	for (i = 0; i < m->nfx; i++)
		if (m->fx[i].kind == TM_FX_APP && m->fx[i].u.app.call == call)
			return &m->fx[i];
	return NULL;
}

static int
app_call(struct model *m, const struct tm_app *a, long *res)
{
	struct tm_event ev;
	const struct tm_effect *fx;

	memset(&ev, 0, sizeof(ev));
	ev.kind = TM_EV_APP;
	ev.at = m->now;
	ev.u.app = *a;
	do_step(m, &ev, 0);
	fx = app_fx(m, a->call);
	*res = fx != NULL && fx->u.app.err ? -fx->u.app.err : 0;
	return 0;
}

static int
setopt(struct model *m, uint32_t sock, const char *name, long val, long *res, struct td_err *err)
{
	struct tm_app a;
	int opt;

	/* SO_LINGER {1, 0} is the model's linger0 switch; other lingers are not modelled. */
	if (strcmp(name, "linger") == 0 && val == 0) {
		name = "linger0";
		val = 1;
	}
	if ((opt = tm_sockopt_parse(name)) < 0)
		return td_errf(err, EINVAL, "model: socket option '%s' is not modelled", name);
	memset(&a, 0, sizeof(a));
	a.call = TM_CALL_SETSOCKOPT;
	a.sock = sock;
	a.opt = (enum tm_sockopt)opt;
	a.val = val;
	return app_call(m, &a, res);
}

static int m_app(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err);

/* Has conn c's blocking call returned?  Makes it again if not. */
static int
blk_poll(struct krunner *r, int c, struct td_err *err)
{
	struct model *m = MB(r);
	struct lab_step st = { .c = c };
	struct tm_conn *tc;
	long res = 0;

	if (m->blk[c].done || m->blk[c].call == 0)
		return 0;
	switch (m->blk[c].call) {
	case 'c':
		/* inet_wait_for_connect(): until the state leaves SYN_SENT/SYN_RECV. */
		tc = tm_host_conn(&m->host, r->conn[c].sock);
		if (tc == NULL) {
			res = -EBADF;
		} else if (tc->err) {
			res = -tc->err;		/* sock_error() clears it */
			tc->err = 0;
		} else if (tc->state == TM_SYN_SENT || tc->state == TM_SYN_RECV) {
			return 0;
		} else {
			res = tc->state == TM_CLOSE ? -ECONNABORTED : 0;
		}
		break;
	case 'a':
		st.op = KS_ACCEPT;
		if (m_app(r, &st, &res, err) < 0)
			return -1;
		if (res == -EAGAIN)
			return 0;
		res = res == c ? 0 : res >= 0 ? -ENOENT : res;
		break;
	default:
		st.op = KS_RECV;
		if (m_app(r, &st, &res, err) < 0)
			return -1;
		if (res == -EAGAIN)
			return 0;
		break;
	}
	m->blk[c].done = true;
	m->blk[c].res = res;
	return 0;
}

static int
m_block(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err)
{
	struct model *m = MB(r);
	struct lab_step call = *st;
	long r0 = 0;

	if (st->op == KS_BLOCK) {
		m->blk[st->c].done = false;
		if (strcmp(st->s1, "connect") == 0) {
			m->blk[st->c].call = 'c';
			call.op = KS_CONNECT;
			if (m_app(r, &call, &r0, err) < 0)
				return -1;
			if (r0 != -EINPROGRESS) {
				m->blk[st->c].done = true;
				m->blk[st->c].res = r0;
			}
		} else if (strcmp(st->s1, "accept") == 0) {
			m->blk[st->c].call = 'a';
		} else if (strcmp(st->s1, "recv") == 0) {
			m->blk[st->c].call = 'r';
		} else {
			return td_errf(err, EINVAL, "scenario: unknown blocking call '%s'", st->s1);
		}
	}
	if (blk_poll(r, st->c, err) < 0)
		return -1;
	if (st->op != KS_RETURNED)
		*res = m->blk[st->c].done;
	else
		*res = m->blk[st->c].done ? m->blk[st->c].res : LAB_STILL_BLOCKED;
	if (st->op == KS_RETURNED && m->blk[st->c].done)
		m->blk[st->c].call = 0;
	return 0;
}

static int
m_getopt(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err)
{
	struct model *m = MB(r);
	uint32_t sock = st->c < 0 ? m->listener : r->conn[st->c].sock;
	const struct tm_effect *fx;
	struct tm_app a;
	int opt;

	if ((opt = tm_sockopt_parse(st->s1)) < 0)
		return td_errf(err, EINVAL, "model: option '%s' is not modelled", st->s1);
	memset(&a, 0, sizeof(a));
	a.call = strncmp(st->s1, "sioc", 4) == 0 ? TM_CALL_IOCTL : TM_CALL_GETSOCKOPT;
	a.sock = sock;
	a.opt = (enum tm_sockopt)opt;
	app_call(m, &a, res);
	if (*res == 0 && (fx = app_fx(m, a.call)) != NULL)
		*res = (long)fx->u.app.ret;
	return 0;
}

static int
m_app(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err)
{
	struct model *m = MB(r);
	struct kconn *k = st->c >= 0 ? &r->conn[st->c] : NULL;
	const struct tm_effect *fx;
	struct tm_conn *tc;
	struct tm_app a;
	int c, i;

	advance(m, m->now);
	memset(&a, 0, sizeof(a));
	*res = 0;
	switch (st->op) {
	case KS_LISTEN:
		a.call = TM_CALL_LISTEN;
		a.lport = r->run->base_port;
		a.backlog = (int)st->n;
		app_call(m, &a, res);
		if ((fx = app_fx(m, TM_CALL_LISTEN)) != NULL && !fx->u.app.err)
			m->listener = fx->sock ? fx->sock : (uint32_t)fx->u.app.ret;
		break;
	case KS_CONNECT:
		a.call = TM_CALL_CONNECT;
		a.raddr = r->paddr;
		a.rport = k->pport;
		a.lport = k->kport;
		app_call(m, &a, res);
		if ((tc = conn_by_ports(m, k->kport, k->pport)) == NULL)
			return td_errf(err, EIO, "model: connect made no socket");
		k->sock = tc->id;
		for (i = 0; i < m->npend[st->c]; i++) {
			long r2;

			if (setopt(m, k->sock, m->pend[st->c][i].name, m->pend[st->c][i].val, &r2,
			    err) < 0)
				return -1;
		}
		m->npend[st->c] = 0;
		break;
	case KS_ACCEPT:
		a.call = TM_CALL_ACCEPT;
		a.sock = m->listener;
		app_call(m, &a, res);
		if (*res < 0)
			break;
		fx = app_fx(m, TM_CALL_ACCEPT);
		tc = fx != NULL ? tm_host_conn(&m->host, (uint32_t)fx->u.app.ret) : NULL;
		*res = -ENOENT;
		for (c = 0; tc != NULL && c < LAB_CONN_MAX; c++)
			if (r->conn[c].pport == tc->rport && r->conn[c].sock == 0) {
				r->conn[c].sock = tc->id;
				*res = c;
				break;
			}
		break;
	case KS_SEND:
		a.call = TM_CALL_SEND;
		a.sock = k->sock;
		a.len = (uint32_t)st->n;
		a.nonblock = true;	/* the kernel leg's sockets are non-blocking */
		app_call(m, &a, res);
		break;
	case KS_SHUTDOWN:
		a.call = TM_CALL_SHUTDOWN;
		a.sock = st->c < 0 ? m->listener : k->sock;
		a.how = (int)st->n;
		app_call(m, &a, res);
		break;
	case KS_RECV:
		a.call = TM_CALL_RECV;
		a.sock = k->sock;
		app_call(m, &a, res);
		if (*res == 0 && (fx = app_fx(m, TM_CALL_RECV)) != NULL)
			*res = (long)fx->u.app.ret;
		break;
	case KS_CLOSE:
		a.call = TM_CALL_CLOSE;
		a.sock = st->c < 0 ? m->listener : k->sock;
		app_call(m, &a, res);
		*res = 0;
		break;
	case KS_GETOPT:
		return m_getopt(r, st, res, err);
	case KS_BLOCK:
	case KS_BLOCKED:
	case KS_RETURNED:
		return m_block(r, st, res, err);
	case KS_SOCKOPT:
		if (st->c < 0)
			return setopt(m, m->listener, st->s1, st->n, res, err);
		if (k->sock == 0) {
			if (m->npend[st->c] == 8)
				return td_errf(err, ENOBUFS, "model: too many options before connect");
			snprintf(m->pend[st->c][m->npend[st->c]].name, 16, "%s", st->s1);
			m->pend[st->c][m->npend[st->c]].val = st->n;
			m->npend[st->c]++;
			break;
		}
		return setopt(m, k->sock, st->s1, st->n, res, err);
	case KS_SOERROR:
		/* getsockopt(SO_ERROR) returns sk_err and clears it. */
		if ((tc = tm_host_conn(&m->host, k->sock)) != NULL) {
			*res = tc->err;
			tc->err = 0;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* What sock_diag would show: full sockets (not CLOSE), requests, timewait. */
static int
m_ss(struct krunner *r, int c, struct kss *out, struct td_err *err)
{
	struct model *m = MB(r);
	uint16_t lp = r->conn[c].kport, rp = r->conn[c].pport;
	tm_time dl = 0;
	uint32_t i;

	(void)err;
	advance(m, m->now);
	for (i = 0; i < NPOOL && !out->found; i++) {
		const struct tm_conn *k = &m->conns[i];
		const struct tm_reqsk *q = &m->reqs[i];
		const struct tm_twsk *t = &m->tws[i];

		if (k->id && k->lport == lp && k->rport == rp && k->state != TM_CLOSE &&
		    k->state != TM_LISTEN) {
			out->found = true;
			snprintf(out->state, sizeof(out->state), "%s", tm_state_name(k->state));
			/* icsk_pending first, then the keepalive timer (inet_diag.c). */
			dl = k->deadline[TM_T_RTX] ? k->deadline[TM_T_RTX] : k->deadline[TM_T_KEEPALIVE];
		} else if (q->id && q->lport == lp && q->rport == rp) {
			out->found = true;
			snprintf(out->state, sizeof(out->state), "SYN_RECV");
			dl = q->deadline;
		} else if (t->id && t->lport == lp && t->rport == rp) {
			out->found = true;
			snprintf(out->state, sizeof(out->state), "%s", tm_state_name(t->substate));
			dl = t->deadline;
		}
	}
	if (out->found && dl) {
		out->has_timer = true;
		out->timer_ms = dl > m->now ? (uint32_t)((dl - m->now) / KMS) : 0;
	}
	return 0;
}

/* The host's counters (tm_host.counters, names as nstat prints them). */
static int
m_counter(struct krunner *r, const char *name, uint64_t *v, bool *known, struct td_err *err)
{
	struct model *m = MB(r);
	int i;

	(void)err;
	advance(m, m->now);
	*known = false;
	for (i = 0; i < TM_C_MAX; i++)
		if (strcmp(tm_counter_name((enum tm_counter)i), name) == 0) {
			*known = true;
			*v = m->host.counters[i];
			break;
		}
	return 0;
}

static int
m_trace(struct krunner *r, struct lab_ev *ev, size_t cap, struct td_err *err)
{
	struct model *m = MB(r);
	size_t n = m->nev < cap ? m->nev : cap;

	(void)err;
	memcpy(ev, m->ev, n * sizeof(*ev));
	return (int)n;
}

static const struct kback_ops model_ops = {
	.now = m_now,
	.send = m_send,
	.recv = m_recv,
	.app = m_app,
	.ss = m_ss,
	.counter = m_counter,
	.trace = m_trace,
};

int
lab_run_model(const struct tm_profile *prof, const struct lab_scen *scen, struct lab_run *run,
    enum lab_mut mut, struct td_err *err)
{
	struct krunner *r;
	struct model *m;
	struct tm_addr ka, pa;
	int ret;

	r = calloc(1, sizeof(*r));
	m = calloc(1, sizeof(*m));
	if (r == NULL || m == NULL) {
		free(r);
		free(m);
		return td_errf(err, ENOMEM, "out of memory");
	}
	m->prof = *prof;
	m->mut = mut;
	ka = run->kaddr;
	pa = run->paddr;
	if (ka.family == 0) {
		tm_addr_parse(run->family == AF_INET6 ? "2001:db8:7464::1" : "198.18.0.1", &ka);
		tm_addr_parse(run->family == AF_INET6 ? "2001:db8:7464::2" : "198.19.0.2", &pa);
	}
	tm_host_init(&m->host, 0, &ka, 0x7464636f6e666f72ull, 0x6d616e6365000000ull, m->conns,
	    NPOOL, m->reqs, NPOOL, m->tws, NPOOL);
	/* Simulated time starts at 1 s: 0 means "off" for the model's deadlines. */
	m->now = 1000 * KMS;
	r->ops = &model_ops;
	r->be = m;
	r->model = true;
	krunner_init(r, run, scen, &ka, &pa);
	ret = krunner_run(r, err);
	free(m);
	free(r);
	return ret;
}

int
lab_run_model_like(const struct lab_run *kernel, enum lab_mut mut, struct lab_run *model,
    struct td_err *err)
{
	struct td_sysctls sys;
	struct tm_profile prof;

	if (sysctl_read("/proc", &sys, err) < 0)
		return -1;
	prof = tm_profile_from_values(sysctl_value, &sys);
	model->family = kernel->family;
	model->base_port = kernel->base_port;
	model->kaddr = kernel->kaddr;
	model->paddr = kernel->paddr;
	return lab_run_model(&prof, kernel->scen, model, mut, err);
}
