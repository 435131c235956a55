#!/bin/bash
# SPDX-License-Identifier: MIT
# S7: 20 connections whose local side close()s while the peer application
# never does: 20 orphaned FIN_WAIT2 timewait sockets.  With the threshold
# lowered in a config file (-c), check reports orphans.fin_wait2 with the
# count ss shows and the namespace's tcp_fin_timeout, and its advice on
# tcp_fin_timeout says it does not shorten TIME_WAIT.
. "$(dirname "$0")/../lib.sh"
require_root
# mkns in the main shell, not $(...), so the namespace is removed at exit.
mkns or >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-or
dir=$(tmpdir)
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fin_timeout=45 || { not_ok "set tcp_fin_timeout"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 9100)); l.listen(64)
cs = [socket.create_connection(("127.0.0.1", 9100)) for i in range(20)]
kept = [l.accept()[0] for i in range(20)]            # the peer app: never closes
for c in cs: c.close()                                # orphans in FIN_WAIT2
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "sockets ready"; exit 1; }
cat > "$dir/tcpdoctor.conf" <<'CONF'
# lower than the default (1000) for the test
[orphans]
fin_wait2 = 10
CONF

"$TD_BIN" -N "$ns" check -c "$dir/tcpdoctor.conf" --skip close_wait -j > "$dir/out.json"
expect_eq "check exits 1" "$?" 1
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("ids", " ".join(x["id"] for x in d["findings"]))
f = [x for x in d["findings"] if x["id"] == "orphans.fin_wait2"][0]; e = f["evidence"]
print("severity", f["severity"])
for k in ("orphaned_fin_wait2", "tcp_fin_timeout", "max_timer_s", "top_peer"): print(k, e.get(k))
for r in f["recommendations"]: print("reco", r["key"], r["current"], r["suggested"], "|", r["reason"])
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
kfw2=$(ip netns exec "$ns" ss -tanH state fin-wait-2 | wc -l)
expect_eq "only the orphans finding (close_wait skipped)" "$(get ids)" "orphans.fin_wait2"
expect_eq "severity warning" "$(get severity)" warning
expect_eq "20 orphaned FIN_WAIT2 in ss" "$kfw2" 20
expect_eq "count = ss" "$(get orphaned_fin_wait2)" "$kfw2"
expect_eq "tcp_fin_timeout read from the namespace" "$(get tcp_fin_timeout)" 45
check "timers within tcp_fin_timeout ($(get max_timer_s))" "$PY" -c "import sys; sys.exit(not 0 < float('$(get max_timer_s)') <= 45)"
expect_eq "top peer" "$(get top_peer)" 127.0.0.1
check "tcp_fin_timeout advice 45 -> 30" grep -q "^reco net.ipv4.tcp_fin_timeout 45 30 |" "$dir/facts"
check "and it says TIME_WAIT is not shortened" grep -q "does not shorten TIME_WAIT" "$dir/facts"

"$TD_BIN" -N "$ns" check --skip close_wait > /dev/null
expect_eq "default threshold (1000): exit 0" "$?" 0
