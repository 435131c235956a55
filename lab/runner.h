/* SPDX-License-Identifier: MIT */
/*
 * Conformance scenarios: a packetdrill-like list of steps (kernel socket
 * calls, segments the scripted peer sends, segments the kernel must send
 * and when, checkpoints), and the runner that plays them against the
 * running kernel in a lab.  The run is recorded (every segment both
 * ways with its time, the kernel's trace events) so that a second run,
 * through the model, can be compared with it.
 *
 * Segments are written as text, "FLAGS SEQ ACK LEN [OPTIONS]":
 *	"S. 0 1 0 mss,sackok,ws"	SYN-ACK, seq ISN+0, ack peer ISN+1
 *	"R 1 - 0"			RST, ack not checked
 * FLAGS as tcpdump prints them ("." is ACK); SEQ relative to the sender's
 * ISN, ACK relative to the receiver's ("-" in an expectation: any); LEN
 * payload bytes; OPTIONS a comma list of mss, ws, sackok, ts, sack ("-" or
 * absent: none).  In an expectation the options' presence must match, and a
 * sixth field "w>=N" asks for a window field of at least N (the value itself
 * is not compared with the model's, whose buffer sizing is not the
 * kernel's: it tells a window sent unscaled from one shifted by wscale), and
 * "w=N" for exactly N (where SO_RCVBUF fixes it).  A
 * kernel SYN's SEQ is relative to the ISN the kernel used before on that
 * connection (so a SYN-ACK after TIME_WAIT shows its ISN offset); then the
 * ISN becomes its seq.
 *
 * Times: an expected segment's delay is counted from the previous step; it
 * must arrive within max(20 ms, 5 % of the delay) either side, plus the
 * late slack of the kernel timer wheel at HZ=250 (KERNEL-FACTS.md Part C:
 * "long kernel timers fire late").
 */
#ifndef TD_LAB_RUNNER_H
#define TD_LAB_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcp/segment.h"

struct td_err;
struct lab;
struct lab_xprog;
struct lab_xrun;
struct tm_profile;

enum lab_op {
	KS_END = 0,
	KS_SYSCTL,	/* s1 = name, s2 = value (before anything else) */
	KS_LISTEN,	/* n = backlog */
	KS_CONNECT,	/* conn c connects to the peer (non-blocking; n = -EINPROGRESS:
			 * checked, 0: 0 or EINPROGRESS) */
	KS_ACCEPT,	/* accept one child; it must be conn c (n < 0: it must fail, -errno) */
	KS_SEND,	/* conn c writes n bytes (s1: the errno name it must fail with) */
	KS_SHUTDOWN,	/* conn c (c < 0: the listener): shutdown(n), n = SHUT_RD 0,
			 * SHUT_WR 1, SHUT_RDWR 2 */
	KS_CLOSE,	/* conn c (c < 0: the listener): close() */
	KS_SOCKOPT,	/* conn c: option s1 (keepalive keepidle keepintvl keepcnt
			 * linger2 user_timeout linger syncnt
			 * defer_accept rcvbuf sndbuf; c < 0: the listener) = n */
	KS_SOERROR,	/* conn c: SO_ERROR must be n */
	KS_IN,		/* the peer sends seg on conn c */
	KS_OUT,		/* the kernel sends seg on conn c, ms after the previous step */
	KS_QUIET,	/* the kernel sends nothing for ms */
	KS_SS,		/* sock_diag: conn c is in state s1 ("none": no socket);
			 * n > 0: its timer expires in n ms (± 1 s); n < 0: no timer */
	KS_ISN_CLOCK,	/* conn c's last two ISNs advanced by 15.625 per us (a 64 ns tick) */
	KS_NSTAT,	/* counter s1 (nstat name, "TcpExtListenOverflows") rose by n */
	KS_RECV,	/* conn c: a non-blocking recv() must return n (bytes; -errno) */
	KS_GETOPT,	/* conn c (c < 0: the listener): getsockopt or ioctl s1 (so_error
			 * tcpi_state tcpi_retransmits tcpi_backoff tcpi_probes siocinq
			 * siocoutq rcvbuf sndbuf defer_accept) must give n (-errno) */
	KS_BLOCK,	/* conn c starts a blocking call s1 (connect, accept: of conn c,
			 * recv) that must not return yet */
	KS_BLOCKED,	/* conn c's blocking call has not returned */
	KS_RETURNED,	/* conn c's blocking call returned n (bytes, 0; -errno), within
			 * 1 s of this step (the woken thread's scheduling, not TCP) */
};

struct lab_step {
	enum lab_op	 op;
	int		 c;		/* connection index, 0..LAB_CONN_MAX-1 */
	int		 ms;		/* KS_OUT, KS_QUIET */
	const char	*seg;		/* KS_IN, KS_OUT */
	const char	*s1, *s2;
	long		 n;
};

#define LAB_CONN_MAX	8
#define LAB_STILL_BLOCKED	(-999999L)	/* KS_RETURNED: no return yet */
#define LAB_SETS_MAX	16

struct lab_scen {
	const char		*name;
	const char		*summary;	/* one line: what it shows */
	const char		*source;	/* KERNEL-FACTS reference, "T1" */
	bool			 active;	/* the kernel connects (else it listens) */
	const struct lab_step	*steps;
	/*
	 * Expected trace, "EVENT, EVENT, ...": "L CLOSE>LISTEN" (L: the
	 * listener, cN: connection N), "c0 retransmit_synack",
	 * "c0 send_reset", "c0 receive_reset".  NULL: not checked.
	 */
	const char		*trace;
	/*
	 * A known difference of the model from the kernel, one line (NULL: the
	 * model must agree).  The comparison still runs and prints; the result
	 * is reported as TODO until the model is fixed.
	 */
	const char		*model_todo;
	/* A compiled `sim -f` script (lab/script.h) instead of steps (which then
	 * carry only its KS_SYSCTL lines); NULL for the scenarios above. */
	const struct lab_xprog	*prog;
	/*
	 * The scenario as a `sim -f` script (sim/sim.h), its one host the stack
	 * under test: the caller compiles it into prog (cmd/sim_kernel.c
	 * sim_xscript_of()) and plays that; steps is empty then.
	 */
	const char		*script;
};

/* One recorded event of a run. */
enum lab_rec_kind { KR_IN, KR_OUT, KR_APP, KR_TRACE, KR_CHECK };

struct lab_rec {
	uint64_t	 t_ns;		/* since the run started */
	uint64_t	 dt_ns;		/* since the previous step */
	uint64_t	 timer_ns;	/* model: length of the timer that sent it, 0 if none */
	uint64_t	 slack_ns;	/* kernel: time the steps before took, not in the script */
	enum lab_rec_kind kind;
	int		 step;		/* index of the step that made it; -1: the trace */
	int		 c;
	char		 text[96];	/* normalised segment, call, event, checkpoint */
};

struct lab_run {
	const struct lab_scen	*scen;
	int			 family;	/* AF_INET or AF_INET6 */
	uint16_t		 base_port;	/* listener port; peers base+1+c */
	struct lab_rec		*rec;
	size_t			 nrec, caprec;
	struct tm_addr		 kaddr, paddr;	/* set by the kernel run; the model reuses them */
	bool			 failed;
	char			 why[256];	/* first failure */
	FILE			*pcap_fp;	/* if set, every packet is written here */
	/* Extra sysctls ("net.ipv4.tcp_fin_timeout", "3"), set after the scenario's. */
	const char		*set_name[LAB_SETS_MAX], *set_value[LAB_SETS_MAX];
	size_t			 nsets;
	struct lab_xrun		*x;		/* a script's record and verdicts (lab/script.h) */
};

/* The scenarios (lab/scenarios.c), ending with a NULL name. */
extern const struct lab_scen lab_scens[];

/* Find a scenario by name, NULL if none. */
const struct lab_scen *lab_scen_find(const char *name);

/*
 * Run scen against the kernel in lab (made by lab_enter in this
 * process; one scenario per lab).  run->family and base_port must be set.
 * Returns 0 when the run completed (run->failed says whether the kernel did
 * what the scenario expects, run->why the first difference), -1 with *err
 * set when the harness itself failed (socket, TUN, tracefs).
 */
int	lab_run_kernel(struct lab *lab, const struct lab_scen *scen,
	    struct lab_run *run, struct td_err *err);

/*
 * Put a kernel run and a model run of one scenario side by side on fp (if
 * not NULL): the two ladders step by step, then the two traces, marking with
 * '!' each row that differs: segments sent (in their normalised form, each
 * time since its previous step within max(20 ms, 5 % of the timer) plus the
 * kernel's timer-wheel slack), checkpoints (states, timers within 1 s,
 * SO_ERROR) and the projected trace (state changes, SYN-ACK
 * retransmissions).  Returns the number of differences.
 */
int	lab_run_compare(const struct lab_run *kernel, const struct lab_run *model, FILE *fp);

/*
 * Deliberate model faults, applied from outside the model, to show that the
 * comparison catches a wrong model (tests only).
 */
enum lab_mut {
	LAB_MUT_NONE = 0,
	LAB_MUT_NO_TW_REARM,		/* a retransmitted FIN does not re-arm TIME_WAIT */
	LAB_MUT_SYNACK_EXPIRY_RST,	/* a RST when the request expires (not silent) */
};

/*
 * Run scen through the model (tcp/tm.h) under profile p, with the scripted
 * peer and expectations of the kernel run, in simulated time.  run->family
 * and base_port must be set; run->kaddr/paddr are used when set.  Returns
 * 0 when the run completed (run->failed and run->why as for the kernel), -1
 * with *err set when the harness failed (an option the model lacks).
 */
int	lab_run_model(const struct tm_profile *p, const struct lab_scen *scen,
	    struct lab_run *run, enum lab_mut mut, struct td_err *err);

/*
 * The model leg of a finished kernel run, called in the kernel run's
 * namespace: the linux profile from this namespace's sysctls (read under
 * /proc), the kernel run's family, ports and addresses.  Returns as
 * lab_run_model(); *model must be zeroed and is freed with lab_run_free().
 */
int	lab_run_model_like(const struct lab_run *kernel, enum lab_mut mut,
	    struct lab_run *model, struct td_err *err);

/* Print the recorded run as a ladder, one event per line. */
void	lab_run_print(const struct lab_run *run, FILE *fp);

/* Release the record. */
void	lab_run_free(struct lab_run *run);

#endif /* TD_LAB_RUNNER_H */
