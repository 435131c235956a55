#!/bin/bash
# SPDX-License-Identifier: MIT
# Owners by cgroup, across namespaces (the done-when of issue 12): real
# cgroups made under the cgroup2 mount with the paths a container runtime
# and systemd make, processes placed in them before they open sockets, and
# one condition planted per namespace:
#   shop (named)     a Kubernetes pod (containerd, systemd driver) whose
#                    "java" leaks CLOSE_WAIT on :8080; the kubelet's pod log
#                    directory names it shop/cart-7f9c
#   unnamed          a Docker container whose listener :8081 overflows
#   tw (named)       ephemeral ports exhausted by TIME_WAIT (test-foo.service)
#   ok (named)       healthy.service: a listener shared by three processes
# One `check --all-netns` names the namespace and the container of each, and
# is silent on the healthy one; ls -c shows who runs where, the filter
# words select by cgroup, unit, container and pod; ls -p lists every owner
# of the shared listener.  Everything is removed at exit.
. "$(dirname "$0")/../lib.sh"
require_root
cg2=$(awk -F ' - ' '$2 ~ /^cgroup2 / { split($1, f, " "); print f[5]; exit }' /proc/self/mountinfo)
[ -n "$cg2" ] && [ -w "$cg2" ] || skip_all "needs a writable cgroup2 mount"
dir=$(tmpdir)
ID1=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ID2=fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210
UID_=9f3c2a1e-7b4d-4e8f-a1b2-c3d4e5f6$(printf '%04x' $(($$ % 65536)))
top=td-$$.slice
pod="$top/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_//-/_}.slice/cri-containerd-$ID2.scope"
dock="$top/docker-$ID1.scope"
cgs=("$pod" "$dock" "$top/test-foo.service" "$top/healthy.service")
made_pods=""
[ -d /var/log/pods ] || { mkdir -p /var/log/pods && made_pods=1; }
podlog="/var/log/pods/shop_cart-7f9c_$UID_"
cg_cleanup() {
	_td_cleanup
	local c i
	rm -rf "$podlog"
	[ -n "$made_pods" ] && rmdir /var/log/pods 2>/dev/null
	# Deepest first; a process that is still exiting gets a bounded wait.
	for c in "$pod" "$dock" "$top/test-foo.service" "$top/healthy.service" \
		"${pod%/*}" "${pod%/*/*}" "${pod%/*/*/*}" "$top"; do
		for i in $(seq 50); do rmdir "$cg2/$c" 2>/dev/null && break; [ -d "$cg2/$c" ] || break; sleep 0.1; done
	done
}
trap cg_cleanup EXIT
for c in "${cgs[@]}"; do mkdir -p "$cg2/$c" || { not_ok "mkdir $cg2/$c"; exit 1; }; done
mkdir -p "$podlog"

mkns shop >/dev/null && mkns tw >/dev/null && mkns ok >/dev/null || { not_ok "namespaces"; exit 1; }
shop=td-$$-shop tw=td-$$-tw okns=td-$$-ok

# Each process joins its cgroup first: a socket keeps the cgroup it was made
# in.  nsenter, not ip netns exec: that one mounts a fresh /sys, without the
# cgroup2 mount under it.
join='import os, sys; open(sys.argv[1] + "/cgroup.procs", "w").write(str(os.getpid()))'

bg nsenter --net="/run/netns/$shop" "$PY" -c "$join"'
import ctypes, socket, time
ctypes.CDLL(None).prctl(15, b"java", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 8080)); l.listen(64)
cs = [socket.create_connection(("127.0.0.1", 8080)) for i in range(8)]
kept = [l.accept()[0] for i in range(8)]
for c in cs: c.close()
time.sleep(0.3)
open(sys.argv[2], "w").write("ready")
time.sleep(600)' "$cg2/$pod" "$dir/r1"

bg unshare -n sh -c 'ip link set lo up && exec "$0" -c "$1" "$2" "$3"' "$PY" "$join"'
import ctypes, socket, time
ctypes.CDLL(None).prctl(15, b"web", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 8081)); l.listen(4)
cs = []
for i in range(20):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", 8081)); cs.append(c)
time.sleep(1.5)
for c in cs: c.close()
open(sys.argv[2], "w").write("ready")
time.sleep(600)' "$cg2/$dock" "$dir/r2"
upid=$BG_PID

ip netns exec "$tw" sysctl -qw net.ipv4.ip_local_port_range="40000 40009" net.ipv4.tcp_tw_reuse=0 ||
	{ not_ok "sysctls in tw"; exit 1; }
bg nsenter --net="/run/netns/$tw" "$PY" -c "$join"'
import errno, socket, threading, time
def serve():
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    l.bind(("127.0.0.1", 7000)); l.listen(64)
    while True:
        c, _ = l.accept(); c.recv(1); c.close()
threading.Thread(target=serve, daemon=True).start()
time.sleep(0.3)
for i in range(12):
    c = socket.socket()
    try: c.connect(("127.0.0.1", 7000)); c.close()
    except OSError: break
time.sleep(0.3)
open(sys.argv[2], "w").write("ready")
time.sleep(600)' "$cg2/$top/test-foo.service" "$dir/r3"

bg nsenter --net="/run/netns/$okns" "$PY" -c "$join"'
import ctypes, os, signal, socket, time
ctypes.CDLL(None).prctl(15, b"srv", 0, 0, 0)
l = socket.socket(); l.bind(("127.0.0.1", 8082)); l.listen(16)
for i in range(2):
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)      # PR_SET_PDEATHSIG: go with the parent
        time.sleep(600); os._exit(0)
c = socket.create_connection(("127.0.0.1", 8082)); a = l.accept()[0]
time.sleep(0.3)
open(sys.argv[2], "w").write("ready")
time.sleep(600)' "$cg2/$top/healthy.service" "$dir/r4"
okpid=$BG_PID

wait_for 15 test -s "$dir/r1" -a -s "$dir/r2" -a -s "$dir/r3" -a -s "$dir/r4" || { not_ok "workloads ready"; exit 1; }
uino=$(stat -L -c %i "/proc/$upid/ns/net")
jpid=$(pgrep -n -x java)
F="td-$$-*,$uino"

# ---- check --all-netns: the right namespace and container for each ----
"$TD_BIN" -A -j --netns-filter "$F" check > "$dir/check.json"
expect_eq "check -A exits 2 (the worst: critical)" "$?" 2
"$PY" - "$dir/check.json" "$upid" > "$dir/facts" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["namespaces"]:
    ns = x["netns"].replace("pid:" + sys.argv[2], "UNNAMED")
    fs = [f for f in x["findings"] if f["severity"] != "info"]
    print("ns", ns, x["status"], ",".join(sorted(f["id"] for f in fs)) or "-")
    for f in fs:
        print("summary", ns, f["id"], f["summary"])
        print("container", ns, f["id"], f["evidence"].get("container", "-"))
        for r in f["recommendations"]:
            print("reco", ns, f["id"], r["key"], r["reason"])
PYEOF
get() { grep "^$1 " "$dir/facts" | cut -d' ' -f2-; }
expect_eq "one report per namespace, the planted condition in each, the healthy one silent" "$(get ns | sort)" \
	"$(printf '%s\n' "UNNAMED critical accept_queue.overflow" "$okns ok -" "$shop warning close_wait.leak" \
	"$tw critical time_wait.port_exhaustion" | sort)"
expect_eq "close_wait names the pod first, the process second" \
	"$(get summary | grep "^$shop close_wait.leak" | cut -d' ' -f3- | cut -d: -f1-2)" \
	"pod shop/cart-7f9c: 8 connections in CLOSE_WAIT on local port 8080 (accepted connections), held by java[$jpid]"
expect_eq "close_wait evidence: the container" "$(get container | grep "^$shop close_wait" | cut -d' ' -f3-)" "pod shop/cart-7f9c"
check "close_wait: says why kill is no remedy" grep -q "so does tcpdoctor kill: the descriptor stays open" <(get reco | grep "^$shop close_wait.leak close()")
check "accept_queue names the docker container" grep -q "listener 127.0.0.1:8081 (docker:0123456789ab, held by web\[$upid\])" <(get summary)
expect_eq "accept_queue evidence: the container" "$(get container | grep "^UNNAMED accept_queue" | cut -d' ' -f3-)" "docker:0123456789ab"
check "time_wait: in the tw namespace" grep -q "^$tw time_wait.port_exhaustion" <(get summary)

"$TD_BIN" -A --netns-filter "$F" check > "$dir/check.txt"
check "table: the shop section names its namespace" grep -q "^WARNING: .*, netns $shop," "$dir/check.txt"

# ---- ls -c: who runs there; filter words ----
"$TD_BIN" -N "$shop" ls -c -H sport = :8080 > "$dir/ls1"
check "ls -c: the pod and its cgroup path" grep -q "pod shop/cart-7f9c cgroup:/$pod\$" "$dir/ls1"
# ip netns exec mounts a fresh /sys without the cgroup2 mount: the id, never a wrong name.
ip netns exec "$shop" "$TD_BIN" ls -c -H state listening sport = :8080 > "$dir/ls2"
check "without the cgroup2 mount: the id alone" grep -q "0.0.0.0:\* *cgroup_id:[0-9]*\$" "$dir/ls2"
n() { "$TD_BIN" "$@" | grep -cE ':808[0-9]( |$)'; }
# The pod's sockets: the listener and the 8 CLOSE_WAIT ones it accepted.
# The clients' closed sockets are timewait minisockets now (FIN_WAIT2),
# which carry no cgroup (inet_twsk_diag_fill() has no such attribute).
npod=$(ip netns exec "$shop" ss -tanH '( sport = :8080 )' | wc -l)
expect_eq "the pod has 9 sockets (ss)" "$npod" 9
expect_eq "pod NS/NAME" "$(n -N "$shop" ls -H pod shop/cart-7f9c)" "$npod"
expect_eq "pod NAME" "$(n -N "$shop" ls -H pod cart-7f9c)" "$npod"
expect_eq "pod UID" "$(n -N "$shop" ls -H pod "$UID_")" "$npod"
expect_eq "pod of another name: none" "$(n -N "$shop" ls -H pod cart-0000)" 0
expect_eq "container ID prefix" "$(n --netns-pid "$upid" ls -H state listening container 0123456)" 1
expect_eq "container KIND:ID" "$(n --netns-pid "$upid" ls -H state listening container docker:0123456)" 1
expect_eq "container of the other runtime: none" "$(n --netns-pid "$upid" ls -H state listening container containerd:0123456)" 0
expect_eq "cgroup PREFIX (path components)" "$(n -N "$shop" ls -H cgroup "/$top/kubepods.slice")" "$npod"
expect_eq "cgroup PREFIX is not a string prefix" "$(n -N "$shop" ls -H cgroup "/$top/kubepods.sl")" 0
expect_eq "unit NAME (.service implied)" "$(n -N "$okns" ls -H unit healthy)" 3
expect_eq "unit NAME.service" "$(n -N "$okns" ls -H unit healthy.service)" 3
expect_eq "not unit" "$(n -N "$okns" ls -H not unit healthy)" 0
"$TD_BIN" -A --netns-filter "$F" ls -c -H pod cart-7f9c > "$dir/lsA"
expect_eq "-A with a pod filter: only the shop namespace has lines" \
	"$(grep -v '^#' "$dir/lsA" | grep -c .)" "$npod"
"$TD_BIN" ls cgroup system.slice > /dev/null 2> "$dir/e"
expect_eq "cgroup needs a path" "$?" 64
"$TD_BIN" ls pod > /dev/null 2> "$dir/e"
expect_eq "pod needs a name" "$?" 64

# ---- ls -p: every owner of the shared listener ----
"$TD_BIN" -N "$okns" ls -p -c -H state listening > "$dir/lsp"
owners=$(grep -o 'pid=[0-9]*,fd=[0-9]*' "$dir/lsp" | sort | tr '\n' ' ')
kowners=$(ip netns exec "$okns" ss -tlnpH 'sport = :8082' | grep -o 'pid=[0-9]*,fd=[0-9]*' | sort | tr '\n' ' ')
expect_eq "ls -p: every (process, fd), as ss -p" "$owners" "$kowners"
expect_eq "three processes hold it" "$(grep -o 'pid=[0-9]*' "$dir/lsp" | sort -u | wc -l)" 3
check "the unit beside the owners" grep -q "healthy.service cgroup:/$top/healthy.service" "$dir/lsp"

# ---- JSON and snapshots keep the cgroup ----
"$TD_BIN" -N "$shop" snapshot -o "$dir/snap.json"
expect_eq "replayed: the pod filter works from the file" "$(n --from "$dir/snap.json" ls -H pod cart-7f9c)" "$npod"
"$TD_BIN" -N "$shop" ls -c -j sport = :8080 > "$dir/l.json"
expect_eq "json: cgroup, container" "$("$PY" -c 'import json,sys; s=json.load(open(sys.argv[1]))["sockets"][0]; print(s["container"], s["cgroup"], s["cgroup_id"] > 0)' "$dir/l.json")" \
	"pod shop/cart-7f9c /$pod True"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "json conforms" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/l.json"
	zstdcat "$dir/snap.json" > "$dir/snap.plain.json"
	check "snapshot conforms" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/snap.plain.json"
else
	skip "needs python3-jsonschema"; skip "needs python3-jsonschema"
fi
: "$okpid"

# ---- Prometheus: one exposition, netns on every sample, container on findings ----
"$TD_BIN" -A --netns-filter "$F" --format prometheus check > "$dir/prom"
expect_eq "prometheus -A exits 2" "$?" 2
"$PY" - "$dir/prom" > "$dir/pfacts" <<'PYEOF'
import re, sys
fams, seen_done, bad = [], set(), []
cur = None
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    m = re.match(r"# (HELP|TYPE) (\S+)", line)
    if m:
        if m.group(1) == "HELP":
            if m.group(2) in fams: bad.append("HELP twice: " + m.group(2))
            fams.append(m.group(2))
        continue
    name = re.match(r"[a-z_]+", line).group(0)
    if name != cur:
        if name in seen_done: bad.append("family split: " + name)
        if cur: seen_done.add(cur)
        cur = name
    if not re.match(r'[a-z_]+\{netns="[^"]*"', line): bad.append("no netns: " + line)
print("bad", len(bad), *bad[:3])
for line in open(sys.argv[1]):
    if line.startswith("tcpdoctor_finding_severity{") and "container=" in line:
        print("cont", re.sub(r' [0-9]+$', '', line.strip()))
PYEOF
expect_eq "prometheus: each family once, contiguous, every sample with netns" "$(grep '^bad' "$dir/pfacts")" "bad 0"
check "prometheus: the pod's finding carries netns and container" grep -q \
	"^cont tcpdoctor_finding_severity{netns=\"$shop\",id=\"close_wait.leak\",subject=\"java\\[$jpid\\]\",container=\"pod shop/cart-7f9c\"}" "$dir/pfacts"
check "prometheus: the docker container's finding" grep -q "container=\"docker:0123456789ab\"" "$dir/pfacts"

"$TD_BIN" -A --netns-filter "$F" --format nagios check > "$dir/nag"
expect_eq "nagios -A exits 2" "$?" 2
expect_eq "nagios: the host's line" "$(head -1 "$dir/nag")" \
	"TCPDOCTOR CRITICAL - 4 network namespaces: 2 critical, 1 warning, 0 unknown, 1 ok"
check "nagios: the pod named first in its namespace's line" grep -q \
	"^netns $shop: TCPDOCTOR WARNING - close_wait.leak: pod shop/cart-7f9c: 8 connections in CLOSE_WAIT" "$dir/nag"
