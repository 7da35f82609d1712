/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_SYM_H
#define HSO_CRYPTO_SYM_H

/**
 * @file
 * Symmetric record crypto and transcript hashes.
 *
 * AEAD (RFC 5116): AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305 through
 * intel-ipsec-mb's direct (single-buffer) API. Three layers:
 *
 *  1. struct hso_aead_key: one key, expanded once (AES round keys and GHASH
 *     powers for GCM; the raw key for ChaCha20-Poly1305, whose ipsec-mb API
 *     takes it raw). hso_aead_seal()/hso_aead_open() encrypt/decrypt one
 *     message with an explicit 12-byte nonce and additional data.
 *  2. struct hso_record_prot: one direction of a TLS connection: a key, the
 *     static IV (TLS 1.3 write_iv, TLS 1.2 GCM 4-byte salt, TLS 1.2
 *     ChaCha20-Poly1305 12-byte IV) and the 64-bit sequence number. It
 *     builds the per-record nonce and additional data and counts records.
 *  3. hso_tls13_record_seal/open() and hso_tls12_record_seal/open(): whole
 *     protected records, header included, with RFC 8446 / RFC 5246 limits.
 *
 * Sequence numbers. struct hso_record_prot owns the sequence number of its
 * direction: every successful seal or open uses the current value and then
 * increments it; a failed call leaves it unchanged (a failed open is fatal to
 * the connection anyway). After the record with sequence number 2^64 - 1 the
 * state is exhausted and every further call fails with -EOVERFLOW, so a
 * nonce is never reused: "If a TLS implementation would need to wrap a
 * sequence number, it MUST either rekey (Section 4.6.3) or terminate the
 * connection." (RFC 8446 5.3). A new key (KeyUpdate, new epoch) means a new
 * hso_record_prot_init(), which restarts at 0.
 *
 * Key binding. A key remembers the ipsec-mb functions it was expanded for
 * (the gcm_key_data layout differs per architecture: SSE/AVX, AVX2/AVX-512
 * and VAES-AVX-512 store different GHASH tables), so it must only be used
 * through these functions, never handed to another manager. The functions it
 * keeps are ipsec-mb's stateless direct API: a key may be used from any
 * thread, concurrently, as long as each call has its own output buffer; the
 * per-message context lives on the caller's stack. struct hso_record_prot is
 * mutable (the sequence number) and belongs to one worker.
 *
 * Buffers and in-place operation. Low-level seal writes len bytes of
 * ciphertext then the 16-byte tag at @c out; open writes len - 16 bytes of
 * plaintext. @c out == @c in works (in place); any other overlap does not.
 * Record functions document where the payload sits for in-place use. On any
 * open failure the output that may have been written is wiped (zeroed), so
 * unauthenticated plaintext never reaches the caller.
 *
 * Errors (all negative errno; the alert a TLS engine should send):
 *   -EBADMSG    authentication failed, or record too short for a tag:
 *               bad_record_mac
 *   -EMSGSIZE   a length over the RFC limit: record_overflow (open); on seal
 *               the caller asked for a record larger than allowed
 *   -EPROTO     TLS 1.3 inner plaintext all zeros (no content type), or a
 *               protected record whose outer type is not application_data:
 *               unexpected_message
 *   -EOVERFLOW  sequence number exhausted: rekey or close (internal_error)
 *   -ENOBUFS    output buffer too small (caller bug: internal_error)
 *   -EINVAL     bad argument (NULL, unknown algorithm, wrong key length)
 *
 * Secrets. hso_aead_key_wipe() and hso_record_prot_wipe() zero the key
 * material; call them when a key is retired. Nothing here allocates.
 *
 * Transcript hash. struct hso_hash is an incremental SHA-256 or SHA-384
 * whose state is a plain fixed-size value: copying the struct (or
 * hso_hash_copy()) forks the transcript, e.g. to compute a Finished over the
 * messages so far while the transcript goes on. ipsec-mb 1.3 has no
 * incremental hash, so this wraps OpenSSL's low-level SHA-2 (SHA-NI where
 * the CPU has it, no allocation, no EVP fetch). Not thread-safe per object;
 * any number of objects may be used in parallel.
 */

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "crypto_imb.h"

/* ------------------------------------------------------------------------ */
/* AEAD                                                                     */
/* ------------------------------------------------------------------------ */

/** AEAD algorithms (TLS cipher suites use them with a 16-byte tag). */
enum hso_aead_alg {
	HSO_AEAD_AES128_GCM = 0,
	HSO_AEAD_AES256_GCM,
	HSO_AEAD_CHACHA20_POLY1305,
	HSO_AEAD_ALG_NUM
};

/** Tag length of every algorithm here (RFC 5116 5.1-5.2, RFC 8439 2.8). */
#define HSO_AEAD_TAG_LEN 16
/** Nonce length of every algorithm here (RFC 5116 N_MIN = N_MAX = 12). */
#define HSO_AEAD_NONCE_LEN 12
/** Longest key (AES-256, ChaCha20). */
#define HSO_AEAD_KEY_MAX 32
/**
 * Longest message one call accepts. GCM allows 2^36 - 32 bytes (SP 800-38D
 * 5.2.1.1), ChaCha20-Poly1305 about 2^38; the lengths returned are ints,
 * so the cap is the int range less the tag. TLS records are far shorter.
 */
#define HSO_AEAD_MSG_MAX ((size_t)0x7fffffff - HSO_AEAD_TAG_LEN)

/**
 * One expanded AEAD key. Fixed size, embeddable, copyable by assignment;
 * treat the members as private. Wipe with hso_aead_key_wipe().
 */
struct hso_aead_key {
	union {
		/* AES round keys + GHASH key powers; ipsec-mb's asm wants
		 * 64-byte alignment (its header asks for it only under
		 * -DLINUX, so say it here). */
		alignas(64) struct gcm_key_data gcm;
		uint8_t chacha[HSO_AEAD_KEY_MAX];
	} k;
	/* Direct-API functions of the manager the key was expanded with. */
	aes_gcm_enc_dec_t gcm_enc;
	aes_gcm_enc_dec_t gcm_dec;
	/* ... and its scatter-gather (init/update/finalize) functions. */
	aes_gcm_init_t gcm_init;
	aes_gcm_enc_dec_update_t gcm_enc_upd;
	aes_gcm_enc_dec_update_t gcm_dec_upd;
	aes_gcm_enc_dec_finalize_t gcm_enc_fin;
	aes_gcm_enc_dec_finalize_t gcm_dec_fin;
	chacha_poly_init_t cp_init;
	chacha_poly_enc_dec_update_t cp_enc;
	chacha_poly_enc_dec_update_t cp_dec;
	chacha_poly_finalize_t cp_final;
	enum hso_aead_alg alg;
};

/** Key length of @p alg in bytes (16 or 32), 0 for an unknown algorithm. */
size_t hso_aead_key_len(enum hso_aead_alg alg);

/** "aes-128-gcm", "aes-256-gcm", "chacha20-poly1305" or "invalid". */
const char *hso_aead_alg_name(enum hso_aead_alg alg);

/**
 * Expand @p key for @p alg with the manager @p set chose for the algorithm
 * (HSO_IMB_ALG_AES_GCM or HSO_IMB_ALG_CHACHA20_POLY1305).
 *
 * @param k        key object to fill (any previous content is overwritten)
 * @param set      the worker's managers; not referenced after the call
 * @param alg      algorithm
 * @param key      raw key bytes
 * @param key_len  must be hso_aead_key_len(alg)
 * @return 0; -EINVAL for a NULL argument, an unknown @p alg or a wrong
 *         @p key_len; -ENOTSUP when the manager lacks the algorithm.
 */
int hso_aead_key_init(struct hso_aead_key *k, const struct hso_imb_set *set,
		      enum hso_aead_alg alg, const uint8_t *key, size_t key_len);

/**
 * Same as hso_aead_key_init() with an explicit manager, for code that has no
 * per-worker set (e.g. session-ticket keys, crypto_stek.h).
 */
int hso_aead_key_init_mgr(struct hso_aead_key *k, const IMB_MGR *mgr,
			  enum hso_aead_alg alg, const uint8_t *key,
			  size_t key_len);

/** Zero the key material. Safe on a zeroed or already wiped key. */
void hso_aead_key_wipe(struct hso_aead_key *k);

/**
 * Encrypt and authenticate one message.
 *
 * @param k        expanded key
 * @param nonce    12 bytes, never repeated under one key
 * @param aad      additional data (may be NULL when @p aad_len is 0)
 * @param in       plaintext (may be NULL when @p len is 0)
 * @param len      plaintext length, at most HSO_AEAD_MSG_MAX
 * @param out      receives @p len bytes of ciphertext then the 16-byte tag;
 *                 may equal @p in
 * @return @p len + HSO_AEAD_TAG_LEN; -EINVAL for NULL arguments;
 *         -EMSGSIZE when @p len is over HSO_AEAD_MSG_MAX.
 */
int hso_aead_seal(const struct hso_aead_key *k, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const uint8_t *in,
		  size_t len, uint8_t *out);

/**
 * Check and decrypt one message. The tag is compared in constant time.
 *
 * @param in       ciphertext followed by the 16-byte tag
 * @param len      ciphertext + tag length
 * @param out      receives @p len - 16 bytes of plaintext; may equal @p in.
 *                 Wiped (zeroed) on authentication failure.
 * @return plaintext length; -EBADMSG when @p len < 16 or the tag does not
 *         verify; -EINVAL for NULL arguments; -EMSGSIZE when @p len is over
 *         HSO_AEAD_MSG_MAX + HSO_AEAD_TAG_LEN.
 */
int hso_aead_open(const struct hso_aead_key *k, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const uint8_t *in,
		  size_t len, uint8_t *out);

/**
 * One message sealed or opened piece by piece: begin, any number of updates
 * of any length (ipsec-mb keeps partial blocks and keystream between them),
 * then finish. For a caller that walks its own segments (a TLS record whose
 * header, body and tag lie across mbufs). A stack object; finishing wipes it.
 */
struct hso_aead_stream {
	union {
		alignas(64) struct gcm_context_data gcm;
		struct chacha20_poly1305_context_data cp;
	} ctx;
	const struct hso_aead_key *k;
	bool enc;
};

/** Start sealing (@p enc) or opening a message under @p k. Arguments are not checked. */
void hso_aead_stream_begin(struct hso_aead_stream *s, const struct hso_aead_key *k,
			   bool enc, const uint8_t nonce[HSO_AEAD_NONCE_LEN],
			   const uint8_t *aad, size_t aad_len);

/** Encrypt or decrypt @p len bytes from @p in to @p out (may be equal). */
void hso_aead_stream_update(struct hso_aead_stream *s, uint8_t *out, const uint8_t *in,
			    size_t len);

/** Sealing: write the tag, wipe @p s. */
void hso_aead_stream_seal_end(struct hso_aead_stream *s, uint8_t tag[HSO_AEAD_TAG_LEN]);

/**
 * Opening: compare the tag in constant time, wipe @p s.
 * @return 0; -EBADMSG when it does not verify (the caller wipes what it
 *         decrypted: RFC 5116 2.2).
 */
int hso_aead_stream_open_end(struct hso_aead_stream *s, const uint8_t tag[HSO_AEAD_TAG_LEN]);

/**
 * Scatter-gather seal: the plaintext is the concatenation of @p in[0..n_in)
 * (a record spread over mbufs, several sends gathered into one record); the
 * ciphertext goes to @p out[0..n_out) in order, or with @p out NULL over each
 * input segment where it lies (in place); the tag goes to @p tag. Segments
 * may have any length (0 included): ipsec-mb's init/update/finalize API
 * carries partial blocks between them; one input and one output segment
 * take the one-shot path. An output segment may equal an input segment at
 * the same position of the stream; no other overlap is allowed.
 *
 * @return the plaintext length; -EINVAL for NULL arguments; -ENOBUFS when
 *         the output segments hold less than the input; -EMSGSIZE over
 *         HSO_AEAD_MSG_MAX.
 */
int hso_aead_seal_sgl(const struct hso_aead_key *k, const uint8_t *nonce,
		      const uint8_t *aad, size_t aad_len,
		      const struct iovec *in, unsigned n_in,
		      const struct iovec *out, unsigned n_out,
		      uint8_t tag[HSO_AEAD_TAG_LEN]);

/**
 * Scatter-gather open: the ciphertext (tag not included) is the
 * concatenation of @p in[0..n_in), decrypted to @p out[0..n_out) or in place
 * (@p out NULL) as hso_aead_seal_sgl(); @p tag is compared in constant time.
 * On authentication failure everything written is wiped (zeroed).
 *
 * @return the plaintext length; -EBADMSG when the tag does not verify;
 *         -EINVAL; -ENOBUFS; -EMSGSIZE.
 */
int hso_aead_open_sgl(const struct hso_aead_key *k, const uint8_t *nonce,
		      const uint8_t *aad, size_t aad_len,
		      const struct iovec *in, unsigned n_in,
		      const struct iovec *out, unsigned n_out,
		      const uint8_t tag[HSO_AEAD_TAG_LEN]);

/* ------------------------------------------------------------------------ */
/* TLS record protection                                                    */
/* ------------------------------------------------------------------------ */

/** Record header: type (1) + legacy_record_version (2) + length (2). */
#define HSO_TLS_HEADER_LEN 5
/** TLS 1.3 application_data, the outer type of every protected record. */
#define HSO_TLS_CT_APPLICATION_DATA 23
/** legacy_record_version of protected TLS 1.3 records (RFC 8446 5.1). */
#define HSO_TLS13_LEGACY_VERSION 0x0303
/** TLSPlaintext / TLSInnerPlaintext content: at most 2^14 (RFC 8446 5.1). */
#define HSO_TLS_PLAINTEXT_MAX 16384u
/** TLSInnerPlaintext: content + type byte + padding, "MUST NOT exceed
 *  2^14 + 1 octets" (RFC 8446 5.4). */
#define HSO_TLS13_INNER_MAX (HSO_TLS_PLAINTEXT_MAX + 1u)
/** TLSCiphertext.length: "MUST NOT exceed 2^14 + 256 bytes" (RFC 8446 5.2). */
#define HSO_TLS13_CIPHERTEXT_MAX (HSO_TLS_PLAINTEXT_MAX + 256u)
/** TLSCiphertext.length in TLS 1.2: "MUST NOT exceed 2^14 + 2048"
 *  (RFC 5246 6.2.3). */
#define HSO_TLS12_CIPHERTEXT_MAX (HSO_TLS_PLAINTEXT_MAX + 2048u)
/** GCM explicit nonce carried in each TLS 1.2 record (RFC 5288 3). */
#define HSO_TLS12_GCM_EXPLICIT_LEN 8
/** GCM implicit salt from the key block, client/server_write_IV (RFC 5288 3). */
#define HSO_TLS12_GCM_SALT_LEN 4
/** TLS 1.2 additional data: seq_num (8) + type (1) + version (2) + length (2)
 *  (RFC 5246 6.2.3.3). */
#define HSO_TLS12_AAD_LEN 13
/** Largest protected TLS 1.3 record we write: header + 2^14 + 1 + tag. */
#define HSO_TLS13_RECORD_MAX \
	(HSO_TLS_HEADER_LEN + HSO_TLS13_INNER_MAX + HSO_AEAD_TAG_LEN)
/** Largest protected TLS 1.2 record we write: header + explicit nonce +
 *  2^14 + tag. */
#define HSO_TLS12_RECORD_MAX \
	(HSO_TLS_HEADER_LEN + HSO_TLS12_GCM_EXPLICIT_LEN + \
	 HSO_TLS_PLAINTEXT_MAX + HSO_AEAD_TAG_LEN)

/** Protocol version whose record protection a state implements. */
enum hso_tls_ver {
	HSO_TLS12 = 0,
	HSO_TLS13,
};

/**
 * One direction (read or write) of a connection's record protection.
 * Fixed size, embeddable; members private. Wipe with hso_record_prot_wipe().
 */
struct hso_record_prot {
	struct hso_aead_key key;
	uint8_t iv[HSO_AEAD_NONCE_LEN]; /**< TLS 1.2 GCM: salt in iv[0..3] */
	uint64_t seq;                   /**< next record's sequence number */
	bool exhausted;                 /**< 2^64 records done: no more */
	uint8_t ver;                    /**< enum hso_tls_ver */
};

/**
 * Set up one direction with a fresh key; the sequence number starts at 0.
 *
 * @param iv      TLS 1.3: the 12-byte write_iv (RFC 8446 7.3).
 *                TLS 1.2 AES-GCM: the 4-byte write_IV salt (RFC 5288 3).
 *                TLS 1.2 ChaCha20-Poly1305: the 12-byte write_IV (RFC 7905 2).
 * @param iv_len  12, or 4 for TLS 1.2 AES-GCM
 * @return 0; -EINVAL for a wrong key or IV length, unknown version or
 *         algorithm; -ENOTSUP as hso_aead_key_init().
 */
int hso_record_prot_init(struct hso_record_prot *rp,
			 const struct hso_imb_set *set, enum hso_tls_ver ver,
			 enum hso_aead_alg alg, const uint8_t *key,
			 size_t key_len, const uint8_t *iv, size_t iv_len);

/** Zero key, IV and counters. */
void hso_record_prot_wipe(struct hso_record_prot *rp);

/** The sequence number the next record will use. */
static inline uint64_t
hso_record_prot_seq(const struct hso_record_prot *rp)
{
	return rp->seq;
}

/**
 * Move the sequence number forward, e.g. to resume a connection whose state
 * was exported, or in tests. Going backwards would reuse nonces and is
 * refused.
 *
 * @return 0; -EINVAL when @p seq is below the current value.
 */
int hso_record_prot_set_seq(struct hso_record_prot *rp, uint64_t seq);

/**
 * Where a record's plaintext must sit for an in-place seal: @p out +
 * this many bytes (5 for TLS 1.3 and TLS 1.2 ChaCha20-Poly1305, 13 for
 * TLS 1.2 GCM: header + explicit nonce). Open decrypts in place at the same
 * offset from the record start.
 */
size_t hso_record_prot_payload_offset(const struct hso_record_prot *rp);

/**
 * The 12-byte nonce for sequence number @p seq: the IV XOR the big-endian
 * sequence number left-padded to 12 bytes (RFC 8446 5.3, RFC 7905 2), or
 * for TLS 1.2 GCM salt || 64-bit explicit nonce, the explicit part being the
 * sequence number (RFC 5288 3). Exposed for tests and for the batched paths.
 */
void hso_record_prot_nonce(const struct hso_record_prot *rp, uint64_t seq,
			   uint8_t nonce[HSO_AEAD_NONCE_LEN]);

/**
 * Protect one TLS 1.3 record: TLSInnerPlaintext = content || type ||
 * zeros[pad], header 0x17 0x0303 length, additional data = the header
 * (RFC 8446 5.2).
 *
 * @param rp       write direction (TLS 1.3); its sequence number advances
 * @param type     real content type (handshake, alert, application_data)
 * @param data     content; in place when @p data == @p out + 5, otherwise
 *                 must not overlap @p out
 * @param len      content length, at most 2^14
 * @param pad      zero bytes of padding; @p len + @p pad at most 2^14
 * @param out      receives the record
 * @param out_cap  bytes available at @p out
 * @return record length (5 + len + 1 + pad + 16); -EMSGSIZE when @p len +
 *         @p pad exceeds 2^14; -ENOBUFS when @p out_cap is too small;
 *         -EOVERFLOW when the sequence number is exhausted; -EINVAL.
 */
int hso_tls13_record_seal(struct hso_record_prot *rp, uint8_t type,
			  const uint8_t *data, size_t len, size_t pad,
			  uint8_t *out, size_t out_cap);

/**
 * Check and decrypt one TLS 1.3 record, strip the padding and recover the
 * content type.
 *
 * @param rp       read direction (TLS 1.3); its sequence number advances on
 *                 success
 * @param rec      the whole record, header included (the header is the
 *                 additional data); @p rec_len must equal 5 + its length
 *                 field
 * @param out      receives the whole decrypted TLSInnerPlaintext, so it
 *                 must hold @p rec_len - 5 - 16 bytes; the content is its
 *                 first (returned) bytes. In place when @p out == @p rec + 5,
 *                 otherwise must not overlap. Wiped on failure.
 * @param type     receives the real content type
 * @return content length; -EPROTO when the outer type is not
 *         application_data or the inner plaintext is all zeros
 *         (unexpected_message, RFC 8446 5.4); -EMSGSIZE when the length is
 *         over 2^14 + 256 or the inner plaintext over 2^14 + 1
 *         (record_overflow); -EBADMSG when authentication fails or the
 *         record cannot hold a tag; -EOVERFLOW; -EINVAL (also for a header
 *         length that disagrees with @p rec_len).
 */
int hso_tls13_record_open(struct hso_record_prot *rp, const uint8_t *rec,
			  size_t rec_len, uint8_t *out, uint8_t *type);

/**
 * Protect one TLS 1.2 AEAD record (RFC 5246 6.2.3.3). For AES-GCM the
 * record carries the 8-byte explicit nonce, which is the sequence number,
 * as most stacks do (RFC 5288 3 allows it; uniqueness follows from the
 * sequence number's). For ChaCha20-Poly1305 there is no explicit nonce
 * (RFC 7905 2).
 *
 * @param type     content type, written to the header and the AAD
 * @param version  record version, written to the header and the AAD
 * @param data     content; in place when @p data == @p out +
 *                 hso_record_prot_payload_offset(rp), otherwise must not
 *                 overlap @p out
 * @param len      content length, at most 2^14
 * @return record length; -EMSGSIZE when @p len > 2^14; -ENOBUFS;
 *         -EOVERFLOW; -EINVAL.
 */
int hso_tls12_record_seal(struct hso_record_prot *rp, uint8_t type,
			  uint16_t version, const uint8_t *data, size_t len,
			  uint8_t *out, size_t out_cap);

/**
 * Check and decrypt one TLS 1.2 AEAD record. Type and version come from the
 * header (the caller validates them); they enter the additional data.
 *
 * @param rec      whole record; @p rec_len must equal 5 + its length field
 * @param out      receives the content (@p rec_len minus header, explicit
 *                 nonce and tag); in place when @p out == @p rec +
 *                 hso_record_prot_payload_offset(rp), otherwise must not
 *                 overlap. Wiped on failure.
 * @return content length; -EMSGSIZE when the fragment exceeds 2^14 + 2048
 *         or the content 2^14 (record_overflow, RFC 5246 6.2.1, 6.2.3);
 *         -EBADMSG when too short for explicit nonce + tag or on
 *         authentication failure; -EOVERFLOW; -EINVAL.
 */
int hso_tls12_record_open(struct hso_record_prot *rp, const uint8_t *rec,
			  size_t rec_len, uint8_t *out);

/* ------------------------------------------------------------------------ */
/* Transcript hash                                                          */
/* ------------------------------------------------------------------------ */

enum hso_hash_alg {
	HSO_HASH_SHA256 = 0,
	HSO_HASH_SHA384,
	HSO_HASH_ALG_NUM
};

/** Longest digest (SHA-384). */
#define HSO_HASH_MAX_LEN 48
/** Bytes of hash state: OpenSSL's SHA512_CTX (216) rounded up; checked by
 *  a static assertion in hash.c. */
#define HSO_HASH_STATE_SIZE 224

/**
 * Incremental SHA-256/384. A plain value: assignment copies the state.
 * Members private.
 */
struct hso_hash {
	alignas(8) unsigned char state[HSO_HASH_STATE_SIZE];
	uint8_t alg;            /**< enum hso_hash_alg */
	uint8_t init;           /**< 1 once initialised */
};

/** Digest length of @p alg (32 or 48), 0 when unknown. */
size_t hso_hash_len(enum hso_hash_alg alg);

/** Digest length of @p h's algorithm. */
size_t hso_hash_digest_len(const struct hso_hash *h);

/**
 * Start a hash.
 * @return 0; -EINVAL for an unknown @p alg.
 */
int hso_hash_init(struct hso_hash *h, enum hso_hash_alg alg);

/** Absorb @p len bytes (@p data may be NULL when @p len is 0). */
void hso_hash_update(struct hso_hash *h, const void *data, size_t len);

/** Fork: @p dst continues independently from @p src's current state. */
void hso_hash_copy(struct hso_hash *dst, const struct hso_hash *src);

/**
 * Digest of everything absorbed so far, without ending the hash: @p h can
 * keep absorbing (the transcript hash "so far" for Finished, CertificateVerify
 * or a Derive-Secret).
 *
 * @param out  hso_hash_digest_len(h) bytes
 * @return digest length; -EINVAL when @p h was not initialised.
 */
int hso_hash_peek(const struct hso_hash *h, uint8_t *out);

/**
 * Final digest; @p h is wiped afterwards (init it again to reuse).
 * @return digest length; -EINVAL when @p h was not initialised.
 */
int hso_hash_final(struct hso_hash *h, uint8_t *out);

/** Zero the state. */
void hso_hash_wipe(struct hso_hash *h);

/**
 * One-shot digest of @p len bytes.
 * @return digest length; -EINVAL for an unknown @p alg.
 */
int hso_hash_digest(enum hso_hash_alg alg, const void *data, size_t len,
		    uint8_t *out);

#endif
