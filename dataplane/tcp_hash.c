/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Keyed hashing for the TCP core: SipHash-2-4 written from "SipHash: a fast
 * short-input PRF" (Aumasson, Bernstein, INDOCRYPT 2012), RFC 6528 initial
 * sequence numbers, RFC 6056 ephemeral port offsets and RFC 4987 SYN
 * cookies.
 */

#include <string.h>

#include "tcp_priv.h"

static inline uint64_t
rotl64(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* The paper's SipRound (section 2, figure 2.1). */
#define SIPROUND(v0, v1, v2, v3)                        \
	do {                                            \
		v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; \
		v0 = rotl64(v0, 32);                     \
		v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2; \
		v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0; \
		v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; \
		v2 = rotl64(v2, 32);                     \
	} while (0)

uint64_t
tcp_siphash24(const uint8_t key[16], const void *msg, size_t len)
{
	const uint8_t *m = msg;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	/* Initialization: the constants spell "somepseudorandomlygeneratedbytes". */
	uint64_t v0 = k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k1 ^ 0x7465646279746573ull;
	size_t full = len & ~(size_t)7;
	uint64_t b;

	/* Compression: c = 2 rounds per 8-byte little-endian word. */
	for (size_t i = 0; i < full; i += 8) {
		uint64_t w = load_le64(m + i);

		v3 ^= w;
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= w;
	}
	/* The last word: remaining bytes, then len mod 256 in the top byte. */
	b = (uint64_t)(len & 0xff) << 56;
	for (size_t i = 0; i < (len & 7); i++)
		b |= (uint64_t)m[full + i] << (8 * i);
	v3 ^= b;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	v0 ^= b;
	/* Finalization: d = 4 rounds. */
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t
tcp_tuple_hash(const uint8_t key[16], const struct tcp_tuple *tu,
	       const uint32_t *extra, unsigned n_extra)
{
	uint8_t b[12 + 32 + 8];
	size_t n = 12;

	/* An explicit byte layout: no padding bytes reach the hash. */
	memcpy(b, &tu->laddr, 4);
	memcpy(b + 4, &tu->raddr, 4);
	memcpy(b + 8, &tu->lport, 2);
	memcpy(b + 10, &tu->rport, 2);
	if (tu->v6) {
		memcpy(b + n, tu->laddr6, 16);
		memcpy(b + n + 16, tu->raddr6, 16);
		n += 32;
	}
	for (unsigned i = 0; i < n_extra && i < 2; i++, n += 4)
		memcpy(b + n, &extra[i], 4);
	return tcp_siphash24(key, b, n);
}

uint32_t
tcp_isn(const struct tcp_tbl *t, const struct tcp_tuple *tu, uint64_t now_us)
{
	/*
	 * RFC 6528 3: "ISN = M + F(localip, localport, remoteip, remoteport,
	 * secretkey) where M is the 4 microsecond timer". F is SipHash-2-4
	 * keyed with a secret from getrandom() at table creation.
	 */
	uint32_t m = (uint32_t)(now_us >> 2);

	return m + (uint32_t)tcp_tuple_hash(t->isn_key, tu, NULL, 0);
}

uint64_t
tcp_eph_offset(const struct tcp_tbl *t, uint32_t raddr, uint16_t rport)
{
	/*
	 * RFC 6056 3.3.3: "offset = F(local_IP, remote_IP, remote_port,
	 * secret_key)". The local address is one of the things chosen here,
	 * so F covers the destination only; its own key (not the ISN's) keeps
	 * the offset from telling anything about ISNs.
	 */
	struct tcp_tuple tu = { .raddr = raddr, .rport = rport };

	return tcp_tuple_hash(t->eph_key, &tu, NULL, 0);
}

uint64_t
tcp_eph_offset6(const struct tcp_tbl *t, const uint8_t raddr[16], uint16_t rport)
{
	struct tcp_tuple tu = { .rport = rport, .v6 = 1 };

	memcpy(tu.raddr6, raddr, 16);
	return tcp_tuple_hash(t->eph_key, &tu, NULL, 0);
}

/*
 * SYN cookie (RFC 4987 3.6): the ISN carries, from the top, a 5-bit counter
 * t (about 67 s per step), a 3-bit MSS index and a 24-bit keyed hash of the
 * 4-tuple, t and the client's ISN. Window scaling cannot be encoded, so a
 * cookie SYN-ACK offers none and the connection runs unscaled.
 */
#define TCP_COOKIE_PERIOD_SHIFT 26      /* 2^26 µs = 67.1 s */
#define TCP_COOKIE_MAX_AGE 1            /* this period or the previous one */

static const uint16_t tcp_cookie_mss[8] = {
	536, 1200, 1300, 1360, 1400, 1440, 1460, 8960,
};

static uint32_t
tcp_cookie_hash(const struct tcp_tbl *t, const struct tcp_tuple *tu,
		uint32_t peer_isn, uint32_t period)
{
	uint32_t extra[2] = { period, peer_isn };

	return (uint32_t)tcp_tuple_hash(t->cookie_key, tu, extra, 2) & 0xffffffu;
}

uint32_t
tcp_cookie_make(const struct tcp_tbl *t, const struct tcp_tuple *tu,
		uint32_t peer_isn, uint16_t peer_mss, uint64_t now_us)
{
	uint32_t period = (uint32_t)(now_us >> TCP_COOKIE_PERIOD_SHIFT);
	unsigned mi = 0;

	/* The largest table MSS not above what the peer and we can take. */
	for (unsigned i = 0; i < 8; i++)
		if (tcp_cookie_mss[i] <= peer_mss && tcp_cookie_mss[i] <= t->cfg.mss)
			mi = i;
	return ((period & 31u) << 27) | ((uint32_t)mi << 24) |
	       tcp_cookie_hash(t, tu, peer_isn, period);
}

uint16_t
tcp_cookie_check(const struct tcp_tbl *t, const struct tcp_tuple *tu,
		 uint32_t peer_isn, uint32_t cookie, uint64_t now_us)
{
	uint32_t now_p = (uint32_t)(now_us >> TCP_COOKIE_PERIOD_SHIFT);
	uint32_t age = (now_p - (cookie >> 27)) & 31u;
	uint32_t period = now_p - age;

	if (age > TCP_COOKIE_MAX_AGE)
		return 0;
	if (tcp_cookie_hash(t, tu, peer_isn, period) != (cookie & 0xffffffu))
		return 0;
	return tcp_cookie_mss[(cookie >> 24) & 7u];
}
