/* SPDX-License-Identifier: BSD-3-Clause */
/* hso_cksum_raw()'s AVX2 kernel (cksum.h): compiled for AVX2, called only
 * where the CPU has it. */
#include <immintrin.h>

#include "cksum.h"

__attribute__((target("avx2"))) uint64_t
hso_cksum_words_avx2(const uint8_t *p, size_t n)
{
	const __m256i lo = _mm256_set1_epi32(0xffff);
	uint64_t total = 0;

	while (n > 0) {
		/*
		 * Each 32-bit lane takes two 16-bit words per 32 bytes on each
		 * of two accumulators: 2^14 steps add under 2^31 to a lane.
		 */
		size_t blk = n < ((size_t)64 << 14) ? n : ((size_t)64 << 14);
		__m256i a = _mm256_setzero_si256(), b = _mm256_setzero_si256();
		size_t i = 0;
		__m256i s64;

		for (; i + 64 <= blk; i += 64) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(p + i));
			__m256i u = _mm256_loadu_si256((const __m256i *)(p + i + 32));

			a = _mm256_add_epi32(a, _mm256_and_si256(v, lo));
			a = _mm256_add_epi32(a, _mm256_srli_epi32(v, 16));
			b = _mm256_add_epi32(b, _mm256_and_si256(u, lo));
			b = _mm256_add_epi32(b, _mm256_srli_epi32(u, 16));
		}
		if (i < blk) {          /* one 32-byte block left */
			__m256i v = _mm256_loadu_si256((const __m256i *)(p + i));

			a = _mm256_add_epi32(a, _mm256_and_si256(v, lo));
			a = _mm256_add_epi32(a, _mm256_srli_epi32(v, 16));
		}
		/* The 16 lanes, widened to 64 bits and added. */
		s64 = _mm256_add_epi64(
			_mm256_add_epi64(_mm256_unpacklo_epi32(a, _mm256_setzero_si256()),
					 _mm256_unpackhi_epi32(a, _mm256_setzero_si256())),
			_mm256_add_epi64(_mm256_unpacklo_epi32(b, _mm256_setzero_si256()),
					 _mm256_unpackhi_epi32(b, _mm256_setzero_si256())));
		total += (uint64_t)_mm256_extract_epi64(s64, 0) +
			 (uint64_t)_mm256_extract_epi64(s64, 1) +
			 (uint64_t)_mm256_extract_epi64(s64, 2) +
			 (uint64_t)_mm256_extract_epi64(s64, 3);
		p += blk;
		n -= blk;
	}
	return total;
}
