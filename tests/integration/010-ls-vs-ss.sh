#!/bin/bash
# SPDX-License-Identifier: MIT
# `tcpdoctor ls` against `ss` on a populated namespace: every socket, every
# state (LISTEN, ESTABLISHED incl. unaccepted children, SYN_SENT, TIME_WAIT,
# CLOSE_WAIT, FIN_WAIT2, IPv4 and IPv6) must agree exactly, also through
# filters; per-state counts from `summary` must equal ss's.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns ls) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
bg ip netns exec "$ns" "$PY" "$TD_SRCDIR/tests/helpers/workload.py" mixed "$t/ready"
wait_for 20 test -s "$t/ready" || { not_ok "workload ready"; exit 1; }
cmp_py="$TD_SRCDIR/tests/helpers/sscompare.py"

# compare WHAT [FILTER...]: ss and tcpdoctor on the same filter; a socket
# can change state between the two reads, so up to 3 tries.  ss spells
# LISTEN "listening" and drops the State column when one state is selected.
compare() {
	local what=$1 i out one=""; shift
	local ssargs=("${@/#listen/listening}")
	if [ "$1" = state ] && [ $# -eq 2 ] && [[ $2 != connected ]]; then
		one=$(echo "$2" | tr 'a-z-' 'A-Z_' | sed 's/FIN_WAIT_/FIN_WAIT/')
	fi
	for i in 1 2 3; do
		ip netns exec "$ns" ss -tanHe "${ssargs[@]}" > "$t/ss" 2>"$t/sserr" || { not_ok "$what: ss failed: $(cat "$t/sserr")"; return; }
		"$TD_BIN" -N "$ns" ls -j "$@" > "$t/td" || { not_ok "$what: ls exit status"; return; }
		out=$("$PY" "$cmp_py" "$t/ss" "$t/td" $one) && { ok "$what ($(echo "$out" | head -1 | tr -d '#'))"; return; }
		sleep 0.2
	done
	not_ok "$what"
	echo "$out" | sed 's/^/# /'
}

compare "ls -j agrees with ss -tan, all sockets"
n=$(wc -l < "$t/ss")
check "the namespace is populated ($n sockets)" test "$n" -ge 25
compare "filter: state time-wait" state time-wait
compare "filter: state established" state established
compare "filter: state syn-sent" state syn-sent
compare "filter: state close-wait state fin-wait-2" state close-wait state fin-wait-2
compare "filter: state connected" state connected
compare "filter: exclude listen" exclude listen
compare "filter: dport = :7000" dport = :7000
compare "filter: sport = :7002 or dport = :7002" '(' sport = :7002 or dport = :7002 ')'
compare "filter: src 127.0.0.1 and sport gt 7001" src 127.0.0.1 and sport gt :7001
compare "filter: dst [::1]" dst '[::1]'

# -6 / -4
for fam in 4 6; do
	ip netns exec "$ns" ss -tanHe -$fam > "$t/ss"
	"$TD_BIN" -N "$ns" -$fam ls -j > "$t/td"
	check "-$fam agrees with ss -$fam" "$PY" "$cmp_py" "$t/ss" "$t/td"
done

# per-state counts from summary
"$TD_BIN" -N "$ns" summary -j > "$t/sum" || not_ok "summary exit status"
for st in ESTABLISHED SYN_SENT TIME_WAIT CLOSE_WAIT FIN_WAIT2 LISTEN; do
	ssname=$(echo "$st" | tr 'A-Z_' 'a-z-' | sed 's/fin-wait2/fin-wait-2/; s/^listen$/listening/')
	want=$(ip netns exec "$ns" ss -tanH state "$ssname" | wc -l)
	got=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["states"][sys.argv[2]]["total"])' "$t/sum" "$st")
	expect_eq "summary count $st equals ss" "$got" "$want"
done
# the full accept queue shows in the listener view: 5 = backlog 4 + 1
got=$("$PY" -c 'import json,sys
for l in json.load(open(sys.argv[1]))["listeners"]:
    if l["port"] == 7000: print(l["accept_queue"], l["backlog"])' "$t/sum")
expect_eq "summary listener 7000 accept queue 5 of backlog 4" "$got" "5 4"

# ndjson: one socket per line, same count
lines=$("$TD_BIN" -N "$ns" ls --format ndjson | wc -l)
all=$(ip netns exec "$ns" ss -tanH | wc -l)
expect_eq "ndjson has one line per socket" "$lines" "$all"
# the table has a header plus one line per socket
lines=$("$TD_BIN" -N "$ns" ls | wc -l)
expect_eq "table has a header and one line per socket" "$lines" "$((all + 1))"

# -p names the owner of sockets with an inode
"$TD_BIN" -N "$ns" ls -p -j state close-wait > "$t/td"
got=$("$PY" -c 'import json,sys
print(sorted(set(s.get("owner",{}).get("comm","-") for s in json.load(open(sys.argv[1]))["sockets"])))' "$t/td")
expect_eq "ls -p names the process holding CLOSE_WAIT sockets" "$got" "['python3']"
