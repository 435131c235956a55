#!/bin/bash
# SPDX-License-Identifier: MIT
#
# replay against tshark on the same captures: tcpdoctor replay (summary)
# and `tshark -q -n -z conv,tcp` (per-conversation table), median wall time
# of BENCH_REPLAY_RUNS runs (default 3, interleaved) and the largest peak RSS, on
# captures of BENCH_REPLAY_CONNS connections (default "20000 80000": 13
# packets each, 1000 open at once, made by tests/helpers/pcapgen; each run
# timed in microseconds, under GNU time for its peak RSS), so peak
# memory can be compared across sizes (it should stay flat: bounded by the
# connections open at once).  As root it also runs replay as nobody, where
# there are no privileges to drop, to show what dropping them costs.
# Usage: bench/replay.sh BUILD_DIR
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
bin="$top/$build/tcpdoctor"
gen="$top/$build/tests/helpers/pcapgen"
runs=${BENCH_REPLAY_RUNS:-3}
command -v tshark >/dev/null || { echo "bench replay: skipped: needs tshark (scripts/deps.sh bench)"; exit 0; }
[ -x "$gen" ] || { echo "bench replay: $gen not built"; exit 1; }
dir=$(mktemp -d /tmp/td-bench-replay.XXXXXX)
trap 'rm -rf "$dir"' EXIT
chmod 755 "$dir"

echo
printf '%-26s %10s %12s %14s %12s\n' "replay bench" "packets" "median_us" "packets_per_s" "peak_rss_kib"
for n in ${BENCH_REPLAY_CONNS:-20000 80000}; do
	f="$dir/cap-$n.pcap"
	pk=$("$gen" "$f" "$n" 1000 | awk '/^packets/ {print $2}') || exit 1
	chmod 644 "$f"
	cmds=("tcpdoctor-replay-$n=$bin replay $f" "tshark-conv-tcp-$n=tshark -q -n -r $f -z conv,tcp")
	if [ "$(id -u)" -eq 0 ]; then
		cmds+=("tcpdoctor-replay-nobody-$n=setpriv --reuid=nobody --regid=nogroup --clear-groups $bin replay $f")
	fi
	# Runs interleaved (A B C, A B C, ...): on a shared, loaded machine a
	# burst of load then weighs on every command alike.
	: > "$dir/runs"
	for _ in $(seq 1 "$runs"); do
		for c in "${cmds[@]}"; do
			# The wall clock in microseconds around GNU time (its %e has
			# 10 ms steps: 7% of replay's 0.14 s on the smaller capture),
			# which gives the peak RSS.
			t0=$(date +%s%N)
			# shellcheck disable=SC2086
			/usr/bin/time -f "%M" -o "$dir/time" ${c#*=} >/dev/null 2>&1 ||
				{ echo "bench replay: ${c%%=*} failed" >&2; exit 1; }
			t1=$(date +%s%N)
			echo "${c%%=*} $(( (t1 - t0) / 1000 )) $(cat "$dir/time")" >> "$dir/runs"
		done
	done
	res=""
	for c in "${cmds[@]}"; do
		name=${c%%=*}
		line=$(awk -v name="$name" '$1 == name {print $2, $3}' "$dir/runs" | sort -n | awk -v n="$runs" -v name="$name" '
			{ t[NR] = $1; if ($2 > m) m = $2 }
			END { printf "%s %d %d\n", name, t[int((n + 1) / 2)], m }') || exit 1
		res+="$line"$'\n'
	done
	res=${res%$'\n'}
	echo "$res" | awk -v pk="$pk" '{printf "%-26s %10d %12d %14d %12d\n", $1, pk, $2, pk / ($2 / 1e6), $3}'
	echo "$res" | awk -v n="$n" '
		$1 ~ /^tcpdoctor-replay-[0-9]/ { t = $2 }
		$1 ~ /^tshark/ { s = $2 }
		$1 ~ /nobody/ { u = $2 }
		END {
			printf "replay vs tshark (%d connections): %.1fx the throughput (goal >= 10x)\n", n, s / t
			if (u > 0) printf "privilege drop: root (drops) %d us, nobody (nothing to drop) %d us\n", t, u
		}'
done
