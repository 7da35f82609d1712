/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record layer shared by client and server connections: sealing and
 * opening records from segments (struct iovec: the caller's mbufs, or the
 * handshake context's buffers), input framing and dispatch of records to
 * the connection's ops table, post-handshake messages, output staging and
 * flushing, alerts, application data and closure. Contract: handshake.h.
 *
 * One sealing and one opening routine serve every path: the handshake's
 * records (contiguous, in the handshake context), the copy path
 * (hs_conn_app_read/_write) and the zero-copy path (hs_conn_open_record,
 * hs_conn_seal_record). A record in one piece goes through ipsec-mb's
 * one-shot call; one in several pieces through its init/update/finalize
 * calls, piece by piece, without gathering it first.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"

/* Warning alerts in a row that end a connection (CVE-2016-8610). */
#define HS_WARN_ALERTS_MAX 5

/* ------------------------------------------------------------------ */
/* Segments                                                           */
/* ------------------------------------------------------------------ */

static size_t
iov_total(const struct iovec *v, unsigned n)
{
	size_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += v[i].iov_len;
	return t;
}

/* A position in a list of segments. */
struct iov_cur {
	const struct iovec *v;
	unsigned n, i;
	size_t off;             /* in v[i] */
};

static void
cur_init(struct iov_cur *c, const struct iovec *v, unsigned n, size_t skip)
{
	c->v = v;
	c->n = n;
	c->i = 0;
	c->off = 0;
	while (c->i < n && skip >= v[c->i].iov_len - c->off) {
		skip -= v[c->i].iov_len - c->off;
		c->i++;
	}
	c->off = skip;
}

/* The next contiguous piece, at most @p max bytes: its length (0 at the end). */
static size_t
cur_next(struct iov_cur *c, size_t max, uint8_t **p)
{
	size_t k;

	while (c->i < c->n && c->v[c->i].iov_len == c->off) {
		c->i++;
		c->off = 0;
	}
	if (c->i == c->n || max == 0)
		return 0;
	k = c->v[c->i].iov_len - c->off;
	if (k > max)
		k = max;
	*p = (uint8_t *)c->v[c->i].iov_base + c->off;
	c->off += k;
	return k;
}

/* Copy @p len bytes from stream offset @p off of @p v to @p out. */
static void
iov_read(const struct iovec *v, unsigned n, size_t off, uint8_t *out, size_t len)
{
	struct iov_cur c;
	uint8_t *p;
	size_t k;

	cur_init(&c, v, n, off);
	while (len > 0 && (k = cur_next(&c, len, &p)) > 0) {
		memcpy(out, p, k);
		out += k;
		len -= k;
	}
}

/* Wipe @p len bytes from stream offset @p off of @p v. */
static void
iov_wipe(const struct iovec *v, unsigned n, size_t off, size_t len)
{
	struct iov_cur c;
	uint8_t *p;
	size_t k;

	cur_init(&c, v, n, off);
	while (len > 0 && (k = cur_next(&c, len, &p)) > 0) {
		OPENSSL_cleanse(p, k);
		len -= k;
	}
}

/*
 * The last non-zero byte of [base, base + len) of @p v: its position from
 * @p base plus one, and the byte in *@p byte; 0 when all are zero. Scans
 * backwards: without padding the first byte looked at is the answer.
 */
static size_t
iov_last_nonzero(const struct iovec *v, unsigned n, size_t base, size_t len, uint8_t *byte)
{
	size_t end = base + len, at = 0;
	unsigned i = 0;

	if (len == 0)
		return 0;
	while (i < n && at + v[i].iov_len < end) {
		at += v[i].iov_len;
		i++;
	}
	if (i == n)
		return 0;
	for (;;) {
		const uint8_t *p = v[i].iov_base;
		size_t lo = base > at ? base - at : 0, hi = end - at;

		for (; hi > lo; hi--) {
			if (p[hi - 1] != 0) {
				*byte = p[hi - 1];
				return at + hi - base;
			}
		}
		if (at <= base || i == 0)
			return 0;
		end = at;
		i--;
		at -= v[i].iov_len;
	}
}

static inline void
put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* seq_num || type || version || length (RFC 5246 6.2.3.3). */
static void
tls12_aad(uint8_t aad[HSO_TLS12_AAD_LEN], uint64_t seq, uint8_t type, uint16_t version,
	  size_t len)
{
	for (int i = 0; i < 8; i++)
		aad[i] = (uint8_t)(seq >> (56 - 8 * i));
	aad[8] = type;
	put_be16(aad + 9, version);
	put_be16(aad + 11, len);
}

/* ------------------------------------------------------------------ */
/* Sealing and opening one record                                     */
/* ------------------------------------------------------------------ */

/*
 * Seal one record of @p type under c->wr from the plaintext data[0..n)
 * (@p len bytes): the header (hs_dir_head() bytes) to @p hdr, the ciphertext
 * over the data where it lies (@p out NULL) or to @p out (@p len bytes), the
 * trailer (TLS 1.3 content type, then the tag) to @p trl.
 * @return the record length, or -errno of the record layer.
 */
static int
rec_seal(struct hs_conn *c, uint8_t type, const struct iovec *data, unsigned n, size_t len,
	 uint8_t *hdr, uint8_t *out, uint8_t *trl)
{
	struct hs_dir *d = &c->wr;
	const struct hso_aead_key *k;
	uint8_t nonce[HSO_AEAD_NONCE_LEN], aad12[HSO_TLS12_AAD_LEN];
	const uint8_t *aad;
	size_t aad_len, head = hs_dir_head(d), tail = hs_dir_tail(d);
	bool v13 = d->ver == HSO_TLS13;
	uint8_t *flat = NULL;
	int rc = hs_dir_seq_check(d);

	if (rc != 0)
		return rc;
	/* "The length [of TLSPlaintext] MUST NOT exceed 2^14 bytes" (RFC 8446 5.1). */
	if (len > HS_RECORD_PLAINTEXT_MAX)
		return -EMSGSIZE;
	k = hs_dir_key(c, d);
	if (k == NULL)
		return -EIO;
	hs_dir_nonce(d, d->seq, nonce);
	if (v13) {
		/* additional_data = opaque_type || legacy_record_version || length (5.2). */
		hdr[0] = HS_CT_APPLICATION_DATA;
		put_be16(hdr + 1, HSO_TLS13_LEGACY_VERSION);
		aad = hdr;
		aad_len = HS_RECORD_HEADER_LEN;
	} else {
		hdr[0] = type;
		put_be16(hdr + 1, HS_TLS12);
		/* RFC 5288 3: the explicit nonce is the sequence number, unique with it. */
		if (head > HS_RECORD_HEADER_LEN)
			memcpy(hdr + HS_RECORD_HEADER_LEN, nonce + HSO_TLS12_GCM_SALT_LEN,
			       HSO_TLS12_GCM_EXPLICIT_LEN);
		tls12_aad(aad12, d->seq, type, HS_TLS12, len);
		aad = aad12;
		aad_len = sizeof(aad12);
	}
	put_be16(hdr + 3, head - HS_RECORD_HEADER_LEN + len + tail);

	/*
	 * One piece with the trailer right after it: the one-shot call, in
	 * place (a copy is moved into place first; TLS 1.3's content type is
	 * then part of the contiguous plaintext).
	 */
	if (n <= 1) {
		const uint8_t *src = n == 1 ? data[0].iov_base : NULL;

		flat = out != NULL ? out : (uint8_t *)src;
		if (flat == NULL)
			flat = trl;
		if (flat + len != trl)
			flat = NULL;
		else if (out != NULL && src != out && len > 0)
			memmove(out, src, len);
	}
	if (flat != NULL) {
		if (v13)
			trl[0] = type;
		hso_aead_seal(k, nonce, aad, aad_len, flat, len + (v13 ? 1 : 0), flat);
	} else {
		struct hso_aead_stream st;
		size_t at = 0;

		hso_aead_stream_begin(&st, k, true, nonce, aad, aad_len);
		for (unsigned i = 0; i < n; i++) {
			uint8_t *src = data[i].iov_base;

			hso_aead_stream_update(&st, out != NULL ? out + at : src, src,
					       data[i].iov_len);
			at += data[i].iov_len;
		}
		if (v13) {
			trl[0] = type;
			hso_aead_stream_update(&st, trl, trl, 1);
		}
		hso_aead_stream_seal_end(&st, trl + (v13 ? 1 : 0));
	}
	hs_dir_seq_advance(d);
	return (int)(head + len + tail);
}

/*
 * Open the protected record rec[0..n) (@p rec_len bytes, its header's length
 * checked by the caller) under c->rd: the plaintext over the ciphertext
 * (@p dst NULL: it then starts at record offset hs_dir_head()) or into
 * dst[0..n_dst) (from its start). *@p type gets the content type.
 * @return the content length, or -errno of the record layer (crypto_sym.h:
 *         -EBADMSG, -EMSGSIZE, -EPROTO, -EOVERFLOW); the plaintext written
 *         is wiped on failure.
 */
static int
rec_open(struct hs_conn *c, const struct iovec *rec, unsigned n, size_t rec_len,
	 const struct iovec *dst, unsigned n_dst, uint8_t *type)
{
	struct hs_dir *d = &c->rd;
	const struct hso_aead_key *k;
	uint8_t hdr[HS_RECORD_HEADER_LEN + HSO_TLS12_GCM_EXPLICIT_LEN];
	uint8_t nonce[HSO_AEAD_NONCE_LEN], aad12[HSO_TLS12_AAD_LEN], tag[HSO_AEAD_TAG_LEN];
	const uint8_t *aad;
	size_t aad_len, head = hs_dir_head(d), frag = rec_len - HS_RECORD_HEADER_LEN, ct_len;
	const struct iovec *pv = dst != NULL ? dst : rec;
	unsigned pn = dst != NULL ? n_dst : n;
	size_t pbase = dst != NULL ? 0 : head;
	bool v13 = d->ver == HSO_TLS13;
	int rc = hs_dir_seq_check(d);

	if (rc != 0)
		return rc;
	if (v13) {
		iov_read(rec, n, 0, hdr, HS_RECORD_HEADER_LEN);
		/* The outer type "is always set to the value 23" (RFC 8446 5.2). */
		if (hdr[0] != HS_CT_APPLICATION_DATA)
			return -EPROTO;
		/* "MUST NOT exceed 2^14 + 256 bytes" ... record_overflow (5.2). */
		if (frag > HSO_TLS13_CIPHERTEXT_MAX)
			return -EMSGSIZE;
		if (frag < HSO_AEAD_TAG_LEN)
			return -EBADMSG;
		ct_len = frag - HSO_AEAD_TAG_LEN;
		/* The inner plaintext "MUST NOT exceed 2^14 + 1 octets" (5.4). */
		if (ct_len > HSO_TLS13_INNER_MAX)
			return -EMSGSIZE;
		hs_dir_nonce(d, d->seq, nonce);
		aad = hdr;
		aad_len = HS_RECORD_HEADER_LEN;
	} else {
		/* "The length MUST NOT exceed 2^14 + 2048" (RFC 5246 6.2.3). */
		if (frag > HSO_TLS12_CIPHERTEXT_MAX)
			return -EMSGSIZE;
		if (frag < head - HS_RECORD_HEADER_LEN + HSO_AEAD_TAG_LEN)
			return -EBADMSG;
		iov_read(rec, n, 0, hdr, head);
		ct_len = frag - (head - HS_RECORD_HEADER_LEN) - HSO_AEAD_TAG_LEN;
		/* Without compression the content is at most 2^14 (6.2.1, 7.2.2). */
		if (ct_len > HS_RECORD_PLAINTEXT_MAX)
			return -EMSGSIZE;
		if (head > HS_RECORD_HEADER_LEN) {
			/* The explicit nonce is the sender's choice: take it from the record. */
			memcpy(nonce, d->iv, HSO_TLS12_GCM_SALT_LEN);
			memcpy(nonce + HSO_TLS12_GCM_SALT_LEN, hdr + HS_RECORD_HEADER_LEN,
			       HSO_TLS12_GCM_EXPLICIT_LEN);
		} else {
			hs_dir_nonce(d, d->seq, nonce);
		}
		tls12_aad(aad12, d->seq, hdr[0], (uint16_t)(hdr[1] << 8 | hdr[2]), ct_len);
		aad = aad12;
		aad_len = sizeof(aad12);
	}
	k = hs_dir_key(c, d);
	if (k == NULL)
		return -EIO;

	if (n == 1 && (dst == NULL || dst[0].iov_len >= ct_len)) {
		/* One piece: ciphertext and tag are contiguous, the one-shot call. */
		uint8_t *ct = (uint8_t *)rec[0].iov_base + head;

		rc = hso_aead_open(k, nonce, aad, aad_len, ct, ct_len + HSO_AEAD_TAG_LEN,
				   dst != NULL ? dst[0].iov_base : ct);
		if (rc < 0)
			return rc;
	} else {
		struct hso_aead_stream st;
		struct iov_cur src, to;
		size_t left = ct_len;

		iov_read(rec, n, rec_len - HSO_AEAD_TAG_LEN, tag, sizeof(tag));
		hso_aead_stream_begin(&st, k, false, nonce, aad, aad_len);
		cur_init(&src, rec, n, head);
		if (dst != NULL)
			cur_init(&to, dst, n_dst, 0);
		while (left > 0) {
			uint8_t *sp, *op;
			size_t m = cur_next(&src, left, &sp);

			if (m == 0)
				break;
			left -= m;
			while (m > 0) {
				size_t q = m;

				if (dst != NULL)
					q = cur_next(&to, m, &op);
				else
					op = sp;
				if (q == 0)
					break;  /* dst too short: checked before, never here */
				hso_aead_stream_update(&st, op, sp, q);
				sp += q;
				m -= q;
			}
		}
		if (hso_aead_stream_open_end(&st, tag) != 0) {
			/* RFC 5116 2.2: the plaintext or FAIL, never both. */
			iov_wipe(pv, pn, pbase, ct_len);
			return -EBADMSG;
		}
	}
	if (v13) {
		uint8_t t = 0;
		/* The content type is the last non-zero byte; zeros after it are padding (5.4). */
		size_t i = iov_last_nonzero(pv, pn, pbase, ct_len, &t);

		/*
		 * "If a receiving implementation does not find a non-zero octet
		 * in the cleartext, it MUST terminate the connection with an
		 * "unexpected_message" alert." Nor may Handshake and Alert
		 * records have a zero-length TLSInnerPlaintext.content (5.4).
		 */
		if (i == 0 || (i == 1 && (t == HS_CT_ALERT || t == HS_CT_HANDSHAKE))) {
			iov_wipe(pv, pn, pbase, ct_len);
			return -EPROTO;
		}
		*type = t;
		ct_len = i - 1;
	} else {
		*type = hdr[0];
	}
	hs_dir_seq_advance(d);
	return (int)ct_len;
}

/* The alert a record-layer failure calls for. */
static int
rec_err(int n)
{
	switch (n) {
	case -EBADMSG:
		return HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC);
	case -EMSGSIZE:
		return HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW);
	case -EPROTO:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	default:
		return HS_ERR_INTERNAL;
	}
}

/* ------------------------------------------------------------------ */
/* Output                                                             */
/* ------------------------------------------------------------------ */

/* The output area: the handshake context's, or the resident one. */
static uint8_t *
out_area(struct hs_conn *c, size_t *used, size_t *cap)
{
	if (c->hx != NULL) {
		*used = c->hx->out_len;
		*cap = HS_CONN_OUT_SIZE;
		return c->hx->out;
	}
	*used = c->ctl_len;
	*cap = sizeof(c->ctl);
	return c->ctl;
}

static void
out_grow(struct hs_conn *c, size_t n)
{
	if (c->hx != NULL) {
		c->hx->out_len += n;
		if (c->hx->out_len > c->hx->out_hw)
			c->hx->out_hw = c->hx->out_len;
	} else {
		c->ctl_len = (uint16_t)(c->ctl_len + n);
	}
}

/* Seal or frame one record of @p type into the output. */
int
hs_write_record(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len)
{
	size_t used, cap, head, need;
	uint8_t *at = out_area(c, &used, &cap) + used;
	struct iovec v = { (void *)(uintptr_t)data, len };
	int n;

	if (!c->wr_on) {
		struct hs_writer w;

		hs_writer_init(&w, at, cap - used);
		hs_record_header_write(&w, type, 0x0303, len);
		hs_write_bytes(&w, data, len);
		if (w.err)
			return -ENOBUFS;
		out_grow(c, w.off);
		return 0;
	}
	head = hs_dir_head(&c->wr);
	need = head + len + hs_dir_tail(&c->wr);
	if (need > cap - used)
		return -ENOBUFS;
	n = rec_seal(c, type, &v, 1, len, at, at + head, at + head + len);
	if (n < 0)
		return n;
	out_grow(c, (size_t)n);
	return 0;
}

/* Open a writer on the free part of the stage for one handshake message. */
int
hs_stage_msg_begin(struct hs_conn *c, struct hs_writer *w)
{
	hs_writer_init(w, c->hx->stage + c->hx->stage_len, c->hx->stage_cap - c->hx->stage_len);
	return 0;
}

/* The message written through @p w joins the stage and the transcript. */
int
hs_stage_msg_end(struct hs_conn *c, struct hs_writer *w, size_t start)
{
	struct hs_hctx *hx = c->hx;

	/* What the writer put down counts for the wipe, even if it then failed. */
	if (hx->stage_len + w->off > hx->stage_hw)
		hx->stage_hw = hx->stage_len + w->off;
	if (w->err)
		return HS_ERR_INTERNAL;
	hso_hash_update(&hx->th, w->p + start, w->off - start);
	hx->stage_len += w->off;
	return 0;
}

/* Cut the staged handshake messages into records under the current keys. */
int
hs_flush_stage(struct hs_conn *c)
{
	struct hs_hctx *hx = c->hx;
	size_t off = 0;

	while (off < hx->stage_len) {
		size_t n = hx->stage_len - off;

		if (n > HS_RECORD_PLAINTEXT_MAX)
			n = HS_RECORD_PLAINTEXT_MAX;
		if (hs_write_record(c, HS_CT_HANDSHAKE, hx->stage + off, n) != 0)
			return HS_ERR_INTERNAL;
		off += n;
	}
	hx->stage_len = 0;
	return 0;
}

const uint8_t *
hs_conn_send_buf(const struct hs_conn *c, size_t *len)
{
	if (c->hx != NULL) {
		*len = c->hx->out_len;
		return c->hx->out;
	}
	*len = c->ctl_len;
	return c->ctl;
}

void
hs_conn_send_ack(struct hs_conn *c, size_t n)
{
	size_t used, cap;
	uint8_t *base = out_area(c, &used, &cap);

	if (n > used)
		n = used;
	memmove(base, base + n, used - n);
	if (c->hx != NULL)
		c->hx->out_len -= n;
	else
		c->ctl_len = (uint16_t)(c->ctl_len - n);
}

/* ------------------------------------------------------------------ */
/* Alerts and post-handshake messages                                 */
/* ------------------------------------------------------------------ */

int
hs_handle_alert(struct hs_conn *c, const uint8_t *a, size_t len)
{
	if (len != 2)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	if (a[1] == HS_ALERT_CLOSE_NOTIFY) {
		/*
		 * TLS 1.3 with half-close: only the peer's write side is closed
		 * (RFC 8446 6.1); ours stays open until hs_conn_close(). TLS 1.2
		 * must answer and close at once (RFC 5246 7.2.1).
		 */
		if (c->status == HS_STATUS_ESTABLISHED && c->ops->half_close &&
		    c->cfg->half_close && !c->wr_shut) {
			c->rd_closed = true;
			return 0;
		}
		/* Answer with our own close_notify, unless sent already. */
		if (c->status == HS_STATUS_ESTABLISHED && !c->wr_shut)
			hs_conn_close(c);
		c->status = HS_STATUS_CLOSED;
		c->state = ST_CLOSED;
		return 0;
	}
	/*
	 * TLS 1.3: user_canceled is followed by close_notify; TLS 1.2 warnings
	 * (e.g. no_renegotiation) do not end the connection. Ignored, but not
	 * without end: a run of them and nothing else is the "SSL Death Alert"
	 * (CVE-2016-8610), a peer keeping us busy for free; the fifth in a row
	 * is unexpected_message, as OpenSSL counts.
	 */
	if (a[1] == HS_ALERT_USER_CANCELED || (c->ops->warning_alerts && a[0] == 1)) {
		if (++c->warn_alerts >= HS_WARN_ALERTS_MAX)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	}
	return HS_ERR_PEER_ALERT(a[1]);
}

/* A post-handshake message is half read (RFC 8446 5.1: nothing may interleave). */
static bool
post_hs_pending(const struct hs_conn *c)
{
	return c->ph_have > 0 || c->ph_mode != HS_PH_IDLE;
}

static void
post_hs_reset(struct hs_conn *c)
{
	c->ph_mode = HS_PH_IDLE;
	c->ph_have = 0;
	c->ph_left = 0;
	OPENSSL_cleanse(c->ph_buf, sizeof(c->ph_buf));
}

/*
 * Handshake content after the handshake, as it comes (split anyhow across
 * records and segments): the header is gathered in ph_buf, then the
 * version's post_hs_begin() says how to take the body (a short one in
 * ph_buf, a longer one gathered in the handshake context, or skipped), and
 * post_hs_msg() handles the whole message. No handshake context is needed
 * but to keep a long message (a client's NewSessionTicket).
 * @param after  content bytes of this record after these
 */
static int
post_hs_feed(struct hs_conn *c, const uint8_t *p, size_t n, size_t after)
{
	while (n > 0) {
		uint32_t len;
		size_t take;
		int rc;

		if (c->ph_mode == HS_PH_IDLE) {
			take = HS_MSG_HEADER_LEN - c->ph_have;
			if (take > n)
				take = n;
			memcpy(c->ph_buf + c->ph_have, p, take);
			c->ph_have = (uint8_t)(c->ph_have + take);
			p += take;
			n -= take;
			if (c->ph_have < HS_MSG_HEADER_LEN)
				break;
			len = (uint32_t)c->ph_buf[1] << 16 | (uint32_t)c->ph_buf[2] << 8 | c->ph_buf[3];
			rc = c->ops->post_hs_begin(c, c->ph_buf[0], len);
			if (rc < 0)
				return rc;
			if ((rc == HS_PH_SHORT && len > sizeof(c->ph_buf) - HS_MSG_HEADER_LEN) ||
			    (rc == HS_PH_GATHER &&
			     (c->hx == NULL || HS_MSG_HEADER_LEN + (size_t)len > HS_CONN_GATHER_SIZE)))
				return HS_ERR_INTERNAL;
			c->ph_mode = (uint8_t)rc;
			c->ph_left = len;
			if (rc == HS_PH_GATHER) {
				struct hs_msg_asm *a = &c->hx->asm_;

				/* The reassembly area is idle after the handshake. */
				memcpy(a->inl, c->ph_buf, HS_MSG_HEADER_LEN);
				if (HS_MSG_HEADER_LEN + (size_t)len > a->hw)
					a->hw = HS_MSG_HEADER_LEN + (size_t)len;
			}
		}
		len = (uint32_t)c->ph_buf[1] << 16 | (uint32_t)c->ph_buf[2] << 8 | c->ph_buf[3];
		take = c->ph_left < n ? c->ph_left : n;
		if (c->ph_mode == HS_PH_SHORT)
			memcpy(c->ph_buf + c->ph_have, p, take);
		else if (c->ph_mode == HS_PH_GATHER)
			memcpy(c->hx->asm_.inl + HS_MSG_HEADER_LEN + (len - c->ph_left), p, take);
		if (c->ph_mode == HS_PH_SHORT)
			c->ph_have = (uint8_t)(c->ph_have + take);
		c->ph_left -= (uint32_t)take;
		p += take;
		n -= take;
		if (c->ph_left > 0)
			break;
		c->w->stats.post_hs_msgs++;
		if (c->ph_mode != HS_PH_SKIP) {
			const uint8_t *raw = c->ph_mode == HS_PH_SHORT ? c->ph_buf : c->hx->asm_.inl;
			struct hs_msg m = { raw[0], len, raw + HS_MSG_HEADER_LEN, raw };

			rc = c->ops->post_hs_msg(c, &m, n == 0 && after == 0);
			if (rc < 0)
				return rc;
		}
		post_hs_reset(c);
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Input through the handshake context                                */
/* ------------------------------------------------------------------ */

uint8_t *
hs_conn_recv_buf(struct hs_conn *c, size_t *room)
{
	*room = 0;
	if (c->hx == NULL) {
		/* A server borrows its context with the first bytes it takes. */
		if (c->status != HS_STATUS_HANDSHAKING || c->ccfg != NULL ||
		    c->state != ST_CLIENT_HELLO)
			return NULL;
		if (hs_hctx_get(c) != 0) {
			hs_fail(c, HS_ERR_NO_HCTX);
			return NULL;
		}
	}
	*room = HS_CONN_IN_SIZE - c->hx->in_len;
	return c->hx->in + c->hx->in_len;
}

/* Drop the record being consumed from the input buffer. */
static void
record_done(struct hs_conn *c)
{
	struct hs_hctx *hx = c->hx;

	memmove(hx->in, hx->in + hx->rec_len, hx->in_len - hx->rec_len);
	hx->in_len -= hx->rec_len;
	hx->rec_len = 0;
	hx->rec_active = false;
	hx->app_off = 0;
}

/*
 * RFC 8446 5.1: "Handshake messages MUST NOT span key changes ... a record
 * containing [the message before a key change] MUST be at a record
 * boundary". True when nothing of the current record is left and no
 * message is half gathered.
 */
bool
hs_at_key_change_boundary(const struct hs_conn *c)
{
	return hs_msg_asm_idle(&c->hx->asm_) &&
	       (!c->hx->rec_active || hs_reader_left(&c->hx->rec) == 0);
}

/* Decrypt the whole record at in[0..rec_len); set c->hx->rec over its content. */
static int
open_record(struct hs_conn *c, const struct hs_record *r)
{
	struct hs_hctx *hx = c->hx;
	struct iovec v = { hx->in, hx->rec_len };
	uint8_t type = r->type;
	int n;

	if (!c->rd_on) {
		hs_reader_init(&hx->rec, r->frag, r->len);
		hx->rec_type = type;
		return 0;
	}
	n = rec_open(c, &v, 1, hx->rec_len, NULL, 0, &type);
	if (n < 0)
		return rec_err(n);
	hs_reader_init(&hx->rec, hx->in + hs_dir_head(&c->rd), (size_t)n);
	hx->rec_type = type;
	/*
	 * RFC 8446 4.2.10: "Once a record is deprotected successfully, it is
	 * treated as the start of the client's second flight": no more
	 * skipping of undecryptable early data.
	 */
	c->rd_opened = true;
	hx->early_skip = 0;
	return 0;
}

/* Start consuming the next whole record; 0 when one is active, 1 when none. */
static int
next_record(struct hs_conn *c)
{
	struct hs_hctx *hx = c->hx;
	struct hs_record r;
	size_t max = !c->rd_on ? HS_RECORD_PLAINTEXT_MAX : c->ops->ct_max;
	bool may_skip;
	int n, rc;

	n = hs_record_parse(hx->in, hx->in_len, max, &r);
	if (n <= 0)
		return n < 0 ? n : 1;
	hx->rec_len = (size_t)n;
	hx->rec_active = true;
	hx->app_off = 0;

	/*
	 * RFC 8446 5: a change_cipher_spec record consisting of the single
	 * byte 0x01, received between the first ClientHello and the peer's
	 * Finished, "MUST simply" be dropped; any other is unexpected_message.
	 * In TLS 1.2 it switches the read keys (RFC 5246 7.1).
	 */
	if (r.type == HS_CT_CHANGE_CIPHER_SPEC) {
		if (r.len != 1 || r.frag[0] != 1 || !hs_msg_asm_idle(&hx->asm_) ||
		    c->state == ST_ESTABLISHED)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		record_done(c);
		return c->ops->change_cipher_spec(c);
	}
	/* Protected records whose outer type the version does not open. */
	if (c->rd_on && r.type != HS_CT_APPLICATION_DATA) {
		rc = c->ops->outer_type(c, &r);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			rc = hs_handle_alert(c, r.frag, r.len);
			record_done(c);
			return rc;
		}
	}
	/*
	 * 0-RTT refused (RFC 8446 4.2.10): skip records under the early keys
	 * (they fail to decrypt under the handshake keys, or come before the
	 * second ClientHello) up to a budget; past it, fail as usual.
	 */
	may_skip = hx->early_skip >= hx->rec_len && r.type == HS_CT_APPLICATION_DATA &&
		   c->status == HS_STATUS_HANDSHAKING;
	rc = c->rd_on || !may_skip ? open_record(c, &r) : HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC);
	if (may_skip && rc == HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC)) {
		hx->early_skip -= (uint32_t)hx->rec_len;
		record_done(c);
		return 0;
	}
	if (rc != 0)
		return rc;
	/* RFC 8446 5.1: handshake messages MUST NOT be interleaved with other types. */
	if (hx->rec_type != HS_CT_HANDSHAKE &&
	    (!hs_msg_asm_idle(&hx->asm_) || post_hs_pending(c)))
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (hx->rec_type != HS_CT_ALERT)
		c->warn_alerts = 0;
	switch (hx->rec_type) {
	case HS_CT_ALERT:
		rc = hs_handle_alert(c, hx->rec.p, hx->rec.len);
		record_done(c);
		return rc;
	case HS_CT_HANDSHAKE:
		/* "Implementations MUST NOT send zero-length fragments of Handshake types." */
		if (hx->rec.len == 0)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	case HS_CT_APPLICATION_DATA:
		if (c->status != HS_STATUS_ESTABLISHED)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	default:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
}

/* Consume input until it runs out, the connection waits or fails. */
int
hs_conn_process(struct hs_conn *c)
{
	struct hs_hctx *hx = c->hx;
	int rc;

	while (hx != NULL && !c->waiting && c->status != HS_STATUS_FAILED &&
	       c->status != HS_STATUS_CLOSED && !c->rd_closed) {
		if (!hx->rec_active) {
			rc = next_record(c);
			if (rc == 1)
				return 0;
			if (rc < 0)
				return hs_fail(c, rc);
			continue;
		}
		if (hx->rec_type == HS_CT_APPLICATION_DATA) {
			if (hx->app_off < hx->rec.len)
				return 0;       /* the application reads it */
			record_done(c);
			continue;
		}
		if (c->state == ST_ESTABLISHED) {
			/* After the handshake: the post-handshake reader takes it. */
			size_t left = hs_reader_left(&hx->rec);

			rc = post_hs_feed(c, hs_read_bytes(&hx->rec, left), left, 0);
			if (rc < 0)
				return hs_fail(c, rc);
			record_done(c);
			continue;
		}
		/* Handshake content: take whole messages one at a time. */
		{
			struct hs_msg m;

			rc = hs_msg_next(&hx->asm_, &hx->rec, &m);
			if (rc < 0)
				return hs_fail(c, rc);
			if (rc == 0) {
				record_done(c);
				continue;
			}
			rc = c->ops->handshake_msg(c, &m);
			/*
			 * Used up: a pool buffer it came in goes back now; unless
			 * the connection waits for a job that reads it (the client
			 * decodes a Certificate there): then when it resumes.
			 */
			if (!c->waiting)
				hs_msg_asm_consumed(&hx->asm_);
			if (rc < 0)
				return hs_fail(c, rc);
		}
	}
	return c->status == HS_STATUS_FAILED ? c->err : 0;
}

int
hs_conn_recv_ack(struct hs_conn *c, size_t n)
{
	struct hs_hctx *hx = c->hx;

	/* The caller wrote them, taken or not: they are wiped with the rest. */
	if (hx != NULL && n <= HS_CONN_IN_SIZE - hx->in_len && hx->in_len + n > hx->in_hw)
		hx->in_hw = hx->in_len + n;
	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (hx == NULL)
		return n == 0 ? 0 : hs_fail(c, HS_ERR_INTERNAL);
	if (n > HS_CONN_IN_SIZE - hx->in_len)
		return hs_fail(c, HS_ERR_INTERNAL);
	/* RFC 8446 6.1: data after a closure alert MUST be ignored. */
	if (c->rd_closed || c->status == HS_STATUS_CLOSED)
		return 0;
	hx->in_len += n;
	return hs_conn_process(c);
}

/* ------------------------------------------------------------------ */
/* Zero-copy record I/O                                               */
/* ------------------------------------------------------------------ */

size_t
hs_conn_seal_headroom(const struct hs_conn *c)
{
	return c->status == HS_STATUS_ESTABLISHED && c->wr_on ? hs_dir_head(&c->wr) : 0;
}

size_t
hs_conn_seal_tailroom(const struct hs_conn *c)
{
	return c->status == HS_STATUS_ESTABLISHED && c->wr_on ? hs_dir_tail(&c->wr) : 0;
}

size_t
hs_conn_open_room(const struct hs_conn *c, size_t rec_len)
{
	size_t over;

	if (!c->rd_on)
		return rec_len > HS_RECORD_HEADER_LEN ? rec_len - HS_RECORD_HEADER_LEN : 0;
	over = hs_dir_head(&c->rd) + HSO_AEAD_TAG_LEN;
	return rec_len > over ? rec_len - over : 0;
}

int
hs_conn_record_size(struct hs_conn *c, const uint8_t hdr[HS_RECORD_HEADER_LEN])
{
	struct hs_record r;
	size_t max = !c->rd_on ? HS_RECORD_PLAINTEXT_MAX : c->ops->ct_max;
	int rc;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	rc = hs_record_parse(hdr, HS_RECORD_HEADER_LEN, max, &r);
	if (rc < 0)
		return hs_fail(c, rc);
	return HS_RECORD_HEADER_LEN + (int)((size_t)hdr[3] << 8 | hdr[4]);
}

/* While handshaking: the record goes into the handshake context, one at a time. */
static int
feed_record(struct hs_conn *c, const struct iovec *rec, unsigned n, size_t rec_len)
{
	struct hs_hctx *hx;
	int rc;

	if (c->hx == NULL) {
		if (c->ccfg != NULL || c->state != ST_CLIENT_HELLO)
			return hs_fail(c, HS_ERR_INTERNAL);
		rc = hs_hctx_get(c);
		if (rc != 0)
			return hs_fail(c, rc);
	}
	hx = c->hx;
	if (c->waiting || hx->in_len > 0)
		return -EAGAIN;
	if (rec_len > HS_CONN_IN_SIZE)
		return hs_fail(c, HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW));
	iov_read(rec, n, 0, hx->in, rec_len);
	hx->in_len = rec_len;
	if (hx->in_len > hx->in_hw)
		hx->in_hw = hx->in_len;
	rc = hs_conn_process(c);
	return rc < 0 ? rc : 0;
}

int
hs_conn_open_record(struct hs_conn *c, const struct iovec *rec, unsigned n,
		    const struct iovec *dst, unsigned n_dst, struct hs_rx *rx)
{
	uint8_t hdr[HS_RECORD_HEADER_LEN], type = 0, two[2];
	struct hs_record r;
	size_t rec_len, head;
	const struct iovec *pv;
	unsigned pn;
	size_t pbase;
	int len, rc;

	if (rx != NULL)
		memset(rx, 0, sizeof(*rx));
	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (rec == NULL || n == 0 || (dst == NULL && n_dst != 0))
		return -EINVAL;
	rec_len = iov_total(rec, n);
	if (rec_len < HS_RECORD_HEADER_LEN)
		return -EINVAL;
	iov_read(rec, n, 0, hdr, sizeof(hdr));
	if (rec_len != HS_RECORD_HEADER_LEN + ((size_t)hdr[3] << 8 | hdr[4]))
		return -EINVAL;
	if (c->status == HS_STATUS_HANDSHAKING)
		return feed_record(c, rec, n, rec_len);
	/* RFC 8446 6.1: "Any data received after a closure alert ... MUST be ignored." */
	if (c->status == HS_STATUS_CLOSED || c->rd_closed)
		return 0;
	if (c->hx != NULL && c->hx->in_len > 0)
		return -EAGAIN;         /* the copy path's input comes first */
	if (dst != NULL && iov_total(dst, n_dst) < hs_conn_open_room(c, rec_len))
		return -ENOBUFS;

	rc = hs_record_parse(hdr, sizeof(hdr), c->ops->ct_max, &r);
	if (rc < 0)
		return hs_fail(c, rc);
	/*
	 * After the handshake no change_cipher_spec is allowed: TLS 1.3 drops
	 * it only before the peer's Finished (RFC 8446 5), TLS 1.2 would be
	 * renegotiating (refused).
	 */
	if (hdr[0] == HS_CT_CHANGE_CIPHER_SPEC)
		return hs_fail(c, HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE));
	len = rec_open(c, rec, n, rec_len, dst, n_dst, &type);
	if (len < 0)
		return hs_fail(c, rec_err(len));
	c->rd_opened = true;
	head = hs_dir_head(&c->rd);
	pv = dst != NULL ? dst : rec;
	pn = dst != NULL ? n_dst : n;
	pbase = dst != NULL ? 0 : head;
	if (rx != NULL)
		rx->type = type;
	/* RFC 8446 5.1: handshake messages MUST NOT be interleaved with other types. */
	if (type != HS_CT_HANDSHAKE && post_hs_pending(c))
		return hs_fail(c, HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE));
	if (type != HS_CT_ALERT)
		c->warn_alerts = 0;
	switch (type) {
	case HS_CT_APPLICATION_DATA:
		if (rx != NULL) {
			rx->off = (uint16_t)pbase;
			rx->len = (uint16_t)len;
		}
		return len;
	case HS_CT_ALERT:
		if (len != 2)
			return hs_fail(c, HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
		iov_read(pv, pn, pbase, two, 2);
		rc = hs_handle_alert(c, two, 2);
		return rc < 0 ? hs_fail(c, rc) : 0;
	case HS_CT_HANDSHAKE: {
		struct iov_cur cur;
		size_t left = (size_t)len;
		uint8_t *p;

		/* "Implementations MUST NOT send zero-length fragments of Handshake types." */
		if (len == 0)
			return hs_fail(c, HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE));
		cur_init(&cur, pv, pn, pbase);
		while (left > 0 && c->status == HS_STATUS_ESTABLISHED) {
			size_t k = cur_next(&cur, left, &p);

			if (k == 0)
				return hs_fail(c, HS_ERR_INTERNAL);
			left -= k;
			rc = post_hs_feed(c, p, k, left);
			if (rc < 0)
				return hs_fail(c, rc);
		}
		return c->status == HS_STATUS_FAILED ? c->err : 0;
	}
	default:
		return hs_fail(c, HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE));
	}
}

/* Checks shared by the two sealing calls; the plaintext length in *len. */
static int
seal_check(struct hs_conn *c, const struct iovec *data, unsigned n, size_t *len)
{
	size_t out;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->wr_shut || c->status == HS_STATUS_CLOSED)
		return -EPIPE;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (data == NULL && n != 0)
		return -EINVAL;
	/* What the engine queued (a ticket, a KeyUpdate) goes first. */
	hs_conn_send_buf(c, &out);
	if (out > 0)
		return -EAGAIN;
	*len = iov_total(data, n);
	if (*len == 0 || *len > HS_RECORD_PLAINTEXT_MAX)
		return -EMSGSIZE;
	return 0;
}

int
hs_conn_seal_record(struct hs_conn *c, const struct iovec *data, unsigned n, uint8_t *hdr,
		    uint8_t *trl)
{
	size_t len;
	int rc = seal_check(c, data, n, &len);

	if (rc != 0)
		return rc;
	if (hdr == NULL || trl == NULL)
		return -EINVAL;
	rc = rec_seal(c, HS_CT_APPLICATION_DATA, data, n, len, hdr, NULL, trl);
	return rc < 0 ? hs_fail(c, HS_ERR_INTERNAL) : rc;
}

int
hs_conn_seal_record_copy(struct hs_conn *c, const struct iovec *data, unsigned n,
			 uint8_t *dst, size_t cap)
{
	size_t len, head;
	int rc = seal_check(c, data, n, &len);

	if (rc != 0)
		return rc;
	head = hs_dir_head(&c->wr);
	if (dst == NULL || cap < head + len + hs_dir_tail(&c->wr))
		return -ENOBUFS;
	rc = rec_seal(c, HS_CT_APPLICATION_DATA, data, n, len, dst, dst + head, dst + head + len);
	return rc < 0 ? hs_fail(c, HS_ERR_INTERNAL) : rc;
}

/* ------------------------------------------------------------------ */
/* Application data through the handshake context (the copy path)    */
/* ------------------------------------------------------------------ */

int
hs_conn_app_read(struct hs_conn *c, uint8_t *dst, size_t cap)
{
	struct hs_hctx *hx = c->hx;
	size_t n;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (hx == NULL || !hx->rec_active || hx->rec_type != HS_CT_APPLICATION_DATA)
		return 0;
	n = hx->rec.len - hx->app_off;
	if (n > cap)
		n = cap;
	memcpy(dst, hx->rec.p + hx->app_off, n);
	hx->app_off += n;
	if (hx->app_off == hx->rec.len) {
		record_done(c);
		hs_conn_process(c);
	}
	return (int)n;
}

size_t
hs_conn_app_pending(const struct hs_conn *c)
{
	const struct hs_hctx *hx = c->hx;

	if (c->status == HS_STATUS_FAILED || hx == NULL || !hx->rec_active ||
	    hx->rec_type != HS_CT_APPLICATION_DATA)
		return 0;
	return hx->rec.len - hx->app_off;
}

int
hs_conn_app_write(struct hs_conn *c, const uint8_t *src, size_t len)
{
	size_t done = 0;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (c->wr_shut)
		return -EPIPE;
	if (c->hx == NULL)
		return -ENOBUFS;
	while (done < len) {
		size_t n = len - done;

		if (n > HS_RECORD_PLAINTEXT_MAX)
			n = HS_RECORD_PLAINTEXT_MAX;
		if (HS_CONN_OUT_SIZE - c->hx->out_len < n + HS_CONN_RECORD_OVERHEAD)
			break;
		if (hs_write_record(c, HS_CT_APPLICATION_DATA, src + done, n) != 0)
			return hs_fail(c, HS_ERR_INTERNAL);
		done += n;
	}
	return (int)done;
}

int
hs_conn_close(struct hs_conn *c)
{
	static const uint8_t close_notify[2] = { 1, HS_ALERT_CLOSE_NOTIFY };

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->state != ST_CLOSED && !c->wr_shut &&
	    hs_write_record(c, HS_CT_ALERT, close_notify, 2) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	c->status = HS_STATUS_CLOSED;
	c->state = ST_CLOSED;
	return 0;
}

int
hs_conn_shutdown(struct hs_conn *c)
{
	static const uint8_t close_notify[2] = { 1, HS_ALERT_CLOSE_NOTIFY };

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (c->wr_shut)
		return 0;
	if (hs_write_record(c, HS_CT_ALERT, close_notify, 2) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	c->wr_shut = true;
	if (c->rd_closed) {
		/* Both sides closed now. */
		c->status = HS_STATUS_CLOSED;
		c->state = ST_CLOSED;
	}
	return 0;
}

bool
hs_conn_peer_closed(const struct hs_conn *c)
{
	return c->rd_closed;
}
