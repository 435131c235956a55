#!/bin/bash
# SPDX-License-Identifier: MIT
# A snapshot saved from a populated namespace replays through --from: the
# same summary and the same sockets as the live run it was saved from, for
# every command; filters apply the same way; a save of the replay is
# identical to the original.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns snap) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
bg ip netns exec "$ns" "$PY" "$TD_SRCDIR/tests/helpers/workload.py" mixed "$t/ready"
wait_for 20 test -s "$t/ready" || { not_ok "workload ready"; exit 1; }

# Everything that may differ between two reads of a static namespace:
# the time, the source, and timers that count down.
strip='import json,sys
d=json.load(open(sys.argv[1]))
for k in ("time",):
    d.pop(k, None)
m=d.get("meta", {})
for k in ("time_ns","mono_ns","source"):
    m.pop(k, None)
for s in d.get("sockets", []):
    s.pop("timer", None); s.pop("tcp_info", None); s.pop("skmem", None)
    for k in ("owner", "owners", "owners_more", "owner_unseen"):
        s.pop(k, None)
json.dump(d, sys.stdout, sort_keys=True, indent=1)'

# The full accept queue's SYN_SENT clients keep retransmitting, so the
# listener's drop count can move between the snapshot and the live run:
# take both again (bounded) until one pair was taken between two drops.
for i in $(seq 1 10); do
	"$TD_BIN" -N "$ns" snapshot -o "$t/snap.json" || { not_ok "snapshot -o exit status"; exit 1; }
	"$TD_BIN" -N "$ns" summary -j > "$t/live.json"
	"$TD_BIN" -N "$ns" summary > "$t/live.txt"
	"$TD_BIN" --from "$t/snap.json" summary -j > "$t/file.json"
	"$TD_BIN" --from "$t/snap.json" summary > "$t/file.txt"
	"$PY" -c "$strip" "$t/live.json" > "$t/a"
	"$PY" -c "$strip" "$t/file.json" > "$t/b"
	cmp -s "$t/a" "$t/b" && diff -q <(grep -v '^  ' "$t/live.txt") <(grep -v '^  ' "$t/file.txt") >/dev/null && break
	sleep 0.2
done
if cmp -s "$t/a" "$t/b"; then ok "summary --from equals the live summary"; else not_ok "summary --from equals the live summary"; diff "$t/a" "$t/b" | head -20 | sed 's/^/# /'; fi
if diff <(grep -v '^  ' "$t/live.txt") <(grep -v '^  ' "$t/file.txt") >/dev/null; then
	ok "summary table --from equals live (states, listeners, top lists)"
else
	not_ok "summary table --from equals live"
fi
expect_eq "snapshot meta says file on replay" \
    "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["meta"]["source"])' "$t/file.json")" file

# ls from the file equals ls live, also filtered
for filt in "" "state time-wait" "dport = :7000" "src ::1"; do
	"$TD_BIN" -N "$ns" ls -j $filt > "$t/live.json"
	"$TD_BIN" --from "$t/snap.json" ls -j $filt > "$t/file.json"
	"$PY" -c "$strip" "$t/live.json" > "$t/a"
	"$PY" -c "$strip" "$t/file.json" > "$t/b"
	if cmp -s "$t/a" "$t/b"; then ok "ls -j ${filt:-(all)} --from equals live"; else not_ok "ls -j ${filt:-(all)} --from equals live"; diff "$t/a" "$t/b" | head -10 | sed 's/^/# /'; fi
done
"$TD_BIN" --from "$t/snap.json" -6 ls -j > "$t/file.json"
n6=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' "$t/file.json")
expect_eq "-6 on a file keeps only IPv6 sockets" "$n6" "$(ip netns exec "$ns" ss -tanH -6 | wc -l)"

# save(load(save)) is the same document; the plain document (standard
# output) of each says so
"$TD_BIN" --from "$t/snap.json" snapshot -o "$t/snap2.json"
"$TD_BIN" --from "$t/snap.json" snapshot > "$t/plain1.json"
"$TD_BIN" --from "$t/snap2.json" snapshot > "$t/plain2.json"
"$PY" -c "$strip" "$t/plain1.json" > "$t/a"
"$PY" -c "$strip" "$t/plain2.json" > "$t/b"
if cmp -s "$t/a" "$t/b"; then ok "a snapshot of the replay equals the original"; else not_ok "a snapshot of the replay equals the original"; diff "$t/a" "$t/b" | head | sed 's/^/# /'; fi
# timers, tcp_info and owners survive the round trip exactly
"$PY" - "$t/plain1.json" "$t/plain2.json" <<'PYEOF' && ok "round trip keeps every socket field" || not_ok "round trip keeps every socket field"
import json, sys
a = json.load(open(sys.argv[1]))["sockets"]
b = json.load(open(sys.argv[2]))["sockets"]
sys.exit(0 if a == b and any("owner" in s for s in a) else 1)
PYEOF

# -o writes the snapshot file (format 2: a tag frame, then zstd), --plain
# the JSON document; both read back to what the live run prints
check "snapshot -o writes a snapshot file of format 2" sh -c "head -c 29 '$t/snap.json' | tail -c 21 | grep -qx 'tcpdoctor snapshot 2'"
check "zstd reads it" sh -c "zstdcat '$t/snap.json' | head -c 1 | grep -q '{'"
# Everything but what moves between two reads, owners included.
keep='import json,sys
d=json.load(open(sys.argv[1]))
for k in ("time", "counters"):
    d.pop(k, None)
m=d.get("meta", {})
for k in ("time_ns","mono_ns","source"):
    m.pop(k, None)
for s in d.get("sockets", []):
    s.pop("tcp_info", None); s.pop("skmem", None); s["timer"].pop("expires_ms", None)
    if s["state"] in ("SYN_SENT", "SYN_RECV"): s["timer"].pop("retrans", None)
json.dump(d, sys.stdout, sort_keys=True, indent=1)'
for i in $(seq 1 10); do
	"$TD_BIN" -N "$ns" snapshot -o "$t/f.snap"
	"$TD_BIN" -N "$ns" snapshot > "$t/live.snap.json"
	"$TD_BIN" -N "$ns" snapshot -o "$t/p.snap" --plain
	TD_OWNERS_SEQUENTIAL=1 "$TD_BIN" -N "$ns" snapshot -o "$t/s.snap"
	for f in f p s; do "$TD_BIN" --from "$t/$f.snap" snapshot > "$t/$f.json"; done
	for f in f p s live.snap; do "$PY" -c "$keep" "$t/$f.json" > "$t/$f.k"; done
	cmp -s "$t/f.k" "$t/live.snap.k" && cmp -s "$t/p.k" "$t/live.snap.k" && cmp -s "$t/s.k" "$t/live.snap.k" && break
	sleep 0.2
done
if cmp -s "$t/f.k" "$t/live.snap.k"; then ok "the file read back: the live document, owners and order included"; else not_ok "the file read back: the live document, owners and order included"; diff "$t/f.k" "$t/live.snap.k" | head | sed 's/^/# /'; fi
if cmp -s "$t/s.k" "$t/live.snap.k"; then ok "the same written by one thread (TD_OWNERS_SEQUENTIAL=1)"; else not_ok "the same written by one thread (TD_OWNERS_SEQUENTIAL=1)"; diff "$t/s.k" "$t/live.snap.k" | head | sed 's/^/# /'; fi
check "--plain writes the JSON document" sh -c "head -c 1 '$t/p.snap' | grep -q '{'"
if cmp -s "$t/p.k" "$t/live.snap.k"; then ok "--plain read back: the live document"; else not_ok "--plain read back: the live document"; diff "$t/p.k" "$t/live.snap.k" | head | sed 's/^/# /'; fi
"$TD_BIN" -N "$ns" snapshot --plain > /dev/null 2> "$t/err"
expect_eq "--plain without -o exits 64" "$?" 64

# -o writes atomically: no temporary file is left behind
check "snapshot -o leaves no temporary file" test -z "$(ls "$t" | grep tmp)"
# an unwritable -o path is a clean error
"$TD_BIN" -N "$ns" snapshot -o /nonexistent-dir/x.json 2> "$t/err"
expect_eq "snapshot -o to a missing directory exits 73" "$?" 73
