/* SPDX-License-Identifier: BSD-3-Clause */
/* HTTP/1.x request heads; contract in http_parse.h. */
#include "http_parse.h"

#include <string.h>
#include <strings.h>

/* RFC 9110 5.6.2: tchar. */
static bool
tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* "method SP request-target SP HTTP-version" (RFC 9112 3). */
static int
request_line(const char *p, size_t n, struct http_head *h, bool *http10)
{
	size_t i = 0, m;

	while (i < n && tchar((unsigned char)p[i]))
		i++;
	if (i == 0 || i == n || p[i] != ' ')
		return HTTP_HEAD_BAD_REQUEST;
	h->head = i == 4 && memcmp(p, "HEAD", 4) == 0;
	m = ++i;
	/* request-target: visible characters, no whitespace (3.2). */
	while (i < n && (unsigned char)p[i] > 0x20 && p[i] != 0x7f)
		i++;
	if (i == m || i == n || p[i] != ' ')
		return HTTP_HEAD_BAD_REQUEST;
	i++;
	/* HTTP-version = "HTTP" "/" DIGIT "." DIGIT (2.3), case-sensitive. */
	if (n - i != 8 || memcmp(p + i, "HTTP/", 5) != 0 || p[i + 5] < '0' ||
	    p[i + 5] > '9' || p[i + 6] != '.' || p[i + 7] < '0' || p[i + 7] > '9')
		return HTTP_HEAD_BAD_REQUEST;
	*http10 = p[i + 5] == '1' && p[i + 7] == '0';
	if (p[i + 5] == '0')    /* HTTP/0.x: no such thing with a version */
		return HTTP_HEAD_BAD_REQUEST;
	return 0;
}

/* Does the comma-separated list @p v (of @p n bytes) hold @p token? */
static bool
list_has(const char *v, size_t n, const char *token)
{
	size_t tl = strlen(token);

	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && v[j] != ',')
			j++;
		{
			size_t a = i, b = j;

			while (a < b && (v[a] == ' ' || v[a] == '\t'))
				a++;
			while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
				b--;
			if (b - a == tl && strncasecmp(v + a, token, tl) == 0)
				return true;
		}
		i = j + 1;
	}
	return false;
}

struct fields {
	bool keep_alive, close, have_len;
};

/* One field line (RFC 9112 5): name ":" OWS value OWS. */
static int
field_line(const char *p, size_t n, struct http_head *h, struct fields *f)
{
	size_t i = 0, a, b;

	/* 5.2: obs-fold "MUST" be rejected (or replaced); rejected here. */
	if (p[0] == ' ' || p[0] == '\t')
		return HTTP_HEAD_BAD_REQUEST;
	while (i < n && tchar((unsigned char)p[i]))
		i++;
	/* 5.1: "No whitespace is allowed between the field name and colon." */
	if (i == 0 || i == n || p[i] != ':')
		return HTTP_HEAD_BAD_REQUEST;
	a = i + 1;
	b = n;
	while (a < b && (p[a] == ' ' || p[a] == '\t'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
		b--;
	if (i == 10 && strncasecmp(p, "Connection", 10) == 0) {
		f->close |= list_has(p + a, b - a, "close");
		f->keep_alive |= list_has(p + a, b - a, "keep-alive");
	} else if (i == 17 && strncasecmp(p, "Transfer-Encoding", 17) == 0) {
		return HTTP_HEAD_NOT_IMPLEMENTED;
	} else if (i == 14 && strncasecmp(p, "Content-Length", 14) == 0) {
		uint64_t v = 0;

		/* 6.3: an invalid Content-Length is unrecoverable: 400. */
		if (a == b)
			return HTTP_HEAD_BAD_REQUEST;
		for (size_t k = a; k < b; k++) {
			if (p[k] < '0' || p[k] > '9' || v > (UINT64_MAX - 9) / 10)
				return HTTP_HEAD_BAD_REQUEST;
			v = v * 10 + (uint64_t)(p[k] - '0');
		}
		if (f->have_len && v != h->body_len)
			return HTTP_HEAD_BAD_REQUEST;
		f->have_len = true;
		h->body_len = v;
	}
	return 0;
}

int
http_head_parse(const char *buf, size_t len, struct http_head *h)
{
	struct fields f = { 0 };
	bool have_line = false, http10 = false;
	size_t pos = 0;

	memset(h, 0, sizeof(*h));
	while (pos < len) {
		const char *eol = memchr(buf + pos, '\n', len - pos);
		size_t n;
		int rc;

		if (eol == NULL)
			return HTTP_HEAD_INCOMPLETE;
		n = (size_t)(eol - (buf + pos));
		/* CRLF or a bare LF (2.2); a CR anywhere else is bare: invalid. */
		if (n > 0 && buf[pos + n - 1] == '\r')
			n--;
		if (memchr(buf + pos, '\r', n) != NULL)
			return HTTP_HEAD_BAD_REQUEST;
		if (n == 0) {
			pos = (size_t)(eol - buf) + 1;
			if (!have_line)
				continue;       /* empty lines before the request-line */
			h->len = pos;
			/* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with keep-alive. */
			h->close = f.close || (http10 && !f.keep_alive);
			return 1;
		}
		rc = have_line ? field_line(buf + pos, n, h, &f)
			       : request_line(buf + pos, n, h, &http10);
		if (rc != 0)
			return rc;
		have_line = true;
		pos = (size_t)(eol - buf) + 1;
	}
	return HTTP_HEAD_INCOMPLETE;
}
