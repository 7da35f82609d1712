/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen's HTTP/1.1 response reader: Content-Length, chunked (with
 * extensions and trailers), close-delimited, no-body statuses, interim
 * responses; every response fed whole, byte by byte and split at every
 * point gives the same result; malformed ones are refused.
 */
#include "check.h"
#include "gen_http.h"

/* Feed @p s split at @p cut (0: whole); returns the final state. */
static int
run(const char *s, size_t cut, bool eof, uint16_t *status, uint64_t *body, size_t *used)
{
	struct gen_http h;
	size_t n = strlen(s), u;

	gen_http_init(&h);
	if (cut == 0 || cut >= n) {
		u = gen_http_feed(&h, (const uint8_t *)s, n);
	} else {
		u = gen_http_feed(&h, (const uint8_t *)s, cut);
		if (u == cut)
			u += gen_http_feed(&h, (const uint8_t *)s + cut, n - cut);
	}
	if (eof)
		gen_http_eof(&h);
	*status = h.status;
	*body = h.body;
	*used = u;
	return h.state;
}

static void
good(const char *s, bool eof, uint16_t want_status, uint64_t want_body, size_t want_used)
{
	for (size_t cut = 0; cut <= strlen(s); cut++) {
		uint16_t st;
		uint64_t body;
		size_t used;
		int r = run(s, cut, eof, &st, &body, &used);

		CHECK_MSG(r == GEN_HTTP_DONE && st == want_status && body == want_body &&
			  used == want_used, "cut %zu: state %d status %u body %llu used %zu: %s",
			  cut, r, st, (unsigned long long)body, used, s);
	}
	/* Byte by byte. */
	{
		struct gen_http h;
		size_t used = 0;

		gen_http_init(&h);
		for (size_t i = 0; i < strlen(s) && !gen_http_done(&h); i++)
			used += gen_http_feed(&h, (const uint8_t *)s + i, 1);
		if (eof)
			gen_http_eof(&h);
		CHECK_MSG(gen_http_done(&h) && used == want_used, "bytewise: %s", s);
	}
}

static void
bad(const char *s, bool eof)
{
	uint16_t st;
	uint64_t body;
	size_t used;

	CHECK_MSG(run(s, 0, eof, &st, &body, &used) == GEN_HTTP_BAD, "accepted: %s", s);
}

int
main(void)
{
	const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: x\r\n\r\nhello";

	good(cl, false, 200, 5, strlen(cl));
	/* What follows the response is not consumed. */
	{
		char two[256];
		uint16_t st;
		uint64_t body;
		size_t used;

		snprintf(two, sizeof(two), "%sHTTP/1.1 200 OK\r\n", cl);
		CHECK_EQ(run(two, 0, false, &st, &body, &used), GEN_HTTP_DONE);
		CHECK_EQ(used, strlen(cl));
	}
	good("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n", false, 200, 15,
	     strlen("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		    "5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n"));
	good("HTTP/1.0 200 OK\r\n\r\nuntil the end", true, 200, 13,
	     strlen("HTTP/1.0 200 OK\r\n\r\nuntil the end"));
	good("HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n", false, 204, 0,
	     strlen("HTTP/1.1 204 No Content\r\nContent-Length: 99\r\n\r\n"));
	good("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n\r\nno",
	     false, 404, 2, strlen("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n"
				   "content-length: 2\r\n\r\nno"));
	good("HTTP/1.1 200 OK\nContent-Length: 0\n\n", false, 200, 0,
	     strlen("HTTP/1.1 200 OK\nContent-Length: 0\n\n"));
	bad("HTTP/2 200\r\n\r\n", false);
	bad("HTTP/1.1 2000 OK\r\n\r\n", false);
	bad("hello\r\n", false);
	bad("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", false);
	bad("HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n", false);
	bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", false);
	bad("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n", false);
	bad("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", true);
	{
		char big[GEN_HTTP_LINE_MAX + 64];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
		bad(big, false);
	}
	return check_result("test_gen_http");
}
