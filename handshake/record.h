/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_HANDSHAKE_RECORD_H
#define HSO_HANDSHAKE_RECORD_H

/**
 * @file
 * TLS record framing and handshake message reassembly.
 *
 * hs_record_parse() finds one record at the start of a byte stream (the
 * caller reassembles TCP; nothing here buffers or allocates). It checks the
 * header only: content type, major version, and the length against the
 * ceiling the caller passes (2^14 + 256 for TLS 1.3 ciphertext, 2^14 + 2048
 * for TLS 1.2, 2^14 for plaintext records: RFC 8446 5.1/5.2, RFC 5246 6.2).
 *
 * struct hs_msg_asm turns the payloads of handshake records into whole
 * handshake messages: messages may be fragmented across records and several
 * may share one record (RFC 8446 5.1). A message wholly inside the current
 * record is returned in place, without a copy; one that spans records is
 * gathered into the caller's buffer, whose size bounds the largest message
 * accepted (messages longer are refused before any byte is stored).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codec.h"

#define HS_RECORD_HEADER_LEN 5
/** TLSPlaintext.length: "MUST NOT exceed 2^14 bytes" (RFC 8446 5.1). */
#define HS_RECORD_PLAINTEXT_MAX 16384u
/** TLSCiphertext.length: "MUST NOT exceed 2^14 + 256 bytes" (RFC 8446 5.2). */
#define HS_RECORD_CIPHERTEXT_MAX_13 (HS_RECORD_PLAINTEXT_MAX + 256u)
/** TLS 1.2 allows 2^14 + 2048 (RFC 5246 6.2.3). */
#define HS_RECORD_CIPHERTEXT_MAX_12 (HS_RECORD_PLAINTEXT_MAX + 2048u)
/** Handshake message header: msg_type (1) + length (3). */
#define HS_MSG_HEADER_LEN 4

enum hs_content_type {
	HS_CT_CHANGE_CIPHER_SPEC = 20,
	HS_CT_ALERT = 21,
	HS_CT_HANDSHAKE = 22,
	HS_CT_APPLICATION_DATA = 23,
};

struct hs_record {
	uint8_t type;           /**< enum hs_content_type */
	uint16_t version;       /**< legacy_record_version as sent */
	uint16_t len;           /**< fragment length */
	const uint8_t *frag;    /**< fragment, inside the caller's buffer */
};

/**
 * Parse the record at the start of @p buf.
 *
 * @param max_len  the largest fragment length allowed in this state
 * @return bytes the record occupies (header + fragment) when whole; 0 when
 *         more bytes are needed; HS_ERR_ALERT(unexpected_message) for an
 *         unknown content type, HS_ERR_ALERT(protocol_version) for a major
 *         version other than 3, HS_ERR_ALERT(record_overflow) for a length
 *         over @p max_len. Errors are reported as soon as the header is
 *         there, without waiting for the fragment.
 */
int hs_record_parse(const uint8_t *buf, size_t len, size_t max_len,
		    struct hs_record *rec);

/** Write a record header for a fragment of @p len bytes. */
void hs_record_header_write(struct hs_writer *w, uint8_t type, uint16_t version,
			    size_t len);

struct hs_buf_pool;

/**
 * Handshake message reassembly state. The inline buffer belongs to the
 * caller; a message too large for it is gathered in a buffer borrowed from
 * a pool (hs_msg_asm_set_pool()) and given back once the message is used.
 */
struct hs_msg_asm {
	uint8_t *buf;           /**< gathers messages that span records */
	size_t cap;             /**< bytes of buf */
	size_t have;            /**< bytes gathered in buf */
	size_t hw;              /**< most bytes ever gathered in buf (what to wipe) */
	bool returned_buf;      /**< last message returned lives in buf */
	uint8_t *inl;           /**< the caller's buffer */
	size_t inl_cap, inl_hw;
	size_t max;             /**< header + largest body accepted */
	struct hs_buf_pool *pool;   /**< larger messages borrow from here, or NULL */
};

/** A whole handshake message. */
struct hs_msg {
	uint8_t type;
	uint32_t len;           /**< body length */
	const uint8_t *body;
	const uint8_t *raw;     /**< header + body, for the transcript hash */
};

/**
 * @param buf  gathering buffer; @p cap - 4 is the largest body accepted
 *             (the policy's maximum handshake message size) unless a pool
 *             is set
 */
void hs_msg_asm_init(struct hs_msg_asm *a, uint8_t *buf, size_t cap);

/**
 * Accept messages up to @p max bytes (header included): those larger than
 * the inline buffer borrow one from @p pool, whose buffers must hold @p max.
 */
void hs_msg_asm_set_pool(struct hs_msg_asm *a, struct hs_buf_pool *pool, size_t max);

/**
 * The message last returned has been handled: forget it, and give back a
 * borrowed buffer it lived in (wiped). Also done by the next hs_msg_next().
 */
void hs_msg_asm_consumed(struct hs_msg_asm *a);

/**
 * Drop any partial message and give back a borrowed buffer (wiped): the
 * connection will read no more handshake messages (failed, or done).
 * Must not be called while a returned message is still in use.
 */
void hs_msg_asm_release(struct hs_msg_asm *a);

/** hs_msg_asm_release(), then wipe what the inline buffer ever held. */
void hs_msg_asm_wipe(struct hs_msg_asm *a);

/**
 * Take the next whole message from the handshake record payload in @p rec
 * (a reader over the fragment; it is advanced past what was used).
 *
 * @return 1 with @p msg filled (valid until the next call, until
 *         hs_msg_asm_consumed(), or until the record's buffer is released);
 *         0 when @p rec is used up and the message needs more records;
 *         HS_ERR_ALERT(decode_error) for a message longer than the maximum
 *         (refused as soon as its header is seen, before its body is
 *         gathered); HS_ERR_ALERT(internal_error) when it needs a buffer
 *         from the pool and none is free (the pool counts it).
 */
int hs_msg_next(struct hs_msg_asm *a, struct hs_reader *rec, struct hs_msg *msg);

/**
 * True when no partial message is pending. "Handshake messages MUST NOT span
 * key changes" (RFC 8446 5.1): the engine checks this at each key change and
 * sends unexpected_message when it is false.
 */
static inline bool
hs_msg_asm_idle(const struct hs_msg_asm *a)
{
	return a->have == 0 || a->returned_buf;
}

#endif
