/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The built-in HTTP/1.1 responder: every request gets the configured status
 * and body. Keep-alive by default (HTTP/1.1), "Connection: close" honoured
 * (RFC 9112 9.6), HTTP/1.0 closes unless it asks for keep-alive. It knows
 * the workers only through their rings (app.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "app.h"

/* The longest request head taken; longer ones get 431 and a close. */
#define REQ_MAX 8192

struct http_conn {
	uint32_t id;            /* 0: free */
	uint16_t have;
	char req[REQ_MAX];
};

struct hsod_app_http {
	struct rte_ring *const *ev;
	struct rte_ring *const *cmd;
	unsigned n_workers;
	unsigned per_worker;
	struct rte_mempool *mp;
	char head_fmt[128];
	char *body;
	size_t body_len;
	struct http_conn *conns;        /* n_workers * per_worker */
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

struct hsod_app_http *
hsod_app_http_create(struct rte_ring *const *ev, struct rte_ring *const *cmd,
		     unsigned n_workers, unsigned conns_per_worker, struct rte_mempool *mp,
		     unsigned status, const char *body, size_t body_len)
{
	struct hsod_app_http *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->ev = ev;
	a->cmd = cmd;
	a->n_workers = n_workers;
	a->per_worker = conns_per_worker;
	a->mp = mp;
	snprintf(a->head_fmt, sizeof(a->head_fmt), "HTTP/1.1 %u %s\r\n", status, reason(status));
	a->body = malloc(body_len + 1);
	a->conns = calloc((size_t)n_workers * conns_per_worker, sizeof(*a->conns));
	if (a->body == NULL || a->conns == NULL) {
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
	free(a->body);
	free(a->conns);
	free(a);
}

/* Send @p len bytes to connection @p id of worker @p w, in as many mbufs as needed. */
static int
send_cmd(struct hsod_app_http *a, unsigned w, uint32_t id, uint16_t type,
	 const char *data, size_t len)
{
	do {
		struct rte_mbuf *m = rte_pktmbuf_alloc(a->mp);
		struct hsod_msg *h;
		size_t n;

		if (m == NULL)
			return -ENOMEM;
		n = len < HSOD_MSG_MAX(m) ? len : HSOD_MSG_MAX(m);
		h = (struct hsod_msg *)rte_pktmbuf_append(m, (uint16_t)(sizeof(*h) + n));
		h->conn = id;
		h->type = type;
		h->len = (uint16_t)n;
		memcpy(h + 1, data, n);
		/*
		 * Never wait: with one lcore the worker runs in this thread.
		 * A full command ring drops the message; the caller gives the
		 * connection up (the worker's idle timeout then closes it).
		 */
		if (rte_ring_sp_enqueue(a->cmd[w], m) != 0) {
			rte_pktmbuf_free(m);
			a->st.ring_full++;
			return -ENOBUFS;
		}
		data += n;
		len -= n;
	} while (len > 0);
	return 0;
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

/* Answer every complete request head buffered for @p c. */
static void
serve(struct hsod_app_http *a, unsigned w, struct http_conn *c)
{
	for (;;) {
		char *end = NULL;
		char head[256];
		size_t used, hl;
		int close;

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

				a->st.bad_requests++;
				send_cmd(a, w, c->id, HSOD_CMD_SEND, too_big, sizeof(too_big) - 1);
				send_cmd(a, w, c->id, HSOD_CMD_CLOSE, NULL, 0);
				c->have = 0;
			}
			return;
		}
		used = (size_t)(end - c->req);
		a->st.requests++;
		{
			const char *eol = memchr(c->req, '\r', used);
			size_t line = eol != NULL ? (size_t)(eol - c->req) : used;
			int http10 = memmem(c->req, line, "HTTP/1.0", 8) != NULL;

			/* RFC 9112 9.3: 1.1 persists unless "close"; 1.0 only with keep-alive. */
			close = header_has(c->req, used, "Connection", "close") ||
				(http10 && !header_has(c->req, used, "Connection", "keep-alive"));
		}
		hl = (size_t)snprintf(head, sizeof(head),
				      "%sContent-Type: text/plain\r\nContent-Length: %zu\r\n"
				      "Connection: %s\r\n\r\n",
				      a->head_fmt, a->body_len, close ? "close" : "keep-alive");
		if (send_cmd(a, w, c->id, HSOD_CMD_SEND, head, hl) != 0 ||
		    (a->body_len > 0 && strncmp(c->req, "HEAD ", 5) != 0 &&
		     send_cmd(a, w, c->id, HSOD_CMD_SEND, a->body, a->body_len) != 0)) {
			c->id = 0;      /* given up: see send_cmd() */
			c->have = 0;
			return;
		}
		a->st.responses++;
		memmove(c->req, end, c->have - used);
		c->have = (uint16_t)(c->have - used);
		if (close) {
			a->st.closes++;
			send_cmd(a, w, c->id, HSOD_CMD_CLOSE, NULL, 0);
			c->have = 0;
			return;
		}
	}
}

unsigned
hsod_app_http_poll(struct hsod_app_http *a)
{
	unsigned handled = 0;

	for (unsigned w = 0; w < a->n_workers; w++) {
		struct rte_mbuf *ms[32];
		unsigned n = rte_ring_sc_dequeue_burst(a->ev[w], (void **)ms, 32, NULL);

		for (unsigned i = 0; i < n; i++) {
			const struct hsod_msg *h = rte_pktmbuf_mtod(ms[i], const struct hsod_msg *);
			unsigned slot = h->conn & 0xfffff;
			struct http_conn *c;

			handled++;
			if (slot >= a->per_worker) {
				rte_pktmbuf_free(ms[i]);
				continue;
			}
			c = &a->conns[(size_t)w * a->per_worker + slot];
			switch (h->type) {
			case HSOD_EV_OPEN:
				c->id = h->conn;
				c->have = 0;
				break;
			case HSOD_EV_DATA:
				if (c->id != h->conn)
					break;  /* a connection we never saw open */
				{
					size_t take = h->len;

					if (take > (size_t)REQ_MAX - c->have)
						take = (size_t)REQ_MAX - c->have;
					memcpy(c->req + c->have, h + 1, take);
					c->have = (uint16_t)(c->have + take);
				}
				serve(a, w, c);
				break;
			case HSOD_EV_CLOSED:
				if (c->id == h->conn) {
					c->id = 0;
					c->have = 0;
				}
				break;
			default:
				break;
			}
			rte_pktmbuf_free(ms[i]);
		}
	}
	return handled;
}
