#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TLS conformance of hsod against suites we did not write, in a network
# namespace of our own (kernel 198.18.0.1/24 <-> hsod 198.18.0.2 on a DPDK
# net_tap port; hsod with its built-in HTTP responder and ALPN h2,http/1.1):
#   - tlsfuzzer: the scripts of scripts.conf (run.py), once against an
#     RSA-2048 certificate and once against an ECDSA P-256 one; every
#     script must pass, probes excluded only with an RFC reason;
#   - testssl.sh: protocols (TLS 1.2 and 1.3 only), ciphers (AEAD only) and
#     every vulnerability check OK (testssl.py reads its JSON).
# Exit 77 (skip, reason printed) without root, network namespaces, TUN,
# tlsfuzzer (HSO_TLSFUZZER, else shared/tlsfuzzer in a folder above SRCDIR), Debian's
# python3-ecdsa or testssl.sh.
#
# Environment: HSO_CONFORMANCE_CERTS ("rsa ec"), HSO_CONFORMANCE_ONLY
# (script names: run only these, no testssl), HSO_CONFORMANCE_LOGS (a
# directory to keep every log in), HSO_CONFORMANCE_JOBS (scripts at once, 2).
#
# usage: tests/conformance/conformance.sh HSOD SRCDIR
set -uo pipefail
hsod=$1
src=$2
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../netns/lib.sh
. "$here/../netns/lib.sh"
work=$NETNS_WORK

# The team's work trees: HSO_TLSFUZZER, else shared/tlsfuzzer in the first
# folder above the source that has one (../shared from a clone, ../../shared
# from a worktree under wt/).
tf=${HSO_TLSFUZZER:-}
d=$src
while [ -z "$tf" ] && [ "$d" != / ]; do
	d=$(dirname "$d")
	[ -d "$d/shared/tlsfuzzer" ] && tf=$d/shared/tlsfuzzer
done
tf=${tf:-$src/../shared/tlsfuzzer}
if [ ! -d "$tf/tlsfuzzer/tlsfuzzer/_apps" ] || [ ! -d "$tf/tlslite-ng/tlslite" ]; then
	echo "skip: tlsfuzzer not found at $tf (set HSO_TLSFUZZER to a folder holding" \
		"tlsfuzzer/ and tlslite-ng/ work trees)"
	exit 77
fi
if ! /usr/bin/python3 -c 'import ecdsa' 2>/dev/null; then
	echo "skip: Debian's python3-ecdsa is missing (deploy/setup.sh installs it)"
	exit 77
fi
only=${HSO_CONFORMANCE_ONLY:-}
if [ -z "$only" ] && ! command -v testssl >/dev/null; then
	echo "skip: testssl.sh is missing (deploy/setup.sh installs it)"
	exit 77
fi
netns_require "hso-conf-$$"
export PYTHONPATH=$tf/tlslite-ng:$tf/tlsfuzzer
logs=${HSO_CONFORMANCE_LOGS:-$work/logs}
mkdir -p "$logs"
failures=0
t_start=$SECONDS

# The namespace's hsod for certificate KIND (rsa, ec). The handshake
# deadline is 60 s, not 10: tlsfuzzer's pure-Python client takes longer to
# send a 2^24-byte Finished (test-tls13-finished) after hsod has refused it,
# and must still read the alert rather than a reset.
start() {
	local kind=$1
	make_cert "$work" "$kind.test" "$kind" || fail "openssl req $kind"
	hsod_start "$hsod" "hsoconf$kind$$" --addr 198.18.0.2/24 --listen 443 \
		--cert "$work/$kind.test.pem" --key "$work/$kind.test.key" \
		--alpn h2,http/1.1 --max-conns 4096 --max-half-open 1024 \
		--handshake-timeout 60000 ||
		fail "hsod ($kind certificate) did not become ready"
	in_ns ping -c 1 -W 2 198.18.0.2 >/dev/null || fail "hsod does not answer ping"
}

# Where handshakes failed (failed_in_<state>), for the log.
where_failed() {
	hso_stats | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("  hsod: handshakes completed %d, failed %d; by state: %s; ClientHellos over "
      "16 KiB %d (pool empty %d)" % (
    d["handshakes_completed"], d["handshakes_failed"],
    ", ".join("%s %d" % (k[10:], v) for k, v in sorted(d.items())
              if k.startswith("failed_in_")),
    d.get("handshake_large_msgs", -1), d.get("handshake_large_msg_pool_empty", -1)))' 2>/dev/null
}

for kind in ${HSO_CONFORMANCE_CERTS:-rsa ec}; do
	start "$kind"
	echo "== tlsfuzzer against hsod, $kind certificate"
	# shellcheck disable=SC2086
	if ! in_ns /usr/bin/python3 "$here/run.py" --conf "$here/scripts.conf" \
		--cert "$kind" --logs "$logs/$kind" --jobs "${HSO_CONFORMANCE_JOBS:-2}" \
		--json "$logs/$kind.json" ${only:+--only $only}; then
		failures=$((failures + 1))
	fi
	where_failed
	kill -0 "$HSOD_PID" 2>/dev/null || fail "hsod ($kind) died"
	if [ -z "$only" ]; then
		echo "== testssl.sh against hsod, $kind certificate"
		in_ns python3 "$here/testssl.py" --host 198.18.0.2 --port 443 \
			--out "$logs/testssl-$kind.json" || failures=$((failures + 1))
	fi
	hsod_stop 10 || fail "hsod ($kind) did not stop cleanly"
done

echo "conformance: $((SECONDS - t_start)) s"
if [ $failures -ne 0 ]; then
	echo "FAIL: $failures part(s) failed; logs in $logs" \
		"(set HSO_CONFORMANCE_LOGS to keep them)"
	exit 1
fi
echo "conformance: ok"
