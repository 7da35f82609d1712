/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * PROXY protocol v2 encoder: a cursor that checks room before every write
 * and back-patches the lengths of the header and of the SSL TLV.
 */

#include <errno.h>
#include <string.h>

#include "pp2.h"

static const uint8_t pp2_sig[PP2_SIG_LEN] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
};

/* The spec's "\x2" version in the high nibble, command PROXY (1) low. */
#define PP2_VER_CMD_PROXY       0x21
/* AF_INET (1) or AF_INET6 (2) high nibble, STREAM (1) low. */
#define PP2_FAM_TCP4            0x11
#define PP2_FAM_TCP6            0x21

struct cur {
	uint8_t *p;
	size_t len, cap;
	int err;
};

static void
put(struct cur *c, const void *v, size_t n)
{
	if (c->err != 0)
		return;
	if (c->cap - c->len < n) {
		c->err = -ENOSPC;
		return;
	}
	memcpy(c->p + c->len, v, n);
	c->len += n;
}

static void
put8(struct cur *c, uint8_t v)
{
	put(c, &v, 1);
}

static void
put16(struct cur *c, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	put(c, b, 2);
}

static void
put32(struct cur *c, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };

	put(c, b, 4);
}

/* Back-patch a 16-bit big-endian length at @p at. */
static void
patch16(struct cur *c, size_t at, size_t v)
{
	if (c->err != 0)
		return;
	c->p[at] = (uint8_t)(v >> 8);
	c->p[at + 1] = (uint8_t)v;
}

static void
put_tlv(struct cur *c, uint8_t type, const void *v, size_t n)
{
	put8(c, type);
	put16(c, (uint16_t)n);
	put(c, v, n);
}

const char *
pp2_version_name(uint16_t version)
{
	switch (version) {
	case 0x0304: return "TLSv1.3";
	case 0x0303: return "TLSv1.2";
	case 0x0302: return "TLSv1.1";
	case 0x0301: return "TLSv1";
	default: return NULL;
	}
}

const char *
pp2_cipher_name(uint16_t suite)
{
	/* What OpenSSL's SSL_CIPHER_get_name() says, which HAProxy sends. */
	switch (suite) {
	case 0x1301: return "TLS_AES_128_GCM_SHA256";
	case 0x1302: return "TLS_AES_256_GCM_SHA384";
	case 0x1303: return "TLS_CHACHA20_POLY1305_SHA256";
	case 0xc02b: return "ECDHE-ECDSA-AES128-GCM-SHA256";
	case 0xc02c: return "ECDHE-ECDSA-AES256-GCM-SHA384";
	case 0xc02f: return "ECDHE-RSA-AES128-GCM-SHA256";
	case 0xc030: return "ECDHE-RSA-AES256-GCM-SHA384";
	case 0xcca8: return "ECDHE-RSA-CHACHA20-POLY1305";
	case 0xcca9: return "ECDHE-ECDSA-CHACHA20-POLY1305";
	case 0x009c: return "AES128-GCM-SHA256";
	case 0x009d: return "AES256-GCM-SHA384";
	default: return NULL;
	}
}

int
pp2_encode(uint8_t *buf, size_t cap, const struct pp2_info *in)
{
	struct cur c = { .p = buf, .cap = cap };
	const char *version = pp2_version_name(in->version);
	const char *cipher = pp2_cipher_name(in->suite);
	size_t alpn_len = in->alpn != NULL ? in->alpn_len : 0;
	size_t sni_len = in->sni != NULL ? in->sni_len : 0;
	size_t ssl_at;

	if (alpn_len > PP2_STR_MAX || sni_len > PP2_STR_MAX ||
	    (in->family != 4 && in->family != 6))
		return -EINVAL;
	put(&c, pp2_sig, sizeof(pp2_sig));
	put8(&c, PP2_VER_CMD_PROXY);
	put8(&c, in->family == 6 ? PP2_FAM_TCP6 : PP2_FAM_TCP4);
	put16(&c, 0);                           /* patched below */
	if (in->family == 6) {
		/* Section 2.2: src_addr[16], dst_addr[16], src_port, dst_port. */
		put(&c, in->src6, 16);
		put(&c, in->dst6, 16);
	} else {
		put32(&c, in->src_addr);
		put32(&c, in->dst_addr);
	}
	put16(&c, in->src_port);
	put16(&c, in->dst_port);
	/* HAProxy's order: ALPN, AUTHORITY, SSL. */
	if (alpn_len > 0)
		put_tlv(&c, PP2_TYPE_ALPN, in->alpn, alpn_len);
	if (sni_len > 0)
		put_tlv(&c, PP2_TYPE_AUTHORITY, in->sni, sni_len);
	ssl_at = c.len;
	put8(&c, PP2_TYPE_SSL);
	put16(&c, 0);                           /* patched below */
	put8(&c, PP2_CLIENT_SSL);
	/* "verify": zero; no client certificate is asked for (as HAProxy). */
	put32(&c, 0);
	if (version != NULL)
		put_tlv(&c, PP2_SUBTYPE_SSL_VERSION, version, strlen(version));
	if (cipher != NULL)
		put_tlv(&c, PP2_SUBTYPE_SSL_CIPHER, cipher, strlen(cipher));
	patch16(&c, ssl_at + 1, c.len - ssl_at - PP2_TLV_HDR_LEN);
	patch16(&c, PP2_SIG_LEN + 2, c.len - PP2_HDR_LEN);
	return c.err != 0 ? c.err : (int)c.len;
}
