/* SPDX-License-Identifier: MIT */
/*
 * Tests for sim/replay.c, driven segment by segment: the endpoint states of
 * a clean close, conn_state words, a RST into TIME_WAIT, a SYN reusing a
 * 4-tuple in TIME_WAIT with a lower sequence number, a SYN-ACK retransmitted
 * after 3 s, mid-stream pickup, the connection cap; and sim/capture.c
 * on in-memory captures (Ethernet with QinQ, Linux cooked v1, loopback).
 */
#include "tests/unit/check_main.h"

#include <stdio.h>
#include <string.h>

#include "sim/replay_findings.h"
#include "sim/capture.h"
#include "core/err.h"
#include "sim/replay.h"

#define C 0		/* from the client */
#define S 1		/* from the server */

static struct rp_conn ended[8];
static int nended;

static void
on_end(const struct rp_conn *c, void *arg)
{
	(void)arg;
	if (nended < 8)
		ended[nended++] = *c;
}

static struct replay *
mk(uint32_t max_conns)
{
	struct rp_opts o = { 0 };
	struct td_err err = { 0 };

	o.prof = tm_profile_linux();
	o.max_conns = max_conns;
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

/* Client 1000, server 5000: handshake, 10 bytes, the client closes first. */
static void
clean(struct replay *r, uint16_t port, uint64_t t)
{
	seg(r, C, port, t, TM_SYN, 1000, 0, 0);
	seg(r, S, port, t + 1, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, C, port, t + 2, TM_ACK, 1001, 5001, 0);
	seg(r, C, port, t + 3, TM_ACK | TM_PSH, 1001, 5001, 10);
	seg(r, S, port, t + 4, TM_ACK, 5001, 1011, 0);
	seg(r, C, port, t + 5, TM_ACK | TM_FIN, 1011, 5001, 0);
	seg(r, S, port, t + 6, TM_ACK | TM_FIN, 5001, 1012, 0);
	seg(r, C, port, t + 7, TM_ACK, 1012, 5002, 0);
}

static const char *
tl(const struct rp_side *s, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < s->ntl; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", tm_state_name(s->tl[i].st));
	return buf;
}

START_TEST(test_clean_close)
{
	struct replay *r = mk(0);
	char b[256];

	clean(r, 40000, 0);
	ck_assert_int_eq(nended, 1);
	ck_assert_str_eq(rp_conn_state(&ended[0]), "SF");
	ck_assert_str_eq(ended[0].history, "ShADaFf");
	ck_assert_str_eq(tl(&ended[0].s[0], b, sizeof(b)), "SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 TIME_WAIT");
	ck_assert_str_eq(tl(&ended[0].s[1], b, sizeof(b)), "LISTEN SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE");
	ck_assert_int_eq(ended[0].end, RP_END_FIN);
	ck_assert_int_eq(ended[0].closer, 0);
	ck_assert_uint_eq(ended[0].s[0].bytes, 10);
	ck_assert_uint_eq(ended[0].ndep, 0);
	rp_free(r);
}
END_TEST

START_TEST(test_rst_in_time_wait)
{
	struct replay *r = mk(0);
	struct td_findings fs = { 0 };
	struct td_err err = { 0 };

	clean(r, 40001, 0);
	seg(r, S, 40001, 500, TM_RST, 5002, 0, 0);	/* to the client, in TIME_WAIT */
	rp_finish(r);
	ck_assert_uint_eq(rp_stats(r)->rst_in_tw, 1);
	ck_assert_int_eq(capture_findings(rp_stats(r), &fs, &err), 0);
	ck_assert_uint_eq(fs.n, 1);
	ck_assert_str_eq(fs.v[0].id, "replay.rst_in_time_wait");
	td_findings_free(&fs);
	rp_free(r);
}
END_TEST

START_TEST(test_reuse_lower_seq)
{
	struct replay *r = mk(0);

	clean(r, 40002, 0);
	/* The server closed second: the client holds TIME_WAIT; a SYN from the
	 * server side's peer... here the client reconnects with a lower ISN. */
	seg(r, C, 40002, 1000, TM_SYN, 900, 0, 0);
	seg(r, S, 40002, 1001, TM_SYN | TM_ACK, 7000, 901, 0);
	rp_finish(r);
	ck_assert_int_eq(nended, 2);
	ck_assert(ended[1].reused);
	ck_assert_uint_eq(ended[1].an[RP_AN_REUSED_PORTS], 1);
	ck_assert_uint_eq(rp_stats(r)->reuse_tw, 1);
	rp_free(r);
}
END_TEST

START_TEST(test_reuse_server_in_time_wait)
{
	struct replay *r = mk(0);

	/* The server closes first and holds TIME_WAIT; the client comes back
	 * with an ISN below the old one: a departure. */
	seg(r, C, 40003, 0, TM_SYN, 1000, 0, 0);
	seg(r, S, 40003, 1, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, C, 40003, 2, TM_ACK, 1001, 5001, 0);
	seg(r, S, 40003, 3, TM_ACK | TM_FIN, 5001, 1001, 0);
	seg(r, C, 40003, 4, TM_ACK | TM_FIN, 1001, 5002, 0);
	seg(r, S, 40003, 5, TM_ACK, 5002, 1002, 0);
	ck_assert_int_eq(nended, 1);
	ck_assert_int_eq(ended[0].closer, 1);
	seg(r, C, 40003, 100, TM_SYN, 500, 0, 0);
	rp_finish(r);
	ck_assert_int_eq(nended, 2);
	ck_assert_uint_eq(ended[1].ndep, 1);
	ck_assert_int_eq(ended[1].dep[0].id, RP_DEP_TW_LOWER_SEQ);
	ck_assert_str_eq(rp_conn_state(&ended[1]), "S0");
	rp_free(r);
}
END_TEST

START_TEST(test_synack_rto_3s)
{
	struct replay *r = mk(0);

	seg(r, C, 40004, 0, TM_SYN, 1000, 0, 0);
	seg(r, S, 40004, 1, TM_SYN | TM_ACK, 5000, 1001, 0);
	seg(r, S, 40004, 3001, TM_SYN | TM_ACK, 5000, 1001, 0);	/* 3 s: an old stack */
	seg(r, C, 40004, 3002, TM_ACK, 1001, 5001, 0);
	rp_finish(r);
	ck_assert_int_eq(nended, 1);
	ck_assert_uint_eq(ended[0].ndep, 1);
	ck_assert_int_eq(ended[0].dep[0].id, RP_DEP_SYNACK_RTO);
	ck_assert_uint_eq(ended[0].s[1].nsyn_rtx, 1);
	ck_assert_uint_eq(ended[0].s[1].syn_rtx[0], 3000000000ull);
	ck_assert_str_eq(rp_conn_state(&ended[0]), "S1");
	rp_free(r);
}
END_TEST

START_TEST(test_midstream_and_cap)
{
	struct replay *r = mk(2);

	seg(r, S, 40005, 0, TM_ACK | TM_PSH, 7000, 3000, 100);	/* from port 80: flipped */
	seg(r, C, 40006, 1, TM_SYN, 1000, 0, 0);
	seg(r, C, 40007, 2, TM_SYN, 1000, 0, 0);		/* over the cap of 2 */
	ck_assert_uint_eq(rp_stats(r)->dropped, 1);
	rp_finish(r);
	ck_assert_int_eq(nended, 2);
	ck_assert_str_eq(rp_conn_state(&ended[0]), "OTH");
	ck_assert(ended[0].partial && ended[0].flipped);
	ck_assert_uint_eq(ended[0].s[1].port, 80);
	ck_assert_str_eq(rp_conn_state(&ended[1]), "S0");
	rp_free(r);
}
END_TEST

/*
 * Connections picked up in the middle: conn_state as Zeek words them for
 * endpoints it saw only mid-stream (SF, SH, SHR, RSTRH, OTH), and the model
 * follows each from its first segment, both endpoints ESTABLISHED: a FIN
 * exchange leaves the closer in TIME_WAIT by the model's timer, a RST from
 * the responder is judged (rst_not_fin).
 */
START_TEST(test_midstream_words_and_model)
{
	struct replay *r = mk(16);

	/* 40010: data both ways, FIN both ways. */
	seg(r, C, 40010, 0, TM_ACK | TM_PSH, 2001, 9001, 100);
	seg(r, S, 40010, 1, TM_ACK | TM_PSH, 9001, 2101, 50);
	seg(r, C, 40010, 2, TM_ACK | TM_FIN, 2101, 9051, 0);
	seg(r, S, 40010, 3, TM_ACK | TM_FIN, 9051, 2102, 0);
	seg(r, C, 40010, 4, TM_ACK, 2102, 9052, 0);
	/* 40011: the client's FIN only; 40012: the server's; 40013: the server resets. */
	seg(r, C, 40011, 10, TM_ACK | TM_FIN, 3001, 8001, 0);
	seg(r, S, 40012, 11, TM_ACK | TM_FIN, 8001, 3001, 0);
	seg(r, C, 40013, 12, TM_ACK | TM_PSH, 4001, 7001, 10);
	seg(r, S, 40013, 13, TM_ACK | TM_RST, 7001, 4011, 0);
	/* 40014: data, then nothing. */
	seg(r, C, 40014, 14, TM_ACK, 5001, 6001, 0);
	rp_finish(r);
	ck_assert_int_eq(nended, 5);
	ck_assert_str_eq(rp_conn_state(&ended[0]), "SF");
	ck_assert_uint_eq(ended[0].s[0].bytes, 100);
	ck_assert_uint_eq(ended[0].s[1].bytes, 50);
	ck_assert_int_eq(ended[0].model, RP_MODEL_FOLLOWED);
	ck_assert_uint_eq(ended[0].ndep, 0);
	ck_assert_int_eq(ended[0].s[0].m.tl[0].st, TM_ESTABLISHED);
	ck_assert_int_eq(ended[0].s[0].m.st, TM_TIME_WAIT);
	ck_assert_int_eq(ended[0].s[1].m.st, TM_CLOSE);
	ck_assert_str_eq(rp_conn_state(&ended[1]), "RSTRH");
	ck_assert_int_eq(ended[1].model, RP_MODEL_FOLLOWED);
	ck_assert_uint_eq(ended[1].ndep, 1);
	ck_assert_int_eq(ended[1].dep[0].id, RP_DEP_RST_NOT_FIN);
	ck_assert_str_eq(rp_conn_state(&ended[2]), "SH");
	ck_assert_str_eq(rp_conn_state(&ended[3]), "SHR");
	ck_assert_str_eq(rp_conn_state(&ended[4]), "OTH");
	ck_assert_uint_eq(rp_stats(r)->model_picked_up, 5);
	rp_free(r);
}
END_TEST

/*
 * Which end the capture point was nearer to, for connections picked up in
 * the middle: from each side's shortest wait between the other's data and
 * its ACK of it (next to the client, the client's ACKs come at once and the
 * server's a round trip, 40 ms, after the client's data; and the other way).
 */
START_TEST(test_midstream_capture_near)
{
	struct replay *r = mk(16);

	seg(r, C, 40020, 0, TM_ACK | TM_PSH, 2001, 9001, 100);
	seg(r, S, 40020, 40, TM_ACK, 9001, 2101, 0);
	seg(r, S, 40020, 41, TM_ACK | TM_PSH, 9001, 2101, 50);
	seg(r, C, 40020, 41, TM_ACK, 2101, 9051, 0);
	seg(r, C, 40021, 100, TM_ACK | TM_PSH, 3001, 8001, 100);
	seg(r, S, 40021, 100, TM_ACK, 8001, 3101, 0);
	seg(r, S, 40021, 101, TM_ACK | TM_PSH, 8001, 3101, 50);
	seg(r, C, 40021, 141, TM_ACK, 3101, 8051, 0);
	seg(r, C, 40022, 200, TM_ACK | TM_PSH, 4001, 7001, 100);	/* no ACK of it: unknown */
	rp_finish(r);
	ck_assert_int_eq(nended, 3);
	ck_assert_str_eq(rp_capture_near(&ended[0]), "originator");
	ck_assert_str_eq(rp_capture_near(&ended[1]), "responder");
	ck_assert_str_eq(rp_capture_near(&ended[2]), "unknown");
	rp_free(r);
}
END_TEST

/*
 * Ended connections are remembered 4 per connection open at once, at least
 * 4096: 5000 clean closes one after another (one open at a time) forget the
 * TIME_WAIT of the 904 oldest, and a RST to the first is no longer known.
 */
START_TEST(test_tombstones_bounded)
{
	struct replay *r = mk(0);
	unsigned int i;

	for (i = 0; i < 5000; i++)
		clean(r, (uint16_t)(20000 + i), i * 10);
	ck_assert_uint_eq(rp_stats(r)->open_peak, 1);
	ck_assert_uint_eq(rp_stats(r)->tw_forgotten, 5000 - RP_TOMB_MIN);
	seg(r, S, 20000, 50000, TM_RST, 5002, 0, 0);
	ck_assert_uint_eq(rp_stats(r)->rst_in_tw, 0);
	seg(r, S, 24999, 50001, TM_RST, 5002, 0, 0);	/* the newest is remembered */
	ck_assert_uint_eq(rp_stats(r)->rst_in_tw, 1);
	rp_free(r);
}
END_TEST

/* ---- sim/capture.c on in-memory pcap files ---- */

static size_t
cap_file(uint8_t *b, uint32_t link, const uint8_t *frame, size_t n)
{
	uint32_t h[6] = { 0xa1b2c3d4u, 0x00040002u, 0, 0, 65535, link };
	uint32_t rec[4] = { 1, 0, (uint32_t)n, (uint32_t)n };

	memcpy(b, h, 24);
	memcpy(b + 24, rec, 16);
	memcpy(b + 40, frame, n);
	return 40 + n;
}

/* An IPv4 SYN from the codec after a link header of hl bytes. */
static size_t
frame_with(uint8_t *f, const uint8_t *hdr, size_t hl)
{
	struct tm_seg g;
	struct td_err err = { 0 };
	int n;

	memset(&g, 0, sizeof(g));
	tm_addr_parse("198.18.0.1", &g.src);
	tm_addr_parse("198.18.0.2", &g.dst);
	g.sport = 1234;
	g.dport = 80;
	g.flags = TM_SYN;
	g.seq = 77;
	memcpy(f, hdr, hl);
	n = tm_seg_encode(&g, f + hl, 200, &err);
	ck_assert_int_gt(n, 0);
	return hl + (size_t)n;
}

START_TEST(test_capture_links)
{
	static const uint8_t qinq[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
		0x88, 0xa8, 0, 10, 0x81, 0x00, 0, 20, 0x08, 0x00 };
	static const uint8_t sll[] = { 0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x08, 0x00 };
	static const uint8_t null_le[] = { 2, 0, 0, 0 };
	static const struct { uint32_t link; const uint8_t *h; size_t hl; } v[] = {
		{ 1, qinq, sizeof(qinq) }, { 113, sll, sizeof(sll) }, { 0, null_le, sizeof(null_le) },
	};
	uint8_t f[300], file[400];

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct td_err err = { 0 };
		struct td_cap_pkt pkt;
		struct td_capture *c;
		size_t n = cap_file(file, v[i].link, f, frame_with(f, v[i].h, v[i].hl));

		c = td_capture_open_mem(file, n, &err);
		ck_assert_msg(c != NULL, "%s", err.msg);
		ck_assert_int_eq(td_capture_next(c, &pkt, &err), TD_CAP_SEG);
		ck_assert_uint_eq(pkt.seg.seq, 77);
		ck_assert_uint_eq(pkt.seg.dport, 80);
		ck_assert_uint_eq(pkt.no, 1);
		ck_assert_int_eq(td_capture_next(c, &pkt, &err), TD_CAP_END);
		td_capture_close(c);
	}
}
END_TEST

START_TEST(test_capture_unsupported_and_cut)
{
	static const uint8_t eth[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00 };
	uint8_t f[300], file[400];
	struct td_err err = { 0 };
	struct td_cap_pkt pkt;
	struct td_capture *c;
	size_t n;

	n = cap_file(file, 105, f, frame_with(f, eth, sizeof(eth)));	/* 802.11 */
	ck_assert_ptr_null(td_capture_open_mem(file, n, &err));
	ck_assert_msg(strstr(err.msg, "link type 105") != NULL, "%s", err.msg);
	/* Headers cut: 30 bytes of an Ethernet frame, origlen larger. */
	n = cap_file(file, 1, f, frame_with(f, eth, sizeof(eth)));
	((uint32_t *)(void *)(file + 24))[2] = 30;
	n = 40 + 30;
	memset(&err, 0, sizeof(err));
	c = td_capture_open_mem(file, n, &err);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(td_capture_next(c, &pkt, &err), TD_CAP_SKIP);
	ck_assert_msg(strstr(err.msg, "packet 1: headers cut by the snap length") != NULL, "%s", err.msg);
	ck_assert_uint_eq(td_capture_stats(c)->snap_cut, 1);
	td_capture_close(c);
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("sim/replay");
	TCase *tc = tcase_create("engine");

	tcase_add_test(tc, test_clean_close);
	tcase_add_test(tc, test_rst_in_time_wait);
	tcase_add_test(tc, test_reuse_lower_seq);
	tcase_add_test(tc, test_reuse_server_in_time_wait);
	tcase_add_test(tc, test_synack_rto_3s);
	tcase_add_test(tc, test_midstream_and_cap);
	tcase_add_test(tc, test_midstream_words_and_model);
	tcase_add_test(tc, test_midstream_capture_near);
	tcase_add_test(tc, test_tombstones_bounded);
	suite_add_tcase(s, tc);
	tc = tcase_create("capture");
	tcase_add_test(tc, test_capture_links);
	tcase_add_test(tc, test_capture_unsupported_and_cut);
	suite_add_tcase(s, tc);
	return s;
}
