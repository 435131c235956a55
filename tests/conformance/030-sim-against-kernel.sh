#!/bin/bash
# SPDX-License-Identifier: MIT
#
# tcpdoctor sim --against-kernel: a scenario against this kernel in a
# throwaway namespace and through the model, side by side; sysctls given
# with --set reach both; errors and exit statuses.
. "$(dirname "$0")/../lib.sh"

require_kernel_lab
T=$(tmpdir)

out=$("$TD_BIN" sim --against-kernel); st=$?
expect_eq "the list exits 0" "$st" 0
check "the list names synack-expiry and cites T1 of tcpdoctor-tcp(7)" grep -q '^  synack-expiry  *SYN-ACK retransmissions.*(tcpdoctor-tcp(7) OBSERVED SEQUENCES, T1)$' <<<"$out"

out=$("$TD_BIN" sim --against-kernel tw-rst); st=$?
expect_eq "tw-rst exits 0 when kernel and model agree" "$st" 0
check "tw-rst: the kernel does what T3 says" grep -q '^kernel: as the scenario expects (tcpdoctor-tcp(7) OBSERVED SEQUENCES, T3)' <<<"$out"
check "tw-rst: the model agrees" grep -q '^model:  agrees with the kernel' <<<"$out"
check "tw-rst: the ladder shows the listener's RST" grep -qE '>out R 2 - 0 -.*\|.*>out R 2 - 0 -' <<<"$out"
check "tw-rst: no row is marked" bash -c '! grep -q "^!" <<<"$1"' _ "$out"

out=$("$TD_BIN" -6 sim --against-kernel handshake-options); st=$?
expect_eq "-6 handshake-options exits 0" "$st" 0
check "-6 says IPv6" grep -q 'over TUN, IPv6' <<<"$out"

# One SYN-ACK retransmission instead of two: the kernel leaves the scenario's
# expectation, and the model, reading the same namespace, follows it.
out=$("$TD_BIN" sim --against-kernel --set tcp_synack_retries=1 synack-expiry); st=$?
expect_eq "--set tcp_synack_retries=1 exits 1 (the kernel differs from T1)" "$st" 1
check "the kernel misses the second retransmission" grep -q "^kernel: differs from the scenario's expectation (tcpdoctor-tcp(7) OBSERVED SEQUENCES, T1)" <<<"$out"
check "the model still agrees with the kernel" grep -q '^model:  agrees with the kernel' <<<"$out"

# The former model gap (a simultaneous open's SYN-ACK without our own
# options) is closed: the model now agrees with the kernel.
out=$("$TD_BIN" sim --against-kernel crossed-syns); st=$?
expect_eq "crossed-syns exits 0 (model gap closed)" "$st" 0
check "the model agrees on crossed-syns" grep -q '^model:  agrees with the kernel' <<<"$out"

# Errors: one line, a defined status.
"$TD_BIN" sim --against-kernel nosuch 2>"$T/err"; st=$?
expect_eq "unknown scenario exits 64" "$st" 64
check "unknown scenario names it" grep -q "unknown scenario 'nosuch' for --against-kernel" "$T/err"
"$TD_BIN" sim --against-kernel --set tcp_nosuch=1 handshake-options 2>"$T/err"; st=$?
expect_eq "unknown knob exits 64" "$st" 64
"$TD_BIN" sim --against-kernel --set tcp_fin_timeout=x handshake-options 2>"$T/err"; st=$?
expect_eq "a bad value exits 64" "$st" 64
"$TD_BIN" sim -j --against-kernel handshake-options 2>"$T/err"; st=$?
expect_eq "-j exits 64" "$st" 64
"$TD_BIN" sim --against-kernel -f /dev/null handshake-options 2>"$T/err"; st=$?
expect_eq "-f and a scenario name with --against-kernel exits 64" "$st" 64
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TD_BIN" sim --against-kernel handshake-options 2>"$T/err"; st=$?
	expect_eq "without root it exits 77" "$st" 77
	check "without root it says so" grep -q -- "--against-kernel needs root" "$T/err"
fi
left=$(for d in /sys/kernel/tracing/instances/tdk-*; do [ -d "$d" ] || continue; p=${d##*/tdk-}; p=${p%%-*}; kill -0 "$p" 2>/dev/null || echo "$d"; done | wc -l)
expect_eq "no tracefs instance left behind" "$left" 0
