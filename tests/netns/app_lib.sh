# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the application tests (app_echo.sh, app_backpressure.sh,
# app_crash.sh), sourced after lib.sh with $hso_echo set:
#
#   stats_check PYTHON_EXPR [COMMAND]   the expression over d (telemetry) holds
#   wait_stats PYTHON_EXPR SECONDS      ... within SECONDS
#   stat_of KEY                         one /hso/stats counter
#   echo_start LOG ARGS...              hso-echo as a secondary process, attached
#   echo_stop                           SIGTERM it; its exit status (124: still running)

ECHO_PID=
ECHO_LOG=

# stats_check PYTHON_EXPR [COMMAND]: the expression over d (the telemetry
# command's JSON value, /hso/stats by default) must hold; prints d on failure.
stats_check() {
	local expr=$1 cmd=${2:-/hso/stats} out
	out=$(hso_stats "$cmd")
	python3 -c '
import json, sys
d = json.loads(sys.argv[2])
sys.exit(0 if eval(sys.argv[1]) else 1)
' "$expr" "$out" 2>/dev/null && return 0
	echo "  $cmd: $out" | cut -c1-1500
	return 1
}

# stat_of KEY: one counter of /hso/stats ("missing" when absent).
stat_of() {
	hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin).get(sys.argv[1], "missing"))' "$1"
}

# wait_stats PYTHON_EXPR SECONDS: until the expression over /hso/stats holds.
wait_stats() {
	local end=$((SECONDS + $2))
	while [ $SECONDS -lt $end ]; do
		stats_check "$1" >/dev/null && return 0
		sleep 0.2
	done
	stats_check "$1"
}

# echo_start LOG ARGS...: hso-echo as a secondary of hsod on lcore 1; waits
# for "hso-echo: attached".
echo_start() {
	ECHO_LOG=$1
	shift
	ip netns exec "$NS" "$hso_echo" -l 1 --proc-type=secondary --file-prefix "$HSOD_PREFIX" \
		--no-pci --log-level=lib.eal:warning -- "$@" >"$ECHO_LOG" 2>&1 &
	ECHO_PID=$!
	NETNS_PIDS="$NETNS_PIDS $ECHO_PID"
	for _ in $(seq 1 100); do
		grep -q "^hso-echo: attached" "$ECHO_LOG" && return 0
		kill -0 "$ECHO_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "  hso-echo log:"
	sed 's/^/  hso-echo: /' "$ECHO_LOG" | tail -20
	return 1
}

# echo_stop: SIGTERM, exit status 0 within 10 s; prints its JSON stats line.
echo_stop() {
	local rc
	kill -TERM "$ECHO_PID"
	for _ in $(seq 1 100); do
		kill -0 "$ECHO_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$ECHO_PID" 2>/dev/null && return 124
	wait "$ECHO_PID"
	rc=$?
	ECHO_PID=
	return $rc
}

