#!/bin/bash
# SPDX-License-Identifier: MIT
# Text of outside origin never reaches the terminal raw: a process that
# names itself with an escape sequence (written to /proc/self/comm, as
# prctl(PR_SET_NAME) does) or with bytes that are not UTF-8 is shown
# escaped by `ls -p`; snapshot strings, configuration and sysctl file lines
# likewise in tables and messages.  Valid UTF-8 names stay intact; JSON
# keeps its own escaping.
. "$(dirname "$0")/../lib.sh"
t=$(tmpdir)
ESC=$'\x1b'
# raw_free FILE: no control byte other than tab and newline, no invalid UTF-8.
raw_free() {
	"$PY" -c 'import sys
b = open(sys.argv[1], "rb").read()
b.decode("utf-8")
sys.exit(any(c < 32 and c not in (9, 10) or c == 127 for c in b))' "$1"
}

# ---- live process names ----
if [ "$(id -u)" -eq 0 ] && command -v ip > /dev/null; then
	ns=$(mkns esc) || { not_ok "create namespace"; exit 1; }
	# name PORT NAME-BYTES(python bytes literal): a listener whose comm is NAME.
	name() {
		bg ip netns exec "$ns" "$PY" -c 'import os, socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1)
with open("/proc/self/comm", "wb") as f:
    f.write(eval(sys.argv[2]))
open(sys.argv[3], "w").write("ready")
time.sleep(60)' "$1" "$2" "$t/ready.$1"
		wait_for 10 test -s "$t/ready.$1" || not_ok "listener $1 ready"
	}
	name 7101 'b"ev\x1b[31mil"'
	name 7102 'b"bad\xff\xfeutf"'
	name 7103 'b"h\xc3\xa9llo"'
	name 7104 'b"tab\tname"'
	"$TD_BIN" -N "$ns" ls -p > "$t/ls"
	check "ls -p: the output holds no raw control byte or invalid UTF-8" raw_free "$t/ls"
	check "ls -p shows the escape sequence escaped" \
		grep -qF 'users:(("ev\x1b[31mil",pid=' "$t/ls"
	check "ls -p shows bytes that are not UTF-8 as \\xHH" \
		grep -qF 'users:(("bad\xff\xfeutf",pid=' "$t/ls"
	check "ls -p keeps a valid UTF-8 name intact" grep -qF 'users:(("héllo",pid=' "$t/ls"
	check "ls -p: a tab in a name is shown escaped" \
		grep -qF 'users:(("tab\x09name",pid=' "$t/ls"
	"$TD_BIN" -N "$ns" ls -p -j > "$t/ls.json"
	check "ls -p -j keeps JSON's own escape (\\u001b)" grep -qiF '"comm":"ev\u001b[31mil"' "$t/ls.json"
	check "ls -p -j holds no raw control byte" raw_free "$t/ls.json"
	# A namespace name with an escape, in a message.
	"$TD_BIN" -N "bad${ESC}[2Jns" ls > /dev/null 2> "$t/err"
	check "a message quoting a namespace name escapes it" grep -qF "'bad\\x1b[2Jns'" "$t/err"
	check "the message holds no raw control byte" raw_free "$t/err"
else
	skip "live process names need root (a namespace of our own)"
fi

# ---- snapshot strings ----
"$PY" "$TD_SRCDIR/tests/helpers/synthsnap.py" comm 'a\x1b]0;owned\x07b' "$t/comm.json"
"$TD_BIN" --from "$t/comm.json" ls -p > "$t/out"
check "ls -p --from: the snapshot's process name is escaped" \
	grep -qF 'users:(("a\x1b]0;owned\x07b",pid=4242))' "$t/out"
check "ls -p --from: no raw control byte" raw_free "$t/out"
"$PY" "$TD_SRCDIR/tests/helpers/synthsnap.py" host 'h\x1b[2Jx\u00e9' "$t/host.json"
for args in "check" "summary"; do
	# shellcheck disable=SC2086
	"$TD_BIN" --from "$t/host.json" $args > "$t/out"
	check "$args --from: the snapshot's host/netns escaped, é intact" grep -qF 'h\x1b[2Jxé' "$t/out"
	check "$args --from: no raw control byte" raw_free "$t/out"
done

# ---- configuration and sysctl files ----
printf '[close_wait]\nfoo\033]0;pwned\007 = 1\n' > "$t/bad.conf"
"$TD_BIN" --from "$t/comm.json" check -c "$t/bad.conf" > /dev/null 2> "$t/err"
check "a config line with an escape is reported escaped" \
	grep -qF "unknown key 'foo\\x1b]0;pwned\\x07'" "$t/err"
check "the config message holds no raw control byte" raw_free "$t/err"
printf 'net.ipv4.tcp_fin_timeout = 30\nnet.ipv4.tcp_\033[2Jx = 1\n' > "$t/bad.sysctl"
"$TD_BIN" tune --audit "$t/bad.sysctl" > "$t/out" 2> "$t/err"
check "tune --audit shows a sysctl line with an escape escaped" \
	grep -qF 'net.ipv4.tcp_\x1b[2Jx = 1' "$t/out"
check "tune --audit output holds no raw control byte" raw_free "$t/out"
