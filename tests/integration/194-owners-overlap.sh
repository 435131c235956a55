#!/bin/bash
# SPDX-License-Identifier: MIT
# check scans /proc for owners in a thread while the kernel dumps the
# sockets that need none (collectors/source.c, walk_with_owners), on a
# machine with more than one CPU.  The answer must be the one the single
# thread gives (TD_OWNERS_SEQUENTIAL=1): in a namespace of ours, a server
# that never closes what it accepted (30 CLOSE_WAIT, its leak), a client
# process holding 20 established connections, a listener, TIME_WAIT.  Both
# ways, check -j must report the same findings with the same owners and
# evidence, and the same sockets per state (the unit test source_test.c
# compares the error of a /proc that cannot be read).  And ls -p names the
# same holders with the /proc scan shared by threads as with one.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns ovl) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
port=47194
[ "$(nproc)" -gt 1 ] || diag "one CPU: both runs take the single thread"
bg ip netns exec "$ns" "$PY" -c '
import socket, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", '"$port"')); l.listen(128)
kept = []
while True:
    c, _ = l.accept(); kept.append(c)'
srv=$BG_PID
wait_for 10 sh -c "ip netns exec $ns ss -ltnH 'sport = :$port' | grep -q LISTEN" || { not_ok "server listening"; exit 1; }
bg ip netns exec "$ns" "$PY" -c '
import socket, time
held = [socket.create_connection(("127.0.0.1", '"$port"')) for i in range(20)]
for i in range(30):
    socket.create_connection(("127.0.0.1", '"$port"')).close()
print("ready", flush=True)
time.sleep(600)' > "$t/cli"
cli=$BG_PID
wait_for 10 grep -q ready "$t/cli" || { not_ok "clients connected"; exit 1; }
wait_for 10 sh -c "[ \$(ip netns exec $ns ss -tanH state close-wait | wc -l) -ge 30 ]" || not_ok "30 CLOSE_WAIT"

# norm FILE: the findings (id, subject, severity, summary, evidence) and the states, as one text.
norm() {
	"$PY" - "$1" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("status", d.get("status"))
print("states", json.dumps(d.get("states"), sort_keys=True))
for f in d["findings"]:
    print(f["id"], f["subject"], f["severity"], f["summary"], json.dumps(f["evidence"], sort_keys=True))
PYEOF
}
"$TD_BIN" -N "$ns" check -j > "$t/par" 2> "$t/par.err"; st_par=$?
TD_OWNERS_SEQUENTIAL=1 "$TD_BIN" -N "$ns" check -j > "$t/seq" 2> "$t/seq.err"; st_seq=$?
expect_eq "the same exit status both ways" "$st_par" "$st_seq"
norm "$t/par" > "$t/par.n"; norm "$t/seq" > "$t/seq.n"
while read -r l; do diag "$l"; done < "$t/par.n"
check "the leak is found, owned by the server ($srv)" grep -q "^close_wait.leak .*\[$srv\]" "$t/par.n"
if cmp -s "$t/par.n" "$t/seq.n"; then ok "the same findings, owners, evidence and states both ways"
else not_ok "the same findings, owners, evidence and states both ways"; diff "$t/seq.n" "$t/par.n" | head -10 | while read -r l; do diag "$l"; done; fi
check "the same warnings both ways" cmp -s "$t/par.err" "$t/seq.err"

# ls -p: the /proc scan shared by one thread per CPU (procs_scan_threads)
# names the same holders, socket by socket, as one thread does; the client's
# 20 established ends are its own.
"$TD_BIN" -N "$ns" ls -p -H > "$t/ls-par" 2> "$t/ls-par.err"; st_par=$?
TD_OWNERS_SEQUENTIAL=1 "$TD_BIN" -N "$ns" ls -p -H > "$t/ls-seq" 2> "$t/ls-seq.err"; st_seq=$?
expect_eq "ls -p: exit 0 both ways" "$st_par $st_seq" "0 0"
check "ls -p: the client's 20 established ends named by its PID ($cli)" \
    [ "$(grep -c "ESTAB.*pid=$cli," "$t/ls-par")" -eq 20 ]
if cmp -s <(sort "$t/ls-par") <(sort "$t/ls-seq"); then ok "ls -p: the same sockets and holders both ways"
else not_ok "ls -p: the same sockets and holders both ways"; diff <(sort "$t/ls-seq") <(sort "$t/ls-par") | head -10 | while read -r l; do diag "$l"; done; fi
