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

struct td_audit_line {
	char			 file[256];
	unsigned int		 line;
	char			 key[128];	/* dotted */
	char			 value[128];
	enum td_verdict		 verdict;
	char			 why[480];
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
 * counters; may be NULL) and append the results to *a.  A comment in the
 * file that talks about TIME_WAIT sets the file's aim.  Returns 0, or -1
 * with *err set when the file cannot be read.
 */
int	audit_file(struct td_audit *a, const char *path, const struct td_snapshot *snap,
	    struct td_err *err);
void	audit_free(struct td_audit *a);

#endif /* TD_ANALYZERS_AUDIT_H */
