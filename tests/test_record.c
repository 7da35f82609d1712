/* SPDX-License-Identifier: BSD-3-Clause */
/* handshake/record: record framing and handshake message reassembly. */
#include <stdlib.h>

#include "check.h"
#include "hs_err.h"
#include "record.h"

static void
test_record_parse(void)
{
	uint8_t b[5 + 300] = { 22, 3, 1, 0x01, 0x2c };
	struct hs_record rec;

	/* Whole record: header + 300. */
	CHECK_EQ(hs_record_parse(b, sizeof(b), HS_RECORD_PLAINTEXT_MAX, &rec), 305);
	CHECK_EQ(rec.type, HS_CT_HANDSHAKE);
	CHECK_EQ(rec.version, 0x0301);
	CHECK_EQ(rec.len, 300);
	CHECK(rec.frag == b + 5);
	/* Partial: header only, header in pieces, nothing. */
	for (size_t n = 0; n < sizeof(b); n++)
		CHECK_EQ(hs_record_parse(b, n, HS_RECORD_PLAINTEXT_MAX, &rec), 0);
	/* Too long for this state: refused on the header alone. */
	CHECK_EQ(hs_record_parse(b, 5, 299, &rec), HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW));
	b[3] = 0x40; b[4] = 0x01;       /* 2^14 + 1 */
	CHECK_EQ(hs_record_parse(b, 5, HS_RECORD_PLAINTEXT_MAX, &rec),
		 HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW));
	CHECK_EQ(hs_record_parse(b, 5, HS_RECORD_CIPHERTEXT_MAX_13, &rec), 0);
	b[3] = 0x41; b[4] = 0x01;       /* 2^14 + 257 */
	CHECK_EQ(hs_record_parse(b, 5, HS_RECORD_CIPHERTEXT_MAX_13, &rec),
		 HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW));
	CHECK_EQ(hs_record_parse(b, 5, HS_RECORD_CIPHERTEXT_MAX_12, &rec), 0);
	/* Unknown content types, even from their first byte. */
	b[0] = 24;
	CHECK_EQ(hs_record_parse(b, 1, HS_RECORD_PLAINTEXT_MAX, &rec),
		 HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE));
	b[0] = 0;
	CHECK_EQ(hs_record_parse(b, 5, HS_RECORD_PLAINTEXT_MAX, &rec),
		 HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE));
	/* Wrong major version (e.g. SSLv2-style or garbage). */
	b[0] = 22; b[1] = 2; b[3] = 0; b[4] = 1;
	CHECK_EQ(hs_record_parse(b, 6, HS_RECORD_PLAINTEXT_MAX, &rec),
		 HS_ERR_ALERT(HS_ALERT_PROTOCOL_VERSION));
	/* Zero-length fragment parses; policy belongs to the engine. */
	b[1] = 3; b[4] = 0;
	CHECK_EQ(hs_record_parse(b, 5, HS_RECORD_PLAINTEXT_MAX, &rec), 5);
	CHECK_EQ(rec.len, 0);
}

static void
test_header_write(void)
{
	uint8_t b[8];
	struct hs_writer w;
	static const uint8_t want[] = { 23, 3, 3, 0x40, 0x00 };

	hs_writer_init(&w, b, sizeof(b));
	hs_record_header_write(&w, HS_CT_APPLICATION_DATA, 0x0303, 16384);
	CHECK(!w.err);
	CHECK_MEM(b, want, 5);
	hs_writer_init(&w, b, sizeof(b));
	hs_record_header_write(&w, HS_CT_APPLICATION_DATA, 0x0303, 70000);
	CHECK(w.err);
}

/* A stream of messages with bodies of the given lengths, filled with a pattern. */
static size_t
make_stream(uint8_t *out, const uint32_t *lens, int n)
{
	size_t off = 0;

	for (int i = 0; i < n; i++) {
		out[off++] = (uint8_t)(i + 1);
		out[off++] = (uint8_t)(lens[i] >> 16);
		out[off++] = (uint8_t)(lens[i] >> 8);
		out[off++] = (uint8_t)lens[i];
		for (uint32_t j = 0; j < lens[i]; j++)
			out[off++] = (uint8_t)(i * 31 + j);
	}
	return off;
}

/* Cut @p stream into records of random sizes and check every message. */
static void
reassemble(const uint8_t *stream, size_t len, const uint32_t *lens, int n,
	   size_t max_frag, unsigned seed)
{
	static uint8_t gather[70000];
	struct hs_msg_asm a;
	struct hs_msg m;
	size_t off = 0;
	int got = 0, r, bad = 0;

	srand(seed);
	hs_msg_asm_init(&a, gather, sizeof(gather));
	while (off < len) {
		size_t frag = 1 + (size_t)rand() % max_frag;
		struct hs_reader rec;

		if (frag > len - off)
			frag = len - off;
		hs_reader_init(&rec, stream + off, frag);
		while ((r = hs_msg_next(&a, &rec, &m)) == 1) {
			if (got >= n || m.type != got + 1 || m.len != lens[got] ||
			    m.raw + HS_MSG_HEADER_LEN != m.body) {
				bad++;
			} else {
				for (uint32_t j = 0; j < m.len; j++)
					if (m.body[j] != (uint8_t)(got * 31 + j))
						bad++;
			}
			got++;
		}
		CHECK_EQ(r, 0);
		CHECK(hs_reader_done(&rec));
		off += frag;
	}
	CHECK_MSG(got == n && bad == 0, "seed %u max_frag %zu: got %d of %d, %d bad",
		  seed, max_frag, got, n, bad);
	CHECK(hs_msg_asm_idle(&a));
}

static void
test_reassembly(void)
{
	static uint8_t stream[200000];
	static const uint32_t lens[] = { 0, 1, 3, 4, 200, 5000, 0, 65536, 17, 16384 };
	int n = (int)(sizeof(lens) / sizeof(lens[0]));
	size_t len = make_stream(stream, lens, n);

	reassemble(stream, len, lens, n, 1, 1);           /* a byte at a time */
	for (unsigned s = 2; s < 40; s++)
		reassemble(stream, len, lens, n, 1 + (size_t)s * 97 % 16384, s);
	reassemble(stream, len, lens, n, 16384, 99);

	/* Several whole messages in one record come back in place, uncopied. */
	{
		static uint8_t gather[64];
		struct hs_msg_asm a;
		struct hs_reader rec;
		struct hs_msg m;
		static const uint32_t small[] = { 2, 0, 9 };
		size_t l = make_stream(stream, small, 3);

		hs_msg_asm_init(&a, gather, sizeof(gather));
		hs_reader_init(&rec, stream, l);
		CHECK_EQ(hs_msg_next(&a, &rec, &m), 1);
		CHECK(m.raw == stream && m.len == 2);
		CHECK_EQ(hs_msg_next(&a, &rec, &m), 1);
		CHECK(m.raw == stream + 6 && m.len == 0);
		CHECK_EQ(hs_msg_next(&a, &rec, &m), 1);
		CHECK(m.len == 9 && m.type == 3);
		CHECK_EQ(hs_msg_next(&a, &rec, &m), 0);
		CHECK(hs_msg_asm_idle(&a));
	}
}

static void
test_limits(void)
{
	static uint8_t gather[4 + 100];
	static uint8_t stream[4 + 200];
	struct hs_msg_asm a;
	struct hs_reader rec;
	struct hs_msg m;
	uint32_t l101 = 101, l100 = 100;

	/* One byte over the buffer: refused whether whole or fragmented. */
	make_stream(stream, &l101, 1);
	hs_msg_asm_init(&a, gather, sizeof(gather));
	hs_reader_init(&rec, stream, 4 + 101);
	CHECK_EQ(hs_msg_next(&a, &rec, &m), HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	hs_msg_asm_init(&a, gather, sizeof(gather));
	hs_reader_init(&rec, stream, 2);
	CHECK_EQ(hs_msg_next(&a, &rec, &m), 0);
	hs_reader_init(&rec, stream + 2, 3);
	CHECK_EQ(hs_msg_next(&a, &rec, &m), HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	/* Exactly at the limit: fine. */
	make_stream(stream, &l100, 1);
	hs_msg_asm_init(&a, gather, sizeof(gather));
	hs_reader_init(&rec, stream, 50);
	CHECK_EQ(hs_msg_next(&a, &rec, &m), 0);
	/* A partial message is pending: a key change now is a protocol error. */
	CHECK(!hs_msg_asm_idle(&a));
	hs_reader_init(&rec, stream + 50, 54);
	CHECK_EQ(hs_msg_next(&a, &rec, &m), 1);
	CHECK_EQ(m.len, 100);
	CHECK(hs_msg_asm_idle(&a));
	/* A 16 MB length announced in a 4-byte header is refused at once. */
	{
		static const uint8_t huge[] = { 1, 0xff, 0xff, 0xff };

		hs_msg_asm_init(&a, gather, sizeof(gather));
		hs_reader_init(&rec, huge, sizeof(huge));
		CHECK_EQ(hs_msg_next(&a, &rec, &m), HS_ERR_ALERT(HS_ALERT_DECODE_ERROR));
	}
}

static void
test_err_classes(void)
{
	CHECK_EQ(hs_err_class(0), 0);
	CHECK_EQ(hs_err_class(HS_ERR_ALERT(HS_ALERT_DECODE_ERROR)), HS_ERR_CLASS_SEND_ALERT);
	CHECK_EQ(hs_err_alert(HS_ERR_ALERT(HS_ALERT_DECODE_ERROR)), HS_ALERT_DECODE_ERROR);
	CHECK_EQ(hs_err_alert(HS_ERR_ALERT(HS_ALERT_CLOSE_NOTIFY)), 0);
	CHECK_EQ(hs_err_class(HS_ERR_PEER_ALERT(HS_ALERT_BAD_RECORD_MAC)), HS_ERR_CLASS_PEER_ALERT);
	CHECK_EQ(hs_err_alert(HS_ERR_PEER_ALERT(HS_ALERT_NO_APPLICATION_PROTOCOL)), 120);
	CHECK_EQ(hs_err_alert(HS_ERR_INTERNAL), HS_ALERT_INTERNAL_ERROR);
	CHECK_EQ(hs_err_alert(HS_ERR_WOULD_BLOCK), -1);
	CHECK_EQ(hs_err_class(HS_ERR_WOULD_BLOCK), HS_ERR_CLASS_OTHER);
}

int
main(void)
{
	test_record_parse();
	test_header_write();
	test_reassembly();
	test_limits();
	test_err_classes();
	return check_result("record");
}
