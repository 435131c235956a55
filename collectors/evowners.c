/* SPDX-License-Identifier: MIT */
/*
 * Owners of sockets before they go away (see evowners.h): a table of
 * cookies sorted for bsearch, merged with the previous one at every
 * refresh, and a short list of listeners.
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
#include "collectors/snapshot.h"
#include "collectors/source.h"
#include "core/util.h"

struct evo_ent {			/* 32 bytes */
	uint64_t	cookie;
	int32_t		pid;		/* 0: taken (its notification came) */
	uint32_t	seen_s;		/* last refresh that saw it held (ev_owners.born_ns + s) */
	char		comm[16];
};

struct evo_lsn {
	uint8_t		family;
	uint16_t	port;
	struct in6_addr	addr;
	int64_t		seen_ns;
	int32_t		pid;
	char		comm[16];
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
	struct evo_ent		*e;		/* sorted by cookie */
	size_t			 n;
	struct evo_lsn		 l[EVO_MAX_LISTENERS];
	size_t			 nl;
	int64_t			 next_mono;	/* no refresh before (CLOCK_MONOTONIC) */
	bool			 want;
	struct ev_owners_stats	 st;
	struct td_err		 err;		/* the last failed scan's error */
	/* The scan's own (one scan at a time). */
	struct evo_ent		*ne;		/* the refresh being built */
	size_t			 nn, ncap;
	struct evo_lsn		 nl_[EVO_MAX_LISTENERS];
	size_t			 nnl;
	uint64_t		 nfull;
	int64_t			 refresh_ns;	/* CLOCK_REALTIME of the refresh running */
	uint32_t		 refresh_s;	/* the same, in seconds since born_ns (evo_ent.seen_s) */
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

/* One held socket of the scan (source_walk with owners). */
static int
on_sock(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct ev_owners *o = arg;
	struct evo_ent *e, *grown;
	struct evo_lsn *l;
	size_t cap;

	if (atomic_load_explicit(&o->quit, memory_order_relaxed))
		return td_errf(err, ECANCELED, "events: the owner scan was stopped");
	if (!sk->has_owner || sk->pid <= 0)
		return 0;
	if (sk->state == TD_ST_LISTEN) {
		l = lsn_find(o->nl_, o->nnl, sk->family, &sk->src, sk->sport, true);
		if (l == NULL && o->nnl < EVO_MAX_LISTENERS) {
			l = &o->nl_[o->nnl++];
			l->family = sk->family;
			l->port = sk->sport;
			l->addr = sk->src;
		}
		if (l == NULL) {
			o->nfull++;
		} else {
			l->seen_ns = o->refresh_ns;
			l->pid = sk->pid;
			memcpy(l->comm, sk->comm, sizeof(l->comm));
		}
	}
	if (o->nn == o->ncap) {
		if (o->ncap >= EVO_MAX_SOCKETS) {
			o->nfull++;
			return 0;
		}
		/* The size the table had, and a quarter more: no copy in a steady run. */
		cap = o->ncap == 0 ? o->n + o->n / 4 : o->ncap * 2;
		if (cap < 1024)
			cap = 1024;
		if (cap > EVO_MAX_SOCKETS)
			cap = EVO_MAX_SOCKETS;
		grown = realloc(o->ne, cap * sizeof(*grown));
		if (grown == NULL)
			return td_errf(err, ENOMEM, "events: out of memory for the owner table");
		o->ne = grown;
		o->ncap = cap;
	}
	e = &o->ne[o->nn++];
	e->cookie = sk->cookie;
	e->seen_s = o->refresh_s;
	e->pid = sk->pid;
	memcpy(e->comm, sk->comm, sizeof(e->comm));
	return 0;
}

static int
ent_cmp(const void *a, const void *b)
{
	const struct evo_ent *x = a, *y = b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* States whose sockets have an inode, so an owner (not TIME_WAIT, not requests). */
#define HELD_STATES	(TD_STATES_ALL & ~(TD_STATE_BIT(TD_ST_TIME_WAIT) | \
    TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_NEW_SYN_RECV)))

/*
 * Merge the scan into the table (with mu held): the new entries, and the
 * old ones unseen but younger than EVO_KEEP_NS and not taken.
 */
static int
merge(struct ev_owners *o, int64_t now_ns)
{
	struct evo_ent *m;
	size_t i, j, k, nm;

	m = malloc((o->nn + o->n + 1) * sizeof(*m));
	if (m == NULL)
		return td_errf(&o->err, ENOMEM, "events: out of memory for the owner table");
	for (i = j = nm = 0; i < o->nn || j < o->n;) {
		if (j == o->n || (i < o->nn && o->ne[i].cookie <= o->e[j].cookie)) {
			if (j < o->n && o->e[j].cookie == o->ne[i].cookie)
				j++;
			if (nm == 0 || m[nm - 1].cookie != o->ne[i].cookie)
				m[nm++] = o->ne[i];
			i++;
		} else {
			if (o->e[j].pid > 0 &&
			    (int64_t)o->e[j].seen_s * 1000000000 >= now_ns - o->born_ns - EVO_KEEP_NS &&
			    nm < EVO_MAX_SOCKETS)
				m[nm++] = o->e[j];
			j++;
		}
	}
	free(o->e);
	o->e = m;
	o->n = nm;
	/* The scan's array is made again by the next one, sized by this table. */
	free(o->ne);
	o->ne = NULL;
	o->ncap = 0;
	/* The listeners seen now, then the older ones still young. */
	for (i = 0; i < o->nl; i++)
		if (o->l[i].seen_ns >= now_ns - EVO_KEEP_NS && o->nnl < EVO_MAX_LISTENERS &&
		    lsn_find(o->nl_, o->nnl, o->l[i].family, &o->l[i].addr, o->l[i].port,
		    true) == NULL)
			o->nl_[o->nnl++] = o->l[i];
	for (k = 0; k < o->nnl; k++)
		o->l[k] = o->nl_[k];
	o->nl = o->nnl;
	return 0;
}

/* One scan, then the merge under mu.  Returns 0 or -1 (o->err set). */
static int
refresh(struct ev_owners *o)
{
	struct td_source src = {
		.proc_root = o->proc_root, .family = o->family, .states = HELD_STATES,
		.want_owner = true, .any_order = true, .cancel = &o->quit,
	};
	int64_t t0 = td_clock_ns(CLOCK_MONOTONIC), c0 = td_clock_ns(CLOCK_THREAD_CPUTIME_ID), wall, cost;
	struct td_err err = { 0 };
	int rc;

	o->refresh_ns = td_clock_ns(CLOCK_REALTIME);
	o->refresh_s = o->refresh_ns > o->born_ns ?
	    (uint32_t)((o->refresh_ns - o->born_ns) / 1000000000) : 0;
	o->nn = 0;
	o->nnl = 0;
	o->nfull = 0;
	rc = source_walk(&src, on_sock, o, &err);
	source_close(&src);
	if (rc == 0 && o->nn > 0)	/* ne is NULL until a socket was kept: qsort wants an array */
		qsort(o->ne, o->nn, sizeof(*o->ne), ent_cmp);
	wall = td_clock_ns(CLOCK_MONOTONIC) - t0;
	cost = td_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	pthread_mutex_lock(&o->mu);
	o->st.refreshes++;
	if (rc == 0)
		rc = merge(o, o->refresh_ns);
	else
		o->err = err;
	if (rc == 0) {
		o->st.processes = src.procs.processes;
		o->st.unreadable = src.procs.unreadable;
		o->st.full += o->nfull;
	} else {
		o->st.failed++;
	}
	o->st.last_ns = wall;
	o->st.last_cpu_ns = cost;
	o->st.total_cpu_ns += cost;
	if (wall > o->st.max_ns)
		o->st.max_ns = wall;
	o->st.sockets = o->n;
	o->st.listeners = o->nl;
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
	free(o->ne);
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

bool
ev_owners_listener(struct ev_owners *o, int family, const struct in6_addr *addr,
    uint16_t port, int32_t *pid, char comm[16])
{
	const struct evo_lsn *l;
	bool found;

	pthread_mutex_lock(&o->mu);
	l = lsn_find(o->l, o->nl, family, addr, port, false);
	found = l != NULL;
	if (found) {
		*pid = l->pid;
		memcpy(comm, l->comm, 16);
	}
	pthread_mutex_unlock(&o->mu);
	return found;
}

unsigned int
ev_owners_fill(struct ev_owners *o, struct td_conn_ev *ev)
{
	struct evo_ent key = { .cookie = ev->sk.cookie }, *e;
	const struct evo_lsn *l;
	unsigned int from = EV_OWNER_NONE;

	if (ev->pid > 0 && ev->comm[0] != '\0')
		return ev->owner_from;
	pthread_mutex_lock(&o->mu);
	e = o->n > 0 && ev->sk.cookie != 0 ?
	    bsearch(&key, o->e, o->n, sizeof(*o->e), ent_cmp) : NULL;
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
	if (e != NULL && e->pid > 0) {
		ev->pid = e->pid;
		memcpy(ev->comm, e->comm, sizeof(ev->comm));
		from = EV_OWNER_SOCKET;
		e->pid = 0;	/* destroyed once; the next merge drops it */
		o->st.found_socket++;
	} else if (l != NULL) {
		ev->pid = l->pid;
		memcpy(ev->comm, l->comm, sizeof(ev->comm));
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

struct ev_owners_stats
ev_owners_stats(struct ev_owners *o)
{
	struct ev_owners_stats st;

	pthread_mutex_lock(&o->mu);
	st = o->st;
	pthread_mutex_unlock(&o->mu);
	return st;
}
