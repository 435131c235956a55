#!/bin/bash
# SPDX-License-Identifier: MIT
# Connects into a black hole: the client namespace routes 198.18.10.0/24
# through a peer namespace that does not forward and does not answer (no
# default route anywhere).  15 non-blocking connects by "dialer" (12 to
# 198.18.10.10:80, 3 to 198.18.10.11:443) hang in SYN_SENT, retransmitting
# their SYNs; check must report connects.syn_sent per destination, with the
# owner and the connect timeout tcp_syn_retries (2, set inside the
# namespace) gives.  After the kernel gives up (ETIMEDOUT), a second run
# with --state-file must report connects.timeouts for those destinations,
# and must NOT report established connections killed mid-connection.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
mkns cnc >/dev/null || { not_ok "create the client namespace"; exit 1; }
mkns cnr >/dev/null || { not_ok "create the router namespace"; exit 1; }
cns=td-$$-cnc rns=td-$$-cnr
ip link add tdc0 netns "$cns" type veth peer name tdc1 netns "$rns" || { not_ok "veth pair"; exit 1; }
ip -n "$cns" addr add 198.18.9.1/24 dev tdc0 && ip -n "$cns" link set tdc0 up &&
ip -n "$rns" addr add 198.18.9.2/24 dev tdc1 && ip -n "$rns" link set tdc1 up &&
ip -n "$cns" route add 198.18.10.0/24 via 198.18.9.2 || { not_ok "addresses and the route"; exit 1; }
ip netns exec "$rns" sysctl -qw net.ipv4.ip_forward=0
ip netns exec "$cns" sysctl -qw net.ipv4.tcp_syn_retries=2 || { not_ok "tcp_syn_retries in the namespace"; exit 1; }

bg ip netns exec "$cns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"dialer", 0, 0, 0)
cs = []
for dst, n in ((("198.18.10.10", 80), 12), (("198.18.10.11", 443), 3)):
    for i in range(n):
        c = socket.socket(); c.setblocking(False)
        try: c.connect(dst)
        except BlockingIOError: pass
        cs.append(c)
open(sys.argv[1], "w").write("sent")
time.sleep(600)' "$dir/sent"
pid=$BG_PID
wait_for 10 test -s "$dir/sent" || { not_ok "connects started"; exit 1; }
t_sent=$(date +%s.%N)
dpid=$(pgrep -n -x dialer)
ss_sent() { ip netns exec "$cns" ss -tnoH state syn-sent; }
# Each SYN retransmitted at least twice (1 s and 2 s with the linear timeouts).
wait_for 10 sh -c "[ \$(ip netns exec $cns ss -tnoH state syn-sent | grep -Ec 'timer:\(on,[^,]*,([2-9])\)') -eq 15 ]" \
	|| { not_ok "15 SYN_SENT retransmitting"; ss_sent | head -3 | sed 's/^/# /'; exit 1; }

"$TD_BIN" -N "$cns" check -j --state-file "$dir/state" > "$dir/out.json"
expect_eq "check exits 1 (warning)" "$?" 1
"$PY" - "$dir/out.json" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
fs = {x["subject"]: x for x in d["findings"] if x["id"] == "connects.syn_sent"}
print("n", len(fs))
for subj, f in sorted(fs.items()):
    e = f["evidence"]
    print(subj, f["severity"], e["syn_sent_retransmitting"], e["max_retrans"], e.get("command"),
          e.get("pid"), e["tcp_syn_retries"], round(e["connect_timeout_s"], 1))
print("kinds", " ".join(sorted(set(r["kind"] for r in fs["198.18.10.10:80"]["recommendations"]))))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
expect_eq "one finding per destination" "$(get n)" 2
set -- $(get 198.18.10.10:80)
expect_eq "198.18.10.10:80: warning" "$1" warning
expect_eq "198.18.10.10:80: its 12 attempts" "$2" 12
check "198.18.10.10:80: SYN retransmissions as ss counts them ($3)" test "$3" -ge 2
expect_eq "198.18.10.10:80: the process" "$4 $5" "dialer $dpid"
expect_eq "198.18.10.10:80: tcp_syn_retries" "$6" 2
cto=$7
check "198.18.10.10:80: a connect timeout from the model ($7 s)" awk -v t="$7" 'BEGIN { exit !(t > 2 && t < 20) }'
set -- $(get 198.18.10.11:443)
expect_eq "198.18.10.11:443: info, 3 attempts" "$1 $2" "info 3"
expect_eq "the fix: the path and the application's connect timeout" "$(get kinds)" "app kernel"

# The kernel gives up (ETIMEDOUT): bounded by the SYN schedule for 2 retries.
wait_for 30 sh -c "[ -z \"\$(ip netns exec $cns ss -tnH state syn-sent)\" ]" \
	|| { not_ok "the connects timed out"
diag "connects gone $(awk -v a="$t_sent" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the first SYNs (the model said $cto s)"; exit 1; }
ok "the connects timed out"
diag "connects gone $(awk -v a="$t_sent" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s after the first SYNs (the model said $cto s)"
"$TD_BIN" -N "$cns" check -j --state-file "$dir/state" > "$dir/out2.json"
"$PY" - "$dir/out2.json" > "$dir/facts2" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
ids = sorted(x["id"] for x in d["findings"])
print("ids", " ".join(ids) or "none")
t = [x for x in d["findings"] if x["id"] == "connects.timeouts"]
if t:
    e = t[0]["evidence"]
    print("timeouts", e["connect_timeouts_max"], e.get("abort_on_timeout"), e.get("attempt_fails"), e.get("estab_resets"))
    print("destinations", e.get("destinations"))
print("midconn", sum("mid-connection" in json.dumps(x) for x in d["findings"]))
PYEOF
get2() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts2"; }
expect_eq "connects.timeouts: 15 attempts, 15 timeouts, 15 failed attempts, 0 established resets" \
	"$(get2 timeouts)" "15 15 15 0"
expect_eq "connects.timeouts names the destinations of the pile" "$(get2 destinations)" \
	"198.18.10.10:80, 198.18.10.11:443"
check "no dead_peers.timeouts: they never connected ($(get2 ids))" sh -c "! grep -q dead_peers.timeouts '$dir/facts2'"
expect_eq "nothing says mid-connection" "$(get2 midconn)" 0
: "$pid"
