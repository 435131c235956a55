/* SPDX-License-Identifier: MIT */
/* Fuzz target: snapshot files (--from), header and streamed sockets. */
#include "tests/fuzz/fuzz.h"

#include <unistd.h>

#include "collectors/snapfile.h"

static int
count(const struct td_sock *sk, void *arg, struct td_err *err)
{
	(void)sk;
	(void)err;
	++*(size_t *)arg;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_snapshot snap;
	struct td_err err = { 0 };
	struct snapfile_reader *r;
	char path[64];
	size_t n = 0;
	int fd = fuzz_file(data, size, path);

	if (fd < 0)
		return 0;
	r = snapfile_open(path, &snap, &err);
	if (r != NULL) {
		/* Twice: a second walk rewinds, and filters take another path. */
		snapfile_walk(r, TD_STATES_ALL, 0, count, &n, &err);
		snapfile_walk(r, TD_STATE_BIT(TD_ST_LISTEN), AF_INET, count, &n, &err);
		snapfile_close(r);
	}
	close(fd);
	return 0;
}
