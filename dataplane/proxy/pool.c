/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Balancing and health of hso-proxy's backends. See pool.h.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pool.h"

void
pool_init(struct pool *p, enum pool_balance balance, uint32_t fall, uint32_t rise)
{
	memset(p, 0, sizeof(*p));
	p->balance = balance;
	p->fall = fall == 0 ? 1 : fall;
	p->rise = rise == 0 ? 1 : rise;
}

int
pool_add(struct pool *p, const char *name, const char *addr_str,
	 const struct sockaddr *addr, socklen_t addr_len, uint32_t weight,
	 uint32_t maxconn)
{
	struct pool_backend *b;

	if (p->n == POOL_MAX_BACKENDS)
		return -ENOSPC;
	if (weight > POOL_WEIGHT_MAX || maxconn > POOL_MAXCONN_MAX ||
	    addr_len == 0 || addr_len > sizeof(b->addr))
		return -EINVAL;
	b = &p->b[p->n];
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "%s", name);
	snprintf(b->addr_str, sizeof(b->addr_str), "%s", addr_str);
	memcpy(&b->addr, addr, addr_len);
	b->addr_len = addr_len;
	b->weight = weight;
	b->maxconn = maxconn;
	b->up = true;
	return (int)p->n++;
}

/* In service and may take weight; says whether it is only full. */
static bool
candidate(const struct pool *p, unsigned i, uint64_t exclude, bool *full)
{
	const struct pool_backend *b = &p->b[i];

	if (!b->up || b->weight == 0 || (exclude & (UINT64_C(1) << i)) != 0)
		return false;
	if (b->maxconn != 0 && b->active >= b->maxconn) {
		*full = true;
		return false;
	}
	return true;
}

static int
pick_roundrobin(struct pool *p, uint64_t exclude, bool *full)
{
	int64_t total = 0;
	int best = -1;

	/*
	 * Smooth weighted round robin: every candidate gains its weight, the
	 * richest wins and pays the total. Weights 5,1,1 give a a b a c a a,
	 * not a a a a a b c.
	 */
	for (unsigned i = 0; i < p->n; i++) {
		if (!candidate(p, i, exclude, full))
			continue;
		p->b[i].cur += p->b[i].weight;
		total += p->b[i].weight;
		if (best < 0 || p->b[i].cur > p->b[best].cur)
			best = (int)i;
	}
	if (best >= 0)
		p->b[best].cur -= total;
	return best;
}

static int
pick_leastconn(struct pool *p, uint64_t exclude, bool *full)
{
	int best = -1;

	/* Fewest active per weight: a.active/a.weight < b.active/b.weight. */
	for (unsigned k = 0; k < p->n; k++) {
		unsigned i = (p->lc_next + k) % p->n;
		const struct pool_backend *b = &p->b[i];

		if (!candidate(p, i, exclude, full))
			continue;
		if (best < 0 || (uint64_t)b->active * p->b[best].weight <
				(uint64_t)p->b[best].active * b->weight)
			best = (int)i;
	}
	if (best >= 0)
		p->lc_next = ((unsigned)best + 1) % p->n;
	return best;
}

int
pool_pick(struct pool *p, uint64_t exclude)
{
	bool full = false;
	int i;

	if (p->n == 0)
		return -ENOENT;
	i = p->balance == POOL_LEASTCONN ? pick_leastconn(p, exclude, &full)
					 : pick_roundrobin(p, exclude, &full);
	if (i >= 0)
		return i;
	if (full)
		for (unsigned k = 0; k < p->n; k++) {
			bool f = false;

			candidate(p, k, exclude, &f);
			if (f)
				p->b[k].st.full++;
		}
	return full ? -EBUSY : -ENOENT;
}

void
pool_acquire(struct pool *p, unsigned i)
{
	p->b[i].active++;
	p->b[i].st.conns++;
}

void
pool_release(struct pool *p, unsigned i)
{
	if (p->b[i].active > 0)
		p->b[i].active--;
}

static enum pool_change
failure(struct pool *p, unsigned i)
{
	struct pool_backend *b = &p->b[i];

	b->ok_streak = 0;
	if (!b->up)
		return POOL_SAME;
	if (++b->fail_streak < p->fall)
		return POOL_SAME;
	b->up = false;
	b->fail_streak = 0;
	b->cur = 0;
	b->st.went_down++;
	return POOL_WENT_DOWN;
}

enum pool_change
pool_check_result(struct pool *p, unsigned i, bool ok)
{
	struct pool_backend *b = &p->b[i];

	if (!ok) {
		b->st.checks_failed++;
		return failure(p, i);
	}
	b->st.checks_ok++;
	b->fail_streak = 0;
	if (b->up)
		return POOL_SAME;
	if (++b->ok_streak < p->rise)
		return POOL_SAME;
	b->up = true;
	b->ok_streak = 0;
	b->cur = 0;
	b->st.went_up++;
	return POOL_WENT_UP;
}

enum pool_change
pool_passive_failure(struct pool *p, unsigned i)
{
	p->b[i].st.passive_failures++;
	return failure(p, i);
}

void
pool_passive_success(struct pool *p, unsigned i)
{
	if (p->b[i].up)
		p->b[i].fail_streak = 0;
}

unsigned
pool_up_count(const struct pool *p)
{
	unsigned n = 0;

	for (unsigned i = 0; i < p->n; i++)
		n += p->b[i].up;
	return n;
}
