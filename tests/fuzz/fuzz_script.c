/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: `sim -f` scenario scripts, parsed and run for a bounded time,
 * and their expectations checked against the run.
 */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "sim/sim.h"

static void
verdict(const struct tm_expect *e, bool met, const char *msg, void *arg)
{
	(void)e;
	(void)met;
	*(size_t *)arg += strlen(msg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_profile prof = tm_profile_linux();
	struct td_err err = { 0 };
	struct tm_world w;
	char *text = fuzz_string(data, size);

	if (tm_world_init(&w, 1, false, &err) == 0) {
		if (tm_script_load(&w, text, "fuzz", &prof, &err) == 0) {
			struct td_err e2 = { 0 };
			size_t len = 0;

			w.keep_log = w.nexps > 0;
			if (tm_world_run(&w, (tm_time)200 * 1000000000, &e2) == 0 && w.nexps > 0)
				tm_expect_check(&w, verdict, &len);
		}
		tm_world_free(&w);
	}
	free(text);
	return 0;
}
