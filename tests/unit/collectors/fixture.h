/* SPDX-License-Identifier: MIT */
/* Paths of the recorded fixtures under tests/fixtures, for the collector tests. */
#ifndef TD_TESTS_UNIT_COLLECTORS_FIXTURE_H
#define TD_TESTS_UNIT_COLLECTORS_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/check_main.h"

/* "<srcdir>/tests/fixtures/<kind>/<name>" in a static buffer. */
static inline const char *
fixture_path(const char *kind, const char *name)
{
	static char path[4096];
	const char *dir = getenv("TD_SRCDIR") != NULL ? getenv("TD_SRCDIR") : TD_SRCDIR;

	snprintf(path, sizeof(path), "%s/tests/fixtures/%s/%s", dir, kind, name);
	return path;
}

#endif /* TD_TESTS_UNIT_COLLECTORS_FIXTURE_H */
