/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The HTTP health check's request and status line: contract in health.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "health.h"

const char *
health_type_name(unsigned type)
{
	switch (type) {
	case HEALTH_TCP: return "tcp";
	case HEALTH_HTTP: return "http";
	default: return "inherit";
	}
}

/* A request-target byte: visible ASCII (no SP, CTL, DEL or 8-bit). */
static bool
target_byte(unsigned char c)
{
	return c > 0x20 && c < 0x7f;
}

int
health_http_request(char *out, size_t cap, const char *path, const char *host)
{
	int n;

	if (path == NULL || path[0] != '/' || host == NULL || host[0] == '\0')
		return -EINVAL;
	for (const char *p = path; *p != '\0'; p++)
		if (!target_byte((unsigned char)*p))
			return -EINVAL;
	for (const char *p = host; *p != '\0'; p++)
		if (!target_byte((unsigned char)*p))
			return -EINVAL;
	n = snprintf(out, cap, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: hso-proxy\r\n"
		     "Connection: close\r\n\r\n", path, host);
	if (n < 0 || (size_t)n >= cap)
		return -ENOSPC;
	return n;
}

/* Is @p c allowed in a reason-phrase (HTAB, SP, VCHAR, obs-text)? */
static bool
reason_byte(unsigned char c)
{
	return c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f);
}

/*
 * One status line at @p p (@p len bytes available).
 * @return its length through the LF, with *status; 0: incomplete but a
 *         valid start; -EBADMSG.
 */
static int
status_line(const uint8_t *p, size_t len, unsigned *status)
{
	static const char name[] = "HTTP/";
	size_t i;

	/* "HTTP/" DIGIT "." DIGIT SP 3DIGIT, checked as far as it arrived. */
	for (i = 0; i < len && i < 12; i++) {
		unsigned char c = p[i];
		bool ok;

		if (i < 5)
			ok = c == (unsigned char)name[i];
		else if (i == 6)
			ok = c == '.';
		else if (i == 8)
			ok = c == ' ';
		else
			ok = c >= '0' && c <= '9';
		/* HTTP/2 and later have no status line: only 1.x here. */
		if (i == 5)
			ok = c == '1';
		if (!ok)
			return -EBADMSG;
	}
	if (len < 12)
		return 0;
	*status = (unsigned)(p[9] - '0') * 100 + (unsigned)(p[10] - '0') * 10 +
		  (unsigned)(p[11] - '0');
	if (*status < 100)
		return -EBADMSG;        /* RFC 9110 15: 1xx to 5xx ... 3 digits from 100 */
	/* Then SP reason-phrase, or directly the end of the line. */
	for (i = 12; i < len && i < HEALTH_LINE_MAX; i++) {
		unsigned char c = p[i];

		if (c == '\n')
			return (int)i + 1;
		if (c == '\r') {
			if (i + 1 == len)
				return 0;
			if (p[i + 1] != '\n')
				return -EBADMSG;
			return (int)i + 2;
		}
		if (i == 12 && c != ' ')
			return -EBADMSG;        /* "HTTP/1.1 2000" */
		if (!reason_byte(c))
			return -EBADMSG;
	}
	return i >= HEALTH_LINE_MAX ? -EBADMSG : 0;
}

/*
 * Skip a header block after a 1xx status line: up to an empty line.
 * @return bytes through it; 0: incomplete; -EBADMSG (a line too long).
 */
static int
header_block(const uint8_t *p, size_t len)
{
	size_t line = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != '\n') {
			if (i - line >= HEALTH_LINE_MAX)
				return -EBADMSG;
			continue;
		}
		/* An empty line: "\n" or "\r\n" alone. */
		if (i == line || (i == line + 1 && p[line] == '\r'))
			return (int)i + 1;
		line = i + 1;
	}
	return len - line >= HEALTH_LINE_MAX ? -EBADMSG : 0;
}

int
health_http_status(const uint8_t *buf, size_t len, unsigned *status)
{
	size_t off = 0;

	for (;;) {
		unsigned st = 0;
		int n = status_line(buf + off, len - off, &st), h;

		if (n <= 0)
			return n;
		if (st >= 200 || st == 101) {
			*status = st;
			return 1;
		}
		/* An interim response: its header block, then the next one. */
		off += (size_t)n;
		h = header_block(buf + off, len - off);
		if (h <= 0)
			return h;
		off += (size_t)h;
	}
}
