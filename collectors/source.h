/* SPDX-License-Identifier: MIT */
/*
 * Where a snapshot comes from: the running kernel (sock_diag, procfs) or a
 * saved snapshot file.  Both yield the same header and the same socket
 * stream, so every command and analyzer runs unchanged on either.
 *
 * Usage:
 *	struct td_source src = { .proc_root = "/proc", .states = TD_STATES_ALL };
 *	if (source_header(&src, &snap, &err) < 0 ||
 *	    source_walk(&src, fn, arg, &err) < 0)
 *		... err.msg ...
 *	source_close(&src);
 */
#ifndef TD_COLLECTORS_SOURCE_H
#define TD_COLLECTORS_SOURCE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>

#include "collectors/procs.h"
#include "collectors/snapshot.h"

struct rec_pick;
struct rec_sample;

struct td_source {
	/* Set by the caller. */
	const char	*proc_root;	/* "/proc"; a fixture directory in tests */
	const char	*from;		/* saved snapshot file, NULL for the kernel */
	const char	*netns_label;	/* recorded in meta.netns ("" if none) */
	unsigned int	 states;	/* state mask (TD_STATE_BIT), applied in the kernel */
	int		 family;	/* 0 for both, AF_INET or AF_INET6 */
	bool		 want_owner;	/* resolve inode -> pid/comm (procs.c) */
	unsigned int	 owner_states;	/* with want_owner: only for these states
					 * (TD_STATE_BIT mask); 0 = every state */
	size_t		 owner_collect;	/* with want_owner: held sockets the one /proc
					 * scan keeps before it falls back to a dump
					 * for the wanted inodes (0: PROCS_COLLECT_INODES) */
	unsigned int	 owner_threads;	/* with want_owner: threads of the /proc scan
					 * (procs_scan_threads; 0: one per CPU) */
	bool		 want_info;	/* ask for tcp_info, skmeminfo, congestion */
	uint8_t		 want_ext;	/* with want_info: only these SOCKDIAG_EXT()
					 * attributes (0: all of them) */
	bool		 want_cgroup;	/* cgroup id -> path and container (cgroup.c) */
	/*
	 * With want_owner: called at the end of a walk that went well, with
	 * its owner map before it is freed and what the scan saw; all: the
	 * map holds every socket some process holds (a complete
	 * procs_collect), else only those of owner_states.  NULL: none.
	 */
	size_t		 owner_hint;	/* with want_owner: the sockets some process
					 * holds, as far as known (a previous walk's
					 * owner_inodes): the owner map is sized for
					 * them at once; 0: grown as they come */
	void		(*owner_map)(void *arg, const struct procs_map *m, bool all,
			    const struct procs_stats *st);
	void		*owner_map_arg;
	const atomic_bool *rx_hold;	/* while true, the dump's replies are read by
					 * the caller's thread (sockdiag_req.rx_hold):
					 * another thread of the caller's is busy */
	const atomic_bool *cancel;	/* with want_owner: set meanwhile by another
					 * thread, the /proc scan stops (ECANCELED) */
	bool		 any_order;	/* sockets may come in any order (not AF_INET
					 * first): both families in one kernel walk */
	const struct rec_sample *sample; /* a recorded sample to answer for (check
					 * replaying a recording), else NULL */
	const char	*at;		/* with from a watch recording: --at TIME
					 * (recsample.h), NULL for its last sample */

	/* Set by source_walk, for the caller to report. */
	size_t		 owners_hidden;	/* with want_owner: processes whose fds could
					 * not be read (not root); their sockets
					 * have no owner (= procs.unreadable) */
	struct procs_stats procs;	/* with want_owner: what the owner scan saw */
	size_t		 owner_bytes;	/* with want_owner: memory of the owner map */
	size_t		 owner_inodes;	/* with want_owner: the inodes it kept */
	const struct rec_pick *rec;	/* from a recording: the sample used (its
					 * time, number, the time asked), else NULL */

	/* Private to the collectors. */
	FILE		*fp;		/* open snapshot file */
	void		*priv;
	bool		 priv_rec;	/* priv is a struct rec_pick */
};


/*
 * Fill *snap with the header: meta, counters and sysctls.  For a live
 * source this reads procfs; for a file it parses the file's header.
 * Returns 0, or -1 with *err set.
 */
int	source_header(struct td_source *src, struct td_snapshot *snap, struct td_err *err);

/*
 * Call fn once per socket matching src->states and src->family.  Live:
 * one sock_diag dump per family; file: the saved sockets in order.  Stops
 * and returns -1 when fn does; returns 0 at the end, or -1 with *err set.
 */
int	source_walk(struct td_source *src, td_sock_fn fn, void *arg, struct td_err *err);

/*
 * Whether src->from is a recording (collectors/recording.h) rather than a
 * snapshot file.  A recording answers for one of its samples: src->at.
 */
bool	source_is_recording(const struct td_source *src);

/* Release what the source holds; safe to call twice. */
void	source_close(struct td_source *src);

#endif /* TD_COLLECTORS_SOURCE_H */
