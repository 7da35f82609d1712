/* SPDX-License-Identifier: BSD-3-Clause */
/* NewSessionTicket (RFC 8446 4.6.1, RFC 5077 3.3). */
#include <errno.h>

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
