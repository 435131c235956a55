/* SPDX-License-Identifier: MIT */
/*
 * Tests for core/num.c: the one checked number parser.  Each row is a text,
 * the range and base asked for, and what must come out: the value, or the
 * reason it was refused.
 */
#include "tests/unit/check_main.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/num.h"
#include "core/util.h"

static const struct {
	const char	*s;
	int64_t		 min, max;
	int		 rc;
	int64_t		 v;
	const char	*why;
} i64_cases[] = {
	{ "0", 0, 10, 0, 0, NULL },
	{ "10", 0, 10, 0, 10, NULL },
	{ "+7", 0, 10, 0, 7, NULL },
	{ "-7", -10, 10, 0, -7, NULL },
	{ "-0", 0, 10, 0, 0, NULL },
	{ "007", 0, 10, 0, 7, NULL },			/* decimal: no octal here */
	{ "", 0, 10, -1, 0, td_num_empty },
	{ "-", -10, 10, -1, 0, td_num_nan },
	{ "+", 0, 10, -1, 0, td_num_nan },
	{ " 5", 0, 10, -1, 0, td_num_nan },		/* no leading blanks */
	{ "5 ", 0, 10, -1, 0, td_num_nan },		/* nor trailing */
	{ "5x", 0, 10, -1, 0, td_num_nan },
	{ "0x10", 0, 100, -1, 0, td_num_nan },		/* hex only in base 16 or 0 */
	{ "1.5", 0, 10, -1, 0, td_num_nan },
	{ "--5", -10, 10, -1, 0, td_num_nan },
	{ "11", 0, 10, -1, 0, td_num_large },
	{ "-11", -10, 10, -1, 0, td_num_small },
	{ "-1", 0, 10, -1, 0, td_num_small },
	{ "9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX, NULL },
	{ "9223372036854775808", INT64_MIN, INT64_MAX, -1, 0, td_num_large },
	{ "-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN, NULL },
	{ "-9223372036854775809", INT64_MIN, INT64_MAX, -1, 0, td_num_small },
	{ "99999999999999999999999999", INT64_MIN, INT64_MAX, -1, 0, td_num_large },
	{ "99999999999999999999999999x", INT64_MIN, INT64_MAX, -1, 0, td_num_nan },
};

START_TEST(test_i64)
{
	const char *why = NULL;
	int64_t v = 12345;
	int rc = td_num_i64(i64_cases[_i].s, i64_cases[_i].min, i64_cases[_i].max, &v, &why);

	ck_assert_msg(rc == i64_cases[_i].rc, "'%s': rc %d", i64_cases[_i].s, rc);
	if (rc == 0) {
		ck_assert_int_eq(v, i64_cases[_i].v);
	} else {
		ck_assert_ptr_eq(why, i64_cases[_i].why);
		ck_assert_int_eq(v, 12345);		/* *out untouched on failure */
	}
}
END_TEST

static const struct {
	const char	*s;
	int		 base;
	uint64_t	 max;
	int		 rc;
	uint64_t	 v;
	const char	*why;
} u64_cases[] = {
	{ "18446744073709551615", 10, UINT64_MAX, 0, UINT64_MAX, NULL },
	{ "18446744073709551616", 10, UINT64_MAX, -1, 0, td_num_large },
	{ "-1", 10, UINT64_MAX, -1, 0, td_num_small },	/* strtoull would wrap it */
	{ "-0", 10, UINT64_MAX, 0, 0, NULL },
	{ "ff", 16, UINT64_MAX, 0, 255, NULL },
	{ "FF", 16, UINT64_MAX, 0, 255, NULL },
	{ "0xff", 16, UINT64_MAX, -1, 0, td_num_nan },	/* base 16: bare digits */
	{ "ffffffffffffffff", 16, UINT64_MAX, 0, UINT64_MAX, NULL },
	{ "10000000000000000", 16, UINT64_MAX, -1, 0, td_num_large },
	{ "0x1f", 0, UINT64_MAX, 0, 31, NULL },		/* base 0: C's rule */
	{ "0X1F", 0, UINT64_MAX, 0, 31, NULL },
	{ "010", 0, UINT64_MAX, 0, 8, NULL },
	{ "08", 0, UINT64_MAX, -1, 0, td_num_nan },
	{ "0", 0, UINT64_MAX, 0, 0, NULL },
	{ "0x", 0, UINT64_MAX, -1, 0, td_num_nan },
	{ "12", 10, 11, -1, 0, td_num_large },
	{ "", 10, 11, -1, 0, td_num_empty },
	{ "1g", 16, UINT64_MAX, -1, 0, td_num_nan },
};

START_TEST(test_u64)
{
	const char *why = NULL;
	uint64_t v = 12345;
	int rc = td_num_u64(u64_cases[_i].s, u64_cases[_i].base, u64_cases[_i].max, &v, &why);

	ck_assert_msg(rc == u64_cases[_i].rc, "'%s': rc %d", u64_cases[_i].s, rc);
	if (rc == 0)
		ck_assert_uint_eq(v, u64_cases[_i].v);
	else
		ck_assert_ptr_eq(why, u64_cases[_i].why);
}
END_TEST

START_TEST(test_n_forms)
{
	const char *line = "sport=443 dport=51234";
	uint64_t u;
	int64_t v;

	ck_assert_int_eq(td_num_u64n(line + 6, 3, 10, 65535, &u, NULL), 0);
	ck_assert_uint_eq(u, 443);
	ck_assert_int_eq(td_num_u64n(line + 6, 4, 10, 65535, &u, NULL), -1);	/* "443 " */
	ck_assert_int_eq(td_num_i64n(line + 16, 5, 10, 0, 65535, &v, NULL), 0);
	ck_assert_int_eq(v, 51234);
	ck_assert_int_eq(td_num_i64n("0x7fz", 4, 0, 0, 1000, &v, NULL), 0);
	ck_assert_int_eq(v, 127);
	ck_assert_int_eq(td_num_i64n("5", 0, 10, 0, 10, &v, NULL), -1);
}
END_TEST

static const struct {
	const char	*s;
	double		 min, max;
	int		 rc;
	double		 v;
	const char	*why;
} dbl_cases[] = {
	{ "1.5", 0, 10, 0, 1.5, NULL },
	{ "0.1", 0.1, 10, 0, 0.1, NULL },
	{ "1e3", 0, 1e4, 0, 1000, NULL },
	{ "-2", -5, 5, 0, -2, NULL },
	{ ".5", 0, 1, 0, 0.5, NULL },
	{ "+.5", 0, 1, 0, 0.5, NULL },
	{ "0x10", 0, 100, 0, 16, NULL },		/* strtod's hex floats */
	{ "", 0, 1, -1, 0, td_num_empty },
	{ " 1", 0, 10, -1, 0, td_num_nan },
	{ "1 ", 0, 10, -1, 0, td_num_nan },
	{ "1s", 0, 10, -1, 0, td_num_nan },
	{ "abc", 0, 10, -1, 0, td_num_nan },
	{ "nan", 0, 10, -1, 0, td_num_infinite },
	{ "NaN", 0, 10, -1, 0, td_num_infinite },
	{ "-nan", -10, 10, -1, 0, td_num_infinite },
	{ "inf", 0, 10, -1, 0, td_num_infinite },
	{ "-Infinity", -10, 10, -1, 0, td_num_infinite },
	{ "1e999", 0, DBL_MAX, -1, 0, td_num_large },
	{ "-1e999", -DBL_MAX, 0, -1, 0, td_num_small },
	{ "0.09", 0.1, 10, -1, 0, td_num_small },
	{ "10.5", 0, 10, -1, 0, td_num_large },
	{ "1e-999", 0, 1, 0, 0, NULL },			/* underflow: rounds to 0 */
};

START_TEST(test_double)
{
	const char *why = NULL;
	double v = 12345;
	int rc = td_num_double(dbl_cases[_i].s, dbl_cases[_i].min, dbl_cases[_i].max, &v, &why);

	ck_assert_msg(rc == dbl_cases[_i].rc, "'%s': rc %d", dbl_cases[_i].s, rc);
	if (rc == 0)
		ck_assert_double_eq(v, dbl_cases[_i].v);
	else
		ck_assert_ptr_eq(why, dbl_cases[_i].why);
}
END_TEST

START_TEST(test_doublen)
{
	char big[200];
	double v;

	ck_assert_int_eq(td_num_doublen("2.5ms", 3, 0, 10, &v, NULL), 0);
	ck_assert_double_eq(v, 2.5);
	ck_assert_int_eq(td_num_doublen("2.5ms", 4, 0, 10, &v, NULL), -1);
	ck_assert_int_eq(td_num_doublen("", 0, 0, 10, &v, NULL), -1);
	memset(big, '1', sizeof(big));
	ck_assert_int_eq(td_num_doublen(big, sizeof(big), 0, INFINITY, &v, NULL), -1);
	ck_assert_int_eq(td_num_doublen("1\0" "2", 3, 0, 100, &v, NULL), -1);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("core/num");
	TCase *tc;

	tc = tcase_create("integers");
	tcase_add_loop_test(tc, test_i64, 0, (int)ARRAY_SIZE(i64_cases));
	tcase_add_loop_test(tc, test_u64, 0, (int)ARRAY_SIZE(u64_cases));
	tcase_add_test(tc, test_n_forms);
	suite_add_tcase(s, tc);
	tc = tcase_create("doubles");
	tcase_add_loop_test(tc, test_double, 0, (int)ARRAY_SIZE(dbl_cases));
	tcase_add_test(tc, test_doublen);
	suite_add_tcase(s, tc);
	return s;
}
