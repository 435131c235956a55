#!/bin/bash
# SPDX-License-Identifier: MIT
# Owners from one /proc scan and one dump (procs_collect): in a namespace
# whose sockets bench/populate hands to 12 processes (with /dev/null
# descriptors beside them), ls -p names the same holders as ss -tanp,
# socket by socket; check and ls -p send one sock_diag request fewer than
# with the inode dump before the scan (check: one request in all, the
# one-pass dump; ls -p: one per family).
. "$(dirname "$0")/../lib.sh"
require_root
command -v strace > /dev/null || { not_ok "strace(1) installed (scripts/deps.sh test)"; exit 1; }
pop="$TD_BUILD/bench/populate"
[ -x "$pop" ] || { not_ok "bench/populate built"; exit 1; }
d=$(tmpdir)
mkfifo "$d/in"
bg sh -c 'exec "$@" <> "$0"' "$d/in" "$pop" -P 12 -D 1200 3000 > "$d/ready" 2> "$d/err"
pid=${_td_pids[-1]}
wait_for 60 grep -q '^ready ' "$d/ready" || { not_ok "populate got ready"; sed 's/^/# /' "$d/err"; exit 1; }
nsx() { nsenter --net="/proc/$pid/ns/net" "$@"; }

# Queues, local, peer, holders (ss leaves the State column out when one
# state is asked for; ls always prints it).
for st in established close-wait fin-wait-2 syn-sent listening; do
# Sockets nobody holds (the full queue's, never accepted): ss prints no
# process column, ls prints "-"; only the held ones are compared.
	nsx ss -tanpH state "$st" | awk '/users:\(\(/ { $1 = $1; print }' | sort > "$d/ss-$st"
	nsx "$TD_BIN" ls -p -H state "$st" |
	    awk '/users:\(\(/ { s = $2; for (i = 3; i <= NF; i++) s = s " " $i; print s }' | sort > "$d/td-$st"
	n=$(wc -l < "$d/ss-$st")
	check "ss -tanp lists held $st sockets ($n)" [ "$n" -gt 0 ]
	if cmp -s "$d/ss-$st" "$d/td-$st"; then
		ok "ls -p names the holders ss -tanp names: $st"
	else
		not_ok "ls -p names the holders ss -tanp names: $st"
		diff "$d/ss-$st" "$d/td-$st" | head -5 | sed 's/^/# /'
	fi
done
pids=$(nsx "$TD_BIN" ls -p -H | grep -o 'pid=[0-9]*' | sort -u | wc -l)
check "held by many processes ($pids)" [ "$pids" -ge 12 ]

# One request each: strace counts the netlink sends.
nsx strace -f -qq -e trace=sendto,sendmsg -o "$d/st-check" "$TD_BIN" check > /dev/null 2>&1
rc=$?
check "check ran (exit $rc)" [ "$rc" -le 2 ]
expect_eq "check: one sock_diag request (the one-pass dump, owners from one scan)" \
	"$(grep -c 'AF_NETLINK' "$d/st-check")" 1
nsx strace -f -qq -e trace=sendto,sendmsg -o "$d/st-ls" "$TD_BIN" ls -p > /dev/null 2>&1
expect_eq "ls -p: one request per family" "$(grep -c 'AF_NETLINK' "$d/st-ls")" 2
# One scan of /proc: no more readlinks than ss -tanp makes in its one scan.
nsx strace -f -qq -e trace=readlinkat,readlink -o "$d/st-rl" "$TD_BIN" check > /dev/null 2>&1
nsx strace -f -qq -e trace=readlinkat,readlink -o "$d/st-ss" ss -tanp > /dev/null 2>&1
# A call another thread interrupts is two lines ("<unfinished ...>", then
# "<... readlinkat resumed>"): the scan's threads count once a call.
rl=$(grep -v 'resumed>' "$d/st-rl" | grep -c 'readlink')
ssrl=$(grep -v 'resumed>' "$d/st-ss" | grep -c 'readlink')
check "check: one readlink per descriptor, once ($rl; ss -tanp $ssrl)" \
	[ "$rl" -gt 1000 -a "$rl" -le $((ssrl + ssrl / 10 + 100)) ]
kill "$pid"
wait "$pid"
expect_eq "populate ends on SIGTERM with 0" "$?" 0
