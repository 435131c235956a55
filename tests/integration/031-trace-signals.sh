#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# No tracefs instance outlives its process.  `tcpdoctor trace`, sent each
# terminating signal in turn, removes its instance (INT and TERM end it with
# 0, PIPE with 71, the others by the signal itself); after a SIGKILL the
# next trace removes the dead run's instance and leaves a running trace's
# alone.  The same for the kernel lab (`sim --against-kernel`): its child
# removes its tdk-* instance on every signal, and the next lab sweeps a
# SIGKILLed one.  Also: unprivileged trace says permission denied with the
# path; `trace | head` ends quietly; `trace state time-wait` warns.
. "$(dirname "$0")/../lib.sh"
require_root
[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
	skip_all "needs tracefs"
[ -d /sys/kernel/tracing/events/sock/inet_sock_set_state ] || skip_all "no inet_sock_set_state tracepoint"
I=/sys/kernel/tracing/instances
ns=$(mkns sig) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
port=$((48000 + $$ % 1000))
ulimit -c 0	# QUIT, XCPU and XFSZ would dump core

# has PREFIX PID: the instance of process PID exists (any name format)
has() { ls "$I" | grep -q "^$1-$2-"; }
# ready PID: its instance has the tracepoint enabled (set up, tracing)
ready() { grep -qs 1 "$I"/tcpdoctor-"$1"-*/events/sock/inet_sock_set_state/enable; }
# connect once inside the namespace (traffic for trace to print)
traffic() {
	ip netns exec "$ns" "$PY" -c '
import socket, sys
port = int(sys.argv[1])
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port)); s.listen()
c = socket.create_connection(("127.0.0.1", port)); a, _ = s.accept()
c.close(); a.close(); s.close()' "$port"
}

# 1. every terminating signal: the instance is gone, the status says how it ended
declare -A want=([HUP]=129 [INT]=0 [QUIT]=131 [TERM]=0 [USR1]=138 [ALRM]=142 [PIPE]=71)
for sig in HUP INT QUIT TERM USR1 ALRM PIPE; do
	"$TD_BIN" trace -P "$port" -d 30 > /dev/null 2> "$t/err.$sig" &
	p=$!
	_td_pids+=("$p")
	if ! wait_for 5 ready "$p"; then not_ok "SIG$sig: trace never set up its instance"; continue; fi
	kill -"$sig" "$p"
	wait "$p"; rc=$?
	if has tcpdoctor "$p"; then not_ok "SIG$sig: instance left behind: $(ls "$I" | grep "^tcpdoctor-$p-")"
	else ok "SIG$sig: trace removed its instance"; fi
	expect_eq "SIG$sig: exit status" "$rc" "${want[$sig]}"
	expect_eq "SIG$sig: nothing on stderr" "$(cat "$t/err.$sig")" ""
done

# 2. SIGKILL cannot be handled: the next start sweeps the dead run's instance,
# and leaves the instance of a trace that is still running alone.
"$TD_BIN" trace -P "$port" -d 30 > /dev/null 2>&1 &
dead=$!; _td_pids+=("$dead")
"$TD_BIN" trace -P "$port" -d 30 > /dev/null 2>&1 &
live=$!; _td_pids+=("$live")
wait_for 5 ready "$dead" && wait_for 5 ready "$live" || not_ok "two traces set up"
dead_name=$(ls "$I" | grep "^tcpdoctor-$dead-")
live_name=$(ls "$I" | grep "^tcpdoctor-$live-")
diag "dead: $dead_name  live: $live_name"
# the name records the owner: PID, start time (field 22 of /proc/PID/stat), PID namespace
expect_eq "instance name is tcpdoctor-PID-STARTTIME-PIDNS-N" "${live_name%-*}" \
    "tcpdoctor-$live-$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/"$live"/stat)-$(stat -Lc %i /proc/self/ns/pid)"
kill -KILL "$dead"; wait "$dead" 2>/dev/null
check "after SIGKILL the instance is still there (nothing could remove it)" has tcpdoctor "$dead"
# a name of an earlier version (tcpdoctor-PID-N) whose PID no longer exists
sh -c 'exit 0' & gone=$!; wait "$gone"
mkdir "$I/tcpdoctor-$gone-0"
"$TD_BIN" trace -P "$port" -d 0.2 > /dev/null 2> "$t/sweep"
if has tcpdoctor "$dead"; then not_ok "the next trace removes the SIGKILLed run's instance"
else ok "the next trace removes the SIGKILLed run's instance"; fi
check "... and says so" grep -q "warning: removed [0-9]* tracefs instance.*left by runs that are gone" "$t/sweep"
check "... and leaves the running trace's instance alone" test -d "$I/$live_name"
if [ "$(stat -Lc %i /proc/self/ns/pid)" = 4026531836 ]; then
	if [ -d "$I/tcpdoctor-$gone-0" ]; then not_ok "an earlier version's instance of a gone PID is removed"
	else ok "an earlier version's instance of a gone PID is removed"; fi
else
	rmdir "$I/tcpdoctor-$gone-0"
	skip "earlier versions' names are judged only in the initial PID namespace"
fi
# the live trace still works: it sees a connection made after the sweep
traffic
kill -TERM "$live"; wait "$live"
expect_eq "the running trace ends normally after the sweep" "$?" 0
check "... and removes its own instance" sh -c "! ls '$I' | grep -q '^tcpdoctor-$live-'"

# 3. trace | head: the reader goes away; trace stops quietly, status 71, no instance left
{ "$TD_BIN" trace -P "$port" -d 10 2> "$t/pipe.err"; echo $? > "$t/pipe.rc"; } | head -1 > /dev/null &
hp=$!
sleep 0.5
for _ in 1 2 3 4 5 6; do traffic; sleep 0.2; [ -s "$t/pipe.rc" ] && break; done
wait "$hp"
expect_eq "trace | head: exit status 71 (EPIPE), like every command" "$(cat "$t/pipe.rc")" 71
expect_eq "trace | head: nothing on stderr (no stale errno)" "$(cat "$t/pipe.err")" ""

# 4. state time-wait can never print: a warning with the reason
"$TD_BIN" trace -d 0.2 state time-wait > /dev/null 2> "$t/tw"
expect_eq "trace state time-wait still runs" "$?" 0
check "trace state time-wait warns that nothing will print, and why" grep -q \
    "warning: state time-wait: nothing will print: the tracepoint never reports TIME_WAIT" "$t/tw"
"$TD_BIN" trace -d 0.2 state close > /dev/null 2> "$t/close"
expect_eq "trace state close does not warn" "$(cat "$t/close")" ""

# 5. unprivileged: permission denied, with the path, not "not mounted"
if command -v setpriv > /dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TD_BIN" trace -d 1 > /dev/null 2> "$t/unpriv"
	expect_eq "unprivileged trace exits 77" "$?" 77
	check "... saying permission denied with the path and what it needs" grep -q \
	    "tracefs: /sys/kernel/tracing/instances: Permission denied (needs root or CAP_SYS_ADMIN)" "$t/unpriv"
	check "... and not 'not mounted'" sh -c "! grep -q 'not mounted' '$t/unpriv'"
else
	skip "needs setpriv(1)"
fi

# 6. the kernel lab: its child owns a tdk-* instance
if [ ! -c /dev/net/tun ]; then
	skip "kernel lab: needs /dev/net/tun"
	exit 0
fi
# lab: start `sim --against-kernel` (a scenario that waits a minute in
# TIME_WAIT) and set LAB (tcpdoctor) and CHILD (the lab process)
lab() {
	"$TD_BIN" sim --against-kernel server-close > /dev/null 2>&1 &
	LAB=$!; _td_pids+=("$LAB")
	CHILD=""
	local i
	for i in $(seq 100); do
		CHILD=$(pgrep -P "$LAB")
		[ -n "$CHILD" ] && grep -qs 1 "$I"/tdk-"$CHILD"-*/events/sock/inet_sock_set_state/enable && return 0
		sleep 0.05
	done
	return 1
}
for sig in HUP INT QUIT TERM USR1 ALRM PIPE; do
	if ! lab; then not_ok "lab SIG$sig: the lab never set up its instance"; continue; fi
	kill -"$sig" "$CHILD"
	wait "$LAB"
	if has tdk "$CHILD"; then not_ok "lab SIG$sig: instance left behind: $(ls "$I" | grep "^tdk-$CHILD-")"
	else ok "lab SIG$sig: the lab removed its instance"; fi
done
lab || not_ok "lab to be killed set up"
dead=$CHILD dead_lab=$LAB
lab || not_ok "running lab set up"
live=$CHILD live_lab=$LAB
kill -KILL "$dead"; wait "$dead_lab" 2>/dev/null
check "lab: after SIGKILL the instance is still there" has tdk "$dead"
lab || not_ok "third lab set up"
if has tdk "$dead"; then not_ok "lab: the next lab removes the SIGKILLed lab's instance"
else ok "lab: the next lab removes the SIGKILLed lab's instance"; fi
check "lab: ... and leaves the running lab's instance alone" has tdk "$live"
kill -TERM "$CHILD" "$live"
wait "$LAB" "$live_lab"
check "lab: no instance of these labs left" sh -c "! ls '$I' | grep -Eq '^tdk-($live|$CHILD|$dead)-'"
