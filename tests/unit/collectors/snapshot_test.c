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

/*
 * The IPv6 formatter is held to the C library's inet_ntop on every
 * pattern of zero and non-zero groups (the "::" run, ties, the ends), with
 * group values of each width and those that make the IPv4 tail dotted
 * (::a.b.c.d, ::ffff:a.b.c.d); td_addr_str prints v4-mapped ones as IPv4.
 */
START_TEST(test_td_addr_str_v6_as_inet_ntop)
{
	static const uint16_t vals[] = { 1, 0xffff, 0x10, 0xabc, 0x1000, 0xfe80 };
	struct td_sock sk = { .family = AF_INET6 };
	char want[INET6_ADDRSTRLEN], got[INET6_ADDRSTRLEN];
	unsigned int mask, v, g, n = 0;

	for (mask = 0; mask < 256; mask++) {
		for (v = 0; v < sizeof(vals) / sizeof(vals[0]); v++) {
			for (g = 0; g < 8; g++) {
				uint16_t w = (mask >> g) & 1 ? (uint16_t)(vals[(v + g) % 6] + (g == 7 ? v : 0)) : 0;

				if (g == 5 && v == 1)
					w = (mask >> g) & 1 ? 0xffff : 0;
				sk.src.s6_addr[2 * g] = (uint8_t)(w >> 8);
				sk.src.s6_addr[2 * g + 1] = (uint8_t)w;
			}
			ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &sk.src, want, sizeof(want)));
			ck_assert_str_eq(td_addr6_str(&sk.src, got), want);
			if (td_addr_is_v4(&sk.src))
				continue;
			ck_assert_str_eq(td_addr_str(&sk, &sk.src, got, sizeof(got)), want);
			n++;
		}
	}
	ck_assert_uint_gt(n, 1500);
	/* Too small a buffer: an empty string, never a cut address. */
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &sk.src), 1);
	ck_assert_str_eq(td_addr_str(&sk, &sk.src, got, 5), "");
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
	tcase_add_test(tc, test_td_addr_str_v6_as_inet_ntop);
	suite_add_tcase(s, tc);
	return s;
}
