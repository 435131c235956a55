/* SPDX-License-Identifier: MIT */
/*
 * Test helper: copy a snapshot from a source (the live kernel, or a saved
 * file with -f) into a snapshot file through collectors/snapfile.c, with
 * the source's filters.  Used for round trips: live -> save -> load -> save.
 * With -z it writes a snapshot file (format 2) as `snapshot -o` does from a
 * live walk: the IPv6 and IPv4 sockets taken in turn (one kernel walk of
 * both families mixes them), without their owners, which go into the
 * owners table.
 * Usage: snapcopy [-i] [-p] [-z] [-4|-6] [-f FROM] OUT [STATE...]
 * Errors print "snapcopy: <msg>" and exit 65 for bad data, 1 otherwise.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapfile.h"
#include "collectors/source.h"

struct all {
	struct td_sock	*sk;
	size_t		 n, cap;
};

static int
keep(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct all *a = arg;
	struct td_sock *n;

	if (a->n == a->cap) {
		a->cap = a->cap == 0 ? 64 : 2 * a->cap;
		if ((n = realloc(a->sk, a->cap * sizeof(*n))) == NULL)
			return td_errf(err, ENOMEM, "out of memory");
		a->sk = n;
	}
	a->sk[a->n++] = *sk;
	return 0;
}

/* The sockets of a into w (format 2, owners table), families mixed. */
static int
put_mixed(struct snapfile_writer *w, const struct all *a, struct td_err *err)
{
	struct td_sock copy;
	const uint64_t *held;
	size_t i4 = 0, i6 = 0, i, j, n;
	int fam = AF_INET6;

	while (i4 < a->n || i6 < a->n) {
		size_t *k = fam == AF_INET ? &i4 : &i6;

		for (; *k < a->n && a->sk[*k].family != fam; (*k)++)
			;
		if (*k < a->n) {
			copy = a->sk[(*k)++];
			copy.has_owner = false;
			copy.owner_status = TD_OWNER_NA;
			copy.nowners = 0;
			copy.owners_more = 0;
			copy.pid = 0;
			copy.comm[0] = '\0';
			memset(copy.owners, 0, sizeof(copy.owners));
			if (snapfile_put_sock(&copy, w, err) < 0)
				return -1;
		}
		fam = fam == AF_INET ? AF_INET6 : AF_INET;
	}
	n = snapfile_held(w, &held);
	for (i = 0; i < n; i++)
		for (j = 0; j < a->n; j++)
			if (a->sk[j].inode == held[i] >> 8) {
				if (snapfile_put_owner(w, &a->sk[j], err) < 0)
					return -1;
				break;
			}
	return 0;
}

int
main(int argc, char **argv)
{
	struct td_source src = { .proc_root = "/proc" };
	struct snapfile_writer w;
	struct td_snapshot snap;
	struct td_err err = { 0 };
	struct all a = { 0 };
	bool z = false;
	FILE *out;
	int c, st, rc = 0;

	while ((c = getopt(argc, argv, "46ipzf:")) != -1) {
		switch (c) {
		case 'z': z = true; break;
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
	if (z) {
		if (source_header(&src, &snap, &err) < 0 ||
		    source_walk(&src, keep, &a, &err) < 0 ||
		    snapfile_begin_file(&w, out, &snap, "snapshot", SNAPFILE_OWNERS_TABLE, &err) < 0 ||
		    put_mixed(&w, &a, &err) < 0 || snapfile_end(&w, &err) < 0) {
			fprintf(stderr, "snapcopy: %s\n", err.msg);
			rc = err.code == EBADMSG ? 65 : 1;
		}
		free(a.sk);
	} else if (source_header(&src, &snap, &err) < 0 ||
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
