#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# deploy/systemd/: systemd-analyze verify finds nothing to say about
# hsod.service and hso-hugepages.service (a warning is a failure), and the
# unit's hardening keeps `systemd-analyze security` exposure at or below
# 6.0. verify needs ExecStart's binary to exist: the units are checked as
# staged, with /usr/local/bin/hsod replaced by the hsod just built (what
# `meson install` would put there). A broken copy must make verify speak,
# so the check cannot pass by saying nothing. No root needed; exit 77
# without systemd-analyze.
#
# usage: tests/systemd_check.sh HSOD
set -uo pipefail
hsod=$(realpath "$1")
src=$(cd "$(dirname "$0")/../deploy/systemd" && pwd)
command -v systemd-analyze >/dev/null || { echo "skip: no systemd-analyze (package systemd)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

stage() { # DIR: the units, ExecStart pointing at the built hsod
	mkdir -p "$1"
	sed "s#/usr/local/bin/hsod#$hsod#g" "$src/hsod.service" >"$1/hsod.service"
	cp "$src/hso-hugepages.service" "$1/"
}
verify() { # DIR: systemd-analyze verify's output and status
	(cd "$1" && systemd-analyze verify --man=no ./hsod.service ./hso-hugepages.service 2>&1)
}

stage "$work/ok"
grep -q "^ExecStart=$hsod " "$work/ok/hsod.service" || { echo "FAIL: ExecStart not staged"; exit 1; }
out=$(verify "$work/ok")
rc=$?
if [ "$rc" -ne 0 ] || [ -n "$out" ]; then
	echo "FAIL: systemd-analyze verify (status $rc):"
	echo "$out"
	exit 1
fi
echo "systemd-analyze verify: hsod.service, hso-hugepages.service: clean"

if ! out=$(cd "$work/ok" && systemd-analyze security --offline=yes --threshold=60 --man=no \
	./hsod.service 2>&1); then
	echo "FAIL: exposure above 6.0:"
	echo "$out" | tail -25
	exit 1
fi
echo "systemd-analyze security: $(echo "$out" | grep -o 'Overall exposure level.*' | head -1)"

# The check can fail: a misspelt directive, and ExecStart's binary missing.
stage "$work/bad"
sed -i 's/^ProtectHome=yes/ProtectHomme=yes/' "$work/bad/hsod.service"
out=$(verify "$work/bad")
grep -q "ProtectHomme" <<<"$out" || { echo "FAIL: verify missed a misspelt key: '$out'"; exit 1; }
stage "$work/nobin"
sed -i "s#$hsod#/nonexistent/hsod#g" "$work/nobin/hsod.service"
if verify "$work/nobin" >/dev/null; then
	echo "FAIL: verify passed a unit whose binary does not exist"
	exit 1
fi
echo "systemd_check: ok"
