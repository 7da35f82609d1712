#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# SIGHUP reloads certificates and ticket keys without dropping a
# connection: after the certificate file is replaced, the next handshake
# shows the new certificate while a connection opened before the reload
# still gets answers; a broken file makes the reload fail loudly and the
# previous certificate stays in service. Exit 77 (skip, reason printed)
# without root, namespaces or TUN.
#
# usage: tests/netns/hsod_reload.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

served_cn() {
	echo | in_ns timeout 10 openssl s_client -connect 198.18.0.2:443 2>/dev/null |
		sed -n 's/^subject=CN = //p'
}

netns_require "hso-reload-$$"
make_cert "$work" a.test ec && make_cert "$work" b.test ec || fail "openssl req"
cp "$work/a.test.pem" "$work/cur.pem"
cp "$work/a.test.key" "$work/cur.key"
hsod_start "$hsod" "hsorl$$" --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/cur.pem" --key "$work/cur.key" --max-conns 256 || fail "not ready"
[ "$(served_cn)" = a.test ] || fail "before reload: served '$(served_cn)'"

# A connection opened before the reload, used after it.
in_ns python3 -c '
import os, socket, ssl, sys, time
c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); c.check_hostname = False; c.verify_mode = ssl.CERT_NONE
s = c.wrap_socket(socket.create_connection(("198.18.0.2", 443), timeout=10))
open(sys.argv[1] + ".open", "w").close()
while not os.path.exists(sys.argv[1] + ".go"):
    time.sleep(0.05)
s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
r = s.recv(200)
sys.exit(0 if r.startswith(b"HTTP/1.1 200") else "old connection: %r" % r)
' "$work/holder" &
holder=$!
for _ in $(seq 1 100); do [ -f "$work/holder.open" ] && break; sleep 0.1; done
[ -f "$work/holder.open" ] || fail "could not open the long-lived connection"

cp "$work/b.test.pem" "$work/cur.pem"
cp "$work/b.test.key" "$work/cur.key"
kill -HUP "$HSOD_PID"
for _ in $(seq 1 50); do grep -q "hsod: reloaded" "$HSOD_LOG" && break; sleep 0.1; done
grep -q "hsod: reloaded" "$HSOD_LOG" || fail "no reload message"
[ "$(served_cn)" = b.test ] || fail "after reload: served '$(served_cn)'"
touch "$work/holder.go"
wait "$holder" || fail "the connection opened before the reload was dropped"

# A broken certificate file: the reload fails, b.test stays.
echo garbage >"$work/cur.pem"
kill -HUP "$HSOD_PID"
for _ in $(seq 1 50); do grep -q "reload failed" "$HSOD_LOG" && break; sleep 0.1; done
grep -q "reload failed" "$HSOD_LOG" || fail "a broken certificate did not fail the reload"
grep -q "cur.pem" "$HSOD_LOG" || fail "the reload error does not name the file"
[ "$(served_cn)" = b.test ] || fail "after a failed reload: served '$(served_cn)'"

hsod_stop 10
rc=$?
[ "$rc" -eq 0 ] || fail "hsod exit status $rc after SIGTERM"
echo "hsod_reload: ok"
