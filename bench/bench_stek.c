/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session-ticket seal/open per second (crypto/stek.c), for a TLS 1.3
 * resumption state of typical size (arg: state bytes). Seal includes the
 * RAND_bytes nonce; open looks the key up by name among current + 2
 * previous keys, the ticket being sealed by the oldest (the worst case).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "crypto.h"

static void
bm_stek(struct hso_bench *b, int open)
{
	struct hso_stek_config cfg = { .lifetime = 10, .grace = 100, .n_prev = 2 };
	size_t len = (size_t)hso_bench_arg(b);
	struct hso_stek_set *s = hso_stek_set_create(&cfg, 0);
	uint8_t *state = calloc(1, len + 1), *t = malloc(len + HSO_STEK_OVERHEAD);
	uint8_t *out = malloc(len + 1);
	int tl, ok = 1;
	int64_t n = 0;

	if (s == NULL || state == NULL || t == NULL || out == NULL) {
		hso_bench_fail(b, "setup failed");
		goto out;
	}
	memset(state, 0x5a, len);
	tl = hso_stek_seal(s, state, len, t, len + HSO_STEK_OVERHEAD);
	/* Two rotations: the ticket's key is now the oldest of three. */
	hso_stek_set_rotate(s, 10);
	hso_stek_set_rotate(s, 20);
	while (hso_bench_keep_running(b)) {
		if (open)
			ok &= hso_stek_open(s, t, (size_t)tl, out, len + 1,
					    NULL) == (int)len;
		else
			ok &= hso_stek_seal(s, state, len, t,
					    len + HSO_STEK_OVERHEAD) == tl;
		hso_bench_escape(t);
		hso_bench_escape(out);
		n++;
	}
	if (!ok)
		hso_bench_fail(b, "seal or open failed");
	hso_bench_set_items(b, n);
out:
	hso_stek_set_free(s);
	free(state);
	free(t);
	free(out);
}

static void
bm_stek_seal(struct hso_bench *b)
{
	bm_stek(b, 0);
}
HSO_BENCH_ARGS(bm_stek_seal, "stek/seal", 128, 1024)

static void
bm_stek_open(struct hso_bench *b)
{
	bm_stek(b, 1);
}
HSO_BENCH_ARGS(bm_stek_open, "stek/open", 128, 1024)
