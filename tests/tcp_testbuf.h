/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_TESTS_TCP_TESTBUF_H
#define HSO_TESTS_TCP_TESTBUF_H

/*
 * Buffers for the TCP core's tests (tcp.h struct tcp_buf_ops): malloc'd
 * like a 2 KiB mbuf, counted, so a test can check that TCP gave back every
 * buffer it was handed (testbuf_live == 0 after tcp_tbl_free()), and that
 * none was given back twice (a released buffer is poisoned and freed).
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

#define TESTBUF_ROOM 2048u

struct testbuf {
	struct tcp_buf b;
	uint32_t magic;
	uint8_t room[TESTBUF_ROOM];
};

#define TESTBUF_MAGIC 0x7e57b0ffu

static long testbuf_live;       /* handed out and not yet released */
static long testbuf_fail;       /* the next this many allocs fail */

static struct tcp_buf *
testbuf_alloc(void *ctx, uint32_t len)
{
	struct testbuf *x;

	(void)ctx;
	(void)len;
	if (testbuf_fail > 0) {
		testbuf_fail--;
		return NULL;
	}
	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return NULL;
	x->magic = TESTBUF_MAGIC;
	x->b.data = x->room;
	x->b.cap = TESTBUF_ROOM;
	testbuf_live++;
	return &x->b;
}

static void
testbuf_release(void *ctx, struct tcp_buf *b)
{
	struct testbuf *x = (struct testbuf *)b;

	(void)ctx;
	if (x->magic != TESTBUF_MAGIC) {
		fprintf(stderr, "testbuf: a buffer released twice or never handed out\n");
		abort();
	}
	x->magic = 0;
	testbuf_live--;
	free(x);
}

/* A received segment's payload in a buffer of its own, as a driver would hand it. */
static inline struct tcp_buf *
testbuf_with(const void *data, uint32_t len, const uint8_t **payload)
{
	long fail = testbuf_fail;       /* a driver's buffer is not TCP's alloc */
	struct tcp_buf *b;

	testbuf_fail = 0;
	b = testbuf_alloc(NULL, len);
	testbuf_fail = fail;
	if (b == NULL || len > TESTBUF_ROOM)
		abort();
	memcpy(b->data, data, len);
	*payload = b->data;
	return b;
}

static const struct tcp_buf_ops testbuf_ops = {
	.alloc = testbuf_alloc,
	.release = testbuf_release,
};

/* The payload of an output segment, gathered from its pieces. */
static inline uint32_t
testbuf_seg_data(const struct tcp_seg_out *o, uint8_t *dst)
{
	uint32_t off = 0;

	for (unsigned i = 0; i < o->n_pieces; i++) {
		memcpy(dst + off, o->piece[i].data, o->piece[i].len);
		off += o->piece[i].len;
	}
	return off;
}

#endif
