/* SPDX-License-Identifier: BSD-3-Clause */
/* TLS record framing and handshake reassembly; contract in record.h. */
#include "record.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "bufpool.h"
#include "hs_err.h"

int
hs_record_parse(const uint8_t *buf, size_t len, size_t max_len,
		struct hs_record *rec)
{
	size_t flen;

	if (len < HS_RECORD_HEADER_LEN) {
		/* Reject a bad type as soon as its byte is there. */
		if (len >= 1 && (buf[0] < HS_CT_CHANGE_CIPHER_SPEC ||
				 buf[0] > HS_CT_APPLICATION_DATA))
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	}
	/*
	 * RFC 8446 5: "If a TLS implementation receives an unexpected record
	 * type, it MUST terminate the connection with an unexpected_message
	 * alert."
	 */
	if (buf[0] < HS_CT_CHANGE_CIPHER_SPEC || buf[0] > HS_CT_APPLICATION_DATA)
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (buf[1] != 3)
		return HS_ERR_ALERT(HS_ALERT_PROTOCOL_VERSION);
	flen = (size_t)buf[3] << 8 | buf[4];
	/*
	 * RFC 8446 5.1/5.2: a record longer than allowed "MUST terminate the
	 * connection with a record_overflow alert".
	 */
	if (flen > max_len)
		return HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW);
	if (len - HS_RECORD_HEADER_LEN < flen)
		return 0;
	rec->type = buf[0];
	rec->version = (uint16_t)(buf[1] << 8 | buf[2]);
	rec->len = (uint16_t)flen;
	rec->frag = buf + HS_RECORD_HEADER_LEN;
	return (int)(HS_RECORD_HEADER_LEN + flen);
}

void
hs_record_header_write(struct hs_writer *w, uint8_t type, uint16_t version,
		       size_t len)
{
	hs_write_u8(w, type);
	hs_write_u16(w, version);
	if (len > 0xffff)
		w->err = true;
	else
		hs_write_u16(w, (uint16_t)len);
}

void
hs_msg_asm_init(struct hs_msg_asm *a, uint8_t *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = a->inl = buf;
	a->cap = a->inl_cap = a->max = cap;
}

void
hs_msg_asm_set_pool(struct hs_msg_asm *a, struct hs_buf_pool *pool, size_t max)
{
	a->pool = pool;
	if (pool != NULL && max > a->inl_cap && max <= hs_buf_pool_buf_size(pool))
		a->max = max;
}

static bool
borrowed(const struct hs_msg_asm *a)
{
	return a->buf != a->inl;
}

/* Back to the inline buffer; the borrowed one goes back wiped. */
static void
give_back(struct hs_msg_asm *a)
{
	if (!borrowed(a))
		return;
	hs_buf_pool_put(a->pool, a->buf, a->hw);
	a->buf = a->inl;
	a->cap = a->inl_cap;
	a->hw = a->inl_hw;
}

void
hs_msg_asm_consumed(struct hs_msg_asm *a)
{
	if (!a->returned_buf)
		return;
	a->have = 0;
	a->returned_buf = false;
	give_back(a);
}

void
hs_msg_asm_release(struct hs_msg_asm *a)
{
	a->have = 0;
	a->returned_buf = false;
	give_back(a);
}

void
hs_msg_asm_wipe(struct hs_msg_asm *a)
{
	/* Back on the inline buffer, hw is its high-water mark (give_back()). */
	hs_msg_asm_release(a);
	OPENSSL_cleanse(a->inl, a->hw > a->inl_hw ? a->hw : a->inl_hw);
	a->inl_hw = a->hw = 0;
}

/*
 * The message being gathered needs @p need bytes, more than the inline
 * buffer: move what is there (its header) into a borrowed buffer.
 */
static int
borrow(struct hs_msg_asm *a, size_t need)
{
	uint8_t *big;

	if (a->pool == NULL || need > a->max)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	big = hs_buf_pool_get(a->pool);
	if (big == NULL)
		return HS_ERR_ALERT(HS_ALERT_INTERNAL_ERROR);
	memcpy(big, a->buf, a->have);
	a->inl_hw = a->hw;
	a->buf = big;
	a->cap = hs_buf_pool_buf_size(a->pool);
	a->hw = a->have;
	return 0;
}

static uint32_t
body_len(const uint8_t *hdr)
{
	return (uint32_t)hdr[1] << 16 | (uint32_t)hdr[2] << 8 | hdr[3];
}

static void
msg_fill(struct hs_msg *msg, const uint8_t *raw)
{
	msg->type = raw[0];
	msg->len = body_len(raw);
	msg->raw = raw;
	msg->body = raw + HS_MSG_HEADER_LEN;
}

int
hs_msg_next(struct hs_msg_asm *a, struct hs_reader *rec, struct hs_msg *msg)
{
	size_t left, need, take;
	const uint8_t *p;

	hs_msg_asm_consumed(a);
	left = hs_reader_left(rec);
	if (rec->err)
		return HS_ERR_INTERNAL;

	/* Fast path: a whole message at the start of the record, nothing gathered. */
	if (a->have == 0 && left >= HS_MSG_HEADER_LEN) {
		p = rec->p + rec->off;
		need = HS_MSG_HEADER_LEN + (size_t)body_len(p);
		if (need > a->max)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		if (left >= need) {
			hs_read_bytes(rec, need);
			msg_fill(msg, p);
			return 1;
		}
	}
	if (left == 0)
		return 0;

	/* Gather: first the header, then the body it announces. */
	if (a->have < HS_MSG_HEADER_LEN) {
		take = HS_MSG_HEADER_LEN - a->have;
		if (take > left)
			take = left;
		if (a->cap < HS_MSG_HEADER_LEN)
			return HS_ERR_INTERNAL;
		memcpy(a->buf + a->have, hs_read_bytes(rec, take), take);
		a->have += take;
		if (a->have > a->hw)
			a->hw = a->have;
		left -= take;
		if (a->have < HS_MSG_HEADER_LEN)
			return 0;
	}
	need = HS_MSG_HEADER_LEN + (size_t)body_len(a->buf);
	if (need > a->cap) {
		int rc = borrow(a, need);

		if (rc != 0)
			return rc;
	}
	take = need - a->have;
	if (take > left)
		take = left;
	if (take > 0)
		memcpy(a->buf + a->have, hs_read_bytes(rec, take), take);
	a->have += take;
	if (a->have > a->hw)
		a->hw = a->have;
	if (a->have < need)
		return 0;
	msg_fill(msg, a->buf);
	a->returned_buf = true;
	return 1;
}

const char *
hs_alert_name(int desc)
{
	static char unknown[4][16];
	static unsigned next;

	switch (desc) {
	case HS_ALERT_CLOSE_NOTIFY: return "close_notify";
	case HS_ALERT_UNEXPECTED_MESSAGE: return "unexpected_message";
	case HS_ALERT_BAD_RECORD_MAC: return "bad_record_mac";
	case HS_ALERT_RECORD_OVERFLOW: return "record_overflow";
	case HS_ALERT_HANDSHAKE_FAILURE: return "handshake_failure";
	case HS_ALERT_BAD_CERTIFICATE: return "bad_certificate";
	case HS_ALERT_UNSUPPORTED_CERTIFICATE: return "unsupported_certificate";
	case HS_ALERT_CERTIFICATE_REVOKED: return "certificate_revoked";
	case HS_ALERT_CERTIFICATE_EXPIRED: return "certificate_expired";
	case HS_ALERT_CERTIFICATE_UNKNOWN: return "certificate_unknown";
	case HS_ALERT_ILLEGAL_PARAMETER: return "illegal_parameter";
	case HS_ALERT_UNKNOWN_CA: return "unknown_ca";
	case HS_ALERT_ACCESS_DENIED: return "access_denied";
	case HS_ALERT_DECODE_ERROR: return "decode_error";
	case HS_ALERT_DECRYPT_ERROR: return "decrypt_error";
	case HS_ALERT_PROTOCOL_VERSION: return "protocol_version";
	case HS_ALERT_INSUFFICIENT_SECURITY: return "insufficient_security";
	case HS_ALERT_INTERNAL_ERROR: return "internal_error";
	case HS_ALERT_INAPPROPRIATE_FALLBACK: return "inappropriate_fallback";
	case HS_ALERT_USER_CANCELED: return "user_canceled";
	case HS_ALERT_NO_RENEGOTIATION: return "no_renegotiation";
	case HS_ALERT_MISSING_EXTENSION: return "missing_extension";
	case HS_ALERT_UNSUPPORTED_EXTENSION: return "unsupported_extension";
	case HS_ALERT_UNRECOGNIZED_NAME: return "unrecognized_name";
	case HS_ALERT_BAD_CERTIFICATE_STATUS_RESPONSE: return "bad_certificate_status_response";
	case HS_ALERT_UNKNOWN_PSK_IDENTITY: return "unknown_psk_identity";
	case HS_ALERT_CERTIFICATE_REQUIRED: return "certificate_required";
	case HS_ALERT_NO_APPLICATION_PROTOCOL: return "no_application_protocol";
	default:
		/* A few rotating buffers: callers use the name right away. */
		next = (next + 1) % 4;
		snprintf(unknown[next], sizeof(unknown[next]), "alert_%d", desc & 0xff);
		return unknown[next];
	}
}
