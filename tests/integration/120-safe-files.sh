#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# Every file tcpdoctor opens or writes as root is safe (tcpdoctor(8), FILES):
# in a scratch directory, on private device nodes (mknod), FIFOs with and
# without a reader, symbolic links (ours, and planted by an unprivileged
# user), a directory, a regular file whose owner and mode are kept, a
# missing path, an empty name, FIFOs given as inputs, a full tmpfs
# (ENOSPC), and temporary files left by a SIGKILLed run.  Every step that
# could hang is bounded by timeout(1).
. "$(dirname "$0")/../lib.sh"
require_root
command -v setpriv >/dev/null || skip_all "needs setpriv(1) (util-linux)"
command -v strace >/dev/null || skip_all "needs strace(1)"
ns=$(mkns sf) || { not_ok "create namespace"; exit 1; }
T=$(tmpdir)/sf
mkdir -p "$T" && chmod 0755 "$(tmpdir)" "$T"
umask 022
tiny="$T/tiny"
trap 'umount "$tiny" 2>/dev/null; _td_cleanup' EXIT
bin=$(cd "$(dirname "$TD_BIN")" && pwd)/$(basename "$TD_BIN")
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# td ARGS...: run tcpdoctor in our namespace, at most 20 s; sets rc, err, secs.
td() {
	local t0 t1
	t0=$(date +%s%N)
	local nsarg=(-N "$ns")
	[ "$1" = sim ] && nsarg=()	# sim refuses -N: it runs the model (issue 8)
	timeout --kill-after=2 20 "$TD_BIN" "${nsarg[@]}" "$@" > "$T/.out" 2> "$T/.err"
	rc=$?
	t1=$(date +%s%N)
	secs=$(( (t1 - t0) / 1000000 ))
	err=$(cat "$T/.err")
}
# kind PATH: file type, owner, mode and device numbers, as stat(1) says.
kind() { stat -c '%F %U:%G %a %t,%T' "$1" 2>&1; }
# one_line: the error is one line and names the path.
named() { [ "$(wc -l < "$T/.err")" -eq 1 ] && grep -qF "'$1'" "$T/.err"; }

# ---- a character device (a private /dev/null: c 1,3) ----
mknod -m 0666 "$T/null" c 1 3
td check -o "$T/null"
check "check -o a char device: a verdict, not an error ($rc)" test "$rc" -le 2
expect_eq "check -o: the char device is still a char device" "$(kind "$T/null")" "character special file root:root 666 1,3"
td snapshot -o "$T/null"
expect_eq "snapshot -o a char device exits 0" "$rc" 0
expect_eq "snapshot -o: the char device is still a char device" "$(kind "$T/null")" "character special file root:root 666 1,3"
td check --state-file "$T/null"
expect_eq "--state-file a char device: UNKNOWN" "$rc" 3
check "--state-file a char device: says what it is, names it" grep -q "is a character device" "$T/.err"
check "--state-file a char device: no lock created beside it" test ! -e "$T/null.lock"
expect_eq "--state-file: the char device is still a char device" "$(kind "$T/null")" "character special file root:root 666 1,3"
td check -o /dev/stdout
check "check -o /dev/stdout writes to standard output" grep -q "^TCPDOCTOR\|findings\|OK\|WARNING\|CRITICAL" "$T/.out"

# ---- FIFOs ----
mkfifo "$T/fifo"
td check -o "$T/fifo"
expect_eq "check -o a FIFO without a reader: UNKNOWN" "$rc" 3
check "... within a second (${secs} ms)" test "$secs" -lt 1000
check "... says no reader, names the FIFO" grep -q "'$T/fifo': is a FIFO with no reader" "$T/.err"
td snapshot -o "$T/fifo"
expect_eq "snapshot -o a FIFO without a reader exits 73" "$rc" 73
check "... within a second (${secs} ms)" test "$secs" -lt 1000
# The reader must have the FIFO open before snapshot looks for one: cat's
# open() blocks until a writer comes, so nothing tells when it got there.
# This reader opens without blocking, says so, then reads to the end.
rm -f "$T/fifo.ready"
timeout 20 "$PY" -c '
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_NONBLOCK)
open(sys.argv[2], "w").close()
out, got = open(sys.argv[3], "wb"), False
p = select.poll(); p.register(fd, select.POLLIN)
while True:
    p.poll(100)
    try:
        b = os.read(fd, 65536)
    except BlockingIOError:
        continue
    if b:
        out.write(b); got = True
    elif got:
        break
' "$T/fifo" "$T/fifo.ready" "$T/fifo.read" &
reader=$!
for _ in $(seq 200); do [ -e "$T/fifo.ready" ] && break; sleep 0.05; done
td snapshot -o "$T/fifo"
wait "$reader"
expect_eq "snapshot -o a FIFO with a reader exits 0" "$rc" 0
check "... and the reader got the snapshot" grep -q '"schema"' "$T/fifo.read"
expect_eq "the FIFO is still a FIFO" "$(stat -c %F "$T/fifo")" "fifo"
td check --state-file "$T/fifo"
expect_eq "--state-file a FIFO: UNKNOWN" "$rc" 3
check "... within a second (${secs} ms)" test "$secs" -lt 1000
check "... says it is a FIFO" grep -q "is a FIFO" "$T/.err"
check "... and no lock was created" test ! -e "$T/fifo.lock"

# ---- inputs: a FIFO is refused at once, a pipe the user meant is read ----
td check -c "$T/fifo"
expect_eq "check -c FIFO: UNKNOWN" "$rc" 3
check "check -c FIFO: within a second (${secs} ms), says so" test "$secs" -lt 1000 -a -n "$(grep "is a FIFO" "$T/.err")"
td tune --audit "$T/fifo"
expect_eq "tune --audit FIFO exits 66" "$rc" 66
check "tune --audit FIFO: within a second (${secs} ms), says so" test "$secs" -lt 1000 -a -n "$(grep "is a FIFO" "$T/.err")"
td sim -f "$T/fifo"
expect_eq "sim -f FIFO exits 66" "$rc" 66
check "sim -f FIFO: within a second (${secs} ms), says so" test "$secs" -lt 1000 -a -n "$(grep "is a FIFO" "$T/.err")"
t0=$(date +%s%N)
timeout 20 "$TD_BIN" --from "$T/fifo" ls > /dev/null 2> "$T/.err"
rc=$?; secs=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "--from FIFO exits 66" "$rc" 66
check "--from FIFO: within a second (${secs} ms), says so" test "$secs" -lt 1000 -a -n "$(grep "is a FIFO" "$T/.err")"
"$TD_BIN" -N "$ns" snapshot -o "$T/snap.json"
timeout 20 "$TD_BIN" --from <(cat "$T/snap.json") summary > /dev/null 2> "$T/.err"
expect_eq "--from <(...): a pipe cannot be read twice, exits 66" "$?" 66
check "... and says so" grep -q "is a pipe; a snapshot is read twice" "$T/.err"
timeout 20 "$TD_BIN" --from /dev/stdin summary < "$T/snap.json" > /dev/null 2>&1
expect_eq "--from /dev/stdin redirected from a file is read" "$?" 0
printf 'net.ipv4.tcp_fin_timeout = 30\n' > "$T/sysctl.conf"
timeout 20 "$TD_BIN" tune --audit <(cat "$T/sysctl.conf") > "$T/.out" 2>&1
check "tune --audit <(...) is read" grep -q "tcp_fin_timeout" "$T/.out"
timeout 20 "$TD_BIN" -N "$ns" check -c - < /dev/null > /dev/null 2>&1
check "check -c - reads standard input" test "$?" -le 2
timeout 20 "$TD_BIN" -N "$ns" check -c "$T/null" > /dev/null 2>&1
check "check -c on the null device reads it as empty" test "$?" -le 2

# ---- a directory ----
mkdir "$T/dir"
td check -o "$T/dir"
expect_eq "check -o a directory: UNKNOWN" "$rc" 3
check "... 'is a directory', one line naming it" named "$T/dir"
td snapshot -o "$T/dir"
expect_eq "snapshot -o a directory exits 73" "$rc" 73
check "... 'is a directory'" grep -q "'$T/dir': is a directory" "$T/.err"
td check --state-file "$T/dir"
expect_eq "--state-file a directory: UNKNOWN" "$rc" 3
check "... says it is a directory (not 'empty')" grep -q "'$T/dir': is a directory" "$T/.err"
check "... and no lock was created" test ! -e "$T/dir.lock"
expect_eq "the directory is still an empty directory" "$(stat -c %F "$T/dir") $(ls -A "$T/dir" | wc -l)" "directory 0"

# ---- an empty name ----
mkdir "$T/cwd"
(cd "$T/cwd" && timeout 20 "$bin" -N "$ns" check --state-file '' > /dev/null 2> "$T/.err")
expect_eq "--state-file '': UNKNOWN" "$?" 3
check "... says the name is empty" grep -q "an empty name is not a file" "$T/.err"
expect_eq "... and creates nothing (no ./.lock)" "$(ls -A "$T/cwd" | wc -l)" 0

# ---- regular files: owner and mode kept, a new one gets the documented mode ----
echo old > "$T/kept.prom"; chown 65534:65534 "$T/kept.prom"; chmod 0640 "$T/kept.prom"
td check -o "$T/kept.prom" --format prometheus
check "check -o an existing file ($rc)" test "$rc" -le 2
expect_eq "... keeps its owner and mode" "$(stat -c '%U:%G %a' "$T/kept.prom")" "nobody:nogroup 640"
check "... with the new content" grep -q "tcpdoctor_check_status" "$T/kept.prom"
echo old > "$T/kept.json"; chown 65534:65534 "$T/kept.json"; chmod 0604 "$T/kept.json"
td snapshot -o "$T/kept.json"
expect_eq "snapshot -o an existing file keeps owner and mode" "$(stat -c '%U:%G %a' "$T/kept.json")" "nobody:nogroup 604"
td check -o "$T/new.prom" --format prometheus
expect_eq "check -o a new file: root, 0644" "$(stat -c '%U %a' "$T/new.prom")" "root 644"
td snapshot -o "$T/new.json"
expect_eq "snapshot -o a new file: root, 0600 (it names every process)" "$(stat -c '%U %a' "$T/new.json")" "root 600"
td check --state-file "$T/new.state"
expect_eq "a new state file: root, 0600" "$(stat -c '%U %a' "$T/new.state")" "root 600"
expect_eq "... and its lock: root, 0600" "$(stat -c '%U %a' "$T/new.state.lock")" "root 600"
chown 65534 "$T/new.state"
td check --state-file "$T/new.state"
expect_eq "a state file of another user: UNKNOWN" "$rc" 3
check "... says whose it is" grep -q "belongs to uid 65534" "$T/.err"

# ---- symbolic links of root: followed, the target checked ----
echo old > "$T/target.prom"
ln -s target.prom "$T/link.prom"
td check -o "$T/link.prom" --format prometheus
check "check -o a link of root to a file ($rc)" test "$rc" -le 2
check "... the link is still a link" test -L "$T/link.prom"
check "... and its target has the report" grep -q "tcpdoctor_check_status" "$T/target.prom"
ln -s null "$T/link.null"
td snapshot -o "$T/link.null"
expect_eq "snapshot -o a link to a char device exits 0" "$rc" 0
expect_eq "... the device is still a device" "$(kind "$T/null")" "character special file root:root 666 1,3"
ln -s dir "$T/link.dir"
td snapshot -o "$T/link.dir"
expect_eq "snapshot -o a link to a directory exits 73" "$rc" 73
ln -s target.prom "$T/link.state"
td check --state-file "$T/link.state"
expect_eq "--state-file a symbolic link: UNKNOWN" "$rc" 3
check "... never followed" grep -q "is a symbolic link" "$T/.err"
check "... and no lock was created" test ! -e "$T/link.state.lock"

# ---- links planted by an unprivileged user in a directory it can write ----
# 0777 without the sticky bit, where fs.protected_symlinks does not apply.
mkdir -m 0777 "$T/shared"
echo secret > "$T/root-file"; chmod 0600 "$T/root-file"
sum0=$(md5sum < "$T/root-file")
nobody ln -s "$T/victim" "$T/shared/st.lock"
td check --state-file "$T/shared/st"
expect_eq "a planted lock link: UNKNOWN" "$rc" 3
check "... refused as a link" grep -q "st.lock'.*is a symbolic link" "$T/.err"
check "... and its target was not created" test ! -e "$T/victim"
rm -f "$T/shared/st.lock"
nobody ln -s "$T/root-file" "$T/shared/st.lock"
td check --state-file "$T/shared/st"
expect_eq "a planted lock link to a root file: UNKNOWN" "$rc" 3
expect_eq "... the root file is untouched" "$(md5sum < "$T/root-file") $(stat -c '%U %a' "$T/root-file")" "$sum0 root 600"
nobody ln -s "$T/root-file" "$T/shared/out.prom"
td check -o "$T/shared/out.prom"
expect_eq "-o a link planted by uid 65534: UNKNOWN" "$rc" 3
check "... refused, naming the owner" grep -q "symbolic link owned by uid 65534" "$T/.err"
expect_eq "... the root file is untouched" "$(md5sum < "$T/root-file") $(stat -c '%U %a' "$T/root-file")" "$sum0 root 600"
check "... and the link is still a link" test -L "$T/shared/out.prom"
nobody mkfifo "$T/shared/st2.lock"
td check --state-file "$T/shared/st2"
expect_eq "a planted lock FIFO: UNKNOWN within a second (${secs} ms)" "$rc $((secs < 1000))" "3 1"
nobody ln -s "$T/root-file" "$T/shared/cfg"
td check -c "$T/shared/cfg"
expect_eq "-c through a link planted by uid 65534: UNKNOWN, not read" "$rc" 3
check "... refused, naming the owner" grep -q "owned by uid 65534" "$T/.err"
# The documented statuses (tcpdoctor(8), EXIT STATUS): a link of another
# user is "not a file that may be read" (66) or written (73), not a
# missing privilege (77); root is told only root's links are followed.
nobody ln -s "$T/root-file" "$T/shared/snap.json"
td snapshot -o "$T/shared/snap.json"
expect_eq "snapshot -o a link planted by uid 65534: exit 73" "$rc" 73
check "... one line naming it" named "$T/shared/snap.json"
check "... 'only links of root are followed'" grep -q "only links of root are followed" "$T/.err"
timeout 20 "$TD_BIN" --from "$T/shared/snap.json" ls > /dev/null 2> "$T/.err"
expect_eq "--from a link planted by uid 65534: exit 66" "$?" 66
td tune --audit "$T/shared/cfg"
expect_eq "tune --audit a link planted by uid 65534: exit 66" "$rc" 66
expect_eq "... the root file is untouched" "$(md5sum < "$T/root-file") $(stat -c '%U %a' "$T/root-file")" "$sum0 root 600"
for a in "--from:ls" "--audit:tune"; do
	if [ "${a%%:*}" = --from ]; then
		timeout 20 "$TD_BIN" --from '' ls > /dev/null 2> "$T/.err"
	else
		timeout 20 "$TD_BIN" tune --audit '' > /dev/null 2> "$T/.err"
	fi
	expect_eq "${a%%:*} '': exit 66 (no such input), like a missing file" "$?" 66
done

# ---- ENOSPC on a tiny tmpfs: exit 73 naming the path, the old file intact ----
mkdir "$tiny"
if mount -t tmpfs -o size=64k,mode=0755 tdtiny "$tiny"; then
	echo '{"old": true}' > "$tiny/snap.json"
	dd if=/dev/zero of="$tiny/fill" bs=4k 2>/dev/null
	td snapshot -o "$tiny/snap.json"
	expect_eq "snapshot -o on a full filesystem exits 73" "$rc" 73
	check "... one line naming the path and ENOSPC" grep -q "'$tiny/snap.json': write failed: No space left on device" "$T/.err"
	check "... without a doubled prefix" test -z "$(grep 'snapshot: snapshot:' "$T/.err")"
	diag "$err"
	expect_eq "... the old file is intact" "$(cat "$tiny/snap.json")" '{"old": true}'
	expect_eq "... and no temporary file is left" "$(ls -A "$tiny" | sort | tr '\n' ' ')" "fill snap.json "
	td check -o "$tiny/snap.json"
	expect_eq "check -o on a full filesystem: UNKNOWN" "$rc" 3
	expect_eq "... the old file is intact" "$(cat "$tiny/snap.json")" '{"old": true}'
	umount "$tiny"
else
	not_ok "mount a tmpfs for the ENOSPC case"
fi

# ---- a temporary file left by a SIGKILLed run is swept by the next one ----
mkdir "$T/sweep"
# strace kills tcpdoctor at its first fsync: the temporary file is written, not renamed.
( strace -f -o /dev/null -e trace=fsync -e inject=fsync:signal=SIGKILL \
	"$TD_BIN" -N "$ns" snapshot -o "$T/sweep/s.json" ) > /dev/null 2>&1
left=$(ls "$T/sweep")
check "a killed snapshot leaves its temporary file (${left:-none})" grep -q '^s.json.tcpdoctor-tmp-[0-9]*-[0-9]*-[0-9a-f]\{8\}$' <<<"$left"
# A live run's file (this shell's pid and start time) must survive.
start=$(awk '{ sub(/.*\) /, ""); print $20 }' /proc/$$/stat)
live="x.prom.tcpdoctor-tmp-$$-$start-0000beef"
echo live > "$T/sweep/$live"
td snapshot -o "$T/sweep/s.json"
expect_eq "the next run succeeds" "$rc" 0
expect_eq "... sweeps the stale temporary file, keeps the live run's" "$(ls "$T/sweep" | sort | tr '\n' ' ')" "s.json $live "
# watch: a SIGKILLed watch's directory is removed by the next watch.
"$TD_BIN" -N "$ns" watch -i 0.2 -n 100 > /dev/null 2>&1 &
w=$!
_td_pids+=("$w")
wait_for 5 sh -c "ls -d /tmp/tcpdoctor-watch-$w-* >/dev/null 2>&1"
check "a running watch has its directory" sh -c "ls -d /tmp/tcpdoctor-watch-$w-* >/dev/null 2>&1"
kill -KILL "$w"; wait "$w" 2>/dev/null
check "... which a SIGKILL leaves behind" sh -c "ls -d /tmp/tcpdoctor-watch-$w-* >/dev/null 2>&1"
timeout 20 "$TD_BIN" -N "$ns" watch -i 0.1 -n 1 > /dev/null 2>&1
check "the next watch removes it" sh -c "! ls -d /tmp/tcpdoctor-watch-$w-* >/dev/null 2>&1"
# Every terminating signal removes the directory (a dropped ssh session is
# a SIGHUP), and the signal then ends watch as it would have (128 + n).
for sig in HUP QUIT USR1 ALRM TERM; do
	"$TD_BIN" -N "$ns" watch -i 0.2 -n 300 > /dev/null 2>&1 &
	w=$!
	_td_pids+=("$w")
	wait_for 5 sh -c "ls -d /tmp/tcpdoctor-watch-$w-* >/dev/null 2>&1"
	kill -"$sig" "$w"
	wait "$w"
	rc=$?
	want=$(( 128 + $(kill -l "$sig") )); [ "$sig" = TERM ] && want=0
	expect_eq "watch ended by SIG$sig: status $want, its /tmp directory gone" \
	    "$rc $(ls -d /tmp/tcpdoctor-watch-$w-* 2>/dev/null | wc -l)" "$want 0"
done

# --proc-root (the tests' fake /proc): a FIFO planted where a kernel file
# is expected is refused at once, never opened for a blocking read.
mkdir -p "$T/fakeproc/net"; mkfifo "$T/fakeproc/net/netstat"
t0=$(date +%s%N)
timeout 10 "$TD_BIN" --proc-root "$T/fakeproc" ls > /dev/null 2> "$T/.err"
rc=$?
secs=$(( ($(date +%s%N) - t0) / 1000000 ))
expect_eq "--proc-root with a FIFO for net/netstat: an error within a second, no hang (${secs} ms)" \
    "$((rc != 0 && rc != 124)) $((secs < 1000))" "1 1"
check "... naming the file" grep -q "fakeproc/net/netstat" "$T/.err"
# A NUL byte in a configuration or audited sysctl file is named as such.
printf 'net.ipv4.tcp_fin_timeout = 30\0x\n' > "$T/nul.conf"
timeout 20 "$TD_BIN" tune --audit "$T/nul.conf" > /dev/null 2> "$T/.err"
expect_eq "tune --audit a file with a NUL byte: exit 65" "$?" 65
check "... says 'NUL byte', not 'too long'" grep -q "line 1 has a NUL byte" "$T/.err"
timeout 20 "$TD_BIN" check -c "$T/nul.conf" > /dev/null 2> "$T/.err"
expect_eq "check -c a file with a NUL byte: UNKNOWN" "$?" 3
check "... says 'NUL byte'" grep -q "nul.conf:1: line has a NUL byte" "$T/.err"
