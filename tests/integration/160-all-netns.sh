#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch), which sees the packets of every namespace; and -A sees every namespace
# -A / --all-netns: several namespaces at once, named (ip netns) and
# unnamed (held only by processes the test starts, one of them by two),
# each with its own listener and, in one, a CLOSE_WAIT leak.  ls, summary,
# check and tune run once per namespace and say which; the unnamed one is
# found once (dedup by inode); namespaces removed in the middle of a walk
# are reported and counted, never fatal.
. "$(dirname "$0")/../lib.sh"
require_root
command -v unshare >/dev/null && command -v nsenter >/dev/null || skip_all "needs unshare and nsenter (util-linux)"
mkns a >/dev/null || { not_ok "create namespace a"; exit 1; }
mkns b >/dev/null || { not_ok "create namespace b"; exit 1; }
a=td-$$-a b=td-$$-b
dir=$(tmpdir)

listener='
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(8)
open(sys.argv[2], "w").write("ready")
time.sleep(600)
'
bg ip netns exec "$a" "$PY" -c "$listener" 7001 "$dir/ra"
bg ip netns exec "$b" "$PY" -c "$listener" 7002 "$dir/rb"
# The unnamed namespace: unshare makes it, the listener holds it, and a
# second process (nsenter) holds it too.
bg unshare -n sh -c 'ip link set lo up && exec "$0" -c "$1" 7003 "$2"' "$PY" "$listener" "$dir/ru"
upid=$BG_PID
wait_for 10 test -s "$dir/ra" -a -s "$dir/rb" -a -s "$dir/ru" || { not_ok "listeners ready"; exit 1; }
bg nsenter -t "$upid" -n sleep 600
hpid=$BG_PID
uino=$(stat -L -c %i "/proc/$upid/ns/net")
ains=$(ip netns exec "$a" stat -L -c %i /proc/self/ns/net)
# The CLOSE_WAIT leak, in b only.
bg ip netns exec "$b" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"leakysrv", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 9000)); l.listen(64)
cs = [socket.create_connection(("127.0.0.1", 9000)) for i in range(8)]
kept = [l.accept()[0] for i in range(8)]
for c in cs: c.close()
time.sleep(0.3)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/rleak"
wait_for 10 test -s "$dir/rleak" || { not_ok "leak ready"; exit 1; }

F="td-$$-*,$uino"
# Run from inside a: the caller's own namespace comes first, under its name.
td() { ip netns exec "$a" "$TD_BIN" "$@"; }

td -A --netns-filter "$F" ls -H state listen > "$dir/ls" 2> "$dir/err"
expect_eq "ls -A exits 0" "$?" 0
expect_eq "three namespace headers, in order (caller's, named, unnamed)" \
	"$(grep '^# netns ' "$dir/ls" | grep -v found | sed 's/ (inode.*//')" \
	"$(printf '# netns %s\n# netns %s\n# netns pid:%s' "$a" "$b" "$upid")"
sect() { awk -v h="# netns $1 " 'index($0, h) == 1 { on = 1; next } /^# netns/ { on = 0 } on' "$dir/ls"; }
check "7001 listed under a" grep -q "127.0.0.1:7001" <(sect "$a")
check "7002 listed under b" grep -q "127.0.0.1:7002" <(sect "$b")
check "7003 listed under the unnamed one" grep -q "127.0.0.1:7003" <(sect "pid:$upid")
check "7003 not under a" bash -c "! grep -q :7003 <<< \"\$1\"" _ "$(sect "$a")"
check "counts line" grep -qx "# netns: 3 found, 3 seen, 0 vanished, 0 not entered" "$dir/ls"
check "inode in the header" grep -q "^# netns pid:$upid (inode $uino)" "$dir/ls"

td -A -j --netns-filter "$F" ls state listen > "$dir/ls.json"
expect_eq "ls -A -j exits 0" "$?" 0
"$PY" - "$dir/ls.json" "$uino" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
print("all", d["all_netns"], d["netns"], d["netns_found"], d["netns_seen"], len(d["netns_unseen"]))
inos = [x["meta"]["netns_ino"] for x in d["namespaces"]]
print("uino_once", inos.count(int(sys.argv[2])))
for x in d["namespaces"]:
    print("ports", x["netns"], " ".join(sorted(str(s["sport"]) for s in x["sockets"])))
PYEOF
get() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$dir/facts"; }
expect_eq "json: joined document" "$(get all)" "True * 3 3 0"
expect_eq "json: the unnamed namespace found once (two processes hold it)" "$(get uino_once)" 1
expect_eq "json: each namespace its own sockets" "$(get ports)" \
	"$(printf '%s 7001\n%s 7002 9000\npid:%s 7003' "$a" "$b" "$upid")"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "json: conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/ls.json"
	"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["namespaces"][0]["count"]="x"; json.dump(d,open(sys.argv[2],"w"))' "$dir/ls.json" "$dir/bad.json"
	if "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/bad.json" >/dev/null; then
		not_ok "the schema checks the inner documents"; else ok "the schema checks the inner documents"; fi
else
	skip "needs python3-jsonschema"; skip "needs python3-jsonschema"
fi

td -A --netns-filter "$F" --format ndjson ls state listen > "$dir/ls.nd"
expect_eq "ndjson: every line names its namespace" \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted(json.loads(l)["netns"] for l in open(sys.argv[1]))))' "$dir/ls.nd")" \
	"$(printf '%s\n' "$a" "$b" "$b" "pid:$upid" | sort | tr '\n' ' ' | sed 's/ $//')"

# check: the leak is b's; a and the unnamed one are healthy and silent.
td -A -j --netns-filter "$F" check > "$dir/check.json"
expect_eq "check -A exits 1 (the worst: b's warning)" "$?" 1
"$PY" - "$dir/check.json" > "$dir/cfacts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["namespaces"]:
    ids = sorted(f["id"] for f in x["findings"] if f["severity"] != "info")
    print("ns", x["netns"], x["status"], ",".join(ids) or "-")
PYEOF
expect_eq "check: the leak in b, the others OK" "$(cat "$dir/cfacts")" \
	"$(printf 'ns %s ok -\nns %s warning close_wait.leak\nns pid:%s ok -' "$a" "$b" "$upid")"
td -A --netns-filter "$b" check > "$dir/check.txt"
check "check table: the section names the namespace" grep -q "^WARNING: .*, netns $b," "$dir/check.txt"
td -A --netns-filter "$b" summary > "$dir/sum.txt"
check "summary: per namespace" grep -q "CLOSE_WAIT" "$dir/sum.txt"
td -A --netns-filter "pid:$upid" tune > "$dir/tune.txt"
expect_eq "tune -A exits 0" "$?" 0
check "tune: the namespace's snippet" grep -q "network namespace pid:$upid" "$dir/tune.txt"

# watch: every namespace each sample, each with its own memory.
td -A --netns-filter "$F" watch -i 0.5 -n 2 > "$dir/watch.txt"
expect_eq "watch -A exits 0" "$?" 0
expect_eq "watch -A: a row per namespace per sample" \
	"$(grep -E "^($a|$b|pid:$upid) " "$dir/watch.txt" | awk '{ print $1 }' | tr '\n' ' ')" \
	"$a $b pid:$upid $a $b pid:$upid "
expect_eq "watch -A: one header" "$(grep -c '^netns  *time ' "$dir/watch.txt")" 1
check "watch -A: b's leak appears under b" grep -q "^  + warning  close_wait.leak: " "$dir/watch.txt"
td -A -j --netns-filter "$F" watch -i 0.5 -n 2 > "$dir/watch.nd"
expect_eq "watch -A -j: records by namespace, rates from the second sample on" \
	"$("$PY" -c 'import json,sys
for l in open(sys.argv[1]):
    d = json.loads(l); print(d["netns"], d["interval_s"] is not None)' "$dir/watch.nd" | tr '\n' ' ')" \
	"$a False $b False pid:$upid False $a True $b True pid:$upid True "

# Errors: one line, status 64.
for args in "-A -N $a ls" "-A --netns-pid $upid ls" "-A trace" "-A sim" "--netns-filter x ls" \
	"-A ls -j" "-A --netns-filter , ls" "-A --format prometheus ls"; do
	# shellcheck disable=SC2086
	"$TD_BIN" $args > /dev/null 2> "$dir/e"
	expect_eq "'$args' exits 64" "$?" 64
	expect_eq "'$args': one line" "$(wc -l < "$dir/e")" 1
done
"$TD_BIN" -A --from "$dir/ls.json" ls > /dev/null 2> "$dir/e"
expect_eq "-A --from a document that is no whole-host snapshot: 65" "$?" 65
check "says so" grep -q "not a whole-host snapshot" "$dir/e"

# A whole-host snapshot replays with --from (and -A), like the live run.
td -A --netns-filter "$F" snapshot > "$dir/whole.json"
expect_eq "-A snapshot exits 0" "$?" 0
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "whole-host snapshot conforms" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/whole.json"
else
	skip "needs python3-jsonschema"
fi
td -A --netns-filter "$F" ls -H state listen > "$dir/live.txt"
"$TD_BIN" -A --from "$dir/whole.json" ls -H state listen > "$dir/replay.txt"
expect_eq "replayed ls = live ls, namespace by namespace" "$(cat "$dir/replay.txt")" "$(cat "$dir/live.txt")"
"$TD_BIN" -A --netns-filter "$b" --from "$dir/whole.json" check > "$dir/rcheck.txt"
expect_eq "replayed check of b exits 1" "$?" 1
check "replayed check names the namespace" grep -q "^WARNING: .*, netns $b," "$dir/rcheck.txt"
"$TD_BIN" --from "$dir/whole.json" ls > /dev/null 2> "$dir/e"
expect_eq "without -A: 65" "$?" 65
check "without -A: says to use -A" grep -q "replay it with -A" "$dir/e"
td -A snapshot -o "$dir/x.json" > /dev/null 2>&1
expect_eq "-A snapshot -o: 64" "$?" 64
td -A --netns-filter "$F" --format nagios check > "$dir/n"
expect_eq "-A check --format nagios: the worst status (b's warning)" "$?" 1
expect_eq "nagios: one line for the host" "$(head -1 "$dir/n")" \
	"TCPDOCTOR WARNING - 3 network namespaces: 0 critical, 1 warning, 0 unknown, 2 ok"
check "nagios: each namespace's line as long output" grep -q "^netns $b: TCPDOCTOR WARNING - close_wait.leak: " "$dir/n"
expect_eq "nagios: no perfdata in the long output" "$(tail -n +2 "$dir/n" | grep -c '|')" 0

# A filter that matches nothing: said, not an error.
"$TD_BIN" -A --netns-filter "td-$$-nothing" ls > "$dir/none" 2> "$dir/e"
expect_eq "no match exits 0" "$?" 0
check "no match is said" grep -q "matches no namespace" "$dir/e"

# Removed in the middle of the walk: the caller's namespace (a) comes first
# and lists 3000 sockets into a pipe nobody reads until b is deleted and
# the unnamed namespace's holders are gone; -A must go on, say so, count.
bg ip netns exec "$a" "$PY" -c '
import resource, socket, sys, time
resource.setrlimit(resource.RLIMIT_NOFILE, (4096, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
ls = []
for i in range(3000):
    s = socket.socket(); s.bind(("127.0.0.1", 20000 + i)); s.listen(1); ls.append(s)
open(sys.argv[1], "w").write("ready")
time.sleep(600)
' "$dir/rmany"
wait_for 20 test -s "$dir/rmany" || { not_ok "3000 listeners ready"; exit 1; }
gone() { ! stat -L "/proc/$upid/ns/net" >/dev/null 2>&1 && ! stat -L "/proc/$hpid/ns/net" >/dev/null 2>&1; }
{ td -A --netns-filter "$F" ls 2> "$dir/verr"; echo "status $?" >> "$dir/vstatus"; } | {
	IFS= read -r first
	echo "$first" > "$dir/vfirst"
	ip netns del "$b"
	kill "$upid" "$hpid"
	wait_for 10 gone
	cat > "$dir/vrest"
}
expect_eq "vanished: exits 0" "$(cat "$dir/vstatus")" "status 0"
expect_eq "vanished: a was listed first" "$(cat "$dir/vfirst")" "# netns $a (inode $ains)"
check "vanished: the 3000 sockets of a were listed" test "$(grep -c '127.0.0.1:2[0-9]\{4\} ' "$dir/vrest")" -ge 3000
check "vanished: counted" grep -qx "# netns: 3 found, 1 seen, 2 vanished, 0 not entered" "$dir/vrest"
check "vanished: b reported" grep -q "netns '$b' (inode [0-9]*): vanished" "$dir/verr"
check "vanished: the unnamed one reported" grep -q "netns 'pid:$upid' (inode $uino): vanished" "$dir/verr"
