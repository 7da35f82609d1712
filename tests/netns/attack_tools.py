#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Legitimate load and attackers for the `attack` suite (Python's ssl: OpenSSL).

Every mode is bounded in time and prints one JSON line at the end.

  legit     full TLS handshakes, each on a new connection (no resumption),
            one HTTP request (or an echo round trip with --echo) each,
            --threads loops, each paced to --rate/--threads per second (0: as
            fast as it can) for --seconds; reports completed, failed, rate
            and latency percentiles.
  slowloris --conns N connections that each send a ClientHello one byte
            every --interval seconds and reconnect when hsod drops them.
  slowread  --conns N TLS connections (echo) that send --bytes each and
            never read.
  hold      --conns N TLS connections, one request each, then idle until
            --release FILE appears (or --seconds); prints "held N" once
            they are up. --check: then each sends a request again and the
            answers are counted.
  costly    --kind rsa|hrr|big: handshakes that cost the server the most,
            as fast as --threads loops go: TLS 1.2 RSA key exchange (a
            private-key decryption each), a TLS 1.3 ClientHello whose only
            key share hsod does not take (HelloRetryRequest) then abandon,
            or a ClientHello padded to --size bytes then abandon.

Common: --host, --port, --source (bind address), --seconds.
"""
import argparse
import asyncio
import json
import os
import random
import resource
import socket
import ssl
import struct
import sys
import threading
import time

REQ = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def client_ctx(tls12_rsa=False):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if tls12_rsa:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers("AES128-GCM-SHA256")    # RSA key exchange
    return ctx


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, 65536)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def connect(a, timeout, source=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    source = source or a.source
    if source:
        s.bind((source, 0))
    s.connect((a.host, a.port))
    return s


# ---- legit -------------------------------------------------------------

def legit(a):
    ctx = client_ctx()
    lat, lock = [], threading.Lock()
    counts = {"ok": 0, "failed": 0}
    errors = {}
    end = time.monotonic() + a.seconds
    per = a.rate / a.threads if a.rate > 0 else 0

    sources = a.sources.split(",") if a.sources else [None]

    def one(source):
        t0 = time.monotonic()
        try:
            s = connect(a, 3, source)
            with ctx.wrap_socket(s, server_hostname=a.sni) as t:
                if a.echo:
                    t.sendall(b"ping")
                    got = b""
                    while len(got) < 4:
                        d = t.recv(100)
                        if not d:
                            break
                        got += d
                    ok = got == b"ping"
                else:
                    t.sendall(REQ)
                    got = b""
                    while b"hello from hso" not in got:
                        d = t.recv(4096)
                        if not d:
                            break
                        got += d
                    ok = b"hello from hso" in got
            if not ok:
                raise RuntimeError("wrong answer")
            return time.monotonic() - t0, None
        except Exception as e:  # any failure counts, by kind
            return None, type(e).__name__

    def loop(source):
        nxt = time.monotonic()
        while True:
            now = time.monotonic()
            if now >= end:
                return
            if per:
                if now < nxt:
                    time.sleep(min(nxt - now, end - now))
                    continue
                nxt += 1.0 / per
                if nxt < now - 1.0:
                    nxt = now       # fell behind: no catch-up burst
            d, err = one(source)
            with lock:
                if d is None:
                    counts["failed"] += 1
                    errors[err] = errors.get(err, 0) + 1
                else:
                    counts["ok"] += 1
                    lat.append(d)

    th = [threading.Thread(target=loop, args=(sources[i % len(sources)],))
          for i in range(a.threads)]
    t0 = time.monotonic()
    for t in th:
        t.start()
    for t in th:
        t.join()
    took = time.monotonic() - t0
    lat.sort()

    def pct(p):
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2) if lat else None

    print(json.dumps({"mode": "legit", "ok": counts["ok"], "failed": counts["failed"],
                      "errors": errors, "seconds": round(took, 2),
                      "rate": round(counts["ok"] / took, 1), "p50_ms": pct(0.5),
                      "p99_ms": pct(0.99)}))
    return 0


# ---- slowloris ---------------------------------------------------------

def client_hello_bytes(kind="normal", size=0):
    """A TLS ClientHello record. normal: TLS 1.3 + 1.2, x25519 key share.
    hrr: supported groups x448, x25519 with one x448 share (hsod does not
    do x448: it must answer HelloRetryRequest). big: normal, padded
    (RFC 7685) so the record is about `size` bytes."""
    rnd = os.urandom(32)
    sid = os.urandom(32)
    suites = struct.pack("!5H", 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f)

    def ext(t, body):
        return struct.pack("!HH", t, len(body)) + body

    groups = [0x001e, 0x001d] if kind == "hrr" else [0x001d, 0x0017]
    share_group = 0x001e if kind == "hrr" else 0x001d
    share_len = 56 if kind == "hrr" else 32
    share = struct.pack("!HH", share_group, share_len) + os.urandom(share_len)
    exts = b"".join([
        ext(0x0000, struct.pack("!HBH", 9 + 3, 0, 9) + b"localhost"),   # SNI
        ext(0x000a, struct.pack("!H", 2 * len(groups)) + b"".join(struct.pack("!H", g) for g in groups)),
        ext(0x000d, struct.pack("!H4H", 8, 0x0403, 0x0804, 0x0401, 0x0503)),
        ext(0x002b, struct.pack("!B2H", 4, 0x0304, 0x0303)),
        ext(0x002d, b"\x01\x01"),
        ext(0x0033, struct.pack("!H", len(share)) + share),
    ])
    if kind == "big" and size > 0:
        # Handshake body so far: 2+32+1+32+2+len(suites)+2+2+len(exts); pad the rest.
        base = 2 + 32 + 1 + 32 + 2 + len(suites) + 2 + 2 + len(exts) + 4
        pad = max(0, size - 5 - 4 - base)
        exts += ext(0x0015, b"\x00" * pad)
    body = (b"\x03\x03" + rnd + bytes([len(sid)]) + sid + struct.pack("!H", len(suites)) +
            suites + b"\x01\x00" + struct.pack("!H", len(exts)) + exts)
    hs = b"\x01" + struct.pack("!I", len(body))[1:] + body
    return b"\x16\x03\x01" + struct.pack("!H", len(hs)) + hs


async def slowloris_conn(a, stats, end):
    hello = client_hello_bytes()
    while time.monotonic() < end:
        w = None
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection(a.host, a.port,
                                        local_addr=(a.source, 0) if a.source else None), 3)
            stats["connects"] += 1
            for b in hello:
                if time.monotonic() >= end:
                    break
                w.write(bytes([b]))
                await w.drain()
                stats["bytes"] += 1
                # hsod resets us at its handshake deadline: notice it.
                try:
                    d = await asyncio.wait_for(r.read(1), a.interval)
                    if d == b"":
                        stats["closed"] += 1
                        break
                except asyncio.TimeoutError:
                    pass
        except (ConnectionError, OSError, asyncio.TimeoutError):
            stats["reset"] += 1
            await asyncio.sleep(0.2)
        finally:
            if w is not None:
                w.close()


def slowloris(a):
    raise_nofile()
    stats = {"connects": 0, "bytes": 0, "reset": 0, "closed": 0}
    end = time.monotonic() + a.seconds

    async def main():
        await asyncio.gather(*(slowloris_conn(a, stats, end) for _ in range(a.conns)))

    asyncio.run(main())
    print(json.dumps({"mode": "slowloris", **stats}))
    return 0


# ---- slow read ---------------------------------------------------------

async def slowread_conn(a, stats, end, ctx):
    w = None
    try:
        # A small receive buffer: the echo must stay in hsod, not be
        # absorbed by this socket's autotuned megabytes.
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 65536)
        s.setblocking(False)
        if a.source:
            s.bind((a.source, 0))
        await asyncio.wait_for(asyncio.get_running_loop().sock_connect(s, (a.host, a.port)), 10)
        r, w = await asyncio.wait_for(asyncio.open_connection(
            sock=s, ssl=ctx, server_hostname=a.sni), 10)
        stats["up"] += 1
        chunk = os.urandom(16384)
        sent = 0
        while sent < a.bytes and time.monotonic() < end:
            w.write(chunk)
            try:
                await asyncio.wait_for(w.drain(), max(0.1, end - time.monotonic()))
            except asyncio.TimeoutError:
                stats["blocked"] += 1     # hsod stopped reading us: backpressure
                break
            sent += len(chunk)
        stats["bytes"] += sent
        await asyncio.sleep(max(0, end - time.monotonic()))
    except (ConnectionError, OSError, asyncio.TimeoutError, ssl.SSLError):
        stats["failed"] += 1
    finally:
        if w is not None:
            w.transport.abort()


def slowread(a):
    raise_nofile()
    stats = {"up": 0, "blocked": 0, "failed": 0, "bytes": 0}
    end = time.monotonic() + a.seconds
    ctx = client_ctx()

    async def main():
        sem = asyncio.Semaphore(64)     # handshakes at once

        async def one():
            async with sem:
                pass
            await slowread_conn(a, stats, end, ctx)
        await asyncio.gather(*(one() for _ in range(a.conns)))

    asyncio.run(main())
    print(json.dumps({"mode": "slowread", **stats}))
    return 0


# ---- hold --------------------------------------------------------------

def hold(a):
    raise_nofile()
    ctx = client_ctx()
    conns = []
    failed = 0
    for _ in range(a.conns):
        try:
            s = connect(a, 5)
            t = ctx.wrap_socket(s, server_hostname=a.sni)
            t.sendall(b"ping" if a.echo else REQ.replace(b"close", b"keep-alive"))
            t.recv(4096)
            conns.append(t)
        except Exception:
            failed += 1
    print("held %d" % len(conns), flush=True)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end and not os.path.exists(a.release):
        time.sleep(0.1)
    answered = 0
    if a.check:
        # Every connection asks first (data in flight at once: across a
        # link outage it is retransmitted), then each answer is awaited,
        # all within 15 s.
        asked = []
        for t in conns:
            try:
                t.sendall(b"ping" if a.echo else REQ.replace(b"close", b"keep-alive"))
                asked.append(t)
            except Exception:
                pass
        deadline = time.monotonic() + 15
        for t in asked:
            try:
                t.settimeout(max(0.1, deadline - time.monotonic()))
                if t.recv(4096):
                    answered += 1
            except Exception:
                pass
    for t in conns:
        try:
            t.close()
        except Exception:
            pass
    print(json.dumps({"mode": "hold", "held": len(conns), "failed": failed,
                      "answered_after": answered}))
    return 0


# ---- costly handshakes -------------------------------------------------

def costly_loop(a, end, q):
    counts = {"done": 0, "refused": 0, "errors": 0}
    ctx = client_ctx(tls12_rsa=True)

    def one():
        s = connect(a, 3)
        try:
            if a.kind == "rsa":
                with ctx.wrap_socket(s, server_hostname=a.sni):
                    pass
                return "done"
            s.sendall(client_hello_bytes("hrr" if a.kind == "hrr" else "big", a.size))
            d = s.recv(5)       # HelloRetryRequest (hrr) or ServerHello (big)
            if not d:
                return "refused"
            if d[0] != 0x16:
                return "errors"
            return "done"       # ... and abandon
        finally:
            s.close()

    while time.monotonic() < end:
        try:
            k = one()
        except (ConnectionResetError, ConnectionRefusedError, BrokenPipeError):
            k = "refused"
        except Exception:
            k = "errors"
        counts[k] += 1
    q.put(counts)


def costly(a):
    # Processes, not threads: the client's share of the work in Python
    # would otherwise be one GIL's worth.
    import multiprocessing
    end = time.monotonic() + a.seconds
    q = multiprocessing.Queue()
    ps = [multiprocessing.Process(target=costly_loop, args=(a, end, q))
          for _ in range(a.threads)]
    for p in ps:
        p.start()
    counts = {"done": 0, "refused": 0, "errors": 0}
    for _ in ps:
        for k, v in q.get().items():
            counts[k] += v
    for p in ps:
        p.join()
    print(json.dumps({"mode": "costly", "kind": a.kind, **counts,
                      "rate": round(counts["done"] / a.seconds, 1)}))
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["legit", "slowloris", "slowread", "hold", "costly"])
    p.add_argument("--host", default="198.18.0.2")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--source", default="")
    p.add_argument("--sources", default="", help="legit: thread i binds to the i-th (mod n)")
    p.add_argument("--sni", default="ec.test")
    p.add_argument("--seconds", type=float, default=5)
    p.add_argument("--rate", type=float, default=0)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--echo", action="store_true")
    p.add_argument("--conns", type=int, default=100)
    p.add_argument("--interval", type=float, default=0.5)
    p.add_argument("--bytes", type=int, default=1 << 20)
    p.add_argument("--kind", choices=["rsa", "hrr", "big"], default="rsa")
    p.add_argument("--size", type=int, default=16000)
    p.add_argument("--release", default="/nonexistent")
    p.add_argument("--check", action="store_true")
    a = p.parse_args()
    return {"legit": legit, "slowloris": slowloris, "slowread": slowread, "hold": hold,
            "costly": costly}[a.mode](a)


if __name__ == "__main__":
    sys.exit(main())
