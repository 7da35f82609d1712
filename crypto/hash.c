/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Incremental SHA-256/384 for TLS transcript hashes.
 *
 * ipsec-mb 1.3 offers SHA-2 only as whole-message jobs, and a transcript
 * grows message by message while the handshake needs its hash at several
 * points (ServerHello, CertificateVerify, Finished, ...). OpenSSL's
 * low-level SHA256_CTX / SHA512_CTX fit exactly: fixed-size plain structs
 * (struct copy = fork), no allocation, no provider fetch, and the same
 * SHA-NI / AVX2 block functions as EVP. They are deprecated in OpenSSL 3.0
 * in favour of EVP_MD_CTX, which allocates per context and pays a provider
 * dispatch per call (bench/bench_aead.c measures both). Hence the
 * deprecation warnings are silenced for this one file only.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "crypto_sym.h"

_Static_assert(sizeof(SHA512_CTX) <= HSO_HASH_STATE_SIZE,
	       "HSO_HASH_STATE_SIZE too small for SHA512_CTX");
_Static_assert(sizeof(SHA256_CTX) <= HSO_HASH_STATE_SIZE,
	       "HSO_HASH_STATE_SIZE too small for SHA256_CTX");
_Static_assert(_Alignof(SHA512_CTX) <= 8 && _Alignof(SHA256_CTX) <= 8,
	       "struct hso_hash state is only 8-byte aligned");

static inline SHA256_CTX *
s256(struct hso_hash *h)
{
	return (SHA256_CTX *)(void *)h->state;
}

static inline SHA512_CTX *
s512(struct hso_hash *h)
{
	return (SHA512_CTX *)(void *)h->state;
}

size_t
hso_hash_len(enum hso_hash_alg alg)
{
	switch (alg) {
	case HSO_HASH_SHA256:
		return SHA256_DIGEST_LENGTH;
	case HSO_HASH_SHA384:
		return SHA384_DIGEST_LENGTH;
	default:
		return 0;
	}
}

size_t
hso_hash_digest_len(const struct hso_hash *h)
{
	return hso_hash_len((enum hso_hash_alg)h->alg);
}

int
hso_hash_init(struct hso_hash *h, enum hso_hash_alg alg)
{
	if (h == NULL)
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	switch (alg) {
	case HSO_HASH_SHA256:
		SHA256_Init(s256(h));
		break;
	case HSO_HASH_SHA384:
		SHA384_Init(s512(h));
		break;
	default:
		return -EINVAL;
	}
	h->alg = (uint8_t)alg;
	h->init = 1;
	return 0;
}

void
hso_hash_update(struct hso_hash *h, const void *data, size_t len)
{
	if (len == 0)
		return;
	/* SHA384_Update is SHA512_Update on the shared state. */
	if (h->alg == HSO_HASH_SHA256)
		SHA256_Update(s256(h), data, len);
	else
		SHA384_Update(s512(h), data, len);
}

void
hso_hash_copy(struct hso_hash *dst, const struct hso_hash *src)
{
	*dst = *src;
}

/* Finish @p h into @p out; @p h is consumed. */
static int
finish(struct hso_hash *h, uint8_t *out)
{
	if (!h->init)
		return -EINVAL;
	if (h->alg == HSO_HASH_SHA256)
		SHA256_Final(out, s256(h));
	else
		SHA384_Final(out, s512(h));
	return (int)hso_hash_digest_len(h);
}

int
hso_hash_peek(const struct hso_hash *h, uint8_t *out)
{
	struct hso_hash tmp = *h;
	int rc = finish(&tmp, out);

	OPENSSL_cleanse(&tmp, sizeof(tmp));
	return rc;
}

int
hso_hash_final(struct hso_hash *h, uint8_t *out)
{
	int rc = finish(h, out);

	hso_hash_wipe(h);
	return rc;
}

void
hso_hash_wipe(struct hso_hash *h)
{
	if (h != NULL)
		OPENSSL_cleanse(h, sizeof(*h));
}

int
hso_hash_digest(enum hso_hash_alg alg, const void *data, size_t len,
		uint8_t *out)
{
	struct hso_hash h;
	int rc = hso_hash_init(&h, alg);

	if (rc != 0)
		return rc;
	hso_hash_update(&h, data, len);
	return hso_hash_final(&h, out);
}
