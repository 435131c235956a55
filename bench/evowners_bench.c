/* SPDX-License-Identifier: MIT */
/*
 * bench/evowners_bench: the cost of one owner scan of tcpdoctor events
 * (collectors/evowners.c): COUNT scans of the current network namespace
 * through the scanner's own code, each timed (wall and CPU of the thread),
 * with the sockets, listeners and processes it saw.
 *
 * Usage: evowners_bench [COUNT]
 */
#include <stdio.h>
#include <stdlib.h>

#include "collectors/evowners.h"
#include "core/err.h"

int
main(int argc, char **argv)
{
	struct td_err err = { 0 };
	struct ev_owners *o;
	struct ev_owners_stats st;
	int i, n = argc > 1 ? atoi(argv[1]) : 5;

	if (n < 1 || n > 1000) {
		fprintf(stderr, "usage: evowners_bench [COUNT (1-1000)]\n");
		return 2;
	}
	o = ev_owners_new("/proc", 0, &err);
	if (o == NULL) {
		fprintf(stderr, "evowners_bench: %s\n", err.msg);
		return 1;
	}
	for (i = 0; i < n; i++) {
		if (ev_owners_refresh(o, true, &err) < 0) {
			fprintf(stderr, "evowners_bench: %s\n", err.msg);
			return 1;
		}
		st = ev_owners_stats(o);
		printf("scan %d: wall %.1f ms cpu %.1f ms sockets %zu listeners %zu processes %zu "
		    "unreadable %zu\n", i + 1, st.last_ns / 1e6, st.last_cpu_ns / 1e6, st.sockets,
		    st.listeners, st.processes, st.unreadable);
	}
	ev_owners_free(o);
	return 0;
}
