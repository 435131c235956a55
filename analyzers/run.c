/* SPDX-License-Identifier: MIT */
/*
 * Running the enabled analyzers over one snapshot: allocate their state,
 * feed every socket to each, collect their findings.
 */
#include "analyzers/analyzer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool
enabled(const struct analyzer_run *run, size_t i)
{
	return (run->enabled >> i) & 1;
}

int
analyzer_run_init(struct analyzer_run *run, struct td_err *err)
{
	const struct analyzer *a;
	size_t i;

	for (i = 0; (a = td_analyzers[i]) != NULL; i++) {
		if (!enabled(run, i))
			continue;
		run->state[i] = calloc(1, a->state_size > 0 ? a->state_size : 1);
		if (run->state[i] == NULL)
			return td_errf(err, ENOMEM, "out of memory for analyzer '%s'", a->id);
		if (a->begin != NULL)
			a->begin(run->state[i], &run->ax);
	}
	return 0;
}

void
analyzer_run_visit(struct analyzer_run *run, const struct td_sock *sk)
{
	const struct analyzer *a;
	size_t i;

	for (i = 0; (a = td_analyzers[i]) != NULL; i++)
		if (enabled(run, i) && a->visit != NULL)
			a->visit(run->state[i], &run->ax, sk);
}

int
analyzer_run_finish(struct analyzer_run *run, struct td_findings *out, struct td_err *err)
{
	const struct analyzer *a;
	size_t i;

	for (i = 0; (a = td_analyzers[i]) != NULL; i++)
		if (enabled(run, i) && a->finish(run->state[i], &run->ax, out, err) < 0)
			return -1;
	if (td_findings_check(out, err) < 0)
		return -1;
	td_findings_sort(out);
	return 0;
}

void
analyzer_run_free(struct analyzer_run *run)
{
	size_t i;

	for (i = 0; i < sizeof(run->state) / sizeof(run->state[0]); i++) {
		free(run->state[i]);
		run->state[i] = NULL;
	}
}

int
analyzer_events_findings(const struct events_agg *agg, const struct td_snapshot *snap,
    double connect_timeout_s, struct td_findings *out, struct td_err *err)
{
	struct analyzer_ctx ax;
	const struct analyzer *a;
	void *st;
	size_t i;
	int rc;

	memset(&ax, 0, sizeof(ax));
	ax.snap = snap;
	ax.events = agg;
	ax.connect_timeout_s = connect_timeout_s;
	for (i = 0; (a = td_analyzers[i]) != NULL; i++) {
		if (!a->judges_events)
			continue;
		if ((st = calloc(1, a->state_size > 0 ? a->state_size : 1)) == NULL)
			return td_errf(err, ENOMEM, "out of memory for analyzer '%s'", a->id);
		if (a->begin != NULL)
			a->begin(st, &ax);
		rc = a->finish(st, &ax, out, err);
		free(st);
		if (rc < 0)
			return -1;
	}
	return 0;
}

int
analyzer_parse_list(const char *list, uint64_t *mask, struct td_err *err)
{
	char buf[512], ids[256] = "", *tok, *save = NULL;
	size_t off = 0;
	int i;

	*mask = 0;
	if (snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return td_errf(err, EINVAL, "analyzer list '%.40s...' is too long", list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		i = analyzer_index(tok);
		if (i < 0) {
			for (i = 0; td_analyzers[i] != NULL && off < sizeof(ids); i++)
				off += (size_t)snprintf(ids + off, sizeof(ids) - off, "%s%s",
				    i > 0 ? ", " : "", td_analyzers[i]->id);
			return td_errf(err, EINVAL, "unknown analyzer '%s' (%s)", tok, ids);
		}
		*mask |= UINT64_C(1) << i;
	}
	if (*mask == 0)
		return td_errf(err, EINVAL, "empty analyzer list '%s'", list);
	return 0;
}
