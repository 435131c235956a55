/* SPDX-License-Identifier: MIT */
/*
 * What cmd/events.c shares with the other commands: reading its recorded
 * "connection" records back (check --events feeds them to the
 * failed_connects analyzer).
 */
#ifndef TD_CMD_EVENTS_H
#define TD_CMD_EVENTS_H

#include <stdint.h>

#include <jansson.h>

#include "collectors/events.h"

/*
 * Decode a "connection" record, o, written at t (ns) into *ev.  Returns
 * NULL, or the key that is missing or wrong.
 */
const char *events_conn_from_json(const json_t *o, int64_t t, struct td_conn_ev *ev);

#endif /* TD_CMD_EVENTS_H */
