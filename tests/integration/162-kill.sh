#!/bin/bash
# SPDX-License-Identifier: MIT
# tcpdoctor kill: three established connections served on :7100; the dry
# run lists exactly them and destroys nothing, --yes destroys exactly what
# the dry run printed (the clients see the reset), the listener is left
# alone unless named; an empty filter is refused; an unprivileged run gets
# the kernel's EPERM per socket (exit 77); -A reaches into a namespace.  And
# check's recommendation for SYN_SENT into a black hole is the exact kill
# command: run as printed, it ends the hanging connects at once.
. "$(dirname "$0")/../lib.sh"
require_root
mkns k >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-k
dir=$(tmpdir)
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time, select
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", 7100)); l.listen(8)
cs = [socket.create_connection(("127.0.0.1", 7100)) for i in range(3)]
ss = [l.accept()[0] for i in range(3)]
open(sys.argv[1], "w").write("ready")
res = []
deadline = time.time() + 60
while len(res) < 3 and time.time() < deadline:
    r, _, _ = select.select([c for c in cs if c not in [x[0] for x in res]], [], [], 1)
    for c in r:
        try:
            d = c.recv(1); res.append((c, "eof" if d == b"" else "data"))
        except ConnectionResetError:
            res.append((c, "reset"))
open(sys.argv[2], "w").write(" ".join(sorted(x[1] for x in res)) + "\n")
time.sleep(600)
' "$dir/ready" "$dir/clients"
wait_for 10 test -s "$dir/ready" || { not_ok "connections ready"; exit 1; }
td() { "$TD_BIN" -N "$ns" "$@"; }
est() { ip netns exec "$ns" ss -tanH state established '( sport = :7100 )' | wc -l; }

td kill > /dev/null 2> "$dir/e"
expect_eq "an empty filter is refused (64)" "$?" 64
check "says why" grep -q "refusing to destroy every socket" "$dir/e"
td kill state establishd > /dev/null 2>&1
expect_eq "a bad filter is a usage error" "$?" 64

td kill sport = :7100 > "$dir/dry"
expect_eq "dry run exits 0" "$?" 0
expect_eq "dry run: the three server sockets" "$(grep -c '^would destroy ESTAB  *127.0.0.1:7100 127.0.0.1:' "$dir/dry")" 3
check "dry run: the listener is left alone and said so" grep -q "listening sockets are left alone" "$dir/dry"
check "dry run: says how to go on" grep -q "^3 sockets would be destroyed; run again with --yes" "$dir/dry"
expect_eq "dry run destroys nothing" "$(est)" 3

td kill --yes sport = :7100 > "$dir/yes"
expect_eq "--yes exits 0" "$?" 0
expect_eq "--yes destroyed exactly what the dry run printed" \
	"$(grep '^destroyed ' "$dir/yes" | sed 's/^destroyed //' | sort)" \
	"$(grep '^would destroy ' "$dir/dry" | sed 's/^would destroy //' | sort)"
check "--yes: counts" grep -qx "3 destroyed, 0 refused, 0 gone" "$dir/yes"
expect_eq "the kernel has none of them left" "$(est)" 0
wait_for 10 test -s "$dir/clients"
expect_eq "each client saw the reset" "$(cat "$dir/clients")" "reset reset reset"
expect_eq "the listener survived" "$(ip netns exec "$ns" ss -tlnH 'sport = :7100' | wc -l)" 1

# Unprivileged: sock_diag dumps, but destroying needs CAP_NET_ADMIN.
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
cs = [socket.create_connection(("127.0.0.1", 7100)) for i in range(2)]
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$dir/ready2"
wait_for 10 test -s "$dir/ready2" || { not_ok "second connections"; exit 1; }
if command -v setpriv >/dev/null; then
	ip netns exec "$ns" setpriv --reuid=65534 --regid=65534 --clear-groups "$TD_BIN" kill --yes \
		state established dport = :7100 > "$dir/eperm" 2> "$dir/eperm.err"
	expect_eq "unprivileged: exit 77" "$?" 77
	expect_eq "unprivileged: each refusal named" "$(grep -c '^not destroyed ESTAB .*not permitted' "$dir/eperm")" 2
	check "unprivileged: one line on stderr" test "$(wc -l < "$dir/eperm.err")" -eq 1
else
	skip "needs setpriv (util-linux)"; skip "needs setpriv"; skip "needs setpriv"
fi

# The listener, asked for by name; through -A.
"$TD_BIN" -A --netns-filter "$ns" kill --yes state listening sport = :7100 > "$dir/lis"
expect_eq "-A kill exits 0" "$?" 0
check "-A: under the namespace's header" grep -q "^# netns $ns " "$dir/lis"
check "-A: the listener destroyed" grep -q "^destroyed LISTEN  *127.0.0.1:7100 " "$dir/lis"
expect_eq "no listener left" "$(ip netns exec "$ns" ss -tlnH 'sport = :7100' | wc -l)" 0

# check's remedy for SYN_SENT into a black hole: the exact command.
mkns kr >/dev/null || { not_ok "create the router namespace"; exit 1; }
rns=td-$$-kr
ip link add tdk0 netns "$ns" type veth peer name tdk1 netns "$rns" || { not_ok "veth pair"; exit 1; }
ip -n "$ns" addr add 198.18.19.1/24 dev tdk0 && ip -n "$ns" link set tdk0 up &&
ip -n "$rns" addr add 198.18.19.2/24 dev tdk1 && ip -n "$rns" link set tdk1 up &&
ip -n "$ns" route add 198.18.20.0/24 via 198.18.19.2 || { not_ok "addresses and the route"; exit 1; }
ip netns exec "$rns" sysctl -qw net.ipv4.ip_forward=0
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_retries=6 || { not_ok "tcp_syn_retries"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import errno, socket, sys, time, select
cs = []
for i in range(12):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("198.18.20.10", 80))
    except BlockingIOError: pass
    cs.append(c)
open(sys.argv[1], "w").write("sent")
t0 = time.time()
_, w, _ = select.select([], cs, [], 60)
time.sleep(0.5)
_, w, _ = select.select([], cs, [], 0)
errs = sorted(errno.errorcode.get(c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR), "0") for c in w)
open(sys.argv[2], "w").write("%d %s %.0f\n" % (len(w), ",".join(sorted(set(errs))), time.time() - t0))
time.sleep(600)' "$dir/sent" "$dir/connects"
wait_for 10 test -s "$dir/sent" || { not_ok "connects started"; exit 1; }
# The analyzer counts attempts whose SYN was retransmitted twice (at 1 s and 3 s).
wait_for 15 sh -c "[ \$(ip netns exec $ns ss -tnoH state syn-sent | grep -Ec 'timer:\(on,[^,]*,([2-9])\)') -eq 12 ]" \
	|| { not_ok "12 SYN_SENT retransmitting"; exit 1; }
td check -j --only connects > "$dir/c.json"
cmd=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
for f in d["findings"]:
    if f["id"] == "connects.syn_sent":
        for r in f["recommendations"]:
            if r["key"] == "kill": print(r["kind"], r["suggested"])' "$dir/c.json")
[ -n "$cmd" ] || diag "$(grep -o '"id": "[a-z_.]*"' "$dir/c.json" | tr '\n' ' ') $(grep -A3 '"error"' "$dir/c.json" | head -5)"
expect_eq "check names the kill command" "$cmd" "kernel tcpdoctor -N $ns kill --yes state syn-sent dst 198.18.20.10:80"
# shellcheck disable=SC2086
set -- ${cmd#kernel }
"$TD_BIN" "${@:2}" > "$dir/k2"
expect_eq "the command as printed exits 0" "$?" 0
check "it destroyed the twelve" grep -qx "12 destroyed, 0 refused, 0 gone" "$dir/k2"
wait_for 10 test -s "$dir/connects"
read -r n errs secs < "$dir/connects"
expect_eq "the twelve connects ended with ECONNABORTED" "$n $errs" "12 ECONNABORTED"
check "at once, not after the kernel's timeout ($secs s)" test "$secs" -lt 20
