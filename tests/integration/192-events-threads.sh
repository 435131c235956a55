#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# The tracepoints name the task that ran (the kernel's current->pid: a
# thread's own id), not its process.  In a namespace of ours (loopback), a
# client process connects three times from a second thread, named
# "td-conn" (prctl PR_SET_NAME), that lives on a while after; the main
# thread only waits.  Both `events -j` and `trace -j` must report the
# process's pid (the thread group, not the thread), the process's command
# (python3, not the thread's name) and the thread's own id as tid.
. "$(dirname "$0")/../lib.sh"
require_root
require_state_tracepoint
ns=$(mkns evthr) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
port=47192
ip -n "$ns" addr add 198.18.192.1/32 dev lo || { not_ok "address"; exit 1; }

bg ip netns exec "$ns" "$PY" -c '
import socket
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("198.18.192.1", '"$port"')); l.listen(16)
while True:
    a, _ = l.accept()
    while a.recv(65536): pass
    a.close()'
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :$port' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }

subscribed() { ip netns exec "$ns" awk -v p="$1" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
traced() { grep -qs 1 /sys/kernel/tracing/instances/tcpdoctor-"$1"-*/events/sock/inet_sock_set_state/enable; }
"$TD_BIN" -N "$ns" events -j -d 20 > "$t/ev" 2> "$t/ev.err" &
ev=$!
_td_pids+=("$ev")
"$TD_BIN" trace -j -d 20 dport = ":$port" > "$t/tr" 2> "$t/tr.err" &
tr=$!
_td_pids+=("$tr")
wait_for 5 subscribed "$ev" && wait_for 5 traced "$ev" && wait_for 5 traced "$tr" || not_ok "events and trace ready"

# The client: prints its pid and the connecting thread's id, then stays 2 s.
ip netns exec "$ns" "$PY" - "$port" > "$t/cli" 2> "$t/cli.err" <<'PYEOF'
import ctypes, os, socket, sys, threading, time
port = int(sys.argv[1])
def conn():
    ctypes.CDLL(None).prctl(15, b"td-conn", 0, 0, 0)	# PR_SET_NAME: the thread's own name
    print("tid", threading.get_native_id(), flush=True)
    for i in range(3):
        s = socket.create_connection(("198.18.192.1", port), timeout=3)
        s.sendall(b"x" * 10); s.shutdown(socket.SHUT_WR)
        while s.recv(100): pass
        s.close()
    time.sleep(2)
print("pid", os.getpid(), flush=True)
th = threading.Thread(target=conn); th.start(); th.join()
PYEOF
expect_eq "the client ran" "$?" 0
cpid=$(awk '$1 == "pid" {print $2}' "$t/cli")
ctid=$(awk '$1 == "tid" {print $2}' "$t/cli")
diag "client pid $cpid, connecting thread $ctid"
check "the connecting thread is not the main thread" test -n "$cpid" -a -n "$ctid" -a "$cpid" != "$ctid"

# Let a batch go through, then stop both.
sleep 1
kill -INT "$ev" "$tr"
wait "$ev" 2>/dev/null; wait "$tr" 2>/dev/null

"$PY" - "$t/ev" "$port" > "$t/evown" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("type") == "connection" and r.get("dport") == int(sys.argv[2]) and r.get("role") == "connect":
        print(r.get("pid"), r.get("tid"), r.get("comm"), r.get("owner_from"))
PYEOF
while read -r l; do diag "events: $l"; done < "$t/evown"
expect_eq "events: 3 connections of the client" "$(wc -l < "$t/evown")" 3
expect_eq "events: each names the process, its command, the thread as tid (connect)" \
    "$(sort -u "$t/evown")" "$cpid $ctid python3 connect"

"$PY" - "$t/tr" "$port" > "$t/trown" <<'PYEOF'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r.get("dport") == int(sys.argv[2]) and r.get("oldstate") == "CLOSE" and r.get("newstate") == "SYN_SENT":
        print(r.get("pid"), r.get("tid"), r.get("comm"))
PYEOF
while read -r l; do diag "trace: $l"; done < "$t/trown"
expect_eq "trace: 3 connect()s (CLOSE -> SYN_SENT)" "$(wc -l < "$t/trown")" 3
expect_eq "trace: each names the process, the thread as tid" "$(sort -u "$t/trown")" "$cpid $ctid python3"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "events ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=events_line "$t/ev"
	check "trace ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=trace_event "$t/tr"
else
	[ "${CI:-}" = true ] && not_ok "python3-jsonschema is needed in CI" || skip "python3-jsonschema missing"
fi
