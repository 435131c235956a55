/* SPDX-License-Identifier: MIT */
/*
 * Tests for tcp/step.c: the state x event matrix under both profiles.  Each
 * row puts one full socket (or timewait socket) in a state with known
 * sequence numbers (ISS 1000, IRS 5000), feeds one event to tm_step() and
 * checks the state afterwards, the flags of the first segment sent, and that
 * the model reported no illegal transition.  Expectations follow
 * KERNEL-FACTS Part B (linux) and RFC 9293 3.10 (rfc9293).
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <string.h>

#include "tcp/tm.h"

#define NOSEG	0xff		/* no segment expected */
#define GONE	0xfe		/* expected: no live object for the tuple */

enum ev { E_SYN, E_SYNACK, E_ACK, E_ACK_FIN, E_FIN, E_FIN_ACKFIN, E_RST, E_RST_INWIN,
	E_DATA, E_BADACK, E_OLDFIN, E_NEWSYN, E_CLOSE, E_SHUTDOWN, E_SEND, E_RTX };

struct row {
	bool		rfc;		/* profile rfc9293 (else linux) */
	uint8_t		st;		/* initial state (TM_TIME_WAIT: a timewait socket) */
	bool		orphan;
	int		rfc1337;
	enum ev		ev;
	uint8_t		want_st;	/* state after, or GONE */
	bool		want_tw;	/* the state is a timewait socket's substate */
	uint8_t		want_flags;	/* flags of the first segment out, or NOSEG */
};

#define A	TM_ACK
#define FA	(TM_FIN | TM_ACK)
#define SA	(TM_SYN | TM_ACK)
#define RA	(TM_RST | TM_ACK)

static const struct row rows[] = {
	/* ESTABLISHED */
	{ false, TM_ESTABLISHED, false, 0, E_SYN, TM_ESTABLISHED, false, A },	/* RFC 5961 4.2 challenge */
	{ false, TM_ESTABLISHED, false, 0, E_ACK, TM_ESTABLISHED, false, NOSEG },
	{ false, TM_ESTABLISHED, false, 0, E_FIN, TM_CLOSE_WAIT, false, A },
	{ false, TM_ESTABLISHED, false, 0, E_RST, TM_CLOSE, false, NOSEG },
	{ false, TM_ESTABLISHED, false, 0, E_RST_INWIN, TM_ESTABLISHED, false, A },	/* challenge ACK */
	{ false, TM_ESTABLISHED, false, 0, E_DATA, TM_ESTABLISHED, false, A },	/* quick ACK */
	{ false, TM_ESTABLISHED, false, 0, E_CLOSE, TM_FIN_WAIT1, false, FA },
	{ false, TM_ESTABLISHED, false, 0, E_SHUTDOWN, TM_FIN_WAIT1, false, FA },
	{ false, TM_ESTABLISHED, false, 0, E_SEND, TM_ESTABLISHED, false, A | TM_PSH },
	{ true, TM_ESTABLISHED, false, 0, E_FIN, TM_CLOSE_WAIT, false, A },
	{ true, TM_ESTABLISHED, false, 0, E_RST, TM_CLOSE, false, NOSEG },
	/* SYN_SENT */
	{ false, TM_SYN_SENT, false, 0, E_SYNACK, TM_ESTABLISHED, false, A },
	{ false, TM_SYN_SENT, false, 0, E_SYN, TM_SYN_RECV, false, SA },	/* simultaneous open */
	{ false, TM_SYN_SENT, false, 0, E_BADACK, TM_SYN_SENT, false, TM_RST },	/* Part B #20 */
	{ false, TM_SYN_SENT, false, 0, E_RST, TM_CLOSE, false, NOSEG },
	{ false, TM_SYN_SENT, false, 0, E_CLOSE, GONE, false, NOSEG },	/* no RST, Part B #19 */
	{ false, TM_SYN_SENT, false, 0, E_RTX, TM_SYN_SENT, false, TM_SYN },
	{ true, TM_SYN_SENT, false, 0, E_SYNACK, TM_ESTABLISHED, false, A },
	/* SYN_RECV (simultaneous open) */
	{ false, TM_SYN_RECV, false, 0, E_SYNACK, TM_ESTABLISHED, false, A },
	{ false, TM_SYN_RECV, false, 0, E_ACK, TM_ESTABLISHED, false, NOSEG },
	{ false, TM_SYN_RECV, false, 0, E_RTX, TM_SYN_RECV, false, SA },
	/* FIN_WAIT1: our FIN is seq 1001 */
	{ false, TM_FIN_WAIT1, false, 0, E_ACK_FIN, TM_FIN_WAIT2, false, NOSEG },
	{ false, TM_FIN_WAIT1, true, 0, E_ACK_FIN, TM_FIN_WAIT2, true, NOSEG },	/* orphan: tw substate */
	{ false, TM_FIN_WAIT1, false, 0, E_FIN, TM_CLOSING, false, A },
	{ false, TM_FIN_WAIT1, false, 0, E_FIN_ACKFIN, TM_TIME_WAIT, true, A },
	{ false, TM_FIN_WAIT1, false, 0, E_RST, TM_CLOSE, false, NOSEG },
	{ false, TM_FIN_WAIT1, true, 0, E_DATA, GONE, false, TM_RST },	/* data after close() */
	{ false, TM_FIN_WAIT1, false, 0, E_RTX, TM_FIN_WAIT1, false, FA },
	{ true, TM_FIN_WAIT1, true, 0, E_ACK_FIN, TM_FIN_WAIT2, false, NOSEG },	/* RFC: no orphan timer */
	{ true, TM_FIN_WAIT1, false, 0, E_FIN_ACKFIN, TM_TIME_WAIT, false, A },
	/* FIN_WAIT2 */
	{ false, TM_FIN_WAIT2, false, 0, E_FIN, TM_TIME_WAIT, true, A },
	{ false, TM_FIN_WAIT2, false, 0, E_CLOSE, TM_FIN_WAIT2, true, NOSEG },	/* orphan now: tw */
	{ false, TM_FIN_WAIT2, false, 0, E_DATA, TM_FIN_WAIT2, false, A },	/* not orphan: data is fine */
	{ true, TM_FIN_WAIT2, false, 0, E_FIN, TM_TIME_WAIT, false, A },
	{ true, TM_FIN_WAIT2, false, 0, E_CLOSE, TM_FIN_WAIT2, false, NOSEG },
	/* CLOSING */
	{ false, TM_CLOSING, false, 0, E_ACK_FIN, TM_TIME_WAIT, true, NOSEG },
	{ true, TM_CLOSING, false, 0, E_ACK_FIN, TM_TIME_WAIT, false, NOSEG },
	/* CLOSE_WAIT */
	{ false, TM_CLOSE_WAIT, false, 0, E_CLOSE, TM_LAST_ACK, false, FA },
	{ false, TM_CLOSE_WAIT, false, 0, E_SEND, TM_CLOSE_WAIT, false, A | TM_PSH },
	{ false, TM_CLOSE_WAIT, false, 0, E_RST, TM_CLOSE, false, NOSEG },
	/* LAST_ACK */
	{ false, TM_LAST_ACK, true, 0, E_ACK_FIN, GONE, false, NOSEG },
	{ false, TM_LAST_ACK, true, 0, E_RTX, TM_LAST_ACK, false, FA },
	{ true, TM_LAST_ACK, true, 0, E_ACK_FIN, GONE, false, NOSEG },
	/* TIME_WAIT (timewait socket; RFC profile: the TCB) */
	{ false, TM_TIME_WAIT, true, 0, E_RST, GONE, false, NOSEG },		/* assassination */
	{ false, TM_TIME_WAIT, true, 1, E_RST, TM_TIME_WAIT, true, NOSEG },	/* rfc1337=1 */
	{ false, TM_TIME_WAIT, true, 0, E_OLDFIN, TM_TIME_WAIT, true, A },	/* re-ACK, re-arm */
	{ false, TM_TIME_WAIT, true, 0, E_NEWSYN, GONE, false, SA },		/* reopened */
	{ true, TM_TIME_WAIT, true, 0, E_RST, GONE, false, NOSEG },		/* RFC 9293: RST -> CLOSED */
	{ true, TM_TIME_WAIT, true, 1, E_RST, TM_TIME_WAIT, false, NOSEG },
	{ true, TM_TIME_WAIT, true, 0, E_NEWSYN, TM_TIME_WAIT, false, A },	/* no reopen */
};

struct fixture {
	struct tm_profile	p;
	struct tm_host		h;
	struct tm_conn		conns[4];
	struct tm_reqsk		reqs[4];
	struct tm_twsk		tws[4];
	struct tm_effect	fx[64];
	struct tm_fxbuf		out;
	struct tm_addr		a, b;
	uint32_t		id;
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
fixture(struct fixture *f, const struct row *r)
{
	struct tm_conn *k, *l;
	struct tm_twsk *tw;

	memset(f, 0, sizeof(*f));
	f->p = r->rfc ? tm_profile_rfc9293() : tm_profile_linux();
	f->p.rfc1337 = r->rfc1337;
	addr4(&f->a, 2);
	addr4(&f->b, 1);
	tm_host_init(&f->h, 1, &f->a, 11, 22, f->conns, 4, f->reqs, 4, f->tws, 4);
	f->h.hw_conns = f->h.hw_reqs = f->h.hw_tws = 4;	/* objects placed by hand below */
	f->out.v = f->fx;
	f->out.cap = 64;
	/* A listener on port 80 for SYNs that reopen a TIME_WAIT tuple. */
	l = &f->conns[3];
	l->id = 99;
	l->state = TM_LISTEN;
	l->laddr = f->a;
	l->lport = 80;
	l->backlog = 16;
	f->id = 7;
	if (r->st == TM_TIME_WAIT) {
		tw = &f->tws[0];
		tw->id = f->id;
		tw->substate = TM_TIME_WAIT;
		tw->laddr = f->a;
		tw->raddr = f->b;
		tw->lport = 80;
		tw->rport = 40000;
		tw->snd_nxt = 1002;
		tw->rcv_nxt = 5002;
		tw->rcv_wnd = 65535;
		tw->deadline = TM_SEC(60);
		f->h.ntw_live = 1;
		return;
	}
	k = &f->conns[0];
	k->id = f->id;
	k->state = r->st;
	k->orphan = r->orphan;
	k->shut_rd = k->shut_wr = r->orphan;
	k->laddr = f->a;
	k->raddr = f->b;
	k->lport = 80;
	k->rport = 40000;
	k->iss = 1000;
	k->irs = 5000;
	k->snd_una = 1001;
	k->snd_nxt = 1001;
	k->rcv_nxt = 5001;
	k->rcv_wnd = 65535;
	k->snd_wnd = 65535;
	k->snd_mss = 1460;
	k->rto = TM_SEC(1);
	k->quick = 16;
	if (r->st == TM_SYN_SENT) {
		k->snd_una = 1000;
		k->rcv_nxt = 0;
		k->deadline[TM_T_RTX] = TM_SEC(1);
	}
	if (r->st == TM_SYN_RECV) {
		k->snd_una = 1000;
		k->deadline[TM_T_RTX] = TM_SEC(1);
	}
	if (r->st == TM_FIN_WAIT1 || r->st == TM_CLOSING || r->st == TM_LAST_ACK ||
	    r->st == TM_FIN_WAIT2) {
		k->fin_sent = k->fin_queued = k->shut_wr = true;
		k->snd_nxt = 1002;
		if (r->st == TM_FIN_WAIT2)
			k->snd_una = 1002;
		else
			k->deadline[TM_T_RTX] = TM_SEC(1);
	}
	if (r->st == TM_CLOSE_WAIT || r->st == TM_CLOSING || r->st == TM_LAST_ACK) {
		k->rcv_nxt = 5002;
		k->fin_rcvd = true;
	}
}

static void
seg(const struct fixture *f, struct tm_event *e, uint8_t flags, tm_seq seq, tm_seq ack, uint32_t len)
{
	memset(e, 0, sizeof(*e));
	e->at = TM_MS(500);
	e->kind = TM_EV_SEG;
	e->u.seg.src = f->b;
	e->u.seg.dst = f->a;
	e->u.seg.sport = 40000;
	e->u.seg.dport = 80;
	e->u.seg.flags = flags;
	e->u.seg.seq = seq;
	e->u.seg.ack = ack;
	e->u.seg.len = len;
	e->u.seg.wnd = 65535;
}

static void
make_event(const struct fixture *f, const struct row *r, struct tm_event *e)
{
	tm_seq rn = r->st == TM_CLOSE_WAIT || r->st == TM_CLOSING || r->st == TM_LAST_ACK ||
	    r->st == TM_TIME_WAIT ? 5002 : 5001;
	tm_seq sn = r->st == TM_FIN_WAIT1 || r->st == TM_CLOSING || r->st == TM_LAST_ACK ||
	    r->st == TM_FIN_WAIT2 || r->st == TM_TIME_WAIT ? 1002 : 1001;

	switch (r->ev) {
	case E_SYN:
		seg(f, e, TM_SYN, r->st == TM_SYN_SENT ? 5000 : 5010, 0, 0);
		break;
	case E_SYNACK:
		seg(f, e, SA, 5000, 1001, 0);
		break;
	case E_ACK:
		seg(f, e, A, rn, r->st == TM_SYN_RECV ? 1001 : sn, 0);
		break;
	case E_ACK_FIN:
		seg(f, e, A, rn, 1002, 0);
		break;
	case E_FIN:
		seg(f, e, FA, rn, 1001, 0);
		break;
	case E_FIN_ACKFIN:
		seg(f, e, FA, rn, 1002, 0);
		break;
	case E_RST:
		seg(f, e, TM_RST, rn, 0, 0);
		if (r->st == TM_SYN_SENT)
			seg(f, e, RA, 0, 1001, 0);
		break;
	case E_RST_INWIN:
		seg(f, e, TM_RST, rn + 100, 0, 0);
		break;
	case E_DATA:
		seg(f, e, A | TM_PSH, rn, sn, 10);
		break;
	case E_BADACK:
		seg(f, e, SA, 5000, 1000 + 1000, 0);
		break;
	case E_OLDFIN:
		seg(f, e, FA, 5001, 1002, 0);
		break;
	case E_NEWSYN:
		seg(f, e, TM_SYN, 90000, 0, 0);
		break;
	case E_CLOSE:
	case E_SHUTDOWN:
	case E_SEND:
		memset(e, 0, sizeof(*e));
		e->at = TM_MS(500);
		e->kind = TM_EV_APP;
		e->u.app.sock = f->id;
		e->u.app.call = r->ev == E_CLOSE ? TM_CALL_CLOSE : r->ev == E_SEND ? TM_CALL_SEND :
		    TM_CALL_SHUTDOWN;
		e->u.app.how = 1;
		e->u.app.len = 100;
		break;
	case E_RTX:
		memset(e, 0, sizeof(*e));
		e->at = TM_SEC(1);
		e->kind = TM_EV_TIMER;
		e->u.tmr.sock = f->id;
		e->u.tmr.obj = TM_OBJ_FULL;
		e->u.tmr.timer = TM_T_RTX;
		break;
	}
}

START_TEST(test_tm_step_matrix)
{
	const struct row *r = &rows[_i];
	struct fixture f;
	struct tm_event e;
	struct tm_conn *k;
	struct tm_twsk *tw;
	uint8_t got_flags = NOSEG, got_st = GONE;
	bool got_tw = false;
	size_t i;

	fixture(&f, r);
	make_event(&f, r, &e);
	ck_assert_int_eq(tm_step(&f.p, &f.h, &e, &f.out), 0);
	for (i = 0; i < f.out.n; i++) {
		ck_assert_msg(f.fx[i].kind != TM_FX_ERROR, "row %d: model error: %s", _i,
		    f.fx[i].reason ? f.fx[i].reason : "?");
		if (f.fx[i].kind == TM_FX_SEG_OUT && got_flags == NOSEG)
			got_flags = f.fx[i].u.seg.seg.flags;
	}
	k = tm_host_conn(&f.h, f.id);
	tw = tm_host_tw(&f.h, f.id);
	if (tw != NULL) {
		got_st = (uint8_t)tw->substate;
		got_tw = f.p.minisocks;
	}
	if (k != NULL && (tw == NULL || k->state != TM_CLOSE))
		got_st = (uint8_t)k->state, got_tw = false;
	if (tw != NULL && !f.p.minisocks)
		got_st = TM_TIME_WAIT;
	ck_assert_msg(got_st == r->want_st, "row %d (%s %s ev %d): state %s, want %s", _i,
	    r->rfc ? "rfc9293" : "linux", tm_state_name(r->st), r->ev,
	    got_st == GONE ? "gone" : tm_state_name(got_st),
	    r->want_st == GONE ? "gone" : tm_state_name(r->want_st));
	if (r->want_st != GONE)
		ck_assert_msg(got_tw == r->want_tw, "row %d: timewait object %d, want %d", _i, got_tw,
		    r->want_tw);
	ck_assert_msg(got_flags == r->want_flags, "row %d (%s ev %d): first segment flags 0x%x, want 0x%x",
	    _i, tm_state_name(r->st), r->ev, got_flags, r->want_flags);
}
END_TEST

/* Every state change tm_step() reports is in the table: checked in the matrix; here
 * the RFC 5961 per-socket limit: a second challenge within 500 ms is not sent. */
START_TEST(test_tm_step_challenge_ratelimit)
{
	static const struct row r = { false, TM_ESTABLISHED, false, 0, E_RST_INWIN, 0, false, 0 };
	struct fixture f;
	struct tm_event e;
	unsigned int n = 0;
	size_t i;

	fixture(&f, &r);
	make_event(&f, &r, &e);
	tm_step(&f.p, &f.h, &e, &f.out);
	e.at += TM_MS(100);
	tm_step(&f.p, &f.h, &e, &f.out);
	e.at += TM_MS(600);
	tm_step(&f.p, &f.h, &e, &f.out);
	for (i = 0; i < f.out.n; i++)
		if (f.fx[i].kind == TM_FX_SEG_OUT)
			n++;
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(f.h.counters[TM_C_CHALLENGE_ACK], 2);
}
END_TEST

/* The SYN that reopens TIME_WAIT gets ISN = tw snd_nxt + 65535 + 2 (Part B #11). */
/*
 * The rfc9293 profile in TIME-WAIT (the TCB, reported as one full socket;
 * RCV.NXT 5002, RCV.WND 65535), RFC 9293 3.10.7.4 with the RFC 5961 checks
 * off and on.  Off: an acceptable RST closes the connection ("enter the
 * CLOSED state, delete the TCB"), and an acceptable SYN is an error that
 * gets a reset and closes it; unacceptable segments get an ACK (an RST:
 * nothing).  On: an RST at RCV.NXT still closes it, one elsewhere in the
 * window gets a challenge ACK (RFC 5961 3.2), and so does any SYN (4.2).
 */
static const struct {
	bool		rfc5961;
	uint8_t		flags;
	tm_seq		seq;
	bool		gone;		/* the TCB is deleted */
	uint8_t		want_flags;	/* first segment out, or NOSEG */
	bool		challenge;	/* counted as a challenge ACK */
} rfc_tw_rows[] = {
	{ false, TM_RST, 5002, true, NOSEG, false },
	{ false, TM_RST, 5102, true, NOSEG, false },
	{ false, TM_RST, 90000, false, NOSEG, false },
	{ false, TM_SYN, 5010, true, RA, false },
	{ false, TM_SYN, 90000, false, A, false },
	{ true, TM_RST, 5002, true, NOSEG, false },
	{ true, TM_RST, 5102, false, A, true },
	{ true, TM_RST, 90000, false, NOSEG, false },
	{ true, TM_SYN, 5010, false, A, true },
	{ true, TM_SYN, 90000, false, A, true },
};

START_TEST(test_tm_step_rfc9293_time_wait)
{
	static const struct row r = { true, TM_TIME_WAIT, true, 0, E_RST, 0, false, 0 };
	struct fixture f;
	struct tm_event e;
	const struct tm_seg *out = NULL;
	size_t i;

	fixture(&f, &r);
	f.p.rfc5961 = rfc_tw_rows[_i].rfc5961;
	seg(&f, &e, rfc_tw_rows[_i].flags, rfc_tw_rows[_i].seq, 0, 0);
	ck_assert_int_eq(tm_step(&f.p, &f.h, &e, &f.out), 0);
	for (i = 0; i < f.out.n; i++) {
		ck_assert_msg(f.fx[i].kind != TM_FX_ERROR, "row %d: model error: %s", _i,
		    f.fx[i].reason ? f.fx[i].reason : "?");
		if (f.fx[i].kind == TM_FX_SEG_OUT && out == NULL)
			out = &f.fx[i].u.seg.seg;
	}
	ck_assert_msg((tm_host_tw(&f.h, f.id) == NULL) == rfc_tw_rows[_i].gone,
	    "row %d: TCB %s, want %s", _i, tm_host_tw(&f.h, f.id) ? "kept" : "deleted",
	    rfc_tw_rows[_i].gone ? "deleted" : "kept");
	ck_assert_msg((out ? out->flags : NOSEG) == rfc_tw_rows[_i].want_flags,
	    "row %d: first segment flags 0x%x, want 0x%x", _i, out ? out->flags : NOSEG,
	    rfc_tw_rows[_i].want_flags);
	if (out != NULL) {
		/* From the TCB's own state: <SEQ=SND.NXT><ACK=RCV.NXT>. */
		ck_assert_uint_eq(out->seq, 1002);
		ck_assert_uint_eq(out->ack, 5002);
	}
	ck_assert_uint_eq(f.h.counters[TM_C_CHALLENGE_ACK], (rfc_tw_rows[_i].challenge ? 1u : 0u));
}
END_TEST

START_TEST(test_tm_step_tw_syn_isn)
{
	static const struct row r = { false, TM_TIME_WAIT, true, 0, E_NEWSYN, 0, false, 0 };
	struct fixture f;
	struct tm_event e;
	size_t i;
	bool seen = false;

	fixture(&f, &r);
	make_event(&f, &r, &e);
	tm_step(&f.p, &f.h, &e, &f.out);
	for (i = 0; i < f.out.n; i++)
		if (f.fx[i].kind == TM_FX_SEG_OUT && f.fx[i].u.seg.seg.flags == SA) {
			ck_assert_uint_eq(f.fx[i].u.seg.seg.seq, 1002u + 65535u + 2u);
			ck_assert_uint_eq(f.fx[i].u.seg.seg.ack, 90001u);
			seen = true;
		}
	ck_assert(seen);
}
END_TEST

/* The keepalive probe is an ACK with seq SND.UNA - 1 and no data (Part B #17). */
START_TEST(test_tm_step_keepalive_probe)
{
	static const struct row r = { false, TM_ESTABLISHED, false, 0, E_ACK, 0, false, 0 };
	struct fixture f;
	struct tm_event e;
	struct tm_conn *k;

	fixture(&f, &r);
	k = tm_host_conn(&f.h, f.id);
	k->opt.keepalive = true;
	k->deadline[TM_T_KEEPALIVE] = TM_SEC(7200);
	memset(&e, 0, sizeof(e));
	e.at = TM_SEC(7200);
	e.kind = TM_EV_TIMER;
	e.u.tmr.sock = f.id;
	e.u.tmr.timer = TM_T_KEEPALIVE;
	tm_step(&f.p, &f.h, &e, &f.out);
	ck_assert_uint_ge(f.out.n, 1);
	ck_assert_int_eq(f.fx[0].kind, TM_FX_SEG_OUT);
	ck_assert_uint_eq(f.fx[0].u.seg.seg.seq, 1000);
	ck_assert_uint_eq(f.fx[0].u.seg.seg.len, 0);
	ck_assert_uint_eq(f.fx[0].u.seg.seg.flags, A);
	ck_assert_uint_eq(k->deadline[TM_T_KEEPALIVE], TM_SEC(7200 + 75));
}
END_TEST

/* Application calls in states that refuse them. */
START_TEST(test_tm_step_app_errors)
{
	static const struct row r = { false, TM_FIN_WAIT2, false, 0, E_SEND, 0, false, 0 };
	struct fixture f;
	struct tm_event e;

	fixture(&f, &r);
	make_event(&f, &r, &e);
	tm_step(&f.p, &f.h, &e, &f.out);
	ck_assert_uint_eq(f.out.n, 1);
	ck_assert_int_eq(f.fx[0].kind, TM_FX_APP);
	ck_assert_int_eq(f.fx[0].u.app.err, EPIPE);
	e.u.app.call = TM_CALL_ACCEPT;
	tm_step(&f.p, &f.h, &e, &f.out);
	ck_assert_int_eq(f.fx[1].u.app.err, EINVAL);
	e.u.app.sock = 12345;
	tm_step(&f.p, &f.h, &e, &f.out);
	ck_assert_int_eq(f.fx[2].u.app.err, EBADF);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("tcp/step");
	TCase *tc = tcase_create("step");

	tcase_add_loop_test(tc, test_tm_step_matrix, 0, (int)(sizeof(rows) / sizeof(rows[0])));
	tcase_add_test(tc, test_tm_step_challenge_ratelimit);
	tcase_add_loop_test(tc, test_tm_step_rfc9293_time_wait, 0,
	    (int)(sizeof(rfc_tw_rows) / sizeof(rfc_tw_rows[0])));
	tcase_add_test(tc, test_tm_step_tw_syn_isn);
	tcase_add_test(tc, test_tm_step_keepalive_probe);
	tcase_add_test(tc, test_tm_step_app_errors);
	suite_add_tcase(s, tc);
	return s;
}
