/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_RESOURCES_H
#define HSO_DATAPLANE_RESOURCES_H

/**
 * @file
 * What hsod will run on, as far as it can be known before EAL starts: the
 * lcores EAL is given (so the workers), the memory DPDK may use, and the
 * memory the system has. hsod_config_parse_res() checks the configuration
 * against it, so a limit a later stage would refuse (a worker's TLS engine,
 * the mbuf pool, the memory) is refused up front, naming the key.
 *
 * EAL's own options are read the way EAL reads them: -l LIST, -c MASK,
 * --lcores MAP, -m MB, --socket-mem MB[,MB...], --no-huge; without an
 * lcore option EAL takes every CPU hsod may run on.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** EAL's memory with --no-huge and no -m (its MEMSIZE_IF_NO_HUGE_PAGE). */
#define HSOD_EAL_NO_HUGE_MB 64u

struct hsod_resources {
	unsigned lcores;            /**< EAL lcores; 0: unknown */
	char lcores_from[64];       /**< the EAL option they come from, for messages */
	bool no_huge;               /**< --no-huge: DPDK memory is ordinary memory */
	uint64_t mem_limit;         /**< -m / --socket-mem, bytes; 0: none given */
	uint64_t huge_free;         /**< free hugepages, bytes (every page size) */
	/** Memory hsod may still take, bytes: MemAvailable, or less under a cgroup limit; 0: unknown. */
	uint64_t mem_available;
	char mem_from[48];          /**< where mem_available came from, for messages */
	/**
	 * Bytes free in /dev/shm, where the applications' flow-control words
	 * live (a sparse file: a page written past this is a SIGBUS); 0:
	 * unknown.
	 */
	uint64_t shm_free;
};

/**
 * Read EAL's lcore and memory options from its arguments (@p argv[0] is
 * the program, as for rte_eal_init()). No system file is read.
 * @return 0; -EINVAL with @p err naming an option hsod cannot read (EAL
 *         would refuse it too).
 */
int hsod_resources_from_eal(int argc, char **argv, struct hsod_resources *r,
			    char *err, size_t errlen);

/**
 * Fill in what the system says: the CPUs hsod may run on (when no lcore
 * option was given), free hugepages, and the memory hsod may take:
 * MemAvailable, or what is left under its cgroup's limit (a container's
 * memory limit) when that is less; the room in /dev/shm.
 */
void hsod_resources_probe(struct hsod_resources *r);

/**
 * The DPDK memory EAL will have: with --no-huge, -m (or 64 MB); else the
 * free hugepages, or less with -m / --socket-mem. @p from says which.
 */
uint64_t hsod_resources_dpdk_mem(const struct hsod_resources *r, char *from, size_t len);

/** Bytes of DPDK memory a pool of @p n of hsod's mbufs takes (rte_mempool's own sizes). */
size_t hsod_mbuf_pool_mem_size(unsigned n);

/*
 * What the parts allocate, from their real structure sizes (declared here,
 * without DPDK's headers, for the configuration checks).
 */

/**
 * The memory a worker may come to (hsod_worker_mem(), in worker.c). Slots
 * are reserved and touched as connections come: this is what max_conns
 * connections and max_handshakes handshakes at once would take.
 */
struct hsod_worker_mem {
	size_t total;           /**< every connection slot and handshake context in use */
	size_t conn;            /**< per connection: session + tcp + fc */
	size_t session;         /**< per connection: session slot (lifecycle, TLS state, ring side) */
	size_t tcp;             /**< per connection: TCP slot and its hash buckets */
	size_t fc;              /**< per connection: flow-control words (a file in /dev/shm) */
	/** The TLS engine: handshake contexts, key cache, crypto batch, caches. */
	size_t engine;
	size_t dpdk;            /**< DPDK memory: the ports' neighbour hash tables */
};

struct hsod_config;

/** What a worker under @p cfg may come to (hsod_worker_create()'s tables, full). */
void hsod_worker_mem(const struct hsod_config *cfg, struct hsod_worker_mem *m);

/** DPDK memory hsod_apps_create() reserves: the memzone and every ring (apps.c). */
size_t hsod_apps_mem_size(unsigned n_workers);

#endif
