#!/bin/bash
# SPDX-License-Identifier: MIT
# S5: a client namespace with ip_local_port_range 40000-40009 and
# tcp_tw_reuse=0 makes short connections to 127.0.0.1:7000 until connect()
# fails with EADDRNOTAVAIL (the kernel's own verdict), while :7001 still
# works.  check must report time_wait.port_exhaustion (critical) for
# 127.0.0.1:7000 with the TIME_WAIT count and the 10 usable ports, advise
# reuse and tcp_tw_reuse=1, never tcp_tw_recycle, and exit 2.
. "$(dirname "$0")/../lib.sh"
require_root
# mkns in the main shell, not $(...), so the namespace is removed at exit.
mkns tw >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-tw
dir=$(tmpdir)
ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="40000 40009" net.ipv4.tcp_tw_reuse=0 \
	|| { not_ok "set sysctls"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import errno, socket, sys, threading, time
def serve(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", port)); l.listen(64)
    while True:
        c, _ = l.accept()
        c.recv(1); c.close()          # the client closes first: TIME_WAIT is on its side
for p in (7000, 7001):
    threading.Thread(target=serve, args=(p,), daemon=True).start()
time.sleep(0.3)
ok = 0; err = ""
for i in range(12):
    c = socket.socket()
    try:
        c.connect(("127.0.0.1", 7000)); ok += 1; c.close()
    except OSError as e:
        err = errno.errorcode[e.errno]; break
time.sleep(0.3)
c = socket.socket()
try:
    c.connect(("127.0.0.1", 7001)); other = "ok"
except OSError as e:
    other = errno.errorcode[e.errno]
open(sys.argv[1], "w").write("%d %s %s\n" % (ok, err, other))
time.sleep(600)
' "$dir/result"
wait_for 10 test -s "$dir/result" || { not_ok "client finished"; exit 1; }
read -r made err other < "$dir/result"
expect_eq "kernel: 10 connections fit the range" "$made" 10
expect_eq "kernel: the 11th connect() fails" "$err" EADDRNOTAVAIL
expect_eq "kernel: another destination port still works" "$other" ok

"$TD_BIN" -N "$ns" check -j > "$dir/out.json"
expect_eq "check exits 2" "$?" 2
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "time_wait.port_exhaustion"]
print("n", len(f))
f = f[0]; e = f["evidence"]
print("severity", f["severity"]); print("subject", f["subject"])
for k in ("time_wait", "usable_ports", "blocking", "port_range", "tcp_tw_reuse", "reuse_applies"):
    print(k, e[k])
for r in f["recommendations"]: print("reco", r["key"], r["current"], r["suggested"])
print("recycle", any("recycle" in (r["key"] + str(r["suggested"])) for x in d["findings"] for r in x["recommendations"]))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
ktw=$(ip netns exec "$ns" ss -tanH state time-wait dst 127.0.0.1:7000 | wc -l)
expect_eq "one exhausted destination" "$(get n)" 1
expect_eq "severity critical" "$(get severity)" critical
expect_eq "subject" "$(get subject)" "127.0.0.1:7000"
expect_eq "TIME_WAIT count = ss" "$(get time_wait)" "$ktw"
expect_eq "usable ports" "$(get usable_ports)" 10
expect_eq "port range" "$(get port_range)" "40000-40009"
expect_eq "reuse does not apply" "$(get reuse_applies)" False
check "advises tcp_tw_reuse 0 -> 1" grep -q "^reco net.ipv4.tcp_tw_reuse 0 1$" "$dir/facts"
check "advises connection reuse" grep -q "^reco connection reuse" "$dir/facts"
check "advises IP_BIND_ADDRESS_NO_PORT" grep -q "^reco IP_BIND_ADDRESS_NO_PORT" "$dir/facts"
check "advises the default range back" grep -q "^reco net.ipv4.ip_local_port_range 40000 40009 32768 60999$" "$dir/facts"
expect_eq "never tcp_tw_recycle" "$(get recycle)" False
