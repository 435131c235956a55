/* SPDX-License-Identifier: MIT */
/* Tests for collectors/snapshot.c: errors, timer names, addresses (states: core/tcpstate_test.c). */
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
	tc = tcase_create("td_addr");
	tcase_add_test(tc, test_td_addr_str_v4_mapped);
	suite_add_tcase(s, tc);
	return s;
}
