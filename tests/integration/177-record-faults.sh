#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch --record when things go wrong: a recording read while it is
# written, one cut short (a copy taken mid-frame), one damaged in the
# middle (a clear one-line error naming the file and the byte offset,
# exit 65), rotation by size (numbered files read as one; each file
# starts with a keyframe, so the newest part answers alone), planted
# links (never written through, not even when rotating), and --at misuse.
# Sockets of our own in a namespace we create (loopback).
. "$(dirname "$0")/../lib.sh"
require_root
t=$(tmpdir)
ns=$(mkns rf) || { not_ok "create namespace"; exit 1; }
# Connections that come and go, so that samples differ.
bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 8080)); l.listen(128)
kept = []
for i in range(300):
    c = socket.create_connection(("127.0.0.1", 8080)); kept.append((c, l.accept()[0]))
    if len(kept) > 12:
        a, b = kept.pop(0); a.close(); b.close()
    time.sleep(0.05)
time.sleep(600)'
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }

# Read while written: the answers come while watch still runs.
"$TD_BIN" -N "$ns" watch -j -i 0.3 -n 20 --record "$t/rec" > "$t/live" 2> "$t/live.err" &
wpid=$!
_td_pids+=("$wpid")
mid() { "$TD_BIN" --from "$t/rec" summary -j > "$t/mid" 2> "$t/mid.err" && grep -q "sample [3-9] of\|sample [1-9][0-9] of" "$t/mid.err"; }
check "a recording being written answers (three samples in)" wait_for 8 mid
check "... while watch still runs" kill -0 "$wpid"
wait "$wpid"
expect_eq "watch --record exits 0" "$?" 0

# Cut short: the last frame is incomplete; the samples before it answer.
size=$(stat -c %s "$t/rec")
head -c $((size - 7)) "$t/rec" > "$t/cut"
"$TD_BIN" --from "$t/cut" summary -j > "$t/cut.out" 2> "$t/cut.err"
expect_eq "a recording cut inside its last frame: exit 0" "$?" 0
check "... the sample before the cut answers" grep -q "sample 19 of 19" "$t/cut.err"
check "... and it says where the cut frame starts" grep -q "its last frame, from byte [0-9]* of '.*cut', is cut short" "$t/cut.err"
"$TD_BIN" --from "$t/cut" watch -j > "$t/cut.play" 2>/dev/null
expect_eq "playback of the cut recording: the 19 complete samples" "$(wc -l < "$t/cut.play")" 19

# Damaged in the middle: a clear error with the file and the offset.
cp "$t/rec" "$t/bad"
printf 'XXXXXXXXXXXXXXXX' | dd of="$t/bad" bs=1 seek=$((size / 2)) conv=notrunc status=none
"$TD_BIN" --from "$t/bad" ls > /dev/null 2> "$t/bad.err"
expect_eq "a damaged recording: exit 65" "$?" 65
expect_eq "... one line" "$(wc -l < "$t/bad.err")" 1
check "... naming the file and the byte offset" grep -q "recording '.*bad': damaged frame at byte [0-9]" "$t/bad.err"
"$TD_BIN" --from "$t/bad" check > /dev/null 2>&1
expect_eq "check on a damaged recording: UNKNOWN (3)" "$?" 3
printf '\x28\xb5\x2f\xfd garbage' > "$t/garbage"
"$TD_BIN" --from "$t/garbage" summary > /dev/null 2> "$t/g.err"
expect_eq "garbage behind a zstd magic: exit 65" "$?" 65
check "... naming the file and byte 0" grep -q "recording '.*garbage': damaged frame at byte 0" "$t/g.err"

# --at misuse.
at1=$(zstdcat "$t/rec" | "$PY" -c 'import json,sys
print([r for r in map(json.loads, sys.stdin) if r["type"] == "sample"][0]["time"])')
"$TD_BIN" --from "$t/rec" ls --at 2000-01-01T00:00:00Z > /dev/null 2> "$t/e1"
expect_eq "--at before the first sample: exit 65" "$?" 65
check "... says when the first sample is" grep -q "is before its first sample ($at1)" "$t/e1"
"$TD_BIN" --from "$t/rec" ls --at yesterday > /dev/null 2> "$t/e2"
expect_eq "a bad --at: exit 64" "$?" 64
check "... naming it" grep -q "'yesterday' is not a time" "$t/e2"
"$TD_BIN" ls --at +5s > /dev/null 2>&1
expect_eq "--at without --from: exit 64" "$?" 64
"$TD_BIN" -N "$ns" snapshot -o "$t/snap.json"
"$TD_BIN" --from "$t/snap.json" summary --at +5s > /dev/null 2>&1
expect_eq "--at with a snapshot: exit 64" "$?" 64
"$TD_BIN" --from "$t/missing" ls --at +1s > /dev/null 2>&1
expect_eq "--at with a missing recording: exit 66" "$?" 66
"$TD_BIN" --from "$t/rec" watch --record "$t/x" > /dev/null 2>&1
expect_eq "watch --from with --record: exit 64" "$?" 64
"$TD_BIN" -N "$ns" watch --speed 2 -n 1 > /dev/null 2>&1
expect_eq "--speed without --from: exit 64" "$?" 64

# Rotation: numbered files, read as one; each starts with "start" and a keyframe.
"$TD_BIN" -N "$ns" watch -j -i 0.2 -n 40 --record "$t/rot" --record-size 4096 > "$t/rot.live"
expect_eq "watch with a small --record-size exits 0" "$?" 0
check "rotated to FILE.1 and FILE.2" test -f "$t/rot.1" -a -f "$t/rot.2"
expect_eq "every file is 0600" "$(stat -c %a "$t/rot" "$t"/rot.[0-9]* | sort -u)" 600
first=$(zstdcat "$t/rot.1" | "$PY" -c 'import json,sys
rs = [json.loads(l) for l in sys.stdin]
s = [r for r in rs if r["type"] == "sample"][0]
print(rs[0]["type"], s["keyframe"])')
expect_eq "a rotated file starts with start and a keyframe" "$first" "start True"
"$TD_BIN" --from "$t/rot" watch -j > "$t/rot.play"
expect_eq "the rotated set plays back (exit 0)" "$?" 0
n=$(wc -l < "$t/rot.play")
if [ "$n" -gt 0 ] && [ "$(cat "$t/rot.play")" = "$(tail -n "$n" "$t/rot.live")" ]; then
	ok "the set is the newest $n samples, byte for byte, in order"
else not_ok "the set is the newest samples, byte for byte, in order"; diag "played $n"; fi
"$TD_BIN" --from "$t/rot" summary -j > "$t/rot.sum" 2>/dev/null
expect_eq "the set's last sample answers summary" "$("$PY" -c 'import json,sys
print({k: v["total"] for k, v in json.load(open(sys.argv[1]))["states"].items()})' "$t/rot.sum")" \
    "$(tail -1 "$t/rot.live" | "$PY" -c 'import json,sys
s = json.load(sys.stdin)["states"]
print({k: s[k] for k in json.load(open(sys.argv[1]))["states"]})' "$t/rot.sum")"

# Planted links: never written through, not even at rotation.
echo keep > "$t/victim"
ln -s "$t/victim" "$t/planted"
"$TD_BIN" -N "$ns" watch -n 1 --record "$t/planted" > /dev/null 2> "$t/p.err"
expect_eq "a planted link as --record: exit 73" "$?" 73
check "... says why, naming it" grep -q "record '.*planted'" "$t/p.err"
ln -s "$t/victim" "$t/rot2.3"
"$TD_BIN" -N "$ns" watch -j -i 0.2 -n 40 --record "$t/rot2" --record-size 4096 > /dev/null 2> "$t/p2.err"
expect_eq "rotating onto a planted link: exit 73" "$?" 73
check "... naming it" grep -q "record '.*rot2.3'" "$t/p2.err"
expect_eq "the link's target is untouched" "$(cat "$t/victim")" keep
