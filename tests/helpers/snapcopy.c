/* SPDX-License-Identifier: MIT */
/*
 * Test helper: copy a snapshot from a source (the live kernel, or a saved
 * file with -f) into a snapshot file through collectors/snapfile.c, with
 * the source's filters.  Used for round trips: live -> save -> load -> save.
 * Usage: snapcopy [-i] [-p] [-4|-6] [-f FROM] OUT [STATE...]
 * Errors print "snapcopy: <msg>" and exit 65 for bad data, 1 otherwise.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapfile.h"
#include "collectors/source.h"

int
main(int argc, char **argv)
{
	struct td_source src = { .proc_root = "/proc" };
	struct snapfile_writer w;
	struct td_snapshot snap;
	struct td_err err = { 0 };
	FILE *out;
	int c, st, rc = 0;

	while ((c = getopt(argc, argv, "46ipf:")) != -1) {
		switch (c) {
		case '4': src.family = AF_INET; break;
		case '6': src.family = AF_INET6; break;
		case 'i': src.want_info = true; break;
		case 'p': src.want_owner = true; break;
		case 'f': src.from = optarg; break;
		default: return 64;
		}
	}
	if (optind >= argc)
		return 64;
	out = strcmp(argv[optind], "-") == 0 ? stdout : fopen(argv[optind], "w");
	if (out == NULL) {
		fprintf(stderr, "snapcopy: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	for (optind++; optind < argc; optind++) {
		if ((st = td_state_parse(argv[optind])) < 0)
			return 64;
		src.states |= TD_STATE_BIT(st);
	}
	if (source_header(&src, &snap, &err) < 0 ||
	    snapfile_begin(&w, out, &snap, "snapshot", &err) < 0 ||
	    source_walk(&src, snapfile_put_sock, &w, &err) < 0 ||
	    snapfile_end(&w, &err) < 0) {
		fprintf(stderr, "snapcopy: %s\n", err.msg);
		rc = err.code == EBADMSG ? 65 : 1;
	}
	source_close(&src);
	if (out != stdout)
		fclose(out);
	return rc;
}
