/* SPDX-License-Identifier: MIT */
/*
 * Escaping text of outside origin for a terminal (see termsafe.h).
 */
#include "cmd/termsafe.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * The length of the valid UTF-8 sequence at s (at most n bytes), 0 when
 * the bytes there are not one, or -1 when they are a valid beginning cut
 * short by the end of the input.  RFC 3629 section 4 (the UTF8-2..UTF8-4
 * rules) gives the ranges of the second byte that exclude overlong forms,
 * the surrogates U+D800..U+DFFF and code points above U+10FFFF.
 */
static int
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	int len, i;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if (s[i] < (i == 1 ? lo : 0x80) || s[i] > (i == 1 ? hi : 0xbf))
			return 0;
	}
	return len;
}

static size_t
put_hex(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

/*
 * Escape in[0..n) into out; with more_to_come, an incomplete sequence at
 * the end is left unconsumed instead of escaped.  Returns bytes written
 * and sets *used to the bytes consumed.
 */
static size_t
escape(const unsigned char *in, size_t n, bool keep_tab_nl, bool more_to_come, char *out,
    size_t *used)
{
	size_t i = 0, o = 0;
	int l;

	while (i < n) {
		unsigned char c = in[i];

		if (c >= 0x20 && c < 0x7f) {
			/* A run of printable ASCII (nearly all of a table) is
			 * copied in one go: this loop is every byte of stdout. */
			size_t j = i + 1;

			/* Eight bytes at a time: none below 0x20, none above 0x7e
			 * (the "hasless"/"hasmore" tests of Bit Twiddling Hacks). */
			for (; j + 8 <= n; j += 8) {
				uint64_t x;

				memcpy(&x, in + j, 8);
				if (((x - UINT64_C(0x2020202020202020)) & ~x) & UINT64_C(0x8080808080808080))
					break;
				if (((x + UINT64_C(0x0101010101010101)) | x) & UINT64_C(0x8080808080808080))
					break;
			}
			while (j < n && in[j] >= 0x20 && in[j] < 0x7f)
				j++;
			memcpy(out + o, in + i, j - i);
			o += j - i;
			i = j;
			continue;
		}
		if (c < 0x80) {
			if (keep_tab_nl && (c == '\t' || c == '\n'))
				out[o++] = (char)c;
			else
				o += put_hex(out + o, c);
			i++;
			continue;
		}
		l = utf8_len(in + i, n - i);
		if (l < 0 && more_to_come)
			break;
		/* U+0080..U+009F, the C1 controls, are 0xc2 0x80..0x9f. */
		if (l == 2 && c == 0xc2 && in[i + 1] <= 0x9f) {
			o += put_hex(out + o, in[i]);
			o += put_hex(out + o, in[i + 1]);
			i += 2;
			continue;
		}
		if (l <= 0) {
			o += put_hex(out + o, c);
			i++;
			continue;
		}
		memcpy(out + o, in + i, (size_t)l);
		o += (size_t)l;
		i += (size_t)l;
	}
	out[o] = '\0';
	*used = i;
	return o;
}

size_t
termsafe_escape(const char *s, size_t len, bool keep_tab_nl, char *out)
{
	size_t used;

	return escape((const unsigned char *)s, len, keep_tab_nl, false, out, &used);
}

bool
termsafe_clean(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0;
	int l;

	while (i < n) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		if (p[i] < 0x80)
			return false;
		l = utf8_len(p + i, n - i);
		if (l <= 0 || (l == 2 && p[i] == 0xc2 && p[i + 1] <= 0x9f))
			return false;
		i += (size_t)l;
	}
	return true;
}

/* ---- The stream ---- */

struct tstream {
	FILE		*fp;
	int		*first_errno;	/* the caller's: errno of the first failed write */
	int		 err;		/* that errno, once a write failed: later ones fail too */
	unsigned char	 pend[4];	/* the start of a sequence cut by the last write */
	size_t		 npend;
};

/*
 * Called when the stream's buffer is flushed (full, fflush, fclose): the
 * text goes on to fp and fp is flushed too, so that fflush on the stream
 * reaches the reader (trace and watch print as things happen).
 */
static int
put_out(struct tstream *t, const char *s, size_t n)
{
	if (t->err != 0) {
		errno = t->err;
		return -1;
	}
	errno = 0;
	if ((n > 0 && fwrite(s, 1, n, t->fp) != n) || fflush(t->fp) != 0) {
		/*
		 * Sticky, with the first errno: a second try could fail
		 * inside stdio without a system call, and so without errno.
		 */
		t->err = errno != 0 ? errno : EIO;
		if (t->first_errno != NULL)
			*t->first_errno = t->err;
		errno = t->err;
		return -1;
	}
	return 0;
}

#define TS_CHUNK	4096

static ssize_t
ts_write(void *cookie, const char *buf, size_t size)
{
	struct tstream *t = cookie;
	unsigned char stage[TS_CHUNK];
	char out[TERMSAFE_MAX(TS_CHUNK)];
	size_t done = 0, n, take, used, o;

	while (done < size) {
		/* The bytes held back last time, then as much input as fits. */
		n = t->npend;
		memcpy(stage, t->pend, n);
		take = size - done < TS_CHUNK - n ? size - done : TS_CHUNK - n;
		memcpy(stage + n, buf + done, take);
		n += take;
		done += take;
		o = escape(stage, n, true, true, out, &used);
		/*
		 * 0, not -1: a cookie write must not return a negative value
		 * (fopencookie(3)); glibc 2.36 subtracts it from what is left
		 * to write and then copies past the caller's buffer.
		 */
		if (put_out(t, out, o) < 0)
			return 0;
		/* What escape() left is the start of a sequence: under 4 bytes. */
		t->npend = n - used;
		memcpy(t->pend, stage + used, t->npend);
	}
	return (ssize_t)size;
}

static int
ts_close(void *cookie)
{
	struct tstream *t = cookie;
	char out[4 * 4 + 1];
	size_t o;
	int rc = 0;

	if (t->npend > 0) {
		o = termsafe_escape((const char *)t->pend, t->npend, true, out);
		rc = put_out(t, out, o);
	}
	free(t);
	return rc;
}

FILE *
termsafe_open(FILE *fp, int *first_errno)
{
	static const cookie_io_functions_t io = { .write = ts_write, .close = ts_close };
	struct tstream *t;
	FILE *s;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->fp = fp;
	t->first_errno = first_errno;
	if (first_errno != NULL)
		*first_errno = 0;
	s = fopencookie(t, "w", io);
	if (s == NULL) {
		free(t);
		return NULL;
	}
	setvbuf(s, NULL, _IOFBF, 1 << 16);
	return s;
}
