#!/bin/bash
# SPDX-License-Identifier: MIT
# Golden tests: each line of foundation.list runs tcpdoctor on a recorded
# snapshot and compares stdout with foundation/NAME.out (tcpdump's TESTLIST
# idea).  TD_GOLDEN_UPDATE=1 rewrites the expected files: review the diff.
. "$(dirname "$0")/../lib.sh"
dir="$TD_SRCDIR/tests/golden"
t=$(tmpdir)
while read -r name fixture args; do
	case "$name" in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086
	set -f; "$TD_BIN" --from "$TD_SRCDIR/tests/fixtures/snapshots/$fixture.json" $args > "$t/out" 2> "$t/err"; rc=$?; set +f
	want="$dir/foundation/$name.out"
	if [ "${TD_GOLDEN_UPDATE:-}" = 1 ]; then cp "$t/out" "$want"; fi
	if [ $rc -ne 0 ]; then
		not_ok "golden $name: exit $rc: $(head -1 "$t/err")"
	elif diff -u "$want" "$t/out" > "$t/diff" 2>&1; then
		ok "golden $name"
	else
		not_ok "golden $name"; head -20 "$t/diff" | sed 's/^/# /'
	fi
done < "$dir/foundation.list"
