#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# SYN flood (attack suite): hping3 --flood with spoofed sources, as fast as
# it goes, against hsod on a TAP port while a legitimate client does full
# TLS handshakes (attack_lib.sh: paced, measured before, during and after).
# hping3 draws sources from all of IPv4; an nftables rule in the namespace
# rewrites them into 198.19.0.0/16 (the test range), so even the SYN-ACKs
# to them stay in the namespace, where the kernel drops them (no route).
#
# Prints the legit rate during and after the flood as ratios of the rate
# before it, the flood's rate, hsod's SYN cookies and memory. Checks:
#   - hsod answered with SYN cookies past max_half_open, counted
#     (tcp_cookies_sent), and no half-open connection outlived the flood
#   - hsod's memory is flat: RSS within 8 MB, every mbuf back
#   - hsod is up, and the legit rate after the flood is >= 0.9 of before
#   - during the flood: legit handshakes still complete (ratio > 0).
#     Not >= 0.9: on a TAP port every frame is a read() on hsod's one core,
#     and the flood and the legit SYNs wait in the same TAP queue, so when
#     hping3 outruns hsod the kernel drops legit SYNs like flood SYNs and
#     their clients wait a second for the retransmission. What the ratio is
#     here is a figure of this 2-CPU machine and TAP, printed, not a
#     property of hsod that a test could hold it to.
# Then the same flood paced at 10k SYN/s, printed: the legit ratio where the
# TAP and one core keep up.
# Exit 77 without root, namespaces, TUN or hping3.
#
# usage: tests/netns/attack_syn.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=attack_lib.sh
. "$(dirname "$0")/attack_lib.sh"
work=$NETNS_WORK
FLOOD_SECONDS=${FLOOD_SECONDS:-$((LEGIT_SECONDS + 2))}

command -v hping3 >/dev/null || { echo "skip: hping3 not installed (deploy/setup.sh)"; exit 77; }
attack_hsod hso-syn --max-half-open 64

in_ns nft -f - <<'EOF' || fail "nft: cannot add the source rewrite"
table ip hso_flood {
	chain out {
		type filter hook output priority raw; policy accept;
		ip daddr 198.18.0.2 tcp dport 443 tcp flags == syn ip saddr != 198.18.0.1 ip saddr set ip saddr & 0.0.255.255 | 198.19.0.0
	}
}
EOF

legit warm
legit before
rss0=$(hsod_rss)
s0=$(hso_stats)
t0=$(date +%s.%N)
attack_start hping3 -S -p 443 --flood --rand-source 198.18.0.2
sleep 1
legit during
s1=$(hso_stats)
sleep $((FLOOD_SECONDS - LEGIT_SECONDS - 1))
attack_stop INT
t1=$(date +%s.%N)
sent=$(cat "$work/attack.out" "$work/attack.err" | grep -o "[0-9]* packets transmitted" | awk "{ print \$1 }")
sleep 1
legit after
rss1=$(hsod_rss)
s2=$(hso_stats)
kill -0 "$HSOD_PID" || fail "hsod died under the flood"

flood_pps=$(python3 -c "print(int(${sent:-0} / ($t1 - $t0)))")
cookies=$(($(stat_of "$s1" tcp_cookies_sent) - $(stat_of "$s0" tcp_cookies_sent)))
before=$(stat_of "$(cat "$work/before.json")" rate)
during=$(stat_of "$(cat "$work/during.json")" rate)
after=$(stat_of "$(cat "$work/after.json")" rate)
r_during=$(ratio "$during" "$before")
r_after=$(ratio "$after" "$before")
echo "attack_result: {\"attack\": \"syn_flood\", \"flood_pps\": $flood_pps, \"flood_packets\": ${sent:-0}," \
	"\"legit_before\": $before, \"legit_during\": $during, \"legit_after\": $after," \
	"\"ratio_during\": $r_during, \"ratio_after\": $r_after, \"cookies_sent\": $cookies," \
	"\"hsod_rx_pps_during\": $((($(stat_of "$s1" rx_packets) - $(stat_of "$s0" rx_packets)) / (LEGIT_SECONDS + 1)))," \
	"\"tcp_csum_bad\": $(stat_of "$s2" tcp_csum_bad)," \
	"\"rss_kb_before\": $rss0, \"rss_kb_after\": $rss1," \
	"\"mbufs_free_before\": $(stat_of "$s0" mbufs_free), \"mbufs_free_after\": $(stat_of "$s2" mbufs_free)}"

[ "${sent:-0}" -gt 0 ] || fail "hping3 sent nothing: $(cat "$work/attack.err")"
check "$cookies > 0" "no SYN cookies during the flood"
check "$(stat_of "$s2" tcp_state_SYN_RCVD) <= 64" "half-open connections above max_half_open after the flood"
check "$rss1 - $rss0 < 8192" "hsod's RSS grew by more than 8 MB"
check "$(stat_of "$s2" mbufs_free) >= $(stat_of "$s0" mbufs_free) - 64" "mbufs not back after the flood"
check "$r_after >= 0.9" "legit rate after the flood below 0.9 of before"
check "$during > 0" "no legit handshake completed during the flood"

# The same flood paced at 10k SYN/s (hping3 -i u100): where a TAP port and
# one core keep up with the flood. Printed only.
attack_start hping3 -S -p 443 -i u100 --rand-source 198.18.0.2
sleep 1
s0=$(hso_stats)
legit during_10k
s1=$(hso_stats)
attack_stop INT
during=$(stat_of "$(cat "$work/during_10k.json")" rate)
echo "attack_result: {\"attack\": \"syn_flood_10k\", \"flood_pps\": 10000," \
	"\"legit_before\": $before, \"legit_during\": $during, \"ratio_during\": $(ratio "$during" "$before")," \
	"\"cookies_sent\": $(($(stat_of "$s1" tcp_cookies_sent) - $(stat_of "$s0" tcp_cookies_sent)))," \
	"\"hsod_rx_pps\": $((($(stat_of "$s1" rx_packets) - $(stat_of "$s0" rx_packets)) / LEGIT_SECONDS))}"
kill -0 "$HSOD_PID" || fail "hsod died under the paced flood"
hsod_stop 10 || fail "hsod did not stop cleanly"
echo "attack_syn: ok"
