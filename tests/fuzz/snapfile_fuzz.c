/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness: arbitrary bytes as a snapshot file through
 * snapfile_open() and snapfile_walk() (seeds: saved snapshots).
 */
#include <sys/mman.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapfile.h"

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
	struct snapfile_reader *r;
	struct td_snapshot snap;
	struct td_err err = { 0 };
	char path[64];
	size_t n = 0;
	int fd;

	fd = memfd_create("snap", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = snapfile_open(path, &snap, &err);
	if (r != NULL) {
		(void)snapfile_walk(r, 0, 0, sink, &n, &err);
		(void)snapfile_walk(r, TD_STATE_BIT(TD_ST_LISTEN), AF_INET, sink, &n, &err);
		snapfile_close(r);
	}
	close(fd);
	return 0;
}
