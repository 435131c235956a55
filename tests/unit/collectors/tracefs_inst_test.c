/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/tracefs_inst.c that need no tracefs: instance names
 * (this version's and the earlier ones'), /proc/PID/stat parsing with
 * hostile command names, the sweep's verdicts on a directory of planted
 * names, and signal blocking that nests.
 */
#include "tests/unit/check_main.h"

#include <sys/stat.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "collectors/tracefs_inst.h"

START_TEST(test_parse_name)
{
	unsigned long long start = 0, ns = 0;
	long pid = 0;

	ck_assert_int_eq(tfs_parse_name("tcpdoctor-1234-98765-4026531836-0", &pid, &start, &ns), 2);
	ck_assert_int_eq(pid, 1234);
	ck_assert(start == 98765 && ns == 4026531836ULL);
	ck_assert_int_eq(tfs_parse_name("tdk-7-1-2-3", &pid, &start, &ns), 2);
	ck_assert_int_eq(pid, 7);
	/* Earlier versions: tcpdoctor-PID-N and tdk-PID-HEX. */
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-31946-0", &pid, &start, &ns), 1);
	ck_assert_int_eq(pid, 31946);
	ck_assert_int_eq(tfs_parse_name("tdk-26364-25eec0", &pid, &start, &ns), 1);
	ck_assert_int_eq(pid, 26364);
	/* Not ours, or not a name we made: left alone. */
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-31946-ab", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tdk-ab-1", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-0-1", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-99999999999-1", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor--1-1", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-1-2-3", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-1-2-3-4-5", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-1-2-", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor-+1-2", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctorx-1-2", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("bpftrace-1-2", &pid, &start, &ns), 0);
	ck_assert_int_eq(tfs_parse_name("tcpdoctor", &pid, &start, &ns), 0);
}
END_TEST

START_TEST(test_stat_parse)
{
	/* A command name with ") (" and blanks: fields count from the last ')'. */
	static const char stat[] = "4242 (a) b (c d) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 "
	    "20 0 1 0 123456 1000000 100 18446744073709551615\n";
	unsigned long long start = 0;
	char state = 0;

	ck_assert_int_eq(tfs_stat_parse(stat, &state, &start), 0);
	ck_assert_int_eq(state, 'S');
	ck_assert(start == 123456);
	ck_assert_int_eq(tfs_stat_parse("1 (x) Z 1 2 3", &state, &start), -1);
	ck_assert_int_eq(tfs_stat_parse("1 (x", &state, &start), -1);
	ck_assert_int_eq(tfs_stat_parse("", &state, &start), -1);
	ck_assert_int_eq(tfs_stat_parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0", &state,
	    &start), -1);
}
END_TEST

/* This process's own line parses, and its start time does not change. */
START_TEST(test_stat_parse_self)
{
	char buf[1024], state;
	unsigned long long a = 0, b = 1;
	FILE *fp = fopen("/proc/self/stat", "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	ck_assert_int_eq(tfs_stat_parse(buf, &state, &a), 0);
	ck_assert_int_eq(tfs_stat_parse(buf, &state, &b), 0);
	ck_assert(a == b && a > 0);
	ck_assert_int_eq(state, 'R');
}
END_TEST

static bool
exists(const char *root, const char *name)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/instances/%s", root, name);
	return stat(p, &st) == 0;
}

/*
 * The sweep on a plain directory standing in for tracefs: names of a dead
 * process, of a live one with its true and a wrong start time, of another
 * PID namespace, of earlier versions, and of another tool.
 */
START_TEST(test_sweep_verdicts)
{
	char root[] = "/tmp/td-tfs-XXXXXX", p[512], first[64], buf[1024], state;
	const char *made[16];
	unsigned long long start, ns;
	struct stat st;
	pid_t dead, live = getpid();
	unsigned int n;
	size_t i, nm = 0;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/instances", root);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	fp = fopen("/proc/self/stat", "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	ck_assert_int_eq(tfs_stat_parse(buf, &state, &start), 0);
	ck_assert_int_eq(stat("/proc/self/ns/pid", &st), 0);
	ns = (unsigned long long)st.st_ino;
	/* A PID that is surely free: a child that has exited and been reaped. */
	dead = fork();
	if (dead == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(dead, NULL, 0), dead);

#define MAKE(...) do {							\
	static char name_[128];						\
	snprintf(name_, sizeof(name_), __VA_ARGS__);			\
	snprintf(p, sizeof(p), "%s/instances/%s", root, name_);		\
	ck_assert_int_eq(mkdir(p, 0700), 0);				\
	made[nm++] = name_;						\
} while (0)
	MAKE("tcpdoctor-%d-%llu-%llu-0", (int)dead, start, ns);		/* 0: dead: removed */
	MAKE("tcpdoctor-%d-%llu-%llu-1", (int)live, start, ns);		/* 1: live: kept */
	MAKE("tdk-%d-%llu-%llu-2", (int)live, start + 1, ns);		/* 2: PID reused: removed */
	MAKE("tdk-%d-%llu-%llu-3", (int)dead, start, ns + 1);		/* 3: other PID ns: kept */
	MAKE("tcpdoctor-%d-4", (int)live);				/* 4: old, live PID: kept */
	MAKE("tcpdoctor-%d-5", (int)dead);				/* 5: old, no PID: see below */
	MAKE("tdk-%d-abc", (int)dead);					/* 6: old, no PID: see below */
	MAKE("bpftrace-%d-7", (int)dead);				/* 7: not ours: kept */
#undef MAKE
	n = tfs_sweep(root, first);
	ck_assert(!exists(root, made[0]));
	ck_assert(exists(root, made[1]));
	ck_assert(!exists(root, made[2]));
	ck_assert(exists(root, made[3]));
	ck_assert(exists(root, made[4]));
	ck_assert(exists(root, made[7]));
	/* Old names are judged only from the initial PID namespace. */
	if (ns == 0xEFFFFFFCULL) {
		ck_assert(!exists(root, made[5]) && !exists(root, made[6]));
		ck_assert_uint_eq(n, 4);
	} else {
		ck_assert(exists(root, made[5]) && exists(root, made[6]));
		ck_assert_uint_eq(n, 2);
	}
	ck_assert(strncmp(first, "tcpdoctor-", 10) == 0 || strncmp(first, "tdk-", 4) == 0);
	for (i = 0; i < nm; i++) {
		snprintf(p, sizeof(p), "%s/instances/%s", root, made[i]);
		rmdir(p);
	}
	snprintf(p, sizeof(p), "%s/instances", root);
	ck_assert_int_eq(rmdir(p), 0);
	ck_assert_int_eq(rmdir(root), 0);
}
END_TEST

static volatile sig_atomic_t got;

static void
on_usr1(int sig)
{
	got = sig;
}

/* tfs_block pairs nest: only the outermost unblock lets a signal in. */
START_TEST(test_block_nests)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	tfs_block(true);
	tfs_block(true);
	raise(SIGUSR1);
	tfs_block(false);
	ck_assert_int_eq(got, 0);
	tfs_block(false);
	ck_assert_int_eq(got, SIGUSR1);
	tfs_block(false);		/* one too many: harmless */
}
END_TEST

/* Under TFS_SIG_STOP every terminating signal is only recorded. */
START_TEST(test_guard_stop_records)
{
	static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM,
	    SIGPIPE, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ };
	size_t i;

	tfs_guard(TFS_SIG_STOP);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		tfs_stop_signal = 0;
		raise(sigs[i]);
		ck_assert_int_eq(tfs_stop_signal, sigs[i]);
	}
	tfs_stop_signal = 0;
	raise(SIGRTMIN + 1);
	ck_assert_int_eq(tfs_stop_signal, SIGRTMIN + 1);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/tracefs_inst");
	TCase *tc = tcase_create("tracefs_inst");

	tcase_add_test(tc, test_parse_name);
	tcase_add_test(tc, test_stat_parse);
	tcase_add_test(tc, test_stat_parse_self);
	tcase_add_test(tc, test_sweep_verdicts);
	tcase_add_test(tc, test_block_nests);
	tcase_add_test(tc, test_guard_stop_records);
	suite_add_tcase(s, tc);
	return s;
}
