/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: `sim -f` scenario scripts, parsed and run for a bounded time,
 * and their expectations checked against the run; then, when the script is
 * one the kernel could play (sim -f --against-kernel), compiled into the
 * conformance runner's steps and played through the model backend, which
 * judges the same expectations (lab/script.c), the kernel leg aside.
 */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "collectors/snapshot.h"
#include "lab/runner.h"
#include "lab/script.h"
#include "sim/sim.h"

static void
verdict(const struct tm_expect *e, bool met, const char *msg, void *arg)
{
	(void)e;
	(void)met;
	*(size_t *)arg += strlen(msg);
}

/* The --against-kernel form through the model backend, as bounded as the run above. */
static void
against_model(const struct tm_world *w)
{
	struct sim_xscript *x;
	struct lab_run run = { 0 };
	struct td_err err = { 0 };
	const struct lab_scen *sc;
	char why[400];

	if ((x = sim_xscript_compile(w, why, sizeof(why))) == NULL)
		return;
	sc = sim_xscript_scen(x);
	if (sc->prog->end_ns <= (uint64_t)200 * 1000000000) {
		run.family = AF_INET;
		run.base_port = sc->prog->lport ? sc->prog->lport : 20000;
		(void)lab_run_model(&w->prof[0], sc, &run, LAB_MUT_NONE, &err);
		lab_run_free(&run);
	}
	sim_xscript_free(x);
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

			against_model(&w);
			w.keep_log = w.nexps > 0;
			if (tm_world_run(&w, (tm_time)200 * 1000000000, &e2) == 0 && w.nexps > 0)
				tm_expect_check(&w, verdict, &len);
		}
		tm_world_free(&w);
	}
	free(text);
	return 0;
}
