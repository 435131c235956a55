#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# The recording of `events --record`: what `--from RECORDING events` says
# equals what the live run printed (all of it, and the part up to --at),
# it can be read while written, it rotates by size, it is created 0600 and
# never written through a planted link (not even when rotating), and a
# damaged or foreign file is refused.  Connections between two namespaces
# of ours (198.18.0.1 -> 198.18.0.2).
. "$(dirname "$0")/../lib.sh"
require_root
c=$(mkns rcc) || { not_ok "create namespace"; exit 1; }
s=$(mkns rcs) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip link add "rc$$" netns "$c" type veth peer name "rs$$" netns "$s" || { not_ok "veth"; exit 1; }
ip -n "$c" addr add 198.18.0.1/24 dev "rc$$"
ip -n "$s" addr add 198.18.0.2/24 dev "rs$$"
ip -n "$c" link set "rc$$" up
ip -n "$s" link set "rs$$" up
subscribed() { ip netns exec "$1" awk -v p="$2" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
ip netns exec "$s" "$PY" -c '
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("198.18.0.2", 80)); l.listen(64)
while True:
    c, _ = l.accept(); c.recv(65536); c.sendall(b"y" * 500); c.close()' &
_td_pids+=("$!")
# clients N: N connections, then one refused
clients() {
	ip netns exec "$c" "$PY" - "$1" <<'PYEOF'
import socket, sys, time
for i in range(int(sys.argv[1])):
    s = socket.socket(); s.connect(("198.18.0.2", 80)); s.sendall(b"x" * 100); s.recv(4096); s.close()
    time.sleep(0.01)
s = socket.socket()
try: s.connect(("198.18.0.2", 81))
except OSError: pass
s.close()
PYEOF
}
conns() { grep '"type":"connection"' "$1"; }

# Live with a recording; read it while the run goes on.
ip netns exec "$c" "$TD_BIN" events -j -d 5 --record "$t/rec" > "$t/live.json" 2> "$t/live.err" &
ev=$!
_td_pids+=("$ev")
wait_for 5 subscribed "$c" "$ev" || not_ok "events ready"
clients 12
# The run goes on for seconds: read it meanwhile until the 13 are in (a batch
# is flushed about every 100 ms, a notification held 300 ms for its transitions).
mid() { "$TD_BIN" --from "$t/rec" events -j > "$t/mid.json" 2> "$t/mid.err" &&
	[ "$(conns "$t/mid.json" | wc -l)" -eq 13 ]; }
check "a recording being written can be read, with the connections flushed so far" wait_for 3 mid
check "... while the run still goes on" kill -0 "$ev"
wait "$ev"; rc=$?
expect_eq "events --record exits 0" "$rc" 0
expect_eq "the recording is created with mode 0600" "$(stat -c %a "$t/rec")" 600
check "the recording is zstd" sh -c "head -c 4 '$t/rec' | od -An -tx1 | grep -q '28 b5 2f fd'"
"$TD_BIN" --from "$t/rec" events -j > "$t/replay.json"; rc=$?
expect_eq "--from RECORDING events exits 0" "$rc" 0
if cmp -s "$t/live.json" "$t/replay.json"; then ok "the replay prints exactly what the live run printed"
else not_ok "the replay prints exactly what the live run printed"; diff "$t/live.json" "$t/replay.json" | head -5 | while read -r l; do diag "$l"; done; fi
at=$(conns "$t/live.json" | sed -n 5p | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["time"])')
"$TD_BIN" --from "$t/rec" events -j --at "$at" > "$t/at.json"; rc=$?
expect_eq "--at exits 0" "$rc" 0
if [ "$(conns "$t/at.json")" = "$(conns "$t/live.json" | head -5)" ]; then
	ok "--at TIME: the connections the live run had printed by then"
else not_ok "--at TIME: the connections the live run had printed by then"; fi
# The aggregates at that moment are those of the five connections: every
# connect() to :80 among them (a connection whose transitions the trace lost,
# on a loaded host, has no role and counts in no row: the live run says so too).
expect_eq "--at TIME: the aggregates at that moment" \
    "$(grep '"type":"destination"' "$t/at.json" | "$PY" -c 'import json,sys; print([(d["dport"], d["opened"]) for d in map(json.loads, sys.stdin)])')" \
    "$(conns "$t/live.json" | head -5 | "$PY" -c 'import json,sys
rows = {}
for d in map(json.loads, sys.stdin):
    if d["role"] == "connect":
        rows[d["dport"]] = rows.get(d["dport"], 0) + 1
print(list(rows.items()))')"
"$TD_BIN" --from "$t/rec" events dport = :81 > "$t/table.out"; rc=$?
expect_eq "a filtered table from the recording exits 0" "$rc" 0
check "... shows the refused connect and its aggregate" grep -q "198.18.0.2:81 .* 1 \+0 \+1 " "$t/table.out"
check "the ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=events_line "$t/live.json"

# Rotation by size: two files at most, the replay is the newest part of the run.
# Three bursts a second apart make at least three frames: 150 connections in
# one frame compress below 4096 bytes (seen under the sanitizers, loaded).
ip netns exec "$c" "$TD_BIN" events -j -d 8 --record "$t/rot" --record-size 4096 > "$t/rot.json" 2> "$t/rot.err" &
ev=$!
_td_pids+=("$ev")
wait_for 5 subscribed "$c" "$ev" || not_ok "events ready (rotation)"
clients 50; sleep 1; clients 50; sleep 1; clients 50
wait "$ev"; rc=$?
expect_eq "events with a small --record-size exits 0" "$rc" 0
if [ -f "$t/rot.1" ]; then ok "rotated to FILE.1"; else
	not_ok "rotated to FILE.1"; diag "$(ls -l "$t"/rot*)"; fi
"$TD_BIN" --from "$t/rot" events -j > "$t/rot-replay.json"; rc=$?
expect_eq "a rotated recording replays (exit 0)" "$rc" 0
n=$(conns "$t/rot-replay.json" | wc -l)
if [ "$n" -gt 0 ] && [ "$(conns "$t/rot-replay.json")" = "$(conns "$t/rot.json" | tail -n "$n")" ]; then
	ok "FILE.1 then FILE: the newest $n connections, in order"
else not_ok "FILE.1 then FILE: the newest connections, in order"; diag "replayed $n"; fi

# Planted links: neither the recording nor its rotation writes through one.
echo keep > "$t/victim"
ln -s "$t/victim" "$t/planted"
ip netns exec "$c" "$TD_BIN" events -d 1 --record "$t/planted" > /dev/null 2> "$t/planted.err"; rc=$?
expect_eq "a planted link as --record: exit 73" "$rc" 73
ln -s "$t/victim" "$t/rot2.1"
ip netns exec "$c" "$TD_BIN" events -d 4 --record "$t/rot2" --record-size 4096 > /dev/null 2> "$t/rot2.err" &
ev=$!
_td_pids+=("$ev")
wait_for 5 subscribed "$c" "$ev" || not_ok "events ready (planted rotation)"
clients 100
wait "$ev"; rc=$?
expect_eq "rotating onto a planted link: exit 73" "$rc" 73
check "... says why" grep -q "record '.*rot2.1'" "$t/rot2.err"
expect_eq "the link's target is untouched" "$(cat "$t/victim")" keep

# Foreign and damaged input, bad options.
"$TD_BIN" snapshot -o "$t/snap.json" 2>/dev/null
"$TD_BIN" --from "$t/snap.json" events > /dev/null 2> "$t/e1"; rc=$?
expect_eq "a snapshot is not a recording: exit 65" "$rc" 65
head -c 40 "$t/rec" > "$t/cut"
printf '\x28\xb5\x2f\xfd garbage garbage garbage' > "$t/bad"
"$TD_BIN" --from "$t/bad" events > /dev/null 2> "$t/e2"; rc=$?
expect_eq "a damaged recording: exit 65" "$rc" 65
check "... named in one line" grep -q "recording '.*bad': " "$t/e2"
"$TD_BIN" --from "$t/cut" events -j > /dev/null 2> "$t/e3"; rc=$?
expect_eq "a recording cut inside a frame replays what is complete (exit 0)" "$rc" 0
check "... and says it was cut" grep -q "ends in the middle of a batch" "$t/e3"
"$TD_BIN" --from "$t/missing" events > /dev/null 2>&1; rc=$?
expect_eq "a missing recording: exit 66" "$rc" 66
"$TD_BIN" events --at 2026-01-01T00:00:00Z > /dev/null 2>&1; rc=$?
expect_eq "--at without --from: exit 64" "$rc" 64
"$TD_BIN" --from "$t/rec" events --record "$t/x" > /dev/null 2>&1; rc=$?
expect_eq "--record with --from: exit 64" "$rc" 64
"$TD_BIN" --from "$t/rec" events --at yesterday > /dev/null 2>&1; rc=$?
expect_eq "a bad --at: exit 64" "$rc" 64
