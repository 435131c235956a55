#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Run each command RUNS times (inside the caller's namespace) and print
"name median_us peak_rss_kib" per command, output to /dev/null.

Usage: measure.py RUNS NAME=CMD [NAME=CMD ...]   (CMD split on spaces)
Wall time is measured around fork+exec+wait, the commands interleaved run
by run so that drift hits them alike.  Peak RSS comes from one more run
under GNU time (/usr/bin/time -f %M): a child forked from Python would
report Python's own high-water mark, which survives exec.
"""
import os
import statistics
import sys
import time


def run_once(argv):
    devnull = os.open(os.devnull, os.O_WRONLY)
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    t1 = time.perf_counter()
    os.close(devnull)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit("measure: %s exited with %d" % (" ".join(argv), os.waitstatus_to_exitcode(status)))
    return (t1 - t0) * 1e6


def peak_rss(argv):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(w, 2)
        try:
            os.execv("/usr/bin/time", ["/usr/bin/time", "-f", "%M"] + argv)
        finally:
            os._exit(127)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    lines = [l for l in b"".join(chunks).decode(errors="replace").splitlines() if l.strip().isdigit()]
    return int(lines[-1])


def main():
    runs = int(sys.argv[1])
    cmds = [a.split("=", 1) for a in sys.argv[2:]]
    times = {n: [] for n, _ in cmds}
    for _ in range(runs):
        for name, cmd in cmds:
            times[name].append(run_once(cmd.split()))
    rss = {n: peak_rss(c.split()) for n, c in cmds}
    for name, _ in cmds:
        print("%s %d %d" % (name, statistics.median(times[name]), rss[name]))


if __name__ == "__main__":
    main()
