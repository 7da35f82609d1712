/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_PRIV_H
#define HSO_CRYPTO_PRIV_H

/* Internals shared between files of crypto/. Not installed, not public. */

#include <stdint.h>
#include "crypto_imb.h"

/*
 * Choose the architecture for @p alg among the managers of @p set; sets
 * *timed when the choice came from a self-timing.
 */
IMB_ARCH hso_imb_pick(const struct hso_imb_set *set, enum hso_imb_alg alg,
		      uint8_t *timed);

struct hso_asym_ctx;
typedef struct evp_md_st EVP_MD;
typedef struct evp_md_ctx_st EVP_MD_CTX;

/* The worker context's digest ctx (reset before and after each use). */
EVP_MD_CTX *hso_asym_mdctx(struct hso_asym_ctx *ctx);

#endif
