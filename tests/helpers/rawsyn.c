/* SPDX-License-Identifier: MIT */
/*
 * Test helper: send COUNT raw TCP SYNs to DST:PORT from spoofed sources
 * 198.19.0.1, 198.19.0.2, ... (the 198.18.0.0/15 test range) with an
 * IP_HDRINCL raw socket.  The listener answers into a route that goes
 * nowhere, so its request sockets (SYN_RECV) stay until they time out.
 * Needs CAP_NET_RAW; use only inside a test namespace.
 * Usage: rawsyn DST_IPV4 PORT COUNT
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint16_t
csum(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;

	for (; len > 1; len -= 2, p += 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

int
main(int argc, char **argv)
{
	struct {
		struct iphdr	ip;
		struct tcphdr	tcp;
	} pkt;
	struct {
		uint32_t	src, dst;
		uint8_t		zero, proto;
		uint16_t	len;
		struct tcphdr	tcp;
	} ph;
	struct sockaddr_in to = { .sin_family = AF_INET };
	long port, count, i;
	int fd, one = 1;

	if (argc != 4 || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1 ||
	    (port = strtol(argv[2], NULL, 10)) <= 0 || port > 65535 ||
	    (count = strtol(argv[3], NULL, 10)) <= 0 || count > 60000) {
		fprintf(stderr, "usage: rawsyn DST_IPV4 PORT COUNT\n");
		return 64;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		fprintf(stderr, "rawsyn: raw socket: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < count; i++) {
		memset(&pkt, 0, sizeof(pkt));
		pkt.ip.version = 4;
		pkt.ip.ihl = 5;
		pkt.ip.tot_len = htons(sizeof(pkt));
		pkt.ip.id = htons((uint16_t)i);
		pkt.ip.ttl = 64;
		pkt.ip.protocol = IPPROTO_TCP;
		pkt.ip.saddr = htonl(0xc6130000u + (uint32_t)i + 1);	/* 198.19.0.0 + i + 1 */
		pkt.ip.daddr = to.sin_addr.s_addr;
		pkt.tcp.source = htons((uint16_t)(40000 + i % 20000));
		pkt.tcp.dest = htons((uint16_t)port);
		pkt.tcp.seq = htonl(0x10000000u + (uint32_t)i);
		pkt.tcp.doff = 5;
		pkt.tcp.syn = 1;
		pkt.tcp.window = htons(65535);
		ph.src = pkt.ip.saddr;
		ph.dst = pkt.ip.daddr;
		ph.zero = 0;
		ph.proto = IPPROTO_TCP;
		ph.len = htons(sizeof(pkt.tcp));
		ph.tcp = pkt.tcp;
		pkt.tcp.check = csum(&ph, sizeof(ph), 0);
		pkt.ip.check = csum(&pkt.ip, sizeof(pkt.ip), 0);
		if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "rawsyn: sendto: %s\n", strerror(errno));
			return 1;
		}
	}
	close(fd);
	return 0;
}
