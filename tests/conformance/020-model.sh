#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The model against the kernel: every scenario of lab/scenarios.c runs over TUN
# and then through the model (linux profile from the namespace's sysctls);
# the two runs must agree (segments, times within max(20 ms, 5 %) plus the
# timer-wheel slack, checkpoints, projected trace).  Known gaps of the model
# are TODO lines that still print the comparison.  Then the comparison must
# catch a deliberately wrong model.
. "$(dirname "$0")/../lib.sh"

require_kernel_lab

timeout --kill-after=5 240 "$K" -m -j 8
[ $? -eq 124 ] && not_ok "model comparison timed out after 240 s"

# caught MUTATION SCENARIO...: the mutated model must differ on each scenario.
caught() {
	local mut=$1 out sc; shift
	out=$(timeout --kill-after=5 60 "$K" -4 -j 4 -M "$mut" "$@" 2>&1)
	for sc in "$@"; do
		if grep -q "^not ok [0-9]* - $sc ipv4: the model agrees" <<<"$out" &&
		    grep -q "^ok [0-9]* - $sc ipv4 (" <<<"$out"; then
			ok "a model with '$mut' is caught by $sc"
		else
			not_ok "a model with '$mut' is caught by $sc"
			sed 's/^/# /' <<<"$out"
		fi
	done
}
caught no-tw-rearm server-close crossed-fins
caught synack-expiry-rst synack-expiry
