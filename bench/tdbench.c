/* SPDX-License-Identifier: MIT */
/*
 * bench/tdbench: time commands side by side in a populated namespace.
 *
 * It starts the populator (the argv after "--", bench/populate), waits for
 * its "ready TOTAL TW_START_NS POPULATE_MS" line, enters its network
 * namespace (setns on /proc/PID/ns/net) and runs every command of CMDFILE
 * once per round, the rounds interleaved (round r starts at command r, so
 * no command always runs first or after the same neighbour).  Each run is
 * timed around fork..wait4 (wall clock, CLOCK_MONOTONIC) and its peak RSS
 * is wait4's ru_maxrss.  This process stays small (it keeps only the
 * samples), because Linux carries the parent's high-water mark over fork
 * and exec into the child's ru_maxrss (exec_mmap, fs/exec.c): its own peak
 * is printed so that a reader knows the smallest RSS that can be told.
 *
 * TIME_WAIT sockets live 60 s (TCP_TIMEWAIT_LEN, include/net/tcp.h) from
 * the moment each was made, so a run must end before the oldest expires.
 * Before each command, if its last duration would take it past that
 * moment (less a margin), the namespace is populated afresh; a run that
 * nevertheless ends past it is thrown away and made again in a fresh one.
 * A command that cannot fit even in a fresh namespace is reported as such.
 *
 * The machine may be too slow (or too busy) for the size: when a
 * population leaves less than MIN_WINDOW of the TIME_WAIT lifetime to run
 * commands in, it is made again, and after MAX_POP_TRIES such populations
 * in a row tdbench says so: before any run it exits 3 without timing
 * anything; later (the machine became busier) it stops there and writes
 * the runs it made, as the time limit does.  With -t SECONDS,
 * no command starts once the run has taken that long: the commands keep
 * the runs they had (fewer than ROUNDS; one that had none is reported as
 * not run), so the total time is bounded by SECONDS plus one population
 * and one command.
 *
 * CMDFILE: one command a line, "NAME MAXEXIT ARGV..." split on blanks;
 * '#' starts a comment; "@N@" in an argument becomes the namespace's
 * socket count.  A command exiting above MAXEXIT (check exits 1 or 2 on
 * findings) or on a signal stops the benchmark: its stderr is in LOG.
 *
 * Output (OUT): a header of "# key value" lines (among them "# stopped
 * time_limit R" when the time limit ended the run in round R, "# stopped
 * too_slow R" when the machine became too slow in round R, and "# nofit
 * NAME" for each command that never fitted), then per command
 *   NAME MEDIAN_MS MIN_MS MAX_MS P25_MS P75_MS PEAK_RSS_KIB RUNS CPU_MS
 * (PEAK_RSS the largest of the runs; RUNS 0 when it never ran; CPU_MS the
 * median of the runs' user + system time from wait4's rusage, which the
 * other work on a shared machine disturbs less than the wall clock).
 *
 * Exit: 0; 1 on an error (a command failed, the populator failed three
 * times); 3 when the machine was too slow for the size (the message says
 * how long populating took and what it left).
 *
 * Usage: tdbench -c CMDFILE -o OUT -l LOG [-r ROUNDS] [-t SECONDS] -- POPULATE ARGV...
 */
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/util.h"

#define MAX_CMDS	64
#define MAX_ARGS	32
#define MAX_ROUNDS	101
#define TW_LIFE_NS	(60LL * 1000000000)	/* TCP_TIMEWAIT_LEN */
#define MARGIN_NS	(2LL * 1000000000)
#define MAX_TRIES	3
#define MIN_WINDOW_NS	(10LL * 1000000000)	/* less, and the size is too big here */
#define MAX_POP_TRIES	3

struct cmd {
	char		*name;
	int		 maxexit;
	char		*argv[MAX_ARGS + 1];
	double		 ms[MAX_ROUNDS];
	double		 cpu_ms[MAX_ROUNDS];	/* user + system time of each run */
	int		 nms;
	double		 last_cpu_ms;
	long		 rss_kib;
	int64_t		 last_ns;		/* duration of the last run */
	int		 nofit;			/* longer than a fresh namespace lasts */
};

static struct cmd cmds[MAX_CMDS];
static int ncmds;

/* The populator now serving. */
static pid_t pop_pid = -1;
static int pop_in = -1;
static int64_t tw_start, fresh_window;
static int too_slow;			/* pop_start gave up after runs were made */
static long total;
static int npop, pop_failures, pop_slow;
static double pop_ms_sum;

static char **pop_argv;
static FILE *logfp;

static void __attribute__((format(printf, 2, 3), noreturn))
die_status(int status, const char *fmt, ...)
{
	va_list ap;

	fputs("tdbench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (pop_pid > 0) {
		close(pop_in);
		kill(pop_pid, SIGTERM);
		waitpid(pop_pid, NULL, 0);
	}
	exit(status);
}
#define die(...)	die_status(1, __VA_ARGS__)

static void
pop_stop(void)
{
	int st;

	if (pop_pid <= 0)
		return;
	close(pop_in);
	if (waitpid(pop_pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("the populator did not end cleanly");
	pop_pid = -1;
}

/* 0, or -1 when the machine became too slow after runs were made (see main). */
static int
pop_start(void)
{
	int in[2], out[2], nsfd;
	char line[256], path[64];
	long long tw;
	double ms;
	FILE *fp;

	pop_stop();
	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		die("pipe: %s", strerror(errno));
	pop_pid = fork();
	if (pop_pid < 0)
		die("fork: %s", strerror(errno));
	if (pop_pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv(pop_argv[0], pop_argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	pop_in = in[1];
	fp = fdopen(out[0], "r");
	if (fp == NULL || fgets(line, sizeof(line), fp) == NULL ||
	    sscanf(line, "ready %ld %lld %lf", &total, &tw, &ms) != 3) {
		if (fp != NULL)
			fclose(fp);
		close(pop_in);
		waitpid(pop_pid, NULL, 0);
		pop_pid = -1;
		/* A namespace that did not hold what was made: try afresh, twice. */
		if (++pop_failures > 2)
			die("the populator did not get ready 3 times (see its messages above)");
		fprintf(stderr, "tdbench: populating again\n");
		return pop_start();
	}
	fclose(fp);
	pop_failures = 0;
	tw_start = tw;
	fresh_window = tw_start + TW_LIFE_NS - MARGIN_NS - td_mono_ns();
	if (fresh_window < MIN_WINDOW_NS) {
		/* Too slow now: the host may be busy for a while; try afresh. */
		double left = fresh_window > 0 ? (double)fresh_window / 1e9 : 0.0;

		fprintf(stderr, "tdbench: populating %ld sockets took %.1f s and left %.1f s of the "
		    "60 s the first TIME_WAIT socket lives (at least %lld s needed)\n", total,
		    ms / 1e3, left, MIN_WINDOW_NS / 1000000000);
		if (++pop_slow >= MAX_POP_TRIES && npop == 0)
			die_status(3, "%d populations of %ld sockets in a row left too little of the "
			    "TIME_WAIT lifetime to run a command (the last took %.1f s and left %.1f s; "
			    "at least %lld s needed): this machine is too slow or too busy for this size",
			    pop_slow, total, ms / 1e3, left, MIN_WINDOW_NS / 1000000000);
		if (pop_slow >= MAX_POP_TRIES) {
			fprintf(stderr, "tdbench: %d populations in a row left too little of the "
			    "TIME_WAIT lifetime (the last took %.1f s and left %.1f s): the machine "
			    "became too slow or too busy; the commands keep the runs they had\n",
			    pop_slow, ms / 1e3, left);
			pop_stop();
			return -1;
		}
		return pop_start();
	}
	pop_slow = 0;
	npop++;
	pop_ms_sum += ms;
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pop_pid);
	nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) < 0)
		die("cannot enter %s: %s", path, strerror(errno));
	close(nsfd);
	return 0;
}

/* One run of c; returns its duration, or -1 when it outlived the TIME_WAIT. */
static int64_t
run_once(struct cmd *c)
{
	char *argv[MAX_ARGS + 1], nbuf[32];
	struct rusage ru;
	int64_t t0, t1;
	pid_t pid;
	int st, i, devnull;

	snprintf(nbuf, sizeof(nbuf), "%ld", total);
	for (i = 0; c->argv[i] != NULL; i++)
		argv[i] = strcmp(c->argv[i], "@N@") == 0 ? nbuf : c->argv[i];
	argv[i] = NULL;
	fprintf(logfp, "== %s (%ld sockets)\n", c->name, total);
	fflush(logfp);
	t0 = td_mono_ns();
	pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 1);
		dup2(fileno(logfp), 2);
		execvp(argv[0], argv);
		fprintf(stderr, "tdbench: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) < 0)
		if (errno != EINTR)
			die("wait4: %s", strerror(errno));
	t1 = td_mono_ns();
	if (WIFSIGNALED(st))
		die("%s died of signal %d (its messages: the log)", c->name, WTERMSIG(st));
	if (WEXITSTATUS(st) > c->maxexit)
		die("%s exited with %d (its messages: the log)", c->name, WEXITSTATUS(st));
	c->last_ns = t1 - t0;
	if (t1 > tw_start + TW_LIFE_NS - MARGIN_NS / 2)
		return -1;
	if (ru.ru_maxrss > c->rss_kib)
		c->rss_kib = ru.ru_maxrss;
	c->last_cpu_ms = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	    (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
	return t1 - t0;
}

static void
measure(struct cmd *c)
{
	int64_t d;
	int tries;

	if (c->nofit)
		return;
	for (tries = 0; tries < MAX_TRIES; tries++) {
		if (td_mono_ns() + c->last_ns * 5 / 4 > tw_start + TW_LIFE_NS - MARGIN_NS &&
		    pop_start() < 0) {
			too_slow = 1;
			return;
		}
		d = run_once(c);
		if (d >= 0) {
			c->cpu_ms[c->nms] = c->last_cpu_ms;
			c->ms[c->nms++] = (double)d / 1e6;
			return;
		}
		if (c->last_ns > fresh_window) {
			c->nofit = 1;
			return;
		}
	}
	c->nofit = 1;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted v[0..n-1], interpolated. */
static double
quantile(const double *v, int n, double q)
{
	double pos = q * (n - 1);
	int i = (int)pos;

	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * (pos - i);
}

static void
read_cmds(const char *path)
{
	char line[1024], *tok, *save;
	FILE *fp = fopen(path, "r");
	struct cmd *c;
	int i;

	if (fp == NULL)
		die("cannot open '%s': %s", path, strerror(errno));
	while (fgets(line, sizeof(line), fp) != NULL) {
		if ((tok = strchr(line, '#')) != NULL)
			*tok = '\0';
		tok = strtok_r(line, " \t\n", &save);
		if (tok == NULL)
			continue;
		if (ncmds == MAX_CMDS)
			die("'%s': more than %d commands", path, MAX_CMDS);
		c = &cmds[ncmds++];
		c->name = strdup(tok);
		tok = strtok_r(NULL, " \t\n", &save);
		if (tok == NULL)
			die("'%s': %s has no MAXEXIT", path, c->name);
		c->maxexit = atoi(tok);
		for (i = 0; (tok = strtok_r(NULL, " \t\n", &save)) != NULL; i++) {
			if (i == MAX_ARGS)
				die("'%s': %s has more than %d arguments", path, c->name, MAX_ARGS);
			c->argv[i] = strdup(tok);
		}
		if (i == 0)
			die("'%s': %s has no command", path, c->name);
	}
	fclose(fp);
}

int
main(int argc, char **argv)
{
	const char *cmdfile = NULL, *outfile = NULL, *logfile = NULL;
	int rounds = 5, opt, r, j, limit_s = 0, stopped = 0;
	const char *why = NULL;
	struct rusage self;
	int64_t t0;
	FILE *out;

	while ((opt = getopt(argc, argv, "c:o:l:r:t:")) != -1) {
		switch (opt) {
		case 'c': cmdfile = optarg; break;
		case 'o': outfile = optarg; break;
		case 'l': logfile = optarg; break;
		case 'r': rounds = atoi(optarg); break;
		case 't': limit_s = atoi(optarg); break;
		default: return 64;
		}
	}
	if (cmdfile == NULL || outfile == NULL || logfile == NULL || optind >= argc ||
	    rounds < 1 || rounds > MAX_ROUNDS || limit_s < 0) {
		fprintf(stderr, "usage: tdbench -c CMDFILE -o OUT -l LOG [-r ROUNDS 1..%d] "
		    "[-t SECONDS] -- POPULATE ARGV...\n", MAX_ROUNDS);
		return 64;
	}
	pop_argv = &argv[optind];
	read_cmds(cmdfile);
	logfp = fopen(logfile, "a");
	if (logfp == NULL)
		die("cannot open '%s': %s", logfile, strerror(errno));
	signal(SIGPIPE, SIG_IGN);
	t0 = td_mono_ns();
	pop_start();
	for (r = 0; r < rounds && !stopped; r++)
		for (j = 0; j < ncmds; j++) {
			if (limit_s > 0 && td_mono_ns() - t0 > (int64_t)limit_s * 1000000000) {
				fprintf(stderr, "tdbench: time limit of %d s reached in round %d of %d: "
				    "the commands keep the runs they had\n", limit_s, r + 1, rounds);
				stopped = r + 1;
				why = "time_limit";
				break;
			}
			measure(&cmds[(j + r) % ncmds]);
			if (too_slow) {
				stopped = r + 1;
				why = "too_slow";
				break;
			}
		}
	pop_stop();

	out = fopen(outfile, "w");
	if (out == NULL)
		die("cannot write '%s': %s", outfile, strerror(errno));
	getrusage(RUSAGE_SELF, &self);
	fprintf(out, "# sockets %ld\n# rounds %d\n# populations %d\n# populate_ms %.0f\n"
	    "# runner_rss_kib %ld\n# elapsed_s %.0f\n", total, rounds, npop,
	    npop ? pop_ms_sum / npop : 0.0, self.ru_maxrss, (double)(td_mono_ns() - t0) / 1e9);
	if (stopped)
		fprintf(out, "# stopped %s %d\n", why, stopped);
	for (j = 0; j < ncmds; j++)
		if (cmds[j].nofit)
			fprintf(out, "# nofit %s\n", cmds[j].name);
	for (j = 0; j < ncmds; j++) {
		struct cmd *c = &cmds[j];

		if (c->nms == 0) {
			fprintf(out, "%s - - - - - - 0 -\n", c->name);
			continue;
		}
		qsort(c->ms, (size_t)c->nms, sizeof(double), cmp_double);
		qsort(c->cpu_ms, (size_t)c->nms, sizeof(double), cmp_double);
		fprintf(out, "%s %.1f %.1f %.1f %.1f %.1f %ld %d %.1f\n", c->name,
		    quantile(c->ms, c->nms, 0.5), c->ms[0], c->ms[c->nms - 1],
		    quantile(c->ms, c->nms, 0.25), quantile(c->ms, c->nms, 0.75),
		    c->rss_kib, c->nms, quantile(c->cpu_ms, c->nms, 0.5));
	}
	if (fclose(out) != 0)
		die("cannot write '%s'", outfile);
	return 0;
}
