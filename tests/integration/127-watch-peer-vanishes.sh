#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# A peer that vanishes mid-transfer, watched: two namespaces over a veth
# (198.18.8.0/24, no default route); the server accepts 20 connections and
# never reads, the client fills each window and close()s them (orphans in
# FIN_WAIT1 behind unsent data), then the server's end of the veth goes
# down.  With tcp_orphan_retries=3 in the client namespace the kernel kills
# the orphans within seconds.  watch -j, a sample every 0.5 s, must show
# the orphans.retransmitting finding for the peer start once and clear
# once, FIN_WAIT1 rise to 20 and fall to 0, and the timeouts counted in the
# rates (TCPAbortOnTimeout).
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
mkns pvc >/dev/null || { not_ok "create the client namespace"; exit 1; }
mkns pvs >/dev/null || { not_ok "create the server namespace"; exit 1; }
cns=td-$$-pvc sns=td-$$-pvs
ip link add tdv0 netns "$cns" type veth peer name tdv1 netns "$sns" || { not_ok "veth pair"; exit 1; }
ip -n "$cns" addr add 198.18.8.1/24 dev tdv0 && ip -n "$cns" link set tdv0 up &&
ip -n "$sns" addr add 198.18.8.2/24 dev tdv1 && ip -n "$sns" link set tdv1 up || { not_ok "addresses"; exit 1; }
ip netns exec "$cns" sysctl -qw net.ipv4.tcp_orphan_retries=3 || { not_ok "tcp_orphan_retries in the namespace"; exit 1; }

bg ip netns exec "$sns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
l.bind(("198.18.8.2", 8080)); l.listen(64)
kept = [l.accept()[0] for i in range(20)]       # accepted, never read
time.sleep(600)'
wait_for 10 sh -c "ip netns exec $sns ss -ltnH 'sport = :8080' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }

"$TD_BIN" -N "$cns" watch -j -i 0.5 -n 40 > "$dir/rec" 2> "$dir/err" &
wpid=$!
sleep 1.5
ip netns exec "$cns" "$PY" -c '
import socket
cs = []
for i in range(20):
    c = socket.create_connection(("198.18.8.2", 8080)); c.setblocking(False); cs.append(c)
for c in cs:                                     # fill the window and the send buffer
    try:
        while True: c.send(b"x" * 65536)
    except BlockingIOError: pass
for c in cs: c.close()                           # orphans: FIN_WAIT1 behind unsent data
' || { not_ok "client wrote and closed"; exit 1; }
ip -n "$sns" link set tdv1 down                   # the peer vanishes
wait "$wpid"
expect_eq "watch exits 0 after --count" "$?" 0
"$PY" - "$dir/rec" > "$dir/facts" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
k = "orphans.retransmitting 198.18.8.2"
new = [i for i, r in enumerate(recs) if k in r["new"]]
clr = [i for i, r in enumerate(recs) if k in r["cleared"]]
fw1 = [r["states"]["FIN_WAIT1"] for r in recs]
peak = max(range(len(fw1)), key=lambda i: fw1[i])
to = [r["rates_per_s"].get("abort_on_timeout") or 0 for r in recs]
print("started", len(new))
print("cleared", len(clr), int(bool(new and clr and clr[0] > new[0])))
print("fw1", fw1[0], fw1[peak], fw1[-1], int(peak < len(fw1) - 1))
print("timeouts", int(max(to) > 0))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "FIN_WAIT1: none, then the 20 orphans, then none" "$(get fw1)" "0 20 0 1"
expect_eq "orphans.retransmitting for the peer starts once" "$(get started)" 1
expect_eq "and clears once, after the kernel killed them" "$(get cleared)" "1 1"
expect_eq "the kernel's timeouts in the rates (TCPAbortOnTimeout)" "$(get timeouts)" 1
check "watch ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=watch_record "$dir/rec"
