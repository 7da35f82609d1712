#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""testssl.sh against a TLS server, judged from its JSON: only TLS 1.2 and
1.3 offered, only AEAD suites (AES-GCM, ChaCha20-Poly1305) in each, every
vulnerability check OK.

  testssl.py --host H --port P --out FILE.json [--timeout S]

Runs protocols (-p), cipher categories (-s), ciphers per protocol (-E) and
vulnerabilities (-U) only: what hso is judged on, in well under a minute.
"""
import argparse
import json
import subprocess
import sys

# What -U reports; each must be there and OK.
VULNS = ["heartbleed", "CCS", "ticketbleed", "ROBOT", "secure_renego",
         "secure_client_renego", "CRIME_TLS", "BREACH", "POODLE_SSL", "fallback_SCSV",
         "SWEET32", "FREAK", "DROWN", "LOGJAM", "LOGJAM-common_primes", "BEAST",
         "LUCKY13", "RC4"]
PROTOCOLS = {"SSLv2": False, "SSLv3": False, "TLS1": False, "TLS1_1": False,
             "TLS1_2": True, "TLS1_3": True}
CATEGORIES = {"cipherlist_NULL": False, "cipherlist_aNULL": False,
              "cipherlist_EXPORT": False, "cipherlist_LOW": False,
              "cipherlist_3DES_IDEA": False, "cipherlist_AVERAGE": False,
              "cipherlist_STRONG": True}


def judge(items):
    by_id = {}
    problems = []
    for it in items:
        by_id.setdefault(it["id"], []).append(it)
        if it["id"] in ("scanProblem",) or it["severity"] == "FATAL":
            problems.append("scan problem: %s" % it["finding"])
    for pid, offered in PROTOCOLS.items():
        f = by_id.get(pid, [{"finding": "missing"}])[0]["finding"]
        ok = f.startswith("offered") if offered else f.startswith("not offered")
        if not ok:
            problems.append("protocol %s: '%s' (want %s)" % (
                pid, f, "offered" if offered else "not offered"))
    for cid, offered in CATEGORIES.items():
        f = by_id.get(cid, [{"finding": "missing"}])[0]["finding"]
        ok = f.startswith("offered") if offered else f.startswith("not offered")
        if not ok:
            problems.append("cipher category %s: '%s'" % (cid, f))
    suites = {}
    for it in items:
        if not it["id"].startswith("cipher-"):
            continue
        proto = it["id"].split("_x")[0][len("cipher-"):]
        name = it["finding"].split()[-1]
        suites.setdefault(proto, []).append(name)
        if proto not in ("tls1_2", "tls1_3"):
            problems.append("suite %s offered in %s" % (name, proto))
        if "_GCM_" not in name and "CHACHA20_POLY1305" not in name:
            problems.append("suite %s (%s) is not AEAD" % (name, proto))
    if not suites.get("tls1_2") or not suites.get("tls1_3"):
        problems.append("no suites listed for TLS 1.2 and 1.3: %s" % suites)
    for v in VULNS:
        got = by_id.get(v)
        if not got:
            problems.append("vulnerability check %s: missing" % v)
        elif got[0]["severity"] != "OK":
            problems.append("vulnerability check %s: %s '%s'" % (
                v, got[0]["severity"], got[0]["finding"]))
    return problems, suites


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=443)
    ap.add_argument("--out", required=True)
    ap.add_argument("--timeout", type=int, default=300)
    a = ap.parse_args()
    cmd = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--nodns", "none",
           "--connect-timeout", "5", "--openssl-timeout", "10",
           "--jsonfile", a.out, "-p", "-s", "-E", "-U", "%s:%d" % (a.host, a.port)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=a.timeout)
    except subprocess.TimeoutExpired:
        print("testssl: FAIL: no result within %d s" % a.timeout)
        return 1
    try:
        with open(a.out) as f:
            items = json.load(f)
    except (OSError, ValueError) as e:
        print("testssl: FAIL: no JSON (%s); its output ends:\n%s" % (
            e, "\n".join(out.stdout.splitlines()[-20:])))
        return 1
    problems, suites = judge(items)
    print("testssl: protocols TLS 1.2 + 1.3; suites: TLS 1.2 %s; TLS 1.3 %s" % (
        ", ".join(suites.get("tls1_2", [])), ", ".join(suites.get("tls1_3", []))))
    print("testssl: %d vulnerability checks: %s" % (len(VULNS), ", ".join(
        "%s %s" % (v, (item := next((i for i in items if i["id"] == v), None)) and
                   item["severity"]) for v in VULNS)))
    for p in problems:
        print("testssl: FAIL: %s" % p)
    if problems:
        return 1
    print("testssl: ok (%s s)" % next((i["finding"] for i in items
                                       if i["id"] == "scanTime"), "?"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
