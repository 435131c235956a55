#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# Test helper: build TCP sockets in every common state inside the current
# (test) network namespace, print "ready", then hold them until killed.
#   LISTEN        127.0.0.1:8080 (backlog 4), [::]:8081 dual-stack (backlog 8),
#                 [::1]:8082 v6only, and 198.18.0.1:9090 / [2001:db8:1::1]:9091
#                 (backlog 16) with --syn-addr / --syn6-addr, for the request
#                 sockets rawsyn makes
#   ESTABLISHED   a v4 pair with unread data both ways and a full send queue,
#                 a v6 pair, a v4-mapped pair on the dual-stack listener,
#                 and --accept-pending connections left in the accept queue
#   CLOSE_WAIT    server side of a connection the client closed
#   FIN_WAIT2     client side of it (shut down for writing but still open,
#                 so a full socket, not a timewait mini-socket)
#   FIN_WAIT2     with --orphan, a client that close()d while its peer did not:
#                 a timewait mini-socket in the FIN_WAIT2 substate (port 8083)
#   TIME_WAIT     server-side active closes (--tw N over IPv4, --tw6 N over IPv6)
import argparse
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--tw", type=int, default=2)
ap.add_argument("--tw6", type=int, default=0)
ap.add_argument("--orphan", action="store_true",
                help="also an orphaned FIN_WAIT2 (a timewait mini-socket) on port 8083")
ap.add_argument("--syn-addr", default=None)
ap.add_argument("--syn6-addr", default=None)
ap.add_argument("--hold", type=float, default=120)
a = ap.parse_args()

keep = []
ls = socket.socket()
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", 8080))
ls.listen(4)
l6 = socket.socket(socket.AF_INET6)
l6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
l6.bind(("::", 8081))
l6.listen(8)
l6o = socket.socket(socket.AF_INET6)
l6o.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
l6o.bind(("::1", 8082))
l6o.listen(8)
keep += [ls, l6, l6o]
if a.syn_addr:
    lsyn = socket.socket()
    lsyn.bind((a.syn_addr, 9090))
    lsyn.listen(16)
    keep.append(lsyn)
if a.syn6_addr:
    lsyn6 = socket.socket(socket.AF_INET6)
    lsyn6.bind((a.syn6_addr, 9091))
    lsyn6.listen(16)
    keep.append(lsyn6)

# ESTABLISHED with data queued: the client fills the server's receive
# queue and its own send queue; the server sends a little back unread.
c = socket.create_connection(("127.0.0.1", 8080))
s, _ = ls.accept()
c.setblocking(False)
try:
    for _ in range(10000):
        c.send(b"x" * 65536)
except BlockingIOError:
    pass
s.send(b"hello")
keep += [c, s]

# CLOSE_WAIT / FIN_WAIT2: the client closes, the server never does.
c2 = socket.create_connection(("127.0.0.1", 8080))
s2, _ = ls.accept()
c2.shutdown(socket.SHUT_WR)
keep += [c2, s2]

# TIME_WAIT on the server side: it closes first, then the client.
def time_wait(listener, addr, n):
    for _ in range(n):
        c3 = socket.create_connection(addr)
        s3, _ = listener.accept()
        s3.close()
        time.sleep(0.05)
        c3.close()


time_wait(ls, ("127.0.0.1", 8080), a.tw)

if a.orphan:
    lo = socket.socket()
    lo.bind(("127.0.0.1", 8083))
    lo.listen(4)
    co = socket.create_connection(("127.0.0.1", 8083))
    so, _ = lo.accept()
    co.close()
    keep += [lo, so]
time_wait(l6, ("::1", 8081), a.tw6)

c6 = socket.create_connection(("::1", 8081))
s6, _ = l6.accept()
cm = socket.create_connection(("127.0.0.1", 8081))   # v4-mapped on the server side
sm, _ = l6.accept()
c6o = socket.create_connection(("::1", 8082))
keep += [c6, s6, cm, sm, c6o]   # c6o stays in l6o's accept queue

time.sleep(0.2)
print("ready", flush=True)
time.sleep(a.hold)
