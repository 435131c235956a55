/* SPDX-License-Identifier: MIT */
/*
 * Tests for sim/sim.c, sim/script.c and sim/scenarios.c: the KERNEL-FACTS
 * Part C sequences as fixtures (times within max(20 ms, 5%) of the lab's,
 * as the conformance comparison does), script errors with line and column,
 * and property tests over random seeds and faults: no illegal transition,
 * sequence and acknowledgment numbers of new segments never go backwards,
 * every run ends quiescent within the model's bound.
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "sim/sim.h"

static struct tm_world w;

static void
load(const char *script, const struct tm_profile *p)
{
	struct td_err err = { 0 };
	struct tm_profile lx = tm_profile_linux();

	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	if (tm_script_load(&w, script, "test", p ? p : &lx, &err) < 0)
		ck_abort_msg("script: %s", err.msg);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), 0);
	ck_assert_uint_eq(w.errors, 0);
}

static void
load_named(const char *name, const char *set)
{
	const struct tm_scenario *sc = tm_scenario_find(name);
	struct td_err err = { 0 };
	struct tm_profile lx = tm_profile_linux();

	ck_assert_ptr_nonnull(sc);
	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, sc->script, name, &lx, &err), 0);
	if (set != NULL)
		ck_assert_int_eq(tm_world_set_all(&w, set, &err), 0);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), 0);
	ck_assert_uint_eq(w.errors, 0);
}

static void
teardown(void)
{
	tm_world_free(&w);
}

/* |got - want| <= max(20 ms, 5% of want) */
static void
near(tm_time got, tm_time want, const char *what)
{
	tm_time tol = want / 20 > TM_MS(20) ? want / 20 : TM_MS(20);
	tm_time d = got > want ? got - want : want - got;

	ck_assert_msg(d <= tol, "%s: %.3f s, lab %.3f s", what, (double)got / 1e9, (double)want / 1e9);
}

/* Times of segments sent by host h with exactly these flags (rtx or not). */
static size_t
seg_times(unsigned int h, uint8_t flags, tm_time *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < w.nlog && n < max; i++)
		if (w.log[i].kind == TM_FX_SEG_OUT && w.log[i].host == h &&
		    w.log[i].u.seg.seg.flags == flags)
			out[n++] = w.log[i].at;
	return n;
}

static const struct tm_effect *
find_state(unsigned int h, enum tm_obj obj, enum tm_state from, enum tm_state to)
{
	size_t i;

	for (i = 0; i < w.nlog; i++)
		if (w.log[i].kind == TM_FX_STATE && w.log[i].host == h && w.log[i].obj == obj &&
		    w.log[i].u.st.from == from && w.log[i].u.st.to == to)
			return &w.log[i];
	return NULL;
}

/* T1: SYN-ACK at 0, then 1.02, 3.04, 7.07, 15.27, 31.39 s; gone by 66 s; no RST. */
START_TEST(test_part_c_t1_synack_schedule)
{
	static const double lab[] = { 1.02, 3.04, 7.07, 15.27, 31.39 };
	tm_time t[8];
	const struct tm_effect *drop;
	size_t n, i;

	load_named("lost-synack", NULL);
	n = seg_times(1, TM_SYN | TM_ACK, t, 8);
	ck_assert_uint_eq(n, 6);
	for (i = 0; i < 5; i++)
		near(t[i + 1] - t[0], (tm_time)(lab[i] * 1e9), "SYN-ACK retransmission");
	drop = find_state(1, TM_OBJ_REQ, TM_NEW_SYN_RECV, TM_CLOSE);
	ck_assert_ptr_nonnull(drop);
	near(drop->at - t[0], TM_SEC(63), "request dropped");
	ck_assert_uint_lt(drop->at - t[0], TM_SEC(66));
	ck_assert_uint_eq(w.hosts[1].counters[TM_C_OUT_RSTS], 0);
	teardown();
}
END_TEST

/* T7: SYN retransmitted at 1.02, 2.05, 3.07, 4.10, 5.12, 7.14, 11.36 s; ETIMEDOUT ~131 s. */
START_TEST(test_part_c_t7_syn_schedule)
{
	static const double lab[] = { 1.02, 2.05, 3.07, 4.10, 5.12, 7.14, 11.36 };
	tm_time t[16];
	const struct tm_effect *fail;
	size_t n, i;

	load_named("lost-syn", NULL);
	n = seg_times(0, TM_SYN, t, 16);
	ck_assert_uint_eq(n, 11);
	for (i = 0; i < 7; i++)
		near(t[i + 1] - t[0], (tm_time)(lab[i] * 1e9), "SYN retransmission");
	fail = find_state(0, TM_OBJ_FULL, TM_SYN_SENT, TM_CLOSE);
	ck_assert_ptr_nonnull(fail);
	near(fail->at - t[0], TM_SEC(131), "connect() ETIMEDOUT");
	ck_assert_uint_eq(w.hosts[0].counters[TM_C_OUT_RSTS], 0);
	teardown();
}
END_TEST

/* T3: a retransmitted FIN is re-ACKed and re-arms the full 60 s. */
START_TEST(test_part_c_t3_time_wait_rearm)
{
	tm_time fin[4];
	const struct tm_effect *end;
	size_t n;

	load_named("lost-last-ack", NULL);
	n = seg_times(1, TM_FIN | TM_ACK, fin, 4);
	ck_assert_uint_eq(n, 2);
	end = find_state(0, TM_OBJ_TW, TM_TIME_WAIT, TM_CLOSE);
	ck_assert_ptr_nonnull(end);
	/* 60 s after the retransmitted FIN arrived (10 ms link), not after the first. */
	near(end->at, fin[1] + TM_MS(10) + TM_SEC(60), "TIME_WAIT end");
	teardown();
	/* Without a timewait socket the retransmitted FIN meets an RST. */
	load_named("lost-last-ack", "tcp_max_tw_buckets=0");
	ck_assert_uint_eq(w.hosts[0].counters[TM_C_TW_OVERFLOW], 1);
	ck_assert_uint_ge(w.hosts[0].counters[TM_C_OUT_RSTS], 1);
	ck_assert_ptr_nonnull(find_state(1, TM_OBJ_FULL, TM_LAST_ACK, TM_CLOSE));
	teardown();
}
END_TEST

/* T3 SYN mode: the reopening SYN-ACK's ISN is the old ISN + 65539. */
START_TEST(test_part_c_t3_syn_in_time_wait)
{
	tm_seq isn[4];
	size_t i, n = 0;

	load_named("syn-in-time-wait", NULL);
	for (i = 0; i < w.nlog && n < 4; i++)
		if (w.log[i].kind == TM_FX_SEG_OUT && w.log[i].host == 1 &&
		    w.log[i].u.seg.seg.flags == (TM_SYN | TM_ACK))
			isn[n++] = w.log[i].u.seg.seg.seq;
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq((uint32_t)(isn[1] - isn[0]), 65539u);
	teardown();
}
END_TEST

/* T3 RST mode: tcp_rfc1337=0 kills the timewait socket, =1 keeps it. */
START_TEST(test_part_c_t3_rst_in_time_wait)
{
	const struct tm_effect *e;

	load_named("rst-in-time-wait", NULL);
	e = find_state(0, TM_OBJ_TW, TM_TIME_WAIT, TM_CLOSE);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->u.st.event, TM_E_RST);
	teardown();
	load_named("rst-in-time-wait", "tcp_rfc1337=1");
	e = find_state(0, TM_OBJ_TW, TM_TIME_WAIT, TM_CLOSE);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->u.st.event, TM_E_TMR_TIME_WAIT);
	teardown();
}
END_TEST

/* T4: KEEPIDLE 1, KEEPINTVL 1, KEEPCNT 3: probes 1, 2, 3 s after SO_KEEPALIVE, RST at 4 s. */
START_TEST(test_part_c_t4_keepalive)
{
	tm_time probes[8], rst[2];
	size_t n, i;
	bool etimedout = false;

	load("host client 198.18.0.1\nhost server 198.18.0.2\nlink client server delay 1ms\n"
	    "at 0 server listen 80 as L\nat 0 client connect server:80 from 31000 as c\n"
	    "at 0.1 server accept L as s\n"
	    "at 0.1 server setsockopt s keepidle 1\nat 0.1 server setsockopt s keepintvl 1\n"
	    "at 0.1 server setsockopt s keepcnt 3\nat 0.1 server setsockopt s keepalive 1\n"
	    "fault drop client>* after 0.05\n", NULL);
	n = seg_times(1, TM_ACK, probes, 8);
	ck_assert_uint_eq(n, 3);
	for (i = 0; i < 3; i++)
		near(probes[i], TM_MS(100) + TM_SEC(i + 1), "keepalive probe");
	ck_assert_uint_eq(seg_times(1, TM_RST | TM_ACK, rst, 2), 1);
	near(rst[0], TM_MS(100) + TM_SEC(4), "keepalive RST");
	for (i = 0; i < w.nlog; i++)
		if (w.log[i].kind == TM_FX_APP && w.log[i].host == 1 &&
		    w.log[i].u.app.call == TM_CALL_SO_ERROR && w.log[i].u.app.err == ETIMEDOUT)
			etimedout = true;
	ck_assert(etimedout);
	teardown();
}
END_TEST

/* E4 / T2: accept queue full: SYNs dropped, the acked request completes later;
 * tcp_abort_on_overflow=1 answers the 3rd ACK with R seq=SEG.ACK. */
START_TEST(test_part_c_e4_t2_accept_queue)
{
	size_t i;
	bool rst_no_ack = false;

	load_named("accept-queue-full", NULL);
	ck_assert_uint_ge(w.hosts[1].counters[TM_C_LISTEN_OVERFLOWS], 4);
	ck_assert_uint_eq(w.hosts[1].counters[TM_C_OUT_RSTS], 0);
	ck_assert_uint_eq(w.hosts[1].counters[TM_C_PASSIVE_OPENS], 4);
	teardown();
	load_named("accept-queue-full", "tcp_abort_on_overflow=1");
	for (i = 0; i < w.nlog; i++)
		if (w.log[i].kind == TM_FX_SEG_OUT && w.log[i].host == 1 &&
		    w.log[i].u.seg.seg.flags == TM_RST)
			rst_no_ack = true;
	ck_assert(rst_no_ack);
	teardown();
}
END_TEST

/* T6: cookie SYN-ACKs are never retransmitted; the client still gets in. */
START_TEST(test_part_c_t6_syncookies)
{
	load_named("syn-flood", NULL);
	ck_assert_uint_gt(w.hosts[1].counters[TM_C_SYNCOOKIES_SENT], 0);
	ck_assert_uint_eq(w.hosts[1].counters[TM_C_SYNCOOKIES_RECV], 1);
	ck_assert_ptr_nonnull(find_state(0, TM_OBJ_FULL, TM_SYN_SENT, TM_ESTABLISHED));
	teardown();
	load_named("syn-flood", "tcp_syncookies=0");
	ck_assert_uint_eq(w.hosts[1].counters[TM_C_SYNCOOKIES_SENT], 0);
	ck_assert_uint_gt(w.hosts[1].counters[TM_C_REQQ_FULL_DROP], 0);
	teardown();
}
END_TEST

/* E2: orphan FIN_WAIT2 lasts tcp_fin_timeout (3 s here); trace shows the self-edge. */
START_TEST(test_part_c_e2_fin_wait2)
{
	const struct tm_effect *self, *end;

	load_named("fin-wait-2-orphan", NULL);
	self = find_state(0, TM_OBJ_FULL, TM_FIN_WAIT2, TM_FIN_WAIT2);
	ck_assert_ptr_nonnull(self);
	end = find_state(0, TM_OBJ_TW, TM_FIN_WAIT2, TM_CLOSE);
	ck_assert_ptr_nonnull(end);
	near(end->at - self->at, TM_SEC(3), "FIN_WAIT2 substate");
	ck_assert_ptr_nonnull(find_state(1, TM_OBJ_FULL, TM_CLOSE_WAIT, TM_CLOSE));
	teardown();
}
END_TEST

/* F19: tcp_retries2=3 and the path cut: ETIMEDOUT about 3 s after the send, no RST. */
START_TEST(test_part_a_f19_retries2)
{
	const struct tm_effect *e;
	tm_time sent[8];
	size_t i;
	bool etimedout = false;

	load("host client 198.18.0.1 tcp_retries2=3\nhost server 198.18.0.2\n"
	    "link client server delay 1ms\n"
	    "at 0 server listen 80 as L\nat 0 client connect server:80 from 31000 as c\n"
	    "fault drop *>* after 0.5\nat 1 client send c 100\n", NULL);
	ck_assert_uint_ge(seg_times(0, TM_ACK | TM_PSH, sent, 8), 4);
	e = find_state(0, TM_OBJ_FULL, TM_ESTABLISHED, TM_CLOSE);
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->u.st.event, TM_E_TMR_RTX);
	/* "About 3 s": the 3 s count from the tail loss probe, ~0.2 s after the send. */
	ck_assert_msg(e->at - sent[0] >= TM_SEC(3) && e->at - sent[0] <= TM_MS(3500),
	    "ETIMEDOUT %.3f s after the send", (double)(e->at - sent[0]) / 1e9);
	ck_assert_uint_eq(w.hosts[0].counters[TM_C_ABORT_ON_TIMEOUT], 1);
	ck_assert_uint_eq(w.hosts[0].counters[TM_C_ESTAB_RESETS], 1);
	ck_assert_uint_eq(w.hosts[0].counters[TM_C_OUT_RSTS], 0);
	for (i = 0; i < w.nlog; i++)
		if (w.log[i].kind == TM_FX_APP && w.log[i].u.app.err == ETIMEDOUT)
			etimedout = true;
	ck_assert(etimedout);
	teardown();
}
END_TEST

/* T4: an old duplicate of received data is answered at once with a D-SACK. */
START_TEST(test_part_c_t4_dsack)
{
	size_t i;
	bool dsack = false;

	load("host client 198.18.0.1\nhost server 198.18.0.2\nlink client server delay 1ms\n"
	    "at 0 server listen 80 as L\nat 0 client connect server:80 from 31000 as c\n"
	    "fault dup 600ms client>server data nth 1\nat 1 client send c 10\n", NULL);
	for (i = 0; i < w.nlog; i++)
		if (w.log[i].kind == TM_FX_SEG_OUT && w.log[i].host == 1 && w.log[i].u.seg.seg.nsack == 1 &&
		    w.log[i].at >= TM_MS(1600))
			dsack = true;
	ck_assert(dsack);
	ck_assert_uint_eq(w.hosts[1].counters[TM_C_DSACK_OLD_SENT], 1);
	teardown();
}
END_TEST

/*
 * Fault rules match any flag: "flags AP" drops only the ACKs that carry PSH
 * (the data), "flags A" (PSH not named) every bare or data ACK as before.
 */
START_TEST(test_fault_flags_psh)
{
	size_t i;
	unsigned int dropped = 0, psh = 0;

	load("host client 198.18.0.1\nhost server 198.18.0.2\nlink client server delay 1ms\n"
	    "at 0 server listen 80 as L\nat 0 client connect server:80 from 31000 as c\n"
	    "fault drop client>server flags AP nth 1\nat 1 client send c 10\n", NULL);
	for (i = 0; i < w.nlog; i++)
		if (w.log[i].kind == TM_FX_SEG_DROP) {
			dropped++;
			if (w.log[i].u.seg.seg.flags & TM_PSH)
				psh++;
		}
	ck_assert_uint_eq(dropped, 1);
	ck_assert_uint_eq(psh, 1);
	teardown();
}
END_TEST

/* A reordered segment: the later ones are held out of order and SACKed, then
 * one cumulative ACK covers everything once the hole is filled. */
START_TEST(test_reorder_ofo_queue)
{
	size_t i;
	unsigned int sacked = 0;
	bool all = false, got = false;
	tm_seq isn = 0;

	load("host client 198.18.0.1\nhost server 198.18.0.2\nlink client server delay 10ms\n"
	    "at 0 server listen 80 as L\nat 0 client connect server:80 from 31000 as c\n"
	    "at 0.1 server accept L as s\n"
	    "fault delay 20ms client>server data nth 1\nat 1 client send c 3000\n"
	    "at 2 server recv s\n", NULL);
	for (i = 0; i < w.nlog; i++) {
		const struct tm_effect *fx = &w.log[i];

		if (fx->kind == TM_FX_SEG_OUT && fx->host == 0 && (fx->u.seg.seg.flags & TM_SYN))
			isn = fx->u.seg.seg.seq;
		if (fx->kind == TM_FX_SEG_OUT && fx->host == 1 && fx->u.seg.seg.nsack > 0)
			sacked++;
		if (fx->kind == TM_FX_SEG_OUT && fx->host == 1 && fx->u.seg.seg.ack == isn + 3001)
			all = true;
		if (fx->kind == TM_FX_APP && fx->host == 1 && fx->u.app.call == TM_CALL_RECV &&
		    fx->u.app.ret == 3000)
			got = true;
	}
	ck_assert_uint_ge(sacked, 1);
	ck_assert(all);
	ck_assert(got);
	ck_assert_uint_eq(w.hosts[0].counters[TM_C_RETRANS_SEGS], 0);
	teardown();
}
END_TEST

/* Every named scenario runs under both profiles without a model error and quiesces. */
START_TEST(test_scenarios_all)
{
	const struct tm_scenario *sc;
	struct td_err err = { 0 };
	struct tm_profile p = _i % 2 ? tm_profile_rfc9293() : tm_profile_linux();
	size_t n;

	sc = tm_scenarios(&n);
	ck_assert_uint_ge(n, 20);
	ck_assert_int_lt(_i / 2, (int)n);
	ck_assert_int_eq(tm_world_init(&w, 1, false, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, sc[_i / 2].script, sc[_i / 2].name, &p, &err), 0);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), 0);
	ck_assert_msg(w.errors == 0, "%s (%s): model errors", sc[_i / 2].name, p.name);
	teardown();
}
END_TEST

static const struct {
	const char	*script;
	const char	*msg;
} bad_scripts[] = {
	{ "host a 10.0.0.1\nhost b 10.0.0.x\n", "test:2:8: bad address '10.0.0.x'" },
	{ "host a 10.0.0.1\nat 1 a connect nowhere:80 as c\n", "test:2:16: unknown host or address 'nowhere'" },
	{ "host a 10.0.0.1\nat 1 b close c\n", "test:2:6: unknown host 'b'" },
	{ "host a 10.0.0.1\nat 1x a close c\n", "test:2:4: bad time '1x' (like 1.5, 250ms, 2s, 1m)" },
	{ "host a 10.0.0.1\nat 1 a close c\n", "test:2:14: unknown socket 'c' (name it with 'as')" },
	{ "host a 10.0.0.1 tcp_syncookies=9\n", "test:1:17: bad value '9' for tcp_syncookies (0..2)" },
	{ "bogus\n", "test:1:1: unknown statement 'bogus' (profile host set sysctl link fault at expect run)" },
	{ "host a 10.0.0.1\nfault drop a>z\n", "test:2:14: unknown host 'z'" },
	{ "host a 10.0.0.1\nfault drop a>* flags SX\n", "test:2:22: bad flags 'SX' (letters S A F R P U E W, or none)" },
	{ "# nothing\n", "test: no host declared" },
	/* Issue 9: NaN and infinities were converted to integers (undefined behaviour). */
	{ "host a 10.0.0.1\nat nan a close c\n", "test:2:4: bad time 'nan': not a finite number" },
	{ "host a 10.0.0.1\nat -nan a close c\n", "test:2:4: bad time '-nan': not a finite number" },
	{ "host a 10.0.0.1\nat inf a close c\n", "test:2:4: bad time 'inf': not a finite number" },
	{ "host a 10.0.0.1\nrun infinity\n", "test:2:5: bad time 'infinity': not a finite number" },
	{ "host a 10.0.0.1\nrun 1e300\n", "test:2:5: time '1e300' too large" },
	{ "host a 10.0.0.1\nrun 25h\n", "test:2:5: run '25h' is longer than the simulator's bound of one day (86400 s)" },
	{ "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b loss nan\n", "test:3:15: bad probability 'nan': not a finite number (0..1)" },
	{ "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b dup inf\n", "test:3:14: bad probability 'inf': not a finite number (0..1)" },
	{ "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b reorder 1.5\n", "test:3:18: bad probability '1.5' (0..1)" },
	{ "host a 10.0.0.1\nhost b 10.0.0.2\nlink a b loss -0.1\n", "test:3:15: bad probability '-0.1' (0..1)" },
};

START_TEST(test_script_errors)
{
	struct td_err err = { 0 };
	struct tm_profile p = tm_profile_linux();

	ck_assert_int_eq(tm_world_init(&w, 1, false, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, bad_scripts[_i].script, "test", &p, &err), -1);
	ck_assert_str_eq(err.msg, bad_scripts[_i].msg);
	ck_assert_int_eq(err.code, EBADMSG);
	teardown();
}
END_TEST

/*
 * One SYN schedule: the simulator (step.c's timers) gives up exactly when
 * the model's schedule functions (state.c, used by explain and tune --audit)
 * say, for tcp_syn_retries 1 to 8 and tcp_syn_linear_timeouts 0 to 5; and
 * the Linux numbers: 1, 2, 6 retries give up at 3, 7, 131 s with 4 linear
 * timeouts (6.5+), at 3, 7, 127 s without.
 */
START_TEST(test_syn_schedule_one_model)
{
	unsigned int retries = 1 + (unsigned int)_i % 8, linear = (unsigned int)_i / 8;
	struct td_err err = { 0 };
	struct tm_profile p = tm_profile_linux();
	const struct tm_scenario *sc = tm_scenario_find("lost-syn");
	char set[64];
	tm_time syn[300];
	size_t i, n;

	p.syn_retries = (int)retries;
	p.syn_linear_timeouts = (int)linear;
	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, sc->script, "lost-syn", &p, &err), 0);
	snprintf(set, sizeof(set), "tcp_syn_retries=%u", retries);
	ck_assert_int_eq(tm_world_set_all(&w, set, &err), 0);
	snprintf(set, sizeof(set), "tcp_syn_linear_timeouts=%u", linear);
	ck_assert_int_eq(tm_world_set_all(&w, set, &err), 0);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), 0);
	ck_assert_msg(w.last_at == tm_syn_giveup(&p), "retries %u linear %u: sim %.3f s, model %.3f s",
	    retries, linear, (double)w.last_at / 1e9, (double)tm_syn_giveup(&p) / 1e9);
	n = seg_times(0, TM_SYN, syn, 300);
	ck_assert_uint_eq(n, tm_syn_rtx_count(&p) + 1);
	for (i = 1; i < n; i++)
		ck_assert_uint_eq(syn[i], tm_syn_rtx_at(&p, (unsigned int)i));
	teardown();
}
END_TEST

START_TEST(test_syn_giveup_linux_numbers)
{
	static const struct { int retries, linear; unsigned int s; } want[] = {
		{ 1, 4, 3 }, { 2, 4, 7 }, { 6, 4, 131 }, { 1, 0, 3 }, { 2, 0, 7 }, { 6, 0, 127 },
	};
	struct tm_profile p = tm_profile_linux();
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		p.syn_retries = want[i].retries;
		p.syn_linear_timeouts = want[i].linear;
		ck_assert_msg(tm_syn_giveup(&p) == TM_SEC(want[i].s), "retries %d linear %d: %.3f s",
		    want[i].retries, want[i].linear, (double)tm_syn_giveup(&p) / 1e9);
	}
	/* The simulator itself, through --set as the command line gives it. */
	load_named("lost-syn", "tcp_syn_retries=1");
	ck_assert_uint_eq(w.last_at, TM_SEC(3));
	teardown();
	load_named("lost-syn", "tcp_syn_retries=2");
	ck_assert_uint_eq(w.last_at, TM_SEC(7));
	teardown();
	load_named("lost-syn", "tcp_syn_retries=6");
	ck_assert_uint_eq(w.last_at, TM_SEC(131));
	teardown();
}
END_TEST

/* SYN-ACK: tcp_synack_retries 0, 1, 2, 5 drop the request at 1, 3, 7, 63 s, in sim and model. */
START_TEST(test_synack_schedule_one_model)
{
	static const struct { int retries; unsigned int s; } want[] = { { 0, 1 }, { 1, 3 }, { 2, 7 }, { 5, 63 } };
	struct tm_profile p = tm_profile_linux();
	const struct tm_effect *fx;
	tm_time first[1];
	char set[64];

	p.synack_retries = want[_i].retries;
	ck_assert_uint_eq(tm_synack_giveup(&p), TM_SEC(want[_i].s));
	snprintf(set, sizeof(set), "tcp_synack_retries=%d", want[_i].retries);
	load_named("lost-synack", set);
	fx = find_state(1, TM_OBJ_REQ, TM_NEW_SYN_RECV, TM_CLOSE);
	ck_assert_ptr_nonnull(fx);
	/* Counted from the first SYN-ACK (the injected SYN crosses a 10 ms link). */
	ck_assert_uint_eq(seg_times(1, TM_SYN | TM_ACK, first, 1), 1);
	ck_assert_uint_eq(fx->at - first[0], TM_SEC(want[_i].s));
	teardown();
}
END_TEST

/* The words follow the run: --set changes the prose of lost-syn and lost-synack. */
START_TEST(test_scenario_prose_from_run)
{
	const struct tm_scenario *sc = tm_scenario_find("lost-syn");
	char *a;

	load_named("lost-syn", "tcp_syn_retries=2");
	a = tm_scenario_answer(sc, &w);
	ck_assert_ptr_nonnull(a);
	ck_assert_msg(strstr(a, "SYNs at 0, 1, 2, 3, 4, 5 s and connect() fails with ETIMEDOUT at 7 s") != NULL, "%s", a);
	ck_assert_msg(strstr(a, "tcp_syn_retries=2 plus the 4 linear") != NULL, "%s", a);
	ck_assert_ptr_null(strstr(a, "131"));
	free(a);
	teardown();
	load_named("lost-syn", NULL);
	a = tm_scenario_answer(sc, &w);
	ck_assert_msg(strstr(a, "ETIMEDOUT at 131 s") != NULL && strstr(a, "not 127 s") != NULL, "%s", a);
	free(a);
	teardown();
	sc = tm_scenario_find("lost-synack");
	load_named("lost-synack", "tcp_synack_retries=2");
	a = tm_scenario_answer(sc, &w);
	ck_assert_msg(strstr(a, "retransmits its SYN-ACK at 1 and 3 s after the first (tcp_synack_retries=2") != NULL, "%s", a);
	ck_assert_msg(strstr(a, "dropped silently at 7 s") != NULL, "%s", a);
	free(a);
	teardown();
}
END_TEST

/* Issue 9: bounds on a run, each a clear error naming it (a 1 MiB script reached 3.8 GB). */
/*
 * The table of ISNs that injected segments count from keeps the last 64
 * tuples: 62 flood SYNs after a handshake's SYN and SYN-ACK keep both, the
 * 63rd pushes out the oldest (the injected SYN: its seq is then taken as
 * written), the 64th the SYN-ACK too (so is its ack).
 */
START_TEST(test_isn_table_evicts_oldest)
{
	static const struct { unsigned int flood; uint32_t seq, ack_rel; } c[] = {
		{ 62, 1001, 1 }, { 63, 1, 1 }, { 64, 1, 0 },
	};
	char script[512];
	tm_seq synack_isn = 0;
	size_t i, k;

	for (k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		const struct tm_effect *ack = NULL;

		snprintf(script, sizeof(script),
		    "host server 198.18.0.2\n"
		    "at 0 server listen 80 as L\n"
		    "at 0.1 inject 198.18.0.9:20001>server:80 S seq 1000 mss 1460\n"
		    "at 0.2 flood server:81 %u\n"
		    "at 0.5 inject 198.18.0.9:20001>server:80 . seq 1 ack 1\n"
		    "run 0.6\n", c[k].flood);
		load(script, NULL);
		for (i = 0; i < w.nlog; i++) {
			const struct tm_effect *fx = &w.log[i];

			if (fx->kind == TM_FX_SEG_OUT && fx->host == 0 &&
			    fx->u.seg.seg.flags == (TM_SYN | TM_ACK))
				synack_isn = fx->u.seg.seg.seq;
			if (fx->kind == TM_FX_SEG_OUT && fx->host == 0xffff &&
			    fx->u.seg.seg.flags == TM_ACK)
				ack = fx;
		}
		ck_assert_ptr_nonnull(ack);
		ck_assert_uint_eq(ack->u.seg.seg.seq, c[k].seq);
		ck_assert_uint_eq(ack->u.seg.seg.ack, c[k].ack_rel ? synack_isn + 1 : 1);
		teardown();
	}
}
END_TEST

/* When the socket of handle name entered LISTEN, and the record's place in the log. */
static void
listen_at(const char *name, tm_time *at, size_t *place)
{
	uint32_t sock = w.handle_sock[tm_world_handle(&w, name)];
	size_t i;

	*at = 0;
	*place = 0;
	for (i = 0; i < w.nlog; i++)
		if (w.log[i].kind == TM_FX_STATE && w.log[i].sock == sock &&
		    w.log[i].u.st.to == TM_LISTEN) {
			*at = w.log[i].at;
			*place = i;
			return;
		}
	ck_abort_msg("no listen for %s", name);
}

/*
 * Actions run in (time, order added) order whatever order they were added
 * in, also when some are added between two runs (the actions' queue, w->aq).
 */
START_TEST(test_action_order)
{
	struct td_err err = { 0 };
	struct tm_action a;
	tm_time t1, t2, t3, t4;
	size_t p1, p2, p3, p4;

	load("host a 198.18.0.1\nhost b 198.18.0.2\n"
	    "at 2 b listen 81 as L2\nat 1 b listen 80 as L1\nat 1 b listen 82 as L3\n"
	    "run 1.5\n", NULL);
	ck_assert_uint_eq(w.now, TM_SEC(1));
	/* One more action, added after the first run, before the one still queued. */
	memset(&a, 0, sizeof(a));
	a.at = TM_MS(1800);
	a.kind = TM_ACT_APP;
	a.host = 1;
	a.app.call = TM_CALL_LISTEN;
	a.app.lport = 83;
	a.app.backlog = 8;
	a.sock_ref = -1;
	a.bind_ref = tm_world_handle(&w, "L4");
	ck_assert_int_eq(tm_world_add_action(&w, &a, &err), 0);
	w.until_set = false;
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(10), &err), 0);
	ck_assert(w.quiescent);
	listen_at("L1", &t1, &p1);
	listen_at("L2", &t2, &p2);
	listen_at("L3", &t3, &p3);
	listen_at("L4", &t4, &p4);
	ck_assert_uint_eq(t1, TM_SEC(1));
	ck_assert_uint_eq(t3, TM_SEC(1));
	ck_assert_uint_eq(t4, TM_MS(1800));
	ck_assert_uint_eq(t2, TM_SEC(2));
	ck_assert_uint_lt(p1, p3);
	ck_assert_uint_lt(p3, p4);
	ck_assert_uint_lt(p4, p2);
	teardown();
}
END_TEST

START_TEST(test_run_bounds)
{
	struct td_err err = { 0 };
	struct tm_profile p = tm_profile_linux();
	char *script = malloc(64 * 1024), *s;
	int i;

	ck_assert_ptr_nonnull(script);
	/* Too many events waiting at once: floods of spoofed SYNs at one instant. */
	s = script + sprintf(script, "host a 10.0.0.1\nhost b 10.0.0.2\nat 0 b listen 80 as L\n");
	for (i = 0; i < 20; i++)
		s += sprintf(s, "at 1 flood b:80 65536\n");
	ck_assert_int_eq(tm_world_init(&w, 1, false, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, script, "test", &p, &err), 0);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), -1);
	ck_assert_int_eq(err.code, EOVERFLOW);
	ck_assert_msg(strstr(err.msg, "events waiting at once") != NULL ||
	    strstr(err.msg, "more than 5000000 events") != NULL, "%s", err.msg);
	teardown();
	/* Too many events in all: data sent back and forth for the whole run. */
	memset(&err, 0, sizeof(err));
	sprintf(script, "host a 10.0.0.1\nhost b 10.0.0.2\nat 0 b listen 80 as L\n"
	    "at 0.1 a connect b:80 as c\nat 0.2 b accept L as s\n");
	s = script + strlen(script);
	for (i = 0; i < 40; i++)
		s += sprintf(s, "at %d a send c 1073741824\nat %d b recv s\n", 1 + i, 1 + i);
	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, script, "test", &p, &err), 0);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), -1);
	ck_assert_int_eq(err.code, EOVERFLOW);
	ck_assert_msg(strstr(err.msg, "simulator: ") == err.msg && strstr(err.msg, "bound") != NULL, "%s", err.msg);
	ck_assert_uint_le(w.nlog, TM_MAX_LOG);
	teardown();
	free(script);
}
END_TEST

/* ---- Properties over random seeds and faults ---- */

#define TRACK	64

struct prop {
	unsigned int	 n;
	uint16_t	 host[TRACK];
	uint32_t	 sock[TRACK];
	tm_seq		 seq[TRACK], ack[TRACK];
	bool		 has_ack[TRACK];
	unsigned int	 backwards;
	const char	*why;
};

static void
prop_fx(const struct tm_effect *fx, void *arg)
{
	struct prop *pr = arg;
	const struct tm_seg *s = &fx->u.seg.seg;
	unsigned int i;

	if (fx->kind != TM_FX_SEG_OUT || fx->host == 0xffff || fx->u.seg.rtx || fx->obj != TM_OBJ_FULL ||
	    (s->flags & (TM_RST | TM_SYN)) || fx->sock == 0 ||
	    (fx->reason != NULL && strncmp(fx->reason, "keepalive", 9) == 0))
		return;
	for (i = 0; i < pr->n; i++)
		if (pr->host[i] == fx->host && pr->sock[i] == fx->sock)
			break;
	if (i == pr->n) {
		if (pr->n == TRACK)
			return;
		pr->n++;
		pr->host[i] = fx->host;
		pr->sock[i] = fx->sock;
		pr->seq[i] = s->seq;
		pr->has_ack[i] = false;
	}
	if (TM_SEQ_LT(s->seq, pr->seq[i])) {
		pr->backwards++;
		pr->why = "seq";
	}
	if ((s->flags & TM_ACK) && pr->has_ack[i] && TM_SEQ_LT(s->ack, pr->ack[i])) {
		pr->backwards++;
		pr->why = "ack";
	}
	pr->seq[i] = s->seq;
	if (s->flags & TM_ACK) {
		pr->ack[i] = s->ack;
		pr->has_ack[i] = true;
	}
}

START_TEST(test_property_random_faults)
{
	struct td_err err = { 0 };
	struct tm_profile p = _i % 2 ? tm_profile_rfc9293() : tm_profile_linux();
	struct prop pr;
	char script[1024];
	unsigned int seed = (unsigned int)_i + 1;
	tm_time bound;
	int first = seed % 3;

	memset(&pr, 0, sizeof(pr));
	snprintf(script, sizeof(script),
	    "host client 198.18.0.1\nhost server 198.18.0.2\n"
	    "link client server delay %ums jitter %ums loss 0.%u dup 0.%u reorder 0.%u\n"
	    "fault drop client>server flags A bare nth %u\n"
	    "at 0 server listen 80 as L\n"
	    "at 0.01 client connect server:80 from 40000 as c\n"
	    "at 20 server accept L as s\n"
	    "at 6 client send c %u\n"
	    "at 21 server send s %u\n"
	    "at 30 server recv s\n"
	    "at 31 client recv c\n"
	    "at %u %s close %s\n"
	    "at %u %s close %s\n",
	    1 + seed % 40, seed % 7, seed % 3, seed % 2, seed % 4, 1 + seed % 4,
	    1 + (seed * 977) % 9000, 1 + (seed * 131) % 3000,
	    40 + first, first ? "server" : "client", first ? "s" : "c",
	    40 + 2 * first, first ? "client" : "server", first ? "c" : "s");
	ck_assert_int_eq(tm_world_init(&w, seed, false, &err), 0);
	w.on_fx = prop_fx;
	w.on_fx_arg = &pr;
	ck_assert_int_eq(tm_script_load(&w, script, "prop", &p, &err), 0);
	/* The model's bound: the retry budgets plus TIME_WAIT after the last call. */
	bound = TM_SEC(42) + tm_syn_giveup(&p) + tm_retries_timeout(&p, p.retries2, p.retries_base) +
	    p.timewait_len + tm_synack_giveup(&p);
	ck_assert_int_eq(tm_world_run(&w, bound, &err), 0);
	ck_assert_msg(w.errors == 0, "seed %u (%s): model errors", seed, p.name);
	ck_assert_msg(pr.backwards == 0, "seed %u (%s): %s went backwards", seed, p.name,
	    pr.why ? pr.why : "");
	ck_assert_msg(w.quiescent, "seed %u (%s): not quiescent by %.0f s", seed, p.name, (double)bound / 1e9);
	/* Linux bounds an orphan's FIN_WAIT2; RFC 9293 does not (the peer may never close). */
	if (p.orphan_fin_wait2)
		ck_assert_msg(tm_host_live(&w.hosts[0]) == 0, "seed %u: client objects left", seed);
	teardown();
}
END_TEST

/*
 * Random application calls in random order on both ends (send, recv,
 * shutdown, close, socket options, a crossed connect) over lossy links: the
 * model must never take an edge that is not in its table.
 */
static const struct {
	const char	*verb, *rest;
} random_calls[] = {
	{ "send", " 1200" }, { "recv", "" }, { "shutdown", " wr" }, { "shutdown", " rd" },
	{ "shutdown", " rdwr" }, { "close", "" }, { "setsockopt", " keepalive 1" },
	{ "setsockopt", " keepidle 1" }, { "setsockopt", " linger2 -1" },
	{ "setsockopt", " linger2 2" }, { "setsockopt", " linger0 1" },
	{ "setsockopt", " user_timeout 500" }, { "setsockopt", " syncnt 1" },
};

static unsigned int
rnd(uint64_t *x, unsigned int m)
{
	*x = *x * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned int)(*x >> 33) % m;
}

START_TEST(test_property_random_calls)
{
	struct td_err err = { 0 };
	struct tm_profile p = _i % 2 ? tm_profile_rfc9293() : tm_profile_linux();
	uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(_i + 1);
	char script[2048], line[96];
	size_t n;
	int k, steps;
	unsigned int i;
	double t = 0.5;

#define RND(m)	rnd(&x, (m))
	n = (size_t)snprintf(script, sizeof(script),
	    "host a 198.18.0.1\nhost b 198.18.0.2\nlink a b delay %ums loss 0.%u reorder 0.%u dup 0.%u\n"
	    "at 0 b listen 80 backlog 2 as L\nat 0.%u a connect b:80 from 40000 as c\n"
	    "at 0.3 b accept L as s\n%s",
	    1 + RND(30), RND(3), RND(3), RND(2), RND(6),
	    RND(3) == 0 ? "at 0.2 b connect a:40000 from 80 as x\n" : "");
	steps = 2 + (int)RND(9);
	for (k = 0; k < steps && n < sizeof(script) - 100; k++) {
		static const double gaps[] = { 0.01, 0.1, 0.5, 1, 5, 30, 70 };
		bool a = RND(2) == 0;

		t += gaps[RND(7)];
		i = RND(sizeof(random_calls) / sizeof(random_calls[0]));
		snprintf(line, sizeof(line), "%s %s%s", random_calls[i].verb, a ? "c" : "s",
		    random_calls[i].rest);
		n += (size_t)snprintf(script + n, sizeof(script) - n, "at %.2f %s %s\n", t, a ? "a" : "b", line);
	}
#undef RND
	ck_assert_int_eq(tm_world_init(&w, (uint64_t)_i, false, &err), 0);
	ck_assert_msg(tm_script_load(&w, script, "random", &p, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), 0);
	ck_assert_msg(w.errors == 0, "run %d (%s): model errors in:\n%s", _i, p.name, script);
	/*
	 * Without a log the steps are quiet (struct tm_fxbuf): the same run with
	 * the log kept ends at the same times with the same counters and events.
	 */
	{
		tm_time last_at = w.last_at, now = w.now;
		uint64_t nevents = w.nevents;
		uint64_t ctr[2][TM_C_MAX];

		memcpy(ctr[0], w.hosts[0].counters, sizeof(ctr[0]));
		memcpy(ctr[1], w.hosts[1].counters, sizeof(ctr[1]));
		teardown();
		ck_assert_int_eq(tm_world_init(&w, (uint64_t)_i, true, &err), 0);
		ck_assert_msg(tm_script_load(&w, script, "random", &p, &err) == 0, "%s", err.msg);
		ck_assert_int_eq(tm_world_run(&w, TM_SEC(14400), &err), 0);
		ck_assert_uint_eq(w.last_at, last_at);
		ck_assert_uint_eq(w.now, now);
		ck_assert_uint_eq(w.nevents, nevents);
		ck_assert_mem_eq(w.hosts[0].counters, ctr[0], sizeof(ctr[0]));
		ck_assert_mem_eq(w.hosts[1].counters, ctr[1], sizeof(ctr[1]));
	}
	teardown();
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("sim/sim");
	TCase *tc = tcase_create("part_c");
	TCase *tp = tcase_create("properties");
	size_t n;

	tm_scenarios(&n);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_part_c_t1_synack_schedule);
	tcase_add_test(tc, test_part_c_t7_syn_schedule);
	tcase_add_test(tc, test_part_c_t3_time_wait_rearm);
	tcase_add_test(tc, test_part_c_t3_syn_in_time_wait);
	tcase_add_test(tc, test_part_c_t3_rst_in_time_wait);
	tcase_add_test(tc, test_part_c_t4_keepalive);
	tcase_add_test(tc, test_part_c_e4_t2_accept_queue);
	tcase_add_test(tc, test_part_c_t6_syncookies);
	tcase_add_test(tc, test_part_c_e2_fin_wait2);
	tcase_add_test(tc, test_part_a_f19_retries2);
	tcase_add_test(tc, test_fault_flags_psh);
	tcase_add_test(tc, test_part_c_t4_dsack);
	tcase_add_test(tc, test_reorder_ofo_queue);
	tcase_add_loop_test(tc, test_scenarios_all, 0, (int)(2 * n));
	tcase_add_loop_test(tc, test_script_errors, 0, (int)(sizeof(bad_scripts) / sizeof(bad_scripts[0])));
	tcase_add_loop_test(tc, test_syn_schedule_one_model, 0, 48);
	tcase_add_test(tc, test_syn_giveup_linux_numbers);
	tcase_add_loop_test(tc, test_synack_schedule_one_model, 0, 4);
	tcase_add_test(tc, test_scenario_prose_from_run);
	tcase_add_test(tc, test_action_order);
	tcase_add_test(tc, test_run_bounds);
	tcase_add_test(tc, test_isn_table_evicts_oldest);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tp, 120);
	tcase_add_loop_test(tp, test_property_random_faults, 0, 600);
	tcase_add_loop_test(tp, test_property_random_calls, 0, 800);
	suite_add_tcase(s, tp);
	return s;
}
