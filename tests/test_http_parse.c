/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/http_parse: request heads as the built-in HTTP responder reads
 * them (RFC 9112): bare-LF line ends, empty lines first, persistence, and
 * every malformed form refused as soon as its line is complete, so no
 * complete request ever waits for more bytes.
 */
#include "check.h"
#include "http_parse.h"

static int
parse(const char *s, struct http_head *h)
{
	return http_head_parse(s, strlen(s), h);
}

/* Complete, of length strlen(@p s); every shorter prefix is incomplete. */
static void
complete(const char *s, bool close, bool head, uint64_t body)
{
	struct http_head h;
	size_t n = strlen(s);

	CHECK_MSG(parse(s, &h) == 1, "'%s': %d", s, parse(s, &h));
	CHECK_MSG(h.len == n, "'%s': len %zu", s, h.len);
	CHECK_MSG(h.close == close, "'%s': close %d", s, h.close);
	CHECK_EQ(h.head, head);
	CHECK_EQ(h.body_len, body);
	for (size_t k = 0; k < n; k++)
		CHECK_MSG(http_head_parse(s, k, &h) == HTTP_HEAD_INCOMPLETE, "'%s' cut at %zu", s, k);
}

static void
bad(const char *s, int want)
{
	struct http_head h;

	CHECK_MSG(parse(s, &h) == want, "'%s': %d, want %d", s, parse(s, &h), want);
}

int
main(void)
{
	struct http_head h;

	/* RFC 9112 2.2: a bare LF ends a line, as tlsfuzzer and netcat send. */
	complete("GET / HTTP/1.0\n\n", true, false, 0);
	complete("GET / HTTP/1.0\r\n\r\n", true, false, 0);
	complete("GET / HTTP/1.1\r\nHost: x\n\r\n", false, false, 0);
	complete("GET / HTTP/1.1\nHost: x\nConnection: close\n\n", true, false, 0);
	/* ... and empty lines before the request-line are skipped. */
	complete("\r\n\nGET / HTTP/1.1\r\n\r\n", false, false, 0);
	/* RFC 9112 9.3: persistence. */
	complete("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", false, false, 0);
	complete("GET / HTTP/1.1\r\nConnection: upgrade, close\r\n\r\n", true, false, 0);
	complete("GET / HTTP/1.1\r\nConnection: closed\r\n\r\n", false, false, 0);
	complete("HEAD /x?y=1 HTTP/1.1\r\nHost: a\r\n\r\n", false, true, 0);
	complete("HEADER / HTTP/1.1\r\n\r\n", false, false, 0);
	/* A body to skip, its length given once or repeated alike (RFC 9112 6.3). */
	complete("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", false, false, 5);
	complete("POST / HTTP/1.1\r\ncontent-length:  12 \r\nContent-Length: 12\r\n\r\n",
		 false, false, 12);
	/* Bytes after the head (a pipelined request) are not part of it. */
	CHECK_EQ(parse("GET / HTTP/1.1\n\nGET / HTTP/1.1\n\n", &h), 1);
	CHECK_EQ(h.len, 16);

	/* Malformed request-lines: refused once the line is complete. */
	bad("GET /\r\n", HTTP_HEAD_BAD_REQUEST);                  /* HTTP/0.9 */
	bad("GET  / HTTP/1.1\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / HTTP/1.1 \r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / http/1.1\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / HTTP/1.10\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / HTTP/0.9\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("G@T / HTTP/1.1\r\n", HTTP_HEAD_BAD_REQUEST);
	bad(" GET / HTTP/1.1\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET /\x01 HTTP/1.1\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("\x16\x03\x01\x02\x05\x01\n", HTTP_HEAD_BAD_REQUEST);
	bad("garbage\n", HTTP_HEAD_BAD_REQUEST);
	/* RFC 9112 2.2: a bare CR is invalid. */
	bad("GET / HTTP/1.1\rX\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", HTTP_HEAD_BAD_REQUEST);
	/* RFC 9112 5.1 / 5.2: whitespace before the colon; obs-fold; no colon. */
	bad("GET / HTTP/1.1\r\nHost : a\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / HTTP/1.1\r\nno colon here\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("GET / HTTP/1.1\r\n: empty name\r\n", HTTP_HEAD_BAD_REQUEST);
	/* RFC 9112 6.3: invalid or conflicting Content-Length. */
	bad("POST / HTTP/1.1\r\nContent-Length: 5x\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("POST / HTTP/1.1\r\nContent-Length:\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("POST / HTTP/1.1\r\nContent-Length: -1\r\n", HTTP_HEAD_BAD_REQUEST);
	bad("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n",
	    HTTP_HEAD_BAD_REQUEST);
	bad("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
	    HTTP_HEAD_BAD_REQUEST);
	/* RFC 9112 6.1: a transfer coding the responder does not decode: 501. */
	bad("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n",
	    HTTP_HEAD_NOT_IMPLEMENTED);
	/* Not malformed yet: the line is not complete. */
	CHECK_EQ(parse("GET  / HTT", &h), HTTP_HEAD_INCOMPLETE);
	CHECK_EQ(parse("", &h), HTTP_HEAD_INCOMPLETE);
	CHECK_EQ(parse("\r\n\r\n", &h), HTTP_HEAD_INCOMPLETE);
	return check_result("http_parse");
}
