#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The Prometheus exposition hsod renders (dataplane/metrics.c), from the
# made-up hsod of tests/test_counters.c, through `promtool check metrics`
# (the Prometheus project's own parser and linter: format, names, HELP,
# _total on counters, histogram buckets); then the Grafana dashboard's
# queries against it (tests/grafana_check.py: PromQL accepted by promtool,
# every metric and grouping label one hsod exposes). Skips (77) without
# promtool (Debian package prometheus, installed by deploy/setup.sh).
#
# usage: tests/metrics_promtool.sh TEST_COUNTERS GRAFANA_CHECK DASHBOARD
set -uo pipefail
if ! command -v promtool >/dev/null; then
	echo "skip: promtool not found (apt-get install prometheus, or deploy/setup.sh)"
	exit 77
fi
out=$(mktemp /tmp/hso-metrics-XXXXXX)
trap 'rm -f "$out"' EXIT
"$1" --exposition "$out" || { echo "FAIL: test_counters --exposition"; exit 1; }
if ! promtool check metrics <"$out"; then
	echo "FAIL: promtool check metrics refused the exposition"
	exit 1
fi
echo "ok: promtool accepts the exposition ($(grep -c '^hso_' "$out") samples)"
python3 "$2" "$3" "$out" || { echo "FAIL: the dashboard does not match the metrics"; exit 1; }
