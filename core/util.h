/* SPDX-License-Identifier: MIT */
/* Small helpers every layer uses, defined once. */
#ifndef TD_CORE_UTIL_H
#define TD_CORE_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Number of elements of an array (not a pointer). */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Strip leading and trailing white space (isspace) in place; returns the start. */
char	*td_trim(char *s);

/* Clock id's time in nanoseconds (0 when the clock cannot be read). */
int64_t	td_clock_ns(clockid_t id);
/* CLOCK_MONOTONIC in nanoseconds (intervals, deadlines). */
int64_t	td_mono_ns(void);
/* CLOCK_REALTIME in nanoseconds since the epoch (what records are stamped with). */
int64_t	td_real_ns(void);

/*
 * Whether work may be split over threads: this process may run on more
 * than one CPU (on one, a second thread only adds its switches), and the
 * environment variable one_thread (TD_OWNERS_SEQUENTIAL,
 * TD_DUMP_ONE_THREAD: the tests compare both ways) is not "1".
 */
bool	td_threads_wanted(const char *one_thread);

/*
 * A time of the epoch in ns as UTC text, the one formatter every command's
 * timestamps go through: HH:MM:SS (table columns), or with TD_TIME_DATE
 * RFC 3339's YYYY-MM-DDTHH:MM:SS...Z (JSON, recordings), with
 * TD_TIME_USEC six or TD_TIME_NSEC nine digits of the second.  Always
 * terminated: the fraction and "Z" are cut at len, and the text is empty
 * when the seconds do not fit; len >= 32 holds every form.
 */
enum {
	TD_TIME_DATE	= 1 << 0,
	TD_TIME_USEC	= 1 << 1,
	TD_TIME_NSEC	= 1 << 2,
};
void	td_time_utc(int64_t ns, char *buf, size_t len, unsigned int flags);

/*
 * Undo, in place, the octal escapes /proc/PID/mountinfo writes for a space,
 * tab, newline and backslash ("\040", fs/seq_file.c mangle_path()).
 */
void	td_unescape_octal(char *s);

/*
 * Append printf-style text to buf at *off, never past len: the text is
 * cut at the end of buf (always terminated) and *off stays below len, so
 * calls can follow one another without checking.
 */
void	td_appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
	    __attribute__((format(printf, 4, 5)));

#endif /* TD_CORE_UTIL_H */
