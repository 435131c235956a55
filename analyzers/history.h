/* SPDX-License-Identifier: MIT */
/*
 * The state kept between runs of `check --state-file FILE` (cron, timers):
 * the counters and the time of the previous run, the cookies of sockets an
 * analyzer wants to age (CLOSE_WAIT), and a few named gauges (per-process
 * CLOSE_WAIT counts) for growth.  A state is only used when it comes from
 * the same boot (boot id) and the same network namespace (netns inode):
 * counters restart at boot and differ per namespace, so anything else would
 * give a bogus delta.
 *
 * The file is text, one record a line, written to a temporary file and
 * renamed over the old one; FILE.lock serialises concurrent runs.
 */
#ifndef TD_ANALYZERS_HISTORY_H
#define TD_ANALYZERS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/counters.h"

#define TD_HISTORY_COOKIES	16384	/* sockets remembered, at most */
#define TD_HISTORY_GAUGES	256
#define TD_HISTORY_GAUGE_KEY	64

struct td_snapshot;
struct td_err;

struct td_hist_cookie {
	uint64_t	cookie;
	int64_t		first_ns;	/* CLOCK_BOOTTIME when first seen */
};

struct td_hist_gauge {
	char		key[TD_HISTORY_GAUGE_KEY];
	int64_t		value;
};

struct td_history {
	bool			valid;		/* loaded, or filled for saving */
	char			boot_id[40];
	uint64_t		netns_ino;
	int64_t			mono_ns, time_ns;
	struct td_counters	ctr;
	struct td_hist_cookie	*cookies;	/* sorted by cookie once loaded */
	size_t			 ncookies;
	bool			 cookies_full;	/* more sockets than TD_HISTORY_COOKIES */
	struct td_hist_gauge	 gauges[TD_HISTORY_GAUGES];
	size_t			 ngauges;
};

/* Prepare *h to record the current run of snap. */
void	history_init(struct td_history *h, const struct td_snapshot *snap);
/*
 * Load the state file into *h.  A missing file leaves h->valid false and
 * returns 0.  Returns -1 with *err set when the file is malformed.
 */
int	history_load(struct td_history *h, const char *path, struct td_err *err);
/* True when *prev is from the same boot and network namespace as snap. */
bool	history_matches(const struct td_history *prev, const struct td_snapshot *snap);
/* Remember a socket cookie first seen at first_ns (silently bounded). */
void	history_add_cookie(struct td_history *h, uint64_t cookie, int64_t first_ns);
/* Sort the cookies for lookups (history_load() does it). */
void	history_sort(struct td_history *h);
/* When the socket with this cookie was first seen, or -1 (sorted cookies). */
int64_t	history_first_seen(const struct td_history *h, uint64_t cookie);
/* Set or read a named gauge; history_gauge returns false if absent. */
void	history_set_gauge(struct td_history *h, const char *key, int64_t value);
bool	history_gauge(const struct td_history *h, const char *key, int64_t *value);
/*
 * Write *h to path atomically (temporary file in the same directory, then
 * rename).  Returns 0, or -1 with *err set.
 */
int	history_save(struct td_history *h, const char *path, struct td_err *err);
/*
 * Take the exclusive lock PATH.lock, waiting at most timeout_s seconds.
 * Returns the lock's file descriptor, or -1 with *err set.
 */
int	history_lock(const char *path, unsigned int timeout_s, struct td_err *err);
void	history_unlock(int fd);
void	history_free(struct td_history *h);

#endif /* TD_ANALYZERS_HISTORY_H */
