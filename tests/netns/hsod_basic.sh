#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod in its own network namespace on a DPDK net_tap port: the kernel side
# is 198.18.0.1/24, hsod is 198.18.0.2 (RFC 2544 benchmarking range; no
# traffic leaves the namespace). Checks, with the kernel as the peer:
#   - a bad configuration is refused before EAL starts (non-zero, message)
#   - "hsod: ready" appears; ARP and ICMP echo are answered (ping)
#   - a TCP connect to a port hsod does not listen on is refused (RST)
#   - /hso/stats over DPDK telemetry (dpdk-telemetry.py) counts all of it
#   - SIGTERM stops hsod cleanly
# Exit 77 (skip, reason printed) without root, network namespaces or TUN.
#
# usage: tests/netns/hsod_basic.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK


netns_require "hso-basic-$$"
make_cert "$work" hso.test ec || fail "openssl req"

# 1. Bad configuration: refused before EAL, naming the flag.
if "$hsod" -l 0 --no-pci -- --addr 198.18.0.300/24 --listen 443 \
	--cert "$work/hso.test.pem" --key "$work/hso.test.key" >"$work/bad.log" 2>&1; then
	fail "hsod accepted --addr 198.18.0.300/24"
fi
grep -q -- "--addr" "$work/bad.log" || fail "bad --addr message does not name the flag: $(cat "$work/bad.log")"
grep -q "EAL" "$work/bad.log" && fail "EAL started before the config was checked"
"$hsod" --help >"$work/help.txt" 2>&1 || fail "hsod --help failed"
grep -q -- "--listen" "$work/help.txt" || fail "--help does not document --listen"

# 2. Start hsod inside the namespace.
hsod_start "$hsod" "hsobasic$$" --addr 198.18.0.2/24 --gateway 198.18.0.1 \
	--listen 443 --cert "$work/hso.test.pem" --key "$work/hso.test.key" \
	--handshake-timeout 1000 ||
	fail "hsod did not become ready"

# 3. ARP + ICMP echo.
in_ns ping -c 3 -i 0.2 -W 2 198.18.0.2 >"$work/ping.log" 2>&1 ||
	fail "ping 198.18.0.2: $(cat "$work/ping.log")"
grep -q lladdr <<<"$(in_ns ip neigh show 198.18.0.2)" || fail "no ARP entry for hsod"

# 4. TCP to a port nobody listens on: refused by a RST, quickly (not a timeout).
in_ns python3 - <<'PY' || fail "TCP connect was not refused"
import socket, sys
s = socket.socket()
s.settimeout(3)
try:
    s.connect(("198.18.0.2", 8443))
except ConnectionRefusedError:
    sys.exit(0)
except Exception as e:
    print("unexpected:", e)
sys.exit(1)
PY

# 4b. A client that stalls mid-handshake is reset after the handshake timeout (1 s).
in_ns python3 - <<'PY' || fail "a stalled handshake was not cut off"
import socket, sys, time
s = socket.create_connection(("198.18.0.2", 443), timeout=5)
s.sendall(bytes([22, 3, 1, 0, 200]) + b"\x01\x00")   # half a ClientHello, then nothing
t = time.time()
try:
    r = s.recv(100)
except ConnectionResetError:
    r = b""
took = time.time() - t
print("stalled handshake cut off after %.1f s" % took)
sys.exit(0 if r == b"" and 0.8 < took < 3.5 else 1)
PY

# 5. Telemetry: /hso/stats is JSON with the counters.
stats=$(hso_stats)
echo "$stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
need = ["rx_packets", "tx_packets", "drops", "busy_cycles", "idle_cycles", "tsc_hz", "workers"]
missing = [k for k in need if k not in d]
assert not missing, missing
assert d["rx_packets"] >= 4 and d["tx_packets"] >= 4, d
assert d["tcp_resets_sent"] >= 1, d
assert d["handshakes_timed_out"] == 1 and d["handshakes_abandoned"] == 0, d
assert len(d["workers"]) == 1 and d["workers_rx_packets"][0] == d["rx_packets"], d
print("telemetry:", {k: d[k] for k in ("rx_packets", "tx_packets", "drops", "tcp_resets_sent")})
' || fail "telemetry /hso/stats: $stats"

w=$(hso_stats /hso/worker,0)
grep -q '"lcore": 0' <<<"$w" || fail "telemetry /hso/worker,0: $w"

# 6. SIGTERM: a clean exit, promptly.
hsod_stop 5
rc=$?
[ "$rc" -eq 124 ] && fail "hsod still running 5 s after SIGTERM"
[ "$rc" -eq 0 ] || fail "hsod exit status $rc after SIGTERM"
echo "hsod_basic: ok"
