/* SPDX-License-Identifier: MIT */
/*
 * Replay: connections and their endpoints' states from captured segments
 * (sim/replay.h).  The endpoint rules are RFC 9293 3.3.2 (figure 5) as
 * Linux implements them in tcp_rcv_state_process() and tcp_fin(): a state
 * change caused by sending is taken when the segment is seen, one caused by
 * receiving is taken when the segment is seen too (the capture point sits
 * on the path; rp_capture_near() says on which end).  The schedules the
 * departures are measured against are the model's (tm_syn_rtx_at(),
 * tm_synack_rtx_at(), tm_state_max_lifetime()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/util.h"
#include "sim/replay.h"
#include "sim/replay_model.h"

#define OOO_NS		3000000ull	/* Wireshark's out-of-order threshold, 3 ms */

static const char *const an_names[RP_AN_MAX] = {
	"retransmission", "out_of_order", "lost_segment", "ack_lost_segment",
	"duplicate_ack", "zero_window", "zero_window_probe", "window_update",
	"keep_alive", "keep_alive_ack", "reused_ports",
};

static const char *const dep_names[RP_DEP_MAX] = {
	"syn_rto", "synack_rto", "rst_not_fin", "data_after_fin", "out_of_window",
	"time_wait_lower_seq", "synack_after_ack", "ack_missing", "rst_unexpected",
	"unexpected_segment",
};

static const char *const end_names[] = {
	"open", "fin", "rst", "timeout", "half_closed", "evicted",
};

const char *const rp_state_names[] = {
	"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH",
};
const unsigned int rp_nstates = ARRAY_SIZE(rp_state_names);

/*
 * What is kept of a connection after it ended, for TIME_WAIT questions (RST
 * in TIME_WAIT, a SYN reusing the 4-tuple): small, in its own bounded table.
 */
struct rp_tomb {
	struct rp_tomb	*hnext, *lprev, *lnext;
	uint32_t	 hash;
	struct tm_addr	 addr[2];
	uint16_t	 port[2];
	uint64_t	 id, until;
	int8_t		 tw_side;	/* the side in TIME_WAIT, -1 */
	uint8_t		 end;
	bool		 has_isn[2], has_ts[2];
	tm_seq		 snd_max[2];
	uint32_t	 tsval[2];
};

/*
 * Blocks of closed connections and their models kept for the next ones (at
 * most POOL_MAX of each): a capture opens and closes connections all
 * along, and malloc's search for 3.6 KiB blocks twice a connection was a
 * tenth of replay's time.
 */
#define POOL_MAX	64

struct pool {
	void	*head;		/* each block's first word links the next */
	size_t	 n;
};

struct replay {
	struct rp_opts	 o;
	struct pool	 conns, models;
	struct rp_tomb	**ttab;
	struct rp_tomb	*t_head, *t_tail;	/* head: newest */
	uint64_t	 ntomb;
	struct rp_stats	 st;
	struct rp_conn	**tab;
	uint32_t	 mask;
	struct rp_conn	*lru_head, *lru_tail;	/* head: most recently seen */
	uint64_t	 base;			/* first packet's time, ns */
	bool		 have_base;
	uint64_t	 next_id;
	uint64_t	 now;			/* relative ns of the current packet */
	/* The departures of the current packet, every one with its words (for on_pkt). */
	struct rp_departure cur[RP_DEPS_KEPT];
	unsigned int	 ncur;
	uint64_t	 cur_no;
};

const char *
rp_an_name(enum rp_an a)
{
	return (unsigned int)a < RP_AN_MAX ? an_names[a] : "?";
}

const char *
rp_dep_name(enum rp_dep d)
{
	return (unsigned int)d < RP_DEP_MAX ? dep_names[d] : "?";
}

const char *
rp_end_name(enum rp_end e)
{
	return (unsigned int)e < ARRAY_SIZE(end_names) ? end_names[e] : "?";
}

int
rp_state_index(const char *name)
{
	unsigned int i;

	for (i = 0; i < rp_nstates; i++)
		if (strcmp(rp_state_names[i], name) == 0)
			return (int)i;
	return -1;
}

/* ---- Table ---- */

static uint32_t
mix(uint32_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 16777619u;	/* FNV-1a */
	return h;
}

/* Order-independent hash of the 4-tuple. */
static uint32_t
tuple_hash(const struct tm_seg *s)
{
	uint32_t a = mix(2166136261u, &s->src.a, sizeof(s->src.a));
	uint32_t b = mix(2166136261u, &s->dst.a, sizeof(s->dst.a));

	a = mix(a, &s->sport, 2);
	b = mix(b, &s->dport, 2);
	return (a ^ b) * 2654435761u;
}

static bool
addr_eq(const struct tm_addr *x, const struct tm_addr *y)
{
	return memcmp(&x->a, &y->a, sizeof(x->a)) == 0;
}

/* -1: not this connection; else the sending side's index. */
static int
conn_dir(const struct rp_conn *c, const struct tm_seg *s)
{
	if (c->s[0].port == s->sport && c->s[1].port == s->dport &&
	    addr_eq(&c->s[0].addr, &s->src) && addr_eq(&c->s[1].addr, &s->dst))
		return 0;
	if (c->s[1].port == s->sport && c->s[0].port == s->dport &&
	    addr_eq(&c->s[1].addr, &s->src) && addr_eq(&c->s[0].addr, &s->dst))
		return 1;
	return -1;
}

static void
lru_unlink(struct replay *r, struct rp_conn *c)
{
	if (c->lprev != NULL)
		c->lprev->lnext = c->lnext;
	else
		r->lru_head = c->lnext;
	if (c->lnext != NULL)
		c->lnext->lprev = c->lprev;
	else
		r->lru_tail = c->lprev;
	c->lprev = c->lnext = NULL;
}

static void
lru_front(struct replay *r, struct rp_conn *c)
{
	if (r->lru_head == c)
		return;
	if (c->lprev != NULL || c->lnext != NULL || r->lru_tail == c)
		lru_unlink(r, c);
	c->lnext = r->lru_head;
	if (r->lru_head != NULL)
		r->lru_head->lprev = c;
	r->lru_head = c;
	if (r->lru_tail == NULL)
		r->lru_tail = c;
}

/* A block of size from the pool (not zeroed), else from malloc. */
static void *
pool_get(struct pool *p, size_t size)
{
	void *b = p->head;

	if (b == NULL)
		return malloc(size);
	memcpy(&p->head, b, sizeof(void *));
	p->n--;
	return b;
}

static void
pool_put(struct pool *p, void *b)
{
	if (b == NULL)
		return;
	if (p->n == POOL_MAX) {
		free(b);
		return;
	}
	memcpy(b, &p->head, sizeof(void *));
	p->head = b;
	p->n++;
}

static void
pool_drain(struct pool *p)
{
	void *b;

	while ((b = p->head) != NULL) {
		memcpy(&p->head, b, sizeof(void *));
		free(b);
	}
	p->n = 0;
}

static void
tab_remove(struct replay *r, struct rp_conn *c)
{
	struct rp_conn **pp = &r->tab[c->hash & r->mask];

	while (*pp != NULL && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp == c)
		*pp = c->hnext;
	lru_unlink(r, c);
	r->st.open--;
	if (c->mdl != NULL)
		pool_put(&r->models, rpm_release(c->mdl));
	pool_put(&r->conns, c);
}

static int
tomb_dir(const struct rp_tomb *t, const struct tm_seg *s)
{
	if (t->port[0] == s->sport && t->port[1] == s->dport &&
	    addr_eq(&t->addr[0], &s->src) && addr_eq(&t->addr[1], &s->dst))
		return 0;
	if (t->port[1] == s->sport && t->port[0] == s->dport &&
	    addr_eq(&t->addr[1], &s->src) && addr_eq(&t->addr[0], &s->dst))
		return 1;
	return -1;
}

static void
tomb_remove(struct replay *r, struct rp_tomb *t)
{
	struct rp_tomb **pp = &r->ttab[t->hash & r->mask];

	while (*pp != NULL && *pp != t)
		pp = &(*pp)->hnext;
	if (*pp == t)
		*pp = t->hnext;
	if (t->lprev != NULL)
		t->lprev->lnext = t->lnext;
	else
		r->t_head = t->lnext;
	if (t->lnext != NULL)
		t->lnext->lprev = t->lprev;
	else
		r->t_tail = t->lprev;
	r->ntomb--;
	free(t);
}

/*
 * How many ended connections are remembered: RP_TOMB_PER_OPEN per connection
 * open at once (at least RP_TOMB_MIN, at most max_conns), so that memory
 * follows the connections open at once and not the length of the capture
 * (a busy capture ends thousands of connections a second, each in TIME_WAIT
 * for 60 s).
 */
static uint64_t
tomb_cap(const struct replay *r)
{
	uint64_t cap = r->st.open_peak * RP_TOMB_PER_OPEN;

	if (cap < RP_TOMB_MIN)
		cap = RP_TOMB_MIN;
	if (cap > r->o.max_conns)
		cap = r->o.max_conns;
	return cap;
}

/* Keep what TIME_WAIT questions need of c (no tomb when memory runs out). */
static void
tomb_add(struct replay *r, const struct rp_conn *c, uint64_t until, int8_t tw_side)
{
	struct rp_tomb *t;
	int i;

	while (r->ntomb >= tomb_cap(r) && r->t_tail != NULL) {
		/* The oldest goes first; counted when it may still be in TIME_WAIT. */
		if (r->t_tail->tw_side >= 0 && r->t_tail->until > r->now)
			r->st.tw_forgotten++;
		tomb_remove(r, r->t_tail);
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return;
	t->hash = c->hash;
	t->id = c->id;
	t->until = until;
	t->tw_side = tw_side;
	t->end = c->end;
	for (i = 0; i < 2; i++) {
		t->addr[i] = c->s[i].addr;
		t->port[i] = c->s[i].port;
		t->has_isn[i] = c->s[i].has_isn;
		t->snd_max[i] = c->s[i].snd_max;
		t->has_ts[i] = c->s[i].has_ts;
		t->tsval[i] = c->s[i].last_tsval;
	}
	t->hnext = r->ttab[t->hash & r->mask];
	r->ttab[t->hash & r->mask] = t;
	t->lnext = r->t_head;
	if (r->t_head != NULL)
		r->t_head->lprev = t;
	r->t_head = t;
	if (r->t_tail == NULL)
		r->t_tail = t;
	r->ntomb++;
}

/* ---- Words ---- */

const char *
rp_conn_state(const struct rp_conn *c)
{
	const struct rp_side *o = &c->s[0], *rs = &c->s[1];
	bool syn = o->nsyn > 0 && !c->partial, synack = rs->nsyn > 0;

	/*
	 * Zeek's conn_state, base/protocols/conn/main.zeek (documented values).
	 * A connection picked up in the middle has both endpoints "partial"
	 * there (inactive for conn_state) until each one's FIN or RST: closed
	 * both ways it is SF, by one side SH or SHR, reset by the responder
	 * RSTRH (RSTR once the originator closed), by the originator OTH (RSTO
	 * once the responder closed), else OTH.
	 */
	if (c->partial) {
		if (c->end == RP_END_RST && c->end_by == 1)
			return o->fin_sent ? "RSTR" : "RSTRH";
		if (c->end == RP_END_RST)
			return rs->fin_sent ? "RSTO" : "OTH";
		if (o->fin_sent && rs->fin_sent)
			return "SF";
		if (o->fin_sent)
			return "SH";
		if (rs->fin_sent)
			return "SHR";
		return "OTH";
	}
	if (c->end == RP_END_RST) {
		if (c->end_by == 0)
			return synack || c->partial ? "RSTO" : "RSTOS0";
		if (!c->established && syn && !synack)
			return "REJ";
		if (!syn && synack && !c->established)
			return "RSTRH";
		return "RSTR";
	}
	if (c->partial && !synack)
		return "OTH";
	if (!syn && synack) {
		if (rs->fin_sent)
			return "SHR";
		return "OTH";
	}
	if (syn && !synack)
		return o->fin_sent ? "SH" : "S0";
	if (o->fin_sent && rs->fin_sent)
		return "SF";
	if (o->fin_sent)
		return "S2";
	if (rs->fin_sent)
		return "S3";
	return "S1";
}

const char *
rp_capture_near(const struct rp_conn *c)
{
	uint64_t a, b;

	if (c->syn_t != 0 && c->synack_t != 0 && c->ack_t != 0) {
		a = c->synack_t - c->syn_t;	/* SYN -> SYN-ACK */
		b = c->ack_t - c->synack_t;	/* SYN-ACK -> ACK */
	} else if (c->s[0].has_gap && c->s[1].has_gap) {
		/*
		 * No handshake (picked up in the middle): each side's shortest
		 * wait from the other's data to its ACK of it.  Next to an
		 * endpoint, its ACKs follow the data it gets at once; the other
		 * endpoint's come a round trip after its data passed.
		 */
		a = c->s[1].ack_gap;
		b = c->s[0].ack_gap;
	} else {
		return "unknown";
	}
	/* Near the responder, SYN->SYN-ACK is only its own processing time. */
	if (a * 4 < b && b > 50000)
		return "responder";
	if (b * 4 < a && a > 50000)
		return "originator";
	return "unknown";
}

static void
secs(char *buf, size_t len, tm_time t)
{
	if (t == TM_TIME_INF)
		snprintf(buf, len, "unbounded");
	else
		snprintf(buf, len, "%.1f s", (double)t / 1e9);
}

void
rp_expected(const struct rp_conn *c, int i, const struct tm_profile *p, char *buf, size_t len)
{
	const struct rp_side *s = &c->s[i];
	char a[32], b[32];
	unsigned int k = s->nsyn;

	switch (s->st) {
	case TM_SYN_SENT:
		if (k > tm_syn_rtx_count(p)) {
			secs(a, sizeof(a), tm_syn_giveup(p));
			snprintf(buf, len, "connect() fails with ETIMEDOUT %s after the first SYN", a);
		} else {
			secs(a, sizeof(a), tm_syn_rtx_at(p, k) - (k > 1 ? tm_syn_rtx_at(p, k - 1) : 0));
			snprintf(buf, len, "SYN retransmission %u %s after the last (tcp_syn_retries %d)",
			    k, a, p->syn_retries);
		}
		return;
	case TM_SYN_RECV:
	case TM_NEW_SYN_RECV:
		if (k > (unsigned int)p->synack_retries) {
			secs(a, sizeof(a), tm_synack_giveup(p));
			snprintf(buf, len, "request dropped silently %s after the first SYN-ACK", a);
		} else {
			secs(a, sizeof(a), tm_synack_rtx_at(p, k) - (k > 1 ? tm_synack_rtx_at(p, k - 1) : 0));
			snprintf(buf, len, "SYN-ACK retransmission %u %s after the last (tcp_synack_retries %d)",
			    k, a, p->synack_retries);
		}
		return;
	case TM_LISTEN:
		snprintf(buf, len, "SYN-ACK (or RST if nothing listens)");
		return;
	case TM_ESTABLISHED:
		secs(a, sizeof(a), p->keepalive_time);
		snprintf(buf, len, "data or FIN; with SO_KEEPALIVE a probe after %s idle", a);
		return;
	case TM_CLOSE_WAIT:
		snprintf(buf, len, "close() by the application (no timer: CLOSE_WAIT lasts until then)");
		return;
	case TM_FIN_WAIT1:
	case TM_CLOSING:
	case TM_LAST_ACK:
		snprintf(buf, len, "ACK of its FIN; else FIN retransmitted with backoff (tcp_orphan_retries)");
		return;
	case TM_FIN_WAIT2:
		secs(a, sizeof(a), p->fin_timeout);
		snprintf(buf, len, "peer's FIN; an orphan gives up after tcp_fin_timeout (%s)", a);
		return;
	case TM_TIME_WAIT:
		secs(a, sizeof(a), tm_state_max_lifetime(p, TM_TIME_WAIT, NULL));
		secs(b, sizeof(b), c->last_t >= s->fin_t ? c->last_t - s->fin_t : 0);
		snprintf(buf, len, "TIME_WAIT ends %s after it began (%s seen)", a, b);
		return;
	default:
		snprintf(buf, len, "nothing (closed)");
		return;
	}
}

/* ---- Per-connection records ---- */

static void
set_state(struct rp_conn *c, int i, enum tm_state st, uint64_t t, uint64_t pkt)
{
	struct rp_side *s = &c->s[i];

	if (s->st == st)
		return;
	s->st = (uint8_t)st;
	if (s->ntl < RP_TL_MAX) {
		s->tl[s->ntl].t = t;
		s->tl[s->ntl].st = (uint8_t)st;
		s->tl[s->ntl].pkt = pkt;
		s->ntl++;
	} else {
		s->tl_more++;
	}
}

/* Zeek's history: once per letter per direction; c, t, w, g again at 10, 100, ... */
static void
hist(struct rp_conn *c, int dir, char letter)
{
	static const char rep[] = "ctwg";
	const char *r = strchr(rep, letter);
	char l = dir == 0 ? (char)(letter - 'a' + 'A') : letter;
	size_t n = strlen(c->history);

	if (r != NULL) {
		uint8_t *cnt = &c->hist_n[dir][r - rep];
		unsigned int k = ++*cnt > 250 ? 250 : *cnt;

		if (*cnt > 250)
			*cnt = 250;
		if (k != 1 && k != 10 && k != 100)
			return;
	} else if (memchr(c->history, l, n) != NULL) {
		return;
	}
	if (n < RP_HIST_MAX) {
		c->history[n] = l;
		c->history[n + 1] = '\0';
	}
}

static void
depart(struct replay *r, struct rp_conn *c, enum rp_dep d, uint64_t pkt, uint32_t *mask,
    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void
depart(struct replay *r, struct rp_conn *c, enum rp_dep d, uint64_t pkt, uint32_t *mask,
    const char *fmt, ...)
{
	va_list ap;

	*mask |= 1u << d;
	r->st.dep[d]++;
	if (r->o.on_pkt != NULL && pkt == r->cur_no && r->ncur < RP_DEPS_KEPT) {
		struct rp_departure *x = &r->cur[r->ncur++];

		x->id = (uint8_t)d;
		x->pkt = pkt;
		va_start(ap, fmt);
		vsnprintf(x->text, sizeof(x->text), fmt, ap);
		va_end(ap);
	}
	if (c->dep_seen & (1u << d)) {
		c->dep_more++;
		return;
	}
	c->dep_seen |= 1u << d;
	if (c->ndep >= RP_DEPS_KEPT) {
		c->dep_more++;
		return;
	}
	c->dep[c->ndep].id = (uint8_t)d;
	c->dep[c->ndep].pkt = pkt;
	va_start(ap, fmt);
	vsnprintf(c->dep[c->ndep].text, sizeof(c->dep[c->ndep].text), fmt, ap);
	va_end(ap);
	c->ndep++;
}

/* ---- Listener aggregates ---- */

static struct rp_listener *
listener(struct replay *r, const struct rp_side *s)
{
	uint32_t h = mix(mix(2166136261u, &s->addr.a, sizeof(s->addr.a)), &s->port, 2);
	unsigned int i, k;

	for (k = 0; k < RP_LISTENERS; k++) {
		struct rp_listener *l = &r->st.lis[(h + k) % RP_LISTENERS];

		i = (h + k) % RP_LISTENERS;
		(void)i;
		if (!l->used) {
			l->used = true;
			l->addr = s->addr;
			l->port = s->port;
			return l;
		}
		if (l->port == s->port && addr_eq(&l->addr, &s->addr))
			return l;
	}
	return NULL;
}

static void
listener_source(struct rp_listener *l, const struct tm_addr *a)
{
	static const struct in6_addr zero;
	uint32_t h = mix(2166136261u, &a->a, sizeof(a->a));
	unsigned int k;

	if (memcmp(&a->a, &zero, sizeof(zero)) == 0)
		return;
	for (k = 0; k < RP_SRCSET; k++) {
		struct in6_addr *e = &l->src[(h + k) % RP_SRCSET];

		if (memcmp(e, &a->a, sizeof(*e)) == 0)
			return;
		if (memcmp(e, &zero, sizeof(zero)) == 0) {
			if (l->sources + 1 >= RP_SRCSET * 3 / 4) {
				l->sources_more = true;
				return;
			}
			*e = a->a;
			l->sources++;
			return;
		}
	}
	l->sources_more = true;
}

/*
 * ISN predictability (RFC 6528): a listener's consecutive SYN-ACK ISNs.
 * Linux's secure_tcp_seq() hashes the 4-tuple, so ISNs of different client
 * ports are far apart; a constant step or steps below 2^16 are predictable.
 */
static void
isn_track(struct replay *r, const struct rp_side *s, tm_seq isn)
{
	struct rp_listener *l = listener(r, s);
	int64_t delta;

	if (l == NULL)
		return;
	if (l->isn_n > 0) {
		delta = (int32_t)(isn - l->isn_last);
		if (delta == l->isn_delta)
			l->isn_same_delta++;
		if (delta >= 0 && delta < 65536)
			l->isn_small++;
		l->isn_delta = delta;
	}
	l->isn_last = isn;
	l->isn_n++;
}

static void
example_of(char ex[3][96], uint8_t *n, uint64_t id, const struct tm_addr *a0, uint16_t p0,
    const struct tm_addr *a1, uint16_t p1, const char *what)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (*n >= 3)
		return;
	snprintf(ex[*n], 96, "#%" PRIu64 " %s:%u > %s:%u %s", id, tm_addr_str(a0, a, sizeof(a)), p0,
	    tm_addr_str(a1, b, sizeof(b)), p1, what);
	(*n)++;
}

static void
example(char ex[3][96], uint8_t *n, const struct rp_conn *c, const char *what)
{
	example_of(ex, n, c->id, &c->s[0].addr, c->s[0].port, &c->s[1].addr, c->s[1].port, what);
}

/* The connection ends (or is given up): counted and handed out once. */
static void
conn_end(struct replay *r, struct rp_conn *c, enum rp_end how)
{
	const char *cs;
	struct rp_listener *l;
	int si;

	if (c->done)
		return;
	c->done = true;
	c->end = (uint8_t)how;
	c->end_t = r->now;
	if (c->mdl != NULL) {
		struct rpm_deps md = { .n = 0 };
		uint32_t dummy = 0;
		unsigned int k;

		rpm_end(c->mdl, c, r->now, &md);
		for (k = 0; k < md.n; k++)
			depart(r, c, md.v[k].id, c->last_pkt, &dummy, "%s", md.v[k].text);
	}
	if (c->partial && c->model != RP_MODEL_OFF)
		r->st.model_picked_up++;
	if (c->model == RP_MODEL_FOLLOWED)
		r->st.model_followed++;
	else if (c->model == RP_MODEL_LOST)
		r->st.model_lost++;
	else
		r->st.model_off++;
	if (how == RP_END_OPEN || how == RP_END_TIMEOUT || how == RP_END_EVICTED) {
		/* One FIN only: the other end never finished (CLOSE_WAIT from the wire). */
		if (c->s[0].fin_sent != c->s[1].fin_sent && c->established) {
			int fs = c->s[0].fin_sent ? 0 : 1;
			uint64_t held = c->last_t - c->s[fs].fin_t;

			if (how != RP_END_EVICTED)
				c->end = RP_END_HALF_CLOSED;
			if (held + (r->now - c->last_t) >= r->o.half_close_min_ns) {
				r->st.half_closed++;
				if (r->now - c->s[fs].fin_t > r->st.half_closed_max_ns)
					r->st.half_closed_max_ns = r->now - c->s[fs].fin_t;
				example(r->st.ex_half, &r->st.nex_half, c,
				    fs == 0 ? "(responder in CLOSE_WAIT)" : "(originator in CLOSE_WAIT)");
			}
		}
	}
	cs = rp_conn_state(c);
	si = rp_state_index(cs);
	if (si >= 0)
		r->st.by_state[si]++;
	r->st.by_end[c->end]++;
	r->st.ended++;
	if (c->end == RP_END_RST && c->established && !c->s[c->end_by].fin_sent)
		r->st.rst_not_fin++;
	if (c->end == RP_END_RST)
		r->st.rst_conns++;
	if (!strcmp(rp_capture_near(c), "originator"))
		r->st.near[0]++;
	else if (!strcmp(rp_capture_near(c), "responder"))
		r->st.near[1]++;
	else
		r->st.near[2]++;
	if (!c->partial && c->s[0].nsyn > 0) {
		l = listener(r, &c->s[1]);
		if (l == NULL) {
			r->st.lis_more++;
		} else {
			l->syns++;
			if (c->s[1].nsyn == 0 && c->end != RP_END_RST)
				l->s0++;
			else if (c->s[1].nsyn == 0)
				l->rej++;
			else if (!c->established)
				l->sh++;
			else
				l->done++;
			if (c->synack_after_ack > 0) {
				l->synack_after_ack++;
				l->synack_after_ack_pkts += c->synack_after_ack;
			}
			if (c->s[0].nsyn > 1)
				l->syn_rtx++;
			if (c->s[0].nsyn > 1 && c->s[1].nsyn == 0 && c->end != RP_END_RST)
				l->s0_rtx++;
			listener_source(l, &c->s[0].addr);
		}
	}
	if (r->o.on_end != NULL)
		r->o.on_end(c, r->o.arg);
	/* What stays of it is a tombstone for TIME_WAIT questions. */
	if (c->end == RP_END_FIN)
		tomb_add(r, c, r->now + r->o.prof.timewait_len, c->closer);
	else
		tomb_add(r, c, r->now + TM_SEC(2), -1);
	tab_remove(r, c);
}

/* Expire idle connections and old tombstones (the LRU tails are the oldest). */
static void
expire(struct replay *r)
{
	while (r->t_tail != NULL && r->t_tail->until <= r->now)
		tomb_remove(r, r->t_tail);
	while (r->lru_tail != NULL && r->lru_tail->last_t + r->o.idle_ns <= r->now) {
		r->st.expired++;
		conn_end(r, r->lru_tail, RP_END_TIMEOUT);
	}
}

static struct rp_conn *
conn_new(struct replay *r, const struct tm_seg *s, uint32_t h, int orig_is_src, uint64_t no)
{
	struct rp_conn *c;
	int o = orig_is_src ? 0 : 1;

	if (r->st.open >= r->o.max_conns) {
		r->st.dropped++;	/* live connections are never evicted */
		return NULL;
	}
	c = pool_get(&r->conns, sizeof(*c));
	if (c == NULL) {
		r->st.dropped++;
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	c->id = ++r->next_id;
	c->hash = h;
	c->closer = -1;
	c->end_by = -1;
	c->s[o].addr = s->src;
	c->s[o].port = s->sport;
	c->s[1 - o].addr = s->dst;
	c->s[1 - o].port = s->dport;
	c->first_t = r->now;
	c->first_pkt = no;
	c->hnext = r->tab[h & r->mask];
	r->tab[h & r->mask] = c;
	r->st.open++;
	r->st.conns++;
	if (r->st.open > r->st.open_peak)
		r->st.open_peak = r->st.open;
	return c;
}

/* ---- The segment ---- */

static void
first_seq(struct rp_side *s, const struct tm_seg *g)
{
	if (!s->has_isn) {
		s->has_isn = true;
		s->isn = (g->flags & TM_SYN) ? g->seq : g->seq - 1;
		s->snd_max = (g->flags & TM_SYN) ? g->seq + 1 : g->seq;
		if (!(g->flags & TM_SYN))
			s->snd_max = g->seq;
	}
}

static void
on_rst(struct replay *r)
{
	r->st.rst_total++;
	if (r->now / TM_SEC(1) != r->st.rst_sec || r->st.rst_sec_n == 0) {
		r->st.rst_sec = r->now / TM_SEC(1);
		r->st.rst_sec_n = 0;
	}
	if (++r->st.rst_sec_n > r->st.rst_max_per_s)
		r->st.rst_max_per_s = r->st.rst_sec_n;
}

/*
 * The segment through the model (sim/replay_model.c), before the engine's
 * own bookkeeping of it: what is new in it is measured against what the
 * sending side had sent so far.
 */
static void
model_segment(struct replay *r, struct rp_conn *c, int d, const struct tm_seg *g, uint64_t no,
    struct rp_pkt *pk)
{
	const struct rp_side *s = &c->s[d];
	struct rpm_seen sn;
	struct rpm_deps md = { .n = 0 };
	uint8_t f = g->flags;
	tm_seq dend = g->seq + g->len;
	unsigned int k;

	memset(&sn, 0, sizeof(sn));
	sn.dir = d;
	sn.seg = g;
	sn.t = r->now;
	sn.pkt = no;
	sn.ctl_rtx = (f & TM_SYN) && s->nsyn > 0 && g->seq == s->isn;
	sn.keepalive = !(f & (TM_SYN | TM_FIN)) && s->has_isn && g->len <= 1 && s->sent_data &&
	    g->seq == s->snd_max - 1;
	if (g->len > 0 && !(f & (TM_SYN | TM_RST)) && s->has_isn && !sn.keepalive &&
	    TM_SEQ_GT(dend, s->snd_max)) {
		sn.new_data = true;
		sn.new_len = dend - (TM_SEQ_GT(g->seq, s->snd_max) ? g->seq : s->snd_max);
	}
	sn.new_fin = (f & TM_FIN) && !(f & TM_RST) && !s->fin_sent;
	sn.peer_rtx = sn.ctl_rtx || (!(f & (TM_SYN | TM_RST)) && s->has_isn && !sn.keepalive &&
	    (g->len > 0 || (f & TM_FIN)) && TM_SEQ_LT(g->seq, s->snd_max));
	rpm_segment(c->mdl, c, &sn, &md, pk);
	for (k = 0; k < md.n; k++)
		depart(r, c, md.v[k].id, no, &pk->dep, "%s", md.v[k].text);
}

void
rp_segment(struct replay *r, uint64_t ts_ns, uint64_t no, const struct tm_seg *g, bool badsum)
{
	struct rp_conn *c;
	struct rp_tomb *t = NULL;
	struct rp_side *s, *o;
	struct rp_pkt pk;
	uint32_t h = tuple_hash(g), seqlen;
	uint8_t f = g->flags;
	tm_seq end;
	int d;
	bool pure_ack;

	if (!r->have_base) {
		r->have_base = true;
		r->base = ts_ns;
		r->st.first_ts = ts_ns;
	}
	/* Captures can go back in time (merged files, clock steps): never backwards here. */
	if (ts_ns >= r->base && ts_ns - r->base > r->now)
		r->now = ts_ns - r->base;
	if (ts_ns > r->st.last_ts)
		r->st.last_ts = ts_ns;
	r->st.segments++;
	r->cur_no = no;
	r->ncur = 0;
	expire(r);

	for (c = r->tab[h & r->mask]; c != NULL; c = c->hnext)
		if (c->hash == h && conn_dir(c, g) >= 0)
			break;
	if (c == NULL) {
		for (t = r->ttab[h & r->mask]; t != NULL; t = t->hnext)
			if (t->hash == h && tomb_dir(t, g) >= 0)
				break;
	}
	if (t != NULL && (f & (TM_SYN | TM_ACK)) != TM_SYN) {
		/* A segment after the connection's end. */
		d = tomb_dir(t, g);
		r->st.tombstone_segments++;
		if ((f & TM_RST) && t->tw_side == 1 - d && r->now < t->until) {
			/* RFC 1337: a RST assassinating TIME_WAIT. */
			r->st.rst_in_tw++;
			example_of(r->st.ex_rst_tw, &r->st.nex_rst_tw, t->id, &t->addr[0], t->port[0],
			    &t->addr[1], t->port[1], t->tw_side == 0 ?
			    "(RST to the originator in TIME_WAIT)" : "(RST to the responder in TIME_WAIT)");
		}
		if (f & TM_RST)
			on_rst(r);
		return;
	}
	if (c == NULL) {
		int orig_src = 1;
		bool partial = false, flipped = false;

		if ((f & (TM_SYN | TM_ACK)) == (TM_SYN | TM_ACK))
			orig_src = 0;		/* its SYN was not captured */
		else if (!(f & TM_SYN)) {
			partial = true;
			/* Zeek's guess: the lower well-known port is the server. */
			if (g->sport < 1024 && g->dport >= 1024) {
				orig_src = 0;
				flipped = true;
			}
		}
		c = conn_new(r, g, h, orig_src, no);
		if (c == NULL)
			return;
		c->partial = partial;
		c->flipped = flipped;
		/*
		 * The model follows a connection from its SYN, or from the first
		 * segment of one picked up in the middle (sim/replay_model.c).
		 */
		if ((f & (TM_SYN | TM_ACK | TM_RST)) == TM_SYN || partial) {
			void *mem = pool_get(&r->models, rpm_size());

			c->mdl = mem != NULL ? rpm_new_in(mem, &r->o.prof, c) : NULL;
			if (c->mdl == NULL) {
				c->model = RP_MODEL_OFF;
				snprintf(c->model_note, sizeof(c->model_note), "not followed: out of memory");
			} else if (partial && rpm_pickup(c->mdl, c, conn_dir(c, g), g, r->now, no) < 0) {
				c->model = RP_MODEL_OFF;	/* rpm_pickup() said why */
				pool_put(&r->models, rpm_release(c->mdl));
				c->mdl = NULL;
			}
		} else {
			c->model = RP_MODEL_OFF;
			snprintf(c->model_note, sizeof(c->model_note), "%s",
			    "not followed: its SYN was not captured");
		}
		if (partial) {
			c->established = true;
			set_state(c, 0, TM_ESTABLISHED, r->now, no);
			set_state(c, 1, TM_ESTABLISHED, r->now, no);
			if (flipped)
				strcpy(c->history, "^");
		}
		if (t != NULL) {
			/* A SYN on a 4-tuple seen before: a new connection. */
			int od = tomb_dir(t, g);

			c->reused = true;
			c->an[RP_AN_REUSED_PORTS]++;
			r->st.an[RP_AN_REUSED_PORTS]++;
			if (t->end == RP_END_FIN && r->now < t->until && t->tw_side >= 0) {
				/* The old connection's active closer may still hold TIME_WAIT. */
				r->st.reuse_tw++;
				example(r->st.ex_reuse, &r->st.nex_reuse, c,
				    t->tw_side == od ? "(new SYN from the side in TIME_WAIT)" :
				    "(peer may still be in TIME_WAIT)");
				if (t->tw_side != od && od >= 0 && t->has_isn[od] &&
				    TM_SEQ_LEQ(g->seq, t->snd_max[od]) &&
				    !(g->has_ts && t->has_ts[od] && TM_SEQ_GT(g->tsval, t->tsval[od]))) {
					uint32_t dummy = 0;

					depart(r, c, RP_DEP_TW_LOWER_SEQ, no, &dummy,
					    "SYN seq %u not above the old connection's %u, no newer timestamp: "
					    "Linux's TIME_WAIT ACKs it (tcp_timewait_state_process)",
					    g->seq, t->snd_max[od]);
				}
			}
			tomb_remove(r, t);
		}
	}
	lru_front(r, c);
	d = conn_dir(c, g);
	s = &c->s[d];
	o = &c->s[1 - d];
	/* The model's segments are large and rarely filled: only their .has is cleared. */
	memset(&pk, 0, offsetof(struct rp_pkt, mresp));
	pk.mresp.has = pk.msyn.has = pk.minstead.has = false;
	pk.no = no;
	pk.t = r->now;
	pk.dir = d;
	pk.seg = g;
	pk.st_before[0] = c->s[0].st;
	pk.st_before[1] = c->s[1].st;
	c->last_t = r->now;
	c->last_pkt = no;
	s->packets++;
	if (badsum) {
		c->bad_checksum = true;
		hist(c, d, 'c');
	}
	seqlen = tm_seg_seqlen(g);
	end = g->seq + seqlen;
	pure_ack = (f & (TM_SYN | TM_FIN | TM_RST | TM_ACK)) == TM_ACK && g->len == 0;
	/* A connection picked up in the middle: its first segment starts the side's numbering. */
	if (c->partial && !(f & TM_SYN) && !s->has_isn) {
		first_seq(s, g);
		s->adv_t = r->now;
	}
	if (c->mdl != NULL && c->model == RP_MODEL_FOLLOWED)
		model_segment(r, c, d, g, no, &pk);

	/* ---- RST ---- */
	if (f & TM_RST) {
		hist(c, d, 'r');
		on_rst(r);
		if (c->closer < 0)
			c->closer = (int8_t)d;
		c->end_by = (int8_t)d;
		c->end_state = s->st;
		if ((s->st == TM_ESTABLISHED || s->st == TM_CLOSE_WAIT) && !s->fin_sent)
			depart(r, c, RP_DEP_RST_NOT_FIN, no, &pk.dep,
			    "%s reset in %s without a FIN: a Linux close() sends FIN unless data was "
			    "left unread or SO_LINGER is 0 (tcp_close)",
			    d == 0 ? "originator" : "responder", tm_state_name(s->st));
		set_state(c, d, TM_CLOSE, r->now, no);
		set_state(c, 1 - d, TM_CLOSE, r->now, no);
		pk.st_after[0] = c->s[0].st;
		pk.st_after[1] = c->s[1].st;
		pk.mst_after[0] = c->s[0].m.st;
		pk.mst_after[1] = c->s[1].m.st;
		pk.mobj_after[0] = c->s[0].m.obj;
		pk.mobj_after[1] = c->s[1].m.obj;
		pk.followed = c->model == RP_MODEL_FOLLOWED;
		pk.deps = r->cur;
		pk.ndeps = r->ncur;
		if (r->o.on_pkt != NULL)
			r->o.on_pkt(c, &pk, r->o.arg);
		conn_end(r, c, RP_END_RST);
		return;
	}

	/* ---- SYN and SYN-ACK ---- */
	if (f & TM_SYN) {
		bool synack = (f & TM_ACK) != 0;

		hist(c, d, synack ? 'h' : 's');
		if (s->nsyn > 0 && g->seq == s->isn) {
			uint64_t iv = r->now - s->syn_t;
			unsigned int k = s->nsyn;	/* this is retransmission k */
			tm_time want;

			c->an[RP_AN_RETRANSMISSION]++;
			r->st.an[RP_AN_RETRANSMISSION]++;
			pk.an |= 1u << RP_AN_RETRANSMISSION;
			if (s->nsyn_rtx < RP_RTX_MAX)
				s->syn_rtx[s->nsyn_rtx++] = iv;
			if (!synack) {
				want = tm_syn_rtx_at(&r->o.prof, k) - (k > 1 ? tm_syn_rtx_at(&r->o.prof, k - 1) : 0);
				/* A followed connection's retransmissions are the model's to judge. */
				if (k == 1 && c->model != RP_MODEL_FOLLOWED && (iv * 2 < want || iv > want + want / 2))
					depart(r, c, RP_DEP_SYN_RTO, no, &pk.dep,
					    "SYN retransmitted after %.2f s; %s retransmits after %.2f s",
					    (double)iv / 1e9, r->o.prof.name, (double)want / 1e9);
			} else {
				want = tm_synack_rtx_at(&r->o.prof, k) - (k > 1 ? tm_synack_rtx_at(&r->o.prof, k - 1) : 0);
				/* A SYN-ACK answering a retransmitted SYN is not a timer's. */
				if (k == 1 && c->model != RP_MODEL_FOLLOWED && o->syn_t <= s->syn_t &&
				    (iv * 2 < want || iv > want + want / 2))
					depart(r, c, RP_DEP_SYNACK_RTO, no, &pk.dep,
					    "SYN-ACK retransmitted after %.2f s; %s retransmits after %.2f s",
					    (double)iv / 1e9, r->o.prof.name, (double)want / 1e9);
				if (c->established && !c->partial && d == 1) {
					c->synack_after_ack++;
					r->st.synack_after_ack++;
					depart(r, c, RP_DEP_SYNACK_AFTER_ACK, no, &pk.dep,
					    "SYN-ACK retransmitted after the originator's third ACK: the responder "
					    "did not take the ACK (accept queue full, or the ACK was lost)");
				}
			}
		} else if (s->nsyn == 0) {
			s->isn = g->seq;
			s->has_isn = true;
			s->snd_max = g->seq + 1;
			s->adv_t = r->now;
		}
		s->nsyn++;
		s->syn_t = r->now;
		s->has_wscale = g->has_wscale;
		s->wscale = g->has_wscale ? (g->wscale > 14 ? 14 : g->wscale) : 0;
		s->has_ts = g->has_ts;
		if (g->has_ts)
			s->last_tsval = g->tsval;
		if (!synack) {
			if (c->syn_t == 0)
				c->syn_t = r->now + 1;
			if (s->st == TM_ST_NONE || s->st == TM_CLOSE)
				set_state(c, d, TM_SYN_SENT, r->now, no);
			if (o->st == TM_ST_NONE)
				set_state(c, 1 - d, TM_LISTEN, r->now, no);
		} else {
			c->synack_t = r->now + 1;
			if (s->nsyn == 1 && !c->partial)
				isn_track(r, s, g->seq);
			if (o->st == TM_ST_NONE)
				set_state(c, 1 - d, TM_SYN_SENT, r->now, no);
			if (s->st == TM_ST_NONE || s->st == TM_LISTEN)
				set_state(c, d, TM_SYN_RECV, r->now, no);
			else if (s->st == TM_SYN_SENT)	/* simultaneous open */
				set_state(c, d, TM_SYN_RECV, r->now, no);
		}
	} else if (!s->has_isn) {
		first_seq(s, g);
		s->adv_t = r->now;
	}

	/* ---- Sequence space: retransmissions, gaps, keep-alives ---- */
	if (!(f & (TM_SYN | TM_FIN)) && s->has_isn && g->len <= 1 && s->sent_data &&
	    g->seq == s->snd_max - 1) {
		/* A keep-alive probe: one byte (or none) below snd_nxt (tcp_write_wakeup). */
		c->an[RP_AN_KEEP_ALIVE]++;
		r->st.an[RP_AN_KEEP_ALIVE]++;
		pk.an |= 1u << RP_AN_KEEP_ALIVE;
		s->saw_keepalive = true;
	} else if (!(f & TM_SYN) && s->has_isn) {
		if (g->len > 0 || (f & TM_FIN)) {
			if (s->fin_sent && g->len > 0 && TM_SEQ_GEQ(g->seq, s->fin_seq + 1) && !(f & TM_FIN))
				depart(r, c, RP_DEP_DATA_AFTER_FIN, no, &pk.dep,
				    "%u bytes at seq %u after this endpoint's FIN (seq %u)",
				    g->len, g->seq, s->fin_seq);
			if (TM_SEQ_LT(g->seq, s->snd_max)) {
				enum rp_an a = (s->lost && r->now - s->adv_t < OOO_NS) ?
				    RP_AN_OUT_OF_ORDER : RP_AN_RETRANSMISSION;

				if (o->has_ack && o->last_wnd == 0 && g->len == 1 && g->seq == o->last_ack)
					a = RP_AN_ZERO_WINDOW_PROBE;
				c->an[a]++;
				r->st.an[a]++;
				pk.an |= 1u << a;
				if (a == RP_AN_RETRANSMISSION && g->len > 0)
					hist(c, d, 't');
				if (TM_SEQ_GT(end, s->snd_max)) {
					s->bytes += (uint32_t)(end - s->snd_max) - ((f & TM_FIN) ? 1 : 0);
					s->snd_max = end;
				}
			} else {
				if (TM_SEQ_GT(g->seq, s->snd_max) && s->sent_data) {
					c->an[RP_AN_LOST_SEGMENT]++;
					r->st.an[RP_AN_LOST_SEGMENT]++;
					pk.an |= 1u << RP_AN_LOST_SEGMENT;
					hist(c, d, 'g');
					s->lost = true;
				} else {
					s->lost = false;
				}
				s->bytes += g->len;
				s->snd_max = end;
				s->adv_t = r->now;
			}
			if (g->len > 0) {
				s->sent_data = true;
				hist(c, d, 'd');
			}
			/* Out of the receiver's window (RFC 9293 3.10.7.4), once scales are known. */
			if (g->len > 0 && o->has_ack && !c->partial && s->nsyn > 0 && o->nsyn > 0) {
				uint64_t wnd = (uint64_t)o->last_wnd << (s->has_wscale && o->has_wscale ? o->wscale : 0);
				tm_seq edge = o->last_ack + (uint32_t)(wnd > 0x7fffffff ? 0x7fffffff : wnd);

				if (TM_SEQ_GT(g->seq + g->len, edge) && wnd > 0)
					depart(r, c, RP_DEP_OUT_OF_WINDOW, no, &pk.dep,
					    "data up to seq %u beyond the receiver's window edge %u",
					    g->seq + g->len, edge);
			}
		}
	}

	/* ---- ACK: what it acknowledges of the other side ---- */
	if (f & TM_ACK) {
		if (o->has_isn && TM_SEQ_GT(g->ack, o->snd_max) && !(f & TM_SYN) && o->sent_data) {
			c->an[RP_AN_ACK_LOST_SEGMENT]++;
			r->st.an[RP_AN_ACK_LOST_SEGMENT]++;
			pk.an |= 1u << RP_AN_ACK_LOST_SEGMENT;
		}
		if (pure_ack && s->has_ack && !(pk.an & (1u << RP_AN_KEEP_ALIVE))) {
			enum rp_an a = RP_AN_MAX;

			if (o->saw_keepalive && g->ack == s->last_ack)
				a = RP_AN_KEEP_ALIVE_ACK;
			else if (g->ack == s->last_ack && g->wnd == s->last_wnd && g->seq == s->snd_max &&
			    g->wnd != 0)
				a = RP_AN_DUPLICATE_ACK;
			else if (g->ack == s->last_ack && g->wnd != s->last_wnd && g->wnd != 0)
				a = RP_AN_WINDOW_UPDATE;
			if (a != RP_AN_MAX) {
				c->an[a]++;
				r->st.an[a]++;
				pk.an |= 1u << a;
			}
		}
		if (g->wnd == 0) {
			c->an[RP_AN_ZERO_WINDOW]++;
			r->st.an[RP_AN_ZERO_WINDOW]++;
			pk.an |= 1u << RP_AN_ZERO_WINDOW;
			hist(c, d, 'w');
		}
		o->saw_keepalive = false;
		if (pure_ack)
			hist(c, d, 'a');
		/* The third ACK: the responder's SYN is acknowledged. */
		if (!(f & TM_SYN) && o->nsyn > 0 && o->has_isn && TM_SEQ_GEQ(g->ack, o->isn + 1)) {
			if (s->st == TM_SYN_SENT)
				set_state(c, d, TM_ESTABLISHED, r->now, no);
			if (o->st == TM_SYN_RECV) {
				set_state(c, 1 - d, TM_ESTABLISHED, r->now, no);
			}
			if (!c->established) {
				c->established = true;
				c->ack_t = r->now + 1;
				c->third_ack_side = (uint8_t)d;
			}
		}
		/* Our FIN acknowledged. */
		if (o->fin_sent && TM_SEQ_GEQ(g->ack, o->fin_seq + 1)) {
			if (o->st == TM_FIN_WAIT1)
				set_state(c, 1 - d, TM_FIN_WAIT2, r->now, no);
			else if (o->st == TM_CLOSING)
				set_state(c, 1 - d, TM_TIME_WAIT, r->now, no);
			else if (o->st == TM_LAST_ACK)
				set_state(c, 1 - d, TM_CLOSE, r->now, no);
		}
		/* How long this side took, seen from here, to acknowledge all the peer's new data. */
		if (o->sent_data && o->has_isn && TM_SEQ_GEQ(g->ack, o->snd_max) &&
		    (!s->has_ack || TM_SEQ_LT(s->last_ack, o->snd_max)) && !(f & TM_RST)) {
			uint64_t gap = r->now - o->adv_t;

			if (!s->has_gap || gap < s->ack_gap)
				s->ack_gap = gap;
			s->has_gap = true;
		}
		s->has_ack = true;
		s->last_ack = g->ack;
		s->last_wnd = g->wnd;
	}
	if (g->has_ts)
		s->last_tsval = g->tsval;

	/* ---- FIN ---- */
	if (f & TM_FIN) {
		tm_seq fs = g->seq + g->len;

		hist(c, d, 'f');
		if (s->fin_sent && fs == s->fin_seq) {
			if (s->nfin_rtx < RP_RTX_MAX)
				s->fin_rtx[s->nfin_rtx++] = r->now - s->fin_t;
		} else if (!s->fin_sent) {
			s->fin_sent = true;
			s->fin_seq = fs;
			if (c->closer < 0)
				c->closer = (int8_t)d;
			switch (s->st) {
			case TM_ESTABLISHED:
			case TM_SYN_RECV:
				set_state(c, d, TM_FIN_WAIT1, r->now, no);
				break;
			case TM_CLOSE_WAIT:
				set_state(c, d, TM_LAST_ACK, r->now, no);
				break;
			case TM_SYN_SENT:
				set_state(c, d, TM_CLOSE, r->now, no);
				break;
			default:
				break;
			}
			/* Receipt (tcp_fin()). */
			switch (o->st) {
			case TM_ESTABLISHED:
			case TM_SYN_RECV:
				set_state(c, 1 - d, TM_CLOSE_WAIT, r->now, no);
				break;
			case TM_FIN_WAIT1:
				set_state(c, 1 - d, TM_CLOSING, r->now, no);
				break;
			case TM_FIN_WAIT2:
				set_state(c, 1 - d, TM_TIME_WAIT, r->now, no);
				break;
			default:
				break;
			}
		}
		s->nfin++;
		s->fin_t = r->now;
	}
	pk.st_after[0] = c->s[0].st;
	pk.st_after[1] = c->s[1].st;
	pk.mst_after[0] = c->s[0].m.st;
	pk.mst_after[1] = c->s[1].m.st;
	pk.mobj_after[0] = c->s[0].m.obj;
	pk.mobj_after[1] = c->s[1].m.obj;
	pk.followed = c->model == RP_MODEL_FOLLOWED;
	pk.deps = r->cur;
	pk.ndeps = r->ncur;
	if (r->o.on_pkt != NULL)
		r->o.on_pkt(c, &pk, r->o.arg);

	/* Both FINs sent and the last one acknowledged: over. */
	if (c->s[0].fin_sent && c->s[1].fin_sent &&
	    (c->s[0].st == TM_CLOSE || c->s[1].st == TM_CLOSE) &&
	    (c->s[0].st == TM_TIME_WAIT || c->s[1].st == TM_TIME_WAIT ||
	    (c->s[0].st == TM_CLOSE && c->s[1].st == TM_CLOSE)))
		conn_end(r, c, RP_END_FIN);
}

/* ---- Life cycle ---- */

struct replay *
rp_new(const struct rp_opts *o, struct td_err *err)
{
	struct replay *r = calloc(1, sizeof(*r));
	uint32_t n = 1024;

	if (r == NULL) {
		td_errf(err, ENOMEM, "replay: out of memory");
		return NULL;
	}
	r->o = *o;
	if (r->o.max_conns == 0)
		r->o.max_conns = 100000;
	if (r->o.idle_ns == 0)
		r->o.idle_ns = TM_SEC(300);
	if (r->o.half_close_min_ns == 0)
		r->o.half_close_min_ns = TM_SEC(2);
	while (n < r->o.max_conns && n < (1u << 22))
		n <<= 1;
	r->tab = calloc(n, sizeof(*r->tab));
	r->ttab = calloc(n, sizeof(*r->ttab));
	if (r->tab == NULL || r->ttab == NULL) {
		free(r->tab);
		free(r->ttab);
		free(r);
		td_errf(err, ENOMEM, "replay: out of memory for %u connections", n);
		return NULL;
	}
	r->mask = n - 1;
	return r;
}

void
rp_finish(struct replay *r)
{
	/* Oldest first, so connections come out in the order they went quiet. */
	while (r->lru_tail != NULL)
		conn_end(r, r->lru_tail, RP_END_OPEN);
}

const struct rp_stats *
rp_stats(const struct replay *r)
{
	return &r->st;
}

const struct tm_profile *
rp_profile(const struct replay *r)
{
	return &r->o.prof;
}

void
rp_free(struct replay *r)
{
	struct rp_conn *c, *n;
	struct rp_tomb *t, *tn;

	if (r == NULL)
		return;
	for (c = r->lru_head; c != NULL; c = n) {
		n = c->lnext;
		rpm_free(c->mdl);
		free(c);
	}
	pool_drain(&r->conns);
	pool_drain(&r->models);
	for (t = r->t_head; t != NULL; t = tn) {
		tn = t->lnext;
		free(t);
	}
	free(r->tab);
	free(r->ttab);
	free(r);
}
