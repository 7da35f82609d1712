#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The main job, for now: install what is missing, build hso for this CPU
# (-march=native) and run the crypto benchmarks, printing a table and keeping
# the JSON. The dataplane issue will point this at the daemon.
#
# usage: deploy/demo.sh [REGEX]   (only benchmarks matching REGEX, e.g. kdf)
set -euo pipefail
cd "$(dirname "$0")/.."

bash deploy/setup.sh
dir=build-native
if [ -f "$dir/build.ninja" ]; then
	meson setup --reconfigure "$dir" -Dmarch=native -Dtests=false >/dev/null
else
	meson setup "$dir" -Dmarch=native -Dtests=false >/dev/null
fi
ninja -C "$dir" >/dev/null

filter=${1:-.}
json="$dir/bench.json"
echo "demo: running hso-bench (filter '$filter'); JSON goes to $json"
"$dir/bench/hso-bench" --benchmark_filter="$filter" \
	--benchmark_out="$json" --benchmark_out_format=json
echo
python3 bench/table.py "$json"
