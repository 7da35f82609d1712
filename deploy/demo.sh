#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The main job, on a fresh Debian 12 machine, as root:
#
#   deploy/demo.sh             install what is missing, build for this CPU,
#                              start hsod in a network namespace of its own
#                              (DPDK net_tap port; kernel 198.18.0.1, hsod
#                              198.18.0.2), show one curl response, run wrk
#                              for 10 s with "Connection: close" (a new TLS
#                              connection per request), print handshakes per
#                              second and hsod's telemetry, stop what it started
#   deploy/demo.sh bench [RE]  the crypto and handshake benchmarks (hso-bench),
#                              as a table; JSON kept in build-native/bench.json
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh
dir=build-native
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" -Dmarch=native -Dtests=false >/dev/null
else
	meson setup "$dir" -Dmarch=native -Dtests=false >/dev/null
fi
ninja -C "$dir" >/dev/null

if [ "${1:-}" = bench ]; then
	filter=${2:-.}
	json="$dir/bench.json"
	echo "demo: running hso-bench (filter '$filter'); JSON goes to $json"
	"$dir/bench/hso-bench" --benchmark_filter="$filter" \
		--benchmark_out="$json" --benchmark_out_format=json
	echo
	python3 bench/table.py "$json"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: run as root (it creates a network namespace and a TAP port)" >&2
	exit 1
fi
ns=hso-demo
prefix=hsodemo
work=$(mktemp -d /tmp/hso-demo-XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
ip netns del "$ns" 2>/dev/null || true
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=hso.demo -addext subjectAltName=DNS:hso.demo \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
mem=(--in-memory)
if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" -lt 64 ]; then
	mem=(--no-huge -m 512)
fi
# One lcore for hsod (core 0); the clients run on the other core.
ip netns exec "$ns" taskset -c 0 "$dir/dataplane/hsod" -l 0 --no-pci "${mem[@]}" \
	--file-prefix "$prefix" --vdev=net_tap0,iface=hso0 -- \
	--addr 198.18.0.2/24 --listen 443 --cert "$work/cert.pem" --key "$work/key.pem" \
	--max-conns 4096 >"$work/hsod.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	grep -q "^hsod: ready$" "$work/hsod.log" && break
	kill -0 "$pid" 2>/dev/null || { cat "$work/hsod.log"; exit 1; }
	sleep 0.2
done
ip netns exec "$ns" ip addr add 198.18.0.1/24 dev hso0
ip netns exec "$ns" ip link set hso0 up
echo "demo: hsod is up (pid $pid) at 198.18.0.2:443"
echo "demo: curl -k https://198.18.0.2/"
ip netns exec "$ns" curl -sk --max-time 10 https://198.18.0.2/ \
	-w '(HTTP %{http_code}, %{time_appconnect}s to finish the TLS handshake)\n'
echo "demo: wrk -t1 -c32 -d10s -H 'Connection: close' (every request a new TLS connection)"
ip netns exec "$ns" taskset -c 1 wrk -t1 -c32 -d10s --timeout 5s \
	-H "Connection: close" https://198.18.0.2/ | tee "$work/wrk.log"
echo
echo /hso/stats | ip netns exec "$ns" dpdk-telemetry.py -f "$prefix" 2>/dev/null | python3 -c '
import json, sys
t = sys.stdin.read()
i = t.find("{\"/hso/stats\"")
d = json.loads(t[i:t.index("\n", i)])["/hso/stats"]
hs = max(d["handshakes_completed"], 1)
print("hsod telemetry: %d handshakes completed (%d resumed), %d failed, %d TCP connections open" % (
    d["handshakes_completed"], d["handshakes_resumed"], d["handshakes_failed"], d["tcp_active"]))
print("hsod telemetry: %.0f busy cycles per handshake (%.1f us at %.2f GHz), %d KDF batch runs for %d requests" % (
    d["busy_cycles"] / hs, d["busy_cycles"] / hs / d["tsc_hz"] * 1e6, d["tsc_hz"] / 1e9,
    d["crypto_kdf_runs"], d["crypto_kdf_requests"]))
'
rps=$(awk '/Requests\/sec/ {print $2}' "$work/wrk.log")
echo "demo: ${rps:-?} TLS handshakes per second on one hsod core (wrk resumes sessions with TLS 1.3 tickets)"
