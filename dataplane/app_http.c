/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in HTTP/1.1 responder: every request gets the configured status
 * and body. Keep-alive by default (HTTP/1.1), "Connection: close" honoured
 * (RFC 9112 9.6), HTTP/1.0 closes unless it asks for keep-alive. Request
 * heads are read by http_parse.c (bare LF line ends accepted, RFC 9112
 * 2.2); a malformed one gets 400 and a close, a transfer coding 501 and a
 * close, a Content-Length body is skipped: a complete request is always
 * answered. It knows the workers only through the application API
 * (hso_app.h), as any other application would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <strings.h>

#include "app.h"
#include "http_parse.h"

/* The longest request head taken; longer ones get 431 and a close. */
#define REQ_MAX 8192
/* Largest response: head + body (config caps the body at 1 KiB). */
#define RESP_MAX 2048

/*
 * Request buffers: held by a connection only while part of a request (or
 * pipelined ones) waits in it, so an idle connection holds none; from a
 * pool touched as used. When none is free the request is refused (503).
 */
#define REQ_BUFS 4096

struct http_conn {
	uint64_t conn;          /* 0: free */
	uint64_t body_left;     /* request body bytes still to skip */
	uint32_t buf;           /* 1 + request buffer index, 0: none */
	uint16_t have;          /* bytes in the buffer */
	uint8_t stuck;          /* complete requests wait for send-window room */
	uint8_t closing;        /* close sent */
};

struct hsod_app_http {
	struct app_loop loop;
	struct hso_app *app;
	char head_fmt[128];
	char *body;
	size_t body_len;
	struct http_conn *conns;        /* by hso_app_conn_index(); reserved, touched as used */
	unsigned n_conns;
	unsigned *stuck;                /* connection indexes to serve again (reserved too) */
	unsigned n_stuck;
	char *bufs;                     /* REQ_BUFS x REQ_MAX, touched as used */
	uint32_t free_bufs[REQ_BUFS];   /* 1 + index */
	unsigned n_free_bufs;
	struct hsod_app_http_stats st;
};

/* Zeroed address space, backed as it is first written. */
static void *
reserve(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static char *
req_of(struct hsod_app_http *a, const struct http_conn *c)
{
	return a->bufs + (size_t)(c->buf - 1) * REQ_MAX;
}

/* A request buffer for @p c; false when the pool is empty. */
static bool
buf_take(struct hsod_app_http *a, struct http_conn *c)
{
	if (c->buf != 0)
		return true;
	if (a->n_free_bufs == 0) {
		a->st.req_bufs_exhausted++;
		return false;
	}
	c->buf = a->free_bufs[--a->n_free_bufs];
	return true;
}

/* Nothing buffered any more: the buffer goes back to the pool. */
static void
buf_give(struct hsod_app_http *a, struct http_conn *c)
{
	if (c->buf == 0 || c->have != 0)
		return;
	a->free_bufs[a->n_free_bufs++] = c->buf;
	c->buf = 0;
}

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
	a->conns = reserve((size_t)a->n_conns * sizeof(*a->conns));
	a->stuck = reserve((size_t)a->n_conns * sizeof(*a->stuck));
	a->bufs = reserve((size_t)REQ_BUFS * REQ_MAX);
	for (unsigned i = 0; i < REQ_BUFS; i++)
		a->free_bufs[a->n_free_bufs++] = REQ_BUFS - i;
	if (a->body == NULL || a->conns == NULL || a->stuck == NULL || a->bufs == NULL ||
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
	if (a->conns != NULL)
		munmap(a->conns, (size_t)a->n_conns * sizeof(*a->conns));
	if (a->stuck != NULL)
		munmap(a->stuck, (size_t)a->n_conns * sizeof(*a->stuck));
	if (a->bufs != NULL)
		munmap(a->bufs, (size_t)REQ_BUFS * REQ_MAX);
	free(a);
}

/* A response without a body (the caller closes): 0, or -EAGAIN. */
static int
refuse(struct hsod_app_http *a, struct http_conn *c, unsigned status)
{
	char resp[160];
	int n = snprintf(resp, sizeof(resp), "HTTP/1.1 %u %s\r\nContent-Length: 0\r\n"
			 "Connection: close\r\n\r\n", status, reason(status));

	if (hso_app_send(a->app, c->conn, resp, (size_t)n) == -EAGAIN)
		return -EAGAIN;
	a->st.bad_requests++;
	c->have = 0;
	buf_give(a, c);
	return 0;
}

/* Drop request body bytes (Content-Length) at the front of the buffer. */
static void
skip_body(struct hsod_app_http *a, struct http_conn *c)
{
	size_t n = c->body_left < c->have ? (size_t)c->body_left : c->have;
	char *req;

	if (n == 0)
		return;
	req = req_of(a, c);
	memmove(req, req + n, c->have - n);
	c->have = (uint16_t)(c->have - n);
	c->body_left -= n;
}

/*
 * Answer every complete request head buffered for @p c.
 * @return 0; -EAGAIN when the send window is full (the rest waits).
 */
static int
serve(struct hsod_app_http *a, struct http_conn *c)
{
	while (!c->closing) {
		struct http_head h;
		char resp[RESP_MAX];
		size_t rl;
		int rc;

		if (c->have == 0) {
			buf_give(a, c);
			return 0;
		}
		skip_body(a, c);
		if (c->body_left > 0 || c->have == 0) {
			buf_give(a, c);
			return 0;
		}
		rc = http_head_parse(req_of(a, c), c->have, &h);
		if (rc == HTTP_HEAD_INCOMPLETE && c->have < REQ_MAX)
			return 0;
		if (rc != 1) {
			/* RFC 6585 5: 431 for a head that does not fit; else 400 / 501. */
			if (refuse(a, c, rc == HTTP_HEAD_INCOMPLETE ? 431 : (unsigned)-rc) != 0)
				return -EAGAIN;
			goto close;     /* nothing more is read */
		}
		rl = (size_t)snprintf(resp, sizeof(resp),
				      "%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
				      "Connection: %s\r\n\r\n",
				      a->head_fmt, a->body_len, h.close ? "close" : "keep-alive");
		if (!h.head) {
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
		memmove(req_of(a, c), req_of(a, c) + h.len, c->have - h.len);
		c->have = (uint16_t)(c->have - h.len);
		c->body_left = h.body_len;
		if (h.close || rc != 0)
			goto close;
	}
	return 0;
close:
	if (hso_app_close(a->app, c->conn) == -EAGAIN)
		return -EAGAIN;
	a->st.closes++;
	c->closing = 1;
	c->have = 0;
	buf_give(a, c);
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
		c->have = 0;
		buf_give(a, c);         /* a previous connection's, if it left one */
		c->conn = ev->conn;
		c->body_left = 0;
		c->closing = 0;
		return 0;
	case HSO_EV_DATA:
		if (c->conn != ev->conn || c->closing)
			return 0;       /* not ours, or after our close: ignored */
		if (c->stuck || serve(a, c) == -EAGAIN)
			return -EAGAIN; /* earlier requests first */
		if (!buf_take(a, c)) {
			/* No buffer free: refused, not waited for (fail closed). */
			if (refuse(a, c, 503) == -EAGAIN)
				return -EAGAIN;
			if (hso_app_close(a->app, c->conn) == -EAGAIN)
				return -EAGAIN;
			a->st.closes++;
			c->closing = 1;
			return 0;
		}
		{
			size_t take = ev->len;

			if (take > (size_t)REQ_MAX - c->have)
				take = (size_t)REQ_MAX - c->have;
			memcpy(req_of(a, c) + c->have, ev->data, take);
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
			buf_give(a, c);
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
