/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_OCSP_H
#define HSO_CRYPTO_OCSP_H

/**
 * @file
 * OCSP responses to staple (RFC 6066 8, RFC 8446 4.4.2.1), checked once
 * when loaded so that the handshake only copies bytes.
 *
 * hso_ocsp_load() reads a DER OCSPResponse (RFC 6960 4.2.1, what
 * `openssl ocsp -respout` writes) for a loaded certificate and keeps it
 * only when every one of these holds, in this order (the first that fails
 * is the reason, enum hso_ocsp_refusal):
 *
 *  - the file reads, is 1..HSO_OCSP_MAX bytes, and is one DER
 *    OCSPResponse with nothing after it; its responseStatus is
 *    successful(0) and its responseBytes a BasicOCSPResponse (malformed);
 *  - the certificate's chain has the issuer (the certificate after the
 *    leaf), and one SingleResponse's CertID (whatever its hash) is the
 *    leaf's under that issuer (mismatch);
 *  - the response is signed by the issuer, or by a responder certificate
 *    it carries that the issuer issued for OCSP signing (id-kp-OCSPSigning,
 *    RFC 6960 4.2.2.2), as OpenSSL's OCSP_basic_verify() checks with the
 *    issuer as the only trust anchor (signature);
 *  - that SingleResponse has a nextUpdate (without one "newer information
 *    is available all the time", RFC 6960 4.2.2.1: nothing to staple), its
 *    thisUpdate is not more than HSO_OCSP_SKEW_S ahead of @p now and its
 *    nextUpdate is after @p now (expired);
 *  - its certStatus is good (status: revoked or unknown; a staple that
 *    says revoked would only make clients fail).
 *
 * A loaded response is immutable and shared read-only by every worker (as
 * the certificate is); the engine serves it while now < next_update.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct hso_cert;

/** Largest OCSP response file (responses are ~0.5-4 KiB). */
#define HSO_OCSP_MAX 65536u
/** Clock skew allowed for a thisUpdate in the future (OpenSSL's default). */
#define HSO_OCSP_SKEW_S 300

/** Why hso_ocsp_load() refused a response. */
enum hso_ocsp_refusal {
	HSO_OCSP_OK = 0,
	HSO_OCSP_UNREADABLE,    /**< cannot open or read, empty, too large */
	HSO_OCSP_MALFORMED,     /**< not a successful DER BasicOCSPResponse */
	HSO_OCSP_MISMATCH,      /**< not about this certificate (or no issuer) */
	HSO_OCSP_SIGNATURE,     /**< not signed by the issuer or its responder */
	HSO_OCSP_EXPIRED,       /**< nextUpdate past, none, or thisUpdate ahead */
	HSO_OCSP_STATUS,        /**< certStatus revoked or unknown */
	HSO_OCSP_REFUSAL_NUM
};

/** "unreadable", "malformed", ... ("ok" for HSO_OCSP_OK); "?" out of range. */
const char *hso_ocsp_refusal_name(enum hso_ocsp_refusal r);

/** A checked OCSP response. Read-only once loaded. */
struct hso_ocsp {
	const uint8_t *der;     /**< the whole OCSPResponse, as the file had it */
	size_t len;
	int64_t this_update;    /**< seconds since the epoch */
	int64_t next_update;    /**< serve while now is before this */
};

/**
 * Load and check the OCSP response in @p path for @p cert (see the file
 * comment) at time @p now (seconds since the epoch).
 * @param why  set to the reason on failure (may be NULL)
 * @param err  on failure, a message naming the file and the reason
 * @return the response, or NULL with *why set and errno: an errno of
 *         open()/read() (unreadable), EFBIG, EBADMSG (malformed), ENOENT
 *         (mismatch), EKEYREJECTED (signature), EKEYEXPIRED (expired),
 *         EKEYREVOKED (status), ENOMEM.
 */
struct hso_ocsp *hso_ocsp_load(const char *path, const struct hso_cert *cert, int64_t now,
			       enum hso_ocsp_refusal *why, char *err, size_t errlen);

/** As hso_ocsp_load() for @p len bytes at @p der (copied); @p name in messages. */
struct hso_ocsp *hso_ocsp_parse(const uint8_t *der, size_t len, const char *name,
				const struct hso_cert *cert, int64_t now,
				enum hso_ocsp_refusal *why, char *err, size_t errlen);

/** Free @p ocsp (NULL is fine). */
void hso_ocsp_free(struct hso_ocsp *ocsp);

#ifdef __cplusplus
}
#endif

#endif
