#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Build real TCP socket states for the integration tests and hold them.

Run inside a test network namespace: `workload.py MODE READYFILE`.  The
process creates the sockets, writes READYFILE, then sleeps (bounded) until
the test kills it; its sockets are the condition under test.

Modes:
  mixed   LISTEN (v4 and v6), ESTABLISHED pairs, a full accept queue with
          clients left in SYN_SENT, TIME_WAIT, CLOSE_WAIT and FIN_WAIT2.
  bench N N pairs of ESTABLISHED sockets and N TIME_WAIT sockets (benchmarks).
"""
import os
import socket
import sys
import time

HOLD_SECONDS = 300


def listener(family, addr, port, backlog):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port))
    s.listen(backlog)
    return s


def mixed(keep):
    # A listener that never accepts: backlog 4 admits 5, the rest stay in SYN_SENT.
    full = listener(socket.AF_INET, "127.0.0.1", 7000, 4)
    keep.append(full)
    for _ in range(8):
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        c.setblocking(False)
        try:
            c.connect(("127.0.0.1", 7000))
        except BlockingIOError:
            pass
        keep.append(c)
    # TIME_WAIT on the server side: the server closes first.
    tw = listener(socket.AF_INET, "0.0.0.0", 7001, 64)
    keep.append(tw)
    for _ in range(3):
        c = socket.create_connection(("127.0.0.1", 7001))
        a, _ = tw.accept()
        a.close()
        c.recv(1)
        c.close()
    # CLOSE_WAIT (server never closes) and FIN_WAIT2 (client closed, not orphaned:
    # shutdown keeps the socket, so it stays FIN_WAIT2 for good).
    cw = listener(socket.AF_INET, "127.0.0.1", 7002, 64)
    keep.append(cw)
    for _ in range(2):
        c = socket.create_connection(("127.0.0.1", 7002))
        a, _ = cw.accept()
        c.sendall(b"hello")
        c.shutdown(socket.SHUT_WR)
        keep += [c, a]
    # IPv6 established pairs with data queued.
    v6 = listener(socket.AF_INET6, "::1", 7003, 16)
    keep.append(v6)
    for _ in range(2):
        c = socket.create_connection(("::1", 7003))
        a, _ = v6.accept()
        a.sendall(b"x" * 100)
        keep += [c, a]
    # A dual-stack wildcard listener.
    keep.append(listener(socket.AF_INET6, "::", 7004, 128))


def bench(keep, n):
    srv = listener(socket.AF_INET, "127.0.0.1", 8000, 4096)
    keep.append(srv)
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", 8000))
        a, _ = srv.accept()
        keep += [c, a]
    tw = listener(socket.AF_INET, "127.0.0.1", 8001, 4096)
    keep.append(tw)
    for _ in range(n):
        c = socket.create_connection(("127.0.0.1", 8001))
        a, _ = tw.accept()
        a.close()
        c.recv(1)
        c.close()


def main():
    mode, ready = sys.argv[1], sys.argv[2]
    keep = []
    if mode == "mixed":
        mixed(keep)
    elif mode == "bench":
        bench(keep, int(sys.argv[3]))
    else:
        sys.exit("workload.py: unknown mode '%s'" % mode)
    time.sleep(0.3)     # let handshakes and FINs settle
    with open(ready, "w") as f:
        f.write(str(os.getpid()))
    time.sleep(HOLD_SECONDS)


if __name__ == "__main__":
    main()
