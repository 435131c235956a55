/* SPDX-License-Identifier: MIT */
/*
 * Bounded tallies for the analyzers: a fixed-size hash table of keyed
 * counters (at most TD_TALLY_CAP keys; when full, the keys with counts at
 * or below the mean are dropped and `pruned` is set, so the heavy hitters
 * survive and memory never grows), and a linear-counting sketch that
 * estimates how many distinct values (sources, prefixes) were seen.
 */
#ifndef TD_ANALYZERS_TALLY_H
#define TD_ANALYZERS_TALLY_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TD_TALLY_CAP	512
#define TD_TALLY_KEY	40

struct td_tally_ent {
	uint8_t		key[TD_TALLY_KEY];
	bool		used;
	uint64_t	count;		/* what the caller counts (pruning uses it) */
	uint64_t	n[6];		/* free for the caller */
};

struct td_tally {
	struct td_tally_ent	ent[TD_TALLY_CAP];
	int16_t			index[TD_TALLY_CAP * 2];	/* slot+1, 0 = empty */
	size_t			n;
	bool			pruned;		/* some keys were dropped */
};

/*
 * The slot for key (zero-padded to TD_TALLY_KEY bytes), created if needed.
 * *is_new tells the caller to reset any side data kept per slot.  Never
 * fails: a full table is pruned first.
 */
int	tally_slot(struct td_tally *t, const void *key, size_t klen, bool *is_new);
/* The slot for key, or -1 if absent. */
int	tally_lookup(const struct td_tally *t, const void *key, size_t klen);
/* Up to max used slots, largest count first, into idx[]; returns how many. */
size_t	tally_top(const struct td_tally *t, int *idx, size_t max);

#define TD_DISTINCT_BITS	2048

struct td_distinct {
	uint64_t	bits[TD_DISTINCT_BITS / 64];
};

void	distinct_add(struct td_distinct *d, const void *p, size_t len);
/* Estimated number of distinct values added (exact-ish below ~1000). */
uint64_t distinct_estimate(const struct td_distinct *d);

/* FNV-1a. */
uint64_t td_hash(const void *p, size_t len);

/* Prefix of an address: /24 for IPv4 (v4-mapped), /48 for IPv6. */
void	td_addr_prefix(const struct in6_addr *a, struct in6_addr *prefix);

/* A local or remote endpoint as a tally key. */
struct td_ep_key {
	struct in6_addr	addr;
	uint16_t	port;
	uint16_t	pad;
	uint32_t	extra;		/* caller-defined (pid, destination port...) */
};

/* "1.2.3.4:80" or "[2001:db8::1]:80"; port 0 prints the address only. */
char	*td_ep_str(const struct in6_addr *a, uint16_t port, char *buf, size_t len);
/* True for 127/8 and ::1. */
bool	td_addr_is_loopback(const struct in6_addr *a);
/* True for 0.0.0.0 (v4-mapped) and ::. */
bool	td_addr_is_any(const struct in6_addr *a);

/*
 * The one rule that gives a request socket (SYN_RECV, TD_SK_REQ) its
 * listener, used by syn_flood, summary and the Prometheus listener gauges.
 * lookup(table, ep) returns the caller's slot for a listener bound to
 * exactly ep, or -1.  Returns the slot of the listener a connection to
 * local endpoint req belongs to, and sets *found to that listener's
 * endpoint; or returns -1 with *found = *req when no listener is known.
 */
typedef int (*td_listener_lookup_fn)(const void *table, const struct td_ep_key *ep);
int	td_listener_of(const struct td_ep_key *req, td_listener_lookup_fn lookup,
	    const void *table, struct td_ep_key *found);
/* A td_listener_lookup_fn over a struct td_tally keyed by struct td_ep_key. */
int	td_tally_lookup_ep(const void *tally, const struct td_ep_key *ep);

#endif /* TD_ANALYZERS_TALLY_H */
