/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_SESSION_CACHE_H
#define HSO_HANDSHAKE_SESSION_CACHE_H

/**
 * @file
 * The per-worker TLS 1.2 session-id cache (RFC 5246 7.4.1.2 resumption).
 *
 * A fixed ring of entries, filled in order: inserting into a full cache
 * evicts (and wipes) the oldest entry, so memory is bounded by the size the
 * configuration gives. Lookups go through an open-addressing index keyed by
 * the (random) session id, with linear probing and backward-shift deletion,
 * so absent ids are found absent in a few probes however long the cache has
 * been churning. Allocated once per worker; no allocation afterwards. Not
 * thread-safe (one per worker: RSS keeps a client's connections together
 * only by 4-tuple, so a resumption landing on another worker is a miss and
 * a full handshake, never an error).
 */

#include <stdbool.h>
#include <stdint.h>

#include "ticket.h"

struct hs_session_cache;

/** Create a cache of @p n entries (1..2^20). NULL with errno EINVAL or ENOMEM. */
struct hs_session_cache *hs_session_cache_create(unsigned n);

/** Bytes hs_session_cache_create(@p n) allocates. */
size_t hs_session_cache_mem_size(unsigned n);

/** Wipe and free. NULL is a no-op. */
void hs_session_cache_free(struct hs_session_cache *sc);

/**
 * Store @p t under @p id (32 bytes), evicting the oldest entry when full.
 * @return 1 when an entry was evicted, 0 otherwise.
 */
int hs_session_cache_put(struct hs_session_cache *sc, const uint8_t id[32],
			 const struct hs_ticket *t);

/**
 * Find @p id; copy the session to @p t when found and not expired at
 * @p now_ms (an expired entry is removed).
 * @return true when found and valid.
 */
bool hs_session_cache_get(struct hs_session_cache *sc, const uint8_t id[32],
			  uint64_t now_ms, struct hs_ticket *t);

/** Entries in use. */
unsigned hs_session_cache_count(const struct hs_session_cache *sc);

#endif
