/* SPDX-License-Identifier: MIT */
/*
 * `watch --record FILE` and `watch --from RECORDING`: the recording of
 * what each sample saw (collectors/recsample.h has the format) and its
 * playback.  Kept apart from cmd/watch.c, which calls these hooks:
 * wrec_begin() before a sample, wrec_sock() with each of its sockets,
 * wrec_sample() once it is printed, wrec_failed() when it failed.
 */
#ifndef TD_CMD_WATCH_RECORD_H
#define TD_CMD_WATCH_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "collectors/recording.h"
#include "collectors/snapshot.h"

struct td_ctx;
struct td_err;
struct watch;
struct check_state;

#define WREC_KEYFRAME_EVERY	30	/* samples between keyframes */

struct wrec_ent {
	uint64_t	cookie;		/* 0: an empty slot */
	uint64_t	hash;		/* of the socket's record */
};

struct wrec {
	struct rec_writer	 w;
	uint64_t		 seq;		/* the sample being recorded */
	unsigned int		 since_key;	/* samples since the last keyframe */
	unsigned int		 rotations;	/* w.rotations at the last sample */
	bool			 keyframe;	/* this sample is one */
	bool			 need_key;	/* the next sample must be one */
	bool			 need_start;	/* write a "start" record first */
	double			 interval_s;
	/* Cookies of the previous sample and of this one, with their records' hashes. */
	struct wrec_ent		*prev, *cur;
	size_t			 prev_cap, cur_cap, cur_n;
	/* Socket records waiting for their line, by op (set or put; extra). */
	json_t			*chunk[2];
	uint64_t		 count;		/* sockets in this sample */
	int			 err_code;	/* a failure during the walk (ENOMEM) */
};

/* Open the recording; 0, or -1 with *err set. */
int	wrec_open(struct wrec *r, const char *path, uint64_t max, double interval_s,
	    struct td_err *err);
void	wrec_begin(struct wrec *r);
void	wrec_sock(struct wrec *r, const struct td_sock *sk, int64_t time_ns);
/*
 * Record the sample: its sockets' changes, its header, watch's record of
 * it (obj, borrowed) and the findings that started or cleared in it.
 * 0, or -1 with *err set.
 */
int	wrec_sample(struct wrec *r, const struct watch *w, const struct check_state *cs,
	    json_t *obj, struct td_err *err);
/* The sample failed: the next one is a keyframe. */
void	wrec_failed(struct wrec *r);
/*
 * A record of an event watch followed (type "event": ev, borrowed, is the
 * record as `events -j` prints it), at time_ns (the nanosecond the event
 * was read), added to the current sample.  0, or -1 with *err set.
 */
int	wrec_event(struct wrec *r, json_t *ev, int64_t time_ns, struct td_err *err);
int	wrec_close(struct wrec *r, struct td_err *err);

/*
 * `watch --from RECORDING`: the samples again, as NDJSON exactly as they
 * were printed (-j), or as the table, at the pace, from the sample and
 * for as many samples as po says; with po->connections, the connection
 * events recorded between them too, each where it came (as watch
 * --connections printed them).  Returns the exit status.
 */
struct wrec_play_opts {
	double		 speed;		/* times the recorded pace, 0: as fast as possible */
	int64_t		 count;		/* samples, 0: all */
	const char	*at;		/* NULL: from the first */
	bool		 connections;	/* the connection events too (--connections) */
};
int	wrec_play(struct td_ctx *ctx, const struct wrec_play_opts *po);

/*
 * `watch --from RECORDING` on a terminal: the console (cmd/console.c)
 * shows the recorded samples as it showed them live, each run again
 * through watch's own sample (watch_sample(), the analyzers against a
 * private state file, the events from the recorded connections), w being
 * the console's model and co watch's options.  Keys step, jump and change
 * the pace (struct watch_play); a step back replays from the start.
 * Returns the exit status.
 */
struct check_opts;
int	wrec_console(struct td_ctx *ctx, const struct wrec_play_opts *po, struct watch *w,
	    struct check_opts *co);
/* cmd/watch.c: one sample into w (from ctx->rec_sample when set); 0 or the exit status. */
int	watch_sample(struct watch *w, struct check_opts *co, long done);

/*
 * `check --from RECORDING [--at TIME]` without --state-file: the samples
 * up to the one for TIME go through the analyzers in order, each with the
 * state the previous one left (a private state file, watch's interval as
 * the shortest window), as watch ran them; that sample's run is left in
 * *cs as check_collect() leaves it.  Returns what check_collect() does.
 */
int	check_rec_collect(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
	    int fail_status);

#endif /* TD_CMD_WATCH_RECORD_H */
