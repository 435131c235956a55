#!/bin/bash
# SPDX-License-Identifier: MIT
# tune --audit as a gate for a configuration pipeline: exit statuses for
# clean, harmful, obsolete and invalid files; options after the file names;
# a file that is not a sysctl file refused; the range check against the
# running kernel (every edge value written in a throwaway namespace, and
# the audit must call invalid exactly what the kernel refuses); a 200,000
# line file within a memory bound measured with /usr/bin/time -v.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)

expect_err() {	# DESCRIPTION STATUS MESSAGE-SUBSTRING COMMAND...
	local what=$1 want=$2 msg=$3 rc; shift 3
	"$@" > "$dir/out" 2> "$dir/err"; rc=$?
	expect_eq "$what: exit $want" "$rc" "$want"
	if [ "$(wc -l < "$dir/err")" -eq 1 ] && grep -qF -- "$msg" "$dir/err"; then
		ok "$what: one line naming the problem"
	else
		not_ok "$what: one line naming the problem"; diag "stderr: $(cat "$dir/err")"
	fi
}

# ---- exit statuses ----
printf '# clean\nnet.ipv4.tcp_syncookies = 1\nnet.core.somaxconn = 8192\nvm.swappiness = 10\n' > "$dir/clean.conf"
printf 'net.ipv4.tcp_syncookies = 1\nnet.ipv4.tcp_sack = 0\n' > "$dir/harmful.conf"
printf 'net.ipv4.tcp_tw_recycle = 0\n' > "$dir/obsolete.conf"
printf 'net.ipv4.tcp_syn_retries = 0\nnet.ipv4.tcp_sack = 0\n' > "$dir/invalid.conf"
printf 'net.ipv4.tcp_synack_retries = 0\nnet.ipv4.tcp_keepalive_probes = 1\n' > "$dir/zeros.conf"
"$TD_BIN" tune --audit "$dir/clean.conf" > /dev/null
expect_eq "clean file: exit 0" "$?" 0
"$TD_BIN" tune --audit "$dir/zeros.conf" > "$dir/zeros.out"
expect_eq "tcp_synack_retries = 0 is valid on this kernel: exit 0" "$?" 0
check "and judged caution, not invalid" grep -q "CAUTION: valid (0 to 255)" "$dir/zeros.out"
"$TD_BIN" tune --audit "$dir/harmful.conf" > /dev/null
expect_eq "harmful line: exit 1" "$?" 1
"$TD_BIN" tune --audit "$dir/obsolete.conf" > /dev/null
expect_eq "obsolete line: exit 1" "$?" 1
"$TD_BIN" tune --audit "$dir/invalid.conf" > /dev/null
expect_eq "invalid line (with a harmful one): exit 2" "$?" 2
"$TD_BIN" tune --audit "$dir/clean.conf" "$dir/harmful.conf" "$dir/invalid.conf" > /dev/null
expect_eq "several files: the worst decides" "$?" 2

# ---- options after the file names ----
"$TD_BIN" tune --audit "$dir/harmful.conf" -j > "$dir/after.json"
expect_eq "--audit FILE -j: exit 1" "$?" 1
check "--audit FILE -j prints JSON" "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["audit"][1]["verdict"] == "harmful"' "$dir/after.json"
"$TD_BIN" tune "$dir/harmful.conf" --audit --format json > "$dir/after2.json"
check "FILE --audit --format json prints JSON" "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))' "$dir/after2.json"
expect_err "a bad option after the file" 64 "tcpdoctor: tune:" "$TD_BIN" tune --audit "$dir/clean.conf" --frobnicate

# ---- not a sysctl file ----
expect_err "/etc/passwd is refused" 65 "'/etc/passwd': not a sysctl file" "$TD_BIN" tune --audit /etc/passwd
printf 'net.ipv4.tcp_syncookies = 1\n\000\001\002\n' > "$dir/nul.conf"
expect_err "a NUL byte is refused" 65 "line 2 has a NUL byte" "$TD_BIN" tune --audit "$dir/nul.conf"
expect_err "a binary is refused" 65 "not a sysctl file" "$TD_BIN" tune --audit "$TD_BIN"

# ---- the ranges against the running kernel ----
# For every per-namespace knob the audit knows: write min-1, min, 0, max,
# max+1 and 2^64 to the kernel in a private namespace; the audit must call
# a value invalid exactly when the kernel refuses it.  The jiffies knobs'
# upper edge depends on CONFIG_HZ (the table holds the HZ=100 bound), so
# their edges above 2147483 (HZ=1000) are left out.
mkns audit >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-audit
"$PY" - "$TD_SRCDIR/analyzers/knob_range.c" > "$dir/edges" <<'EOF'
import re, sys
src = open(sys.argv[1]).read()
macros = {"U8": (1, 0, 255), "INT": (1, -2**31, 2**31 - 1), "JIFFIES": (1, -21474836, 21474836)}
for m in re.finditer(r'\{ "([a-z0-9_.]+)",\s*([^}]*)\}', src):
    name, rest = m.group(1), [x.strip() for x in m.group(2).split(",")]
    if rest[0] in macros:
        n, lo, hi = macros[rest[0]]
    else:
        n = int(rest[0])
        num = lambda s: {"INT32_MIN": -2**31, "INT32_MAX": 2**31 - 1, "INT64_MAX": 2**63 - 1}.get(s, None) if not re.match(r"-?\d+$", s) else int(s)
        lo, hi = num(rest[1]), num(rest[2])
    if n == 0:
        continue
    vals = {lo - 1, lo, 0, hi, hi + 1, 2**64}
    if rest[0] == "JIFFIES":
        vals = {v for v in vals if abs(v) <= 2147483} | {2**64}
    if name == "net.ipv4.ip_local_port_range":
        vals = {1023, 1024, 65535, 65536}
    for v in sorted(vals):
        print(name, n, v)
EOF
total=0 agree=0
while read -r name n v; do
	f=/proc/sys/${name//.//}
	ip netns exec "$ns" test -e "$f" || continue	# global knobs: not in a child namespace
	case $n in 1) val=$v ;; 2) val="$v $v" ;; 3) val="$v $v $v" ;; esac
	[ "$name" = net.ipv4.ip_local_port_range ] && val="$v 65535"
	[ "$name" = net.ipv4.ip_local_port_range ] && [ "$v" -gt 65535 ] && val="1024 $v"
	old=$(ip netns exec "$ns" cat "$f")
	if ip netns exec "$ns" sh -c "printf '%s' '$val' > $f" 2>/dev/null; then kernel=ok; else kernel=refused; fi
	ip netns exec "$ns" sh -c "printf '%s' '$old' > $f" 2>/dev/null
	printf '%s = %s\n' "$name" "$val" > "$dir/one.conf"
	"$TD_BIN" -j tune --audit "$dir/one.conf" > "$dir/one.json"
	verdict=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["audit"][0]["verdict"])' "$dir/one.json")
	if [ "$verdict" = invalid ]; then audit=refused; else audit=ok; fi
	total=$((total + 1))
	if [ "$audit" = "$kernel" ]; then agree=$((agree + 1)); else diag "$name = $val: kernel $kernel, audit $verdict"; fi
done < "$dir/edges"
check "edge values tried ($total)" test "$total" -ge 100
expect_eq "the audit calls invalid exactly what the kernel refuses ($agree of $total)" "$agree" "$total"

# ---- memory: 200,000 lines ----
# Lines of other subsystems are counted, not kept: judged in bounded memory.
# What a run adds over a one-line audit is bounded in every build; the whole
# peak (16 MiB) is the goal for a plain build, not for AddressSanitizer's,
# whose shadow memory and instrumented code alone come near it.
printf 'net.ipv4.tcp_syncookies = 1\n' > "$dir/small.conf"
/usr/bin/time -v "$TD_BIN" tune --audit "$dir/small.conf" > /dev/null 2> "$dir/small.time"
base=$(awk -F: '/Maximum resident/ { print $2 + 0 }' "$dir/small.time")
diag "peak RSS for a one-line audit: $base KiB"
if ldd "$TD_BIN" 2>/dev/null | grep -q libasan; then sanitized=1; else sanitized=; fi
rss_bounded() {	# label rss
	check "$1: adds under 8 MiB to a one-line audit ($2 - $base KiB)" test $(($2 - base)) -lt 8192
	[ -n "$sanitized" ] || check "$1: peak RSS under 16 MiB ($2 KiB)" test "$2" -lt 16384
}
"$PY" -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000): f.write("vm.swappiness = %d\n" % (i % 100))
    f.write("net.ipv4.tcp_syncookies = 1\n")' "$dir/big.conf"
/usr/bin/time -v "$TD_BIN" tune --audit "$dir/big.conf" > "$dir/big.out" 2> "$dir/big.time"
expect_eq "200,000 other lines: exit 0" "$?" 0
check "all counted" grep -q "judged 1 TCP lines .* (200000 other lines skipped)" "$dir/big.out"
rss=$(awk -F: '/Maximum resident/ { print $2 + 0 }' "$dir/big.time")
diag "peak RSS for 200,001 lines: $rss KiB"
rss_bounded "200,001 lines" "$rss"
# TCP lines are kept (each judged line is printed) up to a stated bound.
"$PY" -c 'import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000): f.write("net.ipv4.tcp_fin_timeout = %d\n" % (30 + i % 10))' "$dir/bigtcp.conf"
/usr/bin/time -v "$TD_BIN" tune --audit "$dir/bigtcp.conf" > /dev/null 2> "$dir/bigtcp.time"
expect_eq "200,000 TCP lines: exit 65" "$?" 65
check "the error names the bound" grep -q "line 4097: more than 4096 TCP settings in this run" "$dir/bigtcp.time"
rss=$(awk -F: '/Maximum resident/ { print $2 + 0 }' "$dir/bigtcp.time")
diag "peak RSS for 200,000 TCP lines: $rss KiB"
rss_bounded "200,000 TCP lines" "$rss"
