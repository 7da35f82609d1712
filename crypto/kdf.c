/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Batched HMAC / HKDF / TLS 1.2 PRF in ipsec-mb multi-buffer lanes.
 * The contract is in crypto_kdf.h; this file is the round engine.
 *
 * Each request lives in a slot that holds its parameters, its progress and
 * the buffers its HMAC messages are built in:
 *
 *   buf = [ HashLen bytes: T(i-1) or A(i) ][ fixed part ]
 *
 * where the fixed part is the info (HkdfLabel) followed by the counter byte
 * for HKDF-Expand, or label + seed for P_hash. A round then only rewrites
 * the first HashLen bytes (and the counter), and every HMAC of the round is
 * one contiguous message: what an ipsec-mb job takes.
 *
 * ipsec-mb 1.3's burst API takes one hash per call and the caller's own job
 * array; it runs submit + flush, so every job is complete on return. Jobs of
 * a round are laid out SHA-256 from the front of one array and SHA-384 from
 * the back, so one array of 2 * capacity serves both (P_hash submits up to
 * two HMACs per request and round: T(i) and A(i+1) both need only A(i)).
 * The burst validation rejects a zero-length message, so those few HMACs
 * (an empty HMAC message or an empty PRF label + seed) run on the lean path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto_kdf.h"
#include "kdf_priv.h"

enum slot_state {
	SLOT_WAIT = 0,   /* dep not complete yet */
	SLOT_RUN,        /* started: pads and buffers ready */
	SLOT_DONE,
	SLOT_CANCELLED,  /* hso_kdf_batch_cancel(): never started, never read */
};

/* Jobs a slot emitted in the current round. */
#define EMIT_T 1u  /* T(i), or the HMAC / Extract output */
#define EMIT_A 2u  /* PRF A(i): A(1) alone, A(i+1) next to T(i) */

#define SLOT_BUF_LEN (HSO_KDF_MAX_HASH_LEN + HSO_KDF_MAX_SEED_LEN + 16)

_Static_assert(HSO_KDF_MAX_INFO_LEN + 1 <= HSO_KDF_MAX_SEED_LEN + 16,
	       "slot buffer must hold info and counter");

struct kdf_slot {
	struct hso_kdf_req req;
	const struct hso_hmac_key *pads;  /* in use for this request */
	size_t done;                      /* output bytes written */
	uint32_t counter;                 /* Expand: i of T(i); PRF: 0 = A(1) */
	uint16_t fixed_len;               /* bytes after the HashLen slot */
	uint8_t state;
	uint8_t emitted;
	uint8_t own_used;                 /* own holds pads of req.key */
	uint8_t outkey_valid;             /* outkey holds pads of req.out */
	struct hso_hmac_key own;
	struct hso_hmac_key outkey;       /* shared by dependents keyed on out */
	_Alignas(16) uint8_t a_tag[HSO_KDF_MAX_HASH_LEN];
	_Alignas(16) uint8_t t_tag[HSO_KDF_MAX_HASH_LEN];
	_Alignas(16) uint8_t buf[SLOT_BUF_LEN];
};

struct hso_kdf_batch {
	const struct hso_imb_set *imb;
	unsigned cap;
	unsigned n;
	unsigned last_rounds;
	struct kdf_slot *slot;
	uint32_t *active;
	IMB_JOB *jobs;           /* 2 * cap */
};

#define MAX_CAPACITY 65536u

static const IMB_HASH_ALG imb_hash[HSO_KDF_HASH_NUM] = {
	[HSO_KDF_SHA256] = IMB_AUTH_HMAC_SHA_256,
	[HSO_KDF_SHA384] = IMB_AUTH_HMAC_SHA_384,
};

static const enum hso_imb_alg imb_alg[HSO_KDF_HASH_NUM] = {
	[HSO_KDF_SHA256] = HSO_IMB_ALG_HMAC_SHA256,
	[HSO_KDF_SHA384] = HSO_IMB_ALG_HMAC_SHA384,
};

/*
 * RFC 8446 7.1:
 *   struct {
 *       uint16 length = Length;
 *       opaque label<7..255> = "tls13 " + Label;
 *       opaque context<0..255> = Context;
 *   } HkdfLabel;
 * Lengths are checked by the callers. Returns the encoded length.
 */
static size_t
hkdf_label_put(uint8_t *p, size_t out_len, const uint8_t *label,
	       size_t label_len, const uint8_t *ctx, size_t ctx_len)
{
	p[0] = (uint8_t)(out_len >> 8);
	p[1] = (uint8_t)out_len;
	p[2] = (uint8_t)(6 + label_len);
	memcpy(p + 3, "tls13 ", 6);
	memcpy(p + 9, label, label_len);
	p[9 + label_len] = (uint8_t)ctx_len;
	if (ctx_len != 0)
		memcpy(p + 10 + label_len, ctx, ctx_len);
	return 10 + label_len + ctx_len;
}

/* 0 when a label/context pair can be encoded in an HkdfLabel, else -EINVAL. */
static int
hkdf_label_check(const void *label, size_t label_len, const void *ctx,
		 size_t ctx_len)
{
	/*
	 * label<7..255> holds "tls13 " + Label: Label is 1..249 bytes;
	 * context<0..255>.
	 */
	if (label == NULL || label_len == 0 || label_len > HSO_KDF_MAX_LABEL_LEN)
		return -EINVAL;
	if ((ctx == NULL && ctx_len != 0) || ctx_len > HSO_KDF_MAX_CONTEXT_LEN)
		return -EINVAL;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lean single-buffer KDFs                                             */
/* ------------------------------------------------------------------ */

/* HKDF-Expand with pads, over buf = [HashLen][info][counter]. */
static void
expand_lean(const struct hso_hmac_key *k, uint8_t *buf, size_t info_len,
	    uint8_t *out, size_t out_len)
{
	size_t hl = hso_kdf_hash_descs[k->hash].hash_len, done = 0;
	uint8_t t[HSO_KDF_MAX_HASH_LEN];

	/* RFC 5869 2.3: T(0) = empty; T(i) = HMAC(PRK, T(i-1) | info | i). */
	for (unsigned i = 1; done < out_len; i++) {
		size_t n = out_len - done < hl ? out_len - done : hl;

		buf[hl + info_len] = (uint8_t)i;
		if (i == 1)
			hso_hmac_lean(k, buf + hl, info_len + 1, t);
		else
			hso_hmac_lean(k, buf, hl + info_len + 1, t);
		memcpy(out + done, t, n);
		memcpy(buf, t, hl);
		done += n;
	}
	OPENSSL_cleanse(t, sizeof(t));
}

int
hso_kdf_expand_label_lean(const struct hso_hmac_key *secret, const char *label,
			  size_t label_len, const uint8_t *ctx, size_t ctx_len,
			  uint8_t *out, size_t out_len)
{
	uint8_t buf[SLOT_BUF_LEN];
	size_t hl, info_len;
	int rc;

	if (secret == NULL || out == NULL ||
	    (unsigned)secret->hash >= HSO_KDF_HASH_NUM)
		return -EINVAL;
	rc = hkdf_label_check(label, label_len, ctx, ctx_len);
	if (rc != 0)
		return rc;
	hl = hso_kdf_hash_descs[secret->hash].hash_len;
	if (out_len == 0 || out_len > 255 * hl)
		return -EINVAL;
	info_len = hkdf_label_put(buf + hl, out_len, (const uint8_t *)label,
				  label_len, ctx, ctx_len);
	expand_lean(secret, buf, info_len, out, out_len);
	OPENSSL_cleanse(buf, hl + info_len + 1);
	return 0;
}

int
hso_kdf_prf_lean(const struct hso_hmac_key *secret, const char *label,
		 size_t label_len, const uint8_t *seed, size_t seed_len,
		 uint8_t *out, size_t out_len)
{
	uint8_t buf[SLOT_BUF_LEN], t[HSO_KDF_MAX_HASH_LEN];
	size_t hl, fixed, done = 0;

	if (secret == NULL || out == NULL ||
	    (unsigned)secret->hash >= HSO_KDF_HASH_NUM ||
	    (label == NULL && label_len != 0) || (seed == NULL && seed_len != 0))
		return -EINVAL;
	hl = hso_kdf_hash_descs[secret->hash].hash_len;
	if (out_len == 0 || out_len > 255 * hl)
		return -EINVAL;
	if (label_len > HSO_KDF_MAX_SEED_LEN ||
	    seed_len > HSO_KDF_MAX_SEED_LEN - label_len)
		return -EMSGSIZE;
	fixed = label_len + seed_len;
	if (label_len != 0)
		memcpy(buf + hl, label, label_len);
	if (seed_len != 0)
		memcpy(buf + hl + label_len, seed, seed_len);
	/*
	 * RFC 5246 5: A(0) = seed; A(i) = HMAC_hash(secret, A(i-1));
	 * P_hash = HMAC_hash(secret, A(1) + seed) + HMAC_hash(secret, A(2) + seed) + ...
	 * with seed = label + seed here.
	 */
	hso_hmac_lean(secret, buf + hl, fixed, buf);
	while (done < out_len) {
		size_t n = out_len - done < hl ? out_len - done : hl;

		hso_hmac_lean(secret, buf, hl + fixed, t);
		memcpy(out + done, t, n);
		done += n;
		if (done < out_len)
			hso_hmac_lean(secret, buf, hl, buf);
	}
	OPENSSL_cleanse(t, sizeof(t));
	OPENSSL_cleanse(buf, hl + fixed);
	return 0;
}

int
hso_kdf_tls13_nopsk(enum hso_kdf_hash hash, uint8_t *early, uint8_t *derived,
		    struct hso_hmac_key *derived_key)
{
	struct hso_hmac_key zero, es;
	uint8_t e[HSO_KDF_MAX_HASH_LEN], dv[HSO_KDF_MAX_HASH_LEN];
	uint8_t zeros[HSO_KDF_MAX_HASH_LEN] = { 0 }, empty_hash[HSO_KDF_MAX_HASH_LEN];
	_Alignas(16) uint8_t iv[64];
	size_t hl = hso_kdf_hash_len(hash);

	if (hl == 0 || derived_key == NULL)
		return -EINVAL;
	/*
	 * RFC 8446 7.1: without PSK the IKM is Hash.length zero bytes, and so
	 * is the salt ("0"); an HMAC key of zeros equals the empty key.
	 */
	hso_hmac_key_init(&zero, hash, NULL, 0);
	hso_hmac_lean(&zero, zeros, hl, e);
	hso_hmac_key_init(&es, hash, e, hl);
	/* Derive-Secret(early, "derived", "") uses Transcript-Hash(""). */
	hso_sha_init_state(hash, iv);
	hso_sha_finish(hash, iv, 0, NULL, 0, empty_hash);
	hso_kdf_expand_label_lean(&es, "derived", 7, empty_hash, hl, dv, hl);
	hso_hmac_key_init(derived_key, hash, dv, hl);
	if (early != NULL)
		memcpy(early, e, hl);
	if (derived != NULL)
		memcpy(derived, dv, hl);
	OPENSSL_cleanse(e, sizeof(e));
	OPENSSL_cleanse(dv, sizeof(dv));
	hso_hmac_key_wipe(&es);
	hso_hmac_key_wipe(&zero);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The batch                                                           */
/* ------------------------------------------------------------------ */

struct hso_kdf_batch *
hso_kdf_batch_create(const struct hso_imb_set *imb, unsigned capacity)
{
	struct hso_kdf_batch *b;
	void *mem = NULL;

	if (imb == NULL || capacity == 0 || capacity > MAX_CAPACITY) {
		errno = EINVAL;
		return NULL;
	}
	for (int h = 0; h < HSO_KDF_HASH_NUM; h++) {
		if (hso_imb_mgr(imb, imb_alg[h]) == NULL) {
			errno = EINVAL;
			return NULL;
		}
	}
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		goto nomem;
	b->imb = imb;
	b->cap = capacity;
	/* Slots are cache-line aligned so a slot's hot fields share lines. */
	if (posix_memalign(&mem, 64, (size_t)capacity * sizeof(struct kdf_slot)) != 0)
		goto nomem;
	b->slot = mem;
	memset(b->slot, 0, (size_t)capacity * sizeof(struct kdf_slot));
	b->active = calloc(capacity, sizeof(*b->active));
	b->jobs = calloc(2 * (size_t)capacity, sizeof(*b->jobs));
	if (b->active == NULL || b->jobs == NULL)
		goto nomem;
	for (size_t i = 0; i < 2 * (size_t)capacity; i++) {
		b->jobs[i].cipher_mode = IMB_CIPHER_NULL;
		b->jobs[i].cipher_direction = IMB_DIR_ENCRYPT;
		b->jobs[i].chain_order = IMB_ORDER_HASH_CIPHER;
	}
	return b;
nomem:
	hso_kdf_batch_free(b);
	errno = ENOMEM;
	return NULL;
}

/* Wipe what the first n slots hold that derives from secrets. */
static void
slots_wipe(struct hso_kdf_batch *b)
{
	for (unsigned i = 0; i < b->n; i++) {
		struct kdf_slot *s = &b->slot[i];
		size_t hl = hso_kdf_hash_descs[s->req.hash].hash_len;

		if (s->own_used)
			OPENSSL_cleanse(&s->own, sizeof(s->own));
		if (s->outkey_valid)
			OPENSSL_cleanse(&s->outkey, sizeof(s->outkey));
		/* HMAC and Extract write straight to the caller's output. */
		/* a_tag, t_tag and buf are adjacent: one wipe for the three. */
		if (s->req.op != HSO_KDF_OP_HMAC && s->req.op != HSO_KDF_OP_EXTRACT &&
		    s->state != SLOT_WAIT)
			OPENSSL_cleanse(s->a_tag, (size_t)(s->buf - s->a_tag) +
					hl + s->fixed_len);
		s->own_used = 0;
		s->outkey_valid = 0;
	}
	b->n = 0;
}

size_t
hso_kdf_batch_mem_size(unsigned capacity)
{
	return sizeof(struct hso_kdf_batch) +
	       (size_t)capacity * (sizeof(struct kdf_slot) + sizeof(uint32_t) + 2 * sizeof(IMB_JOB));
}

void
hso_kdf_batch_free(struct hso_kdf_batch *b)
{
	if (b == NULL)
		return;
	if (b->slot != NULL)
		slots_wipe(b);
	free(b->slot);
	free(b->active);
	free(b->jobs);
	free(b);
}

void
hso_kdf_batch_reset(struct hso_kdf_batch *b)
{
	if (b != NULL)
		slots_wipe(b);
}

unsigned
hso_kdf_batch_count(const struct hso_kdf_batch *b)
{
	return b != NULL ? b->n : 0;
}

unsigned
hso_kdf_batch_capacity(const struct hso_kdf_batch *b)
{
	return b != NULL ? b->cap : 0;
}

unsigned
hso_kdf_batch_last_rounds(const struct hso_kdf_batch *b)
{
	return b != NULL ? b->last_rounds : 0;
}

int
hso_kdf_batch_enqueue(struct hso_kdf_batch *b, const struct hso_kdf_req *req)
{
	struct kdf_slot *s;
	size_t hl;
	int rc;

	if (b == NULL || req == NULL || (unsigned)req->op >= HSO_KDF_OP_NUM ||
	    (unsigned)req->hash >= HSO_KDF_HASH_NUM || req->out == NULL)
		return -EINVAL;
	hl = hso_kdf_hash_descs[req->hash].hash_len;
	if (req->key_pads != NULL ? req->key_pads->hash != req->hash
				  : (req->key == NULL && req->key_len != 0))
		return -EINVAL;
	if (req->msg == NULL && req->msg_len != 0)
		return -EINVAL;
	if (req->dep != HSO_KDF_NO_DEP &&
	    (req->dep < 0 || (unsigned)req->dep >= b->n))
		return -EINVAL;
	switch (req->op) {
	case HSO_KDF_OP_HMAC:
	case HSO_KDF_OP_EXTRACT:
		if (req->msg_len > HSO_KDF_MAX_MSG_LEN)
			return -EMSGSIZE;
		break;
	case HSO_KDF_OP_EXPAND:
	case HSO_KDF_OP_EXPAND_LABEL:
	case HSO_KDF_OP_PRF:
		/* RFC 5869 2.3: "L length of output keying material in
		 * octets (<= 255*HashLen)"; the same bound for P_hash. */
		if (req->out_len == 0 || req->out_len > 255 * hl)
			return -EINVAL;
		if (req->op == HSO_KDF_OP_EXPAND_LABEL) {
			rc = hkdf_label_check(req->label, req->label_len,
					      req->msg, req->msg_len);
			if (rc != 0)
				return rc;
		} else if (req->op == HSO_KDF_OP_EXPAND) {
			if (req->msg_len > HSO_KDF_MAX_INFO_LEN)
				return -EMSGSIZE;
		} else {
			if (req->label == NULL && req->label_len != 0)
				return -EINVAL;
			if (req->label_len > HSO_KDF_MAX_SEED_LEN ||
			    req->msg_len > HSO_KDF_MAX_SEED_LEN - req->label_len)
				return -EMSGSIZE;
		}
		break;
	default:
		return -EINVAL;
	}
	if (b->n == b->cap)
		return -ENOSPC;
	s = &b->slot[b->n];
	s->req = *req;
	if (req->op == HSO_KDF_OP_HMAC || req->op == HSO_KDF_OP_EXTRACT)
		s->req.out_len = hl;
	s->pads = NULL;
	s->done = 0;
	s->counter = 0;
	s->fixed_len = 0;
	s->state = SLOT_WAIT;
	s->emitted = 0;
	s->own_used = 0;
	s->outkey_valid = 0;
	return (int)b->n++;
}

/* True when started slot @p p took its pads from the same raw key as @p r. */
static int
shares_key(const struct kdf_slot *p, const struct hso_kdf_req *r)
{
	return (p->state == SLOT_RUN || p->state == SLOT_DONE) && p->pads != NULL &&
	       p->req.key_pads == NULL &&
	       p->req.key == r->key && p->req.key_len == r->key_len &&
	       p->req.hash == r->hash;
}

/* The slot's dep is complete: compute or find its pads, build its buffer. */
static void
slot_start(struct hso_kdf_batch *b, struct kdf_slot *s)
{
	const struct hso_kdf_req *r = &s->req;
	size_t hl = hso_kdf_hash_descs[r->hash].hash_len;

	if (r->key_pads != NULL) {
		s->pads = r->key_pads;
	} else {
		struct kdf_slot *d = r->dep >= 0 ? &b->slot[r->dep] : NULL;

		/*
		 * Keyed on the dep's output (handshake secret -> traffic
		 * secrets, traffic secret -> key, iv, finished): one pad
		 * computation for all such dependents.
		 */
		if (d != NULL && r->key == d->req.out && r->key_len == d->req.out_len &&
		    d->req.hash == r->hash) {
			if (!d->outkey_valid) {
				hso_hmac_key_init(&d->outkey, r->hash, r->key,
						  r->key_len);
				d->outkey_valid = 1;
			}
			s->pads = &d->outkey;
		} else if (s != b->slot && shares_key(s - 1, r)) {
			/*
			 * The previous request names the same key bytes
			 * (c/s ap traffic from one master secret, the
			 * rounds of one PRF secret split by the caller).
			 * Same pointer means same bytes: by the contract a
			 * request reads no memory that a request it does not
			 * wait for writes.
			 */
			s->pads = s[-1].pads;
		} else {
			hso_hmac_key_init(&s->own, r->hash, r->key, r->key_len);
			s->own_used = 1;
			s->pads = &s->own;
		}
	}
	switch (r->op) {
	case HSO_KDF_OP_EXPAND:
		if (r->msg_len != 0)
			memcpy(s->buf + hl, r->msg, r->msg_len);
		s->fixed_len = (uint16_t)(r->msg_len + 1);
		s->counter = 1;
		break;
	case HSO_KDF_OP_EXPAND_LABEL:
		s->fixed_len = (uint16_t)(hkdf_label_put(s->buf + hl, r->out_len,
							 r->label, r->label_len,
							 r->msg, r->msg_len) + 1);
		s->counter = 1;
		break;
	case HSO_KDF_OP_PRF:
		if (r->label_len != 0)
			memcpy(s->buf + hl, r->label, r->label_len);
		if (r->msg_len != 0)
			memcpy(s->buf + hl + r->label_len, r->msg, r->msg_len);
		s->fixed_len = (uint16_t)(r->label_len + r->msg_len);
		s->counter = 0;
		break;
	default:
		break;
	}
	s->state = SLOT_RUN;
}

struct round {
	IMB_JOB *jobs;
	unsigned cap2;          /* 2 * capacity */
	unsigned n[HSO_KDF_HASH_NUM];
};

/* Queue one HMAC; an empty message runs now on the lean path. */
static void
job_add(struct round *rd, const struct hso_hmac_key *k, const uint8_t *src,
	size_t len, uint8_t *tag)
{
	enum hso_kdf_hash h = k->hash;
	IMB_JOB *j;

	if (len == 0) {
		hso_hmac_lean(k, NULL, 0, tag);
		return;
	}
	if (h == HSO_KDF_SHA256)
		j = &rd->jobs[rd->n[h]];
	else
		j = &rd->jobs[rd->cap2 - 1 - rd->n[h]];
	rd->n[h]++;
	j->hash_alg = imb_hash[h];
	j->src = src;
	j->hash_start_src_offset_in_bytes = 0;
	j->msg_len_to_hash_in_bytes = len;
	j->auth_tag_output = tag;
	j->auth_tag_output_len_in_bytes = hso_kdf_hash_descs[h].hash_len;
	j->u.HMAC._hashed_auth_key_xor_ipad = k->ipad;
	j->u.HMAC._hashed_auth_key_xor_opad = k->opad;
}

/* Queue the next HMAC(s) of a running slot. */
static void
slot_emit(struct round *rd, struct kdf_slot *s)
{
	const struct hso_kdf_req *r = &s->req;
	size_t hl = hso_kdf_hash_descs[r->hash].hash_len;

	switch (r->op) {
	case HSO_KDF_OP_HMAC:
	case HSO_KDF_OP_EXTRACT:
		job_add(rd, s->pads, r->msg, r->msg_len, r->out);
		s->emitted = EMIT_T;
		break;
	case HSO_KDF_OP_EXPAND:
	case HSO_KDF_OP_EXPAND_LABEL:
		/* RFC 5869 2.3: T(i) = HMAC(PRK, T(i-1) | info | i), T(0) empty. */
		s->buf[hl + s->fixed_len - 1] = (uint8_t)s->counter;
		if (s->counter == 1)
			job_add(rd, s->pads, s->buf + hl, s->fixed_len, s->t_tag);
		else
			job_add(rd, s->pads, s->buf, hl + s->fixed_len, s->t_tag);
		s->emitted = EMIT_T;
		break;
	case HSO_KDF_OP_PRF:
		if (s->counter == 0) {
			/* A(1) = HMAC(secret, A(0) = label + seed). */
			job_add(rd, s->pads, s->buf + hl, s->fixed_len, s->a_tag);
			s->emitted = EMIT_A;
			break;
		}
		/* buf starts with A(i): T(i) = HMAC(A(i) + seed), and A(i+1). */
		job_add(rd, s->pads, s->buf, hl + s->fixed_len, s->t_tag);
		s->emitted = EMIT_T;
		if (s->done + hl < r->out_len) {
			job_add(rd, s->pads, s->buf, hl, s->a_tag);
			s->emitted |= EMIT_A;
		}
		break;
	default:
		break;
	}
}

/* Take the results of this round's HMACs. */
static void
slot_advance(struct kdf_slot *s)
{
	const struct hso_kdf_req *r = &s->req;
	size_t hl = hso_kdf_hash_descs[r->hash].hash_len, n;

	if (r->op == HSO_KDF_OP_HMAC || r->op == HSO_KDF_OP_EXTRACT) {
		s->state = SLOT_DONE;
		return;
	}
	if (r->op == HSO_KDF_OP_PRF && s->counter == 0) {
		memcpy(s->buf, s->a_tag, hl);
		s->counter = 1;
		return;
	}
	n = r->out_len - s->done < hl ? r->out_len - s->done : hl;
	memcpy(r->out + s->done, s->t_tag, n);
	s->done += n;
	if (s->done == r->out_len) {
		s->state = SLOT_DONE;
		return;
	}
	memcpy(s->buf, r->op == HSO_KDF_OP_PRF ? s->a_tag : s->t_tag, hl);
	s->counter++;
}

/* True when [p, p + n) overlaps [lo, lo + len). */
static bool
overlaps(const void *p, size_t n, const uint8_t *lo, size_t len)
{
	const uint8_t *a = p;

	return a != NULL && a < lo + len && lo < a + (n ? n : 1);
}

int
hso_kdf_batch_cancel(struct hso_kdf_batch *b, const void *mem, size_t len)
{
	const uint8_t *lo = mem;
	int n = 0;

	if (b == NULL || mem == NULL)
		return -EINVAL;
	for (unsigned i = 0; i < b->n; i++) {
		struct kdf_slot *s = &b->slot[i];
		const struct hso_kdf_req *r = &s->req;
		bool hit;

		if (s->state == SLOT_CANCELLED)
			continue;
		hit = overlaps(r->out, r->out_len ? r->out_len : HSO_KDF_MAX_HASH_LEN, lo, len) ||
		      overlaps(r->key, r->key_len, lo, len) ||
		      overlaps(r->key_pads, sizeof(*r->key_pads), lo, len) ||
		      overlaps(r->label, r->label_len, lo, len) ||
		      overlaps(r->msg, r->msg_len, lo, len) ||
		      (r->dep >= 0 && b->slot[r->dep].state == SLOT_CANCELLED);
		if (!hit)
			continue;
		/* Never read or written again: its buffers may be gone. */
		OPENSSL_cleanse(s, sizeof(*s));
		s->state = SLOT_CANCELLED;
		n++;
	}
	return n;
}

int
hso_kdf_batch_run(struct hso_kdf_batch *b)
{
	struct round rd;
	unsigned n_active, rounds = 0, total;
	int rc = 0;

	if (b == NULL)
		return -EINVAL;
	total = 0;
	n_active = 0;
	for (unsigned i = 0; i < b->n; i++)
		if (b->slot[i].state != SLOT_CANCELLED)
			b->active[n_active++] = i;
	total = n_active;
	rd.jobs = b->jobs;
	rd.cap2 = 2 * b->cap;
	while (n_active != 0) {
		unsigned keep = 0;

		rd.n[HSO_KDF_SHA256] = 0;
		rd.n[HSO_KDF_SHA384] = 0;
		for (unsigned a = 0; a < n_active; a++) {
			struct kdf_slot *s = &b->slot[b->active[a]];

			s->emitted = 0;
			if (s->state == SLOT_WAIT) {
				if (s->req.dep >= 0 &&
				    b->slot[s->req.dep].state != SLOT_DONE)
					continue;
				slot_start(b, s);
			}
			slot_emit(&rd, s);
		}
		for (int h = 0; h < HSO_KDF_HASH_NUM; h++) {
			IMB_MGR *m;
			IMB_JOB *j;
			uint32_t got;

			if (rd.n[h] == 0)
				continue;
			m = hso_imb_mgr(b->imb, imb_alg[h]);
			j = h == HSO_KDF_SHA256 ? rd.jobs
						: rd.jobs + rd.cap2 - rd.n[h];
			got = IMB_SUBMIT_HASH_BURST(m, j, rd.n[h], imb_hash[h]);
			if (got != rd.n[h])
				rc = -EIO;
		}
		rounds++;
		for (unsigned a = 0; a < n_active; a++) {
			uint32_t idx = b->active[a];
			struct kdf_slot *s = &b->slot[idx];

			if (s->emitted != 0)
				slot_advance(s);
			if (s->state != SLOT_DONE)
				b->active[keep++] = idx;
		}
		n_active = keep;
	}
	b->last_rounds = rounds;
	slots_wipe(b);
	return rc != 0 ? rc : (int)total;
}
