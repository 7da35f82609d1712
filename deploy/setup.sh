#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Install every build and test dependency of hso on Debian 12 and reserve
# hugepages for DPDK. Idempotent: prints nothing when everything is present
# (except one line when hugepages cannot be reserved).
#
# Environment: HSO_HUGEPAGES (number of 2 MB pages to reserve, default 512),
#              HSO_SKIP_HUGEPAGES=1 to leave hugepages alone.
set -euo pipefail

PACKAGES=(
	gcc g++ meson ninja-build pkg-config python3
	libssl-dev openssl
	libipsec-mb-dev
	libdpdk-dev
	libbenchmark-dev
	gnutls-bin libgnutls28-dev
	clang libclang-rt-14-dev
	iproute2 procps iputils-ping ethtool curl dpdk-dev wrk nftables nginx-light bc
	hping3
	# bench/e2e_idle.sh HSO_IDLE_PERF: where a worker's cycles go
	linux-perf
	shfmt systemd nodejs prometheus
	# tests/conformance: tlsfuzzer needs python3-ecdsa (and runs far faster
	# with OpenSSL and GMP under tlslite: m2crypto, gmpy2); testssl.sh;
	# headless Chromium for tests/netns/chromium.sh
	python3-ecdsa python3-m2crypto python3-gmpy2 testssl.sh chromium
)

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "setup: not root and no sudo: cannot install packages" >&2
		exit 1
	fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Packages with a daemon (prometheus, for promtool; nginx) must not start
	# one on the test machine: services stay down while we install.
	policy=""
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		policy=/usr/sbin/policy-rc.d
		printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null
		"${SUDO[@]}" chmod +x "$policy"
	fi
	rc=0
	"${SUDO[@]}" apt-get update -qq >/tmp/hso-setup-apt.log 2>&1 &&
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" \
		>>/tmp/hso-setup-apt.log 2>&1 || rc=$?
	[ -n "$policy" ] && "${SUDO[@]}" rm -f "$policy"
	# Only promtool is wanted from prometheus: its server stays off at boot too.
	if [[ " ${missing[*]} " == *" prometheus "* ]] && command -v systemctl >/dev/null; then
		"${SUDO[@]}" systemctl disable --now prometheus >/dev/null 2>&1 || true
	fi
	if [ "$rc" -ne 0 ]; then
		echo "setup: apt-get failed, see /tmp/hso-setup-apt.log" >&2
		tail -20 /tmp/hso-setup-apt.log >&2
		exit 1
	fi
fi

# Debian's nodejs has no npm in it (the image's NodeSource build does).
if ! command -v npm >/dev/null 2>&1; then
	echo "setup: installing npm"
	"${SUDO[@]}" apt-get install -y -qq --no-install-recommends npm \
		>>/tmp/hso-setup-apt.log 2>&1 || { echo "setup: apt-get install npm failed" >&2; exit 1; }
fi

# The offline schema check of deploy/kubernetes (tests/k8s_check.js):
# kubernetes-models and yaml from npm, every version pinned by
# deploy/kubernetes/validate/package-lock.json, installed with npm ci into
# /opt/hso-k8s-validate (HSO_K8S_VALIDATE), never into the repository.
k8s_dir=${HSO_K8S_VALIDATE:-/opt/hso-k8s-validate}
k8s_src=$(cd "$(dirname "$0")" && pwd)/kubernetes/validate
if ! cmp -s "$k8s_src/package-lock.json" "$k8s_dir/package-lock.json" ||
   [ ! -f "$k8s_dir/node_modules/kubernetes-models/package.json" ]; then
	echo "setup: installing the Kubernetes schema check into $k8s_dir (npm ci)"
	"${SUDO[@]}" mkdir -p "$k8s_dir"
	"${SUDO[@]}" cp "$k8s_src/package.json" "$k8s_src/package-lock.json" "$k8s_dir/"
	if ! (cd "$k8s_dir" && "${SUDO[@]}" npm ci --no-audit --no-fund --loglevel=error) \
		>/tmp/hso-setup-npm.log 2>&1; then
		echo "setup: npm ci failed, see /tmp/hso-setup-npm.log" >&2
		tail -20 /tmp/hso-setup-npm.log >&2
		exit 1
	fi
fi

# Hugepages: 2 MB pages for DPDK. Not fatal: DPDK then runs with --no-huge.
if [ "${HSO_SKIP_HUGEPAGES:-0}" != 1 ]; then
	want=${HSO_HUGEPAGES:-512}
	nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
	why=""
	if [ ! -e "$nr" ]; then
		why="kernel has no 2 MB hugepages"
	else
		have=$(cat "$nr")
		if [ "$have" -lt "$want" ]; then
			echo "$want" | "${SUDO[@]}" tee "$nr" >/dev/null 2>&1 || true
			have=$(cat "$nr")
		fi
		if [ "$have" -lt "$want" ]; then
			why="only $have of $want pages could be reserved"
		elif ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
			"${SUDO[@]}" mkdir -p /dev/hugepages 2>/dev/null || true
			"${SUDO[@]}" mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages \
				2>/dev/null || why="cannot mount hugetlbfs on /dev/hugepages"
		fi
	fi
	if [ -n "$why" ]; then
		echo "setup: no hugepages ($why): DPDK tests will run with --no-huge"
	fi
fi
