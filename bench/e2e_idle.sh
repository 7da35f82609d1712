#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What idle connections cost hsod (#11): memory, and whether handshakes get
# dearer as idle connections pile up. hsod runs one worker on lcore 0 with
# two net_memif ports (no kernel on the path): port 0 (198.18.0.2/24) faces
# an hso-gen that opens N TLS 1.3 connections and holds them idle
# (--hold N), port 1 (198.18.1.2/24) an hso-gen that loads it closed loop.
# For each N (a fresh hsod each time):
#
#   memory:  hsod's resident memory (VmRSS; hugepages, fixed at start, are
#            HugetlbPages) before and with N connections held, and the bytes
#            per idle established connection (the difference / N);
#   cost:    with the N connections held, hsod busy us per full TLS 1.3
#            ECDSA P-256 handshake and per resumed TLS 1.2 handshake (ticket),
#            each over SECONDS of steady load (busy cycles / handshakes from
#            /hso/stats); also against the same case at N = 0 of this run
#            (cost_vs_0, the growth: pass 0 among the N). Busy cycles are wall time: on a shared
#            machine they include time the worker thread was preempted, so
#            hsod_cpu_us_per_handshake scales them by the thread's CPU share
#            over the window (its utime + stime / the window), the figure
#            to compare on a busy machine;
#   release: then the holder leaves, resetting its N connections (hso-gen
#            --close rst, at --hold-close-rate), and once hsod has none
#            established the same two loads run again in the same hsod:
#            cost_vs_released, the cost with N held over the cost with them
#            gone, same process, same memory layout (a fresh hsod for each
#            N made the N = 0 comparison move by 10-15% from process to
#            process). A case where some stayed is listed in "unreleased";
#   start:   seconds from exec to "hsod: ready" at --max-conns START_CONNS
#            (default 4194304), and its resident memory then.
#
# Prints one JSON object. Needs root and hugepages; run it under the netns
# lock on a shared machine. hso-gen needs memory for its own side of each
# held connection too.
#
# usage: bench/e2e_idle.sh BUILD_DIR [SECONDS] [N...]     (N default: 0 100000 1000000)
#   HSO_IDLE_START_CONNS  --max-conns for the start-up measurement (0: skip)
#   HSO_IDLE_NO_LOAD=1    memory only, no cost measurement
#   HSO_IDLE_ROUNDS=R     every N measured R times, round by round (even
#                         rounds in reverse order); cost_vs_0 is then the
#                         median of the rounds' ratios (each against the 0
#                         of its own round), with min, max and each round
#   HSO_IDLE_RATE_tls13_ecdsa, HSO_IDLE_RATE_tls12_resumed
#                         a paced load (hso-gen --rate R) instead of
#                         HSO_IDLE_CONCURRENCY closed-loop connections: the
#                         same operating point at every N (on a 2-CPU machine
#                         the generator holding N shares the loader's CPU, so
#                         a closed loop runs slower there)
#   HSO_IDLE_HOLD_SLEEP_US  the holder's --idle-sleep (default 100000; 0: it
#                         spins, taking half the loader's CPU on 2 CPUs)
#   HSO_IDLE_RELEASE=0    no measurement after the holder left
#   HSO_IDLE_PERF=DIR     perf record (call graphs) hsod's worker thread over
#                         each measured load window, into DIR/N_rROUND_CASE.data
set -uo pipefail
build=$1
secs=${2:-5}
shift 2 2>/dev/null || shift $#
helds=("$@")
[ ${#helds[@]} -gt 0 ] || helds=(0 100000 1000000)
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../tests/netns/lib.sh
. "$here/../tests/netns/lib.sh"
work=$NETNS_WORK
START_CONNS=${HSO_IDLE_START_CONNS:-4194304}
ROUNDS=${HSO_IDLE_ROUNDS:-1}
MAX_HELD=0
for n in "${helds[@]}"; do [ "$n" -gt "$MAX_HELD" ] && MAX_HELD=$n; done
HOLD_SLEEP_US=${HSO_IDLE_HOLD_SLEEP_US:-100000}
RELEASE=${HSO_IDLE_RELEASE:-1}
CONC=${HSO_IDLE_CONCURRENCY:-32}

netns_require "hso-idle-$$"
hugepages_require 384
make_cert "$work" hso.test ec || exit 1

# Resident memory of a PID, in KiB: VmRSS and HugetlbPages.
mem_of() {
	awk '/^VmRSS:/ {r=$2} /^HugetlbPages:/ {h=$2} END {printf "%d %d\n", r, h}' \
		"/proc/$1/status"
}

sock=/run/hso-idle-$$.sock
n_run=0
hsod_up() {
	local max=$1
	n_run=$((n_run + 1))
	HSOD_SHARED=1 HSOD_LCORES=0 hsod_launch "$build/dataplane/hsod" "hsoidle$$x$n_run" \
		"net_memif0,role=server,socket=$sock,id=0 net_memif1,role=server,socket=$sock,id=1" \
		--addr 198.18.0.2/24 --addr 1:198.18.1.2/24 --listen 443 \
		--cert "$work/hso.test.pem" --key "$work/hso.test.key" \
		--max-conns "$max" --idle-timeout 86400000 --app http
}

# gen PORT_ID OUT ARGS...: hso-gen on memif id PORT_ID, in the background (GEN_PID).
gen_bg() {
	local id=$1 out=$2
	shift 2
	n_run=$((n_run + 1))
	local net=198.18.0 src
	[ "$id" = 1 ] && net=198.18.1
	# Each case runs in a subshell ($(held_case)): its PID keeps prefixes apart.
	GEN_PREFIX=hsoidleg${BASHPID}x$n_run
	GEN_SHARED=1 GEN_TIMEOUT=${GEN_TIMEOUT:-3600} gen_run "$build/dataplane/gen/hso-gen" \
		"$GEN_PREFIX" "net_memif$id,role=client,socket=$sock,id=$id" "$out" \
		--target "$net.2:443" --addr "$net.1/24" --sni hso.test "$@" &
	GEN_PID=$!
}

# load CASE: busy us per handshake over $secs seconds of closed-loop load on port 1.
load_case() {
	local name=$1 out flags before after
	case $name in
	tls13_ecdsa) flags="--tls 1.3 --groups x25519 --sigalgs ecdsa_secp256r1_sha256" ;;
	tls12_resumed) flags="--tls 1.2 --suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 \
--groups x25519 --resume 1 --resume-kind ticket" ;;
	esac
	out=$work/load_${name}_$n_run.json
	# A paced load (the same operating point at every N) when asked.
	rate_var=HSO_IDLE_RATE_$name
	if [ -n "${!rate_var:-}" ]; then
		pace="--rate ${!rate_var}"
	else
		pace="--concurrency $CONC"
	fi
	# shellcheck disable=SC2086
	GEN_LCORES=1 gen_bg 1 "$out" $pace --close rst --warmup 2 \
		--duration "$((secs + 3))" $flags
	for _ in $(seq 1 300); do
		grep -q "^hso-gen: *1s" "$out.err" 2>/dev/null && break
		kill -0 "$GEN_PID" 2>/dev/null || break
		sleep 0.1
	done
	sleep 2
	# The worker is hsod's main thread (one lcore): its CPU time, in ticks.
	cpu0=$(cut -d' ' -f14,15 "/proc/$HSOD_PID/task/$HSOD_PID/stat")
	before=$(hso_stats)
	if [ -n "${HSO_IDLE_PERF:-}" ]; then
		perf record -q -g -t "$HSOD_PID" -o "$HSO_IDLE_PERF/${CUR_HELD}_r${ROUND:-1}_$name.data" \
			-- sleep "$secs" >/dev/null 2>&1
	else
		sleep "$secs"
	fi
	after=$(hso_stats)
	cpu1=$(cut -d' ' -f14,15 "/proc/$HSOD_PID/task/$HSOD_PID/stat")
	wait "$GEN_PID"
	local gen_rc=$?
	python3 - "$name" "$before" "$after" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" "$gen_rc" \
		"$(tail -3 "$out.err" 2>/dev/null)" <<'PY'
import json, sys
name, b, a = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
cpu = (sum(map(int, sys.argv[5].split())) - sum(map(int, sys.argv[4].split()))) / int(sys.argv[6])
hs = a["handshakes_completed"] - b["handshakes_completed"]
if hs == 0:
    # No load reached hsod: no cost to report (it once printed busy cycles / 1).
    print(json.dumps({"case": name, "handshakes": 0, "error": "no handshake in the window",
                      "loader_exit": int(sys.argv[7]), "loader_said": sys.argv[8]}))
    sys.exit(0)
busy = a["busy_cycles"] - b["busy_cycles"]
window = (a["tsc_cycles"] - b["tsc_cycles"]) / a["tsc_hz"]
share = min(cpu / window, 1.0) if window > 0 else 1.0
busy_us = busy / max(hs, 1) / a["tsc_hz"] * 1e6
# Where busy went: parts of busy_cycles, per handshake, and what moved on
# the holder's port (0) in the window: held connections should send nothing.
part = {k: round((a[k] - b[k]) / hs / a["tsc_hz"] * 1e6, 2)
        for k in ("keygen_cycles", "app_cycles", "control_cycles") if k in a}
port0 = {d: a["ports_%s_packets" % d][0] - b["ports_%s_packets" % d][0]
         for d in ("rx", "tx") if "ports_%s_packets" % d in a}
print(json.dumps({"case": name, "handshakes": hs,
                  "hsod_busy_us_per_handshake": round(busy_us, 2),
                  "cpu_share": round(share, 3),
                  "hsod_cpu_us_per_handshake": round(busy_us * share, 2),
                  "us_per_handshake_of_busy": part,
                  "holder_port_packets": port0,
                  "resumed": a["handshakes_resumed"] - b["handshakes_resumed"]}))
PY
}

held_case() {
	local n=$1 max out m0 m1 held=0 loads="" t0
	# One max_conns for every N (the largest N's): tables of one size, so
	# that only the idle connections differ between the cases.
	max=$((MAX_HELD + 4096))
	CUR_HELD=$n
	hsod_up "$max" || { echo "{\"held\": $n, \"error\": \"hsod not ready\"}"; return; }
	taskset -pc 0 "$HSOD_PID" >/dev/null
	sleep 1
	m0=$(mem_of "$HSOD_PID")
	if [ "$n" -gt 0 ]; then
		out=$work/hold_$n.json
		# Enough 4-tuples: 64 source addresses x 64512 ports.
		# --idle-sleep: once its connections are held (they exchange
		# nothing) the holder polls ten times a second instead of spinning,
		# so the loader (same CPU on a 2-CPU machine) runs as it does with
		# nothing held. At 200 us (5,000 wake-ups a second) 2,000 held
		# still cost 1.11-1.13x: the loader ran slower, not hsod.
		GEN_LCORES=1 gen_bg 0 "$out" --hold "$n" --concurrency 256 --tls 1.3 \
			--groups x25519 --sources 198.18.0.10-198.18.0.73 --duration 3600 \
			--timeout 60000 --idle-sleep "$HOLD_SLEEP_US" --close rst
		HOLD_PID=$GEN_PID
		HOLD_PREFIX=$GEN_PREFIX
		t0=$(date +%s)
		while kill -0 "$HOLD_PID" 2>/dev/null; do
			held=$(grep -o 'held [0-9]*' "$out.err" 2>/dev/null | tail -1 | cut -d' ' -f2)
			[ "${held:-0}" -ge "$n" ] && break
			[ $(($(date +%s) - t0)) -gt 1800 ] && break
			sleep 1
		done
		held=${held:-0}
		if [ "$held" -lt "$n" ]; then
			# Loud, and out of cost_vs_0: a cost "with N held" that held fewer is no figure.
			echo "e2e_idle: the generator held $held of $n connections; its last words:" >&2
			tail -5 "$out.err" >&2
		fi
		sleep 2
	fi
	m1=$(mem_of "$HSOD_PID")
	if [ "${HSO_IDLE_NO_LOAD:-0}" != 1 ]; then
		loads="$(load_case tls13_ecdsa),$(load_case tls12_resumed)"
	fi
	local st rel="" left=""
	st=$(hso_stats)
	if [ -n "${HOLD_PID:-}" ]; then
		holder_stop
		# The same hsod with the N connections gone (the holder resets
		# them as it leaves): its cost again, a baseline with the same
		# memory layout and tables as the measurement with N held.
		if [ "${HSO_IDLE_NO_LOAD:-0}" != 1 ] && [ "$RELEASE" = 1 ]; then
			t0=$(date +%s)
			while :; do
				left=$(hso_stats | python3 -c 'import json, sys; print(json.load(sys.stdin).get("tcp_state_ESTABLISHED", -1))')
				[ "${left:-1}" = 0 ] && break
				[ $(($(date +%s) - t0)) -ge 60 ] && break
				sleep 0.5
			done
			sleep 2
			rel="$(load_case tls13_ecdsa),$(load_case tls12_resumed)"
		fi
	fi
	python3 - "$n" "$held" "$m0" "$m1" "[$loads]" "$st" "${ROUND:-1}" "[$rel]" "$left" <<'PY'
import json, sys
n, held = int(sys.argv[1]), int(sys.argv[2])
r0, h0 = map(int, sys.argv[3].split())
r1, h1 = map(int, sys.argv[4].split())
loads = json.loads(sys.argv[5])
st = json.loads(sys.argv[6])
out = {"held": n, "round": int(sys.argv[7]), "held_reached": held, "rss_kib_before": r0, "rss_kib_held": r1,
       "hugetlb_kib": h1, "bytes_per_idle_conn": round((r1 - r0) * 1024 / held, 1) if held else None,
       "loads": loads}
for k in ("tcp_state_ESTABLISHED", "sess_state_OPEN"):
    if k in st:
        out[k] = st[k]
released = json.loads(sys.argv[8])
if released:
    out["loads_released"] = released
    out["released_conns_left"] = int(sys.argv[9]) if sys.argv[9] else None
print(json.dumps(out))
PY
	HOLD_PID=
	hsod_stop 20 >/dev/null
}

# The holder leaves (it resets what it holds: --close rst) and is waited for.
holder_stop() {
	if [ -n "${HOLD_PID:-}" ]; then
		# $HOLD_PID is the shell around ip netns exec / timeout / hso-gen:
		# hso-gen itself must go, or the next case's holder finds its
		# EAL files still locked (it held nothing at the second N).
		# One SIGTERM to hso-gen alone: it then resets what it holds and
		# exits. `timeout` (gen_run) passes a signal on to its child and
		# again to its process group, and a second signal makes hso-gen
		# quit at once, leaving its connections open in hsod.
		local gpid
		gpid=$(pgrep -f -- "^[^ ]*hso-gen .*--file-prefix $HOLD_PREFIX " | head -1)
		if [ -n "$gpid" ]; then
			kill -TERM "$gpid" 2>/dev/null
			for _ in $(seq 1 600); do
				kill -0 "$gpid" 2>/dev/null || break
				sleep 0.1
			done
			kill -KILL "$gpid" 2>/dev/null
		else
			kill -TERM "$HOLD_PID" 2>/dev/null
		fi
		wait "$HOLD_PID" 2>/dev/null
	fi
	HOLD_PID=
}

start_case() {
	local t0 t1 m
	t0=$(date +%s.%N)
	hsod_up "$START_CONNS" || { echo "{\"max_conns\": $START_CONNS, \"error\": \"hsod not ready\", \"log\": $(tail -3 "$HSOD_LOG" | python3 -c 'import json,sys; print(json.dumps(sys.stdin.read()))')}"; return; }
	t1=$(date +%s.%N)
	m=$(mem_of "$HSOD_PID")
	python3 -c "import sys; print('{\"max_conns\": %s, \"seconds_to_ready\": %.2f, \"rss_kib\": %s, \"hugetlb_kib\": %s}' % (sys.argv[1], float(sys.argv[3]) - float(sys.argv[2]), sys.argv[4], sys.argv[5]))" \
		"$START_CONNS" "$t0" "$t1" $m
	hsod_stop 20 >/dev/null
}

echo "{\"machine\": {\"cpus\": $(nproc), \"load_avg\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"},"
echo " \"seconds\": $secs, \"concurrency\": $CONC,"
if [ "$START_CONNS" -gt 0 ]; then
	echo " \"startup\": $(start_case),"
fi
echo " \"rounds\": $ROUNDS,"
echo " \"held\": ["
first=1
cases=()
for r in $(seq 1 "$ROUNDS"); do
	# Odd rounds in the order given, even rounds reversed: a drift of the
	# machine over the run (clock, neighbours) weighs on every N alike.
	order=("${helds[@]}")
	if [ $((r % 2)) -eq 0 ]; then
		order=()
		for ((i = ${#helds[@]} - 1; i >= 0; i--)); do order+=("${helds[$i]}"); done
	fi
	for n in "${order[@]}"; do
		[ $first -eq 1 ] || echo ","
		first=0
		c=$(ROUND=$r held_case "$n")
		cases+=("$c")
		echo "$c"
	done
done
echo "],"
# cost_vs_0: each case's cost with N held over its cost with none in the
# same round; with several rounds the median of the rounds' ratios, and each.
python3 - "${cases[@]}" <<'PY'
import json, statistics, sys
cases = []
for x in sys.argv[1:]:
    try:
        cases.append(json.loads(x))
    except ValueError:
        pass
keys = ("hsod_busy_us_per_handshake", "hsod_cpu_us_per_handshake")
base = {(c.get("round", 1), l["case"]): l for c in cases if c.get("held") == 0
        for l in c.get("loads", [])}
def add_ratios(acc, c, base_of):
    """Each load of case c over its baseline (base_of(load), or None), into acc."""
    for l in c.get("loads", []):
        b = base_of(l)
        if b is None or "error" in l or "error" in b:
            continue
        for k in keys:
            if b.get(k):
                acc.setdefault(str(c["held"]), {}).setdefault(l["case"], {}) \
                   .setdefault(k, []).append(round(l[k] / b[k], 3))
ratios = {}
short = [c["held"] for c in cases if c.get("held_reached", 0) < c.get("held", 0)]
for c in cases:
    if c.get("held") == 0 or c.get("held_reached", 0) < c.get("held", 0):
        continue
    add_ratios(ratios, c, lambda l, c=c: base.get((c.get("round", 1), l["case"])))
def summary(ratios):
    return {n: {case: {k: {"median": round(statistics.median(v), 3), "min": min(v), "max": max(v),
                           "rounds": v} for k, v in ks.items()}
                for case, ks in cs.items()} for n, cs in ratios.items()}
out = summary(ratios)
# The same hsod before and after the holder left: cost with N held over the
# cost once they are gone (no process-to-process difference in the ratio).
rel = {}
for c in cases:
    if c.get("held_reached", 0) < c.get("held", 0) or c.get("released_conns_left") != 0:
        continue
    after = {l["case"]: l for l in c.get("loads_released", [])}
    add_ratios(rel, c, lambda l, after=after: after.get(l["case"]))
# A window with no handshake is no figure either: listed, and the run fails.
failed = ["round %d, %d held, %s" % (c.get("round", 1), c["held"], l["case"])
          for c in cases for l in c.get("loads", []) if "error" in l]
failed += ["round %d, %d held then released, %s" % (c.get("round", 1), c["held"], l["case"])
           for c in cases for l in c.get("loads_released", []) if "error" in l]
# Released but some still open: that baseline is no figure (listed, not a failure).
unreleased = ["round %d, %d held: %s left" % (c.get("round", 1), c["held"], c["released_conns_left"])
              for c in cases if c.get("loads_released") and c.get("released_conns_left") != 0]
print(' "cost_vs_0": %s, "cost_vs_released": %s, "unreleased": %s, "held_short": %s, '
      '"load_failed": %s}' % (json.dumps(out), json.dumps(summary(rel)), json.dumps(unreleased),
                              json.dumps(sorted(set(short))), json.dumps(failed)))
sys.exit(1 if short or failed else 0)
PY
