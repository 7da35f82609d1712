#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Print hso-bench JSON (--benchmark_format=json) as a short human table.

usage: bench/table.py [FILE]      (default: standard input)

One row per benchmark: time per iteration, operations per second, and the
counters that tell a comparison (ratio, ours/reference rates, µs per
handshake). Exits 1 if any benchmark reported an error.
"""
import json
import sys

SHOWN = ("ratio",)


def fmt(v):
    if isinstance(v, (int, float)):
        if v == 0:
            return "0"
        if abs(v) >= 1e6:
            return f"{v / 1e6:.2f}M"
        if abs(v) >= 1e4:
            return f"{v / 1e3:.1f}k"
        if abs(v) >= 100:
            return f"{v:.0f}"
        return f"{v:.3g}"
    return str(v)


def main():
    src = open(sys.argv[1]) if len(sys.argv) > 1 else sys.stdin
    data = json.load(src)
    ctx = data.get("context", {})
    print(f"# {ctx.get('host_name', '?')}: {ctx.get('num_cpus', '?')} cpus "
          f"@ {ctx.get('mhz_per_cpu', '?')} MHz, {ctx.get('date', '')}")
    rows = []
    errors = 0
    skip = {"name", "run_name", "run_type", "repetitions", "repetition_index",
            "threads", "iterations", "real_time", "cpu_time", "time_unit",
            "family_index", "per_family_instance_index", "aggregate_name",
            "aggregate_unit", "label", "error_occurred", "error_message",
            "bytes_per_second", "items_per_second"}
    for b in data.get("benchmarks", []):
        name = b["name"]
        if b.get("error_occurred"):
            errors += 1
            rows.append((name, "ERROR", "", b.get("error_message", "")))
            continue
        t = f"{b['real_time']:.4g} {b['time_unit']}"
        ops = fmt(b["items_per_second"]) + "/s" if "items_per_second" in b else ""
        extra = []
        for k in sorted(b):
            if k in skip:
                continue
            v = b[k]
            if isinstance(v, (int, float)):
                extra.append(f"{k}={fmt(v)}")
        if "bytes_per_second" in b:
            extra.append(f"GB/s={b['bytes_per_second'] / 1e9:.2f}")
        rows.append((name, t, ops, " ".join(extra)))
    w = max((len(r[0]) for r in rows), default=10)
    print(f"{'benchmark':<{w}}  {'time/iter':>12}  {'ops/s':>10}  counters")
    for r in rows:
        print(f"{r[0]:<{w}}  {r[1]:>12}  {r[2]:>10}  {r[3]}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
