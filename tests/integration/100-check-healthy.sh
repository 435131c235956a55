#!/bin/bash
# SPDX-License-Identifier: MIT
# A healthy namespace: a listener that accepts and serves, a few open
# connections and a few recent TIME_WAIT.  check must exit 0 with nothing
# to report, in every format.
. "$(dirname "$0")/../lib.sh"
require_root
# mkns in the main shell, not $(...), so the namespace is removed at exit.
mkns ok >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-ok
dir=$(tmpdir)
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, threading, time
l = socket.socket(); l.bind(("127.0.0.1", 8000)); l.listen(128)
def handle(c):
    while c.recv(4096): pass
    c.close()                                   # a well-behaved server closes on EOF
def serve():
    while True:
        c, _ = l.accept(); threading.Thread(target=handle, args=(c,), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
open_ = [socket.create_connection(("127.0.0.1", 8000)) for i in range(5)]
for i in range(3):
    c = socket.create_connection(("127.0.0.1", 8000)); c.close()   # client TIME_WAIT
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "namespace populated"; exit 1; }
# The server's close may still be in flight when the workload says ready
# (its threads run late on a loaded machine): wait for the three TIME_WAIT.
if ! wait_for 15 sh -c '[ "$(ip netns exec "$0" ss -tanH state time-wait | wc -l)" -ge 3 ]' "$ns"; then
	diag "TIME_WAIT did not reach 3 in 15 s:"
	ip netns exec "$ns" ss -tane | sed 's/^/# /'
fi

out=$("$TD_BIN" -N "$ns" check)
expect_eq "table: exit 0" "$?" 0
check "table: nothing to report" grep -q '^nothing to report$' <<<"$out"
check "table: OK header" grep -q '^OK: ' <<<"$out"
"$TD_BIN" -N "$ns" check -j > "$dir/out.json"
expect_eq "json: exit 0" "$?" 0
expect_eq "json: no findings" "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["findings"]), d["status"], d["schema"], d["command"])' "$dir/out.json")" "0 ok tcpdoctor/1 check"
expect_eq "json: states counted" "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["states"]["ESTABLISHED"], d["states"]["LISTEN"], d["states"]["TIME_WAIT"])' "$dir/out.json")" "10 1 3"
out=$("$TD_BIN" -N "$ns" check --format nagios)
expect_eq "nagios: exit 0" "$?" 0
check "nagios: OK line" grep -q "^TCPDOCTOR OK - nothing to report, 14 sockets | 'sockets'=14;;;0 " <<<"$out"
