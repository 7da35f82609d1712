#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A real browser against hsod: headless Chromium loads a page from hsod
# (built-in HTTP responder, ALPN http/1.1) over TLS 1.3, then over TLS 1.2
# (hsod configured with --tls-versions 1.2), in a network namespace of our
# own. Chromium sends GREASE values (RFC 8701) and a post-quantum hybrid key
# share (X25519MLKEM768) next to X25519: hello_sniff.py checks that the
# ClientHello really carried them, hsod's counters that the handshakes
# completed and none failed (the unknown values ignored).
# Exit 77 (skip, reason printed) without root, namespaces, TUN or chromium.
#
# usage: tests/netns/chromium.sh HSOD
set -uo pipefail
hsod=$1
here=$(dirname "$0")
# shellcheck source=lib.sh
. "$here/lib.sh"
work=$NETNS_WORK

command -v chromium >/dev/null || {
	echo "skip: chromium is missing (deploy/setup.sh installs it)"
	exit 77
}
netns_require "hso-chromium-$$"
make_cert "$work" hso.test ec || fail "openssl req"
# Trust the test certificate by its key (SHA-256 of the SPKI, base64).
spki=$(openssl x509 -in "$work/hso.test.pem" -pubkey -noout | openssl pkey -pubin -outform der |
	openssl dgst -sha256 -binary | base64)

# browse VERSION: load https://hso.test/ in a fresh profile; the DOM on stdout.
browse() {
	local profile=$work/profile-$1
	mkdir -p "$profile"
	in_ns timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic \
		--no-first-run --disable-background-networking --disable-component-update \
		--disable-sync --disable-dev-shm-usage --user-data-dir="$profile" \
		--host-resolver-rules="MAP hso.test 198.18.0.2" \
		--ignore-certificate-errors-spki-list="$spki" \
		--dump-dom https://hso.test/ 2>"$work/chromium-$1.log"
}

# browse_fail VERSION WHAT: Chromium's own log, then fail.
browse_fail() {
	sed 's/^/  chromium: /' "$work/chromium-$1.log" | tail -15
	fail "TLS $1: $2"
}

for v in 1.3 1.2; do
	hsod_start "$hsod" "hsochrome$$${v/./}" --addr 198.18.0.2/24 --listen 443 \
		--cert "$work/hso.test.pem" --key "$work/hso.test.key" \
		--alpn http/1.1 --tls-versions "$v" || fail "hsod (TLS $v) did not become ready"
	rm -f "$work/sniff-$v.ready"
	in_ns python3 "$here/hello_sniff.py" hso0 443 60 "$work/hello-$v.json" "$work/sniff-$v.ready" &
	sniff=$!
	NETNS_PIDS="$NETNS_PIDS $sniff"
	# Until the sniffer captures (Python starts slowly on a loaded machine).
	for _ in $(seq 1 100); do
		[ -e "$work/sniff-$v.ready" ] && break
		sleep 0.1
	done
	[ -e "$work/sniff-$v.ready" ] || fail "TLS $v: hello_sniff.py did not start capturing in 10 s"
	dom=$(browse "$v")
	wait "$sniff" || fail "TLS $v: no ClientHello captured"
	case "$dom" in
	*"hello from hso"*) ;;
	*) browse_fail "$v" "Chromium did not load the page: '$dom'" ;;
	esac
	stats=$(hso_stats)
	python3 - "$v" "$work/hello-$v.json" "$stats" <<'PY' || browse_fail "$v" "see above"
import json, sys
v, hello, stats = sys.argv[1], json.load(open(sys.argv[2])), json.loads(sys.argv[3])
ok = True
def check(cond, what):
    global ok
    print("  %s: %s" % ("ok" if cond else "FAIL", what))
    ok = ok and bool(cond)
groups = [g for g, _ in hello["key_shares"]]
check(hello["grease"], "the ClientHello carries GREASE values %s"
      % ["0x%04x" % g for g in hello["grease"]])
# X25519MLKEM768 (0x11ec) is what Chromium offers now; any hybrid of the
# 0x11eb..0x11ee and 0x6399 (Kyber draft) codes counts.
pq = [g for g in groups if g in (0x11eb, 0x11ec, 0x11ed, 0x11ee, 0x6399)]
check(pq, "a post-quantum hybrid key share (%s) next to %s"
      % (["0x%04x" % g for g in pq], ["0x%04x" % g for g in groups if g not in pq]))
check(hello["length"] > 1000, "a large ClientHello (%d bytes)" % hello["length"])
key = "handshakes_tls13" if v == "1.3" else "handshakes_tls12"
check(stats[key] >= 1, "hsod completed %d TLS %s handshakes" % (stats[key], v))
check(stats["handshakes_failed"] == 0, "no handshake failed (%d)" % stats["handshakes_failed"])
if not ok:
    # What went wrong, by alert and state (the counters that say it).
    print("  hsod: " + json.dumps({k: n for k, n in stats.items()
                                   if n and (k.startswith("failed_") or "alert" in k)}))
sys.exit(0 if ok else 1)
PY
	echo "Chromium over TLS $v: page loaded"
	hsod_stop 10 || fail "hsod (TLS $v) did not stop cleanly"
done
echo "chromium: ok"
