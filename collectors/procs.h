/* SPDX-License-Identifier: MIT */
/*
 * Socket owners: socket inode -> every (process, fd) holding it, found the
 * way ss -p and netstat -p do it, by reading the /proc/PID/fd/N links
 * ("socket:[N]").  That costs one readlink per open file on the host
 * (KERNEL-FACTS F22), so it runs only when asked, once per walk.  It keeps
 * either the inodes the caller registered (procs_want, procs_resolve) or
 * every socket some process holds (procs_collect, up to its own cap, so
 * that the caller needs no dump to learn the inodes first): memory grows
 * with the number of kept inodes and of their owners, never with the
 * processes or other files of the host, and both have a hard cap
 * (PROCS_MAX_INODES, PROCS_MAX_OWNERS) past which lookups are counted as
 * skipped instead of growing.
 *
 * Without root (CAP_SYS_PTRACE / same uid), only the caller's own processes
 * can be read; the others are counted (procs_stats) and their sockets stay
 * without owner.  Request, timewait and orphaned sockets have inode 0 and
 * never have an owner; children still in the accept queue have inode 0
 * too (F13).
 */
#ifndef TD_COLLECTORS_PROCS_H
#define TD_COLLECTORS_PROCS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_err;
struct td_owner;
struct procs_map;

/*
 * Hard caps.  The table holds at most PROCS_MAX_INODES inodes (8-byte
 * slots, at most 70% full, so never more than 2^19 slots: 4 MiB); an inode
 * beyond it is not looked up and counted in procs_stats.skipped_inodes.
 * At most PROCS_MAX_OWNERS (process, fd) pairs are kept (12 bytes each, 6
 * MiB) with one name per process; more are counted per inode (procs_lookup's
 * *total, 4 more bytes a slot once that happens) and in dropped_owners.
 * Memory follows what is wanted: 90,000 listeners and 90,000 CLOSE_WAIT
 * sockets take 2 MiB of table.  An inode
 * above 2^32 - 1 is no socket's (get_next_ino()) and is skipped.
 */
#define PROCS_MAX_SLOTS		(1u << 19)
#define PROCS_MAX_INODES	360000	/* < 70% of PROCS_MAX_SLOTS */
#define PROCS_MAX_OWNERS	(1u << 19)

/* What one procs_resolve() could and could not see. */
struct procs_stats {
	size_t	processes;	/* PIDs listed in proc_root */
	size_t	unreadable;	/* of those, whose fd directory could not be read */
	int	unreadable_code;	/* errno of the first such failure (EACCES) */
	size_t	skipped_inodes;	/* wanted beyond PROCS_MAX_INODES: not looked up */
	size_t	dropped_owners;	/* owners beyond PROCS_MAX_OWNERS: counted only */
	int64_t	cpu_ns;		/* CPU time the scan took (its thread's) */
};

/* An empty map, or NULL when out of memory. */
struct procs_map	*procs_new(void);
void			 procs_free(struct procs_map *m);

/*
 * Size m's table for n inodes at once (at most PROCS_MAX_INODES), so that
 * a map whose size is known from a previous walk is not grown, and copied,
 * step by step.  m must be new.  Returns 0, or -1 with *err set when
 * memory runs out.
 */
int	procs_reserve(struct procs_map *m, size_t n, struct td_err *err);

/*
 * Register an inode to resolve (0 is ignored, a repeat is kept once).
 * Past PROCS_MAX_INODES the inode is counted as skipped, not an error.
 * Returns 0, or -1 with *err set when memory runs out.
 */
int	procs_want(struct procs_map *m, uint64_t inode, struct td_err *err);

/*
 * Scan <proc_root>/PID/fd of every process once, O(processes + open
 * files), and record for each wanted inode every (pid, fd) holding it: a
 * socket shared after fork() has several.  Processes whose fd directory
 * cannot be read are skipped and counted in *st (may be NULL), as are the
 * skipped inodes.  Returns 0, or -1 with *err set when proc_root itself
 * cannot be read or memory runs out.
 */
int	procs_resolve(struct procs_map *m, const char *proc_root, struct procs_stats *st,
	    struct td_err *err);

/*
 * The same scan with nothing registered first: every socket inode held by
 * a process is kept with its owners, up to max_inodes (at most
 * PROCS_MAX_INODES) of them, so that one socket dump can follow instead of
 * a dump for the inodes, the scan, and the dump.  *complete is false when
 * more were held (or the scan failed): the map then lacks some, and the
 * caller resolves the inodes it wants with procs_want and procs_resolve on
 * a new map instead.  m must be new.  Returns 0, or -1 with *err set as
 * procs_resolve.
 */
#define PROCS_COLLECT_INODES	180000	/* 2^18 slots: 2 MiB of table */
int	procs_collect(struct procs_map *m, const char *proc_root, size_t max_inodes,
	    bool *complete, struct procs_stats *st, struct td_err *err);

/*
 * Scan with up to n threads (at most PROCS_SCAN_THREADS; the caller's is
 * one of them).  n 0, as a new map has it: as many as this process may
 * run on CPUs, or one with TD_OWNERS_SEQUENTIAL=1 in the environment.  Each thread reads
 * the fd links of processes of its own, the kernel's work that is nearly
 * all the scan costs, so two CPUs take about half the time; the map comes
 * out the same (procs_lookup, procs_owners_of), except the order of
 * procs_each_process and, past PROCS_MAX_OWNERS, which owners are kept
 * rather than counted.
 */
#define PROCS_SCAN_THREADS	4
void	procs_scan_threads(struct procs_map *m, unsigned int n);

/*
 * The scan of m will run beside other work of the caller's (a dump), whose
 * thread joins it by procs_help once that work is done: one thread fewer
 * than procs_scan_threads gave (at least one), so that the threads at work
 * are no more than the CPUs.
 */
void	procs_scan_beside(struct procs_map *m);

/*
 * Join the scan of m under way in another thread (procs_resolve,
 * procs_collect), reading the fd links of the processes not yet taken
 * until the /proc directory ends.  Returns false at once when no scan of
 * m is under way (not yet begun, or over); true once this thread's part is
 * done (the scan itself may not be: wait for its own thread).
 */
bool	procs_help(struct procs_map *m);

/* Keep at most max owners instead of PROCS_MAX_OWNERS (tests of the cap; 0: that). */
void	procs_limit_owners(struct procs_map *m, size_t max);

/*
 * A flag another thread may set to stop the scans of m: procs_resolve and
 * procs_collect then return -1 with ECANCELED within one buffer of
 * directory entries (a few hundred descriptors).  NULL: none.
 */
void	procs_cancel_on(struct procs_map *m, const atomic_bool *flag);

/*
 * The owners of sk (its inode) from m and, without any, why (enum
 * td_owner_status): owners[], nowners, owners_more, has_owner, pid, comm
 * and owner_status are set.  all: m holds every socket some process holds
 * (a complete procs_collect), else only the inodes registered with
 * procs_want; st: what the scan saw.
 */
struct td_sock;
void	procs_owners_of(const struct procs_map *m, bool all, const struct procs_stats *st,
	    struct td_sock *sk);

/* Whether inode was registered and kept (false: never wanted, or skipped). */
bool	procs_known(const struct procs_map *m, uint64_t inode);

/*
 * The owners of inode, lowest pid first (then lowest fd), at most max of
 * them into out[]; returns how many were stored and sets *total (may be
 * NULL) to how many hold it, counted past max and past the caps.
 */
size_t	procs_lookup(const struct procs_map *m, uint64_t inode, struct td_owner *out,
	    size_t max, size_t *total);

/*
 * Each process the map names (one that holds a kept inode), in the order
 * the scan found them: fn(arg, pid, comm).
 */
void	procs_each_process(const struct procs_map *m,
	    void (*fn)(void *arg, int32_t pid, const char comm[16]), void *arg);

/* Number of wanted inodes kept, and of those with an owner. */
size_t	procs_wanted(const struct procs_map *m);
size_t	procs_found(const struct procs_map *m);
/* Bytes the map holds now (table, owners, processes), for tests and bench. */
size_t	procs_bytes(const struct procs_map *m);

#endif /* TD_COLLECTORS_PROCS_H */
