#!/bin/bash
# SPDX-License-Identifier: MIT
# Hostile snapshot headers are refused fast, in bounded memory, with one
# line naming what is wrong: 2M top-level members (once 254 MB and 9 s for
# every command), a header over 1 MiB, a member given twice (at the top,
# inside the header, inside a socket: jansson once kept the last silently),
# and an ip_local_port_range the kernel would refuse (once a signed
# overflow in the usable-port count).  Peak RSS from /usr/bin/time -v.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/time ] || skip_all "needs /usr/bin/time (package time)"
t=$(tmpdir)
# Under AddressSanitizer (make check SAN=...) freed memory sits in a
# quarantine of up to 256 MB; without it the peak RSS measures our memory.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
gen() { "$PY" "$TD_SRCDIR/tests/helpers/synthsnap.py" "$@" || { not_ok "synthsnap $*"; exit 1; }; }
now_ms() { date +%s%3N; }
rss_kb() { awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$1"; }

# refused WHAT FILE STATUS MESSAGE-PART [COMMAND...]
refused() {
	local what=$1 file=$2 want=$3 msg=$4 st; shift 4
	"$TD_BIN" --from "$file" "${@:-ls}" > "$t/out" 2> "$t/err"
	st=$?
	expect_eq "$what: exit $want" "$st" "$want"
	check "$what: one line naming it ($(head -c 160 "$t/err"))" \
		test "$(wc -l < "$t/err")" -eq 1 -a -n "$(grep -F -- "$msg" "$t/err")"
	if [ "${1:-ls}" = check ]; then
		# check reports UNKNOWN on stdout too, in one line (tcpdoctor(8), check).
		check "$what: one UNKNOWN line on stdout" \
			test "$(wc -l < "$t/out")" -eq 1 -a -n "$(grep '^UNKNOWN: ' "$t/out")"
	else
		check "$what: nothing on stdout" test ! -s "$t/out"
	fi
}

gen header-keys 2000000 "$t/keys.json"
start=$(now_ms)
/usr/bin/time -v -o "$t/time" "$TD_BIN" --from "$t/keys.json" ls > /dev/null 2> "$t/err"
st=$?
ms=$(( $(now_ms) - start ))
rss=$(rss_kb "$t/time")
diag "2M header members: exit $st after $ms ms, peak RSS $rss KB"
expect_eq "2M header members: exit 65" "$st" 65
check "2M header members: refused within 2 s ($ms ms)" test "$ms" -lt 2000
# What the refusal adds over reading a small snapshot is bounded in every
# build; the whole peak (16 MB) in a plain one, not under AddressSanitizer,
# whose shadow memory and instrumented code alone come near it.
/usr/bin/time -v -o "$t/time0" "$TD_BIN" --from "$TD_SRCDIR/tests/fixtures/snapshots/mixed.json" ls > /dev/null 2>&1
base=$(rss_kb "$t/time0")
check "2M header members: adds under 8 MB to reading a small snapshot ($rss - $base KB)" test $((rss - base)) -lt 8000
case $TD_BUILD in
*-san) ;;
*) check "2M header members: peak RSS $rss KB under 16 MB (was 254 MB)" test "$rss" -lt 16000 ;;
esac
check "2M header members: the message says why" \
	grep -qF "line 258, column 2: more than 256 members in the top-level object" "$t/err"
for cmd in summary check snapshot; do
	"$TD_BIN" --from "$t/keys.json" $cmd > /dev/null 2>&1
	st=$?
	want=65; [ $cmd = check ] && want=3
	expect_eq "2M header members: $cmd refuses it too ($want)" "$st" $want
done

gen big-header 600000 "$t/big.json"
refused "a header over 1 MiB" "$t/big.json" 65 "the header is larger than 1048576 bytes"
gen dup-member 0 "$t/dup.json"
refused "a top-level member twice" "$t/dup.json" 65 "line 99, column 2: duplicate member \"host\""
gen dup-nested 0 "$t/dupn.json"
refused "a member twice inside counters" "$t/dupn.json" 65 "duplicate member \"tw\""
gen dup-socket 0 "$t/dups.json"
refused "a member twice inside a socket" "$t/dups.json" 65 "duplicate member \"sport\"" ls -H
# A second "sockets" array.
gen port-range 1,65535 "$t/ok.json"
sed '$d' "$t/ok.json" | sed '$d' > "$t/dupsock.json"
printf ' ],\n "sockets": []\n}\n' >> "$t/dupsock.json"
refused "\"sockets\" twice" "$t/dupsock.json" 65 "duplicate member \"sockets\""

gen port-range -9223372036854775808,9223372036854775807 "$t/pr.json"
refused "ip_local_port_range [INT64_MIN, INT64_MAX]" "$t/pr.json" 3 \
	"is not a port range the kernel accepts (1 <= low <= high <= 65535)" check
gen port-range 0,10 "$t/pr.json"
refused "ip_local_port_range [0, 10]" "$t/pr.json" 65 "[0, 10]"
gen port-range 1,65535 "$t/pr.json"
"$TD_BIN" --from "$t/pr.json" check > /dev/null 2> "$t/err"
check "ip_local_port_range [1, 65535] is accepted" test ! -s "$t/err"
