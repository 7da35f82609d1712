#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Backends for tests/netns/proxy.sh.

--mode http (default): an HTTP/1.1 backend that requires a PROXY protocol
v2 header.

Each connection must start with a v2 header (haproxy doc/proxy-protocol.txt):
the signature, version 2 command PROXY, TCP over IPv4 (0x11, 12 address
bytes) or over IPv6 (0x21, 36 address bytes: section 2.2), and TLVs that parse
exactly (PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY, PP2_TYPE_SSL with its client
byte, verify word and sub-TLVs). Then one HTTP request; the answer is a
200 whose JSON body is what the header said, or a 400 saying what was wrong
with it.

--mode echo: echoes every byte back; at the client's EOF it shuts down its
own writing after the last byte and closes. --slow-ms M sleeps M ms after
each read of at most --read-size bytes, and --rcvbuf sets SO_RCVBUF, so a
fast client fills the proxy's socket to it (backpressure towards hsod).

--mode silent: reads and never answers (a hung backend).

--mode health: plain HTTP (no PROXY header) whose answer depends on the
path, for hso-proxy's HTTP health checks: /ok 200, /204 204, /503 503,
/junk a line that is not HTTP, /slow 200 after 3 s, /close no answer (the
connection closed), anything else 200 "hello from health backend". Every
request is counted per path; "GET /counts" answers the counts as JSON.

Prints "ready" once listening.

usage: proxy_backend.py --listen 198.18.0.1:8081|[2001:db8::1]:8081 [--mode echo [--slow-ms M] | silent | health]
"""
import argparse
import json
import socket
import socketserver
import struct
import sys
import time

SIG = b"\r\n\r\n\x00\r\nQUIT\n"
PP2_TYPE_ALPN = 0x01
PP2_TYPE_AUTHORITY = 0x02
PP2_TYPE_SSL = 0x20
PP2_SUBTYPE_SSL_VERSION = 0x21
PP2_SUBTYPE_SSL_CIPHER = 0x23
PP2_CLIENT_SSL = 0x01


class BadHeader(Exception):
    pass


def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise BadHeader("connection closed after %d of %d header bytes" % (len(data), n))
        data += chunk
    return data


def tlvs(buf, what):
    """(type, value) pairs; the block must end exactly at a TLV boundary."""
    out, off = [], 0
    while off < len(buf):
        if off + 3 > len(buf):
            raise BadHeader("%s: truncated TLV header at %d" % (what, off))
        t, ln = buf[off], struct.unpack_from("!H", buf, off + 1)[0]
        if off + 3 + ln > len(buf):
            raise BadHeader("%s: TLV 0x%02x of %d bytes overruns the header" % (what, t, ln))
        out.append((t, buf[off + 3:off + 3 + ln]))
        off += 3 + ln
    return out


def parse_header(sock):
    head = recv_exact(sock, 16)
    if head[:12] != SIG:
        raise BadHeader("no PROXY v2 signature: %r" % head[:12])
    if head[12] != 0x21:
        raise BadHeader("version/command 0x%02x, want 0x21 (v2, PROXY)" % head[12])
    fams = {0x11: ("tcp4", socket.AF_INET, 4), 0x21: ("tcp6", socket.AF_INET6, 16)}
    if head[13] not in fams:
        raise BadHeader("family 0x%02x, want 0x11 (TCP over IPv4) or 0x21 (TCP over IPv6)"
                        % head[13])
    fam, af, alen = fams[head[13]]
    ln = struct.unpack_from("!H", head, 14)[0]
    if ln < 2 * alen + 4:
        raise BadHeader("length %d is shorter than the %s addresses" % (ln, fam))
    body = recv_exact(sock, ln)
    src, dst, sport, dport = struct.unpack_from("!%ds%dsHH" % (alen, alen), body, 0)
    info = {
        "family": fam, "src": socket.inet_ntop(af, src), "dst": socket.inet_ntop(af, dst),
        "src_port": sport, "dst_port": dport, "header_len": 16 + ln, "tlv_types": [],
    }
    for t, v in tlvs(body[2 * alen + 4:], "header"):
        info["tlv_types"].append(t)
        if t == PP2_TYPE_ALPN:
            info["alpn"] = v.decode()
        elif t == PP2_TYPE_AUTHORITY:
            info["authority"] = v.decode()
        elif t == PP2_TYPE_SSL:
            if len(v) < 5:
                raise BadHeader("PP2_TYPE_SSL of %d bytes (< 5)" % len(v))
            info["ssl_client"] = v[0]
            info["ssl_verify"] = struct.unpack_from("!I", v, 1)[0]
            for st, sv in tlvs(v[5:], "PP2_TYPE_SSL"):
                if st == PP2_SUBTYPE_SSL_VERSION:
                    info["ssl_version"] = sv.decode()
                elif st == PP2_SUBTYPE_SSL_CIPHER:
                    info["ssl_cipher"] = sv.decode()
                else:
                    info.setdefault("ssl_other", []).append(st)
        else:
            raise BadHeader("unexpected TLV type 0x%02x" % t)
    if info.get("ssl_client") != PP2_CLIENT_SSL:
        raise BadHeader("no PP2_TYPE_SSL with PP2_CLIENT_SSL: %r" % info)
    return info


def read_request(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > 65536:
            raise BadHeader("request head over 64 KiB")
        chunk = sock.recv(4096)
        if not chunk:
            raise BadHeader("closed before the end of the request head")
        data += chunk
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def respond(sock, status, obj):
    body = (json.dumps(obj, sort_keys=True) + "\n").encode()
    sock.sendall(b"HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                 b"Connection: close\r\n\r\n" % (status.encode(), len(body)) + body)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(10)
        try:
            info = parse_header(s)
            info["request"] = read_request(s)
            respond(s, "200 OK", info)
        except (BadHeader, UnicodeDecodeError, struct.error) as e:
            try:
                respond(s, "400 Bad Request", {"error": str(e)})
            except OSError:
                pass
        except OSError:
            pass


class EchoHandler(socketserver.BaseRequestHandler):
    slow_ms = 0
    read_size = 65536

    def handle(self):
        s = self.request
        s.settimeout(60)
        try:
            while True:
                data = s.recv(self.read_size)
                if not data:
                    break
                s.sendall(data)
                if self.slow_ms:
                    time.sleep(self.slow_ms / 1000.0)
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass


class SilentHandler(socketserver.BaseRequestHandler):
    def handle(self):
        s = self.request
        s.settimeout(60)
        try:
            while s.recv(65536):
                pass
        except OSError:
            pass


class HealthHandler(socketserver.BaseRequestHandler):
    counts = {}

    def handle(self):
        s = self.request
        s.settimeout(10)
        try:
            line = read_request(s)
            path = line.split(" ")[1] if line.count(" ") >= 2 else "?"
            HealthHandler.counts[path] = HealthHandler.counts.get(path, 0) + 1
            if path == "/junk":
                s.sendall(b"garbage, not HTTP\r\n")
            elif path == "/close":
                pass
            elif path == "/counts":
                respond(s, "200 OK", HealthHandler.counts)
            else:
                if path == "/slow":
                    time.sleep(3)
                status = {"/204": "204 No Content", "/503": "503 Service Unavailable"}.get(
                    path, "200 OK")
                body = b"" if status.startswith("204") else b"hello from health backend\n"
                s.sendall(b"HTTP/1.1 %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
                          % (status.encode(), len(body)) + body)
        except (OSError, BadHeader):
            pass


class Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    request_queue_size = 256
    rcvbuf = 0

    def server_bind(self):
        if self.rcvbuf:
            # Inherited by accepted sockets: a small window towards the proxy.
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        super().server_bind()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True, help="ADDR:PORT")
    ap.add_argument("--mode", choices=["http", "echo", "silent", "health"], default="http")
    ap.add_argument("--slow-ms", type=int, default=0)
    ap.add_argument("--read-size", type=int, default=65536)
    ap.add_argument("--rcvbuf", type=int, default=0)
    a = ap.parse_args()
    host, port = a.listen.rsplit(":", 1)
    if host.startswith("["):
        host = host.strip("[]")
        Server.address_family = socket.AF_INET6
    EchoHandler.slow_ms = a.slow_ms
    EchoHandler.read_size = a.read_size
    Server.rcvbuf = a.rcvbuf
    handler = {"http": Handler, "echo": EchoHandler, "silent": SilentHandler,
               "health": HealthHandler}[a.mode]
    srv = Server((host, int(port)), handler)
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
