/* SPDX-License-Identifier: MIT */
/*
 * The streaming JSON writer (see jsonw.h).  What jansson 2.14 prints, and
 * so what this prints (src/dump.c, src/strconv.c):
 *  - JSON_COMPACT separates with "," and ":"; JSON_INDENT(2) puts a newline
 *    and two spaces per level before each member or element and before the
 *    closing bracket of a non-empty container, and separates keys with
 *    ": "; an empty container is "{}" or "[]" in both;
 *  - strings escape '"' and '\\', the controls \b \f \n \r \t by name and
 *    every other byte below 0x20 as \u00XX (upper-case hex); '/' and
 *    non-ASCII UTF-8 pass through (do_dump(), dump_string());
 *  - integers print as "%lld" (JSON_INTEGER_FORMAT); reals as "%.17g",
 *    with ".0" added when that has neither '.' nor 'e', and the exponent
 *    without '+' or leading zeros (jsonp_dtostr()).  jansson refuses a
 *    real that is not finite; the writer prints null there.
 */
#include "core/jsonw.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

static void
put_slow(struct jw *w, const char *s, size_t n)
{
	size_t k;

	if (w->err != 0)
		return;
	while (n > 0) {
		if (w->n == sizeof(w->buf)) {
			/*
			 * stdio may take the bytes and fail the flush behind
			 * them: its error flag says so, and nothing more may
			 * be written to a stream in error.
			 */
			errno = 0;
			if (fwrite(w->buf, 1, w->n, w->fp) != w->n || ferror(w->fp)) {
				w->err = errno != 0 ? errno : EIO;
				return;
			}
			w->n = 0;
		}
		k = sizeof(w->buf) - w->n;
		if (k > n)
			k = n;
		memcpy(w->buf + w->n, s, k);
		w->n += k;
		s += k;
		n -= k;
	}
}

/*
 * The bytes into the buffer.  The common case (room, no error) is a copy
 * here; put_slow flushes.  A writer in error keeps n where it failed and
 * writes nothing more: w->n < sizeof(buf) alone would not stop it, so the
 * fast path checks err too.
 */
static inline void
put(struct jw *w, const char *s, size_t n)
{
	if (n <= sizeof(w->buf) - w->n && w->err == 0) {
		memcpy(w->buf + w->n, s, n);
		w->n += n;
		return;
	}
	put_slow(w, s, n);
}

static inline void
putc1(struct jw *w, char c)
{
	if (w->n < sizeof(w->buf))
		w->buf[w->n++] = c;
	else
		put_slow(w, &c, 1);
}

/* Newline and indentation before an item of, or the end of, level d. */
static void
newline(struct jw *w, enum jw_style st, unsigned int spaces)
{
	static const char blanks[] = "                                ";
	unsigned int k;

	if (st == JW_COMPACT)
		return;
	putc1(w, '\n');
	if (st != JW_INDENT2)
		return;
	for (; spaces > 0; spaces -= k) {
		k = spaces < sizeof(blanks) - 1 ? spaces : (unsigned int)sizeof(blanks) - 1;
		put(w, blanks, k);
	}
}

/*
 * s[0..n) as a JSON string.  ascii: 1 when s is not valid UTF-8 (every
 * byte from 0x80 up becomes '?'), 0 when it is, -1 not known yet: then
 * the validity is looked up at the first such byte, so that ASCII text
 * (nearly all of it) is read once.
 */
static void
escaped(struct jw *w, const char *s, size_t n, int ascii)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s, *end = s + n;
	unsigned char c;
	char seq[6];

	putc1(w, '"');
	for (; s < end; s++) {
		c = (unsigned char)*s;
		if (c >= 0x80 && ascii < 0)
			ascii = !record_utf8_valid(end - n, n);
		if (c >= 0x20 && c != '"' && c != '\\' && (c < 0x80 || !ascii))
			continue;
		put(w, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"':  put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\b': put(w, "\\b", 2); break;
		case '\f': put(w, "\\f", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default:
			if (c >= 0x80) {	/* not UTF-8: the byte becomes '?' */
				putc1(w, '?');
				break;
			}
			memcpy(seq, "\\u00", 4);
			seq[4] = hex[c >> 4];
			seq[5] = hex[c & 15];
			put(w, seq, 6);
		}
	}
	put(w, run, (size_t)(s - run));
	putc1(w, '"');
}

/*
 * A key: the description's snake_case names need no escape and are
 * copied as they are (the hot path: some 25 keys a socket); any other
 * key is escaped like a string.
 */
/* Bytes a key may hold and be copied as it is (not '"', '\\', controls, non-ASCII, NUL). */
static const uint8_t plain_byte[256] = {
	[0x20] = 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	/* 0x20-0x2f, no '"' */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,			/* 0x30-0x3f */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,			/* 0x40-0x4f */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,			/* 0x50-0x5f, no '\\' */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,			/* 0x60-0x6f */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,			/* 0x70-0x7f */
};

static void
plain_or_escaped(struct jw *w, const char *key)
{
	const unsigned char *p = (const unsigned char *)key;

	/* With room for a short key, copied as it is checked. */
	if (w->err == 0 && sizeof(w->buf) - w->n >= 66) {
		char *o = w->buf + w->n, *lim = o + 65;

		*o++ = '"';
		while (plain_byte[*p] && o < lim)
			*o++ = (char)*p++;
		if (*p == '\0') {
			*o++ = '"';
			w->n = (size_t)(o - w->buf);
			return;
		}
		p = (const unsigned char *)key;
	}
	while (plain_byte[*p])
		p++;
	if (*p != '\0') {
		escaped(w, key, strlen(key), -1);
		return;
	}
	putc1(w, '"');
	put(w, key, (size_t)(p - (const unsigned char *)key));
	putc1(w, '"');
}

/* Separator, indentation and key before a value at the current level. */
static void
item(struct jw *w, const char *key)
{
	unsigned int d = w->depth;

	if (d == 0) {
		if (key != NULL)
			w->err = w->err != 0 ? w->err : EINVAL;
		return;
	}
	d--;
	if ((key != NULL) != w->lvl[d].obj) {
		w->err = w->err != 0 ? w->err : EINVAL;
		return;
	}
	if (w->lvl[d].any)
		putc1(w, ',');
	/* JW_LINES put its newline after the opening bracket already. */
	if (w->lvl[d].any || w->lvl[d].style != JW_LINES)
		newline(w, w->lvl[d].style, 2 * (d + 1));
	w->lvl[d].any = true;
	if (key != NULL) {
		plain_or_escaped(w, key);
		if (w->lvl[d].style == JW_INDENT2)
			put(w, ": ", 2);
		else
			putc1(w, ':');
	}
}

void
jw_init(struct jw *w, FILE *fp, enum jw_style style)
{
	w->fp = fp;
	w->err = 0;
	w->depth = 0;
	w->style = style;
	w->n = 0;
}

void
jw_style(struct jw *w, enum jw_style style)
{
	w->style = style;
}

static void
open_container(struct jw *w, const char *key, bool obj)
{
	item(w, key);
	if (w->depth >= JW_DEPTH_MAX) {
		w->err = w->err != 0 ? w->err : EINVAL;
		return;
	}
	w->lvl[w->depth].style = (uint8_t)w->style;
	w->lvl[w->depth].any = false;
	w->lvl[w->depth].obj = obj;
	w->depth++;
	putc1(w, obj ? '{' : '[');
	if (w->style == JW_LINES)
		putc1(w, '\n');
}

void
jw_obj(struct jw *w, const char *key)
{
	open_container(w, key, true);
}

void
jw_arr(struct jw *w, const char *key)
{
	open_container(w, key, false);
}

void
jw_end(struct jw *w)
{
	unsigned int d;

	if (w->depth == 0) {
		w->err = w->err != 0 ? w->err : EINVAL;
		return;
	}
	d = --w->depth;
	if (w->lvl[d].any)
		newline(w, w->lvl[d].style, 2 * d);
	putc1(w, w->lvl[d].obj ? '}' : ']');
}

void
jw_strn(struct jw *w, const char *key, const char *s, size_t n)
{
	item(w, key);
	escaped(w, s, n, -1);
}

void
jw_str(struct jw *w, const char *key, const char *s)
{
	jw_strn(w, key, s, strlen(s));
}

/* "00" to "99", two digits a division (the integers are most of a socket). */
static const char pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Decimal digits of v (1 to 20). */
static unsigned int
ndigits(uint64_t v)
{
	unsigned int n = 1;

	for (;;) {
		if (v < 10)
			return n;
		if (v < 100)
			return n + 1;
		if (v < 1000)
			return n + 2;
		if (v < 10000)
			return n + 3;
		v /= 10000;
		n += 4;
	}
}

/* The digits go straight to their place, two at a time, from the end. */
char *
jw_fmt_u64(char *o, uint64_t v)
{
	unsigned int n;
	char *p;

	if (v < 10) {
		*o = (char)('0' + v);
		return o + 1;
	}
	n = ndigits(v);
	p = o + n;
	while (v >= 100) {
		p -= 2;
		p[0] = pairs[2 * (v % 100)];
		p[1] = pairs[2 * (v % 100) + 1];
		v /= 100;
	}
	if (v >= 10) {
		p[-2] = pairs[2 * v];
		p[-1] = pairs[2 * v + 1];
	} else {
		p[-1] = (char)('0' + v);
	}
	return o + n;
}

char *
jw_fmt_i64(char *o, int64_t v)
{
	if (v >= 0)
		return jw_fmt_u64(o, (uint64_t)v);
	*o++ = '-';
	/* Magnitude as unsigned: -INT64_MIN does not fit an int64_t. */
	return jw_fmt_u64(o, (uint64_t)0 - (uint64_t)v);
}

void
jw_int(struct jw *w, const char *key, int64_t v)
{
	char buf[24];

	item(w, key);
	put(w, buf, (size_t)(jw_fmt_i64(buf, v) - buf));
}

void
jw_uint(struct jw *w, const char *key, uint64_t v)
{
	jw_int(w, key, v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v);
}

void
jw_real(struct jw *w, const char *key, double v)
{
	char buf[64], *e, *from;
	int n;

	if (!isfinite(v)) {
		jw_null(w, key);
		return;
	}
	item(w, key);
	n = snprintf(buf, sizeof(buf) - 3, "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof(buf) - 3) {
		w->err = w->err != 0 ? w->err : EINVAL;
		return;
	}
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	if ((e = strchr(buf, 'e')) != NULL) {
		e++;
		if (*e == '-')
			e++;
		for (from = e; *from == '+' || *from == '0'; from++)
			;
		/* "1e+00" keeps one digit; jansson's loop does the same. */
		if (*from == '\0' && from > e)
			from--;
		memmove(e, from, strlen(from) + 1);
		n = (int)strlen(buf);
	}
	put(w, buf, (size_t)n);
}

void
jw_bool(struct jw *w, const char *key, bool v)
{
	item(w, key);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void
jw_null(struct jw *w, const char *key)
{
	item(w, key);
	put(w, "null", 4);
}

void
jw_val(struct jw *w, const char *key, const struct record_val *v)
{
	const char *e;
	size_t i;

	switch (v->type) {
	case RECORD_T_NULL:
		jw_null(w, key);
		break;
	case RECORD_T_BOOL:
		jw_bool(w, key, v->b);
		break;
	case RECORD_T_INT:
		jw_int(w, key, v->i);
		break;
	case RECORD_T_UINT:
		jw_uint(w, key, v->u);
		break;
	case RECORD_T_REAL:
		jw_real(w, key, v->d);
		break;
	case RECORD_T_STR:
		jw_strn(w, key, v->s, record_str_len(v));
		break;
	case RECORD_T_OBJ:
		jw_rec(w, key, v->desc, v->rec);
		break;
	case RECORD_T_ARR:
		jw_arr(w, key);
		for (i = 0, e = v->rec; i < v->n; i++, e += v->stride)
			if (v->keep == NULL || v->keep(e))
				jw_rec(w, NULL, v->desc, e);
		jw_end(w);
		break;
	case RECORD_T_MAP:
		jw_obj(w, key);
		for (i = 0, e = v->rec; i < v->n; i++, e += v->stride) {
			struct record_val vv;
			char name[RECORD_STR_MAX + 1];

			if (record_map_entry(v->desc, e, name, &vv))
				jw_val(w, name, &vv);
		}
		jw_end(w);
		break;
	case RECORD_T_STRS:
		jw_arr(w, key);
		for (i = 0; i < v->n; i++)
			jw_str(w, NULL, v->strs[i]);
		jw_end(w);
		break;
	}
}

void
jw_rec_members(struct jw *w, const struct record_desc *d, const void *rec, unsigned int skip)
{
	struct record_val v;
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (d->f[i].key == NULL || (d->f[i].group & skip) || !record_get(&d->f[i], rec, &v))
			continue;
		if ((d->f[i].flags & RECORD_F_INLINE) && v.type == RECORD_T_OBJ)
			jw_rec_members(w, v.desc, v.rec, 0);
		else
			jw_val(w, d->f[i].key, &v);
	}
}

void
jw_rec(struct jw *w, const char *key, const struct record_desc *d, const void *rec)
{
	jw_obj(w, key);
	jw_rec_members(w, d, rec, 0);
	jw_end(w);
}

void
jw_obj_text(struct jw *w, const char *key, const char *members, size_t n)
{
	jw_obj(w, key);
	if (n > 0 && w->err == 0) {
		put(w, members, n);
		w->lvl[w->depth - 1].any = true;
	}
}

void
jw_json(struct jw *w, const char *key, const json_t *v)
{
	const char *k;
	json_t *m;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jw_obj(w, key);
		json_object_foreach((json_t *)v, k, m)
			jw_json(w, k, m);
		jw_end(w);
		break;
	case JSON_ARRAY:
		jw_arr(w, key);
		json_array_foreach(v, i, m)
			jw_json(w, NULL, m);
		jw_end(w);
		break;
	case JSON_STRING:
		jw_strn(w, key, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		jw_int(w, key, json_integer_value(v));
		break;
	case JSON_REAL:
		jw_real(w, key, json_real_value(v));
		break;
	case JSON_TRUE:
		jw_bool(w, key, true);
		break;
	case JSON_FALSE:
		jw_bool(w, key, false);
		break;
	case JSON_NULL:
		jw_null(w, key);
		break;
	}
}

char *
jw_room(struct jw *w, size_t n, bool *sep)
{
	unsigned int d = w->depth;

	if (w->err != 0 || d == 0 || !w->lvl[d - 1].obj || w->lvl[d - 1].style != JW_COMPACT ||
	    n > sizeof(w->buf) / 2)
		return NULL;
	if (sizeof(w->buf) - w->n < n) {
		errno = 0;
		if (fwrite(w->buf, 1, w->n, w->fp) != w->n || ferror(w->fp)) {
			w->err = errno != 0 ? errno : EIO;
			return NULL;
		}
		w->n = 0;
	}
	*sep = w->lvl[d - 1].any;
	return w->buf + w->n;
}

void
jw_room_done(struct jw *w, char *end)
{
	size_t n = (size_t)(end - w->buf);

	if (n > w->n) {
		w->n = n;
		w->lvl[w->depth - 1].any = true;
	}
}

void
jw_raw(struct jw *w, const char *s, size_t n)
{
	put(w, s, n);
}

int
jw_flush(struct jw *w)
{
	if (w->err == 0 && w->n > 0) {
		errno = 0;
		if (fwrite(w->buf, 1, w->n, w->fp) != w->n || ferror(w->fp))
			w->err = errno != 0 ? errno : EIO;
	}
	w->n = 0;
	if (w->err != 0) {
		errno = w->err;
		return -1;
	}
	return 0;
}
