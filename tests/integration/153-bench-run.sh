#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: it times the bench's commands
# make bench end to end at a tiny size (bench/run.sh): the ratio table for
# the size, the all-namespaces run (bench/allns.sh) in the same table, the
# ratios file the next run compares against, and on a second run the
# comparison with the first (ratios.prev.txt).  No namespace is left.
. "$(dirname "$0")/../lib.sh"
require_root
for x in populate floor tdbench sim_bench; do
	[ -x "$TD_BUILD/bench/$x" ] || { not_ok "bench/$x built"; exit 1; }
done
d=$(tmpdir)
build=${TD_BUILD#"$TD_SRCDIR"/}
run_bench() {
	BENCH_SIZES=1000 BENCH_ROUNDS=1 BENCH_ATTR_SIZE=0 BENCH_NS=2 BENCH_PER=30 BENCH_RUNS=1 \
	    BENCH_REPLAY_CONNS=200 BENCH_REPLAY_RUNS=1 BENCH_RESULTS="$d/res" \
	    timeout 600 "$TD_SRCDIR/bench/run.sh" "$build" > "$d/out$1" 2> "$d/err$1"
}
run_bench 1
rc=$?
expect_eq "bench/run.sh exits 0" "$rc" 0
[ "$rc" -eq 0 ] || { sed 's/^/# /' "$d/err1" | tail -5; }
check "the table names the machine and kernel" grep -q "kernel $(uname -r)" "$d/res/table.md"
check "a table for 1000 sockets" grep -q '^1000 sockets: populated' "$d/res/table.md"
for c in floor-family ss-tan ls ls-j check summary-j snapshot watch-sample watch-4; do
	check "a row for $c" grep -q "^| $c | [0-9]" "$d/res/table.md"
done
check "the goals are judged" grep -q 'check .*<= 1.0x the floor' "$d/res/table.md"
check "watch's cost a sample, apart from its start" \
    grep -Eq '^  watch per sample <= 1.0x the floor( \(CPU\))?: +-?[0-9.]+ +(met|MISSED) +\(-?[0-9]+ ms (CPU )?a sample' "$d/res/table.md"
check "the all-namespaces run is in the table" grep -q 'All namespaces' "$d/res/table.md"
check "with its ratio to the per-namespace runs" grep -q 'ratio -A / sum of per-namespace floors: [0-9]' "$d/res/table.md"
check "over 2 namespaces" grep -q 'namespaces: 2, sockets:' "$d/res/table.md"
check "the ratios file for the next run" awk '$1 == 1000 && $2 == "ls" && $10 > 0 { f = 1 } END { exit !f }' "$d/res/ratios.txt"
check "with CPU time and its ratio to ss -tan after the ratios" \
    awk '$1 == 1000 && $2 == "ss-tan" && $13 == "1.00" && $12 >= 0 { f = 1 } END { exit !f }' "$d/res/ratios.txt"
check "the table's CPU columns" grep -q '^| ss-tan | [0-9].* | 1.00 |$' "$d/res/table.md"
check "no previous run yet" [ ! -e "$d/res/ratios.prev.txt" ]
run_bench 2
expect_eq "a second run exits 0" "$?" 0
check "it compares with the first" grep -q 'Against the previous run' "$d/out2"
check "and keeps the first's ratios" [ -s "$d/res/ratios.prev.txt" ]
left=$(ip netns list | grep -c '^tdb-')
expect_eq "no bench namespace left behind" "$left" 0
