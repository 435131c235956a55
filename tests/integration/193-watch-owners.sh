#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch's connection events name their owners as `events` does (the owner
# table of collectors/evowners.c, kept per namespace).  Two namespaces of
# ours, each with a one-thread server on 127.0.0.1:47193 started before
# watch; after watch's first owner scan, 4 short connections into each
# from a client of that namespace.  The accepted connections are never
# traced to a task (the tracepoint sees the kernel finish the handshake),
# so only the owner table can name them: each accepted one must carry its
# own namespace's server PID (owner_from socket or listener), in
# watch -N NS -j --connections and in watch -A -j --connections.
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
t=$(tmpdir)
port=47193
a=$(mkns wowa) || { not_ok "create namespace a"; exit 1; }
b=$(mkns wowb) || { not_ok "create namespace b"; exit 1; }
declare -A srv
for ns in "$a" "$b"; do
	bg ip netns exec "$ns" "$PY" -c '
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", '"$port"')); l.listen(16)
while True:
    c, _ = l.accept()
    while c.recv(100): pass
    c.close()'
	srv[$ns]=$BG_PID
	wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :$port' | grep -q LISTEN" || { not_ok "$ns: server listening"; exit 1; }
done

clients() {	# NS: 4 connections, one after the other
	ip netns exec "$1" "$PY" -c '
import socket
for i in range(4):
    s = socket.create_connection(("127.0.0.1", '"$port"'), timeout=3)
    s.sendall(b"x" * 10); s.shutdown(socket.SHUT_WR)
    while s.recv(100): pass
    s.close()'
}

# accepted FILE NETNS_LABEL: "pid owner_from" of each accepted connection to the port.
accepted() {
	"$PY" - "$1" "$port" "$2" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "connection" and r.get("sport") == int(sys.argv[2]) and r.get("role") == "accept" \
       and (sys.argv[3] == "" or r.get("netns") == sys.argv[3]):
        print(r.get("pid"), r.get("owner_from"))
PYEOF
}

# One namespace.
"$TD_BIN" -N "$a" watch -j --connections -i 1 -n 5 > "$t/one" 2> "$t/one.err" &
w=$!
_td_pids+=("$w")
sleep 1.5
clients "$a"
wait "$w"
expect_eq "watch -N exits 0" "$?" 0
accepted "$t/one" "" > "$t/one.acc"
while read -r l; do diag "one: $l"; done < "$t/one.acc"
expect_eq "watch -N: the 4 accepted connections" "$(wc -l < "$t/one.acc")" 4
check "... each owned by the server (${srv[$a]}), from the owner table" \
    sh -c "! grep -vE '^${srv[$a]} (socket|listener)\$' '$t/one.acc'"

# Every namespace: each connection owned by its own namespace's server.
"$TD_BIN" -A -j --netns-filter "$a,$b" watch --connections -i 1 -n 5 > "$t/all" 2> "$t/all.err" &
w=$!
_td_pids+=("$w")
sleep 2.5
clients "$a"
clients "$b"
wait "$w"
expect_eq "watch -A exits 0" "$?" 0
for ns in "$a" "$b"; do
	accepted "$t/all" "$ns" > "$t/all.$ns"
	while read -r l; do diag "-A $ns: $l"; done < "$t/all.$ns"
	expect_eq "watch -A, $ns: its 4 accepted connections" "$(wc -l < "$t/all.$ns")" 4
	check "... each owned by its own server (${srv[$ns]})" \
	    sh -c "! grep -vE '^${srv[$ns]} (socket|listener)\$' '$t/all.$ns'"
done
