#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# Failed connects and connections that die young, seen by watch between
# samples, in a namespace of ours (addresses only this test uses):
#  - refused: 10 connect()s to 198.18.130.1:9, where nothing listens (the
#    RST answers the SYN);
#  - timed out: 8 connect()s to 198.18.131.9:80, whose SYNs vanish in a
#    black hole (a veth pair, see below), with tcp_syn_retries 1
#    in the namespace so each gives up after 1 + 2 s;
#  - died young: 10 connections to 198.18.130.1:9302, whose server resets
#    each at once (SO_LINGER 0).
# The records count each destination's outcomes exactly (or say what was
# lost), and the findings failed_connects.refused, failed_connects.timed_out
# and lifetimes.die_young start once each and clear after three quiet
# samples (hysteresis), in the NDJSON and in the table.
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
dir=$(tmpdir)
ns=$(mkns wef) || { not_ok "create a network namespace"; exit 1; }
ip -n "$ns" addr add 198.18.130.1/32 dev lo || { not_ok "address"; exit 1; }
# The black hole: a veth pair inside the namespace; 198.18.131.9 has a
# permanent neighbour entry with a MAC nobody owns, so each SYN leaves
# bh0, reaches bh1 and is dropped there as another host's frame: no RST,
# no ICMP, no neighbour failure.
ip -n "$ns" link add bh0 type veth peer name bh1 && ip -n "$ns" addr add 198.18.131.1/24 dev bh0 &&
	ip -n "$ns" link set bh0 up && ip -n "$ns" link set bh1 up &&
	ip -n "$ns" neigh add 198.18.131.9 lladdr 02:00:5e:00:83:09 dev bh0 nud permanent ||
	{ not_ok "the black hole (a veth pair)"; exit 1; }
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_syn_retries=1 || { not_ok "tcp_syn_retries in the namespace"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import socket, struct, sys
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("198.18.130.1", 9302)); l.listen(64)
open(sys.argv[1], "w").write("ready")
while True:
    c, _ = l.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    c.close()                                   # a RST, at once
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }

faults() {
	ip netns exec "$ns" "$PY" -c '
import socket, threading, time
def tmo():
    s = socket.socket()
    try: s.connect(("198.18.131.9", 80))
    except OSError: pass
ts = [threading.Thread(target=tmo) for i in range(8)]
for t in ts: t.start()
for i in range(10):
    try: socket.create_connection(("198.18.130.1", 9), timeout=2)
    except OSError: pass
for i in range(10):
    c = socket.create_connection(("198.18.130.1", 9302))
    try: c.recv(1)
    except OSError: pass
    c.close()
for t in ts: t.join(10)
'
}

"$TD_BIN" -N "$ns" watch -j -i 0.5 > "$dir/rec" 2> "$dir/err" &
wpid=$!
_td_pids+=("$wpid")
wait_for 15 test -s "$dir/rec" || { not_ok "the first sample"; sed 's/^/# /' "$dir/err"; exit 1; }
faults || not_ok "the faults"
# Three quiet samples clear the findings; a few more for a loaded machine.
n=$(wc -l < "$dir/rec")
wait_for 20 sh -c "[ \$(wc -l < '$dir/rec') -ge $((n + 6)) ]" || not_ok "six more samples"
kill -INT "$wpid"
wait "$wpid"
expect_eq "watch ends normally on SIGINT" "$?" 0
"$PY" - "$dir/rec" > "$dir/facts" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ev = [r["events"] for r in recs]
print("lost", sum(e["lost_notifications"] for e in ev), sum(e["lost_transitions"] or 0 for e in ev))
print("traced", int(all(e.get("traced") for e in ev)))
def dest(a, p, k):
    return sum(x[k] for e in ev for x in e["interval"]["destinations"] if x["dst"] == a and x["dport"] == p)
print("refused", dest("198.18.130.1", 9, "opened"), dest("198.18.130.1", 9, "refused"))
print("timed_out", dest("198.18.131.9", 80, "opened"), dest("198.18.131.9", 80, "timed_out"))
print("young", dest("198.18.130.1", 9302, "opened"), dest("198.18.130.1", 9302, "reset"), dest("198.18.130.1", 9302, "died_young"))
if dest("198.18.131.9", 80, "timed_out") != 8:     # say what it saw instead
    for e in ev:
        for x in e["interval"]["destinations"] + e["interval"]["listeners"]:
            print("row", json.dumps(x))
ly = sum(x["died_young"] for e in ev for x in e["interval"]["listeners"] if x["sport"] == 9302)
print("young_lsn", ly)
for key in ("failed_connects.refused 198.18.130.1:9", "failed_connects.timed_out 198.18.131.9:80",
            "lifetimes.die_young 198.18.130.1:9302"):
    new = [i for i, r in enumerate(recs) if key in r["new"]]
    clr = [i for i, r in enumerate(recs) if key in r["cleared"]]
    name = key.split()[0]
    print(name, len(new), len(clr), int(len(new) == 1 and len(clr) == 1 and clr[0] - new[0] >= 3))
PYEOF
sed 's/^/# /' "$dir/facts"
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$dir/facts"; }
read -r lost_n lost_t <<<"$(get lost)"
expect_eq "transitions traced as root" "$(get traced)" 1
if [ "$lost_n" = 0 ] && [ "$lost_t" = 0 ]; then
	expect_eq "10 connect()s refused by 198.18.130.1:9" "$(get refused)" "10 10"
	expect_eq "8 connect()s into the black hole timed out" "$(get timed_out)" "8 8"
	expect_eq "10 connections to :9302 reset, all young" "$(get young)" "10 10 10"
	expect_eq "the listener's 10 died young too" "$(get young_lsn)" 10
else
	diag "the tool reports losses (notifications $lost_n, transitions $lost_t): counts may be short"
	# What is counted is never more than what was done, and the outcome is never another's.
	read -r o r <<<"$(get refused)"; check "refused: no more than the 10" sh -c "[ $r -le 10 ] && [ $o -le 10 ]"
	read -r o r <<<"$(get timed_out)"; check "timed out: no more than the 8" sh -c "[ $r -le 8 ] && [ $o -le 8 ]"
	read -r o r y <<<"$(get young)"; check "died young: no more than the 10" sh -c "[ $y -le 10 ] && [ $o -le 10 ]"
fi
expect_eq "failed_connects.refused starts once, clears after 3 quiet samples" "$(get failed_connects.refused)" "1 1 1"
expect_eq "failed_connects.timed_out starts once, clears after 3 quiet samples" "$(get failed_connects.timed_out)" "1 1 1"
expect_eq "lifetimes.die_young starts once, clears after 3 quiet samples" "$(get lifetimes.die_young)" "1 1 1"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "watch ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=watch_record "$dir/rec"
fi

# The table: the refusals and timeouts in their columns, the findings with '+', the summary.
"$TD_BIN" -N "$ns" watch -i 0.5 > "$dir/tab" 2> "$dir/err" &
wpid=$!
_td_pids+=("$wpid")
wait_for 15 grep -qE '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' "$dir/tab" || { not_ok "the first row"; exit 1; }
faults || not_ok "the faults again"
sum() { awk -v k="$1" '/^time / { for (i = 1; i <= NF; i++) if ($i == k) c = i } /^[0-9][0-9]:/ && c { s += $c } END { print s + 0 }' "$dir/tab"; }
# Bounded: a sample can take a second on a loaded machine.
wait_for 20 sh -c "[ \$(awk '/^time / { for (i = 1; i <= NF; i++) if (\$i == \"tmout\") c = i } /^[0-9][0-9]:/ && c { s += \$c } END { print s + 0 }' '$dir/tab') -ge 8 ]"
kill -INT "$wpid"
wait "$wpid"
if [ "$lost_n" = 0 ] && [ "$lost_t" = 0 ]; then
	expect_eq "table: refused and timed-out columns" "$(sum refusd) $(sum tmout)" "10 8"
fi
check "table: the refused finding printed as it starts" grep -Eq "^  \+ (warning|critical) +failed_connects.refused" "$dir/tab"
check "table: the summary lists it" grep -q "failed_connects.timed_out 198.18.131.9:80" "$dir/tab"
