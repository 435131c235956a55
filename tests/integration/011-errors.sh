#!/bin/bash
# SPDX-License-Identifier: MIT
# Every bad input gets one clear line naming it, and a defined exit status.
. "$(dirname "$0")/../lib.sh"
t=$(tmpdir)

# expect_fail DESCRIPTION STATUS PATTERN COMMAND...
expect_fail() {
	local what=$1 want=$2 pat=$3 got; shift 3
	"$@" > "$t/out" 2> "$t/err"
	got=$?
	if [ "$got" -eq "$want" ] && [ "$(wc -l < "$t/err")" -eq 1 ] && grep -q -- "$pat" "$t/err" \
	    && grep -q '^tcpdoctor: ' "$t/err"; then
		ok "$what (exit $got)"
	else
		not_ok "$what"; diag "exit $got, want $want; stderr: $(cat "$t/err")"
	fi
}

expect_fail "unknown command" 64 "unknown command 'bogus'" "$TD_BIN" bogus
expect_fail "unknown global option" 64 "unknown option '--bogus'" "$TD_BIN" --bogus ls
expect_fail "unknown ls option" 64 "unknown option '-z'" "$TD_BIN" ls -z
expect_fail "unknown state" 64 "unknown state 'TIME-WAITT'" "$TD_BIN" ls state TIME-WAITT
expect_fail "bad port" 64 "bad port '99999'" "$TD_BIN" ls sport = 99999
expect_fail "bad prefix" 64 "bad prefix '10.0.0.0/40'" "$TD_BIN" ls src 10.0.0.0/40
expect_fail "bad format" 64 "unknown format 'xml'" "$TD_BIN" --format xml ls
expect_fail "format ls cannot print" 64 "table, json or ndjson" "$TD_BIN" --format nagios ls
expect_fail "summary --top out of range" 64 "--top: '0'" "$TD_BIN" summary --top 0
expect_fail "netns-pid not a number" 64 "'abc' is not a process id" "$TD_BIN" --netns-pid abc ls
expect_fail "missing snapshot file" 66 "nonexistent.json" "$TD_BIN" --from "$t/nonexistent.json" ls
echo '{"schema":"tcpdoctor/1",' > "$t/trunc.json"
expect_fail "truncated snapshot" 65 "trunc.json" "$TD_BIN" --from "$t/trunc.json" summary
echo 'not json at all' > "$t/garbage.json"
expect_fail "garbage snapshot" 65 "garbage.json" "$TD_BIN" --from "$t/garbage.json" ls
echo '{"schema":"other/9","sockets":[]}' > "$t/schema.json"
expect_fail "wrong schema" 65 "schema" "$TD_BIN" --from "$t/schema.json" ls
if [ "$(id -u)" -eq 0 ]; then
	expect_fail "netns that does not exist" 69 "netns 'td-no-such-ns-$$'" "$TD_BIN" -N "td-no-such-ns-$$" ls
	expect_fail "netns of a process that does not exist" 69 "no such process" "$TD_BIN" --netns-pid 999999999 ls
	expect_fail "check in a netns that does not exist is UNKNOWN" 3 "netns 'td-no-such-ns-$$'" \
	    "$TD_BIN" -N "td-no-such-ns-$$" check --format nagios
	expect_eq "... with the Nagios UNKNOWN line on stdout" "$(head -c 27 "$t/out")" "TCPDOCTOR UNKNOWN - netns '"
else
	skip "netns errors need root"
fi
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	expect_fail "entering a netns without privileges" 77 "netns of pid 1" \
	    setpriv --reuid=65534 --regid=65534 --clear-groups "$TD_BIN" --netns-pid 1 ls
else
	skip "privilege test needs root and setpriv"
fi
