#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Run the tlsfuzzer scripts of scripts.conf against a TLS server and judge
them: a script passes when it exits 0 (every probe it ran behaved as the
RFCs say). Probes are excluded only by name, each with its reason.

  run.py --conf scripts.conf --cert rsa|ec --host H --port P --logs DIR
         [--jobs N] [--only SCRIPT...] [--json FILE]

Run it with Debian's /usr/bin/python3 and PYTHONPATH holding the tlslite-ng
and tlsfuzzer work trees (tests/conformance/conformance.sh does both).

scripts.conf: one block per script; lines in a block are indented.

  script test-tls13-ecdhe-curves      the tlsfuzzer script
    certs rsa ec                      which server certificates (default both)
    args -n 0                         passed as they are (shell quoting)
    rsa-args ... / ec-args ...        only with that certificate
    alias cbc-gcm                     shim.py --alias (CBC suites -> AES-GCM);
                                      with the ec certificate every script
                                      runs with --alias ecdsa ('alias none':
                                      not even then)
    timeout 300                       seconds (default 300)
    unlisted                          the script names its probes only as it
                                      runs them (shim.py --list sees none):
                                      excludes must be exact names, unchecked
    exclude PATTERN  RFC ...: reason  probes not run (-e), PATTERN an exact
    rsa-exclude / ec-exclude ...      name or an fnmatch pattern ('*', '?')
    expect NAME ALERT  RFC ...: reason   -x NAME -X ALERT: the RFC leaves the
                                      alert open; the script checks ours

Every exclude and expect needs a reason citing an RFC, and every pattern must
name at least one probe of the script (a stale exclusion is an error).
"""
import argparse
import fnmatch
import json
import os
import re
import shlex
import signal
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))


class ConfError(Exception):
    pass


def parse_conf(path):
    scripts, cur = [], None
    with open(path) as f:
        for no, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            where = "%s:%d" % (path, no)
            if not line[0].isspace():
                words = line.split()
                if words[0] != "script" or len(words) != 2:
                    raise ConfError(where + ": expected 'script NAME'")
                cur = {"name": words[1], "certs": ["rsa", "ec"], "args": [],
                       "rsa-args": [], "ec-args": [], "alias": None,
                       "timeout": 300, "exclude": [], "expect": [], "where": where,
                       "unlisted": False}
                scripts.append(cur)
                continue
            if cur is None:
                raise ConfError(where + ": indented line before any 'script'")
            key, _, rest = line.strip().partition(" ")
            rest = rest.strip()
            if key not in ("exclude", "rsa-exclude", "ec-exclude", "expect"):
                rest = rest.split(" #")[0].strip()     # a comment after the value
            if key == "certs":
                cur["certs"] = rest.split()
                if not set(cur["certs"]) <= {"rsa", "ec"}:
                    raise ConfError(where + ": certs are rsa and/or ec")
            elif key in ("args", "rsa-args", "ec-args"):
                cur[key] = shlex.split(rest)
            elif key == "alias":
                cur["alias"] = rest
            elif key == "timeout":
                cur["timeout"] = int(rest)
            elif key == "unlisted":
                cur["unlisted"] = True
            elif key in ("exclude", "rsa-exclude", "ec-exclude", "expect"):
                lex = shlex.shlex(rest, posix=True)
                lex.whitespace_split = True
                pattern = next(iter(lex), None)
                alert = next(iter(lex), None) if key == "expect" else None
                reason = lex.instream.read().strip() if pattern else ""
                if not pattern or (key == "expect" and not alert):
                    raise ConfError(where + ": %s needs a probe name" % key)
                if "RFC" not in reason:
                    raise ConfError(where + ": %s '%s' needs a reason citing an RFC"
                                    % (key, pattern))
                certs = {"rsa-exclude": ["rsa"], "ec-exclude": ["ec"]}.get(
                    key, ["rsa", "ec"])
                entry = {"pattern": pattern, "reason": reason, "certs": certs,
                         "where": where}
                if key == "expect":
                    entry["alert"] = alert
                    cur["expect"].append(entry)
                else:
                    cur["exclude"].append(entry)
            else:
                raise ConfError(where + ": unknown key '%s'" % key)
    return scripts


def alias_of(s, cert):
    """shim.py's alias for this script and certificate. With the ECDSA one
    every script runs with 'ecdsa': RSA suites and schemes become ECDSA."""
    if s["alias"] == "none":
        return None
    return "ecdsa" if cert == "ec" else s["alias"]


def script_args(s, cert):
    return s["args"] + s[cert + "-args"]


class Pool:
    """Children forked from this process, which has imported tlslite and
    tlsfuzzer already (shim.preload()): a script starts in milliseconds, not
    the second its imports take. At most JOBS at once; each its own log."""

    def __init__(self, jobs):
        self.jobs = jobs
        self.running = {}       # pid -> (start, timeout, done(rc, seconds))

    def start(self, log, fn, timeout, done):
        while len(self.running) >= self.jobs:
            self.reap(block=True)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            code = 1
            try:
                fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
                os.dup2(fd, 1)
                os.dup2(fd, 2)
                code = fn()
            except BaseException:       # pylint: disable=broad-except
                traceback.print_exc()
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code if isinstance(code, int) else 1)
        self.running[pid] = (time.monotonic(), timeout, done)

    def reap(self, block=False):
        while self.running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                now = time.monotonic()
                for p, (t0, timeout, _) in list(self.running.items()):
                    if now > t0 + timeout:
                        os.kill(p, signal.SIGKILL)
                        os.waitpid(p, 0)
                        self.running.pop(p)[2]("timeout", now - t0)
                if not block:
                    return
                time.sleep(0.02)
                continue
            if pid in self.running:
                t0, _, done = self.running.pop(pid)
                done(os.waitstatus_to_exitcode(status), time.monotonic() - t0)
                if block:
                    return

    def wait_all(self):
        while self.running:
            self.reap(block=True)


def needs_names(s, cert):
    return not s["unlisted"] and any(cert in e["certs"] for e in s["exclude"])


def resolve(s, cert, names):
    """-e and -x/-X arguments; raises on a pattern that names nothing."""
    extra, excluded = [], []
    for e in s["exclude"]:
        if cert not in e["certs"]:
            continue
        if s["unlisted"]:
            if any(c in e["pattern"] for c in "*?["):
                raise ConfError("%s: %s is unlisted: exclude exact names" % (
                    e["where"], s["name"]))
            hit = [e["pattern"]]
        elif any(c in e["pattern"] for c in "*?["):
            hit = [n for n in names if fnmatch.fnmatchcase(n, e["pattern"])]
        else:
            hit = [e["pattern"]] if e["pattern"] in names else []
        if not hit:
            raise ConfError("%s: exclude '%s' names no probe of %s (%s)"
                            % (e["where"], e["pattern"], s["name"], cert))
        for n in hit:
            extra += ["-e", n]
        excluded.append((e["pattern"], len(hit), e["reason"]))
    for x in s["expect"]:
        extra += ["-x", x["pattern"], "-X", x["alert"]]
    return extra, excluded


SUMMARY = re.compile(r"^(TOTAL|SKIP|PASS|XFAIL|FAIL|XPASS): (\d+)$")


def judge(s, cert, log, rc, secs, excluded):
    counts, failed, in_failed = {}, [], False
    with open(log, errors="replace") as f:
        for line in f:
            m = SUMMARY.match(line.strip())
            if m:
                counts[m.group(1)] = int(m.group(2))
            if line.startswith("FAILED:"):
                in_failed = True
            elif in_failed and line.startswith("\t"):
                failed.append(line.strip().strip("'"))
            elif in_failed:
                in_failed = False
    return {"script": s["name"], "cert": cert, "rc": rc, "secs": round(secs, 1),
            "passed": rc == 0 and counts.get("PASS", 0) > 0,
            "probes": counts.get("PASS", 0), "failed_probes": failed,
            "counts": counts, "excluded": excluded, "log": log}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conf", required=True)
    ap.add_argument("--cert", required=True, choices=["rsa", "ec"])
    ap.add_argument("--host", default="198.18.0.2")
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--logs", required=True)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--json")
    a = ap.parse_args()
    try:
        scripts = [s for s in parse_conf(a.conf) if a.cert in s["certs"] and
                   (not a.only or s["name"] in a.only)]
    except ConfError as e:
        print("run.py: %s" % e)
        return 2
    os.makedirs(a.logs, exist_ok=True)
    sys.path.insert(0, HERE)
    import shim  # pylint: disable=import-outside-toplevel

    shim.preload()
    t0 = time.monotonic()
    pool = Pool(a.jobs)
    results, errors = [], []

    # 1. The probe names of scripts with exclusions (patterns expand to them).
    names = {}
    for s in scripts:
        if not needs_names(s, a.cert):
            continue
        path = os.path.join(a.logs, "%s.%s.names" % (s["name"], a.cert))
        if os.path.exists(path):
            os.unlink(path)

        def listed(rc, _secs, s=s, path=path):
            with open(path, errors="replace") as f:
                lines = [n for n in f.read().splitlines() if n]
            if rc != 0 or not lines:
                errors.append("%s: listing %s failed (%s)" % (s["where"], s["name"], rc))
            names[s["name"]] = lines
        pool.start(path, lambda s=s: shim.run(s["name"], script_args(s, a.cert),
                                              alias_of(s, a.cert), listing=True),
                   120, listed)
    pool.wait_all()

    # 2. The scripts, slowest first so that both workers stay busy to the end.
    def report(r):
        results.append(r)
        n_ex = sum(x[1] for x in r["excluded"])
        print("%s %-52s %s %4d probes passed, %3d excluded, %5.1fs%s" % (
            "PASS" if r["passed"] else "FAIL", r["script"], a.cert, r["probes"],
            n_ex, r["secs"], "" if r["passed"] else "  rc=%s log=%s" % (
                r["rc"], r["log"])), flush=True)
        for p in r["failed_probes"]:
            print("     failed probe: %s" % p, flush=True)

    for s in sorted(scripts, key=lambda s: -s["timeout"]):
        try:
            extra, excluded = resolve(s, a.cert, names.get(s["name"], []))
        except ConfError as e:
            errors.append(str(e))
            print("ERROR %s (%s): %s" % (s["name"], a.cert, e), flush=True)
            continue
        args = ["-h", a.host, "-p", str(a.port)] + script_args(s, a.cert) + extra
        log = os.path.join(a.logs, "%s.%s.log" % (s["name"], a.cert))
        with open(log, "w") as f:
            f.write("$ shim.py %s%s %s\n" % (
                "--alias %s " % alias_of(s, a.cert) if alias_of(s, a.cert) else "",
                s["name"], " ".join(shlex.quote(x) for x in args)))
        pool.start(log, lambda s=s, args=args: shim.run(s["name"], args, alias_of(s, a.cert)),
                   s["timeout"],
                   lambda rc, secs, s=s, log=log, excluded=excluded:
                   report(judge(s, a.cert, log, rc, secs, excluded)))
    pool.wait_all()

    for e in errors:
        if not e.startswith("ERROR"):
            print("ERROR %s" % e)
    bad = [r for r in results if not r["passed"]]
    total = sum(r["probes"] for r in results)
    n_ex = sum(x[1] for r in results for x in r["excluded"])
    print("conformance %s: %d scripts, %d passed, %d failed, %d errors; %d probes "
          "passed, %d excluded; %.0f s" % (a.cert, len(scripts), len(results) - len(bad),
                                         len(bad), len(errors), total, n_ex,
                                         time.monotonic() - t0))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"cert": a.cert, "results": results, "errors": errors}, f, indent=1)
    return 0 if not bad and not errors and results else 1


if __name__ == "__main__":
    sys.exit(main())
