#!/bin/bash
# SPDX-License-Identifier: MIT
# S1: a listener with backlog 4 that never accept()s, 20 concurrent
# connects.  check must report accept_queue.overflow (critical) for it with
# the queue at backlog + 1, the listener's drops, and exit 2; it must not
# suggest tcp_max_syn_backlog.
. "$(dirname "$0")/../lib.sh"
require_root
# mkns in the main shell, not $(...), so the namespace is removed at exit.
mkns aq >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-aq
dir=$(tmpdir)
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 8080)); l.listen(4)
cs = []
for i in range(20):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", 8080)); cs.append(c)
time.sleep(1.5)
for c in cs: c.close()         # stop SYN retries: counters stay still
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }

"$TD_BIN" -N "$ns" check -j > "$dir/out.json"
expect_eq "check exits 2 (CRITICAL)" "$?" 2
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "accept_queue.overflow"]
print("n", len(f))
if f:
    f = f[0]; e = f["evidence"]
    print("severity", f["severity"]); print("subject", f["subject"])
    for k in ("accept_queue", "backlog", "listener_drops", "listen_overflows", "listen_drops"):
        print(k, e.get(k))
    print("keys", " ".join(sorted(r["key"] for r in f["recommendations"])))
    print("syn_backlog_advice", any("tcp_max_syn_backlog" == r["key"] or "max_syn_backlog" in (r["suggested"] or "") for x in d["findings"] for r in x["recommendations"]))
print("status", d["status"])
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$dir/facts"; }
expect_eq "one accept_queue.overflow finding" "$(get n)" 1
expect_eq "severity critical" "$(get severity)" critical
expect_eq "subject is the listener" "$(get subject)" "127.0.0.1:8080"
expect_eq "accept queue = backlog + 1" "$(get accept_queue)" 5
expect_eq "backlog 4" "$(get backlog)" 4
drops=$(get listener_drops)
check "listener drops > 0 ($drops)" test "$drops" -gt 0
expect_eq "ListenOverflows = listener drops" "$(get listen_overflows)" "$drops"
expect_eq "ListenDrops = ListenOverflows" "$(get listen_drops)" "$drops"
kdrops=$(ip netns exec "$ns" ss -ltnm 'sport = :8080' | grep -o 'd[0-9]*)' | tr -dc 0-9)
expect_eq "listener drops agree with ss skmem" "$drops" "$kdrops"
check "recommends the app backlog and accept()" grep -q "accept() listen() backlog" <(get keys)
expect_eq "never advises tcp_max_syn_backlog" "$(get syn_backlog_advice)" False
expect_eq "status critical" "$(get status)" critical

out=$("$TD_BIN" -N "$ns" check --format nagios)
expect_eq "nagios exit 2" "$?" 2
check "nagios line names it" grep -q '^TCPDOCTOR CRITICAL - accept_queue.overflow: ' <<<"$out"
check "nagios perfdata" grep -q "| 'sockets'=" <<<"$out"
"$TD_BIN" -N "$ns" check > "$dir/table"
expect_eq "table exit 2" "$?" 2
check "table shows the finding" grep -q '^CRITICAL accept_queue.overflow  127.0.0.1:8080' "$dir/table"

# The same diagnosis from a saved snapshot (capture here, diagnose anywhere).
"$TD_BIN" -N "$ns" snapshot -o "$dir/snap.json" || not_ok "snapshot saved"
"$TD_BIN" --from "$dir/snap.json" check -j > "$dir/from.json"
expect_eq "--from: exit 2" "$?" 2
"$TD_BIN" -N "$ns" check -j > "$dir/live.json"
strip() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps([(f["id"], f["subject"], f["severity"], f["evidence"]) for f in d["findings"]], sort_keys=True))' "$1"; }
expect_eq "--from gives the live findings and evidence" "$(strip "$dir/from.json")" "$(strip "$dir/live.json")"
