#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""A TLS client for echo applications behind hsod (Python's ssl: OpenSSL).

Modes (one JSON summary line on stdout at the end; exit 1 on any mismatch,
error or deadline, 2 on bad usage):

  echo (default)  --conns N connections at once, each sends --bytes M of
                  random data (its own) in random-sized writes (1 B ..
                  --max-write) while reading the echo, verifies it byte for
                  byte, then closes (close_notify, waits for the server's
                  close). Every connection has --deadline seconds.
  --hold N        opens N connections, one round trip each, prints "held",
                  then waits up to --hold-timeout s for the server to end
                  them and reports how each ended: close_notify, eof (FIN
                  without close_notify), reset, data (unexpected bytes), or
                  open (still open at the timeout). With --expect-close every
                  one must end with close_notify or eof. --hold-send B: each
                  then sends B bytes and reads back what the server echoes
                  before it ends the connection (must be a prefix of them).
  --stall         one connection sends --bytes S as fast as it can without
                  reading for --stall-seconds T, timing how long send()
                  could not progress (the window closed), then reads
                  everything and verifies it.
  --expect-refused
                  one connection attempt must be refused or reset (TCP RST,
                  or the TLS handshake cut) within --deadline seconds.

usage: app_echo.py [--host H] [--port P] [--tls 1.2|1.3|any] [--ca PEM]
                   [--sni NAME] [--keylog FILE] [mode options]
"""
import argparse
import errno
import json
import os
import random
import selectors
import socket
import ssl
import sys
import time

VERSIONS = {
    "1.2": ssl.TLSVersion.TLSv1_2,
    "1.3": ssl.TLSVersion.TLSv1_3,
}


def make_context(args):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if args.ca:
        ctx.load_verify_locations(args.ca)
        ctx.check_hostname = bool(args.sni)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if args.tls != "any":
        ctx.minimum_version = ctx.maximum_version = VERSIONS[args.tls]
    if args.keylog:
        ctx.keylog_filename = args.keylog
    return ctx


def wrap(ctx, sock, args):
    return ctx.wrap_socket(sock, server_hostname=args.sni or None,
                           do_handshake_on_connect=False,
                           suppress_ragged_eofs=False)


def tcp_socket(args):
    s = socket.socket(socket.AF_INET6 if ":" in args.host else socket.AF_INET,
                      socket.SOCK_STREAM)
    if args.nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if args.sndbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, args.sndbuf)
    if args.rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.rcvbuf)
    return s


def end_kind(exc):
    """How a connection ended, from the exception that ended it."""
    if isinstance(exc, ConnectionResetError):
        return "reset"
    if isinstance(exc, ConnectionRefusedError):
        return "refused"
    if isinstance(exc, ssl.SSLEOFError):
        return "eof"
    if isinstance(exc, ssl.SSLZeroReturnError):
        return "close_notify"
    if isinstance(exc, ssl.SSLError):
        return "tls_error"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timeout"
    if isinstance(exc, OSError) and exc.errno in (errno.ECONNRESET, errno.EPIPE):
        return "reset"
    return "error"


def describe(exc):
    return "%s: %s" % (type(exc).__name__, exc)


def mismatch(data, rcvd, sent, b):
    """Describe an echo that is not what was sent: where it first differs and
    what the wrong bytes look like (a repeat of earlier data, zeros, other)."""
    n = min(len(b), sent - rcvd)
    off = next((i for i in range(n) if b[i] != data[rcvd + i]), n)
    at = rcvd + off
    msg = "echo differs at byte %d (this read: %d bytes at %d, at most %d sent so far)" % (
        at, len(b), rcvd, sent)
    if off == n and len(b) > n:
        msg = "echoed %d bytes more than sent (this read: %d bytes at %d, at most %d sent so far)" % (
            len(b) - n, len(b), rcvd, sent)
    wrong = b[off:off + 32]
    if not wrong.strip(b"\0"):
        msg += "; the wrong bytes are zeros"
    else:
        j = data.find(wrong)
        msg += ("; the wrong bytes repeat the stream at byte %d (%+d)" % (j, j - at)
                if j >= 0 else "; the wrong bytes are not from this stream")
    return msg


# --- echo: many connections, one selector loop ------------------------------

class EchoConn:
    """One connection's state machine: connect, handshake, data, shutdown."""

    def __init__(self, idx, args, ctx, sel, rng):
        self.idx = idx
        self.args = args
        self.ctx = ctx
        self.sel = sel
        self.data = rng.randbytes(args.bytes)
        self.rng = random.Random(rng.getrandbits(64))
        self.sent = 0
        self.rcvd = 0
        self.chunk = 0          # length of the write being retried (0: none)
        self.writes = 0
        self.state = "connect"
        self.error = None
        self.end = None         # how the connection ended
        self.t0 = time.monotonic()
        self.deadline = self.t0 + args.deadline
        self.t_handshake = None
        self.t_done = None
        self.version = None
        self.cipher = None
        self.raw = tcp_socket(args)
        self.raw.setblocking(False)
        self.sock = self.raw
        rc = self.raw.connect_ex((args.host, args.port))
        if rc not in (0, errno.EINPROGRESS):
            self.fail("connect: %s" % os.strerror(rc), "refused" if rc == errno.ECONNREFUSED else "error")
            return
        self.sel.register(self.raw, selectors.EVENT_WRITE, self)

    def interest(self, events):
        try:
            self.sel.modify(self.sock, events, self)
        except (KeyError, ValueError):
            pass

    def finish(self):
        try:
            self.sel.unregister(self.sock)
        except (KeyError, ValueError):
            pass
        try:
            self.sock.close()
        except OSError:
            pass

    def fail(self, msg, kind=None):
        if self.state in ("done", "failed"):
            return
        self.error = "conn %d (%s, sent %d, echoed %d of %d): %s" % (
            self.idx, self.state, self.sent, self.rcvd, self.args.bytes, msg)
        self.end = kind or "error"
        self.state = "failed"
        self.finish()

    def step(self):
        try:
            if self.state == "connect":
                err = self.raw.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    self.fail("connect: %s" % os.strerror(err),
                              "refused" if err == errno.ECONNREFUSED else "error")
                    return
                self.sel.unregister(self.raw)
                self.sock = wrap(self.ctx, self.raw, self.args)
                self.sel.register(self.sock, selectors.EVENT_READ, self)
                self.state = "handshake"
            if self.state == "handshake":
                try:
                    self.sock.do_handshake()
                except ssl.SSLWantReadError:
                    self.interest(selectors.EVENT_READ)
                    return
                except ssl.SSLWantWriteError:
                    self.interest(selectors.EVENT_WRITE)
                    return
                self.t_handshake = time.monotonic() - self.t0
                self.version = self.sock.version()
                self.cipher = self.sock.cipher()[0]
                self.state = "data"
            if self.state == "data":
                self.pump()
            if self.state == "shutdown":
                self.shutdown()
        except Exception as e:  # noqa: BLE001 - every failure is reported
            self.fail(describe(e), end_kind(e))

    def pump(self):
        want_write = False
        # Send until the socket pushes back (or everything is out).
        while self.sent < len(self.data):
            if not self.chunk:
                self.chunk = min(self.rng.randint(1, self.args.max_write),
                                 len(self.data) - self.sent)
            try:
                n = self.sock.send(self.data[self.sent:self.sent + self.chunk])
            except ssl.SSLWantWriteError:
                want_write = True
                break
            except ssl.SSLWantReadError:
                break
            self.sent += n
            self.chunk = 0
            self.writes += 1
        # Read until nothing is left, checking every byte.
        while True:
            try:
                b = self.sock.recv(262144)
            except ssl.SSLWantReadError:
                break
            except ssl.SSLWantWriteError:
                want_write = True
                break
            if not b:
                self.fail("the server closed (close_notify) before the whole echo", "close_notify")
                return
            # A write being retried (SSLWantWriteError) may already be partly
            # on the wire: OpenSSL sent some of its records before blocking.
            end = self.rcvd + len(b)
            out = self.sent + self.chunk
            if end > out or self.data[self.rcvd:end] != b:
                self.fail(mismatch(self.data, self.rcvd, out, b), "mismatch")
                return
            self.rcvd = end
        if self.rcvd == len(self.data):
            self.state = "shutdown"
            self.t_done = time.monotonic() - self.t0
            return
        self.interest(selectors.EVENT_READ | (selectors.EVENT_WRITE if want_write else 0))

    def shutdown(self):
        """Our close_notify, then the server's close (close_notify or FIN)."""
        try:
            self.sock.unwrap()
        except ssl.SSLWantReadError:
            self.interest(selectors.EVENT_READ)
            return
        except ssl.SSLWantWriteError:
            self.interest(selectors.EVENT_WRITE)
            return
        except Exception as e:  # noqa: BLE001
            kind = end_kind(e)
            if kind == "eof" and not self.args.require_close_notify:
                self.end = "eof"
                self.state = "done"
                self.finish()
                return
            self.fail("closing: " + describe(e), kind)
            return
        self.end = "close_notify"
        self.state = "done"
        self.finish()


def run_echo(args, ctx):
    rng = random.Random(args.seed)
    sel = selectors.DefaultSelector()
    t0 = time.monotonic()
    conns = [EchoConn(i, args, ctx, sel, rng) for i in range(args.conns)]
    live = [c for c in conns if c.state not in ("done", "failed")]
    while live:
        now = time.monotonic()
        timeout = max(0.0, min(min(c.deadline for c in live) - now, 1.0))
        for key, _ in sel.select(timeout):
            key.data.step()
        now = time.monotonic()
        for c in live:
            if c.state not in ("done", "failed") and now > c.deadline:
                c.fail("deadline of %g s passed" % args.deadline, "timeout")
        live = [c for c in live if c.state not in ("done", "failed")]
    elapsed = time.monotonic() - t0
    ok = [c for c in conns if c.state == "done"]
    bad = [c for c in conns if c.state != "done"]
    echoed = sum(c.rcvd for c in conns)
    hs = [c.t_handshake for c in conns if c.t_handshake is not None]
    ends = {}
    for c in conns:
        ends[c.end] = ends.get(c.end, 0) + 1
    summary = {
        "mode": "echo", "seed": args.seed, "conns": args.conns, "bytes": args.bytes, "ok": len(ok),
        "failed": len(bad), "echoed_bytes": echoed,
        "writes": sum(c.writes for c in conns),
        "elapsed_s": round(elapsed, 3),
        "echo_MBps": round(echoed / elapsed / 1e6, 2) if elapsed else 0,
        "handshake_ms_avg": round(1000 * sum(hs) / len(hs), 2) if hs else None,
        "handshake_ms_max": round(1000 * max(hs), 2) if hs else None,
        "versions": sorted({c.version for c in conns if c.version}),
        "ciphers": sorted({c.cipher for c in conns if c.cipher}),
        "ends": ends,
        "errors": [c.error for c in bad][:5],
    }
    print(json.dumps(summary), flush=True)
    return 0 if not bad else 1


# --- hold: connections the server will end ----------------------------------

def open_session(args, ctx, timeout):
    s = tcp_socket(args)
    s.settimeout(timeout)
    s.connect((args.host, args.port))
    ss = wrap(ctx, s, args)
    ss.do_handshake()
    return ss


def round_trip(ss, payload):
    ss.sendall(payload)
    got = b""
    while len(got) < len(payload):
        b = ss.recv(len(payload) - len(got))
        if not b:
            raise ssl.SSLZeroReturnError("closed during the round trip")
        got += b
    if got != payload:
        raise ValueError("round trip: echo differs")


def run_hold(args, ctx):
    socks = []
    for i in range(args.hold):
        try:
            ss = open_session(args, ctx, args.deadline)
            round_trip(ss, os.urandom(64))
        except Exception as e:  # noqa: BLE001
            print(json.dumps({"mode": "hold", "error": "connection %d: %s" % (i, describe(e))}),
                  flush=True)
            return 1
        socks.append(ss)
    # --hold-send: data in flight when the server ends the connections (a
    # slow application holds it); whatever comes back must be its prefix.
    sent = [os.urandom(args.hold_send) for _ in socks]
    if args.hold_send:
        try:
            for ss, data in zip(socks, sent):
                ss.sendall(data)
        except Exception as e:  # noqa: BLE001
            print(json.dumps({"mode": "hold", "error": "--hold-send: " + describe(e)}), flush=True)
            return 1
    print("held", flush=True)
    sel = selectors.DefaultSelector()
    ends = [None] * len(socks)
    times = [None] * len(socks)
    echoed = [0] * len(socks)
    for i, ss in enumerate(socks):
        ss.setblocking(False)
        sel.register(ss, selectors.EVENT_READ, i)
    t_end = time.monotonic() + args.hold_timeout
    left = len(socks)
    while left and time.monotonic() < t_end:
        for key, _ in sel.select(max(0.0, t_end - time.monotonic())):
            i = key.data
            ss = socks[i]
            kind = None
            try:
                while True:
                    b = ss.recv(65536)
                    if not b:
                        kind = "close_notify"
                        break
                    n = echoed[i]
                    if sent[i][n:n + len(b)] != b:
                        kind = "data"   # not (a prefix of) the echo of what we sent
                        break
                    echoed[i] += len(b)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except Exception as e:  # noqa: BLE001
                kind = end_kind(e)
            if kind is None:
                continue
            ends[i] = kind
            times[i] = time.time()
            sel.unregister(ss)
            ss.close()
            left -= 1
    counts = {}
    for k in ends:
        k = k or "open"
        counts[k] = counts.get(k, 0) + 1
    done = [t for t in times if t is not None]
    summary = {"mode": "hold", "held": len(socks), "ends": counts,
               "sent_each": args.hold_send, "echoed": sum(echoed),
               "first_end": min(done) if done else None,
               "last_end": max(done) if done else None}
    print(json.dumps(summary), flush=True)
    if args.expect_close:
        clean = counts.get("close_notify", 0) + counts.get("eof", 0)
        return 0 if clean == len(socks) else 1
    return 0


# --- stall: a client that does not read --------------------------------------

def run_stall(args, ctx):
    rng = random.Random(args.seed)
    data = rng.randbytes(args.bytes)
    try:
        ss = open_session(args, ctx, args.deadline)
    except Exception as e:  # noqa: BLE001
        print(json.dumps({"mode": "stall", "error": "connect: " + describe(e)}), flush=True)
        return 1
    ss.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ss, selectors.EVENT_READ)
    t0 = time.monotonic()
    read_from = t0 + args.stall_seconds
    deadline = t0 + args.deadline
    sent = rcvd = chunk = 0
    blocked_since = None        # when send() last stopped progressing
    blocked_noread = 0.0        # send() blocked while we were not reading
    blocked_total = 0.0
    longest = 0.0
    sent_before_read = None
    error = None

    def unblock(now):
        nonlocal blocked_since, blocked_noread, blocked_total, longest
        if blocked_since is None:
            return
        span = now - blocked_since
        blocked_total += span
        longest = max(longest, span)
        # The part of the span before we started reading.
        blocked_noread += max(0.0, min(now, read_from) - blocked_since)
        blocked_since = None

    while rcvd < len(data):
        now = time.monotonic()
        if now > deadline:
            error = "deadline of %g s passed (sent %d, echoed %d)" % (args.deadline, sent, rcvd)
            break
        reading = now >= read_from
        if reading and sent_before_read is None:
            sent_before_read = sent
        want_write = False
        while sent < len(data):
            if not chunk:
                chunk = min(rng.randint(1, args.max_write), len(data) - sent)
            try:
                n = ss.send(data[sent:sent + chunk])
            except ssl.SSLWantWriteError:
                want_write = True
                if blocked_since is None:
                    blocked_since = time.monotonic()
                break
            except ssl.SSLWantReadError:
                break
            except Exception as e:  # noqa: BLE001
                error = "send: " + describe(e)
                break
            unblock(time.monotonic())
            sent += n
            chunk = 0
        if error:
            break
        if reading:
            try:
                while True:
                    b = ss.recv(262144)
                    if not b:
                        error = "the server closed after %d echoed bytes" % rcvd
                        break
                    out = sent + chunk      # the pending write may be partly out
                    if rcvd + len(b) > out or data[rcvd:rcvd + len(b)] != b:
                        error = mismatch(data, rcvd, out, b)
                        break
                    rcvd += len(b)
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                pass
            except Exception as e:  # noqa: BLE001
                error = "recv: " + describe(e)
            if error:
                break
        ev = (selectors.EVENT_READ if reading else 0) | (selectors.EVENT_WRITE if want_write else 0)
        wait = 0.05 if not reading else 1.0
        if not reading:
            wait = max(0.0, min(wait, read_from - time.monotonic()))
        if ev:
            sel.modify(ss, ev)
            sel.select(wait)
        else:
            time.sleep(wait)
    now = time.monotonic()
    unblock(now)
    elapsed = now - t0
    if sent_before_read is None:
        sent_before_read = sent
    if not error:
        try:
            ss.setblocking(True)
            ss.settimeout(5)
            ss.unwrap()
        except Exception:  # noqa: BLE001 - the close is not what this mode checks
            pass
    ss.close()
    summary = {"mode": "stall", "seed": args.seed, "bytes": len(data), "sent": sent, "echoed": rcvd,
               "stall_s": args.stall_seconds, "sent_before_read": sent_before_read,
               "blocked_noread_s": round(blocked_noread, 3),
               "blocked_total_s": round(blocked_total, 3),
               "longest_block_s": round(longest, 3),
               "elapsed_s": round(elapsed, 3),
               "echo_MBps": round(rcvd / elapsed / 1e6, 3) if elapsed else 0,
               "error": error}
    print(json.dumps(summary), flush=True)
    return 0 if not error and rcvd == len(data) else 1


# --- expect-refused ----------------------------------------------------------

def run_refused(args, ctx):
    t0 = time.monotonic()
    outcome = None
    detail = None
    try:
        ss = open_session(args, ctx, args.deadline)
        # The handshake may complete while the server has nowhere to send the
        # session (it would then cut it): one round trip decides.
        try:
            round_trip(ss, b"ping")
            outcome = "accepted"
        finally:
            ss.close()
    except Exception as e:  # noqa: BLE001
        outcome = end_kind(e)
        detail = describe(e)
    elapsed = time.monotonic() - t0
    print(json.dumps({"mode": "expect-refused", "outcome": outcome, "detail": detail,
                      "elapsed_s": round(elapsed, 3)}), flush=True)
    return 0 if outcome in ("refused", "reset", "eof") else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="198.18.0.2")
    p.add_argument("--port", type=int, default=443)
    p.add_argument("--tls", choices=["1.2", "1.3", "any"], default="any")
    p.add_argument("--ca", help="verify the server against this PEM (else: no verification)")
    p.add_argument("--sni", help="server_name to send (and verify with --ca)")
    p.add_argument("--keylog", help="append NSS key-log lines here (SSLContext.keylog_filename)")
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--bytes", type=int, default=65536, help="bytes each connection sends")
    p.add_argument("--max-write", type=int, default=65536, help="largest single write")
    p.add_argument("--deadline", type=float, default=30.0, help="seconds per connection")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--no-nodelay", dest="nodelay", action="store_false",
                   help="leave Nagle on (default: TCP_NODELAY)")
    p.add_argument("--sndbuf", type=int, default=0, help="SO_SNDBUF (default: kernel autotuning)")
    p.add_argument("--rcvbuf", type=int, default=0, help="SO_RCVBUF (default: kernel autotuning)")
    p.add_argument("--require-close-notify", action="store_true",
                   help="echo mode: the server must answer our close_notify with its own")
    p.add_argument("--hold", type=int, default=0, metavar="N")
    p.add_argument("--hold-timeout", type=float, default=30.0)
    p.add_argument("--hold-send", type=int, default=0, metavar="BYTES",
                   help="hold mode: each connection then sends BYTES (not waiting for the echo)")
    p.add_argument("--expect-close", action="store_true",
                   help="hold mode: every connection must end with close_notify or EOF")
    p.add_argument("--stall", action="store_true")
    p.add_argument("--stall-seconds", type=float, default=3.0)
    p.add_argument("--expect-refused", action="store_true")
    args = p.parse_args()
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(8), "little")
    if args.max_write < 1 or args.bytes < 0 or args.conns < 1:
        p.error("--max-write and --conns must be >= 1, --bytes >= 0")
    modes = sum(bool(x) for x in (args.hold, args.stall, args.expect_refused))
    if modes > 1:
        p.error("--hold, --stall and --expect-refused exclude each other")
    ctx = make_context(args)
    if args.hold:
        return run_hold(args, ctx)
    if args.stall:
        return run_stall(args, ctx)
    if args.expect_refused:
        return run_refused(args, ctx)
    return run_echo(args, ctx)


if __name__ == "__main__":
    sys.exit(main())
