/* SPDX-License-Identifier: MIT */
/*
 * tune --audit: read sysctl.conf / sysctl.d files and judge every TCP line
 * with the advice table (advice.h).  Data only; cmd/tune.c prints it.
 */
#ifndef TD_ANALYZERS_AUDIT_H
#define TD_ANALYZERS_AUDIT_H

#include <stddef.h>

#include "analyzers/advice.h"

struct td_snapshot;
struct td_err;

/* Bounds: a sysctl configuration has a few dozen lines; these are far above. */
#define AUDIT_MAX_LINE		4096	/* bytes in one line */
#define AUDIT_MAX_SETTINGS	4096	/* TCP lines judged in one run, over all files */

struct td_audit_line {
	const char		*file;		/* the path as given (not copied) */
	unsigned int		 line;
	char			*key;		/* dotted; the raw line when it is not key = value */
	char			*value;
	enum td_verdict		 verdict;
	char			*why;
	const struct td_advice	*adv;		/* NULL: no entry */
};

struct td_audit {
	struct td_audit_line	*v;
	size_t			 n, cap;
	size_t			 other;		/* lines about other subsystems, skipped */
};

/*
 * Judge every TCP line of the file at path (net.ipv4.tcp_*, and the knobs
 * in the advice table) against this host (snap: kernel version, sysctls,
 * counters; may be NULL) and append the results to *a; path must outlive
 * *a.  A comment in the file that talks about TIME_WAIT sets the file's
 * aim.  A value outside what the kernel accepts (knob_range.h) is invalid.
 * Lines about other subsystems are only counted, so memory grows with the
 * TCP lines alone, and those are bounded by AUDIT_MAX_SETTINGS.
 *
 * Returns 0, or -1 with *err set: the file cannot be read (errno), a line
 * holds a NUL byte or is longer than AUDIT_MAX_LINE (EINVAL), the file has
 * lines but none of the form "key = value" with a dotted key, so it is not
 * a sysctl file (EINVAL), or more than AUDIT_MAX_SETTINGS TCP lines
 * (EOVERFLOW).
 */
int	audit_file(struct td_audit *a, const char *path, const struct td_snapshot *snap,
	    struct td_err *err);
void	audit_free(struct td_audit *a);

#endif /* TD_ANALYZERS_AUDIT_H */
