/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor ls [-p] [-i] [-e] [-H] [FILTER]`: every TCP socket in every
 * state (what `ss -tan` shows), streamed from the source through the filter
 * to the renderer one socket at a time.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/filter.h"
#include "cmd/output.h"
#include "cmd/unseen.h"
#include "collectors/source.h"

struct ls_walk {
	const struct td_filter		*filter;
	const struct sock_renderer	*r;
	struct out			*o;
	int				 werr;	/* errno of a failed write, 0 if none */
	struct td_unseen		 unseen;
};

static int
ls_one(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct ls_walk *w = arg;

	if (!filter_match(w->filter, sk))
		return 0;
	unseen_sock(&w->unseen, sk);
	if (w->r->sock(w->o, sk) < 0) {
		w->werr = errno != 0 ? errno : EIO;
		return td_errf(err, w->werr, "writing output: %s", strerror(w->werr));
	}
	return 0;
}

int
cmd_ls(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "processes",	no_argument, NULL, 'p' },
		{ "cgroup",	no_argument, NULL, 'c' },
		{ "info",	no_argument, NULL, 'i' },
		{ "extended",	no_argument, NULL, 'e' },
		{ "no-header",	no_argument, NULL, 'H' },
		{ "at",		required_argument, NULL, CMD_OPT_AT },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct out_opts oo = { .family = ctx->family };
	struct td_snapshot snap;
	struct td_source src;
	struct td_filter filter;
	struct td_err err = { 0 };
	const struct sock_renderer *r;
	struct out o = { 0 };
	struct ls_walk w;
	int ch, status = TD_EXIT_OK;

	while ((ch = cmd_getopt(ctx, argc, argv, "pcieH", opts, &status)) != -1) {
		switch (ch) {
		case 'p': oo.owner = true; break;
		case 'c': oo.cgroup = true; break;
		case 'i': oo.info = true; break;
		case 'e': oo.extended = true; break;
		case 'H': oo.no_header = true; break;
		case CMD_OPT_AT: ctx->at = optarg; break;
		default: return status;
		}
	}
	if (cmd_at_misuse(ctx) != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s", cmd_at_misuse(ctx));
	if (filter_parse(&filter, argc - optind, argv + optind, &err) < 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s", err.msg);
	r = output_sock_renderer(ctx->format);
	if (r == NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "this command prints table, json or ndjson");

	cmd_source_init(ctx, &src);
	src.states = filter.states;
	src.want_owner = oo.owner;
	/* Containers first: the cgroup map is cheap beside the /proc walk. */
	src.want_cgroup = oo.cgroup || oo.owner || filter.needs_cgroup;
	src.want_info = oo.info;	/* tcp_info, skmem and cong: only with -i */
	if (source_header(&src, &snap, &err) < 0) {
		source_close(&src);
		return cmd_fail_err(ctx, &err);
	}
	cmd_rec_note(ctx, &src);
	o.fp = ctx->out;
	o.opts = &oo;
	o.snap = &snap;
	o.command = "ls";
	w.filter = &filter;
	w.r = r;
	w.o = &o;
	w.werr = 0;
	/* ls uses no sysctl; with -p, the owners. */
	unseen_init(&w.unseen, &snap, false, oo.owner);
	errno = 0;
	if (r->begin(&o) < 0) {
		status = cmd_fail_write(ctx, TD_EXIT_OSERR, errno);
	} else if (source_walk(&src, ls_one, &w, &err) < 0) {
		if (w.werr != 0)
			status = cmd_fail_write(ctx, TD_EXIT_OSERR, w.werr);
		else
			status = cmd_fail_err(ctx, &err);
	} else {
		unseen_source(&w.unseen, &src);
		if (oo.owner) {
			o.tail = json_object();
			json_object_set_new(o.tail, "unseen", unseen_json(&w.unseen));
		}
		errno = 0;
		if (r->end(&o) < 0)
			status = cmd_fail_write(ctx, TD_EXIT_OSERR, errno);
		json_decref(o.tail);
	}
	output_free(&o);
	if (status == TD_EXIT_OK)
		unseen_warn(ctx, &w.unseen);
	source_close(&src);
	return status;
}
