/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Differential test of the batched KDFs against OpenSSL, one request at a
 * time: EVP_MAC "HMAC", EVP_KDF "HKDF" in extract-only and expand-only
 * modes (Expand-Label through expand-only with an HkdfLabel this test
 * encodes itself) and EVP_KDF "TLS1-PRF". Random batches of 1..64 requests
 * mixing SHA-256 and SHA-384, every operation, key lengths 0..200 (also
 * longer than the block), message and output lengths, raw and precomputed
 * keys, consecutive requests sharing a key, and dependencies whose key or
 * message points into an earlier request's output. The last pass runs with
 * the SHA-NI compression switched off (the portable OpenSSL path).
 * Seed: HSO_TEST_SEED in the environment, or a fixed default; always
 * printed so a failure reproduces.
 *
 * Then the negative cases: -ENOSPC on a full batch and every bad argument
 * rejected without queueing.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "check.h"
#include "crypto.h"
#include "kdf_priv.h"   /* hso_sha_ni_enable */

#define MAX_BATCH 64
#define MAX_OUT (255 * 48)
#define POOL_LEN 4096

static uint64_t rng_state;

static uint64_t
rng(void)
{
	/* xorshift64*: reproducible across libcs, unlike rand(). */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static size_t
rnd(size_t n)
{
	return (size_t)(rng() % n);
}

static EVP_KDF *kdf_hkdf, *kdf_prf;
static EVP_MAC *mac_hmac;

static const char *
md_name(enum hso_kdf_hash h)
{
	return h == HSO_KDF_SHA256 ? "SHA256" : "SHA384";
}

/* ---------------------------------------------------------------- */
/* OpenSSL references                                                */
/* ---------------------------------------------------------------- */

static int
ref_hmac(enum hso_kdf_hash h, const uint8_t *key, size_t key_len,
	 const uint8_t *msg, size_t msg_len, uint8_t *out)
{
	static const uint8_t empty[1];
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(mac_hmac);
	OSSL_PARAM p[2];
	size_t len = 0;
	int ok;

	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
						(char *)md_name(h), 0);
	p[1] = OSSL_PARAM_construct_end();
	ok = EVP_MAC_init(c, key_len != 0 ? key : empty, key_len, p) == 1 &&
	     EVP_MAC_update(c, msg_len != 0 ? msg : empty, msg_len) == 1 &&
	     EVP_MAC_final(c, out, &len, 64) == 1;
	EVP_MAC_CTX_free(c);
	return ok ? 0 : -1;
}

static int
ref_hkdf(enum hso_kdf_hash h, int mode, const uint8_t *key, size_t key_len,
	 const uint8_t *salt, size_t salt_len, const uint8_t *info,
	 size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf_hkdf);
	OSSL_PARAM p[6], *q = p;
	int ok;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)md_name(h), 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
						 (void *)key, key_len);
	if (salt_len != 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, salt_len);
	if (info_len != 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(c, out, out_len, p) == 1;
	EVP_KDF_CTX_free(c);
	return ok ? 0 : -1;
}

/* RFC 5869 2.3 over EVP_MAC, for an empty PRK that EVP_KDF refuses. */
static int
ref_expand_mac(enum hso_kdf_hash h, const uint8_t *prk, size_t prk_len,
	       const uint8_t *info, size_t info_len, uint8_t *out, size_t out_len)
{
	size_t hl = hso_kdf_hash_len(h), done = 0;
	static uint8_t m[48 + 1024];
	uint8_t t[64];

	for (unsigned i = 1; done < out_len; i++) {
		size_t off = i == 1 ? hl : 0, n = out_len - done < hl ? out_len - done : hl;

		if (info_len != 0)
			memcpy(m + hl, info, info_len);
		m[hl + info_len] = (uint8_t)i;
		if (ref_hmac(h, prk, prk_len, m + off, hl + info_len + 1 - off, t) != 0)
			return -1;
		memcpy(out + done, t, n);
		memcpy(m, t, hl);
		done += n;
	}
	return 0;
}

static int
ref_prf(enum hso_kdf_hash h, const uint8_t *secret, size_t secret_len,
	const uint8_t *label, size_t label_len, const uint8_t *seed,
	size_t seed_len, uint8_t *out, size_t out_len)
{
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf_prf);
	OSSL_PARAM p[5], *q = p;
	int ok;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						(char *)md_name(h), 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
						 (void *)secret, secret_len);
	/* TLS1-PRF concatenates repeated seed parameters. */
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
						 (void *)label, label_len);
	if (seed_len != 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
							 (void *)seed, seed_len);
	*q = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(c, out, out_len, p) == 1;
	EVP_KDF_CTX_free(c);
	return ok ? 0 : -1;
}

/* The test's own HkdfLabel encoding (RFC 8446 7.1). */
static size_t
test_hkdf_label(uint8_t *p, size_t out_len, const uint8_t *label,
		size_t label_len, const uint8_t *ctx, size_t ctx_len)
{
	size_t n = 0;

	p[n++] = (uint8_t)(out_len >> 8);
	p[n++] = (uint8_t)(out_len & 0xff);
	p[n++] = (uint8_t)(label_len + 6);
	memcpy(p + n, "tls13 ", 6);
	n += 6;
	memcpy(p + n, label, label_len);
	n += label_len;
	p[n++] = (uint8_t)ctx_len;
	if (ctx_len != 0)
		memcpy(p + n, ctx, ctx_len);
	return n + ctx_len;
}

static int
reference(const struct hso_kdf_req *r, const uint8_t *key, size_t key_len,
	  uint8_t *out)
{
	uint8_t info[HSO_KDF_MAX_INFO_LEN];
	size_t info_len;

	switch (r->op) {
	case HSO_KDF_OP_HMAC:
		return ref_hmac(r->hash, key, key_len, r->msg, r->msg_len, out);
	case HSO_KDF_OP_EXTRACT:
		/* HKDF-Extract(salt, IKM) = HMAC(salt, IKM); EVP_KDF needs an IKM. */
		if (r->msg_len == 0)
			return ref_hmac(r->hash, key, key_len, NULL, 0, out);
		return ref_hkdf(r->hash, EVP_KDF_HKDF_MODE_EXTRACT_ONLY, r->msg,
				r->msg_len, key, key_len, NULL, 0, out,
				hso_kdf_hash_len(r->hash));
	case HSO_KDF_OP_EXPAND:
		if (key_len == 0)
			return ref_expand_mac(r->hash, key, 0, r->msg, r->msg_len,
					      out, r->out_len);
		return ref_hkdf(r->hash, EVP_KDF_HKDF_MODE_EXPAND_ONLY, key,
				key_len, NULL, 0, r->msg, r->msg_len, out,
				r->out_len);
	case HSO_KDF_OP_EXPAND_LABEL:
		info_len = test_hkdf_label(info, r->out_len, r->label,
					   r->label_len, r->msg, r->msg_len);
		if (key_len == 0)
			return ref_expand_mac(r->hash, key, 0, info, info_len,
					      out, r->out_len);
		return ref_hkdf(r->hash, EVP_KDF_HKDF_MODE_EXPAND_ONLY, key,
				key_len, NULL, 0, info, info_len, out, r->out_len);
	case HSO_KDF_OP_PRF:
		return ref_prf(r->hash, key, key_len, r->label, r->label_len,
			       r->msg, r->msg_len, out, r->out_len);
	default:
		return -1;
	}
}

/* ---------------------------------------------------------------- */
/* Random batches                                                    */
/* ---------------------------------------------------------------- */

static uint8_t pool[POOL_LEN];
static uint8_t outs[MAX_BATCH][MAX_OUT];
static uint8_t refout[MAX_OUT];

struct tcase {
	struct hso_kdf_req req;
	struct hso_hmac_key pads;
	const uint8_t *key;        /* the key bytes, also when pads are used */
	size_t key_len;
};

static size_t
out_len_of(const struct hso_kdf_req *r)
{
	if (r->op == HSO_KDF_OP_HMAC || r->op == HSO_KDF_OP_EXTRACT)
		return hso_kdf_hash_len(r->hash);
	return r->out_len;
}

static void
make_case(struct tcase *tc, struct tcase *all, int i)
{
	struct hso_kdf_req *r = &tc->req;
	size_t hl;

	memset(r, 0, sizeof(*r));
	r->op = (enum hso_kdf_op)rnd(HSO_KDF_OP_NUM);
	r->hash = (enum hso_kdf_hash)rnd(HSO_KDF_HASH_NUM);
	hl = hso_kdf_hash_len(r->hash);
	r->dep = HSO_KDF_NO_DEP;
	tc->key_len = rnd(201);
	tc->key = pool + rnd(POOL_LEN - 200);
	switch (r->op) {
	case HSO_KDF_OP_HMAC:
	case HSO_KDF_OP_EXTRACT:
		r->msg_len = rnd(8) == 0 ? 0 : rnd(301);
		break;
	case HSO_KDF_OP_EXPAND:
		r->msg_len = rnd(8) == 0 ? 0 : rnd(HSO_KDF_MAX_INFO_LEN + 1);
		break;
	case HSO_KDF_OP_EXPAND_LABEL:
		r->label_len = 1 + (rnd(4) == 0 ? rnd(HSO_KDF_MAX_LABEL_LEN) : rnd(20));
		r->msg_len = rnd(3) == 0 ? 0 : rnd(HSO_KDF_MAX_CONTEXT_LEN + 1);
		break;
	case HSO_KDF_OP_PRF:
		r->label_len = 1 + rnd(40);
		r->msg_len = rnd(HSO_KDF_MAX_SEED_LEN - r->label_len + 1);
		break;
	default:
		break;
	}
	r->msg = pool + rnd(POOL_LEN - 600);
	r->label = pool + rnd(POOL_LEN - 300);
	/* Mostly short outputs (keys, IVs, secrets); now and then the maximum. */
	r->out_len = rnd(40) == 0 ? 255 * hl : 1 + rnd(rnd(2) ? 3 * hl : 300);
	r->out = outs[i];
	/* A dependency: key, or message, taken from an earlier output. */
	if (i > 0 && rnd(5) < 2) {
		int j = (int)rnd((size_t)i);
		size_t dl = out_len_of(&all[j].req);

		r->dep = j;
		if (rnd(3) != 0) {
			tc->key = all[j].req.out;
			/* Whole output (shares the dep's pads) or a prefix. */
			tc->key_len = rnd(2) ? dl : 1 + rnd(dl);
		} else if (r->op != HSO_KDF_OP_EXPAND_LABEL ||
			   dl <= HSO_KDF_MAX_CONTEXT_LEN) {
			r->msg = all[j].req.out;
			if (r->op == HSO_KDF_OP_PRF)
				r->msg_len = dl < HSO_KDF_MAX_SEED_LEN - r->label_len ?
					     dl : HSO_KDF_MAX_SEED_LEN - r->label_len;
			else if (r->op == HSO_KDF_OP_EXPAND)
				r->msg_len = dl < HSO_KDF_MAX_INFO_LEN ?
					     dl : HSO_KDF_MAX_INFO_LEN;
			else
				r->msg_len = dl;
		} else {
			r->dep = (int)rnd((size_t)i + 1) - 1;   /* plain ordering */
		}
	}
	/* The previous request's key again: the batch shares its pads. */
	if (i > 0 && r->dep == HSO_KDF_NO_DEP && rnd(6) == 0) {
		tc->key = all[i - 1].key;
		tc->key_len = all[i - 1].key_len;
		r->dep = all[i - 1].req.dep;
		if (rnd(2))
			r->hash = all[i - 1].req.hash;
		hl = hso_kdf_hash_len(r->hash);
		if (r->out_len > 255 * hl)
			r->out_len = 255 * hl;
	}
	r->key = tc->key;
	r->key_len = tc->key_len;
	/* Precomputed keys: only for keys that exist before the run. */
	if (r->dep == HSO_KDF_NO_DEP && rnd(6) == 0) {
		CHECK_EQ(hso_hmac_key_init(&tc->pads, r->hash, tc->key, tc->key_len), 0);
		r->key_pads = &tc->pads;
		r->key = NULL;
		r->key_len = 0;
	}
}

static void
run_random(struct hso_kdf_batch *b, int n, int pass)
{
	static struct tcase tc[MAX_BATCH];

	for (int i = 0; i < n; i++) {
		make_case(&tc[i], tc, i);
		memset(outs[i], 0xa5, out_len_of(&tc[i].req));
		CHECK_EQ(hso_kdf_batch_enqueue(b, &tc[i].req), i);
	}
	CHECK_EQ(hso_kdf_batch_run(b), n);
	CHECK_EQ(hso_kdf_batch_count(b), 0);
	for (int i = 0; i < n; i++) {
		const struct hso_kdf_req *r = &tc[i].req;
		size_t ol = out_len_of(r);

		CHECK_EQ(reference(r, tc[i].key, tc[i].key_len, refout), 0);
		if (memcmp(outs[i], refout, ol) != 0) {
			CHECK_MSG(0, "pass %d batch %d request %d: op %d hash %d key %zu "
				  "msg %zu label %zu out %zu dep %d pads %d", pass, n, i,
				  r->op, r->hash, tc[i].key_len, r->msg_len,
				  r->label_len, ol, r->dep, r->key_pads != NULL);
		} else {
			check_count++;
		}
		hso_hmac_key_wipe(&tc[i].pads);
	}
}

/* ---------------------------------------------------------------- */
/* Negative cases                                                    */
/* ---------------------------------------------------------------- */

static void
test_negative(const struct hso_imb_set *imb)
{
	struct hso_kdf_batch *b;
	struct hso_hmac_key k384;
	static uint8_t big[HSO_KDF_MAX_INFO_LEN];
	uint8_t key[32] = { 1 }, out[64 * 255];
	struct hso_kdf_req ok = {
		.op = HSO_KDF_OP_EXPAND_LABEL, .hash = HSO_KDF_SHA256,
		.key = key, .key_len = 32, .label = (const uint8_t *)"key",
		.label_len = 3, .msg = NULL, .msg_len = 0, .out = out,
		.out_len = 16, .dep = HSO_KDF_NO_DEP,
	};
	struct hso_kdf_req r;

	errno = 0;
	CHECK(hso_kdf_batch_create(imb, 0) == NULL && errno == EINVAL);
	errno = 0;
	CHECK(hso_kdf_batch_create(NULL, 4) == NULL && errno == EINVAL);
	CHECK_EQ(hso_kdf_batch_run(NULL), -EINVAL);
	CHECK_EQ(hso_kdf_batch_enqueue(NULL, &ok), -EINVAL);

	b = hso_kdf_batch_create(imb, 4);
	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK_EQ(hso_kdf_batch_capacity(b), 4);
	CHECK_EQ(hso_kdf_batch_run(b), 0);
	CHECK_EQ(hso_kdf_batch_enqueue(b, NULL), -EINVAL);

#define REJECT(field_, value_, err_)                                   \
	do {                                                          \
		r = ok;                                               \
		r.field_ = value_;                                    \
		CHECK_EQ(hso_kdf_batch_enqueue(b, &r), err_);         \
	} while (0)

	REJECT(hash, HSO_KDF_HASH_NUM, -EINVAL);
	REJECT(op, HSO_KDF_OP_NUM, -EINVAL);
	REJECT(out, NULL, -EINVAL);
	REJECT(key, NULL, -EINVAL);
	REJECT(msg_len, 5, -EINVAL);                  /* NULL msg, length 5 */
	REJECT(dep, 0, -EINVAL);                      /* not an earlier request */
	REJECT(dep, -2, -EINVAL);
	REJECT(label_len, 0, -EINVAL);                /* label<7..255> */
	REJECT(label_len, HSO_KDF_MAX_LABEL_LEN + 1, -EINVAL);
	REJECT(label, NULL, -EINVAL);
	REJECT(out_len, 0, -EINVAL);
	REJECT(out_len, 255 * 32 + 1, -EINVAL);       /* L <= 255 * HashLen */
	r = ok;
	r.msg = out;
	r.msg_len = HSO_KDF_MAX_CONTEXT_LEN + 1;
	CHECK_EQ(hso_kdf_batch_enqueue(b, &r), -EINVAL);
	r = ok;
	r.op = HSO_KDF_OP_HMAC;
	r.msg = out;
	r.msg_len = HSO_KDF_MAX_MSG_LEN + 1;
	CHECK_EQ(hso_kdf_batch_enqueue(b, &r), -EMSGSIZE);
	r.op = HSO_KDF_OP_EXPAND;
	r.msg_len = HSO_KDF_MAX_INFO_LEN + 1;
	CHECK_EQ(hso_kdf_batch_enqueue(b, &r), -EMSGSIZE);
	r.op = HSO_KDF_OP_PRF;
	r.label_len = 13;
	r.label = (const uint8_t *)"master secret";
	r.msg_len = HSO_KDF_MAX_SEED_LEN - 12;
	CHECK_EQ(hso_kdf_batch_enqueue(b, &r), -EMSGSIZE);
	r.out_len = 0;
	CHECK_EQ(hso_kdf_batch_enqueue(b, &r), -EINVAL);
	/* Precomputed key of the other hash. */
	CHECK_EQ(hso_hmac_key_init(&k384, HSO_KDF_SHA384, key, 32), 0);
	REJECT(key_pads, &k384, -EINVAL);
	CHECK_EQ(hso_kdf_batch_count(b), 0);

	/* Limits themselves are accepted. */
	r = ok;
	r.out_len = 255 * 32;
	r.label_len = HSO_KDF_MAX_LABEL_LEN;
	r.label = big;
	r.msg = big;
	r.msg_len = HSO_KDF_MAX_CONTEXT_LEN;
	r.out = out;
	CHECK_EQ(hso_kdf_batch_enqueue(b, &r), 0);
	r = ok;
	r.dep = 0;
	r.out = out + 255 * 32;
	CHECK_EQ(hso_kdf_batch_enqueue(b, &r), 1);
	CHECK_EQ(hso_kdf_batch_enqueue(b, &ok), 2);
	CHECK_EQ(hso_kdf_batch_enqueue(b, &ok), 3);
	CHECK_EQ(hso_kdf_batch_enqueue(b, &ok), -ENOSPC);
	CHECK_EQ(hso_kdf_batch_count(b), 4);
	CHECK_EQ(hso_kdf_batch_run(b), 4);
	CHECK_EQ(hso_kdf_batch_count(b), 0);
	/* Reset drops what is queued. */
	CHECK_EQ(hso_kdf_batch_enqueue(b, &ok), 0);
	hso_kdf_batch_reset(b);
	CHECK_EQ(hso_kdf_batch_count(b), 0);
	CHECK_EQ(hso_kdf_batch_run(b), 0);

	/* Lean path argument checks. */
	CHECK_EQ(hso_hmac_key_init(NULL, HSO_KDF_SHA256, key, 1), -EINVAL);
	CHECK_EQ(hso_hmac_key_init(&k384, HSO_KDF_HASH_NUM, key, 1), -EINVAL);
	CHECK_EQ(hso_hmac_key_init(&k384, HSO_KDF_SHA384, NULL, 1), -EINVAL);
	CHECK_EQ(hso_kdf_expand_label_lean(&k384, "x", 0, NULL, 0, out, 16), -EINVAL);
	CHECK_EQ(hso_kdf_expand_label_lean(&k384, "x", 1, NULL, 0, out, 0), -EINVAL);
	CHECK_EQ(hso_kdf_prf_lean(&k384, "x", 1, out, HSO_KDF_MAX_SEED_LEN, out, 12),
		 -EMSGSIZE);
	CHECK_EQ(hso_kdf_tls13_nopsk(HSO_KDF_HASH_NUM, NULL, NULL, &k384), -EINVAL);
	hso_hmac_key_wipe(&k384);
	hso_kdf_batch_free(b);
	hso_kdf_batch_free(NULL);
}

/*
 * Cancelling one "connection's" requests (by the memory they use) leaves
 * them untouched, takes their dependents along, and leaves every other
 * request correct.
 */
static void
test_cancel(struct hso_kdf_batch *b)
{
	/* Two connections' memory: key, message, and two chained outputs each. */
	struct conn { uint8_t key[32], msg[40], out1[32], out2[32]; } c[2];
	uint8_t want1[32], want2[32];
	int r[2][2];

	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(c[k].key); i++)
			c[k].key[i] = (uint8_t)rng();
		for (size_t i = 0; i < sizeof(c[k].msg); i++)
			c[k].msg[i] = (uint8_t)rng();
		memset(c[k].out1, 0xa5, 32);
		memset(c[k].out2, 0xa5, 32);
	}
	for (int k = 0; k < 2; k++) {
		r[k][0] = hso_kdf_hmac(b, HSO_KDF_SHA256, NULL, c[k].key, 32, c[k].msg, 40,
				       c[k].out1, HSO_KDF_NO_DEP);
		r[k][1] = hso_kdf_hmac(b, HSO_KDF_SHA256, NULL, c[k].out1, 32, c[k].msg, 40,
				       c[k].out2, r[k][0]);
	}
	CHECK(r[0][0] >= 0 && r[1][1] >= 0);
	/* Connection 0 goes away: both of its requests are cancelled. */
	CHECK_EQ(hso_kdf_batch_cancel(b, &c[0], sizeof(c[0])), 2);
	CHECK_EQ(hso_kdf_batch_cancel(b, &c[0], sizeof(c[0])), 0);
	CHECK_EQ(hso_kdf_batch_cancel(NULL, &c[0], 1), -EINVAL);
	/* Its memory is reused before the run. */
	memset(&c[0], 0x5a, sizeof(c[0]));
	CHECK_EQ(hso_kdf_batch_run(b), 2);
	for (size_t i = 0; i < sizeof(c[0]); i++)
		if (((uint8_t *)&c[0])[i] != 0x5a) {
			CHECK_MSG(0, "cancelled request wrote byte %zu", i);
			break;
		}
	ref_hmac(HSO_KDF_SHA256, c[1].key, 32, c[1].msg, 40, want1);
	ref_hmac(HSO_KDF_SHA256, want1, 32, c[1].msg, 40, want2);
	CHECK_MEM(c[1].out1, want1, 32);
	CHECK_MEM(c[1].out2, want2, 32);

	/* A dependent outside the range goes with its cancelled dep. */
	memset(c[1].out2, 0xa5, 32);
	r[0][0] = hso_kdf_hmac(b, HSO_KDF_SHA256, NULL, c[0].key, 32, c[0].msg, 40,
			       c[0].out1, HSO_KDF_NO_DEP);
	r[1][1] = hso_kdf_hmac(b, HSO_KDF_SHA256, NULL, c[1].key, 32, c[1].msg, 40,
			       c[1].out2, r[0][0]);
	CHECK_EQ(hso_kdf_batch_cancel(b, &c[0], sizeof(c[0])), 2);
	CHECK_EQ(hso_kdf_batch_run(b), 0);
	CHECK(c[1].out2[0] == 0xa5 && c[1].out2[31] == 0xa5);

	/*
	 * Requests with the same (empty) key share pads with the request
	 * before them; a cancelled one must not lend its wiped pads.
	 */
	hso_kdf_extract(b, HSO_KDF_SHA256, NULL, NULL, 0, c[0].msg, 32, c[0].out1,
			HSO_KDF_NO_DEP);
	hso_kdf_extract(b, HSO_KDF_SHA256, NULL, NULL, 0, c[1].msg, 32, c[1].out1,
			HSO_KDF_NO_DEP);
	CHECK_EQ(hso_kdf_batch_cancel(b, &c[0], sizeof(c[0])), 1);
	CHECK_EQ(hso_kdf_batch_run(b), 1);
	{
		static const uint8_t zeros[32];

		ref_hmac(HSO_KDF_SHA256, zeros, 32, c[1].msg, 32, want1);
		CHECK_MEM(c[1].out1, want1, 32);
	}
}

int
main(void)
{
	struct hso_imb_set imb;
	struct hso_kdf_batch *b;
	const char *env = getenv("HSO_TEST_SEED");
	uint64_t seed = env != NULL ? strtoull(env, NULL, 0) : 0x6b64665f64696666ULL;
	int passes = 3;

	printf("kdf_diff: seed 0x%" PRIx64 " (set HSO_TEST_SEED to reproduce)\n", seed);
	rng_state = seed != 0 ? seed : 1;
	if (hso_imb_set_init(&imb, NULL) != 0) {
		printf("kdf_diff: no ipsec-mb manager\n");
		return CHECK_SKIP;
	}
	kdf_hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	kdf_prf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	CHECK(kdf_hkdf != NULL && kdf_prf != NULL && mac_hmac != NULL);
	for (size_t i = 0; i < POOL_LEN; i++)
		pool[i] = (uint8_t)rng();
	b = hso_kdf_batch_create(&imb, MAX_BATCH);
	CHECK(b != NULL);
	if (b != NULL && kdf_hkdf != NULL && kdf_prf != NULL && mac_hmac != NULL) {
		for (int pass = 0; pass < passes; pass++) {
			/* The last pass on the portable (non SHA-NI) path. */
			if (pass == passes - 1)
				hso_sha_ni_enable(0);
			for (int n = 1; n <= MAX_BATCH; n++)
				run_random(b, n, pass);
		}
		hso_sha_ni_enable(1);
		test_cancel(b);
	}
	test_negative(&imb);
	hso_kdf_batch_free(b);
	EVP_KDF_free(kdf_hkdf);
	EVP_KDF_free(kdf_prf);
	EVP_MAC_free(mac_hmac);
	hso_imb_set_free(&imb);
	return check_result("kdf_diff");
}
