/* SPDX-License-Identifier: MIT */
/*
 * The deterministic simulator around the model (tcp/tm.h): a world of
 * endpoints (hosts, each a TCP stack with its own profile), links between
 * them with delay, jitter, loss, duplication and reordering, fault rules
 * written as predicates on segments, and scripted application calls at given
 * times.  Time is simulated (no wall clock); events are kept in a binary heap
 * ordered by (time, insertion counter), so ties replay in the same order; all
 * randomness comes from one seeded PRNG (xoshiro256**).  Two runs with the
 * same script, profile and seed produce the same event log, record for
 * record.
 *
 * Every effect of every step is appended to the world's event log (struct
 * tm_effect, documented in tcp/tm.h), plus TM_FX_SEG_IN when a segment is
 * delivered and TM_FX_SEG_DROP when a link or fault rule loses it.
 *
 * Scripts (tm_script_load) describe a scenario in text; the named scenarios
 * (tm_scenarios) are such scripts.  The format, one statement a line, '#'
 * starts a comment, times like 0, 1.5, 250ms, 2s, 1m; a time +T (at and
 * expect lines, as packetdrill writes them) is T after the previous timed
 * line's time:
 *
 *   profile linux|rfc9293            base profile of hosts declared after it
 *   host NAME ADDRESS [KNOB=VALUE]...   an endpoint; knobs as in --set
 *   set [NAME] KNOB=VALUE            a knob for one host or (no NAME) all
 *   link A B [delay T] [jitter T] [loss P] [dup P] [reorder P]   (P in 0..1)
 *   link * B [delay T] ...           the link of injected segments and floods to B
 *                                    (default: delay 10ms, as between hosts)
 *   sysctl KNOB=VALUE...             as set, for sysctl knobs only (tcp_rto_min_us=...)
 *   fault drop|dup|delay T  A>B [flags F] [bare|data] [nth N] [after T] [before T]
 *                                    F: letters S A F R P U E W or "none" (SYN ACK FIN
 *                                    RST exactly, P U E W when named)
 *   at T NAME listen PORT [backlog N] as H
 *   at T NAME connect PEER:PORT [from PORT] as H
 *   at T NAME accept H as H2
 *   at T NAME send H BYTES | recv H [BYTES] | shutdown H [rd|wr|rdwr] | close H
 *   at T NAME setsockopt H OPT VALUE   OPT: keepalive keepidle keepintvl keepcnt
 *                                    linger2 user_timeout linger0 syncnt
 *   at T flood PEER:PORT COUNT [from ADDRESS]   spoofed SYNs (no host answers)
 *   at +T after inject ...           T after the last segment PEER sent by the
 *                                    previous line's time (at once if that passed)
 *   at T inject SRC:SPORT>PEER:PORT FLAGS seq N [ack N] [len N] [win N] [mss N]
 *                [wscale N] [sackOK] [ts VAL ECR] [sack L:R[,L:R]...] [abs]   a raw segment;
 *                a SYN's seq is its ISN; other segments' seq counts from the ISN
 *                of the last SYN injected on the tuple and ack from the ISN of
 *                the last SYN PEER sent on it (as packetdrill writes them),
 *                each absolute when there is none or with abs
 *   run T                            stop the clock at T (default: quiescence, 600 s cap)
 *
 * Expectations (sim/expect.c), checked against the run's event log; T~TOL
 * is a time with a tolerance (default 0: the model is deterministic):
 *   expect T[~TOL] NAME sends FLAGS [seq N] [ack N] [len N] [win N] [opts LIST] [abs]
 *                                    a segment NAME sends; seq relative to its
 *                                    ISN, ack to the peer's (abs: absolute)
 *   expect T[~TOL] NAME state H STATE   H's socket enters STATE
 *   expect T[~TOL] NAME CALL H = VALUE|ERRNO   a call's result on H's socket
 *                                    (CALL: connect listen accept send recv
 *                                    shutdown close setsockopt; so_error: what
 *                                    SO_ERROR reads at T, the last error reported
 *                                    by then; for accept, H names the accepted
 *                                    socket and any success meets a value)
 *   expect T NAME counter COUNTER = N   the counter's value at T
 *   expect nothing until T           no host sends a segment after the previous
 *                                    expectation's window and before T
 */
#ifndef TD_SIM_SIM_H
#define TD_SIM_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp/tm.h"

struct td_err;

#define TM_MAX_HOSTS	4
#define TM_MAX_FAULTS	16
#define TM_MAX_HANDLES	32
/*
 * Bounds of one run, so a script cannot take the host's memory or CPU (a
 * 1 MiB script once reached 3.8 GB in 18 s): past any of them
 * tm_world_run() stops with EOVERFLOW and a message naming the bound.
 * At the model's speed (several million events a second) TM_MAX_EVENTS
 * is about two seconds of CPU and 20 MB; the event log is kept for JSON
 * output, which jansson builds in memory at about 2.5 KB an event, so
 * TM_MAX_LOG events are about 50 MB.
 */
#define TM_MAX_EVENTS	5000000ULL	/* events processed in one run */
#define TM_MAX_QUEUED	1000000		/* events waiting at once */
#define TM_MAX_LOG	20000		/* event log records kept (JSON output) */
#define TM_MAX_SIM_TIME	TM_SEC(86400)	/* simulated time: one day */
#define TM_NAME_MAX	16

struct tm_link {
	tm_time		delay, jitter;
	double		loss, dup, reorder;	/* probabilities 0..1 */
	bool		set;
};

enum tm_fault_action { TM_FA_DROP = 0, TM_FA_DUP, TM_FA_DELAY };

/*
 * A fault rule: a predicate on (time, direction, segment) and an action.
 * A segment matches when every given field matches; nth picks the nth match
 * only (1-based, 0 = every match).  pred, when set, is an extra predicate.
 */
struct tm_fault {
	int			 from, to;	/* host index, -1 any */
	uint8_t			 flags_mask, flags_val;	/* (flags & mask) == val */
	int			 len;		/* -1 any, 0 bare (no payload), 1 with payload */
	unsigned int		 nth;
	tm_time			 after, before;	/* before 0: no end */
	enum tm_fault_action	 action;
	tm_time			 delay;		/* DELAY: extra delay; DUP: the copy's extra delay */
	bool			(*pred)(const struct tm_seg *seg, void *arg);
	void			*arg;
	unsigned int		 matched;	/* state: matches so far */
	char			 desc[80];	/* for the log: "drop 1st A>B ACK bare" */
};

/* A scripted action. */
enum tm_act_kind { TM_ACT_APP = 0, TM_ACT_FLOOD, TM_ACT_INJECT };

struct tm_action {
	tm_time			at;
	enum tm_act_kind	kind;
	uint16_t		host;		/* APP: who calls; FLOOD/INJECT: target */
	struct tm_app		app;		/* APP: the call (app.sock from sock_ref) */
	int			sock_ref;	/* handle the call acts on, -1 none */
	int			bind_ref;	/* handle that receives the result, -1 none */
	struct tm_seg		seg;		/* INJECT: the segment; FLOOD: dst and port */
	uint32_t		count;		/* FLOOD: number of SYNs */
	unsigned int		line;		/* script line, for messages */
	bool			abs;		/* INJECT: seq and ack as written */
	/*
	 * INJECT "at +D after": D after the last segment the target host sent
	 * by the previous statement's time ref (at once if that has passed);
	 * at is then ref + D, an estimate.  resolved: its time is known.
	 */
	bool			after, resolved, ref_seen;
	tm_time			after_d, after_ref;
};

/* An expectation of a script (sim/expect.c). */
enum { TM_EXP_O_MSS = 1, TM_EXP_O_SACKOK = 2, TM_EXP_O_TS = 4, TM_EXP_O_WSCALE = 8,
	TM_EXP_O_SACK = 16 };
/* "mss,sackOK,ts,wscale,sack" or "none" into TM_EXP_O_* bits; -1 if unknown. */
int	tm_exp_opts_parse(const char *s);
enum tm_exp_kind { TM_EXP_SEG = 0, TM_EXP_STATE, TM_EXP_CALL, TM_EXP_COUNTER, TM_EXP_NOTHING };

struct tm_expect {
	enum tm_exp_kind kind;
	unsigned int	 line;		/* script line */
	tm_time		 at, tol;	/* NOTHING: at is the end */
	tm_time		 from;		/* NOTHING: the start (end of the previous window) */
	uint16_t	 host;
	int		 handle;	/* STATE, CALL: the socket's handle */
	uint8_t		 flags;		/* SEG */
	bool		 has_seq, has_ack, has_len, has_win, has_opts, abs;
	uint8_t		 opts;		/* SEG: TM_EXP_O_* present, exactly (has_opts) */
	int64_t		 seq, ack;
	uint32_t	 len, win;
	uint8_t		 state;		/* STATE: enum tm_state */
	uint8_t		 call;		/* CALL: enum tm_call */
	int64_t		 ret;		/* CALL: the value, when err is 0 */
	int		 err;		/* CALL: the errno expected, 0 for a value */
	uint16_t	 counter;	/* COUNTER: enum tm_counter */
	uint64_t	 value;		/* COUNTER */
};

/*
 * A queued event's payload (internal).  ev is what tm_step() gets for an
 * arrival (ev.u.seg) or a timer (ev.u.tmr), stepped from the slot itself;
 * ev.at is the event's time for every kind.
 */
struct tm_qev {
	struct tm_event	ev;
	uint8_t		kind;		/* 0 segment arrives, 1 timer, 2 action */
	uint16_t	host;
	uint32_t	idx;		/* action index */
	const char	*why;		/* arrival of a duplicated or delayed copy: the rule */
};

/* A heap entry: small, so that sifting moves 24 bytes; the payload is in a slot. */
struct tm_qent {
	tm_time		at;
	uint64_t	order;		/* insertion counter: ties pop in insertion order */
	uint32_t	slot;
};

typedef void (*tm_fx_fn)(const struct tm_effect *fx, void *arg);

struct tm_world {
	unsigned int	 nhosts;
	char		 host_name[TM_MAX_HOSTS][TM_NAME_MAX];
	struct tm_profile prof[TM_MAX_HOSTS];
	struct tm_host	 hosts[TM_MAX_HOSTS];
	struct tm_link	 link[TM_MAX_HOSTS][TM_MAX_HOSTS];
	struct tm_link	 default_link;
	struct tm_link	 inject_link[TM_MAX_HOSTS];	/* "link * B": injected segments to B */
	tm_time		 last_out[TM_MAX_HOSTS];	/* when each host last sent a segment */
	bool		 sent[TM_MAX_HOSTS];
	struct tm_fault	 faults[TM_MAX_FAULTS];
	unsigned int	 nfaults;
	/* Handles: script names for sockets ("c1" -> host, id). */
	unsigned int	 nhandles;
	char		 handle_name[TM_MAX_HANDLES][TM_NAME_MAX];
	uint16_t	 handle_host[TM_MAX_HANDLES];
	uint32_t	 handle_sock[TM_MAX_HANDLES];
	/* Script. */
	struct tm_action *acts;
	size_t		 nacts, capacts;
	size_t		 nqueued;	/* actions already in the queue */
	/*
	 * The actions' queue: (time, insertion counter, action index) sorted
	 * ascending, the next at aq_head.  The run takes the earlier of its
	 * head and the heap's top, so the order is the one a single heap gives,
	 * and the heap only holds what the run itself queues.
	 */
	struct tm_qent	*aq;
	size_t		 aq_head, naq, capaq;
	/* Expectations of the script, and its name for their messages. */
	struct tm_expect *exps;
	size_t		 nexps, capexps;
	char		 script_name[128];
	/* Event queue. */
	struct tm_qent	*heap;
	size_t		 nheap, capheap;
	uint64_t	 order;
	struct tm_qev	*slots;		/* payloads; free ones chained through free_next */
	uint32_t	*free_next;
	uint32_t	 free_head, nslots;
	/* Clock and randomness. */
	tm_time		 now, until;
	tm_time		 last_at;	/* time of the last log record */
	bool		 until_set;
	uint64_t	 seed, rng[4];
	/* Event log. */
	bool		 keep_log;
	struct tm_effect *log;
	size_t		 nlog, caplog;
	tm_fx_fn	 on_fx;
	void		*on_fx_arg;
	/*
	 * Initial sequence numbers seen (the last SYN on each tuple), so an
	 * injected segment's seq and ack can count from them: a ring of nisns
	 * entries from isn_head (the oldest), which goes when it is full;
	 * ports is sport << 16 | dport.  Found through a chained hash:
	 * isn_bucket[] and next hold an entry's index + 1, 0 ends a chain.
	 */
	struct {
		struct tm_addr	src, dst;
		uint32_t	ports;
		tm_seq		isn;
		uint8_t		next;
	}		 isns[64];
	unsigned int	 nisns, isn_head;
	uint8_t		 isn_bucket[128];
	/* Results. */
	unsigned int	 errors;	/* TM_FX_ERROR records seen */
	uint64_t	 nevents;	/* events processed (bounded by TM_MAX_EVENTS) */
	bool		 quiescent;	/* the queue ran empty */
	/* Pools (one block per world). */
	void		*pool;
	struct tm_effect *fx;		/* scratch for one step */
	size_t		 capfx;
};

/*
 * Make an empty world (no hosts) with this seed; keep_log says whether the
 * event log is stored in w->log (the callback, if set, sees every record
 * either way).  Returns 0, or -1 with *err set (out of memory).
 */
int	tm_world_init(struct tm_world *w, uint64_t seed, bool keep_log, struct td_err *err);
void	tm_world_free(struct tm_world *w);
/* Forget the run (queue, log, sockets, handles, script) but keep hosts, links,
 * faults and profiles; for benchmarks that rerun one world. */
void	tm_world_reset(struct tm_world *w, uint64_t seed);

/* Add an endpoint; returns its index, or -1 with *err set. */
int	tm_world_add_host(struct tm_world *w, const char *name, const struct tm_addr *addr,
	    const struct tm_profile *p, struct td_err *err);
int	tm_world_host_find(const struct tm_world *w, const char *name);
/* Set the link a->b (and b->a when both is true). */
void	tm_world_link(struct tm_world *w, int a, int b, const struct tm_link *l, bool both);
int	tm_world_add_fault(struct tm_world *w, const struct tm_fault *f, struct td_err *err);
int	tm_world_add_action(struct tm_world *w, const struct tm_action *a, struct td_err *err);
/* A handle by name, created when missing; -1 if the table is full. */
int	tm_world_handle(struct tm_world *w, const char *name);
/* Apply KNOB=VALUE to every host's profile. */
int	tm_world_set_all(struct tm_world *w, const char *assignment, struct td_err *err);

/*
 * Queue the actions added since the last run, then run until the queue is
 * empty (quiescence) or the clock passes `until`
 * (w->until when set, else the argument).  Returns 0; -1 with *err set if
 * the log could not grow.  w->errors counts model errors seen.
 */
int	tm_world_run(struct tm_world *w, tm_time until, struct td_err *err);

/* ---- Scripts and named scenarios ---- */

/*
 * Parse a script into w (empty, freshly initialised) with base as the
 * default profile.  Errors name the file, line and column:
 * "FILE:3:12: unknown host 'srv'".  Returns 0 or -1 with *err set.
 */
int	tm_script_load(struct tm_world *w, const char *text, const char *fname,
	    const struct tm_profile *base, struct td_err *err);

struct tm_scenario {
	const char	*name;
	const char	*question;	/* the seed article's question (Chinese) */
	const char	*question_en;	/* the same in English */
	const char	*answer;	/* the correct Linux answer, one paragraph */
	const char	*verified;	/* KERNEL-FACTS Part B/C rows it follows */
	const char	*script;	/* the scenario in the script format */
	/*
	 * The answer computed from a run of this scenario (its event log, its
	 * hosts' profiles), so --set and --profile change the words with the
	 * ladder; NULL: answer is fixed text.  Returns a malloc'd string, or
	 * NULL when out of memory.
	 */
	char		*(*prose)(const struct tm_world *w);
};

/*
 * The answer for a run w of sc (w kept its log): sc->prose's text, or a
 * copy of sc->answer.  Returns a malloc'd string, or NULL when out of memory.
 */
char	*tm_scenario_answer(const struct tm_scenario *sc, const struct tm_world *w);

/* ---- Expectations (sim/expect.c) ---- */

int	tm_world_add_expect(struct tm_world *w, const struct tm_expect *e, struct td_err *err);

/*
 * Check every expectation against the run's event log (the world made with
 * keep_log).  fn gets each with its verdict and a message naming
 * FILE:LINE, what was expected and what came.  Returns how many failed.
 */
typedef void (*tm_exp_fn)(const struct tm_expect *e, bool met, const char *msg, void *arg);
unsigned int tm_expect_check(const struct tm_world *w, tm_exp_fn fn, void *arg);

/* errno names the model reports ("ETIMEDOUT"; "0"; "E?" for others), and back (-1). */
const char *tm_errno_name(int e);
int	tm_errno_parse(const char *name);

const struct tm_scenario *tm_scenarios(size_t *n);
const struct tm_scenario *tm_scenario_find(const char *name);

#endif /* TD_SIM_SIM_H */
