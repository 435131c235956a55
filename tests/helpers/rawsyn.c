/* SPDX-License-Identifier: MIT */
/*
 * Test helper: send COUNT raw TCP SYNs to DST:PORT from spoofed sources:
 * for an IPv4 DST, 198.19.0.1, 198.19.0.2, ... (the 198.18.0.0/15 test
 * range) through an IP_HDRINCL raw socket; for an IPv6 DST, 2001:db8:2::1,
 * 2001:db8:2::2, ... (documentation prefix) through a raw IPPROTO_TCP
 * socket bound with IPV6_FREEBIND, the kernel filling in the checksum
 * (IPV6_CHECKSUM).  The listener answers into a route that goes nowhere,
 * so its request sockets (SYN_RECV) stay until they time out.
 * Needs CAP_NET_RAW; use only inside a test namespace.
 * Usage: rawsyn DST PORT COUNT
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/num.h"
#include "tests/helpers/rawpkt.h"

/* The TCP SYN every source sends (checksum left to the caller). */
static void
syn_header(struct tcphdr *t, long i, long port)
{
	memset(t, 0, sizeof(*t));
	t->source = htons((uint16_t)(40000 + i % 20000));
	t->dest = htons((uint16_t)port);
	t->seq = htonl(0x10000000u + (uint32_t)i);
	t->doff = 5;
	t->syn = 1;
	t->window = htons(65535);
}

static int
send_v6(const struct in6_addr *dst, long port, long count)
{
	struct sockaddr_in6 to = { .sin6_family = AF_INET6 }, from = { .sin6_family = AF_INET6 };
	int fd, one = 1, off = offsetof(struct tcphdr, check);
	struct tcphdr t;
	long i;

	to.sin6_addr = *dst;
	for (i = 0; i < count; i++) {
		fd = socket(AF_INET6, SOCK_RAW, IPPROTO_TCP);
		if (fd < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)) < 0 ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one)) < 0) {
			fprintf(stderr, "rawsyn: raw IPv6 socket: %s\n", strerror(errno));
			return 1;
		}
		inet_pton(AF_INET6, "2001:db8:2::", &from.sin6_addr);
		from.sin6_addr.s6_addr[14] = (uint8_t)((i + 1) >> 8);
		from.sin6_addr.s6_addr[15] = (uint8_t)(i + 1);
		if (bind(fd, (struct sockaddr *)&from, sizeof(from)) < 0) {
			fprintf(stderr, "rawsyn: bind: %s\n", strerror(errno));
			return 1;
		}
		syn_header(&t, i, port);
		if (sendto(fd, &t, sizeof(t), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "rawsyn: sendto: %s\n", strerror(errno));
			return 1;
		}
		close(fd);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct rawpkt4 pkt;
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct in6_addr dst6;
	int64_t port, count, i;
	int fd, one = 1;

	if (argc != 4 || td_num_i64(argv[2], 1, 65535, &port, NULL) < 0 ||
	    td_num_i64(argv[3], 1, 60000, &count, NULL) < 0) {
		fprintf(stderr, "usage: rawsyn DST PORT COUNT\n");
		return 64;
	}
	if (inet_pton(AF_INET6, argv[1], &dst6) == 1)
		return send_v6(&dst6, port, count);
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1) {
		fprintf(stderr, "rawsyn: '%s' is not an IPv4 or IPv6 address\n", argv[1]);
		return 64;
	}
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one)) < 0) {
		fprintf(stderr, "rawsyn: raw socket: %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < count; i++) {
		/* From 198.19.0.0 + i + 1, the port and sequence number of syn_header(). */
		rawpkt_tcp4(&pkt, htonl(0xc6130000u + (uint32_t)i + 1), to.sin_addr.s_addr,
		    (uint16_t)(40000 + i % 20000), (uint16_t)port, 0x10000000u + (uint32_t)i, 0, true,
		    (uint16_t)i);
		if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			fprintf(stderr, "rawsyn: sendto: %s\n", strerror(errno));
			return 1;
		}
	}
	close(fd);
	return 0;
}
