/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_PROXY_PRIV_H
#define HSO_PROXY_PRIV_H

/*
 * hso-proxy's internals, shared by its files (one concern each):
 *   conn.c       the connection table: handle hash, lists, held events, buffers
 *   backend.c    backend I/O: connect, write, read, failure and retry, epoll, timers
 *   events.c     application events from hsod, and sends/closes back to clients
 *   health.c     active health checks (TCP connect, or HTTP GET and its status)
 *   hso_proxy.c  the loop, counters, set-up and main
 * One thread owns everything in P; nothing here locks.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "health.h"
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

/* An active health check of one backend (health.c). */
enum { CK_CONNECTING = 0, CK_SENDING, CK_READING };

struct check {
	int fd;                         /* -1: none running */
	uint64_t started, next;
	uint32_t gen;
	uint8_t type;                   /* HEALTH_TCP or HEALTH_HTTP */
	uint8_t state;                  /* CK_*, while fd >= 0 */
	uint32_t timeout_ms;
	uint32_t want_status;           /* HTTP: the status that means healthy */
	uint16_t req_len, req_off, resp_len;
	char req[HEALTH_REQ_MAX];
	uint8_t resp[HEALTH_RESP_MAX];
	char last[64];                  /* the last verdict, for the counters */
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

/* The whole proxy: one thread, one instance (hso_proxy.c defines it). */
struct proxy_state {
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
};

extern struct proxy_state P;

/* conn.c: the connection table, its handle hash, timer and wait lists, held events, read buffers */
void *zalloc(size_t n, size_t size, const char *what);
int tables_alloc(void);
uint32_t conn_alloc(uint64_t handle);
void conn_free(uint32_t ci);
struct pool_backend *conn_backend(const struct pconn *c);
uint32_t hash_find(uint64_t handle);
void list_push(uint32_t ci, int k, uint8_t id);
void list_del(uint32_t ci, int k);
void timer_set(uint32_t ci, uint8_t tl, uint32_t ms);
void touch(uint32_t ci);
void retry_on(uint32_t ci);
void held_push(uint32_t ci, const struct hso_event *ev);
void held_pop(uint32_t ci);
void held_drop_all(uint32_t ci);
uint8_t *buf_addr(uint32_t b);
void buf_put(uint32_t ci);

/* backend.c: backend sockets (connect, write, read, failures, retries), epoll, timers */
void ep_update(uint32_t ci);
void be_close(uint32_t ci);
void be_write(uint32_t ci);
void be_shut_wr(uint32_t ci);
void backend_changed(unsigned i, enum pool_change ch, const char *why);
void conn_connect(uint32_t ci);
void wait_kick(void);
void on_epoll(const struct epoll_event *e);
void timers_run(void);

/* events.c: hsod's events and what goes back to the client */
void on_event(struct hso_event *ev);
void client_flush(uint32_t ci);
void client_end(uint32_t ci, enum caction a);
void client_fail(uint32_t ci, bool may_wait);
bool retry_run(void);

/* health.c: active health checks, TCP or HTTP */
void checks_run(void);
void check_event(const struct epoll_event *e);
int checks_setup(void);
void checks_close(void);

#endif
