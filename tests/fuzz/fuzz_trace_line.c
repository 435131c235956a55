/* SPDX-License-Identifier: MIT */
/* Fuzz target: trace_pipe lines of sock:inet_sock_set_state. */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_trace_ev ev;
	struct td_err err = { 0 };
	char *line = fuzz_string(data, size);

	tracefs_parse_line(line, 0, &ev, &err);
	free(line);
	return 0;
}
