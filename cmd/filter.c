/* SPDX-License-Identifier: MIT */
/*
 * Parsing and evaluating ss-style socket filters (see filter.h).  The
 * expression lives in a fixed array of nodes: no allocation, and a filter
 * too long for it is an error, not a crash.
 */
#include "cmd/filter.h"

#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "collectors/cgroup.h"
#include "collectors/snapshot.h"
#include "core/num.h"
#include "core/util.h"

enum fkind { FN_AND = 1, FN_OR, FN_NOT, FN_SPORT, FN_DPORT, FN_SRC, FN_DST, FN_CGROUP, FN_UNIT,
	FN_CONTAINER, FN_POD };
enum fop { OP_EQ = 1, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE };

#define MAX_TOKENS	256

struct parser {
	char		*tok[MAX_TOKENS];
	int		 ntok, pos;
	struct td_filter *f;
	struct td_err	*err;
	char		 buf[4096];
};

/*
 * The words of ss(8)'s STATE-FILTER, as iproute2 misc/ss.c scan_state()
 * reads them (case-insensitive): the eleven states in ss's own spelling
 * (established, syn-sent, syn-recv, fin-wait-1, fin-wait-2, time-wait,
 * closed, close-wait, last-ack, listening, closing; also "close",
 * "unconnected" and "syn-rcv") and five groups.  SS_ALL is every state;
 * connected is all but listening and closed; synchronized is connected
 * but not syn-sent; bucket is the states kept as minisockets (syn-recv,
 * time-wait); big is all but bucket.  Kernel spellings (TIME_WAIT,
 * FIN_WAIT1, LISTEN) work too, through td_state_parse().
 */
#define ST(x)		TD_STATE_BIT(TD_ST_##x)
#define G_ALL		TD_STATES_ALL
#define G_CONNECTED	(G_ALL & ~(ST(LISTEN) | ST(CLOSE)))
#define G_SYNCHRONIZED	(G_CONNECTED & ~ST(SYN_SENT))
#define G_BUCKET	(ST(SYN_RECV) | ST(TIME_WAIT))
#define G_BIG		(G_ALL & ~G_BUCKET)

static const struct {
	const char	*name;
	unsigned int	 mask;
} state_words[] = {
	{ "all", G_ALL },
	{ "connected", G_CONNECTED },
	{ "synchronized", G_SYNCHRONIZED },
	{ "bucket", G_BUCKET },
	{ "big", G_BIG },
	{ "listening", ST(LISTEN) },
	{ "unconnected", ST(CLOSE) },
	{ "syn-rcv", ST(SYN_RECV) },
};

static int
state_mask(const char *name, unsigned int *mask)
{
	size_t i;
	int st;

	for (i = 0; i < ARRAY_SIZE(state_words); i++)
		if (strcasecmp(name, state_words[i].name) == 0) {
			*mask = state_words[i].mask;
			return 0;
		}
	st = td_state_parse(name);
	if (st <= 0 || st == TD_ST_NEW_SYN_RECV)
		return -1;
	*mask = TD_STATE_BIT(st);
	return 0;
}

static int
unknown_state(struct parser *p, const char *name)
{
	return td_errf(p->err, EINVAL,
	    "unknown state '%s' (states: established, syn-sent, syn-recv, fin-wait-1, "
	    "fin-wait-2, time-wait, closed, close-wait, last-ack, listening, closing, or the "
	    "kernel names such as TIME_WAIT; groups: all, connected, synchronized, bucket, big)",
	    name);
}

/* The operator words of ss's lexer (iproute2 misc/ssfilter.y yylex). */
static bool
is_and(const char *t)
{
	return strcmp(t, "and") == 0 || strcmp(t, "&&") == 0 || strcmp(t, "&") == 0;
}

static bool
is_or(const char *t)
{
	return strcmp(t, "or") == 0 || strcmp(t, "||") == 0 || strcmp(t, "|") == 0;
}

static bool
is_not(const char *t)
{
	return strcmp(t, "not") == 0 || strcmp(t, "!") == 0;
}

/* "state" or "exclude" (ss also takes "excl"). */
static bool
is_state_kw(const char *t)
{
	return strcmp(t, "state") == 0 || strcmp(t, "exclude") == 0 || strcmp(t, "excl") == 0;
}

static int
cgroup_word(const char *t)
{
	if (strcmp(t, "cgroup") == 0)
		return FN_CGROUP;
	if (strcmp(t, "unit") == 0)
		return FN_UNIT;
	if (strcmp(t, "container") == 0)
		return FN_CONTAINER;
	if (strcmp(t, "pod") == 0)
		return FN_POD;
	return 0;
}

static bool
is_keyword(const char *t)
{
	static const char *const kw[] = {
		"sport", "dport", "src", "dst", "(", ")", "cgroup", "unit", "container", "pod",
	};

	if (is_and(t) || is_or(t) || is_not(t) || is_state_kw(t))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(kw); i++)
		if (strcmp(t, kw[i]) == 0)
			return true;
	return false;
}

static const char *
peek(struct parser *p)
{
	return p->pos < p->ntok ? p->tok[p->pos] : NULL;
}

static int
new_node(struct parser *p, int kind)
{
	struct td_fnode *n;

	if (p->f->nn >= TD_FILTER_NODES)
		return td_errf(p->err, EINVAL, "filter too long (at most %d terms)", TD_FILTER_NODES);
	n = &p->f->n[p->f->nn];
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->a = n->b = -1;
	return p->f->nn++;
}

static int
parse_port(struct parser *p, const char *s, uint16_t *port)
{
	const char *t = s;
	struct servent *se;
	const char *why;
	int64_t v;

	if (*t == ':')
		t++;
	if (*t == '\0')
		return td_errf(p->err, EINVAL, "bad port '%s': empty", s);
	if (td_num_i64(t, 0, 65535, &v, &why) == 0) {
		*port = (uint16_t)v;
		return 0;
	}
	if (why != td_num_nan)
		return td_errf(p->err, EINVAL, "bad port '%s': not in 0..65535", s);
	se = getservbyname(t, "tcp");
	if (se == NULL)
		return td_errf(p->err, EINVAL, "bad port '%s': not a number or a tcp service name", s);
	*port = ntohs((uint16_t)se->s_port);
	return 0;
}

static int
parse_op(const char *t)
{
	static const struct {
		const char	*s;
		int		 op;
	} ops[] = {
		{ "=", OP_EQ }, { "==", OP_EQ }, { "eq", OP_EQ },
		{ "!=", OP_NE }, { "ne", OP_NE }, { "neq", OP_NE },
		{ "<", OP_LT }, { "lt", OP_LT }, { "<=", OP_LE }, { "le", OP_LE }, { "leq", OP_LE },
		{ ">", OP_GT }, { "gt", OP_GT }, { ">=", OP_GE }, { "ge", OP_GE }, { "geq", OP_GE },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(ops[i].s, t) == 0)
			return ops[i].op;
	return 0;
}

/* ADDR, ADDR/LEN, ADDR:PORT, [V6], [V6]:PORT, [V6]/LEN, *, *:PORT, :PORT */
static int
parse_prefix(struct parser *p, const char *s, struct td_fnode *n)
{
	char host[INET6_ADDRSTRLEN + 8], *slash, *colon, *end;
	const char *portstr = NULL;
	struct in_addr a4;
	int64_t len;
	size_t hl;

	if (strlen(s) >= sizeof(host))
		return td_errf(p->err, EINVAL, "bad prefix '%s': too long", s);
	snprintf(host, sizeof(host), "%s", s);
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (end == NULL)
			return td_errf(p->err, EINVAL, "bad prefix '%s': missing ']'", s);
		*end = '\0';
		if (end[1] == ':')
			portstr = s + (end - host) + 1;
		else if (end[1] == '/')
			memmove(host + (end - host), end + 1, strlen(end + 1) + 1);
		else if (end[1] != '\0')
			return td_errf(p->err, EINVAL, "bad prefix '%s': junk after ']'", s);
		memmove(host, host + 1, strlen(host));
	} else {
		colon = strchr(host, ':');
		/* One colon: v4 or "*" with a port; several: a bare v6 address. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			portstr = s + (colon - host);
			*colon = '\0';
		}
	}
	if (portstr != NULL) {
		if (parse_port(p, portstr, &n->port) < 0)
			return -1;
		n->has_port = true;
	}
	slash = strchr(host, '/');
	len = -1;
	if (slash != NULL) {
		*slash = '\0';
		if (td_num_i64(slash + 1, 0, INT64_MAX, &len, NULL) < 0)
			return td_errf(p->err, EINVAL, "bad prefix '%s': bad length", s);
	}
	hl = strlen(host);
	if (hl == 0 || strcmp(host, "*") == 0) {
		if (len >= 0)
			return td_errf(p->err, EINVAL, "bad prefix '%s': length without address", s);
		if (hl == 0 && !n->has_port)
			return td_errf(p->err, EINVAL, "bad prefix '%s': empty", s);
		n->any_addr = true;
		return 0;
	}
	if (inet_pton(AF_INET, host, &a4) == 1) {
		if (len > 32)
			return td_errf(p->err, EINVAL, "bad prefix '%s': IPv4 length over 32", s);
		memset(&n->addr, 0, sizeof(n->addr));
		n->addr.s6_addr[10] = n->addr.s6_addr[11] = 0xff;
		memcpy(&n->addr.s6_addr[12], &a4, 4);
		n->plen = (uint8_t)(96 + (len < 0 ? 32 : len));
		return 0;
	}
	if (inet_pton(AF_INET6, host, &n->addr) == 1) {
		if (len > 128)
			return td_errf(p->err, EINVAL, "bad prefix '%s': IPv6 length over 128", s);
		n->plen = (uint8_t)(len < 0 ? 128 : len);
		return 0;
	}
	return td_errf(p->err, EINVAL, "bad prefix '%s': not an IPv4 or IPv6 address", s);
}

static int parse_or(struct parser *p);

static int
parse_term(struct parser *p)
{
	const char *t = peek(p), *v;
	int idx, op, kind;

	if (t == NULL)
		return td_errf(p->err, EINVAL, "filter ends where a term was expected");
	if (strcmp(t, "(") == 0) {
		p->pos++;
		idx = parse_or(p);
		if (idx < 0)
			return -1;
		t = peek(p);
		if (t == NULL || strcmp(t, ")") != 0)
			return td_errf(p->err, EINVAL, "missing ')' in filter");
		p->pos++;
		return idx;
	}
	if (is_not(t)) {
		p->pos++;
		idx = new_node(p, FN_NOT);
		if (idx < 0)
			return -1;
		p->f->n[idx].a = (int16_t)parse_term(p);
		return p->f->n[idx].a < 0 ? -1 : idx;
	}
	if (strcmp(t, "sport") == 0 || strcmp(t, "dport") == 0) {
		kind = t[0] == 's' ? FN_SPORT : FN_DPORT;
		p->pos++;
		v = peek(p);
		if (v == NULL)
			return td_errf(p->err, EINVAL, "'%s' needs a port", t);
		op = parse_op(v);
		if (op != 0) {
			p->pos++;
			v = peek(p);
			if (v == NULL)
				return td_errf(p->err, EINVAL, "'%s' needs a port", t);
		} else {
			op = OP_EQ;
		}
		idx = new_node(p, kind);
		if (idx < 0 || parse_port(p, v, &p->f->n[idx].port) < 0)
			return -1;
		p->f->n[idx].op = (uint8_t)op;
		p->pos++;
		return idx;
	}
	if (strcmp(t, "src") == 0 || strcmp(t, "dst") == 0) {
		kind = t[0] == 's' ? FN_SRC : FN_DST;
		p->pos++;
		v = peek(p);
		if (v != NULL && (strcmp(v, "=") == 0 || strcmp(v, "==") == 0)) {
			p->pos++;
			v = peek(p);
		}
		if (v == NULL)
			return td_errf(p->err, EINVAL, "'%s' needs an address or prefix", t);
		idx = new_node(p, kind);
		if (idx < 0 || parse_prefix(p, v, &p->f->n[idx]) < 0)
			return -1;
		p->pos++;
		return idx;
	}
	if ((kind = cgroup_word(t)) != 0) {
		p->pos++;
		v = peek(p);
		if (v != NULL && (strcmp(v, "=") == 0 || strcmp(v, "==") == 0)) {
			p->pos++;
			v = peek(p);
		}
		if (v == NULL || v[0] == '\0' || is_keyword(v))
			return td_errf(p->err, EINVAL, "'%s' needs a %s", t, kind == FN_CGROUP ?
			    "cgroup path prefix (/system.slice)" : kind == FN_UNIT ? "unit name" :
			    kind == FN_CONTAINER ? "container id" : "pod name (NS/NAME, NAME or uid)");
		if (strlen(v) >= sizeof(p->f->n[0].word))
			return td_errf(p->err, EINVAL, "'%s %.40s...': longer than %zu characters", t, v,
			    sizeof(p->f->n[0].word) - 1);
		if (kind == FN_CGROUP && v[0] != '/')
			return td_errf(p->err, EINVAL, "cgroup '%s': a path under the cgroup2 mount starts with '/'", v);
		idx = new_node(p, kind);
		if (idx < 0)
			return -1;
		snprintf(p->f->n[idx].word, sizeof(p->f->n[idx].word), "%s", v);
		p->f->needs_cgroup = true;
		p->pos++;
		return idx;
	}
	if (strcmp(t, ")") == 0)
		return td_errf(p->err, EINVAL, "unbalanced ')' in filter");
	if (is_state_kw(t))
		return td_errf(p->err, EINVAL, "'%s' must come before the other filter words", t);
	if (is_and(t) || is_or(t))
		return td_errf(p->err, EINVAL, "'%s' needs a term before it", t);
	return td_errf(p->err, EINVAL,
	    "unknown filter word '%s' (state, exclude, sport, dport, src, dst, cgroup, unit, container, pod, and, or, not)", t);
}

static bool
ends_and(const char *t)
{
	return t == NULL || strcmp(t, ")") == 0 || is_or(t);
}

/* A node of kind over the terms left and right (right < 0: its parse failed). */
static int
join(struct parser *p, int kind, int left, int right)
{
	int idx;

	if (right < 0 || (idx = new_node(p, kind)) < 0)
		return -1;
	p->f->n[idx].a = (int16_t)left;
	p->f->n[idx].b = (int16_t)right;
	return idx;
}

static int
parse_and(struct parser *p)
{
	int left;
	const char *t;

	left = parse_term(p);
	if (left < 0)
		return -1;
	while (!ends_and(t = peek(p))) {
		if (is_and(t)) {
			p->pos++;
			if (ends_and(peek(p)))
				return td_errf(p->err, EINVAL, "'%s' needs a term after it", t);
		}
		if ((left = join(p, FN_AND, left, parse_term(p))) < 0)
			return -1;
	}
	return left;
}

static int
parse_or(struct parser *p)
{
	int left;
	const char *t;

	left = parse_and(p);
	if (left < 0)
		return -1;
	while ((t = peek(p)) != NULL && is_or(t)) {
		p->pos++;
		if (peek(p) == NULL)
			return td_errf(p->err, EINVAL, "'%s' needs a term after it", t);
		if ((left = join(p, FN_OR, left, parse_and(p))) < 0)
			return -1;
	}
	return left;
}

/*
 * Split the words into tokens the way ss does (iproute2 misc/ssfilter.y,
 * get_token_from_line): each word is cut at blanks, so a filter quoted as
 * one word ('dport = :443 or sport = :443') or in several quoted pieces
 * reads as the same tokens as the unquoted form, and a backslash makes the
 * next character part of the token.  Unlike ss, a parenthesis is a token
 * of its own even when glued to a word: "(dport".
 */
static int
tokenize(struct parser *p, int argc, char **argv)
{
	size_t used = 0, l, start;
	const char *s;
	int i;

	for (i = 0; i < argc; i++) {
		l = strlen(argv[i]);
		/* Each byte lands once, plus one NUL per token: at most 2l + 1. */
		if (used + 2 * l + 2 > sizeof(p->buf))
			return td_errf(p->err, EINVAL, "filter too long");
		s = argv[i];
		while (*s != '\0') {
			while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
				s++;
			if (*s == '\0')
				break;
			if (p->ntok >= MAX_TOKENS)
				return td_errf(p->err, EINVAL, "filter too long");
			start = used;
			if (*s == '(' || *s == ')') {
				p->buf[used++] = *s++;
			} else {
				while (*s != '\0' && *s != ' ' && *s != '\t' && *s != '\n' &&
				    *s != '\r' && *s != '(' && *s != ')') {
					if (*s == '\\' && s[1] != '\0')
						s++;
					p->buf[used++] = *s++;
				}
			}
			p->buf[used++] = '\0';
			p->tok[p->ntok++] = p->buf + start;
		}
	}
	return 0;
}

int
filter_parse(struct td_filter *f, int argc, char **argv, struct td_err *err)
{
	struct parser *p;
	unsigned int incl = 0, excl = 0, m;
	bool any_state = false;
	const char *t, *kw;
	int rc = 0;

	memset(f, 0, sizeof(*f));
	f->root = -1;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return td_errf(err, errno, "out of memory");
	p->f = f;
	p->err = err;
	if (tokenize(p, argc, argv) < 0) {
		rc = -1;
		goto out;
	}
	/* Leading state/exclude clauses. */
	while ((t = peek(p)) != NULL && is_state_kw(t)) {
		kw = t;
		p->pos++;
		t = peek(p);
		if (t == NULL || is_keyword(t)) {
			rc = td_errf(err, EINVAL, "'%s' needs a state name", kw);
			goto out;
		}
		while ((t = peek(p)) != NULL && !is_keyword(t)) {
			if (state_mask(t, &m) < 0) {
				rc = unknown_state(p, t);
				goto out;
			}
			if (kw[0] == 's') {
				incl |= m;
				any_state = true;
			} else {
				excl |= m;
			}
			p->pos++;
		}
	}
	f->states = (any_state ? incl : TD_STATES_ALL) & ~excl;
	if (peek(p) != NULL) {
		f->root = parse_or(p);
		if (f->root < 0) {
			rc = -1;
			goto out;
		}
		if ((t = peek(p)) != NULL) {
			if (is_state_kw(t))
				rc = td_errf(err, EINVAL, "'%s' must come before the other filter words", t);
			else
				rc = td_errf(err, EINVAL, "unexpected '%s' in filter", t);
		}
	}
out:
	free(p);
	return rc;
}

static bool
port_cmp(uint16_t v, int op, uint16_t want)
{
	switch (op) {
	case OP_EQ: return v == want;
	case OP_NE: return v != want;
	case OP_LT: return v < want;
	case OP_LE: return v <= want;
	case OP_GT: return v > want;
	case OP_GE: return v >= want;
	}
	return false;
}

static bool
prefix_match(const struct td_fnode *n, const struct in6_addr *a, uint16_t port)
{
	unsigned int full, rem;

	if (n->has_port && port != n->port)
		return false;
	if (n->any_addr)
		return true;
	full = n->plen / 8;
	rem = n->plen % 8;
	if (memcmp(a->s6_addr, n->addr.s6_addr, full) != 0)
		return false;
	if (rem != 0 &&
	    ((a->s6_addr[full] ^ n->addr.s6_addr[full]) & (uint8_t)(0xff << (8 - rem))) != 0)
		return false;
	return true;
}

/* PREFIX matches whole path components: /system.slice, not /system.sl. */
static bool
cgroup_prefix(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 1 && prefix[n - 1] == '/')
		n--;
	if (n == 1)
		return path[0] == '/';
	return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static bool
cgroup_match(const struct td_fnode *n, const struct td_sock *sk)
{
	struct cg_name cg;
	const char *w = n->word, *colon;
	size_t len;

	if (sk->cgroup[0] == '\0')
		return false;
	if (n->kind == FN_CGROUP)
		return cgroup_prefix(sk->cgroup, w);
	cgroup_name_parse(sk->cgroup, &cg);
	switch (n->kind) {
	case FN_UNIT:
		len = strlen(w);
		return cg.unit[0] != '\0' && (strcmp(cg.unit, w) == 0 ||
		    (strchr(w, '.') == NULL && strncmp(cg.unit, w, len) == 0 &&
		    strcmp(cg.unit + len, ".service") == 0));
	case FN_CONTAINER:
		colon = strchr(w, ':');
		if (colon != NULL) {
			len = (size_t)(colon - w);
			if (strlen(cgroup_kind_name(cg.kind)) != len ||
			    strncmp(cgroup_kind_name(cg.kind), w, len) != 0)
				return false;
			w = colon + 1;
		}
		return cg.id[0] != '\0' && w[0] != '\0' && strncmp(cg.id, w, strlen(w)) == 0;
	case FN_POD:
		if (cg.pod_uid[0] == '\0')
			return false;
		if (strcmp(cg.pod_uid, w) == 0)
			return true;
		/* The label is "pod NS/NAME" when the kubelet showed the name. */
		if (strncmp(sk->container, "pod ", 4) != 0)
			return false;
		if (strcmp(sk->container + 4, w) == 0)
			return true;
		colon = strchr(sk->container + 4, '/');
		return strchr(w, '/') == NULL && colon != NULL && strcmp(colon + 1, w) == 0;
	}
	return false;
}

static bool
eval(const struct td_filter *f, int i, const struct td_sock *sk)
{
	const struct td_fnode *n = &f->n[i];

	switch (n->kind) {
	case FN_AND: return eval(f, n->a, sk) && eval(f, n->b, sk);
	case FN_OR: return eval(f, n->a, sk) || eval(f, n->b, sk);
	case FN_NOT: return !eval(f, n->a, sk);
	case FN_SPORT: return port_cmp(sk->sport, n->op, n->port);
	case FN_DPORT: return port_cmp(sk->dport, n->op, n->port);
	case FN_SRC: return prefix_match(n, &sk->src, sk->sport);
	case FN_DST: return prefix_match(n, &sk->dst, sk->dport);
	case FN_CGROUP:
	case FN_UNIT:
	case FN_CONTAINER:
	case FN_POD: return cgroup_match(n, sk);
	}
	return false;
}

bool
filter_match(const struct td_filter *f, const struct td_sock *sk)
{
	if (sk->state >= 32 || !(f->states & TD_STATE_BIT(sk->state)))
		return false;
	return f->root < 0 || eval(f, f->root, sk);
}
