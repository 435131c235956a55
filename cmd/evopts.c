/* SPDX-License-Identifier: MIT */
/* The options events and watch share, parsed once; see evopts.h. */
#include "cmd/evopts.h"

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "collectors/recording.h"
#include "core/num.h"

#define EVOPT_DURATION_MAX	(86400.0 * 366)		/* a leap year, 31622400 s */
#define EVOPT_RECORD_SIZE_MAX	(INT64_C(1) << 40)	/* 1 TiB */

void
evopts_init(struct evopts *eo, int count_ch)
{
	*eo = (struct evopts){ .count_ch = count_ch, .record_max = REC_DEFAULT_MAX };
}

int
evopts_parse(struct td_ctx *ctx, struct evopts *eo, int ch, const char *arg)
{
	int64_t v;

	if (ch == 'd') {
		if (td_num_double(arg, 0.1, EVOPT_DURATION_MAX, &eo->duration, NULL) < 0) {
			cmd_fail(ctx, TD_EXIT_USAGE, "--duration: '%s' is not a number of seconds "
			    "from 0.1 to %.0f", arg, EVOPT_DURATION_MAX);
			return -1;
		}
	} else if (ch == eo->count_ch) {
		if (td_num_i64(arg, 1, INT64_MAX, &eo->count, NULL) < 0) {
			cmd_fail(ctx, TD_EXIT_USAGE, "--count: '%s' is not a positive number", arg);
			return -1;
		}
	} else if (ch == EVOPT_RECORD) {
		eo->record = arg;
	} else if (ch == EVOPT_RECORD_SIZE) {
		if (td_num_i64(arg, (int64_t)REC_MIN_MAX, EVOPT_RECORD_SIZE_MAX, &v, NULL) < 0) {
			cmd_fail(ctx, TD_EXIT_USAGE, "--record-size: '%s' is not a number of bytes "
			    "from %llu to %lld", arg, (unsigned long long)REC_MIN_MAX,
			    (long long)EVOPT_RECORD_SIZE_MAX);
			return -1;
		}
		eo->record_max = (uint64_t)v;
	} else {
		return 0;
	}
	return 1;
}
