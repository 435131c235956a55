/* SPDX-License-Identifier: MIT */
/*
 * The scenario interpreter: plays a struct lab_scen against a backend (the
 * kernel over TUN, lab/kernel.c, or the model, lab/model.c; see backend.h),
 * checks every segment the stack sends (flags, relative seq/ack, length,
 * option presence, time), the sock_diag checkpoints, SO_ERROR and the trace
 * against the scenario, and records the run.  lab_run_compare() then puts a
 * kernel run and a model run side by side.  See runner.h.
 */
#include "lab/runner.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "core/ladder.h"
#include "core/num.h"
#include "core/util.h"
#include "lab/backend.h"
#include "lab/script.h"

#define PEER_ISN	KPEER_ISN
#define MS		KMS

/* Option presence bits of a parsed segment spec. */
enum {
	O_MSS = 1 << 0,
	O_WS = 1 << 1,
	O_SACKOK = 1 << 2,
	O_TS = 1 << 3,
	O_SACK = 1 << 4,
};

struct pseg {
	uint8_t		flags;
	bool		any_seq, any_ack;
	int64_t		seq, ack;
	uint32_t	len;
	unsigned int	opts;
	uint32_t	wmin;		/* "w>=N": the window field at least N (0: any) */
	bool		wexact;		/* "w=N": the window field exactly wmin */
};

/* ---- Recording and failing ---- */

static void
rec(struct krunner *r, uint64_t t, enum lab_rec_kind kind, int c, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
rec(struct krunner *r, uint64_t t, enum lab_rec_kind kind, int c, const char *fmt, ...)
{
	struct lab_run *run = r->run;
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
	e->t_ns = t >= r->t0 ? t - r->t0 : 0;
	e->dt_ns = t >= r->tprev ? t - r->tprev : 0;
	e->timer_ns = kind == KR_OUT ? r->seg_timer : 0;
	e->slack_ns = kind == KR_OUT ? r->tlate : 0;
	e->kind = kind;
	e->step = kind == KR_TRACE ? -1 : r->step;
	e->c = c;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

int
krunner_fail(struct krunner *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->run->failed) {
		r->run->failed = true;
		va_start(ap, fmt);
		vsnprintf(r->run->why, sizeof(r->run->why), fmt, ap);
		va_end(ap);
	}
	return 1;
}

#define fail	krunner_fail

static double
rel_s(const struct krunner *r, uint64_t t)
{
	return (double)(t - r->t0) / 1e9;
}

/* ---- Segment specs ---- */

static int
parse_opts(const char *s, unsigned int *o)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} tab[] = {
		{ "mss", O_MSS }, { "ws", O_WS }, { "sackok", O_SACKOK },
		{ "ts", O_TS }, { "sack", O_SACK },
	};
	size_t i, n;

	*o = 0;
	if (s == NULL || strcmp(s, "-") == 0)
		return 0;
	while (*s) {
		n = strcspn(s, ",");
		for (i = 0; i < ARRAY_SIZE(tab); i++)
			if (strlen(tab[i].name) == n && strncmp(tab[i].name, s, n) == 0)
				break;
		if (i == ARRAY_SIZE(tab))
			return -1;
		*o |= tab[i].bit;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static int
parse_seg(const char *spec, struct pseg *p, struct td_err *err)
{
	char fl[16], seq[24], ack[24], len[24], opts[64] = "-", win[24] = "";
	uint64_t n_len, wmin = 0;
	int n;

	memset(p, 0, sizeof(*p));
	/* sscanf only splits the words; core/num.h reads the numbers. */
	n = sscanf(spec, "%15s %23s %23s %23s %63s %23s", fl, seq, ack, len, opts, win);
	if (n < 4 || tm_flags_parse(fl, strlen(fl), &p->flags) < 0 || parse_opts(opts, &p->opts) < 0 ||
	    (n == 6 && strncmp(win, "w>=", 3) != 0 && strncmp(win, "w=", 2) != 0) ||
	    (n == 6 && td_num_u64(win + (win[1] == '=' ? 2 : 3), 10, 65535, &wmin, NULL) < 0))
		return td_errf(err, EINVAL, "scenario: bad segment '%s'", spec);
	p->wmin = (uint32_t)wmin;
	p->wexact = n == 6 && win[1] == '=';
	p->any_seq = strcmp(seq, "-") == 0;
	p->any_ack = strcmp(ack, "-") == 0;
	if ((!p->any_seq && td_num_i64(seq, INT64_MIN, INT64_MAX, &p->seq, NULL) < 0) ||
	    (!p->any_ack && td_num_i64(ack, INT64_MIN, INT64_MAX, &p->ack, NULL) < 0) ||
	    td_num_u64(len, 10, UINT32_MAX, &n_len, NULL) < 0)
		return td_errf(err, EINVAL, "scenario: bad segment '%s'", spec);
	p->len = (uint32_t)n_len;
	return 0;
}

static unsigned int
seg_opts(const struct tm_seg *s)
{
	return (s->has_mss ? O_MSS : 0) | (s->has_wscale ? O_WS : 0) |
	    (s->sack_ok ? O_SACKOK : 0) | (s->has_ts ? O_TS : 0) | (s->nsack ? O_SACK : 0);
}

static void
opts_str(unsigned int o, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s%s%s%s%s", o & O_MSS ? "mss," : "", o & O_WS ? "ws," : "",
	    o & O_SACKOK ? "sackok," : "", o & O_TS ? "ts," : "", o & O_SACK ? "sack," : "");
	if (buf[0] == '\0')
		snprintf(buf, cap, "-");
	else
		buf[strlen(buf) - 1] = '\0';
}

/* A segment in spec syntax, seq/ack relative (no ack printed without ACK). */
static void
norm_str(uint8_t flags, int64_t seq, int64_t ack, uint32_t len, unsigned int opts,
    char *buf, size_t cap)
{
	char fl[16], o[48], a[24];

	tm_flags_str(flags, fl, sizeof(fl));
	opts_str(opts, o, sizeof(o));
	if (flags & TM_ACK)
		snprintf(a, sizeof(a), "%lld", (long long)ack);
	else
		snprintf(a, sizeof(a), "-");
	snprintf(buf, cap, "%s %lld %s %u %s", fl, (long long)seq, a, len, o);
}

/* ---- Time windows ---- */

/*
 * The late slack of the kernel's timer wheel for a timeout of dt: the
 * granularity of the wheel level it lands in (kernel/time/timer.c, LVL_*,
 * 64 slots per level, each level 8 times coarser; HZ=250 here).
 */
static uint64_t
wheel_slack(uint64_t dt)
{
	uint64_t jiffy = 4 * MS, j = dt / jiffy, gran = 1;

	while (j >= 63 * gran && gran < 4096)
		gran *= 8;
	return (gran + 1) * jiffy;
}

static uint64_t
tolerance(uint64_t dt)
{
	uint64_t t = dt / 20;

	return t > 20 * MS ? t : 20 * MS;
}

/*
 * An application call or a check takes no time in a scenario, but it does
 * here (more under load): the next step counts from its end, and the time
 * it took widens the next segment's early bound, since the kernel's timers
 * did not wait for it.
 */
static void
anchor_instant(struct krunner *r)
{
	uint64_t now = r->ops->now(r);

	if (now > r->tprev)
		r->tlate += now - r->tprev;
	r->tprev = now;
}

/* ---- The stack's segments ---- */

int
krunner_conn_of(const struct krunner *r, const struct tm_seg *s)
{
	int c;

	for (c = 0; c < LAB_CONN_MAX; c++)
		if (r->conn[c].kport == s->sport && r->conn[c].pport == s->dport)
			return c;
	return -1;
}

/* Normalise and record a segment from the stack. */
static void
stack_norm(struct krunner *r, int c, const struct tm_seg *s, uint64_t ts, struct pseg *p)
{
	struct kconn *k = &r->conn[c];
	char buf[96];

	memset(p, 0, sizeof(*p));
	p->flags = s->flags;
	if (s->flags & TM_SYN) {
		p->seq = k->kisn_known ? (int32_t)(s->seq - k->kisn) : 0;
		if (!k->kisn_known || s->seq != k->kisn) {
			k->prev_isn = k->kisn;
			k->prev_isn_t = k->kisn_t;
			k->kisn_t = ts;
		}
		k->kisn = s->seq;
		k->kisn_known = true;
	} else {
		p->seq = k->kisn_known ? (int32_t)(s->seq - k->kisn) : (int64_t)s->seq;
	}
	p->ack = (int32_t)(s->ack - PEER_ISN);
	p->len = s->len;
	p->opts = seg_opts(s);
	if (s->has_ts)
		k->ts_recent = s->tsval;
	norm_str(p->flags, p->seq, p->ack, p->len, p->opts, buf, sizeof(buf));
	rec(r, ts, KR_OUT, c, "%s", buf);
}

static int
next_seg(struct krunner *r, uint64_t deadline, struct tm_seg *s, int *c, uint64_t *ts,
    struct td_err *err)
{
	int n;

	r->seg_timer = 0;
	while ((n = r->ops->recv(r, deadline, s, ts, err)) == 1)
		if ((*c = krunner_conn_of(r, s)) >= 0)
			return 1;
	return n;
}

/* ---- Steps ---- */

static int
step_in(struct krunner *r, const struct lab_step *st, struct td_err *err)
{
	struct kconn *k = &r->conn[st->c];
	struct tm_seg s;
	struct pseg p;
	uint64_t now;
	char buf[96];

	if (parse_seg(st->seg, &p, err) < 0)
		return -1;
	memset(&s, 0, sizeof(s));
	s.src = r->paddr;
	s.dst = r->kaddr;
	s.sport = k->pport;
	s.dport = k->kport;
	s.seq = PEER_ISN + (uint32_t)p.seq;
	s.ack = (p.flags & TM_ACK) ? k->kisn + (uint32_t)p.ack : 0;
	s.flags = p.flags;
	s.wnd = 65535;
	s.len = p.len;
	if (p.opts & O_MSS) {
		s.has_mss = true;
		s.mss = 1460;
	}
	if (p.opts & O_WS) {
		s.has_wscale = true;
		s.wscale = 7;
	}
	s.sack_ok = (p.opts & O_SACKOK) != 0;
	now = r->ops->now(r);
	if (p.opts & O_TS) {
		s.has_ts = true;
		s.tsval = (uint32_t)((now - r->t0) / MS) + 1;
		s.tsecr = k->ts_recent;
	}
	if (r->ops->send(r, &s, err) < 0)
		return -1;
	norm_str(p.flags, p.seq, p.ack, p.len, p.opts, buf, sizeof(buf));
	rec(r, now, KR_IN, st->c, "%s", buf);
	r->tprev = now;
	r->tlate = 0;
	return 0;
}

static int
step_out(struct krunner *r, const struct lab_step *st, struct td_err *err)
{
	uint64_t dt = (uint64_t)st->ms * MS, want = r->tprev + dt, ts;
	/*
	 * The early bound counts from when the previous segment was due, not
	 * when it was read: the kernel's timers run from its own clock, and a
	 * read delayed by load must not make the next, punctual, segment look
	 * early.
	 */
	uint64_t early = tolerance(dt) + r->tlate;
	uint64_t lo = want - (early < want ? early : want);
	uint64_t hi = want + tolerance(dt) + wheel_slack(dt);
	struct tm_seg s;
	struct pseg e, p;
	char got[96], exp[96];
	int c, n;

	if (parse_seg(st->seg, &e, err) < 0)
		return -1;
	norm_str(e.flags, e.seq, e.ack, e.len, e.opts, exp, sizeof(exp));
	n = next_seg(r, hi, &s, &c, &ts, err);
	if (n < 0)
		return -1;
	if (n == 0) {
		rec(r, hi, KR_CHECK, st->c, "missing: %s", exp);
		r->tprev = want;
		r->tlate = 0;
		return fail(r, "c%d: expected '%s' at +%.3fs (%d ms after the previous step), nothing came by +%.3fs",
		    st->c, st->seg, rel_s(r, want), st->ms, rel_s(r, hi));
	}
	stack_norm(r, c, &s, ts, &p);
	r->tlate = ts > want ? ts - want : 0;
	r->tprev = ts;
	norm_str(p.flags, p.seq, p.ack, p.len, p.opts, got, sizeof(got));
	if (e.any_seq && r->run->nrec > 0) {
		/* A value the scenario leaves open (a clock-driven ISN) is not compared. */
		struct lab_rec *last = &r->run->rec[r->run->nrec - 1];
		const char *rest = strchr(strchr(got, ' ') + 1, ' ');
		char fl[16];

		tm_flags_str(p.flags, fl, sizeof(fl));
		snprintf(last->text, sizeof(last->text), "%s *%s", fl, rest != NULL ? rest : "");
	}
	if (c != st->c || p.flags != e.flags || (!e.any_seq && p.seq != e.seq) ||
	    (!e.any_ack && (e.flags & TM_ACK) && p.ack != e.ack) || p.len != e.len ||
	    p.opts != e.opts)
		return fail(r, "c%d: expected '%s', got c%d '%s' at +%.3fs", st->c,
		    st->seg, c, got, rel_s(r, ts));
	if (e.wexact ? s.wnd != e.wmin : s.wnd < e.wmin)
		return fail(r, "c%d: '%s' at +%.3fs has window %u, expected %s%u", c, got,
		    rel_s(r, ts), s.wnd, e.wexact ? "" : "at least ", e.wmin);
	if (ts < lo)
		return fail(r, "c%d: '%s' came at +%.3fs, %.0f ms early (expected +%.3fs)", c, got,
		    rel_s(r, ts), (double)(want - ts) / 1e6, rel_s(r, want));
	return 0;
}

static int
step_quiet(struct krunner *r, uint64_t until, const char *what, struct td_err *err)
{
	struct tm_seg s;
	struct pseg p;
	uint64_t ts;
	char got[96];
	int c, n;

	while ((n = next_seg(r, until, &s, &c, &ts, err)) == 1) {
		stack_norm(r, c, &s, ts, &p);
		norm_str(p.flags, p.seq, p.ack, p.len, p.opts, got, sizeof(got));
		fail(r, "c%d: '%s' sent at +%.3fs %s", c, got, rel_s(r, ts), what);
	}
	return n;
}

static const char *
app_name(const struct lab_step *st, char *buf, size_t cap)
{
	switch (st->op) {
	case KS_LISTEN:		snprintf(buf, cap, "listen(%ld)", st->n); break;
	case KS_CONNECT:	snprintf(buf, cap, "connect()"); break;
	case KS_ACCEPT:		snprintf(buf, cap, "accept()"); break;
	case KS_SEND:		snprintf(buf, cap, "send(%ld)", st->n); break;
	case KS_SHUTDOWN:
		snprintf(buf, cap, "shutdown(%s%s)", st->c < 0 ? "listener, " : "",
		    st->n == 0 ? "SHUT_RD" : st->n == 1 ? "SHUT_WR" : "SHUT_RDWR");
		break;
	case KS_CLOSE:		snprintf(buf, cap, st->c < 0 ? "close(listener)" : "close()"); break;
	case KS_SOCKOPT:	snprintf(buf, cap, "setsockopt(%s, %ld)", st->s1, st->n); break;
	default:		snprintf(buf, cap, "?"); break;
	}
	return buf;
}

static int
step_app(struct krunner *r, const struct lab_step *st, struct td_err *err)
{
	uint64_t now = r->ops->now(r);
	char name[64];
	long res = 0;

	if (r->ops->app(r, st, &res, err) < 0)
		return -1;
	if (st->op == KS_SOERROR) {
		rec(r, now, KR_CHECK, st->c, "SO_ERROR = %s", res ? strerror((int)res) : "0");
		if (res != st->n)
			fail(r, "c%d: SO_ERROR is %ld (%s), expected %ld (%s)", st->c, res,
			    res ? strerror((int)res) : "none", st->n,
			    st->n ? strerror((int)st->n) : "none");
	} else if (st->op == KS_RECV) {
		if (res < 0)
			rec(r, now, KR_APP, st->c, "recv() = %s", strerror((int)-res));
		else
			rec(r, now, KR_APP, st->c, "recv() = %ld", res);
		if (res != st->n)
			fail(r, "c%d: recv() returned %s%ld, expected %s%ld", st->c,
			    res < 0 ? "errno " : "", res < 0 ? -res : res, st->n < 0 ? "errno " : "",
			    st->n < 0 ? -st->n : st->n);
	} else if (st->op == KS_GETOPT) {
		if (res < 0)
			rec(r, now, KR_CHECK, st->c, "%s = %s", st->s1, strerrorname_np((int)-res));
		else
			rec(r, now, KR_CHECK, st->c, "%s = %ld", st->s1, res);
		if (res != st->n)
			fail(r, "c%d: %s is %s%ld, expected %s%ld", st->c, st->s1,
			    res < 0 ? "errno " : "", res < 0 ? -res : res, st->n < 0 ? "errno " : "",
			    st->n < 0 ? -st->n : st->n);
	} else if (st->op == KS_BLOCK || st->op == KS_BLOCKED) {
		/* res: 0 while the call blocks, 1 once it returned. */
		rec(r, now, KR_CHECK, st->c, "%s %s", st->s1 != NULL ? st->s1 : "call",
		    res ? "returned" : "blocks");
		if (res)
			fail(r, "c%d: the blocking %s returned at +%.3fs, expected it to block", st->c,
			    st->s1 != NULL ? st->s1 : "call", rel_s(r, now));
	} else if (st->op == KS_RETURNED) {
		if (res == LAB_STILL_BLOCKED)
			rec(r, now, KR_CHECK, st->c, "still blocked");
		else if (res < 0)
			rec(r, now, KR_CHECK, st->c, "returned %s", strerrorname_np((int)-res));
		else
			rec(r, now, KR_CHECK, st->c, "returned %ld", res);
		if (res == LAB_STILL_BLOCKED)
			fail(r, "c%d: the blocking call had not returned 1 s after +%.3fs", st->c,
			    rel_s(r, now));
		else if (res != st->n)
			fail(r, "c%d: the blocking call returned %s%ld, expected %s%ld", st->c,
			    res < 0 ? "errno " : "", res < 0 ? -res : res, st->n < 0 ? "errno " : "",
			    st->n < 0 ? -st->n : st->n);
	} else if (st->op == KS_SEND && st->s1 != NULL) {
		if (res < 0)
			rec(r, now, KR_APP, st->c, "send(%ld) = %s", st->n, strerrorname_np((int)-res));
		else
			rec(r, now, KR_APP, st->c, "send(%ld)", st->n);
		if (res >= 0 || strcmp(strerrorname_np((int)-res), st->s1) != 0)
			fail(r, "c%d: send(%ld) gave %s, expected %s", st->c, st->n,
			    res < 0 ? strerrorname_np((int)-res) : "success", st->s1);
	} else if (st->op == KS_CONNECT && st->n != 0) {
		rec(r, now, KR_APP, st->c, "connect() = %s", res ? strerrorname_np((int)-res) : "0");
		if (res != st->n)
			fail(r, "c%d: connect() gave %s, expected %s", st->c,
			    res ? strerrorname_np((int)-res) : "0", strerrorname_np((int)-st->n));
	} else if (st->op == KS_ACCEPT) {
		if (res < 0)
			rec(r, now, KR_APP, st->c, "accept() = %s", strerror((int)-res));
		else
			rec(r, now, KR_APP, (int)res, "accept()");
		if (res != (st->n < 0 ? st->n : st->c))
			fail(r, "c%d: accept() gave %s%ld", st->c, res < 0 ? "errno " : "c",
			    res < 0 ? -res : res);
	} else {
		app_name(st, name, sizeof(name));
		if (st->op == KS_CONNECT && res == -EINPROGRESS)
			res = 0;	/* non-blocking: either is success */
		if (res < 0) {
			rec(r, now, KR_APP, st->c, "%s = %s", name, strerror((int)-res));
			fail(r, "c%d: %s failed: %s", st->c, name, strerror((int)-res));
		} else {
			rec(r, now, KR_APP, st->op == KS_LISTEN ? -1 : st->c, "%s", name);
		}
	}
	anchor_instant(r);
	return 0;
}

/*
 * A sock_diag checkpoint: state, and the timer's time left when st->n > 0
 * (within 1 s: sock_diag reports jiffies left, and TIME_WAIT's wheel slack
 * is about that), or no timer when st->n < 0.
 */
static int
step_ss(struct krunner *r, const struct lab_step *st, struct td_err *err)
{
	uint64_t now = r->ops->now(r);
	struct kss ss;
	const char *got;

	memset(&ss, 0, sizeof(ss));
	if (r->ops->ss(r, st->c, &ss, err) < 0)
		return -1;
	got = ss.found ? ss.state : "none";
	if (ss.found && st->n > 0)
		rec(r, now, KR_CHECK, st->c, "ss %s timer %u ms", got, ss.timer_ms);
	else
		rec(r, now, KR_CHECK, st->c, "ss %s", got);
	if (strcmp(got, st->s1) != 0)
		fail(r, "c%d: sock_diag shows %s at +%.3fs, expected %s", st->c, got,
		    rel_s(r, now), st->s1);
	else if (ss.found && st->n < 0 && ss.has_timer)
		fail(r, "c%d: %s has a timer (%u ms left) at +%.3fs, expected none", st->c, got,
		    ss.timer_ms, rel_s(r, now));
	else if (ss.found && st->n > 0 &&
	    (!ss.has_timer || ss.timer_ms + 1000 < (uint64_t)st->n ||
	    ss.timer_ms > (uint64_t)st->n + 1000))
		fail(r, "c%d: %s timer has %u ms left at +%.3fs, expected %ld ms", st->c, got,
		    ss.timer_ms, rel_s(r, now), st->n);
	anchor_instant(r);
	return 0;
}

/*
 * T5 / Part B #13: the ISN clock.  Two ISNs of one 4-tuple differ by the
 * time between them in 64 ns ticks (net/core/secure_seq.c seq_scale():
 * ktime_get_real_ns() >> 6), i.e. 15.625 per microsecond; the SYNs' read
 * times bound the interval to about a millisecond, so 0.5 s apart gives
 * better than 0.3 %.
 */
static int
step_isn_clock(struct krunner *r, const struct lab_step *st)
{
	const struct kconn *k = &r->conn[st->c];
	uint64_t now = r->ops->now(r), dt = k->kisn_t - k->prev_isn_t;
	double rate;

	if (k->prev_isn_t == 0 || k->kisn_t <= k->prev_isn_t) {
		rec(r, now, KR_CHECK, st->c, "isn clock: fewer than two ISNs");
		return fail(r, "c%d: the ISN clock needs two SYNs with different ISNs", st->c);
	}
	rate = (double)(uint32_t)(k->kisn - k->prev_isn) / ((double)dt / 1000.0);
	if (rate >= 15.56 && rate <= 15.69) {
		rec(r, now, KR_CHECK, st->c, "isn clock 64 ns tick");
	} else {
		rec(r, now, KR_CHECK, st->c, "isn clock %.4f per us", rate);
		fail(r, "c%d: ISNs advance %.4f per us over %.3f s, expected 15.625 (64 ns)", st->c,
		    rate, (double)dt / 1e9);
	}
	anchor_instant(r);
	return 0;
}

/* A MIB counter's rise since the run began, as nstat names it. */
static int
step_nstat(struct krunner *r, const struct lab_step *st, struct td_err *err)
{
	uint64_t now = r->ops->now(r), v = 0;
	bool known = false;

	if (r->ops->counter(r, st->s1, &v, &known, err) < 0)
		return -1;
	if (!known) {
		rec(r, now, KR_CHECK, -1, "nstat %s not counted", st->s1);
		fail(r, "%s is not counted here", st->s1);
	} else {
		rec(r, now, KR_CHECK, -1, "nstat %s %llu", st->s1, (unsigned long long)v);
		if (v != (uint64_t)st->n)
			fail(r, "%s rose by %llu, expected %ld", st->s1, (unsigned long long)v, st->n);
	}
	anchor_instant(r);
	return 0;
}

/* ---- The trace ---- */

static void
kev_name(const struct krunner *r, uint16_t sport, uint16_t dport, char *buf, size_t cap)
{
	int c;

	for (c = 0; c < LAB_CONN_MAX; c++)
		if (r->conn[c].kport == sport && r->conn[c].pport == dport) {
			snprintf(buf, cap, "c%d", c);
			return;
		}
	if (sport == r->run->base_port && dport == 0)
		snprintf(buf, cap, "L");
	else
		snprintf(buf, cap, "%u-%u", sport, dport);
}

/*
 * The expected trace as the model can show it: its reset events carry no
 * kernel reason and are left out (the RST segments are compared instead).
 */
static void
trace_for_model(const char *want, char *buf, size_t cap)
{
	size_t n = 0, len;
	const char *p = want;

	buf[0] = '\0';
	while (*p) {
		len = strcspn(p, ",");
		if (memmem(p, len, "_reset", 6) == NULL && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "%s%.*s", n ? ", " : "", (int)len,
			    p);
		p += len;
		while (*p == ',' || *p == ' ')
			p++;
	}
}

static int
check_trace(struct krunner *r, struct td_err *err)
{
	struct lab_ev ev[256];
	char got[2048], want[2048], who[24];
	size_t i, n = 0;
	int nev;

	if ((nev = r->ops->trace(r, ev, 256, err)) < 0)
		return -1;
	got[0] = '\0';
	for (i = 0; i < (size_t)nev; i++) {
		char one[96];

		kev_name(r, ev[i].sport, ev[i].dport, who, sizeof(who));
		switch (ev[i].kind) {
		case LAB_EV_STATE:
			snprintf(one, sizeof(one), "%s %s>%s", who, lab_state_name(ev[i].oldstate),
			    lab_state_name(ev[i].newstate));
			break;
		case LAB_EV_RETRANSMIT_SYNACK:
			snprintf(one, sizeof(one), "%s retransmit_synack", who);
			break;
		case LAB_EV_SEND_RESET:
			snprintf(one, sizeof(one), "%s send_reset(%s)", who, ev[i].reason);
			break;
		case LAB_EV_RECEIVE_RESET:
			snprintf(one, sizeof(one), "%s receive_reset", who);
			break;
		}
		rec(r, ev[i].ts_ns, KR_TRACE, -1, "%s", one);
		if (n < sizeof(got))
			n += (size_t)snprintf(got + n, sizeof(got) - n, "%s%s", n ? ", " : "", one);
	}
	if (r->scen->trace == NULL)
		return 0;
	if (r->model)
		trace_for_model(r->scen->trace, want, sizeof(want));
	else
		snprintf(want, sizeof(want), "%s", r->scen->trace);
	if (strcmp(got, want) != 0) {
		uint64_t now = r->ops->now(r);

		fail(r, "trace differs");
		rec(r, now, KR_CHECK, -1, "trace expected: %s", want);
		rec(r, now, KR_CHECK, -1, "trace got:      %s", got);
	}
	return 0;
}

/* ---- The run ---- */

void
krunner_init(struct krunner *r, struct lab_run *run, const struct lab_scen *scen,
    const struct tm_addr *kaddr, const struct tm_addr *paddr)
{
	int c;

	r->run = run;
	r->scen = run->scen = scen;
	run->failed = false;
	run->why[0] = '\0';
	r->kaddr = *kaddr;
	r->paddr = *paddr;
	for (c = 0; c < LAB_CONN_MAX; c++) {
		r->conn[c].fd = -1;
		r->conn[c].kport = scen->active ? (uint16_t)(run->base_port + 1 + c) : run->base_port;
		r->conn[c].pport = scen->active ? run->base_port : (uint16_t)(run->base_port + 1 + c);
	}
}

int
krunner_run(struct krunner *r, struct td_err *err)
{
	const struct lab_step *st;
	uint64_t until;
	int n;

	if (r->scen->prog != NULL)
		return krunner_run_script(r, err);
	r->t0 = r->tprev = r->ops->now(r);
	r->tlate = 0;
	for (st = r->scen->steps; st->op != KS_END; st++, r->step++) {
		if (st->c >= LAB_CONN_MAX)
			return td_errf(err, EINVAL, "scenario %s: connection %d out of range",
			    r->scen->name, st->c);
		switch (st->op) {
		case KS_SYSCTL:
			break;		/* applied by the backend before the run */
		case KS_IN:
			if (step_in(r, st, err) < 0)
				return -1;
			break;
		case KS_OUT:
			if (step_out(r, st, err) < 0)
				return -1;
			break;
		case KS_QUIET:
			until = r->tprev + (uint64_t)st->ms * MS;
			if (step_quiet(r, until, "during expected silence", err) < 0)
				return -1;
			r->tprev = until;
			r->tlate = 0;
			break;
		case KS_SS:
			if (step_ss(r, st, err) < 0)
				return -1;
			break;
		case KS_ISN_CLOCK:
			step_isn_clock(r, st);
			break;
		case KS_NSTAT:
			if (step_nstat(r, st, err) < 0)
				return -1;
			break;
		default:
			if (step_app(r, st, err) < 0)
				return -1;
			break;
		}
	}
	/* Anything the stack sent that no step expected is a difference too. */
	n = step_quiet(r, r->ops->now(r) + 50 * MS, "after the last step", err);
	if (n < 0)
		return -1;
	return check_trace(r, err);
}

/* ---- Printing and comparing ---- */

static const char *const rec_kinds[] = {
	[KR_IN] = "<in ", [KR_OUT] = ">out", [KR_APP] = "app ", [KR_TRACE] = "trc ",
	[KR_CHECK] = "chk ",
};

/* The records in time order (trace events were appended at the end). */
static struct lab_rec *
rec_sorted(const struct lab_run *run)
{
	struct lab_rec *v;
	size_t i, j;

	if (run->nrec == 0 || (v = malloc(run->nrec * sizeof(*v))) == NULL)
		return NULL;
	memcpy(v, run->rec, run->nrec * sizeof(*v));
	for (i = 1; i < run->nrec; i++) {
		struct lab_rec x = v[i];

		for (j = i; j > 0 && v[j - 1].t_ns > x.t_ns; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	return v;
}

/* "c0 " or "-  ": whose record. */
static void
rec_who(const struct lab_rec *e, char *buf, size_t cap)
{
	if (e->c >= 0)
		snprintf(buf, cap, "c%d", e->c % 100);
	else
		snprintf(buf, cap, "-");
}

void
lab_run_print(const struct lab_run *run, FILE *fp)
{
	const struct td_ladder view = { .out = fp, .layout = TD_LADDER_LIST, .twidth = 9,
	    .tprec = 3 };
	struct lab_rec *v = rec_sorted(run);
	char who[8], line[160];
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < run->nrec; i++) {
		struct td_lrow r = { 0 };

		rec_who(&v[i], who, sizeof(who));
		snprintf(line, sizeof(line), "%-3s %s  %s", who, rec_kinds[v[i].kind], v[i].text);
		r.seen.present = true;
		r.seen.t = v[i].t_ns;
		r.seen.text = line;
		td_ladder_row(&view, &r);
	}
	free(v);
}

/* Does a record take part in the comparison? */
static bool
compared(const struct lab_rec *e)
{
	if (e->kind == KR_OUT)
		return true;
	if (e->kind == KR_CHECK)
		return strncmp(e->text, "trace ", 6) != 0;
	if (e->kind == KR_TRACE)
		return strstr(e->text, "_reset") == NULL;
	return false;
}

/*
 * Do two records agree?  A segment's time since the previous step must be
 * within max(20 ms, 5 % of the timer) early and that plus the kernel's
 * timer-wheel slack late, the timer being the model's timer behind the
 * segment when longer than the step gap.
 */
static bool
same(const struct lab_rec *k, const struct lab_rec *m)
{
	unsigned int tk, tm_;
	char sk[16], sm[16];
	uint64_t t;
	int64_t d;

	if (k->kind != m->kind || k->c != m->c)
		return false;
	if (k->kind == KR_CHECK && sscanf(k->text, "ss %15s timer %u", sk, &tk) == 2 &&
	    sscanf(m->text, "ss %15s timer %u", sm, &tm_) == 2)
		return strcmp(sk, sm) == 0 && (tk > tm_ ? tk - tm_ : tm_ - tk) <= 1000;
	if (strcmp(k->text, m->text) != 0)
		return false;
	if (k->kind != KR_OUT)
		return true;
	t = m->timer_ns > m->dt_ns ? m->timer_ns : m->dt_ns;
	d = (int64_t)k->dt_ns - (int64_t)m->dt_ns;
	/*
	 * A timer's segment can look early in the kernel's run by the time its
	 * previous steps took (anchor_instant()); never late for that reason.
	 */
	return d <= (int64_t)(tolerance(t) + wheel_slack(t)) &&
	    -d <= (int64_t)(tolerance(t) + k->slack_ns);
}

/* One side of a comparison row: the record's time, who, what (+ since its step). */
static void
cmp_side(const struct lab_rec *e, struct td_lside *sd, char *buf, size_t cap)
{
	char who[8];

	if (e == NULL)
		return;
	rec_who(e, who, sizeof(who));
	if (e->kind == KR_OUT)
		snprintf(buf, cap, "%-3s %s %s  (+%.3f)", who, rec_kinds[e->kind], e->text,
		    (double)e->dt_ns / 1e9);
	else
		snprintf(buf, cap, "%-3s %s %s", who, rec_kinds[e->kind], e->text);
	sd->present = true;
	sd->t = e->t_ns;
	sd->text = buf;
}

/* Next record of step (or of the trace, step -1) at or after *i; NULL at the end. */
static const struct lab_rec *
next_of(const struct lab_run *run, size_t *i, int step)
{
	while (*i < run->nrec && (run->rec[*i].step != step ||
	    (step < 0 && !compared(&run->rec[*i])) ||
	    (run->rec[*i].kind == KR_CHECK && !compared(&run->rec[*i]))))
		(*i)++;
	return *i < run->nrec ? &run->rec[(*i)++] : NULL;
}

static int
last_step(const struct lab_run *run)
{
	int n = 0;
	size_t i;

	for (i = 0; i < run->nrec; i++)
		if (run->rec[i].step > n)
			n = run->rec[i].step;
	return n;
}

int
lab_run_compare(const struct lab_run *k, const struct lab_run *m, FILE *fp)
{
	const struct td_ladder view = { .out = fp, .layout = TD_LADDER_SIDE, .twidth = 7,
	    .tprec = 3, .colw = 66 };
	const struct lab_rec *ek, *em;
	char a[128], b[128];
	int step, nstep, diffs = 0;
	size_t i, j;
	bool ok;

	nstep = last_step(k) > last_step(m) ? last_step(k) : last_step(m);
	if (fp != NULL)
		td_ladder_head(&view, NULL, "kernel (time, who, what, +since the previous step)",
		    "model");
	/* The ladders, step by step, then the traces (step -1). */
	for (step = 0; step <= nstep + 1; step++) {
		int s = step <= nstep ? step : -1;

		if (s < 0 && fp != NULL)
			td_ladder_head(&view, NULL, "trace (state changes, SYN-ACK retransmissions)",
			    "model");
		i = j = 0;
		for (;;) {
			struct td_lrow r = { 0 };

			ek = next_of(k, &i, s);
			em = next_of(m, &j, s);
			if (ek == NULL && em == NULL)
				break;
			if (ek != NULL && em != NULL)
				ok = compared(ek) || compared(em) ? same(ek, em) :
				    strcmp(ek->text, em->text) == 0;
			else
				ok = !(ek != NULL && compared(ek)) && !(em != NULL && compared(em));
			diffs += !ok;
			if (fp == NULL)
				continue;
			/* The kernel's record is what was seen, the model's what it expected. */
			cmp_side(ek, &r.seen, a, sizeof(a));
			cmp_side(em, &r.expected, b, sizeof(b));
			r.differs = !ok;
			td_ladder_row(&view, &r);
		}
	}
	return diffs;
}

uint64_t
krunner_tolerance(uint64_t dt)
{
	return tolerance(dt);
}

uint64_t
krunner_wheel_slack(uint64_t dt)
{
	return wheel_slack(dt);
}

void
lab_run_free(struct lab_run *run)
{
	lab_xrun_free(run);
	free(run->rec);
	run->rec = NULL;
	run->nrec = run->caprec = 0;
}
