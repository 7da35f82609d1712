/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso-gen's open-loop schedules: the mean rate holds, Poisson gaps have the
 * exponential's spread (coefficient of variation 1, P(gap > mean) = 1/e),
 * uniform ones none; arrivals come out only when due, in order, however
 * late the caller looks (none is lost while the caller stalls).
 */
#include <errno.h>
#include <math.h>

#include "check.h"
#include "gen_load.h"

static void
test_stats(enum gen_arrival kind, double rate)
{
	struct gen_sched s;
	uint64_t at, prev = 1000000, n = 0, longer = 0;
	double sum = 0, sum2 = 0, mean = 1e6 / rate;
	const uint64_t N = 200000;

	CHECK_EQ(gen_sched_init(&s, rate, kind, 42, prev), 0);
	for (uint64_t now = prev; n < N; now += 7) {
		while (n < N && gen_sched_due(&s, now, &at)) {
			double g = (double)at - (double)prev;

			CHECK(at <= now && at >= prev);
			sum += g;
			sum2 += g * g;
			longer += g > mean;
			prev = at;
			n++;
		}
	}
	{
		double m = sum / N, sd = sqrt(sum2 / N - m * m);

		CHECK_MSG(fabs(m - mean) < 0.01 * mean, "mean gap %.2f want %.2f", m, mean);
		if (kind == GEN_ARRIVAL_POISSON) {
			CHECK_MSG(fabs(sd / m - 1) < 0.02, "cv %.3f", sd / m);
			CHECK_MSG(fabs((double)longer / N - exp(-1)) < 0.01, "P(gap > mean) %.3f",
				  (double)longer / N);
		} else {
			CHECK_MSG(sd < 1.0, "uniform sd %.3f", sd);
		}
	}
}

int
main(void)
{
	struct gen_sched s;
	uint64_t at, n = 0, last = 0;
	uint64_t st = 1;
	double lo = 1, hi = 0;

	test_stats(GEN_ARRIVAL_POISSON, 10000);
	test_stats(GEN_ARRIVAL_UNIFORM, 3000);
	CHECK_EQ(gen_sched_init(&s, 0, GEN_ARRIVAL_POISSON, 1, 0), -EINVAL);
	CHECK_EQ(gen_sched_init(&s, -5, GEN_ARRIVAL_POISSON, 1, 0), -EINVAL);
	CHECK_EQ(gen_sched_init(&s, INFINITY, GEN_ARRIVAL_POISSON, 1, 0), -EINVAL);
	/* A caller that stalls for 1 s at 1000/s then finds ~1000 due, in order,
	 * their intended times spread over the stall. */
	CHECK_EQ(gen_sched_init(&s, 1000, GEN_ARRIVAL_UNIFORM, 1, 0), 0);
	CHECK(!gen_sched_due(&s, 999, &at));
	while (gen_sched_due(&s, 1000000, &at)) {
		CHECK(at >= last);
		last = at;
		n++;
	}
	CHECK_EQ(n, 1000);
	CHECK_EQ(last, 1000000);
	/* The generator covers [0, 1). */
	for (unsigned i = 0; i < 100000; i++) {
		double x = gen_rand01(&st);

		CHECK(x >= 0 && x < 1);
		lo = x < lo ? x : lo;
		hi = x > hi ? x : hi;
	}
	CHECK(lo < 0.001 && hi > 0.999);
	return check_result("test_gen_load");
}
