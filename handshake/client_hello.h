/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_CLIENT_HELLO_H
#define HSO_HANDSHAKE_CLIENT_HELLO_H

/**
 * @file
 * ClientHello decoding (RFC 8446 4.1.2, RFC 5246 7.4.1.2).
 *
 * hs_client_hello_parse() checks the whole message structure and every
 * extension this server acts on, and returns views into the caller's
 * message buffer (no copies, no allocation): the struct is valid as long as
 * the message bytes are. Negotiation (which version, suite, group, key share,
 * certificate) is not done here; the views are already checked for form:
 * every list is well-formed, of legal length, and consumed exactly.
 *
 * What it enforces, with the alert the RFCs ask for:
 * - truncation, trailing bytes, lengths outside the presentation-language
 *   bounds: decode_error;
 * - "There MUST NOT be more than one extension of the same type in a given
 *   extension block" (RFC 8446 4.2): illegal_parameter;
 * - pre_shared_key "MUST be the last extension in the ClientHello"
 *   (RFC 8446 4.2.11): illegal_parameter;
 * - two KeyShareEntry values for one group (RFC 8446 4.2.8): illegal_parameter.
 *
 * What it does not refuse: any number of extensions, of unknown types, with
 * any payload (RFC 8446 4.2: "servers MUST ignore unrecognized extensions");
 * any number of key shares and groups, of codes hso does not implement, of
 * any length: they are skipped unparsed, negotiation only looks for its own.
 * Extensions that only TLS 1.2 acts on (ec_point_formats, renegotiation_info,
 * extended_master_secret) are kept raw and checked by hs_client_hello_parse12() once TLS 1.2 is
 * chosen: a TLS 1.3 handshake ignores them, whatever they hold.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Extension code points (IANA TLS ExtensionType registry). */
enum hs_ext_type {
	HS_EXT_SERVER_NAME = 0,
	HS_EXT_STATUS_REQUEST = 5,
	HS_EXT_SUPPORTED_GROUPS = 10,
	HS_EXT_EC_POINT_FORMATS = 11,
	HS_EXT_SIGNATURE_ALGORITHMS = 13,
	HS_EXT_ALPN = 16,
	HS_EXT_SCT = 18,
	HS_EXT_ENCRYPT_THEN_MAC = 22,
	HS_EXT_EXTENDED_MASTER_SECRET = 23,
	HS_EXT_PADDING = 21,
	HS_EXT_RECORD_SIZE_LIMIT = 28,
	HS_EXT_SESSION_TICKET = 35,
	HS_EXT_PRE_SHARED_KEY = 41,
	HS_EXT_EARLY_DATA = 42,
	HS_EXT_SUPPORTED_VERSIONS = 43,
	HS_EXT_COOKIE = 44,
	HS_EXT_PSK_KEY_EXCHANGE_MODES = 45,
	HS_EXT_CERTIFICATE_AUTHORITIES = 47,
	HS_EXT_POST_HANDSHAKE_AUTH = 49,
	HS_EXT_SIGNATURE_ALGORITHMS_CERT = 50,
	HS_EXT_KEY_SHARE = 51,
	HS_EXT_RENEGOTIATION_INFO = 0xff01,
};

/** SNI host_name length limit (RFC 6066: opaque HostName<1..2^16-1>; DNS: 255). */
#define HS_SNI_MAX 255

/** A byte range inside the message. */
struct hs_view {
	const uint8_t *p;
	uint16_t len;
};

struct hs_client_hello {
	uint16_t legacy_version;
	const uint8_t *random;          /**< 32 bytes */
	struct hs_view session_id;      /**< 0..32 bytes */
	struct hs_view cipher_suites;   /**< u16 list, even, >= 2 bytes */
	bool null_compression;          /**< compression_methods holds 0 */
	uint8_t compression_count;
	bool has_extensions;            /**< extensions block present at all */

	/* Extensions this server acts on: contents of the inner vectors. */
	bool has_sni;
	struct hs_view sni;             /**< host_name, 1..255 bytes, no NUL */
	bool has_groups;
	struct hs_view groups;          /**< NamedGroup list (u16s) */
	bool has_sigalgs;
	struct hs_view sigalgs;         /**< SignatureScheme list (u16s) */
	bool has_sigalgs_cert;
	struct hs_view sigalgs_cert;
	bool has_alpn;
	struct hs_view alpn;            /**< ProtocolNameList body, each 1..255 */
	bool has_versions;
	struct hs_view versions;        /**< ProtocolVersion list (u16s) */
	bool has_key_share;
	struct hs_view key_shares;      /**< KeyShareEntry list, each checked */
	bool has_psk_modes;
	struct hs_view psk_modes;       /**< u8 list */
	bool has_psk;
	struct hs_view psk_identities;  /**< PskIdentity list, each checked */
	struct hs_view psk_binders;     /**< PskBinderEntry list, each checked */
	size_t psk_binders_off;         /**< offset of the binders vector (its
					     length prefix) from the start of the
					     body: the transcript for binders is the
					     message up to there (RFC 8446 4.2.11.2) */
	bool has_ems;                   /**< extended_master_secret (RFC 7627) */
	uint16_t ems_ext_len;           /**< its body's length (parse12: must be 0) */
	bool has_ticket;
	struct hs_view ticket;          /**< session_ticket (RFC 5077), may be empty */
	bool has_reneg_info;
	struct hs_view reneg_info_ext;  /**< the extension's body, as received */
	struct hs_view reneg_info;      /**< renegotiated_connection (parse12) */
	bool has_cookie;
	struct hs_view cookie;
	bool has_early_data;
	bool has_ec_point_formats;
	struct hs_view ec_point_formats_ext; /**< the extension's body, as received */
	bool uncompressed_points;       /**< ec_point_formats holds 0 (parse12) */
	bool has_record_size_limit;
	uint16_t record_size_limit;
	/** status_request (RFC 6066 8) asking for OCSP; its lists are checked for form only. */
	bool status_ocsp;

	uint16_t ext_count;             /**< extensions in the block */
};

/**
 * Decode a ClientHello body (without the 4-byte handshake header).
 * @return 0, or HS_ERR_ALERT(decode_error / illegal_parameter) as listed in
 *         the file comment.
 */
int hs_client_hello_parse(const uint8_t *body, size_t len, struct hs_client_hello *ch);

/**
 * Decode what only a TLS 1.2 handshake acts on, once it is chosen:
 * ec_point_formats (RFC 8422 5.1.2), renegotiation_info (RFC 5746 3.2) and
 * extended_master_secret (RFC 7627 5.1: empty).
 * @return 0, or HS_ERR_ALERT(decode_error) for a malformed one.
 */
int hs_client_hello_parse12(struct hs_client_hello *ch);

/** Bytes of hs_client_hello_retry_digest(). */
#define HS_CH_RETRY_DIGEST_LEN 32

/**
 * A digest of what the ClientHello after a HelloRetryRequest must repeat
 * (RFC 8446 4.1.2): the whole body but for the extensions the client may
 * change then, key_share, early_data, cookie, pre_shared_key and padding;
 * the same extensions in the same order with the same contents otherwise.
 * @p body must have been accepted by hs_client_hello_parse().
 * @return 0; -EIO when hashing fails.
 */
int hs_client_hello_retry_digest(const uint8_t *body, size_t len,
				 uint8_t out[HS_CH_RETRY_DIGEST_LEN]);

/** True when the u16 list @p v contains @p x. */
bool hs_view_has_u16(struct hs_view v, uint16_t x);

/**
 * Iterate the KeyShareEntry list: on each call, set *group and *key to the
 * next entry. @p off starts at 0.
 * @return 1 while there is an entry, 0 at the end.
 */
int hs_key_share_next(struct hs_view shares, size_t *off, uint16_t *group,
		      struct hs_view *key);

/** True when the ProtocolNameList contains @p proto (exact match). */
bool hs_alpn_has(struct hs_view alpn, const uint8_t *proto, size_t len);

/** Where @p proto is in the ProtocolNameList (its name, after the length byte), or NULL. */
const uint8_t *hs_alpn_find(struct hs_view alpn, const uint8_t *proto, size_t len);

#endif
