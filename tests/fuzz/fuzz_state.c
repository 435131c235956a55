/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: the state file of check --state-file (history_read()), and
 * the verdict on whatever it accepted against a snapshot of the same boot
 * and namespace.  A file is read as a state (0), as no state with a warning
 * (1) or refused (-1); an accepted one is whole: its cookies sorted and
 * bounded.
 */
#include "tests/fuzz/fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analyzers/history.h"
#include "collectors/snapshot.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_history h;
	struct td_snapshot snap;
	struct td_err err = { 0 };
	char why[320];
	size_t i;
	FILE *fp;
	int rc;

	if (size == 0)
		return 0;
	fp = fmemopen((void *)data, size, "r");
	if (fp == NULL)
		return 0;
	rc = history_read(&h, fp, "fuzz", &err);
	fclose(fp);
	if (rc != 0 && (h.valid || h.cookies != NULL || err.msg[0] == '\0'))
		abort();	/* no state must hold nothing, and say why */
	if (rc == 0) {
		if (!h.valid || h.ncookies > TD_HISTORY_COOKIES)
			abort();
		for (i = 1; i < h.ncookies; i++)
			if (h.cookies[i - 1].cookie > h.cookies[i].cookie)
				abort();
		memset(&snap, 0, sizeof(snap));
		snprintf(snap.meta.boot_id, sizeof(snap.meta.boot_id), "%s", h.boot_id);
		snprintf(snap.meta.source, sizeof(snap.meta.source), "live");
		snap.meta.netns_ino = h.netns_ino;
		snap.meta.netns_cookie = h.netns_cookie;
		snap.meta.mono_ns = h.mono_ns / 2 + INT64_MAX / 4;
		snap.ctr = h.ctr;
		history_compare(&h, &snap, TD_HISTORY_MIN_WINDOW_NS, why, sizeof(why));
	}
	history_free(&h);
	return 0;
}
