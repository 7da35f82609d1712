/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_SYM_H
#define HSO_CRYPTO_SYM_H
/* Placeholder until written. */
#endif
