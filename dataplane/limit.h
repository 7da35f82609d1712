/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_LIMIT_H
#define HSO_DATAPLANE_LIMIT_H

/**
 * @file
 * Per-source admission: a token bucket per client IPv4 address or IPv6
 * prefix (a /64 by default: one host or site usually holds a whole /64, so
 * counting its addresses one by one would give it 2^64 buckets), so that one
 * source cannot take a worker with handshakes that force the most expensive
 * server work (an RSA private-key operation or an ECDSA signature and an
 * ECDHE share per handshake; RSA key exchange, HelloRetryRequest then
 * abandon, ClientHellos at the size limit). Every TLS handshake costs the
 * server at least one private-key operation, so the worker asks here before
 * it gives a new connection a TLS slot (one token per connection), which is
 * before any of that work: a source over its rate is refused with a RST,
 * counted. Spoofed SYN floods never get here (no connection is accepted
 * without the third segment of the TCP handshake), so they cannot flood the
 * table.
 *
 * The table is bounded (@c entries sources per worker); when full the least
 * recently seen source makes room (an intrusive LRU list: no scan, ever).
 * A source forgotten that way comes back with a full bucket: the table must
 * hold more sources than are active at once for the limit to bind. Buckets
 * are found through a keyed hash (SipHash-2-4 with a random key), so a client
 * cannot choose addresses that collide.
 *
 * No DPDK, no allocation after hsod_limit_create(), not thread-safe: one per
 * worker.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * A source: family (4 or 6) and address, an IPv6 one cut to its prefix
 * (hsod_limit_key4(), hsod_limit_key6()). The family is part of the key:
 * 198.18.0.1 and ::c612:1 are different sources.
 */
struct hsod_limit_key {
	uint8_t b[17];
};

/** The key of IPv4 address @p addr (host byte order). */
struct hsod_limit_key hsod_limit_key4(uint32_t addr);

/** The key of the first @p prefix_len (1..128) bits of IPv6 address @p a. */
struct hsod_limit_key hsod_limit_key6(const uint8_t a[16], unsigned prefix_len);

/** Parameters. */
struct hsod_limit_conf {
	uint32_t entries;       /**< sources remembered, >= 1 */
	uint32_t rate;          /**< tokens (handshakes) per second per source; 0: no limit */
	uint32_t burst;         /**< bucket size: a new source may start this many at once, >= 1 */
	/** Use @c key instead of getrandom() (tests only). */
	bool fixed_key;
	uint8_t key[16];
};

/** Counters. */
/* Exported by hsod's counter table (counters.h; format: worker.h). */
#define HSOD_LIMIT_COUNTERS(X)                                                 \
	X(allowed, "source_limit_allowed", counter, none,                      \
	  "connections admitted by the per-source limit ([limits] source_rate)") \
	X(sources, "source_limit_sources", gauge, none,                        \
	  "client addresses the per-source limit remembers now")               \
	X(evictions, "source_limit_evictions", counter, none,                  \
	  "sources forgotten to make room ([limits] source_table)")

struct hsod_limit_stats {
	uint64_t allowed;       /**< tokens taken */
	uint64_t limited;       /**< refused: bucket empty */
	uint64_t evictions;     /**< sources forgotten to make room */
	uint32_t sources;       /**< sources in the table now */
};

struct hsod_limit;

/**
 * @return the table, or NULL with errno EINVAL (entries or burst 0 with a
 *         rate), ENOMEM, or the getrandom() error.
 */
struct hsod_limit *hsod_limit_create(const struct hsod_limit_conf *conf);

void hsod_limit_free(struct hsod_limit *l);

/** Bytes hsod_limit_create(@p conf) takes from the heap (nothing is allocated later). */
size_t hsod_limit_mem_size(const struct hsod_limit_conf *conf);

/**
 * Take one token of source @p k at time @p now_us (monotonic).
 * @return true when it may go on (always with rate 0); false when its
 *         bucket is empty (counted).
 */
bool hsod_limit_take(struct hsod_limit *l, const struct hsod_limit_key *k, uint64_t now_us);

const struct hsod_limit_stats *hsod_limit_stats(const struct hsod_limit *l);

#endif
