/* SPDX-License-Identifier: MIT */
/*
 * Tests for sim/expect.c and the `expect` statements of sim/script.c: every
 * kind met on a handshake whose timing follows from the script (10 ms each
 * way), each kind failing with the message that names FILE:LINE, what was
 * expected and what came, and every parse error with FILE:LINE:COLUMN.
 * Relative numbers as packetdrill writes them: the SYN is seq 0, the SYN-ACK
 * seq 0 ack 1, the third ACK seq 1 ack 1 (RFC 9293 3.5, figure 6).
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "sim/sim.h"

#define HS								\
	"host client 198.18.0.1\n"					\
	"host server 198.18.0.2\n"					\
	"link client server delay 10ms\n"				\
	"at 0 server listen 80 as L\n"					\
	"at 0.1 client connect server:80 from 40000 as c\n"		\
	"at 0.2 server accept L as s\n"

struct verdicts {
	unsigned int	 met, failed;
	char		 msg[8][320];
};

static void
collect(const struct tm_expect *e, bool met, const char *msg, void *arg)
{
	struct verdicts *v = arg;

	(void)e;
	if (met) {
		v->met++;
		return;
	}
	if (v->failed < 8)
		snprintf(v->msg[v->failed], sizeof(v->msg[0]), "%s", msg);
	v->failed++;
}

static unsigned int
run(const char *script, struct verdicts *v)
{
	struct tm_profile lx = tm_profile_linux();
	struct td_err err = { 0 };
	struct tm_world w;
	unsigned int failed;

	memset(v, 0, sizeof(*v));
	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	if (tm_script_load(&w, script, "t.sim", &lx, &err) < 0)
		ck_abort_msg("script: %s", err.msg);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(100), &err), 0);
	failed = tm_expect_check(&w, collect, v);
	ck_assert_uint_eq(failed, v->failed);
	ck_assert_uint_eq(v->met + v->failed, w.nexps);
	tm_world_free(&w);
	return failed;
}

START_TEST(test_every_kind_met)
{
	struct verdicts v;

	ck_assert_uint_eq(run(HS
	    "expect 0.1 client sends S seq 0 len 0\n"
	    "expect 0.11 server sends S. seq 0 ack 1\n"
	    "expect 0.115~5ms client sends . seq 1 ack 1 len 0 win 511\n"
	    "expect 0.1 client connect c = EINPROGRESS\n"
	    "expect 0.12 client connect c = 0\n"
	    "expect 0.12~10ms client state c ESTABLISHED\n"
	    "expect 0.13 server state s ESTABLISHED\n"
	    "expect 0.2 server accept s = 2\n"
	    "expect 0.13 server counter TcpPassiveOpens = 1\n"
	    "expect 0.12 server counter TcpPassiveOpens = 0\n"
	    "expect nothing until 10\n", &v), 0);
	ck_assert_uint_eq(v.met, 11);
}
END_TEST

static const struct {
	const char	*line;
	const char	*msg;
} failing[] = {
	{ "expect 0.11 server sends S. seq 0 ack 2",
	  "t.sim:7: expected server sends S. seq 0 ack 2 at 0.1100 s; got S. seq 0 ack 1 len 0 win 65483 at 0.1100 s (the nearest)" },
	{ "expect 0.12~5ms client sends . seq 1 ack 1 win 1000",
	  "t.sim:7: expected client sends . seq 1 ack 1 win 1000 at 0.1200 s (+-0.0050); got . seq 1 ack 1 len 0 win 511 at 0.1200 s (the nearest)" },
	{ "expect 0.5 server sends F.",
	  "t.sim:7: expected server sends F. at 0.5000 s; got S. seq 0 ack 1 len 0 win 65483 at 0.1100 s (the nearest)" },
	{ "expect 0.1 client sends S seq 0 abs",
	  "t.sim:7: expected client sends S seq 0 abs at 0.1000 s; got S seq 3234175915 len 0 win 65483 at 0.1000 s (the nearest)" },
	{ "expect 0.1 client state c ESTABLISHED",
	  "t.sim:7: expected client's c to enter ESTABLISHED at 0.1000 s; got CLOSE>SYN_SENT at 0.1000 s" },
	{ "expect 0.1 client connect c = ETIMEDOUT",
	  "t.sim:7: expected connect(c) = ETIMEDOUT at 0.1000 s; got EINPROGRESS at 0.1000 s" },
	{ "expect 0.2 server close s = 0",
	  "t.sim:7: expected close(s) = 0 at 0.2000 s; got no close on it" },
	{ "expect 0.125 server counter TcpPassiveOpens = 1",
	  "t.sim:7: expected server's TcpPassiveOpens = 1 at 0.1250 s; got 0" },
	{ "expect nothing until 0.111",
	  "t.sim:7: expected nothing from 0.0000 s until 0.1110 s; got client sends S at 0.1000 s" },
};

START_TEST(test_each_kind_fails)
{
	struct verdicts v;
	char script[1024];

	snprintf(script, sizeof(script), HS "%s\n", failing[_i].line);
	ck_assert_uint_eq(run(script, &v), 1);
	ck_assert_str_eq(v.msg[0], failing[_i].msg);
}
END_TEST

/* A segment meets one expectation only: two for one SYN-ACK leave one unmet. */
START_TEST(test_segment_used_once)
{
	struct verdicts v;

	ck_assert_uint_eq(run(HS
	    "expect 0.11 server sends S. seq 0 ack 1\n"
	    "expect 0.11 server sends S. seq 0 ack 1\n", &v), 1);
	ck_assert_uint_eq(v.met, 1);
}
END_TEST

static const struct {
	const char	*line;
	const char	*msg;
} bad[] = {
	{ "expect", "t.sim:7:7: missing time or 'nothing'" },
	{ "expect 1x client sends S", "t.sim:7:8: bad time '1x' (like 1.5, 250ms, 2s, 1m)" },
	{ "expect 1~x client sends S", "t.sim:7:10: bad time 'x' (like 1.5, 250ms, 2s, 1m)" },
	{ "expect 1 nobody sends S", "t.sim:7:10: unknown host 'nobody'" },
	{ "expect 1 client", "t.sim:7:16: missing host and what" },
	{ "expect 1 client sends SQ", "t.sim:7:23: bad flags 'SQ' (letters S A F R P U E W, or none)" },
	{ "expect 1 client sends S seq", "t.sim:7:28: missing value" },
	{ "expect 1 client sends S seq x", "t.sim:7:29: bad number 'x'" },
	{ "expect 1 client sends S mss 5", "t.sim:7:25: unknown word 'mss' (seq ack len win opts abs)" },
	{ "expect 1 client sends S len 70000", "t.sim:7:29: bad number '70000'" },
	{ "expect 1 client state c", "t.sim:7:17: expect T HOST state SOCK STATE" },
	{ "expect 1 client state zz ESTABLISHED",
	  "t.sim:7:23: unknown socket 'zz' (name it with 'as' before)" },
	{ "expect 1 client state c NOSTATE", "t.sim:7:25: unknown state 'NOSTATE'" },
	{ "expect 1 client counter TcpFoo = 1", "t.sim:7:25: unknown counter 'TcpFoo'" },
	{ "expect 1~1ms client counter TcpActiveOpens = 1",
	  "t.sim:7:8: a counter is read at one time: no tolerance" },
	{ "expect 1 client counter TcpActiveOpens = -1", "t.sim:7:42: bad number '-1'" },
	{ "expect 1 client frob c = 0",
	  "t.sim:7:17: unknown expectation 'frob' (sends state counter, or a call)" },
	{ "expect 1 client connect c = EFOO", "t.sim:7:29: unknown errno 'EFOO'" },
	{ "expect 1 client connect c 0", "t.sim:7:17: expect T HOST connect SOCK = VALUE|ERRNO" },
	{ "expect 1 client sends S opts mss,foo", "t.sim:7:30: bad options 'mss,foo' (mss,sackOK,ts,wscale,sack or none)" },
	{ "at 1 inject 198.18.0.9:1>server:80 S wscale 15", "t.sim:7:45: bad number '15'" },
	{ "at 1 inject 198.18.0.9:1>server:80 S win 65536", "t.sim:7:42: bad number '65536'" },
	{ "at 1 inject 198.18.0.9:1>server:80 S ts 1", "t.sim:7:42: missing timestamp echo reply" },
	{ "at 1 inject 198.18.0.9:1>server:80 S. sack 5:1,x", "t.sim:7:44: bad SACK blocks '5:1,x' (L:R[,L:R]...)" },
	{ "at 1 inject 198.18.0.9:1>server:80 S. sack 1:2,3:4,5:6,7:8,9:10", "t.sim:7:44: more than 4 SACK blocks in '1:2,3:4,5:6,7:8,9:10'" },
	{ "at 1 inject 198.18.0.9:1>server:80 S foo 1", "t.sim:7:38: unknown inject option 'foo' (seq ack len win mss wscale sackOK ts sack abs)" },
	{ "expect nothing", "t.sim:7:8: expect nothing until T" },
	{ "expect nothing before 1", "t.sim:7:8: expect nothing until T" },
	{ "expect nothing until 0", "t.sim:7:22: '0' is not after the previous expectation (0.0000 s)" },
};

START_TEST(test_parse_errors)
{
	struct tm_profile lx = tm_profile_linux();
	struct td_err err = { 0 };
	struct tm_world w;
	char script[1024];

	snprintf(script, sizeof(script), HS "%s\n", bad[_i].line);
	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, script, "t.sim", &lx, &err), -1);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_int_eq(err.code, EBADMSG);
	tm_world_free(&w);
}
END_TEST

START_TEST(test_errno_names)
{
	ck_assert_str_eq(tm_errno_name(0), "0");
	ck_assert_str_eq(tm_errno_name(ETIMEDOUT), "ETIMEDOUT");
	ck_assert_str_eq(tm_errno_name(EDOM), "E?");
	ck_assert_int_eq(tm_errno_parse("ECONNRESET"), ECONNRESET);
	ck_assert_int_eq(tm_errno_parse("E?"), -1);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("sim/expect");
	TCase *tc = tcase_create("expect");

	tcase_add_test(tc, test_every_kind_met);
	tcase_add_loop_test(tc, test_each_kind_fails, 0, (int)(sizeof(failing) / sizeof(failing[0])));
	tcase_add_test(tc, test_segment_used_once);
	tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_errno_names);
	suite_add_tcase(s, tc);
	return s;
}
