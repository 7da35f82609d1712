#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Connection exhaustion (attack suite): hsod with max_conns 256 (echo); an
# attacker completes TLS sessions on all 256 connection slots and holds them
# idle. Then:
#   - new connections are refused cleanly: a RST at once, not a timeout
#     (legit failures are ConnectionResetError/ConnectionRefusedError, not
#     TimeoutError), counted (tcp_drop_table_full or conns_refused)
#   - the held connections are still served (each answers an echo at the end)
#   - no crash; after the attacker lets go the slots are reused: legit rate
#     back to >= 0.9 of before
# Prints the ratios (during is expected near 0: a full table refuses).
# Exit 77 without root, namespaces or TUN.
#
# usage: tests/netns/attack_conns.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=attack_lib.sh
. "$(dirname "$0")/attack_lib.sh"
work=$NETNS_WORK
HELD=${HELD:-256}

attack_hsod hso-conns --app echo --max-conns 256 --max-half-open 64 --idle-timeout 60000
legit warm --echo
legit before --echo
rss0=$(hsod_rss)
s0=$(hso_stats)
attack_start python3 "$ATTACK_TOOLS" hold --echo --conns "$HELD" --seconds 60 \
	--release "$work/release" --check
for _ in $(seq 1 200); do
	grep -q "^held" "$work/attack.out" && break
	sleep 0.1
done
grep -q "^held $HELD\$" "$work/attack.out" || fail "the attacker held $(cat "$work/attack.out")"
legit during --echo
s1=$(hso_stats)
touch "$work/release"
for _ in $(seq 1 100); do
	kill -0 "$ATTACK_PID" 2>/dev/null || break
	sleep 0.1
done
attack_stop TERM
held=$(tail -1 "$work/attack.out")
sleep 1
legit after --echo
rss1=$(hsod_rss)
s2=$(hso_stats)
kill -0 "$HSOD_PID" || fail "hsod died with its table full"
before=$(stat_of "$(cat "$work/before.json")" rate)
during=$(stat_of "$(cat "$work/during.json")" rate)
after=$(stat_of "$(cat "$work/after.json")" rate)
refused=$(($(stat_of "$s1" tcp_drop_table_full) + $(stat_of "$s1" conns_refused) -
	$(stat_of "$s0" tcp_drop_table_full) - $(stat_of "$s0" conns_refused)))
errors=$(python3 -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["errors"]))' "$work/during.json")
echo "attack_result: {\"attack\": \"conn_exhaustion\", \"max_conns\": 256, \"held\": $HELD," \
	"\"legit_before\": $before, \"legit_during\": $during, \"legit_after\": $after," \
	"\"ratio_during\": $(ratio "$during" "$before"), \"ratio_after\": $(ratio "$after" "$before")," \
	"\"refused_during\": $refused, \"legit_errors_during\": $errors," \
	"\"rss_kb_before\": $rss0, \"rss_kb_after\": $rss1, \"attacker\": $held}"
check "$refused > 0" "no connection refused with the table full"
python3 -c '
import json, sys
e = json.load(open(sys.argv[1]))["errors"]
slow = {k: v for k, v in e.items() if k not in ("ConnectionResetError", "ConnectionRefusedError", "SSLEOFError", "SSLZeroReturnError")}
sys.exit(1 if slow else 0)
' "$work/during.json" || fail "legit connections with the table full failed other than by a prompt refusal: $errors"
check "$(stat_of "$held" answered_after) == $HELD" "held connections not served while the table was full"
check "$(ratio "$after" "$before") >= 0.9" "slots not reused: legit rate after below 0.9 of before"
hsod_stop 10 || fail "hsod did not stop cleanly"
echo "attack_conns: ok"
