#!/bin/bash
# SPDX-License-Identifier: MIT
# td-solo: a tracefs session (watch, trace, events), which sees the packets of every namespace
# watch's state columns for the closing and connecting states: in a
# namespace of ours, built on loopback (KERNEL-FACTS S1 and the zero-window
# close):
#  - SYN_SENT: connects to a listener (backlog 1) that never accepts;
#  - FIN_WAIT1: a client fills a non-reading server's window and close()s;
#  - CLOSING: the same, then the server shutdown(SHUT_WR)s: its FIN reaches
#    the client, whose own FIN still waits behind unsent data;
#  - LAST_ACK: the server fills a non-reading client's window, the client
#    shutdown(SHUT_WR)s, the server close()s.
# The table must show synsent, finwait1, lastack and closing columns (after
# the old ones, which keep their place) and NDJSON the same counts as ss.
. "$(dirname "$0")/../lib.sh"
require_root
ns=$(mkns wst) || { not_ok "create namespace"; exit 1; }
t=$(tmpdir)
bg ip netns exec "$ns" "$PY" -c '
import socket, sys, time
def fill(s):
    s.setblocking(False)
    try:
        while True: s.send(b"x" * 65536)
    except BlockingIOError: pass
def pair(port):
    l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    l.bind(("127.0.0.1", port)); l.listen(8)
    c = socket.socket(); c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    c.connect(("127.0.0.1", port))
    return l, c, l.accept()[0]
keep = []
q = socket.socket(); q.bind(("127.0.0.1", 7200)); q.listen(1); keep.append(q)
for i in range(6):                                   # 2 queued, 4 in SYN_SENT
    c = socket.socket(); c.setblocking(False)
    try: c.connect(("127.0.0.1", 7200))
    except BlockingIOError: pass
    keep.append(c)
for port in (7201, 7202):                           # FIN_WAIT1 x2
    l, c, s = pair(port); keep += [l, s]; fill(c); c.close()
l, c, s = pair(7203); keep += [l]; fill(c); c.close()  # CLOSING
time.sleep(0.3); s.shutdown(socket.SHUT_WR); keep.append(s)
l, c, s = pair(7204); keep += [l, c]; fill(s)          # LAST_ACK
c.shutdown(socket.SHUT_WR); time.sleep(0.3); s.close()
time.sleep(0.5)
open(sys.argv[1], "w").write("ready")
time.sleep(120)' "$t/ready"
wait_for 15 test -s "$t/ready" || { not_ok "the states are built"; exit 1; }
n() { ip netns exec "$ns" ss -tanH state "$1" | wc -l; }
kss="$(n syn-sent) $(n fin-wait-1) $(n last-ack) $(n closing)"
expect_eq "ss: 4 SYN_SENT, 2 FIN_WAIT1, 1 LAST_ACK, 1 CLOSING" "$kss" "4 2 1 1"

"$TD_BIN" -N "$ns" watch -j -i 0.3 -n 1 > "$t/rec"
got=$("$PY" -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())["states"]
print(r["SYN_SENT"], r["FIN_WAIT1"], r["LAST_ACK"], r["CLOSING"])' "$t/rec")
expect_eq "ndjson: the same counts as ss" "$got" "$kss"
if "$PY" -c 'import jsonschema' 2>/dev/null; then
	check "watch ndjson conforms to the schema" "$PY" "$TD_SRCDIR/tests/helpers/validate.py" --ndjson=watch_record "$t/rec"
fi

"$TD_BIN" -N "$ns" watch -i 0.3 -n 1 > "$t/tab"
head=$(grep '^time ' "$t/tab")
expect_eq "table: the old columns keep their place" "$(echo $head | cut -d' ' -f1-7)" \
	"time estab synrecv timewait closewait finwait2 listen"
expect_eq "table: the new columns follow them" "$(echo $head | cut -d' ' -f8-11)" \
	"synsent finwait1 lastack closing"
row=$(grep -E '^[0-9]{2}:[0-9]{2}:[0-9]{2} ' "$t/tab" | head -1)
expect_eq "table: the new columns count what ss counts" "$(echo $row | cut -d' ' -f8-11)" "$kss"
