#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The sock_diag collector against ss on the same namespace: a namespace with
# LISTEN (v4, dual-stack v6, v6only), ESTABLISHED pairs with queued data,
# an accept-queue child, CLOSE_WAIT, FIN_WAIT2, TIME_WAIT and request
# sockets (SYN_RECV, from spoofed SYNs whose SYN-ACKs go nowhere).  The
# helper `collect` (collectors/source.c through libtd) must print exactly
# what `ss -tanH -e` prints: state, Recv-Q, Send-Q, local, peer, inode.
. "$(dirname "$0")/../lib.sh"
require_root
command -v ss >/dev/null || skip_all "needs ss(8) from iproute2"
[ -x "$PY" ] || skip_all "needs $PY"

COLLECT=$TD_HELPERS/collect
RAWSYN=$TD_HELPERS/rawsyn
ns=$(mkns collect) || skip_all "cannot create a network namespace"
nsx() { ip netns exec "$ns" "$@"; }

# A route for the spoofed sources that leads nowhere: replies to
# 198.19.0.0/16 and 2001:db8:2::/64 leave through v0 to a neighbour that
# does not exist.
nsx ip link add v0 type veth peer name v1 &&
nsx ip addr add 198.18.0.1/24 dev v0 &&
nsx ip addr add 2001:db8:1::1/64 dev v0 nodad &&
nsx ip link set v0 up && nsx ip link set v1 up &&
nsx ip neigh add 198.18.0.2 lladdr 02:00:00:00:00:02 dev v0 nud permanent &&
nsx ip route add 198.19.0.0/16 via 198.18.0.2 dev v0 &&
nsx ip -6 neigh add 2001:db8:1::2 lladdr 02:00:00:00:00:02 dev v0 nud permanent &&
nsx ip -6 route add 2001:db8:2::/64 via 2001:db8:1::2 dev v0 || { not_ok "namespace set-up"; exit 1; }

out=$(tmpdir)
bg nsx "$PY" "$TD_SRCDIR/tests/helpers/populate.py" --tw 3 --orphan --syn-addr 198.18.0.1 \
    --syn6-addr 2001:db8:1::1 > "$out/pop"
wait_for 10 grep -q ready "$out/pop" || { not_ok "populate.py did not get ready"; exit 1; }
nsx "$RAWSYN" 198.18.0.1 9090 5 || { not_ok "rawsyn"; exit 1; }
nsx "$RAWSYN" 2001:db8:1::1 9091 3 || { not_ok "rawsyn IPv6"; exit 1; }
wait_for 5 sh -c "ip netns exec $ns ss -tanH state syn-recv | grep -c . | grep -qx 8" ||
	diag "request sockets did not all appear"

# ss line -> "STATE RQ WQ LOCAL PEER INODE"
ss_lines() {
	nsx ss -tanH -e "$@" 2>/dev/null |
	    awk '{ ino = "?"; for (i = 6; i <= NF; i++) if ($i ~ /^ino:/) ino = substr($i, 5);
		   print $1, $2, $3, $4, $5, ino }' | sort
}

got=$(nsx "$COLLECT" | sort)
want=$(ss_lines)
expect_eq "collect agrees with ss -tan -e socket for socket" "$got" "$want"

count() { echo "$got" | awk -v s="$1" '$1 == s' | wc -l; }
expect_eq "LISTEN sockets" "$(count LISTEN)" 6
expect_eq "request sockets (SYN-RECV, 5 IPv4 and 3 IPv6)" "$(count SYN-RECV)" 8
expect_eq "TIME-WAIT sockets" "$(count TIME-WAIT)" 3
expect_eq "CLOSE-WAIT sockets" "$(count CLOSE-WAIT)" 2
expect_eq "FIN-WAIT-2 sockets (one full, one orphaned mini-socket)" "$(count FIN-WAIT-2)" 2
check "an ESTAB socket with both queues non-empty" \
	sh -c "echo \"\$1\" | awk '\$1 == \"ESTAB\" && \$2 > 0 { r = 1 } \$1 == \"ESTAB\" && \$3 > 0 { w = 1 } END { exit !(r && w) }'" _ "$got"
check "the dual-stack listener prints as *:8081 like ss" \
	sh -c "echo \"\$1\" | grep -q '^LISTEN 0 8 \\*:8081 \\*:\\* '" _ "$got"
check "listener 127.0.0.1:8080 shows backlog 4 as Send-Q" \
	sh -c "echo \"\$1\" | grep -q '^LISTEN [0-9]* 4 127.0.0.1:8080 '" _ "$got"

# Family filter: one dump per family.
expect_eq "-4 gives exactly the IPv4 sockets" "$(nsx "$COLLECT" -4 | sort)" "$(ss_lines -4)"
expect_eq "-6 gives exactly the IPv6 sockets" "$(nsx "$COLLECT" -6 | sort)" "$(ss_lines -6)"

# Kernel-side state filter gives the same sockets as filtering the full dump.
for st in SYN-RECV TIME-WAIT FIN-WAIT-2 LISTEN CLOSE-WAIT ESTAB; do
	expect_eq "kernel state filter $st" "$(nsx "$COLLECT" "$st" | sort)" \
	    "$(echo "$got" | awk -v s="$st" '$1 == s')"
done
expect_eq "NEW_SYN_RECV selects the request sockets too" \
	"$(nsx "$COLLECT" NEW_SYN_RECV | sort)" "$(echo "$got" | awk '$1 == "SYN-RECV"')"

# Details with -i: kinds, timers and tcp_info presence.
info=$(nsx "$COLLECT" -i)
check "request sockets are kind=1 with timer on and inode 0" \
	sh -c "echo \"\$1\" | awk '\$1 == \"SYN-RECV\" { n++; if (\$7 != \"kind=1\" || \$8 !~ /^timer=on,/ || \$6 != 0) bad = 1 } END { exit !(n == 8 && !bad) }'" _ "$info"
check "TIME-WAIT sockets are kind=2 with the timewait timer" \
	sh -c "echo \"\$1\" | awk '\$1 == \"TIME-WAIT\" { n++; if (\$7 != \"kind=2\" || \$8 !~ /^timer=timewait,/) bad = 1 } END { exit !(n == 3 && !bad) }'" _ "$info"
# The kernel filters timewait mini-sockets by their substate (like ss).
check "the orphaned FIN-WAIT-2 is a kind=2 timewait socket with inode 0" \
	sh -c "echo \"\$1\" | awk '\$1 == \"FIN-WAIT-2\" && \$5 == \"127.0.0.1:8083\" { n++; if (\$7 != \"kind=2\" || \$8 !~ /^timer=timewait,/ || \$6 != 0) bad = 1 } END { exit !(n == 1 && !bad) }'" _ "$info"
check "full sockets carry tcp_info, skmeminfo and a congestion algorithm" \
	sh -c "echo \"\$1\" | awk '\$7 == \"kind=0\" { n++; if (\$11 == \"tcpi=0\" || \$12 != \"skmem=1\" || \$13 == \"cong=\") bad = 1 } END { exit !(n > 0 && !bad) }'" _ "$info"
# Cookies as ss prints them (sk:HEX).
expect_eq "cookies agree with ss's sk:" \
	"$(echo "$info" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^cookie=/) print $4, $5, substr($i, 8) }' | sort)" \
	"$(nsx ss -tanH -e 2>/dev/null | awk '{ for (i = 6; i <= NF; i++) if ($i ~ /^sk:/) print $4, $5, substr($i, 4) }' | sort)"

# Owners (-p): the process found through /proc/PID/fd is the one ss -p names.
expect_eq "owners agree with ss -p" \
	"$(nsx "$COLLECT" -p | awk '$6 != 0 { for (i = 7; i <= NF; i++) if ($i ~ /^pid=/) print $4, $5, substr($i, 5) }' | sort)" \
	"$(nsx ss -tanHpe 2>/dev/null | awk '{ p = "-"; if (match($0, /pid=[0-9]+/)) p = substr($0, RSTART + 4, RLENGTH - 4); if (match($0, / ino:[0-9]+/) && substr($0, RSTART + 5, RLENGTH - 5) != "0") print $4, $5, p }' | sort)"
check "inode-0 sockets (accept queue, TIME-WAIT, requests) get no owner" \
	sh -c "ip netns exec $ns $COLLECT -p | awk '\$6 == 0 && \$7 != \"pid=-\" { bad = 1 } END { exit bad }'"
check "the python owner is named" \
	sh -c "ip netns exec $ns $COLLECT -p | grep -q 'LISTEN 0 4 127.0.0.1:8080 0.0.0.0:\* [0-9]* pid=[0-9]* comm=python3'"

# Without root, other users' processes cannot be read: no owners, and the
# walk says how many processes it could not look at.
if command -v setpriv >/dev/null; then
	nsx setpriv --reuid=65534 --regid=65534 --clear-groups "$COLLECT" -p \
	    > "$out/nobody" 2> "$out/nobody.err"
	check "as nobody the walk still lists every socket" \
	    test "$(awk '{ print $1, $2, $3, $4, $5, $6 }' "$out/nobody" | sort)" = "$got"
	check "as nobody no owner is named" sh -c "! grep -q ' pid=[0-9]' '$out/nobody'"
	check "as nobody the hidden processes are counted" \
	    grep -Eq '^collect: [1-9][0-9]* processes hidden$' "$out/nobody.err"
else
	skip "setpriv(1) missing"
fi

# Snapshot file round trip on the same namespace: live -> save -> load ->
# save keeps every socket field; the second and third saves are identical.
SNAPCOPY=$TD_HELPERS/snapcopy
nsx "$SNAPCOPY" -i "$out/a.json" || not_ok "snapcopy live"
"$SNAPCOPY" -f "$out/a.json" "$out/b.json" || not_ok "snapcopy load a"
"$SNAPCOPY" -f "$out/b.json" "$out/c.json" || not_ok "snapcopy load b"
check "saved sockets survive a load and save unchanged" "$PY" -c '
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
assert a["sockets"] == b["sockets"], "sockets differ"
assert a["counters"] == b["counters"] and a["sysctls"] == b["sysctls"]
assert a["meta"]["source"] == "live" and b["meta"]["source"] == "file"
assert any("tcp_info" in s for s in a["sockets"])
' "$out/a.json" "$out/b.json"
check "a loaded snapshot saves byte for byte the same" cmp -s "$out/b.json" "$out/c.json"
expect_eq "the file holds the sockets collect saw" \
	"$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sockets"]))' "$out/a.json")" \
	"$(echo "$got" | wc -l)"
expect_eq "state and family filters on a file act like the kernel's" \
	"$("$SNAPCOPY" -f "$out/a.json" -4 - SYN-RECV TIME-WAIT | "$PY" -c 'import json,sys; print(sorted((s["state"], s["sport"], s["dport"]) for s in json.load(sys.stdin)["sockets"]))')" \
	"$(nsx "$SNAPCOPY" -4 - SYN-RECV TIME-WAIT | "$PY" -c 'import json,sys; print(sorted((s["state"], s["sport"], s["dport"]) for s in json.load(sys.stdin)["sockets"]))')"
