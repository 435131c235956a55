/* SPDX-License-Identifier: MIT */
/*
 * Internal to the conformance runner (lab/runner.c): the interface between
 * the scenario interpreter and the stack that plays the "kernel" side.  Two
 * backends implement it: the running kernel over TUN (lab/kernel.c) and the
 * model through tm_step() (lab/model.c).  The interpreter owns the
 * expectations and the record, so both runs are judged by one piece of code.
 */
#ifndef TD_LAB_BACKEND_H
#define TD_LAB_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lab/lab.h"
#include "lab/runner.h"
#include "tcp/segment.h"

struct td_err;

#define KPEER_ISN	1000u
#define KMS		1000000ull

struct kconn {
	int		fd;		/* kernel: socket, -1 if none */
	uint32_t	sock;		/* model: socket id, 0 if none */
	bool		kisn_known;
	uint32_t	kisn;
	uint64_t	kisn_t;		/* when the SYN with kisn was read */
	uint32_t	prev_isn;	/* the ISN before kisn, and when */
	uint64_t	prev_isn_t;
	uint16_t	kport, pport;
	uint32_t	ts_recent;	/* last TSval from the stack */
};

/* A sock_diag view of one connection. */
struct kss {
	bool		found;
	char		state[16];	/* "ESTABLISHED", "TIME_WAIT", ... */
	bool		has_timer;
	uint32_t	timer_ms;
};

struct krunner;

struct kback_ops {
	/* Time now, ns (monotonic or simulated). */
	uint64_t (*now)(struct krunner *r);
	/* Deliver a segment from the peer. */
	int	(*send)(struct krunner *r, const struct tm_seg *s, struct td_err *err);
	/*
	 * The stack's next segment on one of the runner's connections, waiting
	 * (or simulating) until deadline: 1 with *s and *ts, 0 at the deadline,
	 * -1 on a harness error.
	 */
	int	(*recv)(struct krunner *r, uint64_t deadline, struct tm_seg *s, uint64_t *ts,
		    struct td_err *err);
	/*
	 * An application step (listen, connect, accept, send, shutdown, close,
	 * sockopt, SO_ERROR).  *res: accept: the connection index accepted, or
	 * -errno; SO_ERROR: its value; others: 0 or -errno.  Returns -1 only on
	 * a harness error.
	 */
	int	(*app)(struct krunner *r, const struct lab_step *st, long *res, struct td_err *err);
	/* What sock_diag shows for connection c. */
	int	(*ss)(struct krunner *r, int c, struct kss *out, struct td_err *err);
	/*
	 * How much the counter with this nstat name ("TcpExtSyncookiesSent")
	 * rose since the run began; *known false when the stack does not
	 * count it.
	 */
	int	(*counter)(struct krunner *r, const char *name, uint64_t *v, bool *known,
		    struct td_err *err);
	/* The trace events so far, in time order. */
	int	(*trace)(struct krunner *r, struct lab_ev *ev, size_t cap, struct td_err *err);
};

struct krunner {
	const struct kback_ops	*ops;
	void			*be;		/* backend state */
	struct lab_run		*run;
	const struct lab_scen	*scen;
	struct kconn		 conn[LAB_CONN_MAX];
	struct tm_addr		 kaddr, paddr;
	uint64_t		 t0, tprev;
	uint64_t		 tlate;		/* how late the segment at tprev was seen */
	uint64_t		 seg_timer;	/* set by recv: timer length behind the segment */
	int			 step;		/* index of the step being played */
	bool			 model;		/* the trace has no reset events */
};

/* Set up conn[] ports and addresses from run; then krunner_run(). */
void	krunner_init(struct krunner *r, struct lab_run *run, const struct lab_scen *scen,
	    const struct tm_addr *kaddr, const struct tm_addr *paddr);
int	krunner_run(struct krunner *r, struct td_err *err);

/* A compiled script's run instead of the steps (lab/script.c). */
int	krunner_run_script(struct krunner *r, struct td_err *err);
/* The time windows of runner.c: max(20 ms, 5 % of dt), and the timer wheel's late slack. */
uint64_t krunner_tolerance(uint64_t dt);
uint64_t krunner_wheel_slack(uint64_t dt);

/* Connection index of a segment sent by the stack, -1 if none. */
int	krunner_conn_of(const struct krunner *r, const struct tm_seg *s);

/* Record the first failure of the run (always returns 1). */
int	krunner_fail(struct krunner *r, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif /* TD_LAB_BACKEND_H */
