/* SPDX-License-Identifier: MIT */
/*
 * Exit statuses, one list (man/tcpdoctor.8, EXIT STATUS).  `check` uses the
 * Nagios values; every other command uses 0 or a sysexits(3) value.
 */
#ifndef TD_CMD_EXIT_H
#define TD_CMD_EXIT_H

enum td_exit {
	TD_EXIT_OK = 0,
	TD_EXIT_WARNING = 1,		/* check: a warning finding */
	TD_EXIT_CRITICAL = 2,		/* check: a critical finding */
	TD_EXIT_UNKNOWN = 3,		/* check: could not collect, bad config */
	TD_EXIT_AUDIT_HARMFUL = 1,	/* tune --audit: a line is harmful or obsolete */
	TD_EXIT_AUDIT_INVALID = 2,	/* tune --audit: a line is invalid */
	TD_EXIT_DIFFERS = 1,		/* sim --against-kernel: kernel or model differs */
	TD_EXIT_EXPECT_FAILED = 1,	/* sim -f: an expectation of the script failed */
	TD_EXIT_USAGE = 64,		/* EX_USAGE: bad flag, filter, state name */
	TD_EXIT_DATAERR = 65,		/* EX_DATAERR: malformed snapshot, script, config */
	TD_EXIT_NOINPUT = 66,		/* EX_NOINPUT: input file missing or unreadable */
	TD_EXIT_UNAVAILABLE = 69,	/* EX_UNAVAILABLE: netns, tracefs, kernel support */
	TD_EXIT_SOFTWARE = 70,		/* EX_SOFTWARE: internal error */
	TD_EXIT_OSERR = 71,		/* EX_OSERR: a system call failed */
	TD_EXIT_CANTCREAT = 73,		/* EX_CANTCREAT: cannot write the output file */
	TD_EXIT_NOPERM = 77,		/* EX_NOPERM: needs privileges */
};

#endif /* TD_CMD_EXIT_H */
