#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The one test command: install dependencies, build, run every test, and end
# with the line "N passed, N failed[, N skipped]". Exit status is non-zero on
# any failure (a build failure counts as a failed test).
#
#   build/       the main tree (-Dwerror=true), all suites
#   build-asan/  -Db_sanitize=address,undefined, the 'crypto', 'handshake',
#                'dataplane' and 'netns' suites
#
# Environment: HSO_TEST_ASAN=0 skips the sanitizer tree (local iteration only;
# CI always runs it).
#
# Time (2 cores; must stay under 40 min in all). What issue #12 adds,
# measured on the shared (noisy) 2-CPU machine, 2026-12-03, on rel merged
# with scale-dp:
#   attack suite (main tree)          170 s (syn 35, slow 64, conns 22, cost 49)
#   port_fault (netns, both trees)    2 x 45 s (+15 s each: the telemetry
#                                     port stop/start case, soak branch)
#   soak suite (main tree)            ~80 s (bench/soak.sh, 60 s of load)
#   netns suite in build-asan         699 s (hsod_tls alone 404 s: its 5% loss
#                                     case fails on scale-dp too; passing it
#                                     took ~110 s in the main tree)
#   fuzz suite, 60 s per target       396 s from a fresh tree (5 targets and
#                                     their clang builds; was ~3 min at 20 s)
# About 18.5 min in all, of which the ASan netns suite is the largest part.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! bash deploy/setup.sh; then
	echo "tests/run.sh: deploy/setup.sh failed"
	echo "0 passed, 1 failed"
	exit 1
fi

failed_builds=0
results=()

# configure DIR OPTIONS...: set up or reconfigure a build tree.
configure() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
	else
		rm -rf "$dir"
		meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
	fi
}

# run_tree NAME DIR "CONFIGURE OPTIONS" [meson test args...]
run_tree() {
	local name=$1 dir=$2 opts=$3
	shift 3
	echo "== $name: configure and build ($dir)"
	# shellcheck disable=SC2086
	if ! configure "$dir" $opts; then
		cat "$dir.setup.log"
		echo "== $name: configure FAILED"
		failed_builds=$((failed_builds + 1))
		return
	fi
	if ! ninja -C "$dir" >"$dir.build.log" 2>&1; then
		grep -E 'error|warning|FAILED' "$dir.build.log" | head -60
		echo "== $name: build FAILED (full log: $dir.build.log)"
		failed_builds=$((failed_builds + 1))
		return
	fi
	echo "== $name: test"
	rm -f "$dir/meson-logs/testlog.json"
	meson test -C "$dir" --print-errorlogs --num-processes 2 "$@"
	results+=("$dir/meson-logs/testlog.json:$name")
}

run_tree main build "-Dwerror=true"
if [ "${HSO_TEST_ASAN:-1}" != 0 ]; then
	# b_lundef=false: meson's default -Wl,--no-undefined fights the sanitizer runtime.
	# The netns suite too: hsod (and the applications) under ASan/UBSan
	# against real clients. EAL runs on hugepages or --no-huge as in the main
	# tree (lib.sh); a report in any log fails the test (lib.sh), and
	# ASan's slower hsod gets twice the timeouts.
	run_tree asan build-asan \
		"-Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false -Dbench=disabled" \
		--suite crypto --suite handshake --suite dataplane --suite netns \
		--timeout-multiplier 2
fi

python3 - "$failed_builds" "${results[@]}" <<'PY'
import json, sys
failed_builds = int(sys.argv[1])
passed = failed = skipped = 0
bad = []
for arg in sys.argv[2:]:
    path, name = arg.rsplit(":", 1)
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        bad.append(f"{name}: no test log")
        continue
    if not lines:
        failed += 1
        bad.append(f"{name}: ran no test")
    for line in lines:
        t = json.loads(line)
        r = t["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
            out = (t.get("stdout") or "").strip().splitlines()
            print(f"skipped {name}:{t['name']}: {out[-1] if out else 'no reason printed'}")
        else:
            failed += 1
            bad.append(f"{name}:{t['name']} ({r})")
failed += failed_builds
for b in bad:
    print("FAILED", b)
line = f"{passed} passed, {failed} failed"
if skipped:
    line += f", {skipped} skipped"
print(line)
sys.exit(1 if failed else 0)
PY
