/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/limit.c: per-source token buckets. Burst then rate on the
 * test's clock, sources independent, refill capped at the burst, LRU
 * eviction (the least recently seen source goes, a busy one stays), a
 * table of colliding-size load, rate 0 means no limit, bad parameters;
 * IPv6 sources per prefix, families apart.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "limit.h"

static struct hsod_limit *
mk(uint32_t entries, uint32_t rate, uint32_t burst)
{
	struct hsod_limit_conf c = { .entries = entries, .rate = rate, .burst = burst,
				     .fixed_key = true };

	memset(c.key, 0x42, sizeof(c.key));
	return hsod_limit_create(&c);
}

/* How many of @p n tries at time @p t pass. */
static unsigned
takes(struct hsod_limit *l, uint32_t addr, uint64_t t, unsigned n)
{
	unsigned ok = 0;

	struct hsod_limit_key k = hsod_limit_key4(addr);

	for (unsigned i = 0; i < n; i++)
		ok += hsod_limit_take(l, &k, t);
	return ok;
}

static void
test_burst_then_rate(void)
{
	struct hsod_limit *l = mk(16, 10, 5);   /* 10/s, burst 5 */
	const uint32_t a = 0xc6120001;

	CHECK(l != NULL);
	/* A new source: the burst, then nothing at the same instant. */
	CHECK_EQ(takes(l, a, 1000, 8), 5);
	/* 100 ms later: one token (10/s). 50 ms more: none. */
	CHECK_EQ(takes(l, a, 101000, 3), 1);
	CHECK_EQ(takes(l, a, 151000, 3), 0);
	CHECK_EQ(takes(l, a, 201000, 3), 1);
	/* Over 10 s at one try per ms: 10/s pass, +-1. */
	{
		unsigned ok = 0;

		struct hsod_limit_key k = hsod_limit_key4(a);

		for (uint64_t t = 201000; t < 10201000; t += 1000)
			ok += hsod_limit_take(l, &k, t);
		CHECK_MSG(ok >= 99 && ok <= 101, "%u passed in 10 s at 10/s", ok);
	}
	/* Idle for an hour: back to the burst, not an hour's worth. */
	CHECK_EQ(takes(l, a, 3600ull * 1000000 + 10201000, 50), 5);
	/* The clock going backwards (another lcore's reading) neither adds nor crashes. */
	CHECK_EQ(takes(l, a, 1000, 2), 0);
	CHECK_EQ(hsod_limit_stats(l)->sources, 1);
	CHECK(hsod_limit_stats(l)->limited > 0);
	hsod_limit_free(l);
}

static void
test_sources_independent(void)
{
	struct hsod_limit *l = mk(1024, 1, 2);

	CHECK(l != NULL);
	CHECK_EQ(takes(l, 1, 0, 10), 2);
	/* Another source has its own bucket... */
	for (uint32_t s = 2; s < 1000; s++)
		CHECK_EQ(takes(l, s, 0, 3), 2);
	/* ...and the first is still empty. */
	CHECK_EQ(takes(l, 1, 0, 1), 0);
	CHECK_EQ(hsod_limit_stats(l)->sources, 999);
	CHECK_EQ(hsod_limit_stats(l)->evictions, 0);
	CHECK_EQ(hsod_limit_stats(l)->allowed, 2 * 999);
	hsod_limit_free(l);
}

static void
test_lru(void)
{
	struct hsod_limit *l = mk(4, 1, 1);

	CHECK(l != NULL);
	/* Four sources, each spends its token. */
	for (uint32_t s = 1; s <= 4; s++)
		CHECK_EQ(takes(l, s, 0, 1), 1);
	/* Source 1 seen again (refused: still empty) is now the most recent. */
	CHECK_EQ(takes(l, 1, 0, 1), 0);
	/* A fifth source evicts the least recent, source 2. */
	CHECK_EQ(takes(l, 5, 0, 1), 1);
	CHECK_EQ(hsod_limit_stats(l)->evictions, 1);
	CHECK_EQ(hsod_limit_stats(l)->sources, 4);
	/* Source 1 is still known (and still empty); source 2 comes back fresh. */
	CHECK_EQ(takes(l, 1, 0, 1), 0);
	CHECK_EQ(takes(l, 2, 0, 1), 1);         /* evicts 3 */
	CHECK_EQ(takes(l, 3, 0, 1), 1);         /* 3 was forgotten: fresh; evicts 4 */
	CHECK_EQ(takes(l, 1, 0, 1), 0);
	CHECK_EQ(hsod_limit_stats(l)->evictions, 3);
	/* Many more sources than entries, cycling: always bounded, never stuck. */
	for (uint32_t s = 100; s < 100000; s++)
		CHECK_EQ(takes(l, s, 0, 1), 1);
	CHECK_EQ(hsod_limit_stats(l)->sources, 4);
	/* The last four are known and empty. */
	for (uint32_t s = 99996; s < 100000; s++)
		CHECK_EQ(takes(l, s, 0, 1), 0);
	hsod_limit_free(l);
}

static void
test_no_limit_and_errors(void)
{
	struct hsod_limit *l = mk(0, 0, 0);

	CHECK(l != NULL);
	CHECK_EQ(takes(l, 7, 0, 100000), 100000);
	CHECK_EQ(hsod_limit_stats(l)->limited, 0);
	hsod_limit_free(l);
	errno = 0;
	CHECK(mk(0, 10, 5) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(mk(16, 10, 0) == NULL && errno == EINVAL);
	hsod_limit_free(NULL);
	/* A large rate and burst: no overflow in the refill. */
	l = mk(8, 1u << 24, 1u << 20);
	CHECK(l != NULL);
	CHECK_EQ(takes(l, 9, 0, 1u << 20), 1u << 20);
	CHECK_EQ(takes(l, 9, 0, 1), 0);
	CHECK_EQ(takes(l, 9, UINT64_MAX / 2, 1), 1);
	hsod_limit_free(l);
}

/* How many of @p n tries of IPv6 address @p a counted per /@p plen pass at time 0. */
static unsigned
takes6(struct hsod_limit *l, const uint8_t a[16], unsigned plen, unsigned n)
{
	struct hsod_limit_key k = hsod_limit_key6(a, plen);
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += hsod_limit_take(l, &k, 0);
	return ok;
}

static void
test_ipv6_prefix(void)
{
	struct hsod_limit *l = mk(64, 1, 2);
	uint8_t a[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };
	uint8_t b[16], v4[16] = { 0 };

	CHECK(l != NULL);
	/* Another address of the same /64: the same bucket. */
	CHECK_EQ(takes6(l, a, 64, 1), 1);
	memcpy(b, a, 16);
	b[15] = 2;
	b[8] = 0xff;
	CHECK_EQ(takes6(l, b, 64, 5), 1);
	/* The next /64: a bucket of its own. */
	b[7] = 2;
	CHECK_EQ(takes6(l, b, 64, 5), 2);
	/* Per /128, each address alone. */
	b[7] = 3;
	CHECK_EQ(takes6(l, b, 128, 5), 2);
	b[15] = 3;
	CHECK_EQ(takes6(l, b, 128, 5), 2);
	/* A prefix that is not a whole number of bytes: /60 masks the low 4 bits of byte 7. */
	b[7] = 0x10;
	CHECK_EQ(takes6(l, b, 60, 1), 1);
	b[7] = 0x1f;
	CHECK_EQ(takes6(l, b, 60, 5), 1);
	b[7] = 0x20;
	CHECK_EQ(takes6(l, b, 60, 5), 2);
	/* The families are apart: ::c612:1 is not 198.18.0.1. */
	v4[12] = 0xc6, v4[13] = 0x12, v4[15] = 1;
	CHECK_EQ(takes(l, 0xc6120001, 0, 5), 2);
	CHECK_EQ(takes6(l, v4, 128, 5), 2);
	hsod_limit_free(l);
}

int
main(void)
{
	test_burst_then_rate();
	test_sources_independent();
	test_lru();
	test_no_limit_and_errors();
	test_ipv6_prefix();
	{
		/* What the pre-EAL memory check counts: nothing without a rate, the table with one. */
		struct hsod_limit_conf c = { .entries = 1u << 22, .rate = 10, .burst = 1 };

		CHECK(hsod_limit_mem_size(&c) >= (size_t)(1u << 22) * (17 + 12 + 16 + 4));
		c.rate = 0;
		CHECK(hsod_limit_mem_size(&c) < 256);
	}
	return check_result("limit");
}
