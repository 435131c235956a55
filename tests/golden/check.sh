#!/bin/bash
# SPDX-License-Identifier: MIT
# Golden tests for check and tune: each line of check.list runs tcpdoctor on
# a snapshot recorded from a real scenario, compares the exit status and
# stdout with check/NAME.out, and validates JSON output against the schema.
# TD_GOLDEN_UPDATE=1 rewrites the expected files: review the diff.
. "$(dirname "$0")/../lib.sh"
dir="$TD_SRCDIR/tests/golden"
t=$(tmpdir)
cd "$TD_SRCDIR" || exit 1
while read -r name fixture want_rc args; do
	case "$name" in ''|'#'*) continue ;; esac
	# shellcheck disable=SC2086
	set -f; "$TD_BIN" --from "tests/fixtures/snapshots/$fixture.json" $args > "$t/out" 2> "$t/err"; rc=$?; set +f
	want="$dir/check/$name.out"
	if [ "${TD_GOLDEN_UPDATE:-}" = 1 ]; then cp "$t/out" "$want"; fi
	if [ "$rc" != "$want_rc" ]; then
		not_ok "golden $name: exit $rc, want $want_rc: $(head -1 "$t/err")"
	elif diff -u "$want" "$t/out" > "$t/diff" 2>&1; then
		ok "golden $name"
	else
		not_ok "golden $name"; head -20 "$t/diff" | sed 's/^/# /'
	fi
	case "$name" in
	*json)	if out=$("$PY" tests/helpers/validate.py "$t/out" 2>&1); then ok "golden $name conforms to the schema"
		else not_ok "golden $name conforms to the schema"; diag "$out"; fi ;;
	*prometheus)
		if ! command -v promtool >/dev/null; then not_ok "promtool installed"
		elif promtool check metrics < "$t/out" > "$t/prom" 2>&1; then ok "golden $name passes promtool"
		else not_ok "golden $name passes promtool"; diag "$(head -3 "$t/prom")"; fi ;;
	esac
done < "$dir/check.list"
