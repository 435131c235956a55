/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer: it prints a document as the caller walks it,
 * with no allocation (nesting is a fixed stack, output goes through a
 * fixed buffer), so a million sockets cost a million small writes and no
 * malloc.  It prints byte for byte what jansson's json_dumpf() prints for
 * the same document with JSON_PRESERVE_ORDER and JSON_COMPACT or
 * JSON_INDENT(2) (separators, indentation, escapes, number formats; see
 * the notes in jsonw.c), so a command's output does not change when it
 * moves from jansson to the writer.  tests/unit/core/jsonw_test.c holds
 * it to that.
 *
 * Each container has a style, taken when it is opened from the writer's
 * current style (jw_style()):
 *   JW_COMPACT  {"a":1,"b":[1,2]}                  (JSON_COMPACT)
 *   JW_INDENT2  one member a line, two spaces a level, "key": value
 *                                                  (JSON_INDENT(2))
 *   JW_LINES    compact, but a newline after the opening bracket and
 *               each element on its own line: "[\n{...},\n{...}\n]", "[\n]"
 *               (the "sockets" array of `ls -j`)
 *
 * Errors stick: the first failed write (or misuse: too deep, a key where
 * none belongs, an unbalanced jw_end) is kept in err and everything after
 * it is skipped; jw_flush() reports it.  Records described by
 * core/record.h are written with jw_rec().
 *
 * Example (an event log, as `sim -j` prints one):
 *
 *	struct jw w;
 *
 *	jw_init(&w, stdout, JW_INDENT2);
 *	jw_obj(&w, NULL);
 *	jw_str(&w, "schema", TD_SCHEMA);
 *	jw_str(&w, "command", "sim");
 *	jw_arr(&w, "events");
 *	for (i = 0; i < n; i++) {
 *		jw_obj(&w, NULL);
 *		jw_real(&w, "t", ev[i].t);
 *		jw_str(&w, "event", ev[i].name);
 *		jw_end(&w);
 *	}
 *	jw_end(&w);			(the array)
 *	jw_end(&w);			(the document)
 *	jw_raw(&w, "\n", 1);
 *	if (jw_flush(&w) < 0)
 *		return td_errf(err, errno, "writing output: %s", strerror(errno));
 */
#ifndef TD_CORE_JSONW_H
#define TD_CORE_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/record.h"

#define JW_DEPTH_MAX	16
#define JW_BUF		16384

enum jw_style {
	JW_COMPACT = 0,
	JW_LINES,
	JW_INDENT2,
};

struct jw {
	FILE		*fp;
	int		 err;		/* errno of the first failure, 0 if none */
	unsigned int	 depth;		/* open containers */
	enum jw_style	 style;		/* for containers opened next */
	struct {
		uint8_t	 style;		/* enum jw_style */
		bool	 any;		/* a member or element was written */
		bool	 obj;		/* an object (members have keys) */
	} lvl[JW_DEPTH_MAX];
	size_t		 n;		/* bytes in buf */
	char		 buf[JW_BUF];
};

/* Start a writer on fp; containers opened first get style. */
void	jw_init(struct jw *w, FILE *fp, enum jw_style style);
/* The style of the containers opened from now on. */
void	jw_style(struct jw *w, enum jw_style style);
/*
 * Values.  key is the member name inside an object, NULL inside an array
 * or for the top-level value.
 */
void	jw_obj(struct jw *w, const char *key);
void	jw_arr(struct jw *w, const char *key);
void	jw_end(struct jw *w);		/* closes the innermost container */
void	jw_str(struct jw *w, const char *key, const char *s);
void	jw_strn(struct jw *w, const char *key, const char *s, size_t n);
void	jw_int(struct jw *w, const char *key, int64_t v);
void	jw_uint(struct jw *w, const char *key, uint64_t v);	/* above INT64_MAX: INT64_MAX */
void	jw_real(struct jw *w, const char *key, double v);	/* not finite: null */
void	jw_bool(struct jw *w, const char *key, bool v);
void	jw_null(struct jw *w, const char *key);
/*
 * A described record as an object (jw_rec), or its members into the open
 * object but those of the groups in skip (jw_rec_members).
 */
void	jw_rec(struct jw *w, const char *key, const struct record_desc *d, const void *rec);
void	jw_rec_members(struct jw *w, const struct record_desc *d, const void *rec,
	    unsigned int skip);
/*
 * Open an object whose first members are already JSON text, written by a
 * writer of the same style without the braces (NDJSON repeats the
 * document head on every line: it is encoded once).
 */
void	jw_obj_text(struct jw *w, const char *key, const char *members, size_t n);
/* A jansson value, for the parts of a document still built as json_t. */
void	jw_json(struct jw *w, const char *key, const json_t *v);
/* One value of a record field (what jw_rec writes for each member). */
void	jw_val(struct jw *w, const char *key, const struct record_val *v);
/* Bytes as they are, for framing outside JSON (a newline after a document). */
void	jw_raw(struct jw *w, const char *s, size_t n);
/*
 * Members written straight into the buffer by a writer that knows its keys
 * at compile time (the socket record: snapfile_sock_members()).
 * jw_room() makes room for n bytes (n at most JW_BUF / 2), flushing what
 * is buffered, and returns where they go; NULL when the writer is in error
 * or the innermost container is not a JW_COMPACT object (then write the
 * members the ordinary way).  *sep is true when the first member must
 * start with ','.  The caller writes at most n bytes, compact members
 * only, and hands the end to jw_room_done().
 */
char	*jw_room(struct jw *w, size_t n, bool *sep);
void	 jw_room_done(struct jw *w, char *end);
/* The decimal digits of v at o (at most 20 bytes); returns their end. */
char	*jw_fmt_u64(char *o, uint64_t v);
/* v as jw_int writes it, at o (at most 20 bytes); returns the end. */
char	*jw_fmt_i64(char *o, int64_t v);
/*
 * Write out what is buffered.  Returns 0, or -1 with errno set to the
 * first failure (EINVAL for misuse, the write's errno otherwise).
 */
int	jw_flush(struct jw *w);

#endif /* TD_CORE_JSONW_H */
