/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_CRYPTO_KDF_H
#define HSO_CRYPTO_KDF_H

/**
 * @file
 * Batched HMAC, HKDF (RFC 5869), TLS 1.3 HKDF-Expand-Label / Derive-Secret
 * (RFC 8446 7.1) and TLS 1.2 PRF (RFC 5246 5, RFC 7627) in ipsec-mb's
 * multi-buffer HMAC-SHA256/384 lanes.
 *
 * Model. A worker owns one batch (hso_kdf_batch_create(), fixed capacity,
 * allocated once). While it advances its connections it queues requests
 * with hso_kdf_batch_enqueue() or the per-operation wrappers below; each
 * returns the request's index in the batch. At the end of the burst one
 * call to hso_kdf_batch_run() computes every request and resets the batch
 * for the next burst. Inside run, work proceeds in rounds: each round
 * submits the next HMAC of every request that can progress, as one
 * IMB_SUBMIT_HASH_BURST per hash (SHA-256 and SHA-384 requests mix freely
 * in a batch). Multi-block outputs (HKDF-Expand T(i), P_hash's A(i) chain)
 * take one round per block, so a run takes as many rounds as its longest
 * chain of HMACs.
 *
 * Dependencies. A request may name ONE earlier request of the same batch
 * (its index, the "dep") that must be complete before it starts. A
 * request's inputs -- key bytes, message, info, label, context, seed -- are
 * read only when it starts, i.e. after its dep has written its output, so
 * they may point into that output (or anywhere the dep's own dep wrote,
 * transitively). That lets a whole TLS 1.3 key-schedule stage run in one
 * call: handshake secret -> {c,s} handshake traffic secrets -> keys, IVs and
 * finished keys, with rounds = depth of the chain. A request without a dep
 * (HSO_KDF_NO_DEP) may start in the first round; it must not read what
 * another request of the batch writes.
 *
 * Keys. HMAC needs the compression states of key^ipad and key^opad
 * ("pads"). They are computed once per key: a caller keeps a
 * struct hso_hmac_key for constant keys (hso_hmac_key_init(); e.g. the
 * TLS 1.3 "derived" salt without PSK, hso_kdf_tls13_nopsk()); raw key bytes
 * are turned into pads when the request starts, once for all the rounds of
 * the request, once per batch when several requests name their common
 * dep's output as key (pointer and length equal to the dep's output), and
 * once for consecutive requests naming the same key bytes (same pointer and
 * length). Keys longer than the hash block are hashed first (RFC 2104).
 *
 * Ownership and lifetimes. The batch stores pointers, never copies, at
 * enqueue time: every buffer passed in (key bytes, message, label, context,
 * seed, precomputed key, output) must stay valid and unchanged -- except by
 * the batch itself through a dep -- until hso_kdf_batch_run() returns. The
 * output of a request is written only at the address it gave, exactly
 * out_len bytes (HashLen for HMAC and Extract). Outputs of different
 * requests must not overlap each other or any input.
 *
 * Errors. Enqueue checks everything up front and returns a negative errno
 * without queueing anything: the caller learns at once, not at run. Run
 * cannot fail on valid requests except for an ipsec-mb rejection (-EIO),
 * after which the outputs of that batch are undefined. There is no
 * allocation after hso_kdf_batch_create().
 *
 * Secrets. Pads, A(i), T(i) and HkdfLabel buffers held by the batch are
 * wiped (OPENSSL_cleanse) when run resets the batch, on hso_kdf_batch_reset()
 * and on free. Wipe a caller-held struct hso_hmac_key with
 * hso_hmac_key_wipe().
 *
 * Threads. A batch belongs to one worker; the imb set it uses must be the
 * same worker's. Not thread-safe. The lean single-buffer functions
 * (hso_hmac_lean() etc.) are reentrant.
 */

#include <stddef.h>
#include <stdint.h>

#include "crypto_imb.h"

/** Hashes the KDFs run on. */
enum hso_kdf_hash {
	HSO_KDF_SHA256 = 0,
	HSO_KDF_SHA384,
	HSO_KDF_HASH_NUM
};

/** Operations a request can ask for. */
enum hso_kdf_op {
	HSO_KDF_OP_HMAC = 0,     /**< HMAC(key, msg) */
	HSO_KDF_OP_EXTRACT,      /**< HKDF-Extract(salt = key, IKM = msg) */
	HSO_KDF_OP_EXPAND,       /**< HKDF-Expand(PRK = key, info = msg, L) */
	HSO_KDF_OP_EXPAND_LABEL, /**< HKDF-Expand-Label(key, label, ctx = msg, L) */
	HSO_KDF_OP_PRF,          /**< TLS 1.2 PRF(key, label, seed = msg), L bytes */
	HSO_KDF_OP_NUM
};

#define HSO_KDF_MAX_HASH_LEN  48   /**< SHA-384 */
#define HSO_KDF_MAX_BLOCK_LEN 128  /**< SHA-384 block */

/** No dependency: the request may start in the first round. */
#define HSO_KDF_NO_DEP (-1)

/** Longest message of an HMAC / Extract request (hso's own limit). */
#define HSO_KDF_MAX_MSG_LEN 16384
/*
 * Longest HkdfLabel (RFC 8446 7.1): uint16 length, opaque label<7..255>,
 * opaque context<0..255>. Also the longest info of a plain Expand.
 */
#define HSO_KDF_MAX_INFO_LEN (2 + 1 + 255 + 1 + 255)
/** Label bytes after the "tls13 " prefix that fit label<7..255>. */
#define HSO_KDF_MAX_LABEL_LEN (255 - 6)
/** Longest context (transcript hash or other) of Expand-Label. */
#define HSO_KDF_MAX_CONTEXT_LEN 255
/** Longest PRF label + seed (hso's own limit; RFC 7627 needs 22 + 48). */
#define HSO_KDF_MAX_SEED_LEN 512

/**
 * Precomputed HMAC key: the raw compression state after one block of
 * key^ipad and key^opad, as 32-bit (SHA-256) or 64-bit (SHA-384) words in
 * host order, the layout ipsec-mb's HMAC jobs take. Plain data: may be
 * copied, must be wiped by its owner (hso_hmac_key_wipe()).
 */
struct hso_hmac_key {
	_Alignas(16) uint8_t ipad[64];
	_Alignas(16) uint8_t opad[64];
	enum hso_kdf_hash hash;
};

/**
 * A request. Fields not used by the operation are ignored. See the file
 * comment for when the pointed-to data is read.
 */
struct hso_kdf_req {
	enum hso_kdf_op op;
	enum hso_kdf_hash hash;
	/** Precomputed key (hash must match), or NULL to use key/key_len. */
	const struct hso_hmac_key *key_pads;
	const uint8_t *key;        /**< raw key (HMAC key, salt, PRK, secret) */
	size_t key_len;            /**< any length; 0 is valid */
	const uint8_t *label;      /**< EXPAND_LABEL without "tls13 ", or PRF label */
	size_t label_len;
	const uint8_t *msg;        /**< message, IKM, info, context or PRF seed */
	size_t msg_len;
	uint8_t *out;              /**< where the result is written */
	size_t out_len;            /**< L; ignored for HMAC and EXTRACT (HashLen) */
	int dep;                   /**< earlier request index or HSO_KDF_NO_DEP */
};

struct hso_kdf_batch;

/** HashLen in bytes: 32 or 48; 0 for an invalid hash. */
size_t hso_kdf_hash_len(enum hso_kdf_hash hash);

/**
 * Compute the pads of @p key for HMAC with @p hash (single-buffer SHA-NI
 * where the CPU has it).
 *
 * @param k     key object to fill
 * @param hash  HSO_KDF_SHA256 or HSO_KDF_SHA384
 * @param key   key bytes (may be NULL when @p len is 0)
 * @param len   key length, any; longer than the block is hashed first
 * @return 0; -EINVAL for a bad hash or a NULL pointer.
 */
int hso_hmac_key_init(struct hso_hmac_key *k, enum hso_kdf_hash hash,
		      const void *key, size_t len);

/** Wipe @p k (OPENSSL_cleanse). */
void hso_hmac_key_wipe(struct hso_hmac_key *k);

/**
 * Lean single-buffer HMAC: one HMAC now, on this core's SHA-NI (SHA-256)
 * or SHA-512 code, no ipsec-mb, no batch.
 *
 * @param k    precomputed key
 * @param msg  message (may be NULL when @p len is 0)
 * @param len  message length
 * @param out  HashLen bytes of output
 * @return 0; -EINVAL for a bad key object or a NULL pointer.
 */
int hso_hmac_lean(const struct hso_hmac_key *k, const void *msg, size_t len,
		  uint8_t *out);

/**
 * Lean single-buffer HKDF-Expand-Label (RFC 8446 7.1).
 *
 * @param secret   precomputed key of the secret
 * @param label    label without the "tls13 " prefix
 * @param ctx      context (e.g. a transcript hash), may be NULL if empty
 * @param out      @p out_len bytes of output
 * @return 0; -EINVAL for NULL pointers, label longer than
 *         HSO_KDF_MAX_LABEL_LEN, context longer than 255, or out_len 0 or
 *         > 255 * HashLen.
 */
int hso_kdf_expand_label_lean(const struct hso_hmac_key *secret,
			      const char *label, size_t label_len,
			      const uint8_t *ctx, size_t ctx_len,
			      uint8_t *out, size_t out_len);

/**
 * Lean single-buffer TLS 1.2 PRF (RFC 5246 5): P_<hash>(secret, label + seed).
 *
 * @return 0; -EINVAL for NULL pointers or out_len 0 or > 255 * HashLen;
 *         -EMSGSIZE when label + seed exceed HSO_KDF_MAX_SEED_LEN.
 */
int hso_kdf_prf_lean(const struct hso_hmac_key *secret,
		     const char *label, size_t label_len,
		     const uint8_t *seed, size_t seed_len,
		     uint8_t *out, size_t out_len);

/**
 * The connection-independent start of the TLS 1.3 key schedule without
 * PSK: early secret = HKDF-Extract(0, 0^HashLen) and
 * derived = Derive-Secret(early, "derived", ""). Compute once per process.
 *
 * @param hash         the cipher suite's hash
 * @param early        HashLen bytes, or NULL
 * @param derived      HashLen bytes, or NULL
 * @param derived_key  receives the pads of "derived", the salt of the
 *                     handshake-secret Extract (not NULL)
 * @return 0; -EINVAL for a bad hash or NULL @p derived_key.
 */
int hso_kdf_tls13_nopsk(enum hso_kdf_hash hash, uint8_t *early,
			uint8_t *derived, struct hso_hmac_key *derived_key);

/**
 * Create a batch for up to @p capacity requests, using the HMAC-SHA256 and
 * HMAC-SHA384 managers that @p imb chose. All memory is allocated here.
 *
 * @param imb       the worker's ipsec-mb set (must outlive the batch)
 * @param capacity  requests per run, 1..65536
 * @return the batch; NULL with errno EINVAL (NULL @p imb, capacity out of
 *         range) or ENOMEM.
 */
struct hso_kdf_batch *hso_kdf_batch_create(const struct hso_imb_set *imb,
					   unsigned capacity);

/** Wipe and free @p b. NULL is a no-op. */
void hso_kdf_batch_free(struct hso_kdf_batch *b);

/**
 * Bytes hso_kdf_batch_create(imb, @p capacity) allocates (its slots and
 * jobs), from the real structure sizes: for checks before allocating.
 */
size_t hso_kdf_batch_mem_size(unsigned capacity);

/** Requests queued and not yet run. */
unsigned hso_kdf_batch_count(const struct hso_kdf_batch *b);

/** Requests the batch holds at most. */
unsigned hso_kdf_batch_capacity(const struct hso_kdf_batch *b);

/**
 * Queue one request. Nothing is read through its pointers yet.
 *
 * @return the request's index (>= 0, usable as a later request's dep);
 *         -ENOSPC when the batch is full;
 *         -EINVAL for a NULL batch or request, a bad op or hash, a NULL
 *         output, a key_pads of another hash, a NULL pointer with a
 *         non-zero length, a dep that is not an earlier request of this
 *         batch, an Expand-Label label longer than HSO_KDF_MAX_LABEL_LEN
 *         (label<7..255> with "tls13 ") or context longer than 255, or an
 *         out_len of 0 or more than 255 * HashLen (RFC 5869: L <=
 *         255*HashLen) for EXPAND, EXPAND_LABEL and PRF;
 *         -EMSGSIZE for an HMAC/Extract message over HSO_KDF_MAX_MSG_LEN,
 *         an Expand info over HSO_KDF_MAX_INFO_LEN or a PRF label + seed
 *         over HSO_KDF_MAX_SEED_LEN.
 */
int hso_kdf_batch_enqueue(struct hso_kdf_batch *b, const struct hso_kdf_req *req);

/**
 * Run every queued request, in rounds, then wipe and reset the batch.
 *
 * @return the number of requests computed (0 for an empty batch);
 *         -EINVAL for a NULL batch; -EIO when ipsec-mb rejected a burst
 *         (outputs of this batch undefined; the batch is reset anyway).
 */
int hso_kdf_batch_run(struct hso_kdf_batch *b);

/**
 * Cancel every queued request that reads or writes memory inside
 * [@p mem, @p mem + @p len), and every request depending on a cancelled
 * one: they are wiped and will neither read nor write anything. For a
 * caller dropping a connection whose requests are queued (its memory may be
 * reused before the batch runs).
 *
 * @return the number of requests cancelled; -EINVAL for NULL arguments.
 */
int hso_kdf_batch_cancel(struct hso_kdf_batch *b, const void *mem, size_t len);

/** Drop every queued request without running, wiping what it holds. */
void hso_kdf_batch_reset(struct hso_kdf_batch *b);

/** Rounds the last hso_kdf_batch_run() took (for tests and benchmarks). */
unsigned hso_kdf_batch_last_rounds(const struct hso_kdf_batch *b);

/*
 * Per-operation wrappers. A key is given either precomputed (@p kp not NULL)
 * or as bytes (@p key, @p key_len). Return values as hso_kdf_batch_enqueue().
 */

/** HMAC-<hash>(key, msg) -> out[HashLen]. */
static inline int
hso_kdf_hmac(struct hso_kdf_batch *b, enum hso_kdf_hash hash,
	     const struct hso_hmac_key *kp, const uint8_t *key, size_t key_len,
	     const uint8_t *msg, size_t msg_len, uint8_t *out, int dep)
{
	const struct hso_kdf_req r = {
		.op = HSO_KDF_OP_HMAC, .hash = hash, .key_pads = kp,
		.key = key, .key_len = key_len, .msg = msg, .msg_len = msg_len,
		.out = out, .dep = dep,
	};

	return hso_kdf_batch_enqueue(b, &r);
}

/** HKDF-Extract(salt, IKM) -> out[HashLen]; an empty salt means zeros. */
static inline int
hso_kdf_extract(struct hso_kdf_batch *b, enum hso_kdf_hash hash,
		const struct hso_hmac_key *kp, const uint8_t *salt,
		size_t salt_len, const uint8_t *ikm, size_t ikm_len,
		uint8_t *out, int dep)
{
	const struct hso_kdf_req r = {
		.op = HSO_KDF_OP_EXTRACT, .hash = hash, .key_pads = kp,
		.key = salt, .key_len = salt_len, .msg = ikm, .msg_len = ikm_len,
		.out = out, .dep = dep,
	};

	return hso_kdf_batch_enqueue(b, &r);
}

/** HKDF-Expand(PRK, info, L) -> out[L]. */
static inline int
hso_kdf_expand(struct hso_kdf_batch *b, enum hso_kdf_hash hash,
	       const struct hso_hmac_key *kp, const uint8_t *prk,
	       size_t prk_len, const uint8_t *info, size_t info_len,
	       uint8_t *out, size_t out_len, int dep)
{
	const struct hso_kdf_req r = {
		.op = HSO_KDF_OP_EXPAND, .hash = hash, .key_pads = kp,
		.key = prk, .key_len = prk_len, .msg = info, .msg_len = info_len,
		.out = out, .out_len = out_len, .dep = dep,
	};

	return hso_kdf_batch_enqueue(b, &r);
}

/**
 * HKDF-Expand-Label(Secret, Label, Context, Length) -> out[out_len].
 * Derive-Secret(Secret, Label, Messages) is this with Context =
 * Transcript-Hash(Messages) and Length = HashLen.
 */
static inline int
hso_kdf_expand_label(struct hso_kdf_batch *b, enum hso_kdf_hash hash,
		     const struct hso_hmac_key *kp, const uint8_t *secret,
		     size_t secret_len, const char *label, size_t label_len,
		     const uint8_t *ctx, size_t ctx_len, uint8_t *out,
		     size_t out_len, int dep)
{
	const struct hso_kdf_req r = {
		.op = HSO_KDF_OP_EXPAND_LABEL, .hash = hash, .key_pads = kp,
		.key = secret, .key_len = secret_len,
		.label = (const uint8_t *)label, .label_len = label_len,
		.msg = ctx, .msg_len = ctx_len,
		.out = out, .out_len = out_len, .dep = dep,
	};

	return hso_kdf_batch_enqueue(b, &r);
}

/** TLS 1.2 PRF(secret, label, seed) -> out[out_len] (P_SHA256 / P_SHA384). */
static inline int
hso_kdf_prf(struct hso_kdf_batch *b, enum hso_kdf_hash hash,
	    const struct hso_hmac_key *kp, const uint8_t *secret,
	    size_t secret_len, const char *label, size_t label_len,
	    const uint8_t *seed, size_t seed_len, uint8_t *out,
	    size_t out_len, int dep)
{
	const struct hso_kdf_req r = {
		.op = HSO_KDF_OP_PRF, .hash = hash, .key_pads = kp,
		.key = secret, .key_len = secret_len,
		.label = (const uint8_t *)label, .label_len = label_len,
		.msg = seed, .msg_len = seed_len,
		.out = out, .out_len = out_len, .dep = dep,
	};

	return hso_kdf_batch_enqueue(b, &r);
}

#endif
