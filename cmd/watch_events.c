/* SPDX-License-Identifier: MIT */
/*
 * The connection events inside `watch` (see watch_events.h).
 *
 * One collector thread reads both streams, so that a burst between two
 * samples (or while the console is paused, or while the main thread is
 * in another namespace under -A) is read before the kernel's buffers
 * fill: the transitions go into the tracker (thread-private), the destroy
 * notifications wait EV_HOLD_NS in a queue so that the transitions of the
 * same socket are in first (they come from another file), then are joined
 * (events_track_destroy) and counted (events_agg_add) in the aggregates of
 * their namespace's slot.  The main thread takes a slot's aggregates at
 * each sample of that namespace, under the lock; nothing else is shared.
 *
 * The tracepoint reports every namespace and carries none: transitions of
 * the namespaces not watched are never claimed by a notification and only
 * take room in the tracker (its oldest entries make room, counted).  The
 * connect() timeout that tells a timed-out connect from an unreachable one
 * is the watching namespace's (tcp_syn_retries is per namespace).
 */
#include "cmd/watch_events.h"

#include <sys/eventfd.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "analyzers/analyzer.h"
#include "analyzers/tally.h"
#include "cmd/cmd.h"
#include "cmd/events.h"
#include "cmd/watch.h"
#include "collectors/events.h"
#include "collectors/evowners.h"
#include "collectors/recsample.h"
#include "collectors/sysctl.h"
#include "collectors/tracefs.h"
#include "core/util.h"
#include "tcp/tm.h"

#define EV_HOLD_NS	300000000LL	/* notifications wait this long for their transitions */
#define WEV_QUEUE	8192		/* notifications held at once */
#define WEV_TRACK	65536		/* connections followed at once */
#define WEV_SLOTS	1024		/* namespaces subscribed */
#define WEV_TICK_MS	50		/* the thread's period */
#define WEV_RCVBUF	(8 << 20)	/* the notifications' receive buffer */

struct wev_held {
	struct td_sock	sk;
	int64_t		t;
	int		slot;
};

struct wev_slot {
	struct events_sub	*sub;
	struct events_agg	*cur;		/* filled by the thread since the last sample */
	uint64_t		 lost;		/* events_lost(sub), read by the thread */
	struct td_conn_ev	*keep;		/* watch_events_keep(): the connections since */
	size_t			 nkeep;
	uint64_t		 over;		/* beyond WEV_KEEP */
	/*
	 * The owners of its sockets before they go (collectors/evowners.h), as
	 * `events` keeps them; made while the main thread is in the namespace,
	 * so that its scanner thread dumps that namespace.  NULL: none.
	 */
	struct ev_owners	*own;
	bool			 sampled;	/* its first sample is done: scans may start */
};

struct watch_events {
	pthread_mutex_t		 mu;
	pthread_t		 th;
	bool			 running;
	atomic_bool		 quit;
	int			 wake;		/* eventfd: readable once quit is set */
	int			 family;
	bool			 keep;		/* each connection, not only its counts */
	struct tracefs_session	*ts;
	struct events_tracker	*tr;
	char			 untraced[384];	/* why not traced, "" when traced */
	uint64_t		 tlost;		/* tracefs_lost(ts) */
	struct wev_held		*q;
	size_t			 qhead, qlen;
	struct wev_slot		 slot[WEV_SLOTS];
	size_t			 nslot;
	bool			 final;		/* watch_events_final(): no more scans */
	/*
	 * The owner scans of all namespaces together: one at a time, the next
	 * no sooner than EVO_COST_FACTOR times the CPU the last took (at least
	 * EVO_MIN_GAP_NS), taking the namespaces in turn, so that watch -A
	 * spends what one `events` would on /proc, not that per namespace.
	 */
	char			 proc_root[PATH_MAX];
	int64_t			 own_next;	/* CLOCK_MONOTONIC */
	size_t			 own_rr;
};

/* ---- The collector thread ---- */

static void
release_one(struct watch_events *we, const struct wev_held *h)
{
	struct td_conn_ev ev;
	struct wev_slot *s;

	events_track_destroy(we->tr, &h->sk, h->t, &ev);
	if (h->slot < 0 || (size_t)h->slot >= we->nslot || we->slot[h->slot].cur == NULL)
		return;
	s = &we->slot[h->slot];
	if (s->own != NULL)
		(void)ev_owners_fill(s->own, &ev);
	events_agg_add(s->cur, &ev);
	if (!we->keep)
		return;
	if (s->keep == NULL)
		s->keep = calloc(WEV_KEEP, sizeof(*s->keep));
	if (s->keep == NULL || s->nkeep == WEV_KEEP)
		s->over++;
	else
		s->keep[s->nkeep++] = ev;
}

/* The notifications held long enough (all with all); with the lock held. */
static void
release(struct watch_events *we, bool all)
{
	int64_t cut = td_real_ns() - EV_HOLD_NS;

	while (we->qlen > 0) {
		struct wev_held *h = &we->q[we->qhead];

		if (!all && we->tr != NULL && h->t > cut)
			break;
		release_one(we, h);
		we->qhead = (we->qhead + 1) % WEV_QUEUE;
		we->qlen--;
	}
}

struct destroy_arg {
	struct watch_events	*we;
	int			 slot;
};

static int
on_destroy(const struct td_sock *sk, int64_t t, void *arg, struct td_err *err)
{
	struct destroy_arg *a = arg;
	struct watch_events *we = a->we;
	struct wev_held *h;

	(void)err;
	if (we->qlen == WEV_QUEUE) {
		/* Full: the oldest goes now, joined with what is known. */
		release_one(we, &we->q[we->qhead]);
		we->qhead = (we->qhead + 1) % WEV_QUEUE;
		we->qlen--;
	}
	h = &we->q[(we->qhead + we->qlen) % WEV_QUEUE];
	h->sk = *sk;
	h->t = t;
	h->slot = a->slot;
	we->qlen++;
	return 0;
}

static int
on_trace(const struct td_trace_ev *ev, void *arg, struct td_err *err)
{
	struct watch_events *we = arg;

	(void)err;
	events_track_trace(we->tr, ev);
	return 0;
}

/*
 * Start the owner scan of the next namespace that wants one, when the
 * scans' common budget allows (struct watch_events, own_next); with the
 * lock held.  A scan runs in its namespace's scanner thread: this thread
 * only asks.
 */
static void
owners_tick(struct watch_events *we)
{
	struct ev_owners_stats st;
	struct td_err err;
	int64_t now = td_mono_ns(), gap;
	size_t i, k;

	if (we->nslot == 0 || now < we->own_next || we->final)
		return;
	for (i = 0; i < we->nslot; i++) {
		k = (we->own_rr + i) % we->nslot;
		/*
		 * Not before the namespace's first sample: the scan would run
		 * beside it (a million sockets: 650 ms of CPU and 12 MiB more,
		 * for a watch -n 1 that sees no interval).
		 */
		if (we->slot[k].own == NULL || !we->slot[k].sampled ||
		    !ev_owners_due(we->slot[k].own, now))
			continue;
		memset(&err, 0, sizeof(err));
		(void)ev_owners_refresh(we->slot[k].own, false, &err);
		st = ev_owners_stats(we->slot[k].own);
		gap = st.last_cpu_ns * EVO_COST_FACTOR;
		we->own_next = now + (gap > EVO_MIN_GAP_NS ? gap : EVO_MIN_GAP_NS);
		we->own_rr = k + 1;
		return;
	}
}

static void *
collector(void *arg)
{
	struct watch_events *we = arg;
	struct destroy_arg da = { .we = we };
	struct td_err err;
	unsigned int tick = 0;
	size_t i;
	int rc;

	while (!atomic_load_explicit(&we->quit, memory_order_acquire)) {
		/* The tracker is this thread's own: the wait needs no lock. */
		if (we->ts != NULL) {
			memset(&err, 0, sizeof(err));
			if (tracefs_poll(we->ts, WEV_TICK_MS, on_trace, we, &err) < 0) {
				struct tracefs_session *ts = we->ts;

				pthread_mutex_lock(&we->mu);
				snprintf(we->untraced, sizeof(we->untraced), "reading the trace failed: %.300s",
				    err.msg);
				we->ts = NULL;		/* the samples read it under the lock */
				pthread_mutex_unlock(&we->mu);
				tracefs_close(ts);
			}
		} else {
			struct pollfd p = { .fd = we->wake, .events = POLLIN };

			(void)poll(&p, we->wake >= 0 ? 1 : 0, WEV_TICK_MS);
		}
		pthread_mutex_lock(&we->mu);
		for (i = 0; i < we->nslot; i++) {
			if (we->slot[i].sub == NULL)
				continue;
			da.slot = (int)i;
			memset(&err, 0, sizeof(err));
			rc = events_poll(we->slot[i].sub, 0, on_destroy, &da, &err);
			(void)rc;	/* a failed read: what it lost is counted below */
			we->slot[i].lost = events_lost(we->slot[i].sub);
		}
		release(we, false);
		owners_tick(we);
		if (we->ts != NULL && tick++ % 10 == 0)
			we->tlost = tracefs_lost(we->ts);
		pthread_mutex_unlock(&we->mu);
	}
	return NULL;
}

/* ---- Start, attach, stop ---- */

struct watch_events *
watch_events_start(const struct td_ctx *ctx, int64_t syn_giveup_ns, unsigned int syn_rtx)
{
	struct watch_events *we;
	struct tracefs_opts to = { 0 };
	struct td_err err = { 0 };
	sigset_t all, old;

	we = calloc(1, sizeof(*we));
	if (we == NULL)
		return NULL;
	we->q = calloc(WEV_QUEUE, sizeof(*we->q));
	if (we->q == NULL) {
		free(we);
		return NULL;
	}
	pthread_mutex_init(&we->mu, NULL);
	/* watch_events_stop() wakes the thread through it, not after a tick. */
	we->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	we->family = ctx->family;
	snprintf(we->proc_root, sizeof(we->proc_root), "%s",
	    ctx->proc_root != NULL ? ctx->proc_root : "/proc");
	we->tr = events_tracker_new(WEV_TRACK, syn_giveup_ns, syn_rtx, &err);
	if (we->tr == NULL) {
		snprintf(we->untraced, sizeof(we->untraced), "%s", err.msg);
	} else {
		/*
		 * The resets too where the kernel has their events (a refused
		 * connect() is then told from an unreachable one by the RST
		 * itself); else the transitions alone.
		 */
		to.events = TD_TRACE_BIT(TD_TRACE_STATE) | TD_TRACE_BIT(TD_TRACE_SEND_RESET) |
		    TD_TRACE_BIT(TD_TRACE_RECEIVE_RESET);
		we->ts = tracefs_open(&to, &err);
		if (we->ts == NULL && err.code != EPERM && err.code != EACCES) {
			memset(&err, 0, sizeof(err));
			to.events = TD_TRACE_BIT(TD_TRACE_STATE);
			we->ts = tracefs_open(&to, &err);
		}
		if (we->ts == NULL) {
			snprintf(we->untraced, sizeof(we->untraced), "transitions not traced (%.250s): "
			    "lifetimes unknown, outcomes judged from the final tcp_info", err.msg);
			events_tracker_free(we->tr);
			we->tr = NULL;
		} else {
			events_tracker_resets(we->tr,
			    (to.events & TD_TRACE_BIT(TD_TRACE_RECEIVE_RESET)) != 0);
			tracefs_wake_on(we->ts, we->wake);
		}
	}
	/* Signals stay with the main thread, which stops watch. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	we->running = pthread_create(&we->th, NULL, collector, we) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!we->running) {
		tracefs_close(we->ts);
		events_tracker_free(we->tr);
		if (we->wake >= 0)
			close(we->wake);
		pthread_mutex_destroy(&we->mu);
		free(we->q);
		free(we);
		return NULL;
	}
	return we;
}

void
watch_events_keep(struct watch_events *we)
{
	if (we != NULL)
		we->keep = true;
}

static struct watch_ev *
ev_of(struct watch *w)
{
	if (w->ev == NULL) {
		w->ev = calloc(1, sizeof(*w->ev));
		if (w->ev == NULL)
			return NULL;
		w->ev->slot = -1;
	}
	return w->ev;
}

int
watch_events_attach(struct watch_events *we, struct watch *w, const char **why)
{
	struct watch_ev *e = ev_of(w);
	struct events_agg *cur = NULL;
	struct events_sub *sub;
	struct td_err err = { 0 };

	*why = NULL;
	if (e == NULL)
		return -1;
	if (e->slot >= 0 || e->why[0] != '\0')
		return e->available ? 0 : -1;
	if (we == NULL) {
		snprintf(e->why, sizeof(e->why), "connection events unavailable: out of memory");
		*why = e->why;
		return -1;
	}
	e->iv = calloc(1, sizeof(*e->iv));
	e->tot = calloc(1, sizeof(*e->tot));
	cur = calloc(1, sizeof(*cur));
	if (e->iv == NULL || e->tot == NULL || cur == NULL) {
		free(cur);
		snprintf(e->why, sizeof(e->why), "connection events unavailable: out of memory");
		*why = e->why;
		return -1;
	}
	sub = events_open(we->family, WEV_RCVBUF, &err);
	if (sub == NULL) {
		free(cur);
		snprintf(e->why, sizeof(e->why), "connection events unavailable: %s",
		    strncmp(err.msg, "events: ", 8) == 0 ? err.msg + 8 : err.msg);
		*why = e->why;
		return -1;
	}
	pthread_mutex_lock(&we->mu);
	if (we->nslot == WEV_SLOTS) {
		pthread_mutex_unlock(&we->mu);
		events_close(sub);
		free(cur);
		snprintf(e->why, sizeof(e->why), "connection events unavailable: more than %d namespaces",
		    WEV_SLOTS);
		*why = e->why;
		return -1;
	}
	e->slot = (int)we->nslot;
	we->slot[we->nslot].sub = sub;
	we->slot[we->nslot].cur = cur;
	/* Without it (out of memory) the connections go without owners, as untraced ones. */
	we->slot[we->nslot].own = ev_owners_new(we->proc_root, we->family, &err);
	if (we->slot[we->nslot].own != NULL)
		ev_owners_want(we->slot[we->nslot].own);	/* the first scan, in turn */
	e->own = we->slot[we->nslot].own;
	we->nslot++;
	e->traced = we->ts != NULL;
	snprintf(e->why, sizeof(e->why), "%s", we->untraced);
	pthread_mutex_unlock(&we->mu);
	e->available = true;
	if (!e->traced)
		*why = e->why;
	return 0;
}

void
watch_events_final(struct watch_events *we)
{
	if (we == NULL)
		return;
	pthread_mutex_lock(&we->mu);
	we->final = true;
	pthread_mutex_unlock(&we->mu);
}

void
watch_events_stop(struct watch_events *we)
{
	size_t i;

	if (we == NULL)
		return;
	atomic_store_explicit(&we->quit, true, memory_order_release);
	if (we->wake >= 0)
		(void)eventfd_write(we->wake, 1);
	if (we->running)
		pthread_join(we->th, NULL);
	if (we->wake >= 0)
		close(we->wake);
	for (i = 0; i < we->nslot; i++) {
		events_close(we->slot[i].sub);
		ev_owners_free(we->slot[i].own);
		free(we->slot[i].cur);
		free(we->slot[i].keep);
	}
	tracefs_close(we->ts);
	events_tracker_free(we->tr);
	pthread_mutex_destroy(&we->mu);
	free(we->q);
	free(we);
}

void
watch_ev_free(struct watch *w)
{
	if (w->ev == NULL)
		return;
	free(w->ev->iv);
	free(w->ev->tot);
	free(w->ev->conns);
	free(w->ev->next);
	free(w->ev);
	w->ev = NULL;
}

/* ---- Samples ---- */

static bool
key_eq(const struct wev_key *k, int family, const struct in6_addr *a, uint16_t port)
{
	return k->family == family && k->port == port && memcmp(k->addr, a, 16) == 0;
}

void
watch_events_begin(struct watch_events *we, struct watch *w)
{
	/* Not for the last sample: the events after it are not followed. */
	if (we != NULL && !we->final && w->ev != NULL && w->ev->available && w->ev->own != NULL)
		ev_owners_feed_begin(w->ev->own);
}

void
watch_events_owner_map(struct watch *w, const struct procs_map *m, bool all,
    const struct procs_stats *st)
{
	if (w->ev != NULL && w->ev->available && w->ev->own != NULL)
		ev_owners_feed_map(w->ev->own, m, all, st);
}

void
watch_events_visit(struct watch *w, const struct td_sock *sk)
{
	struct watch_ev *e = w->ev;
	size_t i;

	if (e == NULL || !e->available)
		return;
	if (e->own != NULL)
		ev_owners_feed_sock(e->own, sk);
	if (sk->state != TD_ST_LISTEN || !sk->has_skmem)
		return;
	for (i = 0; i < e->nlsn; i++)
		if (key_eq(&e->lsn[i].k, sk->family, &sk->src, sk->sport))
			break;
	if (i == e->nlsn) {
		if (e->nlsn == WEV_LSN)
			return;
		memset(&e->lsn[i], 0, sizeof(e->lsn[i]));
		e->lsn[i].k.family = sk->family;
		e->lsn[i].k.port = sk->sport;
		memcpy(e->lsn[i].k.addr, &sk->src, 16);
		e->nlsn++;
	}
	e->lsn[i].drops = sk->skmem.drops;
	e->lsn[i].seen = true;
}

/* Add the counts of r into t (same key, or t the "other" row). */
static void
add_row(struct ev_dest *t, const struct ev_dest *r)
{
	size_t k;

	for (k = 0; k < EV_OUTCOME_MAX; k++)
		t->n[k] += r->n[k];
	t->opened += r->opened;
	t->succeeded += r->succeeded;
	t->bytes_sent += r->bytes_sent;
	t->bytes_received += r->bytes_received;
	t->life_sum_ms += r->life_sum_ms;
	t->life_n += r->life_n;
	if (r->life_max_ms > t->life_max_ms)
		t->life_max_ms = r->life_max_ms;
	t->died_young += r->died_young;
	t->dropped += r->dropped;
	if (t->comm[0] == '\0' && r->comm[0] != '\0') {
		memcpy(t->comm, r->comm, sizeof(t->comm));
		t->pid = r->pid;
	}
}

/* Add row r (of the interval) into the run's rows. */
static void
merge_row(struct ev_dest *rows, size_t *n, uint64_t *other, const struct ev_dest *r)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (rows[i].family == r->family && rows[i].port == r->port &&
		    memcmp(&rows[i].addr, &r->addr, sizeof(r->addr)) == 0) {
			add_row(&rows[i], r);
			return;
		}
	if (*n == EV_AGG_CAP) {
		*other += r->opened;
		return;
	}
	rows[(*n)++] = *r;
}

/* The listeners of the latest sample get their rows in a (the next interval) beforehand. */
static void
seed_listeners(const struct watch_ev *e, struct events_agg *a)
{
	size_t i;

	/* Listeners first, so a connection accepted on a wildcard address finds its row. */
	for (i = 0; i < e->nlsn; i++)
		if (e->lsn[i].seen)
			(void)events_agg_listener(a, e->lsn[i].k.family,
			    (const struct in6_addr *)e->lsn[i].k.addr, e->lsn[i].k.port);
}

/*
 * The interval e->iv is complete: the listeners' drops since the previous
 * sample, the run's totals, and the findings the interval supports.
 */
static int
interval_close(struct watch *w, const struct td_snapshot *snap, struct td_findings *out,
    struct td_err *err)
{
	struct watch_ev *e = w->ev;
	struct ev_dest *row;
	struct tm_profile prof;
	size_t i;

	e->iv_s = w->samples > 0 ? (double)(snap->meta.time_ns - w->last_ns) / 1e9 : 0;
	/* The listeners' drops since the previous sample. */
	for (i = 0; i < e->nlsn; i++) {
		if (!e->lsn[i].seen)
			continue;
		if (e->lsn[i].known && e->lsn[i].drops > e->lsn[i].prev) {
			row = events_agg_listener(e->iv, e->lsn[i].k.family,
			    (const struct in6_addr *)e->lsn[i].k.addr, e->lsn[i].k.port);
			if (row != NULL)
				row->dropped += e->lsn[i].drops - e->lsn[i].prev;
		}
		e->lsn[i].prev = e->lsn[i].drops;
		e->lsn[i].known = true;
		e->lsn[i].seen = false;
	}
	e->tot->total += e->iv->total;
	e->tot->other += e->iv->other;
	for (i = 0; i < e->iv->ndest; i++)
		merge_row(e->tot->dest, &e->tot->ndest, &e->tot->other, &e->iv->dest[i]);
	for (i = 0; i < e->iv->nlsn; i++)
		merge_row(e->tot->lsn, &e->tot->nlsn, &e->tot->other, &e->iv->lsn[i]);
	/* Findings from the interval; watch starts and clears them with hysteresis. */
	prof = tm_profile_from_values(sysctl_value, &snap->sys);
	return analyzer_events_findings(e->iv, snap, (double)tm_syn_giveup(&prof) / 1e9, out, err);
}

int
watch_events_sample(struct watch_events *we, struct watch *w, const struct td_snapshot *snap,
    struct td_findings *out, struct td_err *err)
{
	struct watch_ev *e = w->ev;
	struct events_agg *a;
	struct wev_slot *s;
	uint64_t lost, tlost;

	if (we == NULL || e == NULL || !e->available)
		return 0;
	s = &we->slot[e->slot];
	/* The owners the sample's walk found (before scans may start: sampled). */
	if (e->own != NULL)
		ev_owners_feed_end(e->own);
	pthread_mutex_lock(&we->mu);
	s->sampled = true;
	/* What the thread filled becomes the interval; it starts an empty one. */
	a = s->cur;
	s->cur = e->iv;
	e->iv = a;
	memset(s->cur, 0, sizeof(*s->cur));
	/* The connections kept, the same way (the thread allocates a list when it needs one). */
	if (we->keep) {
		struct td_conn_ev *c = s->keep;

		s->keep = e->conns;
		e->conns = c;
		e->nconns = s->nkeep;
		e->conns_over = s->over;
		s->nkeep = 0;
		s->over = 0;
	}
	seed_listeners(e, s->cur);
	lost = s->lost;
	tlost = we->tlost;
	e->traced = we->ts != NULL;
	snprintf(e->why, sizeof(e->why), "%s", we->untraced);
	pthread_mutex_unlock(&we->mu);

	e->lost_iv = lost - e->lost_seen;
	e->lost_seen = lost;
	e->lost = lost;
	e->tlost_iv = tlost - e->tlost_seen;
	e->tlost_seen = tlost;
	e->tlost = tlost;
	return interval_close(w, snap, out, err);
}

static uint64_t
jcount(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ? (uint64_t)json_integer_value(v) : 0;
}

int
watch_events_replay(struct watch *w, const struct rec_sample *rs, const struct td_snapshot *snap,
    struct td_findings *out, struct td_err *err)
{
	const json_t *j = json_object_get(rs->watch, "events"), *run, *r;
	struct watch_ev *e = ev_of(w);
	struct events_agg *a;
	struct td_conn_ev ev;
	const char *bad, *s;
	int64_t t;
	size_t i;

	if (e == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	if (!json_is_true(json_object_get(j, "available"))) {
		e->available = false;
		s = json_string_value(json_object_get(j, "reason"));
		snprintf(e->why, sizeof(e->why), "%s", s != NULL ? s : json_is_object(j) ?
		    "events unavailable" : "the recording has no events (watch --no-events)");
		return 0;
	}
	if (e->iv == NULL && (e->iv = calloc(1, sizeof(*e->iv))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	if (e->tot == NULL && (e->tot = calloc(1, sizeof(*e->tot))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	if (e->next == NULL && (e->next = calloc(1, sizeof(*e->next))) == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	/* The first sample's listeners were walked before e existed: seen now, as live. */
	if (!e->available)
		for (e->available = true, i = 0; i < rs->n; i++)
			watch_events_visit(w, &rs->socks[i]);
	e->traced = json_is_true(json_object_get(j, "traced"));
	s = json_string_value(json_object_get(j, "reason"));
	snprintf(e->why, sizeof(e->why), "%s", s != NULL ? s : "");
	/* The interval: the listeners' rows made at the previous sample, then its connections. */
	a = e->iv;
	e->iv = e->next;
	e->next = a;
	json_array_foreach(rs->events, i, r) {
		s = json_string_value(json_object_get(r, "type"));
		if (s == NULL || strcmp(s, "connection") != 0)
			continue;
		s = json_string_value(json_object_get(r, "time"));
		if (s == NULL || rec_parse_time(s, &t) < 0)
			return td_errf(err, EBADMSG, "recording: sample %llu: a connection without its "
			    "time", (unsigned long long)rs->seq);
		if ((bad = events_conn_from_json(r, t, &ev)) != NULL)
			return td_errf(err, EBADMSG, "recording: sample %llu: a connection with a bad or "
			    "missing '%s'", (unsigned long long)rs->seq, bad);
		events_agg_add(e->iv, &ev);
	}
	/*
	 * Connections beyond what watch kept one by one (WEV_KEEP) are in
	 * the recorded count only: counted, with no row ("other").
	 */
	if (jcount(json_object_get(j, "interval"), "connections") > e->iv->total) {
		e->iv->other += jcount(json_object_get(j, "interval"), "connections") - e->iv->total;
		e->iv->total = jcount(json_object_get(j, "interval"), "connections");
	}
	memset(e->next, 0, sizeof(*e->next));
	seed_listeners(e, e->next);
	/* What watch counted as lost, as it said it. */
	run = json_object_get(j, "run");
	e->lost_iv = jcount(j, "lost_notifications");
	e->tlost_iv = jcount(j, "lost_transitions");
	e->lost = jcount(run, "lost_notifications");
	e->tlost = jcount(run, "lost_transitions");
	return interval_close(w, snap, out, err);
}

/* ---- Outputs ---- */

static json_t *
ju64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

static uint64_t
failed_of(const struct ev_dest *d)
{
	return d->n[EV_REFUSED] + d->n[EV_TIMED_OUT] + d->n[EV_UNREACHABLE] + d->n[EV_ABANDONED] +
	    d->n[EV_CONNECT_FAILED] + d->n[EV_NO_PORT];
}

static json_t *
row_json(const struct ev_dest *d, bool listener)
{
	struct td_sock tmp = { .family = d->family };
	char addr[INET6_ADDRSTRLEN];
	json_t *o = json_object();

	td_addr_str(&tmp, &d->addr, addr, sizeof(addr));
	json_object_set_new(o, listener ? "src" : "dst", json_string(addr));
	json_object_set_new(o, listener ? "sport" : "dport", json_integer(d->port));
	if (listener) {
		json_object_set_new(o, "accepted", ju64(d->opened));
		json_object_set_new(o, "reset", ju64(d->n[EV_RESET]));
		json_object_set_new(o, "dropped", ju64(d->dropped));
	} else {
		json_object_set_new(o, "opened", ju64(d->opened));
		json_object_set_new(o, "succeeded", ju64(d->succeeded));
		json_object_set_new(o, "refused", ju64(d->n[EV_REFUSED]));
		json_object_set_new(o, "timed_out", ju64(d->n[EV_TIMED_OUT]));
		json_object_set_new(o, "unreachable", ju64(d->n[EV_UNREACHABLE]));
		json_object_set_new(o, "failed", ju64(failed_of(d)));
		json_object_set_new(o, "reset", ju64(d->n[EV_RESET]));
	}
	json_object_set_new(o, "died_young", ju64(d->died_young));
	json_object_set_new(o, "bytes_sent", ju64(d->bytes_sent));
	json_object_set_new(o, "bytes_received", ju64(d->bytes_received));
	json_object_set_new(o, "lifetime_avg_ms", d->life_n > 0 ? ju64(d->life_sum_ms / d->life_n) :
	    json_null());
	json_object_set_new(o, "lifetime_max_ms", d->life_n > 0 ? ju64(d->life_max_ms) : json_null());
	json_object_set_new(o, "comm", d->comm[0] != '\0' ? json_string(d->comm) : json_null());
	return o;
}

static json_t *
agg_json(const struct events_agg *a)
{
	json_t *o = json_object(), *d = json_array(), *l = json_array();
	size_t i;

	json_object_set_new(o, "connections", ju64(a->total));
	for (i = 0; i < a->ndest; i++)
		json_array_append_new(d, row_json(&a->dest[i], false));
	for (i = 0; i < a->nlsn; i++)
		json_array_append_new(l, row_json(&a->lsn[i], true));
	json_object_set_new(o, "destinations", d);
	json_object_set_new(o, "listeners", l);
	json_object_set_new(o, "other", ju64(a->other));
	return o;
}

json_t *
watch_events_json(const struct watch *w)
{
	const struct watch_ev *e = w->ev;
	json_t *o = json_object(), *t;

	json_object_set_new(o, "available", json_boolean(e != NULL && e->available));
	if (e == NULL || !e->available) {
		json_object_set_new(o, "reason", json_string(e != NULL && e->why[0] != '\0' ? e->why :
		    "events unavailable"));
		return o;
	}
	json_object_set_new(o, "traced", json_boolean(e->traced));
	json_object_set_new(o, "reason", e->why[0] != '\0' ? json_string(e->why) : json_null());
	json_object_set_new(o, "lost_notifications", ju64(e->lost_iv));
	json_object_set_new(o, "lost_transitions", e->traced ? ju64(e->tlost_iv) : json_null());
	json_object_set_new(o, "interval", agg_json(e->iv));
	t = json_object();
	json_object_set_new(t, "connections", ju64(e->tot->total));
	json_object_set_new(t, "lost_notifications", ju64(e->lost));
	json_object_set_new(t, "lost_transitions", e->traced ? ju64(e->tlost) : json_null());
	json_object_set_new(o, "run", t);
	return o;
}

void
watch_events_table_head(FILE *fp)
{
	fprintf(fp, " %6s %6s %6s %6s %6s", "conns", "refusd", "tmout", "rstest", "lost");
}

/* conns, refusd, tmout, rstest, lost; NULL: unknown ("?"). */
static void
table_cells(FILE *fp, const uint64_t *v)
{
	if (v == NULL)
		fprintf(fp, " %6s %6s %6s %6s %6s", "?", "?", "?", "?", "?");
	else
		fprintf(fp, " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64 " %6" PRIu64, v[0],
		    v[1], v[2], v[3], v[4]);
}

void
watch_events_table_cells(FILE *fp, const struct watch *w)
{
	const struct watch_ev *e = w->ev;
	uint64_t refused = 0, tmo = 0, rst = 0;
	size_t i;

	if (e == NULL || !e->available) {
		table_cells(fp, NULL);
		return;
	}
	for (i = 0; i < e->iv->ndest; i++) {
		refused += e->iv->dest[i].n[EV_REFUSED];
		tmo += e->iv->dest[i].n[EV_TIMED_OUT];
		rst += e->iv->dest[i].n[EV_RESET];
	}
	for (i = 0; i < e->iv->nlsn; i++)
		rst += e->iv->lsn[i].n[EV_RESET];
	table_cells(fp, (const uint64_t []){ e->iv->total, refused, tmo, rst, e->lost_iv + e->tlost_iv });
}

void
watch_events_table_cells_json(FILE *fp, const json_t *ev)
{
	const json_t *iv = json_object_get(ev, "interval"), *r;
	uint64_t refused = 0, tmo = 0, rst = 0;
	size_t i;

	if (!json_is_true(json_object_get(ev, "available"))) {
		table_cells(fp, NULL);
		return;
	}
	json_array_foreach(json_object_get(iv, "destinations"), i, r) {
		refused += jcount(r, "refused");
		tmo += jcount(r, "timed_out");
		rst += jcount(r, "reset");
	}
	json_array_foreach(json_object_get(iv, "listeners"), i, r)
		rst += jcount(r, "reset");
	table_cells(fp, (const uint64_t []){ jcount(iv, "connections"), refused, tmo, rst,
	    jcount(ev, "lost_notifications") + jcount(ev, "lost_transitions") });
}

/* The label value of a row: its own ("198.18.0.2:80") or "other". */
static const char *
prom_label(struct wev_key *keys, size_t *n, const struct ev_dest *d, char *buf, size_t len)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (key_eq(&keys[i], d->family, &d->addr, d->port))
			break;
	if (i == *n) {
		/*
		 * Labels are handed out in order of first sight and kept: a
		 * row that once summed into "other" stays there, so no
		 * counter ever goes down.
		 */
		if (*n == WEV_PROM_TOP)
			return "other";
		keys[i].family = d->family;
		keys[i].port = d->port;
		memcpy(keys[i].addr, &d->addr, 16);
		(*n)++;
	}
	return td_ep_str(&d->addr, d->port, buf, len);
}

/* A table of the run's rows by label, "other" last, for one family of counters. */
struct prow {
	char		label[64];
	const struct ev_dest *d;	/* NULL: other */
};

int
watch_events_prometheus(FILE *fp, const struct watch *w)
{
	static const struct { const char *name; unsigned int outcome; } dkinds[] = {
		{ "refused", EV_REFUSED }, { "timed_out", EV_TIMED_OUT },
		{ "unreachable", EV_UNREACHABLE }, { "reset", EV_RESET },
	};
	struct watch_ev *e = w->ev;
	struct prow rows[WEV_PROM_TOP];
	struct ev_dest other;
	char buf[64];
	const char *l;
	size_t i, k, n;
	int pass;

	fputs("# HELP tcpdoctor_events_available Whether watch reads the connection events "
	    "(sock_diag destroy notifications); 0: the event counters are unknown\n"
	    "# TYPE tcpdoctor_events_available gauge\n", fp);
	fprintf(fp, "tcpdoctor_events_available %d\n", e != NULL && e->available ? 1 : 0);
	if (e == NULL || !e->available)
		return ferror(fp) ? -1 : 0;
	fputs("# HELP tcpdoctor_events_lost_total Connection events lost (notifications: the "
	    "receive buffer was full; transitions: the trace buffer overflowed)\n"
	    "# TYPE tcpdoctor_events_lost_total counter\n", fp);
	fprintf(fp, "tcpdoctor_events_lost_total{stream=\"notifications\"} %" PRIu64 "\n", e->lost);
	if (e->traced)
		fprintf(fp, "tcpdoctor_events_lost_total{stream=\"transitions\"} %" PRIu64 "\n",
		    e->tlost);
	fputs("# HELP tcpdoctor_events_connections_total Connections that ended, counted from the "
	    "destroy notifications\n# TYPE tcpdoctor_events_connections_total counter\n", fp);
	fprintf(fp, "tcpdoctor_events_connections_total %" PRIu64 "\n", e->tot->total);
	for (pass = 0; pass < 2; pass++) {
		const struct ev_dest *v = pass == 0 ? e->tot->dest : e->tot->lsn;
		size_t nv = pass == 0 ? e->tot->ndest : e->tot->nlsn;
		const char *lab = pass == 0 ? "destination" : "listener";

		memset(&other, 0, sizeof(other));
		n = 0;
		for (i = 0; i < nv; i++) {
			l = pass == 0 ? prom_label(e->pdest, &e->npdest, &v[i], buf, sizeof(buf)) :
			    prom_label(e->plsn, &e->nplsn, &v[i], buf, sizeof(buf));
			if (strcmp(l, "other") == 0 || n == WEV_PROM_TOP) {
				add_row(&other, &v[i]);
				continue;
			}
			snprintf(rows[n].label, sizeof(rows[n].label), "%s", l);
			rows[n++].d = &v[i];
		}
		if (pass == 0) {
			fputs("# HELP tcpdoctor_destination_connections_total connect()s per destination "
			    "by outcome (opened, succeeded, refused, timed_out, unreachable, reset after "
			    "establishment); the first 16 destinations seen have a label, the rest are "
			    "summed in destination=\"other\"\n"
			    "# TYPE tcpdoctor_destination_connections_total counter\n", fp);
		} else {
			fputs("# HELP tcpdoctor_listener_connections_total Connections per listener by "
			    "outcome (accepted, reset, dropped: its sk_drops grew, accept queue "
			    "overflows and other SYN drops); the first 16 listeners seen have a label, "
			    "the rest are summed in listener=\"other\"\n"
			    "# TYPE tcpdoctor_listener_connections_total counter\n", fp);
		}
		for (i = 0; i <= n; i++) {
			const struct ev_dest *d = i < n ? rows[i].d : &other;
			const char *name = i < n ? rows[i].label : "other";
			const char *fam = pass == 0 ? "tcpdoctor_destination_connections_total" :
			    "tcpdoctor_listener_connections_total";

			if (pass == 0) {
				fprintf(fp, "%s{%s=\"%s\",outcome=\"opened\"} %" PRIu64 "\n", fam, lab, name,
				    d->opened);
				fprintf(fp, "%s{%s=\"%s\",outcome=\"succeeded\"} %" PRIu64 "\n", fam, lab,
				    name, d->succeeded);
				for (k = 0; k < sizeof(dkinds) / sizeof(dkinds[0]); k++)
					fprintf(fp, "%s{%s=\"%s\",outcome=\"%s\"} %" PRIu64 "\n", fam, lab,
					    name, dkinds[k].name, d->n[dkinds[k].outcome]);
			} else {
				fprintf(fp, "%s{%s=\"%s\",outcome=\"accepted\"} %" PRIu64 "\n", fam, lab,
				    name, d->opened);
				fprintf(fp, "%s{%s=\"%s\",outcome=\"reset\"} %" PRIu64 "\n", fam, lab, name,
				    d->n[EV_RESET]);
				fprintf(fp, "%s{%s=\"%s\",outcome=\"dropped\"} %" PRIu64 "\n", fam, lab,
				    name, d->dropped);
			}
		}
	}
	return ferror(fp) ? -1 : 0;
}

void
watch_events_summary(FILE *fp, const struct watch *w)
{
	const struct watch_ev *e = w->ev;

	if (e == NULL || !e->available) {
		fprintf(fp, "  connections: unknown (%s)\n", e != NULL && e->why[0] != '\0' ? e->why :
		    "events unavailable");
		return;
	}
	fprintf(fp, "  connections: %" PRIu64 " ended (from the destroy notifications), %" PRIu64
	    " notifications lost", e->tot->total, e->lost);
	if (e->traced)
		fprintf(fp, ", %" PRIu64 " transitions lost\n", e->tlost);
	else
		fprintf(fp, " (untraced: lifetimes and outcomes unknown)\n");
}
