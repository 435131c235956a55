/* SPDX-License-Identifier: MIT */
/*
 * A zstd-compressed output stream (RFC 8878): the caller writes plain
 * bytes to a stdio FILE, and zstd frames (each with its content checksum)
 * come out on another FILE, one frame per ZOUT_CHUNK of input: together
 * they decompress (zstd -d, ZSTD_decompressStream) to the bytes written.
 * The plain bytes go into a few fixed chunks (ZOUT_NCHUNK: memory does not
 * grow with the output); a full chunk is queued, and queued chunks are
 * compressed by whichever thread is free to, two at a time at most, and
 * written out in order: a helper thread that called zout_help() (one of
 * zout's own with zout_open(..., true), or one with other work to do
 * first), or else the writer itself when every chunk is taken.  So on two
 * CPUs the compression runs beside the writer, and a helper busy with
 * something else first costs the writer no waiting.  The bytes are the
 * same whoever compresses.
 *
 * Usage:
 *	struct zout z;
 *	if (zout_open(&z, out, 1, true, &err) < 0) ...
 *	fprintf(z.fp, ...);		(any stdio output)
 *	if (zout_close(&z, &err) < 0) ...	(the last frame out; out is flushed)
 *
 * A write error on out (ENOSPC) sticks: later writes to z.fp fail, so a
 * writer that checks its writes stops early, and zout_close() reports it
 * (err->code is the errno).
 */
#ifndef TD_CORE_ZOUT_H
#define TD_CORE_ZOUT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct td_err;

#define ZOUT_CHUNK	(256 * 1024)
#define ZOUT_NCHUNK	4		/* one filled by the writer, the others queued */

#define ZOUT_NCCTX	2		/* chunks compressed at once, at most */

enum { ZOUT_FREE, ZOUT_FILLING, ZOUT_QUEUED, ZOUT_BUSY, ZOUT_DONE };

struct zout {
	FILE		*fp;		/* write the plain bytes here */
	FILE		*out;		/* where the compressed frames go */
	struct {
		char		*in, *out;	/* plain bytes, their frame */
		size_t		 len, olen;
		uint64_t	 seq;		/* order in the output */
		int		 state;		/* ZOUT_* */
	} c[ZOUT_NCHUNK];
	void		*cctx[ZOUT_NCCTX];	/* ZSTD_CCtx, free when cctx_busy is clear */
	bool		 cctx_busy[ZOUT_NCCTX];
	size_t		 ocap;		/* ZSTD_compressBound(ZOUT_CHUNK) */
	unsigned int	 cur;		/* the chunk being filled */
	uint64_t	 seq;		/* the next chunk queued gets it */
	uint64_t	 next;		/* the next to be written */
	bool		 ending;	/* no chunk comes after the queued ones */
	bool		 own;		/* th is zout's own helper */
	unsigned int	 helpers;	/* threads that are to call or are in zout_help() */
	int		 err;		/* errno of the first failure, 0 if none */
	/* Called (without zout's lock) after a chunk was queued; NULL: none. */
	void		(*notify)(void *arg);
	void		*notify_arg;
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
};

/*
 * Start compressing at level (zstd's; negative levels are its fastest)
 * to out; with helper, a thread of zout's own compresses.
 * Returns 0 with z->fp ready, or -1 with *err set (ENOMEM; EAGAIN when the
 * helper could not start: the caller may retry without).
 */
int	zout_open(struct zout *z, FILE *out, int level, bool helper, struct td_err *err);
/*
 * Say, before starting it, that a thread will call zout_help() (after
 * some other work, perhaps): zout_close() and zout_abort() wait for it.
 * n is 1, or -1 when that thread could not be started after all.
 */
void	zout_expect_helper(struct zout *z, int n);
/*
 * Called from that thread: compress queued chunks as they come, until
 * zout_close() or zout_abort() has begun and nothing is left.
 */
void	zout_help(struct zout *z);
/* The writer, with nothing else to do: compress what is queued now. */
void	zout_drain(struct zout *z);
/*
 * Any thread, between other work: compress one queued chunk if there is
 * one and fewer than ZOUT_NCCTX are being compressed.  Returns whether it
 * did.
 */
bool	zout_try(struct zout *z);
/*
 * Compress and write what is left, flush out, wait for the helpers to
 * leave zout_help() and free everything.  Returns 0, or -1 with *err
 * set (the first write error on out, EIO when zstd failed).  z->fp is
 * closed either way.
 */
int	zout_close(struct zout *z, struct td_err *err);
/* Stop without writing the rest (the output is to be thrown away); helpers leave. */
void	zout_abort(struct zout *z);

#endif /* TD_CORE_ZOUT_H */
