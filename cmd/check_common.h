/* SPDX-License-Identifier: MIT */
/*
 * What `check` and `tune` share: their analyzer options, and the pipeline
 * that loads the configuration and the state file, collects one snapshot
 * and runs the analyzers over it.
 */
#ifndef TD_CMD_CHECK_COMMON_H
#define TD_CMD_CHECK_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"
#include "analyzers/history.h"
#include "cmd/check_events.h"
#include "cmd/cmd.h"
#include "cmd/listeners.h"
#include "cmd/unseen.h"
#include "collectors/source.h"

#define CHECK_MAX_SET	64

struct check_opts {
	const char	*config;		/* -c FILE, or the default path */
	bool		 config_explicit;	/* -c given: the file must exist */
	const char	*set[CHECK_MAX_SET];	/* --set, in order */
	unsigned int	 nset;
	const char	*only, *skip;		/* --only, --skip lists */
	const char	*state_file;		/* --state-file */
	const char	*events;		/* --events RECORDING (failed_connects) */
	int64_t		 min_window_ns;		/* shortest window for rates */
	const char	*output;		/* -o FILE */
	enum td_format	 format;
	/* Optional: called with every socket of the walk, after the header (watch's console). */
	void		(*visit)(void *arg, const struct td_snapshot *snap, const struct td_sock *sk);
	void		*visit_arg;
	size_t		 owner_hint;		/* td_source.owner_hint (watch: the last sample's) */
	/* Optional: the walk's owner map, with visit_arg (td_source.owner_map; watch's events). */
	void		(*owner_map)(void *arg, const struct procs_map *m, bool all,
			    const struct procs_stats *st);
};

struct check_state {
	struct td_source	src;
	struct td_snapshot	snap;
	struct td_config	cfg;
	struct td_history	prev, next;
	struct analyzer_run	run;
	struct td_findings	findings;
	uint64_t		sockets;
	uint64_t		by_state[TD_ST_MAX];
	struct listener_stats	listeners;	/* queue gauges (Prometheus) */
	unsigned int		nanalyzers;
	int			lockfd;
	bool			keep_state;	/* the file's state is newer, or the
						 * baseline of a too short window */
	struct td_unseen	unseen;		/* what the collection could not see */
	struct check_events	events;		/* --events: the window's connections */
	const struct check_opts	*co;		/* for its visit hook */
};

/*
 * The analyzer options check, tune and watch share: -c FILE, --set
 * SECTION.KEY=VALUE, --only ID,..., --skip ID,...  Put CHECK_LONGOPTS in the
 * command's option table and "c:" in its short options, then offer each
 * option to check_opt(): 1 when it took it, 0 when it is not one of these,
 * -1 after printing the error (too many --set).
 */
enum { CHECK_OPT_SET = 0x2000, CHECK_OPT_ONLY, CHECK_OPT_SKIP };
#define CHECK_LONGOPTS							\
	{ "config",	required_argument,	NULL, 'c' },			\
	{ "set",	required_argument,	NULL, CHECK_OPT_SET },		\
	{ "only",	required_argument,	NULL, CHECK_OPT_ONLY },		\
	{ "skip",	required_argument,	NULL, CHECK_OPT_SKIP }
int	check_opt(struct td_ctx *ctx, struct check_opts *co, int ch, const char *arg,
	    int fail_status);

/* Defaults, with the format taken from the global options. */
void	check_opts_init(struct check_opts *co, const struct td_ctx *ctx);
/*
 * Load the configuration, take the state file's lock and read it, collect
 * the snapshot and run the enabled analyzers into cs->findings.  Returns 0,
 * or the exit status fail_status after printing the error (fail_status -1:
 * the sysexits status the error calls for, as other commands use).  Call
 * check_state_free() in any case.
 */
int	check_collect(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
	    int fail_status);
/*
 * After check_collect(): whether an enabled analyzer's verdict rests on
 * something that could not be seen (its descriptor's verdict_owner_states
 * and verdict_sysctls against cs->unseen); then why is one line saying
 * which analyzer and what.
 */
bool	check_blind_verdict(const struct check_state *cs, char *why, size_t len);
/* Write the state file (if asked for); 0 or fail_status after an error. */
int	check_save_state(struct td_ctx *ctx, const struct check_opts *co, struct check_state *cs,
	    int fail_status);
void	check_state_free(struct check_state *cs);
/* cmd_fail() that also remembers the message (for Nagios' UNKNOWN line). */
int	check_failf(struct td_ctx *ctx, int status, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* The last message check_failf() printed. */
const char *check_last_error(void);

#endif /* TD_CMD_CHECK_COMMON_H */
