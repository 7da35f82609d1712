#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TLS through hsod, end to end, with clients we did not write, in a network
# namespace of our own (kernel 198.18.0.1/24 <-> hsod 198.18.0.2 on a DPDK
# net_tap port):
#   curl (TLS 1.2 and 1.3), openssl s_client (every suite, RSA and ECDSA
#   certificates chosen by SNI, resumption with -sess_out/-sess_in, both
#   versions, by ticket and by session id), gnutls-cli, Python's ssl,
#   HTTP keep-alive, wrk for 10 s with "Connection: close" (every request a
#   new handshake), 200 sequential handshakes with 5% packet loss each way,
#   and SIGTERM with connections open.
# Exit 77 (skip, reason printed) without root, namespaces or TUN.
#
# usage: tests/netns/hsod_tls.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK
failures=0

note() { echo "$*"; }
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
fatal() {
	echo "FAIL: $*"
	[ -n "$HSOD_LOG" ] && [ -f "$HSOD_LOG" ] && sed 's/^/  hsod: /' "$HSOD_LOG" | tail -20
	exit 1
}
E() { in_ns "$@"; }

netns_require "hso-tls-$$"
make_cert "$work" ec.test ec || fatal "openssl req ec"
make_cert "$work" rsa.test rsa || fatal "openssl req rsa"
hsod_start "$hsod" "hsotls$$" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/ec.test.pem" --key "$work/ec.test.key" \
	--cert "$work/rsa.test.pem" --key "$work/rsa.test.key" \
	--max-conns 1024 --max-half-open 256 || fatal "hsod did not become ready"
E ping -c 1 -W 2 198.18.0.2 >/dev/null || fatal "hsod does not answer ping"

url=https://198.18.0.2/
resolve=(--resolve ec.test:443:198.18.0.2 --resolve rsa.test:443:198.18.0.2)

# curl, both versions, both certificates (chosen by SNI).
for v in "--tlsv1.3" "--tlsv1.2 --tls-max 1.2"; do
	for name in ec.test rsa.test; do
		# shellcheck disable=SC2086
		out=$(E curl -sk --max-time 10 $v "${resolve[@]}" "https://$name/" -w ' %{http_code}')
		[ "$out" = "hello from hso
 200" ] || fail "curl $v $name: '$out'"
	done
done
note "curl: TLS 1.2 and 1.3, ECDSA and RSA certificates: ok"

# openssl s_client: every suite; the certificate served must match the SNI.
req='GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
sclient() { # name args... -> output
	local name=$1
	shift
	printf "$req" | E timeout 10 openssl s_client -connect 198.18.0.2:443 -servername "$name" \
		-ign_eof "$@" 2>&1
}
for s in TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384 TLS_CHACHA20_POLY1305_SHA256; do
	for name in ec.test rsa.test; do
		out=$(sclient $name -tls1_3 -ciphersuites $s)
		grep -q "Cipher is $s" <<<"$out" || fail "s_client TLS 1.3 $s $name"
		grep -q "subject=CN = $name" <<<"$out" || fail "s_client $s: wrong certificate for $name"
		grep -q "HTTP/1.1 200 OK" <<<"$out" || fail "s_client TLS 1.3 $s $name: no 200"
	done
done
for c in ECDHE-ECDSA-AES128-GCM-SHA256:ec.test ECDHE-ECDSA-AES256-GCM-SHA384:ec.test \
	ECDHE-ECDSA-CHACHA20-POLY1305:ec.test ECDHE-RSA-AES128-GCM-SHA256:rsa.test \
	ECDHE-RSA-AES256-GCM-SHA384:rsa.test ECDHE-RSA-CHACHA20-POLY1305:rsa.test \
	AES128-GCM-SHA256:rsa.test AES256-GCM-SHA384:rsa.test; do
	suite=${c%%:*}
	name=${c##*:}
	out=$(sclient "$name" -tls1_2 -cipher "$suite")
	grep -q "Cipher is $suite" <<<"$out" || fail "s_client TLS 1.2 $suite"
	grep -q "HTTP/1.1 200 OK" <<<"$out" || fail "s_client TLS 1.2 $suite: no 200"
done
note "openssl s_client: 3 TLS 1.3 suites x 2 certificates, 8 TLS 1.2 suites: ok"

# Resumption with -sess_out / -sess_in: TLS 1.3 ticket, TLS 1.2 ticket, TLS 1.2 session id.
for mode in "-tls1_3" "-tls1_2" "-tls1_2 -no_ticket"; do
	# shellcheck disable=SC2086
	sclient ec.test $mode -sess_out "$work/sess" >/dev/null
	# shellcheck disable=SC2086
	out=$(sclient ec.test $mode -sess_in "$work/sess")
	grep -q "^Reused, " <<<"$out" || fail "s_client $mode: not resumed"
	grep -q "HTTP/1.1 200 OK" <<<"$out" || fail "s_client $mode resumed: no 200"
done
note "openssl s_client resumption: TLS 1.3 ticket, TLS 1.2 ticket, TLS 1.2 session id: ok"

# gnutls-cli, both versions.
for prio in "NORMAL:-VERS-ALL:+VERS-TLS1.3" "NORMAL:-VERS-ALL:+VERS-TLS1.2"; do
	# Keep stdin open a moment: at EOF gnutls-cli sends close_notify at once.
	out=$( (printf "$req"; sleep 1) | E timeout 10 gnutls-cli --insecure --priority "$prio" \
		-p 443 198.18.0.2 2>&1)
	grep -q "HTTP/1.1 200 OK" <<<"$out" || fail "gnutls-cli $prio: $(echo "$out" | tail -3)"
done
note "gnutls-cli: TLS 1.2 and 1.3: ok"

# Python's ssl, both versions, ALPN offered (none configured: none chosen).
E python3 - <<'PY' || fail "python ssl"
import socket, ssl
for v in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = c.maximum_version = v
    c.set_alpn_protocols(["http/1.1"])
    with c.wrap_socket(socket.create_connection(("198.18.0.2", 443), timeout=10),
                       server_hostname="ec.test") as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        assert data.startswith(b"HTTP/1.1 200 OK"), data
        assert s.version() == {ssl.TLSVersion.TLSv1_3: "TLSv1.3", ssl.TLSVersion.TLSv1_2: "TLSv1.2"}[v]
print("python ssl: TLS 1.2 and 1.3: ok")
PY

# Keep-alive: two requests, one connection.
n=$(E curl -sk --max-time 10 "$url" "$url" -o /dev/null -o /dev/null -w '%{num_connects}\n' | paste -sd+ | bc)
[ "$n" = 1 ] || fail "keep-alive: $n connections for two requests"
note "keep-alive: ok"

# wrk: 10 s, every request a new handshake.
if command -v wrk >/dev/null; then
	E wrk -t1 -c16 -d10s --timeout 5s -H "Connection: close" "$url" >"$work/wrk.log" 2>&1
	reqs=$(awk '/requests in/ {print $1}' "$work/wrk.log")
	if grep -q "Socket errors" "$work/wrk.log" || grep -q "Non-2xx" "$work/wrk.log" ||
		[ -z "$reqs" ] || [ "$reqs" -lt 100 ]; then
		fail "wrk: $(cat "$work/wrk.log")"
	fi
	note "wrk (Connection: close, 10 s): $reqs requests, $(awk '/Requests\/sec/ {print $2}' "$work/wrk.log") handshakes/s, no socket errors, all 200"
else
	echo "skip (partial): wrk not installed"
fi

# Loss: 5% of packets dropped each way (nftables), 200 sequential handshakes.
if E nft add table inet loss 2>/dev/null; then
	E nft 'add chain inet loss o { type filter hook output priority 0; }'
	E nft 'add chain inet loss i { type filter hook input priority 0; }'
	E nft add rule inet loss o oifname hso0 numgen random mod 100 '<' 5 drop
	E nft add rule inet loss i iifname hso0 numgen random mod 100 '<' 5 drop
	ok=0
	start=$(date +%s)
	for _ in $(seq 1 200); do
		code=$(E curl -sk --max-time 15 -H "Connection: close" "$url" -o /dev/null -w '%{http_code}')
		[ "$code" = 200 ] && ok=$((ok + 1))
	done
	E nft delete table inet loss
	[ "$ok" = 200 ] || fail "loss: $ok of 200 handshakes completed"
	note "5% loss each way: $ok/200 handshakes completed in $(($(date +%s) - start)) s"
	if ! E tc qdisc add dev hso0 root netem delay 20ms 2>/dev/null; then
		note "note: no netem in this kernel: the 20 ms delay part is not tested"
	else
		E tc qdisc del dev hso0 root
	fi
else
	echo "skip (partial): nftables unavailable, loss not tested"
fi

# Telemetry agrees.
stats=$(hso_stats)
echo "$stats" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["handshakes_completed"] >= 250, d
assert d["handshakes_tls12"] > 0 and d["handshakes_tls13"] > 0, d
suites = sum(v for k, v in d.items() if k.startswith("handshakes_TLS_"))
assert suites == d["handshakes_completed"], (suites, d)
assert "tcp_state_ESTABLISHED" in d and "tcp_drop_no_listener" in d, d
assert d["app_backlog_aborts"] == 0, d
print("telemetry: handshakes_completed=%d failed=%d resumed=%d kdf_runs=%d kdf_requests=%d busy/idle=%d/%d" % (
    d["handshakes_completed"], d["handshakes_failed"], d["handshakes_resumed"],
    d["crypto_kdf_runs"], d["crypto_kdf_requests"], d["busy_cycles"], d["idle_cycles"]))
' || fail "telemetry: $stats"

app=$(hso_stats /hso/app)
echo "$app" | python3 -c '
import json, sys
a = json.load(sys.stdin)
assert a["responses"] >= 250 and a["responses"] == a["requests"] and a["type"] == "http", a
print("app: %d requests, %d responses, %d closes" % (a["requests"], a["responses"], a["closes"]))
' || fail "telemetry /hso/app: $app"

# SIGTERM with connections open: hsod drains (no new connections; the open
# ones get close_notify and FIN), then exits 0.
E python3 -c '
import socket, ssl, sys, time
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
keep = [c.wrap_socket(socket.create_connection(("198.18.0.2", 443), timeout=5)) for _ in range(3)]
open(sys.argv[1], "w").write("open\n")
for s in keep:
    s.settimeout(15)
    if s.recv(100) != b"":
        sys.exit("data instead of a clean close")
print("3 open connections closed cleanly by the drain")
' "$work/holder.ready" &
holder=$!
for _ in $(seq 1 50); do [ -f "$work/holder.ready" ] && break; sleep 0.1; done
[ -f "$work/holder.ready" ] || fail "could not open connections before SIGTERM"
hsod_stop 15
rc=$?
wait "$holder" || fail "open connections were not closed cleanly on SIGTERM"
[ "$rc" -eq 124 ] && fail "hsod still running 15 s after SIGTERM"
[ "$rc" -eq 0 ] || fail "hsod exit status $rc after SIGTERM"

if [ "$failures" -ne 0 ]; then
	echo "hsod_tls: $failures failures"
	sed 's/^/  hsod: /' "$HSOD_LOG" | tail -10
	exit 1
fi
echo "hsod_tls: ok"
