#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# Failed connects told apart and diagnosed by `tcpdoctor events`: in two
# namespaces of ours (198.18.0.1 client; 198.18.0.2 server, whose answers
# from 198.18.0.3 are blackholed), three connect() attempts each that are
# refused (nothing on port 81), that time out (SYN-ACKs never leave), and
# that find no local port (a two-port ip_local_port_range, both ports
# held toward 198.18.0.2:80), plus one toward an address nobody owns
# (unreachable, below the threshold).  Each destination gets its outcome,
# its SYN count and the finding with the fix that fits.
. "$(dirname "$0")/../lib.sh"
require_root
require_state_tracepoint
c=$(mkns fcc) || { not_ok "create namespace"; exit 1; }
s=$(mkns fcs) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip link add "fc$$" netns "$c" type veth peer name "fs$$" netns "$s" || { not_ok "veth"; exit 1; }
ip -n "$c" addr add 198.18.0.1/24 dev "fc$$"
ip -n "$s" addr add 198.18.0.2/24 dev "fs$$"
ip -n "$s" addr add 198.18.0.3/24 dev "fs$$"
ip -n "$c" link set "fc$$" up
ip -n "$s" link set "fs$$" up
ip -n "$s" route add blackhole 198.18.0.1/32 table 100
ip -n "$s" rule add from 198.18.0.3 to 198.18.0.1 table 100 pref 100
ip netns exec "$c" sysctl -qw net.ipv4.tcp_syn_retries=2
subscribed() { ip netns exec "$1" awk -v p="$2" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
traced() { grep -qs 1 /sys/kernel/tracing/instances/tcpdoctor-"$1"-*/events/sock/inet_sock_set_state/enable; }

ip netns exec "$s" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("0.0.0.0", 80)); l.listen(16)
held = [l.accept()[0] for i in range(2)]
time.sleep(30)' &
_td_pids+=("$!")

ip netns exec "$c" "$TD_BIN" events -j -d 10 > "$t/c.json" 2> "$t/c.err" &
ce=$!
_td_pids+=("$ce")
wait_for 5 subscribed "$c" "$ce" && wait_for 5 traced "$ce" || not_ok "events ready"
ip netns exec "$c" "$PY" - > "$t/cli.log" 2>&1 <<'PYEOF'
import socket, errno, threading, time
def conn(addr, port):
    s = socket.socket()
    try: s.connect((addr, port))
    except OSError as e: print(addr, port, errno.errorcode.get(e.errno))
    s.close()
th = [threading.Thread(target=conn, args=("198.18.0.3", 80)) for i in range(3)]
th.append(threading.Thread(target=conn, args=("198.18.0.9", 80)))
for x in th: x.start()
for i in range(3): conn("198.18.0.2", 81)
for x in th: x.join()
# Two local ports only, both held toward 198.18.0.2:80: the next three find none.
open("/proc/sys/net/ipv4/ip_local_port_range", "w").write("40000 40001")
held = []
for i in range(2):
    h = socket.socket(); h.connect(("198.18.0.2", 80)); held.append(h)
for i in range(3): conn("198.18.0.2", 80)
for h in held: h.close()
PYEOF
diag "client: $(tr '\n' ' ' < "$t/cli.log")"
wait "$ce"; rc=$?
expect_eq "events exits 0" "$rc" 0
[ -s "$t/c.err" ] && diag "stderr: $(cat "$t/c.err")"
got=$("$PY" - "$t/c.json" <<'PYEOF'
import json, sys
L = [json.loads(l) for l in open(sys.argv[1])]
def outs(dst, port):
    return " ".join(sorted("%s/%s" % (e["outcome"], e["syns"]) for e in L
        if e["type"] == "connection" and e["dst"] == dst and e["dport"] == port))
print("refused:", outs("198.18.0.2", 81))
print("timeout:", outs("198.18.0.3", 80))
print("noport:", outs("198.18.0.2", 80))
print("unreach:", outs("198.18.0.9", 80))
for f in L:
    if f["type"] == "finding":
        print("finding:", f["id"], f["subject"], f["severity"], " | ".join(r["key"] for r in f["recommendations"]))
PYEOF
)
diag "$got"
field() { echo "$got" | sed -n "s/^$1: //p"; }
expect_eq "refused: three, one SYN each" "$(field refused)" "refused/1 refused/1 refused/1"
case $(field timeout) in "timed_out/"[2-9]" timed_out/"[2-9]" timed_out/"[2-9]) ok "timed out: three, several SYNs each" ;;
*) not_ok "timed out: three, several SYNs each"; diag "got: $(field timeout)" ;; esac
expect_eq "no local port: three without a SYN, beside the two that connected" "$(field noport)" \
    "closed/None closed/None no_local_port/0 no_local_port/0 no_local_port/0"
case $(field unreach) in unreachable/*) ok "unreachable: one" ;; *) not_ok "unreachable: one"; diag "got: $(field unreach)" ;; esac
findings=$(field finding)
check "finding: 198.18.0.2:81 refuses, fix the service" grep -q "^failed_connects.refused 198.18.0.2:81 warning service | retries$" <<<"$findings"
check "finding: 198.18.0.3:80 times out, fix the path and the connect() timeout" grep -q "^failed_connects.timed_out 198.18.0.3:80 warning path | connect() timeout$" <<<"$findings"
check "finding: no local port toward 198.18.0.2:80, widen the range" grep -q "^failed_connects.no_local_port 198.18.0.2:80 warning net.ipv4.ip_local_port_range | net.ipv4.tcp_tw_reuse | connection reuse$" <<<"$findings"
if grep -q 198.18.0.9 <<<"$findings"; then not_ok "no finding for the single unreachable attempt"
else ok "no finding for the single unreachable attempt"; fi
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "events ndjson with findings conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=events_line "$t/c.json"
else
	[ "${CI:-}" = true ] && not_ok "python3-jsonschema is needed in CI" || skip "python3-jsonschema missing"
fi
