/* SPDX-License-Identifier: MIT */
/*
 * The data model of `watch`, shared by its line outputs (cmd/watch.c) and
 * its console (cmd/console.c): what each sample added to the film.  It is
 * plain data, filled once per sample by watch.c and only read by the
 * renderers, so another source of rows (events, once they exist) can be
 * added beside the findings without touching the screens' logic.
 */
#ifndef TD_CMD_WATCH_H
#define TD_CMD_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "analyzers/analyzer.h"
#include "collectors/counters.h"
#include "collectors/snapshot.h"

struct watch_ev;
struct watch_play;

#define WATCH_MAX_ACTIVE	256	/* active findings tracked from sample to sample */
#define WATCH_CLEAR_AFTER	3	/* samples a finding must be absent to clear */
#define WATCH_HIST		240	/* samples kept for sparklines */
#define WATCH_TOP		8	/* top listeners kept per sample */
#define WATCH_KEY		(48 + 96 + 2)	/* id + " " + subject */
#define WATCH_HEADER_EVERY	20	/* table rows between headers */

/* Counters shown as rates, per second (table columns, JSON, console). */
struct watch_rate {
	enum td_counter_id	 id;
	const char		*col;		/* table column, "" for JSON only */
	const char		*label;		/* console label */
};
extern const struct watch_rate watch_rates[];
extern const size_t watch_nrates;

/* States shown as table columns (the table's order). */
struct watch_col {
	enum td_state	 st;
	const char	*col;
};
extern const struct watch_col watch_cols[];
extern const size_t watch_ncols;

/* An active finding, remembered from sample to sample. */
struct watch_active {
	char			key[WATCH_KEY];
	enum td_severity	sev;
	int64_t			since_ns;	/* wall time of the sample it started in */
	unsigned int		quiet;		/* samples in a row it was absent */
	bool			started;	/* started in this sample */
	bool			cleared;	/* cleared in this sample: gone after it */
	char			*summary;	/* its latest summary (owned) */
};

/* A finding that started during the run, for the summary and the console. */
struct watch_log {
	char			key[WATCH_KEY];
	enum td_severity	sev;		/* when it started */
	int64_t			start_ns, clear_ns;	/* wall times; clear_ns 0: still active */
};

/* A group of sockets in the latest sample, and how many. */
struct watch_group {
	char		name[80];	/* "198.18.0.7:443", "nginx[412]" */
	uint64_t	n;
};

/* A listener's queues in the latest sample. */
struct watch_listener {
	char		ep[64];
	uint64_t	accept_queue, backlog, syn_queue;
};

struct wrec;

struct watch {
	struct td_ctx		*ctx;
	const char		*nslabel;	/* -A: the namespace's label (a table column), else NULL */
	const char		*output;	/* --format prometheus -o FILE, else NULL */
	bool			 console;	/* the console draws it (cmd/console.c) */
	struct wrec		*rec;		/* --record (cmd/watch_record.h), else NULL */
	bool			 events;	/* the connection events are followed */
	bool			 connections;	/* --connections: each one printed too */
	size_t			 owner_hint;	/* the last sample's held sockets (td_source.owner_hint) */
	struct watch_active	 act[WATCH_MAX_ACTIVE];
	size_t			 nact;
	uint64_t		 untracked;	/* findings not tracked: act[] was full */
	unsigned int		 rows;
	/* The run so far. */
	struct watch_log	 log[WATCH_MAX_ACTIVE];
	size_t			 nlog;
	uint64_t		 log_dropped;	/* started findings beyond log[] */
	uint64_t		 samples;
	int64_t			 first_ns, last_ns;
	uint64_t		 first_state[TD_ST_MAX], last_state[TD_ST_MAX];
	/* The last WATCH_HIST samples, oldest first from hist_pos (a ring). */
	uint64_t		 hist_state[WATCH_HIST][TD_ST_MAX];
	double			 hist_rate[WATCH_HIST][16];	/* per watch_rates[], -1 unknown */
	size_t			 nhist, hist_pos;
	/* The latest sample's listeners, fullest accept queue first. */
	struct watch_listener	 top[WATCH_TOP];
	size_t			 ntop;
	/* The latest sample's largest groups: TIME_WAIT by destination, sockets on
	 * ephemeral local ports by destination, CLOSE_WAIT by process. */
	struct watch_group	 tw_dest[WATCH_TOP], eph_dest[WATCH_TOP], cw_proc[WATCH_TOP];
	size_t			 ntw_dest, neph_dest, ncw_proc;
	char			 host[256], netns[256];	/* as in struct td_meta */
	struct watch_ev		*ev;		/* the connection events (cmd/watch_events.h), NULL if none */
	size_t			 ns_index, ns_count;	/* -A: which namespace of how many (console) */
	char			*prom;		/* -A -o: this namespace's last exposition */
	size_t			 nprom;
	double			 interval_s;	/* the interval asked for */
	struct watch_play	*play;		/* watch --from RECORDING on the console, else NULL */
	bool			 quiet;		/* playback catching up: update the model, draw nothing */
	enum td_severity	 worst;
};

/*
 * The table's header line (cmd/watch.c): the netns column (-A), the
 * states, the rates, the events' columns when they are followed.  The
 * live table and its playback (cmd/watch_record.c) print it.
 */
void	watch_table_head(FILE *fp, bool netns, bool events);

/*
 * What changed over the samples w ran (cmd/watch.c): sockets per state
 * between the first and the last, the findings that started and cleared,
 * the connections.  The live run prints it at its end, and so does the
 * console's playback of a recording once the terminal is restored.
 */
void	watch_summary(const struct watch *w, FILE *fp);

/* The i-th sample of the history, 0 the oldest kept. */
static inline size_t
watch_hist_index(const struct watch *w, size_t i)
{
	return (w->hist_pos + WATCH_HIST - w->nhist + i) % WATCH_HIST;
}

#endif /* TD_CMD_WATCH_H */
