#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod's IPv6 layer 3 against the Linux kernel, in a namespace of our own:
# hsod 198.18.0.2/24 and 2001:db8::2/64 on a DPDK net_tap port, the kernel
# 2001:db8::1/64 (and 198.18.0.1/24), --ip6-ext-max 1.
#   1. ping -6: the kernel's Neighbor Solicitation is answered (its cache
#      then holds hsod's MAC, REACHABLE or STALE, learned from hsod's NA),
#      hsod learns the kernel from the solicitation, echo replies come
#      back; the unsolicited NA at start is counted.
#   2. Extension headers the kernel builds (raw ICMPv6 socket, ancillary
#      data): a destination-options header with an unknown skippable option
#      is walked and answered; one whose option type says discard (RFC 8200
#      4.2, action 01) is dropped and counted; hop-by-hop plus destination
#      options is two headers, over the bound of 1: dropped, counted.
#   3. A 3000-byte ping: the kernel fragments it; hsod counts the fragments
#      and drops them (no reassembly), and ping gets no answer.
#   3b. A Router Advertisement, a Redirect, a Packet Too Big and a Port
#      Unreachable from the kernel: each counted under its name, ignored.
#   4. IPv4 on the same port still answers ping.
#   5. TLS over IPv6 to the built-in HTTP responder, on the same listener as
#      IPv4: curl -6 (TLS 1.2 and 1.3), openssl s_client, Python's ssl
#      (20 connections, each POSTing 16 KiB and reading the page), curl
#      over IPv4 to the same port; a closed port answers RST.
#   6. A client address hsod never saw (2001:db8::3; the kernel knows hsod
#      already, so it asks nothing): hsod's SYN-ACK is held, a Neighbor
#      Solicitation goes to the solicited-node group, the kernel's
#      advertisement releases it, no SYN is retransmitted.
#   7. Mixed-family load: 400 TLS connections (HTTP GET each), IPv4 and
#      IPv6 alternating, 8 at a time (Python threads): all answered, no
#      held packet dropped in either neighbour table.
#   8. Two workers (two TAP queues), the echo application: 40 IPv6
#      connections land on both workers; 8 new IPv6 sources each get a
#      SYN-ACK held for Neighbor Discovery by one worker while the kernel's
#      advertisement may reach the other (shared between workers): no SYN
#      retransmitted, nothing dropped; 4 x 1 MB echoed over IPv6, payload by
#      reference (tx_segments_copied 0), TcpInCsumErrors unchanged; 100
#      IPv4 and 100 IPv6 connections at once, none timing out.
# Exit 77 (skip, reason printed) without root, namespaces or TUN.
#
# usage: tests/netns/hsod_ipv6.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

netns_require "hso-ipv6-$$"
make_cert "$work" hso.test ec || fail "openssl req"

# net6 NAME: one counter of /hso/net6 (after net6_now).
net6() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' \
		"$work/net6.json" "$1"
}
net6_now() { hso_stats /hso/net6 >"$work/net6.json" || fail "telemetry /hso/net6"; }

# The kernel side first (no DAD), so its address is usable at once.
hsod_start "$hsod" "hsoipv6$$" --addr 198.18.0.2/24 --addr6 2001:db8::2/64 \
	--listen 443 --ip6-ext-max 1 --cert "$work/hso.test.pem" --key "$work/hso.test.key" ||
	fail "hsod did not become ready"
grep -q "^hsod: port 0: IPv6 2001:db8::2/64, gateway6 none" "$HSOD_LOG" ||
	fail "hsod did not report its IPv6 address"
mac=$(sed -n 's/^hsod: port 0: .*MAC \([0-9a-fA-F:]*\).*/\1/p' "$HSOD_LOG" | head -1)
in_ns ip -6 addr add 2001:db8::1/64 dev hso0 nodad || fail "ip -6 addr add"

# 1. Neighbor Discovery and echo.
in_ns ping -6 -c 3 -i 0.2 -W 2 2001:db8::2 >"$work/ping6" 2>&1 ||
	{ cat "$work/ping6"; fail "ping -6 2001:db8::2 got no answer"; }
grep -q " 0% packet loss" "$work/ping6" || { cat "$work/ping6"; fail "ping -6 lost packets"; }
neigh=$(in_ns ip -6 neigh show 2001:db8::2 dev hso0)
grep -qi "lladdr $mac" <<<"$neigh" ||
	fail "the kernel did not learn hsod's MAC $mac by NDP (neigh: '$neigh')"
net6_now
[ "$(net6 rx_ns)" -ge 1 ] || fail "no solicitation counted"
[ "$(net6 tx_na)" -ge 2 ] || fail "tx_na $(net6 tx_na): unsolicited NA and an answer expected"
[ "$(net6 rx_echo)" -ge 3 ] && [ "$(net6 tx_echo)" = "$(net6 rx_echo)" ] ||
	fail "echo: rx $(net6 rx_echo) tx $(net6 tx_echo)"
[ "$(net6 drop6_nd_bad)" = 0 ] || fail "the kernel's ND messages counted bad: $(net6 drop6_nd_bad)"
[ "$(net6 drop6_icmp6_bad)" = 0 ] || fail "bad ICMPv6 checksums: $(net6 drop6_icmp6_bad)"
[ "$(net6 neigh_entries)" -ge 1 ] || fail "hsod learned no neighbour from the solicitation"
echo "1. ping -6: 3/3 answered; kernel learned hsod's MAC ($neigh);" \
	"rx_ns $(net6 rx_ns) tx_na $(net6 tx_na) neighbours $(net6 neigh_entries)"

# 2. Extension headers built by the kernel.
in_ns python3 - <<'PY' || fail "extension headers"
import socket, struct, sys

def echo(cmsgs, ident):
    s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
    s.settimeout(1.0)
    # Type 128, code 0, checksum (the kernel fills it for ICMPv6), id, seq.
    pkt = struct.pack("!BBHHH", 128, 0, 0, ident, 1) + b"hso-ipv6-ext" * 4
    s.sendmsg([pkt], cmsgs, 0, ("2001:db8::2", 0))
    try:
        while True:
            data = s.recv(2048)
            if data[0] == 129 and struct.unpack("!H", data[4:6])[0] == ident:
                return data[8:] == pkt[8:]
    except socket.timeout:
        return False

def opts(t):
    # One 8-byte options header: next header and length are the kernel's;
    # option t with 4 bytes of data fills the remaining 6.
    return bytes([0, 0, t, 4, 0, 0, 0, 0])

ok = echo([(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, opts(0x1e))], 101)
if not ok:
    sys.exit("a destination option of action 00 was not skipped: no echo reply")
if echo([(socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, opts(0x5e))], 102):
    sys.exit("an option of action 01 (discard) was answered")
if echo([(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS, opts(0x1e)),
         (socket.IPPROTO_IPV6, socket.IPV6_DSTOPTS, opts(0x1e))], 103):
    sys.exit("two extension headers answered with --ip6-ext-max 1")
PY
net6_now
[ "$(net6 drop6_ip6_option)" = 1 ] || fail "drop6_ip6_option $(net6 drop6_ip6_option), want 1"
[ "$(net6 drop6_ip6_ext_limit)" = 1 ] ||
	fail "drop6_ip6_ext_limit $(net6 drop6_ip6_ext_limit), want 1"
echo "2. extension headers: skippable option answered; discard option and" \
	"2 headers > ip6_ext_max 1 dropped (ip6_option 1, ip6_ext_limit 1)"

# 3. Fragments are counted and dropped.
if in_ns ping -6 -c 1 -W 1 -s 3000 2001:db8::2 >/dev/null 2>&1; then
	fail "a fragmented ping was answered (hsod does not reassemble)"
fi
net6_now
[ "$(net6 drop6_ip6_fragment)" -ge 2 ] ||
	fail "drop6_ip6_fragment $(net6 drop6_ip6_fragment), want >= 2"
echo "3. fragmented ping: not answered, drop6_ip6_fragment $(net6 drop6_ip6_fragment)"

# 3b. What a host ignores, sent by the kernel (raw ICMPv6 socket: it fills
#     the checksum): a Router Advertisement and a Redirect (hop limit 255),
#     a Packet Too Big and a Destination Unreachable. Counted, never
#     answered; hsod still answers ping (and TLS below) as before.
in_ns python3 - <<'PY' || fail "ICMPv6 messages to ignore"
import socket, struct
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
us = socket.inet_pton(socket.AF_INET6, "2001:db8::2")
far = socket.inet_pton(socket.AF_INET6, "2001:db8:1::9")
invoking = bytes(48)
msgs = [
    struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0),     # RA, router lifetime 1800 s
    struct.pack("!BBHI", 137, 0, 0, 0) + far + far,             # Redirect: far via far
    struct.pack("!BBHI", 2, 0, 0, 1280) + invoking,             # Packet Too Big, MTU 1280
    struct.pack("!BBHI", 1, 4, 0, 0) + invoking,                # Port Unreachable
]
for m in msgs:
    s.sendto(m, ("2001:db8::2", 0))
PY
sleep 0.5
net6_now
[ "$(net6 drop6_nd_router)" -ge 1 ] || fail "router advertisement not counted"
[ "$(net6 drop6_nd_redirect)" = 1 ] || fail "drop6_nd_redirect $(net6 drop6_nd_redirect), want 1"
[ "$(net6 drop6_icmp6_too_big)" = 1 ] ||
	fail "drop6_icmp6_too_big $(net6 drop6_icmp6_too_big), want 1"
[ "$(net6 drop6_icmp6_error)" = 1 ] || fail "drop6_icmp6_error $(net6 drop6_icmp6_error), want 1"
in_ns ping -6 -c 1 -W 2 2001:db8::2 >/dev/null 2>&1 || fail "no echo after the ignored messages"
echo "3b. RA, Redirect, Packet Too Big, Port Unreachable: counted (nd_router" \
	"$(net6 drop6_nd_router), nd_redirect 1, icmp6_too_big 1, icmp6_error 1), not answered"

# 4. IPv4 alongside.
in_ns ping -c 2 -i 0.2 -W 2 198.18.0.2 >/dev/null 2>&1 || fail "IPv4 ping failed next to IPv6"
echo "4. IPv4 ping on the same port: answered"

# 5. TLS over IPv6, the same listener as IPv4.
for v in --tlsv1.2 --tlsv1.3; do
	max=${v/--tlsv/--tls-max }
	out=$(in_ns curl -6 -sk --max-time 10 $v $max "https://[2001:db8::2]/" \
		-w ' %{http_code} %{remote_ip}')
	[ "$out" = "hello from hso
 200 2001:db8::2" ] || fail "curl -6 $v: '$out'"
done
out=$(in_ns curl -sk --max-time 10 "https://198.18.0.2/" -w ' %{http_code}')
[ "$out" = "hello from hso
 200" ] || fail "curl over IPv4 next to IPv6: '$out'"
out=$(printf 'GET / HTTP/1.1\r\nHost: hso.test\r\nConnection: close\r\n\r\n' |
	in_ns timeout 10 openssl s_client -connect "[2001:db8::2]:443" -servername hso.test \
	-ign_eof 2>&1)
grep -q "HTTP/1.1 200 OK" <<<"$out" || { echo "$out" | tail -20; fail "s_client over IPv6"; }
grep -q "^hello from hso" <<<"$out" || fail "s_client over IPv6: no body"
in_ns python3 - <<'PY' || fail "Python ssl over IPv6"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
body = b"x" * 16384
for i in range(20):
    with socket.create_connection(("2001:db8::2", 443), timeout=5) as s:
        assert s.family == socket.AF_INET6
        with ctx.wrap_socket(s, server_hostname="hso.test") as ts:
            ts.sendall(b"POST / HTTP/1.1\r\nHost: hso.test\r\nContent-Length: %d\r\n"
                       b"Connection: close\r\n\r\n" % len(body) + body)
            got = b""
            while True:
                d = ts.recv(65536)
                if not d:
                    break
                got += d
            if not got.startswith(b"HTTP/1.1 200") or not got.endswith(b"hello from hso\n"):
                sys.exit("connection %d: %r" % (i, got[:200]))
PY
# A port nobody listens on: RST at once (curl: "Couldn't connect", exit 7).
in_ns curl -6 -sk --max-time 5 "https://[2001:db8::2]:444/" >/dev/null 2>&1
rc=$?
[ "$rc" = 7 ] || fail "closed IPv6 port: curl exit $rc, want 7 (connection refused)"
net6_now
[ "$(net6 rx_tcp)" -gt 100 ] || fail "rx_tcp $(net6 rx_tcp)"
[ "$(net6 drop6_tcp_hdr)" = 0 ] || fail "drop6_tcp_hdr $(net6 drop6_tcp_hdr)"
echo "5. TLS over IPv6: curl -6 TLS 1.2 and 1.3, s_client, Python ssl x20 (16 KiB" \
	"POSTs), IPv4 on the same listener, RST on a closed port; rx_tcp $(net6 rx_tcp)"

# 6. A source hsod has never seen: its SYN-ACK waits for Neighbor Discovery.
in_ns ip -6 addr add 2001:db8::3/64 dev hso0 nodad || fail "ip -6 addr add ::3"
syn_retrans() {
	in_ns awk '/^TcpExt:/ { if (!h) { split($0, k); h = 1 } else { split($0, v);
		for (i in k) if (k[i] == "TCPSynRetrans") print v[i] } }' /proc/net/netstat
}
before=$(syn_retrans)
tx_ns0=$(net6 tx_ns)
queued0=$(net6 neigh_queued)
out=$(in_ns curl -6 -sk --max-time 10 --interface 2001:db8::3 "https://[2001:db8::2]/" \
	-w ' %{http_code} %{local_ip}')
[ "$out" = "hello from hso
 200 2001:db8::3" ] || fail "curl from 2001:db8::3: '$out'"
after=$(syn_retrans)
net6_now
[ "$after" = "$before" ] || fail "the kernel retransmitted its SYN ($before -> $after)"
[ "$(net6 tx_ns)" -gt "$tx_ns0" ] || fail "no solicitation sent for 2001:db8::3"
[ "$(net6 neigh_queued)" -gt "$queued0" ] || fail "the SYN-ACK was not held"
[ "$(net6 neigh_flushed)" = "$(net6 neigh_queued)" ] ||
	fail "held $(net6 neigh_queued), sent $(net6 neigh_flushed)"
[ "$(net6 neigh_queue_drops)" = 0 ] || fail "neigh_queue_drops $(net6 neigh_queue_drops)"
echo "6. new source 2001:db8::3: SYN-ACK held, NS sent (tx_ns $(net6 tx_ns)), released" \
	"by the kernel's NA; no SYN retransmitted"

# 7. Both families at once.
hs0=$(hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["handshakes_completed"])')
in_ns python3 - <<'PY' || fail "mixed-family load"
import socket, ssl, sys
from concurrent.futures import ThreadPoolExecutor
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def one(i):
    host = "2001:db8::2" if i % 2 else "198.18.0.2"
    with socket.create_connection((host, 443), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="hso.test") as ts:
            ts.sendall(b"GET / HTTP/1.1\r\nHost: hso.test\r\nConnection: close\r\n\r\n")
            got = b""
            while True:
                d = ts.recv(65536)
                if not d:
                    break
                got += d
    return s.family, got.startswith(b"HTTP/1.1 200") and got.endswith(b"hello from hso\n")
with ThreadPoolExecutor(8) as ex:
    res = list(ex.map(one, range(400)))
bad = [i for i, (f, ok) in enumerate(res) if not ok]
v6 = sum(1 for f, ok in res if f == socket.AF_INET6 and ok)
if bad or v6 != 200:
    sys.exit("failed: %d of 400 (IPv6 ok: %d)" % (len(bad), v6))
PY
hs1=$(hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["handshakes_completed"])')
net6_now
[ $((hs1 - hs0)) -ge 400 ] || fail "handshakes_completed grew by $((hs1 - hs0)), want 400"
[ "$(net6 neigh_queue_drops)" = 0 ] || fail "IPv6 neigh_queue_drops $(net6 neigh_queue_drops)"
[ "$(hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["neigh_queue_drops"])')" = 0 ] ||
	fail "IPv4 neigh_queue_drops"
echo "7. mixed-family load: 400 TLS connections (200 IPv6, 200 IPv4, 8 at a time): all answered"

hsod_stop || fail "hsod exited with status $?"

# 8. Two workers (lcores 1 and 2, lcore 2 sharing CPU 0 with the main lcore
#    as in hsod_lcores), two queue pairs on the TAP port, the echo
#    application: IPv6 spread over both workers, new sources resolved by
#    whichever worker the advertisement reaches, 1 MB each way by reference,
#    both families at once.
if [ "$(nproc)" -lt 2 ]; then
	echo "8. two workers: skipped (needs two CPUs)"
	echo "PASS"
	exit 0
fi
HSOD_LCORE_MAP=0@0,1@1,2@0 hsod_start "$hsod" "hsoipv6w$$" --addr 198.18.0.2/24 \
	--addr6 2001:db8::2/64 --listen 443 --cert "$work/hso.test.pem" \
	--key "$work/hso.test.key" --max-conns 1024 --app echo ||
	fail "hsod with two workers did not become ready"
in_ns ip -6 addr add 2001:db8::1/64 dev hso0 nodad || fail "ip -6 addr add (two workers)"
rss=$(grep "RSS over 2 queues" "$HSOD_LOG") || fail "no RSS line with two workers"
case "$rss" in *ipv6*) ;; *) echo "  (the port hashes no IPv6 itself: ${rss#hsod: })" ;; esac
grep -q "payload sent by reference" "$HSOD_LOG" || fail "TAP: payload not sent by reference?"
csum0=$(ns_tcp_csum_errors)
wstat() { hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# 8a. IPv6 only: both workers must get some (the kernel spreads the flows
#     over the TAP queues; a worker's own replies pin a flow to its queue).
out=$(in_ns python3 "$(dirname "$0")/app_echo.py" --host 2001:db8::2 --conns 40 \
	--bytes 16384 --deadline 30) || fail "two workers, 40 IPv6 echo connections: $out"
per=$(hso_stats | python3 -c 'import json, sys; print(*json.load(sys.stdin)["workers_handshakes_completed"])')
read -r h1 h2 h3 <<<"$per"
[ -z "$h3" ] && [ "${h2:-0}" -gt 0 ] && [ "$h1" -gt 0 ] && [ $((h1 + h2)) -ge 40 ] ||
	fail "IPv6 handshakes per worker: $per (both workers must serve IPv6)"
echo "8a. two workers, 40 IPv6 connections x 16 KiB echoed: handshakes per worker $per"

# 8b. New sources: the worker whose SYN-ACK waits solicits; the kernel's
#     advertisement comes back on whatever queue the port picks, and every
#     worker learns it. No SYN retransmitted, nothing held is dropped.
for i in $(seq 16 23); do
	in_ns ip -6 addr add "2001:db8::$i/64" dev hso0 nodad || fail "ip -6 addr add ::$i"
done
before=$(syn_retrans)
in_ns python3 - <<'PY' || fail "connections from new IPv6 sources"
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
for i in range(16, 24):
    src = "2001:db8::%d" % i
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.settimeout(10)
    s.bind((src, 0))
    s.connect(("2001:db8::2", 443))
    with ctx.wrap_socket(s, server_hostname="hso.test") as ts:
        ts.sendall(b"x" * 1000)
        got = b""
        while len(got) < 1000:
            d = ts.recv(4096)
            if not d:
                break
            got += d
        if got != b"x" * 1000:
            sys.exit("from %s: %d bytes echoed" % (src, len(got)))
PY
after=$(syn_retrans)
net6_now
[ "$after" = "$before" ] || fail "two workers: the kernel retransmitted SYNs ($before -> $after)"
[ "$(net6 neigh_queue_drops)" = 0 ] || fail "two workers: neigh_queue_drops $(net6 neigh_queue_drops);" \
	"/hso/net6: $(python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(" ".join("%s %s" % (k, v) for k, v in d.items() if k.startswith("neigh") and v))' "$work/net6.json")"
[ "$(net6 neigh_flushed)" = "$(net6 neigh_queued)" ] ||
	fail "two workers: held $(net6 neigh_queued), sent $(net6 neigh_flushed)"
[ "$(wstat neigh_shared)" -ge 1 ] && [ "$(wstat neigh_share_drops)" = 0 ] ||
	fail "neighbour sharing: shared $(wstat neigh_shared) drops $(wstat neigh_share_drops)"
echo "8b. 8 new IPv6 sources, two workers: all echoed, no SYN retransmitted; held" \
	"$(net6 neigh_queued), sent $(net6 neigh_flushed); neighbour updates shared" \
	"$(wstat neigh_shared), applied $(wstat neigh_share_applied)"

# 8c. 1 MB each way per connection over IPv6: the payload by reference in
#     mbuf chains, TCP checksums by the port (one segment) or by hsod
#     (chains on net_tap): the kernel must find every one right.
out=$(in_ns python3 "$(dirname "$0")/app_echo.py" --host 2001:db8::2 --conns 4 \
	--bytes 1048576 --deadline 60) || fail "1 MB over IPv6: $out"
csum1=$(ns_tcp_csum_errors)
[ "$csum1" = "$csum0" ] || fail "TcpInCsumErrors $csum0 -> $csum1 over IPv6"
[ "$(wstat tcp_csum_bad)" = 0 ] || fail "hsod counted $(wstat tcp_csum_bad) bad TCP checksums"
[ "$(wstat tx_segments_copied)" = 0 ] ||
	fail "IPv6 payload copied: tx_segments_copied $(wstat tx_segments_copied)"
echo "8c. 4 x 1 MB echoed over IPv6: TcpInCsumErrors $csum1, tx_segments_copied 0 (by reference)"

# 8d. Both families at once: 100 IPv4 and 100 IPv6 connections open together.
in_ns python3 "$(dirname "$0")/app_echo.py" --host 198.18.0.2 --conns 100 --bytes 4096 \
	--deadline 60 >"$work/mix4" 2>&1 &
pid4=$!
in_ns python3 "$(dirname "$0")/app_echo.py" --host 2001:db8::2 --conns 100 --bytes 4096 \
	--deadline 60 >"$work/mix6" 2>&1 || fail "mixed, IPv6 side: $(cat "$work/mix6")"
wait "$pid4" || fail "mixed, IPv4 side: $(cat "$work/mix4")"
[ "$(ns_tcp_csum_errors)" = "$csum0" ] || fail "TcpInCsumErrors after the mixed run"
echo "8d. two workers, 100 IPv4 + 100 IPv6 connections at once: all echoed, no timeout;" \
	"handshakes per worker $(hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["workers_handshakes_completed"])')"
hsod_stop 15 || fail "hsod (two workers) exited with status $?"
echo "PASS"
