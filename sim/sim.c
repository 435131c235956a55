/* SPDX-License-Identifier: MIT */
/*
 * The deterministic simulator (sim/sim.h): a binary heap of events ordered
 * by (time, insertion counter), links with delay/jitter/loss/dup/reorder,
 * fault rules, scripted actions, and the event log.  Allocation happens in
 * tm_world_init() and when the heap or the log grows, never inside tm_step().
 */
#include "sim/sim.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"

#define CONNS_PER_HOST	128
#define REQS_PER_HOST	512
#define TWS_PER_HOST	128
#define FX_PER_STEP	1024

enum { Q_ARRIVE = 0, Q_TIMER, Q_ACTION };

/* ---- PRNG: splitmix64 seeding xoshiro256** ---- */

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t
rng_next(struct tm_world *w)
{
	uint64_t *s = w->rng, r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static double
rng_unit(struct tm_world *w)
{
	return (double)(rng_next(w) >> 11) * (1.0 / 9007199254740992.0);
}

static void
rng_seed(struct tm_world *w, uint64_t seed)
{
	uint64_t x = seed;
	int i;

	w->seed = seed;
	for (i = 0; i < 4; i++)
		w->rng[i] = splitmix(&x);
}

/* ---- Heap ---- */

static bool
q_less(const struct tm_qent *a, const struct tm_qent *b)
{
	return a->at < b->at || (a->at == b->at && a->order < b->order);
}

#define NO_SLOT	UINT32_MAX

/* Room for one more event: the heap and the slots grow by doubling.  0, or -1 (out of memory). */
static __attribute__((noinline)) int
q_grow(struct tm_world *w)
{
	struct tm_qent *nh;

	if (w->nheap == w->capheap) {
		size_t cap = w->capheap ? w->capheap * 2 : 256;

		if ((nh = realloc(w->heap, cap * sizeof(*nh))) == NULL)
			return -1;
		w->heap = nh;
		w->capheap = cap;
	}
	if (w->free_head == NO_SLOT) {
		uint32_t cap = w->nslots ? w->nslots * 2 : 256, k;
		struct tm_qev *ns = realloc(w->slots, cap * sizeof(*ns));
		uint32_t *nf;

		if (ns == NULL)
			return -1;
		w->slots = ns;
		if ((nf = realloc(w->free_next, cap * sizeof(*nf))) == NULL)
			return -1;
		w->free_next = nf;
		for (k = w->nslots; k < cap; k++)
			nf[k] = k + 1 < cap ? k + 1 : NO_SLOT;
		w->free_head = w->nslots;
		w->nslots = cap;
	}
	return 0;
}

/*
 * Queue an event at `at`: returns its payload slot, for the caller to fill
 * in place (only the fields its kind reads), or NULL when out of memory.
 * The pointer is good until the next q_new().  Inline: it is on every
 * event's path.
 */
static inline __attribute__((always_inline)) struct tm_qev *
q_new(struct tm_world *w, tm_time at)
{
	struct tm_qent ent;
	size_t i, parent;
	uint32_t slot;

	if ((w->nheap == w->capheap || w->free_head == NO_SLOT) && q_grow(w) < 0)
		return NULL;
	slot = w->free_head;
	w->free_head = w->free_next[slot];
	w->slots[slot].ev.at = at;
	ent.at = at;
	ent.order = w->order++;
	ent.slot = slot;
	i = w->nheap++;
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!q_less(&ent, &w->heap[parent]))
			break;
		w->heap[i] = w->heap[parent];
		i = parent;
	}
	w->heap[i] = ent;
	return &w->slots[slot];
}

/* Queue a copy of e. */
static int
q_push(struct tm_world *w, const struct tm_qev *e)
{
	struct tm_qev *q = q_new(w, e->ev.at);

	if (q == NULL)
		return -1;
	*q = *e;
	return 0;
}

/* Take the earliest event off the heap; its payload stays in the returned slot. */
static inline __attribute__((always_inline)) uint32_t
q_pop_slot(struct tm_world *w)
{
	struct tm_qent last;
	size_t i = 0, c, n;
	uint32_t slot = w->heap[0].slot;

	n = --w->nheap;
	if (n > 0) {
		last = w->heap[n];
		for (;;) {
			c = 2 * i + 1;
			if (c >= n)
				break;
			if (c + 1 < n && q_less(&w->heap[c + 1], &w->heap[c]))
				c++;
			if (!q_less(&w->heap[c], &last))
				break;
			w->heap[i] = w->heap[c];
			i = c;
		}
		w->heap[i] = last;
	}
	return slot;
}

static void
q_free(struct tm_world *w, uint32_t slot)
{
	w->free_next[slot] = w->free_head;
	w->free_head = slot;
}

/* ---- World ---- */

struct pool {
	struct tm_conn	conns[TM_MAX_HOSTS][CONNS_PER_HOST];
	struct tm_reqsk	reqs[TM_MAX_HOSTS][REQS_PER_HOST];
	struct tm_twsk	tws[TM_MAX_HOSTS][TWS_PER_HOST];
	struct tm_effect fx[FX_PER_STEP];
};

int
tm_world_init(struct tm_world *w, uint64_t seed, bool keep_log, struct td_err *err)
{
	struct pool *pool;

	memset(w, 0, sizeof(*w));
	if ((pool = calloc(1, sizeof(*pool))) == NULL)
		return td_errf(err, ENOMEM, "simulator: out of memory");
	w->pool = pool;
	w->fx = pool->fx;
	w->capfx = FX_PER_STEP;
	w->keep_log = keep_log;
	w->free_head = NO_SLOT;
	w->default_link.delay = TM_MS(10);
	w->default_link.set = true;
	rng_seed(w, seed);
	return 0;
}

void
tm_world_free(struct tm_world *w)
{
	free(w->pool);
	free(w->heap);
	free(w->aq);
	free(w->slots);
	free(w->free_next);
	free(w->log);
	free(w->acts);
	free(w->exps);
	memset(w, 0, sizeof(*w));
}

static void
host_reset(struct tm_world *w, unsigned int i)
{
	struct pool *pool = w->pool;
	uint64_t x = w->seed ^ (0x1000193ull * (i + 1));
	uint64_t k0 = splitmix(&x), k1 = splitmix(&x);
	struct tm_addr addr = w->hosts[i].addr;

	tm_host_init(&w->hosts[i], (uint16_t)i, &addr, k0, k1, pool->conns[i], CONNS_PER_HOST,
	    pool->reqs[i], REQS_PER_HOST, pool->tws[i], TWS_PER_HOST);
}

void
tm_world_reset(struct tm_world *w, uint64_t seed)
{
	unsigned int i;

	rng_seed(w, seed);
	while (w->nheap > 0)
		q_free(w, q_pop_slot(w));
	w->aq_head = w->naq = 0;
	w->order = 0;
	w->now = 0;
	w->nlog = 0;
	w->last_at = 0;
	w->errors = 0;
	w->nevents = 0;
	w->quiescent = false;
	w->nhandles = 0;
	w->nacts = 0;
	w->nqueued = 0;
	w->nisns = 0;
	w->isn_head = 0;
	memset(w->isn_bucket, 0, sizeof(w->isn_bucket));
	memset(w->sent, 0, sizeof(w->sent));
	for (i = 0; i < w->nfaults; i++)
		w->faults[i].matched = 0;
	for (i = 0; i < w->nhosts; i++)
		host_reset(w, i);
}

int
tm_world_add_host(struct tm_world *w, const char *name, const struct tm_addr *addr,
    const struct tm_profile *p, struct td_err *err)
{
	unsigned int i;

	if (w->nhosts == TM_MAX_HOSTS)
		return td_errf(err, EINVAL, "too many hosts (at most %d)", TM_MAX_HOSTS);
	if (strlen(name) >= TM_NAME_MAX)
		return td_errf(err, EINVAL, "host name '%s' too long", name);
	for (i = 0; i < w->nhosts; i++) {
		if (strcmp(w->host_name[i], name) == 0)
			return td_errf(err, EINVAL, "host '%s' declared twice", name);
		if (memcmp(&w->hosts[i].addr.a, &addr->a, sizeof(addr->a)) == 0)
			return td_errf(err, EINVAL, "host '%s' reuses the address of '%s'", name,
			    w->host_name[i]);
	}
	i = w->nhosts++;
	snprintf(w->host_name[i], TM_NAME_MAX, "%s", name);
	w->prof[i] = *p;
	w->hosts[i].addr = *addr;
	host_reset(w, i);
	return (int)i;
}

int
tm_world_host_find(const struct tm_world *w, const char *name)
{
	unsigned int i;

	for (i = 0; i < w->nhosts; i++)
		if (strcmp(w->host_name[i], name) == 0)
			return (int)i;
	return -1;
}

void
tm_world_link(struct tm_world *w, int a, int b, const struct tm_link *l, bool both)
{
	w->link[a][b] = *l;
	w->link[a][b].set = true;
	if (both) {
		w->link[b][a] = *l;
		w->link[b][a].set = true;
	}
}

int
tm_world_add_fault(struct tm_world *w, const struct tm_fault *f, struct td_err *err)
{
	if (w->nfaults == TM_MAX_FAULTS)
		return td_errf(err, EINVAL, "too many fault rules (at most %d)", TM_MAX_FAULTS);
	w->faults[w->nfaults] = *f;
	w->faults[w->nfaults].matched = 0;
	w->nfaults++;
	return 0;
}

int
tm_world_add_action(struct tm_world *w, const struct tm_action *a, struct td_err *err)
{
	struct tm_action *na;

	if (w->nacts == w->capacts) {
		size_t cap = w->capacts ? w->capacts * 2 : 32;

		if ((na = realloc(w->acts, cap * sizeof(*na))) == NULL)
			return td_errf(err, ENOMEM, "simulator: out of memory");
		w->acts = na;
		w->capacts = cap;
	}
	w->acts[w->nacts++] = *a;
	return 0;
}

int
tm_world_handle(struct tm_world *w, const char *name)
{
	unsigned int i;

	for (i = 0; i < w->nhandles; i++)
		if (strcmp(w->handle_name[i], name) == 0)
			return (int)i;
	if (w->nhandles == TM_MAX_HANDLES || strlen(name) >= TM_NAME_MAX)
		return -1;
	i = w->nhandles++;
	snprintf(w->handle_name[i], TM_NAME_MAX, "%s", name);
	w->handle_sock[i] = 0;
	w->handle_host[i] = 0;
	return (int)i;
}

int
tm_world_set_all(struct tm_world *w, const char *assignment, struct td_err *err)
{
	char msg[200];
	unsigned int i;

	for (i = 0; i < w->nhosts; i++)
		if (tm_knob_set(&w->prof[i], assignment, msg, sizeof(msg)) < 0)
			return td_errf(err, EINVAL, "%s", msg);
	return 0;
}

/* ---- Running ---- */

#define NISNS	(sizeof(((struct tm_world *)0)->isns) / sizeof(((struct tm_world *)0)->isns[0]))

#define NBUCKETS (sizeof(((struct tm_world *)0)->isn_bucket))
_Static_assert(NBUCKETS == 128, "isn_hash() returns 7 bits");

static unsigned int
isn_hash(const struct tm_addr *src, uint32_t ports, const struct tm_addr *dst)
{
	uint32_t x = ports, a, b;

	memcpy(&a, &src->a.s6_addr[12], sizeof(a));
	memcpy(&b, &dst->a.s6_addr[12], sizeof(b));
	x ^= a * 0x85ebca6bu ^ b * 0xc2b2ae35u;
	return (x * 0x9e3779b1u) >> 25;		/* 7 bits: NBUCKETS */
}

/* The ring index of the entry for src:sport -> dst:dport, or -1 if none. */
static int
isn_slot(const struct tm_world *w, const struct tm_addr *src, uint16_t sport,
    const struct tm_addr *dst, uint16_t dport)
{
	uint32_t ports = (uint32_t)sport << 16 | dport;
	unsigned int k;

	for (k = w->isn_bucket[isn_hash(src, ports, dst)]; k != 0; k = w->isns[k - 1].next)
		if (w->isns[k - 1].ports == ports &&
		    memcmp(&w->isns[k - 1].src.a, &src->a, sizeof(src->a)) == 0 &&
		    memcmp(&w->isns[k - 1].dst.a, &dst->a, sizeof(dst->a)) == 0)
			return (int)k - 1;
	return -1;
}

/* The ISN of the last SYN sent from src:sport to dst:dport; false if none. */
static bool
isn_find(const struct tm_world *w, const struct tm_addr *src, uint16_t sport,
    const struct tm_addr *dst, uint16_t dport, tm_seq *isn)
{
	int k = isn_slot(w, src, sport, dst, dport);

	if (k < 0)
		return false;
	*isn = w->isns[k].isn;
	return true;
}

/* Remember a SYN's sequence number as its sender's ISN on the tuple. */
static __attribute__((noinline)) void
isn_note(struct tm_world *w, const struct tm_seg *s)
{
	int k = isn_slot(w, &s->src, s->sport, &s->dst, s->dport);

	if (k < 0) {
		/* The table is small: when full, the oldest entry goes. */
		unsigned int b;
		uint8_t *p;

		if (w->nisns == NISNS) {
			k = (int)w->isn_head;
			w->isn_head = (w->isn_head + 1) % NISNS;
			/* Unchain the oldest entry, whose place this one takes. */
			b = isn_hash(&w->isns[k].src, w->isns[k].ports, &w->isns[k].dst);
			for (p = &w->isn_bucket[b]; *p != 0 && *p != k + 1; p = &w->isns[*p - 1].next)
				;
			if (*p != 0)
				*p = w->isns[k].next;
		} else {
			k = (int)((w->isn_head + w->nisns++) % NISNS);
		}
		w->isns[k].src = s->src;
		w->isns[k].dst = s->dst;
		w->isns[k].ports = (uint32_t)s->sport << 16 | s->dport;
		b = isn_hash(&s->src, w->isns[k].ports, &s->dst);
		w->isns[k].next = w->isn_bucket[b];
		w->isn_bucket[b] = (uint8_t)(k + 1);
	}
	w->isns[k].isn = s->seq;
}

/* The part of log_add() for a world that keeps its log. */
static __attribute__((noinline)) int
log_keep(struct tm_world *w, const struct tm_effect *fx, struct td_err *err)
{
	struct tm_effect *nl;

	if (w->nlog >= TM_MAX_LOG)
		return td_errf(err, EOVERFLOW, "simulator: the event log reached its bound of %d records at %.3f s; shorten the script or its 'run' time",
		    TM_MAX_LOG, (double)fx->at / 1e9);
	if (w->nlog == w->caplog) {
		size_t cap = w->caplog ? w->caplog * 2 : 1024;

		if ((nl = realloc(w->log, cap * sizeof(*nl))) == NULL)
			return td_errf(err, ENOMEM, "simulator: event log: out of memory");
		w->log = nl;
		w->caplog = cap;
	}
	w->log[w->nlog++] = *fx;
	return 0;
}

/* Note one record: what the world tracks of it, the callback, the log. */
static inline int
log_add(struct tm_world *w, const struct tm_effect *fx, struct td_err *err)
{
	if (fx->kind == TM_FX_SEG_OUT) {
		if (fx->u.seg.seg.flags & TM_SYN)
			isn_note(w, &fx->u.seg.seg);
		if (fx->host < w->nhosts) {
			w->last_out[fx->host] = fx->at;
			w->sent[fx->host] = true;
		}
	}
	if (fx->kind == TM_FX_ERROR)
		w->errors++;
	if (fx->kind != TM_FX_TIMER_SET && fx->kind != TM_FX_TIMER_CLR)
		w->last_at = fx->at;
	if (w->on_fx != NULL)
		w->on_fx(fx, w->on_fx_arg);
	return w->keep_log ? log_keep(w, fx, err) : 0;
}

static int
host_by_addr(const struct tm_world *w, const struct tm_addr *a)
{
	unsigned int i;

	for (i = 0; i < w->nhosts; i++)
		if (memcmp(&w->hosts[i].addr.a, &a->a, sizeof(a->a)) == 0)
			return (int)i;
	return -1;
}

static bool
fault_matches(struct tm_world *w, struct tm_fault *f, int from, int to, const struct tm_seg *s)
{
	if (f->from >= 0 && f->from != from)
		return false;
	if (f->to >= 0 && f->to != to)
		return false;
	if ((s->flags & f->flags_mask) != f->flags_val)
		return false;
	if (f->len == 0 && s->len != 0)
		return false;
	if (f->len == 1 && s->len == 0)
		return false;
	if (w->now < f->after || (f->before && w->now >= f->before))
		return false;
	if (f->pred != NULL && !f->pred(s, f->arg))
		return false;
	f->matched++;
	return f->nth == 0 || f->matched == f->nth;
}

static int
drop_seg(struct tm_world *w, int from, int to, const struct tm_seg *s, const char *why,
    struct td_err *err)
{
	struct tm_effect fx;

	memset(&fx, 0, sizeof(fx));
	fx.at = w->now;
	fx.host = (uint16_t)(from < 0 ? 0xffff : from);
	fx.kind = TM_FX_SEG_DROP;
	fx.reason = why;
	fx.u.seg.seg = *s;
	fx.u.seg.to_host = (uint16_t)(to < 0 ? 0xffff : to);
	return log_add(w, &fx, err);
}

/* Put a segment on the link from -> its destination, host to (-1: none). */
static int
route(struct tm_world *w, int from, int to, const struct tm_seg *s, struct td_err *err)
{
	const struct tm_link *l;
	struct tm_qev *e;
	uint32_t first;
	tm_time extra = 0, dup_delay = 0;
	bool dup = false;
	const char *drop_why = NULL, *delay_why = NULL, *dup_why = "duplicated by the link";
	unsigned int i;

	if (to < 0)
		return drop_seg(w, from, to, s, "no host at the destination address", err);
	l = (from >= 0 && w->link[from][to].set) ? &w->link[from][to] :
	    (from < 0 && w->inject_link[to].set) ? &w->inject_link[to] : &w->default_link;
	/* Every rule sees every segment (its nth counts them all); then the actions apply. */
	for (i = 0; i < w->nfaults; i++) {
		struct tm_fault *f = &w->faults[i];

		if (!fault_matches(w, f, from, to, s))
			continue;
		switch (f->action) {
		case TM_FA_DROP:
			if (drop_why == NULL)
				drop_why = f->desc;
			break;
		case TM_FA_DELAY:
			extra += f->delay;
			delay_why = f->desc;
			break;
		case TM_FA_DUP:
			dup = true;
			dup_delay = f->delay;
			dup_why = f->desc;
			break;
		}
	}
	if (drop_why != NULL)
		return drop_seg(w, from, to, s, drop_why, err);
	if (l->loss > 0 && rng_unit(w) < l->loss)
		return drop_seg(w, from, to, s, "link loss", err);
	if (l->dup > 0 && rng_unit(w) < l->dup)
		dup = true;
	if (l->reorder > 0 && rng_unit(w) < l->reorder)
		extra += l->delay ? l->delay : TM_MS(1);
	/* Only the fields an arrival uses are set (this is the hot path). */
	extra += w->now + l->delay;
	if (l->jitter)
		extra += (tm_time)(rng_unit(w) * (double)l->jitter);
	if ((e = q_new(w, extra)) == NULL)
		return td_errf(err, ENOMEM, "simulator: out of memory");
	e->kind = Q_ARRIVE;
	e->host = (uint16_t)to;
	e->why = delay_why;
	e->ev.kind = TM_EV_SEG;
	e->ev.u.seg = *s;
	e->ev.u.seg.payload = NULL;
	if (dup) {
		first = (uint32_t)(e - w->slots);
		if ((e = q_new(w, extra + dup_delay)) == NULL)
			return td_errf(err, ENOMEM, "simulator: out of memory");
		*e = w->slots[first];
		e->ev.at = extra + dup_delay;
		e->why = dup_why;
	}
	return 0;
}

static void
bind_results(struct tm_world *w, const struct tm_action *a, const struct tm_fxbuf *fb)
{
	size_t i;

	if (a->bind_ref < 0)
		return;
	for (i = 0; i < fb->n; i++) {
		const struct tm_effect *fx = &fb->v[i];

		if (fx->kind != TM_FX_APP || fx->u.app.call != a->app.call)
			continue;
		if ((a->app.call == TM_CALL_CONNECT && fx->u.app.err == EINPROGRESS) ||
		    (a->app.call != TM_CALL_CONNECT && fx->u.app.err == 0 && fx->u.app.ret > 0)) {
			w->handle_sock[a->bind_ref] = (uint32_t)fx->u.app.ret;
			w->handle_host[a->bind_ref] = a->host;
			return;
		}
	}
}

static int
after_step(struct tm_world *w, unsigned int host, struct tm_fxbuf *fb, struct td_err *err)
{
	struct tm_qev *e;
	size_t i;
	int to = -1;

	if (fb->noted)	/* what log_add() does with the records left out */
		w->last_at = w->now;
	for (i = 0; i < fb->n; i++) {
		struct tm_effect *fx = &fb->v[i];

		if (fx->kind == TM_FX_SEG_OUT) {
			to = host_by_addr(w, &fx->u.seg.seg.dst);
			fx->u.seg.to_host = (uint16_t)(to < 0 ? 0xffff : to);
		}
		if (log_add(w, fx, err) < 0)
			return -1;
		if (fx->kind == TM_FX_SEG_OUT && route(w, (int)host, to, &fx->u.seg.seg, err) < 0)
			return -1;
		if (fx->kind == TM_FX_TIMER_SET) {
			if ((e = q_new(w, fx->u.tmr.expires)) == NULL)
				return td_errf(err, ENOMEM, "simulator: out of memory");
			e->kind = Q_TIMER;
			e->host = (uint16_t)host;
			e->ev.kind = TM_EV_TIMER;
			e->ev.u.tmr.sock = fx->sock;
			e->ev.u.tmr.obj = (enum tm_obj)fx->obj;
			e->ev.u.tmr.timer = (enum tm_timer)fx->u.tmr.timer;
		}
	}
	if (fb->lost) {
		struct tm_effect fx;

		memset(&fx, 0, sizeof(fx));
		fx.at = w->now;
		fx.host = (uint16_t)host;
		fx.kind = TM_FX_ERROR;
		fx.reason = "effect buffer overflow: records lost";
		return log_add(w, &fx, err);
	}
	return 0;
}

/*
 * One step of host on ev.  slot: the queue slot ev lies in, freed once
 * tm_step() has read it (before anything is queued), or NO_SLOT.
 */
static int
step(struct tm_world *w, unsigned int host, const struct tm_event *ev, uint32_t slot,
    const struct tm_action *a, struct td_err *err)
{
	/* Quiet: records nobody logs or reads (state, counter, timer cleared) are not built. */
	struct tm_fxbuf fb = { .v = w->fx, .n = 0, .cap = w->capfx, .lost = 0,
	    .quiet = w->on_fx == NULL && !w->keep_log };

	tm_step(&w->prof[host], &w->hosts[host], ev, &fb);
	if (slot != NO_SLOT)
		q_free(w, slot);
	if (a != NULL)
		bind_results(w, a, &fb);
	return after_step(w, host, &fb, err);
}

static int
inject(struct tm_world *w, const struct tm_seg *s0, bool abs, struct td_err *err)
{
	struct tm_effect fx;
	struct tm_seg rel = *s0;
	const struct tm_seg *s = &rel;
	int to = host_by_addr(w, &s->dst);
	tm_seq isn;

	/*
	 * As packetdrill writes them: a non-SYN's seq counts from the ISN of the
	 * last SYN injected on the tuple, its ack from the ISN of the last SYN
	 * the host sent on it; absolute when there is none, or with abs.
	 */
	if (!abs && !(rel.flags & TM_SYN) &&
	    isn_find(w, &rel.src, rel.sport, &rel.dst, rel.dport, &isn))
		rel.seq += isn;
	if (!abs && (rel.flags & TM_ACK) &&
	    isn_find(w, &rel.dst, rel.dport, &rel.src, rel.sport, &isn))
		rel.ack += isn;

	/* A segment from outside the world, logged as sent by host 0xffff. */
	memset(&fx, 0, sizeof(fx));
	fx.at = w->now;
	fx.host = 0xffff;
	fx.kind = TM_FX_SEG_OUT;
	fx.reason = "injected by the script";
	fx.u.seg.seg = *s;
	fx.u.seg.to_host = (uint16_t)(to < 0 ? 0xffff : to);
	if (log_add(w, &fx, err) < 0)
		return -1;
	return route(w, -1, to, s, err);
}

static int
do_action(struct tm_world *w, const struct tm_action *a, struct td_err *err)
{
	struct tm_event ev;
	struct tm_seg s;
	uint32_t i;

	switch (a->kind) {
	case TM_ACT_APP:
		/* Only the call's part: tm_step() reads no other member of an app event. */
		ev.at = w->now;
		ev.kind = TM_EV_APP;
		ev.u.app = a->app;
		if (a->sock_ref >= 0)
			ev.u.app.sock = w->handle_sock[a->sock_ref];
		return step(w, a->host, &ev, NO_SLOT, a, err);
	case TM_ACT_INJECT:
		return inject(w, &a->seg, a->abs, err);
	case TM_ACT_FLOOD:
		for (i = 0; i < a->count; i++) {
			s = a->seg;
			/* Spoofed sources: 198.19.x.y, random port and ISN, no host answers. */
			memset(&s.src.a, 0, sizeof(s.src.a));
			s.src.family = 2;
			s.src.a.s6_addr[10] = 0xff;
			s.src.a.s6_addr[11] = 0xff;
			s.src.a.s6_addr[12] = 198;
			s.src.a.s6_addr[13] = 19;
			s.src.a.s6_addr[14] = (uint8_t)(i >> 8);
			s.src.a.s6_addr[15] = (uint8_t)(i & 0xff);
			s.sport = (uint16_t)(1024 + rng_next(w) % 60000);
			s.seq = (tm_seq)rng_next(w);
			s.flags = TM_SYN;
			s.has_mss = true;
			s.mss = 1460;
			s.wnd = 64240;
			if (inject(w, &s, true, err) < 0)
				return -1;
		}
		return 0;
	}
	return 0;
}

static int
aq_cmp(const void *a, const void *b)
{
	return q_less(a, b) ? -1 : q_less(b, a) ? 1 : 0;
}

/*
 * Queue the actions added since the last run: each gets the next insertion
 * counter, as a push onto the heap would give it, and the actions' queue
 * stays sorted by (time, counter).
 */
static int
aq_add(struct tm_world *w)
{
	size_t i, n = w->naq - w->aq_head, add = w->nacts - w->nqueued;
	bool sorted = true;

	if (add == 0)
		return 0;
	if (w->aq_head > 0) {
		memmove(w->aq, w->aq + w->aq_head, n * sizeof(*w->aq));
		w->aq_head = 0;
		w->naq = n;
	}
	if (n + add > w->capaq) {
		size_t cap = w->capaq ? w->capaq : 32;
		struct tm_qent *na;

		while (cap < n + add)
			cap *= 2;
		if ((na = realloc(w->aq, cap * sizeof(*na))) == NULL)
			return -1;
		w->aq = na;
		w->capaq = cap;
	}
	for (i = w->nqueued; i < w->nacts; i++) {
		struct tm_qent *q = &w->aq[w->naq++];

		/* "after": first its reference time, where its own time is found. */
		q->at = w->acts[i].after && !w->acts[i].resolved ? w->acts[i].after_ref :
		    w->acts[i].at;
		q->order = w->order++;
		q->slot = (uint32_t)i;
		if (w->naq > 1 && q_less(q, q - 1))
			sorted = false;
	}
	w->nqueued = w->nacts;
	if (!sorted)	/* the counters are unique: any sort gives the one order */
		qsort(w->aq, w->naq, sizeof(*w->aq), aq_cmp);
	return 0;
}

/* Action i is due now: do it, or for an "after" action find its time and queue it. */
static int
action(struct tm_world *w, size_t i, struct td_err *err)
{
	struct tm_action *a = &w->acts[i];
	struct tm_qev e;
	int to;

	if (!a->after || a->resolved)
		return do_action(w, a, err);
	to = host_by_addr(w, &a->seg.dst);
	memset(&e, 0, sizeof(e));
	e.kind = Q_ACTION;
	e.idx = (uint32_t)i;
	e.host = a->host;
	e.ev.at = w->now;
	if (!a->ref_seen) {
		/* Once more at the end of this instant: a segment sent at ref counts. */
		a->ref_seen = true;
		if (q_push(w, &e) < 0)
			return td_errf(err, ENOMEM, "simulator: out of memory");
		return 0;
	}

	/* D after the host's last segment by now, or now if that passed. */
	a->at = to >= 0 && w->sent[to] && w->last_out[to] + a->after_d > w->now ?
	    w->last_out[to] + a->after_d : w->now;
	if (to < 0 || !w->sent[to])
		a->at = w->now + a->after_d;
	a->resolved = true;
	e.ev.at = a->at;
	if (q_push(w, &e) < 0)
		return td_errf(err, ENOMEM, "simulator: out of memory");
	return 0;
}

int
tm_world_run(struct tm_world *w, tm_time until, struct td_err *err)
{
	struct tm_effect fx;
	size_t i;

	if (w->until_set)
		until = w->until;
	if (aq_add(w) < 0)
		return td_errf(err, ENOMEM, "simulator: out of memory");
	w->quiescent = false;
	while (w->nheap > 0 || w->aq_head < w->naq) {
		const struct tm_qev *q;
		const struct tm_qent *next;
		uint32_t slot;
		uint16_t host;
		bool act;

		/* The earlier of the heap's top and the next action. */
		act = w->aq_head < w->naq &&
		    (w->nheap == 0 || q_less(&w->aq[w->aq_head], &w->heap[0]));
		next = act ? &w->aq[w->aq_head] : &w->heap[0];
		if (next->at > until)
			return 0;
		if (++w->nevents > TM_MAX_EVENTS)
			return td_errf(err, EOVERFLOW, "simulator: more than %llu events by %.3f s of simulated time (the bound on CPU and memory); shorten the script or its 'run' time",
			    (unsigned long long)TM_MAX_EVENTS, (double)next->at / 1e9);
		if (w->nheap + (w->naq - w->aq_head) > TM_MAX_QUEUED)
			return td_errf(err, EOVERFLOW, "simulator: more than %d events waiting at once at %.3f s (the bound on memory); send less at a time",
			    TM_MAX_QUEUED, (double)next->at / 1e9);
		if (act) {
			w->now = next->at;
			i = next->slot;
			w->aq_head++;
			if (w->aq_head == w->naq)
				w->aq_head = w->naq = 0;
			if (action(w, i, err) < 0)
				return -1;
			continue;
		}
		slot = q_pop_slot(w);
		q = &w->slots[slot];
		w->now = q->ev.at;
		host = q->host;
		/*
		 * An arrival or a timer is stepped from its slot, which step() frees
		 * once tm_step() has read it: nothing is queued (and the slots do
		 * not move) until then.
		 */
		switch (q->kind) {
		case Q_ARRIVE:
			if (w->on_fx == NULL && !w->keep_log) {
				/* What log_add() does with a TM_FX_SEG_IN nobody reads. */
				w->last_at = w->now;
			} else {
				fx.at = w->now;
				fx.host = host;
				fx.kind = TM_FX_SEG_IN;
				fx.obj = TM_OBJ_FULL;
				fx.sock = 0;
				fx.reason = q->why;
				fx.u.seg.seg = q->ev.u.seg;
				fx.u.seg.rtx = false;
				fx.u.seg.to_host = host;
				if (log_add(w, &fx, err) < 0) {
					q_free(w, slot);
					return -1;
				}
			}
			if (step(w, host, &q->ev, slot, NULL, err) < 0)
				return -1;
			break;
		case Q_TIMER:
			/* Most timer events find their timer stopped or moved: no step, no effects. */
			if (!tm_timer_due(&w->hosts[host], &q->ev))
				q_free(w, slot);
			else if (step(w, host, &q->ev, slot, NULL, err) < 0)
				return -1;
			break;
		case Q_ACTION:
			i = q->idx;
			q_free(w, slot);
			if (action(w, i, err) < 0)
				return -1;
			break;
		default:
			q_free(w, slot);
			break;
		}
	}
	w->quiescent = true;
	return 0;
}
