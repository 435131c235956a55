/* SPDX-License-Identifier: MIT */
/* Bounded tallies and distinct-value sketches; see tally.h. */
#include "analyzers/tally.h"

#include <arpa/inet.h>

#include <stdio.h>

#include <math.h>
#include <string.h>

#include "collectors/snapshot.h"

uint64_t
td_hash(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	/* FNV's low bits mix poorly for short keys: finish like splitmix64. */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void
reindex(struct td_tally *t)
{
	size_t i, mask = TD_TALLY_CAP * 2 - 1, j;

	memset(t->index, 0, sizeof(t->index));
	for (i = 0; i < TD_TALLY_CAP; i++) {
		if (!t->ent[i].used)
			continue;
		j = td_hash(t->ent[i].key, TD_TALLY_KEY) & mask;
		while (t->index[j] != 0)
			j = (j + 1) & mask;
		t->index[j] = (int16_t)(i + 1);
	}
}

static void
prune(struct td_tally *t)
{
	uint64_t sum = 0, mean;
	size_t i;

	/* The mean over the keys held: the smallest is at or below it, so at least one goes. */
	for (i = 0; i < TD_TALLY_CAP; i++)
		if (t->ent[i].used)
			sum += t->ent[i].count;
	mean = t->n > 0 ? sum / t->n : 0;
	for (i = 0; i < TD_TALLY_CAP; i++)
		if (t->ent[i].used && t->ent[i].count <= mean) {
			t->ent[i].used = false;
			t->n--;
		}
	t->pruned = true;
	reindex(t);
}

static int
find(const struct td_tally *t, const uint8_t *k, size_t *pos)
{
	size_t mask = TD_TALLY_CAP * 2 - 1, j;
	int s;

	j = td_hash(k, TD_TALLY_KEY) & mask;
	while ((s = t->index[j]) != 0) {
		if (memcmp(t->ent[s - 1].key, k, TD_TALLY_KEY) == 0)
			return s - 1;
		j = (j + 1) & mask;
	}
	*pos = j;
	return -1;
}

static void
mkkey(uint8_t *k, const void *key, size_t klen)
{
	memset(k, 0, TD_TALLY_KEY);
	memcpy(k, key, klen < TD_TALLY_KEY ? klen : TD_TALLY_KEY);
}

int
tally_lookup(const struct td_tally *t, const void *key, size_t klen)
{
	uint8_t k[TD_TALLY_KEY];
	size_t pos;

	mkkey(k, key, klen);
	return find(t, k, &pos);
}

int
tally_slot(struct td_tally *t, const void *key, size_t klen, bool *is_new)
{
	uint8_t k[TD_TALLY_KEY];
	size_t pos, i;
	int s;

	mkkey(k, key, klen);
	s = find(t, k, &pos);
	*is_new = s < 0;
	if (s >= 0)
		return s;
	if (t->n >= TD_TALLY_CAP * 3 / 4) {
		prune(t);
		find(t, k, &pos);
	}
	for (i = 0; i < TD_TALLY_CAP && t->ent[i].used; i++)
		;
	memset(&t->ent[i], 0, sizeof(t->ent[i]));
	memcpy(t->ent[i].key, k, TD_TALLY_KEY);
	t->ent[i].used = true;
	t->index[pos] = (int16_t)(i + 1);
	t->n++;
	return (int)i;
}

size_t
tally_top(const struct td_tally *t, int *idx, size_t max)
{
	size_t n = 0, i, j;

	if (max == 0)
		return 0;
	for (i = 0; i < TD_TALLY_CAP; i++) {
		if (!t->ent[i].used)
			continue;
		if (n < max)
			j = n++;
		else if (t->ent[idx[max - 1]].count < t->ent[i].count)
			j = max - 1;
		else
			continue;
		for (; j > 0 && t->ent[idx[j - 1]].count < t->ent[i].count; j--)
			idx[j] = idx[j - 1];
		idx[j] = (int)i;
	}
	return n;
}

void
distinct_add(struct td_distinct *d, const void *p, size_t len)
{
	uint64_t h = td_hash(p, len) % TD_DISTINCT_BITS;

	d->bits[h / 64] |= UINT64_C(1) << (h % 64);
}

uint64_t
distinct_estimate(const struct td_distinct *d)
{
	size_t i, zero = 0;
	double m = TD_DISTINCT_BITS;

	for (i = 0; i < TD_DISTINCT_BITS / 64; i++)
		zero += 64 - (size_t)__builtin_popcountll(d->bits[i]);
	if (zero == 0)
		zero = 1;
	/* Linear counting (Whang et al. 1990): n = -m ln(V/m). */
	return (uint64_t)llround(-m * log((double)zero / m));
}

void
td_addr_prefix(const struct in6_addr *a, struct in6_addr *prefix)
{
	memset(prefix, 0, sizeof(*prefix));
	if (td_addr_is_v4(a)) {
		memcpy(prefix->s6_addr, a->s6_addr, 15);	/* ::ffff:a.b.c.0 */
	} else {
		memcpy(prefix->s6_addr, a->s6_addr, 6);		/* /48 */
	}
}

char *
td_ep_str(const struct in6_addr *a, uint16_t port, char *buf, size_t len)
{
	char ab[INET6_ADDRSTRLEN];
	bool v4 = td_addr_is_v4(a);

	if (v4)
		inet_ntop(AF_INET, &a->s6_addr[12], ab, sizeof(ab));
	else
		inet_ntop(AF_INET6, a, ab, sizeof(ab));
	if (port == 0)
		snprintf(buf, len, "%s", ab);
	else if (v4)
		snprintf(buf, len, "%s:%u", ab, port);
	else
		snprintf(buf, len, "[%s]:%u", ab, port);
	return buf;
}

bool
td_addr_is_loopback(const struct in6_addr *a)
{
	if (td_addr_is_v4(a))
		return a->s6_addr[12] == 127;
	return IN6_IS_ADDR_LOOPBACK(a);
}

bool
td_addr_is_any(const struct in6_addr *a)
{
	static const uint8_t v4any[16] = { [10] = 0xff, [11] = 0xff };

	return IN6_IS_ADDR_UNSPECIFIED(a) || memcmp(a->s6_addr, v4any, 16) == 0;
}

/*
 * The kernel's listener lookup (__inet_lookup_listener() and
 * inet_lhash2_lookup(), net/ipv4/inet_hashtables.c) takes a socket bound to
 * the destination address first, then one bound to the wildcard; of the
 * wildcards an IPv4 connection can reach, compute_score() ranks an AF_INET
 * socket (0.0.0.0) above a dual-stack AF_INET6 one ([::]).  An IPv6
 * connection only reaches [::] (inet6_lookup_listener(),
 * net/ipv6/inet6_hashtables.c).
 */
int
td_listener_of(const struct td_ep_key *req, td_listener_lookup_fn lookup,
    const void *table, struct td_ep_key *found)
{
	static const struct in6_addr v4any = { .s6_addr = { [10] = 0xff, [11] = 0xff } };
	struct in6_addr cand[3];
	size_t n = 0, i;
	int s;

	cand[n++] = req->addr;
	if (td_addr_is_v4(&req->addr))
		cand[n++] = v4any;
	cand[n++] = in6addr_any;
	*found = *req;
	for (i = 0; i < n; i++) {
		found->addr = cand[i];
		if ((s = lookup(table, found)) >= 0)
			return s;
	}
	*found = *req;
	return -1;
}

int
td_tally_lookup_ep(const void *tally, const struct td_ep_key *ep)
{
	return tally_lookup(tally, ep, sizeof(*ep));
}
