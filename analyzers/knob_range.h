/* SPDX-License-Identifier: MIT */
/*
 * What the kernel accepts for each TCP knob tune --audit knows: how many
 * integers the value holds and the range of each, as the sysctl table
 * declares it (the proc handler and its extra1/extra2 bounds in
 * net/ipv4/sysctl_net_ipv4.c and net/core/sysctl_net_core.c), checked by
 * writing the edges in a throwaway namespace on Linux 6.18.  A value outside
 * this range is refused by the kernel (sysctl -p reports "Invalid
 * argument"); a value inside it is accepted, however little sense it makes,
 * and the advice table's judges (advice.c) rate it.  Data only.
 */
#ifndef TD_ANALYZERS_KNOB_RANGE_H
#define TD_ANALYZERS_KNOB_RANGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct knob_range {
	const char	*name;		/* dotted: net.ipv4.tcp_syn_retries */
	int		 n;		/* integers in the value; 0: not an integer knob */
	int64_t		 min, max;	/* each integer, inclusive */
	const char	*handler;	/* the kernel's handler, named in reasons */
	bool		 global;	/* one value for the host (ipv4_table, net_core_table),
					 * absent inside child namespaces; else per namespace */
};

extern const struct knob_range knob_ranges[];
extern const size_t knob_range_count;

/* The range of a dotted knob name, or NULL when the table has none. */
const struct knob_range *knob_range_find(const char *name);

/*
 * Parse value as the kernel's proc handlers do (proc_get_long(): an
 * optional '-', then a number in base 0, so 010 is 8 and 0x10 is 16;
 * fields separated by blanks) into v[0..r->n-1] and check each against
 * r's range.  Returns 0 when the kernel would accept the value, or -1 with
 * one line in why (which field, what is wrong, the range and the handler).
 * A number that does not fit in 64 bits (ERANGE) is out of range too.
 */
int	knob_range_check(const struct knob_range *r, const char *value, int64_t v[3],
	    char *why, size_t len);

/*
 * Parse up to max blank-separated integers the same way, without a range.
 * Returns how many, or -1 when something else is there or a number does
 * not fit in 64 bits.
 */
int	knob_parse_ints(const char *value, int64_t *v, int max);

#endif /* TD_ANALYZERS_KNOB_RANGE_H */
