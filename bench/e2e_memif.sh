#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Full handshakes per second on one hsod core, with no kernel on the path:
# hsod on lcore 0 and hso-gen on lcore 1, joined by net_memif (both on
# hugepages, their own --file-prefix), in a network namespace of our own
# (memif's abstract socket is per namespace). hso-gen runs closed loop in
# load mode (key shares reused, no verification: the cheapest valid client)
# and closes with RST, so that hsod's core is the limit. Cases:
#   tls12_rsa_kx          TLS 1.2 RSA key exchange (RSA-2048)
#   tls12_ecdhe_rsa       TLS 1.2 ECDHE (X25519) + RSA-2048 PKCS#1
#   tls13_ecdsa           TLS 1.3 X25519 + ECDSA P-256
#   tls13_rsa_pss         TLS 1.3 X25519 + RSA-2048 PSS
#   tls12_resumed_ticket  TLS 1.2 resumed by session ticket
#   tls13_resumed_psk_dhe TLS 1.3 resumed with PSK + ECDHE (X25519)
# For each, over the same seconds of steady load: handshakes/s, hsod's busy
# µs per handshake (busy cycles / handshakes from /hso/stats), hsod's busy
# fraction (>= 0.95: the server is the limit), hso-gen's busy µs per
# handshake, latency p50/p99, errors, and efficiency = the asymmetric floor
# of the case (hso-bench asym_floor/*, measured in the same run) / hsod's
# µs per handshake (1.0: hsod spends nothing beyond the unavoidable crypto;
# resumed TLS 1.2 has no asymmetric work: its figure is hsod's µs alone).
# Prints one JSON object. Needs root and hugepages; run it under the netns
# lock on a shared machine.
#
# usage: bench/e2e_memif.sh BUILD_DIR [SECONDS] [CASE...]
set -uo pipefail
build=$1
secs=${2:-10}
shift 2 2>/dev/null || shift $#
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(tls12_rsa_kx tls12_ecdhe_rsa tls13_ecdsa tls13_rsa_pss
	tls12_resumed_ticket tls13_resumed_psk_dhe)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/netns/lib.sh
. "$here/../tests/netns/lib.sh"
work=$NETNS_WORK
CONC=${HSO_E2E_CONCURRENCY:-64}
WARMUP=${HSO_E2E_WARMUP:-2}

netns_require "hso-e2em-$$"
hugepages_require 256
for kind in ec rsa; do
	make_cert "$work" hso.test $kind || exit 1
	mv "$work/hso.test.pem" "$work/$kind.pem" && mv "$work/hso.test.key" "$work/$kind.key"
done

# The floors, on this machine in this run.
floors=$("$build/bench/hso-bench" --benchmark_filter='^asym_floor/' --benchmark_format=json \
	2>/dev/null | python3 -c '
import json, sys
print(json.dumps({b["name"].split("/")[1]: b["us_per_handshake"] for b in json.load(sys.stdin)["benchmarks"]}))
')

sock=/run/hso-e2em-$$.sock
HSOD_SHARED=1 HSOD_LCORES=0 hsod_launch "$build/dataplane/hsod" "hsoe2em$$" \
	"net_memif0,role=server,socket=$sock" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/ec.pem" --key "$work/ec.key" --cert "$work/rsa.pem" --key "$work/rsa.key" \
	--max-conns 8192 || { echo '{"error": "hsod not ready"}'; exit 1; }
taskset -pc 0 "$HSOD_PID" >/dev/null

# case_flags NAME: hso-gen's TLS flags and the floor's name.
case_flags() {
	case $1 in
	tls12_rsa_kx) echo "tls12_rsa_kx --tls 1.2 --suites TLS_RSA_WITH_AES_128_GCM_SHA256" ;;
	tls12_ecdhe_rsa) echo "tls12_ecdhe_rsa --tls 1.2 --suites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 \
--groups x25519 --sigalgs rsa_pkcs1_sha256" ;;
	tls13_ecdsa) echo "tls13_x25519_ecdsa_p256 --tls 1.3 --groups x25519 --sigalgs ecdsa_secp256r1_sha256" ;;
	tls13_rsa_pss) echo "tls13_x25519_rsa_pss --tls 1.3 --groups x25519 --sigalgs rsa_pss_rsae_sha256" ;;
	tls12_resumed_ticket) echo "none --tls 1.2 --suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 \
--groups x25519 --resume 1 --resume-kind ticket" ;;
	tls13_resumed_psk_dhe) echo "tls13_resumed_psk_dhe --tls 1.3 --groups x25519 --resume 1 \
--resume-kind psk_dhe" ;;
	*) return 1 ;;
	esac
}

n=0
run_case() {
	local name=$1 spec floor out before after gpid
	spec=$(case_flags "$name") || { echo "{\"case\": \"$name\", \"error\": \"unknown case\"}"; return; }
	floor=${spec%% *}
	n=$((n + 1))
	out=$work/$name.json
	# hso-gen longer than the window: warm-up, then hsod's counters are read
	# over exactly $secs seconds of steady load.
	# shellcheck disable=SC2086
	GEN_SHARED=1 GEN_TIMEOUT=$((secs + WARMUP + 60)) gen_run "$build/dataplane/gen/hso-gen" \
		"hsoe2emg$$$n" "net_memif0,role=client,socket=$sock" "$out" \
		--target 198.18.0.2:443 --addr 198.18.0.1/24 --sni hso.test --concurrency "$CONC" \
		--close rst --warmup "$WARMUP" --duration "$((secs + 2))" ${spec#* } &
	gpid=$!
	# The load runs once hso-gen printed its first second.
	for _ in $(seq 1 300); do
		grep -q "^hso-gen: *1s" "$out.err" 2>/dev/null && break
		kill -0 "$gpid" 2>/dev/null || break
		sleep 0.1
	done
	sleep "$WARMUP"
	before=$(hso_stats)
	sleep "$secs"
	after=$(hso_stats)
	wait "$gpid"
	python3 - "$name" "$out" "$before" "$after" "$floors" "$floor" "$secs" <<'PY'
import json, sys
name, out, before, after, floors, floor_name, secs = sys.argv[1:8]
b, a, floors = json.loads(before), json.loads(after), json.loads(floors)
try:
    g = json.load(open(out))
except Exception:
    print(json.dumps({"case": name, "error": "no JSON from hso-gen", "stderr":
                      open(out + ".err").read()[-400:]}))
    sys.exit(0)
hs = a["handshakes_completed"] - b["handshakes_completed"]
busy = a["busy_cycles"] - b["busy_cycles"]
idle = a["idle_cycles"] - b["idle_cycles"]
us = busy / max(hs, 1) / a["tsc_hz"] * 1e6
floor = floors.get(floor_name)
r = {
    "case": name,
    "handshakes_per_s": round(hs / float(secs), 1),
    "gen_hs_per_s": g["hs_per_s"],
    "hsod_busy_us_per_handshake": round(us, 2),
    "hsod_busy_fraction": round(busy / max(busy + idle, 1), 3),
    "gen_busy_us_per_handshake": g["gen_busy_us_per_hs"],
    "gen_to_hsod_cost": round(g["gen_busy_us_per_hs"] / us, 3) if us > 0 else None,
    "asym_floor_us": floor,
    "efficiency": round(floor / us, 3) if floor and us > 0 else None,
    "resumed_ratio": g["resumed_ratio"],
    "hsod_resumed": a["handshakes_resumed"] - b["handshakes_resumed"],
    "hsod_failed": a["handshakes_failed"] - b["handshakes_failed"],
    "latency_us": {k: g["latency_us"][k] for k in ("p50", "p99", "max")},
    "negotiated": {k: g["negotiated"][k] for k in ("version", "suite", "group")},
    "errors": g["errors"]["total"],
}
print(json.dumps(r))
PY
}

echo "{\"machine\": {\"cpus\": $(nproc), \"load_avg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"},"
echo " \"seconds\": $secs, \"concurrency\": $CONC, \"asym_floor_us\": $floors,"
echo " \"cases\": ["
first=1
for c in "${cases[@]}"; do
	[ $first -eq 1 ] || echo ","
	first=0
	run_case "$c"
done
echo "]}"
hsod_stop 10 >/dev/null
