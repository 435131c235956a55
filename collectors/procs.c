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
};

struct procs_map *
procs_new(void)
{
	return calloc(1, sizeof(struct procs_map));
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
 * Record that fd of this process holds slot s.  *pidx is the process's
 * index in procs[], (size_t)-1 until its first socket of interest.
 * Returns 0, or -1 with *err set when memory runs out.
 */
static int
add_owner(struct procs_map *m, struct slot *s, size_t *pidx, int procfd, const char *pid,
    int32_t pidv, int32_t fd, struct td_err *err)
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
	if (*pidx == (size_t)-1) {
		if (m->nprocs == m->procs_cap &&
		    grow_array((void **)&m->procs, &m->procs_cap, sizeof(*m->procs), PROCS_MAX_OWNERS) < 0)
			return td_errf(err, ENOMEM, "procs: out of memory for %zu processes", m->nprocs);
		*pidx = m->nprocs++;
		m->procs[*pidx].pid = pidv;
		read_comm(procfd, pid, m->procs[*pidx].comm);
	}
	if (m->npool == m->pool_cap &&
	    grow_array((void **)&m->pool, &m->pool_cap, sizeof(*m->pool), PROCS_MAX_OWNERS) < 0)
		return td_errf(err, ENOMEM, "procs: out of memory for %zu owners", m->npool);
	w = &m->pool[m->npool++];
	w->proc = (uint32_t)*pidx;
	w->fd = fd;
	w->next = s->head;
	s->head = (uint32_t)m->npool;
	return 0;
}

/*
 * Look through one process's fds: its fd directory opened relative to
 * procfd, read by getdents64, each entry's link read by readlinkat on that
 * directory (ss -p and netstat -p read the same links).  Only a
 * "socket:[N]" link is looked at further.  Returns 1 when they were read,
 * 0 when they cannot be (*code set), -1 with *err set when memory runs out.
 */
static int
scan_pid(struct procs_map *m, int procfd, const char *pid, int32_t pidv, int *code,
    struct td_err *err)
{
	char path[32], link[64];
	char buf[8192] __attribute__((aligned(8)));
	size_t pidx = (size_t)-1, off;
	const struct d64 *de;
	struct slot *s;
	uint64_t ino, fd;
	ssize_t n, got;
	int dfd, rc = 1;

	snprintf(path, sizeof(path), "%s/fd", pid);
	dfd = openat(procfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 1;	/* gone meanwhile: not hidden */
		*code = errno;
		return 0;
	}
	while (rc == 1 && (got = dents(dfd, buf, sizeof(buf))) > 0) {
		if (cancelled(m)) {
			rc = -1;
			td_errf(err, ECANCELED, "procs: the scan was stopped");
			break;
		}
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
			s = m->size > 0 ? find_slot(m->slots, m->size, (uint32_t)ino) : NULL;
			if (s == NULL || s->inode != ino) {
				if (m->collect == 0)
					continue;	/* not wanted */
				/* procs_collect: every socket held, up to its cap. */
				if (m->used >= m->collect) {
					m->overflow = true;
					continue;
				}
				if ((m->used + 1) * 10 > m->size * 7 && grow(m, err) < 0) {
					rc = -1;
					break;
				}
				s = find_slot(m->slots, m->size, (uint32_t)ino);
				s->inode = (uint32_t)ino;
				m->used++;
			}
			if (add_owner(m, s, &pidx, procfd, pid, pidv, (int32_t)fd, err) < 0) {
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
	close(dfd);
	return rc;
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

/* Every process's fds once; m->collect says whether to keep every socket. */
static int
walk_procs(struct procs_map *m, const char *proc_root, struct procs_stats *st,
    struct td_err *err)
{
	char buf[8192] __attribute__((aligned(8)));
	const struct d64 *de;
	int64_t c0 = td_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint64_t pid;
	ssize_t got;
	size_t off;
	int code = 0, rc = 0, procfd;

	if (proc_root == NULL)
		proc_root = "/proc";
	procfd = open(proc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (procfd < 0)
		return td_errf(err, errno, "procs: cannot read '%s': %s", proc_root,
		    strerror(errno));
	/*
	 * Every process, even once every inode has an owner: a socket shared
	 * after fork() has one in each process (ss -p lists them all).  The
	 * directory lists thread-group leaders only (proc_pid_readdir()).
	 */
	while (rc == 0 && !m->overflow && (got = dents(procfd, buf, sizeof(buf))) > 0) {
		for (off = 0; off < (size_t)got; off += de->reclen) {
			de = (const struct d64 *)(buf + off);
			if (!decimal(de->name, strlen(de->name), &pid) || pid < 1 || pid > INT32_MAX)
				continue;
			st->processes++;
			rc = scan_pid(m, procfd, de->name, (int32_t)pid, &code, err);
			if (rc < 0)
				break;
			if (rc == 0 && st->unreadable++ == 0)
				st->unreadable_code = code;
			rc = 0;
			if (m->overflow)
				break;	/* procs_collect's caller starts over */
		}
	}
	close(procfd);
	st->cpu_ns = td_clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (rc < 0)
		return -1;
	st->dropped_owners = m->dropped;
	return 0;
}
