/* SPDX-License-Identifier: MIT */
/*
 * The data that flows through tcpdoctor: a snapshot header (when, where,
 * counters, sysctls) and a stream of fixed-size socket records delivered one
 * at a time by callback.  Collectors produce it (from the kernel or from a
 * saved JSON file), analyzers and renderers consume it.  Nothing here holds
 * every socket in memory: a consumer that needs to keep a socket copies the
 * struct td_sock (it has no pointers).
 *
 * States (TD_ST_*, td_state_name, td_state_parse) are core/tcpstate.h's.
 */
#ifndef TD_COLLECTORS_SNAPSHOT_H
#define TD_COLLECTORS_SNAPSHOT_H

#include <netinet/in.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/tcpstate.h"
#include "collectors/counters.h"
#include "collectors/sysctl.h"

#define TD_SCHEMA	"tcpdoctor/1"

/* ---- Socket records ---- */

/* What kind of kernel object a record is (see KERNEL-FACTS Part D). */
enum td_sk_kind {
	TD_SK_FULL = 0,		/* struct tcp_sock */
	TD_SK_REQ,		/* request socket, dumped as SYN_RECV, inode 0 */
	TD_SK_TW,		/* timewait mini-socket (TIME_WAIT, or FIN_WAIT2 substate) */
};

/* sock_diag idiag_timer values (net/ipv4/inet_diag.c, ss.c's tmr_name[]). */
enum td_timer {
	TD_TIMER_OFF = 0,
	TD_TIMER_ON = 1,	/* retransmit (also RACK/TLP), or SYN-ACK for a request */
	TD_TIMER_KEEPALIVE = 2,
	TD_TIMER_TIMEWAIT = 3,
	TD_TIMER_PERSIST = 4,	/* zero-window probe */
	TD_TIMER_UNKNOWN = 5,
};
const char	*td_timer_name(unsigned int t);

/*
 * The tcp_info fields we use, copied from the kernel's struct tcp_info and
 * zero-extended when the kernel's struct is shorter (ss does the same).
 */
struct td_tcpi {
	uint8_t		state, ca_state, retransmits, probes, backoff, options;
	uint8_t		snd_wscale, rcv_wscale, delivery_rate_app_limited;
	uint32_t	rto, ato, snd_mss, rcv_mss;		/* rto/ato in us */
	uint32_t	unacked, sacked, lost, retrans, fackets;
	uint32_t	last_data_sent, last_ack_sent, last_data_recv, last_ack_recv; /* ms */
	uint32_t	pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd; /* rtt in us */
	uint32_t	advmss, reordering, rcv_rtt, rcv_space, total_retrans;
	uint64_t	pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
	uint32_t	segs_out, segs_in, notsent_bytes, min_rtt;
	uint32_t	data_segs_in, data_segs_out;
	uint64_t	delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
	uint32_t	delivered, delivered_ce;
	uint64_t	bytes_sent, bytes_retrans;
	uint32_t	dsack_dups, reord_seen, rcv_ooopack, snd_wnd, rcv_wnd;
	uint32_t	rehash, total_rto, total_rto_recoveries, total_rto_time;
	uint32_t	len;		/* bytes the kernel supplied (its struct size) */
};

/* INET_DIAG_SKMEMINFO, in the kernel's SK_MEMINFO_* order. */
struct td_skmem {
	uint32_t	rmem_alloc, rcvbuf, wmem_alloc, sndbuf;
	uint32_t	fwd_alloc, wmem_queued, optmem, backlog, drops;
};

/* A process holding a socket: one of its file descriptors (procs.c). */
struct td_owner {
	int32_t		pid;
	int32_t		fd;
	char		comm[16];	/* /proc/PID/comm, NUL-terminated */
};

#define TD_SOCK_OWNERS	8	/* owners kept per socket; more are counted */

/* Why a socket has no owner, when owners were asked for. */
enum td_owner_status {
	TD_OWNER_NA = 0,	/* not looked up: not asked, or inode 0 (no owner possible) */
	TD_OWNER_FOUND,		/* owners[] holds them */
	TD_OWNER_NONE,		/* no readable process holds it (exited, or born after the scan) */
	TD_OWNER_UNREADABLE,	/* some processes' fds could not be read (not root): unknown */
	TD_OWNER_SKIPPED,	/* not looked up: the owner table was full (procs.h caps) */
};

/* A TCP socket as one record.  Fixed size, no pointers: copy it to keep it. */
struct td_sock {
	uint8_t		family;		/* AF_INET or AF_INET6 */
	uint8_t		state;		/* enum td_state, as sock_diag reports it */
	uint8_t		kind;		/* enum td_sk_kind */
	uint8_t		timer;		/* enum td_timer */
	uint8_t		shutdown;	/* INET_DIAG_SHUTDOWN: bit 0 RCV, bit 1 SEND */
	uint8_t		tos, tclass;
	bool		has_tcpi, has_skmem, has_owner;
	bool		v6only;		/* INET_DIAG_SKV6ONLY (AF_INET6 full sockets) */
	uint16_t	sport, dport;	/* host byte order */
	struct in6_addr	src, dst;	/* IPv4 stored v4-mapped (::ffff:a.b.c.d) */
	uint32_t	ifindex;	/* bound device / scope, 0 if none */
	uint32_t	rqueue, wqueue;	/* LISTEN: accept-queue length and backlog */
	uint32_t	timer_ms;	/* time left on the timer */
	uint32_t	retrans;	/* idiag_retrans: timer retransmits / probes */
	uint32_t	uid;
	uint32_t	mark;
	uint64_t	inode;		/* 0 for request, timewait and orphaned sockets */
	uint64_t	cookie;		/* sock_diag cookie, stable for the socket's life */
	char		cong[16];	/* congestion control algorithm, "" if unknown */
	struct td_tcpi	tcpi;
	struct td_skmem	skmem;
	int32_t		pid;		/* owner (procs.c), valid if has_owner: */
	char		comm[16];	/* owners[0], the lowest pid */
	uint8_t		owner_status;	/* enum td_owner_status */
	uint8_t		nowners;	/* owners[] in use (has_owner: at least 1) */
	uint32_t	owners_more;	/* holders beyond owners[], counted only */
	struct td_owner	owners[TD_SOCK_OWNERS];	/* lowest pid first, then fd */
	uint64_t	cgroup_id;	/* INET_DIAG_CGROUP_ID (full sockets), 0 if none */
	char		cgroup[256];	/* its path under the cgroup2 mount, "" if not known */
	char		container[128];	/* who runs there: "pod NS/NAME", "docker:ID12",
					 * "nginx.service" (collectors/cgroup.h), "" if nothing */
};

/* Called once per socket.  Return 0 to go on, or -1 with *err set to stop. */
typedef int (*td_sock_fn)(const struct td_sock *sk, void *arg, struct td_err *err);

/* Format an address (v4-mapped shown as a.b.c.d) into buf; returns buf. */
char	*td_addr_str(const struct td_sock *sk, const struct in6_addr *a,
	    char *buf, size_t len);
/*
 * An IPv6 address as inet_ntop(AF_INET6) writes it (v4-mapped as
 * ::ffff:a.b.c.d) into buf of INET6_ADDRSTRLEN bytes, without its sprintf;
 * returns buf.
 */
char	*td_addr6_str(const struct in6_addr *a, char *buf);
/* True when the stored address is an IPv4 address (v4-mapped). */
bool	 td_addr_is_v4(const struct in6_addr *a);

/* ---- The snapshot header ---- */

struct td_meta {
	int64_t		time_ns;	/* CLOCK_REALTIME when the snapshot was taken */
	int64_t		mono_ns;	/* CLOCK_BOOTTIME then (ages across runs) */
	char		host[256];
	char		netns[256];	/* name given by -N, "pid:N", or "" for the caller's */
	uint64_t	netns_ino;	/* inode of the network namespace, 0 if unknown */
	uint64_t	netns_cookie;	/* its SO_NETNS_COOKIE, 0 if unknown (not saved in snapshots) */
	char		kernel[65];	/* uname release */
	char		boot_id[40];	/* /proc/sys/kernel/random/boot_id */
	char		source[16];	/* "live" or "file" */
	char		version[32];	/* tcpdoctor version that took it */
};

struct td_snapshot {			/* the header; sockets stream past it */
	struct td_meta		meta;
	struct td_counters	ctr;
	struct td_sysctls	sys;
};

#endif /* TD_COLLECTORS_SNAPSHOT_H */
