#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The whole host at once: BENCH_NS namespaces (default 100) of about
# BENCH_PER sockets each (default 1000: established pairs and TIME_WAIT,
# tests/helpers/workload.py bench), listed
#   - by one `tcpdoctor -A ls` (one process, setns into each namespace),
#   - by one `tcpdoctor -N NS ls` per namespace, one after another: the sum
#     of the per-namespace floors (the issue's goal: -A at most 1.5x this),
#   - by the loop operators write today: `ip netns exec NS ss -tan` per
#     namespace.
# Each measured BENCH_RUNS times (default 5), output to /dev/null; the
# median wall time of each and the ratios are printed.
#
# Usage: bench/allns.sh BUILD_DIR      (root)
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
NS=${BENCH_NS:-100}
PER=${BENCH_PER:-1000}
RUNS=${BENCH_RUNS:-5}
bin="$top/$build/tcpdoctor"
[ "$(id -u)" -eq 0 ] || { echo "bench allns: skipped: needs root (network namespaces)"; exit 0; }
pre="tdb-$$"
pids=()
cleanup() {
	local p i
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	for i in $(seq 1 "$NS"); do ip netns del "$pre-$i" 2>/dev/null; done
	rm -rf "/tmp/$pre"
}
trap cleanup EXIT
mkdir -p "/tmp/$pre"
n=$(( (PER - 2) / 3 ))
ulimit -n $((n * 2 + 1000)) 2>/dev/null
for i in $(seq 1 "$NS"); do
	ip netns add "$pre-$i" && ip -n "$pre-$i" link set lo up || exit 1
	ip netns exec "$pre-$i" /usr/bin/python3 tests/helpers/workload.py bench "/tmp/$pre/$i" "$n" &
	pids+=($!)
done
for _ in $(seq 1 1200); do
	[ "$(find "/tmp/$pre" -type f -size +0 | wc -l)" -ge "$NS" ] && break
	sleep 0.1
done
[ "$(find "/tmp/$pre" -type f -size +0 | wc -l)" -ge "$NS" ] || { echo "bench allns: workloads did not start"; exit 1; }
total=0
for i in $(seq 1 "$NS"); do total=$((total + $(ip netns exec "$pre-$i" ss -tanH | wc -l))); done
echo "namespaces: $NS, sockets: $total (about $((total / NS)) each)"

/usr/bin/python3 - "$bin" "$pre" "$NS" "$RUNS" <<'PYEOF'
import statistics, subprocess, sys, time
bin, pre, ns, runs = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
names = ["%s-%d" % (pre, i) for i in range(1, ns + 1)]
null = subprocess.DEVNULL

def one(argv):
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=null, stderr=null, check=False)
    return time.perf_counter() - t0

def all_netns():
    return one([bin, "-A", "--netns-filter", pre + "-*", "ls", "-H"])

def floors():
    return sum(one([bin, "-N", n, "ls", "-H"]) for n in names)

def ss_loop():
    return sum(one(["ip", "netns", "exec", n, "ss", "-tan"]) for n in names)

res = {"tcpdoctor -A ls": [], "sum of tcpdoctor -N NS ls": [], "loop of ip netns exec NS ss -tan": []}
for _ in range(runs):          # interleaved: drift hits them alike
    res["tcpdoctor -A ls"].append(all_netns())
    res["sum of tcpdoctor -N NS ls"].append(floors())
    res["loop of ip netns exec NS ss -tan"].append(ss_loop())
med = {k: statistics.median(v) for k, v in res.items()}
for k, v in med.items():
    print("%-36s %8.3f s (median of %d)" % (k, v, runs))
a = med["tcpdoctor -A ls"]
print("ratio -A / sum of per-namespace floors: %.2f (goal: at most 1.5)" % (a / med["sum of tcpdoctor -N NS ls"]))
print("ratio -A / ip netns exec + ss loop: %.3f" % (a / med["loop of ip netns exec NS ss -tan"]))
PYEOF
