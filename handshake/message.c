/* SPDX-License-Identifier: BSD-3-Clause */
/* Handshake message framing shared by the per-message files. */
#include <errno.h>

#include "messages.h"

struct hs_block_mark
hs_msg_begin(struct hs_writer *w, uint8_t type)
{
	hs_write_u8(w, type);
	return hs_writer_block_begin(w, 3);
}

int
hs_msg_end(struct hs_writer *w, struct hs_block_mark m)
{
	hs_writer_block_end(w, m, 0xffffff);
	return w->err ? -ENOBUFS : 0;
}
