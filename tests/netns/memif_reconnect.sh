#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod survives its memif peer coming and going. DPDK 22.11's memif PMD
# tears a connection down on the EAL interrupt thread (it clears its
# "connected" flag, then unmaps the shared rings) with nothing to hold off
# a burst a worker has already begun, so a peer leaving while hsod polled
# could crash hsod in eth_memif_rx/tx (CI, gen_impair: SIGSEGV once in
# about eight runs). dataplane/port_guard.c makes the unmapping wait until
# every worker has passed a quiescent point. This runs hso-gen against
# hsod over net_memif ROUNDS times (each a short TLS 1.3 load, so the
# worker is busy when the peer goes), then checks hsod is alive, counted
# every disconnect's wait (port_guard_unmaps >= ROUNDS) and none timed out,
# and still completes handshakes. Exit 77 (skip, reason printed) without
# root, namespaces or hugepages.
#
# usage: tests/netns/memif_reconnect.sh HSOD HSO_GEN [ROUNDS]
set -uo pipefail
hsod=$1
gen=$2
rounds=${3:-20}
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

netns_require "hso-mrc-$$"
hugepages_require 256
make_cert "$work" hso.test ec || fail "openssl req"
sock=/run/hso-mrc-$$.sock
HSOD_SHARED=1 hsod_launch "$hsod" "hsomr$$" "net_memif0,role=server,socket=$sock" \
	--addr 198.18.0.2/24 --listen 443 --cert "$work/hso.test.pem" \
	--key "$work/hso.test.key" --max-conns 4096 || fail "hsod did not start"
taskset -pc 0 "$HSOD_PID" >/dev/null

before=$(hso_stats)
for i in $(seq 1 "$rounds"); do
	out=$work/r$i.json
	GEN_TIMEOUT=30 GEN_SHARED=1 gen_run "$gen" "hsomrg$$x$i" \
		"net_memif0,role=client,socket=$sock" "$out" \
		--target 198.18.0.2:443 --addr 198.18.0.1/24 --quiet --sni hso.test \
		--tls 1.3 --concurrency 16 --duration 0.3 --close rst
	rc=$?
	kill -0 "$HSOD_PID" 2>/dev/null || fail "hsod died when hso-gen round $i left"
	[ "$rc" -eq 0 ] || { cat "$out.err"; fail "round $i: hso-gen exit $rc"; }
done
after=$(hso_stats)
python3 - "$before" "$after" "$rounds" <<'PY' || fail "see above"
import json, sys
b, a, rounds = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
d = {k: a.get(k, 0) - b.get(k, 0) for k in ("handshakes_completed", "port_guard_unmaps",
                                           "port_guard_timeouts")}
print("memif_reconnect: %d rounds, %s" % (rounds, d))
ok = d["handshakes_completed"] > 0 and d["port_guard_timeouts"] == 0
if d["port_guard_unmaps"] < rounds:
    print("FAIL: %d disconnects waited for the workers, %d rounds" % (d["port_guard_unmaps"], rounds))
    ok = False
sys.exit(0 if ok else 1)
PY
kill -0 "$HSOD_PID" || fail "hsod died"
hsod_stop 10 || fail "hsod did not stop cleanly"
echo "PASS"
