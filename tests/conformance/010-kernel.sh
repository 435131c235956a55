#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The Part C sequences of KERNEL-FACTS.md against this kernel, over TUN:
# every scenario of lab/scenarios.c, IPv4 and IPv6, each in a network namespace
# of its own (the helper unshares; the namespace dies with it) with a
# private tracefs instance (removed by the helper, and here if it was killed).
. "$(dirname "$0")/../lib.sh"

require_kernel_lab

# Instances whose helper is gone (the name carries its PID): a leak if the
# helper exited normally, so they are counted, then removed.
stale_instances() {
	local d pid n=0
	for d in /sys/kernel/tracing/instances/tdk-*; do
		[ -d "$d" ] || continue
		pid=${d##*/tdk-}; pid=${pid%%-*}
		if ! kill -0 "$pid" 2>/dev/null; then
			rmdir "$d" 2>/dev/null && n=$((n + 1))
		fi
	done
	echo $n
}
trap 'stale_instances >/dev/null; _td_cleanup' EXIT
stale_instances >/dev/null

# The packets of every run are kept for a look with tcpdump -r when one fails.
pcaps=${TD_BUILD:-build}/test-logs/conformance-pcap
rm -rf "$pcaps"; mkdir -p "$pcaps"
timeout --kill-after=5 240 "$K" -j 6 -P "$pcaps"
[ $? -eq 124 ] && not_ok "conformance run timed out after 240 s"
expect_eq "no tracefs instance left behind" "$(stale_instances)" 0
n=$(ls "$pcaps" | wc -l)
expect_eq "one capture per run" "$n" "$(( $("$K" -l | wc -l) * 2 ))"
