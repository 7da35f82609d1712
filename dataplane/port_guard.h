/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port guard: no poll-mode driver unmaps memory while a worker may still
 * be reading it.
 *
 * DPDK 22.11's memif PMD ends a connection on the EAL interrupt thread
 * (memif_disconnect(): clear the "connected" flag, then munmap the rings
 * and buffers shared with the peer) with nothing to hold off an rx or tx
 * burst a worker has already begun past that flag: when the peer left at
 * the wrong moment the worker read unmapped memory and the process died
 * (SIGSEGV in the PMD's rx/tx, hsod when hso-gen exits, hso-gen when hsod
 * does). DPDK gives no hook before the unmapping, so this module defines
 * munmap() in the executable (exported, so the PMD, a plugin loaded at run
 * time, calls it): called by any thread that is not an online worker, it
 * first waits until every online worker has passed a quiescent point (the
 * top of its poll loop, outside every burst) -- DPDK's RCU (rte_rcu_qsbr)
 * -- and only then unmaps. A burst that begins after the flag was cleared
 * returns at once, so one grace period is enough. The wait is bounded
 * (PORT_GUARD_WAIT_MS): past it the unmapping goes on, reported on stderr
 * and counted, never a hang of the control path. Threads that are
 * online workers unmap at once (they are not inside a burst).
 *
 * Until port_guard_init() runs (tests, tools) munmap() is the plain one.
 */
#ifndef HSO_PORT_GUARD_H
#define HSO_PORT_GUARD_H

#include <stdint.h>

/** How long a munmap() waits for the workers before it goes on anyway. */
#define PORT_GUARD_WAIT_MS 2000u

struct port_guard_stats {
	uint64_t unmaps;    /**< by threads not online workers, each after a grace period */
	uint64_t timeouts;  /**< grace periods ended by PORT_GUARD_WAIT_MS, not the workers */
};

/**
 * Make the guard (main thread, after rte_eal_init(), before any worker
 * starts). Thread ids are lcore ids. 0, or -errno.
 */
int port_guard_init(void);

/** The calling worker lcore (rte_lcore_id()) begins polling ports. */
void port_guard_online(void);

/** The calling worker leaves its poll loop (before it may block or exit). */
void port_guard_offline(void);

/** The calling worker is outside every burst: call once per poll loop. */
void port_guard_quiescent(void);

/** Counters since port_guard_init() (any thread). */
void port_guard_stats(struct port_guard_stats *st);

#endif /* HSO_PORT_GUARD_H */
