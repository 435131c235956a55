/* SPDX-License-Identifier: MIT */
/*
 * Tests for lab/pcap.c: the kernel capture fixtures, write/read round trips,
 * both byte orders and timestamp precisions, Ethernet with VLAN tags, and a
 * clear error for each malformation.
 */
#include "tests/unit/check_main.h"

#include <stdio.h>
#include <string.h>

#include "collectors/snapshot.h"
#include "lab/pcap.h"

/* Build a capture in memory: header then records, in big or little endian. */
struct cap {
	uint8_t	b[4096];
	size_t	n;
	bool	be;
};

static void
put32(struct cap *c, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		c->b[c->n++] = (uint8_t)(c->be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void
put16(struct cap *c, uint16_t v)
{
	c->b[c->n++] = (uint8_t)(c->be ? v >> 8 : v);
	c->b[c->n++] = (uint8_t)(c->be ? v : v >> 8);
}

static void
hdr(struct cap *c, uint32_t magic, uint16_t major, uint32_t snap, uint32_t link)
{
	put32(c, magic);
	put16(c, major);
	put16(c, 4);
	put32(c, 0);
	put32(c, 0);
	put32(c, snap);
	put32(c, link);
}

static void
record(struct cap *c, uint32_t sec, uint32_t frac, uint32_t caplen, uint32_t origlen,
    const void *data, size_t n)
{
	put32(c, sec);
	put32(c, frac);
	put32(c, caplen);
	put32(c, origlen);
	memcpy(c->b + c->n, data, n);
	c->n += n;
}

static FILE *
mem(struct cap *c)
{
	FILE *fp = fmemopen(c->b, c->n ? c->n : 1, "rb");

	ck_assert_ptr_nonnull(fp);
	if (c->n == 0)
		fgetc(fp);			/* an empty stream */
	return fp;
}

START_TEST(test_read_kernel_fixture)
{
	struct td_err err = { 0 };
	struct lab_pcap pc;
	struct lab_pcap_pkt pkt;
	char path[512];
	uint64_t last = 0;
	int n = 0, r;

	snprintf(path, sizeof(path), "%s/tests/fixtures/packets/handshake-v6.pcap", TD_SRCDIR);
	ck_assert_msg(lab_pcap_open(&pc, path, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(pc.linktype, LAB_LINKTYPE_RAW);
	ck_assert(pc.nsec);
	while ((r = lab_pcap_next(&pc, &pkt, &err)) == 1) {
		ck_assert_uint_eq(pkt.ip[0] >> 4, 6);
		ck_assert_uint_eq(pkt.iplen, pkt.caplen);
		ck_assert_uint_ge(pkt.ts_ns, last);
		last = pkt.ts_ns;
		n++;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(lab_pcap_close(&pc, &err), 0);
	ck_assert_int_eq(lab_pcap_close(&pc, &err), 0);	/* twice is fine */
}
END_TEST

START_TEST(test_write_read_roundtrip)
{
	struct td_err err = { 0 };
	static const uint8_t a[] = { 0x45, 1, 2, 3 }, b[] = { 0x60, 9 };
	struct lab_pcap w, rd;
	struct lab_pcap_pkt pkt;
	FILE *fp = tmpfile();

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(lab_pcap_fcreate(&w, fp, "tmp", &err), 0);
	ck_assert_int_eq(lab_pcap_write(&w, 1700000000123456789ull, a, sizeof(a), &err), 0);
	ck_assert_int_eq(lab_pcap_write(&w, 1700000001000000001ull, b, sizeof(b), &err), 0);
	ck_assert_int_eq(lab_pcap_close(&w, &err), 0);
	rewind(fp);
	ck_assert_int_eq(lab_pcap_fopen(&rd, fp, "tmp", &err), 0);
	ck_assert_int_eq(lab_pcap_next(&rd, &pkt, &err), 1);
	ck_assert_uint_eq(pkt.ts_ns, 1700000000123456789ull);
	ck_assert_uint_eq(pkt.iplen, sizeof(a));
	ck_assert_mem_eq(pkt.ip, a, sizeof(a));
	ck_assert_int_eq(lab_pcap_next(&rd, &pkt, &err), 1);
	ck_assert_uint_eq(pkt.ts_ns, 1700000001000000001ull);
	ck_assert_mem_eq(pkt.ip, b, sizeof(b));
	ck_assert_int_eq(lab_pcap_next(&rd, &pkt, &err), 0);
	lab_pcap_close(&rd, NULL);
	fclose(fp);
	/* Reading a writer is an error, not a crash. */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(lab_pcap_next(&w, &pkt, &err), -1);
}
END_TEST

START_TEST(test_read_big_endian_usec_ethernet_vlan)
{
	static const uint8_t frame[] = {
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,	/* MACs */
		0x81, 0x00, 0x00, 0x05,			/* 802.1Q, VLAN 5 */
		0x08, 0x00,				/* IPv4 */
		0x45, 0xaa, 0xbb,
	};
	static const uint8_t arp[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06, 0 };
	struct td_err err = { 0 };
	struct cap c = { .be = true };
	struct lab_pcap pc;
	struct lab_pcap_pkt pkt;
	FILE *fp;

	hdr(&c, 0xa1b2c3d4u, 2, 65535, LAB_LINKTYPE_ETHERNET);
	record(&c, 10, 500000, sizeof(frame), 1514, frame, sizeof(frame));
	record(&c, 11, 0, sizeof(arp), sizeof(arp), arp, sizeof(arp));
	fp = mem(&c);
	ck_assert_msg(lab_pcap_fopen(&pc, fp, "be", &err) == 0, "%s", err.msg);
	ck_assert(pc.swap || __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__);
	ck_assert(!pc.nsec);
	ck_assert_int_eq(lab_pcap_next(&pc, &pkt, &err), 1);
	ck_assert_uint_eq(pkt.ts_ns, 10500000000ull);
	ck_assert_uint_eq(pkt.origlen, 1514);
	ck_assert_uint_eq(pkt.iplen, 3);
	ck_assert_uint_eq(pkt.ip[0], 0x45);
	ck_assert_int_eq(lab_pcap_next(&pc, &pkt, &err), 1);
	ck_assert_uint_eq(pkt.iplen, 0);		/* ARP: no IP inside */
	ck_assert_int_eq(lab_pcap_next(&pc, &pkt, &err), 0);
	lab_pcap_close(&pc, NULL);
	fclose(fp);
}
END_TEST

START_TEST(test_read_little_endian_nsec_raw)
{
	static const uint8_t ip[] = { 0x60, 0, 0, 0 };
	struct td_err err = { 0 };
	struct cap c = { .be = false };
	struct lab_pcap pc;
	struct lab_pcap_pkt pkt;
	FILE *fp;

	hdr(&c, 0xa1b23c4du, 2, 0, LAB_LINKTYPE_IPV6);	/* snaplen 0: the maximum */
	record(&c, 1, 999999999, sizeof(ip), sizeof(ip), ip, sizeof(ip));
	fp = mem(&c);
	ck_assert_int_eq(lab_pcap_fopen(&pc, fp, "le", &err), 0);
	ck_assert(pc.nsec);
	ck_assert_int_eq(lab_pcap_next(&pc, &pkt, &err), 1);
	ck_assert_uint_eq(pkt.ts_ns, 1999999999ull);
	ck_assert_uint_eq(pkt.iplen, 4);
	lab_pcap_close(&pc, NULL);
	fclose(fp);
}
END_TEST

/* Malformed files: each gets its own message. */
static const struct {
	int		 kind;
	const char	*msg;
} bad[] = {
	{ 0, "pcap 'x': file header truncated (0 of 24 bytes)" },
	{ 1, "pcap 'x': magic 0x0a0d0d0a is not a pcap file (pcapng is not supported)" },
	{ 2, "pcap 'x': version 3.4, expected 2.x" },
	{ 3, "pcap 'x': link type 113 not supported (1, 101, 228, 229)" },
	{ 4, "pcap 'x': record 1: header truncated (5 of 16 bytes)" },
	{ 5, "pcap 'x': record 1: captured length 200 exceeds the snap length 100" },
	{ 6, "pcap 'x': record 1: captured length 4 exceeds the original length 3" },
	{ 7, "pcap 'x': record 1: data truncated (2 of 4 bytes)" },
	{ 8, "pcap 'x': record 1: fraction 1000000 out of range" },
	{ 9, "pcap 'x': file header truncated (10 of 24 bytes)" },
};

START_TEST(test_read_malformed)
{
	static const uint8_t d[] = { 0x45, 0, 0, 0 };
	struct td_err err = { 0 };
	struct cap c = { .be = false };
	struct lab_pcap pc;
	struct lab_pcap_pkt pkt;
	FILE *fp;
	int r;

	switch (bad[_i].kind) {
	case 0:
		break;
	case 1:
		hdr(&c, 0x0a0d0d0au, 2, 100, 101);
		break;
	case 2:
		hdr(&c, 0xa1b2c3d4u, 3, 100, 101);
		break;
	case 3:
		hdr(&c, 0xa1b2c3d4u, 2, 100, 113);
		break;
	case 4:
		hdr(&c, 0xa1b2c3d4u, 2, 100, 101);
		memset(c.b + c.n, 0, 5);
		c.n += 5;
		break;
	case 5:
		hdr(&c, 0xa1b2c3d4u, 2, 100, 101);
		record(&c, 0, 0, 200, 200, d, sizeof(d));
		break;
	case 6:
		hdr(&c, 0xa1b2c3d4u, 2, 100, 101);
		record(&c, 0, 0, 4, 3, d, sizeof(d));
		break;
	case 7:
		hdr(&c, 0xa1b2c3d4u, 2, 100, 101);
		record(&c, 0, 0, 4, 4, d, 2);
		break;
	case 8:
		hdr(&c, 0xa1b2c3d4u, 2, 100, 101);
		record(&c, 0, 1000000, 4, 4, d, sizeof(d));
		break;
	case 9:
		hdr(&c, 0xa1b2c3d4u, 2, 100, 101);
		c.n = 10;
		break;
	}
	fp = mem(&c);
	r = lab_pcap_fopen(&pc, fp, "x", &err);
	if (r == 0) {
		r = lab_pcap_next(&pc, &pkt, &err);
		lab_pcap_close(&pc, NULL);
	}
	fclose(fp);
	ck_assert_int_eq(r, -1);
	ck_assert_str_eq(err.msg, bad[_i].msg);
}
END_TEST

START_TEST(test_open_missing_file)
{
	struct td_err err = { 0 };
	struct lab_pcap pc;

	ck_assert_int_eq(lab_pcap_open(&pc, "/nonexistent/x.pcap", &err), -1);
	ck_assert_str_eq(err.msg, "pcap '/nonexistent/x.pcap': No such file or directory");
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("lab/pcap");
	TCase *tc;

	tc = tcase_create("read");
	tcase_add_test(tc, test_read_kernel_fixture);
	tcase_add_test(tc, test_read_big_endian_usec_ethernet_vlan);
	tcase_add_test(tc, test_read_little_endian_nsec_raw);
	tcase_add_loop_test(tc, test_read_malformed, 0, (int)(sizeof(bad) / sizeof(bad[0])));
	tcase_add_test(tc, test_open_missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("write");
	tcase_add_test(tc, test_write_read_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}
