/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in HTTP/1.1 responder: every request gets the configured status
 * and body. Keep-alive by default (HTTP/1.1), "Connection: close" honoured
 * (RFC 9112 9.6), HTTP/1.0 closes unless it asks for keep-alive. It knows
 * the workers only through the application API (hso_app.h), as any other
 * application would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"

/* The longest request head taken; longer ones get 431 and a close. */
#define REQ_MAX 8192
/* Largest response: head + body (config caps the body at 1 KiB). */
#define RESP_MAX 2048

struct http_conn {
	uint64_t conn;          /* 0: free */
	uint16_t have;
	uint8_t stuck;          /* complete requests wait for send-window room */
	uint8_t closing;        /* close sent */
	char req[REQ_MAX];
};

struct hsod_app_http {
	struct app_loop loop;
	struct hso_app *app;
	char head_fmt[128];
	char *body;
	size_t body_len;
	struct http_conn *conns;        /* by hso_app_conn_index() */
	unsigned n_conns;
	unsigned *stuck;                /* connection indexes to serve again */
	unsigned n_stuck;
	struct hsod_app_http_stats st;
};

static const char *
reason(unsigned status)
{
	switch (status) {
	case 200: return "OK";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static int on_event(void *ctx, struct hso_event *ev);

struct hsod_app_http *
hsod_app_http_create(struct hso_app *app, unsigned status, const char *body, size_t body_len)
{
	struct hsod_app_http *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	if (body_len > RESP_MAX - 256) {
		free(a);
		errno = EINVAL;
		return NULL;
	}
	a->app = app;
	a->n_conns = hso_app_workers(app) * hso_app_conn_slots(app);
	snprintf(a->head_fmt, sizeof(a->head_fmt), "HTTP/1.1 %u %s\r\n", status, reason(status));
	a->body = malloc(body_len + 1);
	a->conns = calloc(a->n_conns, sizeof(*a->conns));
	a->stuck = calloc(a->n_conns, sizeof(*a->stuck));
	if (a->body == NULL || a->conns == NULL || a->stuck == NULL ||
	    app_loop_init(&a->loop, app, on_event, a) != 0) {
		hsod_app_http_free(a);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(a->body, body, body_len);
	a->body_len = body_len;
	return a;
}

const struct hsod_app_http_stats *
hsod_app_http_stats(const struct hsod_app_http *a)
{
	return &a->st;
}

void
hsod_app_http_free(struct hsod_app_http *a)
{
	if (a == NULL)
		return;
	if (a->loop.held != NULL)
		app_loop_fini(&a->loop);
	free(a->body);
	free(a->conns);
	free(a->stuck);
	free(a);
}

/* Is header @p name present with a value containing @p token (case-insensitive)? */
static int
header_has(const char *head, size_t len, const char *name, const char *token)
{
	size_t nl = strlen(name), tl = strlen(token);

	for (const char *p = head; p < head + len;) {
		const char *eol = memchr(p, '\n', (size_t)(head + len - p));
		size_t ll = eol ? (size_t)(eol - p) : (size_t)(head + len - p);

		if (ll > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			for (const char *v = p + nl + 1; v + tl <= p + ll; v++)
				if (strncasecmp(v, token, tl) == 0)
					return 1;
		}
		p += ll + 1;
	}
	return 0;
}

/*
 * Answer every complete request head buffered for @p c.
 * @return 0; -EAGAIN when the send window is full (the rest waits).
 */
static int
serve(struct hsod_app_http *a, struct http_conn *c)
{
	while (!c->closing) {
		char *end = NULL;
		char resp[RESP_MAX];
		size_t used, rl;
		int close, rc;

		for (size_t i = 3; i < c->have; i++)
			if (memcmp(c->req + i - 3, "\r\n\r\n", 4) == 0) {
				end = c->req + i + 1;
				break;
			}
		if (end == NULL) {
			if (c->have == REQ_MAX) {
				/* RFC 6585 5: request header fields too large. */
				static const char too_big[] =
					"HTTP/1.1 431 Request Header Fields Too Large\r\n"
					"Content-Length: 0\r\nConnection: close\r\n\r\n";

				if (hso_app_send(a->app, c->conn, too_big, sizeof(too_big) - 1) == -EAGAIN)
					return -EAGAIN;
				a->st.bad_requests++;
				c->have = 0;
				goto close;
			}
			return 0;
		}
		used = (size_t)(end - c->req);
		{
			const char *eol = memchr(c->req, '\r', used);
			size_t line = eol != NULL ? (size_t)(eol - c->req) : used;
			int http10 = memmem(c->req, line, "HTTP/1.0", 8) != NULL;

			/* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with keep-alive. */
			close = header_has(c->req, used, "Connection", "close") ||
				(http10 && !header_has(c->req, used, "Connection", "keep-alive"));
		}
		rl = (size_t)snprintf(resp, sizeof(resp),
				      "%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
				      "Connection: %s\r\n\r\n",
				      a->head_fmt, a->body_len, close ? "close" : "keep-alive");
		if (strncmp(c->req, "HEAD ", 5) != 0) {
			memcpy(resp + rl, a->body, a->body_len);
			rl += a->body_len;
		}
		/* Head and body in one send: all of it, or try again later. */
		rc = hso_app_send(a->app, c->conn, resp, rl);
		if (rc == -EAGAIN) {
			a->st.send_waits++;
			return -EAGAIN;
		}
		a->st.requests++;
		if (rc == 0)
			a->st.responses++;
		memmove(c->req, end, c->have - used);
		c->have = (uint16_t)(c->have - used);
		if (close || rc != 0)
			goto close;
	}
	return 0;
close:
	if (hso_app_close(a->app, c->conn) == -EAGAIN)
		return -EAGAIN;
	a->st.closes++;
	c->closing = 1;
	c->have = 0;
	return 0;
}

static int
on_event(void *ctx, struct hso_event *ev)
{
	struct hsod_app_http *a = ctx;
	struct http_conn *c = &a->conns[hso_app_conn_index(a->app, ev->conn)];

	switch (ev->type) {
	case HSO_EV_OPEN:
		/* c->stuck may still be set by the slot's previous connection:
		 * its list entry clears it next round (one entry per index). */
		c->conn = ev->conn;
		c->have = 0;
		c->closing = 0;
		return 0;
	case HSO_EV_DATA:
		if (c->conn != ev->conn || c->closing)
			return 0;       /* not ours, or after our close: ignored */
		if (c->stuck || serve(a, c) == -EAGAIN)
			return -EAGAIN; /* earlier requests first */
		{
			size_t take = ev->len;

			if (take > (size_t)REQ_MAX - c->have)
				take = (size_t)REQ_MAX - c->have;
			memcpy(c->req + c->have, ev->data, take);
			c->have = (uint16_t)(c->have + take);
		}
		if (serve(a, c) == -EAGAIN && !c->stuck) {
			/* Taken, but not all answered: served again next round. */
			c->stuck = 1;
			a->stuck[a->n_stuck++] = hso_app_conn_index(a->app, ev->conn);
		}
		return 0;
	case HSO_EV_PEER_CLOSED:
		/* The client is done sending: answer what is complete, then close. */
		if (c->conn != ev->conn || c->closing)
			return 0;
		if (c->stuck || serve(a, c) == -EAGAIN)
			return -EAGAIN;
		if (!c->closing) {
			if (hso_app_close(a->app, c->conn) == -EAGAIN)
				return -EAGAIN;
			c->closing = 1;
		}
		return 0;
	case HSO_EV_CLOSED:
		if (c->conn == ev->conn) {
			c->conn = 0;
			c->have = 0;
			c->closing = 0;
			/* A stuck entry for it is dropped by the next round. */
		}
		return 0;
	default:
		return 0;
	}
}

int
hsod_app_http_poll(struct hsod_app_http *a)
{
	unsigned keep = 0;

	for (unsigned i = 0; i < a->n_stuck; i++) {
		struct http_conn *c = &a->conns[a->stuck[i]];

		if (c->conn == 0 || !c->stuck)
			continue;
		if (serve(a, c) == -EAGAIN) {
			a->stuck[keep++] = a->stuck[i];
			continue;
		}
		c->stuck = 0;
	}
	a->n_stuck = keep;
	return app_loop_poll(&a->loop);
}
