/* SPDX-License-Identifier: BSD-3-Clause */
/* handshake/codec: readers cannot run past their end; writers back-patch. */
#include "check.h"
#include "codec.h"

static void
test_read_ints(void)
{
	static const uint8_t b[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a };
	struct hs_reader r;

	hs_reader_init(&r, b, sizeof(b));
	CHECK_EQ(hs_read_u8(&r), 0x01);
	CHECK_EQ(hs_read_u16(&r), 0x0203);
	CHECK_EQ(hs_read_u24(&r), 0x040506);
	CHECK_EQ(hs_read_u32(&r), 0x0708090a);
	CHECK(hs_reader_done(&r));
	/* One byte past the end: zero, sticky error, and no longer "done". */
	CHECK_EQ(hs_read_u8(&r), 0);
	CHECK(r.err);
	CHECK(!hs_reader_done(&r));
	CHECK_EQ(hs_reader_left(&r), 0);

	/* A short read does not consume and poisons later good reads. */
	hs_reader_init(&r, b, 3);
	CHECK_EQ(hs_read_u32(&r), 0);
	CHECK(r.err);
	CHECK_EQ(hs_read_u8(&r), 0);
	CHECK(hs_read_bytes(&r, 0) == NULL);
}

static void
test_read_bytes(void)
{
	static const uint8_t b[] = { 1, 2, 3 };
	struct hs_reader r;
	const uint8_t *p;

	hs_reader_init(&r, b, sizeof(b));
	p = hs_read_bytes(&r, 0);
	CHECK(p == b && !r.err);
	p = hs_read_bytes(&r, 2);
	CHECK(p == b);
	CHECK(hs_read_bytes(&r, 2) == NULL);
	CHECK(r.err);

	/* A huge n must not wrap the bounds check. */
	hs_reader_init(&r, b, sizeof(b));
	hs_read_u8(&r);
	CHECK(hs_read_bytes(&r, SIZE_MAX) == NULL);
	CHECK(r.err);

	hs_reader_init(&r, NULL, 0);
	CHECK(hs_reader_done(&r));
	CHECK(hs_read_bytes(&r, 1) == NULL);
}

static void
test_blocks(void)
{
	/* u16 list of two u8<1..255> vectors, then a trailing u8. */
	static const uint8_t ok[] = { 0x00, 0x05, 0x01, 0xaa, 0x02, 0xbb, 0xcc, 0x7f };
	static const uint8_t overlong[] = { 0x00, 0x09, 0x01, 0xaa };
	static const uint8_t inner_overlong[] = { 0x00, 0x02, 0x05, 0xaa };
	struct hs_reader r, list, v;
	const uint8_t *p;

	hs_reader_init(&r, ok, sizeof(ok));
	CHECK_EQ(hs_reader_block(&r, 2, 2, 0xfffe, &list), 0);
	CHECK_EQ(hs_reader_block(&list, 1, 1, 255, &v), 0);
	p = hs_read_bytes(&v, 1);
	CHECK(p != NULL && p[0] == 0xaa);
	CHECK(hs_reader_done(&v));
	CHECK_EQ(hs_reader_block(&list, 1, 1, 255, &v), 0);
	CHECK_EQ(hs_reader_left(&v), 2);
	CHECK(!hs_reader_done(&v));           /* not consumed: trailing data */
	CHECK(hs_reader_done(&list));
	CHECK_EQ(hs_read_u8(&r), 0x7f);
	CHECK(hs_reader_done(&r));

	/* Declared length past the end of the parent. */
	hs_reader_init(&r, overlong, sizeof(overlong));
	CHECK_EQ(hs_reader_block(&r, 2, 0, 0xffff, &list), -1);
	CHECK(r.err && list.err);
	CHECK_EQ(hs_reader_left(&list), 0);

	/* Inner vector runs past its enclosing block, though not past the buffer. */
	hs_reader_init(&r, inner_overlong, sizeof(inner_overlong));
	CHECK_EQ(hs_reader_block(&r, 2, 0, 0xffff, &list), 0);
	CHECK_EQ(hs_reader_block(&list, 1, 0, 255, &v), -1);
	CHECK(list.err);
	CHECK(!r.err);

	/* Length outside the vector's declared floor and ceiling. */
	hs_reader_init(&r, ok, sizeof(ok));
	CHECK_EQ(hs_reader_block(&r, 2, 6, 0xffff, &list), -1);
	hs_reader_init(&r, ok, sizeof(ok));
	CHECK_EQ(hs_reader_block(&r, 2, 0, 4, &list), -1);

	/* Empty vector where one is allowed. */
	{
		static const uint8_t empty[] = { 0x00 };

		hs_reader_init(&r, empty, sizeof(empty));
		CHECK_EQ(hs_reader_block(&r, 1, 0, 255, &v), 0);
		CHECK(hs_reader_done(&v) && hs_reader_done(&r));
		hs_reader_init(&r, empty, sizeof(empty));
		CHECK_EQ(hs_reader_block(&r, 1, 1, 255, &v), -1);
	}
	/* Bad width. */
	hs_reader_init(&r, ok, sizeof(ok));
	CHECK_EQ(hs_reader_block(&r, 4, 0, 10, &v), -1);
}

static void
test_writer(void)
{
	uint8_t buf[16];
	struct hs_writer w;
	struct hs_block_mark outer, inner;
	static const uint8_t want[] = { 0x00, 0x06, 0x03, 0xaa, 0xbb, 0xcc, 0x12, 0x34 };

	hs_writer_init(&w, buf, sizeof(buf));
	outer = hs_writer_block_begin(&w, 2);
	inner = hs_writer_block_begin(&w, 1);
	hs_write_bytes(&w, "\xaa\xbb\xcc", 3);
	hs_writer_block_end(&w, inner, 255);
	hs_write_u16(&w, 0x1234);
	hs_writer_block_end(&w, outer, 0xffff);
	CHECK(!w.err);
	CHECK_EQ(w.off, sizeof(want));
	CHECK_MEM(buf, want, sizeof(want));

	/* Round trip through the reader. */
	{
		struct hs_reader r, a, b;

		hs_reader_init(&r, buf, w.off);
		hs_reader_block(&r, 2, 0, 0xffff, &a);
		hs_reader_block(&a, 1, 0, 255, &b);
		CHECK_EQ(hs_reader_left(&b), 3);
		hs_read_bytes(&b, 3);
		CHECK_EQ(hs_read_u16(&a), 0x1234);
		CHECK(hs_reader_done(&a) && hs_reader_done(&b) && hs_reader_done(&r));
	}

	/* Overflow is sticky and nothing is written past cap. */
	hs_writer_init(&w, buf, 4);
	hs_write_u24(&w, 0x010203);
	hs_write_u16(&w, 0xffff);
	CHECK(w.err);
	CHECK_EQ(w.off, 3);
	hs_write_u8(&w, 1);
	CHECK_EQ(w.off, 3);
	CHECK(hs_write_reserve(&w, 0) == NULL);

	/* Contents larger than the declared maximum or the prefix can hold. */
	hs_writer_init(&w, buf, sizeof(buf));
	inner = hs_writer_block_begin(&w, 1);
	hs_write_bytes(&w, "abcd", 4);
	hs_writer_block_end(&w, inner, 3);
	CHECK(w.err);

	{
		static uint8_t big[300];

		hs_writer_init(&w, big, sizeof(big));
		inner = hs_writer_block_begin(&w, 1);
		hs_write_reserve(&w, 256);
		hs_writer_block_end(&w, inner, 1000);
		CHECK(w.err);
	}
	/* u24 prefix back-patch. */
	{
		static uint8_t big[70000];
		struct hs_reader r, sub;

		hs_writer_init(&w, big, sizeof(big));
		outer = hs_writer_block_begin(&w, 3);
		hs_write_reserve(&w, 65536 + 7);
		hs_writer_block_end(&w, outer, 0xffffff);
		CHECK(!w.err);
		hs_reader_init(&r, big, w.off);
		CHECK_EQ(hs_reader_block(&r, 3, 0, 0xffffff, &sub), 0);
		CHECK_EQ(hs_reader_left(&sub), 65536 + 7);
	}
}

int
main(void)
{
	test_read_ints();
	test_read_bytes();
	test_blocks();
	test_writer();
	return check_result("codec");
}
