# SPDX-License-Identifier: MIT
#
# Shared helpers for the shell tests: TAP output, privilege checks, and
# network namespaces that are always removed.  Source it first:
#   . "$(dirname "$0")/../lib.sh"
# Every test prints TAP lines; tests/run.sh totals them.  Outside CI a test
# that lacks root, netns, TUN or tracefs skips with a one-line reason; with
# CI=true run.sh turns a skip into a failure.

TD_BIN=${TD_BIN:-build/tcpdoctor}
TD_SRCDIR=${TD_SRCDIR:-.}
TD_HELPERS=${TD_HELPERS:-build/tests/helpers}
_tap_n=0
_td_ns_list=()
_td_pids=()
_td_tmp=""

ok()     { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
not_ok() { _tap_n=$((_tap_n + 1)); echo "not ok $_tap_n - $*"; }
skip()   { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # SKIP $*"; }
diag()   { echo "# $*"; }

# check DESCRIPTION COMMAND...: ok if the command succeeds.
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}

# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; diag "got:  $2"; diag "want: $3"; fi
}

# skip_all REASON: the whole script cannot run here.
skip_all() { skip "$*"; exit 0; }

# require_state_tracepoint [WHY]: tracefs (mounted if it is not) with the
# sock:inet_sock_set_state event, else skip; in CI (CI=true) that is a failure.
require_state_tracepoint() {
	[ -d /sys/kernel/tracing/events ] || mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
	[ -d /sys/kernel/tracing/events/sock/inet_sock_set_state ] && return 0
	[ "${CI:-}" = true ] && { not_ok "tracefs with sock:inet_sock_set_state is needed in CI"; exit 1; }
	skip_all "needs tracefs with sock:inet_sock_set_state${1:+ ($1)}"
}

# require_root: skip the script unless root with netns support.
require_root() {
	[ "$(id -u)" -eq 0 ] || skip_all "needs root (network namespaces)"
	command -v ip >/dev/null || skip_all "needs ip(8) from iproute2"
}

# require_kernel_lab: root, the TUN device and tracefs (mounted if needed),
# and the conformance helper; sets K to it.
require_kernel_lab() {
	require_root
	[ -c /dev/net/tun ] || skip_all "needs /dev/net/tun (tun module)"
	if [ ! -d /sys/kernel/tracing/instances ] && [ ! -d /sys/kernel/debug/tracing/instances ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null ||
			skip_all "needs tracefs (mount -t tracefs nodev /sys/kernel/tracing)"
	fi
	K=$TD_HELPERS/kconform
	[ -x "$K" ] || { not_ok "helper $K not built"; exit 1; }
}

# The scratch directory is made here, in the test's own shell: tests call
# $(tmpdir) and $(mkns X), and a variable set inside $(...) is lost, which
# left every directory and namespace behind.  Namespaces are recorded in a
# file in it for the same reason.
_td_tmp=$(mktemp -d "${TMPDIR:-/tmp}/td-test.XXXXXX")

tmpdir() {
	echo "$_td_tmp"
}

_td_cleanup() {
	local p ns
	for p in "${_td_pids[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${_td_pids[@]}"; do wait "$p" 2>/dev/null; done
	for ns in "${_td_ns_list[@]}"; do ip netns del "$ns" 2>/dev/null; done
	if [ -f "$_td_tmp/.namespaces" ]; then
		while read -r ns; do ip netns del "$ns" 2>/dev/null; done < "$_td_tmp/.namespaces"
	fi
	[ -n "$_td_tmp" ] && rm -rf "$_td_tmp"
}
trap _td_cleanup EXIT
trap 'exit 130' INT TERM

# mkns SUFFIX: create a namespace named td-<pid>-SUFFIX with lo up, no
# default route; prints its name.  Removed at exit.
mkns() {
	local ns="td-$$-$1"
	# A namespace with this name can only be left over from a dead test
	# that had the same PID: remove it.
	[ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
	ip netns add "$ns" || return 1
	_td_ns_list+=("$ns")
	echo "$ns" >> "$_td_tmp/.namespaces"
	ip -n "$ns" link set lo up || return 1
	echo "$ns"
}

# bg COMMAND...: start a background process we own; its PID is killed at exit.
# Sets BG_PID.
bg() {
	"$@" &
	BG_PID=$!
	_td_pids+=("$BG_PID")
}

# wait_for SECONDS COMMAND...: poll (every 0.05 s) until COMMAND succeeds.
wait_for() {
	local limit=$1 i=0; shift
	local n=$((limit * 20))
	while [ $i -lt $n ]; do
		"$@" && return 0
		sleep 0.05
		i=$((i + 1))
	done
	return 1
}

# PY: Debian's python3 (python3-jsonschema lives there), not a pyenv shim.
PY=/usr/bin/python3
