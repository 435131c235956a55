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
"$TD_BIN" -N "$ns" snapshot -o "$t/snap.json"
if out=$("$PY" "$v" "$t/snap.json"); then ok "snapshot conforms"; else not_ok "snapshot conforms"; diag "$out"; fi
comm=$("$PY" -c '
import json, sys
for s in json.load(open(sys.argv[1]))["sockets"]:
    if s["sport"] == 7901 and s["state"] == "LISTEN":
        print(json.dumps(s["owner"]["comm"]))' "$t/snap.json")
expect_eq "the odd process name, escaped and its non-UTF-8 bytes as '?'" "$comm" '"x\"\\\t\u0001??q"'
