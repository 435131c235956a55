#!/bin/bash
# SPDX-License-Identifier: MIT
#
# run.sh BUILD SECONDS JOBS [TARGET...]: `make fuzz`.  Runs each fuzz target
# (default: every BUILD/tests/fuzz/fuzz_*) under libFuzzer for SECONDS, JOBS
# at a time, from its seed corpus (tests/fuzz/seeds.sh); new inputs go to
# BUILD/corpus/TARGET/, reproducers to BUILD/crash/TARGET-*, the whole log to
# BUILD/fuzz-logs/TARGET.log.
#
# Any finding fails the run: a crash or sanitizer report (the targets are
# built with -fno-sanitize-recover, so undefined behaviour aborts too), a
# leak, an input slower than FUZZ_TIMEOUT seconds (default 30) or one that
# needs more than FUZZ_RSS_MB (default 2048) of memory.  For each finding it
# prints the report and the reproducer's path; the exit status is 1.  One
# line per target says how long it ran, how many inputs it executed and how
# large its corpus is.
set -u
build=$1 seconds=$2 jobs=$3
shift 3
top=$(cd "$(dirname "$0")/../.." && pwd)
timeout_s=${FUZZ_TIMEOUT:-30}
rss_mb=${FUZZ_RSS_MB:-2048}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
	for f in "$build"/tests/fuzz/fuzz_*; do
		case "$f" in *.o|*.d) continue ;; esac
		[ -x "$f" ] && targets+=("${f##*/fuzz_}")
	done
fi
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no target built in $build/tests/fuzz" >&2; exit 1; }
mkdir -p "$build/crash" "$build/fuzz-logs"

# one TARGET: run it, then write BUILD/fuzz-logs/TARGET.result
one() {
	local n=$1 f="$build/tests/fuzz/fuzz_$1" log="$build/fuzz-logs/$1.log"
	local res="$build/fuzz-logs/$1.result" before after start rc execs corpus new
	[ -x "$f" ] || { echo "fail $n: $f not built" > "$res"; return; }
	mkdir -p "$build/corpus/$n"
	before=$(ls "$build/crash" | grep "^$n-" | sort)
	start=$(date +%s)
	# shellcheck disable=SC2046
	"$f" -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
	    -print_final_stats=1 -artifact_prefix="$build/crash/$n-" \
	    "$build/corpus/$n" $("$top/tests/fuzz/seeds.sh" "$n") > "$log" 2>&1
	rc=$?
	after=$(ls "$build/crash" | grep "^$n-" | sort)
	new=$(comm -13 <(echo "$before") <(echo "$after") | grep . | sed "s|^|$build/crash/|")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	corpus=$(find "$build/corpus/$n" -type f | wc -l)
	printf '%s %s %s %s %s\n' "$([ $rc -eq 0 ] && [ -z "$new" ] && echo ok || echo fail)" \
	    "$n" "$(($(date +%s) - start))" "${execs:-?}" "$corpus" > "$res"
	if [ $rc -ne 0 ] || [ -n "$new" ]; then
		{
			echo "fuzz $n: exit status $rc; the report (from $log):"
			# From the first report line (sanitizer, libFuzzer) to the end.
			awk '/==[0-9]+==(ERROR|WARNING)|runtime error:|ERROR: libFuzzer|^==[0-9]+== ERROR|ALARM: working on the last Unit|out-of-memory|LeakSanitizer/ { p = 1 } p' \
			    "$log" | head -80
			for a in $new; do
				echo "fuzz $n: reproducer $a (replay: $f $a)"
			done
			[ -n "$new" ] || echo "fuzz $n: no reproducer written; see $log"
		} > "$res.report"
	fi
}

running=0
for n in "${targets[@]}"; do
	rm -f "$build/fuzz-logs/$n.result" "$build/fuzz-logs/$n.result.report"
	echo "fuzz $n for $seconds s"
	one "$n" &
	running=$((running + 1))
	if [ $running -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

bad=0
printf '%-12s %6s %12s %8s  %s\n' target seconds executions corpus result
for n in "${targets[@]}"; do
	res="$build/fuzz-logs/$n.result"
	if [ ! -s "$res" ]; then
		echo "fuzz $n: no result (see $build/fuzz-logs/$n.log)"
		bad=1
		continue
	fi
	read -r verdict _ secs execs corpus < "$res"
	printf '%-12s %6s %12s %8s  %s\n' "$n" "$secs" "$execs" "$corpus" "$verdict"
	[ "$verdict" = ok ] || bad=1
done
for n in "${targets[@]}"; do
	[ -s "$build/fuzz-logs/$n.result.report" ] && cat "$build/fuzz-logs/$n.result.report"
done
if [ $bad -ne 0 ]; then
	echo "fuzz: FAILED: fix each finding and add its reproducer to tests/fuzz/corpus/<target>/"
	exit 1
fi
