/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_STEK_H
#define HSO_CRYPTO_STEK_H
/* Placeholder until written. */
#endif
