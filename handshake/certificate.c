/* SPDX-License-Identifier: BSD-3-Clause */
/* Certificate (RFC 8446 4.4.2, RFC 5246 7.4.2). */
#include <errno.h>

#include <string.h>

#include "hs_err.h"
#include "messages.h"

static int
write_chain(struct hs_writer *w, const struct hs_cert_chain *chain, bool tls13)
{
	struct hs_block_mark msg, list, c;

	if (chain == NULL || chain->n == 0)
		return -EINVAL;
	msg = hs_msg_begin(w, HS_MT_CERTIFICATE);
	if (tls13)
		hs_write_u8(w, 0);      /* certificate_request_context: empty */
	list = hs_writer_block_begin(w, 3);
	for (unsigned i = 0; i < chain->n; i++) {
		/* opaque cert_data<1..2^24-1> */
		if (chain->len[i] == 0)
			return -EINVAL;
		c = hs_writer_block_begin(w, 3);
		hs_write_bytes(w, chain->der[i], chain->len[i]);
		hs_writer_block_end(w, c, 0xffffff);
		if (tls13)
			hs_write_u16(w, 0);     /* Extension extensions<0..2^16-1> */
	}
	hs_writer_block_end(w, list, 0xffffff);
	return hs_msg_end(w, msg);
}

int
hs_certificate13_write(struct hs_writer *w, const struct hs_cert_chain *chain)
{
	return write_chain(w, chain, true);
}

int
hs_certificate12_write(struct hs_writer *w, const struct hs_cert_chain *chain)
{
	return write_chain(w, chain, false);
}

int
hs_certificate_empty_write(struct hs_writer *w, bool tls13)
{
	struct hs_block_mark msg = hs_msg_begin(w, HS_MT_CERTIFICATE);

	if (tls13)
		hs_write_u8(w, 0);      /* certificate_request_context (handshake: empty) */
	hs_write_u24(w, 0);             /* certificate_list: empty */
	return hs_msg_end(w, msg);
}

int
hs_certificate_parse(const uint8_t *body, size_t len, bool tls13,
		     struct hs_certificate_in *out)
{
	struct hs_reader r, ctx, list, c, ext;

	memset(out, 0, sizeof(*out));
	hs_reader_init(&r, body, len);
	if (tls13) {
		/* RFC 8446 4.4.2: in the handshake the context is empty. */
		if (hs_reader_block(&r, 1, 0, 255, &ctx) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		if (ctx.len != 0)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
	}
	if (hs_reader_block(&r, 3, 0, 0xffffff, &list) != 0 || !hs_reader_done(&r))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	while (hs_reader_left(&list) > 0) {
		/* opaque cert_data<1..2^24-1> */
		if (hs_reader_block(&list, 3, 1, 0xffffff, &c) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		/* Extension extensions<0..2^16-1> per entry (OCSP, SCT): skipped. */
		if (tls13 && hs_reader_block(&list, 2, 0, 0xffff, &ext) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		if (out->n < sizeof(out->der) / sizeof(out->der[0])) {
			out->der[out->n] = c.p;
			out->len[out->n] = c.len;
			out->n++;
		}
		out->n_total++;
	}
	/*
	 * RFC 8446 4.4.2.4: "If the server supplies an empty Certificate
	 * message, the client MUST abort the handshake with a "decode_error"
	 * alert."
	 */
	if (out->n_total == 0)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	return 0;
}

int
hs_certificate_request_parse(const uint8_t *body, size_t len, bool tls13)
{
	struct hs_reader r, v;

	hs_reader_init(&r, body, len);
	if (tls13) {
		/* context<0..255> (empty in the handshake), extensions<2..2^16-1>. */
		if (hs_reader_block(&r, 1, 0, 255, &v) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		if (v.len != 0)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		if (hs_reader_block(&r, 2, 2, 0xffff, &v) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	} else {
		/* certificate_types<1..2^8-1>, signature algorithms<2..2^16-2>, CAs. */
		if (hs_reader_block(&r, 1, 1, 255, &v) != 0 ||
		    hs_reader_block(&r, 2, 2, 0xfffe, &v) != 0 ||
		    hs_reader_block(&r, 2, 0, 0xffff, &v) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	}
	return hs_reader_done(&r) ? 0 : HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
}
