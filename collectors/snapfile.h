/* SPDX-License-Identifier: MIT */
/*
 * The snapshot file: one JSON document holding the snapshot header
 * (schema, command, time, host, netns, kernel, meta, counters, sysctls)
 * and then every socket in a "sockets" array, the last member.
 *
 * Saving streams: the header is written first, then each socket as it
 * comes from the walk (one json_t at a time), never one array holding every
 * socket.  Loading streams too: the top-level object is scanned member by
 * member, the "sockets" array element by element, and each element is
 * converted back into a struct td_sock and handed to the callback.
 *
 * The per-record converters are exported so that every JSON output of the
 * tool (ls -j, ndjson, snapshot) uses the same field names; the format is
 * documented in man/tcpdoctor-json.7.  Conventions:
 *   - a counter this kernel lacks is written as null (never omitted, never 0);
 *   - a sysctl that could not be read is null; ip_local_port_range is
 *     [low, high]; ip_local_reserved_ports is its text ("" when empty);
 *   - unsigned 64-bit values above INT64_MAX (tcpi max_pacing_rate is ~0
 *     when unlimited) are written as 9223372036854775807;
 *   - tcp_info, skmem and owner appear only when the record has them.
 */
#ifndef TD_COLLECTORS_SNAPFILE_H
#define TD_COLLECTORS_SNAPFILE_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

#include "collectors/snapshot.h"
#include "core/jsonw.h"
#include "core/zout.h"
#include "core/record.h"

/* ---- Records to JSON (new references; NULL only when out of memory) ---- */

/*
 * A socket, described once (core/record.h): the file format, ls -j and
 * NDJSON all render it from this table.  Fields in group
 * SNAPFILE_SOCK_INFO (cong, tcp_info, skmem) are what ls prints only
 * with -i, those in SNAPFILE_SOCK_CGROUP only with -c or -p.
 */
#define SNAPFILE_SOCK_INFO	1u
#define SNAPFILE_SOCK_CGROUP	2u	/* cgroup_id, cgroup, container: ls only with -c or -p */
/*
 * Not a group: in snapfile_sock_members(), a timewait or request socket
 * leaves out the members its kind never has (the kernel reports them as
 * constant 0 and sends no attribute for them: tcp_twsk_diag_fill and
 * tcp_req_diag_fill, net/ipv4/tcp_diag.c): rqueue, wqueue, uid, inode,
 * shutdown, tos, tclass, v6only, and a timewait one timer.retrans.  The
 * snapshot file writes them so (format 2); a reader takes them as 0.
 */
#define SNAPFILE_SOCK_MINI	4u
extern const struct record_desc snapfile_sock_desc;

json_t	*snapfile_sock_json(const struct td_sock *sk);
/*
 * The socket's members into w's open object, but the groups in skip: what
 * jw_rec_members(w, &snapfile_sock_desc, sk, skip) writes, faster.
 */
void	snapfile_sock_members(struct jw *w, const struct td_sock *sk, unsigned int skip);
/* schema, command, time (RFC 3339, UTC), host, netns, kernel, meta{...}. */
json_t	*snapfile_header_json(const struct td_snapshot *snap, const char *command);

/*
 * The head of every JSON document and NDJSON line, described once
 * (core/record.h): schema, command, type (a line's, when given), version
 * (a recording's, when given), time (RFC 3339, UTC), host, then the
 * members asked for: netns, kernel, meta{time_ns, mono_ns, netns_ino,
 * boot_id, source, version}.  Render it with snapfile_line_head() (a
 * json_t) or jw_rec_members() (a document streamed).
 */
enum {
	SNAPFILE_HEAD_NETNS	= 1 << 0,
	SNAPFILE_HEAD_KERNEL	= 1 << 1,
	SNAPFILE_HEAD_META	= 1 << 2,
	SNAPFILE_HEAD_USEC	= 1 << 3,	/* time to the microsecond (events, trace) */
	SNAPFILE_HEAD_NSEC	= 1 << 4,	/* time to the nanosecond (recordings) */
	SNAPFILE_HEAD_NO_HOST	= 1 << 5,	/* no host (watch's recording lines) */
	SNAPFILE_HEAD_OWN_TIME	= 1 << 6,	/* time is time_ns, not meta->time_ns */
};
#define SNAPFILE_HEAD_ALL	(SNAPFILE_HEAD_NETNS | SNAPFILE_HEAD_KERNEL | SNAPFILE_HEAD_META)

struct snapfile_head {
	const struct td_meta	*meta;		/* host, netns, kernel, meta; NULL: none */
	const char		*command;
	unsigned int		 members;	/* SNAPFILE_HEAD_* */
	const char		*type;		/* "type" of a line; NULL: left out */
	int64_t			 time_ns;	/* a line's own time (SNAPFILE_HEAD_OWN_TIME) */
	int			 version;	/* "version" of a recording; 0: left out */
};

extern const struct record_desc snapfile_head_desc;
/*
 * The head an NDJSON line of events, trace and watch (and their
 * recordings) starts with, as a new object to add the line's members to;
 * NULL when out of memory.
 */
json_t	*snapfile_line_head(const struct snapfile_head *h);
json_t	*snapfile_counters_json(const struct td_counters *ctr);
/*
 * The whole header of a snapshot document: snapfile_header_json() plus
 * counters, sysctls and, when some could not be read, sysctls_unreadable;
 * what snapfile_header_from_json() reads back.  NULL when out of memory.
 */
json_t	*snapfile_header_doc(const struct td_snapshot *snap, const char *command);
json_t	*snapfile_sysctls_json(const struct td_sysctls *sys);

/* ---- JSON to records ---- */

/*
 * Convert one socket object back.  Returns 0, or -1 with *err set (code
 * EBADMSG) naming the first field that is missing or wrong; the message
 * does not name the file (the loader adds it).
 */
int	snapfile_sock_from_json(const json_t *o, struct td_sock *sk, struct td_err *err);
/* The header members of a whole document object (sockets are ignored). */
int	snapfile_header_from_json(const json_t *o, struct td_snapshot *snap,
	    struct td_err *err);

/* ---- Saving ---- */

struct snapfile_writer {
	FILE		*fp;
	size_t		 nsocks;
	struct jw	 jw;	/* streams the document: no allocation per socket */
	/* A snapshot file (snapfile_begin_file): */
	bool		 file;		/* format 2: compressed, through z */
	bool		 table;		/* owners go to the "owners" table */
	bool		 in_sockets;	/* the "sockets" array is open */
	bool		 in_owners;	/* the "owners" array is open */
	uint64_t	*held;		/* table: inode << 8 | state of each socket with an inode */
	size_t		 nheld, capheld;
	struct zout	 z;
};

/*
 * Write the header of a snapshot document for command ("snapshot") to fp
 * and open the "sockets" array.  Then pass snapfile_put_sock (a td_sock_fn)
 * with the writer as arg to source_walk, and finish with snapfile_end.
 * Each returns 0, or -1 with *err set (EIO when writing fails).
 */
int	snapfile_begin(struct snapfile_writer *w, FILE *fp, const struct td_snapshot *snap,
	    const char *command, struct td_err *err);
int	snapfile_put_sock(const struct td_sock *sk, void *writer, struct td_err *err);
int	snapfile_end(struct snapfile_writer *w, struct td_err *err);

/*
 * The snapshot file that `snapshot -o` writes (format 2, man/tcpdoctor-json.7):
 * a zstd skippable frame (RFC 8878, 3.1.2) of magic SNAPFILE_MAGIC holding
 * the text SNAPFILE_TAG, then one zstd frame (with its checksum) holding
 * the JSON document.  The document is a snapshot as above, but for two
 * things.  The sockets come in the order one kernel walk of both families
 * gave them; a reader hands out IPv4 first, then IPv6, as the live
 * commands list them.  And with SNAPFILE_OWNERS_TABLE their owners are
 * not members of each socket: after "sockets", an "owners" array holds,
 * in increasing inode order, one object per socket that has owner members
 * (the inode, then "owner", "owners", "owners_more", "owner_unseen" as a
 * socket carries them), so that the /proc scan that finds them can run
 * while the sockets are written.  A reader joins them by inode.
 */
#define SNAPFILE_MAGIC		0x184D2A5Du	/* a skippable frame's (0x184D2A5?) */
#define SNAPFILE_TAG		"tcpdoctor snapshot 2\n"
#define SNAPFILE_VERSION	2
#define SNAPFILE_ZLEVEL		(-2)		/* 25 ms for 36 MB here, level 1 30 ms */
enum {
	SNAPFILE_OWNERS_TABLE	= 1u << 0,	/* owners in the table (snapfile_put_owner) */
	SNAPFILE_THREADED	= 1u << 1,	/* a thread of the writer's own compresses */
};
/*
 * Start a snapshot file on fp: the tag frame, then the compressed header
 * and the open "sockets" array.  Sockets go through snapfile_put_sock;
 * with SNAPFILE_OWNERS_TABLE they must carry no owner, and the writer
 * keeps the inode and state of each that has an inode.  Then
 * snapfile_held() lists those, snapfile_put_owner() writes the table and
 * snapfile_end() ends the document and the frame (or snapfile_abort()).
 */
int	snapfile_begin_file(struct snapfile_writer *w, FILE *fp, const struct td_snapshot *snap,
	    const char *command, unsigned int flags, struct td_err *err);
/*
 * The kept sockets, each inode << 8 | state, sorted by inode and each
 * inode once (a socket the kernel reported twice is one); closes the
 * "sockets" array and opens "owners".  The list stays the writer's.
 */
size_t	snapfile_held(struct snapfile_writer *w, const uint64_t **list);
/* One owners entry: sk's inode and owner members (nothing when it has none). */
int	snapfile_put_owner(struct snapfile_writer *w, const struct td_sock *sk,
	    struct td_err *err);
/* Stop a file (or a document) without ending it; the output is to be thrown away. */
void	snapfile_abort(struct snapfile_writer *w);

/* ---- Loading ---- */

struct snapfile_reader;

/*
 * Open path and read its header into *snap (meta.source becomes "file").
 * Returns a reader, or NULL with *err set: ENOENT (and other errno values)
 * when the file cannot be opened, EBADMSG when it is not a tcpdoctor/1
 * snapshot, with the message naming the file and the line and column:
 * "--from 'x.json': line 3, column 7: expected object".
 */
struct snapfile_reader *snapfile_open(const char *path, struct td_snapshot *snap,
	    struct td_err *err);
/*
 * Call fn for each saved socket whose state is in states (TD_STATE_BIT
 * mask, 0 = all; NEW_SYN_RECV matches request sockets, as in the kernel)
 * and whose family is family (0 = both), in file order.  Can be called
 * again to walk again.  Returns 0, or -1 with *err set (malformed or
 * truncated file, or fn returning -1).
 */
int	snapfile_walk(struct snapfile_reader *r, unsigned int states, int family,
	    td_sock_fn fn, void *arg, struct td_err *err);
void	snapfile_close(struct snapfile_reader *r);

#endif /* TD_COLLECTORS_SNAPFILE_H */
