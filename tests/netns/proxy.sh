#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hso-proxy end to end, in a network namespace of our own (kernel
# 198.18.0.1/24 <-> hsod 198.18.0.2 on a DPDK net_tap port): hsod
# --app external on hugepages, hso-proxy as its DPDK secondary process
# (lcore 1), backends on the kernel side:
#   nginx A 198.18.0.1:8080 and nginx B 198.18.0.1:8082 (plain HTTP, known
#   bodies), and tests/netns/proxy_backend.py on 198.18.0.1:8081, which
#   requires a PROXY protocol v2 header and answers with what it parsed.
# Checks: with no application attached a connection is refused fast; the
# PROXY v2 header carries the client's and hso's addresses, SNI, ALPN, TLS
# version and cipher (curl, TLS 1.2 and 1.3); an IPv6 backend
# ([2001:db8::1]:8091, the same Python server) gets TCP over IPv6 headers
# for an IPv6 client (curl -6 to hsod's 2001:db8::2) carrying its address
# and port, and TCP over IPv4 ones for an IPv4 client; curl through the proxy to
# nginx (both versions, both backends used); wrk for 5 s with
# "Connection: close": no errors, all 200; nginx B killed during a wrk run:
# the health check takes it out, at most the requests in flight at the kill
# fail, a run after that has no errors; B restarted is put back (rise);
# all backends down: --http answers 502 at once, without --http the client
# gets a clean close; SIGTERM: exit 0 and a JSON line of counters that
# match; HTTP health checks: backends answering 503, garbage or too slowly
# on the check path are taken out while their TCP connects succeed.
# Everything started is stopped by its PID.
# Exit 77 (skip, reason printed) without root, namespaces, TUN, hugepages,
# nginx, curl or wrk.
#
# usage: tests/netns/proxy.sh HSOD HSO_PROXY
set -uo pipefail
hsod=$1
proxy=${2:-$(dirname "$1")/proxy/hso-proxy}
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
work=$NETNS_WORK
PROXY_PID=
PROXY_LOG=
NGINX_A=
NGINX_B=
PYBE=
PYBE6=

for tool in nginx curl wrk; do
	command -v "$tool" >/dev/null || { echo "skip: $tool is not installed (deploy/setup.sh)"; exit 77; }
done
[ -x "$proxy" ] || { echo "FAIL: no hso-proxy at $proxy"; exit 1; }

# proxy_start LOG ARGS...: hso-proxy on lcore 1; waits for "hso-proxy: attached".
# On failure its whole log is shown: EAL's reason comes first, a sanitizer's
# report after it.
proxy_start() {
	PROXY_LOG=$1
	shift
	ip netns exec "$NS" "$proxy" -l 1 --proc-type=secondary --file-prefix "$HSOD_PREFIX" \
		--no-pci --log-level=lib.eal:warning -- "$@" >"$PROXY_LOG" 2>&1 &
	PROXY_PID=$!
	NETNS_PIDS="$NETNS_PIDS $PROXY_PID"
	for _ in $(seq 1 100); do
		grep -q "^hso-proxy: attached$" "$PROXY_LOG" 2>/dev/null && return 0
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/  hso-proxy: /' "$PROXY_LOG" | head -40
	return 1
}

# proxy_stop: SIGTERM, exit status 0 within 10 s; the last JSON line in $PROXY_JSON.
proxy_stop() {
	local rc
	kill -TERM "$PROXY_PID"
	for _ in $(seq 1 100); do
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$PROXY_PID" 2>/dev/null && return 124
	wait "$PROXY_PID"
	rc=$?
	PROXY_PID=
	PROXY_JSON=$(grep '^{' "$PROXY_LOG" | tail -1)
	return $rc
}

# check_json JSON PYTHON_EXPR WHAT: the expression over d must hold.
check_json() {
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$1" "$2" 2>/dev/null && return 0
	echo "  $3: $(echo "$1" | cut -c1-2000)"
	return 1
}

# proxy_stats: the newest --stats-interval line (the "hso_proxy" object).
proxy_stats() {
	grep '^{' "$PROXY_LOG" | tail -1 | python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["hso_proxy"]))'
}

# wait_proxy PYTHON_EXPR SECONDS: until the expression over the newest stats line holds.
wait_proxy() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		check_json "$(proxy_stats 2>/dev/null || echo '{}')" "$1" x >/dev/null && return 0
		sleep 0.2
	done
	check_json "$(proxy_stats 2>/dev/null || echo '{}')" "$1" "hso-proxy stats"
}

# nginx_start NAME PORT: plain HTTP on 198.18.0.1:PORT answering "hello from nginx NAME".
nginx_start() {
	local name=$1 port=$2 pid
	mkdir -p "$work/nginx-$name"
	cat >"$work/nginx-$name/nginx.conf" <<EOF
worker_processes 1;
master_process off;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $work/nginx-$name/body;
	proxy_temp_path $work/nginx-$name/proxy;
	fastcgi_temp_path $work/nginx-$name/fastcgi;
	uwsgi_temp_path $work/nginx-$name/uwsgi;
	scgi_temp_path $work/nginx-$name/scgi;
	server {
		listen 198.18.0.1:$port backlog=4096;
		location / { default_type text/plain; return 200 "hello from nginx $name\n"; }
	}
}
EOF
	ip netns exec "$NS" nginx -p "$work/nginx-$name" -c "$work/nginx-$name/nginx.conf" \
		-e "$work/nginx-$name/error.log" \
		-g "daemon off; pid $work/nginx-$name/nginx.pid; error_log $work/nginx-$name/error.log;" \
		>"$work/nginx-$name/out.log" 2>&1 &
	pid=$!
	NETNS_PIDS="$NETNS_PIDS $pid"
	eval "NGINX_$name=$pid"
	for _ in $(seq 1 50); do
		[ "$(in_ns curl -s --max-time 2 "http://198.18.0.1:$port/")" = "hello from nginx $name" ] && return 0
		sleep 0.1
	done
	cat "$work/nginx-$name/out.log" "$work/nginx-$name/error.log" 2>/dev/null | tail -5
	return 1
}

# stop_pid PID: SIGKILL and reap.
stop_pid() {
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

# wrk_run SECONDS LOG: wrk through the proxy, every request a new TLS session.
wrk_run() {
	in_ns wrk -t1 -c8 -d"$1"s --timeout 5s -H "Connection: close" https://198.18.0.2/ >"$2" 2>&1
}
wrk_reqs() { awk '/requests in/ {print $1}' "$1"; }
wrk_errors() { # socket errors + non-2xx
	awk '/Socket errors/ { gsub(",", ""); s += $4 + $6 + $8 + $10 }
	     /Non-2xx/ { s += $NF } END { print s + 0 }' "$1"
}

# No EAL needed: --help, and a bad config refused naming file, section and key.
"$proxy" --help >"$work/help.txt" && grep -q -- "--backend ADDR:PORT" "$work/help.txt" ||
	fail "hso-proxy --help: $(head -3 "$work/help.txt")"
printf '[proxy]\nbalance = leastconn\n[backend web]\naddress = 198.18.0.1:8080\nweight = 300\n' >"$work/bad.ini"
out=$("$proxy" -l 1 --file-prefix none -- --config "$work/bad.ini" 2>&1)
rc=$?
[ "$rc" -eq 1 ] && grep -q "$work/bad.ini: \[backend web\] weight: out of range 0..256 (got '300')" <<<"$out" ||
	fail "bad config: exit $rc, '$out'"
echo "bad config refused before EAL: $(echo "$out" | head -1)"

netns_require "hso-proxy-$$"
hugepages_require 256
make_cert "$work" ec.test ec || fail "openssl req"
HSOD_SHARED=1 hsod_start "$hsod" "hsopx$$" --addr 198.18.0.2/24 --addr6 2001:db8::2/64 \
	--listen 443 --cert "$work/ec.test.pem" --key "$work/ec.test.key" --alpn http/1.1 \
	--max-conns 4096 --app external || fail "hsod --app external did not become ready"
in_ns ip -6 addr add 2001:db8::1/64 dev hso0 nodad || fail "ip -6 addr add"
resolve=(--resolve ec.test:443:198.18.0.2)

# Nobody attached: refused, fast (no hang).
start=$(date +%s%N)
in_ns curl -sk --max-time 10 "${resolve[@]}" https://ec.test/ -o /dev/null
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" -ne 0 ] || fail "no application attached, yet curl succeeded"
[ "$rc" -ne 28 ] && [ "$ms" -lt 3000 ] || fail "no application attached: curl took $ms ms (rc $rc)"
echo "no application attached: curl fails in $ms ms (curl exit $rc)"

# Backends are started with ip netns exec, not in_ns: $! must be the
# server's own PID (ip execs it), or killing $! leaves it running, holding
# the test lock's file descriptor for good.
nginx_start A 8080 || fail "nginx A did not start"
nginx_start B 8082 || fail "nginx B did not start"
ip netns exec "$NS" python3 "$here/proxy_backend.py" --listen 198.18.0.1:8081 >"$work/pybe.log" 2>&1 &
PYBE=$!
NETNS_PIDS="$NETNS_PIDS $PYBE"
for _ in $(seq 1 50); do
	grep -q "^ready" "$work/pybe.log" && break
	sleep 0.1
done
grep -q "^ready" "$work/pybe.log" || fail "proxy_backend.py did not start: $(cat "$work/pybe.log")"
# The same PROXY v2 backend on IPv6, for an IPv6 backend and IPv6 clients.
ip netns exec "$NS" python3 "$here/proxy_backend.py" --listen "[2001:db8::1]:8091" >"$work/pybe6.log" 2>&1 &
PYBE6=$!
NETNS_PIDS="$NETNS_PIDS $PYBE6"
for _ in $(seq 1 50); do
	grep -q "^ready" "$work/pybe6.log" && break
	sleep 0.1
done
grep -q "^ready" "$work/pybe6.log" || fail "proxy_backend.py on IPv6 did not start: $(cat "$work/pybe6.log")"
echo "backends: nginx A :8080 (pid $NGINX_A), nginx B :8082 (pid $NGINX_B), PROXY v2 backend :8081"

# --- PROXY protocol v2 ----------------------------------------------------------
proxy_start "$work/proxy-pp2.log" --backend 198.18.0.1:8081,name=pp2 --proxy-protocol --http \
	--name proxy-pp2 || fail "hso-proxy (PROXY protocol) did not attach"
# curl VERSION-ARGS... -> the backend's JSON, then curl's local port on the last line.
pp2_curl() {
	in_ns curl -sk --max-time 10 "$@" -w '\n%{local_port} %{http_code}\n'
}
for c in "--tlsv1.3 --tls13-ciphers TLS_AES_256_GCM_SHA384:TLSv1.3:TLS_AES_256_GCM_SHA384" \
	"--tlsv1.3 --tls13-ciphers TLS_CHACHA20_POLY1305_SHA256:TLSv1.3:TLS_CHACHA20_POLY1305_SHA256" \
	"--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256:TLSv1.2:ECDHE-ECDSA-AES128-GCM-SHA256" \
	"--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-CHACHA20-POLY1305:TLSv1.2:ECDHE-ECDSA-CHACHA20-POLY1305"; do
	args=${c%%:*}
	rest=${c#*:}
	ver=${rest%%:*}
	cipher=${rest#*:}
	# shellcheck disable=SC2086
	out=$(pp2_curl $args "${resolve[@]}" https://ec.test/hello)
	json=$(echo "$out" | head -n -1)
	read -r lport code <<<"$(echo "$out" | tail -1)"
	[ "$code" = 200 ] || fail "PROXY v2 backend, $ver $cipher: HTTP $code: $json"
	check_json "$json" "d['src'] == '198.18.0.1' and d['src_port'] == $lport and d['dst'] == '198.18.0.2' \
and d['dst_port'] == 443 and d['authority'] == 'ec.test' and d['alpn'] == 'http/1.1' \
and d['ssl_client'] == 1 and d['ssl_verify'] == 0 and d['ssl_version'] == '$ver' \
and d['ssl_cipher'] == '$cipher' and d['tlv_types'] == [1, 2, 32] and d['request'] == 'GET /hello HTTP/1.1'" \
		"PROXY v2 header, $ver $cipher, client port $lport" || fail "PROXY v2 header ($ver $cipher)"
done
echo "PROXY v2: client 198.18.0.1:port, hso 198.18.0.2:443, SNI, ALPN, TLS 1.3 and 1.2 versions and ciphers: ok"
echo "  e.g. $json"
# No SNI (an IP address in the URL): no PP2_TYPE_AUTHORITY.
json=$(in_ns curl -sk --max-time 10 https://198.18.0.2/)
check_json "$json" "'authority' not in d and d['tlv_types'] == [1, 32] and d['ssl_version'] == 'TLSv1.3'" \
	"no SNI" || fail "PROXY v2 header without SNI"
echo "PROXY v2 without SNI: no authority TLV: ok"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (PROXY protocol): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "d['hso_proxy']['pp2_headers'] == 5 and d['hso_proxy']['sessions'] == 5 \
and d['hso_proxy']['active'] == 0 and d['hso_proxy']['backends'][0]['connect_ok'] == 5" \
	"hso-proxy counters" || fail "hso-proxy (PROXY protocol) counters"

# --- IPv6: an IPv6 backend, and IPv6 clients in PROXY v2 --------------------------
# curl -6 from 2001:db8::1 to hsod's 2001:db8::2: the header is TCP over IPv6
# (0x21, 36 address bytes) with the client's address and port; an IPv4
# client through the same IPv6 backend still gets a TCP over IPv4 header.
proxy_start "$work/proxy-pp2v6.log" --backend "[2001:db8::1]:8091,name=v6" --proxy-protocol \
	--http --name proxy-pp2v6 || fail "hso-proxy (IPv6 backend) did not attach"
out=$(pp2_curl -6 --tlsv1.3 --resolve "ec.test:443:[2001:db8::2]" https://ec.test/v6)
json=$(echo "$out" | head -n -1)
read -r lport code <<<"$(echo "$out" | tail -1)"
[ "$code" = 200 ] || fail "IPv6 client, IPv6 backend: HTTP $code: $json"
check_json "$json" "d['family'] == 'tcp6' and d['src'] == '2001:db8::1' and d['src_port'] == $lport \
and d['dst'] == '2001:db8::2' and d['dst_port'] == 443 and d['header_len'] == 16 + 36 + 10 + 11 + 43 \
and d['authority'] == 'ec.test' and d['alpn'] == 'http/1.1' and d['ssl_version'] == 'TLSv1.3' \
and d['tlv_types'] == [1, 2, 32] and d['request'] == 'GET /v6 HTTP/1.1'" \
	"PROXY v2 over IPv6, client port $lport" || fail "PROXY v2 header for an IPv6 client"
echo "PROXY v2, IPv6 client through an IPv6 backend: $json"
out=$(pp2_curl --tlsv1.2 --tls-max 1.2 "${resolve[@]}" https://ec.test/v4)
json=$(echo "$out" | head -n -1)
read -r lport code <<<"$(echo "$out" | tail -1)"
[ "$code" = 200 ] || fail "IPv4 client, IPv6 backend: HTTP $code: $json"
check_json "$json" "d['family'] == 'tcp4' and d['src'] == '198.18.0.1' and d['src_port'] == $lport \
and d['dst'] == '198.18.0.2' and d['dst_port'] == 443 and d['ssl_version'] == 'TLSv1.2'" \
	"PROXY v2, IPv4 client, IPv6 backend" || fail "PROXY v2 header for an IPv4 client (IPv6 backend)"
echo "PROXY v2, IPv4 client through the IPv6 backend: family tcp4, 198.18.0.1:$lport: ok"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (IPv6 backend): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "d['hso_proxy']['pp2_headers'] == 2 and d['hso_proxy']['sessions'] == 2 \
and d['hso_proxy']['backends'][0]['connect_ok'] == 2 \
and d['hso_proxy']['backends'][0]['address'] == '[2001:db8::1]:8091'" \
	"hso-proxy counters (IPv6 backend)" || fail "hso-proxy (IPv6 backend) counters"

# --- lossless both ways, under backpressure: echo backends ----------------------
# A fast echo, and a slow one (4 KiB reads 5 ms apart, small socket buffers)
# that fills the proxy's socket: DATA events stay held, hsod's budget closes
# the client's window. --stall: the client does not read, hso_app_send()
# says -EAGAIN, the proxy stops reading the echo. Every byte verified.
ip netns exec "$NS" python3 "$here/proxy_backend.py" --listen 198.18.0.1:8083 --mode echo >"$work/echo1.log" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
ip netns exec "$NS" python3 "$here/proxy_backend.py" --listen 198.18.0.1:8084 --mode echo --slow-ms 5 \
	--read-size 4096 --rcvbuf 4096 >"$work/echo2.log" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
for _ in $(seq 1 50); do
	grep -q "^ready" "$work/echo1.log" && grep -q "^ready" "$work/echo2.log" && break
	sleep 0.1
done
echo_client=(python3 "$here/app_echo.py" --host 198.18.0.2 --port 443 --ca "$work/ec.test.pem" --sni ec.test)
proxy_start "$work/proxy-echo.log" --backend 198.18.0.1:8083,name=fast --name proxy-echo --buffers 4 ||
	fail "hso-proxy (echo) did not attach"
for v in 1.3 1.2; do
	out=$(in_ns "${echo_client[@]}" --tls $v --conns 20 --bytes 262144 --deadline 60) ||
		fail "echo through hso-proxy, TLS $v: $out"
	echo "echo through hso-proxy, TLS $v, 20 x 256 KiB random-sized writes: $out"
done
out=$(in_ns "${echo_client[@]}" --tls 1.3 --stall --bytes 4000000 --stall-seconds 2 --deadline 60) ||
	fail "echo through hso-proxy, client not reading: $out"
echo "client not reading for 2 s while sending 4 MB: $out"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (echo): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "(lambda p: p['dropped_bytes'] == 0 and p['client_send_eagain'] > 0 \
and p['held_events'] == 0 and p['client_bytes'] == p['backend_bytes'] == 2 * 20 * 262144 + 4000000)(d['hso_proxy'])" \
	"hso-proxy counters" || fail "hso-proxy (echo, fast) counters"
echo "  fast echo: $(echo "$PROXY_JSON" | python3 -c 'import json,sys; p=json.load(sys.stdin)["hso_proxy"]; print("client_send_eagain=%d read_buffer_waits=%d (4 buffers) held_peak=%d dropped_bytes=%d" % (p["client_send_eagain"], p["read_buffer_waits"], p["held_peak"], p["dropped_bytes"]))')"
proxy_start "$work/proxy-slow.log" --backend 198.18.0.1:8084,name=slow --name proxy-slow \
	--sndbuf 8192 --rcvbuf 8192 ||
	fail "hso-proxy (slow echo) did not attach"
out=$(in_ns "${echo_client[@]}" --tls 1.3 --conns 4 --bytes 1000000 --deadline 60) ||
	fail "slow echo through hso-proxy: $out"
echo "slow echo through hso-proxy, 4 x 1 MB: $out"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (slow echo): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "(lambda p: p['dropped_bytes'] == 0 and p['backend_write_blocked'] > 0 \
and p['held_peak'] > 4 and p['conn_queue_overflows'] == 0 and p['held_events'] == 0 \
and p['client_bytes'] == p['backend_bytes'] == 4 * 1000000)(d['hso_proxy'])" \
	"hso-proxy counters" || fail "hso-proxy (slow echo) counters"
echo "  slow echo: $(echo "$PROXY_JSON" | python3 -c 'import json,sys; p=json.load(sys.stdin)["hso_proxy"]; print("backend_write_blocked=%d held_peak=%d client_send_eagain=%d dropped_bytes=%d" % (p["backend_write_blocked"], p["held_peak"], p["client_send_eagain"], p["dropped_bytes"]))')"

# --- a hung backend: --timeout, then 502 (counted) ------------------------------
ip netns exec "$NS" python3 "$here/proxy_backend.py" --listen 198.18.0.1:8085 --mode silent >"$work/silent.log" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
for _ in $(seq 1 50); do
	grep -q "^ready" "$work/silent.log" && break
	sleep 0.1
done
proxy_start "$work/proxy-silent.log" --backend 198.18.0.1:8085 --http --timeout 500 \
	--max-conns 1 --name proxy-silent || fail "hso-proxy (hung backend) did not attach"
start=$(date +%s%N)
in_ns curl -sk --max-time 10 https://198.18.0.2/ -w ' %{http_code}' >"$work/silent.out" &
curl_pid=$!
sleep 0.2
# --max-conns 1: a second session at once is closed cleanly, counted.
in_ns curl -sk --max-time 10 https://198.18.0.2/ -o /dev/null
rc=$?
[ "$rc" -eq 52 ] || fail "--max-conns 1, second connection: curl exit $rc (want 52, empty reply)"
wait "$curl_pid"
out=$(cat "$work/silent.out")
ms=$((($(date +%s%N) - start) / 1000000))
[ "$out" = "502 Bad Gateway
 502" ] && [ "$ms" -ge 400 ] && [ "$ms" -lt 3000 ] ||
	fail "hung backend, --timeout 500: '$out' after $ms ms"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (hung backend): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "d['hso_proxy']['backend_idle_timeouts'] == 1 and d['hso_proxy']['http_502'] == 1 \
and d['hso_proxy']['table_full'] == 1" "hso-proxy counters" || fail "hso-proxy (hung backend) counters"
echo "hung backend, --timeout 500: 502 after $ms ms, counted (backend_idle_timeouts); --max-conns 1: second session closed (table_full)"

# --- a backend that drops SYNs: connect timeout, retry elsewhere, passive fall --
if in_ns nft add table inet pxdrop 2>/dev/null; then
	in_ns nft 'add chain inet pxdrop o { type filter hook output priority 0; }'
	in_ns nft 'add rule inet pxdrop o tcp dport 8086 drop'
	proxy_start "$work/proxy-drop.log" --backend 198.18.0.1:8086,name=black \
		--backend 198.18.0.1:8080,name=A --connect-timeout 300 --check-interval 0 --fall 2 \
		--http --name proxy-drop || fail "hso-proxy (SYN drop) did not attach"
	for i in 1 2 3 4; do
		out=$(in_ns curl -sk --max-time 10 https://198.18.0.2/)
		[ "$out" = "hello from nginx A" ] || fail "SYN-dropping backend, request $i: '$out'"
	done
	proxy_stop
	rc=$?
	[ "$rc" -eq 0 ] || fail "hso-proxy (SYN drop): exit status $rc after SIGTERM"
	check_json "$PROXY_JSON" "(lambda p: p['connect_timeout'] == 2 and p['retries'] == 2 \
and p['backends'][0]['up'] is False and p['backends'][0]['passive_failures'] == 2 \
and p['backends'][1]['connect_ok'] == 4)(d['hso_proxy'])" "hso-proxy counters" ||
		fail "hso-proxy (SYN drop) counters"
	in_ns nft delete table inet pxdrop
	echo "backend dropping SYNs: 2 connect timeouts (300 ms) retried on A, then DOWN (fall 2, passive): 4 of 4 requests ok"
else
	echo "skip (partial): no nftables in the namespace, connect-timeout case not run"
fi

# --- HTTP health checks next to TCP ones ----------------------------------------
# One backend server (proxy_backend.py --mode health) under six names, each
# checked differently: HTTP checks of /ok (200), /204 wanting 204, /503, a
# non-HTTP answer, a 3 s answer (check timeout 500 ms), and a TCP check.
# The 503, malformed and slow ones are taken out although their TCP
# connects succeed (the TCP-checked one stays in); traffic goes only to
# the healthy ones.
ip netns exec "$NS" python3 "$here/proxy_backend.py" --listen 198.18.0.1:8087 --mode health >"$work/health.log" 2>&1 &
NETNS_PIDS="$NETNS_PIDS $!"
for _ in $(seq 1 50); do
	grep -q "^ready" "$work/health.log" && break
	sleep 0.1
done
grep -q "^ready" "$work/health.log" || fail "health backend did not start: $(cat "$work/health.log")"
cat >"$work/health.ini" <<EOF
[proxy]
name = proxy-health
check = http
check_path = /ok
check_interval = 100
check_timeout = 500
fall = 2
rise = 2
http = yes

[backend ok]
address = 198.18.0.1:8087

[backend nocontent]
address = 198.18.0.1:8087
check_path = /204
check_status = 204

[backend sick]
address = 198.18.0.1:8087
check_path = /503

[backend junk]
address = 198.18.0.1:8087
check_path = /junk

[backend slow]
address = 198.18.0.1:8087
check_path = /slow

[backend tcp]
address = 198.18.0.1:8087
check = tcp
EOF
proxy_start "$work/proxy-health.log" --config "$work/health.ini" --stats-interval 1 ||
	fail "hso-proxy (HTTP checks) did not attach"
wait_proxy "(lambda b: b['ok']['up'] and b['nocontent']['up'] and b['tcp']['up'] \
and not b['sick']['up'] and not b['junk']['up'] and not b['slow']['up'])({x['name']: x for x in d['backends']})" 8 ||
	fail "HTTP checks: wrong backends in service"
seen=$(for _ in $(seq 1 12); do in_ns curl -sk --max-time 10 https://198.18.0.2/x; done | sort | uniq -c)
grep -q "12 hello from health backend" <<<"$seen" || fail "through the HTTP-checked pool: $seen"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (HTTP checks): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "(lambda b: b['sick']['last_check'] == 'status 503, want 200' \
and b['junk']['last_check'] == 'malformed response' and b['slow']['last_check'] == 'timeout' \
and b['ok']['last_check'] == 'ok' and b['nocontent']['last_check'] == 'ok' \
and b['tcp']['check'] == 'tcp' and b['sick']['check'] == 'http' \
and b['sick']['conns'] == 0 and b['junk']['conns'] == 0 and b['slow']['conns'] == 0 \
and b['ok']['conns'] + b['nocontent']['conns'] + b['tcp']['conns'] == 12 \
and b['sick']['went_down'] == 1 and b['sick']['checks_failed'] >= 2)({x['name']: x for x in d['hso_proxy']['backends']})" \
	"hso-proxy counters" || fail "hso-proxy (HTTP checks) counters"
counts=$(in_ns curl -s --max-time 5 http://198.18.0.1:8087/counts)
check_json "$counts" "d.get('/503', 0) >= 2 and d.get('/204', 0) >= 2 and d.get('/ok', 0) >= 2" \
	"health backend's request counts" || fail "the HTTP checks did not reach the backend"
echo "HTTP checks: /503, a malformed answer and a 3 s answer taken out while TCP connects succeed (the TCP-checked entry stays); /ok and /204 (want 204) in; 12 of 12 requests to healthy backends"

# --- leastconn under maxconn (a config file): connections wait for a slot -------
cat >"$work/lc.ini" <<EOF
[proxy]
balance = leastconn     # fewest connections per unit of weight
name = proxy-lc
queue_timeout = 5000

[backend A]
address = 198.18.0.1:8080
maxconn = 2

[backend B]
address = 198.18.0.1:8082
maxconn = 2
EOF
proxy_start "$work/proxy-lc.log" --config "$work/lc.ini" || fail "hso-proxy (leastconn) did not attach"
wrk_run 2 "$work/wrk-lc.log"
reqs=$(wrk_reqs "$work/wrk-lc.log")
[ -n "$reqs" ] && [ "$reqs" -ge 20 ] && [ "$(wrk_errors "$work/wrk-lc.log")" -eq 0 ] ||
	fail "wrk, leastconn, maxconn 2+2 for 8 connections: $(cat "$work/wrk-lc.log")"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (leastconn): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "(lambda p: p['queued'] > 0 and p['queue_timeouts'] == 0 and p['http_502'] == 0 \
and all(b['full'] > 0 and b['conns'] > 10 for b in p['backends']))(d['hso_proxy'])" \
	"hso-proxy counters" || fail "hso-proxy (leastconn, maxconn) counters"
echo "leastconn, maxconn 2 each, wrk -c8 2 s: $reqs requests, no errors; $(echo "$PROXY_JSON" | python3 -c 'import json,sys; p=json.load(sys.stdin)["hso_proxy"]; print("queued=%d, conns A=%d B=%d" % (p["queued"], p["backends"][0]["conns"], p["backends"][1]["conns"]))')"

# --- nginx pool -------------------------------------------------------------------
proxy_start "$work/proxy.log" --backend 198.18.0.1:8080,name=A --backend 198.18.0.1:8082,name=B \
	--http --check-interval 100 --fall 2 --rise 2 --connect-timeout 1000 --timeout 10000 \
	--stats-interval 1 || fail "hso-proxy did not attach"
for v in "--tlsv1.3" "--tlsv1.2 --tls-max 1.2"; do
	# shellcheck disable=SC2086
	out=$(in_ns curl -sk --max-time 10 $v "${resolve[@]}" https://ec.test/)
	case "$out" in
	"hello from nginx A" | "hello from nginx B") ;;
	*) fail "curl $v through hso-proxy: '$out'" ;;
	esac
done
seen=$(for _ in $(seq 1 10); do in_ns curl -sk --max-time 10 https://198.18.0.2/; done | sort | uniq -c)
grep -q "5 hello from nginx A" <<<"$seen" && grep -q "5 hello from nginx B" <<<"$seen" ||
	fail "round robin over A and B: $seen"
echo "curl through hso-proxy: TLS 1.3 and 1.2 ok; 10 requests round robin: $(echo $seen)"

wrk_run 5 "$work/wrk1.log"
reqs=$(wrk_reqs "$work/wrk1.log")
[ -n "$reqs" ] && [ "$reqs" -ge 100 ] && [ "$(wrk_errors "$work/wrk1.log")" -eq 0 ] ||
	fail "wrk through hso-proxy: $(cat "$work/wrk1.log")"
echo "wrk 5 s (Connection: close): $reqs requests, $(awk '/Requests\/sec/ {print $2}' "$work/wrk1.log") req/s, no errors, all 200"

# Kill B during a run: its health check takes it out; at most the in-flight
# requests (wrk -c8) fail at the kill.
wrk_run 6 "$work/wrk2.log" &
wrk_pid=$!
sleep 2
stop_pid "$NGINX_B"
echo "nginx B (pid $NGINX_B) killed during wrk"
wait "$wrk_pid"
errs=$(wrk_errors "$work/wrk2.log")
reqs=$(wrk_reqs "$work/wrk2.log")
[ -n "$reqs" ] && [ "$reqs" -ge 100 ] && [ "$errs" -le 8 ] ||
	fail "wrk across the kill of B: $errs errors: $(cat "$work/wrk2.log")"
wait_proxy "d['backends'][1]['up'] is False and d['backends'][1]['went_down'] == 1 and d['backends'][0]['up'] is True" 3 ||
	fail "B not taken out"
echo "wrk across the kill of B: $reqs requests, $errs errors (in flight at the kill); B is DOWN"
wrk_run 2 "$work/wrk3.log"
reqs=$(wrk_reqs "$work/wrk3.log")
[ -n "$reqs" ] && [ "$reqs" -ge 20 ] && [ "$(wrk_errors "$work/wrk3.log")" -eq 0 ] ||
	fail "wrk with B down: $(cat "$work/wrk3.log")"
echo "wrk 2 s with B down: $reqs requests, no errors"

# B back: two good checks (rise 2) and it takes traffic again.
nginx_start B 8082 || fail "nginx B did not restart"
wait_proxy "d['backends'][1]['up'] is True and d['backends'][1]['went_up'] == 1" 3 || fail "B not put back"
seen=$(for _ in $(seq 1 6); do in_ns curl -sk --max-time 10 https://198.18.0.2/; done | sort | uniq -c)
grep -q "hello from nginx B" <<<"$seen" || fail "B back in service but gets nothing: $seen"
echo "nginx B restarted: UP again, takes requests: $(echo $seen)"

# All down: 502 at once (no hang), counted.
stop_pid "$NGINX_A"
stop_pid "$NGINX_B"
start=$(date +%s%N)
out=$(in_ns curl -sk --max-time 10 https://198.18.0.2/ -w ' %{http_code}')
ms=$((($(date +%s%N) - start) / 1000000))
[ "$out" = "502 Bad Gateway
 502" ] || fail "all backends down, --http: '$out'"
[ "$ms" -lt 2000 ] || fail "all backends down: the 502 took $ms ms"
wait_proxy "d['backends'][0]['up'] is False and d['backends'][1]['up'] is False" 3 || fail "A and B not DOWN"
out=$(in_ns curl -sk --max-time 10 https://198.18.0.2/ -w ' %{http_code}')
[ "$out" = "502 Bad Gateway
 502" ] || fail "all backends DOWN, --http: '$out'"
echo "all backends down: 502 Bad Gateway in $ms ms"
# hsod's HSO_EV_CLOSED of the last connection, then stop.
wait_proxy "d['active'] == 0" 3 || fail "connections left open in hso-proxy"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy: exit status $rc after SIGTERM"
echo "hso-proxy stats: $(echo "$PROXY_JSON" | cut -c1-600)..."
check_json "$PROXY_JSON" "(lambda p: p['active'] == 0 and p['http_502'] >= 2 and p['backends_down'] >= 3 \
and p['backends_up'] == 1 and p['checks_failed'] >= 4 and p['no_backend'] >= 1 and p['held_events'] == 0 \
and p['sessions'] == p['closes_done'] + p['closes_reset'] + p['closes_timeout'] + p['closes_aborted'] + p['closes_tls_error'] \
and p['backends'][0]['conns'] > 100 and p['backends'][1]['conns'] > 100)(d['hso_proxy'])" \
	"hso-proxy counters" || fail "hso-proxy counters"

# Without --http the client gets a clean close (close_notify, FIN): an empty reply, fast.
proxy_start "$work/proxy-tcp.log" --backend 198.18.0.1:8080 --connect-timeout 500 ||
	fail "hso-proxy (TCP) did not attach"
start=$(date +%s%N)
in_ns curl -sk --max-time 10 https://198.18.0.2/ -o /dev/null
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
[ "$rc" -eq 52 ] && [ "$ms" -lt 2000 ] || fail "backend down, no --http: curl exit $rc in $ms ms (want 52, empty reply)"
echo "backend down, no --http: clean close, curl 'empty reply' in $ms ms"
proxy_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-proxy (TCP): exit status $rc after SIGTERM"
check_json "$PROXY_JSON" "d['hso_proxy']['connect_refused'] >= 1 and d['hso_proxy']['http_502'] == 0" \
	"hso-proxy counters" || fail "hso-proxy (TCP) counters"

stop_pid "$PYBE"
stop_pid "$PYBE6"
hsod_stop 15
rc=$?
[ "$rc" -eq 0 ] || fail "hsod: exit status $rc after SIGTERM"
echo "PASS"
