#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor trace -e all` reports the kernel's own words on resets, built
# for real in a namespace of ours on loopback: a connect() to a closed port
# (tcp_send_reset NO_SOCKET from the listener side's kernel, tcp_receive_reset
# at the client) and a close() with unread data (tcp_send_reset
# TCP_ABORT_ON_CLOSE), each with its reason explained in words, the sockets'
# tcp_destroy_sock; NDJSON conforms to the schema, the table names the
# reason, an ls-style filter narrows, a bad -e word is a usage error, what
# cannot be traced is listed on one line, and no instance is left behind.
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
	skip_all "needs tracefs"
for e in sock/inet_sock_set_state tcp/tcp_send_reset tcp/tcp_receive_reset tcp/tcp_destroy_sock; do
	[ -d "/sys/kernel/tracing/events/$e" ] || skip_all "no $e tracepoint"
done
grep -q 'reason' /sys/kernel/tracing/events/tcp/tcp_send_reset/format ||
	skip_all "this kernel's tcp_send_reset has no reason (before 6.10)"
ns=$(mkns rst) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
port=$((48000 + $$ % 500))
closed=$((port + 500))
I=/sys/kernel/tracing/instances
ready() { grep -qs 1 "$I"/tcpdoctor-"$1"-*/events/tcp/tcp_send_reset/enable; }

resets() {
	ip netns exec "$ns" "$PY" - "$port" "$closed" <<'PYEOF'
import socket, sys, time
port, closed = int(sys.argv[1]), int(sys.argv[2])
# a connect() to a closed port: refused by a RST
try:
    socket.create_connection(("127.0.0.1", closed), timeout=2)
except ConnectionRefusedError:
    pass
# close() with unread data: the server resets the client
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
c = socket.create_connection(("127.0.0.1", port)); a, _ = s.accept()
c.sendall(b"unread" * 10); time.sleep(0.1)
a.close(); time.sleep(0.1)
try:
    c.recv(10)
except ConnectionResetError:
    pass
c.close(); s.close()
PYEOF
}

"$TD_BIN" trace -j -e all -d 4 \
    'sport = :'"$port"' or dport = :'"$port"' or sport = :'"$closed"' or dport = :'"$closed" > "$t/ev" 2> "$t/err" &
tr=$!
_td_pids+=("$tr")
wait_for 5 ready "$tr" || not_ok "trace instance ready"
resets
wait "$tr"; rc=$?
expect_eq "trace -e all exits 0 after --duration" "$rc" 0
check "no tracefs instance left behind" sh -c '! ls '"$I"' | grep -q "^tcpdoctor-'"$tr"'-"'
expect_eq "kfree_skb, which has no addresses, is named once as left out by the filter" \
    "$(grep -c 'not traced: skb/kfree_skb (its record has no addresses for the filter)' "$t/err")" 1

q() { "$PY" - "$t/ev" "$port" "$closed" "$1" <<'PYEOF'
import json, sys
port, closed, what = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ev = [json.loads(l) for l in open(sys.argv[1])]
def ends(e): return (e.get("sport"), e.get("dport"))
if what == "refused-rst":
    print(" ".join("%s/%s/%s" % (e["reason"], e["state"], e["src"]) for e in ev
                   if e.get("event") == "tcp_send_reset" and e["sport"] == closed))
elif what == "refused-got":
    print(" ".join(e["event"] for e in ev if e.get("event") == "tcp_receive_reset" and e["dport"] == closed))
elif what == "unread-rst":
    print(" ".join("%s/%s" % (e["reason"], e["state"]) for e in ev
                   if e.get("event") == "tcp_send_reset" and e["sport"] == port))
elif what == "unread-why":
    print(" ".join(e["explanation"] for e in ev
                   if e.get("event") == "tcp_send_reset" and e["sport"] == port))
elif what == "unread-got":
    print(sum(1 for e in ev if e.get("event") == "tcp_receive_reset" and e["dport"] == port))
elif what == "destroyed":
    print(sum(1 for e in ev if e.get("event") == "tcp_destroy_sock" and port in ends(e)
              and e["cookie"] is not None))
elif what == "order":
    # the reset comes before its socket is destroyed
    r = [i for i, e in enumerate(ev) if e.get("event") == "tcp_send_reset" and e["sport"] == port]
    d = [i for i, e in enumerate(ev) if e.get("event") == "tcp_destroy_sock" and e["sport"] == port
         and e["dport"] != 0]
    print("ok" if r and d and r[0] < d[-1] else "reset %s destroy %s" % (r, d))
elif what == "others":
    print(sum(1 for e in ev if port not in ends(e) and closed not in ends(e)))
PYEOF
}
expect_eq "RST to a closed port: sent with reason NO_SOCKET, from the closed port, no socket state" \
    "$(q refused-rst)" "NO_SOCKET/None/127.0.0.1"
expect_eq "... and received by the connecting socket" "$(q refused-got)" "tcp_receive_reset"
expect_eq "close() with unread data: RST with reason TCP_ABORT_ON_CLOSE, the socket already CLOSE" \
    "$(q unread-rst)" "TCP_ABORT_ON_CLOSE/CLOSE"
q unread-why > "$t/why"
check "... explained in words" grep -q 'closed with unread data' "$t/why"
expect_eq "... and the client receives it" "$(q unread-got)" 1
d=$(q destroyed)
case $d in ''|0|1) not_ok "the sockets' tcp_destroy_sock events, with cookies (got ${d:-none})" ;;
*) ok "the sockets' tcp_destroy_sock events, with cookies ($d)" ;; esac
expect_eq "the reset comes before its socket is destroyed" "$(q order)" ok
expect_eq "the filter let through only the test's ports" "$(q others)" 0
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "trace -e all ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=trace_event "$t/ev"
else
	[ "${CI:-}" = true ] && not_ok "python3-jsonschema is needed in CI" || skip "python3-jsonschema missing"
fi

# The table: the event and its reason in words.
"$TD_BIN" trace -e send-reset,receive-reset -P "$port" -d 3 > "$t/tab" 2> "$t/tab.err" &
tr=$!
_td_pids+=("$tr")
wait_for 5 ready "$tr" || not_ok "trace instance ready (table)"
resets
wait "$tr"
check "the table names the reset and its reason" grep -q "RST sent (TCP_ABORT_ON_CLOSE) .*closed with unread data" "$t/tab"
check "the table shows the received reset" grep -q "RST received " "$t/tab"
expect_eq "with only resets asked for, no transition is printed" "$(grep -c ' -> ' "$t/tab")" 0
expect_eq "nothing on stderr" "$(cat "$t/tab.err")" ""

# --port leaves kfree_skb out (no ports in its record): said once, one line.
"$TD_BIN" trace -e drop,state -P "$port" -d 0.3 > /dev/null 2> "$t/drop.err"
expect_eq "-e drop -P: runs" "$?" 0
expect_eq "-e drop -P: one line says kfree_skb is not traced, and why" "$(cat "$t/drop.err")" \
    "tcpdoctor: trace: warning: not traced: skb/kfree_skb (its record has no ports to filter by)"

# Usage errors.
"$TD_BIN" trace -e resets -d 1 > /dev/null 2> "$t/bad"
expect_eq "an unknown event is a usage error (64)" "$?" 64
check "... naming the word and the choices" grep -q "events: 'resets' is not an event (state, send-reset" "$t/bad"
"$TD_BIN" trace -d 1 unit nginx.service > /dev/null 2> "$t/bad2"
expect_eq "an owner word is a usage error (64)" "$?" 64
check "the table run left no instance" sh -c '! ls '"$I"' | grep -q "^tcpdoctor-'"$tr"'-"'
