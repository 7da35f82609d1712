/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP core: connection table, RFC 9293 segment arrival processing (3.10.7)
 * for passive and active opens, RFC 6056 ephemeral port selection, RFC 6298
 * retransmission, RFC 5681 fast retransmit and congestion window, RFC 5961
 * blind-attack defences, RFC 7323 window scaling, RFC 4987 SYN cookies. See
 * tcp.h for the contract.
 */

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "tcp_priv.h"

#define US_PER_S 1000000ull
/* RFC 6298 5.7: the RTO after a retransmitted SYN(-ACK). */
#define TCP_RTO_AFTER_SYN_US 3000000u

static const char *const tcp_drop_names[TCP_DROP_NUM] = {
	[TCP_DROP_NO_LISTENER] = "no_listener",
	[TCP_DROP_TABLE_FULL] = "table_full",
	[TCP_DROP_BAD_FLAGS] = "bad_flags",
	[TCP_DROP_BAD_OPTIONS] = "bad_options",
	[TCP_DROP_OUT_OF_WINDOW] = "out_of_window",
	[TCP_DROP_BAD_ACK] = "bad_ack",
	[TCP_DROP_RST_INVALID] = "rst_invalid",
	[TCP_DROP_RST_CHALLENGED] = "rst_challenged",
	[TCP_DROP_SYN_CHALLENGED] = "syn_challenged",
	[TCP_DROP_COOKIE_FAILED] = "cookie_failed",
	[TCP_DROP_DUPLICATE] = "duplicate",
	[TCP_DROP_OOO_FULL] = "ooo_full",
	[TCP_DROP_WINDOW_TRIM] = "window_trim",
	[TCP_DROP_STATE] = "state",
	[TCP_DROP_OUT_FULL] = "out_full",
	[TCP_DROP_CHALLENGE_LIMIT] = "challenge_limit",
	[TCP_DROP_NO_BUF] = "no_buf",
	[TCP_DROP_BUF_BUDGET] = "buf_budget",
};

static const char *const tcp_state_names[TCP_STATE_NUM] = {
	[TCP_CLOSED] = "CLOSED",
	[TCP_SYN_RCVD] = "SYN_RCVD",
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[TCP_FIN_WAIT_2] = "FIN_WAIT_2",
	[TCP_CLOSING] = "CLOSING",
	[TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_SYN_SENT] = "SYN_SENT",
};

const char *
tcp_drop_name(enum tcp_drop d)
{
	return (unsigned)d < TCP_DROP_NUM ? tcp_drop_names[d] : "?";
}

const char *
tcp_state_name(enum tcp_state s)
{
	return (unsigned)s < TCP_STATE_NUM ? tcp_state_names[s] : "?";
}

const char *
tcp_drop_elem(unsigned i)
{
	return i < TCP_DROP_NUM ? tcp_drop_names[i] : NULL;
}

const char *
tcp_state_elem(unsigned i)
{
	return i < TCP_STATE_NUM && i != TCP_CLOSED ? tcp_state_names[i] : NULL;
}

void
tcp_config_init(struct tcp_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_conns = 1024;
	cfg->max_half_open = 256;
	cfg->max_time_wait = 256;
	/* Windows cost nothing until data is in flight: they bound it. */
	cfg->rx_buf_size = 65536;
	cfg->tx_buf_size = 262144;
	cfg->mss = 1460;
	cfg->syn_cookies = true;
	cfg->rto_init_us = 1000000;
	cfg->rto_min_us = 200000;
	cfg->rto_max_us = 60000000;
	cfg->max_retries = 8;
	cfg->syn_retries = 4;
	cfg->delack_us = 40000;
	cfg->handshake_timeout_us = 10 * US_PER_S;
	cfg->idle_timeout_us = 120 * US_PER_S;
	cfg->fin_wait2_us = 30 * US_PER_S;
	cfg->time_wait_us = 5 * US_PER_S;
	cfg->timer_tick_us = 1000;
	cfg->timer_slots = 4096;
	cfg->out_max = 1024;
	cfg->challenge_ack_limit = 1000;
	cfg->connect_tries = 64;
}

static inline uint32_t
min_u32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t
pow2_ceil(uint32_t v)
{
	uint32_t n = 1;

	while (n < v)
		n <<= 1;
	return n;
}

static int
drop(struct tcp_tbl *t, enum tcp_drop why)
{
	t->stats.drops[why]++;
	return (int)why + 1;
}

/* ---------------------------------------------------------------- table */

/* Zeroed address space; memory comes as pages are first written. */
static void *
lazy_zalloc(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

size_t
tcp_tbl_mem_size(const struct tcp_config *cfg)
{
	/* Every slot and bucket touched: what max_conns may come to. */
	return sizeof(struct tcp_tbl) + (size_t)cfg->max_conns * sizeof(struct tcp_conn) +
	       (size_t)pow2_ceil(2 * cfg->max_conns) * sizeof(((struct tcp_tbl *)0)->hash[0]) +
	       (size_t)cfg->out_max * sizeof(struct tcp_seg_out) +
	       ((size_t)pow2_ceil(cfg->timer_slots) +
		(TCP_WHEEL_LEVELS - 1) * (1u << TCP_WHEEL_UP_BITS)) * sizeof(struct tcp_timer *);
}

struct tcp_tbl *
tcp_tbl_create(const struct tcp_config *cfg)
{
	struct tcp_tbl *t;
	uint8_t secret[48];
	int rc;

	if (cfg == NULL || cfg->max_conns == 0 || cfg->max_conns > (1u << 24) ||
	    cfg->rx_buf_size < 2u * cfg->mss || cfg->tx_buf_size == 0 ||
	    cfg->rx_buf_size > (1u << 30) || cfg->tx_buf_size > (1u << 30) ||
	    cfg->mss < 64 || cfg->out_max == 0 || cfg->rto_min_us == 0 ||
	    cfg->rto_max_us < cfg->rto_min_us || cfg->timer_tick_us == 0 ||
	    cfg->buf_ops.alloc == NULL || cfg->buf_ops.release == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *cfg;
	if (cfg->fixed_secret) {
		memcpy(secret, cfg->secret, sizeof(secret));
	} else if (getrandom(secret, sizeof(secret), 0) != (ssize_t)sizeof(secret)) {
		rc = errno != 0 ? errno : EIO;
		free(t);
		errno = rc;
		return NULL;
	}
	memcpy(t->isn_key, secret, 16);
	memcpy(t->cookie_key, secret + 16, 16);
	memcpy(t->hash_key, secret + 32, 16);
	{
		/* A key of its own for RFC 6056 offsets, derived (PRF) from hash_key. */
		uint64_t k0 = tcp_siphash24(t->hash_key, "hso rfc6056 F k0", 16);
		uint64_t k1 = tcp_siphash24(t->hash_key, "hso rfc6056 F k1", 16);

		memcpy(t->eph_key, &k0, 8);
		memcpy(t->eph_key + 8, &k1, 8);
	}
	memset(secret, 0, sizeof(secret));
	memset(t->cfg.secret, 0, sizeof(t->cfg.secret));

	t->rx_cap = cfg->rx_buf_size;
	t->tx_cap = cfg->tx_buf_size;
	if (t->cfg.rx_bufs_max == 0)
		t->cfg.rx_bufs_max = 2 * ((cfg->rx_buf_size + cfg->mss - 1) / cfg->mss) + 8;
	/* RFC 7323 2.3: the smallest shift that lets the window cover the buffer. */
	while (t->rcv_wscale < TCP_WSCALE_MAX && (t->rx_cap >> t->rcv_wscale) > 65535)
		t->rcv_wscale++;
	/*
	 * Slots: address space only, backed by memory as they are first used
	 * (free list first, then the high-water mark): resident memory follows
	 * the connections actually held, not max_conns.
	 */
	t->conns_len = (size_t)cfg->max_conns * sizeof(*t->conns);
	t->conns = lazy_zalloc(t->conns_len);
	if (t->conns == NULL)
		goto nomem;
	t->hash_mask = pow2_ceil(2 * cfg->max_conns) - 1;
	/* Zero pages mapped, not written: touched as buckets fill (calloc may
	 * write them all, e.g. with MALLOC_PERTURB_). */
	t->hash = lazy_zalloc(((size_t)t->hash_mask + 1) * sizeof(*t->hash));
	t->out = calloc(cfg->out_max, sizeof(*t->out));
	if (t->hash == NULL || t->out == NULL)
		goto nomem;
	rc = tcp_wheel_init(&t->wheel, cfg->timer_slots, cfg->timer_tick_us, 0);
	if (rc < 0)
		goto nomem;
	t->tw_tail = &t->tw_head;
	return t;
nomem:
	tcp_tbl_free(t);
	errno = ENOMEM;
	return NULL;
}

static void buf_put(struct tcp_tbl *t, struct tcp_buf *b);
static void bufs_put(struct tcp_tbl *t, struct tcp_buf **head);

void
tcp_tbl_free(struct tcp_tbl *t)
{
	if (t == NULL)
		return;
	/* Every buffer still held goes back to its owner's pool. */
	tcp_tbl_output_clear(t);
	for (uint32_t i = 0; t->conns != NULL && i < t->hwm; i++) {
		struct tcp_conn *c = &t->conns[i];

		bufs_put(t, &c->rx_head);
		bufs_put(t, &c->ooo_head);
		bufs_put(t, &c->tx_head);
	}
	tcp_wheel_fini(&t->wheel);
	if (t->conns != NULL)
		munmap(t->conns, t->conns_len);
	if (t->hash != NULL)
		munmap(t->hash, ((size_t)t->hash_mask + 1) * sizeof(*t->hash));
	free(t->out);
	free(t->src_addrs);
	free(t->src_addrs6);
	memset(t, 0, sizeof(*t));
	free(t);
}

int
tcp_tbl_listen(struct tcp_tbl *t, uint16_t port)
{
	for (unsigned i = 0; i < t->n_listen; i++)
		if (t->listen[i] == port)
			return -EEXIST;
	if (t->n_listen == TCP_LISTEN_MAX)
		return -ENOSPC;
	t->listen[t->n_listen++] = port;
	return 0;
}

int
tcp_tbl_unlisten(struct tcp_tbl *t, uint16_t port)
{
	for (unsigned i = 0; i < t->n_listen; i++) {
		if (t->listen[i] == port) {
			t->listen[i] = t->listen[--t->n_listen];
			return 0;
		}
	}
	return -ENOENT;
}

static bool
is_listening(const struct tcp_tbl *t, uint16_t port)
{
	for (unsigned i = 0; i < t->n_listen; i++)
		if (t->listen[i] == port)
			return true;
	return false;
}

const struct tcp_stats *
tcp_tbl_stats(const struct tcp_tbl *t)
{
	return &t->stats;
}

/* ------------------------------------------------------ 4-tuple hashing */

static bool
tuple_eq(const struct tcp_tuple *a, const struct tcp_tuple *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr &&
	       a->lport == b->lport && a->rport == b->rport && a->v6 == b->v6 &&
	       (!a->v6 || (memcmp(a->laddr6, b->laddr6, 16) == 0 &&
			   memcmp(a->raddr6, b->raddr6, 16) == 0));
}

/* Our MSS on @p tu's family: an IPv6 header is 20 bytes longer than IPv4's. */
static inline uint16_t
mss_of(const struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	return (uint16_t)(t->cfg.mss - (tu->v6 ? TCP_MSS_V6_LESS : 0));
}

/*
 * A bucket holds 1 + the slot index in its low 32 bits (0: empty) and the
 * low 32 bits of the tuple's hash in its high 32 bits. A probe compares the
 * stored hash before it reads a slot, and deletion finds a bucket's home
 * from it: with a million connections the slots are spread over hundreds of
 * MB, and reading the tuple of every connection on the probe path (1.5
 * slots per hit, 2.5 per miss at half load) cost a cache and TLB miss each.
 */
static inline uint64_t
bucket_make(uint32_t h32, uint32_t idx)
{
	return ((uint64_t)h32 << 32) | (idx + 1);
}

static inline uint32_t
bucket_slot(uint64_t b)
{
	return (uint32_t)b;         /* 1 + index, 0: empty */
}

static inline uint32_t
bucket_hash(uint64_t b)
{
	return (uint32_t)(b >> 32);
}

static inline uint32_t
tuple_h32(const struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	return (uint32_t)tcp_tuple_hash(t->hash_key, tu, NULL, 0);
}

struct tcp_conn *
tcp_tbl_lookup(struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	uint32_t h32;

	/* A burst of segments is mostly one flow's: the last one found first. */
	if (t->last != NULL && tuple_eq(&t->last->tuple, tu))
		return t->last;
	h32 = tuple_h32(t, tu);
	/* Open addressing, linear probing; the table is at most half full. */
	for (uint32_t i = h32 & t->hash_mask; bucket_slot(t->hash[i]) != 0;
	     i = (i + 1) & t->hash_mask) {
		struct tcp_conn *c;

		if (bucket_hash(t->hash[i]) != h32)
			continue;
		c = &t->conns[bucket_slot(t->hash[i]) - 1];
		if (tuple_eq(&c->tuple, tu)) {
			t->last = c;
			return c;
		}
	}
	return NULL;
}

/* Buckets of up to 2 MiB (a core's L2 on current x86) are left to the cache. */
#define TCP_PREFETCH_MIN_BUCKETS ((2u << 20) / sizeof(uint64_t))

void
tcp_tbl_prefetch(const struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	if (t->hash_mask < TCP_PREFETCH_MIN_BUCKETS)
		return;
	__builtin_prefetch(&t->hash[tuple_h32(t, tu) & t->hash_mask]);
}

static void
hash_insert(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint32_t h32 = tuple_h32(t, &c->tuple);
	uint32_t i = h32 & t->hash_mask;

	c->hhome = i;
	while (bucket_slot(t->hash[i]) != 0)
		i = (i + 1) & t->hash_mask;
	t->hash[i] = bucket_make(h32, c->idx);
}

static void
hash_remove(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (t->last == c)
		t->last = NULL;
	uint32_t m = t->hash_mask, i = c->hhome, j;

	while (bucket_slot(t->hash[i]) != c->idx + 1) {
		if (bucket_slot(t->hash[i]) == 0)
			return;
		i = (i + 1) & m;
	}
	/* Backward-shift deletion: no tombstones, probes stay short. */
	for (j = (i + 1) & m; bucket_slot(t->hash[j]) != 0; j = (j + 1) & m) {
		uint32_t k = bucket_hash(t->hash[j]) & m;

		/* Move j into the hole at i unless its home lies in (i, j]. */
		if (((j - k) & m) >= ((j - i) & m)) {
			t->hash[i] = t->hash[j];
			i = j;
		}
	}
	t->hash[i] = 0;
}

/* ---------------------------------------------------------------- events */

/*
 * Connections with pending events form a FIFO through ev_next (no array
 * sized by max_conns). A connection released or freed while on it stays
 * linked (removal is lazy): its bits are cleared and the burst skips it.
 */
static void
ev_push(struct tcp_tbl *t, struct tcp_conn *c, uint32_t bits)
{
	if (!(c->flags & TCP_CF_ACCEPTED) || (c->flags & TCP_CF_RELEASED))
		return;
	c->ev_bits |= (uint8_t)bits;
	if (c->flags & TCP_CF_IN_EV)
		return;
	c->flags |= TCP_CF_IN_EV;
	c->ev_next = 0;
	if (t->ev_tail != 0)
		t->conns[t->ev_tail - 1].ev_next = c->idx + 1;
	else
		t->ev_head = c->idx + 1;
	t->ev_tail = c->idx + 1;
}

unsigned
tcp_tbl_event_burst(struct tcp_tbl *t, struct tcp_event *ev, unsigned max)
{
	unsigned n = 0;

	while (n < max && t->ev_head != 0) {
		struct tcp_conn *c = &t->conns[t->ev_head - 1];

		t->ev_head = c->ev_next;
		if (t->ev_head == 0)
			t->ev_tail = 0;
		c->flags &= (uint16_t)~TCP_CF_IN_EV;
		c->ev_next = 0;
		if (c->ev_bits == 0 || (c->flags & TCP_CF_RELEASED))
			continue;
		ev[n].handle = tcp_conn_handle(c);
		ev[n].user = c->user;
		ev[n].events = c->ev_bits;
		c->ev_bits = 0;
		n++;
	}
	return n;
}

/* ----------------------------------------------------------- connections */

uint64_t
tcp_conn_handle(const struct tcp_conn *c)
{
	return ((uint64_t)c->gen << 32) | c->idx;
}

/* A slot in use: a live connection, or one over that its owner still holds. */
static bool
slot_used(const struct tcp_conn *c)
{
	return c->state != TCP_CLOSED || (c->flags & TCP_CF_CLOSED_EV);
}

struct tcp_conn *
tcp_tbl_conn_get(struct tcp_tbl *t, uint64_t handle)
{
	uint32_t idx = (uint32_t)handle;
	struct tcp_conn *c;

	if (idx >= t->hwm)
		return NULL;
	c = &t->conns[idx];
	if (c->gen != (uint32_t)(handle >> 32) || !slot_used(c) ||
	    !(c->flags & TCP_CF_ACCEPTED) || (c->flags & TCP_CF_RELEASED))
		return NULL;
	return c;
}

bool
tcp_conn_over(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_CLOSED_EV) != 0;
}

size_t
tcp_tbl_conn_bytes(const struct tcp_tbl *t)
{
	/* The hash has two buckets per slot (open addressing, half full at most),
	 * each a slot index and the tuple's hash. */
	return sizeof(struct tcp_conn) +
	       (((size_t)t->hash_mask + 1) / t->cfg.max_conns) * sizeof(*t->hash);
}

uint32_t
tcp_tbl_touched(const struct tcp_tbl *t)
{
	return t->hwm;
}

enum tcp_state
tcp_conn_state(const struct tcp_conn *c)
{
	return (enum tcp_state)c->state;
}

const struct tcp_tuple *
tcp_conn_tuple(const struct tcp_conn *c)
{
	return &c->tuple;
}

void
tcp_conn_set_user(struct tcp_conn *c, void *user)
{
	c->user = user;
}

void *
tcp_conn_user(const struct tcp_conn *c)
{
	return c->user;
}

static void tw_unlink(struct tcp_tbl *t, struct tcp_conn *c);
static void conn_free(struct tcp_tbl *t, struct tcp_conn *c, bool reset);

static void
set_state(struct tcp_tbl *t, struct tcp_conn *c, enum tcp_state s)
{
	uint64_t now = t->now_us;

	if (c->state != TCP_CLOSED)
		t->stats.conns[c->state]--;
	if (s != TCP_CLOSED)
		t->stats.conns[s]++;
	if (c->state == TCP_SYN_RCVD)
		t->n_half_open--;
	if (c->state == TCP_TIME_WAIT)
		tw_unlink(t, c);
	c->state = (uint8_t)s;
	switch (s) {
	case TCP_SYN_RCVD:
		t->n_half_open++;
		c->life_at = now + t->cfg.handshake_timeout_us;
		break;
	case TCP_SYN_SENT:
		c->life_at = now + t->cfg.handshake_timeout_us;
		break;
	case TCP_FIN_WAIT_2:
		c->life_at = now + t->cfg.fin_wait2_us;
		break;
	case TCP_TIME_WAIT:
		/* The owner is done with it: it hears CLOSED now (and may release). */
		ev_push(t, c, TCP_EV_CLOSED);
		c->flags |= TCP_CF_CLOSED_EV;
		c->life_at = now + t->cfg.time_wait_us;
		c->rto_at = 0;
		c->dack_at = 0;
		c->tw_next = NULL;
		c->tw_pprev = t->tw_tail;
		*t->tw_tail = c;
		t->tw_tail = &c->tw_next;
		t->n_time_wait++;
		/* TIME_WAIT cannot exhaust the table: past the cap, the oldest goes. */
		if (t->n_time_wait > t->cfg.max_time_wait && t->tw_head != c) {
			t->stats.time_wait_reused++;
			conn_free(t, t->tw_head, false);
		}
		break;
	default:
		c->life_at = t->cfg.idle_timeout_us != 0 ?
			     c->last_rx_us + t->cfg.idle_timeout_us : 0;
		break;
	}
}

static void
tw_unlink(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (c->tw_pprev == NULL)
		return;
	*c->tw_pprev = c->tw_next;
	if (c->tw_next != NULL)
		c->tw_next->tw_pprev = c->tw_pprev;
	else
		t->tw_tail = c->tw_pprev;
	c->tw_next = NULL;
	c->tw_pprev = NULL;
	t->n_time_wait--;
}

/* ------------------------------------------------------------- buffers */

/*
 * A buffer goes back to its owner, unless an output segment still points
 * into it: then at tcp_tbl_output_clear().
 */
static void
buf_put(struct tcp_tbl *t, struct tcp_buf *b)
{
	t->stats.bufs_held--;
	if (b->refs > 0) {
		b->flags |= TCP_BF_DEFERRED;
		b->next = t->deferred;
		t->deferred = b;
		return;
	}
	t->cfg.buf_ops.release(t->cfg.buf_ops.ctx, b);
}

static void
bufs_put(struct tcp_tbl *t, struct tcp_buf **head)
{
	struct tcp_buf *b = *head;

	*head = NULL;
	while (b != NULL) {
		struct tcp_buf *next = b->next;

		buf_put(t, b);
		b = next;
	}
}

/* A buffer from the owner's pool for TCP's own copies, or NULL. */
static struct tcp_buf *
buf_get(struct tcp_tbl *t, uint32_t want)
{
	struct tcp_buf *b = t->cfg.buf_ops.alloc(t->cfg.buf_ops.ctx, want);

	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->len = 0;
	b->refs = 0;
	b->flags = 0;
	if (b->cap == 0) {
		t->cfg.buf_ops.release(t->cfg.buf_ops.ctx, b);
		return NULL;
	}
	t->stats.bufs_held++;
	return b;
}

/* What the connection holds that nobody will read: out of order, and to send. */
static void
conn_drop_bufs(struct tcp_tbl *t, struct tcp_conn *c)
{
	bufs_put(t, &c->ooo_head);
	c->n_ooo = 0;
	bufs_put(t, &c->tx_head);
	c->tx_tail = NULL;
	c->tx_cur = NULL;
	c->tx_len = 0;
	c->n_tx = 0;
}

/* ----------------------------------------------------------- slot life */

/* The slot back to the free list: nothing of the connection is left. */
static void
slot_free(struct tcp_tbl *t, struct tcp_conn *c)
{
	bufs_put(t, &c->rx_head);
	c->rx_tail = NULL;
	c->n_rx = 0;
	conn_drop_bufs(t, c);
	tcp_wheel_cancel(&c->timer);
	c->gen++;
	/* Still on the event list (lazily removed): it stays linked. */
	c->flags &= TCP_CF_IN_EV;
	c->ev_bits = 0;
	c->user = NULL;
	c->hnext = t->free_head;
	t->free_head = c->idx + 1;
	t->n_conns--;
}

/*
 * The connection ends (reset, timed out, closed, TIME_WAIT over): out of
 * the hash and the timers, its output dropped. An owner that knew it
 * hears CLOSED (unless it did at TIME_WAIT) and keeps the slot, with the
 * data that came before the end, until tcp_conn_release(); otherwise the
 * slot is free at once.
 */
static void
conn_free(struct tcp_tbl *t, struct tcp_conn *c, bool reset)
{
	if (c->state == TCP_CLOSED)
		return;
	if (!(c->flags & TCP_CF_CLOSED_EV)) {
		ev_push(t, c, TCP_EV_CLOSED | (reset ? TCP_EV_RESET : 0) |
			      ((c->flags & TCP_CF_TIMEOUT) ? TCP_EV_TIMEOUT : 0));
		c->flags |= TCP_CF_CLOSED_EV;
	}
	set_state(t, c, TCP_CLOSED);
	hash_remove(t, c);
	tcp_wheel_cancel(&c->timer);
	conn_drop_bufs(t, c);
	t->stats.closed++;
	if (!(c->flags & TCP_CF_ACCEPTED) || (c->flags & TCP_CF_RELEASED))
		slot_free(t, c);
}

/* A free slot, else the oldest TIME_WAIT connection's, else NULL. */
static struct tcp_conn *
conn_alloc(struct tcp_tbl *t)
{
	struct tcp_conn *c;
	uint32_t gen, idx, ev_next;
	uint16_t in_ev;

	if (t->free_head == 0 && t->hwm == t->cfg.max_conns) {
		if (t->tw_head == NULL)
			return NULL;
		t->stats.time_wait_reused++;
		conn_free(t, t->tw_head, false);
		/* Its owner may still hold it (not released yet): no slot then. */
		if (t->free_head == 0)
			return NULL;
	}
	if (t->free_head != 0) {
		c = &t->conns[t->free_head - 1];
		t->free_head = c->hnext;
		idx = c->idx;
	} else {
		idx = t->hwm++;
		c = &t->conns[idx];     /* first touch of this slot */
	}
	gen = c->gen;
	in_ev = c->flags & TCP_CF_IN_EV;
	ev_next = c->ev_next;
	memset(c, 0, sizeof(*c));
	c->idx = idx;
	c->gen = gen;
	c->flags = in_ev;
	c->ev_next = ev_next;
	t->n_conns++;
	return c;
}

/* ---------------------------------------------------------------- output */

const struct tcp_seg_out *
tcp_tbl_output(const struct tcp_tbl *t, unsigned *n)
{
	*n = t->n_out;
	return t->out;
}

void
tcp_tbl_output_clear(struct tcp_tbl *t)
{
	/* The segments are built: their buffers may go once nothing else needs them. */
	for (uint32_t i = 0; i < t->n_out; i++)
		for (unsigned k = 0; k < t->out[i].n_pieces; k++)
			t->out[i].piece[k].buf->refs--;
	t->n_out = 0;
	while (t->deferred != NULL) {
		struct tcp_buf *b = t->deferred;

		t->deferred = b->next;
		b->flags &= (uint16_t)~TCP_BF_DEFERRED;
		t->cfg.buf_ops.release(t->cfg.buf_ops.ctx, b);
	}
}

static struct tcp_seg_out *
out_new(struct tcp_tbl *t, const struct tcp_tuple *tu)
{
	struct tcp_seg_out *s;

	if (t->n_out == t->cfg.out_max) {
		drop(t, TCP_DROP_OUT_FULL);
		return NULL;
	}
	s = &t->out[t->n_out++];
	memset(s, 0, sizeof(*s));
	s->tuple = *tu;
	t->stats.tx_segs++;
	return s;
}

static uint32_t
rcv_data_end(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_FIN_RCVD) ? c->rcv_nxt - 1 : c->rcv_nxt;
}

/* The window field for a segment, advancing rcv_adv (never moving it left). */
static uint16_t
rcv_window(struct tcp_tbl *t, struct tcp_conn *c, bool syn)
{
	uint32_t space = t->rx_cap - (rcv_data_end(c) - c->rx_rd_seq);
	uint8_t shift = syn ? 0 : c->rcv_wscale;
	uint32_t w = space >> shift;
	uint32_t edge;

	/* RFC 7323 2.2: "The window field in a segment where the SYN bit is
	 * set (i.e., a <SYN> or <SYN,ACK>) MUST NOT be scaled." */
	if (w > 65535)
		w = 65535;
	edge = c->rcv_nxt + (w << shift);
	if (tcp_seq_lt(c->rcv_adv, edge))
		c->rcv_adv = edge;
	return (uint16_t)w;
}

/*
 * A segment of @c: up to @n bytes of its send buffers from @seq, as pieces
 * (at most TCP_SEG_PIECES: the segment may come out shorter, and then
 * loses a FIN asked for, which belonged after the last byte). Callers take
 * the length from the segment.
 */
static struct tcp_seg_out *
out_conn(struct tcp_tbl *t, struct tcp_conn *c, uint8_t flags, uint32_t seq, uint32_t n)
{
	struct tcp_seg_out *s = out_new(t, &c->tuple);

	if (s == NULL)
		return NULL;
	s->seq = seq;
	s->flags = flags;
	if (flags & TCP_FLAG_ACK) {
		s->ack = c->rcv_nxt;
		c->flags &= (uint16_t)~TCP_CF_ACK_NOW;
		c->dack_at = 0;
		c->rcv_unacked = 0;
	}
	s->window = rcv_window(t, c, false);
	if (s->window == 0 && !(flags & TCP_FLAG_RST))
		t->stats.zero_window_sent++;
	if (n > 0) {
		struct tcp_buf *b = c->tx_cur;

		/* The buffer holding @seq: from the hint when it is not past it. */
		if (b == NULL || tcp_seq_lt(seq, b->seq))
			b = c->tx_head;
		while (b != NULL && tcp_seq_le(b->seq + b->len, seq))
			b = b->next;
		while (b != NULL && n > 0 && s->n_pieces < TCP_SEG_PIECES) {
			uint32_t off = seq - b->seq;
			uint32_t k = min_u32(n, b->len - off);
			struct tcp_piece *pc = &s->piece[s->n_pieces++];

			pc->buf = b;
			pc->data = b->data + off;
			pc->len = k;
			b->refs++;
			s->len += k;
			seq += k;
			n -= k;
			c->tx_cur = b;
			b = b->next;
		}
		if (n > 0)
			s->flags &= (uint8_t)~TCP_FLAG_FIN;
	}
	return s;
}

static void
out_ack(struct tcp_tbl *t, struct tcp_conn *c)
{
	/*
	 * A pure ACK carries the next new sequence number (SND.MAX), not
	 * SND.NXT: after an RTO SND.NXT goes back to SND.UNA, and an ACK
	 * numbered there is below what the peer already received, so a peer
	 * checking RFC 9293 3.10.7.4 strictly drops it and its acknowledgment
	 * with it (two such peers retransmitting at once never hear each
	 * other). BSD's tcp_output() does the same for the same reason.
	 */
	out_conn(t, c, TCP_FLAG_ACK, c->snd_max, 0);
}

static void
out_synack(struct tcp_tbl *t, struct tcp_conn *c)
{
	struct tcp_seg_out *s = out_new(t, &c->tuple);

	if (s == NULL)
		return;
	s->seq = c->iss;
	s->ack = c->rcv_nxt;
	s->flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
	s->window = rcv_window(t, c, true);
	s->opts[0] = 2;
	s->opts[1] = 4;
	s->opts[2] = (uint8_t)(mss_of(t, &s->tuple) >> 8);
	s->opts[3] = (uint8_t)mss_of(t, &s->tuple);
	s->opt_len = 4;
	/* RFC 7323 2.2: a SYN-ACK carries the option only if the SYN did. */
	if (c->flags & TCP_CF_WSCALE) {
		s->opts[4] = 1;
		s->opts[5] = 3;
		s->opts[6] = 3;
		s->opts[7] = c->rcv_wscale;
		s->opt_len = 8;
	}
	c->synack_us = t->now_us;
}

/* Our SYN (active open), first or retransmitted. */
static void
out_syn(struct tcp_tbl *t, struct tcp_conn *c)
{
	struct tcp_seg_out *s = out_new(t, &c->tuple);

	if (s == NULL)
		return;
	s->seq = c->iss;
	s->flags = TCP_FLAG_SYN;
	/* RFC 7323 2.2: a SYN's window is never scaled. */
	s->window = (uint16_t)min_u32(t->rx_cap, 65535);
	/* RFC 9293 3.7.1: "TCP implementations SHOULD send an MSS Option in
	 * every SYN segment"; RFC 7323 2.2: window scale offered in the SYN
	 * (shift 0 still lets the peer scale its windows). */
	s->opts[0] = 2;
	s->opts[1] = 4;
	s->opts[2] = (uint8_t)(mss_of(t, &s->tuple) >> 8);
	s->opts[3] = (uint8_t)mss_of(t, &s->tuple);
	s->opts[4] = 1;
	s->opts[5] = 3;
	s->opts[6] = 3;
	s->opts[7] = t->rcv_wscale;
	s->opt_len = 8;
	c->synack_us = t->now_us;
}

/* RST answering a segment that has no connection (RFC 9293 3.10.7.1). */
static void
out_rst_reply(struct tcp_tbl *t, const struct tcp_seg *seg)
{
	struct tcp_seg_out *s = out_new(t, &seg->tuple);

	if (s == NULL)
		return;
	t->stats.resets_sent++;
	if (seg->flags & TCP_FLAG_ACK) {
		/* "If the ACK bit is on, <SEQ=SEG.ACK><CTL=RST>" */
		s->seq = seg->ack;
		s->flags = TCP_FLAG_RST;
	} else {
		/* "If the ACK bit is off, sequence number zero is used,
		 * <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>" */
		s->seq = 0;
		s->ack = seg->seq + seg->len + !!(seg->flags & TCP_FLAG_SYN) +
			 !!(seg->flags & TCP_FLAG_FIN);
		s->flags = TCP_FLAG_RST | TCP_FLAG_ACK;
	}
}

static void
out_rst_conn(struct tcp_tbl *t, struct tcp_conn *c)
{
	struct tcp_seg_out *s = out_new(t, &c->tuple);

	if (s == NULL)
		return;
	t->stats.resets_sent++;
	/* RFC 9293 3.10.5 ABORT: "<SEQ=SND.NXT><CTL=RST>" */
	s->seq = c->snd_max;
	s->flags = TCP_FLAG_RST;
}

/* RFC 5961 3.2 / 4.2 challenge ACK, rate limited per table (RFC 5961 7). */
static void
out_challenge_ack(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint64_t epoch = t->now_us / US_PER_S;

	if (epoch != t->chack_epoch) {
		t->chack_epoch = epoch;
		t->chack_count = 0;
	}
	if (t->chack_count >= t->cfg.challenge_ack_limit) {
		drop(t, TCP_DROP_CHALLENGE_LIMIT);
		return;
	}
	t->chack_count++;
	t->stats.challenge_acks++;
	out_ack(t, c);
}

/* ---------------------------------------------------------------- timers */

static void
timer_sync(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint64_t next = 0;
	uint64_t d[3] = { c->rto_at, c->dack_at, c->life_at };

	for (unsigned i = 0; i < 3; i++)
		if (d[i] != 0 && (next == 0 || d[i] < next))
			next = d[i];
	if (next == 0) {
		tcp_wheel_cancel(&c->timer);
		return;
	}
	/* A later deadline leaves the timer early; it re-arms when it fires. */
	if (!tcp_timer_armed(&c->timer) || next < c->timer.expire_us)
		tcp_wheel_insert(&t->wheel, &c->timer, next);
}

static uint32_t
unsent_bytes(const struct tcp_conn *c)
{
	uint32_t end = c->tx_seq + c->tx_len;

	return tcp_seq_lt(c->snd_nxt, end) ? end - c->snd_nxt : 0;
}

static bool
fin_acked(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_FIN_QUEUED) &&
	       c->snd_una == c->tx_seq + c->tx_len + 1;
}

static bool
can_send_data(const struct tcp_conn *c)
{
	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		return true;
	default:
		return false;
	}
}

/* Send what the windows allow, then an ACK if one is still owed. */
static void
conn_output(struct tcp_tbl *t, struct tcp_conn *c)
{
	bool blocked = false;

	if (can_send_data(c)) {
		for (;;) {
			uint32_t end = c->tx_seq + c->tx_len;
			uint32_t unsent = unsent_bytes(c);
			uint32_t wnd = min_u32(c->snd_wnd, c->cwnd);
			uint32_t right = c->snd_una + wnd;
			uint32_t usable = tcp_seq_lt(c->snd_nxt, right) ? right - c->snd_nxt : 0;
			uint32_t n = min_u32(min_u32(unsent, usable), c->mss);
			bool fin = (c->flags & TCP_CF_FIN_QUEUED) && c->snd_nxt + n == end;
			struct tcp_seg_out *s;

			if (n == 0 && !fin)
				break;
			/* Sender SWS avoidance (RFC 9293 3.8.6.2.1): a full
			 * segment, all that is queued, or half the largest
			 * window the peer offered. */
			if (n > 0 && n < unsent && n < c->mss && n < c->max_snd_wnd / 2 &&
			    c->snd_nxt != c->snd_una)
				break;
			s = out_conn(t, c, (uint8_t)(TCP_FLAG_ACK | (n > 0 ? TCP_FLAG_PSH : 0) |
				     (fin ? TCP_FLAG_FIN : 0)), c->snd_nxt, n);
			if (s == NULL) {
				blocked = true;
				break;
			}
			/* The pieces may have cut it short (and taken its FIN off). */
			n = s->len;
			fin = (s->flags & TCP_FLAG_FIN) != 0;
			if (tcp_seq_lt(c->snd_nxt, c->snd_max)) {
				t->stats.retransmits++;
			} else if (!(c->flags & TCP_CF_RTT)) {
				c->flags |= TCP_CF_RTT;
				c->rtt_seq = c->snd_nxt;
				c->rtt_start_us = t->now_us;
			}
			c->snd_nxt += n + fin;
			c->snd_max = tcp_seq_max(c->snd_max, c->snd_nxt);
			if (fin)
				break;
		}
	}
	if (c->flags & TCP_CF_ACK_NOW)
		out_ack(t, c);
	/* RFC 6298 5.1: "Every time a packet containing data is sent
	 * (including a retransmission), if the timer is not running, start it
	 * running so that it will expire after RTO seconds". */
	if (c->state != TCP_SYN_RCVD && c->state != TCP_SYN_SENT && c->rto_at == 0 &&
	    (c->snd_max != c->snd_una ||
	     (unsent_bytes(c) > 0 && (c->snd_wnd == 0 || blocked))))
		c->rto_at = t->now_us + c->rto_us;
	timer_sync(t, c);
}

static void
rtt_sample(struct tcp_tbl *t, struct tcp_conn *c, uint64_t r64)
{
	uint32_t r = r64 > UINT32_MAX / 8 ? UINT32_MAX / 8 : (uint32_t)r64;
	uint32_t k;
	uint64_t rto;

	if (c->srtt_us == 0) {
		/* RFC 6298 2.2: SRTT <- R, RTTVAR <- R/2 */
		c->srtt_us = r > 0 ? r : 1;
		c->rttvar_us = r / 2;
	} else {
		/* 2.3: RTTVAR <- 3/4 RTTVAR + 1/4 |SRTT - R'|, SRTT <- 7/8 SRTT + 1/8 R' */
		uint32_t delta = c->srtt_us > r ? c->srtt_us - r : r - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + delta) / 4;
		c->srtt_us = (7 * c->srtt_us + r) / 8;
		if (c->srtt_us == 0)
			c->srtt_us = 1;
	}
	/* RTO <- SRTT + max (G, K*RTTVAR), K = 4, G the clock granularity. */
	k = 4 * c->rttvar_us;
	rto = (uint64_t)c->srtt_us + (k > t->cfg.timer_tick_us ? k : t->cfg.timer_tick_us);
	/* 2.4: "Whenever RTO is computed, if it is less than 1 second, then
	 * the RTO SHOULD be rounded up to 1 second" (rto_min, configurable);
	 * 2.5: "A maximum value MAY be placed on RTO provided it is at least
	 * 60 seconds." */
	if (rto < t->cfg.rto_min_us)
		rto = t->cfg.rto_min_us;
	if (rto > t->cfg.rto_max_us)
		rto = t->cfg.rto_max_us;
	c->rto_us = (uint32_t)rto;
}

static void
rto_backoff(struct tcp_tbl *t, struct tcp_conn *c)
{
	/* RFC 6298 5.5: "The host MUST set RTO <- RTO * 2 ("back off the timer")." */
	uint64_t r = (uint64_t)c->rto_us * 2;

	c->rto_us = r > t->cfg.rto_max_us ? t->cfg.rto_max_us : (uint32_t)r;
}

static void
conn_timeout(struct tcp_tbl *t, struct tcp_conn *c)
{
	t->stats.timeouts++;
	if (c->state == TCP_SYN_SENT)
		t->stats.connect_timeouts++;
	else if (c->state != TCP_SYN_RCVD && c->state != TCP_TIME_WAIT)
		out_rst_conn(t, c);
	c->flags |= TCP_CF_TIMEOUT;
	conn_free(t, c, true);
}

static void
conn_rto(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t ss;

	if (c->state == TCP_SYN_RCVD || c->state == TCP_SYN_SENT) {
		if (c->syn_retx >= t->cfg.syn_retries) {
			conn_timeout(t, c);
			return;
		}
		c->syn_retx++;
		t->stats.retransmits++;
		/* RFC 6298 5.5 backoff; 5.7 applies once the handshake is done. */
		rto_backoff(t, c);
		if (c->state == TCP_SYN_SENT)
			out_syn(t, c);
		else
			out_synack(t, c);
		c->rto_at = t->now_us + c->rto_us;
		timer_sync(t, c);
		return;
	}
	if (flight == 0 && unsent_bytes(c) == 0) {
		timer_sync(t, c);
		return;
	}
	if (c->retries >= t->cfg.max_retries) {
		conn_timeout(t, c);
		return;
	}
	c->retries++;
	rto_backoff(t, c);
	c->dupacks = 0;
	/* Karn: no RTT sample from a retransmitted segment. */
	c->flags &= (uint16_t)~TCP_CF_RTT;
	if (c->snd_wnd == 0) {
		/*
		 * Zero window: probe with one byte past the window (RFC 9293
		 * 3.8.6.1). RFC 1122 4.2.2.17: "A TCP MUST allow the
		 * connection's receiving window to stay closed indefinitely,
		 * as long as the receiving TCP continues to send
		 * acknowledgments in response to the probe segments" -- every
		 * ACK resets retries while probing.
		 */
		uint32_t end = c->tx_seq + c->tx_len;

		if (c->zw_since == 0)
			c->zw_since = t->now_us;
		if (t->cfg.zero_window_timeout_us != 0 &&
		    t->now_us - c->zw_since >= t->cfg.zero_window_timeout_us) {
			/* Policy, not protocol: the peer answers but never reads. */
			t->stats.zero_window_timeouts++;
			conn_timeout(t, c);
			return;
		}
		c->flags |= TCP_CF_PERSIST;
		t->stats.probes++;
		if (tcp_seq_lt(c->snd_una, end) &&
		    out_conn(t, c, TCP_FLAG_ACK, c->snd_una, 1) != NULL) {
			c->snd_nxt = tcp_seq_max(c->snd_nxt, c->snd_una + 1);
			c->snd_max = tcp_seq_max(c->snd_max, c->snd_nxt);
		}
	} else {
		/* RFC 5681 3.1 eq. (4): ssthresh = max (FlightSize / 2,
		 * 2*SMSS); the loss window is one segment. */
		t->stats.rto_expired++;
		ss = flight / 2;
		c->ssthresh = ss > 2u * c->mss ? ss : 2u * c->mss;
		c->cwnd = c->mss;
		/* Go back: resend from SND.UNA as the (now one-segment) window allows. */
		c->snd_nxt = c->snd_una;
		c->rto_at = 0;
		conn_output(t, c);
	}
	c->rto_at = t->now_us + c->rto_us;
	/* The next probe no later than the zero-window deadline. */
	if (c->zw_since != 0 && t->cfg.zero_window_timeout_us != 0 &&
	    c->rto_at > c->zw_since + t->cfg.zero_window_timeout_us)
		c->rto_at = c->zw_since + t->cfg.zero_window_timeout_us;
	timer_sync(t, c);
}

static void
conn_timer_fire(struct tcp_timer *tm, void *arg)
{
	struct tcp_tbl *t = arg;
	struct tcp_conn *c = (struct tcp_conn *)((char *)tm - offsetof(struct tcp_conn, timer));
	uint64_t now = t->now_us;

	if (c->life_at != 0 && c->life_at <= now) {
		/* Handshake, idle, FIN_WAIT_2 or TIME_WAIT lifetime over. */
		if (c->state == TCP_TIME_WAIT || c->state == TCP_FIN_WAIT_2)
			conn_free(t, c, false);
		else
			conn_timeout(t, c);
		return;
	}
	if (c->dack_at != 0 && c->dack_at <= now) {
		c->dack_at = 0;
		c->flags |= TCP_CF_ACK_NOW;
		t->stats.delayed_acks++;
	}
	if (c->rto_at != 0 && c->rto_at <= now) {
		c->rto_at = 0;
		conn_rto(t, c);
		if (c->state == TCP_CLOSED)
			return;
	}
	conn_output(t, c);
}

unsigned
tcp_tbl_tick(struct tcp_tbl *t, uint64_t now_us)
{
	if (now_us > t->now_us)
		t->now_us = now_us;
	return tcp_wheel_run(&t->wheel, t->now_us, conn_timer_fire, t);
}

/* ----------------------------------------------------------------- input */

/* MSS and window scale from a SYN's options; -1 when the list is malformed. */
static int
parse_opts(const uint8_t *o, unsigned n, uint16_t *mss, int *wscale)
{
	unsigned i = 0;

	while (i < n) {
		uint8_t kind = o[i], len;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		/* RFC 9293 3.1: "a TCP implementation MUST be prepared to handle
		 * an illegal option length (e.g., zero)". */
		if (i + 1 >= n || o[i + 1] < 2 || i + o[i + 1] > n)
			return -1;
		len = o[i + 1];
		if (kind == 2 && len == 4)
			*mss = (uint16_t)(o[i + 2] << 8 | o[i + 3]);
		else if (kind == 3 && len == 3)
			*wscale = o[i + 2];
		i += len;
	}
	return 0;
}

static void
conn_init_common(struct tcp_tbl *t, struct tcp_conn *c, const struct tcp_seg *seg,
		 uint32_t iss, uint16_t peer_mss)
{
	uint32_t mss;

	c->tuple = seg->tuple;
	c->iss = iss;
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rx_rd_seq = c->rcv_nxt;
	c->rcv_adv = c->rcv_nxt;
	c->tx_seq = iss + 1;
	/* RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS, our limit). */
	c->mss = peer_mss < mss_of(t, &seg->tuple) ? peer_mss : mss_of(t, &seg->tuple);
	if (c->mss < 64)
		c->mss = 64;
	mss = c->mss;
	/* RFC 6928 initial window: min (10*MSS, max (2*MSS, 14600)). */
	c->cwnd = min_u32(10 * mss, 2 * mss > 14600 ? 2 * mss : 14600);
	c->ssthresh = UINT32_MAX / 2;
	c->rto_us = t->cfg.rto_init_us;
	c->last_rx_us = t->now_us;
	hash_insert(t, c);
}

/* A SYN on a listening port: a half-open connection or a SYN cookie. */
static int
listen_syn(struct tcp_tbl *t, const struct tcp_seg *seg)
{
	uint16_t peer_mss = TCP_MSS_DEFAULT;
	int wscale = -1;
	struct tcp_conn *c;

	if (seg->flags & (TCP_FLAG_RST | TCP_FLAG_FIN))
		return drop(t, TCP_DROP_BAD_FLAGS);
	if (parse_opts(seg->opts, seg->opt_len, &peer_mss, &wscale) < 0) {
		drop(t, TCP_DROP_BAD_OPTIONS);
		peer_mss = TCP_MSS_DEFAULT;
		wscale = -1;
	}
	if (t->n_half_open >= t->cfg.max_half_open) {
		struct tcp_seg_out *s;

		if (!t->cfg.syn_cookies)
			return drop(t, TCP_DROP_TABLE_FULL);
		/* RFC 4987 3.6: answer statelessly, the state in the ISN. */
		s = out_new(t, &seg->tuple);
		if (s == NULL)
			return drop(t, TCP_DROP_OUT_FULL);
		s->seq = tcp_cookie_make(t, &seg->tuple, seg->seq, peer_mss, t->now_us);
		s->ack = seg->seq + 1;
		s->flags = TCP_FLAG_SYN | TCP_FLAG_ACK;
		s->window = (uint16_t)min_u32(t->rx_cap, 65535);
		s->opts[0] = 2;
		s->opts[1] = 4;
		s->opts[2] = (uint8_t)(mss_of(t, &s->tuple) >> 8);
		s->opts[3] = (uint8_t)mss_of(t, &s->tuple);
		s->opt_len = 4;
		t->stats.cookies_sent++;
		return 0;
	}
	c = conn_alloc(t);
	if (c == NULL) {
		/* Fail closed: the table is full of live connections. */
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_TABLE_FULL);
	}
	conn_init_common(t, c, seg, tcp_isn(t, &seg->tuple, t->now_us), peer_mss);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->snd_nxt;
	/* RFC 7323 2.2: the SYN's window is never scaled. */
	c->snd_wnd = seg->window;
	c->max_snd_wnd = seg->window;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = c->iss;
	if (wscale >= 0) {
		/* RFC 7323 2.3: "If a Window Scale option is received with a
		 * shift.cnt value larger than 14, the TCP SHOULD log the error
		 * but MUST use 14 instead of the specified value." */
		c->snd_wscale = (uint8_t)(wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : wscale);
		c->rcv_wscale = t->rcv_wscale;
		c->flags |= TCP_CF_WSCALE;
	}
	set_state(t, c, TCP_SYN_RCVD);
	t->stats.syn_rcvd++;
	out_synack(t, c);
	c->rto_at = t->now_us + c->rto_us;
	timer_sync(t, c);
	return 0;
}

static void
conn_established(struct tcp_tbl *t, struct tcp_conn *c)
{
	set_state(t, c, TCP_ESTABLISHED);
	if (c->flags & TCP_CF_ACTIVE) {
		t->stats.connected++;
		ev_push(t, c, TCP_EV_CONNECTED);
		return;
	}
	t->stats.accepted++;
	c->flags |= TCP_CF_ACCEPTED;
	ev_push(t, c, TCP_EV_ACCEPT);
}

/* An ACK to a listening port: the last step of a SYN cookie handshake. */
static int conn_input(struct tcp_tbl *t, struct tcp_conn *c, const struct tcp_seg *seg);

static int
listen_ack(struct tcp_tbl *t, const struct tcp_seg *seg)
{
	uint16_t mss = 0;
	struct tcp_conn *c;

	if (t->cfg.syn_cookies)
		mss = tcp_cookie_check(t, &seg->tuple, seg->seq - 1, seg->ack - 1, t->now_us);
	if (mss == 0) {
		/* RFC 9293 3.10.7.2: "Any acknowledgment is bad if it arrives
		 * on a connection still in the LISTEN state. An acceptable reset
		 * segment should be formed for any arriving ACK-bearing segment." */
		if (t->cfg.syn_cookies)
			t->stats.cookies_failed++;
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_COOKIE_FAILED);
	}
	c = conn_alloc(t);
	if (c == NULL) {
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_TABLE_FULL);
	}
	t->stats.cookies_validated++;
	conn_init_common(t, c, seg, seg->ack - 1, mss);
	c->irs = seg->seq - 1;
	c->rcv_nxt = seg->seq;
	c->rx_rd_seq = seg->seq;
	c->rcv_adv = seg->seq + min_u32(t->rx_cap, 65535);
	c->snd_una = seg->ack;
	c->snd_nxt = seg->ack;
	c->snd_max = seg->ack;
	c->snd_wnd = seg->window;   /* no window scaling on a cookie */
	c->max_snd_wnd = seg->window;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	c->flags |= TCP_CF_COOKIE;
	c->state = TCP_CLOSED;
	conn_established(t, c);
	return conn_input(t, c, seg);
}

/* RFC 9293 3.10.7.4, "first, check sequence number". */
static bool
seq_acceptable(const struct tcp_conn *c, uint32_t seq, uint32_t seglen)
{
	uint32_t wnd = c->rcv_adv - c->rcv_nxt;

	if (seglen == 0) {
		if (wnd == 0)
			return seq == c->rcv_nxt;
		return tcp_seq_le(c->rcv_nxt, seq) && tcp_seq_lt(seq, c->rcv_nxt + wnd);
	}
	if (wnd == 0)
		return false;
	return (tcp_seq_le(c->rcv_nxt, seq) && tcp_seq_lt(seq, c->rcv_nxt + wnd)) ||
	       (tcp_seq_le(c->rcv_nxt, seq + seglen - 1) &&
		tcp_seq_lt(seq + seglen - 1, c->rcv_nxt + wnd));
}

/*
 * The peer's window against what we have to send: the zero-window
 * deadline ([limits] zero_window_timeout) runs from when both hold.
 */
static void
zw_note(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (c->snd_wnd == 0 && c->tx_len > 0) {
		if (c->zw_since == 0)
			c->zw_since = t->now_us;
	} else {
		c->zw_since = 0;
	}
}

/*
 * Buffers a connection holding @p n in one direction may still take there
 * (TCP_BUF_SHARE says the rule): UINT32_MAX when no limit applies.
 */
static uint32_t
bufs_left(const struct tcp_tbl *t, uint32_t n)
{
	uint32_t share;
	int level;

	if (n == 0 || t->cfg.bufs_budget == 0)
		return UINT32_MAX;
	level = t->cfg.buf_ops.pool_level != NULL ? t->cfg.buf_ops.pool_level(t->cfg.buf_ops.ctx)
						  : 0;
	if (level >= 2)
		return 0;
	if (level == 1) {
		share = TCP_BUF_FLOOR;
	} else {
		if (t->stats.bufs_held < t->cfg.bufs_budget)
			return UINT32_MAX;
		/* Both directions of every connection: each gets its part. */
		share = t->cfg.bufs_budget / (2 * (t->n_conns > 0 ? t->n_conns : 1));
		share = share < TCP_BUF_FLOOR ? TCP_BUF_FLOOR :
			share > TCP_BUF_SHARE ? TCP_BUF_SHARE : share;
	}
	return n < share ? share - n : 0;
}

uint32_t
tcp_conn_tx_bufs_left(const struct tcp_tbl *t, const struct tcp_conn *c)
{
	return bufs_left(t, c->n_tx);
}

/* Past its share of received buffers: a segment beyond would be dropped. */
static bool
rx_over_budget(const struct tcp_tbl *t, const struct tcp_conn *c)
{
	return bufs_left(t, c->n_rx + c->n_ooo) == 0;
}

/*
 * A buffer for @n received bytes at @p: the segment's own (taken by
 * reference, no copy), or a copy in one of ours when the caller gave none.
 */
static struct tcp_buf *
rx_buf_for(struct tcp_tbl *t, const uint8_t *p, uint32_t n)
{
	struct tcp_buf *b = t->in_buf;

	if (b != NULL) {
		t->in_buf = NULL;       /* taken: one range per segment */
		b->next = NULL;
		b->data = (uint8_t *)(uintptr_t)p;
		b->len = n;
		b->cap = 0;             /* a received packet: nothing gathered into it */
		b->refs = 0;
		b->flags = 0;
		t->stats.bufs_held++;
		return b;
	}
	b = buf_get(t, n);
	if (b == NULL)
		return NULL;
	if (b->cap < n) {
		buf_put(t, b);
		return NULL;
	}
	memcpy(b->data, p, n);
	b->len = n;
	return b;
}

/*
 * In-order bytes [seq, seq + n) at the tail of what the owner reads. Past
 * rx_bufs_max buffers (a peer sending tiny segments), or without a segment
 * buffer, they are copied into the tail when it is one of ours with room,
 * else into a new one: held bytes cannot pin a buffer each.
 * @return 0; -ENOBUFS when there is nothing to keep them in; -EDQUOT when
 *         the connection is past its share of the table's bufs_budget.
 */
static int
rx_append(struct tcp_tbl *t, struct tcp_conn *c, uint32_t seq, const uint8_t *p, uint32_t n)
{
	struct tcp_buf *tail = c->rx_tail, *b;
	bool many = c->n_rx >= t->cfg.rx_bufs_max;

	if (tail != NULL && tail->cap >= tail->len + n && (many || t->in_buf == NULL)) {
		memcpy(tail->data + tail->len, p, n);
		tail->len += n;
		if (many)
			t->stats.rx_gathered++;
		return 0;
	}
	/*
	 * Past its share, a connection takes no more buffers; except the
	 * segment that fills the hole before its out-of-order ones: without
	 * it they could never drain, and the connection would hold them stuck.
	 */
	if (c->n_ooo == 0 && rx_over_budget(t, c))
		return -EDQUOT;
	if (many) {
		t->stats.rx_gathered++;
		b = buf_get(t, n);
		if (b != NULL && b->cap < n) {
			buf_put(t, b);
			b = NULL;
		}
		if (b != NULL) {
			memcpy(b->data, p, n);
			b->len = n;
		}
	} else {
		b = rx_buf_for(t, p, n);
	}
	if (b == NULL)
		return -ENOBUFS;
	b->seq = seq;
	if (tail != NULL)
		tail->next = b;
	else
		c->rx_head = b;
	c->rx_tail = b;
	c->n_rx++;
	return 0;
}

/*
 * Hold out-of-order bytes [seq, seq + n), trimmed against what is held
 * already (the list stays sorted, without overlaps).
 * @return 0 (held, or all of it held already); -ENOSPC (TCP_OOO_MAX
 *         buffers held); -ENOBUFS (nothing to keep them in).
 */
static int
ooo_insert(struct tcp_tbl *t, struct tcp_conn *c, uint32_t seq, const uint8_t *p, uint32_t n)
{
	struct tcp_buf **pp = &c->ooo_head, *b;

	/* Past those that end before it. */
	while (*pp != NULL && tcp_seq_le((*pp)->seq + (*pp)->len, seq))
		pp = &(*pp)->next;
	/* One that covers its start: keep only what comes after. */
	if (*pp != NULL && tcp_seq_le((*pp)->seq, seq)) {
		uint32_t cut = (*pp)->seq + (*pp)->len - seq;

		if (cut >= n)
			return 0;
		p += cut;
		seq += cut;
		n -= cut;
		pp = &(*pp)->next;
	}
	/* One that starts inside it: keep only what comes before. */
	if (*pp != NULL && tcp_seq_lt((*pp)->seq, seq + n))
		n = (*pp)->seq - seq;
	if (n == 0)
		return 0;
	if (c->n_ooo >= TCP_OOO_MAX)
		return -ENOSPC;
	if (rx_over_budget(t, c))
		return -EDQUOT;
	b = rx_buf_for(t, p, n);
	if (b == NULL)
		return -ENOBUFS;
	b->seq = seq;
	b->next = *pp;
	*pp = b;
	c->n_ooo++;
	return 0;
}

/* RCV.NXT moved: held out-of-order buffers it reaches join the in-order ones. */
static void
ooo_merge(struct tcp_tbl *t, struct tcp_conn *c)
{
	while (c->ooo_head != NULL && tcp_seq_le(c->ooo_head->seq, c->rcv_nxt)) {
		struct tcp_buf *b = c->ooo_head;
		uint32_t end = b->seq + b->len, skip;

		c->ooo_head = b->next;
		c->n_ooo--;
		b->next = NULL;
		if (tcp_seq_le(end, c->rcv_nxt)) {
			buf_put(t, b);
			continue;
		}
		skip = c->rcv_nxt - b->seq;
		b->data += skip;
		b->len -= skip;
		b->cap = b->cap > skip ? b->cap - skip : 0;
		b->seq = c->rcv_nxt;
		if (c->rx_tail != NULL)
			c->rx_tail->next = b;
		else
			c->rx_head = b;
		c->rx_tail = b;
		c->n_rx++;
		c->rcv_nxt = end;
	}
}

/* The peer acknowledged @d more bytes: buffers wholly acknowledged go back. */
static void
tx_consume(struct tcp_tbl *t, struct tcp_conn *c, uint32_t d)
{
	c->tx_seq += d;
	c->tx_len -= d;
	while (d > 0 && c->tx_head != NULL) {
		struct tcp_buf *b = c->tx_head;

		if (d < b->len) {
			/* Partly acknowledged: what is left stays where it is. */
			b->data += d;
			b->len -= d;
			b->cap = b->cap > d ? b->cap - d : 0;
			b->seq += d;
			break;
		}
		d -= b->len;
		c->tx_head = b->next;
		if (c->tx_cur == b)
			c->tx_cur = NULL;
		c->n_tx--;
		buf_put(t, b);
	}
	if (c->tx_head == NULL)
		c->tx_tail = NULL;
}

/* RFC 9293 3.10.7.4 "fifth, check the ACK field", for an acceptable ACK. */
static void
ack_new_data(struct tcp_tbl *t, struct tcp_conn *c, uint32_t ack)
{
	uint32_t acked = ack - c->snd_una;

	/* Karn (RFC 6298 3): only a segment never retransmitted is timed. */
	if ((c->flags & TCP_CF_RTT) && tcp_seq_lt(c->rtt_seq, ack)) {
		c->flags &= (uint16_t)~TCP_CF_RTT;
		rtt_sample(t, c, t->now_us - c->rtt_start_us);
	}
	c->snd_una = ack;
	if (tcp_seq_lt(c->tx_seq, ack)) {
		uint32_t d = min_u32(ack - c->tx_seq, c->tx_len);

		tx_consume(t, c, d);
		if (d > 0)
			ev_push(t, c, TCP_EV_WRITABLE);
	}
	if (tcp_seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->retries = 0;
	/* RFC 5681: leave fast recovery, or grow the window. */
	if (c->dupacks >= 3)
		c->cwnd = c->ssthresh;
	else if (c->cwnd < c->ssthresh)
		c->cwnd += min_u32(acked, c->mss);
	else
		c->cwnd += (uint32_t)((uint64_t)c->mss * c->mss / c->cwnd) + 1;
	c->dupacks = 0;
	/* RFC 6298 5.2/5.3: all acked: stop the timer; else restart it. */
	c->rto_at = c->snd_una == c->snd_max ? 0 : t->now_us + c->rto_us;
}

static void
fast_retransmit(struct tcp_tbl *t, struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;
	uint32_t end = c->tx_seq + c->tx_len;
	uint32_t n = tcp_seq_lt(c->snd_una, end) ? min_u32(end - c->snd_una, c->mss) : 0;
	bool fin = (c->flags & TCP_CF_FIN_QUEUED) && c->snd_una + n == end &&
		   tcp_seq_lt(end, c->snd_max);

	/* RFC 5681 3.2: ssthresh = max (FlightSize / 2, 2*SMSS), resend the
	 * missing segment, cwnd = ssthresh + 3*SMSS. */
	c->ssthresh = flight / 2 > 2u * c->mss ? flight / 2 : 2u * c->mss;
	c->cwnd = c->ssthresh + 3u * c->mss;
	c->flags &= (uint16_t)~TCP_CF_RTT;
	if (out_conn(t, c, (uint8_t)(TCP_FLAG_ACK | (fin ? TCP_FLAG_FIN : 0)), c->snd_una, n))
		t->stats.fast_retransmits++;
}

static int
conn_input(struct tcp_tbl *t, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint8_t fl = seg->flags;
	uint32_t seq = seg->seq, ack = seg->ack, len = seg->len;
	const uint8_t *data = seg->payload;
	bool fin = fl & TCP_FLAG_FIN;
	uint32_t seglen = len + !!(fl & TCP_FLAG_SYN) + fin;
	int ret = 0;

	/* A retransmitted SYN: our SYN-ACK was lost. */
	if (c->state == TCP_SYN_RCVD && (fl & TCP_FLAG_SYN) &&
	    !(fl & (TCP_FLAG_ACK | TCP_FLAG_RST)) && seq == c->irs) {
		out_synack(t, c);
		return 0;
	}

	/* first, check sequence number */
	if (!seq_acceptable(c, seq, seglen)) {
		/* "If an incoming segment is not acceptable, an acknowledgment
		 * should be sent in reply (unless the RST bit is set, if so
		 * drop the segment and return)". */
		if (fl & TCP_FLAG_RST)
			return drop(t, TCP_DROP_RST_INVALID);
		/* TIME-WAIT: a retransmitted FIN restarts the 2 MSL timeout. */
		if (c->state == TCP_TIME_WAIT && fin)
			c->life_at = t->now_us + t->cfg.time_wait_us;
		out_ack(t, c);
		timer_sync(t, c);
		return drop(t, tcp_seq_le(seq + seglen, c->rcv_nxt) ?
			    TCP_DROP_DUPLICATE : TCP_DROP_OUT_OF_WINDOW);
	}

	/* second, check the RST bit */
	if (fl & TCP_FLAG_RST) {
		/* RFC 5961 3.2: "If the RST bit is set and the sequence number
		 * exactly matches the next expected sequence number (RCV.NXT),
		 * then TCP MUST reset the connection." ... "If the RST bit is
		 * set and the sequence number does not exactly match the next
		 * expected sequence value, yet is within the current receive
		 * window, TCP MUST send an acknowledgment (challenge ACK)". */
		if (seq == c->rcv_nxt) {
			t->stats.resets_rcvd++;
			conn_free(t, c, true);
			return 0;
		}
		out_challenge_ack(t, c);
		return drop(t, TCP_DROP_RST_CHALLENGED);
	}

	/* fourth, check the SYN bit: RFC 5961 4.2 "If the SYN bit is set,
	 * irrespective of the sequence number, TCP MUST send an ACK (also
	 * referred to as challenge ACK) to the remote peer". */
	if (fl & TCP_FLAG_SYN) {
		out_challenge_ack(t, c);
		return drop(t, TCP_DROP_SYN_CHALLENGED);
	}

	/* fifth, check the ACK field: "if the ACK bit is off, drop the segment" */
	if (!(fl & TCP_FLAG_ACK))
		return drop(t, TCP_DROP_BAD_FLAGS);
	c->last_rx_us = t->now_us;
	if (c->state == TCP_SYN_RCVD) {
		/* "If SND.UNA < SEG.ACK =< SND.NXT, then enter ESTABLISHED
		 * state ... If the segment acknowledgment is not acceptable,
		 * form a reset segment <SEQ=SEG.ACK><CTL=RST>". */
		if (!(tcp_seq_lt(c->snd_una, ack) && tcp_seq_le(ack, c->snd_max))) {
			out_rst_reply(t, seg);
			return drop(t, TCP_DROP_BAD_ACK);
		}
		if (c->syn_retx == 0) {
			rtt_sample(t, c, t->now_us - c->synack_us);
		} else if (c->rto_us < TCP_RTO_AFTER_SYN_US) {
			/* RFC 6298 5.7: "the RTO MUST be re-initialized to 3
			 * seconds when data transmission begins". */
			c->rto_us = TCP_RTO_AFTER_SYN_US;
		}
		c->rto_at = 0;
		c->snd_wnd = (uint32_t)seg->window << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		conn_established(t, c);
	}
	/* RFC 5961 5.2: "(SND.UNA - MAX.SND.WND) =< SEG.ACK =< SND.NXT" else
	 * "send an ACK and drop the segment"; RFC 9293: "If the ACK acks
	 * something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop
	 * the segment, and return." */
	if (tcp_seq_lt(c->snd_max, ack) || tcp_seq_lt(ack, c->snd_una - c->max_snd_wnd)) {
		out_ack(t, c);
		timer_sync(t, c);
		return drop(t, TCP_DROP_BAD_ACK);
	}
	if (c->state != TCP_TIME_WAIT) {
		uint32_t wnd = (uint32_t)seg->window << c->snd_wscale;

		if (c->flags & TCP_CF_PERSIST)
			c->retries = 0;     /* the peer answers our probes */
		if (tcp_seq_lt(c->snd_una, ack)) {
			ack_new_data(t, c, ack);
		} else if (ack == c->snd_una && len == 0 && !fin && wnd == c->snd_wnd &&
			   wnd != 0 && !(c->flags & TCP_CF_PERSIST) &&
			   c->snd_max != c->snd_una) {
			/* RFC 5681 3.2: the third duplicate ACK triggers a
			 * fast retransmit; more inflate the window. */
			if (++c->dupacks == 3)
				fast_retransmit(t, c);
			else if (c->dupacks > 3)
				c->cwnd += c->mss;
		}
		/* "If SND.WL1 < SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =<
		 * SEG.ACK), set SND.WND <- SEG.WND, set SND.WL1 <- SEG.SEQ, and
		 * set SND.WL2 <- SEG.ACK." */
		if (tcp_seq_le(c->snd_una, ack) &&
		    (tcp_seq_lt(c->snd_wl1, seq) ||
		     (c->snd_wl1 == seq && tcp_seq_le(c->snd_wl2, ack)))) {
			c->snd_wnd = wnd;
			c->snd_wl1 = seq;
			c->snd_wl2 = ack;
			if (wnd > c->max_snd_wnd)
				c->max_snd_wnd = wnd;
			zw_note(t, c);
			if (wnd > 0 && (c->flags & TCP_CF_PERSIST)) {
				/* The window opened: send full segments from
				 * SND.UNA, the probe byte included. */
				c->flags &= (uint16_t)~TCP_CF_PERSIST;
				c->zw_since = 0;
				c->snd_nxt = c->snd_una;
				c->rto_at = c->snd_una == c->snd_max ? 0 :
					    t->now_us + c->rto_us;
			}
		}
		if (fin_acked(c)) {
			switch (c->state) {
			case TCP_FIN_WAIT_1:
				set_state(t, c, TCP_FIN_WAIT_2);
				break;
			case TCP_CLOSING:
				set_state(t, c, TCP_TIME_WAIT);
				break;
			case TCP_LAST_ACK:
				conn_free(t, c, false);
				return 0;
			default:
				break;
			}
		}
	}

	/* seventh, process the segment text (sixth, URG, is not supported) */
	if (len > 0 || fin) {
		uint32_t orig_len = len;
		int ra;

		if (tcp_seq_lt(seq, c->rcv_nxt)) {
			uint32_t skip = c->rcv_nxt - seq;

			if (skip > len) {
				len = 0;
				fin = false;    /* that FIN was consumed already */
			} else {
				data += skip;
				len -= skip;
			}
			seq = c->rcv_nxt;
		}
		if (tcp_seq_lt(c->rcv_adv, seq + len)) {
			len = tcp_seq_lt(seq, c->rcv_adv) ? c->rcv_adv - seq : 0;
			fin = false;
			drop(t, TCP_DROP_WINDOW_TRIM);
		}
		switch (c->state) {
		case TCP_ESTABLISHED:
		case TCP_FIN_WAIT_1:
		case TCP_FIN_WAIT_2:
			break;
		default:
			/* "This should not occur, since a FIN has been received
			 * from the remote side. Ignore the segment text." */
			if (len > 0)
				ret = drop(t, TCP_DROP_STATE);
			len = 0;
			fin = false;
			break;
		}
		ra = len > 0 && seq == c->rcv_nxt ? rx_append(t, c, seq, data, len) : 0;
		if (ra != 0) {
			/* Nothing to keep it in, or no budget for it: as if it
			 * was lost (the peer sends it again). */
			ret = drop(t, ra == -EDQUOT ? TCP_DROP_BUF_BUDGET : TCP_DROP_NO_BUF);
			c->flags |= TCP_CF_ACK_NOW;
			len = 0;
			fin = false;
		} else if (len > 0 && seq == c->rcv_nxt) {
			bool had_gap = c->n_ooo > 0;

			c->rcv_nxt += len;
			ooo_merge(t, c);
			ev_push(t, c, TCP_EV_READABLE);
			c->rcv_unacked += len;
			/* RFC 9293 3.8.6.3: "an ACK SHOULD be generated for at
			 * least every second full-sized segment" and "MUST be
			 * less than 0.5 seconds"; RFC 5681 4.2: ACK at once
			 * when a segment fills a gap. */
			if (had_gap || (c->flags & TCP_CF_QUICKACK) ||
			    c->rcv_unacked >= 2u * c->mss) {
				c->flags |= TCP_CF_ACK_NOW;
				c->flags &= (uint16_t)~TCP_CF_QUICKACK;
			} else if (c->dack_at == 0) {
				c->dack_at = t->now_us + t->cfg.delack_us;
			}
			if ((c->flags & TCP_CF_OOO_FIN) && c->rcv_nxt == c->ooo_fin_seq) {
				fin = true;
				seq = c->rcv_nxt;
				len = 0;
			}
		} else if (len > 0 || (fin && seq != c->rcv_nxt)) {
			/* Ahead of a gap: hold it, ACK RCV.NXT at once (RFC
			 * 5681 4.2: "A TCP receiver SHOULD send an immediate
			 * duplicate ACK when an out-of-order segment arrives"). */
			c->flags |= TCP_CF_ACK_NOW;
			if (len > 0) {
				int r = ooo_insert(t, c, seq, data, len);

				if (r < 0) {
					ret = drop(t, r == -ENOBUFS ? TCP_DROP_NO_BUF :
						      r == -EDQUOT ? TCP_DROP_BUF_BUDGET :
								     TCP_DROP_OOO_FULL);
					fin = false;
				}
			}
			if (fin) {
				c->flags |= TCP_CF_OOO_FIN;
				c->ooo_fin_seq = seq + len;
			}
			fin = false;
			len = 0;
		} else if (orig_len > 0 && !fin) {
			c->flags |= TCP_CF_ACK_NOW;
			ret = drop(t, TCP_DROP_DUPLICATE);
		}

		/* eighth, check the FIN bit */
		if (fin && seq + len == c->rcv_nxt) {
			c->rcv_nxt++;
			c->flags |= TCP_CF_FIN_RCVD | TCP_CF_ACK_NOW;
			c->flags &= (uint16_t)~TCP_CF_OOO_FIN;
			ev_push(t, c, TCP_EV_PEER_FIN);
			switch (c->state) {
			case TCP_ESTABLISHED:
				set_state(t, c, TCP_CLOSE_WAIT);
				break;
			case TCP_FIN_WAIT_1:
				set_state(t, c, fin_acked(c) ? TCP_TIME_WAIT : TCP_CLOSING);
				break;
			case TCP_FIN_WAIT_2:
				set_state(t, c, TCP_TIME_WAIT);
				break;
			default:
				break;
			}
		}
	}
	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT) {
		if (t->cfg.idle_timeout_us != 0)
			c->life_at = t->now_us + t->cfg.idle_timeout_us;
	}
	conn_output(t, c);
	return ret;
}

/* RFC 9293 3.10.7.3: a segment for a connection in SYN-SENT. */
static int
syn_sent_input(struct tcp_tbl *t, struct tcp_conn *c, const struct tcp_seg *seg)
{
	uint8_t fl = seg->flags;
	uint16_t peer_mss = TCP_MSS_DEFAULT;
	int wscale = -1;
	bool ack_ok = false;

	/* "first, check the ACK bit" */
	if (fl & TCP_FLAG_ACK) {
		/* "If SEG.ACK =< ISS or SEG.ACK > SND.NXT, send a reset (unless
		 * the RST bit is set, if so drop the segment and return)
		 * <SEQ=SEG.ACK><CTL=RST> and discard the segment." */
		if (tcp_seq_le(seg->ack, c->iss) || tcp_seq_lt(c->snd_nxt, seg->ack)) {
			if (fl & TCP_FLAG_RST)
				return drop(t, TCP_DROP_RST_INVALID);
			out_rst_reply(t, seg);
			return drop(t, TCP_DROP_BAD_ACK);
		}
		/* "If SND.UNA < SEG.ACK =< SND.NXT, then the ACK is acceptable"
		 * (SND.UNA is ISS here). */
		ack_ok = true;
	}
	/* "second, check the RST bit": "If the ACK was acceptable, then signal
	 * to the user 'error: connection reset', drop the segment, enter CLOSED
	 * state, delete TCB, and return. Otherwise (no ACK), drop the segment
	 * and return." A blind reset must guess our ISN (RFC 5961 3: the ACK
	 * has to acknowledge the SYN exactly, SND.NXT being ISS + 1). */
	if (fl & TCP_FLAG_RST) {
		if (!ack_ok)
			return drop(t, TCP_DROP_RST_INVALID);
		t->stats.resets_rcvd++;
		t->stats.connect_refused++;
		conn_free(t, c, true);
		return 0;
	}
	/* "fifth, if neither of the SYN or RST bits is set, then drop the
	 * segment and return." */
	if (!(fl & TCP_FLAG_SYN))
		return drop(t, TCP_DROP_BAD_FLAGS);
	/* "fourth, check the SYN bit" */
	if (parse_opts(seg->opts, seg->opt_len, &peer_mss, &wscale) < 0) {
		drop(t, TCP_DROP_BAD_OPTIONS);
		peer_mss = TCP_MSS_DEFAULT;
		wscale = -1;
	}
	c->last_rx_us = t->now_us;
	/* "RCV.NXT is set to SEG.SEQ+1, IRS is set to SEG.SEQ" */
	c->irs = seg->seq;
	c->rcv_nxt = seg->seq + 1;
	c->rx_rd_seq = c->rcv_nxt;
	/* What our SYN offered, unscaled. */
	c->rcv_adv = c->rcv_nxt + min_u32(t->rx_cap, 65535);
	/* RFC 9293 3.7.1: Eff.snd.MSS = min(SendMSS, our limit). */
	c->mss = peer_mss < mss_of(t, &seg->tuple) ? peer_mss : mss_of(t, &seg->tuple);
	if (c->mss < 64)
		c->mss = 64;
	/* RFC 6928 initial window: min (10*MSS, max (2*MSS, 14600)). */
	c->cwnd = min_u32(10u * c->mss, 2u * c->mss > 14600 ? 2u * c->mss : 14600);
	if (wscale >= 0) {
		/* RFC 7323 2.2: both sent the option: scaling is on, each way;
		 * 2.3: a shift over 14 is taken as 14. */
		c->snd_wscale = (uint8_t)(wscale > TCP_WSCALE_MAX ? TCP_WSCALE_MAX : wscale);
		c->rcv_wscale = t->rcv_wscale;
		c->flags |= TCP_CF_WSCALE;
	} else {
		/* "If a Window Scale option is not received, ... both
		 * Snd.Wind.Shift and Rcv.Wind.Shift" are zero. */
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	/* RFC 7323 2.2: the window of a <SYN,ACK> is never scaled. */
	c->snd_wnd = seg->window;
	c->max_snd_wnd = seg->window;
	c->snd_wl1 = seg->seq;
	c->snd_wl2 = seg->ack;
	if (!ack_ok) {
		/* Simultaneous open: "Otherwise, enter SYN-RECEIVED, form a
		 * SYN,ACK segment <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> and send
		 * it." Text is not queued: the peer sends it again. */
		set_state(t, c, TCP_SYN_RCVD);
		out_synack(t, c);
		c->rto_at = t->now_us + c->rto_us;
		timer_sync(t, c);
		return 0;
	}
	/* "SND.UNA should be advanced to equal SEG.ACK"; "If SND.UNA > ISS
	 * (our SYN has been ACKed), change the connection state to
	 * ESTABLISHED". */
	c->snd_una = seg->ack;
	if (c->syn_retx == 0)
		rtt_sample(t, c, t->now_us - c->synack_us);   /* Karn: never retransmitted */
	else if (c->rto_us < TCP_RTO_AFTER_SYN_US)
		c->rto_us = TCP_RTO_AFTER_SYN_US;           /* RFC 6298 5.7 */
	c->rto_at = 0;
	conn_established(t, c);
	if (seg->len > 0 || (fl & TCP_FLAG_FIN)) {
		/* "If there are other controls or text in the segment, then
		 * continue processing at the sixth step": the same segment
		 * without its SYN, from RCV.NXT, through the common path. */
		struct tcp_seg rest = *seg;

		rest.seq = seg->seq + 1;
		rest.flags = (uint8_t)(fl & ~TCP_FLAG_SYN);
		rest.opt_len = 0;
		/* Its window is unscaled and the path below scales: pre-shift
		 * it (rounding down never overstates the peer's window). */
		rest.window = (uint16_t)(seg->window >> c->snd_wscale);
		c->flags |= TCP_CF_ACK_NOW;
		return conn_input(t, c, &rest);
	}
	/* "form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and send
	 * it. Data or controls that were queued for transmission MAY be
	 * included": queued data carries the ACK. */
	c->flags |= TCP_CF_ACK_NOW;
	conn_output(t, c);
	return 0;
}

static int tbl_input(struct tcp_tbl *t, const struct tcp_seg *seg);

int
tcp_tbl_input(struct tcp_tbl *t, const struct tcp_seg *seg, uint64_t now_us)
{
	int rc;

	if (now_us > t->now_us)
		t->now_us = now_us;
	t->stats.rx_segs++;
	/* The segment's buffer is TCP's now: held for the owner, or given back. */
	t->in_buf = seg->buf;
	rc = tbl_input(t, seg);
	if (t->in_buf != NULL) {
		t->cfg.buf_ops.release(t->cfg.buf_ops.ctx, t->in_buf);
		t->in_buf = NULL;
	}
	return rc;
}

static int
tbl_input(struct tcp_tbl *t, const struct tcp_seg *seg)
{
	struct tcp_conn *c;

	c = tcp_tbl_lookup(t, &seg->tuple);
	if (c != NULL) {
		/* RFC 9293 3.10.7.4 / RFC 6191: a new SYN above RCV.NXT may
		 * take over a TIME-WAIT connection. */
		if (c->state == TCP_TIME_WAIT && (seg->flags & TCP_FLAG_SYN) &&
		    !(seg->flags & (TCP_FLAG_ACK | TCP_FLAG_RST)) &&
		    tcp_seq_lt(c->rcv_nxt, seg->seq)) {
			t->stats.time_wait_reused++;
			conn_free(t, c, false);
		} else if (c->state == TCP_SYN_SENT) {
			return syn_sent_input(t, c, seg);
		} else {
			return conn_input(t, c, seg);
		}
	}
	/* No connection: CLOSED or LISTEN (RFC 9293 3.10.7.1, 3.10.7.2). */
	if (seg->flags & TCP_FLAG_RST)
		return drop(t, TCP_DROP_RST_INVALID);   /* "An incoming segment containing a RST is discarded." */
	if (!is_listening(t, seg->tuple.lport)) {
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_NO_LISTENER);
	}
	if ((seg->flags & TCP_FLAG_SYN) && (seg->flags & TCP_FLAG_ACK)) {
		out_rst_reply(t, seg);
		return drop(t, TCP_DROP_BAD_FLAGS);
	}
	if (seg->flags & TCP_FLAG_SYN)
		return listen_syn(t, seg);
	if (seg->flags & TCP_FLAG_ACK)
		return listen_ack(t, seg);
	return drop(t, TCP_DROP_BAD_FLAGS);
}

/* ---------------------------------------------------------- active opens */

/* The active-open sources become @p v4 or @p v6 (n of them, ours to free). */
static void
sources_take(struct tcp_tbl *t, uint32_t *v4, uint8_t (*v6)[16], unsigned n,
	     uint16_t port_lo, uint16_t port_hi)
{
	free(t->src_addrs);
	free(t->src_addrs6);
	t->src_addrs = v4;
	t->src_addrs6 = v6;
	t->n_src = n;
	t->port_lo = port_lo;
	t->n_ports = (uint32_t)port_hi - port_lo + 1;
	t->eph_space = (uint64_t)n * t->n_ports;
}

int
tcp_tbl_set_sources(struct tcp_tbl *t, const uint32_t *addrs, unsigned n,
		    uint16_t port_lo, uint16_t port_hi)
{
	uint32_t *copy;

	if (addrs == NULL || n == 0 || n > 65536 || port_lo == 0 || port_lo > port_hi)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (addrs[i] == 0)
			return -EINVAL;
	copy = malloc(n * sizeof(*copy));
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, addrs, n * sizeof(*copy));
	sources_take(t, copy, NULL, n, port_lo, port_hi);
	return 0;
}

void
tcp_tbl_set_filter(struct tcp_tbl *t, tcp_tuple_filter_t fn, void *arg)
{
	t->filter = fn;
	t->filter_arg = arg;
}

int
tcp_tbl_set_sources6(struct tcp_tbl *t, const uint8_t (*addrs)[16], unsigned n,
		     uint16_t port_lo, uint16_t port_hi)
{
	static const uint8_t zero[16];
	uint8_t (*copy)[16];

	if (addrs == NULL || n == 0 || n > 65536 || port_lo == 0 || port_lo > port_hi)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (memcmp(addrs[i], zero, 16) == 0 || addrs[i][0] == 0xff)
			return -EINVAL;
	copy = malloc(n * sizeof(*copy));
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, addrs, n * sizeof(*copy));
	sources_take(t, NULL, copy, n, port_lo, port_hi);
	return 0;
}

static int connect_tuple(struct tcp_tbl *t, struct tcp_tuple tu, void *user,
			 uint64_t now_us, uint64_t *handle);

int
tcp_tbl_connect(struct tcp_tbl *t, uint32_t raddr, uint16_t rport, void *user,
		uint64_t now_us, uint64_t *handle)
{
	struct tcp_tuple tu = { .raddr = raddr, .rport = rport };

	if (t->n_src == 0 || t->src_addrs == NULL)
		return -EINVAL;
	return connect_tuple(t, tu, user, now_us, handle);
}

int
tcp_tbl_connect6(struct tcp_tbl *t, const uint8_t raddr[16], uint16_t rport, void *user,
		 uint64_t now_us, uint64_t *handle)
{
	struct tcp_tuple tu = { .rport = rport, .v6 = 1 };

	if (t->n_src == 0 || t->src_addrs6 == NULL)
		return -EINVAL;
	memcpy(tu.raddr6, raddr, 16);
	return connect_tuple(t, tu, user, now_us, handle);
}

/* An active open to @p tu's remote end, from a source and port chosen here. */
static int
connect_tuple(struct tcp_tbl *t, struct tcp_tuple tu, void *user, uint64_t now_us,
	      uint64_t *handle)
{
	struct tcp_conn *c = NULL;
	uint64_t offset;
	uint32_t tries;

	if (now_us > t->now_us)
		t->now_us = now_us;
	/*
	 * RFC 6056 3.3.3, over (address, port) pairs: "port = min_ephemeral +
	 * (next_ephemeral + offset) % num_ephemeral; next_ephemeral++; if
	 * (check_suitable_port(port)) return port;". Consecutive indices take
	 * consecutive addresses, so connections spread over the sources.
	 */
	offset = (tu.v6 ? tcp_eph_offset6(t, tu.raddr6, tu.rport) :
		  tcp_eph_offset(t, tu.raddr, tu.rport)) % t->eph_space;
	for (tries = 0; tries < t->cfg.connect_tries; tries++) {
		uint64_t idx = (offset + t->eph_next++) % t->eph_space;

		if (tu.v6)
			memcpy(tu.laddr6, t->src_addrs6[idx % t->n_src], 16);
		else
			tu.laddr = t->src_addrs[idx % t->n_src];
		tu.lport = (uint16_t)(t->port_lo + idx / t->n_src);
		if (tcp_tbl_lookup(t, &tu) == NULL &&
		    (t->filter == NULL || t->filter(t->filter_arg, &tu)))
			break;
		t->stats.port_collisions++;
	}
	if (tries == t->cfg.connect_tries) {
		t->stats.ports_exhausted++;
		return -EADDRNOTAVAIL;
	}
	c = conn_alloc(t);
	if (c == NULL)
		return -ENOBUFS;
	c->tuple = tu;
	/* RFC 9293 3.4.1 / RFC 6528: the ISN from the clock and the tuple. */
	c->iss = tcp_isn(t, &tu, t->now_us);
	c->snd_una = c->iss;
	c->snd_nxt = c->iss + 1;
	c->snd_max = c->snd_nxt;
	c->tx_seq = c->iss + 1;
	c->mss = mss_of(t, &tu);
	c->ssthresh = UINT32_MAX / 2;
	c->rto_us = t->cfg.rto_init_us;
	c->last_rx_us = t->now_us;
	c->user = user;
	/* The caller knows it from now on: its events (refused, timed out) flow. */
	c->flags |= TCP_CF_ACTIVE | TCP_CF_ACCEPTED;
	hash_insert(t, c);
	set_state(t, c, TCP_SYN_SENT);
	t->stats.connects++;
	out_syn(t, c);
	c->rto_at = t->now_us + c->rto_us;
	timer_sync(t, c);
	*handle = tcp_conn_handle(c);
	return 0;
}

/* ----------------------------------------------------------- application */

/* Established at some point and not yet over: reads and writes make sense. */
static bool
conn_usable(const struct tcp_conn *c)
{
	return c->state != TCP_CLOSED && c->state != TCP_SYN_RCVD &&
	       c->state != TCP_SYN_SENT && !(c->flags & TCP_CF_CLOSED_EV);
}

/* It was established once (its receive side means something). */
static bool
conn_was_open(const struct tcp_conn *c)
{
	return c->state != TCP_SYN_RCVD && c->state != TCP_SYN_SENT &&
	       (c->state != TCP_CLOSED || (c->flags & TCP_CF_CLOSED_EV)) &&
	       !(c->flags & TCP_CF_RELEASED);
}

uint32_t
tcp_conn_readable(const struct tcp_conn *c)
{
	return conn_was_open(c) ? rcv_data_end(c) - c->rx_rd_seq : 0;
}

uint32_t
tcp_conn_writable(const struct tcp_tbl *t, const struct tcp_conn *c)
{
	if ((!conn_usable(c) && c->state != TCP_SYN_SENT) || (c->flags & TCP_CF_FIN_QUEUED) ||
	    (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT &&
	     c->state != TCP_SYN_SENT))
		return 0;
	if (tcp_conn_tx_bufs_left(t, c) == 0)
		return 0;
	return c->tx_len < t->tx_cap ? t->tx_cap - c->tx_len : 0;
}

unsigned
tcp_conn_rx_peek(const struct tcp_conn *c, struct iovec *iov, unsigned max, uint32_t *bytes)
{
	uint32_t left = tcp_conn_readable(c), total = 0;
	unsigned n = 0;

	for (const struct tcp_buf *b = c->rx_head; b != NULL && n < max && left > 0; b = b->next) {
		uint32_t k = min_u32(b->len, left);

		iov[n].iov_base = b->data;
		iov[n].iov_len = k;
		n++;
		total += k;
		left -= k;
	}
	if (bytes != NULL)
		*bytes = total;
	return n;
}

int
tcp_conn_rx_release(struct tcp_tbl *t, struct tcp_conn *c, uint32_t n)
{
	uint32_t edge, grow;

	if (n > tcp_conn_readable(c))
		return -EINVAL;
	c->rx_rd_seq += n;
	while (n > 0) {
		struct tcp_buf *b = c->rx_head;

		if (n < b->len) {
			b->data += n;
			b->len -= n;
			b->cap = b->cap > n ? b->cap - n : 0;
			b->seq += n;
			break;
		}
		n -= b->len;
		c->rx_head = b->next;
		if (c->rx_head == NULL)
			c->rx_tail = NULL;
		c->n_rx--;
		buf_put(t, b);
	}
	/* An empty buffer of ours at the head (all read) goes too. */
	if (c->rx_head != NULL && c->rx_head->len == 0 && c->rx_head == c->rx_tail &&
	    tcp_seq_le(c->rcv_nxt, c->rx_rd_seq)) {
		buf_put(t, c->rx_head);
		c->rx_head = c->rx_tail = NULL;
		c->n_rx = 0;
	}
	if (!conn_usable(c))
		return 0;
	/*
	 * Receiver SWS avoidance (RFC 9293 3.8.6.2.2): the window reopens by
	 * at least min(half the buffer, one MSS). An explicit update is sent
	 * only when what the peer may still send fell to half the buffer or
	 * less; otherwise the next ACK carries it.
	 */
	edge = c->rx_rd_seq + t->rx_cap;
	grow = tcp_seq_lt(c->rcv_adv, edge) ? edge - c->rcv_adv : 0;
	if (!(c->flags & TCP_CF_FIN_RCVD) && grow >= min_u32(t->rx_cap / 2, c->mss) &&
	    c->rcv_adv - c->rcv_nxt <= t->rx_cap / 2 &&
	    (c->state == TCP_ESTABLISHED || c->state == TCP_FIN_WAIT_1 ||
	     c->state == TCP_FIN_WAIT_2)) {
		t->stats.window_updates++;
		c->flags |= TCP_CF_ACK_NOW;
		conn_output(t, c);
	}
	return 0;
}

int
tcp_conn_read(struct tcp_tbl *t, struct tcp_conn *c, uint8_t *dst, size_t cap)
{
	struct iovec iov[16];
	uint32_t done = 0;

	if (!conn_was_open(c))
		return -ENOTCONN;
	while (done < cap) {
		uint32_t got;
		unsigned n = tcp_conn_rx_peek(c, iov, 16, &got);

		if (n == 0)
			break;
		got = 0;
		for (unsigned i = 0; i < n && done + got < cap; i++) {
			size_t k = iov[i].iov_len < cap - done - got ? iov[i].iov_len : cap - done - got;

			memcpy(dst + done + got, iov[i].iov_base, k);
			got += (uint32_t)k;
		}
		tcp_conn_rx_release(t, c, got);
		done += got;
	}
	return (int)done;
}

/* Can @c take bytes to send? 0, or the error tcp_conn_send() returns. */
static int
send_check(const struct tcp_conn *c)
{
	if (c->state == TCP_CLOSED || (c->flags & (TCP_CF_CLOSED_EV | TCP_CF_RELEASED)))
		return -ENOTCONN;
	if ((c->flags & TCP_CF_FIN_QUEUED) ||
	    (c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT &&
	     c->state != TCP_SYN_RCVD && c->state != TCP_SYN_SENT))
		return -EPIPE;
	return 0;
}

/* Append @b (its bytes follow what is queued). */
static void
tx_append(struct tcp_tbl *t, struct tcp_conn *c, struct tcp_buf *b)
{
	b->next = NULL;
	b->seq = c->tx_seq + c->tx_len;
	if (c->tx_tail != NULL)
		c->tx_tail->next = b;
	else
		c->tx_head = b;
	c->tx_tail = b;
	c->tx_len += b->len;
	c->n_tx++;
	t->stats.bufs_held++;
	zw_note(t, c);
}

int
tcp_conn_send_bulk(struct tcp_tbl *t, struct tcp_conn *c, struct tcp_buf *const *b, unsigned n)
{
	uint64_t total = 0;
	int rc = send_check(c);

	if (rc != 0)
		return rc;
	for (unsigned i = 0; i < n; i++) {
		if (b[i]->len == 0)
			return -EINVAL;
		total += b[i]->len;
	}
	if (total > tcp_conn_writable(t, c) && c->state != TCP_SYN_RCVD)
		return -ENOBUFS;
	for (unsigned i = 0; i < n; i++) {
		b[i]->refs = 0;
		b[i]->flags = 0;
		b[i]->cap = 0;  /* another's bytes may follow it: nothing appended */
		tx_append(t, c, b[i]);
	}
	if (n > 0)
		conn_output(t, c);
	return 0;
}

int
tcp_conn_send(struct tcp_tbl *t, struct tcp_conn *c, struct tcp_buf *b)
{
	return tcp_conn_send_bulk(t, c, &b, 1);
}

bool
tcp_conn_fin_rcvd(const struct tcp_conn *c)
{
	return (c->flags & TCP_CF_FIN_RCVD) != 0;
}

int
tcp_conn_write(struct tcp_tbl *t, struct tcp_conn *c, const uint8_t *src, size_t len)
{
	uint32_t room, n, done = 0;
	int rc = send_check(c);

	if (rc != 0)
		return rc;
	room = c->tx_len < t->tx_cap ? t->tx_cap - c->tx_len : 0;
	n = len < room ? (uint32_t)len : room;
	while (done < n) {
		struct tcp_buf *tail = c->tx_tail, *b;
		uint32_t k;

		/* Small writes fill the last buffer of ours before taking another. */
		if (tail != NULL && tail->cap > tail->len) {
			k = min_u32(n - done, tail->cap - tail->len);
			memcpy(tail->data + tail->len, src + done, k);
			tail->len += k;
			c->tx_len += k;
			done += k;
			continue;
		}
		b = buf_get(t, n - done);
		if (b == NULL)
			break;
		t->stats.bufs_held--;   /* tx_append() counts it */
		k = min_u32(n - done, b->cap);
		memcpy(b->data, src + done, k);
		b->len = k;
		tx_append(t, c, b);
		done += k;
	}
	if (done > 0)
		conn_output(t, c);
	return (int)done;
}

void
tcp_conn_quickack(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (!conn_usable(c))
		return;
	c->flags |= TCP_CF_QUICKACK;
	if (c->rcv_unacked > 0 || c->dack_at != 0) {
		c->flags |= TCP_CF_ACK_NOW;
		conn_output(t, c);
	}
}

int
tcp_conn_close(struct tcp_tbl *t, struct tcp_conn *c)
{
	/* RFC 9293 3.10.4 CLOSE in SYN-SENT: "Delete the TCB". */
	if (c->state == TCP_SYN_SENT && !(c->flags & TCP_CF_CLOSED_EV)) {
		conn_free(t, c, false);
		return 0;
	}
	if (!conn_usable(c) || (c->flags & TCP_CF_FIN_QUEUED))
		return -ENOTCONN;
	switch (c->state) {
	case TCP_ESTABLISHED:
		set_state(t, c, TCP_FIN_WAIT_1);
		break;
	case TCP_CLOSE_WAIT:
		set_state(t, c, TCP_LAST_ACK);
		break;
	default:
		return -ENOTCONN;
	}
	c->flags |= TCP_CF_FIN_QUEUED;
	conn_output(t, c);
	return 0;
}

void
tcp_conn_abort(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (c->state == TCP_CLOSED)
		return;
	/* RFC 9293 3.10.5: no reset from SYN-SENT ("delete the TCB"). */
	if (c->state != TCP_TIME_WAIT && c->state != TCP_SYN_RCVD && c->state != TCP_SYN_SENT)
		out_rst_conn(t, c);
	conn_free(t, c, true);
}

void
tcp_conn_release(struct tcp_tbl *t, struct tcp_conn *c)
{
	if (c->flags & TCP_CF_RELEASED)
		return;
	/* Not over yet: the owner gives up on it (RST). */
	if (c->state != TCP_CLOSED && !(c->flags & TCP_CF_CLOSED_EV)) {
		c->flags |= TCP_CF_RELEASED;
		tcp_conn_abort(t, c);
		return;         /* conn_free() freed the slot: no owner */
	}
	c->flags |= TCP_CF_RELEASED;
	c->ev_bits = 0;
	c->user = NULL;
	bufs_put(t, &c->rx_head);
	c->rx_tail = NULL;
	c->n_rx = 0;
	bufs_put(t, &c->ooo_head);
	c->n_ooo = 0;
	/* TIME_WAIT goes on without its owner; an ended one is free now. */
	if (c->state == TCP_CLOSED)
		slot_free(t, c);
}
