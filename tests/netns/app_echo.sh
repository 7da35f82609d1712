#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Echo applications behind hsod, checked byte for byte by Python's ssl
# client (tests/netns/app_echo.py) in a network namespace of our own:
#  (a) in process: hsod --app echo; 20 connections x 256 KiB, TLS 1.3 and
#      TLS 1.2, random-sized writes, echoed exactly; gnutls-cli's close_notify
#      after its data (TLS 1.3 half-close) still gets all of it back.
#  (b) a DPDK secondary process: hsod --app external --export-keys on
#      hugepages. With no application attached a connection is refused fast
#      and counted (conns_no_app). hso-echo --keylog attaches; 100
#      connections each send and receive 1 MB in random-sized writes; the
#      TLS 1.3 traffic secrets hso-echo was handed equal the client's own
#      key log; telemetry agrees (apps_attached, handshakes, mbufs back in
#      the pool). hsod listens on IPv6 too: hso-echo --log-sessions shows
#      the session event naming the family and the client's address (an
#      IPv6 client 2001:db8::1, IPv4 ones 198.18.0.1). SIGTERM to hso-echo
#      detaches it (apps_detached), after which connections are refused again.
# Exit 77 (skip, reason printed) without root, namespaces, TUN or hugepages.
#
# usage: tests/netns/app_echo.sh HSOD [HSO_ECHO]
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
netns_require "hso-appecho-$$"
make_cert "$work" ec.test ec || fail "openssl req"
tls=(--ca "$work/ec.test.pem" --sni ec.test)

# --- (a) in process: --app echo ---------------------------------------------
hsod_start "$hsod" "hsoaeI$$" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/ec.test.pem" --key "$work/ec.test.key" --max-conns 1024 \
	--app echo || fail "hsod --app echo did not become ready"
for v in 1.3 1.2; do
	out=$(in_ns "${client[@]}" "${tls[@]}" --tls $v --conns 20 --bytes 262144 --deadline 60) ||
		fail "--app echo, TLS $v: $out"
	echo "in-process echo, TLS $v, 20 x 256 KiB: $out"
done
# TLS 1.3 half-close: gnutls-cli sends close_notify at the end of its input
# and keeps reading; everything must still come back (RFC 8446 6.1).
head -c 75000 /dev/urandom | base64 >"$work/hc.in"
in_ns timeout 20 gnutls-cli --insecure -p 443 198.18.0.2 \
	--priority "NORMAL:-VERS-ALL:+VERS-TLS1.3" <"$work/hc.in" >"$work/hc.out" 2>/dev/null
got=$(grep -a -x -F -f "$work/hc.in" "$work/hc.out" | wc -c)
[ "$got" -eq "$(wc -c <"$work/hc.in")" ] ||
	fail "TLS 1.3 close_notify after the data: $got of $(wc -c <"$work/hc.in") bytes echoed"
echo "gnutls-cli, close_notify after 101 KB: all of it echoed"
# Payload goes by reference in mbuf chains, the checksums offloaded to net_tap
# or not: the kernel must have found every one right.
bad=$(ns_tcp_csum_errors)
[ "$bad" = 0 ] || fail "the namespace's kernel counted $bad TCP checksum errors (TcpInCsumErrors)"
stats_check 'd["handshakes_completed"] >= 41 and d["handshakes_tls12"] >= 20 and d["handshakes_tls13"] >= 21' ||
	fail "--app echo: handshake counters"
hsod_stop 15
rc=$?
[ "$rc" -eq 0 ] || fail "hsod --app echo: exit status $rc after SIGTERM"

# --- (b) a secondary process: --app external + hso-echo -----------------------
hugepages_require 128
HSOD_SHARED=1 hsod_start "$hsod" "hsoaeX$$" --addr 198.18.0.2/24 --addr6 2001:db8::2/64 --listen 443 \
	--cert "$work/ec.test.pem" --key "$work/ec.test.key" --max-conns 1024 \
	--app external --export-keys || fail "hsod --app external did not become ready"

# Nobody attached: refused (RST), fast, and counted.
out=$(in_ns "${client[@]}" "${tls[@]}" --expect-refused --deadline 5) ||
	fail "no application attached, yet: $out"
python3 -c 'import json, sys; sys.exit(0 if json.loads(sys.argv[1])["elapsed_s"] < 2 else 1)' "$out" ||
	fail "no application attached: refused, but slowly: $out"
echo "no application: $out"
wait_stats 'd["conns_no_app"] >= 1 and d["apps_attached"] == 0' 3 || fail "conns_no_app not counted"

echo_start "$work/echo.log" --name echo-test --keylog "$work/echo.keylog" --log-sessions ||
	fail "hso-echo did not attach"
grep -m1 "^hso-echo: attached" "$ECHO_LOG"
wait_stats 'd["apps_attached"] == 1 and d["apps_attach_total"] == 1' 3 || fail "apps_attached after attach"
stats_check "'echo-test' in json.dumps(d) and '$ECHO_PID' in json.dumps(d)" /hso/apps ||
	fail "/hso/apps does not list echo-test (pid $ECHO_PID)"
apps=$(hso_stats /hso/apps)
echo "/hso/apps: $apps"
sleep 0.5
base=$(hso_stats)
free0=$(echo "$base" | python3 -c 'import json, sys; print(json.load(sys.stdin)["mbufs_free"])')
total=$(echo "$base" | python3 -c 'import json, sys; print(json.load(sys.stdin)["mbufs_total"])')
hs0=$(echo "$base" | python3 -c 'import json, sys; print(json.load(sys.stdin)["handshakes_completed"])')

out=$(in_ns "${client[@]}" "${tls[@]}" --tls 1.3 --conns 100 --bytes 1000000 --deadline 90 \
	--keylog "$work/client.keylog") || fail "hso-echo, 100 x 1 MB: $out"
echo "hso-echo, 100 connections x 1 MB, TLS 1.3: $out"
wait_stats "d['apps_attached'] == 1 and d['handshakes_completed'] >= $hs0 + 100" 3 ||
	fail "telemetry after 100 connections"
[ "$free0" -ge $((total / 2)) ] || fail "an idle hsod holds $((total - free0)) of its $total mbufs"
# Every mbuf comes back once the connections are closed.
wait_stats "d['mbufs_free'] >= $free0 - 64 and d['mbufs_free'] <= d['mbufs_total']" 5 ||
	fail "mbufs not returned to the pool: $free0 free of $total before the run"
after=$(hso_stats)
echo "$after" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("telemetry: apps_attached=%d handshakes_completed=%d conns_no_app=%d mbufs_free=%d/%d (before the run: %s) app_budget_stalls=%d tcp_zero_window=%d window_updates=%d" % (
    d["apps_attached"], d["handshakes_completed"], d["conns_no_app"], d["mbufs_free"],
    d["mbufs_total"], sys.argv[1], d["app_budget_stalls"], d["tcp_zero_window"], d["window_updates"]))
app = {k: v for k, v in d.items() if k.startswith("app_")}
print("telemetry:", " ".join("%s=%d" % kv for kv in sorted(app.items())))
# A well-behaved application: nothing dropped, aborted or lost.
bad = {k: app.get(k, 0) for k in ("app_backlog_aborts", "app_bytes_dropped", "app_gone_closes",
                                  "app_closed_lost")}
if any(bad.values()):
    print("unexpected:", bad)
    sys.exit(1)
' "$free0" || fail "telemetry: $after"

# The session event says which family a client used, and its address:
# one IPv6 client (from 2001:db8::1, to hsod's 2001:db8::2) and one IPv4.
in_ns ip -6 addr add 2001:db8::1/64 dev hso0 nodad || fail "ip -6 addr add"
for h in 2001:db8::2 198.18.0.2; do
	out=$(in_ns python3 "$here/app_echo.py" --host $h --port 443 "${tls[@]}" --tls 1.3 \
		--conns 1 --bytes 5000 --deadline 20 --keylog "$work/client.keylog") ||
		fail "echo over $h: $out"
done
grep -q "^session ipv6 \[2001:db8::1\]:[0-9]* -> \[2001:db8::2\]:443 tls 0304 .* sni ec.test$" \
	"$ECHO_LOG" || { grep "^session" "$ECHO_LOG" | tail -3; fail "no IPv6 session line in hso-echo's log"; }
[ "$(grep -c '^session ipv4 198\.18\.0\.1:[0-9]* -> 198\.18\.0\.2:443 tls 0304 ' "$ECHO_LOG")" = 101 ] ||
	fail "hso-echo: $(grep -c '^session ipv4' "$ECHO_LOG") IPv4 session lines, want 101"
echo "hso-echo --log-sessions: $(grep '^session ipv6' "$ECHO_LOG")"

# SIGTERM: hso-echo detaches and says what it did.
echo_stop
rc=$?
[ "$rc" -eq 0 ] || fail "hso-echo exit status $rc after SIGTERM ($(tail -3 "$ECHO_LOG"))"
line=$(grep '^{' "$ECHO_LOG" | tail -1)
echo "hso-echo stats: $line"
[ -n "$line" ] || fail "hso-echo printed no JSON stats line at SIGTERM: '$(tail -3 "$ECHO_LOG")'"
python3 -c '
import json, sys
s = json.loads(sys.argv[1])
sys.exit(0 if s["sessions"] == 102 and s["closes"] == 102
         and s["bytes"] == 100 * 1000000 + 2 * 5000 and s["keys_logged"] == 102 else 1)
' "$line" || fail "hso-echo's counters do not match the run (102 sessions, 100 MB + 10 KB, 102 keys)"

# The key logs: TLS 1.3 traffic secrets equal for the same client_random.
python3 - "$work/client.keylog" "$work/echo.keylog" <<'PY' || fail "key logs differ"
import sys
def load(path):
    out = {}
    for line in open(path):
        f = line.split()
        if len(f) == 3 and f[0] in ("CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0"):
            out.setdefault(f[1].lower(), {})[f[0]] = f[2].lower()
    return out
client, app = load(sys.argv[1]), load(sys.argv[2])
bad = 0
for cr, secrets in client.items():
    if app.get(cr) != secrets:
        bad += 1
        if bad <= 3:
            print("client_random %s: client %s, hso-echo %s" % (cr, secrets, app.get(cr)))
extra = set(app) - set(client)
print("key logs: %d sessions in the client's, %d in hso-echo's, %d differ or missing, %d unknown to the client" % (
    len(client), len(app), bad, len(extra)))
sys.exit(1 if bad or len(client) < 100 or extra else 0)
PY

wait_stats 'd["apps_attached"] == 0 and d["apps_detached"] == 1 and d["apps_crashed"] == 0' 3 ||
	fail "after SIGTERM to hso-echo"
out=$(in_ns "${client[@]}" "${tls[@]}" --expect-refused --deadline 5) ||
	fail "hso-echo detached, yet: $out"
echo "after detach: $out"
wait_stats 'd["conns_no_app"] >= 2' 3 || fail "conns_no_app not counted after the detach"

# The example application (examples/hso_hello.c) attaches in the freed slot
# and answers a real client: a greeting naming the SNI, then upper case.
hello=$(dirname "$hso_echo")/hso-hello
if [ -x "$hello" ]; then
	ip netns exec "$NS" "$hello" -l 1 --proc-type=secondary --file-prefix "$HSOD_PREFIX" \
		--no-pci --log-level=lib.eal:warning >"$work/hello.log" 2>&1 &
	hello_pid=$!
	NETNS_PIDS="$NETNS_PIDS $hello_pid"
	for _ in $(seq 1 100); do
		grep -q "^hso-hello: attached" "$work/hello.log" && break
		sleep 0.1
	done
	grep -q "^hso-hello: attached" "$work/hello.log" || fail "hso-hello did not attach: $(cat "$work/hello.log")"
	out=$(in_ns python3 - <<'PY'
import socket, ssl
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = c.wrap_socket(socket.create_connection(("198.18.0.2", 443), timeout=5), server_hostname="ec.test")
got = b""
while not got.endswith(b"\n"):
    got += s.recv(100)
s.sendall(b"shout this\n")
up = b""
while len(up) < 11:
    up += s.recv(100)
print(repr(got), repr(up))
assert got == b"hello ec.test, TLS 1.3\n" and up == b"SHOUT THIS\n", (got, up)
PY
) || fail "hso-hello: $out"
	echo "hso-hello (the example): $out"
	kill -TERM "$hello_pid"
	wait "$hello_pid" || fail "hso-hello: exit status $? after SIGTERM"
else
	echo "note: $hello not built; the example is not run"
fi
kill -0 "$HSOD_PID" 2>/dev/null || fail "hsod died"
hsod_stop 15
rc=$?
[ "$rc" -eq 0 ] || fail "hsod --app external: exit status $rc after SIGTERM"
echo "app_echo: ok"
