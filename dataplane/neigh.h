/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_NEIGH_H
#define HSO_DATAPLANE_NEIGH_H

/**
 * @file
 * A neighbour cache: next-hop protocol addresses to Ethernet addresses, for
 * one worker on one port, with the reachability states of RFC 4861 7.3.2
 * (which Linux's neighbour layer applies to ARP as well). The protocol is
 * the caller's: net.c drives one table for IPv4 with ARP; an IPv6 table
 * driven by Neighbor Discovery uses the same code with 16-byte keys.
 *
 * Contract:
 *
 *  - One table belongs to one lcore: no locks, no atomics. Its rte_hash is
 *    created without concurrency flags (the owner is the only writer and the
 *    only reader; another lcore reads nothing but the counters) and with
 *    extendable buckets, so all `entries` keys always fit. When the table
 *    is full, the least recently used entry makes room (an intrusive list:
 *    O(1) per packet and per eviction, never a scan).
 *  - Keys are @c addr_len bytes (4 for IPv4, 16 for IPv6: one table per
 *    family), in whatever byte order the caller uses, the same every call.
 *  - States: INCOMPLETE (a solicitation is out, packets are held), REACHABLE
 *    (confirmed within the reachable time), STALE (not confirmed lately,
 *    still used), DELAY (used while STALE: an upper-layer confirmation may
 *    still come), PROBE (unicast solicitations out, still used). An entry
 *    in use is re-solicited by unicast before anything is dropped, so while
 *    the neighbour answers it never lapses; an unused one goes STALE and is
 *    removed after stale_ms; one that stops answering is removed (Linux's
 *    FAILED, with nothing left behind: the next packet starts again).
 *  - What the caller reports: hsod_neigh_update() for the protocol's own
 *    messages (ARP requests and replies; NDP solicitations and
 *    advertisements), hsod_neigh_confirm() for received traffic that proves
 *    the neighbour alive (a TCP segment from its address).
 *  - What the table asks for, through the ops: solicitations (broadcast or
 *    multicast while INCOMPLETE, unicast while PROBE) and held packets once
 *    their neighbour resolved, in the order they were held. The ops may be
 *    called from hsod_neigh_resolve(), hsod_neigh_update() and
 *    hsod_neigh_tick(); they must not call back into the table.
 *  - Time is the caller's monotonic microseconds. Timers sit on a hashed
 *    wheel (the TCP core's): hsod_neigh_tick() costs a compare when no tick
 *    passed and never walks the table.
 *  - Memory: entries and the hash are allocated by hsod_neigh_create();
 *    held packets take nodes from a pool shared by a worker's tables (the
 *    per-worker cap). Nothing is allocated after create.
 *  - A packet given to hsod_neigh_resolve() stays the caller's only when the
 *    call returns HSOD_NEIGH_HIT; otherwise the table holds it (and later
 *    sends or frees it) or has freed it, counted.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "neigh_defs.h"

enum hsod_neigh_state {
	HSOD_NEIGH_NONE = 0,       /**< no entry */
	HSOD_NEIGH_INCOMPLETE,
	HSOD_NEIGH_REACHABLE,
	HSOD_NEIGH_STALE,
	HSOD_NEIGH_DELAY,
	HSOD_NEIGH_PROBE,
	HSOD_NEIGH_STATE_NUM
};

/** What hsod_neigh_resolve() did with the packet. */
enum hsod_neigh_result {
	HSOD_NEIGH_HIT = 0,        /**< *mac set: send it, it is still yours */
	HSOD_NEIGH_QUEUED,         /**< held: sent through ops->xmit once resolved */
	HSOD_NEIGH_MISS,           /**< not resolved; the packet (if any) was freed, counted */
};

/* Flags of hsod_neigh_update(). */
/**
 * An answer to our solicitation (ARP: a reply addressed to us; NDP: the S
 * flag): the neighbour is reachable (RFC 4861 7.2.5).
 */
#define HSOD_NEIGH_F_SOLICITED 0x1
/** Replace a different cached address (ARP: always, RFC 826; NDP: the O flag). */
#define HSOD_NEIGH_F_OVERRIDE 0x2
/**
 * Add the neighbour (STALE) when it has no entry: ARP, a packet for us (RFC
 * 826's merge algorithm); NDP, a solicitation with a source link-layer
 * address (RFC 4861 7.2.3).
 */
#define HSOD_NEIGH_F_CREATE 0x4

/** Tunables of one table; hsod_neigh_params_default() fills them. */
struct hsod_neigh_params {
	uint32_t entries;          /**< neighbours held, 8..2^22; LRU evicted when full */
	uint32_t queue;            /**< packets held per unresolved neighbour, >= 1 */
	uint32_t reachable_ms;     /**< BaseReachableTime (RFC 4861 6.3.2), >= 1 */
	uint32_t stale_ms;         /**< an unused STALE entry is removed after this, >= 1 */
	uint32_t retrans_ms;       /**< RetransTimer: between solicitations, >= 1 */
	uint32_t delay_ms;         /**< DELAY_FIRST_PROBE_TIME, >= 1 */
	uint8_t mcast_probes;      /**< broadcast solicitations before giving up, >= 1 */
	uint8_t ucast_probes;      /**< unicast probes before giving up, >= 1 */
	/**
	 * ReachableTime drawn uniformly from [0.5, 1.5) x reachable_ms per
	 * table, and again every two hours (RFC 4861 6.3.2), so that the hosts
	 * and workers of a network do not probe in step. Off: exactly
	 * reachable_ms (tests).
	 */
	bool randomize;
};

/**
 * A neighbour's protocol message (ARP, an NDP solicitation or
 * advertisement) just updated a table: the key (the table's byte order and
 * length), the link-layer address and the hsod_neigh_update() flags it was
 * applied with. Several workers are one host: each keeps its own table (one
 * lcore, no locks), and this lets the one that received the message pass
 * it to the others (worker.c), whatever queue the port put it on.
 */
typedef void (*hsod_neigh_learn_fn)(void *ctx, const void *addr,
				    const struct rte_ether_addr *mac, unsigned flags);

struct hsod_neigh_ops {
	/**
	 * Send a solicitation for @p addr: unicast to @p dst (a probe of a
	 * known neighbour), or to everyone when @p dst is NULL.
	 * @return 0 when sent; a negative errno when not (counted, the retry
	 *         timer still runs).
	 */
	int (*solicit)(void *ctx, const void *addr, const struct rte_ether_addr *dst);
	/** Send @p m, held until its neighbour resolved, to @p mac; @p m is the callee's. */
	void (*xmit)(void *ctx, struct rte_mbuf *m, const struct rte_ether_addr *mac);
};

/*
 * Counters of a table, declared once, in the shape of hsod's other counter
 * tables: X(field, telemetry name, counter|gauge, flags, help).
 */
#define HSOD_NEIGH_COUNTERS(X)                                                 \
	X(hits, "neigh_hits", counter, none,                                   \
	  "packets (or lookups) that found a usable neighbour address")        \
	X(misses, "neigh_misses", counter, none,                               \
	  "packets (or lookups) that found none: resolution started or under " \
	  "way")                                                               \
	X(queued, "neigh_queued", counter, none,                               \
	  "packets held while their neighbour resolved")                       \
	X(flushed, "neigh_flushed", counter, none,                             \
	  "held packets sent, in order, once their neighbour resolved")        \
	X(queue_drops, "neigh_queue_drops", counter, none,                     \
	  "held packets dropped: per-neighbour queue full (the oldest goes), " \
	  "worker cap reached, resolution failed, entry evicted")              \
	X(resolved, "neigh_resolved", counter, none,                           \
	  "INCOMPLETE neighbours that got an address")                         \
	X(failed, "neigh_failed", counter, none,                               \
	  "neighbours removed unanswered: mcast_probes requests or "           \
	  "ucast_probes probes")                                               \
	X(evictions, "neigh_evictions", counter, none,                         \
	  "neighbours removed, least recently used first, to make room")       \
	X(expired, "neigh_expired", counter, none,                             \
	  "unused neighbours removed after stale_ms")                          \
	X(refreshes, "neigh_refreshes", counter, none,                         \
	  "confirmations by received traffic (a TCP segment from the "         \
	  "neighbour's address)")                                              \
	X(reconfirmed, "neigh_reconfirmed", counter, none,                     \
	  "answers to our unicast probes (and other solicited answers) for a " \
	  "known neighbour")                                                   \
	X(requests, "neigh_requests", counter, none,                           \
	  "broadcast requests sent (first tries and retransmissions)")         \
	X(rerequests, "neigh_rerequests", counter, none,                       \
	  "unicast requests sent to re-confirm a neighbour in use before it "  \
	  "lapses")                                                            \
	X(solicit_failed, "neigh_solicit_failed", counter, none,               \
	  "requests that could not be sent (no mbuf)")                         \
	X(updates, "neigh_updates", counter, none,                             \
	  "cached addresses replaced (e.g. by a gratuitous ARP)")              \
	X(created, "neigh_created", counter, none, "neighbours added")         \
	X(entries, "neigh_entries", gauge, none, "neighbours in the table now")

struct hsod_neigh_stats {
#define HSOD_NEIGH_X_FIELD(field, ...) uint64_t field;
	HSOD_NEIGH_COUNTERS(HSOD_NEIGH_X_FIELD)
#undef HSOD_NEIGH_X_FIELD
};

/** One entry as hsod_neigh_get() shows it. */
struct hsod_neigh_info {
	enum hsod_neigh_state state;
	struct rte_ether_addr mac;  /**< zero while INCOMPLETE */
	uint32_t queued;            /**< packets held */
	uint8_t probes;             /**< solicitations sent in this state */
	uint64_t used_us;           /**< last hsod_neigh_resolve() */
	uint64_t confirmed_us;      /**< last proof of reachability */
};

struct hsod_neigh_conf {
	const char *name;           /**< unique in the process: names the rte_hash (< 32 bytes) */
	int socket_id;              /**< NUMA socket of the hash, or SOCKET_ID_ANY */
	uint8_t addr_len;           /**< 4 or 16 */
	struct hsod_neigh_params params;
	/** Nodes for held packets, shared by one lcore's tables; NULL: none held. */
	struct hsod_neigh_pool *pool;
	const struct hsod_neigh_ops *ops;
	void *ctx;                  /**< passed to the ops */
};

struct hsod_neigh_pool;
struct hsod_neigh_tbl;

/** RFC 4861 section 10's values, 1024 entries, 16 packets per neighbour, randomized. */
void hsod_neigh_params_default(struct hsod_neigh_params *p);

/**
 * Room for @p packets held packets, shared by the tables of one lcore.
 * @return the pool, or NULL with errno EINVAL (0 packets) or ENOMEM.
 */
struct hsod_neigh_pool *hsod_neigh_pool_create(uint32_t packets);

/** Free a pool no table uses any more. NULL is ignored. */
void hsod_neigh_pool_free(struct hsod_neigh_pool *pool);

/** Bytes hsod_neigh_pool_create(@p packets) allocates. */
size_t hsod_neigh_pool_mem_size(uint32_t packets);

/**
 * Memory a table of @p entries neighbours with @p addr_len-byte addresses
 * takes: *heap what hsod_neigh_create() allocates itself, *dpdk its
 * rte_hash (DPDK memory; from rte_hash's layout in DPDK 22.11: a key slot
 * per entry + 1, cache-line buckets of 8 twice over with the extendable
 * table, two rings of slot indexes). For checks before EAL starts.
 */
void hsod_neigh_mem_size(uint32_t entries, unsigned addr_len, size_t *heap, size_t *dpdk);

/** Nodes free in @p pool. */
uint32_t hsod_neigh_pool_avail(const struct hsod_neigh_pool *pool);

/**
 * @return the table, or NULL with errno: EINVAL (addr_len not 4 or 16,
 *         parameters out of range, no ops), EEXIST (name in use), ENOMEM.
 */
struct hsod_neigh_tbl *hsod_neigh_create(const struct hsod_neigh_conf *conf);

/** Free the table and the packets it holds (their pool nodes go back). NULL is ignored. */
void hsod_neigh_free(struct hsod_neigh_tbl *t);

/**
 * The address to send to @p addr now. Known (REACHABLE, STALE, DELAY,
 * PROBE): HSOD_NEIGH_HIT with *mac; a STALE entry goes to DELAY (RFC 4861
 * 7.3.3). Unknown: an INCOMPLETE entry is made (evicting the least recently
 * used one when full) and the first solicitation sent. While INCOMPLETE,
 * @p m is held: at most params.queue per neighbour, the oldest dropped
 * past that (RFC 4861 7.2.2), and none when the pool is empty.
 *
 * @param m    the packet to send, or NULL to ask only
 * @return HSOD_NEIGH_HIT (m untouched), HSOD_NEIGH_QUEUED (m held), or
 *         HSOD_NEIGH_MISS (m freed, or NULL).
 */
enum hsod_neigh_result hsod_neigh_resolve(struct hsod_neigh_tbl *t, const void *addr,
					  struct rte_mbuf *m, uint64_t now_us,
					  struct rte_ether_addr *mac);

/**
 * What the protocol learned: @p addr is at @p mac (RFC 4861 7.2.3 and
 * 7.2.5, which RFC 826's merge algorithm agrees with for ARP). An
 * INCOMPLETE entry gets the address, becomes REACHABLE (solicited) or
 * STALE, and its held packets go out in order. A known entry: a different
 * address replaces the cached one with HSOD_NEIGH_F_OVERRIDE (state STALE,
 * or REACHABLE if solicited) and else only demotes REACHABLE to STALE; the
 * same address with HSOD_NEIGH_F_SOLICITED makes it REACHABLE. No entry:
 * one is made, STALE, with HSOD_NEIGH_F_CREATE.
 */
void hsod_neigh_update(struct hsod_neigh_tbl *t, const void *addr,
		       const struct rte_ether_addr *mac, unsigned flags, uint64_t now_us);

/**
 * Traffic received from @p addr's neighbour with source address @p mac
 * proves it alive: a known entry with that address becomes (or stays)
 * REACHABLE. Costs one hash lookup; the timer of a REACHABLE entry is not
 * touched (it re-reads the confirmation time when it fires).
 */
void hsod_neigh_confirm(struct hsod_neigh_tbl *t, const void *addr,
			const struct rte_ether_addr *mac, uint64_t now_us);

/** Run the timers due at @p now_us. @return how many fired. */
unsigned hsod_neigh_tick(struct hsod_neigh_tbl *t, uint64_t now_us);

/** @return 0 and @p info for @p addr; -ENOENT when it has no entry. No side effect. */
int hsod_neigh_get(const struct hsod_neigh_tbl *t, const void *addr,
		   struct hsod_neigh_info *info);

/** Counters; read from another lcore they are approximate (plain loads). */
const struct hsod_neigh_stats *hsod_neigh_stats(const struct hsod_neigh_tbl *t);

/** The reachable time this table uses now (randomized or not), in microseconds. */
uint64_t hsod_neigh_reachable_us(const struct hsod_neigh_tbl *t);

/** "incomplete", "reachable", ...: for logs and tests. */
const char *hsod_neigh_state_name(enum hsod_neigh_state s);

#endif
