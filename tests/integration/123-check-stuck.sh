#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# Sockets older than the model allows: the client namespace routes
# 198.18.10.0/24 through a peer namespace that neither forwards nor answers,
# and sets tcp_syn_retries=1 (the SYN schedule gives up after about 3 s).
# "dialer" connects 4 sockets with TCP_SYNCNT=7 (they retransmit for about
# 30 s, longer than the sysctl allows: the option is invisible to sock_diag)
# and one without it (the kernel kills it on time).  check --state-file run
# twice 12 s apart must report stuck.syn_sent for the 4, with the bound the
# model computes for tcp_syn_retries=1, and nothing for the fifth; watch
# must show the finding start and, once the dialer is gone, clear, once
# each.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
mkns skc >/dev/null || { not_ok "create the client namespace"; exit 1; }
mkns skr >/dev/null || { not_ok "create the router namespace"; exit 1; }
cns=td-$$-skc rns=td-$$-skr
ip link add tds0 netns "$cns" type veth peer name tds1 netns "$rns" || { not_ok "veth pair"; exit 1; }
ip -n "$cns" addr add 198.18.9.1/24 dev tds0 && ip -n "$cns" link set tds0 up &&
ip -n "$rns" addr add 198.18.9.2/24 dev tds1 && ip -n "$rns" link set tds1 up &&
ip -n "$cns" route add 198.18.10.0/24 via 198.18.9.2 || { not_ok "addresses and the route"; exit 1; }
ip netns exec "$rns" sysctl -qw net.ipv4.ip_forward=0
ip netns exec "$cns" sysctl -qw net.ipv4.tcp_syn_retries=1 || { not_ok "tcp_syn_retries in the namespace"; exit 1; }

# watch from the start, one NDJSON record a second, at most 40.
"$TD_BIN" -N "$cns" watch -j -i 1 -n 40 > "$dir/watch.ndjson" 2> "$dir/watch.err" &
wpid=$!
bg ip netns exec "$cns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"dialer", 0, 0, 0)
cs = []
for i in range(5):
    c = socket.socket(); c.setblocking(False)
    if i < 4:
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 7)
    try: c.connect(("198.18.10.10", 80))
    except BlockingIOError: pass
    cs.append(c)
open(sys.argv[1], "w").write("sent")
time.sleep(600)' "$dir/sent"
dpid=$BG_PID
wait_for 10 test -s "$dir/sent" || { not_ok "connects started"; exit 1; }
"$TD_BIN" -N "$cns" check -j --only stuck --state-file "$dir/state" > "$dir/out1.json"
expect_eq "first run: no age known yet, ok" "$?" 0
sleep 12
n=$(ip netns exec "$cns" ss -tnH state syn-sent | wc -l)
expect_eq "the 4 with TCP_SYNCNT still connect, the fifth gave up" "$n" 4
"$TD_BIN" -N "$cns" check -j --only stuck --state-file "$dir/state" > "$dir/out2.json"
expect_eq "second run: warning" "$?" 1
"$PY" - "$dir/out2.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
fs = [x for x in d["findings"] if x["id"].startswith("stuck.")]
print("n", len(fs))
f = fs[0]
e = f["evidence"]
print("f", f["id"], f["subject"], f["severity"], e["stuck"], e["state"], e["tcp_syn_retries"])
print("bound", e["model_max_s"], e["seen_for_s"])
print("from", e["bound_from"])
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "one stuck finding" "$(get n)" 1
expect_eq "stuck.syn_sent for the 4 toward the black hole" "$(get f)" \
	"stuck.syn_sent 198.18.10.10:80 warning 4 SYN_SENT 1"
set -- $(get bound)
check "the model's bound for tcp_syn_retries=1 ($1 s) is below their age ($2 s)" \
	awk -v b="$1" -v a="$2" 'BEGIN { exit !(b > 1 && b < 10 && a >= 12 && a > b) }'
expect_eq "where the bound comes from" "$(get from)" "tcp_syn_retries, tcp_syn_linear_timeouts"

# The dialer goes: its sockets close, the finding clears in watch.
kill "$dpid"
wait_for 10 sh -c "[ -z \"\$(ip netns exec $cns ss -tnH state syn-sent)\" ]" || not_ok "the sockets closed"
sleep 5
kill -INT "$wpid"
wait "$wpid"
expect_eq "watch ends normally on SIGINT" "$?" 0
"$PY" - "$dir/watch.ndjson" > "$dir/wfacts" <<'PYEOF'
import json, sys
new, cleared = [], []
for i, line in enumerate(open(sys.argv[1])):
    r = json.loads(line)
    if any(k.startswith("stuck.syn_sent ") for k in r["new"]):
        new.append(i)
    if any(k.startswith("stuck.syn_sent ") for k in r["cleared"]):
        cleared.append(i)
print("started", len(new) == 1)
print("cleared", len(cleared) == 1 and len(new) == 1 and cleared[0] > new[0])
PYEOF
expect_eq "watch: stuck.syn_sent starts" "$(awk '$1 == "started" { print $2 }' "$dir/wfacts")" True
expect_eq "watch: and clears after the dialer is gone" "$(awk '$1 == "cleared" { print $2 }' "$dir/wfacts")" True
