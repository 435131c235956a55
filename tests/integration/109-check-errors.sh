#!/bin/bash
# SPDX-License-Identifier: MIT
# Every bad input to check is one clear line on stderr and exit 3 (UNKNOWN);
# tune uses the sysexits statuses of the other commands.
. "$(dirname "$0")/../lib.sh"
dir=$(tmpdir)
printf '[close_wait]\nwarning = 5\n[time_wait]\nwarning = high\n' > "$dir/bad.conf"

# expect_err DESCRIPTION STATUS MESSAGE-SUBSTRING COMMAND...
expect_err() {
	local what=$1 want=$2 msg=$3 rc; shift 3
	"$@" > "$dir/out" 2> "$dir/err"; rc=$?
	expect_eq "$what: exit $want" "$rc" "$want"
	if [ "$(wc -l < "$dir/err")" -eq 1 ] && grep -qF -- "$msg" "$dir/err"; then
		ok "$what: one line naming the problem"
	else
		not_ok "$what: one line naming the problem"; diag "stderr: $(cat "$dir/err")"
	fi
}
expect_err "bad config value" 3 "tcpdoctor: check: $dir/bad.conf:4: time_wait.warning: 'high' is not a number" \
	"$TD_BIN" check -c "$dir/bad.conf"
expect_err "missing -c file" 3 "config '$dir/none.conf': No such file or directory" \
	"$TD_BIN" check -c "$dir/none.conf"
expect_err "bad --set" 3 "--set: unknown key 'nope' in [orphans]" "$TD_BIN" check --set orphans.nope=1
expect_err "unknown --only id" 3 "--only: unknown analyzer 'synflood'" "$TD_BIN" check --only synflood
expect_err "unknown --skip id" 3 "--skip: unknown analyzer 'x'" "$TD_BIN" check --skip accept_queue,x
expect_err "unknown option" 3 "unknown option '--bogus'" "$TD_BIN" check --bogus
expect_err "missing option argument" 3 "needs an argument" "$TD_BIN" check --state-file
expect_err "ndjson" 3 "--format ndjson is not supported here" "$TD_BIN" check --format ndjson
expect_err "stray argument" 3 "unexpected argument 'now'" "$TD_BIN" check now
expect_err "missing namespace" 3 "td-no-such-ns" "$TD_BIN" -N td-no-such-ns check
expect_err "missing snapshot file" 3 "$dir/none.json" "$TD_BIN" --from "$dir/none.json" check
expect_err "tune: bad config" 65 "$dir/bad.conf:4:" "$TD_BIN" tune -c "$dir/bad.conf"
expect_err "tune --audit: missing file" 66 "'$dir/none.conf': No such file or directory" "$TD_BIN" tune --audit "$dir/none.conf"
expect_err "tune --audit: no file" 64 "--audit needs at least one file" "$TD_BIN" tune --audit
expect_err "tune: bad option" 64 "--bogus" "$TD_BIN" tune --bogus
expect_err "tune: prometheus" 64 "this command prints text or json" "$TD_BIN" tune --format prometheus

"$TD_BIN" check --help > "$dir/out"
expect_eq "check --help exits 0" "$?" 0
check "check --help lists --state-file" grep -q -- "--state-file FILE" "$dir/out"

# Nagios shows stdout: an UNKNOWN line there too.
out=$("$TD_BIN" check --format nagios -c "$dir/bad.conf" 2>/dev/null)
expect_eq "nagios: exit 3" "$?" 3
expect_eq "nagios: UNKNOWN line on stdout" "$out" "TCPDOCTOR UNKNOWN - $dir/bad.conf:4: time_wait.warning: 'high' is not a number"
