/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: ring-buffer sub-buffers as per_cpu/cpuN/trace_pipe_raw
 * gives them, decoded by the recorded formats of tests/fixtures/tracefs
 * (collectors/tracefs.c over libtraceevent's kbuffer and tep).
 */
#include "tests/fuzz/fuzz.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs.h"

static int
drop(const struct td_trace_ev *ev, void *arg, struct td_err *err)
{
	(void)ev;
	(void)arg;
	(void)err;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tracefs_decoder *d;
	struct td_err err = { 0 };
	char dir[PATH_MAX];

	if (d == NULL) {
		snprintf(dir, sizeof(dir), "%s/tests/fixtures/tracefs",
		    getenv("TD_SRCDIR") != NULL ? getenv("TD_SRCDIR") : ".");
		if ((d = tracefs_decoder_load(dir, NULL, &err)) == NULL) {
			fprintf(stderr, "fuzz_trace_raw: %s\n", err.msg);
			abort();
		}
	}
	tracefs_decode(d, data, size, 0, 0, drop, NULL, &err);
	return 0;
}
