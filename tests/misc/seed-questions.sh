#!/bin/bash
# SPDX-License-Identifier: MIT
# Walks tests/misc/seed-questions.txt: every question of the seed article,
# each answered by an `explain` or `sim` command.  Each command runs on the
# recorded Linux 6.18 fixture (--proc-root), must exit 0, and its output
# must hold every expected fact; where the article is wrong the facts are
# the Linux behaviour.  A block without a run, or a run without an expected
# fact, is itself a failure: the list cannot pass by being vague.
. "$(dirname "$0")/../lib.sh"
list=$TD_SRCDIR/tests/misc/seed-questions.txt
fix=$TD_SRCDIR/tests/fixtures/proc/linux-6.18
t=$(tmpdir)
q="" run="" nq=0 nrun=0 nexp=0 out="" status=0

# finish_run: a run must have had at least one expected fact.
finish_run() {
	[ -n "$run" ] && [ "$nexp" -eq 0 ] && not_ok "$q: '$run' checks no fact"
	nexp=0
}
finish_q() {
	finish_run
	[ -n "$q" ] && [ "$nrun" -eq 0 ] && not_ok "$q: no command answers it"
	nrun=0 run=""
}

while IFS= read -r line || [ -n "$line" ]; do
	case "$line" in
	"Q: "*)
		finish_q
		q=${line#Q: } nq=$((nq + 1)) ;;
	"run: "*)
		finish_run
		run=${line#run: } nrun=$((nrun + 1))
		# shellcheck disable=SC2086
		"$TD_BIN" --proc-root "$fix" $run > "$t/out" 2> "$t/err"; status=$?
		out=$(cat "$t/out")
		if [ "$status" -ne 0 ]; then
			not_ok "$q: tcpdoctor $run exits 0"; diag "exit $status: $(head -3 "$t/err")"
		fi ;;
	"expect: "*)
		nexp=$((nexp + 1))
		want=${line#expect: }
		if [ -z "$run" ]; then not_ok "$q: expect before any run: $want"
		elif grep -qF -- "$want" <<<"$out"; then ok "$q [$run]: $want"
		else not_ok "$q [$run]: $want"; diag "not in the output of: tcpdoctor $run"; fi ;;
	"zh: "* | "wrong: "* | "#"* | "") ;;
	*) not_ok "seed-questions.txt: line not understood: $line" ;;
	esac
done < "$list"
finish_q
# The article asks 40-odd questions (some twice); the list must not shrink.
if [ "$nq" -ge 38 ]; then ok "the list holds $nq questions"; else not_ok "the list holds only $nq questions"; fi
