/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor snapshot [-o FILE]`: the whole snapshot (header, counters,
 * sysctls, every socket) as one JSON document, streamed socket by socket.
 * With -o the document goes to a temporary file in the same directory
 * that is renamed over FILE once complete, so a reader never sees half.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "collectors/snapfile.h"
#include "collectors/source.h"

int
cmd_snapshot(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output",	required_argument, NULL, 'o' },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct snapfile_writer w;
	struct td_snapshot snap;
	struct td_source src;
	struct td_err err = { 0 };
	const char *out = NULL;
	char tmp[PATH_MAX];
	FILE *fp = ctx->out;
	int ch, fd, status = TD_EXIT_OK;

	while ((ch = cmd_getopt(ctx, argc, argv, "o:", opts, &status)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		default:
			return status;
		}
	}
	if (optind < argc)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (ctx->format_set && ctx->format != TD_FMT_JSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "a snapshot is always json");

	cmd_source_init(ctx, &src);
	src.want_info = true;
	/* A snapshot is diagnosed elsewhere, where /proc is not ours: keep the owners. */
	src.want_owner = true;
	if (source_header(&src, &snap, &err) < 0) {
		source_close(&src);
		return cmd_fail_err(ctx, &err);
	}
	if (out != NULL) {
		if (snprintf(tmp, sizeof(tmp), "%s.tmpXXXXXX", out) >= (int)sizeof(tmp)) {
			source_close(&src);
			return cmd_fail(ctx, TD_EXIT_CANTCREAT, "-o '%s': path too long", out);
		}
		fd = mkstemp(tmp);
		if (fd < 0 || (fp = fdopen(fd, "w")) == NULL) {
			status = cmd_fail(ctx, TD_EXIT_CANTCREAT, "-o '%s': cannot create %s: %s",
			    out, tmp, strerror(errno));
			source_close(&src);
			return status;
		}
		fchmod(fd, 0644);
	}
	if (snapfile_begin(&w, fp, &snap, "snapshot", &err) < 0 ||
	    source_walk(&src, snapfile_put_sock, &w, &err) < 0 ||
	    snapfile_end(&w, &err) < 0) {
		/* To stdout: a reader that went away ends the walk quietly. */
		if (out == NULL && ferror(fp))
			status = cmd_fail_write(ctx, TD_EXIT_OSERR, err.code);
		else
			status = cmd_fail_err(ctx, &err);
	}
	source_close(&src);
	if (out != NULL) {
		if (fflush(fp) != 0 || fsync(fileno(fp)) != 0) {
			if (status == TD_EXIT_OK)
				status = cmd_fail(ctx, TD_EXIT_CANTCREAT, "-o '%s': writing: %s", out,
				    strerror(errno));
		}
		fclose(fp);
		if (status == TD_EXIT_OK && rename(tmp, out) < 0)
			status = cmd_fail(ctx, TD_EXIT_CANTCREAT, "-o '%s': rename: %s", out,
			    strerror(errno));
		if (status != TD_EXIT_OK)
			unlink(tmp);
	}
	return status;
}
