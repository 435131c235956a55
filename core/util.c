/* SPDX-License-Identifier: MIT */
/* Small helpers every layer uses; see util.h. */
#include "core/util.h"

#include <ctype.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *
td_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int64_t
td_clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t
td_mono_ns(void)
{
	return td_clock_ns(CLOCK_MONOTONIC);
}

int64_t
td_real_ns(void)
{
	return td_clock_ns(CLOCK_REALTIME);
}

bool
td_threads_wanted(const char *one_thread)
{
	const char *v = getenv(one_thread);
	cpu_set_t set;

	if (v != NULL && strcmp(v, "1") == 0)
		return false;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return false;
	return CPU_COUNT(&set) > 1;
}

void
td_unescape_octal(char *s)
{
	char *w = s;

	while (*s != '\0') {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*w++ = *s++;
		}
	}
	*w = '\0';
}

void
td_appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (len == 0 || *off >= len)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off += (size_t)n < len - *off ? (size_t)n : len - *off - 1;
}

void
td_time_utc(int64_t ns, char *buf, size_t len, unsigned int flags)
{
	time_t secs = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	struct tm tm;
	size_t off;

	if (len == 0)
		return;
	if (gmtime_r(&secs, &tm) == NULL) {
		/* A year past what struct tm holds: the epoch, as snapshots always wrote. */
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = 70;
		tm.tm_mday = 1;
		frac = 0;
	}
	off = strftime(buf, len, (flags & TD_TIME_DATE) ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	if (off == 0) {		/* did not fit: strftime() leaves buf undefined */
		buf[0] = '\0';
		return;
	}
	if (flags & TD_TIME_NSEC)
		td_appendf(buf, len, &off, ".%09ld", frac);
	else if (flags & TD_TIME_USEC)
		td_appendf(buf, len, &off, ".%06ld", frac / 1000);
	if (flags & TD_TIME_DATE)
		td_appendf(buf, len, &off, "Z");
}
