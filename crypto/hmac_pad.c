/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * HMAC pads and the lean single-buffer HMAC.
 *
 * ipsec-mb's HMAC jobs start from the compression state after the block
 * key^ipad (and key^opad): the raw 32-bit (SHA-256) or 64-bit (SHA-384)
 * state words in host order, exactly what its own pad code leaves behind
 * (checked against IMB_SHA256_ONE_BLOCK / IMB_SHA384_ONE_BLOCK in
 * tests/test_kdf_kat.c). Computing that state costs two compressions per
 * key. ipsec-mb 1.3's sha256_one_block does not use SHA-NI (~0.4 us a
 * call, more than a whole multi-buffer HMAC), so the SHA-256 compressions
 * here run on hso's own SHA-NI code (sha_ni.c: ipad and opad chains
 * interleaved, ~40 ns for both) where the CPU has it, and otherwise on
 * OpenSSL's block functions, as do SHA-384's (AVX2 code, no SHA-512
 * instructions on the CPUs hso targets). Those are deprecated in 3.0 but
 * are the only public door to a bare compression; SHA256_CTX.h and
 * SHA512_CTX.h hold the state words in host order, the layout ipsec-mb
 * wants.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto_kdf.h"
#include "kdf_priv.h"

const struct hso_kdf_hash_desc hso_kdf_hash_descs[HSO_KDF_HASH_NUM] = {
	[HSO_KDF_SHA256] = { .hash_len = 32, .block_len = 64, .state_len = 32,
			     .len_field = 8 },
	[HSO_KDF_SHA384] = { .hash_len = 48, .block_len = 128, .state_len = 64,
			     .len_field = 16 },
};

/* FIPS 180-4 5.3.3 and 5.3.4. */
static const uint32_t sha256_iv[8] = {
	0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

static const uint64_t sha384_iv[8] = {
	0xcbbb9d5dc1059ed8ULL, 0x629a292a367cd507ULL,
	0x9159015a3070dd17ULL, 0x152fecd8f70e5939ULL,
	0x67332667ffc00b31ULL, 0x8eb44a8768581511ULL,
	0xdb0c2e0d64f98fa7ULL, 0x47b5481dbefa4fa4ULL,
};

size_t
hso_kdf_hash_len(enum hso_kdf_hash hash)
{
	if ((unsigned)hash >= HSO_KDF_HASH_NUM)
		return 0;
	return hso_kdf_hash_descs[hash].hash_len;
}

void
hso_sha_init_state(enum hso_kdf_hash hash, void *state)
{
	if (hash == HSO_KDF_SHA256)
		memcpy(state, sha256_iv, sizeof(sha256_iv));
	else
		memcpy(state, sha384_iv, sizeof(sha384_iv));
}

void
hso_sha_compress(enum hso_kdf_hash hash, void *state, const uint8_t *p,
		 size_t nblocks)
{
	if (hash == HSO_KDF_SHA256 && hso_sha_ni_available()) {
		hso_sha256_ni_blocks(state, p, nblocks);
	} else if (hash == HSO_KDF_SHA256) {
		SHA256_CTX c;

		memcpy(c.h, state, sizeof(c.h));
		for (size_t i = 0; i < nblocks; i++)
			SHA256_Transform(&c, p + i * 64);
		memcpy(state, c.h, sizeof(c.h));
		/* The state after key^ipad is as good as the key. */
		OPENSSL_cleanse(c.h, sizeof(c.h));
	} else {
		SHA512_CTX c;

		memcpy(c.h, state, sizeof(c.h));
		for (size_t i = 0; i < nblocks; i++)
			SHA512_Transform(&c, p + i * 128);
		memcpy(state, c.h, sizeof(c.h));
		OPENSSL_cleanse(c.h, sizeof(c.h));
	}
}

static void
store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
store_be64(uint8_t *p, uint64_t v)
{
	store_be32(p, (uint32_t)(v >> 32));
	store_be32(p + 4, (uint32_t)v);
}

void
hso_sha_finish(enum hso_kdf_hash hash, const void *state, uint64_t prefix_len,
	       const uint8_t *msg, size_t len, uint8_t *digest)
{
	const struct hso_kdf_hash_desc *d = &hso_kdf_hash_descs[hash];
	_Alignas(16) uint8_t st[64];
	_Alignas(16) uint8_t tail[2 * HSO_KDF_MAX_BLOCK_LEN];
	size_t full = len / d->block_len, rem = len % d->block_len, nb;

	memcpy(st, state, d->state_len);
	if (full != 0)
		hso_sha_compress(hash, st, msg, full);
	/* FIPS 180-4 5.1: 0x80, zeros, then the length in bits, big-endian. */
	nb = rem + 1 + d->len_field <= d->block_len ? 1 : 2;
	if (rem != 0)
		memcpy(tail, msg + full * d->block_len, rem);
	memset(tail + rem, 0, nb * d->block_len - rem);
	tail[rem] = 0x80;
	store_be64(tail + nb * d->block_len - 8, (prefix_len + len) * 8);
	hso_sha_compress(hash, st, tail, nb);
	if (hash == HSO_KDF_SHA256) {
		uint32_t w[8];

		/* The final state is the digest: nothing more to wipe in st. */
		memcpy(w, st, sizeof(w));
		for (int i = 0; i < 8; i++)
			store_be32(digest + 4 * i, w[i]);
	} else {
		uint64_t w[8];

		memcpy(w, st, sizeof(w));
		for (int i = 0; i < 6; i++)
			store_be64(digest + 8 * i, w[i]);
		/* Words 6 and 7 are cut from SHA-384's output: wipe them. */
		OPENSSL_cleanse(st, sizeof(st));
		OPENSSL_cleanse(w, sizeof(w));
	}
	/* The tail held message bytes: an inner hash, T(i-1), a key. */
	OPENSSL_cleanse(tail, nb * d->block_len);
}

int
hso_hmac_key_init(struct hso_hmac_key *k, enum hso_kdf_hash hash,
		  const void *key, size_t len)
{
	const struct hso_kdf_hash_desc *d;
	/* One scratch area, one wipe. */
	struct {
		_Alignas(16) uint8_t kb[HSO_KDF_MAX_BLOCK_LEN];
		_Alignas(16) uint8_t blk[2][HSO_KDF_MAX_BLOCK_LEN];
	} s;

	if (k == NULL || (unsigned)hash >= HSO_KDF_HASH_NUM ||
	    (key == NULL && len != 0))
		return -EINVAL;
	d = &hso_kdf_hash_descs[hash];
	/*
	 * RFC 2104 2: "Applications that use keys longer than B bytes will
	 * first hash the key using H and then use the resultant L byte
	 * string as the actual key to HMAC."
	 */
	if (len > d->block_len) {
		_Alignas(16) uint8_t iv[64];

		hso_sha_init_state(hash, iv);
		hso_sha_finish(hash, iv, 0, key, len, s.kb);
		len = d->hash_len;
	} else if (len != 0) {
		memcpy(s.kb, key, len);
	}
	memset(s.kb + len, 0, d->block_len - len);
	k->hash = hash;
	if (hash == HSO_KDF_SHA256 && hso_sha_ni_available()) {
		/* Both chains at once: SHA256RNDS2 is latency-bound. */
		hso_sha256_ni_pads(s.kb, sha256_iv, k->ipad, k->opad);
		/* SHA-256 uses 8 words of 64 bytes: keep the rest defined. */
		memset(k->ipad + 32, 0, 32);
		memset(k->opad + 32, 0, 32);
		OPENSSL_cleanse(s.kb, 64);
		return 0;
	}
	for (size_t i = 0; i < d->block_len; i += 8) {
		uint64_t w, wi, wo;

		memcpy(&w, s.kb + i, 8);
		wi = w ^ 0x3636363636363636ULL;
		wo = w ^ 0x5c5c5c5c5c5c5c5cULL;
		memcpy(s.blk[0] + i, &wi, 8);
		memcpy(s.blk[1] + i, &wo, 8);
	}
	memset(k->ipad, 0, sizeof(k->ipad));
	memset(k->opad, 0, sizeof(k->opad));
	hso_sha_init_state(hash, k->ipad);
	hso_sha_compress(hash, k->ipad, s.blk[0], 1);
	hso_sha_init_state(hash, k->opad);
	hso_sha_compress(hash, k->opad, s.blk[1], 1);
	OPENSSL_cleanse(&s, sizeof(s));
	return 0;
}

void
hso_hmac_key_wipe(struct hso_hmac_key *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k, sizeof(*k));
}

int
hso_hmac_lean(const struct hso_hmac_key *k, const void *msg, size_t len,
	      uint8_t *out)
{
	const struct hso_kdf_hash_desc *d;
	uint8_t inner[HSO_KDF_MAX_HASH_LEN];

	if (k == NULL || out == NULL || (unsigned)k->hash >= HSO_KDF_HASH_NUM ||
	    (msg == NULL && len != 0))
		return -EINVAL;
	d = &hso_kdf_hash_descs[k->hash];
	/* Both pads have absorbed exactly one block. */
	hso_sha_finish(k->hash, k->ipad, d->block_len, msg, len, inner);
	hso_sha_finish(k->hash, k->opad, d->block_len, inner, d->hash_len, out);
	OPENSSL_cleanse(inner, sizeof(inner));
	return 0;
}
