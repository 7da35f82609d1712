#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod with two lcores: the main lcore runs the application and control
# work, lcore 1 is the worker. The HTTP responder and the worker then talk
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
echo "hsod_lcores: ok (20/20 over the rings across lcores)"
