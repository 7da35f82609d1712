// SPDX-License-Identifier: BSD-3-Clause
// Lets plain C files register Google Benchmark benchmarks (see bench.h).

#include <benchmark/benchmark.h>

#include <cstdio>
#include <vector>

#include "bench.h"

struct hso_bench {
	benchmark::State *st;
};

namespace {

std::vector<const hso_bench_def *> &
pending()
{
	static std::vector<const hso_bench_def *> defs;
	return defs;
}

void
run_c(benchmark::State &st, const hso_bench_def *def)
{
	hso_bench b{&st};
	def->fn(&b);
}

} // namespace

extern "C" {

void
hso_bench_register(const hso_bench_def *def)
{
	pending().push_back(def);
}

bool
hso_bench_keep_running(hso_bench *b)
{
	return b->st->KeepRunning();
}

int64_t
hso_bench_iterations(hso_bench *b)
{
	return static_cast<int64_t>(b->st->iterations());
}

int64_t
hso_bench_arg(hso_bench *b)
{
	return b->st->range(0);
}

void
hso_bench_pause(hso_bench *b)
{
	b->st->PauseTiming();
}

void
hso_bench_resume(hso_bench *b)
{
	b->st->ResumeTiming();
}

void
hso_bench_set_items(hso_bench *b, int64_t items)
{
	b->st->SetItemsProcessed(items);
}

void
hso_bench_counter(hso_bench *b, const char *name, double value,
		  hso_bench_counter_kind kind)
{
	benchmark::Counter::Flags f = benchmark::Counter::kDefaults;

	if (kind == HSO_BENCH_RATE)
		f = benchmark::Counter::kIsRate;
	else if (kind == HSO_BENCH_AVG_ITER)
		f = benchmark::Counter::kAvgIterations;
	b->st->counters[name] = benchmark::Counter(value, f);
}

void
hso_bench_label(hso_bench *b, const char *label)
{
	b->st->SetLabel(label);
}

void
hso_bench_fail(hso_bench *b, const char *msg)
{
	b->st->SkipWithError(msg);
}

} // extern "C"

int
main(int argc, char **argv)
{
	for (const hso_bench_def *def : pending()) {
		benchmark::internal::Benchmark *bm =
			benchmark::RegisterBenchmark(def->name, run_c, def);
		for (int i = 0; i < def->nargs; i++)
			bm->Arg(def->args[i]);
		if (def->min_time > 0)
			bm->MinTime(def->min_time);
		if (def->iterations > 0)
			bm->Iterations(def->iterations);
	}
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;
	benchmark::RunSpecifiedBenchmarks();
	benchmark::Shutdown();
	return 0;
}
