/* SPDX-License-Identifier: BSD-3-Clause */
/* ClientKeyExchange (RFC 5246 7.4.7, RFC 8422 5.7). */
#include "codec.h"
#include "hs_err.h"
#include "messages.h"

int
hs_client_key_exchange_parse(const uint8_t *body, size_t len, bool rsa,
			     struct hs_view *out)
{
	struct hs_reader r, v;

	hs_reader_init(&r, body, len);
	/*
	 * RSA: opaque EncryptedPreMasterSecret<0..2^16-1> (the SSLv3 form
	 * without the length is not accepted). ECDHE: ECPoint <1..2^8-1>.
	 */
	if (rsa ? hs_reader_block(&r, 2, 0, 0xffff, &v) != 0
		: hs_reader_block(&r, 1, 1, 255, &v) != 0)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	if (!hs_reader_done(&r))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	out->p = v.p;
	out->len = (uint16_t)v.len;
	return 0;
}

int
hs_client_key_exchange_write(struct hs_writer *w, bool rsa, const uint8_t *data,
			     size_t len)
{
	struct hs_block_mark msg = hs_msg_begin(w, HS_MT_CLIENT_KEY_EXCHANGE);
	struct hs_block_mark v = hs_writer_block_begin(w, rsa ? 2 : 1);

	hs_write_bytes(w, data, len);
	hs_writer_block_end(w, v, rsa ? 0xffff : 255);
	return hs_msg_end(w, msg);
}
