/* SPDX-License-Identifier: BSD-3-Clause */
/* CertificateVerify (RFC 8446 4.4.3). */
#include <string.h>

#include "hs_err.h"
#include "messages.h"

static const char cv_server_context[] = "TLS 1.3, server CertificateVerify";

size_t
hs_certificate_verify_content(uint8_t *out, const uint8_t *hash, size_t hash_len)
{
	/*
	 * RFC 8446 4.4.3: 64 octets of 0x20, the context string, a single 0
	 * byte, then the transcript hash.
	 */
	memset(out, 0x20, 64);
	memcpy(out + 64, cv_server_context, sizeof(cv_server_context) - 1);
	out[64 + sizeof(cv_server_context) - 1] = 0;
	memcpy(out + 64 + sizeof(cv_server_context), hash, hash_len);
	return 64 + sizeof(cv_server_context) + hash_len;
}

int
hs_certificate_verify_write(struct hs_writer *w, uint16_t scheme,
			    const uint8_t *sig, size_t sig_len)
{
	struct hs_block_mark msg, s;

	msg = hs_msg_begin(w, HS_MT_CERTIFICATE_VERIFY);
	hs_write_u16(w, scheme);
	s = hs_writer_block_begin(w, 2);
	hs_write_bytes(w, sig, sig_len);
	hs_writer_block_end(w, s, 0xffff);
	return hs_msg_end(w, msg);
}

int
hs_certificate_verify_parse(const uint8_t *body, size_t len, uint16_t *scheme,
			    struct hs_view *sig)
{
	struct hs_reader r, s;

	hs_reader_init(&r, body, len);
	*scheme = hs_read_u16(&r);
	/* opaque signature<0..2^16-1> */
	if (hs_reader_block(&r, 2, 0, 0xffff, &s) != 0 || !hs_reader_done(&r))
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	sig->p = s.p;
	sig->len = (uint16_t)s.len;
	return 0;
}
