/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_HIST_H
#define HSO_GEN_HIST_H

/**
 * @file
 * A log-linear latency histogram in the manner of HdrHistogram (Gil Tene):
 * values below 2^GEN_HIST_SUB_BITS are counted exactly; above, every power
 * of two is split into 2^(GEN_HIST_SUB_BITS - 1) equal buckets, so a
 * bucket's width is at most 1/128 of its values (0.8 %). The layout is
 * fixed, so histograms from several lcores or runs merge by adding counts
 * bucket by bucket (gen_hist_merge(); in JSON, buckets with equal bounds).
 * Recording is a few instructions and never allocates. No DPDK.
 *
 * Values are unsigned integers in any unit (hso-gen records nanoseconds);
 * values of 2^GEN_HIST_MAX_BITS or more land in the last bucket and are
 * counted in @c overflow.
 */

#include <stdint.h>
#include <stdio.h>

#define GEN_HIST_SUB_BITS 8
#define GEN_HIST_MAX_BITS 40            /* 2^40 ns: 18 minutes */
#define GEN_HIST_SUB (1u << GEN_HIST_SUB_BITS)
#define GEN_HIST_HALF (GEN_HIST_SUB / 2)
/** Exact buckets, then HALF per power of two from 2^SUB_BITS to 2^MAX_BITS. */
#define GEN_HIST_BUCKETS (GEN_HIST_SUB + (GEN_HIST_MAX_BITS - GEN_HIST_SUB_BITS) * GEN_HIST_HALF)

struct gen_hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;                   /**< UINT64_MAX while empty */
	uint64_t max;
	uint64_t overflow;              /**< values >= 2^GEN_HIST_MAX_BITS */
	uint64_t b[GEN_HIST_BUCKETS];
};

/** An empty histogram. */
void gen_hist_init(struct gen_hist *h);

/** The bucket of value @p v. */
static inline unsigned
gen_hist_index(uint64_t v)
{
	unsigned e, shift;

	if (v < GEN_HIST_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);     /* floor(log2 v) >= SUB_BITS */
	if (e >= GEN_HIST_MAX_BITS)
		return GEN_HIST_BUCKETS - 1;
	shift = e - (GEN_HIST_SUB_BITS - 1);        /* v >> shift in [HALF, SUB) */
	return GEN_HIST_SUB + (e - GEN_HIST_SUB_BITS) * GEN_HIST_HALF +
	       (unsigned)((v >> shift) - GEN_HIST_HALF);
}

static inline void
gen_hist_record(struct gen_hist *h, uint64_t v)
{
	h->b[gen_hist_index(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	if (v >> GEN_HIST_MAX_BITS)
		h->overflow++;
}

/** Smallest value of bucket @p i. */
uint64_t gen_hist_bucket_lo(unsigned i);
/** Largest value of bucket @p i (the last bucket: 2^MAX_BITS - 1). */
uint64_t gen_hist_bucket_hi(unsigned i);

/** Add @p src into @p dst (counts, sums, extremes). */
void gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src);

/**
 * @p dst = @p now - @p before, bucket by bucket: what was recorded in
 * between (min and max are not known for an interval: those of @p now).
 * A bucket that went down (a reset in between) counts as @p now's alone.
 */
void gen_hist_diff(struct gen_hist *dst, const struct gen_hist *now,
		   const struct gen_hist *before);

/**
 * The value at quantile @p q (0..1): the highest value of the bucket that
 * holds the ceil(q * count)-th value, not above the largest recorded.
 * @return 0 for an empty histogram.
 */
uint64_t gen_hist_quantile(const struct gen_hist *h, double q);

/**
 * Write the non-empty buckets as a JSON array of [lo, hi, count] (values
 * in the histogram's unit, inclusive bounds).
 */
void gen_hist_json_buckets(const struct gen_hist *h, FILE *f);

#endif
