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
#include "cmd/console.h"
#include "cmd/events.h"
#include "cmd/evopts.h"
#include "cmd/exit.h"
#include "cmd/findings.h"
#include "cmd/output.h"
#include "collectors/netns.h"
#include "collectors/snapfile.h"
#include "cmd/watch.h"
#include "cmd/watch_record.h"
#include "cmd/watch_events.h"
#include "collectors/sysctl.h"
#include "collectors/tracefs_inst.h"
#include "core/num.h"
#include "core/safefile.h"
#include "core/util.h"
#include "tcp/tm.h"


/*
 * Every terminating signal (tfs_guard(TFS_SIG_STOP): HUP of a dropped
 * session, QUIT, USR1, ALRM... not only INT and TERM) stops the loop, so
 * that the state directory in /tmp is removed; then the signal ends the
 * process as it would have.
 */
#define stop	tfs_stop_signal

/* Counters shown as rates, per second. */
const struct watch_rate watch_rates[] = {
	{ TD_CTR_ACTIVE_OPENS, "conn/s", "out" },
	{ TD_CTR_PASSIVE_OPENS, "acc/s", "in" },
	{ TD_CTR_TW, "tw/s", "tw" },
	{ TD_CTR_OUT_RSTS, "rst/s", "rst" },
	{ TD_CTR_LISTEN_DROPS, "drop/s", "drops" },
	{ TD_CTR_RETRANS_SEGS, "retr/s", "retr" },
	{ TD_CTR_ATTEMPT_FAILS, "", "failed" },
	{ TD_CTR_ESTAB_RESETS, "", "estrst" },
	{ TD_CTR_LISTEN_OVERFLOWS, "", "ovf" },
	{ TD_CTR_SYNCOOKIES_SENT, "", "cookies" },
	{ TD_CTR_TW_OVERFLOW, "", "twovf" },
	{ TD_CTR_ABORT_ON_TIMEOUT, "", "timeouts" },
	{ TD_CTR_SYN_RETRANS, "", "synretr" },
};
const size_t watch_nrates = sizeof(watch_rates) / sizeof(watch_rates[0]);
#define rates	watch_rates
#define NRATES	watch_nrates

/*
 * States shown as table columns.  The connecting and closing states that
 * pile up when a peer stops answering (SYN_SENT, FIN_WAIT1, LAST_ACK,
 * CLOSING) come after the original six, which keep their place.  NDJSON
 * carries every state.
 */
const struct watch_col watch_cols[] = {
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
const size_t watch_ncols = sizeof(watch_cols) / sizeof(watch_cols[0]);
#define cols	watch_cols
#define NCOLS	watch_ncols

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

	for (i = j = 0; i < w->nact; i++) {
		if (w->act[i].cleared)
			free(w->act[i].summary);
		else
			w->act[j++] = w->act[i];
	}
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
			if (w->nlog < WATCH_MAX_ACTIVE) {
				snprintf(w->log[w->nlog].key, sizeof(w->log[0].key), "%s", key);
				w->log[w->nlog].sev = cs->findings.v[i].severity;
				w->log[w->nlog].start_ns = a->since_ns;
				w->log[w->nlog++].clear_ns = 0;
			} else {
				w->log_dropped++;
			}
		}
		a->quiet = 0;
		a->sev = cs->findings.v[i].severity;
		free(a->summary);
		a->summary = strdup(cs->findings.v[i].summary);	/* NULL: shown by key only */
	}
	for (i = 0; i < w->nact; i++) {
		if (w->act[i].quiet < WATCH_CLEAR_AFTER)
			continue;
		w->act[i].cleared = true;
		for (j = w->nlog; j-- > 0;)
			if (w->log[j].clear_ns == 0 && strcmp(w->log[j].key, w->act[i].key) == 0) {
				w->log[j].clear_ns = cs->snap.meta.time_ns;
				break;
			}
	}
	if (w->samples++ == 0) {
		w->first_ns = cs->snap.meta.time_ns;
		memcpy(w->first_state, cs->by_state, sizeof(w->first_state));
	}
	w->last_ns = cs->snap.meta.time_ns;
	memcpy(w->last_state, cs->by_state, sizeof(w->last_state));
}

static double	rate(const struct check_state *cs, enum td_counter_id id);
_Static_assert(sizeof(watch_rates) / sizeof(watch_rates[0]) <= 16, "hist_rate holds 16 rates");

/* Listeners by accept-queue use (then SYN queue), the fullest first. */
static int
listener_cmp(const void *a, const void *b)
{
	const struct watch_listener *x = a, *y = b;
	double fx = x->backlog ? (double)x->accept_queue / (double)x->backlog : 0;
	double fy = y->backlog ? (double)y->accept_queue / (double)y->backlog : 0;

	if (fx != fy)
		return fx < fy ? 1 : -1;
	return x->syn_queue < y->syn_queue ? 1 : x->syn_queue > y->syn_queue ? -1 : 0;
}

/* What one sample's sockets add up to, for the console's top lists. */
static struct {
	struct td_tally	tw, eph, cw;	/* by destination, by destination, by process */
	uint64_t	listening[65536 / 64];	/* local ports that listen (dumped first) */
} tops;

/*
 * Called with every socket of a sample (check_opts.visit): TIME_WAIT by
 * destination; sockets on ephemeral local ports (ip_local_port_range, not
 * a listening port) by destination, the ports a destination uses up;
 * CLOSE_WAIT by process (the socket's uid when the owner is unknown).
 */
static void
tops_visit(void *arg, const struct td_snapshot *snap, const struct td_sock *sk)
{
	const struct td_sysval *range = &snap->sys.s[TD_SYS_PORT_RANGE];
	struct td_ep_key k;
	bool is_new;
	int s;

	(void)arg;
	if (sk->state == TD_ST_LISTEN) {
		tops.listening[sk->sport / 64] |= UINT64_C(1) << (sk->sport % 64);
		return;
	}
	memset(&k, 0, sizeof(k));
	k.addr = sk->dst;
	k.port = sk->dport;
	if (sk->state == TD_ST_TIME_WAIT && (s = tally_slot(&tops.tw, &k, sizeof(k), &is_new)) >= 0)
		tops.tw.ent[s].count++;
	if (range->readable && sk->sport >= range->v[0] && sk->sport <= range->v[1] &&
	    !(tops.listening[sk->sport / 64] & (UINT64_C(1) << (sk->sport % 64))) &&
	    (s = tally_slot(&tops.eph, &k, sizeof(k), &is_new)) >= 0)
		tops.eph.ent[s].count++;
	if (sk->state == TD_ST_CLOSE_WAIT) {
		memset(&k, 0, sizeof(k));
		k.extra = sk->has_owner ? (uint32_t)sk->pid : 0;
		if (sk->has_owner)
			memcpy(&k.addr, sk->comm, sizeof(k.addr) < sizeof(sk->comm) ? sizeof(k.addr) : sizeof(sk->comm));
		else
			k.port = 1;	/* unknown owner: one group */
		if ((s = tally_slot(&tops.cw, &k, sizeof(k), &is_new)) >= 0)
			tops.cw.ent[s].count++;
	}
}

/* The connection events of the run (cmd/watch_events.c); NULL with --no-events. */
static struct watch_events *events;

/* Every socket of a sample: the console's top lists, the recording, the listeners' drops for the events. */
static void
watch_visit(void *arg, const struct td_snapshot *snap, const struct td_sock *sk)
{
	struct watch *w = arg;

	if (w->console)
		tops_visit(NULL, snap, sk);
	if (w->rec != NULL)
		wrec_sock(w->rec, sk, snap->meta.time_ns);
	watch_events_visit(w, sk);
}

/* The sample's owner map: the owners of the events' sockets, for nothing (watch_events.h). */
static void
watch_owner_map(void *arg, const struct procs_map *m, bool all, const struct procs_stats *st)
{
	watch_events_owner_map(arg, m, all, st);
}

/* The largest groups of t into out[] (at most WATCH_TOP); what == 'p' names processes. */
static size_t
tops_fill(const struct td_tally *t, struct watch_group *out, char what)
{
	int idx[WATCH_TOP];
	size_t i, n = tally_top(t, idx, WATCH_TOP);
	const struct td_ep_key *k;
	char comm[17];

	for (i = 0; i < n; i++) {
		k = (const void *)t->ent[idx[i]].key;
		out[i].n = t->ent[idx[i]].count;
		if (what != 'p') {
			td_ep_str(&k->addr, k->port, out[i].name, sizeof(out[i].name));
		} else if (k->port == 1) {
			snprintf(out[i].name, sizeof(out[i].name), "(owner unknown)");
		} else {
			memcpy(comm, &k->addr, 16);
			comm[16] = '\0';
			snprintf(out[i].name, sizeof(out[i].name), "%s[%u]", comm, (unsigned int)k->extra);
		}
	}
	return n;
}

/* The rest of the data model: history for the sparklines, top listeners, the header. */
static void
model_update(struct watch *w, const struct check_state *cs)
{
	const struct listener_stats *ls = &cs->listeners;
	static struct watch_listener all[TD_TALLY_CAP];
	size_t i, n = 0, h = w->hist_pos;
	int s;

	memcpy(w->hist_state[h], cs->by_state, sizeof(w->hist_state[h]));
	for (i = 0; i < NRATES; i++)
		w->hist_rate[h][i] = rate(cs, rates[i].id);
	w->hist_pos = (h + 1) % WATCH_HIST;
	if (w->nhist < WATCH_HIST)
		w->nhist++;
	for (i = 0; i < TD_TALLY_CAP; i++) {
		const struct td_tally_ent *e = &ls->listeners.ent[i];
		const struct td_ep_key *k = (const void *)e->key;

		if (!e->used)
			continue;
		td_ep_str(&k->addr, k->port, all[n].ep, sizeof(all[n].ep));
		all[n].accept_queue = e->n[0];
		all[n].backlog = e->n[1];
		s = tally_lookup(&ls->requests, e->key, sizeof(*k));
		all[n].syn_queue = s >= 0 ? ls->requests.ent[s].count : 0;
		n++;
	}
	qsort(all, n, sizeof(all[0]), listener_cmp);
	w->ntop = n < WATCH_TOP ? n : WATCH_TOP;
	memcpy(w->top, all, w->ntop * sizeof(all[0]));
	w->ntw_dest = tops_fill(&tops.tw, w->tw_dest, 'd');
	w->neph_dest = tops_fill(&tops.eph, w->eph_dest, 'd');
	w->ncw_proc = tops_fill(&tops.cw, w->cw_proc, 'p');
	snprintf(w->host, sizeof(w->host), "%s", cs->snap.meta.host);
	snprintf(w->netns, sizeof(w->netns), "%s", cs->snap.meta.netns);
	w->worst = td_findings_worst(&cs->findings);
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

void
watch_table_head(FILE *fp, bool netns, bool with_events)
{
	size_t i;

	if (netns)
		fprintf(fp, "%-16s ", "netns");
	fprintf(fp, "%-8s", "time");
	for (i = 0; i < NCOLS; i++)
		fprintf(fp, " %9s", cols[i].col);
	for (i = 0; i < NRATES; i++)
		if (rates[i].col[0] != '\0')
			fprintf(fp, " %8s", rates[i].col);
	if (with_events)
		watch_events_table_head(fp);
	fputs("  findings\n", fp);
}

static void
table_row(struct watch *w, const struct check_state *cs)
{
	FILE *fp = w->ctx->out;
	char t[32], key[sizeof(w->act[0].key)];
	struct watch_active *a;
	size_t i;
	double r;

	if (w->rows++ % WATCH_HEADER_EVERY == 0)
		watch_table_head(fp, w->nslabel != NULL, w->events);
	td_time_utc(cs->snap.meta.time_ns, t, sizeof(t), 0);
	if (w->nslabel != NULL)
		fprintf(fp, "%-16s ", w->nslabel[0] != '\0' ? w->nslabel : "(current)");
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
	if (w->events)
		watch_events_table_cells(fp, w);
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

static json_t *
json_sample(struct watch *w, const struct check_state *cs)
{
	struct snapfile_head head = { &cs->snap.meta, "watch", SNAPFILE_HEAD_NETNS };
	json_t *o, *states, *rt, *fa, *added, *cleared, *active;
	char t[40], key[sizeof(w->act[0].key)];
	struct watch_active *a;
	unsigned int st;
	size_t i;
	double r;

	o = snapfile_line_head(&head);
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
		td_time_utc(a->since_ns, t, sizeof(t), TD_TIME_DATE);
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
	if (w->events)
		json_object_set_new(o, "events", watch_events_json(w));
	return o;
}

/* The sample's exposition: check --format prometheus's families, then the events'. */
static int
prom_render(struct watch *w, const struct check_state *cs, FILE *fp)
{
	struct check_report rep;
	char why[320];

	memset(&rep, 0, sizeof(rep));
	rep.snap = &cs->snap;
	rep.sockets = cs->sockets;
	memcpy(rep.by_state, cs->by_state, sizeof(rep.by_state));
	rep.listeners = &cs->listeners;
	rep.analyzers = cs->nanalyzers;
	rep.interval_s = cs->run.ax.delta.known ? cs->run.ax.delta.interval_s : 0;
	rep.findings = &cs->findings;
	rep.unseen = &cs->unseen;
	rep.worst = td_findings_worst(&cs->findings);
	rep.status = rep.worst == TD_SEV_CRITICAL ? TD_EXIT_CRITICAL :
	    rep.worst == TD_SEV_WARNING ? TD_EXIT_WARNING : TD_EXIT_OK;
	if (check_blind_verdict(cs, why, sizeof(why))) {
		rep.status = TD_EXIT_UNKNOWN;
		rep.error = why;
	}
	if (findings_prometheus(fp, &rep) < 0)
		return -1;
	return w->events ? watch_events_prometheus(fp, w) : 0;
}

/*
 * The sample as check --format prometheus writes it (and the events'
 * counters), to path, replaced atomically (core/safefile.h), so
 * node_exporter's textfile collector never reads half a file.  A verdict
 * that rests on what could not be seen is UNKNOWN there too
 * (tcpdoctor_up 0, with the reason).  -A: the namespace's exposition is
 * kept in w->prom, and prom_all() writes them joined.
 */
static int
prom_sample(struct watch *w, const struct check_state *cs, const char *path)
{
	struct td_err err = { 0 };
	struct safefile sf;
	FILE *m;
	int rc;

	if (w->nslabel != NULL) {
		free(w->prom);
		w->prom = NULL;
		w->nprom = 0;
		if ((m = open_memstream(&w->prom, &w->nprom)) == NULL)
			return cmd_fail(w->ctx, TD_EXIT_OSERR, "out of memory");
		rc = prom_render(w, cs, m);
		if (fclose(m) != 0 || rc < 0)
			return cmd_fail(w->ctx, TD_EXIT_OSERR, "out of memory");
		return 0;
	}
	if (safefile_create(&sf, "output", path, 0, 0644, &err) < 0)
		return cmd_fail(w->ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
	/* A failed write is reported by safefile_commit(), naming the file. */
	if (prom_render(w, cs, sf.fp) < 0 && sf.werr == 0) {
		safefile_abort(&sf);
		return cmd_fail(w->ctx, TD_EXIT_CANTCREAT, "output '%s': cannot render the report", path);
	}
	if (safefile_commit(&sf, &err) < 0)
		return cmd_fail(w->ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
	return 0;
}

/*
 * A sample that failed: the file says so (tcpdoctor_up 0, status 3, the
 * error), so a monitor reading it does not keep the last good sample.
 */
static void
prom_failed(const char *path, const char *error)
{
	struct td_snapshot snap;
	struct check_report rep;
	struct td_err err = { 0 };
	struct timespec ts;

	memset(&snap, 0, sizeof(snap));
	if (clock_gettime(CLOCK_REALTIME, &ts) == 0)
		snap.meta.time_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	memset(&rep, 0, sizeof(rep));
	rep.snap = &snap;
	rep.status = TD_EXIT_UNKNOWN;
	rep.error = error != NULL && error[0] != '\0' ? error : "the sample failed";
	(void)findings_write_file(path, findings_prometheus, &rep, &err);
}

/* What changed over the run: see watch.h. */
void
watch_summary(const struct watch *w, FILE *fp)
{
	char a[16], b[16];
	unsigned int st;
	size_t i, cleared = 0;
	const struct watch_log *l;

	td_time_utc(w->first_ns, a, sizeof(a), 0);
	td_time_utc(w->last_ns, b, sizeof(b), 0);
	for (i = 0; i < w->nlog; i++)
		cleared += w->log[i].clear_ns != 0;
	fprintf(fp, "summary: %llu samples from %s to %s (%.0f s); %llu findings started, %zu cleared, %llu still active\n",
	    (unsigned long long)w->samples, a, b, (double)(w->last_ns - w->first_ns) / 1e9,
	    (unsigned long long)(w->nlog + w->log_dropped), cleared,
	    (unsigned long long)(w->nlog + w->log_dropped - cleared));
	for (st = 1; st < TD_ST_MAX; st++)
		if (st != TD_ST_NEW_SYN_RECV && w->first_state[st] != w->last_state[st])
			fprintf(fp, "  %-12s %llu -> %llu\n", td_state_name(st),
			    (unsigned long long)w->first_state[st], (unsigned long long)w->last_state[st]);
	for (i = 0; i < w->nlog; i++) {
		l = &w->log[i];
		td_time_utc(l->start_ns, a, sizeof(a), 0);
		if (l->clear_ns != 0) {
			td_time_utc(l->clear_ns, b, sizeof(b), 0);
			fprintf(fp, "  + %s %-8s %s, cleared %s (%.0f s)\n", a, td_severity_name(l->sev),
			    l->key, b, (double)(l->clear_ns - l->start_ns) / 1e9);
		} else {
			fprintf(fp, "  + %s %-8s %s, still active (%.0f s)\n", a, td_severity_name(l->sev),
			    l->key, (double)(w->last_ns - l->start_ns) / 1e9);
		}
	}
	if (w->log_dropped > 0)
		fprintf(fp, "  and %llu more findings started (not listed: at most %d are)\n",
		    (unsigned long long)w->log_dropped, WATCH_MAX_ACTIVE);
	if (w->events)
		watch_events_summary(fp, w);
}

/*
 * The connections that ended in the interval (watch_events_keep()), each
 * as `events` prints it: a record before the sample's (-j), or a row
 * under "  ~ " (the table), with --connections; and into the recording.
 * Returns 0, or the exit status after printing the error.
 */
static int
sample_conns(struct watch *w, const struct check_state *cs)
{
	const struct watch_ev *e = w->ev;
	struct td_err err = { 0 };
	bool print = w->connections && w->output == NULL && !w->console;
	json_t *o;
	size_t i;

	if (e->conns_over > 0)
		cmd_warn(w->ctx, "%" PRIu64 " connections of this interval not %s: more than %d",
		    e->conns_over, w->rec != NULL ? "recorded one by one" : "printed", WEV_KEEP);
	for (i = 0; i < e->nconns && (print || w->rec != NULL); i++) {
		o = events_conn_json(&e->conns[i], &cs->snap.meta);
		if (o == NULL)
			return cmd_fail(w->ctx, TD_EXIT_OSERR, "out of memory");
		if (w->rec != NULL && wrec_event(w->rec, o, e->conns[i].time_ns, &err) < 0) {
			json_decref(o);
			return cmd_fail(w->ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
		}
		if (print && w->ctx->format == TD_FMT_JSON) {
			(void)output_json_line(w->ctx->out, o);
			continue;
		}
		json_decref(o);
		if (print) {
			fputs("  ~ ", w->ctx->out);
			events_conn_row(w->ctx->out, &e->conns[i]);
		}
	}
	return 0;
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

	json_t *obj = NULL;
	struct td_err rerr = { 0 };

	if (w->console)
		memset(&tops, 0, sizeof(tops));	/* this namespace's sockets only */
	if (w->rec != NULL)
		wrec_begin(w->rec);
	co->visit_arg = w;
	co->owner_hint = w->owner_hint;
	watch_events_begin(events, w);
	status = check_collect(ctx, co, &cs, -1);
	/* The next sample's owner map is sized by this one's. */
	w->owner_hint = status == 0 ? cs.src.owner_inodes : 0;
	if (status != 0) {
		if (w->rec != NULL)
			wrec_failed(w->rec);
		if (w->output != NULL)
			prom_failed(w->output, check_last_error());
		check_state_free(&cs);
		return status;
	}
	/* The connections since the previous sample, and their findings (failed connects, died young). */
	if (w->events) {
		struct td_err err = { 0 };

		/* Playback: the recorded connections of the sample's interval. */
		if ((ctx->rec_sample != NULL ?
		    watch_events_replay(w, ctx->rec_sample, &cs.snap, &cs.findings, &err) :
		    watch_events_sample(events, w, &cs.snap, &cs.findings, &err)) < 0 ||
		    td_findings_check(&cs.findings, &err) < 0) {
			check_state_free(&cs);
			return cmd_fail_err(ctx, &err);
		}
		td_findings_sort(&cs.findings);
	}
	/* Each connection of the interval: printed (--connections) and recorded, before the sample. */
	if (w->ev != NULL && (status = sample_conns(w, &cs)) != 0) {
		check_state_free(&cs);
		return status;
	}
	/* What it could not see, once (it rarely changes between samples). */
	if (done == 0)
		unseen_warn(ctx, &cs.unseen);
	active_update(w, &cs);
	if (w->console)
		model_update(w, &cs);
	if (w->output != NULL) {
		status = prom_sample(w, &cs, w->output);
		if (status != 0) {
			check_state_free(&cs);
			return status;
		}
	} else if (w->console) {
		/* -A: drawn by the caller once every namespace is sampled. */
		if (w->nslabel == NULL && !w->quiet)
			console_draw(w);
	} else if (ctx->format == TD_FMT_JSON) {
		obj = json_sample(w, &cs);
		(void)output_json_line(ctx->out, json_incref(obj));
	} else {
		table_row(w, &cs);
	}
	/* The recording keeps what the NDJSON line said, whatever was printed. */
	if (w->rec != NULL) {
		if (obj == NULL)
			obj = json_sample(w, &cs);
		if (wrec_sample(w->rec, w, &cs, obj, &rerr) < 0) {
			json_decref(obj);
			check_state_free(&cs);
			return cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", rerr.msg);
		}
	}
	json_decref(obj);
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

int
watch_sample(struct watch *w, struct check_opts *co, long done)
{
	return sample(w, co, done);
}

/* ---- -A: every namespace, each with its own memory ---- */

#define WATCH_MAX_NETNS	1024	/* namespaces remembered; more are said, not watched */

struct watch_ns {
	uint64_t	dev, ino;
	struct watch	w;
	char		label[256];
	char		state[PATH_MAX + 32];	/* its state file in the private directory */
	long		done;			/* its samples so far */
	uint64_t	round;			/* the last round of samples it was in */
};

struct watch_all {
	struct watch_ns	*v;
	size_t		 n;
	int		 self;			/* the caller's own namespace */
	unsigned int	 rows;			/* table rows printed, all namespaces */
	bool		 full_said;
	bool		 console;		/* the console draws one (n, N pick it) */
	double		 interval_s;
	bool		 events;		/* the connection events are followed */
	bool		 connections;		/* --connections */
	bool		 untraced_said;		/* the warning that transitions are not traced */
	const char	*output;		/* -o FILE: one textfile, every namespace labelled */
	uint64_t	 round;			/* rounds of samples so far */
	json_t		*unseen;		/* this round's namespaces not entered */
};

/*
 * -A -o FILE: this round's expositions joined (each family once, every
 * sample with its netns label, tcpdoctor_netns_unseen for those not
 * entered), replaced atomically like one namespace's.
 */
static int
prom_all(struct watch_all *wa, struct td_ctx *ctx)
{
	struct prom_merge *pm;
	struct td_err err = { 0 };
	struct safefile sf;
	size_t k;
	int rc;

	if (safefile_create(&sf, "output", wa->output, 0, 0644, &err) < 0)
		return cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
	if ((pm = cmd_prom_merge_new()) == NULL) {
		safefile_abort(&sf);
		return cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
	}
	for (k = 0; k < wa->n; k++)
		if (wa->v[k].round == wa->round && wa->v[k].w.prom != NULL)
			cmd_prom_merge_take(pm, wa->v[k].w.prom, wa->v[k].w.nprom,
			    wa->v[k].label[0] != '\0' ? wa->v[k].label : "(current)");
	rc = cmd_prom_merge_flush(pm, sf.fp, wa->unseen);
	if (rc < 0 && sf.werr == 0) {
		safefile_abort(&sf);
		return cmd_fail(ctx, TD_EXIT_OSERR, "output '%s': out of memory", wa->output);
	}
	if (safefile_commit(&sf, &err) < 0)
		return cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
	return 0;
}

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
	wa->round++;
	json_decref(wa->unseen);
	wa->unseen = json_array();
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
			s->w.console = wa->console;
			s->w.events = wa->events;
			s->w.connections = wa->connections;
			s->w.interval_s = wa->interval_s;
			s->w.output = wa->output;
			snprintf(s->state, sizeof(s->state), "%s/state-%" PRIu64 "-%" PRIu64 ".json", dir,
			    ns->dev, ns->ino);
		}
		s = &wa->v[k];
		snprintf(s->label, sizeof(s->label), "%s", ns->label);
		s->w.nslabel = s->label;
		memset(&err, 0, sizeof(err));
		if (netns_enter_info(ns, &err) < 0) {
			cmd_warn(ctx, "%s", err.msg);
			json_array_append_new(wa->unseen, json_pack("{s:s, s:s}", "netns", ns->label,
			    "reason", err.code == ENOENT ? "vanished" : "not entered"));
			continue;
		}
		if (s->done == 0 && wa->events) {
			const char *why;

			/* Its own destroy notifications: the socket is bound to the namespace it is made in. */
			/* Unavailable: said for each namespace; untraced (the same for all): once. */
			if (watch_events_attach(events, &s->w, &why) < 0 && why != NULL)
				cmd_warn(ctx, "netns %s: %s", ns->label[0] != '\0' ? ns->label : "(current)", why);
			else if (why != NULL && !wa->untraced_said)
				cmd_warn(ctx, "%s", why);
			wa->untraced_said |= why != NULL && s->w.ev != NULL && s->w.ev->available;
		}
		snprintf(ctx->netns_label, sizeof(ctx->netns_label), "%s", ns->label);
		co->state_file = s->state;
		s->w.rows = wa->rows;		/* one table: the header every WATCH_HEADER_EVERY rows */
		status = sample(&s->w, co, s->done);
		wa->rows = s->w.rows;
		s->done++;
		s->round = wa->round;
		memset(&err, 0, sizeof(err));
		if (netns_return(wa->self, &err) < 0 && status == 0)
			status = cmd_fail_err(ctx, &err);
	}
	netns_list_free(&l);
	if (status == 0 && wa->output != NULL)
		status = prom_all(wa, ctx);
	return status;
}

/* -A: the namespace the console shows (console_view(), n and N), numbered for its header. */
static const struct watch *
all_view(struct watch_all *wa)
{
	size_t i = console_view() % wa->n;

	wa->v[i].w.ns_index = i;
	wa->v[i].w.ns_count = wa->n;
	return &wa->v[i].w;
}

/* Sleep until deadline (CLOCK_MONOTONIC ns) or a signal. */
static void
sleep_until(int64_t deadline)
{
	struct timespec ts = { (time_t)(deadline / 1000000000), (long)(deadline % 1000000000) };

	while (!stop && clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}




int
cmd_watch(struct td_ctx *ctx, int argc, char **argv)
{
	enum { OPT_SPEED = 0x3000, OPT_CONNECTIONS };
	static const struct option opts[] = {
		EVOPT_LONGOPTS,
		{ "interval",	required_argument, NULL, 'i' },
		{ "count",	required_argument, NULL, 'n' },
		{ "output",	required_argument, NULL, 'o' },
		{ "speed",	required_argument, NULL, OPT_SPEED },
		{ "at",		required_argument, NULL, CMD_OPT_AT },
		{ "no-events",	no_argument,	   NULL, 0x100 },
		{ "connections", no_argument,	   NULL, OPT_CONNECTIONS },
		CHECK_LONGOPTS,
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	static struct watch w;		/* large: keep it off the stack */
	struct watch_all wa = { .self = -1 };
	struct check_opts co;
	char dir[PATH_MAX], state[PATH_MAX + 16];
	struct td_err err = { 0 };
	double interval = 5;
	struct evopts eo;
	int64_t done = 0;
	int64_t next, start;
	const char *output = NULL, *at = NULL;
	static struct wrec rec;
	double speed = -1;
	int ch, status = TD_EXIT_OK;
	bool console, no_events = false, connections = false;
	const struct watch *view;
	enum console_next cn;
	size_t i, k;

	memset(&w, 0, sizeof(w));
	w.ctx = ctx;
	check_opts_init(&co, ctx);
	evopts_init(&eo, 'n');
	while ((ch = cmd_getopt(ctx, argc, argv, "i:n:d:o:c:", opts, &status)) != -1) {
		switch (check_opt(ctx, &co, ch, optarg, TD_EXIT_USAGE)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_USAGE;
		}
		switch (evopts_parse(ctx, &eo, ch, optarg)) {
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
		case 'o':
			output = optarg;
			break;
		case OPT_SPEED:
			if (td_num_double(optarg, 0, 1e6, &speed, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--speed: '%s' is not a factor from 0 "
				    "(as fast as possible) to 1000000", optarg);
			break;
		case CMD_OPT_AT:
			at = optarg;
			break;
		case 0x100:
			no_events = true;
			break;
		case OPT_CONNECTIONS:
			connections = true;
			break;
		default:
			return status;
		}
	}
	if (optind < argc)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[optind]);
	if (ctx->format == TD_FMT_NDJSON)
		ctx->format = TD_FMT_JSON;
	if (ctx->from != NULL) {
		/* Playback of a recording (cmd/watch_record.c). */
		if (eo.record != NULL || output != NULL || ctx->all_netns)
			return cmd_fail(ctx, TD_EXIT_USAGE, "--from plays a recording back: %s does not apply",
			    eo.record != NULL ? "--record" : output != NULL ? "-o" : "-A");
		if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON)
			return cmd_fail(ctx, TD_EXIT_USAGE, "a recording plays back as table or ndjson (-j)");
		struct wrec_play_opts po = {
			/* -n alone: as fast as possible; else the recorded pace. */
			.speed = speed >= 0 ? speed : eo.count != 0 ? 0 : 1,
			.count = eo.count, .at = at, .connections = connections,
		};

		/* On a terminal, and no format asked for: the console, as live. */
		if (ctx->format == TD_FMT_TABLE && console_wanted(ctx)) {
			co.format = ctx->format;
			co.visit = watch_visit;
			co.visit_arg = &w;
			return wrec_console(ctx, &po, &w, &co);
		}
		return wrec_play(ctx, &po);
	}
	if (connections && (no_events || output != NULL))
		return cmd_fail(ctx, TD_EXIT_USAGE, "--connections prints the connection events: not with %s",
		    no_events ? "--no-events" : "-o");
	if (speed >= 0 || at != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s goes with --from RECORDING (playback)",
		    speed >= 0 ? "--speed" : "--at");
	if (eo.record != NULL && (ctx->all_netns || output != NULL))
		return cmd_fail(ctx, TD_EXIT_USAGE, "--record records one namespace's samples: not with %s",
		    ctx->all_netns ? "-A" : "-o");
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON &&
	    ctx->format != TD_FMT_PROMETHEUS)
		return cmd_fail(ctx, TD_EXIT_USAGE, "this command prints table, ndjson (-j) or prometheus (with -o FILE)");
	if (ctx->format == TD_FMT_PROMETHEUS && output == NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "--format prometheus needs -o FILE (a textfile for node_exporter, rewritten every interval)");
	if (ctx->format != TD_FMT_PROMETHEUS && output != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "-o FILE goes with --format prometheus only");
	w.output = output;
	wa.output = output;
	co.format = ctx->format;
	/* On a terminal, and no format asked for: the console (cmd/console.c). */
	console = ctx->format == TD_FMT_TABLE && output == NULL && console_wanted(ctx);

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

	if (eo.record != NULL) {
		if (wrec_open(&rec, eo.record, eo.record_max, interval, &err) < 0) {
			safefile_rmdtemp(dir);
			return cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
		}
		w.rec = &rec;
	}
	tfs_guard(TFS_SIG_STOP);
	/*
	 * The connection events between samples (cmd/watch_events.c): the
	 * trace session now, each namespace's notifications when it is first
	 * sampled (-A) or here.  Unavailable is said, and shown as unknown.
	 */
	if (!no_events) {
		struct td_sysctls sys;
		struct tm_profile prof;
		const char *why;

		memset(&sys, 0, sizeof(sys));
		(void)sysctl_read(ctx->proc_root, &sys, &err);
		memset(&err, 0, sizeof(err));
		prof = tm_profile_from_values(sysctl_value, &sys);
		events = watch_events_start(ctx, (int64_t)tm_syn_giveup(&prof), tm_syn_rtx_count(&prof));
		w.events = wa.events = true;
		if (eo.record != NULL || connections)
			watch_events_keep(events);
		if (!ctx->all_netns && (watch_events_attach(events, &w, &why), why != NULL))
			cmd_warn(ctx, "%s", why);
	}
	if (console && console_open(&err) < 0) {
		/* Not silently: say why, and print the table instead. */
		fprintf(stderr, "tcpdoctor: watch: %s\n", err.msg);
		console = false;
	}
	w.interval_s = wa.interval_s = interval;
	w.console = wa.console = console;
	w.connections = wa.connections = connections;
	if (console)
		console_draw(&w);
	start = next = td_mono_ns();
	co.visit = watch_visit;
	co.visit_arg = &w;
	co.owner_map = watch_owner_map;
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
	while (!stop && (eo.count == 0 || done < eo.count)) {
		if (eo.count != 0 && done + 1 >= eo.count)
			watch_events_final(events);
		status = ctx->all_netns ? sample_all(&wa, ctx, &co, dir) : sample(&w, &co, done);
		/* -A: the console shows one namespace at a time; n and N step through them. */
		if (console && ctx->all_netns && status == 0 && wa.n > 0)
			console_draw(all_view(&wa));
		if (status != 0)
			break;
		done++;
		if (eo.count != 0 && done >= eo.count)
			break;
		next += (int64_t)(interval * 1e9);
		if (eo.duration > 0 && (double)(next - start) > eo.duration * 1e9)
			break;
		if (!console) {
			sleep_until(next);
		} else {
			do {
				view = ctx->all_netns && wa.n > 0 ? all_view(&wa) : &w;
				if ((cn = console_wait(view, next, &stop)) == CONSOLE_VIEW)
					console_draw(all_view(&wa));
			} while (cn == CONSOLE_VIEW);
			if (cn == CONSOLE_QUIT)
				break;
		}
		/* After a pause, sample from now on, not a burst to catch up. */
		if (console && td_mono_ns() > next + (int64_t)(interval * 1e9))
			next = td_mono_ns();
	}
	/* The terminal first: every message after this is readable. */
	console_close();
	watch_events_stop(events);
	events = NULL;
	safefile_rmdtemp(dir);
	if (w.rec != NULL) {
		memset(&err, 0, sizeof(err));
		if (wrec_close(w.rec, &err) < 0 && status == TD_EXIT_OK)
			status = cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
		w.rec = NULL;
	}
	for (i = 0; i < w.nact; i++)
		free(w.act[i].summary);
	for (k = 0; ctx->all_netns && k < wa.n; k++)
		for (i = 0; i < wa.v[k].w.nact; i++)
			free(wa.v[k].w.act[i].summary);
	/*
	 * What changed over the run, after the last sample of a run that did
	 * not fail (a failure is one message): on stdout under the table; on
	 * stderr with NDJSON (every stdout line stays a sample) and with
	 * prometheus (stdout is not the report).  -A: one per namespace.
	 */
	if (stop != SIGPIPE && status == TD_EXIT_OK) {
		FILE *sfp = ctx->format == TD_FMT_TABLE ? ctx->out : stderr;

		if (!ctx->all_netns && w.samples > 0)
			watch_summary(&w, sfp);
		for (k = 0; ctx->all_netns && k < wa.n; k++)
			if (wa.v[k].w.samples > 0) {
				fprintf(sfp, "netns %s:\n", wa.v[k].label[0] != '\0' ? wa.v[k].label : "(current)");
				watch_summary(&wa.v[k].w, sfp);
			}
		fflush(NULL);
	}
	watch_ev_free(&w);
	for (k = 0; ctx->all_netns && k < wa.n; k++) {
		watch_ev_free(&wa.v[k].w);
		free(wa.v[k].w.prom);
	}
	if (ctx->all_netns) {
		close(wa.self);
		free(wa.v);
		json_decref(wa.unseen);
	}
	/* INT and TERM are the way to stop it, PIPE a reader gone: those end normally. */
	if (stop != 0 && stop != SIGINT && stop != SIGTERM && stop != SIGPIPE) {
		fflush(NULL);
		tfs_reraise(stop);
	}
	return status;
}
