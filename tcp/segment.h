/* SPDX-License-Identifier: MIT */
/*
 * TCP segments as the bundled userspace TCP sees them, and the codec to and
 * from the bytes a TUN device or a pcap file carries (IPv4 or IPv6 header,
 * TCP header with options, payload, checksums).  The model works on
 * struct tm_seg; the codec is the only place that touches wire bytes, and it
 * reads them through bounds-checked accessors only.
 */
#ifndef TD_TCP_SEGMENT_H
#define TD_TCP_SEGMENT_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint32_t tm_seq;		/* compare with TM_SEQ_LT() etc., never < */

#define TM_SEQ_LT(a, b)		((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define TM_SEQ_LEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define TM_SEQ_GT(a, b)		TM_SEQ_LT(b, a)
#define TM_SEQ_GEQ(a, b)	TM_SEQ_LEQ(b, a)

/* TCP header flags (RFC 9293 3.1, RFC 3168). */
enum tm_flag {
	TM_FIN = 0x01,
	TM_SYN = 0x02,
	TM_RST = 0x04,
	TM_PSH = 0x08,
	TM_ACK = 0x10,
	TM_URG = 0x20,
	TM_ECE = 0x40,
	TM_CWR = 0x80,
};

#define TM_SACK_MAX	4

/* An endpoint address: family plus address, IPv4 stored v4-mapped. */
struct tm_addr {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	struct in6_addr	a;
};

struct tm_seg {
	struct tm_addr	src, dst;
	uint16_t	sport, dport;
	tm_seq		seq, ack;
	uint8_t		flags;		/* enum tm_flag */
	uint16_t	wnd;		/* raw header field (unscaled) */
	uint16_t	urp;
	uint8_t		ttl;		/* hop limit; 0 means "codec default" (64) */
	/* Options: has_* says whether the option is present. */
	bool		has_mss, has_wscale, sack_ok, has_ts;
	uint16_t	mss;
	uint8_t		wscale;
	uint32_t	tsval, tsecr;
	uint8_t		nsack;		/* SACK blocks */
	tm_seq		sack[TM_SACK_MAX][2];
	uint32_t	len;		/* payload length */
	const uint8_t	*payload;	/* NULL: len bytes of zero when encoded */
};

/* Sequence space a segment occupies: payload plus one each for SYN and FIN. */
uint32_t tm_seg_seqlen(const struct tm_seg *seg);

#endif /* TD_TCP_SEGMENT_H */
