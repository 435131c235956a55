/* SPDX-License-Identifier: MIT */
/*
 * Private tracefs instances that never outlive their process: the instance
 * of `trace` (tcpdoctor-*) and of the kernel lab (tdk-*).
 *
 * An instance keeps its tracepoints enabled and its ring buffer allocated
 * until someone removes it, so one left behind by a killed process slows
 * the host until reboot.  Three defences:
 *
 *  - every terminating signal that can be caught is handled, and the
 *    handler is installed before the instance exists (tfs_guard);
 *  - the instance's name records its owner: PREFIX-PID-STARTTIME-PIDNS-N,
 *    STARTTIME being field 22 of /proc/PID/stat (clock ticks after boot,
 *    proc(5)) and PIDNS the inode of /proc/self/ns/pid, so a reused PID or
 *    another PID namespace never passes for the owner;
 *  - every start removes the instances whose owner is gone (tfs_sweep),
 *    which also covers SIGKILL and the fault signals left to the
 *    sanitizers (SEGV, BUS, ILL, FPE, TRAP, SYS).
 *
 * The owner also keeps the instance's tracing_on open while it lives: the
 * kernel refuses to remove an instance with open files (EBUSY,
 * __remove_instance() in kernel/trace/trace.c), so not even a wrong
 * verdict can take a live run's instance away.
 */
#ifndef TD_COLLECTORS_TRACEFS_INST_H
#define TD_COLLECTORS_TRACEFS_INST_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct td_err;

/*
 * The tracefs mount point (/sys/kernel/tracing, or the old
 * /sys/kernel/debug/tracing), mounting it on /sys/kernel/tracing if it is
 * not mounted.  NULL with *err set: EACCES/EPERM naming the path when this
 * user may not use it ("needs root or CAP_SYS_ADMIN"), ENOENT when tracefs
 * is missing.
 */
const char *tfs_root(struct td_err *err);

enum tfs_on_signal {
	TFS_SIG_STOP,		/* record the signal in tfs_stop_signal; the caller stops */
	TFS_SIG_REMOVE,		/* remove every live instance at once, then die by the signal */
};

/* The first terminating signal received under TFS_SIG_STOP, 0 if none. */
extern volatile sig_atomic_t tfs_stop_signal;

/*
 * Handle every catchable terminating signal (HUP INT QUIT ABRT USR1 USR2
 * PIPE ALRM TERM STKFLT XCPU XFSZ VTALRM PROF IO PWR and the real-time
 * signals) as mode says.  Call before tfs_inst_make.  The handlers only
 * make async-signal-safe calls on paths computed beforehand.
 */
void	tfs_guard(enum tfs_on_signal mode);

/*
 * Block (true) or unblock those signals; pairs nest, the outermost one
 * blocks and unblocks.  While any file of an instance is open the kernel
 * refuses to remove it (EBUSY), so code that opens one blocks first.
 */
void	tfs_block(bool block);

/*
 * End the process by sig as its default action would (after the caller's
 * cleanup under TFS_SIG_STOP).  Does not return.
 */
void	tfs_reraise(int sig) __attribute__((noreturn));

struct tracefs_instance;

struct tfs_inst {
	char	dir[PATH_MAX];		/* ROOT/instances/PREFIX-..., "" when none */
	int	slot;			/* in the signal handler's table, -1 if none */
	struct tracefs_instance *ti;	/* libtracefs's handle of it, NULL when none */
};

/*
 * Make root/instances/PREFIX-PID-STARTTIME-PIDNS-N (tracefs_instance_create
 * of libtracefs) after sweeping the dead owners' instances; *removed (may be NULL) gets how many were swept and
 * swept_name[64] the first one's name.  Returns 0, or -1 with *err set.
 */
int	tfs_inst_make(struct tfs_inst *in, const char *root, const char *prefix,
	    unsigned int *removed, char *swept_name, struct td_err *err);

/* Disable the instance's events and remove it (tracefs_instance_destroy); safe twice. */
void	tfs_inst_remove(struct tfs_inst *in);

/*
 * Remove every instance under root/instances named by tcpdoctor (both
 * prefixes) whose owner is gone:
 *  - PREFIX-PID-STARTTIME-PIDNS-N, PIDNS ours: no process PID (kill(2)
 *    says ESRCH), or one whose start time differs (the PID was reused);
 *    names from another PID namespace are left alone;
 *  - the names of earlier versions, tcpdoctor-PID-N and tdk-PID-HEX, which
 *    carry no start time: only when no process PID exists, and only from
 *    the initial PID namespace (where those versions' PIDs were counted).
 * Returns the number removed; first[64] (may be NULL) gets the first name.
 */
unsigned int tfs_sweep(const char *root, char *first);

/*
 * Field 3 (state) and field 22 (starttime) of a /proc/PID/stat text; the
 * command name in field 2 may hold spaces and parentheses.  0, or -1 if
 * malformed.
 */
int	tfs_stat_parse(const char *stat, char *state, unsigned long long *start);

/*
 * Parse an instance name: 2 for PREFIX-PID-STARTTIME-PIDNS-N, 1 for an
 * earlier version's PREFIX-PID-N (tdk: hex N), 0 for anything else
 * (another tool's instance).  Exposed for tests.
 */
int	tfs_parse_name(const char *name, long *pid, unsigned long long *start,
	    unsigned long long *pidns);

#endif /* TD_COLLECTORS_TRACEFS_INST_H */
