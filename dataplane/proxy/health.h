/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_PROXY_HEALTH_H
#define HSO_PROXY_HEALTH_H

/**
 * @file
 * What an HTTP health check sends and how its answer is read, without
 * sockets or clocks (health.c runs the checks; test_proxy.c tests this).
 *
 * The check is "GET PATH HTTP/1.0" with Host and "Connection: close", as
 * HAProxy's option httpchk sends by default; the backend is healthy when
 * the final status code equals the expected one. Only the status line is
 * read (RFC 9112 4): status-line = HTTP-version SP status-code SP
 * [ reason-phrase ] CRLF, HTTP-version = "HTTP/" DIGIT "." DIGIT
 * (case-sensitive, RFC 9112 2.3). Interim 1xx responses are skipped with
 * their header block: "A client MUST be able to parse one or more 1xx
 * responses received prior to a final response" (RFC 9110 15.2); 101
 * (Switching Protocols) is final, since nothing asked for it. A line
 * ending in a bare LF is taken (RFC 9112 2.2: a recipient MAY), a missing
 * SP before an empty reason too; anything else that cannot be the start
 * of a status line is malformed as soon as it arrives, and so is a status
 * line longer than HEALTH_LINE_MAX.
 */

#include <stddef.h>
#include <stdint.h>

/** Check types ([proxy] check, [backend NAME] check). */
enum health_type {
	HEALTH_INHERIT = 0,     /**< a backend's: the [proxy] value */
	HEALTH_TCP,             /**< a TCP connect */
	HEALTH_HTTP,            /**< a TCP connect, then GET PATH and its status */
};

/** Longest request (path 127 bytes and an IPv6 Host fit). */
#define HEALTH_REQ_MAX          320
/** Bytes of a response kept for a verdict (1xx responses and the status line). */
#define HEALTH_RESP_MAX         1024
/** Longest status line accepted, CRLF included. */
#define HEALTH_LINE_MAX         512

/**
 * The check's request for @p path (from '/', no blank or control byte) to
 * host @p host ("A.B.C.D:PORT" or "[IPv6]:PORT").
 * @return its length; -ENOSPC when it does not fit @p cap; -EINVAL for a
 *         bad path or host.
 */
int health_http_request(char *out, size_t cap, const char *path, const char *host);

/**
 * The final status of the response whose first @p len bytes are @p buf.
 * @return 1 with *status (100..599... as sent, 3 digits); 0 when more bytes
 *         are needed; -EBADMSG when it is not an HTTP/1.x response (or a
 *         line is too long).
 */
int health_http_status(const uint8_t *buf, size_t len, unsigned *status);

/** "tcp", "http" ("inherit" for HEALTH_INHERIT). */
const char *health_type_name(unsigned type);

#endif
