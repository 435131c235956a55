/* SPDX-License-Identifier: MIT */
/* Fuzz target: sock_diag netlink replies through the real decoder. */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "collectors/sockdiag.h"

static int
visit(const struct td_sock *sk, void *arg, struct td_err *err)
{
	(void)err;
	/* Touch the record so a sanitizer sees any uninitialised field. */
	*(unsigned int *)arg += sk->state + sk->sport + sk->tcpi.rtt;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockdiag_parser p;
	struct td_err err = { 0 };
	unsigned int sum = 0;
	void *buf;

	/* The parser expects netlink-aligned buffers, as recv() gives them. */
	buf = aligned_alloc(4, (size + 3) & ~(size_t)3);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	memset(&p, 0, sizeof(p));
	sockdiag_parse(&p, buf, size, visit, &sum, &err);
	free(buf);
	return 0;
}
