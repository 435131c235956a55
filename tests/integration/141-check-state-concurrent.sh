#!/bin/bash
# SPDX-License-Identifier: MIT
# Concurrent check runs on one state file (two timers, a cron line and a
# person): 40 runs in waves of 8, 0.6 s apart.  A watcher reads the file
# every few milliseconds the whole time: every state it sees is whole, and
# the sample time it holds never goes back (no run replaces a newer state
# with its older sample: the lost update of a sample taken before the
# lock).  Every run ends with a verdict, none UNKNOWN; no temporary file
# is left.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
ns=$(mkns cc) || { not_ok "create a network namespace"; exit 1; }
S="$dir/st/state"
mkdir "$dir/st"

"$PY" - "$S" "$dir/stop" > "$dir/watch.out" <<'PYEOF' &
import os, sys, time
path, stop = sys.argv[1], sys.argv[2]
last, states, reads, bad, back = None, 0, 0, [], []
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    done = os.path.exists(stop)
    try:
        data = open(path, "rb").read()
    except FileNotFoundError:
        data = None
    if data is not None:
        reads += 1
        lines = data.decode("latin-1").split("\n")
        mono = [l.split()[1] for l in lines if l.startswith("mono_ns ")]
        if lines[0] != "tcpdoctor-state 2" or lines[-2:] != ["end", ""] or len(mono) != 1:
            bad.append(data[:80])
        else:
            m = int(mono[0])
            if last is not None and m < last:
                back.append((last, m))
            if m != last:
                states += 1
            last = m if last is None or m > last else last
    if done:
        break
    time.sleep(0.002)
print("reads", reads)
print("states", states)
print("corrupt", len(bad))
print("backwards", len(back))
print("last", last)
PYEOF
watcher=$!
_td_pids+=("$watcher")

pids=()
for wave in 1 2 3 4 5; do
	for i in 1 2 3 4 5 6 7 8; do
		n=$(( (wave - 1) * 8 + i ))
		"$TD_BIN" -N "$ns" check --state-file "$S" -j > "$dir/run$n.json" 2> "$dir/run$n.err" &
		pids+=("$!")
		_td_pids+=("$!")
	done
	sleep 0.6
done
unknown=0 other=0
for p in "${pids[@]}"; do
	wait "$p"
	case $? in 0|1|2) ;; 3) unknown=$((unknown + 1)) ;; *) other=$((other + 1)) ;; esac
done
touch "$dir/stop"
wait "$watcher"
get() { awk -v k="$1" '$1 == k { print $2 }' "$dir/watch.out"; }
diag "watcher: $(tr '\n' ' ' < "$dir/watch.out")"
diag "runs that kept the state (short window): $(grep -l 'less than the 1.000 s' "$dir"/run*.err | wc -l) of 40"
expect_eq "40 runs: none UNKNOWN" "$unknown" 0
expect_eq "40 runs: no other exit status" "$other" 0
check "the watcher read the file many times ($(get reads))" test "$(get reads)" -ge 100
check "several states were saved ($(get states))" test "$(get states)" -ge 3
expect_eq "no corrupt state was ever seen" "$(get corrupt)" 0
expect_eq "the sample time never went back" "$(get backwards)" 0
expect_eq "the last state is the newest seen" "$(awk '$1 == "mono_ns" { print $2 }' "$S")" "$(get last)"
expect_eq "no temporary file left" "$(ls "$dir/st" | sort | tr '\n' ' ')" "state state.lock "
check "no run failed to read the state" sh -c "! grep -l 'error\|cannot' '$dir'/run*.err"
