/* SPDX-License-Identifier: MIT */
/*
 * Renderers for the findings of `check` (and the sysctl snippet of `tune`
 * builds on the same data): a table for people, one JSON document, one
 * Nagios line with perfdata, and Prometheus text exposition.  They decide
 * nothing: the analyzers did.
 */
#ifndef TD_CMD_FINDINGS_H
#define TD_CMD_FINDINGS_H

#include <stdint.h>
#include <stdio.h>

#include "analyzers/analyzer.h"
#include "cmd/unseen.h"
#include "collectors/snapshot.h"

struct listener_stats;

/*
 * What `check` saw besides the findings.  A check that failed has error
 * set and status TD_EXIT_UNKNOWN; findings is NULL (and sockets, by_state
 * mean nothing) unless the failure came after the analysis.  snap is
 * always set: without a collected header, cmd/check.c fills in the time,
 * host, kernel and asked-for namespace.
 */
struct check_report {
	const struct td_snapshot	*snap;
	const struct td_findings	*findings;	/* NULL: not analyzed */
	const char			*error;		/* NULL unless UNKNOWN */
	const struct td_unseen		*unseen;	/* what could not be seen, NULL if
							 * collection did not finish */
	enum td_severity		 worst;
	int				 status;	/* the exit status */
	uint64_t			 sockets;
	uint64_t			 by_state[TD_ST_MAX];
	const struct listener_stats	*listeners;	/* queue gauges, NULL if none */
	unsigned int			 analyzers;	/* how many ran */
	double				 interval_s;	/* since the previous run, 0 if none */
};

/* Each returns 0, or -1 when writing fails (errno set). */
int	findings_table(FILE *fp, const struct check_report *r);
int	findings_json(FILE *fp, const struct check_report *r);
int	findings_nagios(FILE *fp, const struct check_report *r);
int	findings_prometheus(FILE *fp, const struct check_report *r);

/*
 * Write the report with render() to path by the rules of core/safefile.h:
 * a missing path or a regular file is replaced atomically (a new one gets
 * 0644, since node_exporter's textfile collector often runs as another
 * user; an old one keeps its owner and mode), a device or a FIFO is written
 * through.  Returns 0, or -1 with *err naming the file.  check -o and
 * watch -o write through it.
 */
struct td_err;
int	findings_write_file(const char *path, int (*render)(FILE *, const struct check_report *),
	    const struct check_report *r, struct td_err *err);

/* JSON helpers shared by check and tune (cmd/ only). */
struct json_t;
/* A new object with schema, command, time, host, netns and kernel set. */
struct json_t	*findings_json_meta(const struct td_snapshot *snap, const char *command);
/* A finding as a JSON object. */
struct json_t	*findings_json_finding(const struct td_finding *f);

#endif /* TD_CMD_FINDINGS_H */
