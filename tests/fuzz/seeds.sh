#!/bin/sh
# SPDX-License-Identifier: MIT
# seeds.sh TARGET: the directories whose files seed fuzz target TARGET:
# its own corpus plus the recorded fixtures of the same input kind
# (directories only: libFuzzer takes no single files as corpora).
top=$(cd "$(dirname "$0")/../.." && pwd)
echo "$top/tests/fuzz/corpus/$1"
case "$1" in
snapfile)	echo "$top/tests/fixtures/snapshots" ;;
sockdiag|events)	echo "$top/tests/fixtures/netlink" ;;
pcap)		echo "$top/tests/fixtures/packets" ;;
replay)		echo "$top/tests/fixtures/packets" ;;
trace_raw)	echo "$top/tests/fixtures/tracefs" ;;
config)		echo "$top/tests/fixtures/sysctl $top/contrib" ;;
script)		echo "$top/tests/fixtures/scripts $top/tests/conformance/scripts" ;;
esac
