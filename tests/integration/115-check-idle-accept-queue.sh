#!/bin/bash
# SPDX-License-Identifier: MIT
# dead_peers.no_keepalive with connections still in the accept queue: a
# server ("idlesrv") accepts 3 of 8 connections and never touches them; the
# other 5 wait in its accept queue (ESTABLISHED, inode 0).  With the idle
# thresholds lowered, check must count the 3 accepted ones only, name the
# process and port as the subject, and report the 5 as not yet accepted.
. "$(dirname "$0")/../lib.sh"
require_root
mkns dpa >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-dpa
dir=$(tmpdir)
bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"idlesrv", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 9100)); l.listen(64)
cs = [socket.create_connection(("127.0.0.1", 9100)) for i in range(8)]
kept = [l.accept()[0] for i in range(3)]
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }
spid=$(pgrep -n -x idlesrv)
sleep 2.2	# idle for more than dead_peers.idle=2 s
expect_eq "ss: 5 connections wait in the accept queue" \
	"$(ip netns exec "$ns" ss -ltnH 'sport = :9100' | awk '{ print $2 }')" 5
"$TD_BIN" -N "$ns" check -j --set dead_peers.idle=2 --set dead_peers.idle_count=1 > "$dir/out.json"
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "dead_peers.no_keepalive"]
print("n", len(f))
f = f[0]
print("subject", f["subject"])
for k, v in f["evidence"].items(): print(k, v)
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "one finding" "$(get n)" 1
expect_eq "names the process and the port" "$(get subject)" "idlesrv[$spid] port 9100"
expect_eq "counts the 3 accepted connections only" "$(get idle_without_keepalive)" 3
expect_eq "the 5 in the accept queue are not idle connections" "$(get not_yet_accepted)" 5
expect_eq "pid" "$(get pid)" "$spid"
expect_eq "local port" "$(get local_port)" 9100
