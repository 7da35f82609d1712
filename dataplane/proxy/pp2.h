/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef HSO_PROXY_PP2_H
#define HSO_PROXY_PP2_H

/**
 * @file
 * PROXY protocol version 2 header (haproxy doc/proxy-protocol.txt), built
 * the way HAProxy's `send-proxy-v2-ssl-cipher` + `proxy-v2-options
 * authority` build it, so that a backend written for HAProxy reads ours:
 *
 *   16 bytes  signature (12), ver_cmd 0x21 (v2, PROXY), fam 0x11 (TCP over
 *             IPv4) or 0x21 (TCP over IPv6), length of what follows (big
 *             endian)
 *   12 bytes  (IPv4) or 36 bytes (IPv6, the spec's section 2.2
 *             ipv6_addr block): client address, hso's address, client
 *             port, hso's port
 *   TLVs      PP2_TYPE_ALPN (when one was negotiated),
 *             PP2_TYPE_AUTHORITY (the SNI, when the client sent one),
 *             PP2_TYPE_SSL: client = PP2_CLIENT_SSL, verify = 0 (no client
 *             certificate), then sub-TLVs PP2_SUBTYPE_SSL_VERSION
 *             ("TLSv1.3") and PP2_SUBTYPE_SSL_CIPHER (the OpenSSL name)
 *
 * No DPDK, no allocation: the caller owns the buffer.
 */

#include <stddef.h>
#include <stdint.h>

#define PP2_SIG_LEN             12
#define PP2_HDR_LEN             (PP2_SIG_LEN + 4)       /* + ver_cmd, fam, len */
#define PP2_ADDR_LEN_INET       (4 + 4 + 2 + 2)
#define PP2_ADDR_LEN_INET6      (16 + 16 + 2 + 2)
#define PP2_TLV_HDR_LEN         3                       /* type, length_hi, length_lo */
#define PP2_SSL_HDR_LEN         (1 + 4)                 /* client, verify */

#define PP2_TYPE_ALPN           0x01
#define PP2_TYPE_AUTHORITY      0x02
#define PP2_TYPE_SSL            0x20
#define PP2_SUBTYPE_SSL_VERSION 0x21
#define PP2_SUBTYPE_SSL_CIPHER  0x23
#define PP2_CLIENT_SSL          0x01

/** Longest name of pp2_version_name() / pp2_cipher_name(), without NUL. */
#define PP2_NAME_MAX            32
/** ALPN and SNI are at most 255 bytes each (one-byte length in TLS). */
#define PP2_STR_MAX             255

/** The largest header pp2_encode() writes. */
#define PP2_MAX (PP2_HDR_LEN + PP2_ADDR_LEN_INET6 +                             \
		 (PP2_TLV_HDR_LEN + PP2_STR_MAX) +      /* ALPN */              \
		 (PP2_TLV_HDR_LEN + PP2_STR_MAX) +      /* AUTHORITY */         \
		 PP2_TLV_HDR_LEN + PP2_SSL_HDR_LEN +    /* SSL */               \
		 2 * (PP2_TLV_HDR_LEN + PP2_NAME_MAX))  /* VERSION, CIPHER */

/** What goes into a header. Ports and IPv4 addresses in host byte order. */
struct pp2_info {
	/** The client's IP version: 4 (src_addr, dst_addr) or 6 (src6, dst6). */
	uint8_t family;
	uint32_t src_addr, dst_addr;
	uint8_t src6[16], dst6[16];     /**< network byte order */
	uint16_t src_port, dst_port;
	uint16_t version;               /**< TLS version, 0x0303 / 0x0304 */
	uint16_t suite;                 /**< IANA cipher suite */
	const char *alpn;               /**< NULL or "" when none */
	size_t alpn_len;
	const char *sni;                /**< NULL or "" when none */
	size_t sni_len;
};

/**
 * Write the header for @p in into @p buf.
 * @return bytes written (<= PP2_MAX); -EINVAL: ALPN or SNI longer than
 *         PP2_STR_MAX, or a family neither 4 nor 6; -ENOSPC: @p cap too
 *         small.
 */
int pp2_encode(uint8_t *buf, size_t cap, const struct pp2_info *in);

/** OpenSSL's name of a protocol version ("TLSv1.3"), or NULL. */
const char *pp2_version_name(uint16_t version);

/** OpenSSL's name of an IANA cipher suite this server negotiates, or NULL. */
const char *pp2_cipher_name(uint16_t suite);

#endif
