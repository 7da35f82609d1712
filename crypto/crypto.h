/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_H
#define HSO_CRYPTO_H

/**
 * @file
 * hso crypto/: the one public header of the crypto component.
 *
 * - crypto_imb.h   intel-ipsec-mb managers per worker, chosen per algorithm
 * - crypto_asym.h  OpenSSL: keys and certificates, RSA premaster decryption
 *                  with implicit rejection, signatures, ECDHE
 * - crypto_sym.h   ipsec-mb: AEAD record seal/open, transcript hashes
 * - crypto_kdf.h   batched HMAC / HKDF / TLS 1.2 PRF in multi-buffer lanes
 * - crypto_stek.h  session-ticket encryption keys
 * - crypto_ocsp.h  OCSP responses to staple, checked against their certificate
 *
 * Conventions: functions return 0 or a negative errno; constructors return
 * NULL and set errno. Objects named *_ctx or *_set belong to one worker and
 * are not thread-safe. Secrets are wiped (OPENSSL_cleanse) when freed.
 */

#include "crypto_imb.h"
#include "crypto_asym.h"
#include "crypto_sym.h"
#include "crypto_kdf.h"
#include "crypto_stek.h"
#include "crypto_ocsp.h"

#endif
