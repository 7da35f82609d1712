#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# End-to-end handshakes over a DPDK net_tap port: hsod pinned to core 0 (one
# lcore, the worker), `openssl s_time -new` (a full handshake per connection,
# no resumption) pinned to core 1, in a network namespace of our own
# (198.18.0.1 <-> 198.18.0.2). Two cases: TLS 1.3 X25519 + ECDSA P-256 and
# TLS 1.2 RSA key exchange (RSA-2048). For each: handshakes per second, and
# hsod's busy cycles per handshake (telemetry) divided by the asymmetric
# floor of that handshake measured by hso-bench (asym_floor/*) in the same
# run: 1.0 would mean hsod spends nothing beyond the unavoidable crypto.
# Prints one JSON object. Needs root.
#
# usage: bench/e2e_tap.sh BUILD_DIR [SECONDS]
set -uo pipefail
build=$1
secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/netns/lib.sh
. "$here/../tests/netns/lib.sh"
work=$NETNS_WORK

netns_require "hso-e2e-$$"
make_cert "$work" ec.test ec && make_cert "$work" rsa.test rsa || exit 1

# The floors, on the same machine in the same run.
floors=$("$build/bench/hso-bench" --benchmark_filter='asym_floor/(tls13_x25519_ecdsa_p256|tls12_rsa_kx)' \
	--benchmark_format=json 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(" ".join("%s=%s" % (b["name"].split("/")[1], b["us_per_handshake"]) for b in d["benchmarks"]))
')

run_case() { # name cert s_time-args...
	local name=$1 cert=$2 before after
	shift 2
	HSOD_LCORES=0 hsod_start "$build/dataplane/hsod" "hsoe2e$$$name" --addr 198.18.0.2/24 \
		--listen 443 --cert "$work/$cert.pem" --key "$work/$cert.key" --max-conns 4096 ||
		{ echo "{\"error\": \"hsod not ready\"}"; exit 1; }
	taskset -pc 0 "$HSOD_PID" >/dev/null
	before=$(hso_stats)
	in_ns taskset -c 1 openssl s_time -connect 198.18.0.2:443 -new -time "$secs" "$@" \
		>"$work/$name.stime" 2>&1
	after=$(hso_stats)
	hsod_stop 10 >/dev/null
	python3 - "$name" "$work/$name.stime" "$before" "$after" "$floors" <<'PY'
import json, re, sys
name, stime, before, after, floors = sys.argv[1:6]
b, a = json.loads(before), json.loads(after)
text = open(stime).read()
m = re.search(r"(\d+) connections in ([\d.]+)s; ([\d.]+) connections/user sec", text)
conns = int(m.group(1)) if m else 0
real = re.search(r"(\d+) connections in (\d+) real seconds", text)
hs = a["handshakes_completed"] - b["handshakes_completed"]
busy = a["busy_cycles"] - b["busy_cycles"]
floor = dict(kv.split("=") for kv in floors.split())
key = {"tls13_ecdsa": "tls13_x25519_ecdsa_p256", "tls12_rsa_kx": "tls12_rsa_kx"}[name]
us = busy / max(hs, 1) / a["tsc_hz"] * 1e6
print(json.dumps({
    "case": name,
    "handshakes": hs,
    "failed": a["handshakes_failed"] - b["handshakes_failed"],
    "handshakes_per_s": round(int(real.group(1)) / int(real.group(2)), 1) if real else None,
    "client_connections": conns,
    "busy_us_per_handshake": round(us, 1),
    "asym_floor_us": float(floor[key]),
    "ratio_busy_to_floor": round(us / float(floor[key]), 3),
}))
PY
}

echo "["
run_case tls13_ecdsa ec.test -tls1_3
echo ","
run_case tls12_rsa_kx rsa.test -tls1_2 -cipher AES128-GCM-SHA256
echo "]"
