/* SPDX-License-Identifier: MIT */
/* Fuzz target: pcap captures, every record. */
#include "tests/fuzz/fuzz.h"

#include <unistd.h>

#include "collectors/snapshot.h"
#include "lab/pcap.h"
#include "tcp/segment.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_pcap pc;
	struct lab_pcap_pkt pkt;
	struct tm_seg seg;
	struct td_err err = { 0 };
	char path[64];
	int fd = fuzz_file(data, size, path), n = 0;

	if (fd < 0)
		return 0;
	if (lab_pcap_open(&pc, path, &err) == 0) {
		while (n++ < 100000 && lab_pcap_next(&pc, &pkt, &err) == 1) {
			struct td_err e2 = { 0 };

			if (pkt.iplen > 0)
				tm_seg_decode(pkt.ip, pkt.iplen, &seg, &e2);
		}
		lab_pcap_close(&pc, &err);
	}
	close(fd);
	return 0;
}
