/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_DATAPLANE_CKSUM_H
#define HSO_DATAPLANE_CKSUM_H

/*
 * The Internet checksum's one's complement sum (RFC 1071) over payload, for
 * ports that do not compute it (net_ring, memif, TAP, af_packet): every
 * byte a worker receives or sends there is summed once, and DPDK 22.11's
 * rte_raw_cksum() adds one 16-bit word at a time (about 2 bytes a cycle).
 * This sums 32 bytes per step with AVX2 where the CPU has it (chosen at run
 * time), 8 with end-around carry otherwise. No DPDK here.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * The 16-bit one's complement sum of @p len bytes at @p buf taken as
 * host-order 16-bit words, a last odd byte as the first byte of a word
 * padded with zero (RFC 1071 4.1): the same value rte_raw_cksum() returns,
 * not complemented, 0 only when every byte is 0.
 */
uint16_t hso_cksum_raw(const void *buf, size_t len);

/* The implementation hso_cksum_raw() uses on this CPU: "avx2" or "scalar". */
const char *hso_cksum_impl(void);

/* Internal: the kernels, for tests. @p n a multiple of 32 (AVX2) or 8. */
uint64_t hso_cksum_words_avx2(const uint8_t *p, size_t n);
uint64_t hso_cksum_words_scalar(const uint8_t *p, size_t n);
/* Internal: force the scalar kernel (tests, and CPUs without AVX2). */
void hso_cksum_use_scalar(int on);

#endif
