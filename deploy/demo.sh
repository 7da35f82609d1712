#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The main job, on a fresh Debian 12 machine, as root:
#
#   deploy/demo.sh             install what is missing, build for this CPU,
#                              start hsod in a network namespace of its own
#                              (DPDK net_tap port; kernel 198.18.0.1, hsod
#                              198.18.0.2), show one curl response (a real
#                              client), then run hso-gen against hsod over
#                              net_memif (no kernel on the path) a few
#                              seconds per case and print a table: full
#                              handshakes/s on one hsod core, latency p50/p99,
#                              hsod's cost against the asymmetric floor;
#                              stop what it started
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
# The TAP part is done: hsod and its namespace go.
cleanup
pid=
work=$(mktemp -d /tmp/hso-demo-XXXXXX)
trap 'rm -rf "$work"' EXIT

# hso-gen over net_memif: hsod on core 0, hso-gen on core 1, nothing else
# on the path. memif needs hugepages (setup.sh reserves them).
if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" -lt 256 ]; then
	echo "demo: no free hugepages: skipping hso-gen over memif (deploy/setup.sh reserves them)"
	exit 0
fi
secs=${HSO_DEMO_SECONDS:-3}
echo "demo: hso-gen against hsod over net_memif, ${secs} s per case (hsod core 0, hso-gen core 1)"
bash bench/e2e_memif.sh "$dir" "$secs" tls13_ecdsa tls13_rsa_pss tls12_ecdhe_rsa tls12_rsa_kx \
	tls13_resumed_psk_dhe tls12_resumed_ticket >"$work/memif.json" 2>"$work/memif.err" || true
python3 - "$work/memif.json" <<'PY' || { echo "demo: the memif run failed:"; tail -5 "$work/memif.err"; }
import json, sys
d = json.load(open(sys.argv[1]))
names = {"tls13_ecdsa": "TLS 1.3 X25519 ECDSA P-256", "tls13_rsa_pss": "TLS 1.3 X25519 RSA-PSS",
         "tls12_ecdhe_rsa": "TLS 1.2 ECDHE-RSA", "tls12_rsa_kx": "TLS 1.2 RSA key exchange",
         "tls13_resumed_psk_dhe": "TLS 1.3 resumed (PSK+ECDHE)",
         "tls12_resumed_ticket": "TLS 1.2 resumed (ticket)"}
print("%-28s %12s %9s %9s %11s %9s %10s %9s" % ("case", "handshakes/s", "p50 us", "p99 us",
      "hsod us/hs", "floor us", "efficiency", "hsod busy"))
for c in d["cases"]:
    if "error" in c:
        print("%-28s %s" % (names.get(c["case"], c["case"]), c["error"]))
        continue
    print("%-28s %12.0f %9.0f %9.0f %11.1f %9s %10s %9.2f" % (
        names.get(c["case"], c["case"]), c["handshakes_per_s"], c["latency_us"]["p50"],
        c["latency_us"]["p99"], c["hsod_busy_us_per_handshake"],
        "%.1f" % c["asym_floor_us"] if c["asym_floor_us"] else "-",
        "%.2f" % c["efficiency"] if c["efficiency"] else "-", c["hsod_busy_fraction"]))
print("(one hsod core; efficiency = hso-bench's asymmetric floor of the case / hsod's busy us per "
      "handshake; hsod busy >= 0.95 means hsod was the limit; machine load %s)" %
      d["machine"]["load_avg"])
PY
