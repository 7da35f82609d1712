/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AEAD and TLS record protection (crypto/aead.c): known answers (McGrew-
 * Viega GCM test cases, RFC 8439 2.8.2, RFC 8448 section 3 records), every
 * ipsec-mb architecture the CPU runs, tampering, a cross-check against
 * OpenSSL EVP on random inputs, scatter-gather (segments split at every
 * offset, in place and not) against EVP, record limits and sequence
 * exhaustion.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "crypto.h"

#define BIG (HSO_TLS12_CIPHERTEXT_MAX + 64)

static uint64_t rng = 0x9e3779b97f4a7c15ULL;
/* Reproducible test data: tests/check.h. */
#define rnd() check_rnd(&rng)
#define fill(p, n) check_fill(&rng, (p), (n))
#define all_zero(p, n) check_all_zero((p), (n))




/* ---- OpenSSL reference ------------------------------------------------- */

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

/* Seal with EVP: out = ciphertext || tag. Returns 0 on success. */
static int
evp_seal(enum hso_aead_alg alg, const uint8_t *key, const uint8_t *nonce,
	 const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	 uint8_t *out)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l, ok;

	ok = c != NULL &&
	     EVP_EncryptInit_ex(c, evp_cipher(alg), NULL, key, nonce) == 1 &&
	     (aad_len == 0 ||
	      EVP_EncryptUpdate(c, NULL, &l, aad, (int)aad_len) == 1) &&
	     (len == 0 || EVP_EncryptUpdate(c, out, &l, in, (int)len) == 1) &&
	     EVP_EncryptFinal_ex(c, out + len, &l) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + len) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* ---- known answers ----------------------------------------------------- */

struct kat {
	const char *name;
	enum hso_aead_alg alg;
	const char *key, *iv, *aad, *pt, *ct, *tag;
};

#define GCM_P "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
	      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_P64 GCM_P "1aafd255"
#define GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define GCM_K "feffe9928665731c6d6a8f9467308308"

static const struct kat kats[] = {
	/* McGrew & Viega, "The Galois/Counter Mode of Operation", appendix B. */
	{ "gcm tc2", HSO_AEAD_AES128_GCM, "00000000000000000000000000000000",
	  "000000000000000000000000", "", "00000000000000000000000000000000",
	  "0388dace60b6a392f328c2b971b2fe78",
	  "ab6e47d42cec13bdf53a67b21257bddf" },
	{ "gcm tc3", HSO_AEAD_AES128_GCM, GCM_K, "cafebabefacedbaddecaf888", "",
	  GCM_P64,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985",
	  "4d5c2af327cd64a62cf35abd2ba6fab4" },
	{ "gcm tc4", HSO_AEAD_AES128_GCM, GCM_K, "cafebabefacedbaddecaf888",
	  GCM_A, GCM_P,
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "gcm tc14", HSO_AEAD_AES256_GCM,
	  "0000000000000000000000000000000000000000000000000000000000000000",
	  "000000000000000000000000", "", "00000000000000000000000000000000",
	  "cea7403d4d606b6e074ec5d3baf39d18",
	  "d0d1c8a799996bf0265b98b5d48ab919" },
	{ "gcm tc15", HSO_AEAD_AES256_GCM, GCM_K GCM_K,
	  "cafebabefacedbaddecaf888", "", GCM_P64,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad",
	  "b094dac5d93471bdec1a502270e3cc6c" },
	{ "gcm tc16", HSO_AEAD_AES256_GCM, GCM_K GCM_K,
	  "cafebabefacedbaddecaf888", GCM_A, GCM_P,
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
	/* RFC 8439 2.8.2: "Ladies and Gentlemen of the class of '99: ..." */
	{ "rfc8439 2.8.2", HSO_AEAD_CHACHA20_POLY1305,
	  "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f",
	  "070000004041424344454647", "50515253c0c1c2c3c4c5c6c7",
	  "4c616469657320616e642047656e746c656d656e206f662074686520636c6173"
	  "73206f66202739393a204966204920636f756c64206f6666657220796f75206f"
	  "6e6c79206f6e652074697020666f7220746865206675747572652c2073756e73"
	  "637265656e20776f756c642062652069742e",
	  "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	  "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	  "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	  "3ff4def08e4b7a9de576d26586cec64b6116",
	  "1ae10b594f09e26a7e902ecbd0600691" },
};

static void
test_kats(const struct hso_imb_set *set, const char *arch)
{
	for (size_t t = 0; t < sizeof(kats) / sizeof(kats[0]); t++) {
		const struct kat *v = &kats[t];
		uint8_t key[32], iv[12], aad[64], pt[128], ct[128], tag[16];
		uint8_t out[160], back[160];
		size_t kl = check_unhex(v->key, key, sizeof(key));
		size_t al = check_unhex(v->aad, aad, sizeof(aad));
		size_t pl = check_unhex(v->pt, pt, sizeof(pt));
		struct hso_aead_key k;
		int rc;

		check_unhex(v->iv, iv, sizeof(iv));
		check_unhex(v->ct, ct, sizeof(ct));
		check_unhex(v->tag, tag, sizeof(tag));
		CHECK_EQ(hso_aead_key_init(&k, set, v->alg, key, kl), 0);
		rc = hso_aead_seal(&k, iv, aad, al, pt, pl, out);
		CHECK_MSG(rc == (int)(pl + 16), "%s/%s seal rc %d", v->name, arch, rc);
		CHECK_MSG(memcmp(out, ct, pl) == 0, "%s/%s ciphertext", v->name, arch);
		CHECK_MSG(memcmp(out + pl, tag, 16) == 0, "%s/%s tag", v->name, arch);
		rc = hso_aead_open(&k, iv, aad, al, out, pl + 16, back);
		CHECK_MSG(rc == (int)pl && memcmp(back, pt, pl) == 0,
			  "%s/%s open rc %d", v->name, arch, rc);
		/* In place, both ways. */
		memcpy(back, pt, pl);
		hso_aead_seal(&k, iv, aad, al, back, pl, back);
		CHECK_MSG(memcmp(back, out, pl + 16) == 0, "%s/%s in-place seal",
			  v->name, arch);
		rc = hso_aead_open(&k, iv, aad, al, back, pl + 16, back);
		CHECK_MSG(rc == (int)pl && memcmp(back, pt, pl) == 0,
			  "%s/%s in-place open", v->name, arch);
		/* The reference agrees with the vector too. */
		CHECK_EQ(evp_seal(v->alg, key, iv, aad, al, pt, pl, back), 0);
		CHECK_MSG(memcmp(back, out, pl + 16) == 0, "%s: openssl", v->name);
		hso_aead_key_wipe(&k);
		CHECK(all_zero((const uint8_t *)&k, sizeof(k)));
	}
}

/* Tag, ciphertext and additional data tampered: -EBADMSG, output wiped. */
static void
test_tamper(const struct hso_imb_set *set)
{
	for (int alg = 0; alg < HSO_AEAD_ALG_NUM; alg++) {
		uint8_t key[32], nonce[12], aad[13], pt[100], ct[116], bad[116];
		uint8_t out[116];
		struct hso_aead_key k;

		fill(key, sizeof(key));
		fill(nonce, sizeof(nonce));
		fill(aad, sizeof(aad));
		fill(pt, sizeof(pt));
		CHECK_EQ(hso_aead_key_init(&k, set, (enum hso_aead_alg)alg, key,
					   hso_aead_key_len((enum hso_aead_alg)alg)), 0);
		CHECK_EQ(hso_aead_seal(&k, nonce, aad, sizeof(aad), pt,
				       sizeof(pt), ct), 116);
		for (int where = 0; where < 3; where++) {
			uint8_t a2[13];

			memcpy(bad, ct, sizeof(ct));
			memcpy(a2, aad, sizeof(aad));
			if (where == 0)
				bad[100 + rnd() % 16] ^= 0x01;  /* tag */
			else if (where == 1)
				bad[rnd() % 100] ^= 0x80;       /* ciphertext */
			else
				a2[rnd() % 13] ^= 0x10;         /* aad */
			memset(out, 0xa5, sizeof(out));
			CHECK_EQ(hso_aead_open(&k, nonce, a2, sizeof(a2), bad,
					       sizeof(bad), out), -EBADMSG);
			CHECK_MSG(all_zero(out, 100), "alg %d where %d: output "
				  "not wiped", alg, where);
			/* In place: the buffer's plaintext part is wiped. */
			CHECK_EQ(hso_aead_open(&k, nonce, a2, sizeof(a2), bad,
					       sizeof(bad), bad), -EBADMSG);
			CHECK(all_zero(bad, 100));
		}
		/* Wrong nonce, short input. */
		nonce[0] ^= 1;
		CHECK_EQ(hso_aead_open(&k, nonce, aad, sizeof(aad), ct,
				       sizeof(ct), out), -EBADMSG);
		CHECK_EQ(hso_aead_open(&k, nonce, aad, sizeof(aad), ct, 15, out),
			 -EBADMSG);
		hso_aead_key_wipe(&k);
	}
}

/* Random inputs, all three algorithms, lengths 0..2^14, against EVP. */
static void
test_xcheck(const struct hso_imb_set *set)
{
	static uint8_t pt[16400], ours[16400 + 16], ref[16400 + 16], back[16400 + 16];
	static const size_t fixed[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64,
					65, 127, 128, 129, 255, 256, 257, 511,
					1400, 4095, 4096, 8191, 16383, 16384 };
	const size_t nfix = sizeof(fixed) / sizeof(fixed[0]);
	int mismatches = 0;

	for (int alg = 0; alg < HSO_AEAD_ALG_NUM; alg++) {
		for (size_t t = 0; t < nfix + 120; t++) {
			size_t len = t < nfix ? fixed[t] : rnd() % 16385;
			size_t al = rnd() % 40;
			uint8_t key[32], nonce[12], aad[40];
			struct hso_aead_key k;
			int rc;

			fill(key, sizeof(key));
			fill(nonce, sizeof(nonce));
			fill(aad, al);
			fill(pt, len);
			hso_aead_key_init(&k, set, (enum hso_aead_alg)alg, key,
					  hso_aead_key_len((enum hso_aead_alg)alg));
			rc = hso_aead_seal(&k, nonce, aad, al, pt, len, ours);
			CHECK_EQ(evp_seal((enum hso_aead_alg)alg, key, nonce, aad,
					  al, pt, len, ref), 0);
			if (rc != (int)(len + 16) ||
			    memcmp(ours, ref, len + 16) != 0) {
				mismatches++;
				fprintf(stderr, "xcheck alg %d len %zu aad %zu\n",
					alg, len, al);
			}
			/* Open OpenSSL's output, out of place and in place. */
			rc = hso_aead_open(&k, nonce, aad, al, ref, len + 16, back);
			CHECK(rc == (int)len && memcmp(back, pt, len) == 0);
			rc = hso_aead_open(&k, nonce, aad, al, ref, len + 16, ref);
			CHECK(rc == (int)len && memcmp(ref, pt, len) == 0);
			/* In-place seal. */
			memcpy(back, pt, len);
			hso_aead_seal(&k, nonce, aad, al, back, len, back);
			CHECK(memcmp(back, ours, len + 16) == 0);
			hso_aead_key_wipe(&k);
		}
	}
	CHECK_EQ(mismatches, 0);
}

/* ---- Scatter-gather ----------------------------------------------------- */

/* Cut @p len bytes at @p buf into segments at the cut points in @p cuts. */
static unsigned
cut(uint8_t *buf, size_t len, const size_t *cuts, unsigned n_cuts, struct iovec *v)
{
	size_t at = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < n_cuts; i++) {
		size_t c = cuts[i] < len ? cuts[i] : len;

		if (c < at)
			c = at;
		v[n++] = (struct iovec){ buf + at, c - at };
		at = c;
	}
	v[n++] = (struct iovec){ buf + at, len - at };
	return n;
}

/*
 * Segmented seal and open against OpenSSL's one-shot result: every split
 * point of a message into two input segments (with empty segments at the
 * ends), output split elsewhere, in place; random many-way splits of
 * records up to 2^14; a wrong tag wipes what was written.
 */
static void
test_sgl(const struct hso_imb_set *set, const char *arch)
{
	static uint8_t pt[16384], ref[16384 + 16], a[16384], b[16384];
	uint8_t key[32], nonce[12], aad[13], tag[16];
	struct iovec vi[40], vo[40];
	int bad = 0;

	for (int alg = 0; alg < HSO_AEAD_ALG_NUM; alg++) {
		struct hso_aead_key k;
		size_t len = 300;

		fill(key, sizeof(key));
		fill(nonce, sizeof(nonce));
		fill(aad, sizeof(aad));
		fill(pt, sizeof(pt));
		CHECK_EQ(hso_aead_key_init(&k, set, (enum hso_aead_alg)alg, key,
					   hso_aead_key_len((enum hso_aead_alg)alg)), 0);
		CHECK_EQ(evp_seal((enum hso_aead_alg)alg, key, nonce, aad, sizeof(aad), pt,
				  len, ref), 0);
		/* Every two-way split, input and output cut at different places. */
		for (size_t at = 0; at <= len; at++) {
			size_t ci[2] = { 0, at }, co[1] = { (at * 7 + 3) % (len + 1) };
			unsigned ni = cut(pt, len, ci, 2, vi), no = cut(a, len, co, 1, vo);
			int rc;

			memset(a, 0, len);
			rc = hso_aead_seal_sgl(&k, nonce, aad, sizeof(aad), vi, ni, vo, no, tag);
			if (rc != (int)len || memcmp(a, ref, len) != 0 ||
			    memcmp(tag, ref + len, 16) != 0)
				bad++;
			/* Open it back in place, cut at yet another point. */
			co[0] = (at * 13 + 5) % (len + 1);
			no = cut(a, len, co, 1, vo);
			rc = hso_aead_open_sgl(&k, nonce, aad, sizeof(aad), vo, no, NULL, 0,
					       ref + len);
			if (rc != (int)len || memcmp(a, pt, len) != 0)
				bad++;
		}
		/* Many-way random splits up to a full record, in place and not. */
		for (int t = 0; t < 40; t++) {
			size_t cuts[30];
			unsigned nc = 1 + (unsigned)(rnd() % 29), ni, no;
			int rc;

			len = t == 0 ? 16384 : rnd() % 16385;
			for (unsigned i = 0; i < nc; i++)
				cuts[i] = len ? rnd() % (len + 1) : 0;
			for (unsigned i = 1; i < nc; i++)      /* sorted */
				for (unsigned j = i; j > 0 && cuts[j] < cuts[j - 1]; j--) {
					size_t x = cuts[j];

					cuts[j] = cuts[j - 1];
					cuts[j - 1] = x;
				}
			CHECK_EQ(evp_seal((enum hso_aead_alg)alg, key, nonce, aad, sizeof(aad),
					  pt, len, ref), 0);
			memcpy(b, pt, len);
			ni = cut(b, len, cuts, nc, vi);
			rc = hso_aead_seal_sgl(&k, nonce, aad, sizeof(aad), vi, ni, NULL, 0, tag);
			if (rc != (int)len || memcmp(b, ref, len) != 0 ||
			    memcmp(tag, ref + len, 16) != 0)
				bad++;
			no = cut(a, len, cuts + nc / 2, nc - nc / 2, vo);
			rc = hso_aead_open_sgl(&k, nonce, aad, sizeof(aad), vi, ni, vo, no, tag);
			if (rc != (int)len || memcmp(a, pt, len) != 0)
				bad++;
			/* A flipped tag bit: -EBADMSG and nothing left in the output. */
			tag[len % 16] ^= 0x80;
			rc = hso_aead_open_sgl(&k, nonce, aad, sizeof(aad), vi, ni, vo, no, tag);
			if (rc != -EBADMSG || !all_zero(a, len))
				bad++;
		}
		/* Output shorter than the input; NULL arguments. */
		vi[0] = (struct iovec){ pt, 100 };
		vo[0] = (struct iovec){ a, 99 };
		CHECK_EQ(hso_aead_seal_sgl(&k, nonce, aad, sizeof(aad), vi, 1, vo, 1, tag),
			 -ENOBUFS);
		CHECK_EQ(hso_aead_seal_sgl(&k, NULL, aad, sizeof(aad), vi, 1, NULL, 0, tag),
			 -EINVAL);
		hso_aead_key_wipe(&k);
	}
	CHECK_MSG(bad == 0, "%s: %d scatter-gather mismatches", arch, bad);
}

/* ---- RFC 8448 section 3 records ---------------------------------------- */

/* {server} send handshake record: EE, Certificate, CertificateVerify,
 * Finished under the server handshake key, sequence 0 (679 octets). */
static const char s_hs_record[] =
	"17 03 03 02 a2 d1 ff 33 4a 56 f5 bf"
	"f6 59 4a 07 cc 87 b5 80 23 3f 50 0f 45 e4 89 e7 f3 3a f3 5e df"
	"78 69 fc f4 0a a4 0a a2 b8 ea 73 f8 48 a7 ca 07 61 2e f9 f9 45"
	"cb 96 0b 40 68 90 51 23 ea 78 b1 11 b4 29 ba 91 91 cd 05 d2 a3"
	"89 28 0f 52 61 34 aa dc 7f c7 8c 4b 72 9d f8 28 b5 ec f7 b1 3b"
	"d9 ae fb 0e 57 f2 71 58 5b 8e a9 bb 35 5c 7c 79 02 07 16 cf b9"
	"b1 18 3e f3 ab 20 e3 7d 57 a6 b9 d7 47 76 09 ae e6 e1 22 a4 cf"
	"51 42 73 25 25 0c 7d 0e 50 92 89 44 4c 9b 3a 64 8f 1d 71 03 5d"
	"2e d6 5b 0e 3c dd 0c ba e8 bf 2d 0b 22 78 12 cb b3 60 98 72 55"
	"cc 74 41 10 c4 53 ba a4 fc d6 10 92 8d 80 98 10 e4 b7 ed 1a 8f"
	"d9 91 f0 6a a6 24 82 04 79 7e 36 a6 a7 3b 70 a2 55 9c 09 ea d6"
	"86 94 5b a2 46 ab 66 e5 ed d8 04 4b 4c 6d e3 fc f2 a8 94 41 ac"
	"66 27 2f d8 fb 33 0e f8 19 05 79 b3 68 45 96 c9 60 bd 59 6e ea"
	"52 0a 56 a8 d6 50 f5 63 aa d2 74 09 96 0d ca 63 d3 e6 88 61 1e"
	"a5 e2 2f 44 15 cf 95 38 d5 1a 20 0c 27 03 42 72 96 8a 26 4e d6"
	"54 0c 84 83 8d 89 f7 2c 24 46 1a ad 6d 26 f5 9e ca ba 9a cb bb"
	"31 7b 66 d9 02 f4 f2 92 a3 6a c1 b6 39 c6 37 ce 34 31 17 b6 59"
	"62 22 45 31 7b 49 ee da 0c 62 58 f1 00 d7 d9 61 ff b1 38 64 7e"
	"92 ea 33 0f ae ea 6d fa 31 c7 a8 4d c3 bd 7e 1b 7a 6c 71 78 af"
	"36 87 90 18 e3 f2 52 10 7f 24 3d 24 3d c7 33 9d 56 84 c8 b0 37"
	"8b f3 02 44 da 8c 87 c8 43 f5 e5 6e b4 c5 e8 28 0a 2b 48 05 2c"
	"f9 3b 16 49 9a 66 db 7c ca 71 e4 59 94 26 f7 d4 61 e6 6f 99 88"
	"2b d8 9f c5 08 00 be cc a6 2d 6c 74 11 6d bd 29 72 fd a1 fa 80"
	"f8 5d f8 81 ed be 5a 37 66 89 36 b3 35 58 3b 59 91 86 dc 5c 69"
	"18 a3 96 fa 48 a1 81 d6 b6 fa 4f 9d 62 d5 13 af bb 99 2f 2b 99"
	"2f 67 f8 af e6 7f 76 91 3f a3 88 cb 56 30 c8 ca 01 e0 c6 5d 11"
	"c6 6a 1e 2a c4 c8 59 77 b7 c7 a6 99 9b bf 10 dc 35 ae 69 f5 51"
	"56 14 63 6c 0b 9b 68 c1 9e d2 e3 1c 0b 3b 66 76 30 38 eb ba 42"
	"f3 b3 8e dc 03 99 f3 a9 f2 3f aa 63 97 8c 31 7f c9 fa 66 a7 3f"
	"60 f0 50 4d e9 3b 5b 84 5e 27 55 92 c1 23 35 ee 34 0b bc 4f dd"
	"d5 02 78 40 16 e4 b3 be 7e f0 4d da 49 f4 b4 40 a3 0c b5 d2 af"
	"93 98 28 fd 4a e3 79 4e 44 f9 4d f5 a6 31 ed e4 2c 17 19 bf da"
	"bf 02 53 fe 51 75 be 89 8e 75 0e dc 53 37 0d 2b";

/* Its content: the four handshake messages (657 octets). */
static const char s_hs_content[] =
	"08 00 00 24 00 22 00 0a 00 14 00 12 00 1d"
	"00 17 00 18 00 19 01 00 01 01 01 02 01 03 01 04 00 1c 00 02 40"
	"01 00 00 00 00 0b 00 01 b9 00 00 01 b5 00 01 b0 30 82 01 ac 30"
	"82 01 15 a0 03 02 01 02 02 01 02 30 0d 06 09 2a 86 48 86 f7 0d"
	"01 01 0b 05 00 30 0e 31 0c 30 0a 06 03 55 04 03 13 03 72 73 61"
	"30 1e 17 0d 31 36 30 37 33 30 30 31 32 33 35 39 5a 17 0d 32 36"
	"30 37 33 30 30 31 32 33 35 39 5a 30 0e 31 0c 30 0a 06 03 55 04"
	"03 13 03 72 73 61 30 81 9f 30 0d 06 09 2a 86 48 86 f7 0d 01 01"
	"01 05 00 03 81 8d 00 30 81 89 02 81 81 00 b4 bb 49 8f 82 79 30"
	"3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26 d3 90 1a"
	"24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c 1a f1 9e"
	"aa 6a f9 8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01"
	"8c 3e 0b 63 26 4d 44 9a 6d 38 e2 2a 5f da 43 08 46 74 80 30 53"
	"0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1 d0 3e 2b d1 93 ef f0 ab"
	"9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f 02 03 01 00 01"
	"a3 1a 30 18 30 09 06 03 55 1d 13 04 02 30 00 30 0b 06 03 55 1d"
	"0f 04 04 03 02 05 a0 30 0d 06 09 2a 86 48 86 f7 0d 01 01 0b 05"
	"00 03 81 81 00 85 aa d2 a0 e5 b9 27 6b 90 8c 65 f7 3a 72 67 17"
	"06 18 a5 4c 5f 8a 7b 33 7d 2d f7 a5 94 36 54 17 f2 ea e8 f8 a5"
	"8c 8f 81 72 f9 31 9c f3 6b 7f d6 c5 5b 80 f2 1a 03 01 51 56 72"
	"60 96 fd 33 5e 5e 67 f2 db f1 02 70 2e 60 8c ca e6 be c1 fc 63"
	"a4 2a 99 be 5c 3e b7 10 7c 3c 54 e9 b9 eb 2b d5 20 3b 1c 3b 84"
	"e0 a8 b2 f7 59 40 9b a3 ea c9 d9 1d 40 2d cc 0c c8 f8 96 12 29"
	"ac 91 87 b4 2b 4d e1 00 00 0f 00 00 84 08 04 00 80 5a 74 7c 5d"
	"88 fa 9b d2 e5 5a b0 85 a6 10 15 b7 21 1f 82 4c d4 84 14 5a b3"
	"ff 52 f1 fd a8 47 7b 0b 7a bc 90 db 78 e2 d3 3a 5c 14 1a 07 86"
	"53 fa 6b ef 78 0c 5e a2 48 ee aa a7 85 c4 f3 94 ca b6 d3 0b be"
	"8d 48 59 ee 51 1f 60 29 57 b1 54 11 ac 02 76 71 45 9e 46 44 5c"
	"9e a5 8c 18 1e 81 8e 95 b8 c3 fb 0b f3 27 84 09 d3 be 15 2a 3d"
	"a5 04 3e 06 3d da 65 cd f5 ae a2 0d 53 df ac d4 2f 74 f3 14 00"
	"00 20 9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4 2c"
	"30 95 72 cb 7f ff ee 54 54 b7 8f 07 18";

/* {client} send handshake record: client Finished, client handshake key,
 * sequence 0 (58 octets). */
static const char c_fin_record[] =
	"17 03 03 00 35 75 ec 4d c2 38 cc e6 0b 29 80 44 a7 1e 21 9c"
	"56 cc 77 b0 51 7f e9 b9 3c 7a 4b fc 44 d8 7f 38 f8 03 38 ac"
	"98 fc 46 de b3 84 bd 1c ae ac ab 68 67 d7 26 c4 05 46";
static const char c_fin_content[] =
	"14 00 00 20 a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03"
	"9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61";

/* {server} send application_data record: 00 01 .. 31 under the server
 * application key, sequence 1 (sequence 0 carried the NewSessionTicket). */
static const char s_app_record[] =
	"17 03 03 00 43 2e 93 7e 11 ef 4a c7 40 e5 38 ad 36 00 5f c4"
	"a4 69 32 fc 32 25 d0 5f 82 aa 1b 36 e3 0e fa f9 7d 90 e6 df"
	"fc 60 2d cb 50 1a 59 a8 fc c4 9c 4b f2 e5 f0 a2 1c 00 47 c2"
	"ab f3 32 54 0d d0 32 e1 67 c2 95 5d";
/* {server} send alert record: close_notify, sequence 2. */
static const char s_alert_record[] =
	"17 03 03 00 13 b5 8f d6 71 66 eb f5 99 d2 47 20 cf be 7e fa 7a 88 64 a9";

static void
rfc8448_init(struct hso_record_prot *rp, const struct hso_imb_set *set,
	     const char *key_hex, const char *iv_hex)
{
	uint8_t key[16], iv[12];

	check_unhex(key_hex, key, sizeof(key));
	check_unhex(iv_hex, iv, sizeof(iv));
	CHECK_EQ(hso_record_prot_init(rp, set, HSO_TLS13, HSO_AEAD_AES128_GCM,
				      key, 16, iv, 12), 0);
}

static void
test_rfc8448(const struct hso_imb_set *set)
{
	static uint8_t rec[1024], content[1024], out[1024];
	struct hso_record_prot w, r;
	size_t rl, cl;
	uint8_t type, nonce[12], want_nonce[12];
	int rc;

	/* Server handshake traffic, sequence 0. */
	rl = check_unhex(s_hs_record, rec, sizeof(rec));
	cl = check_unhex(s_hs_content, content, sizeof(content));
	CHECK_EQ(rl, 679);
	CHECK_EQ(cl, 657);
	rfc8448_init(&w, set, "3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc",
		     "5d 31 3e b2 67 12 76 ee 13 00 0b 30");
	r = w;
	hso_record_prot_nonce(&w, 0, nonce);
	check_unhex("5d 31 3e b2 67 12 76 ee 13 00 0b 30", want_nonce, 12);
	CHECK_MEM(nonce, want_nonce, 12);
	rc = hso_tls13_record_seal(&w, 22, content, cl, 0, out, sizeof(out));
	CHECK_EQ(rc, 679);
	CHECK_MEM(out, rec, rl);
	CHECK_EQ(hso_record_prot_seq(&w), 1);
	rc = hso_tls13_record_open(&r, rec, rl, out, &type);
	CHECK_EQ(rc, 657);
	CHECK_EQ(type, 22);
	CHECK_MEM(out, content, cl);

	/* Client Finished under the client handshake key, opened in place. */
	rl = check_unhex(c_fin_record, rec, sizeof(rec));
	cl = check_unhex(c_fin_content, content, sizeof(content));
	rfc8448_init(&r, set, "db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01",
		     "5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f");
	w = r;
	rc = hso_tls13_record_seal(&w, 22, content, cl, 0, out, sizeof(out));
	CHECK_EQ(rc, (int)rl);
	CHECK_MEM(out, rec, rl);
	rc = hso_tls13_record_open(&r, rec, rl, rec + 5, &type);
	CHECK_EQ(rc, (int)cl);
	CHECK_EQ(type, 22);
	CHECK_MEM(rec + 5, content, cl);

	/* Server application traffic, sequences 1 and 2: the nonce is the IV
	 * XOR the padded sequence number. Sealed in place. */
	rfc8448_init(&w, set, "9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56",
		     "cf 78 2b 88 dd 83 54 9a ad f1 e9 84");
	CHECK_EQ(hso_record_prot_set_seq(&w, 1), 0);
	r = w;
	hso_record_prot_nonce(&w, 1, nonce);
	check_unhex("cf 78 2b 88 dd 83 54 9a ad f1 e9 85", want_nonce, 12);
	CHECK_MEM(nonce, want_nonce, 12);
	for (int i = 0; i < 50; i++)
		out[5 + i] = (uint8_t)i;
	rc = hso_tls13_record_seal(&w, 23, out + 5, 50, 0, out, sizeof(out));
	rl = check_unhex(s_app_record, rec, sizeof(rec));
	CHECK_EQ(rc, (int)rl);
	CHECK_MEM(out, rec, rl);
	content[0] = 1;         /* alert: warning(1), close_notify(0) */
	content[1] = 0;
	rc = hso_tls13_record_seal(&w, 21, content, 2, 0, out, sizeof(out));
	rl = check_unhex(s_alert_record, rec, sizeof(rec));
	CHECK_EQ(rc, (int)rl);
	CHECK_MEM(out, rec, rl);
	/* The reader follows: 1 then 2. */
	rl = check_unhex(s_app_record, rec, sizeof(rec));
	rc = hso_tls13_record_open(&r, rec, rl, out, &type);
	CHECK_EQ(rc, 50);
	CHECK_EQ(type, 23);
	CHECK(out[0] == 0 && out[49] == 49);
	rl = check_unhex(s_alert_record, rec, sizeof(rec));
	rc = hso_tls13_record_open(&r, rec, rl, out, &type);
	CHECK_EQ(rc, 2);
	CHECK_EQ(type, 21);
	CHECK_EQ(hso_record_prot_seq(&r), 3);
	/* Replaying a record fails: the sequence moved on. */
	rc = hso_tls13_record_open(&r, rec, rl, out, &type);
	CHECK_EQ(rc, -EBADMSG);
	hso_record_prot_wipe(&w);
	hso_record_prot_wipe(&r);
}

/* ---- TLS 1.3 record rules ---------------------------------------------- */

/* A record whose inner plaintext is @p inner, made with the low-level AEAD
 * so it can break the rules the record seal enforces. */
static size_t
forge13(struct hso_record_prot *w, const uint8_t *inner, size_t len,
	uint8_t *out)
{
	uint8_t nonce[12];
	size_t ct = len + 16;

	out[0] = 23;
	out[1] = 3;
	out[2] = 3;
	out[3] = (uint8_t)(ct >> 8);
	out[4] = (uint8_t)ct;
	hso_record_prot_nonce(w, hso_record_prot_seq(w), nonce);
	hso_aead_seal(&w->key, nonce, out, 5, inner, len, out + 5);
	return 5 + ct;
}

static void
test_tls13_rules(const struct hso_imb_set *set)
{
	static uint8_t data[BIG], rec[BIG], out[BIG];
	uint8_t key[32], iv[12], type;
	struct hso_record_prot w, r;
	int rc;

	for (int alg = 0; alg < HSO_AEAD_ALG_NUM; alg++) {
		size_t kl = hso_aead_key_len((enum hso_aead_alg)alg);

		fill(key, kl);
		fill(iv, 12);
		CHECK_EQ(hso_record_prot_init(&w, set, HSO_TLS13,
					      (enum hso_aead_alg)alg, key, kl,
					      iv, 12), 0);
		r = w;

		/* Padding is stripped and the type found. */
		fill(data, 100);
		rc = hso_tls13_record_seal(&w, 22, data, 100, 37, rec, sizeof(rec));
		CHECK_EQ(rc, 5 + 100 + 1 + 37 + 16);
		rc = hso_tls13_record_open(&r, rec, (size_t)rc, out, &type);
		CHECK_EQ(rc, 100);
		CHECK_EQ(type, 22);
		CHECK_MEM(out, data, 100);

		/* Limits on seal: 2^14 of content and padding together. */
		CHECK_EQ(hso_tls13_record_seal(&w, 23, data, 16385, 0, rec,
					       sizeof(rec)), -EMSGSIZE);
		CHECK_EQ(hso_tls13_record_seal(&w, 23, data, 16384, 1, rec,
					       sizeof(rec)), -EMSGSIZE);
		CHECK_EQ(hso_tls13_record_seal(&w, 23, data, 100, 0, rec, 121),
			 -ENOBUFS);
		fill(data, 16384);
		rc = hso_tls13_record_seal(&w, 23, data, 16384, 0, rec, sizeof(rec));
		CHECK_EQ(rc, HSO_TLS13_RECORD_MAX);
		rc = hso_tls13_record_open(&r, rec, (size_t)rc, rec + 5, &type);
		CHECK_EQ(rc, 16384);
		CHECK_MEM(rec + 5, data, 16384);
		rc = hso_tls13_record_seal(&w, 23, data, 0, 16384, rec, sizeof(rec));
		CHECK_EQ(rc, 5 + 16385 + 16);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type), 0);
		CHECK_EQ(type, 23);

		/* record_overflow: inner plaintext of 2^14 + 2 (authentic). */
		memset(data, 0, 16386);
		data[0] = 23;
		rc = (int)forge13(&r, data, 16386, rec);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type),
			 -EMSGSIZE);
		/* ... and a length over 2^14 + 256 before any decryption. */
		rec[3] = (uint8_t)((HSO_TLS13_CIPHERTEXT_MAX + 1) >> 8);
		rec[4] = (uint8_t)(HSO_TLS13_CIPHERTEXT_MAX + 1);
		CHECK_EQ(hso_tls13_record_open(&r, rec,
					       5 + HSO_TLS13_CIPHERTEXT_MAX + 1,
					       out, &type), -EMSGSIZE);

		/* unexpected_message: all-zero inner plaintext, an empty one,
		 * a zero-length handshake or alert; output wiped. */
		memset(data, 0, 64);
		rc = (int)forge13(&r, data, 64, rec);
		memset(out, 0xee, 64);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type),
			 -EPROTO);
		CHECK(all_zero(out, 64));
		rc = (int)forge13(&r, data, 0, rec);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type),
			 -EPROTO);
		data[0] = 22;
		rc = (int)forge13(&r, data, 5, rec);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type),
			 -EPROTO);
		data[0] = 21;
		rc = (int)forge13(&r, data, 1, rec);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type),
			 -EPROTO);
		/* Empty application data is allowed. */
		data[0] = 23;
		rc = (int)forge13(&r, data, 3, rec);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type), 0);
		CHECK_EQ(type, 23);

		/* Outer type must be application_data; header length must
		 * match; shorter than a tag is bad_record_mac. */
		rc = (int)forge13(&r, data, 3, rec);
		rec[0] = 22;
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type),
			 -EPROTO);
		rec[0] = 23;
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc - 1, out, &type),
			 -EINVAL);
		rec[3] = 0;
		rec[4] = 10;
		CHECK_EQ(hso_tls13_record_open(&r, rec, 15, out, &type), -EBADMSG);
		/* Tampered header (it is the additional data). */
		rc = (int)forge13(&r, data, 3, rec);
		rec[2] = 1;
		memset(out, 0xee, 3);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type),
			 -EBADMSG);
		CHECK(all_zero(out, 3));

		/* A TLS 1.3 state cannot seal TLS 1.2 records. */
		CHECK_EQ(hso_tls12_record_seal(&w, 23, 0x0303, data, 3, rec,
					       sizeof(rec)), -EINVAL);
	}
	hso_record_prot_wipe(&w);
	hso_record_prot_wipe(&r);
}

/* Sequence exhaustion: 2^64 - 1 is the last number; then -EOVERFLOW. */
static void
test_seq_wrap(const struct hso_imb_set *set)
{
	uint8_t key[16] = { 1 }, iv[12] = { 2 }, rec[64], out[64], type;
	uint8_t nonce[12], want[12];
	struct hso_record_prot w, r;
	int rc;

	CHECK_EQ(hso_record_prot_init(&w, set, HSO_TLS13, HSO_AEAD_AES128_GCM,
				      key, 16, iv, 12), 0);
	CHECK_EQ(hso_record_prot_set_seq(&w, UINT64_MAX - 1), 0);
	CHECK_EQ(hso_record_prot_set_seq(&w, 5), -EINVAL);  /* backwards */
	r = w;
	hso_record_prot_nonce(&w, UINT64_MAX, nonce);
	memcpy(want, iv, 12);
	for (int i = 4; i < 12; i++)
		want[i] ^= 0xff;
	CHECK_MEM(nonce, want, 12);
	for (int i = 0; i < 2; i++) {
		rc = hso_tls13_record_seal(&w, 23, (const uint8_t *)"hi", 2, 0,
					   rec, sizeof(rec));
		CHECK_EQ(rc, 5 + 3 + 16);
		CHECK_EQ(hso_tls13_record_open(&r, rec, (size_t)rc, out, &type), 2);
	}
	CHECK_EQ(hso_tls13_record_seal(&w, 23, (const uint8_t *)"hi", 2, 0, rec,
				       sizeof(rec)), -EOVERFLOW);
	CHECK_EQ(hso_tls13_record_open(&r, rec, 24, out, &type), -EOVERFLOW);
	CHECK_EQ(hso_record_prot_set_seq(&w, 0), -EINVAL);

	/* Same for TLS 1.2. */
	CHECK_EQ(hso_record_prot_init(&w, set, HSO_TLS12, HSO_AEAD_AES128_GCM,
				      key, 16, iv, 4), 0);
	CHECK_EQ(hso_record_prot_set_seq(&w, UINT64_MAX), 0);
	CHECK(hso_tls12_record_seal(&w, 23, 0x0303, key, 4, rec, sizeof(rec)) > 0);
	CHECK_EQ(hso_tls12_record_seal(&w, 23, 0x0303, key, 4, rec, sizeof(rec)),
		 -EOVERFLOW);
	hso_record_prot_wipe(&w);
	hso_record_prot_wipe(&r);
}

/* ---- TLS 1.2 ----------------------------------------------------------- */

static void
test_tls12(const struct hso_imb_set *set)
{
	static uint8_t data[BIG], rec[BIG], ref[BIG], out[BIG];

	for (int alg = 0; alg < HSO_AEAD_ALG_NUM; alg++) {
		enum hso_aead_alg a = (enum hso_aead_alg)alg;
		int gcm = a != HSO_AEAD_CHACHA20_POLY1305;
		size_t kl = hso_aead_key_len(a), ivl = gcm ? 4 : 12;
		size_t off = gcm ? 13 : 5;
		uint8_t key[32], iv[12], nonce[12], aad[13];
		struct hso_record_prot w, r;
		int rc;

		fill(key, kl);
		fill(iv, ivl);
		CHECK_EQ(hso_record_prot_init(&w, set, HSO_TLS12, a, key, kl, iv,
					      ivl), 0);
		/* Wrong IV length for the suite. */
		CHECK_EQ(hso_record_prot_init(&r, set, HSO_TLS12, a, key, kl, iv,
					      gcm ? 12 : 4), -EINVAL);
		r = w;
		CHECK_EQ(hso_record_prot_payload_offset(&w), off);
		for (int n = 0; n < 40; n++) {
			size_t len = n == 0 ? 0 : n == 1 ? 16384 : rnd() % 16385;
			uint64_t seq = hso_record_prot_seq(&w);

			fill(data, len);
			/* Every other record in place. */
			if (n & 1)
				memcpy(rec + off, data, len);
			rc = hso_tls12_record_seal(&w, 23, 0x0303,
						   (n & 1) ? rec + off : data,
						   len, rec, sizeof(rec));
			CHECK_EQ(rc, (int)(off + len + 16));
			CHECK(rec[0] == 23 && rec[1] == 3 && rec[2] == 3);
			CHECK_EQ((rec[3] << 8) | rec[4], rc - 5);

			/* Reference: OpenSSL with the RFC 5288 / RFC 7905
			 * nonce and the RFC 5246 additional data. */
			if (gcm) {
				memcpy(nonce, iv, 4);
				for (int i = 0; i < 8; i++)
					nonce[4 + i] = (uint8_t)(seq >> (56 - 8 * i));
				CHECK_MEM(rec + 5, nonce + 4, 8);  /* explicit */
			} else {
				memcpy(nonce, iv, 12);
				for (int i = 0; i < 8; i++)
					nonce[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
			}
			for (int i = 0; i < 8; i++)
				aad[i] = (uint8_t)(seq >> (56 - 8 * i));
			aad[8] = 23;
			aad[9] = 3;
			aad[10] = 3;
			aad[11] = (uint8_t)(len >> 8);
			aad[12] = (uint8_t)len;
			CHECK_EQ(evp_seal(a, key, nonce, aad, 13, data, len, ref), 0);
			CHECK_MSG(memcmp(rec + off, ref, len + 16) == 0,
				  "tls12 alg %d len %zu vs openssl", alg, len);

			rc = hso_tls12_record_open(&r, rec, (size_t)rc,
						   (n & 2) ? rec + off : out);
			CHECK_EQ(rc, (int)len);
			CHECK(memcmp((n & 2) ? rec + off : out, data, len) == 0);
		}
		/* Tampered type in the header (additional data). */
		rc = hso_tls12_record_seal(&w, 23, 0x0303, data, 10, rec, sizeof(rec));
		rec[0] = 22;
		CHECK_EQ(hso_tls12_record_open(&r, rec, (size_t)rc, out), -EBADMSG);
		/* Limits. */
		CHECK_EQ(hso_tls12_record_seal(&w, 23, 0x0303, data, 16385, rec,
					       sizeof(rec)), -EMSGSIZE);
		rec[3] = (uint8_t)((HSO_TLS12_CIPHERTEXT_MAX + 1) >> 8);
		rec[4] = (uint8_t)(HSO_TLS12_CIPHERTEXT_MAX + 1);
		CHECK_EQ(hso_tls12_record_open(&r, rec,
					       5 + HSO_TLS12_CIPHERTEXT_MAX + 1,
					       out), -EMSGSIZE);
		rec[3] = 0;
		rec[4] = (uint8_t)(off - 5 + 15);
		CHECK_EQ(hso_tls12_record_open(&r, rec, off + 15, out), -EBADMSG);
		hso_record_prot_wipe(&w);
		hso_record_prot_wipe(&r);
	}
}

/* The GCM explicit nonce is the sender's: a peer's record whose explicit
 * nonce is not its sequence number must still open. */
static void
test_tls12_foreign_nonce(const struct hso_imb_set *set)
{
	uint8_t key[16], salt[4], nonce[12], aad[13], rec[64], out[64];
	const uint8_t msg[] = "GET / HTTP/1.1";
	struct hso_record_prot r;
	size_t len = sizeof(msg) - 1;

	fill(key, 16);
	fill(salt, 4);
	CHECK_EQ(hso_record_prot_init(&r, set, HSO_TLS12, HSO_AEAD_AES128_GCM,
				      key, 16, salt, 4), 0);
	memcpy(nonce, salt, 4);
	fill(nonce + 4, 8);
	memset(aad, 0, 8);              /* our read sequence number 0 */
	aad[8] = 23;
	aad[9] = 3;
	aad[10] = 3;
	aad[11] = 0;
	aad[12] = (uint8_t)len;
	rec[0] = 23;
	rec[1] = 3;
	rec[2] = 3;
	rec[3] = 0;
	rec[4] = (uint8_t)(8 + len + 16);
	memcpy(rec + 5, nonce + 4, 8);
	CHECK_EQ(evp_seal(HSO_AEAD_AES128_GCM, key, nonce, aad, 13, msg, len,
			  rec + 13), 0);
	CHECK_EQ(hso_tls12_record_open(&r, rec, 13 + len + 16, out), (int)len);
	CHECK(memcmp(out, msg, len) == 0);
	hso_record_prot_wipe(&r);
}

static void
test_args(const struct hso_imb_set *set)
{
	struct hso_aead_key k;
	uint8_t key[32] = { 0 }, buf[32];

	CHECK_EQ(hso_aead_key_init(&k, set, HSO_AEAD_AES128_GCM, key, 32), -EINVAL);
	CHECK_EQ(hso_aead_key_init(&k, set, HSO_AEAD_ALG_NUM, key, 32), -EINVAL);
	CHECK_EQ(hso_aead_key_init(&k, NULL, HSO_AEAD_AES128_GCM, key, 16), -EINVAL);
	CHECK_EQ(hso_aead_key_init(&k, set, HSO_AEAD_CHACHA20_POLY1305, key, 32), 0);
	CHECK_EQ(hso_aead_seal(&k, NULL, NULL, 0, NULL, 0, buf), -EINVAL);
	CHECK_EQ(hso_aead_seal(&k, key, NULL, 0, NULL, 0, buf), 16);
	CHECK_EQ(hso_aead_open(&k, key, NULL, 0, buf, 16, buf), 0);
	CHECK(strcmp(hso_aead_alg_name(HSO_AEAD_AES256_GCM), "aes-256-gcm") == 0);
	hso_aead_key_wipe(&k);
}

int
main(void)
{
	struct hso_imb_set set;
	int rc = hso_imb_set_init(&set, NULL);

	if (rc != 0) {
		printf("no ipsec-mb manager: %d\n", rc);
		return CHECK_SKIP;
	}
	/* Known answers through every architecture the CPU runs: each keeps
	 * its own gcm_key_data layout. */
	for (int a = IMB_ARCH_SSE; a < IMB_ARCH_NUM; a++) {
		struct hso_imb_override ovr;
		struct hso_imb_set one;

		memset(&ovr, 0, sizeof(ovr));
		for (int alg = 0; alg < HSO_IMB_ALG_NUM; alg++)
			ovr.arch[alg] = (IMB_ARCH)a;
		if (hso_imb_set_init(&one, &ovr) != 0)
			continue;
		test_kats(&one, hso_imb_arch_name((IMB_ARCH)a));
		test_tamper(&one);
		test_sgl(&one, hso_imb_arch_name((IMB_ARCH)a));
		hso_imb_set_free(&one);
	}
	test_kats(&set, "chosen");
	test_tamper(&set);
	test_xcheck(&set);
	test_rfc8448(&set);
	test_tls13_rules(&set);
	test_seq_wrap(&set);
	test_tls12(&set);
	test_tls12_foreign_nonce(&set);
	test_args(&set);
	hso_imb_set_free(&set);
	return check_result("aead");
}
