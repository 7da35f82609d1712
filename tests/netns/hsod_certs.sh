#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Dual certificates and OCSP stapling through hsod, end to end, in a network
# namespace of our own, against clients we did not write:
#
#  - a test CA made here with `openssl ca` issues an RSA and an ECDSA
#    certificate for dual.test ([cert rsa] and [cert ecdsa], one name);
#    `openssl ocsp -index` answers for each (-respout): the `ocsp` key;
#  - openssl s_client forced each way (TLS 1.3 -sigalgs; TLS 1.2 -cipher
#    ECDHE-ECDSA / ECDHE-RSA / RSA key exchange) gets the matching key, and
#    with -status the staple of that certificate (status good); curl
#    --cert-status verifies the staple (both versions, both keys), and
#    gnutls-cli forced to RSA or ECDSA signatures gets that key;
#  - without -status no staple is sent; /hso/stats counts ocsp_loaded and
#    ocsp_staples_served;
#  - gnutls-cli --save-ocsp: the staple served is the configured file byte
#    for byte, per key and TLS version;
#  - SIGHUP: a fresh short-lived response (-nmin 1) is loaded and served
#    (its bytes, not the previous file's); once its nextUpdate passes hsod
#    stops stapling it (ocsp_staples_expired) while handshakes go on; a
#    day-long response is swapped in; SIGHUP with the expired file, or with
#    the other certificate's response, fails naming the file and is counted
#    (ocsp_refused_expired, ocsp_refused_mismatch) while the previous
#    configuration keeps serving its staple, byte for byte; a good file is
#    swapped in again (ocsp_loaded counts only accepted files);
#  - hsod --check refuses a response without nextUpdate and two certificates
#    of one key type for one name, naming the file or both sections.
#
# Takes about 85 s: it waits for the one-minute response to expire.
# Exit 77 (skip, reason printed) without root, namespaces or TUN.
#
# usage: tests/netns/hsod_certs.sh HSOD
set -uo pipefail
hsod=$1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK
ca=$work/ca

netns_require "hso-certs-$$"

# ---- the test CA, its two leaves for dual.test, OCSP responses ----------
mkdir -p "$ca/newcerts"
: >"$ca/index.txt"
echo 01 >"$ca/serial"
cat >"$ca/ca.cnf" <<EOF
[ ca ]
default_ca = test_ca
[ test_ca ]
database = $ca/index.txt
new_certs_dir = $ca/newcerts
serial = $ca/serial
default_md = sha256
default_days = 2
policy = any
unique_subject = no
copy_extensions = copy
[ any ]
commonName = supplied
[ leaf ]
basicConstraints = CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
EOF
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=hso test CA" \
	-keyout "$ca/ca.key" -out "$ca/ca.pem" 2>/dev/null || fail "CA"
leaf() { # name, openssl req key options...
	local n=$1
	shift
	openssl req "$@" -nodes -subj "/CN=dual.test" -addext "subjectAltName=DNS:dual.test" \
		-keyout "$work/$n.key" -out "$ca/$n.csr" 2>/dev/null &&
		openssl ca -batch -config "$ca/ca.cnf" -extensions leaf -cert "$ca/ca.pem" \
			-keyfile "$ca/ca.key" -in "$ca/$n.csr" -out "$ca/$n.crt" 2>/dev/null &&
		# The chain file: leaf, then its issuer (hsod checks staples against it).
		cat "$ca/$n.crt" "$ca/ca.pem" >"$work/$n.pem"
}
leaf rsa -newkey rsa:2048 || fail "openssl ca (RSA leaf)"
leaf ecdsa -newkey ec -pkeyopt ec_paramgen_curve:P-256 || fail "openssl ca (ECDSA leaf)"
# ocsp_resp NAME OUT [validity options]: what the CA's responder says now.
ocsp_resp() {
	local n=$1 out=$2
	shift 2
	openssl ocsp -issuer "$ca/ca.pem" -cert "$ca/$n.crt" -no_nonce -reqout "$ca/$n.req" \
		>/dev/null 2>&1 &&
		openssl ocsp -index "$ca/index.txt" -rsigner "$ca/ca.pem" -rkey "$ca/ca.key" \
			-CA "$ca/ca.pem" -reqin "$ca/$n.req" -respout "$out" "$@" >/dev/null 2>&1
}
ocsp_resp rsa "$work/rsa.ocsp" -ndays 1 || fail "openssl ocsp (RSA)"
ocsp_resp ecdsa "$work/ecdsa.ocsp" -ndays 1 || fail "openssl ocsp (ECDSA)"
cp "$work/rsa.ocsp" "$work/rsa.good.ocsp"

cat >"$work/hsod.ini" <<EOF
[net]
addr = 198.18.0.2/24
listen = 443
[cert rsa]
cert = $work/rsa.pem
key = $work/rsa.key
ocsp = $work/rsa.ocsp
default = yes
[cert ecdsa]
cert = $work/ecdsa.pem
key = $work/ecdsa.key
ocsp = $work/ecdsa.ocsp
EOF

# ---- hsod --check: refusals before anything starts ---------------------
out=$("$hsod" --check --config "$work/hsod.ini" 2>&1) || fail "--check: $out"
grep -q "certificate 'ecdsa': OCSP response from $work/ecdsa.ocsp" <<<"$out" ||
	fail "--check does not report the staple: $out"
ocsp_resp rsa "$work/nonext.ocsp" || fail "openssl ocsp (no nextUpdate)"
sed "s|^ocsp = $work/rsa.ocsp|ocsp = $work/nonext.ocsp|" "$work/hsod.ini" >"$work/nonext.ini"
out=$("$hsod" --check --config "$work/nonext.ini" 2>&1) && fail "--check took a response without nextUpdate"
grep -q "certificate 'rsa': ocsp: '$work/nonext.ocsp': expired: no nextUpdate" <<<"$out" ||
	fail "--check (no nextUpdate): $out"
{ cat "$work/hsod.ini"; printf '[cert rsa2]\ncert = %s\nkey = %s\n' "$work/rsa.pem" "$work/rsa.key"; } \
	>"$work/clash.ini"
out=$("$hsod" --check --config "$work/clash.ini" 2>&1) && fail "--check took two RSA certificates for one name"
grep -q "certificate 'rsa2': rsa key for 'dual.test' like certificate 'rsa'" <<<"$out" ||
	fail "--check (clash): $out"
echo "--check: staples reported; no nextUpdate and same-type clash refused: ok"

hsod_start "$hsod" "hsocerts$$" --config "$work/hsod.ini" || fail "hsod did not become ready"

# ---- dual certificates: each client gets the key it can take ------------
# sclient ARGS...: s_client's output for dual.test, the CA trusted.
sclient() {
	echo | in_ns timeout 10 openssl s_client -connect 198.18.0.2:443 -servername dual.test \
		-CAfile "$ca/ca.pem" -verify_return_error "$@" 2>&1
}
# expect WHAT KEYBITS STAPLED ARGS...: KEYBITS 256 (ECDSA) or 2048 (RSA);
# STAPLED yes (a good staple), no (asked with -status, none sent), unasked.
expect() {
	local what=$1 bits=$2 stapled=$3 out
	shift 3
	out=$(sclient "$@")
	grep -q "Verify return code: 0 (ok)" <<<"$out" || fail "$what: handshake: $out"
	grep -q "Server public key is $bits bit" <<<"$out" ||
		fail "$what: wrong key ($(echo "$out" | grep 'Server public key'))"
	if [ "$stapled" = yes ]; then
		grep -q "OCSP Response Status: successful" <<<"$out" &&
			grep -q "Cert Status: good" <<<"$out" ||
			fail "$what: no good staple: $(echo "$out" | grep -i ocsp)"
	elif [ "$stapled" = no ]; then
		grep -q "OCSP response: no response sent" <<<"$out" ||
			fail "$what: a staple came: $(echo "$out" | grep -i 'ocsp' | head -3)"
	elif grep -Eq "^OCSP response|OCSP Response (Status|Data)" <<<"$out"; then
		# s_client's own lines only: "ocsp" anywhere (case aside) also
		# matched a line of the certificate's base64 once in CI.
		fail "$what: OCSP without -status: $(grep -E 'OCSP' <<<"$out" | head -3)"
	fi
}
expect "1.3 default" 256 yes -tls1_3 -status
expect "1.3 ECDSA sigalgs" 256 yes -tls1_3 -status -sigalgs ecdsa_secp256r1_sha256
expect "1.3 RSA-PSS sigalgs" 2048 yes -tls1_3 -status -sigalgs rsa_pss_rsae_sha256:rsa_pss_rsae_sha384
expect "1.2 default" 256 yes -tls1_2 -status
expect "1.2 ECDHE-ECDSA" 256 yes -tls1_2 -status -cipher ECDHE-ECDSA-AES128-GCM-SHA256
expect "1.2 ECDHE-RSA" 2048 yes -tls1_2 -status -cipher ECDHE-RSA-AES256-GCM-SHA384
expect "1.2 RSA key exchange" 2048 yes -tls1_2 -status -cipher AES128-GCM-SHA256
expect "1.2 RSA sigalgs" 2048 yes -tls1_2 -status -sigalgs RSA+SHA256:rsa_pss_rsae_sha256
stat_of() { hso_stats | python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
served=$(stat_of ocsp_staples_served)
[ "$served" = 8 ] || fail "ocsp_staples_served $served after 8 stapled handshakes"
# Not asked (no status_request): not sent.
expect "1.3 without -status" 256 unasked -tls1_3
expect "1.2 without -status" 2048 unasked -tls1_2 -cipher ECDHE-RSA-AES128-GCM-SHA256
[ "$(stat_of ocsp_staples_served)" = "$served" ] || fail "stapled for a client that did not ask"
echo "s_client: ECDSA/RSA chosen by sigalgs and suites, staples of each: ok"

# The staple s_client saw is the file's own response (its serial: 01 RSA, 02 ECDSA).
grep -q "Serial Number: 01" <<<"$(sclient -tls1_3 -status -sigalgs rsa_pss_rsae_sha256)" ||
	fail "RSA staple is not about serial 01"
grep -q "Serial Number: 02" <<<"$(sclient -tls1_3 -status)" || fail "ECDSA staple is not about serial 02"

# curl --cert-status verifies the staple (signature, certificate, time, good).
for v in "--tlsv1.3" "--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256" \
	"--tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256"; do
	# shellcheck disable=SC2086
	out=$(in_ns curl -sS --max-time 10 --cert-status --cacert "$ca/ca.pem" $v \
		--resolve dual.test:443:198.18.0.2 https://dual.test/ -w ' %{http_code}' 2>&1)
	[ "$out" = "hello from hso
 200" ] || fail "curl --cert-status $v: $out"
done
echo "curl --cert-status: TLS 1.3, TLS 1.2 ECDHE-RSA and ECDHE-ECDSA: ok"

# gnutls-cli forced to one signature kind.
for want in "RSA:SIGN-RSA-PSS-RSAE-SHA256" "EC/ECDSA:SIGN-ECDSA-SECP256R1-SHA256"; do
	kind=${want%%:*}
	out=$(echo | in_ns timeout 10 gnutls-cli --x509cafile "$ca/ca.pem" -p 443 \
		--sni-hostname dual.test --verify-hostname dual.test \
		--priority "NORMAL:-SIGN-ALL:+${want#*:}" 198.18.0.2 2>&1)
	# "- Certificate[0] info:", then " - subject `CN=dual.test', ..., RSA key 2048 bits, ..."
	grep -q "Handshake was completed" <<<"$out" &&
		grep -q "$kind key" <<<"$(grep -A1 "Certificate\[0\] info:" <<<"$out")" ||
		fail "gnutls-cli ${want#*:}: $(echo "$out" | grep -A1 -E 'Certificate\[0\]|Error|\*\*\*' | head -3)"
done
echo "gnutls-cli: RSA-PSS-only and ECDSA-only priorities: ok"

# The staple's bytes, as gnutls-cli saves them (--save-ocsp): the file's own.
rsa13="NORMAL:-VERS-ALL:+VERS-TLS1.3:-SIGN-ALL:+SIGN-RSA-PSS-RSAE-SHA256"
rsa12="NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA"
ecdsa13="NORMAL:-VERS-ALL:+VERS-TLS1.3:-SIGN-ALL:+SIGN-ECDSA-SECP256R1-SHA256"
ecdsa12="NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA"
# check_staple WHAT PRIORITY FILE: the staple served is FILE byte for byte
# (FILE "none": no staple at all).
check_staple() {
	local what=$1 prio=$2 want=$3 got=$work/got.ocsp
	rm -f "$got"
	echo | in_ns timeout 10 gnutls-cli --x509cafile "$ca/ca.pem" -p 443 \
		--sni-hostname dual.test --verify-hostname dual.test --priority "$prio" \
		--save-ocsp="$got" 198.18.0.2 >"$got.log" 2>&1
	grep -q "Handshake was completed" "$got.log" ||
		fail "$what: gnutls-cli: $(grep -E 'Error|\*\*\*' "$got.log" | head -3)"
	if [ "$want" = none ]; then
		[ ! -s "$got" ] || fail "$what: a staple came ($(stat -c %s "$got") bytes)"
	else
		cmp -s "$got" "$want" ||
			fail "$what: the staple is not $want ($(stat -c %s "$got" 2>/dev/null || echo no) bytes)"
	fi
}
check_staple "RSA, TLS 1.3" "$rsa13" "$work/rsa.ocsp"
check_staple "RSA, TLS 1.2" "$rsa12" "$work/rsa.ocsp"
check_staple "ECDSA, TLS 1.3" "$ecdsa13" "$work/ecdsa.ocsp"
check_staple "ECDSA, TLS 1.2" "$ecdsa12" "$work/ecdsa.ocsp"
echo "gnutls-cli --save-ocsp: each key's staple is its file, both versions: ok"

[ "$(stat_of ocsp_loaded)" = 2 ] || fail "ocsp_loaded $(stat_of ocsp_loaded), want 2"
served=$(stat_of ocsp_staples_served)
[ "$served" -ge 17 ] || fail "ocsp_staples_served $served, want >= 17 (s_client, curl, gnutls-cli)"

# ---- SIGHUP: a short-lived staple, its expiry, refused reloads -----------
reloads() { grep -c "hsod: reloaded" "$HSOD_LOG"; }
failed_reloads() { grep -c "reload failed" "$HSOD_LOG"; }
hup_wait() { # counter function, previous value
	kill -HUP "$HSOD_PID"
	for _ in $(seq 1 50); do [ "$($1)" -gt "$2" ] && return 0; sleep 0.1; done
	return 1
}
ocsp_resp rsa "$work/short.ocsp" -nmin 1 || fail "openssl ocsp -nmin 1"
short_made=$(date +%s)
cp "$work/short.ocsp" "$work/rsa.ocsp"
cmp -s "$work/short.ocsp" "$work/rsa.good.ocsp" && fail "openssl ocsp made the same response twice"
hup_wait reloads "$(reloads)" || fail "SIGHUP with a fresh response: no reload"
expect "after reload, short-lived staple" 2048 yes -tls1_3 -status -sigalgs rsa_pss_rsae_sha256
# The reload swapped the staple: the new file's bytes, not the old ones.
check_staple "after reload, RSA, TLS 1.3" "$rsa13" "$work/short.ocsp"
check_staple "after reload, RSA, TLS 1.2" "$rsa12" "$work/short.ocsp"
check_staple "after reload, ECDSA" "$ecdsa13" "$work/ecdsa.ocsp"
expired0=$(stat_of ocsp_staples_expired)
# Past its nextUpdate (one minute after it was made) hsod stops stapling it.
sleep $((short_made + 62 - $(date +%s)))
expect "short-lived staple past nextUpdate" 2048 no -tls1_3 -status -sigalgs rsa_pss_rsae_sha256
expect "1.2, past nextUpdate" 2048 no -tls1_2 -status -cipher ECDHE-RSA-AES128-GCM-SHA256
expect "ECDSA staple unaffected" 256 yes -tls1_3 -status
[ "$(stat_of ocsp_staples_expired)" -eq $((expired0 + 2)) ] ||
	fail "ocsp_staples_expired $(stat_of ocsp_staples_expired), want $((expired0 + 2))"
check_staple "past nextUpdate, gnutls-cli" "$rsa13" none
echo "SIGHUP: a one-minute staple served, then no longer once past nextUpdate: ok"

# A fresh day-long response: the reload swaps it in.
ocsp_resp rsa "$work/fresh.ocsp" -ndays 1 || fail "openssl ocsp (fresh)"
cp "$work/fresh.ocsp" "$work/rsa.ocsp"
hup_wait reloads "$(reloads)" || fail "SIGHUP with a fresh day-long response: no reload"
check_staple "fresh staple, TLS 1.3" "$rsa13" "$work/fresh.ocsp"
check_staple "fresh staple, TLS 1.2" "$rsa12" "$work/fresh.ocsp"

# The expired one-minute file at reload: refused, named, counted; the
# configuration in service (with the fresh staple) stays.
cp "$work/short.ocsp" "$work/rsa.ocsp"
hup_wait failed_reloads "$(failed_reloads)" || fail "an expired staple did not fail the reload"
grep -q "certificate 'rsa': ocsp: '$work/rsa.ocsp': expired: nextUpdate" "$HSOD_LOG" ||
	fail "the refusal does not name the file and reason"
[ "$(stat_of ocsp_refused_expired)" = 1 ] || fail "ocsp_refused_expired $(stat_of ocsp_refused_expired)"
check_staple "after the expired file was refused" "$rsa13" "$work/fresh.ocsp"
# The other certificate's response: mismatch.
cp "$work/ecdsa.ocsp" "$work/rsa.ocsp"
hup_wait failed_reloads "$(failed_reloads)" || fail "a mismatched staple did not fail the reload"
grep -q "certificate 'rsa': ocsp: '$work/rsa.ocsp': mismatch" "$HSOD_LOG" ||
	fail "the mismatch is not reported"
[ "$(stat_of ocsp_refused_mismatch)" = 1 ] || fail "ocsp_refused_mismatch $(stat_of ocsp_refused_mismatch)"
# Still serving the previous configuration: both keys, both fresh staples.
expect "after failed reloads, ECDSA" 256 yes -tls1_3 -status
expect "after failed reloads, RSA" 2048 yes -tls1_3 -status -sigalgs rsa_pss_rsae_sha256
check_staple "after failed reloads, RSA, TLS 1.2" "$rsa12" "$work/fresh.ocsp"
check_staple "after failed reloads, ECDSA" "$ecdsa12" "$work/ecdsa.ocsp"
# Another good response: swapped in again.
cp "$work/rsa.good.ocsp" "$work/rsa.ocsp"
hup_wait reloads "$(reloads)" || fail "SIGHUP with a good response: no reload"
expect "good staple back" 2048 yes -tls1_3 -status -sigalgs rsa_pss_rsae_sha256
check_staple "good staple back, gnutls-cli" "$rsa13" "$work/rsa.good.ocsp"
# Files accepted: 2 at start and at each of 3 good reloads; none refused.
[ "$(stat_of ocsp_loaded)" = 8 ] || fail "ocsp_loaded $(stat_of ocsp_loaded), want 8"
[ "$(stat_of ocsp_refused_expired)" = 1 ] && [ "$(stat_of ocsp_refused_mismatch)" = 1 ] ||
	fail "refusals counted again by a good reload"
echo "SIGHUP: expired and mismatched staples refused and counted, old config kept: ok"

hsod_stop 10
rc=$?
[ "$rc" -eq 0 ] || fail "hsod exit status $rc after SIGTERM"
echo "hsod_certs: ok"
