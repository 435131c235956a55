#!/bin/bash
# SPDX-License-Identifier: MIT
# Every JSON document the foundation commands print conforms to
# schema/tcpdoctor.schema.json, live and from a saved snapshot.
. "$(dirname "$0")/../lib.sh"
require_root
"$PY" -c 'import jsonschema' 2>/dev/null || skip_all "needs python3-jsonschema"
ns=$(mkns json) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
v="$TD_SRCDIR/tests/helpers/validate.py"
bg ip netns exec "$ns" "$PY" "$TD_SRCDIR/tests/helpers/workload.py" mixed "$t/ready"
wait_for 20 test -s "$t/ready" || { not_ok "workload ready"; exit 1; }

valid() {	# DESCRIPTION [--ndjson] -- COMMAND...
	local what=$1 nd=""; shift
	[ "$1" = --ndjson ] && { nd=--ndjson; shift; }
	if ! "$@" > "$t/doc" 2> "$t/err"; then not_ok "$what: exit status ($(head -1 "$t/err"))"; return; fi
	if out=$("$PY" "$v" $nd "$t/doc"); then ok "$what conforms"; else not_ok "$what conforms"; diag "$out"; fi
}
valid "ls -j" "$TD_BIN" -N "$ns" ls -j
valid "ls -j -p -i -e" "$TD_BIN" -N "$ns" ls -j -p -i -e
valid "ls --format ndjson" --ndjson "$TD_BIN" -N "$ns" ls --format ndjson
valid "ls -j with no match" "$TD_BIN" -N "$ns" ls -j state closing
valid "summary -j" "$TD_BIN" -N "$ns" summary -j
valid "snapshot" "$TD_BIN" -N "$ns" snapshot
"$TD_BIN" -N "$ns" snapshot -o "$t/snap.json"
valid "ls -j --from" "$TD_BIN" --from "$t/snap.json" ls -j
valid "summary -j --from" "$TD_BIN" --from "$t/snap.json" summary -j
valid "summary -j on this host" "$TD_BIN" summary -j
# the validator is strict: a document with a wrong field type fails
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["total"]="many"; json.dump(d,open(sys.argv[2],"w"))' "$t/doc" "$t/bad"
if "$PY" "$v" "$t/bad" >/dev/null; then not_ok "the schema rejects a wrong type"; else ok "the schema rejects a wrong type"; fi
