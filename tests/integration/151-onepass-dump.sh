#!/bin/bash
# SPDX-License-Identifier: MIT
# summary and check read both families in one kernel walk (TCPDIAG_GETSOCK,
# sockdiag_dump with AF_UNSPEC); -4 and -6 still dump one family each.  In
# a namespace holding IPv4 and IPv6 sockets in every state bench/populate
# makes, the one-pass counts equal the per-family ones state by state, and
# both equal what the bare floor programs count.
. "$(dirname "$0")/../lib.sh"
require_root
pop="$TD_BUILD/bench/populate"
floor="$TD_BUILD/bench/floor"
[ -x "$pop" ] && [ -x "$floor" ] || { not_ok "bench/populate and bench/floor built"; exit 1; }
d=$(tmpdir)
mkfifo "$d/in"
bg sh -c 'exec "$@" <> "$0"' "$d/in" "$pop" -P 0 -D 0 3000 > "$d/ready" 2> "$d/err"
pid=${_td_pids[-1]}
wait_for 60 grep -q '^ready ' "$d/ready" || { not_ok "populate got ready"; sed 's/^/# /' "$d/err"; exit 1; }
nsx() { nsenter --net="/proc/$pid/ns/net" "$@"; }
counts() {
	"$PY" -c 'import json, sys
t = {}
for f in sys.argv[1:]:
    for st, v in json.load(open(f))["states"].items():
        t[st] = t.get(st, 0) + v["total"]
print(" ".join("%s=%d" % kv for kv in sorted(t.items())))' "$@"
}
nsx "$TD_BIN" -j summary > "$d/both.json" || { not_ok "summary"; exit 1; }
nsx "$TD_BIN" -4 -j summary > "$d/v4.json" || { not_ok "summary -4"; exit 1; }
nsx "$TD_BIN" -6 -j summary > "$d/v6.json" || { not_ok "summary -6"; exit 1; }
both=$(counts "$d/both.json")
expect_eq "one pass = IPv4 + IPv6, state by state" "$both" "$(counts "$d/v4.json" "$d/v6.json")"
total=$("$PY" -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' "$d/both.json")
expect_eq "summary total = the per-family floor" "$total" "$(nsx "$floor" family)"
expect_eq "summary total = the one-pass floor" "$total" "$(nsx "$floor" onepass)"
check "both families present" grep -q '"ipv6": [1-9]' "$d/both.json"
nsx "$TD_BIN" -j check > "$d/check.json"
rc=$?
check "check runs on the one-pass dump (exit $rc)" [ "$rc" -le 2 ]
check "check's JSON parses" "$PY" -c 'import json, sys; json.load(open(sys.argv[1]))' "$d/check.json"
