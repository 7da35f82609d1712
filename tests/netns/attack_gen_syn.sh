#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# SYN flood from hso-gen (attack suite): one hso-gen process sends paced
# legitimate full TLS handshakes (new connection, no resumption, an HTTP
# request each) and, from --flood-start on, spoofed-source SYNs
# (--syn-flood) at a fixed rate, so flood and legit traffic share one
# generator and one wire, and the legit rate before and during the flood
# comes from the same run (hso-gen's JSON "syn_flood"). hsod on net_memif
# (as gen_memif.sh: no kernel on the path), max_half_open 64, its gateway
# hso-gen's own address: its SYN-ACKs to the spoofed sources (198.19/16,
# off the subnet) come back to hso-gen, which counts and drops them.
#
# Two floods, each printed as "attack_result: {json}":
#   - FLOOD_PPS (default 100000) spoofed SYNs/s for FLOOD_SECONDS
#   - the same paced at 10000/s (where one hsod core keeps up with ease)
# Checks:
#   - hso-gen sent the flood and hsod answered it: SYN-ACKs came back, and
#     hsod sent SYN cookies past max_half_open (tcp_cookies_sent grew)
#   - no half-open connection above max_half_open after the flood
#   - hsod's memory is flat: RSS within 8 MB, every mbuf back
#   - legit handshakes complete during the flood (ratio > 0), none of them
#     failed, and legit ones after the flood at >= 0.9 of the rate before
#   - at 10k SYN/s, which one hsod core answers with cookies with ease, the
#     legit rate during the flood is >= 0.9 of the rate before it.
#     At FLOOD_PPS the ratio is printed, not held to 0.9: there the memif
#     ring overflows (hsod's one core takes about half the flood) and legit
#     SYNs are dropped with flood SYNs, each waiting 1 s for its
#     retransmission; what that costs depends on how this 2-CPU machine
#     splits hsod's and hso-gen's cores with whatever else runs.
# About 40 s. Exit 77 without root, namespaces or hugepages.
#
# usage: tests/netns/attack_gen_syn.sh HSOD HSO_GEN
set -uo pipefail
hsod=$1
gen=$2
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=attack_lib.sh
. "$(dirname "$0")/attack_lib.sh"
work=$NETNS_WORK
FLOOD_PPS=${FLOOD_PPS:-100000}
# LEGIT_RATE: attack_lib.sh's paced legit rate (100 handshakes/s by default).
BEFORE_S=4
FLOOD_S=${FLOOD_SECONDS:-6}

netns_require "hso-gsyn-$$"
hugepages_require 256
make_cert "$work" hso.test ec || fail "openssl req"
sock=/run/hso-gsyn-$$.sock
HSOD_SHARED=1 hsod_launch "$hsod" "hsogs$$" "net_memif0,role=server,socket=$sock" \
	--addr 198.18.0.2/24 --gateway 198.18.0.1 --listen 443 --cert "$work/hso.test.pem" \
	--key "$work/hso.test.key" --max-conns 8192 --max-half-open 64 ||
	fail "hsod did not start"
taskset -pc 0 "$HSOD_PID" >/dev/null

n=0
# flood NAME PPS MIN_RATIO_DURING: legit for BEFORE_S, then legit + flood for FLOOD_S, then
# legit alone for 3 s more (the "after" rate, a separate hso-gen run).
flood() {
	local name=$1 pps=$2 min_during=$3 s0 s1 s2 rss0 rss1 out=$work/$1.json
	n=$((n + 1))
	rss0=$(hsod_rss)
	s0=$(hso_stats)
	GEN_TIMEOUT=60 GEN_SHARED=1 gen_run "$gen" "hsogsg$$$n" \
		"net_memif0,role=client,socket=$sock" "$out" \
		--target 198.18.0.2:443 --addr 198.18.0.1/24 --quiet --sni hso.test --tls 1.3 \
		--rate "$LEGIT_RATE" --arrival uniform --request 'GET / HTTP/1.1' --close rst \
		--duration $((BEFORE_S + FLOOD_S)) --syn-flood "$pps" \
		--flood-sources 198.19.0.0-198.19.255.255 --flood-start "$BEFORE_S" \
		--flood-duration "$FLOOD_S" ||
		{ cat "$out.err"; fail "$name: hso-gen exit $?"; }
	s1=$(hso_stats)
	n=$((n + 1))
	GEN_TIMEOUT=30 GEN_SHARED=1 gen_run "$gen" "hsogsg$$$n" \
		"net_memif0,role=client,socket=$sock" "$work/$name.after.json" \
		--target 198.18.0.2:443 --addr 198.18.0.1/24 --quiet --sni hso.test --tls 1.3 \
		--rate "$LEGIT_RATE" --arrival uniform --request 'GET / HTTP/1.1' --close rst \
		--duration 3 || { cat "$work/$name.after.json.err"; fail "$name: after: exit $?"; }
	sleep 1
	s2=$(hso_stats)
	rss1=$(hsod_rss)
	kill -0 "$HSOD_PID" || fail "hsod died under the flood"
	python3 - "$out" "$work/$name.after.json" "$s0" "$s1" "$s2" "$rss0" "$rss1" "$name" \
		"$min_during" <<'PY' ||
import json, sys
d, aft = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
s0, s1, s2 = (json.loads(x) for x in sys.argv[3:6])
rss0, rss1, name = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
min_during = float(sys.argv[9])
f = d["syn_flood"]
after = aft["hs_per_s"]
res = {"attack": name, "flood_pps_target": f["pps_target"], "flood_pps": f["pps_achieved"],
       "flood_sent": f["sent"], "gen_tx_dropped": d["packets"]["tx_dropped"],
       "syn_acks_rcvd": f["syn_acks_rcvd"],
       "legit_before": f["hs_per_s_before"], "legit_during": f["hs_per_s_during"],
       "legit_after": after, "ratio_during": f["ratio_during"],
       "ratio_after": round(after / f["hs_per_s_before"], 3) if f["hs_per_s_before"] else 0,
       "legit_errors": d["errors"]["total"],
       "legit_p99_us": d["latency_us"]["p99"],
       "cookies_sent": s1["tcp_cookies_sent"] - s0["tcp_cookies_sent"],
       "hsod_syn_rcvd": s1["tcp_syn_rcvd"] - s0["tcp_syn_rcvd"],
       "hsod_rx_packets": s1["rx_packets"] - s0["rx_packets"],
       "half_open_after": s2["tcp_state_SYN_RCVD"],
       "rss_kb_before": rss0, "rss_kb_after": rss1,
       "mbufs_free_before": s0["mbufs_free"], "mbufs_free_after": s2["mbufs_free"]}
print("attack_result: " + json.dumps(res))
bad = []
if f["sent"] == 0: bad.append("hso-gen sent no flood")
if f["syn_acks_rcvd"] == 0: bad.append("no SYN-ACK came back to the spoofed sources")
if res["cookies_sent"] == 0: bad.append("no SYN cookies during the flood")
if res["half_open_after"] > 64: bad.append("half-open connections above max_half_open")
if rss1 - rss0 >= 8192: bad.append("hsod's RSS grew by more than 8 MB")
if s2["mbufs_free"] < s0["mbufs_free"] - 64: bad.append("mbufs not back after the flood")
if f["handshakes_during"] == 0: bad.append("no legit handshake completed during the flood")
if d["errors"]["total"] or aft["errors"]["total"]: bad.append("legit connections failed")
if res["ratio_after"] < 0.9: bad.append("legit rate after the flood below 0.9 of before")
if f["ratio_during"] < min_during:
    bad.append("legit rate during the flood below %s of before" % min_during)
for b in bad: print("FAIL %s: %s" % (name, b))
sys.exit(1 if bad else 0)
PY
	fail "$name: see above"
}

t0=$(date +%s)
flood syn_flood_gen "$FLOOD_PPS" 0
flood syn_flood_gen_10k 10000 0.9
echo "attack_gen_syn: floods took $(($(date +%s) - t0)) s"
hsod_stop 10 || fail "hsod did not stop cleanly"
echo "attack_gen_syn: ok"
