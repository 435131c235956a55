#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: it times the bench's commands
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
tws=$(nsx ss -tanoH state time-wait)
expect_eq "every TIME_WAIT socket on its 60 s timer" "$(echo "$tws" | grep -vc 'timer:(timewait,')" 0
peers=$(echo "$tws" | awk '{ print $4 }' | grep -v -e '^198\.19\.129\.' -e '^\[2001:db8:2::1:' | head -3)
expect_eq "TIME_WAIT peers in 198.19.129.0/24 and 2001:db8:2::1:0/112 (repair mode)" "$peers" ""
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

# A FIN+ACK the loopback lost (POPULATE_SKIP_FINACK leaves out the first
# 40): the verification finds those sockets in FIN_WAIT1 and sends again.
echo | POPULATE_SKIP_FINACK=40 "$pop" -P 0 -D 0 2000 > "$d/ready2" 2> "$d/err2"
expect_eq "populate with 40 FIN+ACKs lost exits 0" "$?" 0
check "and says it sent them again" grep -q '^populate: 40 FIN+ACKs sent again' "$d/err2"
check "no socket left in FIN_WAIT1" sh -c "! grep -q FIN_WAIT1 '$d/err2'"
read -r _ total _ _ < "$d/ready2"
expect_eq "all 2000 there" "$total" 2000
# -S: TIME_WAIT by sockets connected to themselves (no repair mode).
echo | "$pop" -S -P 0 -D 0 2000 > "$d/ready3" 2> "$d/err3"
expect_eq "populate -S exits 0" "$?" 0
check "and says how it made them" grep -q 'self-connected' "$d/err3"

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

# A machine too slow for the size: a populator whose first TIME_WAIT socket
# is already older than its lifetime.  tdbench populates three times, says
# so and exits 3, timing nothing.
cat > "$d/slowpop" <<'SLOW'
#!/bin/sh
echo "ready 1000 0 61000"
exec cat > /dev/null
SLOW
chmod +x "$d/slowpop"
"$tdb" -c "$d/cmds" -o "$d/out-slow" -l "$d/log" -r 2 -- "$d/slowpop" 2> "$d/err"
expect_eq "tdbench exits 3 when the machine is too slow" "$?" 3
check "and says so" grep -q "the last took 61.0 s and left 0.0 s; at least 10 s needed): this machine is too slow or too busy for this size" "$d/err"
check "with how long populating took" grep -q 'populating 1000 sockets took 61.0 s' "$d/err"
check "no results written" [ ! -e "$d/out-slow" ]

# The time limit: no command starts after it; what did not run says so.
cat > "$d/cmds-slow" <<CMDS
sleep-a 0 sleep 1.2
sleep-b 0 sleep 1.2
CMDS
"$tdb" -c "$d/cmds-slow" -o "$d/out-t" -l "$d/log" -r 3 -t 1 -- "$pop" -P 0 -D 0 1000 2> "$d/err"
expect_eq "tdbench with a time limit exits 0" "$?" 0
check "it says the limit ended the run" grep -q 'time limit of 1 s reached in round 1 of 3' "$d/err"
check "the header says where it stopped" grep -qx '# stopped time_limit 1' "$d/out-t"
check "the first command ran once" awk '$1 == "sleep-a" && $8 == 1 { f = 1 } END { exit !f }' "$d/out-t"
check "the second never ran" awk '$1 == "sleep-b" && $2 == "-" && $8 == 0 { f = 1 } END { exit !f }' "$d/out-t"

# The machine becomes too slow after some runs: the first population
# leaves 13 s, every later one nothing.  tdbench keeps the runs it made,
# says where it stopped, and exits 0.
cat > "$d/slowlater" <<SLOW
#!/bin/sh
if [ -e "$d/slowlater.n" ]; then echo "ready 1000 0 61000"; exec cat > /dev/null; fi
: > "$d/slowlater.n"
echo "ready 1000 \$(python3 -c 'import time; print(time.monotonic_ns() - 45 * 10**9)') 900"
exec cat > /dev/null
SLOW
chmod +x "$d/slowlater"
"$tdb" -c "$d/cmds-slow" -o "$d/out-later" -l "$d/log" -r 20 -- "$d/slowlater" 2> "$d/err"
expect_eq "tdbench exits 0 when the machine becomes too slow after some runs" "$?" 0
check "it says so" grep -q 'the machine became too slow or too busy; the commands keep the runs they had' "$d/err"
check "the header says where it stopped" grep -q '^# stopped too_slow [0-9]' "$d/out-later"
check "the runs made are kept" awk '$1 == "sleep-a" && $8 >= 2 && $8 < 20 { f = 1 } END { exit !f }' "$d/out-later"
