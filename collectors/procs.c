/* SPDX-License-Identifier: MIT */
/*
 * inode -> every (pid, fd) holding it (see procs.h).  The wanted inodes
 * live in an open-addressing hash table (linear probing, any size, at
 * most 70% full) of 8-byte slots: the inode and the head of its
 * owner list, whose length says how many hold it (past PROCS_MAX_OWNERS,
 * those not kept are counted per slot aside).  Owners are 12-byte records in one pool
 * (process index, fd, next), and each owning process is named once in a
 * process table, so a prefork server's hundred workers sharing a listener
 * cost a hundred small records and a hundred names, not a hundred copies
 * of every socket.  Everything is capped (procs.h); past a cap the rest is
 * counted, never silently dropped.
 */
#include "collectors/procs.h"

#include <sys/stat.h>
#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "core/util.h"

/*
 * A socket's inode in 32 bits: sock_diag reports no more (struct
 * inet_diag_msg's idiag_inode is a __u32) and sockets get theirs from
 * get_next_ino(), an unsigned int (fs/inode.c, net/socket.c sock_alloc).
 */
struct slot {
	uint32_t	inode;		/* 0: empty */
	uint32_t	head;		/* first owner: pool index + 1, 0 if none */
};

struct own {
	uint32_t	proc;		/* index into procs[] */
	int32_t		fd;
	uint32_t	next;		/* pool index + 1, 0 at the end */
};

struct proc {
	int32_t		pid;
	char		comm[16];
};

struct procs_map {
	struct slot	*slots;
	uint32_t	*extra;		/* owners past PROCS_MAX_OWNERS, by slot index
					 * (made at the first one, else NULL) */
	size_t		 size, used, found;
	struct own	*pool;
	size_t		 npool, pool_cap;
	struct proc	*procs;
	size_t		 nprocs, procs_cap;
	size_t		 skipped, dropped;
	size_t		 max_owners;	/* PROCS_MAX_OWNERS, lower in tests (procs_limit_owners) */
	size_t		 collect;	/* procs_collect: keep up to this many inodes */
	const atomic_bool *cancel;	/* procs_cancel_on(), NULL if none */
	bool		 overflow;	/* procs_collect: more were held than that */
	unsigned int	 threads;	/* procs_scan_threads() */
	/* procs_help: the walk under way, and the threads helping it. */
	pthread_mutex_t	 help_mu;
	pthread_cond_t	 help_cv;
	struct walk	*walk;
	unsigned int	 helpers;
};

struct procs_map *
procs_new(void)
{
	struct procs_map *m = calloc(1, sizeof(struct procs_map));

	if (m != NULL) {
		pthread_mutex_init(&m->help_mu, NULL);
		pthread_cond_init(&m->help_cv, NULL);
		procs_scan_threads(m, 0);
	}
	return m;
}

void
procs_free(struct procs_map *m)
{
	if (m == NULL)
		return;
	free(m->slots);
	free(m->extra);
	free(m->pool);
	free(m->procs);
	pthread_mutex_destroy(&m->help_mu);
	pthread_cond_destroy(&m->help_cv);
	free(m);
}

static size_t
hash_inode(uint32_t ino, size_t size)
{
	/*
	 * Fibonacci hashing (inodes are often consecutive) to 32 bits, then
	 * onto [0, size) by a multiply and shift: the table needs no
	 * power-of-two size, so one sized for n inodes is n / 0.7 slots, not
	 * up to twice that.
	 */
	uint32_t h = (uint32_t)(((uint64_t)ino * UINT64_C(0x9e3779b97f4a7c15)) >> 32);

	return (size_t)(((uint64_t)h * size) >> 32);
}

static struct slot *
find_slot(struct slot *slots, size_t size, uint32_t ino)
{
	size_t i = hash_inode(ino, size);

	while (slots[i].inode != 0 && slots[i].inode != ino)
		if (++i == size)
			i = 0;
	return &slots[i];
}

static int
grow(struct procs_map *m, struct td_err *err)
{
	size_t nsize = m->size == 0 ? 64 : m->size * 2, i;
	struct slot *n, *s;
	uint32_t *nx = NULL;

	n = calloc(nsize, sizeof(*n));
	if (n == NULL || (m->extra != NULL && (nx = calloc(nsize, sizeof(*nx))) == NULL)) {
		free(n);
		return td_errf(err, ENOMEM, "procs: out of memory for %zu inodes", m->used);
	}
	for (i = 0; i < m->size; i++) {
		if (m->slots[i].inode == 0)
			continue;
		s = find_slot(n, nsize, m->slots[i].inode);
		*s = m->slots[i];
		if (nx != NULL)
			nx[s - n] = m->extra[i];
	}
	free(m->slots);
	free(m->extra);
	m->slots = n;
	m->extra = nx;
	m->size = nsize;
	return 0;
}

int
procs_reserve(struct procs_map *m, size_t n, struct td_err *err)
{
	size_t size = 64;

	if (m->size != 0 || m->used != 0)
		return td_errf(err, EINVAL, "procs: reserve on a map in use");
	if (n > PROCS_MAX_INODES)
		n = PROCS_MAX_INODES;
	/* At most 70% full, in steps of 64 slots. */
	if (n * 10 > size * 7)
		size = (n * 10 / 7 + 64) / 64 * 64;
	m->slots = calloc(size, sizeof(*m->slots));
	if (m->slots == NULL)
		return td_errf(err, ENOMEM, "procs: out of memory for %zu inodes", n);
	m->size = size;
	return 0;
}

int
procs_want(struct procs_map *m, uint64_t inode, struct td_err *err)
{
	struct slot *s;

	if (inode == 0)
		return 0;
	if (inode > UINT32_MAX) {	/* not a socket's (struct slot) */
		m->skipped++;
		return 0;
	}
	if (m->size > 0) {
		s = find_slot(m->slots, m->size, inode);
		if (s->inode == inode)
			return 0;
	}
	if (m->used >= PROCS_MAX_INODES) {
		m->skipped++;
		return 0;
	}
	/* At most 70% full: linear probing stays short. */
	if ((m->used + 1) * 10 > m->size * 7 && grow(m, err) < 0)
		return -1;
	s = find_slot(m->slots, m->size, inode);
	s->inode = (uint32_t)inode;
	m->used++;
	return 0;
}

bool
procs_known(const struct procs_map *m, uint64_t inode)
{
	if (m == NULL || m->size == 0 || inode == 0 || inode > UINT32_MAX)
		return false;
	return find_slot(m->slots, m->size, (uint32_t)inode)->inode == inode;
}

/* Keep the k lowest (pid, fd) pairs in out[], sorted (insertion; k is small). */
static void
keep_lowest(struct td_owner *out, size_t *n, size_t max, const struct td_owner *o)
{
	size_t i;

	if (max == 0)
		return;
	for (i = *n; i > 0; i--) {
		const struct td_owner *p = &out[i - 1];

		if (p->pid < o->pid || (p->pid == o->pid && p->fd <= o->fd))
			break;
	}
	if (i >= max)
		return;
	if (*n < max)
		(*n)++;
	memmove(&out[i + 1], &out[i], (*n - 1 - i) * sizeof(*out));
	out[i] = *o;
}

size_t
procs_lookup(const struct procs_map *m, uint64_t inode, struct td_owner *out, size_t max,
    size_t *total)
{
	const struct slot *s;
	struct td_owner o;
	uint32_t i;
	size_t n = 0, all = 0;

	if (total != NULL)
		*total = 0;
	if (m == NULL || m->size == 0 || inode == 0 || inode > UINT32_MAX)
		return 0;
	s = find_slot(m->slots, m->size, (uint32_t)inode);
	if (s->inode != inode)
		return 0;
	for (i = s->head; i != 0; i = m->pool[i - 1].next) {
		const struct own *w = &m->pool[i - 1];

		o.pid = m->procs[w->proc].pid;
		o.fd = w->fd;
		memcpy(o.comm, m->procs[w->proc].comm, sizeof(o.comm));
		keep_lowest(out, &n, max, &o);
		all++;
	}
	if (total != NULL)
		*total = all + (m->extra != NULL ? m->extra[s - m->slots] : 0);
	return n;
}

void
procs_limit_owners(struct procs_map *m, size_t max)
{
	m->max_owners = max < PROCS_MAX_OWNERS ? max : PROCS_MAX_OWNERS;
}

void
procs_cancel_on(struct procs_map *m, const atomic_bool *flag)
{
	m->cancel = flag;
}

/* Whether the scan was told to stop (procs_cancel_on). */
static bool
cancelled(const struct procs_map *m)
{
	return m->cancel != NULL && atomic_load_explicit(m->cancel, memory_order_relaxed);
}

void
procs_owners_of(const struct procs_map *m, bool all, const struct procs_stats *st,
    struct td_sock *sk)
{
	size_t n, total;

	sk->nowners = 0;
	sk->owners_more = 0;
	sk->has_owner = false;
	sk->pid = 0;
	sk->comm[0] = '\0';
	if (!procs_known(m, sk->inode)) {
		if (all)	/* no process readable holds it (or it was born since) */
			sk->owner_status = st->unreadable > 0 ? TD_OWNER_UNREADABLE : TD_OWNER_NONE;
		else	/* not in the table: past its cap, or born after the first dump */
			sk->owner_status = st->skipped_inodes > 0 ? TD_OWNER_SKIPPED : TD_OWNER_NONE;
		return;
	}
	n = procs_lookup(m, sk->inode, sk->owners, TD_SOCK_OWNERS, &total);
	if (n > 0) {
		sk->nowners = (uint8_t)n;
		sk->owners_more = total > n ? (uint32_t)(total - n) : 0;
		sk->has_owner = true;
		sk->pid = sk->owners[0].pid;
		memcpy(sk->comm, sk->owners[0].comm, sizeof(sk->comm));
		sk->owner_status = TD_OWNER_FOUND;
	} else if (total > 0) {
		sk->owner_status = TD_OWNER_SKIPPED;	/* held, but past the owner cap */
	} else {
		sk->owner_status = st->unreadable > 0 ? TD_OWNER_UNREADABLE : TD_OWNER_NONE;
	}
}

void
procs_each_process(const struct procs_map *m,
    void (*fn)(void *arg, int32_t pid, const char comm[16]), void *arg)
{
	size_t i;

	for (i = 0; i < m->nprocs; i++)
		fn(arg, m->procs[i].pid, m->procs[i].comm);
}

size_t
procs_wanted(const struct procs_map *m)
{
	return m->used;
}

size_t
procs_found(const struct procs_map *m)
{
	return m->found;
}

size_t
procs_bytes(const struct procs_map *m)
{
	return sizeof(*m) + m->size * sizeof(struct slot) + m->pool_cap * sizeof(struct own) +
	    m->procs_cap * sizeof(struct proc) + (m->extra != NULL ? m->size * sizeof(*m->extra) : 0);
}

/*
 * A decimal number of 1 to 19 digits, no sign, no leading zero (the way
 * the kernel names pids, fds and inodes: proc_pid_readdir(),
 * proc_readfd_common(), sockfs_dname()), as *v; false for anything else.
 */
static bool
decimal(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 19 || (s[0] == '0' && n > 1))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

/* The link text "socket:[12345]" (n bytes) -> 12345, or 0. */
static uint64_t
socket_inode(const char *link, size_t n)
{
	uint64_t v;

	if (n < 10 || memcmp(link, "socket:[", 8) != 0 || link[n - 1] != ']' ||
	    !decimal(link + 8, n - 9, &v) || v > UINT32_MAX)
		return 0;	/* not a socket, or not one sock_diag can name (struct slot) */
	return v;
}

/*
 * The directory entries of dfd in buf, by getdents64 (one system call per
 * buffer, no stream to allocate); the byte count, 0 at the end, -1 with
 * errno on failure.
 */
struct d64 {
	uint64_t	ino;
	int64_t		off;
	unsigned short	reclen;
	unsigned char	type;
	char		name[];
};

static ssize_t
dents(int dfd, char *buf, size_t len)
{
	return (ssize_t)syscall(SYS_getdents64, dfd, buf, len);
}

/* comm of the process whose directory under proc_root is procfd/pid. */
static void
read_comm(int procfd, const char *pid, char *comm)
{
	char path[32], buf[17];
	struct stat st;
	ssize_t n;
	size_t k;
	int fd;

	memset(comm, 0, 16);
	snprintf(path, sizeof(path), "%s/comm", pid);
	/* O_NONBLOCK and a regular file only, as safefile_fopen_proc(). */
	fd = openat(procfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		/* The first line, at most 15 bytes of it (as fgets(comm, 16)). */
		n = read(fd, buf, 16);
		if (n > 0) {
			buf[n] = '\0';
			k = strcspn(buf, "\n");
			memcpy(comm, buf, k < 15 ? k : 15);
		}
	}
	close(fd);
}

/* Double an array of *cap elements (at least 16), up to limit.  0 or -1. */
static int
grow_array(void **v, size_t *cap, size_t elem, size_t limit)
{
	size_t ncap = *cap == 0 ? 16 : *cap * 2;
	void *n;

	if (ncap > limit)
		ncap = limit;
	if (ncap <= *cap)
		return -1;
	n = realloc(*v, ncap * elem);
	if (n == NULL)
		return -1;
	*v = n;
	*cap = ncap;
	return 0;
}

/*
 * One /proc scan, shared by its threads (procs_scan_threads): each takes
 * the next few processes from the /proc directory, reads their fd links
 * by itself (the kernel's part, and nearly all of the cost) and puts what
 * it found into the map under mu, a process's sockets at a time.
 */
struct walk {
	struct procs_map	*m;
	int			 procfd;
	pthread_mutex_t		 dir_mu;	/* the reads of procfd */
	pthread_mutex_t		 mu;		/* m, and everything below */
	atomic_bool		 stop;		/* an error, or the collect cap reached */
	int			 rc;		/* 0, or -1 with err set (the first) */
	struct td_err		*err;
	size_t			 processes, unreadable;
	int			 unreadable_code;
	int64_t			 cpu_ns;
};

/* The socket links of one process found so far, not yet in the map. */
#define PEND_MAX	256
struct proc_scan {
	const char	*pid;		/* its directory's name under /proc */
	int32_t		 pidv;
	size_t		 pidx;		/* in m->procs[], (size_t)-1 until added */
	bool		 comm_read;
	char		 comm[16];
	size_t		 npend;
	struct {
		int32_t		fd;
		uint32_t	ino;
	}		 pend[PEND_MAX];
};

/*
 * Record that fd of this process (ps) holds slot s; the process is added
 * to procs[] at its first socket of interest.  With the walk's mu held.
 * Returns 0, or -1 with *err set when memory runs out.
 */
static int
add_owner(struct procs_map *m, struct slot *s, struct proc_scan *ps, int32_t fd,
    struct td_err *err)
{
	size_t idx = (size_t)(s - m->slots);
	struct own *w;

	if (s->head == 0 && (m->extra == NULL || m->extra[idx] == 0))
		m->found++;
	if (m->npool >= (m->max_owners != 0 ? m->max_owners : PROCS_MAX_OWNERS)) {
		/* Counted, not kept: aside, so that the slots stay 8 bytes. */
		if (m->extra == NULL && (m->extra = calloc(m->size, sizeof(*m->extra))) == NULL)
			return td_errf(err, ENOMEM, "procs: out of memory for %zu inodes", m->used);
		m->extra[idx]++;
		m->dropped++;
		return 0;
	}
	if (ps->pidx == (size_t)-1) {
		if (m->nprocs == m->procs_cap &&
		    grow_array((void **)&m->procs, &m->procs_cap, sizeof(*m->procs), PROCS_MAX_OWNERS) < 0)
			return td_errf(err, ENOMEM, "procs: out of memory for %zu processes", m->nprocs);
		ps->pidx = m->nprocs++;
		m->procs[ps->pidx].pid = ps->pidv;
		memcpy(m->procs[ps->pidx].comm, ps->comm, sizeof(ps->comm));
	}
	if (m->npool == m->pool_cap &&
	    grow_array((void **)&m->pool, &m->pool_cap, sizeof(*m->pool), PROCS_MAX_OWNERS) < 0)
		return td_errf(err, ENOMEM, "procs: out of memory for %zu owners", m->npool);
	w = &m->pool[m->npool++];
	w->proc = (uint32_t)ps->pidx;
	w->fd = fd;
	w->next = s->head;
	s->head = (uint32_t)m->npool;
	return 0;
}

/* With mu held: whether the map keeps any of ps's sockets. */
static bool
keeps_any(const struct procs_map *m, const struct proc_scan *ps)
{
	size_t i;

	if (m->collect != 0)
		return !m->overflow;
	for (i = 0; i < ps->npend && m->size > 0; i++)
		if (find_slot(m->slots, m->size, ps->pend[i].ino)->inode == ps->pend[i].ino)
			return true;
	return false;
}

/*
 * Put ps's pending sockets into the map.  The process's name is read
 * (outside the lock) before its first socket the map keeps.  Returns 0, or
 * -1 with *err set when memory runs out.
 */
static int
flush(struct walk *w, struct proc_scan *ps, struct td_err *err)
{
	struct procs_map *m = w->m;
	struct slot *s;
	size_t i;
	bool any;
	int rc = 0;

	if (ps->npend == 0)
		return 0;
	if (!ps->comm_read) {
		pthread_mutex_lock(&w->mu);
		any = keeps_any(m, ps);
		pthread_mutex_unlock(&w->mu);
		if (!any) {	/* none wanted (the wanted inodes do not change meanwhile) */
			ps->npend = 0;
			return 0;
		}
		read_comm(w->procfd, ps->pid, ps->comm);
		ps->comm_read = true;
	}
	pthread_mutex_lock(&w->mu);
	for (i = 0; i < ps->npend && rc == 0; i++) {
		uint32_t ino = ps->pend[i].ino;

		s = m->size > 0 ? find_slot(m->slots, m->size, ino) : NULL;
		if (s == NULL || s->inode != ino) {
			if (m->collect == 0)
				continue;	/* not wanted */
			/* procs_collect: every socket held, up to its cap. */
			if (m->used >= m->collect) {
				/* The caller starts over: the scan can stop. */
				m->overflow = true;
				atomic_store_explicit(&w->stop, true, memory_order_relaxed);
				break;
			}
			if ((m->used + 1) * 10 > m->size * 7 && grow(m, err) < 0) {
				rc = -1;
				break;
			}
			s = find_slot(m->slots, m->size, ino);
			s->inode = ino;
			m->used++;
		}
		rc = add_owner(m, s, ps, ps->pend[i].fd, err);
	}
	pthread_mutex_unlock(&w->mu);
	ps->npend = 0;
	return rc;
}

/*
 * Look through one process's fds: its fd directory opened relative to
 * procfd, read by getdents64, each entry's link read by readlinkat on that
 * directory (ss -p and netstat -p read the same links).  Only a
 * "socket:[N]" link is looked at further.  Returns 1 when they were read,
 * 0 when they cannot be (*code set), -1 with *err set when memory runs out
 * or the scan was cancelled.
 */
static int
scan_pid(struct walk *w, struct proc_scan *ps, const char *pid, int32_t pidv, int *code,
    struct td_err *err)
{
	char path[32], link[64];
	char buf[8192] __attribute__((aligned(8)));
	size_t off;
	const struct d64 *de;
	uint64_t ino, fd;
	ssize_t n, got;
	int dfd, rc = 1;

	ps->pid = pid;
	ps->pidv = pidv;
	ps->pidx = (size_t)-1;
	ps->comm_read = false;
	ps->npend = 0;
	snprintf(path, sizeof(path), "%s/fd", pid);
	dfd = openat(w->procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 1;	/* gone meanwhile: not hidden */
		*code = errno;
		return 0;
	}
	while (rc == 1 && (got = dents(dfd, buf, sizeof(buf))) > 0) {
		if (cancelled(w->m)) {
			rc = -1;
			td_errf(err, ECANCELED, "procs: the scan was stopped");
			break;
		}
		if (atomic_load_explicit(&w->stop, memory_order_relaxed))
			break;	/* what is left is not needed */
		for (off = 0; off < (size_t)got; off += de->reclen) {
			de = (const struct d64 *)(buf + off);
			if (de->name[0] == '.')
				continue;
			n = readlinkat(dfd, de->name, link, sizeof(link));
			if (n <= 0 || (size_t)n >= sizeof(link))
				continue;
			ino = socket_inode(link, (size_t)n);
			if (ino == 0)
				continue;
			if (!decimal(de->name, strlen(de->name), &fd) || fd > INT32_MAX)
				continue;
			ps->pend[ps->npend].fd = (int32_t)fd;
			ps->pend[ps->npend].ino = (uint32_t)ino;
			if (++ps->npend == PEND_MAX && flush(w, ps, err) < 0) {
				rc = -1;
				break;
			}
		}
	}
	if (rc == 1 && got < 0 && errno != ENOENT) {
		/* Unreadable midway (the process is gone: ENOENT, not hidden). */
		*code = errno;
		rc = 0;
	}
	/* What was read of a process unreadable midway counts (as before). */
	if (rc >= 0 && flush(w, ps, err) < 0)
		rc = -1;
	close(dfd);
	return rc;
}

/* With w->mu held: the first failure is the walk's. */
static void
walk_fail(struct walk *w, const struct td_err *err)
{
	if (w->rc == 0) {
		w->rc = -1;
		*w->err = *err;
	}
	atomic_store_explicit(&w->stop, true, memory_order_relaxed);
}

/*
 * One thread's part of the walk: a few processes at a time from the /proc
 * directory (a small buffer, so that the threads share the end of the
 * list evenly), until it ends or the walk stops.
 */
static void *
walk_run(void *arg)
{
	struct walk *w = arg;
	char buf[1024] __attribute__((aligned(8)));
	const struct d64 *de;
	struct proc_scan *ps;
	struct td_err err = { 0 };
	int64_t c0 = td_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	size_t processes = 0, unreadable = 0, off;
	int code = 0, first_code = 0, rc = 0;
	uint64_t pid;
	ssize_t got;

	ps = malloc(sizeof(*ps));
	if (ps == NULL) {
		rc = td_errf(&err, ENOMEM, "procs: out of memory");
		goto out;
	}
	while (rc == 0 && !atomic_load_explicit(&w->stop, memory_order_relaxed)) {
		pthread_mutex_lock(&w->dir_mu);
		got = dents(w->procfd, buf, sizeof(buf));
		pthread_mutex_unlock(&w->dir_mu);
		if (got <= 0)
			break;
		for (off = 0; off < (size_t)got && rc == 0; off += de->reclen) {
			de = (const struct d64 *)(buf + off);
			if (!decimal(de->name, strlen(de->name), &pid) || pid < 1 || pid > INT32_MAX)
				continue;
			if (atomic_load_explicit(&w->stop, memory_order_relaxed))
				break;
			processes++;
			rc = scan_pid(w, ps, de->name, (int32_t)pid, &code, &err);
			if (rc == 0 && unreadable++ == 0)
				first_code = code;
			if (rc > 0)
				rc = 0;
		}
	}
	free(ps);
out:
	pthread_mutex_lock(&w->mu);
	if (rc < 0)
		walk_fail(w, &err);
	w->processes += processes;
	if (unreadable > 0 && w->unreadable == 0)
		w->unreadable_code = first_code;
	w->unreadable += unreadable;
	w->cpu_ns += td_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static int	walk_procs(struct procs_map *m, const char *proc_root, struct procs_stats *st,
		    struct td_err *err);

int
procs_resolve(struct procs_map *m, const char *proc_root, struct procs_stats *st,
    struct td_err *err)
{
	struct procs_stats local;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	st->skipped_inodes = m->skipped;
	if (m->used == 0)
		return 0;
	return walk_procs(m, proc_root, st, err);
}

int
procs_collect(struct procs_map *m, const char *proc_root, size_t max_inodes, bool *complete,
    struct procs_stats *st, struct td_err *err)
{
	struct procs_stats local;
	int rc;

	if (st == NULL)
		st = &local;
	memset(st, 0, sizeof(*st));
	*complete = false;
	if (m->used != 0)
		return td_errf(err, EINVAL, "procs: collect on a map with wanted inodes");
	m->collect = max_inodes < PROCS_MAX_INODES ? max_inodes : PROCS_MAX_INODES;
	if (m->collect == 0)
		return 0;
	rc = walk_procs(m, proc_root, st, err);
	m->collect = 0;
	*complete = rc == 0 && !m->overflow;
	return rc;
}

void
procs_scan_threads(struct procs_map *m, unsigned int n)
{
	cpu_set_t set;

	if (n == 0) {
		n = 1;
		if (td_threads_wanted("TD_OWNERS_SEQUENTIAL") &&
		    sched_getaffinity(0, sizeof(set), &set) == 0)
			n = (unsigned int)CPU_COUNT(&set);
	}
	m->threads = n < 1 ? 1 : n > PROCS_SCAN_THREADS ? PROCS_SCAN_THREADS : n;
}

void
procs_scan_beside(struct procs_map *m)
{
	if (m->threads > 1)
		m->threads--;
}

bool
procs_help(struct procs_map *m)
{
	struct walk *w;

	pthread_mutex_lock(&m->help_mu);
	w = m->walk;
	if (w != NULL)
		m->helpers++;
	pthread_mutex_unlock(&m->help_mu);
	if (w == NULL)
		return false;
	walk_run(w);
	pthread_mutex_lock(&m->help_mu);
	if (--m->helpers == 0)
		pthread_cond_broadcast(&m->help_cv);
	pthread_mutex_unlock(&m->help_mu);
	return true;
}

/*
 * Every process's fds once, by m->threads threads (this one among them);
 * m->collect says whether to keep every socket.
 */
static int
walk_procs(struct procs_map *m, const char *proc_root, struct procs_stats *st,
    struct td_err *err)
{
	pthread_t th[PROCS_SCAN_THREADS];
	struct walk w = { .m = m, .err = err };
	sigset_t all, old;
	unsigned int i, n = 0;

	if (proc_root == NULL)
		proc_root = "/proc";
	w.procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.procfd < 0)
		return td_errf(err, errno, "procs: cannot read '%s': %s", proc_root,
		    strerror(errno));
	pthread_mutex_init(&w.dir_mu, NULL);
	pthread_mutex_init(&w.mu, NULL);
	atomic_init(&w.stop, false);
	/*
	 * Every process, even once every inode has an owner: a socket shared
	 * after fork() has one in each process (ss -p lists them all).  The
	 * directory lists thread-group leaders only (proc_pid_readdir()).
	 * Signals stay with the caller's thread.
	 */
	if (m->threads > 1) {
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		for (i = 0; i + 1 < m->threads; i++)
			if (pthread_create(&th[n], NULL, walk_run, &w) == 0)
				n++;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	pthread_mutex_lock(&m->help_mu);
	m->walk = &w;	/* from here, another thread may join in (procs_help) */
	pthread_mutex_unlock(&m->help_mu);
	walk_run(&w);
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_lock(&m->help_mu);
	m->walk = NULL;
	while (m->helpers > 0)	/* they use w until they leave */
		pthread_cond_wait(&m->help_cv, &m->help_mu);
	pthread_mutex_unlock(&m->help_mu);
	close(w.procfd);
	pthread_mutex_destroy(&w.dir_mu);
	pthread_mutex_destroy(&w.mu);
	st->processes = w.processes;
	st->unreadable = w.unreadable;
	st->unreadable_code = w.unreadable_code;
	st->cpu_ns = w.cpu_ns;
	if (w.rc < 0)
		return -1;
	st->dropped_owners = m->dropped;
	return 0;
}
