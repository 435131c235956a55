/* SPDX-License-Identifier: MIT */
/*
 * What each finding id means, for `tcpdoctor explain FINDING` and the
 * documentation: one table, print-agnostic.  Every id an analyzer can
 * produce has a row (tests/unit/analyzers/finding_docs_test.c checks the
 * analyzers' sources against it).
 */
#ifndef TD_ANALYZERS_FINDING_DOCS_H
#define TD_ANALYZERS_FINDING_DOCS_H

#include <stddef.h>

struct td_finding_doc {
	const char	*id;		/* "accept_queue.overflow" */
	const char	*means;		/* what the kernel is doing */
	const char	*evidence;	/* what tcpdoctor looks at */
	const char	*fix;		/* what fixes it */
	const char	*not_fix;	/* popular advice that does not */
};

extern const struct td_finding_doc td_finding_docs[];
extern const size_t td_finding_doc_count;

/* The row for a finding id, or NULL. */
const struct td_finding_doc *finding_doc_find(const char *id);

#endif /* TD_ANALYZERS_FINDING_DOCS_H */
