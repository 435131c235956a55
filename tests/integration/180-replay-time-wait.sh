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
#   twlow   the same, then a SYN from the client's port with a sequence
#           number 100000 below the old connection's and no timestamp, sent
#           through a raw socket (its ISN read back from the capture): Linux's
#           TIME_WAIT ACKs it and the client's stack resets:
#           time_wait_lower_seq on the new connection
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

# ---- twlow: a SYN below the old connection's sequence reopening TIME_WAIT ----
ns=$(mkns twlow)
cap_start "$ns" lo "$dir/twlow.pcap" || not_ok "tcpdump started (twlow)"
ip netns exec "$ns" "$PY" - "$dir/twlow.pcap" <<'PYEOF'
import re, socket, struct, subprocess, sys, time
pcap = sys.argv[1]
l = socket.socket(); l.bind(("127.0.0.1", 8096)); l.listen(1)
c = socket.create_connection(("127.0.0.1", 8096)); s, _ = l.accept()
cport = c.getsockname()[1]
c.sendall(b"x" * 10); s.recv(100)
s.close()                          # the server closes first: its TIME_WAIT
time.sleep(0.05); c.recv(100); c.close()
time.sleep(0.2)
# The client's ISN, from its SYN in the capture so far (tcpdump -U writes each packet).
txt = subprocess.run(["tcpdump", "-r", pcap, "-S", "-n", "tcp[13] == 2"], capture_output=True,
                     text=True, timeout=10).stdout
seq = (int(re.search(r"seq (\d+)", txt).group(1)) - 100000) % (1 << 32)
def csum(b):
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
a = socket.inet_aton("127.0.0.1")
hdr = struct.pack("!HHIIBBHHH", cport, 8096, seq, 0, 5 << 4, 0x02, 65535, 0, 0)
ck = csum(struct.pack("!4s4sBBH", a, a, 0, 6, len(hdr)) + hdr)
r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
r.sendto(hdr[:16] + struct.pack("!H", ck) + hdr[18:], ("127.0.0.1", 0))
time.sleep(0.3)
PYEOF
cap_stop
"$TD_BIN" replay -j "$dir/twlow.pcap" > "$dir/twlow.json"
expect_eq "twlow: the SYN is a new connection on the old 4-tuple, the old one SF" \
	"$(jget "$dir/twlow.json" '[(c["conn_state"], c["reused"]) for c in d["connections"]][0:2]')" "[('SF', False), ('RSTOS0', True)]"
expect_eq "twlow: departure time_wait_lower_seq on it" \
	"$(jget "$dir/twlow.json" '[x["id"] for x in d["connections"][1]["departures"]][0:1]')" "['time_wait_lower_seq']"
check "twlow: it says Linux's TIME_WAIT ACKs it" \
	sh -c "'$PY' -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[\"connections\"][1][\"departures\"][0][\"detail\"])' '$dir/twlow.json' | grep -q \"Linux's TIME_WAIT ACKs it\""
expect_eq "twlow: the server's TIME_WAIT answered with an ACK (the capture shows it)" \
	"$(jget "$dir/twlow.json" 'd["connections"][1]["history"]')" "SaR"
expect_eq "twlow: finding replay.port_reuse_time_wait" \
	"$(jget "$dir/twlow.json" '[f["id"] for f in d["findings"] if f["id"] == "replay.port_reuse_time_wait"]')" "['replay.port_reuse_time_wait']"
