#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor watch` samples a namespace of ours while a real condition
# builds up: the accept-queue finding appears in a later sample as "new",
# rates are per second once two samples exist, every record conforms to the
# schema, the private state directory is removed.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns watch) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)

"$TD_BIN" -N "$ns" watch -j -i 0.5 -n 8 > "$t/rec" 2> "$t/err" &
w=$!
_td_pids+=("$w")
sleep 1.2
# a listener that never accepts: backlog 1 admits 2, the rest wait in SYN_SENT
bg ip netns exec "$ns" "$PY" -c '
import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 7100)); s.listen(1)
cs = []
for _ in range(6):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 7100))
    except BlockingIOError: pass
    cs.append(c)
time.sleep(30)'
wait "$w"
expect_eq "watch exits 0 after --count" "$?" 0
expect_eq "one record per sample" "$(wc -l < "$t/rec")" 8
got=$("$PY" - "$t/rec" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
first_new = [i for i, r in enumerate(recs) if any(k.startswith("accept_queue.") for k in r["new"])]
print("first-interval-null:", recs[0]["interval_s"] is None and recs[0]["rates_per_s"]["active_opens"] is None)
print("later-rates:", all(r["interval_s"] is not None and r["rates_per_s"]["active_opens"] is not None for r in recs[1:]))
print("new-once:", len(first_new) == 1 and first_new[0] > 0)
print("status-last:", recs[-1]["status"])
print("listen:", recs[-1]["states"]["LISTEN"], "estab:", recs[-1]["states"]["ESTABLISHED"])
PYEOF
)
diag "$got"
check "the first sample has no rates, the later ones do" grep -q "first-interval-null: True" <<<"$got"
check "rates from the second sample on" grep -q "later-rates: True" <<<"$got"
check "the accept-queue finding is new in exactly one later sample" grep -q "new-once: True" <<<"$got"
check "the last sample is critical" grep -q "status-last: critical" <<<"$got"
check "the listener and its two queued children are counted" grep -q "listen: 1 estab: 4" <<<"$got"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "watch ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=watch_record "$t/rec"
fi
# Its directory is /tmp/tcpdoctor-watch-PID-...: other runs' come and go meanwhile.
expect_eq "the private state directory is removed" "$(ls -d /tmp/tcpdoctor-watch-"$w"-* 2>/dev/null | wc -l)" 0

# table mode: a header, one row per sample, the finding printed once with '+'
"$TD_BIN" -N "$ns" watch -i 0.3 -n 3 > "$t/tab"
expect_eq "table: header and three rows, plus the new finding" \
    "$(grep -c '^time ' "$t/tab") $(grep -cE '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' "$t/tab") $(grep -c '^  + critical accept_queue' "$t/tab")" "1 3 1"

"$TD_BIN" watch -i 0 > /dev/null 2>&1
expect_eq "watch -i 0 is a usage error" "$?" 64
"$TD_BIN" --from /dev/null watch > /dev/null 2> "$t/from.err"
expect_eq "watch --from plays back recordings only: anything else is bad data" "$?" 65
check "... said so" grep -q "is not a recording" "$t/from.err"
