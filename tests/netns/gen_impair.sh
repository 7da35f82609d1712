#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod under loss, duplication, reordering and delay, with no netem: hso-gen
# impairs its own transmit and receive paths (--impair), so every segment
# hsod sends or receives may be lost, duplicated, overtaken or delayed, and
# hsod's TCP (retransmission, duplicate and out-of-order handling) and the
# TLS layer above it must still complete every handshake and every byte of
# application data. hso-gen against hsod over net_memif (as gen_memif.sh),
# TLS 1.3 and TLS 1.2, each connection an HTTP request and its whole
# response, then close_notify. Checks, from hso-gen's JSON and hsod's
# counters:
#   - without --impair the impairment counters are all zero (and the run is clean)
#   - with loss=0.05,dup=0.01,reorder=0.01,delay=20: every connection begun
#     did its handshake, sent its request, read its whole response (2xx) and
#     closed: started == closed in the window + done in the drain after it
#     (--drain 60: long enough for RFC 6298 backoff), no error in the window
#     or the drain, none abandoned; handshakes == requests and responses all
#     2xx in the window; hsod completed at least as many handshakes as
#     hso-gen counted, none failed
#   - the impairment happened on both paths: lost, duplicated, reordered and
#     delayed all > 0, and hsod retransmitted (tcp_retransmits grew)
# About 40 s. Exit 77 (skip, reason printed) without root, namespaces or
# hugepages.
#
# usage: tests/netns/gen_impair.sh HSOD HSO_GEN
set -uo pipefail
hsod=$1
gen=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

netns_require "hso-geni-$$"
hugepages_require 256
for kind in ec rsa; do
	make_cert "$work" hso.test $kind || fail "openssl req"
	mv "$work/hso.test.pem" "$work/$kind.pem" && mv "$work/hso.test.key" "$work/$kind.key"
done
sock=/run/hso-geni-$$.sock
HSOD_SHARED=1 hsod_launch "$hsod" "hsogi$$" "net_memif0,role=server,socket=$sock" \
	--addr 198.18.0.2/24 --listen 443 --cert "$work/ec.pem" --key "$work/ec.key" \
	--cert "$work/rsa.pem" --key "$work/rsa.key" --max-conns 4096 \
	--handshake-timeout 60000 ||
	fail "hsod did not start"
taskset -pc 0 "$HSOD_PID" >/dev/null

IMPAIR=loss=0.05,dup=0.01,reorder=0.01,delay=20
n=0
# run NAME [hso-gen flags]: hso-gen on lcore 1; OUT=$work/NAME.json. A fixed
# seed: a failure replays with the same draws (for the same packet order).
# Long deadlines and drain, on both sides (hsod's --handshake-timeout above):
# the backoff's tail is long. A SYN-ACK lost once sets the connection's RTO
# to 3 s (RFC 6298 5.7), so a flight lost twice more waits 3 + 6 s and a
# third time 21 s; with hsod's default 10 s deadline about one connection in
# 10,000 (one run in eight or ten here, CI once) was reset mid-handshake
# (sess_ended_timeout: hsod's deadline working, not TCP or TLS failing). At
# 60 s that takes two more losses of the same flight in a row. The drain
# ends as soon as nothing is in flight.
run() {
	local name=$1 before after rc
	shift
	n=$((n + 1))
	OUT=$work/$name.json
	before=$(hso_stats)
	GEN_TIMEOUT=150 GEN_SHARED=1 gen_run "$gen" "hsogig$$$n" \
		"net_memif0,role=client,socket=$sock" "$OUT" \
		--target 198.18.0.2:443 --addr 198.18.0.1/24 --quiet --sni hso.test \
		--request 'GET / HTTP/1.1' --seed 12345 --timeout 60000 --drain 60 "$@"
	rc=$?
	after=$(hso_stats)
	[ "$rc" -eq 0 ] || { cat "$OUT.err"; fail "$name: hso-gen exit $rc"; }
	python3 - "$OUT" "$before" "$after" "$name" <<'PY' || fail "$name: see above"
import json, sys
d = json.load(open(sys.argv[1]))
b, a, name = json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
c, im = d["connections"], d["impair"]
srv = a["handshakes_completed"] - b["handshakes_completed"]
srv_fail = a["handshakes_failed"] - b["handshakes_failed"]
rtx = a["tcp_retransmits"] - b["tcp_retransmits"]
frtx = a["tcp_fast_retransmits"] - b["tcp_fast_retransmits"]
print("%s: %d started, %d handshakes, %d requests, %d responses (2xx %d), errors %s, "
      "abandoned %d, p50 %.0f us, p99 %.0f us; hso-gen tcp retransmits %d; hsod %d completed, "
      "%d failed, %d retransmits, %d fast retransmits" % (
      name, c["started"], d["handshakes"], d["requests"], d["responses"], d["http_status"]["2xx"],
      d["errors"]["total"], c["abandoned_at_end"], d["latency_us"]["p50"], d["latency_us"]["p99"],
      d["tcp"]["retransmits"], srv, srv_fail, rtx, frtx))
print("%s: impair %s" % (name, json.dumps(im)))
print("%s: %d closed in the window, %d done and %d failed in the drain" % (
      name, c["closed"], c["done_in_drain"], c["failed_in_drain"]))
# Warm-up 0: every connection began in the window. Each one's end is its
# close after the whole response (in the window or the drain) or a failure.
ok = (d["errors"]["total"] == 0 and c["abandoned_at_end"] == 0 and c["failed_in_drain"] == 0
      and d["handshakes"] > 0 and c["started"] == c["closed"] + c["done_in_drain"] and
      d["handshakes"] == d["requests"] and d["responses"] == d["http_status"]["2xx"] and
      c["closed"] == d["responses"] and srv >= d["handshakes"] and srv_fail == 0)
if im["spec"] == "none":
    z = [k for p in ("tx", "rx") for k, v in im[p].items() if v != 0]
    if z:
        print("FAIL %s: impairment counters not zero without --impair: %s" % (name, z))
        ok = False
else:
    for p in ("tx", "rx"):
        for k in ("lost", "duplicated", "reordered", "delayed"):
            if im[p][k] == 0:
                print("FAIL %s: %s %s is 0: not impaired" % (name, p, k))
                ok = False
        if im[p]["overflow"] or im[p]["dup_failed"]:
            print("FAIL %s: %s: the impairment itself dropped (overflow/dup_failed)" % (name, p))
            ok = False
    if rtx + frtx == 0:
        print("FAIL %s: hsod retransmitted nothing under 5%% loss" % name)
        ok = False
if not ok:
    import re
    why = {k: a[k] - b.get(k, 0) for k in sorted(a)
           if isinstance(a[k], int) and a[k] != b.get(k, 0) and
           re.search(r"rst|reset|timeout|abort|drop|fail|refus|cookie|bad|invalid|closed", k)}
    print("FAIL %s: hsod's counters that moved: %s" % (name, why))
    print("FAIL %s: errors %s, timeouts %s; in the drain: errors %s, by state %s" % (
          name, d["errors"], d["timeouts_by_state"], d["drain_errors"],
          d["drain_failed_by_state"]))
sys.exit(0 if ok else 1)
PY
}

run clean --tls 1.3 --concurrency 8 --duration 1
run tls13_impaired --tls 1.3 --concurrency 32 --duration 8 --impair "$IMPAIR"
run tls12_impaired --tls 1.2 --concurrency 32 --duration 5 --impair "$IMPAIR" \
	--suites TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256

kill -0 "$HSOD_PID" || fail "hsod died"
hsod_stop 10 || fail "hsod did not stop cleanly"
echo "PASS"
