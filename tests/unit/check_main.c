/* SPDX-License-Identifier: MIT */
/*
 * Shared main() for the Check unit tests: each tests/unit/<dir>/<mod>_test.c
 * defines test_suite(); this runs it, writing TAP to stdout so tests/run.sh
 * can total every kind of test the same way.  CK_RUN_CASE and CK_FORK work
 * as Check documents.
 */
#include <check.h>
#include <stdlib.h>

#include "tests/unit/check_main.h"

int
main(void)
{
	SRunner *sr;
	int failed;

	sr = srunner_create(test_suite());
	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
