#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs every test and totals them: the Check unit tests (TAP via
# check_main.c), then the scripts under tests/misc, tests/golden,
# tests/integration and tests/conformance, which print TAP lines too
# ("ok N - what", "not ok N - what", "ok N # SKIP reason").
# Ends with one plain line "N passed, N failed, N skipped" and exits
# non-zero on any failure.  With CI=true a skip counts as a failure: CI runs
# as root and every privileged test must run there.
#
# Usage: tests/run.sh BUILD_DIR      (TD_TESTS=glob selects scripts/units,
#                                     TD_SKIP='glob ...' leaves some out, said once at the end)
#
# Two lanes where there are two CPUs (TD_JOBS=1 keeps one): the unit, misc
# and golden tests, which touch nothing of the host's (fixtures, their own
# temporary files, sockets of their own on loopback), run at the lowest
# priority beside the integration and conformance tests, which run one at
# a time as before (they make namespaces, tracefs instances and cgroups, and
# some time the kernel) and mostly wait for the kernel's timers.  The second
# lane's lines are printed when it ends.
set -u
build=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export TD_BUILD="$top/$build" TD_BIN="$top/$build/tcpdoctor" TD_SRCDIR="$top"
export TD_HELPERS="$top/$build/tests/helpers"
pass=0 fail=0 skip=0 not_run=0
logdir="$top/$build/test-logs"
mkdir -p "$logdir"
pattern=${TD_TESTS:-*}
: > "$logdir/durations"
failed_list=()

tally() {	# name logfile status
	local name=$1 log=$2 status=$3 line n_ok=0 n_fail=0 n_skip=0
	while IFS= read -r line; do
		case "$line" in
		"not ok"*)
			if [[ $line == *"# TODO"* ]]; then :; else
				n_fail=$((n_fail + 1)); failed_list+=("$name: $line"); fi ;;
		"ok"*"# SKIP"* | "ok"*"# skip"*)
			if [ "${CI:-}" = true ]; then
				n_fail=$((n_fail + 1)); failed_list+=("$name: skipped in CI: $line")
			else
				n_skip=$((n_skip + 1)); echo "  skip: $name: ${line#*# }"
			fi ;;
		"ok"*) n_ok=$((n_ok + 1)) ;;
		esac
	done < "$log"
	if [ "$status" -ne 0 ] && [ "$n_fail" -eq 0 ]; then
		n_fail=1; failed_list+=("$name: exited with status $status (see $log)")
	fi
	if [ $((n_ok + n_fail + n_skip)) -eq 0 ]; then
		n_fail=1; failed_list+=("$name: ran no test (see $log)")
	fi
	pass=$((pass + n_ok)); fail=$((fail + n_fail)); skip=$((skip + n_skip))
	printf '%-48s %4d ok %3d failed %3d skipped\n' "$name" "$n_ok" "$n_fail" "$n_skip"
}

# selected NAME: TD_TESTS matches it and TD_SKIP does not (counted).
selected() {
	local name=$1 g skips=()
	# shellcheck disable=SC2053
	[[ $name == $pattern ]] || return 1
	read -ra skips <<< "${TD_SKIP:-}"	# words, not expanded as file names
	for g in "${skips[@]}"; do
		# shellcheck disable=SC2053
		[[ $name == $g ]] || continue
		not_run=$((not_run + 1)); return 1
	done
	return 0
}

logof() { echo "$logdir/$(echo "$1" | tr '/' '_').log"; }

run_test() {	# log command...
	local log=$1
	shift
	timeout --kill-after=10 900 bash -c 'echo $$ > "$0"; exec "$@"' "$log.pid" "$@" > "$log" 2>&1
}

# exec_one NAME COMMAND...: runs one test into its log, returns its status.
exec_one() {
	local name=$1 log status t0
	shift
	log=$(logof "$name")
	rm -f "$log.pid"
	t0=$(date +%s%N)
	# The script's own pid names its namespaces (td-PID-SUFFIX, see
	# mkns in tests/lib.sh): any left behind is a leak, and so a failure.
	# The lock's descriptor is not the test's: a process it leaves behind
	# cannot hold the lock.
	if [ -n "$lockfd" ]; then
		run_test "$log" "$@" {lockfd}>&-
	else
		run_test "$log" "$@"
	fi
	status=$?
	[ $status -eq 124 ] && echo "not ok - timed out" >> "$log"
	reap_namespaces "$log"
	# Seconds per test, for keeping CI inside its budget (sort -k2 -rn).
	echo "$name $(( ($(date +%s%N) - t0) / 1000000 ))" | awk '{ printf "%s %.1f\n", $1, $2 / 1000 }' >> "$logdir/durations"
	return $status
}

# With TD_LOCK (a file), suites run at the same time (.ci/run: the plain
# one and the sanitizer one) share the host: an integration or conformance
# test holds the lock shared, and one that must have the host to itself
# holds it alone: every conformance test (they time the kernel against the
# model), and every script with a line "# td-solo: WHY" (tracefs sessions,
# which see the packets of every namespace, and tests that time something).
# (.ci/run runs the conformance tests after both suites, with nothing else.)
lockfd=
solo() { [[ $1 == conformance/* ]] || grep -q '^# td-solo:' "$2"; }

run_one() {	# name file command...
	local name=$1 file=$2 status
	shift 2
	if [ -n "$lockfd" ]; then
		if solo "$name" "$file"; then flock -x "$lockfd"; else flock -s "$lockfd"; fi
	fi
	exec_one "$name" "$@"
	status=$?
	[ -n "$lockfd" ] && flock -u "$lockfd"
	tally "$name" "$(logof "$name")" "$status"
}

# reap_namespaces LOG: a namespace the test left behind fails it; its
# processes (started by the test) are killed and the namespace removed.
reap_namespaces() {
	local log=$1 pid ns p
	[ -s "$log.pid" ] || return 0
	read -r pid < "$log.pid"; rm -f "$log.pid"
	command -v ip > /dev/null || return 0
	for ns in $(ip netns list 2> /dev/null | awk -v pre="td-$pid-" 'index($1, pre) == 1 { print $1 }'); do
		echo "not ok - the test left network namespace $ns behind (and its processes: $(ip netns pids "$ns" 2> /dev/null | tr '\n' ' '))" >> "$log"
		for p in $(ip netns pids "$ns" 2> /dev/null); do kill -9 "$p" 2> /dev/null; done
		ip netns del "$ns" 2> /dev/null
	done
}

# What runs, in order: name and file (a script, or a unit test binary).
names=() files=()
for t in "$build"/tests/unit/*/*_test; do
	[ -x "$t" ] || continue
	names+=("unit/${t#"$build"/tests/unit/}"); files+=("$t")
done
for dir in misc golden integration conformance; do
	for t in tests/$dir/*.sh; do
		[ -f "$t" ] || continue
		names+=("$dir/$(basename "$t" .sh)"); files+=("$t")
	done
done
cmd_of() { case $1 in *.sh) echo bash ;; esac; }

jobs=${TD_JOBS:-$(nproc 2> /dev/null || echo 1)}
lane2=() lane1=()
for i in "${!names[@]}"; do
	selected "${names[$i]}" || continue
	case ${names[$i]} in
	unit/* | misc/* | golden/*) [ "$jobs" -ge 2 ] && { lane2+=("$i"); continue; } ;;
	esac
	lane1+=("$i")
done
# TD_ORDER (.ci/run, with TD_LOCK), so that what two suites can run side
# by side meets: free-first runs the tests that share the host first, then
# those that hold it alone, the conformance tests last; solo-first runs
# those that hold it alone while the file TD_LOCK.building is there (the
# other suite is being built), then those that share it, then the rest.
solos=() confs=() frees=()
if [ -n "${TD_ORDER:-}" ]; then
	for i in "${lane1[@]}"; do
		if [[ ${names[$i]} == conformance/* ]]; then confs+=("$i")
		elif solo "${names[$i]}" "${files[$i]}"; then solos+=("$i")
		else frees+=("$i"); fi
	done
	case $TD_ORDER in
	solo-first) ;;
	free-first) lane1=("${frees[@]}" "${solos[@]}" "${confs[@]}") ;;
	*) echo "tests/run.sh: TD_ORDER: '$TD_ORDER' is not solo-first or free-first"; exit 1 ;;
	esac
fi
# next_test: the index of the next test of the host lane into $next, or fails.
next_test() {
	if [ "${TD_ORDER:-}" != solo-first ]; then
		[ ${#lane1[@]} -gt 0 ] || return 1
		next=${lane1[0]}; lane1=("${lane1[@]:1}")
	elif [ ${#solos[@]} -gt 0 ] && { [ -e "$TD_LOCK.building" ] || [ ${#frees[@]} -eq 0 ]; }; then
		next=${solos[0]}; solos=("${solos[@]:1}")
	elif [ ${#frees[@]} -gt 0 ]; then
		next=${frees[0]}; frees=("${frees[@]:1}")
	elif [ ${#confs[@]} -gt 0 ]; then
		next=${confs[0]}; confs=("${confs[@]:1}")
	else
		return 1
	fi
}
lane2_status="$logdir/lane2.status"
: > "$lane2_status"
lane2_pid=
if [ ${#lane2[@]} -gt 0 ]; then
	(
		renice -n 19 -p "$BASHPID" > /dev/null 2>&1
		# Check's timeouts (4 s a test by default) are wall clock; at the
		# lowest priority on a busy machine a unit test under the
		# sanitizers took longer (procs_test's procs_want_cap, in CI).
		export CK_TIMEOUT_MULTIPLIER=${CK_TIMEOUT_MULTIPLIER:-10}
		for i in "${lane2[@]}"; do
			# shellcheck disable=SC2046
			exec_one "${names[$i]}" $(cmd_of "${files[$i]}") "${files[$i]}"
			echo "$i $?" >> "$lane2_status"
		done
	) &
	lane2_pid=$!
fi
if [ -n "${TD_LOCK:-}" ]; then
	exec {lockfd}<> "$TD_LOCK" || { echo "tests/run.sh: TD_LOCK: cannot open $TD_LOCK"; exit 1; }
fi
while next_test; do
	# shellcheck disable=SC2046
	run_one "${names[$next]}" "${files[$next]}" $(cmd_of "${files[$next]}") "${files[$next]}"
done
if [ -n "$lane2_pid" ]; then
	wait "$lane2_pid"
	while read -r i status; do
		tally "${names[$i]}" "$(logof "${names[$i]}")" "$status"
	done < "$lane2_status"
	# A test the lane never reached (it was killed) is a failure too.
	if [ "$(wc -l < "$lane2_status")" -ne ${#lane2[@]} ]; then
		fail=$((fail + 1)); failed_list+=("the second lane ran $(wc -l < "$lane2_status") of ${#lane2[@]} tests")
	fi
fi

if [ ${#failed_list[@]} -gt 0 ]; then
	echo
	echo "failures:"
	printf '  %s\n' "${failed_list[@]}"
fi
echo "logs: $logdir"
[ "$not_run" -gt 0 ] && echo "not run here: $not_run test script(s) matching TD_SKIP='$TD_SKIP'"
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
