#!/bin/bash
# SPDX-License-Identifier: MIT
# The man pages lint clean under mandoc, render without the mistakes lint
# lets through (a macro swallowing the words after it: "-default -5",
# ("live or "file""); tests/helpers/manlint.py), and tcpdoctor.8 documents
# every subcommand and every global option that `tcpdoctor --help` lists.
. "$(dirname "$0")/../lib.sh"
command -v mandoc >/dev/null || skip_all "needs mandoc"
for m in "$TD_SRCDIR"/man/*.[1-8]; do
	out=$(mandoc -Tlint -Wwarning "$m" 2>&1)
	if [ -z "$out" ]; then ok "mandoc lint $(basename "$m")"; else not_ok "mandoc lint $(basename "$m")"; diag "$out"; fi
	if out=$(python3 "$TD_SRCDIR/tests/helpers/manlint.py" "$m" 2>&1); then ok "renders clean $(basename "$m")"
	else not_ok "renders clean $(basename "$m")"; while read -r l; do diag "$l"; done <<<"$out"; fi
done
page=$(MANWIDTH=200 mandoc -Tascii "$TD_SRCDIR/man/tcpdoctor.8" | col -b)
help=$("$TD_BIN" --help)
for c in $(echo "$help" | sed -n '/^commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'); do
	if grep -qE "^ {5,}$c( |$)" <<<"$page"; then ok "man documents command $c"; else not_ok "man documents command $c"; fi
done
for o in $(echo "$help" | sed -n '/^global options:/,/^$/p' | grep -oE -- '--[a-z-]+|-[0-9A-Za-z]\b' | sort -u); do
	if grep -qF -- "$o" <<<"$page"; then ok "man documents option $o"; else not_ok "man documents option $o"; fi
done
# Every long option in a command's own table (cmd/NAME.c's struct option
# rows) is listed by `NAME --help` and documented in tcpdoctor.8.
for c in $(echo "$help" | sed -n '/^commands:/,/^$/p' | awk 'NR>1 && NF {print $1}'); do
	src="$TD_SRCDIR/cmd/$c.c"
	[ -f "$src" ] || continue
	chelp=$("$TD_BIN" "$c" --help 2>&1)
	missing=
	for o in $(grep -oE '\{[[:space:]]*"[a-z][a-z0-9-]*",[[:space:]]*(no|required|optional)_argument' "$src" |
	    sed -E 's/\{[[:space:]]*"([^"]*)".*/\1/'); do
		grep -qF -- "--$o" <<<"$chelp" || missing="$missing --$o (help)"
		grep -qF -- "--$o" <<<"$page" || missing="$missing --$o (man)"
	done
	if [ -z "$missing" ]; then ok "$c: every option of its table in --help and the man page"
	else not_ok "$c: every option of its table in --help and the man page"; diag "missing:$missing"; fi
done
