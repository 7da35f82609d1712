#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hso-gen (its TCP and TLS client engine) against servers we did not write,
# over a veth pair in a network namespace of our own: hso-gen on
# net_af_packet (hso-kv1, 198.18.0.1), the kernel on the other end (hso-kv0,
# 198.18.0.2) with nginx (one worker), `openssl s_server` and `gnutls-serv`
# behind it. The network interop proof of the client engine, and of hso's
# TCP active opens against Linux's TCP:
#   nginx: TLS 1.3 full mode with the chain verified against the CA and the
#          SNI, load mode, PSK resumption; TLS 1.2 ECDHE full mode, ticket and
#          session-id resumption; HTTP requests; TCP only
#   openssl s_server: TLS 1.3 and TLS 1.2 (full mode), an HTTP request
#   gnutls-serv: TLS 1.3 and TLS 1.2 (full mode)
#   nginx over IPv6 (the kernel's 2001:db8::2, hso-gen --addr6
#          2001:db8::1): TLS 1.3 full mode, TLS 1.2 with tickets
#   unreachable: no ARP answer, and a closed port (the kernel's RST): exit 2
# Every run is short (1 s of load), checked from the JSON (handshakes > 0,
# errors 0, what was negotiated) and, for nginx, against the kernel's own
# counters (TCP passive opens, checksum errors 0).
# Exit 77 (skip, reason printed) without root, namespaces, veth or a server.
#
# usage: tests/netns/gen_kernel.sh HSO_GEN
set -uo pipefail
gen=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

for tool in nginx openssl gnutls-serv; do
	command -v $tool >/dev/null 2>&1 || { echo "skip: $tool not installed (deploy/setup.sh)"; exit 77; }
done
netns_require "hso-genk-$$"
if ! in_ns ip link add hso-kv0 type veth peer name hso-kv1 2>"$work/veth.err"; then
	echo "skip: cannot create a veth pair: $(cat "$work/veth.err")"
	exit 77
fi
# The kernel's side: no checksum or segmentation offload, so that the packet
# socket on the other end reads whole frames with their checksums.
in_ns ip addr add 198.18.0.2/24 dev hso-kv0
in_ns ip -6 addr add 2001:db8::2/64 dev hso-kv0 nodad
in_ns ethtool -K hso-kv0 tx off tso off gso off gro off >/dev/null 2>&1 ||
	fail "ethtool -K hso-kv0: cannot turn offloads off"
in_ns ethtool -K hso-kv1 gro off >/dev/null 2>&1
in_ns ip link set hso-kv0 up
in_ns ip link set hso-kv1 up

# A CA and a server certificate it signed, for hso.test (full mode checks both).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=hso-test-ca \
	-keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null || fail "CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=hso.test \
	-keyout "$work/srv.key" -out "$work/srv.csr" 2>/dev/null || fail "CSR"
printf 'subjectAltName=DNS:hso.test\n' >"$work/ext"
openssl x509 -req -in "$work/srv.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial \
	-days 2 -extfile "$work/ext" -out "$work/srv.pem" 2>/dev/null || fail "server certificate"

# nginx, one worker, TLS 1.2 and 1.3, tickets and a session cache, on 443;
# plain TCP on 8080.
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
master_process off;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_session_cache shared:SSL:4m;
	ssl_session_tickets on;
	server {
		listen 198.18.0.2:443 ssl backlog=4096;
		listen [2001:db8::2]:443 ssl backlog=4096;
		listen 198.18.0.2:8080 backlog=4096;
		server_name hso.test;
		ssl_certificate $work/srv.pem;
		ssl_certificate_key $work/srv.key;
		location / { default_type text/plain; return 200 "hello from nginx\n"; }
	}
}
EOF
# Not through in_ns(): $! must be the server's own PID (ip netns exec execs it).
ip netns exec "$NS" nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
	-g "daemon off; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;" \
	>"$work/nginx/out.log" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
ip netns exec "$NS" openssl s_server -quiet -accept 198.18.0.2:4433 -cert "$work/srv.pem" \
	-key "$work/srv.key" -www >"$work/s_server.log" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
ip netns exec "$NS" gnutls-serv --http --port 4434 --x509certfile "$work/srv.pem" \
	--x509keyfile "$work/srv.key" >"$work/gnutls.log" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
for _ in $(seq 1 50); do
	in_ns curl -s --max-time 1 http://198.18.0.2:8080/ >/dev/null &&
		in_ns bash -c 'exec 3<>/dev/tcp/198.18.0.2/4433 && exec 4<>/dev/tcp/198.18.0.2/4434' \
			2>/dev/null && break
	sleep 0.1
done
grep -q "hello from nginx" <<<"$(in_ns curl -s --max-time 2 http://198.18.0.2:8080/)" ||
	fail "nginx did not start: $(tail -3 "$work/nginx/error.log")"

tcp_opens() {
	in_ns nstat -asz 2>/dev/null | awk '$1 == "TcpPassiveOpens" { print $2 }'
}
csum_errors() {
	in_ns nstat -asz 2>/dev/null |
		awk '$1 == "IpInHdrErrors" || $1 == "TcpInCsumErrors" { s += $2 } END { print s + 0 }'
}

n=0
# run NAME PORT [hso-gen flags]: hso-gen against 198.18.0.2:PORT; OUT=$work/NAME.json
run() {
	local name=$1 port=$2
	shift 2
	n=$((n + 1))
	OUT=$work/$name.json
	gen_run "$gen" "hsogk$$$n" "net_af_packet0,iface=hso-kv1" "$OUT" \
		--target "198.18.0.2:$port" --addr 198.18.0.1/24 --quiet --duration 1 "$@"
}

# case_ok NAME PORT MIN_RESUMED_RATIO VERSION [hso-gen flags]
case_ok() {
	local name=$1 port=$2 min=$3 ver=$4 rc opens0 opens1
	shift 4
	opens0=$(tcp_opens)
	run "$name" "$port" "$@"
	rc=$?
	opens1=$(tcp_opens)
	[ "$rc" -eq 0 ] || { tail -5 "$OUT.err"; fail "$name: hso-gen exit $rc"; }
	python3 - "$OUT" "$name" "$min" "$ver" "$((opens1 - opens0))" <<'PY' || fail "$name: see above"
import json, sys
d = json.load(open(sys.argv[1]))
name, min_res, ver, opens = sys.argv[2], float(sys.argv[3]), sys.argv[4], int(sys.argv[5])
print("%s: %d handshakes (%.0f/s), resumed %.2f, p50 %.0f us, p99 %.0f us, %s %s; kernel: %d "
      "passive opens" % (name, d["handshakes"], d["hs_per_s"], d["resumed_ratio"],
      d["latency_us"]["p50"], d["latency_us"]["p99"], d["negotiated"]["version"],
      d["negotiated"]["suite"], opens))
ok = (d["handshakes"] > 0 and d["errors"]["total"] == 0 and d["resumed_ratio"] >= min_res and
      d["negotiated"]["version"] == ver and opens >= d["connections"]["connected"])
if not ok:
    print("FAIL %s: errors %s, alerts %s" % (name, d["errors"], d.get("tls_alerts")))
sys.exit(0 if ok else 1)
PY
}

check() {
	[ "$(json_get "$OUT" "$2")" = True ] || fail "$1: not $2 ($(head -c 600 "$OUT"))"
}

# nginx
case_ok nginx_tls13_full 443 0 TLSv1.3 --tls 1.3 --mode full --ca "$work/ca.pem" --sni hso.test \
	--concurrency 4
case_ok nginx_tls13_load 443 0 TLSv1.3 --tls 1.3 --concurrency 8 --sni hso.test
case_ok nginx_tls13_psk 443 0.3 TLSv1.3 --tls 1.3 --concurrency 4 --resume 0.5 --sni hso.test
case_ok nginx_tls12_full 443 0 TLSv1.2 --tls 1.2 --mode full --ca "$work/ca.pem" --sni hso.test \
	--concurrency 4
check nginx_tls12_full 'd["negotiated"]["suite"].startswith("TLS_ECDHE_ECDSA")'
case_ok nginx_tls12_ticket 443 0.3 TLSv1.2 --tls 1.2 --concurrency 4 --resume 0.5 --resume-kind ticket
case_ok nginx_tls12_id 443 0.3 TLSv1.2 --tls 1.2 --concurrency 4 --resume 0.5 --resume-kind id
case_ok nginx_request 443 0 TLSv1.3 --tls 1.3 --concurrency 4 --sni hso.test \
	--request 'GET / HTTP/1.1'
check nginx_request 'd["responses"] > 0 and d["http_status"]["2xx"] == d["responses"]'
# A wrong CA: every handshake fails on our side, with unknown_ca (RFC 8446 6.2).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other \
	-keyout "$work/other.key" -out "$work/other.pem" 2>/dev/null
run nginx_wrong_ca 443 --tls 1.3 --mode full --ca "$work/other.pem" --sni hso.test --concurrency 2
[ $? -eq 3 ] || fail "nginx_wrong_ca: exit not 3 (no handshake)"
check nginx_wrong_ca 'd["errors"]["tls_error"] > 0 and d["tls_alerts"]["sent"].get("unknown_ca", 0) > 0'
echo "nginx_wrong_ca: refused as it should: $(json_get "$OUT" 'd["tls_alerts"]')"
# TCP only, the kernel's three-way handshake.
run kernel_tcp 8080 --tls none --concurrency 8 --close rst
[ $? -eq 0 ] || fail "kernel_tcp: exit not 0"
check kernel_tcp 'd["handshakes"] > 0 and d["errors"]["total"] == 0'

# openssl s_server (one connection at a time) and gnutls-serv
case_ok s_server_tls13 4433 0 TLSv1.3 --tls 1.3 --mode full --ca "$work/ca.pem" --sni hso.test \
	--concurrency 1
case_ok s_server_tls12 4433 0 TLSv1.2 --tls 1.2 --mode full --ca "$work/ca.pem" --sni hso.test \
	--concurrency 1
case_ok s_server_request 4433 0 TLSv1.3 --tls 1.3 --concurrency 1 --request 'GET / HTTP/1.0'
case_ok gnutls_tls13 4434 0 TLSv1.3 --tls 1.3 --mode full --ca "$work/ca.pem" --sni hso.test \
	--concurrency 2
case_ok gnutls_tls12 4434 0 TLSv1.2 --tls 1.2 --mode full --ca "$work/ca.pem" --sni hso.test \
	--concurrency 2

# Unreachable: nobody at .3; nothing on port 9 (the kernel's RST). Exit 2, one line.
# IPv6: hso-gen (2001:db8::1) resolves the kernel's 2001:db8::2 by Neighbor
# Discovery and loads nginx's IPv6 listener; the kernel resolves us likewise.
case_ok nginx_ipv6_tls13 443 0 TLSv1.3 --tls 1.3 --mode full --ca "$work/ca.pem" --sni hso.test \
	--concurrency 4 --target "[2001:db8::2]:443" --addr6 2001:db8::1/64
check nginx_ipv6_tls13 'd["target"] == "[2001:db8::2]:443"'
case_ok nginx_ipv6_tls12 443 0.3 TLSv1.2 --tls 1.2 --concurrency 4 --resume 0.5 \
	--resume-kind ticket --target "[2001:db8::2]:443" --addr6 2001:db8::1/64
neigh6=$(in_ns ip -6 neigh show 2001:db8::1 dev hso-kv0)
grep -q lladdr <<<"$neigh6" || fail "the kernel did not learn hso-gen's IPv6 neighbour: '$neigh6'"

run unreachable_host 443 --tls 1.3 --concurrency 1 --target 198.18.0.3:443
[ $? -eq 2 ] || fail "unreachable host: exit not 2"
grep -q "^hso-gen: 198.18.0.3 unreachable: no ARP answer" "$OUT.err" ||
	fail "unreachable host: $(tail -1 "$OUT.err")"
echo "unreachable host: $(grep '^hso-gen: ' "$OUT.err" | tail -1)"
run closed_port 9 --tls 1.3 --concurrency 1
[ $? -eq 2 ] || fail "closed port: exit not 2"
grep -q "^hso-gen: 198.18.0.2:9 refused the connection" "$OUT.err" ||
	fail "closed port: $(tail -1 "$OUT.err")"
echo "closed port: $(grep '^hso-gen: ' "$OUT.err" | tail -1)"

[ "$(csum_errors)" -eq 0 ] || fail "the kernel counted checksum errors: $(csum_errors)"
echo "PASS"
