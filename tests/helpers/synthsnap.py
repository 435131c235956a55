#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Write synthetic tcpdoctor snapshots for the scale and hostile-input tests.

Usage: synthsnap.py MODE N OUT
  sockets N        N ESTABLISHED sockets (distinct 4-tuples)
  listeners N      N LISTEN sockets on distinct local endpoints
  synrecv N        one wildcard listener on port 80 and N request sockets
                   (SYN_RECV) to N distinct local addresses, plus a listener
                   on 198.18.0.1:443 with 3 request sockets (exact match)
  synrecv-first N  the same with the request sockets before the listeners
                   (a reordered file)
  header-keys N    a valid header with N extra top-level members
  dup-member       the header member "host" twice
  dup-nested       "counters" with the member "tw" twice
  dup-socket       one socket object with the member "sport" twice
  big-header N     "host" and "kernel" strings of N bytes each
  port-range LO,HI the header's ip_local_port_range set to [LO, HI]
  comm TEXT        one ESTABLISHED socket owned by a process named TEXT
                   (N is ignored; TEXT is a Python string literal, so
                   escapes such as "\\x1b[31m" can be written)
  host TEXT        no socket, the header's "host" and "netns" set to TEXT
The header is the one of tests/fixtures/snapshots/mixed.json.  Streams: memory
does not grow with N.
"""
import ast
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURE = os.path.join(HERE, "..", "fixtures", "snapshots", "mixed.json")


def header():
    with open(FIXTURE) as f:
        d = json.load(f)
    d.pop("sockets")
    return d


def sock(state, src, sport, dst, dport, kind="full", rq=0, wq=0, owner=None):
    s = {"family": "ipv4", "state": state, "kind": kind, "src": src, "sport": sport,
         "dst": dst, "dport": dport, "ifindex": 0, "rqueue": rq, "wqueue": wq,
         "timer": {"name": "off", "expires_ms": 0, "retrans": 0}, "uid": 0,
         "inode": 0, "cookie": 0, "shutdown": 0, "tos": 0, "tclass": 0, "mark": 0,
         "v6only": False}
    if owner is not None:
        s["owner"] = owner
    return s


def ip(i, net=(198, 18)):
    return "%d.%d.%d.%d" % (net[0], net[1] + (i >> 16 & 1), i >> 8 & 255, i & 255)


def write(out, hdr, socks, extra=""):
    h = json.dumps(hdr, indent=1)
    out.write(h[:h.rindex("}")].rstrip() + extra + ',\n "sockets": [')
    first = True
    for s in socks:
        out.write(("\n" if first else ",\n") + json.dumps(s, separators=(",", ":")))
        first = False
    out.write("\n ]\n}\n")


def main():
    mode, n, path = sys.argv[1], sys.argv[2], sys.argv[3]
    with open(path, "w") as out:
        hdr = header()
        if mode == "sockets":
            n = int(n)
            write(out, hdr, (sock("ESTABLISHED", ip(i), 40000 + i % 20000, "198.19.0.1",
                                  443 + i // 20000) for i in range(n)))
        elif mode == "listeners":
            n = int(n)
            write(out, hdr, (sock("LISTEN", ip(i // 60000), 1024 + i % 60000, "0.0.0.0", 0,
                                  wq=128) for i in range(n)))
        elif mode in ("synrecv", "synrecv-first"):
            n = int(n)

            def listeners():
                yield sock("LISTEN", "0.0.0.0", 80, "0.0.0.0", 0, wq=4096)
                yield sock("LISTEN", "198.18.0.1", 443, "0.0.0.0", 0, wq=16)
                # A wildcard on 443 too: the exact 198.18.0.1:443 must win.
                yield sock("LISTEN", "0.0.0.0", 443, "0.0.0.0", 0, wq=16)

            def requests():
                for i in range(3):
                    yield sock("SYN_RECV", "198.18.0.1", 443, "198.19.0.9", 50000 + i,
                               kind="request")
                for i in range(n):
                    yield sock("SYN_RECV", ip(i, (10, 0)), 80, "198.19.0.1", 50000,
                               kind="request")

            def gen():
                first, second = (requests, listeners) if mode == "synrecv-first" else \
                    (listeners, requests)
                yield from first()
                yield from second()
            write(out, hdr, gen())
        elif mode == "header-keys":
            n = int(n)
            out.write("{\n")
            for k, v in hdr.items():
                out.write(" %s: %s,\n" % (json.dumps(k), json.dumps(v)))
            for i in range(n):
                out.write(' "x%d": 0,\n' % i)
            out.write(' "sockets": []\n}\n')
        elif mode == "dup-member":
            write(out, hdr, [], extra=',\n "host": "other"')
        elif mode == "dup-nested":
            h = json.dumps(hdr, indent=1)
            h = h.replace('"tw": ', '"tw": 1, "tw": ', 1)
            out.write(h[:h.rindex("}")].rstrip() + ',\n "sockets": []\n}\n')
        elif mode == "dup-socket":
            t = json.dumps(sock("ESTABLISHED", "198.18.0.1", 1, "198.19.0.1", 2),
                           separators=(",", ":"))
            h = json.dumps(hdr, indent=1)
            out.write(h[:h.rindex("}")].rstrip() + ',\n "sockets": [\n' +
                      t.replace('"sport":1', '"sport":1,"sport":3') + "\n ]\n}\n")
        elif mode == "big-header":
            hdr["host"] = "h" * int(n)
            hdr["kernel"] = "k" * int(n)
            write(out, hdr, [])
        elif mode == "port-range":
            lo, hi = (int(x) for x in n.split(","))
            hdr["sysctls"]["net.ipv4.ip_local_port_range"] = [lo, hi]
            write(out, hdr, [])
        elif mode == "comm":
            comm = ast.literal_eval('"' + n + '"')
            write(out, hdr, [sock("ESTABLISHED", "198.18.0.1", 40000, "198.19.0.1", 443,
                                  owner={"pid": 4242, "comm": comm})])
        elif mode == "host":
            text = ast.literal_eval('"' + n + '"')
            hdr["host"] = text
            hdr["netns"] = text
            write(out, hdr, [])
        else:
            sys.exit("synthsnap: unknown mode '%s'" % mode)


main()
