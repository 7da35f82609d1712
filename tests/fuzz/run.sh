#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the fuzz targets (handshake decoders, TCP core) with libFuzzer (+ASan/UBSan), run
# each for a bounded time (the handshake one from real ClientHellos). Exit 77
# (skipped, with the reason printed) where clang or its fuzzer runtime is
# missing; deploy/setup.sh installs both.
#
# usage: tests/fuzz/run.sh SOURCE_ROOT WORK_DIR [SECONDS]
set -euo pipefail
src=$1
work=$2
secs=${3:-30}

if ! command -v clang >/dev/null 2>&1; then
	echo "skip: clang not installed (apt-get install clang libclang-rt-14-dev)"
	exit 77
fi
mkdir -p "$work/corpus"
probe="$work/probe.c"
echo 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n){(void)d;(void)n;return 0;}' >"$probe"
if ! clang -fsanitize=fuzzer "$probe" -o "$work/probe" 2>/dev/null; then
	echo "skip: clang cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)"
	exit 77
fi

# The decoders and writers it drives, which need nothing from crypto/ (the
# engine files do; record.c needs libcrypto's OPENSSL_cleanse and the buffer
# pool): name them, so a new crypto-dependent file cannot break it.
decoders=()
for f in codec record bufpool client_hello client_key_exchange negotiate message \
	server_hello encrypted_extensions certificate certificate_verify finished \
	server_key_exchange new_session_ticket; do
	decoders+=("$src/handshake/$f.c")
done

flags=(-g -O1 -std=c11 -D_GNU_SOURCE -I"$src/handshake" -I"$src/tests")
clang "${flags[@]}" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	"$src"/tests/fuzz/fuzz_handshake.c "${decoders[@]}" \
	$(pkg-config --cflags --libs libcrypto) -o "$work/fuzz_handshake"
clang "${flags[@]}" "$src/tests/fuzz/make_seeds.c" "$src/tests/real_hello.c" \
	"$src/handshake/record.c" "$src/handshake/codec.c" "$src/handshake/bufpool.c" \
	$(pkg-config --cflags --libs libssl libcrypto gnutls) -o "$work/make_seeds"
"$work/make_seeds" "$work/corpus"

clang "${flags[@]}" -I"$src/dataplane" -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all "$src/tests/fuzz/fuzz_tcp.c" "$src/dataplane/tcp.c" \
	"$src/dataplane/tcp_hash.c" "$src/dataplane/tcp_timer.c" -o "$work/fuzz_tcp"

# Bounded: -max_total_time seconds each, one process; a finding fails the test.
"$work/fuzz_handshake" -max_total_time="$secs" -seed=1 -print_final_stats=1 \
	-max_len=20000 "$work/corpus" >"$work/hs.log" 2>&1 || { tail -40 "$work/hs.log"; exit 1; }
tail -6 "$work/hs.log"
echo "fuzz_handshake: ran ${secs}s without a finding"
mkdir -p "$work/corpus_tcp"
"$work/fuzz_tcp" -max_total_time="$secs" -seed=1 -print_final_stats=1 -max_len=4096 \
	"$work/corpus_tcp" >"$work/tcp.log" 2>&1 || { tail -40 "$work/tcp.log"; exit 1; }
tail -6 "$work/tcp.log"
echo "fuzz_tcp: ran ${secs}s without a finding"
