#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# check --events: the failed_connects analyzer judges what a running
# `events --record` recorded.  Two namespaces of ours over a veth
# (198.18.0.1 client, 198.18.0.2 and .3 server; no default route): port 81
# of .2 has no listener (refused: a RST answers the SYN); .3 is
# black-holed by a policy route inside the server namespace (its SYN-ACKs
# go to a blackhole route, so the client's SYNs are never answered and
# connect() times out after tcp_syn_retries=1, about 3 s); port 80 of .2
# accepts (the healthy destination, never reported).  A cron-style
# check --state-file reports what was recorded since its previous run
# only: nothing new is nothing reported, new refusals are reported again.
. "$(dirname "$0")/../lib.sh"
require_root
c=$(mkns fcc) || { not_ok "create namespace"; exit 1; }
s=$(mkns fcs) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip link add "fc$$" netns "$c" type veth peer name "fs$$" netns "$s" || { not_ok "veth"; exit 1; }
ip -n "$c" addr add 198.18.0.1/24 dev "fc$$"
ip -n "$s" addr add 198.18.0.2/24 dev "fs$$"
ip -n "$s" addr add 198.18.0.3/24 dev "fs$$"
ip -n "$c" link set "fc$$" up
ip -n "$s" link set "fs$$" up
# The black hole: whatever .3 sends (its SYN-ACKs) is routed to a blackhole.
ip -n "$s" rule add from 198.18.0.3 table 100 || { not_ok "policy rule"; exit 1; }
ip -n "$s" route add blackhole default table 100 || { not_ok "blackhole route"; exit 1; }
ip netns exec "$c" sysctl -qw net.ipv4.tcp_syn_retries=1 || { not_ok "tcp_syn_retries in the namespace"; exit 1; }
bg ip netns exec "$s" "$PY" -c '
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 80)); l.listen(64)
while True:
    a, _ = l.accept(); a.close()'
wait_for 10 sh -c "ip netns exec $s ss -ltnH 'sport = :80' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }
subscribed() { ip netns exec "$1" awk '$2 == 4 && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
# connects HOST PORT N: N attempts, in parallel, each with its outcome.
connects() {
	ip netns exec "$c" "$PY" - "$@" <<'PYEOF'
import socket, sys, threading
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def one():
    s = socket.socket()
    try: s.connect((host, port))
    except OSError: pass
    s.close()
ts = [threading.Thread(target=one) for i in range(n)]
for x in ts: x.start()
for x in ts: x.join()
PYEOF
}

"$TD_BIN" -N "$c" events -j -d 25 --record "$t/rec" > "$t/live" 2> "$t/live.err" &
ev=$!
_td_pids+=("$ev")
wait_for 5 subscribed "$c" || not_ok "events ready"
connects 198.18.0.2 81 5		# refused
connects 198.18.0.3 80 4		# timed out (about 3 s)
connects 198.18.0.2 80 3		# fine
# fc FILE: the failed_connects findings of a check -j document, one a line.
fc() {
	"$PY" - "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    if f["id"].startswith("failed_connects."):
        ev = f["evidence"]
        print(f["id"], f["subject"], f["severity"], ev.get("attempts"), ev.get("refused"),
              ev.get("timed_out"), " ".join(r["key"] for r in f["recommendations"]))
PYEOF
}
# Both failures recorded (a notification is held 300 ms for its transitions, a batch 100 ms).
both() { "$TD_BIN" -N "$c" check -j --events "$t/rec" > "$t/c1" 2> "$t/c1.err"; fc "$t/c1" > "$t/f1"
	grep -q "^failed_connects.refused" "$t/f1" && grep -q "^failed_connects.timed_out" "$t/f1"; }
check "check --events: both failing destinations, while events still records" wait_for 5 both
while read -r l; do diag "$l"; done < "$t/f1"
# A refused connect() clears its destination port (tcp_disconnect()); events takes it
# from the trace, which a host busy with other sockets can overflow: then the
# destination is the address alone.
check "198.18.0.2:81: refused, 5 of 5, the service's fix" grep -qE "^failed_connects.refused 198.18.0.2(:81)? warning 5 5 0 service retries$" "$t/f1"
if ! grep -qE "^failed_connects.refused 198.18.0.2(:81)? warning 5 5 0 service retries$" "$t/f1"; then
	zstdcat "$t"/rec* 2>/dev/null | grep '"connection"' | grep -v '"198.18.0.3"' | while read -r l; do diag "recorded: $l"; done
	while read -r l; do diag "live stderr: $l"; done < "$t/live.err"
fi
check "198.18.0.3:80: timed out, 4 of 4, the path's fix" grep -q "^failed_connects.timed_out 198.18.0.3:80 warning 4 0 4 path connect() timeout$" "$t/f1"
check "the healthy destination is not reported" sh -c "! grep -q '198.18.0.2:80 ' '$t/f1'"
check "the timeout quoted is the recorded one (tcp_syn_retries=1: 3 s)" grep -q "each attempt held its caller for 3 s" "$t/c1"
"$TD_BIN" -N "$c" check --events "$t/rec" > /dev/null 2>&1
expect_eq "check exits 1 (warning)" "$?" 1
check "check without --events reports no failed connect" sh -c "! '$TD_BIN' -N '$c' check -j | grep -q failed_connects"

# Cron: each run reports what was recorded since the previous one.
"$TD_BIN" -N "$c" check -j --state-file "$t/state" --events "$t/rec" > "$t/s1" 2>/dev/null
check "first cron run: the refusals" grep -q '"failed_connects.refused"' "$t/s1"
sleep 1.2
"$TD_BIN" -N "$c" check -j --state-file "$t/state" --events "$t/rec" > "$t/s2" 2>/dev/null
check "second run, nothing new: nothing reported" sh -c "! grep -q failed_connects '$t/s2'"
sleep 1.2
connects 198.18.0.2 81 3
refused() { awk '$1 == "failed_connects.refused" && $2 ~ /^198\.18\.0\.2(:81)?$/ {n += $5} END {print n + 0}' "$1"; }
again() { "$TD_BIN" -N "$c" check -j --events "$t/rec" > "$t/probe" 2>/dev/null; fc "$t/probe" > "$t/fp"; [ "$(refused "$t/fp")" -eq 8 ]; }
wait_for 5 again || not_ok "the new refusals reached the recording"
"$TD_BIN" -N "$c" check -j --state-file "$t/state" --events "$t/rec" > "$t/s3" 2>/dev/null
fc "$t/s3" > "$t/f3"
while read -r l; do diag "third: $l"; done < "$t/f3"
expect_eq "third run: the 3 new refusals only" "$(refused "$t/f3")" 3
check "... and nothing else" sh -c "! grep -v '^failed_connects.refused 198.18.0.2' '$t/f3'"
kill "$ev"; wait "$ev" 2>/dev/null

# Where it is documented.
check "check --help lists failed_connects" sh -c "'$TD_BIN' check --help | grep -q failed_connects"
check "explain failed_connects.timed_out" sh -c "'$TD_BIN' explain failed_connects.timed_out | grep -q 'tcp_syn_retries'"
"$TD_BIN" check --only failed_connects > /dev/null 2> "$t/only.err"
expect_eq "--only failed_connects without --events: UNKNOWN (3), not a blind OK" "$?" 3
check "... says what it needs" grep -q "give --events RECORDING" "$t/only.err"
"$TD_BIN" check --events "$t/missing" > /dev/null 2>&1
expect_eq "a missing --events recording: UNKNOWN (3)" "$?" 3
echo '{}' > "$t/notrec"
"$TD_BIN" check --events "$t/notrec" > /dev/null 2> "$t/nr.err"
expect_eq "--events that is not a recording: UNKNOWN (3)" "$?" 3
check "... said in one line naming it" grep -q "events '.*notrec' is not a recording" "$t/nr.err"
