/* SPDX-License-Identifier: BSD-3-Clause */
/* One HTTP/1.1 response, read incrementally; contract in gen_http.h. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "gen_http.h"

void
gen_http_init(struct gen_http *h)
{
	memset(h, 0, sizeof(*h));
}

static void
bad(struct gen_http *h)
{
	h->state = GEN_HTTP_BAD;
}

/* "HTTP/1.x SSS reason" (RFC 9112 4). */
static void
status_line(struct gen_http *h, const char *s, size_t n)
{
	if (n < 12 || memcmp(s, "HTTP/1.", 7) != 0 || !isdigit((unsigned char)s[7]) ||
	    s[8] != ' ' || !isdigit((unsigned char)s[9]) || !isdigit((unsigned char)s[10]) ||
	    !isdigit((unsigned char)s[11]) || (n > 12 && s[12] != ' ')) {
		bad(h);
		return;
	}
	h->status = (uint16_t)((s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0'));
	h->state = GEN_HTTP_HEADERS;
}

static bool
name_is(const char *s, size_t n, const char *name, const char **val)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(s, name, k) != 0 || s[k] != ':')
		return false;
	*val = s + k + 1;
	return true;
}

static void
header_line(struct gen_http *h, const char *s, size_t n)
{
	const char *v;

	if (n == 0) {
		/* RFC 9112 6.3: 1xx, 204 and 304 have no body; chunked wins
		 * over a length; without either the body runs to the close. */
		if (h->status < 200 || h->status == 204 || h->status == 304)
			h->state = GEN_HTTP_DONE;
		else if (h->chunked)
			h->state = GEN_HTTP_CHUNK_SIZE;
		else if (h->has_length)
			h->state = h->left > 0 ? GEN_HTTP_BODY : GEN_HTTP_DONE;
		else
			h->state = GEN_HTTP_BODY_EOF;
		if (h->status >= 100 && h->status < 200 && h->status != 101) {
			/* An interim response: the final one follows. */
			gen_http_init(h);
		}
		return;
	}
	if (name_is(s, n, "content-length", &v)) {
		uint64_t len = 0;
		const char *e = s + n;
		bool digit = false;

		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		for (; v < e && isdigit((unsigned char)*v); v++, digit = true) {
			if (len > (UINT64_MAX - 9) / 10) {
				bad(h);
				return;
			}
			len = len * 10 + (uint64_t)(*v - '0');
		}
		while (v < e && (*v == ' ' || *v == '\t'))
			v++;
		/* Two different lengths are an error (6.3 point 5). */
		if (!digit || v != e || (h->has_length && h->left != len)) {
			bad(h);
			return;
		}
		h->has_length = true;
		h->left = len;
	} else if (name_is(s, n, "transfer-encoding", &v)) {
		const char *e = s + n;

		while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		/* chunked must be the final coding (6.1). */
		h->chunked = e - v >= 7 && strncasecmp(e - 7, "chunked", 7) == 0;
	}
}

static void
chunk_size_line(struct gen_http *h, const char *s, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;

	for (; i < n && isxdigit((unsigned char)s[i]); i++) {
		if (v >> 60) {
			bad(h);
			return;
		}
		v = v * 16 + (uint64_t)(isdigit((unsigned char)s[i]) ? s[i] - '0' :
					(tolower((unsigned char)s[i]) - 'a' + 10));
	}
	/* chunk-ext (;name=value) is ignored (7.1.1). */
	if (i == 0 || (i < n && s[i] != ';' && s[i] != ' ' && s[i] != '\t')) {
		bad(h);
		return;
	}
	h->left = v;
	h->state = v == 0 ? GEN_HTTP_TRAILERS : GEN_HTTP_CHUNK_DATA;
}

size_t
gen_http_feed(struct gen_http *h, const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && h->state != GEN_HTTP_DONE && h->state != GEN_HTTP_BAD) {
		switch (h->state) {
		case GEN_HTTP_BODY:
		case GEN_HTTP_CHUNK_DATA: {
			size_t k = n - i < h->left ? n - i : (size_t)h->left;

			i += k;
			h->left -= k;
			h->body += k;
			if (h->left == 0)
				h->state = h->state == GEN_HTTP_BODY ? GEN_HTTP_DONE :
					   GEN_HTTP_CHUNK_CRLF;
			continue;
		}
		case GEN_HTTP_BODY_EOF:
			h->body += n - i;
			i = n;
			continue;
		default:
			break;
		}
		/* A line: CRLF ends it; a bare LF is taken too (RFC 9112 2.2). */
		if (p[i] != '\n') {
			if (h->line_len == sizeof(h->line)) {
				bad(h);
				break;
			}
			h->line[h->line_len++] = (char)p[i++];
			continue;
		}
		i++;
		if (h->line_len > 0 && h->line[h->line_len - 1] == '\r')
			h->line_len--;
		switch (h->state) {
		case GEN_HTTP_STATUS:
			status_line(h, h->line, h->line_len);
			break;
		case GEN_HTTP_HEADERS:
			header_line(h, h->line, h->line_len);
			break;
		case GEN_HTTP_CHUNK_SIZE:
			chunk_size_line(h, h->line, h->line_len);
			break;
		case GEN_HTTP_CHUNK_CRLF:
			if (h->line_len != 0)
				bad(h);
			else
				h->state = GEN_HTTP_CHUNK_SIZE;
			break;
		case GEN_HTTP_TRAILERS:
			if (h->line_len == 0)
				h->state = GEN_HTTP_DONE;
			break;
		default:
			break;
		}
		h->line_len = 0;
	}
	return i;
}

void
gen_http_eof(struct gen_http *h)
{
	if (h->state == GEN_HTTP_BODY_EOF)
		h->state = GEN_HTTP_DONE;
	else if (h->state != GEN_HTTP_DONE)
		h->state = GEN_HTTP_BAD;
}
