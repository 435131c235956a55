/* SPDX-License-Identifier: MIT */
/*
 * What cmd/events.c shares with the other commands: its "connection"
 * record and table row (watch prints and records the connections it
 * follows with them), and reading the records back (check --events
 * feeds them to the failed_connects analyzer).
 */
#ifndef TD_CMD_EVENTS_H
#define TD_CMD_EVENTS_H

#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "collectors/events.h"

/*
 * Decode a "connection" record, o, written at t (ns) into *ev.  Returns
 * NULL, or the key that is missing or wrong.
 */
/*
 * ev as events -j prints it ("command": "events", "type": "connection"),
 * with meta's host and netns in its head; NULL out of memory.
 */
json_t	*events_conn_json(const struct td_conn_ev *ev, const struct td_meta *meta);
/* ev as the events table prints it, one line. */
void	 events_conn_row(FILE *fp, const struct td_conn_ev *ev);

const char *events_conn_from_json(const json_t *o, int64_t t, struct td_conn_ev *ev);

#endif /* TD_CMD_EVENTS_H */
