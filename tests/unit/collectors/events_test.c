/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/events.c: the join of transitions with destroy
 * notifications, the classification of failed connects and resets, and
 * the aggregates.  The records are synthetic, shaped as the kernel sent
 * them on 6.18 (tcp_disconnect() clearing dport and the source address
 * after a failed blocking connect(), state CLOSE on every notification).
 */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "collectors/events.h"
#include "collectors/tracefs.h"

#define MS	1000000LL
#define GIVEUP	(7000 * MS)

static void
addr(struct in6_addr *a, const char *v4)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "::ffff:%s", v4);
	ck_assert_int_eq(inet_pton(AF_INET6, buf, a), 1);
}

static struct td_trace_ev
tev(int64_t t, unsigned int from, unsigned int to, const char *src, uint16_t sport,
    const char *dst, uint16_t dport)
{
	struct td_trace_ev e;

	memset(&e, 0, sizeof(e));
	e.time_ns = t;
	e.family = AF_INET;
	e.oldstate = (uint8_t)from;
	e.newstate = (uint8_t)to;
	addr(&e.src, src);
	addr(&e.dst, dst);
	e.sport = sport;
	e.dport = dport;
	e.pid = 42;
	strcpy(e.comm, "curl");
	return e;
}

static struct td_sock
dsk(const char *src, uint16_t sport, const char *dst, uint16_t dport)
{
	struct td_sock sk;

	memset(&sk, 0, sizeof(sk));
	sk.family = AF_INET;
	sk.state = TD_ST_CLOSE;
	addr(&sk.src, src);
	addr(&sk.dst, dst);
	sk.sport = sport;
	sk.dport = dport;
	sk.has_tcpi = true;
	return sk;
}

/* A connect() that completed, moved data, and closed with FIN first. */
START_TEST(test_events_track_closed)
{
	struct td_err err = { 0 };
	struct events_tracker *t = events_tracker_new(16, GIVEUP, 5, &err);
	struct td_trace_ev e;
	struct td_conn_ev out;
	struct td_sock sk;

	ck_assert_ptr_nonnull(t);
	e = tev(1000 * MS, TD_ST_CLOSE, TD_ST_SYN_SENT, "198.18.0.1", 0, "198.18.0.2", 80);
	events_track_trace(t, &e);
	e = tev(1001 * MS, TD_ST_SYN_SENT, TD_ST_ESTABLISHED, "198.18.0.1", 40000, "198.18.0.2", 80);
	events_track_trace(t, &e);
	e = tev(1050 * MS, TD_ST_ESTABLISHED, TD_ST_FIN_WAIT1, "198.18.0.1", 40000, "198.18.0.2", 80);
	events_track_trace(t, &e);
	e = tev(1051 * MS, TD_ST_FIN_WAIT1, TD_ST_FIN_WAIT2, "198.18.0.1", 40000, "198.18.0.2", 80);
	events_track_trace(t, &e);
	e = tev(1052 * MS, TD_ST_FIN_WAIT2, TD_ST_CLOSE, "198.18.0.1", 40000, "198.18.0.2", 80);
	events_track_trace(t, &e);
	sk = dsk("198.18.0.1", 40000, "198.18.0.2", 80);
	sk.tcpi.bytes_acked = 5001;
	sk.tcpi.segs_in = 7;
	sk.tcpi.rtt = 60;
	events_track_destroy(t, &sk, 1100 * MS, &out);
	ck_assert(out.traced);
	ck_assert_int_eq(out.role, EV_ROLE_ACTIVE);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "closed");
	ck_assert_int_eq(events_lifetime_ms(&out), 52);
	ck_assert_int_eq(out.pid, 42);
	ck_assert_str_eq(out.comm, "curl");
	/* Claimed: a second notification for the tuple is untraced. */
	events_track_destroy(t, &sk, 1200 * MS, &out);
	ck_assert(!out.traced);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "ended");
	events_tracker_free(t);
}
END_TEST

/*
 * Failed connects: refused (answered before any retransmission), timed
 * out (lasted the model's give-up time), unreachable (retransmitted, then
 * an error), abandoned (closed by the application; tuple intact).
 */
static const struct {
	const char	*name;
	int64_t		 spent_ms;
	uint8_t		 retransmits;
	bool		 disconnected;	/* tcp_disconnect() cleared dport and src */
	uint32_t	 syns;
} failed[] = {
	{ "refused",		0,	0, true,  1 },
	{ "timed_out",		7100,	5, true,  6 },
	{ "unreachable",	3050,	3, true,  4 },
	{ "abandoned",		20,	0, false, 1 },
	{ "timed_out",		-1,	5, true,  6 },	/* birth unseen: the SYN count says it */
};

START_TEST(test_events_track_failed)
{
	struct td_err err = { 0 };
	struct events_tracker *t = events_tracker_new(16, GIVEUP, 5, &err);
	struct td_trace_ev e;
	struct td_conn_ev out;
	struct td_sock sk;
	char buf[64];

	if (failed[_i].spent_ms >= 0) {
		e = tev(1000 * MS, TD_ST_CLOSE, TD_ST_SYN_SENT, "198.18.0.1", 0, "198.18.0.3", 81);
		events_track_trace(t, &e);
	}
	e = tev((1000 + failed[_i].spent_ms) * MS, TD_ST_SYN_SENT, TD_ST_CLOSE, "198.18.0.1", 40001,
	    "198.18.0.3", 81);
	events_track_trace(t, &e);
	if (failed[_i].disconnected)
		sk = dsk("0.0.0.0", 40001, "198.18.0.3", 0);
	else
		sk = dsk("198.18.0.1", 40001, "198.18.0.3", 81);
	sk.tcpi.retransmits = failed[_i].retransmits;
	events_track_destroy(t, &sk, 9000 * MS, &out);
	ck_assert(out.traced);
	ck_assert_str_eq(ev_outcome_name(out.outcome), failed[_i].name);
	ck_assert(ev_outcome_failed_connect(out.outcome));
	ck_assert_uint_eq(out.syns, failed[_i].syns);
	/* The tuple is restored from the transitions. */
	ck_assert_uint_eq(out.sk.dport, 81);
	ck_assert_str_eq(td_addr_str(&out.sk, &out.sk.src, buf, sizeof(buf)), "198.18.0.1");
	ck_assert_int_eq(events_lifetime_ms(&out), failed[_i].spent_ms);	/* -1: unknown */
	events_tracker_free(t);
}
END_TEST

/*
 * connect() that found no local port: SYN_SENT -> CLOSE with sport 0,
 * three times with the same tuple; each notification claims one entry,
 * the oldest first, and none is refused.
 */
START_TEST(test_events_track_no_port)
{
	struct td_err err = { 0 };
	struct events_tracker *t = events_tracker_new(16, GIVEUP, 5, &err);
	struct td_trace_ev e;
	struct td_conn_ev out;
	struct td_sock sk;
	int i;

	for (i = 0; i < 3; i++) {
		e = tev((100 + i) * MS, TD_ST_CLOSE, TD_ST_SYN_SENT, "198.18.0.1", 0, "198.18.0.2", 80);
		events_track_trace(t, &e);
		e = tev((100 + i) * MS, TD_ST_SYN_SENT, TD_ST_CLOSE, "198.18.0.1", 0, "198.18.0.2", 80);
		events_track_trace(t, &e);
	}
	for (i = 0; i < 3; i++) {
		sk = dsk("0.0.0.0", 0, "198.18.0.2", 0);
		events_track_destroy(t, &sk, 200 * MS, &out);
		ck_assert(out.traced);
		ck_assert_str_eq(ev_outcome_name(out.outcome), "no_local_port");
		ck_assert_uint_eq(out.syns, 0);
		ck_assert_uint_eq(out.sk.dport, 80);
		ck_assert_int_eq(events_lifetime_ms(&out), 0);
		ck_assert(out.born_ns == (100 + i) * MS);
	}
	/* Untraced, the record alone says the same. */
	events_track_destroy(t, &sk, 200 * MS, &out);
	ck_assert(!out.traced);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "no_local_port");
	events_tracker_free(t);
}
END_TEST

/* Resets: how the transitions reached CLOSE. */
static const struct {
	unsigned int	 from;
	const char	*outcome;
} closes[] = {
	{ TD_ST_ESTABLISHED,	"reset" },	/* RST received, or close() with unread data */
	{ TD_ST_CLOSE_WAIT,	"reset" },
	{ TD_ST_FIN_WAIT1,	"reset" },
	{ TD_ST_SYN_RECV,	"reset" },
	{ TD_ST_LAST_ACK,	"closed" },
	{ TD_ST_CLOSING,	"closed" },
	{ TD_ST_FIN_WAIT2,	"closed" },
};

START_TEST(test_events_track_passive)
{
	struct td_err err = { 0 };
	struct events_tracker *t = events_tracker_new(16, GIVEUP, 5, &err);
	struct td_trace_ev e;
	struct td_conn_ev out;
	struct td_sock sk;

	e = tev(500 * MS, TD_ST_LISTEN, TD_ST_SYN_RECV, "198.18.0.2", 80, "198.18.0.1", 40002);
	events_track_trace(t, &e);
	e = tev(500 * MS, TD_ST_SYN_RECV, TD_ST_ESTABLISHED, "198.18.0.2", 80, "198.18.0.1", 40002);
	events_track_trace(t, &e);
	if (closes[_i].from != TD_ST_ESTABLISHED && closes[_i].from != TD_ST_SYN_RECV) {
		e = tev(600 * MS, TD_ST_ESTABLISHED, closes[_i].from, "198.18.0.2", 80, "198.18.0.1",
		    40002);
		events_track_trace(t, &e);
	}
	e = tev(700 * MS, closes[_i].from, TD_ST_CLOSE, "198.18.0.2", 80, "198.18.0.1", 40002);
	events_track_trace(t, &e);
	sk = dsk("198.18.0.2", 80, "198.18.0.1", 40002);
	sk.tcpi.segs_in = 3;
	events_track_destroy(t, &sk, 800 * MS, &out);
	ck_assert_int_eq(out.role, EV_ROLE_PASSIVE);
	ck_assert_str_eq(ev_outcome_name(out.outcome), closes[_i].outcome);
	ck_assert_int_eq(events_lifetime_ms(&out), 200);
	events_tracker_free(t);
}
END_TEST

/*
 * Resets with their cause: a RST received in SYN_SENT (traced by
 * tcp_reset() before tcp_done() closes the socket) makes a refused
 * connect(); a RST this host sent carries the kernel's reason; with the
 * reset events traced, a quick failure without a RST is unreachable.
 */
START_TEST(test_events_track_resets)
{
	struct td_err err = { 0 };
	struct events_tracker *t = events_tracker_new(16, GIVEUP, 5, &err);
	struct td_trace_ev e;
	struct td_conn_ev out;
	struct td_sock sk;

	events_tracker_resets(t, true);
	e = tev(100 * MS, TD_ST_CLOSE, TD_ST_SYN_SENT, "198.18.0.1", 0, "198.18.0.2", 81);
	events_track_trace(t, &e);
	e = tev(101 * MS, 0, 0, "198.18.0.1", 40010, "198.18.0.2", 81);
	e.kind = TD_TRACE_RECEIVE_RESET;
	events_track_trace(t, &e);
	e = tev(101 * MS, TD_ST_SYN_SENT, TD_ST_CLOSE, "198.18.0.1", 40010, "198.18.0.2", 81);
	events_track_trace(t, &e);
	sk = dsk("0.0.0.0", 40010, "198.18.0.2", 0);
	events_track_destroy(t, &sk, 200 * MS, &out);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "refused");
	ck_assert_str_eq(ev_reset_by_name(out.reset_by), "peer");
	ck_assert_ptr_nonnull(strstr(ev_reset_cause(&out), "nothing listens"));
	ck_assert(out.born_ns == 100 * MS);

	/* The same failure without a RST: an ICMP error ended it. */
	e = tev(300 * MS, TD_ST_CLOSE, TD_ST_SYN_SENT, "198.18.0.1", 0, "198.18.0.9", 80);
	events_track_trace(t, &e);
	e = tev(400 * MS, TD_ST_SYN_SENT, TD_ST_CLOSE, "198.18.0.1", 40011, "198.18.0.9", 80);
	events_track_trace(t, &e);
	sk = dsk("0.0.0.0", 40011, "198.18.0.9", 0);
	events_track_destroy(t, &sk, 500 * MS, &out);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "unreachable");
	ck_assert_ptr_null(ev_reset_by_name(out.reset_by));

	/* close() with unread data: CLOSE first, then the RST with its reason. */
	e = tev(600 * MS, TD_ST_LISTEN, TD_ST_SYN_RECV, "198.18.0.2", 90, "198.18.0.1", 40012);
	events_track_trace(t, &e);
	e = tev(600 * MS, TD_ST_SYN_RECV, TD_ST_ESTABLISHED, "198.18.0.2", 90, "198.18.0.1", 40012);
	events_track_trace(t, &e);
	e = tev(800 * MS, TD_ST_ESTABLISHED, TD_ST_CLOSE, "198.18.0.2", 90, "198.18.0.1", 40012);
	events_track_trace(t, &e);
	e = tev(800 * MS, 0, 0, "198.18.0.2", 90, "198.18.0.1", 40012);
	e.kind = TD_TRACE_SEND_RESET;
	strcpy(e.reason, "TCP_ABORT_ON_CLOSE");
	events_track_trace(t, &e);
	sk = dsk("198.18.0.2", 90, "198.18.0.1", 40012);
	sk.tcpi.segs_in = 3;
	events_track_destroy(t, &sk, 900 * MS, &out);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "reset");
	ck_assert_str_eq(ev_reset_by_name(out.reset_by), "local");
	ck_assert_str_eq(out.reset_reason, "TCP_ABORT_ON_CLOSE");
	ck_assert_ptr_nonnull(strstr(ev_reset_cause(&out), "data unread"));
	events_tracker_free(t);
}
END_TEST

/* Without transitions: only the final record speaks. */
START_TEST(test_events_untraced)
{
	struct td_conn_ev out;
	struct td_sock sk;

	sk = dsk("0.0.0.0", 80, "0.0.0.0", 0);
	events_track_destroy(NULL, &sk, 1, &out);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "unconnected");
	ck_assert_int_eq(out.role, EV_ROLE_LISTENER);
	sk = dsk("0.0.0.0", 40003, "198.18.0.3", 0);
	events_track_destroy(NULL, &sk, 1, &out);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "refused");
	sk.tcpi.retransmits = 2;
	events_track_destroy(NULL, &sk, 1, &out);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "connect_failed");
	ck_assert_uint_eq(out.syns, 3);
	sk = dsk("198.18.0.1", 40004, "198.18.0.2", 80);
	sk.tcpi.segs_in = 5;
	events_track_destroy(NULL, &sk, 1, &out);
	ck_assert_str_eq(ev_outcome_name(out.outcome), "ended");
	ck_assert_int_eq(events_lifetime_ms(&out), -1);
}
END_TEST

/* A full table makes room by dropping the least recently active entry, counted. */
START_TEST(test_events_tracker_full)
{
	struct td_err err = { 0 };
	struct events_tracker *t = events_tracker_new(2, GIVEUP, 5, &err);
	struct td_trace_ev e;
	struct td_conn_ev out;
	struct td_sock sk;
	uint16_t p;

	for (p = 1; p <= 3; p++) {
		e = tev(p * MS, TD_ST_LISTEN, TD_ST_SYN_RECV, "198.18.0.2", 80, "198.18.0.1", p);
		events_track_trace(t, &e);
	}
	ck_assert_uint_eq(events_tracker_full(t), 1);
	sk = dsk("198.18.0.2", 80, "198.18.0.1", 1);
	events_track_destroy(t, &sk, 10 * MS, &out);
	ck_assert(!out.traced);
	sk.dport = 3;
	events_track_destroy(t, &sk, 10 * MS, &out);
	ck_assert(out.traced);
	events_tracker_free(t);
}
END_TEST

START_TEST(test_events_agg)
{
	static struct events_agg a;
	struct td_conn_ev ev;
	struct in6_addr any;
	size_t i;

	memset(&a, 0, sizeof(a));
	addr(&any, "0.0.0.0");
	ck_assert_ptr_nonnull(events_agg_listener(&a, AF_INET, &any, 80));
	for (i = 0; i < 3; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.sk = dsk("198.18.0.1", (uint16_t)(40000 + i), "198.18.0.2", 80);
		ev.role = EV_ROLE_ACTIVE;
		ev.outcome = i == 0 ? EV_REFUSED : EV_CLOSED;
		ev.sk.tcpi.bytes_sent = 100;
		ev.born_ns = 1000 * MS;
		ev.time_ns = (1000 + 10 * (int64_t)i) * MS;
		events_agg_add(&a, &ev);
		/* The other side, accepted by the wildcard listener. */
		ev.sk = dsk("198.18.0.2", 80, "198.18.0.1", (uint16_t)(40000 + i));
		ev.role = EV_ROLE_PASSIVE;
		ev.outcome = i == 2 ? EV_RESET : EV_CLOSED;
		events_agg_add(&a, &ev);
	}
	ck_assert_uint_eq(a.ndest, 1);
	ck_assert_uint_eq(a.dest[0].opened, 3);
	ck_assert_uint_eq(a.dest[0].succeeded, 2);
	ck_assert_uint_eq(a.dest[0].n[EV_REFUSED], 1);
	ck_assert_uint_eq(a.dest[0].bytes_sent, 300);
	ck_assert_uint_eq(a.dest[0].life_max_ms, 20);
	ck_assert_uint_eq(a.dest[0].life_sum_ms, 30);
	ck_assert_uint_eq(a.nlsn, 1);
	ck_assert_uint_eq(a.lsn[0].opened, 3);
	ck_assert_uint_eq(a.lsn[0].n[EV_RESET], 1);
	ck_assert_uint_eq(a.total, 6);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/events");
	TCase *tc = tcase_create("events_track");

	tcase_add_test(tc, test_events_track_closed);
	tcase_add_loop_test(tc, test_events_track_failed, 0, (int)(sizeof(failed) / sizeof(failed[0])));
	tcase_add_loop_test(tc, test_events_track_passive, 0, (int)(sizeof(closes) / sizeof(closes[0])));
	tcase_add_test(tc, test_events_track_no_port);
	tcase_add_test(tc, test_events_track_resets);
	tcase_add_test(tc, test_events_untraced);
	tcase_add_test(tc, test_events_tracker_full);
	suite_add_tcase(s, tc);
	tc = tcase_create("events_agg");
	tcase_add_test(tc, test_events_agg);
	suite_add_tcase(s, tc);
	return s;
}
