#!/bin/bash
# SPDX-License-Identifier: MIT
# somaxconn advice on a real overflowing listener: net.core.somaxconn=8 in
# the namespace caps a listen(128) at 8; the server never accepts and 40
# clients connect.  check must suggest a listen() backlog computed from the
# queue and the drops it reports (the smallest power of two at least twice
# queue + drops, and at least twice the backlog), and a somaxconn of at least
# 4096 (the kernel default since 5.4), never a fixed 511.
. "$(dirname "$0")/../lib.sh"
require_root
mkns smx >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-smx
dir=$(tmpdir)
ip netns exec "$ns" sysctl -qw net.core.somaxconn=8 || { not_ok "somaxconn in the namespace"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 9200)); l.listen(128)
cs = []
for i in range(40):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 9200))
    except BlockingIOError: pass
    cs.append(c)
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "clients started"; exit 1; }
wait_for 10 sh -c "[ \$(ip netns exec $ns nstat -az TcpExtListenOverflows | awk '/ListenOverflows/ { print \$2 }') -gt 0 ]" \
	|| { not_ok "the listener overflows"; exit 1; }
"$TD_BIN" -N "$ns" check -j > "$dir/out.json"
expect_eq "check exits 2" "$?" 2
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "accept_queue.overflow"][0]
e = f["evidence"]
print("queue", e["accept_queue"]); print("backlog", e["backlog"]); print("drops", e["listener_drops"])
for r in f["recommendations"]:
    print(r["key"].replace(" ", "_"), r["current"], r["suggested"])
print("has511", int(any(r["suggested"] == "511" for r in f["recommendations"])))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
q=$(get queue) b=$(get backlog) d=$(get drops)
expect_eq "the backlog is somaxconn's 8" "$b" 8
check "the queue is full ($q > $b)" test "$q" -gt "$b"
check "the listener dropped connections ($d)" test "$d" -gt 0
want=$(awk -v q="$q" -v d="$d" -v b="$b" 'BEGIN { n = 2 * (q + d); if (n < 2 * b) n = 2 * b; p = 1; while (p < n && p < 65535) p *= 2; print (p < 65535 ? p : 65535) }')
set -- $(get "listen()_backlog")
expect_eq "listen() backlog: from 8 to $want (queue $q + drops $d, doubled, a power of two)" "$1 $2" "8 $want"
set -- $(get net.core.somaxconn)
expect_eq "somaxconn: the current value" "$1" 8
check "somaxconn: at least 4096 and the backlog wanted ($2)" test "$2" -ge 4096 -a "$2" -ge "$want"
expect_eq "no fixed 511" "$(get has511)" 0
