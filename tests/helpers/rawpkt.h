/* SPDX-License-Identifier: MIT */
/*
 * What the helpers that write raw IPv4 TCP segments share (tests/helpers
 * rawsyn, tun_clients, tun_synflood; bench/populate): one 40-byte segment
 * without options, its checksums by the project's one Internet checksum
 * (tm_inet_csum, RFC 1071), and a TUN device: its creation and address.  Header-only: each
 * helper is a program of its own.
 */
#ifndef TD_TESTS_HELPERS_RAWPKT_H
#define TD_TESTS_HELPERS_RAWPKT_H

#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tcp/segment.h"

struct rawpkt4 {
	struct iphdr	ip;
	struct tcphdr	tcp;
};

/*
 * A SYN (syn) or a bare ACK from saddr:sport to daddr:dport (addresses in
 * network order), window 65535, IP id ipid; the TCP checksum over the
 * pseudo-header (RFC 9293 3.1) and the IP header checksum filled in.
 */
static inline void
rawpkt_tcp4(struct rawpkt4 *p, uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
    uint32_t seq, uint32_t ack, bool syn, uint16_t ipid)
{
	struct {
		uint32_t	src, dst;
		uint8_t		zero, proto;
		uint16_t	len;
		struct tcphdr	tcp;
	} ph;

	memset(p, 0, sizeof(*p));
	p->ip.version = 4;
	p->ip.ihl = 5;
	p->ip.tot_len = htons(sizeof(*p));
	p->ip.id = htons(ipid);
	p->ip.ttl = 64;
	p->ip.protocol = IPPROTO_TCP;
	p->ip.saddr = saddr;
	p->ip.daddr = daddr;
	p->tcp.source = htons(sport);
	p->tcp.dest = htons(dport);
	p->tcp.seq = htonl(seq);
	p->tcp.ack_seq = htonl(ack);
	p->tcp.doff = 5;
	p->tcp.syn = syn ? 1 : 0;
	p->tcp.ack = syn ? 0 : 1;
	p->tcp.window = htons(65535);
	memset(&ph, 0, sizeof(ph));
	ph.src = saddr;
	ph.dst = daddr;
	ph.proto = IPPROTO_TCP;
	ph.len = htons(sizeof(p->tcp));
	ph.tcp = p->tcp;
	p->tcp.check = htons(tm_inet_csum(&ph, sizeof(ph), 0));
	p->ip.check = htons(tm_inet_csum(&p->ip, sizeof(p->ip), 0));
}

/* Address LOCAL/15 on the TUN device DEV and bring it up.  0, or -1 (errno). */
static inline int
rawpkt_tun_up(const char *dev, struct in_addr local)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
	sin->sin_family = AF_INET;
	sin->sin_addr = local;
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		goto fail;
	sin->sin_addr.s_addr = htonl(0xfffe0000u);
	if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
		goto fail;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	close(s);
	return 0;
fail:
	close(s);
	return -1;
}

/*
 * Create TUN device DEV (no packet information), give it LOCAL/15, bring it
 * up and print "ready" on stdout.  The device's descriptor, or -1 with errno
 * set and *what naming the step that failed.
 */
static inline int
rawpkt_tun_open(const char *dev, struct in_addr local, const char **what)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);

	*what = "/dev/net/tun";
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
	*what = "TUNSETIFF";
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		goto fail;
	*what = "configure the device";
	if (rawpkt_tun_up(dev, local) < 0)
		goto fail;
	printf("ready\n");
	fflush(stdout);
	return fd;
fail:
	close(fd);
	return -1;
}

/* Wait up to 30 s for the file GO to exist: 0, or -1. */
static inline int
rawpkt_wait_go(const char *go)
{
	for (int i = 0; access(go, F_OK) != 0; i++) {
		if (i > 600)
			return -1;
		usleep(50000);
	}
	return 0;
}

#endif /* TD_TESTS_HELPERS_RAWPKT_H */
