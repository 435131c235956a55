#!/bin/bash
# SPDX-License-Identifier: MIT
# S10: a listener on 127.0.0.1 gets 200 SYNs from spoofed outside sources
# (raw socket); its SYN-ACKs cannot be routed, so ListenDrops counts 200
# while ListenOverflows stays 0.  With --state-file the second run reports
# accept_queue.other_drops as a warning with the exact delta, and blames
# neither the accept queue nor the backlog.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
rawsyn="$TD_HELPERS/rawsyn"
[ -x "$rawsyn" ] || { not_ok "helper $rawsyn built"; exit 1; }
mkns od >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-od
netstat_get() { ip netns exec "$ns" awk -v k="$1" '/^TcpExt:/ { if (!h) { split($0, n); h = 1 } else { split($0, v); for (i in n) if (n[i] == k) print v[i] } }' /proc/net/netstat; }
bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.bind(("127.0.0.1", 8080)); l.listen(16); time.sleep(600)'
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :8080' | grep -q LISTEN" || { not_ok "listener"; exit 1; }

"$TD_BIN" -N "$ns" check --state-file "$dir/state" > /dev/null
expect_eq "before: exit 0" "$?" 0
d0=$(netstat_get ListenDrops)
ip netns exec "$ns" "$rawsyn" 127.0.0.1 8080 200 || { not_ok "send SYNs"; exit 1; }
wait_for 5 sh -c "[ \$(ip netns exec $ns awk '/^TcpExt:/ { if (!h) { split(\$0, n); h = 1 } else { split(\$0, v); for (i in n) if (n[i] == \"ListenDrops\") print v[i] } }' /proc/net/netstat) -ge $((d0 + 200)) ]" \
	|| { not_ok "the kernel dropped the SYNs"; exit 1; }
d1=$(netstat_get ListenDrops); o1=$(netstat_get ListenOverflows)
expect_eq "kernel: no overflow" "$o1" 0

sleep 1
"$TD_BIN" -N "$ns" check --state-file "$dir/state" -j > "$dir/out.json"
expect_eq "after: exit 1" "$?" 1
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("ids", " ".join(f["id"] for f in d["findings"]))
f = [x for x in d["findings"] if x["id"] == "accept_queue.other_drops"][0]
print("severity", f["severity"])
for k, v in f["evidence"].items(): print(k, v)
print("recos", " ".join(r["kind"] + ":" + r["key"] for r in f["recommendations"]))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "only other_drops" "$(get ids)" accept_queue.other_drops
expect_eq "warning" "$(get severity)" warning
expect_eq "the kernel's delta" "$(get other_drops)" "$((d1 - d0))"
expect_eq "ListenDrops delta" "$(get listen_drops)" "$((d1 - d0))"
expect_eq "per run, not since boot" "$(get counters_since_boot)" ""
expect_eq "blames routing, not the backlog" "$(get recos)" kernel:routing

# Without a state file the drops are "since boot": info, and the status stays OK.
out=$("$TD_BIN" -N "$ns" check --format nagios)
expect_eq "since boot: exit 0" "$?" 0
check "since boot: Nagios OK line that still names the drops" grep -q '^TCPDOCTOR OK - accept_queue.other_drops: 200 SYNs dropped' <<<"$out"
out=$("$TD_BIN" -N "$ns" check)
check "since boot: table header OK" grep -q '^OK: ' <<<"$out"
check "since boot: the info finding is listed" grep -q '^INFO     accept_queue.other_drops' <<<"$out"
