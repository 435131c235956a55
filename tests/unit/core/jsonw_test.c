/* SPDX-License-Identifier: MIT */
/*
 * Tests for core/jsonw.c and core/record.c: the streaming writer prints
 * byte for byte what jansson prints for the same document (compact and
 * indented), for every byte a string can hold, integers at their limits,
 * reals in every notation %.17g picks, nesting and empty containers; and a
 * described record renders the same through the writer and through
 * record_json().
 */
#include "tests/unit/check_main.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/jsonw.h"
#include "core/record.h"

/* What jansson prints for doc with flags (steals doc). */
static char *
jansson_text(json_t *doc, size_t flags)
{
	char *s;

	ck_assert_ptr_nonnull(doc);
	s = json_dumps(doc, flags | JSON_PRESERVE_ORDER);
	json_decref(doc);
	ck_assert_ptr_nonnull(s);
	return s;
}

struct sink {
	FILE	*fp;
	char	*text;
	size_t	 len;
	struct jw w;
};

static void
sink_open(struct sink *k, enum jw_style style)
{
	k->fp = open_memstream(&k->text, &k->len);
	ck_assert_ptr_nonnull(k->fp);
	jw_init(&k->w, k->fp, style);
}

static char *
sink_close(struct sink *k)
{
	ck_assert_int_eq(jw_flush(&k->w), 0);
	ck_assert_int_eq(fclose(k->fp), 0);
	return k->text;
}

static void
same(json_t *doc, struct sink *k, size_t flags)
{
	char *want = jansson_text(doc, flags), *got = sink_close(k);

	ck_assert_str_eq(got, want);
	free(want);
	free(got);
}

/* Every byte from 1 to 127, and UTF-8 of 2, 3 and 4 bytes. */
static void
strings_doc(json_t **doc, struct sink *k)
{
	char all[128], key[16];
	static const char *const utf8[] = { "caf\xc3\xa9", "\xe2\x82\xac 5", "\xf0\x9f\x98\x80", "a/b", "" };
	size_t i;

	for (i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	*doc = json_object();
	jw_obj(&k->w, NULL);
	json_object_set_new(*doc, "all", json_string(all));
	jw_str(&k->w, "all", all);
	for (i = 0; i < sizeof(utf8) / sizeof(utf8[0]); i++) {
		snprintf(key, sizeof(key), "u%zu\t\"", i);
		json_object_set_new(*doc, key, json_string(utf8[i]));
		jw_str(&k->w, key, utf8[i]);
	}
	/*
	 * Keys the writer copies as it checks them (short and plain), one
	 * past that length, non-ASCII ones, and enough of them to cross the
	 * buffer's end at every offset (the copy needs room for the whole).
	 */
	{
		char big[80];

		memset(big, 'k', 70);
		big[70] = '\0';
		json_object_set_new(*doc, big, json_integer(70));
		jw_int(&k->w, big, 70);
		big[64] = '\0';
		json_object_set_new(*doc, big, json_integer(64));
		jw_int(&k->w, big, 64);
		json_object_set_new(*doc, "caf\xc3\xa9", json_integer(1));
		jw_int(&k->w, "caf\xc3\xa9", 1);
		for (i = 0; i < 3000; i++) {
			snprintf(big, sizeof(big), "key_%zu%.*s", i, (int)(i % 50), "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
			json_object_set_new(*doc, big, json_integer((json_int_t)i));
			jw_int(&k->w, big, (int64_t)i);
		}
	}
	jw_end(&k->w);
}

START_TEST(test_jw_strings)
{
	struct sink k;
	json_t *doc;

	sink_open(&k, JW_COMPACT);
	strings_doc(&doc, &k);
	same(doc, &k, JSON_COMPACT);
	sink_open(&k, JW_INDENT2);
	strings_doc(&doc, &k);
	same(doc, &k, JSON_INDENT(2));
}
END_TEST

/* The digit pairs of jw_fmt_u64: every length, either side of a power of ten. */
static const int64_t ints[] = { 0, 1, -1, 9, 10, 11, 99, 100, 101, -100, 999, 1000, 9999, 10000,
    99999, 100000, 1000000007, 99999999999, 100000000000, -1000000000000000000,
    999999999999999999, 1000000000000000000, 65535, INT32_MAX, INT32_MIN,
    (int64_t)UINT32_MAX, INT64_MAX, INT64_MIN, INT64_MIN + 1 };
static const double reals[] = { 0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3, 123456789.0, 1e16, 1e17,
    1e20, 1.5e300, 1e-5, 1e-4, 0.00012345, 2.5e-300, 4.9e-324, 1.7976931348623157e308, 0.04, 97.5 };

static void
numbers_doc(json_t **doc, struct sink *k)
{
	json_t *a = json_array(), *r = json_array();
	size_t i;

	*doc = json_object();
	jw_obj(&k->w, NULL);
	jw_arr(&k->w, "ints");
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		json_array_append_new(a, json_integer(ints[i]));
		jw_int(&k->w, NULL, ints[i]);
	}
	/* Unsigned above INT64_MAX: clamped, as the schema's integers are. */
	json_array_append_new(a, json_integer(INT64_MAX));
	jw_uint(&k->w, NULL, UINT64_MAX);
	jw_end(&k->w);
	json_object_set_new(*doc, "ints", a);
	jw_arr(&k->w, "reals");
	for (i = 0; i < sizeof(reals) / sizeof(reals[0]); i++) {
		json_array_append_new(r, json_real(reals[i]));
		jw_real(&k->w, NULL, reals[i]);
	}
	jw_end(&k->w);
	json_object_set_new(*doc, "reals", r);
	json_object_set_new(*doc, "t", json_true());
	jw_bool(&k->w, "t", true);
	json_object_set_new(*doc, "f", json_false());
	jw_bool(&k->w, "f", false);
	json_object_set_new(*doc, "n", json_null());
	jw_null(&k->w, "n");
	jw_end(&k->w);
}

START_TEST(test_jw_numbers)
{
	struct sink k;
	json_t *doc;

	sink_open(&k, JW_COMPACT);
	numbers_doc(&doc, &k);
	same(doc, &k, JSON_COMPACT);
	sink_open(&k, JW_INDENT2);
	numbers_doc(&doc, &k);
	same(doc, &k, JSON_INDENT(2));
}
END_TEST

/* A real that is not finite: jansson refuses it; the writer says null. */
START_TEST(test_jw_real_not_finite)
{
	struct sink k;
	char *got;

	sink_open(&k, JW_COMPACT);
	jw_arr(&k.w, NULL);
	jw_real(&k.w, NULL, NAN);
	jw_real(&k.w, NULL, INFINITY);
	jw_end(&k.w);
	got = sink_close(&k);
	ck_assert_str_eq(got, "[null,null]");
	free(got);
}
END_TEST

static void
nesting_doc(json_t **doc, struct sink *k)
{
	json_t *o = json_object(), *a = json_array(), *in = json_object();

	*doc = json_object();
	jw_obj(&k->w, NULL);
	jw_obj(&k->w, "empty_obj");
	jw_end(&k->w);
	json_object_set_new(*doc, "empty_obj", json_object());
	jw_arr(&k->w, "empty_arr");
	jw_end(&k->w);
	json_object_set_new(*doc, "empty_arr", json_array());
	jw_obj(&k->w, "o");
	jw_arr(&k->w, "a");
	jw_obj(&k->w, NULL);
	jw_int(&k->w, "x", 1);
	jw_end(&k->w);
	jw_arr(&k->w, NULL);
	jw_end(&k->w);
	jw_end(&k->w);
	jw_end(&k->w);
	jw_end(&k->w);
	json_object_set_new(in, "x", json_integer(1));
	json_array_append_new(a, in);
	json_array_append_new(a, json_array());
	json_object_set_new(o, "a", a);
	json_object_set_new(*doc, "o", o);
}

START_TEST(test_jw_nesting)
{
	struct sink k;
	json_t *doc;

	sink_open(&k, JW_COMPACT);
	nesting_doc(&doc, &k);
	same(doc, &k, JSON_COMPACT);
	sink_open(&k, JW_INDENT2);
	nesting_doc(&doc, &k);
	same(doc, &k, JSON_INDENT(2));
}
END_TEST

/* Styles mix: `ls -j` is compact with one socket a line, a snapshot indented with compact sockets. */
START_TEST(test_jw_styles)
{
	struct sink k;
	char *got;

	sink_open(&k, JW_COMPACT);
	jw_obj(&k.w, NULL);
	jw_str(&k.w, "a", "b");
	jw_style(&k.w, JW_LINES);
	jw_arr(&k.w, "sockets");
	jw_style(&k.w, JW_COMPACT);
	jw_obj(&k.w, NULL);
	jw_int(&k.w, "x", 1);
	jw_end(&k.w);
	jw_obj(&k.w, NULL);
	jw_end(&k.w);
	jw_end(&k.w);
	jw_int(&k.w, "count", 2);
	jw_end(&k.w);
	got = sink_close(&k);
	ck_assert_str_eq(got, "{\"a\":\"b\",\"sockets\":[\n{\"x\":1},\n{}\n],\"count\":2}");
	free(got);

	sink_open(&k, JW_LINES);
	jw_arr(&k.w, NULL);
	jw_end(&k.w);
	got = sink_close(&k);
	ck_assert_str_eq(got, "[\n]");
	free(got);

	sink_open(&k, JW_INDENT2);
	jw_obj(&k.w, NULL);
	jw_arr(&k.w, "sockets");
	jw_style(&k.w, JW_COMPACT);
	jw_obj(&k.w, NULL);
	jw_int(&k.w, "x", 1);
	jw_end(&k.w);
	jw_end(&k.w);
	jw_end(&k.w);
	got = sink_close(&k);
	ck_assert_str_eq(got, "{\n  \"sockets\": [\n    {\"x\":1}\n  ]\n}");
	free(got);
}
END_TEST

/* Misuse sticks and is reported; nothing after it is written. */
START_TEST(test_jw_misuse)
{
	struct sink k;
	char *got;

	sink_open(&k, JW_COMPACT);
	jw_arr(&k.w, NULL);
	jw_int(&k.w, "key in an array", 1);
	jw_int(&k.w, NULL, 2);
	jw_end(&k.w);
	ck_assert_int_eq(jw_flush(&k.w), -1);
	ck_assert_int_eq(errno, EINVAL);
	fclose(k.fp);
	got = k.text;
	ck_assert_ptr_null(strchr(got, '2'));
	free(got);
}
END_TEST

/* ---- Records ---- */

struct pair {
	uint16_t	port;
	int32_t		delta;
};

/* A map's element: its name, then its value (null when odd). */
struct named {
	char		name[8];
	int64_t		v;
};

struct rec {
	uint8_t		u8;
	int8_t		i8;
	uint64_t	big;
	int64_t		neg;
	bool		flag;
	double		ratio;
	char		name[8];
	char		bad[8];
	struct pair	pairs[3];
	unsigned int	npairs;
	const char	*tags[3];
	size_t		ntags;
	struct named	named[2];
	size_t		nnamed;
};

static bool
pair_keep(const void *e)
{
	return ((const struct pair *)e)->port != 0;
}

static const struct record_field pair_fields[] = {
	RECORD_INT("port", struct pair, port),
	RECORD_INT("delta", struct pair, delta),
};
static const struct record_desc pair_desc = RECORD_DESC("pair", pair_fields);

static bool
get_pairs(const void *r, struct record_val *v)
{
	const struct rec *x = r;

	return record_arr(v, &pair_desc, x->pairs, x->npairs, sizeof(x->pairs[0]), pair_keep);
}

static bool
get_first(const void *r, struct record_val *v)
{
	const struct rec *x = r;

	if (x->npairs == 0)
		return false;
	return record_obj(v, &pair_desc, &x->pairs[0]);
}

static bool
get_label(const void *r, struct record_val *v)
{
	snprintf(v->buf, sizeof(v->buf), "u8=%u", ((const struct rec *)r)->u8);
	return record_str(v, v->buf);
}

static bool
named_value(const void *r, struct record_val *v)
{
	const struct named *x = r;

	return x->v % 2 ? record_null(v) : record_int(v, x->v);
}

static const struct record_field named_fields[] = {
	RECORD_CHARS("name", struct named, name),
	RECORD_FN("value", named_value),
};
static const struct record_desc named_desc = RECORD_DESC("named", named_fields);

static bool
get_map(const void *r, struct record_val *v)
{
	const struct rec *x = r;

	return record_map(v, &named_desc, x->named, x->nnamed, sizeof(x->named[0]));
}

/* The first pair's members as the record's own (RECORD_F_INLINE). */
static bool
get_inline(const void *r, struct record_val *v)
{
	return record_obj(v, &pair_desc, &((const struct rec *)r)->pairs[2]);
}

static bool
get_tags(const void *r, struct record_val *v)
{
	const struct rec *x = r;

	return record_strs(v, x->tags, x->ntags);
}

static const struct record_field rec_fields[] = {
	RECORD_INT("u8", struct rec, u8),
	RECORD_INT("i8", struct rec, i8),
	RECORD_INT("big", struct rec, big),
	RECORD_INT("neg", struct rec, neg),
	RECORD_BOOL("flag", struct rec, flag),
	RECORD_REAL("ratio", struct rec, ratio),
	RECORD_CHARS("name", struct rec, name),
	RECORD_CHARS("bad", struct rec, bad),
	RECORD_FN("label", get_label),
	RECORD_FN("first", get_first),
	RECORD_FN("pairs", get_pairs),
	RECORD_FN("tags", get_tags),
	RECORD_FN("map", get_map),
	{ .key = "inline", .how = RECORD_GET, .get = get_inline, .flags = RECORD_F_INLINE },
};
static const struct record_desc rec_desc = RECORD_DESC("rec", rec_fields);

START_TEST(test_record_writer_equals_jansson)
{
	struct rec r = {
		.u8 = 255, .i8 = -128, .big = UINT64_MAX, .neg = INT64_MIN, .flag = true,
		.ratio = 0.25, .name = "full1234", .bad = "a\xff\xc3)",
		.pairs = { { 80, -1 }, { 0, 5 }, { 443, 7 } }, .npairs = 3,
		.tags = { "mss", "x\xff\"" }, .ntags = 2,
		.named = { { "12345678", 4 }, { "odd", 3 } }, .nnamed = 2,
	};
	struct sink k;
	char *want, *got;

	sink_open(&k, JW_COMPACT);
	jw_rec(&k.w, NULL, &rec_desc, &r);
	want = jansson_text(record_json(&rec_desc, &r), JSON_COMPACT);
	got = sink_close(&k);
	ck_assert_str_eq(got, want);
	/* The char array has no NUL: its 8 bytes; invalid UTF-8 turns ASCII. */
	ck_assert_ptr_nonnull(strstr(got, "\"name\":\"full1234\""));
	ck_assert_ptr_nonnull(strstr(got, "\"bad\":\"a?" "?)\""));
	ck_assert_ptr_nonnull(strstr(got, "\"big\":9223372036854775807"));
	ck_assert_ptr_nonnull(strstr(got, "\"pairs\":[{\"port\":80,\"delta\":-1},{\"port\":443,\"delta\":7}]"));
	/* An array of strings (record_strs): each as a string field is written. */
	ck_assert_ptr_nonnull(strstr(got, "\"tags\":[\"mss\",\"x?\\\"\"]"));
	/* A map: names from the elements (a char array without its NUL too), then the inline members. */
	ck_assert_ptr_nonnull(strstr(got, "\"map\":{\"12345678\":4,\"odd\":null},\"port\":443,\"delta\":7}"));
	free(want);
	free(got);

	r.npairs = 0;
	r.ntags = 0;
	sink_open(&k, JW_INDENT2);
	jw_rec(&k.w, NULL, &rec_desc, &r);
	want = jansson_text(record_json(&rec_desc, &r), JSON_INDENT(2));
	got = sink_close(&k);
	ck_assert_str_eq(got, want);
	ck_assert_ptr_null(strstr(got, "\"first\""));
	free(want);
	free(got);
}
END_TEST

/* A char array longer than RECORD_STR_MAX is cut there, as snapshots always did. */
START_TEST(test_record_chars_cut)
{
	struct big {
		char	s[300];
	} b;
	static const struct record_field f[] = { RECORD_CHARS("s", struct big, s) };
	static const struct record_desc d = RECORD_DESC("big", f);
	struct sink k;
	char *got, *want;

	memset(b.s, 'x', sizeof(b.s) - 1);
	b.s[sizeof(b.s) - 1] = '\0';
	sink_open(&k, JW_COMPACT);
	jw_rec(&k.w, NULL, &d, &b);
	got = sink_close(&k);
	want = jansson_text(record_json(&d, &b), JSON_COMPACT);
	ck_assert_str_eq(got, want);
	ck_assert_uint_eq(strlen(got), strlen("{\"s\":\"\"}") + RECORD_STR_MAX);
	free(got);
	free(want);
}
END_TEST

START_TEST(test_record_utf8_valid)
{
	ck_assert(record_utf8_valid("plain", 5));
	ck_assert(record_utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	ck_assert(!record_utf8_valid("\xc0\xaf", 2));		/* overlong '/' */
	ck_assert(!record_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	ck_assert(!record_utf8_valid("\xf4\x90\x80\x80", 4));	/* above U+10FFFF */
	ck_assert(!record_utf8_valid("\xe2\x82", 2));		/* cut short */
	ck_assert(!record_utf8_valid("\x80", 1));
}
END_TEST

/* A jansson value through the writer; an object opened on encoded members. */
START_TEST(test_jw_json_and_text)
{
	json_t *doc = json_pack("{s:i, s:[s, f, b, n], s:{}, s:{s:{s:I}}}", "a", 1, "b", "x\n", 0.5,
	    1, "c", "d", "e", "f", (json_int_t)INT64_MIN);
	struct sink k;
	char *want, *got;

	sink_open(&k, JW_INDENT2);
	jw_json(&k.w, NULL, doc);
	want = jansson_text(doc, JSON_INDENT(2));	/* steals doc */
	got = sink_close(&k);
	ck_assert_str_eq(got, want);
	free(want);
	free(got);

	sink_open(&k, JW_COMPACT);
	jw_obj_text(&k.w, NULL, "\"h\":1", 5);
	jw_int(&k.w, "x", 2);
	jw_end(&k.w);
	jw_obj_text(&k.w, NULL, "", 0);
	jw_int(&k.w, "x", 3);
	jw_end(&k.w);
	got = sink_close(&k);
	ck_assert_str_eq(got, "{\"h\":1,\"x\":2}{\"x\":3}");
	free(got);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("core/jsonw");
	TCase *tc = tcase_create("jsonw");

	tcase_add_test(tc, test_jw_strings);
	tcase_add_test(tc, test_jw_numbers);
	tcase_add_test(tc, test_jw_real_not_finite);
	tcase_add_test(tc, test_jw_nesting);
	tcase_add_test(tc, test_jw_styles);
	tcase_add_test(tc, test_jw_misuse);
	tcase_add_test(tc, test_record_writer_equals_jansson);
	tcase_add_test(tc, test_record_chars_cut);
	tcase_add_test(tc, test_record_utf8_valid);
	tcase_add_test(tc, test_jw_json_and_text);
	suite_add_tcase(s, tc);
	return s;
}
