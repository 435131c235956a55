/* SPDX-License-Identifier: MIT */
/*
 * Recordings: see recording.h.
 */
#include "collectors/recording.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "core/safefile.h"
#include "core/util.h"

/* ZSTD_MAGICNUMBER, little-endian on disk (RFC 8878, 3.1.1). */
static const unsigned char zstd_magic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

static int
write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
open_file(struct rec_writer *w, struct td_err *err)
{
	struct stat st;

	w->fd = safefile_open_private("record", w->path, REC_MODE, err);
	if (w->fd < 0)
		return -1;
	if (fstat(w->fd, &st) < 0 || lseek(w->fd, 0, SEEK_END) < 0) {
		td_errf(err, errno, "record '%s': %s", w->path, strerror(errno));
		close(w->fd);
		w->fd = -1;
		return -1;
	}
	w->size = (uint64_t)st.st_size;
	return 0;
}

int
rec_open(struct rec_writer *w, const char *path, uint64_t max, struct td_err *err)
{
	memset(w, 0, sizeof(*w));
	w->fd = -1;
	if (strlen(path) + 3 > sizeof(w->path))
		return td_errf(err, ENAMETOOLONG, "record '%s': name too long", path);
	snprintf(w->path, sizeof(w->path), "%s", path);
	w->max = max < REC_MIN_MAX ? REC_MIN_MAX : max;
	w->cctx = ZSTD_createCCtx();
	if (w->cctx == NULL)
		return td_errf(err, ENOMEM, "record '%s': out of memory", path);
	if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, 3)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
		ZSTD_freeCCtx(w->cctx);
		w->cctx = NULL;
		return td_errf(err, EINVAL, "record '%s': zstd refuses its parameters", path);
	}
	if (open_file(w, err) < 0) {
		ZSTD_freeCCtx(w->cctx);
		w->cctx = NULL;
		return -1;
	}
	return 0;
}

int
rec_add(struct rec_writer *w, const char *line, size_t len, struct td_err *err)
{
	size_t need = w->len + len + 1, cap;
	char *nb;

	if (need > w->cap) {
		cap = w->cap != 0 ? w->cap : 65536;
		while (cap < need)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (nb == NULL)
			return td_errf(err, ENOMEM, "record '%s': out of memory", w->path);
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, line, len);
	w->buf[w->len + len] = '\n';
	w->len = need;
	return 0;
}

/* PATH.k into buf (k 0: PATH itself). */
static void
numbered(const char *path, unsigned int k, char *buf, size_t len)
{
	if (k == 0)
		snprintf(buf, len, "%s", path);
	else
		snprintf(buf, len, "%s.%u", path, k);
}

/*
 * Number the files back (PATH.6 -> PATH.7, ..., PATH -> PATH.1), then a
 * new PATH.  Every name involved must be missing or ours (no link, no
 * device), checked before anything moves; the oldest is removed.
 */
static int
rotate(struct rec_writer *w, struct td_err *err)
{
	char from[PATH_MAX + 8], to[PATH_MAX + 8];
	unsigned int k;

	for (k = 1; k < REC_KEEP; k++) {
		numbered(w->path, k, to, sizeof(to));
		if (safefile_check("record", to, SAFEFILE_PRIVATE, err) < 0)
			return -1;
	}
	numbered(w->path, REC_KEEP - 1, to, sizeof(to));
	if (unlink(to) < 0 && errno != ENOENT)
		return td_errf(err, errno, "record '%s': cannot remove the oldest file '%s': %s",
		    w->path, to, strerror(errno));
	for (k = REC_KEEP - 1; k-- > 0;) {
		numbered(w->path, k, from, sizeof(from));
		numbered(w->path, k + 1, to, sizeof(to));
		if (rename(from, to) < 0 && !(errno == ENOENT && k > 0))
			return td_errf(err, errno, "record '%s': cannot rotate '%s' to '%s': %s",
			    w->path, from, to, strerror(errno));
	}
	close(w->fd);
	w->fd = -1;
	w->rotations++;
	return open_file(w, err);
}

int
rec_flush(struct rec_writer *w, struct td_err *err)
{
	size_t bound, n;
	void *nb;

	if (w->fd < 0 || w->len == 0)
		return 0;
	bound = ZSTD_compressBound(w->len);
	if (bound > w->outcap) {
		nb = realloc(w->out, bound);
		if (nb == NULL)
			return td_errf(err, ENOMEM, "record '%s': out of memory", w->path);
		w->out = nb;
		w->outcap = bound;
	}
	/*
	 * One whole frame per batch, its content size in the header and a
	 * checksum of its content at its end (RFC 8878, 3.1.1), so that a
	 * damaged frame is an error, never lines that decode to something else.
	 */
	n = ZSTD_compress2(w->cctx, w->out, w->outcap, w->buf, w->len);
	if (ZSTD_isError(n))
		return td_errf(err, EIO, "record '%s': zstd: %s", w->path, ZSTD_getErrorName(n));
	if (write_all(w->fd, w->out, n) < 0)
		return td_errf(err, errno, "record '%s': write failed: %s", w->path, strerror(errno));
	w->size += n;
	w->len = 0;
	if (w->size >= w->max)
		return rotate(w, err);
	return 0;
}

int
rec_close(struct rec_writer *w, struct td_err *err)
{
	int rc = rec_flush(w, err);

	if (w->fd >= 0 && close(w->fd) < 0 && rc == 0)
		rc = td_errf(err, errno, "record '%s': close failed: %s", w->path, strerror(errno));
	w->fd = -1;
	ZSTD_freeCCtx(w->cctx);
	w->cctx = NULL;
	free(w->buf);
	free(w->out);
	w->buf = NULL;
	w->out = NULL;
	w->len = w->cap = w->outcap = 0;
	return rc;
}

/* 1: starts with a zstd frame, 0: empty, -1: anything else. */
static int
magic(const char *path)
{
	struct td_err err = { 0 };
	unsigned char m[4];
	int fd = safefile_open_input("--from", path, 0, &err);
	ssize_t n;

	if (fd < 0)
		return -1;
	/*
	 * pread: standard input redirected from a file (--from /dev/stdin)
	 * shares its offset with the reader that comes next; a pipe, which
	 * cannot be read twice, is not a recording (ESPIPE).
	 */
	n = pread(fd, m, sizeof(m), 0);
	close(fd);
	if (n == 0)
		return 0;
	return n == (ssize_t)sizeof(m) && memcmp(m, zstd_magic, 4) == 0 ? 1 : -1;
}

bool
rec_is_recording(const char *path)
{
	char old[PATH_MAX + 3];
	int m = magic(path);

	/* Just rotated: the new file is still empty, PATH.1 holds the frames. */
	if (m == 0 && strlen(path) + 3 <= PATH_MAX) {
		snprintf(old, sizeof(old), "%s.1", path);
		return magic(old) == 1;
	}
	return m == 1;
}

struct rec_rd {
	char		*line;
	size_t		 len;
	rec_line_fn	 fn;
	void		*arg;
};

static int
deliver(struct rec_rd *rd, const char *p, size_t n, const char *path, struct td_err *err)
{
	const char *nl;
	size_t k;

	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		if (rd->len + k >= REC_LINE_MAX)
			return td_errf(err, EBADMSG, "recording '%s': a line longer than %u bytes", path,
			    REC_LINE_MAX);
		memcpy(rd->line + rd->len, p, k);
		rd->len += k;
		if (nl == NULL)
			break;
		rd->line[rd->len] = '\0';
		if (rd->len > 0 && rd->fn(rd->line, rd->len, rd->arg, err) < 0)
			return -1;
		rd->len = 0;
		p = nl + 1;
		n -= k + 1;
	}
	return 0;
}

static int
read_one(const char *path, struct rec_rd *rd, bool *truncated, struct rec_cut *cut,
    struct td_err *err)
{
	static char in[1 << 16], out[1 << 17];
	ZSTD_DCtx *d;
	ZSTD_inBuffer ib;
	ZSTD_outBuffer ob;
	size_t hint = 0, r;
	uint64_t base = 0, frame = 0;	/* bytes before this read; where the frame began */
	ssize_t n;
	int fd, rc = 0;

	fd = safefile_open_input("recording", path, 0, err);
	if (fd < 0)
		return -1;
	d = ZSTD_createDCtx();
	if (d == NULL) {
		close(fd);
		return td_errf(err, ENOMEM, "recording '%s': out of memory", path);
	}
	rd->len = 0;
	while (rc == 0 && (n = read(fd, in, sizeof(in))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = td_errf(err, errno, "recording '%s': %s", path, strerror(errno));
			break;
		}
		ib = (ZSTD_inBuffer){ in, (size_t)n, 0 };
		while (rc == 0 && ib.pos < ib.size) {
			ob = (ZSTD_outBuffer){ out, sizeof(out), 0 };
			hint = ZSTD_decompressStream(d, &ob, &ib);
			if (ZSTD_isError(hint)) {
				rc = td_errf(err, EBADMSG, "recording '%s': damaged frame at byte %llu "
				    "(zstd: %s); not a tcpdoctor recording, or not written by it",
				    path, (unsigned long long)frame, ZSTD_getErrorName(hint));
				break;
			}
			rc = deliver(rd, out, ob.pos, path, err);
			/* 0: a frame ended here (and everything it held is out). */
			if (hint == 0 && ob.pos < ob.size)
				frame = base + ib.pos;
		}
		base += (uint64_t)n;
	}
	/* Flush what the decoder still holds of a complete frame. */
	while (rc == 0) {
		ib = (ZSTD_inBuffer){ in, 0, 0 };
		ob = (ZSTD_outBuffer){ out, sizeof(out), 0 };
		r = ZSTD_decompressStream(d, &ob, &ib);
		if (ZSTD_isError(r) || ob.pos == 0)
			break;
		hint = r;
		rc = deliver(rd, out, ob.pos, path, err);
	}
	/*
	 * A frame cut short: the writer is at work (or the copy was taken
	 * meanwhile).  Its complete lines were delivered; the line it cuts
	 * is not.  Readers of batched records (a watch sample) wait for the
	 * record that closes the batch.
	 */
	if (rc == 0 && hint != 0) {
		*truncated = true;
		if (cut != NULL) {
			snprintf(cut->file, sizeof(cut->file), "%s", path);
			cut->offset = frame;
		}
	}
	ZSTD_freeDCtx(d);
	close(fd);
	return rc;
}

int
rec_read_at(const char *path, rec_line_fn fn, void *arg, bool *truncated, struct rec_cut *cut,
    struct td_err *err)
{
	struct rec_rd rd = { .fn = fn, .arg = arg };
	char name[PATH_MAX + 8];
	struct td_err e2;
	unsigned int k;
	int rc = 0;

	*truncated = false;
	if (strlen(path) + 3 > PATH_MAX)
		return td_errf(err, ENAMETOOLONG, "recording '%s': name too long", path);
	rd.line = malloc(REC_LINE_MAX);
	if (rd.line == NULL)
		return td_errf(err, ENOMEM, "recording '%s': out of memory", path);
	/* The set, oldest first: PATH.7 .. PATH.1, then PATH. */
	for (k = REC_KEEP; rc == 0 && k-- > 0;) {
		numbered(path, k, name, sizeof(name));
		memset(&e2, 0, sizeof(e2));
		if (k > 0 && (safefile_check("recording", name, SAFEFILE_REGULAR, &e2) < 0 ||
		    access(name, F_OK) != 0))
			continue;
		rc = read_one(name, &rd, truncated, cut, err);
	}
	free(rd.line);
	return rc;
}

int
rec_read(const char *path, rec_line_fn fn, void *arg, bool *truncated, struct td_err *err)
{
	return rec_read_at(path, fn, arg, truncated, NULL, err);
}

/* RFC 3339 as written here: YYYY-MM-DDTHH:MM:SS[.fraction]Z.  0, or -1. */
int
rec_parse_time(const char *s, int64_t *ns)
{
	struct tm tm;
	const char *p;
	int64_t frac = 0;
	int digits = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (digits < 9) {
				frac = frac * 10 + (*p - '0');
				digits++;
			}
		if (digits == 0)
			return -1;
		for (; digits < 9; digits++)
			frac *= 10;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -1;
	t = timegm(&tm);
	if (t == (time_t)-1 || t < 0 || t > INT64_MAX / 1000000000 - 1)
		return -1;
	*ns = (int64_t)t * 1000000000 + frac;
	return 0;
}

void
rec_time_str(int64_t ns, char *buf, size_t len)
{
	td_time_utc(ns, buf, len, TD_TIME_DATE | TD_TIME_NSEC);
}
