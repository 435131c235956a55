#!/usr/bin/python3
# SPDX-License-Identifier: MIT
#
# Test helper: N established loopback pairs to a listener on 127.0.0.1:8080
# (2N + 1 sockets), so a sock_diag dump spans many receive buffers.  Prints
# "ready PID", then holds them for --hold seconds or until killed.
import argparse
import os
import resource
import socket
import time

ap = argparse.ArgumentParser()
ap.add_argument("n", type=int)
ap.add_argument("--hold", type=float, default=120)
a = ap.parse_args()
need = 2 * a.n + 64
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < need:
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
ls = socket.socket()
ls.bind(("127.0.0.1", 8080))
ls.listen(4096)
keep = [ls]
for _ in range(a.n):
    c = socket.create_connection(("127.0.0.1", 8080))
    s, _ = ls.accept()
    keep += [c, s]
print("ready", os.getpid(), flush=True)
time.sleep(a.hold)
