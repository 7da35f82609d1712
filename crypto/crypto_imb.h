/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_IMB_H
#define HSO_CRYPTO_IMB_H

/**
 * @file
 * intel-ipsec-mb managers, one set per worker.
 *
 * ipsec-mb's init_mb_mgr_auto() picks one architecture for everything, but the
 * fastest manager differs per algorithm: where SHA-NI exists the SSE manager's
 * 2-lane SHA-NI HMAC-SHA256 beats the 8/16-lane AVX2/AVX-512 one, while
 * SHA-384 (no SHA-NI for SHA-512) wants the widest lanes. A set therefore
 * holds one manager per architecture the CPU supports and, per algorithm, the
 * one chosen from CPU features and a short self-timing at start-up
 * (hso_imb_set_init), or forced by configuration.
 *
 * A set belongs to one worker thread; it is not thread-safe.
 */

#include <stdint.h>
#include <stdio.h>
#include <intel-ipsec-mb.h>

/** Algorithms whose manager is chosen independently. */
enum hso_imb_alg {
	HSO_IMB_ALG_HMAC_SHA256 = 0,
	HSO_IMB_ALG_HMAC_SHA384,
	HSO_IMB_ALG_AES_GCM,
	HSO_IMB_ALG_CHACHA20_POLY1305,
	HSO_IMB_ALG_NUM
};

/** A per-worker set of managers. Treat as opaque outside crypto/. */
struct hso_imb_set {
	IMB_MGR *mgr[IMB_ARCH_NUM];      /**< NULL where the CPU lacks the ISA */
	IMB_ARCH chosen[HSO_IMB_ALG_NUM];/**< arch used per algorithm */
	uint8_t timed[HSO_IMB_ALG_NUM];  /**< 1 self-timed, 2 configured, 0 by features */
};

/** Choices forced by configuration; IMB_ARCH_NONE means "pick". */
struct hso_imb_override {
	IMB_ARCH arch[HSO_IMB_ALG_NUM];
};

/**
 * Allocate managers for every architecture the CPU supports and choose one
 * per algorithm.
 *
 * @param set   set to fill (zeroed by the call)
 * @param ovr   forced choices, or NULL to pick every algorithm
 * @return 0; -ENOMEM when a manager cannot be allocated; -ENOTSUP when a
 *         forced architecture is not supported by this CPU or when no manager
 *         at all can run here.
 */
int hso_imb_set_init(struct hso_imb_set *set, const struct hso_imb_override *ovr);

/** Free every manager of the set. Safe on a zeroed or already freed set. */
void hso_imb_set_free(struct hso_imb_set *set);

/** The manager chosen for @p alg (never NULL after a successful init). */
static inline IMB_MGR *
hso_imb_mgr(const struct hso_imb_set *set, enum hso_imb_alg alg)
{
	return set->mgr[set->chosen[alg]];
}

/** "sse", "avx", "avx2", "avx512" or "none". */
const char *hso_imb_arch_name(IMB_ARCH arch);

/** Parse an architecture name as above; returns IMB_ARCH_NONE when unknown. */
IMB_ARCH hso_imb_arch_parse(const char *name);

/** "hmac-sha256", "hmac-sha384", "aes-gcm", "chacha20-poly1305". */
const char *hso_imb_alg_name(enum hso_imb_alg alg);

/**
 * Parse a configuration string of comma-separated ALG=ARCH pairs, e.g.
 * "hmac-sha256=sse,hmac-sha384=avx512" or "all=avx2". ALG is a name of
 * hso_imb_alg_name() or "all"; ARCH one of hso_imb_arch_name() ("sse",
 * "avx", "avx2", "avx512") or "auto" (pick). Unnamed algorithms are picked.
 *
 * @param ovr     filled; every entry IMB_ARCH_NONE first
 * @param spec    the string (NULL or "" picks everything)
 * @param err     on failure, what is wrong (may be NULL)
 * @return 0; -EINVAL for an unknown algorithm or architecture or a
 *         malformed pair.
 */
int hso_imb_override_parse(struct hso_imb_override *ovr, const char *spec,
			   char *err, size_t errlen);

/** One line per algorithm: name, arch chosen and why. */
void hso_imb_set_log(const struct hso_imb_set *set, FILE *out);

#endif
