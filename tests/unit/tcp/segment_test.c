/* SPDX-License-Identifier: MIT */
/*
 * Tests for tcp/segment.c: a SYN encoded by hand from RFC 791/9293 (golden
 * bytes), packets the kernel sent over TUN (tests/fixtures/packets/, decoded
 * and re-encoded byte for byte, which also checks the Linux option layout),
 * round trips, every malformation the decoder must name, truncation at every
 * length and a bounded mutation loop.
 */
#include "tests/unit/check_main.h"

#include <sys/socket.h>

#include <string.h>

#include "collectors/snapshot.h"
#include "lab/pcap.h"
#include "tcp/segment.h"

/*
 * 192.0.2.1:12345 -> 192.0.2.2:80, SYN, seq 1, win 65535, <mss 1460>, TTL
 * 64, DF.  Checksums by hand (RFC 1071): IP 0xb6c8, TCP 0xe398.
 */
static const uint8_t golden_syn[] = {
	0x45, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x40, 0x00, 0x40, 0x06, 0xb6, 0xc8,
	0xc0, 0x00, 0x02, 0x01, 0xc0, 0x00, 0x02, 0x02,
	0x30, 0x39, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	0x60, 0x02, 0xff, 0xff, 0xe3, 0x98, 0x00, 0x00, 0x02, 0x04, 0x05, 0xb4,
};

static struct tm_seg
golden_seg(void)
{
	struct tm_seg s;

	memset(&s, 0, sizeof(s));
	tm_addr_parse("192.0.2.1", &s.src);
	tm_addr_parse("192.0.2.2", &s.dst);
	s.sport = 12345;
	s.dport = 80;
	s.seq = 1;
	s.flags = TM_SYN;
	s.wnd = 65535;
	s.has_mss = true;
	s.mss = 1460;
	return s;
}

/* The one flag parser is the inverse of tm_flags_str(). */
START_TEST(test_flags_parse)
{
	char buf[16];
	uint8_t f;
	unsigned int v;

	for (v = 0; v < 256; v++) {
		tm_flags_str((uint8_t)v, buf, sizeof(buf));
		ck_assert_int_eq(tm_flags_parse(buf, strlen(buf), &f), 0);
		ck_assert_uint_eq(f, v);
	}
	ck_assert_int_eq(tm_flags_parse("SA", 2, &f), 0);
	ck_assert_uint_eq(f, TM_SYN | TM_ACK);
	ck_assert_int_eq(tm_flags_parse("", 0, &f), 0);
	ck_assert_uint_eq(f, 0);
	ck_assert_int_eq(tm_flags_parse("S.x", 3, &f), -1);
	ck_assert_int_eq(tm_flags_parse("S\0", 2, &f), -1);
	ck_assert_int_eq(tm_flags_parse("nonE", 4, &f), -1);
}
END_TEST

START_TEST(test_encode_golden_syn)
{
	struct td_err err = { 0 };
	struct tm_seg s = golden_seg();
	uint8_t buf[128];
	int n;

	n = tm_seg_encode(&s, buf, sizeof(buf), &err);
	ck_assert_int_eq(n, (int)sizeof(golden_syn));
	ck_assert_mem_eq(buf, golden_syn, sizeof(golden_syn));
}
END_TEST

START_TEST(test_decode_golden_syn)
{
	struct td_err err = { 0 };
	struct tm_seg s;
	char line[256];

	ck_assert_int_eq(tm_seg_decode(golden_syn, sizeof(golden_syn), &s, &err), TM_DEC_OK);
	ck_assert_int_eq(s.src.family, AF_INET);
	ck_assert_uint_eq(s.sport, 12345);
	ck_assert_uint_eq(s.dport, 80);
	ck_assert_uint_eq(s.seq, 1);
	ck_assert_uint_eq(s.flags, TM_SYN);
	ck_assert(s.has_mss && !s.has_wscale && !s.sack_ok && !s.has_ts);
	ck_assert_uint_eq(s.mss, 1460);
	ck_assert_uint_eq(s.len, 0);
	ck_assert_uint_eq(s.ttl, 64);
	ck_assert_str_eq(tm_seg_str(&s, false, line, sizeof(line)),
	    "192.0.2.1.12345 > 192.0.2.2.80: S seq 1 ack 0 win 65535 <mss 1460> len 0");
}
END_TEST

START_TEST(test_inet_csum_rfc1071_example)
{
	/* RFC 1071 section 3's example: the sum of these words is 0xddf2. */
	static const uint8_t w[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };

	ck_assert_uint_eq(tm_inet_csum(w, sizeof(w), 0), (uint16_t)~0xddf2);
	/* An odd trailing byte is padded with zero. */
	ck_assert_uint_eq(tm_inet_csum(w, 3, 0), (uint16_t)~(0x0001 + 0xf200));
}
END_TEST

/* ---- Kernel fixtures ---- */

static void
fixture_roundtrip(const char *name, int family)
{
	char path[512];
	struct td_err err = { 0 };
	struct lab_pcap pc;
	struct lab_pcap_pkt pkt;
	struct tm_seg s;
	uint8_t buf[2048];
	int r, n, npkt = 0, nsa = 0;

	snprintf(path, sizeof(path), "%s/tests/fixtures/packets/%s", TD_SRCDIR, name);
	ck_assert_msg(lab_pcap_open(&pc, path, &err) == 0, "%s", err.msg);
	while ((r = lab_pcap_next(&pc, &pkt, &err)) == 1) {
		npkt++;
		ck_assert_int_eq(tm_seg_decode(pkt.ip, pkt.iplen, &s, &err), TM_DEC_OK);
		ck_assert_int_eq(s.src.family, family);
		n = tm_seg_encode(&s, buf, sizeof(buf), &err);
		ck_assert_msg(n == (int)pkt.iplen, "%s packet %d: %d vs %zu bytes", name, npkt, n,
		    pkt.iplen);
		if (family == AF_INET) {
			/* Our IPv4 ID is 0; so is the kernel's for DF handshake packets. */
			ck_assert_mem_eq(buf, pkt.ip, pkt.iplen);
		} else {
			ck_assert_mem_eq(buf + 4, pkt.ip + 4, pkt.iplen - 4);
		}
		if (s.flags == (TM_SYN | TM_ACK)) {
			/* The kernel's SYN-ACK to mss,sackOK,wscale without timestamps. */
			nsa++;
			ck_assert(s.has_mss && s.sack_ok && s.has_wscale && !s.has_ts);
			ck_assert_uint_eq(s.ack, 1001);
		}
	}
	ck_assert_msg(r == 0, "%s", err.msg);
	ck_assert_int_eq(npkt, 3);
	ck_assert_int_eq(nsa, 1);
	lab_pcap_close(&pc, NULL);
}

START_TEST(test_kernel_handshake_v4)
{
	fixture_roundtrip("handshake-v4.pcap", AF_INET);
}
END_TEST

START_TEST(test_kernel_handshake_v6)
{
	fixture_roundtrip("handshake-v6.pcap", AF_INET6);
}
END_TEST

/* ---- Round trips ---- */

static struct tm_seg
rt_seg(int i)
{
	static uint8_t data[1500];
	struct tm_seg s;

	memset(&s, 0, sizeof(s));
	memset(data, 0xa5, sizeof(data));
	tm_addr_parse(i & 1 ? "2001:db8::1" : "198.18.0.1", &s.src);
	tm_addr_parse(i & 1 ? "2001:db8::2" : "198.18.0.2", &s.dst);
	s.sport = (uint16_t)(1000 + i);
	s.dport = 443;
	s.seq = 0xfffffff0u + (uint32_t)i;
	s.ack = 0x80000000u ^ (uint32_t)i;
	s.flags = (uint8_t)(i * 37);
	s.wnd = (uint16_t)(i * 1021);
	s.urp = (uint16_t)i;
	s.ttl = (uint8_t)(1 + i);
	switch (i % 6) {
	case 0:
		break;
	case 1:
		s.has_mss = s.has_wscale = s.sack_ok = s.has_ts = true;
		s.mss = 1440;
		s.wscale = 14;
		s.tsval = 0xdeadbeef;
		s.tsecr = 7;
		break;
	case 2:
		s.sack_ok = s.has_wscale = true;
		s.wscale = 0;
		break;
	case 3:
		s.has_ts = true;
		s.nsack = 3;
		break;
	case 4:
		s.nsack = 4;
		break;
	case 5:
		s.has_mss = s.has_ts = true;
		s.mss = 536;
		break;
	}
	for (unsigned int k = 0; k < s.nsack; k++) {
		s.sack[k][0] = 1000u * k;
		s.sack[k][1] = 1000u * k + 500;
	}
	s.len = (uint32_t)(i * 97 % 1400);
	s.payload = i % 4 ? data : NULL;
	return s;
}

START_TEST(test_roundtrip_table)
{
	struct td_err err = { 0 };
	struct tm_seg s = rt_seg(_i), d;
	uint8_t buf[2048], again[2048];
	int n;

	n = tm_seg_encode(&s, buf, sizeof(buf), &err);
	ck_assert_msg(n > 0, "%s", err.msg);
	ck_assert_int_eq(tm_seg_decode(buf, (size_t)n, &d, &err), TM_DEC_OK);
	ck_assert_mem_eq(&d.src, &s.src, sizeof(s.src));
	ck_assert_mem_eq(&d.dst, &s.dst, sizeof(s.dst));
	ck_assert_uint_eq(d.sport, s.sport);
	ck_assert_uint_eq(d.dport, s.dport);
	ck_assert_uint_eq(d.seq, s.seq);
	ck_assert_uint_eq(d.ack, s.ack);
	ck_assert_uint_eq(d.flags, s.flags);
	ck_assert_uint_eq(d.wnd, s.wnd);
	ck_assert_uint_eq(d.urp, s.urp);
	ck_assert_uint_eq(d.ttl, s.ttl);
	ck_assert(d.has_mss == s.has_mss && d.has_wscale == s.has_wscale &&
	    d.sack_ok == s.sack_ok && d.has_ts == s.has_ts);
	if (s.has_mss)
		ck_assert_uint_eq(d.mss, s.mss);
	if (s.has_wscale)
		ck_assert_uint_eq(d.wscale, s.wscale);
	if (s.has_ts) {
		ck_assert_uint_eq(d.tsval, s.tsval);
		ck_assert_uint_eq(d.tsecr, s.tsecr);
	}
	ck_assert_uint_eq(d.nsack, s.nsack);
	ck_assert_mem_eq(d.sack, s.sack, sizeof(s.sack[0]) * s.nsack);
	ck_assert_uint_eq(d.len, s.len);
	if (s.len && s.payload)
		ck_assert_mem_eq(d.payload, s.payload, s.len);
	/* Decode then encode gives the same bytes. */
	ck_assert_int_eq(tm_seg_encode(&d, again, sizeof(again), &err), n);
	ck_assert_mem_eq(again, buf, (size_t)n);
}
END_TEST

/* ---- Encoder errors ---- */

START_TEST(test_encode_errors)
{
	struct td_err err = { 0 };
	struct tm_seg s = golden_seg();
	uint8_t buf[128];

	s.has_ts = s.has_wscale = true;
	s.nsack = 3;				/* 4 + 12 + 4 + 28 = 48 bytes */
	ck_assert_int_eq(tm_seg_encode(&s, buf, sizeof(buf), &err), -1);
	ck_assert_str_eq(err.msg, "segment: options need 48 bytes, at most 40 fit");

	s = golden_seg();
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tm_seg_encode(&s, buf, 43, &err), -1);
	ck_assert_str_eq(err.msg, "segment: packet needs 44 bytes, buffer has 43");

	memset(&err, 0, sizeof(err));
	tm_addr_parse("2001:db8::1", &s.dst);
	ck_assert_int_eq(tm_seg_encode(&s, buf, sizeof(buf), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "address families"));

	s = golden_seg();
	s.nsack = TM_SACK_MAX + 1;
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tm_seg_encode(&s, buf, sizeof(buf), &err), -1);

	s = golden_seg();
	s.len = 65535;
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tm_seg_encode(&s, buf, sizeof(buf), &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "at most 65535"));
}
END_TEST

/* ---- Decoder: malformed input ---- */

/* Recompute both checksums of a (possibly damaged) IPv4 golden copy. */
static void
fix_sums(uint8_t *p, size_t len)
{
	size_t ihl = (size_t)(p[0] & 0x0f) * 4;
	uint32_t ps = 0;
	size_t tl;

	p[10] = p[11] = 0;
	if (ihl >= 20 && ihl <= len) {
		uint16_t c = tm_inet_csum(p, ihl, 0);

		p[10] = (uint8_t)(c >> 8);
		p[11] = (uint8_t)c;
	}
	if (ihl + 18 > len)
		return;
	tl = len - ihl;
	ps += (uint32_t)(p[12] << 8 | p[13]) + (uint32_t)(p[14] << 8 | p[15]);
	ps += (uint32_t)(p[16] << 8 | p[17]) + (uint32_t)(p[18] << 8 | p[19]);
	ps += 6 + (uint32_t)tl;
	p[ihl + 16] = p[ihl + 17] = 0;
	{
		uint16_t c = tm_inet_csum(p + ihl, tl, ps);

		p[ihl + 16] = (uint8_t)(c >> 8);
		p[ihl + 17] = (uint8_t)c;
	}
}

static const struct {
	size_t		 off;		/* byte to change (SIZE_MAX: none) */
	uint8_t		 val;
	size_t		 len;		/* 0: the whole golden SYN */
	const char	*msg;
} bad_cases[] = {
	{ 0, 0x55, 0, "IP version 5, expected 4 or 6" },
	{ 0, 0x44, 0, "IPv4 header length 4 words, minimum 5" },
	{ 0, 0x4f, 0, "IPv4 header length 60 bytes exceeds the 44 bytes there" },
	{ 3, 0x10, 0, "IPv4 total length 16 is shorter than its 20-byte header" },
	{ 3, 0x30, 0, "IPv4 total length 48 exceeds the 44 bytes there (truncated)" },
	{ 6, 0x20, 0, "IPv4 fragment (offset 0, more fragments yes): reassembly is not supported" },
	{ 9, 17, 0, "IP protocol 17, not TCP" },
	{ 32, 0x40, 0, "TCP data offset 4 words, minimum 5" },
	{ 32, 0x70, 0, "TCP data offset 28 bytes exceeds the 24-byte segment" },
	{ 41, 0x08, 0, "TCP option 2 (MSS) at option byte 0: length 8 overruns the 4 option bytes" },
	{ 41, 0x01, 0, "TCP option 2 (MSS) at option byte 0: length 1, minimum 2" },
	{ 41, 0x03, 0, "TCP option 2 (MSS) at option byte 0: length 3, expected 4" },
	{ 40, 0x05, 0, "TCP option 5 (SACK) at option byte 0: length 4 is not 2 + 8 * (1..4)" },
	{ 0, 0x00, 1, "IP version 0, expected 4 or 6" },
	{ 0, 0x45, 19, "IPv4 header truncated: 19 of 20 bytes" },
};

START_TEST(test_decode_malformed)
{
	struct td_err err = { 0 };
	uint8_t p[sizeof(golden_syn)];
	size_t len = bad_cases[_i].len ? bad_cases[_i].len : sizeof(p);
	struct tm_seg s;

	memcpy(p, golden_syn, sizeof(p));
	p[bad_cases[_i].off] = bad_cases[_i].val;
	if (bad_cases[_i].len == 0)
		fix_sums(p, sizeof(p));
	ck_assert_int_eq(tm_seg_decode(p, len, &s, &err), TM_DEC_MALFORMED);
	ck_assert_str_eq(err.msg, bad_cases[_i].msg);
}
END_TEST

START_TEST(test_decode_option_no_length_byte)
{
	struct td_err err = { 0 };
	uint8_t p[sizeof(golden_syn)];
	struct tm_seg s;

	/* NOP NOP NOP then a kind with its length byte beyond the header. */
	memcpy(p, golden_syn, sizeof(p));
	p[40] = 1;
	p[41] = 1;
	p[42] = 1;
	p[43] = 8;
	fix_sums(p, sizeof(p));
	ck_assert_int_eq(tm_seg_decode(p, sizeof(p), &s, &err), TM_DEC_MALFORMED);
	ck_assert_str_eq(err.msg, "TCP option 8 (timestamp) at option byte 3 has no length byte");
}
END_TEST

START_TEST(test_decode_unknown_option_and_eol)
{
	struct td_err err = { 0 };
	uint8_t p[sizeof(golden_syn)];
	struct tm_seg s;

	/* Kind 30 (MPTCP) length 2, EOL, then garbage that must be ignored. */
	memcpy(p, golden_syn, sizeof(p));
	p[40] = 30;
	p[41] = 2;
	p[42] = 0;
	p[43] = 0xff;
	fix_sums(p, sizeof(p));
	ck_assert_int_eq(tm_seg_decode(p, sizeof(p), &s, &err), TM_DEC_OK);
	ck_assert(!s.has_mss);
}
END_TEST

START_TEST(test_decode_bad_checksums)
{
	struct td_err err = { 0 };
	uint8_t p[sizeof(golden_syn)];
	struct tm_seg s;

	memcpy(p, golden_syn, sizeof(p));
	p[37] ^= 0x01;				/* TCP checksum */
	ck_assert_int_eq(tm_seg_decode(p, sizeof(p), &s, &err), TM_DEC_BADSUM);
	ck_assert_str_eq(err.msg, "TCP checksum 0xe399, expected 0xe398");
	/* The segment is still decoded. */
	ck_assert_uint_eq(s.sport, 12345);
	ck_assert(s.has_mss);

	memcpy(p, golden_syn, sizeof(p));
	p[11] ^= 0x01;				/* IP header checksum */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tm_seg_decode(p, sizeof(p), &s, &err), TM_DEC_BADSUM);
	ck_assert_str_eq(err.msg, "IPv4 header checksum 0xb6c9 is wrong");

	/* A payload byte changed: the TCP checksum catches it. */
	{
		struct tm_seg g = golden_seg();
		uint8_t buf[128];
		int n;

		g.len = 5;
		n = tm_seg_encode(&g, buf, sizeof(buf), &err);
		buf[n - 1] = 1;
		memset(&err, 0, sizeof(err));
		ck_assert_int_eq(tm_seg_decode(buf, (size_t)n, &s, &err), TM_DEC_BADSUM);
	}
}
END_TEST

START_TEST(test_decode_ipv6_ext_and_errors)
{
	struct td_err err = { 0 };
	struct tm_seg s = rt_seg(1), d;
	uint8_t buf[2048], ext[2048];
	int n;

	s.len = 10;
	n = tm_seg_encode(&s, buf, sizeof(buf), &err);
	ck_assert_int_gt(n, 0);
	/* Insert an 8-byte hop-by-hop header (PadN) before TCP. */
	memcpy(ext, buf, 40);
	ext[6] = 0;				/* next header: hop-by-hop */
	ext[40] = 6;				/* then TCP */
	ext[41] = 0;
	ext[42] = 1;				/* PadN, 4 bytes */
	ext[43] = 4;
	memset(ext + 44, 0, 4);
	memcpy(ext + 48, buf + 40, (size_t)n - 40);
	ext[4] = (uint8_t)((n - 40 + 8) >> 8);
	ext[5] = (uint8_t)(n - 40 + 8);
	ck_assert_int_eq(tm_seg_decode(ext, (size_t)n + 8, &d, &err), TM_DEC_OK);
	ck_assert_uint_eq(d.len, 10);

	ext[40] = 44;				/* then a fragment header */
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tm_seg_decode(ext, (size_t)n + 8, &d, &err), TM_DEC_MALFORMED);
	ck_assert_str_eq(err.msg, "IPv6 fragment: reassembly is not supported");

	ext[40] = 17;
	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tm_seg_decode(ext, (size_t)n + 8, &d, &err), TM_DEC_MALFORMED);
	ck_assert_str_eq(err.msg, "IPv6 next header 17, not TCP");

	memset(&err, 0, sizeof(err));
	ck_assert_int_eq(tm_seg_decode(buf, 39, &d, &err), TM_DEC_MALFORMED);
	ck_assert_str_eq(err.msg, "IPv6 header truncated: 39 of 40 bytes");
}
END_TEST

START_TEST(test_decode_link_padding_ignored)
{
	struct td_err err = { 0 };
	uint8_t p[sizeof(golden_syn) + 6];
	struct tm_seg s;

	memcpy(p, golden_syn, sizeof(golden_syn));
	memset(p + sizeof(golden_syn), 0xee, 6);
	ck_assert_int_eq(tm_seg_decode(p, sizeof(p), &s, &err), TM_DEC_OK);
	ck_assert_uint_eq(s.len, 0);
}
END_TEST

START_TEST(test_decode_truncation_every_length)
{
	struct td_err err;
	struct tm_seg s = rt_seg(_i), d;
	uint8_t buf[2048];
	int n, len;

	s.len = 3;
	n = tm_seg_encode(&s, buf, sizeof(buf), NULL);
	ck_assert_int_gt(n, 0);
	for (len = 0; len < n; len++) {
		memset(&err, 0, sizeof(err));
		ck_assert_msg(tm_seg_decode(buf, (size_t)len, &d, &err) == TM_DEC_MALFORMED,
		    "prefix of %d bytes accepted", len);
		ck_assert(err.msg[0] != '\0');
	}
}
END_TEST

START_TEST(test_decode_mutations)
{
	/* Bounded: 3000 mutants of each base packet, a fixed LCG seed. */
	struct td_err err;
	struct tm_seg s = rt_seg(_i), d;
	uint8_t base[2048], m[2048];
	uint32_t x = 12345u + (uint32_t)_i;
	int n, k, j, counts[3] = { 0 };
	enum tm_dec r;

	s.len = 20;
	n = tm_seg_encode(&s, base, sizeof(base), NULL);
	ck_assert_int_gt(n, 0);
	for (k = 0; k < 3000; k++) {
		memcpy(m, base, (size_t)n);
		for (j = 0; j < 1 + k % 4; j++) {
			x = x * 1103515245u + 12345u;
			m[(x >> 8) % (uint32_t)n] = (uint8_t)(x >> 20);
		}
		memset(&err, 0, sizeof(err));
		r = tm_seg_decode(m, (size_t)(n - (int)(k % 7 == 0 ? x % 5 : 0)), &d, &err);
		ck_assert(r == TM_DEC_OK || r == TM_DEC_MALFORMED || r == TM_DEC_BADSUM);
		ck_assert(r == TM_DEC_OK || err.msg[0] != '\0');
		counts[-r]++;
	}
	/* The mutations reach every outcome. */
	ck_assert_int_gt(counts[1], 0);
	ck_assert_int_gt(counts[2], 0);
}
END_TEST

START_TEST(test_flags_str)
{
	char b[16];

	ck_assert_str_eq(tm_flags_str(TM_SYN | TM_ACK, b, sizeof(b)), "S.");
	ck_assert_str_eq(tm_flags_str(TM_FIN | TM_PSH | TM_ACK, b, sizeof(b)), "FP.");
	ck_assert_str_eq(tm_flags_str(TM_RST, b, sizeof(b)), "R");
	ck_assert_str_eq(tm_flags_str(0, b, sizeof(b)), "none");
	ck_assert_str_eq(tm_flags_str(0xff, b, sizeof(b)), "FSRP.UEW");
}
END_TEST

Suite *
test_suite(void)
{
	Suite *s = suite_create("tcp/segment");
	TCase *tc;

	tc = tcase_create("golden");
	tcase_add_test(tc, test_flags_parse);
	tcase_add_test(tc, test_encode_golden_syn);
	tcase_add_test(tc, test_decode_golden_syn);
	tcase_add_test(tc, test_inet_csum_rfc1071_example);
	tcase_add_test(tc, test_kernel_handshake_v4);
	tcase_add_test(tc, test_kernel_handshake_v6);
	tcase_add_test(tc, test_flags_str);
	suite_add_tcase(s, tc);

	tc = tcase_create("roundtrip");
	tcase_add_loop_test(tc, test_roundtrip_table, 0, 24);
	tcase_add_test(tc, test_encode_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, test_decode_malformed, 0,
	    (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	tcase_add_test(tc, test_decode_option_no_length_byte);
	tcase_add_test(tc, test_decode_unknown_option_and_eol);
	tcase_add_test(tc, test_decode_bad_checksums);
	tcase_add_test(tc, test_decode_ipv6_ext_and_errors);
	tcase_add_test(tc, test_decode_link_padding_ignored);
	tcase_add_loop_test(tc, test_decode_truncation_every_length, 0, 6);
	tcase_add_loop_test(tc, test_decode_mutations, 0, 6);
	suite_add_tcase(s, tc);
	return s;
}
