/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-bench-handoff: plaintext handed from a worker to an application,
 * in events per second and GB/s, through hso's rings (hso_app.h) and, side
 * by side in the same run, through two copy-based channels:
 *
 *  - hso:        the producer does per DATA event what dataplane/worker.c
 *                does (deliver(), msg_new(), msg_post()): budget check on
 *                the connection's rx_done word, ring room, rte_pktmbuf_alloc,
 *                header, one memcpy of the plaintext (the copy out of the TLS
 *                engine); staged and enqueued in bursts (rte_ring_sp_enqueue_burst
 *                per up to 32 events, as the worker does per poll). The consumer
 *                is the library: hso_app_poll(), read the data in place,
 *                hso_app_release() (the budget CAS, the mbuf back to the pool).
 *  - copy_ring:  a single-producer single-consumer byte ring in shared memory
 *                (rte_zmalloc), length-prefixed records: the producer copies
 *                the plaintext in, the consumer copies it out into its own
 *                buffer (two copies, as a pipe would make).
 *  - socketpair: an AF_UNIX stream socketpair, one writev() per burst of 32
 *                events, read() in 256 KiB chunks: the kernel copies twice.
 *
 * Every mode carries the same events (a message of --sizes bytes is cut into
 * events of at most one mbuf's payload, as the worker cuts a TLS record) for
 * --conns connections in round robin, and the consumer does the same read
 * pass in every mode: it compares each event with the bytes expected at its
 * connection's stream offset (its sequence number, in bytes), so lost,
 * reordered, duplicated or corrupted events fail the run (exit 1).
 *
 * Two measurements per mode and size:
 *  - throughput: producer on a second lcore (rte_eal_remote_launch),
 *    consumer on the main lcore, both spinning, for --seconds after a short
 *    warm-up: events/s and GB/s as the consumer saw them;
 *  - cost: one lcore produces a burst of 32 events then consumes it; the
 *    median cycles per event of each side (no cross-core traffic, and far
 *    less sensitive to a busy machine than the throughput).
 * One JSON object on stdout, a table on stderr.
 *
 *   hso-bench-handoff [--seconds S] [--conns N] [--sizes 64,512,...]
 *                     [--ring-bytes B] [--mbufs N] [--pool-ops NAME] [-- EAL options]
 *
 * Default EAL options: --no-huge -m 512 --no-shconf --no-pci -l 0-1
 * --file-prefix hsobench<pid> (--no-huge implies legacy memory, which EAL
 * refuses with --in-memory; --no-shconf is its in-memory equivalent). Exit
 * 77 when EAL cannot start with two lcores.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "app_shm.h"
#include "apps.h"
#include "eal_rundir.h"
#include "config.h"
#include "hso_app.h"

/* As hsod's defaults: its pool's per-lcore cache, the connection budget
 * (the pool's size: --mbufs, hsod's default). */
#define POOL_CACHE 256u
#define BUDGET HSOD_APP_CONN_BUDGET_DEFAULT
#define BURST 32u
/* The plaintext source repeats every PERIOD bytes; it stays in cache like
 * the engine's output buffer. */
#define PERIOD (64u * 1024)
/* Room after PERIOD so one event's copy never wraps. */
#define SRC_SIZE (PERIOD + 4096u)
#define SIZES_MAX 16
#define PAYLOAD_MAX (1u << 20)
#define SOCK_CHUNK (256u * 1024)
/* Copy-ring record: conn index, length, payload; records are 8-aligned. */
#define REC_HDR 8u
#define REC_WRAP UINT32_MAX
/* Cost samples kept per case (one per burst). */
#define COST_SAMPLES 4096u

enum mode { MODE_HSO, MODE_COPY_RING, MODE_SOCKET, MODE_NUM };

static const char *const mode_names[MODE_NUM] = { "hso", "copy_ring", "socketpair" };

struct prod_conn {
	uint64_t id;                    /* hso: the connection's id on the rings (gen, slot) */
	uint32_t rem;                   /* bytes of the current message left */
	uint32_t rx_delivered;          /* hso: as the worker's dp_conn */
	uint64_t off;                   /* stream offset */
};

struct cons_conn {
	uint64_t id;
	uint64_t off;
};

struct byte_ring {
	uint64_t head __rte_cache_aligned;      /* producer writes */
	uint64_t tail __rte_cache_aligned;      /* consumer writes */
	uint64_t size __rte_cache_aligned;
	uint8_t *data;
};

/* One case: a mode and a payload size. */
struct run {
	enum mode mode;
	uint32_t payload;
	unsigned n_conns;
	uint32_t ev_max;                /* event payload: one mbuf's */
	/* producer */
	struct prod_conn *pc;
	unsigned next;                  /* round-robin cursor */
	uint64_t br_tail;               /* copy_ring: last tail seen */
	uint32_t sock_hdr[BURST][2];
	struct iovec iov[2 * BURST];
	struct rte_mbuf *stage[BURST];  /* hso: events for one burst enqueue */
	unsigned n_stage;
	uint64_t prod_events, prod_bytes;
	uint64_t stall_budget, stall_ring, stall_pool;
	/* consumer */
	struct cons_conn *cc;
	uint8_t *own;                   /* its own buffer (copy modes) */
	size_t own_have;                /* socketpair: bytes of a partial record */
	bool eof;
	uint64_t events, bytes, bad;
	/* channels */
	struct hso_shm *shm;
	struct hso_shm_conn *fc;
	struct rte_ring *ev;
	struct rte_mempool *mp;
	struct hso_app *app;
	struct byte_ring *br;
	int fd[2];
	/* between the lcores */
	uint32_t stop;
	uint32_t prod_done;
	char err[160];
};

struct result {
	enum mode mode;
	uint32_t payload;
	double secs;
	uint64_t events, bytes;
	double events_per_s, gbyte_per_s;       /* over the whole window */
	double p90_events_per_s, p90_gbyte_per_s; /* 90th percentile of slices */
	uint64_t stall_budget, stall_ring, stall_pool;
	double prod_cycles, cons_cycles;        /* cost: median per event */
};

static uint8_t src[SRC_SIZE];
static double opt_seconds = 1.0;
static unsigned opt_conns = 64;
static uint32_t opt_sizes[SIZES_MAX] = { 64, 512, 1400, 16384 };
static unsigned opt_n_sizes = 4;
static uint64_t opt_ring_bytes = 1u << 20;
static unsigned opt_mbufs = HSOD_MBUFS_DEFAULT;
/* Mempool driver: hsod's (HSOD_POOL_OPS, a LIFO stack), or ring_mp_mc (FIFO). */
static const char *opt_pool_ops = HSOD_POOL_OPS;

static void
src_fill(void)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (size_t i = 0; i < PERIOD; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		src[i] = (uint8_t)(x >> 32);
	}
	/* src[PERIOD + k] == src[k]: any copy of <= 4096 bytes from below PERIOD
	 * is the stream at that offset. */
	memcpy(src + PERIOD, src, SRC_SIZE - PERIOD);
}

static const uint8_t *
stream_at(uint64_t off)
{
	return src + off % PERIOD;
}

static uint64_t
conn_start(unsigned i)
{
	/* Different offsets per connection: an event given to the wrong
	 * connection does not compare equal. */
	return (uint64_t)i * 4099u;
}

static void
fail(struct run *r, const char *what, unsigned ci, uint64_t off, uint64_t len)
{
	if (r->bad++ == 0)
		snprintf(r->err, sizeof(r->err), "%s (conn %u, offset %llu, length %llu)", what,
			 ci, (unsigned long long)off, (unsigned long long)len);
}

/* The consumer's read pass, the same in every mode. */
static void
consume(struct run *r, unsigned ci, const uint8_t *data, uint32_t len)
{
	struct cons_conn *c;

	if (ci >= r->n_conns) {
		fail(r, "connection out of range", ci, 0, len);
		return;
	}
	c = &r->cc[ci];
	if (len == 0 || len > r->ev_max || memcmp(data, stream_at(c->off), len) != 0)
		fail(r, "payload is not the stream's next bytes", ci, c->off, len);
	c->off += len;
	r->events++;
	r->bytes += len;
}

static bool
stopping(struct run *r)
{
	return __atomic_load_n(&r->stop, __ATOMIC_RELAXED) != 0;
}

static inline uint32_t
gen_of(uint64_t id)
{
	return hso_shm_id_gen(id);
}

/* ---- producers: one event each ---- */

/* worker.c's deliver() for one event: false when there is no room. */
static inline bool
emit_hso(struct run *r, struct prod_conn *c, uint32_t len)
{
	struct hso_shm_conn *sc = hso_shm_conn(r->fc, r->shm, 0, hso_shm_id_slot(c->id));
	uint64_t word = __atomic_load_n(&sc->rx_done, __ATOMIC_ACQUIRE);
	uint32_t left = c->rx_delivered - hso_shm_count(word, hso_shm_id_gen(c->id));
	struct hso_shm_msg *h;
	struct rte_mbuf *m;
	uint32_t cap;

	if (left >= BUDGET) {
		r->stall_budget++;
		return false;
	}
	/* msg_new(): room for what is staged and this one */
	if (rte_ring_free_count(r->ev) <= r->n_stage) {
		r->stall_ring++;
		return false;
	}
	m = rte_pktmbuf_alloc(r->mp);
	if (m == NULL) {
		r->stall_pool++;
		return false;
	}
	h = (struct hso_shm_msg *)rte_pktmbuf_append(m, sizeof(*h));
	memset(h, 0, sizeof(*h));
	h->conn = c->id;
	h->type = HSO_EV_DATA;
	/* deliver(): the engine's plaintext straight into the mbuf */
	cap = HSO_SHM_PAYLOAD(m);
	if (cap > BUDGET - left)
		cap = BUDGET - left;
	if (cap > len)
		cap = len;
	memcpy(h + 1, stream_at(c->off), cap);
	rte_pktmbuf_append(m, (uint16_t)cap);
	h->len = cap;
	c->rx_delivered += cap + HSO_APP_EVENT_COST;
	/* msg_post(): staged; prod_step() enqueues the burst */
	r->stage[r->n_stage++] = m;
	c->off += cap;
	c->rem -= cap;
	r->prod_bytes += cap;
	return true;
}

static uint32_t
rec_size(uint32_t len)
{
	return REC_HDR + ((len + 7u) & ~7u);
}

/* Copy one record into the byte ring: false when it is full. */
static inline bool
emit_copy_ring(struct run *r, struct prod_conn *c, unsigned ci, uint32_t len)
{
	struct byte_ring *br = r->br;
	uint64_t head = br->head, pos = head % br->size, contig = br->size - pos;
	uint32_t need = rec_size(len);
	uint64_t total = need <= contig ? need : contig + need;
	uint32_t *rec;

	if (br->size - (head - r->br_tail) < total) {
		r->br_tail = __atomic_load_n(&br->tail, __ATOMIC_ACQUIRE);
		if (br->size - (head - r->br_tail) < total) {
			r->stall_ring++;
			return false;
		}
	}
	if (need > contig) {
		/* Does not fit before the end: a wrap marker, then from 0. */
		rec = (uint32_t *)(br->data + pos);
		rec[1] = REC_WRAP;
		head += contig;
		pos = 0;
	}
	rec = (uint32_t *)(br->data + pos);
	rec[0] = ci;
	rec[1] = len;
	memcpy(rec + 2, stream_at(c->off), len);
	__atomic_store_n(&br->head, head + need, __ATOMIC_RELEASE);
	c->off += len;
	c->rem -= len;
	r->prod_bytes += len;
	return true;
}

/* Queue one event for the next writev(); never full. */
static inline bool
emit_socket(struct run *r, struct prod_conn *c, unsigned ci, uint32_t len, unsigned k)
{
	r->sock_hdr[k][0] = ci;
	r->sock_hdr[k][1] = len;
	r->iov[2 * k].iov_base = r->sock_hdr[k];
	r->iov[2 * k].iov_len = sizeof(r->sock_hdr[k]);
	r->iov[2 * k + 1].iov_base = (void *)(uintptr_t)stream_at(c->off);
	r->iov[2 * k + 1].iov_len = len;
	c->off += len;
	c->rem -= len;
	r->prod_bytes += len;
	return true;
}

static bool
write_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return true;
}

/*
 * Up to @p max (<= BURST) events, connections in round robin, a whole
 * message per connection unless it stalls (as the worker's deliver() loop).
 * @return events produced.
 */
static inline __attribute__((always_inline)) unsigned
prod_step(struct run *r, enum mode mode, unsigned max)
{
	unsigned k = 0, stalled = 0;

	while (k < max && stalled < r->n_conns) {
		unsigned ci = r->next;
		struct prod_conn *c = &r->pc[ci];
		uint32_t len;
		bool ok;

		if (c->rem == 0)
			c->rem = r->payload;
		len = c->rem < r->ev_max ? c->rem : r->ev_max;
		if (mode == MODE_HSO)
			ok = emit_hso(r, c, len);
		else if (mode == MODE_COPY_RING)
			ok = emit_copy_ring(r, c, ci, len);
		else
			ok = emit_socket(r, c, ci, len, k);
		if (ok) {
			k++;
			stalled = 0;
		} else {
			stalled++;
		}
		if (!ok || c->rem == 0)
			r->next = ci + 1 == r->n_conns ? 0 : ci + 1;
	}
	if (mode == MODE_HSO && r->n_stage > 0) {
		/* stage_flush(): the room was checked per event */
		rte_ring_sp_enqueue_burst(r->ev, (void **)r->stage, r->n_stage, NULL);
		r->n_stage = 0;
	}
	if (mode == MODE_SOCKET && k > 0 && !write_all(r->fd[1], r->iov, (int)(2 * k))) {
		fail(r, "writev failed", 0, 0, 0);
		__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	}
	r->prod_events += k;
	return k;
}

static unsigned
prod_step_hso(struct run *r, unsigned max)
{
	return prod_step(r, MODE_HSO, max);
}

static unsigned
prod_step_copy_ring(struct run *r, unsigned max)
{
	return prod_step(r, MODE_COPY_RING, max);
}

static unsigned
prod_step_socket(struct run *r, unsigned max)
{
	return prod_step(r, MODE_SOCKET, max);
}

static unsigned (*const prod_steps[MODE_NUM])(struct run *, unsigned) = {
	prod_step_hso, prod_step_copy_ring, prod_step_socket,
};

static int
prod_main(void *arg)
{
	struct run *r = arg;
	unsigned (*step)(struct run *, unsigned) = prod_steps[r->mode];

	while (!stopping(r))
		step(r, BURST);
	if (r->mode == MODE_SOCKET)
		shutdown(r->fd[1], SHUT_WR);
	__atomic_store_n(&r->prod_done, 1, __ATOMIC_RELEASE);
	return 0;
}

/* ---- consumers: up to a burst each ---- */

static unsigned
cons_hso(struct run *r)
{
	struct hso_event ev[BURST];
	int n = hso_app_poll(r->app, ev, BURST);

	if (n < 0) {
		fail(r, "hso_app_poll failed", 0, 0, 0);
		r->eof = true;
		return 0;
	}
	for (int i = 0; i < n; i++) {
		unsigned ci = hso_app_conn_index(r->app, ev[i].conn);

		if (ev[i].type != HSO_EV_DATA || hso_app_conn_worker(ev[i].conn) != 0 ||
		    ci >= r->n_conns ||
		    ev[i].conn != ((uint64_t)hso_shm_id_gen(r->cc[ci].id) << 32 |
				   hso_shm_id_slot(r->cc[ci].id)))
			fail(r, "not a DATA event of a known connection", ci, 0, ev[i].len);
		else
			consume(r, ci, ev[i].data, ev[i].len);
		hso_app_release(r->app, &ev[i]);
	}
	return (unsigned)n;
}

static unsigned
cons_copy_ring(struct run *r)
{
	struct byte_ring *br = r->br;
	uint64_t head = __atomic_load_n(&br->head, __ATOMIC_ACQUIRE);
	uint64_t tail = br->tail;
	unsigned n = 0;

	while (tail != head && n < BURST) {
		uint64_t pos = tail % br->size;
		const uint32_t *rec = (const uint32_t *)(br->data + pos);
		uint32_t ci = rec[0], len = rec[1];

		if (len == REC_WRAP) {
			tail += br->size - pos;
			continue;
		}
		if (len > r->ev_max) {
			fail(r, "bad record length", ci, 0, len);
			r->eof = true;
			break;
		}
		memcpy(r->own, rec + 2, len);
		tail += rec_size(len);
		consume(r, ci, r->own, len);
		n++;
	}
	__atomic_store_n(&br->tail, tail, __ATOMIC_RELEASE);
	return n;
}

/* One read(), then every whole record in the buffer. */
static unsigned
cons_socket(struct run *r)
{
	ssize_t got = read(r->fd[0], r->own + r->own_have, SOCK_CHUNK - r->own_have);
	size_t have, pos = 0;
	unsigned n = 0;

	if (got <= 0) {
		if (got < 0 && errno == EINTR)
			return 0;
		if (got < 0 || r->own_have != 0)
			fail(r, "read failed or stream cut mid-record", 0, 0, r->own_have);
		r->eof = true;
		return 0;
	}
	have = r->own_have + (size_t)got;
	while (have - pos >= REC_HDR) {
		uint32_t h[2];

		memcpy(h, r->own + pos, sizeof(h));
		if (h[1] > r->ev_max) {
			fail(r, "bad record length", h[0], 0, h[1]);
			r->eof = true;
			return n;
		}
		if (have - pos < REC_HDR + h[1])
			break;
		consume(r, h[0], r->own + pos + REC_HDR, h[1]);
		pos += REC_HDR + h[1];
		n++;
	}
	memmove(r->own, r->own + pos, have - pos);
	r->own_have = have - pos;
	return n;
}

static unsigned
cons_step(struct run *r)
{
	switch (r->mode) {
	case MODE_HSO:
		return cons_hso(r);
	case MODE_COPY_RING:
		return cons_copy_ring(r);
	default:
		return cons_socket(r);
	}
}

/* ---- one case ---- */

static int
case_open(struct run *r)
{
	static uint32_t gen;

	r->next = 0;
	r->br_tail = 0;
	r->own_have = 0;
	r->eof = false;
	r->stop = 0;
	r->prod_done = 0;
	r->prod_events = r->prod_bytes = 0;
	r->stall_budget = r->stall_ring = r->stall_pool = 0;
	r->events = r->bytes = r->bad = 0;
	r->err[0] = '\0';
	/* A new connection in every slot, tagged as the worker's accept does. */
	gen = gen % 4095 + 1;
	for (unsigned i = 0; i < r->n_conns; i++) {
		struct hso_shm_conn *sc;

		r->pc[i].id = hso_shm_id(gen, i);
		r->pc[i].rem = 0;
		r->pc[i].rx_delivered = 0;
		r->pc[i].off = conn_start(i);
		r->cc[i].id = r->pc[i].id;
		r->cc[i].off = conn_start(i);
		sc = hso_shm_conn(r->fc, r->shm, 0, i);
		__atomic_store_n(&sc->rx_done, hso_shm_tag(gen, 0), __ATOMIC_RELEASE);
		__atomic_store_n(&sc->tx_done, hso_shm_tag(gen, 0), __ATOMIC_RELEASE);
	}
	r->br->head = r->br->tail = 0;
	if (r->mode == MODE_SOCKET && socketpair(AF_UNIX, SOCK_STREAM, 0, r->fd) != 0) {
		fprintf(stderr, "hso-bench-handoff: socketpair: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Everything produced was consumed once, and nothing leaked. */
static void
case_close(struct run *r)
{
	if (r->mode == MODE_SOCKET) {
		close(r->fd[0]);
		close(r->fd[1]);
	}
	if (r->events != r->prod_events || r->bytes != r->prod_bytes)
		fail(r, "consumed is not what was produced", 0, r->events, r->prod_events);
	if (r->mode == MODE_HSO) {
		for (unsigned i = 0; i < r->n_conns; i++) {
			const struct hso_shm_conn *sc = hso_shm_conn(r->fc, r->shm, 0, i);

			if (hso_shm_count(sc->rx_done, gen_of(r->pc[i].id)) != r->pc[i].rx_delivered)
				fail(r, "rx_done is not what was delivered", i, 0, 0);
		}
		hso_app_flush(r->app);  /* the library returns released mbufs in bulk */
		if (rte_mempool_avail_count(r->mp) != opt_mbufs)
			fail(r, "mbufs missing from the pool", 0, 0, rte_mempool_avail_count(r->mp));
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
p90(double *v, unsigned n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n * 9 / 10];
}

/*
 * Two lcores: events/s and GB/s as the consumer sees them, over the window
 * and per slice of at least 10 ms. On a machine where other processes take
 * the cores now and then, the slices where both sides ran (the 90th
 * percentile) say more than the mean. @p evr, @p byr: COST_SAMPLES each.
 */
static int
run_throughput(struct run *r, unsigned lcore, struct result *x, double *evr, double *byr)
{
	uint64_t hz = rte_get_tsc_hz();
	double warm = opt_seconds / 5 < 0.1 ? opt_seconds / 5 : 0.1;
	uint64_t slice = hz / 100, t_warm, t_end, t_w = 0, ev0 = 0, b0 = 0;
	uint64_t t_sl = 0, ev_sl = 0, b_sl = 0;
	bool warmed = false, ended = false;
	unsigned n_sl = 0;
	int rc;

	if (slice < (uint64_t)(opt_seconds * (double)hz) / COST_SAMPLES + 1)
		slice = (uint64_t)(opt_seconds * (double)hz) / COST_SAMPLES + 1;

	if (case_open(r) != 0)
		return -1;
	rc = rte_eal_remote_launch(prod_main, r, lcore);
	if (rc != 0) {
		fprintf(stderr, "hso-bench-handoff: cannot launch on lcore %u: %s\n", lcore,
			strerror(-rc));
		return -1;
	}
	t_warm = rte_rdtsc() + (uint64_t)(warm * (double)hz);
	t_end = t_warm + (uint64_t)(opt_seconds * (double)hz);
	while (!r->eof) {
		unsigned n = cons_step(r);
		uint64_t now = rte_rdtsc();

		if (!warmed && now >= t_warm) {
			warmed = true;
			t_w = t_sl = now;
			ev0 = ev_sl = r->events;
			b0 = b_sl = r->bytes;
		}
		if (warmed && !ended && now - t_sl >= slice && n_sl < COST_SAMPLES) {
			double dt = (double)(now - t_sl) / (double)hz;

			evr[n_sl] = (double)(r->events - ev_sl) / dt;
			byr[n_sl] = (double)(r->bytes - b_sl) / dt / 1e9;
			n_sl++;
			t_sl = now;
			ev_sl = r->events;
			b_sl = r->bytes;
		}
		if (!ended && now >= t_end) {
			ended = true;
			x->secs = (double)(now - t_w) / (double)hz;
			x->events = r->events - ev0;
			x->bytes = r->bytes - b0;
			__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
		}
		/* Then drain what the producer queued before it saw the stop (the
		 * socket ends with EOF). */
		if (ended && n == 0 && r->mode != MODE_SOCKET &&
		    __atomic_load_n(&r->prod_done, __ATOMIC_ACQUIRE) && cons_step(r) == 0)
			break;
	}
	__atomic_store_n(&r->stop, 1, __ATOMIC_RELAXED);
	if (r->mode == MODE_SOCKET)
		shutdown(r->fd[0], SHUT_RDWR);  /* a writer still blocked gets EPIPE */
	rte_eal_wait_lcore(lcore);
	if (!ended)
		fail(r, "the channel ended early", 0, 0, 0);
	x->events_per_s = x->secs > 0 ? (double)x->events / x->secs : 0;
	x->gbyte_per_s = x->secs > 0 ? (double)x->bytes / x->secs / 1e9 : 0;
	x->p90_events_per_s = p90(evr, n_sl);
	x->p90_gbyte_per_s = p90(byr, n_sl);
	x->stall_budget = r->stall_budget;
	x->stall_ring = r->stall_ring;
	x->stall_pool = r->stall_pool;
	/* A window without events is a machine that did not run us (it is
	 * reported as such); a channel that never moves anything fails. */
	if (x->events == 0)
		fprintf(stderr, "hso-bench-handoff: %s, payload %u: no event in the measured "
			"window (the lcores were not scheduled?)\n", mode_names[r->mode], r->payload);
	if (r->events == 0)
		fail(r, "nothing moved at all", 0, 0, 0);
	case_close(r);
	return 0;
}

/* One lcore: a burst produced, then consumed; median cycles per event. */
static int
run_cost(struct run *r, struct result *x, double *ps, double *cs)
{
	uint64_t hz = rte_get_tsc_hz();
	uint64_t t_stop = rte_rdtsc() + (uint64_t)(opt_seconds / 4 * (double)hz);
	unsigned n = 0;

	if (case_open(r) != 0)
		return -1;
	for (unsigned i = 0; n < COST_SAMPLES && !r->eof && r->bad == 0; i++) {
		uint64_t t0 = rte_rdtsc(), t1, t2;
		unsigned p = prod_steps[r->mode](r, BURST), c = 0;

		t1 = rte_rdtsc();
		while (c < p && !r->eof)
			c += cons_step(r);
		t2 = rte_rdtsc();
		if (p == 0) {
			fail(r, "the producer stalled on an empty channel", 0, 0, 0);
			break;
		}
		/* The first bursts warm the caches and the pool. */
		if (i >= 64) {
			ps[n] = (double)(t1 - t0) / p;
			cs[n] = (double)(t2 - t1) / p;
			n++;
		}
		if (t2 >= t_stop && n >= 64)
			break;
	}
	qsort(ps, n, sizeof(*ps), cmp_double);
	qsort(cs, n, sizeof(*cs), cmp_double);
	x->prod_cycles = n > 0 ? ps[n / 2] : 0;
	x->cons_cycles = n > 0 ? cs[n / 2] : 0;
	case_close(r);
	return 0;
}

/* ---- command line and output ---- */

static int
usage(void)
{
	fprintf(stderr,
		"usage: hso-bench-handoff [--seconds S] [--conns N] [--sizes 64,512,1400,16384]\n"
		"                         [--ring-bytes B] [--mbufs N] [--pool-ops lf_stack|ring_mp_mc]\n"
		"                         [-- EAL options]\n");
	return 2;
}

static bool
parse_sizes(const char *s)
{
	char *end;

	opt_n_sizes = 0;
	while (*s != '\0') {
		unsigned long v = strtoul(s, &end, 10);

		if (end == s || v == 0 || v > PAYLOAD_MAX || opt_n_sizes == SIZES_MAX)
			return false;
		opt_sizes[opt_n_sizes++] = (uint32_t)v;
		s = end;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return false;
	}
	return opt_n_sizes > 0;
}

/* @return the index of "--" (EAL options follow), argc without, -1 bad. */
static int
parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		char *end;

		if (strcmp(a, "--") == 0)
			return i;
		if (i + 1 == argc)
			return -1;
		if (strcmp(a, "--seconds") == 0) {
			opt_seconds = strtod(argv[++i], &end);
			if (*end != '\0' || !(opt_seconds >= 0.01 && opt_seconds <= 3600))
				return -1;
		} else if (strcmp(a, "--conns") == 0) {
			unsigned long v = strtoul(argv[++i], &end, 10);

			if (*end != '\0' || v == 0 || v > 65536)
				return -1;
			opt_conns = (unsigned)v;
		} else if (strcmp(a, "--sizes") == 0) {
			if (!parse_sizes(argv[++i]))
				return -1;
		} else if (strcmp(a, "--ring-bytes") == 0) {
			unsigned long long v = strtoull(argv[++i], &end, 10);

			/* A power of two that holds a burst of the largest records. */
			if (*end != '\0' || v < (1u << 17) || v > (1ull << 30) || (v & (v - 1)) != 0)
				return -1;
			opt_ring_bytes = v;
		} else if (strcmp(a, "--mbufs") == 0) {
			unsigned long v = strtoul(argv[++i], &end, 10);

			/* Room for a full ring, the caches and a burst in flight. */
			if (*end != '\0' || v < 1024 || v > (1ul << 20))
				return -1;
			opt_mbufs = (unsigned)v;
		} else if (strcmp(a, "--pool-ops") == 0) {
			opt_pool_ops = argv[++i];
		} else {
			return -1;
		}
	}
	return argc;
}

/* a / b; 0 when b is (no JSON inf or nan). */
static double
ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static void
print_json(const struct result *res, unsigned n_res, uint32_t ev_max)
{
	double ns = 1e9 / (double)rte_get_tsc_hz();

	printf("{\n  \"bench\": \"handoff\",\n  \"seconds\": %g,\n  \"conns\": %u,\n"
	       "  \"event_payload_max\": %u,\n  \"conn_budget\": %u,\n"
	       "  \"copy_ring_bytes\": %llu,\n  \"mbufs\": %u,\n  \"pool_ops\": \"%s\",\n"
	       "  \"tsc_hz\": %llu,\n  \"cases\": [\n",
	       opt_seconds, opt_conns, ev_max, BUDGET, (unsigned long long)opt_ring_bytes, opt_mbufs,
	       opt_pool_ops,
	       (unsigned long long)rte_get_tsc_hz());
	for (unsigned i = 0; i < n_res; i++) {
		const struct result *x = &res[i];

		printf("    {\"mode\": \"%s\", \"payload\": %u, \"events\": %llu, \"bytes\": %llu, "
		       "\"events_per_s\": %.0f, \"gbyte_per_s\": %.3f, \"gbit_per_s\": %.3f, "
		       "\"p90_events_per_s\": %.0f, \"p90_gbyte_per_s\": %.3f, "
		       "\"producer_ns_per_event\": %.1f, \"consumer_ns_per_event\": %.1f, "
		       "\"stalls_budget\": %llu, \"stalls_ring\": %llu, \"stalls_pool\": %llu}%s\n",
		       mode_names[x->mode], x->payload, (unsigned long long)x->events,
		       (unsigned long long)x->bytes, x->events_per_s, x->gbyte_per_s,
		       x->gbyte_per_s * 8, x->p90_events_per_s, x->p90_gbyte_per_s, x->prod_cycles * ns, x->cons_cycles * ns,
		       (unsigned long long)x->stall_budget, (unsigned long long)x->stall_ring,
		       (unsigned long long)x->stall_pool, i + 1 < n_res ? "," : "");
	}
	/*
	 * Throughput ratios (> 1: hso moves more), over the window and at the
	 * 90th percentile of slices; cost ratios (< 1: hso spends less CPU per
	 * event, both sides together).
	 */
	printf("  ],\n  \"ratios\": [\n");
	for (unsigned s = 0; s < opt_n_sizes; s++) {
		const struct result *x = &res[s * MODE_NUM];
		const struct result *h = &x[MODE_HSO], *c = &x[MODE_COPY_RING], *k = &x[MODE_SOCKET];

		printf("    {\"payload\": %u, \"hso_vs_copy_ring\": %.3f, \"hso_vs_socketpair\": %.3f, "
		       "\"p90_hso_vs_copy_ring\": %.3f, \"p90_hso_vs_socketpair\": %.3f, "
		       "\"cost_hso_vs_copy_ring\": %.3f, \"cost_hso_vs_socketpair\": %.3f}%s\n",
		       opt_sizes[s], ratio(h->gbyte_per_s, c->gbyte_per_s),
		       ratio(h->gbyte_per_s, k->gbyte_per_s),
		       ratio(h->p90_gbyte_per_s, c->p90_gbyte_per_s),
		       ratio(h->p90_gbyte_per_s, k->p90_gbyte_per_s),
		       ratio(h->prod_cycles + h->cons_cycles, c->prod_cycles + c->cons_cycles),
		       ratio(h->prod_cycles + h->cons_cycles, k->prod_cycles + k->cons_cycles),
		       s + 1 < opt_n_sizes ? "," : "");
	}
	printf("  ]\n}\n");
}

int
main(int argc, char **argv)
{
	char prefix[64];
	char *def_eal[] = { argv[0], "--no-huge", "-m", "512", "--no-shconf", "--no-pci",
			    "-l", "0-1", "--file-prefix", prefix, "--no-telemetry",
			    "--log-level=lib.eal:error", NULL };
	int eal_at = parse_args(argc, argv), eal_argc, ret = 1;
	char **eal_argv;
	struct rte_mempool *mp = NULL;
	struct hsod_apps *apps = NULL;
	struct result res[SIZES_MAX * MODE_NUM];
	double *ps = NULL, *cs = NULL;
	struct run r;
	unsigned lcore, n_res = 0;
	char rn[RTE_RING_NAMESIZE];
	uint64_t bad = 0;

	if (eal_at < 0)
		return usage();
	signal(SIGPIPE, SIG_IGN);
	snprintf(prefix, sizeof(prefix), "hsobench%d", (int)getpid());
	if (eal_at < argc) {
		/* argv[eal_at] is "--": EAL's options follow; argv[0] first. */
		argv[eal_at] = argv[0];
		eal_argv = argv + eal_at;
		eal_argc = argc - eal_at;
	} else {
		eal_argv = def_eal;
		eal_argc = (int)(sizeof(def_eal) / sizeof(def_eal[0])) - 1;
	}
	if (rte_eal_init(eal_argc, eal_argv) < 0) {
		printf("skip: DPDK EAL cannot start here (%s)\n", rte_strerror(rte_errno));
		return 77;
	}
	hso_eal_rundir_atexit();        /* a prefix per run: its directory goes at exit */
	lcore = rte_get_next_lcore(-1, 1, 0);
	if (lcore >= RTE_MAX_LCORE) {
		printf("skip: needs two lcores (EAL -l 0-1)\n");
		rte_eal_cleanup();
		return 77;
	}
	src_fill();
	memset(&r, 0, sizeof(r));
	memset(res, 0, sizeof(res));
	r.n_conns = opt_conns;
	r.pc = calloc(opt_conns, sizeof(*r.pc));
	r.cc = calloc(opt_conns, sizeof(*r.cc));
	r.own = malloc(SOCK_CHUNK);
	ps = calloc(COST_SAMPLES, sizeof(*ps));
	cs = calloc(COST_SAMPLES, sizeof(*cs));
	mp = rte_pktmbuf_pool_create_by_ops("bench_mbufs", opt_mbufs, POOL_CACHE, 0,
					    RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id(),
					    opt_pool_ops);
	if (mp == NULL)
		fprintf(stderr, "hso-bench-handoff: mempool (%s): %s\n", opt_pool_ops,
			rte_strerror(rte_errno));
	if (mp != NULL)
		apps = hsod_apps_create(1, opt_conns, mp, false);
	r.br = rte_zmalloc("bench_copy_ring", sizeof(*r.br) + opt_ring_bytes, RTE_CACHE_LINE_SIZE);
	if (r.pc == NULL || r.cc == NULL || r.own == NULL || ps == NULL || cs == NULL ||
	    mp == NULL || apps == NULL || r.br == NULL) {
		fprintf(stderr, "hso-bench-handoff: set-up failed: %s\n",
			mp == NULL ? rte_strerror(rte_errno) : strerror(errno));
		goto out;
	}
	r.br->size = opt_ring_bytes;
	r.br->data = (uint8_t *)(r.br + 1);
	r.mp = mp;
	r.shm = hsod_apps_shm(apps);
	r.fc = hsod_apps_fc(apps);
	r.app = hso_app_attach_inproc("bench", 0);
	snprintf(rn, sizeof(rn), HSO_SHM_EV_FMT, 0u, 0u);
	r.ev = rte_ring_lookup(rn);
	if (r.app == NULL || r.ev == NULL) {
		fprintf(stderr, "hso-bench-handoff: attach failed: %s\n", strerror(errno));
		goto out;
	}
	{
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);

		if (m == NULL)
			goto out;
		r.ev_max = HSO_SHM_PAYLOAD(m);
		rte_pktmbuf_free(m);
	}
	/* Modes interleaved per size, so drift hits all three alike. */
	for (unsigned s = 0; s < opt_n_sizes; s++) {
		for (unsigned md = 0; md < MODE_NUM; md++) {
			struct result *x = &res[n_res++];
			double ns = 1e9 / (double)rte_get_tsc_hz();

			r.mode = (enum mode)md;
			r.payload = opt_sizes[s];
			x->mode = r.mode;
			x->payload = r.payload;
			if (run_throughput(&r, lcore, x, ps, cs) != 0)
				goto out;
			if (r.bad == 0 && run_cost(&r, x, ps, cs) != 0)
				goto out;
			if (r.bad != 0) {
				fprintf(stderr, "hso-bench-handoff: %s, payload %u: %llu bad: %s\n",
					mode_names[md], r.payload, (unsigned long long)r.bad, r.err);
				bad += r.bad;
			}
			fprintf(stderr, "%-10s %6u B %11.0f events/s %7.3f GB/s (p90 %7.3f) | "
				"producer %6.1f ns, consumer %6.1f ns per event\n", mode_names[md],
				r.payload, x->events_per_s, x->gbyte_per_s, x->p90_gbyte_per_s,
				x->prod_cycles * ns, x->cons_cycles * ns);
		}
	}
	print_json(res, n_res, r.ev_max);
	ret = bad == 0 ? 0 : 1;
out:
	if (r.app != NULL)
		hso_app_detach(r.app);
	hsod_apps_free(apps);
	rte_free(r.br);
	rte_mempool_free(mp);
	free(r.pc);
	free(r.cc);
	free(r.own);
	free(ps);
	free(cs);
	rte_eal_cleanup();
	return ret;
}
