#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# The console of watch, driven in tmux (send-keys, capture-pane) at 80x24
# and at 132x40, on a namespace with a CLOSE_WAIT leak (6 sockets of
# "leaky"): the screen shows every state, the rates, the listener with its
# queues, the process holding the CLOSE_WAIT sockets, the destination of
# the ephemeral ports and the close_wait.leak finding with its age; the
# keys p, s, 3, 4, ?
# and q do what the help says; and the terminal is restored (canonical mode
# and echo back, the summary printed) after q, after ^C (SIGINT) and after
# kill (SIGTERM).  A terminal smaller than 80x24 gets a one-line notice.
. "$(dirname "$0")/../lib.sh"
require_root
command -v tmux >/dev/null || { not_ok "tmux installed (scripts/deps.sh test)"; exit 1; }
dir=$(tmpdir)
mkns wcon >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-wcon
sock="$dir/tmux.sock"
tm() { tmux -S "$sock" "$@"; }
cleanup_tmux() { tm kill-server 2>/dev/null; }

trap 'cleanup_tmux; _td_cleanup' EXIT

bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"leaky", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 9400)); l.listen(16)
cs = [socket.create_connection(("127.0.0.1", 9400)) for i in range(6)]
kept = [l.accept()[0] for i in range(6)]
for c in cs: c.close()
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }

# start W H: a shell in a W x H pane (a new session each time) that runs
# the console, then prints its exit status and the terminal's modes.
n=0
start() {
	# The new session first: the server exits with its last session.
	tm new-session -d -s "con$((n + 1))" -x "$1" -y "$2" "env -i PATH=$PATH TERM=xterm-256color LANG=C.UTF-8 bash --norc --noprofile" ||
		{ not_ok "tmux session $1x$2"; exit 1; }
	[ "$n" -gt 0 ] && tm kill-session -t "con$n" 2>/dev/null
	n=$((n + 1))
	tm send-keys -t "con$n" "stty sane; '$TD_BIN' -N $ns watch -i 0.5; echo EXIT=\$?; stty -a | tr ' ;' '\n\n' | grep -x -e icanon -e -icanon -e echo -e -echo | tr '\n' ' '; echo MODES" Enter
}
screen() { tm capture-pane -t "con$n" -p; }
# until TEXT [SECONDS]: wait (bounded) until the screen shows TEXT.
until_screen() { wait_for "${2:-10}" sh -c "tmux -S '$sock' capture-pane -t con$n -p | grep -qF -- \"\$1\"" _ "$1"; }
# restored: after the console ended, the shell's terminal is canonical with echo.
restored() { until_screen "MODES" 10 && screen | grep -q "^icanon echo MODES"; }
tdpid() { pgrep -n -f -- "$TD_BIN -N $ns watch"; }

start 80 24
until_screen "close_wait.leak" 15 || { not_ok "80x24: the finding appears"; screen | sed 's/^/# /'; exit 1; }
s=$(screen)
check "80x24: the header names the command" grep -q "tcpdoctor watch" <<<"$s"
check "80x24: every state, CLOSE_WAIT with its 6" grep -Eq "CLOSE_WAIT +6 " <<<"$s"
check "80x24: SYN_SENT too" grep -q "SYN_SENT " <<<"$s"
check "80x24: LAST_ACK too" grep -q "LAST_ACK " <<<"$s"
check "80x24: rates" grep -q "2 rates per second" <<<"$s"
check "80x24: the listener with its queues" grep -Eq "127.0.0.1:9400 +accept 0/16" <<<"$s"
check "80x24: the process holding the CLOSE_WAIT sockets" grep -Eq "CLOSE_WAIT leaky\[[0-9]+\] +6$" <<<"$s"
check "80x24: the finding with severity and age" grep -Eq "warning +[0-9]+s  close_wait.leak leaky" <<<"$s"
check "80x24: the keys in the last line" sh -c '[ "$(tail -1)" != "" ]' <<<"$(grep -F "q quit" <<<"$s")"
check "80x24: nothing wider than the screen (in characters)" "$PY" -c 'import sys; sys.exit(any(len(l.rstrip("\n")) > 80 for l in open(sys.argv[1], encoding="utf-8")))' <(printf '%s\n' "$s")
tm send-keys -t "con$n" p
until_screen "PAUSED" 5 && ok "p pauses" || not_ok "p pauses"
tm send-keys -t "con$n" p s
until_screen "sort: age" 5 && ok "s sorts by age" || not_ok "s sorts by age"
tm send-keys -t "con$n" 3
until_screen "ports to 127.0.0.1:9400" 5 && ok "3: the top lists alone (the client's ephemeral ports toward the server)" ||
	{ not_ok "3: the top lists alone"; screen | sed 's/^/# /'; }
tm send-keys -t "con$n" 4
until_screen "4 findings: 1 active" 5 && ! screen | grep -q "1 sockets per state" && ok "4: the findings alone" || not_ok "4: the findings alone"
check "4: the summary wrapped below the finding" sh -c "tmux -S '$sock' capture-pane -t con -p | grep -q 'CLOSE_WAIT'"
tm send-keys -t "con$n" '?'
until_screen "Any key returns" 5 && ok "?: the help" || not_ok "?: the help"
tm send-keys -t "con$n" x 0
until_screen "1 sockets per state" 5 && ok "a key leaves the help, 0 all panels" || not_ok "0: all panels"
tm send-keys -t "con$n" q
until_screen "EXIT=0" 10 && ok "q quits, exit 0" || { not_ok "q quits"; screen | sed 's/^/# /'; }
s=$(screen)
restored && ok "q: the terminal is canonical with echo again" || not_ok "q: the terminal is restored"
check "q: the summary is printed after the screen" grep -q "^summary: " <<<"$s"

start 132 40
until_screen "close_wait.leak" 15 || { not_ok "132x40: the finding appears"; exit 1; }
s=$(screen)
check "132x40: the screen is used (sparklines wider)" grep -Eq "CLOSE_WAIT +6 .{40,}" <<<"$s"
tm send-keys -t "con$n" C-c
until_screen "EXIT=0" 10 && ok "^C (SIGINT) ends it, exit 0" || not_ok "^C ends it"
restored && ok "^C: the terminal is restored" || not_ok "^C: the terminal is restored"

start 80 24
until_screen "1 sockets per state" 15 || { not_ok "the console starts again"; exit 1; }
pid=$(tdpid)
[ -n "$pid" ] && kill -TERM "$pid"
until_screen "EXIT=0" 10 && ok "SIGTERM ends it, exit 0" || not_ok "SIGTERM ends it"
restored && ok "SIGTERM: the terminal is restored" || { not_ok "SIGTERM: the terminal is restored"; screen | sed "s/^/# /"; }

start 60 20
until_screen "needs 80x24" 10 && ok "60x20: a notice, not a broken screen" || not_ok "60x20: a notice"
tm send-keys -t "con$n" q
until_screen "EXIT=0" 10 && ok "60x20: q quits" || not_ok "60x20: q quits"
