/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port guard: munmap() waits for the workers' grace period. Contract and
 * the reason (DPDK 22.11's memif PMD) in port_guard.h.
 */
/* RTLD_NEXT: _GNU_SOURCE comes from meson.build. */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
/* rte_rcu_qsbr.h is not ISO C (named variadic macros, a zero-length array). */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wvariadic-macros"
#include <rte_rcu_qsbr.h>
#pragma GCC diagnostic pop

#include "port_guard.h"

static struct rte_rcu_qsbr *_Atomic guard;
static atomic_uint_fast64_t n_unmaps, n_timeouts;
/* This thread is an online worker: it is outside every burst when it unmaps. */
static _Thread_local bool online_here;

/*
 * The munmap() after this one in the lookup order: libc's, or a
 * sanitizer's interceptor in front of it. Before it is known (a
 * constructor that ran before ours), the system call itself.
 */
static int (*_Atomic next_munmap)(void *, size_t);

__attribute__((constructor)) static void
find_next_munmap(void)
{
	void *f = dlsym(RTLD_NEXT, "munmap");

	if (f != NULL)
		atomic_store(&next_munmap, (int (*)(void *, size_t))f);
}

static void
grace(struct rte_rcu_qsbr *v)
{
	uint64_t t = rte_rcu_qsbr_start(v);
	uint64_t end = rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * PORT_GUARD_WAIT_MS;

	atomic_fetch_add(&n_unmaps, 1);
	while (rte_rcu_qsbr_check(v, t, false) == 0) {
		if (rte_get_tsc_cycles() >= end) {
			atomic_fetch_add(&n_timeouts, 1);
			fprintf(stderr, "port guard: a worker passed no quiescent point in %u ms; "
				"unmapping without it\n", PORT_GUARD_WAIT_MS);
			return;
		}
		/* Grace periods are a poll loop long: no need to take a CPU from it. */
		rte_delay_us_sleep(20);
	}
}

/* Exported from the executable (meson.build): the PMDs' calls come here. */
int
munmap(void *addr, size_t len)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard, memory_order_acquire);
	int (*next)(void *, size_t) = atomic_load_explicit(&next_munmap,
							   memory_order_relaxed);

	if (v != NULL && !online_here)
		grace(v);
	if (next != NULL)
		return next(addr, len);
	return (int)syscall(SYS_munmap, addr, len);
}

int
port_guard_init(void)
{
	size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
	struct rte_rcu_qsbr *v;

	if (atomic_load(&guard) != NULL)
		return 0;
	if (sz == 0)
		return -EINVAL;
	/* Not rte_malloc: the guard must not depend on the heap it guards. */
	v = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sz, RTE_CACHE_LINE_SIZE));
	if (v == NULL)
		return -ENOMEM;
	if (rte_rcu_qsbr_init(v, RTE_MAX_LCORE) != 0) {
		free(v);
		return -EINVAL;
	}
	atomic_store_explicit(&guard, v, memory_order_release);
	return 0;
}

void
port_guard_online(void)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard, memory_order_acquire);
	unsigned id = rte_lcore_id();

	if (v == NULL || id >= RTE_MAX_LCORE)
		return;
	rte_rcu_qsbr_thread_register(v, id);
	rte_rcu_qsbr_thread_online(v, id);
	online_here = true;
}

void
port_guard_offline(void)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard, memory_order_acquire);
	unsigned id = rte_lcore_id();

	if (v == NULL || !online_here)
		return;
	online_here = false;
	rte_rcu_qsbr_thread_offline(v, id);
	rte_rcu_qsbr_thread_unregister(v, id);
}

void
port_guard_quiescent(void)
{
	struct rte_rcu_qsbr *v = atomic_load_explicit(&guard, memory_order_relaxed);

	if (v != NULL && online_here)
		rte_rcu_qsbr_quiescent(v, rte_lcore_id());
}

void
port_guard_stats(struct port_guard_stats *st)
{
	st->unmaps = atomic_load(&n_unmaps);
	st->timeouts = atomic_load(&n_timeouts);
}
