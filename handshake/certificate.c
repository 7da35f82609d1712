/* SPDX-License-Identifier: BSD-3-Clause */
/* Certificate (RFC 8446 4.4.2, RFC 5246 7.4.2). */
#include <errno.h>

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
