/* SPDX-License-Identifier: MIT */
/*
 * Test helper: COUNT TCP clients behind a TUN device, for replay's captures.
 * Creates TUN device DEV with address LOCAL/15, prints "ready", waits until
 * the file GO exists, then sends one SYN from 198.18.1.2, ports 40000 and
 * up, to LOCAL:PORT for each client at once, and answers every SYN-ACK the
 * listener sends back with the third ACK, as a client's stack does (a
 * retransmitted SYN-ACK gets the ACK again).  MODE:
 *   ack      every ACK is good; the SYNs go out in two waves 300 ms apart,
 *            half each: with listen(COUNT/2) and no accept(), the first wave
 *            fills the accept queue to its backlog, the second is answered
 *            (the queue is not over it yet) and its ACKs but the first find
 *            the queue full and are dropped, so the listener retransmits
 *            those SYN-ACKs (KERNEL-FACTS T2; tcp_syncookies=0);
 *   lostack  each client's first ACK carries a wrong TCP checksum, so the
 *            listener drops it as a corrupted segment: the ACK is on the
 *            wire (in a capture of DEV) but lost, and the SYN-ACK comes again.
 * Runs until killed.  Needs CAP_NET_ADMIN; use only inside a test namespace.
 * Usage: tun_clients DEV LOCAL PORT COUNT GO MODE
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

#include "tests/helpers/rawpkt.h"

#define SRC	0xc6120102u	/* 198.18.1.2 */
#define SPORT0	40000

static int
die(const char *what)
{
	fprintf(stderr, "tun_clients: %s: %s\n", what, strerror(errno));
	return 1;
}

/* A 40-byte IPv4/TCP segment without options; bad: a wrong TCP checksum. */
static void
seg(uint8_t *buf, struct in_addr dst, uint16_t port, uint16_t sport, uint32_t seq,
    uint32_t ack, int syn, int bad)
{
	struct rawpkt4 p;

	rawpkt_tcp4(&p, htonl(SRC), dst.s_addr, sport, port, seq, ack, syn, 0);
	if (bad)
		p.tcp.check ^= htons(0x5a5a);
	memcpy(buf, &p, sizeof(p));
}

int
main(int argc, char **argv)
{
	const char *what;
	struct in_addr local;
	struct pollfd pfd;
	uint8_t buf[2048], *acked;
	long port, count, i, wave, polls;
	int fd, lostack;
	ssize_t n;

	if (argc != 7 || inet_pton(AF_INET, argv[2], &local) != 1 ||
	    (port = strtol(argv[3], NULL, 10)) <= 0 || port > 65535 ||
	    (count = strtol(argv[4], NULL, 10)) <= 0 || count > 20000 ||
	    (strcmp(argv[6], "ack") != 0 && strcmp(argv[6], "lostack") != 0)) {
		fprintf(stderr, "usage: tun_clients DEV LOCAL PORT COUNT GO ack|lostack\n");
		return 64;
	}
	lostack = strcmp(argv[6], "lostack") == 0;
	acked = calloc((size_t)count, 1);
	if (acked == NULL)
		return die("calloc");
	fd = rawpkt_tun_open(argv[1], local, &what);
	if (fd < 0)
		return die(what);
	if (rawpkt_wait_go(argv[5]) < 0)
		return die("waiting for the go file");
	wave = lostack ? count : count / 2;
	for (i = 0; i < wave; i++) {
		seg(buf, local, (uint16_t)port, (uint16_t)(SPORT0 + i), 1000000u * (uint32_t)(i + 1), 0, 1, 0);
		if (write(fd, buf, 40) < 0)
			return die("write");
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (polls = 0;; polls++) {
		const struct tcphdr *t;
		long k;

		if (polls == 6 && wave < count) {	/* 300 ms: the second wave */
			for (i = wave; i < count; i++) {
				seg(buf, local, (uint16_t)port, (uint16_t)(SPORT0 + i),
				    1000000u * (uint32_t)(i + 1), 0, 1, 0);
				if (write(fd, buf, 40) < 0)
					return die("write");
			}
		}
		if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
			return die("poll");
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 40 || (buf[0] >> 4) != 4 || buf[9] != IPPROTO_TCP || (size_t)(buf[0] & 0xf) * 4 + 20 > (size_t)n)
			continue;
		t = (const struct tcphdr *)(buf + (buf[0] & 0xf) * 4);
		k = (long)ntohs(t->dest) - SPORT0;
		if (!(t->syn && t->ack) || k < 0 || k >= count)
			continue;
		seg(buf, local, (uint16_t)port, (uint16_t)(SPORT0 + k), 1000000u * (uint32_t)(k + 1) + 1,
		    ntohl(t->seq) + 1, 0, lostack && !acked[k]);
		acked[k] = 1;
		if (write(fd, buf, 40) < 0)
			return die("write");
	}
}
