/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Asymmetric operations (crypto/asym.c) per operation, each next to the
 * straightforward OpenSSL way that builds a fresh EVP_PKEY_CTX per call
 * ("asym/<op>_vs_fresh", ratio = ours / fresh as rates), and the
 * asymmetric floor of one server handshake ("asym_floor/<case>").
 *
 * Keys are generated on first use (RSA-4096 takes a moment), written as
 * PEM into a temporary directory and loaded with hso_cert_load().
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

/* OpenSSL headers before crypto.h: intel-ipsec-mb.h defines SHA1 etc. */
#include "../tests/test_asym_keys.h"
#include "bench.h"
#include "crypto.h"

enum { K_RSA2048, K_RSA3072, K_RSA4096, K_P256, K_P384, K_N };

static const struct {
	const char *tag, *type, *curve;
	size_t bits;
} kspec[K_N] = {
	[K_RSA2048] = { "rsa2048", "RSA", NULL, 2048 },
	[K_RSA3072] = { "rsa3072", "RSA", NULL, 3072 },
	[K_RSA4096] = { "rsa4096", "RSA", NULL, 4096 },
	[K_P256] = { "p256", "EC", "P-256", 0 },
	[K_P384] = { "p384", "EC", "P-384", 0 },
};

static struct {
	struct hso_asym_ctx *actx;
	struct hso_cert *cert[K_N];
	EVP_PKEY *key[K_N];
} bfx;

/* The worker context and the cert of @p k, created on first use. */
static const struct hso_cert *
bfx_cert(struct hso_bench *b, int k)
{
	char dir[] = "/tmp/hso-bench-asym-XXXXXX", err[256], *cp, *kp;

	if (bfx.actx == NULL && (bfx.actx = hso_asym_ctx_create(0)) == NULL) {
		hso_bench_fail(b, "hso_asym_ctx_create failed");
		return NULL;
	}
	if (k < 0 || bfx.cert[k] != NULL)
		return k < 0 ? NULL : bfx.cert[k];
	bfx.key[k] = tk_keygen(kspec[k].type, kspec[k].curve, kspec[k].bits);
	if (bfx.key[k] == NULL || mkdtemp(dir) == NULL) {
		hso_bench_fail(b, "key generation failed");
		return NULL;
	}
	cp = tk_pair(dir, kspec[k].tag, bfx.key[k], "DNS:bench.test", &kp);
	bfx.cert[k] = hso_cert_load(cp, kp, err, sizeof(err));
	free(cp);
	free(kp);
	tk_rmdir(dir);
	if (bfx.cert[k] == NULL)
		hso_bench_fail(b, err);
	return bfx.cert[k];
}

/* ---- one operation, ours or fresh ---- */

enum bop {
	BOP_DECRYPT, BOP_PSS256, BOP_PKCS1_256, BOP_ECDSA,
	BOP_X25519_GEN, BOP_X25519_DERIVE, BOP_P256_GEN, BOP_P256_DERIVE,
};

struct bstate {
	enum bop op;
	const struct hso_cert *cert;
	uint16_t scheme;
	uint8_t ct[512];		/* a good premaster ciphertext */
	size_t ctlen;
	uint8_t msg[130];		/* a CertificateVerify-sized message */
	struct hso_ecdhe_key key;	/* ours: keygen target / derive key */
	uint16_t group;
	uint8_t peer[HSO_ECDHE_PUB_MAX];	/* an OpenSSL peer's share */
	size_t peerlen;
	EVP_PKEY *peer_pkey;
};

static int
op_ours(struct bstate *s)
{
	uint8_t out[HSO_SIG_MAX];
	size_t l;

	switch (s->op) {
	case BOP_DECRYPT:
		return hso_asym_rsa_premaster_decrypt(bfx.actx, s->cert, s->ct, s->ctlen,
						      0x0303, 0, out);
	case BOP_PSS256:
	case BOP_PKCS1_256:
	case BOP_ECDSA:
		return hso_asym_sign(bfx.actx, s->cert, s->scheme, s->msg, sizeof(s->msg),
				     out, sizeof(out), &l);
	case BOP_X25519_GEN:
	case BOP_P256_GEN:
		return hso_ecdhe_key_generate(bfx.actx, s->group, &s->key);
	case BOP_X25519_DERIVE:
	case BOP_P256_DERIVE:
		return hso_ecdhe_key_derive(bfx.actx, &s->key, s->peer, s->peerlen,
					    out, sizeof(out), &l);
	}
	return -1;
}

/* What a straightforward caller does: a new EVP_PKEY_CTX for each call. */
static int
op_fresh(struct bstate *s)
{
	uint8_t out[HSO_SIG_MAX], dg[32], pub[HSO_ECDHE_PUB_MAX];
	size_t l = sizeof(out);
	unsigned int dl = 0, cv = 0x0303;
	EVP_PKEY_CTX *pc = NULL, *dc = NULL;
	EVP_PKEY *k = NULL, *peer = NULL;
	int ok = 0;

	switch (s->op) {
	case BOP_DECRYPT: {
		OSSL_PARAM p[2] = {
			OSSL_PARAM_construct_uint(OSSL_ASYM_CIPHER_PARAM_TLS_CLIENT_VERSION, &cv),
			OSSL_PARAM_construct_end(),
		};

		l = 48;
		pc = EVP_PKEY_CTX_new_from_pkey(NULL, s->cert->pkey, NULL);
		ok = pc != NULL && EVP_PKEY_decrypt_init(pc) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_WITH_TLS_PADDING) == 1 &&
		     EVP_PKEY_CTX_set_params(pc, p) == 1 &&
		     EVP_PKEY_decrypt(pc, out, &l, s->ct, s->ctlen) == 1;
		break;
	}
	case BOP_PSS256:
	case BOP_PKCS1_256:
	case BOP_ECDSA:
		pc = EVP_PKEY_CTX_new_from_pkey(NULL, s->cert->pkey, NULL);
		ok = pc != NULL &&
		     EVP_Digest(s->msg, sizeof(s->msg), dg, &dl, EVP_sha256(), NULL) == 1 &&
		     EVP_PKEY_sign_init(pc) == 1;
		if (ok && s->op == BOP_PSS256)
			ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
			     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, RSA_PSS_SALTLEN_DIGEST) == 1;
		else if (ok && s->op == BOP_PKCS1_256)
			ok = EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1;
		ok = ok && EVP_PKEY_CTX_set_signature_md(pc, EVP_sha256()) == 1 &&
		     EVP_PKEY_sign(pc, out, &l, dg, dl) == 1;
		break;
	case BOP_X25519_GEN:
	case BOP_P256_GEN:
		/* Same work as ours: key, public share, derive ctx ready. */
		pc = s->op == BOP_X25519_GEN ?
		     EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL) :
		     EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
		ok = pc != NULL && EVP_PKEY_keygen_init(pc) == 1 &&
		     (s->op == BOP_X25519_GEN ||
		      EVP_PKEY_CTX_set_group_name(pc, "P-256") == 1) &&
		     EVP_PKEY_keygen(pc, &k) == 1 &&
		     EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						     pub, sizeof(pub), &l) &&
		     (dc = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL)) != NULL &&
		     EVP_PKEY_derive_init(dc) == 1;
		break;
	case BOP_X25519_DERIVE:
	case BOP_P256_DERIVE:
		/* Decode the peer share into a new key, validate, derive. */
		if (s->op == BOP_X25519_DERIVE) {
			peer = EVP_PKEY_new_raw_public_key_ex(NULL, "X25519", NULL,
							      s->peer, s->peerlen);
		} else {
			peer = EVP_PKEY_new();
			if (peer != NULL &&
			    (EVP_PKEY_copy_parameters(peer, s->peer_pkey) != 1 ||
			     EVP_PKEY_set1_encoded_public_key(peer, s->peer,
							      s->peerlen) != 1)) {
				EVP_PKEY_free(peer);
				peer = NULL;
			}
		}
		l = 32;
		dc = EVP_PKEY_CTX_new_from_pkey(NULL, s->key.pkey_, NULL);
		ok = peer != NULL && dc != NULL && EVP_PKEY_derive_init(dc) == 1 &&
		     EVP_PKEY_derive_set_peer(dc, peer) == 1 &&
		     EVP_PKEY_derive(dc, out, &l) == 1;
		break;
	}
	EVP_PKEY_CTX_free(dc);
	EVP_PKEY_CTX_free(pc);
	EVP_PKEY_free(k);
	EVP_PKEY_free(peer);
	return ok ? 0 : -1;
}

static int
bstate_init(struct hso_bench *b, struct bstate *s, enum bop op, int k,
	    uint16_t scheme)
{
	memset(s, 0, sizeof(*s));
	s->op = op;
	s->scheme = scheme;
	RAND_bytes(s->msg, sizeof(s->msg));
	if (k >= 0 && (s->cert = bfx_cert(b, k)) == NULL)
		return -1;
	if (k < 0 && bfx_cert(b, -1) == NULL && bfx.actx == NULL)
		return -1;
	if (op == BOP_DECRYPT) {
		uint8_t pms[HSO_TLS12_PREMASTER_LEN] = { 3, 3 };
		EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_pkey(NULL, s->cert->pkey, NULL);

		s->ctlen = sizeof(s->ct);
		RAND_bytes(pms + 2, sizeof(pms) - 2);
		if (pc == NULL || EVP_PKEY_encrypt_init(pc) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_encrypt(pc, s->ct, &s->ctlen, pms, sizeof(pms)) != 1) {
			EVP_PKEY_CTX_free(pc);
			hso_bench_fail(b, "RSA encrypt failed");
			return -1;
		}
		EVP_PKEY_CTX_free(pc);
	}
	if (op >= BOP_X25519_GEN) {
		s->group = op <= BOP_X25519_DERIVE ? HSO_GROUP_X25519 : HSO_GROUP_SECP256R1;
		s->peer_pkey = s->group == HSO_GROUP_X25519 ?
			       EVP_PKEY_Q_keygen(NULL, NULL, "X25519") :
			       EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		if (s->peer_pkey == NULL ||
		    !EVP_PKEY_get_octet_string_param(s->peer_pkey,
						     OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY,
						     s->peer, sizeof(s->peer), &s->peerlen) ||
		    hso_ecdhe_key_generate(bfx.actx, s->group, &s->key) != 0) {
			hso_bench_fail(b, "ECDHE setup failed");
			return -1;
		}
	}
	return 0;
}

static void
bstate_fini(struct bstate *s)
{
	hso_ecdhe_key_clear(&s->key);
	EVP_PKEY_free(s->peer_pkey);
	ERR_clear_error();
}

/* Ours alone: ops/s in items_per_second. */
static void
run_ours(struct hso_bench *b, enum bop op, int k, uint16_t scheme)
{
	struct bstate s;
	int bad = 0;

	if (bstate_init(b, &s, op, k, scheme) < 0)
		return;
	while (hso_bench_keep_running(b))
		bad |= op_ours(&s);
	hso_bench_set_items(b, hso_bench_iterations(b));
	if (bad)
		hso_bench_fail(b, "operation failed");
	bstate_fini(&s);
}

/* Ours and fresh in the same iteration, timed apart. */
static void
run_vs_fresh(struct hso_bench *b, enum bop op, int k, uint16_t scheme)
{
	uint64_t t_ours = 0, t_fresh = 0, t0, t1, t2;
	struct bstate s;
	int bad = 0;
	double n;

	if (bstate_init(b, &s, op, k, scheme) < 0)
		return;
	while (hso_bench_keep_running(b)) {
		t0 = hso_bench_now_ns();
		bad |= op_ours(&s);
		t1 = hso_bench_now_ns();
		bad |= op_fresh(&s);
		t2 = hso_bench_now_ns();
		t_ours += t1 - t0;
		t_fresh += t2 - t1;
	}
	/* No items: an iteration is one of each; the counters tell the rates. */
	n = (double)hso_bench_iterations(b);
	if (t_ours > 0 && t_fresh > 0) {
		hso_bench_counter(b, "ours_per_s", n * 1e9 / (double)t_ours, HSO_BENCH_VALUE);
		hso_bench_counter(b, "fresh_per_s", n * 1e9 / (double)t_fresh, HSO_BENCH_VALUE);
		hso_bench_counter(b, "ratio", (double)t_fresh / (double)t_ours,
				  HSO_BENCH_VALUE);
	}
	if (bad)
		hso_bench_fail(b, "operation failed");
	bstate_fini(&s);
}

#define ASYM_OP(fn_, name_, op_, k_, scheme_)                                   \
	static void fn_(struct hso_bench *b) { run_ours(b, op_, k_, scheme_); }  \
	static void fn_##_vs(struct hso_bench *b)                               \
	{                                                                       \
		run_vs_fresh(b, op_, k_, scheme_);                              \
	}                                                                       \
	HSO_BENCH(fn_, "asym/" name_)                                           \
	HSO_BENCH(fn_##_vs, "asym/" name_ "_vs_fresh")

ASYM_OP(bm_rsa2048_decrypt, "rsa2048_premaster_decrypt", BOP_DECRYPT, K_RSA2048, 0)
ASYM_OP(bm_rsa3072_decrypt, "rsa3072_premaster_decrypt", BOP_DECRYPT, K_RSA3072, 0)
ASYM_OP(bm_rsa4096_decrypt, "rsa4096_premaster_decrypt", BOP_DECRYPT, K_RSA4096, 0)
ASYM_OP(bm_rsa2048_pss, "rsa2048_pss_sha256_sign", BOP_PSS256, K_RSA2048,
	HSO_SIG_RSA_PSS_RSAE_SHA256)
ASYM_OP(bm_rsa2048_pkcs1, "rsa2048_pkcs1_sha256_sign", BOP_PKCS1_256, K_RSA2048,
	HSO_SIG_RSA_PKCS1_SHA256)
ASYM_OP(bm_ecdsa_p256, "ecdsa_p256_sha256_sign", BOP_ECDSA, K_P256,
	HSO_SIG_ECDSA_P256_SHA256)
ASYM_OP(bm_ecdsa_p384, "ecdsa_p384_sha384_sign", BOP_ECDSA, K_P384,
	HSO_SIG_ECDSA_P384_SHA384)
ASYM_OP(bm_x25519_gen, "x25519_keygen", BOP_X25519_GEN, -1, 0)
ASYM_OP(bm_x25519_derive, "x25519_derive", BOP_X25519_DERIVE, -1, 0)
ASYM_OP(bm_p256_gen, "p256_keygen", BOP_P256_GEN, -1, 0)
ASYM_OP(bm_p256_derive, "p256_derive", BOP_P256_DERIVE, -1, 0)

/* ---- the asymmetric floor of one server handshake ---- */

enum floor_case {
	FLOOR_TLS12_RSA_KX,		/* RSA-2048 premaster decrypt */
	FLOOR_TLS12_ECDHE_RSA,		/* X25519 + RSA-2048 PKCS#1 sign */
	FLOOR_TLS13_ECDSA,		/* X25519 + ECDSA P-256 sign */
	FLOOR_TLS13_RSA_PSS,		/* X25519 + RSA-2048 PSS sign */
	FLOOR_TLS13_PSK_DHE,		/* X25519 alone: a resumption with ECDHE */
};

static void
run_floor(struct hso_bench *b, enum floor_case fc)
{
	struct bstate kx, sg;
	uint8_t sig[HSO_SIG_MAX], secret[HSO_ECDHE_SECRET_MAX];
	size_t l;
	int bad = 0;
	uint64_t t0, dt;
	double n;

	if (fc == FLOOR_TLS12_RSA_KX) {
		if (bstate_init(b, &kx, BOP_DECRYPT, K_RSA2048, 0) < 0)
			return;
	} else if (fc == FLOOR_TLS13_PSK_DHE) {
		if (bstate_init(b, &kx, BOP_X25519_GEN, -1, 0) < 0)
			return;
	} else {
		static const struct { int k; uint16_t scheme; } sc[] = {
			[FLOOR_TLS12_ECDHE_RSA] = { K_RSA2048, HSO_SIG_RSA_PKCS1_SHA256 },
			[FLOOR_TLS13_ECDSA] = { K_P256, HSO_SIG_ECDSA_P256_SHA256 },
			[FLOOR_TLS13_RSA_PSS] = { K_RSA2048, HSO_SIG_RSA_PSS_RSAE_SHA256 },
		};

		if (bstate_init(b, &kx, BOP_X25519_GEN, -1, 0) < 0)
			return;
		if (bstate_init(b, &sg, BOP_ECDSA, sc[fc].k, sc[fc].scheme) < 0) {
			bstate_fini(&kx);
			return;
		}
	}
	t0 = hso_bench_now_ns();
	while (hso_bench_keep_running(b)) {
		if (fc == FLOOR_TLS12_RSA_KX) {
			bad |= op_ours(&kx);
			continue;
		}
		/* Server key share, shared secret, then the signature. */
		bad |= hso_ecdhe_key_generate(bfx.actx, HSO_GROUP_X25519, &kx.key);
		bad |= hso_ecdhe_key_derive(bfx.actx, &kx.key, kx.peer, kx.peerlen,
					    secret, sizeof(secret), &l);
		if (fc != FLOOR_TLS13_PSK_DHE)
			bad |= hso_asym_sign(bfx.actx, sg.cert, sg.scheme, sg.msg,
					     sizeof(sg.msg), sig, sizeof(sig), &l);
		hso_ecdhe_key_clear(&kx.key);
	}
	dt = hso_bench_now_ns() - t0;
	n = (double)hso_bench_iterations(b);
	hso_bench_set_items(b, hso_bench_iterations(b));
	if (n > 0 && dt > 0) {
		hso_bench_counter(b, "us_per_handshake", (double)dt / n / 1e3,
				  HSO_BENCH_VALUE);
		hso_bench_counter(b, "handshakes_per_s", n * 1e9 / (double)dt,
				  HSO_BENCH_VALUE);
	}
	if (bad)
		hso_bench_fail(b, "operation failed");
	bstate_fini(&kx);
	if (fc != FLOOR_TLS12_RSA_KX && fc != FLOOR_TLS13_PSK_DHE)
		bstate_fini(&sg);
}

static void bm_floor_tls12_rsa_kx(struct hso_bench *b) { run_floor(b, FLOOR_TLS12_RSA_KX); }
static void bm_floor_tls12_ecdhe_rsa(struct hso_bench *b) { run_floor(b, FLOOR_TLS12_ECDHE_RSA); }
static void bm_floor_tls13_ecdsa(struct hso_bench *b) { run_floor(b, FLOOR_TLS13_ECDSA); }
static void bm_floor_tls13_rsa_pss(struct hso_bench *b) { run_floor(b, FLOOR_TLS13_RSA_PSS); }
static void bm_floor_tls13_psk_dhe(struct hso_bench *b) { run_floor(b, FLOOR_TLS13_PSK_DHE); }
HSO_BENCH(bm_floor_tls12_rsa_kx, "asym_floor/tls12_rsa_kx")
HSO_BENCH(bm_floor_tls12_ecdhe_rsa, "asym_floor/tls12_ecdhe_rsa")
HSO_BENCH(bm_floor_tls13_ecdsa, "asym_floor/tls13_x25519_ecdsa_p256")
HSO_BENCH(bm_floor_tls13_rsa_pss, "asym_floor/tls13_x25519_rsa_pss")
HSO_BENCH(bm_floor_tls13_psk_dhe, "asym_floor/tls13_resumed_psk_dhe")

/*
 * bfx is not freed: OpenSSL's own atexit cleanup may run before a
 * destructor would, and the process is ending anyway.
 */
