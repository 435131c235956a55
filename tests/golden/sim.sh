#!/bin/bash
# SPDX-License-Identifier: MIT
# Golden event logs of `tcpdoctor sim`: every named scenario (and the variants
# that answer the other half of its question) is run with -j, its event log is
# flattened to one JSON record per line, and compared with
# tests/golden/sim/CASE.jsonl.  The golden files were generated once and then
# reviewed against KERNEL-FACTS Part B/C (see sim/scenarios.c, `verified`).
# TD_GOLDEN_UPDATE=1 rewrites them (review the diff before committing).
. "$(dirname "$0")/../lib.sh"
command -v python3 >/dev/null || skip_all "needs python3"
dir="$TD_SRCDIR/tests/golden/sim"
tmp=$(tmpdir)
flatten='
import json, sys
d = json.load(sys.stdin)
print(json.dumps({k: d[k] for k in ("scenario", "profile", "seed", "quiescent", "end",
    "model_errors", "counters")}, sort_keys=True, ensure_ascii=False))
for e in d["trace"]:
    print(json.dumps({"trace": e}, sort_keys=True, ensure_ascii=False))
for e in d["events"]:
    print(json.dumps(e, sort_keys=True, ensure_ascii=False))
'
cases=$("$TD_BIN" sim | awk 'NR > 1 { print $1 }')
cases="$cases syn-flood@tcp_syncookies=0 syn-flood@tcp_syncookies=2
lost-last-ack@tcp_max_tw_buckets=0 rst-in-time-wait@tcp_rfc1337=1
accept-queue-full@tcp_abort_on_overflow=1 old-duplicate@tcp_tw_reuse=1
handshake@profile=rfc9293 active-close@profile=rfc9293"
for c in $cases; do
	name=${c%%@*}
	args=()
	if [ "$c" != "$name" ]; then
		kv=${c#*@}
		case $kv in
		profile=*) args=(--profile "${kv#profile=}") ;;
		*) args=(--set "$kv") ;;
		esac
	fi
	out="$tmp/$c.jsonl"
	if ! "$TD_BIN" sim "$name" "${args[@]}" -j > "$tmp/$c.json" 2> "$tmp/$c.err"; then
		not_ok "sim $c runs"; diag "$(cat "$tmp/$c.err")"; continue
	fi
	python3 -c "$flatten" < "$tmp/$c.json" > "$out" || { not_ok "sim $c: valid JSON"; continue; }
	if grep -q '"model_errors": [1-9]' "$out"; then not_ok "sim $c: no model errors"; continue; fi
	if [ -n "${TD_GOLDEN_UPDATE:-}" ]; then
		cp "$out" "$dir/$c.jsonl"
		ok "sim $c golden written"
		continue
	fi
	if [ ! -f "$dir/$c.jsonl" ]; then
		not_ok "sim $c: no golden file $dir/$c.jsonl"; continue
	fi
	if diff -u "$dir/$c.jsonl" "$out" > "$tmp/$c.diff"; then
		ok "sim $c matches its golden event log"
	else
		not_ok "sim $c matches its golden event log"
		diag "$(head -40 "$tmp/$c.diff")"
	fi
done
# Same seed, same run; another seed changes the ISNs but not the story.
a=$("$TD_BIN" sim handshake -j --seed 7 | python3 -c "$flatten" | md5sum)
b=$("$TD_BIN" sim handshake -j --seed 7 | python3 -c "$flatten" | md5sum)
expect_eq "same seed, same event log" "$a" "$b"
c=$("$TD_BIN" sim handshake -j --seed 8 | python3 -c "$flatten" | md5sum)
if [ "$a" != "$c" ]; then ok "another seed, other ISNs"; else not_ok "another seed, other ISNs"; fi
