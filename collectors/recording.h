/* SPDX-License-Identifier: MIT */
/*
 * Recordings: append-only NDJSON, compressed with zstd, that can be read
 * while they are written and studied on another machine.
 *
 * Each line is one self-describing JSON object ("schema", "command",
 * "type", "time", ...) exactly as the command printed it with -j.  Lines
 * are written in batches; each batch is one complete zstd frame (RFC 8878:
 * concatenated frames decode as the concatenation of their contents), so a
 * reader sees every batch that was flushed, and a frame cut short by a
 * writer still at work is reported as such, never misread.
 *
 * The file is opened as safefile_open_private() opens lock files: a regular
 * file of the effective user, created with mode 0600, never through a
 * symbolic link.  When it reaches the size limit the files are numbered
 * back, as logrotate numbers them: PATH.(k) becomes PATH.(k+1) from the
 * oldest down, PATH becomes PATH.1, and a new PATH is started; the oldest,
 * PATH.(REC_KEEP-1), is removed.  Every name renamed, replaced or removed
 * must be missing or a regular file of the effective user (no link, no
 * device).  At most REC_KEEP files, about REC_KEEP times the limit; the
 * reader reads the set as one, oldest first.
 */
#ifndef TD_COLLECTORS_RECORDING_H
#define TD_COLLECTORS_RECORDING_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_err;

#define REC_DEFAULT_MAX	(64ull << 20)	/* bytes per file before rotation */
#define REC_MIN_MAX	4096ull
#define REC_MODE	0600
#define REC_KEEP	8	/* files kept: PATH and PATH.1 .. PATH.7 */

struct rec_writer {
	int		 fd;
	char		 path[PATH_MAX];
	uint64_t	 size;		/* bytes in the current file */
	uint64_t	 max;		/* rotate at this size */
	unsigned int	 rotations;
	void		*cctx;		/* ZSTD_CCtx */
	char		*buf;		/* the batch: lines not yet written */
	size_t		 len, cap;
	void		*out;		/* compressed frame */
	size_t		 outcap;
};

/*
 * Open (create or append to) path.  Returns 0, or -1 with *err set ("record
 * '/x': ...") and nothing left open.
 */
int	rec_open(struct rec_writer *w, const char *path, uint64_t max, struct td_err *err);
/* Add one line (without its newline) to the batch.  0, or -1 with *err set. */
int	rec_add(struct rec_writer *w, const char *line, size_t len, struct td_err *err);
/*
 * Write the batch as one zstd frame (nothing when empty), then rotate if
 * the file reached its limit.  0, or -1 with *err set.
 */
int	rec_flush(struct rec_writer *w, struct td_err *err);
/* Flush and close; returns what the flush returned.  Safe twice. */
int	rec_close(struct rec_writer *w, struct td_err *err);

/*
 * True when path starts with a zstd frame's magic number (RFC 8878, 3.1.1),
 * or is empty beside a PATH.1 that does (just rotated).  Lets --from tell
 * a recording from a snapshot.
 */
bool	rec_is_recording(const char *path);

/*
 * Read a recording (PATH.1 first when it exists, then PATH) and call fn
 * once per line (without the newline, NUL-terminated).  *truncated is set
 * when the last frame is cut short (a writer still at work, or a copy made
 * meanwhile): the lines before it are delivered.  Returns 0, or -1 with
 * *err set (a damaged frame, a line longer than REC_LINE_MAX, fn failing).
 */
#define REC_LINE_MAX	(1u << 20)
typedef int (*rec_line_fn)(char *line, size_t len, void *arg, struct td_err *err);
int	rec_read(const char *path, rec_line_fn fn, void *arg, bool *truncated, struct td_err *err);

/*
 * The same, saying where a cut-short last frame starts (the file of the
 * set and the byte offset in it) when *truncated is set.  A damaged frame
 * is an error naming the file and the byte offset where that frame starts.
 */
struct rec_cut {
	char		file[PATH_MAX + 8];
	uint64_t	offset;
};
int	rec_read_at(const char *path, rec_line_fn fn, void *arg, bool *truncated,
	    struct rec_cut *cut, struct td_err *err);

/*
 * RFC 3339 as the records write it: YYYY-MM-DDTHH:MM:SS[.fraction]Z (UTC).
 * 0 with *ns set (nanoseconds since the epoch), or -1.
 */
int	rec_parse_time(const char *s, int64_t *ns);
/* ns as RFC 3339 with nanoseconds, UTC (what rec_parse_time() reads); len >= 32. */
void	rec_time_str(int64_t ns, char *buf, size_t len);

#endif /* TD_COLLECTORS_RECORDING_H */
