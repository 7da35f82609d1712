/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_LCORE_STATS_H
#define HSO_DATAPLANE_LCORE_STATS_H

/**
 * @file
 * Where an lcore's cycles go. Every lcore hsod runs (each worker, and the
 * main lcore when there are several) keeps one struct hsod_lcore_clock and
 * charges each stretch of its loop to a category as it finishes it: the
 * stretch runs from the previous charge to now, so consecutive charges
 * tile the loop with no gap and busy_cycles + idle_cycles is the loop's
 * whole wall-clock time. Busy is every cycle spent on work, whatever the
 * work: traffic, crypto, ECDHE keys generated ahead of demand, the built-in
 * application, control (reloads, application attach and liveness, the
 * metrics socket); idle is polling that found nothing. keygen_cycles,
 * app_cycles and control_cycles are parts of busy_cycles.
 *
 * The counters are declared once, below, and exported by
 * dataplane/counters.c like every other counter (see worker.h for the
 * X/A line format).
 */

#include <stdint.h>

#include <rte_cycles.h>

#define HSOD_LCORE_COUNTERS(X)                                                 \
	X(busy_cycles, "busy_cycles", counter, workers,                        \
	  "TSC cycles spent working: traffic, crypto, key pregeneration, the " \
	  "built-in application, control (cycles / tsc_hz = seconds)")         \
	X(idle_cycles, "idle_cycles", counter, workers,                        \
	  "TSC cycles spent polling without finding work")                     \
	X(keygen_cycles, "keygen_cycles", counter, workers,                    \
	  "of busy_cycles: ECDHE key pairs generated ahead of demand")         \
	X(app_cycles, "app_cycles", counter, workers,                          \
	  "of busy_cycles: the built-in application (polls that handled events)") \
	X(control_cycles, "control_cycles", counter, workers,                  \
	  "of busy_cycles: control work (reloads, application attach and "     \
	  "liveness, released TLS configurations, the metrics socket)")

struct hsod_lcore_stats {
#define HSOD_LCORE_FIELD(field, ...) uint64_t field;
	HSOD_LCORE_COUNTERS(HSOD_LCORE_FIELD)
#undef HSOD_LCORE_FIELD
};

struct hsod_lcore_clock {
	uint64_t mark;                  /**< TSC at the last charge; 0: not started */
	struct hsod_lcore_stats st;
};

/** Start counting from now (the loop begins). */
static inline void
hsod_lcore_clock_start(struct hsod_lcore_clock *c)
{
	c->mark = rte_rdtsc();
}

/* Cycles since the last charge, and the mark moved to now. */
static inline uint64_t
hsod_lcore_lap(struct hsod_lcore_clock *c)
{
	uint64_t now = rte_rdtsc(), d = c->mark != 0 ? now - c->mark : 0;

	c->mark = now;
	return d;
}

static inline void
hsod_lcore_idle(struct hsod_lcore_clock *c)
{
	c->st.idle_cycles += hsod_lcore_lap(c);
}

static inline void
hsod_lcore_busy(struct hsod_lcore_clock *c)
{
	c->st.busy_cycles += hsod_lcore_lap(c);
}

/** Busy, and of it @p part (keygen_cycles, app_cycles, control_cycles). */
static inline void
hsod_lcore_busy_part(struct hsod_lcore_clock *c, uint64_t *part)
{
	uint64_t d = hsod_lcore_lap(c);

	c->st.busy_cycles += d;
	*part += d;
}

#endif
