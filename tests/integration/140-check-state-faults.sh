#!/bin/bash
# SPDX-License-Identifier: MIT
# check --state-file against the faults the field found: a state file
# created empty (`: > FILE`), cut short, damaged or foreign; a namespace
# deleted and recreated under the same name (counters restart; the nsfs
# inode may be reused); a state whose inode matches but whose namespace
# cookie does not; counters that go backwards; runs closer than the
# minimum window; a state of the older format.  Each fault gives one
# warning and a normal verdict (never UNKNOWN forever, never a false rate),
# and the next run has rates.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
mkns sf >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-sf
S="$dir/state"
json() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# run NAME [args]: check in $ns with the state file; stdout NAME.json, stderr NAME.err, status NAME.rc
run() {
	local name=$1; shift
	"$TD_BIN" -N "$ns" check --state-file "$S" -j "$@" > "$dir/$name.json" 2> "$dir/$name.err"
	echo $? > "$dir/$name.rc"
}
rc() { cat "$dir/$1.rc"; }
warnings() { grep -c "warning:" "$dir/$1.err"; }
interval() { json "$dir/$1.json" 'd["interval_s"]'; }
whole_state() { head -n1 "$S" | grep -qx "tcpdoctor-state 2" && [ "$(tail -n1 "$S")" = end ]; }
field() { awk -v k="$1" '$1 == k { print $2 }' "$S"; }

# 1. Created empty by configuration management.
: > "$S"
run empty
expect_eq "empty state file: normal verdict (exit 0)" "$(rc empty)" 0
expect_eq "empty state file: one warning" "$(warnings empty)" 1
check "the warning names the file and says empty" grep -q "state file '$S': empty: no previous state, starting over" "$dir/empty.err"
expect_eq "empty state file: no rates" "$(interval empty)" None
check "empty state file replaced by a whole state" whole_state
sleep 1.2
run next
expect_eq "next run: exit 0" "$(rc next)" 0
expect_eq "next run: no warning" "$(warnings next)" 0
check "next run has rates (interval $(interval next) s >= 1)" "$PY" -c 'import sys; sys.exit(not float(sys.argv[1]) >= 1)' "$(interval next)"

# 2. Blank (echo > FILE), cut short, binary: the same, and healed.
good=$(cat "$S")
for fault in blank cut binary; do
	case $fault in
	blank) echo > "$S" ;;
	cut) printf '%s' "$good" | head -c 100 > "$S" ;;
	binary) head -c 512 /dev/zero > "$S" ;;
	esac
	run "$fault"
	expect_eq "$fault state file: exit 0" "$(rc "$fault")" 0
	expect_eq "$fault state file: one warning" "$(warnings "$fault")" 1
	diag "$(cat "$dir/$fault.err")"
	expect_eq "$fault state file: no rates" "$(interval "$fault")" None
	check "$fault state file healed" whole_state
done

# 3. Text that was never a state file is not overwritten: UNKNOWN, file untouched.
printf '# managed by puppet\n' > "$dir/foreign"
cp "$dir/foreign" "$S"
run foreign
expect_eq "foreign text: exit 3" "$(rc foreign)" 3
check "foreign text: says why" grep -q "line 1: not a tcpdoctor state file (not replaced" "$dir/foreign.err"
check "foreign text: file untouched" cmp -s "$S" "$dir/foreign"

# 4. Runs closer than 1 s: no rates, and the older state stays the baseline.
rm -f "$S"
run base
sleep 1.1
run r1
cp "$S" "$dir/state.r1"
run r2
expect_eq "run 23 ms-ish after another: exit 0" "$(rc r2)" 0
expect_eq "short window: no rates" "$(interval r2)" None
check "short window: says so" grep -q "less than the 1.000 s a rate needs" "$dir/r2.err"
check "short window: the state is kept as the baseline" cmp -s "$S" "$dir/state.r1"

# 5. A namespace deleted and recreated under the same name: its counters
# restart.  The kernel may give it the old nsfs inode; either way no rates.
ip netns exec "$ns" "$PY" -c '
import socket
for i in range(300):
    s = socket.socket()
    try: s.connect(("127.0.0.1", 9))
    except ConnectionRefusedError: pass
    s.close()
'
sleep 1.1
run before
old_ino=$(field netns_ino); old_cookie=$(field netns_cookie); old_rsts=$(awk '$2 == "out_rsts" { print $3 }' "$S")
check "state has the namespace's cookie ($old_cookie)" test "$old_cookie" -gt 0
ip netns del "$ns"
reused=no
for i in $(seq 1 20); do
	ip netns add "$ns" || break
	ip -n "$ns" link set lo up
	[ "$(stat -L -c %i "/run/netns/$ns")" = "$old_ino" ] && { reused=yes; break; }
	[ "$i" -lt 20 ] && ip netns del "$ns"
done
diag "nsfs inode reused after delete and recreate: $reused (tries: $i)"
sleep 1.1
run recreated
expect_eq "recreated namespace: exit 0" "$(rc recreated)" 0
expect_eq "recreated namespace: one warning" "$(warnings recreated)" 1
diag "$(cat "$dir/recreated.err")"
check "recreated namespace: another namespace" grep -q "another network namespace" "$dir/recreated.err"
expect_eq "recreated namespace: no rates" "$(interval recreated)" None
expect_eq "recreated namespace: no resets finding" "$(json "$dir/recreated.json" '[f["id"] for f in d["findings"] if f["id"] == "resets.storm"]')" "[]"
check "state now has the new cookie" test "$(field netns_cookie)" != "$old_cookie"
check "its counters restarted (out_rsts $old_rsts then $(awk '$2 == "out_rsts" { print $3 }' "$S"))" \
	test "$(awk '$2 == "out_rsts" { print $3 }' "$S")" -lt "$old_rsts"

# 6. Inode matching, cookie not (the reuse the inode alone cannot see), forced.
sleep 1.1
sed -i "s/^netns_cookie .*/netns_cookie $old_cookie/" "$S"
run forced
expect_eq "same inode, other cookie: one warning" "$(warnings forced)" 1
check "same inode, other cookie: another namespace" grep -q "another network namespace (inode $(field netns_ino), cookie $old_cookie" "$dir/forced.err"
expect_eq "same inode, other cookie: no rates" "$(interval forced)" None

# 7. Counters that went backwards under a matching identity: never a rate.
sleep 1.1
sed -i 's/^counter out_rsts .*/counter out_rsts 18446744073709551615/; s/^counter attempt_fails .*/counter attempt_fails 526281/' "$S"
run backwards --set resets.warning=0.001
expect_eq "counters backwards: exit 0" "$(rc backwards)" 0
expect_eq "counters backwards: one warning" "$(warnings backwards)" 1
check "counters backwards: says so" grep -q "counters went backwards" "$dir/backwards.err"
expect_eq "counters backwards: no rates" "$(interval backwards)" None
expect_eq "counters backwards: no resets finding" "$(json "$dir/backwards.json" '[f["id"] for f in d["findings"] if f["id"] == "resets.storm"]')" "[]"
sleep 1.1
run after
expect_eq "after the reset: no warning" "$(warnings after)" 0
check "after the reset: rates again" test "$(interval after)" != None

# 8. The older format (no cookie, no end record): read, not trusted for
# rates on a kernel with cookies, replaced by the current format.
sleep 1.1
{ echo "tcpdoctor-state 1"; grep -v -e '^tcpdoctor-state' -e '^netns_cookie' -e '^end$' "$S"; } > "$dir/v1"
mv "$dir/v1" "$S"
run v1
expect_eq "format 1: exit 0" "$(rc v1)" 0
expect_eq "format 1: one warning" "$(warnings v1)" 1
check "format 1: says it lacks the cookie" grep -q "no namespace cookie in it" "$dir/v1.err"
check "format 1: replaced by format 2" whole_state
