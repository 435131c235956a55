#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor events` against what the test did, in two namespaces of ours
# joined by a veth (198.18.0.1 client, 198.18.0.2 server; SYN-ACKs to
# 198.18.0.3 are blackholed, 198.18.0.9 has no owner):
#  - a burst of 40 short connections that no sample sees (ls before and
#    after shows none) is counted in full, each with its lifetime and bytes,
#    on both sides (per destination and per listener);
#  - a refused, a timed-out and an unreachable connect() are told apart;
#  - resets: close() with unread data (both sides), a RST to a closed port,
#    an abort on accept-queue overflow (tcp_abort_on_overflow) with the
#    listener's drops;
#  - notifications lost to a full receive buffer are counted and reported;
#  - the ndjson conforms to the schema; bad input is refused.
. "$(dirname "$0")/../lib.sh"
require_root
require_state_tracepoint "lifetimes and causes"
c=$(mkns evc) || { not_ok "create namespace"; exit 1; }
s=$(mkns evs) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip link add "vc$$" netns "$c" type veth peer name "vs$$" netns "$s" || { not_ok "veth"; exit 1; }
ip -n "$c" addr add 198.18.0.1/24 dev "vc$$"
ip -n "$s" addr add 198.18.0.2/24 dev "vs$$"
ip -n "$s" addr add 198.18.0.3/24 dev "vs$$"
ip -n "$c" link set "vc$$" up
ip -n "$s" link set "vs$$" up
# Answers from 198.18.0.3 are dropped: its SYNs arrive, its SYN-ACKs never leave.
ip -n "$s" route add blackhole 198.18.0.1/32 table 100
ip -n "$s" rule add from 198.18.0.3 to 198.18.0.1 table 100 pref 100
ip netns exec "$c" sysctl -qw net.ipv4.tcp_syn_retries=2
ip netns exec "$s" sysctl -qw net.ipv4.tcp_abort_on_overflow=1

# subscribed NS PID: the process has joined the destroy groups (netlink
# protocol 4, groups mask non-zero in /proc/net/netlink of its namespace).
subscribed() { ip netns exec "$1" awk -v p="$2" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
traced() { grep -qs 1 /sys/kernel/tracing/instances/tcpdoctor-"$1"-*/events/sock/inet_sock_set_state/enable; }

# The servers: 80 answers 2000 bytes to whatever it reads; 90 closes
# with the client's bytes unread (RST); 91 never accepts, backlog 1, and
# defers its handshakes until data comes (TCP_DEFER_ACCEPT).  The accept
# queue is checked when a SYN arrives and again when the handshake
# completes (tcp_conn_request(), tcp_v4_syn_recv_sock()); the client
# makes the second check fail: A fills one slot, D and E start while
# there is room, D's data takes the last slot, E's data finds the queue
# full and tcp_check_req() resets it (tcp_abort_on_overflow).
ip netns exec "$s" "$PY" - > "$t/srv.log" 2>&1 <<'PYEOF' &
import socket, threading, time
def listener(port, backlog=64):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("198.18.0.2", port)); l.listen(backlog); return l
def serve80(l):
    while True:
        c, _ = l.accept(); c.recv(65536); c.sendall(b"y" * 2000); c.close()
def serve90(l):
    while True:
        c, _ = l.accept(); time.sleep(0.3); c.close()
l80, l90, l91 = listener(80), listener(90), listener(91, 1)
l91.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)
threading.Thread(target=serve80, args=(l80,), daemon=True).start()
threading.Thread(target=serve90, args=(l90,), daemon=True).start()
time.sleep(60)
PYEOF
srv=$!
_td_pids+=("$srv")

ip netns exec "$c" "$TD_BIN" events -j -d 11 > "$t/c.json" 2> "$t/c.err" &
ce=$!
_td_pids+=("$ce")
ip netns exec "$s" "$TD_BIN" events -j -d 11 > "$t/s.json" 2> "$t/s.err" &
se=$!
_td_pids+=("$se")
wait_for 5 subscribed "$c" "$ce" && wait_for 5 subscribed "$s" "$se" && wait_for 5 traced "$ce" &&
	wait_for 5 traced "$se" || not_ok "events ready"
before=$(ip netns exec "$c" "$TD_BIN" ls -H state established dst 198.18.0.2 | wc -l)
ip netns exec "$c" "$PY" - > "$t/cli.log" 2>&1 <<'PYEOF'
import socket, time, errno, threading
def conn(addr, port, send=b"", wait=0.0):
    s = socket.socket()
    try:
        s.connect((addr, port))
    except OSError as e:
        print(addr, port, errno.errorcode.get(e.errno)); s.close(); return
    if send: s.sendall(send)
    if port == 80:
        got = 0
        while got < 2000:
            d = s.recv(65536)
            if not d: break
            got += len(d)
    time.sleep(wait)
    s.close()
# The slow ones first, in parallel: 7 s of SYNs (tcp_syn_retries 2), 3 s of ARP.
threads = [threading.Thread(target=conn, args=a) for a in (("198.18.0.3", 80), ("198.18.0.9", 80))]
for th in threads: th.start()
for i in range(40):
    conn("198.18.0.2", 80, b"x" * 1000, 0.02)
conn("198.18.0.2", 81)                 # nothing listens: RST
conn("198.18.0.2", 90, b"z" * 100, 0.6) # the server closes with these unread
# Overflow on 91 (see above): only E is reset.
k91 = {}
for name in "ADE":
    k91[name] = socket.socket(); k91[name].settimeout(2)
k91["A"].connect(("198.18.0.2", 91)); k91["A"].send(b"q"); time.sleep(0.2)
k91["D"].connect(("198.18.0.2", 91)); k91["E"].connect(("198.18.0.2", 91))
k91["D"].send(b"q"); time.sleep(0.2); k91["E"].send(b"q"); time.sleep(0.3)
try: k91["E"].recv(10)
except OSError as e: print("91 E", errno.errorcode.get(e.errno, e))
for k in k91.values(): k.close()
for th in threads: th.join()
PYEOF
after=$(ip netns exec "$c" "$TD_BIN" ls -H state established dst 198.18.0.2 | wc -l)
diag "client: $(tr '\n' ' ' < "$t/cli.log")"
expect_eq "no sample sees the burst (ls before)" "$before" 0
expect_eq "no sample sees the burst (ls after)" "$after" 0
wait "$ce"; rc1=$?
wait "$se"; rc2=$?
expect_eq "events exits 0 after --duration (client)" "$rc1" 0
expect_eq "events exits 0 after --duration (server)" "$rc2" 0
[ -s "$t/c.err" ] && diag "client stderr: $(cat "$t/c.err")"
[ -s "$t/s.err" ] && diag "server stderr: $(cat "$t/s.err")"

got=$("$PY" - "$t/c.json" "$t/s.json" <<'PYEOF'
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
s = [json.loads(l) for l in open(sys.argv[2])]
conn = lambda L: [e for e in L if e["type"] == "connection"]
row = lambda L, typ, key, port: [e for e in L if e["type"] == typ and e[key] == port]
burst = [e for e in conn(c) if e["dport"] == 80 and e["dst"] == "198.18.0.2"]
ok = [e for e in burst if e["outcome"] == "closed" and e["role"] == "connect" and e["bytes_sent"] == 1000
      and 2000 <= e["bytes_received"] <= 2001 and e["lifetime_ms"] is not None and 20 <= e["lifetime_ms"] < 3000
      and e["comm"] == "python3" and e["traced"]]
print("burst:", len(burst), len(ok))
d80 = row(c, "destination", "dport", 80)
print("dest80:", d80 and (d80[0]["opened"], d80[0]["succeeded"], d80[0]["bytes_sent"]))
# bytes_received is rcv_nxt's progress (tcp_rcv_nxt_update()): the peer's FIN counts 1.
srvb = [e for e in conn(s) if e["sport"] == 80 and e["role"] == "accept" and e["outcome"] == "closed"
        and 1000 <= e["bytes_received"] <= 1001 and e["bytes_sent"] == 2000]
print("server burst:", len(srvb))
l80 = row(s, "listener", "sport", 80)
print("listener80:", l80 and (l80[0]["accepted"], 40000 <= l80[0]["bytes_received"] <= 40040))
def one(L, dst, port):
    e = [x for x in conn(L) if x["dst"] == dst and x["dport"] == port]
    return " ".join("%s/%s" % (x["outcome"], x["syns"]) for x in e)
print("81:", one(c, "198.18.0.2", 81))
print("timeout:", one(c, "198.18.0.3", 80))
print("unreach:", one(c, "198.18.0.9", 80))
print("90 client:", one(c, "198.18.0.2", 90))
print("90 server:", " ".join(x["outcome"] for x in conn(s) if x["sport"] == 90 and x["role"] == "accept"))
print("90 causes:", " ".join("%s/%s" % (x["reset_by"], x["reset_reason"]) for x in conn(c) if x["dport"] == 90),
      " ".join("%s/%s" % (x["reset_by"], x["reset_reason"]) for x in conn(s) if x["sport"] == 90 and x["role"] == "accept"))
print("81 cause:", " ".join(str(x["reset_by"]) for x in conn(c) if x["dport"] == 81))
print("91 causes:", " ".join(str(x["reset_by"]) for x in conn(c) if x["dport"] == 91 and x["outcome"] == "reset"))
print("timeout cause:", " ".join(str(x["reset_by"]) for x in conn(c) if x["dst"] in ("198.18.0.3", "198.18.0.9")))
ab = [x for x in conn(c) if x["dport"] == 91]
print("91 resets:", sum(1 for x in ab if x["outcome"] == "reset"), "of", len(ab))
l91 = row(s, "listener", "sport", 91)
print("91 dropped:", l91 and l91[0]["dropped"] > 0)
summ = [e for e in c if e["type"] == "summary"][0]
print("lost:", summ["lost_notifications"], summ["traced"])
PYEOF
)
diag "$got"
field() { echo "$got" | sed -n "s/^$1: //p"; }
expect_eq "the burst: 40 connections, each with lifetime, bytes and owner" "$(field burst)" "40 40"
expect_eq "per destination: 40 opened, 40 succeeded, 40000 bytes out" "$(field dest80)" "(40, 40, 40000)"
expect_eq "the server saw the 40 accepted, bytes each way" "$(field 'server burst')" 40
expect_eq "per listener: 40 accepted, 40000 bytes in (and up to 40 FINs)" "$(field listener80)" "(40, True)"
expect_eq "RST to a closed port: refused after 1 SYN" "$(field 81)" "refused/1"
timeout=$(field timeout)
case $timeout in timed_out/[2-9]) ok "SYN-ACKs blackholed: timed_out after several SYNs ($timeout)" ;;
*) not_ok "SYN-ACKs blackholed: timed_out"; diag "got: $timeout" ;; esac
unreach=$(field unreach)
case $unreach in unreachable/*) ok "no neighbour: unreachable ($unreach)" ;;
*) not_ok "no neighbour: unreachable"; diag "got: $unreach" ;; esac
expect_eq "close() with unread data: the client is reset" "$(field '90 client')" "reset/None"
expect_eq "close() with unread data: the server side resets" "$(field '90 server')" "reset"
expect_eq "abort on overflow: the one handshake that overflowed is reset" "$(field '91 resets')" "1 of 3"
expect_eq "abort on overflow: the listener's drops are counted" "$(field '91 dropped')" True
expect_eq "nothing lost, transitions traced" "$(field lost)" "0 True"
# Who reset, and why (tcp:tcp_send_reset's reason, tcp:tcp_receive_reset).
expect_eq "close() with unread data: the client was reset by the peer, the server reset it for TCP_ABORT_ON_CLOSE" \
    "$(field '90 causes')" "peer/None local/TCP_ABORT_ON_CLOSE"
expect_eq "RST to a closed port: refused by the peer's RST" "$(field '81 cause')" "peer"
expect_eq "abort on overflow: reset by the peer" "$(field '91 causes')" "peer"
expect_eq "timeouts and unreachable: no RST" "$(field 'timeout cause')" "None None"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "events ndjson conforms to the schema (client)" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=events_line "$t/c.json"
	check "events ndjson conforms to the schema (server)" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=events_line "$t/s.json"
else
	[ "${CI:-}" = true ] && not_ok "python3-jsonschema is needed in CI" || skip "python3-jsonschema missing"
fi

# Lost notifications: a small buffer, the readers stopped while 200
# sockets go; one reader writes the table, the other NDJSON.
ip netns exec "$c" "$TD_BIN" events --no-trace --rcvbuf 4096 -d 6 > "$t/lost.out" 2> "$t/lost.err" &
le=$!
_td_pids+=("$le")
ip netns exec "$c" "$TD_BIN" events -j --no-trace --rcvbuf 4096 -d 6 > "$t/lost.json" 2> "$t/lostj.err" &
lj=$!
_td_pids+=("$lj")
wait_for 5 subscribed "$c" "$le" && wait_for 5 subscribed "$c" "$lj" || not_ok "events ready (lost)"
kill -STOP "$le" "$lj"
# nldrops PID: the kernel's drop count of that socket (/proc/net/netlink, Drops).
nldrops() { ip netns exec "$c" awk -v p="$1" '$2 == 4 && $3 == p {print $9}' /proc/net/netlink; }
dropped() { [ "$(nldrops "$le")" -gt 0 ] 2>/dev/null && [ "$(nldrops "$lj")" -gt 0 ] 2>/dev/null; }
for round in 1 2 3; do
	ip netns exec "$c" "$PY" - <<'PYEOF'
import socket
for i in range(200):
    s = socket.socket(); s.connect(("198.18.0.2", 80)); s.sendall(b"x"); s.recv(4096); s.close()
PYEOF
	# The notifications leave from a workqueue (sock_diag_broadcast_destroy()).
	wait_for 3 dropped && break
done
drops=$(nldrops "$le")
dropsj=$(nldrops "$lj")
kill -CONT "$le" "$lj"
wait "$le"; rc=$?
wait "$lj"; rcj=$?
expect_eq "events exits 0 after losing notifications" "$rc $rcj" "0 0"
lost=$(sed -n 's/.* \([0-9][0-9]*\) notifications lost.*/\1/p' "$t/lost.out")
expect_eq "every lost notification counted in the summary (the kernel's drop count)" "$lost" "$drops"
lostj=$("$PY" -c '
import json, sys
v = [r["lost_notifications"] for r in map(json.loads, open(sys.argv[1])) if "lost_notifications" in r]
print(v[-1] if v else "none")' "$t/lost.json")
expect_eq "every lost notification counted in the NDJSON (lost_notifications)" "$lostj" "$dropsj"
case $drops in ''|0) not_ok "the buffer overflowed (the test's own premise)" ;; *) ok "the buffer overflowed ($drops dropped)" ;; esac
check "the loss reported on stderr (NDJSON run too)" grep -q "notifications were lost (ENOBUFS .*): the counts are low" "$t/lostj.err"
check "the loss reported on stderr" grep -q "notifications were lost (ENOBUFS .*): the counts are low" "$t/lost.err"
check "without the tracepoint: outcomes from tcp_info, lifetimes unknown" \
    grep -q "transitions not traced: lifetimes and causes unknown" "$t/lost.out"

# No privilege needed: the kernel lets any user join the destroy groups
# (diag_net_init() sets NL_CFG_F_NONROOT_RECV, net/core/sock_diag.c).
# As uid 65534 without capabilities, one connection of root's is seen.
if command -v setpriv >/dev/null; then
	ip netns exec "$c" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	    "$TD_BIN" events -j --no-trace -d 4 > "$t/nobody.json" 2> "$t/nobody.err" &
	ne=$!
	_td_pids+=("$ne")
	if wait_for 5 subscribed "$c" "$ne"; then
		ip netns exec "$c" "$PY" -c '
import socket
s = socket.socket(); s.bind(("198.18.0.1", 47999)); s.connect(("198.18.0.2", 80))
s.sendall(b"x"); s.recv(4096); s.close()'
		wait "$ne"; rc=$?
		expect_eq "events as an unprivileged user exits 0" "$rc" 0
		check "an unprivileged user sees root's connection go away" \
		    grep -q '"type":"connection".*"sport":47999,"dst":"198.18.0.2","dport":80' "$t/nobody.json"
	else
		not_ok "an unprivileged user joins the destroy groups"; diag "$(cat "$t/nobody.err")"
	fi
else
	[ "${CI:-}" = true ] && not_ok "setpriv (util-linux) is needed in CI" || skip "setpriv missing"
fi

# Bad input.
out=$("$TD_BIN" events state established 2>&1); rc=$?
expect_eq "a state word is refused (64)" "$rc" 64
check "the message says why" grep -q "state words do not apply" <<<"$out"
out=$("$TD_BIN" events --rcvbuf 12 2>&1); rc=$?
expect_eq "a tiny --rcvbuf is refused (64)" "$rc" 64
out=$("$TD_BIN" --from /dev/null events 2>&1); rc=$?
expect_eq "--from reads only a recording (65)" "$rc" 65
check "no tracefs instance left behind" sh -c '! ls /sys/kernel/tracing/instances | grep -qE "^tcpdoctor-('"$ce"'|'"$se"')-"'
kill "$srv" 2>/dev/null
