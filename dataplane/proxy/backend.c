/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy's backend side: non-blocking connects (with retries on other
 * backends while nothing was sent), writes of held client data (PROXY v2
 * header first), reads towards the client, failures and their counters,
 * epoll interest, and the timer lists.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "proxy_priv.h"

void
ep_update(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];
	struct epoll_event e;
	uint32_t mask = 0;
	int op;

	if (c->fd < 0)
		return;
	if (c->bstate == BS_CONNECTING) {
		mask = EPOLLOUT;
	} else if (c->bstate == BS_CONNECTED) {
		if ((c->flags & (F_BE_EOF | F_READ_BLOCKED | F_BUF_WAIT)) == 0)
			mask |= EPOLLIN;
		if (c->flags & F_WANT_OUT)
			mask |= EPOLLOUT;
	}
	if (mask == c->ep_mask)
		return;
	/*
	 * Level-triggered. With nothing wanted the socket leaves epoll: a
	 * hang-up would otherwise be reported on every wait while we cannot
	 * act on it (reading is paused).
	 */
	op = c->ep_mask == 0 ? EPOLL_CTL_ADD : mask == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
	e.events = mask;
	e.data.u64 = (uint64_t)(c->gen & GEN_MASK) << 32 | ci;
	if (epoll_ctl(P.ep, op, c->fd, &e) != 0) {
		/* Only ENOMEM/ENOSPC can happen here; the timers end the connection. */
		P.st.local_errors++;
		return;
	}
	c->ep_mask = mask;
}

/* Close the backend socket and give its slot back. Held events stay. */
void
be_close(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	if (c->fd >= 0) {
		/* close() takes it out of epoll (no other reference exists). */
		close(c->fd);
		c->fd = -1;
	}
	c->ep_mask = 0;
	if (c->backend >= 0) {
		pool_release(&P.pool, (unsigned)c->backend);
		c->backend = -1;
		P.kick = true;
	}
	c->bstate = BS_IDLE;
	c->flags &= (uint16_t)~(F_WANT_OUT | F_BUF_WAIT);
	list_del(ci, LK_BUFWAIT);
	list_del(ci, LK_TIMER);
	buf_put(ci);
}


static const char *
bfail_name(enum bfail why)
{
	switch (why) {
	case BF_REFUSED: return "connection refused";
	case BF_CONNECT_TIMEOUT: return "connect timeout";
	case BF_CONNECT_ERROR: return "connect error";
	case BF_LOCAL: return "local error";
	case BF_RESET: return "reset";
	case BF_EMPTY: return "closed without a response";
	case BF_IDLE_TIMEOUT: return "idle timeout";
	}
	return "?";
}

void
backend_changed(unsigned i, enum pool_change ch, const char *why)
{
	const struct pool_backend *b = &P.pool.b[i];

	if (ch == POOL_SAME)
		return;
	if (ch == POOL_WENT_DOWN) {
		P.st.backends_down++;
		fprintf(stderr, "hso-proxy: backend %s (%s) is DOWN: %s; %u of %u in "
			"service\n", b->name, b->addr_str, why, pool_up_count(&P.pool),
			P.pool.n);
	} else {
		P.st.backends_up++;
		P.kick = true;
		fprintf(stderr, "hso-proxy: backend %s (%s) is UP: %s; %u of %u in "
			"service\n", b->name, b->addr_str, why, pool_up_count(&P.pool),
			P.pool.n);
	}
}

/* The current backend failed: retry on another while that loses nothing. */
static void
be_fail(uint32_t ci, enum bfail why)
{
	struct pconn *c = &P.conns[ci];
	struct pool_backend *b = conn_backend(c);
	bool retry;

	switch (why) {
	case BF_REFUSED:
		P.st.connect_refused++;
		if (b != NULL)
			b->st.connect_refused++;
		break;
	case BF_CONNECT_TIMEOUT:
		P.st.connect_timeout++;
		if (b != NULL)
			b->st.connect_timeout++;
		break;
	case BF_CONNECT_ERROR:
		P.st.connect_error++;
		if (b != NULL)
			b->st.connect_error++;
		break;
	case BF_LOCAL:
		P.st.local_errors++;
		break;
	case BF_RESET:
		P.st.backend_resets++;
		if (b != NULL)
			b->st.resets++;
		break;
	case BF_EMPTY:
		P.st.backend_empty++;
		if (b != NULL)
			b->st.resets++;
		break;
	case BF_IDLE_TIMEOUT:
		P.st.backend_idle_timeouts++;
		if (b != NULL)
			b->st.idle_timeouts++;
		break;
	}
	/* Failed connects count towards fall, as failed checks do. */
	if (b != NULL && (why == BF_REFUSED || why == BF_CONNECT_TIMEOUT ||
			  why == BF_CONNECT_ERROR)) {
		unsigned i = (unsigned)c->backend;

		backend_changed(i, pool_passive_failure(&P.pool, i), bfail_name(why));
	}
	be_close(ci);
	/*
	 * Another backend may take the connection while nothing of the
	 * client's went to this one and nothing came back.
	 */
	retry = why != BF_IDLE_TIMEOUT && why != BF_LOCAL && c->to_backend == 0 &&
		!(c->flags & (F_RESPONDED | F_BE_WR_SHUT | F_CLOSE_ISSUED)) &&
		c->retries < P.cfg.retries;
	if (retry) {
		c->retries++;
		P.st.retries++;
		c->pp2_off = 0;
		c->q_off = 0;
		conn_connect(ci);
		return;
	}
	client_fail(ci, why != BF_IDLE_TIMEOUT);
}

/* Both directions finished, or the backend's half: end the client's. */
static void
conn_progress(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	if (!(c->flags & F_BE_EOF))
		return;
	if ((c->flags & F_PEER_CLOSED) && (c->flags & F_BE_WR_SHUT)) {
		be_close(ci);
		client_end(ci, CA_CLOSE);
	} else {
		/* The client may still send: its data still goes to the backend. */
		client_end(ci, CA_SHUTDOWN);
	}
}

void
be_shut_wr(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	if (c->flags & F_BE_WR_SHUT)
		return;
	shutdown(c->fd, SHUT_WR);
	c->flags |= F_BE_WR_SHUT;
	conn_progress(ci);
}

static void
be_connected(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];
	struct pool_backend *b = conn_backend(c);

	P.st.connect_ok++;
	b->st.connect_ok++;
	pool_passive_success(&P.pool, (unsigned)c->backend);
	c->bstate = BS_CONNECTED;
	timer_set(ci, TL_IDLE, P.cfg.timeout_ms);
	be_write(ci);
}

static bool
local_errno(int e)
{
	return e == EADDRNOTAVAIL || e == EMFILE || e == ENFILE || e == ENOBUFS ||
	       e == ENOMEM || e == EAGAIN || e == EADDRINUSE;
}

static void
conn_connect_to(uint32_t ci, unsigned i)
{
	struct pconn *c = &P.conns[ci];
	struct pool_backend *b = &P.pool.b[i];
	int fd, one = 1;

	c->tried |= UINT64_C(1) << i;
	c->backend = (int)i;
	pool_acquire(&P.pool, i);
	P.st.connects++;
	fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		be_fail(ci, BF_LOCAL);
		return;
	}
	c->fd = fd;
	c->gen++;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (P.cfg.sndbuf != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &P.cfg.sndbuf, sizeof(P.cfg.sndbuf));
	if (P.cfg.rcvbuf != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &P.cfg.rcvbuf, sizeof(P.cfg.rcvbuf));
	if (connect(fd, (const struct sockaddr *)&b->addr, b->addr_len) == 0) {
		be_connected(ci);
		return;
	}
	if (errno == EINPROGRESS) {
		c->bstate = BS_CONNECTING;
		ep_update(ci);
		timer_set(ci, TL_CONNECT, P.cfg.connect_timeout_ms);
		return;
	}
	be_fail(ci, errno == ECONNREFUSED ? BF_REFUSED :
		    local_errno(errno) ? BF_LOCAL : BF_CONNECT_ERROR);
}

void
conn_connect(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];
	int i = pool_pick(&P.pool, c->tried);

	if (i == -EBUSY && P.cfg.queue_timeout_ms > 0) {
		/* Every backend in service is at maxconn: wait for a slot. */
		P.st.queued++;
		c->bstate = BS_WAIT;
		timer_set(ci, TL_WAIT, P.cfg.queue_timeout_ms);
		return;
	}
	if (i < 0) {
		P.st.no_backend++;
		client_fail(ci, true);
		return;
	}
	conn_connect_to(ci, (unsigned)i);
}

/* Slots freed or backends came back: connections waiting in order get them. */
void
wait_kick(void)
{
	unsigned budget = TIMERS_PER_TICK;

	P.kick = false;
	while (P.timers[TL_WAIT].head != NIL && budget-- > 0) {
		uint32_t ci = P.timers[TL_WAIT].head;
		int i = pool_pick(&P.pool, P.conns[ci].tried);

		if (i == -EBUSY)
			break;
		list_del(ci, LK_TIMER);
		P.conns[ci].bstate = BS_IDLE;
		if (i < 0) {
			P.st.no_backend++;
			client_fail(ci, true);
		} else {
			conn_connect_to(ci, (unsigned)i);
		}
	}
}

/* Write the PROXY header and held client data; release what went out. */
void
be_write(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	for (int w = 0; w < WRITES_PER_CALL; w++) {
		struct iovec iov[IOV_BATCH];
		struct msghdr msg;
		size_t total = 0, n;
		uint32_t h = c->q_head;
		int cnt = 0;
		ssize_t r;

		if (c->pp2_off < c->pp2_len) {
			iov[cnt].iov_base = P.pp2 + (size_t)ci * PP2_MAX + c->pp2_off;
			iov[cnt].iov_len = (size_t)(c->pp2_len - c->pp2_off);
			total += iov[cnt++].iov_len;
		}
		for (uint32_t off = c->q_off; h != NIL && cnt < IOV_BATCH; h = P.held[h].next) {
			iov[cnt].iov_base = (void *)(uintptr_t)(P.held[h].ev.data + off);
			iov[cnt].iov_len = P.held[h].ev.len - off;
			total += iov[cnt++].iov_len;
			off = 0;
		}
		if (cnt == 0)
			break;
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)cnt;
		r = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				P.st.backend_write_blocked++;
				c->flags |= F_WANT_OUT;
				ep_update(ci);
				return;
			}
			be_fail(ci, BF_RESET);
			return;
		}
		touch(ci);
		n = (size_t)r;
		if (c->pp2_off < c->pp2_len) {
			size_t k = c->pp2_len - c->pp2_off;

			k = k < n ? k : n;
			c->pp2_off = (uint16_t)(c->pp2_off + k);
			n -= k;
		}
		c->to_backend += n;
		P.st.client_bytes += n;
		P.pool.b[c->backend].st.bytes_to += n;
		while (n > 0) {
			size_t left = P.held[c->q_head].ev.len - c->q_off;

			if (n < left) {
				c->q_off += (uint32_t)n;
				break;
			}
			n -= left;
			held_pop(ci);
		}
		if ((size_t)r < total) {
			/* The socket buffer is full: the rest when it drains. */
			P.st.backend_write_blocked++;
			c->flags |= F_WANT_OUT;
			ep_update(ci);
			return;
		}
	}
	if (c->pp2_off < c->pp2_len || c->q_head != NIL) {
		c->flags |= F_WANT_OUT;         /* more than one call's worth */
		ep_update(ci);
		return;
	}
	c->flags &= (uint16_t)~F_WANT_OUT;
	ep_update(ci);
	if (c->flags & F_PEER_CLOSED)
		be_shut_wr(ci);
}

/* Backend bytes to the client, while hsod takes them. */
static void
be_read(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];
	uint32_t gen = c->gen;

	for (int k = 0; k < READS_PER_EVENT; k++) {
		ssize_t n;

		if (c->buf == NIL) {
			if (P.n_free_bufs == 0) {
				P.st.read_buffer_waits++;
				c->flags |= F_BUF_WAIT;
				list_push(ci, LK_BUFWAIT, 1);
				ep_update(ci);
				return;
			}
			c->buf = P.free_bufs[--P.n_free_bufs];
		}
		n = recv(c->fd, buf_addr(c->buf), P.cfg.bufsize, 0);
		if (n > 0) {
			c->flags |= F_RESPONDED;
			P.pool.b[c->backend].st.bytes_from += (uint64_t)n;
			touch(ci);
			c->pend = buf_addr(c->buf);
			c->pend_len = (uint32_t)n;
			client_flush(ci);
			if (c->gen != gen || c->fd < 0)
				return;         /* the client is gone */
			if (c->pend_len > 0) {
				/* hsod is full: stop reading until the send goes through. */
				c->flags |= F_READ_BLOCKED;
				ep_update(ci);
				return;
			}
			/*
			 * Read on even after a short read: an HTTP server's FIN
			 * often follows its response at once, and the client's
			 * close_notify should go out with the response.
			 */
			continue;
		}
		if (n == 0) {
			/*
			 * An HTTP server that closes without a byte of response
			 * failed the request (HAProxy: 502); one that closes
			 * before the request came is retried elsewhere.
			 */
			if (P.cfg.http && !(c->flags & F_RESPONDED)) {
				be_fail(ci, BF_EMPTY);
				return;
			}
			P.st.backend_eof++;
			c->flags |= F_BE_EOF;
			ep_update(ci);
			buf_put(ci);
			conn_progress(ci);
			return;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		be_fail(ci, BF_RESET);
		return;
	}
	buf_put(ci);
}

static void
be_connect_done(uint32_t ci, uint32_t events)
{
	struct pconn *c = &P.conns[ci];
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == 0 && (events & (EPOLLERR | EPOLLHUP)))
		err = ECONNRESET;
	if (err == 0) {
		be_connected(ci);
		return;
	}
	be_fail(ci, err == ECONNREFUSED ? BF_REFUSED : err == ETIMEDOUT ?
		    BF_CONNECT_TIMEOUT : local_errno(err) ? BF_LOCAL : BF_CONNECT_ERROR);
}

void
on_epoll(const struct epoll_event *e)
{
	uint32_t ci = (uint32_t)e->data.u64, gen = (uint32_t)(e->data.u64 >> 32) & GEN_MASK;
	struct pconn *c;

	if (ci >= P.cfg.max_conns)
		return;
	c = &P.conns[ci];
	if (!c->used || (c->gen & GEN_MASK) != gen || c->fd < 0)
		return;                 /* an event of a socket closed since */
	if (c->bstate == BS_CONNECTING) {
		be_connect_done(ci, e->events);
		return;
	}
	if (c->bstate != BS_CONNECTED)
		return;
	if ((e->events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && (c->flags & F_WANT_OUT)) {
		be_write(ci);
		if (c->fd < 0 || c->bstate != BS_CONNECTED)
			return;
	}
	if ((e->events & (EPOLLIN | EPOLLERR | EPOLLHUP)) && (c->ep_mask & EPOLLIN))
		be_read(ci);
}

void
timers_run(void)
{
	unsigned budget;
	uint32_t ci;

	budget = TIMERS_PER_TICK;
	while ((ci = P.timers[TL_WAIT].head) != NIL && P.conns[ci].deadline <= P.now &&
	       budget-- > 0) {
		list_del(ci, LK_TIMER);
		P.conns[ci].bstate = BS_IDLE;
		P.st.queue_timeouts++;
		client_fail(ci, true);
	}
	budget = TIMERS_PER_TICK;
	while ((ci = P.timers[TL_CONNECT].head) != NIL && P.conns[ci].deadline <= P.now &&
	       budget-- > 0) {
		struct pconn *c = &P.conns[ci];

		list_del(ci, LK_TIMER);
		if (c->bstate == BS_CONNECTING) {
			be_fail(ci, BF_CONNECT_TIMEOUT);
		} else if (c->flags & F_WANT_502) {
			/* Nothing came from the client: no request to answer. */
			c->flags &= (uint16_t)~F_WANT_502;
			client_end(ci, CA_CLOSE);
		}
	}
	budget = TIMERS_PER_TICK;
	while ((ci = P.timers[TL_IDLE].head) != NIL && P.conns[ci].deadline <= P.now &&
	       budget-- > 0) {
		list_del(ci, LK_TIMER);
		be_fail(ci, BF_IDLE_TIMEOUT);
	}
}
