/* SPDX-License-Identifier: MIT */
/* Tests for analyzers/config.c: defaults, the INI file, --set, errors with FILE:LINE. */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyzers/analyzer.h"
#include "analyzers/config.h"

static char path[64];

static void
write_conf(const char *text)
{
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "/tmp/td-config-test.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fputs(text, fp);
	fclose(fp);
}

START_TEST(test_config_load_ok)
{
	struct td_config cfg;
	struct td_err err = { 0 };

	config_defaults(&cfg);
	ck_assert(cfg.v[TD_TH_CW_WARNING] == 5);
	write_conf("# comment\n; also\n\n[close_wait]\nwarning = 20\n  critical=300  \n"
	    "[resets]\nenabled = no\n[time_wait]\nwarning = 0.7\n");
	ck_assert_int_eq(config_load(&cfg, path, true, &err), 0);
	unlink(path);
	ck_assert(cfg.v[TD_TH_CW_WARNING] == 20);
	ck_assert(cfg.v[TD_TH_CW_CRITICAL] == 300);
	ck_assert(cfg.v[TD_TH_TW_WARNING] == 0.7);
	ck_assert(cfg.v[TD_TH_TW_CRITICAL] == 0.9);	/* untouched */
	ck_assert(cfg.disabled == UINT64_C(1) << analyzer_index("resets"));
}
END_TEST

static const struct {
	const char	*text;
	const char	*msg;		/* after "PATH:" */
} bad[] = {
	{ "[close_wait]\nwarning = lots\n", "2: close_wait.warning: 'lots' is not a number" },
	{ "[close_wait]\nwarnings = 3\n", "2: unknown key 'warnings' in [close_wait]" },
	{ "\n[closewait]\n", "2: unknown section '[closewait]'" },
	{ "warning = 3\n", "1: 'warning = 3' before any [section]" },
	{ "[time_wait]\nwarning 0.5\n", "2: expected 'key = value', got 'warning 0.5'" },
	{ "[time_wait]\nwarning = 1.5\n", "2: time_wait.warning: 1.5 is out of range (0.01 to 1)" },
	{ "[time_wait]\nwarning =\n", "2: time_wait.warning: missing value" },
	{ "[orphans\n", "1: bad section line '[orphans' (want [name])" },
	{ "[resets]\nenabled = maybe\n", "2: resets.enabled: 'maybe' is not yes or no" },
};

START_TEST(test_config_load_errors)
{
	struct td_config cfg;
	struct td_err err = { 0 };
	char want[256];

	config_defaults(&cfg);
	write_conf(bad[_i].text);
	ck_assert_int_eq(config_load(&cfg, path, true, &err), -1);
	unlink(path);
	snprintf(want, sizeof(want), "%s:%s", path, bad[_i].msg);
	ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "got '%s', want '%s'", err.msg, want);
}
END_TEST

/* Issue 9: a NUL in a line was reported as "line too long"; say what is wrong. */
START_TEST(test_config_nul_and_long_lines)
{
	static const char nul[] = "[close_wait]\nwarning = 3\0 junk\n";
	struct td_config cfg;
	struct td_err err = { 0 }, err2 = { 0 };
	char want[256], longline[2100];
	FILE *fp;
	int fd;

	config_defaults(&cfg);
	snprintf(path, sizeof(path), "/tmp/td-config-test.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	fwrite(nul, 1, sizeof(nul) - 1, fp);
	fclose(fp);
	ck_assert_int_eq(config_load(&cfg, path, true, &err), -1);
	snprintf(want, sizeof(want), "%s:2: line has a NUL byte: not a text file", path);
	ck_assert_str_eq(err.msg, want);
	unlink(path);

	memset(longline, 'x', sizeof(longline) - 2);
	longline[sizeof(longline) - 2] = '\n';
	longline[sizeof(longline) - 1] = '\0';
	write_conf(longline);
	ck_assert_int_eq(config_load(&cfg, path, true, &err2), -1);
	snprintf(want, sizeof(want), "%s:1: line longer than 1023 bytes", path);
	ck_assert_str_eq(err2.msg, want);
	unlink(path);
}
END_TEST

START_TEST(test_config_missing_file)
{
	struct td_config cfg;
	struct td_err err = { 0 };

	config_defaults(&cfg);
	ck_assert_int_eq(config_load(&cfg, "/nonexistent/tcpdoctor.conf", false, &err), 0);
	ck_assert_int_eq(config_load(&cfg, "/nonexistent/tcpdoctor.conf", true, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_ptr_nonnull(strstr(err.msg, "'/nonexistent/tcpdoctor.conf'"));
}
END_TEST

START_TEST(test_config_set)
{
	struct td_config cfg;
	struct td_err err = { 0 };

	config_defaults(&cfg);
	ck_assert_int_eq(config_set(&cfg, "orphans.fin_wait2=10", &err), 0);
	ck_assert(cfg.v[TD_TH_OR_FIN_WAIT2] == 10);
	ck_assert_int_eq(config_set(&cfg, "orphans.fin_wait2", &err), -1);
	ck_assert_str_eq(err.msg, "--set: 'orphans.fin_wait2' is not SECTION.KEY=VALUE");
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(config_set(&cfg, "nosuch.x=1", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown section 'nosuch'"));
}
END_TEST

/* Every threshold is documented in man/tcpdoctor.conf.5 with its default. */
START_TEST(test_config_documented)
{
	char buf[65536], want[128];
	size_t n;
	FILE *fp = fopen(TD_SRCDIR "/man/tcpdoctor.conf.5", "r");
	const char *sec;
	unsigned int i;

	ck_assert_ptr_nonnull(fp);
	n = fread(buf, 1, sizeof(buf) - 1, fp);
	buf[n] = '\0';
	fclose(fp);
	for (i = 0; i < TD_TH_MAX; i++) {
		snprintf(want, sizeof(want), ".Ss [%s]", td_threshold_fields[i].section);
		sec = strstr(buf, want);
		ck_assert_msg(sec != NULL, "no section %s", want);
		snprintf(want, sizeof(want), ".It Cm %s No = %g\n", td_threshold_fields[i].key,
		    td_threshold_fields[i].dflt);
		ck_assert_msg(strstr(sec, want) != NULL, "[%s] lacks '%s'",
		    td_threshold_fields[i].section, want);
	}
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("analyzers/config");
	TCase *tc = tcase_create("config");

	tcase_add_test(tc, test_config_load_ok);
	tcase_add_loop_test(tc, test_config_load_errors, 0, sizeof(bad) / sizeof(bad[0]));
	tcase_add_test(tc, test_config_nul_and_long_lines);
	tcase_add_test(tc, test_config_missing_file);
	tcase_add_test(tc, test_config_set);
	tcase_add_test(tc, test_config_documented);
	suite_add_tcase(s, tc);
	return s;
}
