/* SPDX-License-Identifier: MIT */
/*
 * Tests for core/safefile.c: what each kind of path becomes when written,
 * read or locked, and the sweeping of stale temporary files.  Device nodes
 * of our own (mknod) need root; those cases use /dev/null otherwise.
 */
#include "tests/unit/check_main.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/safefile.h"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/td-safefile-test.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	umask(022);
}

static void
teardown(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		abort();
}

static const char *
at(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	ck_assert_ptr_nonnull(fp);
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
}

static const char *
get(const char *path)
{
	static char buf[256];
	FILE *fp = fopen(path, "r");
	size_t n;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	return buf;
}

/* Entries of dir, except . and .. */
static int
entries(void)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static int
write_file(const char *path, unsigned int flags, mode_t mode, const char *text, struct td_err *err)
{
	struct safefile sf;

	if (safefile_create(&sf, "output", path, flags, mode, err) < 0)
		return -1;
	fputs(text, sf.fp);
	return safefile_commit(&sf, err);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- safefile_create / commit ---- */

START_TEST(test_create_new_file_mode)
{
	struct td_err err = { 0 };
	struct stat st;

	ck_assert_int_eq(write_file(at("new"), 0, 0600, "hello\n", &err), 0);
	ck_assert_str_eq(get(at("new")), "hello\n");
	ck_assert_int_eq(stat(at("new"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(entries(), 1);		/* no temporary file left */
}
END_TEST

START_TEST(test_create_keeps_owner_and_mode)
{
	struct td_err err = { 0 };
	struct stat st, old;

	put(at("keep"), "old\n");
	ck_assert_int_eq(chmod(at("keep"), 02640), 0);
	if (geteuid() == 0)
		ck_assert_int_eq(chown(at("keep"), 65534, 65534), 0);
	ck_assert_int_eq(stat(at("keep"), &old), 0);
	ck_assert_int_eq(write_file(at("keep"), 0, 0600, "new\n", &err), 0);
	ck_assert_str_eq(get(at("keep")), "new\n");
	ck_assert_int_eq(stat(at("keep"), &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);	/* set-gid dropped */
	ck_assert_uint_eq(st.st_uid, old.st_uid);
	ck_assert_uint_eq(st.st_gid, old.st_gid);
	ck_assert_uint_ne(st.st_ino, old.st_ino);	/* replaced, not rewritten */
	ck_assert_int_eq(entries(), 1);
}
END_TEST

START_TEST(test_create_owned_refuses_other_user)
{
	struct td_err err = { 0 };

	if (geteuid() != 0)
		return;		/* only root can give a file away */
	put(at("theirs"), "x\n");
	ck_assert_int_eq(chown(at("theirs"), 65534, 65534), 0);
	ck_assert_int_eq(write_file(at("theirs"), SAFEFILE_PRIVATE, 0600, "y\n", &err), -1);
	ck_assert_int_eq(err.code, EPERM);
	ck_assert_ptr_nonnull(strstr(err.msg, "belongs to uid 65534"));
	ck_assert_str_eq(get(at("theirs")), "x\n");
}
END_TEST

START_TEST(test_create_char_device_written_through)
{
	struct td_err err = { 0 };
	const char *null = at("null");
	struct stat st;

	if (geteuid() != 0 || mknod(null, S_IFCHR | 0666, makedev(1, 3)) < 0)
		null = "/dev/null";
	ck_assert_int_eq(write_file(null, 0, 0600, "gone\n", &err), 0);
	ck_assert_int_eq(stat(null, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_uint_eq(major(st.st_rdev), 1);
	ck_assert_uint_eq(minor(st.st_rdev), 3);
	/* A regular file is required: refused, still a device. */
	ck_assert_int_eq(write_file(null, SAFEFILE_REGULAR, 0600, "x", &err), -1);
	ck_assert_int_eq(err.code, SAFEFILE_EKIND);
	ck_assert_int_eq(stat(null, &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
}
END_TEST

START_TEST(test_create_fifo_without_reader_fails_fast)
{
	struct td_err err = { 0 };
	struct stat st;
	double t0;

	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	t0 = now_s();
	ck_assert_int_eq(write_file(at("fifo"), 0, 0600, "x\n", &err), -1);
	ck_assert(now_s() - t0 < 1.0);
	ck_assert_int_eq(err.code, ENXIO);
	ck_assert_ptr_nonnull(strstr(err.msg, "FIFO with no reader"));
	ck_assert_int_eq(stat(at("fifo"), &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

START_TEST(test_create_fifo_with_reader_written_through)
{
	struct td_err err = { 0 };
	struct stat st;
	char buf[32];
	ssize_t n;
	int rfd;

	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	rfd = open(at("fifo"), O_RDONLY | O_NONBLOCK);
	ck_assert_int_ge(rfd, 0);
	ck_assert_int_eq(write_file(at("fifo"), 0, 0600, "through\n", &err), 0);
	n = read(rfd, buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 8);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "through\n");
	close(rfd);
	ck_assert_int_eq(stat(at("fifo"), &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
}
END_TEST

START_TEST(test_create_directory_is_error)
{
	struct td_err err = { 0 };

	ck_assert_int_eq(mkdir(at("d"), 0700), 0);
	ck_assert_int_eq(write_file(at("d"), 0, 0600, "x", &err), -1);
	ck_assert_int_eq(err.code, EISDIR);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a directory"));
	ck_assert_ptr_nonnull(strstr(err.msg, at("d")));
	ck_assert_int_eq(entries(), 1);
}
END_TEST

START_TEST(test_create_empty_name_is_error)
{
	struct td_err err = { 0 };

	ck_assert_int_eq(write_file("", 0, 0600, "x", &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_str_eq(err.msg, "output '': an empty name is not a file");
}
END_TEST

START_TEST(test_create_follows_own_link_to_regular)
{
	struct td_err err = { 0 };
	struct stat st;

	put(at("target"), "old\n");
	ck_assert_int_eq(symlink("target", at("link")), 0);
	ck_assert_int_eq(write_file(at("link"), 0, 0600, "new\n", &err), 0);
	ck_assert_int_eq(lstat(at("link"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));		/* the link stays a link */
	ck_assert_str_eq(get(at("target")), "new\n");
	ck_assert_int_eq(entries(), 2);
}
END_TEST

START_TEST(test_create_nofollow_refuses_link)
{
	struct td_err err = { 0 };

	put(at("target"), "old\n");
	ck_assert_int_eq(symlink("target", at("link")), 0);
	ck_assert_int_eq(write_file(at("link"), SAFEFILE_NOFOLLOW, 0600, "new\n", &err), -1);
	ck_assert_int_eq(err.code, SAFEFILE_EKIND);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a symbolic link"));
	ck_assert_str_eq(get(at("target")), "old\n");
}
END_TEST

START_TEST(test_create_refuses_link_of_other_user)
{
	struct td_err err = { 0 };
	struct stat st;

	if (geteuid() != 0)
		return;
	put(at("target"), "old\n");
	ck_assert_int_eq(symlink("target", at("link")), 0);
	ck_assert_int_eq(lchown(at("link"), 65534, 65534), 0);
	ck_assert_int_eq(write_file(at("link"), 0, 0600, "new\n", &err), -1);
	ck_assert_int_eq(err.code, SAFEFILE_EKIND);
	ck_assert_ptr_nonnull(strstr(err.msg, "owned by uid 65534"));
	ck_assert_str_eq(get(at("target")), "old\n");
	ck_assert_int_eq(lstat(at("link"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

START_TEST(test_create_link_to_device_written_through)
{
	struct td_err err = { 0 };
	struct stat st;

	ck_assert_int_eq(symlink("/dev/null", at("link")), 0);
	ck_assert_int_eq(write_file(at("link"), 0, 0600, "x\n", &err), 0);
	ck_assert_int_eq(stat("/dev/null", &st), 0);
	ck_assert(S_ISCHR(st.st_mode));
	ck_assert_int_eq(lstat(at("link"), &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

START_TEST(test_create_descriptor_name)
{
	struct td_err err = { 0 };
	char path[64], buf[32];
	int p[2];
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[1]);
	ck_assert_int_eq(write_file(path, 0, 0600, "piped\n", &err), 0);
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	ck_assert_int_eq(n, 6);
	buf[n] = '\0';
	ck_assert_str_eq(buf, "piped\n");
	close(p[0]);
	ck_assert_int_eq(write_file("/dev/fd/987", 0, 0600, "x", &err), -1);
	ck_assert_int_eq(err.code, EBADF);
}
END_TEST

START_TEST(test_abort_leaves_old_file)
{
	struct td_err err = { 0 };
	struct safefile sf;

	put(at("f"), "old\n");
	ck_assert_int_eq(safefile_create(&sf, "output", at("f"), 0, 0600, &err), 0);
	fputs("half", sf.fp);
	safefile_abort(&sf);
	ck_assert_str_eq(get(at("f")), "old\n");
	ck_assert_int_eq(entries(), 1);
}
END_TEST

START_TEST(test_commit_reports_write_error)
{
	struct td_err err = { 0 };
	struct safefile sf;

	put(at("f"), "old\n");
	ck_assert_int_eq(safefile_create(&sf, "output", at("f"), 0, 0600, &err), 0);
	/* A descriptor that cannot be written stands in for a full disk. */
	close(sf.fd);
	sf.fd = open("/dev/null", O_RDONLY);
	fputs("new\n", sf.fp);
	ck_assert_int_eq(safefile_commit(&sf, &err), -1);
	ck_assert_int_eq(err.code, EBADF);
	ck_assert_ptr_nonnull(strstr(err.msg, "write failed"));
	ck_assert_ptr_nonnull(strstr(err.msg, at("f")));
	ck_assert_str_eq(get(at("f")), "old\n");
	ck_assert_int_eq(entries(), 1);
}
END_TEST

/* ---- Input ---- */

static int
read_input(const char *path, unsigned int flags, struct td_err *err, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = safefile_open_input("config", path, flags, err);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return 0;
}

START_TEST(test_input_regular)
{
	struct td_err err = { 0 };
	char buf[64];

	put(at("in"), "data\n");
	ck_assert_int_eq(read_input(at("in"), 0, &err, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "data\n");
	ck_assert_int_eq(read_input(at("none"), 0, &err, buf, sizeof(buf)), -1);
	ck_assert_int_eq(err.code, ENOENT);
}
END_TEST

START_TEST(test_input_fifo_refused_fast)
{
	struct td_err err = { 0 };
	char buf[64];
	double t0;

	ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
	t0 = now_s();
	ck_assert_int_eq(read_input(at("fifo"), 0, &err, buf, sizeof(buf)), -1);
	ck_assert(now_s() - t0 < 1.0);
	ck_assert_int_eq(err.code, SAFEFILE_EKIND);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a FIFO"));
}
END_TEST

START_TEST(test_input_directory_and_devices)
{
	struct td_err err = { 0 };
	char buf[64];

	ck_assert_int_eq(read_input(dir, 0, &err, buf, sizeof(buf)), -1);
	ck_assert_int_eq(err.code, EISDIR);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(read_input("/dev/null", 0, &err, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(read_input("/dev/null", SAFEFILE_REGULAR, &err, buf, sizeof(buf)), -1);
	ck_assert_int_eq(err.code, SAFEFILE_EKIND);
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(read_input("/dev/zero", 0, &err, buf, sizeof(buf)), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a character device"));
}
END_TEST

START_TEST(test_input_pipe_by_descriptor_name)
{
	struct td_err err = { 0 };
	char path[64], buf[64];
	int p[2], saved;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "sub\n", 4), 4);
	close(p[1]);
	snprintf(path, sizeof(path), "/dev/fd/%d", p[0]);	/* what bash's <(...) gives */
	ck_assert_int_eq(read_input(path, 0, &err, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "sub\n");
	close(p[0]);
	/* "-" is standard input. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "stdin\n", 6), 6);
	close(p[1]);
	saved = dup(0);
	dup2(p[0], 0);
	close(p[0]);
	ck_assert_int_eq(read_input("-", 0, &err, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "stdin\n");
	dup2(saved, 0);
	close(saved);
	/* Not for a file that must be regular. */
	ck_assert_int_eq(read_input("-", SAFEFILE_PRIVATE, &err, buf, sizeof(buf)), -1);
	ck_assert_int_eq(err.code, ENOENT);
}
END_TEST

START_TEST(test_input_owned_link_of_other_user_refused)
{
	struct td_err err = { 0 };
	char buf[64];

	if (geteuid() != 0)
		return;
	put(at("secret"), "secret\n");
	ck_assert_int_eq(symlink("secret", at("link")), 0);
	ck_assert_int_eq(lchown(at("link"), 65534, 65534), 0);
	ck_assert_int_eq(read_input(at("link"), 0, &err, buf, sizeof(buf)), -1);
	ck_assert_int_eq(err.code, SAFEFILE_EKIND);
}
END_TEST

/* ---- safefile_check / safefile_open_private ---- */

START_TEST(test_check_kinds)
{
	struct td_err err = { 0 };

	ck_assert_int_eq(safefile_check("state file", at("missing"), SAFEFILE_PRIVATE, &err), 0);
	put(at("reg"), "x");
	ck_assert_int_eq(safefile_check("state file", at("reg"), SAFEFILE_PRIVATE, &err), 0);
	ck_assert_int_eq(safefile_check("state file", dir, SAFEFILE_PRIVATE, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a directory"));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(safefile_check("state file", "/dev/null", SAFEFILE_PRIVATE, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a character device"));
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(safefile_check("state file", "", SAFEFILE_PRIVATE, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_int_eq(entries(), 1);
}
END_TEST

START_TEST(test_open_private_creates_and_refuses)
{
	struct td_err err = { 0 };
	struct stat st;
	int fd;

	fd = safefile_open_private("lock", at("a.lock"), 0600, &err);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(stat(at("a.lock"), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	fd = safefile_open_private("lock", at("a.lock"), 0600, &err);	/* existing */
	ck_assert_int_ge(fd, 0);
	close(fd);
	/* A planted link is refused and its target never created. */
	ck_assert_int_eq(symlink("victim", at("b.lock")), 0);
	ck_assert_int_eq(safefile_open_private("lock", at("b.lock"), 0600, &err), -1);
	ck_assert_int_eq(err.code, SAFEFILE_EKIND);
	ck_assert_int_eq(lstat(at("victim"), &st), -1);
	/* A FIFO is refused without blocking. */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(mkfifo(at("c.lock"), 0600), 0);
	ck_assert_int_eq(safefile_open_private("lock", at("c.lock"), 0600, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is a FIFO"));
}
END_TEST

/* ---- Stale temporary files ---- */

/* A pid that certainly ran and is gone: a reaped child. */
static pid_t
dead_pid(void)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return pid;
}

START_TEST(test_proc_start)
{
	unsigned long long a, b;

	ck_assert_int_eq(safefile_proc_start(getpid(), &a), 0);
	ck_assert_int_eq(safefile_proc_start(getpid(), &b), 0);
	ck_assert(a == b && a > 0);
	ck_assert_int_eq(safefile_proc_start(dead_pid(), &a), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(test_sweep_only_stale_own_files)
{
	unsigned long long me;
	struct td_err err = { 0 };
	char name[128];
	struct stat st;

	ck_assert_int_eq(safefile_proc_start(getpid(), &me), 0);
	snprintf(name, sizeof(name), "s.prom.tcpdoctor-tmp-%d-12345-0badcafe", (int)dead_pid());
	put(at(name), "stale");			/* gone: swept */
	snprintf(name, sizeof(name), "t.prom.tcpdoctor-tmp-%d-%llu-00c0ffee", (int)getpid(), me);
	put(at(name), "live");			/* us: kept */
	snprintf(name, sizeof(name), "u.prom.tcpdoctor-tmp-%d-%llu-00c0ffee", (int)getppid(), 1ULL);
	put(at(name), "reused");		/* a pid now used by another process: swept */
	snprintf(name, sizeof(name), "v.prom.tcpdoctor-tmp-%d-12345-0badcafeX", (int)dead_pid());
	put(at(name), "not ours");		/* not exactly our pattern: kept */
	snprintf(name, sizeof(name), "w.prom.tcpdoctor-tmp-%d-12345-0badcafe", (int)dead_pid());
	ck_assert_int_eq(symlink("x", at(name)), 0);	/* a link: never ours */
	ck_assert_int_eq(safefile_sweep(dir, &err), 2);
	ck_assert_int_eq(entries(), 3);
	snprintf(name, sizeof(name), "t.prom.tcpdoctor-tmp-%d-%llu-00c0ffee", (int)getpid(), me);
	ck_assert_int_eq(stat(at(name), &st), 0);
}
END_TEST

START_TEST(test_create_sweeps_then_writes)
{
	struct td_err err = { 0 };
	char name[128];

	snprintf(name, sizeof(name), "out.prom.tcpdoctor-tmp-%d-99-deadbeef", (int)dead_pid());
	put(at(name), "left by a killed run");
	ck_assert_int_eq(write_file(at("out.prom"), 0, 0644, "x 1\n", &err), 0);
	ck_assert_int_eq(entries(), 1);
}
END_TEST

START_TEST(test_mkdtemp_sweeps_dead_owner)
{
	struct td_err err = { 0 };
	char name[128], path[320], mine[256];
	struct stat st;

	snprintf(name, sizeof(name), "td-watch-%d-77-0000abcd", (int)dead_pid());
	ck_assert_int_eq(mkdir(at(name), 0700), 0);
	snprintf(path, sizeof(path), "%s/state", at(name));
	put(path, "s");
	ck_assert_int_eq(safefile_mkdtemp(mine, sizeof(mine), dir, "td-watch", &err), 0);
	ck_assert_int_eq(stat(at(name), &st), -1);
	ck_assert_int_eq(stat(mine, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/state", mine);
	put(path, "s");
	/* Our own live directory is never swept. */
	ck_assert_int_eq(safefile_mkdtemp(path, sizeof(path), dir, "td-watch", &err), 0);
	ck_assert_int_eq(stat(mine, &st), 0);
	safefile_rmdtemp(path);
	safefile_rmdtemp(mine);
	ck_assert_int_eq(entries(), 0);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("core/safefile");
	TCase *tc;

	tc = tcase_create("safefile_create");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_new_file_mode);
	tcase_add_test(tc, test_create_keeps_owner_and_mode);
	tcase_add_test(tc, test_create_owned_refuses_other_user);
	tcase_add_test(tc, test_create_char_device_written_through);
	tcase_add_test(tc, test_create_fifo_without_reader_fails_fast);
	tcase_add_test(tc, test_create_fifo_with_reader_written_through);
	tcase_add_test(tc, test_create_directory_is_error);
	tcase_add_test(tc, test_create_empty_name_is_error);
	tcase_add_test(tc, test_create_follows_own_link_to_regular);
	tcase_add_test(tc, test_create_nofollow_refuses_link);
	tcase_add_test(tc, test_create_refuses_link_of_other_user);
	tcase_add_test(tc, test_create_link_to_device_written_through);
	tcase_add_test(tc, test_create_descriptor_name);
	tcase_add_test(tc, test_abort_leaves_old_file);
	tcase_add_test(tc, test_commit_reports_write_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("safefile_open_input");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_input_regular);
	tcase_add_test(tc, test_input_fifo_refused_fast);
	tcase_add_test(tc, test_input_directory_and_devices);
	tcase_add_test(tc, test_input_pipe_by_descriptor_name);
	tcase_add_test(tc, test_input_owned_link_of_other_user_refused);
	suite_add_tcase(s, tc);

	tc = tcase_create("safefile_open_private");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_check_kinds);
	tcase_add_test(tc, test_open_private_creates_and_refuses);
	suite_add_tcase(s, tc);

	tc = tcase_create("safefile_sweep");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_proc_start);
	tcase_add_test(tc, test_sweep_only_stale_own_files);
	tcase_add_test(tc, test_create_sweeps_then_writes);
	tcase_add_test(tc, test_mkdtemp_sweeps_dead_owner);
	suite_add_tcase(s, tc);
	return s;
}
