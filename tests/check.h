/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_TESTS_CHECK_H
#define HSO_TESTS_CHECK_H

/*
 * Minimal assertions for the unit tests: each test is a small main() that
 * runs its cases, keeps going after a failed check so one run shows every
 * failure, and returns check_result(): 0 when all passed, 1 otherwise.
 * Exit code 77 (CHECK_SKIP) tells meson the test was skipped.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_SKIP 77

static int check_failures;
static int check_count;

#define CHECK(cond_)                                                        \
	do {                                                                \
		check_count++;                                              \
		if (!(cond_)) {                                             \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n",        \
				__FILE__, __LINE__, #cond_);                \
		}                                                           \
	} while (0)

#define CHECK_MSG(cond_, ...)                                               \
	do {                                                                \
		check_count++;                                              \
		if (!(cond_)) {                                             \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s: ",        \
				__FILE__, __LINE__, #cond_);                \
			fprintf(stderr, __VA_ARGS__);                       \
			fputc('\n', stderr);                                \
		}                                                           \
	} while (0)

/* Integer equality, printing both sides. */
#define CHECK_EQ(a_, b_)                                                    \
	do {                                                                \
		long long va_ = (long long)(a_), vb_ = (long long)(b_);     \
		check_count++;                                              \
		if (va_ != vb_) {                                           \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: CHECK_EQ failed: %s == %lld, %s == %lld\n", \
				__FILE__, __LINE__, #a_, va_, #b_, vb_);    \
		}                                                           \
	} while (0)

static inline void
check_hexdump(const char *what, const void *p, size_t n)
{
	const unsigned char *b = (const unsigned char *)p;

	fprintf(stderr, "  %s: ", what);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", b[i]);
	fputc('\n', stderr);
}

/* Memory equality, dumping both sides on failure. */
#define CHECK_MEM(a_, b_, n_)                                               \
	do {                                                                \
		check_count++;                                              \
		if (memcmp((a_), (b_), (n_)) != 0) {                        \
			check_failures++;                                   \
			fprintf(stderr, "%s:%d: CHECK_MEM failed: %s vs %s\n", \
				__FILE__, __LINE__, #a_, #b_);              \
			check_hexdump(#a_, (a_), (n_));                     \
			check_hexdump(#b_, (b_), (n_));                     \
		}                                                           \
	} while (0)

/* Parse a hex string into @p out (at most @p cap bytes); returns the length. */
static inline size_t
check_unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = 0;

	while (hex[0] != '\0' && hex[1] != '\0') {
		unsigned v;

		if (hex[0] == ' ' || hex[0] == '\n') {
			hex++;
			continue;
		}
		if (n == cap || sscanf(hex, "%2x", &v) != 1) {
			fprintf(stderr, "check_unhex: bad or oversized vector\n");
			exit(2);
		}
		out[n++] = (unsigned char)v;
		hex += 2;
	}
	return n;
}

/* xorshift64: reproducible test data from a seed (never for secrets). */
static inline uint64_t
check_rnd(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static inline void
check_fill(uint64_t *state, uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(check_rnd(state) >> 29);
}

static inline int
check_all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static inline int
check_result(const char *name)
{
	printf("%s: %d checks, %d failed\n", name, check_count, check_failures);
	return check_failures == 0 ? 0 : 1;
}

#endif
