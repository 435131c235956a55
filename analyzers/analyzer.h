/* SPDX-License-Identifier: MIT */
/*
 * The analyzer interface and the findings they produce.
 *
 * An analyzer sees the snapshot header once, every socket once (visit, in
 * the order the collector streams them) and then produces findings
 * (finish).  It keeps bounded memory: counters, fixed-size tables and top-N
 * copies of struct td_sock; nothing grows with the number of sockets.
 * Analyzers never read the kernel and never print: a finding is data,
 * rendered by cmd/findings.c.
 *
 * Adding an analyzer:
 *  1. analyzers/<name>.c with static helpers and one exported descriptor
 *     `const struct analyzer analyzer_<name>`;
 *  2. one line in analyzers/registry.c (the order there is the report order);
 *  3. its thresholds in analyzers/config.h (TD_THRESHOLDS) and
 *     man/tcpdoctor.conf.5;
 *  4. tests/unit/analyzers/<name>_test.c: fires on its evidence, silent on
 *     a healthy stream; and an integration test that builds the condition.
 */
#ifndef TD_ANALYZERS_ANALYZER_H
#define TD_ANALYZERS_ANALYZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "collectors/snapshot.h"

struct td_config;
struct td_history;
struct events_agg;

/* ---- Findings ---- */

enum td_severity {
	TD_SEV_OK = 0,
	TD_SEV_INFO,
	TD_SEV_WARNING,
	TD_SEV_CRITICAL,
};

/* "ok", "info", "warning", "critical". */
const char	*td_severity_name(enum td_severity sev);

enum td_ev_type {
	TD_EV_INT = 0,
	TD_EV_FLOAT,
	TD_EV_STR,
	TD_EV_BOOL,
};

/*
 * Text is never cut: summaries, reasons and string evidence are allocated
 * to their exact length (owned by the finding, freed by td_findings_free());
 * the short fixed fields (id, subject, keys, current and suggested values)
 * are checked, and one that does not fit marks the finding incomplete,
 * which analyzer_run_finish() reports as an error instead of printing a
 * shortened text.
 */

/* One piece of evidence: a snake_case key and a typed value. */
struct td_evidence {
	char		key[40];
	enum td_ev_type	type;
	int64_t		i;			/* INT, BOOL */
	double		f;			/* FLOAT */
	char		*s;			/* STR: never NULL for a STR item */
};

enum td_reco_kind {
	TD_RECO_SYSCTL = 0,	/* change a kernel knob (key = dotted name) */
	TD_RECO_APP,		/* change the application (key = what to change) */
	TD_RECO_KERNEL,		/* the host: kernel version, routing, filtering */
};

/* "sysctl", "app", "kernel". */
const char	*td_reco_kind_name(enum td_reco_kind kind);

struct td_reco {
	enum td_reco_kind	kind;
	char			key[64];
	char			current[48];	/* "" when not applicable */
	char			suggested[320];	/* "" when not applicable; a command for key "kill" */
	char			*reason;	/* whole sentences, ending with '.' */
};

#define TD_FINDING_EV_MAX	24
#define TD_FINDING_RECO_MAX	6

struct td_finding {
	char			id[48];		/* "<analyzer>.<what>" */
	char			subject[96];	/* what it is about: "0.0.0.0:80", "nginx[412]", "" */
	enum td_severity	severity;
	char			*summary;	/* one line for people, never NULL */
	struct td_evidence	ev[TD_FINDING_EV_MAX];
	unsigned int		nev;
	struct td_reco		reco[TD_FINDING_RECO_MAX];
	unsigned int		nreco;
	/*
	 * Set when memory ran out, a fixed field would have been cut or the
	 * evidence or recommendation table was full: the finding is not
	 * complete, and analyzer_run_finish() fails rather than report it.
	 */
	const char		*incomplete;	/* why, or NULL */
};

/* A growable list; its length is bounded by the analyzers' top-N limits. */
struct td_findings {
	struct td_finding	*v;
	size_t			 n, cap;
};

/*
 * Append a finding and return it (zeroed except id, subject, severity and
 * summary), or NULL with *err set when memory runs out.
 */
struct td_finding *td_finding_add(struct td_findings *out, struct td_err *err,
		    const char *id, const char *subject, enum td_severity sev,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/*
 * The info finding ID of an analyzer that remembers sockets across runs in
 * the state file: "N WHAT were not recorded in the state file (at most MAX
 * are, and the file keeps at most TD_HISTORY_COOKIES sockets): ..." with
 * the counts as evidence.  Nothing when untracked is 0.  0, or -1 (*err).
 */
int	td_finding_untracked(struct td_findings *out, struct td_err *err, const char *id,
	    const char *what, uint64_t untracked, uint64_t tracked, int max);
/*
 * Evidence helpers.  An item beyond TD_FINDING_EV_MAX, or memory running
 * out, marks the finding incomplete (never a silent drop).
 */
void	td_ev_int(struct td_finding *f, const char *key, int64_t v);
void	td_ev_float(struct td_finding *f, const char *key, double v);
void	td_ev_bool(struct td_finding *f, const char *key, bool v);
void	td_ev_str(struct td_finding *f, const char *key, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Lookup evidence by key (tests, renderers); NULL if absent. */
const struct td_evidence *td_ev_find(const struct td_finding *f, const char *key);
/*
 * Add a recommendation; current/suggested may be NULL.  Returns NULL (and
 * marks the finding incomplete) when the table is full or memory runs out.
 */
struct td_reco *td_reco_add(struct td_finding *f, enum td_reco_kind kind,
		    const char *key, const char *current, const char *suggested,
		    const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Add a sysctl recommendation with the current value taken from the snapshot. */
struct td_reco *td_reco_sysctl(struct td_finding *f, const struct td_snapshot *snap,
		    int sysctl_id, const char *suggested, const char *fmt, ...)
		    __attribute__((format(printf, 5, 6)));
/*
 * Add the exact `tcpdoctor kill --yes FILTER` command that destroys the
 * sockets of a finding (kind kernel, key "kill", suggested the command),
 * reaching the snapshot's namespace (-N NAME, --netns-pid PID, or -A with
 * --netns-filter for a runtime's bind mount).
 */
struct td_reco *td_reco_kill(struct td_finding *f, const struct td_snapshot *snap,
		    const char *filter, const char *fmt, ...)
		    __attribute__((format(printf, 4, 5)));
/* Highest severity in the list (TD_SEV_OK when empty). */
enum td_severity td_findings_worst(const struct td_findings *fs);
/* Sort by severity (worst first), keeping the analyzers' order otherwise. */
void	td_findings_sort(struct td_findings *fs);
/*
 * Returns 0 if every finding is complete, else -1 with *err naming the
 * first incomplete one.
 */
int	td_findings_check(const struct td_findings *fs, struct td_err *err);
/* Free the findings and the text they own. */
void	td_findings_free(struct td_findings *fs);

/* ---- What an analyzer sees ---- */

/* Counter change since the previous run (state file), if one is known. */
struct td_delta {
	bool		known;		/* a previous run of this boot and netns exists */
	double		interval_s;	/* seconds since it */
};

struct analyzer_ctx {
	const struct td_snapshot	*snap;
	const struct td_config		*cfg;
	const struct td_history		*prev;	/* previous run (same boot and
						 * netns), NULL if none */
	struct td_history		*next;	/* what to remember for the next
						 * run, NULL without --state-file */
	struct td_delta			 delta;
	/*
	 * Connection events of the run's window (check --events), NULL when
	 * none were given: the analyzers that judge them (judges_events:
	 * failed_connects, lifetimes) judge nothing then.
	 */
	const struct events_agg		*events;
	double				 connect_timeout_s;	/* connect()'s give-up, the model's */
};

/*
 * Change of counter id since the previous run when one is known (*since_boot
 * false), else its value since boot or namespace creation (*since_boot
 * true).  Returns false when this kernel lacks the counter.
 */
bool	ax_counter(const struct analyzer_ctx *ax, int id, uint64_t *v, bool *since_boot);
/*
 * Add a counter to a finding's evidence under its JSON key (absent counters
 * are skipped): the change since the previous run, or the value since boot.
 * ax_ev_window() says which (counters_interval_s, or counters_since_boot).
 */
void	ax_ev_counter(const struct analyzer_ctx *ax, struct td_finding *f, int id);
void	ax_ev_window(const struct analyzer_ctx *ax, struct td_finding *f);

struct analyzer {
	const char	*id;		/* stable; the finding id prefix */
	const char	*title;		/* one line, shown by --help and explain */
	size_t		 state_size;	/* the runner callocs this for each run */
	/*
	 * What it needs besides the sockets and counters, so that the
	 * collector fetches it and `check` knows when its verdict rests on
	 * something it could not see (it then exits 3, UNKNOWN):
	 *   verdict_owner_states: states (TD_STATE_BIT) whose sockets it
	 *	groups by owner, so that its findings and their severity change
	 *	when an owner is unknown;
	 *   named_owner_states: states whose owners it only names in the
	 *	text (the subject does not depend on them);
	 *   verdict_sysctls: knobs (bit TD_SYS_*) whose values decide its
	 *	findings or their severity (knobs only quoted in advice are not
	 *	listed: an unreadable one shows as an unknown current value).
	 */
	unsigned int	 verdict_owner_states;
	unsigned int	 named_owner_states;
	uint64_t	 verdict_sysctls;
	/*
	 * It judges the connection events of analyzer_ctx.events alone
	 * (check --events RECORDING): without them `check` leaves it out, and
	 * --only naming it is an error rather than a blind OK.
	 */
	bool		 judges_events;
	/* Optional: called once before the first socket. */
	void	(*begin)(void *st, const struct analyzer_ctx *ax);
	/* Called once per socket. */
	void	(*visit)(void *st, const struct analyzer_ctx *ax, const struct td_sock *sk);
	/* Append findings; returns 0, or -1 with *err set. */
	int	(*finish)(void *st, const struct analyzer_ctx *ax,
		    struct td_findings *out, struct td_err *err);
};

/* ---- The registry (analyzers/registry.c) ---- */

extern const struct analyzer *const td_analyzers[];	/* NULL-terminated */

/* The analyzer with this id, or NULL. */
const struct analyzer *analyzer_find(const char *id);
/* Its position in td_analyzers[], or -1. */
int	analyzer_index(const char *id);
/* Number of analyzers in the registry. */
size_t	analyzer_count(void);
/* Bit of a sysctl in verdict_sysctls. */
#define TD_SYS_BIT(id)	(UINT64_C(1) << (id))

/* ---- Running them (analyzers/run.c) ---- */

struct analyzer_run {
	struct analyzer_ctx	 ax;
	uint64_t		 enabled;	/* bit i: td_analyzers[i] runs */
	void			*state[64];
};

/*
 * Allocate the state of every enabled analyzer and call begin().  Returns
 * 0, or -1 with *err set.  Call analyzer_run_free() in any case.
 */
int	analyzer_run_init(struct analyzer_run *run, struct td_err *err);
/* Feed one socket to every enabled analyzer. */
void	analyzer_run_visit(struct analyzer_run *run, const struct td_sock *sk);
/* Collect the findings of every enabled analyzer, sorted worst first. */
int	analyzer_run_finish(struct analyzer_run *run, struct td_findings *out,
	    struct td_err *err);
void	analyzer_run_free(struct analyzer_run *run);
/*
 * The findings of every analyzer that judges connection events
 * (judges_events: failed_connects, lifetimes) over agg, appended to out
 * unsorted: the one path `events`, `watch` (each interval, and played back)
 * and `check --events` share.  snap gives the sysctls the advice quotes
 * (may have none readable); connect_timeout_s is the model's connect()
 * give-up under them.  Returns 0, or -1 with *err set.
 */
int	analyzer_events_findings(const struct events_agg *agg, const struct td_snapshot *snap,
	    double connect_timeout_s, struct td_findings *out, struct td_err *err);
/*
 * Parse a comma-separated list of analyzer ids into a bit mask.  Returns 0,
 * or -1 with *err naming the unknown id.
 */
int	analyzer_parse_list(const char *list, uint64_t *mask, struct td_err *err);

#endif /* TD_ANALYZERS_ANALYZER_H */
