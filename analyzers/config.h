/* SPDX-License-Identifier: MIT */
/*
 * Analyzer thresholds: one X-macro list gives the defaults, the limits, the
 * INI parser's table and the documentation (man/tcpdoctor.conf.5 lists the
 * same rows).  Values come from the defaults, then /etc/tcpdoctor.conf (or
 * -c FILE), then --set SECTION.KEY=VALUE on the command line.
 *
 * X(id, section, key, default, min, max, doc)
 */
#ifndef TD_ANALYZERS_CONFIG_H
#define TD_ANALYZERS_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define TD_CONFIG_DEFAULT	"/etc/tcpdoctor.conf"

#define TD_THRESHOLDS(X)							\
	X(AQ_WARNING,	"accept_queue",	"warning",	0.8,	0.01,	1.0,	"accept-queue length / backlog that is a warning")	\
	X(AQ_MIN_QUEUE,	"accept_queue",	"min_queue",	2,	1,	1e9,	"ignore listeners with fewer queued connections")	\
	X(AQ_OTHER_DROPS, "accept_queue", "other_drops", 1,	1,	1e12,	"ListenDrops not explained by ListenOverflows, per run, that is a warning")	\
	X(SF_WARNING,	"syn_flood",	"warning",	0.5,	0.01,	1.0,	"SYN_RECV per listener / (backlog + 1) that is a warning")	\
	X(SF_MIN_REQ,	"syn_flood",	"min_requests",	8,	1,	1e9,	"ignore listeners with fewer SYN_RECV request sockets")	\
	X(SF_SPOOFED,	"syn_flood",	"spoofed_ratio", 0.8,	0.01,	1.0,	"distinct sources / requests above which sources look spoofed")	\
	X(SF_COOKIES,	"syn_flood",	"cookies",	100,	1,	1e12,	"SYN cookies sent per run (with --state-file) that is a warning")	\
	X(TW_WARNING,	"time_wait",	"warning",	0.5,	0.01,	1.0,	"sockets per (source, destination, port) / usable ephemeral ports that is a warning")	\
	X(TW_CRITICAL,	"time_wait",	"critical",	0.9,	0.01,	1.0,	"the same ratio that is critical")	\
	X(CW_WARNING,	"close_wait",	"warning",	5,	1,	1e9,	"CLOSE_WAIT sockets of one process (or local port) that is a warning")	\
	X(CW_CRITICAL,	"close_wait",	"critical",	200,	1,	1e9,	"the same count that is critical")	\
	X(CW_AGE,	"close_wait",	"age",		300,	1,	1e9,	"seconds in CLOSE_WAIT (seen across runs) that is a warning")	\
	X(OR_FIN_WAIT2,	"orphans",	"fin_wait2",	1000,	1,	1e9,	"orphaned FIN_WAIT2 sockets that is a warning")	\
	X(OR_RETRANS,	"orphans",	"retransmits",	2,	1,	255,	"retransmissions or probes after which an orphan in FIN_WAIT1, CLOSING or LAST_ACK counts as retransmitting to a silent peer")	\
	X(OR_RTX_WARNING, "orphans",	"retransmitting", 10,	1,	1e9,	"retransmitting orphans toward one peer that is a warning (fewer: info)")	\
	X(OR_WARNING,	"orphans",	"warning",	0.5,	0.01,	1.0,	"orphans / tcp_max_orphans that is a warning")	\
	X(OR_CRITICAL,	"orphans",	"critical",	0.9,	0.01,	1.0,	"orphans / tcp_max_orphans that is critical")	\
	X(DP_RETRANS,	"dead_peers",	"retransmits",	3,	1,	255,	"timer retransmits after which an established socket counts as backing off")	\
	X(DP_WARNING,	"dead_peers",	"warning",	10,	1,	1e9,	"backing-off established sockets that is a warning")	\
	X(DP_IDLE,	"dead_peers",	"idle",		3600,	1,	1e9,	"seconds without data after which an inbound connection without keepalive is reported")	\
	X(DP_IDLE_COUNT, "dead_peers",	"idle_count",	100,	1,	1e9,	"idle accepted connections without keepalive, per process and local port, that are reported (info)")	\
	X(CN_RETRANS,	"connects",	"retransmits",	2,	1,	255,	"SYN retransmissions after which a SYN_SENT socket counts as hanging")	\
	X(CN_MIN,	"connects",	"min",		1,	1,	1e9,	"hanging connect() attempts to one destination that are reported (info)")	\
	X(CN_WARNING,	"connects",	"warning",	5,	1,	1e9,	"hanging attempts to one destination, or connect timeouts per run, that is a warning")	\
	X(RS_WARNING,	"resets",	"warning",	100,	0.001,	1e9,	"RSTs sent, failed attempts or established resets per second that is a warning")	\
	X(RS_CRITICAL,	"resets",	"critical",	1000,	0.001,	1e9,	"the same rate that is critical")

enum td_threshold_id {
#define X(id, sec, key, dflt, lo, hi, doc)	TD_TH_##id,
	TD_THRESHOLDS(X)
#undef X
	TD_TH_MAX
};

struct td_threshold_field {
	const char	*section, *key, *doc;
	double		 dflt, min, max;
};
extern const struct td_threshold_field td_threshold_fields[TD_TH_MAX];

struct td_config {
	double		v[TD_TH_MAX];
	uint64_t	disabled;	/* bit i: td_analyzers[i] has enabled = no */
};

struct td_err;

/* Fill *cfg with the documented defaults. */
void	config_defaults(struct td_config *cfg);
/*
 * Read an INI file into *cfg: [section] lines, key = value lines, '#' or
 * ';' comments.  A missing file is not an error unless must_exist.
 * Returns 0, or -1 with *err set to "FILE:LINE: what is wrong".
 */
int	config_load(struct td_config *cfg, const char *path, bool must_exist,
	    struct td_err *err);
/*
 * Read one line of a text file into buf (cap bytes, NUL-terminated, the
 * newline removed), for the INI file here and the sysctl files of
 * tune --audit.  Returns CONFIG_LINE_OK, CONFIG_LINE_EOF, CONFIG_LINE_ERROR
 * (errno set), CONFIG_LINE_LONG (longer than cap - 1 bytes; the rest of the
 * line is skipped) or CONFIG_LINE_NUL (a NUL byte: not a text file).
 */
enum config_line {
	CONFIG_LINE_OK, CONFIG_LINE_EOF, CONFIG_LINE_ERROR, CONFIG_LINE_LONG, CONFIG_LINE_NUL,
};
enum config_line config_read_line(FILE *fp, char *buf, size_t cap);

/* Apply one "section.key=value" setting (--set).  Returns 0 or -1 with *err. */
int	config_set(struct td_config *cfg, const char *setting, struct td_err *err);
/* The value of a threshold. */
static inline double
config_get(const struct td_config *cfg, enum td_threshold_id id)
{
	return cfg->v[id];
}

#endif /* TD_ANALYZERS_CONFIG_H */
