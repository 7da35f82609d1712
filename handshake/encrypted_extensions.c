/* SPDX-License-Identifier: BSD-3-Clause */
/* EncryptedExtensions (RFC 8446 4.3.1). */
#include <string.h>

#include "hs_err.h"
#include "messages.h"

int
hs_encrypted_extensions_write(struct hs_writer *w, struct hs_view alpn, bool sni_ack)
{
	struct hs_block_mark msg, exts, e, l, n;

	msg = hs_msg_begin(w, HS_MT_ENCRYPTED_EXTENSIONS);
	exts = hs_writer_block_begin(w, 2);
	if (sni_ack) {
		/* RFC 6066 3: the server's server_name extension is empty. */
		hs_write_u16(w, HS_EXT_SERVER_NAME);
		hs_write_u16(w, 0);
	}
	if (alpn.len > 0) {
		/* RFC 7301 3.1: exactly one ProtocolName in the server's list. */
		hs_write_u16(w, HS_EXT_ALPN);
		e = hs_writer_block_begin(w, 2);
		l = hs_writer_block_begin(w, 2);
		n = hs_writer_block_begin(w, 1);
		hs_write_bytes(w, alpn.p, alpn.len);
		hs_writer_block_end(w, n, 255);
		hs_writer_block_end(w, l, 0xffff);
		hs_writer_block_end(w, e, 0xffff);
	}
	hs_writer_block_end(w, exts, 0xffff);
	return hs_msg_end(w, msg);
}

int
hs_encrypted_extensions_parse(const uint8_t *body, size_t len,
			      struct hs_encrypted_extensions_in *ee)
{
	struct hs_reader r, exts, ext;
	uint16_t seen[64];
	unsigned n_seen = 0;
	int rc;

	memset(ee, 0, sizeof(*ee));
	hs_reader_init(&r, body, len);
	if (hs_reader_block(&r, 2, 0, 0xffff, &exts) != 0 || !hs_reader_done(&r))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	while (hs_reader_left(&exts) > 0) {
		uint16_t type = hs_read_u16(&exts);

		if (hs_reader_block(&exts, 2, 0, 0xffff, &ext) != 0 || n_seen == 64)
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
		/* RFC 8446 4.2: no more than one extension of the same type. */
		for (unsigned i = 0; i < n_seen; i++)
			if (seen[i] == type)
				return HS_ERR_ALERT(HS_ALERT_ILLEGAL_PARAMETER);
		seen[n_seen++] = type;
		switch (type) {
		case HS_EXT_ALPN:
			ee->has_alpn = true;
			rc = hs_alpn_one_parse(&ext, &ee->alpn);
			if (rc != 0)
				return rc;
			break;
		case HS_EXT_SERVER_NAME:
			ee->has_sni = true;     /* empty (RFC 6066 3) */
			break;
		case HS_EXT_EARLY_DATA:
			ee->has_early_data = true;
			break;
		case HS_EXT_SUPPORTED_GROUPS:
			/* RFC 8446 4.2.7: the server's preference, for later; ignored. */
			hs_read_bytes(&ext, ext.len);
			break;
		default:
			if (!ee->has_unknown) {
				ee->has_unknown = true;
				ee->unknown_ext = type;
			}
			hs_read_bytes(&ext, ext.len);
			break;
		}
		if (!hs_reader_done(&ext))
			return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	}
	return 0;
}
