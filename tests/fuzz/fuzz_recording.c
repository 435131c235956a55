/* SPDX-License-Identifier: MIT */
/*
 * Fuzz target: a recording (events --record) through the real reader:
 * concatenated zstd frames, cut or damaged, lines of any length.
 */
#include "tests/fuzz/fuzz.h"

#include <string.h>
#include <unistd.h>

#include "collectors/recording.h"
#include "core/err.h"

static int
line(char *s, size_t len, void *arg, struct td_err *err)
{
	(void)err;
	/* Touch the line so a sanitizer sees any byte past its end. */
	*(size_t *)arg += len + (unsigned char)s[len] + (len > 0 ? (unsigned char)s[len - 1] : 0);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct td_err err = { 0 };
	char path[64];
	size_t sum = 0;
	bool truncated;
	int fd = fuzz_file(data, size, path);

	if (fd < 0)
		return 0;
	(void)rec_is_recording(path);
	(void)rec_read(path, line, &sum, &truncated, &err);
	close(fd);
	return 0;
}
