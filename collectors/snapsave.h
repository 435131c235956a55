/* SPDX-License-Identifier: MIT */
/*
 * The snapshot file of the running kernel (`snapshot -o FILE`), written
 * as fast as the host allows: the /proc scan for the sockets' owners
 * (procs_collect) runs in a second thread while one sock_diag walk of
 * both families streams every socket into the file (format 2,
 * collectors/snapfile.h), and the two threads share the formatting and
 * the compression.  The owners, known only when the scan is in, go into
 * the file's owners table, joined by inode when the file is read.  What
 * is saved is what `snapshot` prints with owners looked up for every
 * socket: the same sockets, owners and owner_unseen reasons
 * (tests/integration/020-snapshot-replay.sh compares the file read back
 * with the live document, written by two threads and by one).
 */
#ifndef TD_COLLECTORS_SNAPSAVE_H
#define TD_COLLECTORS_SNAPSAVE_H

#include <stdio.h>

#include "collectors/snapshot.h"
#include "collectors/source.h"

/*
 * Write the snapshot file of the live source src (its header already
 * read into *snap; want_info and want_cgroup as the caller set them; its
 * want_owner and any_order are set here) to fp.  seen, when not NULL, is
 * called once for each socket the owners were looked up for, with its
 * state and owner_status set (cmd/unseen.c counts them).  Fills
 * src->procs, owners_hidden and owner_bytes as source_walk does.  Where
 * this process may run on one CPU only, or TD_OWNERS_SEQUENTIAL=1 is in
 * the environment, the scan comes first and nothing runs beside the walk
 * (the same file).  Returns 0, or -1 with *err set (the file is then to
 * be thrown away).
 */
int	snapsave_live(struct td_source *src, const struct td_snapshot *snap, FILE *fp,
	    void (*seen)(const struct td_sock *sk, void *arg), void *arg, struct td_err *err);

#endif /* TD_COLLECTORS_SNAPSAVE_H */
