/* SPDX-License-Identifier: BSD-3-Clause */
/* Session ticket contents and sealing; layout in ticket.h. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "codec.h"
#include "ticket.h"

#define TICKET_FMT 1
/* Tickets dated this far in the future are refused (clock skew allowance). */
#define TICKET_SKEW_MS 60000u

int
hs_ticket_seal(const struct hs_config *cfg, const struct hs_ticket *t,
	       uint8_t *out, size_t cap)
{
	uint8_t st[HS_TICKET_STATE_MAX];
	struct hs_writer w;
	int n;

	if (cfg->stek == NULL)
		return -ENOENT;
	hs_writer_init(&w, st, sizeof(st));
	hs_write_u8(&w, TICKET_FMT);
	hs_write_u16(&w, t->version);
	hs_write_u16(&w, t->suite);
	hs_write_uint(&w, (uint32_t)(t->issued_ms >> 32), 4);
	hs_write_uint(&w, (uint32_t)t->issued_ms, 4);
	hs_write_uint(&w, t->lifetime, 4);
	hs_write_uint(&w, t->age_add, 4);
	hs_write_u8(&w, t->ems);
	hs_write_u8(&w, t->secret_len);
	hs_write_bytes(&w, t->secret, t->secret_len);
	hs_write_u8(&w, t->sni_len);
	hs_write_bytes(&w, t->sni, t->sni_len);
	hs_write_u8(&w, t->alpn_len);
	hs_write_bytes(&w, t->alpn, t->alpn_len);
	n = w.err ? -ENOBUFS : hso_stek_seal(cfg->stek, st, w.off, out, cap);
	OPENSSL_cleanse(st, sizeof(st));
	return n;
}

void
hs_ticket_wipe(struct hs_ticket *t)
{
	OPENSSL_cleanse(t, sizeof(*t));
}

int
hs_ticket_open(const struct hs_config *cfg, const uint8_t *in, size_t len,
	       uint64_t now_ms, struct hs_ticket *t)
{
	uint8_t st[HS_TICKET_STATE_MAX];
	struct hs_reader r, v;
	int n, rc = 0;

	memset(t, 0, sizeof(*t));
	if (cfg->stek == NULL)
		return -ENOENT;
	n = hso_stek_open(cfg->stek, in, len, st, sizeof(st), NULL);
	if (n < 0)
		return n == -ENOENT ? -ENOENT : -EBADMSG;
	hs_reader_init(&r, st, (size_t)n);
	if (hs_read_u8(&r) != TICKET_FMT)
		rc = -EBADMSG;
	t->version = hs_read_u16(&r);
	t->suite = hs_read_u16(&r);
	t->issued_ms = (uint64_t)hs_read_u32(&r) << 32;
	t->issued_ms |= hs_read_u32(&r);
	t->lifetime = hs_read_u32(&r);
	t->age_add = hs_read_u32(&r);
	t->ems = hs_read_u8(&r) != 0;
	if (hs_reader_block(&r, 1, 1, sizeof(t->secret), &v) == 0) {
		t->secret_len = (uint8_t)v.len;
		memcpy(t->secret, v.p, v.len);
	}
	if (hs_reader_block(&r, 1, 0, HS_SNI_MAX, &v) == 0) {
		t->sni_len = (uint8_t)v.len;
		memcpy(t->sni, v.p, v.len);
	}
	if (hs_reader_block(&r, 1, 0, 255, &v) == 0) {
		t->alpn_len = (uint8_t)v.len;
		memcpy(t->alpn, v.p, v.len);
	}
	if (rc == 0 && !hs_reader_done(&r))
		rc = -EBADMSG;
	/* Lifetime is the server's own word; the client's age is checked by the caller. */
	if (rc == 0) {
		uint64_t age = now_ms > t->issued_ms ? now_ms - t->issued_ms : 0;

		if (t->issued_ms > now_ms + TICKET_SKEW_MS ||
		    age > (uint64_t)t->lifetime * 1000u)
			rc = -ETIMEDOUT;
	}
	OPENSSL_cleanse(st, sizeof(st));
	if (rc != 0)
		hs_ticket_wipe(t);
	return rc;
}
