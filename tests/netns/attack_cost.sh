#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Handshake-cost attacks (attack suite): one source (198.18.0.3) starts, as
# fast as 4 loops go, the handshakes that cost hsod the most, while the
# legitimate client (198.18.0.1) is measured before and during
# (attack_lib.sh):
#   rsa  TLS 1.2 RSA key exchange, completed (an RSA-2048 decryption each)
#   hrr  a TLS 1.3 ClientHello whose only key share is x448: hsod answers
#        HelloRetryRequest, the client leaves
#   big  a ClientHello padded to 16000 bytes, then the client leaves
# First without a per-source limit (rsa only: the figure to compare with),
# then with [limits] source_rate 40, source_burst 20 (limit.h): each attack
# is refused past that, counted (conns_rate_limited). The legit client's 4
# threads come from 4 addresses, 25/s each, within the rate.
# Checks: with the limit the attacker completes at most 40/s (+ the burst,
# + 10% for the clock), every attack is counted, and the legit rate during
# each stays >= 0.9 of before (a property of hsod: the attacker's work in
# hsod is bounded by the limit; the legit client's load is paced well under
# what half of CPU 1 gives it, so the attacker's loops on that CPU do not
# starve it). Without the limit the ratio is printed only: what it is
# depends on how the two CPUs are shared, not only on hsod.
# Exit 77 without root, namespaces or TUN.
#
# usage: tests/netns/attack_cost.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=attack_lib.sh
. "$(dirname "$0")/attack_lib.sh"
work=$NETNS_WORK
RATE=40
BURST=20
# The legit client's 4 threads each from an address of their own, 25/s
# each: within the per-source rate, as distinct clients are.
LEGIT_SOURCES=198.18.0.1,198.18.0.4,198.18.0.5,198.18.0.6

# addrs: the attacker's address and the legit client's extra ones.
addrs() {
	local a
	for a in 198.18.0.3 198.18.0.4 198.18.0.5 198.18.0.6; do
		in_ns ip addr add "$a/24" dev hso0
	done
}

# costly KIND LABEL: the attacker for LEGIT_SECONDS + 1 while legit LABEL runs.
costly() {
	local kind=$1 label=$2
	attack_start python3 "$ATTACK_TOOLS" costly --kind "$kind" --source 198.18.0.3 \
		--sni rsa.test --threads 4 --size 16000 --seconds $((LEGIT_SECONDS + 1))
	sleep 0.5
	legit "$label" --sources "$LEGIT_SOURCES"
	wait "$ATTACK_PID"
	ATTACK_PID=
	cp "$work/attack.out" "$work/attack_$label.json"
	echo "attacker $label: $(cat "$work/attack_$label.json")"
}

# 1. No limit: what an RSA key-exchange flood from one source costs the legit client.
attack_hsod hso-cost
addrs
legit warm --sources "$LEGIT_SOURCES"
legit before0 --sources "$LEGIT_SOURCES"
costly rsa during0
nolimit=$(ratio "$(stat_of "$(cat "$work/during0.json")" rate)" \
	"$(stat_of "$(cat "$work/before0.json")" rate)")
hsod_stop 10 || fail "hsod did not stop cleanly"
ip netns del "$NS"

# 2. With the per-source limit.
attack_hsod hso-cost2 --source-rate $RATE --source-burst $BURST
addrs
legit warm --sources "$LEGIT_SOURCES"
legit before --sources "$LEGIT_SOURCES"
res="{\"attack\": \"handshake_cost\", \"source_rate\": $RATE, \"rsa_ratio_no_limit\": $nolimit,"
res+=" \"rsa_attacker_no_limit\": $(cat "$work/attack_during0.json")"
for kind in rsa hrr big; do
	s0=$(hso_stats)
	costly "$kind" "during_$kind"
	s1=$(hso_stats)
	limited=$(($(stat_of "$s1" conns_rate_limited) - $(stat_of "$s0" conns_rate_limited)))
	done_=$(stat_of "$(cat "$work/attack_during_$kind.json")" done)
	r=$(ratio "$(stat_of "$(cat "$work/during_$kind.json")" rate)" \
		"$(stat_of "$(cat "$work/before.json")" rate)")
	res+=", \"${kind}_ratio\": $r, \"${kind}_rate_limited\": $limited,"
	res+=" \"${kind}_attacker\": $(cat "$work/attack_during_$kind.json")"
	check "$limited > 0" "$kind: no connection refused by the source limit"
	check "$done_ <= ($RATE * ($LEGIT_SECONDS + 1) + $BURST) * 1.1" \
		"$kind: the attacker got more than source_rate allows"
	check "$r >= 0.9" "$kind: legit rate during the attack below 0.9 of before, with the limit"
done
legit after --sources "$LEGIT_SOURCES"
res+=", \"legit_after_ratio\": $(ratio "$(stat_of "$(cat "$work/after.json")" rate)" \
	"$(stat_of "$(cat "$work/before.json")" rate)")}"
echo "attack_result: $res"
kill -0 "$HSOD_PID" || fail "hsod died"
hsod_stop 10 || fail "hsod did not stop cleanly"
echo "attack_cost: ok"
