# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the `attack` suite (attack_*.sh) and the port fault tests:
# legitimate load measured just before, during and after an attack in one
# run, hsod's memory, and one JSON result line per attack. Source lib.sh
# first.
#
# Placement on a 2-CPU machine: hsod's one lcore is CPU 0 (EAL pins it);
# the legitimate client and the attacker share CPU 1 (taskset). The legit
# client is paced (LEGIT_RATE handshakes/s, default 100, over 4 threads),
# well under what it can do on half a CPU, so that during an attack it still
# offers the same load and the ratio during/before says what hsod gave it,
# not how the scheduler split CPU 1. Its every handshake is a new
# connection, a full handshake (no resumption) and one request.
#
#   attack_hsod NAME [hsod args]   netns, certificates, hsod on the TAP
#   legit LABEL [attack_tools args]  LEGIT_SECONDS of legit load -> $work/LABEL.json
#   attack_start CMD...             the attacker in the namespace on CPU 1 (ATTACK_PID)
#   attack_stop [SIGNAL]            stop it, wait for its output
#   hsod_rss                        hsod's resident memory, kB
#   stat_of JSON KEY                a number out of a JSON line
#   ratio A B                       A / B with 3 decimals (0 when B is 0)

LEGIT_RATE=${LEGIT_RATE:-100}
LEGIT_SECONDS=${LEGIT_SECONDS:-4}
ATTACK_TOOLS=$(dirname "${BASH_SOURCE[0]}")/attack_tools.py
ATTACK_PID=

attack_hsod() {
	local name=$1
	shift
	netns_require "$name-$$"
	make_cert "$work" ec.test ec || fail "openssl req ec"
	make_cert "$work" rsa.test rsa || fail "openssl req rsa"
	hsod_start "$hsod" "$name$$" --addr 198.18.0.2/24 --gateway 198.18.0.1 \
		--listen 443 --cert "$work/ec.test.pem" --key "$work/ec.test.key" \
		--cert "$work/rsa.test.pem" --key "$work/rsa.test.key" "$@" ||
		fail "hsod did not become ready"
	in_ns ping -c 1 -W 2 198.18.0.2 >/dev/null || fail "hsod does not answer ping"
}

legit() {
	local label=$1
	shift
	in_ns taskset -c 1 python3 "$ATTACK_TOOLS" legit --rate "$LEGIT_RATE" --threads 4 \
		--seconds "$LEGIT_SECONDS" "$@" >"$work/$label.json" 2>"$work/$label.err" ||
		fail "legit load ($label): $(cat "$work/$label.err")"
	echo "legit $label: $(cat "$work/$label.json")"
}

attack_start() {
	# Not through in_ns(): $! must be the attacker's own PID (ip netns exec
	# and taskset exec it), so that a signal reaches it.
	ip netns exec "$NS" taskset -c 1 "$@" >"$work/attack.out" 2>"$work/attack.err" &
	ATTACK_PID=$!
	NETNS_PIDS="$NETNS_PIDS $ATTACK_PID"
}

attack_stop() {
	local sig=${1:-TERM}
	[ -n "$ATTACK_PID" ] || return 0
	kill -"$sig" "$ATTACK_PID" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$ATTACK_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$ATTACK_PID" 2>/dev/null
	wait "$ATTACK_PID" 2>/dev/null
	ATTACK_PID=
}

hsod_rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$HSOD_PID/status"
}

# last_json FILE: its last line if it is a JSON object, else null (a killed
# attacker prints nothing).
last_json() {
	local l
	l=$(tail -1 "$1" 2>/dev/null)
	case "$l" in
	"{"*) echo "$l" ;;
	*) echo null ;;
	esac
}

stat_of() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' "$1" "$2"
}

ratio() {
	python3 -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); print("%.3f" % (a / b if b else 0))' "$1" "$2"
}

# check COND MESSAGE: COND evaluated by python3 (numbers in it), else fail.
check() {
	python3 -c "import sys; sys.exit(0 if ($1) else 1)" || fail "$2 ($1)"
}
