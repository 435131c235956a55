/* SPDX-License-Identifier: MIT */
/*
 * A compiled `sim -f` script played by the conformance runner over one
 * backend (the kernel or the model: backend.h), then judged: every
 * expectation of the script checked on the run's record, with the
 * script's FILE:LINE, the side, what was expected and what came.  See
 * script.h for the timing rules.
 */
#include "lab/script.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "lab/backend.h"

#define MS	KMS

struct xctx {
	struct krunner		*r;
	const struct lab_xprog	*prog;
	struct lab_xrun		*x;
	uint32_t		 pisn[LAB_CONN_MAX];	/* the peer's ISN: its last injected SYN */
	bool			 pisn_known[LAB_CONN_MAX];
};

void
lab_xports(const struct lab_xprog *prog, uint16_t *lo, uint16_t *hi)
{
	uint16_t a = prog->lport ? prog->lport : 65535, b = prog->lport;
	int c;

	for (c = 0; c < prog->nconns; c++) {
		if (prog->kport[c] < a)
			a = prog->kport[c];
		if (prog->pport[c] < a)
			a = prog->pport[c];
		if (prog->kport[c] > b)
			b = prog->kport[c];
		if (prog->pport[c] > b)
			b = prog->pport[c];
	}
	*lo = a <= b ? a : b;
	*hi = b;
}

/* ---- The record ---- */

static void __attribute__((format(printf, 5, 6)))
text(struct xctx *x, uint64_t t, enum lab_rec_kind kind, int c, const char *fmt, ...)
{
	struct lab_run *run = x->r->run;
	struct lab_rec *e;
	va_list ap;

	if (run->nrec == run->caprec) {
		size_t cap = run->caprec ? run->caprec * 2 : 64;
		struct lab_rec *n = realloc(run->rec, cap * sizeof(*n));

		if (n == NULL)
			return;
		run->rec = n;
		run->caprec = cap;
	}
	e = &run->rec[run->nrec++];
	memset(e, 0, sizeof(*e));
	e->t_ns = t >= x->r->t0 ? t - x->r->t0 : 0;
	e->dt_ns = t >= x->r->tprev ? t - x->r->tprev : 0;
	e->kind = kind;
	e->step = kind == KR_TRACE ? -1 : x->r->step;
	e->c = c;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

static struct lab_xrec *
xrec(struct xctx *x, enum lab_xrkind kind, uint64_t t, int c)
{
	struct lab_xrun *xr = x->x;
	struct lab_xrec *e;

	if (xr->nrec == xr->caprec) {
		size_t cap = xr->caprec ? xr->caprec * 2 : 64;
		struct lab_xrec *n = realloc(xr->rec, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		xr->rec = n;
		xr->caprec = cap;
	}
	e = &xr->rec[xr->nrec++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->t_ns = t >= x->r->t0 ? t - x->r->t0 : 0;
	e->c = c;
	e->h = -1;
	e->exp = -1;
	return e;
}

static uint8_t
opt_bits(const struct tm_seg *s)
{
	return (uint8_t)((s->has_mss ? LXO_MSS : 0) | (s->sack_ok ? LXO_SACKOK : 0) |
	    (s->has_ts ? LXO_TS : 0) | (s->has_wscale ? LXO_WSCALE : 0) | (s->nsack ? LXO_SACK : 0));
}

static const char *const opt_names[] = { "mss", "sackOK", "ts", "wscale", "sack" };

static void
opts_str(uint8_t o, char *buf, size_t cap)
{
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if ((o & (1u << i)) && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? "," : "", opt_names[i]);
	if (n == 0)
		snprintf(buf, cap, "none");
}

/* A segment from the stack: numbers relative to each side's ISN, recorded twice. */
static void
note_out(struct xctx *x, int c, const struct tm_seg *s, uint64_t ts)
{
	struct kconn *k = &x->r->conn[c];
	struct lab_xrec *e;
	char fl[16], o[64], a[24];

	if (s->flags & TM_SYN) {
		k->kisn = s->seq;
		k->kisn_known = true;
	}
	if (s->has_ts)
		k->ts_recent = s->tsval;
	if ((e = xrec(x, LXR_OUT, ts, c)) == NULL)
		return;
	e->flags = s->flags;
	e->opts = opt_bits(s);
	e->aseq = s->seq;
	e->aack = s->ack;
	e->seq = k->kisn_known ? (int32_t)(s->seq - k->kisn) : (int64_t)s->seq;
	e->ack = x->pisn_known[c] ? (int32_t)(s->ack - x->pisn[c]) : (int64_t)s->ack;
	e->len = s->len;
	e->wnd = s->wnd;
	tm_flags_str(s->flags, fl, sizeof(fl));
	opts_str(e->opts, o, sizeof(o));
	if (s->flags & TM_ACK)
		snprintf(a, sizeof(a), " ack %" PRId64, e->ack);
	else
		a[0] = '\0';
	/* No window in the ladder: the model's buffer sizing is not the kernel's (runner.h). */
	text(x, ts, KR_OUT, c, "%s seq %" PRId64 "%s len %u %s", fl, e->seq, a, s->len, o);
}

/* Let the stack run until deadline, recording what it sends. */
static int
play_until(struct xctx *x, uint64_t deadline, struct td_err *err)
{
	struct krunner *r = x->r;
	struct tm_seg s;
	uint64_t ts;
	int n, c;

	for (;;) {
		r->seg_timer = 0;
		n = r->ops->recv(r, deadline, &s, &ts, err);
		if (n <= 0)
			return n;
		if ((c = krunner_conn_of(r, &s)) >= 0)
			note_out(x, c, &s, ts);
	}
}

/* ---- Steps ---- */

struct window_t {
	uint64_t	lo, hi, at;
};

static struct window_t window_of(const struct lab_xprog *prog, const struct lab_xrun *x,
    size_t nplayed, uint64_t t, uint64_t tol, bool model);

/*
 * "at +D after": D after the last segment the stack sent by the reference
 * time (its late window included on the kernel), or at once if that has
 * passed; with no segment yet, D after the reference.
 */
static int
play_after(struct xctx *x, size_t i, struct td_err *err)
{
	const struct lab_xstep *xs = &x->prog->steps[i];
	struct krunner *r = x->r;
	struct window_t w = window_of(x->prog, x->x, i, xs->ref_ns, 0, r->model);
	uint64_t last = 0, at, ts;
	struct tm_seg s;
	bool seen = false;
	size_t k;
	int n = 0, c;

	if (play_until(x, r->t0 + w.lo, err) < 0)
		return -1;
	for (k = 0; k < x->x->nrec; k++)
		if (x->x->rec[k].kind == LXR_OUT && x->x->rec[k].t_ns >= w.lo)
			seen = true;
	/* The first segment in the reference's window, as soon as it comes. */
	while (!seen && (n = r->ops->recv(r, r->t0 + w.hi, &s, &ts, err)) == 1) {
		if ((c = krunner_conn_of(r, &s)) < 0)
			continue;
		note_out(x, c, &s, ts);
		break;
	}
	if (!seen && n < 0)
		return -1;
	seen = false;
	for (k = 0; k < x->x->nrec; k++)
		if (x->x->rec[k].kind == LXR_OUT) {
			last = x->x->rec[k].t_ns;
			seen = true;
		}
	at = (seen ? last : w.at) + xs->after_ns;
	return play_until(x, r->t0 + at, err);
}

static int
do_inject(struct xctx *x, const struct lab_xstep *xs, struct td_err *err)
{
	struct krunner *r = x->r;
	struct kconn *k = &r->conn[xs->c];
	struct tm_seg s = xs->seg;
	uint64_t now = r->ops->now(r);
	char fl[16], o[64], a[32];

	s.src = r->paddr;
	s.dst = r->kaddr;
	s.sport = k->pport;
	s.dport = k->kport;
	s.payload = NULL;
	/* As sim/sim.c's inject(): relative to each side's last SYN on the tuple. */
	if (s.flags & TM_SYN) {
		x->pisn[xs->c] = s.seq;
		x->pisn_known[xs->c] = true;
	} else if (!xs->abs && x->pisn_known[xs->c]) {
		s.seq += x->pisn[xs->c];
	}
	if (!xs->abs && (s.flags & TM_ACK) && k->kisn_known)
		s.ack += k->kisn;
	if (r->ops->send(r, &s, err) < 0)
		return -1;
	tm_flags_str(s.flags, fl, sizeof(fl));
	opts_str(opt_bits(&s), o, sizeof(o));
	if (s.flags & TM_ACK)
		snprintf(a, sizeof(a), " ack %" PRId64,
		    k->kisn_known ? (int64_t)(int32_t)(s.ack - k->kisn) : (int64_t)s.ack);
	else
		a[0] = '\0';
	text(x, now, KR_IN, xs->c, "%s seq %" PRId64 "%s len %u win %u %s", fl,
	    x->pisn_known[xs->c] && !(s.flags & TM_SYN) ? (int64_t)(int32_t)(s.seq - x->pisn[xs->c]) :
	    (int64_t)s.seq, a, s.len, s.wnd, o);
	return 0;
}

static const char *
call_name(enum lab_op op)
{
	switch (op) {
	case KS_LISTEN:		return "listen";
	case KS_CONNECT:	return "connect";
	case KS_ACCEPT:		return "accept";
	case KS_SEND:		return "send";
	case KS_RECV:		return "recv";
	case KS_SHUTDOWN:	return "shutdown";
	case KS_CLOSE:		return "close";
	case KS_SOCKOPT:	return "setsockopt";
	case KS_GETOPT:		return "getsockopt";
	default:		return "call";
	}
}

static void
res_str(long res, char *buf, size_t cap)
{
	if (res < 0)
		snprintf(buf, cap, "%s", strerrorname_np((int)-res) ? strerrorname_np((int)-res) : "E?");
	else
		snprintf(buf, cap, "%ld", res);
}

static int
do_app(struct xctx *x, const struct lab_xstep *xs, struct td_err *err)
{
	struct krunner *r = x->r;
	struct lab_step st = xs->st;
	struct lab_xrec *e;
	uint64_t now = r->ops->now(r);
	bool listener = xs->h >= 0 && x->prog->hlisten[xs->h];
	int c = xs->h >= 0 ? x->x->hconn[xs->h] : -1;
	char rs[32];
	long res = 0;

	if (st.op == KS_CONNECT)
		c = xs->c;
	st.c = listener ? -1 : c;
	if (st.op != KS_LISTEN && st.op != KS_CONNECT && st.op != KS_ACCEPT && !listener && c < 0) {
		res = -EBADF;	/* the handle has no socket: its accept failed */
	} else {
		if (r->ops->app(r, &st, &res, err) < 0)
			return -1;
	}
	/* The results as the model's calls give them (tcp/app.c). */
	if (st.op == KS_CONNECT && res == 0)
		res = -EINPROGRESS;
	if (st.op == KS_SEND && res == 0)
		res = st.n;
	if (st.op == KS_ACCEPT && res >= 0) {
		c = (int)res;
		res = 0;
	}
	if (xs->bind >= 0 && res >= 0 && st.op != KS_LISTEN)
		x->x->hconn[xs->bind] = c;
	if (xs->bind >= 0 && st.op == KS_CONNECT)
		x->x->hconn[xs->bind] = c;
	if (st.op == KS_CLOSE && xs->h >= 0)
		x->x->closed[xs->h] = true;
	if ((e = xrec(x, LXR_CALL, now, listener ? -1 : c)) != NULL) {
		e->call = st.op;
		e->h = xs->bind >= 0 ? xs->bind : xs->h;
		e->res = res;
	}
	res_str(res, rs, sizeof(rs));
	text(x, now, KR_APP, listener || st.op == KS_LISTEN ? -1 : c, "%s(%s) = %s", call_name(st.op),
	    xs->bind >= 0 ? x->prog->hname[xs->bind] : xs->h >= 0 ? x->prog->hname[xs->h] : "",
	    rs);
	return 0;
}

static int
do_sample(struct xctx *x, const struct lab_xstep *xs, struct td_err *err)
{
	struct krunner *r = x->r;
	struct lab_step st;
	struct lab_xrec *e;
	uint64_t now = r->ops->now(r), v = 0;
	bool known = false;
	long res = 0;
	int c = xs->h >= 0 ? x->x->hconn[xs->h] : -1;

	if (xs->op == LX_COUNTER) {
		if (r->ops->counter(r, xs->name, &v, &known, err) < 0)
			return -1;
	} else if (c >= 0 && !x->x->closed[xs->h]) {
		memset(&st, 0, sizeof(st));
		st.op = KS_SOERROR;
		st.c = c;
		if (r->ops->app(r, &st, &res, err) == 0) {
			known = true;
			v = (uint64_t)res;
		} else {
			memset(err, 0, sizeof(*err));	/* no socket: recorded as unknown */
		}
	}
	if ((e = xrec(x, LXR_SAMPLE, now, c)) != NULL) {
		e->exp = xs->exp;
		e->value = v;
		e->known = known;
	}
	if (xs->op == LX_COUNTER)
		text(x, now, KR_CHECK, -1, "nstat %s %" PRIu64, xs->name, v);
	else
		text(x, now, KR_CHECK, c, "SO_ERROR = %s", !known ? "no socket" : v ?
		    (strerrorname_np((int)v) ? strerrorname_np((int)v) : "E?") : "0");
	return 0;
}

/*
 * A non-blocking connect() completes when SYN_SENT becomes ESTABLISHED: the
 * model reports connect = 0 then (tcp/app.c), so the record says it too.
 */
static void
connected(struct xctx *x, int c, uint64_t ts)
{
	struct lab_xrec *e;
	int h;

	for (h = 0; h < x->prog->nh; h++)
		if (x->x->hconn[h] == c && !x->prog->hlisten[h] &&
		    (e = xrec(x, LXR_CALL, ts, c)) != NULL) {
			e->call = KS_CONNECT;
			e->h = h;
			e->res = 0;
			return;
		}
}

/* The trace's state changes, as the judge reads them. */
static int
read_trace(struct xctx *x, struct td_err *err)
{
	struct krunner *r = x->r;
	struct lab_ev ev[256];
	struct lab_xrec *e;
	int nev, i, c;

	if ((nev = r->ops->trace(r, ev, 256, err)) < 0)
		return -1;
	for (i = 0; i < nev; i++) {
		if (ev[i].kind != LAB_EV_STATE)
			continue;
		for (c = 0; c < x->prog->nconns; c++)
			if (r->conn[c].kport == ev[i].sport && r->conn[c].pport == ev[i].dport)
				break;
		if (c == x->prog->nconns) {
			if (ev[i].sport != x->prog->lport || ev[i].dport != 0)
				continue;
			c = -1;
		}
		if ((e = xrec(x, LXR_STATE, ev[i].ts_ns, c)) == NULL)
			continue;
		snprintf(e->state, sizeof(e->state), "%s", lab_state_name(ev[i].newstate));
		snprintf(e->from, sizeof(e->from), "%s", lab_state_name(ev[i].oldstate));
		text(x, ev[i].ts_ns, KR_TRACE, c, "%s>%s", e->from, e->state);
		if (strcmp(e->from, "SYN_SENT") == 0 && strcmp(e->state, "ESTABLISHED") == 0)
			connected(x, c, ev[i].ts_ns);
	}
	return 0;
}

int
krunner_run_script(struct krunner *r, struct td_err *err)
{
	struct xctx x;
	const struct lab_xprog *prog = r->scen->prog;
	const struct lab_xstep *xs;
	size_t i;
	int c, ret = -1;

	memset(&x, 0, sizeof(x));
	x.r = r;
	x.prog = prog;
	if ((x.x = calloc(1, sizeof(*x.x))) == NULL ||
	    (x.x->step_t = calloc(prog->nsteps + 1, sizeof(uint64_t))) == NULL ||
	    (x.x->res = calloc(prog->nexps + 1, sizeof(*x.x->res))) == NULL) {
		if (x.x != NULL) {
			free(x.x->step_t);
			free(x.x);
		}
		return td_errf(err, ENOMEM, "out of memory");
	}
	r->run->x = x.x;
	/* The script's ports, whatever the caller chose (listen() takes base_port). */
	if (prog->lport != 0)
		r->run->base_port = prog->lport;
	for (i = 0; i < LAB_X_HANDLES; i++)
		x.x->hconn[i] = (int)i < prog->nh ? prog->hconn[i] : -1;
	for (c = 0; c < prog->nconns && c < LAB_CONN_MAX; c++) {
		r->conn[c].kport = prog->kport[c];
		r->conn[c].pport = prog->pport[c];
	}
	r->t0 = r->tprev = r->ops->now(r);
	for (i = 0; i < prog->nsteps; i++) {
		xs = &prog->steps[i];
		r->step = (int)i;
		if (xs->after) {
			if (play_after(&x, i, err) < 0)
				return -1;
		} else if (play_until(&x, r->t0 + xs->at_ns, err) < 0) {
			return -1;
		}
		x.x->step_t[i] = r->ops->now(r) - r->t0;
		switch (xs->op) {
		case LX_APP:
			ret = do_app(&x, xs, err);
			break;
		case LX_INJECT:
			ret = do_inject(&x, xs, err);
			break;
		default:
			ret = do_sample(&x, xs, err);
			break;
		}
		if (ret < 0)
			return -1;
		r->tprev = r->ops->now(r);
	}
	r->step = (int)prog->nsteps;
	if (play_until(&x, r->t0 + prog->end_ns, err) < 0 || read_trace(&x, err) < 0)
		return -1;
	x.x->failed = lab_xjudge(prog, r->run, r->model);
	return 0;
}

void
lab_xrun_free(struct lab_run *run)
{
	if (run->x == NULL)
		return;
	free(run->x->rec);
	free(run->x->step_t);
	free(run->x->res);
	free(run->x);
	run->x = NULL;
}

/* ---- The judge ---- */

struct msg {
	char	*s;
	size_t	 n, cap;
};

static void __attribute__((format(printf, 2, 3)))
add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (m->n >= m->cap)
		return;
	va_start(ap, fmt);
	r = vsnprintf(m->s + m->n, m->cap - m->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		m->n += (size_t)r;
}

/*
 * When the script's time t really came in this run: counted from when the
 * last step at or before it played (of the first nplayed).
 */
static struct window_t
window_of(const struct lab_xprog *prog, const struct lab_xrun *x, size_t nplayed, uint64_t t,
    uint64_t tol, bool model)
{
	struct window_t w;
	int64_t shift = 0;
	uint64_t gap = t, early, late, k;
	size_t i;

	for (i = 0; i < prog->nsteps && i < nplayed && prog->steps[i].at_ns <= t; i++) {
		shift = (int64_t)x->step_t[i] - (int64_t)prog->steps[i].at_ns;
		gap = t - prog->steps[i].at_ns;
	}
	if (shift < 0 && (uint64_t)-shift > t)
		shift = -(int64_t)t;
	early = late = tol;
	if (!model) {
		/* The kernel's timers: as a conformance scenario's segment (runner.h). */
		k = krunner_tolerance(gap);
		if (k > early)
			early = k;
		if (k + krunner_wheel_slack(gap) > late)
			late = k + krunner_wheel_slack(gap);
	}
	w.at = (uint64_t)((int64_t)t + shift);
	w.lo = w.at > early ? w.at - early : 0;
	w.hi = w.at + late;
	return w;
}

static void
when(struct msg *m, const struct lab_xexp *e, const struct window_t *w)
{
	add(m, " at %.4f s", (double)e->at_ns / 1e9);
	if (w->lo != w->at || w->hi != w->at)
		add(m, " (%.4f to %.4f s)", (double)w->lo / 1e9, (double)w->hi / 1e9);
}

static void
seg_text(struct msg *m, uint8_t flags, bool has_seq, int64_t seq, bool has_ack, int64_t ack,
    bool has_len, uint32_t len, bool has_win, uint32_t win)
{
	char fl[16];

	add(m, "%s", tm_flags_str(flags, fl, sizeof(fl)));
	if (has_seq)
		add(m, " seq %" PRId64, seq);
	if (has_ack)
		add(m, " ack %" PRId64, ack);
	if (has_len)
		add(m, " len %" PRIu32, len);
	if (has_win)
		add(m, " win %" PRIu32, win);
}

static bool
check_seg(const struct lab_xprog *prog, struct lab_xrun *x, const struct lab_xexp *e, bool *used,
    bool model, struct msg *m)
{
	struct window_t w = window_of(prog, x, prog->nsteps, e->at_ns, e->tol_ns, model);
	const struct lab_xrec *o, *best = NULL;
	uint64_t bestd = 0, d;
	char op[64];
	size_t i;

	for (i = 0; i < x->nrec; i++) {
		o = &x->rec[i];
		if (o->kind != LXR_OUT || used[i])
			continue;
		d = o->t_ns > w.at ? o->t_ns - w.at : w.at - o->t_ns;
		if (best == NULL || d < bestd) {
			best = o;
			bestd = d;
		}
		if (o->t_ns < w.lo || o->t_ns > w.hi || o->flags != e->flags)
			continue;
		if ((e->has_seq && (e->abs ? (int64_t)o->aseq : o->seq) != e->seq) ||
		    (e->has_ack && (e->abs ? (int64_t)o->aack : o->ack) != e->ack) ||
		    (e->has_len && o->len != e->len) || (e->has_win && o->wnd != e->win) ||
		    (e->has_opts && o->opts != e->opts))
			continue;
		used[i] = true;
		return true;
	}
	add(m, "expected %s sends ", prog->host);
	seg_text(m, e->flags, e->has_seq, e->seq, e->has_ack, e->ack, e->has_len, e->len,
	    e->has_win, e->win);
	if (e->has_opts) {
		opts_str(e->opts, op, sizeof(op));
		add(m, " opts %s", op);
	}
	if (e->abs)
		add(m, " abs");
	when(m, e, &w);
	if (best == NULL) {
		add(m, "; got no segment from %s", prog->host);
		return false;
	}
	add(m, "; got ");
	seg_text(m, best->flags, true, e->abs ? best->aseq : best->seq, (best->flags & TM_ACK) != 0,
	    e->abs ? best->aack : best->ack, true, best->len, true, best->wnd);
	if (e->has_opts) {
		opts_str(best->opts, op, sizeof(op));
		add(m, " opts %s", op);
	}
	add(m, " at %.4f s (the nearest)", (double)best->t_ns / 1e9);
	return false;
}

/* The connection behind handle h at the end of the run; -1: the listener, -2: none. */
static int
conn_of(const struct lab_xprog *prog, const struct lab_xrun *x, int h)
{
	if (h < 0 || h >= prog->nh)
		return -2;
	if (prog->hlisten[h])
		return -1;
	return x->hconn[h] >= 0 ? x->hconn[h] : -2;
}

static bool
check_state(const struct lab_xprog *prog, struct lab_xrun *x, const struct lab_xexp *e,
    bool model, struct msg *m)
{
	struct window_t w = window_of(prog, x, prog->nsteps, e->at_ns, e->tol_ns, model);
	const struct lab_xrec *o, *near = NULL;
	int c = conn_of(prog, x, e->h);
	size_t i;

	for (i = 0; c > -2 && i < x->nrec; i++) {
		o = &x->rec[i];
		if (o->kind != LXR_STATE || o->c != c)
			continue;
		if (strcmp(o->state, e->state) == 0 && o->t_ns >= w.lo && o->t_ns <= w.hi)
			return true;
		if (near == NULL || o->t_ns <= w.hi)
			near = o;
	}
	add(m, "expected %s's %s to enter %s", prog->host, prog->hname[e->h], e->state);
	when(m, e, &w);
	if (c == -2)
		add(m, "; got no socket behind '%s'", prog->hname[e->h]);
	else if (near == NULL)
		add(m, "; got no state change");
	else
		add(m, "; got %s>%s at %.4f s", near->from, near->state, (double)near->t_ns / 1e9);
	return false;
}

static void
val_text(struct msg *m, int err, int64_t v)
{
	if (err != 0)
		add(m, "%s", strerrorname_np(err) ? strerrorname_np(err) : "E?");
	else
		add(m, "%" PRId64, v);
}

static bool
check_call(const struct lab_xprog *prog, struct lab_xrun *x, const struct lab_xexp *e,
    bool model, struct msg *m)
{
	struct window_t w = window_of(prog, x, prog->nsteps, e->at_ns, e->tol_ns, model);
	const struct lab_xrec *o, *near = NULL;
	size_t i;
	bool in;

	for (i = 0; i < x->nrec; i++) {
		o = &x->rec[i];
		if (o->kind != LXR_CALL || o->h != e->h || o->call != e->call)
			continue;
		in = o->t_ns >= w.lo && o->t_ns <= w.hi;
		/* accept's value is a socket: any success meets a value. */
		if (in && (e->err != 0 ? o->res == -e->err :
		    o->res >= 0 && (e->call == KS_ACCEPT || o->res == e->ret)))
			return true;
		if (near == NULL || in)
			near = o;
	}
	add(m, "expected %s(%s) = ", call_name(e->call), prog->hname[e->h]);
	val_text(m, e->err, e->ret);
	when(m, e, &w);
	if (near == NULL) {
		add(m, "; got no %s on it", call_name(e->call));
		return false;
	}
	add(m, "; got ");
	val_text(m, near->res < 0 ? (int)-near->res : 0, near->res);
	add(m, " at %.4f s", (double)near->t_ns / 1e9);
	return false;
}

static bool
check_sample(const struct lab_xprog *prog, struct lab_xrun *x, const struct lab_xexp *e, int idx,
    struct msg *m)
{
	const struct lab_xrec *o = NULL;
	size_t i;

	for (i = 0; i < x->nrec; i++)
		if (x->rec[i].kind == LXR_SAMPLE && x->rec[i].exp == idx)
			o = &x->rec[i];
	if (e->kind == LXE_COUNTER) {
		if (o != NULL && o->known && o->value == e->value)
			return true;
		add(m, "expected %s's %s = %" PRIu64 " at %.4f s; got ", prog->host, e->counter,
		    e->value, (double)e->at_ns / 1e9);
		if (o == NULL || !o->known)
			add(m, "a counter this side does not keep");
		else
			add(m, "%" PRIu64, o->value);
		return false;
	}
	if (o != NULL && o->known && o->value == (uint64_t)e->err)
		return true;
	add(m, "expected so_error(%s) = ", prog->hname[e->h]);
	val_text(m, e->err, 0);
	add(m, " at %.4f s; got ", (double)e->at_ns / 1e9);
	if (o == NULL || !o->known)
		add(m, "no socket behind '%s'", prog->hname[e->h]);
	else
		val_text(m, (int)o->value, 0);
	return false;
}

static bool
check_nothing(const struct lab_xprog *prog, struct lab_xrun *x, const struct lab_xexp *e,
    bool model, struct msg *m)
{
	/* From the latest end of the window before it to the start of the next. */
	struct window_t a = window_of(prog, x, prog->nsteps, e->from_ns, 0, model);
	struct window_t b = window_of(prog, x, prog->nsteps, e->at_ns, 0, model);
	const struct lab_xrec *o;
	char fl[16];
	size_t i;

	for (i = 0; i < x->nrec; i++) {
		o = &x->rec[i];
		if (o->kind != LXR_OUT || o->t_ns <= a.hi || o->t_ns >= b.lo)
			continue;
		add(m, "expected nothing from %.4f s until %.4f s; got %s sends %s at %.4f s",
		    (double)e->from_ns / 1e9, (double)e->at_ns / 1e9, prog->host,
		    tm_flags_str(o->flags, fl, sizeof(fl)), (double)o->t_ns / 1e9);
		return false;
	}
	return true;
}

unsigned int
lab_xjudge(const struct lab_xprog *prog, struct lab_run *run, bool model)
{
	struct lab_xrun *x = run->x;
	unsigned int failed = 0;
	struct msg m;
	bool *used, met;
	size_t i;

	if (x == NULL)
		return 0;
	used = calloc(x->nrec + 1, sizeof(*used));
	for (i = 0; i < prog->nexps; i++) {
		const struct lab_xexp *e = &prog->exps[i];

		m.s = x->res[i].msg;
		m.cap = sizeof(x->res[i].msg);
		m.n = 0;
		add(&m, "%s:%u: %s: ", prog->file, e->line, model ? "model" : "kernel");
		if (used == NULL) {
			add(&m, "out of memory checking the expectations");
			met = false;
		} else {
			switch (e->kind) {
			case LXE_SEG: met = check_seg(prog, x, e, used, model, &m); break;
			case LXE_STATE: met = check_state(prog, x, e, model, &m); break;
			case LXE_CALL: met = check_call(prog, x, e, model, &m); break;
			case LXE_SOERROR:
			case LXE_COUNTER: met = check_sample(prog, x, e, (int)i, &m); break;
			default: met = check_nothing(prog, x, e, model, &m); break;
			}
		}
		x->res[i].met = met;
		if (!met) {
			failed++;
			if (!run->failed) {
				run->failed = true;
				snprintf(run->why, sizeof(run->why), "%.250s", x->res[i].msg);
			}
		}
	}
	free(used);
	return failed;
}
