/* SPDX-License-Identifier: MIT */
/*
 * Test helper: record the raw NETLINK_SOCK_DIAG reply bytes of one dump
 * (every recv buffer, back to back) into a file, for replay through
 * sockdiag_parse() in the unit tests (the idea of ss -D / TCPDIAG_FILE).
 * Usage: nlrecord [-i] -4|-6 OUT.nl
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/sockdiag.h"

static int
count(const struct td_sock *sk, void *arg, struct td_err *err)
{
	(void)sk;
	(void)err;
	(*(size_t *)arg)++;
	return 0;
}

int
main(int argc, char **argv)
{
	struct sockdiag_req req = { .family = 0 };
	struct td_err err = { 0 };
	size_t n = 0;
	int c;

	while ((c = getopt(argc, argv, "46i")) != -1) {
		switch (c) {
		case '4': req.family = AF_INET; break;
		case '6': req.family = AF_INET6; break;
		case 'i': req.want_info = true; break;
		default: return 64;
		}
	}
	if (optind + 1 != argc || req.family == 0) {
		fprintf(stderr, "usage: nlrecord [-i] -4|-6 OUT.nl\n");
		return 64;
	}
	req.record = fopen(argv[optind], "wb");
	if (req.record == NULL) {
		fprintf(stderr, "nlrecord: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	if (sockdiag_dump(&req, count, &n, &err) < 0) {
		fprintf(stderr, "nlrecord: %s\n", err.msg);
		return 1;
	}
	if (fclose(req.record) != 0) {
		fprintf(stderr, "nlrecord: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	fprintf(stderr, "nlrecord: %zu sockets\n", n);
	return 0;
}
