#!/bin/bash
# SPDX-License-Identifier: MIT
# A FIN_WAIT1 pile toward a black-holed peer: two namespaces over a veth
# (198.18.8.0/24, no default route).  The server accepts 30 connections and
# never reads; the client fills each window, close()s all 30 (orphans in
# FIN_WAIT1, their FIN queued behind unsent data), then the server's end of
# the veth goes down, so the orphans' probes go unanswered.  check must
# report orphans.retransmitting naming the peer, with the count ss sees and
# the bound tcp_orphan_retries (5 here, set inside the namespace) gives in
# the model.  When the kernel has killed them (TCPAbortOnTimeout), a second
# run with --state-file must not call them dead established connections or
# failed connects.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
mkns orc >/dev/null || { not_ok "create the client namespace"; exit 1; }
mkns ors >/dev/null || { not_ok "create the server namespace"; exit 1; }
cns=td-$$-orc sns=td-$$-ors
ip link add tdo0 netns "$cns" type veth peer name tdo1 netns "$sns" || { not_ok "veth pair"; exit 1; }
ip -n "$cns" addr add 198.18.8.1/24 dev tdo0 && ip -n "$cns" link set tdo0 up &&
ip -n "$sns" addr add 198.18.8.2/24 dev tdo1 && ip -n "$sns" link set tdo1 up || { not_ok "addresses"; exit 1; }
ip netns exec "$cns" sysctl -qw net.ipv4.tcp_orphan_retries=5 || { not_ok "tcp_orphan_retries in the namespace"; exit 1; }

bg ip netns exec "$sns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
l.bind(("198.18.8.2", 8080)); l.listen(64)
kept = [l.accept()[0] for i in range(30)]       # accepted, never read
time.sleep(600)'
wait_for 10 sh -c "ip netns exec $sns ss -ltnH 'sport = :8080' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }
ip netns exec "$cns" "$PY" -c '
import socket, sys
cs = []
for i in range(30):
    c = socket.create_connection(("198.18.8.2", 8080)); c.setblocking(False); cs.append(c)
for c in cs:                                     # fill the window and the send buffer
    try:
        while True: c.send(b"x" * 65536)
    except BlockingIOError: pass
for c in cs: c.close()                           # orphans: FIN_WAIT1 behind unsent data
' || { not_ok "client wrote and closed"; exit 1; }
ip -n "$sns" link set tdo1 down                   # the peer goes silent
t_silent=$(date +%s.%N)
fw1() { ip netns exec "$cns" ss -tnoH state fin-wait-1 dport = :8080 2>/dev/null; }
# Every orphan has sent at least 2 unanswered probes or retransmissions.
wait_for 15 sh -c "[ \$(ip netns exec $cns ss -tnoH state fin-wait-1 dport = :8080 2>/dev/null | grep -Ec 'timer:\((persist|on),[^,]*,([2-9]|[1-9][0-9])\)') -eq 30 ]" \
	|| { not_ok "30 orphans retransmitting"; fw1 | head -3 | sed 's/^/# /'; exit 1; }
kfw1=$(fw1 | wc -l)
expect_eq "ss: 30 orphans in FIN_WAIT1" "$kfw1" 30
check "ss: the orphans have no inode (no process holds them)" sh -c "! ip netns exec $cns ss -tneH state fin-wait-1 | grep -q 'ino:[1-9]'"

"$TD_BIN" -N "$cns" check -j --state-file "$dir/state" > "$dir/out.json"
expect_eq "check exits 1 (warning)" "$?" 1
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "orphans.retransmitting"]
print("n", len(f))
f = f[0]
print("severity", f["severity"]); print("subject", f["subject"])
for k, v in f["evidence"].items(): print(k, round(v, 3) if isinstance(v, float) else v)
print("kinds", " ".join(sorted(set(r["kind"] for r in f["recommendations"]))))
print("sysctl", " ".join(r["key"] + "=" + str(r["suggested"]) for r in f["recommendations"] if r["kind"] == "sysctl"))
print("summary", f["summary"])
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "one finding for the peer" "$(get n)" 1
expect_eq "severity warning" "$(get severity)" warning
expect_eq "names the silent peer" "$(get subject)" 198.18.8.2
expect_eq "counts what ss counts" "$(get orphans_retransmitting)" "$kfw1"
expect_eq "all FIN_WAIT1" "$(get fin_wait1)" 30
check "retransmissions or probes seen ($(get max_retrans))" test "$(get max_retrans)" -ge 2
check "unsent and unacknowledged bytes ($(get unacked_bytes))" test "$(get unacked_bytes)" -gt 0
expect_eq "tcp_orphan_retries of the namespace" "$(get tcp_orphan_retries)" 5
# tcp_orphan_retries=5 from the 200 ms minimum RTO: 0.2 x (2^6 - 1) = 12.6 s (tcp_model_timeout()).
expect_eq "the model's bound for 5 retries" "$(get model_max_s)" 12.6
expect_eq "the fix: the path, the app, and tcp_orphan_retries" "$(get kinds)" "app kernel sysctl"
expect_eq "suggests 3 retries" "$(get sysctl)" "net.ipv4.tcp_orphan_retries=3"

# The kernel gives up on them (bounded: 12.6 s from the minimum RTO, more with backoff).
wait_for 60 sh -c "[ -z \"\$(ip netns exec $cns ss -tnH state fin-wait-1 dport = :8080)\" ]" \
	|| { not_ok "the kernel killed the orphans"
diag "orphans gone $(awk -v a="$t_silent" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the peer went silent (model: $(get model_max_s) s from the minimum RTO, plus backoff built up before)"; exit 1; }
ok "the kernel killed the orphans"
diag "orphans gone $(awk -v a="$t_silent" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the peer went silent (model: $(get model_max_s) s from the minimum RTO, plus backoff built up before)"
"$TD_BIN" -N "$cns" check -j --state-file "$dir/state" > "$dir/out2.json"
"$PY" - "$dir/out2.json" > "$dir/facts2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
ids = sorted(x["id"] for x in d["findings"])
print("ids", " ".join(ids) or "none")
print("midconn", sum("mid-connection" in json.dumps(x) for x in d["findings"]))
PYEOF
get2() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts2"; }
check "no dead_peers.timeouts: these were not established connections ($(get2 ids))" \
	sh -c "! grep -q dead_peers.timeouts '$dir/facts2'"
check "no connects.timeouts: no connect() failed" sh -c "! grep -q connects.timeouts '$dir/facts2'"
expect_eq "nothing says mid-connection" "$(get2 midconn)" 0
