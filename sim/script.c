/* SPDX-License-Identifier: MIT */
/*
 * The scenario script parser (format in sim/sim.h).  One statement a line;
 * every error names FILE:LINE:COLUMN and what is wrong, and leaves the world
 * partly built (the caller frees it).
 */
#include "sim/sim.h"

#include <arpa/inet.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/num.h"

#define MAX_TOKENS	24
#define MAX_LINE	512

struct tok {
	const char	*s;
	unsigned int	 col;
};

struct parser {
	struct tm_world		*w;
	const char		*fname;
	unsigned int		 line;
	struct tm_profile	 base;
	struct tok		 t[MAX_TOKENS];
	unsigned int		 n;
	char			 buf[MAX_LINE];
	struct td_err		*err;
	tm_time			 last_t;	/* the previous timed line's time (for +T) */
};

static int perr(struct parser *ps, unsigned int col, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parser *ps, unsigned int col, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return td_errf(ps->err, EBADMSG, "%s:%u:%u: %s", ps->fname, ps->line, col, msg);
}

static int
tokenize(struct parser *ps, const char *line, size_t len)
{
	char *p;

	if (len >= sizeof(ps->buf))
		return perr(ps, 1, "line longer than %d characters", MAX_LINE - 1);
	memcpy(ps->buf, line, len);
	ps->buf[len] = '\0';
	if ((p = strchr(ps->buf, '#')) != NULL)
		*p = '\0';
	ps->n = 0;
	p = ps->buf;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r')
			*p++ = '\0';
		if (*p == '\0')
			break;
		if (ps->n == MAX_TOKENS)
			return perr(ps, (unsigned int)(p - ps->buf) + 1, "too many words (at most %d)", MAX_TOKENS);
		ps->t[ps->n].s = p;
		ps->t[ps->n].col = (unsigned int)(p - ps->buf) + 1;
		ps->n++;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r')
			p++;
	}
	return 0;
}

/* "1.5", "250ms", "2s", "1m", "10us" -> ns */
static int
parse_time(struct parser *ps, const struct tok *t, tm_time *out)
{
	/* The number, then a unit: none of s, m, u, h occurs in a number strtod reads. */
	const char *end = t->s + strcspn(t->s, "smuh"), *why;
	double v;
	double mul = 1e9;

	/* nan and inf are refused: converting those to an integer is undefined. */
	if (td_num_doublen(t->s, (size_t)(end - t->s), 0, DBL_MAX, &v, &why) < 0)
		return why == td_num_infinite ?
		    perr(ps, t->col, "bad time '%s': not a finite number", t->s) :
		    perr(ps, t->col, "bad time '%s' (like 1.5, 250ms, 2s, 1m)", t->s);
	if (strcmp(end, "ms") == 0)
		mul = 1e6;
	else if (strcmp(end, "us") == 0)
		mul = 1e3;
	else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0)
		mul = 60e9;
	else if (strcmp(end, "h") == 0)
		mul = 3600e9;
	else if (strcmp(end, "s") != 0 && *end != '\0')
		return perr(ps, t->col, "bad time '%s' (like 1.5, 250ms, 2s, 1m)", t->s);
	if (v * mul > 1e15)
		return perr(ps, t->col, "time '%s' too large", t->s);
	*out = (tm_time)(v * mul + 0.5);
	return 0;
}

/*
 * A statement's time: absolute, or "+T", T after the previous timed line's
 * time (packetdrill's relative times).
 */
static int
parse_stime(struct parser *ps, const struct tok *t, tm_time *out)
{
	struct tok r = *t;

	if (t->s[0] != '+')
		return parse_time(ps, t, out);
	r.s = t->s + 1;
	r.col = t->col + 1;
	if (r.s[0] == '+' || r.s[0] == '-' || parse_time(ps, &r, out) < 0)
		return perr(ps, t->col, "bad time '%s' (like +0.1 or +250ms after the previous line)",
		    t->s);
	if (*out > TM_MAX_SIM_TIME || ps->last_t > TM_MAX_SIM_TIME - *out)
		return perr(ps, t->col, "time '%s' is past the simulator's bound of one day", t->s);
	*out += ps->last_t;
	return 0;
}

static int
parse_uint(struct parser *ps, const struct tok *t, uint64_t max, uint64_t *out)
{
	if (td_num_u64(t->s, 0, max, out, NULL) < 0)
		return perr(ps, t->col, "bad number '%s'", t->s);
	return 0;
}

static int
parse_prob(struct parser *ps, const struct tok *t, double *out)
{
	const char *why;

	if (td_num_double(t->s, 0, 1, out, &why) < 0)
		return why == td_num_infinite ?
		    perr(ps, t->col, "bad probability '%s': not a finite number (0..1)", t->s) :
		    perr(ps, t->col, "bad probability '%s' (0..1)", t->s);
	return 0;
}

static int
parse_addr(const char *s, struct tm_addr *a)
{
	struct in_addr v4;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &v4) == 1) {
		a->family = AF_INET;
		a->a.s6_addr[10] = 0xff;
		a->a.s6_addr[11] = 0xff;
		memcpy(&a->a.s6_addr[12], &v4, 4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->a) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

/* "host:port" or "address:port" ("[v6]:port"); host names resolve to hosts. */
static int
parse_endpoint(struct parser *ps, const struct tok *t, struct tm_addr *a, uint16_t *port, int *host)
{
	char tmp[80];
	char *colon, *name = tmp;
	uint64_t v;
	struct tok pt;
	int h;

	snprintf(tmp, sizeof(tmp), "%s", t->s);
	if ((colon = strrchr(tmp, ':')) == NULL)
		return perr(ps, t->col, "expected HOST:PORT, got '%s'", t->s);
	*colon = '\0';
	if (name[0] == '[') {
		name++;
		if (colon > tmp && colon[-1] == ']')
			colon[-1] = '\0';
	}
	pt.s = colon + 1;
	pt.col = t->col + (unsigned int)(colon + 1 - tmp);
	if (parse_uint(ps, &pt, 65535, &v) < 0)
		return -1;
	*port = (uint16_t)v;
	if ((h = tm_world_host_find(ps->w, name)) >= 0) {
		*a = ps->w->hosts[h].addr;
		if (host)
			*host = h;
		return 0;
	}
	if (host)
		*host = -1;
	if (parse_addr(name, a) < 0)
		return perr(ps, t->col, "unknown host or address '%s'", name);
	return 0;
}

static int
parse_flags(struct parser *ps, const struct tok *t, uint8_t *out)
{
	if (tm_flags_parse(t->s, strlen(t->s), out) < 0)
		return perr(ps, t->col, "bad flags '%s' (letters S A F R P U E W, or none)", t->s);
	return 0;
}

static int
need(struct parser *ps, unsigned int i, const char *what)
{
	if (i < ps->n)
		return 0;
	return perr(ps, ps->n ? ps->t[ps->n - 1].col + (unsigned int)strlen(ps->t[ps->n - 1].s) : 1,
	    "missing %s", what);
}

static int
host_arg(struct parser *ps, unsigned int i)
{
	int h;

	if (need(ps, i, "host name") < 0)
		return -1;
	if ((h = tm_world_host_find(ps->w, ps->t[i].s)) < 0)
		return perr(ps, ps->t[i].col, "unknown host '%s'", ps->t[i].s);
	return h;
}

static int
handle_arg(struct parser *ps, unsigned int i, bool must_exist)
{
	unsigned int k;
	int h;

	if (need(ps, i, "socket name") < 0)
		return -1;
	if (must_exist) {
		for (k = 0; k < ps->w->nhandles; k++)
			if (strcmp(ps->w->handle_name[k], ps->t[i].s) == 0)
				return (int)k;
		return perr(ps, ps->t[i].col, "unknown socket '%s' (name it with 'as')", ps->t[i].s);
	}
	if ((h = tm_world_handle(ps->w, ps->t[i].s)) < 0)
		return perr(ps, ps->t[i].col, "bad or too many socket names at '%s'", ps->t[i].s);
	return h;
}

static int
knob_tok(struct parser *ps, struct tm_profile *p, const struct tok *t)
{
	char msg[200];

	if (tm_knob_set(p, t->s, msg, sizeof(msg)) < 0)
		return perr(ps, t->col, "%s", msg);
	return 0;
}

static int
st_host(struct parser *ps)
{
	struct tm_profile p = ps->base;
	struct tm_addr a;
	unsigned int i;

	if (need(ps, 2, "address") < 0)
		return -1;
	if (parse_addr(ps->t[2].s, &a) < 0)
		return perr(ps, ps->t[2].col, "bad address '%s'", ps->t[2].s);
	for (i = 3; i < ps->n; i++)
		if (knob_tok(ps, &p, &ps->t[i]) < 0)
			return -1;
	if (tm_world_add_host(ps->w, ps->t[1].s, &a, &p, ps->err) < 0) {
		char msg[180];

		snprintf(msg, sizeof(msg), "%.170s", ps->err->msg);
		ps->err->msg[0] = '\0';
		ps->err->code = 0;
		return perr(ps, ps->t[1].col, "%s", msg);
	}
	return 0;
}

static int
st_set(struct parser *ps)
{
	unsigned int i;
	int h;

	if (need(ps, 1, "KNOB=VALUE") < 0)
		return -1;
	if (strchr(ps->t[1].s, '=') == NULL) {
		if ((h = host_arg(ps, 1)) < 0)
			return -1;
		if (need(ps, 2, "KNOB=VALUE") < 0)
			return -1;
		for (i = 2; i < ps->n; i++)
			if (knob_tok(ps, &ps->w->prof[h], &ps->t[i]) < 0)
				return -1;
		return 0;
	}
	for (i = 1; i < ps->n; i++) {
		if (knob_tok(ps, &ps->base, &ps->t[i]) < 0)
			return -1;
		for (h = 0; h < (int)ps->w->nhosts; h++)
			if (knob_tok(ps, &ps->w->prof[h], &ps->t[i]) < 0)
				return -1;
	}
	return 0;
}

/* sysctl KNOB=VALUE...: set for every host, sysctl knobs only (the kernel has them too). */
static int
st_sysctl(struct parser *ps)
{
	const struct tm_knob *k;
	char name[64];
	unsigned int i;
	size_t n;

	if (need(ps, 1, "KNOB=VALUE") < 0)
		return -1;
	for (i = 1; i < ps->n; i++) {
		n = strcspn(ps->t[i].s, "=");
		snprintf(name, sizeof(name), "%.*s", (int)(n < sizeof(name) ? n : sizeof(name) - 1),
		    ps->t[i].s);
		if (ps->t[i].s[n] == '=' && (k = tm_knob_find(name)) != NULL && k->sysctl == NULL)
			return perr(ps, ps->t[i].col, "'%s' is a knob of the model, not a sysctl (use set)",
			    name);
	}
	return st_set(ps);
}

static int
st_link(struct parser *ps)
{
	struct tm_link l;
	bool both = true;
	unsigned int i;
	int a, b;

	memset(&l, 0, sizeof(l));
	if (ps->n > 1 && strcmp(ps->t[1].s, "*") == 0)
		a = -1;		/* the injected segments' link to b */
	else if ((a = host_arg(ps, 1)) < 0)
		return -1;
	if ((b = host_arg(ps, 2)) < 0)
		return -1;
	l.delay = TM_MS(10);
	for (i = 3; i < ps->n; i++) {
		const char *k = ps->t[i].s;

		if (strcmp(k, "oneway") == 0) {
			if (a < 0)
				return perr(ps, ps->t[i].col, "'oneway' does not apply to '*' (injected segments go one way)");
			both = false;
			continue;
		}
		if (need(ps, i + 1, "value") < 0)
			return -1;
		if (strcmp(k, "delay") == 0) {
			if (parse_time(ps, &ps->t[i + 1], &l.delay) < 0)
				return -1;
		} else if (strcmp(k, "jitter") == 0) {
			if (parse_time(ps, &ps->t[i + 1], &l.jitter) < 0)
				return -1;
		} else if (strcmp(k, "loss") == 0) {
			if (parse_prob(ps, &ps->t[i + 1], &l.loss) < 0)
				return -1;
		} else if (strcmp(k, "dup") == 0) {
			if (parse_prob(ps, &ps->t[i + 1], &l.dup) < 0)
				return -1;
		} else if (strcmp(k, "reorder") == 0) {
			if (parse_prob(ps, &ps->t[i + 1], &l.reorder) < 0)
				return -1;
		} else {
			return perr(ps, ps->t[i].col, "unknown link option '%s'", k);
		}
		i++;
	}
	if (a < 0) {
		l.set = true;
		ps->w->inject_link[b] = l;
		return 0;
	}
	tm_world_link(ps->w, a, b, &l, both);
	return 0;
}

static int
dir_arg(struct parser *ps, const struct tok *t, int *from, int *to)
{
	char tmp[64];
	char *gt;

	snprintf(tmp, sizeof(tmp), "%s", t->s);
	if ((gt = strchr(tmp, '>')) == NULL)
		return perr(ps, t->col, "expected FROM>TO (host names or *), got '%s'", t->s);
	*gt = '\0';
	*from = strcmp(tmp, "*") == 0 ? -1 : tm_world_host_find(ps->w, tmp);
	*to = strcmp(gt + 1, "*") == 0 ? -1 : tm_world_host_find(ps->w, gt + 1);
	if ((*from < 0 && strcmp(tmp, "*") != 0))
		return perr(ps, t->col, "unknown host '%s'", tmp);
	if (*to < 0 && strcmp(gt + 1, "*") != 0)
		return perr(ps, t->col + (unsigned int)(gt + 1 - tmp), "unknown host '%s'", gt + 1);
	return 0;
}

static int
st_fault(struct parser *ps)
{
	struct tm_fault f;
	unsigned int i = 2;
	uint64_t v;
	size_t dl;

	memset(&f, 0, sizeof(f));
	f.len = -1;
	if (need(ps, 1, "drop, dup or delay") < 0)
		return -1;
	if (strcmp(ps->t[1].s, "drop") == 0) {
		f.action = TM_FA_DROP;
	} else if (strcmp(ps->t[1].s, "dup") == 0 || strcmp(ps->t[1].s, "delay") == 0) {
		f.action = ps->t[1].s[1] == 'u' ? TM_FA_DUP : TM_FA_DELAY;
		if (need(ps, 2, "time") < 0 || parse_time(ps, &ps->t[2], &f.delay) < 0)
			return -1;
		i = 3;
	} else {
		return perr(ps, ps->t[1].col, "unknown fault '%s' (drop, dup T, delay T)", ps->t[1].s);
	}
	if (need(ps, i, "FROM>TO") < 0 || dir_arg(ps, &ps->t[i], &f.from, &f.to) < 0)
		return -1;
	for (i++; i < ps->n; i++) {
		const char *k = ps->t[i].s;

		if (strcmp(k, "bare") == 0) {
			f.len = 0;
			continue;
		}
		if (strcmp(k, "data") == 0) {
			f.len = 1;
			continue;
		}
		if (need(ps, i + 1, "value") < 0)
			return -1;
		if (strcmp(k, "flags") == 0) {
			if (parse_flags(ps, &ps->t[i + 1], &f.flags_val) < 0)
				return -1;
			/* SYN ACK FIN RST exactly; PSH URG ECE CWR when named. */
			f.flags_mask = TM_SYN | TM_ACK | TM_FIN | TM_RST | f.flags_val;
		} else if (strcmp(k, "nth") == 0) {
			if (parse_uint(ps, &ps->t[i + 1], 1000000, &v) < 0)
				return -1;
			f.nth = (unsigned int)v;
		} else if (strcmp(k, "after") == 0) {
			if (parse_time(ps, &ps->t[i + 1], &f.after) < 0)
				return -1;
		} else if (strcmp(k, "before") == 0) {
			if (parse_time(ps, &ps->t[i + 1], &f.before) < 0)
				return -1;
		} else {
			return perr(ps, ps->t[i].col, "unknown fault option '%s'", k);
		}
		i++;
	}
	/* The rule's own words describe it in the log. */
	f.desc[0] = '\0';
	for (i = 0; i < ps->n; i++) {
		dl = strlen(f.desc);
		snprintf(f.desc + dl, sizeof(f.desc) - dl, "%s%s", i ? " " : "", ps->t[i].s);
	}
	if (tm_world_add_fault(ps->w, &f, ps->err) < 0)
		return -1;
	return 0;
}

/* A signed number (relative sequence numbers may be negative). */
static int
parse_int(struct parser *ps, const struct tok *t, int64_t lo, int64_t hi, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(t->s, &end, 10);
	if (*end != '\0' || end == t->s || errno != 0 || v < lo || v > hi)
		return perr(ps, t->col, "bad number '%s'", t->s);
	*out = v;
	return 0;
}

/* "T" or "T~TOL". */
static int
parse_when(struct parser *ps, const struct tok *t, tm_time *at, tm_time *tol)
{
	char *tl = ps->buf + (t->col - 1), *sep = strchr(tl, '~');
	struct tok a = *t, b;

	*tol = 0;
	if (sep == NULL)
		return parse_stime(ps, &a, at);
	*sep = '\0';
	b.s = sep + 1;
	b.col = t->col + (unsigned int)(sep + 1 - tl);
	return parse_stime(ps, &a, at) < 0 ? -1 : parse_time(ps, &b, tol);
}

static int
handle_of(struct parser *ps, const struct tok *t, int host, int *out)
{
	unsigned int i;

	for (i = 0; i < ps->w->nhandles; i++)
		if (strcmp(ps->w->handle_name[i], t->s) == 0) {
			*out = (int)i;
			return 0;
		}
	(void)host;
	return perr(ps, t->col, "unknown socket '%s' (name it with 'as' before)", t->s);
}

/* expect ...: see sim.h. */
static int
st_expect(struct parser *ps)
{
	struct tm_expect e;
	unsigned int i;
	size_t j;
	uint64_t v;
	int64_t n;
	int h, c;

	memset(&e, 0, sizeof(e));
	e.line = ps->line;
	e.handle = -1;
	if (need(ps, 1, "time or 'nothing'") < 0)
		return -1;
	if (strcmp(ps->t[1].s, "nothing") == 0) {
		if (ps->n != 4 || strcmp(ps->t[2].s, "until") != 0)
			return perr(ps, ps->t[1].col, "expect nothing until T");
		e.kind = TM_EXP_NOTHING;
		/* From the end of the latest window of the expectations before it. */
		for (j = 0; j < ps->w->nexps; j++) {
			const struct tm_expect *p = &ps->w->exps[j];
			tm_time end = p->kind == TM_EXP_NOTHING ? p->at : p->at + p->tol;

			if (end > e.from)
				e.from = end;
		}
		if (parse_stime(ps, &ps->t[3], &e.at) < 0)
			return -1;
		ps->last_t = e.at;
		if (e.at <= e.from)
			return perr(ps, ps->t[3].col, "'%s' is not after the previous expectation (%.4f s)",
			    ps->t[3].s, (double)e.from / 1e9);
		return tm_world_add_expect(ps->w, &e, ps->err);
	}
	if (parse_when(ps, &ps->t[1], &e.at, &e.tol) < 0)
		return -1;
	ps->last_t = e.at;
	if (need(ps, 3, "host and what") < 0)
		return -1;
	if ((h = tm_world_host_find(ps->w, ps->t[2].s)) < 0)
		return perr(ps, ps->t[2].col, "unknown host '%s'", ps->t[2].s);
	e.host = (uint16_t)h;
	if (strcmp(ps->t[3].s, "sends") == 0) {
		e.kind = TM_EXP_SEG;
		if (need(ps, 4, "flags") < 0 || parse_flags(ps, &ps->t[4], &e.flags) < 0)
			return -1;
		for (i = 5; i < ps->n; i++) {
			const char *k = ps->t[i].s;

			if (strcmp(k, "abs") == 0) {
				e.abs = true;
				continue;
			}
			if (need(ps, i + 1, "value") < 0)
				return -1;
			if (strcmp(k, "seq") == 0 || strcmp(k, "ack") == 0) {
				if (parse_int(ps, &ps->t[i + 1], -4294967295LL, 4294967295LL, &n) < 0)
					return -1;
				*(k[0] == 's' ? &e.seq : &e.ack) = n;
				*(k[0] == 's' ? &e.has_seq : &e.has_ack) = true;
			} else if (strcmp(k, "len") == 0 || strcmp(k, "win") == 0) {
				if (parse_uint(ps, &ps->t[i + 1], 65535, &v) < 0)
					return -1;
				*(k[0] == 'l' ? &e.len : &e.win) = (uint32_t)v;
				*(k[0] == 'l' ? &e.has_len : &e.has_win) = true;
			} else if (strcmp(k, "opts") == 0) {
				if ((c = tm_exp_opts_parse(ps->t[i + 1].s)) < 0)
					return perr(ps, ps->t[i + 1].col,
					    "bad options '%s' (mss,sackOK,ts,wscale,sack or none)",
					    ps->t[i + 1].s);
				e.opts = (uint8_t)c;
				e.has_opts = true;
			} else {
				return perr(ps, ps->t[i].col, "unknown word '%s' (seq ack len win opts abs)", k);
			}
			i++;
		}
		return tm_world_add_expect(ps->w, &e, ps->err);
	}
	if (strcmp(ps->t[3].s, "state") == 0) {
		e.kind = TM_EXP_STATE;
		if (ps->n != 6)
			return perr(ps, ps->t[3].col, "expect T HOST state SOCK STATE");
		if (handle_of(ps, &ps->t[4], h, &e.handle) < 0)
			return -1;
		if ((c = tm_state_parse(ps->t[5].s)) < 0)
			return perr(ps, ps->t[5].col, "unknown state '%s'", ps->t[5].s);
		e.state = (uint8_t)c;
		return tm_world_add_expect(ps->w, &e, ps->err);
	}
	if (strcmp(ps->t[3].s, "counter") == 0) {
		e.kind = TM_EXP_COUNTER;
		if (ps->n != 7 || strcmp(ps->t[5].s, "=") != 0)
			return perr(ps, ps->t[3].col, "expect T HOST counter NAME = N");
		if (e.tol != 0)
			return perr(ps, ps->t[1].col, "a counter is read at one time: no tolerance");
		for (c = 0; c < TM_C_MAX && strcmp(tm_counter_name((enum tm_counter)c), ps->t[4].s) != 0; c++)
			;
		if (c == TM_C_MAX)
			return perr(ps, ps->t[4].col, "unknown counter '%s'", ps->t[4].s);
		e.counter = (uint16_t)c;
		if (parse_uint(ps, &ps->t[6], UINT64_MAX, &e.value) < 0)
			return -1;
		return tm_world_add_expect(ps->w, &e, ps->err);
	}
	for (c = 0; c < TM_CALL_MAX; c++) {
		const char *cn = tm_call_name((enum tm_call)c);

		if (strcmp(cn, ps->t[3].s) == 0 ||
		    (c == TM_CALL_SO_ERROR && strcmp(ps->t[3].s, "so_error") == 0))
			break;
	}
	if (c == TM_CALL_MAX)
		return perr(ps, ps->t[3].col, "unknown expectation '%s' (sends state counter, or a call)",
		    ps->t[3].s);
	e.kind = TM_EXP_CALL;
	e.call = (uint8_t)c;
	if (ps->n != 7 || strcmp(ps->t[5].s, "=") != 0)
		return perr(ps, ps->t[3].col, "expect T HOST %s SOCK = VALUE|ERRNO", ps->t[3].s);
	if (handle_of(ps, &ps->t[4], h, &e.handle) < 0)
		return -1;
	if (ps->t[6].s[0] == 'E') {
		if ((e.err = tm_errno_parse(ps->t[6].s)) < 0)
			return perr(ps, ps->t[6].col, "unknown errno '%s'", ps->t[6].s);
		return tm_world_add_expect(ps->w, &e, ps->err);
	}
	if (parse_int(ps, &ps->t[6], INT64_MIN, INT64_MAX, &e.ret) < 0)
		return -1;
	return tm_world_add_expect(ps->w, &e, ps->err);
}

/* SACK blocks "L:R[,L:R]..." (RFC 2018 3), at most TM_SACK_MAX. */
static int
parse_sack(struct parser *ps, const struct tok *t, struct tm_seg *seg)
{
	const char *p = t->s;
	unsigned long long l, r;
	char *end;

	seg->nsack = 0;
	for (;;) {
		errno = 0;
		l = strtoull(p, &end, 10);
		if (end == p || *end != ':' || errno != 0 || l > UINT32_MAX || *p == '-')
			return perr(ps, t->col, "bad SACK blocks '%s' (L:R[,L:R]...)", t->s);
		p = end + 1;
		r = strtoull(p, &end, 10);
		if (end == p || (*end != ',' && *end != '\0') || errno != 0 || r > UINT32_MAX ||
		    *p == '-')
			return perr(ps, t->col, "bad SACK blocks '%s' (L:R[,L:R]...)", t->s);
		if (seg->nsack == TM_SACK_MAX)
			return perr(ps, t->col, "more than %d SACK blocks in '%s'", TM_SACK_MAX, t->s);
		seg->sack[seg->nsack][0] = (tm_seq)l;
		seg->sack[seg->nsack][1] = (tm_seq)r;
		seg->nsack++;
		if (*end == '\0')
			return 0;
		p = end + 1;
	}
}

static int
st_at(struct parser *ps)
{
	struct tm_action a;
	uint64_t v;
	unsigned int i;
	int h, peer;
	const char *verb;

	memset(&a, 0, sizeof(a));
	a.sock_ref = a.bind_ref = -1;
	a.line = ps->line;
	if (need(ps, 1, "time") < 0 || parse_stime(ps, &ps->t[1], &a.at) < 0)
		return -1;
	if (ps->n > 2 && strcmp(ps->t[2].s, "after") == 0) {
		/* at +D after inject ...: D after the target's last segment (sim.h). */
		if (ps->t[1].s[0] != '+')
			return perr(ps, ps->t[1].col, "'after' takes a relative time (+D), not '%s'",
			    ps->t[1].s);
		if (ps->n < 4 || strcmp(ps->t[3].s, "inject") != 0)
			return perr(ps, ps->t[2].col, "'after' times an injection: at +D after inject ...");
		a.after = true;
		a.after_ref = ps->last_t;
		a.after_d = a.at - ps->last_t;
		memmove(&ps->t[2], &ps->t[3], (ps->n - 3) * sizeof(ps->t[0]));
		ps->n--;
	}
	ps->last_t = a.at;
	if (need(ps, 2, "host or flood/inject") < 0)
		return -1;
	if (strcmp(ps->t[2].s, "flood") == 0) {
		a.kind = TM_ACT_FLOOD;
		if (need(ps, 4, "PEER:PORT COUNT") < 0)
			return -1;
		if (parse_endpoint(ps, &ps->t[3], &a.seg.dst, &a.seg.dport, &peer) < 0)
			return -1;
		if (parse_uint(ps, &ps->t[4], 65536, &v) < 0)
			return -1;
		a.count = (uint32_t)v;
		return tm_world_add_action(ps->w, &a, ps->err);
	}
	if (strcmp(ps->t[2].s, "inject") == 0) {
		char tmp[128], *gt;
		struct tok src, dst;

		a.kind = TM_ACT_INJECT;
		if (need(ps, 4, "SRC:PORT>DST:PORT FLAGS") < 0)
			return -1;
		snprintf(tmp, sizeof(tmp), "%s", ps->t[3].s);
		if ((gt = strchr(tmp, '>')) == NULL)
			return perr(ps, ps->t[3].col, "expected SRC:PORT>DST:PORT, got '%s'", ps->t[3].s);
		*gt = '\0';
		src.s = tmp;
		src.col = ps->t[3].col;
		dst.s = gt + 1;
		dst.col = ps->t[3].col + (unsigned int)(gt + 1 - tmp);
		if (parse_endpoint(ps, &src, &a.seg.src, &a.seg.sport, NULL) < 0 ||
		    parse_endpoint(ps, &dst, &a.seg.dst, &a.seg.dport, NULL) < 0)
			return -1;
		if (parse_flags(ps, &ps->t[4], &a.seg.flags) < 0)
			return -1;
		a.seg.wnd = 64240;
		if (a.seg.flags & TM_SYN) {
			a.seg.has_mss = true;
			a.seg.mss = 1460;
		}
		for (i = 5; i < ps->n; i++) {
			const char *k = ps->t[i].s;
			/* Largest value of each word (RFC 9293 3.1, RFC 7323 2.3 and 3.2). */
			uint64_t max = strcmp(k, "seq") == 0 || strcmp(k, "ack") == 0 ||
			    strcmp(k, "ts") == 0 ? UINT32_MAX : strcmp(k, "wscale") == 0 ? 14 : 65535;

			if (strcmp(k, "sackOK") == 0) {
				a.seg.sack_ok = true;
				continue;
			}
			if (strcmp(k, "abs") == 0) {
				a.abs = true;
				continue;
			}
			if (strcmp(k, "sack") == 0) {
				if (need(ps, i + 1, "blocks L:R[,L:R]") < 0 ||
				    parse_sack(ps, &ps->t[i + 1], &a.seg) < 0)
					return -1;
				i++;
				continue;
			}
			if (strcmp(k, "seq") != 0 && strcmp(k, "ack") != 0 && strcmp(k, "len") != 0 &&
			    strcmp(k, "win") != 0 && strcmp(k, "mss") != 0 && strcmp(k, "wscale") != 0 &&
			    strcmp(k, "ts") != 0)
				return perr(ps, ps->t[i].col,
				    "unknown inject option '%s' (seq ack len win mss wscale sackOK ts sack abs)", k);
			if (need(ps, i + 1, "value") < 0 || parse_uint(ps, &ps->t[i + 1], max, &v) < 0)
				return -1;
			if (strcmp(k, "seq") == 0) {
				a.seg.seq = (tm_seq)v;
			} else if (strcmp(k, "ack") == 0) {
				a.seg.ack = (tm_seq)v;
			} else if (strcmp(k, "len") == 0) {
				a.seg.len = (uint32_t)v;
			} else if (strcmp(k, "win") == 0) {
				a.seg.wnd = (uint16_t)v;
			} else if (strcmp(k, "mss") == 0) {
				a.seg.has_mss = true;
				a.seg.mss = (uint16_t)v;
			} else if (strcmp(k, "wscale") == 0) {
				a.seg.has_wscale = true;
				a.seg.wscale = (uint8_t)v;
			} else {
				/* ts VAL ECR */
				a.seg.has_ts = true;
				a.seg.tsval = (uint32_t)v;
				if (need(ps, i + 2, "timestamp echo reply") < 0 ||
				    parse_uint(ps, &ps->t[i + 2], UINT32_MAX, &v) < 0)
					return -1;
				a.seg.tsecr = (uint32_t)v;
				i++;
			}
			i++;
		}
		return tm_world_add_action(ps->w, &a, ps->err);
	}
	if ((h = host_arg(ps, 2)) < 0)
		return -1;
	a.kind = TM_ACT_APP;
	a.host = (uint16_t)h;
	if (need(ps, 3, "call") < 0)
		return -1;
	verb = ps->t[3].s;
	i = 4;
	if (strcmp(verb, "listen") == 0) {
		a.app.call = TM_CALL_LISTEN;
		a.app.backlog = 128;
		if (need(ps, 4, "port") < 0 || parse_uint(ps, &ps->t[4], 65535, &v) < 0)
			return -1;
		a.app.lport = (uint16_t)v;
		for (i = 5; i < ps->n; i += 2) {
			if (strcmp(ps->t[i].s, "backlog") == 0) {
				if (need(ps, i + 1, "backlog") < 0 ||
				    parse_uint(ps, &ps->t[i + 1], 65535, &v) < 0)
					return -1;
				a.app.backlog = (int)v;
			} else if (strcmp(ps->t[i].s, "as") == 0) {
				if ((a.bind_ref = handle_arg(ps, i + 1, false)) < 0)
					return -1;
			} else {
				return perr(ps, ps->t[i].col, "unknown listen option '%s'", ps->t[i].s);
			}
		}
	} else if (strcmp(verb, "connect") == 0) {
		a.app.call = TM_CALL_CONNECT;
		if (need(ps, 4, "PEER:PORT") < 0 ||
		    parse_endpoint(ps, &ps->t[4], &a.app.raddr, &a.app.rport, &peer) < 0)
			return -1;
		for (i = 5; i < ps->n; i += 2) {
			if (strcmp(ps->t[i].s, "from") == 0) {
				if (need(ps, i + 1, "port") < 0 ||
				    parse_uint(ps, &ps->t[i + 1], 65535, &v) < 0)
					return -1;
				a.app.lport = (uint16_t)v;
			} else if (strcmp(ps->t[i].s, "as") == 0) {
				if ((a.bind_ref = handle_arg(ps, i + 1, false)) < 0)
					return -1;
			} else {
				return perr(ps, ps->t[i].col, "unknown connect option '%s'", ps->t[i].s);
			}
		}
	} else if (strcmp(verb, "accept") == 0) {
		a.app.call = TM_CALL_ACCEPT;
		if ((a.sock_ref = handle_arg(ps, 4, true)) < 0)
			return -1;
		if (ps->n > 5) {
			if (strcmp(ps->t[5].s, "as") != 0)
				return perr(ps, ps->t[5].col, "expected 'as', got '%s'", ps->t[5].s);
			if ((a.bind_ref = handle_arg(ps, 6, false)) < 0)
				return -1;
		}
		i = ps->n;
	} else if (strcmp(verb, "send") == 0 || strcmp(verb, "recv") == 0) {
		a.app.call = verb[0] == 's' ? TM_CALL_SEND : TM_CALL_RECV;
		if ((a.sock_ref = handle_arg(ps, 4, true)) < 0)
			return -1;
		if (ps->n > 5) {
			if (parse_uint(ps, &ps->t[5], 1u << 30, &v) < 0)
				return -1;
			a.app.len = (uint32_t)v;
		} else if (a.app.call == TM_CALL_SEND) {
			return need(ps, 5, "byte count");
		}
		i = 6;
	} else if (strcmp(verb, "shutdown") == 0) {
		a.app.call = TM_CALL_SHUTDOWN;
		a.app.how = 1;
		if ((a.sock_ref = handle_arg(ps, 4, true)) < 0)
			return -1;
		if (ps->n > 5) {
			if (strcmp(ps->t[5].s, "rd") == 0)
				a.app.how = 0;
			else if (strcmp(ps->t[5].s, "wr") == 0)
				a.app.how = 1;
			else if (strcmp(ps->t[5].s, "rdwr") == 0)
				a.app.how = 2;
			else
				return perr(ps, ps->t[5].col, "expected rd, wr or rdwr, got '%s'", ps->t[5].s);
		}
		i = 6;
	} else if (strcmp(verb, "close") == 0) {
		a.app.call = TM_CALL_CLOSE;
		if ((a.sock_ref = handle_arg(ps, 4, true)) < 0)
			return -1;
		i = 5;
	} else if (strcmp(verb, "setsockopt") == 0) {
		int o;
		int64_t sv;

		a.app.call = TM_CALL_SETSOCKOPT;
		if ((a.sock_ref = handle_arg(ps, 4, true)) < 0)
			return -1;
		if (need(ps, 6, "OPTION VALUE") < 0)
			return -1;
		if ((o = tm_sockopt_parse(ps->t[5].s)) < 0 || o >= TM_SO_READONLY)
			return perr(ps, ps->t[5].col, "unknown socket option '%s' (keepalive keepidle "
			    "keepintvl keepcnt linger2 user_timeout linger0 syncnt defer_accept rcvbuf "
			    "sndbuf)", ps->t[5].s);
		a.app.opt = (enum tm_sockopt)o;
		if (td_num_i64(ps->t[6].s, -1000000, 100000000, &sv, NULL) < 0)
			return perr(ps, ps->t[6].col, "bad value '%s'", ps->t[6].s);
		a.app.val = sv;
		i = 7;
	} else if (strcmp(verb, "getsockopt") == 0 || strcmp(verb, "ioctl") == 0) {
		int o;
		bool io = verb[0] == 'i';

		a.app.call = io ? TM_CALL_IOCTL : TM_CALL_GETSOCKOPT;
		if ((a.sock_ref = handle_arg(ps, 4, true)) < 0 || need(ps, 5, "OPTION") < 0)
			return -1;
		o = tm_sockopt_parse(ps->t[5].s);
		if (io ? (o != TM_SO_SIOCINQ && o != TM_SO_SIOCOUTQ) : (o < 0 || o == TM_SO_LINGER0 ||
		    o == TM_SO_SIOCINQ || o == TM_SO_SIOCOUTQ))
			return perr(ps, ps->t[5].col, io ? "unknown ioctl '%s' (siocinq siocoutq)" :
			    "unknown socket option '%s' (so_error tcpi_state tcpi_retransmits "
			    "tcpi_backoff tcpi_probes rcvbuf sndbuf defer_accept keepalive syncnt "
			    "user_timeout)", ps->t[5].s);
		a.app.opt = (enum tm_sockopt)o;
		i = 6;
	} else {
		return perr(ps, ps->t[3].col, "unknown call '%s' (listen connect accept send recv "
		    "shutdown close setsockopt getsockopt ioctl)", verb);
	}
	if (i < ps->n)
		return perr(ps, ps->t[i].col, "unexpected '%s'", ps->t[i].s);
	return tm_world_add_action(ps->w, &a, ps->err);
}

static int
statement(struct parser *ps)
{
	const char *kw = ps->t[0].s;
	int r;

	if (strcmp(kw, "profile") == 0) {
		if (need(ps, 1, "profile name") < 0)
			return -1;
		if (tm_profile_by_name(ps->t[1].s, &ps->base) < 0)
			return perr(ps, ps->t[1].col, "unknown profile '%s' (linux, rfc9293)", ps->t[1].s);
		r = 0;
	} else if (strcmp(kw, "host") == 0) {
		r = need(ps, 1, "host name") < 0 ? -1 : st_host(ps);
	} else if (strcmp(kw, "set") == 0) {
		r = st_set(ps);
	} else if (strcmp(kw, "sysctl") == 0) {
		r = st_sysctl(ps);
	} else if (strcmp(kw, "link") == 0) {
		r = st_link(ps);
	} else if (strcmp(kw, "fault") == 0) {
		r = st_fault(ps);
	} else if (strcmp(kw, "at") == 0) {
		r = st_at(ps);
	} else if (strcmp(kw, "expect") == 0) {
		r = st_expect(ps);
	} else if (strcmp(kw, "run") == 0) {
		if (need(ps, 1, "time") < 0 || parse_time(ps, &ps->t[1], &ps->w->until) < 0)
			return -1;
		if (ps->w->until > TM_MAX_SIM_TIME)
			return perr(ps, ps->t[1].col, "run '%s' is longer than the simulator's bound of one day (86400 s)",
			    ps->t[1].s);
		ps->w->until_set = true;
		r = 0;
	} else {
		return perr(ps, ps->t[0].col, "unknown statement '%s' (profile host set sysctl link fault at expect run)", kw);
	}
	return r;
}

int
tm_script_load(struct tm_world *w, const char *text, const char *fname,
    const struct tm_profile *base, struct td_err *err)
{
	struct parser ps;
	const char *p = text, *nl;
	size_t len;

	memset(&ps, 0, sizeof(ps));
	ps.w = w;
	ps.fname = fname;
	ps.base = *base;
	ps.err = err;
	snprintf(w->script_name, sizeof(w->script_name), "%s", fname);
	while (*p != '\0') {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		ps.line++;
		if (tokenize(&ps, p, len) < 0)
			return -1;
		if (ps.n > 0 && statement(&ps) < 0)
			return -1;
		p += len;
		if (*p == '\n')
			p++;
	}
	if (w->nhosts == 0)
		return td_errf(err, EBADMSG, "%s: no host declared", fname);
	return 0;
}
