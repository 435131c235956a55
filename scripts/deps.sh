#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Install the Debian packages tcpdoctor needs to build, test and benchmark.
# Usage: scripts/deps.sh [build|test|bench|fuzz]   (default: build)
# As root it runs apt-get for whatever is missing; otherwise it prints the
# exact command to run and fails.  Prints nothing when all is present.
set -eu
what=${1:-build}
pkgs="gcc make pkg-config libmnl-dev libjansson-dev libzstd-dev libpcap-dev libncurses-dev libtracefs-dev libtraceevent-dev iproute2"
case "$what" in
build) ;;
test)  pkgs="$pkgs check mandoc python3 python3-jsonschema net-tools prometheus procps bsdextrautils time tcpdump tmux strace nftables" ;;
bench) pkgs="$pkgs check mandoc python3 python3-jsonschema net-tools time procps tcpdump tshark" ;;
fuzz)  pkgs="$pkgs clang libclang-rt-14-dev" ;;
*) echo "deps.sh: unknown set '$what' (build, test, bench, fuzz)" >&2; exit 64 ;;
esac
# The recording tests read watch --record files with zstdcat.
[ "$what" = test ] && pkgs="$pkgs zstd"
missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "tcpdoctor: missing packages:$missing; run: sudo apt-get install -y$missing" >&2
	exit 69
fi
# make -j runs this for build/config.mk and build/config-test.mk at once:
# one apt-get at a time (the lock is this script itself, so nothing is created).
exec 9<"$0"
flock 9
missing=$(for p in $missing; do dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	grep -q '^install ok installed$' || printf ' %s' "$p"; done)
[ -z "$missing" ] && exit 0
echo "tcpdoctor: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y --no-install-recommends $missing >/dev/null 2>&1; then
	apt-get update -qq >/dev/null
	apt-get install -y --no-install-recommends $missing >/dev/null
fi
