/* SPDX-License-Identifier: MIT */
/*
 * Fuzz targets: each tests/fuzz/fuzz_<name>.c defines the libFuzzer entry
 * point for one parser of untrusted input.  `make fuzz` links them with
 * libFuzzer (clang); `make check` links them with driver.c, which replays
 * the seed corpus tests/fuzz/corpus/<name>/ (and any crash found since),
 * so every parser meets every saved input on every CI run.
 */
#ifndef TD_TESTS_FUZZ_FUZZ_H
#define TD_TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The input as a file some parsers need a path for: a memfd, named
 * /proc/self/fd/N in path[64].  Returns the fd (close it), or -1.
 */
int	fuzz_file(const uint8_t *data, size_t size, char *path);

/* The input as a NUL-terminated string (malloc'd; free it). */
char	*fuzz_string(const uint8_t *data, size_t size);

#endif /* TD_TESTS_FUZZ_FUZZ_H */
