#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch --from RECORDING on a terminal plays the recording in the console,
# driven in tmux (send-keys, capture-pane) at 100x30.  The recording is
# real: in a namespace of ours a server accepts and never closes while its
# clients close (CLOSE_WAIT grows by 2 every 0.5 s, the close_wait.leak
# finding starts), and 6 connects are refused in between; watch -j
# --record samples every 0.5 s.  The console must show, for each sample it
# is stepped to (p pauses, -> and <- step, [ ] jump 10, g G first and
# last, + and - the pace), the sample's number, its recorded time to the
# millisecond in the status line, the CLOSE_WAIT count the live line
# had, the finding from the sample the live run started it in, and the
# refused connects in the connections panel; q restores the terminal and
# prints the summary the live run printed (after G, all 10 samples ran).
. "$(dirname "$0")/../lib.sh"
require_root
command -v tmux >/dev/null || { not_ok "tmux installed (scripts/deps.sh test)"; exit 1; }
t=$(tmpdir)
ns=$(mkns wcp) || { not_ok "create namespace"; exit 1; }
sock="$t/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
trap 'tm kill-server 2>/dev/null; _td_cleanup' EXIT
ip -n "$ns" addr add 198.18.183.1/32 dev lo || { not_ok "address"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"leaky", 0, 0, 0)
l = socket.socket(); l.bind(("198.18.183.1", 9400)); l.listen(64)
open(sys.argv[1], "w").write("ready")
while not open(sys.argv[2]).read(): time.sleep(0.05)
kept = []
for i in range(6):
    for j in range(2):
        c = socket.create_connection(("198.18.183.1", 9400)); kept.append(l.accept()[0]); c.close()
    if i == 2:
        for k in range(6):
            try: socket.create_connection(("198.18.183.1", 9401))
            except OSError: pass
    time.sleep(0.5)
time.sleep(600)' "$t/ready" "$t/go"
: > "$t/go"
wait_for 10 test -s "$t/ready" || { not_ok "server ready"; exit 1; }
"$TD_BIN" -N "$ns" watch -j -i 0.5 -n 10 --record "$t/rec" > "$t/live" 2> "$t/live.err" &
wpid=$!
_td_pids+=("$wpid")
wait_for 10 test -s "$t/live" || { not_ok "the first sample"; exit 1; }
echo go > "$t/go"
wait "$wpid"
expect_eq "watch --record exits 0" "$?" 0
# What each sample was, live: its recorded time (to the ms, as the status line has it),
# CLOSE_WAIT, whether the finding was active, the interval's refused connects.
zstdcat "$t/rec" | "$PY" -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    if r["type"] != "sample": continue
    w = r["watch"]
    t = r["time"][:10] + " " + r["time"][11:23]
    ref = sum(d["refused"] for d in w["events"]["interval"]["destinations"]) if w["events"]["available"] else -1
    act = int(any(a["key"].startswith("close_wait.leak") for a in w["active"]))
    print(r["seq"], t, w["states"]["CLOSE_WAIT"], act, ref)' > "$t/want"
sed 's/^/# /' "$t/want"
expect_eq "10 samples recorded" "$(wc -l < "$t/want")" 10
check "the leak grew during the recording" sh -c "[ \$(awk '{ print \$4 }' '$t/want' | sort -n | tail -1) -ge 8 ]"
check "a sample's interval has the 6 refused connects" sh -c "awk '\$6 == 6' '$t/want' | grep -q ."

tm new-session -d -s play -x 100 -y 30 "env -i PATH=$PATH TERM=xterm-256color LANG=C.UTF-8 bash --norc --noprofile" ||
	{ not_ok "tmux session"; exit 1; }
tm send-keys -t play "stty sane; '$TD_BIN' --from '$t/rec' watch --speed 0.01; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo MODES" Enter
screen() { tm capture-pane -t play -p; }
until_screen() { wait_for "${2:-10}" sh -c "tmux -S '$sock' capture-pane -t play -p | grep -qF -- \"\$1\"" _ "$1"; }
until_screen "sample 1/10" 15 || { not_ok "the console shows the first sample"; screen | sed 's/^/# /'; exit 1; }
tm send-keys -t play p
until_screen "PAUSED" 5 && ok "p pauses" || not_ok "p pauses"
check "the status line names the pace" grep -q "x0.01 " <<<"$(screen | head -1)"
# shows K: the screen is sample K as recorded.
shows() {
	local k=$1 seq when date cw act ref s
	read -r seq date when cw act ref <<<"$(sed -n "${k}p" "$t/want")"
	until_screen "sample $k/10  $date $when UTC" 5 || { diag "sample $k: status line"; screen | head -1 | sed 's/^/# /'; return 1; }
	s=$(screen)
	grep -Eq "^CLOSE_WAIT +$cw " <<<"$s" || { diag "sample $k: CLOSE_WAIT $cw"; return 1; }
	if [ "$act" = 1 ]; then grep -q "close_wait.leak" <<<"$s" || { diag "sample $k: the finding"; return 1; }
	else ! grep -q "close_wait.leak" <<<"$s" || { diag "sample $k: no finding yet"; return 1; }; fi
	if [ "$ref" -gt 0 ]; then grep -Eq "^6 connections .*[^0-9]$ref refused" <<<"$s" || { diag "sample $k: $ref refused"; return 1; }; fi
	return 0
}
bad=0
for k in 2 3 4 5 6 7 8 9 10; do
	tm send-keys -t play Right
	shows "$k" || bad=$((bad + 1))
done
expect_eq "-> steps through every sample, each as recorded (samples that differ)" "$bad" 0
bad=0
for k in 9 8 7; do
	tm send-keys -t play Left
	shows "$k" || bad=$((bad + 1))
done
expect_eq "<- steps back, each as recorded (samples that differ)" "$bad" 0
tm send-keys -t play g
shows 1 && ok "g: the first sample" || not_ok "g: the first sample"
tm send-keys -t play ']'
shows 10 && ok "]: 10 forward (to the last)" || not_ok "]: 10 forward"
tm send-keys -t play '['
shows 1 && ok "[: 10 back (to the first)" || not_ok "[: 10 back"
tm send-keys -t play G
shows 10 && ok "G: the last sample" || not_ok "G: the last sample"
tm send-keys -t play + +
until_screen "x0.04 " 5 && ok "+: twice the pace, said" || not_ok "+: twice the pace"
tm send-keys -t play -
until_screen "x0.02 " 5 && ok "-: half the pace" || not_ok "-: half the pace"
tm send-keys -t play 6
until_screen "run: " 5 && ok "6: the connections panel alone" || not_ok "6: the connections panel alone"
check "6: the refused destination in the run's rows" grep -Eq "to +198.18.183.1:9401 +opened 6 ok 0 refused 6" <<<"$(screen)"
tm send-keys -t play 0 '?'
until_screen "playback" 5 && ok "?: the help names the playback keys" || not_ok "?: the help"
tm send-keys -t play x p
until_screen "PLAYING" 5 || until_screen "END" 1 && ok "p again plays" || not_ok "p again plays"
tm send-keys -t play q
# The modes line, not the command line that names it.
wait_for 10 sh -c "tmux -S '$sock' capture-pane -t play -p | grep -Eq '^-?icanon .*MODES'" ||
	{ not_ok "q ends the playback"; screen | sed 's/^/# /'; exit 1; }
check "q: exit 0" grep -q "^EXIT=0" <<<"$(screen)"
check "q: the terminal is restored (canonical, echo)" grep -q "^icanon echo MODES" <<<"$(screen)"
# The summary, on the restored terminal (joined where the 100 columns wrapped it):
# the live run's, which went to stderr with -j, line for line.
after=$(tm capture-pane -t play -p -J -S -100 | sed -n '/^summary: /,/^EXIT=/p' | sed '$d')
live=$(sed -n '/^summary: /,$p' "$t/live.err")
sed 's/^/# live: /' <<<"$live"
if [ -n "$live" ] && [ "$after" = "$live" ]; then
	ok "q: the summary of the 10 samples played, as the live run printed it"
else
	not_ok "q: the summary of the 10 samples played, as the live run printed it"
	sed 's/^/# played: /' <<<"$after"
fi

# Not a terminal: the table, as before.
"$TD_BIN" --from "$t/rec" watch --speed 0 > "$t/table" < /dev/null
expect_eq "not a terminal: the table playback (10 rows)" "$(grep -c '^[0-9][0-9]:' "$t/table")" 10
