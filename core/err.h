/* SPDX-License-Identifier: MIT */
/*
 * The error contract of every layer below cmd/: a function returns 0 (or a
 * value), or -1 with a caller-owned struct td_err filled in; it never
 * prints or exits.  cmd/ turns the error into a message and an exit status.
 * The first error set wins, as jansson's json_error_t: later td_errf calls
 * keep it, so the deepest, most specific cause is what the user reads.
 */
#ifndef TD_CORE_ERR_H
#define TD_CORE_ERR_H

/*
 * A caller-owned error: functions below cmd/ return 0, or -1 with this
 * filled in.  The first error set wins (later td_errf calls keep it).
 */
struct td_err {
	int	code;			/* errno value, 0 if none applies */
	char	msg[256];		/* one line, no '\n' */
};

/* Set *err (unless already set) and return -1, so: return td_errf(...); */
int	td_errf(struct td_err *err, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif /* TD_CORE_ERR_H */
