/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-proxy's connection table: preallocated connections with a hash from
 * hsod's handles, the intrusive lists (timers, retries, buffer waits) that
 * keep time-driven work off any scan, held DATA events and read buffers.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_priv.h"

static struct ilist *
list_of(int k, uint8_t id)
{
	if (k == LK_TIMER)
		return &P.timers[id];
	return k == LK_RETRY ? &P.retry : &P.bufwait;
}

void
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

void
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

void
timer_set(uint32_t ci, uint8_t tl, uint32_t ms)
{
	list_del(ci, LK_TIMER);
	if (tl == TL_NONE)
		return;
	P.conns[ci].deadline = P.now + ms;
	list_push(ci, LK_TIMER, tl);
}

/* Activity: the idle deadline moves (to the tail of the idle list). */
void
touch(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	if (c->on[LK_TIMER] == TL_IDLE && c->deadline != P.now + P.cfg.timeout_ms)
		timer_set(ci, TL_IDLE, P.cfg.timeout_ms);
}

void
retry_on(uint32_t ci)
{
	if (P.conns[ci].on[LK_RETRY] == 0)
		list_push(ci, LK_RETRY, 1);
}

static uint32_t
hslot(uint64_t k)
{
	k ^= k >> 33;
	k *= UINT64_C(0xff51afd7ed558ccd);
	k ^= k >> 33;
	return (uint32_t)k & P.hmask;
}

uint32_t
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

void
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
void
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
void
held_drop_all(uint32_t ci)
{
	struct pconn *c = &P.conns[ci];

	while (c->q_head != NIL) {
		P.st.dropped_bytes += P.held[c->q_head].ev.len - c->q_off;
		held_pop(ci);
	}
}

uint8_t *
buf_addr(uint32_t b)
{
	return P.bufs + (size_t)b * P.cfg.bufsize;
}


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
void
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

uint32_t
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

void
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

struct pool_backend *
conn_backend(const struct pconn *c)
{
	return c->backend >= 0 ? &P.pool.b[c->backend] : NULL;
}

void *
zalloc(size_t n, size_t size, const char *what)
{
	void *p = calloc(n, size);

	if (p == NULL)
		fprintf(stderr, "hso-proxy: cannot allocate %zu x %zu bytes for %s\n",
			n, size, what);
	return p;
}

int
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
