#!/bin/bash
# SPDX-License-Identifier: MIT
# The streaming JSON writer (core/jsonw.h) against jansson: the
# differential test of issue 11.  On every recorded fixture (saved
# snapshots, sock_diag replies) and on a live namespace holding every kind
# of socket and an owner whose name needs escaping, each socket's bytes
# agree with what jansson prints for it, and the ls -j, NDJSON and
# snapshot documents parse back equal to the ones jansson builds
# (tests/helpers/jsondiff.c); the live documents conform to the schema.
. "$(dirname "$0")/../lib.sh"
d="$TD_HELPERS/jsondiff"
v="$TD_SRCDIR/tests/helpers/validate.py"
t=$(tmpdir)

agree() {	# DESCRIPTION COMMAND...: jsondiff's verdict as a TAP line
	local what=$1 out; shift
	if out=$("$@" 2>&1); then ok "$what: ${out#jsondiff: }"; else not_ok "$what"; diag "$out"; fi
}
for f in "$TD_SRCDIR"/tests/fixtures/snapshots/*.json; do
	agree "snapshot fixture $(basename "$f")" "$d" -f "$f"
	agree "snapshot fixture $(basename "$f"), -i -p" "$d" -i -p -f "$f"
done
for f in inet-info inet-plain inet6-info short-tcpinfo; do
	agree "netlink fixture $f" "$d" -n "$TD_SRCDIR/tests/fixtures/netlink/$f.nl"
	agree "netlink fixture $f, -i" "$d" -i -n "$TD_SRCDIR/tests/fixtures/netlink/$f.nl"
done

require_root
ns=$(mkns jsonw) || { not_ok "create namespace"; exit 1; }
bg ip netns exec "$ns" "$PY" "$TD_SRCDIR/tests/helpers/workload.py" mixed "$t/ready"
# A listener whose process name holds a quote, a backslash, a tab, a
# control byte and bytes that are not UTF-8 (prctl PR_SET_NAME, 15 bytes).
bg ip netns exec "$ns" "$PY" -c '
import ctypes, socket, sys, time
ctypes.CDLL(None).prctl(15, b"x\"\\\t\x01\xff\xfeq", 0, 0, 0)
s = socket.socket(); s.bind(("127.0.0.1", 7901)); s.listen(4)
open(sys.argv[1], "w").write("ready\n")
time.sleep(120)' "$t/odd"
wait_for 20 test -s "$t/ready" -a -s "$t/odd" || { not_ok "workload ready"; exit 1; }

agree "live namespace" ip netns exec "$ns" "$d"
agree "live namespace, -i -p" ip netns exec "$ns" "$d" -i -p

# What users get: the writer's documents conform and the odd name survives.
"$TD_BIN" -N "$ns" ls -j -p -i > "$t/ls.json" 2>&1
if out=$("$PY" "$v" "$t/ls.json"); then ok "ls -j -p -i conforms"; else not_ok "ls -j -p -i conforms"; diag "$out"; fi
"$TD_BIN" -N "$ns" --format ndjson ls -p > "$t/ls.ndjson" 2>&1
if out=$("$PY" "$v" --ndjson "$t/ls.ndjson"); then ok "ndjson conforms"; else not_ok "ndjson conforms"; diag "$out"; fi
"$TD_BIN" -N "$ns" snapshot -o "$t/snap.json" --plain
if out=$("$PY" "$v" "$t/snap.json"); then ok "snapshot conforms"; else not_ok "snapshot conforms"; diag "$out"; fi
comm=$("$PY" -c '
import json, sys
for s in json.load(open(sys.argv[1]))["sockets"]:
    if s["sport"] == 7901 and s["state"] == "LISTEN":
        print(json.dumps(s["owner"]["comm"]))' "$t/snap.json")
expect_eq "the odd process name, escaped and its non-UTF-8 bytes as '?'" "$comm" '"x\"\\\t\u0001??q"'
# The snapshot file (format 2): its document conforms, the name is in its owners table.
"$TD_BIN" -N "$ns" snapshot -o "$t/snap.tds"
zstdcat "$t/snap.tds" > "$t/snap2.json"
if out=$("$PY" "$v" "$t/snap2.json"); then ok "snapshot file conforms"; else not_ok "snapshot file conforms"; diag "$out"; fi
comm=$("$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
own = {e["inode"]: e for e in d["owners"]}
for s in d["sockets"]:
    if s["sport"] == 7901 and s["state"] == "LISTEN":
        print(json.dumps(own[s["inode"]]["owner"]["comm"]))' "$t/snap2.json")
expect_eq "the snapshot file: the odd name in its owners table" "$comm" '"x\"\\\t\u0001??q"'

# Issue 11's mix at 1000 sockets (bench/populate in a namespace of
# its own: TIME_WAIT over IPv4 and IPv6, ESTABLISHED, CLOSE_WAIT, FIN_WAIT2,
# SYN_RECV, SYN_SENT, LISTEN, held by 3 processes): the socket writer the
# commands use agrees with jansson on each socket and document.
pop="$TD_BUILD/bench/populate"
[ -x "$pop" ] || { not_ok "$pop built"; exit 1; }
mkfifo "$t/in"
bg sh -c 'exec "$@" <> "$0"' "$t/in" "$pop" -P 3 -D 300 1000 > "$t/pready" 2> "$t/perr"
ppid=${_td_pids[-1]}
wait_for 60 grep -q '^ready ' "$t/pready" || { not_ok "populate got ready"; sed 's/^/# /' "$t/perr"; exit 1; }
nsp() { nsenter --net="/proc/$ppid/ns/net" "$@"; }
states=$(nsp ss -tanH | awk '{ n[$1]++ } END { for (s in n) if (n[s] > 0) print s }' | sort | tr '\n' ' ')
expect_eq "populated namespace holds every state" "$states" \
    "CLOSE-WAIT ESTAB FIN-WAIT-2 LISTEN SYN-RECV SYN-SENT TIME-WAIT "
agree "populated namespace" nsp "$d"
agree "populated namespace, -i -p" nsp "$d" -i -p
nsp "$TD_BIN" -j ls -i -p > "$t/pls.json" 2>&1
if out=$("$PY" "$v" "$t/pls.json"); then ok "populated: ls -j -i -p conforms"; else not_ok "populated: ls -j -i -p conforms"; diag "$out"; fi
