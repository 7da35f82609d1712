/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_ASYM_H
#define HSO_CRYPTO_ASYM_H

/**
 * @file
 * Asymmetric cryptography through OpenSSL 3 EVP: certificates with their
 * private keys, the TLS 1.2 RSA premaster decryption, the signatures of
 * TLS 1.2 ServerKeyExchange and TLS 1.3 CertificateVerify, and ECDHE over
 * X25519 and secp256r1.
 *
 * Certificates. hso_cert_load() reads a PEM certificate chain (leaf first,
 * then intermediates in the order of the file) and a PEM private key, checks
 * that the key is the leaf's, that it is one we serve (RSA 2048..4096 bits,
 * ECDSA P-256 or P-384) and returns a struct hso_cert: the key, the chain in
 * DER ready for a TLS Certificate message and the leaf's DNS names for SNI.
 * A loaded cert is immutable: workers share it read-only. Errors name the
 * file and what is wrong, in a caller-provided buffer, HAProxy style.
 *
 * Workers. Each worker owns one struct hso_asym_ctx (not thread-safe). It
 * holds everything that OpenSSL lets us build once: fetched digests, a
 * digest context, key-generation contexts per group, and per cert (looked
 * up by hso_cert.serial, up to max_keys certs, evicted round-robin beyond
 * that) a private copy of the key with one EVP_PKEY_CTX per operation,
 * initialised once (padding, digest, salt length) and reused for every
 * call. The private copy gives each worker its own RSA blinding state, so
 * workers never contend on the key's lock.
 *
 * What OpenSSL still allocates per operation is measured by tests/test_asym
 * (it prints mallocs per operation, ours and with a fresh context).
 *
 * RSA premaster (TLS 1.2 RSA key exchange). hso_asym_rsa_premaster_decrypt()
 * uses the provider's RSA_PKCS1_WITH_TLS_PADDING mode: the padding check and
 * the version check (RFC 5246 7.4.7.1) run in constant time and, when
 * either fails, the 48 bytes returned are random (fresh random bytes on
 * every call in OpenSSL 3.0, so a bad ciphertext decrypted twice gives two
 * different premasters) with the same return value 0 as a good ciphertext.
 * The caller cannot tell, and must not try: it continues the handshake,
 * which fails at Finished. A ciphertext shorter than the modulus is the
 * same integer with its leading zero bytes stripped (RFC 8017 4.2 I2OSP:
 * some clients send it so); it is left-padded and decrypted like any other.
 * Only public facts fail early: a ciphertext longer than the modulus or
 * whose value is not below it.
 *
 * Signatures. Schemes are TLS SignatureScheme code points
 * (enum hso_sig_scheme). hso_cert_can_sign() says whether a cert can use a
 * scheme in TLS 1.3, where ECDSA schemes are bound to their curve (0x0403
 * needs P-256, 0x0503 P-384, 0x0603 P-521); hso_cert_can_sign12() says it
 * for TLS 1.2, where an ECDSA code names only the hash and any curve signs
 * with it (RFC 5246 7.4.1.4.1). The signing functions accept either: an
 * ECDSA key signs the scheme's hash. RSA-PSS uses salt length = hash length and MGF1
 * with the same hash (RFC 8446 4.2.3). ECDSA signatures are DER
 * (Ecdsa-Sig-Value), as both TLS versions put them on the wire.
 *
 * ECDHE. A struct hso_ecdhe_key is fixed-size and can live in a pool. It
 * is generated with its derive context ready, so that keys generated ahead
 * of demand (in idle polls) leave derive with the least work. Its public
 * share is in TLS wire format (32 bytes X25519; 65 bytes uncompressed
 * point for secp256r1). Peer shares are validated before use. A key is for
 * one handshake: clear it after derive.
 *
 * Errors: 0 or a negative errno; constructors return NULL and set errno.
 * Private keys and secrets held by these objects are freed through OpenSSL,
 * which wipes them (OPENSSL_cleanse / BN_clear_free); file buffers that held
 * a PEM private key are wiped before they are freed.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * TLS SignatureScheme code points (RFC 8446 4.2.3) that hso can produce.
 * The ECDSA codes are also TLS 1.2 SignatureAndHashAlgorithm values
 * {hash, ecdsa(3)} (RFC 5246 7.4.1.4.1), where they name the hash only.
 */
enum hso_sig_scheme {
	HSO_SIG_RSA_PKCS1_SHA256 = 0x0401,	/**< TLS 1.2 only */
	HSO_SIG_RSA_PKCS1_SHA384 = 0x0501,	/**< TLS 1.2 only */
	HSO_SIG_RSA_PKCS1_SHA512 = 0x0601,	/**< TLS 1.2 only */
	HSO_SIG_ECDSA_SHA224 = 0x0303,		/**< TLS 1.2 only: {sha224, ecdsa} */
	HSO_SIG_ECDSA_P256_SHA256 = 0x0403,	/**< ecdsa_secp256r1_sha256 */
	HSO_SIG_ECDSA_P384_SHA384 = 0x0503,	/**< ecdsa_secp384r1_sha384 */
	HSO_SIG_ECDSA_P521_SHA512 = 0x0603,	/**< ecdsa_secp521r1_sha512 */
	HSO_SIG_RSA_PSS_RSAE_SHA256 = 0x0804,
	HSO_SIG_RSA_PSS_RSAE_SHA384 = 0x0805,
	HSO_SIG_RSA_PSS_RSAE_SHA512 = 0x0806,
};

/** TLS NamedGroup code points (RFC 8446 4.2.7) for ECDHE. */
enum hso_group {
	HSO_GROUP_SECP256R1 = 0x0017,
	HSO_GROUP_X25519 = 0x001d,
};

enum hso_key_type {
	HSO_KEY_NONE = 0,
	HSO_KEY_RSA,		/**< rsaEncryption, 2048..4096 bits */
	HSO_KEY_EC_P256,	/**< id-ecPublicKey on prime256v1 */
	HSO_KEY_EC_P384,	/**< id-ecPublicKey on secp384r1 */
};

#define HSO_RSA_MIN_BITS 2048
#define HSO_RSA_MAX_BITS 4096
/** The TLS 1.2 premaster secret: client_version (2) + random (46). */
#define HSO_TLS12_PREMASTER_LEN 48
/** SHA-512, the largest digest of the supported schemes. */
#define HSO_SIG_DIGEST_MAX 64
/*
 * Largest signature: an RSA-4096 signature is 512 bytes; a DER ECDSA P-384
 * signature is at most 2 + 2 * (2 + 49) = 104 bytes.
 */
#define HSO_SIG_MAX (HSO_RSA_MAX_BITS / 8)
/** Certificates in a chain, leaf included. */
#define HSO_CERT_CHAIN_MAX 8
/** DNS names kept from the leaf (SAN dNSName, else the CN). */
#define HSO_CERT_NAMES_MAX 64
/** An ECDHE share on the wire: 0x04 || X (32) || Y (32) for secp256r1. */
#define HSO_ECDHE_PUB_MAX (1 + 2 * 32)
/** An ECDHE shared secret: the X coordinate or the X25519 output. */
#define HSO_ECDHE_SECRET_MAX 32

/** One DER certificate of a chain. */
struct hso_cert_der {
	const uint8_t *der;
	uint32_t len;
};

/**
 * A certificate chain with the leaf's private key. Read-only after load;
 * shared by all workers. Free with hso_cert_free().
 */
struct hso_cert {
	EVP_PKEY *pkey;			/**< the private key (never exported) */
	enum hso_key_type key_type;
	unsigned key_bits;		/**< RSA modulus bits; 256 or 384 for EC */
	size_t sig_max;			/**< largest signature this key makes */
	uint64_t serial;		/**< unique per load: the ctx cache key */
	/*
	 * The TLS 1.2 certificate_list body (RFC 5246 7.4.2) without its own
	 * 3-byte length: for each cert, a 3-byte length then the DER. Put
	 * tls12_list_len in 3 bytes in front of it for the whole list. TLS 1.3
	 * (RFC 8446 4.4.2) adds extensions per entry: use chain[] instead.
	 */
	const uint8_t *tls12_list;
	size_t tls12_list_len;
	unsigned chain_len;		/**< certs in chain[], leaf first */
	struct hso_cert_der chain[HSO_CERT_CHAIN_MAX];	/**< point into tls12_list */
	unsigned n_names;
	const char *names[HSO_CERT_NAMES_MAX];	/**< lower case, e.g. "*.example.com" */
	const uint8_t *rsa_modulus;	/**< big-endian, sig_max bytes; RSA only */
	void *mem_;			/**< one block holding the above; private */
};

/**
 * Load a certificate chain and its private key from PEM files.
 *
 * @param cert_path
 *   PEM file with the leaf certificate first, then intermediates.
 * @param key_path
 *   PEM file with the unencrypted private key (PKCS#8, or traditional RSA /
 *   EC); NULL if it is in @p cert_path.
 * @param err
 *   On failure, a message naming the file and what is wrong (may be NULL).
 * @param errlen
 *   Size of @p err.
 * @return
 *   The cert, or NULL with errno set to:
 *   - an errno of open()/read() (ENOENT, EACCES, EISDIR, ...): unreadable file
 *   - EFBIG: file larger than 1 MiB
 *   - EBADMSG: no certificate, bad PEM or DER, or no private key found
 *   - EKEYREJECTED: the private key does not match the leaf certificate
 *   - ENOTSUP: unsupported key type or size (RSA < 2048 or > 4096 bits,
 *     EC other than P-256/P-384, Ed25519, Ed448, DSA, RSA-PSS keys...) or an
 *     encrypted private key
 *   - E2BIG: more than HSO_CERT_CHAIN_MAX certificates
 *   - ENOMEM
 */
struct hso_cert *hso_cert_load(const char *cert_path, const char *key_path,
			       char *err, size_t errlen);

/** Free @p cert (NULL is fine). The private key is wiped by OpenSSL. */
void hso_cert_free(struct hso_cert *cert);

/**
 * Whether @p cert can sign with @p scheme (type, curve and size checked).
 * @return true or false; false for unknown schemes.
 */
bool hso_cert_can_sign(const struct hso_cert *cert, uint16_t scheme);

/**
 * Whether @p cert can sign with @p scheme in TLS 1.2: as hso_cert_can_sign(),
 * but an ECDSA key of any curve signs every ECDSA hash hso has (SHA-224,
 * SHA-256, SHA-384, SHA-512: RFC 5246 7.4.1.4.1 pairs the hash with the
 * algorithm, not with the curve).
 */
bool hso_cert_can_sign12(const struct hso_cert *cert, uint16_t scheme);

/** "rsa", "ecdsa-p256", "ecdsa-p384", for logs. */
const char *hso_key_type_name(enum hso_key_type type);

struct hso_asym_ctx;

/**
 * Create a worker's asymmetric context.
 *
 * @param max_keys
 *   Certs whose per-key contexts are kept (0: 16). More certs work, with
 *   contexts rebuilt on eviction.
 * @return
 *   The context, or NULL with errno ENOMEM, or EIO when OpenSSL lacks an
 *   algorithm (SHA-256/384, X25519, EC P-256).
 */
struct hso_asym_ctx *hso_asym_ctx_create(unsigned max_keys);

/** Free @p ctx (NULL is fine) and its per-key copies of private keys. */
void hso_asym_ctx_free(struct hso_asym_ctx *ctx);

/**
 * Drop @p ctx's cached contexts for @p cert, e.g. before freeing the cert
 * on a reload. Not needed for correctness: entries are keyed by serial.
 */
void hso_asym_ctx_forget(struct hso_asym_ctx *ctx, const struct hso_cert *cert);

/**
 * Decrypt a TLS 1.2 EncryptedPreMasterSecret (RFC 5246 7.4.7.1) with
 * Bleichenbacher/ROBOT countermeasures.
 *
 * A bad padding, or version bytes that are neither @p client_version nor
 * (when non-zero) @p negotiated_version, give 48 random bytes and return 0,
 * in constant time, exactly as a good ciphertext does.
 *
 * @param ctx       The worker's context.
 * @param cert      An RSA cert.
 * @param in        The ciphertext, without its 2-byte length prefix.
 * @param inlen     At most the modulus size (cert->sig_max); shorter is
 *                  left-padded with zero bytes.
 * @param client_version
 *   ClientHello.client_version, e.g. 0x0303; must not be 0.
 * @param negotiated_version
 *   The version the server negotiated, accepted as an alternative in the
 *   premaster (the workaround for old clients that put it there, as libssl
 *   with SSL_OP_TLS_ROLLBACK_BUG); 0 or equal to @p client_version for the
 *   strict check RFC 5246 asks for.
 * @param premaster  Out: 48 bytes.
 * @return
 *   - 0: @p premaster holds the premaster, or random bytes (see above)
 *   - -EBADMSG: @p inlen is longer than the modulus, or the ciphertext is
 *     not below the modulus (public facts; a TLS server still goes on with
 *     a random premaster, RFC 5246 7.4.7.1)
 *   - -EINVAL: not an RSA cert, or @p client_version is 0
 *   - -ENOMEM, -EIO: OpenSSL failure (internal_error)
 */
int hso_asym_rsa_premaster_decrypt(struct hso_asym_ctx *ctx,
				   const struct hso_cert *cert,
				   const uint8_t *in, size_t inlen,
				   uint16_t client_version,
				   uint16_t negotiated_version,
				   uint8_t premaster[HSO_TLS12_PREMASTER_LEN]);

/**
 * Sign a message with @p scheme: hash it, then sign the digest. For TLS 1.3
 * CertificateVerify the message is 64 spaces, the context string, 0x00
 * and the transcript hash (RFC 8446 4.4.3); for TLS 1.2 ServerKeyExchange
 * it is client_random + server_random + params (RFC 5246 7.4.3).
 *
 * @param ctx     The worker's context.
 * @param cert    The signing cert.
 * @param scheme  A SignatureScheme (enum hso_sig_scheme).
 * @param msg     The message; @p msglen bytes.
 * @param sig     Out: the signature (DER for ECDSA).
 * @param sigcap  Size of @p sig; cert->sig_max (or HSO_SIG_MAX) is enough.
 * @param siglen  Out: the signature's length.
 * @return
 *   - 0
 *   - -ENOTSUP: @p cert cannot use @p scheme (neither hso_cert_can_sign()
 *     nor hso_cert_can_sign12())
 *   - -ENOSPC: @p sigcap is smaller than cert->sig_max
 *   - -ENOMEM, -EIO: OpenSSL failure
 */
int hso_asym_sign(struct hso_asym_ctx *ctx, const struct hso_cert *cert,
		  uint16_t scheme, const void *msg, size_t msglen,
		  uint8_t *sig, size_t sigcap, size_t *siglen);

/**
 * Sign a digest already computed with @p scheme's hash (e.g. by the
 * batched transcript hashes). Same as hso_asym_sign() otherwise.
 *
 * @return as hso_asym_sign(), and -EINVAL when @p dlen is not the length
 *   of @p scheme's hash.
 */
int hso_asym_sign_digest(struct hso_asym_ctx *ctx, const struct hso_cert *cert,
			 uint16_t scheme, const uint8_t *dgst, size_t dlen,
			 uint8_t *sig, size_t sigcap, size_t *siglen);

/**
 * An ECDHE key pair, fixed size: keep them in a pool. Zero-initialise
 * before first use; hso_ecdhe_key_clear() returns it to that state.
 */
struct hso_ecdhe_key {
	uint16_t group;			/**< enum hso_group; 0 when empty */
	uint8_t pub_len;
	uint8_t pub[HSO_ECDHE_PUB_MAX];	/**< our share, TLS wire format */
	EVP_PKEY *pkey_;		/**< private */
	EVP_PKEY_CTX *derive_;		/**< private: derive, initialised */
};

/**
 * Generate a key pair for @p group into @p key (cleared first if in use).
 *
 * @return
 *   - 0: key->pub holds our share (key->pub_len bytes)
 *   - -ENOTSUP: @p group is not X25519 or secp256r1
 *   - -ENOMEM, -EIO: OpenSSL failure
 */
int hso_ecdhe_key_generate(struct hso_asym_ctx *ctx, uint16_t group,
			   struct hso_ecdhe_key *key);

/**
 * Validate the peer's share and derive the shared secret.
 *
 * @param ctx        The worker's context.
 * @param key        Our generated key.
 * @param peer       The peer's share in TLS wire format.
 * @param peerlen    32 for X25519, 65 for secp256r1.
 * @param secret     Out: the shared secret (32 bytes for both groups).
 * @param secretcap  Size of @p secret, at least HSO_ECDHE_SECRET_MAX.
 * @param secretlen  Out: its length.
 * @return
 *   - 0
 *   - -EINVAL: invalid peer share: wrong length, not the uncompressed form,
 *     not on the curve, or (X25519) a small-order point giving an all-zero
 *     secret. The handshake answers illegal_parameter.
 *   - -ENOENT: @p key was not generated
 *   - -ENOSPC: @p secretcap is too small
 *   - -ENOMEM, -EIO: OpenSSL failure
 */
int hso_ecdhe_key_derive(struct hso_asym_ctx *ctx, struct hso_ecdhe_key *key,
			 const uint8_t *peer, size_t peerlen,
			 uint8_t *secret, size_t secretcap, size_t *secretlen);

/** Free @p key's private parts (wiped by OpenSSL) and zero it. */
void hso_ecdhe_key_clear(struct hso_ecdhe_key *key);

/*
 * The client side: the server's public key from its certificate, signature
 * verification, the RSA premaster encryption and chain verification.
 */

/** A peer's public key (from its leaf certificate). Zero-initialise. */
struct hso_peer_key {
	EVP_PKEY *pkey;                 /**< NULL when empty */
	enum hso_key_type key_type;
	unsigned key_bits;              /**< RSA modulus bits; 256 or 384 for EC */
};

/**
 * Decode the public key of the DER certificate @p der (a TLS Certificate
 * entry).
 * @return 0; -EBADMSG when it does not decode; -ENOTSUP for a key type or
 *         size hso does not verify (RSA < 2048 or > 4096 bits, curves other
 *         than P-256/P-384, Ed25519...); -ENOMEM.
 */
int hso_peer_key_from_der(struct hso_peer_key *k, const uint8_t *der, size_t len);

/** Release @p k (NULL pkey is fine) and zero it. */
void hso_peer_key_clear(struct hso_peer_key *k);

/** Whether a key of type @p t can have made a signature with @p scheme. */
bool hso_peer_key_can_verify(const struct hso_peer_key *k, uint16_t scheme);

/**
 * Verify @p sig over @p msg with @p scheme (the inverse of hso_asym_sign()).
 * @return 0 when it verifies; -EBADMSG when it does not (decrypt_error);
 *         -ENOTSUP when @p k cannot use @p scheme (illegal_parameter);
 *         -EINVAL for an empty key; -ENOMEM, -EIO: OpenSSL failure.
 */
int hso_asym_verify(struct hso_asym_ctx *ctx, const struct hso_peer_key *k,
		    uint16_t scheme, const void *msg, size_t msglen,
		    const uint8_t *sig, size_t siglen);

/**
 * Encrypt a TLS 1.2 premaster secret to the server's RSA key with PKCS#1
 * v1.5 (RFC 5246 7.4.7.1).
 * @param out    Out: the EncryptedPreMasterSecret, modulus-size bytes.
 * @return 0; -ENOTSUP for a key that is not RSA; -ENOSPC when @p cap is
 *         below the modulus size; -ENOMEM, -EIO: OpenSSL failure.
 */
int hso_asym_rsa_premaster_encrypt(struct hso_asym_ctx *ctx,
				   const struct hso_peer_key *k,
				   const uint8_t pms[HSO_TLS12_PREMASTER_LEN],
				   uint8_t *out, size_t cap, size_t *outlen);

/** Trusted CA certificates (an X509_STORE), shared read-only by workers. */
struct hso_ca_store;

/**
 * Load PEM CA certificates from @p path (one file, several certificates).
 * @param err  on failure, a message naming the file (may be NULL)
 * @return the store, or NULL with errno set: an errno of fopen() (ENOENT,
 *         EACCES...), EBADMSG (no certificate in the file), ENOMEM.
 */
struct hso_ca_store *hso_ca_store_load(const char *path, char *err, size_t errlen);

/** Free @p store (NULL is fine); nothing may use it any more. */
void hso_ca_store_free(struct hso_ca_store *store);

/**
 * Verify a chain (leaf first, DER) against @p store at the current time;
 * with @p host, the leaf must name it (RFC 6125, as X509_check_host()).
 * Allocates (OpenSSL decodes each certificate): for full-mode clients.
 * @return 0; -EBADMSG: a certificate does not decode (bad_certificate);
 *         -ENOKEY: no path to a trusted CA (unknown_ca);
 *         -EKEYEXPIRED: a certificate is expired or not yet valid
 *         (certificate_expired); -EKEYREJECTED: any other failure, the host
 *         name included (bad_certificate); -EINVAL: @p n is 0; -ENOMEM.
 */
int hso_ca_store_verify(const struct hso_ca_store *store,
			const uint8_t *const *der, const size_t *len, unsigned n,
			const char *host);

#ifdef __cplusplus
}
#endif

#endif
