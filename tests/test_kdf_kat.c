/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Known answers for the batched KDFs: RFC 5869 test cases 1-3 (HKDF-SHA256),
 * the RFC 8448 section 3 simple 1-RTT key schedule (server side, in the two
 * runs a server needs), and TLS 1.2 PRF vectors for P_SHA256 and P_SHA384
 * (the ones from the IETF TLS list), each also cross-checked against
 * OpenSSL's EVP_KDF. Every known answer runs in a batch with unrelated
 * requests of both hashes around it, which are checked against the lean
 * single-buffer path. Also: the pads match ipsec-mb's own one-block hash of
 * key^ipad / key^opad, the layout its HMAC jobs take. Everything runs
 * twice where the CPU has SHA-NI: with it and with the portable path.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "check.h"
#include "crypto.h"
#include "kdf_priv.h"   /* hso_sha_ni_enable */

static struct hso_imb_set imb;

/* ---------------------------------------------------------------- */
/* Unrelated requests mixed into every known-answer batch            */
/* ---------------------------------------------------------------- */

#define NOISE 6

struct noise {
	uint8_t key[NOISE][80];
	uint8_t msg[NOISE][60];
	uint8_t out[NOISE][100];
	struct hso_kdf_req req[NOISE];
};

static void
noise_add(struct hso_kdf_batch *b, struct noise *n, unsigned salt)
{
	for (int i = 0; i < NOISE; i++) {
		struct hso_kdf_req *r = &n->req[i];

		for (size_t j = 0; j < sizeof(n->key[i]); j++)
			n->key[i][j] = (uint8_t)(salt * 31 + i * 7 + j);
		for (size_t j = 0; j < sizeof(n->msg[i]); j++)
			n->msg[i][j] = (uint8_t)(salt * 17 + i * 3 + j * 5);
		memset(r, 0, sizeof(*r));
		r->op = (i % 3 == 0) ? HSO_KDF_OP_PRF : (i % 3 == 1) ?
			HSO_KDF_OP_HMAC : HSO_KDF_OP_EXPAND_LABEL;
		r->hash = (i & 1) ? HSO_KDF_SHA384 : HSO_KDF_SHA256;
		r->key = n->key[i];
		r->key_len = 20 + (size_t)i * 10;
		r->label = (const uint8_t *)"noise";
		r->label_len = 5;
		r->msg = n->msg[i];
		r->msg_len = 10 + (size_t)i * 8;
		r->out = n->out[i];
		r->out_len = 37 + (size_t)i * 11;
		r->dep = HSO_KDF_NO_DEP;
		CHECK(hso_kdf_batch_enqueue(b, r) >= 0);
	}
}

static void
noise_check(const struct noise *n)
{
	for (int i = 0; i < NOISE; i++) {
		const struct hso_kdf_req *r = &n->req[i];
		struct hso_hmac_key k;
		uint8_t want[100];
		size_t len = r->out_len;

		hso_hmac_key_init(&k, r->hash, r->key, r->key_len);
		if (r->op == HSO_KDF_OP_PRF) {
			hso_kdf_prf_lean(&k, "noise", 5, r->msg, r->msg_len, want, len);
		} else if (r->op == HSO_KDF_OP_HMAC) {
			hso_hmac_lean(&k, r->msg, r->msg_len, want);
			len = hso_kdf_hash_len(r->hash);
		} else {
			hso_kdf_expand_label_lean(&k, "noise", 5, r->msg,
						  r->msg_len, want, len);
		}
		CHECK_MEM(r->out, want, len);
	}
}

/* ---------------------------------------------------------------- */
/* OpenSSL references                                                */
/* ---------------------------------------------------------------- */

static void
ossl_hkdf(const char *md, int mode, const uint8_t *key, size_t key_len,
	  const uint8_t *salt, size_t salt_len, const uint8_t *info,
	  size_t info_len, uint8_t *out, size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[6], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, key_len);
	if (salt_len != 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
							 (void *)salt, salt_len);
	if (info_len != 0)
		*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO,
							 (void *)info, info_len);
	*q = OSSL_PARAM_construct_end();
	CHECK(EVP_KDF_derive(c, out, out_len, p) == 1);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
}

static void
ossl_prf(const char *md, const uint8_t *secret, size_t secret_len,
	 const char *label, const uint8_t *seed, size_t seed_len, uint8_t *out,
	 size_t out_len)
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *c = EVP_KDF_CTX_new(kdf);
	OSSL_PARAM p[5], *q = p;

	*q++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)md, 0);
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET,
						 (void *)secret, secret_len);
	/* TLS1-PRF concatenates every seed parameter: label, then seed. */
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
						 (void *)label, strlen(label));
	*q++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED,
						 (void *)seed, seed_len);
	*q = OSSL_PARAM_construct_end();
	CHECK(EVP_KDF_derive(c, out, out_len, p) == 1);
	EVP_KDF_CTX_free(c);
	EVP_KDF_free(kdf);
}

/* ---------------------------------------------------------------- */
/* RFC 5869                                                          */
/* ---------------------------------------------------------------- */

static void
fill_seq(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void
rfc5869_case(struct hso_kdf_batch *b, const char *name, const uint8_t *ikm,
	     size_t ikm_len, const uint8_t *salt, size_t salt_len,
	     const uint8_t *info, size_t info_len, const char *prk_hex,
	     const char *okm_hex)
{
	uint8_t want_prk[32], want_okm[128], prk[32], okm[128], ref[128];
	size_t okm_len = check_unhex(okm_hex, want_okm, sizeof(want_okm));
	struct noise n;
	int ie, ix;

	check_unhex(prk_hex, want_prk, sizeof(want_prk));
	noise_add(b, &n, 1);
	ie = hso_kdf_extract(b, HSO_KDF_SHA256, NULL, salt, salt_len, ikm,
			     ikm_len, prk, HSO_KDF_NO_DEP);
	CHECK(ie >= 0);
	/* The PRK is read when the Expand starts: after the Extract ran. */
	ix = hso_kdf_expand(b, HSO_KDF_SHA256, NULL, prk, sizeof(prk), info,
			    info_len, okm, okm_len, ie);
	CHECK(ix >= 0);
	CHECK_EQ(hso_kdf_batch_run(b), NOISE + 2);
	CHECK_EQ(hso_kdf_batch_count(b), 0);
	CHECK_MSG(memcmp(prk, want_prk, 32) == 0, "%s PRK", name);
	CHECK_MSG(memcmp(okm, want_okm, okm_len) == 0, "%s OKM", name);
	ossl_hkdf("SHA256", EVP_KDF_HKDF_MODE_EXTRACT_AND_EXPAND, ikm, ikm_len,
		  salt, salt_len, info, info_len, ref, okm_len);
	CHECK_MSG(memcmp(ref, want_okm, okm_len) == 0, "%s OpenSSL OKM", name);
	noise_check(&n);
}

static void
test_rfc5869(struct hso_kdf_batch *b)
{
	uint8_t ikm[80], salt[80], info[80];

	/* A.1 Test Case 1: basic test case with SHA-256. */
	memset(ikm, 0x0b, 22);
	fill_seq(salt, 13, 0x00);
	fill_seq(info, 10, 0xf0);
	rfc5869_case(b, "RFC 5869 A.1", ikm, 22, salt, 13, info, 10,
		     "077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5",
		     "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
		     "34007208d5b887185865");
	/* A.2 Test Case 2: longer inputs and outputs. */
	fill_seq(ikm, 80, 0x00);
	fill_seq(salt, 80, 0x60);
	fill_seq(info, 80, 0xb0);
	rfc5869_case(b, "RFC 5869 A.2", ikm, 80, salt, 80, info, 80,
		     "06a6b88c5853361a06104c9ceb35b45cef760014904671014a193f40c15fc244",
		     "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c"
		     "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71"
		     "cc30c58179ec3e87c14c01d5c1f3434f1d87");
	/* A.3 Test Case 3: zero-length salt and info. */
	memset(ikm, 0x0b, 22);
	rfc5869_case(b, "RFC 5869 A.3", ikm, 22, NULL, 0, NULL, 0,
		     "19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04",
		     "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
		     "9d201395faa4b61a96c8");
}

/* ---------------------------------------------------------------- */
/* RFC 8448 section 3: simple 1-RTT handshake, server key schedule   */
/* ---------------------------------------------------------------- */

struct vec {
	const char *name;
	const uint8_t *got;
	const char *hex;
};

static void
check_vecs(const struct vec *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t want[64];
		size_t len = check_unhex(v[i].hex, want, sizeof(want));

		CHECK_MSG(memcmp(v[i].got, want, len) == 0, "RFC 8448 %s", v[i].name);
		if (memcmp(v[i].got, want, len) != 0) {
			check_hexdump("got ", v[i].got, len);
			check_hexdump("want", want, len);
		}
	}
}

static void
test_rfc8448(struct hso_kdf_batch *b)
{
	/* Values printed in RFC 8448 section 3 ("hash" of each derive step). */
	static const char ecdhe_hex[] =
		"8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d";
	static const char th_ch_sh_hex[] =
		"860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8";
	static const char th_ch_sf_hex[] =
		"9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13";
	/*
	 * Transcript-Hash(ClientHello..CertificateVerify), over the messages
	 * the RFC prints; the RFC gives only the verify_data computed from it,
	 * which this test checks, so a wrong hash here cannot pass.
	 */
	static const char th_ch_cv_hex[] =
		"edb7725fa7a3473b031ec8ef65a2485493900138a2b91291407d7951a06110ed";
	uint8_t ecdhe[32], th_ch_sh[32], th_ch_sf[32], th_ch_cv[32], empty_hash[32];
	uint8_t early[32], derived[32], hs[32], chts[32], shts[32], derived2[32];
	uint8_t master[32], s_hs_key[16], s_hs_iv[12], c_hs_key[16], c_hs_iv[12];
	uint8_t s_fk[32], c_fk[32], s_fin[32], cats[32], sats[32], exp_ms[32];
	uint8_t s_ap_key[16], s_ap_iv[12], c_ap_key[16], c_ap_iv[12], c_fin[32];
	static const uint8_t zeros[32];
	struct hso_hmac_key derived_key;
	const enum hso_kdf_hash H = HSO_KDF_SHA256;
	struct noise n;
	int i_hs, i_c, i_s, i_d2, i_sfk;

	/* Derive-Secret(., "derived", "") hashes the empty transcript. */
	CHECK(EVP_Digest("", 0, empty_hash, NULL, EVP_sha256(), NULL) == 1);
	check_unhex(ecdhe_hex, ecdhe, 32);
	check_unhex(th_ch_sh_hex, th_ch_sh, 32);
	check_unhex(th_ch_sf_hex, th_ch_sf, 32);
	check_unhex(th_ch_cv_hex, th_ch_cv, 32);

	/* Connection-independent: once per process. */
	CHECK_EQ(hso_kdf_tls13_nopsk(H, early, derived, &derived_key), 0);

	/*
	 * Run 1, after ServerHello and before the server's Finished: handshake
	 * secret, both handshake traffic secrets, their keys, IVs and finished
	 * keys, the master secret, and the server Finished MAC. Depth 4.
	 */
	noise_add(b, &n, 2);
	i_hs = hso_kdf_extract(b, H, &derived_key, NULL, 0, ecdhe, 32, hs,
			       HSO_KDF_NO_DEP);
	i_c = hso_kdf_expand_label(b, H, NULL, hs, 32, "c hs traffic", 12,
				   th_ch_sh, 32, chts, 32, i_hs);
	i_s = hso_kdf_expand_label(b, H, NULL, hs, 32, "s hs traffic", 12,
				   th_ch_sh, 32, shts, 32, i_hs);
	i_d2 = hso_kdf_expand_label(b, H, NULL, hs, 32, "derived", 7,
				    empty_hash, 32, derived2, 32, i_hs);
	CHECK(hso_kdf_extract(b, H, NULL, derived2, 32, zeros, 32, master, i_d2) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, shts, 32, "key", 3, NULL, 0,
				   s_hs_key, 16, i_s) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, shts, 32, "iv", 2, NULL, 0,
				   s_hs_iv, 12, i_s) >= 0);
	i_sfk = hso_kdf_expand_label(b, H, NULL, shts, 32, "finished", 8, NULL, 0,
				     s_fk, 32, i_s);
	CHECK(hso_kdf_expand_label(b, H, NULL, chts, 32, "key", 3, NULL, 0,
				   c_hs_key, 16, i_c) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, chts, 32, "iv", 2, NULL, 0,
				   c_hs_iv, 12, i_c) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, chts, 32, "finished", 8, NULL, 0,
				   c_fk, 32, i_c) >= 0);
	/* RFC 8446 4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). */
	CHECK(hso_kdf_hmac(b, H, NULL, s_fk, 32, th_ch_cv, 32, s_fin, i_sfk) >= 0);
	CHECK(i_hs >= 0 && i_c >= 0 && i_s >= 0 && i_d2 >= 0 && i_sfk >= 0);
	CHECK_EQ(hso_kdf_batch_run(b), NOISE + 12);
	CHECK_EQ(hso_kdf_batch_last_rounds(b), 4);
	noise_check(&n);

	/*
	 * Run 2, once the server Finished is in the transcript: application
	 * traffic secrets and keys, exporter secret, the client Finished the
	 * server will verify. Depth 2.
	 */
	noise_add(b, &n, 3);
	i_c = hso_kdf_expand_label(b, H, NULL, master, 32, "c ap traffic", 12,
				   th_ch_sf, 32, cats, 32, HSO_KDF_NO_DEP);
	i_s = hso_kdf_expand_label(b, H, NULL, master, 32, "s ap traffic", 12,
				   th_ch_sf, 32, sats, 32, HSO_KDF_NO_DEP);
	CHECK(hso_kdf_expand_label(b, H, NULL, master, 32, "exp master", 10,
				   th_ch_sf, 32, exp_ms, 32, HSO_KDF_NO_DEP) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, sats, 32, "key", 3, NULL, 0,
				   s_ap_key, 16, i_s) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, sats, 32, "iv", 2, NULL, 0,
				   s_ap_iv, 12, i_s) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, cats, 32, "key", 3, NULL, 0,
				   c_ap_key, 16, i_c) >= 0);
	CHECK(hso_kdf_expand_label(b, H, NULL, cats, 32, "iv", 2, NULL, 0,
				   c_ap_iv, 12, i_c) >= 0);
	CHECK(hso_kdf_hmac(b, H, NULL, c_fk, 32, th_ch_sf, 32, c_fin,
			   HSO_KDF_NO_DEP) >= 0);
	CHECK_EQ(hso_kdf_batch_run(b), NOISE + 8);
	CHECK_EQ(hso_kdf_batch_last_rounds(b), 3);
	noise_check(&n);

	const struct vec v[] = {
		{ "early secret", early,
		  "33ad0a1c607ec03b09e6cd9893680ce210adf300aa1f2660e1b22e10f170f92a" },
		{ "derived", derived,
		  "6f2615a108c702c5678f54fc9dbab69716c076189c48250cebeac3576c3611ba" },
		{ "handshake secret", hs,
		  "1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac" },
		{ "c hs traffic", chts,
		  "b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21" },
		{ "s hs traffic", shts,
		  "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38" },
		{ "derived (master)", derived2,
		  "43de77e0c77713859a944db9db2590b53190a65b3ee2e4f12dd7a0bb7ce254b4" },
		{ "master secret", master,
		  "18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919" },
		{ "server handshake key", s_hs_key, "3fce516009c21727d0f2e4e86ee403bc" },
		{ "server handshake iv", s_hs_iv, "5d313eb2671276ee13000b30" },
		{ "client handshake key", c_hs_key, "dbfaa693d1762c5b666af5d950258d01" },
		{ "client handshake iv", c_hs_iv, "5bd3c71b836e0b76bb73265f" },
		{ "server finished key", s_fk,
		  "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8" },
		{ "client finished key", c_fk,
		  "b80ad01015fb2f0bd65ff7d4da5d6bf83f84821d1f87fdc7d3c75b5a7b42d9c4" },
		{ "server Finished verify_data", s_fin,
		  "9b9b141d906337fbd2cbdce71df4deda4ab42c309572cb7fffee5454b78f0718" },
		{ "c ap traffic", cats,
		  "9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5" },
		{ "s ap traffic", sats,
		  "a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643" },
		{ "exp master", exp_ms,
		  "fe22f881176eda18eb8f44529e6792c50c9a3f89452f68d8ae311b4309d3cf50" },
		{ "server application key", s_ap_key, "9f02283b6c9c07efc26bb9f2ac92e356" },
		{ "server application iv", s_ap_iv, "cf782b88dd83549aadf1e984" },
		{ "client application key", c_ap_key, "17422dda596ed5d9acd890e3c63f5051" },
		{ "client application iv", c_ap_iv, "5b78923dee08579033e523d9" },
		{ "client Finished verify_data", c_fin,
		  "a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61" },
	};
	check_vecs(v, sizeof(v) / sizeof(v[0]));

	/* The lean path gives the same. */
	{
		struct hso_hmac_key k;
		uint8_t x[32];

		hso_hmac_key_init(&k, H, hs, 32);
		hso_kdf_expand_label_lean(&k, "s hs traffic", 12, th_ch_sh, 32, x, 32);
		CHECK_MEM(x, shts, 32);
		hso_hmac_key_init(&k, H, s_fk, 32);
		hso_hmac_lean(&k, th_ch_cv, 32, x);
		CHECK_MEM(x, s_fin, 32);
		hso_hmac_key_wipe(&k);
	}
	hso_hmac_key_wipe(&derived_key);
}

/* ---------------------------------------------------------------- */
/* TLS 1.2 PRF                                                       */
/* ---------------------------------------------------------------- */

static void
prf_case(struct hso_kdf_batch *b, enum hso_kdf_hash h, const char *md,
	 const char *secret_hex, const char *seed_hex, const char *out_hex)
{
	uint8_t secret[64], seed[64], want[256], got[256], ref[256], lean[256];
	size_t sl = check_unhex(secret_hex, secret, sizeof(secret));
	size_t dl = check_unhex(seed_hex, seed, sizeof(seed));
	size_t ol = check_unhex(out_hex, want, sizeof(want));
	struct hso_hmac_key k;
	struct noise n;

	noise_add(b, &n, 4);
	CHECK(hso_kdf_prf(b, h, NULL, secret, sl, "test label", 10, seed, dl,
			  got, ol, HSO_KDF_NO_DEP) >= 0);
	CHECK_EQ(hso_kdf_batch_run(b), NOISE + 1);
	noise_check(&n);
	CHECK_MSG(memcmp(got, want, ol) == 0, "PRF %s known answer", md);
	ossl_prf(md, secret, sl, "test label", seed, dl, ref, ol);
	CHECK_MSG(memcmp(ref, want, ol) == 0, "PRF %s OpenSSL TLS1-PRF", md);
	hso_hmac_key_init(&k, h, secret, sl);
	CHECK_EQ(hso_kdf_prf_lean(&k, "test label", 10, seed, dl, lean, ol), 0);
	CHECK_MEM(lean, want, ol);
}

static void
test_prf(struct hso_kdf_batch *b)
{
	prf_case(b, HSO_KDF_SHA256, "SHA256", "9bbe436ba940f017b17652849a71db35",
		 "a0ba9f936cda311827a6f796ffd5198c",
		 "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a"
		 "6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab"
		 "4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701"
		 "87347b66");
	prf_case(b, HSO_KDF_SHA384, "SHA384", "b80b733d6ceefcdc71566ea48e5567df",
		 "cd665cf6a8447dd6ff8b27555edb7465",
		 "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd"
		 "e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd"
		 "8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425"
		 "9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6"
		 "91c8f3a26854308d5eaa3be85e0990703d73e56f");
}

/* ---------------------------------------------------------------- */
/* Pad layout against ipsec-mb's own one-block hash                  */
/* ---------------------------------------------------------------- */

static void
test_pad_layout(void)
{
	IMB_MGR *m256 = hso_imb_mgr(&imb, HSO_IMB_ALG_HMAC_SHA256);
	IMB_MGR *m384 = hso_imb_mgr(&imb, HSO_IMB_ALG_HMAC_SHA384);
	uint8_t key[200], blk[128];
	_Alignas(16) uint8_t st[64];
	struct hso_hmac_key k;

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(i * 13 + 1);
	/* SHA-256: key of 40 bytes, ipad then opad. */
	hso_hmac_key_init(&k, HSO_KDF_SHA256, key, 40);
	memset(blk, 0, 64);
	memcpy(blk, key, 40);
	for (int i = 0; i < 64; i++)
		blk[i] ^= 0x36;
	IMB_SHA256_ONE_BLOCK(m256, blk, st);
	CHECK_MEM(k.ipad, st, 32);
	for (int i = 0; i < 64; i++)
		blk[i] ^= 0x36 ^ 0x5c;
	IMB_SHA256_ONE_BLOCK(m256, blk, st);
	CHECK_MEM(k.opad, st, 32);
	/* SHA-384: key of 100 bytes; the job takes all eight state words. */
	hso_hmac_key_init(&k, HSO_KDF_SHA384, key, 100);
	memset(blk, 0, 128);
	memcpy(blk, key, 100);
	for (int i = 0; i < 128; i++)
		blk[i] ^= 0x36;
	IMB_SHA384_ONE_BLOCK(m384, blk, st);
	CHECK_MEM(k.ipad, st, 64);
	for (int i = 0; i < 128; i++)
		blk[i] ^= 0x36 ^ 0x5c;
	IMB_SHA384_ONE_BLOCK(m384, blk, st);
	CHECK_MEM(k.opad, st, 64);
	hso_hmac_key_wipe(&k);
}

/*
 * ipsec-mb's assembly is not instrumented by ASan: check by hand that the
 * lanes write exactly HashLen bytes (HMAC, Extract) or out_len bytes at the
 * address given and nothing around it.
 */
static void
test_output_bounds(struct hso_kdf_batch *b)
{
	uint8_t buf[6][128], key[32] = { 7 }, msg[40] = { 9 };
	const size_t at = 16;

	memset(buf, 0xee, sizeof(buf));
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++) {
		hso_kdf_hmac(b, (enum hso_kdf_hash)h, NULL, key, 32, msg, 40,
			     buf[3 * h] + at, HSO_KDF_NO_DEP);
		hso_kdf_expand_label(b, (enum hso_kdf_hash)h, NULL, key, 32, "iv", 2,
				     NULL, 0, buf[3 * h + 1] + at, 12, HSO_KDF_NO_DEP);
		hso_kdf_prf(b, (enum hso_kdf_hash)h, NULL, key, 32, "x", 1, msg, 40,
			    buf[3 * h + 2] + at, 61, HSO_KDF_NO_DEP);
	}
	CHECK_EQ(hso_kdf_batch_run(b), 6);
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++) {
		size_t len[3] = { hso_kdf_hash_len((enum hso_kdf_hash)h), 12, 61 };

		for (int j = 0; j < 3; j++) {
			const uint8_t *p = buf[3 * h + j];
			int ok = 1;

			for (size_t i = 0; i < sizeof(buf[0]); i++)
				if ((i < at || i >= at + len[j]) && p[i] != 0xee)
					ok = 0;
			CHECK_MSG(ok, "hash %d request %d wrote outside its output", h, j);
		}
	}
}

int
main(void)
{
	struct hso_kdf_batch *b;
	int rc = hso_imb_set_init(&imb, NULL);

	if (rc != 0) {
		printf("kdf_kat: no ipsec-mb manager (%d)\n", rc);
		return CHECK_SKIP;
	}
	b = hso_kdf_batch_create(&imb, 64);
	CHECK(b != NULL);
	if (b == NULL)
		return check_result("kdf_kat");
	/* Twice: SHA-NI compression for the pads, then the portable path. */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1 && !hso_sha_ni_enable(0))
			break;
		test_pad_layout();
		test_output_bounds(b);
		test_rfc5869(b);
		test_rfc8448(b);
		test_prf(b);
	}
	hso_sha_ni_enable(1);
	hso_kdf_batch_free(b);
	hso_imb_set_free(&imb);
	return check_result("kdf_kat");
}
