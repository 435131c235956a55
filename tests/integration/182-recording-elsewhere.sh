#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# "An incident recorded on one machine plays back on another": a recording
# is self-contained.  In namespace A (net.core.somaxconn=8, tcp_fin_timeout
# 7) a listen(128) capped at 8 overflows (the server never accepts, 40
# clients connect); watch --record records it.  Then, in a fresh
# namespace B whose sysctls differ (somaxconn 4096, tcp_fin_timeout 60)
# and under another host name (a UTS namespace of ours), with --proc-root
# pointing at an empty directory (any read of /proc/sys or /proc/net
# fails there), --from RECORDING check, summary and ls must answer exactly
# as the live run did: the same findings, the recorded somaxconn (8) in
# the advice, the recorded host, namespace, kernel and sysctls.
. "$(dirname "$0")/../lib.sh"
require_root
command -v unshare >/dev/null || { not_ok "unshare (util-linux)"; exit 1; }
t=$(tmpdir)
a=$(mkns rea) || { not_ok "create namespace A"; exit 1; }
b=$(mkns reb) || { not_ok "create namespace B"; exit 1; }
ip netns exec "$a" sysctl -qw net.core.somaxconn=8 net.ipv4.tcp_fin_timeout=7 ||
	{ not_ok "sysctls in namespace A"; exit 1; }
ip netns exec "$b" sysctl -qw net.core.somaxconn=4096 net.ipv4.tcp_fin_timeout=60 ||
	{ not_ok "sysctls in namespace B"; exit 1; }
bg ip netns exec "$a" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 9182)); l.listen(128)
cs = []
for i in range(40):
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 9182))
    except BlockingIOError: pass
    cs.append(c)
open(sys.argv[1], "w").write("ready")
time.sleep(600)' "$t/ready"
wait_for 10 test -s "$t/ready" || { not_ok "clients started"; exit 1; }
wait_for 10 sh -c "[ \$(ip netns exec $a nstat -az TcpExtListenOverflows | awk '/ListenOverflows/ { print \$2 }') -gt 0 ]" ||
	{ not_ok "the listener overflows"; exit 1; }
"$TD_BIN" -N "$a" watch -j -i 0.5 -n 3 --record "$t/rec" > "$t/live" 2> "$t/live.err"
expect_eq "watch --record in A exits 0" "$?" 0
"$TD_BIN" -N "$a" check -j > "$t/live.check"
"$TD_BIN" -N "$a" summary -j > "$t/live.summary"

# Elsewhere: namespace B, another host name, no /proc to read.
mkdir -p "$t/empty"
elsewhere() {
	ip netns exec "$b" unshare --uts sh -c 'hostname elsewhere.invalid && exec "$@"' _ \
		"$TD_BIN" --proc-root "$t/empty" --from "$t/rec" "$@"
}
elsewhere check -j > "$t/there.check" 2> "$t/there.check.err"
st=$?
elsewhere summary -j > "$t/there.summary" 2> "$t/there.summary.err"
expect_eq "summary elsewhere exits 0" "$?" 0
elsewhere ls -j > "$t/there.ls" 2> /dev/null
expect_eq "ls elsewhere exits 0" "$?" 0
elsewhere snapshot -o "$t/there.snap" 2> /dev/null
expect_eq "snapshot elsewhere exits 0" "$?" 0
zstdcat "$t/there.snap" > "$t/there.snap.json"
zstdcat "$t/rec" | "$PY" -c '
import json, sys
last = [r for r in map(json.loads, sys.stdin) if r["type"] == "sample"][-1]
json.dump(last, sys.stdout)' > "$t/rec.last"
expect_eq "check elsewhere: the live run's exit status" "$st" "$(tail -1 "$t/live" | "$PY" -c 'import json, sys; print({"ok": 0, "warning": 1, "critical": 2}.get(json.load(sys.stdin)["status"], 3))')"
"$PY" - "$t/live" "$t/live.summary" "$t/there.check" "$t/there.summary" "$t/there.ls" "$t/there.snap.json" "$t/rec.last" > "$t/facts" <<'PYEOF'
import json, sys
live = [json.loads(l) for l in open(sys.argv[1])][-1]
lsum = json.load(open(sys.argv[2]))
chk = json.load(open(sys.argv[3]))
summ = json.load(open(sys.argv[4]))
ls = json.load(open(sys.argv[5]))
snap = json.load(open(sys.argv[6]))
rec = json.load(open(sys.argv[7]))
key = lambda f: (f["id"], f.get("subject", ""))
print("findings", int(sorted(map(key, chk["findings"])) == sorted(map(key, live["findings"])) and len(live["findings"]) > 0))
ov = [x for x in chk["findings"] if x["id"] == "accept_queue.overflow"]
reco = {r["key"]: r["current"] for f in ov for r in f["recommendations"]}
print("somaxconn", reco.get("net.core.somaxconn"))
print("backlog", ov[0]["evidence"]["backlog"] if ov else None)
print("host", int(chk["host"] == lsum["host"] and summ["host"] == lsum["host"]))
print("netns", chk["netns"], summ["netns"])
print("kernel", int(chk["kernel"] == lsum["kernel"]))
print("sysctls", int(snap["sysctls"] == rec["sysctls"] and len(rec["sysctls"]) > 0))
print("counters", int(snap["counters"] == rec["counters"] and len(summ["counters"]) > 0 and
      all(rec["counters"].get(k) == v for k, v in summ["counters"].items())))
print("recorded", rec["sysctls"]["net.core.somaxconn"], rec["sysctls"]["net.ipv4.tcp_fin_timeout"],
      snap["sysctls"]["net.core.somaxconn"], snap["sysctls"]["net.ipv4.tcp_fin_timeout"])
print("sockets", int(len(ls["sockets"]) == live["sockets"]))
PYEOF
sed 's/^/# /' "$t/facts"
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$t/facts"; }
expect_eq "check elsewhere: the findings the live run reported" "$(get findings)" 1
expect_eq "the advice quotes the recorded somaxconn (8), not B's 4096" "$(get somaxconn)" 8
expect_eq "the backlog is the recorded one, capped by A's somaxconn" "$(get backlog)" 8
expect_eq "the recorded host, not elsewhere.invalid" "$(get host)" 1
expect_eq "the recorded namespace" "$(get netns)" "$a $a"
expect_eq "the recorded kernel" "$(get kernel)" 1
expect_eq "snapshot elsewhere: the recorded sysctls, all of them" "$(get sysctls)" 1
expect_eq "snapshot and summary elsewhere: the recorded counters" "$(get counters)" 1
expect_eq "A's somaxconn and tcp_fin_timeout are in the recording, and answer elsewhere" "$(get recorded)" "8 7 8 7"
expect_eq "ls elsewhere: every recorded socket" "$(get sockets)" 1
check "nothing was read from this host's /proc (no warning about it)" sh -c "! grep -qi 'proc' '$t/there.check.err' '$t/there.summary.err'"
