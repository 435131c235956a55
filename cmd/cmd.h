/* SPDX-License-Identifier: MIT */
/*
 * The subcommands and what main() hands them.
 *
 * Adding a subcommand:
 *  1. cmd/<name>.c with `int cmd_<name>(struct td_ctx *, int, char **)`,
 *     declared below;
 *  2. a sorted row in commands[] (cmd/main.c) with flags and usage, the
 *     usage in the same words as the man page SYNOPSIS;
 *  3. a COMMANDS entry in man/tcpdoctor.8 (tests/misc/man-options.sh checks);
 *  4. golden or integration tests under tests/.
 */
#ifndef TD_CMD_CMD_H
#define TD_CMD_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "collectors/snapshot.h"
#include "collectors/source.h"

enum td_format {
	TD_FMT_TABLE = 0,
	TD_FMT_JSON,
	TD_FMT_NDJSON,
	TD_FMT_PROMETHEUS,
	TD_FMT_NAGIOS,
};

struct td_ctx {
	const char	*cmd;		/* the subcommand's name, for messages */
	enum td_format	 format;
	bool		 format_set;	/* -j or --format given */
	int		 family;	/* 0, AF_INET or AF_INET6 (-4/-6) */
	const char	*from;		/* --from FILE */
	const char	*at;		/* --at TIME: a sample of a --from recording */
	const struct rec_sample *rec_sample;	/* the sample check is replaying, or NULL */
	const char	*netns;		/* -N NAME */
	int		 netns_pid;	/* --netns-pid PID, 0 if none */
	const char	*proc_root;	/* --proc-root DIR (tests), default /proc */
	char		 netns_label[256];
	bool		 all_netns;	/* -A: run() is called once per namespace (cmd/allns.c) */
	const char	*netns_filter;	/* --netns-filter PATTERN, NULL for every namespace */
	bool		 stop_all;	/* set by run(): a failure that is not the namespace's
					 * (options, help): -A stops instead of going on */
	struct td_err	 setup_err;	/* CMD_NAGIOS: main()'s failure to report (msg "" if none) */
	FILE		*out;		/* stdout */
	bool		 out_failed;	/* a write to out failed and was reported (cmd_fail_write) */
};

enum cmd_flag {
	CMD_LIVE_ONLY	= 1 << 0,	/* reads the kernel: --from is an error */
	CMD_NAGIOS	= 1 << 1,	/* every failure exits TD_EXIT_UNKNOWN */
	CMD_NO_NETNS	= 1 << 2,	/* does not look at a namespace (-N ignored) */
	CMD_ALL_NETNS	= 1 << 3,	/* runs under -A, once per namespace */
	CMD_ALL_NETNS_SELF = 1 << 4,	/* under -A, run() visits the namespaces itself (watch) */
};

struct cmd {
	const char	*name;
	int		(*run)(struct td_ctx *ctx, int argc, char **argv);
	unsigned int	 flags;
	const char	*usage;		/* same words as the man page SYNOPSIS */
	const char	*summary;	/* one line for `tcpdoctor --help` */
	const char	*help;		/* options, for `tcpdoctor CMD --help`; may be NULL;
					 * a line "analyzers:" gets the registry's ids */
};

/* The table, for --help and the documentation check. */
extern const struct cmd td_commands[];
extern const unsigned int td_ncommands;

/* ---- Messages (cmd/ only prints) ---- */

/* "tcpdoctor: <cmd>: <message>" on stderr; returns status. */
int	cmd_fail(struct td_ctx *ctx, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* "tcpdoctor: <cmd>: warning: <message>" on stderr. */
void	cmd_warn(struct td_ctx *ctx, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Print err->msg and return the exit status its errno code maps to. */
int	cmd_fail_err(struct td_ctx *ctx, const struct td_err *err);
/*
 * A write to the output (ctx->out) failed with errno code: the stream is
 * abandoned.  When the reader went away (EPIPE: `| head`) nothing is
 * printed; any other error is reported once, with its reason.  Marks
 * ctx->out_failed so that main() does not report it again; returns status.
 */
int	cmd_fail_write(struct td_ctx *ctx, int status, int code);
/*
 * For commands that stream (trace, events): flushes fp first when flush is
 * set, then on a write error sets *failed and returns -1 with "writing
 * output: ..." in err: the errno of the write that failed (without a
 * flush, errno as the caller left it), EIO if none.
 */
int	cmd_out_check(FILE *fp, bool flush, bool *failed, struct td_err *err);
/* The exit status for an errno code (EACCES -> 77, EBADMSG -> 65, ...). */
int	cmd_status_for(int code);
/* Print a subcommand's usage line to fp. */
void	cmd_usage(FILE *fp, const struct td_ctx *ctx);
/*
 * Option parsing for a subcommand, getopt_long with the common parts done:
 * -h/--help (prints the usage, status 0), -j/--json and --format FORMAT
 * (which every command accepts after its name too), unknown options and
 * missing arguments (one-line error, status 64).  Put CMD_COMMON_LONGOPTS
 * in the command's long options; shortopts lists only its own letters.
 * Returns the next option for the command to handle, -1 at the end of the
 * options (optind is the first operand), or CMD_OPT_EXIT with *status set.
 * main() resets getopt before calling a command's run().
 */
#define CMD_OPT_FORMAT	0x1000
#define CMD_OPT_AT	0x1001	/* --at TIME (ls, summary, check): ctx->at */
#define CMD_OPT_EXIT	(-2)
#define CMD_COMMON_LONGOPTS						\
	{ "help",	no_argument,		NULL, 'h' },			\
	CMD_FORMAT_LONGOPTS
#define CMD_FORMAT_LONGOPTS						\
	{ "json",	no_argument,		NULL, 'j' },			\
	{ "format",	required_argument,	NULL, CMD_OPT_FORMAT }
struct option;
int	cmd_getopt(struct td_ctx *ctx, int argc, char **argv, const char *shortopts,
	    const struct option *longopts, int *status);
/*
 * The pieces cmd_getopt() is made of, for a command that runs getopt_long
 * itself: cmd_format_opt() takes -j/--format (returns 1 when it took the
 * option, 0 when ch is not a format option, -1 after printing the error
 * for a bad format); cmd_bad_option() prints the one-line error for
 * getopt's '?' or ':' in ch and returns 64.
 */
int	cmd_format_opt(struct td_ctx *ctx, int ch, const char *arg);
int	cmd_bad_option(struct td_ctx *ctx, int ch, int argc, char **argv);
/* Parse a format name; 0, or -1 when unknown. */
int	cmd_parse_format(const char *s, enum td_format *fmt);

/* Prepare a source from the global options (netns already entered). */
void	cmd_source_init(struct td_ctx *ctx, struct td_source *src);
/*
 * After source_header() on a watch recording: say on stderr which sample
 * answers (its time and number, the time asked), and that the last frame
 * was cut short when it was (a writer at work).  Nothing otherwise.
 */
void	cmd_rec_note(struct td_ctx *ctx, const struct td_source *src);
/* Why ctx->at (--at) cannot be used (a usage error), or NULL when it can or is not given. */
const char *cmd_at_misuse(const struct td_ctx *ctx);

struct cmd;
/*
 * -A: discover every network namespace, enter each in turn and call c->run
 * there, with the output of the runs joined (cmd/allns.c).  Returns the
 * exit status.
 */
int	cmd_all_netns(struct td_ctx *ctx, const struct cmd *c, int argc, char **argv);
/* Does a namespace match --netns-filter (always, without one)? */
struct netns_info;
bool	cmd_netns_selected(const struct td_ctx *ctx, const struct netns_info *ns);
/*
 * -A Prometheus: expositions of several namespaces joined into one, each
 * family once, every sample labelled netns (cmd/allns.c).  _flush writes
 * it to fp with tcpdoctor_netns_unseen for the unseen (a JSON array of
 * {netns, reason}, may be NULL) and frees pm; -1 when memory ran out or
 * writing failed.
 */
struct prom_merge;
struct json_t;
struct prom_merge *cmd_prom_merge_new(void);
void	cmd_prom_merge_take(struct prom_merge *pm, const char *text, size_t len, const char *netns);
int	cmd_prom_merge_flush(struct prom_merge *pm, FILE *fp, const struct json_t *unseen);

/* One per cmd/<name>.c. */
int	cmd_check(struct td_ctx *, int, char **);
int	cmd_events(struct td_ctx *, int, char **);
int	cmd_explain(struct td_ctx *, int, char **);
int	cmd_kill(struct td_ctx *, int, char **);
int	cmd_ls(struct td_ctx *, int, char **);
int	cmd_replay(struct td_ctx *, int, char **);
int	cmd_sim(struct td_ctx *, int, char **);
/* sim --against-kernel (cmd/sim_kernel.c): name NULL lists the scenarios. */
int	sim_against_kernel(struct td_ctx *ctx, const char *name, const char *const *sets,
	    unsigned int nsets);
/*
 * A sim script compiled into the conformance runner's steps (cmd/sim_kernel.c)
 * for sim -f --against-kernel: NULL with why (FILE[:LINE]: ...) when the
 * kernel cannot play it; w must outlive it.
 */
struct sim_xscript;
struct lab_scen;
struct tm_world;
struct sim_xscript *sim_xscript_compile(const struct tm_world *w, char *why, size_t len);
const struct lab_scen *sim_xscript_scen(const struct sim_xscript *x);
void	sim_xscript_free(struct sim_xscript *x);
/* A conformance scenario written as a script (sc->script), compiled under its name. */
struct sim_xscript *sim_xscript_of(const struct lab_scen *sc, char *why, size_t len);
/* sim -f FILE --against-kernel (cmd/sim_kernel.c): the script text read from file. */
int	sim_script_against_kernel(struct td_ctx *ctx, const char *file, const char *text,
	    const char *const *sets, unsigned int nsets);
int	cmd_snapshot(struct td_ctx *, int, char **);
int	cmd_summary(struct td_ctx *, int, char **);
int	cmd_trace(struct td_ctx *, int, char **);
int	cmd_tune(struct td_ctx *, int, char **);
int	cmd_version(struct td_ctx *, int, char **);
int	cmd_watch(struct td_ctx *, int, char **);

#endif /* TD_CMD_CMD_H */
