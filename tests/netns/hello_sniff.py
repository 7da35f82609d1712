#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Capture the first TLS ClientHello sent to PORT on interface IFACE and
print what it offers, as JSON: for tests that need to know what a real
client (a browser) sent, e.g. GREASE values and post-quantum key shares.

  hello_sniff.py IFACE PORT SECONDS OUT.json

Runs until it has one whole ClientHello or SECONDS pass. Linux AF_PACKET,
needs root; IPv4 + TCP only; segments of one connection are put in order.
"""
import json
import socket
import struct
import sys
import time


def grease(v):
    """RFC 8701: 0x0a0a, 0x1a1a, ... 0xfafa."""
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def parse_hello(body):
    """The ClientHello fields tests look at (body without its 4-byte header)."""
    p = 2 + 32
    sid = body[p]
    p += 1 + sid
    n = struct.unpack_from("!H", body, p)[0]
    suites = list(struct.unpack_from("!%dH" % (n // 2), body, p + 2))
    p += 2 + n
    p += 1 + body[p]
    out = {"suites": suites, "extensions": [], "groups": [], "key_shares": [],
           "versions": []}
    end = p + 2 + struct.unpack_from("!H", body, p)[0]
    p += 2
    while p + 4 <= end:
        t, ln = struct.unpack_from("!HH", body, p)
        data = body[p + 4:p + 4 + ln]
        out["extensions"].append(t)
        if t == 10:
            k = struct.unpack_from("!H", data)[0]
            out["groups"] = list(struct.unpack_from("!%dH" % (k // 2), data, 2))
        elif t == 51:
            q = 2
            while q + 4 <= len(data):
                g, kl = struct.unpack_from("!HH", data, q)
                out["key_shares"].append([g, kl])
                q += 4 + kl
        elif t == 43:
            out["versions"] = list(struct.unpack_from("!%dH" % (data[0] // 2), data, 1))
        p += 4 + ln
    out["grease"] = sorted({v for v in out["suites"] + out["extensions"] +
                            out["groups"] + [g for g, _ in out["key_shares"]] +
                            out["versions"] if grease(v)})
    return out


def main():
    iface, port, secs, path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(3))
    s.bind((iface, 0))
    s.settimeout(0.5)
    if len(sys.argv) > 5:
        # Capturing from here on: the caller may start the client.
        open(sys.argv[5], "w").close()
    flows = {}
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            frame = s.recv(65535)
        except socket.timeout:
            continue
        if len(frame) < 14 + 20 or struct.unpack_from("!H", frame, 12)[0] != 0x0800:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 15) * 4
        if ip[9] != 6:
            continue
        tcp = ip[ihl:struct.unpack_from("!H", ip, 2)[0]]
        sport, dport, seq = struct.unpack_from("!HHI", tcp, 0)
        if dport != port:
            continue
        payload = tcp[(tcp[12] >> 4) * 4:]
        if not payload:
            continue
        segs = flows.setdefault(sport, {})
        segs[seq] = payload
        # Put this connection's bytes in order from its lowest sequence number.
        data, nxt = b"", min(segs)
        while nxt in segs:
            data += segs[nxt]
            nxt = (nxt + len(segs[nxt])) & 0xffffffff
        # Handshake records from the start: one whole ClientHello?
        msg, q = b"", 0
        while q + 5 <= len(data) and data[q] == 22:
            ln = struct.unpack_from("!H", data, q + 3)[0]
            if q + 5 + ln > len(data):
                break
            msg += data[q + 5:q + 5 + ln]
            q += 5 + ln
        if len(msg) >= 4 and msg[0] == 1 and \
                len(msg) >= 4 + int.from_bytes(msg[1:4], "big"):
            hello = parse_hello(msg[4:4 + int.from_bytes(msg[1:4], "big")])
            hello["length"] = int.from_bytes(msg[1:4], "big")
            with open(path, "w") as f:
                json.dump(hello, f)
            return 0
    print("hello_sniff: no whole ClientHello to port %d within %.0f s" % (port, secs))
    return 1


if __name__ == "__main__":
    sys.exit(main())
