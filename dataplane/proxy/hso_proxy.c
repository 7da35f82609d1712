/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy: the load-balancer front end of hso. A DPDK secondary process
 * of hsod that attaches through hso_app.h and forwards each TLS session's
 * plaintext to a pool of backend servers over kernel TCP sockets
 * (non-blocking, epoll), optionally after a PROXY protocol v2 header.
 *
 * One thread, one loop: poll hsod's events in bursts, advance the touched
 * connections, epoll the backend sockets (0 ms while busy, 1 ms when idle),
 * push commands, run the timers (connect, idle, queue) and health checks.
 *
 * Flow control without loss, both ways:
 *  - client -> backend: a DATA event is released only once all its bytes
 *    are written to the backend socket. While the socket is not writable
 *    the events stay queued on the connection (at most --conn-queue, and
 *    --max-queued in all); the bytes they hold count against hsod's
 *    per-connection budget, so hsod closes the client's TCP window.
 *  - backend -> client: hso_app_send() takes a message whole or not at all.
 *    On -EAGAIN the bytes stay in the connection's read buffer, the
 *    backend socket leaves epoll's read set, and the send is retried after
 *    the next poll; the backend's TCP window closes meanwhile.
 *
 * Everything is preallocated from the configuration: the connection table
 * (--max-conns) with its handle hash, the held-event nodes (--max-queued),
 * the read buffers (--buffers x --bufsize) and the PROXY headers.
 */

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "hso_app.h"
#include "pool.h"
#include "pp2.h"
#include "proxy_config.h"

#define NIL             UINT32_MAX
#define EP_BATCH        64      /* epoll events per wait */
#define IOV_BATCH       64      /* held events per sendmsg() */
#define WRITES_PER_CALL 16      /* sendmsg() calls per be_write() */
#define READS_PER_EVENT 4       /* recv() per readable event: fairness */
#define TIMERS_PER_TICK 4096    /* expiries handled per list and loop */
#define ORPHANS_MAX     1024    /* closes of connections the table had no room for */
/* epoll data: connection index | generation << 32, or a check's CHECK_TAG. */
#define CHECK_TAG       (UINT64_C(1) << 63)
#define GEN_MASK        0x7fffffffu     /* generation bits below CHECK_TAG */

static const char resp_502[] =
	"HTTP/1.1 502 Bad Gateway\r\n"
	"Content-Type: text/plain\r\n"
	"Content-Length: 16\r\n"
	"Connection: close\r\n"
	"\r\n"
	"502 Bad Gateway\n";

/* Where the backend side of a connection is. */
enum bstate {
	BS_IDLE = 0,    /* no socket: not yet, failed, or finished */
	BS_WAIT,        /* waiting for a backend under its maxconn */
	BS_CONNECTING,
	BS_CONNECTED,
};

/* What the client side gets once pending data is sent. */
enum caction {
	CA_NONE = 0,
	CA_SHUTDOWN,    /* hso_app_shutdown: the backend is done sending */
	CA_CLOSE,       /* hso_app_close */
};

/* Why a backend connection ended badly. */
enum bfail {
	BF_REFUSED,
	BF_CONNECT_TIMEOUT,
	BF_CONNECT_ERROR,       /* unreachable, other connect errors */
	BF_LOCAL,               /* our side: no socket, no port */
	BF_RESET,               /* reset or write error after connecting */
	BF_EMPTY,               /* --http: closed before any response byte */
	BF_IDLE_TIMEOUT,
};

#define F_PEER_CLOSED   0x0001  /* HSO_EV_PEER_CLOSED: the client sends no more */
#define F_BE_WR_SHUT    0x0002  /* shutdown(SHUT_WR) done on the backend */
#define F_BE_EOF        0x0004  /* the backend sends no more */
#define F_RESPONDED     0x0008  /* a byte came from the backend (or a 502) */
#define F_READ_BLOCKED  0x0010  /* hso_app_send said -EAGAIN: EPOLLIN off */
#define F_BUF_WAIT      0x0020  /* no read buffer free: EPOLLIN off */
#define F_WANT_OUT      0x0040  /* backend socket full: EPOLLOUT on */
#define F_WANT_502      0x0080  /* failed; the 502 waits for the request */
#define F_SHUT_ISSUED   0x0100
#define F_CLOSE_ISSUED  0x0200
#define F_FAILED        0x0400

/* Timer lists: one duration each, so insertion order is deadline order. */
enum { TL_NONE = 0, TL_WAIT, TL_CONNECT, TL_IDLE, TL_N };
/* Links of a connection: its timer list, the retry list, the buffer wait list. */
enum { LK_TIMER = 0, LK_RETRY, LK_BUFWAIT, LK_N };

struct link {
	uint32_t prev, next;
};

struct ilist {
	uint32_t head, tail, len;
};

struct pconn {
	uint64_t handle;
	uint64_t tried;                 /* backends tried (bit i) */
	uint64_t deadline;              /* ms, of the timer list it is on */
	uint64_t from_client;           /* client bytes received */
	uint64_t to_backend;            /* client bytes written to the current backend */
	struct link lk[LK_N];
	uint8_t on[LK_N];               /* list it is on (timer: TL_*), 0 none */
	uint8_t bstate, action;
	uint16_t flags;
	uint32_t gen;                   /* bumped per socket: stale epoll events */
	int fd;
	int backend;                    /* acquired backend, -1 none */
	uint32_t retries;
	uint32_t ep_mask;               /* registered interest, 0: not in epoll */
	uint32_t q_head, q_tail, q_len; /* held DATA events */
	uint32_t q_off;                 /* bytes of the head already written */
	uint16_t pp2_len, pp2_off;
	uint32_t buf;                   /* read buffer, NIL */
	const uint8_t *pend;            /* bytes for the client not yet accepted */
	uint32_t pend_len;
	bool used;
};

struct held {
	struct hso_event ev;
	uint32_t next;
};

struct check {
	int fd;
	uint64_t started, next;
	uint32_t gen;
};

#define COUNTERS(X)                                                             \
	X(sessions) X(table_full) X(unknown_events)                             \
	X(closes_done) X(closes_reset) X(closes_tls_error) X(closes_timeout)    \
	X(closes_aborted)                                                       \
	X(connects) X(connect_ok) X(connect_refused) X(connect_timeout)        \
	X(connect_error) X(local_errors) X(retries) X(no_backend) X(queued)     \
	X(queue_timeouts) X(backend_resets) X(backend_eof) X(backend_empty)     \
	X(backend_idle_timeouts) X(http_502) X(client_bytes) X(backend_bytes)   \
	X(dropped_bytes) X(pp2_headers) X(backend_write_blocked)                \
	X(client_send_eagain) X(client_send_nomem) X(client_send_errors)        \
	X(read_buffer_waits) X(poll_stalls) X(conn_queue_overflows)             \
	X(orphan_overflows) X(checks_ok) X(checks_failed) X(backends_down)      \
	X(backends_up)

struct counters {
#define X(n) uint64_t n;
	COUNTERS(X)
#undef X
};

static struct {
	struct proxy_config cfg;
	struct pool pool;
	struct hso_app *app;
	int ep;
	uint64_t now, start;

	struct pconn *conns;
	uint32_t *free_conns, n_free_conns, active;
	uint64_t *hkeys;                /* handle hash: open addressing */
	uint32_t *hvals;
	uint32_t hmask;

	struct held *held;
	uint32_t held_free, n_held_free, held_peak;

	uint8_t *bufs;
	uint32_t *free_bufs, n_free_bufs;

	uint8_t *pp2;                   /* PP2_MAX per connection, or NULL */

	struct ilist timers[TL_N], retry, bufwait;
	struct check chk[POOL_MAX_BACKENDS];
	bool kick;                      /* a slot freed or a backend came up */

	uint64_t orphans[ORPHANS_MAX];
	uint32_t n_orphans;

	struct counters st;
} P;

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- intrusive lists of connection indices -------------------------- */

static struct ilist *
list_of(int k, uint8_t id)
{
	if (k == LK_TIMER)
		return &P.timers[id];
	return k == LK_RETRY ? &P.retry : &P.bufwait;
}

static void
list_push(uint32_t ci, int k, uint8_t id)
{
	struct pconn *c = &P.conns[ci];
	struct ilist *l = list_of(k, id);

	c->lk[k].prev = l->tail;
	c->lk[k].next = NIL;
	if (l->tail != NIL)
		P.conns[l->tail].lk[k].next = ci;
	else
		l->head = ci;
	l->tail = ci;
	l->len++;
	c->on[k] = id;
}

static void
list_del(uint32_t ci, int k)
{
	struct pconn *c = &P.conns[ci];
	struct ilist *l;

	if (c->on[k] == 0)
		return;
	l = list_of(k, c->on[k]);
	if (c->lk[k].prev != NIL)
		P.conns[c->lk[k].prev].lk[k].next = c->lk[k].next;
	else
		l->head = c->lk[k].next;
	if (c->lk[k].next != NIL)
		P.conns[c->lk[k].next].lk[k].prev = c->lk[k].prev;
	else
		l->tail = c->lk[k].prev;
	l->len--;
	c->on[k] = 0;
}

static void
timer_set(uint32_t ci, uint8_t tl, uint32_t ms)
{
	list_del(ci, LK_TIMER);
	if (tl == TL_NONE)
		return;
	P.conns[ci].deadline = P.now + ms;
	list_push(ci, LK_TIMER, tl);
}

/* Activity: the idle deadline moves (to the tail of the idle list). */
static void
touch(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	if (c->on[LK_TIMER] == TL_IDLE && c->deadline != P.now + P.cfg.timeout_ms)
		timer_set(ci, TL_IDLE, P.cfg.timeout_ms);
}

static void
retry_on(uint32_t ci)
{
	if (P.conns[ci].on[LK_RETRY] == 0)
		list_push(ci, LK_RETRY, 1);
}

/* ---- handle -> connection ------------------------------------------- */

static uint32_t
hslot(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (uint32_t)k & P.hmask;
}

static uint32_t
hash_find(uint64_t handle)
{
	for (uint32_t s = hslot(handle);; s = (s + 1) & P.hmask) {
		if (P.hvals[s] == NIL)
			return NIL;
		if (P.hkeys[s] == handle)
			return P.hvals[s];
	}
}

static void
hash_put(uint64_t handle, uint32_t ci)
{
	uint32_t s = hslot(handle);

	/* At most max_conns entries in 2 * max_conns slots: there is room. */
	while (P.hvals[s] != NIL)
		s = (s + 1) & P.hmask;
	P.hkeys[s] = handle;
	P.hvals[s] = ci;
}

static void
hash_del(uint64_t handle)
{
	uint32_t s = hslot(handle), j;

	while (P.hvals[s] != NIL && P.hkeys[s] != handle)
		s = (s + 1) & P.hmask;
	if (P.hvals[s] == NIL)
		return;
	/* Backward-shift deletion keeps every probe chain unbroken. */
	for (j = (s + 1) & P.hmask; P.hvals[j] != NIL; j = (j + 1) & P.hmask) {
		uint32_t home = hslot(P.hkeys[j]);

		/* Move j into the hole at s unless its home lies in (s, j]. */
		if (((j - home) & P.hmask) >= ((j - s) & P.hmask)) {
			P.hkeys[s] = P.hkeys[j];
			P.hvals[s] = P.hvals[j];
			s = j;
		}
	}
	P.hvals[s] = NIL;
}

/* ---- pools: held events, read buffers ------------------------------- */

static void
held_push(uint32_t ci, const struct hso_event *ev)
{
	struct pconn *c = &P.conns[ci];
	uint32_t h = P.held_free;

	P.held_free = P.held[h].next;
	P.n_held_free--;
	if (P.cfg.max_queued - P.n_held_free > P.held_peak)
		P.held_peak = P.cfg.max_queued - P.n_held_free;
	P.held[h].ev = *ev;
	P.held[h].next = NIL;
	if (c->q_tail != NIL)
		P.held[c->q_tail].next = h;
	else
		c->q_head = h;
	c->q_tail = h;
	c->q_len++;
}

/* Release the head event of @p ci's queue. */
static void
held_pop(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];
	uint32_t h = c->q_head;

	c->q_head = P.held[h].next;
	if (c->q_head == NIL)
		c->q_tail = NIL;
	c->q_len--;
	c->q_off = 0;
	hso_app_release(P.app, &P.held[h].ev);
	P.held[h].next = P.held_free;
	P.held_free = h;
	P.n_held_free++;
}

/* Give back every held event unsent (the data will never go anywhere). */
static void
held_drop_all(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	while (c->q_head != NIL) {
		P.st.dropped_bytes += P.held[c->q_head].ev.len - c->q_off;
		held_pop(ci);
	}
}

static uint8_t *
buf_addr(uint32_t b)
{
	return P.bufs + (size_t)b * P.cfg.bufsize;
}

static void ep_update(uint32_t ci);

/*
 * Connections waiting for a read buffer, as many as are free, in order:
 * back into epoll's read set (they take the buffer when they read).
 */
static void
bufwait_wake(void)
{
	for (uint32_t k = P.n_free_bufs; k > 0 && P.bufwait.head != NIL; k--) {
		uint32_t ci = P.bufwait.head;

		list_del(ci, LK_BUFWAIT);
		P.conns[ci].flags &= (uint16_t)~F_BUF_WAIT;
		ep_update(ci);
	}
}

/* The read buffer goes back unless it holds bytes for the client. */
static void
buf_put(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	if (c->buf == NIL || (c->pend_len > 0 && c->pend == buf_addr(c->buf)))
		return;
	P.free_bufs[P.n_free_bufs++] = c->buf;
	c->buf = NIL;
	if (P.bufwait.head != NIL)
		bufwait_wake();
}

/* ---- epoll ---------------------------------------------------------- */

static void
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

/* ---- connections ---------------------------------------------------- */

static uint32_t
conn_alloc(uint64_t handle)
{
	struct pconn *c;
	uint32_t ci, gen;

	if (P.n_free_conns == 0)
		return NIL;
	ci = P.free_conns[--P.n_free_conns];
	c = &P.conns[ci];
	gen = c->gen + 1;
	memset(c, 0, sizeof(*c));
	c->gen = gen;
	c->used = true;
	c->handle = handle;
	c->fd = -1;
	c->backend = -1;
	c->q_head = c->q_tail = NIL;
	c->buf = NIL;
	hash_put(handle, ci);
	P.active++;
	return ci;
}

static void
conn_free(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	hash_del(c->handle);
	for (int k = 0; k < LK_N; k++)
		list_del(ci, k);
	c->used = false;
	c->gen++;
	P.free_conns[P.n_free_conns++] = ci;
	P.active--;
}

static struct pool_backend *
conn_backend(const struct pconn *c)
{
	return c->backend >= 0 ? &P.pool.b[c->backend] : NULL;
}

/* Close the backend socket and give its slot back. Held events stay. */
static void
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

/*
 * Send what is pending for the client, then the end it is to get. Returns
 * with the connection on the retry list when hsod had no room.
 */
static void
client_flush(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];
	int r;

	if (c->flags & F_CLOSE_ISSUED) {
		list_del(ci, LK_RETRY);
		return;
	}
	if (c->pend_len > 0) {
		r = hso_app_send(P.app, c->handle, c->pend, c->pend_len);
		if (r == -EAGAIN || r == -ENOMEM) {
			if (r == -EAGAIN)
				P.st.client_send_eagain++;
			else
				P.st.client_send_nomem++;
			retry_on(ci);
			return;
		}
		if (r < 0) {
			/* The handle is gone: HSO_EV_CLOSED is on its way. */
			P.st.client_send_errors++;
			P.st.dropped_bytes += c->pend_len;
			c->pend_len = 0;
			be_close(ci);
			c->flags |= F_CLOSE_ISSUED;
			list_del(ci, LK_RETRY);
			return;
		}
		P.st.backend_bytes += c->pend_len;
		c->pend_len = 0;
		buf_put(ci);
		if (c->flags & F_READ_BLOCKED) {
			c->flags &= (uint16_t)~F_READ_BLOCKED;
			ep_update(ci);
		}
	}
	if (c->action == CA_SHUTDOWN && !(c->flags & F_SHUT_ISSUED)) {
		r = hso_app_shutdown(P.app, c->handle);
		if (r == -EAGAIN || r == -ENOMEM) {
			retry_on(ci);
			return;
		}
		c->flags |= F_SHUT_ISSUED;
	}
	if (c->action == CA_CLOSE) {
		r = hso_app_close(P.app, c->handle);
		if (r == -EAGAIN || r == -ENOMEM) {
			retry_on(ci);
			return;
		}
		c->flags |= F_CLOSE_ISSUED;
	}
	list_del(ci, LK_RETRY);
}

static void
client_end(uint32_t ci, enum caction a)
{
	struct pconn *c = &P.conns[ci];

	if (a > c->action)
		c->action = (uint8_t)a;
	client_flush(ci);
}

static void
send_502(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	c->flags |= F_RESPONDED;
	c->flags &= (uint16_t)~F_WANT_502;
	c->pend = (const uint8_t *)resp_502;
	c->pend_len = sizeof(resp_502) - 1;
	P.st.http_502++;
	client_end(ci, CA_CLOSE);
}

/*
 * The backend side is lost for good: the client gets a clean close, with
 * --http a 502 first when no response byte went out yet. A 502 waits for
 * the client's request (so the client reads it rather than a reset of the
 * request it is still writing), up to --connect-timeout.
 */
static void
client_fail(uint32_t ci, bool may_wait)
{
	struct pconn *c = &P.conns[ci];

	be_close(ci);
	c->flags |= F_FAILED;
	held_drop_all(ci);
	/* hsod takes no data after a shutdown or close: a 502 only before. */
	if (P.cfg.http && !(c->flags & F_RESPONDED) && c->action == CA_NONE) {
		if (c->from_client > 0 || (c->flags & F_PEER_CLOSED)) {
			send_502(ci);
			return;
		}
		if (may_wait) {
			c->flags |= F_WANT_502;
			timer_set(ci, TL_CONNECT, P.cfg.connect_timeout_ms);
			return;
		}
	}
	client_end(ci, CA_CLOSE);
}

static void conn_connect(uint32_t ci);
static void be_write(uint32_t ci);

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

static void
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

static void
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

static void
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
static void
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
static void
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

static void
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

/* ---- events from hsod ----------------------------------------------- */

static void
on_open(struct hso_event *ev)
{
	const struct hso_session *s = ev->session;
	uint32_t ci = conn_alloc(ev->conn);
	struct pconn *c;

	if (ci == NIL) {
		/* No room: close it; the table is --max-conns. */
		int r = hso_app_close(P.app, ev->conn);

		P.st.table_full++;
		if (r == -EAGAIN || r == -ENOMEM) {
			if (P.n_orphans < ORPHANS_MAX)
				P.orphans[P.n_orphans++] = ev->conn;
			else
				P.st.orphan_overflows++;
		}
		hso_app_release(P.app, ev);
		return;
	}
	c = &P.conns[ci];
	P.st.sessions++;
	if (P.pp2 != NULL) {
		struct pp2_info in = {
			.src_addr = s->client_addr, .dst_addr = s->server_addr,
			.src_port = s->client_port, .dst_port = s->server_port,
			.version = s->version, .suite = s->suite,
			.alpn = s->alpn, .alpn_len = s->alpn_len,
			.sni = s->sni, .sni_len = s->sni_len,
		};
		int n = pp2_encode(P.pp2 + (size_t)ci * PP2_MAX, PP2_MAX, &in);

		/* Cannot fail: lengths are one byte, PP2_MAX holds the largest. */
		if (n > 0) {
			c->pp2_len = (uint16_t)n;
			P.st.pp2_headers++;
		}
	}
	hso_app_release(P.app, ev);
	conn_connect(ci);
}

static void
on_data(uint32_t ci, struct hso_event *ev)
{
	struct pconn *c = &P.conns[ci];

	c->from_client += ev->len;
	if (c->bstate == BS_IDLE) {
		/* Failed or finished: nothing takes client data any more. */
		P.st.dropped_bytes += ev->len;
		hso_app_release(P.app, ev);
		if (c->flags & F_WANT_502)
			send_502(ci);
		return;
	}
	if (c->q_len >= P.cfg.conn_queue) {
		P.st.conn_queue_overflows++;
		P.st.dropped_bytes += ev->len;
		hso_app_release(P.app, ev);
		be_close(ci);
		c->flags |= F_FAILED;
		held_drop_all(ci);
		client_end(ci, CA_CLOSE);
		return;
	}
	held_push(ci, ev);
	touch(ci);
	if (c->bstate == BS_CONNECTED && !(c->flags & F_WANT_OUT))
		be_write(ci);
}

static void
on_peer_closed(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	c->flags |= F_PEER_CLOSED;
	if (c->flags & F_WANT_502) {
		send_502(ci);
		return;
	}
	if (c->bstate == BS_CONNECTED && !(c->flags & F_WANT_OUT) &&
	    c->q_head == NIL && c->pp2_off == c->pp2_len)
		be_shut_wr(ci);
}

static void
on_closed(uint32_t ci, unsigned reason)
{
	struct pconn *c = &P.conns[ci];

	switch (reason) {
	case HSO_CLOSE_DONE: P.st.closes_done++; break;
	case HSO_CLOSE_RESET: P.st.closes_reset++; break;
	case HSO_CLOSE_TLS_ERROR: P.st.closes_tls_error++; break;
	case HSO_CLOSE_TIMEOUT: P.st.closes_timeout++; break;
	default: P.st.closes_aborted++; break;
	}
	be_close(ci);
	held_drop_all(ci);
	if (c->pend_len > 0) {
		P.st.dropped_bytes += c->pend_len;
		c->pend_len = 0;
	}
	buf_put(ci);
	conn_free(ci);
}

static void
on_event(struct hso_event *ev)
{
	uint32_t ci;

	if (ev->type == HSO_EV_OPEN) {
		on_open(ev);
		return;
	}
	ci = hash_find(ev->conn);
	if (ci == NIL) {
		P.st.unknown_events++;
		hso_app_release(P.app, ev);
		return;
	}
	switch (ev->type) {
	case HSO_EV_DATA:
		on_data(ci, ev);        /* held or released there */
		return;
	case HSO_EV_PEER_CLOSED:
		hso_app_release(P.app, ev);
		on_peer_closed(ci);
		return;
	case HSO_EV_CLOSED: {
		unsigned reason = ev->reason;

		hso_app_release(P.app, ev);
		on_closed(ci, reason);
		return;
	}
	default:
		P.st.unknown_events++;
		hso_app_release(P.app, ev);
		return;
	}
}

/* ---- timers --------------------------------------------------------- */

static void
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

/* Sends and closes hsod had no room for, in order, each tried once. */
static bool
retry_run(void)
{
	uint32_t n = P.retry.len;
	bool progress = false;

	while (n-- > 0 && P.retry.head != NIL) {
		uint32_t ci = P.retry.head;

		list_del(ci, LK_RETRY);
		client_flush(ci);
		progress |= P.conns[ci].on[LK_RETRY] == 0;
	}
	for (uint32_t i = 0; i < P.n_orphans;) {
		int r = hso_app_close(P.app, P.orphans[i]);

		if (r == -EAGAIN || r == -ENOMEM) {
			i++;
			continue;
		}
		P.orphans[i] = P.orphans[--P.n_orphans];
	}
	return progress;
}

/* ---- health checks -------------------------------------------------- */

static void
check_finish(unsigned i, bool ok, const char *why)
{
	struct check *k = &P.chk[i];
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	char text[96];

	if (k->fd >= 0) {
		/* A reset, as HAProxy's checks: no TIME_WAIT left on the backend. */
		setsockopt(k->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(k->fd);
		k->fd = -1;
	}
	if (ok)
		P.st.checks_ok++;
	else
		P.st.checks_failed++;
	snprintf(text, sizeof(text), "%s check%s", ok ? "passed" : why,
		 ok ? "s" : " failed");
	backend_changed(i, pool_check_result(&P.pool, i, ok), text);
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
	if (connect(fd, (const struct sockaddr *)&b->addr, b->addr_len) == 0) {
		check_finish(i, true, NULL);
		return;
	}
	if (errno != EINPROGRESS) {
		check_finish(i, false, errno == ECONNREFUSED ? "connection refused" :
			     "connect error");
		return;
	}
	e.events = EPOLLOUT;
	e.data.u64 = CHECK_TAG | (uint64_t)(++k->gen & GEN_MASK) << 32 | i;
	if (epoll_ctl(P.ep, EPOLL_CTL_ADD, fd, &e) != 0) {
		P.st.local_errors++;
		close(fd);
		k->fd = -1;
	}
}

static void
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
	if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
		err = errno;
	if (err == 0 && (e->events & (EPOLLERR | EPOLLHUP)))
		err = ECONNRESET;
	check_finish(i, err == 0, err == ECONNREFUSED ? "connection refused" :
		     "connect error");
}

static void
checks_run(void)
{
	if (P.cfg.check_interval_ms == 0)
		return;
	for (unsigned i = 0; i < P.pool.n; i++) {
		struct check *k = &P.chk[i];

		if (k->fd >= 0 && P.now - k->started >= P.cfg.check_timeout_ms)
			check_finish(i, false, "timeout");
		if (k->fd < 0 && P.now >= k->next)
			check_start(i);
	}
}

/* ---- counters ------------------------------------------------------- */

static void
stats_print(FILE *out)
{
	const struct hso_app_stats *as = P.app != NULL ? hso_app_stats(P.app) : NULL;

	fprintf(out, "{\"hso_proxy\":{\"uptime_ms\":%" PRIu64 ",\"active\":%u,"
		"\"waiting\":%u,\"held_events\":%u,\"held_peak\":%u,"
		"\"read_buffers_in_use\":%u,\"backends_in_service\":%u",
		P.now - P.start, P.active, P.timers[TL_WAIT].len,
		P.cfg.max_queued - P.n_held_free, P.held_peak,
		P.cfg.buffers - P.n_free_bufs, pool_up_count(&P.pool));
#define X(n) fprintf(out, ",\"" #n "\":%" PRIu64, P.st.n);
	COUNTERS(X)
#undef X
	if (as != NULL)
		fprintf(out, ",\"app\":{\"events\":%" PRIu64 ",\"opens\":%" PRIu64
			",\"closes\":%" PRIu64 ",\"data_bytes\":%" PRIu64 ",\"sends\":%"
			PRIu64 ",\"send_bytes\":%" PRIu64 ",\"send_eagain\":%" PRIu64 "}",
			as->events, as->opens, as->closes, as->data_bytes, as->sends,
			as->send_bytes, as->send_eagain);
	fprintf(out, ",\"backends\":[");
	for (unsigned i = 0; i < P.pool.n; i++) {
		const struct pool_backend *b = &P.pool.b[i];
		const struct pool_backend_stats *s = &b->st;

		fprintf(out, "%s{\"name\":\"%s\",\"address\":\"%s\",\"up\":%s,"
			"\"weight\":%u,\"maxconn\":%u,\"active\":%u,\"conns\":%" PRIu64
			",\"connect_ok\":%" PRIu64 ",\"connect_refused\":%" PRIu64
			",\"connect_timeout\":%" PRIu64 ",\"connect_error\":%" PRIu64
			",\"resets\":%" PRIu64 ",\"idle_timeouts\":%" PRIu64
			",\"checks_ok\":%" PRIu64 ",\"checks_failed\":%" PRIu64
			",\"passive_failures\":%" PRIu64 ",\"went_down\":%" PRIu64
			",\"went_up\":%" PRIu64 ",\"full\":%" PRIu64 ",\"bytes_to\":%"
			PRIu64 ",\"bytes_from\":%" PRIu64 "}", i ? "," : "", b->name,
			b->addr_str, b->up ? "true" : "false", b->weight, b->maxconn,
			b->active, s->conns, s->connect_ok, s->connect_refused,
			s->connect_timeout, s->connect_error, s->resets, s->idle_timeouts,
			s->checks_ok, s->checks_failed, s->passive_failures, s->went_down,
			s->went_up, s->full, s->bytes_to, s->bytes_from);
	}
	fprintf(out, "]}}\n");
	fflush(out);
}

/* ---- set-up --------------------------------------------------------- */

static void *
zalloc(size_t n, size_t size, const char *what)
{
	void *p = calloc(n, size);

	if (p == NULL)
		fprintf(stderr, "hso-proxy: cannot allocate %zu x %zu bytes for %s\n",
			n, size, what);
	return p;
}

static int
tables_alloc(void)
{
	const struct proxy_config *cfg = &P.cfg;
	uint32_t hsize = 1;

	while (hsize < 2 * cfg->max_conns)
		hsize <<= 1;
	P.hmask = hsize - 1;
	P.conns = zalloc(cfg->max_conns, sizeof(*P.conns), "the connection table");
	P.free_conns = zalloc(cfg->max_conns, sizeof(*P.free_conns), "the free list");
	P.hkeys = zalloc(hsize, sizeof(*P.hkeys), "the handle hash");
	P.hvals = zalloc(hsize, sizeof(*P.hvals), "the handle hash");
	P.held = zalloc(cfg->max_queued, sizeof(*P.held), "held events (--max-queued)");
	P.bufs = zalloc(cfg->buffers, cfg->bufsize, "read buffers (--buffers x --bufsize)");
	P.free_bufs = zalloc(cfg->buffers, sizeof(*P.free_bufs), "read buffers");
	if (cfg->proxy_protocol)
		P.pp2 = zalloc(cfg->max_conns, PP2_MAX, "PROXY headers");
	if (P.conns == NULL || P.free_conns == NULL || P.hkeys == NULL ||
	    P.hvals == NULL || P.held == NULL || P.bufs == NULL || P.free_bufs == NULL ||
	    (cfg->proxy_protocol && P.pp2 == NULL))
		return -ENOMEM;
	memset(P.hvals, 0xff, (size_t)hsize * sizeof(*P.hvals));
	/* Lowest index first: the busy part of the table stays small. */
	for (uint32_t i = 0; i < cfg->max_conns; i++) {
		P.free_conns[i] = cfg->max_conns - 1 - i;
		P.conns[i].fd = -1;
	}
	P.n_free_conns = cfg->max_conns;
	for (uint32_t i = 0; i < cfg->max_queued; i++)
		P.held[i].next = i + 1 < cfg->max_queued ? i + 1 : NIL;
	P.held_free = 0;
	P.n_held_free = cfg->max_queued;
	for (uint32_t i = 0; i < cfg->buffers; i++)
		P.free_bufs[i] = cfg->buffers - 1 - i;
	P.n_free_bufs = cfg->buffers;
	for (int t = 0; t < TL_N; t++)
		P.timers[t] = (struct ilist){ NIL, NIL, 0 };
	P.retry = P.bufwait = (struct ilist){ NIL, NIL, 0 };
	return 0;
}

static int
pool_setup(void)
{
	const struct proxy_config *cfg = &P.cfg;

	pool_init(&P.pool, (enum pool_balance)cfg->balance, cfg->fall, cfg->rise);
	for (unsigned i = 0; i < cfg->n_backends; i++) {
		const struct proxy_backend_conf *b = &cfg->backends[i];

		if (pool_add(&P.pool, b->name, b->addr_str, (const struct sockaddr *)&b->addr,
			     b->addr_len, b->weight, b->maxconn) < 0)
			return -EINVAL;
		P.chk[i].fd = -1;
		/* Spread the first checks over one interval. */
		P.chk[i].next = P.now + (uint64_t)cfg->check_interval_ms * i / cfg->n_backends;
	}
	return 0;
}

/* Split argv at "--": EAL's before, ours after (all ours when there is none). */
static void
split_args(int argc, char **argv, int *eal_argc, int *app_argc, char ***app_argv)
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i == argc) {
		*eal_argc = 1;
		*app_argc = argc - 1;
		*app_argv = argv + 1;
		return;
	}
	*eal_argc = i;
	*app_argc = argc - i - 1;
	*app_argv = argv + i + 1;
}

static const char *
attach_error(int e)
{
	switch (e) {
	case ENOENT: return "no hsod found: is it running with --app external, on "
		"hugepages (not --in-memory), with this --file-prefix?";
	case EPROTO: return "hsod speaks another HSO_APP_ABI: rebuild hso-proxy with it";
	case EBUSY: return "hsod has HSO_APP_MAX applications attached already";
	case EPERM: return "hsod refused the attach";
	case ETIMEDOUT: return "hsod did not answer within 5 s";
	case ENOMEM: return "out of memory";
	default: return strerror(e);
	}
}

/* Sockets closed, held events given back (the library does not track them). */
static void
teardown(void)
{
	for (uint32_t i = 0; P.conns != NULL && i < P.cfg.max_conns; i++) {
		if (!P.conns[i].used)
			continue;
		if (P.conns[i].fd >= 0)
			close(P.conns[i].fd);
		held_drop_all(i);
	}
	for (unsigned i = 0; i < P.pool.n; i++)
		if (P.chk[i].fd >= 0)
			close(P.chk[i].fd);
	if (P.ep >= 0)
		close(P.ep);
}

static int
run(void)
{
	struct hso_event *evs;
	uint64_t next_stats = 0;
	int rc = EXIT_SUCCESS;

	evs = zalloc(P.cfg.burst, sizeof(*evs), "the event burst");
	if (evs == NULL)
		return EXIT_FAILURE;
	if (P.cfg.stats_interval_s > 0)
		next_stats = P.now + (uint64_t)P.cfg.stats_interval_s * 1000;
	while (!stop) {
		struct epoll_event ee[EP_BATCH];
		uint32_t max = P.cfg.burst < P.n_held_free ? P.cfg.burst : P.n_held_free;
		bool busy = false;
		int n;

		P.now = now_ms();
		if (max == 0) {
			/* Every held-event node is in use: let backends drain first. */
			P.st.poll_stalls++;
		} else {
			n = hso_app_poll(P.app, evs, max);
			if (n < 0) {
				fprintf(stderr, "hso-proxy: %s\n", n == -ESHUTDOWN ?
					"hsod dropped this application (hsod stopping?)" :
					strerror(-n));
				rc = EXIT_FAILURE;
				break;
			}
			for (int i = 0; i < n; i++)
				on_event(&evs[i]);
			busy = n > 0;
		}
		busy |= retry_run();
		if (P.kick && P.timers[TL_WAIT].head != NIL)
			wait_kick();
		n = epoll_wait(P.ep, ee, EP_BATCH, busy ? 0 : 1);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "hso-proxy: epoll_wait: %s\n", strerror(errno));
			rc = EXIT_FAILURE;
			break;
		}
		P.now = now_ms();
		for (int i = 0; i < n; i++) {
			if (ee[i].data.u64 & CHECK_TAG)
				check_event(&ee[i]);
			else
				on_epoll(&ee[i]);
		}
		if (hso_app_flush(P.app) == -ESHUTDOWN) {
			fprintf(stderr, "hso-proxy: hsod dropped this application (hsod "
				"stopping?)\n");
			rc = EXIT_FAILURE;
			break;
		}
		timers_run();
		checks_run();
		if (next_stats != 0 && P.now >= next_stats) {
			stats_print(stdout);
			next_stats = P.now + (uint64_t)P.cfg.stats_interval_s * 1000;
		}
	}
	P.now = now_ms();
	free(evs);
	return rc;
}

int
main(int argc, char **argv)
{
	char err[PROXY_ERR_LEN];
	char **app_argv, **eal_argv;
	int eal_argc, app_argc, rc;
	bool has_proc_type = false;
	struct sigaction sa;

	P.ep = -1;
	split_args(argc, argv, &eal_argc, &app_argc, &app_argv);
	if (proxy_config_parse(&P.cfg, app_argc, app_argv, err, sizeof(err)) != 0) {
		fprintf(stderr, "hso-proxy: %s\nhso-proxy: see hso-proxy --help\n", err);
		return EXIT_FAILURE;
	}
	if (P.cfg.help) {
		proxy_config_usage(stdout);
		return EXIT_SUCCESS;
	}
	P.now = P.start = now_ms();
	if (tables_alloc() != 0 || pool_setup() != 0)
		return EXIT_FAILURE;

	/* An application is a secondary process of hsod: say so unless told. */
	eal_argv = zalloc((size_t)eal_argc + 2, sizeof(*eal_argv), "EAL arguments");
	if (eal_argv == NULL)
		return EXIT_FAILURE;
	for (int i = 0; i < eal_argc; i++) {
		eal_argv[i] = argv[i];
		has_proc_type |= strncmp(argv[i], "--proc-type", 11) == 0;
	}
	if (!has_proc_type)
		eal_argv[eal_argc++] = (char *)(uintptr_t)"--proc-type=secondary";
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "hso-proxy: EAL: cannot initialise%s%s. hso-proxy is a DPDK "
			"secondary process: start hsod first (on hugepages, not "
			"--in-memory) and give its --file-prefix.\n",
			rte_errno != 0 ? ": " : "", rte_errno != 0 ? rte_strerror(rte_errno) : "");
		return EXIT_FAILURE;
	}
	P.app = hso_app_attach(P.cfg.name, 0);
	if (P.app == NULL) {
		fprintf(stderr, "hso-proxy: attach: %s\n", attach_error(errno));
		rte_eal_cleanup();
		return EXIT_FAILURE;
	}
	P.ep = epoll_create1(EPOLL_CLOEXEC);
	if (P.ep < 0) {
		fprintf(stderr, "hso-proxy: epoll_create1: %s\n", strerror(errno));
		hso_app_detach(P.app);
		rte_eal_cleanup();
		return EXIT_FAILURE;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;      /* no SA_RESTART: epoll_wait returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "hso-proxy: %u backends, %s, up to %u connections%s%s\n",
		P.pool.n, P.cfg.balance == POOL_LEASTCONN ? "leastconn" : "roundrobin",
		P.cfg.max_conns, P.cfg.proxy_protocol ? ", PROXY protocol v2" : "",
		P.cfg.http ? ", HTTP" : "");
	printf("hso-proxy: attached\n");
	fflush(stdout);

	rc = run();

	stats_print(stdout);
	teardown();
	if (hso_app_detach(P.app) != 0)
		fprintf(stderr, "hso-proxy: hsod did not confirm the detach\n");
	P.app = NULL;
	rte_eal_cleanup();
	free(eal_argv);
	return rc;
}
