/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a ClientHello after HelloRetryRequest must repeat; contract in
 * client_hello.h. Apart from client_hello.c, which needs nothing from
 * crypto/ (the fuzz target builds it alone).
 */
#include <errno.h>

#include "client_hello.h"
#include "codec.h"
#include "crypto.h"

int
hs_client_hello_retry_digest(const uint8_t *body, size_t len,
			     uint8_t out[HS_CH_RETRY_DIGEST_LEN])
{
	struct hs_reader r, v, exts, ext;
	struct hso_hash h;
	size_t fixed;
	int n;

	/* legacy_version, random, session id, suites, compression: all repeated. */
	hs_reader_init(&r, body, len);
	hs_read_bytes(&r, 2 + 32);
	hs_reader_block(&r, 1, 0, 32, &v);
	hs_reader_block(&r, 2, 2, 0xfffe, &v);
	hs_reader_block(&r, 1, 1, 255, &v);
	if (r.err || hso_hash_init(&h, HSO_HASH_SHA256) != 0)
		return -EIO;
	fixed = r.off;
	hso_hash_update(&h, body, fixed);
	if (hs_reader_left(&r) > 0 && hs_reader_block(&r, 2, 0, 0xffff, &exts) == 0) {
		while (hs_reader_left(&exts) > 0) {
			size_t start = exts.off;
			uint16_t type = hs_read_u16(&exts);

			if (hs_reader_block(&exts, 2, 0, 0xffff, &ext) != 0)
				break;
			/*
			 * RFC 8446 4.1.2: a new key_share list, early_data removed,
			 * a cookie added, pre_shared_key updated, padding changed.
			 */
			if (type == HS_EXT_KEY_SHARE || type == HS_EXT_EARLY_DATA ||
			    type == HS_EXT_COOKIE || type == HS_EXT_PRE_SHARED_KEY ||
			    type == HS_EXT_PADDING)
				continue;
			hso_hash_update(&h, exts.p + start, exts.off - start);
		}
	}
	n = hso_hash_final(&h, out);
	hso_hash_wipe(&h);
	return n == HS_CH_RETRY_DIGEST_LEN ? 0 : -EIO;
}
