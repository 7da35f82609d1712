#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod with two lcores: the main lcore runs the application and control
# work, lcore 1 is the worker; then with three (two workers, RSS). The HTTP responder and the worker then talk
# through the rings across threads. TLS 1.2 and 1.3 requests must all be
# answered, telemetry must show the one worker on lcore 1, SIGTERM must stop
# both. Exit 77 (skip, reason printed) without root, namespaces, TUN, or a
# second CPU.
#
# usage: tests/netns/hsod_lcores.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK


if [ "$(nproc)" -lt 2 ]; then
	echo "skip: needs two CPUs for two lcores"
	exit 77
fi
netns_require "hso-lcores-$$"
make_cert "$work" hso.test ec || fail "openssl req"
HSOD_LCORES=0-1 hsod_start "$hsod" "hsolc$$" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/hso.test.pem" --key "$work/hso.test.key" --max-conns 1024 ||
	fail "hsod did not become ready"
ok=0
for i in $(seq 1 20); do
	v=--tlsv1.3
	[ $((i % 2)) = 0 ] && v="--tlsv1.2 --tls-max 1.2"
	# shellcheck disable=SC2086
	code=$(in_ns curl -sk --max-time 10 $v https://198.18.0.2/ -o /dev/null -w '%{http_code}')
	[ "$code" = 200 ] && ok=$((ok + 1))
done
[ "$ok" = 20 ] || fail "$ok of 20 requests answered"
hso_stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["workers"] == [1], d["workers"]
assert d["handshakes_completed"] >= 20, d
' || fail "telemetry"
hsod_stop 10
rc=$?
[ "$rc" -eq 0 ] || fail "hsod exit status $rc after SIGTERM"
echo "one worker: 20/20 over the rings across lcores"

# Two workers (lcores 1 and 2; lcore 2 shares CPU 0 with the main lcore on
# a 2-CPU machine): one queue pair each, RSS on the TCP 4-tuple. Every
# connection must complete on whichever worker RSS gives it, and both
# workers must get some.
HSOD_LCORE_MAP=0@0,1@1,2@0 hsod_start "$hsod" "hsolc2$$" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/hso.test.pem" --key "$work/hso.test.key" --max-conns 1024 ||
	fail "hsod with two workers did not become ready"
out=$(in_ns python3 - <<'PY'
import socket, ssl
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
ok = 0
for i in range(200):
    if i % 2:
        c.maximum_version = ssl.TLSVersion.TLSv1_2
    else:
        c.maximum_version = ssl.TLSVersion.TLSv1_3
    with c.wrap_socket(socket.create_connection(("198.18.0.2", 443), timeout=10)) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        got = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            got += b
        ok += got.startswith(b"HTTP/1.1 200")
print(ok)
PY
) || fail "two workers: client failed: $out"
[ "$out" = 200 ] || fail "two workers: $out of 200 requests answered"
hso_stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["workers"] == [1, 2], d["workers"]
per = d["workers_handshakes_completed"]
assert sum(per) >= 200 and min(per) > 0, per
print("two workers: 200/200, handshakes per worker %s (RSS)" % per)
' || fail "two workers: telemetry $(hso_stats)"
hsod_stop 10
rc=$?
[ "$rc" -eq 0 ] || fail "hsod (two workers) exit status $rc after SIGTERM"
echo "hsod_lcores: ok"
