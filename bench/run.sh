#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Benchmarks, side by side with ss and netstat in the same run, reported as
# ratios (tcpdoctor / ss).  A namespace made here is populated with N
# ESTABLISHED pairs and N TIME_WAIT sockets (BENCH_N, default 6000, so
# 3N+2 sockets), then each lister runs BENCH_RUNS times (default 21)
# inside the namespace (bench/measure.py): median wall time and peak RSS.  Also runs every bench/*.c binary, each of
# which prints "name value" lines.
#
# Usage: bench/run.sh BUILD_DIR
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
N=${BENCH_N:-6000}
RUNS=${BENCH_RUNS:-21}
bin="$top/$build/tcpdoctor"

for b in "$build"/bench/*; do
	[ -x "$b" ] && [ -f "$b" ] && [[ $b != *.o ]] && [[ $b != *.d ]] && "$b"
done

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: listing benchmarks skipped: needs root (network namespace)"
	exit 0
fi
ns="td-bench-$$"
wl=""
cleanup() {
	[ -n "$wl" ] && kill "$wl" 2>/dev/null && wait "$wl" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -f "/tmp/$ns.ready"
}
trap cleanup EXIT
ip netns add "$ns" && ip -n "$ns" link set lo up || exit 1
ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
ulimit -n $((N * 2 + 1000)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ip netns exec "$ns" /usr/bin/python3 tests/helpers/workload.py bench "/tmp/$ns.ready" "$N" &
wl=$!
for _ in $(seq 1 600); do [ -s "/tmp/$ns.ready" ] && break; sleep 0.1; done
[ -s "/tmp/$ns.ready" ] || { echo "bench: workload did not start"; exit 1; }
total=$(ip netns exec "$ns" ss -tanH | wc -l)
echo "sockets in the namespace: $total"

results=$(ip netns exec "$ns" /usr/bin/python3 bench/measure.py "$RUNS" \
	"tcpdoctor-ls=$bin ls -H" \
	"ss-tan=ss -tanH" \
	"netstat-tan=netstat -tan" \
	"tcpdoctor-ls-json=$bin ls -j" \
	"tcpdoctor-ls-e=$bin ls -H -e" \
	"ss-tan-e=ss -tanHe" \
	"tcpdoctor-summary=$bin summary" \
	"ss-tan-m=ss -tanHm" \
	"ss-s=ss -s") || { echo "bench: $results"; exit 1; }
echo
printf '%-20s %12s %12s\n' "command" "median_us" "peak_rss_kib"
echo "$results" | awk '{printf "%-20s %12s %12s\n", $1, $2, $3}'
echo
echo "$results" | awk '
	{ t[$1] = $2; m[$1] = $3 }
	END {
		printf "ratio tcpdoctor-ls/ss-tan: time %.2f, rss %.2f\n", t["tcpdoctor-ls"] / t["ss-tan"], m["tcpdoctor-ls"] / m["ss-tan"]
		printf "ratio tcpdoctor-ls/netstat-tan: time %.2f, rss %.2f\n", t["tcpdoctor-ls"] / t["netstat-tan"], m["tcpdoctor-ls"] / m["netstat-tan"]
		printf "ratio tcpdoctor-ls-json/ss-tan (JSON against ss text): time %.2f, rss %.2f\n", t["tcpdoctor-ls-json"] / t["ss-tan"], m["tcpdoctor-ls-json"] / m["ss-tan"]
		printf "ratio tcpdoctor-ls-e/ss-tan-e (ss -e also looks up cgroups): time %.3f, rss %.2f\n", t["tcpdoctor-ls-e"] / t["ss-tan-e"], m["tcpdoctor-ls-e"] / m["ss-tan-e"]
		printf "ratio tcpdoctor-summary/ss-tan-m (both read every socket with its memory): time %.2f, rss %.2f\n", t["tcpdoctor-summary"] / t["ss-tan-m"], m["tcpdoctor-summary"] / m["ss-tan-m"]
		printf "ratio tcpdoctor-summary/ss-s (ss -s reads only /proc/net/sockstat): time %.2f, rss %.2f\n", t["tcpdoctor-summary"] / t["ss-s"], m["tcpdoctor-summary"] / m["ss-s"]
	}'
