/* SPDX-License-Identifier: MIT */
/* Capture-level findings for `tcpdoctor replay` (sim/replay_findings.c). */
#ifndef TD_SIM_REPLAY_FINDINGS_H
#define TD_SIM_REPLAY_FINDINGS_H

#include "analyzers/analyzer.h"
#include "sim/replay.h"

/* Append the findings the aggregates show.  Returns 0 or -1 with *err set. */
int	capture_findings(const struct rp_stats *st, struct td_findings *out, struct td_err *err);

#endif /* TD_SIM_REPLAY_FINDINGS_H */
