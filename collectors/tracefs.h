/* SPDX-License-Identifier: MIT */
/*
 * The kernel's TCP tracepoints, read through a private tracefs instance
 * (instances/tcpdoctor-PID-STARTTIME-PIDNS-N, see tracefs_inst.h) so the
 * global trace buffer and other tracers are left alone.  The instance is
 * removed by tracefs_close(), also after errors; the caller installs its
 * signal handlers first (tfs_guard).
 *
 * The one tracefs client of the project, on the tracing maintainers'
 * libraries: libtracefs makes the instance, applies the in-kernel filters
 * and enables the events; each CPU's ring buffer is read in binary
 * (per_cpu/cpuN/trace_pipe_raw, sub-buffer by sub-buffer) and every record
 * is decoded by libtraceevent from its event's format file (field names,
 * offsets and sizes as this kernel declares them; symbolic values from the
 * format's print fmt).  `trace` and `events` stream it (tracefs_poll), the
 * kernel lab (lab/lab.c) reads it after a run (tracefs_read).
 *
 * What sock:inet_sock_set_state shows (KERNEL-FACTS F21, Part B #2, #22):
 * full sockets only, from every network namespace; never request sockets
 * and never TIME_WAIT (a FIN_WAIT2->CLOSE or CLOSING->CLOSE marks the
 * handover to a timewait socket); CLOSE->SYN_SENT with sport 0.
 */
#ifndef TD_COLLECTORS_TRACEFS_H
#define TD_COLLECTORS_TRACEFS_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_err;

/* The events the client knows (include/trace/events/{sock,tcp,skb}.h). */
enum td_trace_kind {
	TD_TRACE_STATE,			/* sock:inet_sock_set_state */
	TD_TRACE_RETRANSMIT_SYNACK,	/* tcp:tcp_retransmit_synack */
	TD_TRACE_SEND_RESET,		/* tcp:tcp_send_reset */
	TD_TRACE_RECEIVE_RESET,		/* tcp:tcp_receive_reset */
	TD_TRACE_RETRANSMIT_SKB,	/* tcp:tcp_retransmit_skb */
	TD_TRACE_DESTROY_SOCK,		/* tcp:tcp_destroy_sock */
	TD_TRACE_KFREE_SKB,		/* skb:kfree_skb, dropped in the kernel's TCP code */
	TD_TRACE_KINDS
};
#define TD_TRACE_BIT(k)	(1u << (k))

/* "sock/inet_sock_set_state" and so on: the event's directory under events/. */
const char *tracefs_kind_dir(enum td_trace_kind k);
/* "inet_sock_set_state" and so on. */
const char *tracefs_kind_name(enum td_trace_kind k);

struct td_trace_ev {
	int64_t		time_ns;	/* CLOCK_REALTIME of the event */
	int64_t		mono_ns;	/* its own timestamp (trace_clock mono: CLOCK_MONOTONIC) */
	uint8_t		kind;		/* enum td_trace_kind */
	uint8_t		family;		/* AF_INET or AF_INET6; 0 for kfree_skb (no addresses) */
	uint8_t		oldstate, newstate;	/* enum td_state; TD_TRACE_STATE only */
	uint8_t		state;		/* the socket's state (send_reset, retransmit_skb), 0 if none */
	uint16_t	sport, dport;
	uint16_t	cpu;		/* the CPU whose buffer held it */
	struct in6_addr	src, dst;	/* IPv4 stored v4-mapped */
	/*
	 * The task that was running, as the tracepoint saw it: tid is the
	 * kernel's current->pid (a thread's own id); pid its process (the
	 * thread group, /proc/TID/status Tgid), resolved while the thread
	 * lives (a live session), else -1: unknown, never the tid in its place.
	 */
	int32_t		pid;
	int32_t		tid;		/* -1 if unknown */
	int32_t		err;		/* retransmit_skb: the transmit's result (0, -errno) */
	uint64_t	cookie;		/* the socket's cookie where the event has it, else 0 */
	char		comm[16];	/* its process's command (the thread's while the
					 * process is unknown), "" if unknown */
	char		reason[48];	/* send_reset: enum sk_rst_reason; kfree_skb: enum
					 * skb_drop_reason; the name the format prints, "" if none */
	char		where[48];	/* kfree_skb: the kernel function that dropped it */
};

struct tracefs_opts {
	uint16_t	port;		/* only events with sport or dport == port; 0: all */
	uint16_t	port_hi;	/* > port: either port in port..port_hi instead */
	unsigned int	states;		/* only transitions entering these (TD_STATE_BIT); 0: all */
	unsigned int	events;		/* TD_TRACE_BIT()s; 0: TD_TRACE_STATE only */
	const char	*prefix;	/* the instance's name prefix; NULL: "tcpdoctor" */
	bool		kept;		/* read with tracefs_read(), not streamed */
	bool		optional;	/* events the kernel lacks are skipped (tracefs_missing) */
};

struct tracefs_session;

/*
 * Remove the instances of dead runs (tfs_sweep), make the private
 * instance, apply the kernel-side filters (TCP only where the event has a
 * protocol field, the ports where it has port fields, opts->states), enable
 * the events, start tracing.  Mounts tracefs on /sys/kernel/tracing if it
 * is not mounted.  Returns NULL with *err set: ENOENT/ENODEV when tracefs
 * or a (not optional) tracepoint is missing, EACCES/EPERM without
 * privileges.
 */
struct tracefs_session *tracefs_open(const struct tracefs_opts *opts, struct td_err *err);

/* The requested events this kernel lacks or that cannot be traced as asked (opts.optional). */
unsigned int tracefs_missing(const struct tracefs_session *s);
/* Why kind k is missing ("" if it is not). */
const char *tracefs_missing_why(const struct tracefs_session *s, enum td_trace_kind k);

/*
 * Wait up to timeout_ms for events and call fn for each.  Returns the
 * number of events delivered (0 on timeout), or -1 with *err set (also
 * when fn returns -1).
 */
typedef int (*td_trace_fn)(const struct td_trace_ev *ev, void *arg, struct td_err *err);
int	tracefs_poll(struct tracefs_session *s, int timeout_ms, td_trace_fn fn, void *arg,
	    struct td_err *err);

/*
 * From now on tracefs_poll() also stops waiting when fd becomes readable
 * (another thread's "stop now": fd is not read); -1: no such fd.
 */
void	tracefs_wake_on(struct tracefs_session *s, int fd);

/*
 * Read what the buffers hold (opts.kept; the buffers are opened only for
 * the read, so a signal handler can remove the instance at any other time)
 * and call fn for each event.  Returns how many, or -1 with *err set (also
 * when fn returns -1).
 */
int	tracefs_read(struct tracefs_session *s, td_trace_fn fn, void *arg, struct td_err *err);

/* How many dead runs' instances tracefs_open removed; *first names the first. */
unsigned int tracefs_swept(const struct tracefs_session *s, const char **first);

/*
 * Events lost per CPU: the ring buffer's overruns and drops (per_cpu/cpuN/
 * stats "overrun" and "dropped events") and, when the kernel could not
 * count them, one for each sub-buffer marked as having missed some.
 * Fills lost[0..cap) and returns the number of CPUs.
 */
size_t	tracefs_lost_cpus(struct tracefs_session *s, uint64_t *lost, size_t cap);
/* Their sum. */
uint64_t tracefs_lost(struct tracefs_session *s);
/* "cpu0 12, cpu3 4" for the CPUs that lost any, into buf; the total. */
uint64_t tracefs_lost_text(struct tracefs_session *s, char *buf, size_t len);

/* Records decoded so far (every event read, also those filtered out here). */
uint64_t tracefs_records(const struct tracefs_session *s);

/* Disable, remove the instance, free; safe with NULL. */
void	tracefs_close(struct tracefs_session *s);

/*
 * The decoder alone (tests, fuzzing): the formats of a directory laid out
 * like tracefs (DIR/events/header_page, DIR/events/SYSTEM/EVENT/format),
 * then whole sub-buffers as trace_pipe_raw returns them.  mono_to_real is
 * added to each record's timestamp.
 */
struct tracefs_decoder;
struct tracefs_decoder *tracefs_decoder_load(const char *dir, const struct tracefs_opts *opts,
	    struct td_err *err);
/* Decode a buffer of whole sub-buffers (len a multiple of the page size). */
int	tracefs_decode(struct tracefs_decoder *d, const void *buf, size_t len, unsigned int cpu,
	    int64_t mono_to_real, td_trace_fn fn, void *arg, struct td_err *err);
void	tracefs_decoder_free(struct tracefs_decoder *d);

/*
 * Decode DIR/cpu0.raw, cpu1.raw, ... (what per_cpu/cpuN/trace_pipe_raw
 * gave) by the formats of DIR as tracefs_decoder_load, and call fn for
 * each event in time order.  Returns how many, or -1 with *err set.
 */
int	tracefs_read_dir(const char *dir, const struct tracefs_opts *opts, int64_t mono_to_real,
	    td_trace_fn fn, void *arg, struct td_err *err);

#endif /* TD_COLLECTORS_TRACEFS_H */
