#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Every registered benchmark runs, reports no error, and every side-by-side
comparison publishes a positive 'ratio' counter. Checks shape, not speed:
no timing assertion here (times on CI machines are noise).

usage: bench_smoke.py HSO_BENCH TABLE_PY
"""
import json
import subprocess
import sys

bench, table = sys.argv[1], sys.argv[2]
listed = subprocess.run([bench, "--benchmark_list_tests"], capture_output=True,
                        text=True, check=True).stdout.split()
if not listed:
    print("hso-bench registers no benchmark")
    sys.exit(1)
out = subprocess.run([bench, "--benchmark_format=json",
                      "--benchmark_min_time=0.01"],
                     capture_output=True, text=True, timeout=600)
if out.returncode != 0:
    print(out.stderr)
    sys.exit(1)
data = json.loads(out.stdout)
fail = 0
ran = {b["run_name"] for b in data["benchmarks"]}
for b in data["benchmarks"]:
    name = b["name"]
    if b.get("error_occurred"):
        print(f"{name}: error: {b.get('error_message')}")
        fail += 1
        continue
    if b["iterations"] < 1 or b["real_time"] <= 0:
        print(f"{name}: timed nothing")
        fail += 1
    if ("vs" in name or "ratio" in b) and not b.get("ratio", 0) > 0:
        print(f"{name}: comparison without a positive ratio counter")
        fail += 1
for n in listed:
    if n not in ran:
        print(f"{n}: listed but did not run")
        fail += 1
t = subprocess.run([sys.executable, table], input=out.stdout, text=True,
                   capture_output=True)
print(t.stdout)
if t.returncode != 0:
    fail += 1
print(f"{len(data['benchmarks'])} benchmark runs, {fail} problems")
sys.exit(1 if fail else 0)
