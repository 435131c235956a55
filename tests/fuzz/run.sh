#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Builds the libFuzzer harnesses in tests/fuzz with clang (ASan + UBSan)
# into build-fuzz/ and runs each for FUZZ_TIME seconds (default 60) from
# seeds taken from the recorded fixtures.  Crashes are left in
# build-fuzz/<harness>/ and make the script fail.  `make fuzz` runs it.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
CC=${FUZZ_CC:-clang}
command -v "$CC" >/dev/null || { echo "fuzz: needs clang (apt-get install clang)" >&2; exit 69; }
out=build-fuzz
flags="-D_GNU_SOURCE -I. -g -O1 -fsanitize=address,undefined"
mkdir -p "$out/obj"
objs=()
for src in collectors/*.c; do
	o=$out/obj/$(basename "$src" .c).o
	$CC $flags -fsanitize=fuzzer-no-link $(pkg-config --cflags libmnl jansson) -c "$src" -o "$o"
	objs+=("$o")
done
rc=0
for h in tests/fuzz/*_fuzz.c; do
	name=$(basename "$h" .c)
	dir=$out/$name
	mkdir -p "$dir/corpus"
	$CC $flags -fsanitize=fuzzer "$h" "${objs[@]}" $(pkg-config --libs libmnl jansson) -o "$dir/$name"
	case $name in
	sockdiag_fuzz) cp tests/fixtures/netlink/*.nl "$dir/corpus/" ;;
	snapfile_fuzz)
		# A snapshot of this host if the helper is built, and a small one.
		[ -x build/tests/helpers/snapcopy ] &&
		    build/tests/helpers/snapcopy -i "$dir/corpus/live.json" 2>/dev/null || true
		printf '%s\n' '{"schema":"tcpdoctor/1","command":"snapshot","host":"h","netns":"",' \
		    '"kernel":"6.18","meta":{"time_ns":1},"counters":{"tw":1,"tw_overflow":null},' \
		    '"sysctls":{"net.ipv4.ip_local_port_range":[1,2]},"sockets":[' \
		    '{"family":"ipv4","state":"LISTEN","kind":"full","src":"0.0.0.0","sport":80,' \
		    '"dst":"0.0.0.0","dport":0,"rqueue":0,"wqueue":4,"inode":1,' \
		    '"timer":{"name":"off"},"tcp_info":{"rtt":1},"skmem":{"drops":2},' \
		    '"owner":{"pid":1,"comm":"x"}}]}' > "$dir/corpus/small.json" ;;
	esac
	echo "fuzz: $name for ${FUZZ_TIME:-60} s"
	(cd "$dir" && "./$name" -max_total_time="${FUZZ_TIME:-60}" -max_len=16384 corpus > log 2>&1) ||
	    { echo "fuzz: $name found a crash (see $dir/log and $dir/crash-*)"; rc=1; }
done
exit $rc
