/* SPDX-License-Identifier: MIT */
/*
 * The TCP sysctls the analyzers and the model reason about, read from
 * /proc/sys (of the current network namespace).  Each has a readable flag:
 * a knob this kernel lacks (tcp_tw_recycle since 4.12) or cannot be read
 * here (tcp_max_orphans inside a child netns) stays unreadable, never 0.
 *
 * X(id, json_key, procfs_path_under_proc_sys, kind)
 */
#ifndef TD_COLLECTORS_SYSCTL_H
#define TD_COLLECTORS_SYSCTL_H

#include <stdbool.h>
#include <stdint.h>

enum td_sys_kind {
	TD_SYS_INT = 0,		/* one integer */
	TD_SYS_PAIR,		/* two integers (ip_local_port_range) */
	TD_SYS_TEXT,		/* text (ip_local_reserved_ports) */
};

#define TD_SYSCTLS(X)								\
	X(SYNCOOKIES,		"net.ipv4.tcp_syncookies",		TD_SYS_INT)	\
	X(MAX_SYN_BACKLOG,	"net.ipv4.tcp_max_syn_backlog",		TD_SYS_INT)	\
	X(SOMAXCONN,		"net.core.somaxconn",			TD_SYS_INT)	\
	X(SYNACK_RETRIES,	"net.ipv4.tcp_synack_retries",		TD_SYS_INT)	\
	X(SYN_RETRIES,		"net.ipv4.tcp_syn_retries",		TD_SYS_INT)	\
	X(SYN_LINEAR_TIMEOUTS,	"net.ipv4.tcp_syn_linear_timeouts",	TD_SYS_INT)	\
	X(FIN_TIMEOUT,		"net.ipv4.tcp_fin_timeout",		TD_SYS_INT)	\
	X(TW_REUSE,		"net.ipv4.tcp_tw_reuse",		TD_SYS_INT)	\
	X(TW_REUSE_DELAY,	"net.ipv4.tcp_tw_reuse_delay",		TD_SYS_INT)	\
	X(TW_RECYCLE,		"net.ipv4.tcp_tw_recycle",		TD_SYS_INT)	\
	X(MAX_TW_BUCKETS,	"net.ipv4.tcp_max_tw_buckets",		TD_SYS_INT)	\
	X(EHASH_ENTRIES,	"net.ipv4.tcp_ehash_entries",		TD_SYS_INT)	\
	X(PORT_RANGE,		"net.ipv4.ip_local_port_range",		TD_SYS_PAIR)	\
	X(RESERVED_PORTS,	"net.ipv4.ip_local_reserved_ports",	TD_SYS_TEXT)	\
	X(KEEPALIVE_TIME,	"net.ipv4.tcp_keepalive_time",		TD_SYS_INT)	\
	X(KEEPALIVE_INTVL,	"net.ipv4.tcp_keepalive_intvl",		TD_SYS_INT)	\
	X(KEEPALIVE_PROBES,	"net.ipv4.tcp_keepalive_probes",	TD_SYS_INT)	\
	X(ORPHAN_RETRIES,	"net.ipv4.tcp_orphan_retries",		TD_SYS_INT)	\
	X(MAX_ORPHANS,		"net.ipv4.tcp_max_orphans",		TD_SYS_INT)	\
	X(ABORT_ON_OVERFLOW,	"net.ipv4.tcp_abort_on_overflow",	TD_SYS_INT)	\
	X(RETRIES1,		"net.ipv4.tcp_retries1",		TD_SYS_INT)	\
	X(RETRIES2,		"net.ipv4.tcp_retries2",		TD_SYS_INT)	\
	X(TIMESTAMPS,		"net.ipv4.tcp_timestamps",		TD_SYS_INT)	\
	X(RFC1337,		"net.ipv4.tcp_rfc1337",			TD_SYS_INT)	\
	X(CHALLENGE_ACK_LIMIT,	"net.ipv4.tcp_challenge_ack_limit",	TD_SYS_INT)	\
	X(INVALID_RATELIMIT,	"net.ipv4.tcp_invalid_ratelimit",	TD_SYS_INT)	\
	X(NETDEV_MAX_BACKLOG,	"net.core.netdev_max_backlog",		TD_SYS_INT)	\
	X(RTO_MIN_US,		"net.ipv4.tcp_rto_min_us",		TD_SYS_INT)	\
	X(RTO_MAX_MS,		"net.ipv4.tcp_rto_max_ms",		TD_SYS_INT)

enum td_sysctl_id {
#define X(id, name, kind)	TD_SYS_##id,
	TD_SYSCTLS(X)
#undef X
	TD_SYS_MAX
};

#define TD_SYS_TEXT_MAX	1024

struct td_sysval {
	bool		readable;
	int64_t		v[2];		/* INT: v[0]; PAIR: v[0], v[1]; TEXT: v[0] = count */
};

struct td_sysctls {
	struct td_sysval	s[TD_SYS_MAX];
	/*
	 * Why a knob is not readable when that is a blind spot: the errno of
	 * a knob that exists but could not be read, or whose whole directory
	 * is missing (/proc/sys not mounted, masked).  0 when it was read, and
	 * for a knob this kernel or namespace does not have (its directory
	 * lists the others): that is not a blind spot.
	 */
	int			error[TD_SYS_MAX];
	/* TEXT knobs keep their text (ip_local_reserved_ports, "" if empty). */
	char			reserved_ports[TD_SYS_TEXT_MAX];
};

struct td_sysctl_field {
	const char		*name;		/* dotted: net.ipv4.tcp_syncookies */
	enum td_sys_kind	 kind;
};
extern const struct td_sysctl_field td_sysctl_fields[TD_SYS_MAX];

struct td_err;

/*
 * Read every knob under proc_root ("/proc" normally) into *sys.  A knob
 * that is missing or unreadable stays !readable, with sys->error[] saying
 * whether that is a blind spot; it is not an error.
 * Returns 0, or -1 with *err set on malformed content.
 */
int	sysctl_read(const char *proc_root, struct td_sysctls *sys, struct td_err *err);
/* Index of the knob with this dotted name (or its short tcp_* name), or -1. */
int	sysctl_find(const char *name);
/* Knobs that could not be read (sys->error[] set): count, mask (bit id), first errno. */
unsigned int	sysctl_unreadable(const struct td_sysctls *sys, uint64_t *mask, int *code);
/* Value of an INT knob, or dflt when it is not readable. */
int64_t	sysctl_int(const struct td_sysctls *sys, enum td_sysctl_id id, int64_t dflt);
/*
 * The value of the knob with this dotted name in *sys (a const struct
 * td_sysctls *, as ctx): 1 with *v set when it was read, 0 when it was not
 * or is not one of ours.  The model's tm_profile_from_values() takes it.
 */
int	sysctl_value(const void *sys, const char *dotted, int64_t *v);
/*
 * True when lo..hi is a range the kernel accepts for ip_local_port_range:
 * 1 <= lo <= hi <= 65535 (net/ipv4/sysctl_net_ipv4.c,
 * ip_local_port_range_min/max and ipv4_local_port_range()).
 */
bool	sysctl_port_range_ok(int64_t lo, int64_t hi);
/*
 * Number of ports in ip_local_port_range minus ip_local_reserved_ports, or
 * -1 when unknown (unreadable, or not a range the kernel accepts).
 */
int64_t	sysctl_usable_ports(const struct td_sysctls *sys);
/*
 * Number of ports in an ip_local_reserved_ports list ("8080,9000-9010",
 * "" when none), or -1 when the text is malformed.
 */
int64_t	sysctl_count_ports(const char *list);

#endif /* TD_COLLECTORS_SYSCTL_H */
