#!/bin/bash
# SPDX-License-Identifier: MIT
# check -j and tune -j (snippet and --audit) conform to
# schema/tcpdoctor.schema.json, with findings of every severity present.
. "$(dirname "$0")/../lib.sh"
require_root
"$PY" -c 'import jsonschema' 2>/dev/null || { not_ok "python3-jsonschema installed"; exit 1; }
dir=$(tmpdir)
v="$TD_SRCDIR/tests/helpers/validate.py"
mkns sch >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-sch
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
l = socket.socket(); l.bind(("127.0.0.1", 8080)); l.listen(2)          # accept queue fills: critical
cs = []
for i in range(6):
    c = socket.socket(); c.setblocking(False); c.connect_ex(("127.0.0.1", 8080)); cs.append(c)
m = socket.socket(); m.bind(("127.0.0.1", 9000)); m.listen(64)         # CLOSE_WAIT leak: warning
x = [socket.create_connection(("127.0.0.1", 9000)) for i in range(6)]
kept = [m.accept()[0] for i in range(6)]
for c in x: c.close()
time.sleep(0.5); open(sys.argv[1], "w").write("ready"); time.sleep(600)
' "$dir/ready"
wait_for 10 test -s "$dir/ready" || { not_ok "namespace populated"; exit 1; }

valid() {	# DESCRIPTION FILE
	if out=$("$PY" "$v" "$2"); then ok "$1 conforms"; else not_ok "$1 conforms"; diag "$out"; fi
}
"$TD_BIN" -N "$ns" check -j > "$dir/check.json"
expect_eq "check exits 2" "$?" 2
expect_eq "critical and warning findings present" \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted({f["severity"] for f in json.load(open(sys.argv[1]))["findings"]})))' "$dir/check.json")" \
	"critical warning"
valid "check -j" "$dir/check.json"
"$TD_BIN" -N "$ns" check -j --set close_wait.warning=100 --skip accept_queue > "$dir/ok.json"
valid "check -j with nothing to report" "$dir/ok.json"
"$TD_BIN" -N "$ns" tune -j > "$dir/tune.json"
valid "tune -j" "$dir/tune.json"
"$TD_BIN" -j tune --audit "$TD_SRCDIR/tests/fixtures/sysctl/seed-article.conf" > "$dir/audit.json"
valid "tune -j --audit" "$dir/audit.json"
"$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); d["findings"][0]["severity"]="bad"; json.dump(d,open(sys.argv[2],"w"))' "$dir/check.json" "$dir/bad.json"
if "$PY" "$v" "$dir/bad.json" > /dev/null; then not_ok "the schema rejects a bad severity"; else ok "the schema rejects a bad severity"; fi

# explain knows every finding id check can produce (analyzers/finding_docs.c).
for id in $("$PY" -c 'import json,sys; print(" ".join(f["id"] for f in json.load(open(sys.argv[1]))["findings"]))' "$dir/check.json"); do
	"$TD_BIN" explain -j "$id" > "$dir/explain.json"
	expect_eq "explain $id: a finding" "$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["kind"])' "$dir/explain.json")" finding
	valid "explain -j $id" "$dir/explain.json"
done
out=$("$TD_BIN" explain time_wait.port_exhaustion)
check "explain names what does not fix port exhaustion" grep -q "tcp_tw_recycle (removed in 4.12" <<<"$out"
