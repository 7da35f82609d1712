#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Servers compared with the same generator, in one run: hso-gen on
# net_af_packet (lcore 1, CPU 1) against nginx (one worker on CPU 0, the
# kernel's TCP) over one veth pair, and against hsod (lcore 0, CPU 0) on
# net_af_packet over another, in a network namespace of our own. The cases
# of bench/e2e_memif.sh (TLS 1.2 RSA key exchange, TLS 1.2 ECDHE-RSA, TLS
# 1.3 X25519+ECDSA P-256 and X25519+RSA-PSS, TLS 1.2 resumed by ticket, TLS
# 1.3 resumed with PSK+ECDHE), hso-gen in load mode, closed loop, closing
# with FIN. For each server and case over the same seconds of load:
# handshakes/s (hso-gen's count), latency p50/p99, errors, and the server's
# cost per handshake:
#   hsod:  busy µs per handshake (its own cycle counters) and busy fraction
#   nginx: its process CPU time (user + system, /proc/PID/stat) per
#          handshake, and CPU 0's whole non-idle time per handshake
#          (/proc/stat: nginx plus the kernel work that ran there; the
#          kernel's TCP for packets hso-gen sends runs partly on CPU 1, in
#          the veth's receive path, and is in neither figure)
# with the asymmetric floor of the case from hso-bench in the same run and
# floor / cost as efficiency. Prints one JSON object. Needs root and nginx.
#
# usage: bench/e2e_kernel.sh BUILD_DIR [SECONDS] [CASE...]
set -uo pipefail
build=$1
secs=${2:-5}
shift 2 2>/dev/null || shift $#
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(tls12_rsa_kx tls12_ecdhe_rsa tls13_ecdsa tls13_rsa_pss
	tls12_resumed_ticket tls13_resumed_psk_dhe)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/netns/lib.sh
. "$here/../tests/netns/lib.sh"
work=$NETNS_WORK
CONC=${HSO_E2E_CONCURRENCY:-64}
WARMUP=${HSO_E2E_WARMUP:-2}

command -v nginx >/dev/null || { echo '{"error": "nginx not installed (deploy/setup.sh)"}'; exit 77; }
netns_require "hso-e2ek-$$"
for kind in ec rsa; do
	make_cert "$work" hso.test $kind || exit 1
	mv "$work/hso.test.pem" "$work/$kind.pem" && mv "$work/hso.test.key" "$work/$kind.key"
done
floors=$("$build/bench/hso-bench" --benchmark_filter='^asym_floor/' --benchmark_format=json \
	2>/dev/null | python3 -c '
import json, sys
print(json.dumps({b["name"].split("/")[1]: b["us_per_handshake"] for b in json.load(sys.stdin)["benchmarks"]}))
')

# Two veth pairs: hso-kn0 (the kernel, nginx) / hso-kn1 (hso-gen), and
# hso-kh0 (hsod) / hso-kh1 (hso-gen). No offloads: packet sockets read whole
# frames with their checksums.
for p in kn kh; do
	in_ns ip link add hso-${p}0 type veth peer name hso-${p}1 || exit 77
	for i in 0 1; do
		in_ns ethtool -K hso-${p}$i tx off tso off gso off gro off >/dev/null 2>&1
		in_ns ip link set hso-${p}$i up
	done
done
in_ns ip addr add 198.18.0.2/24 dev hso-kn0

mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<EOF
worker_processes 1;
master_process off;
events { worker_connections 16384; }
http {
	access_log off;
	client_body_temp_path $work/nginx/body;
	proxy_temp_path $work/nginx/proxy;
	fastcgi_temp_path $work/nginx/fastcgi;
	uwsgi_temp_path $work/nginx/uwsgi;
	scgi_temp_path $work/nginx/scgi;
	ssl_protocols TLSv1.2 TLSv1.3;
	ssl_ciphers ECDHE+AESGCM:RSA+AESGCM;
	ssl_session_cache shared:SSL:16m;
	ssl_session_tickets on;
	server {
		listen 198.18.0.2:443 ssl backlog=16384;
		server_name hso.test;
		ssl_certificate $work/ec.pem;
		ssl_certificate_key $work/ec.key;
		ssl_certificate $work/rsa.pem;
		ssl_certificate_key $work/rsa.key;
		location / { return 200 "hi\n"; }
	}
}
EOF
# Not through in_ns(): $! must be nginx's own PID (ip netns exec and taskset exec it).
ip netns exec "$NS" taskset -c 0 nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" \
	-g "daemon off; pid $work/nginx/nginx.pid; error_log $work/nginx/error.log;" \
	>"$work/nginx/out.log" 2>&1 &
NGINX_PID=$!
NETNS_PIDS="$NETNS_PIDS $NGINX_PID"
HSOD_LCORES=0 hsod_launch "$build/dataplane/hsod" "hsoe2ek$$" "net_af_packet0,iface=hso-kh0" \
	--addr 198.18.0.2/24 --listen 443 --cert "$work/ec.pem" --key "$work/ec.key" \
	--cert "$work/rsa.pem" --key "$work/rsa.key" --max-conns 16384 ||
	{ echo '{"error": "hsod not ready"}'; exit 1; }
taskset -pc 0 "$HSOD_PID" >/dev/null
sleep 0.5

case_flags() {
	case $1 in
	tls12_rsa_kx) echo "tls12_rsa_kx --tls 1.2 --suites TLS_RSA_WITH_AES_128_GCM_SHA256" ;;
	tls12_ecdhe_rsa) echo "tls12_ecdhe_rsa --tls 1.2 --suites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 \
--groups x25519 --sigalgs rsa_pkcs1_sha256" ;;
	tls13_ecdsa) echo "tls13_x25519_ecdsa_p256 --tls 1.3 --groups x25519 --sigalgs ecdsa_secp256r1_sha256" ;;
	tls13_rsa_pss) echo "tls13_x25519_rsa_pss --tls 1.3 --groups x25519 --sigalgs rsa_pss_rsae_sha256" ;;
	tls12_resumed_ticket) echo "none --tls 1.2 --suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 \
--groups x25519 --resume 1 --resume-kind ticket" ;;
	tls13_resumed_psk_dhe) echo "tls13_resumed_psk_dhe --tls 1.3 --groups x25519 --resume 1 \
--resume-kind psk_dhe" ;;
	*) return 1 ;;
	esac
}

# CPU 0's non-idle and nginx's own jiffies, as one JSON object.
cpu_snap() {
	python3 - "$NGINX_PID" <<'PY'
import json, os, sys
pid = sys.argv[1]
cpu0 = [l for l in open("/proc/stat") if l.startswith("cpu0 ")][0].split()[1:]
v = list(map(int, cpu0))
busy0 = sum(v) - v[3] - v[4]             # all but idle and iowait
try:
    st = open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()
    proc = int(st[11]) + int(st[12])     # utime + stime
except OSError:
    proc = 0
print(json.dumps({"cpu0": busy0, "nginx": proc, "hz": os.sysconf("SC_CLK_TCK")}))
PY
}

n=0
run_case() { # SERVER CASE
	local server=$1 name=$2 spec floor out before after cb ca gpid iface
	spec=$(case_flags "$name") || { echo "{\"case\": \"$name\", \"error\": \"unknown case\"}"; return; }
	floor=${spec%% *}
	n=$((n + 1))
	out=$work/$server-$name.json
	iface=hso-kn1
	[ "$server" = hsod ] && iface=hso-kh1
	# shellcheck disable=SC2086
	GEN_TIMEOUT=$((secs + WARMUP + 60)) gen_run "$build/dataplane/gen/hso-gen" "hsoe2ekg$$$n" \
		"net_af_packet0,iface=$iface" "$out" --target 198.18.0.2:443 --addr 198.18.0.1/24 \
		--sni hso.test --concurrency "$CONC" --close fin --warmup "$WARMUP" \
		--duration "$secs" --sources 198.18.0.10-198.18.0.250 ${spec#* } &
	gpid=$!
	for _ in $(seq 1 300); do
		grep -q "^hso-gen: *1s" "$out.err" 2>/dev/null && break
		kill -0 "$gpid" 2>/dev/null || break
		sleep 0.1
	done
	sleep "$WARMUP"
	if [ "$server" = hsod ]; then before=$(hso_stats); else before=$(cpu_snap); fi
	sleep "$secs"
	if [ "$server" = hsod ]; then after=$(hso_stats); else after=$(cpu_snap); fi
	wait "$gpid"
	python3 - "$server" "$name" "$out" "$before" "$after" "$floors" "$floor" "$secs" <<'PY'
import json, sys
server, name, out, before, after, floors, floor_name, secs = sys.argv[1:9]
b, a, floors, secs = json.loads(before), json.loads(after), json.loads(floors), float(secs)
try:
    g = json.load(open(out))
except Exception:
    print(json.dumps({"server": server, "case": name, "error": "no JSON from hso-gen",
                      "stderr": open(out + ".err").read()[-400:]}))
    sys.exit(0)
floor = floors.get(floor_name)
rate = g["hs_per_s"]
r = {"server": server, "case": name, "handshakes_per_s": rate,
     "latency_us": {k: g["latency_us"][k] for k in ("p50", "p99")},
     "negotiated": {k: g["negotiated"][k] for k in ("version", "suite")},
     "resumed_ratio": g["resumed_ratio"], "errors": g["errors"]["total"],
     "gen_busy_us_per_handshake": g["gen_busy_us_per_hs"], "asym_floor_us": floor}
if server == "hsod":
    hs = a["handshakes_completed"] - b["handshakes_completed"]
    busy, idle = a["busy_cycles"] - b["busy_cycles"], a["idle_cycles"] - b["idle_cycles"]
    us = busy / max(hs, 1) / a["tsc_hz"] * 1e6
    r.update({"server_us_per_handshake": round(us, 2),
              "server_busy_fraction": round(busy / max(busy + idle, 1), 3)})
else:
    hs = max(rate * secs, 1)
    us = (a["nginx"] - b["nginx"]) / a["hz"] * 1e6 / hs
    r.update({"server_us_per_handshake": round(us, 2),
              "cpu0_us_per_handshake": round((a["cpu0"] - b["cpu0"]) / a["hz"] * 1e6 / hs, 2),
              "cpu0_busy_fraction": round((a["cpu0"] - b["cpu0"]) / a["hz"] / secs, 3)})
r["efficiency"] = round(floor / us, 3) if floor and us > 0 else None
print(json.dumps(r))
PY
}

echo "{\"machine\": {\"cpus\": $(nproc), \"load_avg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"},"
echo " \"seconds\": $secs, \"concurrency\": $CONC, \"asym_floor_us\": $floors,"
echo " \"cases\": ["
first=1
for c in "${cases[@]}"; do
	for s in nginx hsod; do
		[ $first -eq 1 ] || echo ","
		first=0
		run_case "$s" "$c"
	done
done
echo "]}"
hsod_stop 10 >/dev/null
