/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * hso_cksum_raw() (dataplane/cksum.c) against two sums we did not write:
 * RFC 1071 4.1's C code (big-endian 16-bit words; the host-order sum is its
 * byte swap, RFC 1071 2(B)) and DPDK's rte_raw_cksum(), over every length
 * to 300 at every alignment to 63, large lengths, all-zero and all-0xff
 * data (the sums that fold to 0 and 0xffff), both kernels.
 */
#include <stdbool.h>

#include <rte_ip.h>

#include "check.h"
#include "cksum.h"

/* RFC 1071 4.1, as printed there (count bytes at addr), without the final ~. */
static uint16_t
rfc1071_sum(const uint8_t *addr, size_t count)
{
	uint32_t sum = 0;

	while (count > 1) {
		sum += (uint32_t)(addr[0] << 8 | addr[1]);
		addr += 2;
		count -= 2;
	}
	if (count > 0)
		sum += (uint32_t)addr[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint8_t
rnd8(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static void
check_one(const uint8_t *p, size_t len, const char *what)
{
	uint16_t got = hso_cksum_raw(p, len);
	uint16_t rfc = rfc1071_sum(p, len);

	CHECK_MSG(got == rte_raw_cksum(p, len), "%s len %zu: %#x vs rte_raw_cksum %#x", what,
		  len, got, rte_raw_cksum(p, len));
	/* The RFC's sum is the byte swap of a little-endian host's. */
	CHECK_MSG(got == (uint16_t)(rfc << 8 | rfc >> 8), "%s len %zu: %#x vs RFC 1071 %#x", what,
		  len, got, rfc);
}

static void
run(const char *kernel)
{
	static uint8_t buf[(1 << 20) + 64];     /* 1 MiB: a few sums past 64 KiB */

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = rnd8();
	for (size_t off = 0; off < 64; off++)
		for (size_t len = 0; len <= 300; len++)
			check_one(buf + off, len, kernel);
	for (size_t len = 301; len < 70000; len += 997)
		check_one(buf + (len & 63), len, kernel);
	/* The references' 32-bit sums hold up to 65537 words: 64 KiB (an IP
	 * datagram's most) at the most. */
	check_one(buf, 65536, kernel);
	check_one(buf + 3, 65535, kernel);
	/* All 0xff: the sum is 0xffff (negative zero), never 0. */
	memset(buf, 0xff, sizeof(buf));
	for (size_t len = 1; len < 5000; len += 37)
		CHECK_MSG(hso_cksum_raw(buf + 1, len) == rte_raw_cksum(buf + 1, len),
			  "%s 0xff len %zu", kernel, len);
	check_one(buf, 65536, kernel);
	/* Past the references' range: still the negative zero. */
	CHECK_EQ(hso_cksum_raw(buf, 1 << 20), 0xffff);
	/* All zero: 0. */
	memset(buf, 0, sizeof(buf));
	for (size_t len = 0; len < 5000; len += 37)
		CHECK_EQ(hso_cksum_raw(buf, len), 0);
	check_one(buf, 65536, kernel);
	CHECK_EQ(hso_cksum_raw(buf, 1 << 20), 0);
}

int
main(void)
{
	hso_cksum_use_scalar(1);
	CHECK(strcmp(hso_cksum_impl(), "scalar") == 0);
	run("scalar");
	hso_cksum_use_scalar(0);
	if (strcmp(hso_cksum_impl(), "avx2") == 0)
		run("avx2");
	else
		printf("test_cksum: no AVX2 on this CPU: the AVX2 kernel not run\n");
	return check_result("test_cksum");
}
