/* SPDX-License-Identifier: BSD-3-Clause */
/* NewSessionTicket (RFC 8446 4.6.1, RFC 5077 3.3). */
#include <errno.h>

#include <string.h>

#include "hs_err.h"
#include "messages.h"

int
hs_new_session_ticket13_write(struct hs_writer *w, uint32_t lifetime,
			      uint32_t age_add, struct hs_view nonce,
			      struct hs_view ticket)
{
	struct hs_block_mark msg, b;

	/*
	 * RFC 8446 4.6.1: "Servers MUST NOT use any value greater than 604800
	 * seconds (7 days)"; the ticket is opaque ticket<1..2^16-1>.
	 */
	if (lifetime > 604800 || ticket.len == 0)
		return -EINVAL;
	msg = hs_msg_begin(w, HS_MT_NEW_SESSION_TICKET);
	hs_write_uint(w, lifetime, 4);
	hs_write_uint(w, age_add, 4);
	b = hs_writer_block_begin(w, 1);
	hs_write_bytes(w, nonce.p, nonce.len);
	hs_writer_block_end(w, b, 255);
	b = hs_writer_block_begin(w, 2);
	hs_write_bytes(w, ticket.p, ticket.len);
	hs_writer_block_end(w, b, 0xffff);
	hs_write_u16(w, 0);             /* extensions: none (no early_data) */
	return hs_msg_end(w, msg);
}

int
hs_new_session_ticket12_write(struct hs_writer *w, uint32_t lifetime_hint,
			      struct hs_view ticket)
{
	struct hs_block_mark msg, b;

	msg = hs_msg_begin(w, HS_MT_NEW_SESSION_TICKET);
	hs_write_uint(w, lifetime_hint, 4);
	b = hs_writer_block_begin(w, 2);
	hs_write_bytes(w, ticket.p, ticket.len);
	hs_writer_block_end(w, b, 0xffff);
	return hs_msg_end(w, msg);
}

int
hs_new_session_ticket_parse(const uint8_t *body, size_t len, bool tls13,
			    struct hs_new_session_ticket_in *out)
{
	struct hs_reader r, v;

	memset(out, 0, sizeof(*out));
	hs_reader_init(&r, body, len);
	out->lifetime = hs_read_u32(&r);
	if (tls13) {
		out->age_add = hs_read_u32(&r);
		if (hs_reader_block(&r, 1, 0, 255, &v) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		out->nonce = (struct hs_view){ v.p, (uint16_t)v.len };
		/* opaque ticket<1..2^16-1> */
		if (hs_reader_block(&r, 2, 1, 0xffff, &v) != 0)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		out->ticket = (struct hs_view){ v.p, (uint16_t)v.len };
		/* Extension extensions<0..2^16-2> (early_data): not acted on. */
		if (hs_reader_block(&r, 2, 0, 0xfffe, &v) != 0 || !hs_reader_done(&r))
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		/* RFC 8446 4.6.1: "Servers MUST NOT use any value greater than 604800". */
		if (out->lifetime > 604800)
			return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		return 0;
	}
	/* RFC 5077 3.3: opaque ticket<0..2^16-1>; empty: no ticket after all. */
	if (hs_reader_block(&r, 2, 0, 0xffff, &v) != 0 || !hs_reader_done(&r))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	out->ticket = (struct hs_view){ v.p, (uint16_t)v.len };
	return 0;
}
