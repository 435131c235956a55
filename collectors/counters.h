/* SPDX-License-Identifier: MIT */
/*
 * Kernel TCP counters: TcpExt (/proc/net/netstat), Tcp (/proc/net/snmp),
 * the TCP line of /proc/net/sockstat and the per-CPU totals of
 * /proc/net/softnet_stat.  One X-macro list yields the struct indices, the
 * procfs parser table, the JSON keys and the Prometheus names.  A counter
 * this kernel does not have is "absent" (present[] false), never zero.
 *
 * X(id, json_key, section, procfs_key, kind, help)
 */
#ifndef TD_COLLECTORS_COUNTERS_H
#define TD_COLLECTORS_COUNTERS_H

#include <stdbool.h>
#include <stdint.h>

enum td_kind {
	TD_COUNTER = 0,		/* only ever goes up; Prometheus ..._total */
	TD_GAUGE,		/* a current value */
};

#define TD_COUNTERS(X)								\
	X(ACTIVE_OPENS,		"active_opens",		"Tcp",	"ActiveOpens",	TD_COUNTER, "connect() calls that sent a SYN") \
	X(PASSIVE_OPENS,	"passive_opens",	"Tcp",	"PassiveOpens",	TD_COUNTER, "connections accepted from LISTEN") \
	X(ATTEMPT_FAILS,	"attempt_fails",	"Tcp",	"AttemptFails",	TD_COUNTER, "connection attempts that failed (SYN_SENT/SYN_RECV to CLOSE or LISTEN)") \
	X(ESTAB_RESETS,		"estab_resets",		"Tcp",	"EstabResets",	TD_COUNTER, "resets in ESTABLISHED or CLOSE_WAIT") \
	X(CURR_ESTAB,		"curr_estab",		"Tcp",	"CurrEstab",	TD_GAUGE,   "connections in ESTABLISHED or CLOSE_WAIT now") \
	X(IN_SEGS,		"in_segs",		"Tcp",	"InSegs",	TD_COUNTER, "segments received") \
	X(OUT_SEGS,		"out_segs",		"Tcp",	"OutSegs",	TD_COUNTER, "segments sent") \
	X(RETRANS_SEGS,		"retrans_segs",		"Tcp",	"RetransSegs",	TD_COUNTER, "segments retransmitted") \
	X(IN_ERRS,		"in_errs",		"Tcp",	"InErrs",	TD_COUNTER, "segments received in error") \
	X(OUT_RSTS,		"out_rsts",		"Tcp",	"OutRsts",	TD_COUNTER, "segments sent with RST") \
	X(IN_CSUM_ERRORS,	"in_csum_errors",	"Tcp",	"InCsumErrors",	TD_COUNTER, "segments with a bad checksum") \
	X(SYNCOOKIES_SENT,	"syncookies_sent",	"TcpExt", "SyncookiesSent",	TD_COUNTER, "SYN cookies sent") \
	X(SYNCOOKIES_RECV,	"syncookies_recv",	"TcpExt", "SyncookiesRecv",	TD_COUNTER, "valid SYN cookies received") \
	X(SYNCOOKIES_FAILED,	"syncookies_failed",	"TcpExt", "SyncookiesFailed",	TD_COUNTER, "invalid SYN cookies received") \
	X(EMBRYONIC_RSTS,	"embryonic_rsts",	"TcpExt", "EmbryonicRsts",	TD_COUNTER, "resets received for request sockets") \
	X(TW,			"tw",			"TcpExt", "TW",			TD_COUNTER, "sockets entering TIME_WAIT (timeout over 4 s)") \
	X(TW_RECYCLED,		"tw_recycled",		"TcpExt", "TWRecycled",		TD_COUNTER, "TIME_WAIT sockets reused by connect() (tcp_tw_reuse)") \
	X(TW_KILLED,		"tw_killed",		"TcpExt", "TWKilled",		TD_COUNTER, "sockets entering a short (under 4 s) timewait") \
	X(PAWS_ESTAB,		"paws_estab",		"TcpExt", "PAWSEstab",		TD_COUNTER, "segments rejected by PAWS on established sockets") \
	X(LISTEN_OVERFLOWS,	"listen_overflows",	"TcpExt", "ListenOverflows",	TD_COUNTER, "SYNs or third ACKs dropped because an accept queue was full") \
	X(LISTEN_DROPS,		"listen_drops",		"TcpExt", "ListenDrops",	TD_COUNTER, "SYNs dropped by listeners for any reason") \
	X(REQQ_FULL_DO_COOKIES,	"reqq_full_do_cookies",	"TcpExt", "TCPReqQFullDoCookies", TD_COUNTER, "SYN queue full: answered with a cookie") \
	X(REQQ_FULL_DROP,	"reqq_full_drop",	"TcpExt", "TCPReqQFullDrop",	TD_COUNTER, "SYN queue full: SYN dropped (cookies off)") \
	X(TW_OVERFLOW,		"tw_overflow",		"TcpExt", "TCPTimeWaitOverflow", TD_COUNTER, "TIME_WAIT skipped: tcp_max_tw_buckets reached") \
	X(ABORT_ON_DATA,	"abort_on_data",	"TcpExt", "TCPAbortOnData",	TD_COUNTER, "resets sent on data after close") \
	X(ABORT_ON_CLOSE,	"abort_on_close",	"TcpExt", "TCPAbortOnClose",	TD_COUNTER, "resets sent by close() with unread data") \
	X(ABORT_ON_MEMORY,	"abort_on_memory",	"TcpExt", "TCPAbortOnMemory",	TD_COUNTER, "resets because of memory or too many orphans") \
	X(ABORT_ON_TIMEOUT,	"abort_on_timeout",	"TcpExt", "TCPAbortOnTimeout",	TD_COUNTER, "connections killed by retransmission or keepalive timeouts") \
	X(ABORT_ON_LINGER,	"abort_on_linger",	"TcpExt", "TCPAbortOnLinger",	TD_COUNTER, "orphan FIN_WAIT2 reset (TCP_LINGER2 < 0)") \
	X(ABORT_FAILED,		"abort_failed",		"TcpExt", "TCPAbortFailed",	TD_COUNTER, "resets that could not be sent") \
	X(MEMORY_PRESSURES,	"memory_pressures",	"TcpExt", "TCPMemoryPressures",	TD_COUNTER, "times TCP entered memory pressure") \
	X(SYN_RETRANS,		"syn_retrans",		"TcpExt", "TCPSynRetrans",	TD_COUNTER, "SYN and SYN-ACK retransmissions") \
	X(TIMEOUTS,		"timeouts",		"TcpExt", "TCPTimeouts",	TD_COUNTER, "retransmission timeouts") \
	X(KEEPALIVE,		"keepalive",		"TcpExt", "TCPKeepAlive",	TD_COUNTER, "keepalive probes sent") \
	X(SYN_CHALLENGE,	"syn_challenge",	"TcpExt", "TCPSYNChallenge",	TD_COUNTER, "challenge ACKs sent for SYNs (RFC 5961)") \
	X(CHALLENGE_ACK,	"challenge_ack",	"TcpExt", "TCPChallengeACK",	TD_COUNTER, "challenge ACKs sent (RFC 5961)") \
	X(BACKLOG_DROP,		"backlog_drop",		"TcpExt", "TCPBacklogDrop",	TD_COUNTER, "segments dropped: socket backlog full") \
	X(RCVQ_DROP,		"rcvq_drop",		"TcpExt", "TCPRcvQDrop",	TD_COUNTER, "segments dropped: receive queue full") \
	X(OFO_DROP,		"ofo_drop",		"TcpExt", "TCPOFODrop",		TD_COUNTER, "out-of-order segments dropped") \
	X(ZERO_WINDOW_DROP,	"zero_window_drop",	"TcpExt", "TCPZeroWindowDrop",	TD_COUNTER, "segments dropped: zero window") \
	X(RETRANS_FAIL,		"retrans_fail",		"TcpExt", "TCPRetransFail",	TD_COUNTER, "retransmissions that failed") \
	X(SOCK_INUSE,		"sockstat_inuse",	"Sockstat", "inuse",		TD_GAUGE,   "TCP sockets in use in this netns (sockstat)") \
	X(SOCK_ORPHAN,		"sockstat_orphan",	"Sockstat", "orphan",		TD_GAUGE,   "orphaned TCP sockets, host-wide (sockstat)") \
	X(SOCK_TW,		"sockstat_tw",		"Sockstat", "tw",		TD_GAUGE,   "timewait sockets in this netns (sockstat)") \
	X(SOCK_ALLOC,		"sockstat_alloc",	"Sockstat", "alloc",		TD_GAUGE,   "TCP sockets allocated, host-wide (sockstat)") \
	X(SOCK_MEM,		"sockstat_mem_pages",	"Sockstat", "mem",		TD_GAUGE,   "pages used by TCP, host-wide (sockstat)") \
	X(SOFTNET_PROCESSED,	"softnet_processed",	"Softnet", "processed",	TD_COUNTER, "packets processed by the softnet backlog, all CPUs") \
	X(SOFTNET_DROPPED,	"softnet_dropped",	"Softnet", "dropped",		TD_COUNTER, "packets dropped: netdev_max_backlog full, all CPUs") \
	X(SOFTNET_SQUEEZED,	"softnet_time_squeeze",	"Softnet", "time_squeeze",	TD_COUNTER, "net_rx_action runs out of budget or time, all CPUs")

enum td_counter_id {
#define X(id, json, sec, key, kind, help)	TD_CTR_##id,
	TD_COUNTERS(X)
#undef X
	TD_CTR_MAX
};

struct td_counters {
	uint64_t	v[TD_CTR_MAX];
	bool		present[TD_CTR_MAX];	/* false when this kernel lacks it */
};

struct td_field {				/* what a renderer needs */
	const char	*json, *section, *key, *help;
	enum td_kind	 kind;
};
extern const struct td_field td_counter_fields[TD_CTR_MAX];

struct td_err;

/*
 * Read every counter from proc_root ("/proc" normally; a fixture directory
 * in tests) into *ctr.  Missing files or keys leave the counter absent.
 * Returns 0, or -1 with *err set when /proc/net/netstat or snmp cannot be
 * read at all or is malformed.
 */
int	counters_read(const char *proc_root, struct td_counters *ctr, struct td_err *err);
/* Index of the counter with this JSON key, or -1. */
int	counters_find(const char *json_key);

#endif /* TD_COLLECTORS_COUNTERS_H */
