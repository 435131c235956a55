#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor events -j`: the per-listener aggregates (accepted, reset,
# dropped) and the per-destination resets after establishment equal what
# the test did, exactly, and the drops equal the kernel's own counts.  One
# namespace of ours (198.18.190.1 on lo) holds both ends of every
# connection; events reads it from before the first connection to after
# the last, and is stopped (SIGINT) while the connections that must not
# end are still open.
#  - 9901 accepts 6 connections: it closes 3 with the client's bytes
#    unread (tcp_close() sends a RST: reset) and reads the other 3 to the
#    end (FIN both ways: closed): listener accepted 6, reset 3, closed 3,
#    dropped 0; destination opened 6, succeeded 6, reset 3, closed 3.
#  - 9902, listen(1), never accepts: 2 children fill its accept queue
#    (sk_acceptq_is_full(): sk_ack_backlog > backlog), so the SYN of each
#    of 4 more connect()s is dropped (tcp_conn_request(): ListenOverflows,
#    tcp_listendrop()), and the clients give up before their SYN is
#    retransmitted (1 s): dropped 4 = ListenOverflows = ListenDrops; the 4
#    attempts abandoned, nothing reset.
#  - 9903 and 9904, listen(2) with TCP_DEFER_ACCEPT, never accept: A and B
#    connect and send (2 children), D and E connect and wait as requests
#    (their bare ACKs are deferred: tcp_check_req() counts
#    TCPDeferAcceptDrop and returns no socket, so tcp_v4_rcv() adds each
#    to the listener's drops: sk_drops_add() at discard_and_relse), D's
#    data makes the third child, and E's data finds the queue full:
#    tcp_v4_syn_recv_sock() fails (ListenOverflows, tcp_listendrop()) and
#    tcp_v4_rcv() counts the segment again.  With tcp_abort_on_overflow=1
#    (9903) tcp_check_req() answers with a RST and drops the request:
#    dropped 4 + 2 = 6, and E reset by the peer.  With 0 (9904) nothing is
#    sent and the request stays; E, unanswered, aborts (SO_LINGER 0)
#    before its data is retransmitted.  Its RST carries the sequence
#    number after the byte the request never took, in the window but not
#    at rcv_nxt: 6.18 answers it with a challenge ACK (RFC 5961 3.2,
#    TCPChallengeACK), E's closed port answers that with a RST at
#    rcv_nxt, which ends the request (EmbryonicRsts); tcp_v4_rcv() counts
#    both RSTs: dropped 4 + 2 + 2 = 8 (4 + 2 + 1 where a kernel takes the
#    first RST), E reset by this host.  A, B, D stay open: only E ends.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns ex) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip -n "$ns" addr add 198.18.190.1/32 dev lo || { not_ok "address"; exit 1; }
# No data retransmission (nor tail loss probe: tcp_rto_min() bounds both)
# within the test's 0.1 s steps, however busy the host.
ip -n "$ns" route replace local 198.18.190.1 dev lo table local proto kernel scope host \
    src 198.18.190.1 rto_min 3s || { not_ok "rto_min on the local route"; exit 1; }
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_abort_on_overflow=0 || { not_ok "tcp_abort_on_overflow"; exit 1; }

bg ip netns exec "$ns" "$PY" -c '
import socket, threading, time
def listener(port, backlog):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("198.18.190.1", port)); l.listen(backlog); return l
def serve(l):
    while True:
        a, _ = l.accept()
        if a.recv(1, socket.MSG_PEEK) == b"R":
            a.close()			# unread bytes: RST
            continue
        while a.recv(65536): pass
        a.close()
l1, l2 = listener(9901, 64), listener(9902, 1)
l3, l4 = listener(9903, 2), listener(9904, 2)
for l in (l3, l4): l.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 10)
threading.Thread(target=serve, args=(l1,), daemon=True).start()
time.sleep(120)'
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :9904' | grep -q LISTEN" || { not_ok "servers listening"; exit 1; }

# mib NAME...: the namespace's TcpExt counters.
mib() { ip netns exec "$ns" awk -v k="$*" '/^TcpExt:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 }
	else { n = split(k, w, " "); for (i = 1; i <= n; i++) printf "%s%s", $c[w[i]], i < n ? " " : "\n" } }' /proc/net/netstat; }
KEYS="ListenOverflows ListenDrops TCPDeferAcceptDrop EmbryonicRsts TCPChallengeACK"
# delta A B: B - A, field by field.
delta() { "$PY" -c 'import sys; a, b = sys.argv[1].split(), sys.argv[2].split(); print(" ".join(str(int(y) - int(x)) for x, y in zip(a, b)))' "$1" "$2"; }
subscribed() { ip netns exec "$ns" awk -v p="$1" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
"$TD_BIN" -N "$ns" events -j > "$t/ev.json" 2> "$t/ev.err" &
ev=$!
_td_pids+=("$ev")
wait_for 5 subscribed "$ev" || not_ok "events ready"
sleep 0.5	# its listener dump (the drop counters' baseline) follows the subscription
m0=$(mib $KEYS)

# The client, phase by phase (a file $t/phase.N after phase N, it waits
# for $t/go.N before phase N); it keeps what must not end until killed.
ip netns exec "$ns" "$PY" - "$t" > "$t/cli.log" 2>&1 <<'PYEOF' &
import os, socket, struct, sys, time
d = sys.argv[1]
H = "198.18.190.1"
def phase(n):
    open("%s/phase.%d" % (d, n), "w").close()
    for i in range(200):
        if os.path.exists("%s/go.%d" % (d, n + 1)): return
        time.sleep(0.05)
    sys.exit("no go for phase %d" % (n + 1))
for i in range(6):
    s = socket.socket(); s.settimeout(3); s.connect((H, 9901))
    reset = i % 2 == 0
    s.sendall((b"R" if reset else b"C") * 100)
    try:
        if not reset: s.shutdown(socket.SHUT_WR)
        while s.recv(65536): pass
        print("9901 closed")
    except ConnectionResetError:
        print("9901 reset")
    s.close()
hold = []
for i in range(2):
    s = socket.socket(); s.connect((H, 9902)); hold.append(s)
late = []
for i in range(4):
    s = socket.socket(); s.setblocking(False)
    try: s.connect((H, 9902))
    except BlockingIOError: pass
    late.append(s)
time.sleep(0.4)
for s in late:
    try: s.getpeername(); print("9902 connected")
    except OSError: print("9902 pending")
    s.close()
phase(1)
def deferred(port, abort):
    k = {}
    for n in "ABDE":
        k[n] = socket.socket(); k[n].settimeout(2); hold.append(k[n])
    k["A"].connect((H, port)); k["A"].send(b"q"); time.sleep(0.1)
    k["B"].connect((H, port)); k["B"].send(b"q"); time.sleep(0.1)
    k["D"].connect((H, port)); k["E"].connect((H, port)); time.sleep(0.1)
    k["D"].send(b"q"); time.sleep(0.1); k["E"].send(b"q"); time.sleep(0.1)
    k["E"].setblocking(False)
    try:
        k["E"].recv(10); print(port, "E answered")
    except ConnectionResetError:
        print(port, "E reset")
    except BlockingIOError:
        print(port, "E unanswered")
        k["E"].setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    k["E"].close(); hold.remove(k["E"])
deferred(9904, False)
phase(2)
deferred(9903, True)
phase(3)
time.sleep(60)
PYEOF
cli=$!
_td_pids+=("$cli")
wait_for 10 test -e "$t/phase.1" || not_ok "phase 1 (9901, 9902) done"
m1=$(mib $KEYS)
: > "$t/go.2"
wait_for 10 test -e "$t/phase.2" || not_ok "phase 2 (9904, abort_on_overflow 0) done"
m2=$(mib $KEYS)
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_abort_on_overflow=1
: > "$t/go.3"
wait_for 10 test -e "$t/phase.3" || not_ok "phase 3 (9903, abort_on_overflow 1) done"
m3=$(mib $KEYS)
sleep 0.6	# a notification is held 300 ms for its transitions
kill -INT "$ev"; wait "$ev"; rc=$?
expect_eq "events exits 0 on SIGINT" "$rc" 0
[ -s "$t/ev.err" ] && diag "events stderr: $(cat "$t/ev.err")"
diag "clients: $(tr '\n' ' ' < "$t/cli.log")"
expect_eq "the clients: 3 reset, 3 closed, 4 never answered, E unanswered (9904) and reset (9903)" \
    "$(tr '\n' ';' < "$t/cli.log")" \
    "9901 reset;9901 closed;9901 reset;9901 closed;9901 reset;9901 closed;9902 pending;9902 pending;9902 pending;9902 pending;9904 E unanswered;9903 E reset;"
diag "kernel ($KEYS): $m0 / $m1 / $m2 / $m3"
expect_eq "kernel, 9902: 4 SYNs dropped for the full queue (overflows, drops, deferred, embryonic resets, challenges)" \
    "$(delta "$m0" "$m1")" "4 4 0 0 0"
d2=$(delta "$m1" "$m2")
case $d2 in "1 1 4 1 "[01]) ok "kernel, 9904: 1 overflow, 4 bare ACKs deferred, E's RST ends its request ($d2)" ;;
*) not_ok "kernel, 9904: 1 overflow, 4 bare ACKs deferred, E's RST ends its request"; diag "got: $d2" ;; esac
challenge=${d2##* }
expect_eq "kernel, 9903: 1 overflow, 4 bare ACKs deferred, the request reset" "$(delta "$m2" "$m3")" "1 1 4 1 0"

"$PY" - "$t/ev.json" > "$t/rows" <<'PYEOF'
import json, sys
for r in map(json.loads, open(sys.argv[1])):
    if r["type"] == "listener":
        print("listener", r["sport"], r["accepted"], r["reset"], r["outcomes"]["closed"], r["dropped"])
    elif r["type"] == "destination":
        o = r["outcomes"]
        print("destination", r["dport"], r["opened"], r["succeeded"], r["reset"], o["closed"], o["abandoned"])
    elif r["type"] == "connection" and r["role"] == "connect" and r["dport"] in (9903, 9904):
        print("connection", r["dport"], r["outcome"], r["reset_by"])
PYEOF
while read -r l; do diag "$l"; done < "$t/rows"
row() { awk -v t="$1" -v p="$2" '$1 == t && $2 == p { $1 = $2 = ""; sub(/^ +/, ""); print }' "$t/rows"; }
expect_eq "listener 9901: accepted 6, reset 3, closed 3, dropped 0" "$(row listener 9901)" "6 3 3 0"
expect_eq "destination 9901: opened 6, succeeded 6, reset after establishment 3, closed 3" "$(row destination 9901)" "6 6 3 3 0"
expect_eq "listener 9902: accepted 0, dropped 4 (the SYNs)" "$(row listener 9902)" "0 0 0 4"
expect_eq "destination 9902: 4 attempts abandoned, none reset" "$(row destination 9902)" "4 0 0 0 4"
expect_eq "listener 9904 (abort_on_overflow 0): dropped 4 deferred + 2 overflow + $((1 + challenge)) RST = $((7 + challenge))" \
    "$(row listener 9904)" "0 0 0 $((7 + challenge))"
expect_eq "listener 9903 (abort_on_overflow 1): dropped 4 deferred + 2 overflow = 6" "$(row listener 9903)" "0 0 0 6"
expect_eq "destination 9904: E alone ended, reset after establishment" "$(row destination 9904)" "1 1 1 0 0"
expect_eq "destination 9903: E alone ended, reset after establishment" "$(row destination 9903)" "1 1 1 0 0"
expect_eq "E at 9904 was reset by this host (it aborted), at 9903 by the peer (abort on overflow)" \
    "$(row connection 9904) / $(row connection 9903)" "reset local / reset peer"
kill "$cli" 2>/dev/null
