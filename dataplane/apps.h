/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_APPS_H
#define HSO_DATAPLANE_APPS_H

/**
 * @file
 * hsod's side of the application shared memory (app_shm.h): it creates the
 * memzone and the rings before the workers start, and its control loop
 * accepts attach requests and watches attached processes (a pidfd each: a
 * process that exits or is killed is noticed at the next control round,
 * and its slot goes to CLOSING so the workers close its connections).
 * When a slot is freed, every mbuf still tagged with that application (it
 * died holding it, or detached without releasing it) goes back to the pool.
 * Control-lcore only.
 */

#include <stdbool.h>
#include <stdint.h>

#include <rte_mempool.h>

#include "app_shm.h"

struct hsod_apps_stats {
	uint64_t attached;      /**< attaches accepted */
	uint64_t rejected;
	uint64_t detached;      /**< orderly detaches finished */
	uint64_t crashed;       /**< processes found gone while attached */
	uint64_t mbufs_reclaimed; /**< mbufs a closed application still held, taken back */
};

struct hsod_apps;

/**
 * @param allow_keys  accept applications that ask for HSO_APP_KEYS
 * @return NULL with errno (EEXIST: another hsod with this --file-prefix;
 *         EINVAL: no workers or more than 64, no slots or more than
 *         HSO_SHM_SLOT_MASK + 1; the shm_open()/ftruncate()/mmap() error of
 *         the flow-control file).
 */
struct hsod_apps *hsod_apps_create(unsigned n_workers, unsigned conns_per_worker,
				   struct rte_mempool *mp, bool allow_keys);

/** The shared block the workers use. */
struct hso_shm *hsod_apps_shm(struct hsod_apps *apps);

/** The flow-control words (app_shm.h), mapped in this process: for the workers. */
struct hso_shm_conn *hsod_apps_fc(struct hsod_apps *apps);

/** One control round: attach requests, liveness, finished detaches. */
void hsod_apps_control(struct hsod_apps *apps);

/** Applications attached now (ACTIVE). */
unsigned hsod_apps_active(const struct hsod_apps *apps);

/** hsod is stopping: applications' hso_app_poll() says -ESHUTDOWN. */
void hsod_apps_stop(struct hsod_apps *apps);

const struct hsod_apps_stats *hsod_apps_stats(const struct hsod_apps *apps);

void hsod_apps_free(struct hsod_apps *apps);

#endif
