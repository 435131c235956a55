#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor trace` on retransmissions and drops, built for real in a
# namespace of ours on loopback: the handshake's third ACK dropped by an
# nftables rule (tcp:tcp_retransmit_synack from the listener), data dropped
# for a while (tcp:tcp_retransmit_skb, ESTABLISHED, sent without error), and
# a SYN to a closed port (skb:kfree_skb in tcp_v4_rcv, reason NO_SOCKET,
# in the context of the process that sent it); each checked in NDJSON with
# its explanation, an ls-style filter narrows to one port.
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
	skip_all "needs tracefs"
for e in tcp/tcp_retransmit_synack tcp/tcp_retransmit_skb skb/kfree_skb; do
	[ -d "/sys/kernel/tracing/events/$e" ] || skip_all "no $e tracepoint"
done
grep -q 'location' /sys/kernel/tracing/events/skb/kfree_skb/format || skip_all "kfree_skb has no location"
command -v nft > /dev/null || { [ "${CI:-}" = true ] && { not_ok "nft (nftables) is needed in CI"; exit 1; }
	skip_all "needs nft (nftables; scripts/deps.sh test installs it)"; }
ns=$(mkns drop) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
synport=$((48600 + $$ % 400))
dataport=$((synport + 400))
closed=$((synport + 800))
I=/sys/kernel/tracing/instances
ready() { grep -qs 1 "$I"/tcpdoctor-"$1"-*/events/skb/kfree_skb/enable; }
ip netns exec "$ns" nft add table inet td || { not_ok "nft table"; exit 1; }
ip netns exec "$ns" nft add chain inet td in '{ type filter hook input priority 0 ; }'

"$TD_BIN" trace -j -e retransmit-synack,retransmit -d 6 \
    sport = :"$synport" or dport = :"$dataport" > "$t/ev" 2> "$t/err" &
tr=$!
_td_pids+=("$tr")
ready1() { grep -qs 1 "$I"/tcpdoctor-"$1"-*/events/tcp/tcp_retransmit_skb/enable; }
wait_for 5 ready1 "$tr" || not_ok "trace instance ready"
ip netns exec "$ns" "$PY" - "$synport" "$dataport" <<'PYEOF'
import os, socket, subprocess, sys, time
synport, dataport = int(sys.argv[1]), int(sys.argv[2])
def nft(rule): subprocess.run(["nft"] + rule.split(), check=True)
def listener(port):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port)); s.listen(); return s
# the third ACK dropped: the listener sends its SYN-ACK again after 1 s
nft("add rule inet td in tcp dport %d tcp flags == ack drop" % synport)
s = listener(synport)
c = socket.create_connection(("127.0.0.1", synport)); time.sleep(1.5)
nft("flush chain inet td in")
c.close(); s.close()
# data dropped for 0.7 s: the segment is retransmitted (RTO 200 ms and more)
s = listener(dataport)
c = socket.create_connection(("127.0.0.1", dataport)); a, _ = s.accept()
nft("add rule inet td in tcp dport %d tcp flags & psh == psh drop" % dataport)
c.sendall(b"retransmit me"); time.sleep(0.7)
nft("flush chain inet td in")
a.settimeout(3); a.recv(100); c.close(); a.close(); s.close()
PYEOF
wait "$tr"; rc=$?
expect_eq "trace exits 0 after --duration" "$rc" 0
check "no tracefs instance left behind" sh -c '! ls '"$I"' | grep -q "^tcpdoctor-'"$tr"'-"'

# A SYN to a closed port: its drop, in a run of its own (kfree_skb has no
# ports to filter on, so every TCP drop of the host comes in).
"$TD_BIN" trace -j -e drop -d 3 > "$t/drop" 2> "$t/drop.err" &
tr=$!
_td_pids+=("$tr")
wait_for 5 ready "$tr" || not_ok "trace instance ready (drop)"
ip netns exec "$ns" "$PY" - "$closed" > "$t/pids" <<'PYEOF'
import os, socket, sys, time
closed = int(sys.argv[1])
print(os.getpid(), time.time(), flush=True)
try:
    socket.create_connection(("127.0.0.1", closed), timeout=2)
except ConnectionRefusedError:
    pass
print(time.time(), flush=True)
PYEOF
wait "$tr"
check "no tracefs instance left behind (drop)" sh -c '! ls '"$I"' | grep -q "^tcpdoctor-'"$tr"'-"'
read -r pid t0 < "$t/pids"
t1=$(sed -n 2p "$t/pids")
wait "$tr"; rc=$?
q() { "$PY" - "$t/ev" "$synport" "$dataport" "$closed" "$pid" "$1" "$t/drop" "$t0" "$t1" <<'PYEOF'
import datetime, json, sys
synport, dataport, closed, pid = (int(a) for a in sys.argv[2:6])
what = sys.argv[6]
ev = [json.loads(l) for l in open(sys.argv[1])]
t0, t1 = float(sys.argv[8]), float(sys.argv[9])
def at(e):
    return datetime.datetime.strptime(e["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()
drops = [json.loads(l) for l in open(sys.argv[7])]
if what == "synack":
    print(" ".join("%s>%s" % (e["sport"], "client" if e["dport"] != 0 else "?") for e in ev
                   if e.get("event") == "tcp_retransmit_synack" and e["sport"] == synport))
elif what == "synack-why":
    print(" ".join(e["explanation"] for e in ev
                   if e.get("event") == "tcp_retransmit_synack" and e["sport"] == synport)[:400])
elif what == "rtx":
    r = [e for e in ev if e.get("event") == "tcp_retransmit_skb" and e["dport"] == dataport]
    print("%s %s %s" % ("yes" if r else "none", " ".join(sorted(set(e["state"] for e in r))),
                        " ".join(sorted(set(str(e["err"]) for e in r)))))
elif what in ("drop", "drop-why"):
    # the SYN's drop: NO_SOCKET in tcp_v4_rcv while the connect() ran
    d = [e for e in drops if e["reason"] == "NO_SOCKET" and e["where"] == "tcp_v4_rcv"
         and t0 - 0.01 <= at(e) <= t1 + 0.01]
    if what == "drop":
        print("%s %s" % ("yes" if d else "none", d[0]["src"] if d else "-"))
        print("# by the connecting process: %s" % any(e["pid"] == pid for e in d), file=sys.stderr)
    else:
        print(" ".join(e["explanation"] for e in d)[:300])
elif what == "drop-where":
    # every drop reported happened in the kernel's TCP code
    print(sum(1 for e in drops if "tcp" not in (e["where"] or "")))
PYEOF
}
expect_eq "the third ACK dropped: the listener retransmits its SYN-ACK" "$(q synack | cut -d' ' -f1)" "$synport>client"
q synack-why > "$t/why1"
check "... explained with the host's tcp_synack_retries" grep -q 'tcp_synack_retries=[0-9]' "$t/why1"
expect_eq "data dropped: the segment is retransmitted, ESTABLISHED, without a local error" "$(q rtx)" "yes ESTABLISHED 0"
expect_eq "a SYN to a closed port: a kfree_skb NO_SOCKET in tcp_v4_rcv while it was sent, no addresses" \
    "$(q drop)" "yes None"
q drop-why > "$t/why2"
check "... explained in words" grep -q 'nothing listens on that port' "$t/why2"
expect_eq "every drop reported is one made in the kernel's TCP code" "$(q drop-where)" 0
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "trace ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=trace_event "$t/ev"
	check "trace -e drop ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=trace_event "$t/drop"
else
	[ "${CI:-}" = true ] && not_ok "python3-jsonschema is needed in CI" || skip "python3-jsonschema missing"
fi

# A filter as ls takes it: only the data port's events.
"$TD_BIN" trace -j -e retransmit,state -d 3 dport = :"$dataport" > "$t/f" 2> "$t/f.err" &
tr=$!
_td_pids+=("$tr")
ready2() { grep -qs 1 "$I"/tcpdoctor-"$1"-*/events/tcp/tcp_retransmit_skb/enable; }
wait_for 5 ready2 "$tr" || not_ok "trace instance ready (filter)"
ip netns exec "$ns" "$PY" - "$dataport" <<'PYEOF'
import socket, subprocess, sys, time
port = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
c = socket.create_connection(("127.0.0.1", port)); a, _ = s.accept()
subprocess.run(["nft", "add", "rule", "inet", "td", "in", "tcp", "dport", str(port), "tcp", "flags",
                "&", "psh", "==", "psh", "drop"], check=True)
c.sendall(b"again"); time.sleep(0.5)
subprocess.run(["nft", "flush", "chain", "inet", "td", "in"], check=True)
a.settimeout(3); a.recv(100); c.close(); a.close(); s.close()
PYEOF
wait "$tr"
expect_eq "dport = :PORT keeps only that destination port" \
    "$("$PY" -c 'import json,sys; print(sorted(set(json.loads(l)["dport"] for l in open(sys.argv[1]))))' "$t/f")" \
    "[$dataport]"
check "... with its retransmission" grep -q '"event":"tcp_retransmit_skb"' "$t/f"
expect_eq "... and nothing on stderr" "$(cat "$t/f.err")" ""
