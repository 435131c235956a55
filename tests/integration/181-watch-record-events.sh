#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch --record keeps the connections that came and went between two
# samples.  In a namespace of ours (198.18.181.1 on its lo, an address
# only this test uses), right after a sample: 30 short connections to a
# server that answers and closes (healthy), 8 to a server that closes
# with our 100 bytes unread (a RST: they die young), and 10 connects to a
# port nobody listens on (refused).  watch -j --connections prints each
# one before the sample, as events -j prints it; the recording must carry
# every one with its nanosecond time, and:
#  - watch --from RECORDING -j --connections prints the live lines byte
#    for byte (the connections where they came), -j alone the samples;
#  - --from RECORDING check --at each sample reports what watch reported
#    live for it (failed_connects.refused, lifetimes.die_young);
#  - check --events RECORDING reads the watch recording as it reads an
#    events recording (the refused destination).
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
t=$(tmpdir)
ns=$(mkns wre) || { not_ok "create namespace"; exit 1; }
ip -n "$ns" addr add 198.18.181.1/32 dev lo || { not_ok "address"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, threading
def serve(port, answer):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("198.18.181.1", port)); l.listen(512)
    while True:
        c, _ = l.accept()
        if answer:
            n = 0
            while n < 100:
                b = c.recv(100 - n)
                if not b: break
                n += len(b)
            c.sendall(b"y" * 50)
        else:
            import time; time.sleep(0.05)    # our 100 bytes arrive, unread
        c.close()
threading.Thread(target=serve, args=(9281, True), daemon=True).start()
threading.Thread(target=serve, args=(9283, False), daemon=True).start()
open(sys.argv[1], "w").write("ready")
threading.Event().wait()
' "$t/ready"
wait_for 10 test -s "$t/ready" || { not_ok "servers ready"; exit 1; }

"$TD_BIN" -N "$ns" watch -j -i 2 -n 4 --connections --record "$t/rec" > "$t/live" 2> "$t/live.err" &
wpid=$!
_td_pids+=("$wpid")
wait_for 15 test -s "$t/live" || { not_ok "the first sample"; sed 's/^/# /' "$t/live.err"; exit 1; }
ip netns exec "$ns" "$PY" -c '
import socket, time
for i in range(30):
    c = socket.create_connection(("198.18.181.1", 9281)); c.sendall(b"x" * 100)
    n = 0
    while n < 50:
        b = c.recv(50 - n)
        if not b: break
        n += len(b)
    c.close()
for i in range(8):
    c = socket.create_connection(("198.18.181.1", 9283)); c.sendall(b"x" * 100)
    try:
        while c.recv(100): pass
    except OSError: pass
    c.close()
for i in range(10):
    try: socket.create_connection(("198.18.181.1", 9282))
    except OSError: pass
' || not_ok "the burst"
wait "$wpid"
expect_eq "watch --connections --record exits 0" "$?" 0
sed 's/^/# /' "$t/live.err"

"$PY" - "$t/live" "$t/rec" > "$t/facts" <<'PYEOF'
import json, subprocess, sys
live = [json.loads(l) for l in open(sys.argv[1])]
samples = [r for r in live if r.get("command") == "watch"]
conns = [r for r in live if r.get("type") == "connection"]
print("samples", len(samples))
ev = samples[-1]["events"]
print("available", int(all(s["events"]["available"] for s in samples)))
print("traced", int(all(s["events"].get("traced") for s in samples)))
print("lost", sum(s["events"]["lost_notifications"] + (s["events"]["lost_transitions"] or 0) for s in samples))
print("ended", ev["run"]["connections"])
print("lines", len(conns))
mine = [c for c in conns if c["dst"] == "198.18.181.1" or c["src"] == "198.18.181.1"]
def n(port, role, outcome):
    return len([c for c in mine if c["dport" if role == "connect" else "sport"] == port and c["role"] == role and c["outcome"] == outcome])
print("healthy", n(9281, "connect", "closed"), n(9281, "accept", "closed"))
print("refused", n(9282, "connect", "refused"))
print("reset", n(9283, "connect", "reset"))
# Each line comes before the sample of its interval: no connection of the
# burst is printed before the first sample.
first = next(i for i, r in enumerate(live) if r.get("command") == "watch")
print("order", int(all(r.get("command") == "watch" for r in live[:first + 1])))
# The recording: every connection, with its time to the nanosecond.
out = subprocess.run(["zstdcat", sys.argv[2]], capture_output=True, text=True).stdout
rec = [json.loads(l) for l in out.splitlines()]
evs = [r for r in rec if r["type"] == "event"]
print("recorded", len(evs))
import re
ns9 = all(re.fullmatch(r".*T\d\d:\d\d:\d\d\.\d{9}Z", r["time"]) for r in evs)
# The record's own time (microseconds) is the nanosecond time, cut.
same = all(r["time"][:26] == r["event"]["time"][:26] for r in evs)
print("ns", int(ns9 and same and len(evs) > 0))
print("equal", int([r["event"] for r in evs] == conns))
# Each sample's exact time is the recording's (the line has the second).
times = [r["time"] for r in rec if r["type"] == "sample"]
for t, s in zip(times, samples):
    print("findings", t, " ".join(sorted(f["id"] + "@" + f.get("subject", "") for f in s["findings"])) or "-")
PYEOF
sed 's/^/# /' "$t/facts"
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$t/facts"; }
expect_eq "4 samples" "$(get samples)" 4
expect_eq "the events are available (root)" "$(get available)" 1
expect_eq "one line per connection that ended" "$(get lines)" "$(get ended)"
expect_eq "the burst's 96 sockets ended (30 x 2 healthy, 8 x 2 reset, 10 refused, and whatever else the namespace had)" \
	"$(( $(get ended) + $(get lost) >= 86 ))" 1
if [ "$(get traced)" = 1 ] && [ "$(get lost)" = 0 ]; then
	expect_eq "30 healthy connections, each side" "$(get healthy)" "30 30"
	expect_eq "10 refused connects" "$(get refused)" 10
	expect_eq "8 connections reset by the peer that left our bytes unread" "$(get reset)" 8
else
	diag "untraced or lost events: per-connection outcomes not compared"
fi
expect_eq "no connection line before the first sample" "$(get order)" 1
expect_eq "every connection printed is recorded" "$(get recorded)" "$(get lines)"
expect_eq "recorded with its nanosecond time, the record's own time to the microsecond" "$(get ns)" 1
expect_eq "the recorded records are the printed ones" "$(get equal)" 1
check "live: the refused destination is reported" grep -q "failed_connects.refused@198.18.181.1:9282" "$t/facts"
check "live: the connections that die young are reported" grep -q "lifetimes.die_young@198.18.181.1:9283" "$t/facts"

# Playback: byte for byte, the connections where they came.
"$TD_BIN" --from "$t/rec" watch -j --connections > "$t/play"
expect_eq "watch --from -j --connections exits 0" "$?" 0
if cmp -s "$t/live" "$t/play"; then ok "playback -j --connections prints the live lines byte for byte"
else not_ok "playback -j --connections prints the live lines byte for byte"; diff "$t/live" "$t/play" | head -4 | while read -r l; do diag "$l"; done; fi
"$TD_BIN" --from "$t/rec" watch -j > "$t/play.samples"
if grep -v '"type":"connection"' "$t/live" | cmp -s - "$t/play.samples"; then ok "playback -j: the sample lines alone, as before"
else not_ok "playback -j: the sample lines alone, as before"; fi
"$TD_BIN" --from "$t/rec" watch --connections --speed 0 > "$t/play.table"
expect_eq "table playback: a row under '  ~ ' per connection" "$(grep -c '^  ~ ' "$t/play.table")" "$(get lines)"
check "table playback: a refused connect, as events prints it" grep -qE '^  ~ .*198\.18\.181\.1:9282 +connect +refused' "$t/play.table"

# check --at each sample of the recording: what watch reported live then.
bad=0
while read -r _ at want; do
	got=$("$TD_BIN" --from "$t/rec" check -j --at "$at" 2>/dev/null | "$PY" -c '
import json, sys
print(" ".join(sorted(f["id"] + "@" + f.get("subject", "") for f in json.load(sys.stdin)["findings"])) or "-")')
	[ "$got" = "$want" ] || { bad=$((bad + 1)); diag "at $at: live '$want', check '$got'"; }
done < <(grep '^findings ' "$t/facts")
expect_eq "--from RECORDING check --at each sample: the live findings, events included (samples that differ)" "$bad" 0

# check --events reads the watch recording's connections.
"$TD_BIN" -N "$ns" check -j --only failed_connects --events "$t/rec" > "$t/ce" 2> "$t/ce.err"
check "check --events WATCH-RECORDING: the refused destination" "$PY" -c '
import json, sys
f = json.load(open(sys.argv[1]))["findings"]
sys.exit(not any(x["id"] == "failed_connects.refused" and x.get("subject") == "198.18.181.1:9282" for x in f))' "$t/ce"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "the schema accepts the recording's records, events included" sh -c "zstdcat '$t/rec' | '$PY' '$TD_SRCDIR/tests/helpers/validate.py' --ndjson=record_watch /dev/stdin"
fi

# The table playback has the live table's event columns, from the recorded counts.
check "table playback: the events' columns in the header" grep -q "conns refusd  tmout rstest   lost  findings" "$t/play.table"
conns=$(awk '/^time / { for (i = 1; i <= NF; i++) if ($i == "conns") c = i } /^[0-9][0-9]:/ && c { s += $c } END { print s + 0 }' "$t/play.table")
expect_eq "table playback: the conns column adds up to the connections that ended" "$conns" "$(get ended)"
