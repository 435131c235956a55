#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch --format prometheus -o FILE, a standing textfile exporter, during a
# CLOSE_WAIT leak that grows: a server accepts a connection every 0.25 s
# whose client closes at once, and never closes its side.  Every interval
# (0.5 s, for --duration 5) the file is replaced atomically: a reader that
# polls it all along only ever sees whole files that promtool accepts, with
# a new timestamp each interval and the CLOSE_WAIT gauge growing; no
# temporary file is left.  The run ends with a summary (on stderr: stdout
# is not the report) that names the growth and the close_wait.leak finding
# that started.
. "$(dirname "$0")/../lib.sh"
require_root
command -v promtool >/dev/null || { not_ok "promtool installed (scripts/deps.sh test)"; exit 1; }
dir=$(tmpdir)
mkns wprom >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-wprom

"$TD_BIN" -N "$ns" watch --format prometheus -i 1 > /dev/null 2> "$dir/err"
expect_eq "prometheus without -o: usage error" "$?" 64
check "it says -o FILE is needed" grep -q -- "-o FILE" "$dir/err"
"$TD_BIN" -N "$ns" watch -o "$dir/x" -n 1 > /dev/null 2> "$dir/err"
expect_eq "-o without prometheus: usage error" "$?" 64

bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"leaky", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 9300)); l.listen(64)
kept = []
open(sys.argv[1], "w").write("ready")
for i in range(40):
    c = socket.create_connection(("127.0.0.1", 9300))
    kept.append(l.accept()[0])
    c.close()
    time.sleep(0.25)
time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }

mkdir "$dir/textfile"
prom="$dir/textfile/tcpdoctor.prom"
"$TD_BIN" -N "$ns" watch --format prometheus -o "$prom" -i 0.5 --duration 5 > "$dir/stdout" 2> "$dir/stderr" &
wpid=$!
# Poll the file while watch runs (bounded: 300 reads of at most 0.05 s apart).
: > "$dir/seen"
bad=0
for i in $(seq 300); do
	kill -0 "$wpid" 2>/dev/null || break
	if cp "$prom" "$dir/copy" 2>/dev/null; then
		promtool check metrics < "$dir/copy" > /dev/null 2>&1 || { bad=$((bad + 1)); cp "$dir/copy" "$dir/bad"; }
		echo "$(awk '$1 == "tcpdoctor_check_timestamp_seconds" { print $2 }' "$dir/copy") $(awk '$1 == "tcpdoctor_sockets{state=\"CLOSE_WAIT\"}" { print $2 }' "$dir/copy")" >> "$dir/seen"
	fi
	sleep 0.05
done
wait "$wpid"
expect_eq "watch exits 0 after --duration" "$?" 0
expect_eq "every read was a whole file promtool accepts" "$bad" 0
[ -s "$dir/bad" ] && sed 's/^/# /' "$dir/bad" | head -5
stamps=$(awk 'NF == 2 { print $1 }' "$dir/seen" | sort -u | wc -l)
check "rewritten every interval: $stamps timestamps seen over 5 s" test "$stamps" -ge 6
first=$(awk 'NF == 2 { print $2; exit }' "$dir/seen")
last=$(awk 'NF == 2 { v = $2 } END { print v }' "$dir/seen")
check "the CLOSE_WAIT gauge grows ($first -> $last)" test "$last" -gt "$first"
check "the final file passes promtool" sh -c "promtool check metrics < '$prom'"
expect_eq "no temporary file left" "$(ls "$dir/textfile")" tcpdoctor.prom
expect_eq "file mode 0644" "$(stat -c %a "$prom")" 644
expect_eq "nothing on stdout with -o" "$(wc -c < "$dir/stdout")" 0
# The summary goes to stderr: stdout is not the report here.
check "the summary counts the samples" grep -Eq '^summary: (9|10|11) samples from ' "$dir/stderr"
check "the summary names the growth of CLOSE_WAIT" grep -Eq '^  CLOSE_WAIT +[0-9]+ -> [0-9]+$' "$dir/stderr"
check "and the leak finding that started" grep -Eq '^  \+ [0-9:]{8} warning +close_wait.leak leaky\[[0-9]+\]' "$dir/stderr"
