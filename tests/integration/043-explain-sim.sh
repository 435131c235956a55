#!/bin/bash
# SPDX-License-Identifier: MIT
# `explain` answers from the model with the sysctls of the namespace it
# looks at (-N), and `sim` reports bad input with the documented exit
# statuses and FILE:LINE:COLUMN messages.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns explain) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
ip netns exec "$ns" sysctl -qw net.ipv4.tcp_fin_timeout=3 net.ipv4.tcp_synack_retries=2 \
	net.ipv4.tcp_keepalive_time=60 net.ipv4.tcp_keepalive_probes=3 net.ipv4.tcp_keepalive_intvl=10 ||
	{ not_ok "set sysctls in $ns"; exit 1; }

out=$("$TD_BIN" -N "$ns" explain FIN_WAIT2)
# max(tcp_fin_timeout 3 s, 3.5 x the initial 1 s RTO)
if grep -q 'after close() (orphan): 3.5 s' <<<"$out"; then ok "FIN_WAIT2 orphan bound from the namespace's tcp_fin_timeout"
else not_ok "FIN_WAIT2 orphan bound from the namespace's tcp_fin_timeout"; diag "$out"; fi
out=$("$TD_BIN" -N "$ns" explain syn-recv)
# SYN-ACKs at 1 and 3 s, dropped at 7 s with tcp_synack_retries=2
if grep -q 'gives up after 7 s' <<<"$out"; then ok "SYN_RECV expiry from tcp_synack_retries=2"
else not_ok "SYN_RECV expiry from tcp_synack_retries=2"; diag "$out"; fi
v=$("$TD_BIN" -N "$ns" explain ESTABLISHED -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["max_lifetime_keepalive"])')
expect_eq "keepalive bound 60 + 3 x 10 s" "$v" "90.0"
v=$("$TD_BIN" -N "$ns" explain tcp_synack_retries -j | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])')
expect_eq "explain shows the namespace's value" "$v" "2"
out=$("$TD_BIN" explain TIME_WAIT)
if grep -q 'first after 60 s' <<<"$out"; then ok "TIME_WAIT is 60 s whatever tcp_fin_timeout says"
else not_ok "TIME_WAIT is 60 s"; diag "$out"; fi

out=$("$TD_BIN" explain ListenOverflows)
if grep -q 'moves in accept-queue-full' <<<"$out" && grep -q '^TcpExtListenOverflows' <<<"$out"; then
	ok "explain a counter: the model's scenarios that move it"
else not_ok "explain a counter: the model's scenarios that move it"; diag "$out"; fi
"$TD_BIN" explain nonsense 2> "$t/err"; expect_eq "explain: unknown topic exits 64" "$?" 64
"$TD_BIN" sim nosuch 2> "$t/err"; expect_eq "sim: unknown scenario exits 64" "$?" 64
"$TD_BIN" sim -f "$t/missing" 2> "$t/err"; expect_eq "sim: missing file exits 66" "$?" 66
printf 'host a 198.18.0.1\nhost b 198.18.0.2\nat 1 a connect b:80 from 40000 as c\nat 2 a sned c 10\n' > "$t/bad.sim"
"$TD_BIN" sim -f "$t/bad.sim" 2> "$t/err"; expect_eq "sim: bad script exits 65" "$?" 65
expect_eq "sim: the error names file, line and column" "$(cat "$t/err")" \
	"tcpdoctor: sim: $t/bad.sim:4:8: unknown call 'sned' (listen connect accept send recv shutdown close setsockopt getsockopt ioctl)"
"$TD_BIN" sim handshake --set tcp_nonsense=1 2> "$t/err"; expect_eq "sim: unknown knob exits 64" "$?" 64
"$TD_BIN" sim handshake --profile bsd 2> "$t/err"; expect_eq "sim: unknown profile exits 64" "$?" 64
printf 'host a 198.18.0.1\nhost b 198.18.0.2\nat 0 b listen 80 as L\nat 0.1 a connect b:80 from 40000 as c\nat 1 a close c\n' > "$t/ok.sim"
if "$TD_BIN" sim -f "$t/ok.sim" > "$t/ladder" && grep -q 'ESTABLISHED>FIN_WAIT1' "$t/ladder"; then ok "sim -f runs a user script"
else not_ok "sim -f runs a user script"; diag "$(cat "$t/ladder")"; fi
if python3 -c 'import jsonschema' 2>/dev/null; then
	for c in "sim handshake -j" "sim syn-flood -j" "explain -j" "explain CLOSE_WAIT -j" "explain tcp_fin_timeout -j" "explain knobs -j" "explain TcpExtTW -j"; do
		# sim runs the model, not a namespace: -N is refused there (issue 8).
		case $c in sim*) nsarg=() ;; *) nsarg=(-N "$ns") ;; esac
		# shellcheck disable=SC2086
		"$TD_BIN" "${nsarg[@]}" $c > "$t/doc"
		if out=$(python3 "$TD_SRCDIR/tests/helpers/validate.py" "$t/doc"); then ok "$c conforms to the schema"
		else not_ok "$c conforms to the schema"; diag "$out"; fi
	done
fi
