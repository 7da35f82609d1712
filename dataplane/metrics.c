/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus metrics: the exposition rendered from hsod's counter table,
 * one metric family at a time, and the small non-blocking HTTP server that
 * serves it from the control thread. Contract in metrics.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "counters.h"
#include "metrics.h"

/* ---- the exposition ------------------------------------------------- */

struct out {
	char *p;
	size_t len, cap;
	bool over;              /* something did not fit */
};

static void __attribute__((format(printf, 2, 3)))
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->over)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len) {
		o->over = true;
		return;
	}
	o->len += (size_t)n;
}

/* A label value or HELP text with \ " and newlines escaped (format 0.0.4). */
static void
out_escaped(struct out *o, const char *s, bool quote)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\')
			out_printf(o, "\\\\");
		else if (*s == '\n')
			out_printf(o, "\\n");
		else if (*s == '"' && quote)
			out_printf(o, "\\\"");
		else
			out_printf(o, "%c", *s);
	}
}

static char build_version[64] = "unknown", build_dpdk[64] = "unknown",
	    build_openssl[64] = "unknown";

void
hsod_metrics_set_build(const char *version, const char *dpdk, const char *openssl)
{
	snprintf(build_version, sizeof(build_version), "%s", version);
	snprintf(build_dpdk, sizeof(build_dpdk), "%s", dpdk);
	snprintf(build_openssl, sizeof(build_openssl), "%s", openssl);
}

unsigned
hsod_metrics_families(void)
{
	unsigned n = 0;

	for (unsigned k = 0; k < hsod_n_ctrs; k++)
		n += hsod_ctrs[k].metric != NULL;
	return n;
}

static const struct hsod_ctr *
family(unsigned f)
{
	for (unsigned k = 0; k < hsod_n_ctrs; k++)
		if (hsod_ctrs[k].metric != NULL && f-- == 0)
			return &hsod_ctrs[k];
	return NULL;
}

/* One worker's samples of counter @p c (labels worker="@p wl", and more). */
static void
worker_samples(struct out *o, const struct hsod_ctr *c, const char *name, const char *wl,
	       const struct hsod_ctr_set *s)
{
	bool by_port = hsod_ctr_by_port(c);
	unsigned ports = by_port ? s->n_ports : 1;

	for (unsigned p = 0; p < ports; p++) {
		const void *b = hsod_ctr_worker_base(c, s, p);
		char pl[24] = "";

		if (b == NULL)
			continue;
		if (by_port)
			snprintf(pl, sizeof(pl), ",port=\"%u\"", p);
		if (c->flags & HSOD_CTR_F_PORTS) {
			for (unsigned i = 0; i < s->n_ports && i < c->n; i++)
				out_printf(o, "%s{worker=\"%s\",port=\"%u\"} %" PRIu64 "\n", name,
					   wl, i, hsod_ctr_get(c, b, i));
			continue;
		}
		if (c->n == 1) {
			out_printf(o, "%s{worker=\"%s\"%s} %" PRIu64 "\n", name, wl, pl,
				   hsod_ctr_get(c, b, 0));
			continue;
		}
		for (unsigned i = 0; i < c->n; i++) {
			const char *e = c->elem(i);
			uint64_t v = hsod_ctr_get(c, b, i);

			if (e == NULL || (v == 0 && (c->flags & HSOD_CTR_F_SPARSE)))
				continue;
			out_printf(o, "%s{worker=\"%s\"%s,%s=\"", name, wl, pl, c->label);
			out_escaped(o, e, true);
			out_printf(o, "\"} %" PRIu64 "\n", v);
		}
	}
}

static void
histogram_samples(struct out *o, const char *name, const char *wl, const struct hsod_latency *l)
{
	uint64_t cum = 0;

	for (unsigned i = 0; i < HSOD_LAT_BUCKETS; i++) {
		cum += l->bucket[i];
		out_printf(o, "%s_bucket{worker=\"%s\",le=\"%.9g\"} %" PRIu64 "\n", name, wl,
			   (double)hsod_latency_bound_us(i) / 1e6, cum);
	}
	cum += l->bucket[HSOD_LAT_BUCKETS];
	out_printf(o, "%s_bucket{worker=\"%s\",le=\"+Inf\"} %" PRIu64 "\n", name, wl, cum);
	out_printf(o, "%s_sum{worker=\"%s\"} %.6f\n", name, wl, (double)l->sum_us / 1e6);
	out_printf(o, "%s_count{worker=\"%s\"} %" PRIu64 "\n", name, wl, l->count);
}

int
hsod_metrics_render(const struct hsod_ctr_view *v, unsigned f, char *buf, size_t cap)
{
	const struct hsod_ctr *c = family(f);
	struct out o = { .p = buf, .len = 0, .cap = cap };
	static const char *const types[] = {
		[HSOD_CTR_COUNTER] = "counter", [HSOD_CTR_GAUGE] = "gauge",
		[HSOD_CTR_HISTOGRAM] = "histogram", [HSOD_CTR_INFO] = "gauge",
	};
	char name[128], wl[16];

	if (c == NULL)
		return 0;
	/* A daemon-wide struct that is not there (another application): no family. */
	if (c->src > HSOD_SRC_DERIVED && c->kind != HSOD_CTR_INFO &&
	    hsod_ctr_global_base(c, v) == NULL)
		return 0;
	hsod_ctr_metric_name(c, name, sizeof(name));
	out_printf(&o, "# HELP %s ", name);
	out_escaped(&o, c->help, false);
	out_printf(&o, "\n# TYPE %s %s\n", name, types[c->kind]);
	if (c->kind == HSOD_CTR_INFO) {
		out_printf(&o, "%s{version=\"", name);
		out_escaped(&o, build_version, true);
		out_printf(&o, "\",dpdk=\"");
		out_escaped(&o, build_dpdk, true);
		out_printf(&o, "\",openssl=\"");
		out_escaped(&o, build_openssl, true);
		out_printf(&o, "\"} 1\n");
	} else if (c->src <= HSOD_SRC_DERIVED) {
		for (unsigned w = 0; w < v->n_workers; w++) {
			snprintf(wl, sizeof(wl), "%u", w);
			if (c->kind == HSOD_CTR_HISTOGRAM)
				histogram_samples(&o, name, wl, v->workers[w].latency);
			else
				worker_samples(&o, c, name, wl, &v->workers[w]);
		}
		if (c->src == HSOD_SRC_LCORE && v->main_lcore != NULL) {
			out_printf(&o, "%s{worker=\"main\"} %" PRIu64 "\n", name,
				   hsod_ctr_get(c, v->main_lcore, 0));
		}
	} else if (c->n == 1) {
		out_printf(&o, "%s %" PRIu64 "\n", name, hsod_ctr_get(c, hsod_ctr_global_base(c, v), 0));
	} else {
		/* A daemon array: a sample per exported element, told apart by its label. */
		for (unsigned i = 0; i < c->n; i++) {
			const char *e = c->elem(i);

			if (e == NULL)
				continue;
			out_printf(&o, "%s{%s=\"", name, c->label);
			out_escaped(&o, e, true);
			out_printf(&o, "\"} %" PRIu64 "\n",
				   hsod_ctr_get(c, hsod_ctr_global_base(c, v), i));
		}
	}
	if (o.over)
		return -ENOSPC;
	/* A family without samples now (no alert of that side yet) still says it exists. */
	return (int)o.len;
}

/* ---- the server ----------------------------------------------------- */

enum cstate { C_FREE = 0, C_READ, C_RENDER, C_FLUSH };

struct client {
	int fd;
	enum cstate state;
	uint64_t last_us;           /* last progress: accepted, read or sent */
	unsigned family;            /* next family to render */
	size_t req_len;
	char req[2048];
	size_t out_off, out_len;    /* bytes sent, bytes in out */
	char *out;                  /* HSOD_METRICS_BUF */
};

struct hsod_metrics {
	int fd;
	const struct hsod_ctr_view *view;
	void (*refresh)(void *ctx);
	void *ctx;
	unsigned n_families;
	struct client c[HSOD_METRICS_CLIENTS];
	struct hsod_metrics_stats st;
};

int
hsod_metrics_addr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *colon = strrchr(s, ':'), *host = s;
	char h[INET6_ADDRSTRLEN + 2];
	size_t hl;
	unsigned long port = 0;

	memset(ss, 0, sizeof(*ss));
	if (colon == NULL || colon[1] == '\0')
		return -EINVAL;
	for (const char *p = colon + 1; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return -EINVAL;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	if (port == 0 || port > 65535)
		return -EINVAL;
	hl = (size_t)(colon - host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (hl - 2 >= sizeof(h))
			return -EINVAL;
		memcpy(h, host + 1, hl - 2);
		h[hl - 2] = '\0';
		if (inet_pton(AF_INET6, h, &a->sin6_addr) != 1)
			return -EINVAL;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a);
		return 0;
	}
	{
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		if (hl >= sizeof(h))
			return -EINVAL;
		memcpy(h, host, hl);
		h[hl] = '\0';
		if (inet_pton(AF_INET, h, &a->sin_addr) != 1)
			return -EINVAL;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*len = sizeof(*a);
	}
	return 0;
}

struct hsod_metrics *
hsod_metrics_create(const char *addr, const struct hsod_ctr_view *view,
		    void (*refresh)(void *ctx), void *ctx, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	struct hsod_metrics *m;
	int one = 1;

	if (hsod_metrics_addr_parse(addr, &ss, &sl) != 0) {
		snprintf(err, errlen, "'%s' is not A.B.C.D:PORT or [IPv6]:PORT", addr);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return NULL;
	}
	m->fd = -1;
	m->view = view;
	m->refresh = refresh;
	m->ctx = ctx;
	m->n_families = hsod_metrics_families();
	for (unsigned i = 0; i < HSOD_METRICS_CLIENTS; i++) {
		m->c[i].fd = -1;
		m->c[i].out = malloc(HSOD_METRICS_BUF);
		if (m->c[i].out == NULL) {
			snprintf(err, errlen, "%s", strerror(ENOMEM));
			hsod_metrics_free(m);
			return NULL;
		}
	}
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0 ||
	    setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(m->fd, (struct sockaddr *)&ss, sl) != 0 ||
	    listen(m->fd, 16) != 0) {
		snprintf(err, errlen, "%s: %s", addr, strerror(errno));
		hsod_metrics_free(m);
		return NULL;
	}
	return m;
}

static void
client_close(struct hsod_metrics *m, struct client *c, bool error)
{
	if (error)
		m->st.errors++;
	close(c->fd);
	c->fd = -1;
	c->state = C_FREE;
}

/* Queue a whole short response (an error) and finish. */
static void
client_answer(struct hsod_metrics *m, struct client *c, const char *status)
{
	int n = snprintf(c->out, HSOD_METRICS_BUF, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n", status,
			 strlen(status) + 1, status);

	m->st.errors++;
	c->out_off = 0;
	c->out_len = (size_t)n;
	c->state = C_FLUSH;
}

/* A whole request header is in: answer it. */
static void
client_request(struct hsod_metrics *m, struct client *c)
{
	static const char head[] = "HTTP/1.1 200 OK\r\n"
				   "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
				   "Connection: close\r\n\r\n";
	const char *target;
	size_t tl;

	if (strncmp(c->req, "GET ", 4) != 0) {
		client_answer(m, c, "405 Method Not Allowed");
		return;
	}
	target = c->req + 4;
	tl = strcspn(target, " ?\r\n");
	if (tl != 8 || memcmp(target, "/metrics", 8) != 0) {
		client_answer(m, c, "404 Not Found");
		return;
	}
	if (m->refresh != NULL)
		m->refresh(m->ctx);
	memcpy(c->out, head, sizeof(head) - 1);
	c->out_off = 0;
	c->out_len = sizeof(head) - 1;
	c->family = 0;
	c->state = C_RENDER;
}

static void
client_read(struct hsod_metrics *m, struct client *c, uint64_t now)
{
	ssize_t n = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len,
			 MSG_DONTWAIT);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
		client_close(m, c, true);
		return;
	}
	if (n < 0)
		return;
	c->last_us = now;
	c->req_len += (size_t)n;
	c->req[c->req_len] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL)
		client_request(m, c);
	else if (c->req_len == sizeof(c->req) - 1)
		client_answer(m, c, "431 Request Header Fields Too Large");
}

/* Render families until a chunk waits or the exposition is done. */
static void
client_render(struct hsod_metrics *m, struct client *c)
{
	while (c->state == C_RENDER && c->out_len - c->out_off < HSOD_METRICS_CHUNK) {
		int r;

		if (c->family == m->n_families) {
			m->st.scrapes++;
			c->state = C_FLUSH;
			break;
		}
		if (c->out_off > 0) {
			memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		r = hsod_metrics_render(m->view, c->family, c->out + c->out_len,
					HSOD_METRICS_BUF - c->out_len);
		if (r == -ENOSPC) {
			if (c->out_len > 0)
				break;          /* room comes as the client reads */
			m->st.truncated++;      /* never fits: left out, counted */
			c->family++;
			continue;
		}
		c->out_len += (size_t)r;
		c->family++;
	}
}

static void
client_send(struct hsod_metrics *m, struct client *c, uint64_t now)
{
	ssize_t n;

	if (c->out_off == c->out_len) {
		if (c->state == C_FLUSH)
			client_close(m, c, false);
		return;
	}
	n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
		 MSG_DONTWAIT | MSG_NOSIGNAL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			client_close(m, c, true);
		return;
	}
	c->last_us = now;
	c->out_off += (size_t)n;
	if (c->state == C_FLUSH && c->out_off == c->out_len)
		client_close(m, c, false);
}

void
hsod_metrics_poll(struct hsod_metrics *m, uint64_t now)
{
	if (m == NULL)
		return;
	/* New scrapers while there is a free slot; the rest wait in the backlog. */
	for (unsigned i = 0; i < HSOD_METRICS_CLIENTS; i++) {
		struct client *c = &m->c[i];

		if (c->state != C_FREE)
			continue;
		c->fd = accept4(m->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c->fd < 0)
			break;
		c->state = C_READ;
		c->req_len = 0;
		c->last_us = now;
	}
	for (unsigned i = 0; i < HSOD_METRICS_CLIENTS; i++) {
		struct client *c = &m->c[i];

		if (c->state == C_READ)
			client_read(m, c, now);
		if (c->state == C_RENDER)
			client_render(m, c);
		if (c->state == C_RENDER || c->state == C_FLUSH)
			client_send(m, c, now);
		if (c->state != C_FREE && now - c->last_us > HSOD_METRICS_TIMEOUT_US)
			client_close(m, c, true);
	}
}

const struct hsod_metrics_stats *
hsod_metrics_stats(const struct hsod_metrics *m)
{
	return &m->st;
}

void
hsod_metrics_free(struct hsod_metrics *m)
{
	if (m == NULL)
		return;
	for (unsigned i = 0; i < HSOD_METRICS_CLIENTS; i++) {
		if (m->c[i].fd >= 0)
			close(m->c[i].fd);
		free(m->c[i].out);
	}
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}
