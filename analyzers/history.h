/* SPDX-License-Identifier: MIT */
/*
 * The state kept between runs of `check --state-file FILE` (cron, timers):
 * the counters and the time of the previous run, the cookies of sockets an
 * analyzer wants to age (CLOSE_WAIT, orphans), and a few named gauges
 * (per-process CLOSE_WAIT counts) for growth.
 *
 * A state is the previous state of a run only when it comes from the same
 * boot (boot id) and the same network namespace: counters restart at boot
 * and differ per namespace, so anything else would give a bogus delta.  A
 * namespace is known by its nsfs inode and, where the kernel offers it
 * (SO_NETNS_COOKIE, Linux 5.14), its cookie: inodes are reused once a
 * namespace is gone, cookies are not within a boot.  A counter that went
 * backwards means the baseline restarted, whatever the identity says.
 * history_compare() decides; see man/tcpdoctor.8, --state-file.
 *
 * The file is text, one record a line (format in history.c), written to a
 * temporary file and renamed over the old one; FILE.lock serialises
 * concurrent runs.  A file that is empty, cut short or damaged holds no
 * state: the run starts over and replaces it.
 */
#ifndef TD_ANALYZERS_HISTORY_H
#define TD_ANALYZERS_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "collectors/counters.h"

/*
 * Sockets remembered, at most: 16 bytes each, so 1 MiB for a run's new
 * state (the table grows as sockets come) and as much for the previous one,
 * and at most about 2.9 MB of state file (44 bytes a line).  Sockets past
 * it are counted (untracked) and the analyzers report how many.
 */
#define TD_HISTORY_COOKIES	65536
/*
 * The shortest window a rate is computed over, for check.  Thresholds are
 * per second, so a window shorter than one second turns a burst into a
 * rate it never kept up (one RST in 23 ms reads as 43 RSTs/s), and the
 * clock is read a few milliseconds before the counters, an error that is
 * small against a second and not against 23 ms.  Runs closer than this
 * see no rates and keep the previous state as their baseline.
 */
#define TD_HISTORY_MIN_WINDOW_NS	1000000000LL
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
	int			version;	/* of the file it was read from */
	char			boot_id[40];
	uint64_t		netns_ino;
	uint64_t		netns_cookie;	/* 0: unknown (old kernel, old file) */
	int64_t			mono_ns, time_ns;
	struct td_counters	ctr;
	struct td_hist_cookie	*cookies;	/* sorted by cookie once loaded */
	size_t			 ncookies, cookies_cap;
	uint64_t		 untracked;	/* sockets not remembered: table full */
	struct td_hist_gauge	 gauges[TD_HISTORY_GAUGES];
	size_t			 ngauges;
};

/* Prepare *h to record the current run of snap. */
void	history_init(struct td_history *h, const struct td_snapshot *snap);
/*
 * Load the state file into *h.  A missing file leaves h->valid false and
 * returns 0, as does a good one (h->valid true).  A file that holds no
 * usable state (empty, cut short, damaged, another format version) returns
 * 1 with h->valid false and *err saying why: a warning, and the run starts
 * over.  Returns -1 with *err set when the file cannot be read, or is text
 * that was never a state file (a configuration file named by mistake is
 * not overwritten).
 */
int	history_load(struct td_history *h, const char *path, struct td_err *err);
/* history_load() on an open stream; name is used in messages. */
int	history_read(struct td_history *h, FILE *fp, const char *name, struct td_err *err);

/* What a loaded state is to this run's snapshot (history_compare()). */
enum td_hist_verdict {
	TD_HIST_NONE = 0,	/* no state (missing, or it held none) */
	TD_HIST_SAME,		/* the previous state: rates, ages, growth */
	TD_HIST_SHORT,		/* the previous state, less than the minimum window
				 * ago: ages and growth, no rates; it stays the baseline */
	TD_HIST_OTHER_BOOT,	/* another boot: start over, silently */
	TD_HIST_OTHER_NS,	/* another network namespace: start over */
	TD_HIST_UNVERIFIED,	/* one side lacks the namespace cookie: start over */
	TD_HIST_BACKWARDS,	/* a counter went backwards: restarted; start over */
	TD_HIST_NEWER,		/* its sample is newer than this run's: keep it */
};

/*
 * Compare the loaded state prev with this run's snapshot.  Returns the
 * verdict; when it is worth a warning, why (len bytes) says what happened
 * in one line, else why is "".
 */
enum td_hist_verdict history_compare(const struct td_history *prev, const struct td_snapshot *snap,
		    int64_t min_window_ns, char *why, size_t len);
/* True when the verdict lets the run use prev (ages, growth). */
bool	history_usable(enum td_hist_verdict v);
/* True when the run's state must replace the file (never an older sample). */
bool	history_replaces(enum td_hist_verdict v);
/*
 * Remember a socket cookie first seen at first_ns.  Returns false when the
 * table is full (TD_HISTORY_COOKIES): the socket is counted in h->untracked.
 */
bool	history_add_cookie(struct td_history *h, uint64_t cookie, int64_t first_ns);
/* Count a socket a caller chose not to remember (its own bound). */
void	history_untracked(struct td_history *h);
/* Sort the cookies for lookups (history_load() does it). */
void	history_sort(struct td_history *h);
/* When the socket with this cookie was first seen, or -1 (sorted cookies). */
int64_t	history_first_seen(const struct td_history *h, uint64_t cookie);
/*
 * An analyzer's tracked socket: when it was first seen (prev, may be NULL;
 * -1 if not in it), and it is remembered in next (may be NULL) from then,
 * or from now when new; while the analyzer's own count *tracked is below
 * max and next has room (*tracked grows), else *untracked grows.
 */
int64_t	history_track(const struct td_history *prev, struct td_history *next, uint64_t cookie,
	    int64_t now, uint64_t max, uint64_t *tracked, uint64_t *untracked);
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
