/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: arbitrary bytes as a sock_diag reply through
 * sockdiag_parse() (seeds: the .nl files in tests/fixtures/netlink).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/sockdiag.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
sink(const struct td_sock *sk, void *arg, struct td_err *err)
{
	(void)err;
	*(size_t *)arg += sk->sport;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockdiag_parser p = { 0 };
	struct td_err err = { 0 };
	size_t n = 0;
	char *buf;

	/* The kernel's buffers are aligned; so is ours. */
	buf = malloc(size + 1);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	(void)sockdiag_parse(&p, buf, size, sink, &n, &err);
	free(buf);
	return 0;
}
