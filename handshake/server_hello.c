/* SPDX-License-Identifier: BSD-3-Clause */
/* ServerHello and HelloRetryRequest (RFC 8446 4.1.3-4.1.4, RFC 5246 7.4.1.3). */
#include <errno.h>
#include <string.h>

#include "messages.h"
#include "negotiate.h"

const uint8_t hs_hrr_random[32] = {
	0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02,
	0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e,
	0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
};

/* "DOWNGRD" 01: RFC 8446 4.1.3. */
const uint8_t hs_downgrade_tls12[8] = { 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01 };

static void
ext_begin(struct hs_writer *w, uint16_t type, struct hs_block_mark *m)
{
	hs_write_u16(w, type);
	*m = hs_writer_block_begin(w, 2);
}

static void
write_head(struct hs_writer *w, const uint8_t *random, bool sentinel,
	   struct hs_view sid, uint16_t suite)
{
	hs_write_u16(w, 0x0303);        /* legacy_version / server_version */
	if (sentinel) {
		hs_write_bytes(w, random, 24);
		hs_write_bytes(w, hs_downgrade_tls12, 8);
	} else {
		hs_write_bytes(w, random, 32);
	}
	hs_write_u8(w, (uint8_t)sid.len);
	hs_write_bytes(w, sid.p, sid.len);
	hs_write_u16(w, suite);
	hs_write_u8(w, 0);              /* compression: null */
}

int
hs_server_hello_write(struct hs_writer *w, const struct hs_server_hello *sh)
{
	struct hs_block_mark msg, exts, e;
	size_t exts_at;

	if (sh->random == NULL || sh->session_id.len > 32 ||
	    (sh->version != HS_TLS12 && sh->version != HS_TLS13))
		return -EINVAL;
	msg = hs_msg_begin(w, HS_MT_SERVER_HELLO);
	write_head(w, sh->random, sh->version == HS_TLS12 && sh->downgrade_sentinel,
		   sh->session_id, sh->suite);
	exts = hs_writer_block_begin(w, 2);
	exts_at = w->off;
	if (sh->version == HS_TLS13) {
		ext_begin(w, HS_EXT_SUPPORTED_VERSIONS, &e);
		hs_write_u16(w, HS_TLS13);
		hs_writer_block_end(w, e, 2);
		if (!sh->key_share_omitted) {
			ext_begin(w, HS_EXT_KEY_SHARE, &e);
			hs_write_u16(w, sh->group);
			{
				struct hs_block_mark k = hs_writer_block_begin(w, 2);

				hs_write_bytes(w, sh->key_share.p, sh->key_share.len);
				hs_writer_block_end(w, k, 0xffff);
			}
			hs_writer_block_end(w, e, 0xffff);
		}
		if (sh->psk) {
			ext_begin(w, HS_EXT_PRE_SHARED_KEY, &e);
			hs_write_u16(w, sh->psk_identity);
			hs_writer_block_end(w, e, 2);
		}
	} else {
		if (sh->reneg_info) {
			/* RFC 5746 3.6: empty renegotiated_connection on the first handshake. */
			ext_begin(w, HS_EXT_RENEGOTIATION_INFO, &e);
			hs_write_u8(w, 0);
			hs_writer_block_end(w, e, 1);
		}
		if (sh->ems) {
			ext_begin(w, HS_EXT_EXTENDED_MASTER_SECRET, &e);
			hs_writer_block_end(w, e, 0);
		}
		if (sh->ticket) {
			ext_begin(w, HS_EXT_SESSION_TICKET, &e);
			hs_writer_block_end(w, e, 0);
		}
		if (sh->ec_point_formats) {
			ext_begin(w, HS_EXT_EC_POINT_FORMATS, &e);
			hs_write_u8(w, 1);
			hs_write_u8(w, 0);      /* uncompressed */
			hs_writer_block_end(w, e, 2);
		}
		if (sh->alpn.len > 0) {
			struct hs_block_mark l, n;

			ext_begin(w, HS_EXT_ALPN, &e);
			l = hs_writer_block_begin(w, 2);
			n = hs_writer_block_begin(w, 1);
			hs_write_bytes(w, sh->alpn.p, sh->alpn.len);
			hs_writer_block_end(w, n, 255);
			hs_writer_block_end(w, l, 0xffff);
			hs_writer_block_end(w, e, 0xffff);
		}
	}
	/* A TLS 1.2 ServerHello with no extension omits the block entirely. */
	if (sh->version == HS_TLS12 && w->off == exts_at && !w->err)
		w->off -= 2;
	else
		hs_writer_block_end(w, exts, 0xffff);
	return hs_msg_end(w, msg);
}

int
hs_hello_retry_request_write(struct hs_writer *w, struct hs_view session_id,
			     uint16_t suite, uint16_t group, struct hs_view cookie)
{
	struct hs_block_mark msg, exts, e;

	if (session_id.len > 32)
		return -EINVAL;
	msg = hs_msg_begin(w, HS_MT_SERVER_HELLO);
	write_head(w, hs_hrr_random, false, session_id, suite);
	exts = hs_writer_block_begin(w, 2);
	ext_begin(w, HS_EXT_SUPPORTED_VERSIONS, &e);
	hs_write_u16(w, HS_TLS13);
	hs_writer_block_end(w, e, 2);
	ext_begin(w, HS_EXT_KEY_SHARE, &e);
	hs_write_u16(w, group);                 /* selected_group */
	hs_writer_block_end(w, e, 2);
	if (cookie.len > 0) {
		struct hs_block_mark c;

		ext_begin(w, HS_EXT_COOKIE, &e);
		c = hs_writer_block_begin(w, 2);
		hs_write_bytes(w, cookie.p, cookie.len);
		hs_writer_block_end(w, c, 0xffff);
		hs_writer_block_end(w, e, 0xffff);
	}
	hs_writer_block_end(w, exts, 0xffff);
	return hs_msg_end(w, msg);
}
