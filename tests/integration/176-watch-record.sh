#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch --record round trip: a CLOSE_WAIT leak that grows and then ends,
# in a namespace of ours (loopback).  A server accepts and never closes
# (its clients close: CLOSE_WAIT piles up, 3 every 0.4 s), then closes
# them all.  watch -j samples every 0.5 s and records; then, for every
# sample, what --from RECORDING summary, ls and check say --at that
# sample's time must equal what the live line said (states, socket count,
# findings), and watch --from RECORDING -j must print the live lines
# byte for byte.
. "$(dirname "$0")/../lib.sh"
require_root
t=$(tmpdir)
ns=$(mkns wr) || { not_ok "create namespace"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 8080)); l.listen(128)
time.sleep(1.2)
kept, cl = [], []
for i in range(8):                       # the leak grows
    for j in range(3):
        c = socket.create_connection(("127.0.0.1", 8080)); kept.append(l.accept()[0]); c.close()
    time.sleep(0.4)
time.sleep(1.5)
for s in kept: s.close()                 # and ends
time.sleep(600)'
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }
"$TD_BIN" -N "$ns" watch -j -i 0.5 -n 16 --record "$t/rec" > "$t/live" 2> "$t/live.err"
expect_eq "watch --record exits 0" "$?" 0
expect_eq "the recording is created with mode 0600" "$(stat -c %a "$t/rec")" 600
expect_eq "16 samples printed" "$(wc -l < "$t/live")" 16
check "the leak was seen: a close_wait finding started" grep -q '"new":\["close_wait' "$t/live"
check "... and cleared" grep -q '"cleared":\["close_wait' "$t/live"

# The exact time of every sample, as recorded.
zstdcat "$t/rec" | "$PY" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["type"] == "sample": print(r["time"])' > "$t/times"
expect_eq "16 samples recorded" "$(wc -l < "$t/times")" 16

# For every sample: summary, ls and check --at its time against the live line.
k=0; bad_sum=0; bad_ls=0; bad_check=0; bad_note=0
while read -r at; do
	k=$((k + 1))
	sed -n "${k}p" "$t/live" > "$t/line"
	"$TD_BIN" --from "$t/rec" summary -j --at "$at" > "$t/sum" 2> "$t/sum.err" || bad_sum=$((bad_sum + 1))
	grep -q "sample $k of 16, taken at $at" "$t/sum.err" || bad_note=$((bad_note + 1))
	"$TD_BIN" --from "$t/rec" ls -j --at "$at" > "$t/ls" 2>/dev/null || bad_ls=$((bad_ls + 1))
	"$TD_BIN" --from "$t/rec" check -j --at "$at" > "$t/check" 2>/dev/null
	"$PY" - "$t/line" "$t/sum" "$t/ls" "$t/check" > "$t/cmp" <<'PYEOF'
import json, sys
live = json.load(open(sys.argv[1]))
summ = json.load(open(sys.argv[2]))
ls = json.load(open(sys.argv[3]))
chk = json.load(open(sys.argv[4]))
states = {k: v["total"] for k, v in summ["states"].items()}
lstates = {k: v for k, v in live["states"].items() if k in states}
print("sum", int(states == lstates))
n = {}
for s in ls["sockets"]:
    n[s["state"]] = n.get(s["state"], 0) + 1
print("ls", int(len(ls["sockets"]) == live["sockets"] and
                all(n.get(k, 0) == v for k, v in live["states"].items())))
key = lambda f: (f["id"], f.get("subject", ""))
print("check", int(sorted(map(key, chk["findings"])) == sorted(map(key, live["findings"]))))
PYEOF
	grep -q "sum 1" "$t/cmp" || bad_sum=$((bad_sum + 1))
	grep -q "ls 1" "$t/cmp" || bad_ls=$((bad_ls + 1))
	grep -q "check 1" "$t/cmp" || { bad_check=$((bad_check + 1)); diag "sample $k: check differs"; }
done < "$t/times"
expect_eq "summary --at each sample: the live states (samples that differ)" "$bad_sum" 0
expect_eq "ls --at each sample: the live sockets per state (samples that differ)" "$bad_ls" 0
expect_eq "check --at each sample: the live findings (samples that differ)" "$bad_check" 0
expect_eq "each answer names the sample it used (samples that do not)" "$bad_note" 0

# Relative time and the default (the last sample).
"$TD_BIN" --from "$t/rec" ls --at +0.1s > /dev/null 2> "$t/rel.err"
check "--at +0.1s is the first sample" grep -q "sample 1 of 16" "$t/rel.err"
"$TD_BIN" --from "$t/rec" summary > /dev/null 2> "$t/last.err"
check "no --at: the last sample, said" grep -q "sample 16 of 16, taken at $(tail -1 "$t/times")" "$t/last.err"

# Playback: byte for byte with -j; the table has the finding's start.
"$TD_BIN" --from "$t/rec" watch -j > "$t/play" 2> "$t/play.err"
expect_eq "watch --from RECORDING -j exits 0" "$?" 0
if cmp -s "$t/live" "$t/play"; then ok "playback -j prints the live lines byte for byte"
else not_ok "playback -j prints the live lines byte for byte"; diff "$t/live" "$t/play" | head -4 | while read -r l; do diag "$l"; done; fi
"$TD_BIN" --from "$t/rec" watch --speed 0 > "$t/play.table"
# The summary the live run ended with (on stderr with -j), played back:
# on stderr with -j, under the table otherwise; line for line.
sed -n '/^summary: /,$p' "$t/live.err" > "$t/sum.live"
sed 's/^/# live: /' "$t/sum.live"
check "the live run ended with its summary: the leak started and cleared" sh -c "
    grep -q '^summary: 16 samples from .* 1 findings started, 1 cleared, 0 still active' '$t/sum.live' &&
    grep -q '^  TIME_WAIT  *0 -> ' '$t/sum.live' && grep -q '^  + .* warning  close_wait.*, cleared ' '$t/sum.live'"
sed "s/^/# played: /" "$t/play.err"
check "playback -j ends with the same summary on stderr" cmp -s "$t/sum.live" "$t/play.err"
check "table playback ends with the same summary" sh -c "sed -n '/^summary: /,\$p' '$t/play.table' | cmp -s - '$t/sum.live'"
check "table playback shows the leak start" grep -q "^  + warning  close_wait" "$t/play.table"
check "... and its clear, with how long it lasted" grep -q "^  - cleared  close_wait.*(active [0-9]* s)" "$t/play.table"
expect_eq "table playback: one row a sample (plus the header)" "$(grep -c '^[0-9][0-9]:' "$t/play.table")" 16
"$TD_BIN" --from "$t/rec" watch -j -n 3 --at +1s > "$t/play3" 2> "$t/play3.err"
check "... and a summary of those three alone" grep -q "^summary: 3 samples from " "$t/play3.err"
expect_eq "--count 3 --at +1s: three samples" "$(wc -l < "$t/play3")" 3
check "the schema accepts the recording's records" sh -c "zstdcat '$t/rec' | '$PY' '$TD_SRCDIR/tests/helpers/validate.py' --ndjson=record_watch /dev/stdin"
