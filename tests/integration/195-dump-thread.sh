#!/bin/bash
# SPDX-License-Identifier: MIT
# A dump that goes past its first reply is read by a thread of its own
# while the caller decodes (collectors/sockdiag.c, take_threaded), on a
# machine with more than one CPU.  On a namespace of 20,000 sockets in
# issue 11's mix (bench/populate: TIME_WAIT over IPv4 and IPv6,
# ESTABLISHED, CLOSE_WAIT, FIN_WAIT2, SYN_RECV, SYN_SENT, LISTEN), ls -j,
# ls -i and check -j say the same read that way as read by one thread
# (TD_DUMP_ONE_THREAD=1) and as on one CPU (taskset); the thread is
# started (strace sees it) and a dump of a few sockets, done in its first
# reply, starts none.
. "$(dirname "$0")/../lib.sh"
require_root
t=$(tmpdir)
pop="$TD_BUILD/bench/populate"
[ -x "$pop" ] || { not_ok "$pop built"; exit 1; }
if [ "$(nproc)" -lt 2 ]; then
	[ "${CI:-}" = true ] && { not_ok "CI has more than one CPU"; exit 1; }
	skip_all "one CPU: there is no second thread to read replies"
fi
mkfifo "$t/in"
bg sh -c 'exec "$@" <> "$0"' "$t/in" "$pop" -P 0 -D 0 20000 > "$t/pready" 2> "$t/perr"
ppid=${_td_pids[-1]}
wait_for 60 grep -q '^ready ' "$t/pready" || { not_ok "populate got ready"; sed 's/^/# /' "$t/perr"; exit 1; }
nsp() { nsenter --net="/proc/$ppid/ns/net" "$@"; }
total=$(awk '{ print $2; exit }' "$t/pready")
diag "populated: $total sockets"

# norm FILE: ls -j as its sockets, one line each (sorted: the kernel may
# move a request socket between runs), check -j as its status, states and
# findings.  What time changes between runs is left out: timers, the
# findings' summaries (they give ages), TIME_WAIT sockets, which live
# 60 s from their population (a sanitizer build on one CPU takes a while),
# and connects.syn_sent, which counts the SYN_SENT sockets whose SYN was
# retransmitted some times: one more retransmission between two runs makes
# it start, or change severity (it did, under load).
norm() {
	"$PY" - "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
if "findings" not in d:
    print("count", sum(1 for s in d["sockets"] if s["state"] != "TIME_WAIT"))
    for l in sorted("%s %s %s:%s %s:%s %s %s" % (s["family"], s["state"], s["src"], s["sport"],
                    s["dst"], s["dport"], s.get("inode"), s.get("cookie"))
                    for s in d["sockets"] if s["state"] != "TIME_WAIT"):
        print(l)
else:
    print("status", d.get("status"))
    st = dict(d.get("states") or {})
    st.pop("TIME_WAIT", None)
    print("states", json.dumps(st, sort_keys=True))
    for f in d["findings"]:
        if f["id"] != "connects.syn_sent":
            print(f["id"], f["subject"], f["severity"])
PYEOF
}
for c in "ls" "check"; do
	nsp "$TD_BIN" -j $c > "$t/two" 2> "$t/two.err"; s2=$?
	[ "$c" = ls ] && cp "$t/two" "$t/ls.json"
	TD_DUMP_ONE_THREAD=1 nsp "$TD_BIN" -j $c > "$t/one" 2> "$t/one.err"; s1=$?
	nsp taskset -c 0 "$TD_BIN" -j $c > "$t/cpu" 2> "$t/cpu.err"; s0=$?
	expect_eq "$c -j: the same exit status read by two threads, by one, on one CPU" "$s2 $s2" "$s1 $s0"
	norm "$t/two" > "$t/two.n"; norm "$t/one" > "$t/one.n"; norm "$t/cpu" > "$t/cpu.n"
	lines=$(wc -l < "$t/two.n")
	if cmp -s "$t/two.n" "$t/one.n" && cmp -s "$t/two.n" "$t/cpu.n"; then
		ok "$c -j: the same sockets or findings all three ways ($lines lines)"
	else
		not_ok "$c -j: the same sockets or findings all three ways"
		{ diff "$t/one.n" "$t/two.n"; diff "$t/cpu.n" "$t/two.n"; } | head -8 |
		    while read -r l; do diag "$l"; done
	fi
done
socks=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["count"])' "$t/ls.json")
check "ls -j, first, lists every socket made ($socks of $total)" [ "${socks:-0}" -ge $((total * 99 / 100)) ]
grep -q '^close_wait\|^time_wait\|^accept_queue\|^syn' "$t/two.n" && ok "check finds the mix's conditions" ||
    { not_ok "check finds the mix's conditions"; head -5 "$t/two.n" | while read -r l; do diag "$l"; done; }

# The thread: one a dump for 20,000 sockets (ls dumps IPv4, then IPv6, and
# asks for no owners: no other thread); none for a namespace of a few
# sockets.  Counted against that empty namespace's run: a sanitizer build
# starts a task of its own at exit (LeakSanitizer's tracer).
clones() { grep -c 'clone' "$1"; }
ns=$(mkns few) || { not_ok "create namespace"; exit 1; }
ip netns exec "$ns" strace -f -qq -e trace=clone,clone3 -o "$t/st0" "$TD_BIN" ls > /dev/null 2>&1
TD_DUMP_ONE_THREAD=1 ip netns exec "$ns" strace -f -qq -e trace=clone,clone3 -o "$t/st00" "$TD_BIN" ls > /dev/null 2>&1
base=$(clones "$t/st00")
expect_eq "an empty namespace's dump, done in its first reply, starts no thread" "$(clones "$t/st0")" "$base"
nsp strace -f -qq -e trace=clone,clone3 -o "$t/st" "$TD_BIN" ls > /dev/null 2>&1
expect_eq "ls on 20,000 sockets starts a thread for the replies of each family's dump" \
    "$(clones "$t/st")" $((base + 2))
TD_DUMP_ONE_THREAD=1 nsp strace -f -qq -e trace=clone,clone3 -o "$t/st1" "$TD_BIN" ls > /dev/null 2>&1
expect_eq "with TD_DUMP_ONE_THREAD=1 none" "$(clones "$t/st1")" "$base"
