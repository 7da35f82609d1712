/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source token buckets (contract in limit.h): a chained hash over a
 * fixed array of entries, heads a power of two >= entries, and one LRU list
 * through the same entries (indices, not pointers: half the size, and the
 * array may be copied). Tokens are kept in micro-tokens so that a rate of
 * R per second refills exactly R per elapsed microsecond.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "limit.h"
#include "tcp.h"

#define NIL UINT32_MAX
#define MICRO 1000000ull

struct entry {
	struct hsod_limit_key key;
	uint32_t next;          /* in its hash chain */
	uint32_t lru_prev, lru_next;
	uint64_t tokens;        /* micro-tokens */
	uint64_t last_us;       /* tokens were right at this time */
};

struct hsod_limit {
	struct hsod_limit_conf conf;
	uint64_t cap;           /* burst in micro-tokens */
	uint64_t fill_us;       /* time that refills an empty bucket */
	uint32_t mask;          /* heads - 1 */
	uint32_t *heads;
	struct entry *e;
	uint32_t used;          /* entries [0, used) were handed out */
	uint32_t lru_head, lru_tail;    /* most, least recently seen */
	struct hsod_limit_stats stats;
};

static uint32_t
heads_for(uint32_t entries)
{
	uint32_t heads = 1;

	while (heads < entries)
		heads <<= 1;
	return heads;
}

struct hsod_limit *
hsod_limit_create(const struct hsod_limit_conf *conf)
{
	struct hsod_limit *l;
	uint32_t heads;

	if (conf->rate != 0 && (conf->entries == 0 || conf->burst == 0)) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL)
		return NULL;
	l->conf = *conf;
	l->lru_head = l->lru_tail = NIL;
	if (conf->rate == 0)
		return l;       /* no limit: nothing to remember */
	if (!conf->fixed_key &&
	    getrandom(l->conf.key, sizeof(l->conf.key), 0) != (ssize_t)sizeof(l->conf.key)) {
		int e = errno;

		free(l);
		errno = e;
		return NULL;
	}
	heads = heads_for(conf->entries);
	l->mask = heads - 1;
	l->cap = (uint64_t)conf->burst * MICRO;
	l->fill_us = l->cap / conf->rate + 1;
	l->heads = malloc((size_t)heads * sizeof(*l->heads));
	l->e = calloc(conf->entries, sizeof(*l->e));
	if (l->heads == NULL || l->e == NULL) {
		hsod_limit_free(l);
		errno = ENOMEM;
		return NULL;
	}
	memset(l->heads, 0xff, (size_t)heads * sizeof(*l->heads));
	return l;
}

size_t
hsod_limit_mem_size(const struct hsod_limit_conf *conf)
{
	size_t n = sizeof(struct hsod_limit);

	if (conf->rate != 0)
		n += (size_t)heads_for(conf->entries) * sizeof(uint32_t) +
		     (size_t)conf->entries * sizeof(struct entry);
	return n;
}

void
hsod_limit_free(struct hsod_limit *l)
{
	if (l == NULL)
		return;
	free(l->heads);
	free(l->e);
	free(l);
}

struct hsod_limit_key
hsod_limit_key4(uint32_t addr)
{
	struct hsod_limit_key k = { .b = { 4 } };

	memcpy(&k.b[1], &addr, sizeof(addr));
	return k;
}

struct hsod_limit_key
hsod_limit_key6(const uint8_t a[16], unsigned prefix_len)
{
	struct hsod_limit_key k = { .b = { 6 } };
	unsigned whole = prefix_len >= 128 ? 16 : prefix_len / 8;

	memcpy(&k.b[1], a, whole);
	if (whole < 16 && prefix_len % 8 != 0)
		k.b[1 + whole] = a[whole] & (uint8_t)(0xff00u >> (prefix_len % 8));
	return k;
}

static bool
key_eq(const struct hsod_limit_key *a, const struct hsod_limit_key *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

static uint32_t
bucket_of(const struct hsod_limit *l, const struct hsod_limit_key *k)
{
	return (uint32_t)tcp_siphash24(l->conf.key, k->b, sizeof(k->b)) & l->mask;
}

static void
lru_unlink(struct hsod_limit *l, uint32_t i)
{
	struct entry *x = &l->e[i];

	if (x->lru_prev != NIL)
		l->e[x->lru_prev].lru_next = x->lru_next;
	else
		l->lru_head = x->lru_next;
	if (x->lru_next != NIL)
		l->e[x->lru_next].lru_prev = x->lru_prev;
	else
		l->lru_tail = x->lru_prev;
}

static void
lru_push_head(struct hsod_limit *l, uint32_t i)
{
	struct entry *x = &l->e[i];

	x->lru_prev = NIL;
	x->lru_next = l->lru_head;
	if (l->lru_head != NIL)
		l->e[l->lru_head].lru_prev = i;
	l->lru_head = i;
	if (l->lru_tail == NIL)
		l->lru_tail = i;
}

/* Take entry @p i out of its hash chain (chains are short: keyed hash, load <= 1). */
static void
chain_unlink(struct hsod_limit *l, uint32_t i)
{
	uint32_t *pp = &l->heads[bucket_of(l, &l->e[i].key)];

	while (*pp != NIL && *pp != i)
		pp = &l->e[*pp].next;
	if (*pp == i)
		*pp = l->e[i].next;
}

bool
hsod_limit_take(struct hsod_limit *l, const struct hsod_limit_key *k, uint64_t now_us)
{
	uint32_t b, i;
	struct entry *x;

	if (l->conf.rate == 0) {
		l->stats.allowed++;
		return true;
	}
	b = bucket_of(l, k);
	for (i = l->heads[b]; i != NIL; i = l->e[i].next)
		if (key_eq(&l->e[i].key, k))
			break;
	if (i == NIL) {
		/* A source not seen lately: a free entry, or the least recent one. */
		if (l->used < l->conf.entries) {
			i = l->used++;
			l->stats.sources++;
		} else {
			i = l->lru_tail;
			lru_unlink(l, i);
			chain_unlink(l, i);
			l->stats.evictions++;
		}
		x = &l->e[i];
		x->key = *k;
		x->tokens = l->cap;
		x->last_us = now_us;
		x->next = l->heads[b];
		l->heads[b] = i;
		lru_push_head(l, i);
	} else {
		x = &l->e[i];
		if (l->lru_head != i) {
			lru_unlink(l, i);
			lru_push_head(l, i);
		}
		if (now_us > x->last_us) {
			uint64_t dt = now_us - x->last_us;

			/* Capped first: dt * rate cannot overflow. */
			x->tokens = dt >= l->fill_us ? l->cap : x->tokens + dt * l->conf.rate;
			if (x->tokens > l->cap)
				x->tokens = l->cap;
			x->last_us = now_us;
		}
	}
	if (x->tokens < MICRO) {
		l->stats.limited++;
		return false;
	}
	x->tokens -= MICRO;
	l->stats.allowed++;
	return true;
}

const struct hsod_limit_stats *
hsod_limit_stats(const struct hsod_limit *l)
{
	return &l->stats;
}
