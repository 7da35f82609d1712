/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_BENCH_ENV_H
#define HSO_BENCH_ENV_H

#include "crypto.h"

/*
 * The ipsec-mb choice hso-bench uses: HSO_IMB_ARCH in the environment, in
 * the syntax of hso_imb_override_parse() (e.g. "hmac-sha256=avx512"), or
 * every algorithm picked when unset. Parsed and logged once at start-up;
 * a bad value stops hso-bench with the parser's message.
 */
const struct hso_imb_override *hso_bench_imb_override(void);

#endif
