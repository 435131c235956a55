/* SPDX-License-Identifier: MIT */
/*
 * What a command could not see, said once: unreadable processes (so some
 * sockets have no owner) and unreadable sysctls (so defaults were
 * assumed).  A command fills a struct td_unseen from its source and the
 * sockets it walked, prints it as one warning line on stderr, and puts it
 * in its JSON ("unseen") and Prometheus (tcpdoctor_unseen) output.  Only
 * what the command uses counts: `ls` without -p does not look at owners
 * nor sysctls, so it has nothing to say.
 */
#ifndef TD_CMD_UNSEEN_H
#define TD_CMD_UNSEEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "collectors/snapshot.h"
#include "collectors/source.h"

struct td_unseen {
	bool		owners;			/* owners were asked for */
	size_t		processes;		/* processes listed (live only) */
	size_t		processes_unreadable;	/* whose fds could not be read */
	int		processes_code;		/* errno of the first */
	uint64_t	owner_unreadable;	/* sockets: owner unknown, processes unreadable */
	uint64_t	owner_unreadable_states; /* TD_STATE_BIT mask of those sockets */
	uint64_t	owner_skipped;		/* sockets: owner not looked up (table cap) */
	uint64_t	owner_skipped_states;
	bool		sysctls;		/* sysctls are used */
	unsigned int	sysctls_unreadable;	/* knobs that exist but could not be read */
	uint64_t	sysctls_mask;		/* bit TD_SYS_* of those */
	int		sysctls_code;		/* errno of the first */
};

/* Start: sysctls (from snap, if the command uses them); owners if asked. */
void	unseen_init(struct td_unseen *u, const struct td_snapshot *snap, bool sysctls,
	    bool owners);
/* Count one socket's owner status (call for every socket walked). */
void	unseen_sock(struct td_unseen *u, const struct td_sock *sk);
/* Take the process counts of a live walk (after source_walk). */
void	unseen_source(struct td_unseen *u, const struct td_source *src);
/* Whether anything was not seen. */
bool	unseen_any(const struct td_unseen *u);
/*
 * The one line: "could not read 70 of 213 processes (Permission denied):
 * the owners of 12 sockets are unknown; could not read 2 of 27 sysctls
 * (...): defaults assumed".  Writes "" when nothing was missed.
 */
void	unseen_describe(const struct td_unseen *u, char *buf, size_t len);
/* cmd_warn() that line, if anything was not seen. */
void	unseen_warn(struct td_ctx *ctx, const struct td_unseen *u);
/* The "unseen" JSON object (new reference; NULL when out of memory). */
json_t	*unseen_json(const struct td_unseen *u);
/* The tcpdoctor_unseen gauges. */
void	unseen_prometheus(FILE *fp, const struct td_unseen *u);

#endif /* TD_CMD_UNSEEN_H */
