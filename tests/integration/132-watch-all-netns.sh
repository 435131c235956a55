#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch -A over two namespaces of ours (--netns-filter picks only them):
#  - NDJSON: each namespace's records carry its own connection events: 30
#    short connections in the first are counted there (60 sockets), none
#    in the second;
#  - --format prometheus -o FILE works with -A: one textfile, replaced
#    atomically, every sample labelled with its netns, both namespaces in
#    it, promtool accepts it;
#  - the console, in tmux at 80x24 and at 120x40: the header says which
#    namespace of how many it shows, n steps to the other and N back, the
#    connections panel of the first shows its destination, 6 shows the
#    panel alone, q restores the terminal.
. "$(dirname "$0")/../lib.sh"
require_root
command -v tmux >/dev/null || { not_ok "tmux installed (scripts/deps.sh test)"; exit 1; }
command -v promtool >/dev/null || { not_ok "promtool installed (scripts/deps.sh test)"; exit 1; }
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
dir=$(tmpdir)
a=$(mkns wa) || { not_ok "create namespace a"; exit 1; }
b=$(mkns wb) || { not_ok "create namespace b"; exit 1; }
sock="$dir/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; _td_cleanup' EXIT
ip -n "$a" addr add 198.18.132.1/32 dev lo || { not_ok "address"; exit 1; }
bg ip netns exec "$a" "$PY" -c '
import socket, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("198.18.132.1", 9320)); l.listen(128)
open(sys.argv[1], "w").write("ready")
while True:
    c, _ = l.accept(); c.close()
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }
conns() {
	ip netns exec "$a" "$PY" -c '
import socket
for i in range(30):
    c = socket.create_connection(("198.18.132.1", 9320)); c.recv(1); c.close()
'
}

"$TD_BIN" -A --netns-filter "td-$$-*" -j watch -i 1 > "$dir/rec" 2> "$dir/err" &
wpid=$!
_td_pids+=("$wpid")
wait_for 15 sh -c "[ \$(wc -l < '$dir/rec') -ge 2 ]" || { not_ok "the first samples"; sed 's/^/# /' "$dir/err"; exit 1; }
conns || not_ok "the connections"
n=$(wc -l < "$dir/rec")
wait_for 20 sh -c "[ \$(wc -l < '$dir/rec') -ge $((n + 4)) ]" || not_ok "two more rounds"
kill -INT "$wpid"
wait "$wpid"
expect_eq "watch -A ends normally on SIGINT" "$?" 0
facts=$("$PY" - "$dir/rec" "$a" "$b" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
a, b = sys.argv[2], sys.argv[3]
def tot(ns, k):
    return sum(r["events"]["interval"][k] for r in recs if r["netns"] == ns and r["events"]["available"])
def opened(ns):
    return sum(x["opened"] for r in recs if r["netns"] == ns and r["events"]["available"]
               for x in r["events"]["interval"]["destinations"] if x["dst"] == "198.18.132.1")
lost = sum(r["events"]["lost_notifications"] for r in recs if r["events"]["available"])
print(len({r["netns"] for r in recs}), tot(a, "connections"), opened(a), tot(b, "connections"), opened(b), lost)
PYEOF
)
diag "namespaces, a: sockets ended and opened, b: the same, notifications lost: $facts"
read -r nns ea oa eb ob lost <<<"$facts"
expect_eq "records of both namespaces" "$nns" 2
if [ "$lost" = 0 ]; then
	expect_eq "the first namespace counted its 60 sockets" "$ea" 60
else
	check "the first namespace counted no more than its 60 sockets" sh -c "[ $ea -le 60 ]"
fi
expect_eq "the second namespace counted none of them" "$eb $ob" "0 0"

# Prometheus with -A: one textfile, both namespaces labelled.
mkdir "$dir/textfile"
prom="$dir/textfile/all.prom"
"$TD_BIN" -A --netns-filter "td-$$-*" --format prometheus watch -o "$prom" -i 0.5 -n 3 > /dev/null 2> "$dir/err"
expect_eq "watch -A --format prometheus -o FILE runs (exit 0)" "$?" 0
check "promtool accepts it" sh -c "promtool check metrics < '$prom' > /dev/null 2>&1"
check "the first namespace's samples are labelled" grep -q "^tcpdoctor_events_available{netns=\"$a\"} 1" "$prom"
check "the second namespace's samples are labelled" grep -q "^tcpdoctor_events_available{netns=\"$b\"} 1" "$prom"
check "each family once (one HELP per family)" sh -c "[ \$(grep -c '^# HELP tcpdoctor_up ' '$prom') = 1 ]"
expect_eq "no temporary file left" "$(ls "$dir/textfile" | wc -l)" 1

# The console: one namespace at a time, n and N.
n=0
start() {
	tm new-session -d -s "con$((n + 1))" -x "$1" -y "$2" "env -i PATH=$PATH TERM=xterm-256color LANG=C.UTF-8 bash --norc --noprofile" ||
		{ not_ok "tmux session $1x$2"; exit 1; }
	[ "$n" -gt 0 ] && tm kill-session -t "con$n" 2>/dev/null
	n=$((n + 1))
	tm send-keys -t "con$n" "stty sane; '$TD_BIN' -A --netns-filter 'td-$$-*' watch -i 0.5; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo MODES" Enter
}
screen() { tm capture-pane -t "con$n" -p; }
until_screen() { wait_for "${2:-10}" sh -c "tmux -S '$sock' capture-pane -t con$n -p | grep -qF -- \"\$1\"" _ "$1"; }
wide() { "$PY" -c 'import sys; w = int(sys.argv[1]); sys.exit(any(len(l.rstrip("\n")) > w for l in sys.stdin))' "$1"; }

for size in "80 24" "120 40"; do
	set -- $size
	start "$1" "$2"
	until_screen "netns 1/2 td-" 15 || { not_ok "$1x$2: the header says namespace 1 of 2"; screen | sed 's/^/# /'; continue; }
	ok "$1x$2: the header says namespace 1 of 2"
	until_screen "6 connections (" 10 && ok "$1x$2: the connections panel" || not_ok "$1x$2: the connections panel"
	first=$(screen | head -1)
	tm send-keys -t "con$n" n
	until_screen "netns 2/2 td-" 5 && ok "$1x$2: n shows the other namespace" || not_ok "$1x$2: n"
	second=$(screen | head -1)
	check "$1x$2: the header names another namespace" sh -c "[ '$(grep -o 'netns [0-9]/2 td-[^ ]*' <<<"$first")' != '$(grep -o 'netns [0-9]/2 td-[^ ]*' <<<"$second")' ]"
	tm send-keys -t "con$n" N
	until_screen "netns 1/2 td-" 5 && ok "$1x$2: N goes back" || not_ok "$1x$2: N"
	# The namespace with the server: its connections in the panel.
	grep -q " $a " <<<"$(screen | head -1)" || tm send-keys -t "con$n" n
	until_screen " $a " 5 || not_ok "$1x$2: reach the first namespace"
	conns || not_ok "the connections"
	until_screen "to   198.18.132.1:9320     opened 30 ok 30 " 10 && ok "$1x$2: the destination's connections in the panel" ||
		{ not_ok "$1x$2: the destination's connections in the panel"; screen | sed 's/^/# /'; }
	check "$1x$2: nothing wider than the screen" wide "$1" <<<"$(screen)"
	tm send-keys -t "con$n" 6
	until_screen "run: " 5 && ok "$1x$2: 6 shows the connections alone" || not_ok "$1x$2: 6 alone"
	until_screen "from 198.18.132.1:9320     accepted 30 " 5 && ok "$1x$2: the listener's too, alone" ||
		{ not_ok "$1x$2: the listener's too, alone"; screen | sed 's/^/# /'; }
	tm send-keys -t "con$n" q
	until_screen "EXIT=0" 10 && ok "$1x$2: q quits, exit 0" || not_ok "$1x$2: q quits"
	until_screen "MODES" 10 && screen | grep -q "^icanon echo MODES" && ok "$1x$2: the terminal is restored" ||
		not_ok "$1x$2: the terminal is restored"
done
