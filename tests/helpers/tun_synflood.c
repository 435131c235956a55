/* SPDX-License-Identifier: MIT */
/*
 * Test helper: a spoofed SYN flood through a TUN device, as KERNEL-FACTS'
 * "Realistic scenarios" describe.  Creates TUN device DEV with address
 * LOCAL/15 (so 198.18.0.0/15 is routed into it), prints "ready", waits until
 * the file GO exists, then writes COUNT SYNs to LOCAL:PORT from random
 * sources in 198.18.0.0/15 (never 198.18.0.0/24, where LOCAL lives).  The
 * listener's SYN-ACKs come back out of the device; they are read and
 * counted into the file STATS ("synacks N") and vanish, so the requests are
 * never completed.  Runs until killed.  Needs CAP_NET_ADMIN; use only inside
 * a namespace the test made.
 * Usage: tun_synflood DEV LOCAL PORT COUNT GO STATS [SEED]
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/num.h"
#include "tests/helpers/rawpkt.h"

static uint64_t rng = 88172645463325252ULL;

static uint32_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static int
die(const char *what)
{
	fprintf(stderr, "tun_synflood: %s: %s\n", what, strerror(errno));
	return 1;
}

/* A SYN from src:sport (src in host order), the IP id its sequence number's low bits. */
static void
syn(uint8_t *buf, struct in_addr dst, uint16_t port, uint32_t src, uint16_t sport, uint32_t seq)
{
	struct rawpkt4 p;

	rawpkt_tcp4(&p, htonl(src), dst.s_addr, sport, port, seq, 0, true, (uint16_t)seq);
	memcpy(buf, &p, sizeof(p));
}

int
main(int argc, char **argv)
{
	const char *what;
	struct in_addr local;
	struct pollfd pfd;
	uint8_t buf[2048];
	char tmp[4096];
	int64_t port, count, i, synacks = 0;
	uint64_t seed = 0;
	uint32_t src;
	FILE *fp;
	ssize_t n;
	int fd;

	if (argc < 7 || argc > 8 || inet_pton(AF_INET, argv[2], &local) != 1 ||
	    td_num_i64(argv[3], 1, 65535, &port, NULL) < 0 ||
	    td_num_i64(argv[4], 1, 100000, &count, NULL) < 0 ||
	    (argc == 8 && td_num_u64(argv[7], 10, UINT64_MAX, &seed, NULL) < 0)) {
		fprintf(stderr, "usage: tun_synflood DEV LOCAL PORT COUNT GO STATS [SEED]\n");
		return 64;
	}
	rng ^= seed * 0x9e3779b97f4a7c15ULL;
	fd = rawpkt_tun_open(argv[1], local, &what);
	if (fd < 0)
		return die(what);
	if (rawpkt_wait_go(argv[5]) < 0)
		return die("waiting for the go file");
	for (i = 0; i < count; i++) {
		/* 198.18.0.0/15 minus 198.18.0.0/24: 198.18.1.0 .. 198.19.255.254 */
		do
			src = 0xc6120000u + (rnd() & 0x1ffff);
		while ((src & 0xffffff00u) == 0xc6120000u || (src & 0xff) == 0 || (src & 0xff) == 255);
		syn(buf, local, (uint16_t)port, src, (uint16_t)(1024 + rnd() % 60000), rnd());
		if (write(fd, buf, sizeof(struct iphdr) + sizeof(struct tcphdr)) < 0)
			return die("write");
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return die("poll");
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < (ssize_t)(sizeof(struct iphdr) + sizeof(struct tcphdr)))
			continue;
		if (buf[9] == IPPROTO_TCP) {
			const struct tcphdr *t = (const struct tcphdr *)(buf + (buf[0] & 0xf) * 4);

			if (t->syn && t->ack)
				synacks++;
		}
		/* Readers never see a half-written file: temporary file, then rename. */
		snprintf(tmp, sizeof(tmp), "%s.tmp", argv[6]);
		fp = fopen(tmp, "w");
		if (fp != NULL) {
			fprintf(fp, "synacks %ld\n", synacks);
			if (fclose(fp) == 0)
				rename(tmp, argv[6]);
		}
	}
}
