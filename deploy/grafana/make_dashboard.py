#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes deploy/grafana/hso.json, the Grafana dashboard over hsod --metrics.

Edit the panels here and run it; tests/grafana_check.py (metrics_promtool and
the netns hsod_metrics test) checks every query against hsod's metrics.
"""
import json
import os

R = "$__rate_interval"
I = 'instance=~"$instance"'


def ts(title, targets, unit="short", y=0, x=0, w=12, h=8, desc=""):
    return {"type": "timeseries", "title": title, "description": desc,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": h, "w": w, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": unit, "custom": {"fillOpacity": 10}}, "overrides": []},
            "options": {"legend": {"displayMode": "table", "placement": "right", "showLegend": True},
                        "tooltip": {"mode": "multi", "sort": "desc"}},
            "targets": [{"expr": e, "legendFormat": l, "refId": chr(65 + i),
                         "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                        for i, (e, l) in enumerate(targets)]}


def stat(title, expr, unit, x, y, w=4, legend=""):
    return {"type": "stat", "title": title,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": 4, "w": w, "x": x, "y": y},
            "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
            "options": {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                        "textMode": "value_and_name" if legend else "value", "colorMode": "none"},
            "targets": [{"expr": expr, "legendFormat": legend, "refId": "A", "instant": True,
                         "datasource": {"type": "prometheus", "uid": "${datasource}"}}]}
p = []
y = 0
p.append(stat("Handshakes/s", f'sum(rate(hso_handshakes_completed_total{{{I}}}[{R}]))', "ops", 0, y))
p.append(stat("Failures/s", f'sum(rate(hso_handshakes_failed_total{{{I}}}[{R}]))', "ops", 4, y))
p.append(stat("Latency p99", f'histogram_quantile(0.99, sum by (le) (rate(hso_handshake_duration_seconds_bucket{{{I}}}[{R}])))', "s", 8, y))
p.append(stat("Open connections", f'sum(hso_tcp_connections{{{I}}})', "short", 12, y))
p.append(stat("Uptime", f'max(hso_uptime_seconds{{{I}}})', "s", 16, y))
p.append(stat("Version", f'max by (version, dpdk, openssl) (hso_build_info{{{I}}})', "none", 20, y, legend="{{version}} / {{dpdk}} / {{openssl}}"))
y += 4
p.append(ts("Handshakes/s by version", [
    (f'sum(rate(hso_handshakes_tls13_total{{{I}}}[{R}]))', "TLS 1.3"),
    (f'sum(rate(hso_handshakes_tls12_total{{{I}}}[{R}]))', "TLS 1.2"),
    (f'sum(rate(hso_handshakes_resumed_total{{{I}}}[{R}]))', "resumed (either)")], "ops", y, 0))
p.append(ts("Handshakes/s by cipher suite", [
    (f'sum by (suite) (rate(hso_handshakes_by_suite_total{{{I}}}[{R}]))', "{{suite}}")], "ops", y, 12))
y += 8
p.append(ts("Handshake failures/s by alert and state", [
    (f'sum by (alert) (rate(hso_handshakes_failed_sent_total{{{I}}}[{R}]))', "sent {{alert}}"),
    (f'sum by (alert) (rate(hso_handshakes_failed_peer_total{{{I}}}[{R}]))', "client sent {{alert}}"),
    (f'sum by (state) (rate(hso_handshakes_failed_in_state_total{{{I}}}[{R}]))', "in state {{state}}"),
    (f'sum(rate(hso_handshakes_timed_out_total{{{I}}}[{R}]))', "timed out (handshake timeout)"),
    (f'sum(rate(hso_handshakes_abandoned_total{{{I}}}[{R}]))', "abandoned (TCP closed mid-handshake)"),
    (f'sum(rate(hso_conns_refused_total{{{I}}}[{R}]))', "refused (no session slot or handshake context)"),
    (f'sum(rate(hso_conns_no_app_total{{{I}}}[{R}]))', "no application")], "ops", y, 0,
    desc="Failed handshakes by the alert hsod sent (internal: failed without one) or the client sent, by the engine state they failed in, and connections lost before or during the handshake."))
p.append(ts("Server-side handshake latency (first ClientHello byte to Finished)", [
    (f'histogram_quantile(0.5, sum by (le) (rate(hso_handshake_duration_seconds_bucket{{{I}}}[{R}])))', "p50"),
    (f'histogram_quantile(0.9, sum by (le) (rate(hso_handshake_duration_seconds_bucket{{{I}}}[{R}])))', "p90"),
    (f'histogram_quantile(0.99, sum by (le) (rate(hso_handshake_duration_seconds_bucket{{{I}}}[{R}])))', "p99"),
    (f'sum(rate(hso_handshake_duration_seconds_sum{{{I}}}[{R}])) / sum(rate(hso_handshake_duration_seconds_count{{{I}}}[{R}]))', "mean")], "s", y, 12))
y += 8
p.append(ts("Connections by TCP state and session state", [
    (f'sum by (state) (hso_tcp_connections{{{I}}})', "tcp {{state}}"),
    (f'sum by (state) (hso_sessions{{{I}}})', "session {{state}}"),
    (f'sum(hso_handshake_contexts_in_use{{{I}}})', "handshake contexts in use")], "short", y, 0,
    desc="TCP's states, the session layer's lifecycle (HANDSHAKING, OPEN, HALF_CLOSED_IN/OUT, CLOSING, GONE), and the handshake contexts held ([limits] max_handshakes per worker)."))
p.append(ts("Drops/s by reason", [
    (f'sum by (reason) (rate(hso_net_drops_total{{{I}}}[{R}]))', "{{reason}}"),
    (f'sum by (reason) (rate(hso_tcp_drops_total{{{I}}}[{R}]))', "tcp {{reason}}"),
    (f'sum(rate(hso_tx_dropped_total{{{I}}}[{R}]))', "tx dropped"),
    (f'sum(rate(hso_tcp_csum_bad_total{{{I}}}[{R}]))', "tcp bad checksum"),
    (f'sum(rate(hso_tx_no_route_total{{{I}}}[{R}]))', "tx no route"),
    (f'sum(rate(hso_neigh_queue_drops_total{{{I}}}[{R}]))', "held for ARP, dropped")], "pps", y, 12))
y += 8
p.append(ts("Worker busy (share of each lcore's time)", [
    (f'sum by (worker) (rate(hso_busy_cycles_total{{{I}}}[{R}])) / scalar(max(hso_tsc_hz{{{I}}}))', "worker {{worker}}")], "percentunit", y, 0,
    desc="busy_cycles counts every cycle spent working (traffic, crypto, key pregeneration, the built-in application, control); busy + idle is the whole time."))
p.append(ts("Server CPU per handshake", [
    (f'sum(rate(hso_busy_cycles_total{{{I}}}[{R}])) / scalar(max(hso_tsc_hz{{{I}}})) / sum(rate(hso_handshakes_completed_total{{{I}}}[{R}]))', "busy"),
    (f'sum(rate(hso_keygen_cycles_total{{{I}}}[{R}])) / scalar(max(hso_tsc_hz{{{I}}})) / sum(rate(hso_handshakes_completed_total{{{I}}}[{R}]))', "of which key pregeneration"),
    (f'sum(rate(hso_app_cycles_total{{{I}}}[{R}])) / scalar(max(hso_tsc_hz{{{I}}})) / sum(rate(hso_handshakes_completed_total{{{I}}}[{R}]))', "of which built-in application"),
    (f'sum(rate(hso_control_cycles_total{{{I}}}[{R}])) / scalar(max(hso_tsc_hz{{{I}}})) / sum(rate(hso_handshakes_completed_total{{{I}}}[{R}]))', "of which control")], "s", y, 12))
y += 8
p.append(ts("ECDHE key pool, record key cache, handshake contexts", [
    (f'sum(rate(hso_ecdhe_pool_hits_total{{{I}}}[{R}]))', "ECDHE taken pre-generated"),
    (f'sum(rate(hso_ecdhe_pool_misses_total{{{I}}}[{R}]))', "ECDHE generated on the critical path"),
    (f'sum(rate(hso_ecdhe_pool_generated_total{{{I}}}[{R}]))', "ECDHE generated ahead"),
    (f'sum(rate(hso_record_key_cache_hits_total{{{I}}}[{R}]))', "record key cache hits"),
    (f'sum(rate(hso_record_key_cache_misses_total{{{I}}}[{R}]))', "record key cache misses"),
    (f'sum(rate(hso_handshake_context_refusals_total{{{I}}}[{R}]))', "refused: no handshake context")], "ops", y, 0))
p.append(ts("Packets/s and mbufs", [
    (f'sum(rate(hso_rx_packets_total{{{I}}}[{R}]))', "rx"),
    (f'sum(rate(hso_tx_packets_total{{{I}}}[{R}]))', "tx"),
    (f'sum(hso_mbufs_free{{{I}}})', "mbufs free"),
    (f'sum(hso_mbufs_capacity{{{I}}})', "mbufs in the pool")], "short", y, 12))
d = {
  "__inputs": [{"name": "DS_PROMETHEUS", "label": "Prometheus", "type": "datasource",
                "pluginId": "prometheus", "pluginName": "Prometheus"}],
  "title": "hso: TLS handshake offload", "uid": "hso-hsod", "tags": ["hso", "tls", "dpdk"],
  "description": "hsod's metrics (hsod --metrics ADDR:PORT): handshakes, failures, latency, connections, drops, CPU.",
  "editable": True, "schemaVersion": 38, "version": 1, "refresh": "10s",
  "time": {"from": "now-1h", "to": "now"}, "timepicker": {},
  "templating": {"list": [
      {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source",
       "current": {}, "hide": 0},
      {"name": "instance", "type": "query", "label": "hsod",
       "datasource": {"type": "prometheus", "uid": "${datasource}"},
       "query": {"query": "label_values(hso_build_info, instance)", "refId": "instance"},
       "definition": "label_values(hso_build_info, instance)",
       "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "current": {}, "hide": 0}]},
  "annotations": {"list": []},
  "panels": [dict(pp, id=i + 1) for i, pp in enumerate(p)],
}
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hso.json")
with open(out, "w") as f:
    json.dump(d, f, indent=2)
    f.write("\n")
