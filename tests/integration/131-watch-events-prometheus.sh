#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# The connection events in watch's Prometheus textfile, and watch without
# privileges.  In a namespace of ours, 20 destinations refuse 2 connect()s
# each (closed ports 9001-9020 of 198.18.133.1), 5 more connections succeed
# to a listener: watch --format prometheus -o FILE writes counters per
# destination and per listener whose label sets stay bounded (the first 16
# destinations seen have their own label, the others are summed in
# destination="other", so no counter goes down), the counts add up to what
# the test did, lost events are a counter of their own, promtool accepts the
# file and every counter only grows from one rewrite to the next.
# Then as nobody (no capabilities): watch still runs, exit 0, and says what
# it cannot see: the events unavailable (available false, "?" in the table)
# or read untraced (the transitions need tracefs), with the reason, never
# silent zeros.
. "$(dirname "$0")/../lib.sh"
require_root
command -v promtool >/dev/null || { not_ok "promtool installed (scripts/deps.sh test)"; exit 1; }
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
dir=$(tmpdir)
ns=$(mkns wep) || { not_ok "create a network namespace"; exit 1; }
ip -n "$ns" addr add 198.18.133.1/32 dev lo || { not_ok "address"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("198.18.133.1", 9300)); l.listen(64)
open(sys.argv[1], "w").write("ready")
while True:
    c, _ = l.accept(); c.close()
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }

mkdir "$dir/textfile"
prom="$dir/textfile/tcpdoctor.prom"
"$TD_BIN" -N "$ns" watch --format prometheus -o "$prom" -i 0.5 > /dev/null 2> "$dir/err" &
wpid=$!
_td_pids+=("$wpid")
wait_for 15 test -s "$prom" || { not_ok "the first file"; sed 's/^/# /' "$dir/err"; exit 1; }
ip netns exec "$ns" "$PY" -c '
import socket
for p in range(9001, 9021):
    for k in range(2):
        try: socket.create_connection(("198.18.133.1", p), timeout=2)
        except OSError: pass
for i in range(5):
    c = socket.create_connection(("198.18.133.1", 9300)); c.recv(1); c.close()
' || not_ok "the connections"
# Bounded waits, not sleeps: a sample can take a second on a loaded machine.
counted() { awk '/^tcpdoctor_events_connections_total / { exit !($2 >= 50) } END { if (NR == 0) exit 1 }' "$prom"; }
wait_for 20 counted || diag "the file never counted the 50 sockets (40 refused, 5 x 2 accepted): see what it says it lost"
cp "$prom" "$dir/a"
ino=$(stat -c %i "$prom")
wait_for 10 sh -c "[ \$(stat -c %i '$prom') != $ino ]" || not_ok "the file is rewritten"
cp "$prom" "$dir/b"
kill -INT "$wpid"
wait "$wpid"
expect_eq "watch ends normally on SIGINT" "$?" 0
check "promtool accepts the file" sh -c "promtool check metrics < '$dir/b' > /dev/null 2>&1"
check "the events are available" grep -qx "tcpdoctor_events_available 1" "$dir/b"
check "lost events are a counter of their own" grep -q '^tcpdoctor_events_lost_total{stream="notifications"} ' "$dir/b"
labels=$(grep -o '^tcpdoctor_destination_connections_total{destination="[^"]*"' "$dir/b" | sort -u | wc -l)
expect_eq "destination labels bounded: 16 of their own and other" "$labels" 17
lost=$(awk '/^tcpdoctor_events_lost_total/ { s += $2 } END { print s + 0 }' "$dir/b")
refused=$(awk '/^tcpdoctor_destination_connections_total/ && /outcome="refused"/ { s += $2 } END { print s + 0 }' "$dir/b")
other=$(awk '/^tcpdoctor_destination_connections_total\{destination="other",outcome="refused"\}/ { print $2 }' "$dir/b")
accepted=$(awk '/^tcpdoctor_listener_connections_total\{listener="198.18.133.1:9300",outcome="accepted"\}/ { print $2 }' "$dir/b")
if [ "$lost" = 0 ]; then
	expect_eq "40 refusals counted over the 20 destinations" "$refused" 40
	expect_eq "the 4 destinations beyond 16 summed in other (8 refusals)" "$other" 8
	expect_eq "the listener accepted 5" "$accepted" 5
else
	diag "the tool reports $lost lost events: counts may be short"
	check "no more refusals than made" sh -c "[ $refused -le 40 ]"
fi
expect_eq "no counter went down between two rewrites" "$("$PY" - "$dir/a" "$dir/b" <<'PYEOF'
import sys
def load(p):
    d = {}
    for l in open(p):
        if l.startswith("#") or not l.strip(): continue
        k, v = l.rsplit(" ", 1)
        if "_total" in k.split("{")[0]: d[k] = float(v)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
print(int(all(k in b and b[k] >= v for k, v in a.items())))
PYEOF
)" 1
expect_eq "no temporary file left beside the textfile" "$(ls "$dir/textfile" | wc -l)" 1

# Without privileges.
chmod 755 "$dir"
ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$TD_BIN" watch -j -i 0.3 -n 3 > "$dir/nobody" 2> "$dir/nobody.err"
expect_eq "as nobody: watch runs, exit 0" "$?" 0
sed 's/^/# /' "$dir/nobody.err"
facts=$("$PY" - "$dir/nobody" <<'PYEOF'
import json, sys
ev = [json.loads(l)["events"] for l in open(sys.argv[1])]
e = ev[-1]
if not e["available"]:
    print("unavailable", int(bool(e["reason"]) and "interval" not in e))
else:
    print("untraced", int(e["traced"] is False and bool(e["reason"]) and "not traced" in e["reason"] and
          e["lost_transitions"] is None))
PYEOF
)
diag "$facts"
case $facts in
unavailable*) expect_eq "as nobody: the events unavailable, with the reason, no counts" "$facts" "unavailable 1" ;;
*) expect_eq "as nobody: the events read untraced, with the reason, transitions' losses unknown (null)" "$facts" "untraced 1" ;;
esac
check "as nobody: the reason is said on stderr" grep -Eq "not traced|unavailable" "$dir/nobody.err"
ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
    "$TD_BIN" watch -i 0.3 -n 2 > "$dir/nobody.tab" 2>/dev/null
if [ "${facts%% *}" = unavailable ]; then
	check "as nobody, table: unknown event cells are '?'" grep -Eq '^[0-9]{2}:.* \? +\? +\? +\? +\? ' "$dir/nobody.tab"
else
	check "as nobody, table: the summary says the transitions were not traced" grep -q "connections: .* (untraced" "$dir/nobody.tab"
fi
