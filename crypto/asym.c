/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-worker asymmetric operations through OpenSSL 3 EVP: RSA premaster
 * decryption, signatures, ECDHE. See crypto_asym.h for the contract.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>

#include "crypto.h"
#include "crypto_priv.h"

#define ASYM_DEFAULT_KEYS 16

/* One EVP_PKEY_CTX per key and operation, initialised once. */
enum asym_op {
	OP_DECRYPT,		/* RSA_PKCS1_WITH_TLS_PADDING */
	OP_PSS_SHA256,
	OP_PSS_SHA384,
	OP_PSS_SHA512,
	OP_PKCS1_SHA256,
	OP_PKCS1_SHA384,
	OP_PKCS1_SHA512,
	OP_ECDSA_SHA224,	/* TLS 1.2: any hash with any curve */
	OP_ECDSA_SHA256,
	OP_ECDSA_SHA384,
	OP_ECDSA_SHA512,
	OP_N
};

struct key_slot {
	uint64_t serial;		/* 0: empty */
	EVP_PKEY *pkey;			/* this worker's copy of the key */
	EVP_PKEY_CTX *op[OP_N];		/* lazily initialised */
};

struct hso_asym_ctx {
	EVP_MD *sha224;
	EVP_MD *sha256;
	EVP_MD *sha384;
	EVP_MD *sha512;
	EVP_MD_CTX *md;			/* message hashing for sign */
	EVP_PKEY_CTX *gen_x25519;	/* keygen, initialised */
	EVP_PKEY_CTX *gen_p256;
	EVP_PKEY *peer_x25519;		/* peer shares are decoded in here */
	EVP_PKEY *peer_p256;
	EVP_PKEY_CTX *check_p256;	/* public_check_quick on peer_p256 */
	unsigned n_slots;
	unsigned next_evict;
	struct key_slot slots[];
};

static void
slot_clear(struct key_slot *s)
{
	for (int i = 0; i < OP_N; i++)
		EVP_PKEY_CTX_free(s->op[i]);
	EVP_PKEY_free(s->pkey);
	memset(s, 0, sizeof(*s));
}

/* A P-256 public-only EVP_PKEY to decode peer shares into. */
static EVP_PKEY *
p256_peer_new(EVP_PKEY_CTX *gen)
{
	uint8_t pub[HSO_ECDHE_PUB_MAX];
	size_t publen = 0;
	EVP_PKEY *tmp = NULL, *peer = NULL;
	EVP_PKEY_CTX *fd = NULL;
	OSSL_PARAM params[3];
	char group[] = "P-256";

	/* Any valid point will do: take a fresh key's public part. */
	if (EVP_PKEY_keygen(gen, &tmp) != 1 ||
	    !EVP_PKEY_get_octet_string_param(tmp, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					     pub, sizeof(pub), &publen))
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
						     group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
						      pub, publen);
	params[2] = OSSL_PARAM_construct_end();
	fd = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (fd == NULL || EVP_PKEY_fromdata_init(fd) != 1 ||
	    EVP_PKEY_fromdata(fd, &peer, EVP_PKEY_PUBLIC_KEY, params) != 1)
		peer = NULL;
out:
	EVP_PKEY_CTX_free(fd);
	EVP_PKEY_free(tmp);
	return peer;
}

struct hso_asym_ctx *
hso_asym_ctx_create(unsigned max_keys)
{
	/* The X25519 base point u = 9 (RFC 7748 4.1): a valid placeholder. */
	static const uint8_t u9[32] = { 9 };
	struct hso_asym_ctx *ctx;
	int err = EIO;

	if (max_keys == 0)
		max_keys = ASYM_DEFAULT_KEYS;
	ctx = calloc(1, sizeof(*ctx) + max_keys * sizeof(ctx->slots[0]));
	if (ctx == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	ctx->n_slots = max_keys;
	ctx->sha224 = EVP_MD_fetch(NULL, "SHA2-224", NULL);
	ctx->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	ctx->sha384 = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	ctx->sha512 = EVP_MD_fetch(NULL, "SHA2-512", NULL);
	ctx->md = EVP_MD_CTX_new();
	ctx->gen_x25519 = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	ctx->gen_p256 = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	if (ctx->sha224 == NULL || ctx->sha256 == NULL || ctx->sha384 == NULL ||
	    ctx->sha512 == NULL || ctx->md == NULL ||
	    ctx->gen_x25519 == NULL || ctx->gen_p256 == NULL)
		goto fail;
	if (EVP_PKEY_keygen_init(ctx->gen_x25519) != 1 ||
	    EVP_PKEY_keygen_init(ctx->gen_p256) != 1 ||
	    EVP_PKEY_CTX_set_group_name(ctx->gen_p256, "P-256") != 1)
		goto fail;
	ctx->peer_x25519 = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL,
							  u9, sizeof(u9));
	ctx->peer_p256 = p256_peer_new(ctx->gen_p256);
	if (ctx->peer_x25519 == NULL || ctx->peer_p256 == NULL)
		goto fail;
	ctx->check_p256 = EVP_PKEY_CTX_new_from_pkey(NULL, ctx->peer_p256, NULL);
	if (ctx->check_p256 == NULL)
		goto fail;
	return ctx;
fail:
	ERR_clear_error();
	hso_asym_ctx_free(ctx);
	errno = err;
	return NULL;
}

EVP_MD_CTX *
hso_asym_mdctx(struct hso_asym_ctx *ctx)
{
	return ctx->md;
}

void
hso_asym_ctx_free(struct hso_asym_ctx *ctx)
{
	if (ctx == NULL)
		return;
	for (unsigned i = 0; i < ctx->n_slots; i++)
		slot_clear(&ctx->slots[i]);
	EVP_PKEY_CTX_free(ctx->check_p256);
	EVP_PKEY_free(ctx->peer_p256);
	EVP_PKEY_free(ctx->peer_x25519);
	EVP_PKEY_CTX_free(ctx->gen_p256);
	EVP_PKEY_CTX_free(ctx->gen_x25519);
	EVP_MD_CTX_free(ctx->md);
	EVP_MD_free(ctx->sha512);
	EVP_MD_free(ctx->sha384);
	EVP_MD_free(ctx->sha256);
	EVP_MD_free(ctx->sha224);
	free(ctx);
}

void
hso_asym_ctx_forget(struct hso_asym_ctx *ctx, const struct hso_cert *cert)
{
	if (ctx == NULL || cert == NULL)
		return;
	for (unsigned i = 0; i < ctx->n_slots; i++)
		if (ctx->slots[i].serial == cert->serial)
			slot_clear(&ctx->slots[i]);
}

static struct key_slot *
slot_get(struct hso_asym_ctx *ctx, const struct hso_cert *cert)
{
	struct key_slot *free_slot = NULL, *s;

	for (unsigned i = 0; i < ctx->n_slots; i++) {
		s = &ctx->slots[i];
		if (s->serial == cert->serial)
			return s;
		if (s->serial == 0 && free_slot == NULL)
			free_slot = s;
	}
	if (free_slot == NULL) {
		free_slot = &ctx->slots[ctx->next_evict];
		ctx->next_evict = (ctx->next_evict + 1) % ctx->n_slots;
		slot_clear(free_slot);
	}
	/*
	 * A private copy per worker: RSA blinding state and Montgomery
	 * caches then belong to this worker alone, with no lock shared with
	 * the other workers.
	 */
	free_slot->pkey = EVP_PKEY_dup(cert->pkey);
	if (free_slot->pkey == NULL)
		return NULL;
	free_slot->serial = cert->serial;
	return free_slot;
}

static int
op_init(struct hso_asym_ctx *ctx, EVP_PKEY_CTX *pc, enum asym_op op)
{
	const EVP_MD *md = NULL;

	switch (op) {
	case OP_DECRYPT:
		/*
		 * RFC 5246 7.4.7.1: the server MUST NOT distinguish a bad
		 * padding or version from a good one; the TLS padding mode
		 * checks both in constant time and substitutes a random
		 * premaster on failure.
		 */
		return EVP_PKEY_decrypt_init(pc) == 1 &&
		       EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_WITH_TLS_PADDING) == 1;
	case OP_PSS_SHA256:
	case OP_PSS_SHA384:
	case OP_PSS_SHA512:
		md = op == OP_PSS_SHA256 ? ctx->sha256 :
		     op == OP_PSS_SHA384 ? ctx->sha384 : ctx->sha512;
		/*
		 * RFC 8446 4.2.3: "The length of the Salt MUST be equal to
		 * the length of the output of the digest algorithm", and MGF1
		 * uses the same hash as the signature.
		 */
		return EVP_PKEY_sign_init(pc) == 1 &&
		       EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_signature_md(pc, md) == 1 &&
		       EVP_PKEY_CTX_set_rsa_mgf1_md(pc, md) == 1 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
	case OP_PKCS1_SHA256:
	case OP_PKCS1_SHA384:
	case OP_PKCS1_SHA512:
		md = op == OP_PKCS1_SHA256 ? ctx->sha256 :
		     op == OP_PKCS1_SHA384 ? ctx->sha384 : ctx->sha512;
		return EVP_PKEY_sign_init(pc) == 1 &&
		       EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_signature_md(pc, md) == 1;
	case OP_ECDSA_SHA224:
	case OP_ECDSA_SHA256:
	case OP_ECDSA_SHA384:
	case OP_ECDSA_SHA512:
		md = op == OP_ECDSA_SHA224 ? ctx->sha224 : op == OP_ECDSA_SHA256 ? ctx->sha256 :
		     op == OP_ECDSA_SHA384 ? ctx->sha384 : ctx->sha512;
		return EVP_PKEY_sign_init(pc) == 1 &&
		       EVP_PKEY_CTX_set_signature_md(pc, md) == 1;
	default:
		return 0;
	}
}

/* The initialised context of @p op for @p cert: built on first use. */
static EVP_PKEY_CTX *
op_get(struct hso_asym_ctx *ctx, const struct hso_cert *cert, enum asym_op op)
{
	struct key_slot *s = slot_get(ctx, cert);
	EVP_PKEY_CTX *pc;

	if (s == NULL)
		return NULL;
	if (s->op[op] != NULL)
		return s->op[op];
	pc = EVP_PKEY_CTX_new_from_pkey(NULL, s->pkey, NULL);
	if (pc == NULL)
		return NULL;
	if (!op_init(ctx, pc, op)) {
		EVP_PKEY_CTX_free(pc);
		return NULL;
	}
	s->op[op] = pc;
	return pc;
}

int
hso_asym_rsa_premaster_decrypt(struct hso_asym_ctx *ctx,
			       const struct hso_cert *cert,
			       const uint8_t *in, size_t inlen,
			       uint16_t client_version,
			       uint16_t negotiated_version,
			       uint8_t premaster[HSO_TLS12_PREMASTER_LEN])
{
	unsigned int cv = client_version, nv = negotiated_version;
	size_t outlen = HSO_TLS12_PREMASTER_LEN;
	uint8_t padded[HSO_SIG_MAX];
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *pc;

	if (cert->key_type != HSO_KEY_RSA || client_version == 0)
		return -EINVAL;
	/*
	 * The length and the ciphertext being below the modulus are public
	 * facts (the attacker knows n): failing on them leaks nothing. The
	 * comparison need not be constant time.
	 */
	if (inlen > cert->sig_max || inlen > sizeof(padded))
		return -EBADMSG;
	/*
	 * A shorter ciphertext is the same integer without its leading zero
	 * bytes (I2OSP, RFC 8017 4.1): put them back, as OpenSSL's own
	 * BN_bin2bn does, rather than refusing what the client computed right.
	 */
	if (inlen < cert->sig_max) {
		memset(padded, 0, cert->sig_max - inlen);
		memcpy(padded + cert->sig_max - inlen, in, inlen);
		in = padded;
		inlen = cert->sig_max;
	}
	if (memcmp(in, cert->rsa_modulus, inlen) >= 0)
		return -EBADMSG;
	pc = op_get(ctx, cert, OP_DECRYPT);
	if (pc == NULL) {
		ERR_clear_error();
		return -ENOMEM;
	}
	/*
	 * RFC 5246 7.4.7.1: compare the premaster's version with
	 * ClientHello.client_version; "a TLS server MUST NOT generate an
	 * alert if processing an RSA-encrypted premaster secret message
	 * fails, or the version number is not as expected. Instead, it MUST
	 * continue the handshake with a randomly generated premaster
	 * secret." The provider does both checks in constant time.
	 */
	params[0] = OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION,
					      &cv);
	params[1] = OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_NEGOTIATED_VERSION,
					      &nv);
	params[2] = OSSL_PARAM_construct_end();
	if (EVP_PKEY_CTX_set_params(pc, params) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	/*
	 * Fails only on public conditions (checked above) or internal errors:
	 * a bad padding or version returns 1 with random bytes.
	 */
	if (EVP_PKEY_decrypt(pc, premaster, &outlen, in, inlen) != 1 ||
	    outlen != HSO_TLS12_PREMASTER_LEN) {
		ERR_clear_error();
		OPENSSL_cleanse(premaster, HSO_TLS12_PREMASTER_LEN);
		return -EIO;
	}
	return 0;
}

/* The operation and hash of @p scheme for @p cert; -ENOTSUP if unusable. */
static int
scheme_op(struct hso_asym_ctx *ctx, const struct hso_cert *cert,
	  uint16_t scheme, enum asym_op *op, const EVP_MD **md)
{
	if (!hso_cert_can_sign(cert, scheme) && !hso_cert_can_sign12(cert, scheme))
		return -ENOTSUP;
	switch (scheme) {
	case HSO_SIG_RSA_PSS_RSAE_SHA256:
		*op = OP_PSS_SHA256;
		*md = ctx->sha256;
		break;
	case HSO_SIG_RSA_PSS_RSAE_SHA384:
		*op = OP_PSS_SHA384;
		*md = ctx->sha384;
		break;
	case HSO_SIG_RSA_PSS_RSAE_SHA512:
		*op = OP_PSS_SHA512;
		*md = ctx->sha512;
		break;
	case HSO_SIG_RSA_PKCS1_SHA256:
		*op = OP_PKCS1_SHA256;
		*md = ctx->sha256;
		break;
	case HSO_SIG_RSA_PKCS1_SHA384:
		*op = OP_PKCS1_SHA384;
		*md = ctx->sha384;
		break;
	case HSO_SIG_RSA_PKCS1_SHA512:
		*op = OP_PKCS1_SHA512;
		*md = ctx->sha512;
		break;
	/* ECDSA: the scheme names the hash; the key's curve is whatever it is. */
	case HSO_SIG_ECDSA_SHA224:
		*op = OP_ECDSA_SHA224;
		*md = ctx->sha224;
		break;
	case HSO_SIG_ECDSA_P256_SHA256:
		*op = OP_ECDSA_SHA256;
		*md = ctx->sha256;
		break;
	case HSO_SIG_ECDSA_P384_SHA384:
		*op = OP_ECDSA_SHA384;
		*md = ctx->sha384;
		break;
	case HSO_SIG_ECDSA_P521_SHA512:
		*op = OP_ECDSA_SHA512;
		*md = ctx->sha512;
		break;
	default:
		return -ENOTSUP;
	}
	return 0;
}

static int
sign_digest(struct hso_asym_ctx *ctx, const struct hso_cert *cert,
	    enum asym_op op, const uint8_t *dgst, size_t dlen, uint8_t *sig,
	    size_t sigcap, size_t *siglen)
{
	EVP_PKEY_CTX *pc;
	size_t len = sigcap;

	if (sigcap < cert->sig_max)
		return -ENOSPC;
	pc = op_get(ctx, cert, op);
	if (pc == NULL) {
		ERR_clear_error();
		return -ENOMEM;
	}
	if (EVP_PKEY_sign(pc, sig, &len, dgst, dlen) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	*siglen = len;
	return 0;
}

int
hso_asym_sign_digest(struct hso_asym_ctx *ctx, const struct hso_cert *cert,
		     uint16_t scheme, const uint8_t *dgst, size_t dlen,
		     uint8_t *sig, size_t sigcap, size_t *siglen)
{
	enum asym_op op;
	const EVP_MD *md;
	int ret = scheme_op(ctx, cert, scheme, &op, &md);

	if (ret < 0)
		return ret;
	if (dlen != (size_t)EVP_MD_get_size(md))
		return -EINVAL;
	return sign_digest(ctx, cert, op, dgst, dlen, sig, sigcap, siglen);
}

int
hso_asym_sign(struct hso_asym_ctx *ctx, const struct hso_cert *cert,
	      uint16_t scheme, const void *msg, size_t msglen, uint8_t *sig,
	      size_t sigcap, size_t *siglen)
{
	uint8_t dgst[HSO_SIG_DIGEST_MAX];
	unsigned int dlen = 0;
	enum asym_op op;
	const EVP_MD *md;
	int ret = scheme_op(ctx, cert, scheme, &op, &md);

	if (ret < 0)
		return ret;
	if (sigcap < cert->sig_max)
		return -ENOSPC;
	if (EVP_DigestInit_ex2(ctx->md, md, NULL) != 1 ||
	    EVP_DigestUpdate(ctx->md, msg, msglen) != 1 ||
	    EVP_DigestFinal_ex(ctx->md, dgst, &dlen) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	return sign_digest(ctx, cert, op, dgst, dlen, sig, sigcap, siglen);
}

void
hso_ecdhe_key_clear(struct hso_ecdhe_key *key)
{
	/* The derive ctx holds a reference to the key: free it first. */
	EVP_PKEY_CTX_free(key->derive_);
	EVP_PKEY_free(key->pkey_);
	memset(key, 0, sizeof(*key));
}

int
hso_ecdhe_key_generate(struct hso_asym_ctx *ctx, uint16_t group,
		       struct hso_ecdhe_key *key)
{
	EVP_PKEY_CTX *gen;
	size_t want, len = 0;

	if (key->group != 0 || key->pkey_ != NULL)
		hso_ecdhe_key_clear(key);
	switch (group) {
	case HSO_GROUP_X25519:
		gen = ctx->gen_x25519;
		want = 32;
		break;
	case HSO_GROUP_SECP256R1:
		gen = ctx->gen_p256;
		want = HSO_ECDHE_PUB_MAX;
		break;
	default:
		return -ENOTSUP;
	}
	if (EVP_PKEY_keygen(gen, &key->pkey_) != 1)
		goto fail;
	/* X25519: the raw u-coordinate; EC: uncompressed by default. */
	if (!EVP_PKEY_get_octet_string_param(key->pkey_,
					     OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
					     key->pub, sizeof(key->pub), &len) ||
	    len != want)
		goto fail;
	key->derive_ = EVP_PKEY_CTX_new_from_pkey(NULL, key->pkey_, NULL);
	if (key->derive_ == NULL || EVP_PKEY_derive_init(key->derive_) != 1)
		goto fail;
	key->group = group;
	key->pub_len = (uint8_t)len;
	return 0;
fail:
	ERR_clear_error();
	hso_ecdhe_key_clear(key);
	return -EIO;
}

int
hso_ecdhe_key_derive(struct hso_asym_ctx *ctx, struct hso_ecdhe_key *key,
		     const uint8_t *peer, size_t peerlen, uint8_t *secret,
		     size_t secretcap, size_t *secretlen)
{
	static const uint8_t zero[HSO_ECDHE_SECRET_MAX];
	EVP_PKEY *pp;
	size_t len = HSO_ECDHE_SECRET_MAX;

	if (key->derive_ == NULL)
		return -ENOENT;
	if (secretcap < HSO_ECDHE_SECRET_MAX)
		return -ENOSPC;
	switch (key->group) {
	case HSO_GROUP_X25519:
		/* RFC 8446 4.2.8.2: X25519 shares are 32 bytes. */
		if (peerlen != 32)
			return -EINVAL;
		pp = ctx->peer_x25519;
		if (EVP_PKEY_set1_encoded_public_key(pp, peer, peerlen) != 1)
			goto invalid;
		break;
	case HSO_GROUP_SECP256R1:
		/*
		 * RFC 8446 4.2.8.2: UncompressedPointRepresentation only,
		 * legacy_form = 4, X and Y of 32 bytes. The point at infinity
		 * (a single 0x00) and compressed forms fail here.
		 */
		if (peerlen != HSO_ECDHE_PUB_MAX || peer[0] != 0x04)
			return -EINVAL;
		pp = ctx->peer_p256;
		/*
		 * RFC 8446 4.2.8.2: "peers MUST validate each other's public
		 * value Q by ensuring that the point is a valid point on the
		 * elliptic curve" (SP 800-56A 5.6.2.3: coordinates in range,
		 * on the curve, not infinity; with cofactor 1 that is the
		 * full validation, the n*Q check of the full public check is
		 * redundant). Decoding checks range and curve equation;
		 * public_check_quick checks all three again.
		 */
		if (EVP_PKEY_set1_encoded_public_key(pp, peer, peerlen) != 1 ||
		    EVP_PKEY_public_check_quick(ctx->check_p256) != 1)
			goto invalid;
		break;
	default:
		return -ENOENT;
	}
	/* Validated above: skip the full (and slower) check of set_peer. */
	if (EVP_PKEY_derive_set_peer_ex(key->derive_, pp, 0) != 1) {
		ERR_clear_error();
		return -EIO;
	}
	if (EVP_PKEY_derive(key->derive_, secret, &len) != 1) {
		ERR_clear_error();
		OPENSSL_cleanse(secret, secretcap);
		/*
		 * X25519 derive fails only on an all-zero output, i.e. a
		 * small-order peer point (OpenSSL checks it too).
		 */
		return key->group == HSO_GROUP_X25519 ? -EINVAL : -EIO;
	}
	/*
	 * RFC 8446 7.4.2: "For X25519 and X448, implementations MUST check
	 * whether the computed Diffie-Hellman shared secret is the all-zero
	 * value and abort if so" (RFC 7748 6.1). Constant time: the secret
	 * is secret.
	 */
	if (key->group == HSO_GROUP_X25519 &&
	    CRYPTO_memcmp(secret, zero, HSO_ECDHE_SECRET_MAX) == 0) {
		OPENSSL_cleanse(secret, secretcap);
		return -EINVAL;
	}
	*secretlen = len;
	return 0;
invalid:
	ERR_clear_error();
	return -EINVAL;
}
