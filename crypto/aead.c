/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * AEAD seal/open of single TLS records through ipsec-mb's direct API, and
 * the TLS 1.2 / 1.3 record protection on top. See crypto_sym.h for the
 * contract; this file explains only the choices the header does not.
 *
 * Why the direct API rather than jobs: a record is one buffer with its key
 * already expanded; the direct functions are one indirect call with no
 * manager state to submit to or flush, so a key (and its function pointers)
 * can be shared between threads. Batching records across connections through
 * the job API is a later step; the record functions would not change.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto_sym.h"

/*
 * ipsec-mb accepts NULL for empty buffers today, but its SAFE_PARAM checks
 * are free to change; give it a valid address instead.
 */
static const uint8_t empty_buf[1];

static inline const uint8_t *
nz(const uint8_t *p)
{
	return p != NULL ? p : empty_buf;
}

static inline void
put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

size_t
hso_aead_key_len(enum hso_aead_alg alg)
{
	switch (alg) {
	case HSO_AEAD_AES128_GCM:
		return IMB_GCM_128_KEY_LEN;
	case HSO_AEAD_AES256_GCM:
		return IMB_GCM_256_KEY_LEN;
	case HSO_AEAD_CHACHA20_POLY1305:
		return 32;
	default:
		return 0;
	}
}

const char *
hso_aead_alg_name(enum hso_aead_alg alg)
{
	switch (alg) {
	case HSO_AEAD_AES128_GCM:
		return "aes-128-gcm";
	case HSO_AEAD_AES256_GCM:
		return "aes-256-gcm";
	case HSO_AEAD_CHACHA20_POLY1305:
		return "chacha20-poly1305";
	default:
		return "invalid";
	}
}

int
hso_aead_key_init_mgr(struct hso_aead_key *k, const IMB_MGR *mgr,
		      enum hso_aead_alg alg, const uint8_t *key, size_t key_len)
{
	if (k == NULL || mgr == NULL || key == NULL)
		return -EINVAL;
	if (key_len == 0 || key_len != hso_aead_key_len(alg))
		return -EINVAL;
	/* Clear first so no byte of a previous key survives in the parts of
	 * the union this algorithm does not write. */
	OPENSSL_cleanse(k, sizeof(*k));
	k->alg = alg;
	switch (alg) {
	case HSO_AEAD_AES128_GCM:
		if (mgr->gcm128_pre == NULL || mgr->gcm128_enc == NULL ||
		    mgr->gcm128_dec == NULL || mgr->gcm128_init == NULL ||
		    mgr->gcm128_enc_update == NULL || mgr->gcm128_dec_update == NULL ||
		    mgr->gcm128_enc_finalize == NULL || mgr->gcm128_dec_finalize == NULL)
			return -ENOTSUP;
		IMB_AES128_GCM_PRE(mgr, key, &k->k.gcm);
		k->gcm_enc = mgr->gcm128_enc;
		k->gcm_dec = mgr->gcm128_dec;
		k->gcm_init = mgr->gcm128_init;
		k->gcm_enc_upd = mgr->gcm128_enc_update;
		k->gcm_dec_upd = mgr->gcm128_dec_update;
		k->gcm_enc_fin = mgr->gcm128_enc_finalize;
		k->gcm_dec_fin = mgr->gcm128_dec_finalize;
		break;
	case HSO_AEAD_AES256_GCM:
		if (mgr->gcm256_pre == NULL || mgr->gcm256_enc == NULL ||
		    mgr->gcm256_dec == NULL || mgr->gcm256_init == NULL ||
		    mgr->gcm256_enc_update == NULL || mgr->gcm256_dec_update == NULL ||
		    mgr->gcm256_enc_finalize == NULL || mgr->gcm256_dec_finalize == NULL)
			return -ENOTSUP;
		IMB_AES256_GCM_PRE(mgr, key, &k->k.gcm);
		k->gcm_enc = mgr->gcm256_enc;
		k->gcm_dec = mgr->gcm256_dec;
		k->gcm_init = mgr->gcm256_init;
		k->gcm_enc_upd = mgr->gcm256_enc_update;
		k->gcm_dec_upd = mgr->gcm256_dec_update;
		k->gcm_enc_fin = mgr->gcm256_enc_finalize;
		k->gcm_dec_fin = mgr->gcm256_dec_finalize;
		break;
	case HSO_AEAD_CHACHA20_POLY1305:
		if (mgr->chacha20_poly1305_init == NULL ||
		    mgr->chacha20_poly1305_enc_update == NULL ||
		    mgr->chacha20_poly1305_dec_update == NULL ||
		    mgr->chacha20_poly1305_finalize == NULL)
			return -ENOTSUP;
		memcpy(k->k.chacha, key, key_len);
		k->cp_init = mgr->chacha20_poly1305_init;
		k->cp_enc = mgr->chacha20_poly1305_enc_update;
		k->cp_dec = mgr->chacha20_poly1305_dec_update;
		k->cp_final = mgr->chacha20_poly1305_finalize;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

int
hso_aead_key_init(struct hso_aead_key *k, const struct hso_imb_set *set,
		  enum hso_aead_alg alg, const uint8_t *key, size_t key_len)
{
	if (set == NULL)
		return -EINVAL;
	return hso_aead_key_init_mgr(k, hso_imb_mgr(set,
		alg == HSO_AEAD_CHACHA20_POLY1305 ?
		HSO_IMB_ALG_CHACHA20_POLY1305 : HSO_IMB_ALG_AES_GCM),
		alg, key, key_len);
}

void
hso_aead_key_wipe(struct hso_aead_key *k)
{
	if (k != NULL)
		OPENSSL_cleanse(k, sizeof(*k));
}

/*
 * The core: encrypt (enc = 1) or decrypt @p len bytes from @p in to @p out
 * and compute the tag over aad and ciphertext into @p tag. No argument
 * checks; callers did them.
 */
static void
aead_run(const struct hso_aead_key *k, int enc, const uint8_t *nonce,
	 const uint8_t *aad, size_t aad_len, const uint8_t *in, size_t len,
	 uint8_t *out, uint8_t tag[HSO_AEAD_TAG_LEN])
{
	aad = nz(aad);
	in = nz(in);
	if (k->alg == HSO_AEAD_CHACHA20_POLY1305) {
		struct chacha20_poly1305_context_data ctx;

		k->cp_init(k->k.chacha, &ctx, nonce, aad, aad_len);
		if (enc)
			k->cp_enc(k->k.chacha, &ctx, out, in, len);
		else
			k->cp_dec(k->k.chacha, &ctx, out, in, len);
		k->cp_final(&ctx, tag, HSO_AEAD_TAG_LEN);
		/* The context holds the one-time Poly1305 key and keystream. */
		OPENSSL_cleanse(&ctx, sizeof(ctx));
	} else {
		alignas(64) struct gcm_context_data ctx;

		(enc ? k->gcm_enc : k->gcm_dec)(&k->k.gcm, &ctx, out, in, len,
						nonce, aad, aad_len, tag,
						HSO_AEAD_TAG_LEN);
		OPENSSL_cleanse(&ctx, sizeof(ctx));
	}
}

int
hso_aead_seal(const struct hso_aead_key *k, const uint8_t *nonce,
	      const uint8_t *aad, size_t aad_len, const uint8_t *in,
	      size_t len, uint8_t *out)
{
	if (k == NULL || nonce == NULL || out == NULL ||
	    (aad == NULL && aad_len != 0) || (in == NULL && len != 0))
		return -EINVAL;
	if (len > HSO_AEAD_MSG_MAX)
		return -EMSGSIZE;
	aead_run(k, 1, nonce, aad, aad_len, in, len, out, out + len);
	return (int)(len + HSO_AEAD_TAG_LEN);
}

int
hso_aead_open(const struct hso_aead_key *k, const uint8_t *nonce,
	      const uint8_t *aad, size_t aad_len, const uint8_t *in,
	      size_t len, uint8_t *out)
{
	uint8_t tag[HSO_AEAD_TAG_LEN];
	size_t clen;

	if (k == NULL || nonce == NULL || in == NULL || out == NULL ||
	    (aad == NULL && aad_len != 0))
		return -EINVAL;
	if (len < HSO_AEAD_TAG_LEN)
		return -EBADMSG;
	clen = len - HSO_AEAD_TAG_LEN;
	if (clen > HSO_AEAD_MSG_MAX)
		return -EMSGSIZE;
	/* In place the tag at in + clen is past what decryption writes. */
	aead_run(k, 0, nonce, aad, aad_len, in, clen, out, tag);
	if (CRYPTO_memcmp(tag, in + clen, HSO_AEAD_TAG_LEN) != 0) {
		/* Authenticated decryption yields the plaintext or FAIL,
		 * never both (RFC 5116 2.2): wipe what was decrypted. */
		OPENSSL_cleanse(out, clen);
		return -EBADMSG;
	}
	return (int)clen;
}

/* ------------------------------------------------------------------------ */
/* Scatter-gather                                                           */
/* ------------------------------------------------------------------------ */

static size_t
iov_total(const struct iovec *v, unsigned n)
{
	size_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += v[i].iov_len;
	return t;
}

/* Wipe the first @p len bytes of what @p out (or, in place, @p in) holds. */
static void
sgl_wipe(const struct iovec *in, unsigned n_in, const struct iovec *out,
	 unsigned n_out, size_t len)
{
	const struct iovec *v = out != NULL ? out : in;
	unsigned n = out != NULL ? n_out : n_in;

	for (unsigned i = 0; i < n && len > 0; i++) {
		size_t k = v[i].iov_len < len ? v[i].iov_len : len;

		OPENSSL_cleanse(v[i].iov_base, k);
		len -= k;
	}
}

/*
 * Walk input and output segments side by side, calling the update function
 * on each overlapping piece: ipsec-mb keeps partial blocks (GCM) and
 * partial keystream (ChaCha20) in the context between calls.
 */
static void
sgl_run(const struct hso_aead_key *k, int enc, void *ctx,
	const struct iovec *in, unsigned n_in, const struct iovec *out,
	unsigned n_out)
{
	unsigned j = 0;
	size_t jo = 0;

	for (unsigned i = 0; i < n_in; i++) {
		const uint8_t *src = in[i].iov_base;
		size_t left = in[i].iov_len;

		while (left > 0) {
			uint8_t *dst;
			size_t n = left;

			if (out == NULL) {
				dst = (uint8_t *)src;
			} else {
				while (out[j].iov_len - jo == 0) {
					j++;
					jo = 0;
				}
				dst = (uint8_t *)out[j].iov_base + jo;
				if (n > out[j].iov_len - jo)
					n = out[j].iov_len - jo;
				jo += n;
			}
			if (k->alg == HSO_AEAD_CHACHA20_POLY1305)
				(enc ? k->cp_enc : k->cp_dec)(k->k.chacha, ctx, dst, src, n);
			else
				(enc ? k->gcm_enc_upd : k->gcm_dec_upd)(&k->k.gcm, ctx, dst, src, n);
			src += n;
			left -= n;
		}
	}
	(void)n_out;
}

/* Checks shared by seal and open; the message length in *len. */
static int
sgl_check(const struct hso_aead_key *k, const uint8_t *nonce, const uint8_t *aad,
	  size_t aad_len, const struct iovec *in, unsigned n_in,
	  const struct iovec *out, unsigned n_out, const void *tag, size_t *len)
{
	if (k == NULL || nonce == NULL || tag == NULL || (aad == NULL && aad_len != 0) ||
	    (in == NULL && n_in != 0))
		return -EINVAL;
	*len = iov_total(in, n_in);
	if (*len > HSO_AEAD_MSG_MAX)
		return -EMSGSIZE;
	if (out != NULL && iov_total(out, n_out) < *len)
		return -ENOBUFS;
	return 0;
}

/* One segment in, one (or in place) out: the one-shot call. */
static bool
sgl_flat(unsigned n_in, const struct iovec *out, unsigned n_out)
{
	return n_in == 1 && (out == NULL || n_out >= 1);
}

int
hso_aead_seal_sgl(const struct hso_aead_key *k, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const struct iovec *in,
		  unsigned n_in, const struct iovec *out, unsigned n_out,
		  uint8_t tag[HSO_AEAD_TAG_LEN])
{
	size_t len;
	int rc = sgl_check(k, nonce, aad, aad_len, in, n_in, out, n_out, tag, &len);

	if (rc != 0)
		return rc;
	aad = nz(aad);
	if (sgl_flat(n_in, out, n_out) && (out == NULL || out[0].iov_len >= len)) {
		aead_run(k, 1, nonce, aad, aad_len, in[0].iov_base, len,
			 out != NULL ? out[0].iov_base : in[0].iov_base, tag);
		return (int)len;
	}
	if (k->alg == HSO_AEAD_CHACHA20_POLY1305) {
		struct chacha20_poly1305_context_data ctx;

		k->cp_init(k->k.chacha, &ctx, nonce, aad, aad_len);
		sgl_run(k, 1, &ctx, in, n_in, out, n_out);
		k->cp_final(&ctx, tag, HSO_AEAD_TAG_LEN);
		OPENSSL_cleanse(&ctx, sizeof(ctx));
	} else {
		alignas(64) struct gcm_context_data ctx;

		k->gcm_init(&k->k.gcm, &ctx, nonce, aad, aad_len);
		sgl_run(k, 1, &ctx, in, n_in, out, n_out);
		k->gcm_enc_fin(&k->k.gcm, &ctx, tag, HSO_AEAD_TAG_LEN);
		OPENSSL_cleanse(&ctx, sizeof(ctx));
	}
	return (int)len;
}

int
hso_aead_open_sgl(const struct hso_aead_key *k, const uint8_t *nonce,
		  const uint8_t *aad, size_t aad_len, const struct iovec *in,
		  unsigned n_in, const struct iovec *out, unsigned n_out,
		  const uint8_t tag[HSO_AEAD_TAG_LEN])
{
	uint8_t got[HSO_AEAD_TAG_LEN];
	size_t len;
	int rc = sgl_check(k, nonce, aad, aad_len, in, n_in, out, n_out, tag, &len);

	if (rc != 0)
		return rc;
	aad = nz(aad);
	if (sgl_flat(n_in, out, n_out) && (out == NULL || out[0].iov_len >= len)) {
		aead_run(k, 0, nonce, aad, aad_len, in[0].iov_base, len,
			 out != NULL ? out[0].iov_base : in[0].iov_base, got);
	} else if (k->alg == HSO_AEAD_CHACHA20_POLY1305) {
		struct chacha20_poly1305_context_data ctx;

		k->cp_init(k->k.chacha, &ctx, nonce, aad, aad_len);
		sgl_run(k, 0, &ctx, in, n_in, out, n_out);
		k->cp_final(&ctx, got, HSO_AEAD_TAG_LEN);
		OPENSSL_cleanse(&ctx, sizeof(ctx));
	} else {
		alignas(64) struct gcm_context_data ctx;

		k->gcm_init(&k->k.gcm, &ctx, nonce, aad, aad_len);
		sgl_run(k, 0, &ctx, in, n_in, out, n_out);
		k->gcm_dec_fin(&k->k.gcm, &ctx, got, HSO_AEAD_TAG_LEN);
		OPENSSL_cleanse(&ctx, sizeof(ctx));
	}
	if (CRYPTO_memcmp(got, tag, HSO_AEAD_TAG_LEN) != 0) {
		/* RFC 5116 2.2: the plaintext or FAIL, never both. */
		sgl_wipe(in, n_in, out, n_out, len);
		return -EBADMSG;
	}
	return (int)len;
}

void
hso_aead_stream_begin(struct hso_aead_stream *s, const struct hso_aead_key *k, bool enc,
		      const uint8_t nonce[HSO_AEAD_NONCE_LEN], const uint8_t *aad,
		      size_t aad_len)
{
	s->k = k;
	s->enc = enc;
	aad = nz(aad);
	if (k->alg == HSO_AEAD_CHACHA20_POLY1305)
		k->cp_init(k->k.chacha, &s->ctx.cp, nonce, aad, aad_len);
	else
		k->gcm_init(&k->k.gcm, &s->ctx.gcm, nonce, aad, aad_len);
}

void
hso_aead_stream_update(struct hso_aead_stream *s, uint8_t *out, const uint8_t *in, size_t len)
{
	const struct hso_aead_key *k = s->k;

	if (len == 0)
		return;
	if (k->alg == HSO_AEAD_CHACHA20_POLY1305)
		(s->enc ? k->cp_enc : k->cp_dec)(k->k.chacha, &s->ctx.cp, out, in, len);
	else
		(s->enc ? k->gcm_enc_upd : k->gcm_dec_upd)(&k->k.gcm, &s->ctx.gcm, out, in, len);
}

static void
stream_tag(struct hso_aead_stream *s, uint8_t tag[HSO_AEAD_TAG_LEN])
{
	const struct hso_aead_key *k = s->k;

	if (k->alg == HSO_AEAD_CHACHA20_POLY1305)
		k->cp_final(&s->ctx.cp, tag, HSO_AEAD_TAG_LEN);
	else
		(s->enc ? k->gcm_enc_fin : k->gcm_dec_fin)(&k->k.gcm, &s->ctx.gcm, tag,
							   HSO_AEAD_TAG_LEN);
	/* The context holds keystream or GHASH state of this message. */
	OPENSSL_cleanse(&s->ctx, sizeof(s->ctx));
}

void
hso_aead_stream_seal_end(struct hso_aead_stream *s, uint8_t tag[HSO_AEAD_TAG_LEN])
{
	stream_tag(s, tag);
}

int
hso_aead_stream_open_end(struct hso_aead_stream *s, const uint8_t tag[HSO_AEAD_TAG_LEN])
{
	uint8_t got[HSO_AEAD_TAG_LEN];
	int rc;

	stream_tag(s, got);
	rc = CRYPTO_memcmp(got, tag, HSO_AEAD_TAG_LEN) == 0 ? 0 : -EBADMSG;
	OPENSSL_cleanse(got, sizeof(got));
	return rc;
}

/* ------------------------------------------------------------------------ */

int
hso_record_prot_init(struct hso_record_prot *rp, const struct hso_imb_set *set,
		     enum hso_tls_ver ver, enum hso_aead_alg alg,
		     const uint8_t *key, size_t key_len, const uint8_t *iv,
		     size_t iv_len)
{
	size_t want_iv = HSO_AEAD_NONCE_LEN;
	int rc;

	if (rp == NULL || iv == NULL)
		return -EINVAL;
	if (ver != HSO_TLS12 && ver != HSO_TLS13)
		return -EINVAL;
	if (ver == HSO_TLS12 && alg != HSO_AEAD_CHACHA20_POLY1305)
		want_iv = HSO_TLS12_GCM_SALT_LEN;
	if (iv_len != want_iv)
		return -EINVAL;
	rc = hso_aead_key_init(&rp->key, set, alg, key, key_len);
	if (rc != 0) {
		hso_record_prot_wipe(rp);
		return rc;
	}
	memset(rp->iv, 0, sizeof(rp->iv));
	memcpy(rp->iv, iv, iv_len);
	rp->seq = 0;
	rp->exhausted = false;
	rp->ver = (uint8_t)ver;
	return 0;
}

void
hso_record_prot_wipe(struct hso_record_prot *rp)
{
	if (rp != NULL)
		OPENSSL_cleanse(rp, sizeof(*rp));
}

int
hso_record_prot_set_seq(struct hso_record_prot *rp, uint64_t seq)
{
	if (rp == NULL || seq < rp->seq || rp->exhausted)
		return -EINVAL;
	rp->seq = seq;
	return 0;
}

static inline bool
is_tls12_gcm(const struct hso_record_prot *rp)
{
	return rp->ver == HSO_TLS12 &&
	       rp->key.alg != HSO_AEAD_CHACHA20_POLY1305;
}

size_t
hso_record_prot_payload_offset(const struct hso_record_prot *rp)
{
	return HSO_TLS_HEADER_LEN +
	       (is_tls12_gcm(rp) ? HSO_TLS12_GCM_EXPLICIT_LEN : 0);
}

void
hso_record_prot_nonce(const struct hso_record_prot *rp, uint64_t seq,
		      uint8_t nonce[HSO_AEAD_NONCE_LEN])
{
	if (is_tls12_gcm(rp)) {
		/* GCMNonce = salt (4, implicit) || nonce_explicit (8). */
		memcpy(nonce, rp->iv, HSO_TLS12_GCM_SALT_LEN);
		put_be64(nonce + HSO_TLS12_GCM_SALT_LEN, seq);
		return;
	}
	/* "The 64-bit record sequence number is encoded in network byte
	 * order and padded to the left with zeros to iv_length. The padded
	 * sequence number is XORed with either the static client_write_iv
	 * or server_write_iv" (RFC 8446 5.3; RFC 7905 2 says the same for
	 * TLS 1.2). */
	memcpy(nonce, rp->iv, HSO_AEAD_NONCE_LEN);
	for (int i = 0; i < 8; i++)
		nonce[HSO_AEAD_NONCE_LEN - 1 - i] ^= (uint8_t)(seq >> (8 * i));
}

/* The sequence number for this record, or -EOVERFLOW when none is left. */
static inline int
seq_check(const struct hso_record_prot *rp)
{
	return rp->exhausted ? -EOVERFLOW : 0;
}

/* Consume the current sequence number; the last one (2^64 - 1) exhausts. */
static inline void
seq_advance(struct hso_record_prot *rp)
{
	if (++rp->seq == 0)
		rp->exhausted = true;
}

int
hso_tls13_record_seal(struct hso_record_prot *rp, uint8_t type,
		      const uint8_t *data, size_t len, size_t pad,
		      uint8_t *out, size_t out_cap)
{
	uint8_t nonce[HSO_AEAD_NONCE_LEN];
	uint8_t *inner;
	size_t inner_len, ct_len;
	int rc;

	if (rp == NULL || out == NULL || (data == NULL && len != 0) ||
	    rp->ver != HSO_TLS13)
		return -EINVAL;
	rc = seq_check(rp);
	if (rc != 0)
		return rc;
	/* "The length [of TLSPlaintext] MUST NOT exceed 2^14 bytes" and the
	 * inner plaintext "MUST NOT exceed 2^14 + 1 octets" (RFC 8446 5.1,
	 * 5.4): content and padding share the 2^14. */
	if (len > HSO_TLS_PLAINTEXT_MAX || pad > HSO_TLS_PLAINTEXT_MAX - len)
		return -EMSGSIZE;
	inner_len = len + 1 + pad;
	ct_len = inner_len + HSO_AEAD_TAG_LEN;
	if (out_cap < HSO_TLS_HEADER_LEN + ct_len)
		return -ENOBUFS;

	/* Build TLSInnerPlaintext in place after the header; memmove copes
	 * with any overlap, and costs nothing when already in place. */
	inner = out + HSO_TLS_HEADER_LEN;
	if (data != inner && len != 0)
		memmove(inner, data, len);
	inner[len] = type;
	memset(inner + len + 1, 0, pad);

	/* additional_data = TLSCiphertext.opaque_type ||
	 * legacy_record_version || length (RFC 8446 5.2). */
	out[0] = HSO_TLS_CT_APPLICATION_DATA;
	put_be16(out + 1, HSO_TLS13_LEGACY_VERSION);
	put_be16(out + 3, (uint16_t)ct_len);

	hso_record_prot_nonce(rp, rp->seq, nonce);
	hso_aead_seal(&rp->key, nonce, out, HSO_TLS_HEADER_LEN, inner,
		      inner_len, inner);
	seq_advance(rp);
	return (int)(HSO_TLS_HEADER_LEN + ct_len);
}

int
hso_tls13_record_open(struct hso_record_prot *rp, const uint8_t *rec,
		      size_t rec_len, uint8_t *out, uint8_t *type)
{
	uint8_t nonce[HSO_AEAD_NONCE_LEN];
	size_t frag_len, inner_len, i;
	int rc;

	if (rp == NULL || rec == NULL || out == NULL || type == NULL ||
	    rp->ver != HSO_TLS13 || rec_len < HSO_TLS_HEADER_LEN)
		return -EINVAL;
	rc = seq_check(rp);
	if (rc != 0)
		return rc;
	frag_len = ((size_t)rec[3] << 8) | rec[4];
	if (frag_len != rec_len - HSO_TLS_HEADER_LEN)
		return -EINVAL;
	/* "The outer opaque_type field of a TLSCiphertext record is always
	 * set to the value 23 (application_data)" (RFC 8446 5.2); anything
	 * else under protection is unexpected. The version is "ignored for
	 * all purposes" (5.1) but is part of the additional data. */
	if (rec[0] != HSO_TLS_CT_APPLICATION_DATA)
		return -EPROTO;
	/* "The length MUST NOT exceed 2^14 + 256 bytes. An endpoint that
	 * receives a record that exceeds this length MUST terminate the
	 * connection with a "record_overflow" alert." (RFC 8446 5.2) */
	if (frag_len > HSO_TLS13_CIPHERTEXT_MAX)
		return -EMSGSIZE;
	if (frag_len < HSO_AEAD_TAG_LEN)
		return -EBADMSG;
	inner_len = frag_len - HSO_AEAD_TAG_LEN;
	/* The inner plaintext "MUST NOT exceed 2^14 + 1 octets"; its length
	 * is known before decrypting, so refuse without spending the AEAD. */
	if (inner_len > HSO_TLS13_INNER_MAX)
		return -EMSGSIZE;

	hso_record_prot_nonce(rp, rp->seq, nonce);
	rc = hso_aead_open(&rp->key, nonce, rec, HSO_TLS_HEADER_LEN,
			   rec + HSO_TLS_HEADER_LEN, frag_len, out);
	if (rc < 0)
		return rc;

	/* The content type is the last non-zero byte; the zeros after it
	 * are padding (RFC 8446 5.4). */
	for (i = inner_len; i > 0 && out[i - 1] == 0; i--)
		;
	if (i == 0) {
		/* "If a receiving implementation does not find a non-zero
		 * octet in the cleartext, it MUST terminate the connection
		 * with an "unexpected_message" alert." */
		OPENSSL_cleanse(out, inner_len);
		return -EPROTO;
	}
	*type = out[i - 1];
	/* "Implementations MUST NOT send Handshake and Alert records that
	 * have a zero-length TLSInnerPlaintext.content; if such a message
	 * is received, the receiving implementation MUST terminate the
	 * connection with an "unexpected_message" alert." (5.4) */
	if (i == 1 && (*type == 21 || *type == 22)) {
		OPENSSL_cleanse(out, inner_len);
		return -EPROTO;
	}
	seq_advance(rp);
	return (int)(i - 1);
}

/* seq_num || type || version || length (RFC 5246 6.2.3.3). */
static void
tls12_aad(uint8_t aad[HSO_TLS12_AAD_LEN], uint64_t seq, uint8_t type,
	  uint16_t version, size_t len)
{
	put_be64(aad, seq);
	aad[8] = type;
	put_be16(aad + 9, version);
	put_be16(aad + 11, (uint16_t)len);
}

int
hso_tls12_record_seal(struct hso_record_prot *rp, uint8_t type,
		      uint16_t version, const uint8_t *data, size_t len,
		      uint8_t *out, size_t out_cap)
{
	uint8_t nonce[HSO_AEAD_NONCE_LEN], aad[HSO_TLS12_AAD_LEN];
	size_t off, frag_len;
	int rc;

	if (rp == NULL || out == NULL || (data == NULL && len != 0) ||
	    rp->ver != HSO_TLS12)
		return -EINVAL;
	rc = seq_check(rp);
	if (rc != 0)
		return rc;
	/* TLSPlaintext.length "MUST NOT exceed 2^14" (RFC 5246 6.2.1). */
	if (len > HSO_TLS_PLAINTEXT_MAX)
		return -EMSGSIZE;
	off = hso_record_prot_payload_offset(rp);
	frag_len = off - HSO_TLS_HEADER_LEN + len + HSO_AEAD_TAG_LEN;
	if (out_cap < HSO_TLS_HEADER_LEN + frag_len)
		return -ENOBUFS;

	hso_record_prot_nonce(rp, rp->seq, nonce);
	tls12_aad(aad, rp->seq, type, version, len);
	/* Encrypt first: the header and explicit nonce go in front of the
	 * payload, so writing them cannot clobber an in-place input. */
	hso_aead_seal(&rp->key, nonce, aad, sizeof(aad), data, len, out + off);
	out[0] = type;
	put_be16(out + 1, version);
	put_be16(out + 3, (uint16_t)frag_len);
	if (is_tls12_gcm(rp))
		memcpy(out + HSO_TLS_HEADER_LEN,
		       nonce + HSO_TLS12_GCM_SALT_LEN,
		       HSO_TLS12_GCM_EXPLICIT_LEN);
	seq_advance(rp);
	return (int)(HSO_TLS_HEADER_LEN + frag_len);
}

int
hso_tls12_record_open(struct hso_record_prot *rp, const uint8_t *rec,
		      size_t rec_len, uint8_t *out)
{
	uint8_t nonce[HSO_AEAD_NONCE_LEN], aad[HSO_TLS12_AAD_LEN];
	size_t off, frag_len, overhead, len;
	int rc;

	if (rp == NULL || rec == NULL || out == NULL || rp->ver != HSO_TLS12 ||
	    rec_len < HSO_TLS_HEADER_LEN)
		return -EINVAL;
	rc = seq_check(rp);
	if (rc != 0)
		return rc;
	frag_len = ((size_t)rec[3] << 8) | rec[4];
	if (frag_len != rec_len - HSO_TLS_HEADER_LEN)
		return -EINVAL;
	/* "The length (in bytes) of the following TLSCiphertext.fragment.
	 * The length MUST NOT exceed 2^14 + 2048." (RFC 5246 6.2.3) */
	if (frag_len > HSO_TLS12_CIPHERTEXT_MAX)
		return -EMSGSIZE;
	off = hso_record_prot_payload_offset(rp);
	overhead = off - HSO_TLS_HEADER_LEN + HSO_AEAD_TAG_LEN;
	if (frag_len < overhead)
		return -EBADMSG;
	len = frag_len - overhead;
	/* record_overflow: "a record decrypted to a TLSCompressed record
	 * with more than 2^14+1024 bytes"; without compression the content
	 * limit is TLSPlaintext's 2^14 (RFC 5246 6.2.1, 7.2.2). */
	if (len > HSO_TLS_PLAINTEXT_MAX)
		return -EMSGSIZE;

	if (is_tls12_gcm(rp)) {
		/* The explicit nonce is the sender's choice: take it from
		 * the record, never assume it equals our sequence number. */
		memcpy(nonce, rp->iv, HSO_TLS12_GCM_SALT_LEN);
		memcpy(nonce + HSO_TLS12_GCM_SALT_LEN, rec + HSO_TLS_HEADER_LEN,
		       HSO_TLS12_GCM_EXPLICIT_LEN);
	} else {
		hso_record_prot_nonce(rp, rp->seq, nonce);
	}
	tls12_aad(aad, rp->seq, rec[0], (uint16_t)((rec[1] << 8) | rec[2]),
		  len);
	rc = hso_aead_open(&rp->key, nonce, aad, sizeof(aad), rec + off,
			   len + HSO_AEAD_TAG_LEN, out);
	if (rc < 0)
		return rc;
	seq_advance(rp);
	return rc;
}
