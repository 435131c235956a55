/* SPDX-License-Identifier: MIT */
/*
 * Scripts against the kernel: a `tcpdoctor sim -f FILE` script (sim/sim.h)
 * compiled by cmd/ into a program of timed steps for the conformance runner
 * (lab/runner.c), which plays it over both backends (the kernel over TUN,
 * the model through tm_step) and judges every expectation of the script on
 * each: lab/script.c.  The script's one host is the stack under test; its
 * injected segments come from the scripted peer.
 *
 * Times are nominal times of the script, ns since the run began.  A step
 * plays when its time comes; the stack's segments in between are recorded,
 * not judged: the expectations are checked on the record afterwards, as
 * `sim -f` checks them on the model's event log.  On the model (simulated
 * time) an expectation's window is the script's tolerance; on the kernel it
 * is at least max(20 ms, 5 % of the time since the step it follows) early,
 * plus the timer wheel's slack late (as the conformance scenarios allow,
 * runner.h), counted from when that step really played.
 */
#ifndef TD_LAB_SCRIPT_H
#define TD_LAB_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lab/runner.h"
#include "tcp/segment.h"

#define LAB_X_HANDLES	32

enum lab_xop {
	LX_APP = 0,	/* st: a socket call (KS_LISTEN ... KS_SOCKOPT), on handle h */
	LX_INJECT,	/* seg on connection c */
	LX_SOERROR,	/* sample SO_ERROR of handle h for expectation exp */
	LX_COUNTER,	/* sample counter name for expectation exp */
};

struct lab_xstep {
	enum lab_xop	 op;
	unsigned int	 line;		/* script line */
	uint64_t	 at_ns;		/* nominal time */
	int		 h;		/* handle acted on (-1: none) */
	int		 bind;		/* handle the call names (listen, connect, accept as H) */
	int		 c;		/* connection (connect, inject) */
	struct lab_step	 st;		/* LX_APP: the call (st.c set when played) */
	struct tm_seg	 seg;		/* LX_INJECT: seq/ack relative unless abs */
	bool		 abs;
	int		 exp;		/* LX_SOERROR, LX_COUNTER: expectation index */
	const char	*name;		/* LX_COUNTER: nstat name */
	/*
	 * "at +D after": at_ns is ref_ns + after_ns, an estimate; it plays
	 * after_ns after the last segment the stack sent by ref_ns (on the
	 * kernel: by the end of ref_ns's late window), or at once if that
	 * has passed.
	 */
	bool		 after;
	uint64_t	 after_ns, ref_ns;
};

enum lab_xkind { LXE_SEG = 0, LXE_STATE, LXE_CALL, LXE_SOERROR, LXE_COUNTER, LXE_NOTHING };

/* Option bits of an expected segment, as sim/sim.h's TM_EXP_O_*. */
enum { LXO_MSS = 1, LXO_SACKOK = 2, LXO_TS = 4, LXO_WSCALE = 8, LXO_SACK = 16 };

struct lab_xexp {
	enum lab_xkind	 kind;
	unsigned int	 line;
	uint64_t	 at_ns, tol_ns;	/* NOTHING: at is the end */
	uint64_t	 from_ns;	/* NOTHING: the start */
	int		 h;		/* STATE, CALL, SOERROR: the handle */
	uint8_t		 flags;		/* SEG */
	bool		 has_seq, has_ack, has_len, has_win, has_opts, abs;
	uint8_t		 opts;
	int64_t		 seq, ack;
	uint32_t	 len, win;
	char		 state[16];	/* STATE: "ESTABLISHED" */
	enum lab_op	 call;		/* CALL: KS_CONNECT ... */
	int64_t		 ret;		/* CALL: the value when err is 0 */
	int		 err;		/* CALL, SOERROR: errno expected (0: a value) */
	const char	*counter;	/* COUNTER: nstat name */
	uint64_t	 value;
};

struct lab_xprog {
	const char		*file;		/* for messages: FILE:LINE */
	const char		*host;		/* the stack's name in the script */
	struct lab_xstep	*steps;
	size_t			 nsteps;
	struct lab_xexp		*exps;
	size_t			 nexps;
	/* Connections: the stack's port and the peer's. */
	uint16_t		 kport[LAB_CONN_MAX], pport[LAB_CONN_MAX];
	int			 nconns;
	uint16_t		 lport;		/* the listener's port, 0 if none */
	char			 hname[LAB_X_HANDLES][16];
	int			 hconn[LAB_X_HANDLES];	/* compile time: connect's c, else -1 */
	bool			 hlisten[LAB_X_HANDLES];	/* the handle is the listener */
	int			 nh;
	uint64_t		 end_ns;	/* play until then */
};

/* What a script run recorded, structured for the judge. */
enum lab_xrkind { LXR_OUT = 0, LXR_CALL, LXR_STATE, LXR_SAMPLE };

struct lab_xrec {
	enum lab_xrkind	 kind;
	uint64_t	 t_ns;		/* since the run began */
	int		 c;		/* connection, -1: the listener */
	int		 h;		/* CALL: the handle */
	/* OUT: the segment, numbers relative to each side's ISN and absolute */
	uint8_t		 flags, opts;
	int64_t		 seq, ack;
	uint32_t	 aseq, aack, len, wnd;
	/* CALL: op and result (-errno); SAMPLE: expectation index, value */
	enum lab_op	 call;
	long		 res;
	int		 exp;
	uint64_t	 value;
	bool		 known;
	char		 state[16], from[16];	/* STATE */
};

struct lab_xresult {
	bool	 met;
	char	 msg[512];	/* FILE:LINE: what was expected, what came */
};

/* The structured record and verdicts of one run (lab_run.x). */
struct lab_xrun {
	struct lab_xrec		*rec;
	size_t			 nrec, caprec;
	uint64_t		*step_t;	/* when each step played */
	int			 hconn[LAB_X_HANDLES];	/* handle -> connection at run time */
	bool			 closed[LAB_X_HANDLES];	/* the handle's socket was closed */
	struct lab_xresult	*res;		/* one per expectation, after the run */
	unsigned int		 failed;
	char			 harness[256];	/* a step the backend could not play */
};

/*
 * Judge every expectation of prog on a finished run (done by the runner at
 * its end); side names the run in messages ("kernel", "model").  Returns the
 * number that failed.
 */
unsigned int lab_xjudge(const struct lab_xprog *prog, struct lab_run *run, bool model);

/* The lowest and highest port of the program's connections and listener. */
void	lab_xports(const struct lab_xprog *prog, uint16_t *lo, uint16_t *hi);

/* Free a run's script record (lab_run_free calls it). */
void	lab_xrun_free(struct lab_run *run);

#endif /* TD_LAB_SCRIPT_H */
