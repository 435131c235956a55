#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The sock_diag collector on a dump that spans many receive buffers:
# 3,000 established pairs (6,001 sockets) in a namespace.  `collect` must
# list exactly what `ss -tanH -e` lists, and resolve every owner (-p).
. "$(dirname "$0")/../lib.sh"
require_root
[ -x "$PY" ] || skip_all "needs $PY"

COLLECT=$TD_HELPERS/collect
ns=$(mkns scale) || skip_all "cannot create a network namespace"
nsx() { ip netns exec "$ns" "$@"; }
out=$(tmpdir)
bg nsx "$PY" "$TD_SRCDIR/tests/helpers/many.py" 3000 > "$out/ready"
wait_for 30 grep -q ready "$out/ready" || { not_ok "many.py did not get ready"; exit 1; }
pypid=$(awk '{ print $2 }' "$out/ready")

got=$(nsx "$COLLECT" | sort)
want=$(nsx ss -tanH -e 2>/dev/null |
    awk '{ ino = "?"; for (i = 6; i <= NF; i++) if ($i ~ /^ino:/) ino = substr($i, 5);
	   print $1, $2, $3, $4, $5, ino }' | sort)
expect_eq "6,001 sockets" "$(echo "$got" | wc -l)" 6001
check "collect agrees with ss socket for socket" test "$got" = "$want"
expect_eq "every owner resolved (-p)" \
	"$(nsx "$COLLECT" -p | grep -c " pid=$pypid comm=python3$")" 6001
expect_eq "with tcp_info (-i) the same sockets" \
	"$(nsx "$COLLECT" -i | awk '{ print $1, $2, $3, $4, $5, $6 }' | sort)" "$got"
