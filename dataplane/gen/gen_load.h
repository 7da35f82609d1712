/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_GEN_LOAD_H
#define HSO_GEN_LOAD_H

/**
 * @file
 * Open-loop arrivals for hso-gen (--rate R, --arrival poisson|uniform):
 * the intended start time of every connection, decided by the schedule
 * alone and never by how fast earlier ones went, so that latency measured
 * from it includes any time a connection waited to start (no coordinated
 * omission). Poisson: exponential gaps of mean 1/R (independent arrivals,
 * what many clients make); uniform: exactly 1/R apart. No DPDK.
 */

#include <stdbool.h>
#include <stdint.h>

enum gen_arrival {
	GEN_ARRIVAL_POISSON = 0,
	GEN_ARRIVAL_UNIFORM,
};

struct gen_sched {
	double gap_us;              /**< mean gap between arrivals */
	double next_us;             /**< intended start of the next arrival */
	enum gen_arrival kind;
	uint64_t rng;               /**< xorshift64* state, never 0 */
};

/**
 * Start a schedule of @p rate arrivals per second from @p start_us.
 * @return 0; -EINVAL for a rate not above 0 or not finite.
 */
int gen_sched_init(struct gen_sched *s, double rate, enum gen_arrival kind, uint64_t seed,
		   uint64_t start_us);

/**
 * The next arrival if it is due at @p now_us: true with its intended start
 * in *at_us (<= now_us), and the schedule moves on; false when the next one
 * is still in the future.
 */
bool gen_sched_due(struct gen_sched *s, uint64_t now_us, uint64_t *at_us);

/** A uniform double in [0, 1) from @p state (xorshift64*; state never 0). */
double gen_rand01(uint64_t *state);

#endif
