/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_CODEC_H
#define HSO_HANDSHAKE_CODEC_H

/**
 * @file
 * Bounds-checked cursors for TLS wire formats (RFC 8446 section 3).
 *
 * Every length-prefixed field of a handshake message is read through a
 * struct hs_reader, which cannot run past its end: a read that does not fit
 * sets a sticky error, returns zeros / NULL, and every later read on that
 * reader fails too, so a parser can read a whole structure and check once.
 * hs_reader_block() opens a length-prefixed vector as a sub-reader and
 * advances the parent past it; hs_reader_done() checks that a block was
 * consumed exactly (trailing bytes are a decode_error in TLS).
 *
 * struct hs_writer mirrors it over a caller-owned buffer: pushes that do not
 * fit set a sticky error; hs_writer_block_begin()/_end() reserve a length
 * prefix and back-patch it, failing when the contents exceed what the prefix
 * (or the vector's declared maximum) can hold.
 *
 * Neither allocates; both are plain values the caller owns.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hs_reader {
	const uint8_t *p;  /**< first byte of the block */
	size_t len;        /**< bytes in the block */
	size_t off;        /**< bytes consumed */
	bool err;          /**< sticky: a read did not fit */
};

struct hs_writer {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool err;          /**< sticky: a push did not fit */
};

/** A reserved length prefix (hs_writer_block_begin). */
struct hs_block_mark {
	size_t at;         /**< offset of the prefix */
	uint8_t width;     /**< prefix bytes: 1, 2 or 3 */
};

static inline void
hs_reader_init(struct hs_reader *r, const uint8_t *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = false;
}

/** Bytes left to read (0 once failed). */
static inline size_t
hs_reader_left(const struct hs_reader *r)
{
	return r->err ? 0 : r->len - r->off;
}

/** True when the reader has not failed and every byte was consumed. */
static inline bool
hs_reader_done(const struct hs_reader *r)
{
	return !r->err && r->off == r->len;
}

/** Big-endian integer of 1..4 bytes; 0 and sticky error when short. */
uint32_t hs_read_uint(struct hs_reader *r, unsigned width);

static inline uint8_t hs_read_u8(struct hs_reader *r) { return (uint8_t)hs_read_uint(r, 1); }
static inline uint16_t hs_read_u16(struct hs_reader *r) { return (uint16_t)hs_read_uint(r, 2); }
static inline uint32_t hs_read_u24(struct hs_reader *r) { return hs_read_uint(r, 3); }
static inline uint32_t hs_read_u32(struct hs_reader *r) { return hs_read_uint(r, 4); }

/**
 * Take @p n bytes.
 * @return a pointer to them inside the reader's block, or NULL (sticky
 *         error) when fewer than @p n are left. n == 0 returns a valid
 *         pointer (possibly one past the end) and no error.
 */
const uint8_t *hs_read_bytes(struct hs_reader *r, size_t n);

/**
 * Open a vector with a @p width-byte length prefix (1, 2 or 3) as @p sub and
 * move @p r past it. The declared length must lie in [@p min, @p max] (the
 * vector's floor and ceiling from the RFC's presentation language) and fit
 * in what is left. On any failure @p r gets the sticky error and @p sub is
 * an empty failed reader.
 * @return 0, or -1 on failure.
 */
int hs_reader_block(struct hs_reader *r, unsigned width, size_t min, size_t max,
		    struct hs_reader *sub);

static inline void
hs_writer_init(struct hs_writer *w, uint8_t *buf, size_t cap)
{
	w->p = buf;
	w->cap = cap;
	w->off = 0;
	w->err = false;
}

/** Push a big-endian integer of 1..4 bytes. */
void hs_write_uint(struct hs_writer *w, uint32_t v, unsigned width);

static inline void hs_write_u8(struct hs_writer *w, uint8_t v) { hs_write_uint(w, v, 1); }
static inline void hs_write_u16(struct hs_writer *w, uint16_t v) { hs_write_uint(w, v, 2); }
static inline void hs_write_u24(struct hs_writer *w, uint32_t v) { hs_write_uint(w, v, 3); }

/** Push @p n bytes from @p src (which may be NULL when n == 0). */
void hs_write_bytes(struct hs_writer *w, const void *src, size_t n);

/**
 * Reserve @p n bytes to be filled by the caller.
 * @return where to write them, or NULL (sticky error) when they do not fit.
 */
uint8_t *hs_write_reserve(struct hs_writer *w, size_t n);

/** Reserve a @p width-byte (1, 2 or 3) length prefix for a vector. */
struct hs_block_mark hs_writer_block_begin(struct hs_writer *w, unsigned width);

/**
 * Back-patch the length of the vector begun at @p m. Fails (sticky error)
 * when the contents exceed @p max or what the prefix width can encode.
 */
void hs_writer_block_end(struct hs_writer *w, struct hs_block_mark m, size_t max);

#endif
