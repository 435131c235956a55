/* SPDX-License-Identifier: MIT */
/*
 * The console of `watch` on a terminal: a full screen drawn with ncurses
 * from the data model of cmd/watch.h, redrawn every sample, with keys.  It
 * only reads the model; watch.c samples.  The terminal is restored by
 * console_close(), which watch calls on every way out, and by an atexit()
 * handler for any other exit.
 */
#ifndef TD_CMD_CONSOLE_H
#define TD_CMD_CONSOLE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cmd/watch.h"

struct td_ctx;
struct td_err;

enum console_next {
	CONSOLE_SAMPLE = 0,	/* time for the next sample */
	CONSOLE_QUIT,		/* q, or a signal that stops watch */
	CONSOLE_VIEW,		/* -A: n or N picked another namespace (console_view()) */
	CONSOLE_SEEK,		/* playback: a key asked for another sample (console_seek()) */
};

/*
 * Playback (watch --from RECORDING): which sample of how many the model
 * holds, and when it was taken; the console names it in its status line
 * and turns the step, jump and speed keys into CONSOLE_SEEK.
 */
struct watch_play {
	const char	*path;		/* the recording */
	uint64_t	 index, count;	/* the sample shown, from 1, of count */
	int64_t		 time_ns;	/* when it was taken */
	double		 speed;		/* times the recorded pace (+ and - change it) */
};

/* Playback: the sample the last CONSOLE_SEEK asked for (1 .. count). */
uint64_t console_seek(void);

/* -A: the namespace the console shows, an index the caller takes modulo the count. */
size_t	console_view(void);

/* Whether watch shows the console: standard output is a terminal and no format was asked for. */
bool	console_wanted(const struct td_ctx *ctx);
/* Take over the terminal.  Returns 0, or -1 with *err set (no terminal, too small). */
int	console_open(struct td_err *err);
/* Draw the model. */
void	console_draw(const struct watch *w);
/*
 * Handle keys until deadline (CLOCK_MONOTONIC ns): CONSOLE_SAMPLE when it
 * has passed (never while paused), CONSOLE_QUIT on q or when *stop is set.
 */
enum console_next console_wait(const struct watch *w, int64_t deadline, volatile sig_atomic_t *stop);
/* Give the terminal back as it was (idempotent). */
void	console_close(void);

#endif /* TD_CMD_CONSOLE_H */
