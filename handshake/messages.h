/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_MESSAGES_H
#define HSO_HANDSHAKE_MESSAGES_H

/**
 * @file
 * Writers for the messages a TLS 1.2 / 1.3 server sends, one file each
 * (server_hello.c, encrypted_extensions.c, certificate.c, ...). Each writes
 * one whole handshake message (4-byte header included) at the writer's
 * position and returns 0, or -ENOBUFS when it did not fit (the writer's
 * sticky error is then set), or -EINVAL for parameters that cannot be
 * encoded. They take already-negotiated values; nothing here decides,
 * draws random numbers or signs.
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

#endif
