/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_HTTP_H
#define HSO_GEN_HTTP_H

/**
 * @file
 * hso-gen's reader of one HTTP/1.1 response (RFC 9112), fed in pieces as
 * the plaintext arrives: the status line, the header section, then a body
 * delimited by Content-Length, chunked transfer coding (chunk extensions
 * and trailers skipped), or the end of the connection (6.3). It keeps no
 * body byte, only what it needs to find the end. No DPDK.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GEN_HTTP_LINE_MAX 1024  /* a status, header or chunk-size line at most */

enum gen_http_state {
	GEN_HTTP_STATUS = 0,
	GEN_HTTP_HEADERS,
	GEN_HTTP_BODY,              /* Content-Length bytes */
	GEN_HTTP_BODY_EOF,          /* until the connection ends */
	GEN_HTTP_CHUNK_SIZE,
	GEN_HTTP_CHUNK_DATA,
	GEN_HTTP_CHUNK_CRLF,
	GEN_HTTP_TRAILERS,
	GEN_HTTP_DONE,
	GEN_HTTP_BAD,
};

struct gen_http {
	uint8_t state;              /* enum gen_http_state */
	bool chunked;
	bool has_length;
	uint16_t status;
	uint64_t left;              /* body or chunk bytes still to come */
	uint64_t body;              /* body bytes seen */
	size_t line_len;
	char line[GEN_HTTP_LINE_MAX];
};

void gen_http_init(struct gen_http *h);

/**
 * Feed @p n bytes of the response.
 * @return bytes consumed: fewer than @p n once the response is complete
 *         (the rest belongs to whatever follows) or malformed.
 */
size_t gen_http_feed(struct gen_http *h, const uint8_t *p, size_t n);

/** The connection ended: completes a body delimited by it. */
void gen_http_eof(struct gen_http *h);

static inline bool
gen_http_done(const struct gen_http *h)
{
	return h->state == GEN_HTTP_DONE;
}

static inline bool
gen_http_bad(const struct gen_http *h)
{
	return h->state == GEN_HTTP_BAD;
}

#endif
