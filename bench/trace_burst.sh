#!/bin/bash
# SPDX-License-Identifier: MIT
#
# `tcpdoctor trace` under a burst: BURST_CONNS short connections (default
# 20000: connect, one byte each way, close) made as fast as BURST_PROCS
# processes (default 4) can, on loopback in a namespace made here, while
# `trace -j -P PORT` runs.  Each connection makes 10 state transitions
# (tests/integration/030-trace.sh), so the events expected are 10 per
# connection.  Prints the events printed, the events the tool says were
# lost (per CPU), the burst's length, the events handled per second and the
# CPU time the tracer used.
#
# Usage: bench/trace_burst.sh TCPDOCTOR_BINARY      (root)
set -u
bin=${1:?usage: bench/trace_burst.sh TCPDOCTOR_BINARY}
CONNS=${BURST_CONNS:-20000}
PROCS=${BURST_PROCS:-4}
[ "$(id -u)" -eq 0 ] || { echo "bench trace_burst: skipped: needs root"; exit 0; }
ns=tdb-$$-burst
t=$(mktemp -d)
port=$((45000 + $$ % 1000))
tr=
cleanup() {
	[ -n "$tr" ] && kill "$tr" 2>/dev/null && wait "$tr" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$t"
}
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
"$bin" trace -j -P "$port" > "$t/out" 2> "$t/err" &
tr=$!
for _ in $(seq 50); do
	ls /sys/kernel/tracing/instances/ 2>/dev/null | grep -q "^tcpdoctor-$tr-" && break
	sleep 0.1
done
sleep 0.5
start=$(date +%s.%N)
ip netns exec "$ns" python3 - "$port" "$CONNS" "$PROCS" <<'PYEOF'
import os, socket, sys
port, conns, procs = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen(4096)
kids = []
for p in range(procs):
    pid = os.fork()
    if pid == 0:
        for i in range(conns // procs):
            c = socket.create_connection(("127.0.0.1", port))
            c.sendall(b"x"); c.recv(1); c.close()
        os._exit(0)
    kids.append(pid)
if os.fork() == 0:
    s2 = s
    for i in range(conns // procs * procs):
        a, _ = s2.accept(); a.recv(1); a.sendall(b"y"); a.close()
    os._exit(0)
for k in kids: os.waitpid(k, 0)
os.wait()
PYEOF
end=$(date +%s.%N)
sleep 2
# CPU time the tracer spent (utime + stime, fields 14 and 15 of /proc/PID/stat, in ticks)
cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ sub(/.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' /proc/"$tr"/stat)
kill -INT "$tr"; wait "$tr"; tr=
lines=$(wc -l < "$t/out")
lost=$(sed -n 's/.*: \([0-9][0-9]*\) events* w[ae][rs]e* lost.*/\1/p' "$t/err")
echo "connections:  $CONNS (expected events: $((CONNS * 10)))"
echo "printed:      $lines"
echo "lost (said):  ${lost:-0}  $(grep -o '(cpu[^)]*)' "$t/err")"
echo "burst:        $(echo "$end - $start" | bc) s"
echo "handled/s:    $(echo "$lines / ($end - $start)" | bc)"
echo "tracer CPU:   $cpu s ($(echo "scale=2; $cpu * 1000000 / $lines" | bc) us per event printed)"
grep -v "^$" "$t/err" | sed 's/^/stderr: /' | head -5
