/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_BUFPOOL_H
#define HSO_HANDSHAKE_BUFPOOL_H

/**
 * @file
 * A worker's pool of equal-sized buffers that connections borrow while they
 * handshake and give back when done: memory a few handshakes need at once,
 * not every connection.
 *
 * The first user is message reassembly: a connection gathers handshake
 * messages in a small area of its own and borrows a buffer only for one
 * larger than that (a ClientHello of 16 KiB to 128 KiB: long extension
 * lists, padding, post-quantum key shares), returning it as soon as the
 * message is handled. Later users (staging, transcript and key-schedule
 * scratch, sized by the handshakes allowed at once) borrow the same way.
 *
 * One pool per worker thread: no locks. The buffers are one anonymous
 * mapping (MAP_NORESERVE), its pages touched only when first used. A buffer comes back wiped (the bytes the
 * borrower says it wrote). An empty pool is not an error here: the borrower
 * fails its handshake cleanly and the pool counts it.
 */

#include <stddef.h>
#include <stdint.h>

/** What a pool did; the worker exports it (hs_worker_stats). */
struct hs_buf_pool_stats {
	uint64_t borrowed;      /**< buffers handed out, ever */
	uint64_t exhausted;     /**< borrows refused: every buffer was out */
	uint32_t in_use;        /**< out now */
	uint32_t in_use_max;    /**< most out at once */
};

struct hs_buf_pool;

/**
 * @param n      buffers (0: an empty pool that refuses every borrow)
 * @param size   bytes each
 * @param stats  where to count (the worker's stats), not NULL
 * @return the pool, or NULL with errno EINVAL (size 0, n * size overflows)
 *         or ENOMEM.
 */
struct hs_buf_pool *hs_buf_pool_create(unsigned n, size_t size,
				       struct hs_buf_pool_stats *stats);

/** Free @p p (NULL is fine). Every buffer must have come back. */
void hs_buf_pool_free(struct hs_buf_pool *p);

/** Bytes in each buffer. */
size_t hs_buf_pool_buf_size(const struct hs_buf_pool *p);

/** Borrow a buffer; NULL (counted as exhausted) when all are out. */
uint8_t *hs_buf_pool_get(struct hs_buf_pool *p);

/**
 * Give @p buf back, wiping its first @p used bytes (what the borrower
 * wrote: handshake messages may hold secrets such as a PSK identity).
 */
void hs_buf_pool_put(struct hs_buf_pool *p, uint8_t *buf, size_t used);

#endif
