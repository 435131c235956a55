#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make bench: tcpdoctor against the netlink floor, ss and netstat, in the
# same run, on namespaces filled with issue 11's mix of sockets.
#
#   BENCH_SIZES    socket counts, default "10000 100000 1000000"
#   BENCH_ROUNDS   rounds per size (median, spread), default 5
#   BENCH_PROCS    processes of the attribution host, default 5000
#   BENCH_FDS      descriptors they hold, default 200000
#   BENCH_ATTR_SIZE  sockets of the attribution host, default 100000 (0: skip)
#   BENCH_RESULTS  where results go, default BUILD_DIR/bench-results
#   BENCH_TIME_LIMIT  seconds a size may take, default 1200: no command
#                  starts after that (the commands keep the runs they had)
#   BENCH_NS, BENCH_PER, BENCH_RUNS  the all-namespaces run (bench/allns.sh):
#                  namespaces (default 100, 0 skips it), sockets each, runs
#
# Per size, bench/tdbench starts bench/populate (which makes the namespace,
# fills it, checks it with a dump and reports how long it took) and runs
# every command of the list below once per round, rounds interleaved,
# populating afresh whenever the next run could outlive the oldest
# TIME_WAIT socket.  A size whose populations leave too little of the
# TIME_WAIT lifetime to run a command (a machine too slow or too busy for
# it: tdbench exits 3) is not run, and the table says so and why; the other
# sizes still run, and bench/run.sh then exits 3.  When that happens after
# some rounds, the size keeps the runs it had and its table says where it
# stopped.  The ratio table (markdown) goes to stdout and to
# BENCH_RESULTS/table.md; the ratios to BENCH_RESULTS/ratios.txt, which the
# next run compares against (it says what got slower).  bench/sim_bench
# and bench/replay.sh (replay against tshark) run once before, and
# bench/allns.sh (one -A run against the per-namespace ones) after; its
# lines are added to table.md.
#
# In the runs by size the sockets are held by as few processes as the
# kernel's SCM_MAX_FD lets the populator hand them to (a host where sockets
# dominate).  The attribution host is one more run, at BENCH_ATTR_SIZE
# sockets, with BENCH_PROCS processes holding BENCH_FDS descriptors, of the
# commands that look up owners (ls -p, check, ss -tanp) and ls beside them.
#
# Usage: bench/run.sh BUILD_DIR
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
sizes=${BENCH_SIZES:-"10000 100000 1000000"}
rounds=${BENCH_ROUNDS:-5}
procs=${BENCH_PROCS:-5000}
fds=${BENCH_FDS:-200000}
attr=${BENCH_ATTR_SIZE:-100000}
res=${BENCH_RESULTS:-$top/$build/bench-results}
limit=${BENCH_TIME_LIMIT:-1200}
b="$top/$build"
td="$b/tcpdoctor"

"$b/bench/sim_bench" || { echo "bench: sim_bench failed" >&2; exit 1; }
# replay against tshark on generated captures (bench/replay.sh).
"$top/bench/replay.sh" "$build" || { echo "bench: replay.sh failed" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: the socket benchmarks need root (a network namespace of their own)" >&2
	exit 1
fi
mkdir -p "$res" || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# NAME MAXEXIT ARGV (tdbench's format; check exits 1 and 2 on findings).
cat > "$tmp/cmds" <<EOF
floor-family	0 $b/bench/floor family -e @N@
floor-onepass	0 $b/bench/floor onepass -e @N@
ss-tan		0 ss -tan
ss-tani		0 ss -tani
ss-tanp		0 ss -tanp
netstat-tan	0 netstat -tan
ls		0 $td ls
ls-e		0 $td ls -e
ls-i		0 $td ls -i
ls-p		0 $td ls -p
ls-j		0 $td -j ls
ls-ndjson	0 $td --format ndjson ls
summary-j	0 $td -j summary
check		2 $td check
check-j		2 $td -j check
check-prom	2 $td --format prometheus check
watch-sample	2 $td watch --count 1
watch-4		2 $td watch --count 4 --interval 0.1
snapshot	0 $td snapshot -o $tmp/snap.json
EOF

grep -E '^(floor-family|ss-tan|ss-tanp|ls|ls-p|check)[[:space:]]' "$tmp/cmds" > "$tmp/cmds-attr"

kernel=$(uname -r)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ncpu=$(nproc)
mem=$(awk '/^MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
: > "$tmp/ratios"
: > "$tmp/notrun"
# run LABEL CMDFILE POPULATE-OPTIONS... N: one tdbench run, its ratios appended.
run() {
	local label=$1 cmds=$2 n rc why
	shift 2
	n=${!#}
	echo "bench: $label: $n sockets, $rounds rounds ..." >&2
	"$b/bench/tdbench" -c "$cmds" -o "$tmp/raw-$label" -l "$res/log-$label.txt" \
	    -r "$rounds" -t "$limit" -- "$b/bench/populate" "$@" 2> >(tee "$tmp/err-$label" >&2)
	rc=$?
	wait	# for tee
	if [ "$rc" -eq 3 ]; then
		why=$(sed -n 's/^tdbench: //p' "$tmp/err-$label" | tail -1)
		echo "bench: $label: not run: $why" >&2
		printf '%s %s\n' "$label" "$why" >> "$tmp/notrun"
		return 1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "bench: the run $label failed; commands' messages: $res/log-$label.txt" >&2
		exit 1
	fi
	cp "$tmp/raw-$label" "$res/raw-$label.txt"
	# LABEL NAME MEDIAN MIN MAX P25 P75 RSS RUNS OVER_FLOOR OVER_SS CPU CPU_OVER_SS
	# (tdbench's CPU_MS, its ninth field, goes after the ratios: the columns
	# before stay where the previous run's ratios.txt has them)
	awk -v l="$label" '
		/^#/ { next }
		{ k++; line[k] = $0; med[$1] = $2; cpu[$1] = $9 }
		END {
			for (i = 1; i <= k; i++) {
				split(line[i], f, " ")
				head = l " " f[1] " " f[2] " " f[3] " " f[4] " " f[5] " " f[6] " " f[7] " " f[8]
				if (f[2] == "-") { print head, "-", "-", "-", "-"; continue }
				cr = (cpu["ss-tan"] > 0) ? sprintf("%.2f", f[9] / cpu["ss-tan"]) : "-"
				printf "%s %.2f %.2f %s %s\n", head, f[2] / med["floor-family"], f[2] / med["ss-tan"], f[9], cr
			}
		}' "$tmp/raw-$label" >> "$tmp/ratios"
}
labels=""
attr_ok=""
# The attribution host first: the kernel takes seconds to tear down the
# namespace of a million sockets after its run, and a run right after it
# pays for that (ls on the attribution host: 58 ms in some rounds, 330 in
# others).
if [ "$attr" -gt 0 ]; then
	run "attr-$attr" "$tmp/cmds-attr" -P "$procs" -D "$fds" "$attr" && attr_ok=" attr-$attr"
fi
for n in $sizes; do
	run "$n" "$tmp/cmds" -P 0 -D 0 "$n" && labels="$labels $n"
done
labels="$labels$attr_ok"

{
	echo "Machine: $ncpu CPUs ($cpu), $mem; kernel $kernel; $(date -u '+%Y-%m-%d %H:%M UTC')."
	echo "Medians of $rounds interleaved rounds; spread is min-max; peak RSS the largest of the rounds"
	echo "(wait4 ru_maxrss); CPU ms the median user + system time (wait4 rusage), which other work on"
	echo "the machine disturbs less than the wall clock.  attr-N: the same N sockets held by $procs"
	echo "processes with $fds descriptors."
	for n in $labels; do
		echo
		sed -n 's/^# \(populations\|populate_ms\|runner_rss_kib\|elapsed_s\|stopped\) /\1 /p' "$tmp/raw-$n" |
		    awk -v n="$n" -v lim="$limit" '{ v[$1] = $2; if ($1 == "stopped") st = $3 } END {
			printf "%s sockets: populated in %.1f s (mean of %d populations), run took %d s; runner RSS %.1f MiB",
			    n, v["populate_ms"] / 1000, v["populations"], v["elapsed_s"], v["runner_rss_kib"] / 1024
			if (v["stopped"] == "time_limit")
				printf "; BENCH_TIME_LIMIT (%d s) reached in round %d: fewer runs where the row says so", lim, st
			if (v["stopped"] == "too_slow")
				printf "; STOPPED in round %d: three populations in a row left less than 10 s of the TIME_WAIT lifetime (the machine became too busy): fewer runs where the row says so", st
			printf "\n\n" }'
		echo "| command | ms | spread ms | over the floor | over \`ss -tan\` | peak RSS MiB | CPU ms | CPU over \`ss -tan\` |"
		echo "|---|---|---|---|---|---|---|---|"
		awk -v n="$n" -v rounds="$rounds" -v stop="$(sed -n 's/^# stopped \([a-z_]*\) .*/\1/p' "$tmp/raw-$n")" -v nofit=" $(sed -n 's/^# nofit //p' "$tmp/raw-$n" | tr '\n' ' ')" '$1 == n {
			if ($3 == "-" && index(nofit, " " $2 " ")) { printf "| %s | did not fit in a TIME_WAIT lifetime | | | | | | |\n", $2; next }
			if ($3 == "-") { printf "| %s | not run: %s | | | | | | |\n", $2, stop == "too_slow" ? "the machine became too slow" : "time limit"; next }
			name = $2; if ($9 < rounds) name = name " (" $9 " of " rounds " runs)"
			printf "| %s | %.0f | %.0f-%.0f | %.2f | %.2f | %.1f | %.0f | %s |\n", name, $3, $4, $5, $10, $11, $8 / 1024, $12, $13 }' "$tmp/ratios"
	done
	while read -r n why; do
		echo
		echo "$n sockets: NOT RUN: $why"
	done < "$tmp/notrun"
	echo
	echo "Goals (issue 11), at the largest size run, side by side$(awk '{ printf "%s%s", NR == 1 ? " (not run: " : ", ", $1 } END { if (NR) printf ")" }' "$tmp/notrun"):"
	awk '
		{ if ($1 ~ /^attr/) at = $1; else sz[$1] = 1
		  t[$1, $2] = $3; fl[$1, $2] = $10; ss[$1, $2] = $11; rss[$1, $2] = $8; names[$2] = 1
		  lo[$1, $2] = $4; hi[$1, $2] = $5
		  cs[$1, $2] = $13; cpu[$1, $2] = $12 }
		function verdict(ok) { return ok ? "met" : "MISSED" }
		END {
			big = 0; for (s in sz) if (s + 0 > big) big = s + 0
			split("check check-j check-prom summary-j watch-sample", a1, " ")
			for (i = 1; i in a1; i++)
				if ((big, a1[i]) in fl && fl[big, a1[i]] != "-")
					printf "  %-14s <= 1.0x the floor:        %5.2f  %s\n", a1[i], fl[big, a1[i]], verdict(fl[big, a1[i]] <= 1.0)
			# watch per sample: what three more samples cost (--count 4 against
			# --count 1, the same start-up).  Samples that outlast the 0.1 s
			# interval run back to back: judged by the wall clock then, as the
			# rows above; shorter ones hide in the interval: judged by CPU time
			# against that of the floor.
			if ((big, "watch-4") in cpu && cpu[big, "watch-4"] != "-" && cpu[big, "floor-family"] > 0) {
				pc = (cpu[big, "watch-4"] - cpu[big, "watch-sample"]) / 3
				pw = (t[big, "watch-4"] - t[big, "watch-sample"]) / 3
				if (pw > 110)
					printf "  %-14s <= 1.0x the floor:        %5.2f  %s  (%.0f ms a sample, back to back; %.0f ms CPU)\n", "watch per sample", pw / t[big, "floor-family"], verdict(pw <= t[big, "floor-family"]), pw, pc
				else
					printf "  %-14s <= 1.0x the floor (CPU):  %5.2f  %s  (%.0f ms CPU a sample against %.0f; under the 100 ms interval)\n", "watch per sample", pc / cpu[big, "floor-family"], verdict(pc <= cpu[big, "floor-family"]), pc, cpu[big, "floor-family"]
			}
			split("ls-j ls-ndjson snapshot", a2, " ")
			for (i = 1; i in a2; i++)
				if ((big, a2[i]) in ss && ss[big, a2[i]] != "-")
					printf "  %-14s <= 0.5x ss -tan:          %5.2f  %s  (CPU time: %sx that of ss -tan)\n", a2[i], ss[big, a2[i]], verdict(ss[big, a2[i]] <= 0.5), cs[big, a2[i]]
			if (t[big, "ls"] > 0)
				printf "  %-14s <= 1.3x ls:               %5.2f  %s\n", "ls-i", t[big, "ls-i"] / t[big, "ls"], verdict(t[big, "ls-i"] <= 1.3 * t[big, "ls"])
			for (s in sz) if (t[s, "ss-tanp"] > 0) {
				printf "  %-14s < ss -tanp at %s:     %5.2f  %s\n", "ls-p", s, t[s, "ls-p"] / t[s, "ss-tanp"], verdict(t[s, "ls-p"] < t[s, "ss-tanp"])
				printf "  %-14s < ss -tanp at %s:     %5.2f  %s\n", "check", s, t[s, "check"] / t[s, "ss-tanp"], verdict(t[s, "check"] < t[s, "ss-tanp"])
			}
			if (at != "" && t[at, "ss-tanp"] > 0) {
				printf "  %-14s < ss -tanp at %s:     %5.2f  %s\n", "ls-p", at, t[at, "ls-p"] / t[at, "ss-tanp"], verdict(t[at, "ls-p"] < t[at, "ss-tanp"])
				printf "  %-14s < ss -tanp at %s:     %5.2f  %s\n", "check", at, t[at, "check"] / t[at, "ss-tanp"], verdict(t[at, "check"] < t[at, "ss-tanp"])
			}
			worst = 0
			for (k in rss) { split(k, p, SUBSEP); if (p[2] !~ /^(ss|netstat)/ && rss[k] > worst) { worst = rss[k]; wn = p[2] " at " p[1] } }
			printf "  peak RSS < 16 MiB, every tcpdoctor command and size: %.1f MiB (%s)  %s\n", worst / 1024, wn, verdict(worst < 16384)
			# Linear cost: what a command adds to the floor, 100k to 1M, in
			# wall-clock and in CPU time, each judged.  A wall-clock
			# addition at 100k smaller than the spread of the floor there
			# (max - min) is noise, not a denominator: the CPU time judges
			# alone then (the reader thread of the dump can hide nearly all
			# the work of a command under the walk of the kernel).
			if ((100000 in sz) && (1000000 in sz)) {
				noise = hi[100000, "floor-family"] - lo[100000, "floor-family"]
				for (nm in names) {
					if (nm ~ /^(floor|ss|netstat)/ || t[100000, nm] == "-" || t[1000000, nm] == "-") continue
					a = t[100000, nm] - t[100000, "floor-family"]; b = t[1000000, nm] - t[1000000, "floor-family"]
					ca = cpu[100000, nm] - cpu[100000, "floor-family"]; cb = cpu[1000000, nm] - cpu[1000000, "floor-family"]
					ok = 1
					if (b <= 0)
						w = sprintf("wall: nothing added at 1M (%.2fx the floor)", t[1000000, nm] / t[1000000, "floor-family"])
					else if (a <= noise)
						w = sprintf("wall: %.0f ms added at 100k, within the floor'"'"'s spread (%.0f ms), not judged; %.0f ms at 1M", a, noise, b)
					else { w = sprintf("wall %.1fx", b / a); ok = ok && b / a <= 11 }
					if (cb <= 0)
						c = "CPU: nothing added at 1M"
					else if (ca <= 0)
						{ c = sprintf("CPU: nothing added at 100k, %.0f ms at 1M", cb); ok = 0 }
					else { c = sprintf("CPU %.1fx", cb / ca); ok = ok && cb / ca <= 11 }
					printf "  %-14s added to the floor grows <= 11x from 100k to 1M: %s; %s  %s\n", nm, w, c, verdict(ok)
				}
			}
		}' "$tmp/ratios"
} > "$tmp/table.md"

cat "$tmp/table.md"
if [ -s "$res/ratios.txt" ]; then
	echo
	echo "Against the previous run ($res/ratios.prev.txt):"
	# Slower: a tcpdoctor command whose ratio to the floor, whose own CPU
	# time (field 12) and whose CPU time over that of ss -tan in the same
	# rounds (field 13) all grew by more than 10%.  Each alone moves
	# without the command changing: the kernel walks one population of
	# sockets faster than another (the floor and ss with it, not the
	# command's own work), and other work on the machine slows every
	# program (ss too).  A ratio that grew alone is said apart, with the
	# figures.  The reference programs (floor, ss, netstat) are the
	# machine: their CPU time is shown where it moved by more than 10%.
	awk 'NR == FNR { old[$1, $2] = $10; orss[$1, $2] = $8; ocpu[$1, $2] = $12; ocs[$1, $2] = $13; next }
		($1, $2) in old && $2 ~ /^(floor|ss|netstat)/ {
			if (ocpu[$1, $2] != "-" && $12 != "-" && ($12 > ocpu[$1, $2] * 1.10 || $12 < ocpu[$1, $2] / 1.10))
				printf "  the machine: %s at %s sockets: CPU %s -> %s ms\n", $2, $1, ocpu[$1, $2], $12
			next
		}
		($1, $2) in old && $10 != "-" && old[$1, $2] != "-" {
			if ($10 > old[$1, $2] * 1.10) {
				if ((ocpu[$1, $2] == "-" || $12 == "-" || $12 > ocpu[$1, $2] * 1.10) &&
				    (ocs[$1, $2] == "-" || $13 == "-" || $13 > ocs[$1, $2] * 1.10)) {
					printf "  slower: %s at %s sockets: %.2f -> %.2f the floor, CPU %s -> %s ms (%s -> %s that of ss -tan)\n", $2, $1, old[$1, $2], $10, ocpu[$1, $2], $12, ocs[$1, $2], $13; s++
				} else {
					printf "  not slower: %s at %s sockets: %.2f -> %.2f the floor, but CPU %s -> %s ms (%s -> %s that of ss -tan)\n", $2, $1, old[$1, $2], $10, ocpu[$1, $2], $12, ocs[$1, $2], $13
				}
			}
			if ($8 > orss[$1, $2] * 1.10 + 256) { printf "  more memory: %s at %s sockets: %.1f -> %.1f MiB\n", $2, $1, orss[$1, $2] / 1024, $8 / 1024; s++ }
		}
		END { if (!s) print "  no tcpdoctor command got slower (by more than 10% of its ratio to the floor, of its CPU time and of that over the CPU time of ss -tan) or bigger" }' \
	    "$res/ratios.txt" "$tmp/ratios"
	mv "$res/ratios.txt" "$res/ratios.prev.txt"
fi
cp "$tmp/ratios" "$res/ratios.txt"
cp "$tmp/table.md" "$res/table.md"
echo
echo "bench: table in $res/table.md"

# The whole host at once: -A against the per-namespace runs (bench/allns.sh,
# BENCH_NS namespaces of BENCH_PER sockets; BENCH_NS=0 skips it).
if [ "${BENCH_NS:-100}" -gt 0 ]; then
	echo
	echo "bench: all namespaces ..." >&2
	if ! "$top/bench/allns.sh" "$build" > "$tmp/allns"; then
		cat "$tmp/allns"
		echo "bench: allns.sh failed" >&2
		exit 1
	fi
	{ echo; echo "All namespaces (bench/allns.sh):"; echo; sed 's/^/    /' "$tmp/allns"; } |
	    tee -a "$res/table.md"
fi
# A size the machine was too slow for: said in the table, and in the status.
[ -s "$tmp/notrun" ] && exit 3
exit 0
