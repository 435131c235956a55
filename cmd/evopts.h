/* SPDX-License-Identifier: MIT */
/*
 * The options `events` and `watch` share, parsed once (cmd/evopts.c):
 * -d/--duration, --count (events -c, watch -n: the letter is each
 * command's), --record FILE and --record-size BYTES, each with one
 * message for a bad value.  Each command keeps its own extras in its own
 * getopt loop (events: --no-trace, --rcvbuf, --at, FILTER; watch: -i, -o,
 * --speed, --at, --no-events, --connections) and hands every option to
 * evopts_parse() first:
 *
 *	switch (evopts_parse(ctx, &eo, ch, optarg)) {
 *	case 1:
 *		continue;		(one of the shared options: taken)
 *	case -1:
 *		return TD_EXIT_USAGE;	(a bad value: said)
 *	}
 */
#ifndef TD_CMD_EVOPTS_H
#define TD_CMD_EVOPTS_H

#include <stdint.h>

struct td_ctx;

/* getopt values of the shared long-only options (clear of CMD_OPT_* and CHECK_OPT_*). */
enum {
	EVOPT_RECORD = 0x2100,
	EVOPT_RECORD_SIZE,
};

/* The shared rows of a command's long options; "count" is the command's own row. */
#define EVOPT_LONGOPTS								\
	{ "duration",	required_argument, NULL, 'd' },				\
	{ "record",	required_argument, NULL, EVOPT_RECORD },		\
	{ "record-size", required_argument, NULL, EVOPT_RECORD_SIZE }

struct evopts {
	int		 count_ch;	/* the short option of --count: 'c' or 'n' */
	double		 duration;	/* -d: seconds, 0 until stopped */
	int64_t		 count;		/* --count: 0 no limit */
	const char	*record;	/* --record FILE, NULL: none */
	uint64_t	 record_max;	/* --record-size: bytes a file holds before rotation */
};

/* Defaults: no duration, no count, no recording, REC_DEFAULT_MAX. */
void	evopts_init(struct evopts *eo, int count_ch);
/*
 * One option as getopt_long() returned it: 1 if it is a shared one
 * (taken into *eo), 0 if it is not (the caller's own), -1 if its value is
 * bad (said in one line, as cmd_fail() says it; exit TD_EXIT_USAGE).
 */
int	evopts_parse(struct td_ctx *ctx, struct evopts *eo, int ch, const char *arg);

#endif /* TD_CMD_EVOPTS_H */
