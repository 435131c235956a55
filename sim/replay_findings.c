/* SPDX-License-Identifier: MIT */
/*
 * Capture-level findings for `tcpdoctor replay`, from the aggregates of
 * sim/replay.c, in the shape of check's (id, severity, summary, evidence,
 * recommendations).  Thresholds are fixed here and documented in
 * tcpdoctor(8) (replay).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "sim/replay_findings.h"
#include "core/err.h"

#define FLOOD_MIN_HALF_OPEN	100	/* handshakes never completed, per listener */
#define FLOOD_MIN_SOURCES	20
#define OVERFLOW_MIN_CONNS	3	/* connections with a SYN-ACK after their third ACK */
#define RST_STORM_PER_S		100
#define RESETS_WARN_MIN		10

static void
lis_name(const struct rp_listener *l, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	tm_addr_str(&l->addr, a, sizeof(a));
	snprintf(buf, len, l->addr.family == AF_INET6 || strchr(a, ':') ? "[%s]:%u" : "%s:%u", a, l->port);
}

static void
examples(struct td_finding *f, char ex[3][96], uint8_t n)
{
	uint8_t i;

	for (i = 0; i < n; i++) {
		char key[16];

		snprintf(key, sizeof(key), "example_%u", i + 1);
		td_ev_str(f, key, "%s", ex[i]);
	}
}

int
capture_findings(const struct rp_stats *st, struct td_findings *out, struct td_err *err)
{
	struct td_finding *f;
	char who[80];
	unsigned int i;

	for (i = 0; i < RP_LISTENERS; i++) {
		const struct rp_listener *l = &st->lis[i];
		uint64_t half = l->s0 + l->sh;

		if (!l->used)
			continue;
		lis_name(l, who, sizeof(who));
		if (half >= FLOOD_MIN_HALF_OPEN && half * 2 >= l->syns &&
		    l->sources >= FLOOD_MIN_SOURCES) {
			f = td_finding_add(out, err, "replay.syn_flood", who, TD_SEV_CRITICAL,
			    "SYN flood toward %s: %" PRIu64 " of %" PRIu64 " handshakes never completed, from %s%" PRIu64 " sources",
			    who, half, l->syns, l->sources_more ? "at least " : "", l->sources);
			if (f == NULL)
				return -1;
			td_ev_int(f, "handshakes", (int64_t)l->syns);
			td_ev_int(f, "no_synack", (int64_t)l->s0);
			td_ev_int(f, "no_third_ack", (int64_t)l->sh);
			td_ev_int(f, "completed", (int64_t)l->done);
			td_ev_int(f, "sources", (int64_t)l->sources);
			td_ev_bool(f, "sources_at_least", l->sources_more);
			td_reco_add(f, TD_RECO_SYSCTL, "net.ipv4.tcp_syncookies", NULL, "1",
			    "SYN cookies keep answering when the SYN queue is full.");
			td_reco_add(f, TD_RECO_KERNEL, "filtering", NULL, NULL,
			    "rate-limit or filter SYNs upstream; the sources look spoofed when they never answer.");
		}
		if (l->synack_after_ack >= OVERFLOW_MIN_CONNS ||
		    (l->s0_rtx >= OVERFLOW_MIN_CONNS && l->done > 0 && l->sources < FLOOD_MIN_SOURCES)) {
			/*
			 * The two signs (tcp_conn_request(): a SYN to a listener
			 * whose accept queue is full is dropped; tcp_check_req()
			 * label listen_overflow: a third ACK then is dropped and
			 * the SYN-ACK retransmitted): the summary names those seen.
			 */
			char ack[96] = "", syn[96] = "";

			if (l->synack_after_ack > 0)
				snprintf(ack, sizeof(ack), "%" PRIu64 " connection(s) had their SYN-ACK retransmitted "
				    "after the third ACK", l->synack_after_ack);
			if (l->s0_rtx > 0)
				snprintf(syn, sizeof(syn), "%" PRIu64 " connection(s) retransmitted their SYN and got "
				    "no SYN-ACK", l->s0_rtx);
			f = td_finding_add(out, err, "replay.accept_queue_overflow", who, TD_SEV_WARNING,
			    "accept queue of %s overflowed: %s%s%s; %" PRIu64 " handshake(s) completed",
			    who, ack, ack[0] != '\0' && syn[0] != '\0' ? ", " : "", syn, l->done);
			if (f == NULL)
				return -1;
			td_ev_int(f, "synack_after_ack_conns", (int64_t)l->synack_after_ack);
			td_ev_int(f, "synack_after_ack_packets", (int64_t)l->synack_after_ack_pkts);
			td_ev_int(f, "syn_unanswered", (int64_t)l->s0);
			td_ev_int(f, "syn_unanswered_retransmitted", (int64_t)l->s0_rtx);
			td_ev_int(f, "syn_retransmitted_conns", (int64_t)l->syn_rtx);
			td_ev_int(f, "completed", (int64_t)l->done);
			td_reco_add(f, TD_RECO_APP, "accept", NULL, NULL,
			    "accept() faster, or raise the listen() backlog (capped by net.core.somaxconn).");
			td_reco_add(f, TD_RECO_SYSCTL, "net.core.somaxconn", NULL, NULL,
			    "the cap on every listen() backlog.");
		} else if (l->synack_after_ack > 0) {
			f = td_finding_add(out, err, "replay.lost_third_ack", who, TD_SEV_INFO,
			    "%" PRIu64 " handshake(s) with %s: the responder retransmitted its SYN-ACK after the originator's third ACK",
			    l->synack_after_ack, who);
			if (f == NULL)
				return -1;
			td_ev_int(f, "conns", (int64_t)l->synack_after_ack);
			td_ev_int(f, "synack_retransmissions", (int64_t)l->synack_after_ack_pkts);
			td_reco_add(f, TD_RECO_KERNEL, "path", NULL, NULL,
			    "the ACK was lost between the capture point and the responder (or dropped there): "
			    "check filtering and loss on that path.");
		}
		if (l->isn_n >= 8 && (l->isn_same_delta + 1 >= l->isn_n - 1 || l->isn_small + 1 >= l->isn_n - 1)) {
			f = td_finding_add(out, err, "replay.isn_predictable", who, TD_SEV_WARNING,
			    "%s chooses predictable initial sequence numbers (%" PRIu64 " SYN-ACKs, last step %" PRId64 ")",
			    who, l->isn_n, l->isn_delta);
			if (f == NULL)
				return -1;
			td_ev_int(f, "synacks", (int64_t)l->isn_n);
			td_ev_int(f, "same_step", (int64_t)l->isn_same_delta);
			td_ev_int(f, "small_steps", (int64_t)l->isn_small);
			td_reco_add(f, TD_RECO_KERNEL, "isn", NULL, NULL,
			    "RFC 6528: ISNs from a keyed hash of the 4-tuple plus a clock (Linux's secure_tcp_seq).");
		}
	}
	if (st->rst_max_per_s >= RST_STORM_PER_S) {
		f = td_finding_add(out, err, "replay.rst_storm", "", TD_SEV_WARNING,
		    "RST storm: up to %" PRIu64 " resets in one second (%" PRIu64 " in all)",
		    st->rst_max_per_s, st->rst_total);
		if (f == NULL)
			return -1;
		td_ev_int(f, "rst_max_per_second", (int64_t)st->rst_max_per_s);
		td_ev_int(f, "rst_total", (int64_t)st->rst_total);
		td_ev_int(f, "conns_reset", (int64_t)st->rst_conns);
		td_reco_add(f, TD_RECO_APP, "peers", NULL, NULL,
		    "find who sends them (a port scan, a closed service, a middlebox); the counters "
		    "TcpExtTCPAbortOn* on the hosts say which.");
	}
	if (st->rst_in_tw > 0) {
		f = td_finding_add(out, err, "replay.rst_in_time_wait", "", TD_SEV_WARNING,
		    "%" PRIu64 " RST(s) hit an endpoint in TIME_WAIT (TIME_WAIT assassination, RFC 1337)",
		    st->rst_in_tw);
		if (f == NULL)
			return -1;
		td_ev_int(f, "rst_in_time_wait", (int64_t)st->rst_in_tw);
		examples(f, (char (*)[96])st->ex_rst_tw, st->nex_rst_tw);
		td_reco_add(f, TD_RECO_SYSCTL, "net.ipv4.tcp_rfc1337", NULL, "1",
		    "TIME_WAIT then ignores RSTs instead of dying early.");
	}
	if (st->half_closed > 0) {
		f = td_finding_add(out, err, "replay.half_closed", "", TD_SEV_WARNING,
		    "%" PRIu64 " connection(s) half closed and never finished: one side sent FIN, the other never did "
		    "(CLOSE_WAIT seen from the wire, up to %.1f s)",
		    st->half_closed, (double)st->half_closed_max_ns / 1e9);
		if (f == NULL)
			return -1;
		td_ev_int(f, "conns", (int64_t)st->half_closed);
		td_ev_float(f, "longest_s", (double)st->half_closed_max_ns / 1e9);
		examples(f, (char (*)[96])st->ex_half, st->nex_half);
		td_reco_add(f, TD_RECO_APP, "close", NULL, NULL,
		    "the application on the CLOSE_WAIT side must close() the socket after reading EOF.");
	}
	if (st->rst_not_fin > 0) {
		bool many = st->rst_not_fin >= RESETS_WARN_MIN && st->rst_not_fin * 10 >= st->ended;

		f = td_finding_add(out, err, "replay.reset_instead_of_close", "",
		    many ? TD_SEV_WARNING : TD_SEV_INFO,
		    "%" PRIu64 " established connection(s) ended with RST instead of FIN",
		    st->rst_not_fin);
		if (f == NULL)
			return -1;
		td_ev_int(f, "conns", (int64_t)st->rst_not_fin);
		td_ev_int(f, "conns_total", (int64_t)st->ended);
		td_reco_add(f, TD_RECO_APP, "close", NULL, NULL,
		    "a close() with unread data or SO_LINGER 0 sends RST; read to EOF before closing.");
	}
	if (st->reuse_tw > 0) {
		f = td_finding_add(out, err, "replay.port_reuse_time_wait", "", TD_SEV_INFO,
		    "%" PRIu64 " new connection(s) reused a 4-tuple whose previous connection may still be in TIME_WAIT",
		    st->reuse_tw);
		if (f == NULL)
			return -1;
		td_ev_int(f, "conns", (int64_t)st->reuse_tw);
		examples(f, (char (*)[96])st->ex_reuse, st->nex_reuse);
		td_reco_add(f, TD_RECO_SYSCTL, "net.ipv4.ip_local_port_range", NULL, NULL,
		    "a wider port range makes a client reuse a 4-tuple later.");
	}
	return 0;
}
