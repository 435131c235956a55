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

/*
 * One SipRound on v0..v3, locals of the caller (a macro rather than a
 * function of an array, so that the state stays in registers).
 */
#define SIPROUND(v0, v1, v2, v3) do {						\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);		\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;					\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;					\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);		\
} while (0)

uint64_t
tm_siphash(const uint64_t key[2], const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t v0, v1, v2, v3, m, b = (uint64_t)len << 56;
	size_t i, left = len & 7;

	v0 = key[0] ^ 0x736f6d6570736575ull;
	v1 = key[1] ^ 0x646f72616e646f6dull;
	v2 = key[0] ^ 0x6c7967656e657261ull;
	v3 = key[1] ^ 0x7465646279746573ull;
	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)p[len - left + i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
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
