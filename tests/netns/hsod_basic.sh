#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod in its own network namespace on a DPDK net_tap port: the kernel side
# is 198.18.0.1/24, hsod is 198.18.0.2 (RFC 2544 benchmarking range; no
# traffic leaves the namespace). Checks, with the kernel as the peer:
#   - a bad configuration is refused before EAL starts (non-zero, message)
#   - "hsod: ready" appears; ARP and ICMP echo are answered (ping)
#   - a TCP connect is refused with a RST (no TCP service wired in yet)
#   - /hso/stats over DPDK telemetry (dpdk-telemetry.py) counts all of it
#   - SIGTERM stops hsod cleanly
# Exit 77 (skip, reason printed) without root, network namespaces or TUN.
#
# usage: tests/netns/hsod_basic.sh HSOD
set -uo pipefail
hsod=$1
ns=hso-basic-$$
prefix=hsobasic$$
work=$(mktemp -d /tmp/hso-netns-XXXXXX)
pid=

fail() {
	echo "FAIL: $*"
	[ -f "$work/hsod.log" ] && sed 's/^/  hsod: /' "$work/hsod.log" | tail -20
	exit 1
}

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		sleep 1
		kill -KILL "$pid" 2>/dev/null
	fi
	ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

if [ "$(id -u)" -ne 0 ]; then
	echo "skip: needs root for network namespaces and TAP"
	exit 77
fi
if ! ip netns add "$ns" 2>/dev/null; then
	echo "skip: cannot create a network namespace here"
	exit 77
fi
if [ ! -c /dev/net/tun ]; then
	echo "skip: no /dev/net/tun"
	exit 77
fi
ip netns exec "$ns" ip link set lo up

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=hso.test -addext subjectAltName=DNS:hso.test \
	-keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null || fail "openssl req"

# 1. Bad configuration: refused before EAL, naming the flag.
if "$hsod" -l 0 --no-pci -- --addr 198.18.0.300/24 --listen 443 \
	--cert "$work/cert.pem" --key "$work/key.pem" >"$work/bad.log" 2>&1; then
	fail "hsod accepted --addr 198.18.0.300/24"
fi
grep -q -- "--addr" "$work/bad.log" || fail "bad --addr message does not name the flag: $(cat "$work/bad.log")"
grep -q "EAL" "$work/bad.log" && fail "EAL started before the config was checked"
"$hsod" --help | grep -q -- "--listen" || fail "--help does not document --listen"

# 2. Start hsod inside the namespace; hugepages when reserved, else --no-huge.
mem=(--in-memory)
if [ "$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)" -lt 64 ]; then
	echo "note: no free hugepages, running EAL with --no-huge"
	mem=(--no-huge -m 256)
fi
ip netns exec "$ns" "$hsod" -l 0 --no-pci "${mem[@]}" --file-prefix "$prefix" \
	--vdev=net_tap0,iface=hso0 -- --addr 198.18.0.2/24 --gateway 198.18.0.1 \
	--listen 443 --cert "$work/cert.pem" --key "$work/key.pem" \
	>"$work/hsod.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
	grep -q "^hsod: ready$" "$work/hsod.log" && break
	kill -0 "$pid" 2>/dev/null || fail "hsod exited before ready"
	sleep 0.2
done
grep -q "^hsod: ready$" "$work/hsod.log" || fail "no 'hsod: ready' within 20 s"

ip netns exec "$ns" ip addr add 198.18.0.1/24 dev hso0
ip netns exec "$ns" ip link set hso0 up

# 3. ARP + ICMP echo.
ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 198.18.0.2 >"$work/ping.log" 2>&1 ||
	fail "ping 198.18.0.2: $(cat "$work/ping.log")"
ip netns exec "$ns" ip neigh show 198.18.0.2 | grep -q lladdr || fail "no ARP entry for hsod"

# 4. TCP: refused by a RST, quickly (not a timeout).
ip netns exec "$ns" python3 - <<'PY' || fail "TCP connect was not refused"
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("198.18.0.2", 443))
except ConnectionRefusedError:
    sys.exit(0)
except Exception as e:
    print("unexpected:", e)
sys.exit(1)
PY

# 5. Telemetry: /hso/stats is JSON with the counters.
stats=$(echo /hso/stats | ip netns exec "$ns" dpdk-telemetry.py -f "$prefix" 2>/dev/null)
echo "$stats" | python3 -c '
import json, sys
text = sys.stdin.read()
start = text.find("{\"/hso/stats\"")
d = json.loads(text[start:text.index("\n", start)] if "\n" in text[start:] else text[start:])["/hso/stats"]
need = ["rx_packets", "tx_packets", "drops", "busy_cycles", "idle_cycles", "tsc_hz", "workers"]
missing = [k for k in need if k not in d]
assert not missing, missing
assert d["rx_packets"] >= 4 and d["tx_packets"] >= 4, d
assert d["tcp_resets_sent"] >= 1, d
assert len(d["workers"]) == 1 and d["workers_rx_packets"][0] == d["rx_packets"], d
print("telemetry:", {k: d[k] for k in ("rx_packets", "tx_packets", "drops", "tcp_resets_sent")})
' || fail "telemetry /hso/stats: $stats"

w=$(echo /hso/worker,0 | ip netns exec "$ns" dpdk-telemetry.py -f "$prefix" 2>/dev/null)
echo "$w" | grep -q '"lcore": 0' || fail "telemetry /hso/worker,0: $w"

# 6. SIGTERM: a clean exit, promptly.
kill -TERM "$pid"
for _ in $(seq 1 50); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$pid" 2>/dev/null && fail "hsod still running 5 s after SIGTERM"
wait "$pid"
rc=$?
pid=
[ "$rc" -eq 0 ] || fail "hsod exit status $rc after SIGTERM"
echo "hsod_basic: ok"
