/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_KDF_H
#define HSO_CRYPTO_KDF_H
/* Placeholder until written. */
#endif
