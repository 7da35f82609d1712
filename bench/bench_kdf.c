/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Key derivation benchmarks.
 *
 * Per primitive (items = HMACs or derivations per second): batched
 * HMAC-SHA256/384 in ipsec-mb lanes at batch sizes 1, 8 and 64, the lean
 * single-buffer HMAC, HKDF-Expand-Label and the TLS 1.2 PRF, batched and
 * lean; the batched HMACs once per ipsec-mb architecture.
 *
 * Side by side (kdf_batched_vs_openssl/...): the whole server key schedule
 * of 1000 handshakes per iteration, through the batch, through OpenSSL's
 * EVP_KDF / EVP_MAC one derivation at a time (KDFs and MAC fetched once, a
 * context per derivation as the documented API goes), and through the lean
 * single-buffer path. Transcript hashes and (EC)DHE secrets are fixed random
 * values: hashing the transcript is not part of the KDF.
 *
 * TLS 1.3 (SHA-256), per handshake: handshake secret; c/s handshake traffic
 * secrets; "derived"; master secret; server and client handshake key, IV,
 * finished key; the server Finished MAC -- one run, depth 4. Then, once the
 * server Finished is in the transcript: c/s application traffic secrets,
 * their keys and IVs, and the client Finished MAC the server checks -- a
 * second run, depth 2. 19 HMACs, 9 HMAC keys per handshake (the "derived"
 * salt of the early secret is computed once per process). The runs cover
 * 64 handshakes each, a worker's burst.
 *
 * TLS 1.2 (SHA-256): extended master secret (RFC 7627, 48 bytes), key block
 * for AES-128-GCM (40 bytes), client and server Finished verify_data: one
 * run, 12 HMACs, 2 HMAC keys per handshake.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "bench.h"
#include "bench_env.h"
#include "crypto.h"
#include "kdf_priv.h"   /* hso_sha_compress: the floor of the schedule */

#define HS_PER_ITER 1000
#define HS_PER_RUN 64
#define BATCH_CAP 1024

static uint64_t bench_rng_state = 0x853c49e6748fea9bULL;

static void
fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bench_rng_state ^= bench_rng_state << 13;
		bench_rng_state ^= bench_rng_state >> 7;
		bench_rng_state ^= bench_rng_state << 17;
		p[i] = (uint8_t)(bench_rng_state >> 24);
	}
}

/* A worker's crypto state: an imb set and a batch. */
struct kdf_env {
	struct hso_imb_set imb;
	struct hso_kdf_batch *b;
};

static int
env_init(struct hso_bench *bm, struct kdf_env *e, const struct hso_imb_override *ovr)
{
	if (hso_imb_set_init(&e->imb, ovr) != 0) {
		hso_bench_fail(bm, "hso_imb_set_init failed");
		return -1;
	}
	e->b = hso_kdf_batch_create(&e->imb, BATCH_CAP);
	if (e->b == NULL) {
		hso_imb_set_free(&e->imb);
		hso_bench_fail(bm, "hso_kdf_batch_create failed");
		return -1;
	}
	return 0;
}

static void
env_free(struct kdf_env *e)
{
	hso_kdf_batch_free(e->b);
	hso_imb_set_free(&e->imb);
}

/* ------------------------------------------------------------------ */
/* Per primitive                                                       */
/* ------------------------------------------------------------------ */

static void
hmac_batched(struct hso_bench *bm, enum hso_kdf_hash h,
	     const struct hso_imb_override *ovr, int n)
{
	struct kdf_env e;
	struct hso_hmac_key k[64];
	uint8_t key[48], msg[64][32], out[64][48];

	if (n < 1 || n > 64 || env_init(bm, &e, ovr) != 0)
		return;
	fill_random(key, sizeof(key));
	fill_random(&msg[0][0], sizeof(msg));
	for (int i = 0; i < n; i++)
		hso_hmac_key_init(&k[i], h, key, sizeof(key));
	/* A Finished MAC: precomputed key, 32-byte transcript hash. */
	while (hso_bench_keep_running(bm)) {
		for (int i = 0; i < n; i++)
			hso_kdf_hmac(e.b, h, &k[i], NULL, 0, msg[i], 32, out[i],
				     HSO_KDF_NO_DEP);
		hso_kdf_batch_run(e.b);
	}
	hso_bench_escape(out);
	hso_bench_set_items(bm, hso_bench_iterations(bm) * n);
	hso_bench_label(bm, hso_imb_arch_name(e.imb.chosen[h == HSO_KDF_SHA256 ?
			HSO_IMB_ALG_HMAC_SHA256 : HSO_IMB_ALG_HMAC_SHA384]));
	env_free(&e);
}

static void
bm_hmac256_batched(struct hso_bench *bm)
{
	hmac_batched(bm, HSO_KDF_SHA256, NULL, (int)hso_bench_arg(bm));
}
HSO_BENCH_ARGS(bm_hmac256_batched, "kdf/hmac_sha256_batched", 1, 8, 64)

static void
bm_hmac384_batched(struct hso_bench *bm)
{
	hmac_batched(bm, HSO_KDF_SHA384, NULL, (int)hso_bench_arg(bm));
}
HSO_BENCH_ARGS(bm_hmac384_batched, "kdf/hmac_sha384_batched", 1, 8, 64)

/* Batches of 64 with the HMAC managers forced to one arch (the argument). */
static void
hmac_by_arch(struct hso_bench *bm, enum hso_kdf_hash h)
{
	struct hso_imb_override ovr;
	struct hso_imb_set probe;
	IMB_ARCH a = (IMB_ARCH)hso_bench_arg(bm);

	if (hso_imb_set_init(&probe, hso_bench_imb_override()) != 0) {
		hso_bench_fail(bm, "hso_imb_set_init failed");
		return;
	}
	memset(&ovr, 0, sizeof(ovr));
	/* An arch this CPU lacks runs the picked one: the label says which. */
	if (a < IMB_ARCH_NUM && probe.mgr[a] != NULL) {
		ovr.arch[HSO_IMB_ALG_HMAC_SHA256] = a;
		ovr.arch[HSO_IMB_ALG_HMAC_SHA384] = a;
	}
	hso_imb_set_free(&probe);
	hmac_batched(bm, h, &ovr, 64);
}

static void
bm_hmac256_arch(struct hso_bench *bm)
{
	hmac_by_arch(bm, HSO_KDF_SHA256);
}
HSO_BENCH_ARGS(bm_hmac256_arch, "kdf/hmac_sha256_batched64_by_arch",
	       IMB_ARCH_SSE, IMB_ARCH_AVX, IMB_ARCH_AVX2, IMB_ARCH_AVX512)

static void
bm_hmac384_arch(struct hso_bench *bm)
{
	hmac_by_arch(bm, HSO_KDF_SHA384);
}
HSO_BENCH_ARGS(bm_hmac384_arch, "kdf/hmac_sha384_batched64_by_arch",
	       IMB_ARCH_SSE, IMB_ARCH_AVX, IMB_ARCH_AVX2, IMB_ARCH_AVX512)

static void
hmac_lean(struct hso_bench *bm, enum hso_kdf_hash h)
{
	struct hso_hmac_key k;
	uint8_t key[48], msg[32], out[48];

	fill_random(key, sizeof(key));
	fill_random(msg, sizeof(msg));
	hso_hmac_key_init(&k, h, key, sizeof(key));
	while (hso_bench_keep_running(bm)) {
		hso_hmac_lean(&k, msg, sizeof(msg), out);
		hso_bench_escape(out);
	}
	hso_bench_set_items(bm, hso_bench_iterations(bm));
}

static void
bm_hmac256_lean(struct hso_bench *bm)
{
	hmac_lean(bm, HSO_KDF_SHA256);
}
HSO_BENCH(bm_hmac256_lean, "kdf/hmac_sha256_lean")

static void
bm_hmac384_lean(struct hso_bench *bm)
{
	hmac_lean(bm, HSO_KDF_SHA384);
}
HSO_BENCH(bm_hmac384_lean, "kdf/hmac_sha384_lean")

/* Derive-Secret from a raw 32-byte secret: pads plus one HMAC each. */
static void
bm_expand_label_batched(struct hso_bench *bm)
{
	int n = (int)hso_bench_arg(bm);
	struct kdf_env e;
	uint8_t secret[64][32], th[32], out[64][32];

	if (n < 1 || n > 64 || env_init(bm, &e, hso_bench_imb_override()) != 0)
		return;
	fill_random(&secret[0][0], sizeof(secret));
	fill_random(th, sizeof(th));
	while (hso_bench_keep_running(bm)) {
		for (int i = 0; i < n; i++)
			hso_kdf_expand_label(e.b, HSO_KDF_SHA256, NULL, secret[i], 32,
					     "c hs traffic", 12, th, 32, out[i], 32,
					     HSO_KDF_NO_DEP);
		hso_kdf_batch_run(e.b);
	}
	hso_bench_escape(out);
	hso_bench_set_items(bm, hso_bench_iterations(bm) * n);
	env_free(&e);
}
HSO_BENCH_ARGS(bm_expand_label_batched, "kdf/expand_label_batched", 1, 8, 64)

static void
bm_expand_label_lean(struct hso_bench *bm)
{
	uint8_t secret[32], th[32], out[32];
	struct hso_hmac_key k;

	fill_random(secret, sizeof(secret));
	fill_random(th, sizeof(th));
	while (hso_bench_keep_running(bm)) {
		hso_hmac_key_init(&k, HSO_KDF_SHA256, secret, 32);
		hso_kdf_expand_label_lean(&k, "c hs traffic", 12, th, 32, out, 32);
		hso_bench_escape(out);
	}
	hso_bench_set_items(bm, hso_bench_iterations(bm));
}
HSO_BENCH(bm_expand_label_lean, "kdf/expand_label_lean")

/* TLS 1.2 key block for AES-128-GCM: 40 bytes, 4 HMACs + pads. */
static void
bm_prf_batched(struct hso_bench *bm)
{
	int n = (int)hso_bench_arg(bm);
	struct kdf_env e;
	uint8_t secret[64][48], seed[64], out[64][40];

	if (n < 1 || n > 64 || env_init(bm, &e, hso_bench_imb_override()) != 0)
		return;
	fill_random(&secret[0][0], sizeof(secret));
	fill_random(seed, sizeof(seed));
	while (hso_bench_keep_running(bm)) {
		for (int i = 0; i < n; i++)
			hso_kdf_prf(e.b, HSO_KDF_SHA256, NULL, secret[i], 48,
				    "key expansion", 13, seed, 64, out[i], 40,
				    HSO_KDF_NO_DEP);
		hso_kdf_batch_run(e.b);
	}
	hso_bench_escape(out);
	hso_bench_set_items(bm, hso_bench_iterations(bm) * n);
	env_free(&e);
}
HSO_BENCH_ARGS(bm_prf_batched, "kdf/prf_batched", 1, 8, 64)

static void
bm_prf_lean(struct hso_bench *bm)
{
	uint8_t secret[48], seed[64], out[40];
	struct hso_hmac_key k;

	fill_random(secret, sizeof(secret));
	fill_random(seed, sizeof(seed));
	while (hso_bench_keep_running(bm)) {
		hso_hmac_key_init(&k, HSO_KDF_SHA256, secret, 48);
		hso_kdf_prf_lean(&k, "key expansion", 13, seed, 64, out, 40);
		hso_bench_escape(out);
	}
	hso_bench_set_items(bm, hso_bench_iterations(bm));
}
HSO_BENCH(bm_prf_lean, "kdf/prf_lean")

/* ------------------------------------------------------------------ */
/* OpenSSL one at a time                                               */
/* ------------------------------------------------------------------ */

static const uint8_t zeros32[32];

struct ossl {
	EVP_KDF *hkdf;
	EVP_KDF *tls13;
	EVP_KDF *prf;
	EVP_MAC *hmac;
};

static int
ossl_init(struct ossl *o)
{
	o->hkdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	o->tls13 = EVP_KDF_fetch(NULL, "TLS13-KDF", NULL);
	o->prf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	o->hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	return o->hkdf && o->tls13 && o->prf && o->hmac ? 0 : -1;
}

static void
ossl_free(struct ossl *o)
{
	EVP_KDF_free(o->hkdf);
	EVP_KDF_free(o->tls13);
	EVP_KDF_free(o->prf);
	EVP_MAC_free(o->hmac);
}

static int
ossl_extract(const struct ossl *o, const uint8_t *salt, const uint8_t *ikm,
	     uint8_t *out)
{
	int mode = EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ok;
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(o->hkdf);
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, 32),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, 32),
		OSSL_PARAM_END,
	};

	ok = EVP_KDF_derive(c, out, 32, p);
	EVP_KDF_CTX_free(c);
	return ok == 1 ? 0 : -1;
}

/* HKDF-Expand-Label as libssl does it: TLS13-KDF, expand only. */
static int
ossl_expand_label(const struct ossl *o, const uint8_t *secret,
		  const char *label, const uint8_t *ctx, size_t ctx_len,
		  uint8_t *out, size_t out_len)
{
	int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY, ok;
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(o->tls13);
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_int(OSSL_KDF_PARAM_MODE, &mode),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_KEY, (void *)secret, 32),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_PREFIX, (void *)"tls13 ", 6),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_LABEL, (void *)label,
					strlen(label)),
		/* An empty context still needs a pointer for OSSL_PARAM. */
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_DATA,
					(void *)(ctx != NULL ? ctx : zeros32), ctx_len),
		OSSL_PARAM_END,
	};

	ok = EVP_KDF_derive(c, out, out_len, p);
	EVP_KDF_CTX_free(c);
	return ok == 1 ? 0 : -1;
}

static int
ossl_hmac(const struct ossl *o, const uint8_t *key, const uint8_t *msg,
	  uint8_t *out)
{
	EVP_MAC_CTX *c = EVP_MAC_CTX_new(o->hmac);
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_END,
	};
	size_t len = 0;
	int ok;

	ok = EVP_MAC_init(c, key, 32, p) == 1 && EVP_MAC_update(c, msg, 32) == 1 &&
	     EVP_MAC_final(c, out, &len, 32) == 1;
	EVP_MAC_CTX_free(c);
	return ok ? 0 : -1;
}

static int
ossl_prf(const struct ossl *o, const uint8_t *secret, size_t secret_len,
	 const char *label, const uint8_t *seed, size_t seed_len, uint8_t *out,
	 size_t out_len)
{
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(o->prf);
	OSSL_PARAM p[] = {
		OSSL_PARAM_utf8_string(OSSL_KDF_PARAM_DIGEST, "SHA256", 0),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret,
					secret_len),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SEED, (void *)label,
					strlen(label)),
		OSSL_PARAM_octet_string(OSSL_KDF_PARAM_SEED, (void *)seed, seed_len),
		OSSL_PARAM_END,
	};
	int ok = EVP_KDF_derive(c, out, out_len, p);

	EVP_KDF_CTX_free(c);
	return ok == 1 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* TLS 1.3 server key schedule                                         */
/* ------------------------------------------------------------------ */

struct hs13 {
	/* inputs */
	uint8_t ecdhe[32];
	uint8_t th_sh[32];     /* Transcript-Hash(ClientHello..ServerHello) */
	uint8_t th_cv[32];     /* ..CertificateVerify: server Finished */
	uint8_t th_sf[32];     /* ..server Finished: app secrets, client Finished */
	/* outputs */
	uint8_t hs[32], chts[32], shts[32], d2[32], ms[32];
	uint8_t s_hs_key[16], s_hs_iv[12], c_hs_key[16], c_hs_iv[12];
	uint8_t s_fk[32], c_fk[32], s_fin[32];
	uint8_t cats[32], sats[32];
	uint8_t s_ap_key[16], s_ap_iv[12], c_ap_key[16], c_ap_iv[12], c_fin[32];
};

/* Output bytes compared between implementations (all but the inputs). */
#define HS13_OUT_OFF offsetof(struct hs13, hs)
#define HS13_OUT_LEN (sizeof(struct hs13) - HS13_OUT_OFF)

/* SHA-256("") for Derive-Secret(., "derived", ""). */
static const uint8_t empty_hash[32] = {
	0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8,
	0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
	0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
};

#define H256 HSO_KDF_SHA256

/* Run 1 for one handshake: 12 requests, depth 4. */
static void
hs13_enqueue_stage1(struct hso_kdf_batch *b, const struct hso_hmac_key *derived,
		    struct hs13 *h)
{
	int i_hs, i_c, i_s, i_d2, i_sfk;

	i_hs = hso_kdf_extract(b, H256, derived, NULL, 0, h->ecdhe, 32, h->hs,
			       HSO_KDF_NO_DEP);
	i_c = hso_kdf_expand_label(b, H256, NULL, h->hs, 32, "c hs traffic", 12,
				   h->th_sh, 32, h->chts, 32, i_hs);
	i_s = hso_kdf_expand_label(b, H256, NULL, h->hs, 32, "s hs traffic", 12,
				   h->th_sh, 32, h->shts, 32, i_hs);
	i_d2 = hso_kdf_expand_label(b, H256, NULL, h->hs, 32, "derived", 7,
				    empty_hash, 32, h->d2, 32, i_hs);
	hso_kdf_extract(b, H256, NULL, h->d2, 32, zeros32, 32, h->ms, i_d2);
	hso_kdf_expand_label(b, H256, NULL, h->shts, 32, "key", 3, NULL, 0,
			     h->s_hs_key, 16, i_s);
	hso_kdf_expand_label(b, H256, NULL, h->shts, 32, "iv", 2, NULL, 0,
			     h->s_hs_iv, 12, i_s);
	i_sfk = hso_kdf_expand_label(b, H256, NULL, h->shts, 32, "finished", 8,
				     NULL, 0, h->s_fk, 32, i_s);
	hso_kdf_expand_label(b, H256, NULL, h->chts, 32, "key", 3, NULL, 0,
			     h->c_hs_key, 16, i_c);
	hso_kdf_expand_label(b, H256, NULL, h->chts, 32, "iv", 2, NULL, 0,
			     h->c_hs_iv, 12, i_c);
	hso_kdf_expand_label(b, H256, NULL, h->chts, 32, "finished", 8, NULL, 0,
			     h->c_fk, 32, i_c);
	hso_kdf_hmac(b, H256, NULL, h->s_fk, 32, h->th_cv, 32, h->s_fin, i_sfk);
}

/* Run 2 for one handshake: 7 requests, depth 2. */
static void
hs13_enqueue_stage2(struct hso_kdf_batch *b, struct hs13 *h)
{
	int i_c, i_s;

	i_c = hso_kdf_expand_label(b, H256, NULL, h->ms, 32, "c ap traffic", 12,
				   h->th_sf, 32, h->cats, 32, HSO_KDF_NO_DEP);
	i_s = hso_kdf_expand_label(b, H256, NULL, h->ms, 32, "s ap traffic", 12,
				   h->th_sf, 32, h->sats, 32, HSO_KDF_NO_DEP);
	hso_kdf_expand_label(b, H256, NULL, h->sats, 32, "key", 3, NULL, 0,
			     h->s_ap_key, 16, i_s);
	hso_kdf_expand_label(b, H256, NULL, h->sats, 32, "iv", 2, NULL, 0,
			     h->s_ap_iv, 12, i_s);
	hso_kdf_expand_label(b, H256, NULL, h->cats, 32, "key", 3, NULL, 0,
			     h->c_ap_key, 16, i_c);
	hso_kdf_expand_label(b, H256, NULL, h->cats, 32, "iv", 2, NULL, 0,
			     h->c_ap_iv, 12, i_c);
	hso_kdf_hmac(b, H256, NULL, h->c_fk, 32, h->th_sf, 32, h->c_fin,
		     HSO_KDF_NO_DEP);
}

static int
hs13_ours(struct hso_kdf_batch *b, const struct hso_hmac_key *derived,
	  struct hs13 *hs, int n)
{
	for (int g = 0; g < n; g += HS_PER_RUN) {
		int m = n - g < HS_PER_RUN ? n - g : HS_PER_RUN;

		for (int i = 0; i < m; i++)
			hs13_enqueue_stage1(b, derived, &hs[g + i]);
		if (hso_kdf_batch_run(b) != 12 * m)
			return -1;
		/* The server Finished goes out; its transcript hash is known. */
		for (int i = 0; i < m; i++)
			hs13_enqueue_stage2(b, &hs[g + i]);
		if (hso_kdf_batch_run(b) != 7 * m)
			return -1;
	}
	return 0;
}

static int
hs13_openssl(const struct ossl *o, const uint8_t *derived, struct hs13 *h)
{
	int rc = 0;

	rc |= ossl_extract(o, derived, h->ecdhe, h->hs);
	rc |= ossl_expand_label(o, h->hs, "c hs traffic", h->th_sh, 32, h->chts, 32);
	rc |= ossl_expand_label(o, h->hs, "s hs traffic", h->th_sh, 32, h->shts, 32);
	rc |= ossl_expand_label(o, h->hs, "derived", empty_hash, 32, h->d2, 32);
	rc |= ossl_extract(o, h->d2, zeros32, h->ms);
	rc |= ossl_expand_label(o, h->shts, "key", NULL, 0, h->s_hs_key, 16);
	rc |= ossl_expand_label(o, h->shts, "iv", NULL, 0, h->s_hs_iv, 12);
	rc |= ossl_expand_label(o, h->shts, "finished", NULL, 0, h->s_fk, 32);
	rc |= ossl_expand_label(o, h->chts, "key", NULL, 0, h->c_hs_key, 16);
	rc |= ossl_expand_label(o, h->chts, "iv", NULL, 0, h->c_hs_iv, 12);
	rc |= ossl_expand_label(o, h->chts, "finished", NULL, 0, h->c_fk, 32);
	rc |= ossl_hmac(o, h->s_fk, h->th_cv, h->s_fin);
	rc |= ossl_expand_label(o, h->ms, "c ap traffic", h->th_sf, 32, h->cats, 32);
	rc |= ossl_expand_label(o, h->ms, "s ap traffic", h->th_sf, 32, h->sats, 32);
	rc |= ossl_expand_label(o, h->sats, "key", NULL, 0, h->s_ap_key, 16);
	rc |= ossl_expand_label(o, h->sats, "iv", NULL, 0, h->s_ap_iv, 12);
	rc |= ossl_expand_label(o, h->cats, "key", NULL, 0, h->c_ap_key, 16);
	rc |= ossl_expand_label(o, h->cats, "iv", NULL, 0, h->c_ap_iv, 12);
	rc |= ossl_hmac(o, h->c_fk, h->th_sf, h->c_fin);
	return rc;
}

static void
hs13_lean(const struct hso_hmac_key *derived, struct hs13 *h)
{
	struct hso_hmac_key k;

	hso_hmac_lean(derived, h->ecdhe, 32, h->hs);
	hso_hmac_key_init(&k, H256, h->hs, 32);
	hso_kdf_expand_label_lean(&k, "c hs traffic", 12, h->th_sh, 32, h->chts, 32);
	hso_kdf_expand_label_lean(&k, "s hs traffic", 12, h->th_sh, 32, h->shts, 32);
	hso_kdf_expand_label_lean(&k, "derived", 7, empty_hash, 32, h->d2, 32);
	hso_hmac_key_init(&k, H256, h->d2, 32);
	hso_hmac_lean(&k, zeros32, 32, h->ms);
	hso_hmac_key_init(&k, H256, h->shts, 32);
	hso_kdf_expand_label_lean(&k, "key", 3, NULL, 0, h->s_hs_key, 16);
	hso_kdf_expand_label_lean(&k, "iv", 2, NULL, 0, h->s_hs_iv, 12);
	hso_kdf_expand_label_lean(&k, "finished", 8, NULL, 0, h->s_fk, 32);
	hso_hmac_key_init(&k, H256, h->chts, 32);
	hso_kdf_expand_label_lean(&k, "key", 3, NULL, 0, h->c_hs_key, 16);
	hso_kdf_expand_label_lean(&k, "iv", 2, NULL, 0, h->c_hs_iv, 12);
	hso_kdf_expand_label_lean(&k, "finished", 8, NULL, 0, h->c_fk, 32);
	hso_hmac_key_init(&k, H256, h->s_fk, 32);
	hso_hmac_lean(&k, h->th_cv, 32, h->s_fin);
	hso_hmac_key_init(&k, H256, h->ms, 32);
	hso_kdf_expand_label_lean(&k, "c ap traffic", 12, h->th_sf, 32, h->cats, 32);
	hso_kdf_expand_label_lean(&k, "s ap traffic", 12, h->th_sf, 32, h->sats, 32);
	hso_hmac_key_init(&k, H256, h->sats, 32);
	hso_kdf_expand_label_lean(&k, "key", 3, NULL, 0, h->s_ap_key, 16);
	hso_kdf_expand_label_lean(&k, "iv", 2, NULL, 0, h->s_ap_iv, 12);
	hso_hmac_key_init(&k, H256, h->cats, 32);
	hso_kdf_expand_label_lean(&k, "key", 3, NULL, 0, h->c_ap_key, 16);
	hso_kdf_expand_label_lean(&k, "iv", 2, NULL, 0, h->c_ap_iv, 12);
	hso_hmac_key_init(&k, H256, h->c_fk, 32);
	hso_hmac_lean(&k, h->th_sf, 32, h->c_fin);
	hso_hmac_key_wipe(&k);
}

/*
 * ns of one single-buffer SHA-256 compression (SHA-NI where present): the
 * floor of a schedule is its compression count times this.
 */
static double
compress_ns(void)
{
	_Alignas(16) uint8_t st[64];
	uint8_t blk[64 * 64];
	uint64_t t0, best = UINT64_MAX;

	fill_random(blk, sizeof(blk));
	hso_sha_init_state(HSO_KDF_SHA256, st);
	for (int r = 0; r < 20; r++) {
		t0 = hso_bench_now_ns();
		hso_sha_compress(HSO_KDF_SHA256, st, blk, 64);
		t0 = hso_bench_now_ns() - t0;
		if (t0 < best)
			best = t0;
	}
	hso_bench_escape(st);
	return (double)best / 64;
}

static void
report(struct hso_bench *bm, uint64_t ours_ns, uint64_t ossl_ns, uint64_t lean_ns,
       double hs, double floor_us)
{
	double ours_us = (double)ours_ns / 1e3 / hs;
	double ossl_us = (double)ossl_ns / 1e3 / hs;
	double lean_us = (double)lean_ns / 1e3 / hs;

	hso_bench_counter(bm, "ours_hs_per_s", 1e6 / ours_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "openssl_hs_per_s", 1e6 / ossl_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "lean_hs_per_s", 1e6 / lean_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "ours_us_per_hs", ours_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "openssl_us_per_hs", ossl_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "lean_us_per_hs", lean_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "floor_us_per_hs", floor_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "ratio", ossl_us / ours_us, HSO_BENCH_VALUE);
	hso_bench_counter(bm, "lanes_vs_lean", lean_us / ours_us, HSO_BENCH_VALUE);
}

static void
bm_tls13(struct hso_bench *bm)
{
	static struct hs13 ours[HS_PER_ITER], ref[HS_PER_ITER], lean[HS_PER_ITER];
	struct hso_hmac_key derived_key;
	uint8_t derived[32];
	uint64_t t_ours = 0, t_ossl = 0, t_lean = 0, t0;
	struct kdf_env e;
	struct ossl o;
	int bad = 0;

	if (env_init(bm, &e, hso_bench_imb_override()) != 0)
		return;
	if (ossl_init(&o) != 0) {
		hso_bench_fail(bm, "OpenSSL KDF fetch failed");
		env_free(&e);
		return;
	}
	/* Once per process: early secret without PSK, its "derived". */
	hso_kdf_tls13_nopsk(H256, NULL, derived, &derived_key);
	for (int i = 0; i < HS_PER_ITER; i++) {
		fill_random(ours[i].ecdhe, 4 * 32);
		memcpy(ref[i].ecdhe, ours[i].ecdhe, 4 * 32);
		memcpy(lean[i].ecdhe, ours[i].ecdhe, 4 * 32);
	}
	while (hso_bench_keep_running(bm)) {
		t0 = hso_bench_now_ns();
		bad |= hs13_ours(e.b, &derived_key, ours, HS_PER_ITER);
		t_ours += hso_bench_now_ns() - t0;
		t0 = hso_bench_now_ns();
		for (int i = 0; i < HS_PER_ITER; i++)
			bad |= hs13_openssl(&o, derived, &ref[i]);
		t_ossl += hso_bench_now_ns() - t0;
		t0 = hso_bench_now_ns();
		for (int i = 0; i < HS_PER_ITER; i++)
			hs13_lean(&derived_key, &lean[i]);
		t_lean += hso_bench_now_ns() - t0;
	}
	for (int i = 0; i < HS_PER_ITER && !bad; i++) {
		const uint8_t *a = (const uint8_t *)&ours[i], *l = (const uint8_t *)&lean[i];
		const uint8_t *r = (const uint8_t *)&ref[i];

		for (size_t off = HS13_OUT_OFF; off < sizeof(struct hs13); off++) {
			if (a[off] != r[off] || l[off] != r[off]) {
				fprintf(stderr, "tls13: handshake %d differs at byte %zu "
					"(ours %s, lean %s)\n", i, off,
					a[off] != r[off] ? "bad" : "ok",
					l[off] != r[off] ? "bad" : "ok");
				bad = 1;
				break;
			}
		}
	}
	if (bad) {
		hso_bench_fail(bm, "outputs differ from OpenSSL");
	} else {
		double hs = (double)hso_bench_iterations(bm) * HS_PER_ITER;

		/*
		 * 19 HMACs of a one-block message (HkdfLabel <= 55 bytes):
		 * 2 compressions each; 9 keys: 2 compressions each.
		 */
		report(bm, t_ours, t_ossl, t_lean, hs, (19 + 9) * 2 * compress_ns() / 1e3);
		hso_bench_set_items(bm, hso_bench_iterations(bm) * HS_PER_ITER);
		hso_bench_label(bm, "19 HMACs, 9 keys, 2 runs per 64 handshakes");
	}
	hso_hmac_key_wipe(&derived_key);
	ossl_free(&o);
	env_free(&e);
}
HSO_BENCH(bm_tls13, "kdf_batched_vs_openssl/tls13")

/* ------------------------------------------------------------------ */
/* TLS 1.2: extended master secret, key block, both Finished           */
/* ------------------------------------------------------------------ */

struct hs12 {
	uint8_t pms[32];        /* X25519 / P-256 premaster */
	uint8_t session_hash[32];
	uint8_t randoms[64];    /* server_random + client_random */
	uint8_t th_cf[32];      /* transcript hash for client Finished */
	uint8_t th_sf[32];      /* ... for server Finished */
	uint8_t ms[48], kb[40], c_vd[12], s_vd[12];
};

#define HS12_OUT_OFF offsetof(struct hs12, ms)
#define HS12_OUT_LEN (sizeof(struct hs12) - HS12_OUT_OFF)

static int
hs12_ours(struct hso_kdf_batch *b, struct hs12 *hs, int n)
{
	for (int g = 0; g < n; g += HS_PER_RUN) {
		int m = n - g < HS_PER_RUN ? n - g : HS_PER_RUN;

		for (int i = 0; i < m; i++) {
			struct hs12 *h = &hs[g + i];
			int ims;

			/* RFC 7627 4: master_secret = PRF(pms,
			 * "extended master secret", session_hash)[0..47]. */
			ims = hso_kdf_prf(b, H256, NULL, h->pms, 32,
					  "extended master secret", 22,
					  h->session_hash, 32, h->ms, 48,
					  HSO_KDF_NO_DEP);
			hso_kdf_prf(b, H256, NULL, h->ms, 48, "key expansion", 13,
				    h->randoms, 64, h->kb, 40, ims);
			hso_kdf_prf(b, H256, NULL, h->ms, 48, "client finished", 15,
				    h->th_cf, 32, h->c_vd, 12, ims);
			hso_kdf_prf(b, H256, NULL, h->ms, 48, "server finished", 15,
				    h->th_sf, 32, h->s_vd, 12, ims);
		}
		if (hso_kdf_batch_run(b) != 4 * m)
			return -1;
	}
	return 0;
}

static int
hs12_openssl(const struct ossl *o, struct hs12 *h)
{
	int rc = 0;

	rc |= ossl_prf(o, h->pms, 32, "extended master secret", h->session_hash,
		       32, h->ms, 48);
	rc |= ossl_prf(o, h->ms, 48, "key expansion", h->randoms, 64, h->kb, 40);
	rc |= ossl_prf(o, h->ms, 48, "client finished", h->th_cf, 32, h->c_vd, 12);
	rc |= ossl_prf(o, h->ms, 48, "server finished", h->th_sf, 32, h->s_vd, 12);
	return rc;
}

static void
hs12_lean(struct hs12 *h)
{
	struct hso_hmac_key k;

	hso_hmac_key_init(&k, H256, h->pms, 32);
	hso_kdf_prf_lean(&k, "extended master secret", 22, h->session_hash, 32,
			 h->ms, 48);
	hso_hmac_key_init(&k, H256, h->ms, 48);
	hso_kdf_prf_lean(&k, "key expansion", 13, h->randoms, 64, h->kb, 40);
	hso_kdf_prf_lean(&k, "client finished", 15, h->th_cf, 32, h->c_vd, 12);
	hso_kdf_prf_lean(&k, "server finished", 15, h->th_sf, 32, h->s_vd, 12);
	hso_hmac_key_wipe(&k);
}

static void
bm_tls12(struct hso_bench *bm)
{
	static struct hs12 ours[HS_PER_ITER], ref[HS_PER_ITER], lean[HS_PER_ITER];
	uint64_t t_ours = 0, t_ossl = 0, t_lean = 0, t0;
	struct kdf_env e;
	struct ossl o;
	int bad = 0;

	if (env_init(bm, &e, hso_bench_imb_override()) != 0)
		return;
	if (ossl_init(&o) != 0) {
		hso_bench_fail(bm, "OpenSSL KDF fetch failed");
		env_free(&e);
		return;
	}
	for (int i = 0; i < HS_PER_ITER; i++) {
		fill_random(ours[i].pms, HS12_OUT_OFF);
		memcpy(&ref[i], &ours[i], HS12_OUT_OFF);
		memcpy(&lean[i], &ours[i], HS12_OUT_OFF);
	}
	while (hso_bench_keep_running(bm)) {
		t0 = hso_bench_now_ns();
		bad |= hs12_ours(e.b, ours, HS_PER_ITER);
		t_ours += hso_bench_now_ns() - t0;
		t0 = hso_bench_now_ns();
		for (int i = 0; i < HS_PER_ITER; i++)
			bad |= hs12_openssl(&o, &ref[i]);
		t_ossl += hso_bench_now_ns() - t0;
		t0 = hso_bench_now_ns();
		for (int i = 0; i < HS_PER_ITER; i++)
			hs12_lean(&lean[i]);
		t_lean += hso_bench_now_ns() - t0;
	}
	for (int i = 0; i < HS_PER_ITER && !bad; i++)
		bad |= memcmp(ours[i].ms, ref[i].ms, HS12_OUT_LEN) != 0 ||
		       memcmp(lean[i].ms, ref[i].ms, HS12_OUT_LEN) != 0;
	if (bad) {
		hso_bench_fail(bm, "outputs differ from OpenSSL");
	} else {
		double hs = (double)hso_bench_iterations(bm) * HS_PER_ITER;

		/*
		 * Inner messages: EMS A(1) 54 bytes, T 86; key block A(1) 77,
		 * T 109; Finished A(1) 47, T 79; A(2) 32: 1 or 2 blocks + 1
		 * outer. 12 HMACs = 31 compressions; 2 keys = 4.
		 */
		report(bm, t_ours, t_ossl, t_lean, hs, 35 * compress_ns() / 1e3);
		hso_bench_set_items(bm, hso_bench_iterations(bm) * HS_PER_ITER);
		hso_bench_label(bm, "12 HMACs, 2 keys, 1 run per 64 handshakes");
	}
	ossl_free(&o);
	env_free(&e);
}
HSO_BENCH(bm_tls12, "kdf_batched_vs_openssl/tls12")
