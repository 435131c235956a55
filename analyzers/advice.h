/* SPDX-License-Identifier: MIT */
/*
 * What tcpdoctor knows about the TCP knobs: one table, one entry per sysctl
 * (meaning, default, safe range, what it fixes and what it does not, facts
 * that depend on the kernel version, the risk of changing it), and a judge
 * that rates a value found in a sysctl.conf file.  `explain SYSCTL` prints
 * an entry, `tune` takes the risk text from it and `tune --audit` the
 * verdicts.  Print-agnostic: nothing here prints.
 */
#ifndef TD_ANALYZERS_ADVICE_H
#define TD_ANALYZERS_ADVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct td_snapshot;

enum td_verdict {
	TD_VERDICT_FINE = 0,		/* reasonable */
	TD_VERDICT_CAUTION,		/* a trade-off the operator must mean */
	TD_VERDICT_POINTLESS,		/* does nothing for its aim here */
	TD_VERDICT_HARMFUL,		/* makes things worse */
	TD_VERDICT_OBSOLETE,		/* gone or without effect on this kernel */
	TD_VERDICT_INVALID,		/* not a value the knob takes */
	TD_VERDICT_UNKNOWN,		/* no advice entry */
};

/* "fine", "caution", "pointless", "harmful", "obsolete", "invalid", "unknown". */
const char	*td_verdict_name(enum td_verdict v);

/* What the judge of an entry may look at. */
struct td_audit_in {
	const char			*value;		/* as written in the file */
	int64_t				 v[3];		/* parsed integers */
	int				 nv;		/* how many parsed, -1 if not numbers */
	const struct td_snapshot	*snap;		/* this host (kernel, counters, sysctls) */
	int				 kmajor, kminor; /* this host's kernel version */
	bool				 aim_time_wait;	/* the file's comments talk about TIME_WAIT */
	/* Another setting in the same file, or NULL (e.g. tcp_syncookies). */
	const char			*(*other)(const void *file, const char *name);
	const void			*file;
};

struct td_advice {
	const char	*name;		/* dotted: net.ipv4.tcp_fin_timeout */
	int		 sysctl_id;	/* TD_SYS_* when collected, else -1 */
	const char	*meaning;
	const char	*dflt;		/* default, with the kernel versions it depends on */
	const char	*safe;		/* a safe range */
	const char	*fixes;		/* what changing it fixes */
	const char	*not_fixes;	/* what it does not, despite popular advice */
	const char	*facts;		/* kernel-version facts, with sources */
	const char	*risk;		/* what goes wrong when it is set badly */
	/* Rate a value; writes one line of reason into why.  NULL: no judge. */
	enum td_verdict	(*judge)(const struct td_audit_in *in, char *why, size_t len);
};

extern const struct td_advice td_advice_table[];
extern const size_t td_advice_count;

/*
 * The entry for a knob: dotted name ("net.ipv4.tcp_fin_timeout"), slash
 * form ("net/ipv4/tcp_fin_timeout") or the last component
 * ("tcp_fin_timeout"); NULL when there is none.
 */
const struct td_advice *advice_find(const char *name);

/* Parse "6.18.44-foo" into major and minor; false when it does not parse. */
bool	advice_kernel_version(const char *release, int *major, int *minor);

#endif /* TD_ANALYZERS_ADVICE_H */
