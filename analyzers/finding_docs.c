/* SPDX-License-Identifier: MIT */
/* The finding ids and what they mean; see finding_docs.h and KERNEL-FACTS. */
#include "analyzers/finding_docs.h"

#include <string.h>

const struct td_finding_doc td_finding_docs[] = {
	{ "accept_queue.other_drops",
	  "listeners dropped SYNs for reasons other than a full accept or SYN queue: the SYN-ACK could not be routed, memory, or policy (ListenDrops is a superset of ListenOverflows)",
	  "ListenDrops minus ListenOverflows minus TCPReqQFullDrop, per run with --state-file",
	  "check the route back to the clients, socket memory and LSM/BPF policy",
	  "a larger backlog or somaxconn: the queues were not full" },
	{ "accept_queue.overflow",
	  "a listener's accept queue is full (more than its backlog) or filling: the application does not accept() as fast as connections complete, so new SYNs and third ACKs are dropped",
	  "the listener's Recv-Q (queue) and Send-Q (backlog), its own drop count (skmem), ListenOverflows",
	  "accept faster (more workers), a larger listen() backlog, and net.core.somaxconn when it caps that backlog",
	  "tcp_max_syn_backlog (it does not size the accept queue); tcp_abort_on_overflow only turns drops into resets" },
	{ "close_wait.leak",
	  "the peer closed and the application never called close(): the kernel never times CLOSE_WAIT out, so each one leaks a descriptor until the process exits",
	  "CLOSE_WAIT sockets per process and listening port (accepted connections) or per process (outgoing ones), unread bytes, and with --state-file their age and growth",
	  "fix the application: close() after read() returns 0 or on errors",
	  "any sysctl (tcp_fin_timeout, keepalive, TIME_WAIT knobs); restarting only hides it" },
	{ "dead_peers.no_keepalive",
	  "inbound connections idle for a long time without keepalive: a peer that vanished is never noticed",
	  "ESTABLISHED sockets on listening ports without a timer and without data for dead_peers.idle seconds",
	  "SO_KEEPALIVE (detection after keepalive_time + probes x intvl) or an application ping",
	  "tcp_keepalive_time alone: sockets without SO_KEEPALIVE never probe" },
	{ "dead_peers.retransmitting",
	  "established connections retransmit with exponential backoff: the peer or the path is gone, and the kernel gives up only after tcp_retries2 (about 924.6 s by default)",
	  "ESTABLISHED sockets with the retransmit timer on and dead_peers.retransmits retries or more, unacknowledged bytes, TCPAbortOnTimeout",
	  "TCP_USER_TIMEOUT on the sockets; check the path to the peer",
	  "lowering tcp_retries2 host-wide below 8 (RFC 1122 wants at least 100 s)" },
	{ "dead_peers.timeouts",
	  "connections were killed by retransmission or keepalive timeouts since the last run",
	  "TCPAbortOnTimeout per run",
	  "find which peers went away (correlate with network events)", "" },
	{ "orphans.fin_wait2",
	  "this host closed connections whose peers never sent their FIN: orphaned FIN_WAIT2 sockets live up to tcp_fin_timeout as timewait mini-sockets",
	  "FIN_WAIT2 timewait sockets, their peers, tcp_fin_timeout",
	  "fix or time out the peer application; a lower tcp_fin_timeout frees these sooner",
	  "expecting tcp_fin_timeout to shorten TIME_WAIT: it does not (TIME_WAIT is fixed at 60 s)" },
	{ "orphans.limit",
	  "orphaned sockets approach tcp_max_orphans, or were reset for too many orphans or memory (TCPAbortOnMemory)",
	  "sockstat orphan (host-wide) against tcp_max_orphans, TCPAbortOnMemory",
	  "find what creates the orphans; raise tcp_max_orphans only with memory to spare (about 64 KiB each)", "" },
	{ "orphans.stuck",
	  "orphaned sockets seen in an earlier run outlived the longest their state may last under this host's sysctls (the bundled TCP model)",
	  "socket cookies across --state-file runs, tm_state_max_lifetime() for the state",
	  "look at the peers (zero window), TCP_LINGER2 and tcp_orphan_retries, and the kernel version", "" },
	{ "resets.storm",
	  "many RSTs per second: connections to closed ports (service down, scans), refused outgoing connections, or reset established ones",
	  "TcpOutRsts, TcpAttemptFails and TcpEstabResets per second between --state-file runs",
	  "compare with the listeners: a service that should listen and does not, clients pointed at the wrong port",
	  "any sysctl" },
	{ "syn_flood.cookies",
	  "a SYN queue overflowed and SYNs were answered with cookies (tcp_syncookies=1 at work)",
	  "TCPReqQFullDoCookies, SyncookiesSent/Recv/Failed",
	  "if SyncookiesRecv grows with it, real clients: raise the listener's listen() backlog; if not, a flood that cookies handled",
	  "tcp_max_syn_backlog (the listen() backlog caps the SYN queue)" },
	{ "syn_flood.cookies_always",
	  "tcp_syncookies=2 sends cookies for every SYN (a test mode): no request sockets exist, so floods are invisible in the socket table",
	  "tcp_syncookies, SyncookiesSent",
	  "tcp_syncookies=1", "" },
	{ "syn_flood.dropped",
	  "SYNs were dropped because a SYN queue was full and cookies were off",
	  "TCPReqQFullDrop, ListenDrops, tcp_syncookies",
	  "tcp_syncookies=1", "tcp_max_syn_backlog alone" },
	{ "syn_flood.listener",
	  "request sockets (SYN_RECV) fill a listener's SYN queue, whose limit is backlog + 1; many unrelated sources that never answer the SYN-ACK mean a spoofed flood",
	  "SYN_RECV request sockets per listener, SYN-ACK retransmissions, distinct sources and /24 (/48) prefixes, the cookie counters",
	  "keep tcp_syncookies=1 and filter upstream for a flood; raise the listen() backlog for real clients",
	  "tcp_max_syn_backlog (only matters with cookies off); tcp_synack_retries against a flood (cookie SYN-ACKs are never retransmitted)" },
	{ "time_wait.bucket_overflow",
	  "connections skipped TIME_WAIT because tcp_max_tw_buckets was reached: TIME_WAIT's protection is lost",
	  "TCPTimeWaitOverflow, the TIME_WAIT count, tcp_max_tw_buckets against tcp_ehash_entries / 2",
	  "restore the default limit (or raise it) and reuse connections",
	  "lowering tcp_max_tw_buckets \"to reduce TIME_WAIT\"" },
	{ "time_wait.port_exhaustion",
	  "sockets to one (destination, port) from one source address use up the usable ephemeral ports; TIME_WAIT holds each for 60 s, so connect() fails with EADDRNOTAVAIL",
	  "TIME_WAIT and other client sockets grouped by (source, destination, destination port) against ip_local_port_range minus reserved ports; the TW rate with --state-file",
	  "connection reuse (keep-alive, pools), IP_BIND_ADDRESS_NO_PORT, more source addresses, a wider port range, tcp_tw_reuse=1 on clients",
	  "tcp_tw_recycle (removed in 4.12, broke NAT); tcp_fin_timeout (does not touch TIME_WAIT); lowering tcp_max_tw_buckets" },
	{ "time_wait.tw_recycle",
	  "tcp_tw_recycle is on (kernels before 4.12): SYNs from clients behind NAT are silently dropped",
	  "tcp_tw_recycle", "tcp_tw_recycle=0 and remove it from sysctl.conf", "" },
};
const size_t td_finding_doc_count = sizeof(td_finding_docs) / sizeof(td_finding_docs[0]);

const struct td_finding_doc *
finding_doc_find(const char *id)
{
	size_t i;

	for (i = 0; i < td_finding_doc_count; i++)
		if (strcmp(td_finding_docs[i].id, id) == 0)
			return &td_finding_docs[i];
	return NULL;
}
