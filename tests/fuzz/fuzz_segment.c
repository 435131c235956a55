/* SPDX-License-Identifier: MIT */
/* Fuzz target: IPv4/IPv6 + TCP packets (TUN and pcap bytes), decode then re-encode. */
#include "tests/fuzz/fuzz.h"

#include "tcp/segment.h"

#include "collectors/snapshot.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tm_seg seg;
	struct td_err err = { 0 };
	uint8_t out[65536 + 128];

	if (tm_seg_decode(data, size, &seg, &err) != TM_DEC_MALFORMED) {
		struct td_err err2 = { 0 };

		tm_seg_encode(&seg, out, sizeof(out), &err2);
	}
	return 0;
}
