/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_BENCH_H
#define HSO_BENCH_H

/**
 * @file
 * Plain C benchmarks on top of Google Benchmark (bench/shim.cc).
 *
 * A benchmark is a C function that loops while hso_bench_keep_running()
 * says so, timing one operation per iteration (or a batch: then report the
 * operations with hso_bench_set_items()). Register it at file scope:
 *
 *     static void bm_x25519(struct hso_bench *b)
 *     {
 *             while (hso_bench_keep_running(b))
 *                     do_one();
 *             hso_bench_set_items(b, hso_bench_iterations(b));
 *     }
 *     HSO_BENCH(bm_x25519, "asym/x25519_derive");
 *     HSO_BENCH_ARGS(bm_kdf, "kdf/batch", 1, 8, 64);   // one run per arg
 *
 * Side-by-side comparisons time ours and the reference inside the same
 * iteration (hso_bench_now_ns) and publish counters, among them "ratio"
 * (ours / reference as a rate, higher is better), so that the JSON output
 * (--benchmark_format=json) can be checked by a script.
 */

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hso_bench;
typedef void (*hso_bench_fn)(struct hso_bench *b);

/** Counter kinds (Google Benchmark's Counter::Flags). */
enum hso_bench_counter_kind {
	HSO_BENCH_VALUE = 0,   /**< reported as given */
	HSO_BENCH_RATE,        /**< divided by the elapsed time: per second */
	HSO_BENCH_AVG_ITER,    /**< divided by the number of iterations */
};

#define HSO_BENCH_MAX_ARGS 8

struct hso_bench_def {
	const char *name;
	hso_bench_fn fn;
	int nargs;                          /**< 0: run once without argument */
	int64_t args[HSO_BENCH_MAX_ARGS];
	double min_time;                    /**< seconds; 0: library default */
	int64_t iterations;                 /**< fixed count; 0: automatic */
};

/** Queue a benchmark; registered with Google Benchmark when main starts. */
void hso_bench_register(const struct hso_bench_def *def);

bool hso_bench_keep_running(struct hso_bench *b);
int64_t hso_bench_iterations(struct hso_bench *b);
/** The argument of this run (0 when registered without). */
int64_t hso_bench_arg(struct hso_bench *b);
void hso_bench_pause(struct hso_bench *b);
void hso_bench_resume(struct hso_bench *b);
/** Operations done in the whole run; Benchmark reports items_per_second. */
void hso_bench_set_items(struct hso_bench *b, int64_t items);
void hso_bench_counter(struct hso_bench *b, const char *name, double value,
		       enum hso_bench_counter_kind kind);
void hso_bench_label(struct hso_bench *b, const char *label);
/** Abort this benchmark with a message (shown in the output and JSON). */
void hso_bench_fail(struct hso_bench *b, const char *msg);

/** Keep @p p's pointee alive against the optimiser. */
static inline void
hso_bench_escape(const void *p)
{
	__asm__ volatile("" : : "g"(p) : "memory");
}

/** Monotonic time in nanoseconds, for timing ours vs reference in one run. */
static inline uint64_t
hso_bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define HSO_BENCH_DEF_(fn_, ...)                                           \
	static void __attribute__((constructor)) fn_##_hso_register(void)  \
	{                                                                  \
		static const struct hso_bench_def d = { __VA_ARGS__ };     \
		hso_bench_register(&d);                                    \
	}

/** Register @p fn_ under @p name_ (a string literal). */
#define HSO_BENCH(fn_, name_) \
	HSO_BENCH_DEF_(fn_, .name = (name_), .fn = (fn_))

/** Register @p fn_ once per argument (integers, e.g. batch sizes). */
#define HSO_BENCH_ARGS(fn_, name_, ...)                                    \
	HSO_BENCH_DEF_(fn_, .name = (name_), .fn = (fn_),                  \
		       .nargs = sizeof((int64_t[]){__VA_ARGS__}) / sizeof(int64_t), \
		       .args = {__VA_ARGS__})

/** Register @p fn_ with a fixed iteration count (long side-by-side runs). */
#define HSO_BENCH_ITERS(fn_, name_, iters_) \
	HSO_BENCH_DEF_(fn_, .name = (name_), .fn = (fn_), .iterations = (iters_))

#ifdef __cplusplus
}
#endif

#endif
