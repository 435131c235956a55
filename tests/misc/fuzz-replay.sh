#!/bin/bash
# SPDX-License-Identifier: MIT
# Every fuzz target replays its seed corpus and the recorded fixtures of
# its input kind (tests/fuzz/seeds.sh): the parsers of untrusted input
# must survive each saved input (under ASan/UBSan in the SAN build).
. "$(dirname "$0")/../lib.sh"
n=0
for f in "$TD_BUILD"/tests/fuzz/fuzz_*; do
	case "$f" in *.o|*.d) continue ;; esac
	[ -x "$f" ] || continue
	name=${f##*/fuzz_}
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
