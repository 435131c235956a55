/* SPDX-License-Identifier: MIT */
/* Fuzz target: sock_diag destroy notifications through the real decoder (events_parse). */
#include "tests/fuzz/fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "collectors/events.h"

static int
visit(const struct td_sock *sk, int64_t t, void *arg, struct td_err *err)
{
	struct td_conn_ev ev;

	(void)err;
	/* Classified as a notification nobody traced, then touched. */
	events_track_destroy(NULL, sk, t, &ev);
	*(unsigned int *)arg += ev.outcome + ev.role + ev.syns + sk->tcpi.rtt;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_err err = { 0 };
	unsigned int sum = 0;
	void *buf;

	/* Netlink-aligned, as recv() gives them. */
	buf = aligned_alloc(4, (size + 3) & ~(size_t)3);
	if (buf == NULL)
		return 0;
	memcpy(buf, data, size);
	events_parse(buf, size, 1, visit, &sum, &err);
	free(buf);
	return 0;
}
