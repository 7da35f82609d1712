/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Record AEAD and transcript-hash benchmarks, each side by side with
 * OpenSSL in the same iteration.
 *
 * aead/{seal,open}_vs_openssl/<alg>/<record bytes>: one TLS record per
 * operation (13 bytes of additional data, as TLS 1.2), ipsec-mb's direct
 * API through crypto/aead.c against EVP with one EVP_CIPHER_CTX created and
 * keyed once and only re-nonced per record (the fastest way to use EVP).
 * Each iteration times a batch of records through ours, then the same
 * through OpenSSL. Counters: ours_rps / openssl_rps (records per second),
 * ours_MBps / openssl_MBps, ratio = ours / openssl (> 1: we are faster).
 *
 * aead/tls13_record_seal/<alg>/<bytes>: the whole TLS 1.3 record path
 * (header, inner type, nonce, sequence number), in place.
 *
 * hash/transcript_vs_evp/<hash>/<message bytes>: absorb one handshake
 * message, then take the hash so far (a fork and a finish, as for a
 * Finished or Derive-Secret). Ours is the SHA*_CTX value copy; OpenSSL's
 * reference is EVP_DigestUpdate + EVP_MD_CTX_copy_ex + EVP_DigestFinal_ex
 * with contexts allocated once. ratio = ours / EVP.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bench.h"
#include "bench_env.h"
#include "crypto.h"

static void
fill(uint8_t *p, size_t n)
{
	static uint64_t s = 0x853c49e6748fea9bULL;

	for (size_t i = 0; i < n; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		p[i] = (uint8_t)(s >> 24);
	}
}

static const EVP_CIPHER *
evp_cipher(enum hso_aead_alg alg)
{
	switch (alg) {
	case HSO_AEAD_AES128_GCM:
		return EVP_aes_128_gcm();
	case HSO_AEAD_AES256_GCM:
		return EVP_aes_256_gcm();
	default:
		return EVP_chacha20_poly1305();
	}
}

/* Records per timed batch: enough that clock reads are noise. */
static int
batch_for(size_t len)
{
	return len <= 64 ? 64 : len <= 2048 ? 8 : 1;
}

static void
report(struct hso_bench *b, int64_t ops, size_t len, uint64_t ours_ns,
       uint64_t ref_ns)
{
	double ours_s = (double)ours_ns / 1e9, ref_s = (double)ref_ns / 1e9;

	if (ours_ns == 0 || ref_ns == 0) {
		hso_bench_fail(b, "nothing timed");
		return;
	}
	hso_bench_set_items(b, ops);
	hso_bench_counter(b, "ours_rps", (double)ops / ours_s, HSO_BENCH_VALUE);
	hso_bench_counter(b, "openssl_rps", (double)ops / ref_s, HSO_BENCH_VALUE);
	hso_bench_counter(b, "ours_MBps", (double)ops * (double)len / ours_s / 1e6,
			  HSO_BENCH_VALUE);
	hso_bench_counter(b, "openssl_MBps",
			  (double)ops * (double)len / ref_s / 1e6, HSO_BENCH_VALUE);
	hso_bench_counter(b, "ratio", ref_s / ours_s, HSO_BENCH_VALUE);
}

struct fixture {
	struct hso_imb_set set;
	struct hso_aead_key k;
	EVP_CIPHER_CTX *enc, *dec;
	uint8_t key[32], nonce[12], aad[13];
	uint8_t *in, *out, *rec;
};

static int
fixture_init(struct fixture *f, enum hso_aead_alg alg, size_t len)
{
	memset(f, 0, sizeof(*f));
	fill(f->key, sizeof(f->key));
	fill(f->nonce, sizeof(f->nonce));
	fill(f->aad, sizeof(f->aad));
	f->in = malloc(len + 16);
	f->out = malloc(len + 16);
	f->rec = malloc(len + 16);
	f->enc = EVP_CIPHER_CTX_new();
	f->dec = EVP_CIPHER_CTX_new();
	if (f->in == NULL || f->out == NULL || f->rec == NULL ||
	    f->enc == NULL || f->dec == NULL)
		return -1;
	fill(f->in, len);
	if (hso_imb_set_init(&f->set, hso_bench_imb_override()) != 0 ||
	    hso_aead_key_init(&f->k, &f->set, alg, f->key,
			      hso_aead_key_len(alg)) != 0)
		return -1;
	/* Key schedule once; per record only the nonce changes. */
	if (EVP_EncryptInit_ex(f->enc, evp_cipher(alg), NULL, f->key,
			       f->nonce) != 1 ||
	    EVP_DecryptInit_ex(f->dec, evp_cipher(alg), NULL, f->key,
			       f->nonce) != 1)
		return -1;
	hso_aead_seal(&f->k, f->nonce, f->aad, sizeof(f->aad), f->in, len,
		      f->rec);
	return 0;
}

static void
fixture_free(struct fixture *f)
{
	hso_aead_key_wipe(&f->k);
	hso_imb_set_free(&f->set);
	EVP_CIPHER_CTX_free(f->enc);
	EVP_CIPHER_CTX_free(f->dec);
	free(f->in);
	free(f->out);
	free(f->rec);
}

static int
evp_seal_one(struct fixture *f, size_t len)
{
	int l;

	return EVP_EncryptInit_ex(f->enc, NULL, NULL, NULL, f->nonce) == 1 &&
	       EVP_EncryptUpdate(f->enc, NULL, &l, f->aad, sizeof(f->aad)) == 1 &&
	       EVP_EncryptUpdate(f->enc, f->out, &l, f->in, (int)len) == 1 &&
	       EVP_EncryptFinal_ex(f->enc, f->out + len, &l) == 1 &&
	       EVP_CIPHER_CTX_ctrl(f->enc, EVP_CTRL_AEAD_GET_TAG, 16,
				   f->out + len) == 1;
}

static int
evp_open_one(struct fixture *f, size_t len)
{
	int l;

	return EVP_DecryptInit_ex(f->dec, NULL, NULL, NULL, f->nonce) == 1 &&
	       EVP_DecryptUpdate(f->dec, NULL, &l, f->aad, sizeof(f->aad)) == 1 &&
	       EVP_DecryptUpdate(f->dec, f->out, &l, f->rec, (int)len) == 1 &&
	       EVP_CIPHER_CTX_ctrl(f->dec, EVP_CTRL_AEAD_SET_TAG, 16,
				   f->rec + len) == 1 &&
	       EVP_DecryptFinal_ex(f->dec, f->out + len, &l) == 1;
}

static void
bm_aead(struct hso_bench *b, enum hso_aead_alg alg, int open)
{
	size_t len = (size_t)hso_bench_arg(b);
	int batch = batch_for(len);
	uint64_t ours_ns = 0, ref_ns = 0;
	int64_t ops = 0;
	struct fixture f;
	int ok = 1;

	if (fixture_init(&f, alg, len) != 0) {
		hso_bench_fail(b, "setup failed");
		fixture_free(&f);
		return;
	}
	while (hso_bench_keep_running(b)) {
		uint64_t t0 = hso_bench_now_ns(), t1, t2;

		for (int i = 0; i < batch; i++) {
			if (open)
				ok &= hso_aead_open(&f.k, f.nonce, f.aad,
						    sizeof(f.aad), f.rec,
						    len + 16, f.out) == (int)len;
			else
				hso_aead_seal(&f.k, f.nonce, f.aad,
					      sizeof(f.aad), f.in, len, f.out);
			hso_bench_escape(f.out);
		}
		t1 = hso_bench_now_ns();
		for (int i = 0; i < batch; i++) {
			ok &= open ? evp_open_one(&f, len) : evp_seal_one(&f, len);
			hso_bench_escape(f.out);
		}
		t2 = hso_bench_now_ns();
		ours_ns += t1 - t0;
		ref_ns += t2 - t1;
		ops += batch;
	}
	if (!ok)
		hso_bench_fail(b, "a seal or open failed");
	else
		report(b, ops, len, ours_ns, ref_ns);
	hso_bench_label(b, hso_aead_alg_name(alg));
	fixture_free(&f);
}

#define AEAD_BENCH(fn_, alg_, open_, name_)                                 \
	static void fn_(struct hso_bench *b) { bm_aead(b, alg_, open_); }  \
	HSO_BENCH_ARGS(fn_, name_, 64, 1400, 16384)

AEAD_BENCH(bm_seal_aes128, HSO_AEAD_AES128_GCM, 0,
	   "aead/seal_vs_openssl/aes-128-gcm")
AEAD_BENCH(bm_seal_aes256, HSO_AEAD_AES256_GCM, 0,
	   "aead/seal_vs_openssl/aes-256-gcm")
AEAD_BENCH(bm_seal_chacha, HSO_AEAD_CHACHA20_POLY1305, 0,
	   "aead/seal_vs_openssl/chacha20-poly1305")
AEAD_BENCH(bm_open_aes128, HSO_AEAD_AES128_GCM, 1,
	   "aead/open_vs_openssl/aes-128-gcm")
AEAD_BENCH(bm_open_aes256, HSO_AEAD_AES256_GCM, 1,
	   "aead/open_vs_openssl/aes-256-gcm")
AEAD_BENCH(bm_open_chacha, HSO_AEAD_CHACHA20_POLY1305, 1,
	   "aead/open_vs_openssl/chacha20-poly1305")

/* The whole TLS 1.3 record seal, in place (no reference: layout work). */
static void
bm_tls13_seal(struct hso_bench *b)
{
	size_t len = (size_t)hso_bench_arg(b);
	struct hso_imb_set set;
	struct hso_record_prot rp;
	uint8_t key[16], iv[12];
	uint8_t *rec = malloc(HSO_TLS13_RECORD_MAX);
	int64_t n = 0;

	fill(key, sizeof(key));
	fill(iv, sizeof(iv));
	if (rec == NULL || hso_imb_set_init(&set, hso_bench_imb_override()) != 0) {
		hso_bench_fail(b, "setup failed");
		free(rec);
		return;
	}
	hso_record_prot_init(&rp, &set, HSO_TLS13, HSO_AEAD_AES128_GCM, key,
			     sizeof(key), iv, sizeof(iv));
	fill(rec + HSO_TLS_HEADER_LEN, len);
	while (hso_bench_keep_running(b)) {
		if (hso_tls13_record_seal(&rp, 23, rec + HSO_TLS_HEADER_LEN, len,
					  0, rec, HSO_TLS13_RECORD_MAX) < 0) {
			hso_bench_fail(b, "seal failed");
			break;
		}
		hso_bench_escape(rec);
		n++;
	}
	hso_bench_set_items(b, n);
	hso_record_prot_wipe(&rp);
	hso_imb_set_free(&set);
	free(rec);
}
HSO_BENCH_ARGS(bm_tls13_seal, "aead/tls13_record_seal/aes-128-gcm", 64, 1400,
	       16384)

/* Transcript hash: absorb a message, take the hash so far. */
static void
bm_transcript(struct hso_bench *b, enum hso_hash_alg alg)
{
	size_t len = (size_t)hso_bench_arg(b);
	const EVP_MD *md = alg == HSO_HASH_SHA256 ? EVP_sha256() : EVP_sha384();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new(), *tmp = EVP_MD_CTX_new();
	uint8_t *msg = malloc(len), out[64];
	const int batch = 32;
	uint64_t ours_ns = 0, ref_ns = 0;
	struct hso_hash h;
	unsigned ol;
	int64_t ops = 0;
	int ok = 1;

	if (ctx == NULL || tmp == NULL || msg == NULL ||
	    EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		hso_bench_fail(b, "setup failed");
		goto out;
	}
	fill(msg, len);
	hso_hash_init(&h, alg);
	while (hso_bench_keep_running(b)) {
		uint64_t t0 = hso_bench_now_ns(), t1, t2;

		for (int i = 0; i < batch; i++) {
			hso_hash_update(&h, msg, len);
			hso_hash_peek(&h, out);
			hso_bench_escape(out);
		}
		t1 = hso_bench_now_ns();
		for (int i = 0; i < batch; i++) {
			ok &= EVP_DigestUpdate(ctx, msg, len) == 1 &&
			      EVP_MD_CTX_copy_ex(tmp, ctx) == 1 &&
			      EVP_DigestFinal_ex(tmp, out, &ol) == 1;
			hso_bench_escape(out);
		}
		t2 = hso_bench_now_ns();
		ours_ns += t1 - t0;
		ref_ns += t2 - t1;
		ops += batch;
	}
	if (!ok)
		hso_bench_fail(b, "EVP failed");
	else
		report(b, ops, len, ours_ns, ref_ns);
out:
	EVP_MD_CTX_free(ctx);
	EVP_MD_CTX_free(tmp);
	free(msg);
}

static void
bm_transcript_sha256(struct hso_bench *b)
{
	bm_transcript(b, HSO_HASH_SHA256);
}
HSO_BENCH_ARGS(bm_transcript_sha256, "hash/transcript_vs_evp/sha256", 64, 1024)

static void
bm_transcript_sha384(struct hso_bench *b)
{
	bm_transcript(b, HSO_HASH_SHA384);
}
HSO_BENCH_ARGS(bm_transcript_sha384, "hash/transcript_vs_evp/sha384", 64, 1024)
