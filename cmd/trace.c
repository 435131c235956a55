/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor trace [-d SECONDS] [-c COUNT] [-P PORT] [state NAME...]`:
 * live TCP state transitions from the sock:inet_sock_set_state
 * tracepoint, each annotated by the model: is the edge one Linux takes,
 * what the kernel-only edges mean, and how long the new state may last
 * under this host's sysctls.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/filter.h"
#include "cmd/output.h"
#include "collectors/snapfile.h"
#include "collectors/sysctl.h"
#include "collectors/tracefs.h"
#include "collectors/tracefs_inst.h"
#include "core/num.h"
#include "tcp/tm.h"

struct trace_run {
	struct td_ctx		*ctx;
	struct tm_profile	 prof;
	uint64_t		 count, limit;
	bool			 write_failed;	/* err holds the failed write's errno */
	struct td_meta		 meta;		/* the JSON head: host, and the event's time */
};

/*
 * Did the filter name TIME_WAIT (time-wait, TIME_WAIT, the group bucket)
 * after "state"?  The words are cut at blanks as filter_parse cuts them.
 */
static bool
names_time_wait(int argc, char **argv)
{
	char word[64];
	const char *p;
	bool incl = false;
	size_t n;
	int i;

	for (i = 0; i < argc; i++) {
		for (p = argv[i]; *p != '\0'; p += n) {
			p += strspn(p, " \t");
			n = strcspn(p, " \t");
			if (n == 0 || n >= sizeof(word))
				continue;
			memcpy(word, p, n);
			word[n] = '\0';
			if (strcmp(word, "state") == 0)
				incl = true;
			else if (strcmp(word, "exclude") == 0 || strcmp(word, "excl") == 0)
				incl = false;
			else if (incl && (strcasecmp(word, "bucket") == 0 ||
			    td_state_parse(word) == TD_ST_TIME_WAIT))
				return true;
		}
	}
	return false;
}

static void
lifetime_text(const struct tm_profile *p, unsigned int st, char *buf, size_t len)
{
	tm_time t = tm_state_max_lifetime(p, (enum tm_state)st, NULL);

	if (st == TD_ST_CLOSE)
		snprintf(buf, len, "-");
	else if (t == TM_TIME_INF)
		snprintf(buf, len, "unbounded");
	else
		snprintf(buf, len, "%.1fs", (double)t / 1e9);
}

/* HH:MM:SS.uuuuuu, UTC: the table's time column (JSON has the full date in its head). */
static void
time_text(int64_t ns, char *buf, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(buf, len, "%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ld", (long)(ns % 1000000000 / 1000));
}

static const char *
addr_text(const struct td_trace_ev *ev, const struct in6_addr *a, char *buf, size_t len)
{
	struct td_sock tmp = { .family = ev->family };

	return td_addr_str(&tmp, a, buf, len);
}

/* addr:port, [v6]:port, port 0 as "*" (ss's spelling). */
static void
endpoint_text(const char *addr, uint16_t port, char *buf, size_t len)
{
	char p[8] = "*";

	if (port != 0)
		snprintf(p, sizeof(p), "%u", port);
	snprintf(buf, len, strchr(addr, ':') != NULL ? "[%s]:%s" : "%s:%s", addr, p);
}

static int
trace_one(const struct td_trace_ev *ev, void *arg, struct td_err *err)
{
	struct trace_run *r = arg;
	char t[40], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN], life[32], ep[2][INET6_ADDRSTRLEN + 10];
	const char *note = tm_trace_edge_note((enum tm_state)ev->oldstate,
	    (enum tm_state)ev->newstate);
	bool legal = tm_trace_edge_legal(&r->prof, (enum tm_state)ev->oldstate,
	    (enum tm_state)ev->newstate);
	tm_time max = tm_state_max_lifetime(&r->prof, (enum tm_state)ev->newstate, NULL);
	struct snapfile_head head = { &r->meta, "trace", SNAPFILE_HEAD_USEC };
	json_t *o;

	if (r->limit != 0 && r->count >= r->limit)
		return 0;
	errno = 0;
	addr_text(ev, &ev->src, src, sizeof(src));
	addr_text(ev, &ev->dst, dst, sizeof(dst));
	if (r->ctx->format == TD_FMT_TABLE) {
		time_text(ev->time_ns, t, sizeof(t));
		lifetime_text(&r->prof, ev->newstate, life, sizeof(life));
		endpoint_text(src, ev->sport, ep[0], sizeof(ep[0]));
		endpoint_text(dst, ev->dport, ep[1], sizeof(ep[1]));
		fprintf(r->ctx->out, "%s %-22s %-22s %-11s -> %-11s %-9s %s%s\n", t, ep[0], ep[1],
		    td_state_name(ev->oldstate), td_state_name(ev->newstate), life,
		    legal ? "" : "UNEXPECTED by the model; ", note != NULL ? note : "");
	} else {
		r->meta.time_ns = ev->time_ns;
		o = record_json(&snapfile_head_desc, &head);
		json_object_set_new(o, "src", json_string(src));
		json_object_set_new(o, "sport", json_integer(ev->sport));
		json_object_set_new(o, "dst", json_string(dst));
		json_object_set_new(o, "dport", json_integer(ev->dport));
		json_object_set_new(o, "oldstate", json_string(td_state_name(ev->oldstate)));
		json_object_set_new(o, "newstate", json_string(td_state_name(ev->newstate)));
		json_object_set_new(o, "legal", json_boolean(legal));
		json_object_set_new(o, "family", json_string(ev->family == AF_INET ? "ipv4" : "ipv6"));
		json_object_set_new(o, "pid", ev->pid > 0 ? json_integer(ev->pid) : json_null());
		json_object_set_new(o, "comm", ev->comm[0] != '\0' ? json_string(ev->comm) : json_null());
		json_object_set_new(o, "max_lifetime_s", max == TM_TIME_INF ||
		    ev->newstate == TD_ST_CLOSE ? json_null() : json_real((double)max / 1e9));
		json_object_set_new(o, "note", note != NULL ? json_string(note) : json_null());
		output_json_line(r->ctx->out, o);
	}
	/* The errno of the write that failed, not whatever came after it. */
	if (ferror(r->ctx->out)) {
		r->write_failed = true;
		return td_errf(err, errno != 0 ? errno : EIO, "writing output: %s",
		    strerror(errno != 0 ? errno : EIO));
	}
	r->count++;
	return 0;
}

/*
 * The output goes out once per batch the client delivers (at most one
 * poll's wait after the event), not once per event: a write per event is
 * what made a burst overrun the trace buffer.
 */
static int
trace_flush(struct trace_run *r, struct td_err *err)
{
	errno = 0;
	if (fflush(r->ctx->out) != 0 || ferror(r->ctx->out)) {
		r->write_failed = true;
		return td_errf(err, errno != 0 ? errno : EIO, "writing output: %s",
		    strerror(errno != 0 ? errno : EIO));
	}
	return 0;
}

int
cmd_trace(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration",	required_argument, NULL, 'd' },
		{ "count",	required_argument, NULL, 'c' },
		{ "port",	required_argument, NULL, 'P' },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tracefs_opts to = { 0 };
	struct tracefs_session *s;
	struct trace_run r = { .ctx = ctx };
	struct td_sysctls sys;
	struct td_filter filter;
	struct td_err err = { 0 };
	const char *first;
	unsigned int swept;
	double duration = 0;
	int64_t deadline = 0, now;
	struct timespec ts;
	int64_t v;
	int ch, status = TD_EXIT_OK, rc, sig;

	while ((ch = cmd_getopt(ctx, argc, argv, "d:c:P:", opts, &status)) != -1) {
		switch (ch) {
		case 'd':
			/* More than 0: the smallest double above 0 is the bound. */
			if (td_num_double(optarg, DBL_TRUE_MIN, 86400 * 366, &duration, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE,
				    "--duration: '%s' is not a number of seconds", optarg);
			break;
		case 'c':
			if (td_num_i64(optarg, 1, INT64_MAX, &v, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--count: '%s' is not a positive number",
				    optarg);
			r.limit = (uint64_t)v;
			break;
		case 'P':
			if (td_num_i64(optarg[0] == ':' ? optarg + 1 : optarg, 1, 65535, &v, NULL) < 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--port: '%s' is not a port (1-65535)",
				    optarg);
			to.port = (uint16_t)v;
			break;
		default:
			return status;
		}
	}
	if (filter_parse(&filter, argc - optind, argv + optind, &err) < 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s", err.msg);
	if (filter.root >= 0)
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "only 'state NAME...' and 'exclude NAME...' filter transitions (use --port for a port)");
	if (filter.states != TD_STATES_ALL)
		to.states = filter.states;
	/*
	 * A full socket never enters TIME_WAIT: tcp_time_wait()
	 * (net/ipv4/tcp_minisocks.c) hands the connection to a timewait socket
	 * made in that state (inet_twsk_alloc(), inet_timewait_sock.c) and
	 * closes the full one with tcp_done(), so the tracepoint shows
	 * FIN_WAIT2 -> CLOSE or CLOSING -> CLOSE, never -> TIME_WAIT.
	 */
	if ((to.states & TD_STATE_BIT(TD_ST_TIME_WAIT)) && names_time_wait(argc - optind, argv + optind))
		cmd_warn(ctx, "state time-wait: %s: the tracepoint never reports TIME_WAIT (a timewait "
		    "socket takes over from the full socket, which shows FIN_WAIT2 -> CLOSE or "
		    "CLOSING -> CLOSE; 'state close' shows those)",
		    (to.states & ~TD_STATE_BIT(TD_ST_TIME_WAIT)) == 0 ? "nothing will print" :
		    "no transition into it will print");
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON && ctx->format != TD_FMT_NDJSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "this command prints table or ndjson (-j)");
	if (ctx->netns != NULL || ctx->netns_pid != 0)
		return cmd_fail(ctx, TD_EXIT_USAGE,
		    "the tracepoint reports every network namespace at once: -N and --netns-pid "
		    "cannot select one (use --port)");

	/* The model's profile follows this host's sysctls. */
	memset(&sys, 0, sizeof(sys));
	if (sysctl_read(ctx->proc_root, &sys, &err) < 0)
		return cmd_fail_err(ctx, &err);
	r.prof = tm_profile_from_values(sysctl_value, &sys);
	if (gethostname(r.meta.host, sizeof(r.meta.host) - 1) < 0)
		r.meta.host[0] = '\0';

	/*
	 * Every terminating signal only stops the loop below, from before the
	 * instance exists: the instance is always removed (tracefs_inst.h).
	 */
	tfs_guard(TFS_SIG_STOP);
	s = tracefs_open(&to, &err);
	if (s == NULL) {
		status = cmd_fail_err(ctx, &err);
		goto out;
	}
	if ((swept = tracefs_swept(s, &first)) > 0)
		cmd_warn(ctx, "removed %u tracefs instance%s left by runs that are gone (%s%s)", swept,
		    swept == 1 ? "" : "s", first, swept > 1 ? " and others" : "");
	if (ctx->format == TD_FMT_TABLE) {
		fprintf(ctx->out, "%-15s %-22s %-22s %-11s    %-11s %-9s %s\n", "Time (UTC)", "Local",
		    "Peer", "Old", "New", "Max stay", "Note");
		fflush(ctx->out);
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if (duration > 0)
		deadline = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + (int64_t)(duration * 1000);
	while (!tfs_stop_signal && (r.limit == 0 || r.count < r.limit)) {
		int wait = 250;

		if (deadline != 0) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
			if (now >= deadline)
				break;
			if (deadline - now < wait)
				wait = (int)(deadline - now);
		}
		rc = tracefs_poll(s, wait, trace_one, &r, &err);
		if (rc > 0 && trace_flush(&r, &err) < 0)
			rc = -1;
		if (rc < 0 && r.write_failed) {
			/* A reader that went away (`trace | head`) ends it quietly. */
			status = cmd_fail_write(ctx, TD_EXIT_OSERR, err.code);
			break;
		}
		if (rc < 0) {
			status = cmd_fail_err(ctx, &err);
			break;
		}
	}
	{
		char per_cpu[512];
		uint64_t lost = tracefs_lost_text(s, per_cpu, sizeof(per_cpu));

		if (lost > 0)
			cmd_warn(ctx, "%" PRIu64 " event%s lost: the trace buffer overflowed (%s)", lost,
			    lost == 1 ? " was" : "s were", per_cpu);
	}
	tracefs_close(s);
out:
	/*
	 * INT and TERM are the way to stop it, PIPE a reader gone: those end
	 * normally.  Any other signal ends the process as it would have,
	 * now that the instance is gone.
	 */
	sig = tfs_stop_signal;
	if (sig != 0 && sig != SIGINT && sig != SIGTERM && sig != SIGPIPE) {
		fflush(NULL);
		tfs_reraise(sig);
	}
	if (sig == SIGPIPE && status == TD_EXIT_OK)
		status = TD_EXIT_OSERR;
	return status;
}
