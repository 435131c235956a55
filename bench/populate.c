/* SPDX-License-Identifier: MIT */
/*
 * bench/populate: fill a network namespace of its own with N TCP sockets in
 * the mix of issue 11 and hold them, for the benchmark runner (bench/tdbench).
 *
 *   89%  TIME_WAIT     over 64 IPv4 addresses (198.18.1.0/24) and 64 IPv6
 *                      ones (2001:db8:1::1:0/112), about 60% IPv4, each to
 *                      a peer of its own (198.19.129.0/24, 2001:db8:2::1:0/112,
 *                      the same port) that is never there: see tw_repair
 *                      below.  No handshake: a socket in repair mode
 *                      connects without a SYN, closes with a FIN that
 *                      leaves through a veth without carrier, and one raw
 *                      FIN+ACK of the absent peer puts it in TIME_WAIT
 *                      (-S: sockets connected to themselves, as before;
 *                      -C: a client and a server, the client closing
 *                      first).  The 60 s a TIME_WAIT lives must hold the
 *                      whole population, so what a socket costs matters
 *    9%  ESTABLISHED   connected pairs (both ends are sockets here)
 *   the rest           CLOSE_WAIT/FIN_WAIT2 pairs (the client shut down its
 *                      writing half), a listener with a full accept queue,
 *                      SYN_SENT clients of that listener (their SYNs are
 *                      dropped while the queue is full: tcp_conn_request,
 *                      net/ipv4/tcp_input.c), and SYN_RECV request sockets
 *                      made by raw SYNs from 198.19.0.0/16, where nothing
 *                      routes (the SYN-ACKs go nowhere; no default route)
 *
 * Addresses are 198.18.0.0/17 (local on lo: a loopback prefix is a local
 * route, fib_add_ifaddr in net/ipv4/fib_frontend.c) and 2001:db8:1::/64
 * (a local route on lo, bound with IPV6_FREEBIND).  The knobs raised
 * (tcp_max_tw_buckets, somaxconn, tcp_max_syn_backlog, tcp_synack_retries,
 * tcp_syn_retries, rp_filter) are per namespace: they are written through
 * /proc/sys after unshare(CLONE_NEWNET), so the host keeps its own.  The
 * file limit is raised for this process only.
 *
 * Before any socket is made, PROCS children are forked; afterwards every
 * held socket (ESTABLISHED, CLOSE_WAIT, FIN_WAIT2, SYN_SENT) is passed to
 * one of them (SCM_RIGHTS) and each opens /dev/null until the host has
 * about FDS more descriptors: a host with many processes and descriptors
 * for process attribution (ls -p, ss -p).  Children die with the parent
 * (PR_SET_PDEATHSIG).  With -P 0, as few children as hold every socket
 * (SCM_MAX_FD each): a host where sockets, not processes, dominate.
 *
 * TIME_WAIT sockets are made last, so the oldest is as young as possible:
 * they live TCP_TIMEWAIT_LEN (60 s, include/net/tcp.h) from the moment each
 * was made.  The populator then counts every state with a sock_diag dump,
 * compares with what it made (each state within 0.5% + 1), prints one line
 *   ready TOTAL TW_START_NS POPULATE_MS
 * (TW_START_NS: CLOCK_MONOTONIC when the first TIME_WAIT socket was made)
 * and a breakdown on stderr, and holds until its standard input ends or it
 * gets SIGTERM.  Exit 1 when the namespace does not hold what was made.
 *
 * TIME_WAIT is made by THREADS workers (default: two per online CPU, at
 * most 8), each with its own raw socket (and listeners, -C).  On a host
 * whose CPUs other work keeps busy, more runnable threads get more CPU: at
 * 100,000 sockets under a load average of 12 on 2 CPUs, 11 to 13.5 us a
 * TIME_WAIT socket with 4 threads, 14 to 19 us with 2.
 *
 * With POPULATE_DEBUG set in the environment, the SYN_RECV count right
 * after the raw SYNs and the counts of every verification try go to
 * stderr (how the SYN_RECV losses at 1M were found).  POPULATE_SKIP_FINACK=K
 * (tests) leaves out the FIN+ACK of the first K TIME_WAIT sockets, as if
 * the loopback had lost them: the verification must send them again.
 *
 * Usage: populate [-CSk] [-P PROCS] [-D FDS] [-T THREADS] N
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip6.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collectors/sockdiag.h"
#include "core/tcpstate.h"
#include "core/util.h"
#include "tcp/segment.h"
#include "tests/helpers/rawpkt.h"

#define PORT_MAIN	80		/* listener of TIME_WAIT, ESTABLISHED, CLOSE_WAIT */
#define PORT_FULL	81		/* the listener with a full accept queue */
#define PORT_SYN	200		/* PORT_SYN + i: listeners raw SYNs leave in SYN_RECV */
#define SYN_PER_LISTENER 900		/* request sockets a listener */
#define MAX_SYN_LISTENERS 64
#define PORT_TW		90		/* PORT_TW + i: TIME_WAIT worker i's listeners */
#define MAX_THREADS	8
#define TW_BATCH	32		/* FIN+ACKs a sendmmsg() */
#define FULL_BACKLOG	16
#define NADDR		64		/* client source addresses per family */
#define FIRST_PORT	1024
#define NPORTS		(65536 - FIRST_PORT)
#define FDS_PER_MSG	253		/* SCM_MAX_FD, include/net/scm.h */

static void __attribute__((format(printf, 1, 2), noreturn))
die(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fputs("populate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e != 0)
		fprintf(stderr, ": %s", strerror(e));
	fputc('\n', stderr);
	exit(1);
}

/* Write a sysctl of this namespace (net sysctls follow the opener's netns). */
static void
sysctl_set(const char *path, const char *value)
{
	char full[256];
	int fd;

	snprintf(full, sizeof(full), "/proc/sys/%s", path);
	fd = open(full, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
		die("cannot set %s to %s", full, value);
	close(fd);
}

static void
run(const char *cmd)
{
	errno = 0;
	if (system(cmd) != 0)
		die("'%s' failed", cmd);
}

/* The address of client number i (0..NADDR-1) of a family, port p. */
static socklen_t
client_addr(struct sockaddr_storage *ss, int family, int block, unsigned int i, unsigned int port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		/* 198.18.BLOCK.(i+1) */
		a->sin_addr.s_addr = htonl(0xc6120000u | (uint32_t)block << 8 | (i + 1));
		return sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, "2001:db8:1::", &a->sin6_addr);
		a->sin6_addr.s6_addr[13] = (uint8_t)block;
		a->sin6_addr.s6_addr[15] = (uint8_t)(i + 1);
		return sizeof(*a);
	}
}

static socklen_t
server_addr(struct sockaddr_storage *ss, int family, unsigned int port)
{
	return client_addr(ss, family, 0, 0, port);	/* 198.18.0.1, 2001:db8:1::1 */
}

static int
listener(int family, unsigned int port, int backlog)
{
	struct sockaddr_storage ss;
	socklen_t len = server_addr(&ss, family, port);
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0)
		die("bind listener port %u", port);
	if (listen(fd, backlog) < 0)
		die("listen");
	return fd;
}

/* A stream socket bound to src (any address of the range: IPV6_FREEBIND). */
static int
bound_client(int family, const struct sockaddr_storage *src, socklen_t slen, int flags,
    unsigned long seq)
{
	int fd, one = 1;

	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | flags, 0);
	if (fd < 0)
		die("socket");
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)src, slen) < 0)
		die("bind client %lu", seq);
	return fd;
}

/*
 * Client number seq of a family and address block, connected to port;
 * blocking unless nonblock.  Source address and port come from seq, so
 * no two clients share a 4-tuple and the kernel never searches for a port.
 */
static int
client(int family, int block, unsigned long seq, unsigned int port, int nonblock)
{
	struct sockaddr_storage src, dst;
	socklen_t slen, dlen;
	int fd;

	if (seq >= (unsigned long)NADDR * NPORTS)
		die("client %lu: out of source addresses", seq);
	slen = client_addr(&src, family, block, (unsigned int)(seq % NADDR),
	    FIRST_PORT + (unsigned int)(seq / NADDR));
	dlen = server_addr(&dst, family, port);
	fd = bound_client(family, &src, slen, nonblock ? SOCK_NONBLOCK : 0, seq);
	if (connect(fd, (struct sockaddr *)&dst, dlen) < 0 &&
	    !(nonblock && errno == EINPROGRESS))
		die("connect client %lu to port %u", seq, port);
	return fd;
}

enum tw_how { TW_REPAIR, TW_SELF, TW_PAIR };
static enum tw_how tw_how = TW_REPAIR;	/* -S: TW_SELF, -C: TW_PAIR */

/* A socket connected to itself (simultaneous open, RFC 9293 3.5 figure 7). */
static int
self_client(int family, int block, unsigned long seq)
{
	struct sockaddr_storage src;
	socklen_t slen;
	int fd;

	slen = client_addr(&src, family, block, (unsigned int)(seq % NADDR),
	    FIRST_PORT + (unsigned int)(seq / NADDR));
	fd = bound_client(family, &src, slen, 0, seq);
	if (connect(fd, (struct sockaddr *)&src, slen) < 0)
		die("connect client %lu to itself", seq);
	return fd;
}

/* COUNT SYNs to 198.18.0.1:PORT_SYN + i % NPORTS from 198.19.x.y (RFC 9293 3.1 header). */
static void
raw_syns(unsigned long count, unsigned int nports)
{
	struct rawpkt4 pkt;
	struct sockaddr_in to = { .sin_family = AF_INET };
	unsigned long i;
	int fd;

	fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);	/* IP_HDRINCL */
	if (fd < 0)
		die("raw socket");
	to.sin_addr.s_addr = htonl(0xc6120001u);
	for (i = 0; i < count; i++) {
		/* 198.19.0.0/16: 250 addresses, then the next port. */
		rawpkt_tcp4(&pkt, htonl(0xc6130000u + (uint32_t)(i % 250) + 1), to.sin_addr.s_addr,
		    (uint16_t)(2000 + i / 250 % 60000), (uint16_t)(PORT_SYN + i % nports),
		    0x10000000u + (uint32_t)i, 0, true, 0);
		if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			die("raw SYN %lu", i);
		/*
		 * Loopback hands each SYN to the backlog queue of the CPU
		 * (netdev_max_backlog, 1000 by default, host-wide): pause
		 * every 100 so the softirq can drain it (without pauses this
		 * kernel kept 1001 of 1600; with them about 94%).
		 */
		if (i % 100 == 99)
			nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	close(fd);
}

/* A child: take one batch of sockets, open EXTRA descriptors, hold them. */
static void __attribute__((noreturn))
child_main(int chan, int ack, pid_t parent)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDS_PER_MSG)];
	struct msghdr mh = { 0 };
	struct iovec iov;
	unsigned long extra, k;
	ssize_t n;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	iov.iov_base = &extra;
	iov.iov_len = sizeof(extra);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(chan, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(extra))
		_exit(1);
	close(chan);
	for (k = 0; k < extra; k++)
		if (open("/dev/null", O_RDONLY | O_CLOEXEC) < 0)
			_exit(1);
	if (write(ack, "", 1) != 1)
		_exit(1);
	close(ack);
	for (;;)
		pause();
}

/*
 * Held sockets go out in batches, one batch a child, as they are made, so
 * this process never holds more than a batch (the file limit may be low:
 * without CAP_SYS_RESOURCE it cannot pass the hard limit).  A socket in
 * flight is held by the message, so our copy is closed once it is sent.
 * Without children (or once each has its batch) sockets stay here.
 */
static int	 bchan = -1;		/* parent end of the children's channel */
static unsigned long bprocs, bsent;	/* children, batches sent */
static unsigned long bper, bextra;	/* sockets a batch, /dev/null a child */
static int	 batch[FDS_PER_MSG];
static size_t	 nbatch;
static unsigned long nheld;

static void
send_batch(void)
{
	char cbuf[CMSG_SPACE(sizeof(int) * FDS_PER_MSG)];
	struct msghdr mh = { 0 };
	struct cmsghdr *cm;
	struct iovec iov = { &bextra, sizeof(bextra) };
	size_t k;

	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nbatch > 0) {
		memset(cbuf, 0, sizeof(cbuf));
		mh.msg_control = cbuf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nbatch);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nbatch);
		memcpy(CMSG_DATA(cm), batch, sizeof(int) * nbatch);
	}
	if (sendmsg(bchan, &mh, 0) < 0)
		die("sendmsg to child %lu", bsent);
	for (k = 0; k < nbatch; k++)
		close(batch[k]);
	nbatch = 0;
	bsent++;
}

static void
hold(int fd)
{
	nheld++;
	if (bsent >= bprocs || bper == 0)
		return;			/* no child left: it stays here */
	batch[nbatch++] = fd;
	if (nbatch == bper)
		send_batch();
}

/* At the end: the partial batch, then an empty one to each child left. */
static void
flush_batch(void)
{
	while (bsent < bprocs)
		send_batch();
}

/*
 * The peer of TIME_WAIT socket number seq of a family: 198.19.129.(i+1) or
 * 2001:db8:2::1:(i+1) for the local address 198.18.1.(i+1) or
 * 2001:db8:1::1:(i+1), the same port, so each (local address, peer
 * address, peer port) has one socket, as when each was its own peer.
 * Both prefixes route through tdb0 (main), whose peer is down.
 */
static socklen_t
tw_peer(struct sockaddr_storage *ss, int family, unsigned long seq)
{
	socklen_t len = client_addr(ss, family, 1, (unsigned int)(seq % NADDR),
	    FIRST_PORT + (unsigned int)(seq / NADDR));

	if (family == AF_INET)
		((struct sockaddr_in *)ss)->sin_addr.s_addr ^= htonl(0x00018000u);	/* 18.1 -> 19.129 */
	else
		((struct sockaddr_in6 *)ss)->sin6_addr.s6_addr[5] = 2;	/* db8:1 -> db8:2 */
	return len;
}

/* A FIN+ACK (RFC 9293 3.1), IPv4 or IPv6 header included, no options. */
union finack {
	struct { struct iphdr ip; struct tcphdr tcp; } v4;
	struct { struct ip6_hdr ip; struct tcphdr tcp; } v6;
};

/*
 * The FIN+ACK of the peer of a TIME_WAIT socket from..to (its peer and its
 * own address): sequence 0, acknowledging 1.  A socket that connected in
 * repair mode has sent and received nothing and its sequence numbers were
 * never chosen (tcp_v4_connect and tcp_v6_connect pick an initial one only
 * outside repair; tcp_connect_init takes snd_nxt from write_seq, and a new
 * tcp_sock starts at 0): rcv_nxt is 0 and its FIN took sequence 0.  The
 * checksum covers the pseudo-header (RFC 9293 3.1, RFC 8200 8.1).  Returns
 * the length.
 */
static size_t
finack(union finack *p, const struct sockaddr_storage *from, const struct sockaddr_storage *to)
{
	struct tcphdr *t;
	uint32_t sum;
	size_t len;

	memset(p, 0, sizeof(*p));
	if (from->ss_family == AF_INET) {
		const struct sockaddr_in *f = (const struct sockaddr_in *)from;
		const struct sockaddr_in *d = (const struct sockaddr_in *)to;
		struct { uint32_t src, dst; uint8_t zero, proto; uint16_t len; } ph = {
			f->sin_addr.s_addr, d->sin_addr.s_addr, 0, IPPROTO_TCP,
			htons(sizeof(struct tcphdr)) };

		p->v4.ip.version = 4;
		p->v4.ip.ihl = 5;
		p->v4.ip.tot_len = htons(sizeof(p->v4));
		p->v4.ip.ttl = 64;
		p->v4.ip.protocol = IPPROTO_TCP;
		p->v4.ip.saddr = ph.src;
		p->v4.ip.daddr = ph.dst;
		p->v4.ip.check = htons(tm_inet_csum(&p->v4.ip, sizeof(p->v4.ip), 0));
		t = &p->v4.tcp;
		t->source = f->sin_port;
		t->dest = d->sin_port;
		sum = ~tm_inet_csum(&ph, sizeof(ph), 0) & 0xffffu;
		len = sizeof(p->v4);
	} else {
		const struct sockaddr_in6 *f = (const struct sockaddr_in6 *)from;
		const struct sockaddr_in6 *d = (const struct sockaddr_in6 *)to;
		struct { struct in6_addr src, dst; uint32_t len; uint8_t zero[3], nxt; } ph;

		memset(&ph, 0, sizeof(ph));
		ph.src = f->sin6_addr;
		ph.dst = d->sin6_addr;
		ph.len = htonl(sizeof(struct tcphdr));
		ph.nxt = IPPROTO_TCP;
		p->v6.ip.ip6_flow = htonl(6u << 28);
		p->v6.ip.ip6_plen = htons(sizeof(struct tcphdr));
		p->v6.ip.ip6_nxt = IPPROTO_TCP;
		p->v6.ip.ip6_hlim = 64;
		p->v6.ip.ip6_src = ph.src;
		p->v6.ip.ip6_dst = ph.dst;
		t = &p->v6.tcp;
		t->source = f->sin6_port;
		t->dest = d->sin6_port;
		sum = ~tm_inet_csum(&ph, sizeof(ph), 0) & 0xffffu;
		len = sizeof(p->v6);
	}
	t->seq = 0;
	t->ack_seq = htonl(1);
	t->doff = 5;
	t->fin = 1;
	t->ack = 1;
	t->window = htons(65535);
	t->check = htons(tm_inet_csum(t, sizeof(*t), sum));
	return len;
}

/*
 * TIME_WAIT socket number seq of a family, up to its FIN (the FIN+ACK that
 * ends it is the caller's: finack).  In repair mode (TCP_REPAIR,
 * do_tcp_setsockopt in net/ipv4/tcp.c) connect() sends no SYN: tcp_connect
 * (net/ipv4/tcp_output.c) calls tcp_finish_connect and the socket is
 * ESTABLISHED.  Its send window is 0 until TCP_REPAIR_WINDOW sets one (with
 * none the FIN would wait for a window probe).  Repair must be off before
 * close(): __tcp_close (net/ipv4/tcp.c) disconnects a socket still in
 * repair without a FIN; TCP_REPAIR_OFF_NO_WP turns it off without the
 * window probe TCP_REPAIR_OFF sends.  close() then sends the FIN
 * (FIN_WAIT1, the socket orphaned); the route of the peer leads to tdb0,
 * whose peer is down, so it goes nowhere.  The peer's FIN+ACK acknowledges
 * it (FIN_WAIT2) and ends the peer's half: tcp_rcv_state_process and
 * tcp_fin (net/ipv4/tcp_input.c) put the socket in TIME_WAIT, whose ACK
 * goes nowhere too.  A socket, six system calls and a sixth of a
 * sendmmsg(); one segment through the loopback, two dropped at the veth.
 * Returns -1 when this kernel does not let us repair (errno set).
 */
static int
tw_repair(int family, unsigned long seq, struct sockaddr_storage *src,
    struct sockaddr_storage *dst)
{
	struct tcp_repair_window win = { .snd_wnd = 65535, .max_window = 65535,
	    .rcv_wnd = 65535 };
	socklen_t slen, dlen;
	int fd, one = 1, off = TCP_REPAIR_OFF_NO_WP;

	slen = client_addr(src, family, 1, (unsigned int)(seq % NADDR),
	    FIRST_PORT + (unsigned int)(seq / NADDR));
	dlen = tw_peer(dst, family, seq);
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one)) < 0) {
		close(fd);
		return -1;
	}
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)src, slen) < 0)
		die("bind TIME_WAIT socket %lu", seq);
	if (connect(fd, (struct sockaddr *)dst, dlen) < 0)
		die("connect TIME_WAIT socket %lu (repair mode)", seq);
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_WINDOW, &win, sizeof(win)) < 0)
		die("TCP_REPAIR_WINDOW");
	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)) < 0)
		die("TCP_REPAIR_OFF_NO_WP");
	close(fd);
	return 0;
}

/* A raw socket of a family that writes its own IP header (IPPROTO_RAW). */
static int
raw_socket(int family)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);

	if (fd < 0)
		die("raw socket");
	return fd;
}

/*
 * TIME_WAIT sockets number first..end-1 (IPv4 below n_tw4): the client
 * closes first, the server answers with its FIN, so the client ends in
 * TIME_WAIT (tcp_fin, net/ipv4/tcp_input.c) and the server socket goes
 * away.  Each worker has its own listeners, so accept() returns its own
 * connection.
 */
struct tw_work {
	pthread_t	 th;
	unsigned long	 first, end, n_tw4;
	unsigned long	 skip;		/* POPULATE_SKIP_FINACK: FIN+ACKs not sent (tests) */
	int		 l4, l6;
};
static struct tw_work tw[MAX_THREADS];

/* The FIN+ACKs of a batch of TIME_WAIT sockets (all of one family), sent. */
struct tw_batch {
	union finack	 pkt[TW_BATCH];
	struct sockaddr_storage to[TW_BATCH];
	struct iovec	 iov[TW_BATCH];
	struct mmsghdr	 msg[TW_BATCH];
	unsigned int	 n;
};

static void
tw_flush(struct tw_batch *b, int raw)
{
	unsigned int done = 0;
	int r;

	while (done < b->n) {
		r = sendmmsg(raw, b->msg + done, b->n - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("sendmmsg of %u FIN+ACKs", b->n - done);
		done += (unsigned int)r;
	}
	b->n = 0;
}

static void
tw_add(struct tw_batch *b, int raw, const struct sockaddr_storage *peer,
    const struct sockaddr_storage *self)
{
	unsigned int k = b->n++;

	b->iov[k].iov_base = &b->pkt[k];
	b->iov[k].iov_len = finack(&b->pkt[k], peer, self);
	b->to[k] = *self;
	if (self->ss_family == AF_INET)
		((struct sockaddr_in *)&b->to[k])->sin_port = 0;
	else
		((struct sockaddr_in6 *)&b->to[k])->sin6_port = 0;	/* raw: the protocol */
	memset(&b->msg[k], 0, sizeof(b->msg[k]));
	b->msg[k].msg_hdr.msg_name = &b->to[k];
	b->msg[k].msg_hdr.msg_namelen = self->ss_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	b->msg[k].msg_hdr.msg_iov = &b->iov[k];
	b->msg[k].msg_hdr.msg_iovlen = 1;
	if (b->n == TW_BATCH)
		tw_flush(b, raw);
}

static void *
tw_worker(void *arg)
{
	struct tw_work *w = arg;
	struct sockaddr_storage src, dst;
	struct tw_batch *b = NULL;
	unsigned long i;
	int fd, a, v4, raw4 = -1, raw6 = -1, last4 = -1;

	if (tw_how == TW_REPAIR) {
		b = calloc(1, sizeof(*b));
		if (b == NULL)
			die("calloc");
		raw4 = raw_socket(AF_INET);
		raw6 = raw_socket(AF_INET6);
	}
	for (i = w->first; i < w->end; i++) {
		v4 = i < w->n_tw4;
		if (tw_how == TW_REPAIR) {
			if (v4 != last4 && b->n > 0)	/* a batch is of one family */
				tw_flush(b, last4 ? raw4 : raw6);
			last4 = v4;
			if (tw_repair(v4 ? AF_INET : AF_INET6, v4 ? i : i - w->n_tw4, &src, &dst) < 0)
				die("TCP_REPAIR (the TIME_WAIT sockets need it; -S makes them "
				    "without)");
			if (w->skip > 0)
				w->skip--;	/* as if the loopback lost it */
			else
				tw_add(b, v4 ? raw4 : raw6, &dst, &src);
			continue;
		}
		if (tw_how == TW_SELF) {
			fd = self_client(v4 ? AF_INET : AF_INET6, 1, v4 ? i : i - w->n_tw4);
			close(fd);
			continue;
		}
		fd = client(v4 ? AF_INET : AF_INET6, 1, v4 ? i : i - w->n_tw4,
		    PORT_TW + (unsigned int)(w - tw), 0);
		a = accept4(v4 ? w->l4 : w->l6, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			die("accept");
		close(fd);
		close(a);
	}
	if (b != NULL) {
		if (b->n > 0)
			tw_flush(b, last4 ? raw4 : raw6);
		close(raw4);
		close(raw6);
		free(b);
	}
	return NULL;
}

/* On a mismatch: the namespace's TcpExt counters that say where sockets went. */
static void
print_drops(void)
{
	char hdr[8192], val[8192], *hs, *vs, *h, *v;
	FILE *fp = fopen("/proc/net/netstat", "r");

	if (fp == NULL)
		return;
	while (fgets(hdr, sizeof(hdr), fp) != NULL && fgets(val, sizeof(val), fp) != NULL) {
		if (strncmp(hdr, "TcpExt:", 7) != 0)
			continue;
		h = strtok_r(hdr + 7, " \n", &hs);
		v = strtok_r(val + 7, " \n", &vs);
		for (; h != NULL && v != NULL; h = strtok_r(NULL, " \n", &hs),
		    v = strtok_r(NULL, " \n", &vs))
			if (strcmp(v, "0") != 0 && (strstr(h, "Abort") || strstr(h, "Overflow") ||
			    strstr(h, "Drop") || strstr(h, "Orphan") || strstr(h, "Timeouts")))
				fprintf(stderr, "populate:   TcpExt %s %s\n", h, v);
	}
	fclose(fp);
}

struct counts {
	unsigned long	st[16];
	unsigned long	v4, v6;
	int		raw4, raw6;	/* >= 0: FIN+ACK again to a TIME_WAIT socket still in FIN_WAIT1 */
	unsigned long	resent;
};

/*
 * Counts a socket; one of the TIME_WAIT sockets (tw_repair) still in
 * FIN_WAIT1 lost its FIN+ACK (a loopback backlog that was full: softirq
 * work deferred to ksoftirqd on a busy host, netdev_max_backlog): it gets
 * another, which its FIN retransmissions (to nowhere) leave valid.
 */
static int
count_one(const struct td_sock *sk, void *arg, struct td_err *err)
{
	struct counts *c = arg;
	struct sockaddr_storage self, peer;
	union finack p;
	size_t len;

	(void)err;
	c->st[sk->state & 15]++;
	if (sk->family == AF_INET)
		c->v4++;
	else
		c->v6++;
	if (sk->state != TD_ST_FIN_WAIT1 || c->raw4 < 0)
		return 0;
	memset(&self, 0, sizeof(self));
	memset(&peer, 0, sizeof(peer));
	if (sk->family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&self, *b = (struct sockaddr_in *)&peer;

		a->sin_family = b->sin_family = AF_INET;
		memcpy(&a->sin_addr, &sk->src.s6_addr[12], 4);
		memcpy(&b->sin_addr, &sk->dst.s6_addr[12], 4);
		if ((ntohl(a->sin_addr.s_addr) & 0xffffff00u) != 0xc6120100u)
			return 0;			/* not 198.18.1.0/24 */
		a->sin_port = htons(sk->sport);
		b->sin_port = htons(sk->dport);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&self, *b = (struct sockaddr_in6 *)&peer;

		a->sin6_family = b->sin6_family = AF_INET6;
		a->sin6_addr = sk->src;
		b->sin6_addr = sk->dst;
		if (sk->dst.s6_addr[5] != 2)
			return 0;			/* not to 2001:db8:2::/64 */
		a->sin6_port = htons(sk->sport);
		b->sin6_port = htons(sk->dport);
	}
	len = finack(&p, &peer, &self);
	if (sk->family == AF_INET)
		((struct sockaddr_in *)&self)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&self)->sin6_port = 0;
	if (sendto(sk->family == AF_INET ? c->raw4 : c->raw6, &p, len, 0, (struct sockaddr *)&self,
	    sk->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6)) > 0)
		c->resent++;
	return 0;
}

static volatile sig_atomic_t stop;

static void
on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int
main(int argc, char **argv)
{
	unsigned long n, n_tw, n_tw4, n_est_pairs, n_cw_pairs, n_syn_recv, n_syn_sent, rest;
	unsigned long procs = 5000, fds = 200000, i, seq4 = 0, seq6 = 0, nthreads;
	unsigned long want[16] = { 0 };
	struct rlimit rl;
	struct counts got;
	struct td_err err;
	int64_t t0, t_tw, t_end;
	unsigned long total_held, kept, resent = 0;
	int raw4 = -1, raw6 = -1;
	int auto_procs = 0, tries, keep_going = 0;
	struct sigaction sa;
	int chan[2], ack[2], lmain4, lmain6, lfull, fd, a, opt, bad = 0;
	unsigned int nsyn_l;
	pid_t parent = getpid(), pid;
	char buf[64];

	nthreads = 2 * (unsigned long)sysconf(_SC_NPROCESSORS_ONLN);
	while ((opt = getopt(argc, argv, "P:D:T:CSk")) != -1) {
		if (opt == 'k')
			keep_going = 1;
		else if (opt == 'C')
			tw_how = TW_PAIR;
		else if (opt == 'S')
			tw_how = TW_SELF;
		else if (opt == 'T')
			nthreads = strtoul(optarg, NULL, 10);
		else if (opt == 'P')
			procs = strtoul(optarg, NULL, 10), auto_procs = procs == 0;
		else if (opt == 'D')
			fds = strtoul(optarg, NULL, 10);
		else
			return 64;
	}
	if (optind != argc - 1 || (n = strtoul(argv[optind], NULL, 10)) < 1000 ||
	    n > 4000000) {
		fprintf(stderr, "usage: populate [-CSk] [-P PROCS] [-D FDS] [-T THREADS] N   "
		    "(N from 1000 to 4000000)\n");
		return 64;
	}
	if (nthreads < 1)
		nthreads = 1;
	if (nthreads > MAX_THREADS)
		nthreads = MAX_THREADS;
	t0 = td_mono_ns();

	/* The mix: every count derived from N, the remainder to TIME_WAIT. */
	n_est_pairs = n * 9 / 100 / 2;
	rest = n - n * 89 / 100 - 2 * n_est_pairs;
	n_syn_recv = rest / 5;
	n_syn_sent = rest / 5;
	n_cw_pairs = (rest - n_syn_recv - n_syn_sent) / 4;
	/* Listeners: main v4 and v6, full, syn; the full queue: 2 sockets a client. */
	nsyn_l = (unsigned int)((n_syn_recv + SYN_PER_LISTENER - 1) / SYN_PER_LISTENER);
	if (nsyn_l < 1)
		nsyn_l = 1;
	if (nsyn_l > MAX_SYN_LISTENERS) {
		nsyn_l = MAX_SYN_LISTENERS;
		n_syn_recv = (unsigned long)nsyn_l * SYN_PER_LISTENER;
	}
	n_tw = n - 2 * n_est_pairs - n_syn_recv - n_syn_sent - 2 * n_cw_pairs - 3 - nsyn_l -
	    2 * (FULL_BACKLOG + 1);
	n_tw4 = n_tw * 6 / 10;
	want[TD_ST_TIME_WAIT] = n_tw;
	want[TD_ST_ESTABLISHED] = 2 * n_est_pairs + 2 * (FULL_BACKLOG + 1);
	want[TD_ST_CLOSE_WAIT] = n_cw_pairs;
	want[TD_ST_FIN_WAIT2] = n_cw_pairs;
	want[TD_ST_SYN_RECV] = n_syn_recv;
	want[TD_ST_SYN_SENT] = n_syn_sent;
	want[TD_ST_LISTEN] = 3 + nsyn_l;

	/* As many descriptors as this process may have (for this process only). */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare(CLONE_NEWNET) (needs root)");
	/*
	 * 198.18.0.0/17 is local; the SYN-ACKs to 198.19.0.0/16 leave
	 * through a veth to a neighbour that does not exist (a request socket
	 * needs a route for its SYN-ACK: tcp_conn_request drops it without).
	 * The veth's peer stays down: without carrier the veth keeps the noop
	 * qdisc (dev_activate waits for carrier, net/sched/sch_generic.c),
	 * whose enqueue drops with NET_XMIT_CN, which ip_local_out counts
	 * as sent (net_xmit_eval).  With the peer up, each SYN-ACK went to
	 * the peer's backlog (netdev_max_backlog, 1000, host-wide), and a
	 * retransmission that found it full failed: reqsk_timer_handler
	 * (net/ipv4/inet_connection_sock.c) then drops the request socket.
	 * At 1M sockets (4,000 SYN_RECV, their timers in step) 1,001 were
	 * left 3 s after they were made.  The FINs and last ACKs of the
	 * TIME_WAIT sockets (tw_repair) leave the same way, to 198.19.129.0/24
	 * and to 2001:db8:2::/64 (via fe80::2, a permanent neighbour: no
	 * neighbour discovery on a link without carrier).
	 */
	run("ip link set lo up && ip addr add 198.18.0.1/17 dev lo && "
	    "ip -6 route add local 2001:db8:1::/64 dev lo && "
	    "ip link add tdb0 type veth peer name tdb1 && "
	    "ip addr add 198.18.128.1/24 dev tdb0 && "
	    "ip link set tdb0 up && "
	    "ip neigh add 198.18.128.2 lladdr 02:00:00:00:00:02 dev tdb0 nud permanent && "
	    "ip route add 198.19.0.0/16 via 198.18.128.2 dev tdb0 && "
	    "ip -6 neigh add fe80::2 lladdr 02:00:00:00:00:02 dev tdb0 nud permanent && "
	    "ip -6 route add 2001:db8:2::/64 via fe80::2 dev tdb0 onlink");
	snprintf(buf, sizeof(buf), "%lu", 2 * n + 1000);
	sysctl_set("net/ipv4/tcp_max_tw_buckets", buf);
	sysctl_set("net/core/somaxconn", "65535");
	sysctl_set("net/ipv4/tcp_max_syn_backlog", "65535");
	sysctl_set("net/ipv4/tcp_synack_retries", "10");
	sysctl_set("net/ipv4/tcp_syn_retries", "10");
	sysctl_set("net/ipv4/tcp_syncookies", "0");
	sysctl_set("net/ipv4/conf/all/rp_filter", "0");
	sysctl_set("net/ipv4/conf/lo/rp_filter", "0");

	/* The children first, while this process is small. */
	total_held = 2 * (n_est_pairs + n_cw_pairs) + n_syn_sent + FULL_BACKLOG + 1;
	if (auto_procs)		/* as few as hold every socket, a full batch each */
		procs = (total_held + FDS_PER_MSG - 1) / FDS_PER_MSG;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, chan) < 0 ||
	    pipe2(ack, O_CLOEXEC) < 0)
		die("socketpair");
	for (i = 0; i < procs; i++) {
		pid = fork();
		if (pid < 0)
			die("fork child %lu", i);
		if (pid == 0) {
			close(chan[0]);
			close(ack[0]);
			child_main(chan[1], ack[1], parent);
		}
	}
	close(chan[1]);
	close(ack[1]);

	bchan = chan[0];
	bprocs = procs;
	bper = procs > 0 ? (total_held + procs - 1) / procs : 0;
	if (bper > FDS_PER_MSG)
		bper = FDS_PER_MSG;
	bextra = procs > 0 && fds > total_held ? (fds - total_held) / procs : 0;
	kept = total_held - (bper * procs < total_held ? bper * procs : total_held);
	if (kept + 100 > (unsigned long)rl.rlim_cur)
		die("%lu sockets to hold here, over the file limit %lu: use more children (-P)",
		    kept, (unsigned long)rl.rlim_cur);
	lmain4 = listener(AF_INET, PORT_MAIN, 65535);
	lmain6 = listener(AF_INET6, PORT_MAIN, 65535);
	lfull = listener(AF_INET, PORT_FULL, FULL_BACKLOG);
	for (i = 0; i < nsyn_l; i++)
		(void)listener(AF_INET, PORT_SYN + (unsigned int)i, 65535);	/* held to the end */

	/* ESTABLISHED and CLOSE_WAIT/FIN_WAIT2 pairs, 60% over IPv4. */
	for (i = 0; i < n_est_pairs + n_cw_pairs; i++) {
		int v4 = i % 10 < 6;

		fd = client(v4 ? AF_INET : AF_INET6, 2, v4 ? seq4++ : seq6++, PORT_MAIN, 0);
		a = accept4(v4 ? lmain4 : lmain6, NULL, NULL, SOCK_CLOEXEC);
		if (a < 0)
			die("accept");
		if (i >= n_est_pairs && shutdown(fd, SHUT_WR) < 0)	/* FIN_WAIT2 / CLOSE_WAIT */
			die("shutdown");
		hold(fd);
		hold(a);
	}
	/* A full accept queue: FULL_BACKLOG + 1 connections (sk_acceptq_is_full is >). */
	for (i = 0; i < FULL_BACKLOG + 1; i++)
		hold(client(AF_INET, 3, i, PORT_FULL, 0));
	/* Their SYNs dropped (LISTENOVERFLOWS), these stay in SYN_SENT. */
	for (i = 0; i < n_syn_sent; i++)
		hold(client(AF_INET, 3, FULL_BACKLOG + 1 + i, PORT_FULL, 1));
	raw_syns(n_syn_recv, nsyn_l);
	if (getenv("POPULATE_DEBUG") != NULL) {
		struct counts c;
		struct td_err e = { 0 };
		struct sockdiag_req r = { .family = AF_INET, .states = TD_STATE_BIT(TD_ST_SYN_RECV) };

		memset(&c, 0, sizeof(c));
		(void)sockdiag_dump(&r, count_one, &c, &e);
		fprintf(stderr, "populate: debug: SYN_RECV right after the raw SYNs: %lu of %lu\n",
		    c.st[TD_ST_SYN_RECV], n_syn_recv);
	}

	flush_batch();
	for (i = 0; i < procs; i++)
		if (read(ack[0], buf, 1) != 1)
			die("child %lu did not take its sockets", i);
	close(chan[0]);
	close(ack[0]);

	/* TIME_WAIT last, on every CPU we may use: see tw_worker. */
	t_tw = td_mono_ns();
	for (i = 0; i < nthreads; i++) {
		tw[i].first = n_tw * i / nthreads;
		tw[i].end = n_tw * (i + 1) / nthreads;
		tw[i].n_tw4 = n_tw4;
		tw[i].skip = i == 0 && getenv("POPULATE_SKIP_FINACK") != NULL ?
		    strtoul(getenv("POPULATE_SKIP_FINACK"), NULL, 10) : 0;
		tw[i].l4 = listener(AF_INET, PORT_TW + (unsigned int)i, 65535);
		tw[i].l6 = listener(AF_INET6, PORT_TW + (unsigned int)i, 65535);
		if (pthread_create(&tw[i].th, NULL, tw_worker, &tw[i]) != 0)
			die("pthread_create");
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(tw[i].th, NULL);
		close(tw[i].l4);
		close(tw[i].l6);
	}
	t_end = td_mono_ns();
	if (tw_how == TW_REPAIR) {
		raw4 = raw_socket(AF_INET);
		raw6 = raw_socket(AF_INET6);
	}

	/*
	 * Verify with a dump of both families.  The last closes may still be
	 * on their way through the loopback (softirq work that ksoftirqd may
	 * run later on a busy host): a few more tries, 50 ms apart, for at
	 * most 2 s: each try is a dump of everything (about a second at 1M
	 * sockets), and every second spent here is one less of the TIME_WAIT
	 * lifetime the benchmark has to run in.  A TIME_WAIT socket still in
	 * FIN_WAIT1 gets its FIN+ACK again (count_one).
	 */
	for (tries = 0; tries < 60; tries++) {
		if (tries > 0 && td_mono_ns() - t_end > 2000000000LL)
			break;
		if (tries > 0)
			nanosleep(&(struct timespec){ 0, 50000000 }, NULL);
		memset(&got, 0, sizeof(got));
		memset(&err, 0, sizeof(err));
		got.raw4 = tw_how == TW_REPAIR ? raw4 : -1;
		got.raw6 = raw6;
		for (i = 0; i < 2; i++) {
			struct sockdiag_req req = { .family = i == 0 ? AF_INET : AF_INET6 };

			if (sockdiag_dump(&req, count_one, &got, &err) < 0) {
				fprintf(stderr, "populate: %s\n", err.msg);
				return 1;
			}
		}
		if (memcmp(got.st, want, sizeof(want)) == 0)
			break;
		resent += got.resent;
		if (getenv("POPULATE_DEBUG") != NULL)
			fprintf(stderr, "populate: debug: try %d at +%.1f s: TIME_WAIT %lu SYN_RECV %lu, "
			    "%lu FIN+ACKs again\n", tries, (double)(td_mono_ns() - t_end) / 1e9,
			    got.st[TD_ST_TIME_WAIT], got.st[TD_ST_SYN_RECV], got.resent);
	}
	fprintf(stderr, "populate: %lu sockets (%lu IPv4, %lu IPv6) in %.1f s "
	    "(TIME_WAIT %.1f s, %.1f us each, %lu threads%s), %lu processes, "
	    "%lu descriptors handed out\n",
	    got.v4 + got.v6, got.v4, got.v6, (double)(t_end - t0) / 1e9,
	    (double)(t_end - t_tw) / 1e9,
	    n_tw > 0 ? (double)(t_end - t_tw) / 1e3 / (double)n_tw : 0.0, nthreads,
	    tw_how == TW_REPAIR ? ", repair mode" : tw_how == TW_SELF ? ", self-connected" :
	    ", client and server", procs, nheld + bextra * procs);
	if (resent > 0)
		fprintf(stderr, "populate: %lu FIN+ACKs sent again (lost on the loopback)\n", resent);
	if (raw4 >= 0) {
		close(raw4);
		close(raw6);
	}
	/*
	 * Exact, or within 0.5% + 1 (a rare loopback close can end otherwise
	 * on a loaded host), SYN_RECV within 10% (raw SYNs the loopback
	 * backlog dropped); the total reported is what is there, and the
	 * benchmark checks every round that it stays so.  -k: go on anyway.
	 */
	for (i = 0; i < 16; i++) {
		unsigned long diff = got.st[i] > want[i] ? got.st[i] - want[i] : want[i] - got.st[i];

		if (want[i] == 0 && got.st[i] == 0)
			continue;
		fprintf(stderr, "populate:   %-12s %8lu", td_state_name((unsigned int)i), got.st[i]);
		if (diff != 0)
			fprintf(stderr, "  (made %lu)", want[i]);
		if (diff > (i == TD_ST_SYN_RECV ? want[i] / 10 : want[i] / 200) + 1) {
			fprintf(stderr, "  MISMATCH");
			bad = 1;
		}
		fputc('\n', stderr);
	}
	if (bad) {
		print_drops();
		if (!keep_going)
			return 1;
	}
	printf("ready %lu %lld %.0f\n", got.v4 + got.v6, (long long)t_tw,
	    (double)(t_end - t0) / 1e6);
	fflush(stdout);

	/* No SA_RESTART: the signal must end the read() below. */
	sa.sa_handler = on_term;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* Hold until stdin ends (the runner closes it) or SIGTERM. */
	while (!stop && read(0, buf, sizeof(buf)) > 0)
		;
	(void)lmain4;
	(void)lmain6;
	(void)lfull;
	return 0;
}
