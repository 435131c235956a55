#!/bin/bash
# SPDX-License-Identifier: MIT
# What users read cites what users have: no output of explain (every topic
# of its index) or sim (every scenario, and the --against-kernel list)
# names the project's private notes (KERNEL-FACTS, its Part A-E rows), and
# every section of tcpdoctor-tcp(7) an output cites exists in that page.
. "$(dirname "$0")/../lib.sh"
command -v mandoc >/dev/null || skip_all "needs mandoc"
fix=$TD_SRCDIR/tests/fixtures/proc/linux-6.18
t=$(tmpdir)
td() { "$TD_BIN" --proc-root "$fix" "$@"; }

: > "$t/all"
topics=$(td explain -j | python3 -c '
import json, sys
for names in json.load(sys.stdin)["topics"].values():
    print("\n".join(names))')
n=0
for topic in $topics; do
	td explain "$topic" >> "$t/all" 2>&1; n=$((n + 1))
done
for sc in $(td sim | awk 'NR > 1 { print $1 }'); do
	td sim "$sc" >> "$t/all" 2>&1; n=$((n + 1))
done
td sim --against-kernel >> "$t/all" 2>&1
diag "$n outputs read"
[ "$n" -gt 100 ] && ok "read the output of $n topics and scenarios" || not_ok "only $n topics and scenarios"

bad=$(grep -nE 'KERNEL-FACTS|KERNEL FACTS|Part [A-E]( |$)' "$t/all" | head -5)
if [ -z "$bad" ]; then ok "no output cites KERNEL-FACTS or its parts"
else not_ok "no output cites KERNEL-FACTS or its parts"; diag "$bad"; fi

# Section names of the page, as rendered, and the ones outputs cite.
MANWIDTH=200 mandoc -Tascii "$TD_SRCDIR/man/tcpdoctor-tcp.7" | col -b | grep -E '^[A-Z][A-Z0-9_ -]+$' > "$t/sections"
cited=$(grep -oE 'tcpdoctor-tcp\(7\),? [A-Z][A-Z0-9_-]*( [A-Z][A-Z0-9_-]*)*' "$t/all" |
	sed -E 's/^tcpdoctor-tcp\(7\),? //' | sort -u)
[ -n "$cited" ] && ok "outputs cite tcpdoctor-tcp(7) sections ($(wc -l <<<"$cited"))" || not_ok "no output cites tcpdoctor-tcp(7)"
while IFS= read -r sec; do
	[ -z "$sec" ] && continue
	if grep -qxF -- "$sec" "$t/sections"; then ok "cited section exists: $sec"
	else not_ok "cited section exists: $sec"; fi
done <<<"$cited"
