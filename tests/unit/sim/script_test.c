/* SPDX-License-Identifier: MIT */
/*
 * Tests for the script language's packetdrill-style statements
 * (sim/script.c, sim/sim.c): relative times (+T after the previous timed
 * line), injections timed after the stack's last segment (at +D after),
 * injected seq/ack relative to each side's ISN (abs: as written), the link
 * of injected segments (link * HOST), the sysctl statement with
 * tcp_rto_max_ms and tcp_rto_min_us, and every new error with
 * FILE:LINE:COLUMN.  Each run is judged by its own expectations.
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sim/sim.h"

/* A listener and one SYN from the scripted peer, on a 0 ms link. */
#define LS								\
	"host server 198.18.0.2\n"					\
	"link * server delay 0\n"					\
	"at 0 server listen 80 as L\n"					\
	"at 0.1 inject 198.18.0.9:20001>server:80 S seq 1000 mss 1460\n"

struct verdicts {
	unsigned int	 met, failed;
	char		 msg[4][320];
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
	if (v->failed < 4)
		snprintf(v->msg[v->failed], sizeof(v->msg[0]), "%s", msg);
	v->failed++;
}

/* Run script; returns the failed expectations, and fills *w's profile for checks. */
static unsigned int
run(const char *script, struct verdicts *v, struct tm_profile *prof)
{
	struct tm_profile lx = tm_profile_linux();
	struct td_err err = { 0 };
	struct tm_world w;
	unsigned int failed;

	memset(v, 0, sizeof(*v));
	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	if (tm_script_load(&w, script, "t.sim", &lx, &err) < 0)
		ck_abort_msg("load: %s", err.msg);
	ck_assert_int_eq(tm_world_run(&w, TM_SEC(100), &err), 0);
	failed = tm_expect_check(&w, collect, v);
	ck_assert_uint_eq(v->met + v->failed, w.nexps);
	if (prof != NULL)
		*prof = w.prof[0];
	tm_world_free(&w);
	return failed;
}

/* +T counts from the previous timed line, at or expect. */
START_TEST(test_relative_times)
{
	struct verdicts v;

	ck_assert_uint_eq(run(
	    "host server 198.18.0.2\n"
	    "link * server delay 0\n"
	    "at 0 server listen 80 as L\n"
	    "at +0.1 inject 198.18.0.9:20001>server:80 S seq 1000 mss 1460\n"
	    "expect +0 server sends S. seq 0 ack 1\n"		/* 0.1 */
	    "expect +1 server sends S. seq 0 ack 1\n"		/* 1.1: the retransmission */
	    "at +0.5 inject 198.18.0.9:20001>server:80 . seq 1 ack 1\n"	/* 1.6 */
	    "expect +0 server counter TcpPassiveOpens = 1\n"
	    "expect +250ms server counter TcpPassiveOpens = 1\n", &v, NULL), 0);
	ck_assert_uint_eq(v.met, 4);
	/* The same times written wrong: the retransmission is not at 0.1 + 1.5. */
	ck_assert_uint_eq(run(LS "expect +0 server sends S. seq 0 ack 1\n"
	    "expect +1.5 server sends S. seq 0 ack 1\n", &v, NULL), 1);
	ck_assert_str_eq(v.msg[0], "t.sim:6: expected server sends S. seq 0 ack 1 at 1.6000 s; got S. seq 0 ack 1 len 0 win 65483 at 1.1000 s (the nearest)");
}
END_TEST

/*
 * at +D after: D after the last segment the host sent by the previous
 * line's time.  The SYN-ACK is retransmitted at 1.1 s; the ACK injected
 * 10 ms after it completes the handshake at 1.11 s, not before.
 */
START_TEST(test_after)
{
	struct verdicts v;

	ck_assert_uint_eq(run(LS
	    "expect 1.1 server sends S. seq 0 ack 1\n"
	    "at +0.010 after inject 198.18.0.9:20001>server:80 . seq 1 ack 1\n"
	    "expect 1.109 server counter TcpPassiveOpens = 0\n"
	    "expect 1.11 server counter TcpPassiveOpens = 1\n", &v, NULL), 0);
	/* The reference is the previous line, the first SYN-ACK at 0.1 s here. */
	ck_assert_uint_eq(run(LS
	    "expect 0.1 server sends S. seq 0 ack 1\n"
	    "at +0.010 after inject 198.18.0.9:20001>server:80 . seq 1 ack 1\n"
	    "expect 0.11 server counter TcpPassiveOpens = 1\n"
	    "expect nothing until 5\n", &v, NULL), 0);
	/* With the default 10 ms link: SYN-ACK at 0.11, the ACK injected at 0.12 arrives at 0.13. */
	ck_assert_uint_eq(run(
	    "host server 198.18.0.2\n"
	    "at 0 server listen 80 as L\n"
	    "at 0.1 inject 198.18.0.9:20001>server:80 S seq 1000 mss 1460\n"
	    "expect 0.11 server sends S. seq 0 ack 1\n"
	    "at +0.010 after inject 198.18.0.9:20001>server:80 . seq 1 ack 1\n"
	    "expect 0.129 server counter TcpPassiveOpens = 0\n"
	    "expect 0.13 server counter TcpPassiveOpens = 1\n", &v, NULL), 0);
}
END_TEST

/*
 * A non-SYN's seq and ack count from each side's ISN (the peer's SYN said
 * 1000; the server's is the model's): ". seq 1 ack 1" completes the
 * handshake.  With abs the same numbers are taken as they are, so the ACK
 * acknowledges nothing the server sent and gets a RST (RFC 9293 3.10.7.3).
 */
START_TEST(test_relative_inject_numbers)
{
	struct verdicts v;

	ck_assert_uint_eq(run(LS
	    "at 0.2 inject 198.18.0.9:20001>server:80 . seq 1 ack 1\n"
	    "at 0.3 inject 198.18.0.9:20001>server:80 P. seq 1 ack 1 len 10\n"
	    "expect 0.2 server counter TcpPassiveOpens = 1\n"
	    "expect 0.3 server sends . seq 1 ack 11 len 0\n", &v, NULL), 0);
	ck_assert_uint_eq(run(LS
	    "at 0.2 inject 198.18.0.9:20001>server:80 . seq 1001 ack 1 abs\n"
	    "expect 0.2 server sends R seq 1 abs\n"
	    "expect 0.2 server counter TcpPassiveOpens = 0\n", &v, NULL), 0);
}
END_TEST

/* link * HOST: the injected segments' delay (10 ms by default). */
START_TEST(test_inject_link)
{
	struct verdicts v;

	ck_assert_uint_eq(run(
	    "host server 198.18.0.2\n"
	    "link * server delay 25ms\n"
	    "at 0 server listen 80 as L\n"
	    "at 0.1 inject 198.18.0.9:20001>server:80 S seq 1000\n"
	    "expect 0.125 server sends S. seq 0 ack 1\n", &v, NULL), 0);
	ck_assert_uint_eq(run(
	    "host server 198.18.0.2\n"
	    "at 0 server listen 80 as L\n"
	    "at 0.1 inject 198.18.0.9:20001>server:80 S seq 1000\n"
	    "expect 0.11 server sends S. seq 0 ack 1\n", &v, NULL), 0);
}
END_TEST

/* sysctl: sysctl knobs only, the RTO bounds by their sysctl names and units. */
START_TEST(test_sysctl)
{
	struct verdicts v;
	struct tm_profile p;

	ck_assert_uint_eq(run(LS "sysctl tcp_synack_retries=1\n"
	    "expect 1.1 server sends S. seq 0 ack 1\n"
	    "expect nothing until 10\n", &v, NULL), 0);
	ck_assert_uint_eq(run(LS "sysctl tcp_rto_min_us=400000 net.ipv4.tcp_rto_max_ms=60000\n", &v, &p), 0);
	ck_assert_uint_eq(p.rto_min, TM_MS(400));
	ck_assert_uint_eq(p.rto_max, TM_SEC(60));
	ck_assert_uint_eq(run(LS "set tcp_rto_min_us=1\n", &v, &p), 0);
	ck_assert_uint_eq(p.rto_min, 1000);
}
END_TEST

static const struct {
	const char	*line;
	const char	*msg;
} bad[] = {
	{ "at +x server close L", "t.sim:5:5: bad time 'x' (like 1.5, 250ms, 2s, 1m)" },
	{ "at ++1 server close L", "t.sim:5:4: bad time '++1' (like +0.1 or +250ms after the previous line)" },
	{ "at +-1 server close L", "t.sim:5:4: bad time '+-1' (like +0.1 or +250ms after the previous line)" },
	{ "at +90000 server close L", "t.sim:5:4: time '+90000' is past the simulator's bound of one day" },
	{ "expect +1x server sends S.", "t.sim:5:9: bad time '1x' (like 1.5, 250ms, 2s, 1m)" },
	{ "expect nothing until +q", "t.sim:5:23: bad time 'q' (like 1.5, 250ms, 2s, 1m)" },
	{ "at 0.5 after inject 198.18.0.9:20001>server:80 .", "t.sim:5:4: 'after' takes a relative time (+D), not '0.5'" },
	{ "at +0.5 after server close L", "t.sim:5:9: 'after' times an injection: at +D after inject ..." },
	{ "at +0.5 after", "t.sim:5:9: 'after' times an injection: at +D after inject ..." },
	{ "link * server oneway", "t.sim:5:15: 'oneway' does not apply to '*' (injected segments go one way)" },
	{ "link * nobody delay 1", "t.sim:5:8: unknown host 'nobody'" },
	{ "link * server delay x", "t.sim:5:21: bad time 'x' (like 1.5, 250ms, 2s, 1m)" },
	{ "sysctl", "t.sim:5:7: missing KNOB=VALUE" },
	{ "sysctl rfc5961=0", "t.sim:5:8: 'rfc5961' is a knob of the model, not a sysctl (use set)" },
	{ "sysctl tcp_rto_max_ms=999", "t.sim:5:8: bad value '999' for tcp_rto_max_ms (1000..120000)" },
	{ "sysctl tcp_rto_min_us=0", "t.sim:5:8: bad value '0' for tcp_rto_min_us (1..2147483647)" },
	{ "sysctl tcp_nosuch=1", "t.sim:5:8: unknown knob 'tcp_nosuch' (see `tcpdoctor explain knobs`)" },
	{ "at 1 inject 198.18.0.9:1>server:80 . seq 1 abs ack", "t.sim:5:51: missing value" },
};

START_TEST(test_parse_errors)
{
	struct tm_profile lx = tm_profile_linux();
	struct td_err err = { 0 };
	struct tm_world w;
	char script[1024];

	snprintf(script, sizeof(script), LS "%s\n", bad[_i].line);
	ck_assert_int_eq(tm_world_init(&w, 1, true, &err), 0);
	ck_assert_int_eq(tm_script_load(&w, script, "t.sim", &lx, &err), -1);
	ck_assert_str_eq(err.msg, bad[_i].msg);
	ck_assert_int_eq(err.code, EBADMSG);
	tm_world_free(&w);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("sim/script");
	TCase *tc = tcase_create("script");

	tcase_add_test(tc, test_relative_times);
	tcase_add_test(tc, test_after);
	tcase_add_test(tc, test_relative_inject_numbers);
	tcase_add_test(tc, test_inject_link);
	tcase_add_test(tc, test_sysctl);
	tcase_add_loop_test(tc, test_parse_errors, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	suite_add_tcase(s, tc);
	return s;
}
