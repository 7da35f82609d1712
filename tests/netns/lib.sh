# SPDX-License-Identifier: BSD-3-Clause
#
# Shared by the namespace tests and deploy/demo.sh: a network namespace of
# our own with hsod on a DPDK net_tap port inside it. The kernel side is
# 198.18.0.1/24, hsod is 198.18.0.2 (the benchmarking range, RFC 2544);
# nothing leaves the namespace. Source it, then:
#
#   netns_require NAME     root, namespaces and TUN, or exit 77 saying why
#   make_cert DIR NAME ec|rsa
#   hsod_start HSOD PREFIX [hsod args after --]   waits for "hsod: ready"
#   hsod_stop [SECONDS]    SIGTERM; returns hsod's status (124: still running)
#   hso_stats [COMMAND]    a telemetry command's JSON value on stdout
#   in_ns CMD...           run CMD in the namespace
#   fail MESSAGE           print it and the end of hsod's log, exit 1
#   gen_run GEN PREFIX "VDEV..." OUT [hso-gen args after --]
#                          hso-gen in the namespace; JSON in OUT, stderr in
#                          OUT.err; returns its exit status
#   json_get FILE EXPR     a value of hso-gen's JSON (Python expression on d)
#   ns_tcp_csum_errors     TCP segments the namespace's kernel dropped for a
#                          bad checksum (TcpInCsumErrors; fail() names them)
#
# It sets NS, HSOD_PID, HSOD_LOG, HSOD_PREFIX and cleans up on exit (hsod, and
# every PID a test adds to NETNS_PIDS).

NS=
HSOD_PID=
HSOD_LOG=
HSOD_PREFIX=
NETNS_PIDS=             # other processes a test started: killed on exit
DPDK_PREFIXES=          # more EAL file prefixes to clean up (hso-gen's)
NETNS_WORK=$(mktemp -d /tmp/hso-netns-XXXXXX)

in_ns() { ip netns exec "$NS" "$@"; }

# TcpInCsumErrors of the namespace's kernel (/proc/net/snmp is per namespace).
ns_tcp_csum_errors() {
	in_ns awk '$1 == "Tcp:" { if (!h) { for (i = 2; i <= NF; i++) if ($i == "InCsumErrors") c = i; h = 1 }
		else if (c) print $c }' /proc/net/snmp 2>/dev/null
}

# Report a failure with the end of hsod's log, and stop.
fail() {
	local bad
	echo "FAIL: $*"
	# A frame hsod summed wrongly is dropped silently: a stall, then a timeout.
	if [ -n "$NS" ]; then
		bad=$(ns_tcp_csum_errors)
		[ "${bad:-0}" -gt 0 ] 2>/dev/null &&
			echo "  the namespace's kernel dropped $bad TCP segments for bad checksums (TcpInCsumErrors)"
	fi
	[ -n "$HSOD_LOG" ] && [ -f "$HSOD_LOG" ] && sed 's/^/  hsod: /' "$HSOD_LOG" | tail -20
	exit 1
}

netns_cleanup() {
	if [ -n "$HSOD_PID" ] && kill -0 "$HSOD_PID" 2>/dev/null; then
		kill -TERM "$HSOD_PID" 2>/dev/null
		sleep 2
		kill -KILL "$HSOD_PID" 2>/dev/null
	fi
	for p in $NETNS_PIDS; do kill -KILL "$p" 2>/dev/null; done
	# Whatever still runs in our namespace (a server whose wrapper was
	# killed, not itself) would keep the test lock's descriptor open.
	if [ -n "$NS" ]; then
		for p in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
		ip netns del "$NS" 2>/dev/null
	fi
	# Hugepage files of a shared-memory hsod that did not remove them.
	for p in $HSOD_PREFIX $DPDK_PREFIXES; do
		rm -f /dev/hugepages/"$p"map_* 2>/dev/null
		rm -rf "/var/run/dpdk/$p" 2>/dev/null
	done
	rm -rf "$NETNS_WORK"
}
trap netns_cleanup EXIT

netns_require() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "skip: needs root for network namespaces and TAP"
		exit 77
	fi
	ip netns del "$1" 2>/dev/null
	if ! ip netns add "$1" 2>/dev/null; then
		echo "skip: cannot create a network namespace here"
		exit 77
	fi
	NS=$1
	if [ ! -c /dev/net/tun ]; then
		echo "skip: no /dev/net/tun"
		exit 77
	fi
	in_ns ip link set lo up
}

make_cert() {
	local dir=$1 name=$2 kind=$3 alg
	if [ "$kind" = rsa ]; then
		alg=(-newkey rsa:2048)
	else
		alg=(-newkey ec -pkeyopt ec_paramgen_curve:P-256)
	fi
	openssl req -x509 "${alg[@]}" -nodes -days 2 -subj "/CN=$name" \
		-addext "subjectAltName=DNS:$name" \
		-keyout "$dir/$name.key" -out "$dir/$name.pem" 2>/dev/null
}

# Free 2 MB hugepages.
free_hugepages() {
	cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0
}

# hugepages_require N: reserve N more 2 MB hugepages if fewer are free (a
# secondary process needs hsod on hugepages), or skip the test.
hugepages_require() {
	local want=$1 total
	if [ "$(free_hugepages)" -lt "$want" ]; then
		total=$(cat /proc/sys/vm/nr_hugepages)
		echo $((total + want)) >/proc/sys/vm/nr_hugepages 2>/dev/null
	fi
	if [ "$(free_hugepages)" -lt "$want" ]; then
		echo "skip: needs $want free 2 MB hugepages (have $(free_hugepages))"
		exit 77
	fi
	mountpoint -q /dev/hugepages || mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null
}

# eal_mem: EAL's memory flags for a primary that no secondary attaches to:
# --in-memory on hugepages when free, else --no-huge (printed once).
eal_mem() {
	if [ "$(free_hugepages)" -lt 64 ]; then
		echo "note: no free hugepages, running EAL with --no-huge" >&2
		echo "--no-huge -m 512"
	else
		echo "--in-memory"
	fi
}

# hsod_launch HSOD PREFIX "VDEV..." ARGS...: hsod in the namespace on the
# DPDK virtual devices given (EAL --vdev each), lcores $HSOD_LCORES (default
# 0: one lcore that is the worker) or the EAL lcore map $HSOD_LCORE_MAP,
# hugepages when free, else --no-huge; waits for "hsod: ready". With
# HSOD_SHARED=1 hsod keeps its memory in hugepage files under PREFIX, so
# DPDK secondary processes (applications) can attach (call hugepages_require
# first). Sets HSOD_PID, HSOD_LOG ($NETNS_WORK/PREFIX.log), HSOD_PREFIX.
hsod_launch() {
	local bin=$1 vdevs=() mem v
	HSOD_PREFIX=$2
	for v in $3; do vdevs+=("--vdev=$v"); done
	shift 3
	HSOD_LOG=$NETNS_WORK/$HSOD_PREFIX.log
	: >"$HSOD_LOG"
	mem=()
	# shellcheck disable=SC2207
	[ "${HSOD_SHARED:-0}" = 1 ] || mem=($(eal_mem))
	# Not through in_ns(): $! must be hsod's own PID (ip netns exec execs it).
	local lc=(-l "${HSOD_LCORES:-0}")
	# HSOD_LCORE_MAP: EAL --lcores, e.g. 0@0,1@1,2@0 (two workers on a 2-CPU box)
	[ -n "${HSOD_LCORE_MAP:-}" ] && lc=(--lcores "$HSOD_LCORE_MAP")
	ip netns exec "$NS" "$bin" "${lc[@]}" --no-pci "${mem[@]}" \
		--file-prefix "$HSOD_PREFIX" "${vdevs[@]}" -- "$@" >"$HSOD_LOG" 2>&1 &
	HSOD_PID=$!
	for _ in $(seq 1 100); do
		grep -q "^hsod: ready$" "$HSOD_LOG" && break
		kill -0 "$HSOD_PID" 2>/dev/null || return 1
		sleep 0.2
	done
	grep -q "^hsod: ready$" "$HSOD_LOG"
}

# hsod_start HSOD PREFIX ARGS...: hsod_launch on one TAP port (hso0), then
# the kernel side of it: 198.18.0.1/24, up.
hsod_start() {
	local bin=$1 prefix=$2
	shift 2
	hsod_launch "$bin" "$prefix" net_tap0,iface=hso0 "$@" || return 1
	in_ns ip addr add 198.18.0.1/24 dev hso0
	in_ns ip link set hso0 up
}

hsod_stop() {
	local secs=${1:-10} rc
	kill -TERM "$HSOD_PID"
	for _ in $(seq 1 $((secs * 10))); do
		kill -0 "$HSOD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$HSOD_PID" 2>/dev/null && return 124
	wait "$HSOD_PID"
	rc=$?
	HSOD_PID=
	return $rc
}

hso_stats() {
	local cmd=${1:-/hso/stats}
	echo "$cmd" | in_ns dpdk-telemetry.py -f "$HSOD_PREFIX" 2>/dev/null | python3 -c '
import json, sys
cmd = sys.argv[1]
t = sys.stdin.read()
i = t.find("{\"" + cmd.split(",")[0])
print(json.dumps(json.loads(t[i:t.index("\n", i)])[cmd.split(",")[0]]))
' "$cmd"
}

# gen_run GEN PREFIX "VDEV..." OUT [hso-gen args after --]: hso-gen in the
# namespace on the DPDK virtual devices given, lcore $GEN_LCORES (default 1),
# bounded by $GEN_TIMEOUT seconds (default 60). With GEN_SHARED=1 it keeps
# its memory in hugepage files under PREFIX (net_memif needs EAL's
# multi-process support, so no --in-memory); else eal_mem. Its JSON goes to
# OUT, its stderr to OUT.err; returns its exit status.
gen_run() {
	local bin=$1 prefix=$2 vdevs=() mem v out=$4
	for v in $3; do vdevs+=("--vdev=$v"); done
	shift 4
	DPDK_PREFIXES="$DPDK_PREFIXES $prefix"
	mem=()
	# shellcheck disable=SC2207
	[ "${GEN_SHARED:-0}" = 1 ] || mem=($(eal_mem))
	ip netns exec "$NS" timeout -k 5 "${GEN_TIMEOUT:-60}" "$bin" -l "${GEN_LCORES:-1}" \
		--no-pci "${mem[@]}" --file-prefix "$prefix" --log-level=lib.eal:warning \
		"${vdevs[@]}" -- "$@" >"$out" 2>"$out.err"
}

# json_get FILE EXPR: EXPR evaluated on the JSON document d in FILE, printed.
json_get() {
	python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}
