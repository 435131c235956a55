/* SPDX-License-Identifier: MIT */
/*
 * Tests for collectors/recsample.c and the reader of collectors/recording.c:
 * recordings written here line by line (one zstd frame per sample, as
 * watch writes them) and read back: keyframes and deltas (put, gone,
 * extra), a sample left without its closing record, a count that does not
 * add up, a newer version, a frame cut short (the offset where it starts),
 * a damaged frame (its offset), an events recording, and --at parsing.
 */
#include "tests/unit/check_main.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "collectors/recsample.h"
#include "collectors/snapfile.h"
#include "core/err.h"

#define T0	1796396239000000000LL	/* 2026-12-04T14:57:19Z */
#define SEC	1000000000LL

static char dir[64], path[128];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/td-recsample-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rec", dir);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct td_sock
sock(uint64_t cookie, unsigned int state, uint16_t sport)
{
	struct td_sock sk;

	memset(&sk, 0, sizeof(sk));
	sk.family = AF_INET;
	sk.state = (uint8_t)state;
	sk.sport = sport;
	sk.dport = 80;
	sk.src.s6_addr[10] = sk.src.s6_addr[11] = 0xff;
	sk.src.s6_addr[12] = 127;
	sk.src.s6_addr[15] = 1;
	sk.dst = sk.src;
	sk.cookie = cookie;
	sk.inode = cookie + 1000;
	return sk;
}

/* The head of a record of type at t. */
static json_t *
head(const char *command, const char *type, int64_t t)
{
	char ts[40];

	rec_time_str(t, ts, sizeof(ts));
	return json_pack("{s:s,s:s,s:s,s:i,s:s}", "schema", "tcpdoctor/1", "command", command,
	    "type", type, "version", 1, "time", ts);
}

static void
add(struct rec_writer *w, json_t *o)
{
	struct td_err err = { 0 };
	char *s = json_dumps(o, JSON_COMPACT);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(rec_add(w, s, strlen(s), &err), 0);
	free(s);
	json_decref(o);
}

static void
add_socks(struct rec_writer *w, uint64_t seq, int64_t t, const char *op,
    const struct td_sock *v, size_t n)
{
	json_t *o = head("watch", "sockets", t), *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, snapfile_sock_json(&v[i]));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "op", json_string(op));
	json_object_set_new(o, "sockets", a);
	add(w, o);
}

static void
add_gone(struct rec_writer *w, uint64_t seq, int64_t t, const uint64_t *c, size_t n)
{
	json_t *o = head("watch", "gone", t), *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_integer((json_int_t)c[i]));
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "cookies", a);
	add(w, o);
}

static void
add_sample(struct rec_writer *w, uint64_t seq, int64_t t, bool key, uint64_t n)
{
	struct td_snapshot snap;
	json_t *o = head("watch", "sample", t), *doc;

	memset(&snap, 0, sizeof(snap));
	snap.meta.time_ns = t;
	snprintf(snap.meta.host, sizeof(snap.meta.host), "h");
	snprintf(snap.meta.kernel, sizeof(snap.meta.kernel), "6.1");
	doc = snapfile_header_doc(&snap, "watch");
	json_object_del(doc, "time");
	json_object_update_new(o, doc);
	json_object_set_new(o, "seq", json_integer((json_int_t)seq));
	json_object_set_new(o, "keyframe", json_boolean(key));
	json_object_set_new(o, "sockets", json_integer((json_int_t)n));
	json_object_set_new(o, "watch", json_pack("{s:I}", "n", (json_int_t)seq));
	add(w, o);
}

static void
frame(struct rec_writer *w)
{
	struct td_err err = { 0 };

	ck_assert_int_eq(rec_flush(w, &err), 0);
}

/*
 * Three samples: a keyframe {1, 2, 3}; a delta that changes 2, removes 1,
 * adds 4 and has an extra (cookie 0); a delta with nothing changed.
 */
static void
write_three(void)
{
	struct rec_writer w;
	struct td_err err = { 0 };
	struct td_sock k[3] = { sock(1, TD_ST_ESTABLISHED, 1001), sock(2, TD_ST_ESTABLISHED, 1002),
	    sock(3, TD_ST_LISTEN, 80) };
	struct td_sock put[2] = { sock(2, TD_ST_CLOSE_WAIT, 1002), sock(4, TD_ST_SYN_SENT, 1004) };
	struct td_sock extra = sock(0, TD_ST_TIME_WAIT, 1005);
	uint64_t gone = 1;
	json_t *o;

	ck_assert_int_eq(rec_open(&w, path, 1 << 20, &err), 0);
	o = head("watch", "start", T0);
	json_object_set_new(o, "interval_s", json_real(1));
	add(&w, o);
	add_socks(&w, 1, T0, "set", k, 3);
	add_sample(&w, 1, T0, true, 3);
	frame(&w);
	add_socks(&w, 2, T0 + SEC, "put", put, 2);
	add_socks(&w, 2, T0 + SEC, "extra", &extra, 1);
	add_gone(&w, 2, T0 + SEC, &gone, 1);
	add_sample(&w, 2, T0 + SEC, false, 4);
	frame(&w);
	add_sample(&w, 3, T0 + 2 * SEC, false, 3);
	ck_assert_int_eq(rec_close(&w, &err), 0);
}

static unsigned int
state_of(const struct rec_pick *p, uint64_t cookie, uint16_t sport)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->socks[i].cookie == cookie && p->socks[i].sport == sport)
			return p->socks[i].state;
	return 0;
}

START_TEST(test_rec_pick_deltas)
{
	struct rec_pick p;
	struct rec_at at = { .given = true };
	struct td_err err = { 0 };

	write_three();
	at.ns = T0 + SEC / 2;		/* between 1 and 2: sample 1 */
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), 0);
	ck_assert_uint_eq(p.index, 1);
	ck_assert_uint_eq(p.nsamples, 3);
	ck_assert_uint_eq(p.n, 3);
	ck_assert_uint_eq(state_of(&p, 2, 1002), TD_ST_ESTABLISHED);
	ck_assert_int_eq(p.snap.meta.time_ns, T0);
	ck_assert_str_eq(p.snap.meta.source, "recording");
	rec_pick_free(&p);

	at.ns = T0 + SEC;		/* exactly sample 2 */
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), 0);
	ck_assert_uint_eq(p.index, 2);
	ck_assert_uint_eq(p.n, 4);
	ck_assert_uint_eq(state_of(&p, 1, 1001), 0);			/* gone */
	ck_assert_uint_eq(state_of(&p, 2, 1002), TD_ST_CLOSE_WAIT);	/* changed */
	ck_assert_uint_eq(state_of(&p, 3, 80), TD_ST_LISTEN);		/* kept */
	ck_assert_uint_eq(state_of(&p, 4, 1004), TD_ST_SYN_SENT);	/* added */
	ck_assert_uint_eq(state_of(&p, 0, 1005), TD_ST_TIME_WAIT);	/* extra */
	rec_pick_free(&p);

	at.given = false;		/* the last: the extra was for sample 2 only */
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), 0);
	ck_assert_uint_eq(p.index, 3);
	ck_assert_uint_eq(p.n, 3);
	ck_assert_uint_eq(state_of(&p, 0, 1005), 0);
	ck_assert_uint_eq(state_of(&p, 4, 1004), TD_ST_SYN_SENT);
	rec_pick_free(&p);

	at.given = true;
	at.relative = true;		/* +1.5 s from the start record: sample 2 */
	at.ns = 3 * SEC / 2;
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), 0);
	ck_assert_uint_eq(p.index, 2);
	rec_pick_free(&p);

	at.relative = false;
	at.ns = T0 - 1;
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "is before its first sample (2026-12-04T14:57:19.000000000Z)"));
}
END_TEST

START_TEST(test_rec_pick_unclosed)
{
	struct rec_writer w;
	struct rec_pick p;
	struct rec_at at = { 0 };
	struct td_err err = { 0 };
	struct td_sock a = sock(7, TD_ST_ESTABLISHED, 2000), b = sock(8, TD_ST_ESTABLISHED, 2001);
	uint64_t gone = 7;

	ck_assert_int_eq(rec_open(&w, path, 1 << 20, &err), 0);
	add_socks(&w, 1, T0, "set", &a, 1);
	add_sample(&w, 1, T0, true, 1);
	frame(&w);
	/* Sample 2 never closes (the writer stopped): not applied. */
	add_socks(&w, 2, T0 + SEC, "put", &b, 1);
	add_gone(&w, 2, T0 + SEC, &gone, 1);
	ck_assert_int_eq(rec_close(&w, &err), 0);
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), 0);
	ck_assert_uint_eq(p.nsamples, 1);
	ck_assert_uint_eq(p.n, 1);
	ck_assert_uint_eq(p.socks[0].cookie, 7);
	rec_pick_free(&p);
}
END_TEST

START_TEST(test_rec_pick_bad_count)
{
	struct rec_writer w;
	struct rec_pick p;
	struct rec_at at = { 0 };
	struct td_err err = { 0 };
	struct td_sock a = sock(7, TD_ST_ESTABLISHED, 2000);

	ck_assert_int_eq(rec_open(&w, path, 1 << 20, &err), 0);
	add_socks(&w, 1, T0, "set", &a, 1);
	add_sample(&w, 1, T0, true, 2);		/* says 2, gives 1 */
	ck_assert_int_eq(rec_close(&w, &err), 0);
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 2: sample 1 has 2 sockets, its records give 1"));
}
END_TEST

START_TEST(test_rec_pick_newer_version)
{
	struct rec_writer w;
	struct rec_pick p;
	struct rec_at at = { 0 };
	struct td_err err = { 0 };
	json_t *o = head("watch", "sample", T0);

	json_object_set_new(o, "version", json_integer(2));
	ck_assert_int_eq(rec_open(&w, path, 1 << 20, &err), 0);
	add(&w, o);
	ck_assert_int_eq(rec_close(&w, &err), 0);
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "line 1: record version newer: this tcpdoctor reads version 1"));
}
END_TEST

START_TEST(test_rec_pick_events_recording)
{
	struct rec_writer w;
	struct rec_pick p;
	struct rec_at at = { 0 };
	struct td_err err = { 0 };

	ck_assert_int_eq(rec_open(&w, path, 1 << 20, &err), 0);
	add(&w, head("events", "start", T0));
	ck_assert_int_eq(rec_close(&w, &err), 0);
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "was made by 'events --record'"));
}
END_TEST

/* Cut inside the last frame: what came before answers; the cut is located. */
START_TEST(test_rec_read_cut)
{
	struct rec_pick p;
	struct rec_at at = { 0 };
	struct td_err err = { 0 };
	struct stat st;
	off_t second;

	write_three();
	ck_assert_int_eq(stat(path, &st), 0);
	/* The last frame holds sample 3 only: cut into its data (not only its checksum). */
	second = st.st_size;
	ck_assert_int_eq(truncate(path, second - 12), 0);
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), 0);
	ck_assert_uint_eq(p.index, 2);
	ck_assert_str_eq(p.cut.file, path);
	ck_assert_int_gt(p.cut.offset, 0);
	ck_assert_int_lt(p.cut.offset, second - 12);
	rec_pick_free(&p);
}
END_TEST

/* A damaged frame: an error naming the file and where that frame starts. */
START_TEST(test_rec_read_damaged)
{
	struct rec_pick p;
	struct rec_at at = { 0 };
	struct td_err err = { 0 };
	struct stat st;
	FILE *fp;
	char want[200];

	write_three();
	ck_assert_int_eq(stat(path, &st), 0);
	fp = fopen(path, "r+");
	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fseek(fp, st.st_size - 6, SEEK_SET), 0);	/* the last checksum */
	fputs("XXXX", fp);
	fclose(fp);
	ck_assert_int_eq(rec_pick(path, &at, &p, &err), -1);
	ck_assert_int_eq(err.code, EBADMSG);
	snprintf(want, sizeof(want), "recording '%s': damaged frame at byte ", path);
	ck_assert_ptr_nonnull(strstr(err.msg, want));
	ck_assert_ptr_null(strchr(err.msg, '\n'));
}
END_TEST

static const struct {
	const char	*in;
	bool		 ok, relative;
	int64_t		 ns;
} ats[] = {
	{ "2026-12-04T14:57:19Z", true, false, T0 },
	{ "2026-12-04T14:57:19.5Z", true, false, T0 + SEC / 2 },
	{ "+90s", true, true, 90 * SEC },
	{ "+90", true, true, 90 * SEC },
	{ "+1.5m", true, true, 90 * SEC },
	{ "+2h", true, true, 7200 * SEC },
	{ "+", false, false, 0 },
	{ "+5d", false, false, 0 },
	{ "yesterday", false, false, 0 },
	{ "2026-12-04T14:57:19", false, false, 0 },
	{ "+9999999999h", false, false, 0 },
};

START_TEST(test_rec_at_parse)
{
	struct rec_at at;
	int rc = rec_at_parse(ats[_i].in, &at);

	ck_assert_int_eq(rc, ats[_i].ok ? 0 : -1);
	if (!ats[_i].ok)
		return;
	ck_assert(at.given);
	ck_assert_int_eq(at.relative, ats[_i].relative);
	ck_assert_int_eq(at.ns, ats[_i].ns);
}
END_TEST

START_TEST(test_rec_time_str)
{
	char buf[40];
	int64_t back;

	rec_time_str(T0 + 123456789, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2026-12-04T14:57:19.123456789Z");
	ck_assert_int_eq(rec_parse_time(buf, &back), 0);
	ck_assert_int_eq(back, T0 + 123456789);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("collectors/recsample");
	TCase *tc = tcase_create("rec_pick");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rec_pick_deltas);
	tcase_add_test(tc, test_rec_pick_unclosed);
	tcase_add_test(tc, test_rec_pick_bad_count);
	tcase_add_test(tc, test_rec_pick_newer_version);
	tcase_add_test(tc, test_rec_pick_events_recording);
	suite_add_tcase(s, tc);
	tc = tcase_create("rec_read");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_rec_read_cut);
	tcase_add_test(tc, test_rec_read_damaged);
	suite_add_tcase(s, tc);
	tc = tcase_create("rec_at_parse");
	tcase_add_loop_test(tc, test_rec_at_parse, 0, (int)(sizeof(ats) / sizeof(ats[0])));
	tcase_add_test(tc, test_rec_time_str);
	suite_add_tcase(s, tc);
	return s;
}
