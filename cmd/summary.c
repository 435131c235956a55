/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor summary [--top N]`: counts per state (IPv4/IPv6), a queue
 * view per listener (accept queue against backlog, request sockets against
 * backlog+1, the listener's own drops), the top local ports and top peers
 * per state, and the key counters.
 *
 * One pass over the socket stream.  Memory does not grow with the number
 * of sockets: per state at most one port table (65536 counters, allocated
 * when the state is first seen) and a fixed set of peer counters (the
 * Space-Saving algorithm: exact while a state has at most PEER_SLOTS
 * distinct peers, an upper bound flagged "approximate" beyond); at most
 * LST_MAX listeners in a fixed hash table (the rest are counted, with how
 * many of them had a full accept queue), and request sockets are counted
 * into their listener as they come: the kernel dumps the listening hash
 * before the established hash that holds request sockets
 * (net/ipv4/inet_diag.c, inet_diag_dump_icsk), so the listener is known
 * by then.  A request socket seen before its listener (a reordered file)
 * waits in a second fixed table; beyond its size it is counted as having
 * no listener.  Every lookup is a hash probe, so time is linear.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/inet_diag.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analyzers/tally.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/output.h"
#include "collectors/snapfile.h"
#include "collectors/sockdiag.h"
#include "collectors/source.h"
#include "core/num.h"
#include "core/util.h"

#define PEER_SLOTS	128
#define LST_MAX		1024		/* listeners shown; the rest are counted */
#define LST_SLOTS	(2 * LST_MAX)	/* hash slots: load at most 1/2 */
#define REQ_MAX		4096		/* request endpoints waiting for a listener */
#define REQ_SLOTS	(2 * REQ_MAX)
#define TOP_DEFAULT	5
#define TOP_MAX		100

struct peer_slot {
	struct in6_addr	addr;
	uint64_t	count;
};

/*
 * The counters, and an index from address to counter: open addressing,
 * linear probing, at most a quarter full, each entry the slot's index + 1
 * (0: empty).  It only finds a counter faster than a scan of all of them
 * (which was half of `summary`'s time): the counters evolve exactly as
 * without it.
 */
#define PEER_INDEX	512
_Static_assert(PEER_SLOTS < 256 && PEER_INDEX >= 4 * PEER_SLOTS, "index entries are bytes");

struct peers {
	struct peer_slot slot[PEER_SLOTS];
	unsigned int	 used;
	bool		 approximate;
	uint8_t		 idx[PEER_INDEX];
};

/* One listening socket (what the listener view shows) and its request sockets. */
struct listener {
	struct in6_addr	addr;		/* local address, v4-mapped for IPv4 */
	uint64_t	inode;
	uint64_t	syn_recv;
	uint32_t	rqueue, wqueue;	/* accept queue and backlog */
	uint32_t	drops;
	uint32_t	syn_recv_retrans_max;
	uint16_t	port;
	uint8_t		family;
	bool		has_drops;
	bool		used;		/* the hash slot is taken */
};

/* Request sockets of one local endpoint whose listener was not seen yet. */
struct req_ep {
	struct in6_addr	addr;
	uint64_t	count;
	uint32_t	retrans_max;
	uint16_t	port;
	bool		used;
};

struct summary {
	uint64_t	 by_state[TD_ST_MAX][2];	/* [state][0 = IPv4, 1 = IPv6] */
	uint64_t	 total;
	uint32_t	*ports[TD_ST_MAX];
	struct peers	*peers[TD_ST_MAX];
	struct listener	*lst;		/* LST_SLOTS, open addressing */
	size_t		 nlst;
	uint64_t	 lst_more;	/* listeners beyond LST_MAX, not shown */
	uint64_t	 lst_more_full;	/* ... of them with a full accept queue */
	struct req_ep	*req;		/* REQ_SLOTS, open addressing */
	size_t		 nreq;
	uint64_t	 req_orphan;	/* request sockets with no listener kept */
	struct listener	**sorted;	/* the kept listeners in display order */
};

/* FNV-1a over the endpoint (address and port). */
static size_t
ep_hash(const struct in6_addr *a, uint16_t port, size_t slots)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < 16; i++)
		h = (h ^ a->s6_addr[i]) * 0x100000001b3ULL;
	h = (h ^ (port & 0xff)) * 0x100000001b3ULL;
	h = (h ^ (port >> 8)) * 0x100000001b3ULL;
	return (size_t)(h % slots);
}

/* The slot of the first listener kept on ep, or -1 (a td_listener_lookup_fn). */
static int
lst_slot(const void *arg, const struct td_ep_key *ep)
{
	const struct summary *s = arg;
	size_t i;

	if (s->lst == NULL)
		return -1;
	for (i = ep_hash(&ep->addr, ep->port, LST_SLOTS); s->lst[i].used; i = (i + 1) % LST_SLOTS)
		if (s->lst[i].port == ep->port && memcmp(&s->lst[i].addr, &ep->addr, 16) == 0)
			return (int)i;
	return -1;
}

/* The listener a request socket to addr:port belongs to (td_listener_of()), or NULL. */
static struct listener *
lst_for_request(struct summary *s, const struct in6_addr *a, uint16_t port)
{
	struct td_ep_key req = { .addr = *a, .port = port }, found;
	int i = td_listener_of(&req, lst_slot, s, &found);

	return i < 0 ? NULL : &s->lst[i];
}

static void
lst_count_requests(struct listener *l, uint64_t n, uint32_t retrans_max)
{
	l->syn_recv += n;
	if (retrans_max > l->syn_recv_retrans_max)
		l->syn_recv_retrans_max = retrans_max;
}

static int
lst_add(struct summary *s, const struct td_sock *sk, struct td_err *err)
{
	struct listener *l;
	size_t i;

	if (s->nlst >= LST_MAX) {
		s->lst_more++;
		if (sk->rqueue > sk->wqueue)
			s->lst_more_full++;
		return 0;
	}
	if (s->lst == NULL && (s->lst = calloc(LST_SLOTS, sizeof(*s->lst))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	for (i = ep_hash(&sk->src, sk->sport, LST_SLOTS); s->lst[i].used; i = (i + 1) % LST_SLOTS)
		;
	l = &s->lst[i];
	l->used = true;
	l->addr = sk->src;
	l->port = sk->sport;
	l->family = sk->family;
	l->rqueue = sk->rqueue;
	l->wqueue = sk->wqueue;
	l->has_drops = sk->has_skmem;
	l->drops = sk->has_skmem ? sk->skmem.drops : 0;
	l->inode = sk->inode;
	s->nlst++;
	return 0;
}

/* Keep a request socket whose listener has not been seen (yet). */
static int
req_add(struct summary *s, const struct td_sock *sk, struct td_err *err)
{
	struct req_ep *r;
	size_t i;

	if (s->req == NULL && (s->req = calloc(REQ_SLOTS, sizeof(*s->req))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	for (i = ep_hash(&sk->src, sk->sport, REQ_SLOTS); s->req[i].used; i = (i + 1) % REQ_SLOTS)
		if (s->req[i].port == sk->sport && memcmp(&s->req[i].addr, &sk->src, 16) == 0)
			break;
	r = &s->req[i];
	if (!r->used) {
		if (s->nreq >= REQ_MAX) {
			s->req_orphan++;
			return 0;
		}
		r->used = true;
		r->addr = sk->src;
		r->port = sk->sport;
		s->nreq++;
	}
	r->count++;
	if (sk->retrans > r->retrans_max)
		r->retrans_max = sk->retrans;
	return 0;
}

static size_t
peer_hash(const struct in6_addr *a)
{
	uint64_t x, y;

	memcpy(&x, &a->s6_addr[0], 8);
	memcpy(&y, &a->s6_addr[8], 8);
	/* murmur3's fmix64 over both halves: the bytes that vary (an IPv4
	 * address's last) are the top of y, and must reach the low bits. */
	x ^= y * UINT64_C(0x9e3779b97f4a7c15);
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return (size_t)x & (PEER_INDEX - 1);
}

/* The index position of a, or of the empty entry where it would go. */
static size_t
peer_pos(const struct peers *pp, const struct in6_addr *a)
{
	size_t i = peer_hash(a);

	while (pp->idx[i] != 0 && memcmp(&pp->slot[pp->idx[i] - 1].addr, a, sizeof(*a)) != 0)
		i = (i + 1) & (PEER_INDEX - 1);
	return i;
}

/* Take the entry at i out of the index (backward-shift deletion). */
static void
peer_unindex(struct peers *pp, size_t i)
{
	size_t j = i, home;

	for (;;) {
		pp->idx[i] = 0;
		for (;;) {
			j = (j + 1) & (PEER_INDEX - 1);
			if (pp->idx[j] == 0)
				return;
			home = peer_hash(&pp->slot[pp->idx[j] - 1].addr);
			/* j's entry may move to i unless its home lies in (i, j]. */
			if (i <= j ? (home <= i || home > j) : (home <= i && home > j))
				break;
		}
		pp->idx[i] = pp->idx[j];
		i = j;
	}
}

static void
peers_add(struct peers *pp, const struct in6_addr *a)
{
	unsigned int i, min = 0;
	size_t pos = peer_pos(pp, a);

	if (pp->idx[pos] != 0) {
		pp->slot[pp->idx[pos] - 1].count++;
		return;
	}
	if (pp->used < PEER_SLOTS) {
		pp->slot[pp->used].addr = *a;
		pp->slot[pp->used].count = 1;
		pp->idx[pos] = (uint8_t)++pp->used;
		return;
	}
	/* Space-Saving: the new key takes over the smallest counter. */
	for (i = 1; i < PEER_SLOTS; i++)
		if (pp->slot[i].count < pp->slot[min].count)
			min = i;
	peer_unindex(pp, peer_pos(pp, &pp->slot[min].addr));
	pp->slot[min].addr = *a;
	pp->slot[min].count++;
	pp->idx[peer_pos(pp, a)] = (uint8_t)(min + 1);
	pp->approximate = true;
}

static int
summary_visit(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct summary *s = arg;
	unsigned int st = sk->state < TD_ST_MAX ? sk->state : TD_ST_UNKNOWN;

	s->total++;
	s->by_state[st][sk->family == AF_INET6]++;
	if (s->ports[st] == NULL) {
		s->ports[st] = calloc(65536, sizeof(uint32_t));
		s->peers[st] = calloc(1, sizeof(struct peers));
		if (s->ports[st] == NULL || s->peers[st] == NULL)
			return td_errf(err, ENOMEM, "out of memory");
	}
	if (s->ports[st][sk->sport] < UINT32_MAX)
		s->ports[st][sk->sport]++;
	if (st != TD_ST_LISTEN)
		peers_add(s->peers[st], &sk->dst);

	if (st == TD_ST_LISTEN)
		return lst_add(s, sk, err);
	if (sk->kind == TD_SK_REQ) {
		struct listener *l = lst_for_request(s, &sk->src, sk->sport);

		if (l == NULL)
			return req_add(s, sk, err);
		lst_count_requests(l, 1, sk->retrans);
	}
	return 0;
}

/* Give the request sockets that came before their listener to it, now that all are known. */
static void
match_requests(struct summary *s)
{
	struct listener *l;
	size_t i;

	for (i = 0; s->req != NULL && i < REQ_SLOTS; i++) {
		if (!s->req[i].used)
			continue;
		l = lst_for_request(s, &s->req[i].addr, s->req[i].port);
		if (l != NULL)
			lst_count_requests(l, s->req[i].count, s->req[i].retrans_max);
		else
			s->req_orphan += s->req[i].count;
	}
}

static int
listener_cmp(const void *a, const void *b)
{
	const struct listener *x = *(const struct listener *const *)a;
	const struct listener *y = *(const struct listener *const *)b;
	int c;

	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	c = memcmp(&x->addr, &y->addr, 16);
	if (c != 0)
		return c;
	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/*
 * The kept listeners in display order (port, address, family, inode), as
 * an array of pointers into the hash table; NULL when there are none.
 */
static struct listener **
listeners_sorted(struct summary *s)
{
	struct listener **v;
	size_t i, n = 0;

	if (s->nlst == 0 || (v = calloc(s->nlst, sizeof(*v))) == NULL)
		return NULL;
	for (i = 0; i < LST_SLOTS; i++)
		if (s->lst[i].used)
			v[n++] = &s->lst[i];
	if (n > 1)
		qsort(v, n, sizeof(*v), listener_cmp);
	return v;
}

struct top {
	uint32_t	key;		/* port, or index of a peer slot */
	uint64_t	count;
};

static int
top_cmp(const void *a, const void *b)
{
	const struct top *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/* The n largest entries (ties by key), into out[]; returns how many. */
static unsigned int
top_ports(const uint32_t *ports, unsigned int n, struct top *out)
{
	unsigned int k = 0, i, j;

	for (i = 0; i < 65536; i++) {
		struct top t = { i, ports[i] };

		if (t.count == 0)
			continue;
		if (k == n && top_cmp(&t, &out[k - 1]) >= 0)
			continue;
		j = k < n ? k++ : n - 1;
		while (j > 0 && top_cmp(&t, &out[j - 1]) < 0) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = t;
	}
	return k;
}

static int
peer_cmp(const void *a, const void *b)
{
	const struct peer_slot *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return memcmp(&x->addr, &y->addr, 16);
}

static const char *
addr_text(const struct in6_addr *a, char *buf, size_t len)
{
	struct td_sock tmp = { .family = td_addr_is_v4(a) ? AF_INET : AF_INET6 };

	return td_addr_str(&tmp, a, buf, len);
}

static void
summary_free(struct summary *s)
{
	unsigned int st;

	for (st = 0; st < TD_ST_MAX; st++) {
		free(s->ports[st]);
		free(s->peers[st]);
	}
	free(s->lst);
	free(s->req);
	free(s->sorted);
}

/* The counters shown as "key counters", in this order. */
static const enum td_counter_id key_counters[] = {
	TD_CTR_LISTEN_OVERFLOWS, TD_CTR_LISTEN_DROPS, TD_CTR_SYNCOOKIES_SENT,
	TD_CTR_SYNCOOKIES_RECV, TD_CTR_SYNCOOKIES_FAILED, TD_CTR_REQQ_FULL_DO_COOKIES,
	TD_CTR_REQQ_FULL_DROP, TD_CTR_TW, TD_CTR_TW_OVERFLOW, TD_CTR_TW_RECYCLED,
	TD_CTR_ABORT_ON_TIMEOUT, TD_CTR_ABORT_ON_MEMORY, TD_CTR_ABORT_ON_CLOSE,
	TD_CTR_ABORT_ON_DATA, TD_CTR_ESTAB_RESETS, TD_CTR_ATTEMPT_FAILS, TD_CTR_OUT_RSTS,
	TD_CTR_RETRANS_SEGS, TD_CTR_SYN_RETRANS, TD_CTR_ACTIVE_OPENS, TD_CTR_PASSIVE_OPENS,
	TD_CTR_CURR_ESTAB, TD_CTR_SOCK_ORPHAN, TD_CTR_SOCK_TW,
};

#define NKEY	(ARRAY_SIZE(key_counters))

static json_t *
summary_json(struct summary *s, const struct td_snapshot *snap, unsigned int ntop)
{
	json_t *body = json_object(), *states = json_object(), *lst = json_array();
	json_t *tports = json_object(), *tpeers = json_object(), *ctr = json_object();
	struct top *top = calloc(ntop, sizeof(*top));
	char buf[INET6_ADDRSTRLEN];
	unsigned int st, i, k;
	size_t j;

	json_object_set_new(body, "total", json_integer((json_int_t)s->total));
	for (st = 1; st < TD_ST_MAX; st++) {
		if (st == TD_ST_NEW_SYN_RECV)
			continue;
		json_object_set_new(states, td_state_name(st),
		    json_pack("{s:I,s:I,s:I}", "ipv4", (json_int_t)s->by_state[st][0],
			"ipv6", (json_int_t)s->by_state[st][1],
			"total", (json_int_t)(s->by_state[st][0] + s->by_state[st][1])));
	}
	json_object_set_new(body, "states", states);
	for (j = 0; s->sorted != NULL && j < s->nlst; j++) {
		const struct listener *l = s->sorted[j];
		json_t *o = json_pack("{s:s,s:s,s:i,s:I,s:I,s:I,s:I,s:I}",
		    "family", l->family == AF_INET6 ? "ipv6" : "ipv4",
		    "local", addr_text(&l->addr, buf, sizeof(buf)),
		    "port", (int)l->port,
		    "accept_queue", (json_int_t)l->rqueue,
		    "backlog", (json_int_t)l->wqueue,
		    "syn_recv", (json_int_t)l->syn_recv,
		    "syn_recv_limit", (json_int_t)l->wqueue + 1,
		    "syn_recv_retrans_max", (json_int_t)l->syn_recv_retrans_max);

		json_object_set_new(o, "drops", l->has_drops ?
		    json_integer((json_int_t)l->drops) : json_null());
		json_object_set_new(o, "inode", json_integer((json_int_t)l->inode));
		json_array_append_new(lst, o);
	}
	json_object_set_new(body, "listeners", lst);
	json_object_set_new(body, "listeners_not_shown", json_pack("{s:I,s:I}",
	    "count", (json_int_t)s->lst_more, "accept_queue_full", (json_int_t)s->lst_more_full));
	json_object_set_new(body, "syn_recv_without_listener", json_integer((json_int_t)s->req_orphan));
	for (st = 1; st < TD_ST_MAX && top != NULL; st++) {
		json_t *a;

		if (s->ports[st] == NULL)
			continue;
		k = top_ports(s->ports[st], ntop, top);
		a = json_array();
		for (i = 0; i < k; i++)
			json_array_append_new(a, json_pack("{s:i,s:I}", "port", (int)top[i].key,
			    "count", (json_int_t)top[i].count));
		json_object_set_new(tports, td_state_name(st), a);
		if (st == TD_ST_LISTEN)
			continue;
		if (s->peers[st]->used > 0)
			qsort(s->peers[st]->slot, s->peers[st]->used, sizeof(struct peer_slot),
			    peer_cmp);
		a = json_array();
		for (i = 0; i < s->peers[st]->used && i < ntop; i++)
			json_array_append_new(a, json_pack("{s:s,s:I}", "address",
			    addr_text(&s->peers[st]->slot[i].addr, buf, sizeof(buf)),
			    "count", (json_int_t)s->peers[st]->slot[i].count));
		json_object_set_new(tpeers, td_state_name(st), json_pack("{s:o,s:b}",
		    "peers", a, "approximate", s->peers[st]->approximate));
	}
	free(top);
	json_object_set_new(body, "top_local_ports", tports);
	json_object_set_new(body, "top_peers", tpeers);
	for (i = 0; i < NKEY; i++) {
		enum td_counter_id id = key_counters[i];

		json_object_set_new(ctr, td_counter_fields[id].json, snap->ctr.present[id] ?
		    json_integer(snap->ctr.v[id] > (uint64_t)LLONG_MAX ?
			LLONG_MAX : (json_int_t)snap->ctr.v[id]) : json_null());
	}
	json_object_set_new(body, "counters", ctr);
	return body;
}

static void
summary_table(FILE *fp, struct summary *s, const struct td_snapshot *snap, unsigned int ntop)
{
	struct top *top = calloc(ntop, sizeof(*top));
	char buf[INET6_ADDRSTRLEN], ep[INET6_ADDRSTRLEN + 10];
	uint64_t v4 = 0, v6 = 0;
	unsigned int st, i, k;
	size_t j;

	for (st = 0; st < TD_ST_MAX; st++) {
		v4 += s->by_state[st][0];
		v6 += s->by_state[st][1];
	}
	fprintf(fp, "TCP sockets: %" PRIu64 " (IPv4 %" PRIu64 ", IPv6 %" PRIu64 ")%s%s\n\n",
	    s->total, v4, v6, snap->meta.netns[0] != '\0' ? " in netns " : "", snap->meta.netns);
	fprintf(fp, "%-12s %9s %9s %9s\n", "State", "IPv4", "IPv6", "Total");
	for (st = 1; st < TD_ST_MAX; st++) {
		if (st == TD_ST_NEW_SYN_RECV || s->by_state[st][0] + s->by_state[st][1] == 0)
			continue;
		fprintf(fp, "%-12s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 "\n", td_state_name(st),
		    s->by_state[st][0], s->by_state[st][1], s->by_state[st][0] + s->by_state[st][1]);
	}
	if (s->nlst > 0) {
		fprintf(fp, "\nListeners (accept queue against backlog; SYN_RECV against backlog+1)\n");
		fprintf(fp, "%-32s %9s %8s %9s %9s %8s\n", "Local Address:Port", "Accept-Q",
		    "Backlog", "SYN_RECV", "Limit", "Drops");
		for (j = 0; s->sorted != NULL && j < s->nlst; j++) {
			const struct listener *l = s->sorted[j];
			char drops[24];

			addr_text(&l->addr, buf, sizeof(buf));
			snprintf(ep, sizeof(ep), strchr(buf, ':') ? "[%s]:%u" : "%s:%u", buf,
			    l->port);
			if (l->has_drops)
				snprintf(drops, sizeof(drops), "%u", l->drops);
			else
				snprintf(drops, sizeof(drops), "-");
			fprintf(fp, "%-32s %9u %8u %9" PRIu64 " %9" PRIu64 " %8s%s\n", ep, l->rqueue,
			    l->wqueue, l->syn_recv, (uint64_t)l->wqueue + 1, drops,
			    l->rqueue > l->wqueue ? "  accept queue full" :
			    l->syn_recv > l->wqueue ? "  SYN queue full" : "");
		}
		if (s->lst_more > 0)
			fprintf(fp, "... and %" PRIu64 " more listeners not shown (%" PRIu64
			    " of them with a full accept queue)\n", s->lst_more, s->lst_more_full);
	}
	if (s->req_orphan > 0)
		fprintf(fp, "%s%" PRIu64 " SYN_RECV sockets whose listener is not shown\n",
		    s->nlst > 0 ? "" : "\n", s->req_orphan);
	fprintf(fp, "\nTop local ports and peers per state\n");
	for (st = 1; st < TD_ST_MAX && top != NULL; st++) {
		if (s->ports[st] == NULL)
			continue;
		k = top_ports(s->ports[st], ntop, top);
		fprintf(fp, "%-12s ports:", td_state_name(st));
		for (i = 0; i < k; i++)
			fprintf(fp, " %u (%" PRIu64 ")", top[i].key, top[i].count);
		fputc('\n', fp);
		if (st == TD_ST_LISTEN)
			continue;
		if (s->peers[st]->used > 0)
			qsort(s->peers[st]->slot, s->peers[st]->used, sizeof(struct peer_slot),
			    peer_cmp);
		fprintf(fp, "%-12s peers:", "");
		for (i = 0; i < s->peers[st]->used && i < ntop; i++)
			fprintf(fp, " %s (%s%" PRIu64 ")",
			    addr_text(&s->peers[st]->slot[i].addr, buf, sizeof(buf)),
			    s->peers[st]->approximate ? "<=" : "", s->peers[st]->slot[i].count);
		fputc('\n', fp);
	}
	free(top);
	fprintf(fp, "\nKey counters (since boot or namespace creation)\n");
	for (i = 0; i < NKEY; i++) {
		enum td_counter_id id = key_counters[i];

		if (snap->ctr.present[id])
			fprintf(fp, "  %-22s %12" PRIu64 "\n", td_counter_fields[id].json,
			    snap->ctr.v[id]);
		else
			fprintf(fp, "  %-22s %12s\n", td_counter_fields[id].json, "absent");
	}
}

int
cmd_summary(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "top",	required_argument, NULL, 't' },
		{ "at",		required_argument, NULL, CMD_OPT_AT },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct summary s = { 0 };
	struct td_snapshot snap;
	struct td_source src;
	struct td_err err = { 0 };
	unsigned int ntop = TOP_DEFAULT;
	int64_t v;
	int ch, status = TD_EXIT_OK;

	while ((ch = cmd_getopt(ctx, argc, argv, "t:", opts, &status)) != -1) {
		switch (ch) {
		case 't':
			if (td_num_i64(optarg, 1, TOP_MAX, &v, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE,
				    "--top: '%s' is not a number from 1 to %d", optarg, TOP_MAX);
			ntop = (unsigned int)v;
			break;
		case CMD_OPT_AT:
			ctx->at = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind < argc)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (cmd_at_misuse(ctx) != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s", cmd_at_misuse(ctx));
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "this command prints table or json");

	cmd_source_init(ctx, &src);
	src.want_info = true;		/* listeners' drop counts (skmeminfo) */
	src.any_order = true;		/* counts: both families in one kernel walk */
	src.want_ext = SOCKDIAG_EXT(INET_DIAG_SKMEMINFO);	/* nothing else is read */
	if (source_header(&src, &snap, &err) < 0 ||
	    (cmd_rec_note(ctx, &src), source_walk(&src, summary_visit, &s, &err)) < 0) {
		status = cmd_fail_err(ctx, &err);
		goto out;
	}
	match_requests(&s);
	s.sorted = listeners_sorted(&s);
	if (s.nlst > 0 && s.sorted == NULL) {
		status = cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
		goto out;
	}
	if (ctx->format == TD_FMT_JSON) {
		if (output_json_doc(ctx->out, &snap, "summary", summary_json(&s, &snap, ntop)) < 0)
			status = cmd_fail(ctx, TD_EXIT_OSERR, "writing output: %s", strerror(errno));
	} else {
		summary_table(ctx->out, &s, &snap, ntop);
	}
out:
	source_close(&src);
	summary_free(&s);
	return status;
}
