#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor trace` sees the real transitions of a connection made in a
# namespace of ours: the kernel-specific edges of KERNEL-FACTS F21 (CLOSE ->
# SYN_SENT with sport 0, LISTEN -> SYN_RECV, FIN_WAIT2 -> CLOSE instead of
# TIME_WAIT), every one legal for the model; ndjson conforms to the schema;
# the private tracefs instance is removed.
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
	skip_all "needs tracefs"
[ -d /sys/kernel/tracing/events/sock/inet_sock_set_state ] || skip_all "no inet_sock_set_state tracepoint"
ns=$(mkns trace) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
port=$((47000 + $$ % 1000))

"$TD_BIN" trace -j -P "$port" -d 4 > "$t/ev" 2> "$t/err" &
tr=$!
_td_pids+=("$tr")
# ready: the private instance has the event enabled
ready() { grep -qs 1 /sys/kernel/tracing/instances/tcpdoctor-"$1"-*/events/sock/inet_sock_set_state/enable; }
# wait until tracing is on, then make one connection and close it
wait_for 5 ready "$tr" || not_ok "trace instance ready"
ip netns exec "$ns" "$PY" - "$port" <<'PYEOF'
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
c = socket.create_connection(("127.0.0.1", port)); a, _ = s.accept()
c.close(); time.sleep(0.1); a.close(); s.close()
PYEOF
wait "$tr"; rc=$?
expect_eq "trace exits 0 after --duration" "$rc" 0
check "no tracefs instance left behind" sh -c '! ls /sys/kernel/tracing/instances | grep -q "^tcpdoctor-'"$tr"'-"'

got=$("$PY" - "$t/ev" "$port" <<'PYEOF'
import json, sys
port = int(sys.argv[2])
ev = [json.loads(l) for l in open(sys.argv[1])]
srv = [(e["oldstate"], e["newstate"]) for e in ev if e["sport"] == port and e["dport"] != 0]
cli = [(e["oldstate"], e["newstate"]) for e in ev if e["dport"] == port]
print("server:", " ".join("%s>%s" % x for x in srv))
print("client:", " ".join("%s>%s" % x for x in cli))
print("illegal:", sum(1 for e in ev if not e["legal"]))
PYEOF
)
diag "$got"
expect_eq "server side: passive open then passive close" "$(echo "$got" | sed -n 's/^server: //p')" \
    "LISTEN>SYN_RECV SYN_RECV>ESTABLISHED ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSE"
expect_eq "client side: CLOSE>SYN_SENT, then FIN_WAIT2>CLOSE instead of TIME_WAIT" \
    "$(echo "$got" | sed -n 's/^client: //p')" \
    "CLOSE>SYN_SENT SYN_SENT>ESTABLISHED ESTABLISHED>FIN_WAIT1 FIN_WAIT1>FIN_WAIT2 FIN_WAIT2>CLOSE"
expect_eq "the model calls every observed edge legal" "$(echo "$got" | sed -n 's/^illegal: //p')" 0
connect_sport=$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    e=json.loads(l)
    if e["newstate"]=="SYN_SENT": print(e["sport"])' "$t/ev")
expect_eq "CLOSE -> SYN_SENT carries sport 0" "$connect_sport" 0
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "trace ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=trace_event "$t/ev"
fi
# state filter in the kernel: only transitions into CLOSE_WAIT
"$TD_BIN" trace -j -P "$port" -d 2 state close-wait > "$t/ev2" 2>&1 &
tr=$!; _td_pids+=("$tr")
wait_for 5 ready "$tr"
ip netns exec "$ns" "$PY" -c '
import socket, sys, time
port = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
c = socket.create_connection(("127.0.0.1", port)); a, _ = s.accept()
c.close(); time.sleep(0.1); a.close(); s.close()' "$port"
wait "$tr"
expect_eq "state close-wait keeps only transitions into CLOSE_WAIT" \
    "$("$PY" -c 'import json,sys; print(" ".join(json.loads(l)["newstate"] for l in open(sys.argv[1])))' "$t/ev2")" CLOSE_WAIT

# errors
"$TD_BIN" -N "$ns" trace -d 1 > /dev/null 2> "$t/err"
expect_eq "trace -N is a usage error (the tracepoint is global)" "$?" 64
"$TD_BIN" --from /dev/null trace > /dev/null 2>&1
expect_eq "trace --from is a usage error" "$?" 64
"$TD_BIN" trace -d abc > /dev/null 2>&1
expect_eq "trace -d abc is a usage error" "$?" 64
"$TD_BIN" trace -d 0.2 sport = 80 > /dev/null 2>&1
expect_eq "trace takes a port expression, as ls does" "$?" 0
"$TD_BIN" trace -d 0.2 sport = > /dev/null 2> "$t/badf"
expect_eq "a broken expression is a usage error" "$?" 64
