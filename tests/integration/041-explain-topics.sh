#!/bin/bash
# SPDX-License-Identifier: MIT
# The question topics of `explain` answer from the real kernel:
# time-wait-cost reads the size of struct tcp_timewait_sock from
# /proc/slabinfo as root (the same number the kernel prints there) and
# counts the TIME_WAIT sockets made in a namespace of ours; unprivileged it
# says it could not read /proc/slabinfo.  syncookies shows the namespace's
# cookie counters after a connection made with tcp_syncookies=2; msl shows
# the namespace's tcp_fin_timeout next to the fixed 60 s.  A misspelt
# topic exits 64 with the nearest names, in text and in JSON.
. "$(dirname "$0")/../lib.sh"
require_root
mkns topics >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-topics
t=$(tmpdir)
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fin_timeout=3 net.ipv4.tcp_syncookies=2 ||
	{ not_ok "set sysctls in $ns"; exit 1; }
# Five connections that the client closes first (five TIME_WAIT on its side,
# 60 s each), and with tcp_syncookies=2 every SYN is answered with a cookie.
ip netns exec "$ns" "$PY" -c '
import socket
l = socket.socket(); l.bind(("127.0.0.1", 7000)); l.listen(8)
for i in range(5):
    c = socket.create_connection(("127.0.0.1", 7000), timeout=5)
    s, _ = l.accept()
    c.close(); s.recv(1); s.close()
' || { not_ok "make TIME_WAIT sockets in $ns"; exit 1; }

# time-wait-cost as root: the object size the kernel reports.
size=$(awk '$1 == "tw_sock_TCP" {print $4}' /proc/slabinfo)
out=$("$TD_BIN" -N "$ns" explain time-wait-cost)
"$TD_BIN" -N "$ns" explain time-wait-cost -j > "$t/tw.json"
if [ -z "$size" ]; then
	# SLUB merged the cache: the topic must say so rather than invent a size.
	if grep -q 'tw_sock_TCP is not listed in /proc/slabinfo' <<<"$out"; then ok "time-wait-cost: merged cache reported"
	else not_ok "time-wait-cost: merged cache reported"; diag "$out"; fi
else
	diag "tw_sock_TCP object size here: $size bytes"
	if grep -qE "^  slab: +tw_sock_TCP +$size bytes per object" <<<"$out" &&
	    grep -q "a TIME_WAIT connection costs $size bytes of slab, not 4 KiB" <<<"$out"; then
		ok "time-wait-cost shows the slab object size of this kernel ($size bytes)"
	else not_ok "time-wait-cost shows the slab object size of this kernel ($size bytes)"; diag "$out"; fi
	expect_eq "time-wait-cost JSON: time_wait_bytes" \
		"$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["time_wait_bytes"])' < "$t/tw.json")" "$size"
	expect_eq "time-wait-cost JSON: slabinfo readable, tw_sock_TCP objsize" \
		"$("$PY" -c 'import json,sys; d=json.load(sys.stdin)["slabinfo"]; print(d["readable"], d["caches"]["tw_sock_TCP"]["objsize"])' < "$t/tw.json")" "True $size"
fi
if grep -q 'the 5 timewait sockets of this namespace' <<<"$out"; then ok "time-wait-cost counts the namespace's 5 TIME_WAIT sockets"
else not_ok "time-wait-cost counts the namespace's 5 TIME_WAIT sockets"; diag "$out"; fi

# Unprivileged: /proc/slabinfo is 0400, and the topic says so.
if command -v setpriv >/dev/null; then
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TD_BIN" explain time-wait-cost 2>&1); st=$?
	expect_eq "time-wait-cost unprivileged exits 0" "$st" 0
	if grep -q 'could not read the object sizes: cannot read /proc/slabinfo: Permission denied (/proc/slabinfo is readable by root only' <<<"$out" &&
	    ! grep -q 'bytes per object' <<<"$out"; then ok "time-wait-cost unprivileged says it could not read /proc/slabinfo"
	else not_ok "time-wait-cost unprivileged says it could not read /proc/slabinfo"; diag "$out"; fi
	v=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$TD_BIN" explain time-wait-cost -j |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin)["slabinfo"]; print(d["readable"], "Permission denied" in d["error"])')
	expect_eq "time-wait-cost unprivileged JSON: readable false, with the error" "$v" "False True"
else
	skip "setpriv(1) missing: cannot run unprivileged"
fi

# syncookies: the namespace's knob and the counters the five cookies moved.
out=$("$TD_BIN" -N "$ns" explain syncookies)
if grep -q 'tcp_syncookies=2 (cookies for every SYN' <<<"$out" && grep -q 'cookie_v4_check()' <<<"$out" &&
    grep -q 'low 6 bits' <<<"$out"; then ok "syncookies: the namespace's mode, how cookies work and what they lose"
else not_ok "syncookies: the namespace's mode, how cookies work and what they lose"; diag "$out"; fi
v=$("$TD_BIN" -N "$ns" explain syncookies -j | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["counters"]; print(c["SyncookiesSent"] >= 5, c["SyncookiesRecv"] >= 5)')
expect_eq "syncookies: SyncookiesSent and SyncookiesRecv of the namespace moved by 5 cookie handshakes" "$v" "True True"

# msl: TIME_WAIT stays 60 s; the namespace's tcp_fin_timeout=3 bounds only orphans.
out=$("$TD_BIN" -N "$ns" explain msl)
if grep -q 'TIME_WAIT lasts 60 s whatever tcp_fin_timeout says; tcp_fin_timeout=3 bounds only an orphaned FIN_WAIT2 (model: 3.5 s)' <<<"$out" &&
    grep -q 'TCP_TIMEWAIT_LEN' <<<"$out"; then ok "msl: 60 s fixed, tcp_fin_timeout only for orphaned FIN_WAIT2"
else not_ok "msl: 60 s fixed, tcp_fin_timeout only for orphaned FIN_WAIT2"; diag "$out"; fi
# 2MSL is an alias of the same topic.
expect_eq "explain 2MSL is the msl topic" "$("$TD_BIN" explain 2MSL -j | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["name"])')" msl

out=$("$TD_BIN" explain isn)
if grep -q 'siphash(saddr, daddr, sport, dport' <<<"$out" && grep -q 'seq_scale()' <<<"$out" &&
    grep -q 'ticks every 64 ns' <<<"$out" && grep -q 'wraps every 274.9 s' <<<"$out"; then
	ok "isn: keyed hash of the 4-tuple plus a 64 ns clock, with the kernel function"
else not_ok "isn: keyed hash of the 4-tuple plus a 64 ns clock, with the kernel function"; diag "$out"; fi

# Did you mean: text on stderr, JSON on stdout, exit 64 both ways.
"$TD_BIN" explain tcp_fin_timout > "$t/out" 2> "$t/err"; st=$?
expect_eq "misspelt knob exits 64" "$st" 64
expect_eq "misspelt knob: did you mean" "$(cat "$t/err")" \
	"tcpdoctor: explain: nothing to explain about 'tcp_fin_timout'; did you mean 'tcp_fin_timeout'? (run \`tcpdoctor explain\` for the topics)"
"$TD_BIN" explain TIME-WIAT -j > "$t/out" 2> "$t/err"; st=$?
expect_eq "misspelt state -j exits 64" "$st" 64
expect_eq "misspelt state -j: did_you_mean in the document" \
	"$("$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["kind"], d["did_you_mean"])' < "$t/out")" "unknown ['TIME_WAIT']"
"$TD_BIN" explain sycookies 2> "$t/err"
if grep -q "did you mean 'syncookies'" "$t/err"; then ok "misspelt question topic: did you mean 'syncookies'"
else not_ok "misspelt question topic: did you mean 'syncookies'"; diag "$(cat "$t/err")"; fi
"$TD_BIN" explain xyzzy -j > "$t/out" 2> "$t/err"; st=$?
expect_eq "nothing near: exit 64, no suggestion" "$st:$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["did_you_mean"])' < "$t/out"):$(grep -c 'did you mean' "$t/err")" "64:[]:0"

v=$("$TD_BIN" explain -j | "$PY" -c 'import json,sys; print(" ".join(json.load(sys.stdin)["topics"]["questions"]))')
expect_eq "the index lists the questions" "$v" "three-way-handshake isn msl syncookies time-wait-cost"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	for c in "explain isn -j" "explain msl -j" "explain syncookies -j" "explain time-wait-cost -j" "explain three-way-handshake -j" "explain tcp_fin_timout -j"; do
		# shellcheck disable=SC2086
		"$TD_BIN" -N "$ns" $c > "$t/doc" 2>/dev/null
		if out=$("$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$t/doc"); then ok "$c conforms to the schema"
		else not_ok "$c conforms to the schema"; diag "$out"; fi
	done
fi

# From a snapshot the slab sizes are still this machine's, and it says so.
"$TD_BIN" -N "$ns" snapshot -o "$t/snap.json" || not_ok "snapshot of $ns"
out=$("$TD_BIN" --from "$t/snap.json" explain time-wait-cost)
if [ -z "$size" ] || { grep -q "not the snapshot's host" <<<"$out" && grep -q 'the 5 timewait sockets of the snapshot' <<<"$out"; }; then
	ok "time-wait-cost --from: this machine's slab, the snapshot's TIME_WAIT count"
else not_ok "time-wait-cost --from: this machine's slab, the snapshot's TIME_WAIT count"; diag "$out"; fi
