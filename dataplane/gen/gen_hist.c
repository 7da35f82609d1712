/* SPDX-License-Identifier: BSD-3-Clause */
/* The log-linear histogram of gen_hist.h. */
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "gen_hist.h"

void
gen_hist_init(struct gen_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t
gen_hist_bucket_lo(unsigned i)
{
	unsigned k, e;

	if (i < GEN_HIST_SUB)
		return i;
	k = i - GEN_HIST_SUB;
	e = GEN_HIST_SUB_BITS + k / GEN_HIST_HALF;
	return (uint64_t)(GEN_HIST_HALF + k % GEN_HIST_HALF) << (e - (GEN_HIST_SUB_BITS - 1));
}

uint64_t
gen_hist_bucket_hi(unsigned i)
{
	if (i + 1 >= GEN_HIST_BUCKETS)
		return (1ull << GEN_HIST_MAX_BITS) - 1;
	return gen_hist_bucket_lo(i + 1) - 1;
}

void
gen_hist_merge(struct gen_hist *dst, const struct gen_hist *src)
{
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->count += src->count;
	dst->sum += src->sum;
	dst->overflow += src->overflow;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

void
gen_hist_diff(struct gen_hist *dst, const struct gen_hist *now, const struct gen_hist *before)
{
	bool reset = now->count < before->count;
	uint64_t n = 0;

	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++) {
		uint64_t d = reset || now->b[i] < before->b[i] ? now->b[i] :
			     now->b[i] - before->b[i];

		dst->b[i] = d;
		n += d;
	}
	dst->count = n;
	dst->sum = reset || now->sum < before->sum ? now->sum : now->sum - before->sum;
	dst->overflow = reset ? now->overflow : now->overflow - before->overflow;
	dst->min = now->min;
	dst->max = now->max;
}

uint64_t
gen_hist_quantile(const struct gen_hist *h, double q)
{
	uint64_t total = 0, rank, seen = 0;

	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++)
		total += h->b[i];
	if (total == 0)
		return 0;
	if (q < 0)
		q = 0;
	if (q > 1)
		q = 1;
	rank = (uint64_t)ceil(q * (double)total);
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t hi = gen_hist_bucket_hi(i);

			return hi < h->max ? hi : h->max;
		}
	}
	return h->max;
}

void
gen_hist_json_buckets(const struct gen_hist *h, FILE *f)
{
	bool first = true;

	fputc('[', f);
	for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++) {
		if (h->b[i] == 0)
			continue;
		fprintf(f, "%s[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "]", first ? "" : ",",
			gen_hist_bucket_lo(i), gen_hist_bucket_hi(i), h->b[i]);
		first = false;
	}
	fputc(']', f);
}
