/* SPDX-License-Identifier: MIT */
/*
 * Bench helper: write a large, valid Ethernet capture of CONNS short HTTP-like
 * TCP connections (handshake, a 300-byte request, three 400-byte response
 * segments with their ACKs, FIN both ways), OPEN of them interleaved at any
 * time, so that a reader's memory is bounded by OPEN, not by CONNS.  Clients
 * are 198.18.0.0/16, the server 198.19.0.1:80; packets are made by the
 * segment codec (tcp/segment.c) and written by libpcap's pcap_dump.
 * Usage: pcapgen OUT CONNS [OPEN]       (prints "packets N")
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "tcp/segment.h"

#define STEPS	14

struct gconn {
	struct tm_addr	c, s;
	uint16_t	cport;
	tm_seq		ci, si;
	int		step;
};

static pcap_dumper_t *dump;
static uint64_t now_ns = 1700000000000000000ull, npkt;
static uint8_t frame[14 + TM_PKT_MAX];

static int
emit(const struct gconn *g, int from_client, uint8_t flags, tm_seq seq, tm_seq ack, uint32_t len)
{
	struct tm_seg s;
	struct td_err err = { 0 };
	struct pcap_pkthdr h;
	int n;

	memset(&s, 0, sizeof(s));
	s.src = from_client ? g->c : g->s;
	s.dst = from_client ? g->s : g->c;
	s.sport = from_client ? g->cport : 80;
	s.dport = from_client ? 80 : g->cport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.wnd = 502;
	s.len = len;
	if (flags & TM_SYN) {
		s.has_mss = true;
		s.mss = 1460;
		s.has_wscale = true;
		s.wscale = 7;
		s.sack_ok = true;
	}
	n = tm_seg_encode(&s, frame + 14, sizeof(frame) - 14, &err);
	if (n < 0) {
		fprintf(stderr, "pcapgen: %s\n", err.msg);
		return -1;
	}
	memset(frame, 0, 12);
	frame[0] = 2;
	frame[6] = 2;
	frame[11] = from_client ? 1 : 2;
	frame[12] = 0x08;
	frame[13] = 0x00;
	now_ns += 7000;
	h.ts.tv_sec = (time_t)(now_ns / 1000000000u);
	h.ts.tv_usec = (suseconds_t)(now_ns % 1000000000u);
	h.caplen = h.len = (bpf_u_int32)(n + 14);
	pcap_dump((u_char *)dump, &h, frame);
	npkt++;
	return 0;
}

/* One packet of connection g; returns 1 when it is finished. */
static int
step(struct gconn *g)
{
	tm_seq c = g->ci, s = g->si;
	int r = 0;

	switch (g->step) {
	case 0: r = emit(g, 1, TM_SYN, c, 0, 0); break;
	case 1: r = emit(g, 0, TM_SYN | TM_ACK, s, c + 1, 0); break;
	case 2: r = emit(g, 1, TM_ACK, c + 1, s + 1, 0); break;
	case 3: r = emit(g, 1, TM_ACK | TM_PSH, c + 1, s + 1, 300); break;
	case 4: r = emit(g, 0, TM_ACK, s + 1, c + 301, 0); break;
	case 5: r = emit(g, 0, TM_ACK, s + 1, c + 301, 400); break;
	case 6: r = emit(g, 0, TM_ACK, s + 401, c + 301, 400); break;
	case 7: r = emit(g, 1, TM_ACK, c + 301, s + 801, 0); break;
	case 8: r = emit(g, 0, TM_ACK | TM_PSH, s + 801, c + 301, 400); break;
	case 9: r = emit(g, 1, TM_ACK, c + 301, s + 1201, 0); break;
	case 10: r = emit(g, 1, TM_ACK | TM_FIN, c + 301, s + 1201, 0); break;
	case 11: r = emit(g, 0, TM_ACK | TM_FIN, s + 1201, c + 302, 0); break;
	case 12: r = emit(g, 1, TM_ACK, c + 302, s + 1202, 0); break;
	default: return 1;
	}
	if (r < 0)
		exit(1);
	return ++g->step >= STEPS - 1;
}

static void
start(struct gconn *g, uint64_t i)
{
	char a[32];

	snprintf(a, sizeof(a), "198.18.%u.%u", (unsigned int)((i >> 8) & 0xff), (unsigned int)(i & 0xff));
	tm_addr_parse(a, &g->c);
	tm_addr_parse("198.19.0.1", &g->s);
	g->cport = (uint16_t)(10000 + (i / 65536) % 50000);
	g->ci = (tm_seq)(i * 2654435761u);
	g->si = (tm_seq)(i * 40503u + 12345);
	g->step = 0;
}

int
main(int argc, char **argv)
{
	pcap_t *dead;
	struct gconn *g;
	uint64_t conns, open, started = 0, done = 0, i;

	if (argc < 3 || (conns = strtoull(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: pcapgen OUT CONNS [OPEN]\n");
		return 64;
	}
	open = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000;
	if (open == 0 || open > conns)
		open = conns;
	g = calloc(open, sizeof(*g));
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, 65535, PCAP_TSTAMP_PRECISION_NANO);
	if (g == NULL || dead == NULL || (dump = pcap_dump_open(dead, argv[1])) == NULL) {
		fprintf(stderr, "pcapgen: %s: %s\n", argv[1], dead ? pcap_geterr(dead) : strerror(errno));
		return 1;
	}
	for (i = 0; i < open; i++)
		start(&g[i], started++);
	while (done < conns) {
		for (i = 0; i < open && done < conns; i++) {
			if (g[i].step < 0)
				continue;
			if (step(&g[i])) {
				done++;
				if (started < conns)
					start(&g[i], started++);
				else
					g[i].step = -1;
			}
		}
	}
	pcap_dump_close(dump);
	pcap_close(dead);
	free(g);
	printf("packets %llu\n", (unsigned long long)npkt);
	return 0;
}
