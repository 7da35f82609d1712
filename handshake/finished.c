/* SPDX-License-Identifier: BSD-3-Clause */
/* Finished (RFC 8446 4.4.4, RFC 5246 7.4.9). */
#include "messages.h"

int
hs_finished_write(struct hs_writer *w, const uint8_t *verify_data, size_t len)
{
	struct hs_block_mark msg = hs_msg_begin(w, HS_MT_FINISHED);

	hs_write_bytes(w, verify_data, len);
	return hs_msg_end(w, msg);
}
