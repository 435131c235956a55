/* SPDX-License-Identifier: MIT */
/*
 * Initial sequence numbers per RFC 6528: a keyed hash of the 4-tuple plus a
 * clock.  Linux uses siphash with a boot-time secret plus
 * ktime_get_real_ns() >> 6, a 64 ns tick (net/core/secure_seq.c
 * seq_scale(); KERNEL-FACTS Part B #13, lab T5); RFC 9293 3.4.1 names a 4 us
 * clock.  The hash here is SipHash-2-4 written from the paper's description,
 * keyed by the host's secret, so runs are reproducible from the seed.
 */
#include "tcp/tm.h"

#include <string.h>

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void
sipround(uint64_t v[4])
{
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0]; v[0] = ROTL(v[0], 32);
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2]; v[2] = ROTL(v[2], 32);
}

uint64_t
tm_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v[4], m, b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	v[0] = key[0] ^ 0x736f6d6570736575ull;
	v[1] = key[1] ^ 0x646f72616e646f6dull;
	v[2] = key[0] ^ 0x6c7967656e657261ull;
	v[3] = key[1] ^ 0x7465646279746573ull;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)p[len - left + i] << (8 * i);
	v[3] ^= b;
	sipround(v);
	sipround(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/*
 * The keyed hash of a 4-tuple, the part of secure_tcp_seq() (and of
 * secure_tcp_ts_off()) that does not move with the clock.
 */
uint64_t
tm_tuple_hash(const uint64_t key[2], const struct tm_addr *saddr, const struct tm_addr *daddr,
    uint16_t sport, uint16_t dport)
{
	uint8_t buf[36];

	memcpy(buf, &saddr->a, 16);
	memcpy(buf + 16, &daddr->a, 16);
	memcpy(buf + 32, &sport, 2);
	memcpy(buf + 34, &dport, 2);
	return tm_siphash(key, buf, sizeof(buf));
}

tm_seq
tm_isn_ts(const struct tm_profile *p, const uint64_t key[2], const struct tm_addr *saddr,
    const struct tm_addr *daddr, uint16_t sport, uint16_t dport, tm_time now, uint32_t *ts_off)
{
	uint64_t h = tm_tuple_hash(key, saddr, daddr, sport, dport);
	uint64_t clock = p->isn_tick_ns ? now / p->isn_tick_ns : now >> p->isn_shift;

	if (ts_off != NULL)
		*ts_off = (uint32_t)(h >> 32);
	return (tm_seq)((uint32_t)h + (uint32_t)clock);
}

tm_seq
tm_isn(const struct tm_profile *p, const uint64_t key[2], const struct tm_addr *saddr,
    const struct tm_addr *daddr, uint16_t sport, uint16_t dport, tm_time now)
{
	return tm_isn_ts(p, key, saddr, daddr, sport, dport, now, NULL);
}
