/* SPDX-License-Identifier: MIT */
/*
 * The analyzers, an explicit list: constructors break static linking, and
 * the order here is the order of the report.  See analyzer.h for how to
 * add one.
 */
#include "analyzers/analyzer.h"

#include <string.h>

extern const struct analyzer analyzer_syn_flood, analyzer_accept_queue,
    analyzer_time_wait, analyzer_close_wait, analyzer_orphans,
    analyzer_dead_peers, analyzer_resets, analyzer_connects, analyzer_failed_connects,
    analyzer_lifetimes, analyzer_stuck;

const struct analyzer *const td_analyzers[] = {
	&analyzer_syn_flood,
	&analyzer_accept_queue,
	&analyzer_time_wait,
	&analyzer_close_wait,
	&analyzer_orphans,
	&analyzer_dead_peers,
	&analyzer_connects,
	&analyzer_failed_connects,
	&analyzer_lifetimes,
	&analyzer_resets,
	&analyzer_stuck,
	NULL,
};

int
analyzer_index(const char *id)
{
	int i;

	for (i = 0; td_analyzers[i] != NULL; i++)
		if (strcmp(td_analyzers[i]->id, id) == 0)
			return i;
	return -1;
}

const struct analyzer *
analyzer_find(const char *id)
{
	int i = analyzer_index(id);

	return i < 0 ? NULL : td_analyzers[i];
}

size_t
analyzer_count(void)
{
	size_t n = 0;

	while (td_analyzers[n] != NULL)
		n++;
	return n;
}
