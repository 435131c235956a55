/* SPDX-License-Identifier: MIT */
/*
 * The host's objects: pools of full sockets (listeners included), request
 * sockets and timewait sockets, given by the caller (tm_host_init()) so that
 * tm_step() never allocates, and the lookups tcp_v4_rcv() does through the
 * established, timewait and listening hash tables (inet_hashtables.c),
 * here linear scans up to each pool's high-water mark.
 */
#include "tcp/step_int.h"

#include <string.h>

/* ---- Pools ---- */

static uint32_t
new_id(struct tm_host *h)
{
	if (h->next_id == 0)
		h->next_id = 1;
	return h->next_id++;
}

struct tm_conn *
tm_host_conn(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	if (id == 0)
		return NULL;
	for (i = 0; i < h->hw_conns; i++)
		if (h->conns[i].id == id)
			return &h->conns[i];
	return NULL;
}

struct tm_reqsk *
tm_host_req(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	if (id == 0)
		return NULL;
	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id == id)
			return &h->reqs[i];
	return NULL;
}

struct tm_twsk *
tm_host_tw(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	if (id == 0)
		return NULL;
	for (i = 0; i < h->hw_tws; i++)
		if (h->tws[i].id == id)
			return &h->tws[i];
	return NULL;
}

struct tm_conn *
tmi_conn_alloc(struct tm_host *h, uint32_t id)
{
	uint32_t i;

	for (i = 0; i < h->nconns; i++)
		if (h->conns[i].id == 0) {
			if (i >= h->hw_conns)
				h->hw_conns = i + 1;
			memset(&h->conns[i], 0, sizeof(h->conns[i]));
			h->conns[i].id = id ? id : new_id(h);
			return &h->conns[i];
		}
	return NULL;
}

void
tmi_conn_free(struct tm_conn *k)
{
	k->id = 0;
}

bool
tmi_addr_eq(const struct tm_addr *a, const struct tm_addr *b)
{
	return memcmp(&a->a, &b->a, sizeof(a->a)) == 0;
}

static bool
addr_any(const struct tm_addr *a)
{
	static const struct in6_addr any;

	return memcmp(&a->a, &any, sizeof(any)) == 0;
}

void
tm_host_init(struct tm_host *h, uint16_t index, const struct tm_addr *addr, uint64_t key0,
    uint64_t key1, struct tm_conn *conns, uint32_t nconns, struct tm_reqsk *reqs,
    uint32_t nreqs, struct tm_twsk *tws, uint32_t ntws)
{
	memset(h, 0, sizeof(*h));
	h->index = index;
	h->addr = *addr;
	h->key[0] = key0;
	h->key[1] = key1;
	h->conns = conns;
	h->nconns = nconns;
	h->reqs = reqs;
	h->nreqs = nreqs;
	h->tws = tws;
	h->ntws = ntws;
	h->next_id = 1;
	h->next_port = 40000;
	memset(conns, 0, sizeof(*conns) * nconns);
	memset(reqs, 0, sizeof(*reqs) * nreqs);
	memset(tws, 0, sizeof(*tws) * ntws);
}

tm_time
tm_host_next_deadline(const struct tm_host *h)
{
	tm_time t = TM_TIME_INF;
	uint32_t i;
	int j;

	for (i = 0; i < h->hw_conns; i++) {
		if (h->conns[i].id == 0)
			continue;
		for (j = 0; j < TM_T_MAX; j++)
			if (h->conns[i].deadline[j] && h->conns[i].deadline[j] < t)
				t = h->conns[i].deadline[j];
	}
	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id && h->reqs[i].deadline && h->reqs[i].deadline < t)
			t = h->reqs[i].deadline;
	for (i = 0; i < h->hw_tws; i++)
		if (h->tws[i].id && h->tws[i].deadline && h->tws[i].deadline < t)
			t = h->tws[i].deadline;
	return t;
}

unsigned int
tm_host_live(const struct tm_host *h)
{
	unsigned int n = 0;
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++)
		if (h->conns[i].id && h->conns[i].state != TM_CLOSE)
			n++;
	for (i = 0; i < h->hw_reqs; i++)
		if (h->reqs[i].id)
			n++;
	for (i = 0; i < h->hw_tws; i++)
		if (h->tws[i].id)
			n++;
	return n;
}

struct tm_reqsk *
tmi_req_alloc(struct tm_host *h)
{
	uint32_t i;

	for (i = 0; i < h->nreqs; i++)
		if (h->reqs[i].id == 0) {
			if (i >= h->hw_reqs)
				h->hw_reqs = i + 1;
			memset(&h->reqs[i], 0, sizeof(h->reqs[i]));
			h->reqs[i].id = new_id(h);
			return &h->reqs[i];
		}
	return NULL;
}

struct tm_twsk *
tmi_tw_alloc(struct ctx *c, uint32_t id)
{
	struct tm_host *h = c->h;
	uint32_t i;

	if ((int)h->ntw_live >= c->p->max_tw_buckets)
		return NULL;
	for (i = 0; i < h->ntws; i++)
		if (h->tws[i].id == 0) {
			if (i >= h->hw_tws)
				h->hw_tws = i + 1;
			memset(&h->tws[i], 0, sizeof(h->tws[i]));
			h->tws[i].id = id;
			h->ntw_live++;
			return &h->tws[i];
		}
	return NULL;
}

void
tmi_tw_free(struct ctx *c, struct tm_twsk *tw)
{
	tw->id = 0;
	c->h->ntw_live--;
}

/* ---- Lookups ---- */

struct tm_conn *
tmi_find_conn(struct tm_host *h, const struct tm_seg *s)
{
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (k->id && k->state != TM_LISTEN && k->state != TM_CLOSE && k->lport == s->dport &&
		    k->rport == s->sport && tmi_addr_eq(&k->raddr, &s->src))
			return k;
	}
	return NULL;
}

struct tm_twsk *
tmi_find_tw(struct tm_host *h, const struct tm_addr *raddr, uint16_t lport, uint16_t rport)
{
	uint32_t i;

	for (i = 0; i < h->hw_tws; i++) {
		struct tm_twsk *tw = &h->tws[i];

		if (tw->id && tw->lport == lport && tw->rport == rport && tmi_addr_eq(&tw->raddr, raddr))
			return tw;
	}
	return NULL;
}

struct tm_reqsk *
tmi_find_req(struct tm_host *h, const struct tm_seg *s)
{
	uint32_t i;

	for (i = 0; i < h->hw_reqs; i++) {
		struct tm_reqsk *r = &h->reqs[i];

		if (r->id && r->lport == s->dport && r->rport == s->sport && tmi_addr_eq(&r->raddr, &s->src))
			return r;
	}
	return NULL;
}

struct tm_conn *
tmi_find_listener(struct tm_host *h, const struct tm_addr *a, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < h->hw_conns; i++) {
		struct tm_conn *k = &h->conns[i];

		if (k->id && k->state == TM_LISTEN && k->lport == port &&
		    (addr_any(&k->laddr) || tmi_addr_eq(&k->laddr, a)))
			return k;
	}
	return NULL;
}
