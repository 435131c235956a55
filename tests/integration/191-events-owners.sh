#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# `tcpdoctor events` names the owner of each socket that goes away, with and
# without the tracepoints, in a namespace of ours (loopback): a server
# process started after events (a new listener) accepts, a client process
# connects.  Connection A is held while B opens and closes at once; B's end
# (its owner unknown without trace) asks for an owner scan, which finds A
# still held; then A closes, then C opens and closes.
#  - traced: the client's connections carry the task in connect() (owner_from
#    connect), the accepted ones the listener's owner (the LISTEN transition
#    asked for a scan);
#  - --no-trace: A's client end is found by its cookie (owner_from socket),
#    the accepted ones by the listener (owner_from listener, role accept);
# every pid reported is exactly the PID this test started, and the recording
# plays back the same owners in the table (Owner column, "(listener)").
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns evown) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
port=47191
tracing=1
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || tracing=0
[ -d /sys/kernel/tracing/events/sock/inet_sock_set_state ] || tracing=0

subscribed() { ip netns exec "$ns" awk -v p="$1" '$2 == 4 && $3 == p && $4 != "00000000" {f=1} END {exit !f}' /proc/net/netlink; }
traced() { grep -qs 1 /sys/kernel/tracing/instances/tcpdoctor-"$1"-*/events/sock/inet_sock_set_state/enable; }
listening() { ip netns exec "$ns" ss -Hltn "sport = :$port" | grep -q .; }

# run MODE [EVENTS ARGS...]: events, then the server, then the client; sets srv, cli.
run() {
	local mode=$1 ev
	shift
	ip netns exec "$ns" "$TD_BIN" events -j -d 30 "$@" > "$t/$mode.json" 2> "$t/$mode.err" &
	ev=$!
	_td_pids+=("$ev")
	wait_for 5 subscribed "$ev" || { not_ok "$mode: events subscribed"; return 1; }
	if [ "$mode" = traced ]; then
		wait_for 5 traced "$ev" || { not_ok "$mode: events traced"; return 1; }
	fi
	# One thread, so that its pid is the task of every accept().
	ip netns exec "$ns" "$PY" - "$port" > "$t/$mode.srv" 2>&1 <<'PYEOF' &
import select, socket, sys, time
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", int(sys.argv[1]))); l.listen(16)
held = []
accepted = 0
end = time.time() + 30
while time.time() < end and not (held == [] and accepted >= 3):
    rd, _, _ = select.select([l] + held, [], [], 0.1)
    for x in rd:
        if x is l:
            held.append(l.accept()[0]); accepted += 1
        elif x.recv(100) == b"":
            x.close(); held.remove(x)
for x in held:
    x.close()
PYEOF
	srv=$!
	_td_pids+=("$srv")
	wait_for 5 listening || { not_ok "$mode: server listening"; return 1; }
	# The scan the new listener asked for (traced), at most one a second.
	sleep 1.2
	ip netns exec "$ns" "$PY" - "$port" > "$t/$mode.cli" 2>&1 <<'PYEOF' &
import socket, sys, time
p = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", p)); a.sendall(b"a")
print("A", a.getsockname()[1], flush=True)
b = socket.create_connection(("127.0.0.1", p)); b.sendall(b"b"); b.close()
time.sleep(4)
a.close()
time.sleep(0.3)
c = socket.create_connection(("127.0.0.1", p)); c.sendall(b"c")
print("C", c.getsockname()[1], flush=True)
c.close()
time.sleep(0.3)
PYEOF
	cli=$!
	_td_pids+=("$cli")
	wait "$cli"
	# The last close was 0.3 s ago: its notification and transitions are in
	# well before a second (notifications wait 300 ms for their transitions).
	sleep 1
	kill -INT "$ev"
	wait "$ev"; rc=$?
	expect_eq "$mode: events exits 0" "$rc" 0
	[ "$rc" = 0 ] || diag "$(cat "$t/$mode.err")"
	wait "$srv"
	return 0
}

# judge MODE ACTIVE_FROM: the owners in the NDJSON against srv and cli.
judge() {
	"$PY" - "$t/$1.json" "$t/$1.cli" "$port" "$srv" "$cli" "$2" <<'PYEOF'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
ports = dict(l.split() for l in open(sys.argv[2]))
port, srv, cli, afrom = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
conn = [r for r in recs if r["type"] == "connection"]
def one(pred, what):
    m = [r for r in conn if pred(r)]
    if len(m) != 1:
        print("not-one", what, len(m)); return {}
    return m[0]
a_cli = one(lambda r: r["sport"] == int(ports["A"]) and r["dport"] == port, "A client")
a_srv = one(lambda r: r["sport"] == port and r["dport"] == int(ports["A"]), "A server")
c_srv = one(lambda r: r["sport"] == port and r["dport"] == int(ports["C"]), "C server")
c_cli = one(lambda r: r["sport"] == int(ports["C"]) and r["dport"] == port, "C client")
print("A-client", a_cli.get("pid") == cli, a_cli.get("owner_from"), a_cli.get("comm"), a_cli.get("role"))
print("A-server", a_srv.get("pid") == srv, a_srv.get("owner_from") in ("socket", "listener"), a_srv.get("role"))
print("C-server", c_srv.get("pid") == srv, c_srv.get("owner_from"), c_srv.get("role"))
print("C-client", c_cli.get("pid") in (cli, None))
mine = [r for r in conn if port in (r["sport"], r["dport"])]
print("strangers", sorted({r["pid"] for r in mine if r["pid"] not in (srv, cli, None)}))
print("wrong-side", sum(1 for r in mine if (r["sport"] == port and r["pid"] == cli) or
      (r["dport"] == port and r["pid"] == srv)))
lsn = [r for r in recs if r["type"] == "listener" and r["sport"] == port]
print("listener-row", len(lsn) == 1 and lsn[0]["pid"] == srv and lsn[0]["comm"] == "python3" and
      lsn[0]["owner_from"] == "listener")
s = [r for r in recs if r["type"] == "summary"][-1]
print("scans", s["owner_scans"] >= 2)
PYEOF
}

if [ "$tracing" = 1 ]; then
	if run traced; then
		out=$(judge traced connect)
		diag "$(tr '\n' ';' <<<"$out")"
		check "traced: A's client end is the client's PID, from connect()" \
		    grep -qx "A-client True connect python3 connect" <<<"$out"
		check "traced: A's accepted end is the server's PID" grep -qx "A-server True True accept" <<<"$out"
		check "traced: C's accepted end is the server's PID, as the listener's owner" \
		    grep -qx "C-server True listener accept" <<<"$out"
		check "traced: C's client end is the client's PID" grep -qx "C-client True" <<<"$out"
		check "traced: no other PID is named" grep -qx "strangers \[\]" <<<"$out"
		check "traced: no end carries the other side's PID" grep -qx "wrong-side 0" <<<"$out"
		check "traced: the listener row carries the server's PID" grep -qx "listener-row True" <<<"$out"
		check "traced: the new listener asked for a scan" grep -qx "scans True" <<<"$out"
	fi
else
	[ "${CI:-}" = true ] && not_ok "tracefs with sock:inet_sock_set_state is needed in CI" ||
	    skip "traced half: no tracefs with sock:inet_sock_set_state"
fi

if run notrace --no-trace --record "$t/rec.zst"; then
	out=$(judge notrace socket)
	diag "$(tr '\n' ';' <<<"$out")"
	check "--no-trace: A's client end is the client's PID, by its cookie" \
	    grep -qx "A-client True socket python3 unknown" <<<"$out"
	check "--no-trace: A's accepted end is the server's PID" grep -qx "A-server True True accept" <<<"$out"
	check "--no-trace: C's accepted end is the server's PID, as the listener's owner" \
	    grep -qx "C-server True listener accept" <<<"$out"
	check "--no-trace: C's client end is the client's PID or unknown" grep -qx "C-client True" <<<"$out"
	check "--no-trace: no other PID is named" grep -qx "strangers \[\]" <<<"$out"
	check "--no-trace: no end carries the other side's PID" grep -qx "wrong-side 0" <<<"$out"
	check "--no-trace: the listener row carries the server's PID" grep -qx "listener-row True" <<<"$out"
	check "--no-trace: B's unknown owner asked for a scan" grep -qx "scans True" <<<"$out"
	if "$PY" -c 'import jsonschema' 2>/dev/null; then
		check "--no-trace: the NDJSON conforms to the schema" "$PY" \
		    "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=events_line "$t/notrace.json"
		[ "$tracing" = 1 ] && check "traced: the NDJSON conforms to the schema" "$PY" \
		    "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=events_line "$t/traced.json"
	else
		[ "${CI:-}" = true ] && not_ok "python3-jsonschema is needed in CI" || skip "python3-jsonschema missing"
	fi
	cport=$(awk '$1 == "C" {print $2}' "$t/notrace.cli")
	"$TD_BIN" --from "$t/rec.zst" events > "$t/replay.out" 2> "$t/replay.err"
	check "the recording plays back C's accepted end as the listener's owner" \
	    grep -Eq "127\.0\.0\.1:$port +127\.0\.0\.1:$cport .* python3/$srv\(listener\) " "$t/replay.out"
	check "the recording plays back the listener row's owner" \
	    grep -Eq "^  127\.0\.0\.1:$port .* python3/$srv$" "$t/replay.out"
fi
