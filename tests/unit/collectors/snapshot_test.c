/* SPDX-License-Identifier: MIT */
/* Tests for collectors/snapshot.c: errors, state and timer names, addresses. */
#include "tests/unit/check_main.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "collectors/snapshot.h"

START_TEST(test_td_errf_first_wins)
{
	struct td_err err = { 0 };

	ck_assert_int_eq(td_errf(&err, ENOENT, "file '%s': missing", "a"), -1);
	ck_assert_int_eq(td_errf(&err, EINVAL, "second"), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_str_eq(err.msg, "file 'a': missing");
}
END_TEST

START_TEST(test_td_errf_input_newlines_flattened)
{
	struct td_err err = { 0 };

	td_errf(&err, 0, "bad '%s'", "x\ny");
	ck_assert_str_eq(err.msg, "bad 'x y'");
}
END_TEST

static const struct {
	const char	*name;
	int		 st;
} parse_cases[] = {
	{ "ESTABLISHED", TD_ST_ESTABLISHED },
	{ "estab", TD_ST_ESTABLISHED },
	{ "syn-recv", TD_ST_SYN_RECV },
	{ "SYN_RECV", TD_ST_SYN_RECV },
	{ "fin-wait-1", TD_ST_FIN_WAIT1 },
	{ "FIN_WAIT1", TD_ST_FIN_WAIT1 },
	{ "Time-Wait", TD_ST_TIME_WAIT },
	{ "close_wait", TD_ST_CLOSE_WAIT },
	{ "closed", TD_ST_CLOSE },
	{ "listen", TD_ST_LISTEN },
	{ "TIME-WAITX", -1 },
	{ "", -1 },
	{ "wait", -1 },
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
	ck_assert_str_eq(td_state_name(99), "UNKNOWN");
}
END_TEST

START_TEST(test_td_addr_str_v4_mapped)
{
	struct td_sock sk = { .family = AF_INET };
	char buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:198.18.0.1", &sk.src), 1);
	ck_assert(td_addr_is_v4(&sk.src));
	ck_assert_str_eq(td_addr_str(&sk, &sk.src, buf, sizeof(buf)), "198.18.0.1");
	sk.family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &sk.dst), 1);
	ck_assert_str_eq(td_addr_str(&sk, &sk.dst, buf, sizeof(buf)), "2001:db8::1");
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/snapshot");
	TCase *tc;

	tc = tcase_create("td_errf");
	tcase_add_test(tc, test_td_errf_first_wins);
	tcase_add_test(tc, test_td_errf_input_newlines_flattened);
	suite_add_tcase(s, tc);
	tc = tcase_create("td_state");
	tcase_add_loop_test(tc, test_td_state_parse_table, 0,
	    (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
	tcase_add_test(tc, test_td_state_name_roundtrip);
	suite_add_tcase(s, tc);
	tc = tcase_create("td_addr");
	tcase_add_test(tc, test_td_addr_str_v4_mapped);
	suite_add_tcase(s, tc);
	return s;
}
