/* SPDX-License-Identifier: MIT */
/*
 * Expectations of a script (format in sim/sim.h), checked after the run
 * against its event log: a segment a host sends (flags, sequence and
 * acknowledgment numbers relative to each side's initial sequence number as
 * packetdrill writes them, length, window), a state change, a call's result,
 * a counter's value at a time, and a quiet interval.  Each gets a verdict
 * and a message naming FILE:LINE, what was expected and what came.
 */
#include "sim/sim.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"

int
tm_world_add_expect(struct tm_world *w, const struct tm_expect *e, struct td_err *err)
{
	struct tm_expect *n;
	size_t cap;

	if (w->nexps == w->capexps) {
		if (w->capexps >= 4096)
			return td_errf(err, EOVERFLOW, "too many expectations (at most 4096)");
		cap = w->capexps ? w->capexps * 2 : 16;
		if ((n = realloc(w->exps, cap * sizeof(*n))) == NULL)
			return td_errf(err, ENOMEM, "simulator: out of memory");
		w->exps = n;
		w->capexps = cap;
	}
	w->exps[w->nexps++] = *e;
	return 0;
}

static const struct {
	int		 e;
	const char	*name;
} errnos[] = {
	{ EINPROGRESS, "EINPROGRESS" }, { ETIMEDOUT, "ETIMEDOUT" }, { ECONNRESET, "ECONNRESET" },
	{ ECONNREFUSED, "ECONNREFUSED" }, { EPIPE, "EPIPE" }, { EAGAIN, "EAGAIN" },
	{ ENOTCONN, "ENOTCONN" }, { EADDRNOTAVAIL, "EADDRNOTAVAIL" }, { EADDRINUSE, "EADDRINUSE" },
	{ EISCONN, "EISCONN" }, { EALREADY, "EALREADY" }, { EINVAL, "EINVAL" },
	{ EBADF, "EBADF" }, { ENOBUFS, "ENOBUFS" },
};

const char *
tm_errno_name(int e)
{
	size_t i;

	if (e == 0)
		return "0";
	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (errnos[i].e == e)
			return errnos[i].name;
	return "E?";
}

int
tm_errno_parse(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(errnos); i++)
		if (strcmp(errnos[i].name, name) == 0)
			return errnos[i].e;
	return -1;
}

/* A growing message; cut at the buffer's end (messages are short). */
struct msg {
	char	 s[512];
	size_t	 n;
};

static void __attribute__((format(printf, 2, 3)))
add(struct msg *m, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (m->n >= sizeof(m->s))
		return;
	va_start(ap, fmt);
	r = vsnprintf(m->s + m->n, sizeof(m->s) - m->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		m->n += (size_t)r;
}

static double
sec(tm_time t)
{
	return (double)t / 1e9;
}

static void
when(struct msg *m, const struct tm_expect *e)
{
	add(m, " at %.4f s", sec(e->at));
	if (e->tol > 0)
		add(m, " (+-%.4f)", sec(e->tol));
}

static bool
same_end(const struct tm_addr *a, uint16_t ap, const struct tm_addr *b, uint16_t bp)
{
	return ap == bp && memcmp(&a->a, &b->a, sizeof(a->a)) == 0;
}

/*
 * The initial sequence number of the side that sends src:sport -> dst:dport:
 * the sequence number of the last SYN it sent on that tuple up to record i.
 */
static bool
isn_of(const struct tm_world *w, size_t i, const struct tm_addr *src, uint16_t sport,
    const struct tm_addr *dst, uint16_t dport, uint32_t *isn)
{
	const struct tm_seg *s;
	size_t k;

	for (k = i + 1; k-- > 0;) {
		if (w->log[k].kind != TM_FX_SEG_OUT)
			continue;
		s = &w->log[k].u.seg.seg;
		if ((s->flags & TM_SYN) && same_end(&s->src, s->sport, src, sport) &&
		    same_end(&s->dst, s->dport, dst, dport)) {
			*isn = s->seq;
			return true;
		}
	}
	return false;
}

/* seq and ack of record i as the expectation counts them (relative unless abs). */
static void
numbers(const struct tm_world *w, size_t i, bool abs, int64_t *seq, int64_t *ack)
{
	const struct tm_seg *s = &w->log[i].u.seg.seg;
	uint32_t isn;

	*seq = s->seq;
	*ack = s->ack;
	if (abs)
		return;
	if (isn_of(w, i, &s->src, s->sport, &s->dst, s->dport, &isn))
		*seq = (int64_t)(int32_t)(s->seq - isn);
	if (isn_of(w, i, &s->dst, s->dport, &s->src, s->sport, &isn))
		*ack = (int64_t)(int32_t)(s->ack - isn);
}

static const char *const opt_names[] = { "mss", "sackOK", "ts", "wscale", "sack" };

int
tm_exp_opts_parse(const char *s)
{
	size_t i, n;
	int o = 0;

	if (strcmp(s, "none") == 0)
		return 0;
	for (;;) {
		n = strcspn(s, ",");
		for (i = 0; i < ARRAY_SIZE(opt_names); i++)
			if (strlen(opt_names[i]) == n && strncmp(opt_names[i], s, n) == 0)
				break;
		if (i == ARRAY_SIZE(opt_names))
			return -1;
		o |= 1 << i;
		if (s[n] == '\0')
			return o;
		s += n + 1;
	}
}

static uint8_t
seg_opts(const struct tm_seg *s)
{
	return (uint8_t)((s->has_mss ? TM_EXP_O_MSS : 0) | (s->sack_ok ? TM_EXP_O_SACKOK : 0) |
	    (s->has_ts ? TM_EXP_O_TS : 0) | (s->has_wscale ? TM_EXP_O_WSCALE : 0) |
	    (s->nsack ? TM_EXP_O_SACK : 0));
}

static void
opts_text(struct msg *m, uint8_t o)
{
	size_t i;
	bool first = true;

	add(m, " opts ");
	for (i = 0; i < ARRAY_SIZE(opt_names); i++)
		if (o & (1u << i)) {
			add(m, "%s%s", first ? "" : ",", opt_names[i]);
			first = false;
		}
	if (first)
		add(m, "none");
}

static void
seg_text(struct msg *m, uint8_t flags, bool has_seq, int64_t seq, bool has_ack, int64_t ack,
    bool has_len, uint32_t len, bool has_win, uint32_t win)
{
	char fl[12];

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
in_window(const struct tm_expect *e, tm_time at)
{
	return at + e->tol >= e->at && at <= e->at + e->tol;
}

static bool
check_seg(const struct tm_world *w, const struct tm_expect *e, bool *used, struct msg *m)
{
	const struct tm_seg *s;
	int64_t seq, ack;
	size_t i, best = SIZE_MAX;
	tm_time bestd = 0, d;

	for (i = 0; i < w->nlog; i++) {
		if (w->log[i].kind != TM_FX_SEG_OUT || w->log[i].host != e->host || used[i])
			continue;
		s = &w->log[i].u.seg.seg;
		d = w->log[i].at > e->at ? w->log[i].at - e->at : e->at - w->log[i].at;
		if (best == SIZE_MAX || d < bestd) {
			best = i;
			bestd = d;
		}
		if (!in_window(e, w->log[i].at) || s->flags != e->flags)
			continue;
		numbers(w, i, e->abs, &seq, &ack);
		if ((e->has_seq && seq != e->seq) || (e->has_ack && ack != e->ack) ||
		    (e->has_len && s->len != e->len) || (e->has_win && s->wnd != e->win) ||
		    (e->has_opts && seg_opts(s) != e->opts))
			continue;
		used[i] = true;
		return true;
	}
	add(m, "expected %s sends ", w->host_name[e->host]);
	seg_text(m, e->flags, e->has_seq, e->seq, e->has_ack, e->ack, e->has_len, e->len,
	    e->has_win, e->win);
	if (e->has_opts)
		opts_text(m, e->opts);
	if (e->abs)
		add(m, " abs");
	when(m, e);
	if (best == SIZE_MAX) {
		add(m, "; got no segment from %s", w->host_name[e->host]);
		return false;
	}
	s = &w->log[best].u.seg.seg;
	numbers(w, best, e->abs, &seq, &ack);
	add(m, "; got ");
	seg_text(m, s->flags, true, seq, (s->flags & TM_ACK) != 0, ack, true, s->len, true, s->wnd);
	if (e->has_opts)
		opts_text(m, seg_opts(s));
	add(m, " at %.4f s (the nearest)", sec(w->log[best].at));
	return false;
}

static uint32_t
handle_sock(const struct tm_world *w, const struct tm_expect *e)
{
	return e->handle >= 0 && (unsigned int)e->handle < w->nhandles &&
	    w->handle_host[e->handle] == e->host ? w->handle_sock[e->handle] : 0;
}

static bool
check_state(const struct tm_world *w, const struct tm_expect *e, struct msg *m)
{
	uint32_t sock = handle_sock(w, e);
	const struct tm_effect *fx, *near = NULL;
	size_t i;

	for (i = 0; sock != 0 && i < w->nlog; i++) {
		fx = &w->log[i];
		if (fx->kind != TM_FX_STATE || fx->host != e->host || fx->sock != sock)
			continue;
		if (fx->u.st.to == e->state && in_window(e, fx->at))
			return true;
		if (near == NULL || (fx->at <= e->at + e->tol))
			near = fx;
	}
	add(m, "expected %s's %s to enter %s", w->host_name[e->host], w->handle_name[e->handle],
	    tm_state_name(e->state));
	when(m, e);
	if (sock == 0)
		add(m, "; got no socket behind '%s'", w->handle_name[e->handle]);
	else if (near == NULL)
		add(m, "; got no state change");
	else
		add(m, "; got %s>%s at %.4f s", tm_state_name(near->u.st.from),
		    tm_state_name(near->u.st.to), sec(near->at));
	return false;
}

static bool
check_call(const struct tm_world *w, const struct tm_expect *e, struct msg *m)
{
	uint32_t sock = handle_sock(w, e);
	const struct tm_effect *fx, *near = NULL;
	size_t i;

	for (i = 0; sock != 0 && i < w->nlog; i++) {
		fx = &w->log[i];
		if (fx->kind != TM_FX_APP || fx->host != e->host || fx->sock != sock ||
		    fx->u.app.call != e->call)
			continue;
		if (e->call == TM_CALL_SO_ERROR) {
			/* What getsockopt(SO_ERROR) reads at the time: the last error reported by then. */
			if (fx->at <= e->at + e->tol)
				near = fx;
			continue;
		}
		/* accept's value is a socket: any success meets a value (as against the kernel). */
		if (in_window(e, fx->at) && fx->u.app.err == e->err &&
		    (e->err != 0 || fx->u.app.ret == e->ret || e->call == TM_CALL_ACCEPT))
			return true;
		if (near == NULL || in_window(e, fx->at))
			near = fx;
	}
	if (e->call == TM_CALL_SO_ERROR && sock != 0 &&
	    (near != NULL ? near->u.app.err : 0) == e->err)
		return true;
	add(m, "expected %s(%s) = ", tm_call_name(e->call), w->handle_name[e->handle]);
	if (e->err != 0)
		add(m, "%s", tm_errno_name(e->err));
	else
		add(m, "%" PRId64, e->ret);
	when(m, e);
	if (near == NULL)
		add(m, "; got no %s on it", tm_call_name(e->call));
	else if (near->u.app.err != 0)
		add(m, "; got %s at %.4f s", tm_errno_name(near->u.app.err), sec(near->at));
	else
		add(m, "; got %" PRId64 " at %.4f s", near->u.app.ret, sec(near->at));
	return false;
}

static bool
check_counter(const struct tm_world *w, const struct tm_expect *e, struct msg *m)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < w->nlog && w->log[i].at <= e->at; i++)
		if (w->log[i].kind == TM_FX_COUNTER && w->log[i].host == e->host &&
		    w->log[i].u.ctr.id == e->counter)
			v += w->log[i].u.ctr.delta;
	if (v == e->value)
		return true;
	add(m, "expected %s's %s = %" PRIu64 " at %.4f s; got %" PRIu64, w->host_name[e->host],
	    tm_counter_name(e->counter), e->value, sec(e->at), v);
	return false;
}

static bool
check_nothing(const struct tm_world *w, const struct tm_expect *e, struct msg *m)
{
	const struct tm_effect *fx;
	char fl[12];
	size_t i;

	for (i = 0; i < w->nlog; i++) {
		fx = &w->log[i];
		if (fx->kind != TM_FX_SEG_OUT || fx->host >= w->nhosts || fx->at <= e->from ||
		    fx->at >= e->at)
			continue;
		add(m, "expected nothing from %.4f s until %.4f s; got %s sends %s at %.4f s",
		    sec(e->from), sec(e->at), w->host_name[fx->host],
		    tm_flags_str(fx->u.seg.seg.flags, fl, sizeof(fl)), sec(fx->at));
		return false;
	}
	return true;
}

unsigned int
tm_expect_check(const struct tm_world *w, tm_exp_fn fn, void *arg)
{
	struct msg m;
	unsigned int failed = 0;
	bool *used, met;
	size_t i;

	if ((used = calloc(w->nlog + 1, sizeof(*used))) == NULL) {
		for (i = 0; i < w->nexps; i++)
			fn(&w->exps[i], false, "out of memory checking the expectations", arg);
		return (unsigned int)w->nexps;
	}
	for (i = 0; i < w->nexps; i++) {
		const struct tm_expect *e = &w->exps[i];

		memset(&m, 0, sizeof(m));
		add(&m, "%s:%u: ", w->script_name, e->line);
		switch (e->kind) {
		case TM_EXP_SEG: met = check_seg(w, e, used, &m); break;
		case TM_EXP_STATE: met = check_state(w, e, &m); break;
		case TM_EXP_CALL: met = check_call(w, e, &m); break;
		case TM_EXP_COUNTER: met = check_counter(w, e, &m); break;
		default: met = check_nothing(w, e, &m); break;
		}
		if (!met)
			failed++;
		fn(e, met, met ? "" : m.s, arg);
	}
	free(used);
	return failed;
}
