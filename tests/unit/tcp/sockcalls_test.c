/* SPDX-License-Identifier: MIT */
/*
 * Tests for the model's socket calls of issue 16 (tcp/app.c): getsockopt
 * (SO_ERROR, TCP_INFO fields, buffer sizes, TCP_DEFER_ACCEPT), ioctl
 * SIOCINQ/SIOCOUTQ, SO_RCVBUF/SO_SNDBUF values, TCP_DEFER_ACCEPT in the
 * listener (tcp_check_req(), syn_ack_recalc()), a non-blocking send() before
 * the handshake, the ACK a read makes due (tcp_cleanup_rbuf()), the
 * backoff an ACK of retransmitted data keeps (Karn), SO_RCVBUF's window and
 * the challenge ACK to an ACK of unsent data.  Each test drives one
 * host through tm_step() with segments from a peer written by hand.
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <string.h>

#include "tcp/tm.h"

#define PEER_ISN	5000u

struct fx {
	struct tm_profile	p;
	struct tm_host		h;
	struct tm_conn		conns[4];
	struct tm_reqsk		reqs[4];
	struct tm_twsk		tws[4];
	struct tm_effect	v[128];
	struct tm_fxbuf		out;
	struct tm_addr		a, b;
	tm_time			now;
	uint32_t		listener, sock;
};

static void
addr4(struct tm_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 2;
	a->a.s6_addr[10] = a->a.s6_addr[11] = 0xff;
	a->a.s6_addr[12] = 198;
	a->a.s6_addr[13] = 18;
	a->a.s6_addr[15] = last;
}

static void
setup(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->p = tm_profile_linux();
	addr4(&f->a, 2);
	addr4(&f->b, 1);
	tm_host_init(&f->h, 0, &f->a, 11, 22, f->conns, 4, f->reqs, 4, f->tws, 4);
	f->now = TM_SEC(1);
}

static void
step(struct fx *f, struct tm_event *e)
{
	e->at = f->now;
	f->out.v = f->v;
	f->out.n = 0;
	f->out.cap = 128;
	ck_assert_int_eq(tm_step(&f->p, &f->h, e, &f->out), 0);
}

/* An application call; returns the result's err, *ret its value. */
static int
call(struct fx *f, enum tm_call c, uint32_t sock, enum tm_sockopt opt, int64_t val, int64_t *ret)
{
	struct tm_event e;
	size_t i;

	memset(&e, 0, sizeof(e));
	e.kind = TM_EV_APP;
	e.u.app.call = c;
	e.u.app.sock = sock;
	e.u.app.opt = opt;
	e.u.app.val = val;
	e.u.app.lport = 80;
	e.u.app.backlog = 8;
	e.u.app.raddr = f->b;
	e.u.app.rport = 40000;
	e.u.app.len = (uint32_t)val;
	e.u.app.how = (int)val;
	e.u.app.nonblock = true;
	step(f, &e);
	for (i = 0; i < f->out.n; i++)
		if (f->v[i].kind == TM_FX_APP && f->v[i].u.app.call == c) {
			if (ret != NULL)
				*ret = f->v[i].u.app.ret;
			return f->v[i].u.app.err;
		}
	ck_abort_msg("no result for call %d", c);
	return -1;
}

static int64_t
get(struct fx *f, uint32_t sock, enum tm_sockopt opt)
{
	int64_t v = -1;

	ck_assert_int_eq(call(f, TM_CALL_GETSOCKOPT, sock, opt, 0, &v), 0);
	return v;
}

static int64_t
ioctl_(struct fx *f, uint32_t sock, enum tm_sockopt opt)
{
	int64_t v = -1;

	ck_assert_int_eq(call(f, TM_CALL_IOCTL, sock, opt, 0, &v), 0);
	return v;
}

/* A segment from the peer (port 40000) to port 80; seq/ack absolute. */
static void
peer(struct fx *f, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t len)
{
	struct tm_event e;

	memset(&e, 0, sizeof(e));
	e.kind = TM_EV_SEG;
	e.u.seg.src = f->b;
	e.u.seg.dst = f->a;
	e.u.seg.sport = 40000;
	e.u.seg.dport = 80;
	e.u.seg.flags = flags;
	e.u.seg.seq = seq;
	e.u.seg.ack = ack;
	e.u.seg.len = len;
	e.u.seg.wnd = 65535;
	if (flags & TM_SYN) {
		e.u.seg.has_mss = true;
		e.u.seg.mss = 1460;
		e.u.seg.sack_ok = true;
		e.u.seg.has_wscale = true;
		e.u.seg.wscale = 7;
	}
	step(f, &e);
}

static void
fire(struct fx *f, enum tm_obj obj, uint32_t sock, enum tm_timer t, tm_time at)
{
	struct tm_event e;

	memset(&e, 0, sizeof(e));
	e.kind = TM_EV_TIMER;
	e.u.tmr.sock = sock;
	e.u.tmr.obj = obj;
	e.u.tmr.timer = t;
	f->now = at;
	step(f, &e);
}

/* The first segment the last step sent, NULL if none. */
static const struct tm_seg *
sent(const struct fx *f)
{
	size_t i;

	for (i = 0; i < f->out.n; i++)
		if (f->v[i].kind == TM_FX_SEG_OUT)
			return &f->v[i].u.seg.seg;
	return NULL;
}

static uint32_t
our_iss(const struct fx *f)
{
	uint32_t i;

	for (i = 0; i < 4; i++)
		if (f->reqs[i].id)
			return f->reqs[i].iss;
	return f->conns[1].iss;
}

/* listen(80), then a passive open from the peer, accepted: f->sock. */
static uint32_t
open_passive(struct fx *f)
{
	int64_t id = 0;
	uint32_t iss;

	ck_assert_int_eq(call(f, TM_CALL_LISTEN, 0, 0, 0, &id), 0);
	f->listener = (uint32_t)id;
	peer(f, TM_SYN, PEER_ISN, 0, 0);
	iss = our_iss(f);
	peer(f, TM_ACK, PEER_ISN + 1, iss + 1, 0);
	ck_assert_int_eq(call(f, TM_CALL_ACCEPT, f->listener, 0, 0, &id), 0);
	f->sock = (uint32_t)id;
	return iss;
}

START_TEST(test_so_error_and_info)
{
	struct fx f;
	int64_t id = 0;

	setup(&f);
	ck_assert_int_eq(call(&f, TM_CALL_CONNECT, 0, 0, 0, &id), EINPROGRESS);
	f.sock = (uint32_t)id;
	ck_assert_int_eq(get(&f, f.sock, TM_SO_TCPI_STATE), TM_SYN_SENT);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_ERROR), 0);
	/* A RST|ACK acknowledging the SYN: refused. */
	peer(&f, TM_RST | TM_ACK, 0, f.conns[0].iss + 1, 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_TCPI_STATE), TM_CLOSE);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_ERROR), ECONNREFUSED);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_ERROR), 0);	/* read once */
	/* Read-only options cannot be set. */
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.sock, TM_SO_TCPI_STATE, 1, NULL),
	    ENOPROTOOPT);
	ck_assert_int_eq(call(&f, TM_CALL_IOCTL, f.sock, TM_SO_ERROR, 0, NULL), EINVAL);
}
END_TEST

START_TEST(test_buffers_and_defer_values)
{
	struct fx f;

	setup(&f);
	open_passive(&f);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_RCVBUF), 131072);	/* tcp_rmem[1] */
	ck_assert_int_eq(get(&f, f.sock, TM_SO_SNDBUF), 16384);		/* tcp_wmem[1] */
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.sock, TM_SO_RCVBUF, 4096, NULL), 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_RCVBUF), 8192);
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.sock, TM_SO_RCVBUF, 100, NULL), 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_RCVBUF), 2304);		/* SOCK_MIN_RCVBUF */
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.sock, TM_SO_RCVBUF, 1000000, NULL), 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_RCVBUF), 425984);	/* rmem_max * 2 */
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.sock, TM_SO_SNDBUF, 100, NULL), 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_SNDBUF), 4608);		/* SOCK_MIN_SNDBUF */
	/* secs_to_retrans() and back: 1 s -> 1 -> 1 s, 3 s -> 2 -> 3 s, 5 s -> 3 -> 7 s. */
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_DEFER_ACCEPT, 1, NULL), 0);
	ck_assert_int_eq(get(&f, f.listener, TM_SO_DEFER_ACCEPT), 1);
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_DEFER_ACCEPT, 3, NULL), 0);
	ck_assert_int_eq(get(&f, f.listener, TM_SO_DEFER_ACCEPT), 3);
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_DEFER_ACCEPT, 5, NULL), 0);
	ck_assert_int_eq(get(&f, f.listener, TM_SO_DEFER_ACCEPT), 7);
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_DEFER_ACCEPT, 0, NULL), 0);
	ck_assert_int_eq(get(&f, f.listener, TM_SO_DEFER_ACCEPT), 0);
	ck_assert_int_eq(get(&f, f.listener, TM_SO_TCPI_STATE), TM_LISTEN);
}
END_TEST

START_TEST(test_siocinq_siocoutq)
{
	struct fx f;
	uint32_t iss;

	setup(&f);
	iss = open_passive(&f);
	ck_assert_int_eq(call(&f, TM_CALL_IOCTL, f.listener, TM_SO_SIOCINQ, 0, NULL), EINVAL);
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCINQ), 0);
	peer(&f, TM_ACK | TM_PSH, PEER_ISN + 1, iss + 1, 1000);
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCINQ), 1000);
	/* The FIN is not counted (tcp_inq()). */
	peer(&f, TM_ACK | TM_FIN, PEER_ISN + 1001, iss + 1, 0);
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCINQ), 1000);
	ck_assert_int_eq(call(&f, TM_CALL_SEND, f.sock, 0, 100, NULL), 0);
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCOUTQ), 100);
	peer(&f, TM_ACK, PEER_ISN + 1002, iss + 101, 0);
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCOUTQ), 0);
	/* close() from CLOSE_WAIT queues the FIN: it counts one until ACKed. */
	ck_assert_int_eq(call(&f, TM_CALL_SHUTDOWN, f.sock, 0, 1, NULL), 0);
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCOUTQ), 1);
	peer(&f, TM_ACK, PEER_ISN + 1002, iss + 102, 0);
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCOUTQ), 0);
}
END_TEST

/* tcp_check_req() drops the bare ACK; syn_ack_recalc() holds the SYN-ACK. */
START_TEST(test_defer_accept)
{
	struct fx f;
	int64_t id = 0;
	uint32_t iss, req;

	setup(&f);
	f.p.synack_retries = 2;
	ck_assert_int_eq(call(&f, TM_CALL_LISTEN, 0, 0, 0, &id), 0);
	f.listener = (uint32_t)id;
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_DEFER_ACCEPT, 3, NULL), 0);
	peer(&f, TM_SYN, PEER_ISN, 0, 0);
	iss = our_iss(&f);
	req = f.reqs[0].id;
	ck_assert_uint_ne(req, 0);
	peer(&f, TM_ACK, PEER_ISN + 1, iss + 1, 0);
	ck_assert_ptr_null(sent(&f));
	ck_assert_ptr_nonnull(tm_host_req(&f.h, req));
	ck_assert_uint_eq(f.h.counters[TM_C_DEFER_ACCEPT_DROP], 1);
	ck_assert_int_eq(call(&f, TM_CALL_ACCEPT, f.listener, 0, 0, NULL), EAGAIN);
	/* 1 s: acked and not the period's last retransmission: no SYN-ACK. */
	fire(&f, TM_OBJ_REQ, req, TM_T_SYNACK, TM_SEC(2));
	ck_assert_ptr_null(sent(&f));
	ck_assert_uint_eq(tm_host_req(&f.h, req)->deadline, TM_SEC(4));
	/* 3 s: the last of the period resends it. */
	fire(&f, TM_OBJ_REQ, req, TM_T_SYNACK, TM_SEC(4));
	ck_assert_ptr_nonnull(sent(&f));
	ck_assert_uint_eq(sent(&f)->flags, TM_SYN | TM_ACK);
	/* Data creates the child, which ACKs it. */
	peer(&f, TM_ACK | TM_PSH, PEER_ISN + 1, iss + 1, 10);
	ck_assert_ptr_null(tm_host_req(&f.h, req));
	ck_assert_ptr_nonnull(sent(&f));
	ck_assert_uint_eq(sent(&f)->ack, PEER_ISN + 11);
	ck_assert_int_eq(call(&f, TM_CALL_ACCEPT, f.listener, 0, 0, &id), 0);
	ck_assert_int_eq(ioctl_(&f, (uint32_t)id, TM_SO_SIOCINQ), 10);
}
END_TEST

START_TEST(test_defer_accept_expiry)
{
	struct fx f;
	int64_t id = 0;
	uint32_t iss, req;

	setup(&f);
	f.p.synack_retries = 2;
	ck_assert_int_eq(call(&f, TM_CALL_LISTEN, 0, 0, 0, &id), 0);
	f.listener = (uint32_t)id;
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_DEFER_ACCEPT, 3, NULL), 0);
	peer(&f, TM_SYN, PEER_ISN, 0, 0);
	iss = our_iss(&f);
	req = f.reqs[0].id;
	peer(&f, TM_ACK, PEER_ISN + 1, iss + 1, 0);
	fire(&f, TM_OBJ_REQ, req, TM_T_SYNACK, TM_SEC(2));
	fire(&f, TM_OBJ_REQ, req, TM_T_SYNACK, TM_SEC(4));
	ck_assert_ptr_nonnull(tm_host_req(&f.h, req));
	fire(&f, TM_OBJ_REQ, req, TM_T_SYNACK, TM_SEC(8));
	ck_assert_ptr_null(sent(&f));			/* silent */
	ck_assert_ptr_null(tm_host_req(&f.h, req));
}
END_TEST

/* sk_stream_wait_connect(): EAGAIN without O_NONBLOCK's wait; a blocking send queues. */
START_TEST(test_send_before_handshake)
{
	struct fx f;
	struct tm_event e;
	int64_t id = 0;

	setup(&f);
	ck_assert_int_eq(call(&f, TM_CALL_CONNECT, 0, 0, 0, &id), EINPROGRESS);
	ck_assert_int_eq(call(&f, TM_CALL_SEND, (uint32_t)id, 0, 100, NULL), EAGAIN);
	ck_assert_int_eq(ioctl_(&f, (uint32_t)id, TM_SO_SIOCOUTQ), 0);
	memset(&e, 0, sizeof(e));
	e.kind = TM_EV_APP;
	e.u.app.call = TM_CALL_SEND;
	e.u.app.sock = (uint32_t)id;
	e.u.app.len = 100;
	step(&f, &e);
	ck_assert_int_eq(f.v[0].u.app.err, 0);
	ck_assert_uint_eq(f.conns[0].sndq, 100);
}
END_TEST

/*
 * tcp_cleanup_rbuf(): a FIN after 1000 bytes waits for the delayed ACK
 * (pingpong); the read of those bytes sends it, rcv_nxt - rcv_wup (1001)
 * being more than the 1000-byte rcv_mss.
 */
START_TEST(test_read_sends_owed_ack)
{
	struct fx f;
	int64_t n = 0;
	uint32_t iss;

	setup(&f);
	iss = open_passive(&f);
	peer(&f, TM_ACK | TM_PSH, PEER_ISN + 1, iss + 1, 1000);
	ck_assert_ptr_nonnull(sent(&f));		/* quick ACK */
	peer(&f, TM_ACK | TM_FIN | TM_PSH, PEER_ISN + 1001, iss + 1, 1000);
	ck_assert_ptr_null(sent(&f));			/* delayed */
	ck_assert_int_eq(call(&f, TM_CALL_RECV, f.sock, 0, 0, &n), 0);
	ck_assert_int_eq(n, 2000);
	ck_assert_ptr_nonnull(sent(&f));
	ck_assert_uint_eq(sent(&f)->ack, PEER_ISN + 2002);
}
END_TEST

/* tcp_retransmit_timer() counts; tcp_ack_update_rtt() keeps the backoff without a sample. */
START_TEST(test_info_retransmits_karn)
{
	struct fx f;
	struct tm_conn *k;
	uint32_t iss;

	setup(&f);
	iss = open_passive(&f);
	k = tm_host_conn(&f.h, f.sock);
	k->has_sack = false;				/* no tail loss probe */
	ck_assert_int_eq(call(&f, TM_CALL_SEND, f.sock, 0, 100, NULL), 0);
	fire(&f, TM_OBJ_FULL, f.sock, TM_T_RTX, k->deadline[TM_T_RTX]);
	ck_assert_ptr_nonnull(sent(&f));
	fire(&f, TM_OBJ_FULL, f.sock, TM_T_RTX, k->deadline[TM_T_RTX]);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_TCPI_RETRANSMITS), 2);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_TCPI_BACKOFF), 2);
	peer(&f, TM_ACK, PEER_ISN + 1, iss + 101, 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_TCPI_RETRANSMITS), 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_TCPI_BACKOFF), 2);
	/* New data ACKed with a sample resets it. */
	ck_assert_int_eq(call(&f, TM_CALL_SEND, f.sock, 0, 100, NULL), 0);
	f.now += TM_MS(10);
	peer(&f, TM_ACK, PEER_ISN + 1, iss + 201, 0);
	ck_assert_int_eq(get(&f, f.sock, TM_SO_TCPI_BACKOFF), 0);
}
END_TEST

/* tcp_openreq_init_rwin(): SO_RCVBUF on the listener bounds the SYN-ACK's window and scale. */
START_TEST(test_rcvbuf_window)
{
	struct fx f;
	int64_t id = 0;
	const struct tm_seg *sa;

	setup(&f);
	ck_assert_int_eq(call(&f, TM_CALL_LISTEN, 0, 0, 0, &id), 0);
	f.listener = (uint32_t)id;
	peer(&f, TM_SYN, PEER_ISN, 0, 0);
	ck_assert_ptr_nonnull(sa = sent(&f));
	ck_assert_uint_eq(sa->wnd, f.p.rcv_wnd > 65535 ? 65535 : f.p.rcv_wnd);	/* unset: the profile's */
	/* 1000 -> 2304 (SOCK_MIN_RCVBUF) -> space 1152, below the MSS: not rounded, scale 0. */
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_RCVBUF, 1000, NULL), 0);
	peer(&f, TM_SYN, PEER_ISN, 0, 0);		/* the SYN again: the SYN-ACK again */
	ck_assert_ptr_nonnull(sa = sent(&f));
	ck_assert_uint_eq(sa->wnd, 1152);
	ck_assert_uint_eq(sa->wscale, 0);
	/* 100000 -> 200000 -> space 100000: 68 * 1460 = 99280, capped at 65535; scale 1. */
	ck_assert_int_eq(call(&f, TM_CALL_SETSOCKOPT, f.listener, TM_SO_RCVBUF, 100000, NULL), 0);
	f.now += TM_SEC(2);
	peer(&f, TM_SYN, PEER_ISN, 0, 0);
	ck_assert_ptr_nonnull(sa = sent(&f));
	ck_assert_uint_eq(sa->wnd, 65535);
	ck_assert_uint_eq(sa->wscale, 1);
	/* The child starts from the SYN-ACK's window (rsk_rcv_wnd: at most U16_MAX). */
	peer(&f, TM_ACK, PEER_ISN + 1, our_iss(&f) + 1, 0);
	ck_assert_int_eq(call(&f, TM_CALL_ACCEPT, f.listener, 0, 0, &id), 0);
	ck_assert_uint_eq(tm_host_conn(&f.h, (uint32_t)id)->rcv_wnd, 65535);
	ck_assert_int_eq(get(&f, (uint32_t)id, TM_SO_RCVBUF), 200000);
}
END_TEST

/* tcp_ack(): an ACK of data never sent gets a challenge ACK in ESTABLISHED too, rate-limited. */
START_TEST(test_unsent_ack_challenge)
{
	struct fx f;
	uint32_t iss;

	setup(&f);
	iss = open_passive(&f);
	peer(&f, TM_ACK | TM_PSH, PEER_ISN + 1, iss + 100, 10);
	ck_assert_ptr_nonnull(sent(&f));
	ck_assert_uint_eq(sent(&f)->ack, PEER_ISN + 1);		/* the data was dropped */
	ck_assert_uint_eq(f.h.counters[TM_C_CHALLENGE_ACK], 1);
	peer(&f, TM_ACK | TM_PSH, PEER_ISN + 1, iss + 100, 10);
	ck_assert_ptr_null(sent(&f));				/* within 500 ms: none */
	ck_assert_int_eq(ioctl_(&f, f.sock, TM_SO_SIOCINQ), 0);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("tcp/sockcalls");
	TCase *tc = tcase_create("sockcalls");

	tcase_add_test(tc, test_so_error_and_info);
	tcase_add_test(tc, test_buffers_and_defer_values);
	tcase_add_test(tc, test_siocinq_siocoutq);
	tcase_add_test(tc, test_defer_accept);
	tcase_add_test(tc, test_defer_accept_expiry);
	tcase_add_test(tc, test_send_before_handshake);
	tcase_add_test(tc, test_read_sends_owed_ack);
	tcase_add_test(tc, test_info_retransmits_karn);
	tcase_add_test(tc, test_rcvbuf_window);
	tcase_add_test(tc, test_unsent_ack_challenge);
	suite_add_tcase(s, tc);
	return s;
}
