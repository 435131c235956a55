/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/tracefs.c's decoder: the formats and a per-CPU
 * binary buffer recorded on 6.18 by tests/fixtures/tracefs/capture.sh
 * (loopback in a namespace: a close with unread data on port 40001, a
 * connect to the closed port 40002, IPv6 on 40003, a SYN-ACK retransmitted
 * on 40004, a data segment retransmitted on 40005), decoded by the
 * events' formats; and damaged sub-buffers.
 */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collectors/snapshot.h"
#include "collectors/tracefs.h"
#include "tests/unit/collectors/fixture.h"

#define MAXEV	128

struct got {
	struct td_trace_ev	ev[MAXEV];
	int			n;
};

static int
keep(const struct td_trace_ev *ev, void *arg, struct td_err *err)
{
	struct got *g = arg;

	(void)err;
	if (g->n < MAXEV)
		g->ev[g->n] = *ev;
	g->n++;
	return 0;
}

static int
read_fixture(const struct tracefs_opts *o, struct got *g, struct td_err *err)
{
	char dir[4096];

	snprintf(dir, sizeof(dir), "%s", fixture_path("tracefs", ""));
	memset(g, 0, sizeof(*g));
	return tracefs_read_dir(dir, o, 1000, keep, g, err);
}

static const char *
addr(const struct in6_addr *a, char *buf)
{
	return inet_ntop(AF_INET6, a, buf, INET6_ADDRSTRLEN);
}

/* The first event of kind k on port (either side) at or after index *from. */
static const struct td_trace_ev *
find(const struct got *g, enum td_trace_kind k, uint16_t port, int *from)
{
	int i;

	for (i = from != NULL ? *from : 0; i < g->n && i < MAXEV; i++)
		if (g->ev[i].kind == k && (port == 0 || g->ev[i].sport == port ||
		    g->ev[i].dport == port)) {
			if (from != NULL)
				*from = i + 1;
			return &g->ev[i];
		}
	return NULL;
}

static int
count(const struct got *g, enum td_trace_kind k)
{
	int i, n = 0;

	for (i = 0; i < g->n && i < MAXEV; i++)
		n += g->ev[i].kind == k;
	return n;
}

START_TEST(test_decode_all)
{
	struct td_err err = { 0 };
	struct got g;
	const struct td_trace_ev *e;
	char a[INET6_ADDRSTRLEN];
	int i, n;

	n = read_fixture(NULL, &g, &err);
	ck_assert_msg(n == 71, "%d events: %s", n, err.msg);
	/* Time order, and the offset added. */
	for (i = 1; i < n; i++)
		ck_assert(g.ev[i].mono_ns >= g.ev[i - 1].mono_ns);
	ck_assert_int_eq(g.ev[0].time_ns, g.ev[0].mono_ns + 1000);
	ck_assert_int_eq(count(&g, TD_TRACE_STATE), 44);
	ck_assert_int_eq(count(&g, TD_TRACE_RETRANSMIT_SYNACK), 1);
	ck_assert_int_eq(count(&g, TD_TRACE_SEND_RESET), 3);
	ck_assert_int_eq(count(&g, TD_TRACE_RECEIVE_RESET), 3);
	ck_assert_int_eq(count(&g, TD_TRACE_RETRANSMIT_SKB), 3);
	ck_assert_int_eq(count(&g, TD_TRACE_DESTROY_SOCK), 13);
	ck_assert_int_eq(count(&g, TD_TRACE_KFREE_SKB), 4);

	/* The first: the listener on 40001, CLOSE -> LISTEN, IPv4 v4-mapped. */
	e = &g.ev[0];
	ck_assert_int_eq(e->kind, TD_TRACE_STATE);
	ck_assert_int_eq(e->family, AF_INET);
	ck_assert_uint_eq(e->sport, 40001);
	ck_assert_uint_eq(e->dport, 0);
	ck_assert_int_eq(e->oldstate, TD_ST_CLOSE);
	ck_assert_int_eq(e->newstate, TD_ST_LISTEN);
	ck_assert_str_eq(addr(&e->src, a), "::ffff:127.0.0.1");
	ck_assert_int_eq(e->tid, 22373);	/* the task; its process unknown from a saved buffer */
	ck_assert_int_eq(e->pid, -1);
	ck_assert_uint_eq(e->mono_ns, 23022949321392ULL);

	/* close() with unread data: RST, the reason by name from the format. */
	e = find(&g, TD_TRACE_SEND_RESET, 40001, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->reason, "TCP_ABORT_ON_CLOSE");
	ck_assert_uint_eq(e->sport, 40001);		/* the sender is the local end */
	ck_assert_uint_eq(e->dport, 56686);
	ck_assert_int_eq(e->family, AF_INET);
	ck_assert_int_eq(e->state, TD_ST_CLOSE);
	e = find(&g, TD_TRACE_RECEIVE_RESET, 40001, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->sport, 56686);
	ck_assert_uint_eq(e->cookie, 0xd21f78);

	/* A SYN to the closed port: RST NO_SOCKET and the SYN's drop in tcp_v4_rcv. */
	e = find(&g, TD_TRACE_SEND_RESET, 40002, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->reason, "NO_SOCKET");
	ck_assert_uint_eq(e->sport, 40002);
	e = find(&g, TD_TRACE_KFREE_SKB, 0, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(e->reason, "NO_SOCKET");
	ck_assert_str_eq(e->where, "tcp_v4_rcv");
	ck_assert_int_eq(e->family, 0);

	/* IPv6. */
	e = find(&g, TD_TRACE_STATE, 40003, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->family, AF_INET6);
	ck_assert_str_eq(addr(&e->src, a), "::1");

	/* The third ACK dropped: the SYN-ACK again, by the listener's port. */
	e = find(&g, TD_TRACE_RETRANSMIT_SYNACK, 0, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->sport, 40004);
	ck_assert_uint_eq(e->dport, 35446);

	/* Data dropped: retransmitted by the client, ESTABLISHED, sent fine. */
	e = find(&g, TD_TRACE_RETRANSMIT_SKB, 0, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->dport, 40005);
	ck_assert_int_eq(e->state, TD_ST_ESTABLISHED);
	ck_assert_int_eq(e->err, 0);

	/* Destroyed sockets carry their cookie. */
	e = find(&g, TD_TRACE_DESTROY_SOCK, 0, NULL);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_ne(e->cookie, 0);
}
END_TEST

START_TEST(test_decode_filters)
{
	struct tracefs_opts o = { .port = 40003 };
	struct td_err err = { 0 };
	struct got g;
	int i, n;

	/* A port: its events only, and no kfree_skb (its record has no ports). */
	n = read_fixture(&o, &g, &err);
	ck_assert_msg(n == 15, "%d events: %s", n, err.msg);
	for (i = 0; i < n; i++) {
		ck_assert(g.ev[i].sport == 40003 || g.ev[i].dport == 40003);
		ck_assert_int_ne(g.ev[i].kind, TD_TRACE_KFREE_SKB);
	}
	/* A port range. */
	o.port = 40004;
	o.port_hi = 40005;
	n = read_fixture(&o, &g, &err);
	ck_assert_int_eq(find(&g, TD_TRACE_RETRANSMIT_SYNACK, 0, NULL) != NULL, 1);
	ck_assert_int_eq(find(&g, TD_TRACE_RETRANSMIT_SKB, 0, NULL) != NULL, 1);
	ck_assert_ptr_null(find(&g, TD_TRACE_STATE, 40003, NULL));
	/* States: transitions into CLOSE_WAIT, and the events asked for only. */
	memset(&o, 0, sizeof(o));
	o.states = TD_STATE_BIT(TD_ST_CLOSE_WAIT);
	o.events = TD_TRACE_BIT(TD_TRACE_STATE);
	n = read_fixture(&o, &g, &err);
	ck_assert_msg(n == 3, "%d events: %s", n, err.msg);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(g.ev[i].newstate, TD_ST_CLOSE_WAIT);
}
END_TEST

/* The recorded buffer, damaged: an error naming the CPU, never a crash or a wrong event. */
START_TEST(test_decode_damaged)
{
	struct tracefs_decoder *d;
	struct td_err err = { 0 };
	struct got g;
	char path[4096];
	unsigned char *buf;
	size_t len, ps = (size_t)getpagesize();
	uint64_t commit;
	FILE *fp;
	int n;

	ck_assert_uint_eq(ps, 4096);
	d = tracefs_decoder_load(fixture_path("tracefs", ""), NULL, &err);
	ck_assert_msg(d != NULL, "%s", err.msg);
	snprintf(path, sizeof(path), "%s", fixture_path("tracefs", "cpu0.raw"));
	fp = fopen(path, "rb");
	ck_assert_ptr_nonnull(fp);
	buf = malloc(2 * ps);
	len = fread(buf, 1, 2 * ps, fp);
	fclose(fp);
	ck_assert_uint_eq(len, 2 * ps);
	memset(&g, 0, sizeof(g));
	ck_assert_int_eq(tracefs_decode(d, buf, len, 0, 0, keep, &g, &err), 71);

	/* A commit (data length, header_page: offset 8) past the sub-buffer's end. */
	memcpy(&commit, buf + 8, 8);
	commit = (commit & ~0xfffffULL) | 0xffff;
	memcpy(buf + 8, &commit, 8);
	memset(&g, 0, sizeof(g));
	memset(&err, 0, sizeof(err));
	n = tracefs_decode(d, buf, len, 3, 0, keep, &g, &err);
	ck_assert_int_eq(n, -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "cpu3: a sub-buffer"));

	/* A short buffer is padded; zeros are an empty sub-buffer. */
	memset(buf, 0, 2 * ps);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tracefs_decode(d, buf, 100, 0, 0, keep, &g, &err), 0);
	free(buf);
	tracefs_decoder_free(d);

	/* Formats that are not there: an error naming the place. */
	memset(&err, 0, sizeof(err));
	ck_assert_ptr_null(tracefs_decoder_load("/nonexistent", NULL, &err));
	ck_assert_ptr_nonnull(strstr(err.msg, "/nonexistent/events"));
}
END_TEST

START_TEST(test_kind_names)
{
	ck_assert_str_eq(tracefs_kind_dir(TD_TRACE_KFREE_SKB), "skb/kfree_skb");
	ck_assert_str_eq(tracefs_kind_name(TD_TRACE_SEND_RESET), "tcp_send_reset");
	ck_assert_str_eq(tracefs_kind_name(TD_TRACE_KINDS), "?");
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/tracefs");
	TCase *tc = tcase_create("decoder");

	tcase_add_test(tc, test_decode_all);
	tcase_add_test(tc, test_decode_filters);
	tcase_add_test(tc, test_decode_damaged);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return s;
}
