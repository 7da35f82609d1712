/* SPDX-License-Identifier: BSD-3-Clause */
/* ServerHello and HelloRetryRequest (RFC 8446 4.1.3-4.1.4, RFC 5246 7.4.1.3). */
#include <errno.h>
#include <string.h>

#include "hs_err.h"
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

/* ------------------------------------------------------------------ */
/* Decoding, for the client                                           */
/* ------------------------------------------------------------------ */

#define DECODE_ERROR HS_ERR_ALERT(HS_ALERT_DECODE_ERROR)

/* Bits of the extensions seen, for RFC 8446 4.2's "no more than one". */
static int
seen_once(uint32_t *seen, uint16_t type)
{
	static const uint16_t known[] = {
		HS_EXT_SERVER_NAME, HS_EXT_EC_POINT_FORMATS, HS_EXT_ALPN,
		HS_EXT_EXTENDED_MASTER_SECRET, HS_EXT_SESSION_TICKET,
		HS_EXT_PRE_SHARED_KEY, HS_EXT_SUPPORTED_VERSIONS, HS_EXT_COOKIE,
		HS_EXT_KEY_SHARE, HS_EXT_RENEGOTIATION_INFO, HS_EXT_SUPPORTED_GROUPS,
		HS_EXT_EARLY_DATA,
	};

	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i] == type) {
			if (*seen & (1u << i))
				return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
			*seen |= 1u << i;
			return 0;
		}
	}
	return 0;
}

/* RFC 7301 3.1: the server's ProtocolNameList holds exactly one name. */
int
hs_alpn_one_parse(struct hs_reader *ext, struct hs_view *proto)
{
	struct hs_reader l, n;

	if (hs_reader_block(ext, 2, 2, 0xffff, &l) != 0 ||
	    hs_reader_block(&l, 1, 1, 255, &n) != 0 || !hs_reader_done(&l))
		return DECODE_ERROR;
	proto->p = n.p;
	proto->len = (uint16_t)n.len;
	return 0;
}

int
hs_server_hello_parse(const uint8_t *body, size_t len, struct hs_server_hello_in *sh)
{
	struct hs_reader r, v, exts, ext;
	uint32_t seen = 0;
	int rc;

	memset(sh, 0, sizeof(*sh));
	hs_reader_init(&r, body, len);
	sh->legacy_version = hs_read_u16(&r);
	sh->random = hs_read_bytes(&r, 32);
	if (hs_reader_block(&r, 1, 0, 32, &v) != 0)
		return DECODE_ERROR;
	sh->session_id = (struct hs_view){ v.p, (uint16_t)v.len };
	sh->suite = hs_read_u16(&r);
	sh->compression = hs_read_u8(&r);
	if (r.err)
		return DECODE_ERROR;
	sh->hrr = memcmp(sh->random, hs_hrr_random, 32) == 0;
	/* TLS 1.2 (RFC 5246 7.4.1.3): the extensions block may be absent. */
	if (hs_reader_left(&r) == 0)
		return 0;
	if (hs_reader_block(&r, 2, 0, 0xffff, &exts) != 0 || !hs_reader_done(&r))
		return DECODE_ERROR;
	while (hs_reader_left(&exts) > 0) {
		uint16_t type = hs_read_u16(&exts);

		if (hs_reader_block(&exts, 2, 0, 0xffff, &ext) != 0)
			return DECODE_ERROR;
		rc = seen_once(&seen, type);
		if (rc != 0)
			return rc;
		switch (type) {
		case HS_EXT_SUPPORTED_VERSIONS:
			sh->has_versions = true;
			sh->selected_version = hs_read_u16(&ext);
			break;
		case HS_EXT_KEY_SHARE:
			sh->has_key_share = true;
			sh->ks_group = hs_read_u16(&ext);
			if (!sh->hrr) {
				/* KeyShareEntry: opaque key_exchange<1..2^16-1>. */
				if (hs_reader_block(&ext, 2, 1, 0xffff, &v) != 0)
					return DECODE_ERROR;
				sh->ks_key = (struct hs_view){ v.p, (uint16_t)v.len };
			}
			break;
		case HS_EXT_PRE_SHARED_KEY:
			sh->has_psk = true;
			sh->psk_identity = hs_read_u16(&ext);
			break;
		case HS_EXT_COOKIE:
			sh->has_cookie = true;
			if (hs_reader_block(&ext, 2, 1, 0xffff, &v) != 0)
				return DECODE_ERROR;
			sh->cookie = (struct hs_view){ v.p, (uint16_t)v.len };
			break;
		case HS_EXT_EXTENDED_MASTER_SECRET:
			sh->has_ems = true;     /* empty (RFC 7627 5.1) */
			break;
		case HS_EXT_SESSION_TICKET:
			sh->has_ticket = true;  /* empty (RFC 5077 3.2) */
			break;
		case HS_EXT_SERVER_NAME:
			sh->has_sni = true;     /* empty (RFC 6066 3) */
			break;
		case HS_EXT_RENEGOTIATION_INFO:
			sh->has_reneg_info = true;
			if (hs_reader_block(&ext, 1, 0, 255, &v) != 0)
				return DECODE_ERROR;
			sh->reneg_info = (struct hs_view){ v.p, (uint16_t)v.len };
			break;
		case HS_EXT_EC_POINT_FORMATS:
			sh->has_ec_point_formats = true;
			if (hs_reader_block(&ext, 1, 1, 255, &v) != 0)
				return DECODE_ERROR;
			sh->uncompressed_points = memchr(v.p, 0, v.len) != NULL;
			break;
		case HS_EXT_ALPN:
			sh->has_alpn = true;
			rc = hs_alpn_one_parse(&ext, &sh->alpn);
			if (rc != 0)
				return rc;
			break;
		default:
			/* Not one hso offers: the caller answers unsupported_extension. */
			if (!sh->has_unknown) {
				sh->has_unknown = true;
				sh->unknown_ext = type;
			}
			hs_read_bytes(&ext, ext.len);
			break;
		}
		if (!hs_reader_done(&ext))
			return DECODE_ERROR;
	}
	return 0;
}
