/* SPDX-License-Identifier: MIT */
/*
 * Tests for sim/replay_model.c, replay's observer that drives both
 * endpoints through the model: the model's timelines and next events of a
 * clean close (TIME_WAIT timed by the model), a SYN-ACK retransmitted too
 * early and one too late against the model's timer, a SYN-ACK
 * retransmission the capture never shows, a FIN no one acknowledges, a RST
 * from LAST_ACK, a RST that answers data after close() (explained), and a
 * connection picked up in the middle (not followed).
 */
#include "tests/unit/check_main.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "sim/replay.h"

#define C 0		/* from the client */
#define S 1		/* from the server */

static struct rp_conn ended[4];
static int nended;

static void
on_end(const struct rp_conn *c, void *arg)
{
	(void)arg;
	if (nended < 4)
		ended[nended++] = *c;
}

static struct replay *
mk(void)
{
	struct rp_opts o = { 0 };
	struct td_err err = { 0 };

	o.prof = tm_profile_linux();
	o.on_end = on_end;
	nended = 0;
	return rp_new(&o, &err);
}

static uint64_t pno;

/* A segment between 198.18.0.1:cport and 198.18.0.2:80 at time t ms. */
static void
seg(struct replay *r, int who, uint16_t cport, uint64_t t_ms, uint8_t flags, tm_seq seq,
    tm_seq ack, uint32_t len)
{
	struct tm_seg g;

	memset(&g, 0, sizeof(g));
	tm_addr_parse(who == C ? "198.18.0.1" : "198.18.0.2", &g.src);
	tm_addr_parse(who == C ? "198.18.0.2" : "198.18.0.1", &g.dst);
	g.sport = who == C ? cport : 80;
	g.dport = who == C ? 80 : cport;
	g.flags = flags;
	g.seq = seq;
	g.ack = ack;
	g.wnd = 1000;
	g.len = len;
	rp_segment(r, 1000000000000ull + t_ms * 1000000ull, ++pno, &g, false);
}

static const char *
mtl(const struct rp_mside *m, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < m->ntl; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", tm_state_name(m->tl[i].st));
	return buf;
}

static bool
has_dep(const struct rp_conn *c, enum rp_dep d, const char *text)
{
	for (unsigned int i = 0; i < c->ndep; i++)
		if (c->dep[i].id == d && (text == NULL || strstr(c->dep[i].text, text) != NULL))
			return true;
	return false;
}

static void
handshake(struct replay *r, uint16_t port, uint64_t t)
{
	seg(r, C, port, t, TM_SYN, 1000, 0, 0);
	seg(r, S, port, t + 1, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, C, port, t + 2, TM_ACK, 1001, 5001, 0);
}

START_TEST(test_model_clean_close)
{
	struct replay *r = mk();
	char b[256];

	handshake(r, 41000, 0);
	seg(r, C, 41000, 3, TM_ACK | TM_PSH, 1001, 5001, 10);
	seg(r, S, 41000, 4, TM_ACK, 5001, 1011, 0);
	seg(r, C, 41000, 5, TM_ACK | TM_FIN, 1011, 5001, 0);
	seg(r, S, 41000, 6, TM_ACK, 5001, 1012, 0);
	seg(r, S, 41000, 7, TM_ACK | TM_FIN, 5001, 1012, 0);
	seg(r, C, 41000, 8, TM_ACK, 1012, 5002, 0);
	ck_assert_int_eq(nended, 1);
	ck_assert_int_eq(ended[0].model, RP_MODEL_FOLLOWED);
	ck_assert_str_eq(mtl(&ended[0].s[0].m, b, sizeof(b)),
	    "SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
	ck_assert_str_eq(mtl(&ended[0].s[1].m, b, sizeof(b)),
	    "LISTEN NEW_SYN_RECV SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE");
	/* TIME_WAIT is the model's timewait socket, for TCP_TIMEWAIT_LEN from the FIN. */
	ck_assert_int_eq(ended[0].s[0].m.obj, TM_OBJ_TW);
	ck_assert(ended[0].s[0].m.has_next);
	ck_assert_int_eq(ended[0].s[0].m.next_timer, TM_T_TW);
	ck_assert_uint_eq(ended[0].s[0].m.next_t, TM_MS(7) + TM_SEC(60));
	rp_model_next(&ended[0], 0, rp_profile(r), b, sizeof(b));
	ck_assert_msg(strstr(b, "TIME_WAIT ends at 60.007 s") != NULL, "%s", b);
	ck_assert_uint_eq(ended[0].ndep, 0);
	rp_free(r);
}
END_TEST

/* The first SYN-ACK retransmission 0.3 s after the first: Linux waits 1 s. */
START_TEST(test_model_synack_early)
{
	struct replay *r = mk();

	seg(r, C, 41001, 0, TM_SYN, 1000, 0, 0);
	seg(r, S, 41001, 1, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, S, 41001, 301, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, C, 41001, 302, TM_ACK, 1001, 5001, 0);
	rp_finish(r);
	ck_assert_int_eq(nended, 1);
	ck_assert_uint_eq(ended[0].ndep, 1);
	ck_assert_msg(has_dep(&ended[0], RP_DEP_SYNACK_RTO, "retransmitted 0.30 s after the previous one; "
	    "the model (linux) retransmits it after 1.00 s"), "%s", ended[0].dep[0].text);
	rp_free(r);
}
END_TEST

/* At 1 s, 3 s (1 + 2), 7 s: the model's schedule is met; then at 3 s after 7 s: late. */
START_TEST(test_model_synack_schedule)
{
	struct replay *r = mk();

	seg(r, C, 41002, 0, TM_SYN, 1000, 0, 0);
	seg(r, S, 41002, 10, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, S, 41002, 1010, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, S, 41002, 3010, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, S, 41002, 7010, TM_SYN | TM_ACK, 5000, 1001, 0);
	ck_assert_uint_eq(rp_stats(r)->dep[RP_DEP_SYNACK_RTO], 0);
	/* The model's next one is at 15.01 s; the capture shows none by 17 s. */
	seg(r, C, 41003, 17000, TM_SYN, 1, 0, 0);
	rp_finish(r);
	ck_assert_int_eq(nended, 2);
	ck_assert_msg(has_dep(&ended[0], RP_DEP_SYNACK_RTO, "retransmits the SYN-ACK 8.00 s after the "
	    "previous one; none was seen"), "%s", ended[0].ndep ? ended[0].dep[0].text : "-");
	rp_free(r);
}
END_TEST

/* A FIN that the peer never acknowledges (and that is not retransmitted). */
START_TEST(test_model_ack_missing)
{
	struct replay *r = mk();

	handshake(r, 41004, 0);
	seg(r, C, 41004, 10, TM_ACK | TM_FIN, 1001, 5001, 0);
	seg(r, C, 41005, 2000, TM_SYN, 1, 0, 0);	/* the capture goes on */
	rp_finish(r);
	ck_assert_int_ge(nended, 1);
	ck_assert(has_dep(&ended[0], RP_DEP_ACK_MISSING, "responder ACK the FIN"));
	rp_free(r);
}
END_TEST

/* A RST from LAST_ACK: no application call resets a socket there. */
START_TEST(test_model_rst_last_ack)
{
	struct replay *r = mk();

	handshake(r, 41006, 0);
	seg(r, C, 41006, 10, TM_ACK | TM_FIN, 1001, 5001, 0);
	seg(r, S, 41006, 11, TM_ACK, 5001, 1002, 0);
	seg(r, S, 41006, 12, TM_ACK | TM_FIN, 5001, 1002, 0);
	seg(r, S, 41006, 13, TM_RST, 5002, 0, 0);
	ck_assert_int_eq(nended, 1);
	ck_assert(has_dep(&ended[0], RP_DEP_RST_UNEXPECTED, "responder sent RST in LAST_ACK"));
	rp_free(r);
}
END_TEST

/* Data after close(): the closer's RST is the model's (TCPAbortOnData), not a departure. */
START_TEST(test_model_rst_after_data_explained)
{
	struct replay *r = mk();

	handshake(r, 41007, 0);
	seg(r, C, 41007, 10, TM_ACK | TM_FIN, 1001, 5001, 0);
	seg(r, S, 41007, 11, TM_ACK, 5001, 1002, 0);
	seg(r, S, 41007, 12, TM_ACK | TM_PSH, 5001, 1002, 100);
	seg(r, C, 41007, 13, TM_RST, 1002, 0, 0);
	ck_assert_int_eq(nended, 1);
	ck_assert_uint_eq(ended[0].ndep, 0);
	rp_free(r);
}
END_TEST

/*
 * A connection picked up in the middle is followed from its first segment
 * (both endpoints ESTABLISHED, the numbers from that segment's seq and ack);
 * one picked up at a segment without ACK is not.
 */
START_TEST(test_model_midstream)
{
	struct replay *r = mk();

	seg(r, S, 41008, 0, TM_ACK | TM_PSH, 7000, 3000, 100);
	seg(r, C, 41008, 1, TM_ACK, 3000, 7100, 0);
	seg(r, C, 41009, 2, TM_PSH, 3000, 0, 10);
	rp_finish(r);
	ck_assert_int_eq(nended, 2);
	ck_assert_int_eq(ended[0].model, RP_MODEL_FOLLOWED);
	ck_assert_uint_eq(ended[0].ndep, 0);
	ck_assert_int_eq(ended[0].s[0].m.st, TM_ESTABLISHED);
	ck_assert_int_eq(ended[0].s[1].m.st, TM_ESTABLISHED);
	ck_assert_int_eq(ended[0].s[0].m.tl[0].st, TM_ESTABLISHED);
	ck_assert_int_eq(ended[1].model, RP_MODEL_OFF);
	ck_assert_msg(strstr(ended[1].model_note, "picked up in the middle at a segment without ACK") !=
	    NULL, "%s", ended[1].model_note);
	ck_assert_uint_eq(rp_stats(r)->model_off, 1);
	ck_assert_uint_eq(rp_stats(r)->model_picked_up, 1);
	rp_free(r);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("sim/replay_model");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, test_model_clean_close);
	tcase_add_test(tc, test_model_synack_early);
	tcase_add_test(tc, test_model_synack_schedule);
	tcase_add_test(tc, test_model_ack_missing);
	tcase_add_test(tc, test_model_rst_last_ack);
	tcase_add_test(tc, test_model_rst_after_data_explained);
	tcase_add_test(tc, test_model_midstream);
	suite_add_tcase(s, tc);
	return s;
}
