/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_PROXY_POOL_H
#define HSO_PROXY_POOL_H

/**
 * @file
 * The backend pool of hso-proxy: which backend gets the next connection
 * (weighted round robin or weighted least connections, each backend under
 * its maxconn) and whether a backend is in service (fall/rise over active
 * checks and passive connect failures, as HAProxy counts them).
 *
 * Pure bookkeeping: no sockets, no clock, no DPDK, no allocation. The
 * caller owns the struct and reports what happened.
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/** Backends in one pool (a pick excludes backends by a 64-bit mask). */
#define POOL_MAX_BACKENDS       64
/** Name of a backend: NUL included. */
#define POOL_NAME_MAX           32
/** "[IPv6]:PORT" text, NUL included. */
#define POOL_ADDR_STR_MAX       (1 + 45 + 2 + 5 + 1)
#define POOL_WEIGHT_MAX         256
#define POOL_MAXCONN_MAX        (1u << 24)
#define POOL_FALLRISE_MAX       1000

enum pool_balance {
	POOL_ROUNDROBIN,        /**< smooth weighted round robin (nginx's) */
	POOL_LEASTCONN,         /**< fewest active per unit of weight; ties rotate */
};

/** Counters of one backend. */
struct pool_backend_stats {
	uint64_t conns;                 /**< connections given to it */
	uint64_t connect_ok, connect_refused, connect_timeout, connect_error;
	uint64_t resets;                /**< reset or write error after connecting */
	uint64_t idle_timeouts;
	uint64_t checks_ok, checks_failed;
	uint64_t passive_failures;
	uint64_t went_down, went_up;
	uint64_t full;                  /**< picks that skipped it at maxconn */
	uint64_t bytes_to, bytes_from;  /**< client data to it, its data to clients */
};

struct pool_backend {
	char name[POOL_NAME_MAX];
	char addr_str[POOL_ADDR_STR_MAX];
	struct sockaddr_storage addr;
	socklen_t addr_len;
	uint32_t weight;                /**< 0: no new connections (drain) */
	uint32_t maxconn;               /**< 0: no limit */
	/* state */
	bool up;
	uint32_t fail_streak;           /**< consecutive failures while up */
	uint32_t ok_streak;             /**< consecutive successes while down */
	int64_t cur;                    /**< smooth round robin's current weight */
	uint32_t active;                /**< connections open now */
	struct pool_backend_stats st;
};

struct pool {
	struct pool_backend b[POOL_MAX_BACKENDS];
	unsigned n;
	enum pool_balance balance;
	uint32_t fall, rise;
	unsigned lc_next;               /**< leastconn: where ties start */
};

/**
 * Empty pool with a policy and fall/rise thresholds (1..POOL_FALLRISE_MAX).
 */
void pool_init(struct pool *p, enum pool_balance balance, uint32_t fall, uint32_t rise);

/**
 * Add a backend, in service.
 * @return its index; -ENOSPC POOL_MAX_BACKENDS reached; -EINVAL weight or
 *         maxconn out of range, or an address length that does not fit.
 */
int pool_add(struct pool *p, const char *name, const char *addr_str,
	     const struct sockaddr *addr, socklen_t addr_len, uint32_t weight,
	     uint32_t maxconn);

/**
 * Choose a backend for a new connection, skipping those in @p exclude (bit
 * i: backend i, e.g. the ones already tried), those down, of weight 0 or at
 * maxconn.
 * @return the index; -ENOENT no backend in service (outside @p exclude);
 *         -EBUSY some are in service but all are at maxconn.
 */
int pool_pick(struct pool *p, uint64_t exclude);

/** A connection to backend @p i opens (after pool_pick()) / ends. */
void pool_acquire(struct pool *p, unsigned i);
void pool_release(struct pool *p, unsigned i);

/** What a health report did to the backend's state. */
enum pool_change {
	POOL_SAME = 0,
	POOL_WENT_DOWN,
	POOL_WENT_UP,
};

/**
 * Result of an active check (a TCP connect): @p fall failures in a row take
 * a backend out, @p rise successes in a row put it back.
 */
enum pool_change pool_check_result(struct pool *p, unsigned i, bool ok);

/**
 * A connection to @p i failed to connect (refused, timed out): counts
 * towards fall like a failed check. Only checks bring a backend back.
 */
enum pool_change pool_passive_failure(struct pool *p, unsigned i);

/** A connection to @p i connected: a backend in service starts a new fall count. */
void pool_passive_success(struct pool *p, unsigned i);

/** Backends in service. */
unsigned pool_up_count(const struct pool *p);

#endif
