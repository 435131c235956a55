/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/evowners.c against the running kernel: this test
 * opens a listener, connects to it and accepts on loopback, scans, and
 * looks the sockets up as destroy notifications would name them (by
 * cookie, SO_COOKIE), then an accepted connection never scanned (by the
 * listener's address and port), then one nobody holds.
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

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/evowners");
	TCase *tc = tcase_create("evowners");

	tcase_add_test(tc, test_evowners_own_sockets);
	suite_add_tcase(s, tc);
	return s;
}
