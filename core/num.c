/* SPDX-License-Identifier: MIT */
/*
 * The checked number parser; see num.h.  Integers are read digit by digit
 * (no errno, no locale, bounded by n), so the overflow check is exact:
 * before v = v * base + d, v > (UINT64_MAX - d) / base means it would wrap.
 */
#include "core/num.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

const char td_num_empty[] = "is empty";
const char td_num_nan[] = "is not a number";
const char td_num_small[] = "is too small";
const char td_num_large[] = "is too large";
const char td_num_infinite[] = "is not a finite number";

static int
fail(const char **why, const char *what)
{
	if (why != NULL)
		*why = what;
	return -1;
}

static int
digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/*
 * The magnitude at [s, e) in base (0: C's rule), into *mag; *big when it
 * does not fit in 64 bits (the digits are still checked to the end).
 */
static int
magnitude(const char *s, const char *e, int base, uint64_t *mag, bool *big, const char **why)
{
	uint64_t v = 0;
	int d;

	if (base == 0) {
		if (e - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
		} else if (e - s > 1 && s[0] == '0') {
			base = 8;
			s++;
		} else {
			base = 10;
		}
	}
	if (s == e)
		return fail(why, td_num_nan);
	*big = false;
	for (; s < e; s++) {
		if ((d = digit(*s)) >= base)
			return fail(why, td_num_nan);
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			*big = true;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*mag = v;
	return 0;
}

int
td_num_u64n(const char *s, size_t n, int base, uint64_t max, uint64_t *out, const char **why)
{
	const char *e = s + n;
	uint64_t v;
	bool big;

	if (n == 0)
		return fail(why, td_num_empty);
	if (*s == '-') {
		/* "-0" is zero; any other negative is below an unsigned range. */
		if (magnitude(s + 1, e, base, &v, &big, why) < 0)
			return -1;
		if (v != 0 || big)
			return fail(why, td_num_small);
		*out = 0;
		return 0;
	}
	if (*s == '+')
		s++;
	if (magnitude(s, e, base, &v, &big, why) < 0)
		return -1;
	if (big || v > max)
		return fail(why, td_num_large);
	*out = v;
	return 0;
}

int
td_num_u64(const char *s, int base, uint64_t max, uint64_t *out, const char **why)
{
	return td_num_u64n(s, strlen(s), base, max, out, why);
}

int
td_num_i64n(const char *s, size_t n, int base, int64_t min, int64_t max, int64_t *out,
    const char **why)
{
	const char *e = s + n;
	bool neg = false, big;
	uint64_t m;
	int64_t v;

	if (n == 0)
		return fail(why, td_num_empty);
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (magnitude(s, e, base, &m, &big, why) < 0)
		return -1;
	if (neg) {
		/* -(INT64_MIN) does not fit in int64_t: INT64_MAX + 1 is its magnitude. */
		if (big || m > (uint64_t)INT64_MAX + 1)
			return fail(why, td_num_small);
		v = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
	} else {
		if (big || m > (uint64_t)INT64_MAX)
			return fail(why, td_num_large);
		v = (int64_t)m;
	}
	if (v < min)
		return fail(why, td_num_small);
	if (v > max)
		return fail(why, td_num_large);
	*out = v;
	return 0;
}

int
td_num_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char **why)
{
	return td_num_i64n(s, strlen(s), 10, min, max, out, why);
}

/* A finite double filling the NUL-terminated s; see num.h. */
int
td_num_double(const char *s, double min, double max, double *out, const char **why)
{
	char *end;
	double v;

	if (*s == '\0')
		return fail(why, td_num_empty);
	/* strtod skips leading blanks; a number here starts at its first byte. */
	if (!(*s == '-' || *s == '+' || *s == '.' || (*s >= '0' && *s <= '9') ||
	    *s == 'i' || *s == 'I' || *s == 'n' || *s == 'N'))
		return fail(why, td_num_nan);
	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0')
		return fail(why, td_num_nan);
	if (!isfinite(v))
		/* "nan", "inf", "infinity", or a literal beyond DBL_MAX (ERANGE). */
		return fail(why, errno == ERANGE ? (v < 0 ? td_num_small : td_num_large) :
		    td_num_infinite);
	/* An underflow (ERANGE with a result near 0) keeps the rounded value. */
	if (v < min)
		return fail(why, td_num_small);
	if (v > max)
		return fail(why, td_num_large);
	*out = v;
	return 0;
}

int
td_num_doublen(const char *s, size_t n, double min, double max, double *out, const char **why)
{
	char buf[128];

	if (n == 0)
		return fail(why, td_num_empty);
	if (n >= sizeof(buf) || memchr(s, '\0', n) != NULL)
		return fail(why, td_num_nan);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return td_num_double(buf, min, max, out, why);
}
