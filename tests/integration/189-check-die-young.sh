#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# check --events: the lifetimes analyzer judges what a running
# `events --record` recorded, as watch judges each interval
# (lifetimes.die_young).  One namespace of ours (198.18.189.1 on lo):
# port 9891 listens on the wildcard address and closes every connection
# it accepts with the client's bytes unread, so tcp_close() sends a RST
# (tcp_close(): data was lost, TCP_ABORT_ON_CLOSE) a few ms after the
# handshake; port 9892 reads to the end and closes cleanly (FIN both ways),
# the healthy service.  7 connections each: both ends of the resetting
# ones die young (the accepting side resets, the connecting side receives
# the RST), so check reports the listener 0.0.0.0:9891 (the wildcard row,
# as watch names it) and the destination 198.18.189.1:9891 with 7 of 7;
# 9892 is not reported.  A cron-style check --state-file reports them
# once, and nothing on a second run with nothing new.
. "$(dirname "$0")/../lib.sh"
require_root
require_state_tracepoint "lifetimes"
ns=$(mkns dy) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip -n "$ns" addr add 198.18.189.1/32 dev lo || { not_ok "address"; exit 1; }

bg ip netns exec "$ns" "$PY" -c '
import socket, threading
def listener(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("0.0.0.0", port)); l.listen(64); return l
def resets(l):
    while True:
        a, _ = l.accept()
        a.recv(1, socket.MSG_PEEK)	# the bytes are there, unread: close() resets
        a.close()
def clean(l):
    while True:
        a, _ = l.accept()
        while a.recv(65536): pass
        a.close()
threading.Thread(target=resets, args=(listener(9891),), daemon=True).start()
clean(listener(9892))'
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :9892' | grep -q LISTEN" || { not_ok "servers listening"; exit 1; }

subscribed() { ip netns exec "$ns" awk -v p="$1" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
traced() { grep -qs 1 /sys/kernel/tracing/instances/tcpdoctor-"$1"-*/events/sock/inet_sock_set_state/enable; }
"$TD_BIN" -N "$ns" events -j -d 20 --record "$t/rec" > "$t/live" 2> "$t/live.err" &
ev=$!
_td_pids+=("$ev")
wait_for 5 subscribed "$ev" && wait_for 5 traced "$ev" || not_ok "events ready"

# clients PORT N: N connections one after the other, each sending 100 bytes.
clients() {
	ip netns exec "$ns" "$PY" - "$@" <<'PYEOF'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
for i in range(n):
    s = socket.socket(); s.settimeout(3)
    s.connect(("198.18.189.1", port)); s.sendall(b"x" * 100)
    try:
        if port == 9892: s.shutdown(socket.SHUT_WR)
        while s.recv(65536): pass
    except OSError as e:
        print("reset" if isinstance(e, ConnectionResetError) else repr(e))
    s.close()
PYEOF
}
resets=$(clients 9891 7 | grep -c '^reset$')
clients 9892 7 > "$t/clean.out"
expect_eq "the 7 clients of 9891 were reset" "$resets" 7
expect_eq "the 7 clients of 9892 ended cleanly" "$(cat "$t/clean.out")" ""

# dy FILE: the lifetimes findings of a check -j document, one a line.
dy() {
	"$PY" - "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    if f["id"].startswith("lifetimes."):
        ev = f["evidence"]
        side = "listener" if "listener" in ev else "destination"
        print(f["id"], f["subject"], f["severity"], side, ev.get("established"), ev.get("died_young"),
              ev.get("reset"), ev.get("young_ms"), " ".join(r["key"] for r in f["recommendations"]))
PYEOF
}
# Both ends recorded (a notification is held 300 ms for its transitions, a batch 100 ms).
both() { "$TD_BIN" -N "$ns" check -j --events "$t/rec" > "$t/c1" 2> "$t/c1.err"; dy "$t/c1" > "$t/f1"
	[ "$(grep -c '^lifetimes.die_young .* 7 7 7 ' "$t/f1")" -eq 2 ]; }
check "check --events: the service whose connections die young, while events still records" wait_for 5 both
while read -r l; do diag "$l"; done < "$t/f1"
check "listener 0.0.0.0:9891: 7 of 7 died young, the service's fix" \
    grep -qx "lifetimes.die_young 0.0.0.0:9891 warning listener 7 7 7 1000 service" "$t/f1"
check "destination 198.18.189.1:9891: 7 of 7 died young" \
    grep -qx "lifetimes.die_young 198.18.189.1:9891 warning destination 7 7 7 1000 service" "$t/f1"
check "the healthy service (9892) is not reported" sh -c "! grep -q ':9892' '$t/f1'"
check "nothing else" sh -c "[ \$(wc -l < '$t/f1') -eq 2 ]"
check "the summary says why" grep -q "7 of 7 connections accepted by 0.0.0.0:9891 were reset within 1000 ms of their start" "$t/c1"
"$TD_BIN" -N "$ns" check --events "$t/rec" > /dev/null 2>&1
expect_eq "check exits 1 (warning)" "$?" 1
"$TD_BIN" -N "$ns" check -j --only lifetimes --events "$t/rec" > "$t/only" 2>/dev/null
check "--only lifetimes --events: the same two" sh -c "[ \$(grep -c '\"lifetimes.die_young\"' '$t/only') -eq 2 ]"
check "check without --events reports no lifetimes finding" sh -c "! '$TD_BIN' -N '$ns' check -j | grep -q lifetimes"

# Cron: each run reports what was recorded since the previous one.
"$TD_BIN" -N "$ns" check -j --state-file "$t/state" --events "$t/rec" > "$t/s1" 2>/dev/null
dy "$t/s1" > "$t/fs1"
expect_eq "first cron run: both, 7 of 7" "$(grep -c ' 7 7 7 1000 ' "$t/fs1")" 2
sleep 1.2
"$TD_BIN" -N "$ns" check -j --state-file "$t/state" --events "$t/rec" > "$t/s2" 2>/dev/null
expect_eq "second run, nothing new: nothing reported (exit 0)" "$?" 0
check "... no lifetimes finding" sh -c "! grep -q lifetimes '$t/s2'"
kill "$ev"; wait "$ev" 2>/dev/null

# events itself says so at its end, as it says which destinations refuse:
# the same findings (one path: analyzer_events_findings), in its NDJSON
# and, played back from its recording, in its table.
"$PY" - "$t/live" > "$t/evf" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    f = json.loads(line)
    if f.get("type") == "finding" and f["id"].startswith("lifetimes."):
        ev = f["evidence"]
        side = "listener" if "listener" in ev else "destination"
        print(f["id"], f["subject"], f["severity"], side, ev.get("established"), ev.get("died_young"),
              ev.get("reset"), ev.get("young_ms"), " ".join(r["key"] for r in f["recommendations"]))
PYEOF
while read -r l; do diag "events: $l"; done < "$t/evf"
check "events -j ends with the listener 0.0.0.0:9891: 7 of 7 died young" \
    grep -qx "lifetimes.die_young 0.0.0.0:9891 warning listener 7 7 7 1000 service" "$t/evf"
check "... and the destination 198.18.189.1:9891" \
    grep -qx "lifetimes.die_young 198.18.189.1:9891 warning destination 7 7 7 1000 service" "$t/evf"
check "... and nothing else of lifetimes (not 9892)" sh -c "[ \$(wc -l < '$t/evf') -eq 2 ]"
"$TD_BIN" --from "$t/rec" events > "$t/play" 2> "$t/play.err"
expect_eq "events played back from its recording exits 0" "$?" 0
check "its table lists both under Findings" sh -c "grep -q '^Findings:' '$t/play' &&
    [ \$(grep -c '^  warning lifetimes.die_young: 7 of 7 connections' '$t/play') -eq 2 ]"
check "... with the fix" grep -q "fix (app service): the service at 0.0.0.0:9891 resets" "$t/play"

# Where it is documented, and asked for without its events.
check "check --help lists lifetimes" sh -c "'$TD_BIN' check --help | grep -q 'failed_connects lifetimes'"
check "explain lifetimes.die_young" sh -c "'$TD_BIN' explain lifetimes.die_young | grep -q 'within 1000 ms'"
"$TD_BIN" check --only lifetimes > /dev/null 2> "$t/only.err"
expect_eq "--only lifetimes without --events: UNKNOWN (3), not a blind OK" "$?" 3
check "... says what it needs" grep -q "lifetimes judges recorded connection events: give --events RECORDING" "$t/only.err"
