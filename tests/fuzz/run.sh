#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Build the fuzz targets (handshake decoders, TCP core, the engine's record
# calls after the handshake, hso-gen's HTTP reader, a whole worker from the
# wire) with libFuzzer (+ASan/UBSan), run each for a bounded time (the
# handshake one from real ClientHellos, the wire one from the seeds in
# tests/fuzz/corpus/wire, which it first writes again itself: real TLS 1.2
# and 1.3 handshakes by OpenSSL through the worker, each of which must get
# the page). Exit 77 (skipped, with the reason printed) where clang or its
# fuzzer runtime is missing; deploy/setup.sh installs both.
#
# usage: tests/fuzz/run.sh SOURCE_ROOT WORK_DIR [SECONDS]
#
# A long run of the wire fuzzer alone (one core), e.g. an hour:
#   HSO_FUZZ_ONLY=wire tests/fuzz/run.sh . build/tests/fuzz 3600
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
	server_hello encrypted_extensions certificate certificate_status certificate_verify finished \
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

# The wire fuzzer: a tree of its own (clang, every file instrumented), the
# whole dataplane on a DPDK net_ring port; EAL without hugepages.
wire() {
	local b="$work/build-wire"
	if [ ! -f "$b/build.ninja" ]; then
		rm -rf "$b"
		CC=clang CXX=clang++ meson setup "$b" "$src" -Dfuzz=true -Dtests=false \
			-Dbench=disabled -Db_sanitize=address,undefined -Db_lundef=false \
			-Dbuildtype=debugoptimized >"$work/wire-setup.log" 2>&1 ||
			{ tail -20 "$work/wire-setup.log"; exit 1; }
	fi
	ninja -C "$b" tests/fuzz/fuzz_wire >"$work/wire-build.log" 2>&1 ||
		{ grep -E "error|FAILED" "$work/wire-build.log" | head -30; exit 1; }
	rm -rf "$work/wire-seeds"
	mkdir -p "$work/wire-seeds" "$work/corpus_wire"
	FUZZ_WIRE_SEEDS="$work/wire-seeds" "$b/tests/fuzz/fuzz_wire" ||
		{ echo "fuzz_wire: the seed handshakes through the worker failed"; exit 1; }
	"$b/tests/fuzz/fuzz_wire" -max_total_time="$secs" -seed=1 -print_final_stats=1 -artifact_prefix="$work/" \
		-max_len=20000 -timeout=30 "$work/corpus_wire" "$src/tests/fuzz/corpus/wire" \
		"$work/wire-seeds" >"$work/wire.log" 2>&1 || { tail -60 "$work/wire.log"; exit 1; }
	grep -E "DONE|number_of_executed_units|new_units_added" "$work/wire.log"
	echo "fuzz_wire: ran ${secs}s without a finding"
}
if [ "${HSO_FUZZ_ONLY:-}" = wire ]; then
	wire
	exit 0
fi

# The engine after the handshake on the zero-copy calls: every engine and
# crypto file, ipsec-mb and libcrypto (fuzz_records.c says what it drives).
engine=("$src"/handshake/*.c "$src"/crypto/*.c)
clang "${flags[@]}" -DNO_COMPAT_IMB_API_053 -I"$src/crypto" -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all "$src/tests/fuzz/fuzz_records.c" "${engine[@]}" -lIPSec_MB \
	$(pkg-config --cflags --libs libcrypto) -o "$work/fuzz_records"
# Seeds: [version/suite/release][kind len len cut content]...: application
# data, KeyUpdate(update_requested), a KeyUpdate cut over two records, a
# ticket-like message, HelloRequest, close_notify, raw bytes.
mkdir -p "$work/corpus_rec"
printf '\x04\x17\x00\x05\x91hello\x02\x00\x05\x13\x18\x00\x00\x01\x01' >"$work/corpus_rec/ku13"
printf '\x00\x02\x00\x02\x05\x18\x00\x02\x00\x02\x07\x01\x01\x97\x00\x03\x88abc' >"$work/corpus_rec/ku_split"
printf '\x84\x82\x00\x0c\x30\x04\x00\x00\x08\x00\x00\x0e\x10\x00\x00\x00\x01' >"$work/corpus_rec/nst"
printf '\x05\x02\x00\x04\x21\x00\x00\x00\x00\x01\x00\x02\x00\x01\x00' >"$work/corpus_rec/hello_request12"
printf '\x07\x57\x00\x0a\x44\x17\x03\x03\x00\x05abcde' >"$work/corpus_rec/raw"

# Bounded: -max_total_time seconds each, one process; a finding fails the test.
"$work/fuzz_handshake" -max_total_time="$secs" -seed=1 -print_final_stats=1 -artifact_prefix="$work/" \
	-max_len=20000 "$work/corpus" >"$work/hs.log" 2>&1 || { tail -40 "$work/hs.log"; exit 1; }
tail -6 "$work/hs.log"
echo "fuzz_handshake: ran ${secs}s without a finding"
mkdir -p "$work/corpus_tcp"
"$work/fuzz_tcp" -max_total_time="$secs" -seed=1 -print_final_stats=1 -artifact_prefix="$work/" -max_len=4096 \
	"$work/corpus_tcp" >"$work/tcp.log" 2>&1 || { tail -40 "$work/tcp.log"; exit 1; }
tail -6 "$work/tcp.log"
echo "fuzz_tcp: ran ${secs}s without a finding"
"$work/fuzz_records" -max_total_time="$secs" -seed=1 -print_final_stats=1 -artifact_prefix="$work/" -max_len=20000 \
	"$work/corpus_rec" >"$work/rec.log" 2>&1 || { tail -40 "$work/rec.log"; exit 1; }
tail -6 "$work/rec.log"
echo "fuzz_records: ran ${secs}s without a finding"

# hso-gen's HTTP response reader (a server's answer to --request).
clang "${flags[@]}" -I"$src/dataplane/gen" -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all "$src/tests/fuzz/fuzz_gen_http.c" "$src/dataplane/gen/gen_http.c" \
	-o "$work/fuzz_gen_http"
mkdir -p "$work/corpus_http"
printf 'xxHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc' >"$work/corpus_http/cl"
printf 'xxHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n' \
	>"$work/corpus_http/chunked"
"$work/fuzz_gen_http" -max_total_time="$secs" -seed=1 -print_final_stats=1 -artifact_prefix="$work/" \
	-max_len=4096 "$work/corpus_http" >"$work/http.log" 2>&1 || { tail -40 "$work/http.log"; exit 1; }
tail -6 "$work/http.log"
echo "fuzz_gen_http: ran ${secs}s without a finding"

wire
