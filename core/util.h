/* SPDX-License-Identifier: MIT */
/* Small helpers every layer uses, defined once. */
#ifndef TD_CORE_UTIL_H
#define TD_CORE_UTIL_H

/* Number of elements of an array (not a pointer). */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Strip leading and trailing white space (isspace) in place; returns the start. */
char	*td_trim(char *s);

#endif /* TD_CORE_UTIL_H */
