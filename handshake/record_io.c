/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The record layer shared by client and server connections: input framing,
 * decryption and dispatch of records to the connection's ops table; output
 * staging, sealing and flushing; alerts; application data and closure.
 * Contract: handshake.h.
 */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "engine_priv.h"

/* Warning alerts in a row that end a connection (CVE-2016-8610). */
#define HS_WARN_ALERTS_MAX 5

int
hs13_seal(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len,
	  uint8_t *out, size_t cap)
{
	return hso_tls13_record_seal(&c->wr, type, data, len, 0, out, cap);
}

int
hs12_seal(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len,
	  uint8_t *out, size_t cap)
{
	return hso_tls12_record_seal(&c->wr, type, 0x0303, data, len, out, cap);
}

int
hs13_open(struct hs_conn *c, uint8_t *type)
{
	int n = hso_tls13_record_open(&c->rd, c->in, c->rec_len,
				      c->in + HS_RECORD_HEADER_LEN, type);

	if (n >= 0)
		hs_reader_init(&c->rec, c->in + HS_RECORD_HEADER_LEN, (size_t)n);
	return n;
}

int
hs12_open(struct hs_conn *c, uint8_t *type)
{
	size_t off = hso_record_prot_payload_offset(&c->rd);
	int n = hso_tls12_record_open(&c->rd, c->in, c->rec_len, c->in + off);

	(void)type;     /* TLS 1.2: the header's type, authenticated by the AEAD */
	if (n >= 0)
		hs_reader_init(&c->rec, c->in + off, (size_t)n);
	return n;
}

/* Seal or frame one record of @p type into the output. */
int
hs_write_record(struct hs_conn *c, uint8_t type, const uint8_t *data, size_t len)
{
	size_t room = HS_CONN_OUT_SIZE - c->out_len;
	uint8_t *at = c->out + c->out_len;
	int n;

	if (!c->wr_on) {
		struct hs_writer w;

		hs_writer_init(&w, at, room);
		hs_record_header_write(&w, type, 0x0303, len);
		hs_write_bytes(&w, data, len);
		if (w.err)
			return -ENOBUFS;
		c->out_len += w.off;
		if (c->out_len > c->out_hw)
			c->out_hw = c->out_len;
		return 0;
	}
	n = c->ops->seal(c, type, data, len, at, room);
	if (n < 0)
		return n;
	c->out_len += (size_t)n;
	if (c->out_len > c->out_hw)
		c->out_hw = c->out_len;
	return 0;
}

/* Open a writer on the free part of the stage for one handshake message. */
int
hs_stage_msg_begin(struct hs_conn *c, struct hs_writer *w)
{
	hs_writer_init(w, c->stage + c->stage_len, c->stage_cap - c->stage_len);
	return 0;
}

/* The message written through @p w joins the stage and the transcript. */
int
hs_stage_msg_end(struct hs_conn *c, struct hs_writer *w, size_t start)
{
	/* What the writer put down counts for the wipe, even if it then failed. */
	if (c->stage_len + w->off > c->stage_hw)
		c->stage_hw = c->stage_len + w->off;
	if (w->err)
		return HS_ERR_INTERNAL;
	hso_hash_update(&c->th, w->p + start, w->off - start);
	c->stage_len += w->off;
	if (c->stage_len > c->stage_hw)
		c->stage_hw = c->stage_len;
	return 0;
}

/* Cut the staged handshake messages into records under the current keys. */
int
hs_flush_stage(struct hs_conn *c)
{
	size_t off = 0;

	while (off < c->stage_len) {
		size_t n = c->stage_len - off;

		if (n > HS_RECORD_PLAINTEXT_MAX)
			n = HS_RECORD_PLAINTEXT_MAX;
		if (hs_write_record(c, HS_CT_HANDSHAKE, c->stage + off, n) != 0)
			return HS_ERR_INTERNAL;
		off += n;
	}
	c->stage_len = 0;
	return 0;
}

uint8_t *
hs_conn_recv_buf(struct hs_conn *c, size_t *room)
{
	*room = HS_CONN_IN_SIZE - c->in_len;
	return c->in + c->in_len;
}

const uint8_t *
hs_conn_send_buf(const struct hs_conn *c, size_t *len)
{
	*len = c->out_len;
	return c->out;
}

void
hs_conn_send_ack(struct hs_conn *c, size_t n)
{
	if (n > c->out_len)
		n = c->out_len;
	memmove(c->out, c->out + n, c->out_len - n);
	c->out_len -= n;
}

/* Drop the record being consumed from the input buffer. */
static void
record_done(struct hs_conn *c)
{
	memmove(c->in, c->in + c->rec_len, c->in_len - c->rec_len);
	c->in_len -= c->rec_len;
	c->rec_len = 0;
	c->rec_active = false;
	c->app_off = 0;
}

/*
 * RFC 8446 5.1: "Handshake messages MUST NOT span key changes ... a record
 * containing [the message before a key change] MUST be at a record
 * boundary". True when nothing of the current record is left and no
 * message is half gathered.
 */
bool
hs_at_key_change_boundary(const struct hs_conn *c)
{
	return hs_msg_asm_idle(&c->asm_) &&
	       (!c->rec_active || hs_reader_left(&c->rec) == 0);
}

int
hs_handle_alert(struct hs_conn *c, const uint8_t *a, size_t len)
{
	if (len != 2)
		return HS_ERR_ALERT(HS_ALERT_DECODE_ERROR);
	if (a[1] == HS_ALERT_CLOSE_NOTIFY) {
		/*
		 * TLS 1.3 with half-close: only the peer's write side is closed
		 * (RFC 8446 6.1); ours stays open until hs_conn_close(). TLS 1.2
		 * must answer and close at once (RFC 5246 7.2.1).
		 */
		if (c->status == HS_STATUS_ESTABLISHED && c->ops->half_close &&
		    c->cfg->half_close && !c->wr_shut) {
			c->rd_closed = true;
			return 0;
		}
		/* Answer with our own close_notify, unless sent already. */
		if (c->status == HS_STATUS_ESTABLISHED && !c->wr_shut)
			hs_conn_close(c);
		c->status = HS_STATUS_CLOSED;
		c->state = ST_CLOSED;
		return 0;
	}
	/*
	 * TLS 1.3: user_canceled is followed by close_notify; TLS 1.2 warnings
	 * (e.g. no_renegotiation) do not end the connection. Ignored, but not
	 * without end: a run of them and nothing else is the "SSL Death Alert"
	 * (CVE-2016-8610), a peer keeping us busy for free; the fifth in a row
	 * is unexpected_message, as OpenSSL counts.
	 */
	if (a[1] == HS_ALERT_USER_CANCELED || (c->ops->warning_alerts && a[0] == 1)) {
		if (++c->warn_alerts >= HS_WARN_ALERTS_MAX)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	}
	return HS_ERR_PEER_ALERT(a[1]);
}

/* Decrypt the whole record at in[0..rec_len); set c->rec over its content. */
static int
open_record(struct hs_conn *c, const struct hs_record *r)
{
	uint8_t type = r->type;
	int n;

	if (!c->rd_on) {
		hs_reader_init(&c->rec, r->frag, r->len);
		c->rec_type = type;
		return 0;
	}
	n = c->ops->open(c, &type);
	switch (n) {
	case -EBADMSG:
		return HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC);
	case -EMSGSIZE:
		return HS_ERR_ALERT(HS_ALERT_RECORD_OVERFLOW);
	case -EPROTO:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	default:
		if (n < 0)
			return HS_ERR_INTERNAL;
	}
	c->rec_type = type;
	/*
	 * RFC 8446 4.2.10: "Once a record is deprotected successfully, it is
	 * treated as the start of the client's second flight": no more
	 * skipping of undecryptable early data.
	 */
	c->rd_opened = true;
	c->early_skip = 0;
	return 0;
}

/* Start consuming the next whole record; 0 when one is active, 1 when none. */
static int
next_record(struct hs_conn *c)
{
	struct hs_record r;
	size_t max = !c->rd_on ? HS_RECORD_PLAINTEXT_MAX : c->ops->ct_max;
	bool may_skip;
	int n, rc;

	n = hs_record_parse(c->in, c->in_len, max, &r);
	if (n <= 0)
		return n < 0 ? n : 1;
	c->rec_len = (size_t)n;
	c->rec_active = true;
	c->app_off = 0;

	/*
	 * RFC 8446 5: a change_cipher_spec record consisting of the single
	 * byte 0x01, received between the first ClientHello and the peer's
	 * Finished, "MUST simply" be dropped; any other is unexpected_message.
	 * In TLS 1.2 it switches the read keys (RFC 5246 7.1).
	 */
	if (r.type == HS_CT_CHANGE_CIPHER_SPEC) {
		if (r.len != 1 || r.frag[0] != 1 || !hs_msg_asm_idle(&c->asm_))
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		record_done(c);
		return c->ops->change_cipher_spec(c);
	}
	/* Protected records whose outer type the version does not open. */
	if (c->rd_on && r.type != HS_CT_APPLICATION_DATA) {
		rc = c->ops->outer_type(c, &r);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			rc = hs_handle_alert(c, r.frag, r.len);
			record_done(c);
			return rc;
		}
	}
	/*
	 * 0-RTT refused (RFC 8446 4.2.10): skip records under the early keys
	 * (they fail to decrypt under the handshake keys, or come before the
	 * second ClientHello) up to a budget; past it, fail as usual.
	 */
	may_skip = c->early_skip >= c->rec_len && r.type == HS_CT_APPLICATION_DATA &&
		   c->status == HS_STATUS_HANDSHAKING;
	rc = c->rd_on || !may_skip ? open_record(c, &r) : HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC);
	if (may_skip && rc == HS_ERR_ALERT(HS_ALERT_BAD_RECORD_MAC)) {
		c->early_skip -= (uint32_t)c->rec_len;
		record_done(c);
		return 0;
	}
	if (rc != 0)
		return rc;
	/* RFC 8446 5.1: handshake messages MUST NOT be interleaved with other types. */
	if (c->rec_type != HS_CT_HANDSHAKE && !hs_msg_asm_idle(&c->asm_))
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	if (c->rec_type != HS_CT_ALERT)
		c->warn_alerts = 0;
	switch (c->rec_type) {
	case HS_CT_ALERT:
		rc = hs_handle_alert(c, c->rec.p, c->rec.len);
		record_done(c);
		return rc;
	case HS_CT_HANDSHAKE:
		/* "Implementations MUST NOT send zero-length fragments of Handshake types." */
		if (c->rec.len == 0)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	case HS_CT_APPLICATION_DATA:
		if (c->status != HS_STATUS_ESTABLISHED)
			return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
		return 0;
	default:
		return HS_ERR_ALERT(HS_ALERT_UNEXPECTED_MESSAGE);
	}
}

/* Consume input until it runs out, the connection waits or fails. */
int
hs_conn_process(struct hs_conn *c)
{
	int rc;

	while (!c->waiting && c->status != HS_STATUS_FAILED &&
	       c->status != HS_STATUS_CLOSED && !c->rd_closed) {
		if (!c->rec_active) {
			rc = next_record(c);
			if (rc == 1)
				return 0;
			if (rc < 0)
				return hs_fail(c, rc);
			continue;
		}
		if (c->rec_type == HS_CT_APPLICATION_DATA) {
			if (c->app_off < c->rec.len)
				return 0;       /* the application reads it */
			record_done(c);
			continue;
		}
		/* Handshake content: take whole messages one at a time. */
		{
			struct hs_msg m;

			rc = hs_msg_next(&c->asm_, &c->rec, &m);
			if (rc < 0)
				return hs_fail(c, rc);
			if (rc == 0) {
				record_done(c);
				continue;
			}
			rc = c->ops->handshake_msg(c, &m);
			/*
			 * Used up: a pool buffer it came in goes back now; unless
			 * the connection waits for a job that reads it (the client
			 * decodes a Certificate there): then when it resumes.
			 */
			if (!c->waiting)
				hs_msg_asm_consumed(&c->asm_);
			if (rc < 0)
				return hs_fail(c, rc);
		}
	}
	return c->status == HS_STATUS_FAILED ? c->err : 0;
}

int
hs_conn_recv_ack(struct hs_conn *c, size_t n)
{
	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (n > HS_CONN_IN_SIZE - c->in_len)
		return hs_fail(c, HS_ERR_INTERNAL);
	/* RFC 8446 6.1: data after a closure alert MUST be ignored. */
	if (c->rd_closed || c->status == HS_STATUS_CLOSED)
		return 0;
	c->in_len += n;
	if (c->in_len > c->in_hw)
		c->in_hw = c->in_len;
	return hs_conn_process(c);
}

/* ------------------------------------------------------------------ */
/* Application data                                                   */
/* ------------------------------------------------------------------ */

int
hs_conn_app_read(struct hs_conn *c, uint8_t *dst, size_t cap)
{
	size_t n;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (!c->rec_active || c->rec_type != HS_CT_APPLICATION_DATA)
		return 0;
	n = c->rec.len - c->app_off;
	if (n > cap)
		n = cap;
	memcpy(dst, c->rec.p + c->app_off, n);
	c->app_off += n;
	if (c->app_off == c->rec.len) {
		record_done(c);
		hs_conn_process(c);
	}
	return (int)n;
}

size_t
hs_conn_app_pending(const struct hs_conn *c)
{
	if (c->status == HS_STATUS_FAILED || !c->rec_active ||
	    c->rec_type != HS_CT_APPLICATION_DATA)
		return 0;
	return c->rec.len - c->app_off;
}

int
hs_conn_app_write(struct hs_conn *c, const uint8_t *src, size_t len)
{
	size_t done = 0;

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (c->wr_shut)
		return -EPIPE;
	while (done < len) {
		size_t n = len - done;

		if (n > HS_RECORD_PLAINTEXT_MAX)
			n = HS_RECORD_PLAINTEXT_MAX;
		if (HS_CONN_OUT_SIZE - c->out_len < n + HS_CONN_RECORD_OVERHEAD)
			break;
		if (hs_write_record(c, HS_CT_APPLICATION_DATA, src + done, n) != 0)
			return hs_fail(c, HS_ERR_INTERNAL);
		done += n;
	}
	return (int)done;
}

int
hs_conn_close(struct hs_conn *c)
{
	static const uint8_t close_notify[2] = { 1, HS_ALERT_CLOSE_NOTIFY };

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->state != ST_CLOSED && !c->wr_shut &&
	    hs_write_record(c, HS_CT_ALERT, close_notify, 2) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	c->status = HS_STATUS_CLOSED;
	c->state = ST_CLOSED;
	return 0;
}

int
hs_conn_shutdown(struct hs_conn *c)
{
	static const uint8_t close_notify[2] = { 1, HS_ALERT_CLOSE_NOTIFY };

	if (c->status == HS_STATUS_FAILED)
		return c->err;
	if (c->status != HS_STATUS_ESTABLISHED)
		return -ENOTCONN;
	if (c->wr_shut)
		return 0;
	if (hs_write_record(c, HS_CT_ALERT, close_notify, 2) != 0)
		return hs_fail(c, HS_ERR_INTERNAL);
	c->wr_shut = true;
	if (c->rd_closed) {
		/* Both sides closed now. */
		c->status = HS_STATUS_CLOSED;
		c->state = ST_CLOSED;
	}
	return 0;
}

bool
hs_conn_peer_closed(const struct hs_conn *c)
{
	return c->rd_closed;
}
