/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transcript hash (crypto/hash.c): FIPS 180 known answers, incremental
 * updates at random split points against one-shot and OpenSSL EVP_Digest,
 * and forking mid-stream.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "check.h"
#include "crypto.h"

static uint64_t rng = 0x2545f4914f6cdd1dULL;
/* Reproducible test data: tests/check.h. */
#define rnd() check_rnd(&rng)


static const EVP_MD *
evp_md(enum hso_hash_alg alg)
{
	return alg == HSO_HASH_SHA256 ? EVP_sha256() : EVP_sha384();
}

struct kat {
	enum hso_hash_alg alg;
	const char *msg, *digest;
};

/* FIPS 180-2 appendix B / C examples and the empty message. */
static const struct kat kats[] = {
	{ HSO_HASH_SHA256, "",
	  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
	{ HSO_HASH_SHA256, "abc",
	  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
	{ HSO_HASH_SHA256,
	  "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	{ HSO_HASH_SHA384, "",
	  "38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da"
	  "274edebfe76f65fbd51ad2f14898b95b" },
	{ HSO_HASH_SHA384, "abc",
	  "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
	  "8086072ba1e7cc2358baeca134c825a7" },
	{ HSO_HASH_SHA384,
	  "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
	  "ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
	  "09330c33f71147e83d192fc782cd1b4753111b173b3b05d22fa08086e3b0f712"
	  "fcc7c71a557e2db966c3e9fa91746039" },
};

static void
test_kats(void)
{
	for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++) {
		const struct kat *k = &kats[i];
		uint8_t want[48], got[48];
		size_t n = check_unhex(k->digest, want, sizeof(want));
		size_t len = strlen(k->msg);
		struct hso_hash h;

		CHECK_EQ(n, hso_hash_len(k->alg));
		CHECK_EQ(hso_hash_digest(k->alg, k->msg, len, got), (int)n);
		CHECK_MEM(got, want, n);
		/* Byte by byte, peeking on the way. */
		CHECK_EQ(hso_hash_init(&h, k->alg), 0);
		for (size_t j = 0; j < len; j++) {
			hso_hash_update(&h, k->msg + j, 1);
			CHECK_EQ(hso_hash_peek(&h, got), (int)n);
		}
		CHECK_EQ(hso_hash_digest_len(&h), n);
		CHECK_EQ(hso_hash_final(&h, got), (int)n);
		CHECK_MEM(got, want, n);
	}
}

/* Random messages, random split points: incremental == one-shot == EVP. */
static void
test_incremental(void)
{
	static uint8_t msg[9000];
	int bad = 0;

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(rnd() >> 17);
	for (int alg = 0; alg < HSO_HASH_ALG_NUM; alg++) {
		for (int t = 0; t < 300; t++) {
			size_t len = t < 260 ? (size_t)t : rnd() % sizeof(msg);
			uint8_t one[48], inc[48], ref[48];
			unsigned rl = 0;
			struct hso_hash h;
			size_t at = 0;

			hso_hash_digest((enum hso_hash_alg)alg, msg, len, one);
			hso_hash_init(&h, (enum hso_hash_alg)alg);
			while (at < len) {
				size_t step = 1 + rnd() % (rnd() % 2 ? 7 : 300);

				if (step > len - at)
					step = len - at;
				hso_hash_update(&h, msg + at, step);
				at += step;
			}
			hso_hash_final(&h, inc);
			EVP_Digest(msg, len, ref, &rl,
				   evp_md((enum hso_hash_alg)alg), NULL);
			CHECK_EQ(rl, hso_hash_len((enum hso_hash_alg)alg));
			if (memcmp(one, ref, rl) != 0 || memcmp(inc, ref, rl) != 0) {
				bad++;
				fprintf(stderr, "alg %d len %zu differs\n", alg, len);
			}
		}
	}
	CHECK_EQ(bad, 0);
}

/* A fork gives the prefix hash while the original continues. */
static void
test_fork(void)
{
	static uint8_t msg[3000];

	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)(rnd() >> 11);
	for (int alg = 0; alg < HSO_HASH_ALG_NUM; alg++) {
		enum hso_hash_alg a = (enum hso_hash_alg)alg;
		size_t n = hso_hash_len(a);

		for (int t = 0; t < 50; t++) {
			size_t cut = rnd() % sizeof(msg);
			uint8_t prefix[48], whole[48], got[48], peek1[48], peek2[48];
			struct hso_hash h, fork, byval;

			hso_hash_digest(a, msg, cut, prefix);
			hso_hash_digest(a, msg, sizeof(msg), whole);
			hso_hash_init(&h, a);
			hso_hash_update(&h, msg, cut);
			hso_hash_copy(&fork, &h);
			byval = h;      /* plain struct copy forks too */
			hso_hash_peek(&h, peek1);
			hso_hash_update(&h, msg + cut, sizeof(msg) - cut);
			hso_hash_peek(&h, peek2);
			/* The fork still sees only the prefix. */
			CHECK_EQ(hso_hash_peek(&fork, got), (int)n);
			CHECK_MEM(got, prefix, n);
			CHECK_MEM(peek1, prefix, n);
			CHECK_MEM(peek2, whole, n);
			CHECK_EQ(hso_hash_final(&byval, got), (int)n);
			CHECK_MEM(got, prefix, n);
			/* The fork can continue on its own path. */
			hso_hash_update(&fork, msg + cut, sizeof(msg) - cut);
			CHECK_EQ(hso_hash_final(&fork, got), (int)n);
			CHECK_MEM(got, whole, n);
			CHECK_EQ(hso_hash_final(&h, got), (int)n);
			CHECK_MEM(got, whole, n);
		}
	}
}

static void
test_wipe_and_errors(void)
{
	struct hso_hash h, zero;
	uint8_t out[48];

	memset(&zero, 0, sizeof(zero));
	CHECK_EQ(hso_hash_init(&h, HSO_HASH_ALG_NUM), -EINVAL);
	CHECK_EQ(hso_hash_init(&h, HSO_HASH_SHA384), 0);
	hso_hash_update(&h, "secret", 6);
	hso_hash_wipe(&h);
	CHECK(memcmp(&h, &zero, sizeof(h)) == 0);
	CHECK_EQ(hso_hash_peek(&h, out), -EINVAL);
	CHECK_EQ(hso_hash_final(&h, out), -EINVAL);
	/* final wipes. */
	hso_hash_init(&h, HSO_HASH_SHA256);
	hso_hash_update(&h, "secret", 6);
	CHECK_EQ(hso_hash_final(&h, out), 32);
	CHECK(memcmp(&h, &zero, sizeof(h)) == 0);
	CHECK_EQ(hso_hash_digest(HSO_HASH_ALG_NUM, "", 0, out), -EINVAL);
	CHECK_EQ(hso_hash_len(HSO_HASH_ALG_NUM), 0);
}

int
main(void)
{
	test_kats();
	test_incremental();
	test_fork();
	test_wipe_and_errors();
	return check_result("hash");
}
