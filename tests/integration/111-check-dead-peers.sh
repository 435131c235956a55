#!/bin/bash
# SPDX-License-Identifier: MIT
# S8: two namespaces over a veth pair; a client sends to a server whose
# link then goes down.  The client's established socket retransmits with
# backoff; check reports dead_peers.retransmitting naming the peer, with the
# kernel's retransmission count and the tcp_retries2 give-up time from the
# model (924.6 s for 15), and advises TCP_USER_TIMEOUT.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
mkns dpc >/dev/null || { not_ok "create the client namespace"; exit 1; }
mkns dps >/dev/null || { not_ok "create the server namespace"; exit 1; }
cns=td-$$-dpc sns=td-$$-dps
ip link add tdv0 netns "$cns" type veth peer name tdv1 netns "$sns" || { not_ok "veth pair"; exit 1; }
ip -n "$cns" addr add 198.18.7.1/24 dev tdv0 && ip -n "$cns" link set tdv0 up &&
ip -n "$sns" addr add 198.18.7.2/24 dev tdv1 && ip -n "$sns" link set tdv1 up || { not_ok "addresses"; exit 1; }
ip netns exec "$cns" sysctl -qw net.ipv4.tcp_retries2=15

bg ip netns exec "$sns" "$PY" -c '
import socket, time
l = socket.socket(); l.bind(("198.18.7.2", 5432)); l.listen(8)
s, _ = l.accept(); time.sleep(600)'
wait_for 10 sh -c "ip netns exec $sns ss -ltnH 'sport = :5432' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }
bg ip netns exec "$cns" "$PY" -c '
import socket, sys, time
c = socket.create_connection(("198.18.7.2", 5432)); c.send(b"x")
time.sleep(0.5)
open(sys.argv[1], "w").write("go"); time.sleep(0.3)
c.send(b"y" * 1000); time.sleep(600)' "$dir/go"
wait_for 10 test -s "$dir/go" || { not_ok "client connected"; exit 1; }
ip -n "$sns" link set tdv1 down
# Wait until the kernel has retransmitted at least 3 times (0.2 + 0.4 + 0.8 s at the minimum RTO).
wait_for 10 sh -c "ip netns exec $cns ss -tnoH state established dport = :5432 | grep -Eq 'timer:\(on,[^,]*,([3-9]|[1-9][0-9])\)'" \
	|| { not_ok "the kernel retransmits"; ip netns exec "$cns" ss -tnoH; exit 1; }

"$TD_BIN" -N "$cns" check -j --set dead_peers.warning=1 > "$dir/out.json"
expect_eq "check exits 1" "$?" 1
kre=$(ip netns exec "$cns" ss -tnoH state established dport = :5432 | sed -E 's/.*timer:\(on,[^,]*,([0-9]+)\).*/\1/')
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "dead_peers.retransmitting"][0]
print("severity", f["severity"])
for k, v in f["evidence"].items(): print(k, v)
print("recos", " ".join(r["key"] for r in f["recommendations"]))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "severity warning" "$(get severity)" warning
expect_eq "one connection" "$(get retransmitting)" 1
expect_eq "names the peer" "$(get top_peer)" 198.18.7.2
check "retransmissions as the kernel counts them ($(get max_retrans) ~ ss $kre)" \
	test "$(get max_retrans)" -ge 3 -a "$(get max_retrans)" -le "$kre"
check "unacked bytes ($(get unacked_bytes))" test "$(get unacked_bytes)" -ge 1000
expect_eq "tcp_retries2" "$(get tcp_retries2)" 15
expect_eq "give-up time from the model" "$(get give_up_s)" 924.6
expect_eq "advice" "$(get recos)" TCP_USER_TIMEOUT
