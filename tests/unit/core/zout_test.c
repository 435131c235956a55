/* SPDX-License-Identifier: MIT */
/*
 * Tests for core/zout.c: what goes in comes out of zstd, the same bytes
 * whoever compresses (the writer, zout's own helper, a helper that joins
 * late), and a failed write or an abort ends cleanly.
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "core/zout.h"

/* Text that compresses as a snapshot does, and an odd size: not whole chunks. */
#define NLINES	60000

static void
write_text(FILE *fp)
{
	int i;

	for (i = 0; i < NLINES; i++)
		ck_assert_int_gt(fprintf(fp, "{\"family\":\"ipv4\",\"sport\":%d,\"cookie\":%d},\n",
		    i % 65536, i * 7919), 0);
}

static char *
expected(size_t *len)
{
	char *b = NULL;
	FILE *fp = open_memstream(&b, len);

	write_text(fp);
	fclose(fp);
	return b;
}

/* Every frame of c decompressed, checked against want. */
static void
check_frames(const char *c, size_t clen, const char *want, size_t wlen)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer in = { c, clen, 0 };
	char *out = malloc(wlen + 1);
	ZSTD_outBuffer ob = { out, wlen + 1, 0 };
	size_t r = 1, frames = 0;

	while (in.pos < in.size) {
		r = ZSTD_decompressStream(d, &ob, &in);
		ck_assert_msg(!ZSTD_isError(r), "%s", ZSTD_getErrorName(r));
		frames += r == 0;
	}
	ck_assert_uint_eq(r, 0);
	ck_assert_uint_eq(ob.pos, wlen);
	ck_assert(memcmp(out, want, wlen) == 0);
	/* One frame a chunk. */
	ck_assert_uint_eq(frames, (wlen + ZOUT_CHUNK - 1) / ZOUT_CHUNK);
	free(out);
	ZSTD_freeDCtx(d);
}

struct late {
	struct zout	*z;
	int		 delay_ms;
};

static void *
late_helper(void *arg)
{
	struct late *l = arg;

	usleep((useconds_t)l->delay_ms * 1000);	/* busy with something else first */
	zout_help(l->z);
	return NULL;
}

/* mode 0: the writer alone; 1: zout's own helper; 2: a helper that joins late. */
static char *
compressed(int mode, size_t *len)
{
	struct td_err err = { 0 };
	struct late l;
	struct zout z;
	pthread_t th;
	char *b = NULL;
	FILE *out = open_memstream(&b, len);

	ck_assert_int_eq(zout_open(&z, out, -2, mode == 1, &err), 0);
	if (mode == 2) {
		l.z = &z;
		l.delay_ms = 20;
		zout_expect_helper(&z, 1);
		ck_assert_int_eq(pthread_create(&th, NULL, late_helper, &l), 0);
	}
	write_text(z.fp);
	ck_assert_int_eq(zout_close(&z, &err), 0);
	if (mode == 2)
		pthread_join(th, NULL);
	fclose(out);
	return b;
}

START_TEST(test_zout_roundtrip_any_compressor)
{
	size_t wlen, len[3];
	char *want = expected(&wlen), *c[3];
	int m;

	ck_assert_uint_gt(wlen, 4 * ZOUT_CHUNK);
	for (m = 0; m < 3; m++) {
		c[m] = compressed(m, &len[m]);
		check_frames(c[m], len[m], want, wlen);
		ck_assert_uint_lt(len[m], wlen / 4);
	}
	ck_assert(len[0] == len[1] && memcmp(c[0], c[1], len[0]) == 0);
	ck_assert(len[0] == len[2] && memcmp(c[0], c[2], len[0]) == 0);
	for (m = 0; m < 3; m++)
		free(c[m]);
	free(want);
}
END_TEST

START_TEST(test_zout_empty)
{
	struct td_err err = { 0 };
	struct zout z;
	char *b = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&b, &len);

	ck_assert_int_eq(zout_open(&z, out, 1, true, &err), 0);
	ck_assert_int_eq(zout_close(&z, &err), 0);
	fclose(out);
	ck_assert_uint_eq(len, 0);
	free(b);
}
END_TEST

/* A full disk: the writes start failing, and close says why. */
START_TEST(test_zout_write_error)
{
	struct td_err err = { 0 };
	struct zout z;
	FILE *out = fopen("/dev/full", "w");
	int m;

	ck_assert_ptr_nonnull(out);
	for (m = 0; m < 2; m++) {
		size_t i, fails = 0;

		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(zout_open(&z, out, 1, m == 1, &err), 0);
		for (i = 0; i < 4 * NLINES; i++)
			fails += fprintf(z.fp, "%zu some text to fill the chunks with\n", i * 31) < 0;
		ck_assert_int_eq(zout_close(&z, &err), -1);
		ck_assert_int_eq(err.code, ENOSPC);
		ck_assert_str_eq(err.msg, "write failed: No space left on device");
		ck_assert_uint_gt(fails, 0);	/* the writer was told early */
		clearerr(out);
	}
	fclose(out);
}
END_TEST

/* An abort with a helper busy elsewhere, and with chunks queued: nothing hangs. */
START_TEST(test_zout_abort)
{
	struct td_err err = { 0 };
	struct late l;
	struct zout z;
	pthread_t th;
	char *b = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&b, &len);

	ck_assert_int_eq(zout_open(&z, out, 1, false, &err), 0);
	l.z = &z;
	l.delay_ms = 50;
	zout_expect_helper(&z, 1);
	ck_assert_int_eq(pthread_create(&th, NULL, late_helper, &l), 0);
	write_text(z.fp);
	zout_abort(&z);
	pthread_join(th, NULL);
	ck_assert_int_eq(zout_open(&z, out, 1, true, &err), 0);
	write_text(z.fp);
	zout_abort(&z);
	fclose(out);
	free(b);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("core/zout");
	TCase *tc = tcase_create("zout");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_zout_roundtrip_any_compressor);
	tcase_add_test(tc, test_zout_empty);
	tcase_add_test(tc, test_zout_write_error);
	tcase_add_test(tc, test_zout_abort);
	suite_add_tcase(s, tc);
	return s;
}
