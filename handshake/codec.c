/* SPDX-License-Identifier: BSD-3-Clause */
/* Bounds-checked TLS wire cursors; the contract is in codec.h. */
#include "codec.h"

#include <string.h>

/* The largest value a length prefix of @p width bytes encodes. */
static size_t
width_max(unsigned width)
{
	return width >= 3 ? 0xffffffu >> (8 * (3 - width)) : (1u << (8 * width)) - 1;
}

uint32_t
hs_read_uint(struct hs_reader *r, unsigned width)
{
	uint32_t v = 0;

	if (r->err || width == 0 || width > 4 || r->len - r->off < width) {
		r->err = true;
		return 0;
	}
	for (unsigned i = 0; i < width; i++)
		v = (v << 8) | r->p[r->off + i];
	r->off += width;
	return v;
}

const uint8_t *
hs_read_bytes(struct hs_reader *r, size_t n)
{
	const uint8_t *at;

	if (r->err || r->len - r->off < n) {
		r->err = true;
		return NULL;
	}
	at = r->p + r->off;
	r->off += n;
	return at;
}

int
hs_reader_block(struct hs_reader *r, unsigned width, size_t min, size_t max,
		struct hs_reader *sub)
{
	size_t n;
	const uint8_t *at;

	hs_reader_init(sub, NULL, 0);
	if (width == 0 || width > 3) {
		r->err = true;
	} else {
		n = hs_read_uint(r, width);
		if (!r->err && (n < min || n > max))
			r->err = true;
		else if ((at = hs_read_bytes(r, n)) != NULL)
			hs_reader_init(sub, at, n);
	}
	if (r->err) {
		sub->err = true;
		return -1;
	}
	return 0;
}

uint8_t *
hs_write_reserve(struct hs_writer *w, size_t n)
{
	uint8_t *at;

	if (w->err || w->cap - w->off < n) {
		w->err = true;
		return NULL;
	}
	at = w->p + w->off;
	w->off += n;
	return at;
}

void
hs_write_uint(struct hs_writer *w, uint32_t v, unsigned width)
{
	uint8_t *at;

	if (width == 0 || width > 4) {
		w->err = true;
		return;
	}
	if ((at = hs_write_reserve(w, width)) == NULL)
		return;
	for (unsigned i = width; i > 0; i--) {
		at[i - 1] = (uint8_t)v;
		v >>= 8;
	}
}

void
hs_write_bytes(struct hs_writer *w, const void *src, size_t n)
{
	uint8_t *at = hs_write_reserve(w, n);

	if (at != NULL && n != 0)
		memcpy(at, src, n);
}

struct hs_block_mark
hs_writer_block_begin(struct hs_writer *w, unsigned width)
{
	struct hs_block_mark m = { .at = w->off, .width = (uint8_t)width };

	if (width == 0 || width > 3)
		w->err = true;
	else
		hs_write_uint(w, 0, width);
	return m;
}

void
hs_writer_block_end(struct hs_writer *w, struct hs_block_mark m, size_t max)
{
	size_t n;

	if (w->err)
		return;
	n = w->off - m.at - m.width;
	if (n > max || n > width_max(m.width)) {
		w->err = true;
		return;
	}
	for (unsigned i = m.width; i > 0; i--) {
		w->p[m.at + i - 1] = (uint8_t)n;
		n >>= 8;
	}
}
