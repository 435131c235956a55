#!/bin/bash
# SPDX-License-Identifier: MIT
# check --state-file: deltas between cron runs.  A connect loop to a closed
# port between two runs gives resets.storm with the kernel's exact counter
# deltas; a CLOSE_WAIT socket seen in both runs gets its age; the same
# state file read from another namespace gives no delta; a held lock is
# waited for; a corrupt state file is UNKNOWN.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
mkns st >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-st
mkns st2 >/dev/null || { not_ok "create a second network namespace"; exit 1; }
ns2=td-$$-st2
state="$dir/state"
snmp() { ip netns exec "$1" awk -v k="$2" '/^Tcp:/ { if (!h) { split($0, n); h = 1 } else { split($0, v); for (i in n) if (n[i] == k) print v[i] } }' /proc/net/snmp; }

bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 9300)); l.listen(8)
c = socket.create_connection(("127.0.0.1", 9300)); s, _ = l.accept(); c.close()
time.sleep(0.2); open(sys.argv[1], "w").write("ready"); time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }

rst0=$(snmp "$ns" OutRsts); fail0=$(snmp "$ns" AttemptFails)
"$TD_BIN" -N "$ns" check --state-file "$state" -j > "$dir/run1.json"
expect_eq "first run exits 0" "$?" 0
check "state file written" test -s "$state"
expect_eq "first run: no interval" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["interval_s"])' "$dir/run1.json")" None

ip netns exec "$ns" "$PY" -c '
import socket
for i in range(500):
    s = socket.socket()
    try: s.connect(("127.0.0.1", 9))     # nothing listens: RST, ECONNREFUSED
    except ConnectionRefusedError: pass
    s.close()
'
sleep 2
rst1=$(snmp "$ns" OutRsts); fail1=$(snmp "$ns" AttemptFails)
"$TD_BIN" -N "$ns" check --state-file "$state" --set resets.warning=10 --set close_wait.age=1 -j > "$dir/run2.json"
expect_eq "second run exits 1 (warning)" "$?" 1
"$PY" - "$dir/run2.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("interval", d["interval_s"] is not None and d["interval_s"] >= 2)
for f in d["findings"]:
    for k, v in f["evidence"].items(): print(f["id"] + "." + k, v)
    print(f["id"], f["severity"])
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "interval known (>= 2 s)" "$(get interval)" True
expect_eq "resets.storm" "$(get resets.storm)" warning
expect_eq "OutRsts delta = kernel" "$(get resets.storm.out_rsts)" "$((rst1 - rst0))"
expect_eq "AttemptFails delta = kernel" "$(get resets.storm.attempt_fails)" "$((fail1 - fail0))"
check "500 refused connects counted" test "$(get resets.storm.attempt_fails)" -ge 500
expect_eq "CLOSE_WAIT aged across runs" "$(get close_wait.leak)" warning
check "age >= 2 s ($(get close_wait.leak.oldest_age_s))" test "$(get close_wait.leak.oldest_age_s)" -ge 2
expect_eq "growth 0" "$(get close_wait.leak.growth)" 0

# The same file from another namespace: no delta, never a bogus rate.
"$TD_BIN" -N "$ns2" check --state-file "$state" -j > "$dir/run3.json"
expect_eq "other namespace: exit 0" "$?" 0
expect_eq "other namespace: no interval" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["interval_s"])' "$dir/run3.json")" None

# A run waits for the lock another run holds.
flock "$state.lock" sleep 2 &
lockpid=$!
sleep 0.3
start=$(date +%s%N)
"$TD_BIN" -N "$ns2" check --state-file "$state" > /dev/null
rc=$?
waited=$(( ($(date +%s%N) - start) / 1000000 ))
wait "$lockpid"
expect_eq "locked run succeeds" "$rc" 0
check "it waited for the lock (${waited} ms)" test "$waited" -ge 1500

echo "garbage" > "$dir/bad"
"$TD_BIN" -N "$ns" check --state-file "$dir/bad" 2> "$dir/err"
expect_eq "corrupt state file: exit 3" "$?" 3
check "says which file" grep -q "state file '$dir/bad': line 1: not a tcpdoctor state file" "$dir/err"
