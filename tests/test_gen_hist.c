/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen's log-linear histogram: bucket bounds contiguous and within the
 * promised precision, exact small values, quantiles against a sorted copy
 * of the data, merging two equals recording both, intervals by difference,
 * overflow, the JSON buckets.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "gen_hist.h"

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void
test_buckets(void)
{
	/* Contiguous, each bound in its own bucket, widths within 1/128. */
	CHECK_EQ(gen_hist_bucket_lo(0), 0);
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++) {
		uint64_t lo = gen_hist_bucket_lo(i), hi = gen_hist_bucket_hi(i);

		CHECK_MSG(gen_hist_index(lo) == i && gen_hist_index(hi) == i, "bucket %u", i);
		if (i + 1 < GEN_HIST_BUCKETS)
			CHECK_EQ(gen_hist_bucket_lo(i + 1), hi + 1);
		CHECK_MSG(lo < GEN_HIST_SUB ? hi == lo : (double)(hi - lo + 1) / (double)lo <= 1.0 / 128,
			  "bucket %u [%llu, %llu]", i, (unsigned long long)lo, (unsigned long long)hi);
	}
	CHECK_EQ(gen_hist_bucket_hi(GEN_HIST_BUCKETS - 1), (1ull << GEN_HIST_MAX_BITS) - 1);
	CHECK_EQ(gen_hist_index(UINT64_MAX), GEN_HIST_BUCKETS - 1);
	for (uint64_t v = 0; v < GEN_HIST_SUB; v++)
		CHECK_EQ(gen_hist_index(v), v);
}

static void
test_quantiles(void)
{
	enum { N = 100000 };
	static uint64_t v[N];
	static struct gen_hist h;
	uint64_t rnd = 12345;
	const double qs[] = { 0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0 };

	gen_hist_init(&h);
	CHECK_EQ(gen_hist_quantile(&h, 0.5), 0);
	/* Log-uniform from 1 ns to ~1 s. */
	for (unsigned i = 0; i < N; i++) {
		double x = (double)(check_rnd(&rnd) >> 11) / (double)(1ull << 53);

		v[i] = (uint64_t)exp(x * log(1e9));
		gen_hist_record(&h, v[i]);
	}
	qsort(v, N, sizeof(v[0]), cmp_u64);
	CHECK_EQ(h.count, N);
	CHECK_EQ(h.min, v[0]);
	CHECK_EQ(h.max, v[N - 1]);
	for (unsigned k = 0; k < sizeof(qs) / sizeof(qs[0]); k++) {
		uint64_t rank = (uint64_t)ceil(qs[k] * N), exact = v[rank ? rank - 1 : 0];
		uint64_t got = gen_hist_quantile(&h, qs[k]);

		/* The bucket's top: at or above the exact value, within 1/128. */
		CHECK_MSG(got >= exact && (double)(got - exact) <= (double)exact / 128 + 1,
			  "q %.3f: got %llu exact %llu", qs[k], (unsigned long long)got,
			  (unsigned long long)exact);
	}
	CHECK_EQ(gen_hist_quantile(&h, 1.0), h.max);
}

static void
test_merge_diff(void)
{
	static struct gen_hist a, b, all, d;
	uint64_t rnd = 77;

	gen_hist_init(&a);
	gen_hist_init(&b);
	gen_hist_init(&all);
	for (unsigned i = 0; i < 5000; i++) {
		uint64_t x = check_rnd(&rnd) % 5000000;

		gen_hist_record(i % 3 ? &a : &b, x);
		gen_hist_record(&all, x);
	}
	gen_hist_record(&b, 1ull << 45);        /* overflow */
	gen_hist_record(&all, 1ull << 45);
	CHECK_EQ(b.overflow, 1);
	CHECK_EQ(b.b[GEN_HIST_BUCKETS - 1], 1);
	d = a;
	gen_hist_merge(&d, &b);
	CHECK_MEM(d.b, all.b, sizeof(all.b));
	CHECK(d.count == all.count && d.sum == all.sum && d.min == all.min && d.max == all.max &&
	      d.overflow == all.overflow);
	/* all - a = b (bucket counts, count, sum, overflow). */
	gen_hist_diff(&d, &all, &a);
	CHECK_MEM(d.b, b.b, sizeof(b.b));
	CHECK(d.count == b.count && d.sum == b.sum && d.overflow == b.overflow);
	/* A reset in between: the interval is the new histogram alone. */
	gen_hist_diff(&d, &b, &all);
	CHECK_MEM(d.b, b.b, sizeof(b.b));
	CHECK_EQ(d.count, b.count);
}

static void
test_json(void)
{
	static struct gen_hist h;
	char buf[256] = "";
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	gen_hist_init(&h);
	gen_hist_record(&h, 5);
	gen_hist_record(&h, 5);
	gen_hist_record(&h, 1000);
	gen_hist_json_buckets(&h, f);
	fclose(f);
	/* 1000 = 0b1111101000: e 9, shift 2, bucket [1000, 1003]. */
	CHECK_MSG(strcmp(buf, "[[5,5,2],[1000,1003,1]]") == 0, "%s", buf);
}

int
main(void)
{
	test_buckets();
	test_quantiles();
	test_merge_diff();
	test_json();
	return check_result("test_gen_hist");
}
