/* SPDX-License-Identifier: MIT */
/*
 * Tests for core/ladder.c, the one ladder renderer: labels in both styles,
 * arrows (direction, lost, truncation), a row with the model's expectation
 * beside the observed segment, the lab's side-by-side cells and the list.
 */
#include "tests/unit/check_main.h"

#include <stdlib.h>
#include <string.h>

#include "core/ladder.h"
#include "core/util.h"

/* Render one row (or the head when r is NULL) into a static buffer. */
static const char *
render(const struct td_ladder *tmpl, const struct td_lrow *r)
{
	static char buf[1024];
	struct td_ladder l = *tmpl;
	FILE *fp;

	buf[0] = '\0';
	fp = fmemopen(buf, sizeof(buf), "w");

	ck_assert_ptr_nonnull(fp);
	l.out = fp;
	if (r != NULL)
		td_ladder_row(&l, r);
	else
		td_ladder_head(&l, "time", "originator", "responder");
	fclose(fp);
	return buf;
}

static const struct td_ladder model = { .layout = TD_LADDER_ARROWS, .style = TD_LADDER_MODEL,
	.twidth = 10, .tprec = 4, .colw = 12, .midw = 40 };
static const struct td_ladder wire = { .layout = TD_LADDER_ARROWS, .style = TD_LADDER_WIRE,
	.twidth = 10, .tprec = 6, .colw = 12, .midw = 40 };

START_TEST(test_flags)
{
	char b[16];

	ck_assert_str_eq(td_ladder_flags(TD_LADDER_WIRE, TD_LF_SYN | TD_LF_ACK, b, sizeof(b)), "S.");
	ck_assert_str_eq(td_ladder_flags(TD_LADDER_WIRE, TD_LF_SYN | TD_LF_FIN, b, sizeof(b)), "FS");
	ck_assert_str_eq(td_ladder_flags(TD_LADDER_WIRE, 0, b, sizeof(b)), "none");
	ck_assert_str_eq(td_ladder_flags(TD_LADDER_WIRE, 0xff, b, sizeof(b)), "FSRP.UEW");
	ck_assert_str_eq(td_ladder_flags(TD_LADDER_MODEL, TD_LF_SYN | TD_LF_FIN, b, sizeof(b)), "SF");
	ck_assert_str_eq(td_ladder_flags(TD_LADDER_MODEL, TD_LF_URG | TD_LF_ACK, b, sizeof(b)), "U.");
	ck_assert_str_eq(td_ladder_flags(TD_LADDER_MODEL, 0, b, sizeof(b)), "");
	/* A short buffer is cut, never overrun. */
	ck_assert_str_eq(td_ladder_flags(TD_LADDER_WIRE, 0xff, b, 3), "FS");
}
END_TEST

START_TEST(test_labels)
{
	struct td_lseg s = { .flags = TD_LF_SYN, .seq = 1000, .has_rseq = true, .sack_ok = true,
		.ts = true };
	char b[128];

	td_ladder_label(&model, &s, b, sizeof(b));
	ck_assert_str_eq(b, "S seq 0 <mss,sack,ts>");
	td_ladder_label(&wire, &s, b, sizeof(b));
	ck_assert_str_eq(b, "S 0 win 0");
	s = (struct td_lseg){ .flags = TD_LF_PSH | TD_LF_ACK, .seq = 5, .ack = 7, .rseq = 1,
		.rack = 1, .has_rseq = true, .has_rack = true, .len = 100, .win = 512 };
	td_ladder_label(&model, &s, b, sizeof(b));
	ck_assert_str_eq(b, "P. 1:101 ack 1");
	td_ladder_label(&wire, &s, b, sizeof(b));
	ck_assert_str_eq(b, "P. 1 ack 1 len 100");
	/* Unknown ISNs: the raw numbers. */
	s.has_rseq = s.has_rack = false;
	td_ladder_label(&model, &s, b, sizeof(b));
	ck_assert_str_eq(b, "P. seq 5 ack 7");
	td_ladder_label(&wire, &s, b, sizeof(b));
	ck_assert_str_eq(b, "P. 5 ack 7 len 100");
	s = (struct td_lseg){ .flags = TD_LF_ACK, .has_rseq = true, .has_rack = true, .rack = 1,
		.nsack = 1, .dsack = true, .win = 1 };
	snprintf(s.tags, sizeof(s.tags), "(rtx)");
	td_ladder_label(&model, &s, b, sizeof(b));
	ck_assert_str_eq(b, ". seq 0 ack 1 <dsack> (rtx)");
	s.dsack = false;
	s.nsack = 2;
	td_ladder_label(&model, &s, b, sizeof(b));
	ck_assert_str_eq(b, ". seq 0 ack 1 <sack x2> (rtx)");
	/* A label never overruns its buffer. */
	td_ladder_label(&model, &s, b, 8);
	ck_assert_str_eq(b, ". seq 0");
}
END_TEST

START_TEST(test_arrows)
{
	struct td_lrow r = { .left = "SYN_SENT", .right = "LISTEN" };

	r.seen = (struct td_lside){ .present = true, .t = 1500000000, .dir = TD_LDIR_RIGHT,
		.seg = { .flags = TD_LF_SYN, .has_rseq = true } };
	ck_assert_str_eq(render(&wire, &r),
	    "  1.500000  SYN_SENT     -- S 0 win 0 ------------------------->  LISTEN\n");
	r.left = NULL;
	r.right = NULL;
	r.note = "(lost: queue)";
	r.seen.dir = TD_LDIR_LEFT;
	r.seen.lost = true;
	r.seen.seg.win = 1;
	ck_assert_str_eq(render(&model, &r),
	    "    1.5000               x--------------------- S seq 0 <mss> --  (lost: queue)\n");
	/* A label longer than the column is cut to fit it. */
	memset(r.seen.seg.tags, 'y', 60);
	r.note = NULL;
	r.seen.lost = false;
	ck_assert_str_eq(render(&model, &r),
	    "    1.5000               < S seq 0 <mss> yyyyyyyyyyyyyyyyyyyy --  \n");
	ck_assert_str_eq(render(&wire, NULL),
	    "      time  originator                                            responder\n");
}
END_TEST

/* Issue 13: the observed segment and, beside it, what the model expected. */
START_TEST(test_expected)
{
	struct td_lrow r = { .left = "ESTABLISHED", .right = "CLOSE_WAIT" };

	r.seen = (struct td_lside){ .present = true, .t = 2000000, .dir = TD_LDIR_LEFT,
		.seg = { .flags = TD_LF_RST, .seq = 9 } };
	r.expected = (struct td_lside){ .present = true, .dir = TD_LDIR_LEFT,
		.seg = { .flags = TD_LF_FIN | TD_LF_ACK, .seq = 9, .ack = 3, .win = 5 } };
	ck_assert_str_eq(render(&wire, &r),
	    "  0.002000  ESTABLISHED  <------------------------------- R 9 --  CLOSE_WAIT"
	    "  expected: <- F. 9 ack 3\n");
	r.expected = (struct td_lside){ .present = true, .text = "nothing (closed)" };
	r.right = NULL;
	r.note = "[reset]";
	ck_assert_str_eq(render(&wire, &r),
	    "  0.002000  ESTABLISHED  <------------------------------- R 9 --  [reset]"
	    "  expected: nothing (closed)\n");
}
END_TEST

START_TEST(test_side_and_list)
{
	const struct td_ladder side = { .layout = TD_LADDER_SIDE, .twidth = 7, .tprec = 3,
		.colw = 20 };
	const struct td_ladder list = { .layout = TD_LADDER_LIST, .twidth = 9, .tprec = 3 };
	struct td_lrow r = { .differs = true };

	r.seen = (struct td_lside){ .present = true, .t = 1000000000, .text = "c0 >out S." };
	ck_assert_str_eq(render(&side, &r), "!   1.000 c0 >out S.   | \n");
	r.differs = false;
	r.expected = (struct td_lside){ .present = true, .t = 2000000000, .dir = TD_LDIR_RIGHT,
		.seg = { .flags = TD_LF_ACK, .ack = 1, .win = 1 } };
	ck_assert_str_eq(render(&side, &r), "    1.000 c0 >out S.   |   2.000 -> . seq 0 ack 1\n");
	ck_assert_str_eq(render(&side, NULL), "  originator           | responder\n");
	ck_assert_str_eq(render(&list, &r), "    1.000  c0 >out S.\n");
	ck_assert_str_eq(render(&list, NULL), "");
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("core/ladder");
	TCase *tc = tcase_create("ladder");

	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_labels);
	tcase_add_test(tc, test_arrows);
	tcase_add_test(tc, test_expected);
	tcase_add_test(tc, test_side_and_list);
	suite_add_tcase(s, tc);
	return s;
}
