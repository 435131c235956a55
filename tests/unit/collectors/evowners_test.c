/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/evowners.c against the running kernel: this test
 * opens a listener, connects to it and accepts on loopback, scans, and
 * looks the sockets up as destroy notifications would name them (by
 * cookie, SO_COOKIE), then an accepted connection never scanned (by the
 * listener's address and port), then one nobody holds.  Then the table
 * fed by a walk of the caller's (ev_owners_feed_*) with the fixture proc
 * tree's owner map: pid 100 "nginx" and pid 200 "sshd" share 4242, 200
 * alone holds 777.
 */
#include "tests/unit/check_main.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/events.h"
#include "collectors/evowners.h"
#include "collectors/procs.h"
#include "collectors/snapshot.h"
#include "core/util.h"
#include "tests/unit/collectors/fixture.h"

#ifndef SO_COOKIE
#define SO_COOKIE	57
#endif

static uint64_t
cookie_of(int fd)
{
	uint64_t c = 0;
	socklen_t len = sizeof(c);

	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, SO_COOKIE, &c, &len), 0);
	return c;
}

static void
mapped(struct in6_addr *a, const struct sockaddr_in *sin)
{
	memset(a, 0, sizeof(*a));
	a->s6_addr[10] = a->s6_addr[11] = 0xff;
	memcpy(&a->s6_addr[12], &sin->sin_addr, 4);
}

START_TEST(test_evowners_own_sockets)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	struct ev_owners *o;
	struct ev_owners_stats st;
	struct td_err err = { 0 };
	struct td_conn_ev ev;
	int l, c, a;

	l = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 4), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	c = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	a = accept(l, NULL, NULL);
	ck_assert_int_ge(a, 0);

	o = ev_owners_new("/proc", AF_INET, &err);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(ev_owners_refresh(o, true, &err), 0);
	st = ev_owners_stats(o);
	ck_assert_uint_eq(st.refreshes, 1);
	ck_assert_uint_ge(st.sockets, 3);
	ck_assert_uint_ge(st.listeners, 1);

	/* The client's socket, by its cookie: this process. */
	memset(&ev, 0, sizeof(ev));
	ev.pid = -1;
	ev.role = EV_ROLE_UNKNOWN;
	ev.sk.family = AF_INET;
	ev.sk.cookie = cookie_of(c);
	ev.sk.dport = ntohs(sa.sin_port);
	ev.sk.sport = 1;
	ck_assert_uint_eq(ev_owners_fill(o, &ev), EV_OWNER_SOCKET);
	ck_assert_int_eq(ev.pid, getpid());
	ck_assert_uint_eq(ev.owner_from, EV_OWNER_SOCKET);
	ck_assert_uint_eq(ev.role, EV_ROLE_UNKNOWN);

	/* A socket is destroyed once: the same cookie again finds nothing. */
	memset(ev.comm, 0, sizeof(ev.comm));
	ev.pid = -1;
	ck_assert_uint_eq(ev_owners_fill(o, &ev), EV_OWNER_NONE);
	ck_assert_int_eq(ev.pid, -1);

	/* The accepted one, by cookie; its local end is the listener's: role accept. */
	memset(&ev, 0, sizeof(ev));
	ev.pid = -1;
	ev.sk.family = AF_INET;
	ev.sk.cookie = cookie_of(a);
	mapped(&ev.sk.src, &sa);
	ev.sk.sport = ntohs(sa.sin_port);
	ev.sk.dport = 1;
	ck_assert_uint_eq(ev_owners_fill(o, &ev), EV_OWNER_SOCKET);
	ck_assert_int_eq(ev.pid, getpid());
	ck_assert_uint_eq(ev.role, EV_ROLE_PASSIVE);

	/* An accepted connection the scan never saw: the listener's owner. */
	ev.sk.cookie = 1;
	ev.pid = -1;
	ev.role = EV_ROLE_UNKNOWN;
	memset(ev.comm, 0, sizeof(ev.comm));
	ck_assert_uint_eq(ev_owners_fill(o, &ev), EV_OWNER_LISTENER);
	ck_assert_int_eq(ev.pid, getpid());
	ck_assert_uint_eq(ev.role, EV_ROLE_PASSIVE);

	/* An owner from connect() is kept as it is. */
	ev.pid = 1;
	snprintf(ev.comm, sizeof(ev.comm), "init");
	ev.owner_from = EV_OWNER_CONNECT;
	ck_assert_uint_eq(ev_owners_fill(o, &ev), EV_OWNER_CONNECT);
	ck_assert_int_eq(ev.pid, 1);

	/* Nobody's: unknown; a refresh is asked for, not due before the gap. */
	memset(&ev, 0, sizeof(ev));
	ev.pid = -1;
	ev.sk.family = AF_INET;
	ev.sk.cookie = 2;
	ev.sk.sport = 9;
	ev.sk.dport = 9;
	ck_assert_uint_eq(ev_owners_fill(o, &ev), EV_OWNER_NONE);
	ck_assert_int_eq(ev.pid, -1);
	st = ev_owners_stats(o);
	ck_assert_uint_eq(st.found_socket, 2);
	ck_assert_uint_eq(st.found_listener, 1);
	ck_assert_uint_eq(st.unknown, 2);
	ck_assert(!ev_owners_due(o, 0));

	/* A scan in the thread: the table stays usable meanwhile, then holds the sockets again. */
	ck_assert_int_eq(ev_owners_refresh(o, false, &err), 0);
	ev_owners_free(o);
	close(a);
	close(c);
	close(l);
}
END_TEST

/* A socket of the caller's walk. */
static void
feed(struct ev_owners *o, int state, uint64_t inode, uint64_t cookie, uint16_t sport)
{
	struct td_sock sk;

	memset(&sk, 0, sizeof(sk));
	sk.family = AF_INET;
	sk.state = (enum td_state)state;
	sk.inode = inode;
	sk.cookie = cookie;
	sk.sport = sport;
	sk.src.s6_addr[10] = sk.src.s6_addr[11] = 0xff;
	sk.src.s6_addr[12] = 10;
	sk.src.s6_addr[15] = 1;
	ev_owners_feed_sock(o, &sk);
}

/* Fill a notification of cookie (local 10.0.0.1:sport, a peer): what it found. */
static unsigned int
fill(struct ev_owners *o, uint64_t cookie, uint16_t sport, struct td_conn_ev *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->pid = -1;
	ev->role = EV_ROLE_UNKNOWN;
	ev->sk.family = AF_INET;
	ev->sk.cookie = cookie;
	ev->sk.src.s6_addr[10] = ev->sk.src.s6_addr[11] = 0xff;
	ev->sk.src.s6_addr[12] = 10;
	ev->sk.src.s6_addr[15] = 1;
	ev->sk.sport = sport;
	ev->sk.dport = 4000;
	return ev_owners_fill(o, ev);
}

/* The fixture's owner map, all of it (complete) or not. */
static void
feed_map(struct ev_owners *o, bool all)
{
	struct procs_map *m = procs_new();
	struct procs_stats st;
	struct td_err err = { 0 };
	bool complete = false;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(procs_collect(m, fixture_path("proc", "procs"), 10, &complete, &st, &err), 0);
	ck_assert(complete);
	ev_owners_feed_map(o, m, all, &st);
	procs_free(m);
}

START_TEST(test_evowners_fed)
{
	struct ev_owners *o;
	struct ev_owners_stats st;
	struct td_err err = { 0 };
	struct td_conn_ev ev;

	o = ev_owners_new(fixture_path("proc", "procs"), AF_INET, &err);
	ck_assert_ptr_nonnull(o);
	ev_owners_want(o);
	ck_assert(ev_owners_due(o, td_clock_ns(CLOCK_MONOTONIC)));

	/* A walk: two held sockets, a TIME_WAIT one (no inode), a listener on 4242's inode. */
	ev_owners_feed_begin(o);
	feed(o, TD_ST_ESTABLISHED, 4242, 11, 5000);
	feed(o, TD_ST_CLOSE_WAIT, 777, 22, 5001);
	feed(o, TD_ST_TIME_WAIT, 0, 33, 5002);
	feed(o, TD_ST_ESTABLISHED, 999, 44, 5003);	/* nobody holds it */
	feed(o, TD_ST_LISTEN, 4242, 55, 80);
	feed(o, TD_ST_FIN_WAIT1, 777, 99, 5006);
	feed_map(o, true);
	ev_owners_feed_end(o);
	st = ev_owners_stats(o);
	ck_assert_uint_eq(st.feeds, 1);
	ck_assert_uint_eq(st.refreshes, 0);
	ck_assert_uint_eq(st.sockets, 4);	/* 11, 22, the listener 55, 99 */
	ck_assert_uint_eq(st.listeners, 1);
	ck_assert_uint_eq(st.processes, 3);
	/* A whole map: no scan of its own wanted, and none due within a second. */
	ck_assert(!ev_owners_due(o, td_clock_ns(CLOCK_MONOTONIC)));

	/* By cookie: the lowest pid holding it, with its name. */
	ck_assert_uint_eq(fill(o, 11, 5000, &ev), EV_OWNER_SOCKET);
	ck_assert_int_eq(ev.pid, 100);
	ck_assert_str_eq(ev.comm, "nginx");
	/* Taken once. */
	ck_assert_uint_eq(fill(o, 11, 5000, &ev), EV_OWNER_NONE);
	/* Nobody's, and TIME_WAIT's: unknown; a connection to the listener's port: the listener's. */
	ck_assert_uint_eq(fill(o, 44, 5003, &ev), EV_OWNER_NONE);
	ck_assert_uint_eq(fill(o, 33, 5002, &ev), EV_OWNER_NONE);
	ck_assert_uint_eq(fill(o, 66, 80, &ev), EV_OWNER_LISTENER);
	ck_assert_int_eq(ev.pid, 100);
	ck_assert_str_eq(ev.comm, "nginx");
	ck_assert_uint_eq(ev.role, EV_ROLE_PASSIVE);

	/*
	 * A second walk that no longer sees 22 (closed, not yet destroyed) and
	 * whose map is partial: 22 stays (young), 77 is new; the scan asked
	 * for by the unknown ones is still due.
	 */
	ev_owners_feed_begin(o);
	feed(o, TD_ST_ESTABLISHED, 777, 77, 5004);
	feed(o, TD_ST_FIN_WAIT1, 31337, 99, 5006);	/* not in this map: the owner it had */
	feed_map(o, false);
	ev_owners_feed_end(o);
	st = ev_owners_stats(o);
	ck_assert_uint_eq(st.feeds, 2);
	ck_assert_uint_eq(st.sockets, 4);	/* 22 and 55 (not seen now), 77, 99 */
	ck_assert(ev_owners_due(o, td_clock_ns(CLOCK_MONOTONIC) + EVO_MIN_GAP_NS));
	ck_assert_uint_eq(fill(o, 22, 5001, &ev), EV_OWNER_SOCKET);
	ck_assert_int_eq(ev.pid, 200);
	ck_assert_str_eq(ev.comm, "sshd");
	ck_assert_uint_eq(fill(o, 77, 5004, &ev), EV_OWNER_SOCKET);
	ck_assert_int_eq(ev.pid, 200);
	ck_assert_uint_eq(fill(o, 99, 5006, &ev), EV_OWNER_SOCKET);
	ck_assert_int_eq(ev.pid, 200);
	ck_assert_str_eq(ev.comm, "sshd");

	/* A walk without owner map (no owners asked for) teaches nothing. */
	ev_owners_feed_begin(o);
	feed(o, TD_ST_ESTABLISHED, 4242, 88, 5005);
	ev_owners_feed_end(o);
	st = ev_owners_stats(o);
	ck_assert_uint_eq(st.feeds, 2);
	ck_assert_uint_eq(fill(o, 88, 5005, &ev), EV_OWNER_NONE);

	/* The table's own scan of the same tree, with the fed entries kept. */
	ck_assert_int_eq(ev_owners_refresh(o, true, &err), 0);
	st = ev_owners_stats(o);
	ck_assert_uint_eq(st.refreshes, 1);
	ck_assert_uint_eq(st.failed, 0);
	ev_owners_free(o);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/evowners");
	TCase *tc = tcase_create("evowners");

	tcase_add_test(tc, test_evowners_own_sockets);
	tcase_add_test(tc, test_evowners_fed);
	suite_add_tcase(s, tc);
	return s;
}
