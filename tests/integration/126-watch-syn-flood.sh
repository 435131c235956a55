#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# A SYN flood that starts and stops, watched: 200 spoofed SYNs written
# into a TUN device to a listener with backlog 16 (as 102-check-syn-flood),
# with tcp_synack_retries=1 in the namespace so the request sockets expire
# after about 3 s.  watch -j, a sample every 0.5 s, must show the
# syn_flood.listener finding start once, SYN_RECV rise to the queue's limit
# (backlog + 1) and fall back to 0, the cookie rate from the counter deltas,
# and the finding clear once (3 samples after the flood is gone).
. "$(dirname "$0")/../lib.sh"
require_root
[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"
flood="$TD_HELPERS/tun_synflood"
[ -x "$flood" ] || { not_ok "helper $flood built"; exit 1; }
dir=$(tmpdir)
mkns wsyn >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-wsyn
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_synack_retries=1 >/dev/null ||
	{ not_ok "sysctls in the namespace"; exit 1; }
bg ip netns exec "$ns" "$flood" tdtun0 198.18.0.1 8080 200 "$dir/go" "$dir/stats" 1
bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.IPPROTO_IP, 15, 1)   # IP_FREEBIND
l.bind(("198.18.0.1", 8080)); l.listen(16); time.sleep(600)'
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN" || { not_ok "listener"; exit 1; }
wait_for 10 sh -c "ip -n $ns addr show dev tdtun0 | grep -q 198.18.0.1" || { not_ok "tun address"; exit 1; }

"$TD_BIN" -N "$ns" watch -j -i 0.5 -n 24 > "$dir/rec" 2> "$dir/err" &
wpid=$!
sleep 2
touch "$dir/go"		# the flood starts
wait "$wpid"
expect_eq "watch exits 0 after --count" "$?" 0
"$PY" - "$dir/rec" > "$dir/facts" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
key = [i for i, r in enumerate(recs) if any(k.startswith("syn_flood.listener ") for k in r["new"])]
clr = [i for i, r in enumerate(recs) if any(k.startswith("syn_flood.listener ") for k in r["cleared"])]
sr = [r["states"]["SYN_RECV"] for r in recs]
peak = max(range(len(sr)), key=lambda i: sr[i])
cookies = [r["rates_per_s"].get("syncookies_sent") or 0 for r in recs]
print("started", len(key))
print("cleared", len(clr), int(bool(key and clr and clr[0] > key[0])))
print("quiet_before", sr[0])
print("peak", sr[peak])
print("after", sr[-1], int(peak < len(sr) - 1))
print("cookies", int(max(cookies) > 0))
act = [a for a in recs[key[0]]["active"] if a["key"].startswith("syn_flood.listener ")] if key else []
print("active_listed", len(act))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "no SYN_RECV before the flood" "$(get quiet_before)" 0
expect_eq "SYN_RECV peaks at the queue's limit (backlog 16 + 1)" "$(get peak)" 17
expect_eq "and falls back to 0 once the requests expire" "$(get after)" "0 1"
expect_eq "the finding starts once" "$(get started)" 1
expect_eq "it is listed active, with its age" "$(get active_listed)" 1
expect_eq "and clears once, after it started" "$(get cleared)" "1 1"
expect_eq "the cookie rate from the counter deltas" "$(get cookies)" 1
check "watch ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=watch_record "$dir/rec"
