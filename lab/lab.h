/* SPDX-License-Identifier: MIT */
/*
 * The kernel lab: a throwaway network namespace in which the running kernel's
 * TCP talks to ours over a TUN device.  lab_enter() moves the calling
 * process into a new network namespace (unshare(CLONE_NEWNET)), so everything
 * made there (device, addresses, routes, sysctls, sockets) disappears when
 * the process exits, however it exits.  The only thing outside is the private
 * tracefs instance (tdk-PID-STARTTIME-PIDNS-N), which lab_leave()
 * removes; callers call tfs_guard(TFS_SIG_REMOVE) first, so that a signal
 * removes it too, and the next lab sweeps it after a SIGKILL
 * (collectors/tracefs_inst.h).
 *
 * Addresses come from the lab's id, so that concurrent labs (and other
 * tests on the machine, whose tracepoint events land in every instance)
 * can be told apart in the trace: the kernel is 198.18.A.B/15 and
 * 2001:db8:7464::A:B:1/64, the peer 198.19.A.B and 2001:db8:7464::A:B:2
 * (RFC 2544 benchmarking and RFC 3849 documentation space), reached through
 * the TUN device.  There is no default route, so nothing can leave.
 */
#ifndef TD_LAB_LAB_H
#define TD_LAB_LAB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/tracefs.h"
#include "tcp/segment.h"
#include "lab/tun.h"

struct td_err;


/* One event of the trace (read through collectors/tracefs.h), or the model's projection of one. */
enum lab_ev_kind {
	LAB_EV_STATE = TD_TRACE_STATE,			/* sock:inet_sock_set_state */
	LAB_EV_RETRANSMIT_SYNACK = TD_TRACE_RETRANSMIT_SYNACK,	/* tcp:tcp_retransmit_synack */
	LAB_EV_SEND_RESET = TD_TRACE_SEND_RESET,	/* tcp:tcp_send_reset */
	LAB_EV_RECEIVE_RESET = TD_TRACE_RECEIVE_RESET,	/* tcp:tcp_receive_reset */
};

struct lab_ev {
	uint64_t	 ts_ns;		/* CLOCK_MONOTONIC (trace_clock mono) */
	enum lab_ev_kind kind;
	uint16_t	 sport, dport;
	int		 oldstate, newstate;	/* LAB_EV_STATE: kernel numbering */
	char		 reason[48];	/* tcp_send_reset reason, "" if none */
};

struct lab {
	struct lab_tun	 tun;
	struct tm_addr	 local4, local6;	/* the kernel's addresses */
	struct tm_addr	 peer4, peer6;		/* the scripted peer's */
	char		 local4_s[16], local6_s[48];
	struct tracefs_session *trace;		/* the tracefs instance, NULL when none */
	uint16_t	 port_lo, port_hi;	/* the trace filter: either port in range */
	bool		 entered;
};

/*
 * Enter a new network namespace and build the lab in it: lo up, TUN device
 * "tdk0" up with the kernel's addresses (derived from id, 0..62499; see
 * above), the peers' prefixes on it.
 * Returns 0, or -1 with *err set (EPERM without CAP_SYS_ADMIN/NET_ADMIN,
 * ENOENT without /dev/net/tun).  Call once per process.
 */
int	lab_enter(struct lab *lab, unsigned int id, struct td_err *err);

/*
 * Write value to /proc/sys/<name> in the lab's namespace, name with slashes
 * or dots ("net.ipv4.tcp_fin_timeout").  Returns 0 or -1 with *err set.
 */
int	lab_sysctl(struct lab *lab, const char *name, const char *value,
	    struct td_err *err);

/*
 * Make a private tracefs instance (mounting tracefs if needed, removing the
 * instances of dead labs) with the four events enabled, filtered on ports
 * lo..hi (either side), clock "mono".
 * Returns 0, or -1 with *err set (ENOENT: no tracefs; the instance is
 * removed again on failure).
 */
int	lab_trace_start(struct lab *lab, uint16_t lo, uint16_t hi, struct td_err *err);

/*
 * Read the instance's buffers (binary, per CPU, decoded by the events'
 * formats: collectors/tracefs.h) into ev[0..cap), in time order: only events
 * on the filtered ports whose local address is the lab's (the tracepoint
 * has no namespace field; the id-derived addresses stand in for one).
 * Returns the number of events (at most cap), or -1 with *err set.
 */
int	lab_trace_read(struct lab *lab, struct lab_ev *ev, size_t cap,
	    struct td_err *err);

/* The same for a recorded directory (tests; tracefs_read_dir: formats and cpuN.raw). */
int	lab_trace_read_dir(const struct lab *lab, const char *dir, struct lab_ev *ev,
	    size_t cap, struct td_err *err);

/* Remove the tracefs instance and close the device; safe to call twice. */
void	lab_leave(struct lab *lab);

/* Kernel state name ("ESTABLISHED") from its number, "?" if unknown. */
const char *lab_state_name(int st);

#endif /* TD_LAB_LAB_H */
