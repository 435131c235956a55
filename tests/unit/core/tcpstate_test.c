/* SPDX-License-Identifier: MIT */
/*
 * Tests for core/tcpstate.c: the one state table.  Every spelling the filter
 * language, scripts, `explain` and the trace readers accepted before the
 * table was shared must still parse to the same state.
 */
#include "tests/unit/check_main.h"

#include <string.h>

#include "core/tcpstate.h"
#include "core/util.h"

static const struct {
	const char	*name;
	int		 st;
} parse_cases[] = {
	{ "ESTABLISHED", TD_ST_ESTABLISHED },
	{ "estab", TD_ST_ESTABLISHED },
	{ "syn-recv", TD_ST_SYN_RECV },
	{ "SYN_RECV", TD_ST_SYN_RECV },
	{ "SYN_RCVD", TD_ST_SYN_RECV },
	{ "syn-received", TD_ST_SYN_RECV },
	{ "fin-wait-1", TD_ST_FIN_WAIT1 },
	{ "FIN_WAIT_1", TD_ST_FIN_WAIT1 },
	{ "FIN_WAIT1", TD_ST_FIN_WAIT1 },
	{ "FIN-WAIT-2", TD_ST_FIN_WAIT2 },
	{ "Time-Wait", TD_ST_TIME_WAIT },
	{ "time-wait", TD_ST_TIME_WAIT },
	{ "close_wait", TD_ST_CLOSE_WAIT },
	{ "closed", TD_ST_CLOSE },
	{ "CLOSE", TD_ST_CLOSE },
	{ "listen", TD_ST_LISTEN },
	{ "closing", TD_ST_CLOSING },
	{ "last-ack", TD_ST_LAST_ACK },
	{ "new_syn_recv", TD_ST_NEW_SYN_RECV },
	{ "TIME-WAITX", -1 },
	{ "", -1 },
	{ "-", -1 },
	{ "wait", -1 },
	{ "UNKNOWN", -1 },		/* state 0 is not a state one asks for */
	{ "NONE", -1 },
	{ "UNCONN", -1 },		/* ss's word for CLOSE is not accepted (as before) */
	{ "bogus", -1 },
	{ "ESTABLISHED ", -1 },		/* no trimming: the caller trims */
	{ "TCP_LISTEN", -1 },		/* the kernel's trace spelling has its own parser */
};

START_TEST(test_td_state_parse_table)
{
	ck_assert_int_eq(td_state_parse(parse_cases[_i].name), parse_cases[_i].st);
}
END_TEST

START_TEST(test_td_state_name_roundtrip)
{
	unsigned int st;

	for (st = 1; st < TD_ST_MAX; st++) {
		ck_assert_int_eq(td_state_parse(td_state_name(st)), (int)st);
		if (st != TD_ST_CLOSE && st != TD_ST_NEW_SYN_RECV)
			ck_assert_int_eq(td_state_parse(td_state_ss_name(st)), (int)st);
	}
	ck_assert_str_eq(td_state_name(0), "UNKNOWN");
	ck_assert_str_eq(td_state_name(TD_ST_MAX), "UNKNOWN");
	ck_assert_str_eq(td_state_name(99), "UNKNOWN");
	ck_assert_str_eq(td_state_ss_name(TD_ST_CLOSE), "UNCONN");
	ck_assert_str_eq(td_state_ss_name(TD_ST_SYN_RECV), "SYN-RECV");
	ck_assert_str_eq(td_state_ss_name(99), "UNKNOWN");
	/* The kernel's numbers (include/net/tcp_states.h). */
	ck_assert_int_eq(TD_ST_ESTABLISHED, 1);
	ck_assert_int_eq(TD_ST_TIME_WAIT, 6);
	ck_assert_int_eq(TD_ST_LISTEN, 10);
	ck_assert_int_eq(TD_ST_NEW_SYN_RECV, 12);
	ck_assert_uint_eq(TD_STATES_ALL, 0x1ffeu);
}
END_TEST

START_TEST(test_td_state_parse_n)
{
	/* Only the n bytes count: "LISTEN" inside a longer line. */
	const char *line = "LISTENING";

	ck_assert_int_eq(td_state_parse_n(line, 6), TD_ST_LISTEN);
	ck_assert_int_eq(td_state_parse_n(line, 9), -1);
	ck_assert_int_eq(td_state_parse_n(line, 0), -1);
	ck_assert_int_eq(td_state_parse_n("FIN_WAIT1 ", 9), TD_ST_FIN_WAIT1);
}
END_TEST

START_TEST(test_td_state_parse_kernel)
{
	const char *s = "TCP_SYN_RECV newstate=TCP_LISTEN";

	ck_assert_int_eq(td_state_parse_kernel(s, 12), TD_ST_SYN_RECV);
	ck_assert_int_eq(td_state_parse_kernel("TCP_NEW_SYN_RECV", 16), TD_ST_NEW_SYN_RECV);
	ck_assert_int_eq(td_state_parse_kernel("TCP_CLOSE", 9), TD_ST_CLOSE);
	ck_assert_int_eq(td_state_parse_kernel("SYN_RECV", 8), -1);	/* no TCP_ */
	ck_assert_int_eq(td_state_parse_kernel("TCP_", 4), -1);
	ck_assert_int_eq(td_state_parse_kernel("TCP_BOGUS", 9), -1);
	ck_assert_int_eq(td_state_parse_kernel("", 0), -1);
}
END_TEST

START_TEST(test_td_trim)
{
	char a[] = "  \t key = value \n", b[] = "", c[] = "   ", d[] = "x";

	ck_assert_str_eq(td_trim(a), "key = value");
	ck_assert_str_eq(td_trim(b), "");
	ck_assert_str_eq(td_trim(c), "");
	ck_assert_str_eq(td_trim(d), "x");
	ck_assert_uint_eq(ARRAY_SIZE(parse_cases), sizeof(parse_cases) / sizeof(parse_cases[0]));
}
END_TEST

/* mountinfo's escapes (fs/seq_file.c mangle_path): \040 space, \011 tab, \134 backslash. */
START_TEST(test_td_unescape_octal)
{
	char a[] = "/run/netns/my\\040ns\\011x\\134", b[] = "\\08 \\4000 \\", c[] = "";
	char buf[64];
	size_t n = 0;

	td_unescape_octal(a);
	ck_assert_str_eq(a, "/run/netns/my ns\tx\\");
	/* Not an escape: a digit above 7, a first digit above 3, a cut one. */
	td_unescape_octal(b);
	ck_assert_str_eq(b, "\\08 \\4000 \\");
	td_unescape_octal(c);
	ck_assert_str_eq(c, "");
	/* td_appendf: cut at the end of the buffer, the offset kept below it. */
	td_appendf(buf, 8, &n, "%s", "abc");
	td_appendf(buf, 8, &n, "%d", 12345);
	ck_assert_str_eq(buf, "abc1234");
	ck_assert_uint_eq(n, 7);
	td_appendf(buf, 8, &n, "more");
	ck_assert_str_eq(buf, "abc1234");
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("core/tcpstate");
	TCase *tc;

	tc = tcase_create("td_state");
	tcase_add_loop_test(tc, test_td_state_parse_table, 0, (int)ARRAY_SIZE(parse_cases));
	tcase_add_test(tc, test_td_state_name_roundtrip);
	tcase_add_test(tc, test_td_state_parse_n);
	tcase_add_test(tc, test_td_state_parse_kernel);
	suite_add_tcase(s, tc);
	tc = tcase_create("util");
	tcase_add_test(tc, test_td_trim);
	tcase_add_test(tc, test_td_unescape_octal);
	suite_add_tcase(s, tc);
	return s;
}
