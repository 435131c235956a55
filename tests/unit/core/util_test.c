/* SPDX-License-Identifier: MIT */
/*
 * Tests for core/util.c's td_time_utc(): every form the commands print
 * (table columns, JSON heads, recordings) from one formatter, checked
 * against texts written out by hand, and cut at a short buffer.
 */
#include "tests/unit/check_main.h"

#include <stdint.h>
#include <string.h>

#include "core/util.h"

/* 2026-11-24T09:40:48.435852619Z */
#define T	INT64_C(1795513248435852619)

static const struct {
	int64_t		 ns;
	unsigned int	 flags;
	const char	*want;
} time_cases[] = {
	{ T, 0, "09:40:48" },
	{ T, TD_TIME_USEC, "09:40:48.435852" },
	{ T, TD_TIME_NSEC, "09:40:48.435852619" },
	{ T, TD_TIME_DATE, "2026-11-24T09:40:48Z" },
	{ T, TD_TIME_DATE | TD_TIME_USEC, "2026-11-24T09:40:48.435852Z" },
	{ T, TD_TIME_DATE | TD_TIME_NSEC, "2026-11-24T09:40:48.435852619Z" },
	{ T, TD_TIME_DATE | TD_TIME_USEC | TD_TIME_NSEC, "2026-11-24T09:40:48.435852619Z" },
	{ 0, TD_TIME_DATE | TD_TIME_USEC, "1970-01-01T00:00:00.000000Z" },
	{ 999, TD_TIME_DATE | TD_TIME_USEC, "1970-01-01T00:00:00.000000Z" },	/* truncated, not rounded */
	{ 1000, TD_TIME_USEC, "00:00:00.000001" },
	{ INT64_C(86399999999999), TD_TIME_DATE | TD_TIME_NSEC, "1970-01-01T23:59:59.999999999Z" },
};

START_TEST(test_td_time_utc_forms)
{
	char buf[40];

	memset(buf, 'x', sizeof(buf));
	td_time_utc(time_cases[_i].ns, buf, sizeof(buf), time_cases[_i].flags);
	ck_assert_str_eq(buf, time_cases[_i].want);
}
END_TEST

/* A buffer too short for the form: terminated inside it, never past it. */
START_TEST(test_td_time_utc_short)
{
	char buf[32];
	size_t len;

	for (len = 1; len <= 31; len++) {
		memset(buf, 'x', sizeof(buf));
		td_time_utc(T, buf, len, TD_TIME_DATE | TD_TIME_NSEC);
		ck_assert_uint_lt(strlen(buf), len);
		ck_assert_int_eq(buf[len], 'x');
	}
	td_time_utc(T, buf, 31, TD_TIME_DATE | TD_TIME_NSEC);
	ck_assert_str_eq(buf, "2026-11-24T09:40:48.435852619Z");
	buf[0] = 'x';
	td_time_utc(T, buf, 0, TD_TIME_DATE);	/* no room at all: nothing written */
	ck_assert_int_eq(buf[0], 'x');
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("core/util");
	TCase *tc;

	tc = tcase_create("td_time_utc");
	tcase_add_loop_test(tc, test_td_time_utc_forms, 0, (int)ARRAY_SIZE(time_cases));
	tcase_add_test(tc, test_td_time_utc_short);
	suite_add_tcase(s, tc);
	return s;
}
