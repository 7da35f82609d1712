/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RFC 1071's sum, wide: see cksum.h. Sums of 16-bit words modulo 2^16 - 1
 * may be taken over wider words (RFC 1071 2(C), "parallel summation"): a
 * 64-bit little-endian word is w0 + w1 2^16 + w2 2^32 + w3 2^48, and 2^16
 * is 1 modulo 2^16 - 1, so adding 64-bit words with end-around carry and
 * folding at the end gives the 16-bit sum.
 */
#include <string.h>

#include "cksum.h"

static int use_avx2 = -1;       /* -1: not decided yet */

void
hso_cksum_use_scalar(int on)
{
	use_avx2 = on ? 0 : __builtin_cpu_supports("avx2") ? 1 : 0;
}

const char *
hso_cksum_impl(void)
{
	if (use_avx2 < 0)
		hso_cksum_use_scalar(0);
	return use_avx2 ? "avx2" : "scalar";
}

uint64_t
hso_cksum_words_scalar(const uint8_t *p, size_t n)
{
	uint64_t s = 0;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		s += w;
		s += s < w;             /* end-around carry */
	}
	return s;
}

/* A sum taken modulo 2^16 - 1, folded to 16 bits (0 only for 0). */
static inline uint16_t
fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	s = (s & 0xffffu) + (s >> 16);
	return (uint16_t)s;
}

uint16_t
hso_cksum_raw(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t s = 0, w;
	size_t n;

	if (__builtin_expect(use_avx2 < 0, 0))
		hso_cksum_use_scalar(0);
	if (use_avx2 && len >= 64) {
		n = len & ~(size_t)31;
		s = hso_cksum_words_avx2(p, n);
		/* The AVX2 sum is a plain sum: fold before more are added. */
		s = fold64(s);
		p += n;
		len -= n;
	}
	n = len & ~(size_t)7;
	w = hso_cksum_words_scalar(p, n);
	s += w;
	s += s < w;
	p += n;
	len -= n;
	/* The last 0-7 bytes: whole 16-bit words, then an odd byte. */
	w = 0;
	memcpy(&w, p, len);
	/* Little-endian: byte k of the tail is in bits 8k, as in the words. */
	s += w;
	s += s < w;
	return fold64(s);
}
