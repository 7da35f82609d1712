#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hso-gen against hsod over net_memif: no kernel anywhere on the path. Both
# run on hugepages with their own --file-prefix (memif needs EAL's
# multi-process support), inside a network namespace of our own (memif's
# abstract socket is per namespace, so nothing is shared with the host);
# hsod on lcore 0 (server role), hso-gen on lcore 1 (client role).
# Short runs (1 s of load each), every one checked from hso-gen's JSON
# (handshakes > 0, errors 0, what was negotiated) and against hsod's own
# counters (handshakes completed and resumed grew by at least as much,
# none failed, also with RST close):
#   TLS 1.3 load mode (RST close), full mode with P-256 (close_notify),
#   PSK+ECDHE and PSK-only resumption; TLS 1.2 ECDHE-ECDSA with ticket and
#   session-id resumption, RSA key exchange (FIN close); HTTP requests;
#   TCP only; an open loop at a fixed rate; --hold (40 closed with
#   close_notify; 3,000 reset at the end, hsod left with none established);
#   and the two ways a target is unreachable (no ARP answer; RST) giving
#   exit 2 and one line.
#   IPv6 (hsod also 2001:db8::2/64; hso-gen --addr6 2001:db8::1/64,
#   --target [2001:db8::2]:443): TLS 1.3 and TLS 1.2 with tickets, every
#   handshake done, hsod's /hso/net6 counting the segments; an IPv6 host
#   nobody answers Neighbor Solicitations for gives exit 2 and one line.
# Exit 77 (skip, reason printed) without root, namespaces or hugepages.
#
# usage: tests/netns/gen_memif.sh HSOD HSO_GEN
set -uo pipefail
hsod=$1
gen=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

netns_require "hso-genm-$$"
hugepages_require 256
# One name, an ECDSA and an RSA certificate: hsod picks by key exchange.
for kind in ec rsa; do
	make_cert "$work" hso.test $kind || fail "openssl req"
	mv "$work/hso.test.pem" "$work/$kind.pem" && mv "$work/hso.test.key" "$work/$kind.key"
done
sock=/run/hso-genm-$$.sock
HSOD_SHARED=1 hsod_launch "$hsod" "hsogm$$" "net_memif0,role=server,socket=$sock" \
	--addr 198.18.0.2/24 --addr6 2001:db8::2/64 --listen 443 --cert "$work/ec.pem" --key "$work/ec.key" \
	--cert "$work/rsa.pem" --key "$work/rsa.key" --max-conns 4096 ||
	fail "hsod did not start"
taskset -pc 0 "$HSOD_PID" >/dev/null

n=0
# run NAME [hso-gen flags]: hso-gen on lcore 1 against hsod; OUT=$work/NAME.json
run() {
	local name=$1
	shift
	n=$((n + 1))
	OUT=$work/$name.json
	GEN_SHARED=1 gen_run "$gen" "hsogmg$$$n" "net_memif0,role=client,socket=$sock" "$OUT" \
		--target "${TARGET:-198.18.0.2:443}" --addr 198.18.0.1/24 --quiet "$@"
}

# expect NAME: exit 0, handshakes > 0, no error, hsod agrees (before/after
# stats). hso-gen counts a handshake when its Finished leaves: at most the
# connections in progress at the end (the concurrency) may not have reached
# hsod when a starved hsod lost its memif ring with hso-gen's exit. With
# --close rst the RST leaves right behind the Finished, in the same burst:
# hsod still reads the Finished that came before the RST (session state
# HANDSHAKING_RESET) and must count the handshake completed, as Linux's
# servers do; abandoned handshakes are printed, not counted as done.
expect_ok() {
	local name=$1 rc=$2 before=$3 after=$4 min_res=${5:-0}
	[ "$rc" -eq 0 ] || { cat "$OUT.err"; fail "$name: hso-gen exit $rc"; }
	python3 - "$OUT" "$before" "$after" "$name" "$min_res" "$CONC" <<'PY' || fail "$name: see above"
import json, sys
d = json.load(open(sys.argv[1]))
b, a, name, min_res = json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4], float(sys.argv[5])
conc = int(sys.argv[6])
hs, errs = d["handshakes"], d["errors"]["total"]
srv = a["handshakes_completed"] - b["handshakes_completed"]
srv_res = a["handshakes_resumed"] - b["handshakes_resumed"]
srv_fail = a["handshakes_failed"] - b["handshakes_failed"]
srv_left = a["handshakes_abandoned"] - b["handshakes_abandoned"]
print("%s: %d handshakes (%.0f/s), resumed %.2f, p50 %.0f us, p99 %.0f us, %s; hsod %d completed, "
      "%d resumed, %d failed, %d abandoned (close %s)" % (name, hs, d["hs_per_s"], d["resumed_ratio"],
      d["latency_us"]["p50"], d["latency_us"]["p99"], d["negotiated"], srv, srv_res, srv_fail,
      srv_left, d["close"]))
ok = hs > 0 and errs == 0 and srv >= hs - conc and srv_fail == 0 and d["resumed_ratio"] >= min_res
if min_res > 0:
    ok = ok and srv_res >= d["resumed"] - conc and d["resumed"] > 0
if not ok:
    print("FAIL %s: errors %s" % (name, d["errors"]))
sys.exit(0 if ok else 1)
PY
}

# check NAME EXPR: a Python condition on the JSON document d.
check() {
	[ "$(json_get "$OUT" "$2")" = True ] || fail "$1: not $2 ($(head -c 600 "$OUT"))"
}

case_ok() { # NAME MIN_RESUMED_RATIO FLAGS... (with --concurrency N)
	local name=$1 min=$2 before after rc
	shift 2
	CONC=$(echo "$@" | sed -n 's/.*--concurrency \([0-9]*\).*/\1/p')
	before=$(hso_stats)
	run "$name" --duration 1 --sni hso.test "$@"
	rc=$?
	after=$(hso_stats)
	expect_ok "$name" "$rc" "$before" "$after" "$min"
}

case_ok tls13_load 0 --tls 1.3 --concurrency 16 --close rst
check tls13_load 'd["negotiated"]["version"] == "TLSv1.3" and d["negotiated"]["group"] == "x25519"'
check tls13_load 'd["gen_busy_us_per_hs"] > 0 and len(d["histogram"]["buckets"]) > 0'
case_ok tls13_full_p256 0 --tls 1.3 --mode full --groups secp256r1 --concurrency 8
check tls13_full_p256 'd["negotiated"]["group"] == "secp256r1" and d["close"] == "close_notify"'
case_ok tls13_psk_dhe 0.3 --tls 1.3 --concurrency 8 --resume 0.5 --resume-kind psk_dhe
check tls13_psk_dhe 'd["sessions_stored"] > 0 and d["resumed_ratio"] < 0.7'
case_ok tls13_psk 0.3 --tls 1.3 --concurrency 8 --resume 0.5 --resume-kind psk
case_ok tls12_ecdhe_ticket 0.3 --tls 1.2 --concurrency 8 --resume 0.5 --resume-kind ticket \
	--suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 --close fin
check tls12_ecdhe_ticket 'd["negotiated"]["suite"] == "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"'
case_ok tls12_id 0.3 --tls 1.2 --concurrency 8 --resume 0.5 --resume-kind id
case_ok tls12_rsa_kx 0 --tls 1.2 --concurrency 8 --suites TLS_RSA_WITH_AES_128_GCM_SHA256
check tls12_rsa_kx 'd["negotiated"]["group"] == "none"'
case_ok tls13_request 0 --tls 1.3 --concurrency 8 --request 'GET / HTTP/1.1'
check tls13_request 'd["responses"] > 0 and d["http_status"]["2xx"] == d["responses"]'

# IPv6: hso-gen at 2001:db8::1 resolves hsod's 2001:db8::2 by Neighbor
# Discovery (and answers hsod's), every connection over IPv6.
net6_rx_tcp() { hso_stats /hso/net6 | python3 -c 'import json, sys; print(json.load(sys.stdin)["rx_tcp"])'; }
v6_0=$(net6_rx_tcp)
TARGET="[2001:db8::2]:443" case_ok tls13_ipv6 0 --addr6 2001:db8::1/64 --tls 1.3 --concurrency 16 \
	--close rst
check tls13_ipv6 'd["target"] == "[2001:db8::2]:443" and d["negotiated"]["version"] == "TLSv1.3"'
hs6=$(json_get "$OUT" 'd["handshakes"]')
v6_1=$(net6_rx_tcp)
# Each handshake is at least 3 segments from hso-gen (SYN, ACK, Finished).
[ $((v6_1 - v6_0)) -ge $((3 * hs6)) ] ||
	fail "tls13_ipv6: hsod counted $((v6_1 - v6_0)) IPv6 TCP segments for $hs6 handshakes"
echo "tls13_ipv6: hsod's /hso/net6 rx_tcp grew by $((v6_1 - v6_0))"
TARGET="[2001:db8::2]:443" case_ok tls12_ipv6 0.3 --addr6 2001:db8::1/64 --tls 1.2 --concurrency 8 \
	--resume 0.5 --resume-kind ticket --close fin

# TCP only: hsod's TCP accepted them (its TLS did not start).
before=$(hso_stats)
run tcp_only --duration 1 --tls none --concurrency 16 --close rst
rc=$?
[ "$rc" -eq 0 ] || { cat "$OUT.err"; fail "tcp_only: exit $rc"; }
check tcp_only 'd["handshakes"] > 0 and d["errors"]["total"] == 0'
check tcp_only 'd["tcp"]["connected"] == d["tcp"]["connects"]'

# Open loop at 1000/s, uniform arrivals: rate x window intended starts,
# whatever the machine's load (starts that came late are counted as such,
# their wait in their latency: no timing is asserted).
run open_loop --duration 1 --tls 1.3 --rate 1000 --arrival uniform --close rst
rc=$?
[ "$rc" -eq 0 ] || { cat "$OUT.err"; fail "open_loop: exit $rc"; }
check open_loop 'd["handshakes"] > 0 and d["errors"]["total"] == 0 and d["load"] == "open"'
check open_loop 'abs(d["arrivals"] - 1000 * d["duration_s"]) <= 2'
echo "open_loop: $(json_get "$OUT" 'd["arrivals"]') arrivals in $(json_get "$OUT" 'd["duration_s"]') s, \
$(json_get "$OUT" 'd["connections"]["late_starts"]') started late, p99 $(json_get "$OUT" 'd["latency_us"]["p99"]') us"

# --hold: 40 connections up and idle for the whole second, none lost.
run hold --duration 1 --tls 1.3 --hold 40
rc=$?
[ "$rc" -eq 0 ] || { cat "$OUT.err"; fail "hold: exit $rc"; }
check hold 'd["handshakes"] == 40 and d["errors"]["total"] == 0'

# --hold ending with resets: 3,000 held, reset at --hold-close-rate as
# hso-gen ends; hsod must see every reset (3,000 at once overflowed the
# memif ring and hsod kept most of the connections open).
est() { hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["tcp_state_ESTABLISHED"])'; }
run hold_rst --duration 1 --tls 1.3 --hold 3000 --concurrency 256 --close rst
rc=$?
[ "$rc" -eq 0 ] || { cat "$OUT.err"; fail "hold_rst: exit $rc"; }
check hold_rst 'd["handshakes"] == 3000 and d["errors"]["total"] == 0'
left=
for _ in $(seq 1 50); do
	left=$(est)
	[ "$left" = 0 ] && break
	sleep 0.2
done
[ "$left" = 0 ] || fail "hold_rst: hsod still has $left connections established after the resets"
echo "hold_rst: 3000 held, every one reset at the end (hsod: 0 established)"

# Unreachable: nobody at .3 (no ARP answer); nothing listens on 444 (RST).
# Exit 2 and one clear line, within seconds.
GEN_SHARED=1 gen_run "$gen" "hsogmg$$u" "net_memif0,role=client,socket=$sock" "$work/u.json" \
	--target 198.18.0.3:443 --addr 198.18.0.1/24 --tls 1.3 --concurrency 1
rc=$?
[ "$rc" -eq 2 ] || fail "unreachable host: exit $rc, not 2"
grep -q "^hso-gen: 198.18.0.3 unreachable: no ARP answer" "$work/u.json.err" ||
	fail "unreachable host: $(tail -1 "$work/u.json.err")"
echo "unreachable host: $(grep '^hso-gen: ' "$work/u.json.err" | tail -1)"
GEN_SHARED=1 gen_run "$gen" "hsogmg$$r" "net_memif0,role=client,socket=$sock" "$work/r.json" \
	--target 198.18.0.2:444 --addr 198.18.0.1/24 --tls 1.3 --concurrency 1
rc=$?
[ "$rc" -eq 2 ] || fail "closed port: exit $rc, not 2"
grep -q "^hso-gen: 198.18.0.2:444 refused the connection" "$work/r.json.err" ||
	fail "closed port: $(tail -1 "$work/r.json.err")"
echo "closed port: $(grep '^hso-gen: ' "$work/r.json.err" | tail -1)"
GEN_SHARED=1 gen_run "$gen" "hsogmg$$u6" "net_memif0,role=client,socket=$sock" "$work/u6.json" \
	--target "[2001:db8::3]:443" --addr 198.18.0.1/24 --addr6 2001:db8::1/64 --tls 1.3 \
	--concurrency 1
rc=$?
[ "$rc" -eq 2 ] || { cat "$work/u6.json.err"; fail "unreachable IPv6 host: exit $rc, want 2"; }
grep -q "^hso-gen: \[2001:db8::3\] unreachable: no Neighbor Advertisement" "$work/u6.json.err" ||
	fail "unreachable IPv6 host: $(tail -3 "$work/u6.json.err")"
echo "unreachable IPv6 host: $(grep '^hso-gen: ' "$work/u6.json.err" | tail -1)"

hsod_stop 10 || fail "hsod did not stop cleanly"
echo "PASS"
