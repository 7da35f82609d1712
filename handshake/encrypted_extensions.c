/* SPDX-License-Identifier: BSD-3-Clause */
/* EncryptedExtensions (RFC 8446 4.3.1). */
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
