/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor watch [-i SECONDS] [-n COUNT] [-c FILE] [--set SECTION.KEY=VALUE]
 * [--only ID,...] [--skip ID,...]`: continuous monitoring.  Every interval it runs the same
 * pipeline as `check` (one streaming pass, every analyzer) with a private
 * state file, so the analyzers see counter changes and socket ages across
 * samples, and prints one record per interval: sockets per state, counter
 * rates per second, and the findings, marking the ones that started or
 * cleared.  A table for people; -j gives one JSON object per interval
 * (NDJSON), for log pipelines.
 *
 * Findings start and clear with hysteresis: a finding starts the first
 * sample it is reported and stays active until it has been absent for
 * WATCH_CLEAR_AFTER samples in a row, so a threshold crossed back and forth
 * is one start and one clear, not an alert storm.  The active findings are
 * the console's data model (struct watch_active): a key, a severity, when
 * it started and how many samples it has been quiet.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "analyzers/analyzer.h"
#include "cmd/check_common.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/findings.h"
#include "cmd/output.h"
#include "collectors/netns.h"
#include "collectors/snapfile.h"
#include "collectors/tracefs_inst.h"
#include "core/num.h"
#include "core/safefile.h"

#define WATCH_MAX_ACTIVE	256	/* active findings tracked from sample to sample */
#define WATCH_CLEAR_AFTER	3	/* samples a finding must be absent to clear */
#define HEADER_EVERY		20	/* table rows between headers */

/*
 * Every terminating signal (tfs_guard(TFS_SIG_STOP): HUP of a dropped
 * session, QUIT, USR1, ALRM... not only INT and TERM) stops the loop, so
 * that the state directory in /tmp is removed; then the signal ends the
 * process as it would have.
 */
#define stop	tfs_stop_signal

/* Counters shown as rates, per second. */
static const struct {
	enum td_counter_id	 id;
	const char		*col;		/* table column, "" for JSON only */
} rates[] = {
	{ TD_CTR_ACTIVE_OPENS, "conn/s" },
	{ TD_CTR_PASSIVE_OPENS, "acc/s" },
	{ TD_CTR_TW, "tw/s" },
	{ TD_CTR_OUT_RSTS, "rst/s" },
	{ TD_CTR_LISTEN_DROPS, "drop/s" },
	{ TD_CTR_RETRANS_SEGS, "retr/s" },
	{ TD_CTR_ATTEMPT_FAILS, "" },
	{ TD_CTR_ESTAB_RESETS, "" },
	{ TD_CTR_LISTEN_OVERFLOWS, "" },
	{ TD_CTR_SYNCOOKIES_SENT, "" },
	{ TD_CTR_TW_OVERFLOW, "" },
	{ TD_CTR_ABORT_ON_TIMEOUT, "" },
	{ TD_CTR_SYN_RETRANS, "" },
};
#define NRATES	(sizeof(rates) / sizeof(rates[0]))

/*
 * States shown as table columns.  The connecting and closing states that
 * pile up when a peer stops answering (SYN_SENT, FIN_WAIT1, LAST_ACK,
 * CLOSING) come after the original six, which keep their place.  NDJSON
 * carries every state.
 */
static const struct {
	enum td_state	 st;
	const char	*col;
} cols[] = {
	{ TD_ST_ESTABLISHED, "estab" },
	{ TD_ST_SYN_RECV, "synrecv" },
	{ TD_ST_TIME_WAIT, "timewait" },
	{ TD_ST_CLOSE_WAIT, "closewait" },
	{ TD_ST_FIN_WAIT2, "finwait2" },
	{ TD_ST_LISTEN, "listen" },
	{ TD_ST_SYN_SENT, "synsent" },
	{ TD_ST_FIN_WAIT1, "finwait1" },
	{ TD_ST_LAST_ACK, "lastack" },
	{ TD_ST_CLOSING, "closing" },
};
#define NCOLS	(sizeof(cols) / sizeof(cols[0]))

/* An active finding, remembered from sample to sample. */
struct watch_active {
	char			key[48 + 96 + 2];	/* id + " " + subject */
	enum td_severity	sev;
	int64_t			since_ns;	/* wall time of the sample it started in */
	unsigned int		quiet;		/* samples in a row it was absent */
	bool			started;	/* started in this sample */
	bool			cleared;	/* cleared in this sample: gone after it */
};

struct watch {
	struct td_ctx		*ctx;
	const char		*netns;		/* -A: the namespace's label (a table column), else NULL */
	struct watch_active	 act[WATCH_MAX_ACTIVE];
	size_t			 nact;
	uint64_t		 untracked;	/* findings not tracked: act[] was full */
	unsigned int		 rows;
};

static void
finding_key(const struct td_finding *f, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s", f->id, f->subject);
}

static struct watch_active *
active_find(struct watch *w, const char *key)
{
	size_t i;

	for (i = 0; i < w->nact; i++)
		if (strcmp(w->act[i].key, key) == 0)
			return &w->act[i];
	return NULL;
}

/*
 * Fold one sample's findings into the active set: drop what cleared in the
 * previous sample, start what is new, reset the quiet count of what is
 * still reported, and clear what has been absent WATCH_CLEAR_AFTER samples.
 */
static void
active_update(struct watch *w, const struct check_state *cs)
{
	char key[sizeof(w->act[0].key)];
	struct watch_active *a;
	size_t i, j;

	for (i = j = 0; i < w->nact; i++)
		if (!w->act[i].cleared)
			w->act[j++] = w->act[i];
	w->nact = j;
	for (i = 0; i < w->nact; i++) {
		w->act[i].started = false;
		w->act[i].quiet++;
	}
	for (i = 0; i < cs->findings.n; i++) {
		finding_key(&cs->findings.v[i], key, sizeof(key));
		if ((a = active_find(w, key)) == NULL) {
			if (w->nact == WATCH_MAX_ACTIVE) {
				w->untracked++;
				continue;
			}
			a = &w->act[w->nact++];
			memset(a, 0, sizeof(*a));
			snprintf(a->key, sizeof(a->key), "%s", key);
			a->since_ns = cs->snap.meta.time_ns;
			a->started = true;
		}
		a->quiet = 0;
		a->sev = cs->findings.v[i].severity;
	}
	for (i = 0; i < w->nact; i++)
		if (w->act[i].quiet >= WATCH_CLEAR_AFTER)
			w->act[i].cleared = true;
}

/* HH:MM:SS, UTC: the table's time column (JSON has the full date in its head). */
static void
time_text(int64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, len, "%H:%M:%S", &tm);
}

/* RFC 3339, UTC: when an active finding started (NDJSON "since"). */
static void
time_iso(int64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Rate of counter id over the interval, or -1 when unknown. */
static double
rate(const struct check_state *cs, enum td_counter_id id)
{
	double dt = cs->run.ax.delta.interval_s;

	if (!cs->run.ax.delta.known || dt <= 0 || !cs->snap.ctr.present[id] ||
	    !cs->prev.ctr.present[id] || cs->snap.ctr.v[id] < cs->prev.ctr.v[id])
		return -1;
	return (double)(cs->snap.ctr.v[id] - cs->prev.ctr.v[id]) / dt;
}

static void
table_row(struct watch *w, const struct check_state *cs)
{
	FILE *fp = w->ctx->out;
	char t[32], key[sizeof(w->act[0].key)];
	struct watch_active *a;
	size_t i;
	double r;

	if (w->rows++ % HEADER_EVERY == 0) {
		if (w->netns != NULL)
			fprintf(fp, "%-16s ", "netns");
		fprintf(fp, "%-8s", "time");
		for (i = 0; i < NCOLS; i++)
			fprintf(fp, " %9s", cols[i].col);
		for (i = 0; i < NRATES; i++)
			if (rates[i].col[0] != '\0')
				fprintf(fp, " %8s", rates[i].col);
		fputs("  findings\n", fp);
	}
	time_text(cs->snap.meta.time_ns, t, sizeof(t));
	if (w->netns != NULL)
		fprintf(fp, "%-16s ", w->netns[0] != '\0' ? w->netns : "(current)");
	fprintf(fp, "%-8s", t);
	for (i = 0; i < NCOLS; i++)
		fprintf(fp, " %9" PRIu64, cs->by_state[cols[i].st]);
	for (i = 0; i < NRATES; i++) {
		if (rates[i].col[0] == '\0')
			continue;
		r = rate(cs, rates[i].id);
		if (r < 0)
			fprintf(fp, " %8s", "-");
		else
			fprintf(fp, " %8.1f", r);
	}
	fprintf(fp, "  %zu\n", cs->findings.n);
	/* What changed: started findings in full, cleared ones by name with how long they lasted. */
	for (i = 0; i < cs->findings.n; i++) {
		finding_key(&cs->findings.v[i], key, sizeof(key));
		if ((a = active_find(w, key)) != NULL && a->started)
			fprintf(fp, "  + %-8s %s: %s\n", td_severity_name(cs->findings.v[i].severity),
			    cs->findings.v[i].id, cs->findings.v[i].summary);
	}
	for (i = 0; i < w->nact; i++)
		if (w->act[i].cleared)
			fprintf(fp, "  - cleared  %s (active %.0f s)\n", w->act[i].key,
			    (double)(cs->snap.meta.time_ns - w->act[i].since_ns) / 1e9);
}

static int
json_record(struct watch *w, const struct check_state *cs)
{
	struct snapfile_head head = { &cs->snap.meta, "watch", SNAPFILE_HEAD_NETNS };
	json_t *o, *states, *rt, *fa, *added, *cleared, *active;
	char t[40], key[sizeof(w->act[0].key)];
	struct watch_active *a;
	unsigned int st;
	size_t i;
	double r;

	o = record_json(&snapfile_head_desc, &head);
	json_object_set_new(o, "interval_s", cs->run.ax.delta.known ?
	    json_real(cs->run.ax.delta.interval_s) : json_null());
	json_object_set_new(o, "sockets", json_integer((json_int_t)cs->sockets));
	states = json_object();
	for (st = 1; st < TD_ST_MAX; st++)
		if (st != TD_ST_NEW_SYN_RECV)
			json_object_set_new(states, td_state_name(st),
			    json_integer((json_int_t)cs->by_state[st]));
	json_object_set_new(o, "states", states);
	json_object_set_new(o, "unseen", unseen_json(&cs->unseen));
	rt = json_object();
	for (i = 0; i < NRATES; i++) {
		r = rate(cs, rates[i].id);
		json_object_set_new(rt, td_counter_fields[rates[i].id].json,
		    r < 0 ? json_null() : json_real(r));
	}
	json_object_set_new(o, "rates_per_s", rt);
	fa = json_array();
	added = json_array();
	for (i = 0; i < cs->findings.n; i++) {
		json_array_append_new(fa, findings_json_finding(&cs->findings.v[i]));
		finding_key(&cs->findings.v[i], key, sizeof(key));
		if ((a = active_find(w, key)) != NULL && a->started)
			json_array_append_new(added, json_string(key));
	}
	cleared = json_array();
	active = json_array();
	for (i = 0; i < w->nact; i++) {
		a = &w->act[i];
		if (a->cleared) {
			json_array_append_new(cleared, json_string(a->key));
			continue;
		}
		time_iso(a->since_ns, t, sizeof(t));
		json_array_append_new(active, json_pack("{s:s,s:s,s:s,s:f,s:i}", "key", a->key,
		    "severity", td_severity_name(a->sev), "since", t,
		    "age_s", (double)(cs->snap.meta.time_ns - a->since_ns) / 1e9,
		    "quiet_samples", (int)a->quiet));
	}
	json_object_set_new(o, "status", json_string(td_severity_name(td_findings_worst(&cs->findings))));
	json_object_set_new(o, "findings", fa);
	json_object_set_new(o, "new", added);
	json_object_set_new(o, "cleared", cleared);
	json_object_set_new(o, "active", active);
	json_object_set_new(o, "untracked_findings", json_integer((json_int_t)w->untracked));
	return output_json_line(w->ctx->out, o);
}

/*
 * One sample of one namespace (the one this thread is in): collect,
 * analyze against the namespace's own state file, print the row or the
 * record.  Returns 0, or the exit status after printing the error.
 */
static int
sample(struct watch *w, struct check_opts *co, long done)
{
	struct td_ctx *ctx = w->ctx;
	struct check_state cs;
	int status;

	status = check_collect(ctx, co, &cs, -1);
	if (status != 0) {
		check_state_free(&cs);
		return status;
	}
	/* What it could not see, once (it rarely changes between samples). */
	if (done == 0)
		unseen_warn(ctx, &cs.unseen);
	active_update(w, &cs);
	if (ctx->format == TD_FMT_JSON)
		json_record(w, &cs);
	else
		table_row(w, &cs);
	errno = 0;
	if (fflush(ctx->out) != 0 || ferror(ctx->out)) {
		/* Quiet when the reader went away (a closed pipe). */
		status = cmd_fail_write(ctx, TD_EXIT_OSERR, errno != 0 ? errno : EIO);
		check_state_free(&cs);
		return status;
	}
	status = check_save_state(ctx, co, &cs, -1);
	check_state_free(&cs);
	if (status != 0)
		return status;
	return 0;
}

/* ---- -A: every namespace, each with its own memory ---- */

#define WATCH_MAX_NETNS	1024	/* namespaces remembered; more are said, not watched */

struct watch_ns {
	uint64_t	dev, ino;
	struct watch	w;
	char		label[256];
	char		state[PATH_MAX + 32];	/* its state file in the private directory */
	long		done;			/* its samples so far */
};

struct watch_all {
	struct watch_ns	*v;
	size_t		 n;
	int		 self;			/* the caller's own namespace */
	unsigned int	 rows;			/* table rows printed, all namespaces */
	bool		 full_said;
};

/*
 * One sample of every namespace (found again each time: they come and go).
 * One that cannot be entered or vanished is said and skipped; the
 * process returns to its own namespace after each.
 */
static int
sample_all(struct watch_all *wa, struct td_ctx *ctx, struct check_opts *co, const char *dir)
{
	struct netns_list l;
	struct td_err err = { 0 };
	struct watch_ns *s;
	size_t i, k;
	int status = 0;

	if (netns_discover(ctx->proc_root, &l, &err) < 0)
		return cmd_fail_err(ctx, &err);
	for (i = 0; i < l.n && status == 0; i++) {
		const struct netns_info *ns = &l.v[i];

		if (!cmd_netns_selected(ctx, ns))
			continue;
		for (k = 0; k < wa->n; k++)
			if (wa->v[k].dev == ns->dev && wa->v[k].ino == ns->ino)
				break;
		if (k == wa->n) {
			if (wa->n >= WATCH_MAX_NETNS) {
				if (!wa->full_said)
					cmd_warn(ctx, "more than %d namespaces: the others are not watched",
					    WATCH_MAX_NETNS);
				wa->full_said = true;
				continue;
			}
			s = &wa->v[wa->n++];
			memset(s, 0, sizeof(*s));
			s->dev = ns->dev;
			s->ino = ns->ino;
			s->w.ctx = ctx;
			snprintf(s->state, sizeof(s->state), "%s/state-%" PRIu64 "-%" PRIu64 ".json", dir,
			    ns->dev, ns->ino);
		}
		s = &wa->v[k];
		snprintf(s->label, sizeof(s->label), "%s", ns->label);
		s->w.netns = s->label;
		memset(&err, 0, sizeof(err));
		if (netns_enter_info(ns, &err) < 0) {
			cmd_warn(ctx, "%s", err.msg);
			continue;
		}
		snprintf(ctx->netns_label, sizeof(ctx->netns_label), "%s", ns->label);
		co->state_file = s->state;
		s->w.rows = wa->rows;		/* one table: the header every HEADER_EVERY rows */
		status = sample(&s->w, co, s->done);
		wa->rows = s->w.rows;
		s->done++;
		memset(&err, 0, sizeof(err));
		if (netns_return(wa->self, &err) < 0 && status == 0)
			status = cmd_fail_err(ctx, &err);
	}
	netns_list_free(&l);
	return status;
}

/* Sleep until deadline (CLOCK_MONOTONIC ns) or a signal. */
static void
sleep_until(int64_t deadline)
{
	struct timespec ts = { (time_t)(deadline / 1000000000), (long)(deadline % 1000000000) };

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}



int
cmd_watch(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval",	required_argument, NULL, 'i' },
		{ "count",	required_argument, NULL, 'n' },
		CHECK_LONGOPTS,
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct watch w = { .ctx = ctx };
	struct watch_all wa = { .self = -1 };
	struct check_opts co;
	char dir[PATH_MAX], state[PATH_MAX + 16];
	struct td_err err = { 0 };
	double interval = 5;
	int64_t count = 0, done = 0;
	int64_t next;
	int ch, status = TD_EXIT_OK;

	check_opts_init(&co, ctx);
	while ((ch = cmd_getopt(ctx, argc, argv, "i:n:c:", opts, &status)) != -1) {
		switch (check_opt(ctx, &co, ch, optarg, TD_EXIT_USAGE)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_USAGE;
		}
		switch (ch) {
		case 'i':
			if (td_num_double(optarg, 0.1, 86400, &interval, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE,
				    "--interval: '%s' is not a number of seconds from 0.1 to 86400", optarg);
			break;
		case 'n':
			if (td_num_i64(optarg, 1, INT64_MAX, &count, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--count: '%s' is not a positive number",
				    optarg);
			break;
		default:
			return status;
		}
	}
	if (optind < argc)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (ctx->format == TD_FMT_NDJSON)
		ctx->format = TD_FMT_JSON;
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "this command prints table or ndjson (-j)");
	co.format = ctx->format;

	/*
	 * A private state file: the analyzers' memory from one sample to the
	 * next, in /tmp/tcpdoctor-watch-PID-START-RAND (0700).  The directory
	 * of a watch that was killed is removed by the next one (safefile.h).
	 */
	if (safefile_mkdtemp(dir, sizeof(dir), "/tmp", "tcpdoctor-watch", &err) < 0)
		return cmd_fail(ctx, TD_EXIT_CANTCREAT, "cannot make a directory for the state file: %s",
		    err.msg);
	snprintf(state, sizeof(state), "%s/state.json", dir);
	co.state_file = state;
	/*
	 * Samples come at the interval the user chose: rates over it, however
	 * short; half of it leaves room for the jitter of the wake-ups.
	 */
	co.min_window_ns = (int64_t)(interval * 1e9 / 2);

	tfs_guard(TFS_SIG_STOP);
	next = mono_ns();
	if (ctx->all_netns) {
		wa.v = calloc(WATCH_MAX_NETNS, sizeof(*wa.v));
		wa.self = netns_self_fd(&err);
		if (wa.v == NULL || wa.self < 0) {
			free(wa.v);
			safefile_rmdtemp(dir);
			return wa.v == NULL ? cmd_fail(ctx, TD_EXIT_OSERR, "out of memory") :
			    cmd_fail_err(ctx, &err);
		}
	}
	while (!stop && (count == 0 || done < count)) {
		status = ctx->all_netns ? sample_all(&wa, ctx, &co, dir) : sample(&w, &co, done);
		if (status != 0)
			break;
		done++;
		if (count != 0 && done >= count)
			break;
		next += (int64_t)(interval * 1e9);
		sleep_until(next);
	}
	if (ctx->all_netns) {
		close(wa.self);
		free(wa.v);
	}
	safefile_rmdtemp(dir);
	/* INT and TERM are the way to stop it, PIPE a reader gone: those end normally. */
	if (stop != 0 && stop != SIGINT && stop != SIGTERM && stop != SIGPIPE) {
		fflush(NULL);
		tfs_reraise(stop);
	}
	return status;
}
