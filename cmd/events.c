/* SPDX-License-Identifier: MIT */
/*
 * `tcpdoctor events [-d SECONDS] [-c COUNT] [--no-trace] [FILTER]`: every
 * TCP socket of the namespace as it goes away (sock_diag destroy
 * notifications, collectors/events.h) with its lifetime, bytes each way,
 * retransmissions, RTT and how it ended, joined with the
 * sock:inet_sock_set_state transitions when tracefs is usable; at the end
 * the aggregates per destination (connect()) and per listener (accept()).
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <ctype.h>
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
#include "cmd/cmd.h"
#include "cmd/events.h"
#include "cmd/evopts.h"
#include "cmd/exit.h"
#include "cmd/filter.h"
#include "cmd/findings.h"
#include "cmd/output.h"
#include "collectors/events.h"
#include "collectors/evowners.h"
#include "collectors/recording.h"
#include "collectors/snapfile.h"
#include "collectors/sockdiag.h"
#include "collectors/sysctl.h"
#include "collectors/tracefs.h"
#include "collectors/tracefs_inst.h"
#include "core/safefile.h"
#include "core/util.h"
#include "tcp/tm.h"

/*
 * Destroy notifications wait this long before they are joined, so that
 * the transitions of the same socket (read from another file, trace_pipe)
 * are in first.
 */
#define EV_HOLD_NS	300000000LL
#define EV_QUEUE	4096
#define EV_TRACK	65536	/* connections followed at once */
#define EV_LISTENERS	1024

struct ev_held {
	struct td_sock	sk;
	int64_t		t;
};

struct lsn_base {
	uint8_t		family;
	uint16_t	port;
	struct in6_addr	addr;
	uint32_t	drops;
	bool		seen;
};

struct ev_run {
	struct td_ctx		*ctx;
	struct td_filter	 filter;
	struct events_tracker	*tr;
	struct events_agg	*agg;
	struct ev_held		*q;
	size_t			 qhead, qlen;
	uint64_t		 count, limit;
	bool			 write_failed;
	struct td_meta		 meta;		/* host and netns of every line's head */
	struct lsn_base		 lsn[EV_LISTENERS];
	size_t			 nlsn;
	bool			 lsn_final;
	struct td_sysctls	 sys;
	struct rec_writer	*rec;		/* --record, NULL without */
	bool			 rec_failed;	/* err holds the recording's error */
	struct ev_owners	*own;		/* owners before they go (evowners.h), NULL replaying */
	bool			 own_warned;
};

/* What the summary says about the run. */
struct ev_stats {
	uint64_t	lost, untracked;
	int		rcvbuf;
	bool		traced;
};


/* addr:port, [v6]:port, port 0 as "*" (ss's spelling). */
static void
endpoint_text(const struct td_sock *sk, const struct in6_addr *a, uint16_t port, char *buf,
    size_t len)
{
	char addr[INET6_ADDRSTRLEN], p[8] = "*";

	td_addr_str(sk, a, addr, sizeof(addr));
	if (port != 0)
		snprintf(p, sizeof(p), "%u", port);
	snprintf(buf, len, strchr(addr, ':') != NULL ? "[%s]:%s" : "%s:%s", addr, p);
}

static int
flush_out(struct ev_run *r, struct td_err *err)
{
	return cmd_out_check(r->ctx->out, true, &r->write_failed, err);
}

/* The head of an events line: schema, command, type, time (to the microsecond), host, netns. */
static json_t *
events_head(const struct td_meta *meta, const char *type, int64_t t)
{
	struct snapfile_head h = {
		.meta = meta, .command = "events", .type = type, .time_ns = t,
		.members = SNAPFILE_HEAD_NETNS | SNAPFILE_HEAD_USEC | SNAPFILE_HEAD_OWN_TIME,
	};

	return snapfile_line_head(&h);
}

/*
 * One JSON record: into the recording (when recording), and on the output
 * as ndjson (unless the output is a table).  Steals o.
 */
static int
emit(struct ev_run *r, json_t *o, struct td_err *err)
{
	char *line;
	int rc = 0;

	if (o == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	if (r->rec != NULL) {
		line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
		if (line == NULL) {
			json_decref(o);
			return td_errf(err, ENOMEM, "out of memory");
		}
		rc = rec_add(r->rec, line, strlen(line), err);
		free(line);
	}
	if (r->ctx->format != TD_FMT_TABLE)
		output_json_line(r->ctx->out, o);
	else
		json_decref(o);
	return rc;
}

static json_t *
json_u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* One connection as a table row (cmd/events.h). */
void
events_conn_row(FILE *fp, const struct td_conn_ev *ev)
{
	const struct td_sock *sk = &ev->sk;
	char t[40], ep[2][INET6_ADDRSTRLEN + 10], life[32], rtt[32], owner[64];
	int64_t ms = events_lifetime_ms(ev);

	td_time_utc(ev->time_ns, t, sizeof(t), TD_TIME_USEC);
	endpoint_text(sk, &sk->src, sk->sport, ep[0], sizeof(ep[0]));
	endpoint_text(sk, &sk->dst, sk->dport, ep[1], sizeof(ep[1]));
	if (ms < 0)
		snprintf(life, sizeof(life), "?");
	else
		output_ms(ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms, life, sizeof(life));
	if (sk->tcpi.rtt != 0)
		snprintf(rtt, sizeof(rtt), "%.2fms", sk->tcpi.rtt / 1000.0);
	else
		snprintf(rtt, sizeof(rtt), "-");
	if (ev->comm[0] != '\0' && ev->pid > 0)
		snprintf(owner, sizeof(owner), "%s/%d%s", ev->comm, ev->pid,
		    ev->owner_from == EV_OWNER_LISTENER ? "(listener)" : "");
	else if (ev->comm[0] != '\0' && ev->tid > 0)	/* the thread is gone: its process unknown */
		snprintf(owner, sizeof(owner), "%s/tid:%d", ev->comm, ev->tid);
	else if (ev->comm[0] != '\0')
		snprintf(owner, sizeof(owner), "%s", ev->comm);
	else
		snprintf(owner, sizeof(owner), "uid:%u", sk->uid);
	fprintf(fp, "%-15s %-22s %-22s %-7s %-14s %8s %10" PRIu64 " %10" PRIu64
	    " %4u %8s %-16s %s\n", t, ep[0], ep[1], ev_role_name(ev->role),
	    ev_outcome_name(ev->outcome), life, sk->tcpi.bytes_sent,
	    sk->tcpi.bytes_received, ev_outcome_failed_connect(ev->outcome) ? ev->syns :
	    sk->tcpi.total_retrans, rtt, owner,
	    ev_reset_cause(ev) != NULL ? ev_reset_cause(ev) : "-");
}

/* One connection as its "connection" record (cmd/events.h). */
json_t *
events_conn_json(const struct td_conn_ev *ev, const struct td_meta *meta)
{
	const struct td_sock *sk = &ev->sk;
	char t[40], src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];
	int64_t ms = events_lifetime_ms(ev);
	json_t *o;

	o = events_head(meta, "connection", ev->time_ns);
	if (o != NULL) {
		td_addr_str(sk, &sk->src, src, sizeof(src));
		td_addr_str(sk, &sk->dst, dst, sizeof(dst));
		json_object_set_new(o, "family", json_string(sk->family == AF_INET ? "ipv4" : "ipv6"));
		json_object_set_new(o, "src", json_string(src));
		json_object_set_new(o, "sport", json_integer(sk->sport));
		json_object_set_new(o, "dst", json_string(dst));
		json_object_set_new(o, "dport", json_integer(sk->dport));
		json_object_set_new(o, "role", json_string(ev_role_name(ev->role)));
		json_object_set_new(o, "outcome", json_string(ev_outcome_name(ev->outcome)));
		json_object_set_new(o, "traced", json_boolean(ev->traced));
		if (ev->born_ns != 0) {
			td_time_utc(ev->born_ns, t, sizeof(t), TD_TIME_DATE | TD_TIME_USEC);
			json_object_set_new(o, "born", json_string(t));
		} else {
			json_object_set_new(o, "born", json_null());
		}
		json_object_set_new(o, "lifetime_ms", ms >= 0 ? json_integer(ms) : json_null());
		json_object_set_new(o, "established_after_ms", ev->est_ns != 0 && ev->born_ns != 0 &&
		    ev->est_ns >= ev->born_ns ? json_integer((ev->est_ns - ev->born_ns) / 1000000) :
		    json_null());
		json_object_set_new(o, "syns", ev_outcome_failed_connect(ev->outcome) ?
		    json_integer(ev->syns) : json_null());
		json_object_set_new(o, "bytes_sent", json_u64(sk->tcpi.bytes_sent));
		json_object_set_new(o, "bytes_acked", json_u64(sk->tcpi.bytes_acked));
		json_object_set_new(o, "bytes_received", json_u64(sk->tcpi.bytes_received));
		json_object_set_new(o, "segs_out", json_integer(sk->tcpi.segs_out));
		json_object_set_new(o, "segs_in", json_integer(sk->tcpi.segs_in));
		json_object_set_new(o, "total_retrans", json_integer(sk->tcpi.total_retrans));
		json_object_set_new(o, "rtt_ms", sk->tcpi.rtt != 0 ?
		    json_real(sk->tcpi.rtt / 1000.0) : json_null());
		json_object_set_new(o, "uid", json_integer(sk->uid));
		json_object_set_new(o, "pid", ev->pid > 0 ? json_integer(ev->pid) : json_null());
		json_object_set_new(o, "tid", ev->tid > 0 && ev->owner_from == EV_OWNER_CONNECT ?
		    json_integer(ev->tid) : json_null());
		json_object_set_new(o, "comm", ev->comm[0] != '\0' ? json_string(ev->comm) :
		    json_null());
		json_object_set_new(o, "owner_from", ev_owner_from_name(ev->owner_from) != NULL ?
		    json_string(ev_owner_from_name(ev->owner_from)) : json_null());
		json_object_set_new(o, "cookie", json_u64(sk->cookie));
		json_object_set_new(o, "reset_by", ev_reset_by_name(ev->reset_by) != NULL ?
		    json_string(ev_reset_by_name(ev->reset_by)) : json_null());
		json_object_set_new(o, "reset_reason", ev->reset_reason[0] != '\0' ?
		    json_string(ev->reset_reason) : json_null());
		json_object_set_new(o, "cause", ev_reset_cause(ev) != NULL ?
		    json_string(ev_reset_cause(ev)) : json_null());
	}
	return o;
}

static int
print_conn(struct ev_run *r, const struct td_conn_ev *ev, struct td_err *err)
{
	if (r->ctx->format == TD_FMT_TABLE)
		events_conn_row(r->ctx->out, ev);
	if ((r->ctx->format != TD_FMT_TABLE || r->rec != NULL) &&
	    emit(r, events_conn_json(ev, &r->meta), err) < 0)
		return -1;
	return flush_out(r, err);
}

/* Join, filter, print and count one held notification. */
static int
release_one(struct ev_run *r, const struct ev_held *h, struct td_err *err)
{
	struct td_conn_ev ev;

	events_track_destroy(r->tr, &h->sk, h->t, &ev);
	if (!filter_match(&r->filter, &ev.sk))
		return 0;
	if (r->limit != 0 && r->count >= r->limit)
		return 0;
	if (r->own != NULL)
		(void)ev_owners_fill(r->own, &ev);
	events_agg_add(r->agg, &ev);
	r->count++;
	return print_conn(r, &ev, err);
}

/* Release the notifications held longer than EV_HOLD_NS (all with all). */
static int
release(struct ev_run *r, bool all, struct td_err *err)
{
	int64_t cut = td_real_ns() - EV_HOLD_NS;

	while (r->qlen > 0) {
		struct ev_held *h = &r->q[r->qhead];

		if (!all && r->tr != NULL && h->t > cut)
			break;
		if (release_one(r, h, err) < 0)
			return -1;
		r->qhead = (r->qhead + 1) % EV_QUEUE;
		r->qlen--;
	}
	return 0;
}

static int
on_destroy(const struct td_sock *sk, int64_t t, void *arg, struct td_err *err)
{
	struct ev_run *r = arg;
	struct ev_held *h;

	if (r->qlen == EV_QUEUE) {
		/* Full: the oldest goes now, joined with what is known. */
		if (release_one(r, &r->q[r->qhead], err) < 0)
			return -1;
		r->qhead = (r->qhead + 1) % EV_QUEUE;
		r->qlen--;
	}
	h = &r->q[(r->qhead + r->qlen) % EV_QUEUE];
	h->sk = *sk;
	h->t = t;
	r->qlen++;
	return 0;
}

static int
on_trace(const struct td_trace_ev *ev, void *arg, struct td_err *err)
{
	struct ev_run *r = arg;

	(void)err;
	events_track_trace(r->tr, ev);
	/* listen(): its owner is looked up before its first connection goes. */
	if (r->own != NULL && ev->kind == TD_TRACE_STATE && ev->newstate == TD_ST_LISTEN)
		ev_owners_want(r->own);
	return 0;
}

/* A listener seen by the dump: its sk_drops at the start, then the growth. */
static int
on_listener(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct ev_run *r = arg;
	struct ev_dest *row;
	size_t i;

	(void)err;
	if (sk->state != TD_ST_LISTEN || !sk->has_skmem)
		return 0;
	for (i = 0; i < r->nlsn; i++)
		if (r->lsn[i].family == sk->family && r->lsn[i].port == sk->sport &&
		    memcmp(&r->lsn[i].addr, &sk->src, sizeof(sk->src)) == 0)
			break;
	if (!r->lsn_final) {
		if (filter_match(&r->filter, sk))
			(void)events_agg_listener(r->agg, sk->family, &sk->src, sk->sport);
		if (i == r->nlsn && r->nlsn < EV_LISTENERS) {
			r->lsn[r->nlsn].family = sk->family;
			r->lsn[r->nlsn].port = sk->sport;
			r->lsn[r->nlsn].addr = sk->src;
			r->lsn[r->nlsn].drops = sk->skmem.drops;
			r->nlsn++;
		}
		return 0;
	}
	if (!filter_match(&r->filter, sk))
		return 0;
	/* A listener opened meanwhile started from 0 drops. */
	uint32_t base = i < r->nlsn ? r->lsn[i].drops : 0;
	if (sk->skmem.drops > base) {
		row = events_agg_listener(r->agg, sk->family, &sk->src, sk->sport);
		if (row != NULL)
			row->dropped += sk->skmem.drops - base;
	}
	return 0;
}

/* A listener row's owner is its listener's, where known (else its first connection's). */
static void
owners_rows(struct ev_run *r)
{
	size_t i;

	for (i = 0; r->own != NULL && i < r->agg->nlsn; i++) {
		struct ev_dest *d = &r->agg->lsn[i];

		if (d->owner_from != EV_OWNER_LISTENER && ev_owners_listener(r->own, d->family,
		    &d->addr, d->port, &d->pid, d->comm))
			d->owner_from = EV_OWNER_LISTENER;
	}
}

/*
 * Refresh the owner table when a connection went without owner (or a
 * listener appeared), at the rate evowners.h bounds; a failed scan is
 * warned about once and the table kept.  The listener rows take their
 * listener's owner.
 */
static void
owners_tick(struct ev_run *r, bool now)
{
	struct td_err e = { 0 };

	if (r->own == NULL)
		return;
	if (now || ev_owners_due(r->own, td_mono_ns()))
		(void)ev_owners_refresh(r->own, false, &e);
	if (!r->own_warned && ev_owners_failed(r->own, &e)) {
		cmd_warn(r->ctx, "owners of the sockets not looked up: %s", e.msg);
		r->own_warned = true;
	}
	owners_rows(r);
}

static int
dump_listeners(struct ev_run *r, struct td_err *err)
{
	struct sockdiag_req req = { .states = TD_STATE_BIT(TD_ST_LISTEN), .want_info = true };
	int fam[2] = { AF_INET, AF_INET6 }, i;

	for (i = 0; i < 2; i++) {
		if (r->ctx->family != 0 && r->ctx->family != fam[i])
			continue;
		req.family = fam[i];
		if (sockdiag_dump(&req, on_listener, r, err) < 0)
			return -1;
	}
	return 0;
}

static void
print_row_table(struct ev_run *r, const struct ev_dest *d, bool listener)
{
	struct td_sock tmp = { .family = d->family };
	char ep[INET6_ADDRSTRLEN + 10], life[32] = "?", mx[32] = "?", owner[40] = "-";

	endpoint_text(&tmp, &d->addr, d->port, ep, sizeof(ep));
	if (d->comm[0] != '\0')
		snprintf(owner, sizeof(owner), "%s/%d", d->comm, d->pid);
	if (d->life_n > 0) {
		uint64_t avg = d->life_sum_ms / d->life_n;

		output_ms(avg > UINT32_MAX ? UINT32_MAX : (uint32_t)avg, life, sizeof(life));
		output_ms(d->life_max_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)d->life_max_ms, mx,
		    sizeof(mx));
	}
	if (listener)
		fprintf(r->ctx->out, "  %-28s %8" PRIu64 " %6" PRIu64 " %6" PRIu64 " %10" PRIu64
		    " %8s %8s %12" PRIu64 " %12" PRIu64 " %s\n", ep, d->opened, d->n[EV_RESET],
		    d->n[EV_CLOSED] + d->n[EV_ENDED], d->dropped, life, mx, d->bytes_sent,
		    d->bytes_received, owner);
	else
		fprintf(r->ctx->out, "  %-28s %6" PRIu64 " %9" PRIu64 " %7" PRIu64 " %9" PRIu64
		    " %11" PRIu64 " %6" PRIu64 " %6" PRIu64 " %8s %8s %s\n", ep, d->opened,
		    d->succeeded, d->n[EV_REFUSED], d->n[EV_TIMED_OUT], d->n[EV_UNREACHABLE],
		    d->n[EV_ABANDONED] + d->n[EV_CONNECT_FAILED], d->n[EV_RESET], life, mx, owner);
}

static json_t *
row_json(struct ev_run *r, const struct ev_dest *d, bool listener, int64_t t)
{
	struct td_sock tmp = { .family = d->family };
	char addr[INET6_ADDRSTRLEN];
	json_t *o = events_head(&r->meta, listener ? "listener" : "destination", t), *n;
	unsigned int k;

	td_addr_str(&tmp, &d->addr, addr, sizeof(addr));
	json_object_set_new(o, "family", json_string(d->family == AF_INET ? "ipv4" : "ipv6"));
	json_object_set_new(o, listener ? "src" : "dst", json_string(addr));
	json_object_set_new(o, listener ? "sport" : "dport", json_integer(d->port));
	json_object_set_new(o, listener ? "accepted" : "opened", json_u64(d->opened));
	if (!listener) {
		json_object_set_new(o, "succeeded", json_u64(d->succeeded));
		json_object_set_new(o, "refused", json_u64(d->n[EV_REFUSED]));
		json_object_set_new(o, "timed_out", json_u64(d->n[EV_TIMED_OUT]));
		json_object_set_new(o, "unreachable", json_u64(d->n[EV_UNREACHABLE]));
		json_object_set_new(o, "abandoned", json_u64(d->n[EV_ABANDONED]));
		json_object_set_new(o, "connect_failed", json_u64(d->n[EV_CONNECT_FAILED]));
	} else {
		json_object_set_new(o, "dropped", json_u64(d->dropped));
	}
	json_object_set_new(o, "reset", json_u64(d->n[EV_RESET]));
	n = json_object();
	for (k = 0; k < EV_OUTCOME_MAX; k++)
		json_object_set_new(n, ev_outcome_name(k), json_u64(d->n[k]));
	json_object_set_new(o, "outcomes", n);
	json_object_set_new(o, "bytes_sent", json_u64(d->bytes_sent));
	json_object_set_new(o, "bytes_received", json_u64(d->bytes_received));
	json_object_set_new(o, "lifetime_avg_ms", d->life_n > 0 ?
	    json_u64(d->life_sum_ms / d->life_n) : json_null());
	json_object_set_new(o, "lifetime_max_ms", d->life_n > 0 ? json_u64(d->life_max_ms) :
	    json_null());
	json_object_set_new(o, "comm", d->comm[0] != '\0' ? json_string(d->comm) : json_null());
	json_object_set_new(o, "pid", d->comm[0] != '\0' && d->pid > 0 ? json_integer(d->pid) :
	    json_null());
	json_object_set_new(o, "owner_from", d->comm[0] != '\0' &&
	    ev_owner_from_name(d->owner_from) != NULL ?
	    json_string(ev_owner_from_name(d->owner_from)) : json_null());
	return o;
}

/* The findings of the aggregates (failed_connects, lifetimes), after them. */
static int
print_findings(struct ev_run *r, double giveup_s, int64_t t, struct td_err *err)
{
	struct td_findings fs = { 0 };
	struct td_snapshot snap;
	const struct td_finding *f;
	json_t *o, *fo;
	size_t i, j;
	int rc = 0;

	memset(&snap, 0, sizeof(snap));
	snap.sys = r->sys;
	if (analyzer_events_findings(r->agg, &snap, giveup_s, &fs, err) < 0 ||
	    td_findings_check(&fs, err) < 0) {
		td_findings_free(&fs);
		return -1;
	}
	td_findings_sort(&fs);
	if (r->ctx->format == TD_FMT_TABLE && fs.n > 0)
		fprintf(r->ctx->out, "\nFindings:\n");
	for (i = 0; i < fs.n; i++) {
		f = &fs.v[i];
		if (r->ctx->format == TD_FMT_TABLE) {
			fprintf(r->ctx->out, "  %s %s: %s\n", td_severity_name(f->severity), f->id,
			    f->summary);
			for (j = 0; j < f->nreco; j++)
				fprintf(r->ctx->out, "    fix (%s%s%s%s%s): %s\n",
				    td_reco_kind_name(f->reco[j].kind), " ", f->reco[j].key,
				    f->reco[j].suggested[0] != '\0' ? " = " : "", f->reco[j].suggested,
				    f->reco[j].reason);
		}
		if (r->ctx->format != TD_FMT_TABLE || r->rec != NULL) {
			o = events_head(&r->meta, "finding", t);
			fo = findings_json_finding(f);
			if (o == NULL || fo == NULL || json_object_update(o, fo) < 0) {
				json_decref(o);
				json_decref(fo);
				rc = td_errf(err, ENOMEM, "out of memory");
				break;
			}
			json_decref(fo);
			if ((rc = emit(r, o, err)) < 0)
				break;
		}
	}
	td_findings_free(&fs);
	return rc < 0 ? rc : flush_out(r, err);
}

/* The rows, then the summary (st NULL: none, a replay that has not reached one). */
static int
print_aggregates(struct ev_run *r, const struct ev_stats *st, int64_t t, struct td_err *err)
{
	const struct events_agg *a = r->agg;
	size_t i;
	json_t *o;

	if (r->ctx->format == TD_FMT_TABLE) {
		fprintf(r->ctx->out, "\nDestinations (connect):\n  %-28s %6s %9s %7s %9s %11s %6s %6s"
		    " %8s %8s %s\n", "Peer", "Opened", "Succeeded", "Refused", "Timed-out",
		    "Unreachable", "Other", "Reset", "Life-avg", "Life-max", "Owner");
		for (i = 0; i < a->ndest; i++)
			print_row_table(r, &a->dest[i], false);
		fprintf(r->ctx->out, "\nListeners (accept):\n  %-28s %8s %6s %6s %10s %8s %8s %12s %12s"
		    " %s\n", "Local", "Accepted", "Reset", "Closed", "Dropped", "Life-avg", "Life-max",
		    "Bytes-out", "Bytes-in", "Owner");
		for (i = 0; i < a->nlsn; i++)
			print_row_table(r, &a->lsn[i], true);
		if (st != NULL)
			fprintf(r->ctx->out, "\n%" PRIu64 " connections; %" PRIu64 " notifications lost "
			    "(ENOBUFS, receive buffer %d bytes); transitions %s\n", a->total, st->lost,
			    st->rcvbuf, st->traced ? "traced" :
			    "not traced: lifetimes and causes unknown");
		else
			fprintf(r->ctx->out, "\n%" PRIu64 " connections\n", a->total);
	}
	if (r->ctx->format == TD_FMT_TABLE && r->rec == NULL)
		return flush_out(r, err);
	for (i = 0; i < a->ndest; i++)
		if (emit(r, row_json(r, &a->dest[i], false, t), err) < 0)
			return -1;
	for (i = 0; i < a->nlsn; i++)
		if (emit(r, row_json(r, &a->lsn[i], true, t), err) < 0)
			return -1;
	if (st != NULL) {
		o = events_head(&r->meta, "summary", t);
		json_object_set_new(o, "connections", json_u64(a->total));
		json_object_set_new(o, "rows_full", json_u64(a->other));
		json_object_set_new(o, "lost_notifications", json_u64(st->lost));
		json_object_set_new(o, "rcvbuf", json_integer(st->rcvbuf));
		json_object_set_new(o, "traced", json_boolean(st->traced));
		json_object_set_new(o, "untracked_transitions", json_u64(st->untracked));
		if (r->own != NULL) {
			struct ev_owners_stats os = ev_owners_stats(r->own);

			json_object_set_new(o, "owner_scans", json_u64(os.refreshes));
			json_object_set_new(o, "owner_scan_max_ms", json_real(os.max_ns / 1e6));
			json_object_set_new(o, "owners_unknown", json_u64(os.unknown));
		}
		if (emit(r, o, err) < 0)
			return -1;
	}
	return flush_out(r, err);
}

/* The sysctls a finding quotes, and the model's connect() timeout, in the "start" record. */
static int
print_start(struct ev_run *r, double giveup_s, struct td_err *err)
{
	const struct td_sysval *pr = &r->sys.s[TD_SYS_PORT_RANGE], *tw = &r->sys.s[TD_SYS_TW_REUSE];
	json_t *o;

	if (r->ctx->format == TD_FMT_TABLE && r->rec == NULL)
		return 0;
	o = events_head(&r->meta, "start", td_real_ns());
	json_object_set_new(o, "connect_timeout_s", json_real(giveup_s));
	json_object_set_new(o, "ip_local_port_range", pr->readable ?
	    json_pack("[I,I]", (json_int_t)pr->v[0], (json_int_t)pr->v[1]) : json_null());
	json_object_set_new(o, "tcp_tw_reuse", tw->readable ? json_integer(tw->v[0]) : json_null());
	return emit(r, o, err);
}

/* ---- Replaying a recording (--from) ---- */

static const char *
jstr(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static bool
jint(const json_t *o, const char *key, int64_t lo, int64_t hi, int64_t *v)
{
	const json_t *x = json_object_get(o, key);

	if (!json_is_integer(x))
		return false;
	*v = json_integer_value(x);
	return *v >= lo && *v <= hi;
}

static bool
jaddr(const char *s, uint8_t family, struct in6_addr *a)
{
	struct in_addr v4;

	if (s == NULL)
		return false;
	if (family == AF_INET) {
		if (inet_pton(AF_INET, s, &v4) != 1)
			return false;
		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &v4, 4);
		return true;
	}
	return inet_pton(AF_INET6, s, a) == 1;
}

/* A recorded "connection" back into the record it was printed from.  Returns the bad key. */
static const char *
decode_conn(const json_t *o, int64_t t, struct td_conn_ev *ev)
{
	const char *fam = jstr(o, "family"), *s, *born = jstr(o, "born");
	const json_t *x;
	int64_t v, life = -1;
	unsigned int k;

	memset(ev, 0, sizeof(*ev));
	ev->time_ns = t;
	ev->pid = -1;
	ev->tid = -1;
	ev->sk.state = TD_ST_CLOSE;
	ev->sk.has_tcpi = true;
	if (fam == NULL || (strcmp(fam, "ipv4") != 0 && strcmp(fam, "ipv6") != 0))
		return "family";
	ev->sk.family = strcmp(fam, "ipv4") == 0 ? AF_INET : AF_INET6;
	if (!jaddr(jstr(o, "src"), ev->sk.family, &ev->sk.src))
		return "src";
	if (!jaddr(jstr(o, "dst"), ev->sk.family, &ev->sk.dst))
		return "dst";
	if (!jint(o, "sport", 0, 65535, &v))
		return "sport";
	ev->sk.sport = (uint16_t)v;
	if (!jint(o, "dport", 0, 65535, &v))
		return "dport";
	ev->sk.dport = (uint16_t)v;
	if ((s = jstr(o, "role")) == NULL)
		return "role";
	for (k = 0; k <= EV_ROLE_LISTENER && strcmp(ev_role_name(k), s) != 0; k++)
		;
	if (k > EV_ROLE_LISTENER)
		return "role";
	ev->role = (uint8_t)k;
	if ((s = jstr(o, "outcome")) == NULL)
		return "outcome";
	for (k = 0; k < EV_OUTCOME_MAX && strcmp(ev_outcome_name(k), s) != 0; k++)
		;
	if (k == EV_OUTCOME_MAX)
		return "outcome";
	ev->outcome = (uint8_t)k;
	ev->traced = json_is_true(json_object_get(o, "traced"));
	if (born != NULL && rec_parse_time(born, &ev->born_ns) < 0)
		return "born";
	x = json_object_get(o, "lifetime_ms");
	if (json_is_integer(x)) {
		life = json_integer_value(x);
		if (life < 0 || ev->born_ns == 0 || life > INT64_MAX / 1000000 - ev->born_ns / 1000000)
			return "lifetime_ms";
		/* events_lifetime_ms() gives back exactly the recorded value. */
		ev->closed_ns = ev->born_ns + life * 1000000;
	}
	x = json_object_get(o, "established_after_ms");
	if (json_is_integer(x) && ev->born_ns != 0 && json_integer_value(x) >= 0 &&
	    json_integer_value(x) < INT64_MAX / 1000000 - ev->born_ns / 1000000)
		ev->est_ns = ev->born_ns + json_integer_value(x) * 1000000;
	if (jint(o, "syns", 0, UINT32_MAX, &v))
		ev->syns = (uint32_t)v;
#define U64(key, dst)	do { if (!jint(o, key, 0, INT64_MAX, &v)) return key; dst = (uint64_t)v; } while (0)
#define U32(key, dst)	do { if (!jint(o, key, 0, UINT32_MAX, &v)) return key; dst = (uint32_t)v; } while (0)
	U64("bytes_sent", ev->sk.tcpi.bytes_sent);
	U64("bytes_acked", ev->sk.tcpi.bytes_acked);
	U64("bytes_received", ev->sk.tcpi.bytes_received);
	U32("segs_out", ev->sk.tcpi.segs_out);
	U32("segs_in", ev->sk.tcpi.segs_in);
	U32("total_retrans", ev->sk.tcpi.total_retrans);
	U32("uid", ev->sk.uid);
	U64("cookie", ev->sk.cookie);
#undef U64
#undef U32
	x = json_object_get(o, "rtt_ms");
	if (json_is_number(x)) {
		double ms = json_number_value(x);

		if (!(ms >= 0 && ms < 4294967.0))
			return "rtt_ms";
		ev->sk.tcpi.rtt = (uint32_t)(ms * 1000.0 + 0.5);
	}
	if (jint(o, "pid", 1, INT32_MAX, &v))
		ev->pid = (int32_t)v;
	if (jint(o, "tid", 1, INT32_MAX, &v))	/* absent in recordings before it */
		ev->tid = (int32_t)v;
	if ((s = jstr(o, "comm")) != NULL)
		snprintf(ev->comm, sizeof(ev->comm), "%s", s);
	if ((s = jstr(o, "owner_from")) != NULL)
		for (k = EV_OWNER_CONNECT; k <= EV_OWNER_LISTENER; k++)
			if (strcmp(ev_owner_from_name(k), s) == 0)
				ev->owner_from = (uint8_t)k;
	if ((s = jstr(o, "reset_by")) != NULL)
		ev->reset_by = strcmp(s, "local") == 0 ? EV_RESET_LOCAL :
		    strcmp(s, "peer") == 0 ? EV_RESET_PEER : EV_RESET_UNKNOWN;
	if ((s = jstr(o, "reset_reason")) != NULL)
		snprintf(ev->reset_reason, sizeof(ev->reset_reason), "%s", s);
	return NULL;
}

struct replay {
	struct ev_run	*r;
	const char	*path;
	int64_t		 at;		/* --at, 0 if none */
	bool		 filtered;	/* a FILTER was given: the recorded aggregates do not apply */
	uint64_t	 lineno, skipped_types;
	int64_t		 last_t;
	bool		 have_head;
	json_t		*ends;		/* the recorded end of the run, as lines */
	double		 giveup_s;
	bool		 have_summary;
	struct ev_stats	 st;
};

static int
replay_line(char *line, size_t len, void *arg, struct td_err *err)
{
	struct replay *rp = arg;
	struct ev_run *r = rp->r;
	struct td_conn_ev ev;
	const char *type, *bad, *s;
	json_error_t je;
	json_t *o;
	int64_t t = 0, v;
	int rc = 0;

	rp->lineno++;
	o = json_loadb(line, len, 0, &je);
	if (o == NULL)
		return td_errf(err, EBADMSG, "recording '%s': line %llu: %s", rp->path,
		    (unsigned long long)rp->lineno, je.text);
	type = jstr(o, "type");
	if (!json_is_object(o) || (s = jstr(o, "schema")) == NULL || strcmp(s, TD_SCHEMA) != 0 ||
	    (s = jstr(o, "command")) == NULL || strcmp(s, "events") != 0 || type == NULL ||
	    (s = jstr(o, "time")) == NULL || rec_parse_time(s, &t) < 0) {
		json_decref(o);
		return td_errf(err, EBADMSG, "recording '%s': line %llu is not a record of "
		    "tcpdoctor events (schema, command, type and time)", rp->path,
		    (unsigned long long)rp->lineno);
	}
	if (rp->at != 0 && t > rp->at)
		goto out;
	if (!rp->have_head) {
		snprintf(r->meta.host, sizeof(r->meta.host), "%s",
		    jstr(o, "host") != NULL ? jstr(o, "host") : "");
		snprintf(r->meta.netns, sizeof(r->meta.netns), "%s",
		    jstr(o, "netns") != NULL ? jstr(o, "netns") : "");
		rp->have_head = true;
	}
	rp->last_t = t;
	if (strcmp(type, "connection") == 0) {
		if ((bad = decode_conn(o, t, &ev)) != NULL) {
			rc = td_errf(err, EBADMSG, "recording '%s': line %llu: bad or missing '%s'",
			    rp->path, (unsigned long long)rp->lineno, bad);
			goto out;
		}
		if (!filter_match(&r->filter, &ev.sk) || (r->limit != 0 && r->count >= r->limit))
			goto out;
		events_agg_add(r->agg, &ev);
		r->count++;
		if (r->ctx->format == TD_FMT_TABLE)
			rc = print_conn(r, &ev, err);
		else if (fprintf(r->ctx->out, "%s\n", line) < 0)
			rc = td_errf(err, errno, "writing output: %s", strerror(errno));
	} else if (strcmp(type, "start") == 0) {
		const json_t *pr = json_object_get(o, "ip_local_port_range");

		if (json_is_number(json_object_get(o, "connect_timeout_s")))
			rp->giveup_s = json_number_value(json_object_get(o, "connect_timeout_s"));
		if (json_is_array(pr) && json_array_size(pr) == 2) {
			r->sys.s[TD_SYS_PORT_RANGE].readable = true;
			r->sys.s[TD_SYS_PORT_RANGE].v[0] = json_integer_value(json_array_get(pr, 0));
			r->sys.s[TD_SYS_PORT_RANGE].v[1] = json_integer_value(json_array_get(pr, 1));
		}
		if (jint(o, "tcp_tw_reuse", 0, 2, &v)) {
			r->sys.s[TD_SYS_TW_REUSE].readable = true;
			r->sys.s[TD_SYS_TW_REUSE].v[0] = v;
		}
		if (r->ctx->format != TD_FMT_TABLE && !rp->filtered &&
		    fprintf(r->ctx->out, "%s\n", line) < 0)
			rc = td_errf(err, errno, "writing output: %s", strerror(errno));
	} else if (strcmp(type, "destination") == 0 || strcmp(type, "listener") == 0 ||
	    strcmp(type, "summary") == 0 || strcmp(type, "finding") == 0) {
		if (strcmp(type, "summary") == 0) {
			rp->have_summary = true;
			rp->st.traced = json_is_true(json_object_get(o, "traced"));
			if (jint(o, "lost_notifications", 0, INT64_MAX, &v))
				rp->st.lost = (uint64_t)v;
			if (jint(o, "untracked_transitions", 0, INT64_MAX, &v))
				rp->st.untracked = (uint64_t)v;
			if (jint(o, "rcvbuf", 0, INT32_MAX, &v))
				rp->st.rcvbuf = (int)v;
		}
		if (json_array_append_new(rp->ends, json_stringn(line, len)) < 0)
			rc = td_errf(err, ENOMEM, "out of memory");
	} else {
		rp->skipped_types++;
	}
out:
	json_decref(o);
	return rc;
}

/*
 * Before the connections are replayed into the aggregates, the listeners
 * the run ended with (its "listener" records): the live run knew them from
 * its first dump (dump_listeners), so a connection accepted by a wildcard
 * listener is counted under that listener (0.0.0.0:80), not under the
 * address it arrived at.  With the whole run replayed, a row's drops are
 * the recorded ones (the live run took them from its last dump).
 */
static int
replay_listener_line(char *line, size_t len, void *arg, struct td_err *err)
{
	struct replay *rp = arg;
	struct td_sock sk;
	struct ev_dest *row;
	const char *type, *fam;
	json_t *o;
	int64_t port, dropped;

	(void)len;
	(void)err;
	if (strstr(line, "\"listener\"") == NULL)
		return 0;
	if ((o = json_loads(line, 0, NULL)) == NULL)
		return 0;	/* the replay proper says what is wrong with the line */
	memset(&sk, 0, sizeof(sk));
	type = jstr(o, "type");
	fam = jstr(o, "family");
	if (type != NULL && strcmp(type, "listener") == 0 && fam != NULL &&
	    (strcmp(fam, "ipv4") == 0 || strcmp(fam, "ipv6") == 0) &&
	    jint(o, "sport", 0, 65535, &port)) {
		sk.family = strcmp(fam, "ipv4") == 0 ? AF_INET : AF_INET6;
		sk.state = TD_ST_LISTEN;
		sk.sport = (uint16_t)port;
		if (jaddr(jstr(o, "src"), sk.family, &sk.src) && filter_match(&rp->r->filter, &sk)) {
			row = events_agg_listener(rp->r->agg, sk.family, &sk.src, sk.sport);
			if (row != NULL && rp->at == 0 && jint(o, "dropped", 0, INT64_MAX, &dropped))
				row->dropped = (uint64_t)dropped;
		}
	}
	json_decref(o);
	return 0;
}

/*
 * `--from RECORDING events [--at TIME] [FILTER]`: the records up to TIME
 * as the live run printed them; then, where the run's own end is in the
 * recording (and no FILTER changes what it counts), its aggregates and
 * findings as they were printed, else those of the replayed connections.
 */
static int
replay(struct ev_run *r, int64_t at, struct td_err *err)
{
	struct replay rp = { .r = r, .path = r->ctx->from, .at = at, .filtered = r->filter.root >= 0 };
	bool truncated;
	size_t i;
	int rc;

	rp.ends = json_array();
	if (rp.ends == NULL)
		return td_errf(err, ENOMEM, "out of memory");
	if (r->ctx->format == TD_FMT_TABLE) {
		fprintf(r->ctx->out, "%-15s %-22s %-22s %-7s %-14s %8s %10s %10s %4s %8s %-16s %s\n",
		    "Time (UTC)", "Local", "Peer", "Role", "Outcome", "Life", "Sent", "Received",
		    "Retr", "RTT", "Owner", "Cause");
	}
	rc = 0;
	if (r->ctx->format == TD_FMT_TABLE || rp.filtered)
		rc = rec_read(r->ctx->from, replay_listener_line, &rp, &truncated, err);
	if (rc == 0)
		rc = rec_read(r->ctx->from, replay_line, &rp, &truncated, err);
	if (rc == 0 && truncated)
		cmd_warn(r->ctx, "'%s' ends in the middle of a batch (still being written?): "
		    "replayed up to its last complete one", r->ctx->from);
	if (rc == 0 && rp.skipped_types > 0)
		cmd_warn(r->ctx, "'%s': %llu records of types this version does not know were "
		    "skipped", r->ctx->from, (unsigned long long)rp.skipped_types);
	if (rc == 0 && !rp.filtered && json_array_size(rp.ends) > 0 && r->ctx->format != TD_FMT_TABLE) {
		for (i = 0; i < json_array_size(rp.ends); i++)
			if (fprintf(r->ctx->out, "%s\n", json_string_value(json_array_get(rp.ends, i))) < 0)
				break;
		rc = flush_out(r, err);
	} else if (rc == 0) {
		rc = print_aggregates(r, !rp.filtered && rp.have_summary ? &rp.st : NULL,
		    at != 0 ? at : rp.last_t, err);
		if (rc == 0)
			rc = print_findings(r, rp.giveup_s, at != 0 ? at : rp.last_t, err);
	}
	json_decref(rp.ends);
	return rc;
}

int
cmd_events(struct td_ctx *ctx, int argc, char **argv)
{
	enum { OPT_NO_TRACE = 0x100, OPT_RCVBUF, OPT_AT };
	static const struct option opts[] = {
		EVOPT_LONGOPTS,
		{ "count",	required_argument, NULL, 'c' },
		{ "no-trace",	no_argument,	   NULL, OPT_NO_TRACE },
		{ "rcvbuf",	required_argument, NULL, OPT_RCVBUF },
		{ "at",		required_argument, NULL, OPT_AT },
		CMD_COMMON_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct tracefs_opts to = { 0 };
	struct tracefs_session *ts = NULL;
	struct events_sub *sub = NULL;
	struct ev_run r = { .ctx = ctx };
	struct tm_profile prof;
	struct td_err err = { 0 }, terr = { 0 };
	bool no_trace = false;
	struct evopts eo;
	struct rec_writer rw;
	int64_t at = 0;
	const char *first;
	unsigned int swept;
	int64_t deadline = 0, now;
	struct timespec tsp;
	char *end;
	long v;
	int ch, status = TD_EXIT_OK, rc = 0, sig, rcvbuf = 8 << 20;

	evopts_init(&eo, 'c');
	while ((ch = cmd_getopt(ctx, argc, argv, "d:c:", opts, &status)) != -1) {
		switch (evopts_parse(ctx, &eo, ch, optarg)) {
		case 1:
			continue;
		case -1:
			return TD_EXIT_USAGE;
		}
		switch (ch) {
		case OPT_RCVBUF:
			errno = 0;
			v = strtol(optarg, &end, 10);
			if (errno != 0 || *end != '\0' || end == optarg || v < 4096 || v > (1L << 30))
				return cmd_fail(ctx, TD_EXIT_USAGE,
				    "--rcvbuf: '%s' is not a number of bytes (4096-1073741824)", optarg);
			rcvbuf = (int)v;
			break;
		case OPT_AT:
			if (rec_parse_time(optarg, &at) < 0 || at == 0)
				return cmd_fail(ctx, TD_EXIT_USAGE, "--at: '%s' is not a time as the "
				    "records write it (2026-01-31T23:59:59.5Z)", optarg);
			break;
		case OPT_NO_TRACE:
			no_trace = true;
			break;
		default:
			return status;
		}
	}
	r.limit = (uint64_t)eo.count;
	if (filter_parse(&r.filter, argc - optind, argv + optind, &err) < 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, "%s", err.msg);
	if (r.filter.states != TD_STATES_ALL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "state words do not apply: every socket is "
		    "reported as it goes away, in state CLOSE (filter on ports and addresses)");
	if (ctx->format != TD_FMT_TABLE && ctx->format != TD_FMT_JSON && ctx->format != TD_FMT_NDJSON)
		return cmd_fail(ctx, TD_EXIT_USAGE, "this command prints table or ndjson (-j)");
	if (ctx->from != NULL && eo.record != NULL)
		return cmd_fail(ctx, TD_EXIT_USAGE, "--record records the running kernel: it cannot "
		    "be used with --from");
	if (ctx->from == NULL && at != 0)
		return cmd_fail(ctx, TD_EXIT_USAGE, "--at picks a moment of a recording: use it with "
		    "--from RECORDING");
	if (ctx->from != NULL) {
		/* A recording made elsewhere: nothing of this host is read. */
		if (!rec_is_recording(ctx->from)) {
			if (safefile_check("--from", ctx->from, 0, &err) < 0 || access(ctx->from, F_OK) < 0)
				return cmd_fail(ctx, TD_EXIT_NOINPUT, "--from '%s': %s", ctx->from,
				    err.msg[0] != '\0' ? err.msg : strerror(errno));
			return cmd_fail(ctx, TD_EXIT_DATAERR, "--from '%s' is not a recording (events "
			    "replays what events --record wrote)", ctx->from);
		}
		r.agg = calloc(1, sizeof(*r.agg));
		if (r.agg == NULL)
			return cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
		if (replay(&r, at, &err) < 0)
			status = r.write_failed ? cmd_fail_write(ctx, TD_EXIT_OSERR, err.code) :
			    cmd_fail_err(ctx, &err);
		free(r.agg);
		return status;
	}
	snprintf(r.meta.netns, sizeof(r.meta.netns), "%s", ctx->netns_label);

	if (sysctl_read(ctx->proc_root, &r.sys, &err) < 0)
		return cmd_fail_err(ctx, &err);
	prof = tm_profile_from_values(sysctl_value, &r.sys);
	if (gethostname(r.meta.host, sizeof(r.meta.host) - 1) < 0)
		r.meta.host[0] = '\0';
	r.agg = calloc(1, sizeof(*r.agg));
	r.q = calloc(EV_QUEUE, sizeof(*r.q));
	if (r.agg == NULL || r.q == NULL) {
		status = cmd_fail(ctx, TD_EXIT_OSERR, "out of memory");
		goto out_free;
	}

	tfs_guard(TFS_SIG_STOP);
	if (eo.record != NULL) {
		if (rec_open(&rw, eo.record, eo.record_max, &err) < 0) {
			status = cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
			goto out;
		}
		r.rec = &rw;
	}
	if (!no_trace) {
		r.tr = events_tracker_new(EV_TRACK, (int64_t)tm_syn_giveup(&prof),
		    tm_syn_rtx_count(&prof), &err);
		if (r.tr == NULL) {
			status = cmd_fail_err(ctx, &err);
			goto out;
		}
		/*
		 * The resets and their reasons where this kernel has the
		 * events (tcp_receive_reset since 4.16, the reason of
		 * tcp_send_reset since 6.10); those it lacks are named once.
		 */
		{
			static const struct { enum td_trace_kind k; const char *dir; } opt[] = {
				{ TD_TRACE_SEND_RESET, "tcp/tcp_send_reset" },
				{ TD_TRACE_RECEIVE_RESET, "tcp/tcp_receive_reset" },
			};
			char missing[128] = "", path[PATH_MAX];
			const char *root = tfs_root(&terr);
			struct stat stb;
			size_t k;

			to.events = TD_TRACE_BIT(TD_TRACE_STATE);
			for (k = 0; root != NULL && k < sizeof(opt) / sizeof(opt[0]); k++) {
				snprintf(path, sizeof(path), "%s/events/%s", root, opt[k].dir);
				if (stat(path, &stb) == 0)
					to.events |= TD_TRACE_BIT(opt[k].k);
				else
					snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
					    "%s%s", missing[0] != '\0' ? ", " : "", opt[k].dir);
			}
			if (root != NULL && missing[0] != '\0')
				cmd_warn(ctx, "this kernel lacks %s: resets are reported without who sent "
				    "them", missing);
			memset(&terr, 0, sizeof(terr));
		}
		ts = tracefs_open(&to, &terr);
		if (ts != NULL)
			events_tracker_resets(r.tr, (to.events & TD_TRACE_BIT(TD_TRACE_RECEIVE_RESET)) != 0);
		if (ts == NULL) {
			cmd_warn(ctx, "transitions not traced (%s): lifetimes unknown, causes judged "
			    "from the final tcp_info", terr.msg);
			events_tracker_free(r.tr);
			r.tr = NULL;
		} else if ((swept = tracefs_swept(ts, &first)) > 0) {
			cmd_warn(ctx, "removed %u tracefs instance%s left by runs that are gone (%s%s)",
			    swept, swept == 1 ? "" : "s", first, swept > 1 ? " and others" : "");
		}
	}
	/*
	 * Subscribed only once the transitions are traced: a socket whose
	 * destroy notification can reach us has its transitions in the trace
	 * (the subscription is what a caller can see, /proc/net/netlink).
	 */
	sub = events_open(ctx->family, rcvbuf, &err);
	if (sub == NULL) {
		status = cmd_fail_err(ctx, &err);
		goto out;
	}
	if (dump_listeners(&r, &err) < 0) {
		status = cmd_fail_err(ctx, &err);
		goto out;
	}
	if (ctx->format == TD_FMT_TABLE) {
		fprintf(ctx->out, "%-15s %-22s %-22s %-7s %-14s %8s %10s %10s %4s %8s %-16s %s\n",
		    "Time (UTC)", "Local", "Peer", "Role", "Outcome", "Life", "Sent", "Received",
		    "Retr", "RTT", "Owner", "Cause");
		fflush(ctx->out);
	}
	if (print_start(&r, (double)tm_syn_giveup(&prof) / 1e9, &err) < 0 ||
	    (r.rec != NULL && rec_flush(r.rec, &err) < 0)) {
		status = r.rec != NULL ? cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg) :
		    cmd_fail_err(ctx, &err);
		goto out;
	}
	/*
	 * The owners of what is open now, once the notifications and the
	 * transitions are queued (a slow scan delays them, loses none).
	 */
	r.own = ev_owners_new(ctx->proc_root, ctx->family, &err);
	if (r.own == NULL) {
		status = cmd_fail_err(ctx, &err);
		goto out;
	}
	owners_tick(&r, true);
	clock_gettime(CLOCK_MONOTONIC, &tsp);
	if (eo.duration > 0)
		deadline = (int64_t)tsp.tv_sec * 1000 + tsp.tv_nsec / 1000000 +
		    (int64_t)(eo.duration * 1000);
	while (!tfs_stop_signal && (r.limit == 0 || r.count < r.limit)) {
		int wait = 100;

		if (deadline != 0) {
			clock_gettime(CLOCK_MONOTONIC, &tsp);
			now = (int64_t)tsp.tv_sec * 1000 + tsp.tv_nsec / 1000000;
			if (now >= deadline)
				break;
			if (deadline - now < wait)
				wait = (int)(deadline - now);
		}
		if (ts != NULL) {
			rc = tracefs_poll(ts, wait, on_trace, &r, &err);
			if (rc >= 0)
				rc = events_poll(sub, 0, on_destroy, &r, &err);
		} else {
			rc = events_poll(sub, wait, on_destroy, &r, &err);
		}
		if (rc >= 0)
			rc = release(&r, false, &err);
		if (rc >= 0)
			owners_tick(&r, false);
		/* One zstd frame per batch: what was flushed can be read at once. */
		if (rc >= 0 && r.rec != NULL && rec_flush(r.rec, &err) < 0) {
			rc = -1;
			r.rec_failed = true;
		}
		if (rc < 0)
			break;
	}
	if (rc >= 0 && ts != NULL && !tfs_stop_signal)
		rc = tracefs_poll(ts, 0, on_trace, &r, &err);
	if (rc >= 0)
		rc = events_poll(sub, 0, on_destroy, &r, &err);
	if (rc >= 0)
		rc = release(&r, true, &err);
	if (rc >= 0) {
		r.lsn_final = true;
		rc = dump_listeners(&r, &err);
	}
	if (rc >= 0) {
		struct ev_stats st = {
			.lost = events_lost(sub), .rcvbuf = events_rcvbuf(sub), .traced = ts != NULL,
			.untracked = r.tr != NULL ? events_tracker_full(r.tr) : 0,
		};
		int64_t t = td_real_ns();

		owners_rows(&r);
		rc = print_aggregates(&r, &st, t, &err);
		if (rc >= 0)
			rc = print_findings(&r, (double)tm_syn_giveup(&prof) / 1e9, t, &err);
	}
	if (r.rec != NULL && rec_close(r.rec, rc < 0 ? &terr : &err) < 0 && rc >= 0) {
		rc = -1;
		r.rec_failed = true;
	}
	r.rec = NULL;
	if (rc < 0) {
		if (r.rec_failed)
			status = cmd_fail(ctx, TD_EXIT_CANTCREAT, "%s", err.msg);
		else if (r.write_failed)
			status = cmd_fail_write(ctx, TD_EXIT_OSERR, err.code);
		else
			status = cmd_fail_err(ctx, &err);
	}
	if (events_lost(sub) > 0)
		cmd_warn(ctx, "%" PRIu64 " notification%s lost (ENOBUFS %" PRIu64 " time%s: the "
		    "receive buffer was full): the counts are low", events_lost(sub),
		    events_lost(sub) == 1 ? " was" : "s were", events_overruns(sub),
		    events_overruns(sub) == 1 ? "" : "s");
	if (ts != NULL && tracefs_lost(ts) > 0) {
		char per_cpu[512];
		uint64_t lost = tracefs_lost_text(ts, per_cpu, sizeof(per_cpu));

		cmd_warn(ctx, "%" PRIu64 " transitions were lost: the trace buffer overflowed (%s)",
		    lost, per_cpu);
	}
out:
	if (r.rec != NULL)
		(void)rec_close(r.rec, &terr);
	tracefs_close(ts);
	events_close(sub);
	events_tracker_free(r.tr);
	ev_owners_free(r.own);
out_free:
	free(r.agg);
	free(r.q);
	sig = tfs_stop_signal;
	if (sig != 0 && sig != SIGINT && sig != SIGTERM && sig != SIGPIPE) {
		fflush(NULL);
		tfs_reraise(sig);
	}
	if (sig == SIGPIPE && status == TD_EXIT_OK)
		status = TD_EXIT_OSERR;
	return status;
}

/* A recorded "connection" record (events --record) back into its event: see cmd/events.h. */
const char *
events_conn_from_json(const json_t *o, int64_t t, struct td_conn_ev *ev)
{
	return decode_conn(o, t, ev);
}
