#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# Streaming outputs stop at the first failed write.  A reader that goes away
# (`| head -1`) ends the command at once, without a message, exit 71 --
# also where SIGPIPE is ignored (systemd services, `trap '' PIPE` here),
# which once left `ls` walking every socket into a closed pipe.  Any other
# write error (/dev/full) is reported once, with its reason, exit 71.
. "$(dirname "$0")/../lib.sh"
t=$(tmpdir)
N=200000
"$PY" "$TD_SRCDIR/tests/helpers/synthsnap.py" sockets $N "$t/big.json" ||
	{ not_ok "write a snapshot of $N sockets"; exit 1; }

now_ms() { date +%s%3N; }

start=$(now_ms)
"$TD_BIN" --from "$t/big.json" ls -H > /dev/null
full=$(( $(now_ms) - start ))
diag "ls of $N sockets to /dev/null: $full ms"

# run_head WHAT ARGS...: tcpdoctor ARGS | head -1, SIGPIPE ignored.
run_head() {
	local what=$1 st start ms; shift
	start=$(now_ms)
	( trap '' PIPE; "$TD_BIN" "$@" 2> "$t/err" | head -c 200 > "$t/head"; exit "${PIPESTATUS[0]}" )
	st=$?
	ms=$(( $(now_ms) - start ))
	diag "$what | head: $ms ms, exit $st"
	expect_eq "$what | head exits 71 (reader gone)" "$st" 71
	check "$what | head prints no message" test ! -s "$t/err"
	check "$what | head got output" test -s "$t/head"
	# Bounded: well under the time of the whole walk (that reading the
	# file's header costs is the same in both).
	check "$what | head ends promptly ($ms ms, whole walk $full ms)" test "$ms" -lt $((full / 3 + 200))
}
run_head "ls" --from "$t/big.json" ls
run_head "ls -j" --from "$t/big.json" ls -j
run_head "ls ndjson" --from "$t/big.json" --format ndjson ls
run_head "snapshot" --from "$t/big.json" snapshot

# Any other write error: one message naming the reason.
for args in "ls" "-j ls" "--format ndjson ls" "snapshot"; do
	# shellcheck disable=SC2086
	"$TD_BIN" --from "$t/big.json" $args > /dev/full 2> "$t/err"
	st=$?
	expect_eq "$args > /dev/full exits 71" "$st" 71
	expect_eq "$args > /dev/full: one message with the reason" "$(cat "$t/err")" \
		"tcpdoctor: ${args##* }: writing output: No space left on device"
done

# watch streams too (it reads the kernel: a namespace of our own).
if [ "$(id -u)" -eq 0 ] && command -v ip > /dev/null; then
	ns=$(mkns wr) || { not_ok "create namespace"; exit 1; }
	start=$(now_ms)
	( trap '' PIPE; timeout 10 "$TD_BIN" -N "$ns" watch -i 0.2 2> "$t/err" | head -1 > /dev/null; exit "${PIPESTATUS[0]}" )
	st=$?
	ms=$(( $(now_ms) - start ))
	expect_eq "watch | head -1 exits 71" "$st" 71
	check "watch | head -1 prints no message" test ! -s "$t/err"
	check "watch | head -1 ends within 3 s ($ms ms)" test "$ms" -lt 3000
	timeout 10 "$TD_BIN" -N "$ns" watch -i 0.2 -j > /dev/full 2> "$t/err"
	st=$?
	expect_eq "watch -j > /dev/full exits 71" "$st" 71
	expect_eq "watch -j > /dev/full: one message" "$(cat "$t/err")" \
		"tcpdoctor: watch: writing output: No space left on device"
else
	skip "watch needs root for its namespace"
fi
