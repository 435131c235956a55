#!/bin/bash
# SPDX-License-Identifier: MIT
# S2/S3: 200 spoofed SYNs from random 198.18.0.0/15 sources written into a
# TUN device, to a listener with backlog 16 on the device's address; the
# SYN-ACKs are routed back into the device and vanish.  Per tcp_syncookies:
#   1: syn_flood.listener critical, 17 SYN_RECV = backlog + 1, spoofed,
#      TCPReqQFullDoCookies = SyncookiesSent = 183, exit 2;
#   0: the same listener finding plus syn_flood.dropped recommending
#      tcp_syncookies=1 (TCPReqQFullDrop = 183);
#   2: no request sockets at all: syn_flood.cookies_always, exit 1.
. "$(dirname "$0")/../lib.sh"
require_root
[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun"
flood="$TD_HELPERS/tun_synflood"
[ -x "$flood" ] || { not_ok "helper $flood built"; exit 1; }
dir=$(tmpdir)

# flood MODE: sets ns and leaves the flooded namespace running.
flood() {
	local mode=$1 i
	mkns "syn$mode" >/dev/null || return 1
	ns=td-$$-syn$mode
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies="$mode" || return 1
	rm -f "$dir/go$mode"
	bg ip netns exec "$ns" "$flood" tdtun0 198.18.0.1 8080 200 "$dir/go$mode" "$dir/stats$mode" "$mode"
	bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.IPPROTO_IP, 15, 1)   # IP_FREEBIND
l.bind(("198.18.0.1", 8080)); l.listen(16); time.sleep(600)'
	wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN" || return 1
	wait_for 10 sh -c "ip -n $ns addr show dev tdtun0 | grep -q 198.18.0.1" || return 1
	touch "$dir/go$mode"
	# 200 SYNs are written at once; give the stack a moment to answer them.
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ "$(nstat_get SyncookiesSent)$(nstat_get TCPReqQFullDrop)" != "00" ] && break
		sleep 0.2
	done
	sleep 0.5
}
nstat_get() { ip netns exec "$ns" awk -v k="$1" '
	/^TcpExt:/ { if (!h) { split($0, n); h = 1 } else { split($0, v); for (i in n) if (n[i] == k) print v[i] } }' /proc/net/netstat; }

facts() {	# JSON file -> "key value" lines about the syn_flood findings
	"$PY" - "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("status", d["status"]); print("syn_recv_state", d["states"]["SYN_RECV"])
for f in d["findings"]:
    if not f["id"].startswith("syn_flood."): continue
    p = f["id"].split(".")[1]
    print(p, f["severity"])
    for k, v in f["evidence"].items(): print(p + "." + k, v)
    for r in f["recommendations"]:
        print(p + ".reco", r["key"], r["current"], r["suggested"])
PYEOF
}
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }

# ---- tcp_syncookies=1 ----
flood 1 || { not_ok "set up the flood (cookies=1)"; exit 1; }
"$TD_BIN" -N "$ns" check -j > "$dir/out1.json"
expect_eq "cookies=1: exit 2" "$?" 2
facts "$dir/out1.json" > "$dir/f1"
ssq=$(ip netns exec "$ns" ss -tanH state syn-recv | wc -l)
expect_eq "cookies=1: kernel holds backlog + 1 requests" "$ssq" 17
expect_eq "cookies=1: severity" "$(get listener "$dir/f1")" critical
expect_eq "cookies=1: listener" "$(get listener.listener "$dir/f1")" "198.18.0.1:8080"
expect_eq "cookies=1: syn_recv = ss" "$(get listener.syn_recv "$dir/f1")" "$ssq"
expect_eq "cookies=1: backlog" "$(get listener.backlog "$dir/f1")" 16
expect_eq "cookies=1: limit" "$(get listener.syn_queue_limit "$dir/f1")" 17
expect_eq "cookies=1: saturated" "$(get listener.saturated "$dir/f1")" True
expect_eq "cookies=1: spoofed" "$(get listener.spoofed "$dir/f1")" True
src=$(get listener.distinct_sources "$dir/f1")
check "cookies=1: distinct sources ~17 ($src)" test "$src" -ge 15 -a "$src" -le 17
expect_eq "cookies=1: ReqQFullDoCookies = kernel" "$(get listener.reqq_full_do_cookies "$dir/f1")" "$(nstat_get TCPReqQFullDoCookies)"
expect_eq "cookies=1: 183 cookies" "$(get listener.syncookies_sent "$dir/f1")" 183
check "cookies=1: keeps tcp_syncookies=1" grep -q "^listener.reco net.ipv4.tcp_syncookies 1 1$" "$dir/f1"
check "cookies=1: no tcp_max_syn_backlog advice" sh -c "! grep -q tcp_max_syn_backlog '$dir/f1'"
expect_eq "cookies=1: the listener finding carries the cookie counters (no second finding)" "$(get cookies "$dir/f1")" ""
check "cookies=1: SYN-ACKs went back into the TUN" wait_for 5 grep -q "^synacks [1-9]" "$dir/stats1"

# ---- tcp_syncookies=0 ----
flood 0 || { not_ok "set up the flood (cookies=0)"; exit 1; }
"$TD_BIN" -N "$ns" check -j > "$dir/out0.json"
expect_eq "cookies=0: exit 2" "$?" 2
facts "$dir/out0.json" > "$dir/f0"
expect_eq "cookies=0: listener critical" "$(get listener "$dir/f0")" critical
expect_eq "cookies=0: dropped warning" "$(get dropped "$dir/f0")" warning
expect_eq "cookies=0: TCPReqQFullDrop = kernel" "$(get dropped.reqq_full_drop "$dir/f0")" "$(nstat_get TCPReqQFullDrop)"
check "cookies=0: recommends tcp_syncookies 0 -> 1" grep -q "^dropped.reco net.ipv4.tcp_syncookies 0 1$" "$dir/f0"

# ---- tcp_syncookies=2 ----
flood 2 || { not_ok "set up the flood (cookies=2)"; exit 1; }
"$TD_BIN" -N "$ns" check -j > "$dir/out2.json"
expect_eq "cookies=2: exit 1" "$?" 1
facts "$dir/out2.json" > "$dir/f2"
expect_eq "cookies=2: no SYN_RECV sockets" "$(get syn_recv_state "$dir/f2")" 0
expect_eq "cookies=2: cookies_always" "$(get cookies_always "$dir/f2")" warning
expect_eq "cookies=2: 200 cookies" "$(get cookies_always.syncookies_sent "$dir/f2")" 200
check "cookies=2: no listener finding" sh -c "! grep -q '^listener ' '$dir/f2'"
