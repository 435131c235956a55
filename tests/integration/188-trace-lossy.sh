#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor trace -e` over a real lossy path between two namespaces of ours
# joined by a veth (198.18.2.1 client, 198.18.2.2 server, no default route):
#  - a transfer across a path that loses segments: netem (sch_netem) loses
#    a fifth of what the client sends where this kernel has it, otherwise an
#    nftables rule in the server's namespace drops every fifth data segment
#    (numgen inc: the same ones every run); tcp:tcp_retransmit_skb names the
#    connection, ESTABLISHED, and `events` (in the client's namespace) gives
#    the same connection's total_retrans, no fewer than the events;
#  - the client's namespace drops the first SYN-ACK (nftables, 0.5 s): the
#    listener's tcp:tcp_retransmit_synack;
#  - an abort on accept-queue overflow (tcp_abort_on_overflow=1 in the
#    server's namespace): tcp:tcp_send_reset from the listener with the
#    kernel's reason INVALID_SYN, explained as the full accept queue, and
#    the client's tcp:tcp_receive_reset.
# (close() with unread data and a RST to a closed port: 174-trace-resets.)
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
	skip_all "needs tracefs"
for e in sock/inet_sock_set_state tcp/tcp_retransmit_skb tcp/tcp_retransmit_synack tcp/tcp_send_reset \
    tcp/tcp_receive_reset; do
	[ -d "/sys/kernel/tracing/events/$e" ] || skip_all "no $e tracepoint"
done
grep -q 'reason' /sys/kernel/tracing/events/tcp/tcp_send_reset/format ||
	skip_all "this kernel's tcp_send_reset has no reason (before 6.10)"
command -v nft > /dev/null || { [ "${CI:-}" = true ] && { not_ok "nft (nftables) is needed in CI"; exit 1; }
	skip_all "needs nft (nftables; scripts/deps.sh test installs it)"; }
c=$(mkns lossc) || { not_ok "create namespace"; exit 1; }
s=$(mkns losss) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip link add "lc$$" netns "$c" type veth peer name "ls$$" netns "$s" || { not_ok "veth"; exit 1; }
ip -n "$c" addr add 198.18.2.1/24 dev "lc$$"
ip -n "$s" addr add 198.18.2.2/24 dev "ls$$"
ip -n "$c" link set "lc$$" up
ip -n "$s" link set "ls$$" up
ip netns exec "$s" sysctl -qw net.ipv4.tcp_abort_on_overflow=1
dport=$((49000 + $$ % 300))
synport=$((dport + 300))
ovport=$((dport + 600))
I=/sys/kernel/tracing/instances
for n in "$c" "$s"; do
	ip netns exec "$n" nft add table inet td || { not_ok "nft table"; exit 1; }
	ip netns exec "$n" nft add chain inet td in '{ type filter hook input priority 0 ; }'
done

# The lossy path: netem where the kernel has it, nftables otherwise.
if tc -n "$c" qdisc add dev "lc$$" root netem loss 20% 2> /dev/null; then
	how="netem loss 20% on the client's veth"
else
	ip netns exec "$s" nft add rule inet td in tcp dport "$dport" meta length gt 200 \
	    numgen inc mod 5 == 0 drop || { not_ok "nft loss rule"; exit 1; }
	how="nftables drops every fifth data segment in the server's namespace (no sch_netem here)"
fi
diag "lossy path: $how"

ready() { grep -qs 1 "$I"/tcpdoctor-"$1"-*/events/tcp/tcp_retransmit_skb/enable; }
subscribed() { ip netns exec "$1" awk -v p="$2" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
"$TD_BIN" trace -j -e state,retransmit,retransmit-synack,send-reset,receive-reset -d 9 \
    "sport = :$dport or dport = :$dport or sport = :$synport or dport = :$synport or sport = :$ovport or dport = :$ovport" \
    > "$t/ev" 2> "$t/err" &
tr=$!
_td_pids+=("$tr")
ip netns exec "$c" "$TD_BIN" events -j -d 9 dport = :"$dport" > "$t/life" 2> "$t/life.err" &
le=$!
_td_pids+=("$le")
wait_for 5 ready "$tr" && wait_for 5 subscribed "$c" "$le" || not_ok "trace and events ready"

ip netns exec "$s" "$PY" - "$dport" "$synport" "$ovport" > "$t/srv" 2>&1 <<'PYEOF' &
import socket, sys, threading, time
dport, synport, ovport = (int(a) for a in sys.argv[1:4])
def listener(port, backlog=16):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("198.18.2.2", port)); l.listen(backlog); return l
def sink(l):
    while True:
        a, _ = l.accept()
        while a.recv(65536): pass
        a.close()
ld, ls = listener(dport), listener(synport)
# Overflow (as 170-events): backlog 1, handshakes deferred until data comes.
lo = listener(ovport, 1)
lo.setsockopt(socket.IPPROTO_TCP, socket.TCP_DEFER_ACCEPT, 5)
for l in (ld, ls): threading.Thread(target=sink, args=(l,), daemon=True).start()
time.sleep(12)
PYEOF
srv=$!
_td_pids+=("$srv")
sleep 0.3
ip netns exec "$c" "$PY" - "$dport" "$synport" "$ovport" > "$t/cli" 2>&1 <<'PYEOF'
import errno, select, socket, subprocess, sys, time
dport, synport, ovport = (int(a) for a in sys.argv[1:4])
# 200 segments of 1000 bytes, one at a time (TCP_NODELAY, 2 ms apart).
c = socket.create_connection(("198.18.2.2", dport), timeout=5)
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
print("lossy", c.getsockname()[1], flush=True)
for i in range(200):
    c.sendall(b"d" * 1000); time.sleep(0.002)
c.shutdown(socket.SHUT_WR); c.settimeout(10); c.recv(10); c.close()
# The first SYN-ACK dropped: the listener sends it again (after 1 s).
subprocess.run(["nft", "add", "rule", "inet", "td", "in", "tcp", "sport", str(synport), "tcp", "flags",
                "&", "(syn|ack)", "==", "syn|ack", "drop"], check=True)
k = socket.socket(); k.setblocking(False); k.connect_ex(("198.18.2.2", synport))
time.sleep(0.5)
subprocess.run(["nft", "flush", "chain", "inet", "td", "in"], check=True)
select.select([], [k], [], 5)
e = k.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
if e: print("synack-error", errno.errorcode.get(e, e))
print("synack", k.getsockname()[1], flush=True); k.close()
# Overflow: A fills the queue, D and E start while there is room, D's data
# takes the last slot, E's data finds it full: reset (tcp_check_req()).
o = {n: socket.socket() for n in "ADE"}
for x in o.values(): x.settimeout(3)
o["A"].connect(("198.18.2.2", ovport)); o["A"].send(b"q"); time.sleep(0.2)
o["D"].connect(("198.18.2.2", ovport)); o["E"].connect(("198.18.2.2", ovport))
o["D"].send(b"q"); time.sleep(0.2); o["E"].send(b"q"); time.sleep(0.3)
try:
    o["E"].recv(10); print("overflow no reset")
except OSError as e:
    print("overflow", o["E"].getsockname()[1], errno.errorcode.get(e.errno, e), flush=True)
for x in o.values(): x.close()
PYEOF
diag "client: $(tr '\n' ' ' < "$t/cli")"
wait "$tr"; rc=$?
expect_eq "trace exits 0 after --duration" "$rc" 0
wait "$le"; rc=$?
expect_eq "events exits 0 after --duration" "$rc" 0
[ -s "$t/err" ] && diag "trace stderr: $(cat "$t/err")"
check "no tracefs instance left behind" sh -c '! ls '"$I"' | grep -qE "^tcpdoctor-('"$tr"'|'"$le"')-"'

got=$("$PY" - "$t/ev" "$t/life" "$t/cli" "$dport" "$synport" "$ovport" <<'PYEOF'
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
life = [json.loads(l) for l in open(sys.argv[2])]
cli = dict(l.split(None, 1) for l in open(sys.argv[3]) if " " in l)
dport, synport, ovport = (int(a) for a in sys.argv[4:7])
lport = int(cli.get("lossy", "0"))
r = [e for e in ev if e.get("event") == "tcp_retransmit_skb" and e["sport"] == lport and e["dport"] == dport]
ok = [e for e in r if e["src"] == "198.18.2.1" and e["dst"] == "198.18.2.2" and e["err"] == 0
      and e["state"] in ("ESTABLISHED", "FIN_WAIT1") and "sent again" in e["explanation"]]
print("rtx:", len(r) > 0 and len(ok) == len(r))
conn = [e for e in life if e["type"] == "connection" and e["sport"] == lport and e["dport"] == dport]
# total_retrans counts segments, the tracepoint skbs (one may hold two or more).
print("life:", len(conn), conn and 2 * len(r) >= conn[0]["total_retrans"] >= len(r) > 0)
print("counts:", len(r), conn and conn[0]["total_retrans"])
sport = int(cli.get("synack", "0").split()[0]) if cli.get("synack", "0").split()[0].isdigit() else 0
sa = [e for e in ev if e.get("event") == "tcp_retransmit_synack" and e["sport"] == synport]
print("synack:", len(sa) > 0 and all(e["dport"] == sport and e["src"] == "198.18.2.2" for e in sa)
      and "third segment" in sa[0]["explanation"])
eport = int(cli.get("overflow", "0 x").split()[0])
sr = [e for e in ev if e.get("event") == "tcp_send_reset" and e["sport"] == ovport]
print("overflow sent:", " ".join("%s/%s" % (e["reason"], e["state"]) for e in sr))
print("overflow why:", sr and "accept queue" in sr[0]["explanation"] and "tcp_abort_on_overflow" in sr[0]["explanation"])
print("overflow got:", sum(1 for e in ev if e.get("event") == "tcp_receive_reset" and e["sport"] == eport
                           and e["dport"] == ovport))
PYEOF
)
diag "$got"
field() { echo "$got" | sed -n "s/^$1: //p"; }
expect_eq "lossy path: the client's segments retransmitted, ESTABLISHED, without a local error" "$(field rtx)" True
expect_eq "events: that connection's total_retrans agrees with the traced retransmissions (n..2n)" "$(field life)" "1 True"
expect_eq "first SYN-ACK dropped: tcp_retransmit_synack from the listener to the client's port" "$(field synack)" True
expect_eq "abort on overflow: the listener sends a RST, the kernel's reason INVALID_SYN" "$(field 'overflow sent')" \
    "INVALID_SYN/LISTEN"
expect_eq "... explained as the full accept queue (tcp_abort_on_overflow)" "$(field 'overflow why')" True
expect_eq "... and the connecting socket receives it" "$(field 'overflow got')" 1
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "trace ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=trace_event "$t/ev"
else
	[ "${CI:-}" = true ] && not_ok "python3-jsonschema is needed in CI" || skip "python3-jsonschema missing"
fi
kill "$srv" 2>/dev/null || true	# it may have exited already: not a failure
