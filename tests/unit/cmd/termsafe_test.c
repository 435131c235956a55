/* SPDX-License-Identifier: MIT */
/* Tests for cmd/termsafe.c: what reaches a terminal from text of outside origin. */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/termsafe.h"

static const struct {
	const char	*in;
	size_t		 len;		/* 0: strlen(in) */
	const char	*want;		/* with tab and newline kept */
} cases[] = {
	{ "python3", 0, "python3" },
	{ "evil\x1b]0;owned\x07", 0, "evil\\x1b]0;owned\\x07" },
	{ "red\x1b[31mX", 0, "red\\x1b[31mX" },
	{ "a\tb\nc\rd", 0, "a\tb\nc\\x0dd" },
	{ "del\x7f", 0, "del\\x7f" },
	{ "nul\0x", 5, "nul\\x00x" },
	/* Valid UTF-8 stays intact: Latin, CJK, a 4-byte emoji. */
	{ "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\x8d", 0,
	  "h\xc3\xa9llo \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\x8d" },
	/* C1 CSI (U+009B) is a control on some terminals. */
	{ "c1\xc2\x9b" "31m", 0, "c1\\xc2\\x9b31m" },
	{ "nbsp\xc2\xa0", 0, "nbsp\xc2\xa0" },
	/* Not UTF-8: a lone byte, a stray continuation, an overlong NUL, a
	 * surrogate, above U+10FFFF, a cut sequence at the end. */
	{ "\xff", 0, "\\xff" },
	{ "x\x80y", 0, "x\\x80y" },
	{ "\xc0\x80", 0, "\\xc0\\x80" },
	{ "\xed\xa0\x80", 0, "\\xed\\xa0\\x80" },
	{ "\xf4\x90\x80\x80", 0, "\\xf4\\x90\\x80\\x80" },
	{ "\xe0\x80\xaf", 0, "\\xe0\\x80\\xaf" },
	{ "end\xe6\x97", 0, "end\\xe6\\x97" },
	{ "\xe6\x97" "a", 0, "\\xe6\\x97a" },
};

START_TEST(test_termsafe_escape_cases)
{
	size_t len = cases[_i].len != 0 ? cases[_i].len : strlen(cases[_i].in);
	char out[TERMSAFE_MAX(64)];
	size_t n;

	n = termsafe_escape(cases[_i].in, len, true, out);
	ck_assert_msg(strcmp(out, cases[_i].want) == 0, "case %d: got '%s'", _i, out);
	ck_assert_uint_eq(n, strlen(cases[_i].want));
	if (cases[_i].len == 0)
		ck_assert(termsafe_clean(cases[_i].in) == (strcmp(cases[_i].in, cases[_i].want) == 0 &&
		    strchr(cases[_i].in, '\t') == NULL && strchr(cases[_i].in, '\n') == NULL));
}
END_TEST

START_TEST(test_termsafe_escape_no_tab_nl)
{
	char out[64];

	termsafe_escape("a\tb\nc", 5, false, out);
	ck_assert_str_eq(out, "a\\x09b\\x0ac");
}
END_TEST

/* Every single byte: the output holds no control byte at all. */
START_TEST(test_termsafe_escape_all_bytes)
{
	char in[1], out[TERMSAFE_MAX(1)];
	size_t j;

	in[0] = (char)_i;
	termsafe_escape(in, 1, false, out);
	for (j = 0; out[j] != '\0'; j++)
		ck_assert_msg((unsigned char)out[j] >= 0x20 && (unsigned char)out[j] < 0x7f,
		    "byte %#x leaks %#x", _i, (unsigned char)out[j]);
}
END_TEST

/* Written through the stream in pieces of every size, the text comes out as if escaped whole. */
START_TEST(test_termsafe_stream_split)
{
	static const char text[] = "ok \xe6\x97\xa5\xe6\x9c\xac\x1b[2J \xf0\x9f\x90\x8d\xff end\n";
	char want[TERMSAFE_MAX(sizeof(text))], *got = NULL;
	size_t step = (size_t)_i + 1, off, gotlen = 0;
	FILE *mem, *s;

	termsafe_escape(text, sizeof(text) - 1, true, want);
	mem = open_memstream(&got, &gotlen);
	ck_assert_ptr_nonnull(mem);
	s = termsafe_open(mem, NULL);
	ck_assert_ptr_nonnull(s);
	/* Unbuffered, so that every piece is one write to the stream. */
	setvbuf(s, NULL, _IONBF, 0);
	for (off = 0; off < sizeof(text) - 1; off += step)
		fwrite(text + off, 1, off + step <= sizeof(text) - 1 ? step : sizeof(text) - 1 - off, s);
	ck_assert_int_eq(fclose(s), 0);
	fclose(mem);
	ck_assert_msg(strcmp(got, want) == 0, "step %zu: got '%s'", step, got);
	free(got);
}
END_TEST

/* A sequence cut by the end of the output is escaped when the stream closes. */
START_TEST(test_termsafe_stream_cut_at_close)
{
	char *got = NULL;
	size_t gotlen = 0;
	FILE *mem, *s;

	mem = open_memstream(&got, &gotlen);
	s = termsafe_open(mem, NULL);
	fputs("x\xe6\x97", s);
	fclose(s);
	fclose(mem);
	ck_assert_str_eq(got, "x\\xe6\\x97");
	free(got);
}
END_TEST

/* fflush on the stream reaches the stream below (trace and watch print live). */
START_TEST(test_termsafe_stream_flush_passes)
{
	char *got = NULL;
	size_t gotlen = 0;
	FILE *mem, *s;

	mem = open_memstream(&got, &gotlen);
	s = termsafe_open(mem, NULL);
	fputs("tick\x1b[H\n", s);
	ck_assert_uint_eq(gotlen, 0);		/* still in the stream's buffer */
	ck_assert_int_eq(fflush(s), 0);
	ck_assert_uint_eq(gotlen, strlen("tick\\x1b[H\n"));
	ck_assert_str_eq(got, "tick\\x1b[H\n");
	fclose(s);
	fclose(mem);
	free(got);
}
END_TEST

/* A failed write fails every later one with the first errno, and tells the caller. */
START_TEST(test_termsafe_stream_error_sticky)
{
	int first = -1;
	FILE *full, *s;

	full = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(full);
	s = termsafe_open(full, &first);
	ck_assert_int_eq(first, 0);
	fputs("x", s);
	ck_assert_int_eq(fflush(s), EOF);
	ck_assert_int_eq(first, ENOSPC);
	clearerr(s);
	fputs("y", s);
	errno = 0;
	ck_assert_int_eq(fflush(s), EOF);
	ck_assert_int_eq(errno, ENOSPC);
	fclose(s);
	fclose(full);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("cmd/termsafe");
	TCase *tc;

	tc = tcase_create("termsafe_escape");
	tcase_add_loop_test(tc, test_termsafe_escape_cases, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_termsafe_escape_no_tab_nl);
	tcase_add_loop_test(tc, test_termsafe_escape_all_bytes, 0, 256);
	suite_add_tcase(s, tc);
	tc = tcase_create("termsafe_open");
	tcase_add_loop_test(tc, test_termsafe_stream_split, 0, 12);
	tcase_add_test(tc, test_termsafe_stream_cut_at_close);
	tcase_add_test(tc, test_termsafe_stream_flush_passes);
	tcase_add_test(tc, test_termsafe_stream_error_sticky);
	suite_add_tcase(s, tc);
	return s;
}
