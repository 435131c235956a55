#!/bin/bash
# SPDX-License-Identifier: MIT
# replay: captures made here with tcpdump, inside namespaces this test makes,
# of real conditions, each checked for conn_state, endpoint states, flags and
# findings:
#   clean     keep-alive session closed by both sides: SF, keep_alive flags,
#             no departure, no finding (exit 0)
#   leak      the server never closes after the client's FIN (CLOSE_WAIT):
#             S2, responder CLOSE_WAIT, replay.half_closed
#   storm     300 connects to a closed port: REJ, replay.rst_storm
#   flood     200 spoofed SYNs into a TUN device (tun_synflood): replay.syn_flood
#   overflow  10 clients through TUN in two waves to a listener with backlog 5
#             that never accepts (tun_clients ack, tcp_syncookies=0):
#             replay.accept_queue_overflow
#   lostack   one client whose first ACK is corrupted and dropped (tun_clients
#             lostack): replay.lost_third_ack, then ESTABLISHED
#   midfin    a loopback connection already open (data both ways) when
#             tcpdump starts, then more data and FIN both ways: picked up in
#             the middle, SF (Zeek's word for a partial connection closed both
#             ways), history without S, bytes from the capture only, followed
#             by the model from ESTABLISHED to TIME_WAIT, no departure
#   midrst    the same, the server resetting (SO_LINGER 0): RSTRH, the
#             model judges the RST (rst_not_fin, the FIN close() sends),
#             replay.reset_instead_of_close
#   synovf    loopback, listen(1) never accepting, 5 clients 0.4 s apart:
#             the full accept queue drops the last 3 clients' SYNs while 2
#             completed: replay.accept_queue_overflow by its unanswered-SYN
#             sign, the SYNs counted = the kernel's ListenOverflows
#   resets    12 connections a server resets (SO_LINGER 0) among 3 closed
#             with FIN: replay.reset_instead_of_close warning; resetsfew,
#             10 among 101: under 10%, info
#   pipe      tcpdump -U -w - | tcpdoctor replay --format ndjson -: a
#             connection's line comes out while tcpdump still runs
#   damaged   truncated and corrupt captures, a directory, a non-capture
. "$(dirname "$0")/../lib.sh"
require_root
command -v tcpdump >/dev/null || skip_all "needs tcpdump (scripts/deps.sh test)"
dir=$(tmpdir)

# cap_start NS DEV FILE: tcpdump on DEV into FILE (as root: the directory is root's).
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
# jq-like reads of a replay JSON document
jget() { "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

# ---- clean: keep-alive session, both sides close ----
ns=$(mkns clean)
cap_start "$ns" lo "$dir/clean.pcap" || not_ok "tcpdump started (clean)"
ip netns exec "$ns" "$PY" - <<'PYEOF'
import socket, threading, time
l = socket.socket(); l.bind(("127.0.0.1", 8080)); l.listen(4)
def srv():
    c, _ = l.accept()
    while True:
        d = c.recv(100)
        if not d: break
        c.sendall(d)
    c.close()
t = threading.Thread(target=srv); t.start()
c = socket.create_connection(("127.0.0.1", 8080))
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
c.sendall(b"ping"); c.recv(10)
time.sleep(2.5)
c.sendall(b"ping"); c.recv(10)
c.close(); t.join()
PYEOF
cap_stop
"$TD_BIN" replay -j "$dir/clean.pcap" > "$dir/clean.json"
expect_eq "clean: exit 0" "$?" 0
expect_eq "clean: one connection, SF" "$(jget "$dir/clean.json" '[c["conn_state"] for c in d["connections"]]')" "['SF']"
expect_eq "clean: ended by FIN both ways" "$(jget "$dir/clean.json" 'd["connections"][0]["ending"]["how"]')" fin
expect_eq "clean: originator closed first, ends in TIME_WAIT" \
	"$(jget "$dir/clean.json" '(d["connections"][0]["closed_first"], d["connections"][0]["originator"]["state"])')" \
	"('originator', 'TIME_WAIT')"
expect_eq "clean: originator timeline" \
	"$(jget "$dir/clean.json" '[t["state"] for t in d["connections"][0]["originator"]["timeline"]]')" \
	"['SYN_SENT', 'ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT']"
expect_eq "clean: responder timeline" \
	"$(jget "$dir/clean.json" '[t["state"] for t in d["connections"][0]["responder"]["timeline"]]')" \
	"['LISTEN', 'SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSE']"
ka=$(jget "$dir/clean.json" 'd["connections"][0]["analysis"].get("keep_alive", 0)')
check "clean: keep-alive probes flagged ($ka)" test "$ka" -ge 1
expect_eq "clean: bytes each way" "$(jget "$dir/clean.json" '(d["connections"][0]["originator"]["bytes"], d["connections"][0]["responder"]["bytes"])')" "(8, 8)"
expect_eq "clean: no departure" "$(jget "$dir/clean.json" 'd["summary"]["departures"]')" "{}"
expect_eq "clean: no finding" "$(jget "$dir/clean.json" 'd["findings"]')" "[]"
"$TD_BIN" replay "$dir/clean.pcap" > "$dir/clean.txt"
check "clean: the table says no anomaly" grep -q "^none: no anomaly" "$dir/clean.txt"
"$TD_BIN" replay --conn 1 "$dir/clean.pcap" > "$dir/clean.ladder"
check "clean: --conn 1 draws the ladder" grep -q "SYN_SENT .*-- S 0 " "$dir/clean.ladder"
check "clean: the ladder says what the model expects" grep -q "^model (linux) expects from the originator (TIME_WAIT)" "$dir/clean.ladder"
"$TD_BIN" replay --conn 2 "$dir/clean.pcap" 2>"$dir/err" >/dev/null
expect_eq "clean: --conn 2 does not exist: exit 64" "$?" 64
check "clean: JSON matches schema/tcpdoctor.schema.json" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/clean.json"

# ---- leak: CLOSE_WAIT never closed ----
ns=$(mkns leak)
cap_start "$ns" lo "$dir/leak.pcap" || not_ok "tcpdump started (leak)"
# (a background job's standard input is /dev/null: the script goes in a file)
cat > "$dir/leak.py" <<'PYEOF'
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 8081)); l.listen(4)
c = socket.create_connection(("127.0.0.1", 8081)); s, _ = l.accept()
c.sendall(b"request"); s.recv(100); c.close()       # the server never closes s
time.sleep(2.5)
p = socket.create_connection(("127.0.0.1", 8081)); q, _ = l.accept()   # a later health probe
p.close(); q.close(); time.sleep(0.2)
open(sys.argv[1], "w").close()
time.sleep(60)                                      # s stays in CLOSE_WAIT until killed
PYEOF
bg ip netns exec "$ns" "$PY" "$dir/leak.py" "$dir/leak.done"
LEAK_PID=$BG_PID
wait_for 10 test -e "$dir/leak.done"
cap_stop
kill "$LEAK_PID" 2>/dev/null
"$TD_BIN" replay -j "$dir/leak.pcap" > "$dir/leak.json"
expect_eq "leak: the leaked connection is S2" "$(jget "$dir/leak.json" '[c for c in d["connections"] if c["id"] == 1][0]["conn_state"]')" S2
expect_eq "leak: its responder stays in CLOSE_WAIT" "$(jget "$dir/leak.json" '[c for c in d["connections"] if c["id"] == 1][0]["responder"]["state"]')" CLOSE_WAIT
expect_eq "leak: finding replay.half_closed" "$(jget "$dir/leak.json" '[f["id"] for f in d["findings"]]')" "['replay.half_closed']"
expect_eq "leak: the model has the responder in CLOSE_WAIT with no timer, until close()" \
	"$(jget "$dir/leak.json" '(lambda c: (c["responder"]["model"]["state"], c["responder"]["model"]["next"]["timer"], c["responder"]["model"]["next"]["event"].split(":")[0]))([c for c in d["connections"] if c["id"] == 1][0])')" \
	"('CLOSE_WAIT', None, 'close() by the application')"
expect_eq "leak: and the originator in FIN_WAIT2, no departure" \
	"$(jget "$dir/leak.json" '(lambda c: (c["originator"]["model"]["state"], c["departures"]))([c for c in d["connections"] if c["id"] == 1][0])')" "('FIN_WAIT2', [])"
"$TD_BIN" replay --list "$dir/leak.pcap" 'state close-wait' > "$dir/leak.list"
expect_eq "leak: the ls filter 'state close-wait' selects only it" "$(grep -E '^ +[0-9]+  ' "$dir/leak.list" | awk '{print $1, $2}')" "1 S2"

# ---- storm: RSTs from a closed port ----
ns=$(mkns storm)
cap_start "$ns" lo "$dir/storm.pcap" || not_ok "tcpdump started (storm)"
ip netns exec "$ns" "$PY" - <<'PYEOF'
import socket
for i in range(300):
    s = socket.socket()
    try: s.connect(("127.0.0.1", 9))
    except OSError: pass
    s.close()
PYEOF
cap_stop
"$TD_BIN" replay -j "$dir/storm.pcap" > "$dir/storm.json"
# tcpdump may lose some of a burst this fast (counted in its "dropped by kernel").
expect_eq "storm: every connection REJ" "$(jget "$dir/storm.json" 'list(d["summary"]["conn_state"])')" "['REJ']"
n=$(jget "$dir/storm.json" 'd["summary"]["conn_state"]["REJ"]')
check "storm: at least 150 of 300 captured ($n)" test "$n" -ge 150
expect_eq "storm: the model sends the same RST (nothing listens): no departure, every originator CLOSE" \
	"$(jget "$dir/storm.json" '(d["summary"]["departures"], sorted(set(c["originator"]["model"]["state"] for c in d["connections"])))')" "({}, ['CLOSE'])"
expect_eq "storm: finding replay.rst_storm" "$(jget "$dir/storm.json" '[f["id"] for f in d["findings"]]')" "['replay.rst_storm']"

# ---- flood: spoofed SYNs into a TUN device ----
if [ -c /dev/net/tun ]; then
	ns=$(mkns flood)
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=1
	rm -f "$dir/go"
	bg ip netns exec "$ns" "$TD_HELPERS/tun_synflood" tdtun0 198.18.0.1 8080 200 "$dir/go" "$dir/stats"
	bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.IPPROTO_IP, 15, 1)
l.bind(("198.18.0.1", 8080)); l.listen(16); time.sleep(600)'
	wait_for 10 sh -c "ip -n $ns addr show dev tdtun0 | grep -q 198.18.0.1"
	wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN"
	cap_start "$ns" tdtun0 "$dir/flood.pcap" || not_ok "tcpdump started (flood)"
	touch "$dir/go"
	wait_for 10 sh -c "grep -q '^synacks 2[0-9][0-9]' '$dir/stats' 2>/dev/null"
	cap_stop
	"$TD_BIN" replay -j "$dir/flood.pcap" > "$dir/flood.json"
	expect_eq "flood: raw IP link type read" "$(jget "$dir/flood.json" 'd["capture"]["link_type"].split()[0]')" RAW
	expect_eq "flood: finding replay.syn_flood, critical, on the listener" \
		"$(jget "$dir/flood.json" '[(f["id"], f["severity"], f["subject"]) for f in d["findings"]]')" \
		"[('replay.syn_flood', 'critical', '198.18.0.1:8080')]"
	src=$(jget "$dir/flood.json" 'd["findings"][0]["evidence"]["sources"]')
	check "flood: many distinct sources ($src)" test "$src" -ge 20
	expect_eq "flood: the model holds a request socket with its SYN-ACK timer for each" \
		"$(jget "$dir/flood.json" 'sorted(set((c["responder"]["model"]["state"], c["responder"]["model"]["object"], c["responder"]["model"]["next"]["timer"]) for c in d["connections"]))')" \
		"[('NEW_SYN_RECV', 'req', 'synack')]"
else
	skip "flood: needs /dev/net/tun"
fi

# ---- overflow: a full accept queue ----
if [ -c /dev/net/tun ]; then
	ns=$(mkns ovf)
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syncookies=0
	rm -f "$dir/go2"
	bg ip netns exec "$ns" "$TD_HELPERS/tun_clients" tdtun1 198.18.0.1 8080 10 "$dir/go2" ack
	bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.IPPROTO_IP, 15, 1)
l.bind(("198.18.0.1", 8080)); l.listen(5); time.sleep(600)'
	wait_for 10 sh -c "ip -n $ns addr show dev tdtun1 | grep -q 198.18.0.1"
	wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN"
	cap_start "$ns" tdtun1 "$dir/ovf.pcap" || not_ok "tcpdump started (overflow)"
	touch "$dir/go2"
	sleep 2.5		# SYN-ACKs are retransmitted 1 s after the dropped ACKs
	cap_stop
	"$TD_BIN" replay -j "$dir/ovf.pcap" > "$dir/ovf.json"
	expect_eq "overflow: finding replay.accept_queue_overflow on the listener" \
		"$(jget "$dir/ovf.json" '[(f["id"], f["subject"]) for f in d["findings"]]')" \
		"[('replay.accept_queue_overflow', '198.18.0.1:8080')]"
	n=$(jget "$dir/ovf.json" 'd["findings"][0]["evidence"]["synack_after_ack_conns"]')
	check "overflow: 4 of the second wave's 5 ACKs found the queue full ($n)" test "$n" -eq 4
	dep=$(jget "$dir/ovf.json" 'd["summary"]["departures"].get("synack_after_ack", 0)')
	check "overflow: departures synack_after_ack ($dep)" test "$dep" -ge 4
	expect_eq "overflow: no other departure (the listener's queue is the findings' business)" \
		"$(jget "$dir/ovf.json" 'sorted(d["summary"]["departures"])')" "['synack_after_ack']"
else
	skip "overflow: needs /dev/net/tun"
fi

# ---- lostack: the third ACK corrupted and dropped ----
if [ -c /dev/net/tun ]; then
	ns=$(mkns lost)
	rm -f "$dir/go3"
	bg ip netns exec "$ns" "$TD_HELPERS/tun_clients" tdtun2 198.18.0.1 8080 1 "$dir/go3" lostack
	bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.IPPROTO_IP, 15, 1)
l.bind(("198.18.0.1", 8080)); l.listen(16); time.sleep(600)'
	wait_for 10 sh -c "ip -n $ns addr show dev tdtun2 | grep -q 198.18.0.1"
	wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN"
	cap_start "$ns" tdtun2 "$dir/lost.pcap" || not_ok "tcpdump started (lostack)"
	touch "$dir/go3"
	sleep 1.8
	cap_stop
	"$TD_BIN" replay -j "$dir/lost.pcap" > "$dir/lost.json"
	expect_eq "lostack: finding replay.lost_third_ack" "$(jget "$dir/lost.json" '[f["id"] for f in d["findings"]]')" "['replay.lost_third_ack']"
	expect_eq "lostack: the bad checksum is counted, the segment used" "$(jget "$dir/lost.json" 'd["capture"]["bad_checksum"]')" 1
	iv=$(jget "$dir/lost.json" '"%.1f" % d["connections"][0]["responder"]["synack_retransmits"][0]')
	expect_eq "lostack: SYN-ACK retransmitted after 1 s" "$iv" 1.0
	expect_eq "lostack: the SYN-ACK after the ACK is the only departure" \
		"$(jget "$dir/lost.json" '[x["id"] for x in d["connections"][0]["departures"]]')" "['synack_after_ack']"
	expect_eq "lostack: both ends ESTABLISHED at the end" \
		"$(jget "$dir/lost.json" '(d["connections"][0]["originator"]["state"], d["connections"][0]["responder"]["state"])')" \
		"('ESTABLISHED', 'ESTABLISHED')"
else
	skip "lostack: needs /dev/net/tun"
fi

# ---- midfin, midrst: connections already open when the capture began ----
# mid OUT MODE: the connection is made and used, then tcpdump starts (as a
# child of the script, stopped by it), then more data and the close.
mid() {
	local ns
	ns=$(mkns "mid$2")
	ip netns exec "$ns" "$PY" - "$1" "$2" <<'PYEOF'
import socket, struct, subprocess, sys, time
out, mode = sys.argv[1], sys.argv[2]
l = socket.socket(); l.bind(("127.0.0.1", 8091)); l.listen(1)
c = socket.create_connection(("127.0.0.1", 8091)); s, _ = l.accept()
c.sendall(b"a" * 1000); s.recv(5000); s.sendall(b"b" * 500); c.recv(5000)
time.sleep(0.3)
err = open(out + ".err", "w")
p = subprocess.Popen(["tcpdump", "--immediate-mode", "-i", "lo", "-U", "-s", "256", "-Z", "root",
                      "-w", out, "tcp"], stderr=err)
for i in range(200):
    if "listening on" in open(out + ".err").read(): break
    time.sleep(0.05)
time.sleep(0.2)
c.sendall(b"x" * 300); s.recv(5000); s.sendall(b"y" * 200); c.recv(5000)
time.sleep(0.1)
if mode == "fin":
    c.close(); time.sleep(0.05); s.close()
else:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)); s.close()
    time.sleep(0.05); c.close()
time.sleep(0.3)
p.send_signal(2); p.wait(timeout=10)
PYEOF
	"$TD_BIN" replay -j "$1" > "$1.json"
}
mid "$dir/midfin.pcap" fin
c0='d["connections"][0]'
expect_eq "midfin: one connection, picked up in the middle, SF, history without S" \
	"$(jget "$dir/midfin.pcap.json" "(d['count'], $c0['partial'], $c0['conn_state'], 's' in $c0['history'].lower())")" "(1, True, 'SF', False)"
expect_eq "midfin: the client is the originator (it spoke first), both sides' bytes since the capture began" \
	"$(jget "$dir/midfin.pcap.json" "($c0['originator']['endpoint'].endswith(':8091'), $c0['responder']['endpoint'], $c0['originator']['bytes'], $c0['responder']['bytes'])")" \
	"(False, '127.0.0.1:8091', 300, 200)"
expect_eq "midfin: the capture's states from ESTABLISHED, the client closing first" \
	"$(jget "$dir/midfin.pcap.json" "([t['state'] for t in $c0['originator']['timeline']], [t['state'] for t in $c0['responder']['timeline']], $c0['ending']['how'], $c0['closed_first'])")" \
	"(['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT'], ['ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSE'], 'fin', 'originator')"
expect_eq "midfin: the model picked it up and followed it to TIME_WAIT, no departure" \
	"$(jget "$dir/midfin.pcap.json" "($c0['model'], [t['state'] for t in $c0['originator']['model']['timeline']], $c0['originator']['model']['next']['timer'], $c0['departures'], d['summary']['model'])")" \
	"('followed', ['ESTABLISHED', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT'], 'timewait', [], {'followed': 1, 'not_followed': 0, 'lost': 0, 'picked_up': 1})"
check "midfin: JSON matches the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/midfin.pcap.json"
"$TD_BIN" replay --conn 1 "$dir/midfin.pcap" > "$dir/midfin.ladder"
check "midfin: the ladder starts ESTABLISHED, numbered from the first segment" \
	grep -Eq "^ +0\.000000  ESTABLISHED +-- P\. 1 ack 1 len 300 -+>  ESTABLISHED" "$dir/midfin.ladder"
mid "$dir/midrst.pcap" rst
expect_eq "midrst: RSTRH (reset by the responder, the originator seen only mid-stream)" \
	"$(jget "$dir/midrst.pcap.json" "($c0['conn_state'], $c0['ending'])")" "('RSTRH', {'how': 'rst', 'by': 'responder', 'state': 'ESTABLISHED'})"
expect_eq "midrst: the model judges the RST" \
	"$(jget "$dir/midrst.pcap.json" "($c0['model'], [x['id'] for x in $c0['departures']])")" "('followed', ['rst_not_fin'])"
expect_eq "midrst: finding replay.reset_instead_of_close (one connection: info)" \
	"$(jget "$dir/midrst.pcap.json" '[(f["id"], f["severity"], f["evidence"]["conns"]) for f in d["findings"]]')" "[('replay.reset_instead_of_close', 'info', 1)]"
"$TD_BIN" replay --conn 1 "$dir/midrst.pcap" > "$dir/midrst.ladder"
check "midrst: beside the RST, the FIN the model's close() sends" \
	grep -Eq -- "<-+ R\. 201 ack 301 -- .*expected: <- F\. 201 ack 301 \(close\(\)\); ! rst_not_fin" "$dir/midrst.ladder"

# ---- synovf: a full accept queue drops new SYNs (loopback) ----
# listen(1), never accept(): two children fill the queue ("full" is
# sk_ack_backlog > backlog), then tcp_conn_request() drops every SYN
# (LINUX_MIB_LISTENOVERFLOWS) while the two stay ESTABLISHED.  The clients
# give up (close in SYN_SENT: nothing sent) before the capture stops, and the
# listener lives on past it (closing it would reset the two).
ns=$(mkns synovf)
cap_start "$ns" lo "$dir/synovf.pcap" || not_ok "tcpdump started (synovf)"
cat > "$dir/synovf.py" <<'PYEOF'
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 8093)); l.listen(1)   # never accept()
cs = []
for i in range(5):                                  # one client every 0.4 s
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 8093))
    except BlockingIOError: pass
    cs.append(c); time.sleep(0.4)
time.sleep(2.6)                                     # SYNs retransmitted 1 s apart
for c in cs:                                        # tcpi_state 2: SYN_SENT, closed
    if c.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == 2:   # without a packet
        c.close()
time.sleep(0.3)
ovf = 0
for line in open("/proc/net/netstat").read().split("\n"):
    if line.startswith("TcpExt:") and "ListenOverflows" in line:
        names = line.split()
    elif line.startswith("TcpExt:"):
        ovf = int(line.split()[names.index("ListenOverflows")])
open(sys.argv[1], "w").write("%d\n" % ovf)
time.sleep(60)                                      # the listener stays until killed
PYEOF
bg ip netns exec "$ns" "$PY" "$dir/synovf.py" "$dir/synovf.done"
SYNOVF_PID=$BG_PID
wait_for 15 test -s "$dir/synovf.done"
cap_stop
kill "$SYNOVF_PID" 2>/dev/null
"$TD_BIN" replay -j "$dir/synovf.pcap" > "$dir/synovf.json"
expect_eq "synovf: two handshakes completed (backlog 1 holds two), three SYNs never answered" \
	"$(jget "$dir/synovf.json" '[c["conn_state"] for c in d["connections"]]')" "['S1', 'S1', 'S0', 'S0', 'S0']"
expect_eq "synovf: finding replay.accept_queue_overflow, warning, on the listener, alone" \
	"$(jget "$dir/synovf.json" '[(f["id"], f["severity"], f["subject"]) for f in d["findings"]]')" \
	"[('replay.accept_queue_overflow', 'warning', '127.0.0.1:8093')]"
expect_eq "synovf: evidence: 3 SYNs unanswered, all retransmitted, 2 completed, no SYN-ACK after an ACK" \
	"$(jget "$dir/synovf.json" '(lambda e: (e["syn_unanswered"], e["syn_unanswered_retransmitted"], e["syn_retransmitted_conns"], e["completed"], e["synack_after_ack_conns"]))(d["findings"][0]["evidence"])')" \
	"(3, 3, 3, 2, 0)"
expect_eq "synovf: the summary names the unanswered SYNs, not the other sign" \
	"$(jget "$dir/synovf.json" 'd["findings"][0]["summary"]')" \
	"accept queue of 127.0.0.1:8093 overflowed: 3 connection(s) retransmitted their SYN and got no SYN-ACK; 2 handshake(s) completed"
# Every SYN of the three (first and retransmitted) is one the kernel counted
# as a listen overflow.
syns=$(jget "$dir/synovf.json" 'sum(1 + len(c["originator"]["syn_retransmits"]) for c in d["connections"] if c["conn_state"] == "S0")')
expect_eq "synovf: unanswered SYNs in the capture = the namespace's TcpExtListenOverflows ($syns)" "$syns" "$(cat "$dir/synovf.done")"
check "synovf: each retransmitted at least twice ($syns SYNs)" test "$syns" -ge 9
expect_eq "synovf: the model expects the same retransmissions: no departure" \
	"$(jget "$dir/synovf.json" 'd["summary"]["departures"]')" "{}"

# ---- resets, resetsfew: servers closing with RST (SO_LINGER 0) ----
# resets RST CLEAN OUT: RST connections the server resets after a request
# and its answer, CLEAN closed with FIN both ways.
resets() {
	local ns
	ns=$(mkns "rst$1")
	cap_start "$ns" lo "$3" || not_ok "tcpdump started (resets $1)"
	ip netns exec "$ns" "$PY" - "$1" "$2" <<'PYEOF'
import socket, struct, sys, time
nrst, nclean = int(sys.argv[1]), int(sys.argv[2])
l = socket.socket(); l.bind(("127.0.0.1", 8094)); l.listen(16)
for i in range(nrst + nclean):
    c = socket.create_connection(("127.0.0.1", 8094)); s, _ = l.accept()
    c.sendall(b"GET"); s.recv(100); s.sendall(b"OK"); c.recv(100)
    if i < nrst:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        s.close(); time.sleep(0.01); c.close()
    else:
        c.close(); time.sleep(0.01); s.close()
    time.sleep(0.01)
PYEOF
	cap_stop
	"$TD_BIN" replay -j "$3" > "$3.json"
}
resets 12 3 "$dir/resets.pcap"
expect_eq "resets: 12 reset by the server (RSTR), 3 closed both ways (SF)" \
	"$(jget "$dir/resets.pcap.json" 'sorted(d["summary"]["conn_state"].items())')" "[('RSTR', 12), ('SF', 3)]"
expect_eq "resets: each RST judged against the FIN close() sends" \
	"$(jget "$dir/resets.pcap.json" 'd["summary"]["departures"]')" "{'rst_not_fin': 12}"
expect_eq "resets: replay.reset_instead_of_close, warning (12 >= 10 and 80% of 15)" \
	"$(jget "$dir/resets.pcap.json" '[(f["id"], f["severity"], f["evidence"]["conns"], f["evidence"]["conns_total"]) for f in d["findings"]]')" \
	"[('replay.reset_instead_of_close', 'warning', 12, 15)]"
# 10 resets among 101 connections: 10 is under 10% of them, info.
resets 10 91 "$dir/resetsfew.pcap"
expect_eq "resetsfew: 10 RSTR, 91 SF" \
	"$(jget "$dir/resetsfew.pcap.json" 'sorted(d["summary"]["conn_state"].items())')" "[('RSTR', 10), ('SF', 91)]"
expect_eq "resetsfew: replay.reset_instead_of_close stays info (10 of 101 is under 10%)" \
	"$(jget "$dir/resetsfew.pcap.json" '[(f["id"], f["severity"], f["evidence"]["conns"], f["evidence"]["conns_total"]) for f in d["findings"]]')" \
	"[('replay.reset_instead_of_close', 'info', 10, 101)]"

# ---- pipe: live, a connection printed as it ends ----
ns=$(mkns pipe)
mkfifo "$dir/fifo"
bg sh -c "exec '$TD_BIN' replay --format ndjson - < '$dir/fifo' > '$dir/pipe.out'"
REPLAY_PID=$BG_PID
bg sh -c "exec ip netns exec $ns tcpdump --immediate-mode -B 8192 -i lo -U -s 256 -w - tcp 2>'$dir/pipe.err' > '$dir/fifo'"
TCPDUMP_PID=$BG_PID
wait_for 10 sh -c "grep -q 'listening on' '$dir/pipe.err' 2>/dev/null"
ip netns exec "$ns" "$PY" -c '
import socket
l = socket.socket(); l.bind(("127.0.0.1", 8082)); l.listen(1)
c = socket.create_connection(("127.0.0.1", 8082)); s, _ = l.accept()
c.close(); s.close()
c = socket.create_connection(("127.0.0.1", 8082)); s, _ = l.accept()
s.close(); c.close()'
check "pipe: a finished connection's line arrives while tcpdump runs" \
	wait_for 10 grep -q '"type":"connection"' "$dir/pipe.out"
kill -INT "$TCPDUMP_PID"
wait "$TCPDUMP_PID" 2>/dev/null
wait "$REPLAY_PID" 2>/dev/null
expect_eq "pipe: two connections, then the summary line" \
	"$(sed 's/.*"type":"\([a-z]*\)".*/\1/' "$dir/pipe.out" | tr '\n' ' ')" "connection connection summary "
grep '"type":"connection"' "$dir/pipe.out" | head -1 > "$dir/pipe.line"
check "pipe: a connection line matches the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=replay_conn "$dir/pipe.line"

# ---- damaged captures ----
size=$(stat -c %s "$dir/clean.pcap")
head -c $((size - 7)) "$dir/clean.pcap" > "$dir/trunc.pcap"
"$TD_BIN" replay -j "$dir/trunc.pcap" > "$dir/trunc.json" 2> "$dir/trunc.err"
expect_eq "truncated: exit 65" "$?" 65
check "truncated: the error names the packet" grep -q "trunc.pcap: packet [0-9]*: truncated" "$dir/trunc.err"
check "truncated: the connections before it are reported" "$PY" -c "import json; d = json.load(open('$dir/trunc.json')); assert d['capture']['truncated'] and d['count'] == 1"
# A record whose length is absurd (caplen 0x7fffffff) after the first one.
"$PY" - "$dir/clean.pcap" "$dir/corrupt.pcap" <<'PYEOF'
import sys, struct
b = bytearray(open(sys.argv[1], "rb").read())
caplen = struct.unpack_from("<I", b, 24 + 8)[0]
off = 24 + 16 + caplen
struct.pack_into("<I", b, off + 8, 0x7fffffff)
open(sys.argv[2], "wb").write(b)
PYEOF
"$TD_BIN" replay "$dir/corrupt.pcap" > /dev/null 2> "$dir/corrupt.err"
expect_eq "corrupt record: exit 65" "$?" 65
check "corrupt record: packet 2 named" grep -q "corrupt.pcap: packet 2:" "$dir/corrupt.err"
"$TD_BIN" replay "$dir" > /dev/null 2> "$dir/err"
expect_eq "a directory: exit 66" "$?" 66
echo "not a capture" > "$dir/text.pcap"
"$TD_BIN" replay "$dir/text.pcap" > /dev/null 2> "$dir/err"
expect_eq "not a capture: exit 65" "$?" 65
check "not a capture: one line naming the file" sh -c "test \$(wc -l < '$dir/err') -eq 1 && grep -q 'text.pcap: not a readable pcap' '$dir/err'"
"$TD_BIN" replay "$dir/missing.pcap" > /dev/null 2> "$dir/err"
expect_eq "missing file: exit 66" "$?" 66
# Snap lengths: 80 bytes keep the headers (14 + 20 + 32) and cut the payload,
# 50 bytes cut the TCP header itself.
ns=$(mkns snap)
bg ip netns exec "$ns" tcpdump --immediate-mode -i lo -U -s 80 -Z root -w "$dir/snap.pcap" tcp 2>"$dir/snap.err"
SNAP1=$BG_PID
bg ip netns exec "$ns" tcpdump --immediate-mode -i lo -U -s 50 -Z root -w "$dir/snap50.pcap" tcp 2>"$dir/snap50.err"
SNAP2=$BG_PID
wait_for 10 grep -q "listening on" "$dir/snap.err"
wait_for 10 grep -q "listening on" "$dir/snap50.err"
ip netns exec "$ns" "$PY" -c '
import socket
l = socket.socket(); l.bind(("127.0.0.1", 8083)); l.listen(1)
c = socket.create_connection(("127.0.0.1", 8083)); s, _ = l.accept()
c.sendall(b"x" * 3000); s.recv(5000); c.close(); s.close()'
sleep 0.3
kill -INT "$SNAP1" "$SNAP2"
wait "$SNAP1" "$SNAP2" 2>/dev/null
"$TD_BIN" replay -j "$dir/snap.pcap" > "$dir/snap.json" 2>"$dir/snap.stderr"
expect_eq "snap 80: exit 0" "$?" 0
cut=$(jget "$dir/snap.json" 'd["capture"]["payload_cut"]')
check "snap 80: payloads cut but headers used ($cut)" test "$cut" -ge 1
expect_eq "snap 80: bytes from the IP length" "$(jget "$dir/snap.json" 'd["connections"][0]["originator"]["bytes"]')" 3000
"$TD_BIN" replay -j "$dir/snap50.pcap" > "$dir/snap50.json" 2>"$dir/snap50.stderr"
expect_eq "snap 50: exit 0 (packets skipped, not an error)" "$?" 0
n=$(jget "$dir/snap50.json" 'd["capture"]["skipped"]["headers_cut"]')
p=$(jget "$dir/snap50.json" 'd["capture"]["packets"]')
check "snap 50: every packet counted as headers cut ($n of $p)" test "$n" -eq "$p" -a "$p" -gt 0
check "snap 50: the first one named with its number" grep -q "snap50.pcap: packet 1: headers cut by the snap length" "$dir/snap50.stderr"

# ---- privileges: dropped after opening the capture ----
expect_eq "privileges: parsing ran as nobody" "$(jget "$dir/clean.json" 'd["capture"]["uid"]')" "$(id -u nobody)"
