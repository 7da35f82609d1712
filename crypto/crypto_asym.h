/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_ASYM_H
#define HSO_CRYPTO_ASYM_H
/* Placeholder until written. */
#endif
