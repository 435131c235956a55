/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/advice.c and audit.c: the knob table and the sysctl.conf judge. */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/advice.h"
#include "analyzers/audit.h"
#include "tests/unit/analyzers/synth.h"

#define SEED	TD_SRCDIR "/tests/fixtures/sysctl/seed-article.conf"

START_TEST(test_advice_find_forms)
{
	const struct td_advice *a = advice_find("net.ipv4.tcp_fin_timeout");

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(advice_find("net/ipv4/tcp_fin_timeout"), a);
	ck_assert_ptr_eq(advice_find("tcp_fin_timeout"), a);
	ck_assert_ptr_null(advice_find("tcp_frobnicate"));
	ck_assert_ptr_null(advice_find("net.ipv4.tcp_fin"));
	ck_assert_ptr_nonnull(strstr(a->not_fixes, "TIME_WAIT"));
}
END_TEST

/* Every knob the collectors read has an entry with the text explain prints. */
START_TEST(test_advice_covers_collected_knobs)
{
	const struct td_advice *a;
	unsigned int i;

	for (i = 0; i < TD_SYS_MAX; i++) {
		a = advice_find(td_sysctl_fields[i].name);
		ck_assert_msg(a != NULL, "no advice for %s", td_sysctl_fields[i].name);
		ck_assert_int_eq(a->sysctl_id, (int)i);
		ck_assert(a->meaning[0] != '\0' && a->dflt[0] != '\0');
	}
}
END_TEST

static const char *
verdict_of(const struct td_audit *a, const char *key)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].key, key) == 0)
			return td_verdict_name(a->v[i].verdict);
	return "absent";
}

START_TEST(test_audit_seed_article)
{
	struct td_snapshot snap;
	struct td_audit a = { 0 };
	struct td_err err = { 0 };
	size_t i;

	synth_snap(&snap);
	snap.ctr.v[TD_CTR_SOFTNET_DROPPED] = 0;
	ck_assert_int_eq(audit_file(&a, SEED, &snap, &err), 0);
	ck_assert_uint_eq(a.n, 10);
	for (i = 0; i < a.n; i++)
		ck_assert_msg(a.v[i].adv != NULL, "%s has no entry", a.v[i].key);
	ck_assert_str_eq(verdict_of(&a, "net.ipv4.tcp_tw_recycle"), "obsolete");
	ck_assert_str_eq(verdict_of(&a, "net.ipv4.tcp_fin_timeout"), "pointless");
	ck_assert_str_eq(verdict_of(&a, "net.ipv4.tcp_max_syn_backlog"), "pointless");
	ck_assert_str_eq(verdict_of(&a, "net.core.netdev_max_backlog"), "pointless");
	ck_assert_str_eq(verdict_of(&a, "net.ipv4.tcp_syncookies"), "fine");
	ck_assert_str_eq(verdict_of(&a, "net.ipv4.tcp_synack_retries"), "absent");	/* commented out */
	audit_free(&a);

	/* With softnet drops on the host, netdev_max_backlog is worth it. */
	snap.ctr.v[TD_CTR_SOFTNET_DROPPED] = 1234;
	ck_assert_int_eq(audit_file(&a, SEED, &snap, &err), 0);
	ck_assert_str_eq(verdict_of(&a, "net.core.netdev_max_backlog"), "fine");
	audit_free(&a);

	/* On a 4.9 kernel tcp_tw_recycle still exists and is harmful. */
	snprintf(snap.meta.kernel, sizeof(snap.meta.kernel), "4.9.0-19-amd64");
	ck_assert_int_eq(audit_file(&a, SEED, &snap, &err), 0);
	ck_assert_str_eq(verdict_of(&a, "net.ipv4.tcp_tw_recycle"), "harmful");
	audit_free(&a);
}
END_TEST

static const struct {
	const char	*line, *key, *verdict;
} common[] = {
	{ "net.ipv4.tcp_rmem = 4096 87380 16777216", "net.ipv4.tcp_rmem", "fine" },
	{ "net.ipv4.tcp_wmem = 4096 65536 1048576", "net.ipv4.tcp_wmem", "caution" },
	{ "net.ipv4.tcp_rmem = 1 2", "net.ipv4.tcp_rmem", "invalid" },
	{ "net.ipv4.tcp_sack = 0", "net.ipv4.tcp_sack", "harmful" },
	{ "net.ipv4.tcp_window_scaling = 0", "net.ipv4.tcp_window_scaling", "harmful" },
	{ "net.ipv4.tcp_max_tw_buckets = 5000", "net.ipv4.tcp_max_tw_buckets", "harmful" },
	{ "net.ipv4.tcp_syncookies = 2", "net.ipv4.tcp_syncookies", "harmful" },
	{ "net.core.somaxconn = 65535", "net.core.somaxconn", "fine" },
	{ "net.ipv4.tcp_orphan_retries = 0", "net.ipv4.tcp_orphan_retries", "fine" },
	{ "net.ipv4.tcp_abort_on_overflow = 1", "net.ipv4.tcp_abort_on_overflow", "caution" },
	{ "net.ipv4.ip_local_port_range = 1024 65000", "net.ipv4.ip_local_port_range", "caution" },
	{ "net.ipv4.ip_local_port_range = 1024 65535", "net.ipv4.ip_local_port_range", "fine" },
	{ "net.ipv4.tcp_low_latency = 1", "net.ipv4.tcp_low_latency", "obsolete" },
	{ "net.ipv4.tcp_frob = 1", "net.ipv4.tcp_frob", "unknown" },
};

/* One line at a time, as a file. */
START_TEST(test_audit_common_knobs)
{
	struct td_snapshot snap;
	struct td_audit a = { 0 };
	struct td_err err = { 0 };
	char path[] = "/tmp/td-audit-test.XXXXXX";
	FILE *fp;
	int fd;

	synth_snap(&snap);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "%s\n", common[_i].line);
	fclose(fp);
	ck_assert_int_eq(audit_file(&a, path, &snap, &err), 0);
	unlink(path);
	ck_assert_str_eq(verdict_of(&a, common[_i].key), common[_i].verdict);
	audit_free(&a);
}
END_TEST

START_TEST(test_audit_missing_file)
{
	struct td_audit a = { 0 };
	struct td_err err = { 0 };

	ck_assert_int_eq(audit_file(&a, "/nonexistent/sysctl.conf", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "--audit '/nonexistent/sysctl.conf': No such file or directory");
	audit_free(&a);
}
END_TEST

static void
write_text(char *path, const char *text, size_t len)
{
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

/* Issue 8: a file that is not a sysctl file is refused, not judged line by line. */
START_TEST(test_audit_refuses_non_sysctl_files)
{
	static const char passwd[] = "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1::/:/usr/sbin/nologin\n";
	static const char nul[] = "net.ipv4.tcp_syncookies = 1\n\177ELF\0\1\n";
	static const char empty[] = "# only comments\n\n";
	static const char some[] = "garbage line\nnet.ipv4.tcp_syncookies = 1\n";
	struct td_audit a = { 0 };
	struct td_err err = { 0 }, err2 = { 0 }, err3 = { 0 };
	char p1[] = "/tmp/td-audit-test.XXXXXX", p2[] = "/tmp/td-audit-test.XXXXXX";
	char p3[] = "/tmp/td-audit-test.XXXXXX", p4[] = "/tmp/td-audit-test.XXXXXX", want[256];

	write_text(p1, passwd, sizeof(passwd) - 1);
	ck_assert_int_eq(audit_file(&a, p1, NULL, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	snprintf(want, sizeof(want), "'%s': not a sysctl file: none of its 2 lines has the form 'key = value' with a dotted key", p1);
	ck_assert_str_eq(err.msg, want);
	ck_assert_uint_eq(a.n, 0);

	write_text(p2, nul, sizeof(nul) - 1);
	ck_assert_int_eq(audit_file(&a, p2, NULL, &err2), -1);
	snprintf(want, sizeof(want), "'%s': line 2 has a NUL byte: not a sysctl file", p2);
	ck_assert_str_eq(err2.msg, want);

	/* Only comments: an empty configuration, not an error. */
	write_text(p3, empty, sizeof(empty) - 1);
	ck_assert_int_eq(audit_file(&a, p3, NULL, &err3), 0);
	ck_assert_uint_eq(a.n, 0);

	/* One good line makes it a sysctl file; the garbage line is judged invalid. */
	write_text(p4, some, sizeof(some) - 1);
	ck_assert_int_eq(audit_file(&a, p4, NULL, &err3), 0);
	ck_assert_uint_eq(a.n, 2);
	ck_assert_str_eq(td_verdict_name(a.v[0].verdict), "invalid");
	ck_assert_str_eq(a.v[0].key, "garbage line");
	audit_free(&a);
	unlink(p1);
	unlink(p2);
	unlink(p3);
	unlink(p4);
}
END_TEST

/* Memory is bounded: lines of other subsystems are only counted; TCP lines stop at the bound. */
START_TEST(test_audit_bounds)
{
	struct td_audit a = { 0 };
	struct td_err err = { 0 }, err2 = { 0 };
	char p1[] = "/tmp/td-audit-test.XXXXXX", p2[] = "/tmp/td-audit-test.XXXXXX", want[256];
	FILE *fp;
	int i, fd;

	fd = mkstemp(p1);
	fp = fdopen(fd, "w");
	for (i = 0; i < 100000; i++)
		fprintf(fp, "vm.swappiness = %d\n", i % 100);
	fputs("net.ipv4.tcp_syncookies = 1\n", fp);
	fclose(fp);
	ck_assert_int_eq(audit_file(&a, p1, NULL, &err), 0);
	ck_assert_uint_eq(a.n, 1);
	ck_assert_uint_eq(a.other, 100000);
	audit_free(&a);

	fd = mkstemp(p2);
	fp = fdopen(fd, "w");
	for (i = 0; i <= AUDIT_MAX_SETTINGS; i++)
		fprintf(fp, "net.ipv4.tcp_fin_timeout = %d\n", 30 + i % 10);
	fclose(fp);
	ck_assert_int_eq(audit_file(&a, p2, NULL, &err2), -1);
	ck_assert_int_eq(err2.code, EOVERFLOW);
	snprintf(want, sizeof(want), "'%s': line %d: more than %d TCP settings in this run; a sysctl configuration has a few dozen",
	    p2, AUDIT_MAX_SETTINGS + 1, AUDIT_MAX_SETTINGS);
	ck_assert_str_eq(err2.msg, want);
	audit_free(&a);
	unlink(p1);
	unlink(p2);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/advice");
	TCase *tc = tcase_create("advice");

	tcase_add_test(tc, test_advice_find_forms);
	tcase_add_test(tc, test_advice_covers_collected_knobs);
	tcase_add_test(tc, test_audit_seed_article);
	tcase_add_loop_test(tc, test_audit_common_knobs, 0, sizeof(common) / sizeof(common[0]));
	tcase_add_test(tc, test_audit_missing_file);
	tcase_add_test(tc, test_audit_refuses_non_sysctl_files);
	tcase_add_test(tc, test_audit_bounds);
	suite_add_tcase(s, tc);
	return s;
}
