/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_NEGOTIATE_H
#define HSO_HANDSHAKE_NEGOTIATE_H

/**
 * @file
 * What the server picks from a decoded ClientHello: version, cipher suite,
 * key-exchange group (or a HelloRetryRequest), signature scheme, ALPN
 * protocol, and which certificate names match the SNI.
 *
 * Pure functions of (ClientHello, policy, available certificate types):
 * no I/O, no crypto, no state. Server preference wins everywhere, as nginx
 * and HAProxy do with ssl_prefer_server_ciphers. Each returns 0 or the
 * HS_ERR_ALERT() the RFCs ask for when nothing acceptable is offered.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client_hello.h"

#define HS_TLS12 0x0303
#define HS_TLS13 0x0304

/* Cipher suites (IANA). */
#define HS_TLS_AES_128_GCM_SHA256                       0x1301
#define HS_TLS_AES_256_GCM_SHA384                       0x1302
#define HS_TLS_CHACHA20_POLY1305_SHA256                 0x1303
#define HS_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256      0xc02b
#define HS_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384      0xc02c
#define HS_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256        0xc02f
#define HS_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384        0xc030
#define HS_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256  0xcca8
#define HS_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 0xcca9
#define HS_TLS_RSA_WITH_AES_128_GCM_SHA256              0x009c
#define HS_TLS_RSA_WITH_AES_256_GCM_SHA384              0x009d
/** RFC 5746: signals secure renegotiation support in TLS 1.2. */
#define HS_TLS_EMPTY_RENEGOTIATION_INFO_SCSV            0x00ff
/** RFC 7507. */
#define HS_TLS_FALLBACK_SCSV                            0x5600

/* Named groups. */
#define HS_GROUP_SECP256R1 0x0017
#define HS_GROUP_SECP384R1 0x0018
#define HS_GROUP_X25519    0x001d

/*
 * Signature schemes (RFC 8446 4.2.3). In TLS 1.2 the ECDSA codes are
 * SignatureAndHashAlgorithm {hash, ecdsa} and name only the hash (RFC 5246
 * 7.4.1.4.1): any ECDSA key signs with any of them; 0x0303 exists only there.
 */
#define HS_SIG_RSA_PKCS1_SHA256       0x0401
#define HS_SIG_RSA_PKCS1_SHA384       0x0501
#define HS_SIG_RSA_PKCS1_SHA512       0x0601
#define HS_SIG_ECDSA_SHA224           0x0303
#define HS_SIG_ECDSA_SECP256R1_SHA256 0x0403
#define HS_SIG_ECDSA_SECP384R1_SHA384 0x0503
#define HS_SIG_ECDSA_SECP521R1_SHA512 0x0603
#define HS_SIG_RSA_PSS_RSAE_SHA256    0x0804
#define HS_SIG_RSA_PSS_RSAE_SHA384    0x0805
#define HS_SIG_RSA_PSS_RSAE_SHA512    0x0806
/* Only as certificate signatures (signature_algorithms_cert): keys of type RSASSA-PSS. */
#define HS_SIG_RSA_PSS_PSS_SHA256     0x0809

/** Key types a certificate can have; a SNI name may have one of each. */
enum hs_cert_type {
	HS_CERT_RSA = 1 << 0,
	HS_CERT_ECDSA_P256 = 1 << 1,
	HS_CERT_ECDSA_P384 = 1 << 2,
};

/** Key exchange and authentication of a suite. */
enum hs_kx { HS_KX_TLS13, HS_KX_ECDHE_RSA, HS_KX_ECDHE_ECDSA, HS_KX_RSA };

struct hs_suite_info {
	uint16_t id;
	uint16_t version;       /**< HS_TLS12 or HS_TLS13 */
	enum hs_kx kx;
	uint8_t hash;           /**< 0: SHA-256, 1: SHA-384 (PRF / HKDF hash) */
	uint8_t key_len;        /**< AEAD key bytes */
	const char *name;       /**< IANA name */
};

/** The suites hso implements; NULL for any other id. */
const struct hs_suite_info *hs_suite_find(uint16_t id);

/** Number of suites hso implements. */
#define HS_SUITES_NUM 11

/** Position of @p id in hso's suite table (0..HS_SUITES_NUM-1), or -1. */
int hs_suite_index(uint16_t id);

/** The suite at position @p i, or NULL. */
const struct hs_suite_info *hs_suite_at(unsigned i);

#define HS_POLICY_MAX_SUITES 16
#define HS_POLICY_MAX_GROUPS 4
#define HS_POLICY_MAX_SIGALGS 16
#define HS_POLICY_ALPN_MAX 256

/** The negotiation part of the server policy, in server preference order. */
struct hs_nego_policy {
	bool tls12;
	bool tls13;
	uint16_t suites[HS_POLICY_MAX_SUITES];
	uint8_t n_suites;
	uint16_t groups[HS_POLICY_MAX_GROUPS];
	uint8_t n_groups;
	uint16_t sigalgs[HS_POLICY_MAX_SIGALGS];
	uint8_t n_sigalgs;
	/** Protocols in ALPN wire form (u8-length-prefixed names), may be empty. */
	uint8_t alpn[HS_POLICY_ALPN_MAX];
	uint16_t alpn_len;
};

/** A policy with every version, suite, group and scheme hso implements. */
void hs_nego_policy_default(struct hs_nego_policy *p);

/**
 * Pick the protocol version (RFC 8446 4.2.1, RFC 5246 E.1, RFC 7507).
 * @return 0 with *version set; HS_ERR_ALERT(protocol_version) when no common
 *         version, or for a legacy_version of 0x0300 or less (RFC 8446 D.5);
 *         HS_ERR_ALERT(inappropriate_fallback) when the client sent
 *         TLS_FALLBACK_SCSV below our highest version (a common version
 *         found first: protocol_version wins, RFC 7507 3).
 */
int hs_nego_version(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
		    uint16_t *version);

/**
 * Pick the cipher suite for @p version, in server order, among those the
 * client offers and the certificates (@p cert_types, enum hs_cert_type bits)
 * can serve; TLS 1.2 ECDHE needs a common group too.
 * @return 0 with *suite set, or HS_ERR_ALERT(handshake_failure).
 */
int hs_nego_suite(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
		  uint16_t version, unsigned cert_types, uint16_t *suite);

/**
 * Pick the key-exchange group. For TLS 1.3, the first group of ours that the
 * client sent a key share for; when it sent none we accept, *hrr is set and
 * *group is the first of ours the client supports (send HelloRetryRequest).
 * For TLS 1.2 ECDHE, the first of ours in the client's supported_groups
 * (when the extension is absent, RFC 8422 4 lets us pick: secp256r1 if ours,
 * the curve an old client most likely knows, else our first).
 * @param key  set to the client's key share (TLS 1.3, when !*hrr)
 * @return 0; HS_ERR_ALERT(handshake_failure) when no group is common;
 *         HS_ERR_ALERT(missing_extension) for TLS 1.3 without
 *         supported_groups or key_share (RFC 8446 9.2).
 */
int hs_nego_group(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
		  uint16_t version, uint16_t *group, bool *hrr, struct hs_view *key);

/**
 * Pick the signature scheme for a certificate of @p cert_type (one bit):
 * ours in order, offered by the client, usable with that key and version
 * (TLS 1.3: no PKCS#1 v1.5, ECDSA curve bound to the hash, RFC 8446 4.2.3;
 * TLS 1.2: an ECDSA key signs with any ECDSA hash offered, RFC 5246
 * 7.4.1.4.1).
 * @return 0 with *scheme set; HS_ERR_ALERT(missing_extension) for TLS 1.3
 *         without signature_algorithms; HS_ERR_ALERT(handshake_failure) when
 *         nothing fits (also TLS 1.2 without the extension: its default is
 *         SHA-1, RFC 5246 7.4.1.4.1, which hso does not sign with).
 */
int hs_nego_sigalg(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
		   uint16_t version, enum hs_cert_type cert_type, uint16_t *scheme);

/** One certificate the server may serve (hs_nego_cert()). */
struct hs_cert_choice {
	enum hs_cert_type type;
	/** SignatureScheme of each certificate of its chain; 0: not checked. */
	const uint16_t *chain_sig;
	unsigned chain_len;
};

/**
 * Choose among @p n certificates (those the SNI selected) the one to serve
 * with key exchange @p kx, and its signature scheme:
 *
 *  - the server's schemes in order (@p p sigalgs), the first one the client
 *    offers that a candidate can sign with for this version wins; among
 *    candidates of one scheme, the first in @p cand order. So with the
 *    default order (ECDSA schemes first) an ECDSA certificate is served to
 *    a client that accepts ECDSA, an RSA one otherwise;
 *  - @p kx narrows the candidates: TLS 1.2 ECDHE_ECDSA needs an ECDSA key
 *    on a curve the client lists (RFC 8422 5.1), ECDHE_RSA an RSA key; RSA
 *    key exchange signs nothing and takes the first RSA candidate
 *    (*scheme 0);
 *  - candidates whose chain is signed only with schemes the client accepts
 *    for certificates (signature_algorithms_cert, else signature_algorithms;
 *    RFC 8446 4.2.3, RFC 5246 7.4.2) come before all others; when none has
 *    such a chain the others serve, as RFC 8446 4.4.2.2 asks ("SHOULD
 *    continue the handshake by sending the client a certificate chain of
 *    its choice").
 *
 * @return 0 with *idx and *scheme set; HS_ERR_ALERT(missing_extension) for
 *         TLS 1.3 without signature_algorithms; HS_ERR_ALERT(handshake_failure)
 *         when no candidate fits.
 */
int hs_nego_cert(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
		 uint16_t version, enum hs_kx kx, const struct hs_cert_choice *cand,
		 unsigned n, unsigned *idx, uint16_t *scheme);

/** May a certificate of @p cert_type serve this client (TLS 1.2 curve rule)? */
bool hs_nego_cert_curve_ok(const struct hs_client_hello *ch, uint16_t version,
			   enum hs_cert_type cert_type);

/**
 * Pick the ALPN protocol: ours in order, offered by the client.
 * @return 0 with *proto pointing into the policy (len 0: none negotiated,
 *         the client or the policy has no ALPN);
 *         HS_ERR_ALERT(no_application_protocol) when both have ALPN and no
 *         protocol is common (RFC 7301 3.2).
 */
int hs_nego_alpn(const struct hs_client_hello *ch, const struct hs_nego_policy *p,
		 struct hs_view *proto);

/**
 * Does certificate name @p pattern match SNI @p host? Case-insensitive; one
 * trailing dot on @p host ignored; a pattern "*.example.com" matches exactly
 * one whole left-most label ("a.example.com", not "example.com" nor
 * "a.b.example.com"), RFC 6125 6.4.3; no partial-label wildcards.
 */
bool hs_sni_match(const char *pattern, const uint8_t *host, size_t host_len);

#endif
