/* SPDX-License-Identifier: MIT */
/*
 * Test helper: a TCP server behind a TUN device that departs from what a
 * TCP stack does, on purpose, so that a capture of it shows replay's model
 * a departure.  Creates TUN device DEV with address LOCAL/15 (the kernel's
 * side), prints "ready", and answers SYNs to 198.18.1.2:80 from the kernel.
 * MODE:
 *   early       the first SYN-ACK carries a wrong TCP checksum (the kernel
 *               drops it, a capture of DEV shows it), and the SYN-ACK is
 *               retransmitted 300 ms later, where Linux waits 1 s
 *               (TCP_TIMEOUT_INIT); then the connection is closed cleanly;
 *   datafin     after the handshake it sends its FIN, and 50 ms later 100
 *               bytes of data beyond that FIN (data after FIN);
 *   clean       answers as a TCP stack would: SYN-ACK, ACKs, FIN after the
 *               client's FIN;
 *   rsttw       as clean, then 100 ms after the client's last ACK (the client
 *               is in TIME_WAIT) a RST to it: TIME_WAIT assassination
 *               (RFC 1337);
 *   late        the first SYN-ACK carries a wrong TCP checksum, the client's
 *               retransmitted SYNs go unanswered, and the SYN-ACK is
 *               retransmitted 3 s after the first, where Linux answers the
 *               SYN's retransmission at once and retransmits after 1 s;
 *   rstfin      as clean, but the client's FIN is answered with RST, where a
 *               Linux socket ACKs it and sends its own FIN on close();
 *   overwin     as clean, and after the third ACK 100 bytes 200000 bytes
 *               beyond the server's next sequence number, far outside the
 *               client's window (it offered no window scale to the server,
 *               so its window is at most 65535).
 * Each segment the kernel sends is answered at once; the server's initial
 * sequence number is 7000.  Runs until killed.  Needs CAP_NET_ADMIN; use only
 * inside a test namespace.
 * Usage: tun_peer DEV LOCAL early|datafin|clean|rsttw|late|rstfin|overwin
 */
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "tcp/segment.h"
#include "tests/helpers/rawpkt.h"

#define PEER	"198.18.1.2"
#define ISS	7000u

static int fd;
static uint8_t out[TM_PKT_MAX];

static int
die(const char *what)
{
	fprintf(stderr, "tun_peer: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Send a segment from the peer to the client of in; bad: a wrong TCP checksum. */
static int
reply(const struct tm_seg *in, uint8_t flags, tm_seq seq, tm_seq ack, uint32_t len, int bad)
{
	struct tm_seg s;
	struct td_err err = { 0 };
	int n;

	memset(&s, 0, sizeof(s));
	s.src = in->dst;
	s.dst = in->src;
	s.sport = in->dport;
	s.dport = in->sport;
	s.seq = seq;
	s.ack = ack;
	s.flags = flags;
	s.wnd = 65535;
	s.len = len;
	if (flags & TM_SYN) {
		s.has_mss = true;
		s.mss = 1460;
	}
	n = tm_seg_encode(&s, out, sizeof(out), &err);
	if (n < 0) {
		fprintf(stderr, "tun_peer: %s\n", err.msg);
		return -1;
	}
	if (bad)
		out[20 + 16] ^= 0x5a;	/* the TCP checksum (no IP options) */
	return write(fd, out, (size_t)n) == n ? 0 : -1;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int
main(int argc, char **argv)
{
	const char *what;
	struct in_addr local;
	struct tm_addr peer;
	struct pollfd pfd;
	uint8_t buf[TM_PKT_MAX];
	const char *mode;
	ssize_t n;
	bool synacked = false;

	if (argc != 4 || inet_pton(AF_INET, argv[2], &local) != 1 ||
	    (strcmp(argv[3], "early") != 0 && strcmp(argv[3], "datafin") != 0 &&
	    strcmp(argv[3], "clean") != 0 && strcmp(argv[3], "rsttw") != 0 &&
	    strcmp(argv[3], "late") != 0 && strcmp(argv[3], "rstfin") != 0 &&
	    strcmp(argv[3], "overwin") != 0)) {
		fprintf(stderr, "usage: tun_peer DEV LOCAL early|datafin|clean|rsttw|late|rstfin|overwin\n");
		return 64;
	}
	mode = argv[3];
	tm_addr_parse(PEER, &peer);
	fd = rawpkt_tun_open(argv[1], local, &what);
	if (fd < 0)
		return die(what);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		struct tm_seg in;
		struct td_err err = { 0 };
		uint32_t dlen;
		tm_seq cnxt;

		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			return die("poll");
		if (!(pfd.revents & POLLIN))
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n <= 0 || tm_seg_decode(buf, (size_t)n, &in, &err) != TM_DEC_OK)
			continue;
		if (memcmp(&in.dst.a, &peer.a, sizeof(peer.a)) != 0 || in.dport != 80)
			continue;
		dlen = in.len + ((in.flags & TM_FIN) ? 1 : 0);
		cnxt = in.seq + dlen;
		if ((in.flags & (TM_SYN | TM_ACK)) == TM_SYN) {
			if (strcmp(mode, "late") == 0) {
				/* One answer, to the first SYN only: the retransmitted ones wait. */
				if (synacked)
					continue;
				synacked = true;
				if (reply(&in, TM_SYN | TM_ACK, ISS, in.seq + 1, 0, 1) < 0)
					return die("write");
				pause_ms(3000);
			}
			if (strcmp(mode, "early") == 0) {
				if (reply(&in, TM_SYN | TM_ACK, ISS, in.seq + 1, 0, 1) < 0)
					return die("write");
				pause_ms(300);
			}
			if (reply(&in, TM_SYN | TM_ACK, ISS, in.seq + 1, 0, 0) < 0)
				return die("write");
			continue;
		}
		if (in.flags & TM_RST)
			continue;
		if (in.flags & TM_FIN) {
			/* The client closed: ACK and FIN (datafin: its FIN went out already). */
			if (strcmp(mode, "datafin") == 0) {
				if (reply(&in, TM_ACK, ISS + 2, cnxt, 0, 0) < 0)
					return die("write");
			} else if (strcmp(mode, "rstfin") == 0) {
				if (reply(&in, TM_RST | TM_ACK, ISS + 1, cnxt, 0, 0) < 0)
					return die("write");
			} else if (reply(&in, TM_FIN | TM_ACK, ISS + 1, cnxt, 0, 0) < 0) {
				return die("write");
			}
			continue;
		}
		if (in.ack == ISS + 1 && dlen == 0 && strcmp(mode, "datafin") == 0) {
			/* The third ACK: FIN, then data beyond it. */
			if (reply(&in, TM_FIN | TM_ACK, ISS + 1, in.seq, 0, 0) < 0)
				return die("write");
			pause_ms(50);
			if (reply(&in, TM_ACK | TM_PSH, ISS + 2, in.seq, 100, 0) < 0)
				return die("write");
			continue;
		}
		if (in.ack == ISS + 1 && dlen == 0 && !(in.flags & TM_FIN) &&
		    strcmp(mode, "overwin") == 0 && !synacked) {
			/* The third ACK: data far beyond the client's window, once. */
			synacked = true;
			if (reply(&in, TM_ACK | TM_PSH, ISS + 1 + 200000, in.seq, 100, 0) < 0)
				return die("write");
			continue;
		}
		if (in.ack == ISS + 2 && dlen == 0 && strcmp(mode, "rsttw") == 0) {
			/* The client's last ACK: it is in TIME_WAIT now. */
			pause_ms(100);
			if (reply(&in, TM_RST, ISS + 2, 0, 0, 0) < 0)
				return die("write");
			continue;
		}
		if (dlen > 0 && reply(&in, TM_ACK, in.ack, cnxt, 0, 0) < 0)
			return die("write");
	}
}
