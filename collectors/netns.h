/* SPDX-License-Identifier: MIT */
/*
 * Entering a network namespace: by name (/run/netns/NAME, as `ip -n`) or by
 * the namespace of a process (/proc/PID/ns/net: containers).  sock_diag,
 * /proc/net and /proc/sys/net all follow the calling thread's namespace, so
 * entering once at start-up points every collector at it.
 */
#ifndef TD_COLLECTORS_NETNS_H
#define TD_COLLECTORS_NETNS_H

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

#endif /* TD_COLLECTORS_NETNS_H */
