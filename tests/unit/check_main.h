/* SPDX-License-Identifier: MIT */
#ifndef TD_TESTS_UNIT_CHECK_MAIN_H
#define TD_TESTS_UNIT_CHECK_MAIN_H

#include <check.h>

/* Defined once by each *_test.c: the module's suite. */
Suite	*test_suite(void);

/* Directory of the checkout (tests read fixtures relative to it). */
#ifndef TD_SRCDIR
#define TD_SRCDIR "."
#endif

#endif /* TD_TESTS_UNIT_CHECK_MAIN_H */
