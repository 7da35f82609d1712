/* SPDX-License-Identifier: BSD-3-Clause */
/* Open-loop arrival schedules; contract in gen_load.h. */
#include <errno.h>
#include <math.h>

#include "gen_load.h"

double
gen_rand01(uint64_t *state)
{
	/* xorshift64* (Vigna, 2016): 53 good high bits into a double. */
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return (double)((x * 0x2545f4914f6cdd1dull) >> 11) * 0x1.0p-53;
}

static double
gap(struct gen_sched *s)
{
	if (s->kind == GEN_ARRIVAL_UNIFORM)
		return s->gap_us;
	/* Exponential by inversion: -ln(U) * mean, U in (0, 1]. */
	return -log(1.0 - gen_rand01(&s->rng)) * s->gap_us;
}

int
gen_sched_init(struct gen_sched *s, double rate, enum gen_arrival kind, uint64_t seed,
	       uint64_t start_us)
{
	if (!(rate > 0) || !isfinite(rate))
		return -EINVAL;
	s->gap_us = 1e6 / rate;
	s->kind = kind;
	s->rng = seed != 0 ? seed : 0x9e3779b97f4a7c15ull;
	s->next_us = (double)start_us;
	/* The first arrival is a gap away, like every other. */
	s->next_us += gap(s);
	return 0;
}

bool
gen_sched_due(struct gen_sched *s, uint64_t now_us, uint64_t *at_us)
{
	if (s->next_us > (double)now_us)
		return false;
	*at_us = (uint64_t)s->next_us;
	s->next_us += gap(s);
	return true;
}
