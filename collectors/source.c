/* SPDX-License-Identifier: MIT */
/*
 * The snapshot source: the running kernel (this file: meta from the clock,
 * uname and procfs, counters.c, sysctl.c, one sockdiag.c dump per family)
 * or a saved snapshot file (snapfile.c: header when the file is opened,
 * sockets filtered by state and family as the kernel would).  Callers see the same header and
 * the same socket stream either way.
 */
#include "collectors/source.h"

#include <sys/socket.h>
#include <sys/utsname.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/cgroup.h"
#include "collectors/counters.h"
#include "collectors/netns.h"
#include "collectors/procs.h"
#include "collectors/recsample.h"
#include "collectors/snapfile.h"
#include "collectors/sockdiag.h"
#include "collectors/sysctl.h"
#include "core/safefile.h"
#include "core/util.h"

#ifndef TD_VERSION
#define TD_VERSION	"unknown"
#endif

static const char *
proc_root(const struct td_source *src)
{
	return src->proc_root != NULL ? src->proc_root : "/proc";
}


/* First line of a small file, or "" when it cannot be read. */
static void
read_line(const char *path, char *buf, size_t size)
{
	FILE *fp;

	buf[0] = '\0';
	fp = safefile_fopen_proc(path);
	if (fp == NULL)
		return;
	if (fgets(buf, (int)size, fp) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(fp);
}

static void
live_meta(const struct td_source *src, struct td_meta *m)
{
	struct utsname u;
	char path[PATH_MAX];

	memset(m, 0, sizeof(*m));
	m->time_ns = td_clock_ns(CLOCK_REALTIME);
	m->mono_ns = td_clock_ns(CLOCK_BOOTTIME);
	if (gethostname(m->host, sizeof(m->host) - 1) < 0)
		m->host[0] = '\0';
	if (src->netns_label != NULL)
		snprintf(m->netns, sizeof(m->netns), "%s", src->netns_label);
	m->netns_ino = netns_current_ino();
	m->netns_cookie = netns_current_cookie();
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s", u.release);
	snprintf(path, sizeof(path), "%s/sys/kernel/random/boot_id", proc_root(src));
	read_line(path, m->boot_id, sizeof(m->boot_id));
	snprintf(m->source, sizeof(m->source), "live");
	snprintf(m->version, sizeof(m->version), "%s", TD_VERSION);
}

bool
source_is_recording(const struct td_source *src)
{
	return src->priv_rec || (src->from != NULL && rec_is_recording(src->from));
}

/* A watch recording: the sample for src->at, read once and kept. */
static int
rec_header(struct td_source *src, struct td_snapshot *snap, struct td_err *err)
{
	struct rec_pick *p = src->priv_rec ? src->priv : NULL;
	struct rec_at at = { 0 };

	if (p == NULL) {
		if (src->at != NULL && rec_at_parse(src->at, &at) < 0)
			return td_errf(err, EINVAL, "--at: '%s' is not a time (2026-01-31T23:59:59.5Z) "
			    "nor +SECONDS from the recording's start (+90s, +2m)", src->at);
		p = calloc(1, sizeof(*p));
		if (p == NULL)
			return td_errf(err, ENOMEM, "recording: out of memory");
		if (rec_pick(src->from, &at, p, err) < 0) {
			free(p);
			return -1;
		}
		src->priv = p;
		src->priv_rec = true;
		src->rec = p;
	}
	*snap = p->snap;
	return 0;
}

static int
rec_walk(struct td_source *src, td_sock_fn fn, void *arg, struct td_err *err)
{
	const struct rec_pick *p = src->priv;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (sockdiag_state_match(src->states, p->socks[i].state) &&
		    (src->family == 0 || src->family == p->socks[i].family) &&
		    fn(&p->socks[i], arg, err) < 0)
			return -1;
	return 0;
}

int
source_header(struct td_source *src, struct td_snapshot *snap, struct td_err *err)
{
	memset(snap, 0, sizeof(*snap));
	if (src->sample != NULL) {
		*snap = src->sample->snap;
		return 0;
	}
	if (src->from != NULL && source_is_recording(src))
		return rec_header(src, snap, err);
	if (src->from != NULL) {
		/* The header is read when the file is opened; keep the reader. */
		snapfile_close(src->priv);
		src->priv = snapfile_open(src->from, snap, err);
		if (src->priv != NULL && src->at != NULL)
			return td_errf(err, EINVAL, "--at picks a sample of a recording: '%s' is a "
			    "snapshot", src->from);
		return src->priv != NULL ? 0 : -1;
	}
	if (src->at != NULL)
		return td_errf(err, EINVAL, "--at picks a sample of a recording: it needs --from "
		    "RECORDING (one that watch --record wrote)");
	live_meta(src, &snap->meta);
	if (counters_read(proc_root(src), &snap->ctr, err) < 0)
		return -1;
	return sysctl_read(proc_root(src), &snap->sys, err);
}

/*
 * One sock_diag dump per family asked for, AF_INET first (as ss); or, when
 * the order does not matter and both families are asked for, one dump of
 * both (sockdiag_dump with AF_UNSPEC: about 0.6 times the time of two).
 */
static int
dump_families(const struct td_source *src, unsigned int states, bool want_info,
    bool any_order, const atomic_bool *rx_hold, td_sock_fn fn, void *arg, struct td_err *err)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct sockdiag_req req;
	size_t i;

	memset(&req, 0, sizeof(req));
	req.rx_hold = rx_hold != NULL ? rx_hold : src->rx_hold;
	req.states = states;
	req.want_info = want_info;
	req.ext = src->want_ext;
	if (src->family == 0 && any_order) {
		req.family = AF_UNSPEC;
		return sockdiag_dump(&req, fn, arg, err);
	}
	for (i = 0; i < ARRAY_SIZE(families); i++) {
		if (src->family != 0 && src->family != families[i])
			continue;
		req.family = families[i];
		if (sockdiag_dump(&req, fn, arg, err) < 0)
			return -1;
	}
	return 0;
}

static int
want_inode(const struct td_sock *sk, void *arg, struct td_err *err)
{
	return procs_want(arg, sk->inode, err);
}

struct scan_job;

/*
 * A socket held back for the owner scan, in 424 bytes rather than 1 KiB:
 * what the decoder fills comes before the owner fields, and past them only
 * the cgroup id (sockdiag.c zeroes the socket first; the owners are
 * set_owners()' and the cgroup's path add_cgroup()'s, both later).
 * Chunks of HELD_CHUNK, so that no realloc copies (and doubles, for a
 * moment) what is held.
 */
#define HELD_HEAD	offsetof(struct td_sock, pid)
struct held {
	unsigned char	head[HELD_HEAD];
	uint64_t	cgroup_id;
};
#define OWNER_WAIT	8192	/* sockets held back for the scan: 3.3 MiB */
#define HELD_CHUNK	256	/* 106 KiB */

struct owner_walk {
	struct procs_map	*map;
	bool			 all;	/* the map holds every socket held (procs_collect) */
	size_t			 asked;	/* sockets whose owners were looked up */
	const struct td_source	*src;
	td_sock_fn		 fn;
	void			*arg;
	/*
	 * The scan in a thread (walk_with_owners): while it runs, the sockets
	 * of the owner states wait in held[] (at most OWNER_WAIT of them, then
	 * the dump waits for the scan); after an incomplete scan they are
	 * dropped and delivered by a later dump instead (skip_owned).
	 */
	struct scan_job		*job;	/* NULL: none, or joined */
	struct held		*held[OWNER_WAIT / HELD_CHUNK];	/* chunks, allocated as they fill */
	size_t			 nheld;
	bool			 skip_owned;
};

/* The owners of one socket and, without any, why (enum td_owner_status). */
static void
set_owners(struct owner_walk *ow, struct td_sock *sk)
{
	const struct procs_stats *ps = &ow->src->procs;

	sk->nowners = 0;
	sk->owners_more = 0;
	sk->has_owner = false;
	sk->owner_status = TD_OWNER_NA;
	if (sk->inode == 0 || (ow->src->owner_states != 0 &&
	    !(ow->src->owner_states & TD_STATE_BIT(sk->state))))
		return;
	ow->asked++;
	procs_owners_of(ow->map, ow->all, ps, sk);
}

static int
add_owner(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct owner_walk *ow = arg;
	struct td_sock copy;

	/*
	 * No owner is looked up for this one (no inode: request and timewait
	 * sockets, nearly all of a host in trouble; or a state not asked for)
	 * and the decoder left it saying so: no copy of the whole socket.
	 */
	if ((sk->inode == 0 || (ow->src->owner_states != 0 &&
	    !(ow->src->owner_states & TD_STATE_BIT(sk->state)))) &&
	    !sk->has_owner && sk->nowners == 0 && sk->owners_more == 0 &&
	    sk->owner_status == TD_OWNER_NA)
		return ow->fn(sk, ow->arg, err);
	copy = *sk;

	set_owners(ow, &copy);
	return ow->fn(&copy, ow->arg, err);
}

/* States whose sockets have an inode (request and timewait ones have none). */
#define INODE_STATES	(TD_STATES_ALL & ~(TD_STATE_BIT(TD_ST_TIME_WAIT) | \
    TD_STATE_BIT(TD_ST_SYN_RECV) | TD_STATE_BIT(TD_ST_NEW_SYN_RECV)))

/*
 * The /proc scan of walk_with_owners() in a thread of its own, so that the
 * kernel dumps the sockets meanwhile: the scan is the kernel reading every
 * descriptor's link (KERNEL-FACTS F22), the dump the kernel walking its
 * socket tables, and on two CPUs neither waits for the other.  The thread
 * touches only its job.
 */
struct scan_job {
	pthread_t		 th;
	struct procs_map	*map;
	const char		*proc_root;
	size_t			 cap;
	bool			 complete;
	struct procs_stats	 stats;
	struct td_err		 err;
	int			 rc;
	atomic_bool		 busy;		/* until the scan is over: the dump reads
						 * its replies itself (sockdiag_req.rx_hold) */
};

static void *
scan_thread(void *arg)
{
	struct scan_job *j = arg;

	j->rc = procs_collect(j->map, j->proc_root, j->cap, &j->complete, &j->stats, &j->err);
	atomic_store_explicit(&j->busy, false, memory_order_release);
	return NULL;
}

/*
 * Whether the scan may run beside the dump: the caller takes the sockets
 * in any order (those that wait for their owner come last), owners are
 * asked for some states only, and this process may run on more than one
 * CPU (on one, the thread would only add its switches).
 * TD_OWNERS_SEQUENTIAL=1 in the environment keeps one thread (the tests
 * compare both ways).
 */
static bool
scan_overlaps(const struct td_source *src)
{
	return src->any_order && src->owner_states != 0 &&
	    td_threads_wanted("TD_OWNERS_SEQUENTIAL");
}

/*
 * Wait for the scan; then the sockets held back get their owners, in the
 * order they came, or, when the scan kept only part of the held sockets,
 * wait for a later dump (skip_owned).  Returns 0, or -1 with *err set.
 */
static int
scan_join(struct owner_walk *ow, struct td_err *err)
{
	struct scan_job *j = ow->job;
	struct td_source *src = (struct td_source *)ow->src;
	struct td_sock sk;
	const struct held *h;
	size_t i;
	int rc = 0;

	procs_help(j->map);	/* this thread's dump is over: its CPU scans too */
	pthread_join(j->th, NULL);
	ow->job = NULL;
	src->procs = j->stats;
	if (j->rc < 0) {
		*err = j->err;
		return -1;
	}
	ow->all = j->complete;
	if (!j->complete) {
		ow->skip_owned = true;
		ow->nheld = 0;
		return 0;
	}
	for (i = 0; i < ow->nheld && rc == 0; i++) {
		h = &ow->held[i / HELD_CHUNK][i % HELD_CHUNK];
		memset(&sk, 0, sizeof(sk));	/* as the decoder gave it */
		memcpy(&sk, h->head, HELD_HEAD);
		sk.cgroup_id = h->cgroup_id;
		set_owners(ow, &sk);
		rc = ow->fn(&sk, ow->arg, err);
	}
	ow->nheld = 0;
	return rc;
}

/*
 * Hold sk back in ow->held[]: false when that is full (or out of memory),
 * or when sk carries more than struct held keeps (not from the decoder).
 */
static bool
hold(struct owner_walk *ow, const struct td_sock *sk)
{
	struct held *h;
	size_t c = ow->nheld / HELD_CHUNK;

	if (ow->nheld == OWNER_WAIT || sk->nowners != 0 || sk->owners_more != 0 ||
	    sk->owner_status != TD_OWNER_NA || sk->pid != 0 || sk->comm[0] != '\0' ||
	    sk->cgroup[0] != '\0' || sk->container[0] != '\0')
		return false;
	if (ow->held[c] == NULL && (ow->held[c] = malloc(HELD_CHUNK * sizeof(*h))) == NULL)
		return false;
	h = &ow->held[c][ow->nheld % HELD_CHUNK];
	memcpy(h->head, sk, HELD_HEAD);
	h->cgroup_id = sk->cgroup_id;
	ow->nheld++;
	return true;
}

/* The dump's callback while the scan may still run (see struct owner_walk). */
static int
add_owner_later(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct owner_walk *ow = arg;
	bool owned = (ow->src->owner_states & TD_STATE_BIT(sk->state)) != 0;

	if (ow->job != NULL && owned) {
		if (hold(ow, sk))
			return 0;
		if (scan_join(ow, err) < 0)	/* full: the scan first */
			return -1;
	}
	if (owned && ow->skip_owned)
		return 0;	/* delivered by the dump after the fallback scan */
	/* Not owned: add_owner() leaves it as it is, without the map the thread fills. */
	return add_owner(sk, ow, err);
}

/* The held sockets one /proc scan keeps (procs_collect's cap). */
static size_t
collect_cap(const struct td_source *src)
{
	return src->owner_collect != 0 ? src->owner_collect : PROCS_COLLECT_INODES;
}

/*
 * The fallback past that cap: the map starts over with the inodes of the
 * states light asks for (a light dump) and /proc is scanned for just
 * those.  Returns 0, or -1 with *err set.
 */
static int
rescan_wanted(struct owner_walk *ow, unsigned int light, struct td_err *err)
{
	struct td_source *src = (struct td_source *)ow->src;
	int rc;

	procs_free(ow->map);
	if ((ow->map = procs_new()) == NULL)
		return td_errf(err, ENOMEM, "procs: out of memory");
	procs_cancel_on(ow->map, ow->src->cancel);
	procs_scan_threads(ow->map, ow->src->owner_threads);
	rc = dump_families(src, light, false, true, NULL, want_inode, ow->map, err);
	if (rc == 0)
		rc = procs_resolve(ow->map, proc_root(src), &src->procs, err);
	return rc;
}

/*
 * With owners: /proc is scanned once for every socket any process holds
 * (procs_collect, O(processes + descriptors)), then one dump delivers the
 * sockets with their owners.  Where more sockets are held than that table
 * keeps (PROCS_COLLECT_INODES), the map starts over with only what is
 * wanted: a light dump collects the inodes of the states asked for, /proc
 * is scanned for just those, and the second dump delivers the sockets.
 * Sockets born after the scan have no owner; ss -p has the same race.
 *
 * Where the scan may run beside the dump (scan_overlaps), it does: the
 * dump delivers at once what needs no owner and holds back the sockets of
 * the owner states until the scan is in (scan_join); after an incomplete
 * scan, those are delivered by the fallback's dump instead.  The same
 * sockets and owners as one thread gives, in another order.
 */
static int
walk_with_owners(struct td_source *src, td_sock_fn fn, void *arg, struct td_err *err)
{
	struct owner_walk ow = { .src = src, .fn = fn, .arg = arg };
	struct scan_job job;
	unsigned int light;
	bool complete = false, split = false, scanned;
	sigset_t all, old;
	int rc;

	ow.map = procs_new();
	if (ow.map == NULL)
		return td_errf(err, ENOMEM, "procs: out of memory");
	/* A little room over the hint: the next walk finds a few more, or fewer. */
	if (src->owner_hint > 0 && procs_reserve(ow.map, src->owner_hint + src->owner_hint / 16,
	    err) < 0) {
		procs_free(ow.map);
		return -1;
	}
	procs_cancel_on(ow.map, src->cancel);
	procs_scan_threads(ow.map, src->owner_threads);
	/*
	 * Owners are only looked up for these states (states 0 means every
	 * state, so the owner mask alone then).
	 */
	light = src->states;
	if (src->owner_states != 0)
		light = light != 0 ? light & src->owner_states : src->owner_states;
	memset(&src->procs, 0, sizeof(src->procs));
	rc = 0;
	scanned = (light == 0 && src->owner_states == 0) || (light & INODE_STATES) != 0;
	if (scanned && scan_overlaps(src)) {
		memset(&job, 0, sizeof(job));
		job.map = ow.map;
		job.proc_root = proc_root(src);
		job.cap = collect_cap(src);
		atomic_init(&job.busy, true);
		procs_scan_beside(ow.map);
		/* Signals stay with the main thread. */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		split = pthread_create(&job.th, NULL, scan_thread, &job) == 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!split)
			procs_scan_threads(ow.map, src->owner_threads);
	}
	if (split) {
		ow.job = &job;
		rc = dump_families(src, src->states, src->want_info, true, &job.busy,
		    add_owner_later, &ow, err);
		if (ow.job != NULL) {
			/* The dump ended (or failed) first: the scan, then what waited. */
			int jrc = scan_join(&ow, rc < 0 ? &(struct td_err){ 0 } : err);

			if (rc == 0)
				rc = jrc;
		}
		for (size_t c = 0; c < OWNER_WAIT / HELD_CHUNK; c++)
			free(ow.held[c]);
		/* Past the cap: the fallback, then the owner states alone. */
		if (rc == 0 && ow.skip_owned)
			rc = rescan_wanted(&ow, light, err);
		src->owners_hidden = src->procs.unreadable;
		src->owner_bytes = procs_bytes(ow.map);
		if (rc == 0 && ow.skip_owned) {
			ow.skip_owned = false;
			rc = dump_families(src, (src->states != 0 ? src->states : TD_STATES_ALL) &
			    src->owner_states, src->want_info, true, NULL, add_owner, &ow, err);
		}
	} else {
		if (scanned) {
			rc = procs_collect(ow.map, proc_root(src), collect_cap(src), &complete,
			    &src->procs, err);
			ow.all = complete;
		}
		if (scanned && rc == 0 && !complete)
			rc = rescan_wanted(&ow, light, err);
		src->owners_hidden = src->procs.unreadable;
		src->owner_bytes = procs_bytes(ow.map);
		if (rc == 0)
			rc = dump_families(src, src->states, src->want_info, src->any_order, NULL,
			    add_owner, &ow, err);
	}
	src->owner_inodes = procs_wanted(ow.map);
	if (rc == 0 && src->owner_map != NULL)
		src->owner_map(src->owner_map_arg, ow.map, ow.all, &src->procs);
	if (rc == 0 && ow.asked == 0) {
		/* No socket needed an owner: what the scan could not read hides nothing. */
		memset(&src->procs, 0, sizeof(src->procs));
		src->owners_hidden = 0;
	}
	procs_free(ow.map);
	return rc;
}

struct cgroup_walk {
	struct cgroup_map	*map;
	td_sock_fn		 fn;
	void			*arg;
	/* The last lookup: a host's sockets come in runs of one cgroup. */
	uint64_t		 last_id;	/* 0: none yet */
	char			 cgroup[sizeof(((struct td_sock *)0)->cgroup)];
	char			 container[sizeof(((struct td_sock *)0)->container)];
};

/* The socket's cgroup path and owner, from the map (cheaper than /proc). */
static int
add_cgroup(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct cgroup_walk *cw = arg;
	struct td_sock copy;

	if (sk->cgroup_id == 0)
		return cw->fn(sk, cw->arg, err);
	copy = *sk;
	/*
	 * The same id gives the same answer within a walk: a miss has
	 * already re-read the hierarchy once (cgroup_map_lookup), and the map
	 * is not re-read after that.
	 */
	if (copy.cgroup_id != cw->last_id) {
		cgroup_map_lookup(cw->map, copy.cgroup_id, cw->cgroup, sizeof(cw->cgroup),
		    cw->container, sizeof(cw->container));
		cw->last_id = copy.cgroup_id;
	}
	memcpy(copy.cgroup, cw->cgroup, sizeof(copy.cgroup));
	memcpy(copy.container, cw->container, sizeof(copy.container));
	return cw->fn(&copy, cw->arg, err);
}

static int	walk_live(struct td_source *src, td_sock_fn fn, void *arg, struct td_err *err);

int
source_walk(struct td_source *src, td_sock_fn fn, void *arg, struct td_err *err)
{
	if (src->family != 0 && src->family != AF_INET && src->family != AF_INET6)
		return td_errf(err, EAFNOSUPPORT, "address family %d is not supported",
		    src->family);
	if (src->sample != NULL) {
		const struct rec_sample *s = src->sample;
		size_t i;

		for (i = 0; i < s->n; i++)
			if (sockdiag_state_match(src->states, s->socks[i].state) &&
			    (src->family == 0 || src->family == s->socks[i].family) &&
			    fn(&s->socks[i], arg, err) < 0)
				return -1;
		return 0;
	}
	if (src->from != NULL) {
		struct td_snapshot snap;

		/* source_header opens the file; a walk without it opens it here. */
		if (src->priv == NULL && source_header(src, &snap, err) < 0)
			return -1;
		if (src->priv_rec)
			return rec_walk(src, fn, arg, err);
		return snapfile_walk(src->priv, src->states, src->family, fn, arg, err);
	}
	if (src->want_cgroup) {
		struct cgroup_walk cw = { .fn = fn, .arg = arg };
		int rc;

		cw.map = cgroup_map_new(proc_root(src), NULL);
		if (cw.map == NULL)
			return td_errf(err, ENOMEM, "cgroup: out of memory");
		rc = walk_live(src, add_cgroup, &cw, err);
		cgroup_map_free(cw.map);
		return rc;
	}
	return walk_live(src, fn, arg, err);
}

static int
walk_live(struct td_source *src, td_sock_fn fn, void *arg, struct td_err *err)
{
	if (src->want_owner)
		return walk_with_owners(src, fn, arg, err);
	return dump_families(src, src->states, src->want_info, src->any_order, NULL, fn, arg, err);
}

void
source_close(struct td_source *src)
{
	if (src->fp != NULL) {
		fclose(src->fp);
		src->fp = NULL;
	}
	if (src->priv_rec) {
		rec_pick_free(src->priv);
		free(src->priv);
	} else if (src->from != NULL) {
		snapfile_close(src->priv);
	}
	src->priv = NULL;
	src->priv_rec = false;
	src->rec = NULL;
}
