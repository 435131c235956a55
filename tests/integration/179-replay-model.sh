#!/bin/bash
# SPDX-License-Identifier: MIT
# replay drives both endpoints through the model: captures made here with
# tcpdump inside namespaces this test makes, checked for the model's states,
# its expected next events and its departures:
#   clean     a loopback session between two Linux sockets (data both ways,
#             SO_KEEPALIVE probes, the client closes first): followed by the
#             model, its timelines as the kernel's objects go (request socket,
#             timewait socket), TIME_WAIT ending 60 s after it began by the
#             model's timer, and no departure at all
#   early     a peer behind TUN (tun_peer early) whose first SYN-ACK the
#             kernel drops (wrong checksum) and which retransmits it after
#             300 ms, where Linux waits 1 s: departure synack_rto, and only it
#   datafin   a peer that sends 100 bytes after its own FIN: data_after_fin
#   tunclean  the same TUN peer behaving (tun_peer clean): no departure, so
#             the two above come from the planted faults, not the TUN path,
#             and its --conn ladder has nothing beside a packet
#   late      a peer (tun_peer late) whose first SYN-ACK the kernel drops and
#             which ignores the retransmitted SYNs until it retransmits the
#             SYN-ACK 3 s later: --conn shows beside each retransmitted SYN
#             the model's SYN-ACK that never came, and synack_rto (Linux
#             retransmits after 1 s)
#   rstfin    a peer (tun_peer rstfin) that answers the client's FIN with RST:
#             --conn shows beside the RST the FIN the model's close() sends,
#             and rst_not_fin; -j --conn carries the same
#   overwin   a peer (tun_peer overwin) sending 100 bytes 200000 beyond its
#             next sequence number, outside the client's window: out_of_window
#   isn       nine connections to one TUN peer whose ISN is always 7000:
#             replay.isn_predictable; nine to a Linux listener on loopback
#             (RFC 6528 ISNs): no finding
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

# ---- clean: two Linux sockets on loopback ----
ns=$(mkns mclean)
cap_start "$ns" lo "$dir/clean.pcap" || not_ok "tcpdump started (clean)"
ip netns exec "$ns" "$PY" - <<'PYEOF'
import socket, threading, time
l = socket.socket(); l.bind(("127.0.0.1", 8090)); l.listen(4)
def srv():
    c, _ = l.accept()
    while True:
        d = c.recv(1000)
        if not d: break
        c.sendall(d * 2)
    c.close()
t = threading.Thread(target=srv); t.start()
c = socket.create_connection(("127.0.0.1", 8090))
c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)
for i in range(3):
    c.sendall(b"x" * 300); c.recv(1000)
time.sleep(1.5)
c.sendall(b"y" * 10); c.recv(1000)
c.close(); t.join()
PYEOF
cap_stop
"$TD_BIN" replay -j "$dir/clean.pcap" > "$dir/clean.json"
expect_eq "clean: exit 0" "$?" 0
expect_eq "clean: the model followed the connection" "$(jget "$dir/clean.json" '(d["summary"]["model"], d["connections"][0]["model"])')" \
	"({'followed': 1, 'not_followed': 0, 'lost': 0, 'picked_up': 0}, 'followed')"
expect_eq "clean: no departure from the model" "$(jget "$dir/clean.json" '(d["summary"]["departures"], d["connections"][0]["departures"])')" "({}, [])"
expect_eq "clean: the originator's states by the model" \
	"$(jget "$dir/clean.json" '[(t["state"], t["object"]) for t in d["connections"][0]["originator"]["model"]["timeline"]]')" \
	"[('SYN_SENT', 'full'), ('ESTABLISHED', 'full'), ('FIN_WAIT1', 'full'), ('FIN_WAIT2', 'full'), ('TIME_WAIT', 'tw')]"
expect_eq "clean: the responder's states by the model (request socket, child)" \
	"$(jget "$dir/clean.json" '[t["state"] for t in d["connections"][0]["responder"]["model"]["timeline"]]')" \
	"['LISTEN', 'NEW_SYN_RECV', 'SYN_RECV', 'ESTABLISHED', 'CLOSE_WAIT', 'LAST_ACK', 'CLOSE']"
# TIME_WAIT began at the peer's FIN; the model's timewait timer ends it 60 s later.
expect_eq "clean: TIME_WAIT ends 60 s after it began, by the model's timer" \
	"$(jget "$dir/clean.json" '(lambda o: (o["next"]["timer"], round(o["next"]["at"] - o["timeline"][-1]["t"], 6)))(d["connections"][0]["originator"]["model"])')" \
	"('timewait', 60.0)"
expect_eq "clean: the responder's model is closed, no timer left" \
	"$(jget "$dir/clean.json" '(lambda o: (o["state"], o["next"]["timer"]))(d["connections"][0]["responder"]["model"])')" "('CLOSE', None)"
ka=$(jget "$dir/clean.json" 'd["connections"][0]["analysis"].get("keep_alive", 0)')
check "clean: keep-alive probes were in it ($ka)" test "$ka" -ge 1
check "clean: JSON matches the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/clean.json"
"$TD_BIN" replay "$dir/clean.pcap" > "$dir/clean.txt"
check "clean: the table counts the connection the model followed" grep -q "^MODEL (linux): followed 1 connections" "$dir/clean.txt"
"$TD_BIN" replay --profile rfc9293 -j "$dir/clean.pcap" > "$dir/clean-rfc.json"
expect_eq "clean: under rfc9293 TIME_WAIT is one TCB's 2 MSL (240 s)" \
	"$(jget "$dir/clean-rfc.json" '(lambda o: (o["state"], round(o["next"]["at"] - o["timeline"][-1]["t"], 6)))(d["connections"][0]["originator"]["model"])')" \
	"('TIME_WAIT', 240.0)"

# peer NAME MODE: a TUN peer in its own namespace, a client connecting to it
# (it sends 20 bytes, reads what comes for 0.8 s, closes), captured on the TUN.
peer() {
	local ns dev=tdpeer$RANDOM
	ns=$(mkns "$1")
	bg ip netns exec "$ns" "$TD_HELPERS/tun_peer" "$dev" 198.18.0.1 "$2" > /dev/null
	wait_for 10 sh -c "ip -n $ns addr show dev $dev 2>/dev/null | grep -q 198.18.0.1" ||
		not_ok "$1: tun_peer made $dev"
	cap_start "$ns" "$dev" "$dir/$1.pcap" || not_ok "tcpdump started ($1)"
	ip netns exec "$ns" "$PY" -c '
import socket, time
c = socket.create_connection(("198.18.1.2", 80), timeout=5)
c.sendall(b"x" * 20)
c.settimeout(0.8)
try:
    while c.recv(1000): pass
except OSError: pass
c.close(); time.sleep(0.3)'
	cap_stop
	"$TD_BIN" replay -j "$dir/$1.pcap" > "$dir/$1.json"
}

# ---- early: the SYN-ACK retransmitted after 300 ms ----
peer early early
expect_eq "early: departure synack_rto, the only one" "$(jget "$dir/early.json" '[x["id"] for x in d["connections"][0]["departures"]]')" "['synack_rto']"
detail=$(jget "$dir/early.json" 'd["connections"][0]["departures"][0]["detail"]')
check "early: it names 0.3 s against the model's 1 s ($detail)" \
	sh -c "echo '$detail' | grep -Eq 'retransmitted 0\.[23][0-9] s after the previous one; the model \(linux\) retransmits it after 1\.00 s'"
iv=$(jget "$dir/early.json" '"%.1f" % d["connections"][0]["responder"]["synack_retransmits"][0]')
expect_eq "early: the interval seen is 0.3 s" "$iv" 0.3
expect_eq "early: the bad checksum is counted" "$(jget "$dir/early.json" 'd["capture"]["bad_checksum"]')" 1

# ---- datafin: data after the peer's own FIN ----
peer datafin datafin
check "datafin: departure data_after_fin" \
	sh -c "test \"\$('$PY' -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[\"summary\"][\"departures\"].get(\"data_after_fin\", 0))' '$dir/datafin.json')\" -ge 1"
expect_eq "datafin: the responder sent it" \
	"$(jget "$dir/datafin.json" '[x["detail"].split(" ")[0:2] for x in d["connections"][0]["departures"] if x["id"] == "data_after_fin"]')" "[['100', 'bytes']]"

# ---- tunclean: the same peer, behaving ----
peer tunclean clean
expect_eq "tunclean: SF, followed, no departure" \
	"$(jget "$dir/tunclean.json" '(d["connections"][0]["conn_state"], d["connections"][0]["model"], d["summary"]["departures"])')" "('SF', 'followed', {})"
expect_eq "tunclean: no finding" "$(jget "$dir/tunclean.json" 'd["findings"]')" "[]"
"$TD_BIN" replay --conn 1 "$dir/tunclean.pcap" > "$dir/tunclean.ladder"
check "tunclean: the ladder has nothing beside a packet" sh -c "! grep -q 'expected:' '$dir/tunclean.ladder'"
check "tunclean: the ladder draws the handshake" grep -q "<-* S. 0 ack 1 --" "$dir/tunclean.ladder"

# ---- late: the SYN-ACK retransmitted after 3 s, the SYN's retransmissions unanswered ----
peer late late
"$TD_BIN" replay --conn 1 "$dir/late.pcap" > "$dir/late.ladder"
check "late: beside a retransmitted SYN, the model's SYN-ACK that never came" \
	grep -Eq -- "-- S 0 \[retransmission\] -+> .*expected: <- S\. 0 ack 1 \(rtx\), none came within" "$dir/late.ladder"
check "late: the ladder names synack_rto against the model's 1 s" \
	grep -q "! synack_rto: the model (linux) retransmits the SYN-ACK 1.00 s after the previous one" "$dir/late.ladder"
iv=$(jget "$dir/late.json" '"%.1f" % d["connections"][0]["responder"]["synack_retransmits"][0]')
expect_eq "late: the SYN-ACK came again after 3 s" "$iv" 3.0
"$TD_BIN" replay -j --conn 1 "$dir/late.pcap" > "$dir/late-conn.json"
expect_eq "late: -j --conn: the SYN rows carry the model's SYN-ACK that never came" \
	"$(jget "$dir/late-conn.json" '[(p["flags"], p["expected"]["flags"], p["expected"]["from"], p["expected"]["why"]) for p in d["connections"][0]["packets"] if p["expected"] and p["from"] == "originator" and p["flags"] == "S"]')" \
	"[('S', 'S.', 'responder', 'none_came'), ('S', 'S.', 'responder', 'none_came')]"
check "late: -j --conn matches the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/late-conn.json"

# ---- rstfin: RST where Linux sends FIN ----
peer rstfin rstfin
expect_eq "rstfin: RSTR, reset by the responder in CLOSE_WAIT" \
	"$(jget "$dir/rstfin.json" '(d["connections"][0]["conn_state"], d["connections"][0]["ending"])')" \
	"('RSTR', {'how': 'rst', 'by': 'responder', 'state': 'CLOSE_WAIT'})"
"$TD_BIN" replay --conn 1 "$dir/rstfin.pcap" > "$dir/rstfin.ladder"
check "rstfin: beside the RST, the FIN the model's close() sends, and rst_not_fin" \
	grep -Eq -- "<-+ R\. 1 ack 22 -- .*expected: <- F\. 1 ack 22 \(close\(\)\); ! rst_not_fin: responder reset in CLOSE_WAIT without a FIN" "$dir/rstfin.ladder"
expect_eq "rstfin: only the RST row has something beside it" "$(grep -c 'expected:' "$dir/rstfin.ladder")" 1
"$TD_BIN" replay -j --conn 1 "$dir/rstfin.pcap" > "$dir/rstfin-conn.json"
expect_eq "rstfin: -j --conn: the RST's row" \
	"$(jget "$dir/rstfin-conn.json" '(lambda p: (p["flags"], p["expected"]["flags"], p["expected"]["seq"], p["expected"]["ack"], p["expected"]["why"], [x["id"] for x in p["departures"]]))(d["connections"][0]["packets"][-1])')" \
	"('R.', 'F.', 1, 22, 'instead', ['rst_not_fin'])"
expect_eq "rstfin: -j --conn: one connection" "$(jget "$dir/rstfin-conn.json" '(d["count"], len(d["connections"]))')" "(1, 1)"
check "rstfin: -j --conn matches the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/rstfin-conn.json"

# ---- overwin: data far outside the receiver's window ----
peer overwin overwin
expect_eq "overwin: departure out_of_window, the only one" \
	"$(jget "$dir/overwin.json" '[x["id"] for x in d["connections"][0]["departures"]]')" "['out_of_window']"
check "overwin: it names the receiver's window edge" \
	sh -c "'$PY' -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d[\"connections\"][0][\"departures\"][0][\"detail\"])' '$dir/overwin.json' | grep -q 'beyond the receiver.s window edge'"

# ---- isn: one listener's ISNs all the same (tun_peer answers every SYN with ISN 7000) ----
ns=$(mkns isn)
bg ip netns exec "$ns" "$TD_HELPERS/tun_peer" tdisn0 198.18.0.1 clean > /dev/null
wait_for 10 sh -c "ip -n $ns addr show dev tdisn0 2>/dev/null | grep -q 198.18.0.1" || not_ok "isn: tun_peer made tdisn0"
cap_start "$ns" tdisn0 "$dir/isn.pcap" || not_ok "tcpdump started (isn)"
ip netns exec "$ns" "$PY" -c '
import socket
for i in range(9):
    c = socket.create_connection(("198.18.1.2", 80), timeout=5)
    c.sendall(b"x" * 20); c.close()'
cap_stop
"$TD_BIN" replay -j "$dir/isn.pcap" > "$dir/isn.json"
expect_eq "isn: replay.isn_predictable on the listener, 9 SYN-ACKs" \
	"$(jget "$dir/isn.json" '[(f["id"], f["subject"], f["evidence"]["synacks"]) for f in d["findings"] if f["id"] == "replay.isn_predictable"]')" \
	"[('replay.isn_predictable', '198.18.1.2:80', 9)]"
# The control: nine connections to a Linux listener (RFC 6528 ISNs) are not predictable.
ns=$(mkns isnlx)
cap_start "$ns" lo "$dir/isnlx.pcap" || not_ok "tcpdump started (isnlx)"
ip netns exec "$ns" "$PY" -c '
import socket
l = socket.socket(); l.bind(("127.0.0.1", 8092)); l.listen(16)
for i in range(9):
    c = socket.create_connection(("127.0.0.1", 8092)); s, _ = l.accept()
    c.sendall(b"x" * 20); s.recv(100); c.close(); s.close()'
cap_stop
"$TD_BIN" replay -j "$dir/isnlx.pcap" > "$dir/isnlx.json"
expect_eq "isnlx: nine Linux connections, no finding" \
	"$(jget "$dir/isnlx.json" '(d["count"], d["findings"])')" "(9, [])"
