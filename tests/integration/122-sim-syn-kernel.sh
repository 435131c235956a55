#!/bin/bash
# SPDX-License-Identifier: MIT
# The SYN schedule against the running kernel: in a namespace of its own,
# connect() to a black-holed address on a veth link (the SYNs are sent and
# never answered) with tcp_syn_retries = 1 and 2, measure when connect()
# fails with ETIMEDOUT, and check that `sim lost-syn --set tcp_syn_retries=N`
# gives up at the same time (within 0.5 s) and says so in its prose.  Also:
# options sim would ignore are refused (--from, -N with --against-kernel).
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)

# One namespace per value of the sysctl, measured at the same time (3 s and
# 7 s), each bounded by a 30 s alarm.
for n in 1 2; do
	mkns "synk$n" >/dev/null || { not_ok "create a network namespace"; exit 1; }
	ns=td-$$-synk$n
	# A veth pair inside the namespace; 198.18.7.2 has a permanent neighbour
	# entry, so the SYNs leave on bh0 and die on bh1 (no such address there,
	# no forwarding): nothing ever answers, not even an ICMP error.
	ip -n "$ns" link add bh0 type veth peer name bh1 && ip -n "$ns" addr add 198.18.7.1/24 dev bh0 &&
		ip -n "$ns" link set bh0 up && ip -n "$ns" link set bh1 up &&
		ip -n "$ns" neigh add 198.18.7.2 lladdr 02:00:00:00:07:02 dev bh0 nud permanent ||
		{ not_ok "a black-holed address in the namespace"; exit 1; }
	ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_retries=$n || { not_ok "set tcp_syn_retries=$n"; exit 1; }
	ip netns exec "$ns" "$PY" - > "$dir/k$n" 2>&1 <<'PYEOF' &
import errno, signal, socket, time
signal.alarm(30)
s = socket.socket()
t0 = time.monotonic()
try:
    s.connect(("198.18.7.2", 80))    # the SYNs go out on bh0, nothing answers
    print("connected?")
except OSError as e:
    print("%s %.3f" % (errno.errorcode.get(e.errno, e.errno), time.monotonic() - t0))
PYEOF
	eval "pid$n=$!"
done
wait "$pid1" "$pid2"
for n in 1 2; do
	read -r what kt < "$dir/k$n"
	expect_eq "kernel, tcp_syn_retries=$n: connect() fails with ETIMEDOUT" "$what" ETIMEDOUT
	"$TD_BIN" sim lost-syn --set tcp_syn_retries=$n > "$dir/s$n"
	st=$(awk '/^end at/ { print $3 }' "$dir/s$n")
	diag "tcp_syn_retries=$n: kernel gave up after $kt s, the model after $st s"
	check "sim agrees with the kernel within 0.5 s ($st vs $kt)" \
		"$PY" -c "import sys; sys.exit(abs($st - $kt) > 0.5)"
	check "the prose says the same time" grep -q "fails with ETIMEDOUT at ${st%.0000} s" "$dir/s$n"
	check "the prose names the knob's value" grep -q "tcp_syn_retries=$n " "$dir/s$n"
done
"$TD_BIN" sim lost-syn --profile rfc9293 > "$dir/rfc"
check "--profile rfc9293 changes the words: no linear phase" grep -q "no linear phase" "$dir/rfc"
"$TD_BIN" sim syn-flood --set tcp_syncookies=0 > "$dir/flood"
check "a fixed answer says it is for the defaults when --set differs" \
	grep -q "^note: .*for the linux profile's defaults; this run uses profile linux with tcp_syncookies=0" "$dir/flood"
"$TD_BIN" -j sim lost-syn --set tcp_syn_linear_timeouts=0 > "$dir/lin0.json"
check "JSON answer from the run: 127 s without linear timeouts" \
	"$PY" -c 'import json,sys; a=json.load(open(sys.argv[1]))["answer"]; assert "ETIMEDOUT at 127 s" in a, a' "$dir/lin0.json"

# ---- options sim would ignore ----
expect_err() {	# DESCRIPTION STATUS MESSAGE-SUBSTRING COMMAND...
	local what=$1 want=$2 msg=$3 rc; shift 3
	"$@" > "$dir/out" 2> "$dir/err"; rc=$?
	expect_eq "$what: exit $want" "$rc" "$want"
	if [ "$(wc -l < "$dir/err")" -eq 1 ] && grep -qF -- "$msg" "$dir/err"; then
		ok "$what: one line with the reason"
	else
		not_ok "$what: one line with the reason"; diag "stderr: $(cat "$dir/err")"
	fi
}
echo '{}' > "$dir/snap.json"
expect_err "sim --from" 64 "--from '$dir/snap.json' does not apply: sim runs the TCP model" \
	"$TD_BIN" --from "$dir/snap.json" sim lost-syn
expect_err "sim --against-kernel -N" 64 "-N and --netns-pid do not apply: --against-kernel runs the kernel in a throwaway namespace" \
	"$TD_BIN" -N "$ns" sim --against-kernel syn-timeout
expect_err "sim -N" 64 "-N and --netns-pid do not apply: sim runs the TCP model" \
	"$TD_BIN" -N "$ns" sim lost-syn

# ---- bounds: a script of almost 1 MiB (sim -f's limit) that sends 1 GiB at a time ----
"$PY" -c 'import sys
out = ["host a 198.18.0.1", "host b 198.18.0.2", "at 0 b listen 80 as L",
       "at 0.1 a connect b:80 as c", "at 0.2 b accept L as s"]
i = 0
while sum(len(l) + 1 for l in out) < 1000000:
    out += ["at %d a send c 1073741824" % (1 + i), "at %d b recv s" % (1 + i)]; i += 1
open(sys.argv[1], "w").write("\n".join(out) + "\n")' "$dir/big.sim"
# Sanitizer builds (build-san) use several times the memory and CPU.
case $TD_BUILD in *-san) mem=262144 tmax=120 ;; *) mem=65536 tmax=30 ;; esac
for fmt in "" -j; do
	# shellcheck disable=SC2086
	/usr/bin/time -v "$TD_BIN" $fmt sim -f "$dir/big.sim" > /dev/null 2> "$dir/big.err"
	expect_eq "a 1 MB script${fmt:+ ($fmt)}: stopped at a bound, exit 65" "$?" 65
	check "the error names the bound" grep -q "^tcpdoctor: sim: simulator: .*bound" "$dir/big.err"
	rss=$(awk -F: '/Maximum resident/ { print $2 + 0 }' "$dir/big.err")
	secs=$(awk '/Elapsed/ { n = split($NF, a, ":"); print a[n] + 60 * a[n - 1] }' "$dir/big.err")
	diag "1 MB script${fmt:+ $fmt}: peak RSS $rss KiB, $secs s"
	check "peak RSS under $((mem / 1024)) MiB ($rss KiB)" test "$rss" -lt "$mem"
	check "done in under $tmax s ($secs s)" "$PY" -c "import sys; sys.exit(not $secs < $tmax)"
done
