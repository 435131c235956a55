/* SPDX-License-Identifier: MIT */
/*
 * `check --events RECORDING`: the connection events of a recording, in a
 * time window, as aggregates for the analyzers that judge them
 * (failed_connects, lifetimes).
 */
#ifndef TD_CMD_CHECK_EVENTS_H
#define TD_CMD_CHECK_EVENTS_H

#include <stdint.h>

#include "collectors/events.h"
#include "collectors/recording.h"

struct check_events {
	struct events_agg	*agg;		/* owned by check_events_free() */
	double			 giveup_s;	/* the recorded connect() timeout, 0 unknown */
	uint64_t		 connections;	/* in the window */
	struct rec_cut		 cut;		/* file[0] != '\0': the last frame is cut short */
};

/*
 * Read the "connection" records of the recording at path (events --record,
 * or the "event" records of watch --record) written in (since_ns, until_ns]
 * into agg (the caller's, with the listeners' rows made beforehand so that
 * connections accepted on a wildcard address count for them) and fill out
 * (out->agg stays NULL).  Returns 0, or -1 with *err set naming the file.
 */
int	check_events_load_into(const char *path, int64_t since_ns, int64_t until_ns,
	    struct events_agg *agg, struct check_events *out, struct td_err *err);
void	check_events_free(struct check_events *ce);

#endif /* TD_CMD_CHECK_EVENTS_H */
