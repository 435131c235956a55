#!/bin/bash
# SPDX-License-Identifier: MIT
# Per-listener queue gauges in check --format prometheus.  One namespace
# with 16 listeners: 198.18.0.1:8080 (backlog 16) receives 200 spoofed
# SYNs through a TUN device (17 SYN_RECV = backlog + 1, KERNEL-FACTS S2),
# 127.0.0.1:9301 (backlog 2) never accepts 6 connects (accept queue full),
# 14 more idle listeners.  The output must pass promtool, give the 10
# fullest listeners their own series (bounded cardinality) and the
# aggregates over all 16, with the values ss shows.
. "$(dirname "$0")/../lib.sh"
require_root
[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"
command -v promtool >/dev/null || { not_ok "promtool installed (scripts/deps.sh test)"; exit 1; }
flood="$TD_HELPERS/tun_synflood"
[ -x "$flood" ] || { not_ok "helper $flood built"; exit 1; }
dir=$(tmpdir)
mkns pl >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-pl
bg ip netns exec "$ns" "$flood" tdtun0 198.18.0.1 8080 200 "$dir/go" "$dir/stats" 1
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.setsockopt(socket.IPPROTO_IP, 15, 1)   # IP_FREEBIND
l.bind(("198.18.0.1", 8080)); l.listen(16)
keep = [l]
q = socket.socket(); q.bind(("127.0.0.1", 9301)); q.listen(2); keep.append(q)
for i in range(6):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 9301))
    except BlockingIOError: pass
    keep.append(c)
for p in range(9302, 9316):
    s = socket.socket(); s.bind(("127.0.0.1", p)); s.listen(128); keep.append(s)
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "listeners ready"; exit 1; }
wait_for 10 sh -c "ip -n $ns addr show dev tdtun0 2>/dev/null | grep -q 198.18.0.1" || { not_ok "TUN device up"; exit 1; }
touch "$dir/go"
wait_for 10 sh -c "[ \$(ip netns exec $ns ss -tnH state syn-recv | wc -l) -ge 17 ]" || { not_ok "17 SYN_RECV"; exit 1; }
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :9301' | awk '{ exit !(\$2 > \$3) }'" || { not_ok "9301 full"; exit 1; }

"$TD_BIN" -N "$ns" check -c /dev/null --format prometheus > "$dir/out.prom"
check "promtool check metrics passes" promtool check metrics < "$dir/out.prom"
val() { awk -v m="$1" '$1 == m { print $2 }' "$dir/out.prom"; }
series() { grep -c "^$1{" "$dir/out.prom"; }
expect_eq "tcpdoctor_listeners: every listener (ss)" "$(val tcpdoctor_listeners)" \
	"$(ip netns exec "$ns" ss -ltnH | wc -l)"
expect_eq "16 listeners" "$(val tcpdoctor_listeners)" 16
expect_eq "10 listeners shown" "$(val tcpdoctor_listeners_shown)" 10
for m in accept_queue backlog syn_recv drops_total queue_limit; do
	expect_eq "tcpdoctor_listener_$m: 10 series, no more" "$(series tcpdoctor_listener_$m)" 10
done
kq=$(ip netns exec "$ns" ss -ltnH 'sport = :9301' | awk '{ print $2, $3 }')
expect_eq "127.0.0.1:9301 accept queue and backlog as ss" \
	"$(val 'tcpdoctor_listener_accept_queue{listener="127.0.0.1:9301"}') $(val 'tcpdoctor_listener_backlog{listener="127.0.0.1:9301"}')" "$kq"
expect_eq "127.0.0.1:9301 queue limit: backlog + 1" "$(val 'tcpdoctor_listener_queue_limit{listener="127.0.0.1:9301"}')" 3
check "127.0.0.1:9301 dropped connections" test "$(val 'tcpdoctor_listener_drops_total{listener="127.0.0.1:9301"}')" -gt 0
ksr=$(ip netns exec "$ns" ss -tnH state syn-recv 'sport = :8080' | wc -l)
expect_eq "198.18.0.1:8080 SYN_RECV as ss (17 = backlog + 1)" "$(val 'tcpdoctor_listener_syn_recv{listener="198.18.0.1:8080"}') $ksr" "17 17"
expect_eq "the two full listeners come first" \
	"$(grep '^tcpdoctor_listener_backlog{' "$dir/out.prom" | head -2 | sed 's/.*listener="\([^"]*\)".*/\1/' | sort | tr '\n' ' ')" \
	"127.0.0.1:9301 198.18.0.1:8080 "
expect_eq "aggregates: full listeners, queued connections, SYN_RECV" \
	"$(val tcpdoctor_listeners_full) $(val tcpdoctor_listeners_accept_queue) $(val tcpdoctor_listeners_syn_recv)" \
	"1 $(echo "$kq" | cut -d' ' -f1) 17"
