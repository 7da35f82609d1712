/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SHA-256 compression on the x86 SHA extensions (SHA-NI), ISA code kept in
 * its own file and compiled per function with a target attribute, so the
 * rest of hso keeps its portable -march baseline. hmac_pad.c calls these
 * when hso_sha_ni_available() says so and OpenSSL's block function
 * otherwise.
 *
 * Why not only OpenSSL's SHA256_Transform (which also uses SHA-NI): an HMAC
 * key needs two independent compressions, key^ipad and key^opad, and
 * SHA256RNDS2 is latency-bound, so running both chains interleaved costs
 * little more than one. That is ipsec-mb's own 2-lane trick, applied to the
 * pads it does not compute for us.
 *
 * States are 8 host-order words; the functions take void * because they
 * touch them only through unaligned vector loads and stores.
 *
 * Register layout (Intel SHA extensions reference): SHA256RNDS2 takes the
 * working variables as two vectors, {A,B,E,F} and {C,D,G,H}, and two
 * message+constant words per call in the low half of its third operand.
 */
#include <cpuid.h>
#include <immintrin.h>
#include <stdint.h>

#include "kdf_priv.h"

#define SHA_NI_TARGET __attribute__((target("sha,ssse3,sse4.1")))

/* FIPS 180-4 4.2.2, four per round group. */
static const uint32_t k256[64] __attribute__((aligned(16))) = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
	0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
	0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
	0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
	0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
	0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
	0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
	0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static int sha_ni_detected;
static int sha_ni_present;   /* detected and not switched off */

/* CPUID.(EAX=7,ECX=0):EBX bit 29 is SHA; SSE4.1 is CPUID.1:ECX bit 19. */
static void __attribute__((constructor))
sha_ni_detect(void)
{
	unsigned a, b, c, d;

	if (__get_cpuid(1, &a, &b, &c, &d) == 0 || !(c & (1u << 19)))
		return;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) == 0)
		return;
	sha_ni_detected = (b >> 29) & 1;
	sha_ni_present = sha_ni_detected;
}

int
hso_sha_ni_available(void)
{
	return sha_ni_present;
}

int
hso_sha_ni_enable(int on)
{
	int was = sha_ni_present;

	sha_ni_present = on && sha_ni_detected;
	return was;
}

/* One lane's working state. */
struct lane {
	__m128i abef, cdgh;
};

static inline SHA_NI_TARGET struct lane
lane_load(const void *st)
{
	const __m128i *v = st;
	__m128i dcba = _mm_loadu_si128(v);      /* words a..d */
	__m128i hgfe = _mm_loadu_si128(v + 1);  /* words e..h */
	__m128i cdab = _mm_shuffle_epi32(dcba, 0xb1);
	__m128i efgh = _mm_shuffle_epi32(hgfe, 0x1b);
	struct lane l;

	l.abef = _mm_alignr_epi8(cdab, efgh, 8);
	l.cdgh = _mm_blend_epi16(efgh, cdab, 0xf0);
	return l;
}

static inline SHA_NI_TARGET void
lane_store(void *st, struct lane l)
{
	__m128i *v = st;
	__m128i feba = _mm_shuffle_epi32(l.abef, 0x1b);
	__m128i dchg = _mm_shuffle_epi32(l.cdgh, 0xb1);

	_mm_storeu_si128(v, _mm_blend_epi16(feba, dchg, 0xf0));
	_mm_storeu_si128(v + 1, _mm_alignr_epi8(dchg, feba, 8));
}

/* Four rounds: message words w (already in schedule order) plus K[4g..]. */
static inline SHA_NI_TARGET void
lane_rounds4(struct lane *l, __m128i w, int g)
{
	__m128i m = _mm_add_epi32(w, _mm_load_si128((const __m128i *)&k256[4 * g]));

	l->cdgh = _mm_sha256rnds2_epu32(l->cdgh, l->abef, m);
	m = _mm_shuffle_epi32(m, 0x0e);
	l->abef = _mm_sha256rnds2_epu32(l->abef, l->cdgh, m);
}

/*
 * Next four schedule words from the previous sixteen (w0 oldest):
 * W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16]; SHA256MSG1 adds the
 * s0 terms, the alignr picks W[t-7..t-4], SHA256MSG2 adds the s1 terms.
 */
static inline SHA_NI_TARGET __m128i
sched4(__m128i w0, __m128i w1, __m128i w2, __m128i w3)
{
	__m128i t = _mm_sha256msg1_epu32(w0, w1);

	t = _mm_add_epi32(t, _mm_alignr_epi8(w3, w2, 4));
	return _mm_sha256msg2_epu32(t, w3);
}

static inline SHA_NI_TARGET __m128i
load_be(const uint8_t *p)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL,
					     0x0405060700010203LL);

	return _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)p), bswap);
}

/* One block whose message words are w0..w3 (schedule order). */
static inline SHA_NI_TARGET void
lane_block_w(struct lane *l, __m128i w0, __m128i w1, __m128i w2, __m128i w3)
{
	struct lane save = *l;
	__m128i wn;

	lane_rounds4(l, w0, 0);
	lane_rounds4(l, w1, 1);
	lane_rounds4(l, w2, 2);
	lane_rounds4(l, w3, 3);
	for (int g = 4; g < 16; g++) {
		wn = sched4(w0, w1, w2, w3);
		lane_rounds4(l, wn, g);
		w0 = w1;
		w1 = w2;
		w2 = w3;
		w3 = wn;
	}
	l->abef = _mm_add_epi32(l->abef, save.abef);
	l->cdgh = _mm_add_epi32(l->cdgh, save.cdgh);
}

SHA_NI_TARGET void
hso_sha256_ni_blocks(void *st, const uint8_t *p, size_t nblocks)
{
	struct lane l = lane_load(st);

	for (size_t i = 0; i < nblocks; i++, p += 64)
		lane_block_w(&l, load_be(p), load_be(p + 16), load_be(p + 32),
			     load_be(p + 48));
	lane_store(st, l);
}

/*
 * Two blocks into two states, message words given, the two dependency
 * chains interleaved round group by round group.
 */
static inline SHA_NI_TARGET void
lanes_x2(struct lane *a, __m128i a0, __m128i a1, __m128i a2, __m128i a3,
	 struct lane *b, __m128i b0, __m128i b1, __m128i b2, __m128i b3)
{
	struct lane sa = *a, sb = *b;
	__m128i an, bn;

	lane_rounds4(a, a0, 0);
	lane_rounds4(b, b0, 0);
	lane_rounds4(a, a1, 1);
	lane_rounds4(b, b1, 1);
	lane_rounds4(a, a2, 2);
	lane_rounds4(b, b2, 2);
	lane_rounds4(a, a3, 3);
	lane_rounds4(b, b3, 3);
	for (int g = 4; g < 16; g++) {
		an = sched4(a0, a1, a2, a3);
		bn = sched4(b0, b1, b2, b3);
		lane_rounds4(a, an, g);
		lane_rounds4(b, bn, g);
		a0 = a1;
		a1 = a2;
		a2 = a3;
		a3 = an;
		b0 = b1;
		b1 = b2;
		b2 = b3;
		b3 = bn;
	}
	a->abef = _mm_add_epi32(a->abef, sa.abef);
	a->cdgh = _mm_add_epi32(a->cdgh, sa.cdgh);
	b->abef = _mm_add_epi32(b->abef, sb.abef);
	b->cdgh = _mm_add_epi32(b->cdgh, sb.cdgh);
}

/*
 * HMAC-SHA256 pads of a key block (the key zero-padded to 64 bytes): the
 * states after IV + (key ^ 0x36..) and IV + (key ^ 0x5c..), in host-order
 * words. The XOR happens in registers: building the two blocks in memory
 * byte by byte and loading them as vectors stalls store forwarding.
 */
SHA_NI_TARGET void
hso_sha256_ni_pads(const uint8_t key_block[64], const void *iv, void *ipad,
		   void *opad)
{
	const __m128i x36 = _mm_set1_epi8(0x36), x5c = _mm_set1_epi8(0x5c);
	struct lane a = lane_load(iv), b = a;
	__m128i k0 = load_be(key_block), k1 = load_be(key_block + 16);
	__m128i k2 = load_be(key_block + 32), k3 = load_be(key_block + 48);

	/* A byte-wise XOR commutes with the byte swap of load_be. */
	lanes_x2(&a, _mm_xor_si128(k0, x36), _mm_xor_si128(k1, x36),
		 _mm_xor_si128(k2, x36), _mm_xor_si128(k3, x36),
		 &b, _mm_xor_si128(k0, x5c), _mm_xor_si128(k1, x5c),
		 _mm_xor_si128(k2, x5c), _mm_xor_si128(k3, x5c));
	lane_store(ipad, a);
	lane_store(opad, b);
	/* Leave no key material in vector registers. */
	k0 = k1 = k2 = k3 = _mm_setzero_si128();
	__asm__ volatile("" : : "x"(k0), "x"(k1), "x"(k2), "x"(k3));
}
