/* SPDX-License-Identifier: MIT */
/*
 * tcpdoctor: global options, the table of subcommands, dispatch.
 *
 * main() parses the global options with getopt_long("+...") so that it
 * stops at the command word, enters the network namespace once (every
 * collector then reads that namespace), and calls the command's run(),
 * which parses its own options.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <sys/socket.h>

#include "analyzers/analyzer.h"
#include "cmd/cmd.h"
#include "cmd/exit.h"
#include "cmd/termsafe.h"
#include "collectors/netns.h"
#include "collectors/snapshot.h"
#include "core/num.h"

#include "core/util.h"

/* Sorted; exact names only (ip(8) warns why prefixes break). */
const struct cmd td_commands[] = {
	{ "check",	cmd_check,	CMD_NAGIOS | CMD_ALL_NETNS,
	  "check [-c FILE] [--set SECTION.KEY=VALUE] [--only ID,...] [--skip ID,...] [--state-file FILE] [--events RECORDING] [-o FILE] [--at TIME] [-j | --format FORMAT]",
	  "diagnose: findings with evidence and fixes; exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN",
	  "  -c, --config FILE      thresholds (default /etc/tcpdoctor.conf if it exists)\n"
	  "      --set S.K=VALUE    set one threshold, e.g. --set close_wait.warning=20\n"
	  "      --only ID,...      run only these analyzers\n"
	  "      --skip ID,...      run all but these analyzers\n"
	  "      --state-file FILE  keep counters and sockets between runs (rates, growth, age)\n"
	  "      --events REC       the connections a running events/watch --record recorded\n"
	  "                         (since the state file's last run) for failed_connects\n"
	  "                         and lifetimes\n"
	  "  -o, --output FILE      write the report to FILE atomically (temporary file + rename)\n"
	  "      --at TIME          with --from RECORDING (watch --record): the sample at or before\n"
	  "                         TIME (RFC 3339, or +SECONDS from its start), replayed as watch ran it\n"
	  "  -j, --format F         table, json, nagios or prometheus\n"
	  "analyzers:\n"
	  "exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (any failure)" },
	{ "events",	cmd_events,	0,
	  "events [-d SECONDS] [-c COUNT] [--no-trace] [--rcvbuf BYTES] [--record FILE] [--record-size BYTES] [--at TIME] [FILTER]",
	  "every TCP socket as it goes away: lifetime, bytes, how it ended; per destination and listener",
	  "  -d, --duration S   stop after S seconds (default: until interrupted)\n"
	  "  -c, --count N      stop after N connections\n"
	  "      --no-trace     do not read the tracepoint (lifetimes and causes then unknown)\n"
	  "      --rcvbuf BYTES the notification socket's receive buffer (default 8 MiB)\n"
	  "      --record FILE  also write every record to FILE: ndjson in zstd frames, one per\n"
	  "                     batch (readable while written), mode 0600, rotated to FILE.1..7\n"
	  "      --record-size BYTES  rotate at this size (default 64 MiB)\n"
	  "      --at TIME      with --from RECORDING: the records up to TIME (as written in them)\n"
	  "tcpdoctor --from RECORDING events replays a recording, here or on another machine\n"
	  "  FILTER             as for ls, without state words: sport/dport OP PORT, src/dst PREFIX\n"
	  "  -j                 one JSON object per connection, then per destination and listener (ndjson)\n"
	  "any user may read the destroy notifications; lifetimes and causes need tracefs (root)" },
	{ "explain",	cmd_explain,	0,		"explain [TOPIC]",
	  "what a TCP state, a knob or a scenario means, answered by the model for this host",
	  "TOPIC: a state (TIME_WAIT, close-wait, ...), a sysctl (tcp_fin_timeout), knobs, scenarios,\n"
	  "  a scenario name, a finding id, a counter, or a question (isn, msl, syncookies,\n"
	  "  time-wait-cost, three-way-handshake); without TOPIC: the list of topics\n"
	  "  an unknown TOPIC exits 64 and names the nearest topics; see also tcpdoctor-tcp(7)\n"
	  "  -j, --format json  one JSON document" },
	{ "kill",	cmd_kill,	CMD_LIVE_ONLY | CMD_ALL_NETNS,	"kill [--yes] FILTER",
	  "destroy the sockets a filter selects (sock_diag destroy, as ss -K); a dry run without --yes",
	  "  -y, --yes          destroy them (without it: print what would be destroyed)\n"
	  "FILTER: as for ls (state, sport/dport, src/dst, cgroup, unit, container, pod);\n"
	  "  an empty filter is refused, and listening sockets are left alone unless the\n"
	  "  filter names the state (state listening)\n"
	  "exit status: 0, 64 usage, 69 kernel without CONFIG_INET_DIAG_DESTROY, 77 not permitted" },
	{ "ls",		cmd_ls,		CMD_ALL_NETNS,	"ls [-p] [-c] [-i] [-e] [-H] [--at TIME] [FILTER]",
	  "list sockets, like ss -tan, with filters",
	  "  -p, --processes   owning process (pid, command)\n"
	  "  -c, --cgroup      who runs in its cgroup (pod, container, unit) and the cgroup path\n"
	  "  -i, --info        tcp_info and socket memory on a second line\n"
	  "  -e, --extended    timer, uid, inode, socket cookie\n"
	  "  -H, --no-header   no header line\n"
	  "      --at TIME     with --from RECORDING: the sample at or before TIME (or +SECONDS)\n"
	  "  -j, --format F    json (one document) or ndjson (one socket per line)\n"
	  "FILTER: [state NAME...] [exclude NAME...] [EXPR]\n"
	  "  NAME: ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, FIN_WAIT2, TIME_WAIT, CLOSE,\n"
	  "        CLOSE_WAIT, LAST_ACK, LISTEN, CLOSING (any case, ss spellings too), or\n"
	  "        all, connected, synchronized, bucket, big\n"
	  "  EXPR: sport|dport OP PORT, src|dst PREFIX, cgroup PREFIX, unit NAME,\n"
	  "        container ID, pod NAME, joined by and, or, not, ( )\n"
	  "        OP: = != < <= > >= (eq ne lt le gt ge); PREFIX: ADDR[/LEN][:PORT]\n"
	  "example: tcpdoctor ls -p state close-wait dport = :5432" },
	{ "replay",	cmd_replay,	CMD_NO_NETNS,
	  "replay [--conn ID] [--list] [--profile linux|rfc9293] [--max-conns N] [--idle SECONDS] [--user USER] [-j | --format F] CAPTURE|- [FILTER]",
	  "a packet capture through the model: connections, endpoint states, anomalies, findings",
	  "  CAPTURE             a pcap or pcapng file; - reads standard input\n"
	  "                      (tcpdump -U -w - | tcpdoctor replay -)\n"
	  "      --conn ID       one connection's ladder: both endpoints' states per packet,\n"
	  "                      the model's expected next events, the departures\n"
	  "  -l, --list          one line per connection before the summary\n"
	  "      --profile P     linux (this host's or --from's sysctls, default) or rfc9293\n"
	  "      --max-conns N   connections tracked at once (default 100000; more are dropped, counted)\n"
	  "      --idle S        a connection idle S seconds of capture time ends (default 300)\n"
	  "      --user USER     user to drop root privileges to once the capture is open (nobody)\n"
	  "  -j, --format F      json (one document) or ndjson (one connection per line as it ends)\n"
	  "FILTER: the ls filter; a state word matches either endpoint's last state" },
	{ "sim",	cmd_sim,	CMD_NO_NETNS,
	  "sim [SCENARIO | -f FILE] [--profile linux|rfc9293] [--seed N] [--set KNOB=VALUE]... [-j] [--against-kernel]",
	  "run the bundled TCP model through a scenario: ladder diagram or JSON event log",
	  "  -f, --file FILE       a scenario script (format in tcpdoctor(8))\n"
	  "      --profile P       linux (default, Linux 6.18 defaults) or rfc9293\n"
	  "      --seed N          PRNG seed (links, ISN keys); same seed, same run\n"
	  "      --set KNOB=VALUE  a profile knob for every host, e.g. tcp_syncookies=0\n"
	  "  -j, --format json     the event log as one JSON document\n"
	  "      --against-kernel  play a conformance scenario against this kernel (root,\n"
	  "                        throwaway namespace, TUN) and the model, side by side\n"
	  "without SCENARIO: list the named scenarios (with --against-kernel: its scenarios)" },
	{ "snapshot",	cmd_snapshot,	CMD_ALL_NETNS,		"snapshot [-o FILE [--plain]]",
	  "save sockets, counters and sysctls as JSON",
	  "  -o, --output FILE  write FILE atomically (temporary file + rename), compressed\n"
	  "                     (zstd; zstd -dc FILE shows the JSON)\n"
	  "      --plain        with -o: the plain JSON document, as standard output gets\n"
	  "read it back anywhere with: tcpdoctor --from FILE COMMAND" },
	{ "summary",	cmd_summary,	CMD_ALL_NETNS,		"summary [--top N] [--at TIME]",
	  "counts per state, listener queues, top ports and peers, key counters",
	  "  -t, --top N        how many ports and peers per state (1-100, default 5)\n"
	  "      --at TIME      with --from RECORDING: the sample at or before TIME (or +SECONDS)\n"
	  "  -j, --format json  one JSON document" },
	{ "trace",	cmd_trace,	CMD_LIVE_ONLY,	"trace [-d SECONDS] [-c COUNT] [-P PORT] [-e EVENTS] [FILTER]",
	  "live state transitions from the kernel tracepoint, explained by the model",
	  "  -d, --duration S   stop after S seconds (default: until interrupted)\n"
	  "  -c, --count N      stop after N events\n"
	  "  -P, --port PORT    only sockets with this local or remote port\n"
	  "  -e, --events LIST  also: send-reset, receive-reset, retransmit-synack,\n"
	  "                     retransmit, destroy, drop (TCP drops); all (default: state)\n"
	  "  FILTER             as ls: state NAME... (transitions into these states),\n"
	  "                     exclude NAME..., sport, dport, src, dst, and, or, not\n"
	  "  -j                 one JSON object per event (ndjson)\n"
	  "Needs root (tracefs).  The tracepoint sees every network namespace and\n"
	  "never shows request or timewait sockets: FIN_WAIT2 -> CLOSE is the handover\n"
	  "to TIME_WAIT." },
	{ "tune",	cmd_tune,	CMD_ALL_NETNS,
	  "tune [-c FILE] [--set SECTION.KEY=VALUE] [--only ID,...] [--skip ID,...] | tune --audit FILE...",
	  "a sysctl.d snippet from the findings (printed, never applied); --audit judges sysctl files",
	  "  (no option)        a /etc/sysctl.d/ snippet from the current findings, each line with\n"
	  "                     its reason, current value and risk; printed, never applied\n"
	  "  --audit FILE...    judge every TCP line of sysctl.conf or sysctl.d files: fine,\n"
	  "                     caution, pointless, harmful, obsolete, invalid or unknown\n"
	  "  -c, --set, --only, --skip   as for check\n"
	  "  -j, --format json  JSON instead of text" },
	{ "version",	cmd_version,	CMD_NO_NETNS,	"version",
	  "print the version" },
	{ "watch",	cmd_watch,	CMD_ALL_NETNS | CMD_ALL_NETNS_SELF,
	  "watch [-i SECONDS] [-n COUNT] [-d SECONDS] [-o FILE] [--no-events] [--connections] [-c FILE] [--set SECTION.KEY=VALUE] [--only ID,...] [--skip ID,...] [--record FILE] [--record-size BYTES] | --from RECORDING watch [-j] [--connections] [--speed F] [-n COUNT] [--at TIME]",
	  "continuous monitoring: states, rates, findings as they start and clear",
	  "  -i, --interval S   seconds between samples (default 5)\n"
	  "  -n, --count N      stop after N samples (default: until interrupted)\n"
	  "  -d, --duration S   stop once S seconds have passed; a summary ends every run\n"
	  "  -o, --output FILE  with --format prometheus: FILE, replaced atomically every sample\n"
	  "      --no-events    without the connection events between samples (as events reads them)\n"
	  "      --connections  print each connection that ended in the interval, as events does\n"
	  "                     (not with --no-events or -o)\n"
	  "  -c, --config FILE  thresholds, as for check\n"
	  "  --set, --only, --skip   as for check\n"
	  "  -j                 one JSON object per sample (ndjson)\n"
	  "      --record FILE  also record every sample (sockets as changes, findings) to FILE:\n"
	  "                     ndjson in zstd frames, readable while written, mode 0600\n"
	  "      --record-size BYTES  rotate FILE to FILE.1..7 at this size (default 64 MiB)\n"
	  "tcpdoctor --from RECORDING watch plays it back (-j: the lines as printed live):\n"
	  "      --connections  the recorded connections too, as printed live\n"
	  "      --speed F      F times the recorded pace (0: as fast as possible; default 1, 0 with -n)\n"
	  "      --at TIME      start at the sample at or after TIME (RFC 3339, or +SECONDS)\n"
	  "tcpdoctor --from RECORDING ls|summary|check --at TIME answers for one sample" },
};
const unsigned int td_ncommands = ARRAY_SIZE(td_commands);

static const char global_usage[] =
    "usage: tcpdoctor [-N NETNS | --netns-pid PID | -A [--netns-filter PATTERN]] [-4 | -6]\n"
    "                 [--format FORMAT | -j] [--from SNAPSHOT] COMMAND [ARGS]\n";

static void
usage(FILE *fp)
{
	unsigned int i;

	fputs(global_usage, fp);
	fputs("\ncommands:\n", fp);
	for (i = 0; i < td_ncommands; i++)
		fprintf(fp, "  %-10s %s\n", td_commands[i].name, td_commands[i].summary);
	fputs("\nglobal options:\n"
	    "  -N, --netns NAME      look inside network namespace NAME (/run/netns/NAME)\n"
	    "      --netns-pid PID   look inside the network namespace of process PID\n"
	    "  -A, --all-netns       every network namespace on the host, one after another\n"
	    "      --netns-filter P  with -A: only namespaces whose name, label or inode match P\n"
	    "  -4, -6                IPv4 or IPv6 sockets only\n"
	    "      --format FORMAT   table, json, ndjson, prometheus or nagios\n"
	    "  -j, --json            same as --format json\n"
	    "      --from FILE       read a saved snapshot instead of the kernel\n"
	    "  -h, --help            this help; `tcpdoctor COMMAND --help` for a command\n"
	    "  -V, --version         print the version\n", fp);
	fputs("\nSee tcpdoctor(8).\n", fp);
}

static const struct cmd *
cmd_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < td_ncommands; i++)
		if (strcmp(td_commands[i].name, name) == 0)
			return &td_commands[i];
	return NULL;
}

/*
 * A command's help, after a blank line; a line "analyzers:" is completed
 * with the ids of the registry (analyzers/registry.c), in report order.
 */
static void
help_print(FILE *fp, const char *help)
{
	const char *p, *nl;
	size_t i;

	fputc('\n', fp);
	for (p = help; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = strchrnul(p, '\n');
		fwrite(p, 1, (size_t)(nl - p), fp);
		if (nl - p == (ptrdiff_t)strlen("analyzers:") && strncmp(p, "analyzers:", (size_t)(nl - p)) == 0)
			for (i = 0; td_analyzers[i] != NULL; i++)
				fprintf(fp, " %s", td_analyzers[i]->id);
		fputc('\n', fp);
	}
}

void
cmd_usage(FILE *fp, const struct td_ctx *ctx)
{
	const struct cmd *c = ctx->cmd != NULL ? cmd_find(ctx->cmd) : NULL;

	if (c == NULL) {
		fputs(global_usage, fp);
		return;
	}
	fprintf(fp, "usage: tcpdoctor [GLOBAL OPTIONS] %s\n", c->usage);
	if (fp != stderr) {
		fprintf(fp, "%s\n", c->summary);
		if (c->help != NULL)
			help_print(fp, c->help);
		fputs("\nSee tcpdoctor(8); global options: tcpdoctor --help\n", fp);
	}
}

void
cmd_source_init(struct td_ctx *ctx, struct td_source *src)
{
	memset(src, 0, sizeof(*src));
	src->proc_root = ctx->proc_root;
	src->from = ctx->from;
	src->at = ctx->at;
	src->sample = ctx->rec_sample;
	src->netns_label = ctx->netns_label;
	src->states = TD_STATES_ALL;
	src->family = ctx->family;
	src->want_info = true;
}

/*
 * stdout through termsafe (cmd/termsafe.h): what the table and Nagios
 * outputs print of outside origin (process names, snapshot and file text)
 * reaches the terminal with control characters and invalid UTF-8 escaped.
 * JSON and Prometheus text have escaping rules of their own and go raw.
 */
static FILE *safe_stdout;
static int safe_errno;		/* errno of its first failed write, 0 if none */

static void
out_select(struct td_ctx *ctx)
{
	bool raw = ctx->format == TD_FMT_JSON || ctx->format == TD_FMT_NDJSON ||
	    ctx->format == TD_FMT_PROMETHEUS;

	ctx->out = raw || safe_stdout == NULL ? stdout : safe_stdout;
}

int
cmd_format_opt(struct td_ctx *ctx, int ch, const char *arg)
{
	if ((ch == 'j' || ch == CMD_OPT_FORMAT) && ctx->all_netns) {
		/* The runs' outputs are joined: the format is known before the first. */
		ctx->stop_all = true;
		cmd_fail(ctx, TD_EXIT_USAGE,
		    "with --all-netns, give -j or --format before the command (tcpdoctor -A -j %s)",
		    ctx->cmd);
		return -1;
	}
	if (ch == 'j') {
		ctx->format = TD_FMT_JSON;
	} else if (ch == CMD_OPT_FORMAT) {
		if (cmd_parse_format(arg, &ctx->format) < 0) {
			cmd_fail(ctx, TD_EXIT_USAGE,
			    "--format: unknown format '%s' (table, json, ndjson, prometheus, nagios)", arg);
			return -1;
		}
	} else {
		return 0;
	}
	ctx->format_set = true;
	out_select(ctx);
	return 1;
}

int
cmd_bad_option(struct td_ctx *ctx, int ch, int argc, char **argv)
{
	const char *word = optind > 0 && optind - 1 < argc ? argv[optind - 1] : "?";

	if (ch == ':')
		return cmd_fail(ctx, TD_EXIT_USAGE, "option '%s' needs an argument (see tcpdoctor %s --help)",
		    word, ctx->cmd);
	if (optopt != 0 && optopt < 256)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unknown option '-%c' (see tcpdoctor %s --help)",
		    optopt, ctx->cmd);
	return cmd_fail(ctx, TD_EXIT_USAGE, "unknown option '%s' (see tcpdoctor %s --help)", word,
	    ctx->cmd);
}

int
cmd_getopt(struct td_ctx *ctx, int argc, char **argv, const char *shortopts,
    const struct option *longopts, int *status)
{
	char opts[64];
	int ch;

	snprintf(opts, sizeof(opts), "+:hj%s", shortopts);
	for (;;) {
		ch = getopt_long(argc, argv, opts, longopts, NULL);
		switch (cmd_format_opt(ctx, ch, optarg)) {
		case 1:
			continue;
		case -1:
			*status = TD_EXIT_USAGE;
			return CMD_OPT_EXIT;
		}
		if (ch == 'h') {
			cmd_usage(stdout, ctx);
			ctx->stop_all = true;
			*status = TD_EXIT_OK;
			return CMD_OPT_EXIT;
		}
		if (ch == ':' || ch == '?') {
			ctx->stop_all = true;
			*status = cmd_bad_option(ctx, ch, argc, argv);
			return CMD_OPT_EXIT;
		}
		return ch;
	}
}

int
cmd_version(struct td_ctx *ctx, int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return cmd_fail(ctx, TD_EXIT_USAGE, "unexpected argument '%s'", argv[1]);
	fprintf(ctx->out, "tcpdoctor %s\n", TD_VERSION);
	return TD_EXIT_OK;
}

int
cmd_parse_format(const char *s, enum td_format *fmt)
{
	static const struct {
		const char	*name;
		enum td_format	 fmt;
	} formats[] = {
		{ "table", TD_FMT_TABLE },
		{ "json", TD_FMT_JSON },
		{ "ndjson", TD_FMT_NDJSON },
		{ "prometheus", TD_FMT_PROMETHEUS },
		{ "nagios", TD_FMT_NAGIOS },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(formats); i++)
		if (strcmp(formats[i].name, s) == 0) {
			*fmt = formats[i].fmt;
			return 0;
		}
	return -1;
}

enum { OPT_FROM = 256, OPT_NETNS_PID, OPT_FORMAT, OPT_PROC_ROOT, OPT_NETNS_FILTER };

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "netns",	required_argument,	NULL, 'N' },
		{ "netns-pid",	required_argument,	NULL, OPT_NETNS_PID },
		{ "all-netns",	no_argument,		NULL, 'A' },
		{ "netns-filter", required_argument,	NULL, OPT_NETNS_FILTER },
		{ "format",	required_argument,	NULL, OPT_FORMAT },
		{ "json",	no_argument,		NULL, 'j' },
		{ "from",	required_argument,	NULL, OPT_FROM },
		{ "proc-root",	required_argument,	NULL, OPT_PROC_ROOT },
		{ "help",	no_argument,		NULL, 'h' },
		{ "version",	no_argument,		NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct td_ctx ctx = { .out = stdout, .proc_root = "/proc" };
	const struct cmd *c;
	struct td_err err = { 0 };
	int64_t v;
	int ch, status;

#ifdef __GLIBC__
	/*
	 * Large blocks (the owner tables, the dump's buffers, the events')
	 * are mapped on their own and given back when freed.  glibc would
	 * otherwise raise this threshold as such blocks are freed and serve
	 * the next ones from the heap, where freed memory stays resident: watch
	 * at a million sockets held 28 MiB after four samples instead of 20.
	 */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
#endif
	/* Listings are large: write stdout in big blocks, not 4 KiB ones. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:N:A46jhV", opts, NULL)) != -1) {
		switch (ch) {
		case 'N':
			ctx.netns = optarg;
			break;
		case OPT_NETNS_PID:
			if (td_num_i64(optarg, 1, INT_MAX, &v, NULL) < 0)
				return cmd_fail(NULL, TD_EXIT_USAGE,
				    "--netns-pid: '%s' is not a process id", optarg);
			ctx.netns_pid = (int)v;
			break;
		case 'A':
			ctx.all_netns = true;
			break;
		case OPT_NETNS_FILTER:
			ctx.netns_filter = optarg;
			if (optarg[0] == '\0' || optarg[strlen(optarg) - 1] == ',' ||
			    strstr(optarg, ",,") != NULL || optarg[0] == ',' || strlen(optarg) > 4000)
				return cmd_fail(NULL, TD_EXIT_USAGE,
				    "--netns-filter: '%s' is not a list of patterns (PATTERN[,PATTERN...])", optarg);
			break;
		case '4':
			ctx.family = AF_INET;
			break;
		case '6':
			ctx.family = AF_INET6;
			break;
		case 'j':
			ctx.format = TD_FMT_JSON;
			ctx.format_set = true;
			break;
		case OPT_FORMAT:
			if (cmd_parse_format(optarg, &ctx.format) < 0)
				return cmd_fail(NULL, TD_EXIT_USAGE,
				    "--format: unknown format '%s' (table, json, ndjson, prometheus, nagios)",
				    optarg);
			ctx.format_set = true;
			break;
		case OPT_FROM:
			ctx.from = optarg;
			break;
		case OPT_PROC_ROOT:
			ctx.proc_root = optarg;
			break;
		case 'h':
			usage(stdout);
			return TD_EXIT_OK;
		case 'V':
			printf("tcpdoctor %s\n", TD_VERSION);
			return TD_EXIT_OK;
		case ':':
			return cmd_fail(NULL, TD_EXIT_USAGE, "option '%s' needs an argument",
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				return cmd_fail(NULL, TD_EXIT_USAGE, "unknown option '-%c' (see tcpdoctor --help)",
				    optopt);
			return cmd_fail(NULL, TD_EXIT_USAGE, "unknown option '%s' (see tcpdoctor --help)",
			    argv[optind - 1]);
		}
	}
	if (optind >= argc) {
		fputs(global_usage, stderr);
		return cmd_fail(NULL, TD_EXIT_USAGE, "no command given (see tcpdoctor --help)");
	}
	c = cmd_find(argv[optind]);
	if (c == NULL)
		return cmd_fail(NULL, TD_EXIT_USAGE, "unknown command '%s' (see tcpdoctor --help)",
		    argv[optind]);
	ctx.cmd = c->name;
	if (ctx.netns != NULL && ctx.netns_pid != 0)
		return cmd_fail(&ctx, TD_EXIT_USAGE, "-N and --netns-pid cannot be used together");
	if (ctx.netns_filter != NULL && !ctx.all_netns)
		return cmd_fail(&ctx, TD_EXIT_USAGE, "--netns-filter needs --all-netns (-A)");
	if (ctx.all_netns) {
		if (ctx.netns != NULL || ctx.netns_pid != 0)
			return cmd_fail(&ctx, TD_EXIT_USAGE,
			    "--all-netns cannot be used with -N or --netns-pid");
		if (!(c->flags & CMD_ALL_NETNS))
			return cmd_fail(&ctx, TD_EXIT_USAGE,
			    "--all-netns does not apply to '%s' (ls, summary, check, tune, snapshot, watch, kill)", c->name);
	}
	if ((c->flags & CMD_LIVE_ONLY) && ctx.from != NULL)
		return cmd_fail(&ctx, c->flags & CMD_NAGIOS ? TD_EXIT_UNKNOWN : TD_EXIT_USAGE,
		    "--from cannot be used: this command reads the running kernel");
	if (ctx.from != NULL && (ctx.netns != NULL || ctx.netns_pid != 0)) {
		td_errf(&err, EINVAL, "--from reads a saved snapshot: -N and --netns-pid do not apply");
		if (!(c->flags & CMD_NAGIOS))
			return cmd_fail(&ctx, TD_EXIT_USAGE, "%s", err.msg);
		ctx.setup_err = err;	/* check reports it in its own format */
	} else if (!(c->flags & CMD_NO_NETNS) && (ctx.netns != NULL || ctx.netns_pid != 0)) {
		if (netns_enter(ctx.netns, ctx.netns_pid, &err) < 0) {
			/*
			 * A Nagios check must report UNKNOWN on stdout in its
			 * own format, which only it knows after parsing its
			 * options: hand it the error instead of printing it.
			 */
			if (!(c->flags & CMD_NAGIOS))
				return cmd_fail_err(&ctx, &err);
			ctx.setup_err = err;
		}
		else if (ctx.netns != NULL)
			snprintf(ctx.netns_label, sizeof(ctx.netns_label), "%s", ctx.netns);
		else
			snprintf(ctx.netns_label, sizeof(ctx.netns_label), "pid:%d", ctx.netns_pid);
	}
	/* Commands parse their own options: restart getopt for them. */
	argc -= optind;
	argv += optind;
	optind = 0;
	/*
	 * A reader that goes away (`| head`, a closed pipe) must stop the
	 * command at the next write, with EPIPE, wherever SIGPIPE would be
	 * ignored anyway (systemd services): one path, one exit status.
	 */
	signal(SIGPIPE, SIG_IGN);
	safe_stdout = termsafe_open(stdout, &safe_errno);
	out_select(&ctx);
	if (ctx.all_netns && !(c->flags & CMD_ALL_NETNS_SELF))
		status = cmd_all_netns(&ctx, c, argc, argv);
	else
		status = c->run(&ctx, argc, argv);
	if (safe_stdout != NULL) {
		/*
		 * A write that failed during the run is the command's to report
		 * (every streaming command does, and fails); one it did not see
		 * (status 0), or one at this last flush, is reported here.
		 */
		int during = safe_errno, code;

		errno = 0;
		code = fclose(safe_stdout) != 0 ? (errno != 0 ? errno : EIO) : 0;
		safe_stdout = NULL;
		ctx.out = stdout;
		if (during != 0 && status == TD_EXIT_OK && !ctx.out_failed)
			return cmd_fail_write(&ctx, c->flags & CMD_NAGIOS ? TD_EXIT_UNKNOWN :
			    TD_EXIT_OSERR, during);
		if (during == 0 && code != 0 && !ctx.out_failed)
			return cmd_fail_write(&ctx, status != TD_EXIT_OK ? status :
			    c->flags & CMD_NAGIOS ? TD_EXIT_UNKNOWN : TD_EXIT_OSERR, code);
		if (during != 0)
			return status;
	}
	errno = 0;
	if (!ctx.out_failed && (fflush(stdout) != 0 || ferror(stdout))) {
		int code = errno != 0 ? errno : EIO;

		return cmd_fail_write(&ctx, status != TD_EXIT_OK ? status :
		    c->flags & CMD_NAGIOS ? TD_EXIT_UNKNOWN : TD_EXIT_OSERR, code);
	}
	return status;
}
