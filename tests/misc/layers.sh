#!/bin/bash
# SPDX-License-Identifier: MIT
# Dependencies point down (DESIGN.md): each source folder may include only
# the folders below it.  cmd/ and bench/ use everything.  sim/ may use
# analyzers/ for the finding type alone (replay's capture-level findings).
. "$(dirname "$0")/../lib.sh"
cd "$TD_SRCDIR" || exit 1
allowed() {
	case $1 in
	core) echo "core" ;;
	tcp) echo "core tcp" ;;
	collectors) echo "core collectors" ;;
	sim) echo "core tcp analyzers sim" ;;
	lab) echo "core tcp collectors lab" ;;
	analyzers) echo "core collectors tcp analyzers" ;;
	esac
}
for dir in core tcp collectors sim lab analyzers; do
	bad=
	for f in "$dir"/*.[ch]; do
		[ -f "$f" ] || continue
		while read -r inc; do
			top=${inc%%/*}
			[ "$top" = "$inc" ] && continue	# same-folder include without a path
			case " $(allowed "$dir") " in *" $top "*) ;; *) bad="$bad $f:$inc" ;; esac
		done < <(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f")
	done
	if [ -z "$bad" ]; then ok "$dir/ includes only $(allowed "$dir")"; else not_ok "$dir/ includes only $(allowed "$dir"):$bad"; fi
done
