#!/bin/bash
# SPDX-License-Identifier: MIT
# replay and TIME_WAIT, captured here with tcpdump inside namespaces this
# test makes:
#   rsttw   a peer behind TUN (tun_peer rsttw) closes cleanly with the
#           kernel's client, which holds TIME_WAIT, then sends it a RST
#           100 ms later (TIME_WAIT assassination, RFC 1337):
#           replay.rst_in_time_wait, and the connection itself SF with no
#           departure from the model
#   reuse   two Linux sockets on loopback: the server closes first and holds
#           TIME_WAIT, the client connects again from the same port (Linux
#           accepts a SYN in TIME_WAIT with a newer timestamp):
#           replay.port_reuse_time_wait, reused_ports, and the model follows
#           both connections without a departure
. "$(dirname "$0")/../lib.sh"
require_root
command -v tcpdump >/dev/null || skip_all "needs tcpdump (scripts/deps.sh test)"
[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun (tun module)"
dir=$(tmpdir)

cap_start() {
	bg ip netns exec "$1" tcpdump --immediate-mode -B 8192 -i "$2" -U -s 256 -Z root -w "$3" tcp 2>"$3.err"
	CAP_PID=$BG_PID
	wait_for 10 grep -q "listening on" "$3.err"
}
cap_stop() {
	sleep 0.3
	kill -INT "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
}
jget() { "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

# ---- rsttw: a RST into the client's TIME_WAIT ----
ns=$(mkns rsttw)
bg ip netns exec "$ns" "$TD_HELPERS/tun_peer" tdpeer0 198.18.0.1 rsttw > /dev/null
wait_for 10 sh -c "ip -n $ns addr show dev tdpeer0 2>/dev/null | grep -q 198.18.0.1" || not_ok "rsttw: tun_peer made tdpeer0"
cap_start "$ns" tdpeer0 "$dir/rsttw.pcap" || not_ok "tcpdump started (rsttw)"
ip netns exec "$ns" "$PY" -c '
import socket, time
c = socket.create_connection(("198.18.1.2", 80), timeout=5)
c.sendall(b"x" * 20)
c.shutdown(socket.SHUT_WR)
c.settimeout(2)
try:
    while c.recv(1000): pass
except OSError: pass
c.close(); time.sleep(0.4)'
cap_stop
"$TD_BIN" replay -j "$dir/rsttw.pcap" > "$dir/rsttw.json"
expect_eq "rsttw: finding replay.rst_in_time_wait" "$(jget "$dir/rsttw.json" '[f["id"] for f in d["findings"]]')" "['replay.rst_in_time_wait']"
expect_eq "rsttw: the connection closed cleanly, the originator in TIME_WAIT by the model" \
	"$(jget "$dir/rsttw.json" '(d["connections"][0]["conn_state"], d["connections"][0]["originator"]["model"]["state"], d["connections"][0]["departures"])')" \
	"('SF', 'TIME_WAIT', [])"
expect_eq "rsttw: the RST is counted after the connection's end" "$(jget "$dir/rsttw.json" 'd["summary"]["segments_after_end"]')" 1
"$TD_BIN" replay "$dir/rsttw.pcap" > "$dir/rsttw.txt"
check "rsttw: the table names the finding" grep -q "replay.rst_in_time_wait" "$dir/rsttw.txt"

# ---- reuse: the same 4-tuple again while the server holds TIME_WAIT ----
ns=$(mkns reuse)
cap_start "$ns" lo "$dir/reuse.pcap" || not_ok "tcpdump started (reuse)"
ip netns exec "$ns" "$PY" - <<'PYEOF'
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 8095)); l.listen(4)
for i in range(2):
    c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    c.bind(("127.0.0.1", 45095))
    for attempt in range(50):
        try:
            c.connect(("127.0.0.1", 8095)); break
        except OSError:
            time.sleep(0.1)
    s, _ = l.accept()
    c.sendall(b"hello"); s.recv(100)
    s.close()                          # the server closes first: its TIME_WAIT
    c.recv(100); c.close()
    time.sleep(0.2)
PYEOF
cap_stop
"$TD_BIN" replay -j "$dir/reuse.pcap" > "$dir/reuse.json"
expect_eq "reuse: two connections on one 4-tuple, the second reused" \
	"$(jget "$dir/reuse.json" '[(c["conn_state"], c["reused"]) for c in d["connections"]]')" "[('SF', False), ('SF', True)]"
expect_eq "reuse: finding replay.port_reuse_time_wait" "$(jget "$dir/reuse.json" '[f["id"] for f in d["findings"]]')" "['replay.port_reuse_time_wait']"
expect_eq "reuse: reused_ports flagged" "$(jget "$dir/reuse.json" 'd["summary"]["analysis"].get("reused_ports", 0)')" 1
expect_eq "reuse: the model follows both, no departure" \
	"$(jget "$dir/reuse.json" '(d["summary"]["model"]["followed"], d["summary"]["departures"])')" "(2, {})"
expect_eq "reuse: the server closed first and holds TIME_WAIT by the model" \
	"$(jget "$dir/reuse.json" '[(c["closed_first"], c["responder"]["model"]["state"]) for c in d["connections"]]')" \
	"[('responder', 'TIME_WAIT'), ('responder', 'TIME_WAIT')]"
