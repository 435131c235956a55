/* SPDX-License-Identifier: MIT */
/*
 * The snapshot file of the running kernel: see snapsave.h.
 *
 * Where the time went before (100,000 sockets, 2 CPUs, one thread): the
 * /proc scan (a readlink per descriptor of the host, KERNEL-FACTS F22) a
 * quarter, the kernel's walk of its socket tables a third, formatting a
 * fifth, and writing 44 MB of JSON (page cache, fsync, and freeing the
 * file it replaced) the rest.  Here one kernel walk serves both families
 * (sockdiag_dump with AF_UNSPEC), the timewait and request sockets leave
 * out what their kind never has (SNAPFILE_SOCK_MINI), the document is
 * compressed (zstd, core/zout.h: 36 MB to 3 MB at about 1.4 GB/s), and
 * the work is shared by two threads:
 *
 *   main     the kernel walk: each socket is decoded and copied into a
 *            ring (struct pipe), which it never waits on while there is
 *            other work;
 *   helper   the /proc scan first; then it formats the sockets of the
 *            ring into the document (the "emitter": one thread at a
 *            time, in order) and compresses.
 *
 * Either thread does what is there to do: while the helper scans, the
 * main thread formats whatever fills the ring; while it waits for room in
 * the ring, it compresses a chunk the helper left queued (zout_try; two
 * chunks can be compressed at once).  The owners, known only when the
 * scan is in, go into the owners table at the end.
 */
#include "collectors/snapsave.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/procs.h"
#include "collectors/snapfile.h"
#include "core/util.h"
#include "core/zout.h"

#define RING		1024	/* sockets between the walk and the emitter: 1 MiB */
#define BATCH		64	/* handed over at once */

struct pipe {
	struct snapfile_writer	 w;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct td_sock		*ring;
	size_t			 head;		/* next to format (under mu) */
	size_t			 tail;		/* filled and handed over (under mu) */
	size_t			 fill;		/* filled (the walk's own) */
	unsigned int		 gen;		/* bumped on any news (under mu) */
	bool			 emitting;	/* a thread holds the emitter (under mu) */
	bool			 walked;	/* the walk is over (under mu) */
	bool			 scanned;	/* the scan is in (under mu) */
	atomic_bool		 scanning;	/* until then: the walk reads its replies
						 * itself (td_source.rx_hold) */
	int			 rc;		/* the emitter failed: err says why */
	struct td_err		 err;
	/* The scan (the helper's first job; it touches only these). */
	pthread_t		 th;
	struct procs_map	*map;
	const char		*proc_root;
	bool			 complete;
	struct procs_stats	 stats;
	struct td_err		 scan_err;
	int			 scan_rc;
};

static void
scan(struct pipe *p)
{
	p->scan_rc = procs_collect(p->map, p->proc_root, PROCS_COLLECT_INODES, &p->complete,
	    &p->stats, &p->scan_err);
}

/* With p->mu held: something changed that a waiting thread may act on. */
static void
news(struct pipe *p)
{
	p->gen++;
	pthread_cond_broadcast(&p->cv);
}

/* zout queued a chunk: one thread may compress it. */
static void
chunk_queued(void *arg)
{
	struct pipe *p = arg;

	pthread_mutex_lock(&p->mu);
	news(p);
	pthread_mutex_unlock(&p->mu);
}

/*
 * With p->mu held: if no one is at it and sockets wait, format a batch of
 * them (without the lock).  Returns whether it did; p->mu is held again.
 */
static bool
emit(struct pipe *p)
{
	size_t i, from = p->head, n = p->tail - p->head;
	int rc = 0;

	if (p->emitting || n == 0)
		return false;
	if (n > BATCH)
		n = BATCH;
	p->emitting = true;
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < n && p->rc == 0 && rc == 0; i++)
		rc = snapfile_put_sock(&p->ring[(from + i) % RING], &p->w, &p->err);
	pthread_mutex_lock(&p->mu);
	if (rc < 0)
		p->rc = -1;	/* the sockets after it are dropped: the file is */
	p->head = from + n;
	p->emitting = false;
	news(p);
	return true;
}

/*
 * With p->mu held: do one piece of work (format a batch, or compress a
 * queued chunk), or wait for news when there is none.  Returns with p->mu
 * held.
 */
static void
work_or_wait(struct pipe *p)
{
	unsigned int gen = p->gen;

	if (emit(p))
		return;
	pthread_mutex_unlock(&p->mu);
	if (zout_try(&p->w.z)) {
		pthread_mutex_lock(&p->mu);
		return;
	}
	pthread_mutex_lock(&p->mu);
	if (p->gen == gen)
		pthread_cond_wait(&p->cv, &p->mu);
}

static void *
helper(void *arg)
{
	struct pipe *p = arg;

	scan(p);
	atomic_store_explicit(&p->scanning, false, memory_order_release);
	pthread_mutex_lock(&p->mu);
	p->scanned = true;
	news(p);
	while (!(p->walked && p->head == p->tail))
		work_or_wait(p);
	pthread_mutex_unlock(&p->mu);
	/* The chunks left, beside the main thread's zout_close(). */
	zout_help(&p->w.z);
	return NULL;
}

/*
 * The walk's callback: the socket into the ring.  A timewait or request
 * socket with nothing past its first members (nearly all of a host in
 * trouble) is copied that far only: the ring's slot is told the rest is
 * absent.
 */
static int
put(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct pipe *p = arg;
	struct td_sock *slot = &p->ring[p->fill % RING];

	if (!sk->has_tcpi && !sk->has_skmem && !sk->has_owner && sk->cgroup_id == 0 &&
	    sk->owner_status == TD_OWNER_NA && sk->nowners == 0) {
		memcpy(slot, sk, offsetof(struct td_sock, tcpi));
		slot->owner_status = TD_OWNER_NA;
		slot->nowners = 0;
		slot->owners_more = 0;
		slot->cgroup_id = 0;
	} else {
		*slot = *sk;
	}
	p->fill++;
	if (p->fill % BATCH != 0)
		return 0;
	pthread_mutex_lock(&p->mu);
	p->tail = p->fill;
	news(p);
	/* Room for the next batch, or work (or wait) until there is. */
	while (p->fill + BATCH - p->head > RING && p->rc == 0)
		work_or_wait(p);
	pthread_mutex_unlock(&p->mu);
	return p->rc < 0 ? td_errf(err, p->err.code, "%s", p->err.msg) : 0;
}

/* The owners table: every socket with an inode the walk wrote, in inode order. */
static int
put_owners(struct pipe *p, struct td_source *src,
    void (*seen)(const struct td_sock *, void *), void *arg, struct td_err *err)
{
	struct procs_map *map = p->map;
	const uint64_t *held;
	struct td_sock *sk;
	size_t i, n;
	int rc = 0;

	p->map = NULL;
	src->procs = p->stats;
	n = snapfile_held(&p->w, &held);
	if (!p->complete && n > 0) {
		/*
		 * More sockets were held than the scan keeps: look up just the
		 * ones written, as source.c's fallback does after a light dump.
		 */
		procs_free(map);
		map = procs_new();
		if (map == NULL)
			return td_errf(err, ENOMEM, "procs: out of memory");
		for (i = 0; i < n && rc == 0; i++)
			rc = procs_want(map, held[i] >> 8, err);
		if (rc == 0)
			rc = procs_resolve(map, p->proc_root, &src->procs, err);
	}
	sk = calloc(1, sizeof(*sk));	/* one socket's record, reused */
	if (sk == NULL && rc == 0)
		rc = td_errf(err, ENOMEM, "snapshot: out of memory");
	for (i = 0; i < n && rc == 0; i++) {
		sk->inode = held[i] >> 8;
		sk->state = (uint8_t)(held[i] & 0xff);
		procs_owners_of(map, p->complete, &src->procs, sk);
		if (seen != NULL)
			seen(sk, arg);
		rc = snapfile_put_owner(&p->w, sk, err);
	}
	free(sk);
	src->owners_hidden = src->procs.unreadable;
	src->owner_bytes = procs_bytes(map);
	if (n == 0) {
		/* No socket needed an owner: what the scan could not read hides nothing. */
		memset(&src->procs, 0, sizeof(src->procs));
		src->owners_hidden = 0;
	}
	procs_free(map);
	return rc;
}

/* The threads' part: the helper scans and formats beside the walk. */
static int
walk_parallel(struct pipe *p, struct td_source *src, bool *started, struct td_err *err)
{
	sigset_t all, old;
	int rc;

	p->ring = malloc(RING * sizeof(*p->ring));
	if (p->ring == NULL)
		return 1;	/* not started: the caller goes on alone */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->w.z.notify = chunk_queued;
	p->w.z.notify_arg = p;
	zout_expect_helper(&p->w.z, 1);
	atomic_init(&p->scanning, true);
	procs_scan_beside(p->map);
	/* Signals stay with the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	*started = pthread_create(&p->th, NULL, helper, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!*started) {
		procs_scan_threads(p->map, 0);
		zout_expect_helper(&p->w.z, -1);
		p->w.z.notify = NULL;
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
		free(p->ring);
		p->ring = NULL;
		return 1;
	}
	src->rx_hold = &p->scanning;
	rc = source_walk(src, put, p, err);
	src->rx_hold = NULL;
	pthread_mutex_lock(&p->mu);
	p->tail = p->fill;
	p->walked = true;
	news(p);
	/* What is left in the ring, then the scan, helped by this thread. */
	while (p->head != p->tail && p->rc == 0)
		work_or_wait(p);
	if (!p->scanned) {
		pthread_mutex_unlock(&p->mu);
		procs_help(p->map);
		pthread_mutex_lock(&p->mu);
	}
	while ((p->head != p->tail || !p->scanned) && p->rc == 0)
		work_or_wait(p);
	while (!p->scanned)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	if (rc == 0 && p->rc < 0) {
		*err = p->err;
		rc = -1;
	}
	return rc;
}

int
snapsave_live(struct td_source *src, const struct td_snapshot *snap, FILE *fp,
    void (*seen)(const struct td_sock *sk, void *arg), void *arg, struct td_err *err)
{
	struct pipe *p;
	bool started = false;
	int rc = 1;

	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->map = procs_new()) == NULL) {
		free(p);
		return td_errf(err, ENOMEM, "snapshot: out of memory");
	}
	memset(&src->procs, 0, sizeof(src->procs));
	p->proc_root = src->proc_root != NULL ? src->proc_root : "/proc";
	/* Owners come from the scan here, not from the walk. */
	src->want_owner = false;
	src->any_order = true;
	if (snapfile_begin_file(&p->w, fp, snap, "snapshot", SNAPFILE_OWNERS_TABLE, err) < 0) {
		snapfile_abort(&p->w);
		procs_free(p->map);
		free(p);
		return -1;
	}
	if (td_threads_wanted("TD_OWNERS_SEQUENTIAL"))
		rc = walk_parallel(p, src, &started, err);
	if (rc > 0) {
		/* One thread: the scan first, as source.c does on one CPU. */
		scan(p);
		rc = source_walk(src, snapfile_put_sock, &p->w, err);
	}
	if (rc == 0 && p->scan_rc < 0) {
		*err = p->scan_err;
		rc = -1;
	}
	if (rc == 0)
		rc = put_owners(p, src, seen, arg, err);
	if (rc < 0)
		snapfile_abort(&p->w);	/* the helper leaves */
	else
		rc = snapfile_end(&p->w, err);
	if (started) {
		pthread_join(p->th, NULL);
		pthread_mutex_destroy(&p->mu);
		pthread_cond_destroy(&p->cv);
	}
	procs_free(p->map);
	free(p->ring);
	free(p);
	return rc;
}
