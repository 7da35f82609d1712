/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_ERR_H
#define HSO_HANDSHAKE_ERR_H

/**
 * @file
 * The handshake engine's error space: one negative int, split into classes
 * (as picotls and s2n do), so a caller can tell "send this alert" from "the
 * peer sent an alert" from "our own bug" from "wait for crypto" with one
 * comparison, and the alert to send travels with the error.
 *
 *   0                        success
 *   -(0x100 + desc)          fatal: send alert @c desc (RFC 8446 6.2), close
 *   -(0x200 + desc)          fatal: the peer sent alert @c desc
 *   HS_ERR_INTERNAL          our invariant broke; send internal_error
 *   HS_ERR_WOULD_BLOCK       waiting for a crypto job or more input
 *   HS_ERR_NO_HCTX           no handshake context free: refuse the
 *                            connection (no alert: nothing was read yet)
 */

/* Alert descriptions (RFC 8446 section 6, RFC 5246 7.2). */
enum hs_alert {
	HS_ALERT_CLOSE_NOTIFY = 0,
	HS_ALERT_UNEXPECTED_MESSAGE = 10,
	HS_ALERT_BAD_RECORD_MAC = 20,
	HS_ALERT_RECORD_OVERFLOW = 22,
	HS_ALERT_HANDSHAKE_FAILURE = 40,
	HS_ALERT_BAD_CERTIFICATE = 42,
	HS_ALERT_UNSUPPORTED_CERTIFICATE = 43,
	HS_ALERT_CERTIFICATE_REVOKED = 44,
	HS_ALERT_CERTIFICATE_EXPIRED = 45,
	HS_ALERT_CERTIFICATE_UNKNOWN = 46,
	HS_ALERT_ILLEGAL_PARAMETER = 47,
	HS_ALERT_UNKNOWN_CA = 48,
	HS_ALERT_ACCESS_DENIED = 49,
	HS_ALERT_DECODE_ERROR = 50,
	HS_ALERT_DECRYPT_ERROR = 51,
	HS_ALERT_PROTOCOL_VERSION = 70,
	HS_ALERT_INSUFFICIENT_SECURITY = 71,
	HS_ALERT_INTERNAL_ERROR = 80,
	HS_ALERT_INAPPROPRIATE_FALLBACK = 86,
	HS_ALERT_USER_CANCELED = 90,
	HS_ALERT_NO_RENEGOTIATION = 100,
	HS_ALERT_MISSING_EXTENSION = 109,
	HS_ALERT_UNSUPPORTED_EXTENSION = 110,
	HS_ALERT_UNRECOGNIZED_NAME = 112,
	HS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE = 113,
	HS_ALERT_UNKNOWN_PSK_IDENTITY = 115,
	HS_ALERT_CERTIFICATE_REQUIRED = 116,
	HS_ALERT_NO_APPLICATION_PROTOCOL = 120,
};

#define HS_ERR_CLASS_SEND_ALERT 0x100
#define HS_ERR_CLASS_PEER_ALERT 0x200
#define HS_ERR_CLASS_OTHER      0x300

/** Error: send fatal alert @p desc and close. */
#define HS_ERR_ALERT(desc) (-(HS_ERR_CLASS_SEND_ALERT + (int)(desc)))
/** Error: the peer sent fatal alert @p desc. */
#define HS_ERR_PEER_ALERT(desc) (-(HS_ERR_CLASS_PEER_ALERT + (int)(desc)))
/** Error: an invariant of ours broke (sends internal_error). */
#define HS_ERR_INTERNAL (-(HS_ERR_CLASS_OTHER + 1))
/** Not an error: waiting for a crypto job or for more input. */
#define HS_ERR_WOULD_BLOCK (-(HS_ERR_CLASS_OTHER + 2))
/**
 * Error: the worker's pool of handshake contexts (hs_config.max_handshakes)
 * was empty when the connection needed one to start its handshake. The
 * connection is FAILED without an alert; a dataplane refuses it (RST) and
 * the pool counts it (hs_worker_stats.hctx.exhausted).
 */
#define HS_ERR_NO_HCTX (-(HS_ERR_CLASS_OTHER + 3))

/** The class of error @p e (0 for success). */
static inline int
hs_err_class(int e)
{
	return e >= 0 ? 0 : (-e) & ~0xff;
}

/** The alert description carried by @p e (send or peer class), else -1. */
static inline int
hs_err_alert(int e)
{
	int c = hs_err_class(e);

	if (c == HS_ERR_CLASS_SEND_ALERT || c == HS_ERR_CLASS_PEER_ALERT)
		return (-e) & 0xff;
	if (e == HS_ERR_INTERNAL)
		return HS_ALERT_INTERNAL_ERROR;
	return -1;
}

/** "decode_error", ...; "alert_N" for descriptions without a name here. */
const char *hs_alert_name(int desc);

#endif
