#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Find mdoc mistakes that lint clean but render wrong.

mandoc -Tlint accepts a macro that swallows the rest of its line, so
`.Pq Fl i , Fl -interval ; default 5` renders "-default -5" and
`.Pq Qq live or Qq file` renders ("live or "file"").  This walks the parse
tree (mandoc -T tree) and the rendering of each page given and prints one
line per mistake:
  - an .Fl argument that is not an option name (a word after .Fl),
  - .Va, .Dv, .Ev or .Er holding several words (prose swallowed),
  - a quoting macro nested in another one (doubled quotes),
  - a doubled quote ("") in the rendered page.
Exit status 1 when any is found, 0 otherwise.
"""
import re
import subprocess
import sys

WORDY = {"Va", "Dv", "Ev", "Er"}
QUOTES = {"Qq", "Dq", "Sq", "Qo", "Do", "So"}
DELIM = set(",.;:?!()[]|")
# -x, --long, --long=value (.Fl adds one dash), a bare single letter, or "-".
FLAG = re.compile(r"^(-[A-Za-z0-9][A-Za-z0-9-]*(=\S*)?|[A-Za-z0-9?]|-)$")
NODE = re.compile(r"^( *)(.*?) \((\w+)\) \*?(\d+):\d+")


def tree(page):
    out = subprocess.run(["mandoc", "-T", "tree", page], capture_output=True, text=True, check=True).stdout
    nodes = []
    for line in out.splitlines():
        m = NODE.match(line)
        if m:
            nodes.append((len(m.group(1)), m.group(2), m.group(3), int(m.group(4))))
    return nodes


def check(page):
    found = []
    nodes = tree(page)
    for i, (ind, name, typ, ln) in enumerate(nodes):
        if typ == "elem" and (name == "Fl" or name in WORDY):
            words = []
            for j in range(i + 1, len(nodes)):
                if nodes[j][0] <= ind:
                    break
                if nodes[j][2] == "text" and nodes[j][1] not in DELIM:
                    words.append(nodes[j][1])
            if name == "Fl":
                found += [f"{page}:{ln}: .Fl takes the word '{w}' (end it with No or a delimiter)"
                          for w in words if not FLAG.match(w)]
            elif len(words) > 1:
                found.append(f"{page}:{ln}: .{name} takes several words: '{' '.join(words)}'")
        if typ == "block" and name in QUOTES:
            for j in range(i - 1, -1, -1):
                if nodes[j][0] < ind and nodes[j][2] == "block":
                    if nodes[j][1] in QUOTES:
                        found.append(f"{page}:{ln}: .{name} inside .{nodes[j][1]} (quotes run to the end of the line)")
                    ind = nodes[j][0]
    text = subprocess.run(["mandoc", "-T", "ascii", page], capture_output=True, text=True, check=True).stdout
    text = re.sub(r".\x08", "", text)
    for n, line in enumerate(text.splitlines(), 1):
        if '""' in line:
            found.append(f"{page}: rendered line {n} has a doubled quote: {line.strip()}")
    return found


def main():
    found = []
    for page in sys.argv[1:]:
        found += check(page)
    for f in found:
        print(f)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
