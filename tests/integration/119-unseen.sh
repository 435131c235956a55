#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# Not seeing is reported.  Run as nobody (setpriv) against root's servers:
# every command says in one stderr line how many processes it could not
# read; findings name the socket's uid and say the owner is unreadable
# instead of passing for "no owner"; check exits 3 where its verdict
# depends on the owners (close_wait groups by owner) and not where it only
# names them (accept_queue: the listener is the subject); JSON carries it
# ("unseen", "owner_unseen"), and a snapshot keeps it for --from.  With
# /proc/sys masked, the sysctls are reported unreadable and check exits 3.
# Root, the same conditions are named by process, and a listener shared by
# three processes shows three owners with their fds, like ss -p.
. "$(dirname "$0")/../lib.sh"
require_root
command -v setpriv >/dev/null || { not_ok "setpriv installed (util-linux)"; exit 1; }
"$PY" -c 'import jsonschema' 2>/dev/null || { not_ok "python3-jsonschema installed"; exit 1; }
dir=$(tmpdir)
chmod 755 "$dir"
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
validate() { "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$1"; }

# ---- CLOSE_WAIT held by a root process ----
mkns cw >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-cw
bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"leakysrv", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 19090)); l.listen(64)
cs = [socket.create_connection(("127.0.0.1", 19090)) for i in range(12)]
kept = [l.accept()[0] for i in range(12)]
for c in cs: c.close()
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "server ready"; exit 1; }
spid=$(pgrep -n -x leakysrv)

ip netns exec "$ns" "$TD_BIN" check -j > "$dir/root.json"
expect_eq "root: exit 1 (warning)" "$?" 1
expect_eq "root: the process is the subject" \
	"$("$PY" -c 'import json,sys; print([f["subject"] for f in json.load(open(sys.argv[1]))["findings"] if f["id"] == "close_wait.leak"])' "$dir/root.json")" "['leakysrv[$spid]']"

ip netns exec "$ns" "${NOBODY[@]}" "$TD_BIN" check > "$dir/table" 2> "$dir/err"
rc=$?; expect_eq "nobody: exit 3 (the verdict of close_wait depends on the owners)" "$rc" 3; [ "$rc" = 3 ] || diag "stderr: $(cat "$dir/err")"
check "nobody: one warning line counting the unreadable processes" \
	grep -qE '^tcpdoctor: check: warning: could not read [0-9]+ of [0-9]+ processes \(Permission denied\): the owners of [0-9]+ sockets are unknown' "$dir/err"
expect_eq "nobody: the warning is one line" "$(grep -c warning "$dir/err")" 1
check "nobody: stderr says why UNKNOWN" grep -q 'the verdict of close_wait depends on the owners of CLOSE_WAIT sockets' "$dir/err"
check "nobody: the table starts UNKNOWN" grep -q '^UNKNOWN: ' "$dir/table"
check "nobody: the subject is the port and the uid, owner unreadable" \
	grep -q '^WARNING  close_wait.leak  port 19090, uid 0 (owner unreadable)$' "$dir/table"

ip netns exec "$ns" "${NOBODY[@]}" "$TD_BIN" check -j > "$dir/nobody.json" 2>/dev/null
out=$("$PY" - "$dir/nobody.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
f = [x for x in d["findings"] if x["id"] == "close_wait.leak"][0]
u = d["unseen"]
print(d["status"], d["exit_status"], f["evidence"].get("uid"), f["evidence"].get("owner_unreadable"),
      "pid" in f["evidence"], u["processes_unreadable"] > 0, u["owners_unreadable"] >= 12)
PYEOF
)
expect_eq "nobody: json unknown 3, finding with uid 0 and owner_unreadable, unseen counts" "$out" "unknown 3 0 True False True True"
if out=$(validate "$dir/nobody.json" 2>&1); then ok "nobody: check json conforms to the schema"; else not_ok "nobody: check json conforms to the schema"; diag "$out"; fi
ip netns exec "$ns" "${NOBODY[@]}" "$TD_BIN" check --format prometheus > "$dir/nobody.prom" 2>/dev/null
check "nobody: prometheus status 3" grep -qx 'tcpdoctor_check_status 3' "$dir/nobody.prom"
check "nobody: prometheus counts the unreadable processes" grep -qE '^tcpdoctor_unseen\{what="processes"\} [1-9]' "$dir/nobody.prom"
if command -v promtool >/dev/null && promtool check metrics < "$dir/nobody.prom" > "$dir/promtool" 2>&1; then ok "nobody: promtool check metrics"
else not_ok "nobody: promtool check metrics"; diag "$(head -3 "$dir/promtool")"; fi

# ls -p, snapshot and watch say it too, in one line each.
ip netns exec "$ns" "${NOBODY[@]}" "$TD_BIN" ls -p state close-wait > "$dir/ls" 2> "$dir/err"
expect_eq "nobody: ls -p exits 0" "$?" 0
check "nobody: ls -p warns in one line" sh -c "[ \$(wc -l < '$dir/err') -eq 1 ] && grep -q 'ls: warning: could not read .* processes (Permission denied)' '$dir/err'"
check "nobody: ls -p says unreadable, not -" grep -q ' unreadable$' "$dir/ls"
ip netns exec "$ns" "${NOBODY[@]}" "$TD_BIN" ls -p -j state close-wait > "$dir/ls.json" 2>/dev/null
out=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sorted(set(s.get("owner_unseen") for s in d["sockets"])), d["unseen"]["owners_unreadable"])' "$dir/ls.json")
expect_eq "nobody: ls -p json: owner_unseen on each socket, counted" "$out" "['unreadable'] 12"
if out=$(validate "$dir/ls.json" 2>&1); then ok "nobody: ls json conforms to the schema"; else not_ok "nobody: ls json conforms to the schema"; diag "$out"; fi
ip netns exec "$ns" "${NOBODY[@]}" "$TD_BIN" snapshot > "$dir/snap.json" 2> "$dir/err"
expect_eq "nobody: snapshot exits 0" "$?" 0
check "nobody: snapshot warns in one line" sh -c "[ \$(wc -l < '$dir/err') -eq 1 ] && grep -q 'snapshot: warning: could not read' '$dir/err'"
"$TD_BIN" --from "$dir/snap.json" check > /dev/null 2> "$dir/err"
expect_eq "root, --from nobody's snapshot: still exit 3" "$?" 3
check "--from: says the owners were unreadable where it was taken" grep -q 'the owners of [0-9]* sockets were unreadable when the snapshot was taken' "$dir/err"
ip netns exec "$ns" "${NOBODY[@]}" "$TD_BIN" watch -n 1 -i 0.1 > /dev/null 2> "$dir/err"
# Besides, watch says once that it cannot trace the connection events (its own fact, its own line).
check "nobody: watch warns in one line" sh -c "[ \$(grep -v 'transitions not traced' '$dir/err' | wc -l) -eq 1 ] && grep -q 'watch: warning: could not read' '$dir/err'"

# ---- An accept queue full on root's listener: the owner is only named ----
mkns aq >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns2=td-$$-aq
bg ip netns exec "$ns2" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 8080)); l.listen(4)
cs = []
for i in range(12):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", 8080)); cs.append(c)
time.sleep(1.5)
for c in cs: c.close()
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready2"
wait_for 10 test -s "$dir/ready2" || { not_ok "listener ready"; exit 1; }
ip netns exec "$ns2" "${NOBODY[@]}" "$TD_BIN" check -j > "$dir/aq.json" 2> "$dir/err"
expect_eq "nobody, accept queue: exit 2 (the verdict does not depend on the owner)" "$?" 2
out=$("$PY" -c '
import json, sys
f = [x for x in json.load(open(sys.argv[1]))["findings"] if x["id"] == "accept_queue.overflow"][0]
print(f["subject"], f["evidence"].get("uid"), f["evidence"].get("owner_unreadable"), "(owner unreadable, uid 0)" in f["summary"])' "$dir/aq.json")
expect_eq "nobody, accept queue: the listener, its uid, owner unreadable" "$out" "127.0.0.1:8080 0 True True"
check "nobody, accept queue: the warning line" grep -q 'check: warning: could not read' "$dir/err"

# ---- Every sysctl unreadable (/proc/sys masked in a private mount namespace) ----
nsys=$(grep -cE '^[[:space:]]X\(' "$TD_SRCDIR/collectors/sysctl.h")	# the sysctls tcpdoctor reads
unshare -m --propagation private sh -c '
	mount -t tmpfs tdmask /proc/sys || exit 1
	"$1" check -c /dev/null -j > "$2/sys.json" 2> "$2/sys-err"; echo $? > "$2/sys-rc"
	"$1" explain time-wait > /dev/null 2> "$2/explain-err"
' sh "$TD_BIN" "$dir"
expect_eq "sysctls masked: check exits 3" "$(cat "$dir/sys-rc")" 3
check "sysctls masked: one warning line naming them" grep -q "check: warning: could not read $nsys of $nsys sysctls (No such file or directory: net.ipv4.tcp_syncookies" "$dir/sys-err"
check "sysctls masked: why UNKNOWN" grep -q 'depends on sysctl' "$dir/sys-err"
out=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], len(d["unseen"]["sysctls_unreadable"]))' "$dir/sys.json")
expect_eq "sysctls masked: json unknown, $nsys unreadable" "$out" "unknown $nsys"
check "sysctls masked: explain warns (the model assumes defaults)" grep -q "explain: warning: could not read $nsys of $nsys sysctls" "$dir/explain-err"
"$TD_BIN" check -c /dev/null > /dev/null 2> "$dir/err"
check "sysctls readable: no warning" sh -c "! grep -q 'sysctls' '$dir/err'"

# ---- One listening socket held by three processes ----
mkns sh >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns3=td-$$-sh
bg ip netns exec "$ns3" "$PY" -c '
import ctypes, os, socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 7070)); l.listen(16)
os.dup2(l.fileno(), 9)        # every process holds it as fd 9 too
for i in range(2):
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG SIGKILL: they go with the master
        ctypes.CDLL(None).prctl(15, b"worker", 0, 0, 0)
        time.sleep(600); os._exit(0)
ctypes.CDLL(None).prctl(15, b"master", 0, 0, 0)
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/ready3"
wait_for 10 test -s "$dir/ready3" || { not_ok "shared listener ready"; exit 1; }
ip netns exec "$ns3" "$TD_BIN" ls -p -H state listening > "$dir/shared"
users=$(grep -o 'users:(.*)' "$dir/shared")
expect_eq "shared: three processes, two fds each (6 entries)" "$(grep -o 'pid=' <<<"$users" | wc -l)" 6
mine=$(grep -o 'pid=[0-9]*,fd=[0-9]*' <<<"$users" | sort | tr '\n' ' ')
theirs=$(ip netns exec "$ns3" ss -ltnpH 'sport = :7070' | grep -o 'pid=[0-9]*,fd=[0-9]*' | sort | tr '\n' ' ')
expect_eq "shared: the same (pid, fd) pairs as ss -p" "$mine" "$theirs"
check "shared: the master and the workers named" sh -c "grep -q '\"master\"' '$dir/shared' && [ \$(grep -o '\"worker\"' '$dir/shared' | wc -l) -eq 4 ]"
ip netns exec "$ns3" "$TD_BIN" ls -p -j state listening > "$dir/shared.json"
out=$("$PY" -c '
import json, sys
s = json.load(open(sys.argv[1]))["sockets"][0]
o = s["owners"]
print(len(o), len(set(x["pid"] for x in o)), len(set(x["fd"] for x in o)), s["owner"]["pid"] == min(x["pid"] for x in o))' "$dir/shared.json")
expect_eq "shared: json owners: six, three pids, two fds, owner is the lowest pid" "$out" "6 3 2 True"
if out=$(validate "$dir/shared.json" 2>&1); then ok "shared: ls json conforms to the schema"; else not_ok "shared: ls json conforms to the schema"; diag "$out"; fi
ip netns exec "$ns3" "$TD_BIN" snapshot > "$dir/shared-snap.json"
"$TD_BIN" --from "$dir/shared-snap.json" ls -p -H state listening > "$dir/shared-from"
expect_eq "shared: --from replays the owners and fds" "$(cat "$dir/shared-from")" "$(cat "$dir/shared")"
