#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""deploy/grafana/hso.json against hsod's metrics: the dashboard parses,
every panel has queries, every query is PromQL Prometheus accepts
(`promtool check rules` on them as recording rules, Grafana's variables
replaced), and with an exposition every hso_* metric a query names is a
family hsod exposes, and every label a query groups by is a label of it.

usage: tests/grafana_check.py DASHBOARD.json [EXPOSITION.txt]
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

fails = []


def fail(msg):
    fails.append(msg)
    print("FAIL:", msg)


def exprs(dash):
    out = []
    for p in dash.get("panels", []):
        ts = p.get("targets", [])
        if not ts:
            fail("panel %r has no query" % p.get("title"))
        for t in ts:
            e = t.get("expr", "")
            if not e:
                fail("panel %r: a target without expr" % p.get("title"))
            out.append((p.get("title"), e))
    return out


def grafana_to_promql(e):
    return (e.replace("$__rate_interval", "1m").replace("$__interval", "1m")
             .replace("$instance", ".*"))


def promql_check(items):
    if shutil.which("promtool") is None:
        print("note: promtool not found, PromQL syntax not checked")
        return
    rules = {"groups": [{"name": "hso_dashboard", "rules": [
        {"record": "hso_dashboard:q%d" % i, "expr": grafana_to_promql(e)}
        for i, (_, e) in enumerate(items)]}]}
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(rules, f)     # JSON is YAML
    try:
        r = subprocess.run(["promtool", "check", "rules", f.name], capture_output=True,
                           text=True)
        if r.returncode != 0:
            fail("promtool check rules refused a dashboard query:\n" + r.stdout + r.stderr)
    finally:
        os.unlink(f.name)


def exposition(path):
    types, labels = {}, {}
    for line in open(path):
        m = re.match(r"# TYPE (\S+) (\S+)", line)
        if m:
            types[m.group(1)] = m.group(2)
            labels.setdefault(m.group(1), set())
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? ", line)
        if m and not line.startswith("#"):
            name = m.group(1)
            for fam in (name, re.sub(r"_(bucket|sum|count)$", "", name)):
                if fam in types:
                    labels[fam].update(re.findall(r'([a-zA-Z_]\w*)="', m.group(3) or ""))
    return types, labels


def family_of(name, types):
    if name in types:
        return name
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    if base != name and types.get(base) == "histogram":
        return base
    return None


def main():
    dash = json.load(open(sys.argv[1]))
    items = exprs(dash)
    names = sorted({n for _, e in items for n in re.findall(r"\bhso_[a-z0-9_]+", e)})
    promql_check(items)
    if len(sys.argv) > 2:
        types, labels = exposition(sys.argv[2])
        for n in names:
            if family_of(n, types) is None:
                fail("the dashboard queries %s, hsod exposes no such metric" % n)
        for title, e in items:
            fams = [f for f in (family_of(n, types) for n in re.findall(r"\bhso_[a-z0-9_]+", e))
                    if f is not None]
            have = set().union(*(labels[f] for f in fams)) if fams else set()
            for group in re.findall(r"\bby\s*\(([^)]*)\)", e):
                for lab in (x.strip() for x in group.split(",") if x.strip()):
                    if have and lab not in have and lab != "instance":
                        fail("panel %r groups by %r, not a label of %s" % (title, lab, fams))
    if fails:
        return 1
    print("ok: %d panels, %d queries, %d hso metrics%s" % (
        len(dash["panels"]), len(items), len(names),
        ", all exposed by hsod" if len(sys.argv) > 2 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
