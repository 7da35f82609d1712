#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod's neighbour cache against the Linux kernel's ARP, in a namespace of
# our own (hsod 198.18.0.2 on a DPDK net_tap port, the kernel 198.18.0.1),
# echo application, --neigh-reachable 1000 (a trusted neighbour lapses in
# 0.5..1.5 s):
#   1. First contact without ARP from the kernel (it has hsod's address as
#      a permanent entry): hsod's SYN-ACK finds no neighbour, is held, a
#      broadcast request goes out, the kernel's reply releases it. The
#      kernel never retransmits its SYN (TcpExtTCPSynRetrans unchanged:
#      with the SYN-ACK dropped, as before, it does after 1 s), TLS echo
#      works; telemetry counts the miss, the held packet, its release.
#   2. Traffic for several reachable times: no new miss, nothing dropped,
#      the entry refreshed by the kernel's segments (neigh_refreshes).
#   3. The kernel goes silent at the TCP level (nftables drops TCP both
#      ways; ARP still flows) while hsod retransmits: the entry in use is
#      re-asked by unicast ARP, the kernel answers (neigh_rerequests,
#      neigh_reconfirmed), nothing fails.
# Exit 77 (skip, reason printed) without root, namespaces, TUN or nftables.
#
# usage: tests/netns/hsod_neigh.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

netns_require "hso-neigh-$$"
command -v nft >/dev/null || { echo "skip: no nft (nftables)"; exit 77; }
make_cert "$work" hso.test ec || fail "openssl req"

# stat NAME: one counter of /hso/stats.
stat() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$work/stats.json" "$1"
}
stats_now() { hso_stats >"$work/stats.json" || fail "telemetry"; }
syn_retrans() {
	in_ns awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v);
		for (i in k) if (k[i] == "TCPSynRetrans") print v[i] } }' /proc/net/netstat
}

# echo_clients N SECONDS: N TLS connections one after another, each echoing
# 4 KB in 64-byte writes, spread over SECONDS.
echo_clients() {
	in_ns python3 - "$1" "$2" <<'PY'
import socket, ssl, sys, time
n, secs = int(sys.argv[1]), float(sys.argv[2])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for i in range(n):
    t0 = time.time()
    with socket.create_connection(("198.18.0.2", 443), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="hso.test") as ts:
            want = bytes((i + k) % 251 for k in range(4096))
            got = b""
            for off in range(0, len(want), 64):
                ts.sendall(want[off:off + 64])
                while len(got) < off + 64:
                    got += ts.recv(65536)
            if got != want:
                sys.exit("connection %d: echo differs" % i)
    time.sleep(max(0.0, secs / n - (time.time() - t0)))
PY
}

hsod_start "$hsod" "hsoneigh$$" --addr 198.18.0.2/24 --listen 443 --app echo \
	--cert "$work/hso.test.pem" --key "$work/hso.test.key" --neigh-reachable 1000 ||
	fail "hsod did not become ready"
mac=$(sed -n 's/^hsod: port 0: .*MAC \([0-9a-fA-F:]*\).*/\1/p' "$HSOD_LOG" | head -1)
[ -n "$mac" ] || fail "hsod did not print its MAC"

# 1. The kernel knows hsod without asking: hsod learns nothing from it first.
in_ns ip neigh replace 198.18.0.2 lladdr "$mac" dev hso0 nud permanent ||
	fail "ip neigh replace"
before=$(syn_retrans)
echo_clients 1 0 || fail "first contact: TLS echo failed"
after=$(syn_retrans)
[ "$after" = "$before" ] ||
	fail "first contact: the kernel retransmitted its SYN ($before -> $after): SYN-ACK lost"
stats_now
[ "$(stat neigh_misses)" -ge 1 ] || fail "first contact: no miss counted"
[ "$(stat neigh_queued)" -ge 1 ] || fail "first contact: nothing held"
[ "$(stat neigh_flushed)" = "$(stat neigh_queued)" ] ||
	fail "first contact: held $(stat neigh_queued), sent $(stat neigh_flushed)"
[ "$(stat neigh_resolved)" = 1 ] || fail "first contact: resolved $(stat neigh_resolved)"
[ "$(stat neigh_queue_drops)" = 0 ] || fail "first contact: $(stat neigh_queue_drops) dropped"
[ "$(stat neigh_entries)" = 1 ] || fail "first contact: $(stat neigh_entries) entries"
echo "1. first contact: SYN-ACK held for ARP and sent on the kernel's reply" \
	"(misses $(stat neigh_misses), queued $(stat neigh_queued)," \
	"flushed $(stat neigh_flushed), SYN retransmissions $((after - before)))"

# 2. Several reachable times of traffic: refreshed by it, never missed.
misses=$(stat neigh_misses)
echo_clients 20 4 || fail "traffic: TLS echo failed"
stats_now
[ "$(stat neigh_misses)" = "$misses" ] || fail "traffic: misses $misses -> $(stat neigh_misses)"
[ "$(stat neigh_queue_drops)" = 0 ] || fail "traffic: $(stat neigh_queue_drops) dropped"
[ "$(stat neigh_failed)" = 0 ] || fail "traffic: $(stat neigh_failed) failed"
[ "$(stat neigh_refreshes)" -gt 100 ] || fail "traffic: refreshes $(stat neigh_refreshes)"
echo "2. 20 connections over 4 s: no miss, refreshes $(stat neigh_refreshes)"

# 3. TCP silent both ways, ARP alive: hsod's retransmissions use the entry,
# nothing confirms it, so it is re-asked by unicast ARP.
in_ns python3 - "$work" <<'PY' &
import socket, ssl, sys, time
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = socket.create_connection(("198.18.0.2", 443), timeout=5)
ts = ctx.wrap_socket(s, server_hostname="hso.test")
ts.sendall(b"x" * 64)
ts.recv(64)
open(sys.argv[1] + "/ready", "w").close()
while not __import__("os").path.exists(sys.argv[1] + "/go"):
    time.sleep(0.01)
ts.sendall(b"y" * 4000)     # echoed back into the dropping rule
time.sleep(12)
PY
client=$!
NETNS_PIDS="$NETNS_PIDS $client"
for _ in $(seq 1 100); do [ -e "$work/ready" ] && break; sleep 0.05; done
[ -e "$work/ready" ] || fail "silent peer: the client did not connect"
stats_now
rereq=$(stat neigh_rerequests)
in_ns nft add table inet neigh || fail "nft add table"
in_ns nft 'add chain inet neigh i { type filter hook input priority 0; }'
in_ns nft 'add chain inet neigh o { type filter hook output priority 0; }'
in_ns nft add rule inet neigh i ip saddr 198.18.0.2 tcp sport 443 drop
: >"$work/go"
# The kernel's data reaches hsod, then its retransmissions stop too.
sleep 0.3
in_ns nft add rule inet neigh o ip daddr 198.18.0.2 tcp dport 443 drop
# Lapse (<= 1.5 s), DELAY (5 s), then the first probe: within 7 s.
sleep 8
stats_now
in_ns nft delete table inet neigh
kill "$client" 2>/dev/null
[ "$(stat neigh_rerequests)" -gt "$rereq" ] ||
	fail "silent peer: no unicast re-request ($(stat neigh_rerequests))"
[ "$(stat neigh_reconfirmed)" -ge 1 ] || fail "silent peer: the kernel's answer not taken"
[ "$(stat neigh_failed)" = 0 ] || fail "silent peer: $(stat neigh_failed) failed"
[ "$(stat neigh_entries)" = 1 ] || fail "silent peer: $(stat neigh_entries) entries"
echo "3. silent peer: $(( $(stat neigh_rerequests) - rereq )) unicast re-request(s)," \
	"answered by the kernel ($(stat neigh_reconfirmed)), none failed"

hsod_stop 10 || fail "hsod exit status $? after SIGTERM"
echo "ok"
