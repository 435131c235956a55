#!/bin/bash
# SPDX-License-Identifier: MIT
# check --format prometheus -o FILE for node_exporter's textfile collector:
# written atomically, accepted by `promtool check metrics`, findings as
# tcpdoctor_finding_severity with escaped labels (a process named
# 'lk"y\srv' leaking CLOSE_WAIT), counters as _total; contrib's alert
# rules pass `promtool check rules`.
. "$(dirname "$0")/../lib.sh"
require_root
command -v promtool >/dev/null || { not_ok "promtool installed (scripts/deps.sh test)"; exit 1; }
dir=$(tmpdir)
check "contrib alert rules pass promtool check rules" promtool check rules "$TD_SRCDIR/contrib/prometheus/tcpdoctor.rules.yml"

mkns prom >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-prom
bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"lk\"y\\srv", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 9200)); l.listen(64)
cs = [socket.create_connection(("127.0.0.1", 9200)) for i in range(6)]
kept = [l.accept()[0] for i in range(6)]
for c in cs: c.close()
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }
spid=$(pgrep -n -f 'prctl\(15, b"lk')

mkdir "$dir/textfile"
"$TD_BIN" -N "$ns" check --format prometheus -o "$dir/textfile/tcpdoctor.prom" > "$dir/stdout"
expect_eq "exit 1 (warning)" "$?" 1
expect_eq "nothing on stdout with -o" "$(wc -c < "$dir/stdout")" 0
expect_eq "only the final file in the directory (temporary renamed)" "$(ls "$dir/textfile")" tcpdoctor.prom
expect_eq "file mode 0644" "$(stat -c %a "$dir/textfile/tcpdoctor.prom")" 644
check "promtool check metrics" sh -c "promtool check metrics < '$dir/textfile/tcpdoctor.prom'"
prom="$dir/textfile/tcpdoctor.prom"
check "status gauge" grep -qx 'tcpdoctor_check_status 1' "$prom"
check "finding with escaped subject" grep -qxF "tcpdoctor_finding_severity{id=\"close_wait.leak\",subject=\"lk\\\"y\\\\srv[$spid]\"} 2" "$prom"
check "CLOSE_WAIT gauge" grep -qx 'tcpdoctor_sockets{state="CLOSE_WAIT"} 6' "$prom"
check "counters end in _total" grep -q '^tcpdoctor_listen_overflows_total [0-9]' "$prom"
check "gauges do not" grep -q '^tcpdoctor_sockstat_tw [0-9]' "$prom"
check "sysctls" grep -qx 'tcpdoctor_sysctl{name="net.ipv4.tcp_syncookies"} 1' "$prom"
expect_eq "HELP once per family" "$(grep '^# HELP' "$prom" | awk '{print $3}' | sort | uniq -d)" ""
expect_eq "TYPE once per family" "$(grep '^# TYPE' "$prom" | awk '{print $3}' | sort | uniq -d)" ""

# A failed write leaves the old file and exits 3.
"$TD_BIN" -N "$ns" check --format prometheus -o "$dir/nodir/x.prom" 2> "$dir/err"
expect_eq "unwritable output: exit 3" "$?" 3
check "names the file" grep -q "nodir/x.prom" "$dir/err"
