/* SPDX-License-Identifier: BSD-3-Clause */
/* ServerKeyExchange and ServerHelloDone (RFC 8422 5.4, RFC 5246 7.4.3, 7.4.5). */
#include <string.h>

#include "hs_err.h"
#include "messages.h"

size_t
hs_ecdh_params_write(uint8_t *out, size_t cap, uint16_t group,
		     const uint8_t *pub, size_t pub_len)
{
	/* ECPoint: opaque point <1..2^8-1>. */
	if (pub_len == 0 || pub_len > 255 || cap < HS_ECDH_PARAMS_LEN(pub_len))
		return 0;
	out[0] = 3;                     /* ECCurveType named_curve */
	out[1] = (uint8_t)(group >> 8);
	out[2] = (uint8_t)group;
	out[3] = (uint8_t)pub_len;
	memcpy(out + 4, pub, pub_len);
	return HS_ECDH_PARAMS_LEN(pub_len);
}

int
hs_server_key_exchange_write(struct hs_writer *w, const uint8_t *params,
			     size_t params_len, uint16_t scheme,
			     const uint8_t *sig, size_t sig_len)
{
	struct hs_block_mark msg, s;

	msg = hs_msg_begin(w, HS_MT_SERVER_KEY_EXCHANGE);
	hs_write_bytes(w, params, params_len);
	hs_write_u16(w, scheme);        /* DigitallySigned.algorithm (TLS 1.2) */
	s = hs_writer_block_begin(w, 2);
	hs_write_bytes(w, sig, sig_len);
	hs_writer_block_end(w, s, 0xffff);
	return hs_msg_end(w, msg);
}

int
hs_server_hello_done_write(struct hs_writer *w)
{
	return hs_msg_end(w, hs_msg_begin(w, HS_MT_SERVER_HELLO_DONE));
}

int
hs_server_key_exchange_parse(const uint8_t *body, size_t len,
			     struct hs_server_key_exchange_in *out)
{
	struct hs_reader r, pt, sig;

	memset(out, 0, sizeof(*out));
	hs_reader_init(&r, body, len);
	/* RFC 8422 5.4: ECCurveType named_curve (3) only. */
	if (hs_read_u8(&r) != 3)
		return r.err ? HS_ERR_ALERT(HS_ALERT_DECODE_ERROR)
			     : HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	out->group = hs_read_u16(&r);
	/* ECPoint: opaque point <1..2^8-1>. */
	if (hs_reader_block(&r, 1, 1, 255, &pt) != 0)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	out->point = (struct hs_view){ pt.p, (uint16_t)pt.len };
	out->params = (struct hs_view){ body, (uint16_t)r.off };
	/* DigitallySigned (TLS 1.2): SignatureAndHashAlgorithm, signature<0..2^16-1>. */
	out->scheme = hs_read_u16(&r);
	if (hs_reader_block(&r, 2, 0, 0xffff, &sig) != 0 || !hs_reader_done(&r))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	out->sig = (struct hs_view){ sig.p, (uint16_t)sig.len };
	return 0;
}
