#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: it times summary at two sizes
# `summary` stays flat in memory and linear in time at scale: many
# listeners (once a record of 456 bytes each: 1M listeners took 456 MB) and
# many distinct SYN_RECV endpoints (once matched pairwise: 200k took
# 11.6 s).  Built from synthetic snapshots (tests/helpers/synthsnap.py);
# peak RSS from /usr/bin/time -v.
. "$(dirname "$0")/../lib.sh"
[ -x /usr/bin/time ] || skip_all "needs /usr/bin/time (package time)"
t=$(tmpdir)
# Under AddressSanitizer (make check SAN=...) freed memory sits in a
# quarantine of up to 256 MB; without it the peak RSS measures our memory.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:thread_local_quarantine_size_kb=0"
gen() { "$PY" "$TD_SRCDIR/tests/helpers/synthsnap.py" "$@" || { not_ok "synthsnap $*"; exit 1; }; }
now_ms() { date +%s%3N; }
# rss_kb FILE: the peak RSS /usr/bin/time -v wrote to FILE.
rss_kb() { awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$1"; }
jget() { "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }
# What the program costs before it holds anything: `summary` of an empty
# snapshot.  The bounds below are on what summary adds to it (20 MB less
# this base, about 4 MB in a plain build): under AddressSanitizer the base
# alone is some 14 MB of shadow and instrumented code, and grows with the
# binary, not with summary's memory.
gen listeners 0 "$t/empty.json"
/usr/bin/time -v -o "$t/time" "$TD_BIN" --from "$t/empty.json" summary -j > /dev/null ||
	not_ok "summary of an empty snapshot exits 0"
base=$(rss_kb "$t/time")
diag "summary of an empty snapshot: peak RSS $base KB"

# ---- many listeners ----
NL=200000
gen listeners $NL "$t/l.json"
/usr/bin/time -v -o "$t/time" "$TD_BIN" --from "$t/l.json" summary -j > "$t/sum" ||
	not_ok "summary of $NL listeners exits 0"
rss=$(rss_kb "$t/time")
diag "summary of $NL listeners: peak RSS $rss KB"
check "summary of $NL listeners: peak RSS $rss KB, $((rss - base)) KB over the empty run, under 16 MB (was 456 bytes a listener: ~90 MB)" \
	test $((rss - base)) -lt 16000
expect_eq "1024 listeners shown" "$(jget "$t/sum" 'len(d["listeners"])')" 1024
expect_eq "the rest counted as not shown" "$(jget "$t/sum" 'd["listeners_not_shown"]["count"]')" \
	$((NL - 1024))
expect_eq "LISTEN total still counts every listener" "$(jget "$t/sum" 'd["states"]["LISTEN"]["total"]')" $NL
"$TD_BIN" --from "$t/l.json" summary > "$t/tab"
check "the table says how many more listeners there are" \
	grep -q "^\.\.\. and $((NL - 1024)) more listeners not shown (0 of them with a full accept queue)" "$t/tab"
check "summary -j with listeners_not_shown validates against the schema" \
	"$PY" "$TD_SRCDIR/tests/helpers/validate.py" "$t/sum"

# ---- many distinct SYN_RECV endpoints ----
NR=200000
gen synrecv $NR "$t/s.json"
start=$(now_ms)
"$TD_BIN" --from "$t/s.json" ls -H > /dev/null
walk=$(( $(now_ms) - start ))
start=$(now_ms)
/usr/bin/time -v -o "$t/time" "$TD_BIN" --from "$t/s.json" summary -j > "$t/sum" ||
	not_ok "summary of $NR SYN_RECV endpoints exits 0"
ms=$(( $(now_ms) - start ))
rss=$(rss_kb "$t/time")
diag "summary of $NR distinct SYN_RECV endpoints: $ms ms, peak RSS $rss KB (ls of the file: $walk ms)"
# Linear: about the cost of reading the file (ls), not quadratic (11.6 s).
check "summary of $NR SYN_RECV endpoints takes $ms ms, under twice the walk ($walk ms) + 1 s" \
	test "$ms" -lt $((2 * walk + 1000))
check "summary of $NR SYN_RECV endpoints: peak RSS $rss KB, $((rss - base)) KB over the empty run, under 16 MB" \
	test $((rss - base)) -lt 16000
# listener -> SYN_RECV count: the wildcard :80 has all N, the exact :443 its 3.
lsr() { jget "$1" '[l["syn_recv"] for l in d["listeners"] if l["local"] == "'"$2"'" and l["port"] == '"$3"'][0]'; }
expect_eq "0.0.0.0:80 has the $NR request sockets" "$(lsr "$t/sum" 0.0.0.0 80)" $NR
expect_eq "198.18.0.1:443 (exact) has its 3" "$(lsr "$t/sum" 198.18.0.1 443)" 3
expect_eq "0.0.0.0:443 (wildcard) has none" "$(lsr "$t/sum" 0.0.0.0 443)" 0
expect_eq "no request socket without a listener" "$(jget "$t/sum" 'd["syn_recv_without_listener"]')" 0

# Request sockets before their listeners (a reordered file): the same
# counts while they fit the waiting table (4096 endpoints), counted beyond.
gen synrecv-first 3000 "$t/f.json"
"$TD_BIN" --from "$t/f.json" summary -j > "$t/sum"
expect_eq "reordered: 0.0.0.0:80 has its 3000" "$(lsr "$t/sum" 0.0.0.0 80)" 3000
expect_eq "reordered: 198.18.0.1:443 has its 3" "$(lsr "$t/sum" 198.18.0.1 443)" 3
gen synrecv-first 10000 "$t/f.json"
/usr/bin/time -v -o "$t/time" "$TD_BIN" --from "$t/f.json" summary -j > "$t/sum"
got=$(jget "$t/sum" '[l["syn_recv"] for l in d["listeners"] if l["port"] == 80][0] + d["syn_recv_without_listener"]')
expect_eq "reordered beyond the table: every request socket counted" "$got" 10000
check "reordered beyond the table: some counted without a listener" \
	test "$(jget "$t/sum" 'd["syn_recv_without_listener"]')" -gt 0

# No listener at all (qsort of nothing was undefined behaviour).
gen sockets 10 "$t/e.json"
"$TD_BIN" --from "$t/e.json" summary > /dev/null
expect_eq "summary without listeners exits 0" "$?" 0
