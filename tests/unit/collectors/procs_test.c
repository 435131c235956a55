/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/procs.c: a fixture proc tree (tests/fixtures/proc/
 * procs: pid 100 "nginx" and pid 200 "sshd" sharing socket 4242, pid 200
 * alone on 777, pid 300 without an fd directory, a non-numeric "self"),
 * and the real /proc for a socket this test opens.
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/procs.h"
#include "collectors/snapshot.h"

START_TEST(test_procs_resolve_fixture)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	char comm[16];
	int32_t pid;
	size_t hidden = 99;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(procs_want(m, 4242, &err), 0);
	ck_assert_int_eq(procs_want(m, 777, &err), 0);
	ck_assert_int_eq(procs_want(m, 999, &err), 0);
	ck_assert_int_eq(procs_want(m, 0, &err), 0);		/* ignored */
	ck_assert_int_eq(procs_want(m, 777, &err), 0);		/* once */
	ck_assert_uint_eq(procs_wanted(m), 3);
	ck_assert_int_eq(procs_resolve(m, fixture_path("proc", "procs"), &hidden, &err), 0);
	ck_assert_uint_eq(hidden, 0);
	ck_assert_uint_eq(procs_found(m), 2);
	ck_assert(procs_lookup(m, 4242, &pid, comm));
	ck_assert_int_eq(pid, 100);			/* shared: the lowest pid */
	ck_assert_str_eq(comm, "nginx");
	ck_assert(procs_lookup(m, 777, &pid, comm));
	ck_assert_int_eq(pid, 200);
	ck_assert_str_eq(comm, "sshd");
	ck_assert(!procs_lookup(m, 999, &pid, comm));	/* nobody holds it */
	ck_assert(!procs_lookup(m, 4243, &pid, comm));	/* a pipe, never wanted */
	ck_assert(!procs_lookup(m, 0, &pid, comm));
	procs_free(m);
}
END_TEST

START_TEST(test_procs_resolve_own_socket)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	char comm[16], want[32] = "";
	struct stat st;
	int32_t pid;
	FILE *fp;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	fp = fopen("/proc/self/comm", "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(want, sizeof(want), fp));
	fclose(fp);
	want[strcspn(want, "\n")] = '\0';
	ck_assert_int_eq(procs_want(m, (uint64_t)st.st_ino, &err), 0);
	ck_assert_int_eq(procs_resolve(m, "/proc", NULL, &err), 0);
	ck_assert(procs_lookup(m, (uint64_t)st.st_ino, &pid, comm));
	ck_assert_int_eq(pid, getpid());
	ck_assert_str_eq(comm, want);
	close(fd);
	procs_free(m);
}
END_TEST

/* The table grows past its first size and keeps every inode findable. */
START_TEST(test_procs_want_many)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	char comm[16];
	int32_t pid;
	uint64_t i;

	ck_assert_int_eq(procs_want(m, 4242, &err), 0);
	for (i = 1; i <= 10000; i++)
		ck_assert_int_eq(procs_want(m, 100000 + i, &err), 0);
	ck_assert_uint_eq(procs_wanted(m), 10001);
	ck_assert_int_eq(procs_want(m, 100000 + 5, &err), 0);
	ck_assert_uint_eq(procs_wanted(m), 10001);
	ck_assert_int_eq(procs_resolve(m, fixture_path("proc", "procs"), NULL, &err), 0);
	ck_assert_uint_eq(procs_found(m), 1);
	ck_assert(procs_lookup(m, 4242, &pid, comm));
	ck_assert_int_eq(pid, 100);
	ck_assert(!procs_lookup(m, 100005, &pid, comm));
	ck_assert(!procs_lookup(m, 777, &pid, comm));
	procs_free(m);
}
END_TEST

START_TEST(test_procs_resolve_missing_root)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };

	ck_assert_int_eq(procs_want(m, 1, &err), 0);
	ck_assert_int_eq(procs_resolve(m, fixture_path("proc", "nothing-here"), NULL, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "cannot read"));
	procs_free(m);
}
END_TEST

START_TEST(test_procs_resolve_nothing_wanted)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };

	/* No inode wanted: /proc is not even opened. */
	ck_assert_int_eq(procs_resolve(m, "/nonexistent", NULL, &err), 0);
	procs_free(m);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/procs");
	TCase *tc;

	tc = tcase_create("procs_resolve");
	tcase_add_test(tc, test_procs_resolve_fixture);
	tcase_add_test(tc, test_procs_resolve_own_socket);
	tcase_add_test(tc, test_procs_resolve_missing_root);
	tcase_add_test(tc, test_procs_resolve_nothing_wanted);
	suite_add_tcase(s, tc);
	tc = tcase_create("procs_want");
	tcase_add_test(tc, test_procs_want_many);
	suite_add_tcase(s, tc);
	return s;
}
