/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor trace [-d SECONDS] [-c COUNT] [-P PORT] [-e EVENTS] [FILTER]`:
 * live TCP state transitions from the sock:inet_sock_set_state
 * tracepoint, each annotated by the model: is the edge one Linux takes,
 * what the kernel-only edges mean, and how long the new state may last
 * under this host's sysctls.  With -e, the kernel's other TCP events
 * beside them: resets sent (with the kernel's reason) and received,
 * SYN-ACKs and segments retransmitted, sockets destroyed, and TCP
 * segments dropped (skb:kfree_skb, with the drop reason), each explained.
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
#include "core/util.h"
#include "tcp/tm.h"

struct trace_run {
	struct td_ctx		*ctx;
	struct tm_profile	 prof;
	uint64_t		 count, limit;
	bool			 write_failed;	/* err holds the failed write's errno */
	struct td_meta		 meta;		/* the JSON head: host, and the event's time */
	const struct td_filter	*filter;	/* the expression (root >= 0), or NULL */
};

/* -e words: each names one event (the client's kinds). */
static const struct {
	const char		*word;
	enum td_trace_kind	 kind;
	const char		*label;		/* the table's event column */
} event_words[] = {
	{ "state",		TD_TRACE_STATE,			NULL },
	{ "send-reset",		TD_TRACE_SEND_RESET,		"RST sent" },
	{ "receive-reset",	TD_TRACE_RECEIVE_RESET,		"RST received" },
	{ "retransmit-synack",	TD_TRACE_RETRANSMIT_SYNACK,	"SYN-ACK retransmitted" },
	{ "retransmit",		TD_TRACE_RETRANSMIT_SKB,	"segment retransmitted" },
	{ "destroy",		TD_TRACE_DESTROY_SOCK,		"socket destroyed" },
	{ "drop",		TD_TRACE_KFREE_SKB,		"segment dropped" },
};

/*
 * Reset reasons (enum sk_rst_reason, include/net/rstreason.h; the names
 * come from the running kernel's tcp_send_reset format) in plain words.
 */
static const struct {
	const char	*name, *text;
} rst_reasons[] = {
	{ "NOT_SPECIFIED", "the kernel gave no reason" },
	{ "NO_SOCKET", "no socket for the segment: nothing listens on that port, or the "
	    "connection is already gone" },
	{ "TCP_INVALID_ACK_SEQUENCE", "the segment acknowledged data never sent "
	    "(tcp_rcv_synsent_state_process, tcp_check_req)" },
	{ "TCP_RFC7323_PAWS", "the segment failed the timestamp check (PAWS, RFC 7323)" },
	{ "TCP_TOO_OLD_ACK", "the segment acknowledged data older than the window" },
	{ "TCP_ACK_UNSENT_DATA", "the segment acknowledged data not sent yet" },
	{ "TCP_FLAGS", "the segment's flags do not fit the connection's state" },
	{ "TCP_OLD_ACK", "an old ACK for a connection still in the handshake" },
	{ "TCP_ABORT_ON_DATA", "data arrived for a socket the application had already closed "
	    "(tcp_rcv_state_process)" },
	{ "TCP_TIMEWAIT_SOCKET", "a segment a TIME_WAIT socket must refuse "
	    "(tcp_timewait_state_process)" },
	{ "INVALID_SYN", "a SYN that is not acceptable for the connection" },
	{ "TCP_ABORT_ON_CLOSE", "the socket was closed with unread data (tcp_close(), RFC 2525 "
	    "section 2.17)" },
	{ "TCP_ABORT_ON_LINGER", "closed with SO_LINGER and a zero timeout, or the orphan's "
	    "FIN_WAIT2 time (tcp_fin_timeout) ran out" },
	{ "TCP_ABORT_ON_MEMORY", "the kernel aborted an orphaned connection: too many orphans "
	    "or TCP memory exhausted (tcp_out_of_resources)" },
	{ "TCP_STATE", "the application disconnected (shutdown/connect(AF_UNSPEC)) or closed "
	    "a connection in a state that calls for a reset (tcp_disconnect)" },
	{ "TCP_KEEPALIVE_TIMEOUT", "keepalive probes went unanswered (tcp_keepalive_probes)" },
	{ "TCP_DISCONNECT_WITH_DATA", "disconnected while data was still queued to send" },
};

/* Drop reasons (enum skb_drop_reason, include/net/dropreason-core.h) met in TCP. */
static const struct {
	const char	*name, *text;
} drop_reasons[] = {
	{ "NOT_SPECIFIED", "the kernel gave no reason" },
	{ "NO_SOCKET", "no socket for the segment: nothing listens on that port, or the "
	    "connection is already gone" },
	{ "SOCKET_FILTER", "a socket filter (BPF) dropped it" },
	{ "SOCKET_RCVBUFF", "the socket's receive buffer was full" },
	{ "SOCKET_BACKLOG", "the socket's backlog was full while the application held it" },
	{ "PROTO_MEM", "TCP memory is exhausted (tcp_mem)" },
	{ "TCP_CSUM", "bad TCP checksum" },
	{ "TCP_FLAGS", "flags that do not fit the connection's state" },
	{ "TCP_ZEROWINDOW", "data sent into a zero window" },
	{ "TCP_OLD_DATA", "data already received (a retransmission of what was acknowledged)" },
	{ "TCP_OVERWINDOW", "data beyond the advertised window" },
	{ "TCP_OFOMERGE", "out-of-order data that overlapped data already queued" },
	{ "TCP_RFC7323_PAWS", "failed the timestamp check (PAWS, RFC 7323)" },
	{ "TCP_RFC7323_PAWS_ACK", "an ACK that failed the timestamp check (PAWS, RFC 7323)" },
	{ "TCP_OLD_SEQUENCE", "a sequence number older than the window" },
	{ "TCP_INVALID_SEQUENCE", "a sequence number outside the window" },
	{ "TCP_INVALID_END_SEQUENCE", "data ending outside the window" },
	{ "TCP_INVALID_ACK_SEQUENCE", "acknowledged data never sent" },
	{ "TCP_RESET", "a RST (the connection was reset)" },
	{ "TCP_INVALID_SYN", "a SYN where none is acceptable (answered with a challenge ACK)" },
	{ "TCP_CLOSE", "the connection is closed" },
	{ "TCP_FASTOPEN", "a TCP Fast Open segment the listener refused" },
	{ "TCP_OLD_ACK", "an ACK older than what was already acknowledged" },
	{ "TCP_TOO_OLD_ACK", "an ACK far older than the window" },
	{ "TCP_ACK_UNSENT_DATA", "an ACK for data not sent yet" },
	{ "TCP_OFO_QUEUE_PRUNE", "out-of-order data pruned for lack of memory" },
	{ "TCP_OFO_DROP", "out-of-order data dropped (no room in the receive window)" },
	{ "TCP_LISTEN_OVERFLOW", "the listener's accept queue was full (ListenOverflows)" },
	{ "TCP_MINTTL", "below the socket's minimum TTL (IP_MINTTL)" },
	{ "TCP_MD5NOTFOUND", "no TCP-MD5 signature where one is required" },
	{ "TCP_MD5UNEXPECTED", "a TCP-MD5 signature where none is expected" },
	{ "TCP_MD5FAILURE", "a wrong TCP-MD5 signature" },
	{ "TCP_ABORT_ON_DATA", "data for a socket the application had already closed" },
	{ "QUEUE_PURGE", "queued data thrown away when the connection ended" },
	{ "NETFILTER_DROP", "a netfilter rule dropped it" },
};

static const char *
reason_text(bool drop, const char *name)
{
	size_t i;

	if (drop) {
		for (i = 0; i < sizeof(drop_reasons) / sizeof(drop_reasons[0]); i++)
			if (strcmp(drop_reasons[i].name, name) == 0)
				return drop_reasons[i].text;
	} else {
		for (i = 0; i < sizeof(rst_reasons) / sizeof(rst_reasons[0]); i++)
			if (strcmp(rst_reasons[i].name, name) == 0)
				return rst_reasons[i].text;
	}
	return NULL;
}

/*
 * Parse -e: words from event_words, "all", separated by commas or blanks.
 * Returns the TD_TRACE_BIT mask, or 0 with *bad at the unknown word.
 */
static unsigned int
parse_events(const char *arg, char *bad, size_t badlen)
{
	unsigned int mask = 0;
	const char *p;
	size_t n, i;

	for (p = arg; *p != '\0'; p += n) {
		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == 0)
			continue;
		if (n == 3 && strncmp(p, "all", 3) == 0) {
			mask |= (1u << TD_TRACE_KINDS) - 1;
			continue;
		}
		for (i = 0; i < sizeof(event_words) / sizeof(event_words[0]); i++)
			if (strlen(event_words[i].word) == n && strncmp(p, event_words[i].word, n) == 0)
				break;
		if (i == sizeof(event_words) / sizeof(event_words[0])) {
			snprintf(bad, badlen, "%.*s", (int)(n < 64 ? n : 64), p);
			return 0;
		}
		mask |= TD_TRACE_BIT(event_words[i].kind);
	}
	if (mask == 0)
		snprintf(bad, badlen, "%s", arg);
	return mask;
}

static const char *
event_label(enum td_trace_kind k)
{
	size_t i;

	for (i = 0; i < sizeof(event_words) / sizeof(event_words[0]); i++)
		if (event_words[i].kind == k)
			return event_words[i].label;
	return "?";
}

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

/* What the event means, in words (the model's sysctls where they bear on it). */
static void
explain(const struct trace_run *r, const struct td_trace_ev *ev, char *buf, size_t len)
{
	const char *t;

	switch (ev->kind) {
	case TD_TRACE_SEND_RESET:
		t = ev->reason[0] != '\0' ? reason_text(false, ev->reason) : NULL;
		if (ev->reason[0] == '\0')
			snprintf(buf, len, "this host reset the connection (this kernel's tcp_send_reset "
			    "gives no reason)");
		else if (strcmp(ev->reason, "INVALID_SYN") == 0 && ev->state == TD_ST_LISTEN)
			/*
			 * tcp_check_req() answers for a request socket with the
			 * listener's addresses: at embryonic_reset (reason
			 * INVALID_SYN) after a SYN inside the request's window,
			 * or after listen_overflow when the handshake's last ACK
			 * found the accept queue full (tcp_v4_syn_recv_sock())
			 * and tcp_abort_on_overflow is 1 (KERNEL-FACTS Part B #8).
			 */
			snprintf(buf, len, "this host refused a handshake it had answered: the listener's "
			    "accept queue was full when the last ACK came and tcp_abort_on_overflow is 1 "
			    "(ListenOverflows), or a SYN came inside the pending handshake "
			    "(tcp_check_req()); the addresses are the listener's");
		else if (t != NULL)
			snprintf(buf, len, "this host reset the connection: %s", t);
		else
			snprintf(buf, len, "this host reset the connection: the kernel's reason %s "
			    "(include/net/rstreason.h)", ev->reason);
		break;
	case TD_TRACE_RECEIVE_RESET:
		snprintf(buf, len, "the peer reset the connection: the application gets ECONNRESET "
		    "(ECONNREFUSED while connecting, EPIPE in CLOSE_WAIT; tcp_reset())");
		break;
	case TD_TRACE_RETRANSMIT_SYNACK:
		snprintf(buf, len, "the handshake's third segment (the client's ACK) has not arrived: "
		    "the listener sends its SYN-ACK again, up to tcp_synack_retries=%d times, and "
		    "drops the request after %.0f s", r->prof.synack_retries,
		    (double)tm_synack_giveup(&r->prof) / 1e9);
		break;
	case TD_TRACE_RETRANSMIT_SKB:
		if (ev->err != 0)
			snprintf(buf, len, "a segment sent again in %s, but the send failed here: %s "
			    "(%d)", td_state_name(ev->state), strerror(-ev->err), ev->err);
		else
			snprintf(buf, len, "a segment sent again in %s: no ACK came within the "
			    "retransmission timeout, or duplicate ACKs/SACK asked for it",
			    td_state_name(ev->state));
		break;
	case TD_TRACE_DESTROY_SOCK:
		snprintf(buf, len, "the socket is freed (inet_csk_destroy_sock()): its last event");
		break;
	case TD_TRACE_KFREE_SKB:
		t = reason_text(true, ev->reason);
		if (t != NULL)
			snprintf(buf, len, "a TCP segment dropped in %s: %s", ev->where[0] != '\0' ?
			    ev->where : "TCP", t);
		else
			snprintf(buf, len, "a TCP segment dropped in %s: the kernel's reason %s "
			    "(include/net/dropreason-core.h)", ev->where[0] != '\0' ? ev->where : "TCP",
			    ev->reason);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* Does the event pass the expression (the filter language of ls)? */
static bool
event_matches(const struct trace_run *r, const struct td_trace_ev *ev)
{
	struct td_filter f;
	struct td_sock sk;

	if (r->filter == NULL)
		return true;
	/* No addresses, nothing to match (a drop): left out, as said at the start. */
	if (ev->family == 0)
		return false;
	memset(&sk, 0, sizeof(sk));
	sk.family = ev->family;
	sk.sport = ev->sport;
	sk.dport = ev->dport;
	sk.src = ev->src;
	sk.dst = ev->dst;
	sk.state = ev->kind == TD_TRACE_STATE ? ev->newstate : ev->state;
	/* The states filtered transitions in the kernel; the other events by the expression. */
	f = *r->filter;
	f.states = ~0u;	/* also state 0: events without a state field */
	return filter_match(&f, &sk);
}

/* One of the events beside the transitions: table line or NDJSON object. */
static void
other_one(struct trace_run *r, const struct td_trace_ev *ev, const char *src, const char *dst)
{
	struct snapfile_head head = { &r->meta, "trace", SNAPFILE_HEAD_USEC | SNAPFILE_HEAD_OWN_TIME };
	char t[40], ep[2][INET6_ADDRSTRLEN + 10], what[64], text[512], cookie[24];
	json_t *o;

	explain(r, ev, text, sizeof(text));
	if (r->ctx->format == TD_FMT_TABLE) {
		td_time_utc(ev->time_ns, t, sizeof(t), TD_TIME_USEC);
		if (ev->family != 0) {
			endpoint_text(src, ev->sport, ep[0], sizeof(ep[0]));
			endpoint_text(dst, ev->dport, ep[1], sizeof(ep[1]));
		} else {
			snprintf(ep[0], sizeof(ep[0]), "-");
			snprintf(ep[1], sizeof(ep[1]), "-");
		}
		snprintf(what, sizeof(what), "%s%s%s%s", event_label((enum td_trace_kind)ev->kind),
		    ev->reason[0] != '\0' ? " (" : "", ev->reason, ev->reason[0] != '\0' ? ")" : "");
		fprintf(r->ctx->out, "%s %-22s %-22s %-36s %s\n", t, ep[0], ep[1], what, text);
		return;
	}
	head.time_ns = ev->time_ns;
	o = snapfile_line_head(&head);
	json_object_set_new(o, "event", json_string(tracefs_kind_name((enum td_trace_kind)ev->kind)));
	json_object_set_new(o, "family", ev->family == 0 ? json_null() :
	    json_string(ev->family == AF_INET ? "ipv4" : "ipv6"));
	json_object_set_new(o, "src", ev->family != 0 ? json_string(src) : json_null());
	json_object_set_new(o, "sport", ev->family != 0 ? json_integer(ev->sport) : json_null());
	json_object_set_new(o, "dst", ev->family != 0 ? json_string(dst) : json_null());
	json_object_set_new(o, "dport", ev->family != 0 ? json_integer(ev->dport) : json_null());
	json_object_set_new(o, "state", ev->state != TD_ST_UNKNOWN ?
	    json_string(td_state_name(ev->state)) : json_null());
	json_object_set_new(o, "reason", ev->reason[0] != '\0' ? json_string(ev->reason) :
	    json_null());
	json_object_set_new(o, "where", ev->where[0] != '\0' ? json_string(ev->where) :
	    json_null());
	json_object_set_new(o, "err", ev->kind == TD_TRACE_RETRANSMIT_SKB ? json_integer(ev->err) :
	    json_null());
	/* The socket's cookie as sock_diag gives it (ss -e), in hex: JSON numbers lose 64 bits. */
	snprintf(cookie, sizeof(cookie), "%" PRIx64, ev->cookie);
	json_object_set_new(o, "cookie", ev->cookie != 0 ? json_string(cookie) : json_null());
	json_object_set_new(o, "pid", ev->pid > 0 ? json_integer(ev->pid) : json_null());
	json_object_set_new(o, "tid", ev->tid > 0 ? json_integer(ev->tid) : json_null());
	json_object_set_new(o, "comm", ev->comm[0] != '\0' ? json_string(ev->comm) : json_null());
	json_object_set_new(o, "explanation", json_string(text));
	output_json_line(r->ctx->out, o);
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
	struct snapfile_head head = { &r->meta, "trace", SNAPFILE_HEAD_USEC | SNAPFILE_HEAD_OWN_TIME };
	json_t *o;

	if (r->limit != 0 && r->count >= r->limit)
		return 0;
	if (!event_matches(r, ev))
		return 0;
	errno = 0;
	addr_text(ev, &ev->src, src, sizeof(src));
	addr_text(ev, &ev->dst, dst, sizeof(dst));
	if (ev->kind != TD_TRACE_STATE) {
		other_one(r, ev, src, dst);
	} else if (r->ctx->format == TD_FMT_TABLE) {
		td_time_utc(ev->time_ns, t, sizeof(t), TD_TIME_USEC);
		lifetime_text(&r->prof, ev->newstate, life, sizeof(life));
		endpoint_text(src, ev->sport, ep[0], sizeof(ep[0]));
		endpoint_text(dst, ev->dport, ep[1], sizeof(ep[1]));
		fprintf(r->ctx->out, "%s %-22s %-22s %-11s -> %-11s %-9s %s%s\n", t, ep[0], ep[1],
		    td_state_name(ev->oldstate), td_state_name(ev->newstate), life,
		    legal ? "" : "UNEXPECTED by the model; ", note != NULL ? note : "");
	} else {
		head.time_ns = ev->time_ns;
		o = snapfile_line_head(&head);
		json_object_set_new(o, "src", json_string(src));
		json_object_set_new(o, "sport", json_integer(ev->sport));
		json_object_set_new(o, "dst", json_string(dst));
		json_object_set_new(o, "dport", json_integer(ev->dport));
		json_object_set_new(o, "oldstate", json_string(td_state_name(ev->oldstate)));
		json_object_set_new(o, "newstate", json_string(td_state_name(ev->newstate)));
		json_object_set_new(o, "legal", json_boolean(legal));
		json_object_set_new(o, "family", json_string(ev->family == AF_INET ? "ipv4" : "ipv6"));
		json_object_set_new(o, "pid", ev->pid > 0 ? json_integer(ev->pid) : json_null());
		json_object_set_new(o, "tid", ev->tid > 0 ? json_integer(ev->tid) : json_null());
		json_object_set_new(o, "comm", ev->comm[0] != '\0' ? json_string(ev->comm) : json_null());
		json_object_set_new(o, "max_lifetime_s", max == TM_TIME_INF ||
		    ev->newstate == TD_ST_CLOSE ? json_null() : json_real((double)max / 1e9));
		json_object_set_new(o, "note", note != NULL ? json_string(note) : json_null());
		output_json_line(r->ctx->out, o);
	}
	/* The errno of the write that failed, not whatever came after it. */
	if (ferror(r->ctx->out))
		return cmd_out_check(r->ctx->out, false, &r->write_failed, err);
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
	return cmd_out_check(r->ctx->out, true, &r->write_failed, err);
}

int
cmd_trace(struct td_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "duration",	required_argument, NULL, 'd' },
		{ "count",	required_argument, NULL, 'c' },
		{ "port",	required_argument, NULL, 'P' },
		{ "events",	required_argument, NULL, 'e' },
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
	char bad[80], missing[512];
	size_t k;

	while ((ch = cmd_getopt(ctx, argc, argv, "d:c:P:e:", opts, &status)) != -1) {
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
		case 'e':
			if ((to.events = parse_events(optarg, bad, sizeof(bad))) == 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--events: '%s' is not an event (state, "
				    "send-reset, receive-reset, retransmit-synack, retransmit, destroy, "
				    "drop, all)", bad);
			break;
		default:
			return status;
		}
	}
	if (filter_parse(&filter, argc - optind, argv + optind, &err) < 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s", err.msg);
	if (filter.needs_cgroup)
		return cmd_fail(ctx, TD_EXIT_USAGE, "cgroup, unit, container and pod name a socket's "
		    "owner, which a tracepoint does not carry: trace cannot filter by them");
	if (filter.root >= 0)
		r.filter = &filter;
	if (filter.states != TD_STATES_ALL)
		to.states = filter.states;
	if (to.events == 0)
		to.events = TD_TRACE_BIT(TD_TRACE_STATE);
	/* The other events are optional: what this kernel lacks is named once. */
	to.optional = true;
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
	missing[0] = '\0';
	for (k = 0; k < TD_TRACE_KINDS; k++) {
		const char *why = tracefs_missing_why(s, (enum td_trace_kind)k);

		if (why[0] != '\0')
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s (%s)",
			    missing[0] != '\0' ? ", " : "", tracefs_kind_dir((enum td_trace_kind)k), why);
		/* A drop has no addresses or ports: an expression leaves it out. */
		else if (k == TD_TRACE_KFREE_SKB && r.filter != NULL &&
		    (to.events & TD_TRACE_BIT(k)))
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s (%s)",
			    missing[0] != '\0' ? ", " : "", tracefs_kind_dir((enum td_trace_kind)k),
			    "its record has no addresses for the filter");
	}
	if (missing[0] != '\0')
		cmd_warn(ctx, "not traced: %s", missing);
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
