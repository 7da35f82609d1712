/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy's active health checks, one at a time per backend, every
 * check_interval ms, on the proxy's epoll:
 *  - tcp: a non-blocking connect; connected is healthy;
 *  - http: the same connect, then "GET PATH HTTP/1.0" (health.h), and
 *    healthy when the final status is the expected one. A refusal, a reset,
 *    a close before the status line, a malformed answer, another status,
 *    or no verdict within the check's timeout (a slow backend) fail it.
 * The verdict goes to pool_check_result(): fall failures in a row take a
 * backend out, rise successes put it back. A check ends with a reset
 * (SO_LINGER 0, as HAProxy's): no TIME_WAIT piles up on the backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy_priv.h"

int
checks_setup(void)
{
	const struct proxy_config *cfg = &P.cfg;

	for (unsigned i = 0; i < cfg->n_backends; i++) {
		const struct proxy_backend_conf *b = &cfg->backends[i];
		struct check *k = &P.chk[i];
		int n;

		memset(k, 0, sizeof(*k));
		k->fd = -1;
		k->type = (uint8_t)b->check_type;
		k->timeout_ms = b->check_timeout_ms;
		k->want_status = b->check_status;
		if (k->type == HEALTH_HTTP) {
			n = health_http_request(k->req, sizeof(k->req), b->check_path, b->addr_str);
			if (n < 0) {
				fprintf(stderr, "hso-proxy: backend %s: cannot build its HTTP check "
					"for '%s'\n", b->name, b->check_path);
				return -EINVAL;
			}
			k->req_len = (uint16_t)n;
		}
		snprintf(k->last, sizeof(k->last), "none yet");
		/* Spread the first checks over one interval. */
		k->next = P.now + (uint64_t)cfg->check_interval_ms * i / cfg->n_backends;
	}
	return 0;
}

void
checks_close(void)
{
	for (unsigned i = 0; i < P.pool.n; i++)
		if (P.chk[i].fd >= 0) {
			close(P.chk[i].fd);
			P.chk[i].fd = -1;
		}
}

static void
check_finish(unsigned i, bool ok, const char *why)
{
	struct check *k = &P.chk[i];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char text[96];

	if (k->fd >= 0) {
		/* close() takes it out of epoll too. */
		setsockopt(k->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(k->fd);
		k->fd = -1;
	}
	k->gen++;               /* stale epoll events of this socket are ignored */
	if (ok)
		P.st.checks_ok++;
	else
		P.st.checks_failed++;
	snprintf(k->last, sizeof(k->last), "%s", ok ? "ok" : why);
	snprintf(text, sizeof(text), "%s check %s%s%s", health_type_name(k->type),
		 ok ? "passed" : "failed: ", ok ? "" : why, "");
	backend_changed(i, pool_check_result(&P.pool, i, ok), text);
}

static void
check_want(unsigned i, uint32_t events)
{
	struct check *k = &P.chk[i];
	struct epoll_event e = {
		.events = events,
		.data.u64 = CHECK_TAG | (uint64_t)(k->gen & GEN_MASK) << 32 | i,
	};

	if (epoll_ctl(P.ep, EPOLL_CTL_MOD, k->fd, &e) != 0) {
		P.st.local_errors++;
		check_finish(i, false, "local error (epoll)");
	}
}

/* HTTP: the status line once it is complete. */
static void
check_read(unsigned i)
{
	struct check *k = &P.chk[i];
	char why[64];

	for (;;) {
		ssize_t n = recv(k->fd, k->resp + k->resp_len, sizeof(k->resp) - k->resp_len, 0);
		unsigned status = 0;
		int r;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;         /* more later, or the timeout */
		if (n < 0) {
			check_finish(i, false, errno == ECONNRESET ? "reset" : "read error");
			return;
		}
		if (n == 0) {
			check_finish(i, false, k->resp_len == 0 ? "closed without a response" :
				     "closed within the status line");
			return;
		}
		k->resp_len = (uint16_t)(k->resp_len + n);
		r = health_http_status(k->resp, k->resp_len, &status);
		if (r < 0) {
			check_finish(i, false, "malformed response");
			return;
		}
		if (r == 1) {
			snprintf(why, sizeof(why), "status %u, want %u", status, k->want_status);
			check_finish(i, status == k->want_status, why);
			return;
		}
		if (k->resp_len == sizeof(k->resp)) {
			check_finish(i, false, "no final status in the first 1024 bytes");
			return;
		}
	}
}

/* HTTP: the request, then wait for the answer. */
static void
check_send(unsigned i)
{
	struct check *k = &P.chk[i];

	while (k->req_off < k->req_len) {
		ssize_t n = send(k->fd, k->req + k->req_off, k->req_len - k->req_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (k->state != CK_SENDING) {
				k->state = CK_SENDING;
				check_want(i, EPOLLOUT);
			}
			return;
		}
		if (n < 0) {
			check_finish(i, false, errno == ECONNRESET || errno == EPIPE ? "reset" :
				     "write error");
			return;
		}
		k->req_off = (uint16_t)(k->req_off + n);
	}
	k->state = CK_READING;
	check_want(i, EPOLLIN);
}

/* Connected: a TCP check is done, an HTTP one asks. */
static void
check_connected(unsigned i)
{
	struct check *k = &P.chk[i];

	if (k->type != HEALTH_HTTP) {
		check_finish(i, true, NULL);
		return;
	}
	k->state = CK_SENDING;
	check_send(i);
}

static void
check_start(unsigned i)
{
	struct check *k = &P.chk[i];
	const struct pool_backend *b = &P.pool.b[i];
	struct epoll_event e;
	int fd;

	k->next = P.now + P.cfg.check_interval_ms;
	fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		P.st.local_errors++;
		return;                 /* not the backend's fault: no verdict */
	}
	k->fd = fd;
	k->started = P.now;
	k->state = CK_CONNECTING;
	k->req_off = k->resp_len = 0;
	e.events = EPOLLOUT;
	e.data.u64 = CHECK_TAG | (uint64_t)(k->gen & GEN_MASK) << 32 | i;
	if (epoll_ctl(P.ep, EPOLL_CTL_ADD, fd, &e) != 0) {
		P.st.local_errors++;
		close(fd);
		k->fd = -1;
		return;
	}
	if (connect(fd, (const struct sockaddr *)&b->addr, b->addr_len) == 0) {
		check_connected(i);
		return;
	}
	if (errno != EINPROGRESS)
		check_finish(i, false, errno == ECONNREFUSED ? "connection refused" :
			     "connect error");
}

void
check_event(const struct epoll_event *e)
{
	unsigned i = (unsigned)(uint32_t)e->data.u64;
	uint32_t gen = (uint32_t)(e->data.u64 >> 32) & GEN_MASK;
	struct check *k;
	int err = 0;
	socklen_t len = sizeof(err);

	if (i >= P.pool.n)
		return;
	k = &P.chk[i];
	if (k->fd < 0 || (k->gen & GEN_MASK) != gen)
		return;
	switch (k->state) {
	case CK_CONNECTING:
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
			err = errno;
		if (err == 0 && (e->events & (EPOLLERR | EPOLLHUP)))
			err = ECONNRESET;
		if (err != 0) {
			check_finish(i, false, err == ECONNREFUSED ? "connection refused" :
				     "connect error");
			return;
		}
		check_connected(i);
		return;
	case CK_SENDING:
		check_send(i);
		return;
	case CK_READING:
		/* Data, or the end (EPOLLHUP/ERR): recv() says which. */
		check_read(i);
		return;
	}
}

void
checks_run(void)
{
	if (P.cfg.check_interval_ms == 0)
		return;
	for (unsigned i = 0; i < P.pool.n; i++) {
		struct check *k = &P.chk[i];

		/* Covers the connect, the request and a slow answer alike. */
		if (k->fd >= 0 && P.now - k->started >= k->timeout_ms)
			check_finish(i, false, "timeout");
		if (k->fd < 0 && P.now >= k->next)
			check_start(i);
	}
}
