/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_KDF_PRIV_H
#define HSO_KDF_PRIV_H

/*
 * Internals of the KDF code shared by kdf.c and hmac_pad.c: the
 * single-buffer SHA-256/384 compression (SHA-NI through OpenSSL's block
 * functions where the CPU has it) on raw state words, and padding.
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto_kdf.h"

/* Sizes per hash; state_len is what ipsec-mb's pads hold (8 words). */
struct hso_kdf_hash_desc {
	uint32_t hash_len;
	uint32_t block_len;
	uint32_t state_len;
	uint32_t len_field;   /* bytes of the message-length field in padding */
};

extern const struct hso_kdf_hash_desc hso_kdf_hash_descs[HSO_KDF_HASH_NUM];

/* Load the initial state of @p hash into @p state (state_len bytes). */
void hso_sha_init_state(enum hso_kdf_hash hash, void *state);

/* Compress @p nblocks whole blocks at @p p into @p state (raw words). */
void hso_sha_compress(enum hso_kdf_hash hash, void *state, const uint8_t *p,
		      size_t nblocks);

/*
 * Finish a hash whose @p state has already absorbed @p prefix_len bytes
 * (a multiple of the block), over @p len more bytes of @p msg, and write the
 * big-endian digest (HashLen bytes). @p state is not modified.
 */
void hso_sha_finish(enum hso_kdf_hash hash, const void *state,
		    uint64_t prefix_len, const uint8_t *msg, size_t len,
		    uint8_t *digest);

/*
 * SHA-256 on the SHA extensions (sha_ni.c); call only when
 * hso_sha_ni_available() is true.
 */
int hso_sha_ni_available(void);
/*
 * Tests only, single-threaded: switch the SHA-NI code off (0) to exercise
 * the portable OpenSSL path, or back on where the CPU has it. Returns the
 * previous state.
 */
int hso_sha_ni_enable(int on);
/* @p nblocks blocks at @p p into the 8-word state @p st. */
void hso_sha256_ni_blocks(void *st, const uint8_t *p, size_t nblocks);
/* ipad and opad states (8 words each) from a 64-byte key block and the IV. */
void hso_sha256_ni_pads(const uint8_t key_block[64], const void *iv,
			void *ipad, void *opad);

#endif
