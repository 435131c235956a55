/* SPDX-License-Identifier: MIT */
/*
 * Live TCP state transitions from the sock:inet_sock_set_state tracepoint,
 * read through a private tracefs instance
 * (instances/tcpdoctor-PID-STARTTIME-PIDNS-N, see tracefs_inst.h) so the
 * global trace buffer and other tracers are left alone.  The instance is
 * removed by tracefs_close(), also after errors; the caller installs its
 * signal handlers first (tfs_guard).
 *
 * The one tracefs client: `trace` streams the buffer (tracefs_poll), the
 * kernel lab (lab/lab.c) reads it, kept, after a run (tracefs_read) and adds
 * the tcp:tcp_retransmit_synack, tcp_send_reset and tcp_receive_reset
 * events (include/trace/events/tcp.h).
 *
 * What the tracepoint shows (KERNEL-FACTS F21, Part B #2, #22): full
 * sockets only, from every network namespace; never request sockets and
 * never TIME_WAIT (a FIN_WAIT2->CLOSE or CLOSING->CLOSE marks the handover
 * to a timewait socket); CLOSE->SYN_SENT with sport 0.
 */
#ifndef TD_COLLECTORS_TRACEFS_H
#define TD_COLLECTORS_TRACEFS_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stdint.h>

struct td_err;

/* The events the client knows. */
enum td_trace_kind {
	TD_TRACE_STATE,			/* sock:inet_sock_set_state */
	TD_TRACE_RETRANSMIT_SYNACK,	/* tcp:tcp_retransmit_synack */
	TD_TRACE_SEND_RESET,		/* tcp:tcp_send_reset */
	TD_TRACE_RECEIVE_RESET,		/* tcp:tcp_receive_reset */
	TD_TRACE_KINDS
};
#define TD_TRACE_BIT(k)	(1u << (k))

struct td_trace_ev {
	int64_t		time_ns;	/* CLOCK_REALTIME of the event */
	int64_t		mono_ns;	/* its own timestamp (trace_clock mono: CLOCK_MONOTONIC) */
	uint8_t		kind;		/* enum td_trace_kind */
	uint8_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		oldstate, newstate;	/* enum td_state; TD_TRACE_STATE only */
	uint16_t	sport, dport;
	struct in6_addr	src, dst;	/* IPv4 stored v4-mapped */
	int32_t		pid;		/* task that was running, -1 if unknown */
	char		comm[16];	/* its command, "" if unknown ("<...>") */
	char		reason[48];	/* TD_TRACE_SEND_RESET: the kernel's reason, "" if none */
};

struct tracefs_opts {
	uint16_t	port;		/* only events with sport or dport == port; 0: all */
	uint16_t	port_hi;	/* > port: either port in port..port_hi instead */
	unsigned int	states;		/* only events entering these (TD_STATE_BIT); 0: all */
	unsigned int	events;		/* TD_TRACE_BIT()s; 0: TD_TRACE_STATE only */
	const char	*prefix;	/* the instance's name prefix; NULL: "tcpdoctor" */
	bool		kept;		/* read with tracefs_read(), not streamed */
};

struct tracefs_session;

/*
 * Remove the instances of dead runs (tfs_sweep), make the private
 * instance, enable the tracepoint with a kernel-side filter (TCP only,
 * plus opts), start tracing.  Mounts tracefs on /sys/kernel/tracing if it
 * is not mounted.  Returns NULL with *err set: ENOENT/ENODEV when tracefs
 * or the tracepoint is missing, EACCES/EPERM without privileges.
 */
struct tracefs_session *tracefs_open(const struct tracefs_opts *opts, struct td_err *err);

/*
 * Wait up to timeout_ms for events and call fn for each.  Returns the
 * number of events delivered (0 on timeout), or -1 with *err set (also
 * when fn returns -1).
 */
typedef int (*td_trace_fn)(const struct td_trace_ev *ev, void *arg, struct td_err *err);
int	tracefs_poll(struct tracefs_session *s, int timeout_ms, td_trace_fn fn, void *arg,
	    struct td_err *err);

/*
 * Read the instance's buffer without consuming it (the "trace" file; opts
 * .kept) and call fn for each of the events.  Returns how many, or -1 with
 * *err set (also when fn returns -1).
 */
int	tracefs_read(struct tracefs_session *s, td_trace_fn fn, void *arg, struct td_err *err);

/* The same for a file of trace text at path (tests); times are mono only. */
int	tracefs_read_file(const char *path, int64_t mono_to_real, td_trace_fn fn, void *arg,
	    struct td_err *err);

/* How many dead runs' instances tracefs_open removed; *first names the first. */
unsigned int tracefs_swept(const struct tracefs_session *s, const char **first);

/* Events the kernel dropped because the buffer was full (per_cpu stats). */
uint64_t tracefs_lost(struct tracefs_session *s);

/* Disable, remove the instance, free; safe with NULL. */
void	tracefs_close(struct tracefs_session *s);

/*
 * Parse one trace_pipe line into *ev (exposed for tests).  mono_to_real is
 * added to the line's timestamp (seconds on the instance's mono clock).
 * Returns 1 for an inet_sock_set_state TCP event or one of the tcp events
 * above, 0 for another line, -1 with *err set for a malformed event line.
 */
int	tracefs_parse_line(const char *line, int64_t mono_to_real, struct td_trace_ev *ev,
	    struct td_err *err);

#endif /* TD_COLLECTORS_TRACEFS_H */
