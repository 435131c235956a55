/* SPDX-License-Identifier: MIT */
/*
 * A zstd-compressed output stream: see zout.h.
 *
 * z->fp is an unbuffered fopencookie(3) stream whose write copies into the
 * chunk being filled (ZOUT_FILLING); a full chunk is queued (ZOUT_QUEUED,
 * numbered in order) and a free one taken.  Whoever compresses takes the
 * oldest queued chunk and a free compression context under the lock, then
 * makes its frame without the lock (ZSTD_compress2: one frame per chunk,
 * so two chunks can be compressed at once, and a frame needs no state
 * from the one before), and back under the lock writes out every finished
 * frame that is next in order.
 */
#include "core/zout.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "core/err.h"

static void
set_err(struct zout *z, int code)
{
	if (z->err == 0)
		z->err = code != 0 ? code : EIO;
}

/* With z->mu held: write the finished frames that are next, in order. */
static void
write_done(struct zout *z)
{
	unsigned int i;
	bool again = true;

	while (again) {
		again = false;
		for (i = 0; i < ZOUT_NCHUNK; i++) {
			if (z->c[i].state != ZOUT_DONE || z->c[i].seq != z->next)
				continue;
			errno = 0;
			if (z->err == 0 && z->c[i].olen > 0 &&
			    (fwrite(z->c[i].out, 1, z->c[i].olen, z->out) != z->c[i].olen ||
			    ferror(z->out)))
				set_err(z, errno);
			z->c[i].state = ZOUT_FREE;
			z->next++;
			again = true;
		}
	}
	pthread_cond_broadcast(&z->cv);
}

/*
 * With z->mu held: compress the oldest queued chunk if there is one and a
 * context is free (or drop it after an error).  Returns whether it did;
 * z->mu is held again on return.
 */
static bool
compress_one(struct zout *z)
{
	unsigned int i, c = ZOUT_NCHUNK, k;
	size_t r;
	int err;

	for (i = 0; i < ZOUT_NCHUNK; i++)
		if (z->c[i].state == ZOUT_QUEUED && (c == ZOUT_NCHUNK || z->c[i].seq < z->c[c].seq))
			c = i;
	for (k = 0; k < ZOUT_NCCTX && z->cctx_busy[k]; k++)
		;
	if (c == ZOUT_NCHUNK || k == ZOUT_NCCTX)
		return false;
	z->c[c].state = ZOUT_BUSY;
	z->cctx_busy[k] = true;
	err = z->err;
	pthread_mutex_unlock(&z->mu);
	r = err != 0 ? 0 : ZSTD_compress2(z->cctx[k], z->c[c].out, z->ocap, z->c[c].in, z->c[c].len);
	pthread_mutex_lock(&z->mu);
	if (ZSTD_isError(r)) {
		set_err(z, EIO);
		r = 0;
	}
	z->c[c].olen = r;
	z->c[c].state = ZOUT_DONE;
	z->cctx_busy[k] = false;
	write_done(z);
	return true;
}

/* With z->mu held: whether a chunk is queued or being compressed. */
static bool
pending(const struct zout *z)
{
	unsigned int i;

	for (i = 0; i < ZOUT_NCHUNK; i++)
		if (z->c[i].state == ZOUT_QUEUED || z->c[i].state == ZOUT_BUSY)
			return true;
	return false;
}

/* With z->mu held: a free chunk's index, or ZOUT_NCHUNK. */
static unsigned int
free_chunk(const struct zout *z)
{
	unsigned int i;

	for (i = 0; i < ZOUT_NCHUNK; i++)
		if (z->c[i].state == ZOUT_FREE)
			return i;
	return ZOUT_NCHUNK;
}

/* With z->mu held: queue the chunk being filled. */
static void
enqueue(struct zout *z)
{
	z->c[z->cur].state = ZOUT_QUEUED;
	z->c[z->cur].seq = z->seq++;
	pthread_cond_broadcast(&z->cv);
}

void
zout_expect_helper(struct zout *z, int n)
{
	pthread_mutex_lock(&z->mu);
	z->helpers = (unsigned int)((int)z->helpers + n);
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
}

void
zout_help(struct zout *z)
{
	pthread_mutex_lock(&z->mu);
	for (;;) {
		if (compress_one(z))
			continue;
		if (z->ending && !pending(z))
			break;
		pthread_cond_wait(&z->cv, &z->mu);
	}
	z->helpers--;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
}

bool
zout_try(struct zout *z)
{
	bool did;

	pthread_mutex_lock(&z->mu);
	did = compress_one(z);
	pthread_mutex_unlock(&z->mu);
	return did;
}

void
zout_drain(struct zout *z)
{
	pthread_mutex_lock(&z->mu);
	while (compress_one(z))
		;
	pthread_mutex_unlock(&z->mu);
}

static void *
own_helper(void *arg)
{
	zout_help(arg);
	return NULL;
}

/*
 * The chunk being filled is full: queue it and take a free one, the
 * writer compressing queued ones itself while none is free.  Returns
 * z->err.
 */
static int
submit(struct zout *z)
{
	unsigned int c;
	int e;

	pthread_mutex_lock(&z->mu);
	enqueue(z);
	if (z->notify != NULL) {
		pthread_mutex_unlock(&z->mu);
		z->notify(z->notify_arg);
		pthread_mutex_lock(&z->mu);
	}
	while ((c = free_chunk(z)) == ZOUT_NCHUNK)
		if (!compress_one(z))
			pthread_cond_wait(&z->cv, &z->mu);
	z->cur = c;
	z->c[c].state = ZOUT_FILLING;
	z->c[c].len = 0;
	e = z->err;
	pthread_mutex_unlock(&z->mu);
	return e;
}

static ssize_t
zwrite(void *cookie, const char *buf, size_t len)
{
	struct zout *z = cookie;
	size_t n, done = 0;
	int e;

	while (done < len) {
		n = ZOUT_CHUNK - z->c[z->cur].len;
		if (n > len - done)
			n = len - done;
		memcpy(z->c[z->cur].in + z->c[z->cur].len, buf + done, n);
		z->c[z->cur].len += n;
		done += n;
		if (z->c[z->cur].len == ZOUT_CHUNK && (e = submit(z)) != 0) {
			errno = e;
			return 0;	/* fopencookie(3): 0 on error */
		}
	}
	return (ssize_t)len;
}

static void
zfree(struct zout *z)
{
	unsigned int i;

	for (i = 0; i < ZOUT_NCHUNK; i++) {
		free(z->c[i].in);
		free(z->c[i].out);
		z->c[i].in = z->c[i].out = NULL;
	}
	for (i = 0; i < ZOUT_NCCTX; i++) {
		ZSTD_freeCCtx(z->cctx[i]);
		z->cctx[i] = NULL;
	}
	pthread_mutex_destroy(&z->mu);
	pthread_cond_destroy(&z->cv);
}

int
zout_open(struct zout *z, FILE *out, int level, bool helper, struct td_err *err)
{
	static const cookie_io_functions_t io = { .write = zwrite };
	bool ok = true;
	unsigned int i;

	memset(z, 0, sizeof(*z));
	pthread_mutex_init(&z->mu, NULL);
	pthread_cond_init(&z->cv, NULL);
	z->out = out;
	z->ocap = ZSTD_compressBound(ZOUT_CHUNK);
	for (i = 0; i < ZOUT_NCHUNK; i++) {
		z->c[i].in = malloc(ZOUT_CHUNK);
		z->c[i].out = malloc(z->ocap);
		ok = ok && z->c[i].in != NULL && z->c[i].out != NULL;
	}
	for (i = 0; i < ZOUT_NCCTX; i++) {
		z->cctx[i] = ZSTD_createCCtx();
		ok = ok && z->cctx[i] != NULL;
	}
	if (!ok) {
		zfree(z);
		return td_errf(err, ENOMEM, "compression: out of memory");
	}
	for (i = 0; i < ZOUT_NCCTX; i++)
		if (ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx[i], ZSTD_c_compressionLevel, level)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(z->cctx[i], ZSTD_c_checksumFlag, 1))) {
			zfree(z);
			return td_errf(err, EINVAL, "compression: zstd refuses level %d", level);
		}
	z->cur = 0;
	z->c[0].state = ZOUT_FILLING;
	z->fp = fopencookie(z, "w", io);
	if (z->fp == NULL) {
		zfree(z);
		return td_errf(err, ENOMEM, "compression: out of memory");
	}
	setvbuf(z->fp, NULL, _IONBF, 0);	/* the chunks are the buffer */
	if (helper) {
		z->helpers = 1;
		if (pthread_create(&z->th, NULL, own_helper, z) != 0) {
			fclose(z->fp);
			zfree(z);
			return td_errf(err, EAGAIN, "compression: cannot start a thread");
		}
		z->own = true;
	}
	return 0;
}

/*
 * With ending set: compress (or, after an error, drop) what is queued,
 * wait for the helpers to leave, join zout's own and free.  Returns z->err.
 */
static int
finish(struct zout *z)
{
	int e;

	pthread_mutex_lock(&z->mu);
	z->ending = true;
	pthread_cond_broadcast(&z->cv);
	while (pending(z) || z->helpers > 0)
		if (!compress_one(z))
			pthread_cond_wait(&z->cv, &z->mu);
	e = z->err;
	pthread_mutex_unlock(&z->mu);
	if (z->own)
		pthread_join(z->th, NULL);
	z->own = false;
	zfree(z);
	return e;
}

int
zout_close(struct zout *z, struct td_err *err)
{
	int e;

	if (z->fp != NULL && (fflush(z->fp) != 0 || ferror(z->fp)) && z->err == 0)
		set_err(z, errno);
	if (z->fp != NULL)
		fclose(z->fp);
	z->fp = NULL;
	pthread_mutex_lock(&z->mu);
	if (z->c[z->cur].len > 0)
		enqueue(z);
	else
		z->c[z->cur].state = ZOUT_FREE;
	pthread_mutex_unlock(&z->mu);
	/* The frames are written as they are done, so once none is pending, all are out. */
	e = finish(z);
	errno = 0;
	if (e == 0 && (fflush(z->out) != 0 || ferror(z->out)))
		e = errno != 0 ? errno : EIO;
	if (e != 0)
		return td_errf(err, e, "write failed: %s", strerror(e));
	return 0;
}

void
zout_abort(struct zout *z)
{
	if (z->fp != NULL)
		fclose(z->fp);
	z->fp = NULL;
	pthread_mutex_lock(&z->mu);
	set_err(z, ECANCELED);	/* what is queued is dropped, nothing more is written */
	z->c[z->cur].state = ZOUT_FREE;
	pthread_mutex_unlock(&z->mu);
	finish(z);
}
