/* SPDX-License-Identifier: MIT */
/*
 * Replays fuzz inputs without libFuzzer: every file named on the command
 * line, or inside a directory named there, goes through the target once.
 * A crash or sanitizer report ends the process, which tests/run.sh counts
 * as a failure; otherwise one TAP line per argument.
 */
#include "tests/fuzz/fuzz.h"

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
replay_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (fp == NULL)
		return -1;
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			buf = realloc(buf, cap);
			if (buf == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len, fp);
		if (n == 0)
			break;
		len += n;
	}
	fclose(fp);
	/* An exact-size copy, so ASan sees reads past the end of the input. */
	{
		uint8_t *exact = malloc(len ? len : 1);

		if (exact == NULL)
			abort();
		memcpy(exact, buf, len);
		free(buf);
		LLVMFuzzerTestOneInput(exact, len);
		free(exact);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	int i, n, bad = 0;
	DIR *d;

	for (i = 1; i < argc; i++) {
		n = 0;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			d = opendir(argv[i]);
			while (d != NULL && (de = readdir(d)) != NULL) {
				if (de->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], de->d_name);
				if (replay_file(path) == 0)
					n++;
			}
			if (d != NULL)
				closedir(d);
		} else if (replay_file(argv[i]) == 0) {
			n = 1;
		}
		if (n == 0) {
			printf("not ok %d - %s: no input read\n", i, argv[i]);
			bad = 1;
		} else {
			printf("ok %d - %s: %d inputs replayed\n", i, argv[i], n);
		}
	}
	return bad;
}
