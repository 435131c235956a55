#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compare `ss -tanHe` with `tcpdoctor ls -j` socket for socket.

Usage: sscompare.py SS_OUTPUT TCPDOCTOR_JSON [STATE]
ss leaves out the State column when the filter selects one state: give
that state (kernel name) as STATE then.
Each socket becomes (state, recv-q, send-q, local, peer, inode, cookie);
the two multisets must be equal.  Prints the differences and exits 1 if
they are not, 0 if they are, 2 on unreadable input.
"""
import collections
import ipaddress
import json
import sys

SS_STATES = {
    "ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV",
    "FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT",
    "UNCONN": "CLOSE", "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK",
    "LISTEN": "LISTEN", "CLOSING": "CLOSING",
}


def norm_addr(a):
    """Address text in one canonical form (v4-mapped shown as v4)."""
    a = a.strip("[]")
    if a in ("*", ""):
        a = "::"
    ip = ipaddress.ip_address(a.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return str(ip)


def split_ep(ep):
    host, _, port = ep.rpartition(":")
    return norm_addr(host), 0 if port == "*" else int(port)


def ss_sockets(path, only_state=None):
    out = []
    with open(path) as f:
        for line in f:
            w = line.split()
            if only_state is not None:
                w.insert(0, [k for k, v in SS_STATES.items() if v == only_state][0])
            if len(w) < 5:
                continue
            ino = cookie = None
            for x in w[5:]:
                if x.startswith("ino:"):
                    ino = int(x[4:])
                elif x.startswith("sk:"):
                    cookie = int(x[3:], 16)
            laddr, lport = split_ep(w[3])
            raddr, rport = split_ep(w[4])
            # A wildcard peer of a v4 listener is printed 0.0.0.0:*; of v6, [::]:* or *:*.
            if rport == 0 and raddr == "0.0.0.0":
                raddr = "::" if ":" in laddr else raddr
            out.append((SS_STATES[w[0]], int(w[1]), int(w[2]), laddr, lport,
                        raddr, rport, ino, cookie))
    return out


def td_sockets(path):
    with open(path) as f:
        doc = json.load(f)
    out = []
    for s in doc["sockets"]:
        laddr, raddr = norm_addr(s["src"]), norm_addr(s["dst"])
        if s["dport"] == 0 and raddr == "0.0.0.0" and ":" in laddr:
            raddr = "::"
        out.append((s["state"], s["rqueue"], s["wqueue"], laddr, s["sport"],
                    raddr, s["dport"], s["inode"], s["cookie"]))
    if doc.get("count") != len(out):
        print("count field %r but %d sockets" % (doc.get("count"), len(out)))
        sys.exit(1)
    return out


def main():
    try:
        a = collections.Counter(ss_sockets(sys.argv[1], sys.argv[3] if len(sys.argv) > 3 else None))
        b = collections.Counter(td_sockets(sys.argv[2]))
    except (OSError, ValueError, KeyError) as e:
        print("sscompare: %s" % e)
        sys.exit(2)
    if a == b:
        print("# %d sockets agree" % sum(a.values()))
        sys.exit(0)
    for s in sorted((a - b).elements()):
        print("# only in ss:        %s" % (s,))
    for s in sorted((b - a).elements()):
        print("# only in tcpdoctor: %s" % (s,))
    sys.exit(1)


if __name__ == "__main__":
    main()
