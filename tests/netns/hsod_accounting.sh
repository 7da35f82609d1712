#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod's cycle accounting covers its lcores' whole time (lcore_stats.h):
# under TLS 1.3 load from `openssl s_time -new` over a net_tap port, with
# one lcore (the worker runs the built-in HTTP responder and control too)
# and with three lcores on two CPUs (two workers and a main lcore), two
# /hso/stats reads a few seconds apart must show
#   busy_cycles + idle_cycles >= 95% of (tsc_cycles difference x lcores)
# (it is ~100% by construction: consecutive charges tile each loop), the
# breakdown inside busy (keygen + app + control <= busy), ECDHE keys
# generated in idle polls counted as keygen_cycles, and the pool's hits
# and misses adding up to the ECDHE handshakes. Prints the figures
# (coverage, busy us per handshake and its parts) as JSON lines.
# Exit 77 (skip, reason printed) without root, network namespaces or TUN.
#
# usage: tests/netns/hsod_accounting.sh HSOD [SECONDS]
set -uo pipefail
hsod=$1
secs=${2:-4}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

netns_require "hso-acct-$$"
make_cert "$work" acct.test ec || fail "openssl req"

run_case() { # name: one run of load, then the checks
	local name=$1 before after
	hsod_start "$hsod" "hsoacct$$$name" --addr 198.18.0.2/24 --listen 443 \
		--cert "$work/acct.test.pem" --key "$work/acct.test.key" ||
		fail "$name: hsod did not become ready"
	# Idle first: the ECDHE pool fills in idle polls (keygen_cycles).
	sleep 1
	before=$(hso_stats) || fail "$name: telemetry"
	in_ns openssl s_time -connect 198.18.0.2:443 -new -time "$secs" -tls1_3 -www / \
		>"$work/$name.stime" 2>&1
	sleep 0.5
	after=$(hso_stats) || fail "$name: telemetry"
	lat=$(hso_stats /hso/latency) || fail "$name: /hso/latency"
	hsod_stop 10 || fail "$name: hsod did not stop cleanly"
	python3 - "$name" "$before" "$after" "$lat" <<'PY' || fail "$name: accounting does not add up"
import json, sys
name, b, a, lat = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), json.loads(sys.argv[4])
d = {k: a[k] - b[k] for k in ("busy_cycles", "idle_cycles", "keygen_cycles", "app_cycles",
                              "control_cycles", "tsc_cycles", "handshakes_completed",
                              "ecdhe_pool_hits", "ecdhe_pool_misses", "ecdhe_pool_generated")}
lcores = a["lcores"]
window = d["tsc_cycles"] * lcores
cov = (d["busy_cycles"] + d["idle_cycles"]) / window
hs = max(d["handshakes_completed"], 1)
us = lambda c: round(c / hs / a["tsc_hz"] * 1e6, 1)
out = {"case": name, "lcores": lcores, "window_s": round(d["tsc_cycles"] / a["tsc_hz"], 2),
       "coverage": round(cov, 4), "handshakes": d["handshakes_completed"],
       "busy_us_per_handshake": us(d["busy_cycles"]), "keygen_us": us(d["keygen_cycles"]),
       "app_us": us(d["app_cycles"]), "control_us": us(d["control_cycles"]),
       "busy_share": round(d["busy_cycles"] / window, 3),
       "pool_hits": d["ecdhe_pool_hits"], "pool_misses": d["ecdhe_pool_misses"],
       "pool_generated": d["ecdhe_pool_generated"],
       "latency_p50_us": lat["p50_us"], "latency_p99_us": lat["p99_us"]}
print(json.dumps(out))
ok = True
def check(c, what):
    global ok
    if not c:
        print("FAIL:", what)
        ok = False
check(d["handshakes_completed"] >= 20, "handshakes ran")
check(0.95 <= cov <= 1.01, "busy + idle cover the window (coverage %.4f)" % cov)
check(d["keygen_cycles"] + d["app_cycles"] + d["control_cycles"] <= d["busy_cycles"],
      "keygen + app + control are parts of busy")
check(d["control_cycles"] > 0, "control work is counted")
check(a["keygen_cycles"] > 0 and a["ecdhe_pool_generated"] > 0,
      "keys generated in idle polls are counted as keygen")
# Every TLS 1.3 handshake takes one X25519 key: from the pool or made on the spot.
check(d["ecdhe_pool_hits"] + d["ecdhe_pool_misses"] >= d["handshakes_completed"],
      "pool hits + misses cover the handshakes")
check(d["app_cycles"] > 0, "the built-in application's work is counted")
if lcores > 1:
    check(a["main_busy_cycles"] + a["main_idle_cycles"] > 0, "the main lcore is counted")
sys.exit(0 if ok else 1)
PY
}

HSOD_LCORES=0 run_case one
HSOD_LCORE_MAP=0@0,1@1,2@0 run_case three
echo "ok: busy + idle cover the window with one lcore and with three"
