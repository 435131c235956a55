/* SPDX-License-Identifier: MIT */
/*
 * The connection events inside `watch`: while watch runs, a thread of its
 * own reads the sock_diag destroy notifications of every watched namespace
 * and the sock:inet_sock_set_state transitions (and the resets, where the
 * kernel has those events) through the events collector
 * (collectors/events.h: events_open, events_poll, the tracker that joins
 * the two streams and the aggregates), so a connection that lived and died
 * between two samples is counted, with its lifetime and bytes.  At each
 * sample of a namespace, what its connections added since the previous
 * sample becomes that sample's interval (struct watch_ev, read by the line
 * outputs, the console and the Prometheus file) and is added to the run's
 * totals.
 *
 * Per destination (connect()): opened, succeeded, refused (a RST answered
 * the SYN), timed out, unreachable, reset after establishment; per
 * listener (accept()): accepted, reset, dropped (the growth of the
 * listener's sk_drops between two samples, which tcp_listendrop() counts
 * for accept-queue overflows and other SYN drops, net/ipv4/tcp_input.c).
 *
 * Lost notifications (ENOBUFS, SK_MEMINFO_DROPS) and lost transitions
 * (trace buffer overruns) are counted per interval and per run.  Without
 * CAP_NET_ADMIN (the destroy groups) the events are unavailable: every
 * output says so, with the reason, and shows them as unknown, never 0.
 */
#ifndef TD_CMD_WATCH_EVENTS_H
#define TD_CMD_WATCH_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct watch;
struct watch_events;
struct td_ctx;
struct td_sock;
struct td_snapshot;
struct td_findings;
struct td_err;
struct events_agg;
struct td_conn_ev;
struct json_t;

#define WEV_PROM_TOP	16	/* destinations (and listeners) with a label of their own */
#define WEV_LSN		256	/* listeners whose drops are followed, per namespace */
#define WEV_KEEP	4096	/* connections kept per interval and namespace (watch_events_keep) */

/* A destination or listener with its own Prometheus label. */
struct wev_key {
	uint8_t		family;
	uint16_t	port;
	uint8_t		addr[16];
};

/* What the events said about one namespace (struct watch's ev). */
struct watch_ev {
	bool		available;	/* its destroy notifications are read */
	bool		traced;		/* transitions traced: outcomes and lifetimes exact */
	char		why[384];	/* !available: why not; !traced: why not traced */
	struct events_agg *iv;		/* the last interval: between its last two samples */
	struct events_agg *tot;		/* the run */
	double		iv_s;		/* the interval's length, 0 before the second sample */
	uint64_t	lost_iv, lost;	/* notifications lost: the interval, the run */
	uint64_t	tlost_iv, tlost;	/* transitions lost (the trace buffer; all namespaces) */
	uint64_t	lost_seen, tlost_seen;	/* the counters at the previous sample */
	/* Prometheus: the destinations and listeners labelled, in order of first sight. */
	struct wev_key	pdest[WEV_PROM_TOP], plsn[WEV_PROM_TOP];
	size_t		npdest, nplsn;
	/* The listeners of the latest sample and their sk_drops. */
	struct {
		struct wev_key	k;
		uint32_t	drops, prev;
		bool		seen, known;
	}		lsn[WEV_LSN];
	size_t		nlsn;
	int		slot;		/* the collector thread's slot, -1 if none */
	/*
	 * watch_events_keep(): the connections of the last interval, each as
	 * it ended (time order), at most WEV_KEEP; over: the ones beyond.
	 */
	struct td_conn_ev *conns;
	size_t		nconns;
	uint64_t	conns_over;
	struct events_agg *next;	/* playback: the next interval, its listeners' rows made */
	struct ev_owners *own;		/* its sockets' owners (the collector thread's slot's), or NULL */
};

/*
 * Start following events: the trace session (one for every namespace, the
 * tracepoint sees them all) and the collector thread.  ctx gives the
 * family; sys_giveup_ns and syn_rtx the model's connect() timeout under
 * the current namespace's sysctls (tm_syn_giveup, tm_syn_rtx_count).
 * Never fails: without tracefs, the events go untraced (watch_ev.traced
 * false, with the reason); out of memory, NULL (every namespace then says
 * unavailable).
 */
struct watch_events *watch_events_start(const struct td_ctx *ctx, int64_t syn_giveup_ns,
	    unsigned int syn_rtx);

/*
 * Keep each connection of an interval, not only its counts (watch
 * --record, --connections): watch_ev.conns.  Call before the first attach.
 */
void	watch_events_keep(struct watch_events *we);

/*
 * Subscribe w's namespace (the one the calling thread is in now) to the
 * destroy notifications.  Called once per namespace.  Returns 0, or -1
 * when the events are unavailable there (EPERM where the kernel wants
 * CAP_NET_ADMIN, out of memory; we NULL); *why then points to the reason
 * (w->ev->why), and also when they are read untraced, for the caller to
 * say; NULL otherwise.
 */
int	watch_events_attach(struct watch_events *we, struct watch *w, const char **why);

/*
 * The owners of the sockets that go away come from the samples' own walks
 * (collectors/evowners.h, ev_owners_feed_*): watch_events_begin() before
 * a sample's walk of w's namespace (nothing after watch_events_final()), watch_events_visit() with each of its
 * sockets, watch_events_owner_map() with the walk's owner map (check_opts
 * owner_map), and watch_events_sample() merges them.  A sample without
 * owners (analyzers that ask for none) gives nothing: the namespace's
 * owner table then scans /proc on its own, as `events` does.
 */
struct procs_map;
struct procs_stats;
void	watch_events_begin(struct watch_events *we, struct watch *w);
void	watch_events_owner_map(struct watch *w, const struct procs_map *m, bool all,
	    const struct procs_stats *st);

/* Called with every socket of a sample: the listeners' drops, the owners. */
void	watch_events_visit(struct watch *w, const struct td_sock *sk);

/*
 * At a sample of w's namespace: the connections since its previous sample
 * become the interval (w->ev->iv), added to the run (w->ev->tot); the
 * findings they support are appended to *out (failed connects, and
 * connections that die young), the connect() timeout taken from the
 * snapshot's sysctls.  Returns 0, or -1 with *err set.
 */
int	watch_events_sample(struct watch_events *we, struct watch *w, const struct td_snapshot *snap,
	    struct td_findings *out, struct td_err *err);

/*
 * Playback (watch --from RECORDING on the console): the sample s of a
 * recording as watch_events_sample() made it live.  What watch said of
 * the events (its record's "events": available, traced, lost) is taken
 * as recorded; the interval is rebuilt from the sample's recorded
 * connections (rec_sample.events), joined to the listeners of the
 * sample before it as live, and judged by the same analyzers.  Returns
 * 0, or -1 with *err set (a connection record that is damaged).
 */
struct rec_sample;
int	watch_events_replay(struct watch *w, const struct rec_sample *s, const struct td_snapshot *snap,
	    struct td_findings *out, struct td_err *err);

/*
 * The next sample is the last (--count): no owner scan starts from now on,
 * since its table would serve no interval and watch would only wait for
 * it at the end.  Safe with NULL.
 */
void	watch_events_final(struct watch_events *we);

/* Stop the thread, close every subscription and the trace session; safe with NULL. */
void	watch_events_stop(struct watch_events *we);

/* Free what watch_events_attach and _sample gave w (safe when none). */
void	watch_ev_free(struct watch *w);

/* The "events" member of a watch NDJSON record. */
struct json_t *watch_events_json(const struct watch *w);

/* Table: the header cells, and the cells of a sample ("?" when unknown). */
void	watch_events_table_head(FILE *fp);
void	watch_events_table_cells(FILE *fp, const struct watch *w);
/* The same cells from the "events" member of a recorded record (playback). */
void	watch_events_table_cells_json(FILE *fp, const struct json_t *ev);

/*
 * Prometheus: the events' families for w (netns: a label value, or NULL
 * for none).  Counters per destination and listener with bounded labels:
 * the first WEV_PROM_TOP seen have their own, the rest are summed in
 * "other" (so every counter only grows).  Returns 0, or -1 when writing fails.
 */
int	watch_events_prometheus(FILE *fp, const struct watch *w);

/* How many connections (ended) the run counted in w's namespace, for the summary. */
void	watch_events_summary(FILE *fp, const struct watch *w);

#endif /* TD_CMD_WATCH_EVENTS_H */
