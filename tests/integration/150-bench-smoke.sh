#!/bin/bash
# SPDX-License-Identifier: MIT
# make bench at a tiny size: bench/populate fills a namespace of its own
# with issue 11's mix (checked here with ss, independently of its own
# dump), the host's sysctls stay as they were, the floor programs count
# exactly what is there (and fail on a wrong count), and bench/tdbench
# times commands in that namespace, writing one result line per command.
. "$(dirname "$0")/../lib.sh"
require_root
pop="$TD_BUILD/bench/populate"
floor="$TD_BUILD/bench/floor"
tdb="$TD_BUILD/bench/tdbench"
for x in "$pop" "$floor" "$tdb"; do
	[ -x "$x" ] || { not_ok "$x built"; exit 1; }
done
d=$(tmpdir)
mkfifo "$d/in"
host_tw=$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)
host_range=$(cat /proc/sys/net/ipv4/ip_local_port_range)

# stdin read-write on a FIFO: it never ends, so populate holds until SIGTERM
# (exec: the PID bg records is populate's; a background job's stdin would
# be /dev/null otherwise).
bg sh -c 'exec "$@" <> "$0"' "$d/in" "$pop" -P 3 -D 300 2000 > "$d/ready" 2> "$d/err"
pid=${_td_pids[-1]}
wait_for 60 grep -q '^ready ' "$d/ready" || { not_ok "populate got ready"; cat "$d/err" | sed 's/^/# /'; exit 1; }
ok "populate got ready"
read -r _ total _ _ < "$d/ready"
expect_eq "populate counted 2000 sockets" "$total" 2000
nsx() { nsenter --net="/proc/$pid/ns/net" "$@"; }

st=$(nsx ss -tanH | awk '{ n[$1]++ } END { for (s in n) print s, n[s] }' | sort)
get() { echo "$st" | awk -v s="$1" '$1 == s { print $2 }'; }
expect_eq "ss sees 2000 sockets" "$(nsx ss -tanH | wc -l)" 2000
tw=$(get TIME-WAIT)
check "TIME_WAIT is most of it ($tw; 89% less the fixed listeners and full queue)" [ "${tw:-0}" -ge 1740 ]
check "ESTABLISHED pairs ($(get ESTAB))" [ "$(get ESTAB)" -ge 180 ]
expect_eq "four listeners" "$(get LISTEN)" 4
check "CLOSE_WAIT and FIN_WAIT2 pairs" [ "$(get CLOSE-WAIT)" -gt 0 -a "$(get CLOSE-WAIT)" = "$(get FIN-WAIT-2)" ]
check "SYN_RECV that stays ($(get SYN-RECV))" [ "$(get SYN-RECV)" -gt 0 ]
check "SYN_SENT that stays ($(get SYN-SENT))" [ "$(get SYN-SENT)" -gt 0 ]
tw6=$(nsx ss -tanH -6 state time-wait | wc -l)
check "TIME_WAIT over IPv6 too ($tw6)" [ "$tw6" -gt 0 ]
srcs=$(nsx ss -tanH -4 state time-wait | awk '{ sub(/:[0-9]+$/, "", $3); print $3 }' | sort -u | wc -l)
check "TIME_WAIT over many IPv4 addresses ($srcs)" [ "$srcs" -ge 32 ]
addrs=$(nsx ss -tanH | awk '{ print $4; print $5 }') || { not_ok "ss in the namespace"; exit 1; }
other=$(echo "$addrs" | grep -v -e '^198\.1[89]\.' -e '^\[2001:db8:' -e '^\*:' -e '^0\.0\.0\.0:' -e '^\[::\]:' | head -3)
expect_eq "every address in 198.18.0.0/15 or 2001:db8::/32" "$other" ""
owners=$(nsx ss -tanpH state established | grep -o 'pid=[0-9]*' | sort -u | wc -l)
check "sockets are held by the child processes ($owners)" [ "$owners" -ge 3 ]
routes=$(nsx ip route show default && nsx ip -6 route show default) || { not_ok "ip route in the namespace"; exit 1; }
expect_eq "no default route in the namespace" "$routes" ""
expect_eq "namespace: tcp_max_tw_buckets raised" "$(nsx cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" 5000
expect_eq "host: tcp_max_tw_buckets unchanged" "$(cat /proc/sys/net/ipv4/tcp_max_tw_buckets)" "$host_tw"
expect_eq "host: ip_local_port_range unchanged" "$(cat /proc/sys/net/ipv4/ip_local_port_range)" "$host_range"

expect_eq "floor family counts 2000" "$(nsx "$floor" family -e 2000)" 2000
expect_eq "floor onepass counts 2000" "$(nsx "$floor" onepass -e 2000)" 2000
nsx "$floor" family -e 1999 > /dev/null 2>&1
expect_eq "floor -e fails on a wrong count" "$?" 1
kill "$pid"
wait "$pid"
expect_eq "populate ends on SIGTERM with 0" "$?" 0

cat > "$d/cmds" <<CMDS
floor-family 0 $floor family -e @N@
floor-onepass 0 $floor onepass -e @N@
ls 0 $TD_BIN ls
fails 0 false
CMDS
"$tdb" -c "$d/cmds" -o "$d/out" -l "$d/log" -r 2 -- "$pop" -P 0 -D 0 1000 2> "$d/err"
expect_eq "tdbench stops on a command that fails" "$?" 1
check "and says which" grep -q "fails exited with 1" "$d/err"
sed -i '/^fails/d' "$d/cmds"
"$tdb" -c "$d/cmds" -o "$d/out" -l "$d/log" -r 2 -- "$pop" -P 0 -D 0 1000 2> "$d/err"
expect_eq "tdbench exits 0" "$?" 0
check "tdbench: sockets in the header" grep -qx '# sockets 1000' "$d/out"
check "tdbench: one line per command, 2 runs each, with RSS and CPU time" \
	awk 'BEGIN { n = 0 } !/^#/ { if (NF != 9 || $8 != 2 || $2 <= 0 || $7 < 100 || $9 !~ /^[0-9]+\.[0-9]$/) exit 1; n++ } END { exit n != 3 }' "$d/out"
