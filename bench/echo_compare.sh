#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Plaintext echo throughput per worker core, side by side: hso-bench-echo
# (a whole worker on net_ring, 16 KiB messages, TLS 1.3 AES-128-GCM, see
# bench/bench_echo.c) from two build trees, run alternately ROUNDS times each
# so that a busy machine weighs on both alike. Prints one JSON object: per
# tree the median worker cycles per byte echoed and GB/s per worker core (and
# the application's), and new / reference as the ratio. No root needed.
#
# usage: bench/echo_compare.sh NEW_BUILD [REF_BUILD] [ROUNDS] [SECONDS] [-- bench args]
#   REF_BUILD: a tree built from the commit to compare with (e.g. before
#   #11's data path: git worktree add /tmp/ref <commit>; meson setup ...).
set -uo pipefail
new=$1
ref=${2:-}
rounds=${3:-5}
secs=${4:-2}
shift $(( $# < 4 ? $# : 4 ))
[ "${1:-}" = "--" ] && shift
extra=("$@")

run() {
	"$1/bench/hso-bench-echo" --seconds "$secs" --warmup 0.5 "${extra[@]}" 2>/dev/null | tail -1
}

out_new=()
out_ref=()
for _ in $(seq 1 "$rounds"); do
	out_new+=("$(run "$new")")
	[ -n "$ref" ] && out_ref+=("$(run "$ref")")
done
python3 - "$rounds" "$ref" "${out_new[@]}" -- "${out_ref[@]}" <<'PY'
import json, statistics, sys
rounds = int(sys.argv[1])
ref = sys.argv[2]
rest = sys.argv[3:]
i = rest.index("--")
def parse(xs):
    out = []
    for x in xs:
        try:
            out.append(json.loads(x))
        except Exception:
            pass
    return out
new, old = parse(rest[:i]), parse(rest[i + 1:])
def summary(rs):
    if not rs:
        return None
    med = lambda k: round(statistics.median(r[k] for r in rs), 3)
    return {"runs": len(rs), "worker_cycles_per_byte": med("worker_cycles_per_byte"),
            "gb_per_s_per_worker_core": med("gb_per_s_per_worker_core"),
            "app_cycles_per_byte": med("app_cycles_per_byte"),
            "cpu_share": med("cpu_share")}
r = {"bench": "echo_compare", "msg_bytes": new[0]["msg_bytes"] if new else None,
     "new": summary(new)}
if ref:
    r["ref"] = summary(old)
    if r["new"] and r["ref"]:
        r["ratio_gb_per_s_per_worker_core"] = round(
            r["new"]["gb_per_s_per_worker_core"] / r["ref"]["gb_per_s_per_worker_core"], 3)
print(json.dumps(r))
PY
