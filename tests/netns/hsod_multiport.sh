#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod serving two ports at once, inside a network namespace of our own (no
# traffic leaves it): two DPDK net_tap ports, hso0 and hso1; hsod is
# 198.18.0.2/24 on the first and 198.18.1.2/24 on the second, the kernel
# sides 198.18.0.1/24 and 198.18.1.1/24.
#   1. flags (--addr, --addr 1:...), one lcore: ping both addresses; curl
#      with TLS 1.3 and 1.2 to both gets 200 and the body; $HANDSHAKES
#      handshakes (Python ssl, both versions, each with a request) over each;
#      telemetry counts packets on both ports (ports_rx_packets,
#      ports_tx_packets) adding up to the totals; SIGTERM stops it (0).
#   2. a config file with [port 0] / [port 1] sections (port 1 with a
#      gateway), two lcores (HSOD_LCORES=0-1: one worker): the same on both
#      ports, fewer handshakes, and a client on 198.18.9.1 (a kernel
#      address off port 1's subnet) answered through port 1's gateway.
#   3. refused before serving, with a message naming the problem: subnets
#      that overlap (flags, and the file's [port 1] addr), and a port count
#      that differs from the ports DPDK finds (both ways round).
# Exit 77 (skip, reason printed) without root, namespaces or TUN.
#
# usage: tests/netns/hsod_multiport.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK
HANDSHAKES=${HSO_MULTIPORT_HANDSHAKES:-300}
ADDRS=(198.18.0.2 198.18.1.2)

netns_require "hso-mport-$$"
make_cert "$work" hso.test ec || fail "openssl req"
body="hello from port N"
certs=(--listen 443 --cert "$work/hso.test.pem" --key "$work/hso.test.key"
	--http-body "$body")

# mp_start PREFIX ARGS...: hsod on two TAP ports (lib.sh's hsod_launch),
# then the kernel sides get their addresses.
mp_start() {
	local prefix=$1
	shift
	hsod_launch "$hsod" "$prefix" "net_tap0,iface=hso0 net_tap1,iface=hso1" "$@" || return 1
	in_ns ip addr add 198.18.0.1/24 dev hso0
	in_ns ip addr add 198.18.1.1/24 dev hso1
	in_ns ip link set hso0 up
	in_ns ip link set hso1 up
}

# traffic WHAT N: ping, curl TLS 1.3 and 1.2 to both addresses, N handshakes
# over each.
traffic() {
	local what=$1 n=$2 a v out
	for a in "${ADDRS[@]}"; do
		in_ns ping -c 2 -i 0.2 -W 2 "$a" >"$work/ping.log" 2>&1 ||
			fail "$what: ping $a: $(cat "$work/ping.log")"
		for v in "--tlsv1.3" "--tlsv1.2 --tls-max 1.2"; do
			# shellcheck disable=SC2086
			out=$(in_ns curl -sk --max-time 10 $v "https://$a/" -w ' %{http_code}')
			[ "$out" = "$body 200" ] || fail "$what: curl $v https://$a/: '$out'"
		done
	done
	echo "  ping, curl TLS 1.3 and 1.2: 200 on ${ADDRS[*]}"
	in_ns python3 - "$n" "${#body}" "${ADDRS[@]}" <<'PY' || fail "$what: handshakes failed"
import socket, ssl, sys, time
n, body_len, addrs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
ctxs = []
for v in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = c.maximum_version = v
    ctxs.append(c)
bad = 0
for addr in addrs:
    ok, errs, t0 = 0, {}, time.time()
    for i in range(n):
        try:
            with socket.create_connection((addr, 443), timeout=5) as s:
                with ctxs[i % 2].wrap_socket(s, server_hostname="hso.test") as ts:
                    ts.sendall(b"GET / HTTP/1.1\r\nHost: hso.test\r\nConnection: close\r\n\r\n")
                    data = b""
                    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < body_len:
                        d = ts.recv(65536)
                        if not d:
                            break
                        data += d
            if data.startswith(b"HTTP/1.1 200") and len(data.split(b"\r\n\r\n", 1)[1]) == body_len:
                ok += 1
            else:
                errs["bad response"] = errs.get("bad response", 0) + 1
        except Exception as e:
            errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
    print("  %s: %d/%d handshakes (TLS 1.3 and 1.2) in %.1f s%s" %
          (addr, ok, n, time.time() - t0, " errors: %s" % errs if errs else ""))
    bad += n - ok
sys.exit(1 if bad else 0)
PY
}

# ports_check WHAT MIN_HANDSHAKES [WORKERS]: both ports counted packets, the
# per-port arrays add up to the totals.
ports_check() {
	hso_stats >"$work/stats.json" || fail "$1: telemetry"
	python3 - "$work/stats.json" "$2" "${3:-}" <<'PY' ||
import json, sys
hs, workers = int(sys.argv[2]), sys.argv[3]
with open(sys.argv[1]) as f:
    d = json.load(f)
rx, tx = d["ports_rx_packets"], d["ports_tx_packets"]
assert d["ports"] == [0, 1], d["ports"]
assert len(rx) == 2 and len(tx) == 2, (rx, tx)
# Each handshake and request is several segments each way, on its port.
assert min(rx) >= hs and min(tx) >= hs, (rx, tx)
# The arrays are read after the totals: never less, and idle now.
assert 0 <= sum(rx) - d["rx_packets"] < 10, (rx, d["rx_packets"])
assert 0 <= sum(tx) - d["tx_packets"] < 10, (tx, d["tx_packets"])
assert d["handshakes_completed"] >= 2 * hs, d["handshakes_completed"]
if workers:
    assert d["workers"] == [int(w) for w in workers.split(",")], d["workers"]
print("  telemetry: ports_rx_packets %s, ports_tx_packets %s, handshakes %d" %
      (rx, tx, d["handshakes_completed"]))
PY
		fail "$1: telemetry: $(cat "$work/stats.json")"
}

phase_end() {
	local rc
	hsod_stop 10
	rc=$?
	[ "$rc" -eq 0 ] || fail "$1: hsod exit status $rc after SIGTERM"
	echo "$1: ok"
}

# refused WHAT PATTERN VDEVS ARGS...: hsod exits non-zero before serving,
# its message matching PATTERN (grep -E).
refused() {
	local what=$1 pattern=$2 vdevs=$3 rc
	shift 3
	HSOD_LOG=$work/refused.log
	# shellcheck disable=SC2046,SC2086
	timeout 30 ip netns exec "$NS" "$hsod" -l 0 --no-pci $(eal_mem) \
		--file-prefix "hsomprf$$" $vdevs -- "$@" >"$HSOD_LOG" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ] || [ "$rc" -eq 124 ]; then
		fail "$what: hsod exit status $rc, expected a refusal"
	fi
	grep -q "^hsod: ready$" "$HSOD_LOG" && fail "$what: hsod became ready"
	grep -Eq -- "$pattern" "$HSOD_LOG" || fail "$what: no message matching '$pattern'"
	echo "$what: refused: $(grep -E -- "$pattern" "$HSOD_LOG" | head -1)"
}

t_start=$SECONDS

# 1. Flags, one lcore.
mp_start "hsomp$$a" --addr 198.18.0.2/24 --addr 1:198.18.1.2/24 "${certs[@]}" ||
	fail "flags: hsod did not become ready"
[ "$(grep -c "checksum offloads" "$HSOD_LOG")" = 2 ] || fail "flags: two ports not set up"
grep -q "^hsod: port 1: 198.18.1.2/24, gateway none" "$HSOD_LOG" ||
	fail "flags: port 1's address not reported"
traffic flags "$HANDSHAKES"
ports_check flags "$HANDSHAKES"
phase_end "two ports, flags"

# 2. [port 0] / [port 1] sections, two lcores (one worker) where there are
# two CPUs; port 1 has a gateway: a client off its subnet is answered.
lcores=0-1
workers=1
if [ "$(nproc)" -lt 2 ]; then
	echo "note: one CPU: the config-file phase runs on one lcore"
	lcores=0
	workers=0
fi
cat >"$work/ports.ini" <<EOF
[net]
listen = 443
[port 0]
addr = 198.18.0.2/24
[port 1]
addr = 198.18.1.2/24
gateway = 198.18.1.1
[cert main]
cert = $work/hso.test.pem
key = $work/hso.test.key
[app]
http_body = $body
EOF
HSOD_LCORES=$lcores mp_start "hsomp$$b" --config "$work/ports.ini" ||
	fail "config file: hsod did not become ready"
grep -q "^hsod: port 1: 198.18.1.2/24, gateway 198.18.1.1" "$HSOD_LOG" ||
	fail "config file: port 1's gateway not reported"
traffic "config file" 50
# Off port 1's subnet (a kernel address on lo): the answers go by the gateway.
in_ns ip addr add 198.18.9.1/32 dev lo
out=$(in_ns curl -sk --max-time 10 --interface 198.18.9.1 https://198.18.1.2/ -w ' %{http_code}')
[ "$out" = "$body 200" ] || fail "config file: curl from 198.18.9.1 via port 1's gateway: '$out'"
echo "  curl from 198.18.9.1 (off-link): 200 through port 1's gateway"
ports_check "config file" 50 "$workers"
phase_end "two ports, [port N] sections, lcores $lcores"

# 3. Refusals, each naming the problem.
refused "overlapping subnets (flags)" \
	"--addr \(port 1\): subnet 198.18.0.9/16 overlaps port 0's 198.18.0.2/24" \
	"--vdev=net_tap0,iface=hso0 --vdev=net_tap1,iface=hso1" \
	--addr 198.18.0.2/24 --addr 1:198.18.0.9/16 "${certs[@]}"
sed 's/^addr = 198.18.1.2\/24$/addr = 198.18.0.9\/24/' "$work/ports.ini" >"$work/overlap.ini"
refused "overlapping subnets (file)" \
	"overlap.ini: \[port 1\] addr: subnet 198.18.0.9/24 overlaps port 0's 198.18.0.2/24" \
	"--vdev=net_tap0,iface=hso0 --vdev=net_tap1,iface=hso1" --config "$work/overlap.ini"
refused "one port configured, two found" \
	"DPDK found 2 ports \(net_tap0, net_tap1\) but 1 is configured" \
	"--vdev=net_tap0,iface=hso0 --vdev=net_tap1,iface=hso1" \
	--addr 198.18.0.2/24 "${certs[@]}"
refused "two ports configured, one found" \
	"DPDK found 1 port \(net_tap0\) but 2 are configured" \
	"--vdev=net_tap0,iface=hso0" --config "$work/ports.ini"

echo "hsod_multiport: ok ($((SECONDS - t_start)) s)"
