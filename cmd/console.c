/* SPDX-License-Identifier: MIT */
/*
 * The console of `watch` (see console.h).  One screen, drawn from the data
 * model every sample and on every key:
 *
 *	header		host, namespace, time, interval, status, paused
 *	1 sockets	every state with its count and a sparkline of the last samples
 *	2 rates		per second from counter deltas, with sparklines
 *	3 top		listeners (accept queue against backlog, SYN queue), destinations
 *			by TIME_WAIT and by ephemeral ports, processes by CLOSE_WAIT
 *	4 findings	active, with severity and age; sorted by s
 *	5 history	findings that started during the run, and when they cleared
 *	6 connections	the connection events since the last sample, per destination
 *			and listener (cmd/watch_events.h), and the events lost
 *	footer		the keys
 *
 * In 80x24 every panel gets its rows; a taller terminal gives the extra
 * rows to connections and findings, a wider one to the sparklines.  With
 * -A, n and N step through the namespaces (the header says which).  A digit shows that
 * panel alone on the whole screen (the same digit again, or 0, returns).
 * Text wider than the screen is cut at its edge on the overview; the
 * panel alone wraps it, so every word can be read.
 */
#define _XOPEN_SOURCE_EXTENDED 1
#include "cmd/console.h"

#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curses.h>

#include "analyzers/tally.h"
#include "cmd/cmd.h"
#include "cmd/watch_events.h"
#include "collectors/events.h"
#include "collectors/recording.h"
#include "core/err.h"
#include "core/util.h"

#define MIN_COLS	80
#define MIN_LINES	24

enum { SORT_SEVERITY = 0, SORT_AGE, SORT_NAME, SORT_MAX };
static const char *const sort_names[SORT_MAX] = { "severity", "age", "name" };

static struct {
	bool	open;
	int	saved_stderr;	/* the real stderr while messages go to held */
	FILE	*held;		/* messages printed while the screen is ours */
	bool	utf8;		/* block characters for the sparklines */
	bool	paused;
	bool	help;
	int	panel;		/* 0: overview, 1-6: that panel alone */
	size_t	view;		/* -A: the namespace shown */
	int	sort;
	int	scroll;		/* first row of the panel alone */
	uint64_t seek;		/* playback: the sample asked for */
} con;

static void
restore_at_exit(void)
{
	console_close();
}

bool
console_wanted(const struct td_ctx *ctx)
{
	return !ctx->format_set && isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
}

int
console_open(struct td_err *err)
{
	static bool registered;
	const char *term = getenv("TERM");

	if (term == NULL || *term == '\0' || strcmp(term, "dumb") == 0)
		return td_errf(err, 0, "the console needs a terminal (TERM is '%s'); use --format table",
		    term != NULL ? term : "");
	/* Only the character type: numbers keep their '.' in every output. */
	setlocale(LC_CTYPE, "");
	con.utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
	if (initscr() == NULL)
		return td_errf(err, 0, "the console cannot start on this terminal");
	con.open = true;
	/*
	 * Messages (a warning, the error that ends the run) would write over
	 * the screen and vanish with it: they are held in a temporary file
	 * and printed once the terminal is restored.
	 */
	fflush(stderr);
	con.saved_stderr = -1;
	if ((con.held = tmpfile()) != NULL && (con.saved_stderr = dup(STDERR_FILENO)) >= 0)
		dup2(fileno(con.held), STDERR_FILENO);
	if (!registered) {
		atexit(restore_at_exit);
		registered = true;
	}
	cbreak();		/* keys at once; ^C and ^Z still signal */
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	if (has_colors()) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_RED, -1);
		init_pair(2, COLOR_YELLOW, -1);
		init_pair(3, COLOR_CYAN, -1);
	}
	return 0;
}

void
console_close(void)
{
	if (!con.open)
		return;
	con.open = false;
	curs_set(1);
	endwin();
	fflush(stdout);
	fflush(stderr);
	if (con.saved_stderr >= 0) {
		char buf[4096];
		size_t n;

		dup2(con.saved_stderr, STDERR_FILENO);
		close(con.saved_stderr);
		con.saved_stderr = -1;
		rewind(con.held);
		while ((n = fread(buf, 1, sizeof(buf), con.held)) > 0)
			if (fwrite(buf, 1, n, stderr) != n)
				break;
		fflush(stderr);
	}
	if (con.held != NULL)
		fclose(con.held);
	con.held = NULL;
}

/* "42s", "3m12s", "2h05m", "3d04h". */
static void
age_text(double s, char *buf, size_t len)
{
	long v = s > 0 ? (long)s : 0;

	if (v < 60)
		snprintf(buf, len, "%lds", v);
	else if (v < 3600)
		snprintf(buf, len, "%ldm%02lds", v / 60, v % 60);
	else if (v < 86400)
		snprintf(buf, len, "%ldh%02ldm", v / 3600, v / 60 % 60);
	else
		snprintf(buf, len, "%ldd%02ldh", v / 86400, v / 3600 % 24);
}

/* At row y, column x, at most width cells of text (the rest of it is cut at the edge). */
static void
put(int y, int x, int width, const char *text)
{
	if (width <= 0 || y >= LINES)
		return;
	mvaddnstr(y, x, text, width);
}

/* A sparkline of n values (negative: unknown, a blank) in width cells at y, x. */
static void
spark(int y, int x, int width, const double *v, size_t n)
{
	static const char *const blocks[] = { "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
	    "\u2587", "\u2588" };
	static const char ascii[] = "_.-:=+*#";
	double max = 0;
	size_t i, from;
	int k;

	if (width <= 0)
		return;
	from = n > (size_t)width ? n - (size_t)width : 0;
	for (i = from; i < n; i++)
		if (v[i] > max)
			max = v[i];
	move(y, x);
	for (i = from; i < n; i++) {
		if (v[i] < 0) {
			addch(' ');
			continue;
		}
		k = max > 0 ? (int)(v[i] / max * 7.0 + 0.5) : 0;
		if (k < 0)
			k = 0;
		if (k > 7)
			k = 7;
		if (con.utf8)
			addstr(blocks[k]);
		else
			addch((chtype)(unsigned char)ascii[k]);
	}
}

static void
title(int y, const char *text)
{
	attron(A_BOLD);
	put(y, 0, COLS, text);
	attroff(A_BOLD);
}

/* ---- Panels: each draws rows [y, y + h) and returns the rows it used ---- */

/* The states in the order of the table columns, then the rest. */
static const enum td_state state_order[] = {
	TD_ST_ESTABLISHED, TD_ST_SYN_RECV, TD_ST_TIME_WAIT, TD_ST_CLOSE_WAIT, TD_ST_FIN_WAIT2,
	TD_ST_LISTEN, TD_ST_SYN_SENT, TD_ST_FIN_WAIT1, TD_ST_LAST_ACK, TD_ST_CLOSING, TD_ST_CLOSE,
};
#define NSTATES	(sizeof(state_order) / sizeof(state_order[0]))

static int
panel_states(const struct watch *w, int y, int h, bool alone)
{
	static double v[WATCH_HIST];
	int per_col = alone ? (int)NSTATES : ((int)NSTATES + 1) / 2, ncols = alone ? 1 : 2;
	int colw = COLS / ncols, row, c;
	size_t i, k;
	char buf[64];

	title(y, "1 sockets per state (sparkline: the last samples)");
	for (k = 0; k < NSTATES; k++) {
		c = (int)k / per_col;
		row = y + 1 + (int)k % per_col;
		if (row >= y + h)
			continue;
		snprintf(buf, sizeof(buf), "%-12s %8llu ", td_state_name(state_order[k]),
		    (unsigned long long)(w->nhist ? w->last_state[state_order[k]] : 0));
		put(row, c * colw, colw, buf);
		for (i = 0; i < w->nhist; i++)
			v[i] = (double)w->hist_state[watch_hist_index(w, i)][state_order[k]];
		spark(row, c * colw + 22, colw - 24, v, w->nhist);
	}
	return 1 + per_col < h ? 1 + per_col : h;
}

/* The rates of the overview (the panel alone shows them all): connections in and out, resets, retransmits, listen overflows and drops, cookies, TIME_WAIT created. */
static const char *const overview_rates[] = { "in", "out", "rst", "retr", "ovf", "drops", "cookies", "tw", "timeouts" };

static bool
in_overview(const char *label)
{
	size_t i;

	for (i = 0; i < sizeof(overview_rates) / sizeof(overview_rates[0]); i++)
		if (strcmp(overview_rates[i], label) == 0)
			return true;
	return false;
}

static int
panel_rates(const struct watch *w, int y, int h, bool alone)
{
	static double v[WATCH_HIST];
	int per_row = alone ? 1 : 3, cellw = COLS / per_row, row, x, n = 0;
	size_t r, i, last;
	char buf[64];

	title(y, "2 rates per second (from counter deltas)");
	for (r = 0; r < watch_nrates; r++) {
		if (!alone && !in_overview(watch_rates[r].label))
			continue;
		row = y + 1 + n / per_row;
		x = (n % per_row) * cellw;
		if (row >= y + h)
			break;
		last = w->nhist ? watch_hist_index(w, w->nhist - 1) : 0;
		if (w->nhist == 0 || w->hist_rate[last][r] < 0)
			snprintf(buf, sizeof(buf), "%-8s %8s ", watch_rates[r].label, "-");
		else
			snprintf(buf, sizeof(buf), "%-8s %8.1f ", watch_rates[r].label, w->hist_rate[last][r]);
		put(row, x, cellw, buf);
		for (i = 0; i < w->nhist; i++)
			v[i] = w->hist_rate[watch_hist_index(w, i)][r];
		spark(row, x + 18, cellw - 19, v, w->nhist);
		n++;
	}
	return 1 + (n + per_row - 1) / per_row;
}

/* One listener row. */
static void
listener_row(const struct watch_listener *l, int row)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "listener %-36s accept %llu/%llu  syn %llu", l->ep,
	    (unsigned long long)l->accept_queue, (unsigned long long)l->backlog,
	    (unsigned long long)l->syn_queue);
	if (l->backlog > 0 && l->accept_queue >= l->backlog)
		attron(COLOR_PAIR(1) | A_BOLD);
	put(row, 2, COLS - 2, buf);
	attroff(COLOR_PAIR(1) | A_BOLD);
}

/* A list of groups, "what name n", from row; returns the next row. */
static int
group_rows(const char *what, const struct watch_group *g, size_t n, int row, int end, int x, int width)
{
	char buf[160];
	size_t i;

	if (n == 0 && row < end) {
		snprintf(buf, sizeof(buf), "%s: none", what);
		put(row++, x, width, buf);
	}
	for (i = 0; i < n && row < end; i++) {
		snprintf(buf, sizeof(buf), "%s %-32s %llu", what, g[i].name, (unsigned long long)g[i].n);
		put(row++, x, width, buf);
	}
	return row;
}

/*
 * The largest of the latest sample: listeners by accept-queue use (with
 * their limits) and SYN queue, destinations by TIME_WAIT and by ephemeral
 * ports in use, processes by CLOSE_WAIT.  The overview shows the first of
 * each; alone, WATCH_TOP of each.
 */
static int
panel_top(const struct watch *w, int y, int h, bool alone)
{
	size_t i, per = alone ? WATCH_TOP : 1;
	int row = y + 1, end = y + h, half = (COLS - 2) / 2;

	title(y, "3 top: listeners (queue/backlog, SYN queue), destinations, processes");
	if (w->ntop == 0 && row < end)
		put(row++, 2, COLS - 2, "listener: none");
	for (i = 0; i < w->ntop && i < per && row < end; i++)
		listener_row(&w->top[i], row++);
	if (alone) {
		row = group_rows("TIME_WAIT to", w->tw_dest, w->ntw_dest, row + 1, end, 2, COLS - 2);
		row = group_rows("ports to", w->eph_dest, w->neph_dest, row + 1, end, 2, COLS - 2);
		row = group_rows("CLOSE_WAIT", w->cw_proc, w->ncw_proc, row + 1, end, 2, COLS - 2);
		return row - y;
	}
	if (row < end) {
		group_rows("TIME_WAIT to", w->tw_dest, w->ntw_dest ? 1 : 0, row, row + 1, 2, half - 1);
		group_rows("ports to", w->eph_dest, w->neph_dest ? 1 : 0, row, row + 1, 2 + half, half);
		row++;
	}
	if (row < end)
		row = group_rows("CLOSE_WAIT", w->cw_proc, w->ncw_proc ? 1 : 0, row, row + 1, 2, COLS - 2);
	return row - y;
}

static const struct watch *sort_w;

static int
active_cmp(const void *a, const void *b)
{
	const struct watch_active *x = sort_w->act + *(const size_t *)a;
	const struct watch_active *y = sort_w->act + *(const size_t *)b;

	switch (con.sort) {
	case SORT_AGE:
		if (x->since_ns != y->since_ns)
			return x->since_ns < y->since_ns ? -1 : 1;
		break;
	case SORT_NAME:
		break;
	default:
		if (x->sev != y->sev)
			return x->sev > y->sev ? -1 : 1;
		break;
	}
	return strcmp(x->key, y->key);
}

static int
sev_attr(enum td_severity sev)
{
	return sev == TD_SEV_CRITICAL ? COLOR_PAIR(1) | A_BOLD : sev == TD_SEV_WARNING ? COLOR_PAIR(2) :
	    COLOR_PAIR(3);
}

/* One finding: severity, age, key, then its summary (wrapped when alone). */
static int
finding_rows(const struct watch_active *a, int64_t now, int y, int h, bool wrap)
{
	char head[WATCH_KEY + 64], age[48];
	const char *s = a->summary != NULL ? a->summary : "";
	int rows = 1, width = COLS - 4, n;

	age_text((double)(now - a->since_ns) / 1e9, age, sizeof(age));
	snprintf(head, sizeof(head), "%-8s %7s%s %s", td_severity_name(a->sev), age,
	    a->quiet > 0 ? "?" : " ", a->key);
	attron(sev_attr(a->sev));
	put(y, 2, COLS - 2, head);
	attroff(sev_attr(a->sev));
	if (!wrap)
		return 1;
	for (n = (int)strlen(s); n > 0 && rows < h; rows++) {
		put(y + rows, 4, width, s);
		s += n < width ? n : width;
		n = (int)strlen(s);
	}
	return rows;
}

static int
panel_findings(const struct watch *w, int y, int h, bool alone)
{
	static size_t idx[WATCH_MAX_ACTIVE];
	size_t i, n = 0;
	int row = y + 1, skip = alone ? con.scroll : 0;
	char buf[128];

	for (i = 0; i < w->nact; i++)
		if (!w->act[i].cleared)
			idx[n++] = i;
	sort_w = w;
	qsort(idx, n, sizeof(idx[0]), active_cmp);
	snprintf(buf, sizeof(buf), "4 findings: %zu active (sort: %s; '?' after the age: absent lately)", n,
	    sort_names[con.sort]);
	title(y, buf);
	if (n == 0 && row < y + h)
		put(row++, 2, COLS - 2, w->samples ? "none" : "waiting for the first sample");
	for (i = (size_t)skip; i < n && row < y + h; i++)
		row += finding_rows(&w->act[idx[i]], w->last_ns, row, y + h - row, alone);
	if (i < n && h > 1) {
		snprintf(buf, sizeof(buf), "... %zu more (press 4%s)", n - i, alone ? ", then arrows" : "");
		put(y + h - 1, 2, COLS - 2, buf);
	}
	return row - y;
}

static int
panel_history(const struct watch *w, int y, int h, bool alone)
{
	char buf[WATCH_KEY + 128], a[48];
	int row = y + 1;
	size_t i, shown = 0;
	const struct watch_log *l;

	title(y, "5 findings of this run, newest first (started, cleared)");
	for (i = w->nlog; i-- > 0 && row < y + h;) {
		l = &w->log[i];
		if (!alone && l->clear_ns == 0)
			continue;	/* the overview shows the cleared ones here */
		age_text((double)((l->clear_ns ? l->clear_ns : w->last_ns) - l->start_ns) / 1e9, a, sizeof(a));
		snprintf(buf, sizeof(buf), "%-8s %s %s for %s", td_severity_name(l->sev), l->key,
		    l->clear_ns ? "cleared after" : "active", a);
		put(row++, 2, COLS - 2, buf);
		shown++;
	}
	if (shown == 0 && row < y + h)
		put(row++, 2, COLS - 2, "nothing cleared yet");
	return row - y;
}

/* ---- 6 connections: the events between samples ---- */

static const struct ev_dest *sort_rows;

static uint64_t
row_failed(const struct ev_dest *d)
{
	return d->n[EV_REFUSED] + d->n[EV_TIMED_OUT] + d->n[EV_UNREACHABLE] + d->n[EV_ABANDONED] +
	    d->n[EV_CONNECT_FAILED] + d->n[EV_NO_PORT];
}

/* The troubled first (failed connects and resets), then the busiest. */
static int
row_cmp(const void *a, const void *b)
{
	const struct ev_dest *x = sort_rows + *(const size_t *)a, *y = sort_rows + *(const size_t *)b;
	uint64_t bx = row_failed(x) + x->n[EV_RESET], by = row_failed(y) + y->n[EV_RESET];

	if (bx != by)
		return bx < by ? 1 : -1;
	if (x->opened != y->opened)
		return x->opened < y->opened ? 1 : -1;
	return 0;
}

/* One destination or listener of the run: its counts, the interval's in brackets. */
static void
conn_row(const struct ev_dest *d, const struct ev_dest *iv, bool listener, int row)
{
	char ep[64], life[32] = "?", buf[256];

	td_ep_str(&d->addr, d->port, ep, sizeof(ep));
	if (d->life_n > 0)
		snprintf(life, sizeof(life), "%llums", (unsigned long long)(d->life_sum_ms / d->life_n));
	if (listener)
		snprintf(buf, sizeof(buf), "from %-21s accepted %llu reset %llu dropped %llu life %s (+%llu)",
		    ep, (unsigned long long)d->opened, (unsigned long long)d->n[EV_RESET],
		    (unsigned long long)d->dropped, life, (unsigned long long)(iv != NULL ? iv->opened : 0));
	else
		snprintf(buf, sizeof(buf), "to   %-21s opened %llu ok %llu refused %llu timeout %llu reset %llu life %s (+%llu)",
		    ep, (unsigned long long)d->opened, (unsigned long long)d->succeeded,
		    (unsigned long long)d->n[EV_REFUSED], (unsigned long long)d->n[EV_TIMED_OUT],
		    (unsigned long long)d->n[EV_RESET], life,
		    (unsigned long long)(iv != NULL ? iv->opened : 0));
	if (row_failed(d) > 0 || d->n[EV_RESET] > 0 || d->dropped > 0)
		attron(COLOR_PAIR(2));
	put(row, 2, COLS - 2, buf);
	attroff(COLOR_PAIR(2));
}

static const struct ev_dest *
iv_row(const struct ev_dest *rows, size_t n, const struct ev_dest *d)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (rows[i].family == d->family && rows[i].port == d->port &&
		    memcmp(&rows[i].addr, &d->addr, sizeof(d->addr)) == 0)
			return &rows[i];
	return NULL;
}

static int
panel_events(const struct watch *w, int y, int h, bool alone)
{
	static size_t idx[EV_AGG_CAP], lidx[EV_AGG_CAP];
	const struct watch_ev *e = w->ev;
	const struct events_agg *t;
	uint64_t refused = 0, tmo = 0, rst = 0;
	size_t i, nd, nl, skip = alone ? (size_t)con.scroll : 0;
	int row = y + 1, end;
	char buf[512];

	if (e == NULL || !e->available) {
		snprintf(buf, sizeof(buf), "6 connections: UNKNOWN (%s)", e != NULL && e->why[0] != '\0' ?
		    e->why : "events unavailable");
		title(y, buf);
		return 1;
	}
	t = e->tot;
	for (i = 0; i < e->iv->ndest; i++) {
		refused += e->iv->dest[i].n[EV_REFUSED];
		tmo += e->iv->dest[i].n[EV_TIMED_OUT];
		rst += e->iv->dest[i].n[EV_RESET];
	}
	for (i = 0; i < e->iv->nlsn; i++)
		rst += e->iv->lsn[i].n[EV_RESET];
	snprintf(buf, sizeof(buf), "6 connections (%.1f s): %llu ended, %llu refused, %llu timed out, %llu reset, %llu lost%s",
	    e->iv_s, (unsigned long long)e->iv->total, (unsigned long long)refused,
	    (unsigned long long)tmo, (unsigned long long)rst,
	    (unsigned long long)(e->lost_iv + e->tlost_iv), e->traced ? "" : ", untraced");
	title(y, buf);
	if (alone && row < y + h) {
		snprintf(buf, sizeof(buf), "run: %llu ended; lost %llu notifications, %llu transitions",
		    (unsigned long long)t->total, (unsigned long long)e->lost, (unsigned long long)e->tlost);
		put(row++, 2, COLS - 2, buf);
		if (!e->traced && row < y + h)
			put(row++, 2, COLS - 2, e->why);
		row++;
	}
	/*
	 * The run's rows, the troubled first; (+N) is what the last interval
	 * added.  When they do not fit, the last row says how many more
	 * (unless it is the only one: then the first row shows).
	 */
	sort_rows = t->dest;
	for (i = nd = 0; i < t->ndest; i++)
		idx[nd++] = i;
	qsort(idx, nd, sizeof(idx[0]), row_cmp);
	sort_rows = t->lsn;
	for (i = nl = 0; i < t->nlsn; i++)
		lidx[nl++] = i;
	qsort(lidx, nl, sizeof(lidx[0]), row_cmp);
	end = y + h;
	if (skip > nd + nl)
		skip = nd + nl;
	if (nd + nl - skip > (size_t)(end - row) && end - row > 1)
		end--;			/* room for "... more" */
	for (i = skip; i < nd + nl && row < end; i++) {
		if (i < nd)
			conn_row(&t->dest[idx[i]], iv_row(e->iv->dest, e->iv->ndest, &t->dest[idx[i]]),
			    false, row++);
		else
			conn_row(&t->lsn[lidx[i - nd]], iv_row(e->iv->lsn, e->iv->nlsn, &t->lsn[lidx[i - nd]]),
			    true, row++);
	}
	if (nd + nl == 0 && row < y + h) {
		put(row++, 2, COLS - 2, w->samples > 1 ? "no connection ended yet" : "waiting for the second sample");
	} else if (i < nd + nl && end < y + h) {
		snprintf(buf, sizeof(buf), "... %zu more (press 6%s)", nd + nl - i, alone ? ", then arrows" : "");
		put(row++, 2, COLS - 2, buf);
	}
	return row - y;
}

static void
help_screen(void)
{
	static const char *const lines[] = {
		"tcpdoctor watch: keys",
		"",
		"  q        quit (the terminal is restored; so are ^C and kill)",
		"  p        pause: stop sampling, keep the screen; p again resumes",
		"  s        sort the findings: severity, age, name",
		"  1 - 6    one panel on the whole screen: 1 sockets, 2 rates,",
		"           3 top listeners, destinations, processes, 4 findings",
		"           (wrapped), 5 this run's findings, 6 connections",
		"  0        back to all panels",
		"  up/down  scroll the findings or connections when alone",
		"  n, N     with -A: the next, the previous namespace",
		"  playback (watch --from RECORDING):",
		"  <- ->    the previous, the next sample (p first to stay there)",
		"  [ ]      10 samples back, forward; g G: the first, the last",
		"  + -      twice, half the pace (x1: as recorded)",
		"  ?        this help",
		"",
		"A finding clears after 3 samples without it; its age counts from",
		"the sample it started in.  Rates are counter changes per second.",
		"",
		"Any key returns.",
	};
	size_t i;

	erase();
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		put((int)i + 1, 2, COLS - 4, lines[i]);
	refresh();
}

void
console_draw(const struct watch *w)
{
	char buf[1024], t[32];
	size_t toff;
	int y, body, h, hist;
	char nsbuf[48];

	if (!con.open)
		return;
	if (con.help) {
		help_screen();
		return;
	}
	erase();
	if (COLS < MIN_COLS || LINES < MIN_LINES) {
		snprintf(buf, sizeof(buf), "the console needs %dx%d; this terminal is %dx%d (q quits)",
		    MIN_COLS, MIN_LINES, COLS, LINES);
		put(0, 0, COLS, buf);
		refresh();
		return;
	}
	td_time_utc(w->last_ns, t, sizeof(t), 0);
	toff = strlen(t);
	td_appendf(t, sizeof(t), &toff, " UTC");
	/* What changes first: a long host or namespace name is what the edge cuts. */
	if (w->play != NULL) {
		/* Playback: which sample of the recording, when, at what pace. */
		char when[40];

		rec_time_str(w->play->time_ns, when, sizeof(when));
		when[23] = '\0';		/* to the millisecond */
		when[10] = ' ';
		snprintf(buf, sizeof(buf), " tcpdoctor watch  %s  sample %llu/%llu  %s UTC  x%g  %s  %s  netns %s ",
		    con.paused ? "PAUSED" : w->play->index == w->play->count ? "END" : "PLAYING",
		    (unsigned long long)w->play->index, (unsigned long long)w->play->count, when,
		    w->play->speed, w->samples ? td_severity_name(w->worst) : "-",
		    w->host[0] ? w->host : "-", w->netns[0] ? w->netns : "-");
	} else if (w->ns_count > 0) {
		/* -A: which namespace comes first, the edge cuts the host. */
		snprintf(nsbuf, sizeof(nsbuf), "%zu/%zu", w->ns_index + 1, w->ns_count);
		snprintf(buf, sizeof(buf), " tcpdoctor watch%s  netns %s %s  %s  %s  every %.1f s  %s ",
		    con.paused ? "  PAUSED" : "", nsbuf, w->netns[0] ? w->netns : "(current)",
		    w->samples ? t : "--:--:--", w->samples ? td_severity_name(w->worst) : "-",
		    w->interval_s, w->host[0] ? w->host : "-");
	} else {
		snprintf(buf, sizeof(buf), " tcpdoctor watch%s  %s  %s  every %.1f s  %s  netns %s ",
		    con.paused ? "  PAUSED" : "", w->samples ? t : "--:--:--", w->samples ? td_severity_name(w->worst) : "-",
		    w->interval_s, w->host[0] ? w->host : "-", w->netns[0] ? w->netns : "-");
	}
	attron(A_REVERSE);
	mvhline(0, 0, ' ', COLS);
	put(0, 0, COLS, buf);
	attroff(A_REVERSE);
	body = LINES - 2;
	y = 1;
	switch (con.panel) {
	case 1:
		panel_states(w, y, body, true);
		break;
	case 2:
		panel_rates(w, y, body, true);
		break;
	case 3:
		panel_top(w, y, body, true);
		break;
	case 4:
		panel_findings(w, y, body, true);
		break;
	case 5:
		panel_history(w, y, body, true);
		break;
	case 6:
		panel_events(w, y, body, true);
		break;
	default:
		/*
		 * 80x24: 7 + 4 + 4 rows, 2 for the connections, findings the
		 * rest but 2 for the history; half of a taller screen's extra
		 * rows (up to 8) go to the connections, the rest to findings.
		 */
		y += panel_states(w, y, 7, false);
		y += panel_rates(w, y, 4, false);
		y += panel_top(w, y, 4, false);
		h = 2 + ((LINES - MIN_LINES) / 2 < 8 ? (LINES - MIN_LINES) / 2 : 8);
		panel_events(w, y, h, false);
		y += h;
		hist = LINES < MIN_LINES + 2 ? 2 : 3;
		h = LINES - 1 - y - hist;
		y += panel_findings(w, y, h > 2 ? h : 2, false) > 0 ? (h > 2 ? h : 2) : 0;
		panel_history(w, y, LINES - 1 - y, false);
		break;
	}
	attron(A_REVERSE);
	mvhline(LINES - 1, 0, ' ', COLS);
	put(LINES - 1, 0, COLS, w->play != NULL ?
	    " q quit  p pause  <- -> step  [ ] 10  +/- speed  1-6 panel  0 all  ? help" :
	    w->ns_count > 0 ? " q quit  p pause  s sort  1-6 one panel  0 all  n/N netns  ? help" :
	    " q quit  p pause  s sort  1-6 one panel  0 all  ? help");
	attroff(A_REVERSE);
	refresh();
}

size_t
console_view(void)
{
	return con.view;
}

uint64_t
console_seek(void)
{
	return con.seek;
}

enum console_next
console_wait(const struct watch *w, int64_t deadline, volatile sig_atomic_t *stop)
{
	int64_t left;
	int ch;

	for (;;) {
		if (*stop)
			return CONSOLE_QUIT;
		left = deadline - td_mono_ns();
		if (left <= 0 && !con.paused)
			return CONSOLE_SAMPLE;
		/* Wake at least every 200 ms: a signal, the deadline, a resize. */
		timeout(left > 0 && left < 200000000 ? (int)(left / 1000000) + 1 : 200);
		ch = getch();
		if (ch == ERR)
			continue;
		if (con.help) {
			con.help = false;
		} else if (ch == 'q' || ch == 'Q') {
			return CONSOLE_QUIT;
		} else if (ch == 'p' || ch == 'P') {
			con.paused = !con.paused;
		} else if (ch == 's' || ch == 'S') {
			con.sort = (con.sort + 1) % SORT_MAX;
		} else if (ch == '?' || ch == 'h') {
			con.help = true;
		} else if (ch >= '0' && ch <= '9') {
			con.panel = ch - '0' > 6 || ch - '0' == con.panel ? 0 : ch - '0';
			con.scroll = 0;
		} else if ((ch == 'n' || ch == 'N') && w->ns_count > 1) {
			con.view = ch == 'n' ? (w->ns_index + 1) % w->ns_count :
			    (w->ns_index + w->ns_count - 1) % w->ns_count;
			con.scroll = 0;
			return CONSOLE_VIEW;
		} else if (w->play != NULL && (ch == KEY_LEFT || ch == KEY_RIGHT || ch == '[' ||
		    ch == ']' || ch == 'g' || ch == 'G' || ch == KEY_HOME || ch == KEY_END || ch == KEY_PPAGE ||
		    ch == KEY_NPAGE)) {
			int64_t i = (int64_t)w->play->index, n = (int64_t)w->play->count;

			i += ch == KEY_LEFT ? -1 : ch == KEY_RIGHT ? 1 : ch == '[' || ch == KEY_PPAGE ? -10 :
			    ch == ']' || ch == KEY_NPAGE ? 10 : ch == 'g' || ch == KEY_HOME ? -n : n;
			con.seek = (uint64_t)(i < 1 ? 1 : i > n ? n : i);
			return CONSOLE_SEEK;
		} else if (w->play != NULL && (ch == '+' || ch == '-')) {
			/* The pace is the caller's: the seek to the same sample makes it take the new one. */
			if (ch == '+' && w->play->speed < 1024)
				w->play->speed *= 2;
			else if (ch == '-' && w->play->speed > 1.0 / 64)
				w->play->speed /= 2;
			con.seek = w->play->index;
			return CONSOLE_SEEK;
		} else if (ch == KEY_DOWN) {
			con.scroll++;
		} else if (ch == KEY_UP && con.scroll > 0) {
			con.scroll--;
		}
		console_draw(w);
	}
}
