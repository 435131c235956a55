/* SPDX-License-Identifier: MIT */
/*
 * `check --events RECORDING`: the connection events a running
 * `events --record` (or `watch --record`, for the event records it keeps)
 * recorded feed the analyzers that judge them (failed_connects,
 * lifetimes: analyzer.h, judges_events).  The window is the one the
 * counters' rates use: since the previous run of the state file when
 * --state-file gives a usable one (a cron check sees what was recorded
 * since the last check), else everything recorded up to the snapshot's time.
 */
#include "cmd/check_events.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/events.h"
#include "collectors/recording.h"
#include "core/err.h"

struct ce {
	const char		*path;
	struct events_agg	*agg;
	int64_t			 since, until;
	double			 giveup_s;
	uint64_t		 lineno, used;
};

static int
ce_line(char *line, size_t len, void *arg, struct td_err *err)
{
	struct ce *c = arg;
	const char *cmd, *type, *s, *bad;
	struct td_conn_ev ev;
	json_error_t je;
	json_t *o, *rec;
	int64_t t;
	int rc = 0;

	c->lineno++;
	o = json_loadb(line, len, 0, &je);
	if (o == NULL)
		return td_errf(err, EBADMSG, "--events '%s': line %llu: not JSON (%s)", c->path,
		    (unsigned long long)c->lineno, je.text);
	cmd = json_string_value(json_object_get(o, "command"));
	type = json_string_value(json_object_get(o, "type"));
	s = json_string_value(json_object_get(o, "time"));
	if (cmd == NULL || type == NULL || s == NULL || rec_parse_time(s, &t) < 0) {
		json_decref(o);
		return td_errf(err, EBADMSG, "--events '%s': line %llu is not a tcpdoctor record "
		    "(command, type and time)", c->path, (unsigned long long)c->lineno);
	}
	rec = o;
	if (strcmp(cmd, "watch") == 0 && strcmp(type, "event") == 0) {
		/* An event watch followed: the record inside, as events writes it. */
		rec = json_object_get(o, "event");
		type = json_string_value(json_object_get(rec, "type"));
		s = json_string_value(json_object_get(rec, "time"));
		if (type == NULL || s == NULL || rec_parse_time(s, &t) < 0)
			goto out;
	} else if (strcmp(cmd, "events") != 0) {
		goto out;
	}
	if (strcmp(type, "start") == 0 &&
	    json_is_number(json_object_get(rec, "connect_timeout_s")))
		c->giveup_s = json_number_value(json_object_get(rec, "connect_timeout_s"));
	if (strcmp(type, "connection") != 0 || t <= c->since || t > c->until)
		goto out;
	if ((bad = events_conn_from_json(rec, t, &ev)) != NULL) {
		rc = td_errf(err, EBADMSG, "--events '%s': line %llu: bad or missing '%s'", c->path,
		    (unsigned long long)c->lineno, bad);
		goto out;
	}
	events_agg_add(c->agg, &ev);
	c->used++;
out:
	json_decref(o);
	return rc;
}

int
check_events_load_into(const char *path, int64_t since_ns, int64_t until_ns,
    struct events_agg *agg, struct check_events *out, struct td_err *err)
{
	struct ce c;
	bool truncated = false;

	memset(out, 0, sizeof(*out));
	if (!rec_is_recording(path)) {
		/* Say what it is not, unless it cannot be opened (the reader says why). */
		if (access(path, F_OK) == 0)
			return td_errf(err, EBADMSG, "--events '%s' is not a recording (events --record "
			    "or watch --record writes one)", path);
	}
	memset(&c, 0, sizeof(c));
	c.path = path;
	c.since = since_ns;
	c.until = until_ns;
	c.agg = agg;
	if (rec_read_at(path, ce_line, &c, &truncated, &out->cut, err) < 0)
		return -1;
	if (!truncated)
		out->cut.file[0] = '\0';
	out->giveup_s = c.giveup_s;
	out->connections = c.used;
	return 0;
}

void
check_events_free(struct check_events *ce)
{
	free(ce->agg);
	ce->agg = NULL;
}
