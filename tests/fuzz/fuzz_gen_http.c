/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for hso-gen's HTTP/1.1 response reader (what a server
 * under test sends back to --request): the input is a response cut into
 * pieces at the points its first bytes choose, then the end of the
 * connection. ASan and UBSan watch; the target checks the reader's promises
 * (never consumes more than it was given, stops at the end of a response,
 * a finished response stays finished).
 */
#include <stdint.h>
#include <stdlib.h>

#include "gen_http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gen_http h;
	size_t off = 2;

	if (size < 2)
		return 0;
	gen_http_init(&h);
	while (off < size) {
		/* Piece lengths from the first two bytes, varied as we go. */
		size_t piece = 1 + (size_t)((data[0] + data[1] * off) % 97);
		size_t n = size - off < piece ? size - off : piece;
		size_t used = gen_http_feed(&h, data + off, n);
		bool was_done = gen_http_done(&h);

		if (used > n)
			abort();
		if (used < n && !gen_http_done(&h) && !gen_http_bad(&h))
			abort();
		off += n;
		if (was_done && gen_http_feed(&h, data, size) != 0)
			abort();
		if (gen_http_done(&h) || gen_http_bad(&h))
			break;
	}
	gen_http_eof(&h);
	if (!gen_http_done(&h) && !gen_http_bad(&h))
		abort();
	return 0;
}
