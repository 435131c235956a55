/* SPDX-License-Identifier: MIT */
/*
 * Socket owners: socket inode -> pid and command name, found the way ss -p
 * and netstat -p do it, by reading the /proc/PID/fd/N links ("socket:[N]").
 * That costs one readlink per open file on the host (KERNEL-FACTS F22), so
 * it runs only when asked, once per walk, and only looks for the inodes the
 * caller registered: memory grows with the number of wanted inodes, not
 * with the number of processes or files.
 *
 * Without root (CAP_SYS_PTRACE / same uid), only the caller's own processes
 * can be read; other owners stay unknown.  Request, timewait and orphaned
 * sockets have inode 0 and never have an owner; children still in the
 * accept queue have inode 0 too (F13).
 */
#ifndef TD_COLLECTORS_PROCS_H
#define TD_COLLECTORS_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_err;
struct procs_map;

/* An empty map, or NULL when out of memory. */
struct procs_map	*procs_new(void);
void			 procs_free(struct procs_map *m);

/* Register an inode to resolve (0 is ignored).  Returns 0, or -1 with *err set. */
int	procs_want(struct procs_map *m, uint64_t inode, struct td_err *err);

/*
 * Scan <proc_root>/PID/fd of every process once and record, for each
 * wanted inode, the lowest pid holding it (a socket shared after fork());
 * stops early when every inode has an owner, which in /proc (listed in
 * ascending pid order) is already the lowest.  Processes whose fd directory cannot be read are skipped and
 * counted in *hidden (may be NULL).  Returns 0, or -1 with *err set when
 * proc_root itself cannot be read.
 */
int	procs_resolve(struct procs_map *m, const char *proc_root, size_t *hidden,
	    struct td_err *err);

/* The owner of inode, if resolved: true and *pid, comm (16 bytes, NUL-terminated). */
bool	procs_lookup(const struct procs_map *m, uint64_t inode, int32_t *pid, char *comm);

/* Number of wanted inodes, and of those resolved. */
size_t	procs_wanted(const struct procs_map *m);
size_t	procs_found(const struct procs_map *m);

#endif /* TD_COLLECTORS_PROCS_H */
