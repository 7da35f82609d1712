#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Flow control from a slow application back to the client, without loss:
# hsod --app external --app-conn-budget 65536, hso-echo --rate 262144
# (echoes at most 256 KiB/s). One client connection sends 4 MB as fast as
# it can and does not read for its first 3 s (tests/netns/app_echo.py
# --stall). Every byte comes back exactly; hsod paused delivery because the
# connection's budget was spent (app_budget_stalls), advertised a zero
# window (tcp_zero_window) and reopened it (window_updates); the client's
# send() stalled; and the pool's free mbufs, sampled during the run, stay
# within a bound (what is in flight is the budget plus the rings, not the
# 4 MB). Exit 77 (skip, reason printed) without root, namespaces, TUN or
# hugepages.
#
# usage: tests/netns/app_backpressure.sh HSOD [HSO_ECHO]
set -uo pipefail
hsod=$1
hso_echo=${2:-$(dirname "$1")/hso-echo}
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
work=$NETNS_WORK
client=(python3 "$here/app_echo.py" --host 198.18.0.2 --port 443)
BUDGET=65536
RATE=262144
BYTES=4194304
# Most mbufs the run may take from the pool beyond what an idle hsod holds:
# the budget (~35 mbufs of plaintext), the event ring, the send window
# (HSO_APP_SEND_WINDOW 32) and the TX path; far below the ~2900 mbufs that
# buffering the whole 4 MB would need.
MBUF_BOUND=256
# shellcheck source=app_lib.sh
. "$here/app_lib.sh"

[ -x "$hso_echo" ] || { echo "FAIL: no hso-echo at $hso_echo"; exit 1; }
netns_require "hso-appbp-$$"
hugepages_require 128
make_cert "$work" ec.test ec || fail "openssl req"
HSOD_SHARED=1 hsod_start "$hsod" "hsoabp$$" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/ec.test.pem" --key "$work/ec.test.key" --max-conns 256 \
	--app external --app-conn-budget $BUDGET || fail "hsod --app external did not become ready"
echo_start "$work/echo.log" --name slow-echo --rate $RATE || fail "hso-echo did not attach"
wait_stats 'd["apps_attached"] == 1' 3 || fail "apps_attached after attach"
sleep 0.5
base=$(hso_stats)
free0=$(echo "$base" | python3 -c 'import json, sys; print(json.load(sys.stdin)["mbufs_free"])')
[ -n "$free0" ] || fail "no mbufs_free in /hso/stats: $base"

# Sample the pool while the client runs.
in_ns "${client[@]}" --stall --stall-seconds 3 --bytes $BYTES --deadline 50 \
	>"$work/stall.out" 2>&1 &
cpid=$!
NETNS_PIDS="$NETNS_PIDS $cpid"
: >"$work/free.samples"
while kill -0 "$cpid" 2>/dev/null; do
	hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["mbufs_free"])' \
		>>"$work/free.samples" 2>/dev/null
	sleep 0.3
done
wait "$cpid"
rc=$?
out=$(cat "$work/stall.out")
echo "client: $out"
[ "$rc" -eq 0 ] || fail "stalling client (4 MB through a 256 KiB/s application): $out"

python3 - "$out" "$free0" "$MBUF_BOUND" "$work/free.samples" <<'PY' || fail "memory not bounded"
import json, sys
c = json.loads(sys.argv[1])
free0, bound = int(sys.argv[2]), int(sys.argv[3])
samples = [int(x) for x in open(sys.argv[4]).read().split()]
lowest = min(samples) if samples else free0
print("mbufs: %d free before the run; %d samples during it, lowest %d (at most %d in use by the run, bound %d)" % (
    free0, len(samples), lowest, free0 - lowest, bound))
print("client: sent %d bytes before reading; send() blocked %.2f s of the %g s it did not read, %.2f s in all (longest %.2f s); %.2f s, %.3f MB/s" % (
    c["sent_before_read"], c["blocked_noread_s"], c["stall_s"], c["blocked_total_s"],
    c["longest_block_s"], c["elapsed_s"], c["echo_MBps"]))
ok = len(samples) >= 5 and free0 - lowest <= bound
if c["blocked_noread_s"] < 0.5:
    print("the client's send() hardly ever blocked while it did not read")
    ok = False
sys.exit(0 if ok else 1)
PY

wait_stats 'd["app_budget_stalls"] > 0 and d["tcp_zero_window"] > 0 and d["window_updates"] > 0' 3 ||
	fail "hsod did not close and reopen the window"
wait_stats "d['mbufs_free'] >= $free0 - 64" 5 || fail "mbufs not returned after the run ($free0 before)"
hso_stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("hsod: app_budget_stalls=%d tcp_zero_window=%d window_updates=%d mbufs_free=%d/%d" % (
    d["app_budget_stalls"], d["tcp_zero_window"], d["window_updates"], d["mbufs_free"], d["mbufs_total"]))
'
echo_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-echo exit status $rc after SIGTERM"
echo "hso-echo stats: $(grep '^{' "$ECHO_LOG" | tail -1)"
hsod_stop 15
rc=$?
[ "$rc" -eq 0 ] || fail "hsod: exit status $rc after SIGTERM"
echo "app_backpressure: ok"
