#!/bin/bash
# SPDX-License-Identifier: MIT
# S4: a server ("leakysrv") that accepts and never closes; 8 clients close.
# check must name the process in close_wait.leak (warning), count its
# CLOSE_WAIT sockets and unread bytes as ss does, give no sysctl advice,
# and exit 1.
. "$(dirname "$0")/../lib.sh"
require_root
# mkns in the main shell, not $(...), so the namespace is removed at exit.
mkns cw >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-cw
dir=$(tmpdir)
bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"leakysrv", 0, 0, 0)     # PR_SET_NAME: comm
l = socket.socket(); l.bind(("127.0.0.1", 9000)); l.listen(64)
kept = []
cs = [socket.create_connection(("127.0.0.1", 9000)) for i in range(8)]
for i in range(8): kept.append(l.accept()[0])
for i, c in enumerate(cs):
    if i < 3: c.send(b"hello")
    c.close()
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready"
pid=$BG_PID
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }
spid=$(pgrep -n -x leakysrv)

"$TD_BIN" -N "$ns" check -j > "$dir/out.json"
expect_eq "check exits 1" "$?" 1
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "close_wait.leak"]
print("n", len(f))
f = f[0]; e = f["evidence"]
print("severity", f["severity"]); print("subject", f["subject"])
for k in ("close_wait", "unread_bytes", "pid", "command", "local_port"): print(k, e.get(k))
print("kinds", " ".join(sorted(set(r["kind"] for r in f["recommendations"]))))
print("summary", f["summary"])
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
kcw=$(ip netns exec "$ns" ss -tanH state close-wait | wc -l)
# Recv-Q of a CLOSE_WAIT socket is rcv_nxt - copied_seq: the data plus 1
# for the FIN not yet read (tcp_diag_get_info()); unread_bytes is the data.
kunread=$(ip netns exec "$ns" ss -tanH state close-wait | awk '$1 > 0 { s += $1 - 1 } END { print s + 0 }')
kwithfin=$(ip netns exec "$ns" ss -tanH state close-wait | awk '$1 == 1 { n++ } END { print n + 0 }')
expect_eq "one leak finding" "$(get n)" 1
expect_eq "severity warning" "$(get severity)" warning
expect_eq "names the process" "$(get subject)" "leakysrv[$spid]"
expect_eq "command" "$(get command)" leakysrv
expect_eq "pid" "$(get pid)" "$spid"
expect_eq "CLOSE_WAIT count = ss" "$(get close_wait)" "$kcw"
expect_eq "8 sockets" "$kcw" 8
expect_eq "unread bytes: data only, 3 x 5 bytes (ss: Recv-Q minus each FIN)" "$(get unread_bytes)" "$kunread"
expect_eq "unread bytes: 15" "$kunread" 15
expect_eq "5 sockets without data show Recv-Q 1 (the FIN)" "$kwithfin" 5
expect_eq "local port" "$(get local_port)" 9000
expect_eq "application advice only" "$(get kinds)" app
check "says no sysctl fixes it" grep -q "no sysctl fixes it" <(get summary)
: "$pid"

# The client side: a process whose outgoing connections the server closed;
# each has its own ephemeral port, the process is the group.
bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, threading, time
l = socket.socket(); l.bind(("127.0.0.1", 9001)); l.listen(64)
def serve():
    while True:
        c, _ = l.accept(); c.close()          # the server closes at once
threading.Thread(target=serve, daemon=True).start()
ctypes.CDLL(None).prctl(15, b"leakycli", 0, 0, 0)  # names the thread doing the leaking: the main one
cs = [socket.create_connection(("127.0.0.1", 9001)) for i in range(6)]
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready2"
wait_for 10 test -s "$dir/ready2" || { not_ok "client ready"; exit 1; }
cpid=$(pgrep -n -x leakycli)
"$TD_BIN" -N "$ns" check -j > "$dir/out2.json"
expect_eq "client leak: check exits 1" "$?" 1
"$PY" - "$dir/out2.json" "leakycli[$cpid]" > "$dir/facts2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "close_wait.leak" and x["subject"] == sys.argv[2]]
print("n", len(f))
if f:
    e = f[0]["evidence"]
    print("close_wait", e["close_wait"]); print("outgoing", e["outgoing"]); print("peer", e["peer"])
    print("local_port", e.get("local_port"))
PYEOF
get2() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts2"; }
expect_eq "client leak: one finding for the process" "$(get2 n)" 1
expect_eq "client leak: its 6 sockets (ports all different)" "$(get2 close_wait)" 6
expect_eq "client leak: outgoing" "$(get2 outgoing)" True
expect_eq "client leak: the server it talks to" "$(get2 peer)" 127.0.0.1:9001
expect_eq "client leak: no local port" "$(get2 local_port)" None
