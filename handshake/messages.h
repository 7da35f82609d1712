/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_MESSAGES_H
#define HSO_HANDSHAKE_MESSAGES_H

/**
 * @file
 * Writers and parsers of TLS 1.2 / 1.3 handshake messages, one file per
 * message, send and receive together (server_hello.c, certificate.c, ...).
 * A writer writes one whole handshake message (4-byte header included) at
 * the writer's position and returns 0, or -ENOBUFS when it did not fit (the
 * writer's sticky error is then set), or -EINVAL for parameters that cannot
 * be encoded. A parser takes a message body (without its header), checks
 * its whole structure and returns views into it (no copy), 0 or the
 * HS_ERR_ALERT() the RFCs ask for. They take or return values; nothing here
 * decides, draws random numbers, signs or verifies.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client_hello.h"
#include "codec.h"

/* Handshake message types (RFC 8446 4, RFC 5246 7.4). */
enum hs_msg_type {
	HS_MT_CLIENT_HELLO = 1,
	HS_MT_SERVER_HELLO = 2,
	HS_MT_NEW_SESSION_TICKET = 4,
	HS_MT_END_OF_EARLY_DATA = 5,
	HS_MT_ENCRYPTED_EXTENSIONS = 8,
	HS_MT_CERTIFICATE = 11,
	HS_MT_SERVER_KEY_EXCHANGE = 12,
	HS_MT_CERTIFICATE_REQUEST = 13,
	HS_MT_SERVER_HELLO_DONE = 14,
	HS_MT_CERTIFICATE_VERIFY = 15,
	HS_MT_CLIENT_KEY_EXCHANGE = 16,
	HS_MT_FINISHED = 20,
	HS_MT_KEY_UPDATE = 24,
	HS_MT_MESSAGE_HASH = 254,
};

/** Begin a handshake message of @p type; close it with hs_msg_end(). */
struct hs_block_mark hs_msg_begin(struct hs_writer *w, uint8_t type);
/** Back-patch the body length; returns 0 or -ENOBUFS. */
int hs_msg_end(struct hs_writer *w, struct hs_block_mark m);

/** SHA-256("HelloRetryRequest"), the HRR's ServerHello.random (RFC 8446 4.1.3). */
extern const uint8_t hs_hrr_random[32];
/** Last 8 bytes of ServerHello.random when a TLS 1.3 server picks TLS 1.2. */
extern const uint8_t hs_downgrade_tls12[8];

struct hs_server_hello {
	uint16_t version;             /**< HS_TLS12 or HS_TLS13 */
	const uint8_t *random;        /**< 32 bytes from the caller's CSPRNG */
	/** TLS 1.2 chosen by a server that also speaks 1.3: the last 8 bytes of
	 *  random become hs_downgrade_tls12 (RFC 8446 4.1.3 MUST). */
	bool downgrade_sentinel;
	struct hs_view session_id;    /**< TLS 1.3: the client's, echoed; 1.2: ours */
	uint16_t suite;
	/* TLS 1.3 */
	uint16_t group;               /**< key_share group */
	struct hs_view key_share;     /**< our public key in wire form */
	bool psk;                     /**< pre_shared_key accepted */
	uint16_t psk_identity;
	bool key_share_omitted;       /**< psk_ke: no key_share extension */
	/* TLS 1.2 */
	bool reneg_info;              /**< echo empty renegotiation_info (RFC 5746) */
	bool ems;                     /**< extended_master_secret (RFC 7627) */
	bool ticket;                  /**< empty session_ticket: a ticket will follow */
	bool ec_point_formats;        /**< uncompressed only (RFC 8422 5.2) */
	struct hs_view alpn;          /**< TLS 1.2 only; 1.3 puts it in EE */
};

/** ServerHello (RFC 8446 4.1.3, RFC 5246 7.4.1.3). */
int hs_server_hello_write(struct hs_writer *w, const struct hs_server_hello *sh);

/**
 * HelloRetryRequest (RFC 8446 4.1.4): a ServerHello with hs_hrr_random,
 * selected_version 0x0304, the group the client must send a share for, and
 * an optional cookie (empty view: none).
 */
int hs_hello_retry_request_write(struct hs_writer *w, struct hs_view session_id,
				 uint16_t suite, uint16_t group, struct hs_view cookie);

/** EncryptedExtensions (RFC 8446 4.3.1): ALPN (if any), empty server_name ack. */
int hs_encrypted_extensions_write(struct hs_writer *w, struct hs_view alpn,
				  bool sni_ack);

/** One certificate chain in DER, leaf first. */
struct hs_cert_chain {
	const uint8_t *const *der;
	const size_t *len;
	unsigned n;
};

/** Certificate, TLS 1.3 form (request context empty, no entry extensions). */
int hs_certificate13_write(struct hs_writer *w, const struct hs_cert_chain *chain);
/** Certificate, TLS 1.2 form. */
int hs_certificate12_write(struct hs_writer *w, const struct hs_cert_chain *chain);

/** Bytes of the TLS 1.3 CertificateVerify signed content for a hash of @p hash_len. */
#define HS_CV_CONTENT_LEN(hash_len) (64 + 33 + 1 + (hash_len))

/**
 * The content a TLS 1.3 server signs in CertificateVerify (RFC 8446 4.4.3):
 * 64 spaces, "TLS 1.3, server CertificateVerify", 0, transcript hash.
 * @return bytes written to @p out (HS_CV_CONTENT_LEN(hash_len)).
 */
size_t hs_certificate_verify_content(uint8_t *out, const uint8_t *hash, size_t hash_len);

/** CertificateVerify (RFC 8446 4.4.3): scheme and signature. */
int hs_certificate_verify_write(struct hs_writer *w, uint16_t scheme,
				const uint8_t *sig, size_t sig_len);

/** Finished: verify_data (TLS 1.3: HashLen bytes; TLS 1.2: 12). */
int hs_finished_write(struct hs_writer *w, const uint8_t *verify_data, size_t len);

/** Bytes of the TLS 1.2 ECDHE ServerECDHParams for a public key of @p key_len. */
#define HS_ECDH_PARAMS_LEN(key_len) (1 + 2 + 1 + (key_len))

/**
 * ServerECDHParams (RFC 8422 5.4): named_curve, group, public point; the
 * signed data is client_random + server_random + these bytes.
 * @return bytes written to @p out, 0 when the key does not fit in 255.
 */
size_t hs_ecdh_params_write(uint8_t *out, size_t cap, uint16_t group,
			    const uint8_t *pub, size_t pub_len);

/** ServerKeyExchange for ECDHE (RFC 8422 5.4, RFC 5246 7.4.3): params + signature. */
int hs_server_key_exchange_write(struct hs_writer *w, const uint8_t *params,
				 size_t params_len, uint16_t scheme,
				 const uint8_t *sig, size_t sig_len);

/** ServerHelloDone (RFC 5246 7.4.5). */
int hs_server_hello_done_write(struct hs_writer *w);

/** NewSessionTicket, TLS 1.3 (RFC 8446 4.6.1), without extensions. */
int hs_new_session_ticket13_write(struct hs_writer *w, uint32_t lifetime,
				  uint32_t age_add, struct hs_view nonce,
				  struct hs_view ticket);

/** NewSessionTicket, TLS 1.2 (RFC 5077 3.3). */
int hs_new_session_ticket12_write(struct hs_writer *w, uint32_t lifetime_hint,
				  struct hs_view ticket);

/**
 * Decode a TLS 1.2 ClientKeyExchange body: for RSA key exchange the
 * EncryptedPreMasterSecret<0..2^16-1>, for ECDHE the ECPoint<1..255>.
 * @return 0 with *out set, or HS_ERR_ALERT(decode_error).
 */
int hs_client_key_exchange_parse(const uint8_t *body, size_t len, bool rsa,
				 struct hs_view *out);

/* ---- Client side ------------------------------------------------- */

/** One TLS 1.3 key share the client sends. */
struct hs_key_share_out {
	uint16_t group;
	struct hs_view key;
};

/** What a ClientHello carries; the writer decides nothing. */
struct hs_client_hello_out {
	const uint8_t *random;          /**< 32 bytes */
	struct hs_view session_id;      /**< 0..32 bytes */
	const uint16_t *suites;
	unsigned n_suites;
	bool tls12, tls13;              /**< versions offered */
	struct hs_view sni;             /**< host name, empty: none */
	const uint16_t *groups;         /**< supported_groups */
	unsigned n_groups;
	const uint16_t *sigalgs;
	unsigned n_sigalgs;
	struct hs_view alpn;            /**< ProtocolNameList body, empty: none */
	/* TLS 1.2 */
	bool ems;                       /**< extended_master_secret (RFC 7627) */
	bool reneg_info;                /**< empty renegotiation_info (RFC 5746) */
	bool ec_point_formats;          /**< uncompressed only (RFC 8422 5.1.2) */
	bool ticket_ext;                /**< session_ticket (RFC 5077), @c ticket inside */
	struct hs_view ticket;
	/* TLS 1.3 */
	const struct hs_key_share_out *shares;
	unsigned n_shares;
	uint8_t psk_modes;              /**< bit 0: psk_ke, bit 1: psk_dhe_ke; 0: none */
	struct hs_view cookie;          /**< from a HelloRetryRequest, empty: none */
	struct hs_view psk_identity;    /**< one ticket, empty: no pre_shared_key */
	uint32_t obfuscated_age;
	uint8_t binder_len;             /**< HashLen of the PSK */
};

/**
 * ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2). With a PSK identity the
 * pre_shared_key extension comes last with a zero binder of binder_len
 * bytes; *binders_at receives the offset (from the message start, header
 * included) of the binders vector's length prefix: hash the message up to
 * there, then write the binder at *binders_at + 3 (RFC 8446 4.2.11.2).
 */
int hs_client_hello_write(struct hs_writer *w, const struct hs_client_hello_out *ch,
			  size_t *binders_at);

/** A decoded ServerHello or HelloRetryRequest. */
struct hs_server_hello_in {
	uint16_t legacy_version;
	const uint8_t *random;          /**< 32 bytes */
	struct hs_view session_id;
	uint16_t suite;
	uint8_t compression;
	bool hrr;                       /**< random is hs_hrr_random */
	bool has_versions;
	uint16_t selected_version;
	bool has_key_share;
	uint16_t ks_group;              /**< HRR: selected_group */
	struct hs_view ks_key;          /**< ServerHello: the server's share */
	bool has_psk;
	uint16_t psk_identity;
	bool has_cookie;
	struct hs_view cookie;
	bool has_ems;
	bool has_ticket;                /**< empty session_ticket: a ticket follows */
	bool has_reneg_info;
	struct hs_view reneg_info;
	bool has_ec_point_formats;
	bool uncompressed_points;
	bool has_alpn;
	struct hs_view alpn;            /**< the one protocol name */
	bool has_sni;                   /**< empty server_name ack */
	/** An extension the client never offers (unsupported_extension). */
	uint16_t unknown_ext;
	bool has_unknown;
};

/**
 * Decode a ServerHello / HelloRetryRequest body.
 * @return 0; HS_ERR_ALERT(decode_error) for a malformed message or
 *         extension; HS_ERR_ALERT(illegal_parameter) for a repeated
 *         extension (RFC 8446 4.2). Extensions hso never offers are
 *         reported in @c unknown_ext for the caller to refuse.
 */
int hs_server_hello_parse(const uint8_t *body, size_t len, struct hs_server_hello_in *sh);

/**
 * An ALPN extension body from a server: exactly one ProtocolName (RFC 7301
 * 3.1). @return 0; HS_ERR_ALERT(decode_error).
 */
int hs_alpn_one_parse(struct hs_reader *ext, struct hs_view *proto);

/** A decoded EncryptedExtensions. */
struct hs_encrypted_extensions_in {
	bool has_alpn;
	struct hs_view alpn;            /**< the one protocol name */
	bool has_sni;
	bool has_early_data;
	bool has_unknown;               /**< a response to nothing we offered */
	uint16_t unknown_ext;
};

/**
 * Decode EncryptedExtensions (RFC 8446 4.3.1).
 * @return 0; HS_ERR_ALERT(decode_error); HS_ERR_ALERT(illegal_parameter)
 *         for a repeated extension.
 */
int hs_encrypted_extensions_parse(const uint8_t *body, size_t len,
				  struct hs_encrypted_extensions_in *ee);

/** A decoded certificate_list: up to HSO_CERT_CHAIN_MAX entries, leaf first. */
struct hs_certificate_in {
	unsigned n;                     /**< entries kept */
	unsigned n_total;               /**< entries in the message */
	const uint8_t *der[8];
	size_t len[8];
};

/**
 * Decode Certificate, TLS 1.3 form (@p tls13: request context, entry
 * extensions) or TLS 1.2 form.
 * @return 0; HS_ERR_ALERT(decode_error) for a malformed message or an
 *         empty list (RFC 8446 4.4.2.4: the client "MUST abort" with
 *         decode_error); HS_ERR_ALERT(illegal_parameter) for a non-empty
 *         TLS 1.3 request context in the handshake.
 */
int hs_certificate_parse(const uint8_t *body, size_t len, bool tls13,
			 struct hs_certificate_in *out);

/**
 * An empty Certificate: a client without a certificate answering a
 * CertificateRequest (RFC 8446 4.4.2, RFC 5246 7.4.6).
 */
int hs_certificate_empty_write(struct hs_writer *w, bool tls13);

/**
 * Check a CertificateRequest's structure (RFC 8446 4.3.2, RFC 5246 7.4.4).
 * @return 0; HS_ERR_ALERT(decode_error); HS_ERR_ALERT(illegal_parameter)
 *         for a TLS 1.3 request context that is not empty.
 */
int hs_certificate_request_parse(const uint8_t *body, size_t len, bool tls13);

/** The content a TLS 1.3 server signed, as the client rebuilds it. */
#define hs_certificate_verify_server_content hs_certificate_verify_content

/**
 * Decode CertificateVerify (RFC 8446 4.4.3): scheme and signature.
 * @return 0; HS_ERR_ALERT(decode_error).
 */
int hs_certificate_verify_parse(const uint8_t *body, size_t len, uint16_t *scheme,
				struct hs_view *sig);

/** A decoded ECDHE ServerKeyExchange. */
struct hs_server_key_exchange_in {
	struct hs_view params;          /**< ServerECDHParams, the signed part */
	uint16_t group;
	struct hs_view point;
	uint16_t scheme;
	struct hs_view sig;
};

/**
 * Decode an ECDHE ServerKeyExchange (RFC 8422 5.4, RFC 5246 7.4.3 with
 * DigitallySigned of TLS 1.2).
 * @return 0; HS_ERR_ALERT(decode_error); HS_ERR_ALERT(illegal_parameter)
 *         for a curve type other than named_curve.
 */
int hs_server_key_exchange_parse(const uint8_t *body, size_t len,
				 struct hs_server_key_exchange_in *out);

/** ClientKeyExchange: RSA EncryptedPreMasterSecret or ECDHE point. */
int hs_client_key_exchange_write(struct hs_writer *w, bool rsa, const uint8_t *data,
				 size_t len);

/** A decoded NewSessionTicket. */
struct hs_new_session_ticket_in {
	uint32_t lifetime;
	uint32_t age_add;               /**< TLS 1.3 */
	struct hs_view nonce;           /**< TLS 1.3 */
	struct hs_view ticket;
};

/**
 * Decode NewSessionTicket, TLS 1.3 (RFC 8446 4.6.1) or TLS 1.2 (RFC 5077 3.3).
 * @return 0; HS_ERR_ALERT(decode_error); HS_ERR_ALERT(illegal_parameter)
 *         for a TLS 1.3 lifetime over 604800 s.
 */
int hs_new_session_ticket_parse(const uint8_t *body, size_t len, bool tls13,
				struct hs_new_session_ticket_in *out);

#endif
