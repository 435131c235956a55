#!/bin/bash
# SPDX-License-Identifier: MIT
# Every fuzz target replays its seed corpus and the recorded fixtures of
# its input kind (tests/fuzz/seeds.sh): the parsers of untrusted input
# must survive each saved input (under ASan/UBSan in the SAN build).
. "$(dirname "$0")/../lib.sh"
n=0
# The targets are the sources: a binary left in the build directory by a
# target since removed (fuzz_trace_line) is not one.
for src in "$TD_SRCDIR"/tests/fuzz/fuzz_*.c; do
	name=${src##*/fuzz_}; name=${name%.c}
	f=$TD_BUILD/tests/fuzz/fuzz_$name
	[ -x "$f" ] || { not_ok "fuzz target $name built"; continue; }
	n=$((n + 1))
	# shellcheck disable=SC2046
	if out=$("$f" $("$TD_SRCDIR/tests/fuzz/seeds.sh" "$name") 2>&1); then
		ok "fuzz corpus $name: $(echo "$out" | sed -n 's/^ok [0-9]* - //p' | sed 's|.*/||' | tr '\n' ' ')"
	else
		not_ok "fuzz corpus $name"
		echo "$out" | tail -20 | sed 's/^/# /'
	fi
done
[ $n -gt 0 ] || not_ok "no fuzz target built"
