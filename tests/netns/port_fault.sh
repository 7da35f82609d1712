#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Port faults: the kernel side of hsod's port is taken down for 2 s and
# brought back while traffic runs, on a TAP port (net_tap) and on a veth
# pair (net_af_packet). During the outage:
#   - a legitimate client (attack_lib.sh, echo, new connection each) keeps
#     going: its handshakes either complete (late, by retransmission) or end
#     by its 3 s timeout, both counted, none hangs
#   - 20 established sessions send a message each while the link is down:
#     TCP retransmits it once the link is back and every one is answered
#     (the connections survive)
#   - hsod keeps running; afterwards the legit rate is >= 0.9 of before
# Printed: what happened to each kind, hsod's transmit drops and retransmits.
#
# 3. hsod's own TAP port stopped and started by telemetry command
#    (/hso/port/stop,0 then /hso/port/start,0, 2 s apart): in DPDK 22.11
#    rte_eth_dev_stop()/start() must not run while another lcore is in
#    rte_eth_rx_burst()/tx_burst() on the port, so hsod's control path
#    first takes the port from the workers (a lock-free gate each worker
#    reads once per poll, worker.h) and stops it only once every one keeps
#    off it; net_tap's stop also takes the kernel side down. The same
#    checks, plus: /hso/port says stopped, then running; port_stops
#    counted; hsod's frames meanwhile dropped and counted (tx_dropped).
# Exit 77 without root, namespaces, TUN or veth.
#
# usage: tests/netns/port_fault.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=attack_lib.sh
. "$(dirname "$0")/attack_lib.sh"
work=$NETNS_WORK
HELD=20

# outage KIND IFACE [telemetry]: the fault while legit load and held
# sessions run: IFACE (the kernel side) down and up, or with "telemetry"
# hsod's port 0 stopped and started by command.
outage() {
	local kind=$1 ifc=$2 how=${3:-link} s0 s1 held st
	legit "before_$kind" --echo
	rm -f "$work/release"
	attack_start python3 "$ATTACK_TOOLS" hold --echo --conns $HELD --seconds 60 \
		--release "$work/release" --check
	for _ in $(seq 1 300); do
		grep -q "^held" "$work/attack.out" && break
		sleep 0.1
	done
	grep -q "^held $HELD\$" "$work/attack.out" ||
		fail "$kind: held '$(cat "$work/attack.out")' $(tail -5 "$work/attack.err")"
	s0=$(hso_stats)
	# Legit load across the outage: 1 s before, 2 s down, 3 s after.
	in_ns taskset -c 1 python3 "$ATTACK_TOOLS" legit --echo --rate "$LEGIT_RATE" \
		--threads 4 --seconds 6 >"$work/across_$kind.json" 2>&1 &
	local lp=$!
	sleep 1
	if [ "$how" = telemetry ]; then
		st=$(hso_stats /hso/port/stop,0)
		echo "$kind: /hso/port/stop,0: $st"
		for _ in $(seq 1 20); do
			[ "$(hso_stats /hso/port,0)" = '{"0": "stopped"}' ] && break
			sleep 0.05
		done
		[ "$(hso_stats /hso/port,0)" = '{"0": "stopped"}' ] ||
			fail "$kind: port 0 not stopped: $(hso_stats /hso/port,0)"
	else
		in_ns ip link set "$ifc" down
	fi
	touch "$work/release"   # the held sessions ask now, into the outage
	sleep 2
	if [ "$how" = telemetry ]; then
		st=$(hso_stats /hso/port/start,0)
		echo "$kind: /hso/port/start,0: $st"
		for _ in $(seq 1 20); do
			[ "$(hso_stats /hso/port,0)" = '{"0": "running"}' ] && break
			sleep 0.05
		done
		[ "$(hso_stats /hso/port,0)" = '{"0": "running"}' ] ||
			fail "$kind: port 0 not running again: $(hso_stats /hso/port,0)"
	else
		in_ns ip link set "$ifc" up
	fi
	wait "$lp"
	for _ in $(seq 1 200); do
		kill -0 "$ATTACK_PID" 2>/dev/null || break
		sleep 0.1
	done
	attack_stop TERM
	held=$(tail -1 "$work/attack.out")
	kill -0 "$HSOD_PID" || fail "$kind: hsod died with its port down"
	sleep 1
	legit "after_$kind" --echo
	s1=$(hso_stats)
	local before after
	before=$(stat_of "$(cat "$work/before_$kind.json")" rate)
	after=$(stat_of "$(cat "$work/after_$kind.json")" rate)
	echo "fault_result: {\"port\": \"$kind\", \"outage_s\": 2, \"across\": $(tail -1 "$work/across_$kind.json")," \
		"\"held\": $held, \"legit_before\": $before, \"legit_after\": $after," \
		"\"ratio_after\": $(ratio "$after" "$before")," \
		"\"tx_dropped\": $(($(stat_of "$s1" drops) - $(stat_of "$s0" drops)))," \
		"\"handshakes_timed_out\": $(($(stat_of "$s1" handshakes_timed_out) - $(stat_of "$s0" handshakes_timed_out))),"  \
		"\"port_stops\": $(($(stat_of "$s1" port_stops) - $(stat_of "$s0" port_stops)))," \
		"\"worker_tx_dropped\": $(($(stat_of "$s1" tx_dropped) - $(stat_of "$s0" tx_dropped)))," \
		"\"tcp_retransmits\": $(($(stat_of "$s1" tcp_retransmits) - $(stat_of "$s0" tcp_retransmits)))}"
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
other = {k: v for k, v in d["errors"].items() if k not in ("TimeoutError", "ConnectionResetError", "ConnectionRefusedError", "SSLEOFError", "OSError")}
sys.exit(1 if other or d["ok"] == 0 else 0)
' "$(tail -1 "$work/across_$kind.json")" ||
		fail "$kind: legit connections across the outage ended other than completed, timed out or reset"
	check "$(stat_of "$held" answered_after) == $HELD" "$kind: sessions did not survive the outage"
	check "$(ratio "$after" "$before") >= 0.9" "$kind: legit rate after the outage below 0.9 of before"
	if [ "$how" = telemetry ]; then
		check "$(($(stat_of "$s1" port_stops) - $(stat_of "$s0" port_stops))) == 1" \
			"$kind: port_stops not counted once"
	fi
}

# 1. TAP: the kernel side (hso0) down and up.
netns_require "hso-fault-$$"
make_cert "$work" ec.test ec || fail "openssl req"
hsod_start "$hsod" "hsofault$$" --addr 198.18.0.2/24 --gateway 198.18.0.1 --listen 443 \
	--cert "$work/ec.test.pem" --key "$work/ec.test.key" --app echo ||
	fail "hsod did not become ready"
legit warm --echo
outage tap hso0
# 3. The same port stopped and started by hsod's telemetry commands. A bad
# port index is refused.
[ "$(echo /hso/port/stop,7 | in_ns dpdk-telemetry.py -f "$HSOD_PREFIX" 2>/dev/null |
	grep -c '"/hso/port/stop": null')" = 1 ] || fail "/hso/port/stop,7 (no port 7) not refused"
outage tap_telemetry hso0 telemetry
hsod_stop 10 || fail "hsod did not stop cleanly (tap)"
ip netns del "$NS"

# 2. veth with net_af_packet: the kernel side (hso-v0) down and up.
netns_require "hso-fault2-$$"
if ! in_ns ip link add hso-v0 type veth peer name hso-v1 2>"$work/veth.err"; then
	echo "skip: cannot create a veth pair: $(cat "$work/veth.err")"
	exit 77
fi
in_ns ip addr add 198.18.0.1/24 dev hso-v0
# Complete frames with their checksums on the packet socket (see hsod_ports.sh).
in_ns ethtool -K hso-v0 tx off tso off gso off gro off >/dev/null 2>&1 ||
	fail "ethtool -K hso-v0: cannot turn checksum offload off"
in_ns ethtool -K hso-v1 gro off >/dev/null 2>&1
in_ns ip link set hso-v0 up
in_ns ip link set hso-v1 up
hsod_launch "$hsod" "hsofault2$$" net_af_packet0,iface=hso-v1 --addr 198.18.0.2/24 \
	--gateway 198.18.0.1 --listen 443 --cert "$work/ec.test.pem" \
	--key "$work/ec.test.key" --app echo || fail "hsod (af_packet) did not become ready"
in_ns ping -c 1 -W 2 198.18.0.2 >/dev/null || fail "hsod (af_packet) does not answer ping"
legit warm --echo
outage veth hso-v0
hsod_stop 10 || fail "hsod did not stop cleanly (veth)"
echo "port_fault: ok"
