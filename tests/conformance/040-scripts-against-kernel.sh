#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tcpdoctor sim -f FILE --against-kernel: one script played against this
# kernel (throwaway namespace, TUN) and through the model; every expectation
# judged on both sides.  The scripts under scripts/ are conformance
# scenarios written in the script language; each must pass on both.  Then a
# wrong expectation fails on both sides with FILE:LINE, and the scripts the
# kernel cannot play are refused with a line and exit 65.
. "$(dirname "$0")/../lib.sh"

require_kernel_lab
T=$(tmpdir)
D=$TD_SRCDIR/tests/conformance/scripts

for f in "$D"/*.sim "$TD_SRCDIR/tests/fixtures/scripts/synack-options.sim"; do
	n=$(basename "$f")
	out=$("$TD_BIN" sim -f "$f" --against-kernel 2>"$T/err"); st=$?
	expect_eq "$n exits 0 (every expectation met on the kernel and the model)" "$st" 0
	nexp=$(grep -c '^expect ' "$f")
	check "$n: all $nexp met on both" grep -q "^expectations: kernel $nexp met, 0 failed; model $nexp met, 0 failed$" <<<"$out"
	[ "$st" = 0 ] || diag "$(grep -E 'kernel:|model:' <<<"$out" | head -5)"
done

# The conformance scenarios written as scripts (lab/scenarios.c): by name,
# each line judged on both sides.
for n in close-unread close-linger0 rst-established; do
	out=$("$TD_BIN" sim --against-kernel "$n" 2>"$T/err"); st=$?
	expect_eq "scenario $n exits 0" "$st" 0
	check "$n: every line met on both" grep -qE "^expectations: kernel ([0-9]+) met, 0 failed; model \1 met, 0 failed$" <<<"$out"
	check "$n: lines named by the scenario" grep -q "^$n:[0-9]*: met on both$" <<<"$out"
done

# A wrong expectation (the FIN acknowledges 102, not 103) fails on both
# sides, each named with FILE:LINE and what came.
sed 's/^expect 0.6 server sends F. seq 1 ack 102 len 0$/expect 0.6 server sends F. seq 1 ack 103 len 0/' \
	"$D/peer-close-delack.sim" >"$T/wrong.sim"
line=$(grep -n 'F. seq 1 ack 103' "$T/wrong.sim" | cut -d: -f1)
nexp=$(grep -c '^expect ' "$T/wrong.sim")
out=$("$TD_BIN" sim -f "$T/wrong.sim" --against-kernel 2>"$T/err"); st=$?
expect_eq "a wrong expectation exits 1" "$st" 1
check "the kernel side names FILE:LINE and what came" grep -q "^$T/wrong.sim:$line: kernel: expected server sends F. seq 1 ack 103 len 0 at 0.6000 s (.*); got F. seq 1 ack 102 len 0 win [0-9]* at 0.6[0-9]* s (the nearest)$" <<<"$out"
check "the model side too" grep -q "^$T/wrong.sim:$line: model: expected server sends F. seq 1 ack 103 len 0 at 0.6000 s; got F. seq 1 ack 102 len 0 win [0-9]* at 0.6000 s (the nearest)$" <<<"$out"
check "the count says one failed on each" grep -q "^expectations: kernel $((nexp - 1)) met, 1 failed; model $((nexp - 1)) met, 1 failed$" <<<"$out"
check "a warning on stderr" grep -q "1 of $nexp expectations failed on the kernel, 1 on the model" "$T/err"

# A sysctl the script sets reaches the namespace, and the model reads it back:
# tcp_synack_retries=1 leaves one SYN-ACK retransmission, on both sides.
cat >"$T/retries.sim" <<'S'
host server 198.18.0.2
set tcp_synack_retries=1
at 0 server listen 20000 as L
at 0 inject 198.18.0.9:20001>server:20000 S seq 1000 mss 1460
expect 0.01 server sends S. seq 0 ack 1
expect 1.01 server sends S. seq 0 ack 1
expect nothing until 4
S
out=$("$TD_BIN" sim -f "$T/retries.sim" --against-kernel 2>"$T/err"); st=$?
expect_eq "set tcp_synack_retries=1: exits 0" "$st" 0
check "both sides stop after one retransmission" grep -q "^expectations: kernel 3 met, 0 failed; model 3 met, 0 failed$" <<<"$out"

# What the kernel cannot play: exit 65, one line naming the script.
bad() {	# name, status, message pattern, script text
	printf '%s\n' "$4" >"$T/bad.sim"
	"$TD_BIN" sim -f "$T/bad.sim" --against-kernel >/dev/null 2>"$T/err"; st=$?
	expect_eq "$1 exits $2" "$st" "$2"
	check "$1: says why" grep -q -- "$3" "$T/err"
}
bad "two hosts" 65 "bad.sim: against the kernel a script declares one host" \
	"host a 198.18.0.1
host b 198.18.0.2"
bad "a fault rule" 65 "bad.sim: fault rules ('fault drop \*>a') are not played against the kernel" \
	"host a 198.18.0.1
fault drop *>a
at 0 inject 198.18.0.9:1>a:80 S"
bad "a flood" 65 "bad.sim:3: 'flood' is not played against the kernel" \
	"host a 198.18.0.1
at 0 a listen 80 as L
at 0 flood a:80 10"
bad "connect without from" 65 "bad.sim:2: against the kernel, connect needs 'from PORT'" \
	"host a 198.18.0.1
at 0 a connect 198.18.0.9:80 as c"
bad "two peer addresses" 65 "bad.sim:3: against the kernel there is one peer address; 198.18.0.8 is a second" \
	"host a 198.18.0.1
at 0 inject 198.18.0.9:1>a:80 S
at 0 inject 198.18.0.8:1>a:80 S"
bad "a model-only knob" 65 "bad.sim: a's knob 'rfc5961' is not a sysctl" \
	"host a 198.18.0.1 rfc5961=0
at 0 inject 198.18.0.9:1>a:80 S"
bad "a bad line" 65 "bad.sim:2:4: bad time 'x'" \
	"host a 198.18.0.1
at x a listen 80"
"$TD_BIN" sim -j -f "$D/client-close.sim" --against-kernel >/dev/null 2>"$T/err"; st=$?
expect_eq "-j exits 64" "$st" 64
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TD_BIN" sim -f "$D/client-close.sim" --against-kernel 2>"$T/err"; st=$?
	expect_eq "without root it exits 77" "$st" 77
fi
