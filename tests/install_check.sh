#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# What `meson install` gives an application developer: hsod, hso-proxy,
# hso-echo, hso-gen, the library, its one header and a pkg-config file, enough to
# build the example (dataplane/examples/hso_hello.c) outside the tree with
#   cc hso_hello.c $(pkg-config --cflags --libs hso-app)
#
# usage: tests/install_check.sh BUILD_DIR SOURCE_DIR
set -uo pipefail
build=$1
src=$2
dest=$(mktemp -d /tmp/hso-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$dest.log" 2>&1 ||
	{ cat "$dest.log"; rm -f "$dest.log"; fail "meson install"; }
rm -f "$dest.log"
prefix=$(meson introspect "$build" --buildoptions |
	python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
root=$dest$prefix
for f in bin/hsod bin/hso-proxy bin/hso-echo bin/hso-hello bin/hso-gen include/hso_app.h; do
	[ -e "$root/$f" ] || fail "not installed: $prefix/$f"
done
pc=$(find "$root" -name hso-app.pc | head -1)
[ -n "$pc" ] || fail "no hso-app.pc installed"
lib=$(find "$root" -name 'libhso-app.so*' | head -1)
[ -n "$lib" ] || fail "no libhso-app.so installed"
echo "installed: $(cd "$root" && find . -type f | sort | tr '\n' ' ')"

# The example, built as a newcomer would, against the installed files only
# (the .pc file's prefix pointed at the staging directory; libdpdk's own
# pkg-config file stays as the system has it).
mkdir -p "$dest/pc"
sed "s|^prefix=.*|prefix=$root|" "$pc" >"$dest/pc/hso-app.pc"
export PKG_CONFIG_PATH=$dest/pc
flags=$(pkg-config --cflags --libs hso-app) || fail "pkg-config hso-app"
echo "pkg-config --cflags --libs hso-app: $flags"
cp "$src/dataplane/examples/hso_hello.c" "$dest/"
# shellcheck disable=SC2086
cc -std=c11 -Wall -Wextra -Werror -o "$dest/hso_hello" "$dest/hso_hello.c" $flags ||
	fail "the example does not build against the installed header and library"
grep -q 'libhso-app' <<<"$(LD_LIBRARY_PATH=$(dirname "$lib") ldd "$dest/hso_hello")" ||
	fail "the example is not linked with libhso-app"
lines=$(wc -l <"$src/dataplane/examples/hso_hello.c")
[ "$lines" -lt 100 ] || fail "the example has $lines lines (promised: under 100)"
echo "example: $lines lines, builds out of tree with pkg-config: ok"
