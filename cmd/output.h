/* SPDX-License-Identifier: MIT */
/*
 * Renderers for socket listings: a table for people, one JSON document, or
 * NDJSON (one socket per line).  Each renderer streams: begin() once,
 * sock() per socket, end() once; nothing buffers the whole listing.  The
 * JSON field names come from collectors/snapfile.c, so `ls -j` and a saved
 * snapshot describe a socket the same way.
 */
#ifndef TD_CMD_OUTPUT_H
#define TD_CMD_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "core/jsonw.h"
#include "collectors/snapshot.h"

/* Columns of the table renderer (ls -e, -i, -p, -H). */
struct out_opts {
	bool	extended;	/* -e: uid, inode, cookie, timer */
	bool	info;		/* -i: tcp_info */
	bool	owner;		/* -p: process */
	bool	cgroup;		/* -c: container or unit, and the cgroup path */
	bool	no_header;	/* -H */
	int	family;		/* 0, AF_INET or AF_INET6: address column width */
};

struct out {
	FILE			*fp;
	const struct out_opts	*opts;
	const struct td_snapshot *snap;
	const char		*command;
	uint64_t		 count;
	json_t			*tail;		/* json: members after "count" (set before end) */
	struct jw		*jw;		/* json, ndjson: the streaming writer */
	char			*line_head;	/* ndjson: "{" and the head every line repeats */
	size_t			 line_head_len;
};

struct sock_renderer {
	const char	*name;
	int		(*begin)(struct out *o);
	int		(*sock)(struct out *o, const struct td_sock *sk);
	int		(*end)(struct out *o);
};

/* The renderer for a format, or NULL when it cannot list sockets. */
const struct sock_renderer *output_sock_renderer(enum td_format fmt);
/* Free what begin() allocated; call once the listing is over, ended or not. */
void	output_free(struct out *o);

/* Dump one JSON value compactly followed by a newline; steals v. */
int	output_json_line(FILE *fp, json_t *v);
/*
 * The one JSON document head: open the document's object on w and write
 * schema, command, time, host, netns, kernel and meta from snap; the
 * caller writes its members and closes the object.
 */
void	output_json_head(struct jw *w, const struct td_snapshot *snap, const char *command);
/* A whole JSON document: head fields + members of body; steals body. */
int	output_json_doc(FILE *fp, const struct td_snapshot *snap, const char *command,
	    json_t *body);

/*
 * Word wrap, the one for every table: print text from column col, one
 * space between words; a word that would end past width (once the line is
 * past min_col) starts a new line with cont instead, and the text ends
 * with '\n'.  first_space: a space before the first word too.
 */
struct output_wrap {
	int		 width;
	int		 min_col;	/* never break while the line is at or before it */
	const char	*cont;		/* what a new line starts with: "    ", "#   " */
	bool		 first_space;
};
void	output_wrap(FILE *fp, const char *text, int col, const struct output_wrap *ow);

/*
 * The labelled fields of a record (core/record.h) as table lines,
 * "  LABEL       VALUE" (the label padded to 11 columns), in the
 * description's order: strings as they are, integers in decimal; a nested
 * record's lines in its place; arrays and maps as record.h's
 * RECORD_F_TABLE_* say (a heading and its items, or rows).
 */
struct record_desc;
void	output_rec_lines(FILE *fp, const struct record_desc *d, const void *rec);

/* "12.3s", "850ms", "2m05s": a compact duration for tables. */
char	*output_ms(uint32_t ms, char *buf, size_t len);

#endif /* TD_CMD_OUTPUT_H */
