#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Soak: hsod under mixed traffic for a chosen time, then drained; its
# resources must come back. hsod on lcore 0 and hso-gen on lcore 1 joined by
# net_memif (no kernel on the path; both on hugepages, their own
# --file-prefix) in a network namespace of our own, as bench/e2e_memif.sh.
# hso-gen runs one phase after another (PHASE seconds each, default 10), a
# new process each time (memif reconnects), cycling through:
#   tls13_mixed   TLS 1.3, half resumed (PSK + ECDHE), an HTTP request and
#                 its response on every connection, FIN close
#   tls13_impaired the same under hso-gen's
#                 --impair loss=0.02,dup=0.01,reorder=0.01,delay=10 (both ways)
#   tls12_mixed   TLS 1.2 ECDHE-ECDSA, half resumed by ticket, request and
#                 response, close_notify then FIN
#   tls13_rst     TLS 1.3 full handshakes, closed by RST (load mode)
#   tls12_id      TLS 1.2 session-id resumption, close_notify
# (a phase takes a few seconds more than PHASE, the impaired one its 20 s
# drain more: 60 s run the first three)
# Meanwhile slow clients on a second port (net_tap, 198.18.1.2; the
# namespace's kernel is 198.18.1.1): SLOW_CONNS (default 200) slowloris
# connections from tests/netns/attack_tools.py, each sending its
# ClientHello a byte every second, for the whole soak; hsod ends each at its
# handshake deadline (handshakes_timed_out) and the client opens another.
# Every INTERVAL seconds (default 5) one JSON line: {"soak": "sample", t,
# rss_kb (hsod's VmRSS), mbufs_in_use (pool total - free), tcp_active,
# sess_open, handshakes_completed, handshakes_resumed, handshakes_failed,
# tcp_timeouts, phase}. Each phase ends with a line {"soak": "phase", ...}
# of hso-gen's figures. After the last one hsod is given DRAIN seconds
# (default 15) for its connections to end, then one line
# {"soak": "result", ...} with the idle figures before and after and what
# failed; exit 0 when:
#   - RSS after drain <= RSS after the first phase (the warm baseline:
#     first-touch growth of connection slots and caches is not a leak)
#     + RSS_BOUND_KB (default 16384);
#   - mbufs in use after drain <= in use before any load + MBUF_BOUND
#     (default 512: per-lcore mempool caches, the memif rings' fill);
#   - tcp_active after drain == 0 (every connection ended, none stuck);
#   - zero unexpected failures: every hso-gen phase exit 0 with 0 errors
#     and > 0 handshakes, hsod's handshakes_failed unchanged, hsod alive.
# Exit 77 (skip, reason printed) without root, namespaces or hugepages.
#
# usage: bench/soak.sh HSOD HSO_GEN [SECONDS]   (default 60)
set -uo pipefail
hsod=$1
gen=$2
secs=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/netns/lib.sh
. "$here/../tests/netns/lib.sh"
work=$NETNS_WORK
PHASE=${PHASE:-10}
INTERVAL=${INTERVAL:-5}
DRAIN=${DRAIN:-15}
RSS_BOUND_KB=${RSS_BOUND_KB:-16384}
MBUF_BOUND=${MBUF_BOUND:-512}
CONC=${SOAK_CONCURRENCY:-32}
SLOW_CONNS=${SLOW_CONNS:-200}

netns_require "hso-soak-$$"
hugepages_require 256
for kind in ec rsa; do
	make_cert "$work" hso.test $kind || fail "openssl req"
	mv "$work/hso.test.pem" "$work/$kind.pem" && mv "$work/hso.test.key" "$work/$kind.key"
done
sock=/run/hso-soak-$$.sock
HSOD_SHARED=1 HSOD_LCORES=0 hsod_launch "$hsod" "hsosoak$$" \
	"net_memif0,role=server,socket=$sock net_tap1,iface=hsosoak1" --addr 198.18.0.2/24 \
	--addr 1:198.18.1.2/24 --listen 443 \
	--cert "$work/ec.pem" --key "$work/ec.key" --cert "$work/rsa.pem" --key "$work/rsa.key" \
	--max-conns 8192 --handshake-timeout 5000 || fail "hsod did not start"
taskset -pc 0 "$HSOD_PID" >/dev/null
in_ns ip addr add 198.18.1.1/24 dev hsosoak1
in_ns ip link set hsosoak1 up

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$HSOD_PID/status"; }

# sample T PHASE: one JSON line of hsod's figures now.
sample() {
	local s
	s=$(hso_stats) || return 1
	python3 - "$s" "$(rss)" "$1" "$2" <<'PY'
import json, sys
s, rss, t, phase = json.loads(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
print(json.dumps({"soak": "sample", "t": t, "phase": phase, "rss_kb": rss,
                  "mbufs_in_use": s["mbufs_total"] - s["mbufs_free"],
                  "mbufs_total": s["mbufs_total"], "tcp_active": s["tcp_active"],
                  "sess_open": s.get("sess_state_OPEN", 0),
                  "handshakes_completed": s["handshakes_completed"],
                  "handshakes_resumed": s["handshakes_resumed"],
                  "handshakes_failed": s["handshakes_failed"],
                  "tcp_timeouts": s["tcp_timeouts"], "tcp_bufs_held": s["tcp_bufs_held"]}))
PY
}

# phase N: sets NAME and ARGS, hso-gen's flags for phase N (cycling).
phase() {
	local req=(--request 'GET / HTTP/1.1')
	case $(($1 % 5)) in
	0) NAME=tls13_mixed ARGS=(--tls 1.3 --groups x25519 --resume 0.5 --resume-kind psk_dhe
		"${req[@]}" --close fin) ;;
	1) NAME=tls13_impaired ARGS=(--tls 1.3 --resume 0.5 --resume-kind psk_dhe "${req[@]}"
		--impair loss=0.02,dup=0.01,reorder=0.01,delay=10 --seed 7 --timeout 30000
		--drain 20) ;;
	2) NAME=tls12_mixed ARGS=(--tls 1.2 --suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
		--resume 0.5 --resume-kind ticket "${req[@]}" --close close_notify) ;;
	3) NAME=tls13_rst ARGS=(--tls 1.3 --close rst) ;;
	4) NAME=tls12_id ARGS=(--tls 1.2 --resume 0.5 --resume-kind id --close close_notify) ;;
	esac
}

stat_of() {
	python3 -c 'import json, sys; print(json.loads(sys.argv[1]).get(sys.argv[2], 0))' "$1" "$2"
}

# The idle figures before any load.
idle0=$(hso_stats) || fail "no telemetry"
rss_idle0=$(rss)
# Slow clients for the whole soak (not through in_ns: $! must be theirs).
ip netns exec "$NS" python3 "$here/../tests/netns/attack_tools.py" slowloris \
	--host 198.18.1.2 --conns "$SLOW_CONNS" --interval 1 --seconds "$secs" \
	>"$work/slow.json" 2>"$work/slow.err" &
slow_pid=$!
NETNS_PIDS="$NETNS_PIDS $slow_pid"
t0=$(date +%s.%N)
elapsed() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) - float(sys.argv[2])))" "$(date +%s.%N)" "$t0"; }
failures=()
n=0
rss_warm=
while python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < float(sys.argv[2]) else 1)" \
	"$(elapsed)" "$secs"; do
	phase "$n"
	name=$NAME
	# The last phase no longer than what is left (at least 2 s).
	left=$(python3 -c "import sys; print(max(2, min(int(sys.argv[1]), int(float(sys.argv[2]) - float(sys.argv[3]) + 0.999))))" \
		"$PHASE" "$secs" "$(elapsed)")
	out=$work/phase$n.json
	gprefix=hsosoakg$$-$n
	GEN_SHARED=1 GEN_TIMEOUT=$((left + 60)) gen_run "$gen" "$gprefix" \
		"net_memif0,role=client,socket=$sock" "$out" --target 198.18.0.2:443 \
		--addr 198.18.0.1/24 --sni hso.test --concurrency "$CONC" --duration "$left" \
		--quiet "${ARGS[@]}" &
	gpid=$!
	while kill -0 "$gpid" 2>/dev/null; do
		sleep "$INTERVAL" &
		wait $!
		kill -0 "$HSOD_PID" 2>/dev/null || break
		sample "$(elapsed)" "$name"
	done
	wait "$gpid"
	rc=$?
	# Its hugepage files, now: phases add up otherwise.
	rm -f /dev/hugepages/"$gprefix"map_* 2>/dev/null
	rm -rf "/var/run/dpdk/$gprefix" 2>/dev/null
	kill -0 "$HSOD_PID" 2>/dev/null || { failures+=("hsod died in phase $name"); break; }
	python3 - "$out" "$name" "$rc" <<'PY' || failures+=("phase $n ($name): exit $rc or errors")
import json, sys
out, name, rc = sys.argv[1], sys.argv[2], int(sys.argv[3])
try:
    d = json.load(open(out))
except Exception:
    print(json.dumps({"soak": "phase", "phase": name, "exit": rc, "error": "no JSON",
                      "stderr": open(out + ".err").read()[-400:]}))
    sys.exit(1)
print(json.dumps({"soak": "phase", "phase": name, "exit": rc, "handshakes": d["handshakes"],
                  "hs_per_s": d["hs_per_s"], "resumed_ratio": d["resumed_ratio"],
                  "requests": d.get("requests"), "responses": d.get("responses"),
                  "errors": d["errors"], "p99_us": d["latency_us"]["p99"]}))
sys.exit(0 if rc == 0 and d["errors"]["total"] == 0 and d["handshakes"] > 0 else 1)
PY
	n=$((n + 1))
	if [ -z "$rss_warm" ]; then
		# After the first phase, drained: the warm baseline.
		for _ in $(seq 1 $((DRAIN * 2))); do
			[ "$(stat_of "$(hso_stats)" tcp_active)" = 0 ] && break
			sleep 0.5
		done
		rss_warm=$(rss)
	fi
done

# The slow clients end with the soak (bounded by --seconds).
for _ in $(seq 1 40); do
	kill -0 "$slow_pid" 2>/dev/null || break
	sleep 0.5
done
kill -0 "$slow_pid" 2>/dev/null && { kill -TERM "$slow_pid"; failures+=("slow clients still running"); }
wait "$slow_pid" || failures+=("slow clients: exit $? ($(tail -2 "$work/slow.err"))")
echo "{\"soak\": \"slow_clients\", \"result\": $(cat "$work/slow.json" 2>/dev/null || echo null)}"

# Drain: every connection ends (FIN / close_notify ones through TIME_WAIT
# on the client side; hsod's own end with the last ACK).
for _ in $(seq 1 $((DRAIN * 2))); do
	kill -0 "$HSOD_PID" 2>/dev/null || break
	[ "$(stat_of "$(hso_stats)" tcp_active)" = 0 ] && break
	sleep 0.5
done
kill -0 "$HSOD_PID" 2>/dev/null || failures+=("hsod died")
idle1=$(hso_stats)
rss_idle1=$(rss)
printf '%s\n' "${failures[@]}" >"$work/failures"
python3 - "$idle0" "$idle1" "$rss_idle0" "${rss_warm:-$rss_idle0}" "$rss_idle1" "$RSS_BOUND_KB" \
	"$MBUF_BOUND" "$n" "$secs" "$work/failures" <<'PY'
import json, sys
i0, i1 = json.loads(sys.argv[1]), json.loads(sys.argv[2])
rss0, rss_warm, rss1, rss_bound, mbuf_bound, phases, secs = map(int, sys.argv[3:10])
fails = [l for l in open(sys.argv[10]).read().splitlines() if l]
use0 = i0["mbufs_total"] - i0["mbufs_free"]
use1 = i1["mbufs_total"] - i1["mbufs_free"]
failed = i1["handshakes_failed"] - i0["handshakes_failed"]
if rss1 > rss_warm + rss_bound:
    fails.append("RSS grew %d kB past the warm baseline (bound %d)" % (rss1 - rss_warm, rss_bound))
if use1 > use0 + mbuf_bound:
    fails.append("%d mbufs in use after drain, %d before (bound +%d)" % (use1, use0, mbuf_bound))
if i1["tcp_active"] != 0:
    fails.append("%d connections left after drain" % i1["tcp_active"])
if failed != 0:
    fails.append("%d handshakes failed at hsod" % failed)
print(json.dumps({"soak": "result", "ok": not fails, "seconds": secs, "phases": phases,
                  "handshakes_completed": i1["handshakes_completed"] - i0["handshakes_completed"],
                  "handshakes_resumed": i1["handshakes_resumed"] - i0["handshakes_resumed"],
                  "handshakes_failed": failed,
                  "rss_kb_idle_before": rss0, "rss_kb_warm": rss_warm, "rss_kb_after": rss1,
                  "mbufs_in_use_before": use0, "mbufs_in_use_after": use1,
                  "tcp_active_after": i1["tcp_active"],
                  "tcp_timeouts": i1["tcp_timeouts"] - i0["tcp_timeouts"],
                  "handshakes_timed_out": i1.get("handshakes_timed_out", 0)
                  - i0.get("handshakes_timed_out", 0),
                  "failures": fails}))
sys.exit(1 if fails else 0)
PY
rc=$?
hsod_stop 10 || { echo "soak: hsod did not stop cleanly"; exit 1; }
exit $rc
