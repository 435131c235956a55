/* SPDX-License-Identifier: MIT */
/*
 * Owners of sockets before they go away (see evowners.h): the cookies the
 * latest refresh saw, sorted for bsearch (its own array, taken over as it
 * is), those it no longer saw, kept a while, a table of the owners' names
 * by pid, and a short list of listeners.
 */
#include "collectors/evowners.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "collectors/events.h"
#include "collectors/procs.h"
#include "collectors/snapshot.h"
#include "collectors/source.h"
#include "core/util.h"

/*
 * A socket the latest refresh saw held: 12 bytes (the cookie in two
 * halves, so that an array of them needs no padding).
 */
struct evo_ent {
	uint32_t	lo, hi;		/* its cookie */
	uint32_t	pid;		/* 0: taken (its notification came), or no owner found;
					 * while its refresh is built: the socket's inode */
};

/* A socket the latest refresh did not see, kept EVO_KEEP_NS after it last was. */
struct evo_old {
	uint64_t	cookie;
	uint32_t	pid;		/* 0: taken */
	uint32_t	seen_s;		/* the refresh that saw it last (ev_owners.born_ns + s) */
};

struct evo_proc {			/* each owner's name once: 24 bytes */
	int32_t		pid;
	uint32_t	seen_s;		/* never older than an entry of its pid */
	char		comm[16];
};

struct evo_lsn {
	uint8_t		family;
	uint16_t	port;
	uint32_t	inode;		/* while its refresh is built */
	struct in6_addr	addr;
	int64_t		seen_ns;
	int32_t		pid;
};

/*
 * One refresh being built: by the scanner thread (a scan of its own) or by
 * the caller (ev_owners_feed: a walk the caller makes anyway).  The
 * sockets come first with their inodes, then the walk's owner map gives
 * each its owner (build_map).
 */
struct evo_build {
	struct evo_ent	*e;
	size_t		 n, cap;
	struct evo_proc	*p;
	size_t		 np, pcap;
	struct evo_lsn	 l[EVO_MAX_LISTENERS];
	size_t		 nl;
	uint64_t	 nfull;
	int64_t		 ns;		/* CLOCK_REALTIME of the refresh */
	uint32_t	 s;		/* the same, in seconds since born_ns (evo_old.seen_s) */
	bool		 active;	/* begun, not yet merged */
	bool		 mapped;	/* the owner map came */
	bool		 all;		/* and it held every socket held */
	bool		 nomem;		/* out of memory while building: not merged */
	size_t		 hint;		/* the table's size when it began */
	struct procs_stats ps;		/* what the map's scan saw */
};

struct ev_owners {
	char			 proc_root[PATH_MAX];
	int			 family;
	int64_t			 born_ns;	/* CLOCK_REALTIME when made: seen_s counts from it */
	/* Under mu: what lookups read, and the requests. */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 th;
	bool			 threaded, go, busy, stop;
	atomic_bool		 quit;		/* ev_owners_free(): a running scan stops */
	struct evo_ent		*e;		/* seen by the latest refresh, sorted by cookie */
	size_t			 n;
	uint32_t		 last_s;	/* that refresh (evo_old.seen_s) */
	struct evo_old		*old;		/* not seen by it, sorted by cookie */
	size_t			 nold;
	struct evo_proc		*p;		/* sorted by pid */
	size_t			 np;
	struct evo_lsn		 l[EVO_MAX_LISTENERS];
	size_t			 nl;
	int64_t			 next_mono;	/* no refresh before (CLOCK_MONOTONIC) */
	bool			 want;
	struct ev_owners_stats	 st;
	struct td_err		 err;		/* the last failed scan's error */
	struct evo_build	 scan;		/* the scanner's (one scan at a time) */
	struct evo_build	 feed;		/* the caller's (ev_owners_feed_*) */
};

static bool
addr_any(const struct in6_addr *a)
{
	static const struct in6_addr any;
	static const uint8_t mapped_any[16] = { [10] = 0xff, [11] = 0xff };

	return memcmp(a, &any, sizeof(any)) == 0 || memcmp(a, mapped_any, sizeof(mapped_any)) == 0;
}

/* The listener of local address:port in l[n]: the same address, else a wildcard one. */
static struct evo_lsn *
lsn_find(struct evo_lsn *l, size_t n, int family, const struct in6_addr *addr, uint16_t port,
    bool exact)
{
	struct evo_lsn *wild = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		if (l[i].port != port)
			continue;
		if (l[i].family == family && memcmp(&l[i].addr, addr, sizeof(*addr)) == 0)
			return &l[i];
		/*
		 * A wildcard listener: 0.0.0.0 takes IPv4, [::] takes both
		 * (IPv4 then arrives as AF_INET6 with a mapped address unless
		 * IPV6_V6ONLY, inet6_bind()).
		 */
		if (!exact && wild == NULL && addr_any(&l[i].addr) &&
		    (l[i].family == family || l[i].family == AF_INET6))
			wild = &l[i];
	}
	return wild;
}

/* States whose sockets have an inode, so an owner (not TIME_WAIT, not requests). */
#define HELD_STATES	(TD_STATES_ALL & ~(TD_STATE_BIT(TD_ST_TIME_WAIT) | \
    TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_NEW_SYN_RECV)))

static void
build_begin(struct ev_owners *o, struct evo_build *b)
{
	b->ns = td_clock_ns(CLOCK_REALTIME);
	b->s = b->ns > o->born_ns ? (uint32_t)((b->ns - o->born_ns) / 1000000000) : 0;
	b->n = 0;
	b->np = 0;
	b->nl = 0;
	b->nfull = 0;
	b->mapped = b->all = b->nomem = false;
	b->active = true;
	memset(&b->ps, 0, sizeof(b->ps));
	pthread_mutex_lock(&o->mu);
	b->hint = o->n;
	pthread_mutex_unlock(&o->mu);
}

/* What the merge leaves: the arrays are made again by the next refresh, sized by the table. */
static void
build_release(struct evo_build *b)
{
	free(b->e);
	b->e = NULL;
	b->n = b->cap = 0;
	free(b->p);
	b->p = NULL;
	b->np = b->pcap = 0;
	b->active = false;
}

/* One socket of the walk, by its inode until the owner map comes. */
static void
build_sock(struct evo_build *b, const struct td_sock *sk)
{
	struct evo_ent *e, *grown;
	struct evo_lsn *l;
	size_t cap;

	if (!b->active || b->nomem || !(HELD_STATES & TD_STATE_BIT(sk->state)) || sk->inode == 0 ||
	    sk->inode > UINT32_MAX)
		return;
	if (sk->state == TD_ST_LISTEN) {
		l = lsn_find(b->l, b->nl, sk->family, &sk->src, sk->sport, true);
		if (l == NULL && b->nl < EVO_MAX_LISTENERS) {
			l = &b->l[b->nl++];
			l->family = sk->family;
			l->port = sk->sport;
			l->addr = sk->src;
		}
		if (l == NULL) {
			b->nfull++;
		} else {
			l->seen_ns = b->ns;
			l->pid = 0;
			l->inode = (uint32_t)sk->inode;
		}
	}
	if (b->n == b->cap) {
		if (b->cap >= EVO_MAX_SOCKETS) {
			b->nfull++;
			return;
		}
		/* The size the table had, and a little more: no copy in a steady run. */
		cap = b->cap == 0 ? b->hint + b->hint / 16 : b->cap * 2;
		if (cap < 1024)
			cap = 1024;
		if (cap > EVO_MAX_SOCKETS)
			cap = EVO_MAX_SOCKETS;
		grown = realloc(b->e, cap * sizeof(*grown));
		if (grown == NULL) {
			b->nomem = true;
			return;
		}
		b->e = grown;
		b->cap = cap;
	}
	e = &b->e[b->n++];
	e->lo = (uint32_t)sk->cookie;
	e->hi = (uint32_t)(sk->cookie >> 32);
	e->pid = (uint32_t)sk->inode;
}

static void
build_proc(void *arg, int32_t pid, const char comm[16])
{
	struct evo_build *b = arg;
	struct evo_proc *grown;
	size_t cap;

	if (b->nomem)
		return;
	if (b->np == b->pcap) {
		cap = b->pcap == 0 ? 256 : b->pcap * 2;
		grown = realloc(b->p, cap * sizeof(*grown));
		if (grown == NULL) {
			b->nomem = true;
			return;
		}
		b->p = grown;
		b->pcap = cap;
	}
	b->p[b->np].pid = pid;
	b->p[b->np].seen_s = b->s;
	memcpy(b->p[b->np].comm, comm, sizeof(b->p[b->np].comm));
	b->p[b->np].comm[sizeof(b->p[b->np].comm) - 1] = '\0';
	b->np++;
}

/* The owner of one inode by the map: its lowest pid, 0 if none holds it. */
static int32_t
owner_pid(const struct procs_map *m, uint32_t inode)
{
	struct td_owner ow;

	return procs_lookup(m, inode, &ow, 1, NULL) > 0 ? ow.pid : 0;
}

/* The walk's owner map: each socket's owner, and the owners' names. */
static void
build_map(struct evo_build *b, const struct procs_map *m, bool all, const struct procs_stats *st)
{
	size_t i;

	if (!b->active)
		return;
	for (i = 0; i < b->n; i++)
		b->e[i].pid = (uint32_t)owner_pid(m, b->e[i].pid);
	for (i = 0; i < b->nl; i++)
		b->l[i].pid = owner_pid(m, b->l[i].inode);
	procs_each_process(m, build_proc, b);
	b->mapped = true;
	b->all = all;
	b->ps = *st;
}

static uint64_t
ent_cookie(const struct evo_ent *e)
{
	return (uint64_t)e->hi << 32 | e->lo;
}

static int
ent_cmp(const void *a, const void *b)
{
	uint64_t x = ent_cookie(a), y = ent_cookie(b);

	return x < y ? -1 : x > y;
}

static int
old_cmp(const void *a, const void *b)
{
	const struct evo_old *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static int
proc_cmp(const void *a, const void *b)
{
	const struct evo_proc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

/*
 * The sockets of the table (o->e, o->old) that b did not see and that stay
 * (an owner, not taken, seen no longer ago than keep_s), in cookie order,
 * into out when not NULL; returns how many.  A socket b saw without owner
 * (a map without it) gets its owner from the table instead.
 */
static size_t
stale_run(const struct ev_owners *o, struct evo_build *b, uint32_t keep_s, struct evo_old *out)
{
	size_t i = 0, j = 0, k = 0, ns = 0;
	uint64_t kt, ko, key;
	struct evo_old x;
	bool ok;

	while (j < o->n || k < o->nold) {
		kt = j < o->n ? ent_cookie(&o->e[j]) : UINT64_MAX;
		ko = k < o->nold ? o->old[k].cookie : UINT64_MAX;
		if (j < o->n && (k == o->nold || kt <= ko)) {
			x = (struct evo_old){ .cookie = kt, .pid = o->e[j++].pid, .seen_s = o->last_s };
		} else {
			x = o->old[k++];
		}
		key = x.cookie;
		ok = x.pid > 0 && x.seen_s >= keep_s;
		while (i < b->n && ent_cookie(&b->e[i]) < key)
			i++;
		if (i < b->n && ent_cookie(&b->e[i]) == key) {
			if (b->e[i].pid == 0 && ok)
				b->e[i].pid = x.pid;
			continue;	/* seen now */
		}
		if (!ok || ns >= EVO_MAX_SOCKETS)
			continue;
		if (out != NULL)
			out[ns] = x;
		ns++;
	}
	return ns;
}

/*
 * The names: those of the refresh, and the older ones no older than
 * keep_s (sorted by pid), into out when not NULL; returns how many.
 */
static size_t
names_run(const struct ev_owners *o, const struct evo_build *b, uint32_t keep_s,
    struct evo_proc *out)
{
	size_t i = 0, j = 0, nm = 0;
	const struct evo_proc *x;

	while (i < b->np || j < o->np) {
		if (j == o->np || (i < b->np && b->p[i].pid <= o->p[j].pid)) {
			x = &b->p[i++];
			while (j < o->np && o->p[j].pid == x->pid)
				j++;
		} else if (o->p[j].seen_s >= keep_s) {
			x = &o->p[j++];
		} else {
			j++;
			continue;
		}
		if (nm > 0 && out != NULL && out[nm - 1].pid == x->pid)
			continue;
		if (out != NULL)
			out[nm] = *x;
		nm++;
	}
	return nm;
}

/*
 * The entries: b's sockets become the table (its array is taken over, no
 * copy), those it did not see go to o->old.  Returns 0, or -1 when out of
 * memory (the table unchanged).
 */
static int
merge_ents(struct ev_owners *o, struct evo_build *b, uint32_t keep_s)
{
	size_t ns = stale_run(o, b, keep_s, NULL), i, n;
	struct evo_old *old = malloc((ns > 0 ? ns : 1) * sizeof(*old));

	if (old == NULL)
		return -1;
	stale_run(o, b, keep_s, old);
	/* Without owner (none found, none before) or twice: not kept. */
	for (i = n = 0; i < b->n; i++)
		if (b->e[i].pid > 0 && (n == 0 || ent_cookie(&b->e[n - 1]) != ent_cookie(&b->e[i])))
			b->e[n++] = b->e[i];
	free(o->e);
	o->e = b->e;
	o->n = n;
	b->e = NULL;
	b->n = b->cap = 0;
	free(o->old);
	o->old = old;
	o->nold = ns;
	o->last_s = b->s;
	return 0;
}

static int
merge_names(struct ev_owners *o, const struct evo_build *b, uint32_t keep_s)
{
	size_t nm = names_run(o, b, keep_s, NULL);
	struct evo_proc *p = malloc((nm > 0 ? nm : 1) * sizeof(*p));

	if (p == NULL)
		return -1;
	nm = names_run(o, b, keep_s, p);
	free(o->p);
	o->p = p;
	o->np = nm;
	return 0;
}

/*
 * Merge a refresh into the table (with mu held): the new entries and names,
 * and the old ones unseen but younger than EVO_KEEP_NS and not taken; the
 * listeners the same way.  Returns 0, or -1 (o->err set).
 */
static int
merge(struct ev_owners *o, struct evo_build *b)
{
	int64_t keep_ns = b->ns - o->born_ns - EVO_KEEP_NS;
	uint32_t keep_s = keep_ns <= 0 ? 0 : (uint32_t)(keep_ns / 1000000000);
	size_t i, k;

	/*
	 * Names first: a name is never dropped while an entry of its pid
	 * stays (the scan that saw the entry saw its process).
	 */
	if (merge_names(o, b, keep_s) < 0 || merge_ents(o, b, keep_s) < 0)
		return td_errf(&o->err, ENOMEM, "events: out of memory for the owner table");
	/* The listeners seen now, then the older ones still young. */
	for (i = k = 0; i < b->nl; i++)
		if (b->l[i].pid > 0)
			b->l[k++] = b->l[i];
	b->nl = k;
	for (i = 0; i < o->nl; i++)
		if (o->l[i].seen_ns >= b->ns - EVO_KEEP_NS && b->nl < EVO_MAX_LISTENERS &&
		    lsn_find(b->l, b->nl, o->l[i].family, &o->l[i].addr, o->l[i].port,
		    true) == NULL)
			b->l[b->nl++] = o->l[i];
	memcpy(o->l, b->l, b->nl * sizeof(*b->l));
	o->nl = b->nl;
	o->st.full += b->nfull;
	o->st.processes = b->ps.processes;
	o->st.unreadable = b->ps.unreadable;
	o->st.sockets = o->n + o->nold;
	o->st.listeners = o->nl;
	return 0;
}

/* Sort what a refresh found, for the merge (outside the lock). */
static void
build_sort(struct evo_build *b)
{
	if (b->n > 0)	/* e is NULL until a socket was kept: qsort wants an array */
		qsort(b->e, b->n, sizeof(*b->e), ent_cmp);
	if (b->np > 0)
		qsort(b->p, b->np, sizeof(*b->p), proc_cmp);
}

static int
scan_sock(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct ev_owners *o = arg;

	if (atomic_load_explicit(&o->quit, memory_order_relaxed))
		return td_errf(err, ECANCELED, "events: the owner scan was stopped");
	build_sock(&o->scan, sk);
	return 0;
}

static void
scan_map(void *arg, const struct procs_map *m, bool all, const struct procs_stats *st)
{
	struct ev_owners *o = arg;

	build_map(&o->scan, m, all, st);
}

/* One scan, then the merge under mu.  Returns 0 or -1 (o->err set). */
static int
refresh(struct ev_owners *o)
{
	/*
	 * Owners of every state, so that /proc is scanned once for all the
	 * held sockets (procs_collect) or, past its cap, for the inodes of
	 * these states: either way the map holds every socket asked for.
	 */
	struct td_source src = {
		.proc_root = o->proc_root, .family = o->family, .states = HELD_STATES,
		.want_owner = true, .any_order = true, .cancel = &o->quit,
		.owner_threads = 1,	/* in the background: one thread, whose CPU is the cost */
		.owner_map = scan_map, .owner_map_arg = o,
	};
	int64_t t0 = td_clock_ns(CLOCK_MONOTONIC), c0 = td_clock_ns(CLOCK_THREAD_CPUTIME_ID), wall, cost;
	struct evo_build *b = &o->scan;
	struct td_err err = { 0 };
	int rc;

	build_begin(o, b);
	rc = source_walk(&src, scan_sock, o, &err);
	source_close(&src);
	if (rc == 0 && (b->nomem || !b->mapped))
		rc = td_errf(&err, ENOMEM, "events: out of memory for the owner table");
	if (rc == 0)
		build_sort(b);
	wall = td_clock_ns(CLOCK_MONOTONIC) - t0;
	cost = td_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	pthread_mutex_lock(&o->mu);
	o->st.refreshes++;
	if (rc == 0)
		rc = merge(o, b);
	else
		o->err = err;
	if (rc < 0)
		o->st.failed++;
	build_release(b);
	o->st.last_ns = wall;
	o->st.last_cpu_ns = cost;
	o->st.total_cpu_ns += cost;
	if (wall > o->st.max_ns)
		o->st.max_ns = wall;
	/* By the CPU it took: the wall time of a loaded host is mostly waiting. */
	if (cost <= 0)
		cost = wall;
	o->next_mono = t0 + wall + (cost * EVO_COST_FACTOR > EVO_MIN_GAP_NS ?
	    cost * EVO_COST_FACTOR : EVO_MIN_GAP_NS);
	o->busy = false;
	pthread_mutex_unlock(&o->mu);
	return rc;
}

/* The scanner: one scan per request, so that the event loop never waits for /proc. */
static void *
scanner(void *arg)
{
	struct ev_owners *o = arg;

	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (!o->go && !o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->stop)
			break;
		o->go = false;
		pthread_mutex_unlock(&o->mu);
		(void)refresh(o);
		pthread_mutex_lock(&o->mu);
	}
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

struct ev_owners *
ev_owners_new(const char *proc_root, int family, struct td_err *err)
{
	struct ev_owners *o = calloc(1, sizeof(*o));
	sigset_t all, old;

	if (o == NULL) {
		td_errf(err, ENOMEM, "events: out of memory for the owner table");
		return NULL;
	}
	snprintf(o->proc_root, sizeof(o->proc_root), "%s", proc_root != NULL ? proc_root : "/proc");
	o->family = family;
	o->born_ns = td_clock_ns(CLOCK_REALTIME);
	pthread_mutex_init(&o->mu, NULL);
	pthread_cond_init(&o->cv, NULL);
	/* Signals stay with the main thread, which stops the run. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	o->threaded = pthread_create(&o->th, NULL, scanner, o) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return o;
}

void
ev_owners_free(struct ev_owners *o)
{
	if (o == NULL)
		return;
	if (o->threaded) {
		/* A scan under way stops within a few hundred descriptors. */
		atomic_store(&o->quit, true);
		pthread_mutex_lock(&o->mu);
		o->stop = true;
		pthread_cond_signal(&o->cv);
		pthread_mutex_unlock(&o->mu);
		pthread_join(o->th, NULL);
	}
	pthread_cond_destroy(&o->cv);
	pthread_mutex_destroy(&o->mu);
	free(o->e);
	free(o->old);
	free(o->p);
	build_release(&o->scan);
	build_release(&o->feed);
	free(o);
}

int
ev_owners_refresh(struct ev_owners *o, bool wait, struct td_err *err)
{
	pthread_mutex_lock(&o->mu);
	if (o->busy) {
		pthread_mutex_unlock(&o->mu);
		return 0;
	}
	o->busy = true;
	o->want = false;
	if (o->threaded && !wait) {
		o->go = true;
		pthread_cond_signal(&o->cv);
		pthread_mutex_unlock(&o->mu);
		return 0;
	}
	pthread_mutex_unlock(&o->mu);
	if (refresh(o) < 0) {
		pthread_mutex_lock(&o->mu);
		*err = o->err;
		pthread_mutex_unlock(&o->mu);
		return -1;
	}
	return 0;
}

bool
ev_owners_failed(struct ev_owners *o, struct td_err *err)
{
	bool failed;

	pthread_mutex_lock(&o->mu);
	failed = o->st.failed > 0;
	if (failed)
		*err = o->err;
	pthread_mutex_unlock(&o->mu);
	return failed;
}

void
ev_owners_want(struct ev_owners *o)
{
	pthread_mutex_lock(&o->mu);
	o->want = true;
	pthread_mutex_unlock(&o->mu);
}

bool
ev_owners_due(struct ev_owners *o, int64_t mono_ns)
{
	bool due;

	pthread_mutex_lock(&o->mu);
	due = o->want && !o->busy && mono_ns >= o->next_mono;
	pthread_mutex_unlock(&o->mu);
	return due;
}

/* The name of pid's process into comm (with mu held); false when it has none. */
static bool
name_of(const struct ev_owners *o, int32_t pid, char comm[16])
{
	struct evo_proc key = { .pid = pid }, *p;

	p = o->np > 0 ? bsearch(&key, o->p, o->np, sizeof(*o->p), proc_cmp) : NULL;
	if (p == NULL)
		return false;
	memcpy(comm, p->comm, sizeof(p->comm));
	return true;
}

bool
ev_owners_listener(struct ev_owners *o, int family, const struct in6_addr *addr,
    uint16_t port, int32_t *pid, char comm[16])
{
	const struct evo_lsn *l;
	bool found;

	pthread_mutex_lock(&o->mu);
	l = lsn_find(o->l, o->nl, family, addr, port, false);
	found = l != NULL && name_of(o, l->pid, comm);
	if (found)
		*pid = l->pid;
	pthread_mutex_unlock(&o->mu);
	return found;
}

unsigned int
ev_owners_fill(struct ev_owners *o, struct td_conn_ev *ev)
{
	struct evo_ent key = { .lo = (uint32_t)ev->sk.cookie, .hi = (uint32_t)(ev->sk.cookie >> 32) };
	struct evo_old okey = { .cookie = ev->sk.cookie }, *x;
	const struct evo_lsn *l;
	unsigned int from = EV_OWNER_NONE;
	uint32_t *pid = NULL;	/* the entry's owner, in the table or among the old */
	struct evo_ent *e;

	if (ev->pid > 0 && ev->comm[0] != '\0')
		return ev->owner_from;
	pthread_mutex_lock(&o->mu);
	if (ev->sk.cookie != 0) {
		e = o->n > 0 ? bsearch(&key, o->e, o->n, sizeof(*o->e), ent_cmp) : NULL;
		x = e == NULL && o->nold > 0 ?
		    bsearch(&okey, o->old, o->nold, sizeof(*o->old), old_cmp) : NULL;
		pid = e != NULL ? &e->pid : x != NULL ? &x->pid : NULL;
	}
	/*
	 * An accepted connection: its local address and port are those of a
	 * listener (a connect() is never given a port a listener holds:
	 * inet_csk_bind_conflict(), net/ipv4/inet_connection_sock.c).  A
	 * listener's own notification has no peer (dport 0) and is not one.
	 */
	l = (ev->role == EV_ROLE_UNKNOWN && ev->sk.dport != 0) || ev->role == EV_ROLE_PASSIVE ?
	    lsn_find(o->l, o->nl, ev->sk.family, &ev->sk.src, ev->sk.sport, false) : NULL;
	if (l != NULL && ev->role == EV_ROLE_UNKNOWN)
		ev->role = EV_ROLE_PASSIVE;
	/* A name is kept as long as an entry of its pid (merge()): found, unless out of memory. */
	if (pid != NULL && *pid > 0 && name_of(o, (int32_t)*pid, ev->comm)) {
		ev->pid = (int32_t)*pid;
		from = EV_OWNER_SOCKET;
		*pid = 0;	/* destroyed once; the next merge drops it */
		o->st.found_socket++;
	} else if (l != NULL && name_of(o, l->pid, ev->comm)) {
		ev->pid = l->pid;
		from = EV_OWNER_LISTENER;
		o->st.found_listener++;
	} else {
		o->st.unknown++;
		o->want = true;
		/* The traced task's name stays, with its tid: its process is unknown. */
		if (ev->comm[0] != '\0')
			from = ev->owner_from;
	}
	pthread_mutex_unlock(&o->mu);
	ev->owner_from = (uint8_t)from;
	return from;
}

void
ev_owners_feed_begin(struct ev_owners *o)
{
	build_begin(o, &o->feed);
}

void
ev_owners_feed_sock(struct ev_owners *o, const struct td_sock *sk)
{
	build_sock(&o->feed, sk);
}

void
ev_owners_feed_map(struct ev_owners *o, const struct procs_map *m, bool all,
    const struct procs_stats *st)
{
	build_map(&o->feed, m, all, st);
}

void
ev_owners_feed_end(struct ev_owners *o)
{
	struct evo_build *b = &o->feed;
	int64_t gap, now;

	if (!b->active || !b->mapped) {	/* the walk had no owner map: nothing learnt */
		build_release(b);
		return;
	}
	if (!b->nomem)
		build_sort(b);
	pthread_mutex_lock(&o->mu);
	o->st.feeds++;
	if (b->nomem) {
		td_errf(&o->err, ENOMEM, "events: out of memory for the owner table");
		o->st.failed++;
	} else if (merge(o, b) < 0) {
		o->st.failed++;
	} else if (b->all) {
		/*
		 * A refresh for nothing: a scan of its own is due again only
		 * once it would cost no more than the walk's own scan allows
		 * (EVO_COST_FACTOR times its CPU), so that walks coming more
		 * often than that leave the scanner idle.
		 */
		o->want = false;
		gap = b->ps.cpu_ns * EVO_COST_FACTOR;
		if (gap < EVO_MIN_GAP_NS)
			gap = EVO_MIN_GAP_NS;
		now = td_clock_ns(CLOCK_MONOTONIC);
		if (o->next_mono < now + gap)
			o->next_mono = now + gap;
	}
	pthread_mutex_unlock(&o->mu);
	build_release(b);
}

struct ev_owners_stats
ev_owners_stats(struct ev_owners *o)
{
	struct ev_owners_stats st;

	pthread_mutex_lock(&o->mu);
	st = o->st;
	pthread_mutex_unlock(&o->mu);
	return st;
}
