/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor kill [--yes] FILTER`: destroy the sockets a filter selects,
 * through sock_diag's destroy request, as `ss -K` does
 * (collectors/sockkill.h says what the kernel then does).  Without --yes
 * it prints what it would destroy and stops; with --yes it prints each
 * socket destroyed or the kernel's refusal.  It refuses an empty filter
 * (every socket), and leaves listening sockets alone unless the filter
 * names the state (state listening).  The sockets are collected first and
 * destroyed after the dump: exactly the list printed, never a socket the
 * dump has not shown.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/filter.h"
#include "collectors/sockkill.h"
#include "collectors/source.h"

#define KILL_MAX	100000	/* sockets one run destroys, at most */

struct kill_list {
	const struct td_filter	*filter;
	struct td_sock		*v;	/* copies without tcp_info: what the request needs */
	size_t			 n, cap;
	bool			 over;	/* more than KILL_MAX matched */
};

static int
collect(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct kill_list *l = arg;
	struct td_sock *nv;
	size_t cap;

	if (!filter_match(l->filter, sk))
		return 0;
	if (l->n >= KILL_MAX) {
		l->over = true;
		return td_errf(err, E2BIG, "the filter selects more than %d sockets: narrow it",
		    KILL_MAX);
	}
	if (l->n == l->cap) {
		cap = l->cap != 0 ? l->cap * 2 : 64;
		nv = realloc(l->v, cap * sizeof(*nv));
		if (nv == NULL)
			return td_errf(err, ENOMEM, "out of memory");
		l->v = nv;
		l->cap = cap;
	}
	l->v[l->n++] = *sk;
	return 0;
}

/* Does a word of the filter name the listening state (LISTEN, listening, listen)? */
static bool
names_listen(int argc, char **argv)
{
	char word[64];
	const char *p, *q;
	size_t n;
	int i;

	for (i = 0; i < argc; i++)
		for (p = argv[i]; *p != '\0'; p = q) {
			p += strspn(p, " \t\n()");
			q = p + strcspn(p, " \t\n()");
			n = (size_t)(q - p);
			if (n == 0 || n >= sizeof(word))
				continue;
			memcpy(word, p, n);
			word[n] = '\0';
			if (strcasecmp(word, "listening") == 0 || td_state_parse(word) == TD_ST_LISTEN)
				return true;
		}
	return false;
}

static void
print_sock(FILE *fp, const char *verb, const struct td_sock *sk, const char *why)
{
	char a[INET6_ADDRSTRLEN + 2], b[INET6_ADDRSTRLEN + 2];
	bool v6 = !td_addr_is_v4(&sk->src);

	td_addr_str(sk, &sk->src, a, sizeof(a));
	td_addr_str(sk, &sk->dst, b, sizeof(b));
	fprintf(fp, "%s %-11s %s%s%s:%u %s%s%s:%u", verb, td_state_ss_name(sk->state),
	    v6 ? "[" : "", a, v6 ? "]" : "", sk->sport, v6 ? "[" : "", b, v6 ? "]" : "", sk->dport);
	if (sk->container[0] != '\0')
		fprintf(fp, " %s", sk->container);
	else if (sk->cgroup[0] != '\0')
		fprintf(fp, " cgroup:%s", sk->cgroup);
	if (why != NULL)
		fprintf(fp, ": %s", why);
	fputc('\n', fp);
}

int
cmd_kill(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "yes",	no_argument, NULL, 'y' },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct kill_list l = { 0 };
	struct td_filter filter;
	struct td_source src;
	struct td_snapshot snap;
	struct td_err err = { 0 };
	struct sockkill *k;
	size_t i, done = 0, gone = 0, refused = 0, listeners = 0;
	int ch, status = TD_EXIT_OK, code = 0;
	bool yes = false;

	while ((ch = cmd_getopt(ctx, argc, argv, "y", opts, &status)) != -1) {
		switch (ch) {
		case 'y': yes = true; break;
		default: return status;
		}
	}
	if (ctx->format != TD_FMT_TABLE)
		return cmd_fail(ctx, TD_EXIT_USAGE, "kill prints a table only");
	if (optind >= argc) {
		ctx->stop_all = true;
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "refusing to destroy every socket: give a FILTER (see tcpdoctor kill --help)");
	}
	if (filter_parse(&filter, argc - optind, argv + optind, &err) < 0) {
		ctx->stop_all = true;
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s", err.msg);
	}
	if ((filter.states & TD_STATE_BIT(TD_ST_LISTEN)) && !names_listen(argc - optind, argv + optind)) {
		filter.states &= ~TD_STATE_BIT(TD_ST_LISTEN);
		listeners = 1;	/* left alone: said below */
	}
	if (filter.states == 0) {
		ctx->stop_all = true;
		return cmd_fail(ctx, TD_EXIT_USAGE, "the filter selects no state to destroy");
	}

	cmd_source_init(ctx, &src);
	src.states = filter.states;
	src.want_info = false;
	src.want_cgroup = true;
	l.filter = &filter;
	if (source_header(&src, &snap, &err) < 0 || source_walk(&src, collect, &l, &err) < 0) {
		source_close(&src);
		free(l.v);
		if (l.over)
			ctx->stop_all = false;
		return cmd_fail_err(ctx, &err);
	}
	source_close(&src);

	if (!yes) {
		for (i = 0; i < l.n; i++)
			print_sock(ctx->out, "would destroy", &l.v[i], NULL);
		fprintf(ctx->out, "%zu socket%s would be destroyed; run again with --yes to destroy %s\n",
		    l.n, l.n == 1 ? "" : "s", l.n == 1 ? "it" : "them");
		if (listeners)
			fputs("listening sockets are left alone unless the filter names them (state listening)\n",
			    ctx->out);
		free(l.v);
		return TD_EXIT_OK;
	}
	k = l.n > 0 ? sockkill_open(&err) : NULL;
	if (l.n > 0 && k == NULL) {
		free(l.v);
		return cmd_fail_err(ctx, &err);
	}
	for (i = 0; i < l.n; i++) {
		memset(&err, 0, sizeof(err));
		if (sockkill_one(k, &l.v[i], &err) == 0) {
			print_sock(ctx->out, "destroyed", &l.v[i], NULL);
			done++;
		} else if (err.code == ENOENT) {
			print_sock(ctx->out, "gone", &l.v[i], "closed before the request");
			gone++;
		} else {
			print_sock(ctx->out, "not destroyed", &l.v[i], err.code == EOPNOTSUPP ?
			    "the kernel cannot destroy sockets (built without CONFIG_INET_DIAG_DESTROY)" :
			    err.code == EPERM ? "not permitted (needs CAP_NET_ADMIN in its namespace)" :
			    err.msg);
			refused++;
			if (code == 0)
				code = err.code;
		}
	}
	sockkill_close(k);
	fprintf(ctx->out, "%zu destroyed, %zu refused, %zu gone\n", done, refused, gone);
	free(l.v);
	if (refused == 0)
		return TD_EXIT_OK;
	if (code == EOPNOTSUPP)
		return cmd_fail(ctx, TD_EXIT_UNAVAILABLE,
		    "%zu sockets not destroyed: the kernel was built without CONFIG_INET_DIAG_DESTROY", refused);
	return cmd_fail(ctx, cmd_status_for(code), "%zu socket%s not destroyed: %s", refused,
	    refused == 1 ? "" : "s", strerror(code));
}
