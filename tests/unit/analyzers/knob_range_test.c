/* SPDX-License-Identifier: MIT */
/*
 * Tests for analyzers/knob_range.c and the range checks of tune --audit:
 * every knob the audit knows has a range; the edges are accepted, one past
 * them is invalid, 0 is accepted where the kernel takes it, numbers beyond
 * 64 bits (ERANGE) and garbage are invalid, through audit_file() as well.
 */
#include "tests/unit/check_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/advice.h"
#include "analyzers/audit.h"
#include "analyzers/knob_range.h"
#include "tests/unit/analyzers/synth.h"

/* Audit one line; returns the verdict name of the only judged line. */
static const char *
audit_one(const char *line, char *why, size_t len)
{
	static char verdict[32];
	struct td_snapshot snap;
	struct td_audit a = { 0 };
	struct td_err err = { 0 };
	char path[] = "/tmp/td-knob-test.XXXXXX";
	FILE *fp;
	int fd;

	synth_snap(&snap);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fprintf(fp, "%s\n", line);
	fclose(fp);
	ck_assert_msg(audit_file(&a, path, &snap, &err) == 0, "%s: %s", line, err.msg);
	unlink(path);
	ck_assert_uint_eq(a.n, 1);
	snprintf(verdict, sizeof(verdict), "%s", td_verdict_name(a.v[0].verdict));
	snprintf(why, len, "%s", a.v[0].why);
	audit_free(&a);
	return verdict;
}

/* A value of n fields, each x. */
static void
fill(char *buf, size_t len, int n, long long x)
{
	int i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		off += snprintf(buf + off, len - (size_t)off, "%s%lld", i ? " " : "", x);
}

START_TEST(test_every_advice_knob_has_a_range)
{
	size_t i;

	for (i = 0; i < td_advice_count; i++)
		ck_assert_msg(knob_range_find(td_advice_table[i].name) != NULL,
		    "%s has no kernel range", td_advice_table[i].name);
	for (i = 0; i < knob_range_count; i++)
		ck_assert_msg(advice_find(knob_ranges[i].name) != NULL,
		    "%s has a range but no advice", knob_ranges[i].name);
}
END_TEST

/* min and max pass, one past them fails, for each numeric knob (loop over the table). */
START_TEST(test_edges)
{
	const struct knob_range *r = &knob_ranges[_i];
	char val[128], why[256];
	int64_t v[3];

	if (r->n == 0)
		return;
	fill(val, sizeof(val), r->n, (long long)r->min);
	ck_assert_msg(knob_range_check(r, val, v, why, sizeof(why)) == 0, "%s = %s: %s", r->name, val, why);
	ck_assert_int_eq(v[0], r->min);
	fill(val, sizeof(val), r->n, (long long)r->max);
	ck_assert_msg(knob_range_check(r, val, v, why, sizeof(why)) == 0, "%s = %s: %s", r->name, val, why);
	ck_assert_int_eq(v[r->n - 1], r->max);
	if (r->min > INT64_MIN) {
		fill(val, sizeof(val), r->n, (long long)r->min - 1);
		ck_assert_msg(knob_range_check(r, val, v, why, sizeof(why)) < 0, "%s = %s accepted", r->name, val);
		ck_assert_msg(strstr(why, "out of range") != NULL, "%s: %s", r->name, why);
	}
	if (r->max < INT64_MAX) {
		fill(val, sizeof(val), r->n, (long long)r->max + 1);
		ck_assert_msg(knob_range_check(r, val, v, why, sizeof(why)) < 0, "%s = %s accepted", r->name, val);
	}
	/* Beyond 64 bits: ERANGE, never a wrapped or saturated number. */
	ck_assert_int_lt(knob_range_check(r, "99999999999999999999999", v, why, sizeof(why)), 0);
	ck_assert_msg(strstr(why, "ERANGE") != NULL, "%s: %s", r->name, why);
	ck_assert_int_lt(knob_range_check(r, "-99999999999999999999999", v, why, sizeof(why)), 0);
	/* Garbage, too few and too many fields, trailing junk. */
	ck_assert_int_lt(knob_range_check(r, "abc", v, why, sizeof(why)), 0);
	ck_assert_int_lt(knob_range_check(r, "", v, why, sizeof(why)), 0);
	ck_assert_int_lt(knob_range_check(r, "5x", v, why, sizeof(why)), 0);
	ck_assert_int_lt(knob_range_check(r, "+5", v, why, sizeof(why)), 0);
	ck_assert_int_lt(knob_range_check(r, "nan", v, why, sizeof(why)), 0);
	fill(val, sizeof(val), r->n + 1, (long long)r->max);
	ck_assert_int_lt(knob_range_check(r, val, v, why, sizeof(why)), 0);
}
END_TEST

/* The same edges through audit_file(): in range is never invalid, out of range always is. */
START_TEST(test_audit_edges)
{
	const struct knob_range *r = &knob_ranges[_i];
	char line[256], val[128], why[1024];
	const char *got;

	if (r->n == 0)
		return;
	/* ip_local_port_range's LOW also has to clear ip_unprivileged_port_start. */
	fill(val, sizeof(val), r->n, strcmp(r->name, "net.ipv4.ip_local_port_range") == 0 ?
	    1024 : (long long)r->min);
	snprintf(line, sizeof(line), "%s = %s", r->name, val);
	got = audit_one(line, why, sizeof(why));
	ck_assert_msg(strcmp(got, "invalid") != 0, "%s: %s", line, why);
	fill(val, sizeof(val), r->n, (long long)r->max);
	snprintf(line, sizeof(line), "%s = %s", r->name, val);
	got = audit_one(line, why, sizeof(why));
	ck_assert_msg(strcmp(got, "invalid") != 0, "%s: %s", line, why);
	if (r->max < INT64_MAX) {
		fill(val, sizeof(val), r->n, (long long)r->max + 1);
		snprintf(line, sizeof(line), "%s = %s", r->name, val);
		ck_assert_str_eq(audit_one(line, why, sizeof(why)), "invalid");
	}
	snprintf(line, sizeof(line), "%s = 99999999999999999999999", r->name);
	ck_assert_str_eq(audit_one(line, why, sizeof(why)), "invalid");
	snprintf(line, sizeof(line), "%s = garbage", r->name);
	ck_assert_str_eq(audit_one(line, why, sizeof(why)), "invalid");
}
END_TEST

static const struct {
	const char	*line, *verdict, *words;
} zeros[] = {
	/* Issue 8: the kernel takes these 0s; they are judged, not refused. */
	{ "net.ipv4.tcp_synack_retries = 0", "caution", "dropped after 1 s" },
	{ "net.ipv4.tcp_keepalive_probes = 0", "harmful", "without asking the peer" },
	{ "net.ipv4.tcp_keepalive_time = 0", "harmful", "accepted by the kernel" },
	{ "net.ipv4.tcp_keepalive_intvl = 0", "harmful", "accepted by the kernel" },
	{ "net.ipv4.tcp_orphan_retries = 0", "fine", "treats it as 8" },
	{ "net.ipv4.tcp_retries2 = 0", "harmful", "die after" },
	{ "net.ipv4.tcp_syn_linear_timeouts = 0", "fine", "" },
	{ "net.core.somaxconn = 0", "harmful", "" },
	{ "net.ipv4.tcp_syn_retries = 0", "invalid", "1 to 127" },
	{ "net.ipv4.tcp_tw_reuse_delay = 0", "invalid", "1 to 60000" },
	{ "net.ipv4.tcp_syncookies = 3", "caution", "acts as 1" },
	{ "net.ipv4.tcp_max_tw_buckets = -1", "harmful", "no connection ever enters TIME_WAIT" },
	{ "net.ipv4.tcp_syn_retries = 010", "fine", "371 s" },	/* base 0, as the kernel: 8 */
	{ "net.ipv4.ip_local_port_range = 1000 61000", "invalid", "ip_unprivileged_port_start" },
	{ "net.ipv4.tcp_keepalive_time = 21474836", "fine", "" },
	{ "net.ipv4.tcp_keepalive_time = 21474837", "invalid", "out of range" },
	/* UB before: a huge interval times the probes overflowed (advice.c, j_keepalive_time). */
	{ "net.ipv4.tcp_keepalive_intvl = 9223372036854775807", "invalid", "out of range" },
	{ "net.ipv4.tcp_wmem = 3 2 1", "harmful", "out of order" },
	{ "net.ipv4.tcp_rmem = 4095 131072 6291456", "invalid", "4096" },
};

START_TEST(test_audit_values)
{
	char why[1024];
	const char *got = audit_one(zeros[_i].line, why, sizeof(why));

	ck_assert_msg(strcmp(got, zeros[_i].verdict) == 0, "%s: %s (%s)", zeros[_i].line, got, why);
	ck_assert_msg(strstr(why, zeros[_i].words) != NULL, "%s: %s", zeros[_i].line, why);
}
END_TEST

/* A file using the other knobs' huge values must not overflow the keepalive sum. */
START_TEST(test_audit_other_values_bounded)
{
	struct td_snapshot snap;
	struct td_audit a = { 0 };
	struct td_err err = { 0 };
	char path[] = "/tmp/td-knob-test.XXXXXX";
	FILE *fp;
	int fd = mkstemp(path);

	synth_snap(&snap);
	fp = fdopen(fd, "w");
	fputs("net.ipv4.tcp_keepalive_intvl = 9223372036854775807\n"
	    "net.ipv4.tcp_keepalive_probes = 9223372036854775807\n"
	    "net.ipv4.tcp_keepalive_time = 21474836\n", fp);
	fclose(fp);
	ck_assert_int_eq(audit_file(&a, path, &snap, &err), 0);
	unlink(path);
	ck_assert_uint_eq(a.n, 3);
	/* The out-of-range neighbours are ignored: the host's 75 and 9 are used. */
	ck_assert_msg(strstr(a.v[2].why, "21474836 + 9 x 75 = 21475511 s") != NULL, "%s", a.v[2].why);
	audit_free(&a);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/knob_range");
	TCase *tc = tcase_create("knob_range");

	tcase_add_test(tc, test_every_advice_knob_has_a_range);
	tcase_add_loop_test(tc, test_edges, 0, (int)knob_range_count);
	tcase_add_loop_test(tc, test_audit_edges, 0, (int)knob_range_count);
	tcase_add_loop_test(tc, test_audit_values, 0, sizeof(zeros) / sizeof(zeros[0]));
	tcase_add_test(tc, test_audit_other_values_bounded);
	suite_add_tcase(s, tc);
	return s;
}
