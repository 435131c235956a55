/* SPDX-License-Identifier: MIT */
/*
 * Text of outside origin made safe for a terminal.  Process names and
 * command lines, cgroup paths, snapshot strings, configuration and audit
 * file text and tracefs lines are written by whoever controls them; raw,
 * an escape sequence in them reaches root's terminal (retitle it, rewrite
 * what is on screen, on some terminals answer back into the input).
 *
 * The rule, the same everywhere: C0 control bytes (except tab and newline
 * where the output is multi-line), DEL, the C1 controls U+0080..U+009F and
 * every byte that is not part of valid UTF-8 (RFC 3629 section 4: no
 * overlong forms, no surrogates, nothing above U+10FFFF) are written as
 * \xHH, visibly.  Valid UTF-8 text passes unchanged, so names in any
 * script stay intact.  JSON needs none of this: jansson escapes control
 * characters itself and refuses invalid UTF-8.
 */
#ifndef TD_CMD_TERMSAFE_H
#define TD_CMD_TERMSAFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Bytes of an escaped text for len input bytes, at most (4 per byte). */
#define TERMSAFE_MAX(len)	(4 * (len) + 1)

/*
 * Escape the len bytes at s into out (at least TERMSAFE_MAX(len) bytes),
 * NUL-terminated; tab and newline pass when keep_tab_nl.  An incomplete
 * UTF-8 sequence at the end is escaped as invalid.  Returns the length
 * written.
 */
size_t	termsafe_escape(const char *s, size_t len, bool keep_tab_nl, char *out);

/* True when s (NUL-terminated) needs no escaping. */
bool	termsafe_clean(const char *s);

/*
 * A stream that writes to fp what is written to it, escaped (tab and
 * newline pass), for the table and Nagios outputs on stdout.  It buffers
 * 64 KiB; each time its buffer is flushed (full, fflush, fclose) the text
 * goes to fp and fp is flushed, so fflush on the stream reaches the
 * reader.  A UTF-8 sequence cut by a flush is held until it completes
 * (fclose escapes what is left).  Text written to fp directly while the
 * stream holds some would come first: write to one of them.  A failed
 * write to fp fails the stream's flush with fp's errno (ferror is set),
 * and every later flush with the same errno; that errno is also stored in
 * *first_errno (when not NULL; 0 until then), so that the caller can tell
 * a failure during the run from one at the final fclose.  Returns NULL
 * with errno set on failure.
 */
FILE	*termsafe_open(FILE *fp, int *first_errno);

#endif /* TD_CMD_TERMSAFE_H */
