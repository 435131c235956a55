/* SPDX-License-Identifier: MIT */
/*
 * Tests for cmd/output.c's table rendering of described records
 * (output_rec_lines): labelled lines, nested records in their place, an
 * array's heading and items ("none" when empty), rows, fields for JSON only.
 */
#include "tests/unit/check_main.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/output.h"
#include "core/record.h"

struct item {
	const char	*name;
	int64_t		 v;
	const char	*line;
};

static const struct record_field item_fields[] = {
	RECORD_TEXT("name", NULL, struct item, name),
	RECORD_INT("v", struct item, v),
	{ .how = RECORD_AT_STRP, .off = offsetof(struct item, line), .size = sizeof(const char *),
	  .flags = RECORD_F_TABLE_ITEM },
};
static const struct record_desc item_desc = RECORD_DESC("item", item_fields);

struct inner {
	const char	*what;
};

static const struct record_field inner_fields[] = {
	RECORD_TEXT("what", "what:", struct inner, what),
};
static const struct record_desc inner_desc = RECORD_DESC("inner", inner_fields);

struct outer {
	const char	*kind, *means, *empty;
	int64_t		 n;
	struct inner	 in;
	struct item	*items;
	size_t		 nitems;
};

static bool
get_in(const void *r, struct record_val *v)
{
	return record_obj(v, &inner_desc, &((const struct outer *)r)->in);
}

static bool
get_items(const void *r, struct record_val *v)
{
	const struct outer *o = r;

	return record_arr(v, &item_desc, o->items, o->nitems, sizeof(*o->items), NULL);
}

static bool
get_map(const void *r, struct record_val *v)
{
	const struct outer *o = r;

	return record_map(v, &item_desc, o->items, o->nitems, sizeof(*o->items));
}

static const struct record_field outer_fields[] = {
	RECORD_TEXT("kind", NULL, struct outer, kind),
	RECORD_TEXT("means", "means:", struct outer, means),
	{ .key = "empty", .how = RECORD_AT_STRP, .off = offsetof(struct outer, empty),
	  .size = sizeof(const char *), .label = "empty:", .flags = RECORD_F_TABLE_NONEMPTY },
	RECORD_INT("n", struct outer, n),
	RECORD_FN("in", get_in),
	{ .key = "items", .how = RECORD_GET, .get = get_items, .label = "items here:",
	  .flags = RECORD_F_TABLE_NONE },
	{ .key = "map", .how = RECORD_GET, .get = get_map, .flags = RECORD_F_TABLE_ROWS },
};
static const struct record_desc outer_desc = RECORD_DESC("outer", outer_fields);

static char *
lines(const struct outer *o)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(fp);
	output_rec_lines(fp, &outer_desc, o);
	fclose(fp);
	return buf;
}

START_TEST(test_rec_lines)
{
	struct item it[2] = { { "a", 1, "a line" }, { "b", 2, "b line" } };
	struct outer o = { "k", "it means", "", 7, { "inside" }, it, 2 };
	char *got;

	got = lines(&o);
	ck_assert_str_eq(got,
	    "  means:      it means\n"
	    "  what:       inside\n"
	    "  items here:\n"
	    "    a line\n"
	    "    b line\n"
	    "a line\n"
	    "b line\n");
	free(got);
	/* No element: "none" under the heading; no rows. */
	o.nitems = 0;
	o.empty = "now";
	got = lines(&o);
	ck_assert_str_eq(got,
	    "  means:      it means\n"
	    "  empty:      now\n"
	    "  what:       inside\n"
	    "  items here:\n"
	    "    none\n");
	free(got);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("cmd/output");
	TCase *tc = tcase_create("rec_lines");

	tcase_add_test(tc, test_rec_lines);
	suite_add_tcase(s, tc);
	return s;
}
