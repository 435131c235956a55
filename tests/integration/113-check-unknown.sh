#!/bin/bash
# SPDX-License-Identifier: MIT
# Never say OK without knowing: every way check can fail still writes its
# report, in the format asked for, saying UNKNOWN.  For each failure kind
# (bad configuration, missing namespace, unreadable and corrupt --from
# snapshots, a state file that cannot be saved because its filesystem is
# full) the Prometheus file written with -o over an old "all is well" file
# has tcpdoctor_check_status 3 and tcpdoctor_up 0, passes `promtool check
# metrics`, and makes the shipped TcpdoctorUnknown rule fire (`promtool test
# rules` on the file's own samples); JSON says "unknown" with the error and
# conforms to the schema; Nagios prints exactly one line, UNKNOWN, exit 3.
. "$(dirname "$0")/../lib.sh"
require_root
command -v promtool >/dev/null || { not_ok "promtool installed (scripts/deps.sh test)"; exit 1; }
"$PY" -c 'import jsonschema' 2>/dev/null || { not_ok "python3-jsonschema installed"; exit 1; }
dir=$(tmpdir)
rules="$TD_SRCDIR/contrib/prometheus/tcpdoctor.rules.yml"
mkns unk >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-unk
printf '[time_wait]\nwarning = high\n' > "$dir/bad.conf"
printf '{"schema": "tcpdoctor/1", "command": "snapshot", "time": ' > "$dir/cut.json"
echo 'not json at all' > "$dir/garbage.json"
mkdir "$dir/unreadable.json"

# rule_fires PROMFILE: feed the file's samples to the TcpdoctorUnknown rule
# for 20 minutes (its `for` is 15m) and expect the alert.
rule_fires() {
	local f=$1 t="$dir/rules-test.yml" status up
	status=$(awk '$1 == "tcpdoctor_check_status" { print $2 }' "$f")
	up=$(awk '$1 == "tcpdoctor_up" { print $2 }' "$f")
	[ -n "$status" ] && [ -n "$up" ] || return 1
	cat > "$t" <<EOF
rule_files: ["$rules"]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'tcpdoctor_check_status{instance="h"}'
        values: '${status}x20'
      - series: 'tcpdoctor_up{instance="h"}'
        values: '${up}x20'
    alert_rule_test:
      - eval_time: 20m
        alertname: TcpdoctorUnknown
        exp_alerts:
          - exp_labels: { severity: warning, instance: h }
            exp_annotations:
              summary: "tcpdoctor cannot check h"
              description: "tcpdoctor check exits UNKNOWN (collection or configuration failure); tcpdoctor_check_error carries the message, and its stderr is in the journal or cron mail."
EOF
	promtool test rules "$t" > "$dir/rules-test.out" 2>&1
}

# A healthy namespace first: the rule stays silent on an OK file.
"$TD_BIN" -N "$ns" check -c /dev/null --format prometheus -o "$dir/ok.prom"
expect_eq "healthy: exit 0" "$?" 0
check "healthy: tcpdoctor_up 1" grep -qx 'tcpdoctor_up 1' "$dir/ok.prom"
if rule_fires "$dir/ok.prom"; then not_ok "healthy: TcpdoctorUnknown silent"; else ok "healthy: TcpdoctorUnknown silent"; fi

# failure_kind NAME MESSAGE-SUBSTRING ARGS...: run check with ARGS in every
# format and check what each says.
failure_kind() {
	local name=$1 msg=$2 rc out; shift 2
	local prom="$dir/$name.prom"
	cp "$dir/ok.prom" "$prom"		# the old file says all is well
	"$TD_BIN" "$@" --format prometheus -o "$prom" > "$dir/stdout" 2> "$dir/err"; rc=$?
	expect_eq "$name: prometheus -o: exit 3" "$rc" 3
	if [ "$(wc -l < "$dir/err")" -eq 1 ] && grep -qF -- "$msg" "$dir/err"; then
		ok "$name: one line on stderr naming the problem"
	else
		not_ok "$name: one line on stderr naming the problem"; diag "stderr: $(cat "$dir/err")"
	fi
	check "$name: the file says tcpdoctor_check_status 3" grep -qx 'tcpdoctor_check_status 3' "$prom"
	check "$name: the file says tcpdoctor_up 0" grep -qx 'tcpdoctor_up 0' "$prom"
	check "$name: the error is a label" grep -qF "tcpdoctor_check_error{message=\"" "$prom"
	check "$name: the label carries the message" grep -F 'tcpdoctor_check_error' "$prom" | grep -qF -- "$msg"
	if promtool check metrics < "$prom" > "$dir/promtool.out" 2>&1; then ok "$name: promtool check metrics"
	else not_ok "$name: promtool check metrics"; diag "$(head -3 "$dir/promtool.out")"; fi
	if rule_fires "$prom"; then ok "$name: TcpdoctorUnknown fires on the file"
	else not_ok "$name: TcpdoctorUnknown fires on the file"; diag "$(head -5 "$dir/rules-test.out")"; fi
	# Prometheus on stdout too.
	"$TD_BIN" "$@" --format prometheus > "$dir/stdout.prom" 2>/dev/null
	check "$name: prometheus on stdout says 3" grep -qx 'tcpdoctor_check_status 3' "$dir/stdout.prom"
	# JSON.
	"$TD_BIN" "$@" -j > "$dir/$name.json" 2>/dev/null; rc=$?
	expect_eq "$name: json: exit 3" "$rc" 3
	out=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["exit_status"], sys.argv[2] in d["error"])' "$dir/$name.json" "$msg" 2>&1)
	expect_eq "$name: json says unknown, 3, and the error" "$out" "unknown 3 True"
	if out=$("$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/$name.json" 2>&1); then ok "$name: json conforms to the schema"
	else not_ok "$name: json conforms to the schema"; diag "$out"; fi
	# Nagios: one line, UNKNOWN.
	"$TD_BIN" "$@" --format nagios > "$dir/nagios" 2>/dev/null; rc=$?
	expect_eq "$name: nagios: exit 3" "$rc" 3
	expect_eq "$name: nagios: one line" "$(wc -l < "$dir/nagios")" 1
	check "$name: nagios: UNKNOWN with the error" grep -qF -- "TCPDOCTOR UNKNOWN - " "$dir/nagios"
}

failure_kind "bad config" "time_wait.warning: 'high' is not a number" -N "$ns" check -c "$dir/bad.conf"
failure_kind "missing namespace" "netns 'td-nosuch-$$'" -N "td-nosuch-$$" check
failure_kind "missing snapshot" "$dir/none.json" --from "$dir/none.json" check
failure_kind "unreadable snapshot" "$dir/unreadable.json" --from "$dir/unreadable.json" check
failure_kind "cut snapshot" "$dir/cut.json" --from "$dir/cut.json" check
failure_kind "garbage snapshot" "$dir/garbage.json" --from "$dir/garbage.json" check

# A state file that cannot be saved: its filesystem fills up after the
# first run created it and its lock.  The findings were complete, the
# status is still UNKNOWN, and Nagios prints one line (it printed OK, then
# UNKNOWN).  A private mount namespace keeps the tiny tmpfs to this test.
mkdir "$dir/mnt"
unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=64k tdtest "$1" || exit 1
	"$2" -N "$3" check -c /dev/null --state-file "$1/state" > /dev/null || exit 1
	dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null
	sleep 1.1	# runs closer than 1 s keep the old state and write nothing
	"$2" -N "$3" check -c /dev/null --state-file "$1/state" --format nagios > "$4/full-nagios" 2> "$4/full-err"
	echo $? > "$4/full-rc"
	"$2" -N "$3" check -c /dev/null --state-file "$1/state" --format prometheus -o "$4/full.prom" 2> /dev/null
	echo $? > "$4/full-prom-rc"
	"$2" -N "$3" check -c /dev/null --state-file "$1/state" -j > "$4/full.json" 2> /dev/null
' sh "$dir/mnt" "$TD_BIN" "$ns" "$dir"
expect_eq "state file on a full filesystem: nagios exit 3" "$(cat "$dir/full-rc" 2>/dev/null)" 3
expect_eq "state file on a full filesystem: exactly one line" "$(wc -l < "$dir/full-nagios")" 1
check "state file on a full filesystem: it is UNKNOWN" grep -q '^TCPDOCTOR UNKNOWN - .*state' "$dir/full-nagios"
check "state file on a full filesystem: never OK" sh -c "! grep -q 'TCPDOCTOR OK' '$dir/full-nagios'"
expect_eq "state file on a full filesystem: prometheus exit 3" "$(cat "$dir/full-prom-rc" 2>/dev/null)" 3
check "state file on a full filesystem: status 3" grep -qx 'tcpdoctor_check_status 3' "$dir/full.prom"
check "state file on a full filesystem: up 0" grep -qx 'tcpdoctor_up 0' "$dir/full.prom"
check "state file on a full filesystem: the sockets were seen" grep -q '^tcpdoctor_sockets{state="ESTABLISHED"} 0' "$dir/full.prom"
if promtool check metrics < "$dir/full.prom" > "$dir/promtool.out" 2>&1; then ok "state file on a full filesystem: promtool check metrics"
else not_ok "state file on a full filesystem: promtool check metrics"; diag "$(head -3 "$dir/promtool.out")"; fi
if rule_fires "$dir/full.prom"; then ok "state file on a full filesystem: TcpdoctorUnknown fires"
else not_ok "state file on a full filesystem: TcpdoctorUnknown fires"; diag "$(head -5 "$dir/rules-test.out")"; fi
out=$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["status"], d["exit_status"], isinstance(d["findings"], list))' "$dir/full.json" 2>&1)
expect_eq "state file on a full filesystem: json unknown, with the findings" "$out" "unknown 3 True"
if out=$("$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$dir/full.json" 2>&1); then ok "state file on a full filesystem: json conforms to the schema"
else not_ok "state file on a full filesystem: json conforms to the schema"; diag "$out"; fi

# An error message that is not UTF-8 (a file name) still gives valid output.
bad=$(printf '%s/bad\377\n.json' "$dir")
"$TD_BIN" --from "$bad" check --format prometheus -o "$dir/utf.prom" 2>/dev/null
if promtool check metrics < "$dir/utf.prom" > "$dir/promtool.out" 2>&1; then ok "a non-UTF-8 file name: promtool check metrics"
else not_ok "a non-UTF-8 file name: promtool check metrics"; diag "$(head -3 "$dir/promtool.out")"; fi
"$TD_BIN" --from "$bad" check -j > "$dir/utf.json" 2>/dev/null
check "a non-UTF-8 file name: json parses and has the error" "$PY" -c 'import json,sys; assert json.load(open(sys.argv[1]))["error"]' "$dir/utf.json"
