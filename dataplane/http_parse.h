/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_HTTP_PARSE_H
#define HSO_DATAPLANE_HTTP_PARSE_H

/**
 * @file
 * The HTTP/1.x request head as the built-in responder (app_http.c) reads
 * it (RFC 9112): request-line, header fields, the empty line. No DPDK, no
 * allocation: a pure function of the bytes received so far, unit-tested on
 * its own (tests/test_http_parse.c).
 *
 * Leniency where the RFC allows it and clients need it: a bare LF ends a
 * line as CRLF does (RFC 9112 2.2: "a recipient MAY recognize a single LF
 * as a line terminator and ignore any preceding CR"; tlsfuzzer, netcat and
 * many scripts send "GET / HTTP/1.0\n\n"), and empty lines before the
 * request-line are skipped (2.2: "SHOULD ignore at least one empty line").
 * Strictness where it must be: a request-line that is not
 * "method SP request-target SP HTTP/x.y", a bare CR, whitespace before a
 * field's colon (5.1), an obsolete line folding (5.2), a bad or repeated
 * Content-Length (6.3) are malformed: answer 400 and close, never wait.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** What a complete request head says. */
struct http_head {
	size_t len;             /**< bytes of the head, the empty line included */
	bool head;              /**< method HEAD: no body in the response */
	bool close;             /**< the connection closes after the response */
	uint64_t body_len;      /**< Content-Length: bytes to skip after the head */
};

/** http_head_parse() results besides a complete head (1). */
#define HTTP_HEAD_INCOMPLETE 0
#define HTTP_HEAD_BAD_REQUEST (-400)       /**< malformed: 400, close */
#define HTTP_HEAD_NOT_IMPLEMENTED (-501)   /**< a transfer coding: 501, close */

/**
 * Parse the request head at the start of @p buf.
 * @return 1 with @p h filled when the head is complete; HTTP_HEAD_INCOMPLETE
 *         when more bytes are needed (nothing wrong so far);
 *         HTTP_HEAD_BAD_REQUEST or HTTP_HEAD_NOT_IMPLEMENTED (RFC 9112 6.1:
 *         "A server that receives a request message with a transfer coding
 *         it does not understand SHOULD respond with 501").
 */
int http_head_parse(const char *buf, size_t len, struct http_head *h);

#endif
