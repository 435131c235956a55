/* SPDX-License-Identifier: MIT */
/* Fuzz target: `ls` filters (words split on spaces), then matched once. */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/filter.h"
#include "collectors/snapshot.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_filter f;
	struct td_err err = { 0 };
	struct td_sock sk = { .family = AF_INET, .state = TD_ST_ESTABLISHED, .sport = 80 };
	char *text = fuzz_string(data, size), *argv[512], *save, *w;
	int argc = 0;

	for (w = strtok_r(text, " \t\n", &save); w != NULL && argc < 512;
	    w = strtok_r(NULL, " \t\n", &save))
		argv[argc++] = w;
	if (filter_parse(&f, argc, argv, &err) == 0)
		filter_match(&f, &sk);
	free(text);
	return 0;
}
