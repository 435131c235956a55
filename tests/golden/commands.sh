#!/bin/bash
# SPDX-License-Identifier: MIT
# Golden outputs of every command, byte for byte: stdout, stderr and the exit
# status of each case go into tests/golden/commands/GROUP/CASE.out and must
# not change unless a commit means them to (the restructure of issue 10 is
# held to "every command's output is byte-identical before and after").
# Cases read recorded snapshots (--from) or run the deterministic model, so
# nothing depends on this host, except the head of a JSON document of a
# command that reads the running kernel (time, host, kernel, meta), whose
# values are masked before comparing; the field names and their order stay.
# TD_GOLDEN_UPDATE=1 rewrites the expected files: review the diff.
. "$(dirname "$0")/../lib.sh"
gold="$TD_SRCDIR/tests/golden/commands"
snaps="$TD_SRCDIR/tests/fixtures/snapshots"
t=$(tmpdir)
mix="$snaps/mixed.json"

mask() {
	sed -E -e 's/^(  "(time|host|kernel|netns)": ).*[^,](,?)$/\1"MASKED"\3/' \
	    -e 's/^(    "(time_ns|mono_ns|netns_ino)": )[0-9]+(,?)$/\10\3/' \
	    -e 's/^(    "boot_id": )"[^"]*"(,?)$/\1"MASKED"\2/' \
	    -e 's/^UNKNOWN: [^,]*, netns (.*), kernel [^:]*:/UNKNOWN: HOST, netns \1, kernel KERNEL:/'
}

# run GROUP NAME [--mask] ARGS...: one case.
run() {
	local group=$1 name=$2; shift 2
	local m=
	if [ "$1" = --mask ]; then m=1; shift; fi
	local out="$t/case"
	set +e
	( cd "$TD_SRCDIR" && "$TD_BIN" "$@" ) > "$t/stdout" 2> "$t/stderr"
	local rc=$?
	{
		if [ -n "$m" ]; then mask < "$t/stdout"; else cat "$t/stdout"; fi
		if [ -s "$t/stderr" ]; then echo "--- stderr"; cat "$t/stderr"; fi
		echo "--- exit $rc"
	} > "$out"
	local want="$gold/$group/$name.out"
	if [ "${TD_GOLDEN_UPDATE:-}" = 1 ]; then
		mkdir -p "$gold/$group"; cp "$out" "$want"
	fi
	if [ ! -f "$want" ]; then
		not_ok "golden $group/$name: no file $want (TD_GOLDEN_UPDATE=1 writes it)"
	elif cmp -s "$want" "$out"; then
		ok "golden $group/$name"
	else
		not_ok "golden $group/$name: output changed"
		diff -u "$want" "$out" | head -30 | sed 's/^/# /'
	fi
}

# --help of the tool and of every command, and `version`.
run help main --help
for c in check events explain kill ls sim snapshot summary trace tune watch; do
	run help "$c" "$c" --help
done

# explain: every topic the list names, as a table and as JSON, on a recorded
# snapshot (its sysctls stand for "this host").
run explain _list --from "$mix" explain
run explain _list-json --from "$mix" explain -j
topics=$("$TD_BIN" --from "$mix" explain | awk '/^  / { for (i = 1; i <= NF; i++) print $i }')
[ -n "$topics" ] || not_ok "explain lists its topics"
# time-wait-cost reads this machine's /proc/slabinfo: a recorded one here.
slab=(--proc-root tests/fixtures/proc/linux-6.18)
for topic in $topics; do
	p=(); [ "$topic" = time-wait-cost ] && p=("${slab[@]}")
	run explain "$topic" "${p[@]}" --from "$mix" explain "$topic"
	run explain "$topic-json" "${p[@]}" --from "$mix" explain -j "$topic"
done
run explain _unknown --from "$mix" explain no-such-topic

# sim: every named scenario as a ladder and as the JSON event log (default
# seed), one with another seed and the rfc9293 profile, and the list.
run sim _list sim
scen=$("$TD_BIN" sim | awk 'NR > 1 { print $1 }')
[ -n "$scen" ] || not_ok "sim lists its scenarios"
for s in $scen; do
	run sim "$s" sim "$s"
	run sim "$s-json" --mask sim "$s" -j
done
run sim handshake-seed7 sim handshake --seed 7
# sim -f with expectations (tests/fixtures/scripts): met (exit 0) and failed (exit 1).
for f in close-unread closed-port-rst keepalive-probes syn-linear synack-options folklore-wrong; do
	run sim "script-$f" sim -f "tests/fixtures/scripts/$f.sim"
	run sim "script-$f-json" --mask sim -f "tests/fixtures/scripts/$f.sim" -j
done
# Socket calls in a script: getsockopt, ioctl, TCP_DEFER_ACCEPT.
run sim script-sockcalls sim -f tests/fixtures/scripts/sockcalls.sim
run sim active-close-rfc9293 sim active-close --profile rfc9293
run sim syn-flood-nocookies sim syn-flood --set tcp_syncookies=0
run sim _unknown sim no-such-scenario

# The snapshot commands on every recorded snapshot, in every format.
for f in "$snaps"/*.json; do
	n=$(basename "$f" .json)
	run summary "$n" --from "$f" summary
	run summary "$n-json" --from "$f" summary -j
	run summary "$n-top2" --from "$f" summary --top 2
	for fmt in table json nagios prometheus; do
		run check "$n-$fmt" --from "$f" check -c /dev/null --format "$fmt"
	done
	run tune "$n" --from "$f" tune -c /dev/null
	run tune "$n-json" --from "$f" tune -c /dev/null -j
	run snapshot "$n" --from "$f" snapshot
	run ls "$n" --from "$f" ls
	run ls "$n-ndjson" --from "$f" ls --format ndjson
	run ls "$n-ie" --from "$f" ls -i -e
done

# The same snapshots as snapshot files (format 2, what snapshot -o writes:
# compressed, the families mixed as one kernel walk gives them, the owners
# in a table): every command reads them back to the same output as above.
for f in "$snaps"/*.json; do
	n=$(basename "$f" .json)
	"$TD_HELPERS/snapcopy" -z -f "$f" "$t/$n.tds" || not_ok "snapcopy -z $n"
	run summary "$n" --from "$t/$n.tds" summary
	run check "$n-json" --from "$t/$n.tds" check -c /dev/null --format json
	run snapshot "$n" --from "$t/$n.tds" snapshot
	run ls "$n" --from "$t/$n.tds" ls
	run ls "$n-ie" --from "$t/$n.tds" ls -i -e
done

# Bad input: one line naming the input, and the documented exit status.
run errors bad-command --from "$mix" frobnicate
run errors bad-format --from "$mix" --format xml ls
run errors bad-filter --from "$mix" ls state no-such-state
run errors bad-top --from "$mix" summary --top 0
# events and watch share one parser of -d, --count, --record-size (cmd/evopts.c): one message each.
for c in events watch; do
	n=$([ $c = events ] && echo -c || echo -n)
	run errors "$c-bad-duration" $c -d 0.05
	run errors "$c-bad-count" $c "$n" 0
	run errors "$c-bad-record-size" $c --record-size 1099511627777
done
run errors bad-set --mask --from "$mix" check -c /dev/null --set close_wait.warning=abc
run errors bad-only --mask --from "$mix" check -c /dev/null --only nope
run errors bad-from --from /nonexistent/snap.json ls
run errors bad-seed sim handshake --seed x
run errors bad-knob sim handshake --set tcp_nope=1
run errors bad-script sim -f /nonexistent/script
run errors sim-lab-name sim server-close
run errors lab-sim-name sim --against-kernel handshake

# replay --conn: a capture's ladder with the model's segment beside a packet
# where the capture has another (synack-late: 179-replay-model's late peer,
# its first SYN-ACK dropped by the client and retransmitted after 3 s;
# rst-not-fin: its rstfin peer, a RST answering the client's FIN) and a clean
# one with nothing beside it; --from's snapshot gives the linux profile its
# sysctls.
for f in synack-late rst-not-fin; do
	run replay "$f" --from "$mix" replay --conn 1 "tests/fixtures/packets/$f.pcap"
done
run replay clean-keepalive --from "$mix" replay --conn 1 tests/fuzz/corpus/replay/loopback-keepalive.pcap
run replay conn-missing --from "$mix" replay --conn 2 tests/fuzz/corpus/replay/loopback-keepalive.pcap
run replay conn-ndjson --from "$mix" replay --format ndjson --conn 1 tests/fuzz/corpus/replay/loopback-keepalive.pcap
