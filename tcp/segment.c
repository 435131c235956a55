/* SPDX-License-Identifier: MIT */
/*
 * The segment codec: struct tm_seg to and from the bytes of an IPv4 or IPv6
 * packet carrying TCP (RFC 791, RFC 8200, RFC 9293 3.1), with the options
 * Linux uses (MSS, window scale RFC 7323 2, SACK-permitted and SACK RFC 2018,
 * timestamps RFC 7323 3) and both checksums (RFC 1071, pseudo-headers of RFC
 * 9293 3.1 and RFC 8200 8.1).
 *
 * Decoding treats its input as hostile: every read goes through get8(),
 * get16() or get32(), which check the offset against the bytes that are
 * there, and every malformed field gets a message naming it.  A checksum
 * mismatch is reported apart from malformation (TM_DEC_BADSUM), with the
 * segment still decoded, because captures of offloaded traffic carry
 * partial checksums.
 */
#include "tcp/segment.h"

#include <sys/socket.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/ladder.h"

#define IP4_HDR		20
#define IP6_HDR		40
#define TCP_HDR		20
#define TCP_OPT_MAX	40
#define PROTO_TCP	6

/* Option kinds (IANA "TCP Option Kind Numbers"). */
enum {
	OPT_EOL = 0,
	OPT_NOP = 1,
	OPT_MSS = 2,
	OPT_WSCALE = 3,
	OPT_SACK_PERM = 4,
	OPT_SACK = 5,
	OPT_TS = 8,
};

/* IPv6 extension headers we step over (RFC 8200 4.1), and the one we refuse. */
enum {
	NH_HOPOPTS = 0,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_NONE = 59,
	NH_DSTOPTS = 60,
};

/* ---- Bounds-checked access ---- */

struct rd {
	const uint8_t	*p;
	size_t		 len;
};

static int
get8(const struct rd *r, size_t off, uint8_t *v)
{
	if (off >= r->len)
		return -1;
	*v = r->p[off];
	return 0;
}

static int
get16(const struct rd *r, size_t off, uint16_t *v)
{
	if (off > r->len || r->len - off < 2)
		return -1;
	*v = (uint16_t)(r->p[off] << 8 | r->p[off + 1]);
	return 0;
}

static int
get32(const struct rd *r, size_t off, uint32_t *v)
{
	if (off > r->len || r->len - off < 4)
		return -1;
	*v = (uint32_t)r->p[off] << 24 | (uint32_t)r->p[off + 1] << 16 |
	    (uint32_t)r->p[off + 2] << 8 | r->p[off + 3];
	return 0;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* ---- Checksums ---- */

/*
 * Add the 16-bit big-endian words of p to sum (one's complement, RFC 1071).
 * Four bytes at a time into 64 bits: 2^16 = 1 modulo 0xffff, so a 32-bit
 * word adds what its two halves add, and the folding at the end (the
 * end-around carries) gives the same 16 bits as word by word.
 */
static uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	uint64_t s = sum;
	size_t i = 0;

	for (; i + 4 <= len; i += 4)
		s += (uint32_t)p[i] << 24 | (uint32_t)p[i + 1] << 16 | (uint32_t)p[i + 2] << 8 |
		    p[i + 3];
	for (; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s > 0xffff)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t
tm_inet_csum(const void *buf, size_t len, uint32_t sum)
{
	sum = csum_add(sum, buf, len);
	return (uint16_t)~sum;
}

static const uint8_t *
addr_bytes(const struct tm_addr *a, size_t *n)
{
	if (a->family == AF_INET) {
		*n = 4;
		return &a->a.s6_addr[12];
	}
	*n = 16;
	return a->a.s6_addr;
}

/* The pseudo-header sum: addresses, protocol and TCP length. */
static uint32_t
pseudo_sum(const struct tm_addr *src, const struct tm_addr *dst, size_t tcplen)
{
	const uint8_t *p;
	uint32_t sum = 0;
	size_t n;

	p = addr_bytes(src, &n);
	sum = csum_add(sum, p, n);
	p = addr_bytes(dst, &n);
	sum = csum_add(sum, p, n);
	sum += PROTO_TCP;
	sum += (uint32_t)(tcplen & 0xffff) + (uint32_t)(tcplen >> 16);
	return sum;
}

/* ---- Encoding ---- */

/* Write the options as tcp_options_write() (net/ipv4/tcp_output.c) orders them. */
static int
opts_write(const struct tm_seg *seg, uint8_t *o, struct td_err *err)
{
	size_t n = 0, need = 0;
	unsigned int i;

	if (seg->nsack > TM_SACK_MAX)
		return td_errf(err, EINVAL, "segment: %u SACK blocks, at most %d",
		    seg->nsack, TM_SACK_MAX);
	need += seg->has_mss ? 4 : 0;
	need += seg->has_ts ? 12 : (seg->sack_ok ? 4 : 0);
	need += seg->has_wscale ? 4 : 0;
	need += seg->nsack ? 4 + 8u * seg->nsack : 0;
	if (need > TCP_OPT_MAX)
		return td_errf(err, EINVAL, "segment: options need %zu bytes, at most %d fit",
		    need, TCP_OPT_MAX);
	if (seg->has_mss) {
		o[n++] = OPT_MSS;
		o[n++] = 4;
		put16(o + n, seg->mss);
		n += 2;
	}
	if (seg->has_ts) {
		if (seg->sack_ok) {
			o[n++] = OPT_SACK_PERM;
			o[n++] = 2;
		} else {
			o[n++] = OPT_NOP;
			o[n++] = OPT_NOP;
		}
		o[n++] = OPT_TS;
		o[n++] = 10;
		put32(o + n, seg->tsval);
		put32(o + n + 4, seg->tsecr);
		n += 8;
	} else if (seg->sack_ok) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_NOP;
		o[n++] = OPT_SACK_PERM;
		o[n++] = 2;
	}
	if (seg->has_wscale) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_WSCALE;
		o[n++] = 3;
		o[n++] = seg->wscale;
	}
	if (seg->nsack) {
		o[n++] = OPT_NOP;
		o[n++] = OPT_NOP;
		o[n++] = OPT_SACK;
		o[n++] = (uint8_t)(2 + 8 * seg->nsack);
		for (i = 0; i < seg->nsack; i++) {
			put32(o + n, seg->sack[i][0]);
			put32(o + n + 4, seg->sack[i][1]);
			n += 8;
		}
	}
	return (int)n;
}

int
tm_seg_encode(const struct tm_seg *seg, uint8_t *buf, size_t cap, struct td_err *err)
{
	uint8_t opts[TCP_OPT_MAX];
	size_t iphl, tcphl, total, n;
	const uint8_t *a;
	uint8_t *t;
	int optlen;

	if (seg->src.family != seg->dst.family ||
	    (seg->src.family != AF_INET && seg->src.family != AF_INET6))
		return td_errf(err, EINVAL, "segment: address families %u and %u, want both IPv4 or both IPv6",
		    seg->src.family, seg->dst.family);
	if ((optlen = opts_write(seg, opts, err)) < 0)
		return -1;
	iphl = seg->src.family == AF_INET ? IP4_HDR : IP6_HDR;
	tcphl = TCP_HDR + (size_t)optlen;
	total = iphl + tcphl + seg->len;
	if (seg->len > TM_PKT_MAX || total > TM_PKT_MAX)
		return td_errf(err, EMSGSIZE, "segment: %u payload bytes make a %zu-byte packet, at most %d",
		    seg->len, total, TM_PKT_MAX);
	if (total > cap)
		return td_errf(err, ENOBUFS, "segment: packet needs %zu bytes, buffer has %zu",
		    total, cap);

	memset(buf, 0, iphl + tcphl);
	if (seg->src.family == AF_INET) {
		buf[0] = 0x45;
		put16(buf + 2, (uint16_t)total);
		put16(buf + 6, 0x4000);		/* DF, as Linux sends TCP */
		buf[8] = seg->ttl ? seg->ttl : 64;
		buf[9] = PROTO_TCP;
		a = addr_bytes(&seg->src, &n);
		memcpy(buf + 12, a, n);
		a = addr_bytes(&seg->dst, &n);
		memcpy(buf + 16, a, n);
		put16(buf + 10, tm_inet_csum(buf, IP4_HDR, 0));
	} else {
		buf[0] = 0x60;
		put16(buf + 4, (uint16_t)(tcphl + seg->len));
		buf[6] = PROTO_TCP;
		buf[7] = seg->ttl ? seg->ttl : 64;
		memcpy(buf + 8, seg->src.a.s6_addr, 16);
		memcpy(buf + 24, seg->dst.a.s6_addr, 16);
	}

	t = buf + iphl;
	put16(t, seg->sport);
	put16(t + 2, seg->dport);
	put32(t + 4, seg->seq);
	put32(t + 8, seg->ack);
	t[12] = (uint8_t)((tcphl / 4) << 4);
	t[13] = seg->flags;
	put16(t + 14, seg->wnd);
	put16(t + 18, seg->urp);
	memcpy(t + TCP_HDR, opts, (size_t)optlen);
	if (seg->len) {
		if (seg->payload)
			memcpy(t + tcphl, seg->payload, seg->len);
		else
			memset(t + tcphl, 0, seg->len);
	}
	put16(t + 16, tm_inet_csum(t, tcphl + seg->len,
	    pseudo_sum(&seg->src, &seg->dst, tcphl + seg->len)));
	return (int)total;
}

/* ---- Decoding ---- */

static void
addr_from(struct tm_addr *a, int family, const uint8_t *p)
{
	memset(a, 0, sizeof(*a));
	a->family = (uint8_t)family;
	if (family == AF_INET) {
		a->a.s6_addr[10] = 0xff;
		a->a.s6_addr[11] = 0xff;
		memcpy(&a->a.s6_addr[12], p, 4);
	} else {
		memcpy(a->a.s6_addr, p, 16);
	}
}

static const char *
opt_name(uint8_t kind)
{
	switch (kind) {
	case OPT_MSS:		return "MSS";
	case OPT_WSCALE:	return "window scale";
	case OPT_SACK_PERM:	return "SACK-permitted";
	case OPT_SACK:		return "SACK";
	case OPT_TS:		return "timestamp";
	default:		return "unknown";
	}
}

/* Parse the options in o (the bytes after the fixed TCP header). */
static int
opts_parse(const struct rd *o, struct tm_seg *seg, struct td_err *err)
{
	uint8_t kind = 0, olen = 0, want;
	size_t i = 0;
	unsigned int k;

	while (i < o->len) {
		(void)get8(o, i, &kind);
		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (get8(o, i + 1, &olen) < 0)
			return td_errf(err, EBADMSG, "TCP option %u (%s) at option byte %zu has no length byte",
			    kind, opt_name(kind), i);
		if (olen < 2)
			return td_errf(err, EBADMSG, "TCP option %u (%s) at option byte %zu: length %u, minimum 2",
			    kind, opt_name(kind), i, olen);
		if (olen > o->len - i)
			return td_errf(err, EBADMSG, "TCP option %u (%s) at option byte %zu: length %u overruns the %zu option bytes",
			    kind, opt_name(kind), i, olen, o->len);
		want = 0;
		switch (kind) {
		case OPT_MSS:
			want = 4;
			break;
		case OPT_WSCALE:
			want = 3;
			break;
		case OPT_SACK_PERM:
			want = 2;
			break;
		case OPT_TS:
			want = 10;
			break;
		case OPT_SACK:
			if ((olen - 2) % 8 != 0 || olen < 10 || (olen - 2) / 8 > TM_SACK_MAX)
				return td_errf(err, EBADMSG, "TCP option 5 (SACK) at option byte %zu: length %u is not 2 + 8 * (1..%d)",
				    i, olen, TM_SACK_MAX);
			break;
		default:
			break;	/* unknown options are skipped (RFC 9293 3.1 MUST-6) */
		}
		if (want && olen != want)
			return td_errf(err, EBADMSG, "TCP option %u (%s) at option byte %zu: length %u, expected %u",
			    kind, opt_name(kind), i, olen, want);
		switch (kind) {
		case OPT_MSS:
			seg->has_mss = true;
			(void)get16(o, i + 2, &seg->mss);
			break;
		case OPT_WSCALE:
			seg->has_wscale = true;
			(void)get8(o, i + 2, &seg->wscale);
			break;
		case OPT_SACK_PERM:
			seg->sack_ok = true;
			break;
		case OPT_TS:
			seg->has_ts = true;
			(void)get32(o, i + 2, &seg->tsval);
			(void)get32(o, i + 6, &seg->tsecr);
			break;
		case OPT_SACK:
			seg->nsack = (uint8_t)((olen - 2) / 8);
			for (k = 0; k < seg->nsack; k++) {
				(void)get32(o, i + 2 + 8 * k, &seg->sack[k][0]);
				(void)get32(o, i + 6 + 8 * k, &seg->sack[k][1]);
			}
			break;
		default:
			break;
		}
		i += olen;
	}
	return 0;
}

/* Step over IPv6 extension headers; *off and *nh end at the upper layer. */
static int
ip6_skip_ext(const struct rd *r, size_t *off, uint8_t *nh, struct td_err *err)
{
	uint8_t next = 0, hlen = 0;
	int hops;

	for (hops = 0; hops < 8; hops++) {
		switch (*nh) {
		case NH_HOPOPTS:
		case NH_ROUTING:
		case NH_DSTOPTS:
			if (get8(r, *off, &next) < 0 || get8(r, *off + 1, &hlen) < 0 ||
			    (size_t)(8 + 8 * hlen) > r->len - *off)
				return td_errf(err, EBADMSG, "IPv6 extension header %u truncated", *nh);
			*nh = next;
			*off += 8 + 8 * (size_t)hlen;
			break;
		case NH_FRAGMENT:
			return td_errf(err, EBADMSG, "IPv6 fragment: reassembly is not supported");
		default:
			return 0;
		}
	}
	return td_errf(err, EBADMSG, "IPv6: more than 8 extension headers");
}

enum tm_dec
tm_seg_decode(const uint8_t *buf, size_t len, struct tm_seg *seg, struct td_err *err)
{
	struct rd r = { buf, len }, tcp, opt;
	uint16_t totlen = 0, frag = 0, sum = 0, want = 0;
	uint8_t b = 0, ver, proto = 0;
	size_t off, tcplen, doff;
	uint32_t psum;
	bool badsum = false;

	memset(seg, 0, sizeof(*seg));
	if (get8(&r, 0, &b) < 0) {
		td_errf(err, EBADMSG, "empty packet");
		return TM_DEC_MALFORMED;
	}
	ver = b >> 4;
	if (ver == 4) {
		uint8_t ihl = b & 0x0f;

		if (len < IP4_HDR) {
			td_errf(err, EBADMSG, "IPv4 header truncated: %zu of %d bytes", len, IP4_HDR);
			return TM_DEC_MALFORMED;
		}
		if (ihl < 5) {
			td_errf(err, EBADMSG, "IPv4 header length %u words, minimum 5", ihl);
			return TM_DEC_MALFORMED;
		}
		if ((size_t)ihl * 4 > len) {
			td_errf(err, EBADMSG, "IPv4 header length %u bytes exceeds the %zu bytes there",
			    ihl * 4, len);
			return TM_DEC_MALFORMED;
		}
		(void)get16(&r, 2, &totlen);
		if (totlen < ihl * 4) {
			td_errf(err, EBADMSG, "IPv4 total length %u is shorter than its %u-byte header",
			    totlen, ihl * 4);
			return TM_DEC_MALFORMED;
		}
		if (totlen > len) {
			td_errf(err, EBADMSG, "IPv4 total length %u exceeds the %zu bytes there (truncated)",
			    totlen, len);
			return TM_DEC_MALFORMED;
		}
		(void)get16(&r, 6, &frag);
		if (frag & 0x3fff) {
			td_errf(err, EBADMSG, "IPv4 fragment (offset %u, more fragments %s): reassembly is not supported",
			    (frag & 0x1fff) * 8u, frag & 0x2000 ? "yes" : "no");
			return TM_DEC_MALFORMED;
		}
		(void)get8(&r, 9, &proto);
		if (proto != PROTO_TCP) {
			td_errf(err, EPROTONOSUPPORT, "IP protocol %u, not TCP", proto);
			return TM_DEC_MALFORMED;
		}
		(void)get8(&r, 8, &seg->ttl);
		addr_from(&seg->src, AF_INET, buf + 12);
		addr_from(&seg->dst, AF_INET, buf + 16);
		if (tm_inet_csum(buf, (size_t)ihl * 4, 0) != 0) {
			(void)get16(&r, 10, &sum);
			td_errf(err, EBADMSG, "IPv4 header checksum 0x%04x is wrong", sum);
			badsum = true;
		}
		off = (size_t)ihl * 4;
		r.len = totlen;
	} else if (ver == 6) {
		uint16_t plen = 0;

		if (len < IP6_HDR) {
			td_errf(err, EBADMSG, "IPv6 header truncated: %zu of %d bytes", len, IP6_HDR);
			return TM_DEC_MALFORMED;
		}
		(void)get16(&r, 4, &plen);
		if ((size_t)plen + IP6_HDR > len) {
			td_errf(err, EBADMSG, "IPv6 payload length %u exceeds the %zu bytes there (truncated)",
			    plen, len - IP6_HDR);
			return TM_DEC_MALFORMED;
		}
		r.len = (size_t)plen + IP6_HDR;
		(void)get8(&r, 6, &proto);
		(void)get8(&r, 7, &seg->ttl);
		off = IP6_HDR;
		if (ip6_skip_ext(&r, &off, &proto, err) < 0)
			return TM_DEC_MALFORMED;
		if (proto != PROTO_TCP) {
			td_errf(err, EPROTONOSUPPORT, "IPv6 next header %u, not TCP", proto);
			return TM_DEC_MALFORMED;
		}
		addr_from(&seg->src, AF_INET6, buf + 8);
		addr_from(&seg->dst, AF_INET6, buf + 24);
	} else {
		td_errf(err, EBADMSG, "IP version %u, expected 4 or 6", ver);
		return TM_DEC_MALFORMED;
	}

	tcplen = r.len - off;
	tcp.p = buf + off;
	tcp.len = tcplen;
	if (tcplen < TCP_HDR) {
		td_errf(err, EBADMSG, "TCP header truncated: %zu of %d bytes", tcplen, TCP_HDR);
		return TM_DEC_MALFORMED;
	}
	(void)get8(&tcp, 12, &b);
	doff = (size_t)(b >> 4) * 4;
	if (doff < TCP_HDR) {
		td_errf(err, EBADMSG, "TCP data offset %u words, minimum 5", b >> 4);
		return TM_DEC_MALFORMED;
	}
	if (doff > tcplen) {
		td_errf(err, EBADMSG, "TCP data offset %zu bytes exceeds the %zu-byte segment",
		    doff, tcplen);
		return TM_DEC_MALFORMED;
	}
	(void)get16(&tcp, 0, &seg->sport);
	(void)get16(&tcp, 2, &seg->dport);
	(void)get32(&tcp, 4, &seg->seq);
	(void)get32(&tcp, 8, &seg->ack);
	(void)get8(&tcp, 13, &seg->flags);
	(void)get16(&tcp, 14, &seg->wnd);
	(void)get16(&tcp, 18, &seg->urp);
	opt.p = tcp.p + TCP_HDR;
	opt.len = doff - TCP_HDR;
	if (opts_parse(&opt, seg, err) < 0)
		return TM_DEC_MALFORMED;
	seg->len = (uint32_t)(tcplen - doff);
	seg->payload = seg->len ? tcp.p + doff : NULL;

	psum = pseudo_sum(&seg->src, &seg->dst, tcplen);
	if (tm_inet_csum(tcp.p, tcplen, psum) != 0) {
		(void)get16(&tcp, 16, &sum);
		/* What the field should hold: the sum with the field taken as 0. */
		want = tm_inet_csum(tcp.p, 16, psum);
		want = tm_inet_csum(tcp.p + 18, tcplen - 18,
		    (uint32_t)(uint16_t)~want);
		td_errf(err, EBADMSG, "TCP checksum 0x%04x, expected 0x%04x", sum, want);
		badsum = true;
	}
	return badsum ? TM_DEC_BADSUM : TM_DEC_OK;
}

/* ---- Printing ---- */

int
tm_addr_parse(const char *s, struct tm_addr *a)
{
	struct in_addr v4;

	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, &v4) == 1) {
		addr_from(a, AF_INET, (const uint8_t *)&v4);
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a->a) == 1) {
		a->family = AF_INET6;
		return 0;
	}
	return -1;
}

const char *
tm_addr_str(const struct tm_addr *a, char *buf, size_t cap)
{
	if (a->family == AF_INET) {
		if (inet_ntop(AF_INET, &a->a.s6_addr[12], buf, (socklen_t)cap) == NULL)
			snprintf(buf, cap, "?");
	} else if (a->family == AF_INET6) {
		if (inet_ntop(AF_INET6, &a->a, buf, (socklen_t)cap) == NULL)
			snprintf(buf, cap, "?");
	} else {
		snprintf(buf, cap, "?");
	}
	return buf;
}

int
tm_flags_parse(const char *s, size_t n, uint8_t *flags)
{
	static const char letters[] = "FSRP.UEW";	/* bit i of the header's byte 13 */
	const char *c;
	uint8_t f = 0;
	size_t i;

	if (n == 4 && strncmp(s, "none", 4) == 0) {
		*flags = 0;
		return 0;
	}
	for (i = 0; i < n; i++) {
		if ((c = strchr(letters, s[i] == 'A' ? '.' : s[i])) == NULL || s[i] == '\0')
			return -1;
		f |= (uint8_t)(1u << (c - letters));
	}
	*flags = f;
	return 0;
}

const char *
tm_flags_str(uint8_t flags, char *buf, size_t cap)
{
	return td_ladder_flags(TD_LADDER_WIRE, flags, buf, cap);
}

void
tm_seg_ladder(const struct tm_seg *seg, struct td_lseg *out)
{
	memset(out, 0, sizeof(*out));
	out->flags = seg->flags;
	out->seq = seg->seq;
	out->ack = seg->ack;
	out->len = seg->len;
	out->win = seg->wnd;
	out->mss = seg->has_mss;
	out->sack_ok = seg->sack_ok;
	out->ts = seg->has_ts;
	out->wscale = seg->has_wscale;
	out->nsack = seg->nsack;
	/* A first block below the ACK is a D-SACK (RFC 2883 section 4). */
	out->dsack = seg->nsack > 0 && (seg->flags & TM_ACK) && TM_SEQ_LT(seg->sack[0][0], seg->ack);
}

const char *
tm_seg_str(const struct tm_seg *seg, bool brief, char *buf, size_t cap)
{
	char fl[16], a1[INET6_ADDRSTRLEN], a2[INET6_ADDRSTRLEN], opts[160];
	size_t n = 0;
	unsigned int i;

	opts[0] = '\0';
#define OPT(...)	do {						\
		if (n < sizeof(opts))					\
			n += (size_t)snprintf(opts + n, sizeof(opts) - n, \
			    "%s", n ? "," : "");			\
		if (n < sizeof(opts))					\
			n += (size_t)snprintf(opts + n, sizeof(opts) - n, __VA_ARGS__); \
	} while (0)
	if (seg->has_mss)
		OPT("mss %u", seg->mss);
	if (seg->sack_ok)
		OPT("sackOK");
	if (seg->has_ts)
		OPT("TS val %u ecr %u", seg->tsval, seg->tsecr);
	if (seg->has_wscale)
		OPT("wscale %u", seg->wscale);
	for (i = 0; i < seg->nsack && i < TM_SACK_MAX; i++)
		OPT("sack %u:%u", seg->sack[i][0], seg->sack[i][1]);
#undef OPT
	tm_flags_str(seg->flags, fl, sizeof(fl));
	if (brief)
		snprintf(buf, cap, "%s seq %u ack %u win %u%s%s%s len %u", fl,
		    seg->seq, seg->ack, seg->wnd, opts[0] ? " <" : "", opts,
		    opts[0] ? ">" : "", seg->len);
	else
		snprintf(buf, cap, "%s.%u > %s.%u: %s seq %u ack %u win %u%s%s%s len %u",
		    tm_addr_str(&seg->src, a1, sizeof(a1)), seg->sport,
		    tm_addr_str(&seg->dst, a2, sizeof(a2)), seg->dport, fl,
		    seg->seq, seg->ack, seg->wnd, opts[0] ? " <" : "", opts,
		    opts[0] ? ">" : "", seg->len);
	return buf;
}
