#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# hsod --metrics: Prometheus metrics on a kernel socket inside the
# namespace, scraped by curl while hsod serves real clients:
#   - a metrics address that cannot be bound is refused before EAL, naming
#     the key;
#   - curl (TLS 1.3 and 1.2) and openssl s_client make handshakes, failures
#     both ways (a suite hsod does not offer: it sends handshake_failure; a
#     client that does not trust the certificate: it sends an alert);
#   - curl -6 over IPv6 (hsod also has 2001:db8::2/64): the hso_net6_*
#     metrics count it, within what /hso/net6 says just after;
#   - the scrape passes `promtool check metrics` (Prometheus' own parser
#     and linter) and agrees with /hso/stats and /hso/latency read at the
#     same quiet moment (handshakes by version, failures by alert, the
#     latency histogram's count);
#   - every metric and label deploy/grafana/hso.json queries is in it, and
#     its queries are PromQL promtool accepts (tests/grafana_check.py);
#   - a scraper that connects and never sends its request, and a wrong
#     path, do not stop hsod answering clients and other scrapes.
# Run with one lcore (the metrics server is in the worker's loop) and with
# three (it is on the main lcore). Exit 77 without root, namespaces, TUN
# or promtool.
#
# usage: tests/netns/hsod_metrics.sh HSOD GRAFANA_CHECK DASHBOARD
set -uo pipefail
hsod=$1
check=$2
dash=$3
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
work=$NETNS_WORK

if ! command -v promtool >/dev/null; then
	echo "skip: promtool not found (apt-get install prometheus, or deploy/setup.sh)"
	exit 77
fi
netns_require "hso-metrics-$$"
make_cert "$work" metrics.test ec || fail "openssl req"
port=9187

# 1. An address that is not ours: refused before EAL, naming the key.
if "$hsod" -l 0 --no-huge --no-pci -- --addr 198.18.0.2/24 --listen 443 \
	--cert "$work/metrics.test.pem" --key "$work/metrics.test.key" \
	--metrics 203.0.113.1:$port >"$work/bad.log" 2>&1; then
	fail "hsod accepted --metrics on an address it cannot bind"
fi
grep -q "\[metrics\] listen (--metrics): 203.0.113.1:$port:" "$work/bad.log" ||
	fail "the bind error does not name the key: $(cat "$work/bad.log")"
grep -q "EAL" "$work/bad.log" && fail "EAL started before the metrics socket was bound"

scrape() { # PATH OUT: an HTTP GET inside the namespace
	in_ns curl -s -m 5 -o "$2" -w '%{http_code}' "http://127.0.0.1:$port$1"
}

run_case() { # name
	local name=$1 code s12 s13 i
	hsod_start "$hsod" "hsometrics$$$name" --addr 198.18.0.2/24 --addr6 2001:db8::2/64 \
		--listen 443 --cert "$work/metrics.test.pem" --key "$work/metrics.test.key" \
		--metrics 127.0.0.1:$port || fail "$name: hsod did not become ready"
	in_ns ip -6 addr add 2001:db8::1/64 dev hso0 nodad || fail "$name: ip -6 addr add"
	# A scraper that connects and says nothing holds a slot, nothing more.
	in_ns python3 -c '
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
time.sleep(8)
' $port &
	NETNS_PIDS="$NETNS_PIDS $!"
	for i in $(seq 1 6); do
		in_ns curl -sk -o /dev/null --tlsv1.3 https://198.18.0.2/ || fail "$name: curl TLS 1.3"
		in_ns curl -sk -o /dev/null --tlsv1.2 --tls-max 1.2 https://198.18.0.2/ ||
			fail "$name: curl TLS 1.2"
	done
	# Failures: a suite hsod does not have (it answers handshake_failure) and
	# a client that does not trust the certificate (it sends the alert).
	for i in 1 2; do
		echo | in_ns openssl s_client -connect 198.18.0.2:443 -tls1_2 \
			-cipher AES128-SHA256 >/dev/null 2>&1
		in_ns curl -s -o /dev/null https://198.18.0.2/ && fail "$name: an untrusted certificate was accepted"
	done
	# IPv6 too, so the hso_net6_* families have samples that mean something.
	for i in 1 2; do
		in_ns curl -6 -sk -o /dev/null "https://[2001:db8::2]/" || fail "$name: curl -6"
	done
	code=$(scrape /nothing "$work/404.txt")
	[ "$code" = 404 ] || fail "$name: GET /nothing answered $code"
	sleep 0.5
	code=$(scrape /metrics "$work/$name.prom") || fail "$name: scrape failed"
	[ "$code" = 200 ] || fail "$name: GET /metrics answered $code"
	hso_stats >"$work/$name.stats" || fail "$name: telemetry"
	hso_stats /hso/latency >"$work/$name.lat" || fail "$name: /hso/latency"
	hso_stats /hso/net6 >"$work/$name.net6" || fail "$name: /hso/net6"
	promtool check metrics <"$work/$name.prom" ||
		fail "$name: promtool check metrics refused the scrape"
	python3 "$check" "$dash" "$work/$name.prom" ||
		fail "$name: the Grafana dashboard queries what hsod does not expose"
	python3 - "$name" "$work/$name.prom" "$work/$name.stats" "$work/$name.lat" \
		"$work/$name.net6" <<'PY' ||
import json, re, sys
name, prom, stats, lat, net6 = sys.argv[1:6]
d = json.load(open(stats))
n6 = json.load(open(net6))
l = json.load(open(lat))
series = {}
for line in open(prom):
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r"([a-z_0-9]+)(\{([^}]*)\})? (\S+)$", line.strip())
    labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(3) or ""))
    series.setdefault(m.group(1), []).append((labels, float(m.group(4))))
def total(metric, **want):
    return sum(v for lab, v in series.get(metric, [])
               if all(lab.get(k) == x for k, x in want.items()))
ok = True
def same(metric, key, **want):
    global ok
    a, b = total(metric, **want), d.get(key, 0)
    print("%s: %s%s = %d, /hso/stats %s = %d" % (name, metric, want or "", a, key, b))
    if a != b:
        ok = False
        print("FAIL: they differ")
same("hso_handshakes_completed_total", "handshakes_completed")
same("hso_handshakes_tls13_total", "handshakes_tls13")
same("hso_handshakes_tls12_total", "handshakes_tls12")
same("hso_handshakes_failed_sent_total", "failed_sent_handshake_failure", alert="handshake_failure")
same("hso_handshakes_failed_total", "handshakes_failed")
same("hso_tcp_accepted_total", "tcp_accepted")
same("hso_apps_attach_total", "apps_attach_total")
if total("hso_handshakes_completed_total") < 12 or total("hso_handshakes_tls12_total") < 6:
    ok = False
    print("FAIL: fewer handshakes than were made")
if d.get("failed_sent_handshake_failure", 0) < 2 or total("hso_handshakes_failed_peer_total") < 2:
    ok = False
    print("FAIL: the failures were not counted on both sides")
# The latency histogram: one sample per completed handshake, as /hso/latency says.
count = total("hso_handshake_duration_seconds_count")
inf = total("hso_handshake_duration_seconds_bucket", le="+Inf")
print("%s: latency count %d (+Inf %d), /hso/latency count %d p50 %d us p99 %d us" %
      (name, count, inf, l["count"], l["p50_us"], l["p99_us"]))
if not (count == inf == l["count"] == d["handshakes_completed"]):
    ok = False
    print("FAIL: the latency histogram does not count every completed handshake")
if not (0 < l["p50_us"] <= l["p99_us"]):
    ok = False
    print("FAIL: latency quantiles")
# Per worker: the lcores are labelled; the main lcore only with several.
workers = {lab["worker"] for lab, _ in series["hso_busy_cycles_total"]}
print("%s: busy_cycles for workers %s" % (name, sorted(workers)))
want = {"0"} if d["lcores"] == 1 else {str(i) for i in range(d["lcores"] - 1)} | {"main"}
if workers != want:
    ok = False
    print("FAIL: workers labelled %s, want %s" % (sorted(workers), sorted(want)))
# IPv6 (read before /hso/net6, so never more than it): the unsolicited NA,
# the segments of the two curl -6, per port 0.
for metric, key, least in (("hso_net6_tx_advertisements_total", "tx_na", 1),
                           ("hso_net6_rx_tcp_total", "rx_tcp", 10)):
    a = total(metric, port="0")
    print("%s: %s = %d, /hso/net6 %s = %d" % (name, metric, a, key, n6[key]))
    if not least <= a <= n6[key]:
        ok = False
        print("FAIL: %s" % metric)
# Drops by reason: the same reasons both ways; the scrape (read first) never
# above telemetry (the namespace's kernel keeps sending router
# solicitations and listener reports, which hsod drops and counts).
reasons = {lab.get("reason") for lab, _ in series.get("hso_net6_drops_total", [])}
for k, v in n6.items():
    if k.startswith("drop6_") and (k[6:] not in reasons or
                                   total("hso_net6_drops_total", reason=k[6:]) > v):
        ok = False
        print("FAIL: hso_net6_drops_total{reason=%s} missing or above /hso/net6's %s" % (k[6:], k))
if total("hso_build_info") != 1 or "hso_metrics_scrapes_total" not in series:
    ok = False
    print("FAIL: build_info / metrics_scrapes")
sys.exit(0 if ok else 1)
PY
		fail "$name: the scrape and telemetry disagree"
	# The scraper that never asked is still connected: others are served,
	# and the first scrape is counted (an exposition counts once it is sent).
	code=$(scrape /metrics "$work/$name.2.prom")
	[ "$code" = 200 ] || fail "$name: a second scrape answered $code"
	grep -q '^hso_metrics_scrapes_total [1-9]' "$work/$name.2.prom" ||
		fail "$name: the first scrape was not counted"
	grep -q '^hso_metrics_errors_total [1-9]' "$work/$name.2.prom" ||
		fail "$name: GET /nothing was not counted as an error"
	in_ns curl -sk -o /dev/null https://198.18.0.2/ || fail "$name: clients not served"
	hsod_stop 10 || fail "$name: hsod did not stop cleanly"
	echo "$name: $(grep -c '^hso_' "$work/$name.prom") samples, promtool ok, dashboard ok"
}

HSOD_LCORES=0 run_case one
HSOD_LCORE_MAP=0@0,1@1,2@0 run_case three
echo "ok: hsod --metrics with one lcore and with three"
