#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod on several DPDK drivers, each set up here, inside a network namespace
# of our own (kernel 198.18.0.1/24, hsod 198.18.0.2; no traffic leaves the
# namespace), with TX checksums offloaded and computed in software:
#   1. net_af_packet over a veth pair (hso-v0 kernel side, hso-v1 hsod's)
#   2. the same with [net] tx_offload = 0 (software checksums)
#   3. net_af_xdp on the same veth (skipped, reason printed, where the
#      kernel or the PMD cannot: XDP is optional here)
#   4. net_tap, which offers IPv4/TCP checksum offload: used
#   5. net_tap with --no-tx-offload: computed in software instead
# Each: the offloads hsod reports using match what the port offers (and the
# flag); curl with TLS 1.3 and 1.2 gets 200 and the whole body; 300 new
# handshakes (Python ssl, both versions, each with a request) all succeed.
# The kernel drops segments with a bad IPv4 or TCP checksum, so success
# proves ours right; its counters (Ip InHdrErrors, Tcp InCsumErrors) must
# also stay 0.
# Exit 77 (skip, reason printed) without root, namespaces, TUN or veth.
#
# usage: tests/netns/hsod_ports.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK
HANDSHAKES=${HSO_PORTS_HANDSHAKES:-300}

# The kernel's checksum-error counters in the namespace.
csum_errors() {
	in_ns nstat -asz 2>/dev/null |
		awk '$1 == "IpInHdrErrors" || $1 == "TcpInCsumErrors" { s += $2 } END { print s + 0 }'
}

netns_require "hso-ports-$$"
if ! in_ns ip link add hso-v0 type veth peer name hso-v1 2>"$work/veth.err"; then
	echo "skip: cannot create a veth pair: $(cat "$work/veth.err")"
	exit 77
fi
make_cert "$work" hso.test ec || fail "openssl req"
# An odd length, a little under the 1 KiB the responder takes.
body=$(head -c 1001 /dev/zero | tr '\0' 'b')
common=(--addr 198.18.0.2/24 --listen 443 --cert "$work/hso.test.pem"
	--key "$work/hso.test.key" --http-body "$body")

# The kernel side of the veth: our address, and no checksum or segmentation
# offload, so that what hsod's port reads is complete frames with their
# checksums (a packet socket or XDP on the peer would see partial checksums
# and 64 KB GSO frames otherwise).
in_ns ip addr add 198.18.0.1/24 dev hso-v0
in_ns ethtool -K hso-v0 tx off tso off gso off gro off >/dev/null 2>&1 ||
	fail "ethtool -K hso-v0: cannot turn checksum offload off"
in_ns ethtool -K hso-v1 gro off >/dev/null 2>&1
in_ns ip link set hso-v0 up
in_ns ip link set hso-v1 up

# What the checks below rest on: the kernel counts and drops a TCP segment
# whose checksum is wrong. One from hso-v1, checksum off by one.
in_ns python3 - <<'PY' || fail "could not send a frame on hso-v1"
import socket, struct
def mac(i): return bytes.fromhex(open("/sys/class/net/%s/address" % i).read().strip().replace(":", ""))
def csum(b):
    b += b"\0" * (len(b) & 1)
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
src, dst = socket.inet_aton("198.18.0.2"), socket.inet_aton("198.18.0.1")
tcp = struct.pack("!HHIIBBHHH", 40000, 9, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
good = csum(src + dst + struct.pack("!BBH", 0, 6, len(tcp)) + tcp)
tcp = tcp[:16] + struct.pack("!H", good ^ 1) + tcp[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 1, 0x4000, 64, 6, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("hso-v1", 0))
s.send(mac("hso-v0") + mac("hso-v1") + b"\x08\x00" + ip + tcp)
PY
for _ in $(seq 1 20); do
	[ "$(csum_errors)" -gt 0 ] && break
	sleep 0.1
done
[ "$(csum_errors)" -gt 0 ] || fail "the kernel did not count a TCP segment with a bad checksum"
csum_base=$(csum_errors)
echo "kernel: a bad TCP checksum is counted and dropped (premise of the checks)"

# veth_start PREFIX VDEV [hsod args]: hsod on VDEV (lib.sh's hsod_launch).
veth_start() {
	local prefix=$1 vdev=$2
	shift 2
	hsod_launch "$hsod" "$prefix" "$vdev" "$@"
}

# offloads_check WHAT USED_TX: print the line hsod logged, check its TX part.
offloads_check() {
	local line
	line=$(grep "checksum offloads" "$HSOD_LOG") || fail "$1: no offload line in hsod's log"
	echo "$1: ${line#hsod: }"
	case "$line" in
	*"tx $2"|*"tx $2 (tx_offload = no)") ;;
	*) fail "$1: expected TX checksum offloads '$2' in use: $line" ;;
	esac
}

# traffic WHAT: ping, curl TLS 1.3 and 1.2, then $HANDSHAKES handshakes.
traffic() {
	local what=$1 v out
	in_ns ping -c 2 -i 0.2 -W 2 198.18.0.2 >"$work/ping.log" 2>&1 ||
		fail "$what: ping: $(cat "$work/ping.log")"
	for v in "--tlsv1.3" "--tlsv1.2 --tls-max 1.2"; do
		# shellcheck disable=SC2086
		out=$(in_ns curl -sk --max-time 10 $v https://198.18.0.2/ -w ' %{http_code}')
		[ "$out" = "$body 200" ] || fail "$what: curl $v: '${out:0:80}...' (${#out} bytes)"
	done
	echo "  curl TLS 1.3 and 1.2: 200 and the body"
	in_ns python3 - "$HANDSHAKES" "${#body}" <<'PY' || fail "$what: handshakes failed (hsod's tcp_csum_bad $(hsod_csum_bad))"
import socket, ssl, sys, time
n, body_len = int(sys.argv[1]), int(sys.argv[2])
ctxs = []
for v in (ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = c.maximum_version = v
    ctxs.append(c)
ok, errs, t0 = 0, {}, time.time()
for i in range(n):
    try:
        with socket.create_connection(("198.18.0.2", 443), timeout=5) as s:
            with ctxs[i % 2].wrap_socket(s, server_hostname="hso.test") as ts:
                ts.sendall(b"GET / HTTP/1.1\r\nHost: hso.test\r\nConnection: close\r\n\r\n")
                data = b""
                while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < body_len:
                    d = ts.recv(65536)
                    if not d:
                        break
                    data += d
        head, _, got = data.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 200") and got == b"b" * body_len:
            ok += 1
        else:
            errs["bad response"] = errs.get("bad response", 0) + 1
    except Exception as e:
        errs[type(e).__name__] = errs.get(type(e).__name__, 0) + 1
took = time.time() - t0
print("  %d/%d handshakes (TLS 1.3 and 1.2) in %.1f s%s" %
      (ok, n, took, " errors: %s" % errs if errs else ""))
sys.exit(0 if ok == n else 1)
PY
}

# phase_end WHAT: stop hsod cleanly; the kernel saw no bad checksum.
# TCP segments hsod dropped for a bad checksum (tcp_csum_bad): none of the
# kernel's may be (a right checksum that folds to zero may come as 0xffff).
hsod_csum_bad() {
	hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin).get("tcp_csum_bad", 0))'
}

phase_end() {
	local rc bad
	bad=$(hsod_csum_bad)
	[ "$bad" = 0 ] || fail "$1: hsod dropped $bad TCP segments for bad checksums (tcp_csum_bad)"
	hsod_stop 5
	rc=$?
	[ "$rc" -eq 0 ] || fail "$1: hsod exit status $rc after SIGTERM"
	[ "$(csum_errors)" -eq "$csum_base" ] ||
		fail "$1: the kernel counted checksum errors:" \
			"$(in_ns nstat -asz | grep -E 'IpInHdrErrors|TcpInCsumErrors')"
	echo "$1: ok"
}

t_start=$SECONDS

# 1-2. net_af_packet, then with software checksums asked for in the config
# file ([net] tx_offload = 0; the net_tap phase uses the flag).
printf '[net]\ntx_offload = 0\n' >"$work/no-offload.ini"
for opt in "" "--config $work/no-offload.ini"; do
	what="net_af_packet${opt:+ tx_offload = 0}"
	# shellcheck disable=SC2086
	veth_start "hsoports$$p${opt:+n}" net_af_packet0,iface=hso-v1 "${common[@]}" $opt ||
		fail "$what: hsod did not become ready"
	if [ -n "$opt" ] || ! grep -q "offered rx .* tx ipv4_cksum,tcp_cksum;" "$HSOD_LOG"; then
		offloads_check "$what" none
	else
		offloads_check "$what" ipv4_cksum,tcp_cksum
	fi
	[ -z "$opt" ] || grep -q "(tx_offload = no)" "$HSOD_LOG" ||
		fail "$what: hsod did not take tx_offload = 0 from the file"
	traffic "$what"
	phase_end "$what"
done

# 3. net_af_xdp on the same veth, where it can run (XDP in the kernel,
# the PMD and libxdp): optional, so a failure to start is a skip, with why.
if veth_start "hsoports$$x" net_af_xdp0,iface=hso-v1,start_queue=0,queue_count=1 \
	"${common[@]}"; then
	if grep -q "offered rx .* tx ipv4_cksum,tcp_cksum;" "$HSOD_LOG"; then
		offloads_check net_af_xdp ipv4_cksum,tcp_cksum
	else
		offloads_check net_af_xdp none
	fi
	traffic net_af_xdp
	phase_end net_af_xdp
else
	echo "net_af_xdp: skipped: hsod could not use it here:"
	grep -iE "xdp|error|fail|cannot" "$HSOD_LOG" | head -5 | sed 's/^/  hsod: /'
	hsod_stop 2 >/dev/null 2>&1
fi

# 4-5. net_tap, which offers TX checksum offload: used, then not
# (--no-tx-offload). The veth goes first: its address is the one lib.sh
# gives the TAP's kernel side.
in_ns ip link del hso-v0
for flag in "" --no-tx-offload; do
	what="net_tap${flag:+ $flag}"
	# shellcheck disable=SC2086
	hsod_start "$hsod" "hsoports$$t${flag:+n}" "${common[@]}" $flag ||
		fail "$what: hsod did not become ready"
	if [ -n "$flag" ] || ! grep -q "offered rx .* tx ipv4_cksum,tcp_cksum;" "$HSOD_LOG"; then
		offloads_check "$what" none
	else
		offloads_check "$what" ipv4_cksum,tcp_cksum
	fi
	traffic "$what"
	phase_end "$what"
done

echo "hsod_ports: ok ($((SECONDS - t_start)) s)"
