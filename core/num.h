/* SPDX-License-Identifier: MIT */
/*
 * One checked number parser, in the spirit of OpenBSD's strtonum(3): the
 * whole text is the number (no leading blanks, nothing after it), the value
 * is range-checked, overflow is caught, and on failure *why says what was
 * wrong ("is empty", "is not a number", "is too large"...) so the caller can
 * write a message naming the input:
 *
 *	if (td_num_i64(arg, 1, 65535, &v, &why) < 0)
 *		return td_errf(err, EINVAL, "port '%s' %s", arg, why);
 *
 * A leading '+' is accepted; '-' only where min allows a negative value.
 * Base 10, 16 (no "0x"), or 0 (C's rule: "0x" hex, leading "0" octal, as
 * strtoull and the kernel's simple_strtoul do).  The _n forms read the n
 * bytes at s (no NUL needed), for a token inside a longer line.
 */
#ifndef TD_CORE_NUM_H
#define TD_CORE_NUM_H

#include <stddef.h>
#include <stdint.h>

int	td_num_i64(const char *s, int64_t min, int64_t max, int64_t *out, const char **why);
int	td_num_i64n(const char *s, size_t n, int base, int64_t min, int64_t max, int64_t *out,
	    const char **why);
int	td_num_u64(const char *s, int base, uint64_t max, uint64_t *out, const char **why);
int	td_num_u64n(const char *s, size_t n, int base, uint64_t max, uint64_t *out,
	    const char **why);
/*
 * A finite double in [min, max] (strtod's grammar without leading blanks;
 * "nan" and "inf" are "not a finite number"); the _n form reads at most
 * 127 bytes (a longer text "is not a number").
 */
int	td_num_double(const char *s, double min, double max, double *out, const char **why);
int	td_num_doublen(const char *s, size_t n, double min, double max, double *out,
	    const char **why);

/* The reasons *why is set to. */
extern const char td_num_empty[];	/* "is empty" */
extern const char td_num_nan[];		/* "is not a number" */
extern const char td_num_small[];	/* "is too small" */
extern const char td_num_large[];	/* "is too large" */
extern const char td_num_infinite[];	/* "is not a finite number" */

#endif /* TD_CORE_NUM_H */
