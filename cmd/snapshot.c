/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor snapshot [-o FILE [--plain]]`: the whole snapshot (header,
 * counters, sysctls, every socket) as one JSON document, streamed socket
 * by socket.  With -o it is written by the rules of core/safefile.h: a
 * missing path or a regular file is replaced atomically (a reader never
 * sees half, a full disk leaves the old file), a device or a FIFO is
 * written through.  What -o writes is the snapshot file (format 2,
 * collectors/snapfile.h: compressed, the owners in a table, the /proc scan
 * beside the kernel's walk: collectors/snapsave.h); with --plain, or on
 * standard output, the JSON document itself.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/unseen.h"
#include "collectors/snapfile.h"
#include "collectors/snapsave.h"
#include "collectors/source.h"
#include "core/safefile.h"

/* The writer, counting what the walk could not see. */
struct snap_walk {
	struct snapfile_writer	*w;
	struct td_unseen	 unseen;
};

static int
put_sock(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct snap_walk *sw = arg;

	unseen_sock(&sw->unseen, sk);
	return snapfile_put_sock(sk, sw->w, err);
}

/* A socket whose owners snapsave_live() looked up. */
static void
owner_seen(const struct td_sock *sk, void *arg)
{
	unseen_sock(arg, sk);
}

/* Collect into the open output: -1 with *err set when that failed. */
static int
collect(struct td_source *src, const struct td_snapshot *snap, FILE *fp, bool file,
    struct snap_walk *sw, struct td_err *err)
{
	if (file && src->from == NULL)
		return snapsave_live(src, snap, fp, owner_seen, &sw->unseen, err);
	if (file) {
		if (snapfile_begin_file(sw->w, fp, snap, "snapshot", SNAPFILE_THREADED, err) < 0 ||
		    source_walk(src, put_sock, sw, err) < 0) {
			snapfile_abort(sw->w);
			return -1;
		}
		return snapfile_end(sw->w, err);
	}
	if (snapfile_begin(sw->w, fp, snap, "snapshot", err) < 0 ||
	    source_walk(src, put_sock, sw, err) < 0 ||
	    snapfile_end(sw->w, err) < 0)
		return -1;
	return 0;
}

int
cmd_snapshot(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output",	required_argument, NULL, 'o' },
		{ "plain",	no_argument,	   NULL, 'P' },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct snapfile_writer w;
	struct snap_walk sw;
	struct td_snapshot snap;
	struct td_source src;
	struct td_err err = { 0 };
	struct safefile sf;
	const char *out = NULL;
	FILE *fp = ctx->out;
	bool failed = false, plain = false;
	int ch, status = TD_EXIT_OK;

	while ((ch = cmd_getopt(ctx, argc, argv, "o:", opts, &status)) != -1) {
		switch (ch) {
		case 'o':
			out = optarg;
			break;
		case 'P':
			plain = true;
			break;
		default:
			return status;
		}
	}
	if (optind < argc)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (plain && out == NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "--plain is for -o FILE: standard output gets the plain document already");
	if (ctx->format_set && ctx->format != TD_FMT_JSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "a snapshot is always json");
	if (ctx->all_netns && out != NULL) {
		ctx->stop_all = true;
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "under --all-netns a snapshot goes to standard output (redirect it): -o would hold one namespace");
	}
	if (ctx->all_netns && ctx->from != NULL) {
		ctx->stop_all = true;
		return cmd_fail(ctx, TD_EXIT_USAGE, "a whole-host snapshot is a file already: copy it");
	}

	cmd_source_init(ctx, &src);
	src.want_info = true;
	/* A snapshot is diagnosed elsewhere, where /proc is not ours: keep the owners. */
	src.want_owner = true;
	src.want_cgroup = true;
	if (source_header(&src, &snap, &err) < 0) {
		source_close(&src);
		return cmd_fail_err(ctx, &err);
	}
	if (out != NULL) {
		/* 0600 when new: a snapshot names every process that owns a socket. */
		if (safefile_create(&sf, "output", out, 0, 0600, &err) < 0) {
			source_close(&src);
			return cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
		}
		fp = sf.fp;
	}
	sw.w = &w;
	unseen_init(&sw.unseen, &snap, true, true);
	if (collect(&src, &snap, fp, out != NULL && !plain, &sw, &err) < 0)
		failed = true;
	else
		unseen_source(&sw.unseen, &src);
	source_close(&src);
	if (out == NULL) {
		if (!failed) {
			unseen_warn(ctx, &sw.unseen);
			return TD_EXIT_OK;
		}
		/* To stdout: a reader that went away ends the walk quietly. */
		if (ferror(fp))
			return cmd_fail_write(ctx, TD_EXIT_OSERR, err.code);
		return cmd_fail_err(ctx, &err);
	}
	if (failed && sf.werr == 0) {
		/* Collection failed: the old file stays as it was. */
		safefile_abort(&sf);
		return cmd_fail_err(ctx, &err);
	}
	/* A failed write (ENOSPC) is reported here, naming the file. */
	memset(&err, 0, sizeof(err));
	if (safefile_commit(&sf, &err) < 0)
		return cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
	/* The file says it too: null sysctls, "owner_unseen" on sockets. */
	unseen_warn(ctx, &sw.unseen);
	return TD_EXIT_OK;
}
