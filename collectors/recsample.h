/* SPDX-License-Identifier: MIT */
/*
 * The samples of a `watch --record` recording, read back: the snapshot
 * (header and every socket) that watch saw at each sample, and the sample
 * record watch printed then, so that `--from RECORDING ls|summary|check
 * --at TIME` and `watch --from RECORDING` answer exactly as the live run
 * did at that sample.
 *
 * The format (version 1; man/tcpdoctor-json.7, schema/record-watch.json).
 * Every line is one JSON object with "schema": "tcpdoctor/1", "command":
 * "watch", "type", "version": 1 and "time" (RFC 3339, UTC, nanoseconds):
 *  - "start": the recording (or one of its rotated files) begins: host,
 *    netns, kernel, interval_s, keyframe_every;
 *  - "sockets": {seq, op, sockets: [...]} socket records as in a snapshot
 *    file, at most REC_SOCKS_PER_LINE a line; op "set" for a keyframe (the
 *    whole list, in the kernel's dump order), "put" for a socket that
 *    appeared or changed since the previous sample (by cookie), "extra"
 *    for one that is in this sample only (a cookie the dump gave twice,
 *    or cookie 0);
 *  - "gone": {seq, cookies: [...]} the sockets of the previous sample
 *    that are not in this one;
 *  - "sample": {seq, keyframe, sockets (how many), the snapshot header
 *    (host, netns, kernel, meta, counters, sysctls), watch: the NDJSON
 *    record watch printed for this sample}: it closes the sample; the
 *    "sockets" and "gone" lines of a sample without it (a writer stopped,
 *    a frame cut short) are not applied;
 *  - "finding": {event: start|clear, key, severity, summary};
 *  - "event": {event: {...}} a record of the events watch follows.
 * A sample is one zstd frame (collectors/recording.h), and every file of
 * a rotated set starts with a "start" and a keyframe.
 */
#ifndef TD_COLLECTORS_RECSAMPLE_H
#define TD_COLLECTORS_RECSAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "collectors/recording.h"
#include "collectors/snapshot.h"

#define REC_WATCH_VERSION	1

/*
 * The slot of a socket cookie in an open-addressing table of cap slots (a
 * power of two): the cookie mixed (MurmurHash3's fmix64 steps), masked.
 * The writer's cookie maps (cmd/watch_record.c) and the reader's index use it.
 */
static inline size_t
rec_cookie_slot(uint64_t cookie, size_t cap)
{
	cookie ^= cookie >> 33;
	cookie *= 0xff51afd7ed558ccdULL;
	cookie ^= cookie >> 33;
	return (size_t)cookie & (cap - 1);
}
#define REC_SOCKS_PER_LINE	128	/* socket records per "sockets" line */

/* A moment asked for: --at TIME (absolute, or +SECONDS from the recording's start). */
struct rec_at {
	bool		 given;		/* false: the last sample */
	bool		 relative;	/* ns counts from the recording's first record */
	int64_t		 ns;
};

/*
 * Parse --at: RFC 3339 (2026-01-31T23:59:59.5Z) or +N[.N][s|m|h] from the
 * recording's start.  0, or -1 when it is neither.
 */
int	rec_at_parse(const char *s, struct rec_at *at);

/* One sample as it was recorded. */
struct rec_sample {
	struct td_snapshot	 snap;		/* its header (meta.source "recording") */
	const struct td_sock	*socks;		/* its sockets, n of them */
	size_t			 n;
	json_t			*watch;		/* what watch printed for it (borrowed) */
	const json_t		*events;	/* the "event" records of its interval: the
						   records themselves, in order (borrowed) */
	uint64_t		 seq;		/* watch's sample number, from 1 */
	uint64_t		 index;		/* its place in the recording, from 1 */
	int64_t			 start_ns;	/* the recording's first record */
	double			 interval_s;	/* watch's interval ("start"), 0 unknown */
};

/*
 * Call fn with every complete sample of the recording set at path, in
 * order; fn returns 0 to go on, 1 to stop, -1 with *err set to fail.
 * *cut says where a trailing frame was cut short (cut->file[0] == '\0':
 * none).  Returns 0, or -1 with *err set naming the file: not a watch
 * recording, a damaged frame (its byte offset), a line that is not a
 * record of this format (its line number).
 */
typedef int (*rec_sample_fn)(const struct rec_sample *s, void *arg, struct td_err *err);
int	rec_samples(const char *path, rec_sample_fn fn, void *arg, struct rec_cut *cut,
	    struct td_err *err);

/* The sample answering --at: the last at or before the time asked. */
struct rec_pick {
	struct td_snapshot	 snap;
	struct td_sock		*socks;		/* owned */
	size_t			 n;
	uint64_t		 seq, index, nsamples;
	int64_t			 want_ns;	/* the time asked, absolute (0: the last) */
	int64_t			 start_ns, first_ns, last_ns;	/* recording start, samples */
	struct rec_cut		 cut;
};

/*
 * Find the sample for at in the recording at path into *p (free with
 * rec_pick_free()).  Returns 0, or -1 with *err set: the errors of
 * rec_samples(), no sample at all, or a time before the first sample.
 */
int	rec_pick(const char *path, const struct rec_at *at, struct rec_pick *p, struct td_err *err);
void	rec_pick_free(struct rec_pick *p);

#endif /* TD_COLLECTORS_RECSAMPLE_H */
