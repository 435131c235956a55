/* SPDX-License-Identifier: MIT */
/*
 * Entering a network namespace: by name (/run/netns/NAME, as `ip -n`) or by
 * the namespace of a process (/proc/PID/ns/net: containers).  sock_diag,
 * /proc/net and /proc/sys/net all follow the calling thread's namespace, so
 * entering once at start-up points every collector at it.
 */
#ifndef TD_COLLECTORS_NETNS_H
#define TD_COLLECTORS_NETNS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

struct td_err;

/*
 * Enter the namespace named name (if not NULL) or that of process pid (if
 * > 0).  Returns 0, or -1 with *err set: code ENOENT/ESRCH when the
 * namespace or process does not exist (the message says which), EPERM when
 * setns is not allowed.
 */
int	netns_enter(const char *name, int pid, struct td_err *err);

/* Inode of the current network namespace, or 0 if unknown. */
uint64_t netns_current_ino(void);
/*
 * Cookie of the current network namespace (SO_NETNS_COOKIE, Linux 5.14:
 * unique within a boot, unlike the inode), or 0 where the kernel or libc
 * has none.
 */
uint64_t netns_current_cookie(void);

/* ---- Every namespace on the host (-A / --all-netns) ---- */

/* How a namespace was found; the first way wins for its label. */
enum netns_how {
	NETNS_HOW_SELF = 0,	/* the caller's own namespace */
	NETNS_HOW_NAMED,	/* /run/netns/NAME (ip-netns(8)) */
	NETNS_HOW_MOUNT,	/* an nsfs bind mount elsewhere (container runtimes) */
	NETNS_HOW_PID,		/* only held by processes: /proc/PID/ns/net */
};

struct netns_info {
	uint64_t	dev, ino;	/* the nsfs inode: identity within a boot */
	int		pid;		/* lowest pid found in it, 0 if none */
	uint8_t		how;		/* enum netns_how */
	char		label[256];	/* NAME, the mount path, "pid:N", "" for the caller's */
	char		path[PATH_MAX];	/* what netns_enter_info() opens */
};

struct netns_list {
	struct netns_info	*v;
	size_t			 n, cap;
	size_t			 procs_unreadable;	/* /proc/PID/ns/net that could not be read */
};

/*
 * Find every network namespace without a daemon: the caller's own, the
 * named ones in /run/netns, nsfs bind mounts in /proc/self/mountinfo
 * (Docker's /run/docker/netns, CNI's /var/run/netns) and those held by
 * processes (/proc/PID/ns/net), deduplicated by device and inode.  The
 * list is sorted: the caller's first, then named, mounts, then by pid.
 * Returns 0, or -1 with *err set (out of memory, /proc unreadable); a
 * process that exits during the scan is skipped.  Free with
 * netns_list_free().
 */
int	netns_discover(const char *proc_root, struct netns_list *l, struct td_err *err);
void	netns_list_free(struct netns_list *l);

/*
 * Enter a namespace found by netns_discover().  Returns 0, or -1 with *err
 * set: ENOENT when it vanished (the name removed, the process exited),
 * ESTALE when the path now leads to another namespace, EPERM when setns is
 * not allowed.
 */
int	netns_enter_info(const struct netns_info *ns, struct td_err *err);

/*
 * An fd on the caller's own namespace (to come back to), or -1 with *err
 * set; netns_return() enters it again (0, or -1 with *err set).
 */
int	netns_self_fd(struct td_err *err);
int	netns_return(int fd, struct td_err *err);

#endif /* TD_COLLECTORS_NETNS_H */
