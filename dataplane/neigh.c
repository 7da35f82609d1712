/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The neighbour cache of one lcore; contract in neigh.h. The state machine
 * follows RFC 4861 7.3 and Linux's neigh_timer_handler(): a timer per entry
 * does the time-driven transitions, received traffic only stamps the entry.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_errno.h>
/*
 * rte_hash.h brings rte_rcu_qsbr.h, which is not ISO C (named variadic
 * macros, a zero-length array); nothing of it is used here.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wvariadic-macros"
#include <rte_hash.h>
#pragma GCC diagnostic pop
#include <rte_hash_crc.h>
#include <rte_random.h>

#include "neigh.h"
/* The TCP core's hashed timer wheel: O(1) arm and cancel, no DPDK. */
#include "tcp_priv.h"

#define NIL UINT32_MAX
/* Solicitations are a second apart: 10 ms ticks are precise enough. */
#define WHEEL_TICK_US 10000u
/* A 10 s revolution; longer timers wait in their slot for their round. */
#define WHEEL_SLOTS 1024u
/* RFC 4861 6.3.2: ReachableTime is drawn again "at least every few hours". */
#define REDRAW_US (2ull * 3600 * 1000 * 1000)

struct qnode {
	struct rte_mbuf *m;
	uint32_t next;
};

struct hsod_neigh_pool {
	uint32_t size, n_free, free_head;
	struct qnode node[];
};

struct entry {
	struct tcp_timer timer;     /* first: the wheel hands us this pointer */
	struct entry *prev, *next;  /* LRU (head: most recent); free list: next */
	uint64_t used_us;           /* last packet sent by it; 0: never */
	uint64_t confirmed_us;
	hash_sig_t sig;
	uint32_t q_head, q_tail, q_len;     /* held packets, pool node indexes */
	uint8_t state;
	uint8_t probes;             /* solicitations sent in INCOMPLETE or PROBE */
	struct rte_ether_addr mac;
	uint8_t key[HSOD_NEIGH_ADDR_MAX];
};

struct hsod_neigh_tbl {
	struct rte_hash *h;
	struct entry *e;            /* params.entries of them */
	struct entry *free;
	struct entry lru;           /* sentinel: lru.next most, lru.prev least recent */
	uint8_t addr_len;
	struct hsod_neigh_params p;
	uint64_t reachable_us, stale_us, retrans_us, delay_us;
	uint64_t next_draw_us;
	uint64_t now_us;            /* of the tick running the timers */
	struct tcp_wheel wheel;
	struct hsod_neigh_pool *pool;
	const struct hsod_neigh_ops *ops;
	void *ctx;
	struct hsod_neigh_stats stats;
};

static const char *const state_names[HSOD_NEIGH_STATE_NUM] = {
	[HSOD_NEIGH_NONE] = "none",
	[HSOD_NEIGH_INCOMPLETE] = "incomplete",
	[HSOD_NEIGH_REACHABLE] = "reachable",
	[HSOD_NEIGH_STALE] = "stale",
	[HSOD_NEIGH_DELAY] = "delay",
	[HSOD_NEIGH_PROBE] = "probe",
};

const char *
hsod_neigh_state_name(enum hsod_neigh_state s)
{
	return (unsigned)s < HSOD_NEIGH_STATE_NUM ? state_names[s] : "invalid";
}

void
hsod_neigh_params_default(struct hsod_neigh_params *p)
{
	memset(p, 0, sizeof(*p));
	p->entries = HSOD_NEIGH_ENTRIES_DEFAULT;
	p->queue = HSOD_NEIGH_QUEUE_DEFAULT;
	p->reachable_ms = HSOD_NEIGH_REACHABLE_MS_DEFAULT;
	p->stale_ms = HSOD_NEIGH_STALE_MS_DEFAULT;
	p->retrans_ms = HSOD_NEIGH_RETRANS_MS_DEFAULT;
	p->delay_ms = HSOD_NEIGH_DELAY_MS_DEFAULT;
	p->mcast_probes = HSOD_NEIGH_MCAST_PROBES_DEFAULT;
	p->ucast_probes = HSOD_NEIGH_UCAST_PROBES_DEFAULT;
	p->randomize = true;
}

/* ---- the pool of held-packet nodes ---------------------------------- */

size_t
hsod_neigh_pool_mem_size(uint32_t packets)
{
	return sizeof(struct hsod_neigh_pool) + (size_t)packets * sizeof(struct qnode);
}

void
hsod_neigh_mem_size(uint32_t entries, unsigned addr_len, size_t *heap, size_t *dpdk)
{
	size_t slots = (size_t)entries + 1;
	size_t buckets = rte_align32pow2(entries) / 8;

	*heap = sizeof(struct hsod_neigh_tbl) + (size_t)entries * sizeof(struct entry) +
		WHEEL_SLOTS * sizeof(struct tcp_timer *);
	*dpdk = slots * RTE_ALIGN(sizeof(void *) + addr_len, 16) +
		2 * buckets * RTE_CACHE_LINE_SIZE +
		2 * (size_t)rte_align32pow2((uint32_t)slots) * sizeof(uint32_t);
}

struct hsod_neigh_pool *
hsod_neigh_pool_create(uint32_t packets)
{
	struct hsod_neigh_pool *pool;

	if (packets == 0 || packets > (1u << 24)) {
		errno = EINVAL;
		return NULL;
	}
	pool = calloc(1, sizeof(*pool) + (size_t)packets * sizeof(pool->node[0]));
	if (pool == NULL)
		return NULL;
	pool->size = packets;
	pool->n_free = packets;
	for (uint32_t i = 0; i < packets; i++)
		pool->node[i].next = i + 1 < packets ? i + 1 : NIL;
	pool->free_head = 0;
	return pool;
}

void
hsod_neigh_pool_free(struct hsod_neigh_pool *pool)
{
	free(pool);
}

uint32_t
hsod_neigh_pool_avail(const struct hsod_neigh_pool *pool)
{
	return pool->n_free;
}

/* Append @p m to @p e's queue; false when the pool has no node left. */
static bool
q_push(struct hsod_neigh_pool *pool, struct entry *e, struct rte_mbuf *m)
{
	uint32_t i = pool->free_head;

	if (i == NIL)
		return false;
	pool->free_head = pool->node[i].next;
	pool->n_free--;
	pool->node[i].m = m;
	pool->node[i].next = NIL;
	if (e->q_len == 0)
		e->q_head = i;
	else
		pool->node[e->q_tail].next = i;
	e->q_tail = i;
	e->q_len++;
	return true;
}

/* The oldest held packet of @p e (q_len > 0); its node goes back. */
static struct rte_mbuf *
q_pop(struct hsod_neigh_pool *pool, struct entry *e)
{
	uint32_t i = e->q_head;
	struct rte_mbuf *m = pool->node[i].m;

	e->q_head = pool->node[i].next;
	if (--e->q_len == 0)
		e->q_head = e->q_tail = NIL;
	pool->node[i].m = NULL;
	pool->node[i].next = pool->free_head;
	pool->free_head = i;
	pool->n_free++;
	return m;
}

static void
q_drop_all(struct hsod_neigh_tbl *t, struct entry *e)
{
	while (e->q_len > 0) {
		rte_pktmbuf_free(q_pop(t->pool, e));
		t->stats.queue_drops++;
	}
}

/* ---- entries -------------------------------------------------------- */

/*
 * By bytes: mac_eq() reads 16-bit words, which strict
 * aliasing lets the compiler order before a byte or struct store.
 */
static inline bool
mac_eq(const struct rte_ether_addr *a, const struct rte_ether_addr *b)
{
	return memcmp(a, b, RTE_ETHER_ADDR_LEN) == 0;
}

static void
lru_unlink(struct entry *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
}

static void
lru_push_front(struct hsod_neigh_tbl *t, struct entry *e)
{
	e->prev = &t->lru;
	e->next = t->lru.next;
	t->lru.next->prev = e;
	t->lru.next = e;
}

static void
lru_touch(struct hsod_neigh_tbl *t, struct entry *e)
{
	if (t->lru.next != e) {
		lru_unlink(e);
		lru_push_front(t, e);
	}
}

static void
arm(struct hsod_neigh_tbl *t, struct entry *e, uint64_t at_us)
{
	tcp_wheel_insert(&t->wheel, &e->timer, at_us);
}

/* Remove @p e: timer, held packets (counted), hash, LRU; back to the free list. */
static void
entry_del(struct hsod_neigh_tbl *t, struct entry *e)
{
	tcp_wheel_cancel(&e->timer);
	q_drop_all(t, e);
	rte_hash_del_key_with_hash(t->h, e->key, e->sig);
	lru_unlink(e);
	e->state = HSOD_NEIGH_NONE;
	e->next = t->free;
	t->free = e;
	t->stats.entries--;
}

/* A new entry for @p key, in no state yet; NULL when the hash refuses it. */
static struct entry *
entry_new(struct hsod_neigh_tbl *t, const void *key, hash_sig_t sig)
{
	struct entry *e = t->free;

	if (e == NULL) {
		/* Full: the least recently used entry makes room. */
		entry_del(t, t->lru.prev);
		t->stats.evictions++;
		e = t->free;
	}
	memcpy(e->key, key, t->addr_len);
	e->sig = sig;
	/* Cannot fail with extendable buckets and a free entry; checked anyway. */
	if (rte_hash_add_key_with_hash_data(t->h, e->key, sig, e) < 0)
		return NULL;
	t->free = e->next;
	e->state = HSOD_NEIGH_NONE;
	e->probes = 0;
	e->used_us = 0;
	e->confirmed_us = 0;
	e->q_head = e->q_tail = NIL;
	e->q_len = 0;
	memset(&e->mac, 0, sizeof(e->mac));
	lru_push_front(t, e);
	t->stats.created++;
	t->stats.entries++;
	return e;
}

/*
 * The caller's address copied to an aligned key: rte_hash_crc() reads keys
 * 8 bytes at a time, and an address read in place from a frame (an IPv6
 * one at offset 22 or 38) is not 8-byte aligned (UBSan: C11 6.3.2.3p7).
 */
union nkey {
	uint64_t align;
	uint8_t b[16];
};

static inline const void *
key_of(const struct hsod_neigh_tbl *t, const void *addr, union nkey *k)
{
	memcpy(k->b, addr, t->addr_len);
	return k->b;
}

static struct entry *
entry_find(const struct hsod_neigh_tbl *t, const void *key, hash_sig_t sig)
{
	void *data;

	if (rte_hash_lookup_with_hash_data(t->h, key, sig, &data) < 0)
		return NULL;
	return data;
}

/* A solicitation: to everyone (@p unicast false) or to the cached address. */
static void
solicit(struct hsod_neigh_tbl *t, struct entry *e, bool unicast)
{
	e->probes++;
	if (t->ops->solicit(t->ctx, e->key, unicast ? &e->mac : NULL) != 0) {
		t->stats.solicit_failed++;
		return;
	}
	if (unicast)
		t->stats.rerequests++;
	else
		t->stats.requests++;
}

static void
set_reachable(struct hsod_neigh_tbl *t, struct entry *e, uint64_t confirmed_us)
{
	e->state = HSOD_NEIGH_REACHABLE;
	e->confirmed_us = confirmed_us;
	e->probes = 0;
	arm(t, e, confirmed_us + t->reachable_us);
}

static void
set_stale(struct hsod_neigh_tbl *t, struct entry *e, uint64_t now)
{
	e->state = HSOD_NEIGH_STALE;
	e->probes = 0;
	arm(t, e, now + t->stale_us);
}

/* RFC 4861 7.3.3: the first packet sent to a STALE entry starts DELAY. */
static void
set_delay(struct hsod_neigh_tbl *t, struct entry *e, uint64_t now)
{
	e->state = HSOD_NEIGH_DELAY;
	e->probes = 0;
	arm(t, e, now + t->delay_us);
}

/* Resolution or probing got no answer: the entry and what it held go. */
static void
fail(struct hsod_neigh_tbl *t, struct entry *e)
{
	t->stats.failed++;
	entry_del(t, e);
}

static void
timer_fire(struct tcp_timer *tm, void *arg)
{
	struct hsod_neigh_tbl *t = arg;
	struct entry *e = (struct entry *)tm;
	uint64_t now = t->now_us;

	switch ((enum hsod_neigh_state)e->state) {
	case HSOD_NEIGH_INCOMPLETE:
		/* RFC 4861 7.2.2: MAX_MULTICAST_SOLICIT tries, then give up. */
		if (e->probes >= t->p.mcast_probes) {
			fail(t, e);
			return;
		}
		solicit(t, e, false);
		arm(t, e, now + t->retrans_us);
		return;
	case HSOD_NEIGH_REACHABLE:
		/* Confirmations since it was armed only stamped the entry. */
		if (now < e->confirmed_us + t->reachable_us) {
			arm(t, e, e->confirmed_us + t->reachable_us);
			return;
		}
		/*
		 * Lapsed. In use (sent to within the delay): DELAY, then unicast
		 * probes while packets keep going to the cached address. Unused:
		 * STALE, removed unless used again.
		 */
		if (e->used_us != 0 && now < e->used_us + t->delay_us)
			set_delay(t, e, now);
		else
			set_stale(t, e, now);
		return;
	case HSOD_NEIGH_DELAY:
		/*
		 * Linux's check. hsod_neigh_confirm() moves a DELAY entry to
		 * REACHABLE at once, so this holds only for a confirmation
		 * stamped without that move.
		 */
		if (now < e->confirmed_us + t->delay_us) {
			set_reachable(t, e, e->confirmed_us);
			return;
		}
		/* RFC 4861 7.3.3: no confirmation in DELAY_FIRST_PROBE_TIME: PROBE. */
		e->state = HSOD_NEIGH_PROBE;
		e->probes = 0;
		solicit(t, e, true);
		arm(t, e, now + t->retrans_us);
		return;
	case HSOD_NEIGH_PROBE:
		/* RFC 4861 7.3.3: MAX_UNICAST_SOLICIT probes, then the entry goes. */
		if (e->probes >= t->p.ucast_probes) {
			fail(t, e);
			return;
		}
		solicit(t, e, true);
		arm(t, e, now + t->retrans_us);
		return;
	case HSOD_NEIGH_STALE:
		/* Unused since it went stale (a use moves it to DELAY). */
		t->stats.expired++;
		entry_del(t, e);
		return;
	case HSOD_NEIGH_NONE:
	case HSOD_NEIGH_STATE_NUM:
		break;
	}
}

/* RFC 4861 6.3.2: uniformly in [MIN_RANDOM_FACTOR, MAX_RANDOM_FACTOR) x base. */
static void
draw_reachable(struct hsod_neigh_tbl *t, uint64_t now)
{
	uint64_t base = (uint64_t)t->p.reachable_ms * 1000;

	t->reachable_us = t->p.randomize ? base / 2 + rte_rand_max(base) : base;
	t->next_draw_us = now + REDRAW_US;
}

static bool
params_ok(const struct hsod_neigh_params *p)
{
	return p->entries >= HSOD_NEIGH_ENTRIES_MIN && p->entries <= HSOD_NEIGH_ENTRIES_MAX &&
	       p->queue >= 1 && p->reachable_ms >= 1 && p->stale_ms >= 1 &&
	       p->retrans_ms >= 1 && p->delay_ms >= 1 && p->mcast_probes >= 1 &&
	       p->ucast_probes >= 1;
}

struct hsod_neigh_tbl *
hsod_neigh_create(const struct hsod_neigh_conf *c)
{
	struct rte_hash_parameters hp = {
		.name = c->name,
		.entries = c->params.entries,
		.key_len = c->addr_len,
		.hash_func = rte_hash_crc,
		.socket_id = c->socket_id,
		/*
		 * One lcore reads and writes: no concurrency flags (no locks,
		 * no RCU); extendable buckets so every entry fits.
		 */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	struct hsod_neigh_tbl *t;
	int err;

	if (c->name == NULL || (c->addr_len != 4 && c->addr_len != 16) ||
	    !params_ok(&c->params) || c->ops == NULL || c->ops->solicit == NULL ||
	    c->ops->xmit == NULL) {
		errno = EINVAL;
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->addr_len = c->addr_len;
	t->p = c->params;
	t->pool = c->pool;
	t->ops = c->ops;
	t->ctx = c->ctx;
	t->stale_us = (uint64_t)t->p.stale_ms * 1000;
	t->retrans_us = (uint64_t)t->p.retrans_ms * 1000;
	t->delay_us = (uint64_t)t->p.delay_ms * 1000;
	draw_reachable(t, 0);
	t->lru.next = t->lru.prev = &t->lru;
	t->e = calloc(t->p.entries, sizeof(*t->e));
	if (t->e == NULL) {
		err = ENOMEM;
		goto fail;
	}
	for (uint32_t i = t->p.entries; i-- > 0;) {
		t->e[i].next = t->free;
		t->free = &t->e[i];
	}
	err = -tcp_wheel_init(&t->wheel, WHEEL_SLOTS, WHEEL_TICK_US, 0);
	if (err != 0)
		goto fail;
	t->h = rte_hash_create(&hp);
	if (t->h == NULL) {
		err = rte_errno ? rte_errno : ENOMEM;
		goto fail;
	}
	return t;
fail:
	tcp_wheel_fini(&t->wheel);
	free(t->e);
	free(t);
	errno = err;
	return NULL;
}

void
hsod_neigh_free(struct hsod_neigh_tbl *t)
{
	if (t == NULL)
		return;
	/* Held packets go back (their nodes too: the pool may live on). */
	for (struct entry *e = t->lru.next; e != &t->lru; e = e->next)
		while (e->q_len > 0)
			rte_pktmbuf_free(q_pop(t->pool, e));
	rte_hash_free(t->h);
	tcp_wheel_fini(&t->wheel);
	free(t->e);
	free(t);
}

/* Hold @p m for INCOMPLETE @p e. */
static enum hsod_neigh_result
hold(struct hsod_neigh_tbl *t, struct entry *e, struct rte_mbuf *m)
{
	if (m == NULL)
		return HSOD_NEIGH_MISS;
	/*
	 * RFC 4861 7.2.2: "the number of queued packets per neighbor SHOULD be
	 * limited to some small value. When a queue overflows, the new arrival
	 * SHOULD replace the oldest entry."
	 */
	if (e->q_len >= t->p.queue) {
		rte_pktmbuf_free(q_pop(t->pool, e));
		t->stats.queue_drops++;
	}
	if (t->pool == NULL || !q_push(t->pool, e, m)) {
		/* The worker's cap: what is held stays, the newest goes. */
		rte_pktmbuf_free(m);
		t->stats.queue_drops++;
		return HSOD_NEIGH_MISS;
	}
	t->stats.queued++;
	return HSOD_NEIGH_QUEUED;
}

enum hsod_neigh_result
hsod_neigh_resolve(struct hsod_neigh_tbl *t, const void *addr, struct rte_mbuf *m,
		   uint64_t now, struct rte_ether_addr *mac)
{
	union nkey k;
	hash_sig_t sig = rte_hash_hash(t->h, addr = key_of(t, addr, &k));
	struct entry *e = entry_find(t, addr, sig);

	if (e == NULL) {
		t->stats.misses++;
		e = entry_new(t, addr, sig);
		if (e == NULL) {
			if (m != NULL) {
				rte_pktmbuf_free(m);
				t->stats.queue_drops++;
			}
			return HSOD_NEIGH_MISS;
		}
		e->state = HSOD_NEIGH_INCOMPLETE;
		e->used_us = now;
		solicit(t, e, false);
		arm(t, e, now + t->retrans_us);
		return hold(t, e, m);
	}
	e->used_us = now;
	lru_touch(t, e);
	switch ((enum hsod_neigh_state)e->state) {
	case HSOD_NEIGH_INCOMPLETE:
		t->stats.misses++;
		return hold(t, e, m);
	case HSOD_NEIGH_STALE:
		set_delay(t, e, now);
		break;
	default:
		break;
	}
	t->stats.hits++;
	rte_ether_addr_copy(&e->mac, mac);
	return HSOD_NEIGH_HIT;
}

/* Send what @p e held, oldest first, to its new address. */
static void
flush(struct hsod_neigh_tbl *t, struct entry *e)
{
	while (e->q_len > 0) {
		t->ops->xmit(t->ctx, q_pop(t->pool, e), &e->mac);
		t->stats.flushed++;
	}
}

void
hsod_neigh_update(struct hsod_neigh_tbl *t, const void *addr, const struct rte_ether_addr *mac,
		  unsigned flags, uint64_t now)
{
	union nkey k;
	hash_sig_t sig = rte_hash_hash(t->h, addr = key_of(t, addr, &k));
	struct entry *e = entry_find(t, addr, sig);
	bool solicited = (flags & HSOD_NEIGH_F_SOLICITED) != 0;

	if (e == NULL) {
		if (!(flags & HSOD_NEIGH_F_CREATE))
			return;
		e = entry_new(t, addr, sig);
		if (e == NULL)
			return;
		rte_ether_addr_copy(mac, &e->mac);
		/* RFC 4861 7.2.3: an entry learned unasked is STALE. */
		set_stale(t, e, now);
		return;
	}
	if (e->state == HSOD_NEIGH_INCOMPLETE) {
		/* RFC 4861 7.2.5: REACHABLE if solicited, else STALE; send what waited. */
		rte_ether_addr_copy(mac, &e->mac);
		t->stats.resolved++;
		if (solicited) {
			set_reachable(t, e, now);
		} else if (e->q_len > 0) {
			/* The held packets are a use of a STALE entry. */
			e->used_us = now;
			set_delay(t, e, now);
		} else {
			set_stale(t, e, now);
		}
		flush(t, e);
		return;
	}
	if (!mac_eq(mac, &e->mac)) {
		if (!(flags & HSOD_NEIGH_F_OVERRIDE)) {
			/* RFC 4861 7.2.5: not overriding: keep the address, doubt it. */
			if (e->state == HSOD_NEIGH_REACHABLE)
				set_stale(t, e, now);
			return;
		}
		rte_ether_addr_copy(mac, &e->mac);
		t->stats.updates++;
		if (solicited)
			set_reachable(t, e, now);
		else
			set_stale(t, e, now);
		return;
	}
	if (solicited) {
		t->stats.reconfirmed++;
		set_reachable(t, e, now);
	}
	/* RFC 4861 7.2.3: the same address, unsolicited: the state is not changed. */
}

void
hsod_neigh_confirm(struct hsod_neigh_tbl *t, const void *addr, const struct rte_ether_addr *mac,
		   uint64_t now)
{
	union nkey k;
	struct entry *e;

	addr = key_of(t, addr, &k);
	e = entry_find(t, addr, rte_hash_hash(t->h, addr));

	if (e == NULL || e->state == HSOD_NEIGH_INCOMPLETE || !mac_eq(mac, &e->mac))
		return;
	t->stats.refreshes++;
	if (e->state == HSOD_NEIGH_REACHABLE)
		e->confirmed_us = now;      /* the timer re-reads it */
	else
		set_reachable(t, e, now);
}

unsigned
hsod_neigh_tick(struct hsod_neigh_tbl *t, uint64_t now)
{
	t->now_us = now;
	if (unlikely(now >= t->next_draw_us))
		draw_reachable(t, now);
	return tcp_wheel_run(&t->wheel, now, timer_fire, t);
}

int
hsod_neigh_get(const struct hsod_neigh_tbl *t, const void *addr, struct hsod_neigh_info *info)
{
	union nkey k;
	const struct entry *e;

	addr = key_of(t, addr, &k);
	e = entry_find(t, addr, rte_hash_hash(t->h, addr));

	if (e == NULL)
		return -ENOENT;
	memset(info, 0, sizeof(*info));
	info->state = (enum hsod_neigh_state)e->state;
	rte_ether_addr_copy(&e->mac, &info->mac);
	info->queued = e->q_len;
	info->probes = e->probes;
	info->used_us = e->used_us;
	info->confirmed_us = e->confirmed_us;
	return 0;
}

const struct hsod_neigh_stats *
hsod_neigh_stats(const struct hsod_neigh_tbl *t)
{
	return &t->stats;
}

uint64_t
hsod_neigh_reachable_us(const struct hsod_neigh_tbl *t)
{
	return t->reachable_us;
}
