#!/bin/bash
# SPDX-License-Identifier: MIT
# Every word of ss(8)'s STATE-FILTER selects the same sockets in
# `tcpdoctor ls` as in `ss -tan state WORD`, on a namespace with a mixed
# workload (LISTEN v4/v6, ESTABLISHED, SYN_SENT, TIME_WAIT, CLOSE_WAIT,
# FIN_WAIT2); and a filter quoted as one word, or in quoted pieces, lists
# what the unquoted form lists.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns words) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
bg ip netns exec "$ns" "$PY" "$TD_SRCDIR/tests/helpers/workload.py" mixed "$t/ready"
wait_for 20 test -s "$t/ready" || { not_ok "workload ready"; exit 1; }
cmp_py="$TD_SRCDIR/tests/helpers/sscompare.py"

# compare WHAT ONE SSARGS -- TDARGS: ss with SSARGS and tcpdoctor with
# TDARGS must list the same sockets.  ONE is the kernel name of the state
# when the filter selects exactly one (ss then drops its State column), or
# "-".  A socket can change state between the reads: up to 3 tries.
compare() {
	local what=$1 one=$2 i out ssargs=() tdargs=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do ssargs+=("$1"); shift; done
	shift
	tdargs=("$@")
	[ "$one" = - ] && one=""
	for i in 1 2 3; do
		ip netns exec "$ns" ss -tanHe "${ssargs[@]}" > "$t/ss" 2>"$t/sserr" ||
			{ not_ok "$what: ss failed: $(cat "$t/sserr")"; return; }
		"$TD_BIN" -N "$ns" ls -j "${tdargs[@]}" > "$t/td" 2>"$t/tderr" ||
			{ not_ok "$what: tcpdoctor failed: $(cat "$t/tderr")"; return; }
		out=$("$PY" "$cmp_py" "$t/ss" "$t/td" $one) &&
			{ ok "$what ($(echo "$out" | head -1 | tr -d '#'))"; return; }
		sleep 0.2
	done
	not_ok "$what"
	echo "$out" | sed 's/^/# /'
}

# word and the one state it selects ("-" for groups and empty selections
# that ss prints with a State column).
while read -r word one; do
	compare "state $word agrees with ss" "$one" state "$word" -- state "$word"
	compare "'state $word' quoted as one word agrees with ss" "$one" state "$word" -- "state $word"
	# ss reads an empty state set as "no state filter" and lists every
	# socket for "exclude all"; tcpdoctor lists none (checked below).
	[ "$word" = all ] ||
		compare "exclude $word agrees with ss" - exclude "$word" -- exclude "$word"
done <<'WORDS'
established ESTABLISHED
syn-sent SYN_SENT
syn-recv SYN_RECV
fin-wait-1 FIN_WAIT1
fin-wait-2 FIN_WAIT2
time-wait TIME_WAIT
closed CLOSE
close-wait CLOSE_WAIT
last-ack LAST_ACK
listening LISTEN
closing CLOSING
all -
connected -
synchronized -
bucket -
big -
WORDS

# The namespace really holds the states the words are told apart by.
for st in listening established syn-sent time-wait close-wait fin-wait-2; do
	n=$(ip netns exec "$ns" ss -tanH state "$st" | wc -l)
	check "the workload has $st sockets ($n)" test "$n" -gt 0
done

# Quoted filters: one word, quoted pieces mixed with bare words, glued
# parentheses, ss's & and | -- each lists what ss lists for the plain form.
compare "quoted 'dport = :7000 or sport = :7000'" - \
	dport = :7000 or sport = :7000 -- 'dport = :7000 or sport = :7000'
compare "mixed: state established '( dport = :7002' or 'sport = :7002 )'" ESTABLISHED \
	state established '(' dport = :7002 or sport = :7002 ')' -- \
	state established '( dport = :7002' or 'sport = :7002 )'
compare "glued: '(sport = :7003 or dport = :7003)'" - \
	'(' sport = :7003 or dport = :7003 ')' -- '(sport = :7003 or dport = :7003)'
compare "ss operators: 'src 127.0.0.1 & ! dport = :7000 | dst [::1]'" - \
	src 127.0.0.1 '&' '!' dport = :7000 '|' dst '[::1]' -- 'src 127.0.0.1 & ! dport = :7000 | dst [::1]'

n=$("$TD_BIN" -N "$ns" ls -H exclude all | wc -l)
expect_eq "exclude all lists no socket" "$n" 0

# A state word that is not one is refused with the list of words.
"$TD_BIN" -N "$ns" ls state listenin > /dev/null 2> "$t/err"
st=$?
expect_eq "an unknown state word exits 64" "$st" 64
check "the message names the word and lists 'listening'" \
	grep -q "unknown state 'listenin' (states: .*listening" "$t/err"
