#!/bin/bash
# SPDX-License-Identifier: MIT
# tune: the sysctl.d snippet from real findings, and tune --audit on the
# seed article's sysctl.conf block and on a file of harmful settings.
. "$(dirname "$0")/../lib.sh"
require_root
dir=$(tmpdir)
seed="$TD_SRCDIR/tests/fixtures/sysctl/seed-article.conf"

# ---- --audit on the article's block ----
"$TD_BIN" -j tune --audit "$seed" > "$dir/audit.json"
expect_eq "audit exits 1 (tcp_tw_recycle is obsolete)" "$?" 1
"$PY" -c '
import json, sys
for l in json.load(open(sys.argv[1]))["audit"]:
    print(l["key"], l["verdict"], l["line"])' "$dir/audit.json" > "$dir/verdicts"
v() { awk -v k="$1" '$1 == k { print $2 }' "$dir/verdicts"; }
expect_eq "judges the 10 active lines (the commented one is skipped)" "$(wc -l < "$dir/verdicts")" 10
check "every knob of the article has an advice entry" sh -c "! grep -q ' unknown ' '$dir/verdicts'"
expect_eq "tcp_tw_recycle: obsolete" "$(v net.ipv4.tcp_tw_recycle)" obsolete
expect_eq "tcp_fin_timeout for TIME_WAIT: pointless" "$(v net.ipv4.tcp_fin_timeout)" pointless
expect_eq "tcp_max_syn_backlog with cookies on: pointless" "$(v net.ipv4.tcp_max_syn_backlog)" pointless
expect_eq "tcp_syncookies=1: fine" "$(v net.ipv4.tcp_syncookies)" fine
expect_eq "tcp_tw_reuse=1: fine" "$(v net.ipv4.tcp_tw_reuse)" fine
expect_eq "tcp_syn_retries=2: caution" "$(v net.ipv4.tcp_syn_retries)" caution
expect_eq "tcp_keepalive_time: fine" "$(v net.ipv4.tcp_keepalive_time)" fine
expect_eq "tcp_orphan_retries=3: fine" "$(v net.ipv4.tcp_orphan_retries)" fine
expect_eq "tcp_keepalive_probes: fine" "$(v net.ipv4.tcp_keepalive_probes)" fine
drops=$("$PY" -c 'print(sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat")))')
if [ "$drops" -eq 0 ]; then want=pointless; else want=fine; fi
expect_eq "netdev_max_backlog follows softnet drops ($drops)" "$(v net.core.netdev_max_backlog)" "$want"
expect_eq "tcp_tw_recycle is line 17" "$(awk '$1 == "net.ipv4.tcp_tw_recycle" { print $3 }' "$dir/verdicts")" 17
out=$("$TD_BIN" tune --audit "$seed")
check "text names file:line and verdict" grep -q "seed-article.conf:17: net.ipv4.tcp_tw_recycle = 1" <<<"$out"
check "text corrects the TIME_WAIT folklore" grep -q "does not shorten TIME_WAIT" <<<"$out"
check "text says what tcp_max_syn_backlog really is" grep -q "not the SYN queue size" <<<"$out"

# ---- --audit on harmful settings ----
cat > "$dir/bad.conf" <<'CONF'
net.ipv4.tcp_max_tw_buckets = 1000
net/ipv4/tcp_syncookies = 0
-net.ipv4.tcp_timestamps=0
net.core.somaxconn = 128
net.ipv4.tcp_retries2 = 3
net.ipv4.tcp_low_latency = 1
net.ipv4.ip_local_port_range = 40000 40009
net.ipv4.tcp_fin_timeout = abc
vm.swappiness = 10
this is not a setting
net.ipv4.tcp_frobnicate = 1
CONF
"$TD_BIN" -j tune --audit "$dir/bad.conf" > "$dir/bad.json"
expect_eq "audit of a file with invalid lines exits 2" "$?" 2
"$PY" -c '
import json, sys
for l in json.load(open(sys.argv[1]))["audit"]:
    print(l["line"], l["verdict"])' "$dir/bad.json" > "$dir/badv"
expect_eq "verdicts" "$(tr '\n' ' ' < "$dir/badv")" \
	"1 harmful 2 harmful 3 harmful 4 harmful 5 harmful 6 obsolete 7 caution 8 invalid 10 invalid 11 unknown "

# ---- the snippet from real findings ----
# mkns in the main shell, not $(...), so the namespace is removed at exit.
mkns tune >/dev/null || { not_ok "create a network namespace"; exit 1; }
ns=td-$$-tune
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=4 || { not_ok "set tcp_max_tw_buckets"; exit 1; }
ip netns exec "$ns" "$PY" -c '
import socket
l = socket.socket(); l.bind(("127.0.0.1", 7100)); l.listen(64)
for i in range(20):
    c = socket.create_connection(("127.0.0.1", 7100)); s, _ = l.accept(); c.close(); s.close()
'
ovf=$(ip netns exec "$ns" awk '/^TcpExt:/ { if (!h) { split($0, n); h = 1 } else { split($0, v); for (i in n) if (n[i] == "TCPTimeWaitOverflow") print v[i] } }' /proc/net/netstat)
check "the kernel skipped TIME_WAIT ($ovf overflows)" test "$ovf" -gt 0
ehash=$(ip netns exec "$ns" sysctl -n net.ipv4.tcp_ehash_entries)
want=$(( (ehash < 0 ? -ehash : ehash) / 2 ))
"$TD_BIN" -N "$ns" check -j > "$dir/s6.json"
expect_eq "S6: check exits 1" "$?" 1
expect_eq "S6: time_wait.bucket_overflow with the kernel's count and the limit" \
	"$("$PY" -c 'import json,sys; f=[x for x in json.load(open(sys.argv[1]))["findings"] if x["id"]=="time_wait.bucket_overflow"][0]; e=f["evidence"]; print(f["severity"], e["tw_overflow"], e["tcp_max_tw_buckets"], e["time_wait"])' "$dir/s6.json")" \
	"warning $ovf 4 $(ip netns exec "$ns" ss -tanH state time-wait | wc -l)"
"$TD_BIN" -N "$ns" tune > "$dir/snippet.conf"
expect_eq "tune exits 0" "$?" 0
check "restores tcp_max_tw_buckets to ehash/2" grep -qx "net.ipv4.tcp_max_tw_buckets = $want" "$dir/snippet.conf"
check "shows the current value and the risk" grep -q "^# current: 4; risk: " "$dir/snippet.conf"
check "says why" grep -q "^# reason: restore the default" "$dir/snippet.conf"
check "never tcp_tw_recycle" sh -c "! grep -q recycle '$dir/snippet.conf' || grep -q '^#.*recycle' '$dir/snippet.conf'"
expect_eq "printed, not applied" "$(ip netns exec "$ns" sysctl -n net.ipv4.tcp_max_tw_buckets)" 4
check "sysctl accepts the snippet as it is" ip netns exec "$ns" sysctl -q -p "$dir/snippet.conf"
expect_eq "and it sets the value" "$(ip netns exec "$ns" sysctl -n net.ipv4.tcp_max_tw_buckets)" "$want"
# Issue 8: under -N the snippet applies inside the namespace, not to sysctl --system.
check "says it is for the namespace" grep -q "^# Settings for network namespace $ns " "$dir/snippet.conf"
check "does not send it to sysctl --system" sh -c "! grep -q 'then run .sysctl --system' '$dir/snippet.conf'"
check "the command that applies it inside the namespace" \
	grep -qx "# apply: ip netns exec $ns sysctl -w net.ipv4.tcp_max_tw_buckets='$want'" "$dir/snippet.conf"
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_max_tw_buckets=4
cmd=$(sed -n 's/^# apply: //p' "$dir/snippet.conf" | head -1)
check "the apply command works as printed" sh -c "$cmd" >/dev/null
expect_eq "and sets the value in the namespace" "$(ip netns exec "$ns" sysctl -n net.ipv4.tcp_max_tw_buckets)" "$want"
# A global knob (tcp_max_orphans: ipv4_table, absent in child namespaces) is
# marked as such, with the host's command, in a namespace's snippet.
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
d["sysctls"]["net.ipv4.tcp_max_orphans"] = 10
d["counters"]["sockstat_orphan"] = 9
json.dump(d, open(sys.argv[2], "w"))' "$TD_SRCDIR/tests/fixtures/snapshots/check-healthy.json" "$dir/orphans.json"
"$TD_BIN" --from "$dir/orphans.json" tune -c /dev/null > "$dir/orphans.conf"
check "a global knob is marked global" grep -q "^# global: not per namespace; set it in the host's namespace" "$dir/orphans.conf"
check "with the host's command, not ip netns exec" grep -qx "# apply: sysctl -w net.ipv4.tcp_max_orphans='20'" "$dir/orphans.conf"
"$TD_BIN" tune > "$dir/host.conf"
check "without -N: a sysctl.d file for sysctl --system" grep -q "then run .sysctl --system" "$dir/host.conf"
check "without -N: no namespace commands" sh -c "! grep -q '^# apply:' '$dir/host.conf'"
"$TD_BIN" -N "$ns" -j tune > "$dir/tune.json"
expect_eq "json: the same change" "$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["sysctls"]))' "$dir/tune.json")" 0
