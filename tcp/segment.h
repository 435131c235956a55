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

#include "core/ladder.h"

typedef uint32_t tm_seq;		/* compare with TM_SEQ_LT() etc., never < */

#define TM_SEQ_LT(a, b)		((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define TM_SEQ_LEQ(a, b)	((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define TM_SEQ_GT(a, b)		TM_SEQ_LT(b, a)
#define TM_SEQ_GEQ(a, b)	TM_SEQ_LEQ(b, a)

/*
 * TCP header flags (RFC 9293 3.1, RFC 3168): the header's bits, defined
 * once in core/ladder.h (the renderer draws segments of every layer).
 */
#define TM_FIN	TD_LF_FIN
#define TM_SYN	TD_LF_SYN
#define TM_RST	TD_LF_RST
#define TM_PSH	TD_LF_PSH
#define TM_ACK	TD_LF_ACK
#define TM_URG	TD_LF_URG
#define TM_ECE	TD_LF_ECE
#define TM_CWR	TD_LF_CWR

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
	uint8_t		flags;		/* TM_FIN, TM_SYN, ... */
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

/* ---- Codec (tcp/segment.c) ---- */

struct td_err;

/* Largest packet the codec produces or accepts: IPv4's total length limit. */
#define TM_PKT_MAX	65535

/* What tm_seg_decode() found. */
enum tm_dec {
	TM_DEC_OK = 0,
	TM_DEC_MALFORMED = -1,		/* not a well-formed IP/TCP packet */
	TM_DEC_BADSUM = -2,		/* well formed, but an IP or TCP checksum is wrong */
};

/*
 * Encode seg as an IPv4 or IPv6 packet (seg->src.family; src and dst must
 * agree) into buf of cap bytes: IP header, TCP header with the options seg
 * asks for, laid out as Linux's tcp_options_write() does (MSS, SACK-permitted
 * folded into the timestamp option's padding, window scale, SACK blocks,
 * NOPs to a multiple of 4 bytes), payload (zeros when seg->payload is NULL),
 * and correct IP and TCP checksums.  Returns the packet length, or -1 with
 * *err set when the buffer is too small, the options do not fit in 40 bytes,
 * the packet would exceed TM_PKT_MAX or the addresses are inconsistent.
 */
int	tm_seg_encode(const struct tm_seg *seg, uint8_t *buf, size_t cap, struct td_err *err);

/*
 * Decode the IPv4 or IPv6 packet in buf[0..len) into *seg.  Every byte is read
 * through a bounds check; bytes after the IP total length are ignored (link
 * padding).  seg->payload points into buf (borrowed, valid as long as buf).
 * Returns TM_DEC_OK; TM_DEC_MALFORMED with *err naming the field (bad IP
 * version, header length, total length, fragment, not TCP, bad data offset,
 * option overrunning the header, ...) and *seg unspecified; or TM_DEC_BADSUM
 * with *err naming the checksum and *seg fully decoded, so a caller may use
 * it anyway (captures of checksum-offloaded traffic).
 */
enum tm_dec tm_seg_decode(const uint8_t *buf, size_t len, struct tm_seg *seg, struct td_err *err);

/*
 * The Internet checksum (RFC 1071) of buf[0..len) added to sum, folded and
 * complemented.  Exported for the tests.
 */
uint16_t tm_inet_csum(const void *buf, size_t len, uint32_t sum);

/* Parse "198.18.0.2" or "2001:db8::2" into *a; returns 0 or -1. */
int	tm_addr_parse(const char *s, struct tm_addr *a);

/* Format *a (IPv4 without the v4-mapped prefix); returns buf. */
const char *tm_addr_str(const struct tm_addr *a, char *buf, size_t cap);

/* Flags as tcpdump prints them: "S.", "F.", "R", "P." ("none" if 0). */
const char *tm_flags_str(uint8_t flags, char *buf, size_t cap);

/*
 * A segment as the ladder renderer (core/ladder.h) draws it: flags, raw
 * seq and ack, length, window, options, D-SACK; the caller adds what it
 * knows of the ISNs (rseq, rack) and the tags.
 */
void	tm_seg_ladder(const struct tm_seg *seg, struct td_lseg *out);

/*
 * The one flag parser (scripts, conformance scenarios): the first n
 * characters of s as flag letters, F S R P U E W and '.' or 'A' for ACK,
 * or "none"; "" is no flag.  0, or -1 for any other character.
 */
int	tm_flags_parse(const char *s, size_t n, uint8_t *flags);

/*
 * One line in tcpdump's style, without the addresses when brief:
 * "S seq 1000 ack 0 win 64240 <mss 1460,sackOK,TS,wscale 7> len 0".
 * Returns buf.
 */
const char *tm_seg_str(const struct tm_seg *seg, bool brief, char *buf, size_t cap);

#endif /* TD_TCP_SEGMENT_H */
