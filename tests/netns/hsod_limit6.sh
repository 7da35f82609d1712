#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The per-source limit ([limits] source_rate, limit.h) over IPv6: a client
# is counted by its /64 (source_prefix6), so two addresses of one /64 share
# a bucket, and with source_prefix6 = 128 each address has its own; IPv4
# and IPv6 clients never share one. hsod with source_rate 1/s and a burst
# of 4; each client runs 8 curls back to back (well under a second: at most
# one token comes back meanwhile), and we count the pages:
#   prefix 64:  ::3 gets 4-5, then ::4 (same /64) gets 0-1; 198.18.0.1 gets 4-5
#   prefix 128: ::3 gets 4-5 and ::4 gets 4-5 too
# Before IPv6 sources had keys of their own, every IPv6 client shared one
# bucket (address 0): the second client got nothing in both runs.
# conns_rate_limited counts the refusals. Exit 77 without root/netns/TUN.
#
# usage: tests/netns/hsod_limit6.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

# pages FROM URL: how many of 8 back-to-back requests got a page.
pages() {
	local from=$1 url=$2 n=0 code
	for _ in 1 2 3 4 5 6 7 8; do
		code=$(in_ns curl -sk --max-time 5 --interface "$from" -o /dev/null \
			-w '%{http_code}' "$url" 2>/dev/null)
		[ "$code" = 200 ] && n=$((n + 1))
	done
	echo "$n"
}

# run PREFIX_LEN: the three clients against a fresh hsod; sets a, b, c and lim.
run() {
	local plen=$1 st
	netns_require "hso-lim6-$$"
	make_cert "$work" lim6.test ec || fail "openssl req"
	hsod_start "$hsod" "hsolim6$$" --addr 198.18.0.2/24 --addr6 2001:db8::2/64 \
		--listen 443 --cert "$work/lim6.test.pem" --key "$work/lim6.test.key" \
		--source-rate 1 --source-burst 4 --source-prefix6 "$plen" ||
		fail "hsod did not become ready"
	for x in 2001:db8::1 2001:db8::3 2001:db8::4; do
		in_ns ip -6 addr add "$x/64" dev hso0 nodad || fail "ip -6 addr add $x"
	done
	# Neighbour discovery first, so that no request waits on it.
	in_ns ping -6 -c 1 -W 2 2001:db8::2 >/dev/null || fail "no ping -6 answer"
	a=$(pages 2001:db8::3 'https://[2001:db8::2]/')
	b=$(pages 2001:db8::4 'https://[2001:db8::2]/')
	c=$(pages 198.18.0.1 https://198.18.0.2/)
	st=$(hso_stats)
	lim=$(echo "$st" | python3 -c 'import json,sys; print(json.load(sys.stdin)["conns_rate_limited"])')
	hsod_stop 10 || fail "hsod did not stop cleanly"
	ip netns del "$NS"
}

run 64
echo "hsod_limit6: source_prefix6 64: ::3 $a pages, ::4 (same /64) $b, 198.18.0.1 $c; refused $lim"
[ "$a" -ge 4 ] && [ "$a" -le 5 ] || fail "prefix 64: the first IPv6 client got $a pages, not its burst of 4 (+1)"
[ "$b" -le 1 ] || fail "prefix 64: a second address of the same /64 got $b pages: not counted with the first"
[ "$c" -ge 4 ] || fail "prefix 64: the IPv4 client got $c pages: it shares a bucket with the IPv6 ones"
[ "$lim" -ge 10 ] || fail "prefix 64: conns_rate_limited $lim, expected >= 10"
run 128
echo "hsod_limit6: source_prefix6 128: ::3 $a pages, ::4 $b, 198.18.0.1 $c; refused $lim"
[ "$a" -ge 4 ] && [ "$b" -ge 4 ] ||
	fail "prefix 128: ::3 got $a and ::4 $b pages: each address should have its own burst of 4"
echo "hsod_limit6: ok"
