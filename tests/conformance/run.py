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
import concurrent.futures
import fnmatch
import json
import os
import re
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHIM = os.path.join(HERE, "shim.py")


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


def shim_cmd(s, cert):
    cmd = ["/usr/bin/python3", SHIM]
    # With the ECDSA certificate every script runs with the ecdsa alias
    # (shim.py): RSA suites and signature schemes it names become ECDSA ones.
    if cert == "ec" and s["alias"] != "none":
        cmd += ["--alias", "ecdsa"]
    elif s["alias"] and s["alias"] != "none":
        cmd += ["--alias", s["alias"]]
    return cmd


def script_args(s, cert):
    return s["args"] + s[cert + "-args"]


def probe_names(s, cert):
    """The script's probes with these arguments, from shim.py --list."""
    cmd = shim_cmd(s, cert) + ["--list", s["name"]] + script_args(s, cert)
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    names = [n for n in out.stdout.splitlines() if n]
    if out.returncode != 0 or not names:
        raise ConfError("%s: listing %s failed: %s" % (s["where"], s["name"],
                        out.stderr.strip().splitlines()[-1:] or out.returncode))
    return names


def resolve(s, cert):
    """-e and -x/-X arguments; raises on a pattern that names nothing."""
    names = None
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
            if names is None:
                names = probe_names(s, cert)
            hit = [n for n in names if fnmatch.fnmatchcase(n, e["pattern"])]
        else:
            if names is None:
                names = probe_names(s, cert)
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


def run_one(s, cert, host, port, logs):
    extra, excluded = resolve(s, cert)
    cmd = shim_cmd(s, cert) + [s["name"], "-h", host, "-p", str(port)] + \
        script_args(s, cert) + extra
    log = os.path.join(logs, "%s.%s.log" % (s["name"], cert))
    t0 = time.monotonic()
    with open(log, "w") as f:
        f.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        f.flush()
        try:
            rc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT,
                                timeout=s["timeout"]).returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    secs = time.monotonic() - t0
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
    t0 = time.monotonic()
    results, errors = [], []
    # Slowest first keeps both workers busy to the end.
    scripts.sort(key=lambda s: -s["timeout"])
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        futs = {pool.submit(run_one, s, a.cert, a.host, a.port, a.logs): s
                for s in scripts}
        for fut in concurrent.futures.as_completed(futs):
            s = futs[fut]
            try:
                r = fut.result()
            except ConfError as e:
                errors.append(str(e))
                print("ERROR %s (%s): %s" % (s["name"], a.cert, e), flush=True)
                continue
            results.append(r)
            n_ex = sum(x[1] for x in r["excluded"])
            print("%s %-52s %s %4d probes passed, %3d excluded, %5.1fs%s" % (
                "PASS" if r["passed"] else "FAIL", r["script"], a.cert, r["probes"],
                n_ex, r["secs"], "" if r["passed"] else "  rc=%s log=%s" % (
                    r["rc"], r["log"])), flush=True)
            for p in r["failed_probes"]:
                print("     failed probe: %s" % p, flush=True)
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
