/* SPDX-License-Identifier: MIT */
/*
 * One cache of /proc/slabinfo (mm/slab_common.c cache_show(), format 2.1):
 * what an object of a kernel type really costs.  `explain time-wait-cost`
 * reads "tw_sock_TCP" (struct tcp_timewait_sock), "request_sock_TCP" and
 * "TCP" (struct tcp_sock) with it.  /proc/slabinfo is mode 0400: read as
 * another user it fails with EACCES, which the caller reports; a cache
 * that SLUB merged into another one is absent, which is not an error.
 */
#ifndef TD_COLLECTORS_SLABINFO_H
#define TD_COLLECTORS_SLABINFO_H

#include <stdbool.h>
#include <stdint.h>

#include "collectors/snapshot.h"

struct td_slab {
	bool		found;		/* false: no such line (merged or not built) */
	uint64_t	active_objs;	/* objects in use */
	uint64_t	num_objs;	/* objects allocated in slabs */
	uint64_t	objsize;	/* bytes per object, as the allocator rounds it */
	uint64_t	objperslab;
	uint64_t	pagesperslab;
};

/*
 * Read PROC_ROOT/slabinfo and fill out[i] for each of the n cache names.
 * Returns 0 when the file was read (each out[i].found tells whether its
 * line was there), or -1 with *err set (err->code = errno, EACCES when not
 * root) when the file cannot be opened or its header is not version 2.x.
 */
int	slabinfo_read(const char *proc_root, const char *const names[], struct td_slab out[],
	    unsigned int n, struct td_err *err);

#endif
