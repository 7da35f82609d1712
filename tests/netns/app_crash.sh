#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# An application that dies does not take hsod or its clients down with it:
# hsod --app external, hso-echo --rate 65536 attached, 10 client connections
# held open (tests/netns/app_echo.py --hold 10), each with 32 KiB sent and
# not yet echoed (the slow application holds it in DATA events); kill -9
# hso-echo. Within about 2 s hsod has noticed (apps_crashed 1,
# apps_attached 0) and closed the 10 connections cleanly (close_notify or
# FIN, no reset, no hang; what was echoed before is exact); hsod still
# answers; the mbufs the dead process held are taken back (the pool is
# where it was before the run); a new hso-echo attaches and serves new
# connections byte for byte. Exit 77 (skip, reason printed) without root,
# namespaces, TUN or hugepages.
#
# usage: tests/netns/app_crash.sh HSOD [HSO_ECHO]
set -uo pipefail
hsod=$1
hso_echo=${2:-$(dirname "$1")/hso-echo}
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
work=$NETNS_WORK
client=(python3 "$here/app_echo.py" --host 198.18.0.2 --port 443)
# shellcheck source=app_lib.sh
. "$here/app_lib.sh"

[ -x "$hso_echo" ] || { echo "FAIL: no hso-echo at $hso_echo"; exit 1; }
netns_require "hso-appcrash-$$"
hugepages_require 128
make_cert "$work" ec.test ec || fail "openssl req"
HSOD_SHARED=1 hsod_start "$hsod" "hsoacr$$" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/ec.test.pem" --key "$work/ec.test.key" --max-conns 256 \
	--app external || fail "hsod --app external did not become ready"
echo_start "$work/echo1.log" --name doomed --rate 65536 || fail "hso-echo did not attach"
wait_stats 'd["apps_attached"] == 1' 3 || fail "apps_attached after attach"
sleep 0.5
free0=$(stat_of mbufs_free)

in_ns "${client[@]}" --hold 10 --hold-send 32768 --hold-timeout 10 --expect-close \
	>"$work/hold.out" 2>&1 &
holder=$!
NETNS_PIDS="$NETNS_PIDS $holder"
for _ in $(seq 1 100); do
	grep -q '^held$' "$work/hold.out" && break
	kill -0 "$holder" 2>/dev/null || break
	sleep 0.1
done
grep -q '^held$' "$work/hold.out" || fail "could not hold 10 connections: $(cat "$work/hold.out")"
apps=$(hso_stats /hso/apps)
echo "/hso/apps with 10 connections held: $apps"
echo "$apps" | python3 -c '
import json, sys
a = json.load(sys.stdin)
i = a["state"].index("active")
assert a["open"][i] == 10 and a["sessions"][i] >= 10, a
' || fail "/hso/apps does not show the 10 open sessions: $apps"

victim=$ECHO_PID
t_kill=$(date +%s.%N)
kill -KILL "$victim"
wait "$victim" 2>/dev/null
ECHO_PID=
# hsod notices: it closes the held connections cleanly within ~2 s (timed
# by the client), and says so in telemetry (polled: the telemetry client
# itself can take a second on a loaded machine).
wait "$holder"
rc=$?
out=$(grep '^{' "$work/hold.out" | tail -1)
echo "held connections: $out"
[ "$rc" -eq 0 ] || fail "the held connections did not all end with close_notify/FIN: $(cat "$work/hold.out")"
python3 - "$out" "$t_kill" <<'PY' || fail "the held connections were closed too late"
import json, sys
h = json.loads(sys.argv[1])
t_kill = float(sys.argv[2])
late = h["last_end"] - t_kill
print("all %d closed %.2f..%.2f s after the kill; %d bytes echoed before it (a prefix of what was sent)" % (
    h["held"], h["first_end"] - t_kill, late, h["echoed"]))
sys.exit(0 if late <= 2.5 else 1)
PY
wait_stats 'd["apps_crashed"] == 1 and d["apps_attached"] == 0' 5 ||
	fail "hsod's telemetry does not show the crash (apps_crashed 1, apps_attached 0)"
echo "hsod noticed the kill -9 (telemetry: apps_crashed 1, apps_attached 0) $(python3 -c 'import sys, time; print("%.2f" % (time.time() - float(sys.argv[1])))' "$t_kill") s after it"

# hsod is alive and answers.
kill -0 "$HSOD_PID" 2>/dev/null || fail "hsod died with its application"
in_ns ping -c 1 -W 2 198.18.0.2 >/dev/null || fail "hsod does not answer ping"
out=$(in_ns "${client[@]}" --expect-refused --deadline 5) || fail "no application attached, yet: $out"
stats_check 'd["apps_attached"] == 0 and d["conns_no_app"] >= 1' || fail "telemetry after the crash"
sleep 0.5
hso_stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
free0 = int(sys.argv[1])
print("after the crash: apps_crashed=%d apps_detached=%d conns_no_app=%d app_gone_closes=%s app_bytes_dropped=%s apps_mbufs_reclaimed=%d mbufs_free=%d/%d (%d before)" % (
    d["apps_crashed"], d["apps_detached"], d["conns_no_app"], d.get("app_gone_closes", "?"),
    d.get("app_bytes_dropped", "?"), d["apps_mbufs_reclaimed"], d["mbufs_free"], d["mbufs_total"], free0))
# The dead application held DATA events (it echoed slowly): hsod took those
# mbufs back, and the pool is where it was before the run (a few mbufs of
# slack for the kernel-side traffic still in flight).
sys.exit(0 if d["apps_mbufs_reclaimed"] > 0 and d["mbufs_free"] >= free0 - 8 and
         d.get("app_gone_closes", 10) >= 10 else 1)
' "$free0" || fail "hsod did not take back the mbufs the dead application held"

# A new application attaches and serves.
echo_start "$work/echo2.log" --name phoenix || fail "a new hso-echo did not attach after the crash"
wait_stats 'd["apps_attached"] == 1 and d["apps_attach_total"] == 2' 3 || fail "apps_attached after the restart"
out=$(in_ns "${client[@]}" --conns 4 --bytes 262144 --deadline 30) ||
	fail "the new hso-echo: $out"
echo "new hso-echo, 4 x 256 KiB: $out"
echo_stop
rc=$?
[ "$rc" -eq 0 ] || fail "the new hso-echo: exit status $rc after SIGTERM"
wait_stats 'd["apps_attached"] == 0 and d["apps_detached"] == 1 and d["apps_crashed"] == 1' 3 ||
	fail "after SIGTERM to the new hso-echo"
hsod_stop 15
rc=$?
[ "$rc" -eq 0 ] || fail "hsod: exit status $rc after SIGTERM"
echo "app_crash: ok"
