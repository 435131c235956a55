/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/procs.c: a fixture proc tree (tests/fixtures/proc/
 * procs: pid 100 "nginx" (fd 3) and pid 200 "sshd" (fd 6) sharing socket
 * 4242, pid 200 alone on 777 (fd 5), pid 300 without an fd directory, a
 * non-numeric "self"), the real /proc for a socket this test opens and
 * dup()s, and the cap on wanted inodes.
 */
#include "tests/unit/check_main.h"
#include "tests/unit/collectors/fixture.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "collectors/procs.h"
#include "collectors/snapshot.h"

START_TEST(test_procs_resolve_fixture)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct procs_stats st;
	struct td_owner o[4];
	size_t total = 99;

	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(procs_want(m, 4242, &err), 0);
	ck_assert_int_eq(procs_want(m, 777, &err), 0);
	ck_assert_int_eq(procs_want(m, 999, &err), 0);
	ck_assert_int_eq(procs_want(m, 0, &err), 0);		/* ignored */
	ck_assert_int_eq(procs_want(m, 777, &err), 0);		/* once */
	ck_assert_uint_eq(procs_wanted(m), 3);
	ck_assert_int_eq(procs_resolve(m, fixture_path("proc", "procs"), &st, &err), 0);
	ck_assert_uint_eq(st.processes, 3);		/* 100, 200, 300; not "self" */
	ck_assert_uint_eq(st.unreadable, 0);		/* 300 has no fd directory: gone */
	ck_assert_uint_eq(st.skipped_inodes, 0);
	ck_assert_uint_eq(procs_found(m), 2);
	/* 4242 is shared: both holders, lowest pid first, each with its fd. */
	ck_assert_uint_eq(procs_lookup(m, 4242, o, 4, &total), 2);
	ck_assert_uint_eq(total, 2);
	ck_assert_int_eq(o[0].pid, 100);
	ck_assert_int_eq(o[0].fd, 3);
	ck_assert_str_eq(o[0].comm, "nginx");
	ck_assert_int_eq(o[1].pid, 200);
	ck_assert_int_eq(o[1].fd, 6);
	ck_assert_str_eq(o[1].comm, "sshd");
	/* Room for one: the lowest is kept, the other counted. */
	ck_assert_uint_eq(procs_lookup(m, 4242, o, 1, &total), 1);
	ck_assert_int_eq(o[0].pid, 100);
	ck_assert_uint_eq(total, 2);
	ck_assert_uint_eq(procs_lookup(m, 777, o, 4, &total), 1);
	ck_assert_int_eq(o[0].pid, 200);
	ck_assert_int_eq(o[0].fd, 5);
	ck_assert_uint_eq(procs_lookup(m, 999, o, 4, &total), 0);	/* nobody holds it */
	ck_assert_uint_eq(total, 0);
	ck_assert(procs_known(m, 999));
	ck_assert(!procs_known(m, 4243));				/* a pipe, never wanted */
	ck_assert_uint_eq(procs_lookup(m, 4243, o, 4, &total), 0);
	ck_assert_uint_eq(procs_lookup(m, 0, o, 4, &total), 0);
	procs_free(m);
}
END_TEST

START_TEST(test_procs_resolve_own_socket)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct td_owner o[4];
	char want[32] = "";
	struct stat st;
	size_t total;
	FILE *fp;
	int fd, fd2;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	fd2 = dup(fd);
	ck_assert_int_gt(fd2, fd);
	ck_assert_int_eq(fstat(fd, &st), 0);
	fp = fopen("/proc/self/comm", "r");
	ck_assert_ptr_nonnull(fp);
	ck_assert_ptr_nonnull(fgets(want, sizeof(want), fp));
	fclose(fp);
	want[strcspn(want, "\n")] = '\0';
	ck_assert_int_eq(procs_want(m, (uint64_t)st.st_ino, &err), 0);
	ck_assert_int_eq(procs_resolve(m, "/proc", NULL, &err), 0);
	/* Both descriptors, as ss -p lists them: same pid, fds in order. */
	ck_assert_uint_eq(procs_lookup(m, (uint64_t)st.st_ino, o, 4, &total), 2);
	ck_assert_uint_eq(total, 2);
	ck_assert_int_eq(o[0].pid, getpid());
	ck_assert_int_eq(o[0].fd, fd);
	ck_assert_int_eq(o[1].fd, fd2);
	ck_assert_str_eq(o[0].comm, want);
	close(fd2);
	close(fd);
	procs_free(m);
}
END_TEST

/* The table grows past its first size and keeps every inode findable. */
START_TEST(test_procs_want_many)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct td_owner o[1];
	uint64_t i;

	ck_assert_int_eq(procs_want(m, 4242, &err), 0);
	for (i = 1; i <= 10000; i++)
		ck_assert_int_eq(procs_want(m, 100000 + i, &err), 0);
	ck_assert_uint_eq(procs_wanted(m), 10001);
	ck_assert_int_eq(procs_want(m, 100000 + 5, &err), 0);
	ck_assert_uint_eq(procs_wanted(m), 10001);
	ck_assert_int_eq(procs_resolve(m, fixture_path("proc", "procs"), NULL, &err), 0);
	ck_assert_uint_eq(procs_found(m), 1);
	ck_assert_uint_eq(procs_lookup(m, 4242, o, 1, NULL), 1);
	ck_assert_int_eq(o[0].pid, 100);
	ck_assert_uint_eq(procs_lookup(m, 100005, o, 1, NULL), 0);
	ck_assert(procs_known(m, 100005));
	ck_assert(!procs_known(m, 777));
	procs_free(m);
}
END_TEST

/*
 * Past the cap, inodes are counted as skipped, never stored: the table
 * stays within its bound (16-byte slots, at most PROCS_MAX_SLOTS).
 */
START_TEST(test_procs_want_cap)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct procs_stats st;
	uint64_t i;

	for (i = 1; i <= PROCS_MAX_INODES + 5; i++)
		ck_assert_int_eq(procs_want(m, i, &err), 0);
	ck_assert_uint_eq(procs_wanted(m), PROCS_MAX_INODES);
	ck_assert(procs_known(m, PROCS_MAX_INODES));
	ck_assert(!procs_known(m, PROCS_MAX_INODES + 1));
	ck_assert_uint_le(procs_bytes(m), (size_t)PROCS_MAX_SLOTS * 16 + 4096);
	ck_assert_int_eq(procs_resolve(m, fixture_path("proc", "procs"), &st, &err), 0);
	ck_assert_uint_eq(st.skipped_inodes, 5);
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

/*
 * procs_collect: one scan keeps every socket held, with no inode wanted
 * first; a pipe is not a socket.  Past max_inodes it says it is not
 * complete (the caller starts over with the wanted inodes).
 */
START_TEST(test_procs_collect_fixture)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct procs_stats st;
	struct td_owner o[4];
	size_t total = 99;
	bool complete = false;

	ck_assert_int_eq(procs_collect(m, fixture_path("proc", "procs"), 10, &complete, &st, &err), 0);
	ck_assert(complete);
	ck_assert_uint_eq(st.processes, 3);
	ck_assert_uint_eq(procs_wanted(m), 2);		/* 4242 and 777 */
	ck_assert_uint_eq(procs_found(m), 2);
	ck_assert_uint_eq(procs_lookup(m, 4242, o, 4, &total), 2);
	ck_assert_uint_eq(total, 2);
	ck_assert_int_eq(o[0].pid, 100);
	ck_assert_int_eq(o[0].fd, 3);
	ck_assert_str_eq(o[0].comm, "nginx");
	ck_assert_int_eq(o[1].pid, 200);
	ck_assert_int_eq(o[1].fd, 6);
	ck_assert_uint_eq(procs_lookup(m, 777, o, 4, &total), 1);
	ck_assert_int_eq(o[0].fd, 5);
	ck_assert(!procs_known(m, 4243));		/* the pipe */
	ck_assert(!procs_known(m, 999));		/* held by nobody */
	/* A map that has inodes wanted already is refused. */
	ck_assert_int_eq(procs_collect(m, fixture_path("proc", "procs"), 10, &complete, NULL, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	procs_free(m);

	m = procs_new();
	ck_assert_int_eq(procs_collect(m, fixture_path("proc", "procs"), 1, &complete, &st, &err), 0);
	ck_assert(!complete);
	ck_assert_uint_le(procs_wanted(m), 1);
	procs_free(m);

	m = procs_new();
	ck_assert_int_eq(procs_collect(m, fixture_path("proc", "nothing-here"), 10, &complete, NULL, &err), -1);
	ck_assert(!complete);
	procs_free(m);
}
END_TEST

/*
 * A scan told to stop (procs_cancel_on) returns ECANCELED and keeps no
 * owners; an inode past 32 bits (no socket's: sock_diag has 32) is never
 * kept and a want of one is counted as skipped.
 */
START_TEST(test_procs_cancel_and_wide_inode)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct procs_stats st;
	atomic_bool stop = true;
	bool complete = true;

	procs_cancel_on(m, &stop);
	ck_assert_int_eq(procs_collect(m, fixture_path("proc", "procs"), 10, &complete, &st, &err), -1);
	ck_assert_int_eq(err.code, ECANCELED);
	ck_assert(!complete);
	ck_assert(!procs_known(m, 4242));
	procs_free(m);

	m = procs_new();
	stop = false;
	procs_cancel_on(m, &stop);
	ck_assert_int_eq(procs_collect(m, fixture_path("proc", "procs"), 10, &complete, &st, &err), 0);
	ck_assert(complete);
	ck_assert(procs_known(m, 4242));
	ck_assert(!procs_known(m, 4242 + (UINT64_C(1) << 32)));
	procs_free(m);

	m = procs_new();
	ck_assert_int_eq(procs_want(m, UINT64_C(1) << 32, &err), 0);
	ck_assert_int_eq(procs_want(m, 4242, &err), 0);
	ck_assert_uint_eq(procs_wanted(m), 1);
	ck_assert_int_eq(procs_resolve(m, fixture_path("proc", "procs"), &st, &err), 0);
	ck_assert_uint_eq(st.skipped_inodes, 1);
	ck_assert(procs_known(m, 4242));
	procs_free(m);
}
END_TEST

/* The real /proc: this process's socket and its dup, among all the host's. */
START_TEST(test_procs_collect_own_socket)
{
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct td_owner o[4];
	struct stat st;
	size_t total;
	bool complete;
	int fd, fd2;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	fd2 = dup(fd);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(procs_collect(m, "/proc", PROCS_COLLECT_INODES, &complete, NULL, &err), 0);
	ck_assert(complete);
	ck_assert_uint_eq(procs_lookup(m, (uint64_t)st.st_ino, o, 4, &total), 2);
	ck_assert_int_eq(o[0].pid, getpid());
	ck_assert_int_eq(o[0].fd, fd);
	ck_assert_int_eq(o[1].fd, fd2);
	close(fd2);
	close(fd);
	procs_free(m);
}
END_TEST

/*
 * A proc tree made here: links that only look like sockets are not taken
 * ("socket:[]", a letter, a leading zero, text after "]", inode 0), a
 * non-numeric fd name is not an fd, comm is its first line cut at 15
 * bytes, and a process with more fds than one getdents64 buffer holds
 * (1,000 entries, the scanner reads 8 KiB at a time) is read to the end.
 */
START_TEST(test_procs_scan_edges)
{
	static const char *const fake[] = { "socket:[]", "socket:[12a]", "socket:[012]",
		"socket:[13]x", "socket:[0]", "socket:[14", "socket:12]" };
	char root[] = "/tmp/td-procs-XXXXXX", path[256], target[64];
	struct procs_map *m = procs_new();
	struct td_err err = { 0 };
	struct procs_stats st;
	struct td_owner o[2];
	size_t i, total, kept, before;
	bool complete;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/42", root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/42/fd", root);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/42/comm", root);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("a-very-long-command-name\nsecond\n", fp);
	fclose(fp);
	for (i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "%s/42/fd/%zu", root, i);
		snprintf(target, sizeof(target), "socket:[%zu]", 100000 + i);
		ck_assert_int_eq(symlink(target, path), 0);
	}
	for (i = 0; i < sizeof(fake) / sizeof(fake[0]); i++) {
		snprintf(path, sizeof(path), "%s/42/fd/%zu", root, 2000 + i);
		ck_assert_int_eq(symlink(fake[i], path), 0);
	}
	snprintf(path, sizeof(path), "%s/42/fd/x9", root);
	ck_assert_int_eq(symlink("socket:[99]", path), 0);

	ck_assert_int_eq(procs_collect(m, root, 5000, &complete, &st, &err), 0);
	ck_assert(complete);
	ck_assert_uint_eq(st.processes, 1);
	ck_assert_uint_eq(st.unreadable, 0);
	ck_assert_uint_eq(procs_wanted(m), 1000);	/* the fakes and "x9" not among them */
	ck_assert(!procs_known(m, 12));
	ck_assert(!procs_known(m, 13));
	ck_assert(!procs_known(m, 99));
	for (i = 0; i < 1000; i++) {
		ck_assert_uint_eq(procs_lookup(m, 100000 + i, o, 2, &total), 1);
		ck_assert_int_eq(o[0].pid, 42);
		ck_assert_int_eq(o[0].fd, (int)i);
	}
	ck_assert_str_eq(o[0].comm, "a-very-long-com");
	/* Sized at once; not again once in use. */
	ck_assert_int_eq(procs_reserve(m, 10, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	procs_free(m);

	/* Sized for the 1,000 first. */
	m = procs_new();
	ck_assert_int_eq(procs_reserve(m, 1000, &err), 0);
	before = procs_bytes(m);
	ck_assert_int_eq(procs_collect(m, root, 5000, &complete, &st, &err), 0);
	ck_assert(complete);
	ck_assert_uint_eq(procs_wanted(m), 1000);
	ck_assert_uint_eq(procs_found(m), 1000);
	/* 1,000 at most 70% full: 1,429 slots at least, in steps of 64, of 8 bytes. */
	ck_assert_uint_ge(before, 1429 * 8);
	ck_assert_uint_lt(before, (1429 + 64) * 8 + 1024);
	procs_free(m);

	/*
	 * Past the cap on owners (10 here): the others are counted, per
	 * socket, not kept; the table grows meanwhile (64 slots to 2,048),
	 * and the counts move with it.
	 */
	m = procs_new();
	procs_limit_owners(m, 10);
	ck_assert_int_eq(procs_collect(m, root, 5000, &complete, &st, &err), 0);
	ck_assert(complete);
	ck_assert_uint_eq(procs_wanted(m), 1000);
	ck_assert_uint_eq(procs_found(m), 1000);
	ck_assert_uint_eq(st.dropped_owners, 990);
	for (i = 0, kept = 0; i < 1000; i++) {
		kept += procs_lookup(m, 100000 + i, o, 2, &total);
		ck_assert_uint_eq(total, 1);
	}
	ck_assert_uint_eq(kept, 10);
	procs_free(m);

	for (i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "%s/42/fd/%zu", root, i);
		unlink(path);
	}
	for (i = 0; i < sizeof(fake) / sizeof(fake[0]); i++) {
		snprintf(path, sizeof(path), "%s/42/fd/%zu", root, 2000 + i);
		unlink(path);
	}
	snprintf(path, sizeof(path), "%s/42/fd/x9", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/42/fd", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/42/comm", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/42", root);
	rmdir(path);
	rmdir(root);
}
END_TEST

/* A proc tree for the threaded scans: NPROC processes under root. */
#define TP_NPROC	300
#define TP_FDS		12

/* Socket inode of fd f of process p: every third one shared with p + 1. */
static unsigned int
tp_inode(size_t p, size_t f)
{
	if (f % 3 == 0 && p > 0)
		return (unsigned int)(500000 + (p - 1) * 100 + f);	/* p - 1's fd f */
	return (unsigned int)(500000 + p * 100 + f);
}

static void
tp_make(const char *root, bool make)
{
	char path[256], target[64];
	size_t p, f;
	FILE *fp;

	for (p = 0; p < TP_NPROC; p++) {
		snprintf(path, sizeof(path), "%s/%zu", root, 1000 + p);
		if (make) {
			ck_assert_int_eq(mkdir(path, 0700), 0);
			snprintf(path, sizeof(path), "%s/%zu/comm", root, 1000 + p);
			fp = fopen(path, "w");
			ck_assert_ptr_nonnull(fp);
			fprintf(fp, "proc-%zu\n", p);
			fclose(fp);
		}
		snprintf(path, sizeof(path), "%s/%zu/fd", root, 1000 + p);
		if (p % 50 == 7) {
			/* A file where the fd directory should be: unreadable. */
			if (make) {
				fp = fopen(path, "w");
				ck_assert_ptr_nonnull(fp);
				fclose(fp);
			} else {
				unlink(path);
			}
		} else {
			if (make)
				ck_assert_int_eq(mkdir(path, 0700), 0);
			for (f = 0; f < TP_FDS + 1; f++) {
				snprintf(path, sizeof(path), "%s/%zu/fd/%zu", root, 1000 + p, f);
				if (!make) {
					unlink(path);
					continue;
				}
				if (f == TP_FDS)	/* not a socket */
					snprintf(target, sizeof(target), "pipe:[%zu]", 9000 + p);
				else
					snprintf(target, sizeof(target), "socket:[%u]", tp_inode(p, f));
				ck_assert_int_eq(symlink(target, path), 0);
			}
			snprintf(path, sizeof(path), "%s/%zu/fd", root, 1000 + p);
			if (!make)
				rmdir(path);
		}
		if (!make) {
			snprintf(path, sizeof(path), "%s/%zu/comm", root, 1000 + p);
			unlink(path);
			snprintf(path, sizeof(path), "%s/%zu", root, 1000 + p);
			rmdir(path);
		}
	}
}

/* Every inode of the tree and its owners, as text: what a map answers. */
static void
tp_answers(const struct procs_map *m, char *out, size_t len)
{
	struct td_owner o[4];
	size_t p, f, n, k, total, used = 0;

	out[0] = '\0';
	for (p = 0; p < TP_NPROC; p++)
		for (f = 0; f < TP_FDS; f++) {
			unsigned int ino = (unsigned int)(500000 + p * 100 + f);

			n = procs_lookup(m, ino, o, 4, &total);
			used += (size_t)snprintf(out + used, len - used, "%u %d %zu:", ino,
			    procs_known(m, ino), total);
			for (k = 0; k < n; k++)
				used += (size_t)snprintf(out + used, len - used, " %d/%d/%s",
				    o[k].pid, o[k].fd, o[k].comm);
			used += (size_t)snprintf(out + used, len - used, "\n");
			ck_assert_uint_lt(used, len);
		}
}

static void
tp_count_proc(void *arg, int32_t pid, const char comm[16])
{
	size_t *n = arg;

	ck_assert_int_ge(pid, 1000);
	ck_assert_int_eq(strncmp(comm, "proc-", 5), 0);
	(*n)++;
}

/*
 * The scan by 1, 2 and 4 threads (procs_scan_threads) gives the same map:
 * every inode's owners (lowest pid first, shared ones in both processes),
 * the processes it names, what could not be read; so does the resolve of
 * some inodes only, and the collect past its cap is incomplete all the
 * same.  And a scan told to stop stops in every thread.
 */
/* A scan in a thread of its own, for procs_help to join. */
struct tp_beside {
	struct procs_map	*m;
	const char		*root;
	struct procs_stats	 st;
	struct td_err		 err;
	bool			 complete;
	int			 rc;
	atomic_bool		 done;
};

static void *
tp_beside_run(void *arg)
{
	struct tp_beside *b = arg;

	b->rc = procs_collect(b->m, b->root, 100000, &b->complete, &b->st, &b->err);
	atomic_store(&b->done, true);
	return NULL;
}

START_TEST(test_procs_threads)
{
	char root[] = "/tmp/td-procs-XXXXXX";
	static char want[TP_NPROC * TP_FDS * 64], got[TP_NPROC * TP_FDS * 64];
	static const unsigned int threads[] = { 1, 2, 4 };
	struct procs_map *m;
	struct td_err err = { 0 };
	struct procs_stats st;
	atomic_bool stop = true;
	size_t i, p, f, nprocs;
	bool complete;

	ck_assert_ptr_nonnull(mkdtemp(root));
	tp_make(root, true);
	for (i = 0; i < sizeof(threads) / sizeof(threads[0]); i++) {
		m = procs_new();
		procs_scan_threads(m, threads[i]);
		ck_assert_int_eq(procs_collect(m, root, 100000, &complete, &st, &err), 0);
		ck_assert(complete);
		ck_assert_uint_eq(st.processes, TP_NPROC);
		ck_assert_uint_eq(st.unreadable, TP_NPROC / 50);
		ck_assert_int_eq(st.unreadable_code, ENOTDIR);
		ck_assert_int_ge(st.cpu_ns, 0);
		nprocs = 0;
		procs_each_process(m, tp_count_proc, &nprocs);
		ck_assert_uint_eq(nprocs, TP_NPROC - TP_NPROC / 50);
		tp_answers(m, i == 0 ? want : got, sizeof(want));
		if (i > 0)
			ck_assert_str_eq(got, want);
		procs_free(m);

		/* The resolve of every other process's fd 1 and 3. */
		m = procs_new();
		procs_scan_threads(m, threads[i]);
		for (p = 0; p < TP_NPROC; p += 2)
			for (f = 1; f <= 3; f += 2)
				ck_assert_int_eq(procs_want(m, tp_inode(p, f), &err), 0);
		ck_assert_int_eq(procs_resolve(m, root, &st, &err), 0);
		ck_assert_uint_eq(st.processes, TP_NPROC);
		for (p = 0; p < TP_NPROC; p++) {
			struct td_owner o[2];
			size_t total;
			bool held = p % 50 != 7;

			ck_assert_uint_eq(procs_lookup(m, tp_inode(p, 1), o, 2, &total),
			    p % 2 == 0 && held ? 1 : 0);
			if (p % 2 == 0 && held) {
				ck_assert_int_eq(o[0].pid, (int)(1000 + p));
				ck_assert_int_eq(o[0].fd, 1);
			}
		}
		procs_free(m);

		/* Past the cap: incomplete, whichever thread got there. */
		m = procs_new();
		procs_scan_threads(m, threads[i]);
		ck_assert_int_eq(procs_collect(m, root, 100, &complete, &st, &err), 0);
		ck_assert(!complete);
		procs_free(m);

		m = procs_new();
		procs_scan_threads(m, threads[i]);
		procs_cancel_on(m, &stop);
		ck_assert_int_eq(procs_collect(m, root, 100000, &complete, &st, &err), -1);
		ck_assert_int_eq(err.code, ECANCELED);
		ck_assert(!complete);
		procs_free(m);
	}
	/*
	 * A scan beside other work, joined by this thread (procs_help) while it
	 * runs in another: every process counted once, the same answers.
	 */
	for (i = 0; i < 20; i++) {
		struct tp_beside b = { .root = root };
		pthread_t th;

		b.m = procs_new();
		procs_scan_threads(b.m, 2);
		procs_scan_beside(b.m);
		ck_assert(!procs_help(b.m));	/* no scan under way yet */
		ck_assert_int_eq(pthread_create(&th, NULL, tp_beside_run, &b), 0);
		while (!atomic_load(&b.done) && !procs_help(b.m))
			sched_yield();
		ck_assert_int_eq(pthread_join(th, NULL), 0);
		ck_assert(!procs_help(b.m));	/* over */
		ck_assert_int_eq(b.rc, 0);
		ck_assert(b.complete);
		ck_assert_uint_eq(b.st.processes, TP_NPROC);
		ck_assert_uint_eq(b.st.unreadable, TP_NPROC / 50);
		tp_answers(b.m, got, sizeof(got));
		ck_assert_str_eq(got, want);
		procs_free(b.m);
	}
	/* 0: one per CPU, at most PROCS_SCAN_THREADS; the answer is the same. */
	m = procs_new();
	procs_scan_threads(m, 0);
	ck_assert_int_eq(procs_collect(m, root, 100000, &complete, &st, &err), 0);
	tp_answers(m, got, sizeof(got));
	ck_assert_str_eq(got, want);
	procs_free(m);
	tp_make(root, false);
	ck_assert_int_eq(rmdir(root), 0);
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
	tc = tcase_create("procs_collect");
	tcase_add_test(tc, test_procs_collect_fixture);
	tcase_add_test(tc, test_procs_collect_own_socket);
	tcase_add_test(tc, test_procs_cancel_and_wide_inode);
	tcase_add_test(tc, test_procs_scan_edges);
	tcase_add_test(tc, test_procs_threads);
	suite_add_tcase(s, tc);
	tc = tcase_create("procs_want");
	tcase_add_test(tc, test_procs_want_many);
	tcase_add_test(tc, test_procs_want_cap);
	suite_add_tcase(s, tc);
	return s;
}
